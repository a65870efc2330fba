/*
 * cpuid.h — what the CPUID instruction reports (cpu/cpuid.c).
 */
#ifndef SOFTVISOR_CPUID_H
#define SOFTVISOR_CPUID_H

#include "cpu/cpu.h"

/* Family 6, model 0x3A (a 64-bit Intel core), stepping 9: also the reset value of EDX. */
#define CPUID_SIGNATURE 0x000306a9u

#endif
