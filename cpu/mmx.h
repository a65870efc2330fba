/*
 * mmx.h — the MMX register file as an alias of the x87 registers (SDM vol. 1, 9.5 and 9.5.1).
 *
 * MMi is the significand of physical x87 register i (cpu->fpu.regs[i].mant).  Every MMX
 * instruction except EMMS sets TOP = 0 and marks all eight registers valid (tag word 0); an MMX
 * write also sets the register's sign/exponent field to all ones (se = 0xFFFF).  EMMS sets the
 * tag word to FFFFH (all empty).
 */
#ifndef SOFTVISOR_MMX_H
#define SOFTVISOR_MMX_H

#include "cpu/simd.h"

/* The x87 side effects of an MMX instruction; call after every fault check, before writes. */
static inline void mmx_enter(Cpu *cpu)
{
    cpu->fpu.sw &= (uint16_t)~0x3800u;
    cpu->fpu.tw = 0;
}

static inline uint64_t mmx_read(const Cpu *cpu, int r) { return cpu->fpu.regs[r & 7].mant; }

static inline void mmx_write(Cpu *cpu, int r, uint64_t v)
{
    cpu->fpu.regs[r & 7].mant = v;
    cpu->fpu.regs[r & 7].se = 0xffff;
}

#endif
