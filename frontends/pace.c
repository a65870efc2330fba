/*
 * pace.c — the run loop's slices and the wall-clock bound on virtual time (see pace.h).
 *
 * The host clock is read here and nowhere in the VM: it decides only where vm_run_until stops
 * and how long the host sleeps, both at points the guest cannot observe.
 */
#include <assert.h>
#include <time.h>

#include "frontends/pace.h"

void pace_init(Pace *p, bool on, PaceClockFn host_now, void *opaque)
{
    *p = (Pace){ .on = on, .host_now = host_now ? host_now : pace_host_clock, .opaque = opaque };
}

uint64_t pace_host_clock(void *opaque)
{
    (void)opaque;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t pace_wall(Pace *p, const Vm *vm)
{
    if (!p->on)
        return CLOCK_NEVER;
    uint64_t host = p->host_now(p->opaque);
    if (!p->anchored) {
        p->anchored = true;
        p->host0 = host;
        p->virt0 = clock_now(&vm->clock);
    }
    return p->virt0 + (host > p->host0 ? host - p->host0 : 0);
}

VmExit pace_run(Pace *p, Vm *vm, uint64_t end, uint64_t *sleep_ns)
{
    uint64_t icount = vm->cpu->icount;
    assert(end > icount);
    uint64_t stop = (icount / PACE_SLICE + 1) * PACE_SLICE;
    if (stop > end)
        stop = end;
    VmExit why = vm_run_until(vm, stop - icount, pace_wall(p, vm));
    *sleep_ns = 0;
    if (why == VM_EXIT_IDLE) {
        *sleep_ns = PACE_FOREVER;
    } else if (p->on && (why == VM_EXIT_WAIT || why == VM_EXIT_INSN_LIMIT)) {
        /* until the next deadline is due, or until the wall has caught up with a clock that ran
         * ahead (a host faster than one instruction a nanosecond) */
        uint64_t due = why == VM_EXIT_WAIT ? clock_next_deadline(&vm->clock) : clock_now(&vm->clock);
        uint64_t wall = pace_wall(p, vm);
        *sleep_ns = due > wall ? due - wall : 0;
    }
    return why;
}

void pace_catch_up(Pace *p, Vm *vm)
{
    if (p->on)
        vm_wait_until(vm, pace_wall(p, vm));
}
