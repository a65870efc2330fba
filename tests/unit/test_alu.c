/*
 * test_alu.c — ADD ADC SUB SBB AND OR XOR CMP TEST INC DEC NEG NOT (cpu/alu.c) on a fake machine.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "tests/unit/fake_machine.h"

#define ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

START_TEST(add_r32_signed_overflow_sets_of_sf_af_pf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x7fffffff;
    fm->cpu->gpr[R_BX] = 1;
    FM_LOAD(fm, 0x01, 0xd8);                 /* add eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x80000000u);
    ck_assert_uint_eq(fm_flags(fm), FL_OF | FL_SF | FL_AF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(adc_al_max_with_carry_in_keeps_ff_and_carries)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x12ff;
    FM_LOAD(fm, 0xf9,                        /* stc */
                0x14, 0xff);                 /* adc al, 0xff */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12ff);   /* ff + ff + 1 = 1ff */
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_AF | FL_SF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(adc_r64_zero_plus_carry_wraps_to_zero)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = ~0ull;
    fm->cpu->gpr[R_BX] = 0;
    FM_LOAD(fm, 0xf9,                        /* stc */
                0x48, 0x11, 0xd8);           /* adc rax, rbx */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_ZF | FL_AF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(adc_r32_max_plus_max_plus_carry_sets_cf_not_of)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0xffffffff;
    fm->cpu->gpr[R_BX] = 0xffffffff;
    FM_LOAD(fm, 0xf9,                        /* stc */
                0x11, 0xd8);                 /* adc eax, ebx */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xffffffffu);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_AF | FL_SF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(sbb_r16_borrow_in_wraps_to_zero_with_borrow)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0;
    fm->cpu->gpr[R_BX] = 0xffff;
    FM_LOAD(fm, 0xf9,                        /* stc */
                0x19, 0xd8);                 /* sbb ax, bx */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);         /* 0 - ffff - 1 = -10000 */
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_ZF | FL_AF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(cmp_r32_less_sets_cf_sf_leaves_operands)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 1;
    fm->cpu->gpr[R_BX] = 2;
    FM_LOAD(fm, 0x39, 0xd8);                 /* cmp eax, ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 1);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_SF | FL_AF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(add_m32_r32_writes_memory)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x2000;
    fm->cpu->gpr[R_BX] = 0x00010001;
    fm_poke(fm, 0x2000, 4, 0xffffffff);
    FM_LOAD(fm, 0x01, 0x18);                 /* add [eax], ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 4), 0x00010000);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_AF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(sub_m32_imm8_sign_extended)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x2000;
    fm_poke(fm, 0x2000, 4, 3);
    FM_LOAD(fm, 0x83, 0x28, 0x05);           /* sub dword [eax], 5 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 4), 0xfffffffe);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_SF | FL_AF);
    fm_free(fm);
}
END_TEST

START_TEST(test_m32_r32_logic_flags_no_write)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x2000;
    fm->cpu->gpr[R_BX] = 0x80000000;
    fm_poke(fm, 0x2000, 4, 0x80000001);
    FM_LOAD(fm, 0xf9,                        /* stc */
                0x85, 0x18);                 /* test [eax], ebx */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 4), 0x80000001);
    ck_assert_uint_eq(fm_flags(fm), FL_SF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(add_r64_imm8_sign_extends_to_64)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 0;
    FM_LOAD(fm, 0x48, 0x83, 0xc0, 0xff);     /* add rax, -1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], ~0ull);
    ck_assert_uint_eq(fm_flags(fm), FL_SF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(and_r64_imm32_sign_extended_keeps_high_bits)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 0x123456789abcdef0ull;
    FM_LOAD(fm, 0x48, 0x25, 0x00, 0x00, 0x00, 0x80);   /* and rax, 0xffffffff80000000 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1234567880000000ull);
    ck_assert_uint_eq(fm_flags(fm), FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(add_r32_in_64bit_mode_zero_extends)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = ~0ull;
    FM_LOAD(fm, 0x83, 0xc0, 0x01);           /* add eax, 1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_ZF | FL_AF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(add_r8_high_and_rex_byte_registers)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 0x1234;
    fm->cpu->gpr[R_SI] = 0x7f01;
    FM_LOAD(fm, 0x00, 0xe0,                  /* add al, ah      (al = 34 + 12 = 46) */
                0x40, 0x00, 0xf0);           /* add al, sil     (al = 46 + 01 = 47) */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1247);
    ck_assert_uint_eq(fm->cpu->gpr[R_SI], 0x7f01);
    fm_free(fm);
}
END_TEST

START_TEST(add_r32_with_66_prefix_in_pm16)
{
    FakeMachine *fm = fm_new(FM_PM16);
    fm->cpu->gpr[R_AX] = 0xffff;
    fm->cpu->gpr[R_BX] = 1;
    FM_LOAD(fm, 0x66, 0x01, 0xd8,            /* add eax, ebx */
                0x01, 0xd8);                 /* add ax, bx */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x10001);
    ck_assert_uint_eq(fm_flags(fm), 0);
    fm_free(fm);
}
END_TEST

START_TEST(inc_r16_overflow_keeps_cf)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x7fff;
    FM_LOAD(fm, 0xf9,                        /* stc */
                0x40);                       /* inc ax */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x8000);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_OF | FL_SF | FL_AF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(dec_m16_to_zero_keeps_cf_clear)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_poke(fm, 0x2000, 2, 1);
    FM_LOAD(fm, 0xff, 0x0e, 0x00, 0x20);     /* dec word [0x2000] */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 2), 0);
    ck_assert_uint_eq(fm_flags(fm), FL_ZF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(neg_r8_zero_and_min)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0;
    FM_LOAD(fm, 0xf6, 0xd8);                 /* neg al */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm_flags(fm), FL_ZF | FL_PF);
    fm->cpu->gpr[R_AX] = 0x80;
    FM_LOAD(fm, 0xf6, 0xd8);                 /* neg al */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x80);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_OF | FL_SF);
    fm_free(fm);
}
END_TEST

START_TEST(not_m32_leaves_flags)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x2000;
    fm_poke(fm, 0x2000, 4, 0x0f0f0f0f);
    fm_set_flags(fm, FL_CF | FL_ZF | FL_OF);
    FM_LOAD(fm, 0xf7, 0x10);                 /* not dword [eax] */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 4), 0xf0f0f0f0);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_ZF | FL_OF);
    fm_free(fm);
}
END_TEST

START_TEST(xor_r32_self_clears_and_sets_zf_pf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_CX] = 0x1234;
    fm_set_flags(fm, FL_CF | FL_OF);
    FM_LOAD(fm, 0x31, 0xc9);                 /* xor ecx, ecx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0);
    ck_assert_uint_eq(fm_flags(fm), FL_ZF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(lock_add_m32_is_allowed)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x2000;
    fm->cpu->gpr[R_BX] = 5;
    fm_poke(fm, 0x2000, 4, 7);
    FM_LOAD(fm, 0xf0, 0x01, 0x18);           /* lock add [eax], ebx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 4), 12);
    fm_free(fm);
}
END_TEST

START_TEST(lock_register_destination_raises_ud)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    fm->cpu->gpr[R_AX] = 1;
    fm->cpu->gpr[R_BX] = 2;
    FM_LOAD(fm, 0xf0, 0x01, 0xd8);           /* lock add ax, bx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_UD);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 1);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK - 6, 2), FM_CODE);   /* pushed IP: the LOCK prefix */
    fm_free(fm);
}
END_TEST

START_TEST(lock_cmp_memory_raises_ud)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    FM_LOAD(fm, 0xf0, 0x39, 0x1e, 0x00, 0x20);   /* lock cmp [0x2000], bx */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_UD);
    fm_free(fm);
}
END_TEST

START_TEST(lock_not_m16_is_allowed)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    fm_poke(fm, 0x2000, 2, 0x00ff);
    FM_LOAD(fm, 0xf0, 0xf7, 0x16, 0x00, 0x20);   /* lock not word [0x2000] */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 2), 0xff00);
    fm_free(fm);
}
END_TEST

/* Every binary operation at every size against a direct computation of the SDM definitions. */
static uint32_t ref_szp(uint64_t r, int bits)
{
    uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
    r &= m;
    return (r == 0 ? FL_ZF : 0) | ((r >> (bits - 1)) & 1 ? FL_SF : 0) |
           (__builtin_parity((unsigned)(r & 0xff)) ? 0 : FL_PF);
}

START_TEST(add_sub_all_sizes_match_reference)
{
    static const uint64_t vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
                                     0x80000000, 0xffffffff, 0x7fffffffffffffffull,
                                     0x8000000000000000ull, ~0ull, 0x0f0f0f0f0f0f0f0full };
    static const int sizes[] = { 1, 2, 4, 8 };
    FakeMachine *fm = fm_new(FM_LONG64);
    for (int si = 0; si < 4; si++) {
        int size = sizes[si], bits = size * 8;
        uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
        for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
            for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
                for (int cin = 0; cin < 2; cin++) {
                    uint64_t a = vals[i] & m, b = vals[j] & m;
                    /* stc/clc; adc rax/eax/ax/al, rbx/ebx/bx/bl (opcode 11 /r, 10 /r for bytes) */
                    uint8_t code[8];
                    int n = 0;
                    code[n++] = cin ? 0xf9 : 0xf8;
                    if (size == 2) code[n++] = 0x66;
                    if (size == 8) code[n++] = 0x48;
                    code[n++] = size == 1 ? 0x10 : 0x11;
                    code[n++] = 0xd8;
                    fm_code(fm, code, (size_t)n);
                    fm->cpu->gpr[R_AX] = a;
                    fm->cpu->gpr[R_BX] = b;
                    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
                    uint64_t r = (a + b + (uint64_t)cin) & m;
                    unsigned __int128 wide = (unsigned __int128)a + b + (unsigned)cin;
                    uint32_t f = ref_szp(r, bits);
                    if (wide >> bits) f |= FL_CF;
                    if (((a ^ b ^ r) & 0x10)) f |= FL_AF;
                    if ((~(a ^ b) & (a ^ r)) >> (bits - 1) & 1) f |= FL_OF;
                    ck_assert_uint_eq(fm->cpu->gpr[R_AX] & m, r);
                    ck_assert_uint_eq(fm_flags(fm), f);

                    /* stc/clc; sbb (opcode 19 /r, 18 /r for bytes) */
                    code[n - 2] = size == 1 ? 0x18 : 0x19;
                    fm_code(fm, code, (size_t)n);
                    fm->cpu->gpr[R_AX] = a;
                    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
                    r = (a - b - (uint64_t)cin) & m;
                    f = ref_szp(r, bits);
                    if ((unsigned __int128)a < (unsigned __int128)b + (unsigned)cin) f |= FL_CF;
                    if (((a ^ b ^ r) & 0x10)) f |= FL_AF;
                    if (((a ^ b) & (a ^ r)) >> (bits - 1) & 1) f |= FL_OF;
                    ck_assert_uint_eq(fm->cpu->gpr[R_AX] & m, r);
                    ck_assert_uint_eq(fm_flags(fm), f);
                }
            }
        }
    }
    fm_free(fm);
}
END_TEST

static Suite *alu_suite(void)
{
    Suite *s = suite_create("alu");
    TCase *tc = tcase_create("alu");
    tcase_add_test(tc, add_r32_signed_overflow_sets_of_sf_af_pf);
    tcase_add_test(tc, adc_al_max_with_carry_in_keeps_ff_and_carries);
    tcase_add_test(tc, adc_r64_zero_plus_carry_wraps_to_zero);
    tcase_add_test(tc, adc_r32_max_plus_max_plus_carry_sets_cf_not_of);
    tcase_add_test(tc, sbb_r16_borrow_in_wraps_to_zero_with_borrow);
    tcase_add_test(tc, cmp_r32_less_sets_cf_sf_leaves_operands);
    tcase_add_test(tc, add_m32_r32_writes_memory);
    tcase_add_test(tc, sub_m32_imm8_sign_extended);
    tcase_add_test(tc, test_m32_r32_logic_flags_no_write);
    tcase_add_test(tc, add_r64_imm8_sign_extends_to_64);
    tcase_add_test(tc, and_r64_imm32_sign_extended_keeps_high_bits);
    tcase_add_test(tc, add_r32_in_64bit_mode_zero_extends);
    tcase_add_test(tc, add_r8_high_and_rex_byte_registers);
    tcase_add_test(tc, add_r32_with_66_prefix_in_pm16);
    tcase_add_test(tc, inc_r16_overflow_keeps_cf);
    tcase_add_test(tc, dec_m16_to_zero_keeps_cf_clear);
    tcase_add_test(tc, neg_r8_zero_and_min);
    tcase_add_test(tc, not_m32_leaves_flags);
    tcase_add_test(tc, xor_r32_self_clears_and_sets_zf_pf);
    tcase_add_test(tc, lock_add_m32_is_allowed);
    tcase_add_test(tc, lock_register_destination_raises_ud);
    tcase_add_test(tc, lock_cmp_memory_raises_ud);
    tcase_add_test(tc, lock_not_m16_is_allowed);
    tcase_add_test(tc, add_sub_all_sizes_match_reference);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(alu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
