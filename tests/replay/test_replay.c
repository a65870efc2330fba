/*
 * test_replay.c — Check tests of the record/replay log (vm/replay.c) in one process: a VM on a
 * tiny ROM (an endless `inc ax; jmp` loop at the reset vector) is driven in slices with serial
 * input between them, recorded, and replayed from the log in memory.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm/replay.h"
#include "vm/state.h"

typedef struct Fixture {
    char rom[64], log[64];
    VmConfig cfg;
    char machine[REPLAY_MACHINE_MAX];
    uint8_t *data;            /* the recorded log (fixture_record) */
    size_t len;
    FILE *null;               /* where replay outcomes go */
} Fixture;

static void fixture_init(Fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->rom, sizeof(f->rom), "/tmp/softvisor-test-replay-rom-XXXXXX");
    snprintf(f->log, sizeof(f->log), "/tmp/softvisor-test-replay-log-XXXXXX");
    int fd = mkstemp(f->rom);
    ck_assert_int_ge(fd, 0);
    uint8_t rom[4096];
    memset(rom, 0xf4, sizeof(rom));
    /* reset vector (0xFFFFFFF0 = ROM offset 0xFF0): inc ax (40); jmp short -3 (EB FD) */
    rom[0xff0] = 0x40;
    rom[0xff1] = 0xeb;
    rom[0xff2] = 0xfd;
    ck_assert_int_eq(write(fd, rom, sizeof(rom)), (int)sizeof(rom));
    close(fd);
    fd = mkstemp(f->log);
    ck_assert_int_ge(fd, 0);
    close(fd);
    f->cfg = (VmConfig){ .ram_size = 2u << 20, .bios = f->rom, .rtc_base = 1767225600 };
    char err[256];
    ck_assert_int_eq(replay_describe(&f->cfg, false, f->machine, sizeof(f->machine), err, sizeof(err)), 0);
    f->null = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(f->null);
}

static void fixture_done(Fixture *f)
{
    unlink(f->rom);
    unlink(f->log);
    free(f->data);
    fclose(f->null);
}

/* Records 40 slices of 1000 instructions with a serial byte before every fifth; exit status 7. */
static uint64_t record_run(Fixture *f, unsigned hash_log2)
{
    char err[256];
    Vm *vm = vm_new(&f->cfg, err, sizeof(err));
    ck_assert_ptr_nonnull(vm);
    vm->rr = replay_record_open(f->log, f->machine, hash_log2, err, sizeof(err));
    ck_assert_ptr_nonnull(vm->rr);
    for (int i = 0; i < 40; i++) {
        if (i % 5 == 0)
            vm_input_serial(vm, 0, (uint8_t)('a' + i));
        vm_run(vm, 1000);
    }
    uint64_t h = vm_state_hash(vm);
    ck_assert_int_eq(replay_record_finish(vm->rr, vm, 7, err, sizeof(err)), 0);
    vm->rr = NULL;
    vm_free(vm);
    return h;
}

/* Records (record_run) and reads the log into f->data. */
static void fixture_record(Fixture *f, unsigned hash_log2)
{
    record_run(f, hash_log2);
    FILE *fp = fopen(f->log, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f->data = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(f->data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    f->len = (size_t)n;
}

/* Replays `data`; returns replay_run's status (-1: the log did not load). */
static int replay_mem(Fixture *f, const uint8_t *data, size_t len, const ReplayOptions *o)
{
    ReplayOptions plain = { .msg = f->null };
    if (!o)
        o = &plain;
    char err[256];
    Replay *r = replay_load_mem(data, len, err, sizeof(err));
    if (!r)
        return -1;
    Vm *vm = vm_new(&f->cfg, err, sizeof(err));
    ck_assert_ptr_nonnull(vm);
    int st = replay_run(r, vm, o);
    vm_free(vm);
    replay_free(r);
    return st;
}

START_TEST(replay_recorded_run_completes_with_recorded_status)
{
    Fixture f;
    fixture_init(&f);
    fixture_record(&f, 12);
    ck_assert_int_eq(replay_mem(&f, f.data, f.len, NULL), 7);
    fixture_done(&f);
}
END_TEST

START_TEST(replay_ram_flip_diverges)
{
    Fixture f;
    fixture_init(&f);
    fixture_record(&f, 12);
    ReplayOptions o = { .msg = f.null, .corrupt = true, .corrupt_at = 20500 };
    ck_assert_int_eq(replay_mem(&f, f.data, f.len, &o), REPLAY_EXIT_DIVERGED);
    fixture_done(&f);
}
END_TEST

START_TEST(replay_every_prefix_refused_or_ends_early)
{
    Fixture f;
    fixture_init(&f);
    fixture_record(&f, 10);
    int loaded = 0;
    for (size_t n = 0; n < f.len; n++) {
        int st = replay_mem(&f, f.data, n, NULL);
        /* a cut log never diverges: it replays what it has, then says it ended */
        ck_assert_msg(st == -1 || st == REPLAY_EXIT_LOG_ENDED, "prefix %zu of %zu: status %d", n, f.len, st);
        loaded += st != -1;
    }
    ck_assert_int_gt(loaded, 0);
    fixture_done(&f);
}
END_TEST

START_TEST(replay_check_machine_other_ram_names_ram)
{
    Fixture f;
    fixture_init(&f);
    record_run(&f, 27);
    char err[256], other[REPLAY_MACHINE_MAX];
    Replay *r = replay_load(f.log, err, sizeof(err));
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(replay_check_machine(r, f.machine, err, sizeof(err)), 0);
    VmConfig c = f.cfg;
    c.ram_size = 4u << 20;
    ck_assert_int_eq(replay_describe(&c, false, other, sizeof(other), err, sizeof(err)), 0);
    ck_assert_int_eq(replay_check_machine(r, other, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "ram is '2097152' in the log, '4194304' here"));
    replay_free(r);
    fixture_done(&f);
}
END_TEST

START_TEST(replay_load_other_format_names_version)
{
    Fixture f;
    fixture_init(&f);
    fixture_record(&f, 27);
    f.data[f.len] = 0;
    char *fmt = strstr((char *)f.data, "format 1\n");
    ck_assert_ptr_nonnull(fmt);
    fmt[7] = '9';
    char err[256];
    ck_assert_ptr_null(replay_load_mem(f.data, f.len, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "format 9; this softvisor reads format 1"));
    fixture_done(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("log");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, replay_recorded_run_completes_with_recorded_status);
    tcase_add_test(tc, replay_ram_flip_diverges);
    tcase_add_test(tc, replay_every_prefix_refused_or_ends_early);
    tcase_add_test(tc, replay_check_machine_other_ram_names_ram);
    tcase_add_test(tc, replay_load_other_format_names_version);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
