/*
 * access.h — guest memory accesses from instruction handlers: segmentation, then the TLB.
 *
 * Segmentation (SDM vol. 3, 3.4 and 5.3): outside 64-bit mode an access of `size` bytes at offset
 * `off` is legal when lo <= off and off + size - 1 <= hi of the segment cache and the segment allows
 * the access kind; otherwise #SS(0) for SS and #GP(0) for the others.  The linear address is
 * (base + off) truncated to 32 bits.  In 64-bit mode only FS/GS add a base and the linear address
 * must be canonical (#SS(0) / #GP(0)).
 *
 * Paging goes through the TLB (mem/tlb.h).  User-class accesses are those made at CPL 3; implicit
 * supervisor accesses (descriptor tables, TSS) use the cpu_sys_* helpers.
 *
 * XXX: alignment checking (#AC with CR0.AM and EFLAGS.AC at CPL 3) is not modelled.
 */
#ifndef SOFTVISOR_ACCESS_H
#define SOFTVISOR_ACCESS_H

#include <string.h>

#include "cpu/cpu.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

_Noreturn void seg_fault_access(Cpu *cpu, int seg);

static inline bool canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

/* Offset -> linear address with the segment checks above.  `acc` is ACC_READ or ACC_WRITE. */
static inline uint64_t cpu_lin(Cpu *cpu, int seg, uint64_t off, int size, int acc)
{
    if (cpu->code_bits == 64) {
        uint64_t lin = off + (seg >= SEG_FS ? cpu->seg[seg].base : 0);
        if (unlikely(!canonical(lin) || !canonical(lin + size - 1)))
            seg_fault_access(cpu, seg);
        return lin;
    }
    const SegCache *s = &cpu->seg[seg];
    if (unlikely(off < s->lo || off + (uint64_t)(size - 1) > s->hi || !(s->ok & (1u << acc))))
        seg_fault_access(cpu, seg);
    return (uint32_t)(s->base + off);
}

static inline int cpu_user(const Cpu *cpu) { return cpu->cpl == 3; }

static inline uint64_t host_load(uintptr_t p, int size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: { uint16_t v; memcpy(&v, (const void *)p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, (const void *)p, 4); return v; }
    default: { uint64_t v; memcpy(&v, (const void *)p, 8); return v; }
    }
}

static inline void host_store(uintptr_t p, int size, uint64_t v)
{
    switch (size) {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: { uint16_t x = (uint16_t)v; memcpy((void *)p, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy((void *)p, &x, 4); break; }
    default: memcpy((void *)p, &v, 8); break;
    }
}

static inline bool tlb_in_page(uint64_t lin, int size) { return (lin & 0xfff) + size <= PAGE_SIZE; }

/* Linear reads/writes at privilege class `user`. */
static inline uint64_t lin_read(Cpu *cpu, uint64_t lin, int size, int user)
{
    const TlbEntry *e = &cpu->tlb.e[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (likely(e->tag_r == (lin & PAGE_MASK) && tlb_in_page(lin, size)))
        return host_load(e->addend + lin, size);
    return tlb_slow_read(cpu, lin, size, ACC_READ, user);
}

/* A read that also requires write permission: the first half of a read-modify-write. */
static inline uint64_t lin_read_w(Cpu *cpu, uint64_t lin, int size, int user)
{
    const TlbEntry *e = &cpu->tlb.e[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (likely(e->tag_w == (lin & PAGE_MASK) && tlb_in_page(lin, size)))
        return host_load(e->addend + lin, size);
    return tlb_slow_read(cpu, lin, size, ACC_WRITE, user);
}

static inline void lin_write(Cpu *cpu, uint64_t lin, int size, uint64_t v, int user)
{
    const TlbEntry *e = &cpu->tlb.e[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (likely(e->tag_w == (lin & PAGE_MASK) && tlb_in_page(lin, size))) {
        host_store(e->addend + lin, size, v);
        return;
    }
    tlb_slow_write(cpu, lin, size, v, user);
}

/* Faults as lin_write would (#PF, both pages of a crossing access) but writes nothing. */
static inline void lin_probe_write(Cpu *cpu, uint64_t lin, int size, int user)
{
    const TlbEntry *e = &cpu->tlb.e[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (likely(e->tag_w == (lin & PAGE_MASK) && tlb_in_page(lin, size)))
        return;
    tlb_probe(cpu, lin, size, ACC_WRITE, user);
}

/* Segment:offset accesses at the current privilege. */
static inline uint64_t cpu_read(Cpu *cpu, int seg, uint64_t off, int size)
{
    return lin_read(cpu, cpu_lin(cpu, seg, off, size, ACC_READ), size, cpu_user(cpu));
}

static inline void cpu_write(Cpu *cpu, int seg, uint64_t off, int size, uint64_t v)
{
    lin_write(cpu, cpu_lin(cpu, seg, off, size, ACC_WRITE), size, v, cpu_user(cpu));
}

/* Read-modify-write: check the destination once for writing, return its linear address in *lin. */
static inline uint64_t cpu_read_rmw(Cpu *cpu, int seg, uint64_t off, int size, uint64_t *lin)
{
    *lin = cpu_lin(cpu, seg, off, size, ACC_WRITE);
    return lin_read_w(cpu, *lin, size, cpu_user(cpu));
}

/* The checks of cpu_write (segment, then paging) without the write: instructions that store
 * several values check them all first, so a fault leaves memory unchanged.  Returns the linear
 * address for cpu_write_lin. */
static inline uint64_t cpu_probe_write(Cpu *cpu, int seg, uint64_t off, int size)
{
    uint64_t lin = cpu_lin(cpu, seg, off, size, ACC_WRITE);
    lin_probe_write(cpu, lin, size, cpu_user(cpu));
    return lin;
}

static inline void cpu_write_lin(Cpu *cpu, uint64_t lin, int size, uint64_t v)
{
    lin_write(cpu, lin, size, v, cpu_user(cpu));
}

/* Implicit supervisor-mode accesses to system structures (GDT, LDT, IDT, TSS). */
static inline uint64_t cpu_sys_read(Cpu *cpu, uint64_t lin, int size)
{
    return lin_read(cpu, lin, size, 0);
}

static inline void cpu_sys_write(Cpu *cpu, uint64_t lin, int size, uint64_t v)
{
    lin_write(cpu, lin, size, v, 0);
}

#endif
