/*
 * msr.h — model-specific registers (cpu/msr.c) and the virtual time-stamp counter.
 */
#ifndef SOFTVISOR_MSR_H
#define SOFTVISOR_MSR_H

#include "cpu/cpu.h"

#define MSR_IA32_TSC            0x00000010u
#define MSR_IA32_PLATFORM_ID    0x00000017u
#define MSR_IA32_APIC_BASE      0x0000001bu
#define MSR_IA32_FEATURE_CONTROL 0x0000003au
#define MSR_IA32_BIOS_SIGN_ID   0x0000008bu
#define MSR_IA32_MTRRCAP        0x000000feu
#define MSR_IA32_ARCH_CAPABILITIES 0x0000010au
#define MSR_IA32_SYSENTER_CS    0x00000174u
#define MSR_IA32_SYSENTER_ESP   0x00000175u
#define MSR_IA32_SYSENTER_EIP   0x00000176u
#define MSR_IA32_MCG_CAP        0x00000179u
#define MSR_IA32_MCG_STATUS     0x0000017au
#define MSR_IA32_PMC0           0x000000c1u
#define MSR_IA32_PERFEVTSEL0    0x00000186u
#define MSR_IA32_FIXED_CTR0     0x00000309u
#define MSR_IA32_FIXED_CTR_CTRL 0x0000038du
#define MSR_IA32_PERF_GLOBAL_STATUS 0x0000038eu
#define MSR_IA32_PERF_GLOBAL_CTRL 0x0000038fu
#define MSR_IA32_PERF_GLOBAL_OVF_CTRL 0x00000390u
#define MSR_OFFCORE_RSP_0       0x000001a6u
#define MSR_LBR_SELECT          0x000001c8u
#define MSR_LBR_TOS             0x000001c9u
#define MSR_IA32_DEBUGCTL       0x000001d9u
#define MSR_LBR_FROM0           0x00000680u
#define MSR_LBR_TO0             0x000006c0u
#define MSR_IA32_MISC_ENABLE    0x000001a0u
#define MSR_IA32_MTRR_PHYSBASE0 0x00000200u
#define MSR_IA32_MTRR_FIX64K_00000 0x00000250u
#define MSR_IA32_MTRR_FIX16K_80000 0x00000258u
#define MSR_IA32_MTRR_FIX4K_C0000 0x00000268u
#define MSR_IA32_PAT            0x00000277u
#define MSR_IA32_TSC_DEADLINE   0x000006e0u
#define MSR_IA32_MTRR_DEF_TYPE  0x000002ffu
#define MSR_EFER                0xc0000080u
#define MSR_STAR                0xc0000081u
#define MSR_LSTAR               0xc0000082u
#define MSR_CSTAR               0xc0000083u
#define MSR_SFMASK              0xc0000084u
#define MSR_FS_BASE             0xc0000100u
#define MSR_GS_BASE             0xc0000101u
#define MSR_KERNEL_GS_BASE      0xc0000102u
#define MSR_TSC_AUX             0xc0000103u

/* Variable-range MTRR pairs reported in IA32_MTRRCAP.VCNT (cpu->mtrr_var holds base/mask pairs). */
#define MSR_MTRR_VAR_COUNT 8
/* IA32_ARCH_CAPABILITIES (SDM vol. 4, table 2-2), the "not affected" bits: RDCL_NO (0, no rogue
 * data cache load: Meltdown), SKIP_L1DFL_VMENTRY (3), SSB_NO (4), MDS_NO (5), PSCHANGE_MC_NO (6),
 * TAA_NO (8), SBDR_SSDP_NO (13), FBSDP_NO (14), PSDP_NO (15) (the MMIO stale-data family),
 * PBRSB_NO (24), GDS_NO (26), RFDS_NO (27). */
#define MSR_ARCH_CAP_VALUE                                                                         \
    ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 13) |        \
     (1u << 14) | (1u << 15) | (1u << 24) | (1u << 26) | (1u << 27))
#define MSR_PMC_COUNT 2         /* general-purpose counters (CPUID.0AH:EAX[15:8]) */
#define MSR_FIXED_CTR_COUNT 3   /* fixed-function counters (CPUID.0AH:EDX[4:0]) */
#define MSR_LBR_COUNT 16        /* last-branch records (Ivy Bridge: 16) */
#define MSR_PMC_BITS 48         /* counter width (CPUID.0AH:EAX[23:16], EDX[12:5]) */

/* The time-stamp counter now: a function of the retired-instruction count (DESIGN.md, time). */
static inline uint64_t msr_tsc(const Cpu *cpu)
{
    return cpu->icount * cpu->config.tsc_per_insn + cpu->tsc_offset;
}

/* Reads MSR `index` into *val; false when the MSR does not exist (RDMSR raises #GP(0)). */
bool msr_read(Cpu *cpu, uint32_t index, uint64_t *val);
/* Writes MSR `index`; false when it does not exist, is read-only or `val` sets reserved bits or
 * is not allowed in the current state (WRMSR raises #GP(0)).  Nothing changes on failure. */
bool msr_write(Cpu *cpu, uint32_t index, uint64_t val);

#endif
