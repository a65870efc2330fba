/*
 * sdl.c — the SDL2 window (see sdl.h).
 *
 * Keyboard: SDL scancodes are USB HID usages, which frontends/keymap.c turns into scan code set 2
 * bytes.  The bytes enter through vm_input_key as the keyboard's matrix would send them; the i8042 translates them to set 1 when
 * its command byte says so.  Bytes the keyboard's buffer cannot take yet wait here, in order.
 * Ctrl-Alt-G toggles the grab (keyboard and relative mouse); a click into the window grabs too.
 * Mouse motion and buttons reach the guest only while grabbed, as in QEMU.
 * Closing the window presses the ACPI power button once; closing it again quits.
 */
#include <SDL.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"
#include "frontends/keymap.h"
#include "frontends/sdl.h"

#define SDL_KEYQ 256

struct SdlDisplay {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int tex_w, tex_h;
    Image img;
    char name[64];
    char title[256];
    bool grabbed;
    bool closed_once;         /* the power button was pressed by a close */
    uint8_t buttons;
    uint8_t keyq[SDL_KEYQ];   /* set-2 bytes waiting for room in the keyboard's buffer */
    unsigned keyq_head, keyq_len;
};

bool sdl_available(void)
{
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY"), *d = getenv("SDL_VIDEODRIVER");
    if (!(x && *x) && !(w && *w) && !(d && *d))
        return false;
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
        return false;
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    return true;
}

static void sdl_set_title(SdlDisplay *d, const Vm *vm)
{
    static const char *const mode_names[] = { "blank", "text", "16 colours", "256 colours", "VBE" };
    VgaMode m = vga_mode(vm->vga);
    char t[sizeof(d->title)];
    snprintf(t, sizeof(t), "softvisor: %s - %s %dx%d - %s%s", d->name, mode_names[m], d->img.w, d->img.h,
             d->closed_once ? "power button pressed (close again to quit)" : "running",
             d->grabbed ? " - Ctrl-Alt-G releases" : "");
    if (strcmp(t, d->title)) {
        memcpy(d->title, t, sizeof(t));
        SDL_SetWindowTitle(d->win, d->title);
    }
}

SdlDisplay *sdl_open(Vm *vm, const char *name, char *err, size_t errlen)
{
    if (!vm->vga) {
        snprintf(err, errlen, "-display sdl needs a display adapter (not -vga none)");
        return NULL;
    }
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        snprintf(err, errlen, "cannot open the SDL display: %s (try -display none)", SDL_GetError());
        return NULL;
    }
    SdlDisplay *d = calloc(1, sizeof(*d));
    if (!d) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->win = SDL_CreateWindow("softvisor", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 720, 400,
                              SDL_WINDOW_RESIZABLE);
    d->ren = d->win ? SDL_CreateRenderer(d->win, -1, 0) : NULL;
    if (!d->ren) {
        snprintf(err, errlen, "cannot open the SDL window: %s (try -display none)", SDL_GetError());
        sdl_close(d);
        return NULL;
    }
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    return d;
}

void sdl_close(SdlDisplay *d)
{
    if (!d)
        return;
    if (d->tex)
        SDL_DestroyTexture(d->tex);
    if (d->ren)
        SDL_DestroyRenderer(d->ren);
    if (d->win)
        SDL_DestroyWindow(d->win);
    image_free(&d->img);
    free(d);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

static void sdl_present(SdlDisplay *d, const Vm *vm)
{
    if (vga_render(vm->vga, &d->img) < 0)
        return;
    if (!d->tex || d->tex_w != d->img.w || d->tex_h != d->img.h) {
        if (d->tex)
            SDL_DestroyTexture(d->tex);
        d->tex = SDL_CreateTexture(d->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, d->img.w,
                                   d->img.h);
        if (!d->tex)
            return;
        d->tex_w = d->img.w;
        d->tex_h = d->img.h;
        SDL_RenderSetLogicalSize(d->ren, d->img.w, d->img.h);
    }
    SDL_UpdateTexture(d->tex, NULL, d->img.px, d->img.w * (int)sizeof(uint32_t));
    SDL_SetRenderDrawColor(d->ren, 0, 0, 0, 255);
    SDL_RenderClear(d->ren);
    SDL_RenderCopy(d->ren, d->tex, NULL, NULL);
    SDL_RenderPresent(d->ren);
    sdl_set_title(d, vm);
}

static void sdl_grab(SdlDisplay *d, bool on)
{
    d->grabbed = on;
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    SDL_SetWindowGrab(d->win, on ? SDL_TRUE : SDL_FALSE);
}

static void sdl_queue_key(SdlDisplay *d, const uint8_t *b, int n)
{
    if (d->keyq_len + (unsigned)n > SDL_KEYQ)
        return;   /* a host typing faster than the guest reads for 256 bytes: drop whole keys */
    for (int i = 0; i < n; i++)
        d->keyq[(d->keyq_head + d->keyq_len++) % SDL_KEYQ] = b[i];
}

static bool sdl_is_grab_combo(const SDL_KeyboardEvent *k)
{
    return k->keysym.scancode == SDL_SCANCODE_G && (k->keysym.mod & KMOD_CTRL) && (k->keysym.mod & KMOD_ALT);
}

int sdl_frame(void *opaque, Vm *vm, Pace *pace)
{
    SdlDisplay *d = opaque;
    int quit = 0;
    bool input = false;
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT:
            if (d->closed_once) {
                quit = 1;
            } else {
                d->closed_once = true;
                pace_catch_up(pace, vm);
                vm_input_power_button(vm);
                input = true;
            }
            break;
        case SDL_KEYDOWN:
        case SDL_KEYUP: {
            if (sdl_is_grab_combo(&ev.key)) {
                if (ev.type == SDL_KEYDOWN && !ev.key.repeat)
                    sdl_grab(d, !d->grabbed);
                break;
            }
            uint8_t b[8];
            int n = keymap_set2(ev.key.keysym.scancode, ev.type == SDL_KEYDOWN, b);
            sdl_queue_key(d, b, n);
            break;
        }
        case SDL_MOUSEBUTTONDOWN:
        case SDL_MOUSEBUTTONUP: {
            if (!d->grabbed) {
                if (ev.type == SDL_MOUSEBUTTONDOWN && ev.button.button == SDL_BUTTON_LEFT)
                    sdl_grab(d, true);
                break;
            }
            uint8_t bit = ev.button.button == SDL_BUTTON_LEFT ? 1 : ev.button.button == SDL_BUTTON_RIGHT ? 2
                        : ev.button.button == SDL_BUTTON_MIDDLE ? 4 : 0;
            if (ev.type == SDL_MOUSEBUTTONDOWN)
                d->buttons |= bit;
            else
                d->buttons &= (uint8_t)~bit;
            pace_catch_up(pace, vm);
            vm_input_mouse(vm, 0, 0, 0, d->buttons);
            input = true;
            break;
        }
        case SDL_MOUSEMOTION:
            if (d->grabbed && (ev.motion.xrel || ev.motion.yrel)) {
                pace_catch_up(pace, vm);
                vm_input_mouse(vm, ev.motion.xrel, -ev.motion.yrel, 0, d->buttons);
                input = true;
            }
            break;
        case SDL_MOUSEWHEEL:
            if (d->grabbed && ev.wheel.y) {
                pace_catch_up(pace, vm);
                vm_input_mouse(vm, 0, 0, -ev.wheel.y, d->buttons);
                input = true;
            }
            break;
        default:
            break;
        }
    }
    if (d->keyq_len && vm_key_room(vm) && !input)
        pace_catch_up(pace, vm);
    while (d->keyq_len && vm_key_room(vm)) {
        vm_input_key(vm, d->keyq[d->keyq_head]);
        d->keyq_head = (d->keyq_head + 1) % SDL_KEYQ;
        d->keyq_len--;
    }
    sdl_present(d, vm);
    return quit;
}
