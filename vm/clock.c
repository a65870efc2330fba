/*
 * clock.c — virtual time and device deadlines (see clock.h).
 */
#include <string.h>
#include <stdio.h>

#include "vm/clock.h"
#include "vm/state.h"

void clock_init(Clock *c, const uint64_t *icount)
{
    memset(c, 0, sizeof(*c));
    c->icount = icount;
}

uint64_t clock_now(const Clock *c)
{
    return (*c->icount + c->idle) * CLOCK_NS_PER_INSN;
}

int clock_add_event(Clock *c, EventFn fn, void *opaque)
{
    if (c->n >= CLOCK_MAX_EVENTS)
        return -1;
    c->ev[c->n] = (Event){ CLOCK_NEVER, fn, opaque };
    return c->n++;
}

void clock_set_deadline(Clock *c, int id, uint64_t deadline_ns)
{
    if (id >= 0 && id < c->n)
        c->ev[id].deadline = deadline_ns;
}

uint64_t clock_next_deadline(const Clock *c)
{
    uint64_t d = CLOCK_NEVER;
    for (int i = 0; i < c->n; i++)
        if (c->ev[i].deadline < d)
            d = c->ev[i].deadline;
    return d;
}

uint64_t clock_icount_limit(const Clock *c)
{
    uint64_t d = clock_next_deadline(c);
    if (d == CLOCK_NEVER)
        return UINT64_MAX;
    uint64_t t = d / CLOCK_NS_PER_INSN;
    return t > c->idle ? t - c->idle : 0;
}

void clock_run_due(Clock *c)
{
    uint64_t now = clock_now(c);
    for (int i = 0; i < c->n; i++) {
        if (c->ev[i].deadline <= now) {
            c->ev[i].deadline = CLOCK_NEVER;
            c->ev[i].fn(c->ev[i].opaque, now);
        }
    }
}

bool clock_skip_to_next(Clock *c)
{
    uint64_t d = clock_next_deadline(c);
    if (d == CLOCK_NEVER)
        return false;
    uint64_t now = clock_now(c);
    if (d > now)
        c->idle += (d - now + CLOCK_NS_PER_INSN - 1) / CLOCK_NS_PER_INSN;
    return true;
}

void clock_skip_until(Clock *c, uint64_t t)
{
    uint64_t now = clock_now(c);
    if (t > now)
        c->idle += (t - now) / CLOCK_NS_PER_INSN;
}

/* ---- the state description (vm/state.h): the idle time; the armed events are saved by
 * vm/state.c as (owner, kind, deadline), never as callbacks ---- */

static const StateField clock_fields[] = {
    STATE_U(Clock, idle),
};
static const StateField clock_host_fields[] = {
    STATE_HOST(Clock, icount), STATE_HOST(Clock, ev), STATE_HOST(Clock, n),
};
const StateDesc clock_state_desc = {
    "clock", 1, sizeof(Clock), clock_fields, STATE_COUNT(clock_fields), clock_host_fields,
    STATE_COUNT(clock_host_fields), NULL,
};
