/*
 * test_branch.c — near control transfers (cpu/branch.c) on the fake machine: raw instruction
 * bytes, assembly in the comment next to them.  Code sits at FM_CODE (0x1000), SP = 0x8000.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "tests/unit/fake_machine.h"

static FakeMachine *prep(FmMode mode, const uint8_t *code, size_t len)
{
    FakeMachine *fm = fm_new(mode);
    fm_code(fm, code, len);
    return fm;
}

START_TEST(jcc_rel8_taken_and_not_taken)
{
    static const uint8_t c[] = { 0x74, 0x10 };   /* jz +0x10 */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    fm_set_flags(fm, FL_ZF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, 0x1012);
    fm->cpu->rip = FM_CODE;
    fm_set_flags(fm, 0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, 0x1002);
    fm_free(fm);
}
END_TEST

START_TEST(jcc_rel32_long_mode_backwards)
{
    static const uint8_t c[] = { 0x0f, 0x8c, 0x00, 0xf0, 0xff, 0xff };   /* jl -0x1000 */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm_set_flags(fm, FL_OF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, 0x6);
    fm_free(fm);
}
END_TEST

START_TEST(jmp_rel16_wraps_ip)
{
    static const uint8_t c[] = { 0xe9, 0x00, 0xf0 };   /* jmp: 0x1003 + 0xf000 wraps to 0x0003 */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, 0x0003);
    fm_free(fm);
}
END_TEST

START_TEST(jmp_beyond_cs_limit_raises_gp)
{
    static const uint8_t c[] = { 0x66, 0xe9, 0x00, 0xf0, 0x00, 0x00 };   /* jmp dword +0xf000 -> 0x10006 */
    FakeMachine *fm = prep(FM_PM16, c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

START_TEST(call_beyond_cs_limit_pushes_nothing)
{
    static const uint8_t c[] = { 0x66, 0xe8, 0x00, 0xf0, 0x00, 0x00 };   /* call dword +0xf000 */
    FakeMachine *fm = prep(FM_PM16, c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x8000);
    ck_assert_uint_eq(fm_peek(fm, 0x7ffc, 4), 0);
    fm_free(fm);
}
END_TEST

START_TEST(call_rel32_pushes_next_eip)
{
    static const uint8_t c[] = { 0xe8, 0x00, 0x01, 0x00, 0x00 };   /* call +0x100 */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, 0x1105);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x7ffc);
    ck_assert_uint_eq(fm_peek(fm, 0x7ffc, 4), 0x1005);
    fm_free(fm);
}
END_TEST

START_TEST(call_16bit_operand_in_pm32_truncates_and_pushes_word)
{
    static const uint8_t c[] = { 0x66, 0xff, 0xd0 };   /* call ax */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x12343000;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, 0x3000);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x7ffe);
    ck_assert_uint_eq(fm_peek(fm, 0x7ffe, 2), 0x1003);
    fm_free(fm);
}
END_TEST

START_TEST(call_mem_long_mode_pushes_qword)
{
    static const uint8_t c[] = { 0xff, 0x13 };   /* call [rbx] */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_BX] = 0x3000;
    fm_poke(fm, 0x3000, 8, 0x4000);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, 0x4000);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x7ff8);
    ck_assert_uint_eq(fm_peek(fm, 0x7ff8, 8), 0x1002);
    fm_free(fm);
}
END_TEST

START_TEST(jmp_noncanonical_long_mode_raises_gp)
{
    static const uint8_t c[] = { 0xff, 0xe0 };   /* jmp rax */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x0000800000000000ull;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

START_TEST(ret_imm16_pops_and_releases)
{
    static const uint8_t c[] = { 0xc2, 0x08, 0x00 };   /* ret 8 */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_SP] = 0x7000;
    fm_poke(fm, 0x7000, 4, 0x2345);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, 0x2345);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x700c);
    fm_free(fm);
}
END_TEST

START_TEST(ret_beyond_cs_limit_keeps_sp)
{
    static const uint8_t c[] = { 0x66, 0xc3 };   /* ret (32-bit) */
    FakeMachine *fm = prep(FM_PM16, c, sizeof c);
    fm_poke(fm, 0x8000, 4, 0x12345);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x8000);
    fm_free(fm);
}
END_TEST

START_TEST(loop_decrements_cx_and_branches_until_zero)
{
    static const uint8_t c[] = { 0xe2, 0xfe };   /* loop $ */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    fm->cpu->gpr[R_CX] = 0xabcd0003;
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0xabcd0001);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 2);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0xabcd0000);
    fm_free(fm);
}
END_TEST

START_TEST(loop_address_size_16_in_pm32_uses_cx)
{
    static const uint8_t c[] = { 0x67, 0xe2, 0xfd };   /* loop $ (a16: CX) */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_CX] = 0x00010000;   /* CX = 0 -> 0xffff, taken */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0x0001ffff);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

START_TEST(loopne_stops_when_zf_set)
{
    static const uint8_t c[] = { 0xe0, 0x10 };   /* loopne +0x10 */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_CX] = 5;
    fm_set_flags(fm, FL_ZF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 2);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 4);
    fm_free(fm);
}
END_TEST

START_TEST(jecxz_branches_on_zero_ecx_only)
{
    static const uint8_t c[] = { 0xe3, 0x10 };   /* jecxz +0x10 */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_CX] = 0x100000000ull;   /* ECX = 0 */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 0x12);
    fm->cpu->rip = FM_CODE;
    fm->cpu->gpr[R_CX] = 1;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 2);
    fm_free(fm);
}
END_TEST

static Suite *branch_suite(void)
{
    Suite *s = suite_create("branch");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, jcc_rel8_taken_and_not_taken);
    tcase_add_test(tc, jcc_rel32_long_mode_backwards);
    tcase_add_test(tc, jmp_rel16_wraps_ip);
    tcase_add_test(tc, jmp_beyond_cs_limit_raises_gp);
    tcase_add_test(tc, call_beyond_cs_limit_pushes_nothing);
    tcase_add_test(tc, call_rel32_pushes_next_eip);
    tcase_add_test(tc, call_16bit_operand_in_pm32_truncates_and_pushes_word);
    tcase_add_test(tc, call_mem_long_mode_pushes_qword);
    tcase_add_test(tc, jmp_noncanonical_long_mode_raises_gp);
    tcase_add_test(tc, ret_imm16_pops_and_releases);
    tcase_add_test(tc, ret_beyond_cs_limit_keeps_sp);
    tcase_add_test(tc, loop_decrements_cx_and_branches_until_zero);
    tcase_add_test(tc, loop_address_size_16_in_pm32_uses_cx);
    tcase_add_test(tc, loopne_stops_when_zf_set);
    tcase_add_test(tc, jecxz_branches_on_zero_ecx_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(branch_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
