/*
 * ioapic.c — the I/O APIC (Intel 82093AA datasheet, sections 3.0-3.2; as QEMU's pc machine has
 * it at 0xFEC00000 with 24 pins).
 *
 * Memory window: IOREGSEL at +00h (8-bit register index, R/W), IOWIN at +10h (32-bit data of the
 * selected register).  Other offsets read 0 and ignore writes.
 * Registers:
 *   00h IOAPICID   bits 27:24 ID (R/W)
 *   01h IOAPICVER  0x00170011: maximum redirection entry 17h (24 pins), version 11h (RO)
 *   02h IOAPICARB  bits 27:24 arbitration ID (RO; loaded from the ID)
 *   10h-3Fh        redirection entries, two registers each (low at 10h + 2n, high at 11h + 2n):
 *     7:0 vector, 10:8 delivery mode (fixed, lowest priority, SMI, NMI, INIT, ExtINT),
 *     11 destination mode (0 physical, 1 logical), 12 delivery status (RO), 13 polarity
 *     (1 active low), 14 remote IRR (RO), 15 trigger mode (1 level), 16 mask, 63:56 destination.
 *   Reset: every entry masked, other bits 0; ID 0.
 *
 * Edge-triggered pins deliver one message on each rising edge while unmasked; an edge on a
 * masked pin is lost.  Level-triggered pins deliver while asserted, unmasked and remote IRR = 0;
 * remote IRR is set when a local APIC accepts the message and cleared by the EOI for its vector,
 * after which a still-asserted pin delivers again.  Unmasking an asserted level pin delivers.
 * Writing an entry to edge mode clears its remote IRR.  Delivery is immediate, so delivery
 * status always reads 0 (idle).
 *
 * XXX: an ExtINT entry (virtual wire through the I/O APIC, MP spec 3.6.2.2) sends its message,
 * but the 8259 reaches the CPU only through the local APIC's LINT0; Linux uses that path only
 * when the timer does not work through pin 2.  Each pin holds one level: devices sharing a pin
 * must be ORed by the board.
 * XXX: the lines carry logical assertion (1 = asserted whatever the wire's polarity), so the
 * polarity bit is stored and has no effect, as in QEMU; the ACPI tables describe each line as
 * its device drives it.
 */
#include <stdlib.h>
#include <stdio.h>

#include "devices/ioapic.h"
#include "vm/state.h"

#define IOAPIC_VERSION 0x00170011u

#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL (1ull << 15)
#define RTE_MASKED (1ull << 16)
#define RTE_WRITABLE_LO 0x0001afffull   /* all but delivery status and remote IRR */
#define RTE_WRITABLE_HI 0xff00000000000000ull

struct IoapicState {
    ApicDeliverFn deliver;
    void *opaque;
    uint8_t regsel;           /* IOREGSEL */
    uint8_t id;               /* IOAPICID[27:24] */
    uint64_t rte[IOAPIC_PINS];
    uint32_t pin_level;       /* bit n: pin n asserted */
};

/* Sends pin's message when the entry allows it (see the header comment). */
static void service(IoapicState *s, int pin)
{
    uint64_t e = s->rte[pin];
    if (!((s->pin_level >> pin) & 1) || (e & RTE_MASKED))
        return;
    bool level = (e & RTE_LEVEL) != 0;
    if (level && (e & RTE_REMOTE_IRR))
        return;
    ApicMsg m = {
        .vector = (uint8_t)e,
        .delivery = (uint8_t)((e >> 8) & 7),
        .logical = (e >> 11) & 1,
        .dest = (uint8_t)(e >> 56),
        .level = level,
    };
    bool accepted = s->deliver ? s->deliver(s->opaque, &m) : false;
    if (level && accepted && (m.delivery == APIC_DM_FIXED || m.delivery == APIC_DM_LOWEST))
        s->rte[pin] |= RTE_REMOTE_IRR;
}

void ioapic_set_irq(IoapicState *s, int pin, int level)
{
    if (pin < 0 || pin >= IOAPIC_PINS)
        return;
    uint32_t bit = 1u << pin;
    bool was = (s->pin_level & bit) != 0;
    if (level)
        s->pin_level |= bit;
    else
        s->pin_level &= ~bit;
    if (!level)
        return;
    if (s->rte[pin] & RTE_LEVEL)
        service(s, pin);
    else if (!was)
        service(s, pin);
}

void ioapic_eoi(IoapicState *s, uint8_t vector)
{
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = s->rte[pin];
        if ((uint8_t)e != vector || !(e & RTE_REMOTE_IRR))
            continue;
        s->rte[pin] &= ~RTE_REMOTE_IRR;
        service(s, pin);
    }
}

static uint32_t reg_read(const IoapicState *s)
{
    unsigned r = s->regsel;
    switch (r) {
    case 0x00: return (uint32_t)s->id << 24;
    case 0x01: return IOAPIC_VERSION;
    case 0x02: return (uint32_t)s->id << 24;
    default: break;
    }
    if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
        uint64_t e = s->rte[(r - 0x10) / 2];
        return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0;
}

static void reg_write(IoapicState *s, uint32_t v)
{
    unsigned r = s->regsel;
    if (r == 0x00) {
        s->id = (v >> 24) & 0xf;
        return;
    }
    if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_PINS)
        return;
    int pin = (int)(r - 0x10) / 2;
    uint64_t e = s->rte[pin];
    if (r & 1) {
        e = (e & ~RTE_WRITABLE_HI) | (((uint64_t)v << 32) & RTE_WRITABLE_HI);
    } else {
        e = (e & ~RTE_WRITABLE_LO) | (v & RTE_WRITABLE_LO);
        if (!(e & RTE_LEVEL))
            e &= ~RTE_REMOTE_IRR;
    }
    s->rte[pin] = e;
    if (!(r & 1) && (e & RTE_LEVEL))
        service(s, pin);    /* an asserted level pin unmasked (or re-aimed) delivers */
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t off, int size)
{
    IoapicState *s = opaque;
    (void)size;
    if (off == 0x00)
        return s->regsel;
    if (off == 0x10)
        return reg_read(s);
    return 0;
}

static void ioapic_mmio_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    IoapicState *s = opaque;
    (void)size;
    if (off == 0x00)
        s->regsel = (uint8_t)val;
    else if (off == 0x10)
        reg_write(s, (uint32_t)val);
}

static const MemOps ioapic_mmio_ops = { ioapic_mmio_read, ioapic_mmio_write, 4, 4 };

void ioapic_reset(IoapicState *s)
{
    s->regsel = 0;
    s->id = 0;
    for (int i = 0; i < IOAPIC_PINS; i++)
        s->rte[i] = RTE_MASKED;
    /* pin levels are the devices' outputs: a reset of this chip does not change them */
}

IoapicState *ioapic_new(PhysMem *mem, uint64_t base, ApicDeliverFn deliver, void *opaque)
{
    IoapicState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->deliver = deliver;
    s->opaque = opaque;
    if (mem_map_mmio(mem, base, 0x1000, &ioapic_mmio_ops, s) < 0) {
        free(s);
        return NULL;
    }
    ioapic_reset(s);
    return s;
}

/* ---- the state description (vm/state.h) ---- */

static const StateField ioapic_fields[] = {
    STATE_U(IoapicState, regsel), STATE_U(IoapicState, id), STATE_A(IoapicState, rte), STATE_U(IoapicState, pin_level),
};
static const StateField ioapic_host_fields[] = {
    STATE_HOST(IoapicState, deliver), STATE_HOST(IoapicState, opaque),
};
const StateDesc ioapic_state_desc = {
    "ioapic", 1, sizeof(IoapicState), ioapic_fields, STATE_COUNT(ioapic_fields), ioapic_host_fields,
    STATE_COUNT(ioapic_host_fields), NULL,
};
