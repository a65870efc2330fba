/*
 * i8259.h — the two cascaded Intel 8259A programmable interrupt controllers of a PC/AT (master
 * at ports 0x20/0x21, slave at 0xA0/0xA1, slave INT on master IR2) with the PIIX edge/level
 * control registers ELCR1/ELCR2 at 0x4D0/0x4D1.  See i8259.c for the datasheet summary.
 */
#ifndef SOFTVISOR_I8259_H
#define SOFTVISOR_I8259_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/io.h"

/* One 8259A.  Field names follow the datasheet. */
typedef struct PicChip {
    uint8_t irr;              /* interrupt request register */
    uint8_t isr;              /* in-service register */
    uint8_t imr;              /* interrupt mask register (OCW1) */
    uint8_t lines;            /* current level of the IR0-7 inputs */
    uint8_t elcr;             /* PIIX ELCR: 1 = level-triggered input */
    uint8_t elcr_mask;        /* ELCR bits that exist (IRQ 0, 1, 2, 8, 13 are edge only) */
    uint8_t vector_base;      /* ICW2 T7-T3 */
    uint8_t icw3;             /* master: inputs with a slave; slave: its ID */
    uint8_t lowest;           /* IR with the lowest priority (7 after ICW1; rotation moves it) */
    uint8_t init_step;        /* 0: operational; 2, 3, 4: waiting for that ICW */
    bool ic4;                 /* ICW1: ICW4 needed */
    bool single;              /* ICW1 SNGL */
    bool ltim;                /* ICW1 LTIM: all inputs level-triggered */
    bool upm;                 /* ICW4 uPM: 8086/8088 mode */
    bool aeoi;                /* ICW4 AEOI */
    bool sfnm;                /* ICW4 special fully nested mode */
    uint8_t buf;              /* ICW4 BUF and M/S (bits 3-2), kept for completeness */
    bool rotate_aeoi;         /* OCW2: rotate in automatic EOI mode */
    bool read_isr;            /* OCW3 RR/RIS: the even port reads ISR (else IRR) */
    bool poll;                /* OCW3 P: the next even-port read is a poll */
    bool special_mask;        /* OCW3 special mask mode */
} PicChip;

typedef struct PicState {
    PicChip chip[2];          /* [0] master, [1] slave */
} PicState;

PicState *pic_new(IoBus *bus);
void pic_reset(PicState *s);
/* Drives ISA IRQ input `irq` (0-15; 8-15 are the slave's IR0-7) to `level` (1 = high). */
void pic_set_irq(PicState *s, int irq, int level);
/* The master's INT output: an unmasked request outranks everything in service. */
bool pic_has_intr(PicState *s);
/* The INTA cycle: returns the vector the PICs put on the bus (spurious IR7/IR15 if the
 * request vanished). */
uint8_t pic_ack(PicState *s);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc pic_state_desc;

#endif
