#!/usr/bin/env python3
"""pty-typing.py SOFTVISOR ECHO_ROM LOG OUT — runs the serial-echo guest under -record LOG on a
pseudo-terminal and types into it one byte at a time at random host delays (0-50 ms), ending
with 'q' (the guest then exits with status 33).  What the terminal showed goes to OUT.  The
input reaches the guest at host-dependent instruction counts, so only the log can repeat the run.
Exit status 0 when softvisor exited with 33 and echoed everything."""
import os, pty, random, select, sys, time

exe, rom, log, out = sys.argv[1:5]
text = b"typed at random times\rthe second line\r"
master, slave = pty.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    os.dup2(slave, 0)
    os.dup2(slave, 1)
    os.dup2(slave, 2)
    os.close(master)
    os.execv(exe, [exe, "-m", "32", "-bios", rom, "-record", log])
os.close(slave)
got = bytearray()

def drain(seconds):
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return True
        r, _, _ = select.select([master], [], [], left)
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:
                return False
            if not data:
                return False
            got.extend(data)

rng = random.Random()
for b in text + b"q":
    drain(rng.uniform(0, 0.05))
    os.write(master, bytes([b]))
deadline = time.monotonic() + 60
status = None
while time.monotonic() < deadline:
    drain(0.1)
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
drain(0.2)
open(out, "wb").write(bytes(got))
want = text.replace(b"\r", b"") + b"q"
shown = bytes(got).replace(b"\r", b"").replace(b"\n", b"")
if status != 33 or want not in shown:
    print(f"status {status}, terminal showed {bytes(got)!r}")
    sys.exit(1)
print("typed, echoed, status 33")
