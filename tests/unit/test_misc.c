/*
 * test_misc.c — NOPs and atomic exchanges (cpu/misc.c) on the fake machine: raw instruction
 * bytes, assembly in the comment next to them.
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

START_TEST(nop_forms_advance_without_memory_access)
{
    static const uint8_t c[] = {
        0x90,                                       /* nop */
        0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00,   /* nop dword [rax+0] */
        0xf3, 0x90,                                 /* pause */
        0x0f, 0xae, 0xf0,                           /* mfence */
        0x0f, 0x18, 0x08,                           /* prefetcht0 [rax] */
        0xf3, 0x0f, 0x1e, 0xfa,                     /* endbr64 */
    };
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x8000000000000000ull;     /* non-canonical: an access would fault */
    ck_assert_int_eq(fm_exec(fm, 6), -1);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + sizeof c);
    fm_free(fm);
}
END_TEST

START_TEST(ud2_and_ud0_raise_ud)
{
    static const uint8_t c[] = { 0x0f, 0x0b, 0x0f, 0xff, 0x00 };   /* ud2; ud0 eax, [eax] */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm->cpu->rip = FM_CODE + 2;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
}
END_TEST

START_TEST(wait_with_mp_and_ts_raises_nm_else_nothing)
{
    static const uint8_t c[] = { 0x9b, 0x9b };   /* wait; wait */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->cr0 |= CR0_TS;                      /* TS alone: WAIT is not affected */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 1);
    fm->cpu->cr0 |= CR0_MP;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_NM);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 1);
    fm_free(fm);
}
END_TEST

START_TEST(lock_nop_raises_ud)
{
    static const uint8_t c[] = { 0xf0, 0x90 };   /* lock nop */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
}
END_TEST

START_TEST(cmpxchg_mem_equal_stores_source)
{
    static const uint8_t c[] = { 0xf0, 0x0f, 0xb1, 0x0b };   /* lock cmpxchg [ebx], ecx */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x1234;
    fm->cpu->gpr[R_BX] = 0x3000;
    fm->cpu->gpr[R_CX] = 0x5678;
    fm_poke(fm, 0x3000, 4, 0x1234);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x3000, 4), 0x5678);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1234);
    ck_assert_uint_eq(fm_flags(fm) & FL_ZF, FL_ZF);
    fm_free(fm);
}
END_TEST

START_TEST(cmpxchg_mem_unequal_loads_accumulator_with_cmp_flags)
{
    static const uint8_t c[] = { 0x0f, 0xb0, 0x0b };   /* cmpxchg [ebx], cl */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x1110;
    fm->cpu->gpr[R_BX] = 0x3000;
    fm->cpu->gpr[R_CX] = 0x55;
    fm_poke(fm, 0x3000, 1, 0x20);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x3000, 1), 0x20);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1120);
    ck_assert_uint_eq(fm_flags(fm) & (FL_ZF | FL_CF | FL_SF), FL_CF | FL_SF);   /* 0x10 - 0x20 */
    fm_free(fm);
}
END_TEST

START_TEST(cmpxchg_reg_unequal_long_mode_keeps_destination_upper_half)
{
    static const uint8_t c[] = { 0x0f, 0xb1, 0xcb };   /* cmpxchg ebx, ecx */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xaaaaaaaa00000001ull;
    fm->cpu->gpr[R_BX] = 0xbbbbbbbb00000002ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 2);
    ck_assert_uint_eq(fm->cpu->gpr[R_BX], 0xbbbbbbbb00000002ull);
    fm_free(fm);
}
END_TEST

START_TEST(cmpxchg8b_equal_and_unequal)
{
    static const uint8_t c[] = { 0x0f, 0xc7, 0x0f, 0x0f, 0xc7, 0x0f };   /* cmpxchg8b [edi] x2 */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_DI] = 0x3000;
    fm_poke(fm, 0x3000, 8, 0x1111111122222222ull);
    fm->cpu->gpr[R_DX] = 0x11111111;
    fm->cpu->gpr[R_AX] = 0x22222222;
    fm->cpu->gpr[R_CX] = 0x33333333;
    fm->cpu->gpr[R_BX] = 0x44444444;
    fm_set_flags(fm, FL_CF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x3000, 8), 0x3333333344444444ull);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_ZF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);   /* now unequal: EDX:EAX := memory */
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0x33333333);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x44444444);
    ck_assert_uint_eq(fm_flags(fm), FL_CF);
    fm_free(fm);
}
END_TEST

START_TEST(cmpxchg16b_equal_stores_rcx_rbx)
{
    static const uint8_t c[] = { 0x48, 0x0f, 0xc7, 0x0f };   /* cmpxchg16b [rdi] */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_DI] = 0x3000;
    fm_poke(fm, 0x3000, 8, 1);
    fm_poke(fm, 0x3008, 8, 2);
    fm->cpu->gpr[R_AX] = 1;
    fm->cpu->gpr[R_DX] = 2;
    fm->cpu->gpr[R_BX] = 0x1111111111111111ull;
    fm->cpu->gpr[R_CX] = 0x2222222222222222ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x3000, 8), 0x1111111111111111ull);
    ck_assert_uint_eq(fm_peek(fm, 0x3008, 8), 0x2222222222222222ull);
    ck_assert_uint_eq(fm_flags(fm) & FL_ZF, FL_ZF);
    fm_free(fm);
}
END_TEST

START_TEST(cmpxchg16b_misaligned_raises_gp)
{
    static const uint8_t c[] = { 0x48, 0x0f, 0xc7, 0x0f };   /* cmpxchg16b [rdi] */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_DI] = 0x3008;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0);
    fm_free(fm);
}
END_TEST

START_TEST(xadd_mem_exchanges_and_adds)
{
    static const uint8_t c[] = { 0xf0, 0x66, 0x0f, 0xc1, 0x0b };   /* lock xadd [ebx], cx */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_BX] = 0x3000;
    fm->cpu->gpr[R_CX] = 0xabcd0001;
    fm_poke(fm, 0x3000, 2, 0xffff);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x3000, 2), 0);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0xabcdffff);
    ck_assert_uint_eq(fm_flags(fm) & (FL_ZF | FL_CF), FL_ZF | FL_CF);
    fm_free(fm);
}
END_TEST

START_TEST(xadd_same_register_gets_sum)
{
    static const uint8_t c[] = { 0x0f, 0xc1, 0xc0 };   /* xadd eax, eax */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 21;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 42);
    fm_free(fm);
}
END_TEST

START_TEST(bound_index_outside_raises_br)
{
    static const uint8_t c[] = { 0x62, 0x05, 0x00, 0x20, 0x00, 0x00 };   /* bound eax, [0x2000] */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm_poke(fm, 0x2000, 4, 0xffffffffu);   /* lower -1 */
    fm_poke(fm, 0x2004, 4, 10);            /* upper 10 */
    fm->cpu->gpr[R_AX] = 10;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    fm->cpu->gpr[R_AX] = 0xffffffffu;
    fm->cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    fm->cpu->gpr[R_AX] = 11;
    fm->cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_BR);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm->cpu->gpr[R_AX] = 0xfffffffeu;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_BR);
    fm_free(fm);
}
END_TEST

static Suite *misc_suite(void)
{
    Suite *s = suite_create("misc");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, nop_forms_advance_without_memory_access);
    tcase_add_test(tc, ud2_and_ud0_raise_ud);
    tcase_add_test(tc, lock_nop_raises_ud);
    tcase_add_test(tc, wait_with_mp_and_ts_raises_nm_else_nothing);
    tcase_add_test(tc, cmpxchg_mem_equal_stores_source);
    tcase_add_test(tc, cmpxchg_mem_unequal_loads_accumulator_with_cmp_flags);
    tcase_add_test(tc, cmpxchg_reg_unequal_long_mode_keeps_destination_upper_half);
    tcase_add_test(tc, cmpxchg8b_equal_and_unequal);
    tcase_add_test(tc, cmpxchg16b_equal_stores_rcx_rbx);
    tcase_add_test(tc, cmpxchg16b_misaligned_raises_gp);
    tcase_add_test(tc, xadd_mem_exchanges_and_adds);
    tcase_add_test(tc, xadd_same_register_gets_sum);
    tcase_add_test(tc, bound_index_outside_raises_br);
    suite_add_tcase(s, tc);
    return s;
}


int main(void)
{
    SRunner *sr = srunner_create(misc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
