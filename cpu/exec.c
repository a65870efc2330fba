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
 * Fault-class exceptions push EFLAGS with RF = 1 (SDM vol. 3, 17.3.1.1), except the #DB of an
 * instruction breakpoint; so does an event taken between two iterations of a REP string
 * instruction (the string handlers leave RF = 1 when they return before the last iteration).
 *
 * Between instructions, in the order of SDM vol. 3, table 6-2: the debug trap of the previous
 * instruction (cpu->db_pending: single step, data breakpoints), NMI, maskable interrupts, then
 * the instruction breakpoints of the next instruction.  Blocks run at full speed unless one of
 * TF, RF, an interrupt shadow or an armed instruction breakpoint asks for one instruction at a
 * time (run_step):
 *   - Single step (SDM vol. 3, 17.3.1.4): a trap (DR6.BS) after each instruction that began with
 *     TF = 1.  INT n, INT3, INTO, INT1, SYSCALL and SYSRET decide on the EFLAGS they produce
 *     (Insn flag INSN_STEP_AFTER): no trap into the handler of a software interrupt or after a
 *     SYSCALL whose SFMASK clears TF; SYSRET loading TF = 1 traps at the user instruction, also
 *     when it began with TF = 0 (op_sysret then sets db_pending itself).  A REP string
 *     instruction under TF runs one iteration per step, each with its own trap.
 *   - MOV SS / POP SS (SDM vol. 3, 6.8.3): the pending debug trap waits until after the next
 *     instruction (cpu->inhibit_db), as interrupts do (cpu->inhibit_irq).
 *   - RF: the instruction-breakpoint check is skipped when RF = 1, and RF is cleared at the start
 *     of every instruction (after that check); IRET and task switches load it.
 *   - NMI (SDM vol. 3, 6.7.1): delivering one sets cpu->nmi_blocked until the next IRET (cleared
 *     at the start of every IRET, even one that faults); an NMI raised meanwhile stays latched in
 *     nmi_pending (one at most) and is taken right after that IRET.
 */
#include "cpu/dbreg.h"
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

/* After a block that did not end in a jump: EIP wraps at 4 GiB outside 64-bit code.  There is no
 * 64 KiB wrap in 16-bit code: sequential execution past FFFF faults on the next fetch (see
 * insn_next()). */
static inline void rip_wrap(Cpu *cpu)
{
    if (cpu->code_bits != 64)
        cpu->rip = (uint32_t)cpu->rip;
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
    uint64_t start = cpu->icount;
    int exit = jit_exec(cpu, b, max);
    if (exit == JIT_EXIT_BUDGET && cpu->icount != start) {
        /* Generated code went on from `b` to other blocks (jit.h section 6), and the last one
         * may not run there: the interpreter runs that one, with what is left of the budget. */
        max -= cpu->icount - start;
        b = block_find(cpu);
    }
    if (exit < 0 || exit == JIT_EXIT_BUDGET)
        run_block(cpu, b, max);
    else if (exit != JIT_EXIT_JUMP)
        rip_wrap(cpu);
}

/* Fault-class exceptions (SDM vol. 3, table 6-1).  The only #DB raised through cpu_raise() is the
 * DR7.GD fault: debug traps and instruction breakpoints are delivered by the run loop. */
static bool fault_class(int v)
{
    return v == EXC_DE || v == EXC_DB || v == EXC_BR || v == EXC_UD || v == EXC_NM || v == EXC_TS || v == EXC_NP ||
           v == EXC_SS || v == EXC_GP || v == EXC_PF || v == EXC_MF || v == EXC_AC || v == EXC_XM;
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
    /* The instruction did not complete: its data breakpoint hits and the debug trap still
     * waiting behind a MOV SS are not reported. */
    cpu->db_hit = 0;
    cpu->db_pending = 0;
    if (fault_class(v))
        cpu->eflags |= FL_RF;
    if (v == EXC_DB)
        cpu->dr[7] &= ~(uint64_t)DR7_GD;
    cpu->last_exc.vector = v;
    cpu->last_exc.error = err;
    cpu->last_exc.cs = cpu->seg[SEG_CS].sel;
    cpu->last_exc.rip = cpu->rip;
    cpu->last_exc.lin = cpu_code_lin(cpu, cpu->rip);
    cpu->last_exc.cr2 = cpu->cr2;
    cpu->last_exc.icount = cpu->icount;
    cpu->last_exc.code_bits = cpu->code_bits;
    cpu_deliver(cpu, v, err, 0, cpu->rip);
    *first = -1;
    return true;
}

static bool irq_window(const Cpu *cpu)
{
    return (cpu->eflags & FL_IF) && !cpu->inhibit_irq;
}

/* Delivers a #DB (SDM vol. 3, 17.2.3): B0-B3 of `dr6` replace the old ones when it has any, its
 * other bits are ORed in; DR7.GD is cleared so that the handler may use the debug registers. */
static void deliver_db(Cpu *cpu, volatile int *first, uint32_t dr6)
{
    uint64_t old = cpu->dr[6];
    if (dr6 & DR6_BMASK)
        old &= ~(uint64_t)DR6_BMASK;
    cpu->dr[6] = old | dr6;
    cpu->dr[7] &= ~(uint64_t)DR7_GD;
    *first = EXC_DB;
    cpu_deliver(cpu, EXC_DB, EXC_NO_ERR, 0, cpu->rip);
    *first = -1;
}

/* A host watchpoint was hit by the instruction that just retired: stop the run there. */
static void host_hit(Cpu *cpu)
{
    cpu->db_hit &= (uint8_t)~DBG_HOST;
    cpu->host_stop = true;
    cpu->stop_request = true;
}

/* One instruction with the debug checks of the header comment: its instruction breakpoints
 * (a fault: #DB with rIP at the instruction and RF = 0 in the pushed image), RF, the single-step
 * trap and data breakpoint hits, which become the pending debug trap. */
static void run_step(Cpu *cpu, volatile int *first)
{
    if ((cpu->dbg_insn_armed & DBG_HOST) && !cpu->host_skip &&
        cpu->host_dbg->insn_hit(cpu->host_dbg_opaque, cpu_code_lin(cpu, cpu->rip))) {
        cpu->host_stop = true;      /* before the instruction, and before its guest checks */
        cpu->stop_request = true;
        return;
    }
    cpu->host_skip = false;
    cpu->inhibit_irq = false;
    cpu->inhibit_db = false;
    if ((cpu->dbg_insn_armed & ~DBG_HOST) && !(cpu->eflags & FL_RF)) {
        uint32_t hit = dbreg_check_insn(cpu, cpu_code_lin(cpu, cpu->rip));
        if (hit) {
            deliver_db(cpu, first, hit);
            cpu->icount++;    /* as a fault does: a breakpoint on its own handler cannot hang */
            return;
        }
    }
    bool tf = cpu->eflags & FL_TF;
    cpu->eflags &= ~FL_RF;
    const Block *b = block_find(cpu);
    bool after = b->insns[0].flags & INSN_STEP_AFTER;   /* read first: a store may free b */
    if (unlikely(cpu->trace_block != NULL))
        cpu->trace_block(cpu->trace_opaque, cpu, b);
    cpu->exit_block = false;
    run_block(cpu, b, 1);
    if (after)
        tf = cpu->eflags & FL_TF;
    if (unlikely(cpu->db_hit & DBG_HOST))
        host_hit(cpu);
    cpu->db_pending |= (tf ? DR6_BS : 0) | cpu->db_hit;
    cpu->db_hit = 0;
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
        if (unlikely(cpu->db_pending) && !cpu->inhibit_db) {
            uint32_t dr6 = cpu->db_pending;
            cpu->db_pending = 0;
            deliver_db(cpu, &first_exc, dr6);
        }
        if (cpu->nmi_pending && !cpu->inhibit_irq && !cpu->nmi_blocked) {
            cpu->nmi_pending = false;
            cpu->nmi_blocked = true;
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
        if (unlikely(cpu->inhibit_irq || (cpu->eflags & (FL_TF | FL_RF)) || cpu->dbg_insn_armed)) {
            run_step(cpu, &first_exc);
            continue;
        }
        Block *b = block_find(cpu);
        if (unlikely(cpu->trace_block != NULL))
            cpu->trace_block(cpu->trace_opaque, cpu, b);
        cpu->exit_block = false;
        if (unlikely(cpu->jit != NULL))
            run_block_jit(cpu, b, limit - cpu->icount);
        else
            run_block(cpu, b, limit - cpu->icount);
        if (unlikely(cpu->db_hit)) {
            if (cpu->db_hit & DBG_HOST)
                host_hit(cpu);
            cpu->db_pending |= cpu->db_hit;
            cpu->db_hit = 0;
        }
    }
    cpu->fault_jmp = saved;
    return why;
}
