/*
 * lapic.h — the local APIC of the one CPU (devices/lapic.c): xAPIC registers in a 4 KiB MMIO
 * page at IA32_APIC_BASE, the APIC timer, the LVT, and the interrupt acceptance the board asks
 * for before the 8259 (SDM vol. 3, chapter 11).
 */
#ifndef SOFTVISOR_LAPIC_H
#define SOFTVISOR_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/apicbus.h"
#include "mem/phys.h"
#include "vm/clock.h"

#define LAPIC_DEFAULT_BASE 0xfee00000u
#define LAPIC_BASE_BSP (1u << 8)      /* IA32_APIC_BASE bit 8: bootstrap processor */
#define LAPIC_BASE_EN  (1u << 11)     /* IA32_APIC_BASE bit 11: APIC global enable */

typedef struct LapicState LapicState;

/* What the local APIC drives outside itself; the board fills these in. */
typedef struct LapicHooks {
    void (*nmi)(void *opaque);                 /* NMI to the CPU (LVT/ICR NMI delivery) */
    void (*eoi)(void *opaque, uint8_t vector); /* EOI of a level-triggered vector: to the I/O APICs */
    uint64_t (*tsc)(void *opaque);             /* the CPU's time-stamp counter now */
    void *opaque;
} LapicHooks;

/* Maps the register page at LAPIC_DEFAULT_BASE in `mem`; the timer runs on `clock`.  The TSC
 * advances `tsc_per_insn` ticks per CLOCK_NS_PER_INSN ns (for the TSC-deadline mode). */
LapicState *lapic_new(PhysMem *mem, Clock *clock, const LapicHooks *hooks, uint64_t tsc_per_insn);
/* Power-on / RESET# state (SDM 11.4.7.1); IA32_APIC_BASE = 0xFEE00900 (enabled, BSP). */
void lapic_reset(LapicState *s);

/* The CPU side: IA32_APIC_BASE was written (the CPU has checked reserved bits), CR8, and
 * IA32_TSC_DEADLINE. */
void lapic_set_base(LapicState *s, uint64_t apic_base);
uint64_t lapic_get_base(const LapicState *s);
uint8_t lapic_get_cr8(const LapicState *s);
void lapic_set_cr8(LapicState *s, uint8_t cr8);
uint64_t lapic_get_tsc_deadline(const LapicState *s);
void lapic_set_tsc_deadline(LapicState *s, uint64_t tsc);

/* An APIC-bus message (from the I/O APIC); true when this APIC is addressed and accepted it. */
bool lapic_deliver(LapicState *s, const ApicMsg *m);
/* LINT0/LINT1 input pins: level changes delivered per LVT LINT0/LINT1 (NMI, fixed). */
void lapic_set_lint(LapicState *s, int pin, int level);

/* The CPU's interrupt-acknowledge cycle: a fixed interrupt above the processor priority is
 * pending; acknowledging moves it from IRR to ISR and returns its vector (the spurious vector
 * when nothing is deliverable any more). */
bool lapic_intr_pending(const LapicState *s);
uint8_t lapic_intr_ack(LapicState *s);
/* The 8259's INTR reaches the CPU: LVT LINT0 is unmasked ExtINT (virtual-wire mode), or the
 * local APIC is hardware- or software-disabled. */
bool lapic_accepts_pic(const LapicState *s);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc lapic_state_desc;

#endif
