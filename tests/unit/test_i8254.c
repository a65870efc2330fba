/*
 * test_i8254.c — the 8254 PIT and port 0x61 (devices/i8254.c), driven through the port bus while
 * a local virtual clock advances, as the CPU's IN/OUT and the run loop would.
 *
 * Tick T of the 1.193182 MHz CLK happens at ceil(T * 1e9 / 1193182) ns.  A count N written at
 * tick 0 reaches CE at tick 1 (k = 0), so in mode 0 OUT rises at tick N + 1 (Intel 8254
 * datasheet, "mode 0"), a mode 2 period of N has its one-CLK low pulse at ticks N, 2N, ...
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/i8254.h"
#include "mem/io.h"
#include "vm/clock.h"
#include "vm/vm.h"

typedef struct Rig {
    IoBus bus;
    Clock clock;
    uint64_t icount;
    PitState *pit;
    int n;                    /* IRQ 0 level changes recorded */
    uint64_t when[64];
    int level[64];
} Rig;

static void rig_irq(void *opaque, int line, int level)
{
    Rig *r = opaque;
    ck_assert_int_eq(line, 0);
    if (r->n < 64) {
        r->when[r->n] = clock_now(&r->clock);
        r->level[r->n] = level;
    }
    r->n++;
}

static Rig *rig_new(bool listen)
{
    Rig *r = calloc(1, sizeof(*r));
    io_init(&r->bus);
    clock_init(&r->clock, &r->icount);
    r->pit = pit_new(&r->bus, &r->clock, listen ? (IrqLine){ rig_irq, r, 0 } : (IrqLine){ 0 });
    ck_assert_ptr_nonnull(r->pit);
    r->n = 0;
    return r;
}

static void rig_free(Rig *r)
{
    free(r->pit);
    free(r);
}

/* Runs the clock to `ns` as vm_run does: stopping exactly at every deadline on the way. */
static void rig_advance(Rig *r, uint64_t ns)
{
    for (;;) {
        uint64_t d = clock_next_deadline(&r->clock);
        if (d > ns)
            break;
        if (d > r->icount)
            r->icount = d;
        clock_run_due(&r->clock);
    }
    r->icount = ns;
    clock_run_due(&r->clock);
}

static uint64_t tick_ns(uint64_t t)
{
    return (t * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

static void out8(Rig *r, uint16_t port, uint8_t v)
{
    io_out(&r->bus, port, 1, v);
}

static uint8_t in8(Rig *r, uint16_t port)
{
    return (uint8_t)io_in(&r->bus, port, 1);
}

static void program(Rig *r, int ch, uint8_t ctrl, uint16_t count)
{
    out8(r, 0x43, (uint8_t)(ch << 6 | ctrl));
    out8(r, 0x40 + ch, count & 0xff);
    out8(r, 0x40 + ch, count >> 8);
}

static uint16_t read_latched(Rig *r, int ch)
{
    out8(r, 0x43, (uint8_t)(ch << 6));   /* counter latch */
    uint16_t lo = in8(r, 0x40 + ch);
    return (uint16_t)(lo | in8(r, 0x40 + ch) << 8);
}

static bool out2(Rig *r)
{
    return (in8(r, 0x61) & 0x20) != 0;
}

/* Asserts that IRQ 0 changed to the given levels at exactly the given ticks. */
static void expect_edges(Rig *r, int n, const uint64_t *ticks, const int *levels)
{
    ck_assert_int_eq(r->n, n);
    for (int i = 0; i < n; i++) {
        ck_assert_uint_eq(r->when[i], tick_ns(ticks[i]));
        ck_assert_int_eq(r->level[i], levels[i]);
    }
}

START_TEST(pit_mode0_out_rises_count_plus_one_ticks_after_write)
{
    Rig *r = rig_new(true);
    program(r, 0, 0x30, 100);
    ck_assert(!pit_out(r->pit, 0));
    rig_advance(r, tick_ns(101) - 1);
    ck_assert_int_eq(r->n, 0);
    rig_advance(r, tick_ns(300));
    expect_edges(r, 1, (const uint64_t[]){ 101 }, (const int[]){ 1 });
    ck_assert(pit_out(r->pit, 0));
    ck_assert_uint_eq(clock_next_deadline(&r->clock), CLOCK_NEVER);   /* one-shot: nothing more */
    rig_free(r);
}
END_TEST

START_TEST(pit_mode0_new_count_sets_out_low_and_restarts)
{
    Rig *r = rig_new(true);
    program(r, 0, 0x30, 10);
    rig_advance(r, tick_ns(20));
    ck_assert(pit_out(r->pit, 0));
    out8(r, 0x40, 50);   /* first byte: counting stops and OUT goes low at once */
    ck_assert(!pit_out(r->pit, 0));
    rig_advance(r, tick_ns(40));
    ck_assert(!pit_out(r->pit, 0));
    out8(r, 0x40, 0);    /* count 50 loaded at tick 41 */
    rig_advance(r, tick_ns(91) - 1);
    ck_assert(!pit_out(r->pit, 0));
    rig_advance(r, tick_ns(91));
    expect_edges(r, 3, (const uint64_t[]){ 11, 20, 91 }, (const int[]){ 1, 0, 1 });
    rig_free(r);
}
END_TEST

START_TEST(pit_mode2_pulses_low_one_tick_each_period)
{
    Rig *r = rig_new(true);
    program(r, 0, 0x34, 10);   /* the control word sets OUT high: IRQ 0 rises at once */
    ck_assert(pit_out(r->pit, 0));
    rig_advance(r, tick_ns(31) + 5);
    expect_edges(r, 7, (const uint64_t[]){ 0, 10, 11, 20, 21, 30, 31 }, (const int[]){ 1, 0, 1, 0, 1, 0, 1 });
    rig_free(r);
}
END_TEST

START_TEST(pit_mode2_count_reads_down_and_reloads)
{
    Rig *r = rig_new(false);
    program(r, 0, 0x34, 1000);
    rig_advance(r, tick_ns(100));
    ck_assert_uint_eq(read_latched(r, 0), 1000 - 99);
    rig_advance(r, tick_ns(1000));
    ck_assert_uint_eq(read_latched(r, 0), 1);
    rig_advance(r, tick_ns(1001));
    ck_assert_uint_eq(read_latched(r, 0), 1000);
    rig_free(r);
}
END_TEST

START_TEST(pit_mode2_new_count_waits_for_end_of_period)
{
    Rig *r = rig_new(true);
    program(r, 0, 0x34, 100);
    r->n = 0;   /* the control word set OUT high */
    rig_advance(r, tick_ns(50));
    out8(r, 0x40, 20);
    out8(r, 0x40, 0);
    rig_advance(r, tick_ns(150));
    /* the old period ends at tick 100/101; then periods of 20: low at 120, 140 */
    expect_edges(r, 6, (const uint64_t[]){ 100, 101, 120, 121, 140, 141 }, (const int[]){ 0, 1, 0, 1, 0, 1 });
    rig_free(r);
}
END_TEST

START_TEST(pit_mode3_square_wave_even_and_odd_counts)
{
    Rig *r = rig_new(true);
    program(r, 0, 0x36, 10);
    r->n = 0;   /* the control word set OUT high */
    rig_advance(r, tick_ns(21));
    expect_edges(r, 4, (const uint64_t[]){ 6, 11, 16, 21 }, (const int[]){ 0, 1, 0, 1 });
    rig_free(r);

    r = rig_new(true);
    program(r, 0, 0x36, 5);   /* high 3 ticks, low 2 */
    r->n = 0;   /* the control word set OUT high */
    rig_advance(r, tick_ns(11));
    expect_edges(r, 4, (const uint64_t[]){ 4, 6, 9, 11 }, (const int[]){ 0, 1, 0, 1 });
    rig_free(r);
}
END_TEST

START_TEST(pit_mode3_default_count_gives_18_2_hz)
{
    Rig *r = rig_new(true);
    program(r, 0, 0x36, 0);   /* 65536 */
    r->n = 0;   /* the control word set OUT high */
    rig_advance(r, 1000000000ull);
    /* two level changes per period; 1193182 / 65536 = 18.2 periods in one second */
    ck_assert_int_eq(r->n, 36);
    ck_assert_uint_eq(r->when[1], tick_ns(65537));
    rig_free(r);
}
END_TEST

START_TEST(pit_mode4_strobe_once)
{
    Rig *r = rig_new(true);
    program(r, 0, 0x38, 10);
    r->n = 0;   /* the control word set OUT high */
    rig_advance(r, tick_ns(100));
    expect_edges(r, 2, (const uint64_t[]){ 11, 12 }, (const int[]){ 0, 1 });
    rig_free(r);
}
END_TEST

START_TEST(pit_mode1_one_shot_started_by_gate)
{
    Rig *r = rig_new(false);
    out8(r, 0x61, 0);
    program(r, 2, 0x32, 10);
    r->icount = tick_ns(5);
    ck_assert(out2(r));
    r->icount = tick_ns(30);
    ck_assert(out2(r));   /* no trigger yet */
    out8(r, 0x61, 1);     /* gate rising at tick 30: CE loaded at 31 */
    r->icount = tick_ns(31);
    ck_assert(!out2(r));
    r->icount = tick_ns(40);
    ck_assert(!out2(r));
    r->icount = tick_ns(41);
    ck_assert(out2(r));
    out8(r, 0x61, 0);     /* retrigger */
    out8(r, 0x61, 1);
    r->icount = tick_ns(42);
    ck_assert(!out2(r));
    r->icount = tick_ns(52);
    ck_assert(out2(r));
    rig_free(r);
}
END_TEST

START_TEST(pit_mode5_strobe_after_gate_trigger)
{
    Rig *r = rig_new(false);
    program(r, 2, 0x3a, 10);
    r->icount = tick_ns(50);
    ck_assert(out2(r));
    out8(r, 0x61, 1);     /* trigger at tick 50 */
    r->icount = tick_ns(60);
    ck_assert(out2(r));
    r->icount = tick_ns(61);
    ck_assert(!out2(r));
    r->icount = tick_ns(62);
    ck_assert(out2(r));
    rig_free(r);
}
END_TEST

START_TEST(pit_readback_status_shows_out_null_count_and_control)
{
    Rig *r = rig_new(false);
    program(r, 0, 0x34, 100);
    out8(r, 0x43, 0xe2);          /* read-back: status of counter 0 */
    ck_assert_uint_eq(in8(r, 0x40), 0x80 | 0x40 | 0x34);   /* OUT high, count not yet loaded */
    r->icount = tick_ns(1);
    out8(r, 0x43, 0xc2);          /* count and status of counter 0 */
    r->icount = tick_ns(50);      /* the latch holds the value of tick 1 */
    ck_assert_uint_eq(in8(r, 0x40), 0x80 | 0x34);
    ck_assert_uint_eq(in8(r, 0x40), 100);
    ck_assert_uint_eq(in8(r, 0x40), 0);
    program(r, 1, 0x30, 5);
    r->icount = tick_ns(60);
    out8(r, 0x43, 0xe4);          /* status of counter 1: mode 0, OUT high after terminal count */
    ck_assert_uint_eq(in8(r, 0x41), 0x80 | 0x30);
    rig_free(r);
}
END_TEST

START_TEST(pit_latch_holds_until_read_second_latch_ignored)
{
    Rig *r = rig_new(false);
    program(r, 0, 0x30, 1000);
    r->icount = tick_ns(11);
    out8(r, 0x43, 0x00);
    r->icount = tick_ns(500);
    out8(r, 0x43, 0x00);          /* ignored: the first latch was not read */
    uint16_t lo = in8(r, 0x40);
    ck_assert_uint_eq(lo | in8(r, 0x40) << 8, 990);
    ck_assert_uint_eq(read_latched(r, 0), 1000 - 499);
    rig_free(r);
}
END_TEST

START_TEST(pit_bcd_count_reads_bcd)
{
    Rig *r = rig_new(false);
    program(r, 0, 0x31, 0x0100);  /* mode 0, BCD 100 */
    r->icount = tick_ns(51);
    ck_assert_uint_eq(read_latched(r, 0), 0x0050);
    program(r, 0, 0x35, 0x0000);  /* mode 2, BCD 0 = 10000 */
    r->icount = tick_ns(52);
    ck_assert_uint_eq(read_latched(r, 0), 0x0000);   /* 10000 shows as 0000 */
    r->icount = tick_ns(53);
    ck_assert_uint_eq(read_latched(r, 0), 0x9999);
    rig_free(r);
}
END_TEST

START_TEST(pit_lsb_only_msb_only_and_lohi_flip_flop)
{
    Rig *r = rig_new(false);
    out8(r, 0x43, 0x10);          /* counter 0, LSB only, mode 0 */
    out8(r, 0x40, 0x20);
    r->icount = tick_ns(1);
    ck_assert_uint_eq(in8(r, 0x40), 0x20);
    r->icount = tick_ns(0x21);
    ck_assert(pit_out(r->pit, 0));
    out8(r, 0x43, 0x24);          /* MSB only, mode 2 */
    out8(r, 0x40, 0x01);          /* count 0x100 */
    r->icount = tick_ns(0x22);
    ck_assert_uint_eq(in8(r, 0x40), 0x01);
    r->icount = tick_ns(0x23);
    ck_assert_uint_eq(in8(r, 0x40), 0x00);   /* 0xff: MSB 0 */
    out8(r, 0x43, 0x34);          /* LSB then MSB */
    out8(r, 0x40, 0x34);
    out8(r, 0x40, 0x12);
    r->icount = tick_ns(0x24);    /* loaded at 0x24: CE 0x1234 */
    ck_assert_uint_eq(in8(r, 0x40), 0x34);
    ck_assert_uint_eq(in8(r, 0x40), 0x12);
    ck_assert_uint_eq(in8(r, 0x40), 0x34);   /* the read flip-flop wrapped to the LSB */
    rig_free(r);
}
END_TEST

START_TEST(pit_gate2_from_port61_controls_channel2)
{
    Rig *r = rig_new(false);
    ck_assert_uint_eq(in8(r, 0x61) & 0x0f, 0);
    out8(r, 0x61, 0x03);          /* gate 2 on, speaker data on */
    ck_assert_uint_eq(in8(r, 0x61) & 0x0f, 0x03);
    program(r, 2, 0x30, 100);     /* mode 0 */
    r->icount = tick_ns(50);
    ck_assert(!out2(r));
    out8(r, 0x61, 0x00);          /* gate off: counting suspended after 49 edges */
    r->icount = tick_ns(1000);
    ck_assert(!out2(r));
    ck_assert_uint_eq(read_latched(r, 2), 100 - 49);
    out8(r, 0x61, 0x01);          /* resumes at 1000 */
    r->icount = tick_ns(1050);
    ck_assert(!out2(r));
    r->icount = tick_ns(1051);
    ck_assert(out2(r));
    /* mode 2: gate low forces OUT high and the rising edge reloads */
    program(r, 2, 0x34, 10);
    r->icount = tick_ns(1061);
    ck_assert(!out2(r));
    out8(r, 0x61, 0x00);
    ck_assert(out2(r));
    r->icount = tick_ns(2000);
    out8(r, 0x61, 0x01);
    r->icount = tick_ns(2009);
    ck_assert(out2(r));
    r->icount = tick_ns(2010);   /* reloaded at 2001: CE = 1 at 2010 */
    ck_assert(!out2(r));
    rig_free(r);
}
END_TEST

START_TEST(pit_port61_refresh_bit_toggles_every_15085_ns)
{
    Rig *r = rig_new(false);
    r->icount = 0;
    ck_assert_uint_eq(in8(r, 0x61) & 0x10, 0);
    r->icount = 15084;
    ck_assert_uint_eq(in8(r, 0x61) & 0x10, 0);
    r->icount = 15085;
    ck_assert_uint_eq(in8(r, 0x61) & 0x10, 0x10);
    r->icount = 2 * 15085;
    ck_assert_uint_eq(in8(r, 0x61) & 0x10, 0);
    ck_assert_uint_eq(in8(r, 0x61) & 0xc0, 0);   /* no IOCHK/SERR */
    rig_free(r);
}
END_TEST

START_TEST(pit_mode0_msb_counts_down_linearly_for_quick_calibration)
{
    /* Linux quick_pit_calibrate: channel 2, mode 0, count 0xffff, reads LSB then MSB unlatched */
    Rig *r = rig_new(false);
    out8(r, 0x61, 0x01);
    program(r, 2, 0x30, 0xffff);
    for (uint64_t t = 1; t < 200000; t += 997) {
        r->icount = tick_ns(t);
        uint16_t lo = in8(r, 0x42);
        uint16_t v = (uint16_t)(lo | in8(r, 0x42) << 8);
        ck_assert_uint_eq(v, (uint16_t)(0xffff - (t - 1)));   /* wraps past 0 and keeps counting */
    }
    rig_free(r);
}
END_TEST

START_TEST(pit_no_listener_schedules_nothing)
{
    Rig *r = rig_new(false);
    program(r, 0, 0x34, 2);
    ck_assert_uint_eq(clock_next_deadline(&r->clock), CLOCK_NEVER);
    rig_free(r);
    r = rig_new(true);
    program(r, 0, 0x34, 1000);
    ck_assert_uint_eq(clock_next_deadline(&r->clock), tick_ns(1000));
    rig_free(r);
}
END_TEST

START_TEST(pit_counts_exact_after_a_long_time)
{
    /* an hour later, the count is still a function of the absolute tick */
    Rig *r = rig_new(false);
    program(r, 0, 0x34, 11932);
    uint64_t ns = 3600ull * 1000000000ull + 123456;
    r->icount = ns;
    uint64_t t = ns * PIT_HZ / 1000000000ull;
    ck_assert_uint_eq(read_latched(r, 0), 11932 - (t - 1) % 11932);
    rig_free(r);

    /* ten seconds of 100 Hz interrupts: the last edge is exactly on its tick, no drift */
    r = rig_new(true);
    program(r, 0, 0x34, 11932);
    r->n = 0;
    rig_advance(r, 10ull * 1000000000ull);
    t = 10ull * PIT_HZ;
    ck_assert_int_eq(r->n, (int)(t / 11932 + (t - 1) / 11932));   /* low at 11932 j, high after */
    ck_assert_uint_eq(clock_next_deadline(&r->clock), tick_ns((t / 11932 + 1) * 11932));
    rig_free(r);
}
END_TEST

START_TEST(pit_random_guest_writes_never_arm_a_past_deadline)
{
    /* hostile guest: random control words, counts, gates and reads; after every step the next
     * deadline lies in the future (a deadline at or before now would stall the run loop) */
    Rig *r = rig_new(true);
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x43, 0x61 };
        uint16_t port = ports[x % 6];
        if ((x >> 8) & 1)
            out8(r, port, (uint8_t)(x >> 16));
        else
            in8(r, port);
        uint64_t step = (x >> 24) & 0x3ff;
        if (((x >> 40) & 0xff) == 0)
            step = (x >> 24) & 0xffffff;
        rig_advance(r, r->icount + step);
        ck_assert_uint_gt(clock_next_deadline(&r->clock), r->icount);
    }
    rig_free(r);
}
END_TEST

/* A VM whose 4 KiB BIOS holds `code` at its start (CS:F000) and a jump to it at the reset vector. */
static Vm *vm_with_code(const uint8_t *code, size_t n)
{
    char path[] = "/tmp/softvisor-test-pit-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *rom = calloc(1, 4096);
    memcpy(rom, code, n);
    static const uint8_t reset[] = { 0xe9, 0x0d, 0xf0 };   /* fff0: jmp 0xf000 */
    memcpy(rom + 0xff0, reset, sizeof(reset));
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

START_TEST(pit_tsc_calibration_against_channel2_measures_1ghz)
{
    /* Linux pit_calibrate_tsc: gate 2 on, speaker off, mode 0 with 10 ms of ticks, poll OUT2 */
    static const uint8_t code[] = {
        0xb0, 0x01,             /* mov al, 1 */
        0xe6, 0x61,             /* out 0x61, al */
        0xb0, 0xb0,             /* mov al, 0xb0: counter 2, LSB then MSB, mode 0 */
        0xe6, 0x43,             /* out 0x43, al */
        0xb0, 0x9c,             /* mov al, 0x9c: 11932 = 0x2e9c */
        0xe6, 0x42,             /* out 0x42, al */
        0xb0, 0x2e,             /* mov al, 0x2e */
        0xe6, 0x42,             /* out 0x42, al */
        0x0f, 0x31,             /* rdtsc */
        0x66, 0x89, 0xc6,       /* mov esi, eax */
        0xe4, 0x61,             /* 1: in al, 0x61 */
        0xa8, 0x20,             /* test al, 0x20 */
        0x74, 0xfa,             /* jz 1b */
        0x0f, 0x31,             /* rdtsc */
        0x66, 0x29, 0xf0,       /* sub eax, esi */
        0xf4,                   /* hlt (IF = 0: the run ends) */
    };
    Vm *vm = vm_with_code(code, sizeof(code));
    ck_assert_int_eq(vm_run(vm, 100000000), VM_EXIT_HALTED);
    /* OUT2 rises 11933 ticks after the count write; the TSC runs at 1 GHz */
    uint64_t cycles = (uint32_t)vm->cpu->gpr[R_AX];
    uint64_t expect = tick_ns(11933);
    ck_assert_msg(cycles >= expect - 10 && cycles <= expect + 10, "measured %llu cycles, expected %llu",
                  (unsigned long long)cycles, (unsigned long long)expect);
    vm_free(vm);
}
END_TEST

START_TEST(pit_irq0_wakes_hlt_and_tsc_counts_halted_time)
{
    /* IRQ 0 through the 8259 wakes "sti; hlt"; the TSC keeps counting virtual time while halted */
    static const uint8_t code[] = {
        0xfa,                               /* f000: cli */
        0x31, 0xc0,                         /* xor ax, ax */
        0x8e, 0xd8,                         /* mov ds, ax */
        0xc7, 0x06, 0x20, 0x00, 0x3a, 0xf0, /* mov word [0x20], 0xf03a: IVT 8 -> handler */
        0xc7, 0x06, 0x22, 0x00, 0x00, 0xf0, /* mov word [0x22], 0xf000 */
        0xb0, 0x11, 0xe6, 0x20,             /* ICW1: edge, cascade, ICW4 */
        0xb0, 0x08, 0xe6, 0x21,             /* ICW2: vectors 8-15 */
        0xb0, 0x04, 0xe6, 0x21,             /* ICW3 */
        0xb0, 0x01, 0xe6, 0x21,             /* ICW4: 8086 */
        0xb0, 0xfe, 0xe6, 0x21,             /* OCW1: only IRQ 0 */
        0xb0, 0x30, 0xe6, 0x43,             /* counter 0, LSB then MSB, mode 0 */
        0xb0, 0xe8, 0xe6, 0x40,             /* count 1000 */
        0xb0, 0x03, 0xe6, 0x40,
        0x0f, 0x31,                         /* rdtsc */
        0x66, 0x89, 0xc6,                   /* mov esi, eax */
        0xfb,                               /* sti */
        0xf4,                               /* hlt */
        0xeb, 0xfe,                         /* jmp $ */
        0x0f, 0x31,                         /* f03a: rdtsc */
        0x66, 0x29, 0xf0,                   /* sub eax, esi */
        0xf4,                               /* hlt (IF = 0: the run ends) */
    };
    Vm *vm = vm_with_code(code, sizeof(code));
    ck_assert_int_eq(vm_run(vm, 1000000), VM_EXIT_HALTED);
    ck_assert_uint_eq(vm->cpu->rip & 0xffff, 0xf040);   /* halted in the handler */
    uint64_t cycles = (uint32_t)vm->cpu->gpr[R_AX];
    uint64_t expect = tick_ns(1001);
    ck_assert_msg(cycles >= expect - 40 && cycles <= expect + 10, "measured %llu cycles, expected %llu",
                  (unsigned long long)cycles, (unsigned long long)expect);
    ck_assert_uint_lt(vm->cpu->icount, 100);
    vm_free(vm);
}
END_TEST

static Suite *pit_suite(void)
{
    Suite *s = suite_create("i8254");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pit_mode0_out_rises_count_plus_one_ticks_after_write);
    tcase_add_test(tc, pit_mode0_new_count_sets_out_low_and_restarts);
    tcase_add_test(tc, pit_mode2_pulses_low_one_tick_each_period);
    tcase_add_test(tc, pit_mode2_count_reads_down_and_reloads);
    tcase_add_test(tc, pit_mode2_new_count_waits_for_end_of_period);
    tcase_add_test(tc, pit_mode3_square_wave_even_and_odd_counts);
    tcase_add_test(tc, pit_mode3_default_count_gives_18_2_hz);
    tcase_add_test(tc, pit_mode4_strobe_once);
    tcase_add_test(tc, pit_mode1_one_shot_started_by_gate);
    tcase_add_test(tc, pit_mode5_strobe_after_gate_trigger);
    tcase_add_test(tc, pit_readback_status_shows_out_null_count_and_control);
    tcase_add_test(tc, pit_latch_holds_until_read_second_latch_ignored);
    tcase_add_test(tc, pit_bcd_count_reads_bcd);
    tcase_add_test(tc, pit_lsb_only_msb_only_and_lohi_flip_flop);
    tcase_add_test(tc, pit_gate2_from_port61_controls_channel2);
    tcase_add_test(tc, pit_port61_refresh_bit_toggles_every_15085_ns);
    tcase_add_test(tc, pit_mode0_msb_counts_down_linearly_for_quick_calibration);
    tcase_add_test(tc, pit_no_listener_schedules_nothing);
    tcase_add_test(tc, pit_counts_exact_after_a_long_time);
    tcase_add_test(tc, pit_random_guest_writes_never_arm_a_past_deadline);
    tcase_add_test(tc, pit_tsc_calibration_against_channel2_measures_1ghz);
    tcase_add_test(tc, pit_irq0_wakes_hlt_and_tsc_counts_halted_time);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
