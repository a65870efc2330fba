#!/bin/sh
# disk.sh [BUILDDIR] — boot time from an IDE disk through SeaBIOS, and IDE disk throughput inside
# Debian 12's amd64 kernel (tests/linux/fetch.sh), under softvisor and under qemu-system-x86_64
# -accel tcg, in one run, each booting a copy of the same raw image with the same RAM and no
# -kernel: the firmware (SeaBIOS, bios-256k.bin, in both) boots the disk from -hda.
#
# The image is built as tests/display/linux-syslinux.sh builds its own, without root
# (tests/linux/syslinux-disk.sh): a 32 MiB FAT file system with no partition table holding
# SYSLINUX, the kernel, syslinux.cfg and an initramfs (the ata_piix/sd modules,
# tests/linux/ide-modules.sh), followed by DISK_MB MiB + 1 MiB that the benchmark writes and reads.  The guest's /init prints
# DISK-BOOT-INIT first, loads the modules, writes DISK_MB MiB at 32 MiB of /dev/sda (past the
# file system) with dd conv=fsync, drops its caches, reads them back with dd, and powers off.
#
# The host timestamps the serial lines as they arrive (syslinux.cfg's SERIAL line puts SYSLINUX's
# messages on COM1 too) and prints, for both emulators, host wall time and the emulator's CPU time
# (user + system, all threads, from /proc) at:
#   SYSLINUX      its first line on COM1: SeaBIOS ran and read SYSLINUX from the disk
#   /init         DISK-BOOT-INIT: SYSLINUX loaded the kernel and initramfs through the BIOS's
#                 INT 13h, and the kernel booted to its first userspace line
#   power-off     the end of the run
# then the write and the read (MiB/s of host wall time, and both times), and the softvisor/QEMU
# ratios of wall and CPU time.  The checksums of the data read back must agree.  On a shared
# host the wall times depend on the load (printed at the start and the end); the CPU times much
# less so.
# Environment: DISK_MB (default 16), DISK_RAM (default 256M).
set -eu
builddir=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
exe="$builddir/frontends/softvisor"
[ -x "$exe" ] || { echo "disk.sh: build first (ninja -C $builddir)" >&2; exit 2; }
for t in syslinux mcopy mkfs.fat; do
    command -v $t >/dev/null || { echo "disk.sh: needs $t (./dev.sh setup installs syslinux, mtools, dosfstools)" >&2; exit 2; }
done
[ -r /usr/share/seabios/bios-256k.bin ] || { echo "disk.sh: needs Debian's seabios package" >&2; exit 2; }
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
echo DISK-BOOT-INIT
for m in $(cat "$tmp/mods/order"); do insmod /lib/modules/\$m.ko; done
i=0
while [ ! -b /dev/sda ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
echo DISK-WRITE-BEGIN
yes softvisor-disk-bench | head -c $((mb * 1048576)) | dd of=/dev/sda bs=1M seek=32 conv=fsync 2>/dev/null
echo DISK-WRITE-END
echo 3 >/proc/sys/vm/drop_caches
echo DISK-READ-BEGIN
sum=\$(dd if=/dev/sda bs=1M skip=32 count=$mb 2>/dev/null | md5sum | cut -d' ' -f1)
echo DISK-READ-END
echo "DISK-SUM \$sum"
poweroff -f
SH
# shellcheck disable=SC2086
"$here/../tests/linux/mkinitramfs.sh" --init "$tmp/init" $adds "$tmp/initrd.gz"
"$here/../tests/linux/syslinux-disk.sh" --serial "$kdir/vmlinuz-amd64" "$tmp/initrd.gz" "$tmp/disk.img"
truncate -s $((32 + mb + 1))M "$tmp/disk.img"
exec python3 - "$here" "$exe" "${DISK_RAM:-256M}" "$tmp/disk.img" "$mb" <<'PY'
import os, resource, shutil, subprocess, sys, time

sys.dont_write_bytecode = True   # nothing written into the source tree
sys.path.insert(0, sys.argv[1])
from benchutil import proc_cpu

exe, ram, image, mb = sys.argv[2:6]
mb = int(mb)
common = ["-m", ram, "-no-reboot"]
LIMIT = 3600
MARKS = ("DISK-BOOT-INIT", "DISK-WRITE-BEGIN", "DISK-WRITE-END", "DISK-READ-BEGIN", "DISK-READ-END")

def run(name, cmd, img):
    """Boots a copy of the image; returns {mark: (host wall s, emulator CPU s)} and the checksum."""
    shutil.copyfile(image, img)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd + ["-drive", f"file={img},format=raw,if=ide,index=0"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    marks, tail, total = {}, [], None
    for raw in p.stdout:
        t = (time.monotonic() - t0, proc_cpu(p.pid))
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        tail = (tail + [line])[-15:]
        if "SYSLINUX" in line and "syslinux" not in marks:
            marks["syslinux"] = t
        for key in MARKS:
            if key in line and key not in marks:
                marks[key] = t
        if "DISK-SUM " in line:
            marks["sum"] = line.split("DISK-SUM ")[1].split()[0]
        if t[0] > LIMIT:
            p.kill()
            break
    status = p.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    marks["end"] = (time.monotonic() - t0,
                    (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    if status != 0 or any(k not in marks for k in ("syslinux", "sum") + MARKS):
        sys.exit(f"disk.sh: {name} did not finish the benchmark (status {status}):\n" + "\n".join(tail))
    os.unlink(img)
    return marks

def fmt(t):
    return f"{t[0]:7.2f} s wall {t[1]:7.2f} s CPU" if t[1] is not None else f"{t[0]:7.2f} s wall"

def span(m, a, b):
    cpu = m[b][1] - m[a][1] if m[a][1] is not None and m[b][1] is not None else None
    return (m[b][0] - m[a][0], cpu)

def show(name, m):
    m["write"] = span(m, "DISK-WRITE-BEGIN", "DISK-WRITE-END")
    m["read"] = span(m, "DISK-READ-BEGIN", "DISK-READ-END")
    print(f"{name}:")
    print(f"  boot to SYSLINUX  {fmt(m['syslinux'])}")
    print(f"  boot to /init     {fmt(m['DISK-BOOT-INIT'])}")
    print(f"  to power-off      {fmt(m['end'])}")
    for k in ("write", "read"):
        print(f"  {k:5s} {mb / m[k][0]:7.2f} MiB/s  {fmt(m[k])}")

qemu = shutil.which("qemu-system-x86_64")
if not qemu:
    sys.exit("disk.sh: no qemu-system-x86_64 for the comparison")
print(f"{ram} RAM, {mb} MiB written and read; SeaBIOS -> SYSLINUX -> Linux from -hda; "
      f"{os.cpu_count()} host CPUs, load average {os.getloadavg()[0]:.2f} at the start")
sv = run("softvisor", [exe, "-display", "none", "-pace", "off"] + common, image + ".sv")
q = run("qemu-tcg", [qemu, "-accel", "tcg", "-M", "pc", "-cpu", "max", "-display", "none",
                     "-serial", "stdio", "-monitor", "none"] + common, image + ".qemu")
if sv["sum"] != q["sum"]:
    sys.exit(f"disk.sh: the data read back differs: softvisor {sv['sum']}, QEMU {q['sum']}")
show("softvisor", sv)
show("qemu-tcg", q)
print(f"load average {os.getloadavg()[0]:.2f} at the end")

def ratio(k):
    a, b = sv[k], q[k]
    cpu = f", {a[1] / b[1]:.2f} CPU" if a[1] and b[1] else ""
    return f"{a[0] / b[0]:.2f} wall{cpu}"

print("softvisor/QEMU time ratio (below 1: softvisor faster):")
print(f"  boot to SYSLINUX  {ratio('syslinux')}")
print(f"  boot to /init     {ratio('DISK-BOOT-INIT')}")
print(f"  to power-off      {ratio('end')}")
print(f"  write             {ratio('write')}")
print(f"  read              {ratio('read')}")
PY
