/*
 * i8042.h — the PC keyboard controller (Intel 8042 / PS/2 KBC) with a PS/2 keyboard on its first
 * port and a PS/2 mouse on its auxiliary port.
 *
 * The board gives the controller its two IRQ lines (IRQ 1 keyboard, IRQ 12 mouse) and a KbcHost:
 * the output port's A20 gate and reset line act through its callbacks, so the chip never knows the
 * VM.  Frontends feed key scancodes (set 2, as a PS/2 keyboard sends them) and mouse movements.
 */
#ifndef SOFTVISOR_I8042_H
#define SOFTVISOR_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "mem/io.h"

#define KBC_QUEUE_SIZE 16

typedef struct KbcHost {
    void (*set_a20)(void *opaque, bool on);   /* output port bit 1 changed */
    void (*reset)(void *opaque);              /* the CPU reset line was pulsed */
    void *opaque;
} KbcHost;

/* Bytes a PS/2 device has sent towards the controller and not yet delivered. */
typedef struct KbcQueue {
    uint8_t b[KBC_QUEUE_SIZE];
    unsigned head, count;
} KbcQueue;

typedef struct KbcState {
    /* controller */
    uint8_t status;           /* status register bits that are state: SYS, A2 */
    uint8_t ccb;              /* controller command byte (RAM byte 0) */
    uint8_t ram[32];          /* 8042 internal RAM bytes 1-31 (0x21-0x3F / 0x61-0x7F) */
    uint8_t outport;          /* output port: bit 0 reset (1 = running), bit 1 A20 */
    uint8_t pending;          /* controller command waiting for its data byte (0: none) */
    uint8_t obuf;             /* output buffer */
    bool obf;                 /* output buffer full */
    uint8_t obuf_src;         /* who filled it: KBC_SRC_CTRL, KBC_SRC_KBD, KBC_SRC_AUX */
    KbcQueue ctrl_q;          /* controller replies and 0xD2/0xD3 bytes */
    uint8_t ctrl_src[KBC_QUEUE_SIZE];   /* the source each ctrl_q slot is delivered as */
    bool xlate_break;         /* translation saw the set-2 break prefix 0xF0 */
    /* keyboard */
    KbcQueue kbd_q;
    uint8_t kbd_cmd;          /* command waiting for its parameter (0: none) */
    uint8_t kbd_set;          /* scan code set 1-3 */
    bool kbd_scan;            /* scanning enabled */
    uint8_t kbd_leds;
    bool kbd_break;           /* set 1 conversion in the keyboard saw the break prefix */
    /* mouse */
    KbcQueue aux_q;
    uint8_t aux_cmd;
    bool aux_stream, aux_enabled, aux_wrap;
    uint8_t aux_rate, aux_res, aux_scaling, aux_buttons;
    uint8_t aux_type;         /* device ID: 0 PS/2 mouse, 3 IntelliMouse, 4 IntelliMouse Explorer */
    uint8_t aux_rates[3];     /* the last three sample rates set, newest last (the ID "knock") */
    IrqLine irq_kbd, irq_aux;
    int level_kbd, level_aux;
    KbcHost host;
} KbcState;

KbcState *kbc_new(IoBus *bus, IrqLine irq_kbd, IrqLine irq_aux, KbcHost host);
void kbc_reset(KbcState *s);
/* Output port bit 1: the A20 gate the controller asks for. */
bool kbc_a20(const KbcState *s);

/* Keyboard input: room for scancode bytes, and one byte in set 2 as the keyboard's matrix reports
 * it (the keyboard converts to set 1 if the guest selected it; the controller translates when
 * the command byte asks).  Bytes beyond the room are lost, as in a real keyboard's buffer. */
unsigned kbc_keyboard_room(const KbcState *s);
void kbc_keyboard_input(KbcState *s, uint8_t set2_byte);
/* Mouse input: relative movement (dy positive = up, PS/2 convention), wheel steps dz (positive =
 * towards the user) and buttons (bit 0 left, 1 right, 2 middle, 3-4 side buttons); sends one
 * packet (3 bytes, 4 once the guest enabled the wheel) in stream mode while reporting is on. */
void kbc_mouse_input(KbcState *s, int dx, int dy, int dz, uint8_t buttons);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc kbc_state_desc;

#endif
