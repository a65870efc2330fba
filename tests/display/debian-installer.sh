#!/bin/sh
# debian-installer.sh SOFTVISOR PNGCHECK REFERENCE.png -- Debian's netboot installer boots from
# -cdrom through SeaBIOS and ISOLINUX to its first dialog, "Select a language", seen on the
# screen (issue 12).
#
# Debian's package debian-installer-12-netboot-amd64 ships the netboot tree (kernel, initrd,
# PXELINUX with its vesamenu configuration), not mini.iso; mini.iso is that tree behind ISOLINUX.
# So the test builds it the same way: xorriso, an El Torito no-emulation boot of Debian's
# isolinux.bin (package isolinux, the same SYSLINUX build as the tree's .c32 modules) with the
# tree's pxelinux.cfg/default as isolinux.cfg, the text (newt) installer's tree at the root.
#
# The boot menu (vesamenu, 640x480 VBE) has "timeout 0": it waits for a key.  -sendkey-at
# presses Enter (QEMU's sendkey name ret) at a fixed instruction count, which boots "Install":
# Linux with vga=788 and the installer, whose newt dialog appears on the bochs DRM framebuffer
# console at 1280x800, the preferred mode of the EDID that the std VGA offers in BAR 2 (as QEMU's
# does; devices/vga_edid.c).  The screenshots are taken
# with -screendump-at at fixed counts and checked with pngcheck:
#   - the menu: 640x480, lit (the splash picture behind the menu);
#   - the dialog: 1280x800, its colour layout (blue background, grey dialog with its black
#     shadow, the red selection bar on English, the help line at the bottom) and, as a whole,
#     near REFERENCE.png, the same dialog taken from QEMU 7.2 (TCG, its default std VGA, the
#     same ISO with -m 1G -boot d, monitor sendkey ret on the menu and screendump -f png a
#     minute and a half later): at most 2% of the pixels may differ.
# Skipped (exit 77) without the packages, outside CI; under CI=true that is a failure.
set -u
SV=${1:?usage: debian-installer.sh SOFTVISOR PNGCHECK REFERENCE.png}
PNGCHECK=${2:?usage: debian-installer.sh SOFTVISOR PNGCHECK REFERENCE.png}
REF=${3:?usage: debian-installer.sh SOFTVISOR PNGCHECK REFERENCE.png}
DI=/usr/lib/debian-installer/images/12/amd64/text
ISOLINUX=/usr/lib/ISOLINUX/isolinux.bin
BIOS=/usr/share/seabios/bios-256k.bin
skip() {
    need="install Debian's debian-installer-12-netboot-amd64, isolinux, xorriso and seabios (./dev.sh setup)"
    [ "${CI:-}" = true ] && { echo "FAIL: $1 under CI=true: $need"; exit 1; }
    echo "SKIP: $1: $need."
    echo "SKIP: the Debian installer was NOT tested."
    exit 77
}
for f in "$DI/debian-installer/amd64/linux" "$DI/debian-installer/amd64/initrd.gz" \
         "$DI/debian-installer/amd64/pxelinux.cfg/default" "$DI/ldlinux.c32" "$ISOLINUX" "$BIOS"; do
    [ -r "$f" ] || skip "$f missing"
done
command -v xorriso > /dev/null || skip "xorriso missing"
T=$(mktemp -d /tmp/softvisor-d-i-XXXXXX)
trap 'rm -rf "$T"' EXIT

# -f follows the tree's symbolic links (ldlinux.c32 at the root, next to isolinux.bin, where
# ISOLINUX looks for it).
xorriso -as mkisofs -quiet -f -r -J -V d-i-netboot -graft-points -b isolinux.bin -c boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table -o "$T/mini.iso" \
    isolinux.bin="$ISOLINUX" isolinux.cfg="$DI/debian-installer/amd64/pxelinux.cfg/default" /="$DI" \
    > "$T/xorriso.log" 2>&1 || { echo "FAIL: xorriso"; cat "$T/xorriso.log"; exit 1; }

# The menu is up at 1.5 * 10^8 instructions; Enter at 2 * 10^8; Linux, the installer's initrd
# and its first dialog take until about 1.2 * 10^10 (the dialog is drawn between 1.18 and
# 1.20 * 10^10); the screenshot is taken half a billion later.
MENU_AT=150000000
KEY_AT=200000000
AT=12500000000
"$SV" -m 1G -cdrom "$T/mini.iso" -boot d -display none -serial file:"$T/com1.txt" -pace off \
    -icount-limit "$AT" -screendump-at "$MENU_AT" "$T/menu.png" -sendkey-at "$KEY_AT" ret \
    -screendump-at "$AT" "$T/dialog.png" < /dev/null > "$T/out" 2>&1
rc=$?
fails=0
[ "$rc" -eq 3 ] || { echo "FAIL: exit status $rc, not 3 (instruction limit)"; cat "$T/out"; fails=$((fails + 1)); }
if ! "$PNGCHECK" "$T/menu.png" --lit 300000 > "$T/menu.check" || ! grep -q '^640x480$' "$T/menu.check"; then
    echo "FAIL: the boot menu (640x480, the splash picture) is not on the screen at $MENU_AT:"
    cat "$T/menu.check"
    fails=$((fails + 1))
fi
# The dialog's layout: blue screen background (top band), grey dialog body left of the language
# list, the red bar of the selected language (English), the dialog's black shadow on its right,
# the blue help line at the bottom with its white text.
if ! "$PNGCHECK" "$T/dialog.png" \
        --area 0,0,1280,14=0000aa 99 \
        --area 40,120,420,660=aaaaaa 99 \
        --area 448,352,808,368=aa0000 85 \
        --area 1248,40,1256,760=000000 99 \
        --area 0,784,1280,800=0000aa 85 --area 0,784,440,800=ffffff 6 \
        --near "$REF" 2 > "$T/dialog.check" || ! grep -q '^1280x800$' "$T/dialog.check"; then
    echo "FAIL: the installer's 'Select a language' dialog is not on the screen at $AT:"
    cat "$T/dialog.check"
    fails=$((fails + 1))
fi
if [ "$fails" -ne 0 ]; then
    mkdir -p "${TMPDIR:-/tmp}/softvisor-d-i-failed" && cp "$T/menu.png" "$T/dialog.png" "$T/com1.txt" \
        "${TMPDIR:-/tmp}/softvisor-d-i-failed/" 2> /dev/null &&
        echo "the screenshots are in ${TMPDIR:-/tmp}/softvisor-d-i-failed"
    exit 1
fi
cat "$T/dialog.check"
echo "ok: the Debian installer shows 'Select a language' at instruction $AT"
