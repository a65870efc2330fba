/*
 * sdl_inject.c — headless SDL and key events pushed into its queue (see sdl_inject.h).
 */
#include "sdl_inject.h"

#include <stdlib.h>
#include <string.h>

#include "frontends/keymap.h"

void sdl_inject_headless(void)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) == 0) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return;
    }
    setenv("SDL_VIDEODRIVER", "dummy", 1);
}

int sdl_inject_key(SDL_Scancode sc, bool down)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = down ? SDL_KEYDOWN : SDL_KEYUP;
    ev.key.state = down ? SDL_PRESSED : SDL_RELEASED;
    ev.key.keysym.scancode = sc;
    ev.key.keysym.sym = SDL_GetKeyFromScancode(sc);
    return SDL_PushEvent(&ev) == 1 ? 0 : -1;
}

int sdl_inject_text(const char *text)
{
    for (const char *p = text; *p; p++) {
        int u = keymap_ascii_usage((unsigned char)*p);
        if (u < 0)
            return -1;
        SDL_Scancode key = (SDL_Scancode)(u & ~KEYMAP_SHIFT);
        bool shift = u & KEYMAP_SHIFT;
        if ((shift && sdl_inject_key(SDL_SCANCODE_LSHIFT, true) < 0) || sdl_inject_key(key, true) < 0 ||
            sdl_inject_key(key, false) < 0 || (shift && sdl_inject_key(SDL_SCANCODE_LSHIFT, false) < 0))
            return -1;
    }
    return 0;
}
