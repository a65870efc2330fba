/*
 * test_sse_fp.c — SSE floating point (cpu/sse_fp*.c) on the fake machine: raw instruction bytes
 * with the assembly in the comment next to them.  Expected values come from running the same
 * instruction natively on the host under the same MXCSR (all exceptions masked there).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "tests/unit/fake_machine.h"

typedef float V4 __attribute__((vector_size(16)));

#define DATA 0x3000u

/* Special single-precision values: ±0, denormals, ±inf, QNaN, SNaN, max, min normal, ordinary. */
static const uint32_t spec32[] = {
    0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x7f800000, 0xff800000, 0x7fc00000,
    0xffc12345, 0x7f800001, 0x7fa00000, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000,
    0x3f800000, 0x40400000, 0x3eaaaaab, 0xbf7ffffe, 0x4b800001, 0x0d000001,
};
#define NSPEC32 (sizeof(spec32) / sizeof(spec32[0]))

static const uint64_t spec64[] = {
    0, 0x8000000000000000ull, 1, 0x800fffffffffffffull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff0000000000001ull, 0x7fefffffffffffffull,
    0x0010000000000000ull, 0x3ff0000000000000ull, 0xbfd5555555555555ull, 0x43e0000000000000ull,
    0xc3e0000000000001ull, 0x41dfffffffc00000ull, 0x3fe0000000000000ull,
};
#define NSPEC64 (sizeof(spec64) / sizeof(spec64[0]))

/* MXCSR variants: every rounding mode, with and without DAZ and FTZ, all exceptions masked. */
static uint32_t mx_variant(int i) { return 0x1f80u | (uint32_t)(i & 3) << 13 | (i & 4 ? 0x40u : 0) | (i & 8 ? 0x8000u : 0); }

static FakeMachine *sse_machine(const uint8_t *code, size_t len)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    fm->cpu->cr0 &= ~(uint64_t)(CR0_EM | CR0_TS);
    fm_code(fm, code, len);
    return fm;
}

/* Runs the one instruction at FM_CODE again. */
static int rerun(FakeMachine *fm)
{
    fm->cpu->rip = FM_CODE;
    return fm_exec(fm, 1);
}

static uint32_t native_addps(Xmm *d, const Xmm *s, uint32_t mx)
{
    V4 a, b;
    uint32_t saved;
    memcpy(&a, d, 16);
    memcpy(&b, s, 16);
    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    __asm__ volatile("ldmxcsr %1\n\taddps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
    __asm__ volatile("ldmxcsr %0" : : "m"(saved));
    memcpy(d, &a, 16);
    return mx;
}

static uint32_t native_mulsd(Xmm *d, const Xmm *s, uint32_t mx)
{
    V4 a, b;
    uint32_t saved;
    memcpy(&a, d, 16);
    memcpy(&b, s, 16);
    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    __asm__ volatile("ldmxcsr %1\n\tmulsd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
    __asm__ volatile("ldmxcsr %0" : : "m"(saved));
    memcpy(d, &a, 16);
    return mx;
}

static uint32_t native_cmpps(Xmm *d, const Xmm *s, uint32_t mx, int pred)
{
    V4 a, b;
    uint32_t saved;
    memcpy(&a, d, 16);
    memcpy(&b, s, 16);
    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    switch (pred) {
    case 0: __asm__ volatile("ldmxcsr %1\n\tcmpps $0, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 1: __asm__ volatile("ldmxcsr %1\n\tcmpps $1, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 2: __asm__ volatile("ldmxcsr %1\n\tcmpps $2, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 3: __asm__ volatile("ldmxcsr %1\n\tcmpps $3, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 4: __asm__ volatile("ldmxcsr %1\n\tcmpps $4, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 5: __asm__ volatile("ldmxcsr %1\n\tcmpps $5, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 6: __asm__ volatile("ldmxcsr %1\n\tcmpps $6, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    default: __asm__ volatile("ldmxcsr %1\n\tcmpps $7, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    }
    __asm__ volatile("ldmxcsr %0" : : "m"(saved));
    memcpy(d, &a, 16);
    return mx;
}

static uint32_t native_roundps(Xmm *d, const Xmm *s, uint32_t mx, int imm)
{
    V4 a, b;
    uint32_t saved;
    memcpy(&a, d, 16);
    memcpy(&b, s, 16);
    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    switch (imm) {
    case 0: __asm__ volatile("ldmxcsr %1\n\troundps $0, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 1: __asm__ volatile("ldmxcsr %1\n\troundps $1, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 2: __asm__ volatile("ldmxcsr %1\n\troundps $2, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 3: __asm__ volatile("ldmxcsr %1\n\troundps $3, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    case 4: __asm__ volatile("ldmxcsr %1\n\troundps $4, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    default: __asm__ volatile("ldmxcsr %1\n\troundps $9, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b)); break;
    }
    __asm__ volatile("ldmxcsr %0" : : "m"(saved));
    memcpy(d, &a, 16);
    return mx;
}

static Xmm xmm4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    Xmm x = { .d = { a, b, c, d } };
    return x;
}

START_TEST(addps_special_values_every_rounding_mode_daz_ftz_match_host)
{
    static const uint8_t c[] = { 0x0f, 0x58, 0xca };   /* addps xmm1, xmm2 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    for (int v = 0; v < 16; v++) {
        uint32_t mx = mx_variant(v);
        for (size_t i = 0; i < NSPEC32; i++) {
            for (size_t j = 0; j < NSPEC32; j += 4) {
                Xmm d = xmm4(spec32[i], spec32[(i + 1) % NSPEC32], spec32[(i + 7) % NSPEC32], spec32[(i + 3) % NSPEC32]);
                Xmm s = xmm4(spec32[j], spec32[j + 1], spec32[j + 2], spec32[j + 3]);
                fm->cpu->xmm[1] = d;
                fm->cpu->xmm[2] = s;
                fm->cpu->mxcsr = mx;
                ck_assert_int_eq(rerun(fm), -1);
                uint32_t nmx = native_addps(&d, &s, mx);
                ck_assert_mem_eq(&fm->cpu->xmm[1], &d, 16);
                ck_assert_uint_eq(fm->cpu->mxcsr, nmx);
            }
        }
    }
    fm_free(fm);
}
END_TEST

START_TEST(mulsd_special_values_every_rounding_mode_daz_ftz_match_host)
{
    static const uint8_t c[] = { 0xf2, 0x0f, 0x59, 0xc1 };   /* mulsd xmm0, xmm1 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    for (int v = 0; v < 16; v++) {
        for (size_t i = 0; i < NSPEC64; i++) {
            for (size_t j = 0; j < NSPEC64; j++) {
                Xmm d = { .q = { spec64[i], 0x1122334455667788ull } };
                Xmm s = { .q = { spec64[j], 0x99 } };
                fm->cpu->xmm[0] = d;
                fm->cpu->xmm[1] = s;
                fm->cpu->mxcsr = mx_variant(v);
                ck_assert_int_eq(rerun(fm), -1);
                uint32_t nmx = native_mulsd(&d, &s, mx_variant(v));
                ck_assert_uint_eq(fm->cpu->xmm[0].q[0], d.q[0]);
                ck_assert_uint_eq(fm->cpu->xmm[0].q[1], 0x1122334455667788ull);
                ck_assert_uint_eq(fm->cpu->mxcsr, nmx);
            }
        }
    }
    fm_free(fm);
}
END_TEST

START_TEST(cmpps_every_predicate_with_nans_matches_host)
{
    for (int p = 0; p < 8; p++) {
        const uint8_t c[] = { 0x0f, 0xc2, 0xc1, (uint8_t)p };   /* cmpps xmm0, xmm1, p */
        FakeMachine *fm = sse_machine(c, sizeof c);
        for (size_t i = 0; i < NSPEC32; i++) {
            Xmm d = xmm4(spec32[i], spec32[i], spec32[(i + 5) % NSPEC32], 0x3f800000);
            Xmm s = xmm4(0x7fc00000, spec32[i], spec32[(i + 9) % NSPEC32], 0x7f800001);
            fm->cpu->xmm[0] = d;
            fm->cpu->xmm[1] = s;
            fm->cpu->mxcsr = 0x1f80;
            ck_assert_int_eq(rerun(fm), -1);
            uint32_t nmx = native_cmpps(&d, &s, 0x1f80, p);
            ck_assert_mem_eq(&fm->cpu->xmm[0], &d, 16);
            ck_assert_uint_eq(fm->cpu->mxcsr, nmx);
        }
        fm_free(fm);
    }
}
END_TEST

START_TEST(roundps_immediate_modes_match_host)
{
    static const int imms[] = { 0, 1, 2, 3, 4, 9 };
    for (size_t k = 0; k < sizeof imms / sizeof imms[0]; k++) {
        const uint8_t c[] = { 0x66, 0x0f, 0x3a, 0x08, 0xc1, (uint8_t)imms[k] };   /* roundps xmm0, xmm1, imm */
        FakeMachine *fm = sse_machine(c, sizeof c);
        for (int v = 0; v < 4; v++) {
            for (size_t i = 0; i + 3 < NSPEC32; i++) {
                Xmm s = xmm4(spec32[i], 0x3fc00000, 0xc0200000, spec32[i + 3]);   /* 1.5, -2.5 */
                Xmm d = { .q = { 0, 0 } };
                fm->cpu->xmm[1] = s;
                fm->cpu->mxcsr = mx_variant(v);
                ck_assert_int_eq(rerun(fm), -1);
                uint32_t nmx = native_roundps(&d, &s, mx_variant(v), imms[k]);
                ck_assert_mem_eq(&fm->cpu->xmm[0], &d, 16);
                ck_assert_uint_eq(fm->cpu->mxcsr, nmx);
            }
        }
        fm_free(fm);
    }
}
END_TEST

START_TEST(divss_by_zero_unmasked_raises_xm_destination_unchanged)
{
    static const uint8_t c[] = { 0xf3, 0x0f, 0x5e, 0xc1 };   /* divss xmm0, xmm1 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[0] = xmm4(0x3f800000, 1, 2, 3);
    fm->cpu->xmm[1] = xmm4(0, 0, 0, 0);
    fm->cpu->mxcsr = 0x1f80 & ~0x200u;             /* ZM clear */
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[0], 0x3f800000);
    ck_assert_uint_eq(fm->cpu->mxcsr, (0x1f80 & ~0x200u) | 0x4);   /* ZE set */
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm->cpu->cr4 &= ~(uint64_t)CR4_OSXMMEXCPT;
    ck_assert_int_eq(rerun(fm), EXC_UD);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[0], 0x3f800000);
    fm->cpu->mxcsr = 0x1f80;                       /* masked: +inf and ZE */
    ck_assert_int_eq(rerun(fm), -1);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[0], 0x7f800000);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x1f84);
    fm_free(fm);
}
END_TEST

START_TEST(addps_unmasked_invalid_in_one_lane_leaves_all_lanes_unchanged)
{
    static const uint8_t c[] = { 0x0f, 0x58, 0xc1 };   /* addps xmm0, xmm1 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[0] = xmm4(0x3f800000, 0x3f800000, 0x7f800000, 0x3f800000);
    fm->cpu->xmm[1] = xmm4(0x3f800000, 0x3f800000, 0xff800000, 0x3f800000);   /* inf - inf in lane 2 */
    fm->cpu->mxcsr = 0x1f80 & ~0x80u;              /* IM clear */
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[0], 0x3f800000);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[2], 0x7f800000);
    ck_assert_uint_eq(fm->cpu->mxcsr & 0x3f, 1);
    fm_free(fm);
}
END_TEST

START_TEST(mulss_overflow_unmasked_sets_oe_pe_and_faults)
{
    static const uint8_t c[] = { 0xf3, 0x0f, 0x59, 0xc0 };   /* mulss xmm0, xmm0 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[0] = xmm4(0x7f7fffff, 0, 0, 0);
    fm->cpu->mxcsr = 0x1f80 & ~0x400u;             /* OM clear */
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[0], 0x7f7fffff);
    ck_assert_uint_eq(fm->cpu->mxcsr & 0x3f, 0x28);   /* OE | PE */
    fm_free(fm);
}
END_TEST

/* With UE unmasked, PE is the inexactness with an unbounded exponent (SDM vol. 1, 4.9.1.5):
 * 2^-100 (1 + 2^-23) * 2^-30 = 2^-130 (1 + 2^-23) has 24 significant bits (exact), though
 * denormalizing it would lose the last one (the masked host reports UE | PE).  The diff harness's
 * native run of the same case gives UE alone. */
START_TEST(mulss_tiny_exact_unbounded_with_ue_unmasked_sets_ue_without_pe)
{
    static const uint8_t c[] = { 0xf3, 0x0f, 0x59, 0xc1 };   /* mulss xmm0, xmm1 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[0] = xmm4(0x0d800001, 0, 0, 0);
    fm->cpu->xmm[1] = xmm4(0x30800000, 0, 0, 0);
    fm->cpu->mxcsr = 0x1f80 & ~0x800u;             /* UM clear */
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[0], 0x0d800001);
    ck_assert_uint_eq(fm->cpu->mxcsr & 0x3f, 0x10);   /* UE only */
    /* one more significant bit (2^-100 (1 + 2^-23) * 2^-30 (1 + 2^-23)): UE | PE */
    fm->cpu->xmm[1] = xmm4(0x30800001, 0, 0, 0);
    fm->cpu->mxcsr = 0x1f80 & ~0x800u;
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->mxcsr & 0x3f, 0x30);
    /* masked: the denormalized result is inexact, UE | PE, result written */
    fm->cpu->xmm[1] = xmm4(0x30800000, 0, 0, 0);
    fm->cpu->mxcsr = 0x1f80;
    ck_assert_int_eq(rerun(fm), -1);
    ck_assert_uint_eq(fm->cpu->mxcsr & 0x3f, 0x30);
    fm_free(fm);
}
END_TEST

/* DPPD flags come from its steps, the first step with an unmasked exception ending it: the only
 * product (2 - 2^-52) 2^-1022 * (2 - 2^-52) 2^-767 is tiny and inexact unbounded (UE | PE, UE
 * unmasked); rounded up to a denormal it would give the sum DE, which the masked host reports and
 * which (DM clear) would hide UE | PE.  Unselected lane 1 (a denormal) raises nothing.  Diff
 * harness seed 1894540908 case 256213, native run: mxcsr 461e -> 463e, #XM. */
START_TEST(dppd_product_underflow_unmasked_ends_before_sum_denormal)
{
    static const uint8_t c[] = { 0x66, 0x41, 0x0f, 0x3a, 0x41, 0xe0, 0x54 };   /* dppd xmm4, xmm8, 0x54 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[4].q[0] = 0x001fffffffffffffull;
    fm->cpu->xmm[4].q[1] = 0x000000000c0d1ee7ull;
    fm->cpu->xmm[8].q[0] = 0x0fffffffffffffffull;
    fm->cpu->xmm[8].q[1] = 0;
    fm->cpu->mxcsr = 0x4600;                        /* RC up, only ZM and OM set */
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->xmm[4].q[0], 0x001fffffffffffffull);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x4630);     /* UE | PE, no DE */
    fm_free(fm);
}
END_TEST

/* DPPS: the masked UE | PE of a step stay when a later step raises an unmasked pre-computation
 * exception: the only product d3 * d3 = 0x3a5a4a5e * 0x03ffffff (about 2^-131) is tiny and
 * inexact (UM, PM set: a denormal, UE | PE), the sum p2 + p3 then has a denormal operand (DM
 * clear: #XM).  Diff harness seed 2147019861 case 47709, native run: mxcsr 5809 -> 583b, #XM. */
START_TEST(dpps_masked_product_flags_kept_when_sum_denormal_unmasked)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0x3a, 0x40, 0xe1, 0x83 };   /* dpps xmm4, xmm1, 0x83 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[4].q[0] = 0xffffffffffffffffull;
    fm->cpu->xmm[4].q[1] = 0x3a5a4a5e5eb4e532ull;
    fm->cpu->xmm[1].q[0] = 0;
    fm->cpu->xmm[1].q[1] = 0x03ffffffffffffffull;
    fm->cpu->mxcsr = 0x5809;                        /* RC up, UM PM set, IE OE sticky */
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->xmm[4].q[1], 0x3a5a4a5e5eb4e532ull);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x583b);     /* + DE | UE | PE */
    fm_free(fm);
}
END_TEST

/* CVTTPS2PI with an MMX destination switches the x87 to MMX mode (TOP = 0, all tags valid) also
 * when the conversion raises #XM, as the host does; the destination stays.  1.0000001 truncated
 * is inexact, PM clear.  Diff harness seed 11 case 186. */
START_TEST(cvttps2pi_xm_still_enters_mmx_mode)
{
    static const uint8_t c[] = { 0x0f, 0x2c, 0xf9 };   /* cvttps2pi mm7, xmm1 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[1] = xmm4(0x3f800001, 0x40000000, 0, 0);
    fm->cpu->mxcsr = 0x0f80;                        /* PM clear */
    fm->cpu->fpu.sw = 5 << 11;
    fm->cpu->fpu.tw = 0xffff;
    fm->cpu->fpu.regs[7].mant = 0x1234;
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x0fa0);
    ck_assert_uint_eq(fm->cpu->fpu.regs[7].mant, 0x1234);
    ck_assert_uint_eq((fm->cpu->fpu.sw >> 11) & 7, 0);
    ck_assert_uint_eq(fm->cpu->fpu.tw, 0);
    fm_free(fm);
}
END_TEST

/* HADDPS element 0 is d0 + d1 = 2 * FLT_MAX = (2 - 2^-23) 2^128: exact with an unbounded
 * exponent, so with OE unmasked OE alone (the masked host adds PE for the overflow to infinity).
 * The same mechanism as diff harness seed 2147019861 case 631112 (haddps, OE unmasked). */
START_TEST(haddps_huge_exact_unbounded_with_oe_unmasked_sets_oe_without_pe)
{
    static const uint8_t c[] = { 0xf2, 0x0f, 0x7c, 0xc1 };   /* haddps xmm0, xmm1 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[0] = xmm4(0x7f7fffff, 0x7f7fffff, 0x3f800000, 0x3f800000);
    fm->cpu->xmm[1] = xmm4(0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000);
    fm->cpu->mxcsr = 0x1f80 & ~0x400u;             /* OM clear */
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[0], 0x7f7fffff);
    ck_assert_uint_eq(fm->cpu->mxcsr & 0x3f, 0x08);   /* OE only */
    /* 1 + 2^-24 more in element 3's pair (source 2, 3) makes that element inexact: OE | PE */
    fm->cpu->xmm[1] = xmm4(0x3f800000, 0x3f800000, 0x3f800000, 0x33800000);
    fm->cpu->mxcsr = 0x1f80 & ~0x400u;
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->mxcsr & 0x3f, 0x28);
    fm_free(fm);
}
END_TEST

/* Same with OE unmasked: -1.78e87 / 2^-1074 (a denormal power of two) is exact with an unbounded
 * exponent: OE and DE, no PE (diff harness seed 2147019861 case 28440, native run). */
START_TEST(divsd_huge_exact_unbounded_with_oe_unmasked_sets_oe_without_pe)
{
    static const uint8_t c[] = { 0xf2, 0x45, 0x0f, 0x5e, 0xc7 };   /* divsd xmm8, xmm15 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[8].q[0] = 0xd23ffd531207e86aull;
    fm->cpu->xmm[15].q[0] = 1;
    fm->cpu->mxcsr = 0x4b80;                       /* round up, OM and PM clear */
    ck_assert_int_eq(rerun(fm), EXC_XM);
    ck_assert_uint_eq(fm->cpu->xmm[8].q[0], 0xd23ffd531207e86aull);
    ck_assert_uint_eq(fm->cpu->mxcsr & 0x3f, 0x0a);   /* OE | DE */
    fm_free(fm);
}
END_TEST

START_TEST(comiss_and_ucomiss_set_zf_pf_cf_and_ie_on_qnan)
{
    static const uint8_t c[] = { 0x0f, 0x2f, 0xc1, 0x0f, 0x2e, 0xc1 };   /* comiss xmm0, xmm1; ucomiss xmm0, xmm1 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[0] = xmm4(0x7fc00000, 0, 0, 0);
    fm->cpu->xmm[1] = xmm4(0x3f800000, 0, 0, 0);
    cpu_set_eflags(fm->cpu, 0x2 | FL_OF | FL_SF | FL_AF);
    fm->cpu->mxcsr = 0x1f80;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu_get_eflags(fm->cpu) & FL_ARITH, FL_ZF | FL_PF | FL_CF);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x1f81);     /* COMISS signals on QNaN */
    fm->cpu->mxcsr = 0x1f80;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x1f80);     /* UCOMISS does not */
    fm->cpu->xmm[0].d[0] = 0x3f000000;             /* 0.5 < 1.0 */
    fm->cpu->rip = FM_CODE + 3;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu_get_eflags(fm->cpu) & FL_ARITH, FL_CF);
    fm_free(fm);
}
END_TEST

START_TEST(cvttsd2si_out_of_range_gives_indefinite_and_ie)
{
    static const uint8_t c[] = { 0xf2, 0x48, 0x0f, 0x2c, 0xc1,   /* cvttsd2si rax, xmm1 */
                                 0xf2, 0x0f, 0x2d, 0xc9 };       /* cvtsd2si ecx, xmm1 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[1].q[0] = 0x43f0000000000000ull;  /* 2^64 */
    fm->cpu->mxcsr = 0x1f80;
    fm->cpu->gpr[R_CX] = ~0ull;
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x8000000000000000ull);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0x80000000ull);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x1f81);
    fm->cpu->xmm[1].q[0] = 0x4004000000000000ull;  /* 2.5, round to nearest even -> 2 */
    fm->cpu->rip = FM_CODE + 5;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 2);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x1fa1);     /* PE added */
    fm_free(fm);
}
END_TEST

START_TEST(cvtsi2ss_rounds_per_mxcsr)
{
    static const uint8_t c[] = { 0xf3, 0x48, 0x0f, 0x2a, 0xc0 };   /* cvtsi2ss xmm0, rax */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x1000001;                /* 2^24 + 1: not representable */
    fm->cpu->xmm[0] = xmm4(0, 5, 6, 7);
    fm->cpu->mxcsr = 0x1f80 | 0x4000;              /* round up */
    ck_assert_int_eq(rerun(fm), -1);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[0], 0x4b800001);
    ck_assert_uint_eq(fm->cpu->xmm[0].d[3], 7);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x1f80 | 0x4000 | 0x20);
    fm_free(fm);
}
END_TEST

START_TEST(ldmxcsr_reserved_bit_raises_gp_stmxcsr_stores)
{
    static const uint8_t c[] = { 0x0f, 0xae, 0x10,   /* ldmxcsr [rax] */
                                 0x0f, 0xae, 0x19 }; /* stmxcsr [rcx] */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->gpr[R_AX] = DATA;
    fm->cpu->gpr[R_CX] = DATA + 8;
    uint32_t v = 0x10000 | 0x1f80;
    memcpy(fm->ram + DATA, &v, 4);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0x1f80);
    v = 0xffbf;
    memcpy(fm->ram + DATA, &v, 4);
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->mxcsr, 0xffbf);
    memcpy(&v, fm->ram + DATA + 8, 4);
    ck_assert_uint_eq(v, 0xffbf);
    fm_free(fm);
}
END_TEST

START_TEST(movss_register_merges_load_zeroes_store_writes_low)
{
    static const uint8_t c[] = { 0xf3, 0x0f, 0x10, 0xc1,   /* movss xmm0, xmm1 */
                                 0xf3, 0x0f, 0x10, 0x10,   /* movss xmm2, [rax] */
                                 0xf2, 0x0f, 0x11, 0x18 }; /* movsd [rax], xmm3 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->gpr[R_AX] = DATA;
    fm->cpu->xmm[0] = xmm4(1, 2, 3, 4);
    fm->cpu->xmm[1] = xmm4(9, 8, 7, 6);
    fm->cpu->xmm[2] = xmm4(1, 2, 3, 4);
    fm->cpu->xmm[3].q[0] = 0x1122334455667788ull;
    uint32_t m = 0xdeadbeef;
    memcpy(fm->ram + DATA, &m, 4);
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    Xmm e0 = xmm4(9, 2, 3, 4), e2 = xmm4(0xdeadbeef, 0, 0, 0);
    ck_assert_mem_eq(&fm->cpu->xmm[0], &e0, 16);
    ck_assert_mem_eq(&fm->cpu->xmm[2], &e2, 16);
    uint64_t q;
    memcpy(&q, fm->ram + DATA, 8);
    ck_assert_uint_eq(q, 0x1122334455667788ull);
    fm_free(fm);
}
END_TEST

START_TEST(movaps_misaligned_raises_gp_movups_does_not)
{
    static const uint8_t c[] = { 0x0f, 0x28, 0x00,   /* movaps xmm0, [rax] */
                                 0x0f, 0x10, 0x00 }; /* movups xmm0, [rax] */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->gpr[R_AX] = DATA + 4;
    for (int i = 0; i < 16; i++)
        fm->ram[DATA + 4 + i] = (uint8_t)i;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->xmm[0].q[0], 0);
    fm->cpu->rip = FM_CODE + 3;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->xmm[0].q[1], 0x0f0e0d0c0b0a0908ull);
    fm_free(fm);
}
END_TEST

START_TEST(shufps_unpck_blendv_insertps_move_elements)
{
    static const uint8_t c[] = {
        0x0f, 0xc6, 0xc1, 0x1b,               /* shufps xmm0, xmm1, 0x1b */
        0x0f, 0x14, 0xd3,                     /* unpcklps xmm2, xmm3 */
        0x66, 0x0f, 0x38, 0x14, 0xe5,         /* blendvps xmm4, xmm5 (mask xmm0) */
        0x66, 0x0f, 0x3a, 0x21, 0xf3, 0x9a,   /* insertps xmm6, xmm3, 0x9a: s[2] -> d[1], zero d[1], d[3] */
    };
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[0] = xmm4(10, 11, 12, 13);
    fm->cpu->xmm[1] = xmm4(20, 21, 22, 23);
    fm->cpu->xmm[2] = xmm4(30, 31, 32, 33);
    fm->cpu->xmm[3] = xmm4(40, 41, 42, 43);
    fm->cpu->xmm[4] = xmm4(50, 51, 52, 53);
    fm->cpu->xmm[5] = xmm4(60, 61, 62, 63);
    fm->cpu->xmm[6] = xmm4(70, 71, 72, 73);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    Xmm e0 = xmm4(13, 12, 21, 20);
    ck_assert_mem_eq(&fm->cpu->xmm[0], &e0, 16);
    fm->cpu->xmm[0] = xmm4(0x80000000, 0, 0xffffffff, 0x7fffffff);
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    Xmm e2 = xmm4(30, 40, 31, 41), e4 = xmm4(60, 51, 62, 53), e6 = xmm4(70, 0, 72, 0);
    ck_assert_mem_eq(&fm->cpu->xmm[2], &e2, 16);
    ck_assert_mem_eq(&fm->cpu->xmm[4], &e4, 16);
    ck_assert_mem_eq(&fm->cpu->xmm[6], &e6, 16);
    fm_free(fm);
}
END_TEST

START_TEST(movmskps_and_extractps_write_zero_extended_gpr)
{
    static const uint8_t c[] = { 0x0f, 0x50, 0xc1,                     /* movmskps eax, xmm1 */
                                 0x66, 0x0f, 0x3a, 0x17, 0xcb, 0x03 }; /* extractps ebx, xmm1, 3 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[1] = xmm4(0x80000000, 1, 0xbf800000, 0xfedcba98);
    fm->cpu->gpr[R_AX] = fm->cpu->gpr[R_BX] = ~0ull;
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xd);
    ck_assert_uint_eq(fm->cpu->gpr[R_BX], 0xfedcba98);
    fm_free(fm);
}
END_TEST

START_TEST(dpps_masks_inputs_and_outputs)
{
    static const uint8_t c[] = { 0x66, 0x0f, 0x3a, 0x40, 0xc1, 0x35 };   /* dpps xmm0, xmm1, 0x35 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->xmm[0] = xmm4(0x3f800000, 0x40000000, 0x40400000, 0x40800000);   /* 1 2 3 4 */
    fm->cpu->xmm[1] = xmm4(0x40a00000, 0x40c00000, 0x40e00000, 0x41000000);   /* 5 6 7 8 */
    fm->cpu->mxcsr = 0x1f80;
    ck_assert_int_eq(rerun(fm), -1);
    /* inputs 0 and 1: 1*5 + 2*6 = 17 into elements 0 and 2 */
    Xmm e = xmm4(0x41880000, 0, 0x41880000, 0);
    ck_assert_mem_eq(&fm->cpu->xmm[0], &e, 16);
    fm_free(fm);
}
END_TEST

START_TEST(cvtpi2ps_from_mmx_register_switches_x87_to_mmx_mode)
{
    static const uint8_t c[] = { 0x0f, 0x2a, 0xc1,   /* cvtpi2ps xmm0, mm1 */
                                 0x0f, 0x2d, 0xd0 }; /* cvtps2pi mm2, xmm0 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->fpu.regs[1].mant = (uint64_t)(uint32_t)-3 << 32 | 7;
    fm->cpu->fpu.sw = 0x3800;
    fm->cpu->fpu.tw = 0xffff;
    fm->cpu->xmm[0] = xmm4(1, 2, 3, 4);
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    Xmm e = xmm4(0x40e00000, 0xc0400000, 3, 4);
    ck_assert_mem_eq(&fm->cpu->xmm[0], &e, 16);
    ck_assert_uint_eq(fm->cpu->fpu.tw, 0);
    ck_assert_uint_eq(fm->cpu->fpu.sw & 0x3800, 0);
    ck_assert_uint_eq(fm->cpu->fpu.regs[2].mant, (uint64_t)(uint32_t)-3 << 32 | 7);
    ck_assert_uint_eq(fm->cpu->fpu.regs[2].se, 0xffff);
    fm_free(fm);
}
END_TEST

START_TEST(sse_without_osfxsr_raises_ud_with_ts_raises_nm)
{
    static const uint8_t c[] = { 0x0f, 0x58, 0xc1 };   /* addps xmm0, xmm1 */
    FakeMachine *fm = sse_machine(c, sizeof c);
    fm->cpu->cr0 |= CR0_TS;
    ck_assert_int_eq(rerun(fm), EXC_NM);
    fm->cpu->cr4 &= ~(uint64_t)CR4_OSFXSR;
    ck_assert_int_eq(rerun(fm), EXC_UD);
    fm_free(fm);
}
END_TEST

static Suite *sse_fp_suite(void)
{
    Suite *s = suite_create("sse_fp");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, addps_special_values_every_rounding_mode_daz_ftz_match_host);
    tcase_add_test(tc, mulsd_special_values_every_rounding_mode_daz_ftz_match_host);
    tcase_add_test(tc, cmpps_every_predicate_with_nans_matches_host);
    tcase_add_test(tc, roundps_immediate_modes_match_host);
    tcase_add_test(tc, divss_by_zero_unmasked_raises_xm_destination_unchanged);
    tcase_add_test(tc, addps_unmasked_invalid_in_one_lane_leaves_all_lanes_unchanged);
    tcase_add_test(tc, mulss_overflow_unmasked_sets_oe_pe_and_faults);
    tcase_add_test(tc, comiss_and_ucomiss_set_zf_pf_cf_and_ie_on_qnan);
    tcase_add_test(tc, cvttsd2si_out_of_range_gives_indefinite_and_ie);
    tcase_add_test(tc, cvtsi2ss_rounds_per_mxcsr);
    tcase_add_test(tc, ldmxcsr_reserved_bit_raises_gp_stmxcsr_stores);
    tcase_add_test(tc, movss_register_merges_load_zeroes_store_writes_low);
    tcase_add_test(tc, movaps_misaligned_raises_gp_movups_does_not);
    tcase_add_test(tc, shufps_unpck_blendv_insertps_move_elements);
    tcase_add_test(tc, movmskps_and_extractps_write_zero_extended_gpr);
    tcase_add_test(tc, dpps_masks_inputs_and_outputs);
    tcase_add_test(tc, mulss_tiny_exact_unbounded_with_ue_unmasked_sets_ue_without_pe);
    tcase_add_test(tc, divsd_huge_exact_unbounded_with_oe_unmasked_sets_oe_without_pe);
    tcase_add_test(tc, dppd_product_underflow_unmasked_ends_before_sum_denormal);
    tcase_add_test(tc, dpps_masked_product_flags_kept_when_sum_denormal_unmasked);
    tcase_add_test(tc, cvttps2pi_xm_still_enters_mmx_mode);
    tcase_add_test(tc, haddps_huge_exact_unbounded_with_oe_unmasked_sets_oe_without_pe);
    tcase_add_test(tc, cvtpi2ps_from_mmx_register_switches_x87_to_mmx_mode);
    tcase_add_test(tc, sse_without_osfxsr_raises_ud_with_ts_raises_nm);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sse_fp_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
