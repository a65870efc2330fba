/*
 * test_blocks.c — the decoded-block cache (cpu/decode.c): blocks are keyed by (guest physical
 * address, mode key), end at page ends / BLOCK_MAX_INSNS / HLT, may hold one instruction that
 * straddles two pages, and are dropped when the guest writes to a page holding them (self-
 * modifying code), whichever linear alias the write uses.
 *
 * Code is run with cpu_run() on the fake bus; every program ends in HLT (CPU_EXIT_HALT).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/decode.h"
#include "cpu/seg.h"
#include "vm/vm.h"
#include "tests/unit/fake_bus.h"

#define RAM (4u << 20)

static void put(FakeBus *fb, uint64_t pa, const uint8_t *code, size_t n)
{
    memcpy(fb->ram + pa, code, n);
}

static CpuExit run_at(FakeBus *fb, uint64_t rip)
{
    fb->cpu->halted = false;
    fb->cpu->rip = rip;
    return fb_run(fb, 1000);
}

/* 2-level paging with an empty page directory at 0x100000; page tables from 0x101000. */
static void paging_on(FakeBus *fb)
{
    fb_mode_pm32(fb);
    memset(fb->ram + 0x100000, 0, 0x2000);
    fb_poke(fb, 0x100000 + (0x400000 >> 22) * 4, 4, 0x101000 | 7);   /* PDE for 4-8 MiB */
    fb->cpu->cr3 = 0x100000;
    fb->cpu->cr0 |= CR0_PG;
    cpu_flush_tlb(fb->cpu, true);
}

static void map(FakeBus *fb, uint32_t lin, uint32_t pa)
{
    ck_assert_uint_eq(lin >> 22, 1);
    fb_poke(fb, 0x101000 + ((lin >> 12) & 0x3ff) * 4, 4, pa | 0x67);   /* P RW US A D */
    tlb_flush_page(&fb->cpu->tlb, lin);
}

START_TEST(block_same_bytes_other_mode_decoded_separately)
{
    /* 32-bit: mov eax, 0xF4F41234 / hlt     16-bit: mov ax, 0x1234 / hlt */
    static const uint8_t code[] = { 0xb8, 0x34, 0x12, 0xf4, 0xf4, 0xf4 };
    FakeBus *fb = fb_new(RAM);
    put(fb, 0x1000, code, sizeof(code));
    fb_mode_pm32(fb);
    ck_assert_int_eq(run_at(fb, 0x1000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0xf4f41234u);
    fb->cpu->gpr[R_AX] = 0xaaaa0000u;
    fb_mode_real(fb);
    ck_assert_int_eq(run_at(fb, 0x1000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0xaaaa1234u);
    ck_assert_uint_eq(fb->cpu->rip, 0x1004);
    fb_mode_pm32(fb);
    ck_assert_int_eq(run_at(fb, 0x1000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0xf4f41234u);
    fb_free(fb);
}
END_TEST

START_TEST(block_same_linear_other_physical_runs_new_code)
{
    static const uint8_t one[] = { 0xb8, 0x01, 0, 0, 0, 0xf4 };   /* mov eax, 1 / hlt */
    static const uint8_t two[] = { 0xb8, 0x02, 0, 0, 0, 0xf4 };   /* mov eax, 2 / hlt */
    FakeBus *fb = fb_new(RAM);
    put(fb, 0x10000, one, sizeof(one));
    put(fb, 0x11000, two, sizeof(two));
    paging_on(fb);
    map(fb, 0x400000, 0x10000);
    ck_assert_int_eq(run_at(fb, 0x400000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 1);
    map(fb, 0x400000, 0x11000);
    ck_assert_int_eq(run_at(fb, 0x400000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 2);
    map(fb, 0x400000, 0x10000);
    ck_assert_int_eq(run_at(fb, 0x400000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 1);
    fb_free(fb);
}
END_TEST

START_TEST(block_guest_write_to_code_page_invalidates_block)
{
    static const uint8_t code[] = { 0xb8, 0x11, 0x11, 0x11, 0x11, 0xf4 };   /* mov eax, 0x11111111 / hlt */
    FakeBus *fb = fb_new(RAM);
    put(fb, 0x1000, code, sizeof(code));
    fb_mode_pm32(fb);
    /* a data write first, so the page has a fast-path write tag before it holds code */
    ck_assert_int_eq(fb_try_write(fb, 0x1800, 4, 7, 0), -1);
    ck_assert_uint_eq(fb->cpu->tlb.e[0][1].tag_w, 0x1000);
    ck_assert_int_eq(run_at(fb, 0x1000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0x11111111);
    ck_assert_uint_eq(fb->cpu->tlb.e[0][1].tag_w, TLB_INVALID);   /* code page: stores go slow */
    ck_assert(block_page_has_code(fb->cpu, 0x1000));
    /* patch the immediate through the CPU's memory path, as a guest store would */
    ck_assert_int_eq(fb_try_write(fb, 0x1001, 4, 0x22222222, 0), -1);
    ck_assert(!block_page_has_code(fb->cpu, 0x1000));
    ck_assert_int_eq(run_at(fb, 0x1000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0x22222222);
    /* a write elsewhere on the page also drops the block (page granularity) but changes nothing */
    ck_assert_int_eq(fb_try_write(fb, 0x1ff0, 1, 0, 0), -1);
    ck_assert(!block_page_has_code(fb->cpu, 0x1000));
    ck_assert_int_eq(run_at(fb, 0x1000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0x22222222);
    fb_free(fb);
}
END_TEST

START_TEST(block_store_into_own_block_runs_patched_instruction)
{
    static const uint8_t code[] = {
        0xc6, 0x05, 0x08, 0x10, 0x00, 0x00, 0x22,   /* 1000: mov byte [0x1008], 0x22 */
        0xb8, 0x11, 0x11, 0x11, 0x11,               /* 1007: mov eax, 0x11111111 (imm at 1008) */
        0xf4,                                       /* 100c: hlt */
    };
    FakeBus *fb = fb_new(RAM);
    put(fb, 0x1000, code, sizeof(code));
    fb_mode_pm32(fb);
    ck_assert_int_eq(run_at(fb, 0x1000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0x11111122);
    ck_assert_uint_eq(fb->cpu->icount, 3);
    fb_free(fb);
}
END_TEST

START_TEST(block_write_through_alias_invalidates_block)
{
    static const uint8_t code[] = { 0xb8, 0x33, 0x33, 0x33, 0x33, 0xf4 };
    FakeBus *fb = fb_new(RAM);
    put(fb, 0x12000, code, sizeof(code));
    paging_on(fb);
    map(fb, 0x400000, 0x12000);   /* code alias */
    map(fb, 0x7ff000, 0x12000);   /* data alias */
    ck_assert_int_eq(fb_try_write(fb, 0x7ff800, 4, 1, 0), -1);   /* data alias gets a write tag */
    ck_assert_int_eq(run_at(fb, 0x400000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0x33333333);
    ck_assert_int_eq(fb_try_write(fb, 0x7ff001, 2, 0x4444, 0), -1);
    ck_assert_int_eq(run_at(fb, 0x400000), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0x33334444);
    fb_free(fb);
}
END_TEST

START_TEST(block_straddling_instruction_runs_and_tracks_second_page)
{
    /* mov eax, 0x11223344 at lin 0x400ffd: B8 44 33 | 22 11, then hlt, on two scattered pages */
    FakeBus *fb = fb_new(RAM);
    static const uint8_t p1[] = { 0xb8, 0x44, 0x33 };
    static const uint8_t p2[] = { 0x22, 0x11, 0xf4 };
    static const uint8_t p3[] = { 0x66, 0x55, 0xf4 };
    put(fb, 0x20ffd, p1, 3);
    put(fb, 0x30000, p2, 3);
    put(fb, 0x31000, p3, 3);
    paging_on(fb);
    map(fb, 0x400000, 0x20000);
    map(fb, 0x401000, 0x30000);
    ck_assert_int_eq(run_at(fb, 0x400ffd), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0x11223344);
    ck_assert(block_page_has_code(fb->cpu, 0x30000));
    /* patch the second page through the CPU */
    ck_assert_int_eq(fb_try_write(fb, 0x401001, 1, 0x99, 0), -1);
    ck_assert_int_eq(run_at(fb, 0x400ffd), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0x99223344);
    /* remap the second page: the cached block must not be reused */
    map(fb, 0x401000, 0x31000);
    ck_assert_int_eq(run_at(fb, 0x400ffd), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 0x55663344);
    fb_free(fb);
}
END_TEST

START_TEST(block_straddle_into_unmapped_page_faults_on_second_page)
{
    FakeBus *fb = fb_new(RAM);
    static const uint8_t p1[] = { 0xb8, 0x44, 0x33 };
    put(fb, 0x20ffd, p1, 3);
    paging_on(fb);
    map(fb, 0x400000, 0x20000);
    fb->cpu->rip = 0x400ffd;
    uint32_t n;
    ck_assert_int_eq(fb_try_block(fb, &n), EXC_PF);
    ck_assert_uint_eq(fb->cpu->exc_error, 0);
    ck_assert_uint_eq(fb->cpu->cr2, 0x401000);
    fb_free(fb);
}
END_TEST

START_TEST(block_ends_at_hlt)
{
    static const uint8_t code[] = { 0x89, 0xd8, 0x89, 0xd9, 0xf4, 0x89, 0xda };   /* mov eax,ebx; mov ecx,ebx; hlt */
    FakeBus *fb = fb_new(RAM);
    put(fb, 0x1000, code, sizeof(code));
    fb_mode_pm32(fb);
    fb->cpu->rip = 0x1000;
    uint32_t n;
    ck_assert_int_eq(fb_try_block(fb, &n), -1);
    ck_assert_uint_eq(n, 3);
    fb_free(fb);
}
END_TEST

START_TEST(block_ends_at_page_end)
{
    FakeBus *fb = fb_new(RAM);
    for (uint32_t a = 0x1fc0; a < 0x2000; a += 2) {   /* 32 x mov eax, ebx up to the page end */
        fb->ram[a] = 0x89;
        fb->ram[a + 1] = 0xd8;
    }
    fb->ram[0x2000] = 0xf4;
    fb_mode_pm32(fb);
    fb->cpu->rip = 0x1fc0;
    uint32_t n;
    ck_assert_int_eq(fb_try_block(fb, &n), -1);
    ck_assert_uint_eq(n, 32);
    ck_assert(!block_page_has_code(fb->cpu, 0x2000));
    ck_assert_int_eq(run_at(fb, 0x1fc0), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->icount, 33);
    fb_free(fb);
}
END_TEST

START_TEST(block_long_straight_line_capped_at_max_insns)
{
    FakeBus *fb = fb_new(RAM);
    for (uint32_t a = 0x1000; a < 0x1000 + 2 * (BLOCK_MAX_INSNS + 10); a += 2) {
        fb->ram[a] = 0x89;
        fb->ram[a + 1] = 0xd8;
    }
    fb_mode_pm32(fb);
    fb->cpu->rip = 0x1000;
    uint32_t n;
    ck_assert_int_eq(fb_try_block(fb, &n), -1);
    ck_assert_uint_eq(n, BLOCK_MAX_INSNS);
    fb_free(fb);
}
END_TEST

START_TEST(block_run_budget_stops_mid_block_exactly)
{
    FakeBus *fb = fb_new(RAM);
    static const uint8_t code[] = { 0x40, 0x40, 0x40, 0x40, 0x40, 0xf4 };   /* 16-bit: inc ax x5 */
    put(fb, 0x1000, code, sizeof(code));
    fb_mode_real(fb);
    fb->cpu->rip = 0x1000;
    fb->cpu->gpr[R_AX] = 0;
    ck_assert_int_eq(fb_run(fb, 3), CPU_EXIT_BUDGET);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 3);
    ck_assert_uint_eq(fb->cpu->rip, 0x1003);
    ck_assert_uint_eq(fb->cpu->icount, 3);
    ck_assert_int_eq(fb_run(fb, 10), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 5);
    fb_free(fb);
}
END_TEST


START_TEST(block_16bit_ip_past_ffff_raises_gp_real_mode)
{
    /* CS = 0x1000: IP FFFE, FFFF hold "inc ax".  Both run; then EIP = 10000h is beyond the CS
     * limit FFFF, so the next fetch raises #GP (386 PRM 14.7, item 8: the 8086 would wrap to
     * IP 0000).  Neither linear 0x10000 (IP 0000) nor 0x20000 (the bytes after FFFF) runs; the
     * frame holds CS 1000 and the low 16 bits of EIP, 0000. */
    FakeBus *fb = fb_new(RAM);
    fb->ram[0x1fffe] = 0x40;
    fb->ram[0x1ffff] = 0x40;
    fb->ram[0x20000] = 0x40;     /* must not run */
    fb->ram[0x20001] = 0xf4;
    fb->ram[0x10000] = 0x40;     /* must not run either */
    fb->ram[0x10001] = 0xf4;
    fb->ram[13 * 4] = 0x00;      /* IVT 13 -> 0000:0500, a HLT */
    fb->ram[13 * 4 + 1] = 0x05;
    fb->ram[0x500] = 0xf4;
    fb_mode_real(fb);
    seg_set_real(fb->cpu, SEG_CS, 0x1000);
    cpu_update_mode(fb->cpu);
    fb->cpu->gpr[R_AX] = 0;
    fb->cpu->gpr[R_SP] = 0x7000;
    ck_assert_int_eq(run_at(fb, 0xfffe), CPU_EXIT_HALT);
    ck_assert_uint_eq(fb->cpu->gpr[R_AX], 2);
    ck_assert_uint_eq(fb->cpu->seg[SEG_CS].sel, 0);
    ck_assert_uint_eq(fb->cpu->rip, 0x501);
    ck_assert_uint_eq(fb->cpu->gpr[R_SP], 0x7000 - 6);
    ck_assert_uint_eq(fb->ram[0x6ffa] | fb->ram[0x6ffb] << 8, 0x0000);   /* IP */
    ck_assert_uint_eq(fb->ram[0x6ffc] | fb->ram[0x6ffd] << 8, 0x1000);   /* CS */
    fb_free(fb);
}
END_TEST

/* A20 off (port 0x92 bit 1 clear): FFFF:1010 = linear 0x101000 reaches physical 0x001000.  The
 * block cache is keyed by physical address, so the block decoded at 0x101000 with A20 on must
 * not run with A20 off, and a store through the 1 MiB alias must invalidate code at 0x1000. */
START_TEST(block_a20_off_alias_runs_and_invalidates_wrapped_code)
{
    char path[] = "/tmp/softvisor-test-bios-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *rom = calloc(1, 4096);
    rom[0xff0] = 0xf4;
    ck_assert_int_eq(write(fd, rom, 4096), 4096);
    close(fd);
    free(rom);
    char err[256];
    VmConfig cfg = { .ram_size = 4u << 20, .bios = path };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    unlink(path);
    ck_assert_msg(vm != NULL, "%s", err);
    static const uint8_t one[] = { 0xb8, 0x01, 0x00, 0xf4 };   /* mov ax, 1 / hlt */
    static const uint8_t two[] = { 0xb8, 0x02, 0x00, 0xf4 };   /* mov ax, 2 / hlt */
    memcpy(vm->ram + 0x1000, one, sizeof(one));
    memcpy(vm->ram + 0x101000, two, sizeof(two));
    Cpu *cpu = vm->cpu;
    seg_set_real(cpu, SEG_CS, 0xffff);
    seg_set_real(cpu, SEG_DS, 0xffff);
    cpu_update_mode(cpu);
    cpu->rip = 0x1010;
    cpu->halted = false;
    ck_assert_int_eq(cpu_run(cpu, cpu->icount + 10), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->gpr[R_AX] & 0xffff, 2);
    io_out(&vm->io, 0x92, 1, 0);                     /* A20 off */
    cpu->rip = 0x1010;
    cpu->halted = false;
    ck_assert_int_eq(cpu_run(cpu, cpu->icount + 10), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->gpr[R_AX] & 0xffff, 1);
    /* patch the immediate through the alias DS:1011 = 0x101011 -> 0x001011 */
    ck_assert_uint_eq(block_page_has_code(cpu, 0x1000), true);
    cpu_write(cpu, SEG_DS, 0x1011, 1, 0x07);
    ck_assert_uint_eq(vm->ram[0x1001], 0x07);
    ck_assert_uint_eq(vm->ram[0x101001], 0x02);
    cpu->rip = 0x1010;
    cpu->halted = false;
    ck_assert_int_eq(cpu_run(cpu, cpu->icount + 10), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->gpr[R_AX] & 0xffff, 7);
    vm_free(vm);
}
END_TEST

static Suite *blocks_suite(void)
{
    Suite *s = suite_create("blocks");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, block_same_bytes_other_mode_decoded_separately);
    tcase_add_test(tc, block_same_linear_other_physical_runs_new_code);
    tcase_add_test(tc, block_guest_write_to_code_page_invalidates_block);
    tcase_add_test(tc, block_store_into_own_block_runs_patched_instruction);
    tcase_add_test(tc, block_write_through_alias_invalidates_block);
    tcase_add_test(tc, block_straddling_instruction_runs_and_tracks_second_page);
    tcase_add_test(tc, block_straddle_into_unmapped_page_faults_on_second_page);
    tcase_add_test(tc, block_ends_at_hlt);
    tcase_add_test(tc, block_ends_at_page_end);
    tcase_add_test(tc, block_long_straight_line_capped_at_max_insns);
    tcase_add_test(tc, block_run_budget_stops_mid_block_exactly);
    tcase_add_test(tc, block_a20_off_alias_runs_and_invalidates_wrapped_code);
    tcase_add_test(tc, block_16bit_ip_past_ffff_raises_gp_real_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(blocks_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
