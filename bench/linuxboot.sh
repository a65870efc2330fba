#!/bin/sh
# linuxboot.sh [BUILDDIR] — the Linux benchmark: boots Debian 12's amd64 kernel (fetched by
# tests/linux/fetch.sh) with a busybox initramfs whose /init runs bench/guest/cpubench (sorting,
# hashing, an LZ compressor, a bytecode interpreter) and powers off, under softvisor and under
# qemu-system-x86_64 -accel tcg, in one run, with the same kernel, initramfs, command line and
# RAM.  The host timestamps the serial lines as they arrive and prints, for both emulators:
#   boot to /init   host wall time from the start until the kernel's "Run /init" line
#   cpubench        host wall time from CPUBENCH-BEGIN to CPUBENCH-END, and per phase
#   total           wall and CPU time of the whole run (boot, benchmark, power-off)
# and the softvisor/QEMU ratios.  The benchmark's checksums must agree between the two.
# Environment: LINUXBOOT_RAM (default 256M), LINUXBOOT_SCALE (cpubench work factor, default 1),
# LINUXBOOT_SOFTVISOR_ARGS (extra softvisor options, e.g. "-jit-threshold 4"; split at blanks).
set -eu
builddir=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
exe="$builddir/frontends/softvisor"
bench="$builddir/bench/guest/cpubench"
[ -x "$exe" ] && [ -x "$bench" ] || { echo "linuxboot.sh: build first (ninja -C $builddir)" >&2; exit 2; }
kdir=$("$here/../tests/linux/fetch.sh" amd64 | tail -n 1)
scale=${LINUXBOOT_SCALE:-1}
initrd="$builddir/bench/linuxboot.cpio.gz"
"$here/cpubench-initramfs.sh" "$builddir" "$initrd" "$scale"
exec python3 - "$here" "$exe" "$kdir/vmlinuz-amd64" "$initrd" "${LINUXBOOT_RAM:-256M}" \
    "${LINUXBOOT_SOFTVISOR_ARGS:-}" <<'PY'
import os, re, resource, shutil, subprocess, sys, time

sys.dont_write_bytecode = True   # nothing written into the source tree
sys.path.insert(0, sys.argv[1])
from benchutil import proc_cpu

exe, kernel, initrd, ram, extra = sys.argv[2:7]
cmdline = "console=ttyS0 panic=-1"
LIMIT = 3600

def run(name, cmd):
    """Runs cmd; marks[key] = (host wall s, emulator CPU s) when the serial line arrived."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    marks, sums, tail = {}, {}, []
    for raw in p.stdout:
        t = (time.monotonic() - t0, proc_cpu(p.pid))
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        tail = (tail + [line])[-15:]
        if "Run /init" in line and "init" not in marks:
            marks["init"] = t
        m = re.match(r"CPUBENCH-(\S+) (\S+)", line)
        if m:
            marks[m.group(1)] = t
            if m.group(1) != "BEGIN":
                sums[m.group(1)] = m.group(2)
        if t[0] > LIMIT:
            p.kill()
            break
    err = p.stderr.read().decode("utf-8", "replace")
    status = p.wait()
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    ok = status == 0 and "END" in marks and "init" in marks
    if not ok:
        print(f"{name}: run failed (status {status}); output ends with:")
        print("\n".join("    " + l for l in tail + err.splitlines()[-5:]))
    return {"marks": marks, "sums": sums, "wall": wall, "cpu": cpu, "ok": ok, "err": err}

PHASES = ["sort", "hash", "lz", "interp"]

def show(name, r):
    """Prints one emulator's figures; returns {interval: (wall, cpu)}."""
    m = r["marks"]
    def span(a, b):
        if a not in m or b not in m:
            return None
        cpu = m[b][1] - m[a][1] if m[a][1] is not None and m[b][1] is not None else None
        return (m[b][0] - m[a][0], cpu)
    spans = {"init": (m["init"][0], m["init"][1]) if "init" in m else None,
             "cpubench": span("BEGIN", "END")}
    prev = "BEGIN"
    for ph in PHASES:
        spans[ph] = span(prev, ph)
        prev = ph
    spans["total"] = (r["wall"], r["cpu"])
    def fmt(v):
        if v is None:
            return "-"
        return f"{v[0]:.2f} s wall / {v[1]:.2f} s CPU" if v[1] is not None else f"{v[0]:.2f} s wall"
    print(f"{name}:")
    print(f"  boot to /init  {fmt(spans['init'])}")
    print(f"  cpubench       {fmt(spans['cpubench'])}")
    for ph in PHASES:
        print(f"    {ph:12s} {fmt(spans[ph])}")
    print(f"  whole run      {fmt(spans['total'])}")
    return spans

qemu = shutil.which("qemu-system-x86_64")
print(f"kernel {os.path.basename(kernel)}, {ram} RAM, command line '{cmdline}'; "
      "times are host wall clock and the emulator's CPU time when the serial line arrived")
if extra.split():
    print(f"softvisor options: {extra}")
sv = run("softvisor", [exe, "-m", ram, "-no-reboot", "-stats"] + extra.split() +
         ["-kernel", kernel, "-initrd", initrd, "-append", cmdline])
svs = show("softvisor", sv)
n = re.search(r"(\d+) instructions retired", sv["err"])
if n:
    print(f"  {int(n.group(1))} guest instructions in all, {int(n.group(1)) / sv['cpu'] / 1e6:.1f} MIPS per CPU second")
if not qemu:
    print("qemu-system-x86_64 not installed: no comparison")
    sys.exit(0 if sv["ok"] else 1)
q = run("qemu-tcg", [qemu, "-accel", "tcg", "-m", ram, "-nodefaults", "-display", "none", "-serial", "stdio",
                     "-monitor", "none", "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", cmdline])
qs = show("qemu-tcg", q)
print("checksums:", " ".join(f"{k}={v}" for k, v in q["sums"].items()))
if sv["ok"] and q["ok"]:
    if sv["sums"] != q["sums"]:
        print(f"CHECKSUM MISMATCH: softvisor {sv['sums']} vs qemu {q['sums']}")
        sys.exit(1)
    print("checksums agree")
    def ratio(k):
        a, b = svs.get(k), qs.get(k)
        if not a or not b:
            return "-"
        w = f"{a[0] / b[0]:.2f} wall"
        return w + (f", {a[1] / b[1]:.2f} CPU" if a[1] and b[1] else "")
    print("ratio softvisor/qemu:")
    for k in ["init", "cpubench"] + PHASES + ["total"]:
        label = {"init": "boot to /init", "total": "whole run"}.get(k, k)
        print(f"  {label:14s} {ratio(k)}")
sys.exit(0 if sv["ok"] and q["ok"] else 1)
PY
