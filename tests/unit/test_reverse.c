/*
 * test_reverse.c — the seek engine of a replay (vm/reverse.c) and the checkpoint operations it
 * uses (vm/checkpoint.c), in one process on the reverse-target guest (argv[1]): PIT interrupts
 * taken in HLT, serial input logged between slices of odd lengths, a state hash every 2^8
 * instructions in the log.
 *
 * The reference for "the machine at count N" is a straight replay from power-on stopped at N
 * (replay_advance in a fresh VM); a seek must give the same state hash, forward or back, with
 * the JIT and without, while checkpoints are taken every few hundred instructions and thinned to
 * a small budget.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm/checkpoint.h"
#include "vm/replay.h"
#include "vm/reverse.h"
#include "vm/state.h"

static const char *rom_path;

typedef struct Fixture {
    char log[64];
    VmConfig cfg;
    Replay *r;
    FILE *null;
} Fixture;

static Vm *fixture_vm(Fixture *f)
{
    char err[256];
    Vm *vm = vm_new(&f->cfg, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    return vm;
}

/* Records the guest to its end: slices of 97 instructions, a serial byte before every third. */
static void fixture_init(Fixture *f, bool jit)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->log, sizeof(f->log), "/tmp/softvisor-test-reverse-XXXXXX");
    int fd = mkstemp(f->log);
    ck_assert_int_ge(fd, 0);
    close(fd);
    f->cfg = (VmConfig){ .ram_size = 4u << 20, .bios = rom_path, .rtc_base = 1767225600, .jit = jit };
    f->null = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(f->null);
    char machine[REPLAY_MACHINE_MAX], err[256];
    ck_assert_int_eq(replay_describe(&f->cfg, false, machine, sizeof(machine), err, sizeof(err)), 0);
    Vm *vm = fixture_vm(f);
    vm->rr = replay_record_open(f->log, machine, 8, err, sizeof(err));
    ck_assert_ptr_nonnull(vm->rr);
    VmExit e = VM_EXIT_INSN_LIMIT;
    for (int i = 0; i < 100000 && (e == VM_EXIT_INSN_LIMIT || e == VM_EXIT_WAIT || e == VM_EXIT_IDLE); i++) {
        if (i % 3 == 0)
            vm_input_serial(vm, 0, (uint8_t)i);
        e = vm_run(vm, 97);
    }
    ck_assert_int_eq(e, VM_EXIT_DEBUG_EXIT);
    ck_assert_int_eq(replay_record_finish(vm->rr, vm, vm->exit_status, err, sizeof(err)), 0);
    vm->rr = NULL;
    vm_free(vm);
    f->r = replay_load(f->log, err, sizeof(err));
    ck_assert_msg(f->r != NULL, "%s", err);
    ck_assert_uint_gt(replay_total(f->r), 2000);
}

static void fixture_done(Fixture *f)
{
    replay_free(f->r);
    unlink(f->log);
    fclose(f->null);
}

/* The state hash of a straight replay stopped at n. */
static uint64_t straight_hash(Fixture *f, uint64_t n)
{
    Vm *vm = fixture_vm(f);
    ReplayPos p;
    replay_pos_start(&p);
    ReplayOptions opt = { .msg = f->null };
    ck_assert_int_eq(replay_advance(f->r, vm, &p, n, UINT64_MAX, &opt), REPLAY_STOP_AT);
    ck_assert_uint_eq(vm->cpu->icount, n);
    uint64_t h = vm_state_hash(vm);
    vm_free(vm);
    return h;
}

static void seek_random(bool jit)
{
    Fixture f;
    fixture_init(&f, jit);
    uint64_t total = replay_total(f.r);
    enum { N = 40 };
    uint64_t target[N], want[N];
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        target[i] = i == 0 ? total : i == 1 ? 0 : (x >> 8) % (total + 1);
        want[i] = straight_hash(&f, target[i]);
    }
    Vm *vm = fixture_vm(&f);
    char err[256];
    /* a checkpoint every 150 instructions, thinned to a handful (each holds ~0.6 MiB of state) */
    ReverseConfig cfg = { .interval = 150, .budget = 4u << 20, .msg = f.null };
    Reverse *rv = reverse_new(f.r, vm, &cfg, err, sizeof(err));
    ck_assert_msg(rv != NULL, "%s", err);
    int most = 0;
    for (int i = 0; i < N; i++) {
        ck_assert(reverse_seek(rv, target[i]));
        ck_assert_uint_eq(reverse_icount(rv), target[i]);
        ck_assert_msg(vm_state_hash(vm) == want[i], "seek %d to %llu: state hash differs from a straight replay", i,
                      (unsigned long long)target[i]);
        if (reverse_checkpoints(rv) > most)
            most = reverse_checkpoints(rv);
    }
    ck_assert_int_gt(most, 3);                            /* checkpoints were taken ... */
    ck_assert_int_lt(most, (int)(total / 150));           /* ... and thinned */
    ck_assert(!reverse_seek(rv, total + 1));
    /* one step back from the end, then forward to the end: the log's final hash still matches */
    bool at_begin;
    ck_assert(reverse_seek(rv, total));
    ck_assert(reverse_step_back(rv, &at_begin) && !at_begin);
    ck_assert_uint_eq(reverse_icount(rv), total - 1);
    ck_assert_int_eq(reverse_run(rv, UINT64_MAX, UINT64_MAX), REPLAY_STOP_DONE);
    ck_assert_int_eq(reverse_status(rv), 33);
    ck_assert(reverse_seek(rv, 0));
    ck_assert(reverse_step_back(rv, &at_begin) && at_begin);
    reverse_free(rv);
    vm_free(vm);
    fixture_done(&f);
}

START_TEST(reverse_seek_random_interpreter_equals_straight_replay)
{
    seek_random(false);
}
END_TEST

START_TEST(reverse_seek_random_jit_equals_straight_replay)
{
    seek_random(true);
}
END_TEST

/* replay_break stops a forward run at its count once; a yield point is a call boundary. */
START_TEST(reverse_break_stops_once_at_count)
{
    Fixture f;
    fixture_init(&f, false);
    Vm *vm = fixture_vm(&f);
    char err[256];
    ReverseConfig cfg = { .msg = f.null };
    Reverse *rv = reverse_new(f.r, vm, &cfg, err, sizeof(err));
    ck_assert_ptr_nonnull(rv);
    reverse_set_break(rv, 1234);
    ck_assert_int_eq(reverse_run(rv, UINT64_MAX, UINT64_MAX), REPLAY_STOP_BREAK);
    ck_assert_uint_eq(reverse_icount(rv), 1234);
    ck_assert_uint_eq(reverse_get_break(rv), UINT64_MAX);
    ck_assert_uint_eq(vm_state_hash(vm), straight_hash(&f, 1234));
    ck_assert_int_eq(reverse_run(rv, UINT64_MAX, 1500), REPLAY_STOP_CALL);
    ck_assert_uint_ge(reverse_icount(rv), 1500);
    ck_assert_int_eq(reverse_run(rv, UINT64_MAX, UINT64_MAX), REPLAY_STOP_DONE);
    ck_assert_int_eq(reverse_status(rv), 33);
    reverse_free(rv);
    vm_free(vm);
    fixture_done(&f);
}
END_TEST

/* A host debugger with one execute breakpoint (the CpuHostDebug hooks the gdb stub fills in). */
typedef struct FakeDebugger {
    uint64_t bp;
} FakeDebugger;

static bool fake_insn_hit(void *opaque, uint64_t lin)
{
    return lin == ((FakeDebugger *)opaque)->bp;
}

static bool fake_page_watched(void *opaque, uint64_t page)
{
    (void)opaque;
    (void)page;
    return false;
}

static bool fake_data_hit(void *opaque, uint64_t lin, int size, bool write)
{
    (void)opaque;
    (void)lin;
    (void)size;
    (void)write;
    return false;
}

static bool fake_is_after(void *opaque)
{
    (void)opaque;
    return false;
}

/* The timer handler's linear address in the reverse-target ROM (inc dword [TICKS]). */
static uint64_t handler_address(void)
{
    FILE *fp = fopen(rom_path, "rb");
    ck_assert_ptr_nonnull(fp);
    static const uint8_t pat[] = { 0xFF, 0x05, 0x04, 0x60, 0x00, 0x00 };
    uint8_t rom[65536];
    size_t n = fread(rom, 1, sizeof(rom), fp);
    fclose(fp);
    for (size_t i = 0; i + sizeof(pat) <= n; i++)
        if (!memcmp(rom + i, pat, sizeof(pat)))
            return 0xF0000 + i;
    ck_abort_msg("timer handler not found in the ROM");
    return 0;
}

/* reverse_continue_back stops at the last hit before now, in the hit's own state (after the
 * interrupt entry), and a step back from there undoes the entry; with nothing armed it goes
 * straight to the start. */
START_TEST(reverse_continue_back_finds_last_breakpoint_hit)
{
    Fixture f;
    fixture_init(&f, true);
    FakeDebugger dbg = { handler_address() };
    CpuHostDebug hooks = { fake_insn_hit, fake_page_watched, fake_data_hit };
    /* the reference: a forward run with the breakpoint, noting every hit's count */
    Vm *ref = fixture_vm(&f);
    ref->cpu->host_dbg = &hooks;
    ref->cpu->host_dbg_opaque = &dbg;
    ref->cpu->dbg_insn_armed |= DBG_HOST;
    ReplayPos p;
    replay_pos_start(&p);
    ReplayOptions opt = { .msg = f.null };
    uint64_t hits[64];
    int nhits = 0;
    while (replay_advance(f.r, ref, &p, UINT64_MAX, UINT64_MAX, &opt) == REPLAY_STOP_DEBUG && nhits < 64) {
        hits[nhits++] = ref->cpu->icount;
        ref->cpu->host_stop = false;
        ref->cpu->host_skip = true;
    }
    ck_assert_int_ge(nhits, 5);
    vm_free(ref);

    Vm *vm = fixture_vm(&f);
    char err[256];
    ReverseConfig cfg = { .interval = 500, .msg = f.null };
    Reverse *rv = reverse_new(f.r, vm, &cfg, err, sizeof(err));
    ck_assert_ptr_nonnull(rv);
    bool at_begin;
    ck_assert(reverse_seek(rv, replay_total(f.r)));
    ck_assert(reverse_continue_back(rv, fake_is_after, NULL, &at_begin) && at_begin);   /* nothing armed */
    ck_assert_uint_eq(reverse_icount(rv), 0);
    ck_assert(reverse_seek(rv, replay_total(f.r)));
    vm->cpu->host_dbg = &hooks;
    vm->cpu->host_dbg_opaque = &dbg;
    vm->cpu->dbg_insn_armed |= DBG_HOST;
    for (int i = nhits - 1; i >= nhits - 3; i--) {
        ck_assert(reverse_continue_back(rv, fake_is_after, NULL, &at_begin) && !at_begin);
        ck_assert_uint_eq(reverse_icount(rv), hits[i]);
        ck_assert_uint_eq(vm->cpu->seg[SEG_CS].base + vm->cpu->rip, dbg.bp);
    }
    /* the interrupt entry is one step back of its own: same count, the CPU back after its HLT */
    ck_assert(reverse_step_back(rv, &at_begin) && !at_begin);
    ck_assert_uint_eq(reverse_icount(rv), hits[nhits - 3]);
    ck_assert_uint_ne(vm->cpu->seg[SEG_CS].base + vm->cpu->rip, dbg.bp);
    ck_assert(reverse_step_back(rv, &at_begin) && !at_begin);
    ck_assert_uint_eq(reverse_icount(rv), hits[nhits - 3] - 1);
    vm->cpu->host_dbg = NULL;
    vm->cpu->dbg_insn_armed &= (uint8_t)~DBG_HOST;
    reverse_free(rv);
    vm_free(vm);
    fixture_done(&f);
}
END_TEST

/* Checkpoints of a live run: dropping middle ones keeps every other one exact, goto keeps the
 * later ones, and passing them again (as a replay does) keeps the memory bookkeeping right. */
START_TEST(checkpoint_drop_and_goto_keep_each_checkpoint_exact)
{
    Fixture f;
    fixture_init(&f, false);
    Vm *vm = fixture_vm(&f);
    CheckpointSet *cs = checkpoint_set_new(vm);
    enum { K = 8 };
    uint64_t hash[K], at[K];
    for (int k = 0; k < K; k++) {
        if (k)
            vm_run(vm, 300);
        at[k] = vm->cpu->icount;
        hash[k] = vm_state_hash(vm);
        ck_assert_int_eq(checkpoint_take(cs), k);
    }
    vm_run(vm, 100);
    checkpoint_drop(cs, 3);   /* indices 4.. move down: K-1 left, at[] without 3 */
    checkpoint_drop(cs, 5);   /* the original 6 */
    int keep[] = { 0, 1, 2, 4, 5, 7 };
    ck_assert_int_eq(checkpoint_count(cs), 6);
    for (int j = 5; j >= 0; j--) {
        ck_assert(checkpoint_goto(cs, j));
        ck_assert_uint_eq(vm->cpu->icount, at[keep[j]]);
        ck_assert_uint_eq(vm_state_hash(vm), hash[keep[j]]);
        ck_assert_int_eq(checkpoint_count(cs), 6);
    }
    /* at 0: run forward exactly to the next ones and pass them, then jump back and forth */
    for (int j = 1; j < 6; j++) {
        vm_run(vm, at[keep[j]] - vm->cpu->icount);
        checkpoint_passed(cs, j);
        ck_assert_int_eq(checkpoint_current(cs), j);
    }
    vm_run(vm, 50);
    ck_assert(checkpoint_goto(cs, 2));
    ck_assert_uint_eq(vm_state_hash(vm), hash[2]);
    ck_assert(checkpoint_goto(cs, 5));
    ck_assert_uint_eq(vm_state_hash(vm), hash[7]);
    /* dropping the current one keeps the memory "current plus dirty" */
    ck_assert(checkpoint_goto(cs, 3));
    vm_run(vm, 20);
    checkpoint_drop(cs, 3);
    ck_assert(checkpoint_goto(cs, 3));
    ck_assert_uint_eq(vm_state_hash(vm), hash[5]);
    ck_assert_uint_eq(vm_state_hash(vm), vm_state_hash_full(vm));
    checkpoint_set_free(cs);
    vm_free(vm);
    fixture_done(&f);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_reverse REVERSE-TARGET-ROM\n");
        return 2;
    }
    rom_path = argv[1];
    Suite *s = suite_create("reverse");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reverse_seek_random_interpreter_equals_straight_replay);
    tcase_add_test(tc, reverse_seek_random_jit_equals_straight_replay);
    tcase_add_test(tc, reverse_break_stops_once_at_count);
    tcase_add_test(tc, reverse_continue_back_finds_last_breakpoint_hit);
    tcase_add_test(tc, checkpoint_drop_and_goto_keep_each_checkpoint_exact);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
