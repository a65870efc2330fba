/*
 * exec.c — the interpreter's run loop: blocks, interrupts, and the one fault path.
 *
 * cpu_run() repeatedly finds the block at CS:RIP and runs its Insn array by threaded dispatch
 * (each record carries its handler).  cpu->rip always holds the offset of the instruction being
 * executed and cpu->icount counts retired instructions, so when a handler calls cpu_raise() the
 * state is exactly "before the faulting instruction" and the longjmp lands here.
 *
 * Exception classes for double faults (SDM vol. 3, table 6-5):
 *   benign: everything else; contributory: #DE #TS #NP #SS #GP; page fault: #PF.
 *   contributory then contributory, or #PF then (contributory or #PF) -> #DF;
 *   any fault while delivering #DF -> shutdown (triple fault).
 *
 * XXX: single-step (#DB with TF) is taken after every instruction that began with TF set; the SDM
 * refinements (no trap into the handler of INT n, the trap delayed past a MOV SS / POP SS) are
 * not modelled.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "jit/jit.h"

_Noreturn void cpu_raise(Cpu *cpu, int vector, uint32_t err)
{
    cpu->exc_vector = vector;
    cpu->exc_error = err;
    longjmp(*cpu->fault_jmp, 1);
}

_Noreturn void cpu_freeze(Cpu *cpu)
{
    cpu->halted = true;
    cpu_raise(cpu, CPU_EXC_FREEZE, EXC_NO_ERR);
}

static bool contributory(int v)
{
    return v == EXC_DE || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP;
}

/* Exceptions that push an error code (SDM vol. 3, 6.13). */
static bool has_error_code(int v)
{
    return v == EXC_DF || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP || v == EXC_PF ||
           v == EXC_AC;
}

/* After a block that did not end in a jump: IP wraps at 64 KiB in 16-bit code, EIP at 4 GiB in
 * 32-bit code. */
static inline void rip_wrap(Cpu *cpu)
{
    if (cpu->code_bits != 64)
        cpu->rip = cpu->code_bits == 32 ? (uint32_t)cpu->rip : (uint16_t)cpu->rip;
}

/* Runs instructions of one block, at most `max`.  Faults leave through cpu_raise(). */
static inline void run_block(Cpu *cpu, const Block *b, uint64_t max)
{
    const Insn *in = b->insns;
    const Insn *end = in + (b->n < max ? b->n : max);
    do {
        uint8_t len = in->len;    /* a store may free this block (self-modifying code) */
        int st = in->fn(cpu, in);
        cpu->icount++;
        if (st == INSN_JUMP)
            return;
        cpu->rip += len;
        if (unlikely(st != INSN_NEXT || cpu->exit_block))
            break;
    } while (++in < end);
    rip_wrap(cpu);
}

/* With -jit on: the JIT runs the block when it has code for it (jit/jit.h), with the same effect
 * as run_block; otherwise the interpreter does.  Kept out of line, off the interpreter's path. */
static __attribute__((noinline)) void run_block_jit(Cpu *cpu, Block *b, uint64_t max)
{
    int exit = jit_exec(cpu, b, max);
    if (exit < 0 || exit == JIT_EXIT_BUDGET)
        run_block(cpu, b, max);
    else if (exit != JIT_EXIT_JUMP)
        rip_wrap(cpu);
}

/* Delivers the exception recorded by cpu_raise(), escalating to #DF or shutdown. */
static bool handle_fault(Cpu *cpu, volatile int *first)
{
    int v = cpu->exc_vector;
    uint32_t err = cpu->exc_error;
    cpu->exc_vector = -1;
    cpu->exit_block = false;
    if (v == CPU_EXC_FREEZE)
        return true;
    if (*first >= 0) {
        if (*first == EXC_DF) {
            cpu->triple_fault = true;
            return false;
        }
        if ((contributory(*first) && contributory(v)) || (*first == EXC_PF && (contributory(v) || v == EXC_PF))) {
            v = EXC_DF;
            err = 0;
        }
    }
    *first = v;
    if (!has_error_code(v))
        err = EXC_NO_ERR;
    cpu_deliver(cpu, v, err, 0, cpu->rip);
    *first = -1;
    return true;
}

static bool irq_window(const Cpu *cpu)
{
    return (cpu->eflags & FL_IF) && !cpu->inhibit_irq;
}

CpuExit cpu_run(Cpu *cpu, uint64_t limit)
{
    jmp_buf jb;
    jmp_buf *saved = cpu->fault_jmp;
    volatile int first_exc = -1;     /* exception being delivered, for #DF escalation */
    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        /* handle_fault records the exception in first_exc before delivering it, so a fault
         * during delivery longjmps back here and escalates to #DF. */
        bool ok = handle_fault(cpu, &first_exc);
        if (!ok) {
            cpu->fault_jmp = saved;
            return CPU_EXIT_TRIPLE_FAULT;
        }
        /* A delivered fault counts against the budget like a retired instruction, so a guest
         * whose handler faults again (e.g. #UD at an IVT target) cannot spin here forever
         * with the virtual clock stopped. */
        cpu->icount++;
    }
    /* A fault during delivery longjmps here with first_exc still set. */
    CpuExit why = CPU_EXIT_BUDGET;
    while (cpu->icount < limit) {
        if (unlikely(cpu->stop_request)) {
            why = CPU_EXIT_STOP;
            break;
        }
        if (cpu->nmi_pending && !cpu->inhibit_irq) {
            cpu->nmi_pending = false;
            cpu->halted = false;
            first_exc = EXC_NMI;
            cpu_deliver(cpu, EXC_NMI, EXC_NO_ERR, 0, cpu->rip);
            first_exc = -1;
        }
        if (irq_window(cpu) && cpu->bus->intr_pending(cpu->bus_opaque)) {
            uint8_t vec;
            if (cpu->bus->intr_ack(cpu->bus_opaque, &vec)) {
                cpu->halted = false;
                first_exc = vec;
                cpu_deliver(cpu, vec, EXC_NO_ERR, 0, cpu->rip);
                first_exc = -1;
            }
        }
        if (cpu->halted) {
            why = CPU_EXIT_HALT;
            break;
        }
        uint64_t max = limit - cpu->icount;
        bool shadow = cpu->inhibit_irq;
        bool single = shadow || (cpu->eflags & FL_TF);
        if (single)
            max = 1;
        cpu->inhibit_irq = false;
        bool tf = cpu->eflags & FL_TF;
        Block *b = block_find(cpu);
        if (unlikely(cpu->trace_block != NULL))
            cpu->trace_block(cpu->trace_opaque, cpu, b);
        cpu->exit_block = false;
        if (unlikely(cpu->jit != NULL) && !single)
            run_block_jit(cpu, b, max);
        else
            run_block(cpu, b, max);
        if (tf && single) {
            /* Single-step trap after the instruction (SDM vol. 3, 17.3.1.4): DR6.BS. */
            cpu->dr[6] |= 1u << 14;
            first_exc = EXC_DB;
            cpu_deliver(cpu, EXC_DB, EXC_NO_ERR, 0, cpu->rip);
            first_exc = -1;
        }
    }
    cpu->fault_jmp = saved;
    return why;
}
