/*
 * uart16550.c — 16550A UART, transmit side and register file.
 *
 * Registers (offset from base; DLAB = LCR bit 7):
 *   0 RBR (read) / THR (write) / DLL (DLAB)   4 MCR
 *   1 IER / DLM (DLAB)                        5 LSR: bit 0 DR, 5 THRE, 6 TEMT
 *   2 IIR (read) / FCR (write)                6 MSR
 *   3 LCR                                     7 SCR
 * The transmitter is infinitely fast: THR writes go straight to the output and LSR always shows
 * THRE|TEMT.  XXX: no receive path, FIFOs or interrupts yet (the PC platform issue adds them).
 */
#include <stdlib.h>

#include "devices/uart16550.h"

#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LCR_DLAB 0x80

void uart_reset(UartState *s)
{
    s->rbr = s->ier = s->fcr = s->lcr = s->mcr = s->scr = s->dll = s->dlm = 0;
    s->iir = 0x01;           /* no interrupt pending */
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = 0xb0;           /* DCD, DSR, CTS asserted */
}

static uint32_t uart_read(void *opaque, uint16_t port, int size)
{
    UartState *s = opaque;
    (void)size;
    switch (port & 7) {
    case 0: return (s->lcr & LCR_DLAB) ? s->dll : s->rbr;
    case 1: return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
    case 2: return s->iir | ((s->fcr & 1) ? 0xc0 : 0);
    case 3: return s->lcr;
    case 4: return s->mcr;
    case 5: return s->lsr;
    case 6:
        /* loopback: CTS (4) <- RTS (MCR 1), DSR (5) <- DTR (MCR 0), RI (6) <- OUT1, DCD (7) <- OUT2 */
        if (s->mcr & 0x10)
            return ((s->mcr & 0x0c) << 4) | ((s->mcr & 0x02) << 3) | ((s->mcr & 0x01) << 5);
        return s->msr;
    default: return s->scr;
    }
}

static void uart_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    UartState *s = opaque;
    (void)size;
    uint8_t v = (uint8_t)val;
    switch (port & 7) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            s->dll = v;
        } else if (s->out && !(s->mcr & 0x10)) {
            fputc(v, s->out);
            fflush(s->out);
        }
        break;
    case 1:
        if (s->lcr & LCR_DLAB)
            s->dlm = v;
        else
            s->ier = v & 0x0f;
        break;
    case 2: s->fcr = v & 0xc9; break;
    case 3: s->lcr = v; break;
    case 4: s->mcr = v & 0x1f; break;
    case 7: s->scr = v; break;
    default: break;
    }
}

static const IoOps uart_ops = { uart_read, uart_write, 1 };

UartState *uart_new(IoBus *bus, uint16_t base, FILE *out)
{
    UartState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->out = out;
    uart_reset(s);
    io_register(bus, base, 8, &uart_ops, s);
    return s;
}
