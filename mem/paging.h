/*
 * paging.h — linear -> physical translation by walking the guest's page tables (mem/paging.c).
 */
#ifndef SOFTVISOR_PAGING_H
#define SOFTVISOR_PAGING_H

#include "cpu/cpu.h"

#define PAGING_PHYS_BITS 40   /* MAXPHYADDR, reported by CPUID 0x80000008 */

enum { PROT_R = 1, PROT_W = 2, PROT_X = 4 };

/* Walks the tables for `access` (ACC_READ/WRITE/EXEC) by privilege class `user`; raises #PF with
 * CR2 and the error code on failure.  On success returns the physical address and sets *prot to
 * the accesses the TLB may let through without another walk, *global for G pages, *shift to
 * log2 of the page size (12, 21, 22 or 30). */
/* One level of a walk: the entry at guest-physical `addr` (level 4 PML4E, 3 PDPTE, 2 PDE, 1 PTE). */
typedef struct PagingLevel {
    int level;
    uint64_t addr;
    uint64_t entry;
} PagingLevel;

/* What a walk found: the entries read in order, and either the translation (ok) or the #PF error
 * code the access would raise.  rw/us/xd: the combined rights along the way. */
typedef struct PagingTrace {
    PagingLevel lv[5];
    int n;
    bool ok;
    bool unreadable;          /* an entry lies outside RAM/ROM (a debug walk does not read MMIO) */
    bool rw, us, xd;
    int shift;                /* log2 of the page size */
    uint64_t pa;
    uint32_t fault_err;
} PagingTrace;

/* The walk paging_walk does, without any side effect (no A/D update, no fault, no TLB change,
 * no MMIO read), for debuggers and the teaching views; CR0.PG is the caller's business. */
bool paging_debug_walk(Cpu *cpu, uint64_t lin, int access, int user, PagingTrace *t);
/* Reads guest memory for a debugger, tracer or monitor without side effects: `linear` = through
 * the current paging context (CR0.PG off: the low 4 GiB), else guest-physical; RAM and ROM only.
 * Returns the number of bytes read before the first one that cannot be. */
size_t paging_debug_read(Cpu *cpu, uint64_t addr, bool linear, uint8_t *buf, size_t len);

uint64_t paging_walk(Cpu *cpu, uint64_t lin, int access, int user, int *prot, bool *global, int *shift);

#endif
