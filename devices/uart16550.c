/*
 * uart16550.c — 16550A UART (National Semiconductor PC16550D datasheet, June 1995).
 *
 * Registers (offset from base; DLAB = LCR bit 7):
 *   0 RBR (read) / THR (write) / DLL (DLAB)   4 MCR: 0 DTR, 1 RTS, 2 OUT1, 3 OUT2, 4 LOOP
 *   1 IER / DLM (DLAB): 0 ERBFI, 1 ETBEI,     5 LSR: 0 DR, 1 OE, 2 PE, 3 FE, 4 BI, 5 THRE, 6 TEMT,
 *     2 ELSI, 3 EDSSI (bits 4-7 read 0)          7 error in RCVR FIFO
 *   2 IIR (read) / FCR (write)                6 MSR: 0 DCTS, 1 DDSR, 2 TERI, 3 DDCD, 4 CTS, 5 DSR,
 *   3 LCR                                        6 RI, 7 DCD
 *                                             7 SCR
 * FCR: bit 0 enables both FIFOs (changing it clears them; with bit 0 clear the other bits are not
 * programmed), bit 1 clears the RCVR FIFO, bit 2 the XMIT FIFO (both self-clearing), bit 3 DMA
 * mode, bits 6-7 the RCVR trigger level 1/4/8/14 bytes.
 * IIR (datasheet table IV), highest priority first:
 *   0x06 receiver line status (OE/PE/FE/BI, ELSI)      cleared by reading LSR
 *   0x04 received data available (trigger reached)     cleared when the FIFO drops below it
 *   0x0C character timeout (FIFO mode, ERBFI)          cleared by reading RBR
 *   0x02 THR empty (ETBEI)                             cleared by reading IIR (if the source) or
 *                                                      writing THR
 *   0x00 modem status (EDSSI)                          cleared by reading MSR
 *   0x01 no interrupt pending; bits 6-7 are set while the FIFOs are enabled.
 * Character timeout: at least one byte in the RCVR FIFO and no byte received or read for four
 * character times; a character time is (start + data + parity + stop bits) * 16 * divisor /
 * 1.8432 MHz, measured on the virtual clock.
 * Loopback (MCR bit 4): the transmitter output goes to the receiver input, the serial input is
 * disconnected, CTS<-RTS, DSR<-DTR, RI<-OUT1, DCD<-OUT2, and the OUT1/OUT2 pins go inactive.
 * On a PC the chip's INTR pin reaches the ISA bus through a buffer enabled by OUT2, so the IRQ
 * line is asserted only while an interrupt is pending, MCR.OUT2 = 1 and loopback is off.
 * The host side of the line honours RTS/CTS flow control: uart_rx_room is 0 until the guest
 * asserts RTS (MCR bit 1), so input typed before the guest's driver is ready waits instead of
 * being lost when the driver clears the FIFOs.
 *
 * XXX: the transmitter is infinitely fast: a THR write goes to the output at once, so the XMIT
 * FIFO is always empty, THRE and TEMT always read 1, and every THR write re-arms the THRE
 * interrupt (as QEMU's 16550A does).  The serial input has fixed modem lines DCD, DSR and CTS
 * asserted, RI off, and delivers no parity/framing errors or breaks.
 */
#include <stdlib.h>
#include <stdio.h>

#include "devices/uart16550.h"
#include "vm/state.h"

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI 0x04
#define IER_EDSSI 0x08

#define IIR_NONE 0x01
#define IIR_LSR 0x06
#define IIR_RDA 0x04
#define IIR_TIMEOUT 0x0c
#define IIR_THRE 0x02
#define IIR_MSR 0x00
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_LINE_INPUTS (MSR_DCD | MSR_DSR | MSR_CTS)   /* the host side's fixed modem lines */

#define UART_CLOCK_HZ 1843200ull

static const uint8_t rx_trigger[4] = { 1, 4, 8, 14 };

static bool uart_fifo_on(const UartState *s)
{
    return (s->fcr & FCR_ENABLE) != 0;
}

static unsigned uart_rx_capacity(const UartState *s)
{
    return uart_fifo_on(s) ? UART_FIFO_SIZE : 1;
}

/* MSR bits 4-7 as the modem inputs (or the loopback of MCR) present them now. */
static uint8_t uart_modem_inputs(const UartState *s)
{
    if (!(s->mcr & MCR_LOOP))
        return MSR_LINE_INPUTS;
    uint8_t m = 0;
    if (s->mcr & MCR_RTS)
        m |= MSR_CTS;
    if (s->mcr & MCR_DTR)
        m |= MSR_DSR;
    if (s->mcr & MCR_OUT1)
        m |= MSR_RI;
    if (s->mcr & MCR_OUT2)
        m |= MSR_DCD;
    return m;
}

static uint8_t uart_iir_id(const UartState *s)
{
    if ((s->ier & IER_ELSI) && s->lsr_err)
        return IIR_LSR;
    if (s->ier & IER_ERBFI) {
        unsigned trig = uart_fifo_on(s) ? rx_trigger[s->fcr >> 6] : 1;
        if (s->rx_count >= trig)
            return IIR_RDA;
        if (s->timeout_ipending)
            return IIR_TIMEOUT;
    }
    if ((s->ier & IER_ETBEI) && s->thr_ipending)
        return IIR_THRE;
    if ((s->ier & IER_EDSSI) && s->msr_delta)
        return IIR_MSR;
    return IIR_NONE;
}

static void uart_update_irq(UartState *s)
{
    int level = uart_iir_id(s) != IIR_NONE && (s->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq, level);
    }
}

/* Four character times in ns at the current divisor and line format. */
static uint64_t uart_timeout_ns(const UartState *s)
{
    unsigned div = s->dll | (unsigned)s->dlm << 8;
    if (div == 0)
        div = 0x10000;   /* XXX: divisor 0 is undefined in the datasheet; use the slowest rate */
    /* half bits: start, 5-8 data bits, optional parity, 1 stop (1.5 for 5-bit words, else 2) */
    unsigned half = 2 * (1 + 5 + (s->lcr & 3)) + ((s->lcr & 0x08) ? 2 : 0);
    half += (s->lcr & 0x04) ? ((s->lcr & 3) == 0 ? 3 : 4) : 2;
    return 4 * (uint64_t)half * 16 * div * 1000000000ull / (2 * UART_CLOCK_HZ);
}

/* A byte entered or left the RCVR FIFO: the timeout indication clears and the timer restarts
 * while bytes remain. */
static void uart_restart_timeout(UartState *s)
{
    s->timeout_ipending = false;
    uint64_t when = CLOCK_NEVER;
    if (uart_fifo_on(s) && s->rx_count)
        when = clock_now(s->clock) + uart_timeout_ns(s);
    clock_set_deadline(s->clock, s->timeout_ev, when);
}

static void uart_timeout(void *opaque, uint64_t now_ns)
{
    UartState *s = opaque;
    (void)now_ns;
    if (uart_fifo_on(s) && s->rx_count) {
        s->timeout_ipending = true;
        uart_update_irq(s);
    }
}

static void uart_rx_clear(UartState *s)
{
    s->rx_head = s->rx_count = 0;
    uart_restart_timeout(s);
}

/* The receiver shift register completes a byte. */
static void uart_rx_push(UartState *s, uint8_t byte)
{
    unsigned cap = uart_rx_capacity(s);
    if (s->rx_count >= cap) {
        /* Overrun: the FIFO keeps its bytes and the new one is lost; without FIFOs the new byte
         * overwrites the unread RBR. */
        s->lsr_err |= LSR_OE;
        if (!uart_fifo_on(s))
            s->rx[s->rx_head] = byte;
    } else {
        s->rx[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
        s->rx_count++;
    }
    uart_restart_timeout(s);
    uart_update_irq(s);
}

unsigned uart_rx_room(const UartState *s)
{
    if ((s->mcr & (MCR_LOOP | MCR_RTS)) != MCR_RTS)
        return 0;
    unsigned cap = uart_rx_capacity(s);
    return s->rx_count < cap ? cap - s->rx_count : 0;
}

void uart_receive(UartState *s, uint8_t byte)
{
    if (s->mcr & MCR_LOOP)
        return;   /* the serial input is disconnected from the receiver */
    uart_rx_push(s, byte);
}

static uint8_t uart_read_rbr(UartState *s)
{
    if (s->rx_count) {
        s->rbr = s->rx[s->rx_head];
        s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
        s->rx_count--;
        uart_restart_timeout(s);
        uart_update_irq(s);
    }
    return s->rbr;
}

static void uart_write_thr(UartState *s, uint8_t v)
{
    if (s->mcr & MCR_LOOP)
        uart_rx_push(s, v);
    else if (s->out) {
        fputc(v, s->out);
        fflush(s->out);
    }
    /* The byte left at once: the holding register is empty again. */
    s->thr_ipending = true;
    uart_update_irq(s);
}

static void uart_write_fcr(UartState *s, uint8_t v)
{
    if ((v ^ s->fcr) & FCR_ENABLE) {
        s->fcr = v & FCR_ENABLE;
        uart_rx_clear(s);
    }
    if (v & FCR_ENABLE) {
        s->fcr = v & 0xc9;
        if (v & FCR_CLEAR_RX)
            uart_rx_clear(s);
        /* FCR_CLEAR_TX: the XMIT FIFO is always empty here. */
    }
    uart_update_irq(s);
}

static void uart_write_mcr(UartState *s, uint8_t v)
{
    uint8_t before = uart_modem_inputs(s);
    s->mcr = v & 0x1f;
    uint8_t after = uart_modem_inputs(s);
    uint8_t changed = before ^ after;
    if (changed & MSR_CTS)
        s->msr_delta |= 0x01;
    if (changed & MSR_DSR)
        s->msr_delta |= 0x02;
    if ((before & MSR_RI) && !(after & MSR_RI))
        s->msr_delta |= 0x04;   /* TERI: trailing edge only */
    if (changed & MSR_DCD)
        s->msr_delta |= 0x08;
    uart_update_irq(s);
}

static uint32_t uart_read(void *opaque, uint16_t port, int size)
{
    UartState *s = opaque;
    (void)size;
    uint8_t v;
    switch (port & 7) {
    case 0:
        return (s->lcr & LCR_DLAB) ? s->dll : uart_read_rbr(s);
    case 1:
        return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
    case 2:
        v = uart_iir_id(s);
        if (v == IIR_THRE) {
            s->thr_ipending = false;
            uart_update_irq(s);
        }
        return v | (uart_fifo_on(s) ? IIR_FIFO : 0);
    case 3:
        return s->lcr;
    case 4:
        return s->mcr;
    case 5:
        v = s->lsr_err | LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
        s->lsr_err = 0;
        uart_update_irq(s);
        return v;
    case 6:
        v = uart_modem_inputs(s) | s->msr_delta;
        s->msr_delta = 0;
        uart_update_irq(s);
        return v;
    default:
        return s->scr;
    }
}

static void uart_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    UartState *s = opaque;
    (void)size;
    uint8_t v = (uint8_t)val;
    switch (port & 7) {
    case 0:
        if (s->lcr & LCR_DLAB)
            s->dll = v;
        else
            uart_write_thr(s, v);
        break;
    case 1:
        if (s->lcr & LCR_DLAB) {
            s->dlm = v;
        } else {
            uint8_t old = s->ier;
            s->ier = v & 0x0f;
            /* Enabling ETBEI while the holding register is empty raises the THRE interrupt at
             * once (Linux's 8250 startup tests that a second enable re-asserts it). */
            if ((s->ier & ~old & IER_ETBEI))
                s->thr_ipending = true;
            uart_update_irq(s);
        }
        break;
    case 2:
        uart_write_fcr(s, v);
        break;
    case 3:
        s->lcr = v;
        break;
    case 4:
        uart_write_mcr(s, v);
        break;
    case 7:
        s->scr = v;
        break;
    default:
        break;   /* LSR and MSR are read-only */
    }
}

static const IoOps uart_ops = { uart_read, uart_write, 1 };

void uart_reset(UartState *s)
{
    s->ier = s->fcr = s->lcr = s->mcr = s->scr = s->dll = s->dlm = 0;
    s->lsr_err = s->msr_delta = s->rbr = 0;
    s->thr_ipending = false;
    uart_rx_clear(s);
    uart_update_irq(s);
}

UartState *uart_new(IoBus *bus, uint16_t base, IrqLine irq, Clock *clock, FILE *out)
{
    UartState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->out = out;
    s->irq = irq;
    s->clock = clock;
    s->timeout_ev = clock_add_event(clock, uart_timeout, s);
    if (s->timeout_ev < 0 || io_register(bus, base, 8, &uart_ops, s) < 0) {
        free(s);
        return NULL;
    }
    uart_reset(s);
    return s;
}

/* ---- the state description (vm/state.h): registers, receiver FIFO, interrupt latches ---- */

static const StateField uart_fields[] = {
    STATE_U(UartState, ier), STATE_U(UartState, fcr), STATE_U(UartState, lcr), STATE_U(UartState, mcr),
    STATE_U(UartState, scr), STATE_U(UartState, dll), STATE_U(UartState, dlm), STATE_U(UartState, lsr_err),
    STATE_U(UartState, msr_delta), STATE_U(UartState, rbr), STATE_A(UartState, rx), STATE_U(UartState, rx_head),
    STATE_U(UartState, rx_count), STATE_B(UartState, thr_ipending), STATE_B(UartState, timeout_ipending),
    STATE_U(UartState, irq_level),
};
static const StateField uart_host_fields[] = {
    STATE_HOST(UartState, irq), STATE_HOST(UartState, clock), STATE_HOST(UartState, timeout_ev),
    STATE_HOST(UartState, out),
};

static bool uart_post_load(void *obj, char *err, size_t errlen)
{
    UartState *s = obj;
    if (s->rx_head >= UART_FIFO_SIZE || s->rx_count > UART_FIFO_SIZE) {
        snprintf(err, errlen, "receiver FIFO head %u, count %u", s->rx_head, s->rx_count);
        return false;
    }
    return true;
}

const StateDesc uart_state_desc = {
    "uart16550", 1, sizeof(UartState), uart_fields, STATE_COUNT(uart_fields), uart_host_fields,
    STATE_COUNT(uart_host_fields), uart_post_load,
};
