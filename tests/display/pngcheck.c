/*
 * pngcheck.c — reads a PNG (libpng) for the display tests.
 *   pngcheck FILE                    prints "WxH"
 *   pngcheck FILE X,Y=RRGGBB ...     exits 1 unless each pixel has that colour
 *   pngcheck FILE --vbe-pattern      exits 1 unless every pixel is R (x + y) & 255, G y & 255,
 *                                    B x & 255 (tests/guest/vga-vbe.asm's pattern)
 *   pngcheck FILE --lit N            exits 1 unless at least N pixels are not black
 *   pngcheck FILE --area X0,Y0,X1,Y1=RRGGBB PCT
 *                                    exits 1 unless at least PCT percent of the pixels in the
 *                                    rectangle [X0,X1) x [Y0,Y1) have that colour (a screen's
 *                                    layout: a dialog's background, a selection bar)
 *   pngcheck FILE --near REF PCT     exits 1 unless REF has FILE's size and at most PCT percent
 *                                    of the pixels differ (by more than 64 in a channel) from
 *                                    REF's: the same screen from another machine (QEMU)
 *   pngcheck FILE --text ROM STRING  reads the picture as a Linux framebuffer console that shows
 *                                    the 8x16 font of the VGA BIOS image ROM (fbtext.h), prints
 *                                    the text, and exits 1 unless one of its lines contains STRING
 *   pngcheck --psf ROM OUT.psf       writes that font as a PSF1 file for the guest's loadfont
 * The checks can be mixed and repeated; each failing one prints a line.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fbtext.h"

/* FILE as RGB bytes (malloc'd), its size in *w, *h; NULL after a message. */
static png_bytep load_rgb(const char *path, int *w, int *h)
{
    png_image im;
    memset(&im, 0, sizeof(im));
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) {
        fprintf(stderr, "pngcheck: %s: %s\n", path, im.message);
        return NULL;
    }
    im.format = PNG_FORMAT_RGB;
    png_bytep px = malloc(PNG_IMAGE_SIZE(im));
    if (!px || !png_image_finish_read(&im, NULL, px, 0, NULL)) {
        fprintf(stderr, "pngcheck: %s: %s\n", path, im.message);
        free(px);
        return NULL;
    }
    *w = (int)im.width;
    *h = (int)im.height;
    return px;
}

/* --area: the share of the rectangle's pixels that have colour rgb, at least pct percent. */
static int check_area(const png_byte *px, int w, int h, const char *rect, const char *pct_arg)
{
    int x0, y0, x1, y1;
    unsigned rgb;
    char *end;
    double pct = strtod(pct_arg, &end);
    if (sscanf(rect, "%d,%d,%d,%d=%x", &x0, &y0, &x1, &y1, &rgb) != 5 || *end || x0 < 0 || y0 < 0 ||
        x1 > w || y1 > h || x0 >= x1 || y0 >= y1) {
        fprintf(stderr, "pngcheck: bad --area '%s %s' for a %dx%d picture\n", rect, pct_arg, w, h);
        return -1;
    }
    long match = 0, all = (long)(x1 - x0) * (y1 - y0);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const png_byte *p = &px[((long)y * w + x) * 3];
            match += ((unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2]) == rgb;
        }
    double got = 100.0 * match / all;
    if (got < pct) {
        printf("area %s: %.1f%% of its pixels have that colour, not %.1f%%\n", rect, got, pct);
        return 1;
    }
    return 0;
}

/* --near: at most pct percent of the pixels differ from REF's by more than 64 in a channel. */
static int check_near(const png_byte *px, int w, int h, const char *ref, const char *pct_arg)
{
    char *end;
    double pct = strtod(pct_arg, &end);
    int rw, rh;
    if (*end) {
        fprintf(stderr, "pngcheck: bad --near percentage '%s'\n", pct_arg);
        return -1;
    }
    png_bytep rpx = load_rgb(ref, &rw, &rh);
    if (!rpx)
        return -1;
    int bad = 0;
    if (rw != w || rh != h) {
        printf("near %s: it is %dx%d, not %dx%d\n", ref, rw, rh, w, h);
        bad = 1;
    } else {
        long differ = 0;
        for (long k = 0; k < (long)w * h * 3; k += 3)
            differ += abs(px[k] - rpx[k]) > 64 || abs(px[k + 1] - rpx[k + 1]) > 64 || abs(px[k + 2] - rpx[k + 2]) > 64;
        double got = 100.0 * differ / ((double)w * h);
        printf("near %s: %.2f%% of the pixels differ\n", ref, got);
        bad = got > pct;
    }
    free(rpx);
    return bad;
}

/* The 8x16 font of the VGA BIOS image at path; 0, or -1 after saying why. */
static int load_font(const char *path, FbFont *font)
{
    if (fbtext_font_from_file(path, font) < 0) {
        fprintf(stderr, "pngcheck: no 8x16 font found in %s\n", path);
        return -1;
    }
    return 0;
}

static int write_psf(const char *rom_path, const char *out)
{
    FbFont font;
    uint8_t psf[FBTEXT_PSF_SIZE];
    if (load_font(rom_path, &font) < 0)
        return 2;
    fbtext_psf(&font, psf);
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(psf, 1, sizeof(psf), f) != sizeof(psf) || fclose(f) != 0) {
        fprintf(stderr, "pngcheck: cannot write %s\n", out);
        return 2;
    }
    return 0;
}

/* Reads the picture's console text; 0 when a line contains want, 1 when none does, 2 on errors. */
static int find_text(const png_byte *px, int w, int h, const char *rom_path, const char *want)
{
    FbFont font;
    if (load_font(rom_path, &font) < 0)
        return 2;
    size_t n = (size_t)w * (size_t)h, cap = n / 32 + 64;
    uint8_t *lit = malloc(n);
    char *text = malloc(cap);
    if (!lit || !text) {
        free(lit);
        free(text);
        return 2;
    }
    for (size_t k = 0; k < n; k++)
        lit[k] = px[3 * k] || px[3 * k + 1] || px[3 * k + 2];
    fbtext_read(&font, lit, w, h, text, cap);
    printf("%s", text);
    int rc = strstr(text, want) ? 0 : 1;
    if (rc)
        printf("text '%s' not on the screen\n", want);
    free(lit);
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pngcheck FILE [X,Y=RRGGBB | --vbe-pattern | --lit N | --area X0,Y0,X1,Y1=RRGGBB PCT | "
                "--near REF PCT | --text ROM STRING] ...\n"
                "       pngcheck --psf ROM OUT.psf\n");
        return 2;
    }
    if (!strcmp(argv[1], "--psf"))
        return argc == 4 ? write_psf(argv[2], argv[3]) : 2;
    int w, h, bad = 0;
    png_bytep px = load_rgb(argv[1], &w, &h);
    if (!px)
        return 2;
    printf("%dx%d\n", w, h);
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--vbe-pattern")) {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    const png_byte *p = &px[(y * w + x) * 3];
                    if (p[0] != ((x + y) & 255) || p[1] != (y & 255) || p[2] != (x & 255)) {
                        if (bad++ < 5)
                            printf("pixel %d,%d is %02x%02x%02x\n", x, y, p[0], p[1], p[2]);
                    }
                }
            continue;
        }
        if (!strcmp(argv[i], "--lit") && i + 1 < argc) {
            long want = strtol(argv[++i], NULL, 0), lit = 0;
            for (int k = 0; k < w * h; k++)
                lit += px[3 * k] || px[3 * k + 1] || px[3 * k + 2];
            printf("%ld pixels lit\n", lit);
            bad += lit < want;
            continue;
        }
        if ((!strcmp(argv[i], "--area") || !strcmp(argv[i], "--near")) && i + 2 < argc) {
            int r = argv[i][2] == 'a' ? check_area(px, w, h, argv[i + 1], argv[i + 2])
                                      : check_near(px, w, h, argv[i + 1], argv[i + 2]);
            if (r < 0)
                return 2;
            bad += r;
            i += 2;
            continue;
        }
        if (!strcmp(argv[i], "--text") && i + 2 < argc) {
            const char *rom_path = argv[++i], *want = argv[++i];
            if (find_text(px, w, h, rom_path, want) != 0)
                bad++;
            continue;
        }
        int x, y;
        unsigned rgb;
        if (sscanf(argv[i], "%d,%d=%x", &x, &y, &rgb) != 3 || x < 0 || y < 0 || x >= w || y >= h) {
            fprintf(stderr, "pngcheck: bad check '%s'\n", argv[i]);
            return 2;
        }
        const png_byte *p = &px[(y * w + x) * 3];
        unsigned got = (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
        if (got != rgb) {
            printf("pixel %d,%d is %06x, not %06x\n", x, y, got, rgb);
            bad++;
        }
    }
    free(px);
    return bad ? 1 : 0;
}
