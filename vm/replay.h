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
 * (Vm.rr stays NULL: nothing is logged, nothing from the host gets in).
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

#endif
