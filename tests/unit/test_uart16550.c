/*
 * test_uart16550.c — the 16550A UART (devices/uart16550.c), driven through the port bus as the
 * CPU's IN/OUT would.
 *
 * Register file: PC16550D datasheet, table II; loopback (MCR bit 4): CTS<-RTS, DSR<-DTR,
 * RI<-OUT1, DCD<-OUT2 and the transmitter output is held off the line.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/uart16550.h"
#include "mem/io.h"

#define COM1 0x3f8

typedef struct Out {
    char *text;
    size_t len;
    FILE *f;
} Out;

static void out_open(Out *o)
{
    o->text = NULL;
    o->len = 0;
    o->f = open_memstream(&o->text, &o->len);
    ck_assert_ptr_nonnull(o->f);
}

static void out_close(Out *o)
{
    fclose(o->f);
    free(o->text);
}

START_TEST(uart_reset_registers_have_datasheet_values)
{
    IoBus *bus = malloc(sizeof(IoBus));
    io_init(bus);
    UartState *u = uart_new(bus, COM1, NULL);
    ck_assert_uint_eq(io_in(bus, COM1 + 1, 1), 0x00);   /* IER */
    ck_assert_uint_eq(io_in(bus, COM1 + 2, 1), 0x01);   /* IIR: no interrupt pending */
    ck_assert_uint_eq(io_in(bus, COM1 + 3, 1), 0x00);   /* LCR */
    ck_assert_uint_eq(io_in(bus, COM1 + 4, 1), 0x00);   /* MCR */
    ck_assert_uint_eq(io_in(bus, COM1 + 5, 1), 0x60);   /* LSR: THRE | TEMT */
    free(u);
    free(bus);
}
END_TEST

START_TEST(uart_thr_write_goes_to_output)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Out o;
    out_open(&o);
    io_init(bus);
    UartState *u = uart_new(bus, COM1, o.f);
    const char *msg = "hi\n";
    for (const char *p = msg; *p; p++)
        io_out(bus, COM1, 1, (uint8_t)*p);
    fflush(o.f);
    ck_assert_uint_eq(o.len, 3);
    ck_assert_mem_eq(o.text, "hi\n", 3);
    ck_assert_uint_eq(io_in(bus, COM1 + 5, 1) & 0x60, 0x60);
    out_close(&o);
    free(u);
    free(bus);
}
END_TEST

START_TEST(uart_dlab_set_divisor_latch_replaces_thr_and_ier)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Out o;
    out_open(&o);
    io_init(bus);
    UartState *u = uart_new(bus, COM1, o.f);
    io_out(bus, COM1 + 1, 1, 0x05);          /* IER */
    io_out(bus, COM1 + 3, 1, 0x83);          /* DLAB, 8N1 */
    io_out(bus, COM1 + 0, 1, 0x0c);          /* DLL: 9600 baud */
    io_out(bus, COM1 + 1, 1, 0x01);          /* DLM */
    ck_assert_uint_eq(io_in(bus, COM1 + 0, 1), 0x0c);
    ck_assert_uint_eq(io_in(bus, COM1 + 1, 1), 0x01);
    io_out(bus, COM1 + 3, 1, 0x03);
    ck_assert_uint_eq(io_in(bus, COM1 + 1, 1), 0x05);   /* IER kept */
    ck_assert_uint_eq(io_in(bus, COM1 + 3, 1), 0x03);
    fflush(o.f);
    ck_assert_uint_eq(o.len, 0);             /* the DLL write was not transmitted */
    out_close(&o);
    free(u);
    free(bus);
}
END_TEST

START_TEST(uart_scratch_and_fifo_enable_visible)
{
    IoBus *bus = malloc(sizeof(IoBus));
    io_init(bus);
    UartState *u = uart_new(bus, COM1, NULL);
    io_out(bus, COM1 + 7, 1, 0xa5);
    ck_assert_uint_eq(io_in(bus, COM1 + 7, 1), 0xa5);
    io_out(bus, COM1 + 2, 1, 0x07);                       /* FCR: enable + clear FIFOs */
    ck_assert_uint_eq(io_in(bus, COM1 + 2, 1) & 0xc0, 0xc0);
    io_out(bus, COM1 + 1, 1, 0xff);
    ck_assert_uint_eq(io_in(bus, COM1 + 1, 1), 0x0f);    /* IER bits 4-7 always 0 */
    free(u);
    free(bus);
}
END_TEST

START_TEST(uart_loopback_msr_follows_mcr_output_held)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Out o;
    out_open(&o);
    io_init(bus);
    UartState *u = uart_new(bus, COM1, o.f);
    /* Linux's 8250 autoconfig: MCR = LOOP | OUT2 | RTS must read MSR[7:4] = DCD | CTS */
    io_out(bus, COM1 + 4, 1, 0x1a);
    ck_assert_uint_eq(io_in(bus, COM1 + 6, 1) & 0xf0, 0x90);
    io_out(bus, COM1 + 4, 1, 0x11);                       /* LOOP | DTR -> DSR */
    ck_assert_uint_eq(io_in(bus, COM1 + 6, 1) & 0xf0, 0x20);
    io_out(bus, COM1 + 4, 1, 0x14);                       /* LOOP | OUT1 -> RI */
    ck_assert_uint_eq(io_in(bus, COM1 + 6, 1) & 0xf0, 0x40);
    io_out(bus, COM1, 1, 'x');
    fflush(o.f);
    ck_assert_uint_eq(o.len, 0);
    out_close(&o);
    free(u);
    free(bus);
}
END_TEST

START_TEST(uart_two_instances_independent)
{
    IoBus *bus = malloc(sizeof(IoBus));
    io_init(bus);
    UartState *a = uart_new(bus, 0x3f8, NULL), *b = uart_new(bus, 0x2f8, NULL);
    io_out(bus, 0x3f8 + 7, 1, 0x11);
    io_out(bus, 0x2f8 + 7, 1, 0x22);
    ck_assert_uint_eq(io_in(bus, 0x3f8 + 7, 1), 0x11);
    ck_assert_uint_eq(io_in(bus, 0x2f8 + 7, 1), 0x22);
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
    tcase_add_test(tc, uart_loopback_msr_follows_mcr_output_held);
    tcase_add_test(tc, uart_two_instances_independent);
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
