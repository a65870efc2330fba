/*
 * i8042.c — the PC keyboard controller (Intel 8042 as programmed by the IBM PC/AT and PS/2 BIOS;
 * IBM PS/2 Hardware Interface Technical Reference, "Keyboard/Auxiliary Device Controller"),
 * with a PS/2 keyboard and a PS/2 mouse attached.
 *
 * Ports: 0x60 data (read: output buffer; write: data for a pending controller command, else a
 * byte to the keyboard), 0x64 status (read) / command (write).
 * Status: 0 OBF, 1 IBF, 2 SYS, 3 A2 (last write was a command), 4 INH (1 = keyboard not
 *   inhibited by the keylock), 5 AUXB (the output buffer holds mouse data), 6 timeout, 7 parity.
 * Command byte: 0 keyboard interrupt (IRQ 1) on OBF, 1 mouse interrupt (IRQ 12), 2 SYS,
 *   4 keyboard disabled, 5 mouse disabled, 6 translate set 2 to set 1.
 * Commands: 0x20-0x3F read RAM (0x20 = command byte), 0x60-0x7F write RAM, 0xA4 password
 *   installed? (0xF1 = no), 0xA7/0xA8 mouse port off/on, 0xA9 mouse port test (0 = ok), 0xAA
 *   self-test (0x55), 0xAB keyboard port test (0), 0xAD/0xAE keyboard port off/on, 0xC0 read input
 *   port, 0xD0/0xD1 read/write output port (0 reset line, 1 A20, 4 OBF from keyboard, 5 OBF from
 *   mouse), 0xD2/0xD3 write the output buffer as if from the keyboard/mouse, 0xD4 next data byte
 *   goes to the mouse, 0xDD/0xDF A20 off/on, 0xE0 read test inputs, 0xF0-0xFF pulse output port
 *   bits 0-3 low for each clear bit of the low nibble (0xFE: pulse the CPU reset line).
 * Keyboard (PS/2 keyboard commands): 0xED LEDs, 0xEE echo, 0xF0 scan code set, 0xF2 identify
 *   (0xAB 0x83), 0xF3 typematic, 0xF4 enable, 0xF5 disable + defaults, 0xF6 defaults, 0xF7-0xFD
 *   key modes, 0xFF reset (0xFA then BAT 0xAA); each is acknowledged with 0xFA; unknown: 0xFE.
 * Mouse (PS/2 mouse commands): 0xE6/0xE7 scaling, 0xE8 resolution, 0xE9 status request, 0xEA
 *   stream mode, 0xEB read data, 0xEC/0xEE wrap mode off/on, 0xF0 remote mode, 0xF2 identify,
 *   0xF3 sample rate, 0xF4/0xF5 reporting on/off, 0xF6 defaults, 0xFF reset (0xFA 0xAA 0x00).
 *   Microsoft's wheel extensions: sample rates 200, 100, 80 in a row turn a PS/2 mouse (ID 0)
 *   into an IntelliMouse (ID 3: a 4th packet byte with the wheel), then 200, 200, 80 into an
 *   IntelliMouse Explorer (ID 4: wheel in bits 0-3, buttons 4 and 5 in bits 4-5); reset ends
 *   them.
 * Translation: the 8042 maps each set-2 byte below 0x80 to set 1 through a fixed table, turns the
 * break prefix 0xF0 into bit 7 of the next byte, and passes other bytes (0xE0, 0xFA, ...) through,
 * except 0x83 (F7) -> 0x41 and 0x84 (SysRq) -> 0x54.
 * Interrupts: IRQ 1 is asserted while the output buffer holds a keyboard or controller byte and
 * command byte bit 0 is set; IRQ 12 likewise for mouse bytes and bit 1.  The controller answers
 * at once (IBF always reads 0).
 *
 * XXX: the power-on state is the one PC firmware leaves (softvisor runs no BIOS POST): command
 * byte 0x65 (translation, SYS, mouse disabled, keyboard interrupt), A20 on.  Scan code set 3 is
 * accepted but keys are still sent in set 2.  No password, no IntelliMouse extensions.
 */
#include <stdlib.h>
#include <stdio.h>

#include "devices/i8042.h"
#include "vm/state.h"

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_A2 0x08
#define ST_INH 0x10
#define ST_AUXB 0x20

#define CCB_KBD_INT 0x01
#define CCB_AUX_INT 0x02
#define CCB_SYS 0x04
#define CCB_KBD_DIS 0x10
#define CCB_AUX_DIS 0x20
#define CCB_XLATE 0x40

#define OUT_RESET 0x01
#define OUT_A20 0x02
#define OUT_OBF_KBD 0x10
#define OUT_OBF_AUX 0x20

#define KBC_SRC_CTRL 0
#define KBC_SRC_KBD 1
#define KBC_SRC_AUX 2

#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe
#define KBD_BAT_OK 0xaa

/* Set 2 -> set 1, for bytes 0x00-0x7F (8042 translation table). */
static const uint8_t xlate_table[128] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

static uint8_t kbc_xlate(uint8_t b)
{
    if (b < 0x80)
        return xlate_table[b];
    if (b == 0x83)
        return 0x41;
    if (b == 0x84)
        return 0x54;
    return b;
}

/* ---- byte queues ---- */

static bool queue_push(KbcQueue *q, uint8_t b)
{
    if (q->count >= KBC_QUEUE_SIZE)
        return false;
    q->b[(q->head + q->count) % KBC_QUEUE_SIZE] = b;
    q->count++;
    return true;
}

static uint8_t queue_pop(KbcQueue *q)
{
    uint8_t b = q->b[q->head];
    q->head = (q->head + 1) % KBC_QUEUE_SIZE;
    q->count--;
    return b;
}

static void queue_clear(KbcQueue *q)
{
    q->head = q->count = 0;
}

/* ---- output buffer and interrupts ---- */

static void kbc_update_irq(KbcState *s)
{
    int kbd = s->obf && s->obuf_src != KBC_SRC_AUX && (s->ccb & CCB_KBD_INT);
    int aux = s->obf && s->obuf_src == KBC_SRC_AUX && (s->ccb & CCB_AUX_INT);
    if (kbd != s->level_kbd) {
        s->level_kbd = kbd;
        irq_set(&s->irq_kbd, kbd);
    }
    if (aux != s->level_aux) {
        s->level_aux = aux;
        irq_set(&s->irq_aux, aux);
    }
}

/* Moves the next byte into an empty output buffer: controller replies first, then the keyboard
 * (unless its port is disabled), then the mouse. */
static void kbc_refill(KbcState *s)
{
    while (!s->obf) {
        if (s->ctrl_q.count) {
            s->obuf_src = s->ctrl_src[s->ctrl_q.head];
            s->obuf = queue_pop(&s->ctrl_q);
        } else if (s->kbd_q.count && !(s->ccb & CCB_KBD_DIS)) {
            uint8_t b = queue_pop(&s->kbd_q);
            if (s->ccb & CCB_XLATE) {
                if (b == 0xf0) {
                    s->xlate_break = true;
                    continue;
                }
                b = kbc_xlate(b) | (s->xlate_break ? 0x80 : 0);
                s->xlate_break = false;
            }
            s->obuf = b;
            s->obuf_src = KBC_SRC_KBD;
        } else if (s->aux_q.count && !(s->ccb & CCB_AUX_DIS)) {
            s->obuf = queue_pop(&s->aux_q);
            s->obuf_src = KBC_SRC_AUX;
        } else {
            break;
        }
        s->obf = true;
    }
    kbc_update_irq(s);
}

/* The controller puts a byte in the output buffer as coming from `src`. */
static void kbc_reply(KbcState *s, uint8_t b, uint8_t src)
{
    unsigned slot = (s->ctrl_q.head + s->ctrl_q.count) % KBC_QUEUE_SIZE;
    if (queue_push(&s->ctrl_q, b))
        s->ctrl_src[slot] = src;
    kbc_refill(s);
}

static void kbd_send(KbcState *s, uint8_t b)
{
    queue_push(&s->kbd_q, b);
    kbc_refill(s);
}

static void aux_send(KbcState *s, uint8_t b)
{
    queue_push(&s->aux_q, b);
    kbc_refill(s);
}

/* ---- the keyboard ---- */

static void kbd_defaults(KbcState *s)
{
    s->kbd_set = 2;
    s->kbd_leds = 0;
    s->kbd_cmd = 0;
    s->kbd_break = false;
}

static void kbd_write(KbcState *s, uint8_t b)
{
    uint8_t cmd = s->kbd_cmd;
    s->kbd_cmd = 0;
    switch (cmd) {
    case 0xed:
        s->kbd_leds = b & 7;
        kbd_send(s, KBD_ACK);
        return;
    case 0xf3:
        kbd_send(s, KBD_ACK);
        return;
    case 0xf0:
        if (b == 0) {
            kbd_send(s, KBD_ACK);
            kbd_send(s, s->kbd_set);
        } else if (b <= 3) {
            s->kbd_set = b;
            s->kbd_break = false;
            kbd_send(s, KBD_ACK);
        } else {
            kbd_send(s, KBD_RESEND);
        }
        return;
    default:
        break;
    }
    switch (b) {
    case 0xed:
    case 0xf0:
    case 0xf3:
        s->kbd_cmd = b;
        kbd_send(s, KBD_ACK);
        break;
    case 0xee:
        kbd_send(s, 0xee);
        break;
    case 0xf2:
        kbd_send(s, KBD_ACK);
        kbd_send(s, 0xab);
        kbd_send(s, 0x83);
        break;
    case 0xf4:
        queue_clear(&s->kbd_q);
        s->kbd_scan = true;
        kbd_send(s, KBD_ACK);
        break;
    case 0xf5:
        queue_clear(&s->kbd_q);
        kbd_defaults(s);
        s->kbd_scan = false;
        kbd_send(s, KBD_ACK);
        break;
    case 0xf6:
        kbd_defaults(s);
        kbd_send(s, KBD_ACK);
        break;
    case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd: case 0xfe:
        kbd_send(s, KBD_ACK);
        break;
    case 0xff:
        queue_clear(&s->kbd_q);
        kbd_defaults(s);
        s->kbd_scan = true;
        kbd_send(s, KBD_ACK);
        kbd_send(s, KBD_BAT_OK);
        break;
    default:
        kbd_send(s, KBD_RESEND);
        break;
    }
}

unsigned kbc_keyboard_room(const KbcState *s)
{
    return KBC_QUEUE_SIZE - s->kbd_q.count;
}

void kbc_keyboard_input(KbcState *s, uint8_t b)
{
    if (!s->kbd_scan)
        return;
    if (s->kbd_set == 1) {
        /* the keyboard itself sends set 1 */
        if (b == 0xf0) {
            s->kbd_break = true;
            return;
        }
        b = kbc_xlate(b) | (s->kbd_break ? 0x80 : 0);
        s->kbd_break = false;
    }
    kbd_send(s, b);
}

/* ---- the mouse ---- */

static void aux_defaults(KbcState *s)
{
    s->aux_rate = 100;
    s->aux_res = 2;
    s->aux_scaling = 1;
    s->aux_stream = true;
    s->aux_enabled = false;
    s->aux_cmd = 0;
}

static void aux_packet(KbcState *s, int dx, int dy, int dz, uint8_t buttons)
{
    uint8_t b0 = 0x08 | (buttons & 7);
    if (dx < -256 || dx > 255)
        b0 |= 0x40;
    if (dy < -256 || dy > 255)
        b0 |= 0x80;
    dx = dx < -256 ? -256 : dx > 255 ? 255 : dx;
    dy = dy < -256 ? -256 : dy > 255 ? 255 : dy;
    if (dx < 0)
        b0 |= 0x10;
    if (dy < 0)
        b0 |= 0x20;
    aux_send(s, b0);
    aux_send(s, (uint8_t)dx);
    aux_send(s, (uint8_t)dy);
    if (s->aux_type == 3) {
        aux_send(s, (uint8_t)(dz < -128 ? -128 : dz > 127 ? 127 : dz));
    } else if (s->aux_type == 4) {
        dz = dz < -8 ? -8 : dz > 7 ? 7 : dz;
        aux_send(s, (uint8_t)((dz & 0x0f) | ((buttons & 0x18) << 1)));
    }
}

/* The sample-rate sequences that switch on the wheel extensions. */
static void aux_knock(KbcState *s, uint8_t rate)
{
    s->aux_rates[0] = s->aux_rates[1];
    s->aux_rates[1] = s->aux_rates[2];
    s->aux_rates[2] = rate;
    if (s->aux_rates[0] == 200 && s->aux_rates[1] == 100 && rate == 80 && s->aux_type == 0)
        s->aux_type = 3;
    else if (s->aux_rates[0] == 200 && s->aux_rates[1] == 200 && rate == 80 && s->aux_type == 3)
        s->aux_type = 4;
}

static void aux_write(KbcState *s, uint8_t b)
{
    if (s->aux_wrap && b != 0xec && b != 0xff) {
        aux_send(s, b);
        return;
    }
    uint8_t cmd = s->aux_cmd;
    s->aux_cmd = 0;
    if (cmd == 0xf3 || cmd == 0xe8) {
        if (cmd == 0xf3) {
            s->aux_rate = b;
            aux_knock(s, b);
        } else {
            s->aux_res = b & 3;
        }
        aux_send(s, KBD_ACK);
        return;
    }
    switch (b) {
    case 0xe6:
    case 0xe7:
        s->aux_scaling = b == 0xe6 ? 1 : 2;
        aux_send(s, KBD_ACK);
        break;
    case 0xe8:
    case 0xf3:
        s->aux_cmd = b;
        aux_send(s, KBD_ACK);
        break;
    case 0xe9:
        /* status: byte 1 = remote, enabled, scaling 2:1, left, middle, right buttons */
        aux_send(s, KBD_ACK);
        aux_send(s, (uint8_t)((s->aux_stream ? 0 : 0x40) | (s->aux_enabled ? 0x20 : 0) |
                              (s->aux_scaling == 2 ? 0x10 : 0) | ((s->aux_buttons & 1) << 2) |
                              ((s->aux_buttons & 4) >> 1) | ((s->aux_buttons & 2) >> 1)));
        aux_send(s, s->aux_res);
        aux_send(s, s->aux_rate);
        break;
    case 0xea:
    case 0xf0:
        s->aux_stream = b == 0xea;
        aux_send(s, KBD_ACK);
        break;
    case 0xeb:
        aux_send(s, KBD_ACK);
        aux_packet(s, 0, 0, 0, s->aux_buttons);
        break;
    case 0xec:
    case 0xee:
        s->aux_wrap = b == 0xee;
        aux_send(s, KBD_ACK);
        break;
    case 0xf2:
        aux_send(s, KBD_ACK);
        aux_send(s, s->aux_type);
        break;
    case 0xf4:
    case 0xf5:
        s->aux_enabled = b == 0xf4;
        aux_send(s, KBD_ACK);
        break;
    case 0xf6:
        aux_defaults(s);
        aux_send(s, KBD_ACK);
        break;
    case 0xfe:
        aux_send(s, KBD_ACK);
        break;
    case 0xff:
        queue_clear(&s->aux_q);
        aux_defaults(s);
        s->aux_wrap = false;
        s->aux_type = 0;
        s->aux_rates[0] = s->aux_rates[1] = s->aux_rates[2] = 0;
        aux_send(s, KBD_ACK);
        aux_send(s, KBD_BAT_OK);
        aux_send(s, 0x00);
        break;
    default:
        aux_send(s, KBD_RESEND);
        break;
    }
}

void kbc_mouse_input(KbcState *s, int dx, int dy, int dz, uint8_t buttons)
{
    unsigned len = s->aux_type ? 4 : 3;
    s->aux_buttons = buttons & 7;
    if (s->aux_enabled && s->aux_stream && !s->aux_wrap && KBC_QUEUE_SIZE - s->aux_q.count >= len)
        aux_packet(s, dx, dy, dz, buttons);
}

/* ---- the controller ---- */

bool kbc_a20(const KbcState *s)
{
    return (s->outport & OUT_A20) != 0;
}

static void kbc_pulse_reset(KbcState *s)
{
    if (s->host.reset)
        s->host.reset(s->host.opaque);
}

static void kbc_write_outport(KbcState *s, uint8_t v)
{
    uint8_t old = s->outport;
    s->outport = v;
    if (((old ^ v) & OUT_A20) && s->host.set_a20)
        s->host.set_a20(s->host.opaque, (v & OUT_A20) != 0);
    if (!(v & OUT_RESET))
        kbc_pulse_reset(s);
}

static void kbc_command(KbcState *s, uint8_t cmd)
{
    if (cmd >= 0x20 && cmd <= 0x3f) {
        kbc_reply(s, cmd == 0x20 ? s->ccb : s->ram[cmd & 0x1f], KBC_SRC_CTRL);
        return;
    }
    if (cmd >= 0x60 && cmd <= 0x7f) {
        s->pending = cmd;
        return;
    }
    if (cmd >= 0xf0) {
        /* pulse output port bits 0-3 low where the command's low nibble is 0 */
        if (!(cmd & 1))
            kbc_pulse_reset(s);
        return;
    }
    switch (cmd) {
    case 0xa4:
        kbc_reply(s, 0xf1, KBC_SRC_CTRL);
        break;
    case 0xa7:
        s->ccb |= CCB_AUX_DIS;
        break;
    case 0xa8:
        s->ccb &= ~CCB_AUX_DIS;
        kbc_refill(s);
        break;
    case 0xa9:
    case 0xab:
        kbc_reply(s, 0x00, KBC_SRC_CTRL);
        break;
    case 0xaa:
        s->status |= ST_SYS;
        kbc_reply(s, 0x55, KBC_SRC_CTRL);
        break;
    case 0xad:
        s->ccb |= CCB_KBD_DIS;
        break;
    case 0xae:
        s->ccb &= ~CCB_KBD_DIS;
        kbc_refill(s);
        break;
    case 0xc0:
        kbc_reply(s, 0x80, KBC_SRC_CTRL);   /* bit 7: keyboard not inhibited */
        break;
    case 0xd0: {
        uint8_t v = s->outport & ~(OUT_OBF_KBD | OUT_OBF_AUX);
        if (s->obf)
            v |= s->obuf_src == KBC_SRC_AUX ? OUT_OBF_AUX : OUT_OBF_KBD;
        kbc_reply(s, v, KBC_SRC_CTRL);
        break;
    }
    case 0xd1:
    case 0xd2:
    case 0xd3:
    case 0xd4:
        s->pending = cmd;
        break;
    case 0xdd:
    case 0xdf:
        kbc_write_outport(s, (uint8_t)((s->outport & ~OUT_A20) | (cmd == 0xdf ? OUT_A20 : 0)));
        break;
    case 0xe0:
        kbc_reply(s, 0x00, KBC_SRC_CTRL);
        break;
    default:
        break;   /* not an 8042 command on a PC: ignored */
    }
}

static void kbc_write_data(KbcState *s, uint8_t v)
{
    uint8_t cmd = s->pending;
    s->pending = 0;
    if (cmd == 0x60) {
        s->ccb = v;
        s->status = (uint8_t)((s->status & ~ST_SYS) | (v & CCB_SYS));
        kbc_refill(s);
    } else if (cmd > 0x60 && cmd <= 0x7f) {
        s->ram[cmd & 0x1f] = v;
    } else if (cmd == 0xd1) {
        kbc_write_outport(s, v);
    } else if (cmd == 0xd2) {
        kbc_reply(s, v, KBC_SRC_KBD);
    } else if (cmd == 0xd3) {
        kbc_reply(s, v, KBC_SRC_AUX);
    } else if (cmd == 0xd4) {
        aux_write(s, v);
    } else {
        /* A byte for the keyboard; sending it re-enables the keyboard port (as QEMU's 8042). */
        s->ccb &= ~CCB_KBD_DIS;
        kbd_write(s, v);
    }
}

static uint32_t kbc_read(void *opaque, uint16_t port, int size)
{
    KbcState *s = opaque;
    (void)size;
    if (port == 0x64) {
        uint8_t st = (uint8_t)(s->status | ST_INH);
        if (s->obf)
            st |= ST_OBF | (s->obuf_src == KBC_SRC_AUX ? ST_AUXB : 0);
        return st;
    }
    uint8_t v = s->obuf;
    s->obf = false;
    /* The line drops before the next byte moves in, so an edge-triggered 8259 sees one rising
     * edge per byte. */
    kbc_update_irq(s);
    kbc_refill(s);
    return v;
}

static void kbc_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    KbcState *s = opaque;
    (void)size;
    if (port == 0x64) {
        s->status |= ST_A2;
        s->pending = 0;
        kbc_command(s, (uint8_t)val);
    } else {
        s->status &= ~ST_A2;
        kbc_write_data(s, (uint8_t)val);
    }
}

static const IoOps kbc_ops = { kbc_read, kbc_write, 1 };

void kbc_reset(KbcState *s)
{
    s->ccb = CCB_XLATE | CCB_AUX_DIS | CCB_SYS | CCB_KBD_INT;
    s->status = ST_SYS;
    for (unsigned i = 0; i < sizeof(s->ram); i++)
        s->ram[i] = 0;
    s->outport = 0xc0 | OUT_A20 | OUT_RESET;   /* keyboard clock and data lines high */
    s->pending = 0;
    s->obf = false;
    s->obuf = 0;
    s->obuf_src = KBC_SRC_CTRL;
    s->xlate_break = false;
    queue_clear(&s->ctrl_q);
    queue_clear(&s->kbd_q);
    queue_clear(&s->aux_q);
    kbd_defaults(s);
    s->kbd_scan = true;
    aux_defaults(s);
    s->aux_wrap = false;
    s->aux_buttons = 0;
    s->aux_type = 0;
    s->aux_rates[0] = s->aux_rates[1] = s->aux_rates[2] = 0;
    kbc_update_irq(s);
}

KbcState *kbc_new(IoBus *bus, IrqLine irq_kbd, IrqLine irq_aux, KbcHost host)
{
    KbcState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->irq_kbd = irq_kbd;
    s->irq_aux = irq_aux;
    s->host = host;
    if (io_register(bus, 0x60, 1, &kbc_ops, s) < 0 || io_register(bus, 0x64, 1, &kbc_ops, s) < 0) {
        free(s);
        return NULL;
    }
    kbc_reset(s);
    return s;
}

/* ---- the state description (vm/state.h): controller, keyboard and mouse, queues included ---- */

static const StateField kbc_queue_fields[] = {
    STATE_A(KbcQueue, b), STATE_U(KbcQueue, head), STATE_U(KbcQueue, count),
};
static const StateDesc kbc_queue_state_desc = {
    "kbc-queue", 1, sizeof(KbcQueue), kbc_queue_fields, STATE_COUNT(kbc_queue_fields), NULL, 0, NULL,
};

static const StateField kbc_fields[] = {
    STATE_U(KbcState, status), STATE_U(KbcState, ccb), STATE_A(KbcState, ram), STATE_U(KbcState, outport),
    STATE_U(KbcState, pending), STATE_U(KbcState, obuf), STATE_B(KbcState, obf), STATE_U(KbcState, obuf_src),
    STATE_S(KbcState, ctrl_q, KbcQueue, kbc_queue_state_desc), STATE_A(KbcState, ctrl_src),
    STATE_B(KbcState, xlate_break),
    STATE_S(KbcState, kbd_q, KbcQueue, kbc_queue_state_desc), STATE_U(KbcState, kbd_cmd), STATE_U(KbcState, kbd_set),
    STATE_B(KbcState, kbd_scan), STATE_U(KbcState, kbd_leds), STATE_B(KbcState, kbd_break),
    STATE_S(KbcState, aux_q, KbcQueue, kbc_queue_state_desc), STATE_U(KbcState, aux_cmd),
    STATE_B(KbcState, aux_stream), STATE_B(KbcState, aux_enabled), STATE_B(KbcState, aux_wrap),
    STATE_U(KbcState, aux_rate), STATE_U(KbcState, aux_res), STATE_U(KbcState, aux_scaling),
    STATE_U(KbcState, aux_buttons), STATE_U(KbcState, aux_type), STATE_A(KbcState, aux_rates),
    STATE_U(KbcState, level_kbd), STATE_U(KbcState, level_aux),
};
static const StateField kbc_host_fields[] = {
    STATE_HOST(KbcState, irq_kbd), STATE_HOST(KbcState, irq_aux), STATE_HOST(KbcState, host),
};

static bool kbc_post_load(void *obj, char *err, size_t errlen)
{
    KbcState *s = obj;
    const KbcQueue *q[3] = { &s->ctrl_q, &s->kbd_q, &s->aux_q };
    for (int i = 0; i < 3; i++) {
        if (q[i]->head >= KBC_QUEUE_SIZE || q[i]->count > KBC_QUEUE_SIZE) {
            snprintf(err, errlen, "queue %d: head %u, count %u", i, q[i]->head, q[i]->count);
            return false;
        }
    }
    return true;
}

const StateDesc kbc_state_desc = {
    "kbc", 1, sizeof(KbcState), kbc_fields, STATE_COUNT(kbc_fields), kbc_host_fields, STATE_COUNT(kbc_host_fields),
    kbc_post_load,
};
