/*
 * test_i8042.c — the keyboard controller (devices/i8042.c) through ports 0x60/0x64, with recorded
 * IRQ 1 / IRQ 12 lines and recorded A20/reset callbacks.
 *
 * Sequences follow what Linux's drivers/input/serio/i8042.c and atkbd/psmouse do at probe time:
 * self-test 0xAA -> 0x55, CTR read/write, the AUX loopback 0xD3 with AUXB in the status, AUX
 * disable/enable visible in the CTR, keyboard reset -> 0xFA 0xAA, identify -> 0xFA 0xAB 0x83.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/i8042.h"
#include "mem/io.h"

typedef struct Rig {
    IoBus bus;
    KbcState *k;
    int level[16], edges[16];
    int a20_calls, a20, resets;
} Rig;

static void rig_irq(void *opaque, int line, int level)
{
    Rig *r = opaque;
    ck_assert(line == 1 || line == 12);
    if (level && !r->level[line])
        r->edges[line]++;
    r->level[line] = level;
}

static void rig_a20(void *opaque, bool on)
{
    Rig *r = opaque;
    r->a20_calls++;
    r->a20 = on;
}

static void rig_reset(void *opaque)
{
    Rig *r = opaque;
    r->resets++;
}

static Rig *rig_new(void)
{
    Rig *r = calloc(1, sizeof(*r));
    io_init(&r->bus);
    r->a20 = 1;
    r->k = kbc_new(&r->bus, (IrqLine){ rig_irq, r, 1 }, (IrqLine){ rig_irq, r, 12 },
                   (KbcHost){ rig_a20, rig_reset, r });
    ck_assert_ptr_nonnull(r->k);
    return r;
}

static void rig_free(Rig *r)
{
    free(r->k);
    free(r);
}

static uint8_t status(Rig *r)
{
    return (uint8_t)io_in(&r->bus, 0x64, 1);
}

static void command(Rig *r, uint8_t c)
{
    io_out(&r->bus, 0x64, 1, c);
}

static void data_out(Rig *r, uint8_t v)
{
    io_out(&r->bus, 0x60, 1, v);
}

/* Reads the output buffer, asserting it was full. */
static uint8_t data_in(Rig *r)
{
    ck_assert_uint_eq(status(r) & 0x01, 0x01);
    return (uint8_t)io_in(&r->bus, 0x60, 1);
}

START_TEST(kbc_reset_status_keylock_off_buffer_empty)
{
    Rig *r = rig_new();
    uint8_t st = status(r);
    ck_assert_uint_eq(st & 0x01, 0);      /* OBF */
    ck_assert_uint_eq(st & 0x02, 0);      /* IBF */
    ck_assert_uint_eq(st & 0x10, 0x10);   /* not inhibited (Linux warns "Keylock active" otherwise) */
    ck_assert_uint_eq(st & 0x04, 0x04);   /* SYS: POST done */
    rig_free(r);
}
END_TEST

START_TEST(kbc_self_test_answers_0x55)
{
    Rig *r = rig_new();
    command(r, 0xaa);
    ck_assert_uint_eq(status(r) & 0x08, 0x08);   /* A2: last write was a command */
    ck_assert_uint_eq(data_in(r), 0x55);
    ck_assert_uint_eq(status(r) & 0x01, 0);
    command(r, 0xab);
    ck_assert_uint_eq(data_in(r), 0x00);
    command(r, 0xa9);
    ck_assert_uint_eq(data_in(r), 0x00);
    rig_free(r);
}
END_TEST

START_TEST(kbc_command_byte_write_read_round_trips)
{
    Rig *r = rig_new();
    command(r, 0x20);
    ck_assert_uint_eq(data_in(r), 0x65);
    command(r, 0x60);
    data_out(r, 0x47);
    ck_assert_uint_eq(status(r) & 0x08, 0);      /* A2 clear after a data write */
    command(r, 0x20);
    ck_assert_uint_eq(data_in(r), 0x47);
    command(r, 0xa7);                            /* AUX disable sets CTR bit 5 */
    command(r, 0xad);                            /* keyboard disable sets bit 4 */
    command(r, 0x20);
    ck_assert_uint_eq(data_in(r), 0x77);
    command(r, 0xa8);
    command(r, 0xae);
    command(r, 0x20);
    ck_assert_uint_eq(data_in(r), 0x47);
    command(r, 0x65);                            /* RAM byte 5 */
    data_out(r, 0x5a);
    command(r, 0x25);
    ck_assert_uint_eq(data_in(r), 0x5a);
    rig_free(r);
}
END_TEST

START_TEST(kbc_reply_raises_irq1_only_when_enabled)
{
    Rig *r = rig_new();
    command(r, 0x60);
    data_out(r, 0x00);                           /* no interrupts */
    command(r, 0x20);
    ck_assert_int_eq(r->level[1], 0);
    ck_assert_uint_eq(data_in(r), 0x00);
    command(r, 0x60);
    data_out(r, 0x01);
    command(r, 0x20);
    ck_assert_int_eq(r->level[1], 1);
    ck_assert_uint_eq(data_in(r), 0x01);
    ck_assert_int_eq(r->level[1], 0);
    rig_free(r);
}
END_TEST

START_TEST(kbc_output_port_bit1_drives_a20)
{
    Rig *r = rig_new();
    command(r, 0xd0);
    ck_assert_uint_eq(data_in(r) & 0x03, 0x03);  /* running, A20 on */
    command(r, 0xd1);
    data_out(r, 0xdd);                           /* A20 off, reset line high */
    ck_assert_int_eq(r->a20_calls, 1);
    ck_assert_int_eq(r->a20, 0);
    ck_assert_int_eq(r->resets, 0);
    ck_assert(!kbc_a20(r->k));
    command(r, 0xd0);
    ck_assert_uint_eq(data_in(r) & 0x03, 0x01);
    command(r, 0xd1);
    data_out(r, 0xdf);
    ck_assert_int_eq(r->a20, 1);
    command(r, 0xdd);                            /* A20 off by command */
    ck_assert_int_eq(r->a20, 0);
    command(r, 0xdf);
    ck_assert_int_eq(r->a20, 1);
    ck_assert_int_eq(r->a20_calls, 4);
    rig_free(r);
}
END_TEST

START_TEST(kbc_pulse_reset_requests_reset)
{
    Rig *r = rig_new();
    command(r, 0xff);                            /* pulses nothing */
    ck_assert_int_eq(r->resets, 0);
    command(r, 0xfe);
    ck_assert_int_eq(r->resets, 1);
    command(r, 0xd1);
    data_out(r, 0x02);                           /* output port bit 0 low: reset */
    ck_assert_int_eq(r->resets, 2);
    rig_free(r);
}
END_TEST

START_TEST(kbc_keyboard_reset_replies_ack_then_bat)
{
    Rig *r = rig_new();
    command(r, 0x60);
    data_out(r, 0x05);                           /* no translation, keyboard IRQ */
    data_out(r, 0xff);
    ck_assert_int_eq(r->level[1], 1);
    ck_assert_uint_eq(data_in(r), 0xfa);
    ck_assert_int_eq(r->level[1], 1);            /* the BAT code follows */
    ck_assert_uint_eq(data_in(r), 0xaa);
    ck_assert_int_eq(r->level[1], 0);
    ck_assert_int_eq(r->edges[1], 2);
    ck_assert_uint_eq(status(r) & 0x01, 0);
    rig_free(r);
}
END_TEST

START_TEST(kbc_keyboard_identify_translated_and_raw)
{
    Rig *r = rig_new();
    data_out(r, 0xf2);                           /* translation on (reset CTR) */
    ck_assert_uint_eq(data_in(r), 0xfa);
    ck_assert_uint_eq(data_in(r), 0xab);
    ck_assert_uint_eq(data_in(r), 0x41);         /* 0x83 through the translation */
    command(r, 0x60);
    data_out(r, 0x05);
    data_out(r, 0xf2);
    ck_assert_uint_eq(data_in(r), 0xfa);
    ck_assert_uint_eq(data_in(r), 0xab);
    ck_assert_uint_eq(data_in(r), 0x83);
    data_out(r, 0xee);
    ck_assert_uint_eq(data_in(r), 0xee);         /* echo */
    data_out(r, 0xed);
    ck_assert_uint_eq(data_in(r), 0xfa);
    data_out(r, 0x07);
    ck_assert_uint_eq(data_in(r), 0xfa);
    data_out(r, 0xf0);
    ck_assert_uint_eq(data_in(r), 0xfa);
    data_out(r, 0x00);                           /* which set? */
    ck_assert_uint_eq(data_in(r), 0xfa);
    ck_assert_uint_eq(data_in(r), 0x02);
    data_out(r, 0x12);                           /* not a command */
    ck_assert_uint_eq(data_in(r), 0xfe);
    rig_free(r);
}
END_TEST

START_TEST(kbc_keys_translated_to_set1_with_break)
{
    Rig *r = rig_new();
    /* 'A' make and break in set 2: 1C, F0 1C; extended right ctrl: E0 14 */
    static const uint8_t in[] = { 0x1c, 0xf0, 0x1c, 0xe0, 0x14 };
    for (unsigned i = 0; i < sizeof(in); i++)
        kbc_keyboard_input(r->k, in[i]);
    ck_assert_uint_eq(data_in(r), 0x1e);
    ck_assert_uint_eq(data_in(r), 0x9e);
    ck_assert_uint_eq(data_in(r), 0xe0);
    ck_assert_uint_eq(data_in(r), 0x1d);
    ck_assert_uint_eq(status(r) & 0x01, 0);
    ck_assert_int_eq(r->edges[1], 4);
    rig_free(r);
}
END_TEST

START_TEST(kbc_keyboard_disabled_holds_keys)
{
    Rig *r = rig_new();
    command(r, 0xad);
    kbc_keyboard_input(r->k, 0x76);              /* Esc */
    ck_assert_uint_eq(status(r) & 0x01, 0);
    ck_assert_uint_eq(kbc_keyboard_room(r->k), KBC_QUEUE_SIZE - 1);
    command(r, 0xae);
    ck_assert_uint_eq(data_in(r), 0x01);
    data_out(r, 0xf5);                           /* scanning off */
    ck_assert_uint_eq(data_in(r), 0xfa);
    kbc_keyboard_input(r->k, 0x76);
    ck_assert_uint_eq(status(r) & 0x01, 0);
    rig_free(r);
}
END_TEST

START_TEST(kbc_aux_loop_sets_auxb_and_irq12)
{
    Rig *r = rig_new();
    command(r, 0xd3);                            /* Linux's I8042_CMD_AUX_LOOP */
    data_out(r, 0x5a);
    ck_assert_uint_eq(status(r) & 0x21, 0x21);   /* OBF | AUXB */
    ck_assert_int_eq(r->level[12], 0);           /* CTR bit 1 clear */
    ck_assert_uint_eq(data_in(r), 0x5a);
    command(r, 0x60);
    data_out(r, 0x03);                           /* both interrupts, both ports on */
    command(r, 0xd3);
    data_out(r, 0xa5);
    ck_assert_int_eq(r->level[12], 1);
    ck_assert_int_eq(r->level[1], 0);
    ck_assert_uint_eq(data_in(r), 0xa5);
    ck_assert_int_eq(r->level[12], 0);
    rig_free(r);
}
END_TEST

START_TEST(kbc_mouse_reset_and_identify_answer_like_ps2_mouse)
{
    Rig *r = rig_new();
    command(r, 0xa8);
    command(r, 0xd4);
    data_out(r, 0xff);
    ck_assert_uint_eq(status(r) & 0x21, 0x21);
    ck_assert_uint_eq(data_in(r), 0xfa);
    ck_assert_uint_eq(data_in(r), 0xaa);
    ck_assert_uint_eq(data_in(r), 0x00);
    command(r, 0xd4);
    data_out(r, 0xf2);
    ck_assert_uint_eq(data_in(r), 0xfa);
    ck_assert_uint_eq(data_in(r), 0x00);
    command(r, 0xd4);
    data_out(r, 0xf3);                           /* sample rate 40 */
    ck_assert_uint_eq(data_in(r), 0xfa);
    command(r, 0xd4);
    data_out(r, 40);
    ck_assert_uint_eq(data_in(r), 0xfa);
    command(r, 0xd4);
    data_out(r, 0xe9);                           /* status request */
    ck_assert_uint_eq(data_in(r), 0xfa);
    ck_assert_uint_eq(data_in(r), 0x00);
    ck_assert_uint_eq(data_in(r), 0x02);
    ck_assert_uint_eq(data_in(r), 40);
    rig_free(r);
}
END_TEST

START_TEST(kbc_mouse_stream_packet_after_enable)
{
    Rig *r = rig_new();
    command(r, 0x60);
    data_out(r, 0x03);
    kbc_mouse_input(r->k, 5, -3, 0, 1);          /* reporting still off: nothing */
    ck_assert_uint_eq(status(r) & 0x01, 0);
    command(r, 0xd4);
    data_out(r, 0xf4);
    ck_assert_uint_eq(data_in(r), 0xfa);
    kbc_mouse_input(r->k, 5, -3, 0, 1);
    ck_assert_int_eq(r->level[12], 1);
    ck_assert_uint_eq(data_in(r), 0x29);         /* always-1 bit, Y sign, left */
    ck_assert_uint_eq(data_in(r), 5);
    ck_assert_uint_eq(data_in(r), 0xfd);
    ck_assert_int_eq(r->level[12], 0);
    rig_free(r);
}
END_TEST

/* Sends one byte to the mouse and checks its acknowledge. */
static void aux_cmd(Rig *r, uint8_t b)
{
    command(r, 0xd4);
    data_out(r, b);
    ck_assert_uint_eq(data_in(r), 0xfa);
}

static void aux_rate(Rig *r, uint8_t rate)
{
    aux_cmd(r, 0xf3);
    aux_cmd(r, rate);
}

START_TEST(kbc_mouse_wheel_knock_gives_intellimouse_ids_and_packets)
{
    Rig *r = rig_new();
    command(r, 0x60);
    data_out(r, 0x03);
    aux_rate(r, 200);
    aux_rate(r, 100);
    aux_rate(r, 80);
    aux_cmd(r, 0xf2);
    ck_assert_uint_eq(data_in(r), 3);            /* IntelliMouse */
    aux_rate(r, 200);
    aux_rate(r, 200);
    aux_rate(r, 80);
    aux_cmd(r, 0xf2);
    ck_assert_uint_eq(data_in(r), 4);            /* IntelliMouse Explorer */
    aux_cmd(r, 0xf4);
    kbc_mouse_input(r->k, 0, 0, -1, 0x10);       /* wheel up one step, fifth button */
    ck_assert_uint_eq(data_in(r), 0x08);
    ck_assert_uint_eq(data_in(r), 0);
    ck_assert_uint_eq(data_in(r), 0);
    ck_assert_uint_eq(data_in(r), 0x2f);         /* dz -1 in bits 0-3, button 5 in bit 5 */
    aux_cmd(r, 0xff);                            /* reset: back to a plain PS/2 mouse */
    ck_assert_uint_eq(data_in(r), 0xaa);
    ck_assert_uint_eq(data_in(r), 0x00);
    aux_cmd(r, 0xf2);
    ck_assert_uint_eq(data_in(r), 0);
    rig_free(r);
}
END_TEST

START_TEST(kbc_reset_restores_power_on_state)
{
    Rig *r = rig_new();
    command(r, 0x60);
    data_out(r, 0x00);
    kbc_keyboard_input(r->k, 0x1c);
    kbc_reset(r->k);
    ck_assert_uint_eq(status(r) & 0x01, 0);
    command(r, 0x20);
    ck_assert_uint_eq(data_in(r), 0x65);
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

/* A hostile guest: random bytes to both ports, random reads, keys and mouse motion.  After every
 * step the queues stay bounded and IRQ 1 / IRQ 12 are high exactly when the output buffer holds a
 * byte of their kind and the command byte enables that interrupt. */
START_TEST(kbc_random_traffic_keeps_invariants)
{
    Rig *r = rig_new();
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < 20000; i++) {
        uint64_t v = xorshift(&x);
        uint8_t b = (uint8_t)(v >> 8);
        switch ((v >> 3) & 7) {
        case 0: command(r, b); break;
        case 1: case 2: data_out(r, b); break;
        case 3: case 4: io_in(&r->bus, 0x60, 1); break;
        case 5: kbc_keyboard_input(r->k, b); break;
        case 6: kbc_mouse_input(r->k, (int8_t)b, (int8_t)(v >> 16), (int8_t)(v >> 24) % 9, b & 0x1f); break;
        default: status(r); break;
        }
        ck_assert_uint_le(r->k->kbd_q.count, KBC_QUEUE_SIZE);
        ck_assert_uint_le(r->k->aux_q.count, KBC_QUEUE_SIZE);
        ck_assert_uint_le(r->k->ctrl_q.count, KBC_QUEUE_SIZE);
        uint8_t st = status(r);
        uint8_t ccb = r->k->ccb;
        int obf = st & 0x01, aux = (st & 0x20) != 0;
        ck_assert_int_eq(r->level[1], obf && !aux && (ccb & 0x01));
        ck_assert_int_eq(r->level[12], obf && aux && (ccb & 0x02) ? 1 : 0);
    }
    rig_free(r);
}
END_TEST

static Suite *kbc_suite(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, kbc_reset_status_keylock_off_buffer_empty);
    tcase_add_test(tc, kbc_self_test_answers_0x55);
    tcase_add_test(tc, kbc_command_byte_write_read_round_trips);
    tcase_add_test(tc, kbc_reply_raises_irq1_only_when_enabled);
    tcase_add_test(tc, kbc_output_port_bit1_drives_a20);
    tcase_add_test(tc, kbc_pulse_reset_requests_reset);
    tcase_add_test(tc, kbc_keyboard_reset_replies_ack_then_bat);
    tcase_add_test(tc, kbc_keyboard_identify_translated_and_raw);
    tcase_add_test(tc, kbc_keys_translated_to_set1_with_break);
    tcase_add_test(tc, kbc_keyboard_disabled_holds_keys);
    tcase_add_test(tc, kbc_aux_loop_sets_auxb_and_irq12);
    tcase_add_test(tc, kbc_mouse_reset_and_identify_answer_like_ps2_mouse);
    tcase_add_test(tc, kbc_mouse_stream_packet_after_enable);
    tcase_add_test(tc, kbc_mouse_wheel_knock_gives_intellimouse_ids_and_packets);
    tcase_add_test(tc, kbc_reset_restores_power_on_state);
    tcase_add_test(tc, kbc_random_traffic_keeps_invariants);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kbc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
