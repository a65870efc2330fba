/*
 * test_mmx.c — MMX state and x87 aliasing (cpu/mmx.h, cpu/mmx.c, MMX forms in cpu/sse_int.c):
 * raw instruction bytes on the fake machine, assembly in the comment next to them.
 */
#include <check.h>
#include <stdlib.h>

#include "tests/unit/fake_machine.h"

static FakeMachine *prep(const uint8_t *code, size_t len)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm_code(fm, code, len);
    return fm;
}

START_TEST(mmx_write_sets_top0_tags_valid_exponent_ones)
{
    static const uint8_t c[] = { 0x48, 0x0f, 0x6e, 0xd8 };   /* movq mm3, rax */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->fpu.sw = 5 << 11;                                  /* TOP = 5 */
    cpu->fpu.tw = 0xffff;
    cpu->gpr[R_AX] = 0x1122334455667788ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->fpu.regs[3].mant, 0x1122334455667788ull);
    ck_assert_uint_eq(cpu->fpu.regs[3].se, 0xffff);
    ck_assert_uint_eq((cpu->fpu.sw >> 11) & 7, 0);
    ck_assert_uint_eq(cpu->fpu.tw, 0);
    fm_free(fm);
}
END_TEST

START_TEST(mmx_read_only_keeps_exponent_but_sets_tags)
{
    static const uint8_t c[] = { 0x0f, 0x7e, 0xc8 };       /* movd eax, mm1 */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->fpu.regs[1] = (Fp80){ 0xaaaabbbbccccddddull, 0x3fff };
    cpu->fpu.tw = 0xffff;
    cpu->gpr[R_AX] = ~0ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->gpr[R_AX], 0xccccddddull);      /* zero-extended to 64 bits */
    ck_assert_uint_eq(cpu->fpu.regs[1].se, 0x3fff);
    ck_assert_uint_eq(cpu->fpu.tw, 0);
    fm_free(fm);
}
END_TEST

START_TEST(emms_sets_tag_word_empty)
{
    static const uint8_t c[] = { 0x0f, 0xfc, 0xc1,          /* paddb mm0, mm1 */
                                 0x0f, 0x77 };              /* emms */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->fpu.regs[0].mant = 0x01020304050607ffull;
    cpu->fpu.regs[1].mant = 0x0101010101010101ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->fpu.regs[0].mant, 0x0203040506070800ull);   /* bytes wrap */
    ck_assert_uint_eq(cpu->fpu.tw, 0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->fpu.tw, 0xffff);
    fm_free(fm);
}
END_TEST

/* EMMS is an MMX instruction: TOP := 0 besides the empty tags (SDM vol. 3, 12.2); found by the
 * diff harness (family mmx, seed 14 case 39: host FSW 171f -> 071f). */
START_TEST(emms_sets_top_zero)
{
    static const uint8_t c[] = { 0x0f, 0x77 };              /* emms */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->fpu.sw = 0x171f;                                   /* TOP = 2, masked flags */
    cpu->fpu.cw = 0x037f;
    cpu->fpu.tw = 0x5a5a;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->fpu.sw, 0x071f);
    ck_assert_uint_eq(cpu->fpu.tw, 0xffff);
    fm_free(fm);
}
END_TEST

START_TEST(mmx_with_em_raises_ud_with_ts_raises_nm)
{
    static const uint8_t c[] = { 0x0f, 0xef, 0xc0 };        /* pxor mm0, mm0 */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->fpu.regs[0].mant = 0x1234;
    cpu->fpu.tw = 0xffff;
    cpu->cr0 |= CR0_EM;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    cpu->cr0 = (cpu->cr0 & ~CR0_EM) | CR0_TS;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_NM);
    ck_assert_uint_eq(cpu->fpu.regs[0].mant, 0x1234);      /* nothing changed */
    ck_assert_uint_eq(cpu->fpu.tw, 0xffff);
    fm_free(fm);
}
END_TEST

START_TEST(mmx_with_pending_x87_exception_raises_mf_before_any_change)
{
    static const uint8_t c[] = { 0x0f, 0xef, 0xc0 };        /* pxor mm0, mm0 */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->cr0 |= CR0_NE;
    cpu->fpu.regs[0].mant = 0x1234;
    cpu->fpu.tw = 0xffff;
    cpu->fpu.sw = 0x8084;                                   /* ZE pending unmasked: ES and B */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_MF);
    ck_assert_uint_eq(cpu->fpu.regs[0].mant, 0x1234);
    ck_assert_uint_eq(cpu->fpu.tw, 0xffff);
    cpu->fpu.sw = 0;                                        /* nothing pending: it runs */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->fpu.regs[0].mant, 0);
    fm_free(fm);
}
END_TEST

START_TEST(movq2dq_with_pending_x87_exception_raises_mf)
{
    static const uint8_t c[] = { 0xf3, 0x0f, 0xd6, 0xc8 };  /* movq2dq xmm1, mm0 */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->cr0 |= CR0_NE;
    cpu->cr4 |= CR4_OSFXSR;
    cpu->fpu.regs[0].mant = 0x1234;
    cpu->fpu.sw = 0x8084;                                   /* ZE pending unmasked */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_MF);
    ck_assert_uint_eq(cpu->xmm[1].q[0], 0);
    cpu->fpu.sw = 0;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->xmm[1].q[0], 0x1234);
    fm_free(fm);
}
END_TEST

START_TEST(mmx_saturating_and_shift_forms)
{
    static const uint8_t c[] = { 0x0f, 0xed, 0xc1,          /* paddsw mm0, mm1 */
                                 0x0f, 0x71, 0xe2, 0x04,    /* psraw mm2, 4 */
                                 0x0f, 0x73, 0xd3, 0x40 };  /* psrlq mm3, 64 */
    FakeMachine *fm = prep(c, sizeof c);
    Cpu *cpu = fm->cpu;
    cpu->fpu.regs[0].mant = 0x7ff0800000010002ull;
    cpu->fpu.regs[1].mant = 0x0100ffff00020003ull;
    cpu->fpu.regs[2].mant = 0x8000100000f0ff00ull;
    cpu->fpu.regs[3].mant = ~0ull;
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    ck_assert_uint_eq(cpu->fpu.regs[0].mant, 0x7fff800000030005ull);
    ck_assert_uint_eq(cpu->fpu.regs[2].mant, 0xf8000100000ffff0ull);
    ck_assert_uint_eq(cpu->fpu.regs[3].mant, 0);
    fm_free(fm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mmx");
    TCase *tc = tcase_create("mmx");
    tcase_add_test(tc, mmx_write_sets_top0_tags_valid_exponent_ones);
    tcase_add_test(tc, mmx_read_only_keeps_exponent_but_sets_tags);
    tcase_add_test(tc, emms_sets_tag_word_empty);
    tcase_add_test(tc, emms_sets_top_zero);
    tcase_add_test(tc, mmx_with_em_raises_ud_with_ts_raises_nm);
    tcase_add_test(tc, mmx_saturating_and_shift_forms);
    tcase_add_test(tc, mmx_with_pending_x87_exception_raises_mf_before_any_change);
    tcase_add_test(tc, movq2dq_with_pending_x87_exception_raises_mf);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
