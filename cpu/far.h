/*
 * far.h — helpers shared by the control-transfer code: far.c (far JMP/CALL/RET, IRET, INT n,
 * SYSCALL/SYSENTER), interrupt_pm.c (IDT delivery) and task.c (hardware task switches).
 *
 * FarStack is a stack that may not be loaded yet: a copy of the SS cache it will use, the stack
 * pointer, its width and the privilege of the accesses.  Pushes check the limit against that copy
 * and write memory but change no register, so a transfer can build its whole frame and commit
 * SS, RSP, CS and RIP only when nothing can fault any more.
 */
#ifndef SOFTVISOR_FAR_H
#define SOFTVISOR_FAR_H

#include "cpu/insn.h"
#include "cpu/seg.h"

typedef struct FarStack {
    SegCache ss;
    uint64_t sp;
    int width;        /* stack-pointer width in bytes: 2, 4 or 8 (64-bit mode) */
    int user;         /* 1: accesses at CPL 3 */
    uint32_t err;     /* error code of #SS when a push leaves the segment */
} FarStack;

/* The current stack (SS:RSP at the current privilege). */
static inline FarStack far_stack_current(const Cpu *cpu)
{
    return (FarStack){ cpu->seg[SEG_SS], cpu->gpr[R_SP], cpu_stack_size(cpu), cpu_user(cpu), 0 };
}

/* Linear address of `size` bytes at offset `sp`, with the #SS checks of that stack. */
static inline uint64_t far_stack_lin(Cpu *cpu, const FarStack *st, uint64_t sp, int size)
{
    if (st->width == 8) {
        if (!canonical(sp) || !canonical(sp + size - 1))
            cpu_raise(cpu, EXC_SS, st->err);
        return sp;
    }
    if (sp < st->ss.lo || sp + (uint64_t)(size - 1) > st->ss.hi || !(st->ss.ok & (1u << ACC_WRITE)))
        cpu_raise(cpu, EXC_SS, st->err);
    return (uint32_t)(st->ss.base + sp);
}

static inline void far_push(Cpu *cpu, FarStack *st, int size, uint64_t v)
{
    uint64_t sp = (st->sp - size) & size_mask(st->width);
    lin_write(cpu, far_stack_lin(cpu, st, sp, size), size, v, st->user);
    st->sp = sp;
}

/* Reads the current stack at RSP + `off` (pops are committed by the caller). */
static inline uint64_t far_peek(Cpu *cpu, uint64_t off, int size)
{
    return stack_read_at(cpu, cpu->gpr[R_SP] + off, size);
}

/* Writes the stack pointer of a (now loaded) stack with its width. */
static inline void far_set_sp(Cpu *cpu, int width, uint64_t sp)
{
    reg_write(cpu, R_SP, width, sp);
}

/* Stack of privilege level `dpl` from the current 16/32-bit TSS (SDM vol. 3, 7.2.1), checked
 * as a stack segment for that level: #TS(TR) when the TSS is too short, #TS(SS) for a bad
 * selector or descriptor, #SS(SS) when not present.  `ext` is the EXT bit of those codes. */
void task_inner_stack(Cpu *cpu, int dpl, uint32_t ext, SegDesc *ss, uint64_t *sp);
/* RSP0-2 (ist = 0) or ISTn from the 64-bit TSS (SDM vol. 3, 8.7). */
uint64_t task_stack64(Cpu *cpu, int dpl, int ist, uint32_t ext);

/* Builds a FarStack for a checked (not yet loaded) stack segment. */
FarStack far_stack_new(const SegDesc *ss, uint64_t sp, int cpl, uint32_t err);

/* Task switch sources (SDM vol. 3, 7.3). */
enum { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };

/* Switches to the task of TSS selector `sel` (from a JMP/CALL operand, a task gate or the back
 * link); `next_rip` is the EIP saved in the old task, `err` an error code to push on the new
 * task's stack (EXC_NO_ERR: none), `ext` the EXT bit for faults found before the commit point. */
void task_switch(Cpu *cpu, uint16_t sel, int source, uint64_t next_rip, uint32_t err, uint32_t ext);

#endif
