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
    /* EDX: FPU DE PSE TSC MSR PAE CX8 SEP MTRR PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 and
     * nothing else (no VME, APIC, MCE/MCA, DS, ACPI, SS, HTT, TM, PBE). */
    ck_assert_uint_eq(r[3], 0x078bb97du);
    /* ECX with CR4.OSXSAVE = 0: SSE3 SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT XSAVE RDRAND. */
    ck_assert_uint_eq(r[2], 0x44d82201u);
    const uint32_t monitor = 1u << 3, pclmul = 1u << 1, fma = 1u << 12, aes = 1u << 25;
    const uint32_t avx = 1u << 28, f16c = 1u << 29, hypervisor = 1u << 31;
    ck_assert_uint_eq(r[2] & (monitor | pclmul | fma | aes | avx | f16c | hypervisor), 0);
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_leaf1_reportsx8664v2)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    uint32_t r[4];
    run_cpuid(fm, 1, 0, r);
    /* x86-64 baseline: FPU CX8 CMOV MMX FXSR SSE SSE2 (SYSCALL/LM/NX: leaf 80000001h). */
    const uint32_t v1 = (1u << 0) | (1u << 8) | (1u << 15) | (1u << 23) | (1u << 24) |
                        (1u << 25) | (1u << 26);
    ck_assert_uint_eq(r[3] & v1, v1);
    /* v2: SSE3 SSSE3 CX16 SSE4.1 SSE4.2 POPCNT (LAHF-SAHF: leaf 80000001h). */
    const uint32_t v2 = (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 23);
    ck_assert_uint_eq(r[2] & v2, v2);
    ck_assert(r[2] & CPUID_1_ECX_XSAVE);
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_leaf1_osxsave_followscr4)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint32_t r[4];
    run_cpuid(fm, 1, 0, r);
    ck_assert_uint_eq(r[2] & CPUID_1_ECX_OSXSAVE, 0);
    /* mov eax, cr4; bts eax, 18; mov cr4, eax; mov eax, 1; cpuid */
    FM_LOAD(fm, 0x0f, 0x20, 0xe0, 0x0f, 0xba, 0xe8, 0x12, 0x0f, 0x22, 0xe0,
            0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2);
    ck_assert_int_eq(fm_exec(fm, 5), -1);
    ck_assert(fm->cpu->cr4 & CR4_OSXSAVE);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX] & CPUID_1_ECX_OSXSAVE, CPUID_1_ECX_OSXSAVE);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX] & ~(uint64_t)CPUID_1_ECX_OSXSAVE, 0x44d82201u);
    /* mov eax, cr4; btr eax, 18; mov cr4, eax; mov eax, 1; cpuid */
    FM_LOAD(fm, 0x0f, 0x20, 0xe0, 0x0f, 0xba, 0xf0, 0x12, 0x0f, 0x22, 0xe0,
            0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2);
    ck_assert_int_eq(fm_exec(fm, 5), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX] & CPUID_1_ECX_OSXSAVE, 0);
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_leafd_reportsx87sse576)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    uint32_t r[4];
    run_cpuid(fm, 0xd, 0, r);
    ck_assert_uint_eq(r[0], 0x3);                       /* XCR0 may hold x87 | SSE */
    ck_assert_uint_eq(r[1], 576);                       /* for XCR0 = 1 at reset */
    ck_assert_uint_eq(r[2], 576);
    ck_assert_uint_eq(r[3], 0);
    run_cpuid(fm, 0xd, 1, r);
    ck_assert_uint_eq(r[0], CPUID_D1_EAX_XSAVEOPT);     /* no XSAVEC, XGETBV-1, XSAVES */
    ck_assert_uint_eq(r[1] | r[2] | r[3], 0);
    for (uint32_t sub = 2; sub < 64; sub++) {
        run_cpuid(fm, 0xd, sub, r);
        ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0);
    }
    fm_free(fm);
}
END_TEST

START_TEST(cpuid_leafd_afterxsetbv_ebxis576)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->cr4 |= CR4_OSXSAVE;
    /* xor ecx, ecx; mov eax, 3; xor edx, edx; xsetbv */
    FM_LOAD(fm, 0x31, 0xc9, 0xb8, 0x03, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x0f, 0x01, 0xd1);
    ck_assert_int_eq(fm_exec(fm, 4), -1);
    ck_assert_uint_eq(fm->cpu->xcr0, 0x3);
    uint32_t r[4];
    run_cpuid(fm, 0xd, 0, r);
    ck_assert_uint_eq(r[0], 0x3);
    ck_assert_uint_eq(r[1], 576);
    ck_assert_uint_eq(r[2], 576);
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
    ck_assert_uint_eq(r[3], CPUID_7_EDX_ARCH_CAPABILITIES);
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
    uint32_t want = CPUID_81_EDX_LM | CPUID_81_EDX_NX | CPUID_81_EDX_RDTSCP | CPUID_81_EDX_PAGE1GB;
    ck_assert_uint_eq(r[3] & want, want);
    ck_assert(r[2] & CPUID_81_ECX_LAHF);
    ck_assert(r[2] & CPUID_81_ECX_ABM);
    ck_assert(r[2] & CPUID_81_ECX_PREFETCHW);
    fm_free(fm);
}
END_TEST

/* Intel enumerates SYSCALL/SYSRET only in 64-bit mode (SDM CPUID, leaf 80000001h EDX bit 11). */
START_TEST(cpuid_ext80000001_syscallonlyin64bitmode)
{
    FakeMachine *fm = fm_new(FM_PM32);
    uint32_t r[4];
    run_cpuid(fm, 0x80000001u, 0, r);
    ck_assert_uint_eq(r[3] & CPUID_81_EDX_SYSCALL, 0);
    fm_mode(fm, FM_LONG64);
    run_cpuid(fm, 0x80000001u, 0, r);
    ck_assert_uint_eq(r[3] & CPUID_81_EDX_SYSCALL, CPUID_81_EDX_SYSCALL);
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
    tcase_add_test(tc, cpuid_leaf1_reportsx8664v2);
    tcase_add_test(tc, cpuid_leaf1_osxsave_followscr4);
    tcase_add_test(tc, cpuid_leafd_reportsx87sse576);
    tcase_add_test(tc, cpuid_leafd_afterxsetbv_ebxis576);
    tcase_add_test(tc, cpuid_leaf7_reportsrdseed);
    tcase_add_test(tc, cpuid_ext80000001_reportslongmodenx);
    tcase_add_test(tc, cpuid_ext80000001_syscallonlyin64bitmode);
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
