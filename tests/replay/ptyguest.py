"""ptyguest.py — softvisor on a pseudo-terminal, for the replay tests: start it, read what it
shows, type into it one byte at a time at random host delays, wait for its exit.  (The approach
of tests/linux/run-interactive.sh.)"""
import os, pty, random, re, select, signal, termios, time


class PtyGuest:
    def __init__(self, argv):
        self.master, slave = pty.openpty()
        self.shown = bytearray()
        self.rng = random.Random()
        self.pid = os.fork()
        if self.pid == 0:
            os.setsid()
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            os.close(self.master)
            os.execv(argv[0], argv)
        os.close(slave)

    def read(self, seconds, pattern=None):
        """Reads for up to `seconds`; with a pattern, returns its match in what this call read as
        soon as it appears (None when time runs out or the terminal closes)."""
        end = time.monotonic() + seconds
        buf = ""
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if not r:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return None
            if not data:
                return None
            self.shown.extend(data)
            if pattern:
                buf += data.decode("utf-8", "replace")
                m = re.search(pattern, buf)
                if m:
                    return m

    def wait_raw(self, seconds):
        """Waits until softvisor has put the terminal in raw mode: bytes typed before that are
        echoed by the terminal itself."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and termios.tcgetattr(self.master)[3] & termios.ECHO:
            self.read(0.01)

    def type(self, text, max_delay):
        """Types `text` a byte at a time, each after a random delay of up to max_delay s."""
        for b in text.encode() if isinstance(text, str) else text:
            self.read(self.rng.uniform(0, max_delay))
            os.write(self.master, bytes([b]))

    def wait(self, seconds):
        """Exit status, reading the terminal meanwhile; None (and killed) after `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.read(0.1)
            done, st = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.read(0.2)
                return os.waitstatus_to_exitcode(st)
        self.kill()
        return None

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
