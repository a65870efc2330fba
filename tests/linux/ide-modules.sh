#!/bin/sh
# ide-modules.sh DEB DIR — extracts the modules an initramfs needs for IDE disks and CD-ROMs
# (ata_piix, libata, scsi, sd, sr, cdrom, isofs and sd's CRC helpers; all modules in Debian's
# kernel) from the linux-image package DEB into DIR, and prints mkinitramfs.sh --add options that
# put them at /lib/modules/NAME.ko.  The load order is in the first line of DIR/order.
set -eu
deb=$1
dir=$2
mods="scsi_common scsi_mod libata ata_piix cdrom sr_mod crct10dif_common crct10dif_generic crc-t10dif
      crc64 crc64_rocksoft_generic crc64-rocksoft t10-pi sd_mod isofs"
mkdir -p "$dir"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards './lib/modules/*.ko'
echo $mods >"$dir/order"
for m in $mods; do
    f=$(find "$dir/lib/modules" -name "$m.ko" | head -n 1)
    [ -n "$f" ] || { echo "ide-modules.sh: module $m not in $deb" >&2; exit 1; }
    printf ' --add %s=/lib/modules/%s.ko' "$f" "$m"
done
