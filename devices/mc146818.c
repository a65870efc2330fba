/*
 * mc146818.c — Motorola MC146818A real-time clock plus CMOS RAM (MC146818A datasheet; the PC/AT
 * CMOS map as IBM's BIOS and QEMU's pc machine fill it).
 *
 * Ports: 0x70 write = index (bits 6-0) and NMI disable (bit 7, kept for the board); read 0xFF.
 *        0x71 = the byte at the index.
 * Registers:
 *   0x00 seconds  0x01 seconds alarm  0x02 minutes  0x03 minutes alarm  0x04 hours (12h: bit 7 PM)
 *   0x05 hours alarm  0x06 day of week (1 = Sunday)  0x07 day of month  0x08 month  0x09 year
 *   0x0A A: bit 7 UIP (read-only), 6-4 DV (010 = 32.768 kHz time base running; 11x = divider
 *        chain held in reset; first update 500 ms after leaving reset), 3-0 RS (periodic rate:
 *        0 none, 1 = 256 Hz, 2 = 128 Hz, n >= 3: 65536 >> n Hz)
 *   0x0B B: bit 7 SET (updates inhibited; setting it clears UIE), 6 PIE, 5 AIE, 4 UIE, 3 SQWE,
 *        2 DM (1 = binary), 1 24/12 (1 = 24 h), 0 DSE
 *   0x0C C (read-only, cleared by reading; IRQ 8 goes low): 7 IRQF = PF.PIE + AF.AIE + UF.UIE,
 *        6 PF, 5 AF, 4 UF — the flags are set whether or not their interrupt is enabled
 *   0x0D D: bit 7 VRT (battery good), read-only
 *   0x0E-0x7F CMOS RAM
 * Update cycle: once per second of the time base (SET = 0): the time advances one second with
 *   carries through minute, hour (12 h: 11:59:59 AM -> 12:00:00 PM -> ... -> 12:00:00 AM),
 *   day of week, date, month (leap years by the Gregorian rule, with the century byte), year,
 *   and the century byte 0x32; then UF is set, and AF if each alarm byte equals its time byte or
 *   is a don't-care (0xC0-0xFF).  UIP reads 1 during the 244 us (8 cycles of 32.768 kHz) before
 *   each update.  DSE: on the last Sunday in April 1:59:59 AM -> 3:00:00 AM, on the last Sunday
 *   in October 1:59:59 AM -> 1:00:00 AM once.
 * Time: only virtual.  Updates happen at whole seconds of the divider chain, the periodic flag at
 *   multiples of its period on the same chain (devices/timebase.h: exact ns <-> 32.768 kHz).
 *   State is brought up to date on every access; a clock event runs only while an interrupt is
 *   enabled (UIE or AIE: one per second; PIE: one per period).
 * CMOS map (QEMU pc / IBM AT): 0x0F shutdown status 0; 0x10 diskettes 0; 0x12 disks 0;
 *   0x14 equipment 0x06 (FPU, PS/2 mouse, VGA); 0x15/0x16 base memory 640 KiB; 0x17/0x18 and
 *   0x30/0x31 KiB above 1 MiB (max 0xFFFF); 0x2E/0x2F checksum of 0x10-0x2D (big-endian);
 *   0x32 century; 0x34/0x35 64 KiB units above 16 MiB below 4 GiB; 0x5B-0x5D 64 KiB units above
 *   4 GiB; 0x3D (bits 3:0 first, 7:4 second) and 0x38 (bits 7:4 third) the boot order SeaBIOS
 *   follows without a bootorder file (1 floppy, 2 hard disk, 3 CD-ROM, 4 network, 0 none):
 *   QEMU's default "cad", or -boot order=LETTERS as QEMU's pc machine writes it (a/b 1, c 2,
 *   d 3, n 4; 0x38 bit 0 stays clear: check the floppy boot signature); SeaBIOS (src/boot.c)
 *   gives the three devices priorities 101-103 in that order.
 *
 * XXX: changing DM or 24/12 while SET = 0 converts the time registers to the new format (as QEMU
 * does) instead of leaving their bytes to be reinterpreted as the real chip does; the alarm bytes
 * are not converted.  Time bases other than 32.768 kHz (DV = 000, 001) and the test modes stop the
 * clock.  After a gap of more than two days without any access (possible only with no interrupt
 * enabled), the time is advanced arithmetically to one day before now, which normalises invalid
 * register contents.  There is no square-wave pin.
 */
#include <assert.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "devices/mc146818.h"
#include "devices/timebase.h"
#include "vm/state.h"

#define NS_PER_SEC 1000000000ull
#define RTC_HZ 32768u
#define UIP_NS 244140u                 /* 8 cycles of 32.768 kHz, rounded down */
#define FIRST_UPDATE_NS 500000000ull   /* after the divider chain leaves reset */
#define BULK_GAP_SECS (2 * 86400ull)

enum {
    REG_SEC = 0x00, REG_SEC_ALARM = 0x01, REG_MIN = 0x02, REG_MIN_ALARM = 0x03, REG_HOUR = 0x04,
    REG_HOUR_ALARM = 0x05, REG_WDAY = 0x06, REG_MDAY = 0x07, REG_MON = 0x08, REG_YEAR = 0x09,
    REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d, REG_CENTURY = 0x32,
};

#define A_UIP 0x80
#define A_DV 0x70
#define A_DV_RUN 0x20
#define A_RS 0x0f
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_SQWE 0x08
#define B_DM 0x04
#define B_24H 0x02
#define B_DSE 0x01
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80

struct RtcState {
    uint8_t cmos[128];        /* registers 0x00-0x0B as stored, 0x0E-0x7F RAM */
    uint8_t regc;             /* PF AF UF (IRQF is computed) */
    uint8_t index;
    bool nmi_disabled;
    bool dse_back_done;       /* the October step back happened today */
    Clock *clock;
    int event;
    IrqLine irq;
    bool irq_level;
    uint64_t chain_start;     /* virtual ns at which the divider chain had phase chain_phase */
    uint64_t chain_phase;     /* ns */
    uint64_t next_update;     /* virtual ns of the next update cycle */
    uint64_t pf_checked;      /* PF is up to date for the periodic edges up to this time */
};

/* ---- calendar ---- */

static bool rtc_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int rtc_days_in_month(int64_t y, int m)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12)
        return 31;
    return days[m - 1] + (m == 2 && rtc_leap(y));
}

/* Days from 1970-01-01 to y-m-d (y >= 1, m 1-12, d 1-31). */
static int64_t rtc_days_from_date(int64_t y, int m, int d)
{
    static const uint16_t before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    int64_t p = y - 1;   /* leap years in [1, y) minus those in [1, 1970) */
    int64_t leaps = p / 4 - p / 100 + p / 400 - (1969 / 4 - 1969 / 100 + 1969 / 400);
    return (y - 1970) * 365 + leaps + before[m - 1] + (m > 2 && rtc_leap(y)) + d - 1;
}

typedef struct RtcTime {
    int64_t year;
    int mon, mday, wday;      /* wday 0 = Sunday */
    int hour, min, sec;
} RtcTime;

static void rtc_time_from_secs(int64_t t, RtcTime *tm)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rem = t - days * 86400;
    tm->hour = (int)(rem / 3600);
    tm->min = (int)(rem / 60 % 60);
    tm->sec = (int)(rem % 60);
    tm->wday = (int)(((days + 4) % 7 + 7) % 7);   /* 1970-01-01 was a Thursday */
    int64_t y = 1970 + (days >= 0 ? days / 366 : days / 365 - 1);
    while (y > 1 && rtc_days_from_date(y, 1, 1) > days)
        y--;
    while (rtc_days_from_date(y + 1, 1, 1) <= days)
        y++;
    int m = 1;
    while (m < 12 && rtc_days_from_date(y, m + 1, 1) <= days)
        m++;
    tm->year = y;
    tm->mon = m;
    tm->mday = (int)(days - rtc_days_from_date(y, m, 1)) + 1;
}

int rtc_parse_time(const char *text, int64_t *secs)
{
    /* "YYYY-MM-DD" then optionally "THH:MM:SS": digits where the pattern has 9 */
    static const char pattern[] = "9999-99-99T99:99:99";
    int v[6] = { 0 }, field = 0;
    size_t i = 0;
    for (; text[i]; i++) {
        if (i >= sizeof(pattern) - 1)
            return -1;
        char p = pattern[i], c = text[i];
        if (p == '9') {
            if (c < '0' || c > '9')
                return -1;
            v[field] = v[field] * 10 + (c - '0');
        } else if (c != p) {
            return -1;
        } else {
            field++;
        }
    }
    if (i != 10 && i != sizeof(pattern) - 1)
        return -1;
    int64_t y = v[0];
    if (y < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > rtc_days_in_month(y, v[1]) || v[3] > 23 ||
        v[4] > 59 || v[5] > 59)
        return -1;
    *secs = rtc_days_from_date(y, v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
    return 0;
}

/* ---- register formats ---- */

static int rtc_dec(uint8_t b, uint8_t r)
{
    return (b & B_DM) ? r : (r >> 4) * 10 + (r & 15);
}

static uint8_t rtc_enc(uint8_t b, int v)
{
    v %= 100;
    return (b & B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* Hour register <-> 0-23 (out-of-range contents decode to values >= 24). */
static int rtc_hour_dec(uint8_t b, uint8_t r)
{
    if (b & B_24H)
        return rtc_dec(b, r);
    int h = rtc_dec(b, r & 0x7f);
    return (h == 12 ? 0 : h) + ((r & 0x80) ? 12 : 0);
}

static uint8_t rtc_hour_enc(uint8_t b, int h)
{
    if (b & B_24H)
        return rtc_enc(b, h);
    int h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(rtc_enc(b, h12) | (h >= 12 ? 0x80 : 0));
}

static void rtc_store_time(RtcState *s, uint8_t b, const RtcTime *tm)
{
    s->cmos[REG_SEC] = rtc_enc(b, tm->sec);
    s->cmos[REG_MIN] = rtc_enc(b, tm->min);
    s->cmos[REG_HOUR] = rtc_hour_enc(b, tm->hour);
    s->cmos[REG_WDAY] = rtc_enc(b, tm->wday + 1);
    s->cmos[REG_MDAY] = rtc_enc(b, tm->mday);
    s->cmos[REG_MON] = rtc_enc(b, tm->mon);
    s->cmos[REG_YEAR] = rtc_enc(b, (int)(tm->year % 100));
    s->cmos[REG_CENTURY] = rtc_enc(b, (int)(tm->year / 100 % 100));
}

static void rtc_load_time(const RtcState *s, uint8_t b, RtcTime *tm)
{
    tm->sec = rtc_dec(b, s->cmos[REG_SEC]);
    tm->min = rtc_dec(b, s->cmos[REG_MIN]);
    tm->hour = rtc_hour_dec(b, s->cmos[REG_HOUR]);
    tm->wday = rtc_dec(b, s->cmos[REG_WDAY]) - 1;
    tm->mday = rtc_dec(b, s->cmos[REG_MDAY]);
    tm->mon = rtc_dec(b, s->cmos[REG_MON]);
    tm->year = rtc_dec(b, s->cmos[REG_CENTURY]) * 100 + rtc_dec(b, s->cmos[REG_YEAR]);
}

/* The stored time as seconds since 1970, out-of-range fields clamped. */
static int64_t rtc_time_secs(const RtcState *s)
{
    RtcTime tm;
    rtc_load_time(s, s->cmos[REG_B], &tm);
    int64_t y = tm.year > 0 ? tm.year : 1;
    int m = tm.mon < 1 ? 1 : tm.mon > 12 ? 12 : tm.mon;
    int dim = rtc_days_in_month(y, m);
    int d = tm.mday < 1 ? 1 : tm.mday > dim ? dim : tm.mday;
    int h = tm.hour > 23 ? 23 : tm.hour, mi = tm.min > 59 ? 59 : tm.min, sec = tm.sec > 59 ? 59 : tm.sec;
    return rtc_days_from_date(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
}

/* ---- the update cycle ---- */

/* Today is the last Sunday of month `mon` (April: days 24-30, October: 25-31). */
static bool rtc_last_sunday(const RtcState *s, uint8_t b, int mon)
{
    int mday = rtc_dec(b, s->cmos[REG_MDAY]), last = mon == 4 ? 30 : 31;
    return rtc_dec(b, s->cmos[REG_MON]) == mon && rtc_dec(b, s->cmos[REG_WDAY]) == 1 && mday <= last &&
           mday > last - 7;
}

/* Advances the time registers by one second, carrying only into the fields that change. */
static void rtc_tick_second(RtcState *s)
{
    uint8_t b = s->cmos[REG_B];
    uint8_t *r = s->cmos;
    int v = rtc_dec(b, r[REG_SEC]) + 1;
    if (v < 60) {
        r[REG_SEC] = rtc_enc(b, v);
        return;
    }
    r[REG_SEC] = rtc_enc(b, 0);
    v = rtc_dec(b, r[REG_MIN]) + 1;
    if (v < 60) {
        r[REG_MIN] = rtc_enc(b, v);
        return;
    }
    r[REG_MIN] = rtc_enc(b, 0);
    v = rtc_hour_dec(b, r[REG_HOUR]) + 1;
    if ((b & B_DSE) && v == 2) {
        if (rtc_last_sunday(s, b, 4)) {
            v = 3;
        } else if (rtc_last_sunday(s, b, 10) && !s->dse_back_done) {
            v = 1;
            s->dse_back_done = true;
        }
    }
    if (v < 24) {
        r[REG_HOUR] = rtc_hour_enc(b, v);
        return;
    }
    r[REG_HOUR] = rtc_hour_enc(b, 0);
    s->dse_back_done = false;
    v = rtc_dec(b, r[REG_WDAY]) + 1;
    r[REG_WDAY] = rtc_enc(b, v > 7 ? 1 : v);
    int64_t year = rtc_dec(b, r[REG_CENTURY]) * 100 + rtc_dec(b, r[REG_YEAR]);
    int mon = rtc_dec(b, r[REG_MON]);
    v = rtc_dec(b, r[REG_MDAY]) + 1;
    if (v <= rtc_days_in_month(year, mon)) {
        r[REG_MDAY] = rtc_enc(b, v);
        return;
    }
    r[REG_MDAY] = rtc_enc(b, 1);
    if (mon + 1 <= 12) {
        r[REG_MON] = rtc_enc(b, mon + 1);
        return;
    }
    r[REG_MON] = rtc_enc(b, 1);
    v = rtc_dec(b, r[REG_YEAR]) + 1;
    if (v < 100) {
        r[REG_YEAR] = rtc_enc(b, v);
        return;
    }
    r[REG_YEAR] = rtc_enc(b, 0);
    r[REG_CENTURY] = rtc_enc(b, rtc_dec(b, r[REG_CENTURY]) + 1);
}

static bool rtc_alarm_match(const RtcState *s)
{
    static const uint8_t pairs[3][2] = {
        { REG_SEC, REG_SEC_ALARM }, { REG_MIN, REG_MIN_ALARM }, { REG_HOUR, REG_HOUR_ALARM },
    };
    for (int i = 0; i < 3; i++) {
        uint8_t alarm = s->cmos[pairs[i][1]];
        if ((alarm & 0xc0) != 0xc0 && alarm != s->cmos[pairs[i][0]])
            return false;
    }
    return true;
}

static bool rtc_running(const RtcState *s)
{
    return (s->cmos[REG_A] & A_DV) == A_DV_RUN;
}

/* Periodic period in 32.768 kHz cycles (0: none). */
static uint64_t rtc_period(const RtcState *s)
{
    int rs = s->cmos[REG_A] & A_RS;
    if (rs == 0)
        return 0;
    return 1ull << (rs <= 2 ? rs + 6 : rs - 1);
}

static uint64_t rtc_chain_cycles(const RtcState *s, uint64_t now)
{
    return timebase_scale_floor(now - s->chain_start + s->chain_phase, RTC_HZ, NS_PER_SEC);
}

/* Brings the time registers and flags up to `now`. */
static void rtc_sync(RtcState *s, uint64_t now)
{
    if (!rtc_running(s))
        return;
    uint64_t p = rtc_period(s);
    if (p && now > s->pf_checked && rtc_chain_cycles(s, now) / p > rtc_chain_cycles(s, s->pf_checked) / p)
        s->regc |= C_PF;
    if (now > s->pf_checked)
        s->pf_checked = now;
    if (s->next_update > now)
        return;
    if (s->cmos[REG_B] & B_SET) {
        /* updates inhibited; the divider keeps running */
        s->next_update += (now - s->next_update) / NS_PER_SEC * NS_PER_SEC + NS_PER_SEC;
        return;
    }
    uint64_t due = (now - s->next_update) / NS_PER_SEC + 1;
    if (due > BULK_GAP_SECS) {
        uint64_t skip = due - 86400;
        RtcTime tm;
        rtc_time_from_secs(rtc_time_secs(s) + (int64_t)skip, &tm);
        rtc_store_time(s, s->cmos[REG_B], &tm);
        s->dse_back_done = false;
        s->regc |= C_UF;
        s->next_update += skip * NS_PER_SEC;
        due -= skip;
    }
    for (; due; due--) {
        rtc_tick_second(s);
        s->regc |= C_UF;
        if (rtc_alarm_match(s))
            s->regc |= C_AF;
    }
    s->next_update += (now - s->next_update) / NS_PER_SEC * NS_PER_SEC + NS_PER_SEC;
}

static bool rtc_irqf(const RtcState *s)
{
    return (s->regc & s->cmos[REG_B] & (C_PF | C_AF | C_UF)) != 0;
}

/* Drives IRQ 8 from IRQF and sets the clock event for the next interrupt source that is enabled. */
static void rtc_update_irq(RtcState *s, uint64_t now)
{
    bool level = rtc_irqf(s);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq, level);
    }
    uint64_t d = CLOCK_NEVER;
    uint8_t b = s->cmos[REG_B];
    if (rtc_running(s)) {
        if ((b & (B_UIE | B_AIE)) && !(b & B_SET))
            d = s->next_update;
        uint64_t p = rtc_period(s);
        if (p && (b & B_PIE)) {
            uint64_t m = rtc_chain_cycles(s, now) / p + 1;
            uint64_t t = s->chain_start + timebase_scale_ceil(m * p, NS_PER_SEC, RTC_HZ) - s->chain_phase;
            if (t < d)
                d = t;
        }
    }
    clock_set_deadline(s->clock, s->event, d);
}

static void rtc_event(void *opaque, uint64_t now)
{
    RtcState *s = opaque;
    rtc_sync(s, now);
    rtc_update_irq(s, now);
}

/* ---- ports ---- */

static uint8_t rtc_read_reg(RtcState *s, uint8_t i, uint64_t now)
{
    switch (i) {
    case REG_A: {
        bool uip = rtc_running(s) && !(s->cmos[REG_B] & B_SET) && s->next_update - now <= UIP_NS;
        return (uint8_t)((s->cmos[REG_A] & 0x7f) | (uip ? A_UIP : 0));
    }
    case REG_C: {
        uint8_t v = (uint8_t)(s->regc | (rtc_irqf(s) ? C_IRQF : 0));
        s->regc = 0;
        rtc_update_irq(s, now);
        return v;
    }
    case REG_D:
        return D_VRT;
    default:
        return s->cmos[i];
    }
}

static void rtc_write_reg(RtcState *s, uint8_t i, uint8_t v, uint64_t now)
{
    switch (i) {
    case REG_A: {
        bool was = rtc_running(s);
        s->cmos[REG_A] = v & 0x7f;
        if (!was && rtc_running(s)) {
            /* the divider chain leaves reset: the first update comes 500 ms later */
            s->chain_start = now;
            s->chain_phase = FIRST_UPDATE_NS;
            s->next_update = now + FIRST_UPDATE_NS;
            s->pf_checked = now;
        }
        break;
    }
    case REG_B: {
        uint8_t old = s->cmos[REG_B];
        if (v & B_SET)
            v &= (uint8_t)~B_UIE;
        if (((old ^ v) & (B_DM | B_24H)) && !(v & B_SET)) {
            RtcTime tm;
            rtc_load_time(s, old, &tm);
            rtc_store_time(s, v, &tm);
        }
        s->cmos[REG_B] = v;
        break;
    }
    case REG_C:
    case REG_D:
        break;
    default:
        s->cmos[i] = v;
        break;
    }
    rtc_update_irq(s, now);
}

static uint32_t rtc_port_read(void *opaque, uint16_t port, int size)
{
    RtcState *s = opaque;
    (void)size;
    if (!(port & 1))
        return 0xff;
    uint64_t now = clock_now(s->clock);
    rtc_sync(s, now);
    return rtc_read_reg(s, s->index, now);
}

static void rtc_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    RtcState *s = opaque;
    (void)size;
    if (!(port & 1)) {
        s->index = val & 0x7f;
        s->nmi_disabled = (val & 0x80) != 0;
        return;
    }
    uint64_t now = clock_now(s->clock);
    rtc_sync(s, now);
    rtc_write_reg(s, s->index, (uint8_t)val, now);
}

static const IoOps rtc_ops = { rtc_port_read, rtc_port_write, 1 };

/* ---- the chip ---- */

bool rtc_nmi_disabled(const RtcState *s)
{
    return s->nmi_disabled;
}

void rtc_reset(RtcState *s)
{
    uint64_t now = clock_now(s->clock);
    rtc_sync(s, now);
    s->cmos[REG_B] &= (uint8_t)~(B_PIE | B_AIE | B_UIE | B_SQWE);
    s->regc = 0;
    rtc_update_irq(s, now);
}

/* The memory-size bytes, equipment byte and checksum as a BIOS leaves them. */
static void rtc_init_cmos(RtcState *s, uint64_t ram_low, uint64_t ram_high)
{
    uint8_t *c = s->cmos;
    c[0x14] = 0x06;                            /* FPU, PS/2 mouse, no diskettes, VGA */
    c[0x15] = 640 & 0xff;
    c[0x16] = 640 >> 8;
    uint64_t ext = ram_low > (1u << 20) ? (ram_low >> 10) - 1024 : 0;
    if (ext > 0xffff)
        ext = 0xffff;
    c[0x17] = c[0x30] = ext & 0xff;
    c[0x18] = c[0x31] = (uint8_t)(ext >> 8);
    uint64_t ext16 = ram_low > (16u << 20) ? (ram_low - (16u << 20)) >> 16 : 0;
    if (ext16 > 0xffff)
        ext16 = 0xffff;
    c[0x34] = ext16 & 0xff;
    c[0x35] = (uint8_t)(ext16 >> 8);
    uint64_t high = ram_high >> 16;
    if (high > 0xffffff)
        high = 0xffffff;
    c[0x5b] = high & 0xff;
    c[0x5c] = (high >> 8) & 0xff;
    c[0x5d] = (uint8_t)(high >> 16);
    c[0x3d] = 0x12;   /* boot devices 1 and 2: hard disk (2), then floppy (1) */
    c[0x38] = 0x30;   /* boot device 3: CD-ROM (3); bit 0 clear: check the floppy boot signature */
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2d; i++)
        sum += c[i];
    c[0x2e] = (uint8_t)(sum >> 8);
    c[0x2f] = sum & 0xff;
}

void rtc_set_boot_order(RtcState *s, const char *order)
{
    uint8_t nib[3] = { 0, 0, 0 };
    for (int i = 0; i < 3 && order[i]; i++) {
        switch (order[i]) {
        case 'a': case 'b': nib[i] = 1; break;
        case 'c': nib[i] = 2; break;
        case 'd': nib[i] = 3; break;
        case 'n': nib[i] = 4; break;
        default: assert(!"boot order letter not checked by the frontend");
        }
    }
    assert(strlen(order) <= 3);
    s->cmos[0x3d] = (uint8_t)(nib[1] << 4 | nib[0]);
    s->cmos[0x38] = (uint8_t)(nib[2] << 4);
}

RtcState *rtc_new(IoBus *bus, Clock *clock, IrqLine irq8, int64_t base, uint64_t ram_low, uint64_t ram_high)
{
    RtcState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->clock = clock;
    s->irq = irq8;
    s->event = clock_add_event(clock, rtc_event, s);
    if (s->event < 0) {
        free(s);
        return NULL;
    }
    s->cmos[REG_A] = 0x26;                     /* 32.768 kHz time base, 1024 Hz periodic rate */
    s->cmos[REG_B] = B_24H;                    /* BCD, 24 hours */
    RtcTime tm;
    rtc_time_from_secs(base, &tm);
    rtc_store_time(s, s->cmos[REG_B], &tm);
    rtc_init_cmos(s, ram_low, ram_high);
    uint64_t now = clock_now(clock);
    s->chain_start = now;                      /* updates on the whole virtual seconds after now */
    s->chain_phase = 0;
    s->next_update = now + NS_PER_SEC;
    s->pf_checked = now;
    io_register(bus, 0x70, 2, &rtc_ops, s);
    return s;
}

/* ---- the state description (vm/state.h): CMOS bytes, flags, the divider chain's phase ---- */

static const StateField rtc_fields[] = {
    STATE_A(RtcState, cmos), STATE_U(RtcState, regc), STATE_U(RtcState, index), STATE_B(RtcState, nmi_disabled),
    STATE_B(RtcState, dse_back_done), STATE_B(RtcState, irq_level), STATE_U(RtcState, chain_start),
    STATE_U(RtcState, chain_phase), STATE_U(RtcState, next_update), STATE_U(RtcState, pf_checked),
};
static const StateField rtc_host_fields[] = {
    STATE_HOST(RtcState, clock), STATE_HOST(RtcState, event), STATE_HOST(RtcState, irq),
};

static bool rtc_post_load(void *obj, char *err, size_t errlen)
{
    RtcState *s = obj;
    if (s->index > 0x7f) {
        snprintf(err, errlen, "CMOS index %u", s->index);
        return false;
    }
    return true;
}

const StateDesc rtc_state_desc = {
    "rtc", 1, sizeof(RtcState), rtc_fields, STATE_COUNT(rtc_fields), rtc_host_fields, STATE_COUNT(rtc_host_fields),
    rtc_post_load,
};
