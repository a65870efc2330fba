/*
 * test_debugport.c — the QEMU-compatible debug ports (devices/debugport.c): the debug console
 * (0xE9: bytes to a FILE, reads 0xE9) and isa-debug-exit (0xF4: value v -> exit status
 * (v << 1) | 1), driven through the port bus.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/debugport.h"
#include "mem/io.h"

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

START_TEST(debugcon_write_goes_to_output_read_returns_e9)
{
    IoBus *bus = malloc(sizeof(IoBus));
    Out o;
    out_open(&o);
    io_init(bus);
    DebugconState *d = debugcon_new(bus, 0xe9, o.f);
    io_out(bus, 0xe9, 1, 'o');
    io_out(bus, 0xe9, 1, 'k');
    fflush(o.f);
    ck_assert_uint_eq(o.len, 2);
    ck_assert_mem_eq(o.text, "ok", 2);
    ck_assert_uint_eq(io_in(bus, 0xe9, 1), 0xe9);
    out_close(&o);
    free(d);
    free(bus);
}
END_TEST

typedef struct ExitLog {
    int calls;
    int status;
} ExitLog;

static void on_exit_cb(void *opaque, int status)
{
    ExitLog *l = opaque;
    l->calls++;
    l->status = status;
}

START_TEST(debugexit_write_reports_status_v_shl1_or1)
{
    IoBus *bus = malloc(sizeof(IoBus));
    ExitLog l = { 0, -1 };
    io_init(bus);
    DebugExitState *d = debugexit_new(bus, 0xf4, on_exit_cb, &l);
    io_out(bus, 0xf4, 1, 0x10);
    ck_assert_int_eq(l.calls, 1);
    ck_assert_int_eq(l.status, 0x21);
    io_out(bus, 0xf4, 4, 0);                 /* a dword write is one exit, not four */
    ck_assert_int_eq(l.calls, 2);
    ck_assert_int_eq(l.status, 1);
    io_out(bus, 0xf4, 2, 0x7f);
    ck_assert_int_eq(l.status, 0xff);
    ck_assert_uint_eq(io_in(bus, 0xf4, 1), 0xff);
    ck_assert_int_eq(l.calls, 3);
    free(d);
    free(bus);
}
END_TEST

static Suite *debugport_suite(void)
{
    Suite *s = suite_create("debugport");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, debugcon_write_goes_to_output_read_returns_e9);
    tcase_add_test(tc, debugexit_write_reports_status_v_shl1_or1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(debugport_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
