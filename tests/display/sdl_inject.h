/*
 * sdl_inject.h — what the window tests do in place of a person at the window: SDL on a video
 * driver that needs no display, and key events pushed into SDL's queue as the window system
 * would deliver them.  The SDL frontend (frontends/sdl.c) then takes them like any others, and
 * they reach the guest through vm/input.c only.
 */
#ifndef SOFTVISOR_SDL_INJECT_H
#define SOFTVISOR_SDL_INJECT_H

#include <SDL.h>
#include <stdbool.h>

/* Selects SDL's offscreen video driver, or dummy when offscreen is missing (SDL_VIDEODRIVER). */
void sdl_inject_headless(void);
/* Pushes one key press or release (SDL scancodes are USB HID usages); 0, or -1 when SDL's
 * queue refuses it. */
int sdl_inject_key(SDL_Scancode sc, bool down);
/* Pushes the presses and releases that type text on a US keyboard, Shift held for shifted
 * characters; 0, or -1 for a character no key types or a full queue. */
int sdl_inject_text(const char *text);

#endif
