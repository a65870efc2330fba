/*
 * uart16550.h — a 16550A UART (National Semiconductor PC16550D datasheet).
 *
 * The frontend feeds received bytes with uart_receive() after checking uart_rx_room(); the chip
 * raises its interrupt through `irq` (the board gives it the ISA line: COM1 IRQ 4, COM2 IRQ 3) and
 * runs its character-timeout timer on the VM's virtual clock.
 */
#ifndef SOFTVISOR_UART16550_H
#define SOFTVISOR_UART16550_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/irq.h"
#include "mem/io.h"
#include "vm/clock.h"

#define UART_FIFO_SIZE 16

typedef struct UartState {
    /* register file (datasheet names) */
    uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
    uint8_t lsr_err;          /* LSR bits 1-4 (OE, PE, FE, BI) latched until LSR is read */
    uint8_t msr_delta;        /* MSR bits 0-3 (DCTS, DDSR, TERI, DDCD), cleared by reading MSR */
    uint8_t rbr;              /* the last byte read from the receiver */
    /* receiver FIFO (one entry deep while FIFOs are disabled, as the 16450's RBR) */
    uint8_t rx[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;
    bool thr_ipending;        /* THRE interrupt latched, cleared by reading IIR or writing THR */
    bool timeout_ipending;    /* character timeout indication */
    int irq_level;            /* what the IRQ line is driven to now */
    IrqLine irq;
    Clock *clock;
    int timeout_ev;           /* the character-timeout event id on `clock` */
    FILE *out;                /* transmitted bytes go here (NULL: discarded) */
} UartState;

UartState *uart_new(IoBus *bus, uint16_t base, IrqLine irq, Clock *clock, FILE *out);
void uart_reset(UartState *s);

/* How many bytes the receiver accepts now without overrun: 0 unless the guest asserts RTS (ready
 * to receive) and 0 in loopback mode, where the serial input is disconnected from the line. */
unsigned uart_rx_room(const UartState *s);
/* A byte arrives on the serial input line. */
void uart_receive(UartState *s, uint8_t byte);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc uart_state_desc;

#endif
