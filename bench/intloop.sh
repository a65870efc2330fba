#!/bin/sh
# intloop.sh [BUILDDIR] — the integer benchmark: runs bench/guest/intloop.asm (≈5e9 guest
# instructions, N = 1,500,000 iterations) under softvisor and under qemu-system-x86_64 -accel tcg
# in one run, and prints wall time, guest MIPS and the time ratio.  The instruction count comes
# from softvisor (-stats); the guest is deterministic, so QEMU runs the same count.
set -eu
builddir=${1:-build}
exe="$builddir/frontends/softvisor"
rom="$builddir/bench/guest/intloop.bin"
[ -x "$exe" ] && [ -f "$rom" ] || { echo "intloop.sh: build first (ninja -C $builddir)" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log" "$log.q"' EXIT

now() { date +%s.%N; }

t0=$(now)
status=0
"$exe" -m 32 -no-reboot -bios "$rom" -debugcon "file:$log" -stats 2>"$log.stats" || status=$?
t1=$(now)
cat "$log"
[ "$status" -eq 33 ] || { echo "intloop.sh: softvisor run failed (status $status)"; cat "$log.stats"; exit 1; }
insns=$(sed -n 's/.* \([0-9]*\) instructions retired.*/\1/p' "$log.stats")

if command -v qemu-system-x86_64 >/dev/null; then
    t2=$(now)
    qstatus=0
    qemu-system-x86_64 -accel tcg -m 32 -nographic -no-reboot -bios "$rom" -debugcon "file:$log.q" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -monitor none -serial none </dev/null || qstatus=$?
    t3=$(now)
    cat "$log.q"
    [ "$qstatus" -eq 33 ] || echo "intloop.sh: QEMU run failed (status $qstatus)"
else
    t2=0 t3=0
fi
python3 - "$insns" "$t0" "$t1" "$t2" "$t3" <<'PY'
import sys
n = int(sys.argv[1]); t0, t1, t2, t3 = map(float, sys.argv[2:])
sv = t1 - t0
print(f"guest instructions: {n}")
print(f"softvisor: {sv:.2f} s, {n / sv / 1e6:.1f} guest MIPS")
if t3 > t2:
    q = t3 - t2
    print(f"qemu-tcg:  {q:.2f} s, {n / q / 1e6:.1f} guest MIPS")
    print(f"time ratio softvisor/qemu: {sv / q:.2f}")
else:
    print("qemu-system-x86_64 not installed: no comparison")
PY
