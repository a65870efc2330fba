/*
 * pngcheck.c — reads a PNG (libpng) for the display tests.
 *   pngcheck FILE                    prints "WxH"
 *   pngcheck FILE X,Y=RRGGBB ...     exits 1 unless each pixel has that colour
 *   pngcheck FILE --vbe-pattern      exits 1 unless every pixel is R (x + y) & 255, G y & 255,
 *                                    B x & 255 (tests/guest/vga-vbe.asm's pattern)
 *   pngcheck FILE --lit N            exits 1 unless at least N pixels are not black
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pngcheck FILE [X,Y=RRGGBB ... | --vbe-pattern]\n");
        return 2;
    }
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
