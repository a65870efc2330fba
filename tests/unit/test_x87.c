/*
 * test_x87.c — the x87 FPU (cpu/x87.c, cpu/x87_host.c) on the fake machine: stack and tag
 * model, overflow/underflow, masked and unmasked exceptions, #MF/#NM, environment and FXSAVE
 * layouts, and arithmetic compared bit for bit with the host FPU run under the same control
 * word (all rounding and precision modes, masked and unmasked, special operands).
 * Raw instruction bytes, assembly in the comment next to them (64-bit mode unless noted).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "cpu/x87.h"
#include "tests/unit/fake_machine.h"

#define DATA 0x3000u   /* rsi: operands */
#define OUT  0x4000u   /* rdi: results */
#define CWA  0x5000u   /* rbx: control word / environment */

static FakeMachine *prep(const uint8_t *code, size_t len)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm_code(fm, code, len);
    fm->cpu->gpr[R_SI] = DATA;
    fm->cpu->gpr[R_DI] = OUT;
    fm->cpu->gpr[R_BX] = CWA;
    return fm;
}

static void poke80(FakeMachine *fm, uint32_t a, Fp80 v)
{
    fm_poke(fm, a, 8, v.mant);
    fm_poke(fm, a + 8, 2, v.se);
}

static const Fp80 specials[] = {
    { 0, 0 }, { 0, 0x8000 },                                        /* +0, -0 */
    { 0x8000000000000000ull, 0x3fff }, { 0xa000000000000000ull, 0xc000 },   /* 1, -2.5 */
    { 0xc90fdaa22168c235ull, 0x4000 },                              /* pi */
    { 0xaaaaaaaaaaaaaaabull, 0x3ffd },                              /* ~1/3 */
    { 0x8000000000000001ull, 0x0001 },                              /* smallest-exponent normal */
    { 0x0000000012345678ull, 0x0000 },                              /* denormal */
    { 0x8000000000001234ull, 0x0000 },                              /* pseudo-denormal */
    { 0x4000000000000000ull, 0x4000 },                              /* unnormal */
    { 0xffffffffffffffffull, 0x7ffe },                              /* largest finite */
    { 0x8000000000000000ull, 0x7fff }, { 0x8000000000000000ull, 0xffff },   /* +inf, -inf */
    { 0xc000000000001234ull, 0x7fff },                              /* QNaN */
    { 0x8000000000005678ull, 0xffff },                              /* SNaN */
    { 0x0000000000000001ull, 0x7fff },                              /* pseudo-NaN (invalid) */
    { 0xfedcba9876543210ull, 0x403e },                              /* large integer-range */
};
#define NSPECIAL ((int)(sizeof specials / sizeof specials[0]))

/* The guest/host operations: two bytes each, applied to ST(0) = a, ST(1) = b. */
static const uint8_t ops[][2] = {
    { 0xde, 0xc1 },   /* faddp st1, st0 */
    { 0xde, 0xe9 },   /* fsubp st1, st0 */
    { 0xde, 0xe1 },   /* fsubrp st1, st0 */
    { 0xde, 0xc9 },   /* fmulp st1, st0 */
    { 0xde, 0xf9 },   /* fdivp st1, st0 */
    { 0xde, 0xf1 },   /* fdivrp st1, st0 */
    { 0xd9, 0xfa },   /* fsqrt */
    { 0xd9, 0xfc },   /* frndint */
    { 0xd9, 0xfd },   /* fscale */
    { 0xd9, 0xf8 },   /* fprem */
    { 0xd9, 0xf5 },   /* fprem1 */
    { 0xd9, 0xf4 },   /* fxtract */
    { 0xd9, 0xf1 },   /* fyl2x */
    { 0xd9, 0xf3 },   /* fpatan */
    { 0xd9, 0xfe },   /* fsin */
    { 0xd8, 0xd1 },   /* fcom st1 */
    { 0xdd, 0xe1 },   /* fucom st1 */
    { 0xd9, 0xe5 },   /* fxam */
    { 0xd9, 0xe0 },   /* fchs */
    { 0xdc, 0xc1 },   /* fadd st1, st0 */
    { 0xd8, 0xe1 },   /* fsub st0, st1 */
};
#define NOPS ((int)(sizeof ops / sizeof ops[0]))

typedef struct HostImg { uint8_t b[108]; } HostImg;

/* Host reference: fninit; fldcw cw; fld b; fld a; <op>; fnsave. */
static void host_run(int op, uint16_t cw, const Fp80 *a, const Fp80 *b, HostImg *img)
{
    uint8_t av[10], bv[10];
    memcpy(av, &a->mant, 8); memcpy(av + 8, &a->se, 2);
    memcpy(bv, &b->mant, 8); memcpy(bv + 8, &b->se, 2);
    uint16_t save;
    __asm__ volatile("fnstcw %0" : "=m"(save));
#define HOST_SEQ(bytes) \
    __asm__ volatile("fninit; fldcw %1; fldt %3; fldt %2; .byte " bytes "; fnsave %0" \
                     : "=m"(*img) : "m"(cw), "m"(av), "m"(bv))
    switch (op) {
    case 0: HOST_SEQ("0xde, 0xc1"); break;
    case 1: HOST_SEQ("0xde, 0xe9"); break;
    case 2: HOST_SEQ("0xde, 0xe1"); break;
    case 3: HOST_SEQ("0xde, 0xc9"); break;
    case 4: HOST_SEQ("0xde, 0xf9"); break;
    case 5: HOST_SEQ("0xde, 0xf1"); break;
    case 6: HOST_SEQ("0xd9, 0xfa"); break;
    case 7: HOST_SEQ("0xd9, 0xfc"); break;
    case 8: HOST_SEQ("0xd9, 0xfd"); break;
    case 9: HOST_SEQ("0xd9, 0xf8"); break;
    case 10: HOST_SEQ("0xd9, 0xf5"); break;
    case 11: HOST_SEQ("0xd9, 0xf4"); break;
    case 12: HOST_SEQ("0xd9, 0xf1"); break;
    case 13: HOST_SEQ("0xd9, 0xf3"); break;
    case 14: HOST_SEQ("0xd9, 0xfe"); break;
    case 15: HOST_SEQ("0xd8, 0xd1"); break;
    case 16: HOST_SEQ("0xdd, 0xe1"); break;
    case 17: HOST_SEQ("0xd9, 0xe5"); break;
    case 18: HOST_SEQ("0xd9, 0xe0"); break;
    case 19: HOST_SEQ("0xdc, 0xc1"); break;
    default: HOST_SEQ("0xd8, 0xe1"); break;
    }
#undef HOST_SEQ
    __asm__ volatile("fldcw %0" : : "m"(save));
}

static uint16_t img16(const HostImg *img, int off) { return (uint16_t)(img->b[off] | img->b[off + 1] << 8); }

/* Every op x every operand pair x RC 0-3 x PC 24/53/64 x all masked / all unmasked. */
START_TEST(arith_all_modes_and_specials_match_host_bit_for_bit)
{
    int op = _i;
    uint8_t code[] = {
        0xdb, 0xe3,         /* fninit */
        0xd9, 0x2b,         /* fldcw [rbx] */
        0xdb, 0x6e, 0x0a,   /* fld tbyte [rsi+10] */
        0xdb, 0x2e,         /* fld tbyte [rsi] */
        ops[op][0], ops[op][1],
    };
    FakeMachine *fm = prep(code, sizeof code);
    X87State *f = &fm->cpu->fpu;
    for (int ai = 0; ai < NSPECIAL; ai++)
        for (int bi = 0; bi < NSPECIAL; bi++)
            for (int mode = 0; mode < 24; mode++) {
                static const uint16_t pcs[] = { 0x000, 0x200, 0x300 };
                uint16_t cw = (uint16_t)(0x0040 | (mode & 3) << 10 | pcs[(mode >> 2) % 3] |
                                         (mode >= 12 ? 0 : 0x3f));
                poke80(fm, DATA, specials[ai]);
                poke80(fm, DATA + 10, specials[bi]);
                fm_poke(fm, CWA, 2, cw);
                fm->cpu->rip = FM_CODE;
                ck_assert_int_eq(fm_exec(fm, 5), -1);
                HostImg img;
                host_run(op, cw, &specials[ai], &specials[bi], &img);
                ck_assert_msg(f->sw == img16(&img, 4), "op %d a %d b %d cw %04x: sw %04x host %04x",
                              op, ai, bi, cw, f->sw, img16(&img, 4));
                ck_assert_uint_eq(f->tw, img16(&img, 8));
                for (int i = 0; i < 2; i++) {
                    uint64_t m;
                    memcpy(&m, img.b + 28 + 10 * i, 8);
                    ck_assert_msg(x87_st(f, i)->mant == m && x87_st(f, i)->se == img16(&img, 36 + 10 * i),
                                  "op %d a %d b %d cw %04x ST(%d) %04x:%016llx host %04x:%016llx", op,
                                  ai, bi, cw, i, x87_st(f, i)->se, (unsigned long long)x87_st(f, i)->mant,
                                  img16(&img, 36 + 10 * i), (unsigned long long)m);
                }
            }
    fm_free(fm);
}
END_TEST

/* Stores of ST(0) to every memory format under every rounding mode, masked and unmasked,
 * compared with the host; an unmasked invalid/overflow leaves memory untouched. */
START_TEST(stores_every_format_match_host)
{
    static const uint8_t stores[][2] = {
        { 0xd9, 0x17 },   /* fst dword [rdi] */
        { 0xdd, 0x17 },   /* fst qword [rdi] */
        { 0xdf, 0x17 },   /* fist word [rdi] */
        { 0xdb, 0x17 },   /* fist dword [rdi] */
        { 0xdf, 0x3f },   /* fistp qword [rdi] */
        { 0xdf, 0x37 },   /* fbstp tbyte [rdi] */
        { 0xdd, 0x0f },   /* fisttp qword [rdi] */
        { 0xdb, 0x3f },   /* fstp tbyte [rdi] */
    };
    int s = _i;
    uint8_t code[] = {
        0xdb, 0xe3, 0xd9, 0x2b, 0xdb, 0x2e,   /* fninit; fldcw [rbx]; fld tbyte [rsi] */
        stores[s][0], stores[s][1],
    };
    FakeMachine *fm = prep(code, sizeof code);
    for (int ai = 0; ai < NSPECIAL; ai++)
        for (int mode = 0; mode < 8; mode++) {
            uint16_t cw = (uint16_t)(0x0340 | (mode & 3) << 10 | (mode >= 4 ? 0 : 0x3f));
            poke80(fm, DATA, specials[ai]);
            fm_poke(fm, CWA, 2, cw);
            fm_poke(fm, OUT, 8, 0x5555555555555555ull);
            fm_poke(fm, OUT + 8, 8, 0x5555555555555555ull);
            fm->cpu->rip = FM_CODE;
            ck_assert_int_eq(fm_exec(fm, 4), -1);
            uint8_t out[16], av[10];
            memset(out, 0x55, sizeof out);
            memcpy(av, &specials[ai].mant, 8);
            memcpy(av + 8, &specials[ai].se, 2);
            uint16_t sw, save;
            __asm__ volatile("fnstcw %0" : "=m"(save));
#define HOST_ST(bytes) \
    __asm__ volatile("fninit; fldcw %2; fldt %3; lea %1, %%rdi; .byte " bytes "; fnstsw %0; fninit" \
                     : "=m"(sw), "=m"(out) : "m"(cw), "m"(av) : "rdi")
            switch (s) {
            case 0: HOST_ST("0xd9, 0x17"); break;
            case 1: HOST_ST("0xdd, 0x17"); break;
            case 2: HOST_ST("0xdf, 0x17"); break;
            case 3: HOST_ST("0xdb, 0x17"); break;
            case 4: HOST_ST("0xdf, 0x3f"); break;
            case 5: HOST_ST("0xdf, 0x37"); break;
            case 6: HOST_ST("0xdd, 0x0f"); break;
            default: HOST_ST("0xdb, 0x3f"); break;
            }
#undef HOST_ST
            __asm__ volatile("fldcw %0" : : "m"(save));
            ck_assert_msg(fm->cpu->fpu.sw == sw, "store %d a %d cw %04x sw %04x host %04x", s, ai,
                          cw, fm->cpu->fpu.sw, sw);
            for (int i = 0; i < 16; i++)
                ck_assert_msg(fm->ram[OUT + i] == out[i], "store %d a %d cw %04x byte %d", s, ai,
                              cw, i);
        }
    fm_free(fm);
}
END_TEST

/* Memory-source forms: fld tbyte [rsi+16]; fdiv dword [rsi] / fmul qword [rsi] / fisub word
 * [rsi] on special m32/m64/m16int operands (SNaN, denormals, infinities) in every RC/PC. */
START_TEST(memory_operand_forms_match_host)
{
    static const uint64_t mems[] = {
        0x7f800001u, 0x00000001u, 0xff800000u, 0x80000000u, 0x3f800000u, 0x7fc00000u,
        0x7ff0000000000001ull, 0x000fffffffffffffull, 0x8000u, 0x7fffu, 0x4000000000000000ull,
    };
    int form = _i;
    static const uint8_t forms[][2] = { { 0xd8, 0x36 }, { 0xdc, 0x0e }, { 0xde, 0x26 } };
    uint8_t code[] = {
        0xdb, 0xe3, 0xd9, 0x2b,     /* fninit; fldcw [rbx] */
        0xdb, 0x6e, 0x10,           /* fld tbyte [rsi+16] */
        forms[form][0], forms[form][1],   /* fdiv dword [rsi] / fmul qword [rsi] / fisub word [rsi] */
    };
    FakeMachine *fm = prep(code, sizeof code);
    X87State *f = &fm->cpu->fpu;
    for (size_t mi = 0; mi < sizeof mems / sizeof mems[0]; mi++)
        for (int ai = 0; ai < NSPECIAL; ai++)
            for (int mode = 0; mode < 24; mode++) {
                static const uint16_t pcs[] = { 0x000, 0x200, 0x300 };
                uint16_t cw = (uint16_t)(0x0040 | (mode & 3) << 10 | pcs[(mode >> 2) % 3] |
                                         (mode >= 12 ? 0 : 0x3f));
                fm_poke(fm, DATA, 8, mems[mi]);
                poke80(fm, DATA + 16, specials[ai]);
                fm_poke(fm, CWA, 2, cw);
                fm->cpu->rip = FM_CODE;
                ck_assert_int_eq(fm_exec(fm, 4), -1);
                uint64_t mv = mems[mi];
                uint8_t av[10];
                memcpy(av, &specials[ai].mant, 8);
                memcpy(av + 8, &specials[ai].se, 2);
                HostImg img;
                uint16_t save;
                __asm__ volatile("fnstcw %0" : "=m"(save));
                if (form == 0)
                    __asm__ volatile("fninit; fldcw %1; fldt %2; fdivs %3; fnsave %0"
                                     : "=m"(img) : "m"(cw), "m"(av), "m"(mv));
                else if (form == 1)
                    __asm__ volatile("fninit; fldcw %1; fldt %2; fmull %3; fnsave %0"
                                     : "=m"(img) : "m"(cw), "m"(av), "m"(mv));
                else
                    __asm__ volatile("fninit; fldcw %1; fldt %2; fisubs %3; fnsave %0"
                                     : "=m"(img) : "m"(cw), "m"(av), "m"(mv));
                __asm__ volatile("fldcw %0" : : "m"(save));
                uint64_t m;
                memcpy(&m, img.b + 28, 8);
                ck_assert_msg(f->sw == img16(&img, 4) && x87_st(f, 0)->mant == m &&
                              x87_st(f, 0)->se == img16(&img, 36),
                              "form %d mem %zu a %d cw %04x", form, mi, ai, cw);
            }
    fm_free(fm);
}
END_TEST

START_TEST(fninit_then_push_sets_top_and_tag)
{
    FakeMachine *fm = prep((const uint8_t[]){ 0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xee }, 6);
    /* fninit; fld1; fldz */
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    X87State *f = &fm->cpu->fpu;
    ck_assert_int_eq(x87_top(f), 6);
    ck_assert_uint_eq(f->tw, 0x1fff);    /* R6 zero, R7 valid, others empty */
    ck_assert_uint_eq(x87_st(f, 1)->mant, 0x8000000000000000ull);
    ck_assert_uint_eq(x87_st(f, 1)->se, 0x3fff);
    ck_assert_uint_eq(f->cw, 0x037f);
    fm_free(fm);
}
END_TEST

START_TEST(push_onto_full_stack_masked_gives_indefinite_and_c1)
{
    uint8_t code[20];
    code[0] = 0xdb; code[1] = 0xe3;                       /* fninit */
    for (int i = 0; i < 9; i++) { code[2 + 2 * i] = 0xd9; code[3 + 2 * i] = 0xe8; }   /* fld1 x9 */
    FakeMachine *fm = prep(code, sizeof code);
    ck_assert_int_eq(fm_exec(fm, 10), -1);
    X87State *f = &fm->cpu->fpu;
    ck_assert_uint_eq(f->sw & (X87_SW_IE | X87_SW_SF | X87_SW_C1), X87_SW_IE | X87_SW_SF | X87_SW_C1);
    ck_assert_uint_eq(f->sw & X87_SW_ES, 0);
    ck_assert_uint_eq(x87_st(f, 0)->se, 0xffff);          /* QNaN indefinite */
    ck_assert_uint_eq(x87_st(f, 0)->mant, 0xc000000000000000ull);
    ck_assert_uint_eq(f->tw, 0x0000 | (X87_TAG_SPECIAL << (2 * x87_top(f))));
    fm_free(fm);
}
END_TEST

START_TEST(pop_from_empty_stack_unmasked_leaves_state_and_sets_es)
{
    static const uint8_t c[] = {
        0xdb, 0xe3,         /* fninit */
        0xd9, 0x2b,         /* fldcw [rbx] (IM clear) */
        0xd9, 0xe8,         /* fld1 */
        0xde, 0xc1,         /* faddp st1, st0: ST(1) empty */
        0xd9, 0xe8,         /* fld1 (waiting: #MF with CR0.NE) */
    };
    FakeMachine *fm = prep(c, sizeof c);
    fm_poke(fm, CWA, 2, 0x037e);
    ck_assert_int_eq(fm_exec(fm, 4), -1);
    X87State *f = &fm->cpu->fpu;
    ck_assert_int_eq(x87_top(f), 7);                      /* no pop */
    ck_assert_uint_eq(f->sw & 0x80ff & ~X87_SW_C1, X87_SW_B | X87_SW_ES | X87_SW_SF | X87_SW_IE);
    ck_assert_uint_eq(f->sw & X87_SW_C1, 0);              /* underflow: C1 = 0 */
    ck_assert_uint_eq(x87_st(f, 0)->se, 0x3fff);          /* ST(0) = 1 unchanged */
    fm->cpu->cr0 |= CR0_NE;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_MF);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 8);
    ck_assert_int_eq(x87_top(f), 7);
    fm->cpu->cr0 &= ~CR0_NE;                              /* no FERR# wiring here: IGNNE# */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(x87_top(f), 6);
    fm_free(fm);
}
END_TEST

/* A store that an unmasked invalid-operation or overflow exception suppresses makes no access at
 * all, so an address that would fault does not (as on an Intel host); masked, it faults. */
START_TEST(store_suppressed_by_unmasked_exception_makes_no_access)
{
    static const uint8_t c[] = {
        0xdb, 0xe3,         /* fninit */
        0xd9, 0x2b,         /* fldcw [rbx] */
        0xdb, 0x1e,         /* fistp dword [rsi]: stack empty (#IS) */
        0xdb, 0xe3,         /* fninit */
        0xd9, 0x2b,         /* fldcw [rbx] */
        0xdd, 0x07,         /* fld qword [rdi] (1e300) */
        0xd9, 0x1e,         /* fstp dword [rsi]: overflow (#O) */
    };
    static const uint16_t cw[3] = { 0x037e, 0x0377, 0x037f };   /* IM clear, OM clear, all masked */
    for (int k = 0; k < 3; k++) {
        FakeMachine *fm = prep(c, sizeof c);
        fm->cpu->gpr[R_SI] = 0x8000000000000000ull;           /* non-canonical: #GP if accessed */
        fm_poke(fm, CWA, 2, cw[k]);
        fm_poke(fm, OUT, 8, 0x7e37e43c8800759cull);            /* 1e300 */
        fm->cpu->gpr[R_DI] = OUT;
        X87State *f = &fm->cpu->fpu;
        if (k == 0) {
            ck_assert_int_eq(fm_exec(fm, 3), -1);
            ck_assert_uint_eq(f->sw & (X87_SW_IE | X87_SW_SF | X87_SW_ES), X87_SW_IE | X87_SW_SF | X87_SW_ES);
        } else if (k == 1) {
            fm->cpu->rip = FM_CODE + 6;
            ck_assert_int_eq(fm_exec(fm, 4), -1);
            ck_assert_uint_eq(f->sw & (X87_SW_OE | X87_SW_ES), X87_SW_OE | X87_SW_ES);
        } else {
            ck_assert_int_eq(fm_exec(fm, 3), EXC_GP);
            ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 4);
            fm->cpu->rip = FM_CODE + 6;
            ck_assert_int_eq(fm_exec(fm, 4), EXC_GP);
            ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 12);
        }
        fm_free(fm);
    }
}
END_TEST

START_TEST(fwait_delivers_pending_mf_and_fnclex_clears_it)
{
    static const uint8_t c[] = {
        0xdb, 0xe3,         /* fninit */
        0xd9, 0xe8,         /* fld1 */
        0xd9, 0x2b,         /* fldcw [rbx]: ZM clear */
        0xd9, 0xee,         /* fldz */
        0xde, 0xf9,         /* fdivp st1, st0: 1/0 -> ZE unmasked */
        0x9b,               /* fwait */
        0xdb, 0xe2,         /* fnclex */
        0x9b,               /* fwait */
    };
    FakeMachine *fm = prep(c, sizeof c);
    fm->cpu->cr0 |= CR0_NE;
    fm_poke(fm, CWA, 2, 0x037b);
    ck_assert_int_eq(fm_exec(fm, 5), -1);
    ck_assert_uint_eq(fm->cpu->fpu.sw & (X87_SW_ZE | X87_SW_ES | X87_SW_B), X87_SW_ZE | X87_SW_ES | X87_SW_B);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_MF);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 10);
    fm->cpu->rip = FM_CODE + 11;
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->fpu.sw & 0x80ff, 0);
    fm_free(fm);
}
END_TEST

START_TEST(fstsw_with_wait_prefix_takes_pending_mf_fnstsw_does_not)
{
    static const uint8_t c[] = { 0x9b, 0xdf, 0xe0, 0xdf, 0xe0 };   /* fstsw ax; fnstsw ax */
    FakeMachine *fm = prep(c, sizeof c);
    fm->cpu->cr0 |= CR0_NE;
    fm->cpu->fpu.cw = 0x037e;
    fm->cpu->fpu.sw = X87_SW_IE | X87_SW_ES | X87_SW_B;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_MF);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm->cpu->rip = FM_CODE + 3;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX] & 0xffff, X87_SW_IE | X87_SW_ES | X87_SW_B);
    fm_free(fm);
}
END_TEST

START_TEST(x87_with_em_or_ts_raises_nm_but_fwait_needs_mp)
{
    static const uint8_t c[] = { 0xd9, 0xe8, 0x9b };   /* fld1; fwait */
    FakeMachine *fm = prep(c, sizeof c);
    fm->cpu->cr0 |= CR0_TS;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_NM);
    ck_assert_int_eq(x87_top(&fm->cpu->fpu), 0);
    fm->cpu->rip = FM_CODE + 2;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    fm->cpu->cr0 = (fm->cpu->cr0 & ~CR0_TS) | CR0_EM;
    fm->cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_NM);
    fm_free(fm);
}
END_TEST

START_TEST(fcomi_sets_zf_pf_cf)
{
    static const uint8_t c[] = {
        0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xee,   /* fninit; fld1; fldz */
        0xdb, 0xf1,                           /* fcomi st0, st1: 0 < 1 */
        0xd9, 0xc9,                           /* fxch st1 */
        0xdf, 0xf1,                           /* fcomip st0, st1: 1 > 0 */
    };
    FakeMachine *fm = prep(c, sizeof c);
    fm_set_flags(fm, FL_OF | FL_SF | FL_ZF);
    ck_assert_int_eq(fm_exec(fm, 4), -1);
    ck_assert_uint_eq(fm_flags(fm) & FL_ARITH, FL_CF);
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm_flags(fm) & FL_ARITH, 0);
    ck_assert_int_eq(x87_top(&fm->cpu->fpu), 7);
    fm_free(fm);
}
END_TEST

START_TEST(fcmov_reads_guest_flags)
{
    static const uint8_t c[] = {
        0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xee,   /* fninit; fld1; fldz */
        0xda, 0xc1,                           /* fcmovb st0, st1 */
    };
    FakeMachine *fm = prep(c, sizeof c);
    fm_set_flags(fm, FL_CF);
    ck_assert_int_eq(fm_exec(fm, 4), -1);
    ck_assert_uint_eq(x87_st(&fm->cpu->fpu, 0)->se, 0x3fff);
    fm->cpu->rip = FM_CODE;
    fm_set_flags(fm, 0);
    ck_assert_int_eq(fm_exec(fm, 4), -1);
    ck_assert_uint_eq(x87_st(&fm->cpu->fpu, 0)->se, 0);
    fm_free(fm);
}
END_TEST

START_TEST(pointers_record_last_noncontrol_insn)
{
    static const uint8_t c[] = {
        0xdb, 0xe3,                 /* fninit */
        0xd9, 0x46, 0x04,           /* fld dword [rsi+4] */
        0xd9, 0x3b,                 /* fnstcw [rbx]: control, no update */
    };
    FakeMachine *fm = prep(c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    X87State *f = &fm->cpu->fpu;
    ck_assert_uint_eq(f->fip, FM_CODE + 2);
    ck_assert_uint_eq(f->fop, 0x146);
    ck_assert_uint_eq(f->fdp, DATA + 4);
    ck_assert_uint_eq(fm_peek(fm, CWA, 2), 0x037f);
    fm_free(fm);
}
END_TEST

START_TEST(fnstenv_fldenv_32bit_protected_layout)
{
    static const uint8_t c[] = {
        0xdb, 0xe3, 0xd9, 0xe8,     /* fninit; fld1 */
        0xd9, 0x33,                 /* fnstenv [rbx] */
        0xd9, 0x23,                 /* fldenv [rbx] */
    };
    FakeMachine *fm = prep(c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    ck_assert_uint_eq(fm_peek(fm, CWA, 4), 0xffff037f);
    ck_assert_uint_eq(fm_peek(fm, CWA + 4, 4), 0xffff3800);
    ck_assert_uint_eq(fm_peek(fm, CWA + 8, 4), 0xffff3fff);
    ck_assert_uint_eq(fm_peek(fm, CWA + 12, 4), FM_CODE + 2);
    ck_assert_uint_eq(fm_peek(fm, CWA + 16, 4) >> 16, 0x1e8);
    ck_assert_uint_eq(fm->cpu->fpu.cw, 0x037f);          /* already all masked */
    fm_poke(fm, CWA, 2, 0x0372);                         /* unmask IE ZE */
    fm_poke(fm, CWA + 4, 2, 0x3801);                     /* IE pending */
    fm_poke(fm, CWA + 8, 2, 0x0000);                     /* all "valid": recomputed from contents */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    X87State *f = &fm->cpu->fpu;
    ck_assert_uint_eq(f->cw, 0x0372);
    ck_assert_uint_eq(f->sw, 0x3801 | X87_SW_ES | X87_SW_B);
    ck_assert_uint_eq((f->tw >> 14) & 3, X87_TAG_VALID); /* R7 = 1.0 */
    ck_assert_uint_eq(f->tw & 3, X87_TAG_ZERO);          /* R0 = +0 after reset */
    fm_free(fm);
}
END_TEST

START_TEST(fnsave_frstor_roundtrip_16bit_real_mode)
{
    static const uint8_t c[] = {
        0xdb, 0xe3, 0xd9, 0xeb,     /* fninit; fldpi */
        0xdd, 0x37,                 /* fnsave [bx] */
        0xdd, 0x27,                 /* frstor [bx] */
    };
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_code(fm, c, sizeof c);
    fm->cpu->gpr[R_BX] = CWA;
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    X87State *f = &fm->cpu->fpu;
    ck_assert_uint_eq(f->tw, 0xffff);                    /* FNSAVE re-initializes */
    ck_assert_uint_eq(fm_peek(fm, CWA + 2, 2), 0x3800);  /* SW, TOP = 7 */
    ck_assert_uint_eq(fm_peek(fm, CWA + 4, 2), 0x3fff);
    ck_assert_uint_eq(fm_peek(fm, CWA + 6, 2), FM_CODE + 2);
    ck_assert_uint_eq(fm_peek(fm, CWA + 8, 2), 0x1eb);
    ck_assert_uint_eq(fm_peek(fm, CWA + 14, 8), 0xc90fdaa22168c235ull);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(x87_top(f), 7);
    ck_assert_uint_eq(x87_st(f, 0)->mant, 0xc90fdaa22168c235ull);
    ck_assert_uint_eq(f->tw, 0x3fff);
    fm_free(fm);
}
END_TEST

START_TEST(fxsave_layout_and_misaligned_gp)
{
    static const uint8_t c[] = {
        0xdb, 0xe3, 0xd9, 0xe8,     /* fninit; fld1 */
        0x48, 0x0f, 0xae, 0x03,     /* fxsave64 [rbx] */
        0xdb, 0xe3,                 /* fninit */
        0x48, 0x0f, 0xae, 0x0b,     /* fxrstor64 [rbx] */
    };
    FakeMachine *fm = prep(c, sizeof c);
    fm->cpu->xmm[15].q[1] = 0x1122334455667788ull;
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    ck_assert_uint_eq(fm_peek(fm, CWA, 2), 0x037f);
    ck_assert_uint_eq(fm_peek(fm, CWA + 2, 2), 0x3800);
    ck_assert_uint_eq(fm_peek(fm, CWA + 4, 1), 0x80);   /* abridged: R7 in use */
    ck_assert_uint_eq(fm_peek(fm, CWA + 6, 2), 0x1e8);
    ck_assert_uint_eq(fm_peek(fm, CWA + 8, 8), FM_CODE + 2);
    ck_assert_uint_eq(fm_peek(fm, CWA + 24, 4), 0x1f80);
    ck_assert_uint_ne(fm_peek(fm, CWA + 28, 4) & 0xffbf, 0);
    ck_assert_uint_eq(fm_peek(fm, CWA + 32, 8), 0x8000000000000000ull);
    ck_assert_uint_eq(fm_peek(fm, CWA + 40, 2), 0x3fff);
    ck_assert_uint_eq(fm_peek(fm, CWA + 160 + 16 * 15 + 8, 8), 0x1122334455667788ull);
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    X87State *f = &fm->cpu->fpu;
    ck_assert_int_eq(x87_top(f), 7);
    ck_assert_uint_eq(f->tw, 0x3fff);
    fm->cpu->gpr[R_BX] = CWA + 8;
    fm->cpu->rip = FM_CODE + 4;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm->cpu->gpr[R_BX] = CWA;
    fm_poke(fm, CWA + 24, 4, 0xffffffff);                /* reserved MXCSR bits */
    fm->cpu->rip = FM_CODE + 10;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

/* Every register-form encoding the decoder accepts runs (on the host) without harm. */
START_TEST(every_register_encoding_executes)
{
    FakeMachine *fm = prep((const uint8_t[]){ 0x90 }, 1);
    for (int op = 0xd8; op <= 0xdf; op++)
        for (int m = 0xc0; m <= 0xff; m++) {
            uint8_t c[] = { 0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xee, (uint8_t)op, (uint8_t)m };
            fm_code(fm, c, sizeof c);
            int v = fm_exec(fm, 4);
            ck_assert_msg(v == -1 || v == EXC_UD, "%02x %02x: vector %d", op, m, v);
        }
    fm_free(fm);
}
END_TEST

START_TEST(tag_of_classifies_contents)
{
    ck_assert_int_eq(x87_tag_of((Fp80){ 0, 0 }), X87_TAG_ZERO);
    ck_assert_int_eq(x87_tag_of((Fp80){ 0x8000000000000000ull, 0x3fff }), X87_TAG_VALID);
    ck_assert_int_eq(x87_tag_of((Fp80){ 1, 0 }), X87_TAG_SPECIAL);
    ck_assert_int_eq(x87_tag_of((Fp80){ 0x4000000000000000ull, 0x3fff }), X87_TAG_SPECIAL);
    ck_assert_int_eq(x87_tag_of((Fp80){ 0x8000000000000000ull, 0x7fff }), X87_TAG_SPECIAL);
    X87State f = { .tw = 0xfff0 };
    f.regs[0] = (Fp80){ 0xffffffffffffffffull, 0xffff };   /* MMX-written: special */
    f.regs[1] = (Fp80){ 0, 0 };
    ck_assert_uint_eq(x87_full_tw(&f), 0xfff6);
    ck_assert_uint_eq(x87_abridged_tw(&f), 0x03);
    ck_assert_uint_eq(x87_expand_tw(&f, 0x02), 0xfff7);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("x87");
    TCase *tc = tcase_create("x87");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tag_of_classifies_contents);
    tcase_add_test(tc, fninit_then_push_sets_top_and_tag);
    tcase_add_test(tc, push_onto_full_stack_masked_gives_indefinite_and_c1);
    tcase_add_test(tc, pop_from_empty_stack_unmasked_leaves_state_and_sets_es);
    tcase_add_test(tc, store_suppressed_by_unmasked_exception_makes_no_access);
    tcase_add_test(tc, fwait_delivers_pending_mf_and_fnclex_clears_it);
    tcase_add_test(tc, fstsw_with_wait_prefix_takes_pending_mf_fnstsw_does_not);
    tcase_add_test(tc, x87_with_em_or_ts_raises_nm_but_fwait_needs_mp);
    tcase_add_test(tc, fcomi_sets_zf_pf_cf);
    tcase_add_test(tc, fcmov_reads_guest_flags);
    tcase_add_test(tc, pointers_record_last_noncontrol_insn);
    tcase_add_test(tc, fnstenv_fldenv_32bit_protected_layout);
    tcase_add_test(tc, fnsave_frstor_roundtrip_16bit_real_mode);
    tcase_add_test(tc, fxsave_layout_and_misaligned_gp);
    tcase_add_test(tc, every_register_encoding_executes);
    tcase_add_loop_test(tc, arith_all_modes_and_specials_match_host_bit_for_bit, 0, NOPS);
    tcase_add_loop_test(tc, stores_every_format_match_host, 0, 8);
    tcase_add_loop_test(tc, memory_operand_forms_match_host, 0, 3);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
