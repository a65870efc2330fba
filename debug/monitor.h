/*
 * monitor.h — the machine monitor: QEMU's HMP command names over a Vm, reached from
 * `-monitor stdio`, Ctrl-A c on the terminal and gdb's `monitor` (qRcmd).  The commands and
 * their output are described in monitor.c and docs/debugging.md.
 */
#ifndef SOFTVISOR_MONITOR_H
#define SOFTVISOR_MONITOR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "vm/vm.h"

/* Growing text buffer the monitor writes into; the caller frees `p`.  Out of memory: `failed`
 * is set and later text is dropped. */
typedef struct MonOut {
    char *p;
    size_t len, cap;
    bool failed;
} MonOut;

void monout_printf(MonOut *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void monout_free(MonOut *o);

/* What the caller must do after a command: the monitor itself never runs or stops the VM. */
typedef enum MonAction {
    MON_NONE,
    MON_STOP,                 /* stop the guest */
    MON_CONT,                 /* let it run */
    MON_QUIT,                 /* end softvisor */
} MonAction;

/* The snapshot and replay side (vm/state*, vm/replay*) plugs in here; a NULL replay hook makes
 * its command answer "not available without -replay", a NULL savevm / loadvm hook makes the
 * monitor use the snapshot file functions of vm/state.h itself.  Each returns 0, or -1 with a one-line
 * reason in err. */
typedef struct MonitorHooks {
    int (*info_replay)(void *opaque, MonOut *out);
    int (*replay_break)(void *opaque, uint64_t icount, char *err, size_t errlen);
    int (*replay_seek)(void *opaque, uint64_t icount, char *err, size_t errlen);
    int (*savevm)(void *opaque, const char *file, char *err, size_t errlen);
    int (*loadvm)(void *opaque, const char *file, char *err, size_t errlen);
    void *opaque;
} MonitorHooks;

/* Runs one command line (trailing newline allowed) and appends its output to `out`.  `hooks` may
 * be NULL. */
MonAction monitor_exec(Vm *vm, const MonitorHooks *hooks, const char *line, MonOut *out);

/* A monitor address argument: a number (C syntax), or $pc[+N|-N] with $pc the linear address of
 * the next instruction.  False when it is neither. */
bool monitor_parse_addr(Vm *vm, const char *arg, uint64_t *addr);

/* Reads guest memory for a debugger: `linear` true = through the current paging context
 * (side-effect free, no faults), false = guest-physical.  RAM and ROM only.  Returns the number
 * of bytes read before the first one that cannot be read. */
size_t monitor_read_mem(Vm *vm, uint64_t addr, bool linear, uint8_t *buf, size_t len);

#endif
