/*
 * keymap.h — host keys to the bytes a PS/2 keyboard sends in scan code set 2 (what
 * vm_input_key takes; the i8042 translates to set 1 when the guest asks for it).
 */
#ifndef SOFTVISOR_KEYMAP_H
#define SOFTVISOR_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A key going down or up, named by its USB HID usage (page 7; SDL scancodes are these).
 * Returns the byte count (at most 3; 0 for keys without a set 2 code). */
int keymap_set2(int hid_usage, bool down, uint8_t out[8]);
/* A character typed on a terminal (US layout): press and release, with Shift where needed.
 * Returns the byte count (at most 12; 0 for characters no key types). */
int keymap_ascii_set2(int c, uint8_t out[32]);
/* The key that types character c (US layout): its USB HID usage, plus KEYMAP_SHIFT when Shift
 * must be held; -1 for characters no key types. */
#define KEYMAP_SHIFT 0x100
int keymap_ascii_usage(int c);

/* The most bytes keymap_sendkey_set2 writes: KEYMAP_SENDKEY_MAX keys, each at most 3 bytes down
 * and 3 up. */
#define KEYMAP_SENDKEY_MAX 16
#define KEYMAP_SENDKEY_BYTES (KEYMAP_SENDKEY_MAX * 6)
/* QEMU's HMP sendkey argument: key names of QEMU's QKeyCode ("ret", "spc", "esc", "f1", "a",
 * "ctrl", "alt", "kp_5", "delete", ...) joined by '-', as in "ctrl-alt-delete".  The keys go
 * down in the order given and come up in reverse, as QEMU's sendkey does.  Returns the byte
 * count, or -1 with a message in err (an unknown or unmappable key name, too many keys). */
int keymap_sendkey_set2(const char *keys, uint8_t out[KEYMAP_SENDKEY_BYTES], char *err, size_t errlen);

#endif
