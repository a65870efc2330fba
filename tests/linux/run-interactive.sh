#!/bin/sh
# run-interactive.sh BUILD_DIR — the interactive half of the linux suite (issue item 4a): boots
# the amd64 kernel with the shell initramfs (mkinitramfs.sh --mode shell, as `./dev.sh run`
# does) under softvisor on a pseudo-terminal, waits for the busybox prompt, types a command and
# checks its answer, types `poweroff -f` and requires the kernel's "reboot: Power down", exit
# status 0 and the terminal's settings (termios) restored to what they were before softvisor
# started.
# Last line "N passed, M failed".  SOFTVISOR_LINUX_TIMEOUT bounds the boot (default 900 s).
set -eu
[ $# -ge 1 ] || { echo "usage: run-interactive.sh BUILD_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
mkdir -p "$build/linux"
kdir=$("$here/fetch.sh" amd64 | tail -n 1)
initrd="$build/linux/initramfs-shell-amd64.cpio.gz"
(
    flock 9
    if [ ! -s "$initrd" ] || [ "$here/mkinitramfs.sh" -nt "$initrd" ] || [ "$kdir/busybox-amd64" -nt "$initrd" ]; then
        "$here/mkinitramfs.sh" --arch amd64 --mode shell "$initrd"
    fi
) 9>"$build/linux/.lock-shell"
exec python3 - "$build/frontends/softvisor" "$kdir/vmlinuz-amd64" "$initrd" <<'PY'
import os, pty, re, select, signal, sys, termios, time

exe, kernel, initrd = sys.argv[1:4]
limit = int(os.environ.get("SOFTVISOR_LINUX_TIMEOUT", "900"))
log = []

def finish(ok, msg):
    print(("PASS" if ok else "FAIL") + " linux-interactive: " + msg)
    if not ok:
        tail = "".join(log)[-2000:]
        print("  output (end):\n" + "\n".join("    " + l for l in tail.splitlines()))
    print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
    sys.exit(0 if ok else 1)

master, slave = pty.openpty()
before = termios.tcgetattr(slave)
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.setsid()
    os.dup2(slave, 0)
    os.dup2(slave, 1)
    os.dup2(slave, 2)
    os.close(master)
    os.execv(exe, [exe, "-m", "256M", "-no-reboot", "-kernel", kernel, "-initrd", initrd,
                   "-append", "console=ttyS0"])

def expect(pattern, deadline):
    """Reads the terminal until pattern appears in what was read since the last expect()."""
    buf = ""
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 1.0)
        if r:
            try:
                data = os.read(master, 4096).decode("utf-8", "replace")
            except OSError:
                return None
            if not data:
                return None
            log.append(data)
            buf += data
            m = re.search(pattern, buf)
            if m:
                return m
    return None

def kill():
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

if not expect(r"softvisor:/# ", t0 + limit):
    kill()
    finish(False, f"no shell prompt within {limit} s")
boot = time.monotonic() - t0
os.write(master, b"echo answer-$((6 * 7))-$(echo abc | tr a-c x-z)\r")
if not expect(r"answer-42-xyz", time.monotonic() + 120):
    kill()
    finish(False, "the typed command did not answer (stdin -> COM1 -> shell)")
os.write(master, b"poweroff -f\r")
deadline = time.monotonic() + 120
status = None
while time.monotonic() < deadline:
    expect(r"$^", time.monotonic() + 1)   # keep draining the terminal
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
if status is None:
    kill()
    finish(False, "softvisor did not end after poweroff -f")
after = termios.tcgetattr(slave)
if status != 0:
    finish(False, f"exit status {status} after poweroff -f")
if "reboot: Power down" not in "".join(log):
    finish(False, "no 'reboot: Power down' (the kernel did not power off through ACPI)")
if after != before:
    finish(False, f"terminal settings not restored: {before} -> {after}")
finish(True, f"prompt after {boot:.1f} s, command answered, poweroff -f: status 0, terminal restored")
PY
