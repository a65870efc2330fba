/*
 * fbtext.c — reads fbcon's text off a screenshot, glyph by glyph (see fbtext.h).
 */
#include "fbtext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int glyph_blank(const uint8_t *g)
{
    for (int r = 0; r < FBTEXT_CELL_H; r++)
        if (g[r])
            return 0;
    return 1;
}

static int glyph_full(const uint8_t *g)
{
    for (int r = 0; r < FBTEXT_CELL_H; r++)
        if (g[r] != 0xff)
            return 0;
    return 1;
}

int fbtext_font_from_rom(const uint8_t *rom, size_t len, FbFont *font)
{
    const size_t size = 256 * FBTEXT_CELL_H;
    size_t found = 0, at = 0;
    for (size_t o = 0; o + size <= len; o++) {
        const uint8_t *f = rom + o;
        if (glyph_blank(f) && glyph_blank(f + 0x20 * FBTEXT_CELL_H) &&
            glyph_full(f + 0xdb * FBTEXT_CELL_H) && !glyph_full(f + 0xda * FBTEXT_CELL_H) &&
            !glyph_full(f + 0xdc * FBTEXT_CELL_H)) {
            found++;
            at = o;
        }
    }
    if (found != 1)
        return -1;
    memcpy(font->glyph, rom + at, size);
    return 0;
}

int fbtext_font_from_file(const char *path, FbFont *font)
{
    const size_t cap = 1u << 20;
    uint8_t *rom = malloc(cap);
    FILE *f = fopen(path, "rb");
    int rc = -1;
    if (rom && f)
        rc = fbtext_font_from_rom(rom, fread(rom, 1, cap, f), font);
    if (f)
        fclose(f);
    free(rom);
    return rc;
}

void fbtext_psf(const FbFont *font, uint8_t out[FBTEXT_PSF_SIZE])
{
    out[0] = 0x36;
    out[1] = 0x04;
    out[2] = 0;              /* 256 glyphs, no Unicode table */
    out[3] = FBTEXT_CELL_H;  /* bytes per glyph */
    memcpy(out + 4, font->glyph, sizeof(font->glyph));
}

static char cell_char(const FbFont *font, const uint8_t *cell)
{
    if (glyph_blank(cell))
        return ' ';
    for (int ch = 0x21; ch < 0x7f; ch++)
        if (!memcmp(cell, font->glyph[ch], FBTEXT_CELL_H))
            return (char)ch;
    return '?';
}

size_t fbtext_read(const FbFont *font, const uint8_t *lit, int w, int h, char *out, size_t cap)
{
    size_t n = 0;
    int cols = w / FBTEXT_CELL_W, rows = h / FBTEXT_CELL_H;
    if (cap == 0)
        return 0;
    for (int row = 0; row < rows; row++) {
        if (n + (size_t)cols + 2 > cap)
            break;
        size_t line = n, end = n;
        for (int col = 0; col < cols; col++) {
            uint8_t cell[FBTEXT_CELL_H];
            for (int r = 0; r < FBTEXT_CELL_H; r++) {
                const uint8_t *p = &lit[(size_t)(row * FBTEXT_CELL_H + r) * (size_t)w +
                                        (size_t)(col * FBTEXT_CELL_W)];
                uint8_t bits = 0;
                for (int x = 0; x < FBTEXT_CELL_W; x++)
                    bits = (uint8_t)(bits << 1 | (p[x] != 0));
                cell[r] = bits;
            }
            out[line + (size_t)col] = cell_char(font, cell);
            if (out[line + (size_t)col] != ' ')
                end = line + (size_t)col + 1;
        }
        out[end] = '\n';
        n = end + 1;
    }
    out[n] = '\0';
    return n;
}
