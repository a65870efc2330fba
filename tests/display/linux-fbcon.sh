#!/bin/sh
# linux-fbcon.sh marker SOFTVISOR PNGCHECK
# linux-fbcon.sh keys TEST_SDL_LINUX PNGCHECK
# Debian's amd64 kernel (-kernel) on bochs-drm's framebuffer console (issue 12).  The initramfs
# loads the bochs DRM driver and what it needs (tests/linux/kmods.sh resolves them from the
# linux-image package: drm, drm_kms_helper, ttm, drm_ttm_helper, drm_vram_helper, bochs), fbcon
# takes the console (console=tty0) on the framebuffer in the EDID's preferred mode, 1280x800
# (160x50 cells), and the guest loads the VGA BIOS's 8x16 font into it (busybox loadfont;
# pngcheck --psf writes the file), so every glyph on the screen is known bit for bit and the
# screen can be read back exactly (fbtext.h: a blank, shifted or garbled framebuffer reads as '?'
# or nothing, never as the expected text).
#
# marker: the guest prints MARKER on the cleared screen; a screenshot taken with -screendump-at
#   at the fixed count AT must show it (pngcheck --text) at 1280x800.  The guest's serial log must
#   show fb0 named bochs-drmdrmfb at 1280x800 and the frame buffer device bound as a virtual
#   console.  Under QEMU (-vga std), when installed, the same kernel and initramfs must give the
#   same fb0 and frame buffer console, so these expectations are the hardware's.
#   The count: the boot retires about 6.47 * 10^9 instructions before the marker is on the
#   screen; the guest then counts in a shell loop for about 1.3 * 10^9 more and powers off.  AT
#   sits in the middle of that window, 0.6 * 10^9 from either end, so the boot may get about 10%
#   shorter or longer without moving it; beyond that, the run ends before AT (status 5) or the
#   screen lacks the marker, and the serial log says how far the guest got.
# keys: a busybox shell on tty1 (the screen), and test_sdl_linux types a command into the SDL
#   window (frontends/sdl.c on SDL's offscreen driver) and reads the answer off the screen.
#
# Exit 77 (skipped) without the kernel cache (tests/linux/fetch.sh) or the VGA BIOS; under
# CI=true that is a failure instead.
set -eu
usage="usage: linux-fbcon.sh marker SOFTVISOR PNGCHECK | keys TEST_SDL_LINUX PNGCHECK"
mode=${1:?$usage}
prog=${2:?$usage}
pngcheck=${3:?$usage}
case "$mode" in marker|keys) ;; *) echo "$usage" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
cache=${SOFTVISOR_CACHE:-${HOME:-/tmp}/.cache/softvisor}
kernel=$cache/linux/vmlinuz-amd64
deb=$(ls "$cache"/debs/linux-image-*-amd64_*_amd64.deb 2>/dev/null | head -n 1 || true)
rom=/usr/share/seabios/vgabios-stdvga.bin
AT=7100000000
MARKER="SOFTVISOR-FBCON-MARKER bochs-drm 0123456789"
if [ ! -s "$kernel" ] || [ -z "$deb" ] || [ ! -r "$rom" ]; then
    echo "SKIP: needs $kernel and the linux-image .deb in $cache/debs (tests/linux/fetch.sh) and $rom (seabios)"
    [ "${CI:-}" = true ] && exit 1
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

adds=$("$here/../linux/kmods.sh" "$deb" "$tmp/deb" bochs)
mods=$(cat "$tmp/deb/order")
"$pngcheck" --psf "$rom" "$tmp/vga.psf"
cat >"$tmp/init" <<SH
#!/bin/sh
export PATH=/bin HOME=/
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/ttyS0 >/dev/ttyS0 2>&1
for m in $mods; do insmod /lib/modules/\$m.ko || echo "FBCON-INSMOD-FAIL \$m"; done
i=0
while [ ! -e /sys/class/graphics/fb0 ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
echo "FBCON-FB0 \$(cat /sys/class/graphics/fb0/name) \$(cat /sys/class/graphics/fb0/virtual_size)"
for v in /sys/class/vtconsole/vtcon*; do echo "FBCON-VT \$(cat \$v/bind) \$(cat \$v/name)"; done
# Nothing but what the test writes on the screen: no kernel messages, the known font.
echo 1 >/proc/sys/kernel/printk
loadfont </vga.psf || echo "FBCON-LOADFONT-FAIL"
SH
if [ "$mode" = marker ]; then
    cat >>"$tmp/init" <<SH
printf '\033[H\033[J\n%s\n' "$MARKER" >/dev/tty0
echo FBCON-MARKER-PRINTED
i=0
while [ \$i -lt 100000 ]; do i=\$((i + 1)); done
echo FBCON-DONE
poweroff -f
SH
else
    cat >>"$tmp/init" <<'SH'
printf '\033[H\033[J' >/dev/tty1
export PS1='# '
echo SHELL-READY
setsid -c sh </dev/tty1 >/dev/tty1 2>&1
poweroff -f
SH
fi
# shellcheck disable=SC2086
"$here/../linux/mkinitramfs.sh" --init "$tmp/init" $adds --add "$tmp/vga.psf=/vga.psf" "$tmp/initrd.gz"

if [ "$mode" = keys ]; then
    start=$(date +%s)
    rc=0
    timeout "${SOFTVISOR_LINUX_TIMEOUT:-900}" "$prog" "$kernel" "$tmp/initrd.gz" "$rom" </dev/null || rc=$?
    echo "test_sdl_linux: $(($(date +%s) - start)) s, status $rc"
    exit $rc
fi

append="console=ttyS0 console=tty0 panic=-1"
start=$(date +%s)
rc=0
timeout "${SOFTVISOR_LINUX_TIMEOUT:-900}" "$prog" -m 128M -no-reboot -display none \
    -kernel "$kernel" -initrd "$tmp/initrd.gz" -append "$append" \
    -screendump-at $AT "$tmp/screen.png" >"$tmp/log" 2>&1 </dev/null || rc=$?
echo "softvisor: $(($(date +%s) - start)) s"
grep -aE "FBCON-|bochs-drm|fbcon" "$tmp/log" || true
fail=""
[ $rc -eq 0 ] || fail="$fail exit-status-$rc"
grep -aq "FBCON-FB0 bochs-drmdrmfb 1280,800" "$tmp/log" || fail="$fail no-bochs-drm-fb0"
grep -aq "FBCON-VT 1 (M) frame buffer device" "$tmp/log" || fail="$fail no-fb-console"
grep -aq "FBCON-DONE" "$tmp/log" || fail="$fail guest-not-done"
if [ -s "$tmp/screen.png" ]; then
    "$pngcheck" "$tmp/screen.png" --text "$rom" "$MARKER" >"$tmp/text" || fail="$fail marker-not-on-screen"
    head -n 1 "$tmp/text" | grep -qx 1280x800 || fail="$fail screen-not-1280x800"
    sed -n '1,4p' "$tmp/text"
else
    fail="$fail no-screenshot"
fi

if command -v qemu-system-x86_64 >/dev/null; then
    start=$(date +%s)
    timeout 300 qemu-system-x86_64 -accel tcg -m 128M -vga std -display none -no-reboot \
        -serial file:"$tmp/qemu.log" -kernel "$kernel" -initrd "$tmp/initrd.gz" -append "$append" \
        </dev/null >/dev/null 2>&1 || true
    echo "qemu: $(($(date +%s) - start)) s"
    grep -aE "FBCON-" "$tmp/qemu.log" || true
    for want in "FBCON-FB0 bochs-drmdrmfb 1280,800" "FBCON-VT 1 (M) frame buffer device" FBCON-DONE; do
        grep -aq "$want" "$tmp/qemu.log" || fail="$fail qemu:'$want'"
    done
fi

if [ -n "$fail" ]; then
    echo "FAIL:$fail"
    tail -n 30 "$tmp/log"
    exit 1
fi
echo "PASS"
