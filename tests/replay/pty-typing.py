#!/usr/bin/env python3
"""pty-typing.py SOFTVISOR ECHO_ROM LOG OUT — runs the serial-echo guest under -record LOG on a
pseudo-terminal and types into it one byte at a time at random host delays (0-50 ms), ending
with 'q' (the guest then exits with status 33).  What the terminal showed goes to OUT.  The
input reaches the guest at host-dependent instruction counts, so only the log can repeat the run.
Exit status 0 when softvisor exited with 33 and echoed everything."""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyguest import PtyGuest

exe, rom, log, out = sys.argv[1:5]
text = b"typed at random times\rthe second line\r"
g = PtyGuest([exe, "-m", "32", "-bios", rom, "-record", log])
g.wait_raw(10)
g.type(text + b"q", 0.05)
status = g.wait(60)
open(out, "wb").write(bytes(g.shown))
want = text.replace(b"\r", b"") + b"q"
shown = bytes(g.shown).replace(b"\r", b"").replace(b"\n", b"")
if status != 33 or want not in shown:
    print(f"status {status}, terminal showed {bytes(g.shown)!r}")
    sys.exit(1)
print("typed, echoed, status 33")
