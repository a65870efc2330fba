/*
 * ioapic.h — the 82093AA I/O APIC (devices/ioapic.c): 24 interrupt pins routed by redirection
 * entries to the local APIC over the APIC bus.
 */
#ifndef SOFTVISOR_IOAPIC_H
#define SOFTVISOR_IOAPIC_H

#include <stdint.h>

#include "devices/apicbus.h"
#include "mem/phys.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000u
#define IOAPIC_PINS 24

typedef struct IoapicState IoapicState;

/* Maps the register window (IOREGSEL/IOWIN) at `base`; messages go out through `deliver`. */
IoapicState *ioapic_new(PhysMem *mem, uint64_t base, ApicDeliverFn deliver, void *opaque);
/* RESET# state: every entry masked, ID 0. */
void ioapic_reset(IoapicState *s);
/* Input pin `pin` is asserted (1) or not (0); out-of-range pins are ignored. */
void ioapic_set_irq(IoapicState *s, int pin, int level);
/* A local APIC's EOI for a level-triggered `vector`: clears remote IRR of the entries with it. */
void ioapic_eoi(IoapicState *s, uint8_t vector);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc ioapic_state_desc;

#endif
