#!/bin/sh
# syslinux-disk.sh [--serial] KERNEL INITRD OUT.img — builds a raw disk image that a BIOS boots
# into Linux through Debian's SYSLINUX, without root privileges: a 32 MiB FAT file system with no
# partition table (mkfs.fat; the kernel and initramfs copied in with mcopy; syslinux --install
# writes SYSLINUX's boot sector and ldlinux.sys through mtools) whose syslinux.cfg boots the
# kernel at once with "console=ttyS0 panic=-1".  --serial adds "SERIAL 0 115200": SYSLINUX's own
# messages then also go to COM1.  The caller may grow the image past 32 MiB (truncate -s) for
# space outside the file system.  Used by tests/display/linux-syslinux.sh and bench/disk.sh.
set -eu
serial=""
if [ "${1:-}" = --serial ]; then
    serial="SERIAL 0 115200"
    shift
fi
[ $# -eq 3 ] || { echo "usage: syslinux-disk.sh [--serial] KERNEL INITRD OUT.img" >&2; exit 2; }
kernel=$1 initrd=$2 out=$3
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
{
    [ -z "$serial" ] || echo "$serial"
    cat <<CFG
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=ttyS0 panic=-1
CFG
} > "$cfg"
rm -f "$out"
truncate -s 32M "$out"
mkfs.fat -n SVBOOT "$out" > /dev/null
mcopy -i "$out" "$kernel" ::vmlinuz
mcopy -i "$out" "$initrd" ::initrd.gz
mcopy -i "$out" "$cfg" ::syslinux.cfg
syslinux --install "$out"
