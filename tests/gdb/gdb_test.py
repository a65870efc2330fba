#!/usr/bin/env python3
"""gdb_test.py -- the debugger tests (meson suite 'gdb').

usage: gdb_test.py CASE SOFTVISOR ROM|KERNEL

Each case starts softvisor with `-gdb unix:PATH -S` (a socket of its own: no port to collide
with parallel tests) and drives Debian's gdb in batch mode, or speaks the remote protocol itself:
  realmode   `set architecture i8086`, stepi 10 times in real mode ($pc is the linear CS.base + IP:
             see debug/gdbstub.c), x/i at $pc, a
             breakpoint at the 7th PC stops there in a fresh run, monitor info registers
  pm32       in 32-bit protected mode with paging: a watchpoint on a variable stops right after
             the writing instruction (the bytes before the PC are that store), a breakpoint on the
             store, continue to the guest's exit (gdb sees code 041 = 33)
  monitor    the teaching views on known page tables and descriptors (explain addr/sel, info mem,
             info tlb, x, xp)
  halted     (pace-tick guest) stepping onto and over HLT, a step on the halted CPU wakes it into
             the interrupt handler, a breakpoint after the HLT stops a running CPU
  trace      -d int: the mode changes and the #UD of the guest, disassembled
  protocol   raw packets: qSupported, target.xml, g layout, Ctrl-C while running, hostile input
             (bad checksums, overlong packets, garbage) answered without harm
  reverse-realmode JIT, reverse-pm32 JIT, reverse-monitor JIT   (reverse-target guest, -jit JIT)
             record a run, replay it under -gdb -S: QEMU's reverse-debugging shape (10 stepi
             noting the PCs, 10 reverse-stepi give them back in reverse order, 10 stepi again,
             continue to the end of the log, a breakpoint on each PC, reverse-continue stops at
             the last one at its instruction count, and past every breakpoint at the start:
             replaylog:begin), in real mode from the reset vector and in 32-bit protected mode
             across a call, a return and a timer interrupt taken in HLT.  pm32 also: a watchpoint
             and reverse-continue stop at the store that last wrote the variable (the value
             before it), reverse-stepi from a breakpoint in the timer handler undoes the
             interrupt entry (same count, the CPU after its HLT) before the HLT itself,
             reverse-nexti over a call and reverse-finish (a symbol file made from
             the ROM with objcopy gives gdb the functions).  monitor: info replay, replay_seek
             back and forth (the PC and count of a straight stepping run), replay_break, and
             their one-line errors; qSupported offers ReverseStep+ / ReverseContinue+; gdb
             disconnecting leaves the replay where it is, detaching runs it to its end
  reverse-long JIT   (pit guest) continue runs a replay of many slices to its end by itself
  linux      the amd64 kernel with a shell initramfs, live (no replay): stop it at its prompt
             until the CPU is halted, break on that idle address, step, delete, watch jiffies
             (its address from the guest's /proc/kallsyms) and continue to the tick that writes
             it, delete, continue, type poweroff -f: a clean power-off (gdb sees the exit,
             status 0)
  linux-reverse JIT  record the amd64 boot (an /init that prints the addresses of jiffies and
             __x64_sys_reboot and powers off), replay it under -gdb -S to the end of the log and
             back to __x64_sys_reboot (reverse-continue), then QEMU's shape:
             10 stepi, 10 reverse-stepi giving the PCs back in reverse, 10 stepi again, a
             breakpoint on each PC and reverse-continue stops at the last one; a watchpoint on
             jiffies and reverse-continue stops at the instruction that last wrote it (one stepi
             on, jiffies has its present value again); -jit JIT for the recording and the replay
Exits 0 on success, 1 with a message on failure, 77 (skip) when gdb or the kernel is missing.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def fail(msg, out=""):
    print("FAIL:", msg)
    if out:
        print("---- output ----")
        print(out)
    sys.exit(1)


class Softvisor:
    def __init__(self, exe, args, tmp, stdin=subprocess.DEVNULL):
        self.sock = os.path.join(tmp, "gdb.sock")
        self.log = open(os.path.join(tmp, "softvisor.log"), "w+")
        self.p = subprocess.Popen([exe, "-gdb", "unix:" + self.sock, "-S"] + args, stdin=stdin,
                                  stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(500):
            if os.path.exists(self.sock):
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.01)
        fail("softvisor did not open its gdb socket", self.output())

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def wait(self, timeout=60):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            fail("softvisor did not end", self.output())

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def run_gdb(sv, commands, timeout=120):
    args = ["gdb", "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
            "-ex", "target remote " + sv.sock]
    for c in commands:
        args += ["-ex", c]
    r = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    return r.stdout + r.stderr


def values(out, name):
    """The values of `echo NAME=` ... `p/x EXPR` pairs: lines 'NAME=$n = 0x..'."""
    return [int(v, 16) for v in re.findall(name + r"=\$\d+ = (0x[0-9a-f]+)", out)]


def shown(out, name):
    """The values a gdb Python script printed as lines 'NAME=0x..'."""
    return [int(v, 16) for v in re.findall(r"^" + name + r"=(0x[0-9a-f]+)$", out, re.M)]


def stepi_pcs(n):
    cmds = []
    for _ in range(n):
        cmds += ["stepi", "echo PC=", "p/x $pc"]
    return cmds


def case_realmode(exe, rom, tmp):
    sv = Softvisor(exe, ["-bios", rom], tmp)
    out = run_gdb(sv, ["set architecture i8086", "echo CS=", "p/x $cs"] + stepi_pcs(10) +
                  ["x/2i $pc", "monitor info registers", "kill"])
    sv.wait()
    pcs = values(out, "PC")
    if len(pcs) != 10 or values(out, "CS") != [0xf000]:
        fail("expected 10 PCs after stepi in segment F000", out)
    if len(set(pcs)) != 10 or any(pc < 0xf0000 or pc > 0xfffff for pc in pcs):
        fail("stepi PCs are not 10 distinct linear addresses in F000: %s" % [hex(p) for p in pcs], out)
    if 'The target architecture is set to "i8086".' not in out or "=> 0x%x:" % pcs[-1] not in out:
        fail("gdb did not take i8086 or disassemble at $pc", out)
    if "CS =f000 00000000000f0000" not in out or "mode=16-bit" not in out:
        fail("monitor info registers does not show the real-mode CS cache", out)
    # A fresh run: a breakpoint at the 7th PC's linear address stops there, before it runs.
    sv = Softvisor(exe, ["-bios", rom], tmp)
    out2 = run_gdb(sv, ["break *0x%x" % pcs[6], "continue", "echo PC=", "p/x $pc", "stepi", "echo NEXT=",
                        "p/x $pc", "echo IP=", "monitor info registers", "kill"])
    sv.wait()
    if values(out2, "PC") != [pcs[6]] or values(out2, "NEXT") != [pcs[7]]:
        fail("breakpoint at 0x%x (then stepi to 0x%x) not hit" % (pcs[6], pcs[7]), out2)
    if "RIP=%016x" % (pcs[7] - 0xf0000) not in out2:
        fail("the monitor does not show IP = $pc - CS.base", out2)


def case_pm32(exe, rom, tmp):
    sv = Softvisor(exe, ["-bios", rom, "-debugcon", "stdio"], tmp)
    out = run_gdb(sv, [
        "watch *(int *)0x6000",
        "continue",              # mov dword [VAR], 0: value unchanged (0 -> 0), gdb goes on
        "echo VAL=", "p/x *(int *)0x6000",
        "echo STORE=", "p/x *(unsigned char *)($pc - 5)",
        "echo PC=", "p/x $pc",
        "continue",
        "echo VAL=", "p/x *(int *)0x6000",
        "delete",
        "break *($pc - 5)",
        "continue",
        "echo BP=", "p/x $pc",
        "echo VAL=", "p/x *(int *)0x6000",
        "stepi",
        "echo VAL=", "p/x *(int *)0x6000",
        "monitor info registers",
        "delete",
        "continue",
    ])
    status = sv.wait()
    vals, store, pcs, bps = values(out, "VAL"), values(out, "STORE"), values(out, "PC"), values(out, "BP")
    if vals != [1, 2, 2, 3]:
        fail("watched variable went %s, expected 1, 2 (watchpoint), 2 (breakpoint before the store), 3" % vals, out)
    if store != [0xa3]:
        fail("the watchpoint did not stop right after the store (byte at pc-5 = %s)" % store, out)
    if bps != [pcs[0] - 5]:
        fail("breakpoint on the store did not stop there", out)
    if "Hardware watchpoint 1: *(int *)0x6000" not in out or "New value = 1" not in out:
        fail("gdb did not report the watchpoint", out)
    if "CR3=0000000000020000" not in out or "mode=32-bit" not in out:
        fail("monitor info registers: wrong CR3 or mode", out)
    if "exited with code 041" not in out or status != 33:
        fail("guest did not run to its PASS exit (status %s)" % status, out + sv.output())
    if "gdb-target: PASS" not in sv.output():
        fail("guest did not pass", sv.output())


def case_monitor(exe, rom, tmp):
    sv = Softvisor(exe, ["-bios", rom], tmp)
    out = run_gdb(sv, [
        "watch *(int *)0x6000", "continue", "delete",
        "monitor explain addr 0x800123",
        "monitor explain addr 0x3004",
        "monitor explain addr 0xc00000",
        "monitor explain sel 0x8",
        "monitor explain sel 0x10",
        "monitor explain sel 0x1003",
        "monitor info mem",
        "monitor info tlb",
        "monitor x/2xw 0x800000",
        "monitor xp/2xw 0x1000000",
        "monitor x/1i $pc",
        "monitor x/1i $pc-5",
        "monitor explain fault",
        "monitor bogus",
        "kill",
    ])
    sv.wait()
    want = [
        "linear 0x800123, 32-bit (2 levels) paging, CR3=0x20000",
        "PDE  [  2] at 0x00020008 = 010000e7 [P=1 R/W=1 U/S=1 PWT=0 PCD=0 A=1 D=1 PS=1 G=0]",
        "-> physical 0x1000123 in a 4 MiB page; supervisor read/write, user read/write, executable",
        "PDE  [  0] at 0x00020000 = 00021023 [P=1 R/W=1 U/S=0 PWT=0 PCD=0 A=1 D=0 PS=0 G=0]",
        "PTE  [  3] at 0x0002100c",
        "-> physical 0x3004 in a 4 KiB page; supervisor read/write, user no access, executable",
        "PDE  [  3] at 0x0002000c = 00000000",
        "-> #PF, error code 0 (P=0 W/R=0 U/S=0 RSVD=0 I/D=0): the last entry shown is not present (P=0)",
        "selector 0x0008: index 1, table GDT, RPL 0",
        "type 11: code, execute/read, accessed (S=1: code or data segment)",
        "base 0, limit 0xffffffff (raw 0xfffff, G=1: 4 KiB units)",
        "DPL=0 P=1 AVL=0 L=0 D/B=1",
        "as CS: 32-bit code",
        "type 3: data, read/write, accessed",
        "as SS: 32-bit ESP stack pointer",
        "selector 0x1003: index 512, table GDT, RPL 3",
        "beyond the GDT limit",
        "0000000000000000-0000000000400000 0000000000400000 -rw",
        "0000000000800000-0000000000c00000 0000000000400000 urw",
        "0000000000800000: 0000000001000000 4M --DAUW",
        "0000000000800000: 0x5a5a5a5a",
        "0000000001000000: 0x5a5a5a5a",
        "unknown command: 'bogus' (try help)",
        "vector 6: #UD invalid opcode, at 0008:",
        "  no error code",
        "  why: the bytes are not a valid instruction in this mode",
        "  instruction: 00000000000f",
        ": ud2",
        ": mov      dword ptr [0x6000], eax",
    ]
    for w in want:
        if w not in out:
            fail("monitor output lacks '%s'" % w, out)
    if not re.search(r"[0-9a-f]{16}: (loop|dec|nop|mov)", out):
        fail("x/1i did not disassemble", out)


def case_trace(exe, rom, tmp):
    r = subprocess.run([exe, "-bios", rom, "-d", "int"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60)
    want = ["MODE real -> protected 16-bit at f000:", "MODE protected 16-bit -> protected 32-bit at 0008:",
            "INT v=06 exception at 0008:", "cpl=0: ud2"]
    for w in want:
        if w not in r.stderr:
            fail("-d int output lacks '%s'" % w, r.stderr)
    if r.returncode != 33:
        fail("guest did not pass under -d int", r.stderr)


class Raw:
    """A bare remote-protocol client."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(path)
        self.buf = b""

    def send(self, payload):
        if isinstance(payload, str):
            payload = payload.encode()
        self.s.sendall(b"$" + payload + b"#%02x" % (sum(payload) & 0xff))

    def recv(self):
        """Next packet payload (acks are skipped)."""
        while True:
            m = re.match(rb"^[+-]*\$([^#]*)#[0-9a-f]{2}", self.buf, re.S)
            if m:
                self.buf = self.buf[m.end():]
                try:
                    self.s.sendall(b"+")
                except BrokenPipeError:
                    pass   # softvisor ended after its W reply

                return m.group(1).decode("latin-1")
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += chunk

    def ask(self, payload):
        self.send(payload)
        return self.recv()

    def monitor(self, cmd):
        """A monitor command through qRcmd: its output (O packets) and the final reply."""
        m = self.ask("qRcmd," + cmd.encode().hex())
        text = ""
        while m.startswith("O") and m != "OK":
            text += bytes.fromhex(m[1:]).decode()
            m = self.recv()
        return text, m


def case_protocol(exe, rom, tmp):
    sv = Softvisor(exe, ["-bios", rom], tmp)
    try:
        r = Raw(sv.sock)
        sup = r.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386")
        for w in ["PacketSize=4000", "qXfer:features:read+", "swbreak+", "hwbreak+"]:
            if w not in sup:
                fail("qSupported reply lacks " + w, sup)
        if "ReverseStep" in sup:
            fail("qSupported offers reverse execution outside replay", sup)
        xml, off = "", 0
        while True:
            part = r.ask("qXfer:features:read:target.xml:%x,200" % off)
            xml += part[1:]
            off += len(part) - 1
            if part[0] == "l":
                break
        # the guest is in real mode: the i386 description (x86-64 once in long mode, gdb-linux)
        for w in ["<architecture>i386</architecture>", 'name="org.gnu.gdb.i386.core"', 'name="eip"',
                  'name="xmm7"', 'name="mxcsr"', 'name="fs_base"', 'name="cr3"', 'name="efer"']:
            if w not in xml:
                fail("target.xml lacks " + w, xml)
        if 'name="xmm8"' in xml or 'name="rip"' in xml:
            fail("the i386 target.xml has x86-64 registers", xml)
        if r.ask("?") != "T05thread:01;":
            fail("stop reply to ? is not T05thread:01;")
        for pkt in ["bs", "bc"]:
            if r.ask(pkt) != "E22":
                fail("%s outside replay mode is not answered E22" % pkt)
        g = r.ask("g")
        if len(g) != 2 * 380:
            fail("g reply has %d hex digits, expected 760" % len(g), g)
        if g[8 * 8:8 * 8 + 8] != "f0ffffff":
            fail("eip in the g reply is not the reset vector's linear address 0xfffffff0", g)
        # hostile input: a bad checksum gets '-', an overlong packet E01, garbage is ignored
        r.s.sendall(b"$g#00")
        time.sleep(0.1)
        r.s.sendall(b"garbage+++")
        r.send("m" + "f" * 40 + ",10")
        if not r.recv().startswith("E"):
            fail("a 40-digit address was not refused")
        r.send("X" + "0" * 20000)
        if r.recv() != "E01":
            fail("an overlong packet was not refused with E01")
        for bad in ["Z0", "Z9,0,1", "z2,1000,0", "p9999", "P0=zz", "G1", "qXfer:features:read:x.xml:0,10",
                    "M0,4:1", "vCont;q", "qRcmd,zz"]:
            rep = r.ask(bad)
            if rep not in ("", "E01", "E00", "E22", "E45"):
                fail("hostile packet %r got %r" % (bad, rep))
        if r.ask("qAttached") != "1":
            fail("qAttached")
        if r.ask("vCont?") != "vCont;c;C;s;S":
            fail("vCont?")
        text, mon = r.monitor("help")
        if mon != "OK" or "info registers" not in text:
            fail("qRcmd help", text)
        # run, then Ctrl-C: the guest ends quickly, so ask it to stop at once and accept either
        # the SIGINT stop or the exit
        r.send("c")
        try:
            r.s.sendall(b"\x03")
        except BrokenPipeError:
            pass   # the guest already ended; its W reply is waiting
        rep = r.recv()
        if not (rep.startswith("T02") or rep.startswith("W")):
            fail("Ctrl-C: unexpected reply %r" % rep)
        if rep.startswith("T02"):
            r.send("k")
        sv.wait()
    finally:
        sv.kill()


def case_halted(exe, rom, tmp):
    """pace-tick: step to its first HLT and over it; a step on the halted CPU waits for the
    interrupt and lands in the handler; a breakpoint after the HLT is hit when the handler
    returns, with the CPU running (not a stale stop at a halted PC)."""
    sv = Softvisor(exe, ["-bios", rom], tmp, stdin=subprocess.PIPE)
    try:
        r = Raw(sv.sock)
        r.ask("qSupported:swbreak+")

        def mon(cmd):
            return r.monitor(cmd)[0]

        def pc():
            return int.from_bytes(bytes.fromhex(r.ask("g")[64:72]), "little")

        for _ in range(20000):
            if ": hlt" in mon("x/1i $pc"):
                break
            if not r.ask("s").startswith("T05"):
                fail("step failed")
        else:
            fail("no HLT within 20000 steps")
        after = pc() + 1
        r.ask("s")
        if pc() != after or "HLT=1" not in mon("info registers"):
            fail("stepping the HLT did not leave the CPU halted after it", mon("info registers"))
        rep = r.ask("s")
        if not rep.startswith("T05") or pc() == after or "HLT=0" not in mon("info registers"):
            fail("a step on the halted CPU did not wake it into the handler (pc 0x%x)" % pc())
        if r.ask("Z0,%x,1" % after) != "OK":
            fail("Z0")
        rep = r.ask("c")
        if not rep.startswith("T05") or "swbreak" not in rep or pc() != after or "HLT=0" not in mon("info registers"):
            fail("breakpoint after the HLT: %r at 0x%x" % (rep, pc()), mon("info registers"))
        r.send("k")
        sv.wait()
    finally:
        sv.kill()


def case_linux(exe, kernel, tmp):
    if not os.path.exists(kernel):
        print("SKIP: no kernel at", kernel)
        sys.exit(77)
    # The shell initramfs: the kernel idles at the prompt until input comes, and `poweroff -f`
    # typed later powers it off.
    initrd = os.path.join(tmp, "initramfs.cpio.gz")
    mk = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "linux", "mkinitramfs.sh")
    if subprocess.run([mk, "--arch", "amd64", "--mode", "shell", initrd], capture_output=True).returncode:
        print("SKIP: cannot build the initramfs (busybox-static missing?)")
        sys.exit(77)
    sv = Softvisor(exe, ["-kernel", kernel, "-initrd", initrd, "-m", "128M", "-no-reboot",
                         "-append", "console=ttyS0 panic=-1"], tmp, stdin=subprocess.PIPE)
    try:
        r = Raw(sv.sock)
        r.ask("qSupported:swbreak+")
        r.send("c")
        deadline = time.monotonic() + 900
        while "# " not in sv.output().rsplit("\n", 1)[-1]:   # the shell prompt (then ash may ask ESC[6n)
            if time.monotonic() > deadline or sv.p.poll() is not None:
                fail("no shell prompt", sv.output())
            time.sleep(1)
        # jiffies, for the watchpoint: the kernel's own symbol table (KASLR moves it every boot;
        # root in the initramfs may read the addresses)
        sv.p.stdin.write(b"grep -w jiffies /proc/kallsyms\n")
        sv.p.stdin.flush()
        jiffies = None
        while jiffies is None:
            m = re.search(r"^([0-9a-f]{16}) [DdBb] jiffies\r?$", sv.output(), re.M)
            if m:
                jiffies = int(m.group(1), 16)
            elif time.monotonic() > deadline or sv.p.poll() is not None:
                fail("no jiffies in /proc/kallsyms", sv.output())
            else:
                time.sleep(0.5)
        # Stop it until it stands in its idle loop (the CPU halted: rIP is the instruction after
        # HLT, which runs again at the next wake-up).
        rip = None
        for _ in range(100):
            r.s.sendall(b"\x03")
            rep = r.recv()
            if not rep.startswith("T02"):
                fail("kernel did not stop on Ctrl-C: %r" % rep, sv.output())
            text = r.monitor("info registers")[0]
            if "HLT=1" in text and "mode=64-bit" in text:
                # from the monitor: this connection began in 32-bit mode, so its g packet has
                # the i386 layout (32-bit eip)
                rip = int(re.search(r"RIP=([0-9a-f]{16})", text).group(1), 16)
                break
            r.send("c")
            time.sleep(0.2)
        if rip is None:
            fail("the kernel never idled", sv.output())
        r.s.close()   # disconnecting lets the guest run on
        time.sleep(0.3)
        gdb = subprocess.Popen(["gdb", "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
                                "-ex", "target remote " + sv.sock, "-ex", "echo PC=", "-ex", "p/x $pc",
                                "-ex", "break *0x%x" % rip, "-ex", "continue", "-ex", "echo BP=", "-ex", "p/x $pc",
                                "-ex", "monitor x/3i $pc-1", "-ex", "monitor info registers",
                                "-ex", "stepi", "-ex", "echo STEP=", "-ex", "p/x $pc", "-ex", "delete",
                                "-ex", "echo OLD=", "-ex", "p/x *(long *)0x%x" % jiffies,
                                "-ex", "watch *(long *)0x%x" % jiffies, "-ex", "continue",
                                "-ex", "echo NEW=", "-ex", "p/x *(long *)0x%x" % jiffies,
                                "-ex", "echo WPC=", "-ex", "p/x $pc", "-ex", "delete",
                                "-ex", "monitor info registers", "-ex", "monitor explain addr 0x%x" % rip,
                                "-ex", "continue"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = ""
        for line in gdb.stdout:
            out += line
            if "explain" in line or "-> physical" in line:
                break
        # gdb now continues: type the power-off at the guest's shell
        sv.p.stdin.write(b"poweroff -f\n")
        sv.p.stdin.flush()
        out += gdb.communicate(timeout=900)[0]
        status = sv.wait(600)
    finally:
        sv.kill()
    bps, steps = values(out, "BP"), values(out, "STEP")
    if bps != [rip]:
        fail("breakpoint at the kernel's idle address 0x%x not hit" % rip, out)
    if len(steps) != 1 or steps[0] == rip:
        fail("stepi did not move", out)
    olds, news, wpcs = values(out, "OLD"), values(out, "NEW"), values(out, "WPC")
    if "Hardware watchpoint 2: *(long *)0x%x" % jiffies not in out or len(news) != 1 or len(olds) != 1:
        fail("the watchpoint on jiffies (0x%x) did not stop" % jiffies, out)
    if not olds[0] < news[0] < olds[0] + 100000 or "New value = %d" % news[0] not in out:
        fail("jiffies went from 0x%x to %s at the watchpoint, not a few ticks on" % (olds[0], news), out)
    if wpcs[0] < 0xffffffff80000000:
        fail("the watchpoint stopped outside the kernel's text (0x%x)" % wpcs[0], out)
    if "CR0=" not in out or "4-level paging" not in out:
        fail("monitor in the kernel", out)
    if "exited normally" not in out or status != 0 or "reboot: Power down" not in sv.output():
        fail("the kernel did not power off cleanly (status %s)" % status, out + sv.output())


# ---- reverse execution (replay mode) ----

REVERSE_STORE = bytes([0xA3, 0x00, 0x60, 0x00, 0x00, 0x90])   # mov [0x6000], eax; nop (in bump)


def rom_layout(rom):
    """Linear addresses in the reverse-target ROM (mapped at 0xF0000), found by their bytes."""
    d = open(rom, "rb").read()
    bump = d.find(bytes([0x55, 0x89, 0xE5, 0xA1]))                       # push ebp; mov ebp, esp; mov eax, [
    run_loop = d.find(bytes([0x55, 0x89, 0xE5, 0xB9, 5, 0, 0, 0]))       # ...; mov ecx, 5
    handler = d.find(bytes([0xFF, 0x05, 0x04, 0x60, 0, 0]))              # inc dword [TICKS]
    store = d.find(REVERSE_STORE)
    hlt = d.find(bytes([0xFB, 0xF4, 0xFA])) + 1                          # sti; hlt; cli
    call = next(k for k in range(run_loop, bump) if d[k] == 0xE8 and
                int.from_bytes(d[k + 1:k + 5], "little", signed=True) == bump - (k + 5))
    if min(bump, run_loop, handler, store, hlt) < 0:
        fail("reverse-target ROM layout not found")
    base = 0xF0000
    return {"bump": base + bump, "run_loop": base + run_loop, "handler": base + handler,
            "store": base + store, "call": base + call, "hlt": base + hlt}


def record(exe, rom, tmp, jit):
    log = os.path.join(tmp, "run.rr")
    r = subprocess.run([exe, "-bios", rom, "-debugcon", "stdio", "-jit", jit, "-record", log],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    if r.returncode != 33 or "reverse-target: PASS" not in r.stdout:
        fail("recording the guest failed (status %d)" % r.returncode, r.stdout + r.stderr)
    return log


def replay(exe, rom, tmp, jit, log):
    return Softvisor(exe, ["-bios", rom, "-debugcon", "file:" + os.path.join(tmp, "dbg.out"), "-jit", jit,
                           "-replay", log], tmp)


def counts(out):
    """The instruction counts of `monitor info replay` lines, in order."""
    return [int(v) for v in re.findall(r"instruction count = (\d+)", out)]


def reverse_shape(exe, rom, tmp, jit, prologue):
    """QEMU's test shape from wherever `prologue` leaves the replay."""
    log = record(exe, rom, tmp, jit)
    sv = replay(exe, rom, tmp, jit, log)
    cmds = list(prologue)
    for _ in range(10):
        cmds += ["echo STEP=", "p/x $pc", "stepi"]
    cmds += ["echo LAST=", "p/x $pc", "monitor info replay"]
    for _ in range(10):
        cmds += ["reverse-stepi", "echo BACK=", "p/x $pc"]
    for _ in range(10):
        cmds += ["echo AGAIN=", "p/x $pc", "stepi"]
    cmds += ["echo END=", "p/x $pc", "monitor info replay", "continue", "monitor info replay"]
    out = run_gdb(sv, cmds)
    pcs, last = values(out, "STEP"), values(out, "LAST")
    if len(pcs) != 10 or len(last) != 1:
        fail("expected 10 PCs from stepi", out)
    if values(out, "BACK") != pcs[::-1]:
        fail("reverse-stepi did not give the PCs back in reverse order: %s" % [hex(p) for p in values(out, "BACK")],
             out)
    if values(out, "AGAIN") != pcs or values(out, "END") != last:
        fail("stepi after reverse-stepi did not take the same path", out)
    n = counts(out)
    if len(n) != 3 or n[0] != n[1]:
        fail("the instruction count after stepping forward again differs", out)
    if "No more reverse-execution history." not in out:
        fail("continue did not stop at the end of the log (replaylog:end)", out)
    # a fresh session: a breakpoint on each PC from the end, reverse-continue stops at the last
    cmds = list(prologue) + ["continue"]
    cmds += ["break *0x%x" % pc for pc in sorted(set(pcs))]
    cmds += ["reverse-continue", "echo BC=", "p/x $pc", "monitor info replay", "delete", "reverse-continue",
             "echo BEGIN=", "p/x $pc", "monitor info replay", "kill"]
    sv.wait()
    sv = replay(exe, rom, tmp, jit, log)
    out2 = run_gdb(sv, cmds)
    sv.wait()
    if values(out2, "BC") != [pcs[-1]]:
        fail("reverse-continue from the end did not stop at the last breakpoint 0x%x" % pcs[-1], out2)
    n2 = counts(out2)
    return out, out2, pcs, n, n2


def case_reverse_realmode(exe, rom, tmp, jit):
    out, out2, pcs, n, n2 = reverse_shape(exe, rom, tmp, jit, ["set architecture i8086"])
    if pcs[0] != 0xFFFFFFF0 or n[0] != 10:
        fail("the steps did not start at the reset vector (count %s)" % n, out)
    # straight-line code runs once: the last breakpoint hit is the 10th step's, at count 9
    if n2[:1] != [9]:
        fail("reverse-continue did not stop at count 9 (the last PC's): %s" % n2, out2)
    if values(out2, "BEGIN") != [0xFFFFFFF0] or n2[1:] != [0] or out2.count("No more reverse-execution history.") < 2:
        fail("reverse-continue past every breakpoint did not stop at the start (replaylog:begin)", out2)


def case_reverse_pm32(exe, rom, tmp, jit):
    lay = rom_layout(rom)
    # from the first `call bump` of the loop: call, bump's body, ret, sti (a timer interrupt is
    # taken in the HLT after it)
    pro = ["break *0x%x" % lay["call"], "continue", "delete"]
    out, out2, pcs, n, n2 = reverse_shape(exe, rom, tmp, jit, pro)
    if pcs[0] != lay["call"] or pcs[1] != lay["bump"]:
        fail("the steps did not start at the call of bump", out)
    # the loop runs five times: the last hit of these PCs is in the last iteration
    if len(n2) != 2 or n2[0] <= n[0] or n2[1] != 0:
        fail("reverse-continue did not stop in the last iteration and then at the start: %s" % n2, out2)
    # a watchpoint: from the end, reverse-continue stops at the store that last wrote VAR, before
    # it ran (gdb shows the value going back from 5 to 4); reverse-nexti over a call;
    # reverse-finish from bump back to its call
    log = os.path.join(tmp, "run.rr")
    elf = os.path.join(tmp, "rt.elf")
    base = 0xF0000
    have_syms = shutil.which("objcopy") is not None
    if have_syms:
        raw = os.path.join(tmp, "rt0.elf")
        subprocess.run(["objcopy", "-I", "binary", "-O", "elf32-i386", "-B", "i386", "--rename-section",
                        ".data=.text,alloc,load,readonly,code,contents",
                        "--add-symbol", "run_loop=.text:0x%x,function,global" % (lay["run_loop"] - base),
                        "--add-symbol", "bump=.text:0x%x,function,global" % (lay["bump"] - base),
                        "--add-symbol", "timer_handler=.text:0x%x,function,global" % (lay["handler"] - base),
                        rom, raw], check=True)
        subprocess.run(["objcopy", "--change-addresses", "0x%x" % base, "-w", "--strip-symbol=_binary_*", raw, elf],
                       check=True)
    sv = replay(exe, rom, tmp, jit, log)
    after_call = lay["call"] + 5
    cmds = ["continue", "watch *(int *)0x6000", "reverse-continue", "echo WPC=", "p/x $pc", "echo WVAL=",
            "p/x *(int *)0x6000", "reverse-continue", "echo WPC=", "p/x $pc", "echo WVAL=", "p/x *(int *)0x6000",
            "delete",
            # the last timer interrupt, taken in HLT: its entry is one step back of its own
            "break *0x%x" % lay["handler"], "reverse-continue", "delete", "echo IRQ=", "p/x $pc",
            "monitor info replay", "reverse-stepi", "echo IRQ=", "p/x $pc", "monitor info replay",
            "reverse-stepi", "echo IRQ=", "p/x $pc", "monitor info replay", "stepi", "stepi", "echo IRQ=", "p/x $pc",
            "monitor info replay"]
    if have_syms:
        cmds = ["file " + elf] + cmds + [
            "break *0x%x" % after_call, "reverse-continue", "delete", "monitor info replay", "reverse-nexti",
            "echo NPC=", "p/x $pc", "monitor info replay",
            "break *0x%x" % (lay["store"] + 5), "continue", "delete", "echo INB=", "p/x $pc", "bt",
            "reverse-finish", "echo FIN=", "p/x $pc", "monitor info replay"]
    cmds += ["kill"]
    out = run_gdb(sv, cmds)
    sv.wait()
    if values(out, "WPC") != [lay["store"]] * 2 or values(out, "WVAL") != [4, 3]:
        fail("reverse-continue with a watchpoint did not stop at the store before it wrote 5, then 4", out)
    if "Old value = 5" not in out or "New value = 4" not in out:
        fail("gdb did not report the watched value going back", out)
    irq, c = values(out, "IRQ"), counts(out)
    if irq != [lay["handler"], lay["hlt"] + 1, lay["hlt"], lay["handler"] + 6] or len(c) < 4 or \
            c[:4] != [c[0], c[0], c[0] - 1, c[0] + 1]:
        fail("reverse-stepi from the timer handler did not undo the interrupt entry (same count, after the HLT) "
             "and then the HLT; %s at %s" % ([hex(p) for p in irq], c[:4]), out)
    c = c[4:]
    if have_syms:
        if values(out, "NPC") != [lay["call"]] or len(c) != 3 or c[1] >= c[0] - 2:
            fail("reverse-nexti after the call did not step back over bump to the call", out)
        if values(out, "INB") != [lay["store"] + 5] or "in run_loop ()" not in out:
            fail("the breakpoint in bump or gdb's backtrace failed", out)
        if values(out, "FIN") not in ([lay["call"]], [lay["bump"]]) or c[2] != c[1]:
            fail("reverse-finish did not go back to bump's call (or its entry)", out)


def case_reverse_long(exe, rom, tmp, jit):
    """The pit guest (5.5 * 10^7 instructions, many of the frontend's slices): continue runs the
    replay through to the end of its log on its own, a step back from there, detach ends it."""
    log = os.path.join(tmp, "run.rr")
    r = subprocess.run([exe, "-bios", rom, "-debugcon", "stdio", "-jit", jit, "-record", log],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if r.returncode != 33:
        fail("recording the pit guest failed (status %d)" % r.returncode, r.stdout + r.stderr)
    sv = Softvisor(exe, ["-bios", rom, "-debugcon", "file:" + os.path.join(tmp, "dbg.out"), "-jit", jit,
                         "-replay", log], tmp)
    out = run_gdb(sv, ["set remotetimeout 100", "continue", "monitor info replay", "reverse-stepi",
                       "monitor info replay", "detach"])
    status = sv.wait()
    c = counts(out)
    m = re.search(r"recording: (\d+) instructions", out)
    if "No more reverse-execution history." not in out or not m or c != [int(m.group(1)), int(m.group(1)) - 1]:
        fail("continue did not run the replay to the end of its log, or the step back failed", out)
    if status != 33 or "replay complete" not in sv.output():
        fail("detach at the end did not end the replay with the recorded status (%s)" % status, out + sv.output())


def case_reverse_monitor(exe, rom, tmp, jit):
    log = record(exe, rom, tmp, jit)
    sv = replay(exe, rom, tmp, jit, log)
    try:
        r = Raw(sv.sock)
        sup = r.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386")
        if "ReverseStep+" not in sup or "ReverseContinue+" not in sup:
            fail("qSupported does not offer reverse execution in replay mode", sup)
        r.ask("D")
        r.s.close()   # as gdb's detach: the replay runs on to its end, and softvisor ends there
    except (OSError, EOFError) as e:
        fail("protocol: %s" % e)
    if sv.wait() != 33:
        fail("after D the replay did not run to its end and the recorded status", sv.output())
    # gdb going away without D leaves the replay where it is, for the next connection
    sv = replay(exe, rom, tmp, jit, log)
    out = run_gdb(sv, ["monitor replay_seek 1000", "disconnect"])
    out += run_gdb(sv, ["monitor info replay", "detach"])
    if counts(out) != [1000] or sv.wait() != 33:
        fail("a reconnect did not find the replay at 1000, or detach did not end it", out + sv.output())
    sv = replay(exe, rom, tmp, jit, log)
    cmds = ["monitor info replay"]
    for _ in range(6):
        cmds += ["echo STEP=", "p/x $pc", "stepi"]
    cmds += ["monitor replay_seek 2", "flushregs", "echo S2=", "p/x $pc", "monitor info replay",
             "monitor replay_seek 5", "flushregs", "echo S5=", "p/x $pc",
             "monitor replay_seek 1", "flushregs", "echo S1=", "p/x $pc",
             "monitor replay_break 3000", "continue", "monitor info replay",
             "monitor replay_break 10", "monitor replay_seek 99999999", "monitor info replay",
             "monitor replay_seek 0", "flushregs", "echo S0=", "p/x $pc", "kill"]
    out = run_gdb(sv, cmds)
    sv.wait()
    pcs = values(out, "STEP")
    if len(pcs) != 6:
        fail("stepping for reference PCs failed", out)
    if values(out, "S2") != [pcs[2]] or values(out, "S5") != [pcs[5]] or values(out, "S1") != [pcs[1]] or \
            values(out, "S0") != [pcs[0]]:
        fail("replay_seek did not reach the PCs a straight stepping run had", out)
    m = re.search(r"Replaying execution '[^']*run.rr': instruction count = 0\n"
                  r"recording: (\d+) instructions; replay_break: none; checkpoints: 1 \(", out)
    if not m:
        fail("info replay at the start is not as expected", out)
    total = int(m.group(1))
    c = counts(out)
    if c != [0, 2, 3000, 3000]:
        fail("info replay counts %s, expected 0, 2 (after replay_seek 2), 3000 (replay_break) and 3000" % c, out)
    for err in ["replay_break: instruction 10 is not ahead of the replay (at 3000; the recording ends at %d)" % total,
                "replay_seek: instruction 99999999 is beyond the recording (it ends at %d)" % total]:
        if err not in out:
            fail("missing the one-line error: " + err, out)
    # outside replay mode: one line each
    sv = Softvisor(exe, ["-bios", rom], tmp)
    out = run_gdb(sv, ["monitor info replay", "monitor replay_seek 3", "monitor replay_break 3", "reverse-stepi",
                       "kill"])
    sv.wait()
    if out.count("not available without -replay") != 3:
        fail("the replay commands outside replay mode do not answer in one line each", out)
    if "Target remote does not support this command." not in out:
        fail("reverse-stepi outside replay mode was not refused", out)


# The /init of the linux-reverse recording: it prints the kernel symbols the test needs (KASLR
# moves them every boot, but a replay repeats the recorded boot, addresses included) and powers
# off, so the recording is the boot and little more (about 7.2 * 10^9 instructions).
REVERSE_INIT = """#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
exec </dev/console >/dev/console 2>&1
grep -wE '__x64_sys_reboot|jiffies' /proc/kallsyms
poweroff -f
"""

# The gdb side of linux-reverse, run by gdb's Python: QEMU's reverse-debugging shape (tests/avocado
# reverse_debugging.py), then a watchpoint.  Results are printed as NAME=0xVALUE lines.
REVERSE_GDB = """
import gdb

def pc():
    return int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff

def show(name, v):
    print("%%s=0x%%x" %% (name, v), flush=True)

def jiffies():
    return int(gdb.parse_and_eval("*(unsigned long *)0x%(jiffies)x"))

gdb.execute("monitor replay_seek %(start)d")
gdb.execute("maintenance flush register-cache")
show("START", pc())
steps = []
for _ in range(10):
    steps.append(pc())
    gdb.execute("stepi")
    show("PC", pc())
for _ in range(10):
    gdb.execute("reverse-stepi")
    show("BACK", pc())
for _ in range(10):
    gdb.execute("stepi")
    show("AGAIN", pc())
for a in steps:
    gdb.execute("break *0x%%x" %% a)
gdb.execute("reverse-continue")
show("BC", pc())
gdb.execute("delete")
# the timer has written jiffies during the boot: the last write before here
show("JNOW", jiffies())
gdb.execute("watch *(unsigned long *)0x%(jiffies)x")
gdb.execute("reverse-continue")
show("WPC", pc())
show("JBEFORE", jiffies())
gdb.execute("monitor x/1i $pc")
gdb.execute("delete")
gdb.execute("stepi")
show("JAFTER", jiffies())
gdb.execute("monitor info replay")
gdb.execute("kill")
"""


def case_linux_reverse(exe, kernel, tmp, jit):
    """Record the amd64 boot, replay it under -gdb -S, stop where `poweroff -f` enters the kernel,
    then step forwards and backwards (QEMU's shape) and find the last write to jiffies backwards."""
    if not os.path.exists(kernel):
        print("SKIP: no kernel at", kernel)
        sys.exit(77)
    init = os.path.join(tmp, "init.sh")
    with open(init, "w") as f:
        f.write(REVERSE_INIT)
    initrd = os.path.join(tmp, "initramfs.cpio.gz")
    mk = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "linux", "mkinitramfs.sh")
    if subprocess.run([mk, "--arch", "amd64", "--init", init, initrd], capture_output=True).returncode:
        print("SKIP: cannot build the initramfs (busybox-static missing?)")
        sys.exit(77)
    machine = ["-kernel", kernel, "-initrd", initrd, "-m", "128M", "-no-reboot", "-jit", jit,
               "-append", "console=ttyS0 panic=-1"]
    log = os.path.join(tmp, "boot.svlog")
    rec = subprocess.run([exe] + machine + ["-record", log], stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, errors="replace", timeout=900)
    syms = {m.group(2): int(m.group(1), 16)
            for m in re.finditer(r"^([0-9a-f]{16}) [TtDdBb] (__x64_sys_reboot|jiffies)\r?$", rec.stdout, re.M)}
    if rec.returncode != 0 or len(syms) != 2 or "reboot: Power down" not in rec.stdout:
        fail("the recording did not boot, print __x64_sys_reboot and jiffies and power off (status %d)" % rec.returncode,
             rec.stdout + rec.stderr)
    sv = Softvisor(exe, machine + ["-replay", log], tmp)
    try:
        # The replay starts in 32-bit protected mode, where the stub describes i386 registers
        # (docs/debugging.md): a bare client takes it to __x64_sys_reboot, in long mode, and notes
        # the instruction count there; it then lets go, and gdb attaches with the x86-64 layout
        # and seeks back to that count (replay_seek).
        r = Raw(sv.sock)
        r.s.settimeout(600)
        sup = r.ask("qSupported:swbreak+")
        if "ReverseStep+" not in sup or "ReverseContinue+" not in sup:
            fail("qSupported under -replay lacks ReverseStep+ / ReverseContinue+: %s" % sup)
        # To the end of the log (no breakpoint: a breakpoint makes the replay go one instruction
        # at a time), then back to the reboot system call that `poweroff -f` made.
        rep = r.ask("c")
        if "replaylog:end" not in rep:
            fail("continue did not run to the end of the log: %r" % rep, sv.output())
        if r.ask("Z0,%x,1" % syms["__x64_sys_reboot"]) != "OK":
            fail("Z0 at __x64_sys_reboot refused")
        rep = r.ask("bc")
        if not rep.startswith("T05") or "replaylog" in rep:
            fail("reverse-continue from the end did not stop at __x64_sys_reboot: %r" % rep, sv.output())
        r.ask("z0,%x,1" % syms["__x64_sys_reboot"])
        text = r.monitor("info registers")[0]
        m = re.search(r"RIP=([0-9a-f]{16}).*icount=(\d+) mode=64-bit", text, re.S)
        if not m or int(m.group(1), 16) != syms["__x64_sys_reboot"]:
            fail("not at __x64_sys_reboot (0x%x) in 64-bit mode" % syms["__x64_sys_reboot"], text)
        start = int(m.group(2))
        # going away without D leaves the replay stopped here, for gdb to connect
        r.s.close()
        script = os.path.join(tmp, "reverse.py")
        with open(script, "w") as f:
            f.write(REVERSE_GDB % {"start": start, "jiffies": syms["jiffies"]})
        out = subprocess.run(["gdb", "-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
                              "-ex", "target remote " + sv.sock, "-x", script],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
        out = out.stdout + out.stderr
        sv.wait(120)
    finally:
        sv.kill()
    start_pc, pcs = shown(out, "START"), shown(out, "PC")
    back, again, bc = shown(out, "BACK"), shown(out, "AGAIN"), shown(out, "BC")
    if start_pc != [syms["__x64_sys_reboot"]] or len(pcs) != 10:
        fail("replay_seek %d did not come back to __x64_sys_reboot (0x%x), or stepi failed"
             % (start, syms["__x64_sys_reboot"]), out)
    steps = start_pc + pcs[:-1]
    if back != steps[::-1]:
        fail("reverse-stepi gave %s, expected %s" % ([hex(p) for p in back], [hex(p) for p in steps[::-1]]), out)
    if again != pcs:
        fail("stepi after reverse-stepi gave %s, expected %s" % ([hex(p) for p in again], [hex(p) for p in pcs]),
             out)
    if bc != [steps[-1]]:
        fail("reverse-continue with a breakpoint on each PC stopped at %s, not 0x%x" % (bc, steps[-1]), out)
    jnow, wpc = shown(out, "JNOW"), shown(out, "WPC")
    jbefore, jafter = shown(out, "JBEFORE"), shown(out, "JAFTER")
    if len(jnow) != 1 or len(wpc) != 1 or "Hardware watchpoint" not in out:
        fail("the watchpoint on jiffies (0x%x) did not stop going backwards" % syms["jiffies"], out)
    if jbefore == jnow or jafter != jnow or wpc[0] < 0xffffffff80000000:
        fail("reverse-continue did not stop at the kernel instruction that last wrote jiffies "
             "(value there %s, after it %s, now 0x%x)" % (jbefore, jafter, jnow[0]), out)


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    case, exe, image = sys.argv[1], sys.argv[2], sys.argv[3]
    if not shutil.which("gdb"):
        print("SKIP: gdb is not installed")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="sv-gdb-") as tmp:
        if case == "realmode":
            case_realmode(exe, image, tmp)
        elif case == "pm32":
            case_pm32(exe, image, tmp)
        elif case == "monitor":
            case_monitor(exe, image, tmp)
        elif case == "halted":
            case_halted(exe, image, tmp)
        elif case == "trace":
            case_trace(exe, image, tmp)
        elif case == "protocol":
            case_protocol(exe, image, tmp)
        elif case == "linux":
            case_linux(exe, image, tmp)
        elif case in ("reverse-realmode", "reverse-pm32", "reverse-monitor", "reverse-long"):
            jit = sys.argv[4] if len(sys.argv) > 4 else "on"
            {"reverse-realmode": case_reverse_realmode, "reverse-pm32": case_reverse_pm32,
             "reverse-monitor": case_reverse_monitor, "reverse-long": case_reverse_long}[case](exe, image, tmp, jit)
        elif case == "linux-reverse":
            case_linux_reverse(exe, image, tmp, sys.argv[4] if len(sys.argv) > 4 else "on")
        else:
            fail("unknown case " + case)
    print("PASS:", case)


if __name__ == "__main__":
    main()
