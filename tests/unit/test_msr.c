/*
 * test_msr.c — RDMSR/WRMSR and the MSR table (cpu/msr.c) on the fake machine.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/msr.h"
#include "tests/unit/fake_machine.h"

/* wrmsr ; rdmsr */
static const uint8_t wr_rd[] = { 0x0f, 0x30, 0x0f, 0x32 };

/* Loads ECX, EDX:EAX and runs WRMSR; returns -1 or the fault vector. */
static int wrmsr(FakeMachine *fm, uint32_t msr, uint64_t v)
{
    fm_code(fm, wr_rd, sizeof(wr_rd));
    fm->cpu->gpr[R_CX] = msr;
    fm->cpu->gpr[R_AX] = (uint32_t)v;
    fm->cpu->gpr[R_DX] = v >> 32;
    return fm_exec(fm, 1);
}

/* Runs RDMSR for `msr` (at the second instruction of the snippet); returns -1 or the vector. */
static int rdmsr(FakeMachine *fm, uint32_t msr, uint64_t *v)
{
    fm_code(fm, wr_rd, sizeof(wr_rd));
    fm->cpu->rip = FM_CODE + 2;
    fm->cpu->gpr[R_CX] = msr;
    int r = fm_exec(fm, 1);
    *v = ((uint64_t)(uint32_t)fm->cpu->gpr[R_DX] << 32) | (uint32_t)fm->cpu->gpr[R_AX];
    return r;
}

START_TEST(rdmsr_unknownmsr_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint64_t v;
    ck_assert_int_eq(rdmsr(fm, 0x12345678, &v), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_cpl3_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cpl = 3;
    ck_assert_int_eq(wrmsr(fm, MSR_STAR, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->star, 0);
    fm_free(fm);
}
END_TEST

START_TEST(rdmsr_realmode_allowed)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->sysenter_eip = 0x1234;
    uint64_t v;
    ck_assert_int_eq(rdmsr(fm, MSR_IA32_SYSENTER_EIP, &v), -1);
    ck_assert_uint_eq(v, 0x1234);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_eferreservedbit_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    ck_assert_int_eq(wrmsr(fm, MSR_EFER, 1u << 1), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_eferlmewhilepaging_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm_poke(fm, 0x10000, 4, 0x83);   /* 2-level paging: one 4 MiB identity page */
    fm->cpu->cr3 = 0x10000;
    fm->cpu->cr4 = CR4_PSE;
    fm->cpu->cr0 |= CR0_PG;
    ck_assert_int_eq(wrmsr(fm, MSR_EFER, EFER_LME), EXC_GP);
    ck_assert_int_eq(wrmsr(fm, MSR_EFER, EFER_NXE | EFER_SCE), -1);
    ck_assert_uint_eq(fm->cpu->efer, EFER_NXE | EFER_SCE);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_eferlma_isreadonly)
{
    FakeMachine *fm = fm_new(FM_PM32);
    ck_assert_int_eq(wrmsr(fm, MSR_EFER, EFER_LME | EFER_LMA), -1);
    ck_assert_uint_eq(fm->cpu->efer, EFER_LME);
    uint64_t v;
    ck_assert_int_eq(rdmsr(fm, MSR_EFER, &v), -1);
    ck_assert_uint_eq(v, EFER_LME);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_tsc_setsvirtualtsc)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->icount = 500;
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_TSC, 0x100000000ull), -1);
    /* wr_rd: the RDMSR right after retires one instruction later */
    fm->cpu->gpr[R_CX] = MSR_IA32_TSC;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 1);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 1);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_patinvalidtype_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_PAT, 0x0007040600070402ull), EXC_GP);
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_PAT, 0x0007040600070408ull), EXC_GP);
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_PAT, 0x0007010600070406ull), -1);
    ck_assert_uint_eq(fm->cpu->pat, 0x0007010600070406ull);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_mtrrvariable_roundtrips)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint64_t v;
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_MTRR_PHYSBASE0 + 2, 0x80000006), -1);
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_MTRR_PHYSBASE0 + 3, 0xff80000800ull), -1);
    ck_assert_int_eq(rdmsr(fm, MSR_IA32_MTRR_PHYSBASE0 + 2, &v), -1);
    ck_assert_uint_eq(v, 0x80000006);
    ck_assert_int_eq(rdmsr(fm, MSR_IA32_MTRR_PHYSBASE0 + 3, &v), -1);
    ck_assert_uint_eq(v, 0xff80000800ull);
    /* mask bits 0..10 reserved, base type 2 invalid, no pair 8 */
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_MTRR_PHYSBASE0 + 3, 0x801), EXC_GP);
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_MTRR_PHYSBASE0, 0x2), EXC_GP);
    ck_assert_int_eq(rdmsr(fm, MSR_IA32_MTRR_PHYSBASE0 + 16, &v), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_mtrrfixed_roundtrips)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint64_t v;
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_MTRR_FIX4K_C0000 + 7, 0x0606060605050505ull), -1);
    ck_assert_int_eq(rdmsr(fm, MSR_IA32_MTRR_FIX4K_C0000 + 7, &v), -1);
    ck_assert_uint_eq(v, 0x0606060605050505ull);
    ck_assert_uint_eq(fm->cpu->mtrr_fixed[10], 0x0606060605050505ull);
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_MTRR_FIX16K_80000, 0x0300000000000000ull), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(rdmsr_mtrrcap_reportseightvariable)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint64_t v;
    ck_assert_int_eq(rdmsr(fm, MSR_IA32_MTRRCAP, &v), -1);
    ck_assert_uint_eq(v & 0xff, 8);
    ck_assert(v & (1u << 8));
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_MTRRCAP, 0), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(rdmsr_archcapabilities_reportsnotaffected)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint64_t v;
    ck_assert_int_eq(rdmsr(fm, MSR_IA32_ARCH_CAPABILITIES, &v), -1);
    ck_assert(v & (1u << 0));    /* RDCL_NO: Linux leaves page-table isolation off */
    ck_assert(v & (1u << 5));    /* MDS_NO */
    ck_assert(!(v & (1u << 1))); /* no IBRS_ALL: there is no IA32_SPEC_CTRL */
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_ARCH_CAPABILITIES, 0), EXC_GP);
    ck_assert_int_eq(rdmsr(fm, 0x48 /* IA32_SPEC_CTRL */, &v), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_fsbasenoncanonical_raisesgp)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    ck_assert_int_eq(wrmsr(fm, MSR_FS_BASE, 0x0000800000000000ull), EXC_GP);
    ck_assert_int_eq(wrmsr(fm, MSR_GS_BASE, 0xffff800000001000ull), -1);
    ck_assert_uint_eq(fm->cpu->seg[SEG_GS].base, 0xffff800000001000ull);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_tscauxhighbits_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    ck_assert_int_eq(wrmsr(fm, MSR_TSC_AUX, 1ull << 32), EXC_GP);
    ck_assert_int_eq(wrmsr(fm, MSR_TSC_AUX, 3), -1);
    ck_assert_uint_eq(fm->cpu->tsc_aux, 3);
    fm_free(fm);
}
END_TEST

START_TEST(wrmsr_apicbasebsp_isreadonly)
{
    FakeMachine *fm = fm_new(FM_PM32);
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_APIC_BASE, 0xfec00800ull), -1);
    ck_assert_uint_eq(fm->cpu->apic_base, 0xfec00900ull);
    ck_assert_int_eq(wrmsr(fm, MSR_IA32_APIC_BASE, 0xfee00c00ull), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(msr_bootprobes_readharmlessvalues)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint64_t v = 1;
    ck_assert(msr_read(fm->cpu, MSR_IA32_MCG_CAP, &v));
    ck_assert_uint_eq(v, 0);
    ck_assert(msr_read(fm->cpu, MSR_IA32_PLATFORM_ID, &v));
    ck_assert(msr_read(fm->cpu, MSR_IA32_BIOS_SIGN_ID, &v));
    ck_assert(msr_write(fm->cpu, MSR_IA32_BIOS_SIGN_ID, 0));
    ck_assert(msr_read(fm->cpu, MSR_IA32_MISC_ENABLE, &v));
    ck_assert(!msr_write(fm->cpu, MSR_IA32_MCG_STATUS, 1));
    fm_free(fm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("msr");
    TCase *tc = tcase_create("msr");
    tcase_add_test(tc, rdmsr_unknownmsr_raisesgp);
    tcase_add_test(tc, rdmsr_archcapabilities_reportsnotaffected);
    tcase_add_test(tc, wrmsr_cpl3_raisesgp);
    tcase_add_test(tc, rdmsr_realmode_allowed);
    tcase_add_test(tc, wrmsr_eferreservedbit_raisesgp);
    tcase_add_test(tc, wrmsr_eferlmewhilepaging_raisesgp);
    tcase_add_test(tc, wrmsr_eferlma_isreadonly);
    tcase_add_test(tc, wrmsr_tsc_setsvirtualtsc);
    tcase_add_test(tc, wrmsr_patinvalidtype_raisesgp);
    tcase_add_test(tc, wrmsr_mtrrvariable_roundtrips);
    tcase_add_test(tc, wrmsr_mtrrfixed_roundtrips);
    tcase_add_test(tc, rdmsr_mtrrcap_reportseightvariable);
    tcase_add_test(tc, wrmsr_fsbasenoncanonical_raisesgp);
    tcase_add_test(tc, wrmsr_tscauxhighbits_raisesgp);
    tcase_add_test(tc, wrmsr_apicbasebsp_isreadonly);
    tcase_add_test(tc, msr_bootprobes_readharmlessvalues);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
