/*
 * keymap.c — host keys to PS/2 scan code set 2 (see keymap.h).
 *
 * USB HID usages (HID Usage Tables 1.12, page 7 "Keyboard/Keypad") map to the set 2 make code of
 * the same key position (IBM PS/2 keyboard technical reference; extended keys carry the 0xE0
 * prefix).  A break code is F0 before the last byte.
 * XXX: Pause and Print Screen (multi-byte sequences without a plain break) have no mapping.
 * keymap_sendkey_set2 reads the key names of QEMU's HMP sendkey (QEMU's qapi/ui.json QKeyCode).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "frontends/keymap.h"

/* HID usage 0x04-0x65 -> set 2 make code (0xE0xx: extended). */
static const uint16_t hid_to_set2[0x66] = {
    [0x04] = 0x1c, [0x05] = 0x32, [0x06] = 0x21, [0x07] = 0x23, [0x08] = 0x24, [0x09] = 0x2b,
    [0x0a] = 0x34, [0x0b] = 0x33, [0x0c] = 0x43, [0x0d] = 0x3b, [0x0e] = 0x42, [0x0f] = 0x4b,
    [0x10] = 0x3a, [0x11] = 0x31, [0x12] = 0x44, [0x13] = 0x4d, [0x14] = 0x15, [0x15] = 0x2d,
    [0x16] = 0x1b, [0x17] = 0x2c, [0x18] = 0x3c, [0x19] = 0x2a, [0x1a] = 0x1d, [0x1b] = 0x22,
    [0x1c] = 0x35, [0x1d] = 0x1a,
    [0x1e] = 0x16, [0x1f] = 0x1e, [0x20] = 0x26, [0x21] = 0x25, [0x22] = 0x2e, [0x23] = 0x36,
    [0x24] = 0x3d, [0x25] = 0x3e, [0x26] = 0x46, [0x27] = 0x45,
    [0x28] = 0x5a, [0x29] = 0x76, [0x2a] = 0x66, [0x2b] = 0x0d, [0x2c] = 0x29, [0x2d] = 0x4e,
    [0x2e] = 0x55, [0x2f] = 0x54, [0x30] = 0x5b, [0x31] = 0x5d, [0x32] = 0x5d, [0x33] = 0x4c,
    [0x34] = 0x52, [0x35] = 0x0e, [0x36] = 0x41, [0x37] = 0x49, [0x38] = 0x4a, [0x39] = 0x58,
    [0x3a] = 0x05, [0x3b] = 0x06, [0x3c] = 0x04, [0x3d] = 0x0c, [0x3e] = 0x03, [0x3f] = 0x0b,
    [0x40] = 0x83, [0x41] = 0x0a, [0x42] = 0x01, [0x43] = 0x09, [0x44] = 0x78, [0x45] = 0x07,
    [0x47] = 0x7e,
    [0x49] = 0xe070, [0x4a] = 0xe06c, [0x4b] = 0xe07d, [0x4c] = 0xe071, [0x4d] = 0xe069,
    [0x4e] = 0xe07a, [0x4f] = 0xe074, [0x50] = 0xe06b, [0x51] = 0xe072, [0x52] = 0xe075,
    [0x53] = 0x77, [0x54] = 0xe04a, [0x55] = 0x7c, [0x56] = 0x7b, [0x57] = 0x79, [0x58] = 0xe05a,
    [0x59] = 0x69, [0x5a] = 0x72, [0x5b] = 0x7a, [0x5c] = 0x6b, [0x5d] = 0x73, [0x5e] = 0x74,
    [0x5f] = 0x6c, [0x60] = 0x75, [0x61] = 0x7d, [0x62] = 0x70, [0x63] = 0x71, [0x64] = 0x61,
    [0x65] = 0xe02f,
};

/* HID usages 0xE0-0xE7: LCtrl, LShift, LAlt, LGUI, RCtrl, RShift, RAlt, RGUI. */
static const uint16_t hid_mod_to_set2[8] = { 0x14, 0x12, 0x11, 0xe01f, 0xe014, 0x59, 0xe011, 0xe027 };

int keymap_set2(int hid_usage, bool down, uint8_t out[8])
{
    uint16_t code = 0;
    if (hid_usage >= 0 && hid_usage < (int)(sizeof(hid_to_set2) / sizeof(hid_to_set2[0])))
        code = hid_to_set2[hid_usage];
    else if (hid_usage >= 0xe0 && hid_usage <= 0xe7)
        code = hid_mod_to_set2[hid_usage - 0xe0];
    if (!code)
        return 0;
    int n = 0;
    if (code >> 8)
        out[n++] = 0xe0;
    if (!down)
        out[n++] = 0xf0;
    out[n++] = (uint8_t)code;
    return n;
}

/* US layout: ASCII -> HID usage, with KEYMAP_SHIFT (bit 8) = Shift held. */
int keymap_ascii_usage(int c)
{
    static const char unshifted[] = "1234567890";
    static const char shifted[] = "!@#$%^&*()";
    static const struct { char c; int usage; } punct[] = {
        { '-', 0x2d }, { '=', 0x2e }, { '[', 0x2f }, { ']', 0x30 }, { '\\', 0x31 }, { ';', 0x33 },
        { '\'', 0x34 }, { '`', 0x35 }, { ',', 0x36 }, { '.', 0x37 }, { '/', 0x38 }, { ' ', 0x2c },
        { '_', 0x12d }, { '+', 0x12e }, { '{', 0x12f }, { '}', 0x130 }, { '|', 0x131 }, { ':', 0x133 },
        { '"', 0x134 }, { '~', 0x135 }, { '<', 0x136 }, { '>', 0x137 }, { '?', 0x138 },
        { '\n', 0x28 }, { '\r', 0x28 }, { 0x1b, 0x29 }, { 0x7f, 0x2a }, { '\b', 0x2a }, { '\t', 0x2b },
    };
    if (c >= 'a' && c <= 'z')
        return 0x04 + (c - 'a');
    if (c >= 'A' && c <= 'Z')
        return 0x104 + (c - 'A');
    for (int i = 0; i < 10; i++) {
        if (c == unshifted[i])
            return 0x1e + i;
        if (c == shifted[i])
            return 0x11e + i;
    }
    for (size_t i = 0; i < sizeof(punct) / sizeof(punct[0]); i++)
        if (c == punct[i].c)
            return punct[i].usage;
    return -1;
}

int keymap_ascii_set2(int c, uint8_t out[32])
{
    int u = keymap_ascii_usage(c);
    if (u < 0)
        return 0;
    int n = 0;
    bool shift = u & KEYMAP_SHIFT;
    if (shift)
        n += keymap_set2(0xe1, true, out + n);
    n += keymap_set2(u & 0xff, true, out + n);
    n += keymap_set2(u & 0xff, false, out + n);
    if (shift)
        n += keymap_set2(0xe1, false, out + n);
    return n;
}

/* QEMU's key names (qapi/ui.json, QKeyCode, the names HMP's sendkey takes) -> HID usage.  Keys
 * without a set 2 mapping here (print, pause, sysrq, the media and power keys) are left out, so
 * sendkey refuses them by name rather than sending nothing. */
static const struct { const char *name; uint8_t usage; } qcode_usage[] = {
    { "ret", 0x28 }, { "esc", 0x29 }, { "backspace", 0x2a }, { "tab", 0x2b }, { "spc", 0x2c },
    { "minus", 0x2d }, { "equal", 0x2e }, { "bracket_left", 0x2f }, { "bracket_right", 0x30 },
    { "backslash", 0x31 }, { "semicolon", 0x33 }, { "apostrophe", 0x34 }, { "grave_accent", 0x35 },
    { "comma", 0x36 }, { "dot", 0x37 }, { "slash", 0x38 }, { "caps_lock", 0x39 },
    { "f1", 0x3a }, { "f2", 0x3b }, { "f3", 0x3c }, { "f4", 0x3d }, { "f5", 0x3e }, { "f6", 0x3f },
    { "f7", 0x40 }, { "f8", 0x41 }, { "f9", 0x42 }, { "f10", 0x43 }, { "f11", 0x44 }, { "f12", 0x45 },
    { "scroll_lock", 0x47 }, { "insert", 0x49 }, { "home", 0x4a }, { "pgup", 0x4b }, { "delete", 0x4c },
    { "end", 0x4d }, { "pgdn", 0x4e }, { "right", 0x4f }, { "left", 0x50 }, { "down", 0x51 }, { "up", 0x52 },
    { "num_lock", 0x53 }, { "kp_divide", 0x54 }, { "kp_multiply", 0x55 }, { "asterisk", 0x55 },
    { "kp_subtract", 0x56 }, { "kp_add", 0x57 }, { "kp_enter", 0x58 }, { "kp_1", 0x59 }, { "kp_2", 0x5a },
    { "kp_3", 0x5b }, { "kp_4", 0x5c }, { "kp_5", 0x5d }, { "kp_6", 0x5e }, { "kp_7", 0x5f }, { "kp_8", 0x60 },
    { "kp_9", 0x61 }, { "kp_0", 0x62 }, { "kp_decimal", 0x63 }, { "less", 0x64 }, { "menu", 0x65 },
    { "ctrl", 0xe0 }, { "shift", 0xe1 }, { "alt", 0xe2 }, { "meta_l", 0xe3 }, { "ctrl_r", 0xe4 },
    { "shift_r", 0xe5 }, { "alt_r", 0xe6 }, { "meta_r", 0xe7 },
};

/* One key name (len bytes of name) -> HID usage, or -1. */
static int qcode_lookup(const char *name, size_t len)
{
    if (len == 1 && name[0] >= 'a' && name[0] <= 'z')
        return 0x04 + (name[0] - 'a');
    if (len == 1 && name[0] >= '1' && name[0] <= '9')
        return 0x1e + (name[0] - '1');
    if (len == 1 && name[0] == '0')
        return 0x27;
    for (size_t i = 0; i < sizeof(qcode_usage) / sizeof(qcode_usage[0]); i++)
        if (strlen(qcode_usage[i].name) == len && !memcmp(qcode_usage[i].name, name, len))
            return qcode_usage[i].usage;
    return -1;
}

int keymap_sendkey_set2(const char *keys, uint8_t out[KEYMAP_SENDKEY_BYTES], char *err, size_t errlen)
{
    int usage[KEYMAP_SENDKEY_MAX], nkeys = 0;
    const char *p = keys;
    for (;;) {
        const char *dash = strchr(p, '-');
        size_t len = dash ? (size_t)(dash - p) : strlen(p);
        int u = qcode_lookup(p, len);
        if (u < 0) {
            snprintf(err, errlen, "unknown key '%.*s' in '%s' (QEMU's sendkey names: ret, spc, esc, "
                     "tab, f1, a, 1, ctrl, alt, shift, up, kp_5, ... joined by '-')", (int)len, p, keys);
            return -1;
        }
        if (nkeys == KEYMAP_SENDKEY_MAX) {
            snprintf(err, errlen, "too many keys in '%s' (at most %d)", keys, KEYMAP_SENDKEY_MAX);
            return -1;
        }
        usage[nkeys++] = u;
        if (!dash)
            break;
        p = dash + 1;
    }
    int n = 0;
    for (int i = 0; i < nkeys; i++)
        n += keymap_set2(usage[i], true, out + n);
    for (int i = nkeys - 1; i >= 0; i--)
        n += keymap_set2(usage[i], false, out + n);
    return n;
}
