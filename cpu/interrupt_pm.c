/*
 * interrupt_pm.c — placeholder for protected-mode delivery (being written).
 */
#include "cpu/interrupt.h"

void cpu_deliver_pm(Cpu *cpu, int vector, uint32_t err, int soft, uint64_t next_rip)
{
    (void)cpu; (void)vector; (void)err; (void)soft; (void)next_rip;
    cpu->triple_fault = true;
}
