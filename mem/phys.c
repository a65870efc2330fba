/*
 * phys.c — lookups in the physical address space (see phys.h).
 */
#include <stdlib.h>
#include <string.h>

#include "mem/phys.h"

void phys_init(PhysMem *pm)
{
    memset(pm, 0, sizeof(*pm));
    pm->a20_mask = ~0ull;
}

/* The map changed: the cached answer of find() may be wrong now. */
static void forget(PhysMem *pm)
{
    pm->hit_len = 0;
}

static int map(PhysMem *pm, uint64_t base, uint64_t size, int kind, uint8_t *host, uint8_t *wr,
               const MemOps *ops, void *opaque)
{
    if (pm->n >= PHYS_MAX_REGIONS || (base & 0xfff) || (size & 0xfff) || size == 0)
        return -1;
    pm->r[pm->n++] = (PhysRegion){ base, size, kind, host, wr, ops, opaque };
    forget(pm);
    return 0;
}

int mem_map_ram(PhysMem *pm, uint64_t base, uint64_t size, uint8_t *host)
{
    return map(pm, base, size, REGION_RAM, host, host, NULL, NULL);
}

int mem_map_rom(PhysMem *pm, uint64_t base, uint64_t size, uint8_t *host)
{
    return map(pm, base, size, REGION_ROM, host, NULL, NULL, NULL);
}

int mem_map_mmio(PhysMem *pm, uint64_t base, uint64_t size, const MemOps *ops, void *opaque)
{
    return map(pm, base, size, REGION_MMIO, NULL, NULL, ops, opaque);
}

int mem_map_shadow(PhysMem *pm, uint64_t base, uint64_t size, uint8_t *rd, uint8_t *wr)
{
    return map(pm, base, size, REGION_SHADOW, rd, wr, NULL, NULL);
}

int mem_set_shadow(PhysMem *pm, uint64_t base, uint8_t *rd, uint8_t *wr)
{
    for (int i = 0; i < pm->n; i++)
        if (pm->r[i].kind == REGION_SHADOW && pm->r[i].base == base) {
            pm->r[i].host = rd;
            pm->r[i].wr = wr;
            forget(pm);
            return 0;
        }
    return -1;
}

int mem_move_mmio(PhysMem *pm, void *opaque, uint64_t base)
{
    int moved = 0;
    if (base & 0xfff)
        return -1;
    for (int i = 0; i < pm->n; i++)
        if (pm->r[i].kind == REGION_MMIO && pm->r[i].opaque == opaque) {
            pm->r[i].base = base;
            moved++;
        }
    forget(pm);
    return moved ? 0 : -1;
}

/* The region that answers for `pa`: the last one mapped over it.  Page walks, TLB refills and
 * dirty marking ask this for every page, nearly always for RAM, so the answer comes with the
 * range around `pa` where it stays the same (the region minus the later regions overlapping it),
 * and the next lookup inside that range is one compare. */
static const PhysRegion *find(PhysMem *pm, uint64_t pa)
{
    if (pa - pm->hit_lo < pm->hit_len)
        return &pm->r[pm->hit];
    for (int i = pm->n - 1; i >= 0; i--) {
        const PhysRegion *r = &pm->r[i];
        if (pa - r->base >= r->size)
            continue;
        uint64_t lo = r->base, hi = r->base + r->size;
        for (int j = i + 1; j < pm->n; j++) {
            const PhysRegion *o = &pm->r[j];   /* does not contain pa: it lies below or above */
            if (o->base + o->size <= pa) {
                if (o->base + o->size > lo)
                    lo = o->base + o->size;
            } else if (o->base < hi) {
                hi = o->base;
            }
        }
        pm->hit = i;
        pm->hit_lo = lo;
        pm->hit_len = hi - lo;
        return r;
    }
    return NULL;
}


uint8_t *phys_page_ptr(PhysMem *pm, uint64_t paddr, bool *writable)
{
    paddr &= pm->a20_mask;
    const PhysRegion *r = find(pm, paddr);
    /* A region read from one buffer and written to another has no single page to hand out. */
    if (!r || r->kind == REGION_MMIO || !r->host || (r->wr && r->wr != r->host))
        return NULL;
    *writable = r->wr != NULL;
    return r->host + ((paddr & ~0xfffull) - r->base);
}

/* MMIO access split into sizes the device accepts: [off, off + size) is covered by naturally
 * aligned pieces of the nearest accepted size (little-endian); a piece only partly covered by a
 * write is read, merged and written back. */
static uint64_t mmio_read(const PhysRegion *r, uint64_t off, int size)
{
    const MemOps *o = r->ops;
    if (size >= o->min_size && size <= o->max_size)
        return o->read(r->opaque, off, size);
    int piece = size < o->min_size ? o->min_size : o->max_size;
    uint64_t v = 0;
    for (uint64_t a = off & ~(uint64_t)(piece - 1); a < off + (uint64_t)size; a += (uint64_t)piece) {
        uint64_t d = o->read(r->opaque, a, piece);
        for (int b = 0; b < piece; b++)
            if (a + (uint64_t)b >= off && a + (uint64_t)b < off + (uint64_t)size)
                v |= ((d >> (8 * b)) & 0xff) << (8 * (a + (uint64_t)b - off));
    }
    return v;
}

static void mmio_write(const PhysRegion *r, uint64_t off, int size, uint64_t val)
{
    const MemOps *o = r->ops;
    if (size >= o->min_size && size <= o->max_size) {
        o->write(r->opaque, off, size, val);
        return;
    }
    int piece = size < o->min_size ? o->min_size : o->max_size;
    uint64_t all = piece == 8 ? ~0ull : (1ull << (8 * piece)) - 1;
    for (uint64_t a = off & ~(uint64_t)(piece - 1); a < off + (uint64_t)size; a += (uint64_t)piece) {
        uint64_t d = 0, m = 0;
        for (int b = 0; b < piece; b++)
            if (a + (uint64_t)b >= off && a + (uint64_t)b < off + (uint64_t)size) {
                m |= 0xffull << (8 * b);
                d |= ((val >> (8 * (a + (uint64_t)b - off))) & 0xff) << (8 * b);
            }
        if (m != all)   /* narrow write to a device that only takes wider ones */
            d |= o->read(r->opaque, a, piece) & ~m;
        o->write(r->opaque, a, piece, d);
    }
}

uint64_t phys_mem_read(PhysMem *pm, uint64_t paddr, int size)
{
    paddr &= pm->a20_mask;
    const PhysRegion *r = find(pm, paddr);
    if (!r)
        return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
    if (r->kind != REGION_MMIO) {
        uint64_t v = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
        if (r->host)
            memcpy(&v, r->host + (paddr - r->base), (size_t)size);
        return v;
    }
    return mmio_read(r, paddr - r->base, size);
}

void phys_mem_write(PhysMem *pm, uint64_t paddr, int size, uint64_t val)
{
    paddr &= pm->a20_mask;
    const PhysRegion *r = find(pm, paddr);
    if (!r)
        return;
    if (r->kind != REGION_MMIO) {
        if (r->wr) {
            memcpy(r->wr + (paddr - r->base), &val, (size_t)size);
            phys_mark_dirty_host(pm, r->wr + (paddr - r->base));
            phys_mark_dirty_host(pm, r->wr + (paddr - r->base) + size - 1);
        }
        return;
    }
    mmio_write(r, paddr - r->base, size, val);
}

uint8_t *phys_dma_ptr(PhysMem *pm, uint64_t paddr, uint64_t len, bool write)
{
    const PhysRegion *r = find(pm, paddr);
    if (!r || r->kind == REGION_MMIO || len > r->size - (paddr - r->base))
        return NULL;
    uint8_t *p = write ? r->wr : r->host;
    return p ? p + (paddr - r->base) : NULL;
}

int phys_dirty_init(PhysMem *pm, uint8_t *ram, uint64_t pages)
{
    pm->ram_host = ram;
    pm->ram_pages = pages;
    for (int c = 0; c < PHYS_DIRTY_CLIENTS; c++) {
        pm->dirty[c] = malloc((pages + 63) / 64 * 8);
        if (!pm->dirty[c])
            return -1;
    }
    phys_mark_all_dirty(pm);
    return 0;
}

void phys_dirty_free(PhysMem *pm)
{
    for (int c = 0; c < PHYS_DIRTY_CLIENTS; c++) {
        free(pm->dirty[c]);
        pm->dirty[c] = NULL;
    }
    pm->ram_host = NULL;
}

void phys_mark_dirty(PhysMem *pm, uint64_t paddr)
{
    bool writable;
    uint8_t *host = phys_page_ptr(pm, paddr, &writable);
    if (host && writable)
        phys_mark_dirty_host(pm, host);
}

void phys_mark_all_dirty(PhysMem *pm)
{
    for (int c = 0; c < PHYS_DIRTY_CLIENTS; c++)
        if (pm->dirty[c])
            memset(pm->dirty[c], 0xff, (pm->ram_pages + 63) / 64 * 8);
}
