/*
 * lapic.c — the local APIC, xAPIC mode (Intel SDM vol. 3, chapter 11 "Advanced Programmable
 * Interrupt Controller (APIC)").
 *
 * Register page (4 KiB at IA32_APIC_BASE[39:12], 11.4.1 table 11-1); registers sit on 16-byte
 * boundaries and are accessed as aligned 32-bit words (narrower accesses are merged by the bus):
 *   020 ID (bits 31:24, R/W)          030 version 0x00050014 (max LVT entry 5, version 14h)
 *   080 TPR (7:0)   090 APR (RO)      0A0 PPR (RO)        0B0 EOI (WO)      0C0 RRD (reads 0)
 *   0D0 LDR (31:24) 0E0 DFR (31:28; 27:0 read 1s)         0F0 SVR (vector 7:0, 8 APIC software
 *   enable, 9 focus processor checking; reset 0xFF)
 *   100-170 ISR, 180-1F0 TMR, 200-270 IRR (256 bits, 32 per register, RO)
 *   280 ESR (write-then-read: a write loads the errors seen since the previous write, 11.5.3;
 *       bit 5 send illegal vector, 6 receive illegal vector, 7 illegal register address)
 *   300/310 ICR low/high    320 LVT timer  330 LVT thermal  340 LVT PMC  350 LVT LINT0
 *   360 LVT LINT1  370 LVT error   380 initial count  390 current count (RO)  3E0 divide config
 * Other offsets are reserved: reads give 0, writes are dropped, both log "illegal register
 * address" in the ESR.
 *
 * Priorities (11.8.3.1): PPR = TPR when TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4, where ISRV is
 * the highest in-service vector.  A pending vector (IRR) is delivered when its class (vector[7:4])
 * is above PPR[7:4].  Acknowledge moves the highest IRR bit to ISR; EOI clears the highest ISR bit
 * and, when its TMR bit is set (a level-triggered interrupt), broadcasts the EOI to the I/O APICs.
 * Vectors 0-15 are illegal: such an interrupt is not accepted and logs "receive illegal vector".
 * CR8 is TPR[7:4] (10.8.6).
 *
 * Software disable (SVR bit 8 = 0, the reset state; 11.4.7.2): every LVT mask bit is set and
 * stays set; IRR/ISR contents are kept and still dispatched.  Hardware disable
 * (IA32_APIC_BASE[11] = 0, 11.4.3): the CPU is as one without an APIC — the page is not decoded
 * (reads all ones), nothing is accepted, the 8259 reaches INTR directly; re-enabling starts from
 * the power-up state.  While disabled either way the 8259's INTR passes through (virtual wire),
 * and with LVT LINT0 unmasked in ExtINT mode (11.5.1).
 *
 * Timer (11.5.4): the counter decrements at the bus clock divided by the divide configuration
 * (bits 0,1,3: 000 /2, 001 /4, 010 /8, 011 /16, 100 /32, 101 /64, 110 /128, 111 /1).
 *   one-shot (LVT[18:17] = 00): counts from the initial count to 0, interrupts once, stays at 0.
 *   periodic (01): interrupts at 0 and reloads the initial count.
 *   TSC-deadline (10, 11.5.4.1): initial count writes are ignored and the current count reads 0;
 *   IA32_TSC_DEADLINE arms the timer (0 disarms), it fires when the TSC reaches the value and the
 *   MSR then reads 0.  In the other modes the MSR reads 0 and writes are dropped.  Changing the
 *   mode to or from TSC-deadline disarms the timer.
 *   An initial-count write (re)starts the count; 0 stops it.  A masked LVT still counts.
 * The bus clock is the virtual clock itself: 1 GHz, one tick per virtual ns before the divider
 * (as QEMU's APIC counts ns).  Linux measures it against the PIT or HPET.
 *
 * ICR (11.6.1): writing the low word sends the IPI at once (delivery status always reads idle).
 * With one CPU only messages that address this APIC do anything: shorthand self or all-including-
 * self, or a destination that matches (physical: APIC ID or 0xFF; logical: LDR under the DFR
 * flat or cluster model).  Fixed and lowest-priority deliver the vector (edge), NMI raises NMI;
 * INIT, start-up and SMI have no other CPU to act on and are dropped.
 *
 * XXX: no x2APIC, no EOI-broadcast suppression (version bit 24 = 0), thermal and performance-
 * counter LVT entries are stored but never fire (no such sensors or counters).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "devices/lapic.h"
#include "vm/state.h"

#define LAPIC_VERSION 0x00050014u

/* LVT indexes (register 320h + 10h * n). */
enum { LVT_TIMER, LVT_THERMAL, LVT_PMC, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

#define LVT_MASKED     (1u << 16)
#define LVT_LEVEL      (1u << 15)
#define LVT_TIMER_MODE (3u << 17)
#define TIMER_ONESHOT  (0u << 17)
#define TIMER_PERIODIC (1u << 17)
#define TIMER_TSCDL    (2u << 17)

/* Writable bits per LVT entry (delivery status and remote IRR are read-only). */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x000700ffu,    /* vector, mask, timer mode */
    [LVT_THERMAL] = 0x000107ffu,  /* vector, delivery mode, mask */
    [LVT_PMC] = 0x000107ffu,
    [LVT_LINT0] = 0x0001a7ffu,    /* vector, delivery mode, polarity, trigger, mask */
    [LVT_LINT1] = 0x0001a7ffu,
    [LVT_ERROR] = 0x000100ffu,    /* vector, mask */
};

#define SVR_ENABLE (1u << 8)
#define SVR_WRITABLE 0x3ffu

#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_ILLEGAL_REG  (1u << 7)

#define ICR_WRITABLE 0x000ccfffu   /* vector, delivery mode, dest mode, level, trigger, shorthand */

struct LapicState {
    PhysMem *mem;
    Clock *clock;
    int timer_ev;
    LapicHooks hooks;
    uint64_t tsc_per_insn;

    uint64_t apic_base;       /* IA32_APIC_BASE as the CPU holds it */
    uint8_t id;
    uint8_t tpr;
    uint32_t ldr, dfr, svr;
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t esr;             /* what ESR reads: loaded on the last ESR write */
    uint32_t esr_pending;     /* errors seen since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    uint32_t initial_count;
    uint32_t dcr;
    bool lint_level[2];

    /* Timer: in one-shot/periodic mode the count equals initial_count at `timer_start` (ns) and
     * runs while `timer_running`; `timer_next` is the next expiry (CLOCK_NEVER: none). */
    bool timer_running;
    uint64_t timer_start;
    uint64_t timer_next;
    uint64_t tsc_deadline;    /* IA32_TSC_DEADLINE (0: disarmed) */
};

static bool hw_enabled(const LapicState *s)
{
    return (s->apic_base & LAPIC_BASE_EN) != 0;
}

static bool sw_enabled(const LapicState *s)
{
    return (s->svr & SVR_ENABLE) != 0;
}

/* ---- the 256-bit registers ---- */

static bool bit_test(const uint32_t *r, unsigned v)
{
    return (r[v >> 5] >> (v & 31)) & 1;
}

static void bit_set(uint32_t *r, unsigned v)
{
    r[v >> 5] |= 1u << (v & 31);
}

static void bit_clear(uint32_t *r, unsigned v)
{
    r[v >> 5] &= ~(1u << (v & 31));
}

/* Highest set bit, or -1. */
static int bit_highest(const uint32_t *r)
{
    for (int i = 7; i >= 0; i--)
        if (r[i])
            return i * 32 + 31 - __builtin_clz(r[i]);
    return -1;
}

/* ---- priorities ---- */

static uint8_t ppr(const LapicState *s)
{
    int isrv = bit_highest(s->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    return (s->tpr & 0xf0) >= isr_class ? s->tpr : isr_class;
}

/* Arbitration priority (11.6.2.4, table 11-5 note): TPR when TPR[7:4] is at or above both the
 * highest pending and the highest in-service class, else the highest of the three classes. */
static uint8_t apr(const LapicState *s)
{
    int irrv = bit_highest(s->irr), isrv = bit_highest(s->isr);
    uint8_t irr_class = irrv < 0 ? 0 : (uint8_t)(irrv & 0xf0);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    uint8_t tpr_class = s->tpr & 0xf0;
    if (tpr_class >= irr_class && tpr_class > isr_class)
        return s->tpr;
    uint8_t m = tpr_class > irr_class ? tpr_class : irr_class;
    return m > isr_class ? m : isr_class;
}

/* The vector the CPU would take now, or -1. */
static int deliverable(const LapicState *s)
{
    if (!hw_enabled(s))
        return -1;
    int v = bit_highest(s->irr);
    if (v < 0 || (v & 0xf0) <= (ppr(s) & 0xf0))
        return -1;
    return v;
}

/* ---- accepting interrupts ---- */

static void accept_fixed(LapicState *s, uint8_t vector, bool level, bool from_error);

/* Logs an error and raises the error LVT interrupt (11.5.3).  `from_error`: the error interrupt
 * itself had an illegal vector, which logs but cannot raise again. */
static void signal_error(LapicState *s, uint32_t bits, bool from_error)
{
    s->esr_pending |= bits;
    uint32_t lvt = s->lvt[LVT_ERROR];
    if (!from_error && !(lvt & LVT_MASKED))
        accept_fixed(s, (uint8_t)lvt, false, true);
}

/* A fixed interrupt arrives: IRR set, TMR = trigger mode (11.8.4). */
static void accept_fixed(LapicState *s, uint8_t vector, bool level, bool from_error)
{
    if (vector < 16) {
        signal_error(s, ESR_RECV_ILLEGAL, from_error);
        return;
    }
    bit_set(s->irr, vector);
    if (level)
        bit_set(s->tmr, vector);
    else
        bit_clear(s->tmr, vector);
}

static void nmi(LapicState *s)
{
    if (s->hooks.nmi)
        s->hooks.nmi(s->hooks.opaque);
}

/* An LVT source fires (11.5.1): fixed or NMI; ExtINT is the board's path to the 8259; SMI and
 * INIT have nothing to act on. */
static void lvt_fire(LapicState *s, int idx)
{
    uint32_t lvt = s->lvt[idx];
    if (!hw_enabled(s) || (lvt & LVT_MASKED))
        return;
    uint8_t mode = idx == LVT_TIMER || idx == LVT_ERROR ? APIC_DM_FIXED : (uint8_t)((lvt >> 8) & 7);
    if (mode == APIC_DM_FIXED)
        accept_fixed(s, (uint8_t)lvt, (idx == LVT_LINT0 || idx == LVT_LINT1) && (lvt & LVT_LEVEL),
                     false);
    else if (mode == APIC_DM_NMI)
        nmi(s);
}

static bool match_dest(const LapicState *s, bool logical, uint8_t dest)
{
    if (dest == 0xff)
        return true;
    if (!logical)
        return dest == s->id;
    uint8_t ld = (uint8_t)(s->ldr >> 24);
    if ((s->dfr >> 28) == 0xf)            /* flat model: one bit per APIC */
        return (ld & dest) != 0;
    /* cluster model: bits 7:4 cluster, 3:0 member bits */
    return (dest >> 4) == (ld >> 4) && (dest & ld & 0x0f) != 0;
}

static void deliver_self(LapicState *s, const ApicMsg *m)
{
    switch (m->delivery) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        accept_fixed(s, m->vector, m->level, false);
        break;
    case APIC_DM_NMI:
        nmi(s);
        break;
    default:
        break;   /* SMI, INIT, start-up: no other CPU to act on; ExtINT: see ioapic.c's XXX */
    }
}

bool lapic_deliver(LapicState *s, const ApicMsg *m)
{
    if (!hw_enabled(s) || !match_dest(s, m->logical, m->dest))
        return false;
    if ((m->delivery == APIC_DM_FIXED || m->delivery == APIC_DM_LOWEST) && m->vector < 16) {
        signal_error(s, ESR_RECV_ILLEGAL, false);
        return false;
    }
    deliver_self(s, m);
    return true;
}

void lapic_set_lint(LapicState *s, int pin, int level)
{
    if (pin < 0 || pin > 1)
        return;
    bool rising = level && !s->lint_level[pin];
    s->lint_level[pin] = level != 0;
    if (rising)
        lvt_fire(s, LVT_LINT0 + pin);
}

/* ICR low write: send the IPI (11.6.1). */
static void send_ipi(LapicState *s)
{
    ApicMsg m = {
        .vector = (uint8_t)s->icr_lo,
        .delivery = (uint8_t)((s->icr_lo >> 8) & 7),
        .logical = (s->icr_lo >> 11) & 1,
        .dest = (uint8_t)(s->icr_hi >> 24),
        .level = false,   /* IPIs are edge (the trigger bit only matters for INIT level de-assert) */
    };
    if ((m.delivery == APIC_DM_FIXED || m.delivery == APIC_DM_LOWEST) && m.vector < 16) {
        signal_error(s, ESR_SEND_ILLEGAL, false);
        return;
    }
    switch ((s->icr_lo >> 18) & 3) {
    case 0:   /* no shorthand: the destination field */
        if (match_dest(s, m.logical, m.dest))
            deliver_self(s, &m);
        break;
    case 1:   /* self */
    case 2:   /* all including self */
        deliver_self(s, &m);
        break;
    default:  /* all excluding self: there is no other CPU */
        break;
    }
}

/* ---- the CPU's acknowledge cycle ---- */

bool lapic_intr_pending(const LapicState *s)
{
    return deliverable(s) >= 0;
}

uint8_t lapic_intr_ack(LapicState *s)
{
    int v = deliverable(s);
    if (v < 0)
        return (uint8_t)s->svr;    /* spurious interrupt: no ISR bit, no EOI expected */
    bit_clear(s->irr, (unsigned)v);
    bit_set(s->isr, (unsigned)v);
    return (uint8_t)v;
}

bool lapic_accepts_pic(const LapicState *s)
{
    if (!hw_enabled(s) || !sw_enabled(s))
        return true;
    uint32_t lint0 = s->lvt[LVT_LINT0];
    return !(lint0 & LVT_MASKED) && ((lint0 >> 8) & 7) == APIC_DM_EXTINT;
}

static void eoi(LapicState *s)
{
    int v = bit_highest(s->isr);
    if (v < 0)
        return;
    bit_clear(s->isr, (unsigned)v);
    if (bit_test(s->tmr, (unsigned)v) && s->hooks.eoi)
        s->hooks.eoi(s->hooks.opaque, (uint8_t)v);
}

/* ---- timer ---- */

static uint64_t timer_divisor(const LapicState *s)
{
    uint32_t v = (s->dcr & 3) | ((s->dcr >> 1) & 4);
    return v == 7 ? 1 : 2ull << v;
}

static uint32_t timer_mode(const LapicState *s)
{
    return s->lvt[LVT_TIMER] & LVT_TIMER_MODE;
}

static uint64_t timer_period(const LapicState *s)
{
    return (uint64_t)s->initial_count * timer_divisor(s);
}

static void timer_arm(LapicState *s, uint64_t when)
{
    s->timer_next = when;
    clock_set_deadline(s->clock, s->timer_ev, when);
}

static uint32_t timer_current(const LapicState *s)
{
    if (timer_mode(s) == TIMER_TSCDL || !s->timer_running || s->initial_count == 0)
        return 0;
    uint64_t ticks = (clock_now(s->clock) - s->timer_start) / timer_divisor(s);
    if (timer_mode(s) == TIMER_PERIODIC)
        return s->initial_count - (uint32_t)(ticks % s->initial_count);
    return ticks >= s->initial_count ? 0 : s->initial_count - (uint32_t)ticks;
}

static void timer_start_count(LapicState *s)
{
    if (s->initial_count == 0 || timer_mode(s) == TIMER_TSCDL) {
        s->timer_running = false;
        timer_arm(s, CLOCK_NEVER);
        return;
    }
    s->timer_running = true;
    s->timer_start = clock_now(s->clock);
    timer_arm(s, s->timer_start + timer_period(s));
}

static uint64_t tsc_now(const LapicState *s)
{
    return s->hooks.tsc ? s->hooks.tsc(s->hooks.opaque) : clock_now(s->clock) / CLOCK_NS_PER_INSN * s->tsc_per_insn;
}

/* TSC-deadline mode: the virtual time at which the TSC reaches the deadline. */
static void timer_arm_tsc(LapicState *s)
{
    if (timer_mode(s) != TIMER_TSCDL || s->tsc_deadline == 0) {
        timer_arm(s, CLOCK_NEVER);
        return;
    }
    uint64_t now = clock_now(s->clock), tsc = tsc_now(s);
    if (s->tsc_deadline <= tsc) {
        timer_arm(s, now);
        return;
    }
    uint64_t ticks = s->tsc_deadline - tsc;
    uint64_t insns = ticks / s->tsc_per_insn + (ticks % s->tsc_per_insn != 0);
    uint64_t ns = insns > (CLOCK_NEVER - 1 - now) / CLOCK_NS_PER_INSN ? CLOCK_NEVER - 1 - now
                                                                      : insns * CLOCK_NS_PER_INSN;
    timer_arm(s, now + ns);
}

static void timer_expire(void *opaque, uint64_t now)
{
    LapicState *s = opaque;
    if (s->timer_next == CLOCK_NEVER || now < s->timer_next)
        return;
    s->timer_next = CLOCK_NEVER;
    if (timer_mode(s) == TIMER_TSCDL) {
        if (s->tsc_deadline == 0)
            return;
        s->tsc_deadline = 0;
    } else {
        if (!s->timer_running)
            return;
        if (timer_mode(s) == TIMER_PERIODIC) {
            uint64_t period = timer_period(s);
            uint64_t elapsed = now - s->timer_start;
            s->timer_start += elapsed - elapsed % period;    /* the last reload at or before now */
            timer_arm(s, s->timer_start + period);
        } else {
            s->timer_running = false;
        }
    }
    lvt_fire(s, LVT_TIMER);
}

/* A new divide configuration changes the rate of the running count from its current value. */
static void timer_set_dcr(LapicState *s, uint32_t v)
{
    if (!s->timer_running || timer_mode(s) == TIMER_TSCDL) {
        s->dcr = v;
        return;
    }
    uint32_t cur = timer_current(s);
    s->dcr = v;
    uint64_t now = clock_now(s->clock);
    s->timer_start = now - (uint64_t)(s->initial_count - cur) * timer_divisor(s);
    timer_arm(s, now + (uint64_t)cur * timer_divisor(s));
}

static void timer_set_lvt(LapicState *s, uint32_t v)
{
    uint32_t old_mode = timer_mode(s);
    s->lvt[LVT_TIMER] = v;
    uint32_t mode = timer_mode(s);
    if ((old_mode == TIMER_TSCDL) != (mode == TIMER_TSCDL)) {
        /* 11.5.4.1: switching to or from TSC-deadline mode disarms the timer */
        s->timer_running = false;
        s->tsc_deadline = 0;
        timer_arm(s, CLOCK_NEVER);
    } else if (s->timer_running && mode != TIMER_TSCDL) {
        /* one-shot <-> periodic: the count goes on; the next expiry is where it reaches 0 */
        uint32_t cur = timer_current(s);
        if (cur == 0) {
            s->timer_running = false;
            timer_arm(s, CLOCK_NEVER);
        } else {
            timer_arm(s, clock_now(s->clock) + (uint64_t)cur * timer_divisor(s));
        }
    }
}

uint64_t lapic_get_tsc_deadline(const LapicState *s)
{
    return timer_mode(s) == TIMER_TSCDL ? s->tsc_deadline : 0;
}

void lapic_set_tsc_deadline(LapicState *s, uint64_t tsc)
{
    if (timer_mode(s) != TIMER_TSCDL)
        return;
    s->tsc_deadline = tsc;
    timer_arm_tsc(s);
}

/* ---- registers ---- */

static void set_lvt(LapicState *s, int idx, uint32_t v)
{
    v &= lvt_writable[idx];
    if (!sw_enabled(s))
        v |= LVT_MASKED;
    if (idx == LVT_TIMER)
        timer_set_lvt(s, v);
    else
        s->lvt[idx] = v;
}

static void set_svr(LapicState *s, uint32_t v)
{
    s->svr = v & SVR_WRITABLE;
    if (!sw_enabled(s))
        for (int i = 0; i < LVT_COUNT; i++)
            s->lvt[i] |= LVT_MASKED;
}

static uint32_t reg_read(LapicState *s, unsigned reg)
{
    switch (reg) {
    case 0x02: return (uint32_t)s->id << 24;
    case 0x03: return LAPIC_VERSION;
    case 0x08: return s->tpr;
    case 0x09: return apr(s);
    case 0x0a: return ppr(s);
    case 0x0b: return 0;            /* EOI: write-only */
    case 0x0c: return 0;            /* remote read: not supported by xAPICs */
    case 0x0d: return s->ldr;
    case 0x0e: return s->dfr | 0x0fffffffu;
    case 0x0f: return s->svr;
    case 0x28: return s->esr;
    case 0x30: return s->icr_lo;
    case 0x31: return s->icr_hi;
    case 0x38: return s->initial_count;
    case 0x39: return timer_current(s);
    case 0x3e: return s->dcr;
    default:
        break;
    }
    if (reg >= 0x10 && reg < 0x18)
        return s->isr[reg - 0x10];
    if (reg >= 0x18 && reg < 0x20)
        return s->tmr[reg - 0x18];
    if (reg >= 0x20 && reg < 0x28)
        return s->irr[reg - 0x20];
    if (reg >= 0x32 && reg < 0x32 + LVT_COUNT)
        return s->lvt[reg - 0x32];
    signal_error(s, ESR_ILLEGAL_REG, false);
    return 0;
}

static void reg_write(LapicState *s, unsigned reg, uint32_t v)
{
    switch (reg) {
    case 0x02: s->id = (uint8_t)(v >> 24); return;
    case 0x08: s->tpr = (uint8_t)v; return;
    case 0x0b: eoi(s); return;
    case 0x0d: s->ldr = v & 0xff000000u; return;
    case 0x0e: s->dfr = v & 0xf0000000u; return;
    case 0x0f: set_svr(s, v); return;
    case 0x28:
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        return;
    case 0x30:
        s->icr_lo = v & ICR_WRITABLE;
        send_ipi(s);
        return;
    case 0x31: s->icr_hi = v & 0xff000000u; return;
    case 0x38:
        if (timer_mode(s) != TIMER_TSCDL) {
            s->initial_count = v;
            timer_start_count(s);
        }
        return;
    case 0x3e: timer_set_dcr(s, v & 0xb); return;
    case 0x03: case 0x09: case 0x0a: case 0x0c: case 0x39:
        return;   /* read-only */
    default:
        break;
    }
    if (reg >= 0x10 && reg < 0x28)
        return;   /* ISR, TMR, IRR: read-only */
    if (reg >= 0x32 && reg < 0x32 + LVT_COUNT) {
        set_lvt(s, (int)(reg - 0x32), v);
        return;
    }
    signal_error(s, ESR_ILLEGAL_REG, false);
}

static uint64_t lapic_mmio_read(void *opaque, uint64_t off, int size)
{
    LapicState *s = opaque;
    (void)size;
    if (!hw_enabled(s))
        return 0xffffffffu;
    if (off & 0xf)
        return 0;   /* the rest of each 16-byte slot */
    return reg_read(s, (unsigned)(off >> 4));
}

static void lapic_mmio_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    LapicState *s = opaque;
    (void)size;
    if (!hw_enabled(s) || (off & 0xf))
        return;
    reg_write(s, (unsigned)(off >> 4), (uint32_t)val);
}

static const MemOps lapic_mmio_ops = { lapic_mmio_read, lapic_mmio_write, 4, 4 };

/* ---- CPU side ---- */

/* Register state at power-up and after RESET# (11.4.7.1); IA32_APIC_BASE is the caller's. */
static void regs_reset(LapicState *s)
{
    s->id = 0;
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xf0000000u;
    s->svr = 0xff;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    for (int i = 0; i < LVT_COUNT; i++)
        s->lvt[i] = LVT_MASKED;
    s->initial_count = 0;
    s->dcr = 0;
    s->lint_level[0] = s->lint_level[1] = false;
    s->timer_running = false;
    s->timer_start = 0;
    s->tsc_deadline = 0;
    timer_arm(s, CLOCK_NEVER);
}

void lapic_set_base(LapicState *s, uint64_t apic_base)
{
    bool was_enabled = hw_enabled(s);
    uint64_t old_page = s->apic_base & ~0xfffull;
    s->apic_base = apic_base;
    if (was_enabled != hw_enabled(s))
        regs_reset(s);   /* 11.4.3: disabling loses the APIC state; enabling starts at power-up */
    uint64_t page = apic_base & ~0xfffull;
    if (page != old_page)
        mem_move_mmio(s->mem, s, page);
}

uint64_t lapic_get_base(const LapicState *s)
{
    return s->apic_base;
}

uint8_t lapic_get_cr8(const LapicState *s)
{
    return s->tpr >> 4;
}

void lapic_set_cr8(LapicState *s, uint8_t cr8)
{
    s->tpr = (uint8_t)((cr8 & 0xf) << 4);
}

void lapic_reset(LapicState *s)
{
    s->apic_base = LAPIC_DEFAULT_BASE | LAPIC_BASE_EN | LAPIC_BASE_BSP;
    mem_move_mmio(s->mem, s, LAPIC_DEFAULT_BASE);
    regs_reset(s);
}

LapicState *lapic_new(PhysMem *mem, Clock *clock, const LapicHooks *hooks, uint64_t tsc_per_insn)
{
    LapicState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->mem = mem;
    s->clock = clock;
    s->hooks = *hooks;
    s->tsc_per_insn = tsc_per_insn ? tsc_per_insn : 1;
    s->timer_ev = clock_add_event(clock, timer_expire, s);
    if (s->timer_ev < 0 || mem_map_mmio(mem, LAPIC_DEFAULT_BASE, 0x1000, &lapic_mmio_ops, s) < 0) {
        free(s);
        return NULL;
    }
    lapic_reset(s);
    return s;
}

/* ---- the state description (vm/state.h): registers, IRR/ISR/TMR, timer, TSC deadline ---- */

static const StateField lapic_fields[] = {
    STATE_U(LapicState, apic_base), STATE_U(LapicState, id), STATE_U(LapicState, tpr), STATE_U(LapicState, ldr),
    STATE_U(LapicState, dfr), STATE_U(LapicState, svr), STATE_A(LapicState, isr), STATE_A(LapicState, tmr),
    STATE_A(LapicState, irr), STATE_U(LapicState, esr), STATE_U(LapicState, esr_pending),
    STATE_U(LapicState, icr_lo), STATE_U(LapicState, icr_hi), STATE_A(LapicState, lvt),
    STATE_U(LapicState, initial_count), STATE_U(LapicState, dcr), STATE_B(LapicState, lint_level),
    STATE_B(LapicState, timer_running), STATE_U(LapicState, timer_start), STATE_U(LapicState, timer_next),
    STATE_U(LapicState, tsc_deadline),
};
static const StateField lapic_host_fields[] = {
    STATE_HOST(LapicState, mem), STATE_HOST(LapicState, clock), STATE_HOST(LapicState, timer_ev),
    STATE_HOST(LapicState, hooks), STATE_HOST(LapicState, tsc_per_insn),
};

/* The register page sits where IA32_APIC_BASE says. */
static bool lapic_post_load(void *obj, char *err, size_t errlen)
{
    LapicState *s = obj;
    if (s->apic_base >> 52) {
        snprintf(err, errlen, "IA32_APIC_BASE %#llx", (unsigned long long)s->apic_base);
        return false;
    }
    mem_move_mmio(s->mem, s, s->apic_base & ~0xfffull);
    return true;
}

const StateDesc lapic_state_desc = {
    "lapic", 1, sizeof(LapicState), lapic_fields, STATE_COUNT(lapic_fields), lapic_host_fields,
    STATE_COUNT(lapic_host_fields), lapic_post_load,
};
