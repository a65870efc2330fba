/*
 * test_sse_int.c — SSE2..SSE4.2 integer instructions (cpu/sse_int.c): raw instruction bytes on
 * the fake machine, assembly in the comment next to them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "tests/unit/fake_machine.h"

static FakeMachine *prep(const uint8_t *code, size_t len)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->cr4 |= CR4_OSFXSR;
    fm_code(fm, code, len);
    return fm;
}

START_TEST(sse_without_osfxsr_raises_ud)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0xfe, 0xc1 };   /* paddd xmm0, xmm1 */
    FakeMachine *fm = prep(c, sizeof c);
    fm->cpu->cr4 &= ~CR4_OSFXSR;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
}
END_TEST

START_TEST(movdqa_unaligned_raises_gp_movdqu_loads)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0x6f, 0x00,     /* movdqa xmm0, [rax] */
                                 0xf3, 0x0f, 0x6f, 0x00 };   /* movdqu xmm0, [rax] */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    for (int i = 0; i < 16; i++)
        fm->ram[0x3008 + i] = (uint8_t)(0x10 + i);
    cpu->gpr[R_AX] = 0x3008;
    cpu->xmm[0] = (Xmm){ .q = { 1, 2 } };
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(cpu->xmm[0].q[0], 1);
    cpu->rip += 4;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->xmm[0].q[0], 0x1716151413121110ull);
    ck_assert_uint_eq(cpu->xmm[0].q[1], 0x1f1e1d1c1b1a1918ull);
    fm_free(fm);
}
END_TEST

START_TEST(movd_to_xmm_zero_extends_to_128)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0x6e, 0xc8 };   /* movd xmm1, eax */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->xmm[1] = (Xmm){ .q = { ~0ull, ~0ull } };
    cpu->gpr[R_AX] = 0xdeadbeefcafef00dull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->xmm[1].q[0], 0xcafef00dull);
    ck_assert_uint_eq(cpu->xmm[1].q[1], 0);
    fm_free(fm);
}
END_TEST

START_TEST(pshufb_zeroes_on_index_bit7)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0x38, 0x00, 0xc1 };   /* pshufb xmm0, xmm1 */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    for (int i = 0; i < 16; i++) {
        cpu->xmm[0].b[i] = (uint8_t)(0xa0 + i);
        cpu->xmm[1].b[i] = (uint8_t)(15 - i);
    }
    cpu->xmm[1].b[3] = 0x80;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->xmm[0].b[0], 0xaf);
    ck_assert_uint_eq(cpu->xmm[0].b[3], 0);
    ck_assert_uint_eq(cpu->xmm[0].b[15], 0xa0);
    fm_free(fm);
}
END_TEST

START_TEST(ptest_sets_zf_and_cf)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0x38, 0x17, 0xc1,   /* ptest xmm0, xmm1 */
                                 0x66, 0x0f, 0x38, 0x17, 0xc2 }; /* ptest xmm0, xmm2 */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->xmm[0] = (Xmm){ .q = { 0xff00, 0 } };
    cpu->xmm[1] = (Xmm){ .q = { 0x00ff, 0 } };     /* disjoint: ZF=1, CF=0 */
    cpu->xmm[2] = (Xmm){ .q = { 0x0f00, 0 } };     /* subset of xmm0: ZF=0, CF=1 */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu_get_eflags(cpu) & (FL_ZF | FL_CF), FL_ZF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu_get_eflags(cpu) & (FL_ZF | FL_CF), FL_CF);
    fm_free(fm);
}
END_TEST

START_TEST(crc32_check_value_of_123456789)
{
    static const uint8_t c[] = { 0xf2, 0x0f, 0x38, 0xf0, 0x06,   /* crc32 eax, byte [rsi] */
                                 0x48, 0xff, 0xc6 };             /* inc rsi */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    memcpy(fm->ram + 0x3000, "123456789", 9);
    cpu->gpr[R_SI] = 0x3000;
    cpu->gpr[R_AX] = 0xffffffffu;
    for (int i = 0; i < 9; i++) {
        cpu->rip = FM_CODE;
        ck_assert_int_eq(fm_exec(fm, 2), -1);
    }
    ck_assert_uint_eq((uint32_t)~cpu->gpr[R_AX], 0xe3069283u);   /* CRC-32C check value */
    fm_free(fm);
}
END_TEST

START_TEST(pinsrw_pextrw_round_trip_and_packsswb_saturates)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0xc4, 0xc0, 0x0d,   /* pinsrw xmm0, eax, 13 (= 5) */
                                 0x66, 0x0f, 0xc5, 0xd8, 0x05,   /* pextrw ebx, xmm0, 5 */
                                 0x66, 0x0f, 0x63, 0xc0 };       /* packsswb xmm0, xmm0 */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->xmm[0] = (Xmm){ .w = { 0x7fff, 0x8000, 5, 0xfffe, 0x0100, 0, 0xff80, 0xff7f } };
    cpu->gpr[R_AX] = 0x12345678;
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    ck_assert_uint_eq(cpu->gpr[R_BX], 0x5678);
    ck_assert_uint_eq(cpu->xmm[0].q[0], 0x80807f7ffe05807full);
    ck_assert_uint_eq(cpu->xmm[0].q[1], 0x80807f7ffe05807full);
    fm_free(fm);
}
END_TEST

START_TEST(pcmpistri_equal_ordered_finds_substring)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0x3a, 0x63, 0xc1, 0x0c };   /* pcmpistri xmm0, xmm1, 0x0c */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    memset(&cpu->xmm[0], 0, 16);
    memset(&cpu->xmm[1], 0, 16);
    memcpy(cpu->xmm[0].b, "lo", 2);
    memcpy(cpu->xmm[1].b, "hello", 5);
    cpu->gpr[R_CX] = ~0ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->gpr[R_CX], 3);
    /* CF: a match; ZF and SF: both strings end inside the register; OF: no match at 0 */
    ck_assert_uint_eq(cpu_get_eflags(cpu) & (FL_CF | FL_ZF | FL_SF | FL_OF), FL_CF | FL_ZF | FL_SF);
    fm_free(fm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sse_int");
    TCase *tc = tcase_create("sse_int");
    tcase_add_test(tc, sse_without_osfxsr_raises_ud);
    tcase_add_test(tc, movdqa_unaligned_raises_gp_movdqu_loads);
    tcase_add_test(tc, movd_to_xmm_zero_extends_to_128);
    tcase_add_test(tc, pshufb_zeroes_on_index_bit7);
    tcase_add_test(tc, ptest_sets_zf_and_cf);
    tcase_add_test(tc, crc32_check_value_of_123456789);
    tcase_add_test(tc, pinsrw_pextrw_round_trip_and_packsswb_saturates);
    tcase_add_test(tc, pcmpistri_equal_ordered_finds_substring);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
