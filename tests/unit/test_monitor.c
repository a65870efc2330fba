/*
 * test_monitor.c — the side-effect-free page walk (mem/paging.c paging_debug_walk) and the
 * monitor's bounds against hostile page tables (debug/monitor.c), on a VM booted from a ROM
 * whose CPU state the tests set by hand (4-level paging, tables written straight into RAM);
 * and the monitor's screendump, savevm and loadvm on the vga-text guest (tests/guest/vga-text.asm).
 *
 * usage: test_monitor ROM VGA_TEXT_ROM VGA_TEXT_EXPECTED
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debug/monitor.h"
#include "mem/paging.h"
#include "vm/state.h"

static const char *rom_path, *vga_rom_path, *vga_expected_path;

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

/* The vga-text guest after it has drawn its screen (the instruction count tests/display's
 * screen-test.sh takes its screenshot at). */
static Vm *vm_vga_text(void)
{
    VmConfig cfg = { .ram_size = 32ull << 20, .bios = vga_rom_path, .rtc_base = 1767225600 };
    char err[256];
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    vm_run(vm, 900000);
    return vm;
}

static char *tmp_path(const char *name)
{
    const char *dir = getenv("TMPDIR");
    char *p = malloc(512);
    snprintf(p, 512, "%s/test_monitor-%d-%s", dir && *dir ? dir : "/tmp", (int)getpid(), name);
    return p;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = calloc(1, 1 << 16);
    fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

START_TEST(monitor_screendump_text_guest_matches_expected)
{
    Vm *vm = vm_vga_text();
    char *path = tmp_path("screen.txt");
    MonOut out = { 0 };
    char line[600];
    snprintf(line, sizeof(line), "screendump %s", path);
    ck_assert_int_eq(monitor_exec(vm, NULL, line, &out), MON_NONE);
    ck_assert_msg(out.len == 0, "%s", out.p);
    char *got = slurp(path), *want = slurp(vga_expected_path);
    ck_assert_str_eq(got, want);
    unlink(path);
    free(got);
    free(want);
    free(path);
    monout_free(&out);
    vm_free(vm);
}
END_TEST

START_TEST(monitor_screendump_unwritable_path_says_why)
{
    Vm *vm = vm_vga_text();
    MonOut out = { 0 };
    monitor_exec(vm, NULL, "screendump /nonexistent-dir/screen.png", &out);
    ck_assert_msg(out.p && strstr(out.p, "screendump: "), "%s", out.p ? out.p : "(nothing)");
    monout_free(&out);
    monitor_exec(vm, NULL, "screendump", &out);
    ck_assert_msg(out.p && strstr(out.p, "needs an argument"), "%s", out.p ? out.p : "(nothing)");
    monout_free(&out);
    vm_free(vm);
}
END_TEST

START_TEST(monitor_screendump_without_vga_says_no_adapter)
{
    VmConfig cfg = { .ram_size = 32ull << 20, .bios = rom_path, .rtc_base = 1767225600, .no_vga = true };
    char err[256];
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    MonOut out = { 0 };
    monitor_exec(vm, NULL, "screendump /tmp/never-written.txt", &out);
    ck_assert_msg(out.p && strstr(out.p, "no display adapter"), "%s", out.p ? out.p : "(nothing)");
    ck_assert(access("/tmp/never-written.txt", F_OK) != 0);
    monout_free(&out);
    vm_free(vm);
}
END_TEST

START_TEST(monitor_savevm_loadvm_round_trip_restores_state_hash)
{
    Vm *vm = vm_vga_text();
    char *path = tmp_path("snap.svs");
    char line[600];
    MonOut out = { 0 };
    snprintf(line, sizeof(line), "savevm %s", path);
    ck_assert_int_eq(monitor_exec(vm, NULL, line, &out), MON_NONE);
    ck_assert_msg(out.len == 0, "%s", out.p);
    uint64_t saved = vm_state_hash(vm), at = vm->cpu->icount;
    vm_run(vm, 100000);                        /* move on: the state changes */
    ck_assert_uint_ne(vm->cpu->icount, at);
    snprintf(line, sizeof(line), "loadvm %s", path);
    ck_assert_int_eq(monitor_exec(vm, NULL, line, &out), MON_STOP);
    ck_assert_msg(out.p && strstr(out.p, "loaded"), "%s", out.p ? out.p : "(nothing)");
    ck_assert_uint_eq(vm->cpu->icount, at);
    ck_assert_uint_eq(vm_state_hash(vm), saved);
    ck_assert_uint_eq(vm_state_hash_full(vm), saved);
    unlink(path);
    free(path);
    monout_free(&out);
    vm_free(vm);
}
END_TEST

START_TEST(monitor_loadvm_bad_file_leaves_state_unchanged)
{
    /* A snapshot of another moment cut in the middle: the load fails part-way, after it has
     * overwritten some of the state; the monitor must put the whole previous state back. */
    Vm *vm = vm_vga_text();
    char *path = tmp_path("bad.svs");
    char err[256];
    ck_assert_msg(vm_snapshot_save(vm, path, err, sizeof(err)), "%s", err);
    vm_run(vm, 100000);
    FILE *f = fopen(path, "r+b");
    ck_assert(f != NULL);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ck_assert_int_eq(truncate(path, size / 2), 0);
    uint64_t before = vm_state_hash(vm);
    char line[600];
    MonOut out = { 0 };
    snprintf(line, sizeof(line), "loadvm %s", path);
    ck_assert_int_eq(monitor_exec(vm, NULL, line, &out), MON_NONE);
    ck_assert_msg(out.p && strstr(out.p, "unchanged"), "%s", out.p ? out.p : "(nothing)");
    ck_assert_uint_eq(vm_state_hash(vm), before);
    monout_free(&out);
    monitor_exec(vm, NULL, "loadvm /nonexistent-dir/snap.svs", &out);
    ck_assert_msg(out.p && strstr(out.p, "cannot open"), "%s", out.p ? out.p : "(nothing)");
    ck_assert_uint_eq(vm_state_hash(vm), before);
    unlink(path);
    free(path);
    monout_free(&out);
    vm_free(vm);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    rom_path = argv[1];
    vga_rom_path = argv[2];
    vga_expected_path = argv[3];
    Suite *s = suite_create("monitor");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, paging_debug_walk_present_page_sets_no_accessed_or_dirty_bit);
    tcase_add_test(tc, monitor_info_tlb_shared_empty_tables_walk_is_cut);
    tcase_add_test(tc, monitor_x_unmapped_address_says_cannot_access);
    tcase_add_test(tc, monitor_screendump_text_guest_matches_expected);
    tcase_add_test(tc, monitor_screendump_unwritable_path_says_why);
    tcase_add_test(tc, monitor_screendump_without_vga_says_no_adapter);
    tcase_add_test(tc, monitor_savevm_loadvm_round_trip_restores_state_hash);
    tcase_add_test(tc, monitor_loadvm_bad_file_leaves_state_unchanged);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
