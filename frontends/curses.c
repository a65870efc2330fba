/*
 * curses.c — the VGA text screen on the terminal (see curses.h).
 *
 * Colours: the attribute's low three bits of foreground and background become one of the 64
 * curses colour pairs (the VGA's default palette order is blue = 1, green = 2, red = 4; curses
 * numbers red = 1, blue = 4, so bits 0 and 2 swap); bright foregrounds are bold.  Code page 437
 * line-drawing characters become curses' line characters, blocks '#', other non-ASCII '?'.
 */
#include <ncurses.h>   /* not <curses.h>: that name is this directory's curses.h */
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"
#include "frontends/curses.h"
#include "frontends/keymap.h"

#define CURSES_ESCAPE 0x01    /* Ctrl-A */

struct CursesDisplay {
    bool escape;
    uint8_t chars[VGA_TEXT_MAX_COLS * VGA_TEXT_MAX_ROWS];
    uint8_t attrs[VGA_TEXT_MAX_COLS * VGA_TEXT_MAX_ROWS];
};

static short vga_to_curses_colour(unsigned c)
{
    return (short)((c & 2) | (c & 1) << 2 | (c & 4) >> 2);
}

CursesDisplay *curses_open(Vm *vm, char *err, size_t errlen)
{
    if (!vm->vga) {
        snprintf(err, errlen, "-display curses needs a display adapter (not -vga none)");
        return NULL;
    }
    CursesDisplay *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!newterm(NULL, stdout, stdin)) {
        snprintf(err, errlen, "cannot start curses on this terminal (check TERM, or use -display none)");
        free(d);
        return NULL;
    }
    raw();
    noecho();
    nodelay(stdscr, TRUE);
    keypad(stdscr, TRUE);
    if (has_colors()) {
        start_color();
        for (short fg = 0; fg < 8; fg++)
            for (short bg = 0; bg < 8; bg++)
                if (fg * 8 + bg)
                    init_pair((short)(fg * 8 + bg), vga_to_curses_colour((unsigned)fg), vga_to_curses_colour((unsigned)bg));
    }
    return d;
}

void curses_close(CursesDisplay *d)
{
    if (!d)
        return;
    endwin();
    free(d);
}

static chtype cp437_char(uint8_t c)
{
    if (c >= 0x20 && c < 0x7f)
        return c;
    if (c == 0 || c == 0xff)
        return ' ';
    if (c == 0xb3 || c == 0xba)
        return ACS_VLINE;
    if (c == 0xc4 || c == 0xcd)
        return ACS_HLINE;
    if (c == 0xda || c == 0xc9)
        return ACS_ULCORNER;
    if (c == 0xbf || c == 0xbb)
        return ACS_URCORNER;
    if (c == 0xc0 || c == 0xc8)
        return ACS_LLCORNER;
    if (c == 0xd9 || c == 0xbc)
        return ACS_LRCORNER;
    if (c >= 0xb0 && c <= 0xdf)
        return (c >= 0xb0 && c <= 0xb2) || c == 0xdb ? '#' : '+';
    return '?';
}

static void curses_draw(CursesDisplay *d, const Vm *vm)
{
    int cols, rows;
    erase();
    if (vga_text(vm->vga, &cols, &rows, d->chars, d->attrs, sizeof(d->chars)) < 0) {
        Image img = { 0 };
        if (vga_render(vm->vga, &img) == 0)
            mvprintw(0, 0, "[softvisor: %s %dx%d]", vga_mode(vm->vga) == VGA_MODE_BLANK ? "blank screen" : "graphics mode",
                     img.w, img.h);
        image_free(&img);
        curs_set(0);
        refresh();
        return;
    }
    for (int r = 0; r < rows && r < LINES; r++)
        for (int c = 0; c < cols && c < COLS; c++) {
            size_t i = (size_t)r * (size_t)cols + (size_t)c;
            if (i >= sizeof(d->chars))
                break;
            uint8_t a = d->attrs[i];
            chtype ch = cp437_char(d->chars[i]);
            if (has_colors())
                ch |= COLOR_PAIR((a & 7) * 8 + ((a >> 4) & 7));
            if (a & 8)
                ch |= A_BOLD;
            mvaddch(r, c, ch);
        }
    int cc, cr;
    vga_text_cursor(vm->vga, &cc, &cr);
    if (cc >= 0 && cr < LINES && cc < COLS) {
        move(cr, cc);
        curs_set(1);
    } else {
        curs_set(0);
    }
    refresh();
}

/* Curses function keys -> HID usages. */
static int curses_key_usage(int k)
{
    switch (k) {
    case KEY_UP: return 0x52;
    case KEY_DOWN: return 0x51;
    case KEY_LEFT: return 0x50;
    case KEY_RIGHT: return 0x4f;
    case KEY_HOME: return 0x4a;
    case KEY_END: return 0x4d;
    case KEY_PPAGE: return 0x4b;
    case KEY_NPAGE: return 0x4e;
    case KEY_IC: return 0x49;
    case KEY_DC: return 0x4c;
    case KEY_BACKSPACE: return 0x2a;
    case KEY_ENTER: return 0x28;
    default:
        if (k >= KEY_F(1) && k <= KEY_F(12))
            return 0x3a + (k - KEY_F(1));
        return -1;
    }
}

/* One key from the terminal -> set 2 bytes (press and release). */
static int curses_key_set2(int k, uint8_t out[32])
{
    int u = curses_key_usage(k);
    if (u >= 0) {
        int n = keymap_set2(u, true, out);
        return n + keymap_set2(u, false, out + n);
    }
    if (k >= 1 && k <= 26 && k != '\t' && k != '\n' && k != '\r' && k != '\b') {
        /* Ctrl-letter: Ctrl down, the letter, Ctrl up */
        int n = keymap_set2(0xe0, true, out);
        n += keymap_set2(0x04 + (k - 1), true, out + n);
        n += keymap_set2(0x04 + (k - 1), false, out + n);
        return n + keymap_set2(0xe0, false, out + n);
    }
    return k >= 0 && k < 0x80 ? keymap_ascii_set2(k, out) : 0;
}

int curses_frame(void *opaque, Vm *vm, Pace *pace)
{
    CursesDisplay *d = opaque;
    int k;
    bool caught_up = false;
    while ((k = getch()) != ERR) {
        if (d->escape) {
            d->escape = false;
            if (k == 'x')
                return 1;
            if (k != CURSES_ESCAPE)
                continue;
        } else if (k == CURSES_ESCAPE) {
            d->escape = true;
            continue;
        }
        uint8_t b[32];
        int n = curses_key_set2(k, b);
        if (n && !caught_up) {
            pace_catch_up(pace, vm);
            caught_up = true;
        }
        /* a key whose bytes do not all fit is dropped whole, never cut in half */
        if ((unsigned)n <= vm_key_room(vm))
            for (int i = 0; i < n; i++)
                vm_input_key(vm, b[i]);
    }
    curses_draw(d, vm);
    return 0;
}
