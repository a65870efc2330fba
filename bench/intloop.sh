#!/bin/sh
# intloop.sh [BUILDDIR] — the integer benchmark: runs bench/guest/intloop.asm (≈5e9 guest
# instructions, N = 1,500,000 iterations) under softvisor and under qemu-system-x86_64 -accel tcg
# in one run, and prints wall and CPU time, guest MIPS and the time ratio.  The instruction count
# comes from softvisor (-stats); the guest is deterministic, so QEMU runs the same count.  Both
# runs must print the checksum QEMU produced when the guest was written (the guest checks it).
set -eu
builddir=${1:-build}
exe="$builddir/frontends/softvisor"
rom="$builddir/bench/guest/intloop.bin"
[ -x "$exe" ] && [ -f "$rom" ] || { echo "intloop.sh: build first (ninja -C $builddir)" >&2; exit 2; }
exec python3 - "$exe" "$rom" <<'PY'
import os, resource, shutil, subprocess, sys, tempfile, time

exe, rom = sys.argv[1], sys.argv[2]

def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p, wall, cpu

with tempfile.TemporaryDirectory() as d:
    log = os.path.join(d, "sv.log")
    p, sv_wall, sv_cpu = run([exe, "-m", "32", "-no-reboot", "-bios", rom, "-debugcon", "file:" + log, "-stats"])
    print(open(log).read(), end="")
    if p.returncode != 33:
        sys.exit(f"intloop.sh: softvisor run failed (status {p.returncode})\n{p.stderr}")
    n = int(p.stderr.split(" instructions retired")[0].split()[-1])
    print(f"guest instructions: {n}")
    print(f"softvisor: {sv_wall:6.2f} s wall, {sv_cpu:6.2f} s CPU, {n / sv_wall / 1e6:7.1f} guest MIPS "
          f"({n / sv_cpu / 1e6:.1f} per CPU second)")
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        print("qemu-system-x86_64 not installed: no comparison")
        sys.exit(0)
    qlog = os.path.join(d, "q.log")
    q, q_wall, q_cpu = run([qemu, "-accel", "tcg", "-m", "32", "-nographic", "-no-reboot", "-bios", rom,
                            "-debugcon", "file:" + qlog, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                            "-monitor", "none", "-serial", "none"])
    print(open(qlog).read(), end="")
    if q.returncode != 33:
        print(f"intloop.sh: QEMU run failed (status {q.returncode})")
    print(f"qemu-tcg:  {q_wall:6.2f} s wall, {q_cpu:6.2f} s CPU, {n / q_wall / 1e6:7.1f} guest MIPS "
          f"({n / q_cpu / 1e6:.1f} per CPU second)")
    print(f"time ratio softvisor/qemu: {sv_wall / q_wall:.2f} wall, {sv_cpu / q_cpu:.2f} CPU")
PY
