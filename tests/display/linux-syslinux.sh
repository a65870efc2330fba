#!/bin/sh
# linux-syslinux.sh BUILD_DIR [boot|rw|snapshot] -- Debian's amd64 kernel boots from an IDE disk
# through SeaBIOS and Debian's SYSLINUX (issue 12): no -kernel, just -hda.  The disk is a 33 MiB
# raw image whose first 32 MiB are a FAT file system without a partition table, built without
# root privileges by tests/linux/syslinux-disk.sh (mkfs.fat, mcopy, syslinux --install, which
# writes SYSLINUX's boot sector and ldlinux.sys through mtools), holding the kernel, an initramfs
# (tests/linux/mkinitramfs.sh) and syslinux.cfg.
#   boot (default): the self-checking initramfs; passes on SOFTVISOR-LINUX-PASS and the kernel's
#       power-off (exit status 0).  When qemu-system-x86_64 is installed the same image boots
#       there too (to show the image is right).
#   rw: an /init that loads the IDE modules (tests/linux/ide-modules.sh), writes 64 KiB at 32 MiB
#       of /dev/sda (past the file system) with conv=fsync and powers off; the host then finds
#       those bytes in the image file.
#   snapshot: the same with -snapshot: the image file's MD5 is unchanged.
# Exit 77 (skipped) without the kernel cache (tests/linux/fetch.sh), syslinux or mtools.
set -u
build=${1:?usage: linux-syslinux.sh BUILD_DIR [boot|rw|snapshot]}
mode=${2:-boot}
here=$(cd "$(dirname "$0")" && pwd)
cache=${SOFTVISOR_CACHE:-${HOME:-/tmp}/.cache/softvisor}
kernel=$cache/linux/vmlinuz-amd64
if [ ! -s "$kernel" ] || ! command -v syslinux > /dev/null || ! command -v mcopy > /dev/null ||
   ! command -v mkfs.fat > /dev/null || [ ! -r /usr/share/seabios/bios-256k.bin ]; then
    echo "SKIP: needs $kernel (tests/linux/fetch.sh), syslinux, mtools, dosfstools and seabios (./dev.sh setup)"
    exit 77
fi
T=$(mktemp -d /tmp/softvisor-syslinux-XXXXXX)
trap 'rm -rf "$T"' EXIT

md5() { md5sum "$1" | cut -d' ' -f1; }
if [ "$mode" = boot ]; then
    "$here/../linux/mkinitramfs.sh" "$T/initrd.gz" > "$T/mkinitramfs.log" 2>&1 ||
        { echo "FAIL: mkinitramfs.sh"; cat "$T/mkinitramfs.log"; exit 1; }
else
    deb=$(ls "$cache"/debs/linux-image-*-amd64_*_amd64.deb 2> /dev/null | head -n 1)
    [ -n "$deb" ] || { echo "SKIP: needs the linux-image .deb in $cache/debs (tests/linux/fetch.sh)"; exit 77; }
    adds=$("$here/../linux/ide-modules.sh" "$deb" "$T/deb") || { echo "FAIL: ide-modules.sh"; exit 1; }
    mods=$(cat "$T/deb/order")
    yes GUEST-WROTE-THIS | head -c 65536 > "$T/guest"
    cat > "$T/init" <<SH
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
for m in $mods; do insmod /lib/modules/\$m.ko || echo "IDE-INSMOD-FAIL \$m"; done
i=0
while [ ! -b /dev/sda ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
yes GUEST-WROTE-THIS | head -c 65536 | dd of=/dev/sda bs=4096 seek=8192 conv=fsync 2>/dev/null &&
    echo SOFTVISOR-LINUX-PASS wrote
poweroff -f
SH
    # shellcheck disable=SC2086
    "$here/../linux/mkinitramfs.sh" --init "$T/init" $adds "$T/initrd.gz" > "$T/mkinitramfs.log" 2>&1 ||
        { echo "FAIL: mkinitramfs.sh"; cat "$T/mkinitramfs.log"; exit 1; }
fi
"$here/../linux/syslinux-disk.sh" "$kernel" "$T/initrd.gz" "$T/disk.img" > "$T/syslinux.log" 2>&1 &&
    truncate -s 33M "$T/disk.img" ||
    { echo "FAIL: building the SYSLINUX disk image"; cat "$T/syslinux.log"; exit 1; }

before=$(md5 "$T/disk.img")
snap=""
[ "$mode" = snapshot ] && snap=-snapshot

fails=0
# About 45 s on an idle host core.
# shellcheck disable=SC2086
timeout 900 "$build/frontends/softvisor" -m 128M -display none -serial file:"$T/softvisor.log" -no-reboot \
    -hda "$T/disk.img" $snap < /dev/null > "$T/out" 2> "$T/err"
rc=$?
if [ "$rc" -ne 0 ] || ! grep -aq 'SOFTVISOR-LINUX-PASS' "$T/softvisor.log" ||
   ! grep -aq 'reboot: Power down' "$T/softvisor.log"; then
    echo "FAIL: softvisor: exit status $rc; no SOFTVISOR-LINUX-PASS and power-off on the serial console"
    cat "$T/err"; tail -n 30 "$T/softvisor.log"
    fails=$((fails + 1))
else
    echo "ok: softvisor: SeaBIOS -> SYSLINUX -> Linux from IDE: $(grep -a 'SOFTVISOR-LINUX-PASS' "$T/softvisor.log")"
fi
if [ "$mode" = rw ] &&
   [ "$(dd if="$T/disk.img" bs=4096 skip=8192 count=16 2> /dev/null | md5sum | cut -d' ' -f1)" != "$(md5 "$T/guest")" ]; then
    echo "FAIL: rw: the guest's write is not in the image file"
    fails=$((fails + 1))
fi
if [ "$mode" = snapshot ] && [ "$(md5 "$T/disk.img")" != "$before" ]; then
    echo "FAIL: snapshot: the image file changed under -snapshot"
    fails=$((fails + 1))
fi
if [ "$mode" = boot ] && command -v qemu-system-x86_64 > /dev/null; then
    timeout 300 qemu-system-x86_64 -accel tcg -m 128M -display none -serial file:"$T/qemu.log" -no-reboot \
        -drive file="$T/disk.img",format=raw,if=ide < /dev/null > /dev/null 2>&1
    if ! grep -aq 'SOFTVISOR-LINUX-PASS' "$T/qemu.log"; then
        echo "FAIL: QEMU does not boot the image to SOFTVISOR-LINUX-PASS (the test is wrong)"
        tail -n 30 "$T/qemu.log"
        fails=$((fails + 1))
    else
        echo "ok: QEMU boots the same image"
    fi
fi
[ "$fails" -eq 0 ]
