/*
 * test_phys.c — the guest physical address space (mem/phys.c): RAM, ROM and MMIO regions, the
 * later-mapping-wins overlap rule, dropped ROM writes, MMIO access-size splitting, unassigned
 * memory reading all ones, and the A20 mask.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mem/phys.h"

/* An MMIO device backed by 64 bytes, logging every access it gets. */
typedef struct Dev {
    uint8_t regs[64];
    int n;
    uint64_t off[32];
    int size[32];
    char kind[32];
} Dev;

static void note(Dev *d, char k, uint64_t off, int size)
{
    if (d->n < 32) {
        d->kind[d->n] = k;
        d->off[d->n] = off;
        d->size[d->n] = size;
        d->n++;
    }
}

static uint64_t dev_read(void *opaque, uint64_t off, int size)
{
    Dev *d = opaque;
    note(d, 'r', off, size);
    uint64_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint64_t)d->regs[(off + (uint64_t)i) & 63] << (8 * i);
    return v;
}

static void dev_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    Dev *d = opaque;
    note(d, 'w', off, size);
    for (int i = 0; i < size; i++)
        d->regs[(off + (uint64_t)i) & 63] = (uint8_t)(val >> (8 * i));
}

static const MemOps ops_4only = { dev_read, dev_write, 4, 4 };
static const MemOps ops_1to2 = { dev_read, dev_write, 1, 2 };
static const MemOps ops_any = { dev_read, dev_write, 1, 8 };

static void fill(Dev *d)
{
    memset(d, 0, sizeof(*d));
    for (int i = 0; i < 64; i++)
        d->regs[i] = (uint8_t)(0x10 + i);
}

START_TEST(phys_ram_page_ptr_and_reads_agree)
{
    PhysMem pm;
    uint8_t *ram = calloc(1, 0x4000);
    phys_init(&pm);
    ck_assert_int_eq(mem_map_ram(&pm, 0x10000, 0x4000, ram), 0);
    bool w = false;
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0x12345, &w), ram + 0x2000);
    ck_assert(w);
    phys_mem_write(&pm, 0x13ff8, 8, 0x8877665544332211ull);
    ck_assert_uint_eq(phys_mem_read(&pm, 0x13ff8, 8), 0x8877665544332211ull);
    ck_assert_uint_eq(ram[0x3ff8], 0x11);
    ck_assert_ptr_null(phys_page_ptr(&pm, 0x14000, &w));   /* just past the end */
    ck_assert_ptr_null(phys_page_ptr(&pm, 0xf000, &w));    /* just before */
    free(ram);
}
END_TEST

START_TEST(phys_unassigned_reads_all_ones_writes_ignored)
{
    PhysMem pm;
    phys_init(&pm);
    ck_assert_uint_eq(phys_mem_read(&pm, 0x1000, 1), 0xff);
    ck_assert_uint_eq(phys_mem_read(&pm, 0x1000, 2), 0xffff);
    ck_assert_uint_eq(phys_mem_read(&pm, 0x1000, 4), 0xffffffffu);
    ck_assert_uint_eq(phys_mem_read(&pm, 0xfffffffff000ull, 8), ~0ull);
    phys_mem_write(&pm, 0x1000, 4, 0);   /* must not crash */
    bool w;
    ck_assert_ptr_null(phys_page_ptr(&pm, 0x1000, &w));
}
END_TEST

START_TEST(phys_rom_over_ram_later_mapping_wins_writes_dropped)
{
    PhysMem pm;
    uint8_t *ram = calloc(1, 0x100000);
    uint8_t rom[0x2000];
    memset(rom, 0xea, sizeof(rom));
    phys_init(&pm);
    ck_assert_int_eq(mem_map_ram(&pm, 0, 0x100000, ram), 0);
    ck_assert_int_eq(mem_map_rom(&pm, 0xe0000, 0x2000, rom), 0);
    bool w = true;
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0xe1fff, &w), rom + 0x1000);
    ck_assert(!w);
    phys_mem_write(&pm, 0xe0010, 4, 0x12345678);
    ck_assert_uint_eq(phys_mem_read(&pm, 0xe0010, 4), 0xeaeaeaeau);
    ck_assert_uint_eq(ram[0xe0010], 0);      /* the RAM underneath is untouched too */
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0xe2000, &w), ram + 0xe2000);
    ck_assert(w);
    free(ram);
}
END_TEST

START_TEST(phys_map_unaligned_or_full_fails)
{
    PhysMem pm;
    uint8_t buf[0x2000];
    phys_init(&pm);
    ck_assert_int_eq(mem_map_ram(&pm, 0x1001, 0x1000, buf), -1);
    ck_assert_int_eq(mem_map_ram(&pm, 0x1000, 0x1800, buf), -1);
    ck_assert_int_eq(mem_map_ram(&pm, 0x1000, 0, buf), -1);
    for (int i = 0; i < PHYS_MAX_REGIONS; i++)
        ck_assert_int_eq(mem_map_rom(&pm, (uint64_t)i << 12, 0x1000, buf), 0);
    ck_assert_int_eq(mem_map_rom(&pm, 0x100000, 0x1000, buf), -1);
}
END_TEST

START_TEST(phys_mmio_supported_size_passed_through)
{
    PhysMem pm;
    Dev d;
    fill(&d);
    phys_init(&pm);
    ck_assert_int_eq(mem_map_mmio(&pm, 0xfee00000ull, 0x1000, &ops_any, &d), 0);
    bool w;
    ck_assert_ptr_null(phys_page_ptr(&pm, 0xfee00000ull, &w));
    ck_assert_uint_eq(phys_mem_read(&pm, 0xfee00008ull, 8), 0x1f1e1d1c1b1a1918ull);
    ck_assert_int_eq(d.n, 1);
    ck_assert_uint_eq(d.off[0], 8);
    ck_assert_int_eq(d.size[0], 8);
    phys_mem_write(&pm, 0xfee00002ull, 2, 0xbeef);
    ck_assert_int_eq(d.n, 2);
    ck_assert_uint_eq(d.regs[2], 0xef);
    ck_assert_uint_eq(d.regs[3], 0xbe);
}
END_TEST

START_TEST(phys_mmio_wide_access_split_into_max_size)
{
    PhysMem pm;
    Dev d;
    fill(&d);
    phys_init(&pm);
    mem_map_mmio(&pm, 0x10000, 0x1000, &ops_1to2, &d);
    ck_assert_uint_eq(phys_mem_read(&pm, 0x10004, 8), 0x131211100f0e0d0cull + 0x0808080808080808ull);
    ck_assert_int_eq(d.n, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(d.kind[i], 'r');
        ck_assert_int_eq(d.size[i], 2);
        ck_assert_uint_eq(d.off[i], 4 + 2 * (uint64_t)i);
    }
    d.n = 0;
    phys_mem_write(&pm, 0x10020, 4, 0xa1b2c3d4);
    ck_assert_int_eq(d.n, 2);
    ck_assert_int_eq(d.size[0], 2);
    ck_assert_int_eq(d.size[1], 2);
    ck_assert_uint_eq(d.regs[0x20], 0xd4);
    ck_assert_uint_eq(d.regs[0x23], 0xa1);
}
END_TEST

START_TEST(phys_mmio_narrow_access_widened_read_modify_write)
{
    PhysMem pm;
    Dev d;
    fill(&d);
    phys_init(&pm);
    mem_map_mmio(&pm, 0x10000, 0x1000, &ops_4only, &d);
    ck_assert_uint_eq(phys_mem_read(&pm, 0x10005, 1), 0x15);
    ck_assert_int_eq(d.n, 1);
    ck_assert_int_eq(d.size[0], 4);
    ck_assert_uint_eq(d.off[0], 4);
    d.n = 0;
    phys_mem_write(&pm, 0x10006, 2, 0xaabb);
    ck_assert_int_eq(d.n, 2);                   /* read the dword, write it back merged */
    ck_assert_int_eq(d.kind[0], 'r');
    ck_assert_int_eq(d.kind[1], 'w');
    ck_assert_uint_eq(d.off[1], 4);
    ck_assert_uint_eq(d.regs[4], 0x14);
    ck_assert_uint_eq(d.regs[5], 0x15);
    ck_assert_uint_eq(d.regs[6], 0xbb);
    ck_assert_uint_eq(d.regs[7], 0xaa);
}
END_TEST

START_TEST(phys_mmio_narrow_access_across_pieces_gets_all_bytes)
{
    PhysMem pm;
    Dev d;
    fill(&d);
    phys_init(&pm);
    mem_map_mmio(&pm, 0x10000, 0x1000, &ops_4only, &d);
    /* a 2-byte access at offset 3 covers bytes of two dwords */
    ck_assert_uint_eq(phys_mem_read(&pm, 0x10003, 2), 0x1413);
    phys_mem_write(&pm, 0x10003, 2, 0xccdd);
    ck_assert_uint_eq(d.regs[2], 0x12);
    ck_assert_uint_eq(d.regs[3], 0xdd);
    ck_assert_uint_eq(d.regs[4], 0xcc);
    ck_assert_uint_eq(d.regs[5], 0x15);
    for (int i = 0; i < d.n; i++) {
        ck_assert_int_eq(d.size[i], 4);
        ck_assert_uint_eq(d.off[i] & 3, 0);
    }
}
END_TEST

START_TEST(phys_a20_off_wraps_at_1mib)
{
    PhysMem pm;
    uint8_t *ram = calloc(1, 0x200000);
    phys_init(&pm);
    mem_map_ram(&pm, 0, 0x200000, ram);
    ram[0x1234] = 0x11;
    ram[0x101234] = 0x22;
    ck_assert_uint_eq(phys_mem_read(&pm, 0x101234, 1), 0x22);
    pm.a20_mask = ~(1ull << 20);
    ck_assert_uint_eq(phys_mem_read(&pm, 0x101234, 1), 0x11);
    bool w;
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0x101234, &w), ram + 0x1000);
    phys_mem_write(&pm, 0x1fffff, 1, 0x33);
    ck_assert_uint_eq(ram[0xfffff], 0x33);
    ck_assert_uint_eq(ram[0x1fffff], 0);
    free(ram);
}
END_TEST

/* Lookups remember the range their answer holds for (find() in phys.c); every change of the map
 * must be seen by the next lookup, also one inside a range answered before. */
START_TEST(phys_lookup_after_map_change_sees_new_region)
{
    PhysMem pm;
    Dev d;
    fill(&d);
    uint8_t *ram = calloc(1, 0x100000);
    uint8_t rom[0x1000], shadow[0x1000];
    phys_init(&pm);
    ck_assert_int_eq(mem_map_ram(&pm, 0, 0x100000, ram), 0);
    ck_assert_int_eq(mem_map_rom(&pm, 0x40000, 0x1000, rom), 0);
    bool w;
    /* answered below and above the ROM hole, then in it */
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0x3f000, &w), ram + 0x3f000);
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0x41000, &w), ram + 0x41000);
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0x40fff, &w), rom);
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0x3ffff, &w), ram + 0x3f000);
    /* a region mapped later over a range answered as RAM */
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0x80000, &w), ram + 0x80000);
    ck_assert_int_eq(mem_map_mmio(&pm, 0x80000, 0x1000, &ops_any, &d), 0);
    ck_assert_ptr_null(phys_page_ptr(&pm, 0x80000, &w));
    ck_assert_uint_eq(phys_mem_read(&pm, 0x80000, 1), 0x10);
    /* an MMIO page moved into a range answered as RAM, and out of its old place */
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0x90000, &w), ram + 0x90000);
    ck_assert_int_eq(mem_move_mmio(&pm, &d, 0x90000), 0);
    ck_assert_ptr_null(phys_page_ptr(&pm, 0x90000, &w));
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0x80000, &w), ram + 0x80000);
    /* a shadow region whose backings change after a lookup */
    ck_assert_int_eq(mem_map_shadow(&pm, 0xc0000, 0x1000, rom, NULL), 0);
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0xc0000, &w), rom);
    ck_assert(!w);
    ck_assert_int_eq(mem_set_shadow(&pm, 0xc0000, shadow, shadow), 0);
    ck_assert_ptr_eq(phys_page_ptr(&pm, 0xc0000, &w), shadow);
    ck_assert(w);
    free(ram);
}
END_TEST

static Suite *phys_suite(void)
{
    Suite *s = suite_create("phys");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, phys_ram_page_ptr_and_reads_agree);
    tcase_add_test(tc, phys_unassigned_reads_all_ones_writes_ignored);
    tcase_add_test(tc, phys_rom_over_ram_later_mapping_wins_writes_dropped);
    tcase_add_test(tc, phys_map_unaligned_or_full_fails);
    tcase_add_test(tc, phys_mmio_supported_size_passed_through);
    tcase_add_test(tc, phys_mmio_wide_access_split_into_max_size);
    tcase_add_test(tc, phys_mmio_narrow_access_widened_read_modify_write);
    tcase_add_test(tc, phys_mmio_narrow_access_across_pieces_gets_all_bytes);
    tcase_add_test(tc, phys_a20_off_wraps_at_1mib);
    tcase_add_test(tc, phys_lookup_after_map_change_sees_new_region);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(phys_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
