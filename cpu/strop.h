/*
 * strop.h — what the string instructions (cpu/string.c) and string I/O (cpu/portio.c) share:
 * the element step from EFLAGS.DF (SDM vol. 1, 7.3.9), whether a REP prefix is present, and how
 * a REP instruction stops between iterations to let the run loop in.
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

/* Iterations per handler call: `n`, or one under TF, so that single step traps after every
 * iteration (SDM vol. 3, 17.3.1.4). */
static inline unsigned string_chunk(const Cpu *cpu, unsigned n)
{
    return (cpu->eflags & FL_TF) ? 1 : n;
}

/* The handler returns before the last iteration, rIP at the instruction: an event taken there
 * pushes RF = 1, and RF keeps an instruction breakpoint on it from firing again when it resumes
 * (SDM vol. 3, 17.3.1.1).  Returns INSN_JUMP. */
static inline int string_resume(Cpu *cpu)
{
    cpu->eflags |= FL_RF;
    return INSN_JUMP;
}

#endif
