/*
 * msr.c — RDMSR / WRMSR and the model-specific registers softvisor provides
 * (SDM vol. 2, RDMSR/WRMSR; vol. 4, chapter 2 "Model-specific registers"; vol. 3, 11.11 MTRRs,
 * 11.12 PAT).
 *
 * RDMSR: EDX:EAX := MSR[ECX].  WRMSR: MSR[ECX] := EDX:EAX.  Both are privileged: #GP(0) at CPL > 0
 * (protected and virtual-8086 mode); allowed in real mode.  An MSR that does not exist, a write to
 * a read-only MSR, or a value with reserved bits set -> #GP(0), and nothing changes.
 *
 * The MSRs are one table (msr_table): index range, where the value lives in Cpu (or a constant),
 * and which write check applies:
 *   IA32_TSC (10h)            read: the virtual TSC; write: sets tsc_offset so that TSC = value.
 *   IA32_PLATFORM_ID (17h)    0, read-only.
 *   IA32_APIC_BASE (1Bh)      bits 8 BSP (read-only), 11 enable, 12..39 base; others reserved.
 *                             A write is passed on to the local APIC (Cpu.apic->base_write);
 *                             moving the page flushes the TLB.
 *   IA32_TSC_DEADLINE (6E0h)  the local APIC's (Cpu.apic); #GP without a local
 *                             APIC or while IA32_APIC_BASE.EN = 0.
 *   IA32_FEATURE_CONTROL (3Ah) 1 = locked with VMX off, read-only (no VMX/SMX reported).
 *   IA32_BIOS_SIGN_ID (8Bh)   microcode revision 0; writes (the "trigger" protocol) ignored.
 *   IA32_MTRRCAP (FEh)        VCNT = 8, FIX = 1, WC = 1 (0x508), read-only.
 *   IA32_ARCH_CAPABILITIES (10Ah)  read-only: the "not affected" bits (msr.h: RDCL_NO, MDS_NO,
 *                             TAA_NO, the MMIO stale-data ones, GDS_NO ...).  True of an emulator
 *                             that does not execute the guest speculatively: no Meltdown, L1TF,
 *                             MDS, TAA or speculative store bypass to mitigate.  Linux then boots without
 *                             page-table isolation (every kernel entry a CR3 write that flushes
 *                             the TLB and the jump cache), as it does under QEMU's default CPU,
 *                             an AMD model that Linux knows to be unaffected.  No IBRS_ALL (bit 1):
 *                             there is no IA32_SPEC_CTRL.
 *   SYSENTER_CS/ESP/EIP       stored; ESP/EIP must be canonical.
 *   IA32_MCG_CAP (179h)       0 (no banks), read-only.  IA32_MCG_STATUS (17Ah) 0, only 0 writable.
 *   IA32_MISC_ENABLE (1A0h)   stored as written.
 *   MTRR_PHYSBASEn/MASKn      base: type in bits 0..7 (valid type), 8..11 and >= MAXPHYADDR reserved;
 *                             mask: bits 0..10 and >= MAXPHYADDR reserved.
 *   MTRR_FIX*                 every byte a valid memory type (0 UC, 1 WC, 4 WT, 5 WP, 6 WB).
 *   IA32_PAT (277h)           every byte a valid PAT type (also 7 UC-), upper five bits zero.
 *   MTRR_DEF_TYPE (2FFh)      bits 0..7 type, 10 FE, 11 E; others reserved.
 *   EFER (C0000080h)          SCE, LME, NXE writable; LMA read-only (the written bit is ignored);
 *                             others reserved; changing LME while CR0.PG = 1 -> #GP(0).
 *   STAR; LSTAR, CSTAR canonical; SFMASK bits 63..32 reserved.
 *   FS_BASE, GS_BASE          the FS/GS descriptor-cache bases; KERNEL_GS_BASE; all canonical.
 *   TSC_AUX (C0000103h)       bits 63..32 reserved.
 *
 *   IA32_PMC0-1 (C1h), IA32_PERFEVTSEL0-1 (186h), IA32_FIXED_CTR0-2 (309h), FIXED_CTR_CTRL (38Dh),
 *   PERF_GLOBAL_STATUS (38Eh, read-only), PERF_GLOBAL_CTRL (38Fh), PERF_GLOBAL_OVF_CTRL (390h):
 *                             architectural performance monitoring version 2 (SDM vol. 3, 20.2.1
 *                             and 20.2.2) with 2 general-purpose and 3 fixed 48-bit counters.
 *                             A write to a PMC takes bits 31..0 sign-extended (no full-width
 *                             writes); PERFEVTSEL bits 63..32 reserved; FIXED_CTR_CTRL bits 0..11;
 *                             GLOBAL_CTRL bits 0-1 and 32-34; OVF_CTRL the same bits plus 62-63.
 *   OFFCORE_RSP_0/1 (1A6h), LBR_SELECT (1C8h, bits 0..8), LBR_TOS (1C9h, read-only 0),
 *   IA32_DEBUGCTL (1D9h: LBR, BTF, TR, BTS, BTINT, BTS_OFF_OS/USR, FREEZE_LBRS_ON_PMI,
 *   FREEZE_PERFMON_ON_PMI, FREEZE_WHILE_SMM), LASTBRANCH_0-15_FROM_IP (680h) / _TO_IP (6C0h):
 *                             the Ivy Bridge last-branch-record and off-core-response MSRs that
 *                             Linux's PMU driver programs for this model.
 * RDPMC: EDX:EAX := counter ECX (ECX[30] = 1: fixed counter ECX[29:0]); #GP(0) for a bad index,
 * or at CPL > 0 in protected mode unless CR4.PCE = 1.
 *
 * XXX: the MTRRs and PAT are stored and validated only; memory types have no effect on an
 * emulator.  The performance counters are stored and read back but never count (and so never
 * overflow), and no branch is ever recorded in the LBRs: Linux finds the PMU this CPU model has.
 * Machine-check banks and thermal MSRs are absent (#GP).
 */
#include <stddef.h>

#include "cpu/access.h"
#include "cpu/decode.h"
#include "cpu/msr.h"
#include "mem/paging.h"

/* How a write is checked. */
typedef enum MsrKind {
    MSR_K_ANY,        /* any value */
    MSR_K_RO,         /* read-only: writes #GP */
    MSR_K_IGNORE,     /* writes accepted and dropped */
    MSR_K_ZERO,       /* only 0 may be written (nothing stored) */
    MSR_K_CANON,      /* canonical address */
    MSR_K_LOW32,      /* bits 63..32 reserved */
    MSR_K_MTRR_VAR,   /* PHYSBASE (even index) / PHYSMASK (odd) */
    MSR_K_MTRR_FIX,
    MSR_K_PAT,
    MSR_K_DEF_TYPE,
    MSR_K_APIC_BASE,
    MSR_K_EFER,
    MSR_K_TSC,
    MSR_K_TSC_DEADLINE,
    MSR_K_PMC,        /* bits 31..0 sign-extended to the counter width */
    MSR_K_MASK,       /* `value` holds the writable bits; others reserved */
} MsrKind;

#define MSR_CONST 0xffffu   /* `field` value: no storage, reads return `value` */

typedef struct MsrDesc {
    uint32_t index;
    uint16_t count;     /* consecutive MSRs, each 8 bytes further in Cpu */
    uint16_t field;     /* offsetof(Cpu, ...) or MSR_CONST */
    uint8_t kind;
    uint64_t value;     /* reads of MSR_CONST entries */
} MsrDesc;

#define F(member) ((uint16_t)offsetof(Cpu, member))

static const MsrDesc msr_table[] = {
    { MSR_IA32_TSC, 1, MSR_CONST, MSR_K_TSC, 0 },
    { MSR_IA32_PLATFORM_ID, 1, MSR_CONST, MSR_K_RO, 0 },
    { MSR_IA32_APIC_BASE, 1, F(apic_base), MSR_K_APIC_BASE, 0 },
    { MSR_IA32_FEATURE_CONTROL, 1, MSR_CONST, MSR_K_RO, 1 },
    { MSR_IA32_BIOS_SIGN_ID, 1, MSR_CONST, MSR_K_IGNORE, 0 },
    { MSR_IA32_MTRRCAP, 1, MSR_CONST, MSR_K_RO, 0x500 | MSR_MTRR_VAR_COUNT },
    { MSR_IA32_ARCH_CAPABILITIES, 1, MSR_CONST, MSR_K_RO, MSR_ARCH_CAP_VALUE },
    { MSR_IA32_SYSENTER_CS, 1, F(sysenter_cs), MSR_K_LOW32, 0 },
    { MSR_IA32_SYSENTER_ESP, 1, F(sysenter_esp), MSR_K_CANON, 0 },
    { MSR_IA32_SYSENTER_EIP, 1, F(sysenter_eip), MSR_K_CANON, 0 },
    { MSR_IA32_MCG_CAP, 1, MSR_CONST, MSR_K_RO, 0 },
    { MSR_IA32_MCG_STATUS, 1, MSR_CONST, MSR_K_ZERO, 0 },
    { MSR_IA32_MISC_ENABLE, 1, F(misc_enable), MSR_K_ANY, 0 },
    { MSR_IA32_PMC0, MSR_PMC_COUNT, F(pmc), MSR_K_PMC, 0 },
    { MSR_IA32_PERFEVTSEL0, MSR_PMC_COUNT, F(perfevtsel), MSR_K_MASK, 0xffffffffull },
    { MSR_IA32_FIXED_CTR0, MSR_FIXED_CTR_COUNT, F(fixed_ctr), MSR_K_PMC, 0 },
    { MSR_IA32_FIXED_CTR_CTRL, 1, F(fixed_ctr_ctrl), MSR_K_MASK, 0xfff },
    { MSR_IA32_PERF_GLOBAL_STATUS, 1, MSR_CONST, MSR_K_RO, 0 },
    { MSR_OFFCORE_RSP_0, 2, F(offcore_rsp), MSR_K_MASK, 0x3f807f8fffull },
    { MSR_LBR_SELECT, 1, F(lbr_select), MSR_K_MASK, 0x1ff },
    { MSR_LBR_TOS, 1, F(lbr_tos), MSR_K_RO, 0 },
    { MSR_IA32_DEBUGCTL, 1, F(debugctl), MSR_K_MASK, 0x7fc3 },
    { MSR_LBR_FROM0, MSR_LBR_COUNT, F(lbr_from), MSR_K_ANY, 0 },
    { MSR_LBR_TO0, MSR_LBR_COUNT, F(lbr_to), MSR_K_ANY, 0 },
    { MSR_IA32_PERF_GLOBAL_CTRL, 1, F(perf_global_ctrl), MSR_K_MASK, 0x700000003ull },
    { MSR_IA32_PERF_GLOBAL_OVF_CTRL, 1, MSR_CONST, MSR_K_MASK, 0xc000000700000003ull },
    { MSR_IA32_MTRR_PHYSBASE0, 2 * MSR_MTRR_VAR_COUNT, F(mtrr_var), MSR_K_MTRR_VAR, 0 },
    { MSR_IA32_MTRR_FIX64K_00000, 1, F(mtrr_fixed[0]), MSR_K_MTRR_FIX, 0 },
    { MSR_IA32_MTRR_FIX16K_80000, 2, F(mtrr_fixed[1]), MSR_K_MTRR_FIX, 0 },
    { MSR_IA32_MTRR_FIX4K_C0000, 8, F(mtrr_fixed[3]), MSR_K_MTRR_FIX, 0 },
    { MSR_IA32_PAT, 1, F(pat), MSR_K_PAT, 0 },
    { MSR_IA32_TSC_DEADLINE, 1, MSR_CONST, MSR_K_TSC_DEADLINE, 0 },
    { MSR_IA32_MTRR_DEF_TYPE, 1, F(mtrr_def_type), MSR_K_DEF_TYPE, 0 },
    { MSR_EFER, 1, F(efer), MSR_K_EFER, 0 },
    { MSR_STAR, 1, F(star), MSR_K_ANY, 0 },
    { MSR_LSTAR, 1, F(lstar), MSR_K_CANON, 0 },
    { MSR_CSTAR, 1, F(cstar), MSR_K_CANON, 0 },
    { MSR_SFMASK, 1, F(sfmask), MSR_K_LOW32, 0 },
    { MSR_FS_BASE, 1, F(seg[SEG_FS].base), MSR_K_CANON, 0 },
    { MSR_GS_BASE, 1, F(seg[SEG_GS].base), MSR_K_CANON, 0 },
    { MSR_KERNEL_GS_BASE, 1, F(kernel_gs_base), MSR_K_CANON, 0 },
    { MSR_TSC_AUX, 1, F(tsc_aux), MSR_K_LOW32, 0 },
};

#undef F

_Static_assert(MSR_PMC_COUNT <= sizeof(((Cpu *)0)->pmc) / sizeof(uint64_t) &&
               MSR_FIXED_CTR_COUNT <= sizeof(((Cpu *)0)->fixed_ctr) / sizeof(uint64_t), "counter storage");
_Static_assert(MSR_LBR_COUNT <= sizeof(((Cpu *)0)->lbr_from) / sizeof(uint64_t), "LBR storage");
_Static_assert(2 * MSR_MTRR_VAR_COUNT <= sizeof(((Cpu *)0)->mtrr_var) / sizeof(uint64_t),
               "variable MTRR storage");

static const MsrDesc *msr_find(uint32_t index, uint32_t *slot)
{
    for (size_t i = 0; i < sizeof(msr_table) / sizeof(msr_table[0]); i++) {
        const MsrDesc *m = &msr_table[i];
        if (index >= m->index && index - m->index < m->count) {
            *slot = index - m->index;
            return m;
        }
    }
    return NULL;
}

static uint64_t *msr_field(Cpu *cpu, const MsrDesc *m, uint32_t slot)
{
    return (uint64_t *)((char *)cpu + m->field) + slot;
}

/* Bits at or above MAXPHYADDR. */
static const uint64_t phys_reserved = ~0ull << PAGING_PHYS_BITS;

/* MTRR memory types (SDM vol. 3, table 11-8): UC, WC, WT, WP, WB. */
static bool mtrr_type_valid(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool mtrr_fixed_valid(uint64_t v)
{
    for (int i = 0; i < 8; i++)
        if (!mtrr_type_valid((v >> (8 * i)) & 0xff))
            return false;
    return true;
}

/* PAT entries (SDM vol. 3, table 11-10): the MTRR types plus 7 (UC-); bits 3..7 of each reserved. */
static bool pat_valid(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        uint64_t t = (v >> (8 * i)) & 0xff;
        if (!mtrr_type_valid(t) && t != 7)
            return false;
    }
    return true;
}

/* IA32_TSC_DEADLINE exists with a local APIC that is enabled in IA32_APIC_BASE. */
static bool tsc_deadline_present(const Cpu *cpu)
{
    return cpu->apic && (cpu->apic_base & (1u << 11));
}

/* IA32_APIC_BASE: store, tell the local APIC, and drop translations of the old and new page. */
static void apic_base_write(Cpu *cpu, uint64_t v)
{
    uint64_t old = cpu->apic_base;
    cpu->apic_base = v;
    if (cpu->apic)
        cpu->apic->base_write(cpu->apic_opaque, v);
    if ((old ^ v) & ~0xfffull)
        cpu_flush_tlb(cpu, true);
}

bool msr_read(Cpu *cpu, uint32_t index, uint64_t *val)
{
    uint32_t slot;
    const MsrDesc *m = msr_find(index, &slot);
    if (!m)
        return false;
    if (m->kind == MSR_K_TSC_DEADLINE && !tsc_deadline_present(cpu))
        return false;
    if (m->kind == MSR_K_TSC)
        *val = msr_tsc(cpu);
    else if (m->kind == MSR_K_TSC_DEADLINE)
        *val = cpu->apic->tsc_deadline_read(cpu->apic_opaque);
    else if (m->field == MSR_CONST)
        *val = m->value;
    else
        *val = *msr_field(cpu, m, slot);
    return true;
}

/* EFER (SDM vol. 3, 2.2.1 and 9.8.5): LME may change only while paging is off. */
static bool efer_write(Cpu *cpu, uint64_t v)
{
    const uint64_t writable = EFER_SCE | EFER_LME | EFER_NXE;
    if (v & ~(writable | EFER_LMA))
        return false;
    if (((v ^ cpu->efer) & EFER_LME) && (cpu->cr0 & CR0_PG))
        return false;
    uint64_t nv = (v & writable) | (cpu->efer & EFER_LMA);
    bool nx_changed = ((nv ^ cpu->efer) & EFER_NXE) != 0;
    cpu->efer = nv;
    if (nx_changed)
        cpu_flush_tlb(cpu, true);   /* cached translations were made with the old NX rule */
    cpu_update_mode(cpu);
    return true;
}

bool msr_write(Cpu *cpu, uint32_t index, uint64_t v)
{
    uint32_t slot;
    const MsrDesc *m = msr_find(index, &slot);
    if (!m)
        return false;
    switch ((MsrKind)m->kind) {
    case MSR_K_ANY:
        break;
    case MSR_K_RO:
        return false;
    case MSR_K_IGNORE:
        return true;
    case MSR_K_ZERO:
        return v == 0;
    case MSR_K_CANON:
        if (!canonical(v))
            return false;
        break;
    case MSR_K_LOW32:
        if (v >> 32)
            return false;
        break;
    case MSR_K_MTRR_VAR:
        if (slot % 2 == 0 ? (v & (phys_reserved | 0xf00)) || !mtrr_type_valid(v & 0xff)
                          : (v & (phys_reserved | 0x7ff)) != 0)
            return false;
        break;
    case MSR_K_MTRR_FIX:
        if (!mtrr_fixed_valid(v))
            return false;
        break;
    case MSR_K_PAT:
        if (!pat_valid(v))
            return false;
        break;
    case MSR_K_DEF_TYPE:
        if ((v & ~0xcffull) || !mtrr_type_valid(v & 0xff))
            return false;
        break;
    case MSR_K_APIC_BASE:
        /* XXX: x2APIC (bit 10) is not provided, so the bit is reserved. */
        if (v & (phys_reserved | 0x6ff))
            return false;
        v = (v & ~0x100ull) | (cpu->apic_base & 0x100);
        apic_base_write(cpu, v);
        return true;
    case MSR_K_EFER:
        return efer_write(cpu, v);
    case MSR_K_TSC:
        cpu->tsc_offset = v - cpu->icount * cpu->config.tsc_per_insn;
        return true;
    case MSR_K_TSC_DEADLINE:
        if (!tsc_deadline_present(cpu))
            return false;
        cpu->apic->tsc_deadline_write(cpu->apic_opaque, v);
        return true;
    case MSR_K_PMC:
        v = (uint64_t)(int64_t)(int32_t)v & ((1ull << MSR_PMC_BITS) - 1);
        break;
    case MSR_K_MASK:
        if (v & ~m->value)
            return false;
        if (m->field == MSR_CONST)
            return true;   /* write-only control (overflow clear): nothing to clear */
        break;
    }
    *msr_field(cpu, m, slot) = v;
    return true;
}

/* RDMSR: EDX:EAX := MSR[ECX] (upper halves of RAX/RDX cleared in 64-bit mode). */
static int op_rdmsr(Cpu *cpu, const Insn *in)
{
    (void)in;
    if (cpu_protected(cpu) && cpu->cpl > 0)
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t v;
    if (!msr_read(cpu, (uint32_t)cpu->gpr[R_CX], &v))
        cpu_raise(cpu, EXC_GP, 0);
    reg_write(cpu, R_AX, 4, (uint32_t)v);
    reg_write(cpu, R_DX, 4, v >> 32);
    return INSN_NEXT;
}

/* WRMSR: MSR[ECX] := EDX:EAX.  Ends the block: EFER changes the mode. */
static int op_wrmsr(Cpu *cpu, const Insn *in)
{
    (void)in;
    if (cpu_protected(cpu) && cpu->cpl > 0)
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t v = ((uint64_t)(uint32_t)cpu->gpr[R_DX] << 32) | (uint32_t)cpu->gpr[R_AX];
    if (!msr_write(cpu, (uint32_t)cpu->gpr[R_CX], v))
        cpu_raise(cpu, EXC_GP, 0);
    return INSN_END;
}

/* RDPMC: EDX:EAX := performance counter ECX. */
static int op_rdpmc(Cpu *cpu, const Insn *in)
{
    (void)in;
    if (cpu_protected(cpu) && cpu->cpl > 0 && !(cpu->cr4 & CR4_PCE))
        cpu_raise(cpu, EXC_GP, 0);
    uint32_t ecx = (uint32_t)cpu->gpr[R_CX], idx = ecx & 0x3fffffffu;
    uint64_t v;
    if ((ecx & 0x40000000u) && idx < MSR_FIXED_CTR_COUNT)
        v = cpu->fixed_ctr[idx];
    else if (!(ecx & 0xc0000000u) && idx < MSR_PMC_COUNT)
        v = cpu->pmc[idx];
    else
        cpu_raise(cpu, EXC_GP, 0);
    reg_write(cpu, R_AX, 4, (uint32_t)v);
    reg_write(cpu, R_DX, 4, v >> 32);
    return INSN_NEXT;
}

InsnFn msr_select(DecodeCtx *d, Insn *in)
{
    (void)in;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_RDMSR:
        return op_rdmsr;
    case ZYDIS_MNEMONIC_WRMSR:
        d->end_block = true;
        return op_wrmsr;
    case ZYDIS_MNEMONIC_RDPMC:
        return op_rdpmc;
    default:
        return NULL;
    }
}
