/*
 * gdbstub.c — GDB remote serial protocol stub (GDB manual, appendix E "Remote Serial Protocol";
 * research notes in shared/notes/replay-peers.md section 3), with QEMU's spelling and behaviour:
 *
 *   Framing: $payload#cc (cc = modulo-256 sum of the payload, two hex digits), acknowledged by
 *   '+' (or '-' asking for a resend) until QStartNoAckMode; '}' escapes the next byte XOR 0x20;
 *   a bare 0x03 between packets is gdb's interrupt (Ctrl-C).  Packets longer than PacketSize are
 *   dropped and answered E01; bad checksums get '-'.  Nothing a debugger sends can index past a
 *   buffer: every length is bounded before use.
 *
 *   Packets: ? g G p P m M X c s C S vCont vCont? Z0-Z4 z0-z4 k D qSupported qAttached qC
 *   qfThreadInfo qsThreadInfo qSymbol qOffsets qRcmd qXfer:features:read H T QStartNoAckMode,
 *   bs/bc through DebugTargetOps; anything else gets the empty reply ("not supported").
 *   Replay mode (DebugTargetOps set, vm/reverse.h): qSupported adds ReverseStep+ and
 *   ReverseContinue+, s runs the replay one instruction, and the start and the end of the
 *   recording are stops with gdb's reasons replaylog:begin / replaylog:end (gdb: "No more
 *   reverse-execution history"), never the W of an ended guest.
 *   One thread (id 1), as QEMU has one per vCPU.
 *
 *   Registers: gdb reads the target description once per connection, so the stub picks it when
 *   gdb connects: i386:x86-64 when the guest is in long mode, else i386 (32-bit registers,
 *   xmm0-7), with which gdb 13 also accepts `set architecture i8086` for real-mode code.
 *   XXX: QEMU's qemu-system-x86_64 always sends x86-64, with which gdb refuses i386/i8086; here
 *   a guest that enters long mode while gdb is attached keeps the i386 view until gdb
 *   reconnects (the registers then show their low 32 bits).  In compatibility mode and below
 *   the registers hold their 32- or 16-bit values zero-extended.  XXX: unlike QEMU, outside 64-bit code $pc is the linear address CS.base +
 *   EIP/IP, not the offset: gdb compares a stop's $pc with its breakpoint addresses and reads
 *   code at $pc, and both are linear here, so breakpoints, stepping and x/i work in real mode
 *   and with based code segments (QEMU's gdb ignores its own real-mode breakpoints, QEMU issue
 *   #141).  A write to $pc sets the offset from it.  Order = the XML's order = the g packet:
 *   rax rbx rcx rdx rsi rdi rbp rsp r8-r15 rip eflags cs ss ds es fs gs st0-7 fctrl fstat ftag
 *   fiseg fioff foseg fooff fop xmm0-15 mxcsr fs_base gs_base k_gs_base cr0 cr2 cr3 cr4 cr8 efer
 *   (i386: eax ecx edx ebx esp ebp esi edi eip eflags, the selectors, the x87 registers,
 *   xmm0-7, then mxcsr and the same system registers).
 *   XXX: writes to the segment selectors and the system registers (cr*, efer, k_gs_base) are
 *   ignored: loading them has side effects (descriptor loads, mode changes) a debugger write
 *   should not trigger half-way.  EFLAGS writes change the arithmetic flags, TF, IF and DF only.
 *
 *   Addresses in m/M/X and Z are linear addresses in the current paging context, as in QEMU:
 *   memory goes through paging_debug_walk (no A/D update, no fault, no TLB fill) and only to RAM
 *   (reads also ROM); execute breakpoints compare CS.base + rIP.
 *
 *   Breakpoints and watchpoints live here, never in guest memory (replay and checksums would
 *   diverge): they use the Cpu's host debugger hooks (CpuHostDebug, cpu/dbreg.c), which cost
 *   nothing while none is set.  Execute breakpoints make the run loop go one instruction at a
 *   time; watchpoints take their pages off the TLB's data fast path and stop right after the
 *   accessing instruction, reported as watch/rwatch/awatch:ADDR (the watchpoint's address).
 *
 *   Run state: gdb connecting stops the guest (as QEMU); c / vCont;c let it run until a
 *   breakpoint, a watchpoint or Ctrl-C; s steps one instruction synchronously (a halted CPU
 *   first waits for the interrupt that wakes it, see do_step); the guest ending
 *   (power-off, debug-exit, ...) is reported W<status> and ends the run.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpu/flags.h"
#include "debug/gdbstub.h"
#include "mem/paging.h"
#include "mem/tlb.h"

#define GDB_PACKET_MAX 0x4000   /* PacketSize we announce: payload bytes */
#define GDB_MAX_BP 64
#define GDB_TID "01"

enum { BP_SW, BP_HW, WP_WRITE, WP_READ, WP_ACCESS };

typedef struct GdbBp {
    int type;
    uint64_t addr, len;
} GdbBp;

typedef struct RegLayout RegLayout;

typedef enum ParseState { PS_IDLE, PS_DATA, PS_ESC, PS_CS1, PS_CS2 } ParseState;

struct GdbStub {
    Vm *vm;
    const DebugTargetOps *ops;
    void *ops_opaque;
    const MonitorHooks *hooks;
    int listen_fd, conn_fd;
    char *unix_path;          /* unix:PATH socket to remove at the end */
    GdbWriteFn write_fn;
    void *write_opaque;

    ParseState ps;
    uint8_t pkt[GDB_PACKET_MAX];
    size_t pkt_len;
    bool overflow;
    uint8_t sum, cs_hi;
    bool no_ack;
    bool gdb_swbreak, gdb_hwbreak;   /* gdb said it understands these stop reasons */
    char *last;               /* last packet sent, for '-' */
    size_t last_len;

    bool stopped;             /* the guest must not run */
    bool reply_due;           /* gdb resumed the guest and waits for a stop reply */
    int signal;               /* of the last stop: 5 SIGTRAP, 2 SIGINT */
    bool ended;               /* the VM ended: W sent */
    bool detached;            /* D received: the connection is on its way out */
    VmExit end_why;

    const RegLayout *layout;  /* chosen when gdb connects (see the header) */
    GdbBp bp[GDB_MAX_BP];
    int nbp;
    int hit_type;             /* -1: none; else the type of the breakpoint that stopped the guest */
    uint64_t hit_addr;
    CpuHostDebug host;

    char reply[2 * GDB_PACKET_MAX + 8];   /* payload being built */
    size_t reply_len;
    char frame[2 * (2 * GDB_PACKET_MAX + 8) + 8];
};

/* ---- the target description (registers) ---- */

typedef enum RegKind { RK_GPR, RK_RIP, RK_FLAGS, RK_SEG, RK_ST, RK_FPC, RK_XMM, RK_MXCSR, RK_SYS } RegKind;

typedef struct RegDesc {
    const char *name;
    uint8_t bits;
    uint8_t kind;
    uint8_t ix;               /* GPR number, segment, ST(i), FPU control word index, XMM, system reg */
    const char *type;
    const char *feature;      /* first register of a new <feature>, else NULL */
} RegDesc;

#define CORE "org.gnu.gdb.i386.core"
#define SYS_FEATURE "org.softvisor.gdb.i386.sys"
static const RegDesc regs64[] = {
    { "rax", 64, RK_GPR, R_AX, "int64", CORE }, { "rbx", 64, RK_GPR, R_BX, "int64", NULL },
    { "rcx", 64, RK_GPR, R_CX, "int64", NULL }, { "rdx", 64, RK_GPR, R_DX, "int64", NULL },
    { "rsi", 64, RK_GPR, R_SI, "int64", NULL }, { "rdi", 64, RK_GPR, R_DI, "int64", NULL },
    { "rbp", 64, RK_GPR, R_BP, "data_ptr", NULL }, { "rsp", 64, RK_GPR, R_SP, "data_ptr", NULL },
    { "r8", 64, RK_GPR, 8, "int64", NULL }, { "r9", 64, RK_GPR, 9, "int64", NULL },
    { "r10", 64, RK_GPR, 10, "int64", NULL }, { "r11", 64, RK_GPR, 11, "int64", NULL },
    { "r12", 64, RK_GPR, 12, "int64", NULL }, { "r13", 64, RK_GPR, 13, "int64", NULL },
    { "r14", 64, RK_GPR, 14, "int64", NULL }, { "r15", 64, RK_GPR, 15, "int64", NULL },
    { "rip", 64, RK_RIP, 0, "code_ptr", NULL }, { "eflags", 32, RK_FLAGS, 0, "i386_eflags", NULL },
    { "cs", 32, RK_SEG, SEG_CS, "int32", NULL }, { "ss", 32, RK_SEG, SEG_SS, "int32", NULL },
    { "ds", 32, RK_SEG, SEG_DS, "int32", NULL }, { "es", 32, RK_SEG, SEG_ES, "int32", NULL },
    { "fs", 32, RK_SEG, SEG_FS, "int32", NULL }, { "gs", 32, RK_SEG, SEG_GS, "int32", NULL },
    { "st0", 80, RK_ST, 0, "i387_ext", NULL }, { "st1", 80, RK_ST, 1, "i387_ext", NULL },
    { "st2", 80, RK_ST, 2, "i387_ext", NULL }, { "st3", 80, RK_ST, 3, "i387_ext", NULL },
    { "st4", 80, RK_ST, 4, "i387_ext", NULL }, { "st5", 80, RK_ST, 5, "i387_ext", NULL },
    { "st6", 80, RK_ST, 6, "i387_ext", NULL }, { "st7", 80, RK_ST, 7, "i387_ext", NULL },
    { "fctrl", 32, RK_FPC, 0, "int", NULL }, { "fstat", 32, RK_FPC, 1, "int", NULL },
    { "ftag", 32, RK_FPC, 2, "int", NULL }, { "fiseg", 32, RK_FPC, 3, "int", NULL },
    { "fioff", 32, RK_FPC, 4, "int", NULL }, { "foseg", 32, RK_FPC, 5, "int", NULL },
    { "fooff", 32, RK_FPC, 6, "int", NULL }, { "fop", 32, RK_FPC, 7, "int", NULL },
    { "xmm0", 128, RK_XMM, 0, "vec128", "org.gnu.gdb.i386.sse" }, { "xmm1", 128, RK_XMM, 1, "vec128", NULL },
    { "xmm2", 128, RK_XMM, 2, "vec128", NULL }, { "xmm3", 128, RK_XMM, 3, "vec128", NULL },
    { "xmm4", 128, RK_XMM, 4, "vec128", NULL }, { "xmm5", 128, RK_XMM, 5, "vec128", NULL },
    { "xmm6", 128, RK_XMM, 6, "vec128", NULL }, { "xmm7", 128, RK_XMM, 7, "vec128", NULL },
    { "xmm8", 128, RK_XMM, 8, "vec128", NULL }, { "xmm9", 128, RK_XMM, 9, "vec128", NULL },
    { "xmm10", 128, RK_XMM, 10, "vec128", NULL }, { "xmm11", 128, RK_XMM, 11, "vec128", NULL },
    { "xmm12", 128, RK_XMM, 12, "vec128", NULL }, { "xmm13", 128, RK_XMM, 13, "vec128", NULL },
    { "xmm14", 128, RK_XMM, 14, "vec128", NULL }, { "xmm15", 128, RK_XMM, 15, "vec128", NULL },
    { "mxcsr", 32, RK_MXCSR, 0, "i386_mxcsr", NULL },
    { "fs_base", 64, RK_SYS, 0, "int", "org.gnu.gdb.i386.segments" }, { "gs_base", 64, RK_SYS, 1, "int", NULL },
    { "k_gs_base", 64, RK_SYS, 2, "int", SYS_FEATURE },
    { "cr0", 64, RK_SYS, 3, "int", NULL }, { "cr2", 64, RK_SYS, 4, "int", NULL },
    { "cr3", 64, RK_SYS, 5, "int", NULL }, { "cr4", 64, RK_SYS, 6, "int", NULL },
    { "cr8", 64, RK_SYS, 7, "int", NULL }, { "efer", 64, RK_SYS, 8, "int", NULL },
};

/* The i386 description, for a guest that is not in long mode when gdb connects: 32-bit
 * registers in gdb's i386 order, xmm0-7, then the same system registers. */
static const RegDesc regs32[] = {
    { "eax", 32, RK_GPR, R_AX, "int32", CORE }, { "ecx", 32, RK_GPR, R_CX, "int32", NULL },
    { "edx", 32, RK_GPR, R_DX, "int32", NULL }, { "ebx", 32, RK_GPR, R_BX, "int32", NULL },
    { "esp", 32, RK_GPR, R_SP, "data_ptr", NULL }, { "ebp", 32, RK_GPR, R_BP, "data_ptr", NULL },
    { "esi", 32, RK_GPR, R_SI, "int32", NULL }, { "edi", 32, RK_GPR, R_DI, "int32", NULL },
    { "eip", 32, RK_RIP, 0, "code_ptr", NULL }, { "eflags", 32, RK_FLAGS, 0, "i386_eflags", NULL },
    { "cs", 32, RK_SEG, SEG_CS, "int32", NULL }, { "ss", 32, RK_SEG, SEG_SS, "int32", NULL },
    { "ds", 32, RK_SEG, SEG_DS, "int32", NULL }, { "es", 32, RK_SEG, SEG_ES, "int32", NULL },
    { "fs", 32, RK_SEG, SEG_FS, "int32", NULL }, { "gs", 32, RK_SEG, SEG_GS, "int32", NULL },
};

/* A target description: its own general registers (`head`), then from regs64 the x87 registers,
 * the first `nxmm` xmm registers, mxcsr and the system registers. */
struct RegLayout {
    const char *arch;
    const RegDesc *head;
    int nhead;
    int nxmm;                 /* xmm registers: 16 (x86-64) or 8 (i386) */
};

#define X87_FIRST 24          /* st0 in regs64 */
#define XMM_FIRST 40          /* xmm0 in regs64 */
#define MXCSR_AT 56           /* mxcsr in regs64; the system registers follow */
#define NREGS64 ((int)(sizeof(regs64) / sizeof(regs64[0])))

static const RegLayout layout64 = { "i386:x86-64", regs64, X87_FIRST, 16 };
static const RegLayout layout32 = { "i386", regs32, (int)(sizeof(regs32) / sizeof(regs32[0])), 8 };

static int layout_count(const RegLayout *l)
{
    return l->nhead + (XMM_FIRST - X87_FIRST) + l->nxmm + (NREGS64 - MXCSR_AT);
}

/* Register n of a layout (n < layout_count). */
static const RegDesc *layout_reg(const RegLayout *l, int n)
{
    if (n < l->nhead)
        return &l->head[n];
    n -= l->nhead;
    if (n < XMM_FIRST - X87_FIRST)
        return &regs64[X87_FIRST + n];
    n -= XMM_FIRST - X87_FIRST;
    if (n < l->nxmm)
        return &regs64[XMM_FIRST + n];
    return &regs64[MXCSR_AT + n - l->nxmm];
}

/* Types the core and sse features use (gdb's own 64bit-core.xml / 64bit-sse.xml define the same
 * names; they are spelled out here so gdb needs no file of its own). */
static const char xml_types[] =
    "<flags id=\"i386_eflags\" size=\"4\"><field name=\"CF\" start=\"0\" end=\"0\"/>"
    "<field name=\"\" start=\"1\" end=\"1\"/><field name=\"PF\" start=\"2\" end=\"2\"/>"
    "<field name=\"AF\" start=\"4\" end=\"4\"/><field name=\"ZF\" start=\"6\" end=\"6\"/>"
    "<field name=\"SF\" start=\"7\" end=\"7\"/><field name=\"TF\" start=\"8\" end=\"8\"/>"
    "<field name=\"IF\" start=\"9\" end=\"9\"/><field name=\"DF\" start=\"10\" end=\"10\"/>"
    "<field name=\"OF\" start=\"11\" end=\"11\"/><field name=\"NT\" start=\"14\" end=\"14\"/>"
    "<field name=\"RF\" start=\"16\" end=\"16\"/><field name=\"VM\" start=\"17\" end=\"17\"/>"
    "<field name=\"AC\" start=\"18\" end=\"18\"/><field name=\"VIF\" start=\"19\" end=\"19\"/>"
    "<field name=\"VIP\" start=\"20\" end=\"20\"/><field name=\"ID\" start=\"21\" end=\"21\"/></flags>";
static const char xml_sse_types[] =
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/><vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/><vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/><vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
    "<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
    "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
    "<field name=\"uint128\" type=\"uint128\"/></union>"
    "<flags id=\"i386_mxcsr\" size=\"4\"><field name=\"IE\" start=\"0\" end=\"0\"/>"
    "<field name=\"DE\" start=\"1\" end=\"1\"/><field name=\"ZE\" start=\"2\" end=\"2\"/>"
    "<field name=\"OE\" start=\"3\" end=\"3\"/><field name=\"UE\" start=\"4\" end=\"4\"/>"
    "<field name=\"PE\" start=\"5\" end=\"5\"/><field name=\"DAZ\" start=\"6\" end=\"6\"/>"
    "<field name=\"IM\" start=\"7\" end=\"7\"/><field name=\"DM\" start=\"8\" end=\"8\"/>"
    "<field name=\"ZM\" start=\"9\" end=\"9\"/><field name=\"OM\" start=\"10\" end=\"10\"/>"
    "<field name=\"UM\" start=\"11\" end=\"11\"/><field name=\"PM\" start=\"12\" end=\"12\"/>"
    "<field name=\"FZ\" start=\"15\" end=\"15\"/></flags>";

/* The whole target.xml, built from a register layout into `out` (NUL-terminated); its length. */
static size_t target_xml(const RegLayout *l, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
                                          "<target><architecture>%s</architecture>", l->arch);
    for (int i = 0; i < layout_count(l) && n < cap; i++) {
        const RegDesc *r = layout_reg(l, i);
        const char *feature = r->feature;
        if (l->nxmm == 8 && r->kind == RK_SYS)   /* i386: gdb 13 asserts on the segments feature */
            feature = r->ix == 0 ? SYS_FEATURE : NULL;
        if (feature) {
            n += (size_t)snprintf(out + n, cap - n, "%s<feature name=\"%s\">%s", i ? "</feature>" : "", feature,
                                  i == 0 ? xml_types : r->kind == RK_XMM ? xml_sse_types : "");
        }
        if (n < cap)
            n += (size_t)snprintf(out + n, cap - n, "<reg name=\"%s\" bitsize=\"%d\" type=\"%s\"%s/>", r->name,
                                  r->bits, r->type,
                                  r->kind == RK_ST || r->kind == RK_FPC ? " group=\"float\""
                                  : r->kind == RK_XMM || r->kind == RK_MXCSR ? " group=\"vector\"" : "");
    }
    if (n < cap)
        n += (size_t)snprintf(out + n, cap - n, "</feature></target>");
    assert(n < cap);
    return n;
}

/* Register `r`'s value, little-endian, into buf; returns its size in bytes. */
static int reg_get(const Cpu *cpu, const RegDesc *r, uint8_t *buf)
{
    uint64_t v = 0;
    int size = r->bits / 8;
    switch (r->kind) {
    case RK_GPR: v = cpu->gpr[r->ix]; break;
    case RK_RIP: v = cpu->code_bits == 64 ? cpu->rip : (uint32_t)(cpu->seg[SEG_CS].base + cpu->rip); break;
    case RK_FLAGS: v = cpu_get_eflags(cpu); break;
    case RK_SEG: v = cpu->seg[r->ix].sel; break;
    case RK_ST: {
        const Fp80 *f = &cpu->fpu.regs[(((cpu->fpu.sw >> 11) & 7) + r->ix) & 7];
        memcpy(buf, &f->mant, 8);
        memcpy(buf + 8, &f->se, 2);
        return 10;
    }
    case RK_FPC: {
        const X87State *x = &cpu->fpu;
        const uint64_t fpc[8] = { x->cw, x->sw, x->tw, x->fcs, x->fip, x->fds, x->fdp, x->fop };
        v = fpc[r->ix];
        break;
    }
    case RK_XMM: memcpy(buf, &cpu->xmm[r->ix], 16); return 16;
    case RK_MXCSR: v = cpu->mxcsr; break;
    case RK_SYS: {
        const uint64_t sys[9] = { cpu->seg[SEG_FS].base, cpu->seg[SEG_GS].base, cpu->kernel_gs_base, cpu->cr0,
                                  cpu->cr2, cpu->cr3, cpu->cr4, cpu->cr8, cpu->efer };
        v = sys[r->ix];
        break;
    }
    }
    for (int i = 0; i < size; i++)
        buf[i] = (uint8_t)(v >> (8 * i));
    return size;
}

/* Sets register `r` from `buf` (its size in bytes); see the header for what is ignored. */
static void reg_set(Cpu *cpu, const RegDesc *r, const uint8_t *buf)
{
    uint64_t v = 0;
    int size = r->bits / 8;
    for (int i = 0; i < size && i < 8; i++)
        v |= (uint64_t)buf[i] << (8 * i);
    const uint32_t fl_mask = FL_ARITH | FL_TF | FL_IF | FL_DF;
    switch (r->kind) {
    case RK_GPR: cpu->gpr[r->ix] = v; break;
    case RK_RIP: cpu->rip = cpu->code_bits == 64 ? v : (uint32_t)(v - cpu->seg[SEG_CS].base); break;
    case RK_FLAGS: cpu_set_eflags(cpu, (cpu_get_eflags(cpu) & ~fl_mask) | ((uint32_t)v & fl_mask)); break;
    case RK_ST: {
        Fp80 *f = &cpu->fpu.regs[(((cpu->fpu.sw >> 11) & 7) + r->ix) & 7];
        memcpy(&f->mant, buf, 8);
        memcpy(&f->se, buf + 8, 2);
        break;
    }
    case RK_FPC: {
        X87State *x = &cpu->fpu;
        switch (r->ix) {
        case 0: x->cw = (uint16_t)v; break;
        case 1: x->sw = (uint16_t)v; break;
        case 2: x->tw = (uint16_t)v; break;
        case 3: x->fcs = (uint16_t)v; break;
        case 4: x->fip = v; break;
        case 5: x->fds = (uint16_t)v; break;
        case 6: x->fdp = v; break;
        default: x->fop = (uint16_t)(v & 0x7ff); break;
        }
        break;
    }
    case RK_XMM: memcpy(&cpu->xmm[r->ix], buf, 16); break;
    case RK_MXCSR: cpu->mxcsr = (uint32_t)v & 0xffff; break;
    default: break;   /* selectors and system registers: see the XXX in the header */
    }
}

/* ---- hex ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses hex digits at *p (up to `end`) into *v; false when there is none or more than 16. */
static bool parse_hex(const char **p, const char *end, uint64_t *v)
{
    uint64_t x = 0;
    int n = 0;
    while (*p < end && hexval(**p) >= 0) {
        if (++n > 16)
            return false;
        x = (x << 4) | (uint64_t)hexval(**p);
        (*p)++;
    }
    *v = x;
    return n > 0;
}

/* Decodes up to `max` bytes of hex from [p, end); returns the count, or -1 on an odd/bad digit. */
static long unhex(const char *p, const char *end, uint8_t *out, size_t max)
{
    size_t n = 0;
    while (p < end) {
        if (end - p < 2 || n >= max)
            return -1;
        int hi = hexval(p[0]), lo = hexval(p[1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return (long)n;
}

/* ---- replies ---- */

static void put(GdbStub *g, const char *s, size_t n)
{
    if (n > sizeof(g->reply) - g->reply_len)
        n = sizeof(g->reply) - g->reply_len;
    memcpy(g->reply + g->reply_len, s, n);
    g->reply_len += n;
}

static void puts_(GdbStub *g, const char *s)
{
    put(g, s, strlen(s));
}

static void put_hex(GdbStub *g, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n && g->reply_len + 2 <= sizeof(g->reply); i++) {
        g->reply[g->reply_len++] = digits[b[i] >> 4];
        g->reply[g->reply_len++] = digits[b[i] & 15];
    }
}

static void raw_write(GdbStub *g, const void *buf, size_t n)
{
    if (g->write_fn) {
        g->write_fn(g->write_opaque, buf, n);
        return;
    }
    const char *p = buf;
    while (n && g->conn_fd >= 0) {
        ssize_t w = write(g->conn_fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;   /* gdb went away: the read side notices and closes */
        p += w;
        n -= (size_t)w;
    }
}

/* Frames and sends the reply built so far, escaping $ # } * . */
static void send_reply(GdbStub *g)
{
    size_t n = 0;
    uint8_t sum = 0;
    g->frame[n++] = '$';
    for (size_t i = 0; i < g->reply_len; i++) {
        char c = g->reply[i];
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            g->frame[n++] = '}';
            sum += '}';
            c ^= 0x20;
        }
        g->frame[n++] = c;
        sum += (uint8_t)c;
    }
    n += (size_t)snprintf(g->frame + n, sizeof(g->frame) - n, "#%02x", sum);
    raw_write(g, g->frame, n);
    char *last = realloc(g->last, n);
    if (last) {
        memcpy(last, g->frame, n);
        g->last = last;
        g->last_len = n;
    }
    g->reply_len = 0;
}

static void reply_str(GdbStub *g, const char *s)
{
    g->reply_len = 0;
    puts_(g, s);
    send_reply(g);
}

/* The T stop reply for the current stop. */
static void reply_stop(GdbStub *g)
{
    char s[96];
    g->reply_len = 0;
    snprintf(s, sizeof(s), "T%02xthread:" GDB_TID ";", g->signal);
    puts_(g, s);
    if (g->hit_type >= WP_WRITE) {
        static const char *const kind[3] = { "watch", "rwatch", "awatch" };
        snprintf(s, sizeof(s), "%s:%" PRIx64 ";", kind[g->hit_type - WP_WRITE], g->hit_addr);
        puts_(g, s);
    } else if (g->hit_type == BP_SW && g->gdb_swbreak) {
        puts_(g, "swbreak:;");
    } else if (g->hit_type == BP_HW && g->gdb_hwbreak) {
        puts_(g, "hwbreak:;");
    }
    send_reply(g);
}

/* ---- breakpoints: the CpuHostDebug hooks ---- */

static bool host_insn_hit(void *opaque, uint64_t lin)
{
    GdbStub *g = opaque;
    for (int i = 0; i < g->nbp; i++)
        if (g->bp[i].type <= BP_HW && g->bp[i].addr == lin) {
            g->hit_type = g->bp[i].type;
            g->hit_addr = lin;
            return true;
        }
    return false;
}

static bool host_page_watched(void *opaque, uint64_t page)
{
    GdbStub *g = opaque;
    for (int i = 0; i < g->nbp; i++)
        if (g->bp[i].type >= WP_WRITE && g->bp[i].addr <= page + PAGE_SIZE - 1 &&
            g->bp[i].addr + g->bp[i].len - 1 >= page)
            return true;
    return false;
}

static bool host_data_hit(void *opaque, uint64_t lin, int size, bool write)
{
    GdbStub *g = opaque;
    for (int i = 0; i < g->nbp; i++) {
        const GdbBp *b = &g->bp[i];
        if (b->type < WP_WRITE || (b->type == WP_WRITE && !write) || (b->type == WP_READ && write))
            continue;
        if (b->addr <= lin + (uint64_t)size - 1 && b->addr + b->len - 1 >= lin) {
            g->hit_type = b->type;
            g->hit_addr = b->addr;
            return true;
        }
    }
    return false;
}

bool gdbstub_hit_is_watch(const GdbStub *g)
{
    return g->hit_type >= WP_WRITE;
}

bool gdbstub_bp_at(const GdbStub *g, uint64_t lin)
{
    for (int i = 0; i < g->nbp; i++)
        if (g->bp[i].type <= BP_HW && g->bp[i].addr == lin)
            return true;
    return false;
}

/* Arms the Cpu's host bits to match the table; the TLB's tags are rebuilt so that watched pages
 * leave (or regain) the fast path. */
static void bp_arm(GdbStub *g)
{
    Cpu *cpu = g->vm->cpu;
    bool insn = false, data = false;
    for (int i = 0; i < g->nbp; i++) {
        insn |= g->bp[i].type <= BP_HW;
        data |= g->bp[i].type >= WP_WRITE;
    }
    cpu->dbg_insn_armed = (uint8_t)((cpu->dbg_insn_armed & ~DBG_HOST) | (insn ? DBG_HOST : 0));
    cpu->dbg_data_armed = (uint8_t)((cpu->dbg_data_armed & ~DBG_HOST) | (data ? DBG_HOST : 0));
    /* the tags change, the translations (guest-visible state) stay: a replay goes on as recorded */
    tlb_rebuild(cpu);
}

static void bp_packet(GdbStub *g, bool insert, const char *p, const char *end)
{
    uint64_t type, addr, kind;
    if (!parse_hex(&p, end, &type) || p >= end || *p++ != ',' || !parse_hex(&p, end, &addr) || p >= end ||
        *p++ != ',' || !parse_hex(&p, end, &kind) || (p < end && *p != ';')) {
        reply_str(g, "E01");
        return;
    }
    if (type > WP_ACCESS) {
        reply_str(g, "");
        return;
    }
    uint64_t len = type <= BP_HW ? 1 : kind;
    if (len == 0 || len > PAGE_SIZE || addr + len - 1 < addr) {
        reply_str(g, "E22");
        return;
    }
    int found = -1;
    for (int i = 0; i < g->nbp; i++)
        if (g->bp[i].type == (int)type && g->bp[i].addr == addr && g->bp[i].len == len)
            found = i;
    if (insert && found < 0) {
        if (g->nbp == GDB_MAX_BP) {
            reply_str(g, "E28");   /* ENOSPC */
            return;
        }
        g->bp[g->nbp++] = (GdbBp){ .type = (int)type, .addr = addr, .len = len };
    } else if (!insert && found >= 0) {
        g->bp[found] = g->bp[--g->nbp];
    }
    bp_arm(g);
    reply_str(g, "OK");
}

static void bp_clear(GdbStub *g)
{
    g->nbp = 0;
    bp_arm(g);
}

/* ---- memory ---- */

static void mem_read(GdbStub *g, const char *p, const char *end)
{
    uint64_t addr, len;
    if (!parse_hex(&p, end, &addr) || p >= end || *p++ != ',' || !parse_hex(&p, end, &len) || p != end) {
        reply_str(g, "E01");
        return;
    }
    if (len > GDB_PACKET_MAX / 2)
        len = GDB_PACKET_MAX / 2;
    uint8_t buf[GDB_PACKET_MAX / 2];
    size_t n = monitor_read_mem(g->vm, addr, true, buf, (size_t)len);
    if (n == 0 && len) {
        reply_str(g, "E14");   /* EFAULT */
        return;
    }
    g->reply_len = 0;
    put_hex(g, buf, n);
    send_reply(g);
}

/* Writes guest RAM at a linear address; false at the first byte that is not writable RAM. */
static bool mem_write_bytes(GdbStub *g, uint64_t addr, const uint8_t *buf, size_t n)
{
    Cpu *cpu = g->vm->cpu;
    for (size_t i = 0; i < n; i++) {
        uint64_t lin = addr + i, pa;
        if (cpu->cr0 & CR0_PG) {
            PagingTrace t;
            if (!paging_debug_walk(cpu, lin, ACC_READ, 0, &t))
                return false;
            pa = t.pa;
        } else {
            pa = lin & 0xffffffffu;
        }
        pa &= cpu->a20_mask;
        bool w = false;
        if (!cpu->bus->phys_ptr(cpu->bus_opaque, pa & PAGE_MASK, &w) || !w)
            return false;
        tlb_phys_write(cpu, pa, 1, buf[i]);   /* drops decoded blocks of a code page first */
    }
    return true;
}

/* M addr,len:hex (binary false) or X addr,len:bytes (binary true, already unescaped). */
static void mem_write(GdbStub *g, const char *p, const char *end, bool binary)
{
    uint64_t addr, len;
    if (!parse_hex(&p, end, &addr) || p >= end || *p++ != ',' || !parse_hex(&p, end, &len) || p >= end ||
        *p++ != ':') {
        reply_str(g, "E01");
        return;
    }
    uint8_t buf[GDB_PACKET_MAX];
    long n;
    if (binary) {
        n = end - p;
        if ((size_t)n > sizeof(buf))
            n = -1;
        else
            memcpy(buf, p, (size_t)n);
    } else {
        n = unhex(p, end, buf, sizeof(buf));
    }
    if (n < 0 || (uint64_t)n != len) {
        reply_str(g, "E01");
        return;
    }
    reply_str(g, mem_write_bytes(g, addr, buf, (size_t)n) ? "OK" : "E14");
}

/* ---- registers ---- */

static void regs_read(GdbStub *g)
{
    g->reply_len = 0;
    for (int i = 0; i < layout_count(g->layout); i++) {
        uint8_t b[16];
        int n = reg_get(g->vm->cpu, layout_reg(g->layout, i), b);
        put_hex(g, b, (size_t)n);
    }
    send_reply(g);
}

static void regs_write(GdbStub *g, const char *p, const char *end)
{
    uint8_t buf[1024];
    long n = unhex(p, end, buf, sizeof(buf));
    if (n < 0) {
        reply_str(g, "E01");
        return;
    }
    size_t off = 0;
    for (int i = 0; i < layout_count(g->layout); i++) {
        const RegDesc *r = layout_reg(g->layout, i);
        size_t sz = r->bits / 8;
        if (off + sz > (size_t)n)
            break;   /* a short G packet sets the registers it covers */
        reg_set(g->vm->cpu, r, buf + off);
        off += sz;
    }
    reply_str(g, "OK");
}

static void reg_read_one(GdbStub *g, const char *p, const char *end)
{
    uint64_t n;
    if (!parse_hex(&p, end, &n) || p != end) {
        reply_str(g, "E01");
        return;
    }
    if (n >= (uint64_t)layout_count(g->layout)) {
        reply_str(g, "E45");
        return;
    }
    uint8_t b[16];
    int sz = reg_get(g->vm->cpu, layout_reg(g->layout, (int)n), b);
    g->reply_len = 0;
    put_hex(g, b, (size_t)sz);
    send_reply(g);
}

static void reg_write_one(GdbStub *g, const char *p, const char *end)
{
    uint64_t n;
    uint8_t b[16];
    if (!parse_hex(&p, end, &n) || p >= end || *p++ != '=' || n >= (uint64_t)layout_count(g->layout)) {
        reply_str(g, "E01");
        return;
    }
    const RegDesc *r = layout_reg(g->layout, (int)n);
    long got = unhex(p, end, b, sizeof(b));
    if (got != r->bits / 8) {
        reply_str(g, "E01");
        return;
    }
    reg_set(g->vm->cpu, r, b);
    reply_str(g, "OK");
}

/* ---- running ---- */

static bool vm_ended(VmExit why)
{
    return why == VM_EXIT_DEBUG_EXIT || why == VM_EXIT_POWEROFF || why == VM_EXIT_HALTED ||
           why == VM_EXIT_TRIPLE_FAULT || why == VM_EXIT_SLEEP;
}

static void report_end(GdbStub *g, VmExit why)
{
    char s[16];
    g->ended = true;
    g->end_why = why;
    g->stopped = true;
    if (g->conn_fd < 0 && !g->write_fn)
        return;
    if (why == VM_EXIT_TRIPLE_FAULT)
        snprintf(s, sizeof(s), "X%02x", 9);
    else
        snprintf(s, sizeof(s), "W%02x", (unsigned)g->vm->exit_status & 0xff);
    reply_str(g, s);
}

/* Prepares the Cpu to go on from a stop: the instruction at the stop runs even when a
 * breakpoint stands on it (gdb steps over its own breakpoints anyway). */
static void resume_prepare(GdbStub *g)
{
    Cpu *cpu = g->vm->cpu;
    cpu->host_stop = false;
    cpu->host_skip = true;
    g->hit_type = -1;
    g->signal = 5;
}

/* One instruction.  A halted CPU first waits (its clock skipping to the next deadline, as the
 * run loop does) until an interrupt wakes it, and then the step is the handler's first
 * instruction: a step that retired nothing would leave gdb at the same PC and let it believe
 * a breakpoint there was hit again.  With no deadline armed (only input could wake it), or
 * after STEP_MAX_SLICES idle slices, the step ends where it is. */
#define STEP_MAX_SLICES 100000
static void do_step(GdbStub *g)
{
    Cpu *cpu = g->vm->cpu;
    resume_prepare(g);
    uint64_t start = cpu->icount;
    VmExit why;
    int n = 0;
    if (g->ops && g->ops->step) {
        why = g->ops->step(g->ops_opaque, g->vm);   /* the replay: its log says what comes */
        if (why == VM_EXIT_REPLAY_END) {
            cpu->host_stop = false;
            reply_str(g, "T05thread:" GDB_TID ";replaylog:end;");
            return;
        }
    } else {
        do
            why = vm_run(g->vm, 1);
        while (cpu->icount == start && why == VM_EXIT_INSN_LIMIT && ++n < STEP_MAX_SLICES);
    }
    if (vm_ended(why)) {
        report_end(g, why);
        return;
    }
    cpu->host_stop = false;
    reply_stop(g);
}

static void do_continue(GdbStub *g)
{
    resume_prepare(g);
    g->stopped = false;
    g->reply_due = true;
}

static void do_reverse(GdbStub *g, bool step)
{
    if (!g->ops || (step ? !g->ops->reverse_step : !g->ops->reverse_continue)) {
        reply_str(g, "E22");
        return;
    }
    g->hit_type = -1;
    g->signal = 5;
    bool at_begin = false;
    bool ok = step ? g->ops->reverse_step(g->ops_opaque, g->vm, &at_begin)
                   : g->ops->reverse_continue(g->ops_opaque, g->vm, &at_begin);
    g->vm->cpu->host_stop = false;
    if (!ok) {
        reply_str(g, "E14");
        return;
    }
    if (at_begin) {
        reply_str(g, "T05thread:" GDB_TID ";replaylog:begin;");
        return;
    }
    reply_stop(g);
}

static void vcont(GdbStub *g, const char *p, const char *end)
{
    /* One thread: the first action decides (vCont;s:1;c or vCont;c). */
    if (p >= end || *p != ';') {
        reply_str(g, "E01");
        return;
    }
    p++;
    if (p < end && (*p == 's' || *p == 'S'))
        do_step(g);
    else if (p < end && (*p == 'c' || *p == 'C'))
        do_continue(g);
    else
        reply_str(g, "E01");
}

/* ---- queries ---- */

static void xfer_features(GdbStub *g, const char *p, const char *end)
{
    static const char prefix[] = "target.xml:";
    size_t pl = sizeof(prefix) - 1;
    uint64_t off, len;
    if ((size_t)(end - p) < pl || memcmp(p, prefix, pl)) {
        reply_str(g, "E00");
        return;
    }
    p += pl;
    if (!parse_hex(&p, end, &off) || p >= end || *p++ != ',' || !parse_hex(&p, end, &len) || p != end) {
        reply_str(g, "E01");
        return;
    }
    char xml[12288];
    size_t n = target_xml(g->layout, xml, sizeof(xml));
    if (len > GDB_PACKET_MAX - 8)
        len = GDB_PACKET_MAX - 8;
    g->reply_len = 0;
    if (off >= n) {
        puts_(g, "l");
    } else {
        size_t chunk = n - off < len ? n - (size_t)off : (size_t)len;
        puts_(g, off + chunk >= n ? "l" : "m");
        put(g, xml + off, chunk);
    }
    send_reply(g);
}

static void supported(GdbStub *g, const char *p, const char *end)
{
    g->gdb_swbreak = memmem(p, (size_t)(end - p), "swbreak+", 8) != NULL;
    g->gdb_hwbreak = memmem(p, (size_t)(end - p), "hwbreak+", 8) != NULL;
    char s[200];
    snprintf(s, sizeof(s), "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+%s%s",
             GDB_PACKET_MAX, g->ops && g->ops->reverse_step ? ";ReverseStep+" : "",
             g->ops && g->ops->reverse_continue ? ";ReverseContinue+" : "");
    reply_str(g, s);
}

/* Acts on what a monitor command asks of the session. */
static GdbEvent mon_action(GdbStub *g, MonAction a)
{
    if (a == MON_QUIT)
        return GDB_EV_QUIT;
    if (a == MON_STOP && !g->stopped) {
        g->stopped = true;
        g->hit_type = -1;
        g->signal = 2;
        if (g->reply_due) {
            g->reply_due = false;
            reply_stop(g);
        }
    } else if (a == MON_CONT && g->stopped && !g->ended) {
        resume_prepare(g);
        g->stopped = false;
    }
    return GDB_EV_NONE;
}

/* qRcmd: the monitor, its output as O packets (hex), then OK. */
static GdbEvent monitor_packet(GdbStub *g, const char *p, const char *end)
{
    char line[512];
    long n = unhex(p, end, (uint8_t *)line, sizeof(line) - 1);
    if (n < 0) {
        reply_str(g, "E01");
        return GDB_EV_NONE;
    }
    line[n] = 0;
    MonOut out = { 0 };
    MonAction a = monitor_exec(g->vm, g->hooks, line, &out);
    for (size_t off = 0; off < out.len; off += 512) {
        size_t chunk = out.len - off < 512 ? out.len - off : 512;
        g->reply_len = 0;
        puts_(g, "O");
        put_hex(g, (const uint8_t *)out.p + off, chunk);
        send_reply(g);
    }
    monout_free(&out);
    /* `cont` from gdb's monitor only changes the state here; gdb still thinks the guest stopped. */
    GdbEvent ev = a == MON_CONT ? GDB_EV_NONE : mon_action(g, a);
    reply_str(g, "OK");
    return ev;
}

static bool starts(const char *p, const char *end, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(end - p) >= n && !memcmp(p, s, n);
}

/* One complete packet (payload unescaped, checksum verified). */
static GdbEvent handle_packet(GdbStub *g, const char *p, size_t len)
{
    const char *end = p + len;
    if (len == 0) {
        reply_str(g, "");
        return GDB_EV_NONE;
    }
    char c = *p++;
    if (g->ended && c != 'k' && c != 'D' && c != '?' && c != 'q') {
        reply_str(g, "E01");   /* the VM is gone: nothing to run or look at */
        return GDB_EV_NONE;
    }
    switch (c) {
    case '?':
        if (g->ended)
            report_end(g, g->end_why);
        else
            reply_stop(g);
        break;
    case 'g': regs_read(g); break;
    case 'G': regs_write(g, p, end); break;
    case 'p': reg_read_one(g, p, end); break;
    case 'P': reg_write_one(g, p, end); break;
    case 'm': mem_read(g, p, end); break;
    case 'M': mem_write(g, p, end, false); break;
    case 'X': mem_write(g, p, end, true); break;
    case 'c': case 'C': do_continue(g); break;   /* an address or signal is ignored */
    case 's': case 'S': do_step(g); break;
    case 'Z': bp_packet(g, true, p, end); break;
    case 'z': bp_packet(g, false, p, end); break;
    case 'H': case 'T': reply_str(g, "OK"); break;
    case 'k': return GDB_EV_QUIT;
    case 'D':
        reply_str(g, "OK");
        g->detached = true;
        bp_clear(g);
        if (!g->ended) {
            resume_prepare(g);
            g->stopped = false;
        }
        g->reply_due = false;
        break;
    case 'b':
        if (p < end && (*p == 's' || *p == 'c') && p + 1 == end)
            do_reverse(g, *p == 's');
        else
            reply_str(g, "");
        break;
    case 'v':
        if (starts(p, end, "Cont?"))
            reply_str(g, "vCont;c;C;s;S");
        else if (starts(p, end, "Cont"))
            vcont(g, p + 4, end);
        else
            reply_str(g, "");
        break;
    case 'q':
        if (starts(p, end, "Supported"))
            supported(g, p, end);
        else if (starts(p, end, "Xfer:features:read:"))
            xfer_features(g, p + 19, end);
        else if (starts(p, end, "Attached"))
            reply_str(g, "1");
        else if (starts(p, end, "C") && p + 1 == end)
            reply_str(g, "QC" GDB_TID);
        else if (starts(p, end, "fThreadInfo"))
            reply_str(g, "m" GDB_TID);
        else if (starts(p, end, "sThreadInfo"))
            reply_str(g, "l");
        else if (starts(p, end, "Symbol"))
            reply_str(g, "OK");
        else if (starts(p, end, "Rcmd,"))
            return monitor_packet(g, p + 5, end);
        else
            reply_str(g, "");
        break;
    case 'Q':
        if (starts(p, end, "StartNoAckMode")) {
            reply_str(g, "OK");
            g->no_ack = true;
        } else {
            reply_str(g, "");
        }
        break;
    default:
        reply_str(g, "");
        break;
    }
    return GDB_EV_NONE;
}

/* gdb's Ctrl-C: stop a running guest and report SIGINT. */
static void interrupt(GdbStub *g)
{
    if (g->stopped)
        return;
    g->stopped = true;
    g->hit_type = -1;
    g->signal = 2;
    if (g->reply_due) {
        g->reply_due = false;
        reply_stop(g);
    }
}

GdbEvent gdbstub_feed(GdbStub *g, const uint8_t *buf, size_t len)
{
    GdbEvent ev = GDB_EV_NONE;
    for (size_t i = 0; i < len && ev == GDB_EV_NONE; i++) {
        uint8_t b = buf[i];
        switch (g->ps) {
        case PS_IDLE:
            if (b == '$') {
                g->ps = PS_DATA;
                g->pkt_len = 0;
                g->sum = 0;
                g->overflow = false;
            } else if (b == 0x03) {
                interrupt(g);
            } else if (b == '-' && g->last && !g->no_ack) {
                raw_write(g, g->last, g->last_len);
            }
            break;   /* '+' and noise between packets are ignored */
        case PS_DATA:
        case PS_ESC:
            if (b == '#' && g->ps == PS_DATA) {
                g->ps = PS_CS1;
                break;
            }
            g->sum += b;
            if (g->ps == PS_DATA && b == '}') {
                g->ps = PS_ESC;
                break;
            }
            if (g->ps == PS_ESC) {
                b ^= 0x20;
                g->ps = PS_DATA;
            }
            if (g->pkt_len < sizeof(g->pkt))
                g->pkt[g->pkt_len++] = b;
            else
                g->overflow = true;
            break;
        case PS_CS1:
            g->cs_hi = b;
            g->ps = PS_CS2;
            break;
        case PS_CS2: {
            g->ps = PS_IDLE;
            int hi = hexval(g->cs_hi), lo = hexval(b);
            bool ok = hi >= 0 && lo >= 0 && (uint8_t)(hi << 4 | lo) == g->sum;
            if (!g->no_ack)
                raw_write(g, ok ? "+" : "-", 1);
            if (!ok)
                break;
            if (g->overflow)
                reply_str(g, "E01");
            else
                ev = handle_packet(g, (const char *)g->pkt, g->pkt_len);
            break;
        }
        }
    }
    return ev;
}

/* ---- the session ---- */

GdbStub *gdbstub_new(Vm *vm, bool start_stopped, const DebugTargetOps *ops, void *ops_opaque,
                     const MonitorHooks *hooks)
{
    GdbStub *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->vm = vm;
    g->ops = ops;
    g->ops_opaque = ops_opaque;
    g->hooks = hooks;
    g->listen_fd = g->conn_fd = -1;
    g->stopped = start_stopped;
    g->signal = 5;
    g->hit_type = -1;
    g->layout = &layout64;
    g->host = (CpuHostDebug){ host_insn_hit, host_page_watched, host_data_hit };
    vm->cpu->host_dbg = &g->host;
    vm->cpu->host_dbg_opaque = g;
    return g;
}

void gdbstub_free(GdbStub *g)
{
    if (!g)
        return;
    Cpu *cpu = g->vm->cpu;
    bp_clear(g);
    cpu->host_dbg = NULL;
    cpu->host_dbg_opaque = NULL;
    cpu->host_stop = false;
    if (g->conn_fd >= 0)
        close(g->conn_fd);
    if (g->listen_fd >= 0)
        close(g->listen_fd);
    if (g->unix_path) {
        unlink(g->unix_path);
        free(g->unix_path);
    }
    free(g->last);
    free(g);
}

void gdbstub_set_writer(GdbStub *g, GdbWriteFn fn, void *opaque)
{
    g->write_fn = fn;
    g->write_opaque = opaque;
}

int gdbstub_listen(GdbStub *g, const char *spec, char *err, size_t errlen)
{
    int fd = -1;
    if (!strncmp(spec, "unix:", 5) && spec[5]) {
        /* Bound and listening under a temporary name, then renamed: the path appears only once
         * a debugger can connect to it (scripts wait for it). */
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = spec + 5;
        if (strlen(path) + 5 >= sizeof(sa.sun_path)) {
            snprintf(err, errlen, "gdb socket path too long: '%s'", path);
            return -1;
        }
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.new", path);
        unlink(sa.sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0 ||
            rename(sa.sun_path, path) < 0) {
            snprintf(err, errlen, "cannot listen for gdb on '%s': %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            unlink(sa.sun_path);
            return -1;
        }
        g->unix_path = strdup(path);
        g->listen_fd = fd;
        return 0;
    }
    if (strncmp(spec, "tcp:", 4)) {
        snprintf(err, errlen, "bad -gdb device '%s' (use tcp::PORT, tcp:HOST:PORT or unix:PATH)", spec);
        return -1;
    }
    const char *hp = spec + 4, *colon = strrchr(hp, ':');
    char host[256];
    if (!colon || !colon[1] || (size_t)(colon - hp) >= sizeof(host)) {
        snprintf(err, errlen, "bad -gdb device '%s' (use tcp::PORT, tcp:HOST:PORT or unix:PATH)", spec);
        return -1;
    }
    memcpy(host, hp, (size_t)(colon - hp));
    host[colon - hp] = 0;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    /* No host: loopback only, never all interfaces (a debugger can read and write the guest). */
    int rc = getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "bad -gdb address '%s': %s", spec, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1) == 0)
            break;
        rc = errno;
        close(fd);
        fd = -1;
        errno = rc;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen for gdb on '%s': %s", spec, strerror(errno));
        return -1;
    }
    g->listen_fd = fd;
    return 0;
}

int gdbstub_pollfds(GdbStub *g, struct pollfd *fds, int max)
{
    int n = 0;
    if (g->listen_fd >= 0 && n < max)
        fds[n++] = (struct pollfd){ .fd = g->listen_fd, .events = POLLIN };
    if (g->conn_fd >= 0 && n < max)
        fds[n++] = (struct pollfd){ .fd = g->conn_fd, .events = POLLIN };
    return n;
}

static void disconnect(GdbStub *g)
{
    close(g->conn_fd);
    g->conn_fd = -1;
    g->ps = PS_IDLE;
    g->no_ack = false;
    g->reply_due = false;
    bp_clear(g);
    /* as after D, the guest goes on without its debugger; but a replay stays where it is, so
     * that gdb can reconnect there (the register layout is chosen when gdb connects) */
    if (!g->ended && !(g->ops && g->ops->reverse_step && g->stopped && !g->detached)) {
        resume_prepare(g);
        g->stopped = false;
    }
}

GdbEvent gdbstub_service(GdbStub *g, const struct pollfd *fds, int n)
{
    for (int i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        if (fds[i].fd == g->listen_fd && g->listen_fd >= 0) {
            int c = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0)
                continue;
            if (g->conn_fd >= 0) {
                close(c);   /* one debugger at a time */
                continue;
            }
            int one = 1;
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            g->conn_fd = c;
            g->detached = false;
            g->ps = PS_IDLE;
            g->no_ack = false;
            g->layout = cpu_long_mode(g->vm->cpu) ? &layout64 : &layout32;
            /* gdb attaching stops the guest, as QEMU does; gdb asks '?' next. */
            if (!g->stopped) {
                g->stopped = true;
                g->hit_type = -1;
                g->signal = 5;
            }
        } else if (fds[i].fd == g->conn_fd && g->conn_fd >= 0) {
            uint8_t buf[4096];
            ssize_t got = read(g->conn_fd, buf, sizeof(buf));
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got <= 0) {
                disconnect(g);
                continue;
            }
            GdbEvent ev = gdbstub_feed(g, buf, (size_t)got);
            if (ev != GDB_EV_NONE)
                return ev;
        }
    }
    return GDB_EV_NONE;
}

bool gdbstub_stopped(const GdbStub *g)
{
    return g->stopped;
}

bool gdbstub_vm_exit(GdbStub *g, VmExit why)
{
    if (why == VM_EXIT_DEBUG) {
        g->vm->cpu->host_stop = false;
        g->stopped = true;
        g->signal = 5;
        if (g->reply_due) {
            g->reply_due = false;
            reply_stop(g);
        }
        return true;
    }
    if (why == VM_EXIT_REPLAY_END) {
        if ((g->conn_fd < 0 && !g->write_fn) || g->detached)
            return false;
        g->stopped = true;
        g->signal = 5;
        g->hit_type = -1;
        if (g->reply_due) {
            g->reply_due = false;
            reply_str(g, "T05thread:" GDB_TID ";replaylog:end;");
        }
        return true;
    }
    if (vm_ended(why) && (g->conn_fd >= 0 || g->write_fn) && !g->ended)
        report_end(g, why);
    return false;
}

GdbEvent gdbstub_monitor(GdbStub *g, const char *line, MonOut *out)
{
    return mon_action(g, monitor_exec(g->vm, g->hooks, line, out));
}
