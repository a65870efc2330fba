/*
 * i8254.h — the Intel 8254 programmable interval timer at ports 0x40-0x43 and the PC/AT
 * NMI status and control port 0x61 (speaker gate and data, refresh toggle, OUT2).
 *
 * Channel 0's OUT drives ISA IRQ 0 through `irq0`; channel 2's gate is port 0x61 bit 0 and its
 * OUT is read back in port 0x61 bit 5.  Every count derives from the virtual clock.
 */
#ifndef SOFTVISOR_I8254_H
#define SOFTVISOR_I8254_H

#include <stdbool.h>

#include "devices/irq.h"
#include "mem/io.h"
#include "vm/clock.h"

#define PIT_HZ 1193182u      /* 14.31818 MHz / 12 */

typedef struct PitState PitState;

/* Registers ports 0x40-0x43 and 0x61 and one clock event; NULL when out of memory or events. */
PitState *pit_new(IoBus *bus, Clock *clock, IrqLine irq0);
/* Power-on state: no channel programmed (OUT low, nothing counting), gates 0/1 high, port 0x61 0. */
void pit_reset(PitState *s);
/* The GATE input of `channel` (0-2); the board holds gates 0 and 1 high. */
void pit_set_gate(PitState *s, int channel, bool level);
/* The OUT pin of `channel` now. */
bool pit_out(PitState *s, int channel);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc pit_state_desc;

#endif
