/*
 * curses.h — -display curses: the VGA text screen in the terminal (ncurses), for work over ssh.
 * Like the SDL window it is term_run's frame hook (term.h): it reads the VGA state only, and the
 * keys typed become PS/2 scancodes through vm/input.c (US layout, frontends/keymap.h).
 * Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.  Outside text mode it shows the graphics mode's size.
 */
#ifndef SOFTVISOR_CURSES_H
#define SOFTVISOR_CURSES_H

#include <stddef.h>

#include "frontends/pace.h"
#include "vm/vm.h"

typedef struct CursesDisplay CursesDisplay;

/* Takes over the terminal on stdin/stdout; NULL with a one-line reason in err. */
CursesDisplay *curses_open(Vm *vm, char *err, size_t errlen);
/* TermFrameFn: one refresh; returns 1 on Ctrl-A x. */
int curses_frame(void *opaque, Vm *vm, Pace *pace);
/* Gives the terminal back; safe with NULL. */
void curses_close(CursesDisplay *d);

#endif
