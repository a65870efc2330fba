/*
 * fake_machine.c — see fake_machine.h.
 */
#include "tests/unit/fake_machine.h"

#include <assert.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/seg.h"

static uint8_t *fm_phys_ptr(void *opaque, uint64_t paddr, bool *writable)
{
    FakeMachine *fm = opaque;
    if (paddr >= FM_RAM_SIZE)
        return NULL;
    *writable = true;
    return fm->ram + (paddr & ~0xfffull);
}

static uint64_t fm_phys_read(void *opaque, uint64_t paddr, int size)
{
    (void)opaque; (void)paddr;
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static void fm_phys_write(void *opaque, uint64_t paddr, int size, uint64_t val)
{
    (void)opaque; (void)paddr; (void)size; (void)val;
}

static uint32_t fm_io_in(void *opaque, uint16_t port, int size)
{
    (void)opaque; (void)port;
    return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static void fm_io_out(void *opaque, uint16_t port, int size, uint32_t val)
{
    (void)opaque; (void)port; (void)size; (void)val;
}

static bool fm_intr_ack(void *opaque, uint8_t *vector)
{
    (void)opaque; (void)vector;
    return false;
}

static bool fm_intr_pending(void *opaque)
{
    (void)opaque;
    return false;
}

FakeMachine *fm_new(FmMode mode)
{
    FakeMachine *fm = calloc(1, sizeof(*fm));
    assert(fm);
    fm->ram = calloc(1, FM_RAM_SIZE);
    assert(fm->ram);
    fm->bus = (CpuBus){ fm_phys_ptr, fm_phys_read, fm_phys_write, fm_io_in, fm_io_out,
                        fm_intr_ack, fm_intr_pending, NULL, NULL };
    CpuConfig cfg = { .rng_seed = 1, .tsc_per_insn = 1 };
    fm->cpu = cpu_new(&fm->bus, fm, &cfg);
    assert(fm->cpu);
    fm_mode(fm, mode);
    return fm;
}

void fm_free(FakeMachine *fm)
{
    if (!fm)
        return;
    cpu_free(fm->cpu);
    free(fm->ram);
    free(fm);
}

/* A flat segment: base 0, given limit and attributes (descriptor bits 40..55). */
static void fm_seg(Cpu *cpu, int s, uint16_t sel, uint32_t limit, uint16_t attr)
{
    SegCache *c = &cpu->seg[s];
    c->sel = sel;
    c->base = 0;
    c->limit = limit;
    c->attr = attr;
    seg_cache_update(c);
}

void fm_mode(FakeMachine *fm, FmMode mode)
{
    Cpu *cpu = fm->cpu;
    cpu_reset(cpu);
    cpu->gpr[R_DX] = 0;
    switch (mode) {
    case FM_REAL16:
        for (int s = 0; s < 6; s++)
            seg_set_real_full(cpu, s, 0);
        break;
    case FM_PM16:
    case FM_PM32:
        cpu->cr0 |= CR0_PE;
        for (int s = 0; s < 6; s++) {
            if (s == SEG_CS)
                fm_seg(cpu, s, 0x08, mode == FM_PM32 ? 0xffffffffu : 0xffff,
                       mode == FM_PM32 ? 0xc09b : 0x009b);
            else
                fm_seg(cpu, s, 0x10, 0xffffffffu, 0xc093);
        }
        break;
    case FM_LONG64:
        cpu->cr0 |= CR0_PE;
        cpu->efer |= EFER_LME | EFER_LMA;
        for (int s = 0; s < 6; s++) {
            if (s == SEG_CS)
                fm_seg(cpu, s, 0x08, 0xffffffffu, 0xa09b);
            else
                fm_seg(cpu, s, 0x10, 0xffffffffu, 0xc093);
        }
        break;
    }
    cpu->cpl = 0;
    cpu->rip = FM_CODE;
    cpu->gpr[R_SP] = FM_STACK;
    cpu_update_mode(cpu);
    cpu_flush_tlb(cpu, true);
}

void fm_code(FakeMachine *fm, const uint8_t *bytes, size_t len)
{
    assert(FM_CODE + len + 1 <= FM_RAM_SIZE);
    memcpy(fm->ram + FM_CODE, bytes, len);
    fm->ram[FM_CODE + len] = 0xf4;   /* hlt */
    block_flush_all(fm->cpu);       /* the RAM was written behind the CPU's back */
    fm->cpu->halted = false;
    fm->cpu->rip = FM_CODE;
}

CpuExit fm_run(FakeMachine *fm, uint64_t n)
{
    CpuExit e = cpu_run(fm->cpu, fm->cpu->icount + n + 1);
    /* When the HLT is the last instruction of the budget, cpu_run reports the budget. */
    return fm->cpu->halted ? CPU_EXIT_HALT : e;
}

static int fm_step(FakeMachine *fm)
{
    Cpu *cpu = fm->cpu;
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    cpu->fault_jmp = &jb;
    cpu->exc_vector = -1;
    if (setjmp(jb)) {
        cpu->fault_jmp = saved;
        return cpu->exc_vector;
    }
    const Block *b = block_find(cpu);
    Insn in = b->insns[0];     /* a copy: the handler may invalidate its own block */
    cpu->exit_block = false;
    int st = in.fn(cpu, &in);
    cpu->icount++;
    if (st != INSN_JUMP) {
        cpu->rip += in.len;
        if (cpu->code_bits != 64)
            cpu->rip = cpu->code_bits == 32 ? (uint32_t)cpu->rip : (uint16_t)cpu->rip;
    }
    cpu->fault_jmp = saved;
    return -1;
}

int fm_exec(FakeMachine *fm, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        int v = fm_step(fm);
        if (v >= 0)
            return v;
    }
    return -1;
}

void fm_trap_vectors(FakeMachine *fm)
{
    for (uint32_t v = 0; v < 256; v++) {
        fm_poke(fm, v * 4, 2, FM_TRAP_BASE + v);
        fm_poke(fm, v * 4 + 2, 2, 0);
        fm->ram[FM_TRAP_BASE + v] = 0xf4;
    }
}

int fm_trapped(const FakeMachine *fm)
{
    const Cpu *cpu = fm->cpu;
    /* HLT has retired: IP is one past the HLT byte. */
    uint64_t ip = cpu->seg[SEG_CS].base + cpu->rip - 1;
    if (ip < FM_TRAP_BASE || ip >= FM_TRAP_BASE + 256)
        return -1;
    return (int)(ip - FM_TRAP_BASE);
}

uint64_t fm_peek(const FakeMachine *fm, uint32_t addr, int size)
{
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; i--)
        v = (v << 8) | fm->ram[(addr + (uint32_t)i) % FM_RAM_SIZE];
    return v;
}

void fm_poke(FakeMachine *fm, uint32_t addr, int size, uint64_t v)
{
    for (int i = 0; i < size; i++)
        fm->ram[(addr + (uint32_t)i) % FM_RAM_SIZE] = (uint8_t)(v >> (8 * i));
}

uint32_t fm_flags(const FakeMachine *fm)
{
    return cpu_get_eflags(fm->cpu) & FL_ARITH;
}

void fm_set_flags(FakeMachine *fm, uint32_t fl)
{
    cpu_set_eflags(fm->cpu, fl);
}

void fm_paging32(FakeMachine *fm, uint32_t pd)
{
    fm->cpu->cr3 = pd;
    fm->cpu->cr4 = CR4_PSE;
    fm->cpu->cr0 |= CR0_PG;
    cpu_flush_tlb(fm->cpu, true);
}
