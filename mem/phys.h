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

typedef struct PhysMem {
    PhysRegion r[PHYS_MAX_REGIONS];
    int n;
    uint64_t a20_mask;        /* ~0 with A20 on, ~(1 << 20) with A20 off */
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
uint64_t phys_mem_read(PhysMem *pm, uint64_t paddr, int size);
void phys_mem_write(PhysMem *pm, uint64_t paddr, int size, uint64_t val);
/* For a device's DMA: the host bytes behind [paddr, paddr + len), a range inside one page, in the
 * read (write = false) or write backing of the region there; NULL when it has none.  No A20
 * masking (bus masters do not see it). */
uint8_t *phys_dma_ptr(PhysMem *pm, uint64_t paddr, uint64_t len, bool write);

#endif
