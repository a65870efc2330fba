/*
 * reverse.c — the seek engine of a replay (see reverse.h).
 *
 * State: the replay's place in its log (ReplayPos), the checkpoint set, and for each checkpoint
 * the ReplayPos it was taken at.  Every forward run goes through advance(), which stops at the
 * call boundary where the next checkpoint lies: there it either passes an existing checkpoint
 * (checkpoint_passed: a run restored earlier goes by the later ones again, on the same timeline)
 * or takes a new one past the newest.  So the checkpoints always lie on the one replayed timeline
 * and every one of them stays valid, however the debugger jumps around.
 *
 * "Canonical": the machine is the one a straight replay stopped at this count has (replay.h);
 * after a debugger stop it may be later in the same count (a breakpoint in an interrupt handler
 * stops after the interrupt was taken at that count), and a seek to the count goes back to the
 * canonical machine: one reverse step undoes the interrupt entry, as gdbstub.h asks.
 */
#include <stdlib.h>
#include <string.h>

#include "mem/tlb.h"
#include "vm/checkpoint.h"
#include "vm/reverse.h"
#include "vm/vm.h"

struct Reverse {
    Replay *log;
    Vm *vm;
    CheckpointSet *cs;
    ReplayPos pos;            /* where the replay stands */
    ReplayPos *cp_pos;        /* checkpoint k was taken at cp_pos[k] */
    int cp_cap;
    uint64_t interval;
    size_t budget;
    ReplayOptions opt;
    uint64_t brk;             /* replay_break, or UINT64_MAX */
    uint64_t cp_floor;        /* after a failed take (out of memory): no new checkpoint before */
    bool canonical;           /* see the header comment */
};

static size_t total_bytes(const Reverse *rv)
{
    size_t n = checkpoint_base_bytes(rv->cs);
    for (int k = 0; k < checkpoint_count(rv->cs); k++)
        n += checkpoint_bytes(rv->cs, k);
    return n;
}

/* Over budget: drop, among the checkpoints between the first and the newest, the one whose gap
 * after removal is smallest relative to its distance from the newest, until under budget. */
static void thin(Reverse *rv)
{
    CheckpointSet *cs = rv->cs;
    while (checkpoint_count(cs) > 2 && total_bytes(rv) > rv->budget) {
        int n = checkpoint_count(cs), best = -1;
        uint64_t newest = checkpoint_icount(cs, n - 1);
        double best_score = 0;
        for (int k = 1; k < n - 1; k++) {
            double gap = (double)(checkpoint_icount(cs, k + 1) - checkpoint_icount(cs, k - 1));
            double score = gap / (double)(newest - checkpoint_icount(cs, k) + 1);
            if (best < 0 || score < best_score) {
                best = k;
                best_score = score;
            }
        }
        checkpoint_drop(cs, best);
        memmove(&rv->cp_pos[best], &rv->cp_pos[best + 1], (size_t)(n - best - 1) * sizeof(*rv->cp_pos));
    }
}

/* Out of memory: go on without this one (steps back just cost more), and try again an interval
 * later. */
static void take(Reverse *rv)
{
    int n = checkpoint_count(rv->cs), k = -1;
    if (n == rv->cp_cap) {
        int cap = rv->cp_cap ? rv->cp_cap * 2 : 16;
        ReplayPos *p = realloc(rv->cp_pos, (size_t)cap * sizeof(*p));
        if (p) {
            rv->cp_pos = p;
            rv->cp_cap = cap;
        }
    }
    if (n < rv->cp_cap)
        k = checkpoint_take(rv->cs);
    if (k < 0) {
        uint64_t ic = rv->vm->cpu->icount;
        rv->cp_floor = ic + rv->interval > ic ? ic + rv->interval : UINT64_MAX;
        return;
    }
    rv->cp_pos[k] = rv->pos;
    thin(rv);
}

/* Where the next checkpoint lies: the one after the current, or one interval past the newest. */
static uint64_t next_checkpoint(const Reverse *rv)
{
    const CheckpointSet *cs = rv->cs;
    int cur = checkpoint_current(cs), n = checkpoint_count(cs);
    if (cur + 1 < n)
        return checkpoint_icount(cs, cur + 1);
    uint64_t at = checkpoint_icount(cs, n - 1) + rv->interval;
    if (at < checkpoint_icount(cs, n - 1))
        return UINT64_MAX;
    return at > rv->cp_floor ? at : rv->cp_floor;
}

/* At a call boundary at or past next_checkpoint(). */
static void at_boundary(Reverse *rv)
{
    CheckpointSet *cs = rv->cs;
    int cur = checkpoint_current(cs), n = checkpoint_count(cs);
    if (cur + 1 < n) {
        const ReplayPos *c = &rv->cp_pos[cur + 1];
        if (rv->vm->cpu->icount == checkpoint_icount(cs, cur + 1) && c->next == rv->pos.next &&
            c->calls_left == rv->pos.calls_left) {
            checkpoint_passed(cs, cur + 1);
            return;
        }
        /* Not the boundary it was taken at: this run left the recorded timeline (see the XXX in
         * the header), so the later checkpoints belong to another run.  Forget them. */
        while (checkpoint_count(cs) > cur + 1)
            checkpoint_drop(cs, checkpoint_count(cs) - 1);
    }
    take(rv);
}

/* Forward to `stop_at`, or a call boundary at or after `yield_at` (REPLAY_STOP_CALL). */
static ReplayStop advance_to(Reverse *rv, uint64_t stop_at, uint64_t yield_at)
{
    for (;;) {
        uint64_t cp_at = next_checkpoint(rv);
        ReplayStop s = replay_advance(rv->log, rv->vm, &rv->pos, stop_at, cp_at < yield_at ? cp_at : yield_at,
                                      &rv->opt);
        if (s != REPLAY_STOP_CALL)
            return s;
        if (rv->vm->cpu->icount >= cp_at)
            at_boundary(rv);
        if (rv->vm->cpu->icount >= yield_at)
            return s;
    }
}

static ReplayStop advance(Reverse *rv, uint64_t stop_at)
{
    return advance_to(rv, stop_at, UINT64_MAX);
}

/* Host breakpoints off while seeking (they would make the run go one instruction at a time,
 * and stop it); their DBG_HOST bits, to put back. */
static uint8_t disarm(Cpu *cpu)
{
    uint8_t was = (uint8_t)((cpu->dbg_insn_armed & DBG_HOST ? 1 : 0) | (cpu->dbg_data_armed & DBG_HOST ? 2 : 0));
    cpu->dbg_insn_armed &= (uint8_t)~DBG_HOST;
    cpu->dbg_data_armed &= (uint8_t)~DBG_HOST;
    return was;
}

/* The watched pages leave the data fast path again: the tags change, the translations (state)
 * stay. */
static void rearm(Cpu *cpu, uint8_t was)
{
    if (was & 1)
        cpu->dbg_insn_armed |= DBG_HOST;
    if (was & 2) {
        cpu->dbg_data_armed |= DBG_HOST;
        tlb_rebuild(cpu);
    }
}

/* Puts the machine at checkpoint k and the reader at its place. */
static void go_checkpoint(Reverse *rv, int k)
{
    bool ok = checkpoint_goto(rv->cs, k);
    (void)ok;   /* k is always one of ours */
    rv->pos = rv->cp_pos[k];
    rv->vm->cpu->host_stop = false;
    rv->vm->cpu->host_skip = false;
    rv->canonical = true;
}

/* The newest checkpoint at or before count n. */
static int checkpoint_before(const Reverse *rv, uint64_t n)
{
    int k = checkpoint_count(rv->cs) - 1;
    while (k > 0 && checkpoint_icount(rv->cs, k) > n)
        k--;
    return k;
}

Reverse *reverse_new(Replay *log, Vm *vm, const ReverseConfig *cfg, char *err, size_t errlen)
{
    Reverse *rv = calloc(1, sizeof(*rv));
    if (rv)
        rv->cs = checkpoint_set_new(vm);
    if (!rv || !rv->cs) {
        free(rv);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rv->log = log;
    rv->vm = vm;
    rv->interval = cfg->interval ? cfg->interval : REVERSE_INTERVAL;
    rv->budget = cfg->budget ? cfg->budget : REVERSE_BUDGET;
    rv->opt = (ReplayOptions){ .msg = cfg->msg };
    rv->brk = UINT64_MAX;
    rv->canonical = true;
    replay_pos_start(&rv->pos);
    take(rv);
    if (checkpoint_count(rv->cs) != 1) {
        reverse_free(rv);
        snprintf(err, errlen, "out of memory for the first checkpoint of the replay");
        return NULL;
    }
    return rv;
}

void reverse_free(Reverse *rv)
{
    if (!rv)
        return;
    checkpoint_set_free(rv->cs);
    free(rv->cp_pos);
    free(rv);
}

ReplayStop reverse_run(Reverse *rv, uint64_t stop_at, uint64_t yield_at)
{
    uint64_t stop = stop_at < rv->brk ? stop_at : rv->brk;
    ReplayStop s = advance_to(rv, stop, yield_at);
    rv->canonical = s != REPLAY_STOP_DEBUG;
    if (s == REPLAY_STOP_AT && rv->vm->cpu->icount >= rv->brk) {
        rv->brk = UINT64_MAX;   /* reached: gone, as QEMU's */
        return REPLAY_STOP_BREAK;
    }
    return s;
}

bool reverse_seek(Reverse *rv, uint64_t n)
{
    Cpu *cpu = rv->vm->cpu;
    if (n > replay_total(rv->log))
        return false;
    uint8_t was = disarm(cpu);
    int k = checkpoint_before(rv, n);
    bool ahead = cpu->icount > n || (cpu->icount == n && !rv->canonical) || rv->pos.done;
    if (ahead || cpu->icount < checkpoint_icount(rv->cs, k))
        go_checkpoint(rv, k);   /* forward from here would cost more than from k */
    cpu->host_stop = false;
    ReplayStop s = advance(rv, n);
    rv->canonical = true;
    rearm(cpu, was);
    return s == REPLAY_STOP_AT;
}

bool reverse_step_back(Reverse *rv, bool *at_begin)
{
    uint64_t ic = rv->vm->cpu->icount;
    *at_begin = false;
    if (!rv->canonical) {
        /* After a debugger stop: when an interrupt was taken at this count before the stop, the
         * canonical machine of the count is the step back (the entry undone); it differs in
         * where the CPU stands */
        const Cpu *cpu = rv->vm->cpu;
        uint64_t rip = cpu->rip, rsp = cpu->gpr[R_SP];
        uint16_t cs = cpu->seg[SEG_CS].sel;
        if (!reverse_seek(rv, ic))
            return false;
        if (cpu->rip != rip || cpu->gpr[R_SP] != rsp || cpu->seg[SEG_CS].sel != cs)
            return true;
    }
    if (ic == 0) {
        *at_begin = true;
        return true;
    }
    return reverse_seek(rv, ic - 1);
}

/* Runs from checkpoint k to `limit` with the host breakpoints armed; each stop is a hit.  With
 * `stop_nth` >= 0, stops at that hit (0-based) instead and returns true there.  Otherwise returns
 * whether any hit was found, the last one's count and kind in *last, *last_after, *nhits. */
static bool scan(Reverse *rv, int k, uint64_t limit, ReverseStopIsAfter after, void *opaque, long stop_nth,
                 uint64_t *last, bool *last_after, long *nhits)
{
    Cpu *cpu = rv->vm->cpu;
    go_checkpoint(rv, k);
    *nhits = 0;
    for (;;) {
        ReplayStop s = advance(rv, limit);
        if (s != REPLAY_STOP_DEBUG)
            return *nhits > 0;
        bool is_after = after(opaque);
        if (*nhits == stop_nth) {
            rv->canonical = false;
            return true;
        }
        *last = is_after ? (cpu->icount ? cpu->icount - 1 : 0) : cpu->icount;
        *last_after = is_after;
        ++*nhits;
        /* go on past it: over the breakpoint's instruction, or right on after the access */
        cpu->host_stop = false;
        cpu->host_skip = !is_after;
    }
}

bool reverse_continue_back(Reverse *rv, ReverseStopIsAfter after, void *opaque, bool *at_begin)
{
    CheckpointSet *cs = rv->cs;
    const Cpu *cpu = rv->vm->cpu;
    uint64_t limit = cpu->icount;
    *at_begin = false;
    int k = checkpoint_count(cs) - 1;
    if (!((cpu->dbg_insn_armed | cpu->dbg_data_armed) & DBG_HOST))
        k = -1;   /* nothing can stop it: straight to the start, without replaying the way */
    while (k >= 0 && checkpoint_icount(cs, k) >= limit)
        k--;
    for (; k >= 0; k--) {
        uint64_t last = 0;
        bool last_after = false;
        long nhits;
        if (scan(rv, k, limit, after, opaque, -1, &last, &last_after, &nhits)) {
            if (last_after)
                return reverse_seek(rv, last);
            /* the breakpoint's own stop, hooks and all: the same run up to the same hit */
            long again;
            return scan(rv, k, limit, after, opaque, nhits - 1, &last, &last_after, &again);
        }
        limit = checkpoint_icount(cs, k);
    }
    *at_begin = true;
    return reverse_seek(rv, 0);
}

void reverse_set_break(Reverse *rv, uint64_t n)
{
    rv->brk = n;
}

uint64_t reverse_get_break(const Reverse *rv)
{
    return rv->brk;
}

uint64_t reverse_icount(const Reverse *rv)
{
    return rv->vm->cpu->icount;
}

uint64_t reverse_total(const Reverse *rv)
{
    return replay_total(rv->log);
}

int reverse_status(const Reverse *rv)
{
    return rv->pos.status;
}

int reverse_checkpoints(const Reverse *rv)
{
    return checkpoint_count(rv->cs);
}

size_t reverse_bytes(const Reverse *rv)
{
    return total_bytes(rv);
}
