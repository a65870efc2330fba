/*
 * test_muldiv.c — MUL IMUL DIV IDIV (cpu/muldiv.c) on a fake machine, including #DE.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "tests/unit/fake_machine.h"

START_TEST(mul_r8_sets_ax_and_cf_of)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x1280;
    fm->cpu->gpr[R_BX] = 2;
    FM_LOAD(fm, 0xf6, 0xe3);                 /* mul bl */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x0100);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_OF), FL_CF | FL_OF);
    fm_free(fm);
}
END_TEST

START_TEST(mul_r64_max_times_max)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = ~0ull;
    fm->cpu->gpr[R_BX] = ~0ull;
    FM_LOAD(fm, 0x48, 0xf7, 0xe3);           /* mul rbx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 1);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], ~0ull - 1);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_OF), FL_CF | FL_OF);
    fm_free(fm);
}
END_TEST

START_TEST(imul_r16_one_operand_fits_clears_cf_of)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0xfffe;             /* -2 */
    fm->cpu->gpr[R_BX] = 3;
    fm->cpu->gpr[R_DX] = 0x1234;
    FM_LOAD(fm, 0xf7, 0xeb);                 /* imul bx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xfffa);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0xffff);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_OF), 0);
    fm_free(fm);
}
END_TEST

START_TEST(imul_r32_two_operand_truncates_sets_cf_of)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x10000;
    fm->cpu->gpr[R_BX] = 0x10000;
    FM_LOAD(fm, 0x0f, 0xaf, 0xc3);           /* imul eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_OF | FL_ZF), FL_CF | FL_OF | FL_ZF);
    fm_free(fm);
}
END_TEST

START_TEST(imul_three_operand_imm8_and_imm32)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_BX] = 7;
    FM_LOAD(fm, 0x6b, 0xc3, 0xfd);           /* imul eax, ebx, -3 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], (uint32_t)-21);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_OF), 0);
    fm->cpu->gpr[R_BX] = 0x2000;
    fm_poke(fm, 0x2000, 4, 5000000);
    FM_LOAD(fm, 0x69, 0x03, 0xe8, 0x03, 0x00, 0x00);   /* imul eax, [ebx], 1000 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], (uint32_t)(5000000ull * 1000));
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_OF), FL_CF | FL_OF);
    fm_free(fm);
}
END_TEST

START_TEST(imul_r64_mem_imm8_negative)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_BX] = 0x2000;
    fm_poke(fm, 0x2000, 8, 0x4000000000000000ull);
    FM_LOAD(fm, 0x48, 0x6b, 0x03, 0xfe);     /* imul rax, [rbx], -2 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x8000000000000000ull);   /* -2^63 fits */
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_OF), 0);
    fm_free(fm);
}
END_TEST

START_TEST(div_r8_quotient_and_remainder)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 1000;
    fm->cpu->gpr[R_BX] = 7;
    FM_LOAD(fm, 0xf6, 0xf3);                 /* div bl */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], (6u << 8) | 142u);
    fm_free(fm);
}
END_TEST

START_TEST(div_r64_full_dividend)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_DX] = 1;
    fm->cpu->gpr[R_AX] = 5;
    fm->cpu->gpr[R_BX] = 2;
    FM_LOAD(fm, 0x48, 0xf7, 0xf3);           /* div rbx: (2^64 + 5) / 2 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x8000000000000002ull);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 1);
    fm_free(fm);
}
END_TEST

START_TEST(idiv_r16_truncates_toward_zero)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = (uint16_t)-7;
    fm->cpu->gpr[R_DX] = 0xffff;
    fm->cpu->gpr[R_BX] = 2;
    FM_LOAD(fm, 0xf7, 0xfb);                 /* idiv bx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], (uint16_t)-3);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], (uint16_t)-1);
    fm_free(fm);
}
END_TEST

START_TEST(div_by_zero_raises_de_registers_unchanged)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    fm->cpu->gpr[R_AX] = 0x1234;
    fm->cpu->gpr[R_DX] = 0x5678;
    fm->cpu->gpr[R_BX] = 0;
    FM_LOAD(fm, 0xf7, 0xf3);                 /* div bx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_DE);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1234);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0x5678);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK - 6, 2), FM_CODE);   /* #DE is a fault: IP of the DIV */
    fm_free(fm);
}
END_TEST

START_TEST(div_quotient_overflow_raises_de_registers_unchanged)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    fm->cpu->gpr[R_AX] = 0;
    fm->cpu->gpr[R_DX] = 1;
    fm->cpu->gpr[R_BX] = 1;
    FM_LOAD(fm, 0xf7, 0xf3);                 /* div bx: 0x10000 / 1 does not fit */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_DE);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 1);
    fm_free(fm);
}
END_TEST

START_TEST(idiv_r8_min_by_minus_one_raises_de)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    fm->cpu->gpr[R_AX] = 0xff80;             /* -128 */
    fm->cpu->gpr[R_CX] = 0xff;               /* -1 */
    FM_LOAD(fm, 0xf6, 0xf9);                 /* idiv cl: +128 does not fit in AL */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_DE);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xff80);
    fm_free(fm);
}
END_TEST

START_TEST(idiv_r8_quotient_minus_128_fits)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    fm->cpu->gpr[R_AX] = 0x0080;             /* 128 */
    fm->cpu->gpr[R_CX] = 0xff;               /* -1 */
    FM_LOAD(fm, 0xf6, 0xf9);                 /* idiv cl: -128 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x0080);   /* AH = 0, AL = 0x80 */
    fm_free(fm);
}
END_TEST

START_TEST(idiv_r32_int64_min_by_minus_one_raises_de)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    fm->cpu->gpr[R_AX] = 0;
    fm->cpu->gpr[R_DX] = 0x80000000;
    fm->cpu->gpr[R_BX] = 0xffffffff;
    FM_LOAD(fm, 0x66, 0xf7, 0xfb);           /* idiv ebx: -2^63 / -1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_DE);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0x80000000);
    fm_free(fm);
}
END_TEST

START_TEST(idiv_r64_int128_min_by_minus_one_raises_de)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 0;
    fm->cpu->gpr[R_DX] = 0x8000000000000000ull;
    fm->cpu->gpr[R_BX] = ~0ull;
    FM_LOAD(fm, 0x48, 0xf7, 0xfb);           /* idiv rbx: -2^127 / -1 */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_DE);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0x8000000000000000ull);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

START_TEST(idiv_r64_negative_dividend)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = (uint64_t)-1000000000000ll;
    fm->cpu->gpr[R_DX] = ~0ull;
    fm->cpu->gpr[R_BX] = 7;
    FM_LOAD(fm, 0x48, 0xf7, 0xfb);           /* idiv rbx */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], (uint64_t)(-1000000000000ll / 7));
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], (uint64_t)(-1000000000000ll % 7));
    fm_free(fm);
}
END_TEST

static Suite *muldiv_suite(void)
{
    Suite *s = suite_create("muldiv");
    TCase *tc = tcase_create("muldiv");
    tcase_add_test(tc, mul_r8_sets_ax_and_cf_of);
    tcase_add_test(tc, mul_r64_max_times_max);
    tcase_add_test(tc, imul_r16_one_operand_fits_clears_cf_of);
    tcase_add_test(tc, imul_r32_two_operand_truncates_sets_cf_of);
    tcase_add_test(tc, imul_three_operand_imm8_and_imm32);
    tcase_add_test(tc, imul_r64_mem_imm8_negative);
    tcase_add_test(tc, div_r8_quotient_and_remainder);
    tcase_add_test(tc, div_r64_full_dividend);
    tcase_add_test(tc, idiv_r16_truncates_toward_zero);
    tcase_add_test(tc, div_by_zero_raises_de_registers_unchanged);
    tcase_add_test(tc, div_quotient_overflow_raises_de_registers_unchanged);
    tcase_add_test(tc, idiv_r8_min_by_minus_one_raises_de);
    tcase_add_test(tc, idiv_r8_quotient_minus_128_fits);
    tcase_add_test(tc, idiv_r32_int64_min_by_minus_one_raises_de);
    tcase_add_test(tc, idiv_r64_int128_min_by_minus_one_raises_de);
    tcase_add_test(tc, idiv_r64_negative_dividend);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(muldiv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
