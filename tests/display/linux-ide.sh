#!/bin/sh
# linux-ide.sh BUILD_DIR rw|snapshot — Debian's amd64 kernel (-kernel, no firmware) reads and
# writes an IDE disk and reads an IDE CD-ROM through ata_piix, sd and sr (modules from the
# linux-image package, loaded by the initramfs's /init).  One boot.
#   disk:  a raw 4 MiB image; its first MiB is a pattern whose MD5 the guest checks through
#          /dev/sda; the guest writes 64 KiB at 2 MiB with conv=fsync (FLUSH CACHE), drops its
#          caches and reads them back.
#          rw: the host then finds the guest's bytes at 2 MiB in the image file.
#          snapshot (-snapshot): the image file's MD5 is unchanged after the run.
#   CD:    an ISO 9660 image built with xorriso: the MD5 of all of /dev/sr0 is the ISO's, and a
#          file read through an iso9660 mount has the host's MD5.
# Exit 77 (skipped) without the kernel cache (tests/linux/fetch.sh) or xorriso.
set -eu
build=$1
mode=$2
here=$(cd "$(dirname "$0")" && pwd)
cache=${SOFTVISOR_CACHE:-${HOME:-/tmp}/.cache/softvisor}
kernel=$cache/linux/vmlinuz-amd64
deb=$(ls "$cache"/debs/linux-image-*-amd64_*_amd64.deb 2>/dev/null | head -n 1 || true)
if [ ! -s "$kernel" ] || [ -z "$deb" ] || ! command -v xorriso >/dev/null; then
    echo "SKIP: needs $kernel, the linux-image .deb in $cache/debs (tests/linux/fetch.sh) and xorriso"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The modules (ata_piix/libata/scsi and sd/sr are modules in Debian's kernel).
adds=$("$here/../linux/ide-modules.sh" "$deb" "$tmp/deb")
mods=$(cat "$tmp/deb/order")

# The disk and the CD.
yes SOFTVISOR-IDE-PATTERN | head -c 1048576 >"$tmp/pattern"
cp "$tmp/pattern" "$tmp/disk.img"
truncate -s 4M "$tmp/disk.img"
yes GUEST-WROTE-THIS | head -c 65536 >"$tmp/guest"
mkdir "$tmp/iso"
seq 1 150000 >"$tmp/iso/data.txt"
xorriso -as mkisofs -quiet -V SVTEST -o "$tmp/cd.iso" "$tmp/iso"
md5() { md5sum "$1" | cut -d' ' -f1; }
before=$(md5 "$tmp/disk.img")

cat >"$tmp/init" <<SH
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
for m in $mods; do insmod /lib/modules/\$m.ko || echo "IDE-INSMOD-FAIL \$m"; done
i=0
while { [ ! -b /dev/sda ] || [ ! -b /dev/sr0 ]; } && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
bad=""
check() { if [ "\$2" = "\$3" ]; then echo "IDE-CHECK \$1 ok"; else echo "IDE-CHECK \$1 bad: \$2 != \$3"; bad="\$bad \$1"; fi; }
sum() { md5sum | cut -d' ' -f1; }
check disk-pattern "\$(dd if=/dev/sda bs=4096 count=256 2>/dev/null | sum)" $(md5 "$tmp/pattern")
yes GUEST-WROTE-THIS | head -c 65536 | dd of=/dev/sda bs=4096 seek=512 conv=fsync 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
check disk-readback "\$(dd if=/dev/sda bs=4096 skip=512 count=16 2>/dev/null | sum)" $(md5 "$tmp/guest")
check cd-device "\$(dd if=/dev/sr0 bs=2048 2>/dev/null | sum)" $(md5 "$tmp/cd.iso")
mkdir -p /mnt
mount -t iso9660 -o ro /dev/sr0 /mnt && check cd-file "\$(sum </mnt/data.txt)" $(md5 "$tmp/iso/data.txt")
umount /mnt 2>/dev/null
if [ -z "\$bad" ]; then echo SOFTVISOR-IDE-PASS; else echo "SOFTVISOR-IDE-FAIL\$bad"; fi
poweroff -f
SH
# shellcheck disable=SC2086
"$here/../linux/mkinitramfs.sh" --init "$tmp/init" $adds "$tmp/initrd.gz"

snap=""
[ "$mode" = snapshot ] && snap=-snapshot
rc=0
timeout "${SOFTVISOR_LINUX_TIMEOUT:-900}" "$build/frontends/softvisor" -m 128M -no-reboot -display none \
    -kernel "$kernel" -initrd "$tmp/initrd.gz" -append "console=ttyS0 panic=-1" \
    -hda "$tmp/disk.img" -cdrom "$tmp/cd.iso" $snap >"$tmp/log" 2>&1 </dev/null || rc=$?
grep -E "IDE-CHECK|IDE-INSMOD|SOFTVISOR-IDE|ata[0-9]|scsi |sr0|sda" "$tmp/log" || true
fail=""
grep -q SOFTVISOR-IDE-PASS "$tmp/log" || fail="$fail guest-checks"
[ $rc -eq 0 ] || fail="$fail exit-status-$rc"
if [ "$mode" = snapshot ]; then
    [ "$(md5 "$tmp/disk.img")" = "$before" ] || fail="$fail image-changed-under-snapshot"
else
    [ "$(dd if="$tmp/disk.img" bs=4096 skip=512 count=16 2>/dev/null | md5sum | cut -d' ' -f1)" = "$(md5 "$tmp/guest")" ] \
        || fail="$fail guest-write-not-on-host"
fi
if [ -n "$fail" ]; then
    echo "FAIL:$fail"
    tail -n 40 "$tmp/log"
    exit 1
fi
echo "PASS ($mode)"
