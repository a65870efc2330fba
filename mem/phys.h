/*
 * phys.h — the guest physical address space: RAM, ROM and MMIO regions (STYLE rule 2).
 *
 * Regions are page-aligned.  A later mapping overrides an earlier one where they overlap (the
 * BIOS alias at 0xE0000 over RAM).  A memory region has a read backing and a write backing: RAM
 * has the same buffer for both, ROM no write backing (writes dropped), and a shadow region (the
 * i440FX PAM segments) any pair the chipset selects, either of them absent (reads all ones,
 * writes dropped); a region whose two sides differ never takes the TLB fast path.  MMIO regions
 * declare the access sizes their ops accept; the bus splits other accesses into those sizes.  Unassigned addresses read as all ones and ignore
 * writes.  The A20 gate masks bit 20 of every physical address when disabled.
 */
#ifndef SOFTVISOR_PHYS_H
#define SOFTVISOR_PHYS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct MemOps {
    uint64_t (*read)(void *opaque, uint64_t off, int size);
    void (*write)(void *opaque, uint64_t off, int size, uint64_t val);
    int min_size, max_size;   /* accepted access sizes in bytes */
} MemOps;

enum { REGION_RAM, REGION_ROM, REGION_SHADOW, REGION_MMIO };

typedef struct PhysRegion {
    uint64_t base, size;
    int kind;
    uint8_t *host;            /* read backing (RAM, ROM, shadow; NULL: reads all ones) */
    uint8_t *wr;              /* write backing (RAM, shadow; NULL: writes dropped) */
    const MemOps *ops;        /* MMIO */
    void *opaque;
} PhysRegion;

#define PHYS_MAX_REGIONS 48

/* Dirty-page tracking over the VM's one RAM block, one bitmap per client; each client clears its
 * own bitmap when it has looked at the pages.  Every write path marks the page in all of them:
 * the CPU's TLB gives a RAM page a write tag only after marking it (and a client that clears its
 * bitmap drops every write tag, tlb_drop_write_tags), the CPU's physical slow path and
 * phys_mem_write mark what they write, and whoever writes guest RAM directly (loaders, snapshot
 * loads) calls phys_mark_all_dirty. */
enum {
    PHYS_DIRTY_HASH,          /* vm/state.c: the per-page hash cache of vm_state_hash */
    PHYS_DIRTY_CHECKPOINT,    /* vm/state.c: in-memory checkpoints */
    PHYS_DIRTY_CLIENTS
};

typedef struct PhysMem {
    PhysRegion r[PHYS_MAX_REGIONS];
    int n;
    /* The last lookup's answer, a host cache (find() in phys.c): addresses in
     * [hit_lo, hit_lo + hit_len) belong to region r[hit], which no later region overlaps there.
     * hit_len 0: empty.  Every change of the map empties it. */
    uint64_t hit_lo, hit_len;
    int hit;
    uint64_t a20_mask;        /* ~0 with A20 on, ~(1 << 20) with A20 off */
    uint8_t *ram_host;        /* the RAM block the dirty bitmaps cover (NULL: no tracking) */
    uint64_t ram_pages;
    uint64_t *dirty[PHYS_DIRTY_CLIENTS];   /* bit n: RAM page n written since the client cleared it */
} PhysMem;

void phys_init(PhysMem *pm);
/* Return 0, or -1 when the table is full or the region is not page-aligned. */
int mem_map_ram(PhysMem *pm, uint64_t base, uint64_t size, uint8_t *host);
int mem_map_rom(PhysMem *pm, uint64_t base, uint64_t size, uint8_t *host);
int mem_map_mmio(PhysMem *pm, uint64_t base, uint64_t size, const MemOps *ops, void *opaque);
/* A shadow region read from `rd` and written to `wr` (either NULL), and later changes of the
 * backings of the shadow region that starts at `base` (-1 when there is none).  The caller
 * flushes the CPU's TLB and the decoded blocks of the region. */
int mem_map_shadow(PhysMem *pm, uint64_t base, uint64_t size, uint8_t *rd, uint8_t *wr);
int mem_set_shadow(PhysMem *pm, uint64_t base, uint8_t *rd, uint8_t *wr);
/* Moves the MMIO region(s) whose opaque is `opaque` to `base` (page-aligned), keeping their place
 * in the override order (the local APIC's relocatable page).  Returns -1 when none or unaligned. */
int mem_move_mmio(PhysMem *pm, void *opaque, uint64_t base);

uint8_t *phys_page_ptr(PhysMem *pm, uint64_t paddr, bool *writable);

/* Dirty tracking (see above): bitmaps for `pages` pages of RAM at `ram`, all pages dirty.  Returns
 * -1 when out of memory. */
int phys_dirty_init(PhysMem *pm, uint8_t *ram, uint64_t pages);
void phys_dirty_free(PhysMem *pm);
/* Marks the RAM page holding guest-physical address `paddr` (nothing for ROM, MMIO, holes). */
void phys_mark_dirty(PhysMem *pm, uint64_t paddr);
void phys_mark_all_dirty(PhysMem *pm);

static inline void phys_mark_dirty_host(PhysMem *pm, const uint8_t *host)
{
    uint64_t page = (uint64_t)(host - pm->ram_host) >> 12;
    if (pm->ram_host && host >= pm->ram_host && page < pm->ram_pages)
        for (int c = 0; c < PHYS_DIRTY_CLIENTS; c++)
            pm->dirty[c][page >> 6] |= 1ull << (page & 63);
}
uint64_t phys_mem_read(PhysMem *pm, uint64_t paddr, int size);
void phys_mem_write(PhysMem *pm, uint64_t paddr, int size, uint64_t val);
/* For a device's DMA: the host bytes behind [paddr, paddr + len), a range inside one page, in the
 * read (write = false) or write backing of the region there; NULL when it has none.  No A20
 * masking (bus masters do not see it). */
uint8_t *phys_dma_ptr(PhysMem *pm, uint64_t paddr, uint64_t len, bool write);

#endif
