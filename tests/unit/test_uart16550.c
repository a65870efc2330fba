/*
 * test_uart16550.c — the 16550A UART (devices/uart16550.c), driven through the port bus as the
 * CPU's IN/OUT would, with a virtual clock stepped by hand and a recorded IRQ line.
 *
 * Register file: PC16550D datasheet, table II; IIR priorities: table IV; loopback (MCR bit 4):
 * CTS<-RTS, DSR<-DTR, RI<-OUT1, DCD<-OUT2 and the transmitter output goes to the receiver.
 * Linux's 8250 driver checks (drivers/tty/serial/8250/8250_port.c): IER bits 4-7 read 0, the
 * loopback MSR test, FIFO bits in IIR, and that re-enabling ETBEI re-asserts the THRE interrupt.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/uart16550.h"
#include "mem/io.h"
#include "vm/clock.h"

#define COM1 0x3f8
#define RBR (COM1 + 0)
#define IER (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)

typedef struct Out {
    char *text;
    size_t len;
    FILE *f;
} Out;

/* A UART on its own bus with a clock driven by `icount` and an IRQ line that records its level. */
typedef struct Rig {
    IoBus bus;
    uint64_t icount;
    Clock clock;
    int level, edges;
    UartState *u;
    Out o;
} Rig;

static void rig_irq(void *opaque, int line, int level)
{
    Rig *r = opaque;
    ck_assert_int_eq(line, 4);
    if (level && !r->level)
        r->edges++;
    r->level = level;
}

static Rig *rig_new(void)
{
    Rig *r = calloc(1, sizeof(*r));
    io_init(&r->bus);
    clock_init(&r->clock, &r->icount);
    r->o.f = open_memstream(&r->o.text, &r->o.len);
    ck_assert_ptr_nonnull(r->o.f);
    r->u = uart_new(&r->bus, COM1, (IrqLine){ rig_irq, r, 4 }, &r->clock, r->o.f);
    ck_assert_ptr_nonnull(r->u);
    return r;
}

static void rig_free(Rig *r)
{
    fclose(r->o.f);
    free(r->o.text);
    free(r->u);
    free(r);
}

static void rig_advance(Rig *r, uint64_t ns)
{
    r->icount += ns / CLOCK_NS_PER_INSN;
    clock_run_due(&r->clock);
}

static uint32_t in8(Rig *r, uint16_t port)
{
    return io_in(&r->bus, port, 1);
}

static void out8(Rig *r, uint16_t port, uint8_t v)
{
    io_out(&r->bus, port, 1, v);
}

START_TEST(uart_reset_registers_have_datasheet_values)
{
    Rig *r = rig_new();
    ck_assert_uint_eq(in8(r, IER), 0x00);
    ck_assert_uint_eq(in8(r, IIR), 0x01);   /* no interrupt pending, FIFOs off */
    ck_assert_uint_eq(in8(r, LCR), 0x00);
    ck_assert_uint_eq(in8(r, MCR), 0x00);
    ck_assert_uint_eq(in8(r, LSR), 0x60);   /* THRE | TEMT */
    ck_assert_uint_eq(in8(r, MSR), 0xb0);   /* DCD, DSR, CTS from the host side */
    ck_assert_int_eq(r->level, 0);
    rig_free(r);
}
END_TEST

START_TEST(uart_thr_write_goes_to_output)
{
    Rig *r = rig_new();
    for (const char *p = "hi\n"; *p; p++)
        out8(r, COM1, (uint8_t)*p);
    fflush(r->o.f);
    ck_assert_uint_eq(r->o.len, 3);
    ck_assert_mem_eq(r->o.text, "hi\n", 3);
    ck_assert_uint_eq(in8(r, LSR) & 0x60, 0x60);
    rig_free(r);
}
END_TEST

START_TEST(uart_dlab_set_divisor_latch_replaces_thr_and_ier)
{
    Rig *r = rig_new();
    out8(r, IER, 0x05);
    out8(r, LCR, 0x83);          /* DLAB, 8N1 */
    out8(r, COM1 + 0, 0x0c);     /* DLL: 9600 baud */
    out8(r, COM1 + 1, 0x01);     /* DLM */
    ck_assert_uint_eq(in8(r, COM1 + 0), 0x0c);
    ck_assert_uint_eq(in8(r, COM1 + 1), 0x01);
    out8(r, LCR, 0x03);
    ck_assert_uint_eq(in8(r, IER), 0x05);   /* IER kept */
    ck_assert_uint_eq(in8(r, LCR), 0x03);
    fflush(r->o.f);
    ck_assert_uint_eq(r->o.len, 0);         /* the DLL write was not transmitted */
    rig_free(r);
}
END_TEST

START_TEST(uart_scratch_and_fifo_enable_visible)
{
    Rig *r = rig_new();
    out8(r, COM1 + 7, 0xa5);
    ck_assert_uint_eq(in8(r, COM1 + 7), 0xa5);
    out8(r, FCR, 0x07);                     /* enable + clear FIFOs */
    ck_assert_uint_eq(in8(r, IIR) & 0xc0, 0xc0);
    out8(r, IER, 0xff);
    ck_assert_uint_eq(in8(r, IER), 0x0f);   /* IER bits 4-7 always 0 */
    out8(r, FCR, 0x00);
    ck_assert_uint_eq(in8(r, IIR) & 0xc0, 0x00);
    rig_free(r);
}
END_TEST

START_TEST(uart_fcr_64byte_bit_never_shows_in_iir)
{
    /* Linux tells a TI16750 by IIR bit 5 after FCR bit 5; a 16550A never sets it. */
    Rig *r = rig_new();
    out8(r, FCR, 0x21);
    ck_assert_uint_eq(in8(r, IIR) & 0x30, 0);
    out8(r, LCR, 0x80);
    out8(r, FCR, 0x21);
    ck_assert_uint_eq(in8(r, IIR) & 0x30, 0);
    rig_free(r);
}
END_TEST

START_TEST(uart_loopback_msr_follows_mcr_output_held)
{
    Rig *r = rig_new();
    /* Linux's 8250 autoconfig: MCR = LOOP | OUT2 | RTS must read MSR[7:4] = DCD | CTS */
    out8(r, MCR, 0x1a);
    ck_assert_uint_eq(in8(r, MSR) & 0xf0, 0x90);
    out8(r, MCR, 0x11);                     /* LOOP | DTR -> DSR */
    ck_assert_uint_eq(in8(r, MSR) & 0xf0, 0x20);
    out8(r, MCR, 0x14);                     /* LOOP | OUT1 -> RI */
    ck_assert_uint_eq(in8(r, MSR) & 0xf0, 0x40);
    out8(r, COM1, 'x');
    fflush(r->o.f);
    ck_assert_uint_eq(r->o.len, 0);
    rig_free(r);
}
END_TEST

START_TEST(uart_loopback_transmit_arrives_in_receiver)
{
    Rig *r = rig_new();
    out8(r, FCR, 0x01);
    out8(r, MCR, 0x10);
    ck_assert_uint_eq(uart_rx_room(r->u), 0);   /* the line input is disconnected */
    uart_receive(r->u, 'z');
    ck_assert_uint_eq(in8(r, LSR) & 0x01, 0);
    out8(r, COM1, 'a');
    out8(r, COM1, 'b');
    ck_assert_uint_eq(in8(r, LSR) & 0x01, 0x01);
    ck_assert_uint_eq(in8(r, RBR), 'a');
    ck_assert_uint_eq(in8(r, RBR), 'b');
    ck_assert_uint_eq(in8(r, LSR) & 0x01, 0);
    out8(r, MCR, 0x02);                     /* RTS: ready to receive */
    ck_assert_uint_eq(uart_rx_room(r->u), 16);
    rig_free(r);
}
END_TEST

START_TEST(uart_loopback_mcr_changes_set_msr_deltas)
{
    Rig *r = rig_new();
    out8(r, MCR, 0x10);   /* loopback: CTS, DSR, DCD fall (all host lines were asserted) */
    ck_assert_uint_eq(in8(r, MSR), 0x0b);   /* DDCD | DDSR | DCTS, no TERI */
    ck_assert_uint_eq(in8(r, MSR), 0x00);   /* reading cleared the deltas */
    out8(r, MCR, 0x14);                     /* RI rises: no TERI */
    ck_assert_uint_eq(in8(r, MSR), 0x40);
    out8(r, MCR, 0x10);                     /* RI falls: TERI */
    ck_assert_uint_eq(in8(r, MSR), 0x04);
    rig_free(r);
}
END_TEST

START_TEST(uart_fifo_holds_16_bytes_then_overruns)
{
    Rig *r = rig_new();
    out8(r, FCR, 0x01);
    out8(r, MCR, 0x02);
    ck_assert_uint_eq(uart_rx_room(r->u), 16);
    for (int i = 0; i < 16; i++)
        uart_receive(r->u, (uint8_t)('A' + i));
    ck_assert_uint_eq(uart_rx_room(r->u), 0);
    uart_receive(r->u, '!');                /* lost: the FIFO keeps its bytes */
    uint32_t lsr = in8(r, LSR);
    ck_assert_uint_eq(lsr & 0x03, 0x03);    /* DR | OE */
    ck_assert_uint_eq(in8(r, LSR) & 0x02, 0);   /* OE cleared by the read */
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(in8(r, RBR), (uint32_t)('A' + i));
    ck_assert_uint_eq(in8(r, LSR) & 0x01, 0);
    rig_free(r);
}
END_TEST

START_TEST(uart_rx_room_zero_until_guest_asserts_rts)
{
    Rig *r = rig_new();
    out8(r, FCR, 0x01);
    ck_assert_uint_eq(uart_rx_room(r->u), 0);   /* power-on: the driver is not ready yet */
    out8(r, MCR, 0x01);                         /* DTR alone is not enough */
    ck_assert_uint_eq(uart_rx_room(r->u), 0);
    out8(r, MCR, 0x0b);
    ck_assert_uint_eq(uart_rx_room(r->u), 16);
    uart_receive(r->u, 'a');
    ck_assert_uint_eq(uart_rx_room(r->u), 15);
    rig_free(r);
}
END_TEST

START_TEST(uart_no_fifo_overrun_overwrites_rbr)
{
    Rig *r = rig_new();
    out8(r, MCR, 0x02);
    ck_assert_uint_eq(uart_rx_room(r->u), 1);
    uart_receive(r->u, 'a');
    ck_assert_uint_eq(uart_rx_room(r->u), 0);
    uart_receive(r->u, 'b');
    ck_assert_uint_eq(in8(r, LSR) & 0x03, 0x03);
    ck_assert_uint_eq(in8(r, RBR), 'b');
    ck_assert_uint_eq(uart_rx_room(r->u), 1);
    rig_free(r);
}
END_TEST

START_TEST(uart_fcr_clear_rx_empties_fifo)
{
    Rig *r = rig_new();
    out8(r, FCR, 0x01);
    out8(r, MCR, 0x02);
    uart_receive(r->u, 'a');
    uart_receive(r->u, 'b');
    out8(r, FCR, 0x03);
    ck_assert_uint_eq(in8(r, LSR) & 0x01, 0);
    ck_assert_uint_eq(uart_rx_room(r->u), 16);
    uart_receive(r->u, 'c');
    out8(r, FCR, 0x00);                     /* disabling the FIFOs clears them too */
    ck_assert_uint_eq(in8(r, LSR) & 0x01, 0);
    rig_free(r);
}
END_TEST

/* Bytes needed before IIR shows "received data available" at each FCR trigger setting. */
START_TEST(uart_trigger_level_raises_rda_at_threshold)
{
    static const uint8_t fcr[4] = { 0x01, 0x41, 0x81, 0xc1 };
    static const int trig[4] = { 1, 4, 8, 14 };
    int t = _i;
    Rig *r = rig_new();
    out8(r, FCR, fcr[t]);
    out8(r, MCR, 0x08);                     /* OUT2: the IRQ reaches the bus */
    out8(r, IER, 0x01);                     /* ERBFI */
    for (int i = 0; i < trig[t] - 1; i++)
        uart_receive(r->u, 'x');
    ck_assert_uint_eq(in8(r, IIR), 0xc1);
    ck_assert_int_eq(r->level, 0);
    uart_receive(r->u, 'x');
    ck_assert_uint_eq(in8(r, IIR), 0xc4);
    ck_assert_int_eq(r->level, 1);
    in8(r, RBR);                            /* below the trigger again */
    ck_assert_uint_eq(in8(r, IIR), 0xc1);
    ck_assert_int_eq(r->level, 0);
    rig_free(r);
}
END_TEST

START_TEST(uart_timeout_fires_after_four_character_times)
{
    Rig *r = rig_new();
    out8(r, LCR, 0x83);
    out8(r, COM1 + 0, 12);                  /* 9600 baud */
    out8(r, COM1 + 1, 0);
    out8(r, LCR, 0x03);                     /* 8N1: 10 bits a character */
    out8(r, FCR, 0x81);                     /* trigger 8 */
    out8(r, MCR, 0x08);
    out8(r, IER, 0x01);
    /* one character = 10 * 16 * 12 / 1843200 s = 104166.67 us / 100; four = 4166666 ns */
    const uint64_t four = 4166666;
    uart_receive(r->u, 'a');
    uart_receive(r->u, 'b');
    rig_advance(r, four - 1000);
    ck_assert_uint_eq(in8(r, IIR), 0xc1);
    ck_assert_int_eq(r->level, 0);
    rig_advance(r, 1000);
    ck_assert_uint_eq(in8(r, IIR), 0xcc);
    ck_assert_int_eq(r->level, 1);
    ck_assert_uint_eq(in8(r, RBR), 'a');    /* a read clears it and restarts the timer */
    ck_assert_uint_eq(in8(r, IIR), 0xc1);
    ck_assert_int_eq(r->level, 0);
    rig_advance(r, four - 1000);
    ck_assert_uint_eq(in8(r, IIR), 0xc1);
    rig_advance(r, 1000);
    ck_assert_uint_eq(in8(r, IIR), 0xcc);
    ck_assert_uint_eq(in8(r, RBR), 'b');
    rig_advance(r, 10 * four);              /* an empty FIFO never times out */
    ck_assert_uint_eq(in8(r, IIR), 0xc1);
    ck_assert_uint_eq(clock_next_deadline(&r->clock), CLOCK_NEVER);
    rig_free(r);
}
END_TEST

START_TEST(uart_timeout_restarts_on_each_received_byte)
{
    Rig *r = rig_new();
    out8(r, LCR, 0x80);
    out8(r, COM1 + 0, 1);                   /* 115200 baud */
    out8(r, LCR, 0x03);
    out8(r, FCR, 0xc1);
    out8(r, IER, 0x01);
    const uint64_t four = 347222;           /* 4 * 10 * 16 / 1843200 s */
    uart_receive(r->u, 'a');
    rig_advance(r, four / 2);
    uart_receive(r->u, 'b');
    rig_advance(r, four / 2 + 10);
    ck_assert_uint_eq(in8(r, IIR), 0xc1);
    rig_advance(r, four / 2);
    ck_assert_uint_eq(in8(r, IIR), 0xcc);
    rig_free(r);
}
END_TEST

START_TEST(uart_thre_interrupt_on_enable_cleared_by_iir_read)
{
    Rig *r = rig_new();
    out8(r, MCR, 0x08);
    out8(r, IER, 0x02);                     /* ETBEI with THR empty: interrupt at once */
    ck_assert_int_eq(r->level, 1);
    ck_assert_uint_eq(in8(r, IIR), 0x02);
    ck_assert_int_eq(r->level, 0);          /* reading IIR cleared it */
    ck_assert_uint_eq(in8(r, IIR), 0x01);
    out8(r, COM1, 'x');                     /* the byte leaves at once: THRE again */
    ck_assert_int_eq(r->level, 1);
    ck_assert_uint_eq(in8(r, IIR), 0x02);
    /* Linux's serial8250_do_startup THRE test: IER = 0, IER = THRI must re-assert it. */
    out8(r, IER, 0x00);
    out8(r, IER, 0x02);
    ck_assert_uint_eq(in8(r, IIR), 0x02);
    ck_assert_int_eq(r->edges, 3);
    rig_free(r);
}
END_TEST

START_TEST(uart_iir_priorities_follow_datasheet_order)
{
    Rig *r = rig_new();
    out8(r, FCR, 0x01);                     /* trigger 1 */
    out8(r, MCR, 0x18);                     /* loopback | OUT2 (DCD): modem deltas */
    out8(r, MCR, 0x10);                     /* DCD falls: DDCD */
    for (int i = 0; i < 17; i++)
        out8(r, COM1, 'x');                 /* 16 bytes + overrun; THRE pending */
    out8(r, IER, 0x0f);
    ck_assert_uint_eq(in8(r, IIR), 0xc6);   /* line status first */
    in8(r, LSR);
    ck_assert_uint_eq(in8(r, IIR), 0xc4);   /* then received data */
    for (int i = 0; i < 16; i++)
        in8(r, RBR);
    ck_assert_uint_eq(in8(r, IIR), 0xc2);   /* then THR empty (the read clears it) */
    ck_assert_uint_eq(in8(r, IIR), 0xc0);   /* then modem status */
    in8(r, MSR);
    ck_assert_uint_eq(in8(r, IIR), 0xc1);
    rig_free(r);
}
END_TEST

START_TEST(uart_timeout_ranks_below_rda_above_thre)
{
    Rig *r = rig_new();
    out8(r, LCR, 0x80);
    out8(r, COM1 + 0, 1);                   /* 115200 baud */
    out8(r, LCR, 0x03);
    out8(r, FCR, 0x41);                     /* trigger 4 */
    out8(r, IER, 0x03);
    ck_assert_uint_eq(in8(r, IIR), 0xc2);   /* THRE, consumed */
    uart_receive(r->u, 'a');
    rig_advance(r, 100000000);
    out8(r, COM1, 'y');                     /* THRE pending again */
    ck_assert_uint_eq(in8(r, IIR), 0xcc);
    for (int i = 0; i < 3; i++)
        uart_receive(r->u, 'b');
    ck_assert_uint_eq(in8(r, IIR), 0xc4);
    rig_free(r);
}
END_TEST

START_TEST(uart_out2_gates_irq_line)
{
    Rig *r = rig_new();
    out8(r, IER, 0x02);                     /* THRE pending */
    ck_assert_int_eq(r->level, 0);          /* OUT2 off: the ISA buffer is disabled */
    out8(r, MCR, 0x08);
    ck_assert_int_eq(r->level, 1);
    out8(r, MCR, 0x18);                     /* loopback forces OUT2 inactive */
    ck_assert_int_eq(r->level, 0);
    out8(r, MCR, 0x08);
    ck_assert_int_eq(r->level, 1);
    out8(r, MCR, 0x00);
    ck_assert_int_eq(r->level, 0);
    ck_assert_uint_eq(in8(r, IIR), 0x02);   /* still pending inside the chip */
    rig_free(r);
}
END_TEST

START_TEST(uart_reset_lowers_irq_and_clears_fifo)
{
    Rig *r = rig_new();
    out8(r, FCR, 0x01);
    out8(r, MCR, 0x08);
    out8(r, IER, 0x01);
    uart_receive(r->u, 'a');
    ck_assert_int_eq(r->level, 1);
    uart_reset(r->u);
    ck_assert_int_eq(r->level, 0);
    ck_assert_uint_eq(in8(r, LSR), 0x60);
    ck_assert_uint_eq(clock_next_deadline(&r->clock), CLOCK_NEVER);
    rig_free(r);
}
END_TEST

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* A hostile guest: random register traffic, input and time steps.  After every step the chip's
 * invariants hold: the FIFO never holds more than 16 bytes, a timer is never armed in the past,
 * IIR reads a valid identification, and the IRQ line is high exactly when IIR shows a pending
 * interrupt, OUT2 is set and loopback is off. */
START_TEST(uart_random_traffic_keeps_invariants)
{
    static const uint8_t ids[] = { 0x01, 0x06, 0x04, 0x0c, 0x02, 0x00 };
    Rig *r = rig_new();
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        uint64_t v = xorshift(&x);
        uint16_t port = (uint16_t)(COM1 + (v & 7));
        switch ((v >> 3) & 7) {
        case 0: case 1: case 2:
            out8(r, port, (uint8_t)(v >> 8));
            break;
        case 3: case 4:
            if (port != IIR)
                in8(r, port);   /* IIR reads are checked below */
            break;
        case 5:
            uart_receive(r->u, (uint8_t)(v >> 8));
            break;
        default:
            rig_advance(r, (v >> 8) & 0xfffff);
            break;
        }
        ck_assert_uint_le(r->u->rx_count, UART_FIFO_SIZE);
        uint64_t d = clock_next_deadline(&r->clock);
        ck_assert(d == CLOCK_NEVER || d > clock_now(&r->clock));
        uint8_t mcr = (uint8_t)in8(r, MCR);
        int gate = (mcr & 0x18) == 0x08;
        int level = r->level;
        uint8_t lcr = (uint8_t)in8(r, LCR);
        out8(r, LCR, lcr & 0x7f);
        uint8_t ier = (uint8_t)in8(r, IER);
        out8(r, LCR, lcr);
        /* Reading IIR clears a THRE indication, so look at it only when THRE is not enabled. */
        if (!(ier & 0x02)) {
            uint8_t id = (uint8_t)in8(r, IIR) & 0x3f;
            ck_assert(memchr(ids, id, sizeof(ids)) != NULL);
            ck_assert_int_eq(level, gate && id != 0x01);
        } else if (!gate) {
            ck_assert_int_eq(level, 0);
        }
    }
    rig_free(r);
}
END_TEST

START_TEST(uart_two_instances_independent)
{
    IoBus *bus = malloc(sizeof(IoBus));
    uint64_t icount = 0;
    Clock c;
    io_init(bus);
    clock_init(&c, &icount);
    UartState *a = uart_new(bus, 0x3f8, (IrqLine){ 0 }, &c, NULL);
    UartState *b = uart_new(bus, 0x2f8, (IrqLine){ 0 }, &c, NULL);
    io_out(bus, 0x3f8 + 7, 1, 0x11);
    io_out(bus, 0x2f8 + 7, 1, 0x22);
    ck_assert_uint_eq(io_in(bus, 0x3f8 + 7, 1), 0x11);
    ck_assert_uint_eq(io_in(bus, 0x2f8 + 7, 1), 0x22);
    uart_receive(a, 'q');
    ck_assert_uint_eq(io_in(bus, 0x2f8 + 5, 1) & 1, 0);
    ck_assert_uint_eq(io_in(bus, 0x3f8, 1), 'q');
    free(a);
    free(b);
    free(bus);
}
END_TEST

static Suite *uart_suite(void)
{
    Suite *s = suite_create("uart16550");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, uart_reset_registers_have_datasheet_values);
    tcase_add_test(tc, uart_thr_write_goes_to_output);
    tcase_add_test(tc, uart_dlab_set_divisor_latch_replaces_thr_and_ier);
    tcase_add_test(tc, uart_scratch_and_fifo_enable_visible);
    tcase_add_test(tc, uart_fcr_64byte_bit_never_shows_in_iir);
    tcase_add_test(tc, uart_loopback_msr_follows_mcr_output_held);
    tcase_add_test(tc, uart_loopback_transmit_arrives_in_receiver);
    tcase_add_test(tc, uart_loopback_mcr_changes_set_msr_deltas);
    tcase_add_test(tc, uart_fifo_holds_16_bytes_then_overruns);
    tcase_add_test(tc, uart_rx_room_zero_until_guest_asserts_rts);
    tcase_add_test(tc, uart_no_fifo_overrun_overwrites_rbr);
    tcase_add_test(tc, uart_fcr_clear_rx_empties_fifo);
    tcase_add_loop_test(tc, uart_trigger_level_raises_rda_at_threshold, 0, 4);
    tcase_add_test(tc, uart_timeout_fires_after_four_character_times);
    tcase_add_test(tc, uart_timeout_restarts_on_each_received_byte);
    tcase_add_test(tc, uart_thre_interrupt_on_enable_cleared_by_iir_read);
    tcase_add_test(tc, uart_iir_priorities_follow_datasheet_order);
    tcase_add_test(tc, uart_timeout_ranks_below_rda_above_thre);
    tcase_add_test(tc, uart_out2_gates_irq_line);
    tcase_add_test(tc, uart_reset_lowers_irq_and_clears_fifo);
    tcase_add_test(tc, uart_two_instances_independent);
    tcase_add_test(tc, uart_random_traffic_keeps_invariants);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(uart_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
