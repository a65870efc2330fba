/*
 * flagops.c — instructions that move single flags (SDM vol. 2: CLC, STC, CMC, CLD, STD, LAHF,
 * SAHF) and the undocumented SALC (opcode D6).
 *
 *   CLC/STC/CMC  CF = 0 / 1 / !CF.          CLD/STD  DF = 0 / 1.
 *   LAHF  AH = SF:ZF:0:AF:0:PF:1:CF (EFLAGS bits 7..0).
 *   SAHF  SF ZF AF PF CF = AH bits 7, 6, 4, 2, 0; OF unchanged.
 *         LAHF/SAHF are valid in 64-bit mode (when CPUID.80000001H:ECX.LAHF-SAHF is reported).
 *   SALC  AL = CF ? FFh : 00h, flags unchanged; invalid in 64-bit mode (#UD).  Zydis decodes it
 *         outside 64-bit mode only.
 * CLI/STI (system) and PUSHF/POPF (stack) live elsewhere.  LOCK is #UD for all of these.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"

enum { FO_CLC, FO_STC, FO_CMC, FO_CLD, FO_STD };

static int op_flag(Cpu *cpu, const Insn *in)
{
    switch (in->sub) {
    case FO_CLC: cc_materialize(cpu); cpu->eflags &= ~FL_CF; break;
    case FO_STC: cc_materialize(cpu); cpu->eflags |= FL_CF; break;
    case FO_CMC: cc_materialize(cpu); cpu->eflags ^= FL_CF; break;
    case FO_CLD: cpu->eflags &= ~FL_DF; break;
    default: cpu->eflags |= FL_DF; break;
    }
    return INSN_NEXT;
}

#define LAHF_MASK (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)

static int op_lahf(Cpu *cpu, const Insn *in)
{
    (void)in;
    reg_write(cpu, REG_AH, 1, (cpu_get_eflags(cpu) & LAHF_MASK) | FL_FIXED1);
    return INSN_NEXT;
}

static int op_sahf(Cpu *cpu, const Insn *in)
{
    (void)in;
    cc_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~LAHF_MASK) | ((uint32_t)reg_read(cpu, REG_AH, 1) & LAHF_MASK);
    return INSN_NEXT;
}

static int op_salc(Cpu *cpu, const Insn *in)
{
    (void)in;
    reg_write(cpu, R_AX, 1, cc_cf(cpu) ? 0xff : 0);
    return INSN_NEXT;
}

InsnFn flagops_select(DecodeCtx *d, Insn *in)
{
    InsnFn fn = op_flag;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_CLC: in->sub = FO_CLC; break;
    case ZYDIS_MNEMONIC_STC: in->sub = FO_STC; break;
    case ZYDIS_MNEMONIC_CMC: in->sub = FO_CMC; break;
    case ZYDIS_MNEMONIC_CLD: in->sub = FO_CLD; break;
    case ZYDIS_MNEMONIC_STD: in->sub = FO_STD; break;
    case ZYDIS_MNEMONIC_LAHF: fn = op_lahf; break;
    case ZYDIS_MNEMONIC_SAHF: fn = op_sahf; break;
    case ZYDIS_MNEMONIC_SALC:
        if (d->cpu->code_bits == 64)
            return op_ud;
        fn = op_salc;
        break;
    default: return NULL;
    }
    return (in->flags & INSN_LOCK) ? op_ud : fn;
}
