/*
 * hpet.h — the High Precision Event Timer (IA-PC HPET specification 1.0a): a 64-bit main counter
 * at 100 MHz from the virtual clock and three comparators, 1 KiB of MMIO at 0xFED00000.
 */
#ifndef SOFTVISOR_HPET_H
#define SOFTVISOR_HPET_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "mem/phys.h"
#include "vm/clock.h"

#define HPET_BASE 0xfed00000ull
#define HPET_SIZE 0x400
#define HPET_TIMERS 3
#define HPET_ROUTE_PINS 32
#define HPET_PERIOD_FS 10000000u      /* 10 ns: a 100 MHz counter */
#define HPET_NS_PER_TICK 10
#define HPET_ROUTE_CAP 0x00000004u    /* I/O APIC pin 2 only, as QEMU's i440FX "pc" machine */

typedef struct HpetState HpetState;

typedef struct HpetTimer {
    HpetState *hpet;          /* for the clock event */
    int index;
    int ev;
    uint64_t config;          /* Tn_CONF_CAP (capability bits included) */
    uint64_t cmp;             /* Tn_COMPARATOR */
    uint64_t period;          /* periodic mode: the accumulator added on each match */
    uint64_t deadline;        /* virtual ns of the next match (CLOCK_NEVER: none) */
} HpetTimer;

struct HpetState {
    Clock *clock;
    uint64_t config;          /* GEN_CONF: ENABLE_CNF, LEG_RT_CNF */
    uint64_t isr;             /* GINTR_STA */
    uint64_t counter;         /* MAIN_CNT at base_ns (the value itself while halted) */
    uint64_t base_ns;
    HpetTimer t[HPET_TIMERS];
    IrqLine legacy[2];        /* LEG_RT_CNF: timer 0 -> ISA IRQ 0, timer 1 -> ISA IRQ 8 */
    IrqLine pin[HPET_ROUTE_PINS];  /* Tn_INT_ROUTE_CNF -> I/O APIC input */
    uint64_t out;             /* current output levels: bits 0-31 pins, 32/33 legacy 0/1 */
};

/* Maps the registers at `base`; the board connects legacy IRQ 0/8 lines here and routed pins
 * with hpet_connect_pin.  NULL when out of memory, events or MMIO slots. */
HpetState *hpet_new(PhysMem *mem, uint64_t base, Clock *clock, IrqLine irq0, IrqLine irq8);
void hpet_connect_pin(HpetState *s, int pin, IrqLine line);
void hpet_reset(HpetState *s);
/* LEG_RT_CNF is set: the 8254's IRQ 0 and the RTC's IRQ 8 are replaced by timers 0 and 1. */
bool hpet_legacy_replacement(const HpetState *s);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc hpet_state_desc;

#endif
