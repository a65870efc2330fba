/*
 * seg.h — segment registers and descriptors (SDM vol. 3, chapters 3 and 5).
 *
 * Real mode / virtual-8086 mode: a load sets base = selector << 4.  In real mode limit and
 * attributes are kept (so "unreal" mode works as on hardware); in v86 mode they become a 64 KiB
 * DPL-3 data segment.  Protected mode: loads read the descriptor from the GDT/LDT and check it.
 *
 * Loads that may fault are split in two: a check that reads and validates the descriptor without
 * changing any state (seg_check_*), and a commit that sets the accessed bit and fills the cache
 * (seg_commit, seg_commit_cs).  Control transfers check everything first and commit last.
 */
#ifndef SOFTVISOR_SEG_H
#define SOFTVISOR_SEG_H

#include "cpu/cpu.h"

/* Raw 8-byte descriptor fields (SDM vol. 3, figure 3-8). */
static inline int desc_type(uint64_t d) { return (int)((d >> 40) & 0xf); }
static inline bool desc_s(uint64_t d) { return (d >> 44) & 1; }
static inline int desc_dpl(uint64_t d) { return (int)((d >> 45) & 3); }
static inline bool desc_present(uint64_t d) { return (d >> 47) & 1; }
static inline bool desc_l(uint64_t d) { return (d >> 53) & 1; }
static inline bool desc_db(uint64_t d) { return (d >> 54) & 1; }
static inline bool desc_code(uint64_t d) { return desc_s(d) && (desc_type(d) & 0x8); }
static inline bool desc_conforming(uint64_t d) { return desc_code(d) && (desc_type(d) & 0x4); }
/* Gate fields (SDM vol. 3, figures 5-8, 6-2): selector 16-31, offset 0-15 and 48-63, params 32-36. */
static inline uint16_t gate_sel(uint64_t d) { return (uint16_t)(d >> 16); }
static inline uint32_t gate_off(uint64_t d) { return (uint32_t)((d & 0xffff) | ((d >> 32) & 0xffff0000)); }

/* A checked descriptor ready to be committed. */
typedef struct SegDesc {
    uint16_t sel;
    uint64_t d;      /* raw descriptor (0 for a null selector) */
    uint64_t lin;    /* its linear address, for the accessed bit */
} SegDesc;

/* Recomputes lo/hi/ok from attr/limit (call after changing a cache by hand). */
void seg_cache_update(SegCache *s);

/* Real-mode style load: base = sel << 4, limit and attributes kept. */
void seg_set_real(Cpu *cpu, int seg, uint16_t sel);
/* Real-mode load that also resets limit 0xFFFF and a present read/write data (or code for CS)
 * segment, as at reset and in virtual-8086 mode (with DPL 3 there). */
void seg_set_real_full(Cpu *cpu, int seg, uint16_t sel);

/* Fills a cache from a raw 8-byte descriptor. */
void seg_cache_from_desc(SegCache *s, uint16_t sel, uint64_t desc);

/* Reads the 8-byte descriptor of `sel` from the GDT or LDT; raises `vec`(sel & ~3 | ext) when
 * the selector lies outside the table limit.  Returns its linear address in *lin if non-NULL. */
uint64_t seg_read_desc(Cpu *cpu, uint16_t sel, int vec, uint64_t *lin);
/* Linear address of the descriptor of `sel` in the GDT or LDT; false (no fault) when the LDT is
 * unusable or the index lies beyond the table limit. */
bool seg_desc_lin(const Cpu *cpu, uint16_t sel, uint64_t *lin);
uint64_t seg_read_desc_ext(Cpu *cpu, uint16_t sel, int vec, uint32_t ext, uint64_t *lin);
/* The upper 8 bytes of a 16-byte system descriptor in IA-32e mode (call gates, TSS, LDT). */
uint64_t seg_read_desc_hi(Cpu *cpu, uint16_t sel, int vec, uint32_t ext);

/* Checks a load of data register `seg` (or SS) with `sel` at privilege `cpl`.  Type and privilege
 * failures raise `vec` (#GP for instructions, #TS in task switches) with the selector and `ext`;
 * not present raises #NP (#SS for SS).  A null selector is accepted (SS only where allowed) and
 * gives out->d = 0.  Changes nothing. */
void seg_check_data(Cpu *cpu, int seg, uint16_t sel, int cpl, int vec, uint32_t ext, SegDesc *out);
/* Sets the accessed bit of a checked descriptor in memory (and in sd->d).  Transfers call it
 * for every descriptor before changing any register, so a #PF from that write leaves the
 * registers untouched; the commits below then find the bit set. */
void seg_mark_accessed(Cpu *cpu, SegDesc *sd);
/* Loads a checked descriptor (or null selector) into `seg`: accessed bit, then the cache. */
void seg_commit(Cpu *cpu, int seg, const SegDesc *sd);
/* Loads CS from a checked code descriptor with RPL = `cpl`, sets cpu->cpl and the mode. */
void seg_commit_cs(Cpu *cpu, const SegDesc *sd, int cpl);
/* Loads a null (unusable) selector into a data segment register. */
void seg_load_null(Cpu *cpu, int seg, uint16_t sel);
/* Loads a flat 4 GiB segment with selector `sel` and attributes `attr` (SYSCALL/SYSENTER). */
void seg_load_flat(Cpu *cpu, int seg, uint16_t sel, uint16_t attr);
/* After a return to an outer privilege level: ES, DS, FS, GS holding data or non-conforming code
 * segments more privileged than the new CPL become null and unusable, keeping their base (SDM
 * RET/IRET "RETURN-TO-OUTER"). */
void seg_null_outer(Cpu *cpu);

/* MOV/POP to a data segment register or SS with all checks of the current mode (SDM MOV). */
void seg_load(Cpu *cpu, int seg, uint16_t sel);

#endif
