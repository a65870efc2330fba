/*
 * test_hpet.c — the HPET (devices/hpet.c) through the physical address space as the CPU's MMIO
 * accesses would reach it, with the virtual clock stepped by hand.
 *
 * IA-PC HPET 1.0a: GCAP_ID 0x000, GEN_CONF 0x010 (ENABLE_CNF, LEG_RT_CNF), GINTR_STA 0x020,
 * MAIN_CNT 0x0F0, Tn_CONF_CAP 0x100 + 0x20 n, Tn_COMPARATOR 0x108 + 0x20 n.  The counter runs at
 * 100 MHz: one tick per 10 ns of virtual time.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/hpet.h"
#include "mem/phys.h"
#include "vm/clock.h"

#define GCAP 0x000
#define GCONF 0x010
#define GISR 0x020
#define MAIN 0x0f0
#define TCONF(n) (0x100 + 0x20 * (n))
#define TCMP(n) (0x108 + 0x20 * (n))

#define ENABLE 0x1
#define LEGACY 0x2
#define INT_LEVEL 0x2
#define INT_ENB 0x4
#define PERIODIC 0x8
#define VAL_SET 0x40
#define MODE32 0x100
#define ROUTE(p) ((p) << 9)

enum { OUT_PIN2, OUT_IRQ0, OUT_IRQ8, NOUT };

typedef struct Fix {
    PhysMem mem;
    Clock clock;
    uint64_t icount;
    HpetState *hpet;
    int level[NOUT];
    int rises[NOUT];
} Fix;

static void on_irq(void *opaque, int line, int level)
{
    Fix *f = opaque;
    ck_assert(line >= 0 && line < NOUT);
    if (level && !f->level[line])
        f->rises[line]++;
    f->level[line] = level;
}

static Fix *fix_new(void)
{
    Fix *f = calloc(1, sizeof(*f));
    phys_init(&f->mem);
    clock_init(&f->clock, &f->icount);
    f->hpet = hpet_new(&f->mem, HPET_BASE, &f->clock, (IrqLine){ on_irq, f, OUT_IRQ0 },
                       (IrqLine){ on_irq, f, OUT_IRQ8 });
    ck_assert_ptr_nonnull(f->hpet);
    hpet_connect_pin(f->hpet, 2, (IrqLine){ on_irq, f, OUT_PIN2 });
    return f;
}

static void fix_free(Fix *f)
{
    free(f->hpet);
    free(f);
}

static uint64_t rd(Fix *f, uint64_t off, int size)
{
    return phys_mem_read(&f->mem, HPET_BASE + off, size);
}

static void wr(Fix *f, uint64_t off, int size, uint64_t val)
{
    phys_mem_write(&f->mem, HPET_BASE + off, size, val);
}

/* Runs the virtual clock to `t` ns, firing the events due on the way in order. */
static void run_to(Fix *f, uint64_t t)
{
    for (;;) {
        uint64_t d = clock_next_deadline(&f->clock);
        if (d > t)
            break;
        f->icount = d;
        clock_run_due(&f->clock);
    }
    f->icount = t;
    clock_run_due(&f->clock);
}

START_TEST(hpet_capabilities_report_three_64bit_timers_at_100mhz)
{
    Fix *f = fix_new();
    ck_assert_uint_eq(rd(f, GCAP, 8), 0x009896808086a201ull);
    ck_assert_uint_eq(rd(f, GCAP + 4, 4), 10000000);               /* period in fs */
    ck_assert_uint_eq(rd(f, GCAP, 4), 0x8086a201);
    for (int n = 0; n < 3; n++) {
        ck_assert_uint_eq(rd(f, TCONF(n), 8), 0x0000000400000030ull);  /* PER, SIZE, pin 2 */
        ck_assert_uint_eq(rd(f, TCMP(n), 8), ~0ull);
    }
    wr(f, GCAP, 8, 0);                                             /* read-only */
    ck_assert_uint_eq(rd(f, GCAP, 8), 0x009896808086a201ull);
    wr(f, TCONF(0), 8, ~0ull);                                     /* caps and FSB read-only */
    ck_assert_uint_eq(rd(f, TCONF(0), 8), 0x0000000400003f7eull);
    ck_assert_uint_eq(rd(f, 0x3f8, 4), 0);                         /* unknown: 0 */
    fix_free(f);
}
END_TEST

START_TEST(hpet_main_counter_runs_at_100mhz_only_while_enabled)
{
    Fix *f = fix_new();
    f->icount = 5000;
    ck_assert_uint_eq(rd(f, MAIN, 8), 0);                          /* halted */
    wr(f, GCONF, 4, ENABLE);
    f->icount = 5000 + 1000000000ull;                              /* one virtual second */
    ck_assert_uint_eq(rd(f, MAIN, 8), 100000000);
    f->icount += 9;
    ck_assert_uint_eq(rd(f, MAIN, 4), 100000000);
    f->icount += 1;
    ck_assert_uint_eq(rd(f, MAIN, 4), 100000001);
    wr(f, GCONF, 4, 0);
    f->icount += 123456;
    ck_assert_uint_eq(rd(f, MAIN, 8), 100000001);                  /* frozen */
    /* writable while halted, by halves or whole */
    wr(f, MAIN + 4, 4, 0x12345678);
    ck_assert_uint_eq(rd(f, MAIN, 8), 0x1234567805f5e101ull);
    wr(f, MAIN, 8, 0xfffffffffffffff0ull);
    ck_assert_uint_eq(rd(f, MAIN + 4, 4), 0xffffffffu);
    wr(f, GCONF, 4, ENABLE);
    f->icount += 200;                                              /* 20 ticks: 64-bit wrap */
    ck_assert_uint_eq(rd(f, MAIN, 8), 4);
    /* a long run: a virtual day */
    wr(f, GCONF, 4, 0);
    wr(f, MAIN, 8, 0);
    wr(f, GCONF, 4, ENABLE);
    f->icount += 86400ull * 1000000000ull;
    ck_assert_uint_eq(rd(f, MAIN, 8), 86400ull * 100000000ull);
    fix_free(f);
}
END_TEST

START_TEST(hpet_oneshot_comparator_fires_once_at_match)
{
    Fix *f = fix_new();
    wr(f, TCONF(2), 4, INT_ENB | ROUTE(2));                        /* edge, routed to pin 2 */
    wr(f, TCMP(2), 8, 1000);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), CLOCK_NEVER); /* not enabled yet */
    f->icount = 777;
    wr(f, GCONF, 4, ENABLE);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), 777 + 10000);
    run_to(f, 777 + 9999);
    ck_assert_int_eq(f->rises[OUT_PIN2], 0);
    run_to(f, 777 + 10000);
    ck_assert_int_eq(f->rises[OUT_PIN2], 1);
    ck_assert_int_eq(f->level[OUT_PIN2], 0);                       /* edge: a pulse */
    ck_assert_uint_eq(rd(f, GISR, 4), 0);                          /* no status for edge */
    ck_assert_uint_eq(clock_next_deadline(&f->clock), CLOCK_NEVER); /* 64-bit: no wrap soon */
    run_to(f, 1000000000ull);
    ck_assert_int_eq(f->rises[OUT_PIN2], 1);
    ck_assert_int_eq(f->rises[OUT_IRQ0] + f->rises[OUT_IRQ8], 0);
    fix_free(f);
}
END_TEST

START_TEST(hpet_periodic_comparator_accumulates_period)
{
    Fix *f = fix_new();
    /* Linux's sequence: PERIODIC | VAL_SET, comparator = now + delta, then the period */
    wr(f, TCONF(2), 4, INT_ENB | PERIODIC | VAL_SET | ROUTE(2));
    wr(f, TCMP(2), 8, 500);
    wr(f, TCMP(2), 8, 250);
    ck_assert_uint_eq(rd(f, TCMP(2), 8), 500);                     /* second write: period only */
    ck_assert_uint_eq(rd(f, TCONF(2), 4) & VAL_SET, 0);
    wr(f, GCONF, 4, ENABLE);
    run_to(f, 5000);
    ck_assert_int_eq(f->rises[OUT_PIN2], 1);
    ck_assert_uint_eq(rd(f, TCMP(2), 8), 750);
    run_to(f, 5000 + 2500 * 10);
    ck_assert_int_eq(f->rises[OUT_PIN2], 11);
    ck_assert_uint_eq(rd(f, TCMP(2), 8), 500 + 11 * 250);
    /* a match handled late (the counter moved on) steps the comparator past the counter */
    ck_assert_uint_eq(clock_next_deadline(&f->clock), 32500);
    f->icount = 32500 + 1005 * 10;                                 /* counter 4255 */
    clock_run_due(&f->clock);
    ck_assert_int_eq(f->rises[OUT_PIN2], 12);
    ck_assert_uint_eq(rd(f, TCMP(2), 8), 4500);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), 45000);
    /* period 0: the comparator stays, so after this match nothing follows (64-bit counter) */
    wr(f, TCONF(2), 4, INT_ENB | PERIODIC | ROUTE(2));
    wr(f, TCMP(2), 8, 0);
    ck_assert_uint_eq(rd(f, TCMP(2), 8), 4500);
    run_to(f, 45000);
    ck_assert_int_eq(f->rises[OUT_PIN2], 13);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), CLOCK_NEVER);
    fix_free(f);
}
END_TEST

START_TEST(hpet_32bit_mode_matches_low_half_and_wraps)
{
    Fix *f = fix_new();
    wr(f, TCONF(1), 4, INT_ENB | MODE32 | ROUTE(2));
    ck_assert_uint_eq(rd(f, TCMP(1), 8), 0xffffffffu);             /* truncated to 32 bits */
    wr(f, TCMP(1) + 4, 4, 0x1);                                    /* high half ignored */
    wr(f, TCMP(1), 4, 0x10);
    ck_assert_uint_eq(rd(f, TCMP(1), 8), 0x10);
    wr(f, MAIN, 8, 0x00000005fffffff0ull);
    wr(f, GCONF, 4, ENABLE);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), 0x20 * 10);  /* low half wraps to 0x10 */
    run_to(f, 0x20 * 10);
    ck_assert_int_eq(f->rises[OUT_PIN2], 1);
    ck_assert_uint_eq(rd(f, MAIN, 8), 0x0000000600000010ull);
    /* one-shot in 32-bit mode: the next match is a full 2^32 ticks later */
    ck_assert_uint_eq(clock_next_deadline(&f->clock), 0x20 * 10 + (1ull << 32) * 10);
    /* periodic 32-bit: the comparator wraps at 32 bits */
    wr(f, TCONF(1), 4, INT_ENB | MODE32 | PERIODIC | VAL_SET | ROUTE(2));
    wr(f, TCMP(1), 4, 0x20);
    wr(f, TCMP(1), 4, 0xfffffff0u);
    run_to(f, 0x20 * 10 + 0x10 * 10);
    ck_assert_int_eq(f->rises[OUT_PIN2], 2);
    ck_assert_uint_eq(rd(f, TCMP(1), 8), 0x10);                    /* 0x20 + 0xfffffff0 */
    fix_free(f);
}
END_TEST

START_TEST(hpet_legacy_replacement_routes_timer0_irq0_timer1_irq8)
{
    Fix *f = fix_new();
    ck_assert(!hpet_legacy_replacement(f->hpet));
    wr(f, GCONF, 4, ENABLE | LEGACY);
    ck_assert(hpet_legacy_replacement(f->hpet));
    wr(f, TCONF(0), 4, INT_ENB | ROUTE(2));                        /* route ignored in legacy */
    wr(f, TCONF(1), 4, INT_ENB | ROUTE(2));
    wr(f, TCONF(2), 4, INT_ENB | ROUTE(2));
    wr(f, TCMP(0), 8, 100);
    wr(f, TCMP(1), 8, 200);
    wr(f, TCMP(2), 8, 300);
    run_to(f, 1000);
    ck_assert_int_eq(f->rises[OUT_IRQ0], 1);
    ck_assert_int_eq(f->rises[OUT_IRQ8], 0);
    run_to(f, 2000);
    ck_assert_int_eq(f->rises[OUT_IRQ8], 1);
    ck_assert_int_eq(f->rises[OUT_PIN2], 0);
    run_to(f, 3000);
    ck_assert_int_eq(f->rises[OUT_PIN2], 1);                       /* timer 2 keeps its route */
    ck_assert_int_eq(f->rises[OUT_IRQ0], 1);
    /* without legacy replacement, timer 0 uses its route again */
    wr(f, GCONF, 4, ENABLE);
    ck_assert(!hpet_legacy_replacement(f->hpet));
    wr(f, TCMP(0), 8, 400);
    run_to(f, 4000);
    ck_assert_int_eq(f->rises[OUT_PIN2], 2);
    ck_assert_int_eq(f->rises[OUT_IRQ0], 1);
    fix_free(f);
}
END_TEST

START_TEST(hpet_level_interrupt_held_until_status_cleared)
{
    Fix *f = fix_new();
    wr(f, TCONF(0), 4, INT_LEVEL | INT_ENB | ROUTE(2));
    wr(f, TCMP(0), 8, 50);
    wr(f, GCONF, 4, ENABLE);
    run_to(f, 500);
    ck_assert_int_eq(f->level[OUT_PIN2], 1);
    ck_assert_uint_eq(rd(f, GISR, 4), 0x1);
    wr(f, GISR, 4, 0x6);                                           /* other bits: no effect */
    ck_assert_int_eq(f->level[OUT_PIN2], 1);
    wr(f, GISR, 4, 0x1);
    ck_assert_int_eq(f->level[OUT_PIN2], 0);
    ck_assert_uint_eq(rd(f, GISR, 4), 0);
    /* status without INT_ENB: set, but the line stays low until INT_ENB */
    wr(f, TCONF(0), 4, INT_LEVEL | ROUTE(2));
    wr(f, TCMP(0), 8, 100);
    run_to(f, 1000);
    ck_assert_uint_eq(rd(f, GISR, 8), 0x1);
    ck_assert_int_eq(f->level[OUT_PIN2], 0);
    wr(f, TCONF(0), 4, INT_LEVEL | INT_ENB | ROUTE(2));
    ck_assert_int_eq(f->level[OUT_PIN2], 1);
    wr(f, GCONF, 4, 0);                                            /* halting drops the line */
    ck_assert_int_eq(f->level[OUT_PIN2], 0);
    wr(f, GCONF, 4, ENABLE);
    ck_assert_int_eq(f->level[OUT_PIN2], 1);
    wr(f, TCONF(0), 4, INT_ENB | ROUTE(2));                        /* edge: status cleared */
    ck_assert_int_eq(f->level[OUT_PIN2], 0);
    ck_assert_uint_eq(rd(f, GISR, 4), 0);
    ck_assert_int_eq(f->rises[OUT_PIN2], 3);
    fix_free(f);
}
END_TEST

START_TEST(hpet_reset_halts_counter_and_drops_lines)
{
    Fix *f = fix_new();
    wr(f, TCONF(0), 4, INT_LEVEL | INT_ENB | ROUTE(2));
    wr(f, TCMP(0), 8, 10);
    wr(f, GCONF, 4, ENABLE);
    run_to(f, 1000);
    ck_assert_int_eq(f->level[OUT_PIN2], 1);
    hpet_reset(f->hpet);
    ck_assert_int_eq(f->level[OUT_PIN2], 0);
    ck_assert_uint_eq(rd(f, GCONF, 8), 0);
    ck_assert_uint_eq(rd(f, MAIN, 8), 0);
    ck_assert_uint_eq(rd(f, TCONF(0), 8), 0x0000000400000030ull);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), CLOCK_NEVER);
    fix_free(f);
}
END_TEST

/* Hostile guest: random 32/64-bit writes anywhere in the page while the clock runs.  Nothing
 * may crash or loop, and every armed deadline must lie in the future of its arming time. */
START_TEST(hpet_random_register_writes_keep_running)
{
    Fix *f = fix_new();
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t off = (x >> 8) % 0x180 & ~3ull;
        int size = (x & 1) ? 8 : 4;
        uint64_t val = x * 0x2545f4914f6cdd1dull;
        if ((x >> 40 & 7) == 0)
            val &= 0xff;                         /* small comparators and periods too */
        if (off == GCONF)
            val |= ENABLE;
        wr(f, off & (size == 8 ? ~7ull : ~3ull), size, val);
        uint64_t d = clock_next_deadline(&f->clock);
        ck_assert(d == CLOCK_NEVER || d >= f->icount);
        run_to(f, f->icount + (x >> 50 & 0xfff));
    }
    fix_free(f);
}
END_TEST

static Suite *hpet_suite(void)
{
    Suite *s = suite_create("hpet");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, hpet_capabilities_report_three_64bit_timers_at_100mhz);
    tcase_add_test(tc, hpet_main_counter_runs_at_100mhz_only_while_enabled);
    tcase_add_test(tc, hpet_oneshot_comparator_fires_once_at_match);
    tcase_add_test(tc, hpet_periodic_comparator_accumulates_period);
    tcase_add_test(tc, hpet_32bit_mode_matches_low_half_and_wraps);
    tcase_add_test(tc, hpet_legacy_replacement_routes_timer0_irq0_timer1_irq8);
    tcase_add_test(tc, hpet_level_interrupt_held_until_status_cleared);
    tcase_add_test(tc, hpet_reset_halts_counter_and_drops_lines);
    tcase_add_test(tc, hpet_random_register_writes_keep_running);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hpet_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
