/*
 * test_bcd.c — DAA DAS AAA AAS AAM AAD (cpu/bcd.c) and the flag instructions CLC STC CMC CLD STD
 * LAHF SAHF SALC (cpu/flagops.c) on a fake machine.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "tests/unit/fake_machine.h"

/* Flags the SDM defines for DAA/DAS (OF is undefined). */
#define DAA_DEFINED (FL_CF | FL_AF | FL_SF | FL_ZF | FL_PF)

START_TEST(daa_after_79_plus_35_gives_bcd_114)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0xae;               /* 0x79 + 0x35 */
    FM_LOAD(fm, 0x27);                       /* daa */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x14);
    ck_assert_uint_eq(fm_flags(fm) & DAA_DEFINED, FL_CF | FL_AF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(das_after_35_minus_47_gives_bcd_88_borrow)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0xee;               /* 0x35 - 0x47 */
    fm_set_flags(fm, FL_CF | FL_AF);
    FM_LOAD(fm, 0x2f);                       /* das */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x88);
    ck_assert_uint_eq(fm_flags(fm) & DAA_DEFINED, FL_CF | FL_AF | FL_SF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(daa_no_adjust_clears_cf_af)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x42;
    FM_LOAD(fm, 0x27);                       /* daa */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x42);
    ck_assert_uint_eq(fm_flags(fm) & DAA_DEFINED, FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(aaa_adjusts_ax_and_sets_cf_af)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x000f;             /* 8 + 7 */
    FM_LOAD(fm, 0x37);                       /* aaa */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x0105);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_AF), FL_CF | FL_AF);
    fm_free(fm);
}
END_TEST

START_TEST(aas_borrows_from_ah)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x01fd;             /* 0x0102 - 5 */
    fm_set_flags(fm, FL_AF);
    FM_LOAD(fm, 0x3f);                       /* aas */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x0007);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_AF), FL_CF | FL_AF);
    fm_free(fm);
}
END_TEST

START_TEST(aam_aad_round_trip)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x004f;             /* 79 */
    FM_LOAD(fm, 0xd4, 0x0a);                 /* aam */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x0709);
    ck_assert_uint_eq(fm_flags(fm) & (FL_SF | FL_ZF | FL_PF), FL_PF);
    FM_LOAD(fm, 0xd5, 0x0a);                 /* aad */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x004f);
    ck_assert_uint_eq(fm_flags(fm) & (FL_SF | FL_ZF | FL_PF), 0);
    fm_free(fm);
}
END_TEST

START_TEST(aam_zero_raises_de)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    fm->cpu->gpr[R_AX] = 0x1234;
    FM_LOAD(fm, 0xd4, 0x00);                 /* aam 0 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_DE);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1234);
    fm_free(fm);
}
END_TEST

START_TEST(daa_in_64bit_mode_raises_ud)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    FM_LOAD(fm, 0x27);                       /* daa (invalid in 64-bit mode) */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    FM_LOAD(fm, 0xd6);                       /* salc (invalid in 64-bit mode) */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
}
END_TEST

START_TEST(salc_sets_al_from_cf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x1234;
    FM_LOAD(fm, 0xf9,                        /* stc */
                0xd6);                       /* salc */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12ff);
    FM_LOAD(fm, 0xf8,                        /* clc */
                0xd6);                       /* salc */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1200);
    fm_free(fm);
}
END_TEST

START_TEST(cmc_complements_lazy_carry)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0xffffffff;
    FM_LOAD(fm, 0x83, 0xc0, 0x01,            /* add eax, 1 (CF = 1, ZF = 1) */
                0xf5);                       /* cmc */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), FL_ZF);
    fm_free(fm);
}
END_TEST

START_TEST(std_cld_toggle_df)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    FM_LOAD(fm, 0xfd);                       /* std */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->eflags & FL_DF, FL_DF);
    FM_LOAD(fm, 0xfc);                       /* cld */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->eflags & FL_DF, 0);
    fm_free(fm);
}
END_TEST

START_TEST(lahf_sahf_in_64bit_mode)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm_set_flags(fm, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF | FL_OF);
    FM_LOAD(fm, 0x9f);                       /* lahf */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xd700);
    fm->cpu->gpr[R_AX] = 0x0100;             /* AH = CF only */
    FM_LOAD(fm, 0x9e);                       /* sahf */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_OF);   /* OF is not loaded by SAHF */
    fm_free(fm);
}
END_TEST

static Suite *bcd_suite(void)
{
    Suite *s = suite_create("bcd");
    TCase *tc = tcase_create("bcd");
    tcase_add_test(tc, daa_after_79_plus_35_gives_bcd_114);
    tcase_add_test(tc, das_after_35_minus_47_gives_bcd_88_borrow);
    tcase_add_test(tc, daa_no_adjust_clears_cf_af);
    tcase_add_test(tc, aaa_adjusts_ax_and_sets_cf_af);
    tcase_add_test(tc, aas_borrows_from_ah);
    tcase_add_test(tc, aam_aad_round_trip);
    tcase_add_test(tc, aam_zero_raises_de);
    tcase_add_test(tc, daa_in_64bit_mode_raises_ud);
    tcase_add_test(tc, salc_sets_al_from_cf);
    tcase_add_test(tc, cmc_complements_lazy_carry);
    tcase_add_test(tc, std_cld_toggle_df);
    tcase_add_test(tc, lahf_sahf_in_64bit_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bcd_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
