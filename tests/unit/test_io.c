/*
 * test_io.c — the port I/O bus (mem/io.c): range dispatch, unassigned ports (all ones, writes
 * dropped, logged once), splitting accesses wider than a device takes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mem/io.h"

typedef struct Dev {
    uint8_t regs[16];
    uint16_t base;
    int n;
    uint16_t port[16];
    int size[16];
} Dev;

static uint32_t dev_in(void *opaque, uint16_t port, int size)
{
    Dev *d = opaque;
    if (d->n < 16) {
        d->port[d->n] = port;
        d->size[d->n++] = size;
    }
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)d->regs[(port - d->base + i) & 15] << (8 * i);
    return v;
}

static void dev_out(void *opaque, uint16_t port, int size, uint32_t val)
{
    Dev *d = opaque;
    if (d->n < 16) {
        d->port[d->n] = port;
        d->size[d->n++] = size;
    }
    for (int i = 0; i < size; i++)
        d->regs[(port - d->base + i) & 15] = (uint8_t)(val >> (8 * i));
}

static const IoOps ops1 = { dev_in, dev_out, 1 };
static const IoOps ops4 = { dev_in, dev_out, 4 };

static void dev_init(Dev *d, uint16_t base)
{
    memset(d, 0, sizeof(*d));
    d->base = base;
    for (int i = 0; i < 16; i++)
        d->regs[i] = (uint8_t)(0xa0 + i);
}

START_TEST(io_registered_range_gets_accesses_with_absolute_port)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Dev d;
    io_init(bus);
    dev_init(&d, 0x3f8);
    ck_assert_int_eq(io_register(bus, 0x3f8, 8, &ops4, &d), 0);
    ck_assert_uint_eq(io_in(bus, 0x3f9, 1), 0xa1);
    ck_assert_uint_eq(d.port[0], 0x3f9);
    ck_assert_uint_eq(io_in(bus, 0x3fc, 4), 0xa7a6a5a4u);
    io_out(bus, 0x3ff, 1, 0x5a);
    ck_assert_uint_eq(d.regs[7], 0x5a);
    ck_assert_uint_eq(io_in(bus, 0x3f7, 1), 0xff);   /* just outside */
    ck_assert_uint_eq(io_in(bus, 0x400, 1), 0xff);
    ck_assert_int_eq(d.n, 3);
    free(bus);
}
END_TEST

START_TEST(io_unassigned_reads_all_ones_logged_once)
{
    IoBus *bus = malloc(sizeof(IoBus));
    char *text = NULL;
    size_t len = 0;
    io_init(bus);
    bus->log = open_memstream(&text, &len);
    ck_assert_uint_eq(io_in(bus, 0x80, 1), 0xff);
    ck_assert_uint_eq(io_in(bus, 0x80, 2), 0xffff);
    ck_assert_uint_eq(io_in(bus, 0x80, 4), 0xffffffffu);
    io_out(bus, 0x80, 1, 0);
    io_out(bus, 0x81, 1, 0);
    fclose(bus->log);
    /* one line per port, however often it is touched */
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    ck_assert_int_eq(lines, 2);
    ck_assert_ptr_nonnull(strstr(text, "0x0080"));
    ck_assert_ptr_nonnull(strstr(text, "0x0081"));
    free(text);
    free(bus);
}
END_TEST

START_TEST(io_wide_access_split_to_device_size)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Dev d;
    io_init(bus);
    dev_init(&d, 0x60);
    io_register(bus, 0x60, 8, &ops1, &d);
    ck_assert_uint_eq(io_in(bus, 0x61, 4), 0xa4a3a2a1u);
    ck_assert_int_eq(d.n, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(d.size[i], 1);
        ck_assert_uint_eq(d.port[i], 0x61 + i);
    }
    io_out(bus, 0x62, 2, 0x1234);
    ck_assert_uint_eq(d.regs[2], 0x34);
    ck_assert_uint_eq(d.regs[3], 0x12);
    ck_assert_int_eq(d.size[4], 1);
    free(bus);
}
END_TEST

START_TEST(io_split_access_spans_two_devices_and_unassigned)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Dev a, b;
    io_init(bus);
    dev_init(&a, 0x70);
    dev_init(&b, 0x71);
    b.regs[0] = 0x5b;
    io_register(bus, 0x70, 1, &ops1, &a);
    io_register(bus, 0x71, 1, &ops1, &b);
    ck_assert_uint_eq(io_in(bus, 0x70, 2), 0x5ba0);
    ck_assert_uint_eq(io_in(bus, 0x71, 2), 0xff5b);    /* 0x72 unassigned */
    io_out(bus, 0x70, 4, 0x44332211);
    ck_assert_uint_eq(a.regs[0], 0x11);
    ck_assert_uint_eq(b.regs[0], 0x22);
    free(bus);
}
END_TEST

START_TEST(io_later_registration_overrides_earlier)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Dev a, b;
    io_init(bus);
    dev_init(&a, 0x100);
    dev_init(&b, 0x104);
    io_register(bus, 0x100, 16, &ops1, &a);
    io_register(bus, 0x104, 2, &ops1, &b);
    ck_assert_uint_eq(io_in(bus, 0x104, 1), 0xa0);   /* b's first register */
    ck_assert_int_eq(b.n, 1);
    ck_assert_uint_eq(io_in(bus, 0x106, 1), 0xa6);   /* a again */
    ck_assert_int_eq(a.n, 1);
    free(bus);
}
END_TEST

START_TEST(io_register_bad_range_or_full_fails)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Dev d;
    io_init(bus);
    dev_init(&d, 0);
    ck_assert_int_eq(io_register(bus, 0x10, 0, &ops1, &d), -1);
    ck_assert_int_eq(io_register(bus, 0xfff0, 0x11, &ops1, &d), -1);
    ck_assert_int_eq(io_register(bus, 0xfff0, 0x10, &ops1, &d), 0);
    for (int i = 1; i < IO_MAX_RANGES; i++)
        ck_assert_int_eq(io_register(bus, (uint16_t)i, 1, &ops1, &d), 0);
    ck_assert_int_eq(io_register(bus, 0x1000, 1, &ops1, &d), -1);
    free(bus);
}
END_TEST

START_TEST(io_wide_access_at_top_port_wraps_without_crash)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Dev d;
    io_init(bus);
    dev_init(&d, 0xfffe);
    io_register(bus, 0xfffe, 2, &ops1, &d);
    ck_assert_uint_eq(io_in(bus, 0xfffe, 4), 0xffffa1a0u);   /* ports 0, 1 unassigned */
    free(bus);
}
END_TEST

START_TEST(io_unregister_removes_only_that_device_keeping_order)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Dev a, b, c;
    io_init(bus);
    dev_init(&a, 0x600);
    dev_init(&b, 0x600);
    dev_init(&c, 0x700);
    b.regs[0] = 0x55;
    ck_assert_int_eq(io_register(bus, 0x600, 4, &ops1, &a), 0);
    ck_assert_int_eq(io_register(bus, 0x600, 4, &ops1, &b), 0);
    ck_assert_int_eq(io_register(bus, 0x700, 4, &ops1, &c), 0);
    ck_assert_uint_eq(io_in(bus, 0x600, 1), 0x55);     /* b overrides a */
    io_unregister(bus, &ops1, &b);
    ck_assert_uint_eq(io_in(bus, 0x600, 1), 0xa0);     /* a visible again */
    ck_assert_uint_eq(io_in(bus, 0x700, 1), 0xa0);     /* c untouched */
    io_unregister(bus, &ops1, &a);
    ck_assert_uint_eq(io_in(bus, 0x600, 1), 0xff);     /* unassigned */
    ck_assert_int_eq(bus->n, 1);
    free(bus);
}
END_TEST

static Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, io_registered_range_gets_accesses_with_absolute_port);
    tcase_add_test(tc, io_unassigned_reads_all_ones_logged_once);
    tcase_add_test(tc, io_wide_access_split_to_device_size);
    tcase_add_test(tc, io_split_access_spans_two_devices_and_unassigned);
    tcase_add_test(tc, io_later_registration_overrides_earlier);
    tcase_add_test(tc, io_register_bad_range_or_full_fails);
    tcase_add_test(tc, io_wide_access_at_top_port_wraps_without_crash);
    tcase_add_test(tc, io_unregister_removes_only_that_device_keeping_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(io_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
