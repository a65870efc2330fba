/*
 * test_string.c — string instructions (cpu/string.c) on the fake machine: raw instruction bytes,
 * assembly in the comment next to them.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "cpu/seg.h"
#include "tests/unit/fake_machine.h"

static FakeMachine *prep(FmMode mode, const uint8_t *code, size_t len)
{
    FakeMachine *fm = fm_new(mode);
    fm_code(fm, code, len);
    return fm;
}

static void load_bytes(FakeMachine *fm, uint32_t addr, const char *s)
{
    for (uint32_t i = 0; s[i]; i++)
        fm_poke(fm, addr + i, 1, (uint8_t)s[i]);
}

START_TEST(rep_movsb_real_mode_copies_forward)
{
    static const uint8_t c[] = { 0xf3, 0xa4 };   /* rep movsb */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    fm->cpu->seg[SEG_ES].base = 0x20000;
    load_bytes(fm, 0x3000, "hello");
    fm->cpu->gpr[R_SI] = 0x3000;
    fm->cpu->gpr[R_DI] = 0x0100;
    fm->cpu->gpr[R_CX] = 5;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x20100, 4), 0x6c6c6568);
    ck_assert_uint_eq(fm_peek(fm, 0x20104, 1), 'o');
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0);
    ck_assert_uint_eq(fm->cpu->gpr[R_SI], 0x3005);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x0105);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 2);
    fm_free(fm);
}
END_TEST

START_TEST(rep_movsd_with_df_copies_backward)
{
    static const uint8_t c[] = { 0xf3, 0xa5 };   /* rep movsd */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->eflags |= FL_DF;
    fm_poke(fm, 0x3000, 4, 0x11111111);
    fm_poke(fm, 0x3004, 4, 0x22222222);
    fm->cpu->gpr[R_SI] = 0x3004;
    fm->cpu->gpr[R_DI] = 0x4004;
    fm->cpu->gpr[R_CX] = 2;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x4000, 4), 0x11111111);
    ck_assert_uint_eq(fm_peek(fm, 0x4004, 4), 0x22222222);
    ck_assert_uint_eq(fm->cpu->gpr[R_SI], 0x2ffc);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x3ffc);
    fm_free(fm);
}
END_TEST

START_TEST(rep_stos_zero_count_does_nothing)
{
    static const uint8_t c[] = { 0xf3, 0xab };   /* rep stosd */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xffffffff;
    fm->cpu->gpr[R_DI] = 0x3000;
    fm->cpu->gpr[R_CX] = 0;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x3000, 4), 0);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x3000);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 2);
    fm_free(fm);
}
END_TEST

START_TEST(rep_stosb_fault_midway_keeps_completed_iterations)
{
    static const uint8_t c[] = { 0xf3, 0xaa };   /* rep stosb */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->seg[SEG_ES].limit = 0x3002;
    fm->cpu->seg[SEG_ES].attr = 0x0093;
    seg_cache_update(&fm->cpu->seg[SEG_ES]);
    fm->cpu->gpr[R_AX] = 0x5a;
    fm->cpu->gpr[R_DI] = 0x3000;
    fm->cpu->gpr[R_CX] = 5;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm_peek(fm, 0x3000, 4), 0x005a5a5a);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 2);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x3003);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

START_TEST(repe_cmpsb_stops_after_first_mismatch)
{
    static const uint8_t c[] = { 0xf3, 0xa6 };   /* repe cmpsb */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    load_bytes(fm, 0x3000, "abcX");
    load_bytes(fm, 0x4000, "abcY");
    fm->cpu->gpr[R_SI] = 0x3000;
    fm->cpu->gpr[R_DI] = 0x4000;
    fm->cpu->gpr[R_CX] = 10;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 6);
    ck_assert_uint_eq(fm->cpu->gpr[R_SI], 0x3004);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x4004);
    ck_assert_uint_eq(fm_flags(fm) & (FL_ZF | FL_CF | FL_SF), FL_CF | FL_SF);   /* 'X' - 'Y' */
    fm_free(fm);
}
END_TEST

START_TEST(repne_scasb_finds_byte)
{
    static const uint8_t c[] = { 0xf2, 0xae };   /* repne scasb */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    load_bytes(fm, 0x3000, "xyz/abc");
    fm->cpu->gpr[R_AX] = '/';
    fm->cpu->gpr[R_DI] = 0x3000;
    fm->cpu->gpr[R_CX] = 100;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x3004);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 96);
    ck_assert_uint_eq(fm_flags(fm) & FL_ZF, FL_ZF);
    fm_free(fm);
}
END_TEST

START_TEST(lodsq_loads_rax_and_advances_rsi)
{
    static const uint8_t c[] = { 0x48, 0xad };   /* lodsq */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm_poke(fm, 0x3000, 8, 0x0102030405060708ull);
    fm->cpu->gpr[R_SI] = 0x3000;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x0102030405060708ull);
    ck_assert_uint_eq(fm->cpu->gpr[R_SI], 0x3008);
    fm_free(fm);
}
END_TEST

START_TEST(movs_segment_override_applies_to_source_only)
{
    static const uint8_t c[] = { 0x2e, 0xa4 };   /* movsb cs: */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    fm->cpu->seg[SEG_CS].base = 0x10000;
    fm->cpu->rip = 0x0000;
    fm_poke(fm, 0x10000 + 0x0000, 1, 0x2e);
    fm_poke(fm, 0x10000 + 0x0001, 1, 0xa4);
    fm_poke(fm, 0x10000 + 0x0500, 1, 0x77);
    fm->cpu->seg[SEG_ES].base = 0x30000;
    fm->cpu->gpr[R_SI] = 0x0500;
    fm->cpu->gpr[R_DI] = 0x0010;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x30010, 1), 0x77);
    fm_free(fm);
}
END_TEST

START_TEST(rep_movsb_address_size_16_in_pm32_wraps_si)
{
    static const uint8_t c[] = { 0x67, 0xf3, 0xa4 };   /* a16 rep movsb */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm_poke(fm, 0xffff, 1, 0x11);
    fm_poke(fm, 0x0000, 1, 0x22);
    fm->cpu->gpr[R_SI] = 0x1234ffff;
    fm->cpu->gpr[R_DI] = 0x00003000;
    fm->cpu->gpr[R_CX] = 0xabcd0002;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x3000, 2), 0x2211);
    ck_assert_uint_eq(fm->cpu->gpr[R_SI], 0x12340001);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0xabcd0000);
    fm_free(fm);
}
END_TEST

START_TEST(rep_stosb_long_count_resumes_in_chunks)
{
    static const uint8_t c[] = { 0xf3, 0xaa };   /* rep stosb */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xcc;
    fm->cpu->gpr[R_DI] = 0x10000;
    fm->cpu->gpr[R_CX] = 10000;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);          /* not finished: resumes here */
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 10000 - 4096);
    ck_assert_int_eq(fm_exec(fm, 2), -1);              /* two more chunks finish it */
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 2);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 10000 + 0x10000);
    ck_assert_uint_eq(fm_peek(fm, 0x10000 + 9999, 1), 0xcc);
    ck_assert_uint_eq(fm_peek(fm, 0x10000 + 10000, 1), 0);
    fm_free(fm);
}
END_TEST

START_TEST(rep_movsb_run_loop_completes)
{
    static const uint8_t c[] = { 0xf3, 0xa4 };   /* rep movsb; (hlt) */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm_poke(fm, 0x20000 + 6000, 1, 0x42);
    fm->cpu->gpr[R_SI] = 0x20000;
    fm->cpu->gpr[R_DI] = 0x30000;
    fm->cpu->gpr[R_CX] = 8000;
    ck_assert_int_eq(fm_run(fm, 10), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0);
    ck_assert_uint_eq(fm_peek(fm, 0x30000 + 6000, 1), 0x42);
    fm_free(fm);
}
END_TEST

/* REP MOVS and REP STOS copy whole page runs through host pointers (string_bulk); what the guest
 * sees must stay that of one iteration after the other. */
START_TEST(rep_movsb_overlapping_forward_repeats_first_byte)
{
    static const uint8_t c[] = { 0xf3, 0xa4 };   /* rep movsb */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    load_bytes(fm, 0x3000, "abcdefghijklmnop");
    fm->cpu->gpr[R_SI] = 0x3000;
    fm->cpu->gpr[R_DI] = 0x3001;
    fm->cpu->gpr[R_CX] = 12;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    for (uint32_t i = 0; i <= 12; i++)
        ck_assert_uint_eq(fm_peek(fm, 0x3000 + i, 1), 'a');
    ck_assert_uint_eq(fm_peek(fm, 0x300d, 1), 'n');
    ck_assert_uint_eq(fm->cpu->gpr[R_SI], 0x300c);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x300d);
    fm_free(fm);
}
END_TEST

START_TEST(rep_movsd_df_overlapping_backward_repeats_last_dword)
{
    static const uint8_t c[] = { 0xf3, 0xa5 };   /* rep movsd */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->eflags |= FL_DF;
    for (uint32_t i = 0; i < 6; i++)
        fm_poke(fm, 0x3000 + 4 * i, 4, 0x11111111u * (i + 1));
    fm->cpu->gpr[R_SI] = 0x3014;          /* the sixth dword, copied down one place at a time */
    fm->cpu->gpr[R_DI] = 0x3010;
    fm->cpu->gpr[R_CX] = 5;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    for (uint32_t i = 0; i < 6; i++)
        ck_assert_uint_eq(fm_peek(fm, 0x3000 + 4 * i, 4), 0x66666666u);
    ck_assert_uint_eq(fm->cpu->gpr[R_SI], 0x3000);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x2ffc);
    fm_free(fm);
}
END_TEST

START_TEST(rep_stosq_unaligned_across_pages_stores_every_element)
{
    static const uint8_t c[] = { 0xf3, 0x48, 0xab };   /* rep stosq */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x0123456789abcdefull;
    fm->cpu->gpr[R_DI] = 0x4ffc;                        /* one element straddles 0x5000 */
    fm->cpu->gpr[R_CX] = 0x40;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x4ff8, 4), 0);
    for (uint32_t i = 0; i < 0x40; i++)
        ck_assert_uint_eq(fm_peek(fm, 0x4ffc + 8 * i, 8), 0x0123456789abcdefull);
    ck_assert_uint_eq(fm_peek(fm, 0x51fc, 8), 0);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x51fc);
    fm_free(fm);
}
END_TEST

START_TEST(rep_stosd_page_fault_on_next_page_keeps_completed_iterations)
{
    static const uint8_t c[] = { 0xf3, 0xab };   /* rep stosd */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm_poke(fm, 0x10000, 4, 0x83);            /* 0-4 MiB identity (a 4 MiB page) */
    fm_poke(fm, 0x10004, 4, 0x11003);         /* 4-8 MiB through the page table at 0x11000 */
    fm_poke(fm, 0x11004, 4, 0x5003);          /* 0x401000 -> 0x5000; 0x402000 not present */
    fm_paging32(fm, 0x10000);
    fm->cpu->gpr[R_AX] = 0xa5a5a5a5;
    fm->cpu->gpr[R_DI] = 0x401ff0;
    fm->cpu->gpr[R_CX] = 8;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_PF);
    ck_assert_uint_eq(fm->cpu->cr2, 0x402000);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 4);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x402000);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    for (uint32_t i = 0; i < 4; i++)
        ck_assert_uint_eq(fm_peek(fm, 0x5ff0 + 4 * i, 4), 0xa5a5a5a5);
    ck_assert_uint_eq(fm_peek(fm, 0x5fec, 4), 0);
    fm_free(fm);
}
END_TEST

START_TEST(rep_stosb_into_code_page_drops_its_blocks)
{
    static const uint8_t c[] = { 0xe8, 0xfb, 0x1f, 0x00, 0x00,    /* call 0x3000 */
                                 0xb8, 0x90, 0x00, 0x00, 0x00,    /* mov eax, 0x90 */
                                 0xf3, 0xaa,                      /* rep stosb */
                                 0xe8, 0xef, 0x1f, 0x00, 0x00 };  /* call 0x3000; (hlt) */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    static const uint8_t sub[] = { 0xb8, 0x01, 0x00, 0x00, 0x00,  /* mov eax, 1 */
                                   0xc3 };                        /* ret */
    for (uint32_t i = 0; i < sizeof sub; i++)
        fm_poke(fm, 0x3000 + i, 1, sub[i]);
    fm->cpu->gpr[R_DI] = 0x2ff0;          /* from the page before into the subroutine's */
    fm->cpu->gpr[R_CX] = 0x15;            /* up to its ret: the mov becomes five nops */
    ck_assert_int_eq(fm_run(fm, 20), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x90);
    ck_assert_uint_eq(fm_peek(fm, 0x2ff0, 4), 0x90909090);
    ck_assert_uint_eq(fm_peek(fm, 0x3005, 1), 0xc3);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x3005);
    fm_free(fm);
}
END_TEST

static Suite *string_suite(void)
{
    Suite *s = suite_create("string");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rep_movsb_real_mode_copies_forward);
    tcase_add_test(tc, rep_movsd_with_df_copies_backward);
    tcase_add_test(tc, rep_stos_zero_count_does_nothing);
    tcase_add_test(tc, rep_stosb_fault_midway_keeps_completed_iterations);
    tcase_add_test(tc, repe_cmpsb_stops_after_first_mismatch);
    tcase_add_test(tc, repne_scasb_finds_byte);
    tcase_add_test(tc, lodsq_loads_rax_and_advances_rsi);
    tcase_add_test(tc, movs_segment_override_applies_to_source_only);
    tcase_add_test(tc, rep_movsb_address_size_16_in_pm32_wraps_si);
    tcase_add_test(tc, rep_stosb_long_count_resumes_in_chunks);
    tcase_add_test(tc, rep_movsb_run_loop_completes);
    tcase_add_test(tc, rep_movsb_overlapping_forward_repeats_first_byte);
    tcase_add_test(tc, rep_movsd_df_overlapping_backward_repeats_last_dword);
    tcase_add_test(tc, rep_stosq_unaligned_across_pages_stores_every_element);
    tcase_add_test(tc, rep_stosd_page_fault_on_next_page_keeps_completed_iterations);
    tcase_add_test(tc, rep_stosb_into_code_page_drops_its_blocks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(string_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
