/*
 * uart16550.h — a 16550A UART (National Semiconductor PC16550D datasheet).
 */
#ifndef SOFTVISOR_UART16550_H
#define SOFTVISOR_UART16550_H

#include <stdint.h>
#include <stdio.h>

#include "mem/io.h"

typedef struct UartState {
    uint8_t rbr, ier, iir, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
    FILE *out;                /* transmitted bytes go here (NULL: discarded) */
} UartState;

UartState *uart_new(IoBus *bus, uint16_t base, FILE *out);
void uart_reset(UartState *s);

#endif
