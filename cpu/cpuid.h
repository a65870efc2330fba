/*
 * cpuid.h — what the CPUID instruction reports (cpu/cpuid.c).
 */
#ifndef SOFTVISOR_CPUID_H
#define SOFTVISOR_CPUID_H

#include "cpu/cpu.h"

/* Family 6, model 0x3A (a 64-bit Intel core), stepping 9: also the reset value of EDX. */
#define CPUID_SIGNATURE 0x000306a9u

/* Highest basic and extended leaves (CPUID.0:EAX, CPUID.80000000h:EAX). */
#define CPUID_MAX_BASIC 0x0000000du
#define CPUID_MAX_EXT   0x80000008u

/* Feature bits reported (SDM vol. 2, CPUID, tables 3-10, 3-11). */
#define CPUID_1_EDX_FPU    (1u << 0)
#define CPUID_1_EDX_DE     (1u << 2)
#define CPUID_1_EDX_PSE    (1u << 3)
#define CPUID_1_EDX_TSC    (1u << 4)
#define CPUID_1_EDX_MSR    (1u << 5)
#define CPUID_1_EDX_PAE    (1u << 6)
#define CPUID_1_EDX_CX8    (1u << 8)
#define CPUID_1_EDX_APIC   (1u << 9)
#define CPUID_1_EDX_SEP    (1u << 11)
#define CPUID_1_EDX_MTRR   (1u << 12)
#define CPUID_1_EDX_PGE    (1u << 13)
#define CPUID_1_EDX_CMOV   (1u << 15)
#define CPUID_1_EDX_PAT    (1u << 16)
#define CPUID_1_EDX_PSE36  (1u << 17)
#define CPUID_1_EDX_CLFSH  (1u << 19)
#define CPUID_1_EDX_MMX    (1u << 23)
#define CPUID_1_EDX_FXSR   (1u << 24)
#define CPUID_1_EDX_SSE    (1u << 25)
#define CPUID_1_EDX_SSE2   (1u << 26)
#define CPUID_1_ECX_SSE3   (1u << 0)
#define CPUID_1_ECX_SSSE3  (1u << 9)
#define CPUID_1_ECX_CX16   (1u << 13)
#define CPUID_1_ECX_SSE41  (1u << 19)
#define CPUID_1_ECX_SSE42  (1u << 20)
#define CPUID_1_ECX_MOVBE  (1u << 22)
#define CPUID_1_ECX_POPCNT (1u << 23)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_XSAVE  (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_RDRAND (1u << 30)
#define CPUID_7_EBX_BMI1   (1u << 3)
#define CPUID_7_EBX_RDSEED (1u << 18)
#define CPUID_7_EDX_ARCH_CAPABILITIES (1u << 29)
#define CPUID_D1_EAX_XSAVEOPT (1u << 0)
#define CPUID_81_ECX_LAHF  (1u << 0)
#define CPUID_81_ECX_ABM   (1u << 5)
#define CPUID_81_ECX_PREFETCHW (1u << 8)
#define CPUID_81_EDX_SYSCALL (1u << 11)
#define CPUID_81_EDX_NX    (1u << 20)
#define CPUID_81_EDX_PAGE1GB (1u << 26)
#define CPUID_81_EDX_RDTSCP (1u << 27)
#define CPUID_81_EDX_LM    (1u << 29)
#define CPUID_87_EDX_INVARIANT_TSC (1u << 8)

/* Leaf 0Dh: the XCR0 bits software may set (x87 | SSE) and the XSAVE area size for them
 * (512-byte legacy region + 64-byte header; no extended components). */
#define CPUID_XCR0_SUPPORTED 0x3u
#define CPUID_XSAVE_SIZE     576u

/* The four output registers of CPUID for EAX = leaf, ECX = subleaf: out[0..3] = EAX EBX ECX EDX. */
void cpuid_query(const Cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
