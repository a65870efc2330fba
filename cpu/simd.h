/*
 * simd.h — helpers shared by the x87, MMX and SSE families: availability checks and wide memory
 * operands.
 *
 * Availability (SDM vol. 3, 13.1 and table 2-2; vol. 2 exception tables):
 *   x87 instruction:  CR0.EM or CR0.TS -> #NM.  (WAIT/FWAIT: #NM only when MP and TS.)
 *   MMX instruction:  CR0.EM -> #UD; CR0.TS -> #NM; a pending unmasked x87 exception -> #MF
 *                     (CR0.NE = 1; the FERR#/IRQ13 path of NE = 0 is not modelled).
 *   SSE instruction:  CR0.EM -> #UD; CR4.OSFXSR = 0 -> #UD; CR0.TS -> #NM.
 * A 16-byte memory operand of an instruction that requires alignment (MOVAPS, most packed
 * non-VEX SSE forms) raises #GP(0) when the effective address is not 16-byte aligned
 * (SDM vol. 1, 11.4.1); the check is on the linear address.
 */
#ifndef SOFTVISOR_SIMD_H
#define SOFTVISOR_SIMD_H

#include "cpu/insn.h"
#include "cpu/x87.h"

static inline void simd_check_x87(Cpu *cpu)
{
    if (cpu->cr0 & (CR0_EM | CR0_TS))
        cpu_raise(cpu, EXC_NM, EXC_NO_ERR);
}

static inline void simd_check_mmx(Cpu *cpu)
{
    if (cpu->cr0 & CR0_EM)
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
    if (cpu->cr0 & CR0_TS)
        cpu_raise(cpu, EXC_NM, EXC_NO_ERR);
    x87_check_pending(cpu);
}

static inline void simd_check_sse(Cpu *cpu)
{
    if ((cpu->cr0 & CR0_EM) || !(cpu->cr4 & CR4_OSFXSR))
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
    if (cpu->cr0 & CR0_TS)
        cpu_raise(cpu, EXC_NM, EXC_NO_ERR);
}

/* 16-byte memory operand at the instruction's effective address; `aligned` demands 16-byte
 * alignment (#GP(0)).  Both halves are checked (segment, paging) before anything is written. */
static inline void simd_read128(Cpu *cpu, const Insn *in, bool aligned, Xmm *out)
{
    uint64_t ea = insn_ea(cpu, in);
    uint64_t lin = cpu_lin(cpu, in->seg, ea, 16, ACC_READ);
    if (aligned && (lin & 15))
        cpu_raise(cpu, EXC_GP, 0);
    int user = cpu_user(cpu);
    out->q[0] = lin_read(cpu, lin, 8, user);
    out->q[1] = lin_read(cpu, lin + 8, 8, user);
}

static inline void simd_write128(Cpu *cpu, const Insn *in, bool aligned, const Xmm *v)
{
    uint64_t ea = insn_ea(cpu, in);
    uint64_t lin = cpu_lin(cpu, in->seg, ea, 16, ACC_WRITE);
    if (aligned && (lin & 15))
        cpu_raise(cpu, EXC_GP, 0);
    int user = cpu_user(cpu);
    /* Probe both halves for write access first so a fault on the second leaves memory as it was. */
    lin_read_w(cpu, lin + 8, 8, user);
    lin_write(cpu, lin, 8, v->q[0], user);
    lin_write(cpu, lin + 8, 8, v->q[1], user);
}

#endif
