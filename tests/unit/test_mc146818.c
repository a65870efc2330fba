/*
 * test_mc146818.c — the MC146818A RTC and CMOS (devices/mc146818.c), driven through ports
 * 0x70/0x71 while a local virtual clock advances.
 *
 * The chip is created at virtual time 0 with its divider running, so updates happen at 1 s, 2 s,
 * ...; UIP reads 1 for the 244.14 us before each; the periodic flag comes every 65536 >> RS
 * 32.768 kHz cycles (RS >= 3) on the same divider chain.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/mc146818.h"
#include "mem/io.h"
#include "vm/clock.h"

#define SEC 1000000000ull
#define BASE_2026 1767225600ll   /* 2026-01-01T00:00:00Z, a Thursday */

typedef struct Rig {
    IoBus bus;
    Clock clock;
    uint64_t icount;
    RtcState *rtc;
    int level;                /* IRQ 8 */
    int rises;
    uint64_t rise_at[16];
} Rig;

static void rig_irq(void *opaque, int line, int level)
{
    Rig *r = opaque;
    ck_assert_int_eq(line, 8);
    if (level && !r->level) {
        if (r->rises < 16)
            r->rise_at[r->rises] = clock_now(&r->clock);
        r->rises++;
    }
    r->level = level;
}

static Rig *rig_new_mem(int64_t base, uint64_t low, uint64_t high)
{
    Rig *r = calloc(1, sizeof(*r));
    io_init(&r->bus);
    clock_init(&r->clock, &r->icount);
    r->rtc = rtc_new(&r->bus, &r->clock, (IrqLine){ rig_irq, r, 8 }, base, low, high);
    ck_assert_ptr_nonnull(r->rtc);
    return r;
}

static Rig *rig_new(int64_t base)
{
    return rig_new_mem(base, 128u << 20, 0);
}

static Rig *rig_at(const char *date)
{
    int64_t t;
    ck_assert_int_eq(rtc_parse_time(date, &t), 0);
    return rig_new(t);
}

static void rig_free(Rig *r)
{
    free(r->rtc);
    free(r);
}

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

static uint8_t cmos(Rig *r, uint8_t i)
{
    io_out(&r->bus, 0x70, 1, i);
    return (uint8_t)io_in(&r->bus, 0x71, 1);
}

static void cmos_set(Rig *r, uint8_t i, uint8_t v)
{
    io_out(&r->bus, 0x70, 1, i);
    io_out(&r->bus, 0x71, 1, v);
}

/* Asserts the time registers: seconds, minutes, hours, day of week, date, month, year, century. */
static void expect_time(Rig *r, const uint8_t t[8])
{
    static const uint8_t regs[8] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };
    for (int i = 0; i < 8; i++)
        ck_assert_msg(cmos(r, regs[i]) == t[i], "register %#x: %#x, expected %#x", regs[i], cmos(r, regs[i]), t[i]);
}

START_TEST(rtc_power_on_time_is_base_in_bcd_24h)
{
    Rig *r = rig_new(BASE_2026);
    expect_time(r, (const uint8_t[]){ 0x00, 0x00, 0x00, 5, 0x01, 0x01, 0x26, 0x20 });
    ck_assert_uint_eq(cmos(r, 0x0a), 0x26);
    ck_assert_uint_eq(cmos(r, 0x0b), 0x02);
    ck_assert_uint_eq(cmos(r, 0x0c), 0x00);
    ck_assert_uint_eq(cmos(r, 0x0d), 0x80);
    rig_free(r);
}
END_TEST

START_TEST(rtc_update_each_second_with_uip_244us_before)
{
    Rig *r = rig_new(BASE_2026);
    rig_advance(r, SEC - 244141);
    ck_assert_uint_eq(cmos(r, 0x0a) & 0x80, 0);
    rig_advance(r, SEC - 244140);
    ck_assert_uint_eq(cmos(r, 0x0a) & 0x80, 0x80);
    rig_advance(r, SEC - 1);
    ck_assert_uint_eq(cmos(r, 0x0a) & 0x80, 0x80);
    ck_assert_uint_eq(cmos(r, 0x00), 0x00);
    rig_advance(r, SEC);
    ck_assert_uint_eq(cmos(r, 0x0a) & 0x80, 0);
    ck_assert_uint_eq(cmos(r, 0x00), 0x01);
    rig_advance(r, 59 * SEC + 1);
    expect_time(r, (const uint8_t[]){ 0x59, 0x00, 0x00, 5, 0x01, 0x01, 0x26, 0x20 });
    rig_advance(r, 60 * SEC);
    expect_time(r, (const uint8_t[]){ 0x00, 0x01, 0x00, 5, 0x01, 0x01, 0x26, 0x20 });
    rig_free(r);
}
END_TEST

START_TEST(rtc_carries_through_hour_day_month_year)
{
    Rig *r = rig_at("2026-12-31T23:59:59");
    expect_time(r, (const uint8_t[]){ 0x59, 0x59, 0x23, 5, 0x31, 0x12, 0x26, 0x20 });
    rig_advance(r, SEC);
    expect_time(r, (const uint8_t[]){ 0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x27, 0x20 });
    rig_free(r);
    r = rig_at("2026-04-30T23:59:59");
    rig_advance(r, SEC);
    expect_time(r, (const uint8_t[]){ 0x00, 0x00, 0x00, 6, 0x01, 0x05, 0x26, 0x20 });
    rig_free(r);
    r = rig_at("2026-01-03T23:59:59");   /* Saturday -> Sunday (1) */
    rig_advance(r, SEC);
    ck_assert_uint_eq(cmos(r, 0x06), 1);
    rig_free(r);
}
END_TEST

START_TEST(rtc_leap_years_and_century)
{
    Rig *r = rig_at("2028-02-28T23:59:59");
    rig_advance(r, SEC);
    expect_time(r, (const uint8_t[]){ 0x00, 0x00, 0x00, 3, 0x29, 0x02, 0x28, 0x20 });
    rig_advance(r, SEC + 86400 * SEC);
    expect_time(r, (const uint8_t[]){ 0x00, 0x00, 0x00, 4, 0x01, 0x03, 0x28, 0x20 });
    rig_free(r);
    r = rig_at("2027-02-28T23:59:59");
    rig_advance(r, SEC);
    ck_assert_uint_eq(cmos(r, 0x07), 0x01);
    ck_assert_uint_eq(cmos(r, 0x08), 0x03);
    rig_free(r);
    r = rig_at("2100-02-28T23:59:59");   /* divisible by 100: not a leap year */
    rig_advance(r, SEC);
    expect_time(r, (const uint8_t[]){ 0x00, 0x00, 0x00, 2, 0x01, 0x03, 0x00, 0x21 });
    rig_free(r);
    r = rig_at("2000-02-28T23:59:59");   /* divisible by 400: leap */
    rig_advance(r, SEC);
    ck_assert_uint_eq(cmos(r, 0x07), 0x29);
    rig_free(r);
    r = rig_at("2099-12-31T23:59:59");
    rig_advance(r, SEC);
    expect_time(r, (const uint8_t[]){ 0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00, 0x21 });
    rig_free(r);
}
END_TEST

START_TEST(rtc_binary_and_12_hour_modes)
{
    Rig *r = rig_new(BASE_2026);
    cmos_set(r, 0x0b, 0x04);          /* binary, 12 hours: the registers follow (as QEMU) */
    ck_assert_uint_eq(cmos(r, 0x04), 12);   /* 12 AM */
    ck_assert_uint_eq(cmos(r, 0x09), 26);
    cmos_set(r, 0x0b, 0x80 | 0x04);   /* SET */
    cmos_set(r, 0x00, 59);
    cmos_set(r, 0x02, 59);
    cmos_set(r, 0x04, 0x80 | 11);     /* 11 PM */
    cmos_set(r, 0x0b, 0x04);
    rig_advance(r, SEC);
    ck_assert_uint_eq(cmos(r, 0x04), 12);   /* 12 AM */
    ck_assert_uint_eq(cmos(r, 0x02), 0);
    ck_assert_uint_eq(cmos(r, 0x07), 2);    /* next day, binary */
    ck_assert_uint_eq(cmos(r, 0x09), 26);
    ck_assert_uint_eq(cmos(r, 0x32), 20);
    cmos_set(r, 0x0b, 0x84);
    cmos_set(r, 0x00, 59);
    cmos_set(r, 0x02, 59);
    cmos_set(r, 0x04, 11);            /* 11 AM */
    cmos_set(r, 0x0b, 0x04);
    rig_advance(r, 2 * SEC);
    ck_assert_uint_eq(cmos(r, 0x04), 0x80 | 12);   /* 12 PM */
    rig_advance(r, 3602 * SEC);
    ck_assert_uint_eq(cmos(r, 0x04), 0x80 | 1);    /* 1 PM */
    cmos_set(r, 0x0b, 0x00);          /* BCD 12 hours */
    ck_assert_uint_eq(cmos(r, 0x04), 0x81);
    cmos_set(r, 0x0b, 0x02);          /* BCD 24 hours */
    ck_assert_uint_eq(cmos(r, 0x04), 0x13);
    ck_assert_uint_eq(cmos(r, 0x09), 0x26);
    rig_free(r);
}
END_TEST

START_TEST(rtc_guest_set_time_holds_while_set_bit)
{
    Rig *r = rig_new(BASE_2026);
    rig_advance(r, SEC / 2);
    cmos_set(r, 0x0b, 0x82);
    cmos_set(r, 0x00, 0x7a);          /* any byte reads back while SET */
    rig_advance(r, 3 * SEC);
    ck_assert_uint_eq(cmos(r, 0x00), 0x7a);
    ck_assert_uint_eq(cmos(r, 0x0a) & 0x80, 0);
    cmos_set(r, 0x00, 0x30);
    cmos_set(r, 0x0b, 0x02);
    rig_advance(r, 4 * SEC - 1);
    ck_assert_uint_eq(cmos(r, 0x00), 0x30);
    rig_advance(r, 4 * SEC);          /* the divider kept running: the next update is on time */
    ck_assert_uint_eq(cmos(r, 0x00), 0x31);
    rig_free(r);
}
END_TEST

START_TEST(rtc_divider_reset_delays_first_update_500ms)
{
    Rig *r = rig_new(BASE_2026);
    cmos_set(r, 0x0a, 0x70);
    rig_advance(r, 2 * SEC);
    ck_assert_uint_eq(cmos(r, 0x00), 0x00);
    cmos_set(r, 0x0a, 0x26);
    rig_advance(r, 2 * SEC + SEC / 2 - 1);
    ck_assert_uint_eq(cmos(r, 0x00), 0x00);
    rig_advance(r, 2 * SEC + SEC / 2);
    ck_assert_uint_eq(cmos(r, 0x00), 0x01);
    rig_advance(r, 3 * SEC + SEC / 2);
    ck_assert_uint_eq(cmos(r, 0x00), 0x02);
    rig_free(r);
}
END_TEST

START_TEST(rtc_update_interrupt_each_second_and_reg_c_clears)
{
    Rig *r = rig_new(BASE_2026);
    cmos_set(r, 0x0b, 0x12);          /* UIE */
    rig_advance(r, SEC);
    ck_assert_int_eq(r->rises, 1);
    ck_assert_uint_eq(r->rise_at[0], SEC);
    ck_assert_int_eq(r->level, 1);
    rig_advance(r, SEC + 1000);
    ck_assert_uint_eq(cmos(r, 0x0c), 0xd0);   /* IRQF | UF, and PF of the 1024 Hz rate */
    ck_assert_int_eq(r->level, 0);
    ck_assert_uint_eq(cmos(r, 0x0c), 0x00);
    rig_advance(r, 2 * SEC);
    ck_assert_int_eq(r->rises, 2);
    ck_assert_uint_eq(r->rise_at[1], 2 * SEC);
    cmos_set(r, 0x0b, 0x92);          /* SET clears UIE */
    ck_assert_uint_eq(cmos(r, 0x0b), 0x82);
    rig_free(r);
}
END_TEST

START_TEST(rtc_flags_set_without_interrupts_enabled)
{
    Rig *r = rig_new(BASE_2026);
    ck_assert_uint_eq(clock_next_deadline(&r->clock), CLOCK_NEVER);   /* nobody listens */
    r->icount = SEC + 5;
    ck_assert_uint_eq(cmos(r, 0x0c), 0x40 | 0x10);   /* PF (1024 Hz) and UF, no IRQF */
    ck_assert_uint_eq(cmos(r, 0x0c), 0x00);
    ck_assert_int_eq(r->rises, 0);
    rig_free(r);
}
END_TEST

START_TEST(rtc_alarm_fires_at_matching_second)
{
    Rig *r = rig_new(BASE_2026);
    cmos_set(r, 0x01, 0x05);
    cmos_set(r, 0x03, 0x00);
    cmos_set(r, 0x05, 0x00);
    cmos_set(r, 0x0b, 0x22);          /* AIE */
    rig_advance(r, 10 * SEC);
    ck_assert_int_eq(r->rises, 1);
    ck_assert_uint_eq(r->rise_at[0], 5 * SEC);
    ck_assert_uint_eq(cmos(r, 0x0c), 0x80 | 0x40 | 0x20 | 0x10);   /* IRQF PF AF UF */
    rig_advance(r, 100 * SEC);
    ck_assert_int_eq(r->rises, 1);    /* once a day */
    rig_free(r);
}
END_TEST

START_TEST(rtc_alarm_dont_care_values)
{
    Rig *r = rig_new(BASE_2026);
    cmos_set(r, 0x01, 0x30);
    cmos_set(r, 0x03, 0xc0);          /* any minute */
    cmos_set(r, 0x05, 0xff);          /* any hour */
    cmos_set(r, 0x0b, 0x22);
    rig_advance(r, 200 * SEC);
    ck_assert_int_eq(r->rises, 1);    /* IRQF stays until register C is read */
    ck_assert_uint_eq(r->rise_at[0], 30 * SEC);
    cmos(r, 0x0c);
    rig_advance(r, 200 * SEC + 1);
    ck_assert_int_eq(r->rises, 1);
    rig_advance(r, 210 * SEC);        /* 00:03:30 */
    ck_assert_int_eq(r->rises, 2);
    ck_assert_uint_eq(r->rise_at[1], 210 * SEC);
    cmos(r, 0x0c);
    cmos_set(r, 0x01, 0xc0);          /* all don't care: every second */
    rig_advance(r, 211 * SEC);
    ck_assert_int_eq(r->rises, 3);
    ck_assert_uint_eq(r->rise_at[2], 211 * SEC);
    rig_free(r);
}
END_TEST

/* Counts periodic interrupts in one second, acknowledging each by reading register C. */
static int periodic_count(int rs, uint64_t *first)
{
    Rig *r = rig_new(BASE_2026);
    cmos_set(r, 0x0a, (uint8_t)(0x20 | rs));
    cmos_set(r, 0x0b, 0x42);          /* PIE */
    int n = 0;
    for (;;) {
        uint64_t d = clock_next_deadline(&r->clock);
        if (d > SEC)
            break;
        r->icount = d;
        clock_run_due(&r->clock);
        if (r->level) {
            if (!n)
                *first = d;
            ck_assert_uint_eq(cmos(r, 0x0c) & 0xc0, 0xc0);
            n++;
        }
    }
    rig_free(r);
    return n;
}

START_TEST(rtc_periodic_interrupt_rate_from_register_a)
{
    uint64_t first = 0;
    ck_assert_int_eq(periodic_count(6, &first), 1024);
    ck_assert_uint_eq(first, 976563);   /* ceil(32 / 32768 s) */
    ck_assert_int_eq(periodic_count(15, &first), 2);
    ck_assert_uint_eq(first, SEC / 2);
    ck_assert_int_eq(periodic_count(1, &first), 256);
    ck_assert_int_eq(periodic_count(2, &first), 128);
    ck_assert_int_eq(periodic_count(3, &first), 8192);
    ck_assert_int_eq(periodic_count(0, &first), 0);
}
END_TEST

START_TEST(rtc_dse_spring_forward_and_fall_back)
{
    Rig *r = rig_at("2026-04-26T01:59:59");   /* last Sunday in April */
    cmos_set(r, 0x0b, 0x03);
    rig_advance(r, SEC);
    ck_assert_uint_eq(cmos(r, 0x04), 0x03);
    rig_free(r);
    r = rig_at("2026-10-25T01:59:59");         /* last Sunday in October */
    cmos_set(r, 0x0b, 0x03);
    rig_advance(r, SEC);
    ck_assert_uint_eq(cmos(r, 0x04), 0x01);
    rig_advance(r, 3601 * SEC);                /* only once */
    ck_assert_uint_eq(cmos(r, 0x04), 0x02);
    rig_free(r);
    r = rig_at("2022-04-24T01:59:59");         /* the last Sunday in April can be the 24th */
    cmos_set(r, 0x0b, 0x03);
    rig_advance(r, SEC);
    ck_assert_uint_eq(cmos(r, 0x04), 0x03);
    rig_free(r);
    r = rig_at("2026-04-19T01:59:59");         /* not the last Sunday */
    cmos_set(r, 0x0b, 0x03);
    rig_advance(r, SEC);
    ck_assert_uint_eq(cmos(r, 0x04), 0x02);
    rig_free(r);
}
END_TEST

START_TEST(rtc_long_idle_gap_catches_up)
{
    Rig *r = rig_new(BASE_2026);
    cmos_set(r, 0x01, 0x07);
    cmos_set(r, 0x03, 0x00);
    cmos_set(r, 0x05, 0x00);
    r->icount = (10 * 86400 + 5) * SEC;         /* ten days with no access and no event */
    expect_time(r, (const uint8_t[]){ 0x05, 0x00, 0x00, 1, 0x11, 0x01, 0x26, 0x20 });
    ck_assert_uint_eq(cmos(r, 0x0c) & 0x30, 0x30);   /* UF and AF */
    r->icount = (400ull * 86400 + 3600) * SEC;  /* 2027-02-05 01:00:00 */
    expect_time(r, (const uint8_t[]){ 0x00, 0x00, 0x01, 6, 0x05, 0x02, 0x27, 0x20 });
    rig_free(r);
}
END_TEST

START_TEST(rtc_cmos_memory_bytes_for_ram_sizes)
{
    struct {
        uint64_t low, high;
        uint16_t ext, ext16;
        uint32_t above4g;
    } cases[] = {
        { 8u << 20, 0, 0x1c00, 0, 0 },
        { 16u << 20, 0, 0x3c00, 0, 0 },
        { 64u << 20, 0, 0xfc00, 0x0300, 0 },
        { 128u << 20, 0, 0xffff, 0x0700, 0 },
        { 0xe0000000ull, 0, 0xffff, 0xdf00, 0 },
        { 0xe0000000ull, 0x20000000ull, 0xffff, 0xdf00, 0x2000 },
        { 0xe0000000ull, 0x3e0000000ull, 0xffff, 0xdf00, 0x3e000 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Rig *r = rig_new_mem(BASE_2026, cases[i].low, cases[i].high);
        ck_assert_uint_eq(cmos(r, 0x0f), 0);
        ck_assert_uint_eq(cmos(r, 0x10), 0);
        ck_assert_uint_eq(cmos(r, 0x12), 0);
        ck_assert_uint_eq(cmos(r, 0x14), 0x06);
        ck_assert_uint_eq(cmos(r, 0x15) | cmos(r, 0x16) << 8, 640);
        ck_assert_uint_eq(cmos(r, 0x17) | cmos(r, 0x18) << 8, cases[i].ext);
        ck_assert_uint_eq(cmos(r, 0x30) | cmos(r, 0x31) << 8, cases[i].ext);
        ck_assert_uint_eq(cmos(r, 0x34) | cmos(r, 0x35) << 8, cases[i].ext16);
        ck_assert_uint_eq(cmos(r, 0x5b) | cmos(r, 0x5c) << 8 | cmos(r, 0x5d) << 16, cases[i].above4g);
        unsigned sum = 0;
        for (int j = 0x10; j <= 0x2d; j++)
            sum += cmos(r, (uint8_t)j);
        ck_assert_uint_eq(cmos(r, 0x2e) << 8 | cmos(r, 0x2f), sum);
        rig_free(r);
    }
}
END_TEST

/* The boot-order nibbles as QEMU's pc machine writes them: 0x3D first | second << 4, 0x38 third
 * << 4 (bit 0 clear); SeaBIOS reads them when there is no bootorder file. */
START_TEST(rtc_boot_order_sets_cmos_nibbles_as_qemu_pc)
{
    Rig *r = rig_new(BASE_2026);
    ck_assert_int_eq(cmos(r, 0x3d), 0x12);        /* default "cad" */
    ck_assert_int_eq(cmos(r, 0x38), 0x30);
    rtc_set_boot_order(r->rtc, "d");
    ck_assert_int_eq(cmos(r, 0x3d), 0x03);
    ck_assert_int_eq(cmos(r, 0x38), 0x00);
    rtc_set_boot_order(r->rtc, "dcn");
    ck_assert_int_eq(cmos(r, 0x3d), 0x23);
    ck_assert_int_eq(cmos(r, 0x38), 0x40);
    rtc_set_boot_order(r->rtc, "ba");
    ck_assert_int_eq(cmos(r, 0x3d), 0x11);
    ck_assert_int_eq(cmos(r, 0x38), 0x00);
    rig_free(r);
}
END_TEST

START_TEST(rtc_cmos_ram_read_write_and_nmi_bit)
{
    Rig *r = rig_new(BASE_2026);
    cmos_set(r, 0x40, 0xa5);
    ck_assert_uint_eq(cmos(r, 0x40), 0xa5);
    ck_assert(!rtc_nmi_disabled(r->rtc));
    io_out(&r->bus, 0x70, 1, 0x80 | 0x40);   /* NMI off, index 0x40 */
    ck_assert(rtc_nmi_disabled(r->rtc));
    ck_assert_uint_eq(io_in(&r->bus, 0x71, 1), 0xa5);
    ck_assert_uint_eq(io_in(&r->bus, 0x70, 1), 0xff);
    cmos_set(r, 0x0d, 0x00);                 /* D and C are read-only */
    ck_assert_uint_eq(cmos(r, 0x0d), 0x80);
    cmos_set(r, 0x0a, 0xa6);                 /* UIP is read-only */
    ck_assert_uint_eq(cmos(r, 0x0a), 0x26);
    rig_free(r);
}
END_TEST

START_TEST(rtc_reset_clears_enables_keeps_time_and_ram)
{
    Rig *r = rig_new(BASE_2026);
    cmos_set(r, 0x40, 0x5a);
    cmos_set(r, 0x0b, 0x7a);
    rig_advance(r, 3 * SEC);
    ck_assert_int_eq(r->level, 1);
    rtc_reset(r->rtc);
    ck_assert_int_eq(r->level, 0);
    ck_assert_uint_eq(cmos(r, 0x0b), 0x02);
    ck_assert_uint_eq(cmos(r, 0x0c), 0x00);
    ck_assert_uint_eq(cmos(r, 0x00), 0x03);
    ck_assert_uint_eq(cmos(r, 0x40), 0x5a);
    ck_assert_uint_eq(clock_next_deadline(&r->clock), CLOCK_NEVER);
    rig_free(r);
}
END_TEST

START_TEST(rtc_parse_time_accepts_dates_rejects_others)
{
    int64_t t = 0;
    ck_assert_int_eq(rtc_parse_time("2026-01-01T00:00:00", &t), 0);
    ck_assert_int_eq(t, BASE_2026);
    ck_assert_int_eq(rtc_parse_time("2026-01-01", &t), 0);
    ck_assert_int_eq(t, BASE_2026);
    ck_assert_int_eq(rtc_parse_time("1970-01-01T00:00:00", &t), 0);
    ck_assert_int_eq(t, 0);
    ck_assert_int_eq(rtc_parse_time("2024-02-29T23:59:59", &t), 0);
    ck_assert_int_eq(t, 1709251199);
    ck_assert_int_eq(rtc_parse_time("9999-12-31T23:59:59", &t), 0);
    ck_assert_int_eq(t, 253402300799ll);
    static const char *bad[] = {
        "", "now", "2026", "2026-1-01", "2026-01-01T", "2026-01-01T00:00", "2026-01-01T00:00:00Z",
        "2026-01-01 00:00:00", "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-01-00",
        "2026-01-01T24:00:00", "2026-01-01T00:60:00", "2026-01-01T00:00:60", "1969-12-31T23:59:59",
        "+026-01-01", "2026-01-01T00:00:00junk",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(rtc_parse_time(bad[i], &t) < 0, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(rtc_random_guest_writes_never_arm_a_past_deadline)
{
    /* hostile guest: random indexes and values (registers A-D included), reads, short and long
     * gaps; the next deadline always lies in the future (one at or before now would stall the
     * run loop) */
    Rig *r = rig_new(BASE_2026);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint8_t idx = (x & 1) ? (uint8_t)(0x0a + ((x >> 1) & 3)) : (uint8_t)((x >> 1) & 0x7f);
        if ((x >> 8) & 1)
            cmos_set(r, idx, (uint8_t)(x >> 16));
        else
            cmos(r, idx);
        uint64_t step = (x >> 24) & 0xfffff;
        if (((x >> 44) & 0xff) == 0)
            step = ((x >> 24) & 0xfffff) * 1000000;
        rig_advance(r, r->icount + step);
        ck_assert_uint_gt(clock_next_deadline(&r->clock), r->icount);
    }
    rig_free(r);
}
END_TEST

static Suite *rtc_suite(void)
{
    Suite *s = suite_create("mc146818");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, rtc_power_on_time_is_base_in_bcd_24h);
    tcase_add_test(tc, rtc_update_each_second_with_uip_244us_before);
    tcase_add_test(tc, rtc_carries_through_hour_day_month_year);
    tcase_add_test(tc, rtc_leap_years_and_century);
    tcase_add_test(tc, rtc_binary_and_12_hour_modes);
    tcase_add_test(tc, rtc_guest_set_time_holds_while_set_bit);
    tcase_add_test(tc, rtc_divider_reset_delays_first_update_500ms);
    tcase_add_test(tc, rtc_update_interrupt_each_second_and_reg_c_clears);
    tcase_add_test(tc, rtc_flags_set_without_interrupts_enabled);
    tcase_add_test(tc, rtc_alarm_fires_at_matching_second);
    tcase_add_test(tc, rtc_alarm_dont_care_values);
    tcase_add_test(tc, rtc_periodic_interrupt_rate_from_register_a);
    tcase_add_test(tc, rtc_dse_spring_forward_and_fall_back);
    tcase_add_test(tc, rtc_long_idle_gap_catches_up);
    tcase_add_test(tc, rtc_cmos_memory_bytes_for_ram_sizes);
    tcase_add_test(tc, rtc_cmos_ram_read_write_and_nmi_bit);
    tcase_add_test(tc, rtc_boot_order_sets_cmos_nibbles_as_qemu_pc);
    tcase_add_test(tc, rtc_reset_clears_enables_keeps_time_and_ram);
    tcase_add_test(tc, rtc_parse_time_accepts_dates_rejects_others);
    tcase_add_test(tc, rtc_random_guest_writes_never_arm_a_past_deadline);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rtc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
