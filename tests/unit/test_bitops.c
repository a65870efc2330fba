/*
 * test_bitops.c — BT BTS BTR BTC, BSF BSR, POPCNT LZCNT TZCNT, BMI1 (cpu/bitops.c) on a fake machine.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "tests/unit/fake_machine.h"

START_TEST(bt_r32_imm_copies_bit_to_cf_keeps_zf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x20;
    fm_set_flags(fm, FL_ZF);
    FM_LOAD(fm, 0x0f, 0xba, 0xe0, 0x05);     /* bt eax, 5 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), FL_CF | FL_ZF);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x20);
    fm_free(fm);
}
END_TEST

START_TEST(btc_r32_imm_flips_bit31)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x80000001;
    FM_LOAD(fm, 0x0f, 0xba, 0xf8, 0x1f);     /* btc eax, 31 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 1);
    ck_assert_uint_eq(fm_flags(fm) & FL_CF, FL_CF);
    fm_free(fm);
}
END_TEST

START_TEST(bt_m32_register_offset_addresses_beyond_operand)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x2000;
    fm->cpu->gpr[R_BX] = 33;                 /* dword at 0x2004, bit 1 */
    fm_poke(fm, 0x2004, 4, 2);
    FM_LOAD(fm, 0x0f, 0xa3, 0x18);           /* bt [eax], ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_flags(fm) & FL_CF, FL_CF);
    fm_free(fm);
}
END_TEST

START_TEST(bts_m16_negative_register_offset_addresses_below)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_BX] = 0xffff;             /* -1: word at 0x1ffe, bit 15 */
    FM_LOAD(fm, 0x0f, 0xab, 0x1e, 0x00, 0x20);   /* bts [0x2000], bx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_peek(fm, 0x1ffe, 2), 0x8000);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 2), 0);
    ck_assert_uint_eq(fm_flags(fm) & FL_CF, 0);
    fm_free(fm);
}
END_TEST

START_TEST(lock_btr_m32_register_offset_clears_bit)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x2000;
    fm->cpu->gpr[R_BX] = 4;
    fm_poke(fm, 0x2000, 4, 0xff);
    FM_LOAD(fm, 0xf0, 0x0f, 0xb3, 0x18);     /* lock btr [eax], ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 4), 0xef);
    ck_assert_uint_eq(fm_flags(fm) & FL_CF, FL_CF);
    fm_free(fm);
}
END_TEST

START_TEST(lock_bt_raises_ud)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    FM_LOAD(fm, 0xf0, 0x0f, 0xa3, 0x1e, 0x00, 0x20);   /* lock bt [0x2000], bx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_UD);
    fm_free(fm);
}
END_TEST

START_TEST(bsf_zero_source_sets_zf_keeps_destination)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x1234;
    fm->cpu->gpr[R_BX] = 0;
    FM_LOAD(fm, 0x0f, 0xbc, 0xc3);           /* bsf eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1234);
    ck_assert_uint_eq(fm_flags(fm) & FL_ZF, FL_ZF);
    fm_free(fm);
}
END_TEST

START_TEST(bsf_bsr_find_lowest_and_highest_bit)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_BX] = 0x00f00100;
    fm_set_flags(fm, FL_ZF);
    FM_LOAD(fm, 0x0f, 0xbc, 0xc3);           /* bsf eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 8);
    ck_assert_uint_eq(fm_flags(fm) & FL_ZF, 0);
    FM_LOAD(fm, 0x0f, 0xbd, 0xc3);           /* bsr eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 23);
    fm_free(fm);
}
END_TEST

START_TEST(popcnt_lzcnt_tzcnt_values_and_flags)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_BX] = 0xf0f0;
    fm_set_flags(fm, FL_CF | FL_OF | FL_SF);
    FM_LOAD(fm, 0xf3, 0x0f, 0xb8, 0xc3);     /* popcnt eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 8);
    ck_assert_uint_eq(fm_flags(fm), 0);
    fm->cpu->gpr[R_BX] = 0;
    FM_LOAD(fm, 0xf3, 0x0f, 0xbd, 0xc3);     /* lzcnt eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 32);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), FL_CF);
    fm->cpu->gpr[R_BX] = 0x8000000000000000ull;
    FM_LOAD(fm, 0xf3, 0x48, 0x0f, 0xbc, 0xc3);   /* tzcnt rax, rbx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 63);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), 0);
    fm->cpu->gpr[R_BX] = 0x80000000;
    FM_LOAD(fm, 0xf3, 0x0f, 0xbd, 0xc3);     /* lzcnt eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), FL_ZF);
    fm_free(fm);
}
END_TEST

START_TEST(bmi1_andn_bextr_blsi_blsmsk_blsr)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_BX] = 0xff00ff00;
    fm->cpu->gpr[R_CX] = 0xfff0fff0;
    FM_LOAD(fm, 0xc4, 0xe2, 0x60, 0xf2, 0xc1);   /* andn eax, ebx, ecx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x00f000f0);
    fm->cpu->gpr[R_BX] = 0x123456789abcdef0ull;
    fm->cpu->gpr[R_CX] = 0x0c08;             /* start 8, length 12 */
    FM_LOAD(fm, 0xc4, 0xe2, 0xf0, 0xf7, 0xc3);   /* bextr rax, rbx, rcx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xcde);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF | FL_OF), 0);
    fm->cpu->gpr[R_BX] = 0x68;
    FM_LOAD(fm, 0xc4, 0xe2, 0x78, 0xf3, 0xdb);   /* blsi eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x8);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), FL_CF);
    fm->cpu->gpr[R_BX] = 0;
    FM_LOAD(fm, 0xc4, 0xe2, 0xf8, 0xf3, 0xd3);   /* blsmsk rax, rbx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], ~0ull);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF | FL_SF), FL_CF | FL_SF);
    fm->cpu->gpr[R_BX] = 0x2000;
    fm_poke(fm, 0x2000, 4, 0x68);
    FM_LOAD(fm, 0xc4, 0xe2, 0x78, 0xf3, 0x0b);   /* blsr eax, [rbx] */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x60);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), 0);
    fm_free(fm);
}
END_TEST

static Suite *bitops_suite(void)
{
    Suite *s = suite_create("bitops");
    TCase *tc = tcase_create("bitops");
    tcase_add_test(tc, bt_r32_imm_copies_bit_to_cf_keeps_zf);
    tcase_add_test(tc, btc_r32_imm_flips_bit31);
    tcase_add_test(tc, bt_m32_register_offset_addresses_beyond_operand);
    tcase_add_test(tc, bts_m16_negative_register_offset_addresses_below);
    tcase_add_test(tc, lock_btr_m32_register_offset_clears_bit);
    tcase_add_test(tc, lock_bt_raises_ud);
    tcase_add_test(tc, bsf_zero_source_sets_zf_keeps_destination);
    tcase_add_test(tc, bsf_bsr_find_lowest_and_highest_bit);
    tcase_add_test(tc, popcnt_lzcnt_tzcnt_values_and_flags);
    tcase_add_test(tc, bmi1_andn_bextr_blsi_blsmsk_blsr);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bitops_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
