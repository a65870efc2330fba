/*
 * hpet.c — High Precision Event Timer (IA-PC HPET specification 1.0a, section 2.3).
 *
 * Registers (64-bit, accessed as 32- or 64-bit):
 *   0x000 GCAP_ID (RO): 7:0 REV_ID = 1, 12:8 NUM_TIM_CAP = 2 (three timers), 13 COUNT_SIZE_CAP
 *         = 1 (64-bit counter), 15 LEG_RT_CAP = 1, 31:16 VENDOR_ID = 0x8086,
 *         63:32 COUNTER_CLK_PERIOD = 10,000,000 fs (100 MHz)
 *   0x010 GEN_CONF: 0 ENABLE_CNF (counter runs, interrupts allowed), 1 LEG_RT_CNF (timer 0 ->
 *         IRQ 0 of the 8259 / I/O APIC pin 2, timer 1 -> IRQ 8, instead of the 8254 and RTC)
 *   0x020 GINTR_STA: bit n Tn_INT_STS, level-triggered timers only; write 1 to clear
 *   0x0F0 MAIN_CNT: 64-bit up-counter, MAIN_CNT = value + (now - base) / 10 ns while enabled
 *   0x100 + 0x20 n Tn_CONF_CAP: 1 INT_TYPE (1 level), 2 INT_ENB, 3 TYPE (1 periodic),
 *         4 PER_INT_CAP (RO 1), 5 SIZE_CAP (RO 1: 64-bit), 6 VAL_SET, 8 32MODE, 13:9 INT_ROUTE,
 *         14 FSB_EN (RO 0), 15 FSB_INT_DEL_CAP (RO 0), 63:32 INT_ROUTE_CAP (RO: pin 2 only,
 *         which is what QEMU's i440FX machine reports)
 *   0x108 + 0x20 n Tn_COMPARATOR: reset all ones.  One-shot: the value to match.  Periodic:
 *         a write sets the period (the accumulator); with VAL_SET it also sets the comparator
 *         itself; VAL_SET clears after the write.  In 32-bit mode the comparator and period are
 *         32 bits wide, the match uses the low 32 bits of the counter, and writes to the high
 *         half are ignored.
 *   0x110 + 0x20 n Tn_FSB_INT_ROUTE: no FSB delivery: reads 0.
 *   other offsets read 0, writes ignored.
 * Matching: a timer fires on the tick at which the counter becomes equal to its comparator.
 *   Periodic timers then add the period to the comparator (more than once if the match was
 *   handled late, so the comparator is ahead of the counter again).  Level timers set their
 *   Tn_INT_STS bit and hold their output while it is set (and INT_ENB and ENABLE_CNF); edge
 *   timers pulse their output.  Each timer has one clock event at its next match.
 * XXX: writing a comparator equal to the current counter value waits for the next wrap (the
 *   match is on the counter's step onto the value), and MAIN_CNT writes are honoured while the
 *   counter runs (the spec leaves them undefined).  Narrower-than-32-bit writes are merged by
 *   the bus with a read, which clears other GINTR_STA bits; the spec requires 32/64-bit accesses.
 */
#include <stdlib.h>
#include <stdio.h>

#include "devices/hpet.h"
#include "vm/state.h"

#define CAP_REV_ID 0x01ull
#define CAP_NUM_TIM ((uint64_t)(HPET_TIMERS - 1) << 8)
#define CAP_COUNT_SIZE (1ull << 13)
#define CAP_LEG_RT (1ull << 15)
#define CAP_VENDOR (0x8086ull << 16)

#define CFG_ENABLE 0x1ull
#define CFG_LEGACY 0x2ull

#define TN_INT_TYPE (1ull << 1)
#define TN_INT_ENB (1ull << 2)
#define TN_TYPE (1ull << 3)
#define TN_PER_INT_CAP (1ull << 4)
#define TN_SIZE_CAP (1ull << 5)
#define TN_VAL_SET (1ull << 6)
#define TN_32MODE (1ull << 8)
#define TN_INT_ROUTE (0x1full << 9)
#define TN_WRITABLE (TN_INT_TYPE | TN_INT_ENB | TN_TYPE | TN_VAL_SET | TN_32MODE | TN_INT_ROUTE)
#define TN_CAPS (TN_PER_INT_CAP | TN_SIZE_CAP | (uint64_t)HPET_ROUTE_CAP << 32)

#define OUT_LEGACY0 32
#define OUT_NONE (-1)

static uint64_t hpet_counter_now(const HpetState *s)
{
    if (!(s->config & CFG_ENABLE))
        return s->counter;
    return s->counter + (clock_now(s->clock) - s->base_ns) / HPET_NS_PER_TICK;
}

/* Which output a timer drives: a legacy IRQ, an I/O APIC pin it may route to, or none. */
static int hpet_timer_output(const HpetState *s, const HpetTimer *t)
{
    if ((s->config & CFG_LEGACY) && t->index < 2)
        return OUT_LEGACY0 + t->index;
    int route = (int)((t->config & TN_INT_ROUTE) >> 9);
    return (HPET_ROUTE_CAP >> route & 1) ? route : OUT_NONE;
}

static const IrqLine *hpet_output_line(const HpetState *s, int out)
{
    return out >= OUT_LEGACY0 ? &s->legacy[out - OUT_LEGACY0] : &s->pin[out];
}

/* Output levels from the level-triggered timers whose status is set. */
static void hpet_update_irqs(HpetState *s)
{
    uint64_t want = 0;
    if (s->config & CFG_ENABLE) {
        for (int i = 0; i < HPET_TIMERS; i++) {
            const HpetTimer *t = &s->t[i];
            int out = hpet_timer_output(s, t);
            if (out != OUT_NONE && (t->config & TN_INT_TYPE) && (t->config & TN_INT_ENB) &&
                (s->isr >> i & 1))
                want |= 1ull << out;
        }
    }
    uint64_t changed = want ^ s->out;
    s->out = want;
    for (int out = 0; out <= OUT_LEGACY0 + 1; out++)
        if (changed >> out & 1)
            irq_set(hpet_output_line(s, out), (int)(want >> out & 1));
}

/* Virtual time of the next tick on which the counter steps onto the comparator. */
static void hpet_timer_schedule(HpetState *s, HpetTimer *t)
{
    t->deadline = CLOCK_NEVER;
    if (s->config & CFG_ENABLE) {
        uint64_t cur = hpet_counter_now(s);
        uint64_t delta;
        if (t->config & TN_32MODE) {
            delta = (uint32_t)((uint32_t)t->cmp - (uint32_t)cur);
            if (delta == 0)
                delta = 1ull << 32;
        } else {
            delta = t->cmp - cur;
        }
        uint64_t elapsed = cur - s->counter;            /* ticks since base_ns */
        uint64_t limit = (CLOCK_NEVER - 1 - s->base_ns) / HPET_NS_PER_TICK;
        if (delta != 0 && delta <= limit - elapsed)
            t->deadline = s->base_ns + (elapsed + delta) * HPET_NS_PER_TICK;
    }
    clock_set_deadline(s->clock, t->ev, t->deadline);
}

static void hpet_schedule_all(HpetState *s)
{
    for (int i = 0; i < HPET_TIMERS; i++)
        hpet_timer_schedule(s, &s->t[i]);
}

static void hpet_timer_event(void *opaque, uint64_t now_ns)
{
    HpetTimer *t = opaque;
    HpetState *s = t->hpet;
    (void)now_ns;
    if (!(s->config & CFG_ENABLE) || t->deadline == CLOCK_NEVER)
        return;
    if (t->config & TN_INT_TYPE) {
        s->isr |= 1ull << t->index;
        hpet_update_irqs(s);
    } else if (t->config & TN_INT_ENB) {
        int out = hpet_timer_output(s, t);
        if (out != OUT_NONE && !(s->out >> out & 1))
            irq_pulse(hpet_output_line(s, out));
    }
    if ((t->config & TN_TYPE) && t->period) {
        /* the match was at the deadline's counter value; step past the current counter */
        uint64_t cur = hpet_counter_now(s);
        if (t->config & TN_32MODE) {
            uint32_t cmp = (uint32_t)t->cmp, per = (uint32_t)t->period;
            uint32_t behind = (uint32_t)cur - cmp;
            cmp += ((behind / per) + 1) * per;
            t->cmp = cmp;
        } else {
            uint64_t behind = cur - t->cmp;
            t->cmp += ((behind / t->period) + 1) * t->period;
        }
    }
    hpet_timer_schedule(s, t);
}

/* ---- registers ---- */

static uint64_t hpet_reg_read(HpetState *s, uint64_t reg)
{
    switch (reg) {
    case 0x000:
        return CAP_REV_ID | CAP_NUM_TIM | CAP_COUNT_SIZE | CAP_LEG_RT | CAP_VENDOR |
               (uint64_t)HPET_PERIOD_FS << 32;
    case 0x010: return s->config;
    case 0x020: return s->isr;
    case 0x0f0: return hpet_counter_now(s);
    default:
        break;
    }
    if (reg >= 0x100 && reg < 0x100 + 0x20 * HPET_TIMERS) {
        const HpetTimer *t = &s->t[(reg - 0x100) / 0x20];
        switch (reg & 0x1f) {
        case 0x00: return t->config;
        case 0x08: return t->cmp;
        default: return 0;
        }
    }
    return 0;
}

static void hpet_write_gen_conf(HpetState *s, uint64_t val)
{
    uint64_t old = s->config;
    uint64_t now = clock_now(s->clock);
    if ((old & CFG_ENABLE) && !(val & CFG_ENABLE))
        s->counter = hpet_counter_now(s);       /* halt: freeze the count */
    if ((old ^ val) & CFG_ENABLE)
        s->base_ns = now;
    s->config = val & (CFG_ENABLE | CFG_LEGACY);
    hpet_schedule_all(s);
    hpet_update_irqs(s);
}

static void hpet_write_timer_conf(HpetState *s, HpetTimer *t, uint64_t val)
{
    t->config = (t->config & ~TN_WRITABLE) | (val & TN_WRITABLE);
    if (t->config & TN_32MODE) {
        t->cmp = (uint32_t)t->cmp;
        t->period = (uint32_t)t->period;
    }
    if (!(t->config & TN_INT_TYPE))
        s->isr &= ~(1ull << t->index);           /* edge timers have no status */
    hpet_update_irqs(s);
    hpet_timer_schedule(s, t);
}

static void hpet_write_timer_cmp(HpetState *s, HpetTimer *t, uint64_t val, uint64_t mask)
{
    if (t->config & TN_32MODE) {
        mask &= 0xffffffffu;
        if (!mask)
            return;
    }
    val &= mask;
    if (!(t->config & TN_TYPE) || (t->config & TN_VAL_SET))
        t->cmp = (t->cmp & ~mask) | val;
    t->period = (t->period & ~mask) | val;
    t->config &= ~TN_VAL_SET;
    hpet_timer_schedule(s, t);
}

/* A write of the bits in `mask` of the 64-bit register at `reg`. */
static void hpet_reg_write(HpetState *s, uint64_t reg, uint64_t val, uint64_t mask)
{
    switch (reg) {
    case 0x010:
        hpet_write_gen_conf(s, (s->config & ~mask) | (val & mask));
        return;
    case 0x020:
        s->isr &= ~(val & mask);
        hpet_update_irqs(s);
        return;
    case 0x0f0:
        s->counter = (hpet_counter_now(s) & ~mask) | (val & mask);
        s->base_ns = clock_now(s->clock);
        hpet_schedule_all(s);
        return;
    default:
        break;
    }
    if (reg >= 0x100 && reg < 0x100 + 0x20 * HPET_TIMERS) {
        HpetTimer *t = &s->t[(reg - 0x100) / 0x20];
        switch (reg & 0x1f) {
        case 0x00:
            hpet_write_timer_conf(s, t, (t->config & ~mask) | (val & mask));
            return;
        case 0x08:
            hpet_write_timer_cmp(s, t, val, mask);
            return;
        default:
            return;
        }
    }
}

/* ---- MMIO: 32- and 64-bit accesses at any offset, split on 64-bit register boundaries ---- */

static uint64_t hpet_mmio_read(void *opaque, uint64_t off, int size)
{
    HpetState *s = opaque;
    uint64_t v = 0;
    for (int i = 0; i < size;) {
        uint64_t a = off + (uint64_t)i;
        int sh = (int)(a & 7);
        int n = 8 - sh < size - i ? 8 - sh : size - i;
        uint64_t r = hpet_reg_read(s, a & ~7ull) >> (8 * sh);
        if (n < 8)
            r &= (1ull << (8 * n)) - 1;
        v |= r << (8 * i);
        i += n;
    }
    return v;
}

static void hpet_mmio_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    HpetState *s = opaque;
    for (int i = 0; i < size;) {
        uint64_t a = off + (uint64_t)i;
        int sh = (int)(a & 7);
        int n = 8 - sh < size - i ? 8 - sh : size - i;
        uint64_t m = n == 8 ? ~0ull : ((1ull << (8 * n)) - 1) << (8 * sh);
        hpet_reg_write(s, a & ~7ull, (val >> (8 * i)) << (8 * sh), m);
        i += n;
    }
}

static const MemOps hpet_mmio_ops = { hpet_mmio_read, hpet_mmio_write, 4, 8 };

/* ---- lifetime ---- */

void hpet_reset(HpetState *s)
{
    s->config = 0;
    s->isr = 0;
    s->counter = 0;
    s->base_ns = clock_now(s->clock);
    for (int i = 0; i < HPET_TIMERS; i++) {
        HpetTimer *t = &s->t[i];
        t->config = TN_CAPS;
        t->cmp = ~0ull;
        t->period = 0;
        t->deadline = CLOCK_NEVER;
        clock_set_deadline(s->clock, t->ev, CLOCK_NEVER);
    }
    hpet_update_irqs(s);
}

void hpet_connect_pin(HpetState *s, int pin, IrqLine line)
{
    if (pin >= 0 && pin < HPET_ROUTE_PINS)
        s->pin[pin] = line;
}

bool hpet_legacy_replacement(const HpetState *s)
{
    return (s->config & CFG_LEGACY) != 0;
}

HpetState *hpet_new(PhysMem *mem, uint64_t base, Clock *clock, IrqLine irq0, IrqLine irq8)
{
    HpetState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->clock = clock;
    s->legacy[0] = irq0;
    s->legacy[1] = irq8;
    for (int i = 0; i < HPET_TIMERS; i++) {
        s->t[i].hpet = s;
        s->t[i].index = i;
        s->t[i].ev = clock_add_event(clock, hpet_timer_event, &s->t[i]);
        if (s->t[i].ev < 0) {
            free(s);
            return NULL;
        }
    }
    /* the 1 KiB register block, mapped as the whole (page-sized) region; the rest reads 0 */
    if (mem_map_mmio(mem, base, 0x1000, &hpet_mmio_ops, s) < 0) {
        free(s);
        return NULL;
    }
    hpet_reset(s);
    return s;
}

/* ---- the state description (vm/state.h): counter, comparators, output levels ---- */

static const StateField hpet_timer_fields[] = {
    STATE_U(HpetTimer, config), STATE_U(HpetTimer, cmp), STATE_U(HpetTimer, period), STATE_U(HpetTimer, deadline),
};
static const StateField hpet_timer_host_fields[] = {
    STATE_HOST(HpetTimer, hpet), STATE_HOST(HpetTimer, index), STATE_HOST(HpetTimer, ev),
};
static const StateDesc hpet_timer_state_desc = {
    "hpet-timer", 1, sizeof(HpetTimer), hpet_timer_fields, STATE_COUNT(hpet_timer_fields), hpet_timer_host_fields,
    STATE_COUNT(hpet_timer_host_fields), NULL,
};

static const StateField hpet_fields[] = {
    STATE_U(HpetState, config), STATE_U(HpetState, isr), STATE_U(HpetState, counter), STATE_U(HpetState, base_ns),
    STATE_S(HpetState, t, HpetTimer, hpet_timer_state_desc), STATE_U(HpetState, out),
};
static const StateField hpet_host_fields[] = {
    STATE_HOST(HpetState, clock), STATE_HOST(HpetState, legacy), STATE_HOST(HpetState, pin),
};
/* A 32-bit timer's comparator and period are 32-bit values (the period is a divisor). */
static bool hpet_post_load(void *obj, char *err, size_t errlen)
{
    HpetState *s = obj;
    for (int i = 0; i < HPET_TIMERS; i++) {
        const HpetTimer *t = &s->t[i];
        if ((t->config & TN_32MODE) && ((t->cmp >> 32) || (t->period >> 32))) {
            snprintf(err, errlen, "timer %d: 64-bit comparator or period in 32-bit mode", i);
            return false;
        }
    }
    return true;
}

const StateDesc hpet_state_desc = {
    "hpet", 1, sizeof(HpetState), hpet_fields, STATE_COUNT(hpet_fields), hpet_host_fields,
    STATE_COUNT(hpet_host_fields), hpet_post_load,
};
