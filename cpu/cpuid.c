/*
 * cpuid.c — the CPUID instruction (SDM vol. 2, CPUID; vol. 3, 4.1.4 for the paging features).
 *
 * CPUID: EAX = leaf, ECX = subleaf -> EAX, EBX, ECX, EDX (32-bit writes: the upper halves of
 * RAX/RBX/RCX/RDX are cleared in 64-bit mode).  Not privileged, no flags, not a block end.
 *
 * Reported: only what softvisor implements.
 *   0          max basic leaf 0Dh, vendor "GenuineIntel" (EBX "Genu", EDX "ineI", ECX "ntel").
 *   1          EAX signature (family 6 model 3Ah), EBX CLFLUSH line 8 qwords, 1 logical CPU,
 *              APIC ID 0; EDX FPU DE PSE TSC MSR PAE CX8 SEP MTRR PGE CMOV PAT PSE-36 CLFSH MMX
 *              FXSR SSE SSE2; ECX SSE3 SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT XSAVE RDRAND, and
 *              OSXSAVE = the current CR4.OSXSAVE (SDM: "the OS has set CR4.OSXSAVE").
 *              That is the x86-64-v2 level (plus MOVBE, RDRAND, XSAVE).
 *   7.0        EBX BMI1 RDSEED; EDX IA32_ARCH_CAPABILITIES (cpu/msr.c says which "not affected"
 *              bits it reports and why); max subleaf 0.
 *   0Ah        architectural performance monitoring v2: 2 general-purpose and 3 fixed counters,
 *              48 bits wide, all 7 architectural events (see cpu/msr.c: they never count).
 *   0Dh.0      EDX:EAX = XCR0 bits supported: 3 (x87, SSE); EBX = XSAVE area size for the
 *              components enabled in the current XCR0, ECX = the size for all supported ones:
 *              both 576 (512-byte legacy region + 64-byte header, no extended components).
 *   0Dh.1      EAX bit 0 XSAVEOPT; no XSAVEC, XGETBV with ECX = 1, XSAVES (EAX bits 1-3 = 0).
 *   0Dh.n>=2   zero (no extended state components).
 *   80000000h  max extended leaf 80000008h.
 *   80000001h  ECX LAHF/SAHF-in-64-bit ABM(LZCNT) PREFETCHW; EDX NX 1GB-pages RDTSCP LM, and
 *              SYSCALL only when executed in 64-bit mode (SDM CPUID: Intel processors support
 *              SYSCALL/SYSRET only in 64-bit mode and enumerate the flag as 0 outside it).
 *   80000002h-80000004h  processor brand string.
 *   80000007h  EDX bit 8 invariant TSC (the TSC is the virtual clock: constant rate, never stops).
 *   80000008h  MAXPHYADDR 40, linear 48 bits.
 *   other leaves up to the maximum: zero.  A leaf above the basic or extended maximum returns the
 *   highest basic leaf (SDM: "the data for the highest basic information leaf is returned").
 *
 * Not reported because not implemented: MONITOR/MWAIT, PCLMULQDQ, AES, AVX, FMA, F16C, XSAVEC/S.
 * With a local APIC on the bus (Cpu.apic): leaf 1 EDX APIC while IA32_APIC_BASE.EN = 1 (as
 * hardware clears it when the APIC is disabled), ECX TSC-DEADLINE; initial APIC ID EBX[31:24] 0.
 * No x2APIC.  VME/PVI are not offered (virtual-8086 mode works
 * without them).
 */
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/msr.h"

/* 48 bytes, NUL-padded: leaves 80000002h..80000004h, each EAX EBX ECX EDX in little-endian order. */
static const char cpuid_brand[48] = "softvisor virtual x86-64 CPU";

/* Leaf 0Dh.  EBX is the size for the components enabled in XCR0; x87 and SSE both live in the
 * legacy region, so every valid XCR0 (0x1 or 0x3, XSETBV refuses the rest) needs the legacy
 * region + header, the same as ECX (all supported components). */
static void cpuid_xstate(uint32_t subleaf, uint32_t out[4])
{
    if (subleaf == 0) {
        out[0] = CPUID_XCR0_SUPPORTED;
        out[1] = CPUID_XSAVE_SIZE;
        out[2] = CPUID_XSAVE_SIZE;
    } else if (subleaf == 1) {
        out[0] = CPUID_D1_EAX_XSAVEOPT;
    }
}

static void cpuid_basic(const Cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    switch (leaf) {
    case 0:
        out[0] = CPUID_MAX_BASIC;
        out[1] = 0x756e6547u;   /* "Genu" */
        out[3] = 0x49656e69u;   /* "ineI" */
        out[2] = 0x6c65746eu;   /* "ntel" */
        break;
    case 1:
        out[0] = CPUID_SIGNATURE;
        out[1] = (8u << 8) | (1u << 16);
        out[2] = CPUID_1_ECX_SSE3 | CPUID_1_ECX_SSSE3 | CPUID_1_ECX_CX16 | CPUID_1_ECX_SSE41 |
                 CPUID_1_ECX_SSE42 | CPUID_1_ECX_MOVBE | CPUID_1_ECX_POPCNT | CPUID_1_ECX_XSAVE |
                 CPUID_1_ECX_RDRAND;
        if (cpu->cr4 & CR4_OSXSAVE)
            out[2] |= CPUID_1_ECX_OSXSAVE;
        out[3] = CPUID_1_EDX_FPU | CPUID_1_EDX_DE | CPUID_1_EDX_PSE | CPUID_1_EDX_TSC |
                 CPUID_1_EDX_MSR | CPUID_1_EDX_PAE | CPUID_1_EDX_CX8 | CPUID_1_EDX_SEP |
                 CPUID_1_EDX_MTRR | CPUID_1_EDX_PGE | CPUID_1_EDX_CMOV | CPUID_1_EDX_PAT |
                 CPUID_1_EDX_PSE36 | CPUID_1_EDX_CLFSH | CPUID_1_EDX_MMX | CPUID_1_EDX_FXSR |
                 CPUID_1_EDX_SSE | CPUID_1_EDX_SSE2;
        if (cpu->apic) {
            /* a local APIC: TSC-deadline timer; EDX.APIC follows IA32_APIC_BASE.EN */
            out[2] |= CPUID_1_ECX_TSC_DEADLINE;
            if (cpu->apic_base & (1u << 11))
                out[3] |= CPUID_1_EDX_APIC;
        }
        break;
    case 7:
        if (subleaf == 0) {
            out[1] = CPUID_7_EBX_BMI1 | CPUID_7_EBX_RDSEED;
            out[3] = CPUID_7_EDX_ARCH_CAPABILITIES;
        }
        break;
    case 0xa:
        /* Architectural performance monitoring v2: 2 general-purpose counters of 48 bits, the
         * 7 architectural events (EBX bit set = event absent), 3 fixed counters of 48 bits. */
        out[0] = 2u | (MSR_PMC_COUNT << 8) | (MSR_PMC_BITS << 16) | (7u << 24);
        out[3] = MSR_FIXED_CTR_COUNT | (MSR_PMC_BITS << 5);
        break;
    case 0xd:
        cpuid_xstate(subleaf, out);
        break;
    default:
        break;
    }
}

static void cpuid_ext(const Cpu *cpu, uint32_t leaf, uint32_t out[4])
{
    switch (leaf) {
    case 0x80000000u:
        out[0] = CPUID_MAX_EXT;
        break;
    case 0x80000001u:
        out[2] = CPUID_81_ECX_LAHF | CPUID_81_ECX_ABM | CPUID_81_ECX_PREFETCHW;
        out[3] = CPUID_81_EDX_NX | CPUID_81_EDX_PAGE1GB | CPUID_81_EDX_RDTSCP | CPUID_81_EDX_LM;
        if (cpu->code_bits == 64)
            out[3] |= CPUID_81_EDX_SYSCALL;
        break;
    case 0x80000002u:
    case 0x80000003u:
    case 0x80000004u:
        memcpy(out, cpuid_brand + (leaf - 0x80000002u) * 16, 16);
        break;
    case 0x80000007u:
        out[3] = CPUID_87_EDX_INVARIANT_TSC;   /* the TSC follows the virtual clock, never stops */
        break;
    case 0x80000008u:
        out[0] = 40u | (48u << 8);
        break;
    default:
        break;
    }
}

void cpuid_query(const Cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    out[0] = out[1] = out[2] = out[3] = 0;
    if (leaf >= 0x80000000u && leaf <= CPUID_MAX_EXT)
        cpuid_ext(cpu, leaf, out);
    else if (leaf <= CPUID_MAX_BASIC)
        cpuid_basic(cpu, leaf, subleaf, out);
    else
        cpuid_basic(cpu, CPUID_MAX_BASIC, subleaf, out);
}

static int op_cpuid(Cpu *cpu, const Insn *in)
{
    (void)in;
    uint32_t out[4];
    cpuid_query(cpu, (uint32_t)cpu->gpr[R_AX], (uint32_t)cpu->gpr[R_CX], out);
    reg_write(cpu, R_AX, 4, out[0]);
    reg_write(cpu, R_BX, 4, out[1]);
    reg_write(cpu, R_CX, 4, out[2]);
    reg_write(cpu, R_DX, 4, out[3]);
    return INSN_NEXT;
}

InsnFn cpuid_select(DecodeCtx *d, Insn *in)
{
    (void)in;
    return d->zi->mnemonic == ZYDIS_MNEMONIC_CPUID ? op_cpuid : NULL;
}
