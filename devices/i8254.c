/*
 * i8254.c — Intel 8254 programmable interval timer (Intel 8254 datasheet, order no. 231164) and
 * the PC/AT port 0x61 (NMI status and control / system control port B).
 *
 * Ports: 0x40-0x42 counters 0-2 (read: count or latched status, write: count), 0x43 control word.
 * Control word: SC1 SC0 RW1 RW0 M2 M1 M0 BCD.
 *   SC = 11: read-back command: bit 5 = /COUNT, bit 4 = /STATUS, bits 3-1 select counters 2-0.
 *   RW = 00: counter latch command (a second latch before the count is read is ignored).
 *   RW = 01 LSB only, 10 MSB only, 11 LSB then MSB (one flip-flop for writes, one for reads).
 *   M = 0..5 (6 and 7 are modes 2 and 3).  Writing a control word resets the counter's logic:
 *   OUT goes low in mode 0 and high in every other mode, latches and flip-flops are cleared and
 *   nothing counts until a count is written.
 * Status byte (read-back): OUT, NULL COUNT (a count was written and not yet loaded into CE),
 *   then the six control-word bits as written.
 * Counting: a written count reaches CE on the next CLK edge; 0 means 2^16 (binary) or 10^4 (BCD).
 *   With k = CLK edges since CE was loaded with N (k = 0 on the loading edge):
 *   mode 0  interrupt on terminal count: OUT low until k = N, then high (N + 1 edges after the
 *           write); GATE low suspends counting; writing the first byte of a count stops counting.
 *   mode 1  retriggerable one-shot: a GATE rising edge loads CE; OUT low for 0 <= k < N.
 *   mode 2  rate generator: CE = N - k mod N; OUT low for the one edge with CE = 1; GATE low stops
 *           counting and forces OUT high, its rising edge reloads.  A new count takes effect at
 *           the end of the current period.
 *   mode 3  square wave: OUT high for ceil(N/2) edges, low for floor(N/2); CE steps by 2;
 *           GATE as in mode 2.
 *   mode 4  software-triggered strobe: OUT low for the one edge at k = N; GATE suspends counting.
 *   mode 5  hardware-triggered strobe: as mode 4, started (and restarted) by a GATE rising edge.
 *   In modes 0, 1, 4, 5 CE keeps wrapping (mod 2^16 or 10^4) after the terminal count.
 * Time: the CLK input is 1.193182 MHz; tick T happens at ceil(T * 1e9 / PIT_HZ) ns of virtual time
 *   (devices/timebase.h), and every value is a function of the current tick, so reads never drift.
 *   Only OUT0 is scheduled (one clock event per OUT0 edge while channel 0 has a listener);
 *   OUT1 and OUT2 are computed when read.
 * Port 0x61 (read): bit 0 GATE2, 1 speaker data, 2-3 parity/IOCHK check disables (as written),
 *   4 refresh request toggle (flips every 15.085 us), 5 OUT2, 6-7 IOCHK/SERR status (always 0).
 *   Write: bits 0-3.
 *
 * XXX: in mode 3 a new count takes effect at the end of the current period, not of the current
 * half-period; CE values in mode 3 with an odd count are approximations (OUT is exact).
 * XXX: the speaker produces no sound.
 */
#include <stdlib.h>
#include <stdio.h>

#include "devices/i8254.h"
#include "devices/timebase.h"
#include "vm/state.h"

#define NS_PER_SEC 1000000000u
#define REFRESH_NS 15085u
#define TICK_NEVER UINT64_MAX

typedef enum ChState {
    CH_IDLE,     /* control word written, no count yet */
    CH_WAIT,     /* count written, waiting for a GATE rising edge (modes 1, 5; 2, 3 with GATE low) */
    CH_COUNT,    /* CE loaded at tick t0 and counting */
    CH_HOLD,     /* modes 0 and 4 with GATE low: counting suspended after hold_k edges */
} ChState;

typedef struct PitChannel {
    uint8_t ctrl;             /* RW1 RW0 M2 M1 M0 BCD as written */
    uint8_t mode;             /* 0-5 */
    uint8_t rw;               /* 1 LSB, 2 MSB, 3 LSB then MSB */
    bool bcd;
    bool gate;
    uint16_t cr_raw;          /* count register bytes as written */
    uint32_t cr;              /* count register as a number of edges (0 -> 2^16 or 10^4) */
    uint32_t n;               /* the count CE was last loaded with */
    ChState st;
    uint64_t t0;              /* CH_COUNT: tick at which CE was loaded */
    uint64_t hold_k;          /* CH_HOLD: edges counted before GATE went low */
    bool pending;             /* modes 2, 3: cr reaches CE at tick pending_t */
    uint64_t pending_t;
    uint64_t null_until;      /* status NULL COUNT while the tick is below this */
    bool write_msb;           /* RW = 11: next count write is the MSB */
    bool read_msb;            /* RW = 11: next unlatched read is the MSB */
    uint16_t latch;           /* output latch */
    uint8_t latch_bytes;      /* bytes of `latch` still to be read (0: not latched) */
    bool latch_msb;           /* next latched byte is the MSB */
    bool status_latched;
    uint8_t status;
} PitChannel;

struct PitState {
    PitChannel ch[3];
    uint8_t port61;           /* bits 0-3 as written */
    Clock *clock;
    int event;
    IrqLine irq0;
    bool irq_level;           /* OUT0 as last given to irq0 */
    uint64_t edge_t;          /* tick of the OUT0 edge the event is set for */
};

static uint64_t pit_tick(const PitState *s)
{
    return timebase_scale_floor(clock_now(s->clock), PIT_HZ, NS_PER_SEC);
}

static uint64_t pit_tick_ns(uint64_t tick)
{
    return timebase_scale_ceil(tick, NS_PER_SEC, PIT_HZ);
}

static uint32_t ch_modulus(const PitChannel *c)
{
    return c->bcd ? 10000 : 65536;
}

/* The count register as a number of edges; BCD digits above 9 count with their binary weight. */
static uint32_t ch_decode_count(const PitChannel *c)
{
    uint32_t v = c->cr_raw;
    if (c->bcd)
        v = (v >> 12) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
    return v ? v : ch_modulus(c);
}

/* Modes 2 and 3 apply a count written while counting at the end of the current period. */
static void ch_sync(PitChannel *c, uint64_t t)
{
    if (c->pending && c->st == CH_COUNT && t >= c->pending_t) {
        c->t0 = c->pending_t;
        c->n = c->cr;
        c->pending = false;
    }
}

/* Edges since CE was loaded, or -1 while nothing is loaded (or the loading edge is still ahead). */
static int64_t ch_elapsed(const PitChannel *c, uint64_t t)
{
    if (c->st == CH_HOLD)
        return (int64_t)c->hold_k;
    if (c->st != CH_COUNT || t < c->t0)
        return -1;
    return (int64_t)(t - c->t0);
}

static bool ch_out_at(const PitChannel *c, int64_t k)
{
    if (k < 0)
        return c->mode != 0;
    uint64_t n = c->n, u = (uint64_t)k;
    switch (c->mode) {
    case 0:
    case 1: return u >= n;
    case 2: return u % n != n - 1;
    case 3: return u % n < (n + 1) / 2;
    default: return u != n;
    }
}

static uint32_t ch_count_at(const PitChannel *c, int64_t k)
{
    uint64_t m = ch_modulus(c), n = c->n, v;
    if (k < 0)
        return (uint32_t)(n % m);
    uint64_t u = (uint64_t)k;
    switch (c->mode) {
    case 2:
        v = n - u % n;
        break;
    case 3: {
        uint64_t p = u % n, h = (n + 1) / 2;
        v = (n & ~1ull) - 2 * (p < h ? p : p - h);
        break;
    }
    default:
        v = n % m + m - u % m;
        break;
    }
    return (uint32_t)(v % m);
}

static uint16_t ch_encode(const PitChannel *c, uint32_t v)
{
    if (!c->bcd)
        return (uint16_t)v;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

/* The first tick after t at which OUT changes (TICK_NEVER: not without a new write or gate edge). */
static uint64_t ch_next_edge(const PitChannel *c, uint64_t t)
{
    if (c->st != CH_COUNT)
        return TICK_NEVER;
    if (t < c->t0) {
        if (ch_out_at(c, 0) != ch_out_at(c, -1))
            return c->t0;
        t = c->t0;
    }
    uint64_t k = t - c->t0, n = c->n, p = k % n, h = (n + 1) / 2;
    switch (c->mode) {
    case 0:
    case 1: return k < n ? c->t0 + n : TICK_NEVER;
    case 2:
        if (n < 2)
            return TICK_NEVER;
        return t + (p < n - 1 ? n - 1 - p : 1);
    case 3:
        if (h == n)
            return TICK_NEVER;
        return t + (p < h ? h - p : n - p);
    default:
        if (k < n)
            return c->t0 + n;
        return k == n ? c->t0 + n + 1 : TICK_NEVER;
    }
}

/* Gives OUT0 to IRQ 0 and sets the clock event for its next edge. */
static void pit_update_irq(PitState *s, uint64_t t)
{
    if (!s->irq0.fn)
        return;
    PitChannel *c = &s->ch[0];
    bool out = ch_out_at(c, ch_elapsed(c, t));
    if (out != s->irq_level) {
        s->irq_level = out;
        irq_set(&s->irq0, out);
    }
    s->edge_t = ch_next_edge(c, t);
    clock_set_deadline(s->clock, s->event, s->edge_t == TICK_NEVER ? CLOCK_NEVER : pit_tick_ns(s->edge_t));
}

static void pit_event(void *opaque, uint64_t now)
{
    PitState *s = opaque;
    uint64_t t = timebase_scale_floor(now, PIT_HZ, NS_PER_SEC);
    PitChannel *c = &s->ch[0];
    ch_sync(c, t);
    bool out = ch_out_at(c, ch_elapsed(c, t));
    if (out == s->irq_level && s->edge_t <= t && s->irq0.fn) {
        /* the event ran late and both edges of a pulse passed: the controller still sees them */
        irq_set(&s->irq0, !out);
        irq_set(&s->irq0, out);
    }
    pit_update_irq(s, t);
}

/* Loads the count register just completed by a write (see the mode table above). */
static void ch_load(PitChannel *c, uint64_t t)
{
    c->cr = ch_decode_count(c);
    c->null_until = t + 1;
    switch (c->mode) {
    case 0:
    case 4:
        c->n = c->cr;
        c->pending = false;
        if (c->gate) {
            c->st = CH_COUNT;
            c->t0 = t + 1;
        } else {
            c->st = CH_HOLD;
            c->hold_k = 0;
        }
        break;
    case 1:
    case 5:
        if (c->st == CH_IDLE)
            c->st = CH_WAIT;
        c->null_until = TICK_NEVER;   /* until the next trigger loads it */
        break;
    default:
        if (c->st == CH_COUNT) {
            uint64_t k = t >= c->t0 ? t - c->t0 : 0;
            c->pending = true;
            c->pending_t = c->t0 + (k / c->n + 1) * c->n;
            c->null_until = c->pending_t;
        } else if (c->gate) {
            c->st = CH_COUNT;
            c->n = c->cr;
            c->t0 = t + 1;
        } else {
            c->st = CH_WAIT;
            c->null_until = TICK_NEVER;
        }
        break;
    }
}

static void ch_latch_count(PitChannel *c, uint64_t t)
{
    if (c->latch_bytes)
        return;
    c->latch = ch_encode(c, ch_count_at(c, ch_elapsed(c, t)));
    c->latch_bytes = c->rw == 3 ? 2 : 1;
    c->latch_msb = c->rw == 2;
}

static void ch_latch_status(PitChannel *c, uint64_t t)
{
    if (c->status_latched)
        return;
    bool out = ch_out_at(c, ch_elapsed(c, t));
    c->status = (uint8_t)(out << 7 | (t < c->null_until) << 6 | c->ctrl);
    c->status_latched = true;
}

static void ch_control(PitChannel *c, uint8_t v)
{
    c->ctrl = v & 0x3f;
    c->rw = (v >> 4) & 3;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;
    c->bcd = v & 1;
    c->st = CH_IDLE;
    c->pending = false;
    c->null_until = TICK_NEVER;
    c->write_msb = c->read_msb = false;
    c->latch_bytes = 0;
    c->status_latched = false;
}

static void ch_set_gate(PitChannel *c, bool level, uint64_t t)
{
    bool rising = level && !c->gate;
    bool falling = !level && c->gate;
    c->gate = level;
    ch_sync(c, t);
    switch (c->mode) {
    case 0:
    case 4:
        if (falling && c->st == CH_COUNT) {
            int64_t k = ch_elapsed(c, t);
            c->hold_k = k < 0 ? 0 : (uint64_t)k;
            c->st = CH_HOLD;
        } else if (rising && c->st == CH_HOLD) {
            c->t0 = t - c->hold_k;
            c->st = CH_COUNT;
        }
        break;
    default:
        if (falling && (c->mode == 2 || c->mode == 3) && c->st == CH_COUNT) {
            c->st = CH_WAIT;
            c->pending = false;
        } else if (rising && c->st != CH_IDLE) {
            c->st = CH_COUNT;
            c->n = c->cr;
            c->t0 = t + 1;
            c->pending = false;
            c->null_until = t + 1;
        }
        break;
    }
}

static uint32_t pit_read(void *opaque, uint16_t port, int size)
{
    PitState *s = opaque;
    (void)size;
    int i = port & 3;
    if (i == 3)
        return 0xff;   /* the control word register cannot be read */
    PitChannel *c = &s->ch[i];
    uint64_t t = pit_tick(s);
    ch_sync(c, t);
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->latch_bytes) {
        uint8_t b = c->latch_msb ? c->latch >> 8 : c->latch & 0xff;
        c->latch_bytes--;
        c->latch_msb = !c->latch_msb;
        return b;
    }
    uint16_t v = ch_encode(c, ch_count_at(c, ch_elapsed(c, t)));
    bool msb = c->rw == 2 || (c->rw == 3 && c->read_msb);
    if (c->rw == 3)
        c->read_msb = !c->read_msb;
    return msb ? v >> 8 : v & 0xff;
}

static void pit_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    PitState *s = opaque;
    (void)size;
    uint8_t v = (uint8_t)val;
    uint64_t t = pit_tick(s);
    int i = port & 3;
    if (i == 3) {
        int sc = v >> 6;
        if (sc == 3) {
            for (int j = 0; j < 3; j++) {
                if (!(v & (2 << j)))
                    continue;
                ch_sync(&s->ch[j], t);
                if (!(v & 0x10))
                    ch_latch_status(&s->ch[j], t);
                if (!(v & 0x20))
                    ch_latch_count(&s->ch[j], t);
            }
            return;
        }
        PitChannel *c = &s->ch[sc];
        ch_sync(c, t);
        if (((v >> 4) & 3) == 0)
            ch_latch_count(c, t);
        else
            ch_control(c, v);
        if (sc == 0)
            pit_update_irq(s, t);
        return;
    }
    PitChannel *c = &s->ch[i];
    ch_sync(c, t);
    switch (c->rw) {
    case 1:
        c->cr_raw = v;
        ch_load(c, t);
        break;
    case 2:
        c->cr_raw = (uint16_t)(v << 8);
        ch_load(c, t);
        break;
    default:
        if (!c->write_msb) {
            c->cr_raw = (uint16_t)((c->cr_raw & 0xff00) | v);
            c->write_msb = true;
            if (c->mode == 0) {
                c->st = CH_IDLE;   /* the first byte stops counting and sets OUT low */
                c->pending = false;
            }
        } else {
            c->cr_raw = (uint16_t)((c->cr_raw & 0x00ff) | v << 8);
            c->write_msb = false;
            ch_load(c, t);
        }
        break;
    }
    if (i == 0)
        pit_update_irq(s, t);
}

static const IoOps pit_ops = { pit_read, pit_write, 1 };

/* ---- port 0x61 ---- */

static uint32_t port61_read(void *opaque, uint16_t port, int size)
{
    PitState *s = opaque;
    (void)port;
    (void)size;
    bool refresh = (clock_now(s->clock) / REFRESH_NS) & 1;
    return s->port61 | refresh << 4 | pit_out(s, 2) << 5;
}

static void port61_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    PitState *s = opaque;
    (void)port;
    (void)size;
    s->port61 = val & 0x0f;
    pit_set_gate(s, 2, val & 1);
}

static const IoOps port61_ops = { port61_read, port61_write, 1 };

/* ---- the chip ---- */

bool pit_out(PitState *s, int channel)
{
    if (channel < 0 || channel > 2)
        return false;
    PitChannel *c = &s->ch[channel];
    uint64_t t = pit_tick(s);
    ch_sync(c, t);
    return ch_out_at(c, ch_elapsed(c, t));
}

void pit_set_gate(PitState *s, int channel, bool level)
{
    if (channel < 0 || channel > 2)
        return;
    uint64_t t = pit_tick(s);
    ch_set_gate(&s->ch[channel], level, t);
    if (channel == 0)
        pit_update_irq(s, t);
}

void pit_reset(PitState *s)
{
    for (int i = 0; i < 3; i++) {
        PitChannel *c = &s->ch[i];
        *c = (PitChannel){ .n = 65536, .gate = i != 2 };
        ch_control(c, 0x30);   /* LSB then MSB, mode 0, binary: OUT low, nothing counting */
    }
    s->port61 = 0;
    s->edge_t = TICK_NEVER;
    if (s->irq_level) {
        s->irq_level = false;
        irq_set(&s->irq0, 0);
    }
    clock_set_deadline(s->clock, s->event, CLOCK_NEVER);
}

PitState *pit_new(IoBus *bus, Clock *clock, IrqLine irq0)
{
    PitState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->clock = clock;
    s->irq0 = irq0;
    s->event = clock_add_event(clock, pit_event, s);
    if (s->event < 0) {
        free(s);
        return NULL;
    }
    pit_reset(s);
    io_register(bus, 0x40, 4, &pit_ops, s);
    io_register(bus, 0x61, 1, &port61_ops, s);
    return s;
}

/* ---- the state description (vm/state.h) ---- */

static const StateField pit_channel_fields[] = {
    STATE_U(PitChannel, ctrl), STATE_U(PitChannel, mode), STATE_U(PitChannel, rw), STATE_B(PitChannel, bcd),
    STATE_B(PitChannel, gate), STATE_U(PitChannel, cr_raw), STATE_U(PitChannel, cr), STATE_U(PitChannel, n),
    STATE_U(PitChannel, st), STATE_U(PitChannel, t0), STATE_U(PitChannel, hold_k), STATE_B(PitChannel, pending),
    STATE_U(PitChannel, pending_t), STATE_U(PitChannel, null_until), STATE_B(PitChannel, write_msb),
    STATE_B(PitChannel, read_msb), STATE_U(PitChannel, latch), STATE_U(PitChannel, latch_bytes),
    STATE_B(PitChannel, latch_msb), STATE_B(PitChannel, status_latched), STATE_U(PitChannel, status),
};
static const StateDesc pit_channel_state_desc = {
    "pit-channel", 1, sizeof(PitChannel), pit_channel_fields, STATE_COUNT(pit_channel_fields), NULL, 0, NULL,
};

static const StateField pit_fields[] = {
    STATE_S(PitState, ch, PitChannel, pit_channel_state_desc), STATE_U(PitState, port61),
    STATE_B(PitState, irq_level), STATE_U(PitState, edge_t),
};
static const StateField pit_host_fields[] = {
    STATE_HOST(PitState, clock), STATE_HOST(PitState, event), STATE_HOST(PitState, irq0),
};

static bool pit_post_load(void *obj, char *err, size_t errlen)
{
    PitState *s = obj;
    for (int i = 0; i < 3; i++) {
        const PitChannel *c = &s->ch[i];
        /* n and cr are divisors (k % n): 1..65536 edges, cr 0 only before a count is written */
        bool counts_ok = c->n >= 1 && c->n <= 65536 && c->cr <= 65536 &&
                         (c->cr != 0 || (c->st == CH_IDLE && !c->pending));
        if (c->mode > 5 || c->rw > 3 || c->st > CH_HOLD || c->latch_bytes > 2 || !counts_ok) {
            snprintf(err, errlen, "counter %d: mode %u, RW %u, state %d, latched bytes %u, count %u/%u", i, c->mode,
                     c->rw, (int)c->st, c->latch_bytes, c->n, c->cr);
            return false;
        }
    }
    return true;
}

const StateDesc pit_state_desc = {
    "pit", 1, sizeof(PitState), pit_fields, STATE_COUNT(pit_fields), pit_host_fields, STATE_COUNT(pit_host_fields),
    pit_post_load,
};
