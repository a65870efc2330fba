/*
 * tlb.c — TLB refill, invalidation and the slow access paths (see tlb.h for the entry format).
 *
 * The slow path is where every unusual access ends up: TLB misses, accesses that cross a page
 * (both pages are translated before any byte is stored, so a fault on the second page leaves
 * memory untouched), ROM (writes dropped), MMIO and unassigned memory (through the bus), and
 * stores to pages that hold decoded code (blocks invalidated first), and accesses to pages that
 * an armed data breakpoint watches (cpu/dbreg.c: those pages get no read/write tags).
 */
#include "mem/tlb.h"
#include "cpu/access.h"
#include "cpu/dbreg.h"
#include "cpu/decode.h"
#include "mem/paging.h"

void tlb_flush_jump_cache(Tlb *tlb)
{
    for (uint32_t i = 0; i < JC_SIZE; i++)
        tlb->jc[i].block = NULL;
}

static const TlbXlat no_xlat = { TLB_INVALID, TLB_INVALID, 0, 0, 0 };

static TlbXlat entry_xlat(const Tlb *tlb, int u, uint32_t i)
{
    return (TlbXlat){ tlb->lin[u][i], tlb->paddr[u][i], tlb->prot[u][i], tlb->global[u][i], tlb->shift[u][i] };
}

/* Entry (u, i) holds translation x, with no tags yet (tlb_set_tags gives them). */
static void entry_set(Tlb *tlb, int u, uint32_t i, TlbXlat x)
{
    tlb->e[u][i].tag_r = tlb->e[u][i].tag_w = tlb->e[u][i].tag_x = TLB_INVALID;
    tlb->lin[u][i] = x.lin;
    tlb->paddr[u][i] = x.paddr;
    tlb->prot[u][i] = x.prot;
    tlb->global[u][i] = x.global;
    tlb->shift[u][i] = x.shift;
}

void tlb_flush(Tlb *tlb, bool include_global)
{
    tlb_flush_jump_cache(tlb);
    for (int u = 0; u < 2; u++)
        for (int v = 0; v < TLB_VICTIMS; v++)
            if (include_global || !tlb->victim[u][v].global)
                tlb->victim[u][v] = no_xlat;
    for (int u = 0; u < 2; u++)
        for (uint32_t i = 0; i < TLB_SIZE; i++)
            if (include_global || !tlb->global[u][i])
                entry_set(tlb, u, i, no_xlat);
    if (include_global)
        tlb->large_shift[0] = tlb->large_shift[1] = 0;
}

void tlb_flush_page(Tlb *tlb, uint64_t lin)
{
    /* Jump-cache entries of blocks that start on this page or straddle into it from the previous.
     * INVLPG mostly hits data pages, so a first pass over the dense page numbers (vectorized)
     * looks for any; a truncated page number that matches by accident only drops an entry. */
    uint32_t p = (uint32_t)(lin >> 12);
    uint32_t any = 0;
    for (uint32_t j = 0; j < JC_SIZE; j++)
        any |= (uint32_t)(tlb->jc_page[j] - p + 1) <= 1;
    if (any)
        for (uint32_t j = 0; j < JC_SIZE; j++)
            if ((uint32_t)(tlb->jc_page[j] - p + 1) <= 1)
                tlb->jc[j].block = NULL;
    /* The entry at the page's index, when it holds this page: another page sharing the index
     * stays (Linux's early_memunmap drops ten fixmap pages in a row, whose indexes the kernel's
     * own code pages share). */
    uint32_t i = (lin >> 12) & (TLB_SIZE - 1);
    for (int u = 0; u < 2; u++)
        if (tlb->lin[u][i] == (lin & PAGE_MASK))
            entry_set(tlb, u, i, no_xlat);
    /* Victims of this page, or pieces of a large page containing it */
    for (int u = 0; u < 2; u++)
        for (int v = 0; v < TLB_VICTIMS; v++) {
            TlbXlat *x = &tlb->victim[u][v];
            if (x->prot && ((x->lin ^ lin) >> x->shift) == 0)
                *x = no_xlat;
        }
    /* Pieces of a large page containing `lin` sit at other indexes: find them by their
     * translations.  Those of a 2 MiB page lie in the 512 entries whose index shares bit 9
     * with `lin`'s; a larger page may have pieces anywhere. */
    _Static_assert(TLB_SIZE >= 512 && TLB_SIZE % 512 == 0, "a 2 MiB page's pieces share index bits 9 and up");
    bool dropped = false;
    for (int u = 0; u < 2; u++) {
        int big = tlb->large_shift[u];
        if (big == 0)
            continue;
        uint32_t first = 0, n = TLB_SIZE;
        if (big <= 21) {
            first = i & ~(uint32_t)511;
            n = 512;
        }
        for (uint32_t k = first; k < first + n; k++) {
            uint64_t page = tlb->lin[u][k];
            int sh = tlb->shift[u][k];
            if (sh > 12 && page != TLB_INVALID && ((page ^ lin) >> sh) == 0) {
                entry_set(tlb, u, k, no_xlat);
                dropped = true;
            }
        }
    }
    if (dropped)
        tlb_flush_jump_cache(tlb);   /* blocks entered through the dropped pieces */
}

void tlb_drop_write_tags(Tlb *tlb)
{
    for (int u = 0; u < 2; u++)
        for (uint32_t i = 0; i < TLB_SIZE; i++)
            tlb->e[u][i].tag_w = TLB_INVALID;
}

void tlb_protect_code_page(Tlb *tlb, uint64_t ppage)
{
    for (int u = 0; u < 2; u++)
        for (uint32_t i = 0; i < TLB_SIZE; i++)
            if (tlb->paddr[u][i] == ppage)
                tlb->e[u][i].tag_w = TLB_INVALID;
}

/* The fast-path tags of entry (user, i) from its translation, as the host allows them. */
static void tlb_set_tags(Cpu *cpu, int user, uint32_t i)
{
    TlbEntry *e = &cpu->tlb.e[user][i];
    uint64_t page = cpu->tlb.lin[user][i], ppage = cpu->tlb.paddr[user][i];
    int prot = cpu->tlb.prot[user][i];
    e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
    bool writable = false;
    uint8_t *host = cpu->bus->phys_ptr(cpu->bus_opaque, ppage, &writable);
    if (!host)
        return;
    /* ROM never takes the data fast path (DESIGN.md): only its code is fetched directly. */
    e->addend = (uintptr_t)host - (uintptr_t)page;
    /* Data fast path: plain RAM that no armed data breakpoint watches. */
    bool data = writable && !(unlikely(cpu->dbg_data_armed) && dbreg_page_watched(cpu, page));
    if ((prot & PROT_R) && data)
        e->tag_r = page;
    if (prot & PROT_X)
        e->tag_x = page;
    if ((prot & PROT_W) && data && !block_page_has_code(cpu, ppage)) {
        /* the fast path will write this page unseen: it counts as dirty from now on */
        if (cpu->bus->phys_dirty)
            cpu->bus->phys_dirty(cpu->bus_opaque, ppage);
        e->tag_w = page;
    }
}

static const uint8_t prot_needed[3] = { [ACC_READ] = PROT_R, [ACC_WRITE] = PROT_W, [ACC_EXEC] = PROT_X };

/* Entry (u, i) holds translation x from now on, with its tags set.  Its old translation of
 * another page becomes a victim: in slot v, whose translation goes (emptied when there is
 * none to keep), or, when v < 0, in the next slot round robin. */
static void entry_fill(Cpu *cpu, int u, uint32_t i, TlbXlat x, int v)
{
    Tlb *tlb = &cpu->tlb;
    TlbXlat old = entry_xlat(tlb, u, i);
    bool keep = old.prot && old.lin != x.lin;
    if (v < 0 && keep) {
        v = tlb->vnext[u];
        tlb->vnext[u] = (uint8_t)((v + 1) % TLB_VICTIMS);
    }
    if (v >= 0)
        tlb->victim[u][v] = keep ? old : no_xlat;
    entry_set(tlb, u, i, x);
    if (x.shift > tlb->large_shift[u])
        tlb->large_shift[u] = x.shift;
    tlb_set_tags(cpu, u, i);
}

uint64_t tlb_translate(Cpu *cpu, uint64_t lin, int access, int user)
{
    uint64_t page = lin & PAGE_MASK;
    uint32_t i = (lin >> 12) & (TLB_SIZE - 1);
    Tlb *tlb = &cpu->tlb;
    /* A victim that holds the page: granting the access it is the TLB's hit (it trades places
     * with the entry), else it is stale once the walk below refills the entry, and its slot
     * takes the entry's old translation. */
    int same = -1;
    for (int v = 0; v < TLB_VICTIMS; v++)
        if (tlb->victim[user][v].prot && tlb->victim[user][v].lin == page)
            same = v;
    if (same >= 0 && (tlb->victim[user][same].prot & prot_needed[access])) {
        entry_fill(cpu, user, i, tlb->victim[user][same], same);
        return tlb->paddr[user][i] | (lin & 0xfff);
    }
    uint64_t pa;
    int prot;
    bool global = false;
    int shift = 12;
    if (cpu->cr0 & CR0_PG) {
        pa = paging_walk(cpu, lin, access, user, &prot, &global, &shift);
    } else {
        pa = lin & 0xffffffffull;
        prot = PROT_R | PROT_W | PROT_X;
    }
    pa &= cpu->a20_mask;
    entry_fill(cpu, user, i, (TlbXlat){ page, pa & PAGE_MASK, (uint8_t)prot, global, (uint8_t)shift }, same);
    return pa;
}

void tlb_rebuild(Cpu *cpu)
{
    Tlb *tlb = &cpu->tlb;
    tlb_flush_jump_cache(tlb);
    tlb->large_shift[0] = tlb->large_shift[1] = 0;
    for (int u = 0; u < 2; u++)
        for (uint32_t i = 0; i < TLB_SIZE; i++) {
            TlbEntry *e = &tlb->e[u][i];
            e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
            if (!tlb->prot[u][i])
                continue;
            if (tlb->shift[u][i] > 12 && tlb->shift[u][i] > tlb->large_shift[u])
                tlb->large_shift[u] = tlb->shift[u][i];
            tlb_set_tags(cpu, u, i);
        }
}

/* The slow path's translation: the TLB's when it grants `access` (the fast path missed for a
 * host reason), else a page walk that refills the entry. */
static uint64_t tlb_lookup(Cpu *cpu, uint64_t lin, int access, int user)
{
    uint32_t i = (lin >> 12) & (TLB_SIZE - 1);
    Tlb *tlb = &cpu->tlb;
    if (tlb->lin[user][i] == (lin & PAGE_MASK) && (tlb->prot[user][i] & prot_needed[access])) {
        tlb_set_tags(cpu, user, i);   /* a tag dropped since (a dirty-page client) comes back */
        return tlb->paddr[user][i] | (lin & 0xfff);
    }
    return tlb_translate(cpu, lin, access, user);
}

/* One physical access within a page (also the page walker's entry reads and A/D writes). */
uint64_t tlb_phys_read(Cpu *cpu, uint64_t pa, int size)
{
    bool w;
    uint8_t *p = cpu->bus->phys_ptr(cpu->bus_opaque, pa & PAGE_MASK, &w);
    if (p)
        return host_load((uintptr_t)(p + (pa & 0xfff)), size);
    return cpu->bus->phys_read(cpu->bus_opaque, pa, size);
}

void tlb_phys_write(Cpu *cpu, uint64_t pa, int size, uint64_t v)
{
    bool w;
    if (block_page_has_code(cpu, pa & PAGE_MASK))
        block_invalidate_page(cpu, pa & PAGE_MASK);
    uint8_t *p = cpu->bus->phys_ptr(cpu->bus_opaque, pa & PAGE_MASK, &w);
    if (p) {
        if (w) {
            if (cpu->bus->phys_dirty)
                cpu->bus->phys_dirty(cpu->bus_opaque, pa & PAGE_MASK);
            host_store((uintptr_t)(p + (pa & 0xfff)), size, v);
        }
        return;   /* ROM: writes are dropped */
    }
    cpu->bus->phys_write(cpu->bus_opaque, pa, size, v);
}

static uint64_t next_page(const Cpu *cpu, uint64_t lin)
{
    uint64_t n = (lin & PAGE_MASK) + PAGE_SIZE;
    return cpu_long_mode(cpu) ? n : (uint32_t)n;
}

/* Translates the page of `lin` and, for an access that crosses it, the next page (*pa2), both
 * before the caller touches either, so a fault on the second page leaves memory unchanged. */
static uint64_t translate_span(Cpu *cpu, uint64_t lin, int size, int access, int user, uint64_t *pa2)
{
    uint64_t pa = tlb_lookup(cpu, lin, access, user);
    *pa2 = tlb_in_page(lin, size) ? pa : tlb_lookup(cpu, next_page(cpu, lin), access, user);
    return pa;
}

void tlb_probe(Cpu *cpu, uint64_t lin, int size, int access, int user)
{
    uint64_t pa2;
    translate_span(cpu, lin, size, access, user, &pa2);
}

uint64_t tlb_slow_read(Cpu *cpu, uint64_t lin, int size, int access, int user)
{
    uint64_t pa2;
    uint64_t pa = translate_span(cpu, lin, size, access, user, &pa2);
    if (unlikely(cpu->dbg_data_armed))
        dbreg_check_data(cpu, lin, size, false);   /* (the read of a read-modify-write too) */
    if (tlb_in_page(lin, size))
        return tlb_phys_read(cpu, pa, size);
    int n1 = (int)(PAGE_SIZE - (lin & 0xfff));
    uint64_t v = 0;
    for (int i = 0; i < size; i++) {
        uint64_t b = i < n1 ? tlb_phys_read(cpu, pa + i, 1) : tlb_phys_read(cpu, pa2 + (i - n1), 1);
        v |= b << (8 * i);
    }
    return v;
}

void tlb_slow_write(Cpu *cpu, uint64_t lin, int size, uint64_t val, int user)
{
    uint64_t pa2;
    uint64_t pa = translate_span(cpu, lin, size, ACC_WRITE, user, &pa2);
    if (unlikely(cpu->dbg_data_armed))
        dbreg_check_data(cpu, lin, size, true);
    if (tlb_in_page(lin, size)) {
        tlb_phys_write(cpu, pa, size, val);
        return;
    }
    int n1 = (int)(PAGE_SIZE - (lin & 0xfff));
    for (int i = 0; i < size; i++) {
        uint64_t b = (val >> (8 * i)) & 0xff;
        if (i < n1)
            tlb_phys_write(cpu, pa + i, 1, b);
        else
            tlb_phys_write(cpu, pa2 + (i - n1), 1, b);
    }
}
