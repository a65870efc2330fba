/*
 * paging.c — the page-table walker (SDM vol. 3, chapter 4).
 *
 * Formats, chosen by CR4.PAE and EFER.LMA (table 4-1):
 *   32-bit:  CR3 -> PDE (4 bytes, lin 31:22) -> PTE (lin 21:12); PDE.PS with CR4.PSE maps 4 MiB,
 *            PDE bits 20:13 give physical address bits 39:32 (PSE-36).
 *   PAE:     CR3 bits 31:5 -> PDPTE (lin 31:30) -> PDE (lin 29:21, PS = 2 MiB) -> PTE (lin 20:12).
 *   4-level: CR3 -> PML4E (lin 47:39) -> PDPTE (lin 38:30, PS = 1 GiB) -> PDE -> PTE.
 * Entry bits: P 0, R/W 1, U/S 2, PWT 3, PCD 4, A 5, D 6, PS/PAT 7, G 8, XD 63 (with EFER.NXE).
 *
 * Access rights (4.6): a user access needs U/S = 1 at every level; a write needs R/W = 1 at every
 * level for user accesses, and for supervisor accesses too when CR0.WP = 1; an instruction fetch
 * fails when XD = 1 at any level (EFER.NXE = 1).  No SMEP/SMAP/PKE (CPUID does not report them).
 *
 * #PF error code (4.7): P = fault on a present page, W/R, U/S, RSVD = reserved bit set,
 * I/D = instruction fetch when PAE and NXE are on.  CR2 = the faulting linear address.
 *
 * A/D bits: A is set in every entry used, D in the final entry on a write, after the access is
 * known to be allowed.  The TLB gets a write tag only when D is already set, so a later first
 * write comes back here and sets D.
 *
 * XXX: PAE PDPTEs are read from memory on every walk instead of being cached at CR3 load time
 * (the SDM caches them); guests that change PDPTEs without reloading CR3 would see a difference.
 */
#include "mem/paging.h"
#include <string.h>

#include "cpu/access.h"

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_XD  (1ull << 63)

#define PF_P    (1u << 0)
#define PF_W    (1u << 1)
#define PF_U    (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I    (1u << 4)

/* Physical address width reported by CPUID 0x80000008. */
#define ADDR_MASK_52 0x000ffffffffff000ull
#define PHYS_ADDR_MASK ((1ull << PAGING_PHYS_BITS) - 1)

/* One page-table entry; a debug walk reads RAM and ROM only (an MMIO read may have effects). */
static bool read_entry(Cpu *cpu, uint64_t pa, int size, bool debug, uint64_t *v)
{
    if (!debug) {
        *v = tlb_phys_read(cpu, pa, size);
        return true;
    }
    bool w;
    uint8_t *p = cpu->bus->phys_ptr(cpu->bus_opaque, pa & PAGE_MASK, &w);
    if (!p)
        return false;
    *v = size == 8 ? host_load((uintptr_t)(p + (pa & 0xfff)), 8) : host_load((uintptr_t)(p + (pa & 0xfff)), 4);
    return true;
}

/* The walk itself, with no side effect: fills `t` with every entry read and the result, or the
 * #PF error code the access would raise (t->ok false). */
static void resolve(Cpu *cpu, uint64_t lin, int access, int user, bool debug, PagingTrace *t)
{
    bool pae = (cpu->cr4 & CR4_PAE) != 0;
    bool lma = cpu_long_mode(cpu);
    bool nxe = pae && (cpu->efer & EFER_NXE);
    uint32_t err = (access == ACC_WRITE ? PF_W : 0) | (user ? PF_U : 0) |
                   (access == ACC_EXEC && nxe ? PF_I : 0);
    int ent_size = pae ? 8 : 4;
    int levels;
    /* Reserved high bits (SDM vol. 3, 4.4.2 and 4.5.4): PAE M..62, 4-level M..51 (52..62 are
     * ignored there); XD unless EFER.NXE. */
    uint64_t rsvd_hi = pae ? (~PHYS_ADDR_MASK & (lma ? 0x000fffffffffffffull : 0x7fffffffffffffffull)) |
                             (nxe ? 0 : PTE_XD) : 0;
    uint64_t table, pa = 0, page_mask = 0xfff;
    bool rw = true, us = true, xd = false;
    memset(t, 0, sizeof(*t));
    t->ok = false;
    t->fault_err = err;

    if (!pae) {
        levels = 2;
        table = cpu->cr3 & 0xfffff000u;
    } else if (!lma) {
        levels = 2;
        uint64_t pdpte_addr = (cpu->cr3 & 0xffffffe0u) + ((lin >> 30) & 3) * 8;
        uint64_t pdpte;
        t->lv[0] = (PagingLevel){ .level = 3, .addr = pdpte_addr };
        t->n = 1;
        if (!read_entry(cpu, pdpte_addr, 8, debug, &pdpte)) {
            t->unreadable = true;
            return;
        }
        t->lv[0].entry = pdpte;
        if (!(pdpte & PTE_P))
            return;
        if (pdpte & ((~PHYS_ADDR_MASK & ~0xfffull) | 0x1e6)) {
            t->fault_err |= PF_P | PF_RSVD;
            return;
        }
        table = pdpte & PHYS_ADDR_MASK & PAGE_MASK;
    } else {
        levels = 4;
        table = cpu->cr3 & PHYS_ADDR_MASK & PAGE_MASK;
    }

    for (int level = levels; level >= 1; level--) {
        int shift = 12 + (level - 1) * (pae ? 9 : 10);
        uint64_t idx = (lin >> shift) & (pae ? 0x1ff : 0x3ff);
        uint64_t a = table + idx * ent_size;
        uint64_t e;
        PagingLevel *lv = &t->lv[t->n++];
        *lv = (PagingLevel){ .level = level, .addr = a };
        if (!read_entry(cpu, a, ent_size, debug, &e)) {
            t->unreadable = true;
            return;
        }
        lv->entry = e;
        if (!(e & PTE_P))
            return;
        if (e & rsvd_hi) {
            t->fault_err |= PF_P | PF_RSVD;
            return;
        }
        rw &= (e & PTE_RW) != 0;
        us &= (e & PTE_US) != 0;
        xd |= nxe && (e & PTE_XD);
        bool leaf = level == 1;
        if (!leaf && (e & PTE_PS)) {
            if (level == 4 && lma) {
                t->fault_err |= PF_P | PF_RSVD;   /* PS is reserved in a PML4E */
                return;
            }
            leaf = !(level == 2 && !pae && !(cpu->cr4 & CR4_PSE));   /* PS ignored without CR4.PSE */
        }
        if (level > 1 && leaf) {
            page_mask = (1ull << shift) - 1;
            if (!pae) {
                /* 4 MiB page; bits 20:13 = physical bits 39:32 (PSE-36), bit 21 reserved. */
                if (e & (1ull << 21)) {
                    t->fault_err |= PF_P | PF_RSVD;
                    return;
                }
                pa = (e & 0xffc00000u) | (((e >> 13) & 0xff) << 32);
            } else {
                if (e & (page_mask & ~0x1fffull)) {   /* bits 12 (PAT) .. shift-1 must be 0 */
                    t->fault_err |= PF_P | PF_RSVD;
                    return;
                }
                pa = e & PHYS_ADDR_MASK & ~page_mask;
            }
            break;
        }
        if (leaf) {
            pa = pae ? (e & PHYS_ADDR_MASK & PAGE_MASK) : (e & 0xfffff000u);
            break;
        }
        table = pae ? (e & PHYS_ADDR_MASK & PAGE_MASK) : (e & 0xfffff000u);
    }

    bool wp = (cpu->cr0 & CR0_WP) != 0;
    bool can_write = user ? (rw && us) : (rw || !wp);
    t->rw = can_write;
    t->us = us;
    t->xd = xd;
    t->shift = __builtin_popcountll(page_mask);
    t->pa = (pa & ~page_mask) | (lin & page_mask);
    if ((user && !us) || (access == ACC_WRITE && !can_write) || (access == ACC_EXEC && xd)) {
        t->fault_err |= PF_P;
        return;
    }
    t->ok = true;
}

bool paging_debug_walk(Cpu *cpu, uint64_t lin, int access, int user, PagingTrace *t)
{
    resolve(cpu, lin, access, user, true, t);
    return t->ok;
}

/* Linear -> physical as the CPU would translate a supervisor read now, without side effects. */
static bool debug_translate(Cpu *cpu, uint64_t lin, uint64_t *pa)
{
    if (!(cpu->cr0 & CR0_PG)) {
        *pa = (lin & 0xffffffffull) & cpu->a20_mask;
        return true;
    }
    PagingTrace t;
    if (!paging_debug_walk(cpu, lin, ACC_READ, 0, &t))
        return false;
    *pa = t.pa & cpu->a20_mask;
    return true;
}

size_t paging_debug_read(Cpu *cpu, uint64_t addr, bool linear, uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t a = addr + done, pa = a;
        if (linear && !debug_translate(cpu, a, &pa))
            break;
        bool w;
        uint8_t *p = cpu->bus->phys_ptr(cpu->bus_opaque, pa & PAGE_MASK, &w);
        if (!p)
            break;
        size_t n = PAGE_SIZE - (a & 0xfff);
        if (n > PAGE_SIZE - (pa & 0xfff))
            n = PAGE_SIZE - (pa & 0xfff);
        if (n > len - done)
            n = len - done;
        memcpy(buf + done, p + (pa & 0xfff), n);
        done += n;
    }
    return done;
}

uint64_t paging_walk(Cpu *cpu, uint64_t lin, int access, int user, int *prot, bool *global, int *shift)
{
    PagingTrace t;
    resolve(cpu, lin, access, user, false, &t);
    if (!t.ok) {
        cpu->cr2 = lin;
        cpu_raise(cpu, EXC_PF, t.fault_err);
    }
    /* Access allowed: set A in every entry used, D in the leaf on a write (the PAE PDPTE has no
     * A bit: it is not among the levels walked below). */
    int ent_size = (cpu->cr4 & CR4_PAE) ? 8 : 4;
    int first = (cpu->cr4 & CR4_PAE) && !cpu_long_mode(cpu) ? 1 : 0;
    for (int i = first; i < t.n; i++) {
        uint64_t nv = t.lv[i].entry | PTE_A;
        if (i == t.n - 1 && access == ACC_WRITE)
            nv |= PTE_D;
        if (nv != t.lv[i].entry)
            tlb_phys_write(cpu, t.lv[i].addr, ent_size, nv);
        t.lv[i].entry = nv;
    }
    uint64_t leaf = t.lv[t.n - 1].entry;
    *prot = PROT_R | (t.xd ? 0 : PROT_X) | (t.rw && (leaf & PTE_D) ? PROT_W : 0);
    *global = (cpu->cr4 & CR4_PGE) && (leaf & PTE_G);
    *shift = t.shift;
    return t.pa;
}
