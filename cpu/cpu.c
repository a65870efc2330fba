/*
 * cpu.c — creating and resetting a CPU, and the mode bookkeeping derived from CR0/EFER/CS.
 *
 * Reset state: SDM vol. 3, 9.1.1, table 9-1 (power-up): CS = F000 with base FFFF0000, EIP = FFF0,
 * CR0 = 60000010, EFLAGS = 2, EDX = processor signature, other segments base 0 limit FFFF.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/dbreg.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/seg.h"
#include "jit/jit.h"
#include "vm/state.h"

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
    jit_free(cpu->jit);
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

/* ---- the state description (vm/state.h) ----
 * Everything guest-visible: registers, lazy flags, segment caches with their derived ranges,
 * descriptor tables, control/debug registers, every MSR field, x87/SSE/XSAVE state, and the
 * pending events, the TLB's translations.  mode_key and code_bits are derived (cpu_update_mode
 * after a load); the TLB's tags, the jump cache and the block cache are caches (rebuilt or
 * flushed after a load: vm_state_post_load). */

static const StateField seg_cache_fields[] = {
    STATE_U(SegCache, sel), STATE_U(SegCache, attr), STATE_U(SegCache, limit), STATE_U(SegCache, base),
    STATE_U(SegCache, lo), STATE_U(SegCache, hi), STATE_U(SegCache, ok),
};
static const StateDesc seg_cache_state_desc = {
    "segcache", 1, sizeof(SegCache), seg_cache_fields, STATE_COUNT(seg_cache_fields), NULL, 0, NULL,
};

static const StateField desc_table_fields[] = {
    STATE_U(DescTable, base), STATE_U(DescTable, limit),
};
static const StateDesc desc_table_state_desc = {
    "desctable", 1, sizeof(DescTable), desc_table_fields, STATE_COUNT(desc_table_fields), NULL, 0, NULL,
};

static const StateField fp80_fields[] = {
    STATE_U(Fp80, mant), STATE_U(Fp80, se),
};
static const StateDesc fp80_state_desc = {
    "fp80", 1, sizeof(Fp80), fp80_fields, STATE_COUNT(fp80_fields), NULL, 0, NULL,
};

static const StateField x87_fields[] = {
    STATE_S(X87State, regs, Fp80, fp80_state_desc),
    STATE_U(X87State, cw), STATE_U(X87State, sw), STATE_U(X87State, tw), STATE_U(X87State, fop),
    STATE_U(X87State, fcs), STATE_U(X87State, fds), STATE_U(X87State, fip), STATE_U(X87State, fdp),
};
static const StateDesc x87_state_desc = {
    "x87", 1, sizeof(X87State), x87_fields, STATE_COUNT(x87_fields), NULL, 0, NULL,
};

/* The TLB's translations are guest-visible (a guest can tell a stale entry from a fresh walk), so
 * they are state; the fast-path tags and host addends are rebuilt from them after a load
 * (tlb_rebuild, vm_state_post_load), the jump cache is dropped. */
static const StateField tlb_xlat_fields[] = {
    STATE_U(TlbXlat, lin), STATE_U(TlbXlat, paddr), STATE_U(TlbXlat, prot), STATE_U(TlbXlat, global),
    STATE_U(TlbXlat, shift),
};
static const StateDesc tlb_xlat_state_desc = {
    "tlb-xlat", 1, sizeof(TlbXlat), tlb_xlat_fields, STATE_COUNT(tlb_xlat_fields), NULL, 0, NULL,
};
static const StateField tlb_fields[] = {
    STATE_A(Tlb, lin), STATE_A(Tlb, prot), STATE_A(Tlb, paddr), STATE_A(Tlb, global), STATE_A(Tlb, shift),
    STATE_STRUCT_V(Tlb, victim, TlbXlat, tlb_xlat_state_desc, 4), STATE_ARRAY_V(Tlb, vnext, 4),
};
static const StateField tlb_host_fields[] = {
    STATE_HOST(Tlb, e), STATE_HOST(Tlb, jc), STATE_HOST(Tlb, jc_page),
    STATE_HOST(Tlb, large_shift),   /* derived: the largest shift > 12 of an entry */
};
static const StateDesc tlb_state_desc = {
    "tlb", 1, sizeof(Tlb), tlb_fields, STATE_COUNT(tlb_fields), tlb_host_fields, STATE_COUNT(tlb_host_fields), NULL,
};

static const StateField cpu_fields[] = {
    STATE_A(Cpu, gpr), STATE_U(Cpu, rip),
    STATE_U(Cpu, cc_op), STATE_U(Cpu, cc_dst), STATE_U(Cpu, cc_src), STATE_U(Cpu, cc_src2), STATE_U(Cpu, eflags),
    STATE_S(Cpu, seg, SegCache, seg_cache_state_desc), STATE_S(Cpu, ldtr, SegCache, seg_cache_state_desc),
    STATE_S(Cpu, tr, SegCache, seg_cache_state_desc),
    STATE_S(Cpu, gdtr, DescTable, desc_table_state_desc), STATE_S(Cpu, idtr, DescTable, desc_table_state_desc),
    STATE_U(Cpu, cr0), STATE_U(Cpu, cr2), STATE_U(Cpu, cr3), STATE_U(Cpu, cr4), STATE_U(Cpu, cr8),
    STATE_U(Cpu, a20_mask), STATE_U(Cpu, efer), STATE_A(Cpu, dr), STATE_U(Cpu, cpl),
    STATE_U(Cpu, star), STATE_U(Cpu, lstar), STATE_U(Cpu, cstar), STATE_U(Cpu, sfmask), STATE_U(Cpu, kernel_gs_base),
    STATE_U(Cpu, sysenter_cs), STATE_U(Cpu, sysenter_esp), STATE_U(Cpu, sysenter_eip),
    STATE_U(Cpu, apic_base), STATE_U(Cpu, pat), STATE_U(Cpu, tsc_offset), STATE_U(Cpu, tsc_aux),
    STATE_U(Cpu, mtrr_def_type), STATE_A(Cpu, mtrr_fixed), STATE_A(Cpu, mtrr_var), STATE_U(Cpu, misc_enable),
    STATE_A(Cpu, pmc), STATE_A(Cpu, perfevtsel), STATE_A(Cpu, fixed_ctr), STATE_U(Cpu, fixed_ctr_ctrl),
    STATE_U(Cpu, perf_global_ctrl), STATE_A(Cpu, offcore_rsp), STATE_U(Cpu, lbr_select), STATE_U(Cpu, lbr_tos),
    STATE_U(Cpu, debugctl), STATE_A(Cpu, lbr_from), STATE_A(Cpu, lbr_to),
    STATE_S(Cpu, fpu, X87State, x87_state_desc), STATE_BYTES_V(Cpu, xmm, 1), STATE_U(Cpu, mxcsr), STATE_U(Cpu, xcr0),
    STATE_U(Cpu, icount), STATE_U(Cpu, rng_state),
    STATE_B(Cpu, halted), STATE_B(Cpu, inhibit_irq), STATE_B(Cpu, nmi_pending), STATE_B(Cpu, ferr),
    STATE_B(Cpu, ignne), STATE_B(Cpu, triple_fault), STATE_U(Cpu, exc_vector), STATE_U(Cpu, exc_error),
    /* version 2: NMI blocking and the debug trap pending between instructions */
    STATE_BOOL_V(Cpu, nmi_blocked, 2), STATE_UINT_V(Cpu, db_pending, 2), STATE_BOOL_V(Cpu, inhibit_db, 2),
    /* version 3: the TLB's translations */
    STATE_STRUCT_V(Cpu, tlb, Tlb, tlb_state_desc, 3),
};

/* Not state: configuration fixed by the command line, derived values, caches, host pointers and
 * the run loop's own flags. */
static const StateField cpu_host_fields[] = {
    STATE_HOST(Cpu, config),        /* from the command line (-seed; TSC rate in the machine header) */
    STATE_HOST(Cpu, stop_request),  /* the run loop's request to leave cpu_run */
    STATE_HOST(Cpu, exit_block),    /* ends the current block; false between cpu_run calls */
    STATE_HOST(Cpu, fault_jmp),
    STATE_HOST(Cpu, mode_key),      /* derived: cpu_update_mode */
    STATE_HOST(Cpu, code_bits),     /* derived: cpu_update_mode */
    STATE_HOST(Cpu, blocks),        /* cache: flushed after a load */
    STATE_HOST(Cpu, bus), STATE_HOST(Cpu, bus_opaque), STATE_HOST(Cpu, apic), STATE_HOST(Cpu, apic_opaque),
    STATE_HOST(Cpu, trace_block), STATE_HOST(Cpu, trace_opaque),
    STATE_HOST(Cpu, dbg_insn_armed),   /* derived from DR7: dbreg_update after a load */
    STATE_HOST(Cpu, dbg_data_armed),   /* derived from DR7: dbreg_update after a load */
    STATE_HOST(Cpu, db_hit),        /* within one instruction only: 0 between instructions */
    STATE_HOST(Cpu, jit),           /* host code, translated from the decoded blocks */
    STATE_HOST(Cpu, cur_block),     /* the block running (decoded blocks are a cache) */
    STATE_HOST(Cpu, host_dbg), STATE_HOST(Cpu, host_dbg_opaque),   /* the host debugger (gdb stub) */
    STATE_HOST(Cpu, host_stop),     /* the host debugger's stop: cleared before the run goes on */
    STATE_HOST(Cpu, host_skip),     /* the host debugger's resume over its own breakpoint */
    STATE_HOST(Cpu, trace_event),   /* -d int */
    STATE_HOST(Cpu, last_exc),      /* the host's record for `explain fault` (debug/explain.c) */
};

static bool cpu_post_load(void *obj, char *err, size_t errlen)
{
    Cpu *cpu = obj;
    if (cpu->cpl < 0 || cpu->cpl > 3) {
        snprintf(err, errlen, "CPL %d", cpu->cpl);
        return false;
    }
    if ((cpu->cc_op >> 2) >= CC_OP_COUNT) {
        snprintf(err, errlen, "lazy-flags operation %u", cpu->cc_op);
        return false;
    }
    if (cpu->exc_vector < -1 || cpu->exc_vector > CPU_EXC_FREEZE) {
        snprintf(err, errlen, "pending exception vector %d", cpu->exc_vector);
        return false;
    }
    /* a TLB entry's or victim's pages index host memory once its addend is rebuilt */
    const Tlb *t = &cpu->tlb;
    for (int u = 0; u < 2; u++) {
        for (uint32_t i = 0; i < TLB_SIZE; i++) {
            TlbXlat x = { t->lin[u][i], t->paddr[u][i], t->prot[u][i], t->global[u][i], t->shift[u][i] };
            if (!tlb_xlat_valid(x)) {
                snprintf(err, errlen, "TLB entry %d/%u (linear %llx, physical %llx, permissions %u)", u, i,
                         (unsigned long long)x.lin, (unsigned long long)x.paddr, x.prot);
                return false;
            }
        }
        for (int v = 0; v < TLB_VICTIMS; v++) {
            TlbXlat x = t->victim[u][v];
            if (!tlb_xlat_valid(x)) {
                snprintf(err, errlen, "TLB victim %d/%d (linear %llx, physical %llx, permissions %u)", u, v,
                         (unsigned long long)x.lin, (unsigned long long)x.paddr, x.prot);
                return false;
            }
        }
        if (t->vnext[u] >= TLB_VICTIMS) {
            snprintf(err, errlen, "TLB victim slot %u", t->vnext[u]);
            return false;
        }
    }
    cpu->db_hit = 0;
    dbreg_update(cpu);
    return true;
}

const StateDesc cpu_state_desc = {
    "cpu", 4, sizeof(Cpu), cpu_fields, STATE_COUNT(cpu_fields), cpu_host_fields, STATE_COUNT(cpu_host_fields),
    cpu_post_load,
};
