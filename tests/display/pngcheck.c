/*
 * pngcheck.c — reads a PNG (libpng) for the display tests.
 *   pngcheck FILE                    prints "WxH"
 *   pngcheck FILE X,Y=RRGGBB ...     exits 1 unless each pixel has that colour
 *   pngcheck FILE --vbe-pattern      exits 1 unless every pixel is R (x + y) & 255, G y & 255,
 *                                    B x & 255 (tests/guest/vga-vbe.asm's pattern)
 *   pngcheck FILE --lit N            exits 1 unless at least N pixels are not black
 *   pngcheck FILE --text ROM STRING  reads the picture as a Linux framebuffer console that shows
 *                                    the 8x16 font of the VGA BIOS image ROM (fbtext.h), prints
 *                                    the text, and exits 1 unless one of its lines contains STRING
 *   pngcheck --psf ROM OUT.psf       writes that font as a PSF1 file for the guest's loadfont
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fbtext.h"

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
        fprintf(stderr, "usage: pngcheck FILE [X,Y=RRGGBB ... | --vbe-pattern | --lit N | --text ROM STRING]\n"
                        "       pngcheck --psf ROM OUT.psf\n");
        return 2;
    }
    if (!strcmp(argv[1], "--psf"))
        return argc == 4 ? write_psf(argv[2], argv[3]) : 2;
    png_image im;
    memset(&im, 0, sizeof(im));
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, argv[1])) {
        fprintf(stderr, "pngcheck: %s: %s\n", argv[1], im.message);
        return 2;
    }
    im.format = PNG_FORMAT_RGB;
    png_bytep px = malloc(PNG_IMAGE_SIZE(im));
    if (!px || !png_image_finish_read(&im, NULL, px, 0, NULL)) {
        fprintf(stderr, "pngcheck: %s: %s\n", argv[1], im.message);
        return 2;
    }
    int w = (int)im.width, h = (int)im.height, bad = 0;
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
