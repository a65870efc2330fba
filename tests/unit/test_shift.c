/*
 * test_shift.c — shifts, rotates, SHLD/SHRD (cpu/shift.c) on a fake machine.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "tests/unit/fake_machine.h"

#define ALL (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

START_TEST(shl_count_zero_leaves_value_and_flags)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x80000001;
    fm->cpu->gpr[R_CX] = 32;                 /* masked to 0 */
    fm_set_flags(fm, FL_CF | FL_ZF | FL_OF | FL_AF);
    FM_LOAD(fm, 0xd3, 0xe0);                 /* shl eax, cl */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x80000001);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_ZF | FL_OF | FL_AF);
    fm_free(fm);
}
END_TEST

START_TEST(shl_count_one_sets_of_on_sign_change)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x40000000;
    FM_LOAD(fm, 0xd1, 0xe0);                 /* shl eax, 1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x80000000);
    ck_assert_uint_eq(fm_flags(fm) & ~FL_AF, FL_OF | FL_SF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(shr_count_one_of_is_old_msb)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x80000001;
    FM_LOAD(fm, 0xd1, 0xe8);                 /* shr eax, 1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x40000000);
    ck_assert_uint_eq(fm_flags(fm) & ~FL_AF, FL_CF | FL_OF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(sar_r8_count_one_clears_of)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x81;
    FM_LOAD(fm, 0xd0, 0xf8);                 /* sar al, 1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xc0);
    ck_assert_uint_eq(fm_flags(fm) & ~FL_AF, FL_CF | FL_SF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(shift_r8_counts_past_width)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x01;
    FM_LOAD(fm, 0xc0, 0xe0, 0x08);           /* shl al, 8: CF = old bit 0 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), FL_CF | FL_ZF);
    fm->cpu->gpr[R_AX] = 0xff;
    FM_LOAD(fm, 0xc0, 0xe0, 0x09);           /* shl al, 9: everything shifted out, CF = 0 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), FL_ZF);
    fm->cpu->gpr[R_AX] = 0x80;
    FM_LOAD(fm, 0xc0, 0xe8, 0x08);           /* shr al, 8: CF = old bit 7 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF), FL_CF | FL_ZF);
    fm->cpu->gpr[R_AX] = 0x80;
    FM_LOAD(fm, 0xc0, 0xf8, 0x14);           /* sar al, 20: all sign bits */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xff);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF | FL_SF), FL_CF | FL_SF);
    fm_free(fm);
}
END_TEST

START_TEST(shl_r64_count_masked_to_six_bits)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 0x4000000000000001ull;
    fm->cpu->gpr[R_CX] = 65;                 /* masked to 1 */
    FM_LOAD(fm, 0x48, 0xd3, 0xe0);           /* shl rax, cl */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x8000000000000002ull);
    ck_assert_uint_eq(fm_flags(fm) & ~FL_AF, FL_OF | FL_SF);
    fm_free(fm);
}
END_TEST

START_TEST(shl_m32_count_one_writes_memory)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x2000;
    fm_poke(fm, 0x2000, 4, 0x80000003);
    FM_LOAD(fm, 0xd1, 0x20);                 /* shl dword [eax], 1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 4), 6);
    ck_assert_uint_eq(fm_flags(fm) & ~FL_AF, FL_CF | FL_OF | FL_PF);
    fm_free(fm);
}
END_TEST

START_TEST(rol_r8_count_eight_updates_cf_of_only)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x81;
    fm_set_flags(fm, FL_ZF | FL_OF);
    FM_LOAD(fm, 0xc0, 0xc0, 0x08);           /* rol al, 8: value unchanged, CF = LSB */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x81);
    ck_assert_uint_eq(fm_flags(fm), FL_ZF | FL_CF);   /* OF = MSB ^ CF = 0 */
    fm_free(fm);
}
END_TEST

START_TEST(ror_r16_count_one_sets_cf_of)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x0001;
    FM_LOAD(fm, 0xd1, 0xc8);                 /* ror ax, 1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x8000);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_OF);
    fm_free(fm);
}
END_TEST

START_TEST(rcl_r8_count_nine_is_identity_with_flags)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x55;
    FM_LOAD(fm, 0xf9,                        /* stc */
                0xc0, 0xd0, 0x09);           /* rcl al, 9 */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x55);
    ck_assert_uint_eq(fm_flags(fm) & FL_CF, FL_CF);
    fm_free(fm);
}
END_TEST

START_TEST(rcr_r64_count_one_rotates_carry_in)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 1;
    FM_LOAD(fm, 0xf9,                        /* stc */
                0x48, 0xd1, 0xd8);           /* rcr rax, 1 */
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x8000000000000000ull);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_OF);   /* OF = old MSB ^ CF in = 0 ^ 1 */
    fm_free(fm);
}
END_TEST

START_TEST(shld_r32_imm_fills_from_source)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x12345678;
    fm->cpu->gpr[R_BX] = 0x9abcdef0;
    FM_LOAD(fm, 0x0f, 0xa4, 0xd8, 0x04);     /* shld eax, ebx, 4 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x23456789);
    ck_assert_uint_eq(fm->cpu->gpr[R_BX], 0x9abcdef0);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF | FL_SF), FL_CF);
    fm->cpu->gpr[R_AX] = 0x12345678;
    FM_LOAD(fm, 0x0f, 0xac, 0xd8, 0x04);     /* shrd eax, ebx, 4 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x01234567);
    ck_assert_uint_eq(fm_flags(fm) & (FL_CF | FL_ZF | FL_SF), FL_CF);
    fm_free(fm);
}
END_TEST

START_TEST(shld_r32_cl_zero_leaves_flags)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x12345678;
    fm->cpu->gpr[R_CX] = 0x20;
    fm_set_flags(fm, FL_CF | FL_PF);
    FM_LOAD(fm, 0x0f, 0xa5, 0xd8);           /* shld eax, ebx, cl */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12345678);
    ck_assert_uint_eq(fm_flags(fm), FL_CF | FL_PF);
    fm_free(fm);
}
END_TEST

/* XXX behaviour (undefined in the SDM): 16-bit count > 16 shifts dest:src:dest (P6 and later). */
START_TEST(shld_r16_count_over_16_uses_dest_src_dest)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x1234;
    fm->cpu->gpr[R_BX] = 0xabcd;
    FM_LOAD(fm, 0x0f, 0xa4, 0xd8, 0x14);     /* shld ax, bx, 20: 1234abcd1234 << 20 -> bcd1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xbcd1);
    fm->cpu->gpr[R_AX] = 0x1234;
    FM_LOAD(fm, 0x0f, 0xac, 0xd8, 0x14);     /* shrd ax, bx, 20: 1234abcd1234 >> 20 -> 4abc */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x4abc);
    fm_free(fm);
}
END_TEST

START_TEST(lock_shift_raises_ud)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    fm->cpu->gpr[R_AX] = 1;
    FM_LOAD(fm, 0xf0, 0xd1, 0x26, 0x00, 0x20);   /* lock shl word [0x2000], 1 */
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_UD);
    fm_free(fm);
}
END_TEST

/* ---- sweep against a bit-by-bit model of the SDM pseudo-code ---- */

enum { ROL, ROR, RCL, RCR, SHL, SHR, SAR = 7 };

/* One operation by looping one bit at a time; returns the result, updates *cf and *of. */
static uint64_t ref_op(int op, int bits, uint64_t v, unsigned count, bool *cf, bool *of)
{
    uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1, msb = 1ull << (bits - 1);
    unsigned masked = count & (bits == 64 ? 63 : 31);
    if (masked == 0)
        return v;
    unsigned t = masked;
    if (op == ROL || op == ROR)
        t = masked % (unsigned)bits;
    if ((op == RCL || op == RCR) && bits < 32)
        t = masked % (unsigned)(bits + 1);
    uint64_t prev = v;
    for (unsigned i = 0; i < t; i++) {
        prev = v;
        bool out;
        switch (op) {
        case ROL: out = v & msb; v = ((v << 1) | out) & m; break;
        case ROR: out = v & 1; v = (v >> 1) | (out ? msb : 0); break;
        case RCL: out = v & msb; v = ((v << 1) | *cf) & m; *cf = out; break;
        case RCR: out = v & 1; v = (v >> 1) | (*cf ? msb : 0); *cf = out; break;
        case SHL: *cf = v & msb; v = (v << 1) & m; break;
        case SHR: *cf = v & 1; v >>= 1; break;
        default: *cf = v & 1; v = (v >> 1) | (v & msb); break;
        }
    }
    bool top = v & msb, next = v & (msb >> 1);
    switch (op) {
    case ROL: *cf = v & 1; *of = top ^ *cf; break;
    case ROR: *cf = top; *of = top ^ next; break;
    case RCL: *of = top ^ *cf; break;
    case RCR: *of = top ^ next; break;
    default:
        /* SHL: MSB(result) ^ CF; SHR: MSB(original); SAR: 0 for count 1; other counts: the same
         * formula, MSB(value before the last step) ^ MSB(result) (the documented choice). */
        *of = ((prev & msb) != 0) ^ top;
        break;
    }
    return v;
}

START_TEST(shift_rotate_all_sizes_counts_match_model)
{
    static const uint64_t vals[] = { 0, 1, 0x80, 0xa5, 0x8001, 0x5a5a, 0x80000001, 0xdeadbeef,
                                     0x8000000000000001ull, 0x0123456789abcdefull, ~0ull };
    static const int sizes[] = { 1, 2, 4, 8 };
    static const int ops[] = { ROL, ROR, RCL, RCR, SHL, SHR, SAR };
    FakeMachine *fm = fm_new(FM_LONG64);
    for (int si = 0; si < 4; si++) {
        int size = sizes[si], bits = size * 8;
        uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
        for (int oi = 0; oi < 7; oi++) {
            for (size_t vi = 0; vi < sizeof(vals) / sizeof(vals[0]); vi++) {
                for (unsigned count = 0; count < 70; count += (count < 34 ? 1 : 7)) {
                    for (int cin = 0; cin < 2; cin++) {
                        /* [66|48] d2/d3 /op rax-family, cl */
                        uint8_t code[3];
                        int n = 0;
                        if (size == 2) code[n++] = 0x66;
                        if (size == 8) code[n++] = 0x48;
                        code[n++] = size == 1 ? 0xd2 : 0xd3;
                        code[n++] = (uint8_t)(0xc0 | (ops[oi] << 3));
                        fm_code(fm, code, (size_t)n);
                        fm_set_flags(fm, cin ? FL_CF : 0);
                        uint64_t v = vals[vi] & m;
                        fm->cpu->gpr[R_AX] = v;
                        fm->cpu->gpr[R_CX] = count;
                        ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
                        uint32_t before = cin ? FL_CF : 0;
                        bool cf = cin, of = false;
                        uint64_t r = ref_op(ops[oi], bits, v, count, &cf, &of);
                        unsigned masked = count & (bits == 64 ? 63 : 31);
                        ck_assert_msg((fm->cpu->gpr[R_AX] & m) == r,
                                      "op %d size %d v %llx count %u cin %d: got %llx want %llx",
                                      ops[oi], size, (unsigned long long)v, count, cin,
                                      (unsigned long long)(fm->cpu->gpr[R_AX] & m), (unsigned long long)r);
                        uint32_t f = fm_flags(fm);
                        if (masked == 0) {
                            ck_assert_uint_eq(f, before);
                            continue;
                        }
                        ck_assert_msg(((f & FL_CF) != 0) == cf && ((f & FL_OF) != 0) == of,
                                      "op %d size %d v %llx count %u cin %d: flags %x want cf %d of %d",
                                      ops[oi], size, (unsigned long long)v, count, cin, f, cf, of);
                        if (ops[oi] <= RCR)
                            ck_assert_uint_eq(f & (FL_ZF | FL_SF | FL_PF | FL_AF), 0);
                        else
                            ck_assert_uint_eq(f & FL_ZF, r == 0 ? FL_ZF : 0);
                    }
                }
            }
        }
    }
    fm_free(fm);
}
END_TEST

static Suite *shift_suite(void)
{
    Suite *s = suite_create("shift");
    TCase *tc = tcase_create("shift");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, shl_count_zero_leaves_value_and_flags);
    tcase_add_test(tc, shl_count_one_sets_of_on_sign_change);
    tcase_add_test(tc, shr_count_one_of_is_old_msb);
    tcase_add_test(tc, sar_r8_count_one_clears_of);
    tcase_add_test(tc, shift_r8_counts_past_width);
    tcase_add_test(tc, shl_r64_count_masked_to_six_bits);
    tcase_add_test(tc, shl_m32_count_one_writes_memory);
    tcase_add_test(tc, rol_r8_count_eight_updates_cf_of_only);
    tcase_add_test(tc, ror_r16_count_one_sets_cf_of);
    tcase_add_test(tc, rcl_r8_count_nine_is_identity_with_flags);
    tcase_add_test(tc, rcr_r64_count_one_rotates_carry_in);
    tcase_add_test(tc, shld_r32_imm_fills_from_source);
    tcase_add_test(tc, shld_r32_cl_zero_leaves_flags);
    tcase_add_test(tc, shld_r16_count_over_16_uses_dest_src_dest);
    tcase_add_test(tc, lock_shift_raises_ud);
    tcase_add_test(tc, shift_rotate_all_sizes_counts_match_model);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(shift_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
