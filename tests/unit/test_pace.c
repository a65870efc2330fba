/*
 * test_pace.c — pacing the virtual clock against the host's (frontends/pace.c, vm_run_until),
 * with the pace-tick guest (tests/guest/pace-tick.asm: a 1 kHz timer, serial input answered
 * with the tick count and TSC it was seen at).
 *
 * In process, with a fake host clock (Host: time passes only as the fake host works and sleeps,
 * so nothing here sleeps for real):
 *   - paced runs never let the guest's clock pass the wall, and sleep the host through the
 *     guest's idle time;
 *   - a paced run without input is the unpaced run: same output, instruction count, virtual
 *     time, registers and RAM;
 *   - input that arrives while the paced guest sleeps lands at the wall time it came; replayed
 *     unpaced at the same positions (instruction count, virtual time) it gives the same run.
 * As a process: `softvisor -pace on` runs the guest's 2 s of virtual time in no less wall time,
 * using a small part of it on the CPU, and retires the same instructions as `-pace off`.
 *
 * usage: test_pace SOFTVISOR PACE_TICK_ROM (passed on as TEST_PACE_SOFTVISOR and TEST_PACE_ROM)
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frontends/pace.h"

#define TICK_NS 999847ull                   /* 1193 / 1.193182 MHz: the guest's timer period */
#define GUEST_END_NS (1999 * TICK_NS)       /* the guest stops at its 2000th tick (the first comes at once) */
#define LOW_RAM 0x8000                      /* IVT, the tick count, the stack */

/* A fake host: its clock advances by ns_per_insn for every instruction the guest retires (the
 * emulator's work) and by what the host sleeps. */
typedef struct Host {
    const Vm *vm;
    uint64_t base;
    uint64_t slept;
    uint64_t ns_per_insn;
} Host;

static uint64_t host_now(void *opaque)
{
    const Host *h = opaque;
    return h->base + h->slept + h->vm->cpu->icount * h->ns_per_insn;
}

/* A byte typed on the host, ns after the run started. */
typedef struct Arrival {
    uint64_t at;
    uint8_t byte;
} Arrival;

/* Where a byte entered the guest. */
typedef struct Entry {
    uint64_t icount;
    uint64_t vtime;
    uint8_t byte;
} Entry;

/* What a run ended with. */
typedef struct Outcome {
    char *out;
    size_t len;
    VmExit why;
    uint64_t icount, vtime, tsc_offset, rip, gpr[16];
    uint32_t eflags;
    uint8_t ram[LOW_RAM];
    uint64_t slept;
    unsigned slices;          /* slices that ended with the CPU running */
    Entry log[16];
    size_t nlog;
} Outcome;

static Vm *guest_new(FILE **out, Outcome *o)
{
    *out = open_memstream(&o->out, &o->len);
    ck_assert_ptr_nonnull(*out);
    char err[256] = "";
    VmConfig cfg = { .ram_size = 2u << 20, .bios = getenv("TEST_PACE_ROM"), .serial = *out };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    ck_assert_msg(vm != NULL, "vm_new: %s", err);
    return vm;
}

static void guest_end(Vm *vm, FILE *out, Outcome *o, VmExit why)
{
    o->why = why;
    o->icount = vm->cpu->icount;
    o->vtime = clock_now(&vm->clock);
    o->tsc_offset = vm->cpu->tsc_offset;
    o->rip = vm->cpu->rip;
    o->eflags = vm->cpu->eflags;
    memcpy(o->gpr, vm->cpu->gpr, sizeof(o->gpr));
    memcpy(o->ram, vm->ram, LOW_RAM);
    vm_free(vm);
    fclose(out);
}

static void outcome_free(Outcome *o)
{
    free(o->out);
    o->out = NULL;
}

static void outcome_same(const Outcome *a, const Outcome *b)
{
    ck_assert_int_eq(a->why, b->why);
    ck_assert_uint_eq(a->len, b->len);
    ck_assert_msg(!memcmp(a->out, b->out, a->len), "outputs differ: '%s' vs '%s'", a->out, b->out);
    ck_assert_uint_eq(a->icount, b->icount);
    ck_assert_uint_eq(a->vtime, b->vtime);
    ck_assert_uint_eq(a->tsc_offset, b->tsc_offset);
    ck_assert_uint_eq(a->rip, b->rip);
    ck_assert_uint_eq(a->eflags, b->eflags);
    for (int i = 0; i < 16; i++)
        ck_assert_msg(a->gpr[i] == b->gpr[i], "gpr[%d] %llx vs %llx", i, (unsigned long long)a->gpr[i],
                      (unsigned long long)b->gpr[i]);
    ck_assert_msg(!memcmp(a->ram, b->ram, LOW_RAM), "low RAM differs");
}

/* The run loop of frontends/term.c with a fake host: sleeps advance the fake clock, cut short
 * by the next arrival; arrived bytes enter between slices as in term_run. */
static void run(bool on, uint64_t ns_per_insn, const Arrival *in, size_t n, Outcome *o)
{
    memset(o, 0, sizeof(*o));
    FILE *out;
    Vm *vm = guest_new(&out, o);
    Host h = { .vm = vm, .base = 5000000000ull, .ns_per_insn = ns_per_insn };
    Pace p;
    pace_init(&p, on, host_now, &h);
    uint64_t sleep = 0;
    size_t next = 0;
    VmExit why;
    for (long turns = 0;; turns++) {
        if (turns > 10000000)
            ck_abort_msg("the run never ends");
        if (sleep) {
            uint64_t now = host_now(&h);
            uint64_t wake = sleep == PACE_FOREVER ? UINT64_MAX : now + sleep;
            bool cut = next < n && h.base + in[next].at < wake;
            if (cut)
                wake = h.base + in[next].at > now ? h.base + in[next].at : now;
            if (wake == UINT64_MAX)
                ck_abort_msg("the guest idles with no input left");
            h.slept += wake - now;
            /* a full sleep brings the wall up to the guest's clock, or to its next deadline */
            if (on && !cut && clock_now(&vm->clock) > pace_wall(&p, vm))
                ck_abort_msg("after sleeping, the clock %llu is ahead of the wall %llu",
                             (unsigned long long)clock_now(&vm->clock), (unsigned long long)pace_wall(&p, vm));
        }
        if (next < n && h.base + in[next].at <= host_now(&h) && vm_serial_room(vm, 0)) {
            pace_catch_up(&p, vm);
            while (next < n && h.base + in[next].at <= host_now(&h) && vm_serial_room(vm, 0)) {
                ck_assert_uint_lt(o->nlog, sizeof(o->log) / sizeof(o->log[0]));
                o->log[o->nlog++] = (Entry){ vm->cpu->icount, clock_now(&vm->clock), in[next].byte };
                vm_input_serial(vm, 0, in[next++].byte);
            }
        }
        why = pace_run(&p, vm, UINT64_MAX, &sleep);
        /* A host at least as slow as one instruction a nanosecond never falls behind the guest:
         * only a skip could put the clock ahead, and pacing bounds skips by the wall. */
        if (on && ns_per_insn >= 1 && clock_now(&vm->clock) > pace_wall(&p, vm))
            ck_abort_msg("the clock %llu passed the wall %llu", (unsigned long long)clock_now(&vm->clock),
                         (unsigned long long)pace_wall(&p, vm));
        if (why == VM_EXIT_INSN_LIMIT) {
            /* a running CPU stops only at the fixed slice ends, paced or not */
            if (!vm->cpu->halted && vm->cpu->icount % PACE_SLICE)
                ck_abort_msg("a slice ended at icount %llu", (unsigned long long)vm->cpu->icount);
            o->slices += !vm->cpu->halted;
            continue;
        }
        if (why == VM_EXIT_WAIT || why == VM_EXIT_IDLE) {
            if (next < n && h.base + in[next].at <= host_now(&h) && vm_serial_room(vm, 0))
                sleep = 0;
            continue;
        }
        break;
    }
    o->slept = h.slept;
    guest_end(vm, out, o, why);
}

/* Unpaced, the same slices as pace_run, stopping a halted CPU (vm_run_until's time limit) only
 * where the next logged byte entered, to put it in there. */
static void replay(const Entry *log, size_t n, Outcome *o)
{
    memset(o, 0, sizeof(*o));
    FILE *out;
    Vm *vm = guest_new(&out, o);
    size_t next = 0;
    VmExit why;
    for (;;) {
        while (next < n && vm->cpu->icount == log[next].icount && clock_now(&vm->clock) == log[next].vtime)
            vm_input_serial(vm, 0, log[next++].byte);
        if (next < n && clock_now(&vm->clock) >= log[next].vtime)
            ck_abort_msg("replay at icount %llu, %llu ns; the byte entered at icount %llu, %llu ns",
                         (unsigned long long)vm->cpu->icount, (unsigned long long)clock_now(&vm->clock),
                         (unsigned long long)log[next].icount, (unsigned long long)log[next].vtime);
        uint64_t icount = vm->cpu->icount;
        uint64_t stop = (icount / PACE_SLICE + 1) * PACE_SLICE;
        why = vm_run_until(vm, stop - icount, next < n ? log[next].vtime : CLOCK_NEVER);
        if (why != VM_EXIT_INSN_LIMIT && why != VM_EXIT_WAIT)
            break;
    }
    ck_assert_uint_eq(next, n);
    guest_end(vm, out, o, why);
}

START_TEST(pace_run_without_input_same_as_unpaced)
{
    Outcome *plain = calloc(1, sizeof(Outcome)), *slow = calloc(1, sizeof(Outcome));
    Outcome *instant = calloc(1, sizeof(Outcome));
    ck_assert(plain && slow && instant);
    run(false, 0, NULL, 0, plain);
    ck_assert_int_eq(plain->why, VM_EXIT_DEBUG_EXIT);
    ck_assert_str_eq(plain->out, "end\n");
    ck_assert_uint_ge(plain->vtime, GUEST_END_NS);
    ck_assert_uint_eq(plain->slept, 0);
    run(true, 3, NULL, 0, slow);         /* an emulator at ~330 M instructions a second */
    run(true, 0, NULL, 0, instant);      /* one infinitely fast: only sleeping takes time */
    outcome_same(plain, slow);
    outcome_same(plain, instant);
    ck_assert_uint_ge(plain->slices, 1);
    /* the idle guest's 2 s passed with the host asleep */
    ck_assert_uint_ge(slow->slept + slow->icount * 3, GUEST_END_NS);
    ck_assert_uint_ge(instant->slept, GUEST_END_NS);
    outcome_free(plain);
    outcome_free(slow);
    outcome_free(instant);
    free(plain);
    free(slow);
    free(instant);
}
END_TEST

START_TEST(pace_input_lands_at_its_wall_time_and_replays_unpaced)
{
    static const Arrival typed[] = { { 500300000, 'x' }, { 500300000, 'y' }, { 1234500000, 'z' } };
    Outcome *paced = calloc(1, sizeof(Outcome)), *again = calloc(1, sizeof(Outcome));
    ck_assert(paced && again);
    for (uint64_t speed = 0; speed <= 3; speed += 3) {
        run(true, speed, typed, 3, paced);
        ck_assert_int_eq(paced->why, VM_EXIT_DEBUG_EXIT);
        ck_assert_uint_eq(paced->nlog, 3);
        for (size_t i = 0; i < 3; i++) {
            /* the guest's clock caught up with the wall before the byte went in (exactly so when
             * the host takes no time to emulate) */
            ck_assert_uint_le(paced->log[i].vtime, typed[i].at);
            if (speed == 0)
                ck_assert_uint_eq(paced->log[i].vtime, typed[i].at);
            else
                ck_assert_uint_ge(paced->log[i].vtime + 1000000, typed[i].at);
        }
        /* and the guest saw it then: at 500.3 ms it has counted 501 ticks, at 1234.5 ms 1235 */
        ck_assert_msg(strstr(paced->out, "x@01f5:") && strstr(paced->out, "y@01f5:") && strstr(paced->out, "z@04d3:"),
                      "guest saw '%s'", paced->out);
        if (speed == 0)
            ck_assert_msg(strstr(paced->out, "x@01f5:1dd1 y@01f5:1dd1 ") && strstr(paced->out, "z@04d3:4994 "),
                          "TSC in '%s'", paced->out);
        replay(paced->log, paced->nlog, again);
        outcome_same(paced, again);
        outcome_free(paced);
        outcome_free(again);
    }
    free(paced);
    free(again);
}
END_TEST

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs softvisor on the guest with `-pace MODE -stats`, stdin /dev/null; returns the exit
 * status, the wall and CPU seconds it took, and its stderr. */
static int softvisor(const char *mode, double *wall, double *cpu, char *err, size_t errlen)
{
    char path[] = "/tmp/softvisor-test-pace-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    double t0 = now_s();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        const char *sv = getenv("TEST_PACE_SOFTVISOR");
        execl(sv, sv, "-m", "2", "-bios", getenv("TEST_PACE_ROM"), "-pace", mode, "-stats", (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    ck_assert_int_eq(wait4(pid, &status, 0, &ru), pid);
    *wall = now_s() - t0;
    *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
    ssize_t got = pread(fd, err, errlen - 1, 0);
    err[got > 0 ? got : 0] = 0;
    close(fd);
    unlink(path);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(pace_on_idle_guest_keeps_to_the_wall_and_sleeps)
{
    double wall, cpu, wall_off, cpu_off;
    char err[512], err_off[512];
    ck_assert_int_eq(softvisor("on", &wall, &cpu, err, sizeof(err)), 33);
    ck_assert_int_eq(softvisor("off", &wall_off, &cpu_off, err_off, sizeof(err_off)), 33);
    fprintf(stderr, "pace on: %.3f s wall, %.3f s CPU; off: %.3f s wall, %.3f s CPU\n", wall, cpu, wall_off,
            cpu_off);
    ck_assert_str_eq(err, err_off);   /* the same instructions retired */
    /* 2 s of virtual time never ran ahead of the wall ... */
    ck_assert_msg(wall >= (double)GUEST_END_NS * 1e-9, "the guest's 2 s took %.3f s", wall);
    /* ... and the host slept through most of it */
    ck_assert_msg(cpu < 0.25 * wall, "%.3f s of CPU in %.3f s", cpu, wall);
}
END_TEST

static Suite *pace_suite(void)
{
    Suite *s = suite_create("pace");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pace_run_without_input_same_as_unpaced);
    tcase_add_test(tc, pace_input_lands_at_its_wall_time_and_replays_unpaced);
    tcase_add_test(tc, pace_on_idle_guest_keeps_to_the_wall_and_sleeps);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_pace SOFTVISOR PACE_TICK_ROM\n");
        return 2;
    }
    setenv("TEST_PACE_SOFTVISOR", argv[1], 1);
    setenv("TEST_PACE_ROM", argv[2], 1);
    SRunner *sr = srunner_create(pace_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
