/*
 * reverse.h — the seek engine of a replay (issue 11): go to any instruction count of a
 * recording, forward or back, and find the last breakpoint or watchpoint hit before now.  The
 * gdb stub's reverse-stepi / reverse-continue and the monitor's replay_seek / replay_break sit
 * on it (frontends/main.c wires them; docs/debugging.md, "Reverse execution", is the guide).
 *
 * A Reverse drives a Vm from a replay log (vm/replay.h) and takes in-memory checkpoints
 * (vm/checkpoint.h) as the replay goes forward: one at the start, then one at the first call
 * boundary of the recorded run at or after every `interval` instructions past the newest, each
 * with the log reader's place (ReplayPos).  Going back to count N restores the newest checkpoint
 * at or before N and replays forward to exactly N, so one step back costs at most one interval of
 * forward execution plus the pages that changed.  When the checkpoints take more than `budget`
 * bytes, old ones are thinned out: the one whose removal leaves the smallest gap relative to its
 * distance from the newest goes first, which leaves them spaced roughly exponentially backwards
 * from the newest (a far-back seek costs more forward execution than a near one).
 *
 * Positions are instruction counts, as replay.h defines the machine "at N": right after the N-th
 * instruction retired (or exception was delivered), before anything else at N.  A seek gives
 * exactly that machine, the one a straight replay stopped at N has (same state hash), with or
 * without the JIT.  Seeks and the search runs of reverse_continue ignore nothing the guest can
 * see; host breakpoints are disarmed while seeking (they would make the run go one instruction at
 * a time).
 * XXX: a stop inside a recorded vm_run call (a breakpoint, a step, a seek target) lets the run
 * loop look for interrupts there, which the recorded run did only at its block ends.  STI, POPF,
 * IRET and port I/O end a block, but an MMIO write that leaves an interrupt pending (an EOI to
 * the local APIC with another one waiting) does not: after such a stop the guest may take it a
 * few instructions earlier than the recording did.  The replay's state hashes catch it ("replay
 * diverged").  Checkpoints are taken between calls only and a seek runs straight from one to its
 * target, so seeks are exact; only running on forward from a stop can meet this.
 */
#ifndef SOFTVISOR_REVERSE_H
#define SOFTVISOR_REVERSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vm/replay.h"

#define REVERSE_INTERVAL (1ull << 24)         /* default checkpoint spacing, instructions */
#define REVERSE_BUDGET ((size_t)512 << 20)    /* default memory for checkpoints, bytes */

typedef struct Reverse Reverse;

typedef struct ReverseConfig {
    uint64_t interval;        /* instructions between checkpoints (0: REVERSE_INTERVAL) */
    size_t budget;            /* bytes of checkpoints before old ones are thinned (0: REVERSE_BUDGET) */
    FILE *msg;                /* the replay's one-line outcomes (replay.h), or NULL */
} ReverseConfig;

/* An engine for `vm`, freshly built from the command line the log describes (nothing has run):
 * takes the first checkpoint.  NULL with a one-line reason (out of memory). */
Reverse *reverse_new(Replay *log, Vm *vm, const ReverseConfig *cfg, char *err, size_t errlen);
void reverse_free(Reverse *rv);

/* Replays forward until the count is `stop_at` (UINT64_MAX: none), the first call boundary at or
 * after `yield_at` (REPLAY_STOP_CALL; UINT64_MAX: none; a place to stop that changes nothing,
 * for a frontend that polls between pieces), the replay_break count (REPLAY_STOP_BREAK), a host
 * breakpoint or watchpoint stops the VM (REPLAY_STOP_DEBUG; calling again goes on, the Cpu's
 * host_skip as the debugger left it) or the log is used up (REPLAY_STOP_DONE, reverse_status).
 * Takes the checkpoints on the way. */
ReplayStop reverse_run(Reverse *rv, uint64_t stop_at, uint64_t yield_at);
/* Goes to count n, forward or back, host breakpoints disarmed meanwhile.  False when the
 * recording never reaches n (the machine is then where the replay ended, or unchanged when n lies
 * beyond reverse_total). */
bool reverse_seek(Reverse *rv, uint64_t n);
/* One instruction back (count - 1).  *at_begin: the count was 0 already (nothing changes). */
bool reverse_step_back(Reverse *rv, bool *at_begin);

/* reverse_continue_back's view of a host debugger stop: true when it came after the access
 * that caused it (a watchpoint), false for an execute breakpoint (before the instruction). */
typedef bool (*ReverseStopIsAfter)(void *opaque);
/* Goes back to the latest host breakpoint or watchpoint hit before now: a breakpoint's hit is
 * the machine stopped before the instruction at its address (as a forward run stops there, the
 * hit's own state, through the debugger's hooks); a watchpoint's is the machine just before the
 * accessing instruction (count - 1 of the forward stop), as a debugger going backwards meets it.
 * The debugger's hooks are left as the hit set them (what to report).  With no hit (or nothing
 * armed: then without searching), goes to count 0 and sets *at_begin.  False when out of memory or the log is damaged there. */
bool reverse_continue_back(Reverse *rv, ReverseStopIsAfter after, void *opaque, bool *at_begin);

/* replay_break: stop a forward run (reverse_run) when the count reaches n (UINT64_MAX: none). */
void reverse_set_break(Reverse *rv, uint64_t n);
uint64_t reverse_get_break(const Reverse *rv);

uint64_t reverse_icount(const Reverse *rv);
uint64_t reverse_total(const Reverse *rv);
/* After REPLAY_STOP_DONE: the replay's status (replay_run's). */
int reverse_status(const Reverse *rv);
/* The checkpoints: how many, and the host memory they hold (the first one's RAM copy included). */
int reverse_checkpoints(const Reverse *rv);
size_t reverse_bytes(const Reverse *rv);

#endif
