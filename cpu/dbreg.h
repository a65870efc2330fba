/*
 * dbreg.h — the debug registers DR0-DR3/DR7 as breakpoints (SDM vol. 3, chapter 17); the model
 * is described in cpu/dbreg.c.
 */
#ifndef SOFTVISOR_DBREG_H
#define SOFTVISOR_DBREG_H

#include "cpu/cpu.h"

/* Recomputes which breakpoints DR7 arms after a write to DR0-DR3 or DR7 (or a reset or a load);
 * sets the TLB's tags again when data breakpoints were or are armed, so their pages leave the
 * fast path (the translations stay). */
void dbreg_update(Cpu *cpu);
/* True when an armed data breakpoint covers a byte of the 4 KiB linear page `page`: the TLB
 * gives that page no read/write fast-path tags. */
bool dbreg_page_watched(const Cpu *cpu, uint64_t page);
/* A data access of `size` bytes at `lin` (a read when !write) reached the slow path while data
 * breakpoints are armed: records the breakpoints it meets in cpu->db_hit and ends the block. */
void dbreg_check_data(Cpu *cpu, uint64_t lin, int size, bool write);
/* DR6 B0-B3 bits of the armed instruction breakpoints at linear address `lin`. */
uint32_t dbreg_check_insn(const Cpu *cpu, uint64_t lin);

#endif
