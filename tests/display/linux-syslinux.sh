#!/bin/sh
# linux-syslinux.sh BUILD_DIR -- Debian's amd64 kernel boots from an IDE disk through SeaBIOS and
# Debian's SYSLINUX (issue 12): no -kernel, just -hda.  The disk is a 32 MiB FAT image without a
# partition table, built without root privileges (mkfs.fat, mcopy, syslinux --install, which
# writes SYSLINUX's boot sector and ldlinux.sys through mtools) holding the kernel, the
# self-checking initramfs (tests/linux/mkinitramfs.sh) and syslinux.cfg.  Passes when the serial
# console shows SOFTVISOR-LINUX-PASS and the kernel powered off (exit status 0).  When
# qemu-system-x86_64 is installed the same image boots there too (to show the image is right).
# Exit 77 (skipped) without the kernel cache (tests/linux/fetch.sh), syslinux or mtools.
set -u
build=${1:?usage: linux-syslinux.sh BUILD_DIR}
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

"$here/../linux/mkinitramfs.sh" "$T/initrd.gz" > "$T/mkinitramfs.log" 2>&1 ||
    { echo "FAIL: mkinitramfs.sh"; cat "$T/mkinitramfs.log"; exit 1; }
cat > "$T/syslinux.cfg" <<CFG
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=ttyS0 panic=-1
CFG
truncate -s 32M "$T/disk.img" &&
    mkfs.fat -n SVBOOT "$T/disk.img" > /dev/null &&
    mcopy -i "$T/disk.img" "$kernel" ::vmlinuz &&
    mcopy -i "$T/disk.img" "$T/initrd.gz" ::initrd.gz &&
    mcopy -i "$T/disk.img" "$T/syslinux.cfg" ::syslinux.cfg &&
    syslinux --install "$T/disk.img" || { echo "FAIL: building the SYSLINUX disk image"; exit 1; }

fails=0
# About 45 s on an idle host core.
timeout 900 "$build/frontends/softvisor" -m 128M -display none -serial file:"$T/softvisor.log" -no-reboot \
    -hda "$T/disk.img" < /dev/null > "$T/out" 2> "$T/err"
rc=$?
if [ "$rc" -ne 0 ] || ! grep -aq 'SOFTVISOR-LINUX-PASS' "$T/softvisor.log" ||
   ! grep -aq 'reboot: Power down' "$T/softvisor.log"; then
    echo "FAIL: softvisor: exit status $rc; no SOFTVISOR-LINUX-PASS and power-off on the serial console"
    cat "$T/err"; tail -n 30 "$T/softvisor.log"
    fails=$((fails + 1))
else
    echo "ok: softvisor: SeaBIOS -> SYSLINUX -> Linux from IDE: $(grep -a 'SOFTVISOR-LINUX-PASS' "$T/softvisor.log")"
fi
if command -v qemu-system-x86_64 > /dev/null; then
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
