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
uint64_t paging_walk(Cpu *cpu, uint64_t lin, int access, int user, int *prot, bool *global, int *shift);

#endif
