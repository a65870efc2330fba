#!/bin/sh
# replay.sh [BUILDDIR] — the record/replay benchmark (issue 10, docs/replay.md): the amd64 boot +
# cpubench guest of bench/linuxboot.sh, in one run:
#   softvisor plain, with -record LOG, with -replay LOG;
#   QEMU TCG with -icount shift=7 plain, with rr=record,rrfile=F and with rr=replay
# and for each: host wall and CPU time of the whole run, the overhead of recording and replaying
# over the plain run of the same emulator, the log's size and (softvisor) bytes per 10^9 guest
# instructions.  The cpubench checksums must agree in every run.  Times depend on the host's
# load: note `uptime` with the figures.
# Environment: LINUXBOOT_RAM (default 256M), LINUXBOOT_SCALE (cpubench work factor, default 1),
# REPLAY_BENCH_QEMU=0 skips QEMU.
set -eu
builddir=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
exe="$builddir/frontends/softvisor"
bench="$builddir/bench/guest/cpubench"
[ -x "$exe" ] && [ -x "$bench" ] || { echo "replay.sh: build first (ninja -C $builddir)" >&2; exit 2; }
kdir=$("$here/../tests/linux/fetch.sh" amd64 | tail -n 1)
initrd="$builddir/bench/replay.cpio.gz"
tmp=$(mktemp -d /tmp/softvisor-replaybench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$here/cpubench-initramfs.sh" "$builddir" "$initrd" "${LINUXBOOT_SCALE:-1}"
echo "load before: $(uptime)"
exec python3 - "$exe" "$kdir/vmlinuz-amd64" "$initrd" "${LINUXBOOT_RAM:-256M}" "$tmp" \
    "${REPLAY_BENCH_QEMU:-1}" <<'PY'
import os, re, resource, shutil, subprocess, sys, time

exe, kernel, initrd, ram, tmp, want_qemu = sys.argv[1:7]
cmdline = "console=ttyS0 panic=-1"
LIMIT = 3600

def run(name, cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=LIMIT)
        status, out, err = p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        status, out, err = "timeout", e.stdout or b"", "timed out"
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sums = dict(re.findall(r"CPUBENCH-(\S+) (\S+)", out.decode("utf-8", "replace")))
    sums.pop("BEGIN", None)
    ok = status == 0 and "END" in sums
    print(f"{name:22s} {wall:8.2f} s wall {cpu:8.2f} s CPU   status {status}", flush=True)
    if not ok:
        print("    " + "\n    ".join(err.strip().splitlines()[-3:]))
    return {"wall": wall, "cpu": cpu, "ok": ok, "sums": sums, "err": err}

def overhead(a, b):
    return f"{(b['cpu'] / a['cpu'] - 1) * 100:+.1f} % CPU, {(b['wall'] / a['wall'] - 1) * 100:+.1f} % wall"

machine = ["-m", ram, "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", cmdline]
log = os.path.join(tmp, "boot.svlog")
print(f"kernel {os.path.basename(kernel)}, {ram} RAM, cpubench; whole runs (boot, benchmark, power-off)")
res = {}
res["sv"] = run("softvisor", [exe] + machine + ["-stats"])
res["sv-rec"] = run("softvisor -record", [exe] + machine + ["-stats", "-record", log])
res["sv-rep"] = run("softvisor -replay", [exe] + machine + ["-stats", "-replay", log])
n = re.search(r"(\d+) instructions retired", res["sv"]["err"])
insns = int(n.group(1)) if n else 0
size = os.path.getsize(log) if os.path.exists(log) else 0
print(f"softvisor: {insns} guest instructions; recording {overhead(res['sv'], res['sv-rec'])}; "
      f"replay {overhead(res['sv'], res['sv-rep'])}")
if insns:
    print(f"softvisor log: {size} bytes, {size / insns * 1e9:.0f} bytes per 10^9 instructions")
m = re.search(r"replay (complete|diverged)[^\n]*", res["sv-rep"]["err"])
print("softvisor replay: " + (m.group(0) if m else "no verdict"))
qemu = shutil.which("qemu-system-x86_64")
if qemu and want_qemu != "0":
    qlog = os.path.join(tmp, "boot.qemurr")
    q = [qemu, "-accel", "tcg", "-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none",
         "-net", "none"] + machine
    res["q"] = run("qemu -icount shift=7", q + ["-icount", "shift=7"])
    res["q-rec"] = run("qemu rr=record", q + ["-icount", f"shift=7,rr=record,rrfile={qlog}"])
    res["q-rep"] = run("qemu rr=replay", q + ["-icount", f"shift=7,rr=replay,rrfile={qlog}"])
    if res["q"]["ok"]:
        qsize = os.path.getsize(qlog) if os.path.exists(qlog) else 0
        print(f"qemu: recording {overhead(res['q'], res['q-rec'])}; replay {overhead(res['q'], res['q-rep'])}; "
              f"log {qsize} bytes")
sums = {k: tuple(sorted(v["sums"].items())) for k, v in res.items() if v["ok"]}
if len(set(sums.values())) > 1:
    print("CHECKSUM MISMATCH:", sums)
    sys.exit(1)
print("cpubench checksums agree across the runs that finished")
print(f"load after: {os.getloadavg()}")
sys.exit(0 if all(res[k]["ok"] for k in ("sv", "sv-rec", "sv-rep")) else 1)
PY
