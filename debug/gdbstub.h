/*
 * gdbstub.h — the debugger session: GDB remote serial protocol stub, host breakpoints and
 * watchpoints, and the run state (stopped or running) that gdb, the monitor and the frontend
 * share.  The frontend polls gdbstub_pollfds alongside its own input, calls gdbstub_service when
 * one is ready, runs the VM only while !gdbstub_stopped and hands every VM exit to
 * gdbstub_vm_exit.  No threads.
 */
#ifndef SOFTVISOR_GDBSTUB_H
#define SOFTVISOR_GDBSTUB_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debug/monitor.h"
#include "vm/vm.h"

/*
 * What the machine side offers beyond plain forward execution.  The replay side (vm/reverse.h,
 * wired by frontends/main.c) fills these in with -replay; NULL means "not supported":
 * qSupported then omits ReverseStep+ / ReverseContinue+ and `bs` / `bc` answer E22, as QEMU does
 * outside replay mode.
 *   step: one instruction forward (gdb's s), from the replay log; returns VM_EXIT_INSN_LIMIT
 *     when done, VM_EXIT_DEBUG when a breakpoint stopped it first, VM_EXIT_REPLAY_END when the
 *     log ended first (stop reply replaylog:end).  NULL: vm_run one instruction.
 *   reverse_step: go back one instruction (an interrupt or exception entry counts as one).
 *   reverse_continue: go back to the latest breakpoint or watchpoint hit before now (the run
 *     that looks for it goes through the Cpu's host-debug hooks, so the hit is reported as a
 *     forward stop is; gdbstub_hit_is_watch tells a watchpoint's hit from a breakpoint's).
 * Both set *at_begin = true when the start of the recording was reached instead (stop reply
 * replaylog:begin) and return false when they failed (E14).
 */
typedef struct DebugTargetOps {
    VmExit (*step)(void *opaque, Vm *vm);
    bool (*reverse_step)(void *opaque, Vm *vm, bool *at_begin);
    bool (*reverse_continue)(void *opaque, Vm *vm, bool *at_begin);
} DebugTargetOps;

typedef struct GdbStub GdbStub;

/* What the frontend must do after gdbstub_service or gdbstub_vm_exit. */
typedef enum GdbEvent {
    GDB_EV_NONE,
    GDB_EV_QUIT,              /* `k` or a monitor `quit`: end softvisor */
} GdbEvent;

/* A stub for `vm`, stopped when `start_stopped` (-S).  ops / hooks may be NULL. */
GdbStub *gdbstub_new(Vm *vm, bool start_stopped, const DebugTargetOps *ops, void *ops_opaque,
                     const MonitorHooks *hooks);
void gdbstub_free(GdbStub *g);
/* Listens on `spec`: tcp::PORT (loopback), tcp:HOST:PORT, or unix:PATH.  0, or -1 with a reason. */
int gdbstub_listen(GdbStub *g, const char *spec, char *err, size_t errlen);

/* The descriptors to poll (at most 2); gdbstub_service reads whichever are ready. */
int gdbstub_pollfds(GdbStub *g, struct pollfd *fds, int max);
GdbEvent gdbstub_service(GdbStub *g, const struct pollfd *fds, int n);
/* The guest must not run. */
bool gdbstub_stopped(const GdbStub *g);
/* vm_run returned `why`.  Returns true when the stub took the exit over (a debug stop: the VM
 * stays stopped and the run goes on); false for the VM's own end, which gdb is told about (W).
 * VM_EXIT_REPLAY_END (the replay's log is used up) is a stop with reason replaylog:end while gdb
 * is connected (it may go back from there), else the end (false). */
bool gdbstub_vm_exit(GdbStub *g, VmExit why);
/* A monitor command typed on the terminal (stop / cont act on the session). */
GdbEvent gdbstub_monitor(GdbStub *g, const char *line, MonOut *out);

/* For tests and the fuzz target: bytes from a debugger, with the replies going to `write`
 * instead of a socket. */
typedef void (*GdbWriteFn)(void *opaque, const void *buf, size_t len);
void gdbstub_set_writer(GdbStub *g, GdbWriteFn fn, void *opaque);
GdbEvent gdbstub_feed(GdbStub *g, const uint8_t *buf, size_t len);

/* For reverse_continue: a breakpoint stands at linear `lin`. */
bool gdbstub_bp_at(const GdbStub *g, uint64_t lin);
/* For reverse_continue: the host debugger stop just made was a watchpoint's (after the access),
 * not an execute breakpoint's (before the instruction). */
bool gdbstub_hit_is_watch(const GdbStub *g);

#endif
