#!/bin/sh
# fploop.sh [BUILDDIR] — the floating-point benchmark: runs bench/guest/fploop.asm, built twice
# (fploop-scalar.bin: ADDSD/MULSD/DIVSD/SQRTSD, N = 60,000 iterations of 5120 flops = 3.1e8
# flops; fploop-packed.bin: ADDPD/MULPD array update and 8x8 matrix multiply, N = 250,000
# iterations of 1792 flops = 4.5e8 flops), under softvisor and under qemu-system-x86_64 -accel tcg
# in one run, and prints per phase the wall and CPU time, guest MFLOPS, guest MIPS and the time
# ratio.  The flop count is the one the guest prints (N * flops per iteration, from its loop
# counts); the instruction count comes from softvisor (-stats).  Both runs must print the
# checksum QEMU produced when the guest was written (the guest checks it).
set -eu
builddir=${1:-build}
exe="$builddir/frontends/softvisor"
roms="$builddir/bench/guest/fploop-scalar.bin $builddir/bench/guest/fploop-packed.bin"
[ -x "$exe" ] || { echo "fploop.sh: build first (ninja -C $builddir)" >&2; exit 2; }
for rom in $roms; do
    [ -f "$rom" ] || { echo "fploop.sh: build first (ninja -C $builddir)" >&2; exit 2; }
done
exec python3 - "$exe" $roms <<'PY'
import os, re, resource, shutil, subprocess, sys, tempfile, time

exe, roms = sys.argv[1], sys.argv[2:]
qemu = shutil.which("qemu-system-x86_64")

def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p, wall, cpu

def rate(count, wall, cpu, unit):
    return f"{count / wall / 1e6:8.1f} {unit} ({count / cpu / 1e6:.1f} per CPU second)"

failed = False
with tempfile.TemporaryDirectory() as d:
    for rom in roms:
        phase = os.path.basename(rom)[len("fploop-"):-len(".bin")]
        print(f"== {phase} phase ({os.path.basename(rom)})")
        log = os.path.join(d, phase + ".sv.log")
        p, sv_wall, sv_cpu = run([exe, "-m", "32", "-no-reboot", "-bios", rom, "-debugcon", "file:" + log,
                                  "-stats"])
        text = open(log).read()
        print(text, end="")
        if p.returncode != 33:
            sys.exit(f"fploop.sh: softvisor run failed (status {p.returncode})\n{p.stderr}")
        m = re.search(r"flops 0x([0-9a-fA-F]+)", text)
        if not m:
            sys.exit("fploop.sh: the guest printed no flop count")
        flops = int(m.group(1), 16)
        n = int(p.stderr.split(" instructions retired")[0].split()[-1])
        print(f"guest flops: {flops} ({flops / n:.2f} per instruction), guest instructions: {n}")
        print(f"softvisor: {sv_wall:6.2f} s wall, {sv_cpu:6.2f} s CPU, {rate(flops, sv_wall, sv_cpu, 'MFLOPS')}, "
              f"{n / sv_wall / 1e6:.1f} MIPS")
        if not qemu:
            print("qemu-system-x86_64 not installed: no comparison")
            continue
        qlog = os.path.join(d, phase + ".q.log")
        q, q_wall, q_cpu = run([qemu, "-accel", "tcg", "-m", "32", "-nographic", "-no-reboot", "-bios", rom,
                                "-debugcon", "file:" + qlog, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                                "-monitor", "none", "-serial", "none"])
        print(open(qlog).read(), end="")
        if q.returncode != 33:
            print(f"fploop.sh: QEMU run failed (status {q.returncode})")
            failed = True
        print(f"qemu-tcg:  {q_wall:6.2f} s wall, {q_cpu:6.2f} s CPU, {rate(flops, q_wall, q_cpu, 'MFLOPS')}, "
              f"{n / q_wall / 1e6:.1f} MIPS")
        print(f"time ratio softvisor/qemu: {sv_wall / q_wall:.2f} wall, {sv_cpu / q_cpu:.2f} CPU")
sys.exit(1 if failed else 0)
PY
