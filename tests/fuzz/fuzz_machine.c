/*
 * fuzz_machine.c — see fuzz_machine.h.
 *
 * The initial states follow the SDM's mode-entry requirements (vol. 3, 9.8 "Software
 * initialization for protected-mode operation", 9.8.5 "Initializing IA-32e mode", 20.2
 * "Virtual-8086 mode"): CR0.PE (and PG with CR3 -> identity tables), EFER.LME/LMA with CR4.PAE,
 * a loaded TR whose TSS gives the ring-0 stack, an IDT of 32-bit (or 64-bit) interrupt gates with
 * DPL 3.  Segment caches are filled from the very descriptors in the GDT, so the state is one the
 * guest could have reached itself.
 */
#include "tests/fuzz/fuzz_machine.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/seg.h"
#include "devices/debugport.h"
#include "devices/uart16550.h"
#include "jit/jit.h"
#include "mem/io.h"

#define A_IVT_HANDLER 0x0500u
#define A_GDT   0x1000u
#define A_IDT   0x2000u
#define A_TSS   0x3000u
#define A_PM_HANDLERS 0x6000u
#define A_LDT   0x7000u
#define A_PML4  0x8000u   /* also the 2-level page directory */
#define A_PDPT  0x9000u
#define A_PD    0xa000u
#define A_PT    0xb000u   /* 512 8-byte entries: the first 2 MiB */
#define A_PT32  0xc000u   /* 1024 4-byte entries: the first 4 MiB */
#define A_STACK 0x38000u
#define A_STACK0 0x3f000u
#define FZ_JIT_BUFFER (1u << 20)   /* small: random code fills it, and it flushes */
#define TSS_LIMIT (0x68u + 0x2000u)   /* with a full I/O permission bitmap and its 0xff byte */

const char *const fz_mode_names[FZ_MODES] = {
    "real", "pm16-cpl0", "pm16-cpl3", "pm32-cpl0", "pm32-cpl3", "v86", "long-cpl0", "long-cpl3",
    "compat-cpl3",
};

/* GDT layout (selectors). */
enum {
    S_CODE32 = 0x08, S_DATA = 0x10, S_CODE16 = 0x18, S_CODE64 = 0x20, S_TSS = 0x28,
    S_UCODE32 = 0x38, S_UDATA = 0x40, S_UCODE64 = 0x48, S_UCODE16 = 0x50, S_LDT = 0x58,
    S_STACK16 = 0x60, S_CALLGATE = 0x68, S_FIRST_RANDOM = 0x70,
};

typedef struct FzMachine {
    Cpu *cpu;
    uint8_t *ram;
    CpuBus bus;
    IoBus io;
    UartState *uart;
    Clock clock;              /* the UART's timeout timer (never run: no device deadlines here) */
    DebugconState *debugcon;
} FzMachine;

static uint8_t *fz_phys_ptr(void *opaque, uint64_t paddr, bool *writable)
{
    FzMachine *m = opaque;
    if (paddr >= FZ_RAM_SIZE)
        return NULL;
    *writable = true;
    return m->ram + (paddr & ~0xfffull);
}

static uint64_t fz_phys_read(void *opaque, uint64_t paddr, int size)
{
    (void)opaque; (void)paddr;
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static void fz_phys_write(void *opaque, uint64_t paddr, int size, uint64_t val)
{
    (void)opaque; (void)paddr; (void)size; (void)val;
}

static uint32_t fz_io_in(void *opaque, uint16_t port, int size)
{
    FzMachine *m = opaque;
    return io_in(&m->io, port, size);
}

static void fz_io_out(void *opaque, uint16_t port, int size, uint32_t val)
{
    FzMachine *m = opaque;
    io_out(&m->io, port, size, val);
}

static bool fz_intr_ack(void *opaque, uint8_t *vector)
{
    (void)opaque; (void)vector;
    return false;
}

static bool fz_intr_pending(void *opaque)
{
    (void)opaque;
    return false;
}

/* ---- little helpers ---- */

static void put(uint8_t *ram, uint32_t pa, int size, uint64_t v)
{
    for (int i = 0; i < size; i++)
        ram[pa + (uint32_t)i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *data, size_t len, size_t off, int size)
{
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; i--)
        v = (v << 8) | (off + (size_t)i < len ? data[off + (size_t)i] : 0);
    return v;
}

/* splitmix64: the tweak generator. */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned attr)
{
    return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)(attr & 0xff) << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)((attr >> 12) & 0xf) << 52) |
           ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate_desc(uint16_t sel, uint32_t off, unsigned type_attr)
{
    return (off & 0xffffull) | ((uint64_t)sel << 16) | ((uint64_t)(type_attr & 0xff) << 40) |
           ((uint64_t)(off >> 16) << 48);
}

static uint64_t gdt_entry(const FzMachine *m, uint16_t sel)
{
    return get_le(m->ram, FZ_RAM_SIZE, A_GDT + (sel & ~7u), 8);
}

/* ---- the fixed system structures ---- */

static void build_handlers(uint8_t *ram)
{
    /* Real mode: push bp; mov bp,sp; inc word [bp+2]; pop bp; iret */
    static const uint8_t rm[] = { 0x55, 0x89, 0xe5, 0xff, 0x46, 0x02, 0x5d, 0xcf };
    /* 32-bit: [add esp,4;] inc dword [esp]; iretd */
    static const uint8_t pm_err[] = { 0x83, 0xc4, 0x04, 0xff, 0x04, 0x24, 0xcf };
    /* 64-bit: [add rsp,8;] inc qword [rsp]; iretq */
    static const uint8_t lm_err[] = { 0x48, 0x83, 0xc4, 0x08, 0x48, 0xff, 0x04, 0x24, 0x48, 0xcf };
    static const uint8_t sysret[] = { 0x48, 0x0f, 0x07 };     /* LSTAR: sysretq */
    static const uint8_t sysexit[] = { 0x0f, 0x35 };          /* SYSENTER_EIP: sysexit */
    static const uint8_t retf[] = { 0xcb };                    /* call-gate target: retf */
    memcpy(ram + A_IVT_HANDLER, rm, sizeof(rm));
    memcpy(ram + A_PM_HANDLERS + 0x00, pm_err + 3, sizeof(pm_err) - 3);
    memcpy(ram + A_PM_HANDLERS + 0x10, pm_err, sizeof(pm_err));
    memcpy(ram + A_PM_HANDLERS + 0x20, lm_err + 4, sizeof(lm_err) - 4);
    memcpy(ram + A_PM_HANDLERS + 0x30, lm_err, sizeof(lm_err));
    memcpy(ram + A_PM_HANDLERS + 0x40, sysret, sizeof(sysret));
    memcpy(ram + A_PM_HANDLERS + 0x50, sysexit, sizeof(sysexit));
    memcpy(ram + A_PM_HANDLERS + 0x60, retf, sizeof(retf));
    for (uint32_t v = 0; v < 256; v++)
        put(ram, v * 4, 4, A_IVT_HANDLER);   /* 0000:0500 */
}

static bool pushes_error(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

static void build_tables(uint8_t *ram, bool long_mode)
{
    put(ram, A_GDT + S_CODE32, 8, seg_desc(0, 0xfffff, 0xc09b));
    put(ram, A_GDT + S_DATA, 8, seg_desc(0, 0xfffff, 0xc093));
    put(ram, A_GDT + S_CODE16, 8, seg_desc(FZ_CODE_ADDR, 0xffff, 0x009b));
    put(ram, A_GDT + S_CODE64, 8, seg_desc(0, 0xfffff, 0xa09b));
    put(ram, A_GDT + S_TSS, 8, seg_desc(A_TSS, TSS_LIMIT, long_mode ? 0x8b : 0x8b)); /* busy */
    put(ram, A_GDT + S_TSS + 8, 8, 0);
    put(ram, A_GDT + S_UCODE32, 8, seg_desc(0, 0xfffff, 0xc0fb));
    put(ram, A_GDT + S_UDATA, 8, seg_desc(0, 0xfffff, 0xc0f3));
    put(ram, A_GDT + S_UCODE64, 8, seg_desc(0, 0xfffff, 0xa0fb));
    put(ram, A_GDT + S_UCODE16, 8, seg_desc(FZ_CODE_ADDR, 0xffff, 0x00fb));
    put(ram, A_GDT + S_LDT, 8, seg_desc(A_LDT, 0xfff, 0x82));
    put(ram, A_GDT + S_STACK16, 8, seg_desc(0x30000, 0xffff, 0x0093));
    put(ram, A_GDT + S_CALLGATE, 8, gate_desc(S_CODE32, A_PM_HANDLERS + 0x60, 0xec));
    /* The LDT holds copies of the user segments. */
    put(ram, A_LDT + 0x00, 8, seg_desc(0, 0xfffff, 0xc0fb));
    put(ram, A_LDT + 0x08, 8, seg_desc(0, 0xfffff, 0xc0f3));
    put(ram, A_LDT + 0x10, 8, seg_desc(0x20000, 0xfff, 0x00f7));   /* expand-down data */
    for (int v = 0; v < 256; v++) {
        uint32_t h = A_PM_HANDLERS + (long_mode ? 0x20 : 0) + (pushes_error(v) ? 0x10 : 0);
        if (long_mode) {
            put(ram, A_IDT + 16 * (uint32_t)v, 8, gate_desc(S_CODE64, h, 0xee));
            put(ram, A_IDT + 16 * (uint32_t)v + 8, 8, 0);
        } else {
            put(ram, A_IDT + 8 * (uint32_t)v, 8, gate_desc(S_CODE32, h, 0xee));
        }
    }
    /* TSS: ring-0 stack, I/O bitmap allowing every port (but the trailing 0xff byte). */
    if (long_mode) {
        put(ram, A_TSS + 4, 8, A_STACK0);
        put(ram, A_TSS + 0x24, 8, A_STACK0 - 0x800);   /* IST1 */
    } else {
        put(ram, A_TSS + 4, 4, A_STACK0);
        put(ram, A_TSS + 8, 4, S_DATA);
        put(ram, A_TSS + 0x1c, 4, A_PML4);
    }
    put(ram, A_TSS + 0x66, 2, 0x68);
    ram[A_TSS + 0x68 + 0x2000] = 0xff;
}

/* Identity tables for the first 2 MiB (4 KiB pages) plus 2 MiB/4 MiB pages for the rest. */
static void build_paging(uint8_t *ram, int kind)
{
    const uint64_t f = 0x67;   /* P RW US A D */
    if (kind == 1) {           /* 2-level */
        for (uint32_t i = 0; i < 1024; i++)
            put(ram, A_PT32 + 4 * i, 4, (i << 12) | f);
        put(ram, A_PML4, 4, A_PT32 | f);
        for (uint32_t i = 1; i < 1024; i++)
            put(ram, A_PML4 + 4 * i, 4, (i << 22) | f | 0x80);   /* 4 MiB pages (CR4.PSE) */
        return;
    }
    for (uint32_t i = 0; i < 512; i++)
        put(ram, A_PT + 8 * i, 8, ((uint64_t)i << 12) | f);
    put(ram, A_PD, 8, A_PT | f);
    for (uint32_t i = 1; i < 512; i++)
        put(ram, A_PD + 8 * i, 8, ((uint64_t)i << 21) | f | 0x80);
    if (kind == 2) {           /* PAE: 4 PDPTEs, no RW/US bits allowed there */
        put(ram, A_PDPT, 8, A_PD | 1);
        return;
    }
    put(ram, A_PDPT, 8, A_PD | f);
    put(ram, A_PML4, 8, A_PDPT | f);
}

/* Random damage: descriptors (often valid-looking), gates, TSS fields, page-table bits. */
static void tweak(uint8_t *ram, uint64_t seed)
{
    uint64_t s = seed;
    int n = (int)(rnd(&s) % 48);
    for (int i = 0; i < n; i++) {
        uint64_t r = rnd(&s), v = rnd(&s);
        switch (r % 8) {
        case 0: {   /* a random but plausible segment descriptor in the free GDT slots / LDT */
            static const unsigned attrs[] = { 0xc09b, 0xc0fb, 0xc093, 0xc0f3, 0xa09b, 0xa0fb, 0x009b,
                                              0x0097, 0x009f, 0x0089, 0x0082, 0x0085, 0x008c, 0x008e,
                                              0x0084, 0x0081, 0x0083, 0x00e4, 0x00ec, 0x00ef, 0x00e5 };
            unsigned a = attrs[(v >> 8) % (sizeof(attrs) / sizeof(attrs[0]))] ^
                         (unsigned)((r >> 8) & 0x60);
            uint32_t base = (r >> 20) & 1 ? (uint32_t)(v >> 32) : (uint32_t)((v >> 32) & 0x3ffff);
            uint64_t d = (a & 0x10) ? seg_desc(base, (uint32_t)(v >> 12) & 0xfffff, a)
                                    : gate_desc((uint16_t)(v >> 40), (uint32_t)v, a);
            uint32_t where = (r >> 16) & 1 ? A_LDT + 8 * (uint32_t)((r >> 24) % 512)
                                           : A_GDT + S_FIRST_RANDOM + 8 * (uint32_t)((r >> 24) % 496);
            put(ram, where, 8, d);
            break;
        }
        case 1:     /* a fully random GDT/LDT qword */
            put(ram, ((r >> 16) & 1 ? A_LDT : A_GDT + S_FIRST_RANDOM) + 8 * (uint32_t)((r >> 24) % 496), 8, v);
            break;
        case 2:     /* flip bits of an IDT entry */
            put(ram, A_IDT + 8 * (uint32_t)((r >> 16) % 512), 8,
                get_le(ram, FZ_RAM_SIZE, A_IDT + 8 * (uint32_t)((r >> 16) % 512), 8) ^ (1ull << (v & 63)));
            break;
        case 3:     /* flip a bit of a fixed GDT entry (a live one, now and then) */
            put(ram, A_GDT + 8 * (uint32_t)(1 + (r >> 16) % 13), 8,
                get_le(ram, FZ_RAM_SIZE, A_GDT + 8 * (uint32_t)(1 + (r >> 16) % 13), 8) ^ (1ull << (v & 63)));
            break;
        case 4:     /* a random TSS byte (stack pointers, I/O map base, SSP fields) */
            ram[A_TSS + (uint32_t)((r >> 16) % 0x68)] = (uint8_t)v;
            break;
        case 5: {   /* flip bits of a page-table entry (any of the tables) */
            uint32_t pa = A_PML4 + 8 * (uint32_t)((r >> 16) % (5 * 512));
            put(ram, pa, 8, get_le(ram, FZ_RAM_SIZE, pa, 8) ^ (1ull << (v & 63)) ^ (1ull << ((v >> 8) & 63)));
            break;
        }
        case 6: {   /* a random page-table entry pointing somewhere (maybe beyond RAM) */
            uint32_t pa = A_PML4 + 8 * (uint32_t)((r >> 16) % (5 * 512));
            put(ram, pa, 8, (v & 0x8000000000000fffull) | ((v >> 12) & 1 ? (v & 0x1ff000) : (v & 0xffffff000ull)));
            break;
        }
        default:    /* random data bytes anywhere in low memory */
            ram[(uint32_t)((r >> 16) % 0x40000)] = (uint8_t)v;
            break;
        }
    }
}

/* ---- mode entry ---- */

static void load_seg(FzMachine *m, int s, uint16_t sel)
{
    seg_cache_from_desc(&m->cpu->seg[s], sel, gdt_entry(m, sel));
}

static void enter_mode(FzMachine *m, FzMode mode, int paging, uint32_t eflags)
{
    Cpu *cpu = m->cpu;
    bool lm = mode >= FZ_LONG_CPL0;
    bool user = mode == FZ_PM16_CPL3 || mode == FZ_PM32_CPL3 || mode == FZ_V86 ||
                mode == FZ_LONG_CPL3 || mode == FZ_COMPAT_CPL3;
    eflags = (eflags & ~(FL_VM | FL_RF | FL_VIF | FL_VIP)) | FL_FIXED1;
    if (mode == FZ_REAL) {
        for (int s = 0; s < 6; s++)
            seg_set_real_full(cpu, s, s == SEG_CS ? (uint16_t)(FZ_CODE_ADDR >> 4) : s == SEG_SS ? 0x3000 : 0x2000);
        cpu->rip = 0;
        cpu->gpr[R_SP] = 0x8000;
        cpu_set_eflags(cpu, eflags);
        cpu->idtr = (DescTable){ 0, 0x3ff };
        cpu_update_mode(cpu);
        return;
    }
    cpu->gdtr = (DescTable){ A_GDT, 0xfff };
    cpu->idtr = (DescTable){ A_IDT, lm ? 0xfff : 0x7ff };
    cpu->cr0 = CR0_PE | CR0_ET | CR0_NE;
    cpu->cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
    seg_cache_from_desc(&cpu->tr, S_TSS, gdt_entry(m, S_TSS));
    seg_cache_from_desc(&cpu->ldtr, S_LDT, gdt_entry(m, S_LDT));
    if (lm || (paging & 3) == 1 || (paging & 3) == 2) {
        int kind = lm ? 3 : (paging & 3);
        build_paging(m->ram, kind);
        cpu->cr0 |= CR0_PG | CR0_WP;
        cpu->cr3 = kind == 2 ? A_PDPT : A_PML4;
        cpu->cr4 |= kind == 1 ? CR4_PSE : CR4_PAE;
    }
    cpu->star = ((uint64_t)(S_UCODE32 | 3) << 48) | ((uint64_t)S_CODE32 << 32);
    cpu->lstar = A_PM_HANDLERS + 0x40;
    cpu->cstar = A_PM_HANDLERS + 0x40;
    cpu->sfmask = FL_TF | FL_DF;
    cpu->sysenter_cs = S_CODE32;
    cpu->sysenter_esp = A_STACK0;
    cpu->sysenter_eip = A_PM_HANDLERS + 0x50;
    if (lm) {
        cpu->efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
        cpu->star = ((uint64_t)(S_UCODE32 | 3) << 48) | ((uint64_t)S_CODE32 << 32);
    }
    int cpl = user ? 3 : 0;
    uint16_t cs, ds = user ? S_UDATA | 3 : S_DATA;
    switch (mode) {
    case FZ_PM16_CPL0: cs = S_CODE16; break;
    case FZ_PM16_CPL3: cs = S_UCODE16 | 3; break;
    case FZ_PM32_CPL0: cs = S_CODE32; break;
    case FZ_LONG_CPL0: cs = S_CODE64; break;
    case FZ_LONG_CPL3: cs = S_UCODE64 | 3; break;
    default: cs = S_UCODE32 | 3; break;   /* PM32 CPL3, compat CPL3 */
    }
    if (mode == FZ_V86) {
        cpu_set_eflags(cpu, eflags | FL_VM);
        for (int s = 0; s < 6; s++)
            seg_set_real_full(cpu, s, s == SEG_CS ? (uint16_t)(FZ_CODE_ADDR >> 4) : s == SEG_SS ? 0x3000 : 0x2000);
        cpu->rip = 0;
        cpu->gpr[R_SP] = 0x8000;
    } else {
        cpu_set_eflags(cpu, eflags);
        load_seg(m, SEG_CS, cs);
        for (int s = 0; s < 6; s++)
            if (s != SEG_CS)
                load_seg(m, s, ds);
        if (mode == FZ_PM16_CPL0)
            load_seg(m, SEG_SS, S_STACK16);
        bool cs16 = mode == FZ_PM16_CPL0 || mode == FZ_PM16_CPL3;
        cpu->rip = cs16 ? 0 : FZ_CODE_ADDR;
        cpu->gpr[R_SP] = mode == FZ_PM16_CPL0 ? 0x8000 : A_STACK;
    }
    cpu->cpl = cpl;
    cpu_update_mode(cpu);
}

/* ---- running ---- */

static const char *check_sanity(const Cpu *cpu)
{
    if (cpu->cpl < 0 || cpu->cpl > 3)
        return "CPL out of range";
    if (cpu->code_bits != 16 && cpu->code_bits != 32 && cpu->code_bits != 64)
        return "code size not 16/32/64";
    /* No 16-bit bound: a far transfer with a 32-bit offset into a 16-bit segment whose limit
     * allows it (e.g. a 64-bit code descriptor outside IA-32e mode: L ignored, D = 0) leaves
     * EIP above 0xffff, as on hardware. */
    if (cpu->code_bits == 32 && cpu->rip > 0xffffffffu)
        return "32-bit code with RIP above 4 GiB";
    if (cpu_vm86(cpu) && cpu->cpl != 3)
        return "virtual-8086 mode not at CPL 3";
    if (cpu_real_mode(cpu) && cpu->cpl != 0)
        return "real mode not at CPL 0";
    return NULL;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t state_hash(const FzMachine *m)
{
    const Cpu *cpu = m->cpu;
    uint32_t fl = cpu_get_eflags(cpu);
    uint64_t h = fnv(0xcbf29ce484222325ull, cpu->gpr, sizeof(cpu->gpr));
    h = fnv(h, &cpu->rip, sizeof(cpu->rip));
    h = fnv(h, &fl, sizeof(fl));
    h = fnv(h, &cpu->cpl, sizeof(cpu->cpl));
    return fnv(h, m->ram, FZ_RAM_SIZE);
}

FzResult fz_run_case(const uint8_t *data, size_t len, uint64_t budget)
{
    return fz_run_case_tier(data, len, budget, -1);
}

FzResult fz_run_case_tier(const uint8_t *data, size_t len, uint64_t budget, int64_t jit_threshold)
{
    FzResult res = { 0 };
    FzMachine *m = calloc(1, sizeof(*m));
    if (!m) {
        res.error = "out of memory";
        return res;
    }
    m->ram = calloc(1, FZ_RAM_SIZE);
    m->bus = (CpuBus){ fz_phys_ptr, fz_phys_read, fz_phys_write, fz_io_in, fz_io_out,
                       fz_intr_ack, fz_intr_pending, NULL, NULL };
    io_init(&m->io);
    m->debugcon = debugcon_new(&m->io, 0xe9, NULL);
    CpuConfig cfg = { .rng_seed = 1, .tsc_per_insn = 1 };
    m->cpu = m->ram ? cpu_new(&m->bus, m, &cfg) : NULL;
    if (m->cpu) {
        clock_init(&m->clock, &m->cpu->icount);
        m->uart = uart_new(&m->io, 0x3f8, (IrqLine){ 0 }, &m->clock, NULL);
    }
    if (m->cpu && jit_threshold >= 0)
        m->cpu->jit = jit_new((uint32_t)jit_threshold, FZ_JIT_BUFFER);
    if (!m->cpu || !m->uart || !m->debugcon || (jit_threshold >= 0 && !m->cpu->jit)) {
        res.error = "out of memory";
        goto out;
    }
    Cpu *cpu = m->cpu;
    FzMode mode = (FzMode)((len ? data[0] : 0) % FZ_MODES);
    int opts = len > 1 ? data[1] : 0;
    uint64_t tweak_seed = get_le(data, len, 2, 8);
    uint32_t eflags = (uint32_t)get_le(data, len, 10, 4);

    build_handlers(m->ram);
    build_tables(m->ram, mode >= FZ_LONG_CPL0);
    size_t code_len = len > FZ_HDR ? len - FZ_HDR : 0;
    if (code_len > FZ_CODE_MAX)
        code_len = FZ_CODE_MAX;
    if (code_len)
        memcpy(m->ram + FZ_CODE_ADDR, data + FZ_HDR, code_len);
    cpu_reset(cpu);
    enter_mode(m, mode, opts & 3, eflags);
    if (tweak_seed)
        tweak(m->ram, tweak_seed);
    for (int r = 0; r < 16; r++)
        if (r != R_SP || get_le(data, len, 14 + 8 * (size_t)r, 8) != 0)
            cpu->gpr[r] = get_le(data, len, 14 + 8 * (size_t)r, 8);
    if (cpu->code_bits != 64)
        for (int r = 0; r < 16; r++)
            if (r != R_SP)
                cpu->gpr[r] &= 0xffffffffu;
    cpu_flush_tlb(cpu, true);
    block_flush_all(cpu);

    /* Run in slices; a HLT is resumed (RIP is already past it), so the whole budget is used. */
    uint64_t start = cpu->icount, end = start + budget;
    int guard = 0;
    while (cpu->icount < end && !res.error) {
        uint64_t before = cpu->icount;
        uint64_t limit = cpu->icount + 257 < end ? cpu->icount + 257 : end;
        CpuExit why = cpu_run(cpu, limit);
        res.error = check_sanity(cpu);
        if (why == CPU_EXIT_TRIPLE_FAULT) {
            res.triple_fault = 1;
            break;
        }
        if (why == CPU_EXIT_HALT) {
            res.halts++;
            cpu->halted = false;
            if (++guard > 4096)
                break;
            continue;
        }
        if (why == CPU_EXIT_STOP)
            cpu->stop_request = false;
        if (cpu->icount <= before && !res.error)
            res.error = "cpu_run returned without progress, halt or triple fault";
    }
    res.icount = cpu->icount - start;
    res.state_hash = state_hash(m);
out:
    if (m->cpu)
        cpu_free(m->cpu);
    free(m->uart);
    free(m->debugcon);
    free(m->ram);
    free(m);
    return res;
}
