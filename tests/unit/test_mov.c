/*
 * test_mov.c — data movement (cpu/mov.c) on the fake machine: raw instruction bytes, assembly in
 * the comment next to them.
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

START_TEST(mov_moffs64_load_uses_full_64bit_offset)
{
    /* mov rax, [0x8000000000002000] — non-canonical: #GP(0); a truncated offset would read 0x2000 */
    static const uint8_t c[] = { 0x48, 0xa1, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80 };
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm_poke(fm, 0x2000, 8, 0x1122);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

START_TEST(mov_moffs64_load_reads_memory)
{
    /* mov rax, [0x2000] with a 64-bit moffs */
    static const uint8_t c[] = { 0x48, 0xa1, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm_poke(fm, 0x2000, 8, 0x1122334455667788ull);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1122334455667788ull);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 10);
    fm_free(fm);
}
END_TEST

START_TEST(mov_moffs16_store_honours_segment_override)
{
    static const uint8_t c[] = { 0x26, 0xa3, 0x34, 0x12 };   /* mov es:[0x1234], ax */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    fm->cpu->seg[SEG_ES].base = 0x20000;
    fm->cpu->gpr[R_AX] = 0xbeef;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x21234, 2), 0xbeef);
    ck_assert_uint_eq(fm_peek(fm, 0x1234, 2), 0);
    fm_free(fm);
}
END_TEST

START_TEST(mov_lock_prefix_raises_ud)
{
    static const uint8_t c[] = { 0xf0, 0x89, 0x00 };   /* lock mov [eax], eax */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x2000;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

START_TEST(movzx_byte_to_dword_zero_extends)
{
    static const uint8_t c[] = { 0x0f, 0xb6, 0xc7 };   /* movzx eax, bh */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xffffffff;
    fm->cpu->gpr[R_BX] = 0x80ff;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x80);
    fm_free(fm);
}
END_TEST

START_TEST(movsx_word_to_qword_sign_extends)
{
    static const uint8_t c[] = { 0x48, 0x0f, 0xbf, 0x03 };   /* movsx rax, word [rbx] */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_BX] = 0x2000;
    fm_poke(fm, 0x2000, 2, 0x8001);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xffffffffffff8001ull);
    fm_free(fm);
}
END_TEST

START_TEST(movsxd_rex_w_sign_extends_dword)
{
    static const uint8_t c[] = { 0x48, 0x63, 0xc3 };   /* movsxd rax, ebx */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_BX] = 0x1234567890000000ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xffffffff90000000ull);
    fm_free(fm);
}
END_TEST

START_TEST(movsxd_without_rex_w_zero_extends)
{
    static const uint8_t c[] = { 0x63, 0xc3 };   /* movsxd eax, ebx */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = ~0ull;
    fm->cpu->gpr[R_BX] = 0x90000000ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x90000000ull);
    fm_free(fm);
}
END_TEST

START_TEST(xchg_mem_reg_swaps_both)
{
    static const uint8_t c[] = { 0x87, 0x03 };   /* xchg [ebx], eax */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x11111111;
    fm->cpu->gpr[R_BX] = 0x2000;
    fm_poke(fm, 0x2000, 4, 0x22222222);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x22222222);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 4), 0x11111111);
    fm_free(fm);
}
END_TEST

START_TEST(xchg_eax_eax_long_mode_clears_upper_half)
{
    static const uint8_t c[] = { 0x87, 0xc0 };   /* xchg eax, eax (not the 90 NOP) */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xaaaaaaaa12345678ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12345678ull);
    fm_free(fm);
}
END_TEST

START_TEST(xchg_lock_mem_allowed)
{
    static const uint8_t c[] = { 0xf0, 0x86, 0x03 };   /* lock xchg [ebx], al */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x5a;
    fm->cpu->gpr[R_BX] = 0x2000;
    fm_poke(fm, 0x2000, 1, 0xa5);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xa5);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 1), 0x5a);
    fm_free(fm);
}
END_TEST

START_TEST(cmov_false_32bit_long_mode_zero_extends_destination)
{
    static const uint8_t c[] = { 0x0f, 0x44, 0xc3 };   /* cmovz eax, ebx */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xaaaaaaaa12345678ull;
    fm->cpu->gpr[R_BX] = 0x99;
    fm_set_flags(fm, 0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12345678ull);
    fm_free(fm);
}
END_TEST

START_TEST(cmov_true_copies_source)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0x4c, 0xc3 };   /* cmovl ax, bx */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x11112222;
    fm->cpu->gpr[R_BX] = 0x3333;
    fm_set_flags(fm, FL_SF);   /* SF != OF: less */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x11113333);
    fm_free(fm);
}
END_TEST

START_TEST(cmov_false_memory_source_still_faults)
{
    static const uint8_t c[] = { 0x0f, 0x44, 0x03 };   /* cmovz eax, [rbx] */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 7;
    fm->cpu->gpr[R_BX] = 0x8000000000000000ull;   /* non-canonical */
    fm_set_flags(fm, 0);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 7);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

START_TEST(setcc_writes_one_or_zero)
{
    static const uint8_t c[] = {
        0x0f, 0x94, 0xc4,   /* setz ah */
        0x0f, 0x9f, 0x03,   /* setg [ebx] */
    };
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xffff;
    fm->cpu->gpr[R_BX] = 0x2000;
    fm_poke(fm, 0x2000, 1, 0x55);
    fm_set_flags(fm, FL_ZF);
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x01ff);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 1), 0);   /* ZF=1: not greater */
    fm_free(fm);
}
END_TEST

START_TEST(bswap_reverses_dword_and_qword)
{
    static const uint8_t c[] = {
        0x0f, 0xc8,         /* bswap eax */
        0x48, 0x0f, 0xcb,   /* bswap rbx */
    };
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xffffffff11223344ull;
    fm->cpu->gpr[R_BX] = 0x0102030405060708ull;
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x44332211ull);
    ck_assert_uint_eq(fm->cpu->gpr[R_BX], 0x0807060504030201ull);
    fm_free(fm);
}
END_TEST

START_TEST(bswap_16bit_clears_low_word)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0xc8 };   /* bswap ax (undefined: Intel gives 0) */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x12345678;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12340000);
    fm_free(fm);
}
END_TEST

START_TEST(movbe_load_and_store_swap_bytes)
{
    static const uint8_t c[] = {
        0x0f, 0x38, 0xf0, 0x03,         /* movbe eax, [ebx] */
        0x66, 0x0f, 0x38, 0xf1, 0x4b, 0x04,   /* movbe [ebx+4], cx */
    };
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_BX] = 0x2000;
    fm->cpu->gpr[R_CX] = 0xaabb;
    fm_poke(fm, 0x2000, 4, 0x11223344);
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x44332211);
    ck_assert_uint_eq(fm_peek(fm, 0x2004, 2), 0xbbaa);
    fm_free(fm);
}
END_TEST

START_TEST(cbw_family_sign_extends_accumulator)
{
    static const uint8_t c[] = {
        0x66, 0x98,   /* cbw */
        0x98,         /* cwde */
        0x48, 0x98,   /* cdqe */
    };
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x1234567812345680ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x123456781234ff80ull);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x00000000ffffff80ull);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xffffffffffffff80ull);
    fm_free(fm);
}
END_TEST

START_TEST(cwd_family_fills_dx_with_sign)
{
    static const uint8_t c[] = {
        0x99,         /* cwd (real mode) */
    };
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x8000;
    fm->cpu->gpr[R_DX] = 0x12340000;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0x1234ffff);
    fm_free(fm);

    static const uint8_t c64[] = { 0x48, 0x99, 0x99 };   /* cqo; cdq */
    fm = prep(FM_LONG64, c64, sizeof c64);
    fm->cpu->gpr[R_AX] = 0x7fffffffffffffffull;
    fm->cpu->gpr[R_DX] = 5;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0);
    fm->cpu->gpr[R_DX] = 5;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0xffffffffull);
    fm_free(fm);
}
END_TEST

START_TEST(xlat_uses_bx_plus_al_with_override)
{
    static const uint8_t c[] = { 0x26, 0xd7 };   /* xlat es: */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    fm->cpu->seg[SEG_ES].base = 0x30000;
    fm->cpu->gpr[R_BX] = 0xfff0;
    fm->cpu->gpr[R_AX] = 0x1220;   /* AL = 0x20: offset wraps to 0x0010 */
    fm_poke(fm, 0x30010, 1, 0x77);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x1277);
    fm_free(fm);
}
END_TEST

START_TEST(lea_32bit_address_in_long_mode_wraps_and_zero_extends)
{
    static const uint8_t c[] = {
        0x67, 0x48, 0x8d, 0x04, 0x18,   /* lea rax, [eax+ebx] */
        0x66, 0x8d, 0x4c, 0x18, 0x05,   /* lea cx, [rax+rbx+5] */
    };
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xffffffff;
    fm->cpu->gpr[R_BX] = 2;
    fm->cpu->gpr[R_CX] = 0xffffffffffffffffull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 1);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0xffffffffffff0008ull);
    fm_free(fm);
}
END_TEST

START_TEST(lea_16bit_address_wraps)
{
    static const uint8_t c[] = { 0x66, 0x8d, 0x87, 0xff, 0xff };   /* lea eax, [bx+0xffff] */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0xffffffff;
    fm->cpu->gpr[R_BX] = 2;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 1);
    fm_free(fm);
}
END_TEST

static Suite *mov_suite(void)
{
    Suite *s = suite_create("mov");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, mov_moffs64_load_uses_full_64bit_offset);
    tcase_add_test(tc, mov_moffs64_load_reads_memory);
    tcase_add_test(tc, mov_moffs16_store_honours_segment_override);
    tcase_add_test(tc, mov_lock_prefix_raises_ud);
    tcase_add_test(tc, movzx_byte_to_dword_zero_extends);
    tcase_add_test(tc, movsx_word_to_qword_sign_extends);
    tcase_add_test(tc, movsxd_rex_w_sign_extends_dword);
    tcase_add_test(tc, movsxd_without_rex_w_zero_extends);
    tcase_add_test(tc, xchg_mem_reg_swaps_both);
    tcase_add_test(tc, xchg_eax_eax_long_mode_clears_upper_half);
    tcase_add_test(tc, xchg_lock_mem_allowed);
    tcase_add_test(tc, cmov_false_32bit_long_mode_zero_extends_destination);
    tcase_add_test(tc, cmov_true_copies_source);
    tcase_add_test(tc, cmov_false_memory_source_still_faults);
    tcase_add_test(tc, setcc_writes_one_or_zero);
    tcase_add_test(tc, bswap_reverses_dword_and_qword);
    tcase_add_test(tc, bswap_16bit_clears_low_word);
    tcase_add_test(tc, movbe_load_and_store_swap_bytes);
    tcase_add_test(tc, cbw_family_sign_extends_accumulator);
    tcase_add_test(tc, cwd_family_fills_dx_with_sign);
    tcase_add_test(tc, xlat_uses_bx_plus_al_with_override);
    tcase_add_test(tc, lea_32bit_address_in_long_mode_wraps_and_zero_extends);
    tcase_add_test(tc, lea_16bit_address_wraps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mov_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
