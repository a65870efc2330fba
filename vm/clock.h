/*
 * clock.h — the virtual clock and the event queue (DESIGN.md, time and determinism).
 *
 * Virtual time is a pure function of the retired-instruction count plus the time skipped while
 * the CPU halts: now_ns = (icount + idle) * CLOCK_NS_PER_INSN.  Devices schedule callbacks at
 * virtual deadlines; the run loop runs the CPU exactly up to the nearest one.  No host time.
 */
#ifndef SOFTVISOR_CLOCK_H
#define SOFTVISOR_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_NS_PER_INSN 1   /* a 1 GHz virtual instruction clock */
#define CLOCK_MAX_EVENTS 32
#define CLOCK_NEVER UINT64_MAX

typedef void (*EventFn)(void *opaque, uint64_t now_ns);

typedef struct Event {
    uint64_t deadline;        /* ns; CLOCK_NEVER when idle */
    EventFn fn;
    void *opaque;
} Event;

typedef struct Clock {
    const uint64_t *icount;   /* the CPU's retired-instruction counter */
    uint64_t idle;            /* instructions' worth of time skipped while halted */
    Event ev[CLOCK_MAX_EVENTS];
    int n;
} Clock;

void clock_init(Clock *c, const uint64_t *icount);
uint64_t clock_now(const Clock *c);
/* Registers an event source; returns its id or -1. */
int clock_add_event(Clock *c, EventFn fn, void *opaque);
void clock_set_deadline(Clock *c, int id, uint64_t deadline_ns);
uint64_t clock_next_deadline(const Clock *c);
/* Instruction count at which the CPU must stop to meet the next deadline. */
uint64_t clock_icount_limit(const Clock *c);
/* Runs every event whose deadline has passed. */
void clock_run_due(Clock *c);
/* While halted: jump time to the next deadline.  Returns false when nothing is scheduled. */
bool clock_skip_to_next(Clock *c);
/* While halted: let time pass up to `t` ns (never backwards), rounded down to whole instructions'
 * worth, so that skipping to `t` and then to the next deadline lands exactly where one
 * clock_skip_to_next would have. */
void clock_skip_until(Clock *c, uint64_t t);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc clock_state_desc;

#endif
