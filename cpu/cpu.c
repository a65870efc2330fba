/*
 * cpu.c — creating and resetting a CPU, and the mode bookkeeping derived from CR0/EFER/CS.
 *
 * Reset state: SDM vol. 3, 9.1.1, table 9-1 (power-up): CS = F000 with base FFFF0000, EIP = FFF0,
 * CR0 = 60000010, EFLAGS = 2, EDX = processor signature, other segments base 0 limit FFFF.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/dbreg.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/seg.h"

Cpu *cpu_new(const CpuBus *bus, void *opaque, const CpuConfig *config)
{
    Cpu *cpu = calloc(1, sizeof(*cpu));
    if (!cpu)
        return NULL;
    cpu->bus = bus;
    cpu->bus_opaque = opaque;
    cpu->config = *config;
    cpu->blocks = block_cache_new();
    if (!cpu->blocks) {
        free(cpu);
        return NULL;
    }
    cpu_reset(cpu);
    return cpu;
}

void cpu_free(Cpu *cpu)
{
    if (!cpu)
        return;
    block_cache_free(cpu->blocks);
    free(cpu);
}

void cpu_reset(Cpu *cpu)
{
    memset(cpu->gpr, 0, sizeof(cpu->gpr));
    cpu->gpr[R_DX] = CPUID_SIGNATURE;
    cpu->cc_op = CC_OP_EFLAGS;
    cpu->eflags = FL_FIXED1;
    cpu->cr0 = CR0_ET | CR0_CD | CR0_NW;
    cpu->cr2 = cpu->cr3 = cpu->cr4 = cpu->cr8 = 0;
    cpu->efer = 0;
    cpu->a20_mask = ~0ull;
    memset(cpu->dr, 0, sizeof(cpu->dr));
    cpu->dr[6] = 0xffff0ff0;
    cpu->dr[7] = 0x400;
    cpu->cpl = 0;
    for (int s = 0; s < 6; s++)
        seg_set_real_full(cpu, s, 0);
    /* CS: selector F000, base FFFF0000, so the first fetch is at FFFFFFF0. */
    seg_set_real_full(cpu, SEG_CS, 0xf000);
    cpu->seg[SEG_CS].base = 0xffff0000;
    cpu->seg[SEG_CS].attr = 0x9b;   /* present, code, readable, accessed */
    seg_cache_update(&cpu->seg[SEG_CS]);
    cpu->rip = 0xfff0;
    cpu->gdtr = (DescTable){ 0, 0xffff };
    cpu->idtr = (DescTable){ 0, 0xffff };
    memset(&cpu->ldtr, 0, sizeof(cpu->ldtr));
    cpu->ldtr.limit = 0xffff;
    cpu->ldtr.attr = 0x82;
    memset(&cpu->tr, 0, sizeof(cpu->tr));
    cpu->tr.limit = 0xffff;
    cpu->tr.attr = 0x8b;
    cpu->star = cpu->lstar = cpu->cstar = cpu->sfmask = cpu->kernel_gs_base = 0;
    cpu->sysenter_cs = cpu->sysenter_esp = cpu->sysenter_eip = 0;
    cpu->apic_base = 0xfee00000 | (1u << 11) | (1u << 8);   /* enabled, BSP */
    cpu->pat = 0x0007040600070406ull;
    cpu->tsc_offset = 0;
    cpu->tsc_aux = 0;
    cpu->mtrr_def_type = 0;
    memset(cpu->mtrr_fixed, 0, sizeof(cpu->mtrr_fixed));
    memset(cpu->mtrr_var, 0, sizeof(cpu->mtrr_var));
    cpu->misc_enable = 1;   /* fast strings */
    /* x87 after RESET (SDM vol. 3, table 9-1): FCW 0040h, FSW 0, FTW all empty; FINIT later
     * sets FCW 037Fh.  MXCSR 1F80h, XCR0 = x87 only. */
    memset(&cpu->fpu, 0, sizeof(cpu->fpu));
    cpu->fpu.cw = 0x0040;
    cpu->fpu.tw = 0xffff;
    memset(cpu->xmm, 0, sizeof(cpu->xmm));
    cpu->mxcsr = 0x1f80;
    cpu->xcr0 = 1;
    cpu->rng_state = cpu->config.rng_seed ^ 0x5eed5eed5eed5eedull;
    cpu->halted = false;
    cpu->ferr = cpu->ignne = false;
    cpu->inhibit_irq = false;
    cpu->stop_request = false;
    cpu->exit_block = false;
    cpu->nmi_pending = false;
    cpu->nmi_blocked = false;
    cpu->inhibit_db = false;
    cpu->db_hit = 0;
    cpu->db_pending = 0;
    cpu->triple_fault = false;
    cpu->exc_vector = -1;
    cpu->last_exc.vector = -1;
    cpu_update_mode(cpu);
    cpu_flush_tlb(cpu, true);
    dbreg_update(cpu);
    block_flush_all(cpu);
}

void cpu_update_mode(Cpu *cpu)
{
    const SegCache *cs = &cpu->seg[SEG_CS];
    if ((cpu->efer & EFER_LMA) && (cs->attr & SEG_ATTR_L) && !cpu_vm86(cpu))
        cpu->code_bits = 64;
    else if ((cs->attr & SEG_ATTR_DB) && cpu_protected(cpu) && !cpu_vm86(cpu))
        cpu->code_bits = 32;
    else if ((cs->attr & SEG_ATTR_DB) && !cpu_protected(cpu))
        cpu->code_bits = 32;    /* real mode with a 32-bit CS cache ("big real" code) */
    else
        cpu->code_bits = 16;
    if (!cpu_protected(cpu)) {
        cpu->cpl = 0;
        /* Real mode does not check the type of CS: code may store through CS: (the reset state
         * is CS "present, R/W", SDM vol. 3 table 9-1), even when the cache holds a code
         * descriptor left from protected mode.  The limit still applies. */
        cpu->seg[SEG_CS].ok |= (1u << ACC_READ) | (1u << ACC_WRITE);
    }
    else if (cpu_vm86(cpu))
        cpu->cpl = 3;
    uint32_t bits = cpu->code_bits == 64 ? 2 : cpu->code_bits == 32 ? 1 : 0;
    uint32_t old = cpu->mode_key;
    cpu->mode_key = bits | (cpu_protected(cpu) ? 4u : 0) | (cpu_vm86(cpu) ? 8u : 0) |
                    (cpu_long_mode(cpu) ? 16u : 0);
    cpu->exit_block = true;
    if (cpu->trace_event && cpu->mode_key != old)
        cpu->trace_event(cpu->trace_opaque, cpu, CPU_TRACE_MODE, (int)old, 0, 0);
}

void cpu_flush_tlb(Cpu *cpu, bool include_global)
{
    tlb_flush(&cpu->tlb, include_global);
}
