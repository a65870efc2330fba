/*
 * i8259.c — two cascaded Intel 8259A PICs as wired on a PC/AT and on the PIIX3 south bridge
 * (Intel 8259A datasheet; PIIX3 datasheet, 2.4 "Interrupt controller registers", ELCR).
 *
 * Ports: master 0x20 (even) / 0x21 (odd), slave 0xA0 / 0xA1; ELCR1 0x4D0 (IRQ 0-7), ELCR2 0x4D1
 * (IRQ 8-15).  The slave's INT output drives master IR2 and nothing else does (the AT bus's IRQ 2
 * pin is IRQ 9), so pic_set_irq ignores IRQ 2; ISA IRQ 8-15 are slave IR0-7.
 *
 * Initialization (even-port write with D4 = 1 is ICW1): the edge-sense latches are reset (an
 * edge input needs a new low-to-high transition), IMR = 0, IR7 gets the lowest priority, special
 * mask mode off, reads return IRR; without IC4 every ICW4 function is 0.  Then the odd port takes
 * ICW2 (vector base T7-T3), ICW3 unless SNGL (master: bit mask of inputs with a slave; slave: its
 * ID), ICW4 if IC4 (uPM, AEOI, BUF/MS, SFNM).  XXX: ICW1 also clears ISR (the datasheet leaves
 * it alone; a re-initialising guest gets a clean controller, as on QEMU).
 *
 * Operation: OCW1 (odd port) = IMR.  OCW2 (even, D4 D3 = 00), R SL EOI in D7-D5:
 *   001 non-specific EOI (clears the highest-priority ISR bit)   011 specific EOI of L2-L0
 *   101 rotate on non-specific EOI (that IR becomes lowest)      111 rotate on specific EOI
 *   100 / 000 set / clear rotate in AEOI mode                    110 set priority (L = lowest)
 *   010 no operation
 * OCW3 (even, D4 D3 = 01): ESMM/SMM special mask mode, P poll, RR/RIS read ISR or IRR.  Odd-port
 * reads return IMR.  A poll makes the next read of the chip (either port: the datasheet speaks of
 * the next RD pulse) an acknowledge of that chip: 0x80 | level, or 0 when nothing is requesting.
 *
 * Priority: IR(lowest+1) is highest, going round to IR(lowest).  A request at an unmasked input
 * interrupts when it outranks every in-service level (fully nested mode).  In special fully nested
 * mode (master) the cascade input's ISR bit does not block, so a higher request on the slave gets
 * through.  In special mask mode masked ISR bits are invisible to the resolver (and to a
 * non-specific EOI): an unmasked level may interrupt while a masked one is in service.
 *
 * Triggering: edge inputs latch IRR on a rising edge and keep it until acknowledged (a device's
 * pulse is never lost); level inputs (ELCR bit, or ICW1 LTIM) make IRR follow the line, so a
 * request that is still high after EOI interrupts again.  ELCR bits for IRQ 0, 1, 2, 8 and 13 do
 * not exist (read 0), as on PIIX.  XXX: LTIM is honoured as on a discrete 8259A (PIIX ignores it).
 *
 * INTA: the master resolves; the winner's IRR bit is cleared if edge-triggered and its ISR bit
 * set (not with AEOI, which instead rotates if "rotate in AEOI" is on).  If the master's winner is
 * an input with a slave (ICW3, not SNGL) the slave with ID 2 resolves and supplies the vector.
 * A request that is gone by the INTA cycle (line dropped, masked) gives the default IR7 vector of
 * that chip without setting its ISR bit: spurious IRQ 7, or IRQ 15 with the master's IR2 in
 * service.  XXX: MCS-80/85 mode (uPM = 0) is treated as 8086 mode; a cascade address no slave
 * answers gives 0xFF (floating bus).
 */
#include <stdlib.h>
#include <stdio.h>

#include "devices/i8259.h"
#include "vm/state.h"

#define ICW1_IC4   0x01
#define ICW1_SNGL  0x02
#define ICW1_LTIM  0x08
#define ICW1_INIT  0x10
#define OCW3_SEL   0x08
#define OCW3_RIS   0x01
#define OCW3_RR    0x02
#define OCW3_P     0x04
#define OCW3_SMM   0x20
#define OCW3_ESMM  0x40

static bool chip_is_master(const PicState *s, const PicChip *c)
{
    return c == &s->chip[0];
}

/* 0 = highest priority. */
static int chip_prio(const PicChip *c, int ir)
{
    return (ir - c->lowest - 1) & 7;
}

/* The highest-priority IR set in `bits`, or -1. */
static int chip_highest(const PicChip *c, uint8_t bits)
{
    for (int p = 0; p < 8; p++) {
        int ir = (c->lowest + 1 + p) & 7;
        if (bits & (1u << ir))
            return ir;
    }
    return -1;
}

static uint8_t chip_level_mask(const PicChip *c)
{
    return c->ltim ? 0xff : c->elcr;
}

/* The ISR bits the priority resolver sees. */
static uint8_t chip_isr_visible(const PicChip *c)
{
    return c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
}

/* The input that would be acknowledged now, or -1 (INT output low). */
static int chip_best(const PicState *s, const PicChip *c)
{
    uint8_t req = c->irr & ~c->imr;
    if (!req)
        return -1;              /* the common case, asked between every two blocks */
    int r = chip_highest(c, req);
    uint8_t blocking = chip_isr_visible(c);
    if (c->sfnm && chip_is_master(s, c) && !c->single)
        blocking &= (uint8_t)~c->icw3;
    int b = chip_highest(c, blocking);
    if (b >= 0 && chip_prio(c, b) <= chip_prio(c, r))
        return -1;
    return r;
}

static void chip_input(PicChip *c, int ir, int level)
{
    uint8_t bit = (uint8_t)(1u << ir);
    bool was = c->lines & bit;
    if (level)
        c->lines |= bit;
    else
        c->lines &= (uint8_t)~bit;
    if (chip_level_mask(c) & bit) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= (uint8_t)~bit;
    } else if (level && !was) {
        c->irr |= bit;
    }
}

/* Propagates the slave's INT output to master IR2. */
static void pic_update(PicState *s)
{
    chip_input(&s->chip[0], 2, chip_best(s, &s->chip[1]) >= 0);
}

/* The acknowledge part of an INTA cycle (or poll) on one chip: returns the IR, or -1 when the
 * request is gone (default IR7, ISR untouched). */
static int chip_ack(PicState *s, PicChip *c)
{
    int ir = chip_best(s, c);
    if (ir < 0)
        return -1;
    uint8_t bit = (uint8_t)(1u << ir);
    if (!(chip_level_mask(c) & bit))
        c->irr &= (uint8_t)~bit;
    if (c->aeoi) {
        if (c->rotate_aeoi)
            c->lowest = (uint8_t)ir;
    } else {
        c->isr |= bit;
    }
    return ir;
}

static void chip_init_reset(PicChip *c)
{
    c->isr = 0;
    c->imr = 0;
    c->lowest = 7;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_aeoi = false;
    c->upm = c->aeoi = c->sfnm = false;
    c->buf = 0;
}

static void chip_ocw2(PicChip *c, uint8_t v)
{
    int l = v & 7;
    switch (v >> 5) {
    case 1:   /* non-specific EOI */
    case 5: { /* rotate on non-specific EOI */
        int ir = chip_highest(c, chip_isr_visible(c));
        if (ir < 0)
            break;
        c->isr &= (uint8_t)~(1u << ir);
        if (v >> 5 == 5)
            c->lowest = (uint8_t)ir;
        break;
    }
    case 3:   /* specific EOI */
        c->isr &= (uint8_t)~(1u << l);
        break;
    case 7:   /* rotate on specific EOI */
        c->isr &= (uint8_t)~(1u << l);
        c->lowest = (uint8_t)l;
        break;
    case 4: c->rotate_aeoi = true; break;
    case 0: c->rotate_aeoi = false; break;
    case 6: c->lowest = (uint8_t)l; break;
    default: break;            /* 010: no operation */
    }
}

static void chip_write(PicChip *c, bool odd, uint8_t v)
{
    if (!odd) {
        if (v & ICW1_INIT) {
            chip_init_reset(c);
            c->ic4 = v & ICW1_IC4;
            c->single = v & ICW1_SNGL;
            c->ltim = v & ICW1_LTIM;
            c->irr &= chip_level_mask(c) & c->lines;
            c->init_step = 2;
        } else if (v & OCW3_SEL) {
            if (v & OCW3_ESMM)
                c->special_mask = v & OCW3_SMM;
            if (v & OCW3_RR)
                c->read_isr = v & OCW3_RIS;
            c->poll = v & OCW3_P;
        } else {
            chip_ocw2(c, v);
        }
        return;
    }
    switch (c->init_step) {
    case 2:
        c->vector_base = v & 0xf8;
        c->init_step = c->single ? (c->ic4 ? 4 : 0) : 3;
        break;
    case 3:
        c->icw3 = v;
        c->init_step = c->ic4 ? 4 : 0;
        break;
    case 4:
        c->upm = v & 0x01;
        c->aeoi = v & 0x02;
        c->buf = v & 0x0c;
        c->sfnm = v & 0x10;
        c->init_step = 0;
        break;
    default:
        c->imr = v;
        break;
    }
}

static uint8_t chip_poll(PicState *s, PicChip *c)
{
    c->poll = false;
    int ir = chip_ack(s, c);
    return ir < 0 ? 0 : (uint8_t)(0x80 | ir);
}

static uint32_t pic_port_read(void *opaque, uint16_t port, int size)
{
    PicState *s = opaque;
    (void)size;
    PicChip *c = &s->chip[port >= 0xa0];
    uint8_t v;
    if (c->poll)
        v = chip_poll(s, c);
    else if (port & 1)
        v = c->imr;
    else
        v = c->read_isr ? c->isr : c->irr;
    pic_update(s);
    return v;
}

static void pic_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    PicState *s = opaque;
    (void)size;
    chip_write(&s->chip[port >= 0xa0], port & 1, (uint8_t)val);
    pic_update(s);
}

static const IoOps pic_ops = { pic_port_read, pic_port_write, 1 };

static uint32_t elcr_read(void *opaque, uint16_t port, int size)
{
    PicState *s = opaque;
    (void)size;
    return s->chip[port & 1].elcr;
}

static void elcr_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    PicState *s = opaque;
    (void)size;
    PicChip *c = &s->chip[port & 1];
    c->elcr = (uint8_t)val & c->elcr_mask;
    /* Inputs that became level-triggered now follow their lines. */
    uint8_t lvl = chip_level_mask(c);
    c->irr = (uint8_t)((c->irr & ~lvl) | (c->lines & lvl));
    pic_update(s);
}

static const IoOps elcr_ops = { elcr_read, elcr_write, 1 };

void pic_reset(PicState *s)
{
    for (int i = 0; i < 2; i++) {
        PicChip *c = &s->chip[i];
        uint8_t lines = c->lines;
        *c = (PicChip){ 0 };
        c->lines = lines;     /* the devices' outputs are not part of the PIC */
        c->lowest = 7;
        c->elcr_mask = i ? 0xde : 0xf8;
    }
    pic_update(s);
}

PicState *pic_new(IoBus *bus)
{
    PicState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    pic_reset(s);
    io_register(bus, 0x20, 2, &pic_ops, s);
    io_register(bus, 0xa0, 2, &pic_ops, s);
    io_register(bus, 0x4d0, 2, &elcr_ops, s);
    return s;
}

void pic_set_irq(PicState *s, int irq, int level)
{
    if (irq < 0 || irq > 15 || irq == 2)
        return;
    chip_input(&s->chip[irq >> 3], irq & 7, level != 0);
    pic_update(s);
}

bool pic_has_intr(PicState *s)
{
    return chip_best(s, &s->chip[0]) >= 0;
}

uint8_t pic_ack(PicState *s)
{
    PicChip *m = &s->chip[0], *sl = &s->chip[1];
    int ir = chip_ack(s, m);
    uint8_t vec;
    if (ir < 0) {
        vec = (uint8_t)(m->vector_base + 7);
    } else if (!m->single && (m->icw3 & (1u << ir))) {
        if (ir != 2 || sl->single || (sl->icw3 & 7) != 2) {
            vec = 0xff;
        } else {
            int sir = chip_ack(s, sl);
            vec = (uint8_t)(sl->vector_base + (sir < 0 ? 7 : sir));
        }
    } else {
        vec = (uint8_t)(m->vector_base + ir);
    }
    pic_update(s);
    return vec;
}

/* ---- the state description (vm/state.h): the whole register file of both chips ---- */

static const StateField pic_chip_fields[] = {
    STATE_U(PicChip, irr), STATE_U(PicChip, isr), STATE_U(PicChip, imr), STATE_U(PicChip, lines),
    STATE_U(PicChip, elcr), STATE_U(PicChip, elcr_mask), STATE_U(PicChip, vector_base), STATE_U(PicChip, icw3),
    STATE_U(PicChip, lowest), STATE_U(PicChip, init_step), STATE_B(PicChip, ic4), STATE_B(PicChip, single),
    STATE_B(PicChip, ltim), STATE_B(PicChip, upm), STATE_B(PicChip, aeoi), STATE_B(PicChip, sfnm),
    STATE_U(PicChip, buf), STATE_B(PicChip, rotate_aeoi), STATE_B(PicChip, read_isr), STATE_B(PicChip, poll),
    STATE_B(PicChip, special_mask),
};
static const StateDesc pic_chip_state_desc = {
    "pic-chip", 1, sizeof(PicChip), pic_chip_fields, STATE_COUNT(pic_chip_fields), NULL, 0, NULL,
};

static bool pic_post_load(void *obj, char *err, size_t errlen)
{
    PicState *s = obj;
    for (int i = 0; i < 2; i++) {
        const PicChip *c = &s->chip[i];
        if (c->lowest > 7 || (c->init_step != 0 && (c->init_step < 2 || c->init_step > 4))) {
            snprintf(err, errlen, "8259 %d: lowest priority %u, initialisation step %u", i, c->lowest, c->init_step);
            return false;
        }
    }
    return true;
}

static const StateField pic_fields[] = {
    STATE_S(PicState, chip, PicChip, pic_chip_state_desc),
};
const StateDesc pic_state_desc = {
    "pic", 1, sizeof(PicState), pic_fields, STATE_COUNT(pic_fields), NULL, 0, pic_post_load,
};
