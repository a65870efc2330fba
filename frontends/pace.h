/*
 * pace.h — the interactive run loop's slices, and pacing the virtual clock against the host's
 * (-pace on; DESIGN.md, "Time and determinism").
 *
 * Virtual time is the instruction count plus the time a halted CPU skips, 1 ns an instruction
 * (vm/clock.h); it owes nothing to the host.  Unpaced, a halted guest's clock jumps straight to
 * its next deadline, so an idle shell's clock races ahead of the wall and a host core spins.
 * Paced, the host's monotonic clock bounds it through a mapping anchored at the first slice:
 *
 *     wall = virt0 + (host_now - host0)      (virtual ns)
 *
 * A halted CPU lets its clock run only up to the wall (vm_run_until, VM_EXIT_WAIT) and the host
 * sleeps until the next deadline is due.  Virtual time may lag the wall (the interpreter retires
 * fewer than one instruction a nanosecond), never lead it: a halted guest that lags skips to its
 * deadlines without sleeping until it has caught up, and should a slice ever run ahead the host
 * sleeps the difference.
 *
 * Pacing changes when things happen on the host, never what the guest computes:
 *   - a slice ends at a fixed instruction count (the next multiple of PACE_SLICE, or the run's
 *     end), never at one that depends on where earlier slices returned, so a running CPU stops
 *     at the same instructions paced or not (where a stop falls can change when an interrupt is
 *     taken: they are checked between blocks);
 *   - every other return (VM_EXIT_WAIT, VM_EXIT_IDLE, vm_run's halted-time budget) and every
 *     sleep happens while the CPU is halted, where stopping is invisible to the guest.
 * Input enters between slices at the position (instruction count, virtual time) the VM stands
 * at; the same input at the same positions gives the same run with pacing on or off
 * (tests/unit/test_pace.c).
 */
#ifndef SOFTVISOR_PACE_H
#define SOFTVISOR_PACE_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/vm.h"

#define PACE_SLICE (1ull << 22)     /* instructions between the frontend's looks at its input */
#define PACE_FOREVER UINT64_MAX     /* sleep until input arrives */

/* The host's monotonic clock in ns; `opaque` is the Pace's.  Tests pass a fake one. */
typedef uint64_t (*PaceClockFn)(void *opaque);

typedef struct Pace {
    bool on;
    PaceClockFn host_now;
    void *opaque;
    bool anchored;            /* host0 and virt0 are set (at the first slice) */
    uint64_t host0;           /* host ns ... */
    uint64_t virt0;           /* ... and the virtual ns it corresponds to */
} Pace;

/* host_now NULL: the host's CLOCK_MONOTONIC (pace_host_clock). */
void pace_init(Pace *p, bool on, PaceClockFn host_now, void *opaque);
uint64_t pace_host_clock(void *opaque);
/* The wall clock now in virtual ns: the furthest the guest's clock may be.  CLOCK_NEVER when off. */
uint64_t pace_wall(Pace *p, const Vm *vm);
/* Runs one slice: to the next multiple of PACE_SLICE instructions or `end` (> icount), whichever
 * comes first, the clock bounded by the wall.  *sleep_ns says how long the host may sleep before
 * the next slice unless input comes (0: go on; PACE_FOREVER: only input can wake the guest). */
VmExit pace_run(Pace *p, Vm *vm, uint64_t end, uint64_t *sleep_ns);
/* Input is about to enter a guest that waited (VM_EXIT_WAIT or VM_EXIT_IDLE) while the host
 * slept: its clock first catches up with the wall, so the input lands when it came. */
void pace_catch_up(Pace *p, Vm *vm);

#endif
