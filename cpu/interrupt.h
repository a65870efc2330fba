/*
 * interrupt.h — delivering interrupts and exceptions (SDM vol. 3, chapter 6; vol. 2 INT n).
 */
#ifndef SOFTVISOR_INTERRUPT_H
#define SOFTVISOR_INTERRUPT_H

#include "cpu/cpu.h"

/* Protected-mode and long-mode delivery through the IDT (cpu/interrupt_pm.c). */
void cpu_deliver_pm(Cpu *cpu, int vector, uint32_t err, int soft, uint64_t next_rip);

#endif
