/*
 * apicbus.h — an interrupt message on the APIC bus (SDM vol. 3, 11.6.1 "Interrupt Command
 * Register"; 82093AA I/O APIC datasheet, 3.2.4 "I/O Redirection Table Registers").
 *
 * The I/O APIC's redirection entries and the local APIC's ICR describe an interrupt with the same
 * fields; the board carries one ApicMsg from the sender to the local APIC(s) it addresses.
 */
#ifndef SOFTVISOR_APICBUS_H
#define SOFTVISOR_APICBUS_H

#include <stdbool.h>
#include <stdint.h>

/* Delivery modes (ICR / redirection entry bits 10:8, LVT bits 10:8). */
enum {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_STARTUP = 6,
    APIC_DM_EXTINT = 7,
};

typedef struct ApicMsg {
    uint8_t vector;
    uint8_t delivery;         /* APIC_DM_* */
    bool logical;             /* destination mode: false physical (APIC ID), true logical (LDR) */
    uint8_t dest;             /* physical APIC ID (0xFF broadcast) or logical destination */
    bool level;               /* trigger mode: true level (the acceptor sets TMR and EOI is broadcast) */
} ApicMsg;

/* Delivers a message; returns true when a local APIC accepted it (the I/O APIC's remote IRR). */
typedef bool (*ApicDeliverFn)(void *opaque, const ApicMsg *m);

#endif
