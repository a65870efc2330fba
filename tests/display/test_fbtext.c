/*
 * test_fbtext.c — the screen reader of the Linux framebuffer tests (fbtext.c) on pictures drawn
 * here with the VGA BIOS's font: text drawn at the cell grid reads back exactly; the same text one
 * pixel off the grid, or with a pixel of a glyph missing, does not read as that text.
 * usage: test_fbtext VGA_BIOS (skipped, 77, when the file is not there)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fbtext.h"

enum { W = 160, H = 48 };   /* 20 x 3 cells */

/* Draws text at cell (col, row) shifted by dx pixels, as fbcon draws a glyph: lit where a bit is. */
static void draw(const FbFont *f, uint8_t *lit, int col, int row, int dx, const char *text)
{
    for (int i = 0; text[i]; i++)
        for (int r = 0; r < FBTEXT_CELL_H; r++)
            for (int x = 0; x < FBTEXT_CELL_W; x++) {
                int px = (col + i) * FBTEXT_CELL_W + x + dx, py = row * FBTEXT_CELL_H + r;
                if (px >= 0 && px < W && (f->glyph[(unsigned char)text[i]][r] >> (7 - x)) & 1)
                    lit[py * W + px] = 1;
            }
}

static FbFont *font_load(void)
{
    FbFont *f = malloc(sizeof(*f));
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fbtext_font_from_file(getenv("TEST_FBTEXT_ROM"), f), 0);
    return f;
}

START_TEST(fbtext_text_on_grid_reads_back_exactly)
{
    FbFont *f = font_load();
    uint8_t lit[W * H] = { 0 };
    char out[1024];
    draw(f, lit, 2, 1, 0, "echo $((6*7))");
    draw(f, lit, 0, 2, 0, "42");
    fbtext_read(f, lit, W, H, out, sizeof(out));
    ck_assert_str_eq(out, "\n  echo $((6*7))\n42\n");
    free(f);
}
END_TEST

START_TEST(fbtext_text_off_grid_or_damaged_reads_as_unknown)
{
    FbFont *f = font_load();
    uint8_t lit[W * H] = { 0 };
    char out[1024];
    draw(f, lit, 0, 0, 1, "TEXT");              /* one pixel to the right */
    draw(f, lit, 0, 1, 0, "TEXT");
    lit[(FBTEXT_CELL_H + 2) * W + 3] ^= 1;      /* one pixel of the first T's bar flipped */
    fbtext_read(f, lit, W, H, out, sizeof(out));
    ck_assert_ptr_null(strstr(out, "TEXT"));
    ck_assert_ptr_nonnull(strstr(out, "?EXT"));
    free(f);
}
END_TEST

START_TEST(fbtext_psf_header_and_glyphs)
{
    FbFont *f = font_load();
    uint8_t psf[FBTEXT_PSF_SIZE];
    fbtext_psf(f, psf);
    const uint8_t head[4] = { 0x36, 0x04, 0x00, 16 };
    ck_assert_mem_eq(psf, head, 4);
    ck_assert_mem_eq(psf + 4 + 'A' * 16, f->glyph['A'], 16);
    free(f);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_fbtext VGA_BIOS\n");
        return 2;
    }
    if (access(argv[1], R_OK) != 0) {
        printf("SKIP: no %s (package seabios)\n", argv[1]);
        return 77;
    }
    setenv("TEST_FBTEXT_ROM", argv[1], 1);
    Suite *s = suite_create("fbtext");
    TCase *tc = tcase_create("fbtext");
    tcase_add_test(tc, fbtext_text_on_grid_reads_back_exactly);
    tcase_add_test(tc, fbtext_text_off_grid_or_damaged_reads_as_unknown);
    tcase_add_test(tc, fbtext_psf_header_and_glyphs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
