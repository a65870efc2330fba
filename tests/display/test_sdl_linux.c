/*
 * test_sdl_linux.c — keyboard through the SDL frontend into a Linux shell on the VGA console
 * (issue 12).  usage: test_sdl_linux KERNEL INITRD VGA_BIOS
 *
 * Debian's kernel boots with an initramfs (built by linux-sdl-keys.sh) that loads bochs-drm, so
 * fbcon runs on the 1280x800 framebuffer with the VGA BIOS's 8x16 font (loadfont), and starts a
 * busybox shell on tty1, the console shown on the screen; it says SHELL-READY on COM1 first.
 * The window (frontends/sdl.c, on SDL's offscreen video driver) is opened as -display sdl opens
 * it; the test then pushes the key events that type COMMAND into SDL's queue, as a window system
 * would, and lets sdl_frame turn them into scan codes (vm/input.c, the only way in) between
 * slices of the run.  Slices end at fixed instruction counts, so the run is the same every time.
 *
 * Asserted: the screen, rendered as the window shows it and read glyph by glyph (fbtext.h),
 * has the typed command echoed on the prompt line and a line that is exactly ANSWER, which the
 * typed text does not contain: the shell read the keys and ran the command.
 */
#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"
#include "fbtext.h"
#include "frontends/sdl.h"
#include "jit/jit.h"
#include "sdl_inject.h"

#define COMMAND "echo $((6*7))"
#define ANSWER "42"
#define SLICE 10000000ull              /* instructions between two looks at the guest */
#define BOOT_LIMIT 30000000000ull      /* the boot takes about 7 * 10^9 */
#define TYPE_LIMIT 5000000000ull       /* typing and answering, about 10^8 */

static int die(const char *what)
{
    fprintf(stderr, "test_sdl_linux: FAIL: %s\n", what);
    return 1;
}

/* The last n - 1 bytes of COM1's output so far, NUL-terminated. */
static const char *serial_tail(FILE *f, char *buf, size_t n)
{
    fflush(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f), want = (long)n - 1;
    fseek(f, size > want ? size - want : 0, SEEK_SET);
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = '\0';
    fseek(f, 0, SEEK_END);
    return buf;
}

/* The screen as the window shows it, read as fbcon's text. */
static void screen_text(Vm *vm, const FbFont *font, Image *img, char *out, size_t cap)
{
    out[0] = '\0';
    if (vga_render(vm->vga, img) < 0)
        return;
    size_t n = (size_t)img->w * (size_t)img->h;
    uint8_t *lit = malloc(n);
    if (!lit)
        return;
    for (size_t i = 0; i < n; i++)
        lit[i] = (img->px[i] & 0xffffff) != 0;
    fbtext_read(font, lit, img->w, img->h, out, cap);
    free(lit);
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

static bool has_line_ending(const char *text, const char *end)
{
    size_t n = strlen(end);
    for (const char *p = text; (p = strstr(p, end)) != NULL; p++)
        if (p[n] == '\n')
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_sdl_linux KERNEL INITRD VGA_BIOS\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);   /* in order with the failures on stderr */
    FbFont font;
    if (fbtext_font_from_file(argv[3], &font) < 0)
        return die("no 8x16 font in the VGA BIOS");
    FILE *com1 = tmpfile();
    if (!com1)
        return die("tmpfile");
    sdl_inject_headless();
    char err[256];
    VmConfig cfg = { .ram_size = 128ull << 20, .kernel = argv[1], .initrd = argv[2],
                     .append = "console=ttyS0 console=tty0 panic=-1", .no_reboot = true,
                     .serial = com1, .rtc_base = 1767225600 /* 2026-01-01, as main.c */,
                     .jit = true, .jit_threshold = JIT_DEFAULT_THRESHOLD, .vga_rom = argv[3] };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    if (!vm) {
        fprintf(stderr, "test_sdl_linux: vm_new: %s\n", err);
        return 1;
    }
    SdlDisplay *d = sdl_open(vm, "test_sdl_linux", err, sizeof(err));
    if (!d) {
        fprintf(stderr, "test_sdl_linux: sdl_open: %s\n", err);
        return 1;
    }
    Pace pace;
    pace_init(&pace, false, NULL, NULL);
    char log[4096], text[1 << 16];
    Image img = { 0 };
    int rc = 0;

    /* Boot to the shell, the window refreshed between slices as term_run would. */
    uint64_t ran = 0;
    while (!strstr(serial_tail(com1, log, sizeof(log)), "SHELL-READY")) {
        VmExit why = vm_run(vm, SLICE);
        ran += SLICE;
        if ((why != VM_EXIT_INSN_LIMIT && why != VM_EXIT_RUNNING) || ran >= BOOT_LIMIT) {
            fprintf(stderr, "%s\n", log);
            rc = die("the guest never said SHELL-READY on COM1");
            goto out;
        }
        sdl_frame(d, vm, &pace);
    }
    printf("shell ready after about %llu instructions\n", (unsigned long long)ran);

    /* Type the command into the window, Enter included. */
    if (sdl_inject_text(COMMAND "\n") < 0) {
        rc = die("SDL refused the key events");
        goto out;
    }
    for (ran = 0; ran < TYPE_LIMIT; ran += SLICE) {
        if (sdl_frame(d, vm, &pace) != 0) {
            rc = die("the window quit");
            goto out;
        }
        VmExit why = vm_run(vm, SLICE);
        if (why != VM_EXIT_INSN_LIMIT && why != VM_EXIT_RUNNING) {
            rc = die("the guest stopped while typing");
            goto out;
        }
        screen_text(vm, &font, &img, text, sizeof(text));
        if (has_line(text, ANSWER))
            break;
    }
    size_t len = strlen(text);
    while (len > 1 && text[len - 1] == '\n' && text[len - 2] == '\n')
        text[--len] = '\0';   /* the blank rows below the text */
    printf("--- screen (%dx%d) ---\n%s---\n", img.w, img.h, text);
    if (!has_line_ending(text, COMMAND))
        rc = die("the typed command is not echoed on the screen");
    if (!has_line(text, ANSWER))
        rc = die("no line '" ANSWER "' on the screen");
    if (!rc)
        printf("PASS: '" COMMAND "' typed into the window, '" ANSWER "' on the screen after %llu instructions\n",
               (unsigned long long)ran);
out:
    image_free(&img);
    sdl_close(d);
    vm_free(vm);
    fclose(com1);
    return rc;
}
