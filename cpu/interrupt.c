/*
 * interrupt.c — the entry point for every interrupt and exception, and real-mode delivery.
 *
 * Real-address mode (SDM vol. 2, INT n, "REAL-ADDRESS-MODE"): the IVT entry is 4 bytes at
 * IDTR.base + 4 * vector (#GP when it lies past IDTR.limit); push FLAGS, CS, IP (16 bits each);
 * clear IF, TF, AC; load CS:IP from the entry.  No error code is pushed in real mode.
 */
#include "cpu/interrupt.h"
#include "cpu/access.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/seg.h"

static void deliver_real(Cpu *cpu, int vector, uint64_t next_rip)
{
    uint32_t ent = (uint32_t)vector * 4;
    if (ent + 3 > cpu->idtr.limit)
        cpu_raise(cpu, EXC_GP, (uint32_t)vector * 8 + 2);
    uint32_t vec = (uint32_t)cpu_sys_read(cpu, (uint32_t)(cpu->idtr.base + ent), 4);
    uint64_t sp = cpu->gpr[R_SP];
    sp = stack_push_at(cpu, sp, 2, cpu_get_eflags(cpu));
    sp = stack_push_at(cpu, sp, 2, cpu->seg[SEG_CS].sel);
    sp = stack_push_at(cpu, sp, 2, next_rip);
    sp_set(cpu, sp);
    cc_materialize(cpu);
    cpu->eflags &= ~(FL_IF | FL_TF | FL_AC | FL_RF);
    seg_set_real(cpu, SEG_CS, (uint16_t)(vec >> 16));
    cpu->rip = vec & 0xffff;
    cpu_update_mode(cpu);
}

void cpu_deliver(Cpu *cpu, int vector, uint32_t err, int soft, uint64_t next_rip)
{
    if (cpu->trace_event)
        cpu->trace_event(cpu->trace_opaque, cpu, CPU_TRACE_INT, vector, err, soft);
    cpu->halted = false;
    if (!cpu_protected(cpu))
        deliver_real(cpu, vector, next_rip);
    else
        cpu_deliver_pm(cpu, vector, err, soft, next_rip);
    /* Data breakpoints met by the frame pushes of the delivery itself are not reported, nor
     * those of an instruction that faulted (cpu/dbreg.c). */
    cpu->db_hit = 0;
}
