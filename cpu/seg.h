/*
 * seg.h — segment registers and descriptors (SDM vol. 3, chapters 3 and 5).
 *
 * Real mode / virtual-8086 mode: a load sets base = selector << 4.  In real mode limit and
 * attributes are kept (so "unreal" mode works as on hardware); in v86 mode they become a 64 KiB
 * DPL-3 data segment.  Protected mode: loads read the descriptor from the GDT/LDT and check it.
 */
#ifndef SOFTVISOR_SEG_H
#define SOFTVISOR_SEG_H

#include "cpu/cpu.h"

/* Recomputes lo/hi/ok from attr/limit (call after changing a cache by hand). */
void seg_cache_update(SegCache *s);

/* Real-mode style load: base = sel << 4, limit and attributes kept. */
void seg_set_real(Cpu *cpu, int seg, uint16_t sel);
/* Real-mode load that also resets limit 0xFFFF and a present read/write data (or code for CS)
 * segment, as at reset and in virtual-8086 mode (with DPL 3 there). */
void seg_set_real_full(Cpu *cpu, int seg, uint16_t sel);

/* Fills a cache from a raw 8-byte descriptor. */
void seg_cache_from_desc(SegCache *s, uint16_t sel, uint64_t desc);

/* Reads the 8-byte descriptor of `sel` from the GDT or LDT; raises #GP(sel & ~3) (or `vec`) when
 * the selector lies outside the table limit.  Returns its linear address in *lin if non-NULL. */
uint64_t seg_read_desc(Cpu *cpu, uint16_t sel, int vec, uint64_t *lin);

/* MOV/POP to a data segment register or SS with all checks of the current mode (SDM MOV). */
void seg_load(Cpu *cpu, int seg, uint16_t sel);

#endif
