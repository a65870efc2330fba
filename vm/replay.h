/*
 * replay.h — the record/replay event log (issue 10 part B; format in docs/internals.md, "The
 * record/replay log"; user's guide in docs/replay.md).
 *
 * Recording: the frontend opens a log (replay_record_open) and hangs it on Vm.rr.  From then on
 * vm/input.c logs every input it lets in and vm_run logs the start of every slice (where it was
 * and how many instructions it was allowed), so the replayer can call vm_run exactly as the
 * frontend did, whatever the frontend's slicing, pacing or host timing was.  At the first slice
 * start at or after every multiple of 2^hash_log2 instructions it logs vm_state_hash; at the end
 * replay_record_finish logs the final position, hash and exit status.
 *
 * Replaying: replay_load reads and checks a whole log, replay_check_machine compares its header
 * with the machine the command line describes, and replay_run drives the VM from the log alone
 * (Vm.rr stays NULL: nothing is logged, nothing from the host gets in).  replay_advance does the
 * same piece by piece, from a rewindable place in the log, for the seek engine (vm/reverse.h).
 */
#ifndef SOFTVISOR_REPLAY_H
#define SOFTVISOR_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vm/vm.h"

#define REPLAY_FORMAT 1
#define REPLAY_HASH_LOG2 27           /* a state hash every 2^27 instructions */
#define REPLAY_MACHINE_MAX 4096       /* bytes of machine description in a header */
#define REPLAY_CORRUPT_ADDR 0x80000u  /* guest-physical byte -replay-corrupt flips (see replay.c) */

/* Exit statuses of a replay (README, --help). */
#define REPLAY_EXIT_DIVERGED 5        /* a state hash or an event position differed */
#define REPLAY_EXIT_LOG_ENDED 6       /* the log ends without its end record (run killed) */

typedef struct Replay Replay;

/* The lines of a header that describe the machine ("key value\n" each), built from the command
 * line: RAM, CPU, content hashes of the images, every option the guest can see.  `rtc_now`:
 * the RTC base came from the host clock (-rtc base=now).  Returns 0, or -1 with a reason. */
int replay_describe(const VmConfig *cfg, bool rtc_now, char *out, size_t outlen, char *err, size_t errlen);

/* ---- recording ---- */

/* Creates `path` and writes the header; hash_log2 in 1..63.  NULL with a reason on failure
 * (nothing is left behind). */
Replay *replay_record_open(const char *path, const char *machine, unsigned hash_log2, char *err, size_t errlen);
/* Hooks (vm/vm.c, vm/input.c), all at the current position of `vm`. */
void replay_record_slice(Replay *r, Vm *vm, uint64_t max_insns, uint64_t time_limit);
void replay_record_wait(Replay *r, const Vm *vm, uint64_t t);
void replay_record_power_button(Replay *r, const Vm *vm);
void replay_record_serial(Replay *r, const Vm *vm, int port, uint8_t byte);
void replay_record_key(Replay *r, const Vm *vm, uint8_t set2_byte);
void replay_record_mouse(Replay *r, const Vm *vm, int dx, int dy, int dz, uint8_t buttons);
/* Writes the end record (final position, full state hash, the run's exit status), closes and
 * frees the log.  Returns 0, or -1 with a reason when any write of the log failed. */
int replay_record_finish(Replay *r, Vm *vm, int status, char *err, size_t errlen);

/* ---- replaying ---- */

/* Reads, decompresses and checks a log held in memory / in a file.  NULL with a one-line reason
 * for anything that is not an intact log of this format (a log cut short by a killed run is
 * intact up to its last complete batch and loads). */
Replay *replay_load_mem(const uint8_t *data, size_t len, char *err, size_t errlen);
Replay *replay_load(const char *path, char *err, size_t errlen);
void replay_free(Replay *r);
/* The RTC base the recording used when the header says "rtc-base now N"; false otherwise. */
bool replay_rtc_now(const Replay *r, int64_t *base);
/* 0 when the machine lines equal the log's; else -1 with one line naming the first difference. */
int replay_check_machine(const Replay *r, const char *machine, char *err, size_t errlen);
/* The softvisor version that wrote the log. */
void replay_version(const Replay *r, char *out, size_t outlen);

typedef struct ReplayOptions {
    bool corrupt;             /* flip one RAM byte (REPLAY_CORRUPT_ADDR) ... */
    uint64_t corrupt_at;      /* ... when this many instructions have retired (-replay-corrupt) */
    FILE *msg;                /* where the one-line outcome goes (stderr) */
} ReplayOptions;

/* Runs the VM from the log.  Returns the recorded run's exit status after a clean replay,
 * REPLAY_EXIT_DIVERGED or REPLAY_EXIT_LOG_ENDED, each with one line on opt->msg. */
int replay_run(Replay *r, Vm *vm, const ReplayOptions *opt);

/* ---- replaying piece by piece (replay_run, and the seek engine of vm/reverse.h) ----
 *
 * A ReplayPos is where a replay stands in its log.  It is plain data: copying it saves the
 * reader's place and copying it back rewinds the reader (the whole log is decompressed in memory
 * by replay_load, so there is no decoder state to keep).  A position between two vm_run calls of
 * the recorded run ("a call boundary", in_call false) is where a checkpoint can be taken without
 * changing the run; replay_advance can also stop inside a call, at any instruction count, and
 * go on from there with the call's own limits (cpu/exec.c stops exactly at a count).
 *
 * The machine "at instruction count N" is the machine right after the N-th instruction retired
 * (or exception was delivered: a fault counts as one), before anything at N happens: before an
 * interrupt pending there is taken, before a halted CPU lets time pass, before input logged at N
 * enters.  A halted CPU therefore has one position per count, the first moment of it. */
typedef struct ReplayPos {
    size_t next;              /* offset of the next record in the decompressed events */
    uint64_t ic, idle;        /* position of the last record read */
    uint64_t calls_left;      /* vm_run calls of the current SLICE record not yet started */
    uint64_t budget, time_limit;   /* that record's budget and time limit (CLOCK_NEVER: none) */
    bool in_call;             /* a call stopped short of its end: it goes on to ... */
    uint64_t call_stop, call_idle_stop;   /* ... these limits (those vm_run_until computed) */
    VmExit last_exit;         /* how the last finished call ended */
    uint64_t good, hashes;    /* last count whose state hash matched; hashes matched so far */
    bool done;                /* the log is used up (END, a divergence or a cut-short log) */
    int status;               /* then: what replay_run returns */
} ReplayPos;

typedef enum ReplayStop {
    REPLAY_STOP_AT,           /* the instruction count reached `stop_at` */
    REPLAY_STOP_CALL,         /* a call boundary at or after `call_at` (to take a checkpoint) */
    REPLAY_STOP_DEBUG,        /* a host breakpoint or watchpoint (VM_EXIT_DEBUG, Cpu.host_stop) */
    REPLAY_STOP_DONE,         /* the log is used up: ReplayPos.status (one line on opt->msg) */
    REPLAY_STOP_BREAK,        /* (vm/reverse.h only) the replay_break count was reached */
} ReplayStop;

/* The position before the first record: the machine as vm_new left it. */
void replay_pos_start(ReplayPos *p);
/* Replays from *p until the first of: the instruction count is `stop_at` (UINT64_MAX: none), a
 * call boundary at a count >= `call_at` (UINT64_MAX: none), a host debugger stop, the end of
 * the log.  opt->corrupt is ignored here (replay_run does it with stop_at). */
ReplayStop replay_advance(Replay *r, Vm *vm, ReplayPos *p, uint64_t stop_at, uint64_t call_at,
                          const ReplayOptions *opt);
/* The instruction count the recording ends at (its END record, or its last complete batch). */
uint64_t replay_total(const Replay *r);

#endif
