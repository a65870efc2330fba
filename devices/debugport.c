/*
 * debugport.c — debug console and debug-exit ports (see debugport.h).  Reads of the debug console
 * return 0xE9, as in QEMU and Bochs, so guests can probe for it.
 */
#include <stdlib.h>
#include <stdio.h>

#include "devices/debugport.h"
#include "vm/state.h"

static uint32_t debugcon_read(void *opaque, uint16_t port, int size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return 0xe9;
}

static void debugcon_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    DebugconState *s = opaque;
    (void)port;
    (void)size;
    if (s->out) {
        fputc((int)(val & 0xff), s->out);
        if ((val & 0xff) == '\n')
            fflush(s->out);
    }
}

static const IoOps debugcon_ops = { debugcon_read, debugcon_write, 1 };

DebugconState *debugcon_new(IoBus *bus, uint16_t port, FILE *out)
{
    DebugconState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->out = out;
    io_register(bus, port, 1, &debugcon_ops, s);
    return s;
}

static uint32_t debugexit_read(void *opaque, uint16_t port, int size)
{
    (void)opaque;
    (void)port;
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void debugexit_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    DebugExitState *s = opaque;
    (void)port;
    (void)size;
    s->fn(s->opaque, (int)(((val << 1) | 1) & 0xff));
}

static const IoOps debugexit_ops = { debugexit_read, debugexit_write, 4 };

DebugExitState *debugexit_new(IoBus *bus, uint16_t port, DebugExitFn fn, void *opaque)
{
    DebugExitState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->fn = fn;
    s->opaque = opaque;
    io_register(bus, port, 4, &debugexit_ops, s);
    return s;
}

/* ---- the state description (vm/state.h): neither port keeps guest-visible state ---- */

static const StateField debugcon_host_fields[] = {
    STATE_HOST(DebugconState, out),
};
const StateDesc debugcon_state_desc = {
    "debugcon", 1, sizeof(DebugconState), NULL, 0, debugcon_host_fields, STATE_COUNT(debugcon_host_fields), NULL,
};

static const StateField debugexit_host_fields[] = {
    STATE_HOST(DebugExitState, fn), STATE_HOST(DebugExitState, opaque),
};
const StateDesc debugexit_state_desc = {
    "debugexit", 1, sizeof(DebugExitState), NULL, 0, debugexit_host_fields, STATE_COUNT(debugexit_host_fields),
    NULL,
};
