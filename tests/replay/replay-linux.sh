#!/bin/sh
# replay-linux.sh BUILD_DIR [N] — issue 10's Linux record/replay test: boots Debian's amd64
# kernel with the shell initramfs (as tests/linux/run-interactive.sh and `./dev.sh run`) under
# -record with -rtc base=now on a pseudo-terminal, types commands one byte at a time at random
# host delays (`cat /proc/uptime`, `date`, arithmetic), then `poweroff -f`; then replays the log
# N times (default 1): every replay must end "replay complete" (every periodic state hash and
# the final count and hash as recorded), print byte for byte the same serial output as the other
# replays, and the recording's output (compared without CRs: the recording went through the
# terminal's LF -> CR LF).  Replays alternate over the execution tiers (the interpreter, and
# `-jit on` once `softvisor --help` lists -jit), so a log recorded on one replays on the other.
# Last line "N passed, M failed".  SOFTVISOR_LINUX_TIMEOUT bounds each boot (default 900 s).
set -eu
[ $# -ge 1 ] || { echo "usage: replay-linux.sh BUILD_DIR [N]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
n=${2:-1}
mkdir -p "$build/linux"
kdir=$("$here/../linux/fetch.sh" amd64 | tail -n 1)
initrd="$build/linux/initramfs-shell-amd64.cpio.gz"
(
    flock 9
    if [ ! -s "$initrd" ] || [ "$here/../linux/mkinitramfs.sh" -nt "$initrd" ] || [ "$kdir/busybox-amd64" -nt "$initrd" ]; then
        "$here/../linux/mkinitramfs.sh" --arch amd64 --mode shell "$initrd"
    fi
) 9>"$build/linux/.lock-shell"
exec python3 - "$build/frontends/softvisor" "$kdir/vmlinuz-amd64" "$initrd" "$n" <<'PY'
import os, pty, random, re, select, signal, subprocess, sys, tempfile, time

exe, kernel, initrd, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
limit = int(os.environ.get("SOFTVISOR_LINUX_TIMEOUT", "900"))
tmp = tempfile.mkdtemp(prefix="softvisor-replay-linux-")
logf = os.path.join(tmp, "boot.log")
machine = ["-m", "256M", "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0",
           "-rtc", "base=now"]
tiers = [[]]
if re.search(r"^\s*-jit", subprocess.run([exe, "--help"], capture_output=True, text=True).stdout, re.M):
    tiers.append(["-jit", "on"])
passed = failed = 0
shown = []

def check(name, ok, msg=""):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + msg), flush=True)
    if ok:
        passed += 1
    else:
        failed += 1

def finish():
    print(f"{passed} passed, {failed} failed")
    subprocess.run(["rm", "-rf", tmp])
    sys.exit(1 if failed else 0)

master, slave = pty.openpty()
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.setsid()
    os.dup2(slave, 0)
    os.dup2(slave, 1)
    os.dup2(slave, 2)
    os.close(master)
    os.execv(exe, [exe] + machine + ["-record", logf])
os.close(slave)
rec = bytearray()

def expect(pattern, deadline):
    buf = ""
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:
                return None
            if not data:
                return None
            rec.extend(data)
            buf += data.decode("utf-8", "replace")
            m = re.search(pattern, buf)
            if m:
                return m
    return None

def kill():
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

rng = random.Random()
def type_slowly(text):
    for ch in text.encode():
        expect(r"$^", time.monotonic() + rng.uniform(0, 0.2))
        os.write(master, bytes([ch]))

if not expect(r"softvisor:/# ", t0 + limit):
    kill()
    check("recording_reaches_shell", False, "no prompt within %d s" % limit)
    finish()
check("recording_reaches_shell", True)
for cmd, answer in (("cat /proc/uptime\r", r"\d+\.\d+ \d+\.\d+"), ("date\r", r"20\d\d"),
                    ("echo answer-$((6 * 7))\r", r"answer-42")):
    type_slowly(cmd)
    if not expect(answer + r"[\s\S]*softvisor:/# ", time.monotonic() + 120):
        kill()
        check("typed_command_answered", False, repr(cmd))
        finish()
check("typed_commands_answered", True)
type_slowly("poweroff -f\r")
status = None
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    expect(r"$^", time.monotonic() + 0.5)
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
if status is None:
    kill()
expect(r"$^", time.monotonic() + 0.3)
check("recording_powers_off", status == 0, f"status {status}")
print(f"recorded in {time.monotonic() - t0:.0f} s, log {os.path.getsize(logf)} bytes", flush=True)
want = bytes(rec).replace(b"\r", b"")
first = None
ends = set()
for i in range(n):
    tier = tiers[i % len(tiers)]
    t1 = time.monotonic()
    p = subprocess.run([exe] + machine + tier + ["-replay", logf], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=limit)
    err = p.stderr.decode("utf-8", "replace")
    m = re.search(r"replay complete: (\d+) instructions, state hash ([0-9a-f]+).*?(\d+) state hashes", err)
    name = f"replay_{i + 1}" + ("_" + tier[0].lstrip("-") if tier else "")
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
finish()
PY
