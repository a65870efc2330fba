/*
 * debugport.h — QEMU-compatible debug ports: the debug console (port 0xE9, "debugcon") and
 * isa-debug-exit (port 0xF4): writing value v ends the VM with exit status (v << 1) | 1.
 */
#ifndef SOFTVISOR_DEBUGPORT_H
#define SOFTVISOR_DEBUGPORT_H

#include <stdio.h>

#include "mem/io.h"

typedef struct DebugconState {
    FILE *out;                /* NULL: output discarded */
} DebugconState;

/* Called when the guest asks to exit; `status` is the process exit status. */
typedef void (*DebugExitFn)(void *opaque, int status);

typedef struct DebugExitState {
    DebugExitFn fn;
    void *opaque;
} DebugExitState;

DebugconState *debugcon_new(IoBus *bus, uint16_t port, FILE *out);
DebugExitState *debugexit_new(IoBus *bus, uint16_t port, DebugExitFn fn, void *opaque);

/* State tables (vm/state.h) */
struct StateDesc;
extern const struct StateDesc debugcon_state_desc;
extern const struct StateDesc debugexit_state_desc;

#endif
