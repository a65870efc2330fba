/*
 * test_monitor.c — the side-effect-free page walk (mem/paging.c paging_debug_walk) and the
 * monitor's bounds against hostile page tables (debug/monitor.c), on a VM booted from a ROM
 * whose CPU state the tests set by hand (4-level paging, tables written straight into RAM).
 *
 * usage: test_monitor ROM
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "debug/monitor.h"
#include "mem/paging.h"

static const char *rom_path;

static Vm *vm_paged(void)
{
    VmConfig cfg = { .ram_size = 32ull << 20, .bios = rom_path, .rtc_base = 1767225600 };
    char err[256];
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    Cpu *cpu = vm->cpu;
    cpu->cr0 |= CR0_PE | CR0_PG;
    cpu->cr4 |= CR4_PAE;
    cpu->efer |= EFER_LME | EFER_LMA;
    cpu->cr3 = 0x10000;
    return vm;
}

static void put64(Vm *vm, uint64_t pa, uint64_t v)
{
    memcpy(vm->ram + pa, &v, 8);
}

static uint64_t get64(Vm *vm, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, vm->ram + pa, 8);
    return v;
}

START_TEST(paging_debug_walk_present_page_sets_no_accessed_or_dirty_bit)
{
    Vm *vm = vm_paged();
    put64(vm, 0x10000, 0x11000 | 3);      /* PML4E 0 -> PDPT */
    put64(vm, 0x11000, 0x12000 | 3);      /* PDPTE 0 -> PD */
    put64(vm, 0x12000, 0x13000 | 3);      /* PDE 0 -> PT */
    put64(vm, 0x13000 + 5 * 8, 0x40000 | 3);   /* PTE 5: linear 0x5000 -> 0x40000 */
    PagingTrace t;
    ck_assert(paging_debug_walk(vm->cpu, 0x5123, ACC_WRITE, 0, &t));
    ck_assert_uint_eq(t.pa, 0x40123);
    ck_assert_int_eq(t.n, 4);
    ck_assert_uint_eq(get64(vm, 0x10000), 0x11003);   /* no A, no D anywhere */
    ck_assert_uint_eq(get64(vm, 0x13000 + 5 * 8), 0x40003);
    ck_assert(!paging_debug_walk(vm->cpu, 0x6000, ACC_READ, 0, &t));   /* PTE 6 absent */
    ck_assert_uint_eq(t.fault_err, 0);
    ck_assert_uint_eq(vm->cpu->cr2, 0);   /* no fault delivered */
    vm_free(vm);
}
END_TEST

START_TEST(monitor_info_tlb_shared_empty_tables_walk_is_cut)
{
    /* Every PML4E points at one PDPT, every PDPTE at one PD, every PDE at one empty page
     * table: 512^3 entries to read, no mapping to print.  The monitor must give up, not hang. */
    Vm *vm = vm_paged();
    for (int i = 0; i < 512; i++) {
        put64(vm, 0x10000 + i * 8, 0x11000 | 3);
        put64(vm, 0x11000 + i * 8, 0x12000 | 3);
        put64(vm, 0x12000 + i * 8, 0x13000 | 3);
    }
    MonOut out = { 0 };
    monitor_exec(vm, NULL, "info tlb", &out);
    ck_assert(out.p && strstr(out.p, "walk cut after"));
    monout_free(&out);
    vm_free(vm);
}
END_TEST

START_TEST(monitor_x_unmapped_address_says_cannot_access)
{
    Vm *vm = vm_paged();
    MonOut out = { 0 };
    monitor_exec(vm, NULL, "x/4xw 0xffff800000000000", &out);
    ck_assert_msg(strstr(out.p, "Cannot access memory"), "%s", out.p);
    monout_free(&out);
    vm_free(vm);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    rom_path = argv[1];
    Suite *s = suite_create("monitor");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, paging_debug_walk_present_page_sets_no_accessed_or_dirty_bit);
    tcase_add_test(tc, monitor_info_tlb_shared_empty_tables_walk_is_cut);
    tcase_add_test(tc, monitor_x_unmapped_address_says_cannot_access);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
