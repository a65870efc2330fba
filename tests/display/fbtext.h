/*
 * fbtext.h — reads the text of a Linux framebuffer console (fbcon) off a screenshot, for the
 * display tests that boot Linux on bochs-drm.
 *
 * fbcon draws 8x16 character cells from the top left corner, one foreground colour on the
 * background (black by default).  The tests load a known font into the console first (busybox
 * loadfont with a PSF1 file that fbtext_psf writes): the 8x16 font of Debian's VGA BIOS
 * (vgabios-stdvga.bin), so that no font is copied into this tree and every glyph on the screen
 * is known bit for bit.  Each cell of the picture is cut into a 16-byte bitmap (a bit set where
 * the pixel is not black) and must equal a glyph exactly: a cell that matches none (a garbled or
 * shifted picture, the cursor) reads as '?', a blank one as ' '.  (The kernel's built-in font is
 * the same IBM design redrawn 8 dots wide: T, V, M, 0 and others differ from the BIOS's glyphs by
 * a few bits, so its text cannot be read against the BIOS font exactly.)
 */
#ifndef SOFTVISOR_FBTEXT_H
#define SOFTVISOR_FBTEXT_H

#include <stddef.h>
#include <stdint.h>

#define FBTEXT_CELL_W 8
#define FBTEXT_CELL_H 16
#define FBTEXT_PSF_SIZE (4 + 256 * FBTEXT_CELL_H)

typedef struct FbFont {
    uint8_t glyph[256][FBTEXT_CELL_H];
} FbFont;

/* Finds the 8x16 font in a VGA BIOS image: 256 glyphs of 16 bytes where glyph 0 and the space
 * are blank and 0xDB (full block) is all ones while its neighbours 0xDA and 0xDC are not.  0 when
 * exactly one place in the image fits, -1 otherwise. */
int fbtext_font_from_rom(const uint8_t *rom, size_t len, FbFont *font);
/* The same for the VGA BIOS image in the file at path (at most 1 MiB is read). */
int fbtext_font_from_file(const char *path, FbFont *font);

/* The font as a PSF1 file (magic 36 04, mode 0: 256 glyphs and no Unicode table, 16 bytes a
 * glyph), FBTEXT_PSF_SIZE bytes, for busybox loadfont. */
void fbtext_psf(const FbFont *font, uint8_t out[FBTEXT_PSF_SIZE]);

/* Reads the w/8 x h/16 cells of a picture whose lit pixels are the non-zero bytes of lit[y * w +
 * x] into out: one line per cell row, '\n'-terminated, trailing blanks dropped.  Returns the
 * number of bytes written (out is always NUL-terminated; rows that do not fit are left out). */
size_t fbtext_read(const FbFont *font, const uint8_t *lit, int w, int h, char *out, size_t cap);

#endif
