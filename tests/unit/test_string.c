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
