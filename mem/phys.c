/*
 * phys.c — lookups in the physical address space (see phys.h).
 */
#include <string.h>

#include "mem/phys.h"

void phys_init(PhysMem *pm)
{
    memset(pm, 0, sizeof(*pm));
    pm->a20_mask = ~0ull;
}

static int map(PhysMem *pm, uint64_t base, uint64_t size, int kind, uint8_t *host, const MemOps *ops,
               void *opaque)
{
    if (pm->n >= PHYS_MAX_REGIONS || (base & 0xfff) || (size & 0xfff) || size == 0)
        return -1;
    pm->r[pm->n++] = (PhysRegion){ base, size, kind, host, ops, opaque };
    return 0;
}

int mem_map_ram(PhysMem *pm, uint64_t base, uint64_t size, uint8_t *host)
{
    return map(pm, base, size, REGION_RAM, host, NULL, NULL);
}

int mem_map_rom(PhysMem *pm, uint64_t base, uint64_t size, uint8_t *host)
{
    return map(pm, base, size, REGION_ROM, host, NULL, NULL);
}

int mem_map_mmio(PhysMem *pm, uint64_t base, uint64_t size, const MemOps *ops, void *opaque)
{
    return map(pm, base, size, REGION_MMIO, NULL, ops, opaque);
}

static const PhysRegion *find(const PhysMem *pm, uint64_t pa)
{
    for (int i = pm->n - 1; i >= 0; i--) {
        const PhysRegion *r = &pm->r[i];
        if (pa - r->base < r->size)
            return r;
    }
    return NULL;
}

uint8_t *phys_page_ptr(PhysMem *pm, uint64_t paddr, bool *writable)
{
    paddr &= pm->a20_mask;
    const PhysRegion *r = find(pm, paddr);
    if (!r || r->kind == REGION_MMIO)
        return NULL;
    *writable = r->kind == REGION_RAM;
    return r->host + ((paddr & ~0xfffull) - r->base);
}

/* MMIO access split into sizes the device accepts (little-endian pieces). */
static uint64_t mmio_read(const PhysRegion *r, uint64_t off, int size)
{
    const MemOps *o = r->ops;
    if (size >= o->min_size && size <= o->max_size)
        return o->read(r->opaque, off, size);
    int piece = size < o->min_size ? o->min_size : o->max_size;
    if (size < piece) {
        uint64_t aligned = off & ~(uint64_t)(piece - 1);
        uint64_t v = o->read(r->opaque, aligned, piece);
        return (v >> (8 * (off - aligned))) & ((1ull << (8 * size)) - 1);
    }
    uint64_t v = 0;
    for (int i = 0; i < size; i += piece)
        v |= o->read(r->opaque, off + i, piece) << (8 * i);
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
    if (size < piece) {
        /* Narrow write to a device that only takes wider ones: read-modify-write the piece. */
        uint64_t aligned = off & ~(uint64_t)(piece - 1);
        int sh = (int)(8 * (off - aligned));
        uint64_t m = ((1ull << (8 * size)) - 1) << sh;
        uint64_t v = o->read(r->opaque, aligned, piece);
        o->write(r->opaque, aligned, piece, (v & ~m) | ((val << sh) & m));
        return;
    }
    for (int i = 0; i < size; i += piece)
        o->write(r->opaque, off + i, piece, val >> (8 * i));
}

uint64_t phys_mem_read(PhysMem *pm, uint64_t paddr, int size)
{
    paddr &= pm->a20_mask;
    const PhysRegion *r = find(pm, paddr);
    if (!r)
        return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
    if (r->kind != REGION_MMIO) {
        uint64_t v = 0;
        memcpy(&v, r->host + (paddr - r->base), (size_t)size);
        return v;
    }
    return mmio_read(r, paddr - r->base, size);
}

void phys_mem_write(PhysMem *pm, uint64_t paddr, int size, uint64_t val)
{
    paddr &= pm->a20_mask;
    const PhysRegion *r = find(pm, paddr);
    if (!r || r->kind == REGION_ROM)
        return;
    if (r->kind == REGION_RAM) {
        memcpy(r->host + (paddr - r->base), &val, (size_t)size);
        return;
    }
    mmio_write(r, paddr - r->base, size, val);
}
