/*
 * test_xsave.c — XGETBV, XSETBV, XSAVE/XSAVEOPT and XRSTOR (cpu/xsave.c, cpu/fxsave_area.c) on
 * the fake machine: raw instruction bytes, assembly in the comment next to them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/fxsave_area.h"
#include "tests/unit/fake_machine.h"

#define AREA 0x4000u   /* 64-byte aligned XSAVE area */

static FakeMachine *prep(FmMode mode, const uint8_t *code, size_t len)
{
    FakeMachine *fm = fm_new(mode);
    fm_code(fm, code, len);
    fm->cpu->cr4 |= CR4_OSXSAVE | CR4_OSFXSR;
    return fm;
}

static void fill(FakeMachine *fm, uint32_t addr, uint32_t len, uint8_t b)
{
    for (uint32_t i = 0; i < len; i++)
        fm_poke(fm, addr + i, 1, b);
}

/* Known x87/SSE state: TOP = 6, ST(0) = physical 6 = 1.0, ST(1) = physical 7 = +0 (zero tag),
 * the rest empty; FIP/FDP with high bits set; XMMi = i * 0x0101..; MXCSR with flags. */
static void load_state(Cpu *cpu)
{
    memset(&cpu->fpu, 0, sizeof(cpu->fpu));
    cpu->fpu.cw = 0x027f;
    cpu->fpu.sw = (6 << 11) | 0x0021;
    cpu->fpu.regs[6] = (Fp80){ .mant = 0x8000000000000000ull, .se = 0x3fff };
    cpu->fpu.regs[7] = (Fp80){ .mant = 0, .se = 0 };
    cpu->fpu.tw = 0x4fff;                      /* phys 6 valid (00), phys 7 zero (01) */
    cpu->fpu.fop = 0x5e9;
    cpu->fpu.fip = 0x1122334455667788ull;
    cpu->fpu.fdp = 0x99aabbccddeeff00ull;
    cpu->fpu.fcs = 0x1234;
    cpu->fpu.fds = 0x5678;
    for (int i = 0; i < 16; i++) {
        cpu->xmm[i].q[0] = 0x0101010101010101ull * (uint64_t)i;
        cpu->xmm[i].q[1] = ~cpu->xmm[i].q[0];
    }
    cpu->mxcsr = 0x1fa1;
}

START_TEST(xgetbv_osxsave_clear_raises_ud)
{
    FakeMachine *fm = prep(FM_PM32, (const uint8_t[]){ 0x0f, 0x01, 0xd0 }, 3);   /* xgetbv */
    fm->cpu->cr4 &= ~CR4_OSXSAVE;
    fm->cpu->gpr[R_CX] = 0;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
}
END_TEST

START_TEST(xgetbv_ecx0_returns_xcr0_zero_extended)
{
    FakeMachine *fm = prep(FM_LONG64, (const uint8_t[]){ 0x0f, 0x01, 0xd0 }, 3);   /* xgetbv */
    fm->cpu->xcr0 = 3;
    fm->cpu->gpr[R_CX] = 0xffffffff00000000ull;   /* only ECX counts */
    fm->cpu->gpr[R_AX] = ~0ull;
    fm->cpu->gpr[R_DX] = ~0ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 3);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0);
    fm_free(fm);
}
END_TEST

START_TEST(xgetbv_ecx1_raises_gp)
{
    FakeMachine *fm = prep(FM_PM32, (const uint8_t[]){ 0x0f, 0x01, 0xd0 }, 3);   /* xgetbv */
    fm->cpu->gpr[R_CX] = 1;
    fm->cpu->gpr[R_AX] = 0x55;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x55);
    fm_free(fm);
}
END_TEST

START_TEST(xsetbv_x87_sse_sets_xcr0)
{
    FakeMachine *fm = prep(FM_PM32, (const uint8_t[]){ 0x0f, 0x01, 0xd1 }, 3);   /* xsetbv */
    fm->cpu->gpr[R_CX] = 0;
    fm->cpu->gpr[R_AX] = 3;
    fm->cpu->gpr[R_DX] = 0;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->xcr0, 3);
    fm_free(fm);
}
END_TEST

START_TEST(xsetbv_invalid_values_raise_gp_and_keep_xcr0)
{
    /* EDX:EAX values: x87 clear, SSE alone, AVX without SSE, AVX (unsupported), a high bit. */
    static const uint64_t bad[] = { 0, 2, 5, 7, 0x100000003ull, 0x80000003ull };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FakeMachine *fm = prep(FM_PM32, (const uint8_t[]){ 0x0f, 0x01, 0xd1 }, 3);   /* xsetbv */
        fm->cpu->gpr[R_CX] = 0;
        fm->cpu->gpr[R_AX] = (uint32_t)bad[i];
        fm->cpu->gpr[R_DX] = bad[i] >> 32;
        ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
        ck_assert_uint_eq(fm->cpu->exc_error, 0);
        ck_assert_uint_eq(fm->cpu->xcr0, 1);
        fm_free(fm);
    }
}
END_TEST

START_TEST(xsetbv_ecx1_or_cpl3_raises_gp)
{
    FakeMachine *fm = prep(FM_PM32, (const uint8_t[]){ 0x0f, 0x01, 0xd1 }, 3);   /* xsetbv */
    fm->cpu->gpr[R_CX] = 1;
    fm->cpu->gpr[R_AX] = 3;
    fm->cpu->gpr[R_DX] = 0;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm->cpu->gpr[R_CX] = 0;
    fm->cpu->cpl = 3;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->xcr0, 1);
    fm_free(fm);
}
END_TEST

START_TEST(xsave64_writes_legacy_region_and_sets_xstate_bv)
{
    /* xsave64 [rbx] */
    FakeMachine *fm = prep(FM_LONG64, (const uint8_t[]){ 0x48, 0x0f, 0xae, 0x23 }, 4);
    Cpu *cpu = fm->cpu;
    load_state(cpu);
    cpu->xcr0 = 3;
    cpu->gpr[R_AX] = ~0ull;
    cpu->gpr[R_DX] = ~0ull;
    cpu->gpr[R_BX] = AREA;
    fill(fm, AREA, 1024, 0xaa);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, AREA + 0, 2), 0x027f);
    ck_assert_uint_eq(fm_peek(fm, AREA + 2, 2), (6 << 11) | 0x21);
    ck_assert_uint_eq(fm_peek(fm, AREA + 4, 1), 0xc0);            /* abridged: phys 6, 7 */
    ck_assert_uint_eq(fm_peek(fm, AREA + 5, 1), 0);
    ck_assert_uint_eq(fm_peek(fm, AREA + 6, 2), 0x5e9);
    ck_assert_uint_eq(fm_peek(fm, AREA + 8, 8), 0x1122334455667788ull);
    ck_assert_uint_eq(fm_peek(fm, AREA + 16, 8), 0x99aabbccddeeff00ull);
    ck_assert_uint_eq(fm_peek(fm, AREA + 24, 4), 0x1fa1);
    ck_assert_uint_eq(fm_peek(fm, AREA + 28, 4), 0xffff);
    ck_assert_uint_eq(fm_peek(fm, AREA + 32, 8), 0x8000000000000000ull);   /* ST(0) */
    ck_assert_uint_eq(fm_peek(fm, AREA + 40, 8), 0x3fff);          /* exponent, reserved 0 */
    ck_assert_uint_eq(fm_peek(fm, AREA + 48, 8), 0);               /* ST(1) = +0 */
    ck_assert_uint_eq(fm_peek(fm, AREA + 160 + 16 * 15, 8), 0x0f0f0f0f0f0f0f0full);
    ck_assert_uint_eq(fm_peek(fm, AREA + 168 + 16 * 15, 8), ~0x0f0f0f0f0f0f0f0full);
    ck_assert_uint_eq(fm_peek(fm, AREA + 416, 8), 0xaaaaaaaaaaaaaaaaull);   /* reserved */
    ck_assert_uint_eq(fm_peek(fm, AREA + 512, 8), 0xaaaaaaaaaaaaaaabull);   /* XSTATE_BV | 3 */
    ck_assert_uint_eq(fm_peek(fm, AREA + 520, 8), 0xaaaaaaaaaaaaaaaaull);   /* XCOMP_BV kept */
    ck_assert_uint_eq(fm_peek(fm, AREA + 576, 8), 0xaaaaaaaaaaaaaaaaull);
    fm_free(fm);
}
END_TEST

START_TEST(xsave_32bit_format_x87_only_leaves_sse_bytes)
{
    FakeMachine *fm = prep(FM_PM32, (const uint8_t[]){ 0x0f, 0xae, 0x23 }, 3);   /* xsave [ebx] */
    Cpu *cpu = fm->cpu;
    load_state(cpu);
    cpu->xcr0 = 3;
    cpu->gpr[R_AX] = 1;      /* RFBM = x87 */
    cpu->gpr[R_DX] = 0;
    cpu->gpr[R_BX] = AREA;
    fill(fm, AREA, 1024, 0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, AREA + 8, 4), 0x55667788);     /* FIP low */
    ck_assert_uint_eq(fm_peek(fm, AREA + 12, 4), 0x1234);        /* FCS, reserved 0 */
    ck_assert_uint_eq(fm_peek(fm, AREA + 16, 4), 0xddeeff00);
    ck_assert_uint_eq(fm_peek(fm, AREA + 20, 4), 0x5678);
    ck_assert_uint_eq(fm_peek(fm, AREA + 24, 8), 0);             /* MXCSR not saved */
    ck_assert_uint_eq(fm_peek(fm, AREA + 160 + 16, 8), 0);       /* XMM1 not saved */
    ck_assert_uint_eq(fm_peek(fm, AREA + 512, 8), 1);
    fm_free(fm);
}
END_TEST

START_TEST(xsave_sse_in_32bit_mode_saves_xmm0_to_7_only)
{
    /* xsaveopt [ebx] */
    FakeMachine *fm = prep(FM_PM32, (const uint8_t[]){ 0x0f, 0xae, 0x33 }, 3);
    Cpu *cpu = fm->cpu;
    load_state(cpu);
    cpu->xcr0 = 3;
    cpu->gpr[R_AX] = 2;
    cpu->gpr[R_DX] = 0;
    cpu->gpr[R_BX] = AREA;
    fill(fm, AREA, 1024, 0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, AREA + 0, 8), 0);              /* x87 not saved */
    ck_assert_uint_eq(fm_peek(fm, AREA + 24, 4), 0x1fa1);
    ck_assert_uint_eq(fm_peek(fm, AREA + 160 + 16 * 7, 8), 0x0707070707070707ull);
    ck_assert_uint_eq(fm_peek(fm, AREA + 160 + 16 * 8, 8), 0);
    ck_assert_uint_eq(fm_peek(fm, AREA + 512, 8), 2);
    fm_free(fm);
}
END_TEST

START_TEST(xsave_faults_before_writing)
{
    FakeMachine *fm = prep(FM_PM32, (const uint8_t[]){ 0x0f, 0xae, 0x23 }, 3);   /* xsave [ebx] */
    Cpu *cpu = fm->cpu;
    cpu->xcr0 = 3;
    cpu->gpr[R_AX] = 3;
    cpu->gpr[R_DX] = 0;
    cpu->gpr[R_BX] = AREA + 32;                 /* 16- but not 64-byte aligned */
    fill(fm, AREA, 1024, 0x55);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(cpu->exc_error, 0);
    cpu->gpr[R_BX] = AREA;
    cpu->cr0 |= CR0_TS;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_NM);
    cpu->cr0 &= ~CR0_TS;
    cpu->cr4 &= ~CR4_OSXSAVE;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    ck_assert_uint_eq(fm_peek(fm, AREA + 32, 8), 0x5555555555555555ull);
    ck_assert_uint_eq(fm_peek(fm, AREA, 8), 0x5555555555555555ull);
    cpu->cr4 |= CR4_OSXSAVE;
    cpu->cr0 |= CR0_EM;                         /* EM does not matter to XSAVE */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    fm_free(fm);
}
END_TEST

START_TEST(xrstor64_round_trip_restores_state_and_rebuilds_tags)
{
    static const uint8_t c[] = {
        0x48, 0x0f, 0xae, 0x23,   /* xsave64 [rbx] */
        0x48, 0x0f, 0xae, 0x2b,   /* xrstor64 [rbx] */
    };
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    Cpu *cpu = fm->cpu;
    load_state(cpu);
    cpu->xcr0 = 3;
    cpu->gpr[R_AX] = 3;
    cpu->gpr[R_DX] = 0;
    cpu->gpr[R_BX] = AREA;
    fill(fm, AREA, 1024, 0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    X87State saved = cpu->fpu;
    memset(&cpu->fpu, 0x11, sizeof(cpu->fpu));
    memset(cpu->xmm, 0x22, sizeof(cpu->xmm));
    cpu->mxcsr = 0x1f80;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->fpu.cw, saved.cw);
    ck_assert_uint_eq(cpu->fpu.sw, saved.sw);
    ck_assert_uint_eq(cpu->fpu.tw, 0x4fff);
    ck_assert_uint_eq(cpu->fpu.fop, saved.fop);
    ck_assert_uint_eq(cpu->fpu.fip, saved.fip);
    ck_assert_uint_eq(cpu->fpu.fdp, saved.fdp);
    ck_assert_uint_eq(cpu->fpu.regs[6].mant, 0x8000000000000000ull);
    ck_assert_uint_eq(cpu->fpu.regs[6].se, 0x3fff);
    ck_assert_uint_eq(cpu->fpu.regs[7].mant, 0);
    ck_assert_uint_eq(cpu->fpu.regs[7].se, 0);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(cpu->xmm[i].q[0], 0x0101010101010101ull * (uint64_t)i);
    ck_assert_uint_eq(cpu->mxcsr, 0x1fa1);
    fm_free(fm);
}
END_TEST

START_TEST(xrstor_cleared_xstate_bv_initializes_but_loads_mxcsr)
{
    FakeMachine *fm = prep(FM_LONG64, (const uint8_t[]){ 0x0f, 0xae, 0x2b }, 3);   /* xrstor [rbx] */
    Cpu *cpu = fm->cpu;
    load_state(cpu);
    cpu->xcr0 = 3;
    cpu->gpr[R_AX] = 3;
    cpu->gpr[R_DX] = 0;
    cpu->gpr[R_BX] = AREA;
    fill(fm, AREA, 1024, 0);
    fm_poke(fm, AREA + 24, 4, 0x3f80);          /* MXCSR: round down, all masked */
    fm_poke(fm, AREA + 160, 8, 0x1234);          /* ignored: XSTATE_BV[1] = 0 */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->fpu.cw, 0x037f);
    ck_assert_uint_eq(cpu->fpu.sw, 0);
    ck_assert_uint_eq(cpu->fpu.tw, 0xffff);
    ck_assert_uint_eq(cpu->fpu.fip, 0);
    ck_assert_uint_eq(cpu->fpu.regs[6].mant, 0);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(cpu->xmm[i].q[0] | cpu->xmm[i].q[1], 0);
    ck_assert_uint_eq(cpu->mxcsr, 0x3f80);
    fm_free(fm);
}
END_TEST

START_TEST(xrstor_rfbm_clear_leaves_component)
{
    FakeMachine *fm = prep(FM_LONG64, (const uint8_t[]){ 0x0f, 0xae, 0x2b }, 3);   /* xrstor [rbx] */
    Cpu *cpu = fm->cpu;
    load_state(cpu);
    cpu->xcr0 = 3;
    cpu->gpr[R_AX] = 1;                          /* x87 only */
    cpu->gpr[R_DX] = 0;
    cpu->gpr[R_BX] = AREA;
    fill(fm, AREA, 1024, 0);
    fm_poke(fm, AREA + 24, 4, 0xffffffff);       /* bad MXCSR, but not loaded */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->fpu.cw, 0x037f);
    ck_assert_uint_eq(cpu->xmm[3].q[0], 0x0303030303030303ull);
    ck_assert_uint_eq(cpu->mxcsr, 0x1fa1);
    fm_free(fm);
}
END_TEST

START_TEST(xrstor_bad_header_or_mxcsr_raises_gp_without_change)
{
    static const struct { uint32_t off; uint64_t v; } bad[] = {
        { 512, 4 },                      /* XSTATE_BV bit outside XCR0 */
        { 520, 1ull << 63 },             /* compacted form */
        { 520, 1 },                      /* XCOMP_BV not zero */
        { 528, 1 },                      /* header bytes 16-23 */
        { 24, 0x10000 },                 /* MXCSR outside MXCSR_MASK */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* xrstor [rbx] */
        FakeMachine *fm = prep(FM_LONG64, (const uint8_t[]){ 0x0f, 0xae, 0x2b }, 3);
        Cpu *cpu = fm->cpu;
        load_state(cpu);
        cpu->xcr0 = 3;
        cpu->gpr[R_AX] = 3;
        cpu->gpr[R_DX] = 0;
        cpu->gpr[R_BX] = AREA;
        fill(fm, AREA, 1024, 0);
        fm_poke(fm, AREA + 24, 4, 0x1f80);
        fm_poke(fm, AREA + 512, 8, 3);
        fm_poke(fm, AREA + bad[i].off, 8, bad[i].v | (bad[i].off == 512 ? 3 : 0) |
                (bad[i].off == 24 ? 0x1f80 : 0));
        ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
        ck_assert_uint_eq(cpu->exc_error, 0);
        ck_assert_uint_eq(cpu->fpu.cw, 0x027f);
        ck_assert_uint_eq(cpu->xmm[3].q[0], 0x0303030303030303ull);
        ck_assert_uint_eq(cpu->mxcsr, 0x1fa1);
        fm_free(fm);
    }
}
END_TEST

START_TEST(fxsave_area_tag_classifies_register_contents)
{
    ck_assert_int_eq(fxsave_area_tag((Fp80){ .mant = 0x8000000000000000ull, .se = 0x3fff }), 0);
    ck_assert_int_eq(fxsave_area_tag((Fp80){ .mant = 0, .se = 0x8000 }), 1);             /* -0 */
    ck_assert_int_eq(fxsave_area_tag((Fp80){ .mant = 1, .se = 0 }), 2);                  /* denormal */
    ck_assert_int_eq(fxsave_area_tag((Fp80){ .mant = 0x8000000000000000ull, .se = 0 }), 2);
    ck_assert_int_eq(fxsave_area_tag((Fp80){ .mant = 0x4000000000000000ull, .se = 0x3fff }), 2);
    ck_assert_int_eq(fxsave_area_tag((Fp80){ .mant = 0x8000000000000000ull, .se = 0x7fff }), 2);
    ck_assert_int_eq(fxsave_area_tag((Fp80){ .mant = 0xc000000000000000ull, .se = 0xffff }), 2);
}
END_TEST

static Suite *xsave_suite(void)
{
    Suite *s = suite_create("xsave");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, xgetbv_osxsave_clear_raises_ud);
    tcase_add_test(tc, xgetbv_ecx0_returns_xcr0_zero_extended);
    tcase_add_test(tc, xgetbv_ecx1_raises_gp);
    tcase_add_test(tc, xsetbv_x87_sse_sets_xcr0);
    tcase_add_test(tc, xsetbv_invalid_values_raise_gp_and_keep_xcr0);
    tcase_add_test(tc, xsetbv_ecx1_or_cpl3_raises_gp);
    tcase_add_test(tc, xsave64_writes_legacy_region_and_sets_xstate_bv);
    tcase_add_test(tc, xsave_32bit_format_x87_only_leaves_sse_bytes);
    tcase_add_test(tc, xsave_sse_in_32bit_mode_saves_xmm0_to_7_only);
    tcase_add_test(tc, xsave_faults_before_writing);
    tcase_add_test(tc, xrstor64_round_trip_restores_state_and_rebuilds_tags);
    tcase_add_test(tc, xrstor_cleared_xstate_bv_initializes_but_loads_mxcsr);
    tcase_add_test(tc, xrstor_rfbm_clear_leaves_component);
    tcase_add_test(tc, xrstor_bad_header_or_mxcsr_raises_gp_without_change);
    tcase_add_test(tc, fxsave_area_tag_classifies_register_contents);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xsave_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
