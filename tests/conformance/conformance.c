/*
 * conformance.c — runs the SingleStepTests 80286 real-mode vectors (../shared/conformance/80286-real,
 * format in its README) against the softvisor CPU and reports a pass rate per opcode file.
 *
 * Each vector: a fresh real-mode CPU on a 16 MiB RAM bus (A20 on, IN reads all ones), segment
 * bases selector * 16 with limit 0xFFFF, the INIT registers (FLAGS bits 12-15 cleared) and RAM
 * bytes; run until the HLT that follows the instruction (or follows the first fetch after a
 * control transfer or exception); then compare
 *   - the 14 registers (FLAGS AND-ed with metadata.json's flags-mask on both sides) and the
 *     whole EIP (see "IP at 64 KiB" below),
 *   - every FINA RAM byte, every INIT byte the test did not change, and that no other byte of
 *     memory was written (stray stores),
 *   - for an exception, the pushed FLAGS word (masked like FLAGS; found at SS:SP+4 after the
 *     push, as the EXCP address is rounded down to even when SP was odd) and that
 *     CS:EIP ends at the handler the IVT names for the expected vector.
 * Where a modern x86 (which softvisor follows, SDM semantics) differs from the 286, a rule in
 * known-differences.txt (an instruction, a condition computed from the vector, the behaviour
 * checked instead, the reason) covers the vector; the runner prints how many vectors each rule
 * covers.  The rules may cover at most 1.5% of all vectors, and only `unchecked` ones may fail.
 * Any other failure makes the exit status 1.  Without the data directory the run is skipped
 * (exit 77), or fails when CI=true.
 *
 * A fault in the middle of a REP string instruction.  The word string instructions of the suite
 * fault where an access sits at offset FFFF (490 vectors, 90 of them under REP, 6 with
 * iterations completed before the fault, up to 54).  The 286 has already stepped SI/DI (and CX)
 * of the faulting iteration; a 386+ keeps the completed iterations (stores, SI/DI/CX, AX, flags)
 * and undoes nothing else, pushing the address of the instruction with its prefixes (SDM vol. 2
 * REP, vol. 3 6.5).  str_replay() derives that state from INIT; the replayed stores agree with the
 * bytes the 286 wrote, and softvisor matches the whole derived state (string-fault rule).
 *
 * IP at 64 KiB.  About 400 vectors end a near or far transfer (C2 C3 CA CB CF FF.2-FF.5) at
 * CS:FFFF, the first fetch after the jump, where the vector put its HLT; after it the 286's IP is
 * 0000.  No vector starts an instruction near FFFF or crosses FFFF, and none of the immediate far
 * jumps/calls (EA, 9A) lands there.  A 386+ does not wrap IP in sequential execution: after the
 * HLT its EIP is 10000h (the next fetch would raise #GP, 386 PRM 14.7 item 8: "sequential
 * execution across offset 65,535"); only branch targets of 16-bit operand size are truncated to
 * 16 bits (SDM vol. 2 JMP).  The 16 bits the vector records agree (0000); the runner also checks
 * the rest of EIP: 10000h where FINA IP is 0000 after running to the HLT, else FINA IP itself.
 *
 * Usage: conformance [--dir DIR] [--default-dir DIR] [--known FILE] [--only FILE-ID]
 *                    [--show N] [--quiet]
 *        conformance --self-test    (the rule logic on synthetic vectors; needs no data)
 * The data directory is --dir, else $SOFTVISOR_CONFORMANCE_DIR, else --default-dir.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/seg.h"

#define RAM_SIZE (16u << 20)
#define RAM_PAGES (RAM_SIZE / PAGE_SIZE)
#define MAX_INSNS 200u    /* runaway guard: the vectors run REP prefixes with CX <= 63 */
#define KNOWN_MAX_SHARE 0.015
#define EXIT_SKIP 77

/* ---- the fake machine ---- */

typedef struct Machine {
    uint8_t *ram;
    uint8_t page_dirty[RAM_PAGES];   /* page handed to the CPU or written by the runner */
    uint32_t dirty[RAM_PAGES];
    uint32_t ndirty;
} Machine;

static void machine_touch(Machine *m, uint64_t paddr)
{
    uint32_t pg = (uint32_t)(paddr / PAGE_SIZE);
    if (!m->page_dirty[pg]) {
        m->page_dirty[pg] = 1;
        m->dirty[m->ndirty++] = pg;
    }
}

static uint8_t *bus_phys_ptr(void *opaque, uint64_t paddr, bool *writable)
{
    Machine *m = opaque;
    if (paddr >= RAM_SIZE)
        return NULL;
    machine_touch(m, paddr);
    *writable = true;
    return m->ram + (paddr & PAGE_MASK);
}

static uint64_t bus_phys_read(void *opaque, uint64_t paddr, int size)
{
    (void)opaque;
    (void)paddr;
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static void bus_phys_write(void *opaque, uint64_t paddr, int size, uint64_t val)
{
    (void)opaque;
    (void)paddr;
    (void)size;
    (void)val;
}

static uint32_t bus_io_in(void *opaque, uint16_t port, int size)
{
    (void)opaque;
    (void)port;
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static void bus_io_out(void *opaque, uint16_t port, int size, uint32_t val)
{
    (void)opaque;
    (void)port;
    (void)size;
    (void)val;
}

static bool bus_intr_ack(void *opaque, uint8_t *vector)
{
    (void)opaque;
    (void)vector;
    return false;
}

static bool bus_intr_pending(void *opaque)
{
    (void)opaque;
    return false;
}

static const CpuBus conf_bus = {
    .phys_ptr = bus_phys_ptr,
    .phys_read = bus_phys_read,
    .phys_write = bus_phys_write,
    .io_in = bus_io_in,
    .io_out = bus_io_out,
    .intr_ack = bus_intr_ack,
    .intr_pending = bus_intr_pending,
};

/* The fake machine and a CPU on it; false (with a message) when out of memory. */
static bool machine_new(Machine **m, Cpu **cpu)
{
    *m = calloc(1, sizeof(Machine));
    if (*m)
        (*m)->ram = calloc(1, RAM_SIZE);
    CpuConfig cfg = { .rng_seed = 1, .tsc_per_insn = 1 };
    *cpu = *m && (*m)->ram ? cpu_new(&conf_bus, *m, &cfg) : NULL;
    if (!*cpu) {
        fprintf(stderr, "conformance: out of memory\n");
        if (*m)
            free((*m)->ram);
        free(*m);
        return false;
    }
    return true;
}

static void machine_free(Machine *m, Cpu *cpu)
{
    cpu_free(cpu);
    free(m->ram);
    free(m);
}

/* ---- one vector ---- */

/* Register order of the REGS bitmask. */
enum { T_AX, T_BX, T_CX, T_DX, T_CS, T_SS, T_DS, T_ES, T_SP, T_BP, T_SI, T_DI, T_IP, T_FLAGS, T_NREGS };
static const char *const reg_names[T_NREGS] = {
    "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags",
};

typedef struct RamPair {
    uint32_t addr;
    uint8_t val;
} RamPair;

typedef struct State {
    uint16_t mask;              /* which registers are present */
    uint16_t reg[T_NREGS];
    const uint8_t *ram;         /* count x (u32 addr, u8 value), unaligned in the file */
    uint32_t nram;
} State;

typedef struct Test {
    uint32_t index;
    char name[64];
    const uint8_t *bytes;
    uint32_t nbytes;
    State init, fina;
    bool has_exc;
    uint8_t exc_vector;
    uint32_t exc_flags_addr;    /* as recorded (rounded down to even when SP was odd) */
    uint32_t flags_at[2];       /* the two bytes of the pushed FLAGS: SS:SP+4 after the push */
    const uint8_t *hash;        /* 20 bytes or NULL */
} Test;

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static RamPair ram_pair(const State *s, uint32_t i)
{
    const uint8_t *p = s->ram + 5 * (size_t)i;
    return (RamPair){ rd32(p), p[4] };
}

/* Stores one (u32 address, u8 value) pair in the file's layout. */
static void ram_put(uint8_t *p, uint32_t addr, uint8_t val)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(addr >> (8 * i));
    p[4] = val;
}

/* Iterates chunks of [p, end): returns false at the end or on a truncated chunk. */
static bool chunk_next(const uint8_t **p, const uint8_t *end, char id[5], const uint8_t **payload,
                       uint32_t *len)
{
    if (end - *p < 8)
        return false;
    memcpy(id, *p, 4);
    id[4] = 0;
    *len = rd32(*p + 4);
    if ((uint64_t)(end - *p - 8) < *len)
        return false;
    *payload = *p + 8;
    *p += 8 + (size_t)*len;
    return true;
}

static bool parse_state(const uint8_t *p, uint32_t len, State *s)
{
    const uint8_t *end = p + len, *q;
    char id[5];
    uint32_t n;
    memset(s, 0, sizeof(*s));
    while (chunk_next(&p, end, id, &q, &n)) {
        if (!strcmp(id, "REGS")) {
            if (n < 2)
                return false;
            s->mask = rd16(q);
            uint32_t off = 2;
            for (int r = 0; r < T_NREGS; r++) {
                if (!(s->mask & (1u << r)))
                    continue;
                if (off + 2 > n)
                    return false;
                s->reg[r] = rd16(q + off);
                off += 2;
            }
        } else if (!strcmp(id, "RAM ")) {
            if (n < 4 || (uint64_t)rd32(q) * 5 > n - 4)
                return false;
            s->nram = rd32(q);
            s->ram = q + 4;
        }
    }
    return true;
}

static bool parse_test(const uint8_t *p, uint32_t len, Test *t)
{
    const uint8_t *end = p + len, *q;
    char id[5];
    uint32_t n;
    memset(t, 0, sizeof(*t));
    if (len < 4)
        return false;
    t->index = rd32(p);
    p += 4;
    bool init = false;
    while (chunk_next(&p, end, id, &q, &n)) {
        if (!strcmp(id, "NAME") && n >= 4) {
            uint32_t l = rd32(q);
            if (l > n - 4)
                return false;
            if (l >= sizeof(t->name))
                l = sizeof(t->name) - 1;
            memcpy(t->name, q + 4, l);
            t->name[l] = 0;
        } else if (!strcmp(id, "BYTS") && n >= 4) {
            t->nbytes = rd32(q);
            if (t->nbytes > n - 4)
                return false;
            t->bytes = q + 4;
        } else if (!strcmp(id, "INIT")) {
            if (!parse_state(q, n, &t->init))
                return false;
            init = true;
        } else if (!strcmp(id, "FINA")) {
            if (!parse_state(q, n, &t->fina))
                return false;
        } else if (!strcmp(id, "EXCP") && n >= 5) {
            t->has_exc = true;
            t->exc_vector = q[0];
            t->exc_flags_addr = rd32(q + 1);
        } else if (!strcmp(id, "HASH") && n == 20) {
            t->hash = q;
        }
    }
    if (!init || t->init.mask != (1u << T_NREGS) - 1)
        return false;
    if (t->has_exc) {
        uint16_t ss = (t->fina.mask & (1u << T_SS)) ? t->fina.reg[T_SS] : t->init.reg[T_SS];
        uint16_t sp = (t->fina.mask & (1u << T_SP)) ? t->fina.reg[T_SP] : t->init.reg[T_SP];
        t->flags_at[0] = (uint32_t)ss * 16 + (uint16_t)(sp + 4);
        t->flags_at[1] = (uint32_t)ss * 16 + (uint16_t)(sp + 5);
    }
    return true;
}

/* ---- metadata.json: the flags-mask per opcode and ModRM.reg ---- */

typedef struct Meta {
    uint16_t flags_mask[256][8];
} Meta;

typedef struct Json {
    const char *p, *end;
    bool bad;
} Json;

static void json_ws(Json *j)
{
    while (j->p < j->end && isspace((unsigned char)*j->p))
        j->p++;
}

static bool json_eat(Json *j, char c)
{
    json_ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return true;
    }
    return false;
}

/* Reads a string (escapes are kept as-is: the keys we need have none). */
static void json_string(Json *j, char *out, size_t cap)
{
    size_t n = 0;
    if (!json_eat(j, '"')) {
        j->bad = true;
        return;
    }
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\' && j->p + 1 < j->end)
            j->p++;
        if (n + 1 < cap)
            out[n++] = *j->p;
        j->p++;
    }
    if (cap)
        out[n] = 0;
    if (j->p >= j->end)
        j->bad = true;
    else
        j->p++;
}

/* Two hex digits naming a one-byte opcode, or -1 (two-byte 0Fxx keys are not used here). */
static int hex_byte(const char *s)
{
    if (strlen(s) != 2 || !isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
        return -1;
    return (int)strtol(s, NULL, 16);
}

/* Walks any JSON value; `path` holds the keys leading to it.  Stores
 *   opcodes.XX.flags-mask          -> all eight reg slots of XX (unless a reg entry overrides)
 *   opcodes.XX.reg.N.flags-mask    -> slot N of XX. */
static void json_value(Json *j, Meta *m, char path[][16], int depth)
{
    json_ws(j);
    if (j->bad || j->p >= j->end) {
        j->bad = true;
        return;
    }
    char c = *j->p;
    if (c == '{') {
        j->p++;
        if (json_eat(j, '}'))
            return;
        do {
            char key[16];
            json_string(j, key, sizeof(key));
            if (!json_eat(j, ':'))
                j->bad = true;
            if (j->bad)
                return;
            if (depth < 5)
                memcpy(path[depth], key, sizeof(key));
            json_value(j, m, path, depth + 1);
        } while (!j->bad && json_eat(j, ','));
        if (!json_eat(j, '}'))
            j->bad = true;
    } else if (c == '[') {
        j->p++;
        if (json_eat(j, ']'))
            return;
        do
            json_value(j, m, path, 6);
        while (!j->bad && json_eat(j, ','));
        if (!json_eat(j, ']'))
            j->bad = true;
    } else if (c == '"') {
        char skip[2];
        json_string(j, skip, sizeof(skip));
    } else {
        char *e;
        long v = strtol(j->p, &e, 10);
        if (e == j->p) {
            /* true / false / null */
            while (j->p < j->end && isalpha((unsigned char)*j->p))
                j->p++;
            return;
        }
        while (e < j->end && (isdigit((unsigned char)*e) || strchr(".eE+-", *e)))
            e++;
        j->p = e;
        if (depth < 3 || strcmp(path[0], "opcodes") || strcmp(path[depth - 1], "flags-mask"))
            return;
        int op = hex_byte(path[1]);
        if (op < 0 || v < 0 || v > 0xffff)
            return;
        if (depth == 3) {
            for (int r = 0; r < 8; r++)
                m->flags_mask[op][r] = (uint16_t)v;
        } else if (depth == 5 && !strcmp(path[2], "reg") && path[3][0] >= '0' && path[3][0] <= '7' &&
                   !path[3][1]) {
            m->flags_mask[op][path[3][0] - '0'] = (uint16_t)v;
        }
    }
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

static bool meta_load(Meta *m, const char *dir)
{
    for (int op = 0; op < 256; op++)
        for (int r = 0; r < 8; r++)
            m->flags_mask[op][r] = 0xffff;
    char path[4096];
    snprintf(path, sizeof(path), "%s/metadata.json", dir);
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "conformance: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    char keys[6][16] = { { 0 } };
    Json j = { text, text + len, false };
    json_value(&j, m, keys, 0);
    free(text);
    if (j.bad)
        fprintf(stderr, "conformance: %s is not valid JSON\n", path);
    return !j.bad;
}

/* ---- instruction decoding the rules need ---- */

/* The prefixes the vectors use, and where the opcode byte is. */
typedef struct Prefixes {
    uint32_t op;        /* offset of the opcode byte */
    int seg;            /* last segment override as T_ES/T_CS/T_SS/T_DS, or -1 */
    uint8_t rep;        /* last of F2/F3, or 0 */
    bool lock;
} Prefixes;

static Prefixes prefixes(const Test *t)
{
    Prefixes p = { .seg = -1 };
    for (; p.op < t->nbytes; p.op++) {
        switch (t->bytes[p.op]) {
        case 0x26: p.seg = T_ES; continue;
        case 0x2e: p.seg = T_CS; continue;
        case 0x36: p.seg = T_SS; continue;
        case 0x3e: p.seg = T_DS; continue;
        case 0xf0: p.lock = true; continue;
        case 0xf2: case 0xf3: p.rep = t->bytes[p.op]; continue;
        default: break;
        }
        break;
    }
    return p;
}

static uint32_t opcode_offset(const Test *t)
{
    return prefixes(t).op;
}

static int test_modrm(const Test *t)
{
    uint32_t i = opcode_offset(t) + 1;
    return i < t->nbytes ? t->bytes[i] : -1;
}

/* Opcodes with a ModRM byte, among those whose files this class is used with. */
static bool has_modrm(uint8_t op)
{
    return (op < 0x40 && (op & 7) < 4) || (op >= 0x80 && op <= 0x8f) || op == 0x62 || op == 0x69 ||
           op == 0x6b || op == 0xc0 || op == 0xc1 || op == 0xc4 || op == 0xc5 || op == 0xc6 ||
           op == 0xc7 || (op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf) || op == 0xf6 ||
           op == 0xf7 || op == 0xfe || op == 0xff;
}

/* Instructions that push or pop (their stack accesses go through SS). */
static bool stack_op(uint8_t op, int modrm)
{
    int reg = (modrm >> 3) & 7;
    switch (op) {
    case 0x06: case 0x07: case 0x0e: case 0x16: case 0x17: case 0x1e: case 0x1f:
    case 0x60: case 0x61: case 0x68: case 0x6a: case 0x8f: case 0x9a: case 0x9c: case 0x9d:
    case 0xc2: case 0xc3: case 0xc8: case 0xc9: case 0xca: case 0xcb: case 0xcc: case 0xcd:
    case 0xce: case 0xcf: case 0xe8:
        return true;
    case 0xff:
        return reg == 2 || reg == 3 || reg == 6;
    default:
        return op >= 0x50 && op <= 0x5f;
    }
}

/* The word registers in ModRM order. */
static const int reg16[8] = { T_AX, T_CX, T_DX, T_BX, T_SP, T_BP, T_SI, T_DI };

/* The 16-bit effective address of the ModRM memory operand after the opcode at p->op, and its
 * segment (BP-based forms default to SS).  False for a register operand or truncated bytes. */
static bool modrm_ea(const Test *t, const Prefixes *p, uint16_t *ea, int *seg)
{
    static const int base[8] = { T_BX, T_BX, T_BP, T_BP, T_SI, T_DI, T_BP, T_BX };
    static const int index[8] = { T_SI, T_DI, T_SI, T_DI, -1, -1, -1, -1 };
    uint32_t i = p->op + 1;
    if (i >= t->nbytes)
        return false;
    int m = t->bytes[i], mod = m >> 6, rm = m & 7;
    if (mod == 3)
        return false;
    bool direct = mod == 0 && rm == 6;
    uint32_t dlen = direct || mod == 2 ? 2 : mod == 1 ? 1 : 0;
    if (i + dlen >= t->nbytes)
        return false;
    const uint16_t *r = t->init.reg;
    uint16_t a = direct ? 0 : r[base[rm]];
    if (index[rm] >= 0)
        a = (uint16_t)(a + r[index[rm]]);
    if (dlen == 1)
        a = (uint16_t)(a + (int8_t)t->bytes[i + 1]);
    else if (dlen == 2)
        a = (uint16_t)(a + rd16(t->bytes + i + 1));
    *ea = a;
    *seg = p->seg >= 0 ? p->seg : base[rm] == T_BP && !direct ? T_SS : T_DS;
    return true;
}

/* True when the test's memory operand, if any, is addressed through SS. */
static bool mem_uses_ss(const Test *t, bool *has_mem)
{
    Prefixes p = prefixes(t);
    uint16_t ea;
    int seg;
    *has_mem = p.op < t->nbytes && has_modrm(t->bytes[p.op]) && modrm_ea(t, &p, &ea, &seg);
    return *has_mem && seg == T_SS;
}

/* Byte `addr` as the runner's RAM holds it before the test (INIT bytes, zero elsewhere), after
 * the `nwr` writes in `wr` (later ones win). */
static uint8_t replay_byte(const Test *t, const RamPair *wr, uint32_t nwr, uint32_t addr)
{
    for (uint32_t i = nwr; i-- > 0;)
        if (wr[i].addr == addr)
            return wr[i].val;
    for (uint32_t i = t->init.nram; i-- > 0;) {
        RamPair p = ram_pair(&t->init, i);
        if (p.addr == addr)
            return p.val;
    }
    return 0;
}

static uint16_t replay_word(const Test *t, const RamPair *wr, uint32_t nwr, uint32_t addr)
{
    return (uint16_t)(replay_byte(t, wr, nwr, addr) | replay_byte(t, wr, nwr, addr + 1) << 8);
}

/* ---- condition div-overflow: DIV/IDIV whose quotient does not fit (SDM DIV, IDIV) ---- */

/* The r/m operand of `size` bytes from INIT; false when reading it faults first (a word at
 * offset FFFF) or the bytes are truncated. */
static bool rm_read(const Test *t, const Prefixes *p, int size, uint32_t *v)
{
    if (p->op + 1 >= t->nbytes)
        return false;
    int m = t->bytes[p->op + 1];
    if ((m >> 6) == 3) {
        int rm = m & 7;
        *v = size == 2 ? t->init.reg[reg16[rm]] : (t->init.reg[reg16[rm & 3]] >> (rm & 4 ? 8 : 0)) & 0xffu;
        return true;
    }
    uint16_t ea;
    int seg;
    if (!modrm_ea(t, p, &ea, &seg) || (size == 2 && ea == 0xffff))
        return false;
    uint32_t a = (uint32_t)t->init.reg[seg] * 16 + ea;
    *v = size == 2 ? replay_word(t, NULL, 0, a) : replay_byte(t, NULL, 0, a);
    return true;
}

/* F6/F7 reg 6 (DIV) and 7 (IDIV): the divisor is 0, or the quotient of the INIT dividend (AX,
 * or DX:AX) truncated toward zero lies outside 0..FFh / 0..FFFFh (DIV) or -80h..7Fh /
 * -8000h..7FFFh (IDIV), so a 386+ raises #DE. */
static bool div_overflows(const Test *t)
{
    Prefixes p = prefixes(t);
    if (p.op + 1 >= t->nbytes)
        return false;
    uint8_t op = t->bytes[p.op];
    int reg = (t->bytes[p.op + 1] >> 3) & 7;
    if ((op != 0xf6 && op != 0xf7) || reg < 6)
        return false;
    int bits = op == 0xf6 ? 8 : 16;
    uint32_t d;
    if (!rm_read(t, &p, bits / 8, &d))
        return false;
    const uint16_t *r = t->init.reg;
    int64_t num = bits == 8 ? r[T_AX] : (int64_t)((uint32_t)r[T_DX] << 16 | r[T_AX]);
    int64_t den = d, lo = 0, hi = ((int64_t)1 << bits) - 1;
    if (reg == 7) {
        num = bits == 8 ? (int16_t)num : (int32_t)(uint32_t)num;
        den = bits == 8 ? (int8_t)d : (int16_t)d;
        lo = -((int64_t)1 << (bits - 1));
        hi = ((int64_t)1 << (bits - 1)) - 1;
    }
    if (den == 0)
        return true;
    int64_t q = num / den;
    return q < lo || q > hi;
}

/* ---- condition str-wrap and action string-fault: a fault in the middle of a string op ----
 *
 * The iterations of a (REP) word string instruction are replayed from INIT: each one first
 * reads DS:SI (segment overridable), then reads or writes ES:DI, steps SI/DI by 2 (DF = 0) or
 * -2 and, under REP/REPE/REPNE, decrements CX and stops at CX = 0 (CMPSW/SCASW also stop on
 * ZF = 0 for REPE, ZF = 1 for REPNE; REPNE acts as REP for the others).  The iteration whose
 * word access sits at offset FFFF crosses the 64 KiB limit: a 386+ raises #GP(0) there (#SS(0)
 * for the DS:SI access under an SS override; SDM vol. 3, 22.33.1 "Segment Wraparound").
 * Faults are restartable (SDM vol. 3, 6.5; vol. 2 REP: "the registers reflect the state at the
 * point of the fault"), so at delivery
 *   - every completed iteration keeps its effect: its stores, SI/DI/CX stepped, AX (LODSW) and
 *     the flags of its compare (CMPSW/SCASW);
 *   - the faulting iteration changes nothing;
 *   - the frame holds the address of the instruction with its prefixes and the flags then.
 * The 286 differs: it has already stepped SI/DI (and CX) of the faulting iteration.
 */
typedef struct StrOp {
    uint8_t op;
    bool src;           /* reads DS:SI */
    bool dst_read;      /* reads ES:DI */
    bool dst_write;     /* writes ES:DI */
} StrOp;

static const StrOp str_ops[] = {
    { 0x6d, false, false, true },   /* INSW: the port (all ones here) to ES:DI */
    { 0x6f, true, false, false },   /* OUTSW */
    { 0xa5, true, false, true },    /* MOVSW */
    { 0xa7, true, true, false },    /* CMPSW: [SI] - [DI] */
    { 0xab, false, false, true },   /* STOSW: AX to ES:DI */
    { 0xad, true, false, false },   /* LODSW: DS:SI to AX */
    { 0xaf, false, true, false },   /* SCASW: AX - [DI] */
};

#define STR_MAX_ITER 256u       /* more iterations than that: not derivable here (CX <= 63 in the suite) */

typedef struct StrReplay {
    bool ok;                    /* a word string instruction, replayed within STR_MAX_ITER */
    bool faults;                /* an iteration reaches a word access at offset FFFF */
    uint8_t vector;             /* EXC_GP, or EXC_SS */
    uint32_t done;              /* iterations completed before the faulting one */
    uint16_t reg[T_NREGS];      /* the registers when the fault is raised */
    uint32_t nwr;
    RamPair wr[2 * STR_MAX_ITER];   /* the bytes stored by the completed iterations, in order */
} StrReplay;

/* FLAGS after CMP of two words (a - b): CF, PF, AF, ZF, SF, OF from the difference. */
static uint16_t cmp16_flags(uint16_t fl, uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(a - b);
    fl &= (uint16_t)~FL_ARITH;
    if (a < b)
        fl |= FL_CF;
    if (!__builtin_parity(d & 0xffu))
        fl |= FL_PF;
    if ((a ^ b ^ d) & 0x10)
        fl |= FL_AF;
    if (!d)
        fl |= FL_ZF;
    if (d & 0x8000)
        fl |= FL_SF;
    if ((a ^ b) & (a ^ d) & 0x8000)
        fl |= FL_OF;
    return fl;
}

static void str_replay(const Test *t, StrReplay *s)
{
    s->ok = s->faults = false;
    s->done = s->nwr = 0;
    Prefixes p = prefixes(t);
    const StrOp *o = NULL;
    for (size_t i = 0; p.op < t->nbytes && i < sizeof(str_ops) / sizeof(str_ops[0]); i++)
        if (str_ops[i].op == t->bytes[p.op])
            o = &str_ops[i];
    if (!o)
        return;
    uint16_t *r = s->reg;
    memcpy(r, t->init.reg, sizeof(s->reg));
    r[T_FLAGS] = (uint16_t)((r[T_FLAGS] & 0x0fff) | FL_FIXED1);
    int seg = p.seg >= 0 ? p.seg : T_DS;
    uint16_t step = (r[T_FLAGS] & FL_DF) ? 0xfffe : 2;
    bool dst = o->dst_read || o->dst_write;
    for (;;) {
        if (p.rep && r[T_CX] == 0)
            break;
        if (s->done >= STR_MAX_ITER)
            return;
        if ((o->src && r[T_SI] == 0xffff) || (dst && r[T_DI] == 0xffff)) {
            s->faults = true;
            s->vector = o->src && r[T_SI] == 0xffff && seg == T_SS ? EXC_SS : EXC_GP;
            break;
        }
        uint32_t sa = (uint32_t)r[seg] * 16 + r[T_SI], da = (uint32_t)r[T_ES] * 16 + r[T_DI];
        uint16_t sv = o->src ? replay_word(t, s->wr, s->nwr, sa) : 0;
        uint16_t dv = o->dst_read ? replay_word(t, s->wr, s->nwr, da) : 0;
        if (o->dst_write) {
            uint16_t v = o->op == 0x6d ? 0xffff : o->op == 0xab ? r[T_AX] : sv;
            s->wr[s->nwr++] = (RamPair){ da, (uint8_t)v };
            s->wr[s->nwr++] = (RamPair){ da + 1, (uint8_t)(v >> 8) };
        }
        if (o->op == 0xad)
            r[T_AX] = sv;
        if (o->dst_read)
            r[T_FLAGS] = cmp16_flags(r[T_FLAGS], o->src ? sv : r[T_AX], dv);
        if (o->src)
            r[T_SI] = (uint16_t)(r[T_SI] + step);
        if (dst)
            r[T_DI] = (uint16_t)(r[T_DI] + step);
        s->done++;
        if (!p.rep)
            break;
        r[T_CX]--;
        if (o->dst_read && (p.rep == 0xf3) != !!(r[T_FLAGS] & FL_ZF))
            break;
    }
    s->ok = true;
}

static bool str_wraps(const Test *t)
{
    StrReplay s;
    str_replay(t, &s);
    return s.ok && s.faults;
}

/* ---- condition pops-iopl-nt and action flags-popped: POPF / IRET in real mode ----
 *
 * A 386+ in real mode loads every non-reserved bit of the popped FLAGS word, IOPL (12-13) and
 * NT (14) included (SDM vol. 2 POPF, IRET: real-address mode); the 286 keeps them clear.  The
 * popped word: SS:SP for POPF (9D), SS:SP+4 for IRET (CF, after IP and CS). */
static bool popped_flags(const Test *t, uint16_t *fl)
{
    Prefixes p = prefixes(t);
    if (p.op >= t->nbytes || (t->bytes[p.op] != 0x9d && t->bytes[p.op] != 0xcf))
        return false;
    const uint16_t *r = t->init.reg;
    uint16_t sp = (uint16_t)(r[T_SP] + (t->bytes[p.op] == 0xcf ? 4 : 0));
    *fl = replay_word(t, NULL, 0, (uint32_t)r[T_SS] * 16 + sp);
    return true;
}

/* ---- the known-differences rules ---- */

/*
 * known-differences.txt: one rule a line, FILES CONDITION ACTION REASON; the file's header gives
 * the grammar.  A known difference is a rule about an instruction, never a list of test numbers
 * (a `#N` condition is refused), so that the same quirk in vectors outside the shared set is
 * classified the same way.  The first matching rule applies.  Every condition term is computed
 * from the vector: ss-gp from the addressing form (mem_uses_ss, stack_op) and the 286's #GP,
 * div-overflow by div_overflows(), str-wrap by str_replay(), pops-iopl-nt by popped_flags();
 * the string-fault action checks what str_replay() derives, mov-fsgs what fsgs_expect()
 * derives, flags-popped the 286's result with IOPL/NT from the popped word, vector=N /
 * vector=same what fault_expect() derives.
 */
typedef enum { ACT_UNCHECKED, ACT_FLAGS, ACT_VECTOR, ACT_STRING, ACT_FSGS, ACT_FLAGS_POPPED } Action;
#define VECTOR_SAME 256u

typedef enum { C_ALL, C_MEM, C_REG, C_REGN, C_EXC, C_LONG, C_SS_GP, C_DIV_OVERFLOW, C_STR_WRAP, C_POPS_IOPL_NT } Cond;

static const struct {
    const char *name;
    Cond cond;
} cond_names[] = {
    { "all", C_ALL }, { "mem", C_MEM }, { "reg", C_REG }, { "exc", C_EXC }, { "long", C_LONG },
    { "ss-gp", C_SS_GP }, { "div-overflow", C_DIV_OVERFLOW }, { "str-wrap", C_STR_WRAP },
    { "pops-iopl-nt", C_POPS_IOPL_NT },
};

#define KNOWN_MAX_TERMS 4

typedef struct Term {
    Cond cond;
    int reg;            /* C_REGN */
    bool neg;
} Term;

typedef struct Known {
    char files[64];
    char cond[40];      /* as written, for the summary */
    Term term[KNOWN_MAX_TERMS];
    int nterm;
    Action act;
    unsigned arg;
    uint32_t covered, failed;
} Known;

typedef struct KnownList {
    Known *e;
    size_t n;
} KnownList;

/* Parses CONDITION into k->term; returns an error message or NULL. */
static const char *cond_parse(const char *c, Known *k)
{
    if (c[0] == '#')
        return "known differences must be rules, not test numbers";
    k->nterm = 0;
    while (*c) {
        if (k->nterm == KNOWN_MAX_TERMS)
            return "too many terms in the condition";
        Term *tm = &k->term[k->nterm++];
        tm->neg = *c == '!';
        if (tm->neg)
            c++;
        size_t len = strcspn(c, "&");
        bool found = false;
        for (size_t i = 0; i < sizeof(cond_names) / sizeof(cond_names[0]) && !found; i++) {
            if (strlen(cond_names[i].name) == len && !strncmp(c, cond_names[i].name, len)) {
                tm->cond = cond_names[i].cond;
                found = true;
            }
        }
        if (!found && len == 4 && !strncmp(c, "reg", 3) && c[3] >= '0' && c[3] <= '7') {
            tm->cond = C_REGN;
            tm->reg = c[3] - '0';
            found = true;
        }
        if (!found)
            return c[0] == '#' ? "known differences must be rules, not test numbers" : "unknown condition";
        c += len;
        if (*c == '&' && !*++c)
            return "condition ends with `&`";
    }
    return k->nterm ? NULL : "empty condition";
}

/* Actions without an argument; flags=HHHH and vector=N/same are parsed apart. */
static const struct {
    const char *name;
    Action act;
} action_names[] = {
    { "unchecked", ACT_UNCHECKED }, { "string-fault", ACT_STRING }, { "mov-fsgs", ACT_FSGS },
    { "flags-popped", ACT_FLAGS_POPPED }, { "flags-mask", ACT_FLAGS }, { "vector", ACT_VECTOR },
};

static const char *action_name(Action act)
{
    for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
        if (action_names[i].act == act)
            return action_names[i].name;
    return "?";
}

static bool action_parse(const char *a, Known *k)
{
    char *e;
    for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++) {
        if (!strcmp(a, action_names[i].name) && action_names[i].act != ACT_FLAGS &&
            action_names[i].act != ACT_VECTOR) {
            k->act = action_names[i].act;
            return true;
        }
    }
    if (!strncmp(a, "flags=", 6)) {
        k->act = ACT_FLAGS;
        k->arg = (unsigned)strtoul(a + 6, &e, 16);
        return e != a + 6 && !*e && k->arg <= 0xffff;
    }
    if (!strcmp(a, "vector=same")) {
        k->act = ACT_VECTOR;
        k->arg = VECTOR_SAME;
        return true;
    }
    if (!strncmp(a, "vector=", 7)) {
        k->act = ACT_VECTOR;
        k->arg = (unsigned)strtoul(a + 7, &e, 10);
        return e != a + 7 && !*e && k->arg < 32;
    }
    return false;
}

/* One rule line (not blank, not a comment); returns an error message or NULL. */
static const char *known_parse(const char *line, Known *k)
{
    char act[32], reason[8];
    memset(k, 0, sizeof(*k));
    if (sscanf(line, "%63s %39s %31s %7s", k->files, k->cond, act, reason) != 4)
        return "expected `FILES CONDITION ACTION REASON...`";
    const char *err = cond_parse(k->cond, k);
    if (err)
        return err;
    return action_parse(act, k) ? NULL : "unknown action";
}

static bool known_load(KnownList *k, const char *path)
{
    k->e = NULL;
    k->n = 0;
    if (!path)
        return true;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "conformance: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    char line[1024];
    int lineno = 0;
    bool ok = true;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        Known e;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#')
            continue;
        const char *err = known_parse(s, &e);
        if (err) {
            fprintf(stderr, "%s:%d: %s\n", path, lineno, err);
            ok = false;
            continue;
        }
        Known *ne = realloc(k->e, (k->n + 1) * sizeof(*ne));
        if (!ne) {
            ok = false;
            break;
        }
        k->e = ne;
        k->e[k->n++] = e;
    }
    fclose(f);
    return ok;
}

static bool term_match(const Term *tm, const Test *t)
{
    int modrm = test_modrm(t);
    switch (tm->cond) {
    case C_ALL:
        return true;
    case C_EXC:
        return t->has_exc;
    case C_LONG:
        return t->nbytes > 11;        /* the instruction and the HLT after it */
    case C_SS_GP: {
        if (!t->has_exc || t->exc_vector != EXC_GP || t->nbytes > 11)
            return false;
        uint32_t op = opcode_offset(t);
        if (op + 1 < t->nbytes && t->bytes[op] == 0xcd && t->bytes[op + 1] == EXC_GP)
            return false;             /* INT 0Dh itself */
        bool mem;
        bool ss = mem_uses_ss(t, &mem);
        return ss || (!mem && op < t->nbytes && stack_op(t->bytes[op], modrm < 0 ? 0 : modrm));
    }
    case C_DIV_OVERFLOW:
        return div_overflows(t);
    case C_STR_WRAP:
        return str_wraps(t);
    case C_POPS_IOPL_NT: {
        uint16_t fl;
        return popped_flags(t, &fl) && (fl & 0x7000);
    }
    case C_MEM:
        return modrm >= 0 && (modrm >> 6) != 3;
    case C_REG:
        return modrm >= 0 && (modrm >> 6) == 3;
    case C_REGN:
        return modrm >= 0 && ((modrm >> 3) & 7) == tm->reg;
    }
    return false;
}

static bool files_match(const char *files, const char *file)
{
    size_t n = strlen(file);
    for (const char *f = files; *f;) {
        size_t len = strcspn(f, ",");
        if ((len == 1 && *f == '*') || (len == n && !strncmp(f, file, n)))
            return true;
        f += len + (f[len] == ',');
    }
    return false;
}

static Known *known_find(KnownList *k, const char *file, const Test *t)
{
    for (size_t i = 0; i < k->n; i++) {
        Known *e = &k->e[i];
        bool match = files_match(e->files, file);
        for (int j = 0; j < e->nterm && match; j++)
            match = term_match(&e->term[j], t) != e->term[j].neg;
        if (match)
            return e;
    }
    return NULL;
}

/* ---- LOCK on an instruction that cannot be locked ----
 *
 * The 286 ignores a LOCK prefix on any instruction.  From the 386 on it raises #UD unless the
 * instruction is ADD/ADC/AND/BTx/CMPXCHG/DEC/INC/NEG/NOT/OR/SBB/SUB/XOR/XADD/XCHG with a memory
 * destination (SDM vol. 2, LOCK).  These vectors (about 1.9% of the suite, more than the
 * known-differences list may cover) are checked against the SDM instead of the 286: #UD is
 * delivered through IVT entry 6 with the address of the first prefix byte pushed and nothing
 * else changed.
 */
static bool lock_is_ud(const Test *t)
{
    Prefixes p = prefixes(t);
    if (!p.lock || p.op >= t->nbytes)
        return false;
    uint8_t op = t->bytes[p.op];
    int modrm = test_modrm(t);
    if (modrm < 0 || (modrm >> 6) == 3)
        return true;
    int reg = (modrm >> 3) & 7;
    if (op < 0x40)       /* ADD OR ADC SBB AND SUB XOR with a memory destination; not CMP */
        return (op & 7) > 1 || op >= 0x38;
    switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83: return reg == 7;
    case 0x86: case 0x87: return false;
    case 0xf6: case 0xf7: return reg != 2 && reg != 3;
    case 0xfe: case 0xff: return reg > 1;
    default: return true;
    }
}

/* What a 386+ leaves after a fault: `t` with the registers `r` at the fault, the stores `wr`
 * done before it, then `vector` delivered through the IVT (read after those stores) with FLAGS,
 * CS and the address of the instruction (INIT IP) pushed.  `ram` receives the expected FINA
 * bytes: (nwr + 6) x 5 bytes. */
static void fault_expect_at(const Test *t, Test *x, uint8_t *ram, const uint16_t r[T_NREGS],
                            const RamPair *wr, uint32_t nwr, int vector)
{
    *x = *t;
    x->has_exc = true;
    x->exc_vector = (uint8_t)vector;
    uint32_t ent = 4u * (uint32_t)vector;
    uint16_t hip = replay_word(t, wr, nwr, ent), hcs = replay_word(t, wr, nwr, ent + 2);
    uint16_t fl = (uint16_t)((r[T_FLAGS] & 0x0fff) | FL_FIXED1);
    uint16_t push[3] = { t->init.reg[T_IP], r[T_CS], fl };
    uint32_t n = 0;
    for (uint32_t i = 0; i < nwr; i++, n++)
        ram_put(ram + 5 * n, wr[i].addr, wr[i].val);
    for (int k = 0; k < 3; k++) {
        for (int b = 0; b < 2; b++, n++) {
            uint16_t sp = (uint16_t)(r[T_SP] - 6 + 2 * k + b);
            uint32_t a = (uint32_t)r[T_SS] * 16 + sp;
            ram_put(ram + 5 * n, a, (uint8_t)(push[k] >> (8 * b)));
            if (k == 2)
                x->flags_at[b] = a;
        }
    }
    x->fina.mask = (1u << T_NREGS) - 1;
    memcpy(x->fina.reg, r, sizeof(x->fina.reg));
    x->fina.reg[T_IP] = hip;
    x->fina.reg[T_CS] = hcs;
    x->fina.reg[T_SP] = (uint16_t)(r[T_SP] - 6);
    x->fina.reg[T_FLAGS] = (uint16_t)(fl & ~(FL_IF | FL_TF));
    x->fina.ram = ram;
    x->fina.nram = n;
}

/* The SDM's result when `t` faults with `vector` before changing anything (e.g. #UD for a LOCK
 * prefix). */
static void fault_expect(const Test *t, Test *x, uint8_t frame[6 * 5], int vector)
{
    fault_expect_at(t, x, frame, t->init.reg, NULL, 0, vector);
}

/* The string-fault expectation: false when the replay finds no fault (then the rule's
 * condition was not str-wrap, or the instruction is not a word string instruction). */
static bool string_expect(const Test *t, Test *x, uint8_t *ram, StrReplay *s)
{
    str_replay(t, s);
    if (!s->ok || !s->faults)
        return false;
    fault_expect_at(t, x, ram, s->reg, s->wr, s->nwr, s->vector);
    return true;
}

/* ---- action mov-fsgs: MOV r/m16, FS/GS (8C /4 /5) and MOV FS/GS, r/m16 (8E /4 /5) ----
 *
 * The 286 has no FS/GS and raises #UD for Sreg encodings 4 and 5; a 386+ executes them (SDM
 * vol. 2 MOV).  The runner's FS and GS are 0000 (cpu_reset), so 8C stores 0000h to r/m16 and 8E
 * loads FS/GS from r/m16 (checked after the run); then the HLT after the instruction runs.  A
 * memory word at offset FFFF faults first: #GP, or #SS through SS (SDM vol. 3, 22.33.1).
 * Returns -1 for another instruction, 0 for the fault (x is its delivery), 1 for x = the state
 * after the HLT; *sreg = SEG_FS/SEG_GS and *sel its expected selector for 8E, else *sreg = -1.
 */
static int fsgs_expect(const Test *t, Test *x, uint8_t ram[6 * 5], int *sreg, uint16_t *sel)
{
    Prefixes p = prefixes(t);
    if (p.op + 1 >= t->nbytes)
        return -1;
    uint8_t op = t->bytes[p.op], m = t->bytes[p.op + 1];
    int reg = (m >> 3) & 7;
    if ((op != 0x8c && op != 0x8e) || (reg != 4 && reg != 5))
        return -1;
    uint16_t ea = 0;
    int seg = T_DS;
    bool mem = (m >> 6) != 3;
    if (mem && !modrm_ea(t, &p, &ea, &seg))
        return -1;
    if (mem && ea == 0xffff) {
        fault_expect(t, x, ram, seg == T_SS ? EXC_SS : EXC_GP);
        *sreg = -1;
        return 0;
    }
    *x = *t;
    x->has_exc = false;
    x->fina.mask = 1u << T_IP;
    x->fina.reg[T_IP] = (uint16_t)(t->init.reg[T_IP] + t->nbytes);    /* past the HLT */
    x->fina.ram = ram;
    x->fina.nram = 0;
    uint32_t a = (uint32_t)t->init.reg[seg] * 16 + ea;
    *sreg = -1;
    if (op == 0x8e) {
        *sreg = reg == 4 ? SEG_FS : SEG_GS;
        *sel = mem ? replay_word(t, NULL, 0, a) : t->init.reg[reg16[m & 7]];
    } else if (mem) {
        ram_put(ram, a, 0);
        ram_put(ram + 5, a + 1, 0);
        x->fina.nram = 2;
    } else {
        x->fina.mask |= 1u << reg16[m & 7];
        x->fina.reg[reg16[m & 7]] = 0;
    }
    return 1;
}

/* ---- running and checking one vector ---- */

typedef struct Report {
    char buf[2048];
    size_t len;
} Report;

static void report(Report *r, const char *fmt, ...)
{
    if (r->len >= sizeof(r->buf) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n;
    if (r->len > sizeof(r->buf) - 1)
        r->len = sizeof(r->buf) - 1;
}

static uint16_t cpu_reg(const Cpu *cpu, int r)
{
    switch (r) {
    case T_AX: return (uint16_t)cpu->gpr[R_AX];
    case T_BX: return (uint16_t)cpu->gpr[R_BX];
    case T_CX: return (uint16_t)cpu->gpr[R_CX];
    case T_DX: return (uint16_t)cpu->gpr[R_DX];
    case T_CS: return cpu->seg[SEG_CS].sel;
    case T_SS: return cpu->seg[SEG_SS].sel;
    case T_DS: return cpu->seg[SEG_DS].sel;
    case T_ES: return cpu->seg[SEG_ES].sel;
    case T_SP: return (uint16_t)cpu->gpr[R_SP];
    case T_BP: return (uint16_t)cpu->gpr[R_BP];
    case T_SI: return (uint16_t)cpu->gpr[R_SI];
    case T_DI: return (uint16_t)cpu->gpr[R_DI];
    case T_IP: return (uint16_t)cpu->rip;
    default: return (uint16_t)cpu_get_eflags(cpu);
    }
}

static void cpu_load(Cpu *cpu, const State *s)
{
    static const int gpr_of[T_NREGS] = {
        [T_AX] = R_AX, [T_BX] = R_BX, [T_CX] = R_CX, [T_DX] = R_DX,
        [T_SP] = R_SP, [T_BP] = R_BP, [T_SI] = R_SI, [T_DI] = R_DI,
    };
    static const int seg_of[T_NREGS] = {
        [T_CS] = SEG_CS, [T_SS] = SEG_SS, [T_DS] = SEG_DS, [T_ES] = SEG_ES,
    };
    cpu_reset(cpu);
    for (int r = 0; r < T_NREGS; r++) {
        switch (r) {
        case T_CS: case T_SS: case T_DS: case T_ES:
            seg_set_real_full(cpu, seg_of[r], s->reg[r]);
            break;
        case T_IP:
            cpu->rip = s->reg[r];
            break;
        case T_FLAGS:
            cpu_set_eflags(cpu, s->reg[r] & 0x0fffu);
            break;
        default:
            cpu->gpr[gpr_of[r]] = s->reg[r];
            break;
        }
    }
    cpu->seg[SEG_CS].attr = 0x9b;     /* present, accessed, readable code, as after reset */
    seg_cache_update(&cpu->seg[SEG_CS]);
    cpu_update_mode(cpu);
}

/* Byte of FINA (or -1) at `addr`. */
static int fina_byte(const Test *t, uint32_t addr)
{
    for (uint32_t i = t->fina.nram; i-- > 0;) {
        RamPair p = ram_pair(&t->fina, i);
        if (p.addr == addr)
            return p.val;
    }
    return -1;
}

/* Bits of a RAM byte that count: the pushed FLAGS of an exception is masked like FLAGS. */
static uint8_t ram_mask(const Test *t, uint32_t addr, uint16_t fmask)
{
    if (t->has_exc && addr == t->flags_at[0])
        return (uint8_t)fmask;
    if (t->has_exc && addr == t->flags_at[1])
        return (uint8_t)(fmask >> 8);
    return 0xff;
}

static const char *exit_name(CpuExit e)
{
    switch (e) {
    case CPU_EXIT_BUDGET: return "instruction limit (no HLT reached)";
    case CPU_EXIT_HALT: return "halt";
    case CPU_EXIT_STOP: return "stop request";
    default: return "triple fault";
    }
}

/* Runs one vector; returns true when it passes.  Leaves RAM all zero again.  With `to_halt`
 * the CPU runs to the HLT; otherwise it runs one instruction (a delivered fault counts as one). */
static bool run_test(Cpu *cpu, Machine *m, const Test *t, uint16_t fmask, bool to_halt, Report *r)
{
    bool ok = true;
    for (uint32_t i = 0; i < t->init.nram; i++) {
        RamPair p = ram_pair(&t->init, i);
        if (p.addr < RAM_SIZE) {
            m->ram[p.addr] = p.val;
            machine_touch(m, p.addr);
        }
    }
    cpu_load(cpu, &t->init);
    CpuExit e = cpu_run(cpu, cpu->icount + (to_halt ? MAX_INSNS : 1));
    if (to_halt && e != CPU_EXIT_HALT) {
        report(r, "  stopped by %s at %04x:%04x\n", exit_name(e), cpu->seg[SEG_CS].sel,
               (unsigned)(uint16_t)cpu->rip);
        ok = false;
    }

    for (int i = 0; i < T_NREGS; i++) {
        uint16_t want = (t->fina.mask & (1u << i)) ? t->fina.reg[i] : t->init.reg[i];
        uint16_t got = cpu_reg(cpu, i);
        uint16_t mask = 0xffff;
        if (i == T_FLAGS) {
            if (!(t->fina.mask & (1u << i)))
                want &= 0x0fff;
            mask = fmask;
        }
        if ((want & mask) != (got & mask)) {
            report(r, "  %-5s want %04x got %04x", reg_names[i], want, got);
            if (mask != 0xffff)
                report(r, " (mask %04x, differ %04x)", mask, (want ^ got) & mask);
            report(r, "\n");
            ok = false;
        }
    }
    /* The vectors record 16 bits of IP; EIP has no more bits set, except after a HLT at offset
     * FFFF: the 286's IP wraps to 0000, a 386+ EIP is 10000h (see the top of this file). */
    uint16_t fip = (t->fina.mask & (1u << T_IP)) ? t->fina.reg[T_IP] : t->init.reg[T_IP];
    uint64_t want_eip = to_halt && fip == 0 ? 0x10000 : fip;
    if (cpu->rip != want_eip) {
        report(r, "  eip   want %08llx got %08llx\n", (unsigned long long)want_eip, (unsigned long long)cpu->rip);
        ok = false;
    }
    if (t->has_exc && to_halt) {
        uint32_t ivt = (uint32_t)t->exc_vector * 4;
        uint16_t hip = (uint16_t)(m->ram[ivt] | m->ram[ivt + 1] << 8);
        uint16_t hcs = (uint16_t)(m->ram[ivt + 2] | m->ram[ivt + 3] << 8);
        uint32_t h = (uint32_t)hcs * 16 + hip;
        uint32_t at = (uint32_t)(cpu->seg[SEG_CS].base + cpu->rip);
        /* The handler starts with HLT (maybe after prefixes): IP ends just past it. */
        if (at <= h || at > h + 16) {
            report(r, "  expected exception %u: handler at %04x:%04x, ended at %04x:%04x\n",
                   t->exc_vector, hcs, hip, cpu->seg[SEG_CS].sel, (unsigned)(uint16_t)cpu->rip);
            ok = false;
        }
    }

    /* FINA bytes, then unchanged INIT bytes; clear each after checking it. */
    for (uint32_t i = 0; i < t->fina.nram; i++) {
        RamPair p = ram_pair(&t->fina, i);
        if (p.addr >= RAM_SIZE)
            continue;
        uint8_t mk = ram_mask(t, p.addr, fmask);
        if ((m->ram[p.addr] & mk) != (p.val & mk)) {
            report(r, "  ram[%06x] want %02x got %02x%s\n", p.addr, p.val, m->ram[p.addr],
                   mk != 0xff ? " (pushed FLAGS, masked)" : "");
            ok = false;
        }
    }
    for (uint32_t i = 0; i < t->init.nram; i++) {
        RamPair p = ram_pair(&t->init, i);
        if (p.addr >= RAM_SIZE || fina_byte(t, p.addr) >= 0)
            continue;
        if (m->ram[p.addr] != p.val) {
            report(r, "  ram[%06x] want %02x (unchanged) got %02x\n", p.addr, p.val, m->ram[p.addr]);
            ok = false;
        }
    }
    for (uint32_t i = 0; i < t->fina.nram; i++) {
        RamPair p = ram_pair(&t->fina, i);
        if (p.addr < RAM_SIZE)
            m->ram[p.addr] = 0;
    }
    for (uint32_t i = 0; i < t->init.nram; i++) {
        RamPair p = ram_pair(&t->init, i);
        if (p.addr < RAM_SIZE)
            m->ram[p.addr] = 0;
    }
    /* Anything still non-zero was written without the 286 writing it. */
    int strays = 0;
    for (uint32_t d = 0; d < m->ndirty; d++) {
        uint8_t *pg = m->ram + (size_t)m->dirty[d] * PAGE_SIZE;
        for (uint32_t o = 0; o < PAGE_SIZE; o++) {
            if (pg[o]) {
                if (strays++ < 4)
                    report(r, "  stray write ram[%06x] = %02x\n", m->dirty[d] * PAGE_SIZE + o, pg[o]);
                pg[o] = 0;
                ok = false;
            }
        }
        m->page_dirty[m->dirty[d]] = 0;
    }
    m->ndirty = 0;
    return ok;
}

/* Checks one vector: against the SDM's #UD for a LOCK prefix the 386+ refuse, else against the
 * action of its known-difference rule `k`, else against the 286's result. */
static bool check_vector(Cpu *cpu, Machine *m, const Test *t, const Known *k, uint16_t fmask, Report *r)
{
    Test x;
    uint8_t ram[(2 * STR_MAX_ITER + 6) * 5];
    if (lock_is_ud(t)) {
        fault_expect(t, &x, ram, EXC_UD);
        return run_test(cpu, m, &x, 0xffff, false, r);
    }
    if (k && k->act == ACT_VECTOR) {
        fault_expect(t, &x, ram, k->arg == VECTOR_SAME ? t->exc_vector : (int)k->arg);
        return run_test(cpu, m, &x, 0xffff, false, r);
    }
    if (k && k->act == ACT_FSGS) {
        int sreg;
        uint16_t sel = 0;
        int kind = fsgs_expect(t, &x, ram, &sreg, &sel);
        if (kind < 0) {
            report(r, "  mov-fsgs: not a MOV to or from FS/GS\n");
            return false;
        }
        bool ok = run_test(cpu, m, &x, kind ? fmask : 0xffff, kind > 0, r);
        if (sreg >= 0 && cpu->seg[sreg].sel != sel) {
            report(r, "  %s   want %04x got %04x\n", sreg == SEG_FS ? "fs" : "gs", sel, cpu->seg[sreg].sel);
            ok = false;
        }
        return ok;
    }
    if (k && k->act == ACT_FLAGS_POPPED) {
        uint16_t fl;
        if (!popped_flags(t, &fl)) {
            report(r, "  flags-popped: not POPF or IRET\n");
            return false;
        }
        x = *t;
        uint16_t base = (t->fina.mask & (1u << T_FLAGS)) ? t->fina.reg[T_FLAGS] : t->init.reg[T_FLAGS] & 0x0fff;
        x.fina.mask |= 1u << T_FLAGS;
        x.fina.reg[T_FLAGS] = (uint16_t)((base & ~0x7000u) | (fl & 0x7000u));
        return run_test(cpu, m, &x, fmask, true, r);
    }
    if (k && k->act == ACT_STRING) {
        StrReplay s;
        if (!string_expect(t, &x, ram, &s)) {
            report(r, "  string-fault: no iteration of a word string instruction faults here\n");
            return false;
        }
        return run_test(cpu, m, &x, 0xffff, false, r);
    }
    return run_test(cpu, m, t, (uint16_t)(fmask & (k && k->act == ACT_FLAGS ? k->arg : 0xffff)), true, r);
}

/* ---- files and totals ---- */

typedef struct Options {
    const char *dir;
    const char *known;
    const char *only;
    int show;                  /* failures to print per file */
    bool quiet;
} Options;

typedef struct Totals {
    uint64_t tests, passed, known, known_failed, failed;
    uint64_t lock_ud;          /* checked for the SDM's #UD instead of the 286 result */
} Totals;

typedef struct Runner {
    Options opt;
    Meta meta;
    KnownList known;
    char (*revoked)[41];
    size_t nrevoked;
    Machine *m;
    Cpu *cpu;
} Runner;

static uint8_t *gunzip_file(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        int got = gzread(gz, buf + n, (unsigned)(cap - n));
        if (got < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        n += (size_t)got;
        if (n < cap)
            break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    gzclose(gz);
    *len = n;
    return buf;
}

static bool revoked(const Runner *run, const Test *t)
{
    if (!t->hash || !run->nrevoked)
        return false;
    char hex[41];
    for (int i = 0; i < 20; i++)
        snprintf(hex + 2 * i, 3, "%02x", t->hash[i]);
    for (size_t i = 0; i < run->nrevoked; i++)
        if (!strcmp(run->revoked[i], hex))
            return true;
    return false;
}

static bool load_revoked(Runner *run)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/revocation_list.txt", run->opt.dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        char h[64];
        if (sscanf(line, "%63s", h) != 1 || strlen(h) != 40)
            continue;
        char (*nr)[41] = realloc(run->revoked, (run->nrevoked + 1) * sizeof(*nr));
        if (!nr) {
            fclose(f);
            return false;
        }
        run->revoked = nr;
        for (int i = 0; i < 41; i++)
            run->revoked[run->nrevoked][i] = (char)tolower((unsigned char)h[i]);
        run->nrevoked++;
    }
    fclose(f);
    return true;
}

/* Runs one XX[.N].MOO.gz file. */
static bool run_file(Runner *run, const char *id, Totals *tot)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.MOO.gz", run->opt.dir, id);
    size_t len;
    uint8_t *data = gunzip_file(path, &len);
    if (!data) {
        fprintf(stderr, "conformance: cannot read %s\n", path);
        return false;
    }
    int opcode = (int)strtol(id, NULL, 16);
    Totals ft = { 0 };
    int shown = 0;
    const uint8_t *p = data, *q;
    char cid[5];
    uint32_t n;
    bool ok = true;
    while (chunk_next(&p, data + len, cid, &q, &n)) {
        if (strcmp(cid, "TEST"))
            continue;
        Test t;
        if (!parse_test(q, n, &t)) {
            fprintf(stderr, "conformance: %s: malformed test chunk\n", path);
            ok = false;
            break;
        }
        if (revoked(run, &t))
            continue;
        int modrm = test_modrm(&t);
        uint16_t fmask = run->meta.flags_mask[opcode & 0xff][modrm < 0 ? 0 : (modrm >> 3) & 7];
        Known *k = known_find(&run->known, id, &t);
        Report r = { .len = 0 };
        bool lock = lock_is_ud(&t);
        bool pass = check_vector(run->cpu, run->m, &t, k, fmask, &r);
        ft.lock_ud += lock;
        ft.tests++;
        if (k) {
            ft.known++;
            k->covered++;
        }
        if (pass) {
            ft.passed++;
        } else if (k && k->act == ACT_UNCHECKED) {
            ft.known_failed++;
            k->failed++;
        } else {
            if (k)
                k->failed++;
            ft.failed++;
            if (shown++ < run->opt.show) {
                char hex[64] = "";
                for (uint32_t i = 0; i < t.nbytes && i < 20; i++)
                    snprintf(hex + 3 * i, 4, "%02x ", t.bytes[i]);
                printf("FAIL %s #%u `%s` [%s]%s%s\n%s", id, t.index, t.name, hex,
                       t.has_exc ? " (286 raised an exception)" : "",
                       k ? " (known difference, checked with its action)" : "", r.buf);
            }
        }
    }
    free(data);
    if (!run->opt.quiet || ft.failed)
        printf("%-5s %5llu tests  %6.2f%% pass  %4llu known  %3llu lock-#UD  %4llu FAIL\n", id,
               (unsigned long long)ft.tests, ft.tests ? 100.0 * ft.passed / ft.tests : 0.0,
               (unsigned long long)ft.known, (unsigned long long)ft.lock_ud,
               (unsigned long long)ft.failed);
    tot->tests += ft.tests;
    tot->passed += ft.passed;
    tot->known += ft.known;
    tot->known_failed += ft.known_failed;
    tot->failed += ft.failed;
    tot->lock_ud += ft.lock_ud;
    return ok;
}

/* File ids in opcode order: "XX" and "XX.N". */
static int id_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char **list_files(const char *dir, size_t *count)
{
    char **ids = NULL;
    size_t n = 0;
    /* Probe the names the suite uses instead of scanning the directory: XX and XX.0-7. */
    for (int op = 0; op < 256; op++) {
        for (int r = -1; r < 8; r++) {
            char id[8], path[4096];
            if (r < 0)
                snprintf(id, sizeof(id), "%02X", op);
            else
                snprintf(id, sizeof(id), "%02X.%d", op, r);
            snprintf(path, sizeof(path), "%s/%s.MOO.gz", dir, id);
            struct stat st;
            if (stat(path, &st) != 0)
                continue;
            char **ni = realloc(ids, (n + 1) * sizeof(*ni));
            if (!ni)
                break;
            ids = ni;
            ids[n] = strdup(id);
            if (ids[n])
                n++;
        }
    }
    if (n)
        qsort(ids, n, sizeof(*ids), id_cmp);
    *count = n;
    return ids;
}

/* ---- --self-test: the rule logic on synthetic vectors (no data needed) ---- */

typedef struct Synth {
    Test t;
    uint8_t bytes[16];
    uint8_t ram[64 * 5];
} Synth;

static void synth_ram(Synth *s, uint32_t addr, uint8_t val)
{
    assert(s->t.init.nram < sizeof(s->ram) / 5);
    ram_put(s->ram + 5 * s->t.init.nram++, addr, val);
}

static void synth_word(Synth *s, uint32_t addr, uint16_t val)
{
    synth_ram(s, addr, (uint8_t)val);
    synth_ram(s, addr + 1, (uint8_t)(val >> 8));
}

/* A vector with `code` (then HLT) at CS:IP = 1000:0100, SS:SP = 0000:7000, DS = 2000, ES = 3000,
 * FLAGS = 0002, other registers 0; IVT entries 0, 12 and 13 point at HLTs at 0000:0500,
 * 0000:0510 and 0000:0520.  The caller sets registers and data, and FINA where it runs one. */
static void synth_new(Synth *s, const char *code, uint32_t n)
{
    memset(s, 0, sizeof(*s));
    assert(n < sizeof(s->bytes));
    memcpy(s->bytes, code, n);
    s->bytes[n] = 0xf4;
    s->t.bytes = s->bytes;
    s->t.nbytes = n + 1;
    s->t.init.mask = (1u << T_NREGS) - 1;
    s->t.init.ram = s->ram;
    uint16_t *r = s->t.init.reg;
    r[T_CS] = 0x1000;
    r[T_IP] = 0x0100;
    r[T_SP] = 0x7000;
    r[T_DS] = 0x2000;
    r[T_ES] = 0x3000;
    r[T_FLAGS] = FL_FIXED1;
    for (uint32_t i = 0; i <= n; i++)
        synth_ram(s, 0x10100 + i, s->bytes[i]);
    static const uint8_t vecs[3] = { EXC_DE, EXC_SS, EXC_GP };
    for (int k = 0; k < 3; k++) {
        synth_word(s, 4u * vecs[k], (uint16_t)(0x500 + 16 * k));
        synth_word(s, 4u * vecs[k] + 2, 0);
        synth_ram(s, 0x500 + 16u * (uint32_t)k, 0xf4);
    }
}

typedef struct SelfTest {
    Cpu *cpu;
    Machine *m;
    int checks, failed;
} SelfTest;

static void st_check(SelfTest *st, bool ok, const char *what)
{
    st->checks++;
    if (!ok) {
        st->failed++;
        printf("self-test FAIL: %s\n", what);
    }
}

/* Runs `t` on softvisor through check_vector() with a rule of action `act` (none for
 * ACT_UNCHECKED); the check must pass (or, with !pass, fail). */
static void st_vector(SelfTest *st, const Test *t, Action act, unsigned arg, bool pass, const char *what)
{
    Known k = { .act = act, .arg = arg };
    Report r = { .len = 0 };
    bool ok = check_vector(st->cpu, st->m, t, act == ACT_UNCHECKED ? NULL : &k, 0xffff, &r) == pass;
    st_check(st, ok, what);
    if (!ok)
        printf("%s", r.buf);
}

static void self_test_rules(SelfTest *st)
{
    Known k;
    const char *err = known_parse("F6.7  #952  vector=0  one vector", &k);
    st_check(st, err && strstr(err, "rules, not test numbers"), "a test number is refused");
    err = known_parse("*  exc&#3  unchecked  x", &k);
    st_check(st, err && strstr(err, "rules, not test numbers"), "a test number term is refused");
    st_check(st, known_parse("*  bogus  unchecked  x", &k) != NULL, "an unknown condition is refused");
    st_check(st, known_parse("*  exc&  unchecked  x", &k) != NULL, "a dangling & is refused");
    st_check(st, known_parse("A5  exc  sometimes  x", &k) != NULL, "an unknown action is refused");
    err = known_parse("A5,AB.3  str-wrap&!exc&reg5  string-fault  why", &k);
    st_check(st, !err && k.nterm == 3 && k.term[0].cond == C_STR_WRAP && !k.term[0].neg &&
                     k.term[1].cond == C_EXC && k.term[1].neg && k.term[2].cond == C_REGN &&
                     k.term[2].reg == 5 && k.act == ACT_STRING,
             "conjunction, negation and regN parse");
    st_check(st, files_match("A5,AB.3", "AB.3") && files_match("A5,AB.3", "A5") &&
                     !files_match("A5,AB.3", "AB") && !files_match("A5,AB.3", "A") && files_match("*", "F6.7"),
             "file lists match whole ids");
}

static void self_test_div(SelfTest *st)
{
    static const struct {
        const char *code;       /* F6 FB idiv bl, F6 F3 div bl, F7 3F idiv word [bx], F6 EB imul bl */
        uint16_t dx, ax, bx, mem;
        bool overflow;
        const char *what;
    } cases[] = {
        { "\xf6\xfb", 0, 0x81c1, 124, 0, true, "IDIV r/m8 -32319 / 124 = -260 (the 286 stored 80h)" },
        { "\xf6\xfb", 0, 0xff00, 2, 0, false, "IDIV r/m8 -256 / 2 = -128 fits" },
        { "\xf6\xfb", 0, 0x0100, 2, 0, true, "IDIV r/m8 256 / 2 = 128" },
        { "\xf6\xfb", 0, 0x0100, 0, 0, true, "IDIV r/m8 by 0" },
        { "\xf6\xf3", 0, 0x01ff, 2, 0, false, "DIV r/m8 511 / 2 = 255 fits" },
        { "\xf6\xf3", 0, 0x0200, 2, 0, true, "DIV r/m8 512 / 2 = 256" },
        { "\xf7\x3f", 1, 0x0000, 0x10, 2, true, "IDIV m16 65536 / 2 = 32768" },
        { "\xf7\x3f", 1, 0x0000, 0x10, 3, false, "IDIV m16 65536 / 3 fits" },
        { "\xf7\x3f", 1, 0x0000, 0xffff, 0, false, "IDIV m16 at offset FFFF faults on the read first" },
        { "\xf6\xeb", 0, 0x0100, 0, 0, false, "IMUL is no division" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Synth s;
        synth_new(&s, cases[i].code, 2);
        s.t.init.reg[T_DX] = cases[i].dx;
        s.t.init.reg[T_AX] = cases[i].ax;
        s.t.init.reg[T_BX] = cases[i].bx;
        synth_word(&s, 0x20000 + cases[i].bx, cases[i].mem);
        st_check(st, div_overflows(&s.t) == cases[i].overflow, cases[i].what);
    }
    /* The rule of known-differences.txt: only a vector the 286 completed is covered, and it is
     * checked for #DE with nothing changed. */
    KnownList kl = { .e = &(Known){ .covered = 0 }, .n = 1 };
    st_check(st, !known_parse("F6.7  div-overflow&!exc  vector=0  x", kl.e), "the IDIV rule parses");
    Synth s;
    synth_new(&s, "\xf6\xfb", 2);
    s.t.init.reg[T_AX] = 0x81c1;
    s.t.init.reg[T_BX] = 124;
    st_check(st, known_find(&kl, "F6.7", &s.t) == kl.e, "the 286 quirk is covered");
    st_check(st, known_find(&kl, "F6.6", &s.t) == NULL, "the rule names its file");
    st_vector(st, &s.t, ACT_VECTOR, EXC_DE, true, "softvisor raises #DE for IDIV -32319 / 124");
    s.t.has_exc = true;
    s.t.exc_vector = EXC_DE;
    st_check(st, known_find(&kl, "F6.7", &s.t) == NULL, "an overflow the 286 faulted on is no difference");
}

/* One string case: the replay's outcome, then softvisor against the derived state. */
typedef struct StrCase {
    const char *what;
    const char *code;
    uint32_t ncode;
    uint16_t flags, cx, si, di, ax, ss;
    uint16_t src[4], dst[4];        /* words at DS:SI (SS:SI for ss != 0) and ES:DI onwards */
    bool ok, faults;
    uint8_t vector;
    uint32_t done;
    uint16_t cx_at, si_at, di_at, ax_at, flags_at;
} StrCase;

static void self_test_string(SelfTest *st)
{
    static const StrCase cases[] = {
        { "REP MOVSW, DI reaches FFFF after 3 words: #GP", "\xf3\xa5", 2, FL_FIXED1, 5, 0x100, 0xfff9, 0, 0,
          { 0x1111, 0x2222, 0x3333, 0x4444 }, { 0 }, true, true, EXC_GP, 3, 2, 0x106, 0xffff, 0, FL_FIXED1 },
        { "SS: REP LODSW, SI reaches FFFF after 2 words: #SS", "\x36\xf3\xad", 3, FL_FIXED1, 5, 0xfffb, 0, 0, 0x0800,
          { 0x5555, 0x6666 }, { 0 }, true, true, EXC_SS, 2, 3, 0xffff, 0, 0x6666, FL_FIXED1 },
        { "REPE CMPSW, all equal up to DI = FFFF: #GP, ZF from the last compare", "\xf3\xa7", 2, FL_FIXED1, 9,
          0x100, 0xfffb, 0, 0, { 0x1111, 0x2222 }, { 0x1111, 0x2222 }, true, true, EXC_GP, 2, 7, 0x104, 0xffff,
          0, FL_FIXED1 | FL_ZF | FL_PF },
        { "REPE CMPSW, a mismatch ends it before DI = FFFF: no fault", "\xf3\xa7", 2, FL_FIXED1, 9, 0x100, 0xfffb, 0,
          0, { 0x1111, 0x2222 }, { 0x1111, 0x9999 }, true, false, 0, 2, 7, 0x104, 0xffff, 0, 0 },
        { "REPNE SCASW with DF = 1, DI 0003 -> 0001 -> FFFF: #GP", "\xf2\xaf", 2, FL_FIXED1 | FL_DF, 9, 0, 0x0003,
          0x1234, 0, { 0 }, { 0 }, true, true, EXC_GP, 2, 7, 0, 0xffff, 0x1234, FL_FIXED1 | FL_DF },
        { "REP STOSW with CX = 0 at DI = FFFF: nothing to do", "\xf3\xab", 2, FL_FIXED1, 0, 0, 0xffff, 0, 0, { 0 },
          { 0 }, true, false, 0, 0, 0, 0, 0xffff, 0, 0 },
        { "STOSW at DI = FFFF: #GP before anything", "\xab", 1, FL_FIXED1, 7, 0, 0xffff, 0xabcd, 0, { 0 }, { 0 },
          true, true, EXC_GP, 0, 7, 0, 0xffff, 0xabcd, FL_FIXED1 },
        { "REP MOVSB is no word string instruction", "\xf3\xa4", 2, FL_FIXED1, 5, 0xffff, 0xffff, 0, 0, { 0 },
          { 0 }, false, false, 0, 0, 0, 0, 0, 0, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const StrCase *c = &cases[i];
        Synth s;
        synth_new(&s, c->code, c->ncode);
        uint16_t *r = s.t.init.reg;
        r[T_FLAGS] = c->flags;
        r[T_CX] = c->cx;
        r[T_SI] = c->si;
        r[T_DI] = c->di;
        r[T_AX] = c->ax;
        if (c->ss) {
            r[T_SS] = c->ss;
            r[T_SP] = 0x1000;
        }
        uint16_t step = (c->flags & FL_DF) ? 0xfffe : 2;
        int src_seg = c->ss ? T_SS : T_DS;
        for (uint16_t k = 0; k < 4; k++) {
            if (c->src[k])
                synth_word(&s, (uint32_t)r[src_seg] * 16 + (uint16_t)(c->si + k * step), c->src[k]);
            if (c->dst[k])
                synth_word(&s, (uint32_t)r[T_ES] * 16 + (uint16_t)(c->di + k * step), c->dst[k]);
        }
        StrReplay rp;
        str_replay(&s.t, &rp);
        bool want = rp.ok == c->ok && rp.faults == c->faults;
        if (want && c->ok)
            want = rp.done == c->done && rp.reg[T_CX] == c->cx_at && rp.reg[T_DI] == c->di_at &&
                   (!c->faults || (rp.vector == c->vector && rp.reg[T_SI] == c->si_at && rp.reg[T_AX] == c->ax_at &&
                                   (!c->flags_at || rp.reg[T_FLAGS] == c->flags_at)));
        st_check(st, want, c->what);
        st_check(st, str_wraps(&s.t) == (c->ok && c->faults), c->what);
        if (c->ok && c->faults)
            st_vector(st, &s.t, ACT_STRING, 0, true, c->what);
    }
    /* The stores of the completed iterations are part of the expectation: a state that lacks the
     * third word must fail against softvisor. */
    Synth s;
    synth_new(&s, "\xf3\xa5", 2);
    s.t.init.reg[T_CX] = 5;
    s.t.init.reg[T_SI] = 0x100;
    s.t.init.reg[T_DI] = 0xfff9;
    synth_word(&s, 0x20100, 0x1111);
    synth_word(&s, 0x20102, 0x2222);
    synth_word(&s, 0x20104, 0x3333);
    StrReplay rp;
    str_replay(&s.t, &rp);
    Test x;
    uint8_t ram[(2 * STR_MAX_ITER + 6) * 5];
    fault_expect_at(&s.t, &x, ram, rp.reg, rp.wr, rp.nwr - 2, rp.vector);
    Report r = { .len = 0 };
    st_check(st, rp.nwr == 6 && !run_test(st->cpu, st->m, &x, 0xffff, false, &r),
             "an expectation missing a completed store fails");
}

/* MOV to and from FS/GS: executed as on a 386+ (the runner's FS = GS = 0000). */
static void self_test_fsgs(SelfTest *st)
{
    static const struct {
        const char *code;
        uint32_t n;
        uint16_t ax, bx, bp, mem;
        const char *what;
    } cases[] = {
        { "\x8c\xe0", 2, 0x1234, 0, 0, 0, "8C E0 mov ax, fs: AX = 0000" },
        { "\x8c\x2f", 2, 0, 0x40, 0, 0x5555, "8C 2F mov [bx], gs: the word becomes 0000" },
        { "\x8e\xe8", 2, 0x4321, 0, 0, 0, "8E E8 mov gs, ax: GS = 4321" },
        { "\x8e\x27", 2, 0, 0x40, 0, 0x2468, "8E 27 mov fs, [bx]: FS = the word" },
        { "\x8c\x27", 2, 0, 0xffff, 0, 0, "8C 27 mov [bx], fs at offset FFFF: #GP" },
        { "\x8e\x66\x00", 3, 0, 0, 0xffff, 0, "8E 66 00 mov fs, [bp+0] at offset FFFF: #SS" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Synth s;
        synth_new(&s, cases[i].code, cases[i].n);
        s.t.init.reg[T_AX] = cases[i].ax;
        s.t.init.reg[T_BX] = cases[i].bx;
        s.t.init.reg[T_BP] = cases[i].bp;
        if (cases[i].mem)
            synth_word(&s, 0x20000 + cases[i].bx, cases[i].mem);
        st_vector(st, &s.t, ACT_FSGS, 0, true, cases[i].what);
    }
}

/* POPF in real mode: IOPL and NT come from the popped word on a 386+; the vector (as the 286
 * recorded it) keeps them clear. */
static void self_test_popf(SelfTest *st)
{
    for (int iopl_nt = 0; iopl_nt < 2; iopl_nt++) {
        Synth s;
        synth_new(&s, "\x9d", 1);
        uint16_t popped = iopl_nt ? 0x7202 : 0x0202;
        synth_word(&s, 0x7000, popped);
        s.t.fina.mask = 1u << T_IP | 1u << T_SP | 1u << T_FLAGS;
        s.t.fina.reg[T_IP] = 0x0102;
        s.t.fina.reg[T_SP] = 0x7002;
        s.t.fina.reg[T_FLAGS] = 0x0202;
        Term tm = { .cond = C_POPS_IOPL_NT };
        st_check(st, term_match(&tm, &s.t) == iopl_nt, "pops-iopl-nt reads the popped word");
        st_vector(st, &s.t, iopl_nt ? ACT_FLAGS_POPPED : ACT_UNCHECKED, 0, true,
                  iopl_nt ? "POPF of 7202h: FLAGS 7202h" : "POPF of 0202h: as the 286");
    }
}

/* A far return to CS:FFFF, where the HLT is: the 286's IP is 0000 after it, a 386+ EIP 10000h. */
static void self_test_ip_wrap(SelfTest *st)
{
    Synth s;
    synth_new(&s, "\xcb", 1);           /* retf */
    synth_word(&s, 0x7000, 0xffff);
    synth_word(&s, 0x7002, 0x4000);
    synth_ram(&s, 0x4ffff, 0xf4);
    s.t.fina.mask = 1u << T_IP | 1u << T_CS | 1u << T_SP;
    s.t.fina.reg[T_IP] = 0x0000;
    s.t.fina.reg[T_CS] = 0x4000;
    s.t.fina.reg[T_SP] = 0x7004;
    st_vector(st, &s.t, ACT_UNCHECKED, 0, true, "RETF to 4000:FFFF: HLT there, EIP 10000h after it");
    s.t.fina.reg[T_IP] = 0x0001;
    st_vector(st, &s.t, ACT_UNCHECKED, 0, false, "a wrong IP after the HLT fails");
}

static int self_test(Cpu *cpu, Machine *m)
{
    SelfTest st = { .cpu = cpu, .m = m };
    self_test_rules(&st);
    self_test_div(&st);
    self_test_string(&st);
    self_test_fsgs(&st);
    self_test_popf(&st);
    self_test_ip_wrap(&st);
    printf("self-test: %d checks, %d failed\n", st.checks, st.failed);
    return st.failed ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: conformance [--dir DIR] [--default-dir DIR] [--known FILE] [--only FILE-ID]\n"
                    "                   [--show N] [--quiet]\n"
                    "       conformance --self-test\n"
                    "The data directory is --dir, else $SOFTVISOR_CONFORMANCE_DIR, else --default-dir.\n");
}

int main(int argc, char **argv)
{
    Runner run = { .opt = { .show = 3 } };
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *dir = NULL, *default_dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quiet")) {
            run.opt.quiet = true;
            continue;
        }
        if (!strcmp(a, "--self-test")) {
            if (!machine_new(&run.m, &run.cpu))
                return 1;
            int rc = self_test(run.cpu, run.m);
            machine_free(run.m, run.cpu);
            return rc;
        }
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(a, "--dir"))
            dir = v;
        else if (!strcmp(a, "--default-dir"))
            default_dir = v;
        else if (!strcmp(a, "--known"))
            run.opt.known = v;
        else if (!strcmp(a, "--only"))
            run.opt.only = v;
        else if (!strcmp(a, "--show"))
            run.opt.show = atoi(v);
        else {
            usage();
            return 2;
        }
        i++;
    }
    if (!dir)
        dir = getenv("SOFTVISOR_CONFORMANCE_DIR");
    if (!dir || !*dir)
        dir = default_dir;
    if (!dir) {
        usage();
        return 2;
    }
    run.opt.dir = dir;

    struct stat st;
    char probe[4096];
    snprintf(probe, sizeof(probe), "%s/metadata.json", dir);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || stat(probe, &st) != 0) {
        const char *ci = getenv("CI");
        bool in_ci = ci && !strcmp(ci, "true");
        fprintf(stderr, "\n*** conformance data not found at %s: NOT RUN ***\n"
                        "*** (set SOFTVISOR_CONFORMANCE_DIR or --dir to the 80286-real directory)%s\n\n",
                dir, in_ci ? " -- failing because CI=true" : "");
        printf("conformance data not found at %s: NOT RUN\n", dir);
        return in_ci ? 1 : EXIT_SKIP;
    }
    if (!meta_load(&run.meta, dir) || !known_load(&run.known, run.opt.known) || !load_revoked(&run))
        return 1;

    if (!machine_new(&run.m, &run.cpu))
        return 1;

    size_t nfiles;
    char **ids = list_files(dir, &nfiles);
    Totals tot = { 0 };
    bool ok = nfiles > 0;
    if (!nfiles)
        fprintf(stderr, "conformance: no XX.MOO.gz files in %s\n", dir);
    size_t ran = 0;
    for (size_t i = 0; i < nfiles; i++) {
        if (!run.opt.only || !strcmp(run.opt.only, ids[i])) {
            ok &= run_file(&run, ids[i], &tot);
            ran++;
        }
        free(ids[i]);
    }
    free(ids);
    if (run.opt.only && !ran) {
        fprintf(stderr, "conformance: no file %s.MOO.gz in %s\n", run.opt.only, dir);
        ok = false;
    }

    double share = tot.tests ? (double)tot.known / (double)tot.tests : 0.0;
    printf("\nknown differences (known-differences.txt):\n");
    for (size_t i = 0; i < run.known.n; i++) {
        const Known *k = &run.known.e[i];
        printf("  %-20s %-17s %-12s covers %5u vectors, %5u of them fail%s\n", k->files, k->cond,
               action_name(k->act),
               k->covered, k->failed, k->act != ACT_UNCHECKED && k->failed ? " (FAIL)" : "");
    }
    printf("\nTOTAL %llu tests: %llu pass (%.3f%%), %llu unexpected FAIL; known differences cover "
           "%llu vectors = %.3f%% (limit %.1f%%), %llu of them fail\n",
           (unsigned long long)tot.tests, (unsigned long long)tot.passed,
           tot.tests ? 100.0 * (double)tot.passed / (double)tot.tests : 0.0,
           (unsigned long long)tot.failed, (unsigned long long)tot.known, 100.0 * share,
           100.0 * KNOWN_MAX_SHARE, (unsigned long long)tot.known_failed);
    printf("LOCK on a non-lockable instruction: %llu vectors = %.3f%%, checked for the SDM's #UD "
           "instead of the 286 result (which ignores the prefix)\n",
           (unsigned long long)tot.lock_ud, tot.tests ? 100.0 * (double)tot.lock_ud / (double)tot.tests : 0.0);
    if (!run.opt.only && share > KNOWN_MAX_SHARE) {
        printf("FAIL: the known-differences list covers more than %.1f%% of the vectors\n",
               100.0 * KNOWN_MAX_SHARE);
        ok = false;
    }
    if (tot.failed)
        ok = false;
    machine_free(run.m, run.cpu);
    free(run.known.e);
    free(run.revoked);
    return ok ? 0 : 1;
}
