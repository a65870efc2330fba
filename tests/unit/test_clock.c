/*
 * test_clock.c — the virtual clock and event queue (vm/clock.c): time is a pure function of the
 * retired-instruction count plus skipped idle time; the CPU may run exactly up to the nearest
 * deadline; due events run once; a halted machine jumps to the next deadline.
 */
#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm/clock.h"
#include "vm/vm.h"

typedef struct Hits {
    int n;
    uint64_t when[8];
    Clock *c;
    int id;
    uint64_t again;   /* reschedule to this deadline from the callback (0: no) */
} Hits;

static void hit(void *opaque, uint64_t now)
{
    Hits *h = opaque;
    if (h->n < 8)
        h->when[h->n] = now;
    h->n++;
    if (h->again)
        clock_set_deadline(h->c, h->id, h->again);
    h->again = 0;
}

START_TEST(clock_now_follows_icount_and_idle)
{
    uint64_t icount = 0;
    Clock c;
    clock_init(&c, &icount);
    ck_assert_uint_eq(clock_now(&c), 0);
    icount = 1234;
    ck_assert_uint_eq(clock_now(&c), 1234 * CLOCK_NS_PER_INSN);
    c.idle = 100;
    ck_assert_uint_eq(clock_now(&c), 1334 * CLOCK_NS_PER_INSN);
}
END_TEST

START_TEST(clock_no_events_never_limits)
{
    uint64_t icount = 5;
    Clock c;
    clock_init(&c, &icount);
    ck_assert_uint_eq(clock_next_deadline(&c), CLOCK_NEVER);
    ck_assert_uint_eq(clock_icount_limit(&c), UINT64_MAX);
    ck_assert(!clock_skip_to_next(&c));
    ck_assert_uint_eq(clock_now(&c), 5 * CLOCK_NS_PER_INSN);
    int id = clock_add_event(&c, hit, NULL);
    ck_assert_int_ge(id, 0);
    ck_assert_uint_eq(clock_next_deadline(&c), CLOCK_NEVER);   /* a new event is idle */
}
END_TEST

START_TEST(clock_nearest_deadline_sets_icount_limit)
{
    uint64_t icount = 0;
    Clock c;
    Hits a = { 0 }, b = { 0 };
    clock_init(&c, &icount);
    int ia = clock_add_event(&c, hit, &a), ib = clock_add_event(&c, hit, &b);
    ck_assert_int_ne(ia, ib);
    clock_set_deadline(&c, ia, 5000);
    clock_set_deadline(&c, ib, 3000);
    ck_assert_uint_eq(clock_next_deadline(&c), 3000);
    ck_assert_uint_eq(clock_icount_limit(&c), 3000 / CLOCK_NS_PER_INSN);
    c.idle = 1000;   /* 1000 instructions' worth of time already skipped */
    ck_assert_uint_eq(clock_icount_limit(&c), 3000 / CLOCK_NS_PER_INSN - 1000);
    clock_set_deadline(&c, 99, 1);   /* unknown id: ignored */
    clock_set_deadline(&c, -1, 1);
    ck_assert_uint_eq(clock_next_deadline(&c), 3000);
}
END_TEST

START_TEST(clock_run_due_runs_each_due_event_once)
{
    uint64_t icount = 0;
    Clock c;
    Hits a = { 0 }, b = { 0 };
    clock_init(&c, &icount);
    int ia = clock_add_event(&c, hit, &a), ib = clock_add_event(&c, hit, &b);
    clock_set_deadline(&c, ia, 100);
    clock_set_deadline(&c, ib, 200);
    icount = 99;
    clock_run_due(&c);
    ck_assert_int_eq(a.n + b.n, 0);
    icount = 150;
    clock_run_due(&c);
    clock_run_due(&c);
    ck_assert_int_eq(a.n, 1);
    ck_assert_uint_eq(a.when[0], 150 * CLOCK_NS_PER_INSN);
    ck_assert_int_eq(b.n, 0);
    ck_assert_uint_eq(clock_next_deadline(&c), 200);
    icount = 1000;
    clock_run_due(&c);
    ck_assert_int_eq(b.n, 1);
    ck_assert_uint_eq(clock_next_deadline(&c), CLOCK_NEVER);
}
END_TEST

START_TEST(clock_event_reschedules_itself_from_callback)
{
    uint64_t icount = 0;
    Clock c;
    Hits a = { 0 };
    clock_init(&c, &icount);
    a.c = &c;
    a.id = clock_add_event(&c, hit, &a);
    a.again = 700;
    clock_set_deadline(&c, a.id, 300);
    icount = 300;
    clock_run_due(&c);
    ck_assert_int_eq(a.n, 1);
    ck_assert_uint_eq(clock_next_deadline(&c), 700);   /* periodic timer keeps its next deadline */
}
END_TEST

START_TEST(clock_skip_to_next_jumps_idle_to_deadline)
{
    uint64_t icount = 40;
    Clock c;
    Hits a = { 0 };
    clock_init(&c, &icount);
    int id = clock_add_event(&c, hit, &a);
    clock_set_deadline(&c, id, 1000);
    ck_assert(clock_skip_to_next(&c));
    ck_assert_uint_eq(clock_now(&c), 1000);
    ck_assert_uint_eq(icount, 40);                  /* no instructions retired */
    ck_assert_uint_eq(clock_icount_limit(&c), icount);
    clock_run_due(&c);
    ck_assert_int_eq(a.n, 1);
    /* a deadline already past does not move time backwards */
    clock_set_deadline(&c, id, 10);
    ck_assert(clock_skip_to_next(&c));
    ck_assert_uint_eq(clock_now(&c), 1000);
}
END_TEST

START_TEST(clock_add_event_table_full_fails)
{
    uint64_t icount = 0;
    Clock c;
    clock_init(&c, &icount);
    for (int i = 0; i < CLOCK_MAX_EVENTS; i++)
        ck_assert_int_eq(clock_add_event(&c, hit, NULL), i);
    ck_assert_int_eq(clock_add_event(&c, hit, NULL), -1);
}
END_TEST

/* A VM whose BIOS runs "sti; hlt" at the reset vector: vm_run must skip the halt to the next
 * deadline, run the event, and retire no instructions while halted. */
typedef struct Wake {
    Vm *vm;
    uint64_t now;
} Wake;

static void wake(void *opaque, uint64_t now)
{
    Wake *w = opaque;
    w->now = now;
    w->vm->exit = VM_EXIT_DEBUG_EXIT;
    w->vm->exit_status = 42;
}

/* A VM with a 4 KiB BIOS whose reset vector holds `code`. */
static Vm *vm_with_reset_code(const uint8_t *code, size_t n)
{
    char path[] = "/tmp/softvisor-test-bios-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *rom = calloc(1, 4096);
    memcpy(rom + 0xff0, code, n);
    ck_assert_int_eq(write(fd, rom, 4096), 4096);
    close(fd);
    free(rom);
    char err[256] = "";
    VmConfig cfg = { .ram_size = 2u << 20, .bios = path };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    unlink(path);
    ck_assert_msg(vm != NULL, "vm_new: %s", err);
    return vm;
}

START_TEST(clock_running_vm_stops_exactly_at_deadline)
{
    static const uint8_t loop[] = { 0xeb, 0xfe };   /* fff0: jmp $ */
    Vm *vm = vm_with_reset_code(loop, sizeof(loop));
    Wake w = { vm, 0 };
    int id = clock_add_event(&vm->clock, wake, &w);
    clock_set_deadline(&vm->clock, id, 12345 * CLOCK_NS_PER_INSN);
    ck_assert_int_eq(vm_run(vm, 0), VM_EXIT_DEBUG_EXIT);
    ck_assert_uint_eq(w.now, 12345 * CLOCK_NS_PER_INSN);
    ck_assert_uint_eq(vm->cpu->icount, 12345);
    vm_free(vm);
}
END_TEST

START_TEST(clock_halted_vm_skips_to_deadline)
{
    static const uint8_t code[] = { 0xfb, 0xf4 };   /* fff0: sti; fff1: hlt */
    Vm *vm = vm_with_reset_code(code, sizeof(code));
    Wake w = { vm, 0 };
    int id = clock_add_event(&vm->clock, wake, &w);
    clock_set_deadline(&vm->clock, id, 1000000);
    ck_assert_int_eq(vm_run(vm, 0), VM_EXIT_DEBUG_EXIT);
    ck_assert_uint_eq(w.now, 1000000);
    ck_assert_uint_eq(vm->cpu->icount, 2);
    ck_assert(vm->cpu->halted);
    vm_free(vm);
}
END_TEST

static Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, clock_now_follows_icount_and_idle);
    tcase_add_test(tc, clock_no_events_never_limits);
    tcase_add_test(tc, clock_nearest_deadline_sets_icount_limit);
    tcase_add_test(tc, clock_run_due_runs_each_due_event_once);
    tcase_add_test(tc, clock_event_reschedules_itself_from_callback);
    tcase_add_test(tc, clock_skip_to_next_jumps_idle_to_deadline);
    tcase_add_test(tc, clock_add_event_table_full_fails);
    tcase_add_test(tc, clock_running_vm_stops_exactly_at_deadline);
    tcase_add_test(tc, clock_halted_vm_skips_to_deadline);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(clock_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
