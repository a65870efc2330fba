/*
 * test_cpuid.c — the CPUID instruction and its leaves (cpu/cpuid.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "tests/unit/fake_machine.h"

/* Runs CPUID (0F A2) with EAX = leaf, ECX = subleaf. */
static void run_cpuid(FakeMachine *fm, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    static const uint8_t code[] = { 0x0f, 0xa2 };   /* cpuid */
    fm_code(fm, code, sizeof(code));
    fm->cpu->gpr[R_AX] = leaf;
    fm->cpu->gpr[R_CX] = subleaf;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    out[0] = (uint32_t)fm->cpu->gpr[R_AX];
    out[1] = (uint32_t)fm->cpu->gpr[R_BX];
    out[2] = (uint32_t)fm->cpu->gpr[R_CX];
    out[3] = (uint32_t)fm->cpu->gpr[R_DX];
}

START_TEST(cpuid_leaf0_reportsgenuineintel)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint32_t r[4];
    run_cpuid(fm, 0, 0, r);
    char vendor[13];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    ck_assert_str_eq(vendor, "GenuineIntel");
    ck_assert_uint_eq(r[0], CPUID_MAX_BASIC);
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_leaf1_reportsonlyimplemented)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint32_t r[4];
    run_cpuid(fm, 1, 0, r);
    ck_assert_uint_eq(r[0], CPUID_SIGNATURE);
    ck_assert_uint_eq((r[1] >> 8) & 0xff, 8);           /* CLFLUSH line: 64 bytes */
    const uint32_t fpu = 1u << 0, vme = 1u << 1, apic = 1u << 9, mmx = 1u << 23;
    const uint32_t fxsr = 1u << 24, sse = 1u << 25, sse2 = 1u << 26;
    ck_assert_uint_eq(r[3] & (fpu | vme | apic | mmx | fxsr | sse | sse2), 0);
    uint32_t want = CPUID_1_EDX_TSC | CPUID_1_EDX_MSR | CPUID_1_EDX_PAE | CPUID_1_EDX_CX8 |
                    CPUID_1_EDX_SEP | CPUID_1_EDX_PGE | CPUID_1_EDX_CMOV | CPUID_1_EDX_PAT |
                    CPUID_1_EDX_PSE | CPUID_1_EDX_PSE36 | CPUID_1_EDX_MTRR | CPUID_1_EDX_CLFSH;
    ck_assert_uint_eq(r[3] & want, want);
    const uint32_t sse3 = 1u << 0, xsave = 1u << 26, hypervisor = 1u << 31;
    ck_assert_uint_eq(r[2] & (sse3 | xsave | hypervisor), 0);
    uint32_t ecx = CPUID_1_ECX_RDRAND | CPUID_1_ECX_CX16 | CPUID_1_ECX_MOVBE | CPUID_1_ECX_POPCNT;
    ck_assert_uint_eq(r[2], ecx);
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_leaf7_reportsrdseed)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint32_t r[4];
    run_cpuid(fm, 7, 0, r);
    ck_assert_uint_eq(r[0], 0);
    ck_assert_uint_eq(r[1], CPUID_7_EBX_RDSEED | CPUID_7_EBX_BMI1);
    run_cpuid(fm, 7, 1, r);
    ck_assert_uint_eq(r[1], 0);
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_ext80000001_reportslongmodenx)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint32_t r[4];
    run_cpuid(fm, 0x80000000u, 0, r);
    ck_assert_uint_eq(r[0], CPUID_MAX_EXT);
    run_cpuid(fm, 0x80000001u, 0, r);
    uint32_t want = CPUID_81_EDX_LM | CPUID_81_EDX_NX | CPUID_81_EDX_SYSCALL |
                    CPUID_81_EDX_RDTSCP | CPUID_81_EDX_PAGE1GB;
    ck_assert_uint_eq(r[3] & want, want);
    ck_assert(r[2] & CPUID_81_ECX_LAHF);
    ck_assert(r[2] & CPUID_81_ECX_ABM);
    ck_assert(r[2] & CPUID_81_ECX_PREFETCHW);
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_ext80000008_reportsaddresssizes)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint32_t r[4];
    run_cpuid(fm, 0x80000008u, 0, r);
    ck_assert_uint_eq(r[0] & 0xff, 40);
    ck_assert_uint_eq((r[0] >> 8) & 0xff, 48);
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_brandstring_isnulterminated)
{
    FakeMachine *fm = fm_new(FM_PM32);
    char brand[49];
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t r[4];
        run_cpuid(fm, 0x80000002u + i, 0, r);
        memcpy(brand + 16 * i, r, 16);
    }
    brand[48] = 1;
    ck_assert(memchr(brand, 0, 48) != NULL);
    ck_assert(strstr(brand, "softvisor") != NULL);
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_abovemaximum_returnshighestbasicleaf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint32_t hi[4], r[4];
    run_cpuid(fm, CPUID_MAX_BASIC, 0, hi);
    run_cpuid(fm, 0x40000000u, 0, r);
    ck_assert_mem_eq(r, hi, sizeof(r));
    run_cpuid(fm, CPUID_MAX_EXT + 1, 0, r);
    ck_assert_mem_eq(r, hi, sizeof(r));
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_64bitmode_clearsupperhalves)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_BX] = ~0ull;
    fm->cpu->gpr[R_DX] = ~0ull;
    uint32_t r[4];
    run_cpuid(fm, 0, 0, r);
    ck_assert_uint_eq(fm->cpu->gpr[R_BX], 0x756e6547u);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0x49656e69u);
    fm_free(fm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpuid");
    TCase *tc = tcase_create("cpuid");
    tcase_add_test(tc, cpuid_leaf0_reportsgenuineintel);
    tcase_add_test(tc, cpuid_leaf1_reportsonlyimplemented);
    tcase_add_test(tc, cpuid_leaf7_reportsrdseed);
    tcase_add_test(tc, cpuid_ext80000001_reportslongmodenx);
    tcase_add_test(tc, cpuid_ext80000008_reportsaddresssizes);
    tcase_add_test(tc, cpuid_brandstring_isnulterminated);
    tcase_add_test(tc, cpuid_abovemaximum_returnshighestbasicleaf);
    tcase_add_test(tc, cpuid_64bitmode_clearsupperhalves);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
