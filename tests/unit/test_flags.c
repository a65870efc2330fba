/*
 * test_flags.c — lazy flags (cpu/flags.c) against the eager reference (flags_ref.c).
 *
 * For every operation and operand size the test records the operation the way flags.h's contract
 * says an instruction handler must (cc_op, dst, src, src2), then compares cc_compute(), cc_cf()
 * and cc_cond() for all 16 conditions with what the reference computes from the operands.  Only
 * flags the SDM defines are compared with the reference; conditions are also checked against the
 * flags cc_compute() itself reports, so the fast paths in cc_cond() agree with the slow one.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "tests/unit/flags_ref.h"

static const int sizes[4] = { 1, 2, 4, 8 };
static const char *const op_names[] = { "ADD", "ADC", "SUB", "SBB", "AND", "OR", "XOR", "INC", "DEC",
                                        "SHL", "SHR", "SAR", "MUL", "IMUL" };
#define NUM_OPS 14

static uint64_t mask_of(int size) { return size == 8 ? ~0ull : (1ull << (8 * size)) - 1; }

/* xorshift64*: test-local generator state, seeded per test */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

/* Operands biased toward interesting values: random bits, small, near the sign bit, all ones. */
static uint64_t rnd_operand(uint64_t *s, int size)
{
    uint64_t m = mask_of(size), sb = 1ull << (8 * size - 1), r = rnd(s);
    switch (rnd(s) % 6) {
    case 0: return r & m;
    case 1: return r & 0x1f;
    case 2: return (sb + (r & 0xf) - 8) & m;
    case 3: return (m - (r & 0xf)) & m;
    case 4: return (r & m) ^ sb;
    default: return (r >> (rnd(s) % 64)) & m;
    }
}

/* Records `op` per the flags.h contract, as a handler would. */
static void record(Cpu *cpu, RefOp op, int size, uint64_t a, uint64_t b, int cf_in, const RefResult *r)
{
    uint64_t m = mask_of(size);
    int bits = 8 * size;
    switch (op) {
    case REF_ADD: cc_set(cpu, CC_OP_ADD, size, r->result, b & m); break;
    case REF_ADC: cc_set3(cpu, CC_OP_ADC, size, r->result, b & m, (uint64_t)cf_in); break;
    case REF_SUB: cc_set(cpu, CC_OP_SUB, size, r->result, b & m); break;
    case REF_SBB: cc_set3(cpu, CC_OP_SBB, size, r->result, b & m, (uint64_t)cf_in); break;
    case REF_AND: case REF_OR: case REF_XOR: cc_set(cpu, CC_OP_LOGIC, size, r->result, 0); break;
    case REF_INC: cc_set3(cpu, CC_OP_INC, size, r->result, 0, (uint64_t)cf_in); break;
    case REF_DEC: cc_set3(cpu, CC_OP_DEC, size, r->result, 0, (uint64_t)cf_in); break;
    case REF_SHL: cc_set(cpu, CC_OP_SHL, size, r->result, b - 1 >= 64 ? 0 : (a << (b - 1)) & m); break;
    case REF_SHR: cc_set(cpu, CC_OP_SHR, size, r->result, b - 1 >= 64 ? 0 : (a & m) >> (b - 1)); break;
    case REF_SAR: {
        int64_t sa = (int64_t)((a & m) << (64 - bits)) >> (64 - bits);
        cc_set(cpu, CC_OP_SAR, size, r->result, (uint64_t)(sa >> (b - 1)) & m);
        break;
    }
    case REF_MUL: cc_set(cpu, CC_OP_MUL, size, r->result, r->high); break;
    case REF_IMUL: {
        uint64_t sign_fill = (r->result >> (bits - 1)) & 1 ? m : 0;
        cc_set(cpu, CC_OP_IMUL, size, r->result, r->high != sign_fill);
        break;
    }
    }
}

/* Compares everything for one case and fails the test with the case in the message.  Plain
 * comparisons first: Check's assertions cost a message to the runner each, even when they pass. */
static void check_case(Cpu *cpu, RefOp op, int size, uint64_t a, uint64_t b, int cf_in)
{
    RefResult r = flags_ref(op, size, a, b, cf_in);
    cpu->eflags = FL_FIXED1 | FL_IF;
    record(cpu, op, size, a, b, cf_in, &r);
    uint32_t got = cc_compute(cpu->cc_op, cpu->cc_dst, cpu->cc_src, cpu->cc_src2);
    const char *what = NULL;
    int bad_cc = -1;
    if (((got ^ r.flags) & r.defined) != 0)
        what = "cc_compute differs from the reference";
    else if ((got & ~FL_ARITH) != 0)
        what = "cc_compute set non-arithmetic bits";
    else if ((r.defined & FL_CF) && cc_cf(cpu) != ((r.flags & FL_CF) != 0))
        what = "cc_cf differs from the reference";
    else if (cpu->cc_dst != r.result)
        what = "test bug: reference result is not the recorded dst";
    for (int cc = 0; cc < 16 && !what; cc++) {
        bool c = cc_cond(cpu, cc);
        bad_cc = cc;
        if (c != (flags_ref_cond(got, cc) != 0))
            what = "cc_cond disagrees with cc_compute";
        else if ((flags_ref_cond_uses(cc) & ~r.defined) == 0 && c != (flags_ref_cond(r.flags, cc) != 0))
            what = "cc_cond differs from the reference";
    }
    if (what)
        ck_abort_msg("%s size %d a=%#llx b=%#llx cf_in=%d: %s (cc %d): got %#x, reference %#x (defined %#x)",
                     op_names[op], size, (unsigned long long)a, (unsigned long long)b, cf_in, what, bad_cc, got,
                     r.flags, r.defined);
}

static bool is_shift(RefOp op) { return op == REF_SHL || op == REF_SHR || op == REF_SAR; }

static uint64_t shift_count(uint64_t *s, int size)
{
    return 1 + rnd(s) % (size == 8 ? 63 : 31);   /* masked count, non-zero (zero changes nothing) */
}

/* ---- the reference itself, on hand-computed values ---- */

START_TEST(flags_ref_known_values_match_hand_computation)
{
    RefResult r = flags_ref(REF_ADD, 1, 0x7f, 1, 0);          /* 7F+1 = 80: SF OF AF */
    ck_assert_uint_eq(r.result, 0x80);
    ck_assert_uint_eq(r.flags, FL_SF | FL_OF | FL_AF);
    r = flags_ref(REF_ADD, 1, 0xff, 1, 0);                    /* FF+1 = 00: CF ZF AF PF */
    ck_assert_uint_eq(r.flags, FL_CF | FL_ZF | FL_AF | FL_PF);
    r = flags_ref(REF_SUB, 4, 0, 1, 0);                       /* 0-1 = FFFFFFFF: CF SF AF PF */
    ck_assert_uint_eq(r.result, 0xffffffffu);
    ck_assert_uint_eq(r.flags, FL_CF | FL_SF | FL_AF | FL_PF);
    r = flags_ref(REF_SUB, 2, 0x8000, 1, 0);                  /* 8000-1 = 7FFF: OF AF PF */
    ck_assert_uint_eq(r.flags, FL_OF | FL_AF | FL_PF);
    r = flags_ref(REF_SBB, 1, 5, 5, 1);                       /* 5-5-1 = FF: CF SF AF PF */
    ck_assert_uint_eq(r.result, 0xff);
    ck_assert_uint_eq(r.flags, FL_CF | FL_SF | FL_AF | FL_PF);
    r = flags_ref(REF_ADC, 8, ~0ull, 0, 1);                   /* -1+0+1 = 0: CF ZF AF PF */
    ck_assert_uint_eq(r.result, 0);
    ck_assert_uint_eq(r.flags, FL_CF | FL_ZF | FL_AF | FL_PF);
    r = flags_ref(REF_INC, 2, 0x7fff, 0, 1);                  /* INC keeps CF */
    ck_assert_uint_eq(r.flags, FL_OF | FL_SF | FL_AF | FL_PF | FL_CF);
    r = flags_ref(REF_SHL, 1, 0xc0, 1, 0);                    /* C0<<1 = 80, CF=1, OF=1^1=0 */
    ck_assert_uint_eq(r.result, 0x80);
    ck_assert_uint_eq(r.flags & (FL_CF | FL_OF | FL_SF), FL_CF | FL_SF);
    r = flags_ref(REF_SAR, 1, 0x81, 1, 0);                    /* 81 sar 1 = C0, CF=1 */
    ck_assert_uint_eq(r.result, 0xc0);
    ck_assert_uint_eq(r.flags & (FL_CF | FL_OF), FL_CF);
    r = flags_ref(REF_SHR, 1, 0x81, 1, 0);                    /* 81 shr 1 = 40, CF=1, OF=1 */
    ck_assert_uint_eq(r.flags & (FL_CF | FL_OF), FL_CF | FL_OF);
    r = flags_ref(REF_MUL, 1, 0x10, 0x10, 0);                 /* 10*10 = 0100 */
    ck_assert_uint_eq(r.result, 0);
    ck_assert_uint_eq(r.high, 1);
    ck_assert_uint_eq(r.flags & (FL_CF | FL_OF), FL_CF | FL_OF);
    r = flags_ref(REF_IMUL, 1, 0xff, 0x80, 0);                /* -1 * -128 = +128: does not fit */
    ck_assert_uint_eq(r.result, 0x80);
    ck_assert_uint_eq(r.high, 0);
    ck_assert_uint_eq(r.flags & (FL_CF | FL_OF), FL_CF | FL_OF);
    r = flags_ref(REF_IMUL, 8, ~0ull, 2, 0);                  /* -1 * 2 = -2: fits */
    ck_assert_uint_eq(r.result, ~1ull);
    ck_assert_uint_eq(r.high, ~0ull);
    ck_assert_uint_eq(r.flags & (FL_CF | FL_OF), 0);
    r = flags_ref(REF_MUL, 8, ~0ull, ~0ull, 0);               /* (2^64-1)^2 = FFFFFFFFFFFFFFFE:0000000000000001 */
    ck_assert_uint_eq(r.result, 1);
    ck_assert_uint_eq(r.high, ~1ull);
}
END_TEST

/* ---- lazy flags vs. reference ---- */

START_TEST(cc_compute_random_operands_match_reference)
{
    RefOp op = (RefOp)_i;
    Cpu *cpu = calloc(1, sizeof(Cpu));
    uint64_t s = 0x9e3779b97f4a7c15ull ^ (uint64_t)(_i + 1) * 0x1234567ull;
    for (int si = 0; si < 4; si++) {
        int size = sizes[si];
        for (int n = 0; n < 4000; n++) {
            uint64_t a = rnd_operand(&s, size);
            uint64_t b = is_shift(op) ? shift_count(&s, size) : rnd_operand(&s, size);
            check_case(cpu, op, size, a, b, (int)(rnd(&s) & 1));
        }
    }
    free(cpu);
}
END_TEST

START_TEST(cc_compute_edge_operands_match_reference)
{
    RefOp op = (RefOp)_i;
    Cpu *cpu = calloc(1, sizeof(Cpu));
    for (int si = 0; si < 4; si++) {
        int size = sizes[si];
        uint64_t m = mask_of(size), sb = 1ull << (8 * size - 1);
        const uint64_t edge[] = { 0, 1, 2, 0x0f, 0x10, sb - 1, sb, sb + 1, m - 1, m, m >> 1 ^ 0x55, 0xf0 & m };
        const int ne = (int)(sizeof(edge) / sizeof(edge[0]));
        for (int i = 0; i < ne; i++) {
            if (is_shift(op)) {
                for (uint64_t c = 1; c < (size == 8 ? 64u : 32u); c++)
                    check_case(cpu, op, size, edge[i], c, 0);
                continue;
            }
            for (int j = 0; j < ne; j++)
                for (int cf = 0; cf < 2; cf++)
                    check_case(cpu, op, size, edge[i], edge[j], cf);
        }
    }
    free(cpu);
}
END_TEST

START_TEST(cc_compute_exhaustive_bytes_match_reference)
{
    /* every pair of 8-bit operands (and both carries) for the two-operand arithmetic ops */
    static const RefOp ops[] = { REF_ADD, REF_ADC, REF_SUB, REF_SBB, REF_XOR, REF_MUL, REF_IMUL };
    Cpu *cpu = calloc(1, sizeof(Cpu));
    RefOp op = ops[_i];
    for (uint64_t a = 0; a < 256; a++)
        for (uint64_t b = 0; b < 256; b++)
            check_case(cpu, op, 1, a, b, (int)((a ^ b) & 1));
    free(cpu);
}
END_TEST

/* ---- contract details beyond the SDM ---- */

START_TEST(cc_compute_logic_clears_cf_of_af)
{
    for (int lg = 0; lg < 4; lg++) {
        uint32_t f = cc_compute((CC_OP_LOGIC << 2) | (uint32_t)lg, ~0ull, ~0ull, 1);
        ck_assert_uint_eq(f & (FL_CF | FL_OF | FL_AF), 0);
        ck_assert_uint_eq(f & FL_SF, FL_SF);
    }
}
END_TEST

START_TEST(cc_cond_eflags_op_reads_stored_flags)
{
    Cpu *cpu = calloc(1, sizeof(Cpu));
    for (uint32_t bits = 0; bits < 64; bits++) {
        /* all 64 combinations of the six flags */
        static const uint32_t fl[6] = { FL_CF, FL_PF, FL_AF, FL_ZF, FL_SF, FL_OF };
        uint32_t f = 0;
        for (int k = 0; k < 6; k++)
            if (bits & (1u << k))
                f |= fl[k];
        cpu_set_eflags(cpu, f | FL_IF | FL_DF);
        ck_assert_uint_eq(cpu_get_eflags(cpu), f | FL_IF | FL_DF | FL_FIXED1);
        ck_assert_int_eq(cc_cf(cpu), (f & FL_CF) != 0);
        for (int cc = 0; cc < 16; cc++)
            ck_assert_int_eq(cc_cond(cpu, cc), flags_ref_cond(f, cc));
    }
    free(cpu);
}
END_TEST

START_TEST(cc_materialize_any_op_keeps_flags_and_other_bits)
{
    Cpu *cpu = calloc(1, sizeof(Cpu));
    uint64_t s = 77;
    for (int n = 0; n < 2000; n++) {
        RefOp op = (RefOp)(rnd(&s) % NUM_OPS);
        int size = sizes[rnd(&s) % 4];
        uint64_t a = rnd_operand(&s, size);
        uint64_t b = is_shift(op) ? shift_count(&s, size) : rnd_operand(&s, size);
        RefResult r = flags_ref(op, size, a, b, 1);
        cpu->eflags = FL_FIXED1 | FL_IF | FL_DF | FL_ARITH;   /* stale arithmetic bits must go */
        record(cpu, op, size, a, b, 1, &r);
        uint32_t before = cpu_get_eflags(cpu);
        ck_assert_uint_eq(before & (FL_IF | FL_DF | FL_FIXED1), FL_IF | FL_DF | FL_FIXED1);
        cc_materialize(cpu);
        ck_assert_uint_eq(cpu->cc_op, CC_OP_EFLAGS);
        ck_assert_uint_eq(cpu_get_eflags(cpu), before);
    }
    free(cpu);
}
END_TEST

START_TEST(cpu_set_eflags_reserved_bits_forced)
{
    Cpu *cpu = calloc(1, sizeof(Cpu));
    cpu_set_eflags(cpu, 0xffffffffu);
    uint32_t f = cpu_get_eflags(cpu);
    ck_assert_uint_eq(f & (0x8u | 0x20u | 0x8000u), 0);
    ck_assert_uint_eq(f & FL_FIXED1, FL_FIXED1);
    cpu_set_eflags(cpu, 0);
    ck_assert_uint_eq(cpu_get_eflags(cpu), FL_FIXED1);
    free(cpu);
}
END_TEST

static Suite *flags_suite(void)
{
    Suite *s = suite_create("flags");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, flags_ref_known_values_match_hand_computation);
    tcase_add_loop_test(tc, cc_compute_random_operands_match_reference, 0, NUM_OPS);
    tcase_add_loop_test(tc, cc_compute_edge_operands_match_reference, 0, NUM_OPS);
    tcase_add_loop_test(tc, cc_compute_exhaustive_bytes_match_reference, 0, 7);
    tcase_add_test(tc, cc_compute_logic_clears_cf_of_af);
    tcase_add_test(tc, cc_cond_eflags_op_reads_stored_flags);
    tcase_add_test(tc, cc_materialize_any_op_keeps_flags_and_other_bits);
    tcase_add_test(tc, cpu_set_eflags_reserved_bits_forced);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(flags_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
