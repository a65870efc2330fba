#!/bin/sh
# disk.sh [BUILDDIR] — IDE disk throughput inside Debian 12's amd64 kernel (tests/linux/fetch.sh),
# under softvisor and under qemu-system-x86_64 -accel tcg, in one run, on copies of the same raw
# image with the same kernel, initramfs (ata_piix/sd modules, tests/linux/ide-modules.sh),
# command line and RAM.  The guest's /init writes DISK_MB MiB to /dev/sda with dd conv=fsync,
# drops its caches, reads them back with dd, and powers off; the host timestamps the serial lines
# around each step and prints MiB/s of host wall time for both emulators and the
# softvisor/QEMU ratios.  The checksums of the data read back must agree.
# (Boot time from the disk through SeaBIOS is to be added here once softvisor boots SeaBIOS.)
# Environment: DISK_MB (default 16), DISK_RAM (default 256M).
set -eu
builddir=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
exe="$builddir/frontends/softvisor"
[ -x "$exe" ] || { echo "disk.sh: build first (ninja -C $builddir)" >&2; exit 2; }
kdir=$("$here/../tests/linux/fetch.sh" amd64 | tail -n 1)
cache=${SOFTVISOR_CACHE:-${HOME:-/tmp}/.cache/softvisor}
deb=$(ls "$cache"/debs/linux-image-*-amd64_*_amd64.deb | head -n 1)
mb=${DISK_MB:-16}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
adds=$("$here/../tests/linux/ide-modules.sh" "$deb" "$tmp/mods")
cat >"$tmp/init" <<SH
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
for m in $(cat "$tmp/mods/order"); do insmod /lib/modules/\$m.ko; done
i=0
while [ ! -b /dev/sda ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
echo DISK-WRITE-BEGIN
yes softvisor-disk-bench | head -c $((mb * 1048576)) | dd of=/dev/sda bs=1M conv=fsync 2>/dev/null
echo DISK-WRITE-END
echo 3 >/proc/sys/vm/drop_caches
echo DISK-READ-BEGIN
sum=\$(dd if=/dev/sda bs=1M count=$mb 2>/dev/null | md5sum | cut -d' ' -f1)
echo DISK-READ-END
echo "DISK-SUM \$sum"
poweroff -f
SH
# shellcheck disable=SC2086
"$here/../tests/linux/mkinitramfs.sh" --init "$tmp/init" $adds "$tmp/initrd.gz"
truncate -s $((mb + 16))M "$tmp/disk.img"
exec python3 - "$exe" "$kdir/vmlinuz-amd64" "$tmp/initrd.gz" "${DISK_RAM:-256M}" "$tmp/disk.img" "$mb" <<'PY'
import shutil, subprocess, sys, time

exe, kernel, initrd, ram, image, mb = sys.argv[1:7]
mb = int(mb)
common = ["-m", ram, "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1"]

def run(name, cmd, img):
    shutil.copyfile(image, img)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd + ["-drive", f"file={img},format=raw,if=ide,index=0"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    marks, tail, total = {}, [], None
    for raw in p.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        tail = (tail + [line])[-15:]
        for key in ("DISK-WRITE-BEGIN", "DISK-WRITE-END", "DISK-READ-BEGIN", "DISK-READ-END"):
            if line.startswith(key):
                marks[key] = time.monotonic() - t0
        if line.startswith("DISK-SUM "):
            marks["sum"] = line.split()[1]
    p.wait()
    if len(marks) < 5:
        sys.exit(f"disk.sh: {name} did not finish the benchmark (status {p.returncode}):\n" + "\n".join(tail))
    w = marks["DISK-WRITE-END"] - marks["DISK-WRITE-BEGIN"]
    r = marks["DISK-READ-END"] - marks["DISK-READ-BEGIN"]
    print(f"{name:9s}  write {mb / w:8.2f} MiB/s ({w:.2f} s)   read {mb / r:8.2f} MiB/s ({r:.2f} s)")
    return w, r, marks["sum"]

sv = run("softvisor", [exe, "-display", "none"] + common, image + ".sv")
qemu = shutil.which("qemu-system-x86_64")
if not qemu:
    sys.exit("disk.sh: no qemu-system-x86_64 for the comparison")
q = run("qemu-tcg", [qemu, "-accel", "tcg", "-M", "pc", "-cpu", "max", "-display", "none", "-serial", "stdio",
                     "-monitor", "none"] + common, image + ".qemu")
if sv[2] != q[2]:
    sys.exit(f"disk.sh: the data read back differs: softvisor {sv[2]}, QEMU {q[2]}")
print(f"softvisor/QEMU time ratio: write {sv[0] / q[0]:.2f}, read {sv[1] / q[1]:.2f} (below 1: softvisor faster)")
PY
