/*
 * sdl.h — the SDL2 window (-display sdl): the VGA screen scaled into a resizable window, the
 * keyboard as PS/2 scancodes, the mouse as PS/2 motion, the close button as the ACPI power button.
 *
 * It runs as term_run's frame hook (term.h) about 60 times a second of host time: it renders the
 * VGA (read-only, devices/vga.h), then turns the window's events into input events through
 * vm/input.c, so the guest sees them at an instruction count like any other input.
 */
#ifndef SOFTVISOR_SDL_H
#define SOFTVISOR_SDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontends/pace.h"
#include "vm/vm.h"

typedef struct SdlDisplay SdlDisplay;

/* True when a display server is named (DISPLAY or WAYLAND_DISPLAY, or SDL_VIDEODRIVER) and SDL's
 * video subsystem starts: the default -display is then sdl. */
bool sdl_available(void);
/* Opens the window for `vm` (which has a VGA); `name` goes into the title.  NULL with a one-line
 * reason in err. */
SdlDisplay *sdl_open(Vm *vm, const char *name, char *err, size_t errlen);
/* TermFrameFn: one refresh; returns 1 when the window was closed a second time (quit). */
int sdl_frame(void *opaque, Vm *vm, Pace *pace);
void sdl_close(SdlDisplay *d);

#endif
