/*
 * emu.c — the softvisor side of the differential harness.
 *
 * The core runs on a fake machine: a small flat RAM behind the CpuBus ops table (no devices; port
 * reads return all ones).  One Emu per mode (diff.h); the CPU is put directly into that mode at
 * CPL 3 (SDM vol. 3, 9.8.5 "Initializing IA-32e mode" and 9.9 "Mode switching" for the registers
 * involved), CR0 = PE|ET|NE|WP|PG always, and the linear pages of diff.h are mapped onto RAM with
 * P|RW|US entries:
 *   MODE_LONG64      CR4 = PAE, EFER = LME|LMA, CR3 -> 4-level tables; CS = 0x33 (64-bit code,
 *                    L=1, DPL 3), as Linux's user code segment;
 *   MODE_COMPAT32    the same, CS = 0x23 (32-bit code: L=0, D=1, DPL 3), compatibility mode;
 *   MODE_PROT32      CR4 = 0, EFER = 0, CR3 -> 2-level tables (4-byte entries, 4 KiB pages);
 *                    CS = 32-bit code, DPL 3;
 *   MODE_PROT32_PAE  CR4 = PAE, EFER = 0, CR3 -> PDPT (PDPTE 0 = P only: RW/US are reserved
 *                    there, SDM vol. 3, 4.4.1) -> PD -> PT with 8-byte entries; CS as above;
 *   CR4.OSFXSR|OSXMMEXCPT in every mode (SSE enabled, as Linux runs its processes);
 *   SS = DS = ES = FS = GS = 0x2b (flat 4 GiB data, DPL 3) in every mode, set again for every
 *   case (32-bit cases load DS, ES and SS); RFLAGS = the case's flags | IF.
 * The GDT holds what a Linux x86-64 process finds at the selectors the cases use: 0x23 32-bit
 * code, 0x2b data, 0x33 64-bit code (all flat, DPL 3, accessed), zero descriptors below (Linux
 * has its kernel segments there, DPL 0: both refuse a load from CPL 3 with #GP); the generator
 * uses no selector above.  It sits in the code region's last page (host: unused).  The driver
 * adds the host's entry 15, Linux's per-CPU segment (selector 0x7b, read with LAR/LSL:
 * emu_set_gdt_entry), with entries 7-14 zero: a case can still load 0x79/0x7b by accident, when
 * one of its stores overwrites the far pointer an LES reads (seed 4242, 32-bit case 883741).
 * Its limit is the CPU the harness started on; the host's changes when the process migrates, which
 * no case can see: none runs LSL, and an expand-down limit of a few units only refuses offsets that
 * small, far below every address a case uses.
 *
 * Running: instead of delivering exceptions through an IDT, the harness steps the decoded blocks
 * itself (block_find + each Insn's handler, the same contract cpu_run follows, exec.c) with its own
 * fault_jmp, so a fault is seen at the point it is raised: vector and the faulting RIP with the
 * state before the instruction.  It stops when RIP reaches the end of the sequence.
 *
 * Software interrupts are delivered, not raised: the IDT limit is 0, so INT n, INT3 and INTO
 * (when OF = 1) raise #GP(vector * 8 + 2) at the IDT check (SDM vol. 3, 6.12.1).  For #BP and #OF
 * the harness reports what a Linux process sees instead (both gates have DPL 3 there, and they
 * are traps): the vector, with RIP after the instruction.
 * With the JIT (emu_enable_jit, diff_test --jit T) each block goes to jit_exec first, as in
 * cpu_run.  Translated code runs whole blocks and cannot stop at the end of the sequence, so the
 * sequence is followed by a HLT instead of UD2: at CPL 3 it raises #GP before doing anything,
 * with RIP at the end of the sequence, which ends the run like reaching that RIP.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/seg.h"
#include "cpu/x87.h"
#include "diff.h"
#include "jit/jit.h"

#define RAM_SIZE   0x40000u
#define PT_PML4    0x1000u
#define PT_PDPT    0x2000u
#define PT_PD      0x3000u
#define PT_CODE    0x4000u
#define PT_DATA    0x5000u
#define PT_PD2     0x6000u    /* 2-level page directory (MODE_PROT32) */
#define PT_LOW     0x7000u    /* page table of LOW_BASE (4- or 8-byte entries per mode) */
#define PHYS_CODE  0x10000u   /* CODE_BASE .. + CODE_SIZE */
#define PHYS_DATA  0x20000u   /* DATA_BASE .. + DATA_SIZE */
#define PHYS_LOW   0x28000u   /* LOW_BASE .. + LOW_SIZE */
#define GDT_OFF    0xf000u    /* the GDT, in the code region: linear CODE_BASE + GDT_OFF */
#define STEP_MAX   100000

#define JIT_BUFFER (1u << 20)

struct Emu {
    DiffMode mode;
    Cpu *cpu;
    uint8_t *ram;
    CpuBus bus;
    bool hlt_end;          /* the sequence ends in a HLT (emu_enable_jit) */
};

static uint8_t *fake_phys_ptr(void *opaque, uint64_t paddr, bool *writable)
{
    Emu *e = opaque;
    *writable = true;
    return paddr < RAM_SIZE ? e->ram + (paddr & ~0xfffull) : NULL;
}

static uint64_t fake_phys_read(void *opaque, uint64_t paddr, int size)
{
    (void)opaque; (void)paddr;
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static void fake_phys_write(void *opaque, uint64_t paddr, int size, uint64_t val)
{
    (void)opaque; (void)paddr; (void)size; (void)val;
}

static uint32_t fake_io_in(void *opaque, uint16_t port, int size)
{
    (void)opaque; (void)port;
    return size == 4 ? ~0u : (1u << (size * 8)) - 1;
}

static void fake_io_out(void *opaque, uint16_t port, int size, uint32_t val)
{
    (void)opaque; (void)port; (void)size; (void)val;
}

static bool fake_intr_ack(void *opaque, uint8_t *vector)
{
    (void)opaque; (void)vector;
    return false;
}

static bool fake_intr_pending(void *opaque)
{
    (void)opaque;
    return false;
}

static void put64(uint8_t *ram, uint32_t pa, uint64_t v) { memcpy(ram + pa, &v, 8); }
static void put32(uint8_t *ram, uint32_t pa, uint32_t v) { memcpy(ram + pa, &v, 4); }

/* 4-level and PAE tables: [PML4[0] ->] PDPT[0] -> PD[lin 29:21] -> PT[lin 20:12] for the code,
 * data and low regions (all below 1 GiB).  Returns the CR3 value. */
static uint32_t emu_map_8byte(Emu *e, bool four_level)
{
    const uint64_t u = 7;   /* present, writable, user */
    put64(e->ram, PT_PML4, PT_PDPT | u);
    put64(e->ram, PT_PDPT, PT_PD | (four_level ? u : 1));
    put64(e->ram, PT_PD + 8 * ((CODE_BASE >> 21) & 511), PT_CODE | u);
    put64(e->ram, PT_PD + 8 * ((DATA_BASE >> 21) & 511), PT_DATA | u);
    for (uint32_t off = 0; off < CODE_SIZE; off += 0x1000)
        put64(e->ram, PT_CODE + 8 * (((CODE_BASE + off) >> 12) & 511), (PHYS_CODE + off) | u);
    for (uint32_t off = 0; off < DATA_SIZE; off += 0x1000)
        put64(e->ram, PT_DATA + 8 * (((DATA_BASE + off) >> 12) & 511), (PHYS_DATA + off) | u);
    put64(e->ram, PT_PD + 8 * ((LOW_BASE >> 21) & 511), PT_LOW | u);
    for (uint32_t off = 0; off < LOW_SIZE; off += 0x1000)
        put64(e->ram, PT_LOW + 8 * (((LOW_BASE + off) >> 12) & 511), (PHYS_LOW + off) | u);
    return four_level ? PT_PML4 : PT_PDPT;
}

/* 2-level tables: PD[lin 31:22] -> PT[lin 21:12].  Returns the CR3 value. */
static uint32_t emu_map_4byte(Emu *e)
{
    const uint32_t u = 7;
    put32(e->ram, PT_PD2 + 4 * (CODE_BASE >> 22), PT_CODE | u);
    put32(e->ram, PT_PD2 + 4 * (DATA_BASE >> 22), PT_DATA | u);
    for (uint32_t off = 0; off < CODE_SIZE; off += 0x1000)
        put32(e->ram, PT_CODE + 4 * (((CODE_BASE + off) >> 12) & 1023), (PHYS_CODE + off) | u);
    for (uint32_t off = 0; off < DATA_SIZE; off += 0x1000)
        put32(e->ram, PT_DATA + 4 * (((DATA_BASE + off) >> 12) & 1023), (PHYS_DATA + off) | u);
    put32(e->ram, PT_PD2 + 4 * (LOW_BASE >> 22), PT_LOW | u);
    for (uint32_t off = 0; off < LOW_SIZE; off += 0x1000)
        put32(e->ram, PT_LOW + 4 * (((LOW_BASE + off) >> 12) & 1023), (PHYS_LOW + off) | u);
    return PT_PD2;
}

/* Linux's user segments, GDT entries 4..6: 0x23, 0x2b, 0x33. */
static const uint64_t gdt_user[3] = {
    0x00cffb000000ffffull, 0x00cff3000000ffffull, 0x00affb000000ffffull,
};

/* CS for the mode, the data segment registers 0x2b. */
static void emu_segs(Emu *e)
{
    Cpu *cpu = e->cpu;
    if (e->mode == MODE_LONG64)
        seg_cache_from_desc(&cpu->seg[SEG_CS], 0x33, gdt_user[2]);
    else
        seg_cache_from_desc(&cpu->seg[SEG_CS], 0x23, gdt_user[0]);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            seg_cache_from_desc(&cpu->seg[s], 0x2b, gdt_user[1]);
}

Emu *emu_new(DiffMode mode)
{
    Emu *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->ram = calloc(1, RAM_SIZE);
    e->bus = (CpuBus){ fake_phys_ptr, fake_phys_read, fake_phys_write, fake_io_in, fake_io_out,
                       fake_intr_ack, fake_intr_pending, NULL, NULL };
    CpuConfig cfg = { .rng_seed = 1, .tsc_per_insn = 1 };
    e->cpu = e->ram ? cpu_new(&e->bus, e, &cfg) : NULL;
    if (!e->cpu) {
        free(e->ram);
        free(e);
        return NULL;
    }
    Cpu *cpu = e->cpu;
    bool lm = mode == MODE_LONG64 || mode == MODE_COMPAT32;
    cpu->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    cpu->cr4 = (mode == MODE_PROT32 ? 0 : CR4_PAE) | CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpu->efer = lm ? EFER_LME | EFER_LMA : 0;
    cpu->cr3 = mode == MODE_PROT32 ? emu_map_4byte(e) : emu_map_8byte(e, lm);
    e->mode = mode;
    for (int i = 4; i <= 6; i++)
        put64(e->ram, PHYS_CODE + GDT_OFF + 8 * (uint32_t)i, gdt_user[i - 4]);
    cpu->gdtr = (DescTable){ CODE_BASE + GDT_OFF, 7 * 8 - 1 };
    emu_segs(e);
    cpu->cpl = 3;
    cpu->idtr.limit = 0;
    cpu_update_mode(cpu);
    cpu_flush_tlb(cpu, true);
    if (cpu->code_bits != (mode == MODE_LONG64 ? 64 : 32)) {
        emu_free(e);
        return NULL;
    }
    return e;
}

void emu_free(Emu *e)
{
    if (!e)
        return;
    cpu_free(e->cpu);
    free(e->ram);
    free(e);
}

void emu_set_gdt_entry(Emu *e, unsigned index, uint64_t desc)
{
    assert(index >= 7 && index < 16);   /* above the user segments, inside the GDT's 128 bytes */
    put64(e->ram, PHYS_CODE + GDT_OFF + 8 * index, desc);
    if (e->cpu->gdtr.limit < 8 * index + 7)
        e->cpu->gdtr.limit = (uint16_t)(8 * index + 7);
}

bool emu_enable_jit(Emu *e, uint32_t threshold)
{
    e->cpu->jit = jit_new(threshold, JIT_BUFFER);
    e->hlt_end = true;
    return e->cpu->jit != NULL;
}

/* Runs from cpu->rip until it equals `end`; returns the vector of a fault, -1 at the end, -2 when
 * the step limit was hit.  `hlt_end`: the #GP of the HLT at `end` is the end (see the header). */
static int emu_step_to(Cpu *cpu, uint64_t end, bool hlt_end)
{
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    volatile int steps = 0;
    const Insn *volatile cur = NULL;
    const Block *volatile jb_block = NULL;   /* the block translated code was entered at, and where */
    volatile uint64_t jb_rip = 0;
    int result = -1;
    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        result = cpu->exc_vector;
        cpu->exc_vector = -1;
        cpu->fault_jmp = saved;
        uint32_t soft = cpu->exc_error >> 3;
        if (result == EXC_GP && (cpu->exc_error & 7) == 2 && (soft == EXC_BP || soft == EXC_OF)) {
            /* The length of the INT3/INT n/INTO at RIP: the interpreted record, or for translated
             * code the record found by walking the block from where it was entered. */
            uint8_t len = 0;
            if (cur) {
                len = cur->len;
            } else if (jb_block) {
                uint64_t at = jb_rip;
                for (uint32_t i = 0; i < jb_block->n && !len; i++) {
                    if (at == cpu->rip)
                        len = jb_block->insns[i].len;
                    at += jb_block->insns[i].len;
                }
            }
            if (len) {
                result = (int)soft;
                cpu->rip += len;
                if (cpu->code_bits != 64)
                    cpu->rip = (uint32_t)cpu->rip;
            }
        }
        if (hlt_end && result == EXC_GP && cpu->rip == end)
            result = -1;
        return result;
    }
    while (cpu->rip != end) {
        if (steps > STEP_MAX) {
            result = -2;
            break;
        }
        Block *b = block_find(cpu);
        cpu->exit_block = false;
        if (cpu->jit) {
            uint64_t before = cpu->icount;
            cur = NULL;
            jb_block = b;
            jb_rip = cpu->rip;
            int x = jit_exec(cpu, b, (uint64_t)(STEP_MAX + 1 - steps));
            if (x >= 0 && x != JIT_EXIT_BUDGET) {
                steps = steps + (int)(cpu->icount - before);
                if (x != JIT_EXIT_JUMP && cpu->code_bits != 64)
                    cpu->rip = (uint32_t)cpu->rip;
                continue;
            }
        }
        jb_block = NULL;
        for (uint32_t i = 0; i < b->n && cpu->rip != end; i++) {
            const Insn *in = &b->insns[i];
            cur = in;
            int st = in->fn(cpu, in);
            cpu->icount++;
            steps = steps + 1;
            if (st == INSN_JUMP)
                break;
            cpu->rip += in->len;
            if (cpu->code_bits != 64)
                cpu->rip = (uint32_t)cpu->rip;
            if (st != INSN_NEXT || cpu->exit_block)
                break;
        }
    }
    cpu->fault_jmp = saved;
    return result;
}

void emu_load(Emu *e, const DiffCase *c)
{
    Cpu *cpu = e->cpu;
    uint8_t *code = e->ram + PHYS_CODE + (SEQ_ADDR - CODE_BASE);
    memcpy(code, c->code, c->len);
    for (int i = c->len; i + 1 < SEQ_MAX + 16; i += 2) {   /* UD2 padding ends decoding */
        code[i] = 0x0f;
        code[i + 1] = 0x0b;
    }
    if (e->hlt_end)
        code[c->len] = 0xf4;
    if (cpu->jit) {
        /* Not a guest store: it must not count towards the JIT's self-modifying-code policy. */
        block_flush_all(cpu);
    } else {
        block_invalidate_page(cpu, PHYS_CODE + (SEQ_ADDR - CODE_BASE));
        block_invalidate_page(cpu, PHYS_CODE + (SEQ_ADDR - CODE_BASE) + 0x1000);
    }
    memcpy(e->ram + PHYS_DATA, c->data, DATA_SIZE);
    memcpy(e->ram + PHYS_LOW, c->data + DATA_SIZE, LOW_SIZE);
    memcpy(cpu->gpr, c->in.gpr, sizeof(cpu->gpr));
    memcpy(cpu->xmm, c->in.xmm, sizeof(c->in.xmm));
    for (int i = 0; i < 8; i++)     /* as the native prologue's FXRSTOR64 loads them */
        cpu->fpu.regs[i] = (Fp80){ c->in.mm[i], c->in.fse[i] };
    cpu->fpu.cw = c->in.fcw;
    cpu->fpu.sw = c->in.fsw;
    cpu->fpu.tw = x87_expand_tw(&cpu->fpu, c->in.ftw);
    cpu->mxcsr = c->in.mxcsr;
    cpu->rip = SEQ_ADDR;
    emu_segs(e);
    cpu_set_eflags(cpu, (uint32_t)c->in.flags | FL_IF);
    cpu->exit_block = false;
    cpu->halted = false;
}

void emu_store(Emu *e, DiffState *out, uint8_t *data_out)
{
    Cpu *cpu = e->cpu;
    memcpy(out->gpr, cpu->gpr, sizeof(out->gpr));
    out->rip = cpu->rip;
    out->flags = cpu_get_eflags(cpu);
    memcpy(out->xmm, cpu->xmm, sizeof(out->xmm));
    for (int i = 0; i < 8; i++) {
        out->mm[i] = cpu->fpu.regs[i].mant;
        out->fse[i] = cpu->fpu.regs[i].se;
    }
    out->fcw = cpu->fpu.cw;
    out->fsw = cpu->fpu.sw;
    out->ftw = x87_abridged_tw(&cpu->fpu);
    out->mxcsr = cpu->mxcsr;
    memcpy(data_out, e->ram + PHYS_DATA, DATA_SIZE);
    memcpy(data_out + DATA_SIZE, e->ram + PHYS_LOW, LOW_SIZE);
}

Cpu *emu_cpu(Emu *e) { return e->cpu; }

const uint8_t *emu_ram(const Emu *e, size_t *size)
{
    *size = RAM_SIZE;
    return e->ram;
}

bool emu_run(Emu *e, const DiffCase *c, DiffState *out, uint8_t *data_out)
{
    emu_load(e, c);
    int v = emu_step_to(e->cpu, SEQ_ADDR + (uint64_t)c->len, e->hlt_end);
    emu_store(e, out, data_out);
    out->vector = v;
    return v != -2;
}
