/*
 * strop.h — what the string instructions (cpu/string.c) and string I/O (cpu/portio.c) share:
 * the element step from EFLAGS.DF (SDM vol. 1, 7.3.9) and whether a REP prefix is present.
 */
#ifndef SOFTVISOR_STROP_H
#define SOFTVISOR_STROP_H

#include "cpu/insn.h"

/* +size, or -size when DF = 1, as an address-size wrapping addend. */
static inline uint64_t string_delta(const Cpu *cpu, const Insn *in)
{
    return (cpu->eflags & FL_DF) ? (uint64_t)0 - (uint64_t)in->osz : (uint64_t)in->osz;
}

static inline bool string_rep(const Insn *in)
{
    return (in->flags & (INSN_REP | INSN_REPNE)) != 0;
}

#endif
