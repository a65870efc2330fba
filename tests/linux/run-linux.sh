#!/bin/sh
# run-linux.sh BUILD_DIR [--emu-args ARGS] [CONFIG...|determinism|tiers] — the linux suite: boots Debian 12's kernels
# (tests/linux/fetch.sh) with the self-checking busybox initramfs (tests/linux/mkinitramfs.sh)
# under softvisor and, as the reference, under qemu-system-x86_64 -accel tcg -icount with the same
# kernel, initramfs, command line and RAM.
#
# CONFIG is one of
#   amd64-128M amd64-512M amd64-4G 686-64M 686-512M 686-pae-64M 686-pae-512M   (default: all)
#   determinism   two softvisor boots of amd64-128M: byte-identical serial output and the same
#                 instruction count (-stats)
#   snapshot      amd64-128M saved in the middle of its boot (-savevm-at 3000000000) and run on,
#                 then a second softvisor started from that file (-loadvm): it passes too, its
#                 serial output is the end of the first one's, and both end with the same
#                 instruction count and state hash (-stats); and saving changes nothing: a third
#                 boot without the snapshot prints the same and ends with the same count and hash
#   tiers         determinism across the JIT's tiers: amd64-128M with -jit off, -jit on and -jit on
#                 -jit-threshold 0 gives the same serial bytes and instruction count.  The tier that
#                 is the default comes from the recording of a `determinism` run of the same
#                 softvisor binary when there is one (a running `determinism` is waited for), so
#                 the linux suite boots it once; without one, all three are booted here.
# --emu-args ARGS: extra softvisor options (split at spaces) for every boot of the CONFIGs, e.g.
#   --emu-args "-jit on -jit-threshold 0"; their logs are named CONFIG+ARGS (spaces as _).
# A boot config passes when softvisor's guest prints SOFTVISOR-LINUX-PASS, the kernel prints
# "reboot: Power down" and softvisor exits with status 0 (ACPI S5 power-off), within the timeout, and the softvisor kernel log has no
# line matching BUG/WARNING/Oops/panic/unsupported/unknown NMI/TSC unstable/clocksource
# fallback that the QEMU log lacks (timestamps and numbers are ignored when comparing).
# Logs: BUILD_DIR/linux/logs/CONFIG.{softvisor,qemu}.log.  The last line is "N passed, M failed";
# exit status 0 only when nothing failed.
# Environment: SOFTVISOR_LINUX_TIMEOUT (seconds per softvisor boot, default 900),
# SOFTVISOR_QEMU_TIMEOUT (default 300), SOFTVISOR_CACHE (see fetch.sh), SOFTVISOR_EXTRA_ARGS
# (more softvisor options, split at spaces, e.g. "-jit on -jit-threshold 0").
set -eu
[ $# -ge 1 ] || { echo "usage: run-linux.sh BUILD_DIR [CONFIG...|determinism|snapshot]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
exec python3 - "$here" "$@" <<'PY'
import fcntl, os, re, resource, shutil, subprocess, sys, time

here, build = sys.argv[1], os.path.abspath(sys.argv[2])
args = sys.argv[3:]
emu_args = []
if args[:1] == ["--emu-args"]:
    if len(args) < 2:
        sys.exit("run-linux.sh: --emu-args needs a value")
    emu_args, args = args[1].split(), args[2:]
tag = "".join("+" + a.lstrip("-") for a in emu_args)   # log names: CONFIG+jit+on+jit-threshold+0
CMDLINE = "console=ttyS0 panic=-1"
CONFIGS = {   # name: (kernel, initramfs arch, RAM)
    "amd64-128M":   ("vmlinuz-amd64", "amd64", "128M"),
    "amd64-512M":   ("vmlinuz-amd64", "amd64", "512M"),
    "amd64-4G":     ("vmlinuz-amd64", "amd64", "4G"),
    "686-64M":      ("vmlinuz-686", "i386", "64M"),
    "686-512M":     ("vmlinuz-686", "i386", "512M"),
    "686-pae-64M":  ("vmlinuz-686-pae", "i386", "64M"),
    "686-pae-512M": ("vmlinuz-686-pae", "i386", "512M"),
}
DETERMINISM_CONFIG = "amd64-128M"
SNAPSHOT_AT = 3000000000      # instructions: mid-boot, where a save that flushed the TLB made the
                              # run end 166,518 instructions later than without it
SV_TIMEOUT = int(os.environ.get("SOFTVISOR_LINUX_TIMEOUT", "900"))
QEMU_TIMEOUT = int(os.environ.get("SOFTVISOR_QEMU_TIMEOUT", "300"))

names = args or list(CONFIGS) + ["determinism"]
for n in names:
    if n not in CONFIGS and n not in ("determinism", "snapshot", "tiers"):
        sys.exit(f"run-linux.sh: unknown config {n} (known: {' '.join(CONFIGS)} determinism snapshot tiers)")

softvisor = os.path.join(build, "frontends", "softvisor")
qemu = shutil.which("qemu-system-x86_64")
work = os.path.join(build, "linux")
logs = os.path.join(work, "logs")
os.makedirs(logs, exist_ok=True)

# --- preparation, shared by parallel invocations (meson runs one config per test) ---
arches = {CONFIGS[n][1] if n in CONFIGS else "amd64" for n in names}
with open(os.path.join(work, ".lock"), "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    r = subprocess.run([os.path.join(here, "fetch.sh"), "all" if "i386" in arches else "amd64"],
                       stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        print("run-linux.sh: fetching the kernels and busybox failed (see above)")
        print(f"0 passed, {len(names)} failed")
        sys.exit(1)
    kdir = r.stdout.strip().splitlines()[-1]
    initrd = {}
    for a in sorted(arches):
        out = os.path.join(work, f"initramfs-test-{a}.cpio.gz")
        inputs = [os.path.join(here, f) for f in ("checks.sh", "mkinitramfs.sh")] + \
                 [os.path.join(kdir, f"busybox-{a}"), os.path.join(kdir, "busybox-amd64")]
        if not os.path.exists(out) or os.path.getmtime(out) < max(os.path.getmtime(f) for f in inputs):
            t0 = time.monotonic()
            subprocess.run([os.path.join(here, "mkinitramfs.sh"), "--arch", a, "--mode", "test", out],
                           check=True)
            print(f"built {out} ({time.monotonic() - t0:.1f} s)")
        initrd[a] = out

PATTERNS = re.compile(r"\bBUG\b|WARNING|Oops|\bpanic\b(?!=)|unsupported|unknown NMI|"
                      r"NMI received for unknown reason|Dazed and confused|(?i:tsc.*unstable)|"
                      r"(?i:clocksource.*fall(ing)? ?back)|Switched to clocksource (refined-)?jiffies")

def normalize(line):
    line = re.sub(r"^\[\s*\d+\.\d+\]\s*", "", line)
    line = re.sub(r"0x[0-9a-fA-F]+|\b[0-9a-fA-F]{8,}\b", "#", line)
    return re.sub(r"\d+", "#", line).strip()

def flagged(log):
    return {normalize(l) for l in log.splitlines() if PATTERNS.search(l) and "Command line" not in l}

def boot(emu, cfg, extra=None):
    kernel, arch, ram = CONFIGS[cfg]
    k = os.path.join(kdir, kernel)
    if emu == "softvisor":
        cmd = [softvisor, "-m", ram, "-no-reboot", "-stats", "-kernel", k, "-initrd", initrd[arch],
               "-append", CMDLINE] + (emu_args if extra is None else extra) + \
              os.environ.get("SOFTVISOR_EXTRA_ARGS", "").split()
        limit = SV_TIMEOUT
    else:
        # -icount: QEMU's virtual time follows the instruction count (1 GHz) instead of the host
        # clock, so a loaded host cannot make the kernel's timer checks fail (without it, QEMU
        # TCG on a busy machine panics in check_timer: "IO-APIC + timer doesn't work!").
        cmd = [qemu, "-accel", "tcg", "-icount", "shift=0,sleep=off", "-m", ram, "-nodefaults", "-display", "none", "-serial", "stdio",
               "-monitor", "none", "-no-reboot", "-kernel", k, "-initrd", initrd[arch], "-append", CMDLINE]
        limit = QEMU_TIMEOUT
    t0 = time.monotonic()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=limit)
        out, err, status = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, err, status = e.stdout or b"", e.stderr or b"", None
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime   # 0 after a timeout (not reaped)
    log = out.decode("utf-8", "replace").replace("\r", "")
    return {"raw": out, "log": log, "err": err.decode("utf-8", "replace"), "status": status, "wall": wall,
            "cpu": cpu}

def verdict(r, limit):
    """Problems with one boot: [] when it printed the PASS marker and powered off cleanly."""
    probs = []
    if r["status"] is None:
        probs.append(f"timed out after {limit} s")
    elif r["status"] != 0:
        probs.append(f"exit status {r['status']}")
    fail = [l for l in r["log"].splitlines() if l.startswith("SOFTVISOR-LINUX-FAIL")]
    if fail:
        probs.append(fail[0])
    elif not any(l.startswith("SOFTVISOR-LINUX-PASS") for l in r["log"].splitlines()):
        probs.append("no SOFTVISOR-LINUX-PASS marker")
    if "reboot: Power down" not in r["log"]:
        probs.append("no 'reboot: Power down' (the kernel did not power off through ACPI)")
    return probs

def run_init_time(log):
    m = re.search(r"^\[\s*(\d+\.\d+)\] Run /init", log, re.M)
    return f"Run /init at guest {m.group(1)} s" if m else "no 'Run /init'"

def describe(r):
    tail = "\n".join(("    " + l) for l in (r["log"].splitlines()[-12:] + r["err"].splitlines()[-6:]))
    return tail

def icount(r):
    m = re.search(r"(\d+) instructions retired", r["err"])
    return int(m.group(1)) if m else None

def state_hash(r):
    m = re.search(r"state hash ([0-9a-f]+)", r["err"])
    return m.group(1) if m else None

passed = failed = 0
def report(ok, name, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(f"{'PASS' if ok else 'FAIL'} {name}: {msg}", flush=True)

def first_difference(a, b):
    la, lb = a.decode("utf-8", "replace").splitlines(), b.decode("utf-8", "replace").splitlines()
    n = next((i for i in range(min(len(la), len(lb))) if la[i] != lb[i]), min(len(la), len(lb)))
    return (f"serial output differs from line {n + 1}: {la[n] if n < len(la) else '<end>'!r} "
            f"vs {lb[n] if n < len(lb) else '<end>'!r}")

# The `determinism` run records its first boot (serial bytes, instruction count) for `tiers`, under
# an exclusive lock held while it boots; the record names the softvisor binary it came from.
DET_LOCK = os.path.join(logs, "determinism.lock")
DET_RECORD = os.path.join(logs, "determinism.record")

def binary_id():
    st = os.stat(softvisor)
    return f"{st.st_size}:{st.st_mtime_ns}"

TIERS = {"-jit off": ["-jit", "off"], "-jit on": ["-jit", "on"],
         "-jit on -jit-threshold 0": ["-jit", "on", "-jit-threshold", "0"]}

def tiers():
    boots = {"-jit on -jit-threshold 0": boot("softvisor", DETERMINISM_CONFIG, TIERS["-jit on -jit-threshold 0"])}
    seen = {}   # tier: (serial bytes, instruction count, where from)
    with open(DET_LOCK, "a") as lk:
        fcntl.flock(lk, fcntl.LOCK_SH)   # waits for a `determinism` run that is booting
        try:
            with open(DET_RECORD) as f:
                bid, count, jit = f.read().split()
            if bid == binary_id():
                raw = open(os.path.join(logs, "determinism.1.log"), "rb").read()
                seen["-jit on" if jit == "1" else "-jit off"] = (raw, int(count), "the determinism test's boot")
        except (OSError, ValueError):
            pass
    for t, a in TIERS.items():
        if t not in boots and t not in seen:
            boots[t] = boot("softvisor", DETERMINISM_CONFIG, a)
    probs = []
    for t, r in boots.items():
        open(os.path.join(logs, f"tiers.{t.replace(' ', '_')}.log"), "wb").write(r["raw"])
        seen[t] = (r["raw"], icount(r), f"{r['wall']:.1f} s, {r['cpu']:.1f} s CPU")
        p = verdict(r, SV_TIMEOUT)
        if p:
            probs.append(f"{t}: " + "; ".join(p))
    ref_raw, ref_count, _ = seen["-jit off"]
    for t in TIERS:
        raw, count, _ = seen[t]
        if raw != ref_raw:
            probs.append(f"{t} vs -jit off: " + first_difference(raw, ref_raw))
        if count is None or count != ref_count:
            probs.append(f"{t}: {count} instructions, -jit off {ref_count}")
    how = ", ".join(f"{t}: {seen[t][2]}" for t in TIERS)
    if probs:
        report(False, "tiers", f"{DETERMINISM_CONFIG} ({how}): " + "; ".join(probs))
        print(describe(boots["-jit on -jit-threshold 0"]))
    else:
        report(True, "tiers", f"{DETERMINISM_CONFIG} ({how}): {len(ref_raw)} identical bytes, {ref_count} "
               "instructions in every tier")

for name in names:
    if name == "snapshot":
        snap = os.path.join(work, "snapshot-amd64-128M.svs")
        plain = boot("softvisor", DETERMINISM_CONFIG)
        saved = boot("softvisor", DETERMINISM_CONFIG, ["-savevm-at", str(SNAPSHOT_AT), snap])
        loaded = boot("softvisor", DETERMINISM_CONFIG, ["-loadvm", snap]) if os.path.exists(snap) else None
        open(os.path.join(logs, "snapshot.saved.log"), "wb").write(saved["raw"])
        probs = [f"saving run: {p}" for p in verdict(saved, SV_TIMEOUT)]
        if plain["raw"] != saved["raw"]:
            probs.append("the saving run's serial output differs from the plain boot's")
        for what, f in (("instruction count", icount), ("state hash", state_hash)):
            if f(plain) is None or f(plain) != f(saved):
                probs.append(f"saving changed the final {what}: {f(plain)} without, {f(saved)} with the snapshot")
        if loaded is None:
            probs.append(f"no snapshot file written: {saved['err'].strip()[-300:]}")
        else:
            open(os.path.join(logs, "snapshot.loaded.log"), "wb").write(loaded["raw"])
            probs += [f"loading run: {p}" for p in verdict(loaded, SV_TIMEOUT)]
            if not loaded["raw"] or not saved["raw"].endswith(loaded["raw"]):
                probs.append(f"the loading run's serial output ({len(loaded['raw'])} bytes) is not the end of the "
                             f"saving run's ({len(saved['raw'])} bytes)")
            if icount(saved) is not None and icount(saved) <= SNAPSHOT_AT:
                probs.append(f"the boot ended at instruction {icount(saved)}, before the snapshot point")
            for what, f in (("instruction count", icount), ("state hash", state_hash)):
                if f(saved) is None or f(saved) != f(loaded):
                    probs.append(f"final {what} differs or is missing: {f(saved)} vs {f(loaded)}")
            os.unlink(snap)
        times = f"saved at {SNAPSHOT_AT} ({saved['wall']:.1f} s)" + \
                (f", loaded ({loaded['wall']:.1f} s)" if loaded else "")
        if probs:
            report(False, name, times + ": " + "; ".join(probs))
        else:
            report(True, name, f"{times}: same end as the plain boot, {icount(saved)} instructions, state hash {state_hash(saved)}, "
                               f"{len(loaded['raw'])} of {len(saved['raw'])} bytes of serial output after the load")
        continue
    if name == "tiers":
        tiers()
        continue
    if name == "determinism":
        with open(DET_LOCK, "a") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            if os.path.exists(DET_RECORD):
                os.unlink(DET_RECORD)
            runs = [boot("softvisor", DETERMINISM_CONFIG) for _ in range(2)]
            for i, r in enumerate(runs):
                open(os.path.join(logs, f"determinism.{i + 1}.log"), "wb").write(r["raw"])
            if not emu_args and icount(runs[0]) is not None and not verdict(runs[0], SV_TIMEOUT):
                with open(DET_RECORD, "w") as f:
                    jit = int("softvisor: jit:" in runs[0]["err"])   # which tier the default is
                    f.write(f"{binary_id()} {icount(runs[0])} {jit}\n")
        probs = []
        for i, r in enumerate(runs):
            p = verdict(r, SV_TIMEOUT)
            if p:
                probs.append(f"run {i + 1}: " + "; ".join(p))
        a, b = runs[0]["raw"], runs[1]["raw"]
        if a != b:
            probs.append(first_difference(a, b))
        c1, c2 = icount(runs[0]), icount(runs[1])
        if c1 is None or c1 != c2:
            probs.append(f"instruction counts differ or missing: {c1} vs {c2}")
        times = (f"{runs[0]['wall']:.1f} s and {runs[1]['wall']:.1f} s, "
                 f"{runs[0]['cpu']:.1f} s and {runs[1]['cpu']:.1f} s CPU")
        if probs:
            if a == b and c1 is not None and c1 == c2:
                probs.append(f"(the two outputs are identical: {len(a)} bytes, {c1} instructions)")
            report(False, name, f"{DETERMINISM_CONFIG} twice ({times}): " + "; ".join(probs))
            print(describe(runs[0]))
        else:
            report(True, name, f"{DETERMINISM_CONFIG} twice ({times}): {len(a)} identical bytes, {c1} instructions")
        continue

    label = name + (f" ({' '.join(emu_args)})" if emu_args else "")
    sv = boot("softvisor", name)
    open(os.path.join(logs, f"{name}{tag}.softvisor.log"), "wb").write(sv["raw"])
    if qemu:
        q = boot("qemu", name)
        open(os.path.join(logs, f"{name}{tag}.qemu.log"), "wb").write(q["raw"])
    probs = [f"softvisor: {p}" for p in verdict(sv, SV_TIMEOUT)]
    if not qemu:
        probs.append("qemu-system-x86_64 not installed: no reference log")
    else:
        qp = verdict(q, QEMU_TIMEOUT)
        if qp:
            probs.append("QEMU reference run failed: " + "; ".join(qp))
        extra = sorted(flagged(sv["log"]) - flagged(q["log"]))
        for e in extra:
            probs.append(f"softvisor kernel log has, QEMU's not: {e}")
    times = (f"softvisor {sv['wall']:.1f} s, {sv['cpu']:.1f} s CPU ({run_init_time(sv['log'])}, {icount(sv)} "
             "instructions)" + (f", qemu {q['wall']:.1f} s, {q['cpu']:.1f} s CPU ({run_init_time(q['log'])})"
                                if qemu else ""))
    if probs:
        report(False, label, times + "\n  " + "\n  ".join(probs))
        if verdict(sv, SV_TIMEOUT):
            print("  softvisor output (end):\n" + describe(sv))
        if qemu and verdict(q, QEMU_TIMEOUT):
            print("  qemu output (end):\n" + describe(q))
    else:
        report(True, label, times)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
