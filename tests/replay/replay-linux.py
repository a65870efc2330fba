#!/usr/bin/env python3
"""replay-linux.py SOFTVISOR KERNEL INITRD N — the body of replay-linux.sh (see there); after the
N replays, one more with -replay-corrupt 2^30 must report the divergence in the hash interval
after it."""
import os, re, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyguest import PtyGuest

exe, kernel, initrd, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
limit = int(os.environ.get("SOFTVISOR_LINUX_TIMEOUT", "900"))
tmp = tempfile.mkdtemp(prefix="softvisor-replay-linux-")
logf = os.path.join(tmp, "boot.log")
machine = ["-m", "256M", "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0",
           "-rtc", "base=now"]
# recorded with the default tier (the JIT); replayed on the interpreter and on the JIT in turn
tiers = [[]]
if re.search(r"^\s*-jit", subprocess.run([exe, "--help"], capture_output=True, text=True).stdout, re.M):
    tiers = [["-jit", "off"], ["-jit", "on"]]
passed = failed = 0


def check(name, ok, msg=""):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + msg), flush=True)
    if ok:
        passed += 1
    else:
        failed += 1


def finish():
    print(f"{passed} passed, {failed} failed")
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


t0 = time.monotonic()
g = PtyGuest([exe] + machine + ["-record", logf])
if not g.read(limit, r"softvisor:/# "):
    g.kill()
    check("recording_reaches_shell", False, f"no prompt within {limit} s")
    finish()
check("recording_reaches_shell", True)
for cmd, answer in (("cat /proc/uptime\r", r"\d+\.\d+ \d+\.\d+"), ("date\r", r"20\d\d"),
                    ("echo answer-$((6 * 7))\r", r"answer-42")):
    g.type(cmd, 0.2)
    if not g.read(120, answer + r"[\s\S]*softvisor:/# "):
        g.kill()
        check("typed_commands_answered", False, repr(cmd))
        finish()
check("typed_commands_answered", True)
g.type("poweroff -f\r", 0.2)
status = g.wait(120)
check("recording_powers_off", status == 0, f"status {status}")
print(f"recorded in {time.monotonic() - t0:.0f} s, log {os.path.getsize(logf)} bytes", flush=True)
want = bytes(g.shown).replace(b"\r", b"")
first = None
ends = set()
for i in range(n):
    tier = tiers[i % len(tiers)]
    t1 = time.monotonic()
    p = subprocess.run([exe] + machine + tier + ["-replay", logf], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=limit)
    err = p.stderr.decode("utf-8", "replace")
    m = re.search(r"replay complete: (\d+) instructions, state hash ([0-9a-f]+).*?(\d+) state hashes", err)
    name = f"replay_{i + 1}" + ("_" + tier[0].lstrip("-") + "_" + tier[1] if tier else "")
    check(name + "_complete", p.returncode == 0 and m is not None, f"status {p.returncode}: {err.strip()}")
    if m:
        ends.add((m.group(1), m.group(2)))
        print(f"  {m.group(0)} in {time.monotonic() - t1:.0f} s", flush=True)
    if first is None:
        first = p.stdout
        check(name + "_output_as_recorded", p.stdout.replace(b"\r", b"") == want,
              "replay output differs from the terminal's")
    else:
        check(name + "_output_identical", p.stdout == first, "output differs from replay 1")
check("replays_same_final_count_and_hash", len(ends) == 1, str(ends))
# one RAM bit flipped at instruction 2^30 (in the boot): the next periodic hash must catch it.
# A slice may start exactly at 2^30, with the hash there taken before the flip: A <= 2^30.
n_flip = 1 << 30
p = subprocess.run([exe] + machine + ["-replay", logf, "-replay-corrupt", str(n_flip)], stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=limit)
err = p.stderr.decode("utf-8", "replace")
m = re.search(r"replay diverged between instruction (\d+) and (\d+)", err)
ok = p.returncode == 5 and m is not None and int(m.group(1)) <= n_flip <= int(m.group(2)) and \
    int(m.group(2)) - n_flip <= (1 << 27) + (1 << 22)
check("corrupt_2^30_reported_in_next_hash_interval", ok, f"status {p.returncode}: {err.strip()}")
finish()
