/*
 * system.c — placeholder: system instructions are being written.  HLT for now.
 */
#include "cpu/decode.h"

/* HLT (SDM vol. 2): privileged (#GP(0) at CPL > 0 in protected mode). */
static int op_hlt(Cpu *cpu, const Insn *in)
{
    (void)in;
    if (cpu_protected(cpu) && cpu->cpl > 0)
        cpu_raise(cpu, EXC_GP, 0);
    cpu->halted = true;
    return INSN_END;
}

InsnFn system_select(DecodeCtx *d, Insn *in)
{
    (void)in;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_HLT:
        d->end_block = true;
        return op_hlt;
    default:
        return NULL;
    }
}
