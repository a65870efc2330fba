/*
 * vga_render.c — the VGA's picture as an RGB image (see vga.h).  The renderer only reads the
 * state: the display loop calls it on host time, and nothing it does reaches the guest.
 *
 * What the CRTC and attribute controller mean here (IBM VGA Technical Reference):
 *   columns = CR1 + 1 character clocks; a character is 8 dots (SR1 bit 0 = 1) or 9 dots;
 *   scanlines = vertical display end + 1 (CR12, CR7 bits 1 and 6); each row of pixels repeats
 *   CR9 bits 4-0 + 1 times, twice more with CR9 bit 7 (double scan); text rows are CR9 4-0 + 1
 *   scanlines high; a line is CR13 * 2 planar addresses long; the screen starts at the start
 *   address (CR0C:CR0D) and restarts at address 0 after the line compare scanline (CR18, CR7
 *   bit 4, CR9 bit 6; graphics modes).
 *   Text (GR6 bit 0 = 0): plane 0 character, plane 1 attribute at one planar address per cell;
 *   glyphs in plane 2, 32 bytes a character, in the font map SR3 selects (map A when attribute
 *   bit 3 is set, map B otherwise; map n at (n & 3) * 16 KiB + (n >> 2) * 8 KiB); AR10 bit 2 copies
 *   dot 8 into dot 9 for 0xC0-0xDF; AR10 bit 3 makes attribute bit 7 blink instead of a bright
 *   background; cursor rows CR0A..CR0B at address CR0E:CR0F unless CR0A bit 5.
 *   Graphics: GR5 bit 6 = 1 is 256-colour (pixel x at planar address x / 4, plane x & 3, logical
 *   width = columns * 4); otherwise 16-colour planar (bit 7 - x % 8 of the four planes, masked by
 *   AR12, width = columns * 8).  The logical resolution is rendered: 320x200 stays 320x200.
 *   Colour: 4-bit indexes go through the palette AR0-AR15, with AR14 (and AR10 bit 7) supplying
 *   the upper DAC index bits; the DAC's 6-bit values are widened to 8 bits; PEL mask applies.
 *   The screen is black while AR index bit 5 (palette address source) is 0 or SR1 bit 5 is set.
 *   VBE: 8 bpp through the DAC, 15/16 bpp 5:5:5/5:6:5, 24 bpp B, G, R, 32 bpp B, G, R, x.
 * XXX: no blinking (blinking characters are shown on, the cursor always), so a screenshot
 * depends on the guest state only.
 * XXX: not modelled: the CGA-compatible 2-bit modes (GR5 bit 5: modes 4-6 are drawn as 16-colour
 * planar), the CRTC's CGA/Hercules address substitution (CR17 bits 0-1), horizontal pel panning
 * (AR13), line compare in text mode, VBE 4 bpp.
 */
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"

typedef struct Geometry {
    int cols;                 /* character clocks per line */
    int char_w;               /* 8 or 9 */
    int scanlines;            /* displayed scanlines */
    int cell_h;               /* CR9 4-0 + 1 */
    uint32_t start, stride;   /* planar addresses */
    int line_compare;
} Geometry;

static Geometry vga_geometry(const Vga *s)
{
    Geometry g;
    g.cols = s->cr[1] + 1;
    g.char_w = (s->sr[1] & 1) ? 8 : 9;
    g.scanlines = (s->cr[0x12] | (s->cr[7] & 0x02) << 7 | (s->cr[7] & 0x40) << 3) + 1;
    g.cell_h = (s->cr[9] & 0x1f) + 1;
    g.start = (uint32_t)s->cr[0x0c] << 8 | s->cr[0x0d];
    g.stride = (uint32_t)s->cr[0x13] * 2;
    g.line_compare = s->cr[0x18] | (s->cr[7] & 0x10) << 4 | (s->cr[9] & 0x40) << 3;
    return g;
}

VgaMode vga_mode(const Vga *s)
{
    if (s->vbe[VBE_ENABLE] & VBE_ENABLED)
        return VGA_MODE_VBE;
    if (!(s->ar_index & 0x20) || (s->sr[1] & 0x20))
        return VGA_MODE_BLANK;
    if (!(s->gr[6] & 1))
        return VGA_MODE_TEXT;
    return (s->gr[5] & 0x40) ? VGA_MODE_CHAIN4_256 : VGA_MODE_PLANAR4;
}

static uint8_t plane_byte(const Vga *s, uint32_t a, int plane)
{
    return s->vram[(a & (VGA_PLANE_SIZE - 1)) * 4 + (unsigned)plane];
}

static uint32_t dac_rgb(const Vga *s, uint8_t index)
{
    const uint8_t *c = &s->dac[(index & s->pel_mask) * 3];
    uint32_t rgb = 0;
    for (int i = 0; i < 3; i++) {
        uint32_t v = c[i];
        if (!(s->vbe[VBE_ENABLE] & VBE_8BIT_DAC))
            v = ((v & 0x3f) << 2) | ((v & 0x3f) >> 4);
        rgb = rgb << 8 | (v & 0xff);
    }
    return rgb;
}

/* A 4-bit colour through the attribute palette to a DAC index. */
static uint8_t palette_index(const Vga *s, unsigned c4)
{
    uint8_t p = s->ar[c4 & 0xf];
    uint8_t hi = (uint8_t)((s->ar[0x14] & 0x0c) << 4);
    if (s->ar[0x10] & 0x80)
        return (uint8_t)(hi | (s->ar[0x14] & 0x03) << 4 | (p & 0x0f));
    return (uint8_t)(hi | (p & 0x3f));
}

static int image_size(Image *img, int w, int h)
{
    if (w <= 0 || h <= 0)
        w = 640, h = 480;
    size_t n = (size_t)w * (size_t)h;
    if (n > img->cap) {
        uint32_t *p = realloc(img->px, n * sizeof(uint32_t));
        if (!p)
            return -1;
        img->px = p;
        img->cap = n;
    }
    img->w = w;
    img->h = h;
    return 0;
}

void image_free(Image *img)
{
    free(img->px);
    img->px = NULL;
    img->cap = 0;
    img->w = img->h = 0;
}

/* Logical lines of a graphics mode: scanlines divided by the row repeat and double scan. */
static int graphics_lines(const Geometry *g, int rep)
{
    return g->scanlines / rep;
}

static uint32_t graphics_line_addr(const Geometry *g, int y, int rep)
{
    int p = y * rep;
    if (g->line_compare < g->scanlines - 1 && p > g->line_compare)
        return (uint32_t)((p - g->line_compare - 1) / rep) * g->stride;
    return g->start + (uint32_t)y * g->stride;
}

static int render_graphics(const Vga *s, Image *img, bool c256)
{
    Geometry g = vga_geometry(s);
    int rep = g.cell_h * ((s->cr[9] & 0x80) ? 2 : 1);
    int w = g.cols * (c256 ? 4 : 8), h = graphics_lines(&g, rep);
    if (image_size(img, w, h) < 0)
        return -1;
    uint32_t pal[16];
    for (unsigned i = 0; i < 16; i++)
        pal[i] = dac_rgb(s, palette_index(s, i));
    uint8_t plane_enable = s->ar[0x12] & 0x0f;
    for (int y = 0; y < h; y++) {
        uint32_t a = graphics_line_addr(&g, y, rep);
        uint32_t *out = &img->px[(size_t)y * (size_t)w];
        for (int x = 0; x < w; x++) {
            if (c256) {
                out[x] = dac_rgb(s, plane_byte(s, a + (uint32_t)x / 4, x & 3));
                continue;
            }
            uint32_t pa = a + (uint32_t)x / 8;
            int bit = 7 - (x & 7);
            unsigned c = 0;
            for (int p = 0; p < 4; p++)
                c |= ((plane_byte(s, pa, p) >> bit) & 1u) << p;
            out[x] = pal[c & plane_enable];
        }
    }
    return 0;
}

static uint32_t font_base(const Vga *s, bool map_a)
{
    uint8_t sr3 = s->sr[3];
    unsigned n = map_a ? ((sr3 >> 5) & 1) << 2 | ((sr3 >> 2) & 3) : ((sr3 >> 4) & 1) << 2 | (sr3 & 3);
    return (n & 3) * 0x4000 + (n >> 2) * 0x2000;
}

static int text_size(const Vga *s, const Geometry *g, int *cols, int *rows)
{
    *cols = g->cols;
    *rows = g->scanlines / g->cell_h;
    (void)s;
    return *rows > 0 ? 0 : -1;
}

static int render_text(const Vga *s, Image *img)
{
    Geometry g = vga_geometry(s);
    int cols, rows;
    text_size(s, &g, &cols, &rows);
    int w = cols * g.char_w, h = rows * g.cell_h;
    if (image_size(img, w, h) < 0)
        return -1;
    if (rows <= 0) {
        memset(img->px, 0, (size_t)img->w * (size_t)img->h * sizeof(uint32_t));
        return 0;
    }
    uint32_t pal[16];
    for (unsigned i = 0; i < 16; i++)
        pal[i] = dac_rgb(s, palette_index(s, i));
    uint32_t cursor = (uint32_t)s->cr[0x0e] << 8 | s->cr[0x0f];
    bool cursor_on = !(s->cr[0x0a] & 0x20);
    int cur_start = s->cr[0x0a] & 0x1f, cur_end = s->cr[0x0b] & 0x1f;
    bool blink = s->ar[0x10] & 0x08, line_gfx = s->ar[0x10] & 0x04;
    uint32_t fonts[2] = { font_base(s, false), font_base(s, true) };
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            uint32_t a = g.start + (uint32_t)r * g.stride + (uint32_t)c;
            uint8_t ch = plane_byte(s, a, 0), at = plane_byte(s, a, 1);
            unsigned fg = at & 0x0f, bg = at >> 4;
            if (blink)
                bg &= 7;
            uint32_t glyph = fonts[(at >> 3) & 1] + (uint32_t)ch * 32;
            bool is_cursor = cursor_on && (a & (VGA_PLANE_SIZE - 1)) == (cursor & (VGA_PLANE_SIZE - 1));
            for (int l = 0; l < g.cell_h; l++) {
                unsigned bits = l < 32 ? plane_byte(s, glyph + (uint32_t)l, 2) : 0;
                bits <<= 1;
                if (g.char_w == 9 && line_gfx && ch >= 0xc0 && ch <= 0xdf)
                    bits |= (bits >> 1) & 1;
                if (is_cursor && l >= cur_start && l <= cur_end)
                    bits = 0x3ff;
                uint32_t *out = &img->px[(size_t)(r * g.cell_h + l) * (size_t)w + (size_t)(c * g.char_w)];
                for (int x = 0; x < g.char_w; x++)
                    out[x] = pal[(bits >> (8 - x)) & 1 ? fg : bg];
            }
        }
    }
    return 0;
}

static int render_vbe(const Vga *s, Image *img)
{
    unsigned w = s->vbe[VBE_XRES], h = s->vbe[VBE_YRES], bpp = s->vbe[VBE_BPP];
    unsigned bytes = bpp == 15 ? 2 : (bpp + 7) / 8;
    if (image_size(img, (int)w, (int)h) < 0)
        return -1;
    for (unsigned y = 0; y < h; y++) {
        uint64_t off = s->vbe_start + (uint64_t)y * s->vbe_line_offset;
        uint32_t *out = &img->px[(size_t)y * w];
        if (off + (uint64_t)w * bytes > s->vram_size) {
            memset(out, 0, w * sizeof(uint32_t));
            continue;
        }
        const uint8_t *p = &s->vram[off];
        for (unsigned x = 0; x < w; x++, p += bytes) {
            uint32_t v, r, gr, b;
            switch (bpp) {
            case 8:
                out[x] = dac_rgb(s, p[0]);
                continue;
            case 15:
                v = (uint32_t)p[0] | (uint32_t)p[1] << 8;
                r = (v >> 10) & 0x1f, gr = (v >> 5) & 0x1f, b = v & 0x1f;
                out[x] = (r << 3 | r >> 2) << 16 | (gr << 3 | gr >> 2) << 8 | (b << 3 | b >> 2);
                continue;
            case 16:
                v = (uint32_t)p[0] | (uint32_t)p[1] << 8;
                r = (v >> 11) & 0x1f, gr = (v >> 5) & 0x3f, b = v & 0x1f;
                out[x] = (r << 3 | r >> 2) << 16 | (gr << 2 | gr >> 4) << 8 | (b << 3 | b >> 2);
                continue;
            default:   /* 24 and 32: B, G, R (, x) */
                out[x] = (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
                continue;
            }
        }
    }
    return 0;
}

int vga_render(const Vga *s, Image *img)
{
    switch (vga_mode(s)) {
    case VGA_MODE_VBE:
        return render_vbe(s, img);
    case VGA_MODE_TEXT:
        return render_text(s, img);
    case VGA_MODE_CHAIN4_256:
        return render_graphics(s, img, true);
    case VGA_MODE_PLANAR4:
        return render_graphics(s, img, false);
    default: {
        /* blanked: black, at the size the mode would have */
        Geometry g = vga_geometry(s);
        bool text = !(s->gr[6] & 1);
        int w = g.cols * (text ? g.char_w : 8), h = text ? g.scanlines : g.scanlines / g.cell_h;
        if (w < 64 || h < 64)
            w = 640, h = 480;   /* registers not programmed yet (power-on) */
        if (image_size(img, w, h) < 0)
            return -1;
        memset(img->px, 0, (size_t)img->w * (size_t)img->h * sizeof(uint32_t));
        return 0;
    }
    }
}

int vga_text(const Vga *s, int *cols, int *rows, uint8_t *chars, uint8_t *attrs, size_t cap)
{
    if (vga_mode(s) != VGA_MODE_TEXT)
        return -1;
    Geometry g = vga_geometry(s);
    if (text_size(s, &g, cols, rows) < 0)
        return -1;
    for (int r = 0; r < *rows; r++)
        for (int c = 0; c < *cols; c++) {
            size_t i = (size_t)r * (size_t)*cols + (size_t)c;
            if (i >= cap)
                return 0;
            uint32_t a = g.start + (uint32_t)r * g.stride + (uint32_t)c;
            if (chars)
                chars[i] = plane_byte(s, a, 0);
            if (attrs)
                attrs[i] = plane_byte(s, a, 1);
        }
    return 0;
}

void vga_text_cursor(const Vga *s, int *col, int *row)
{
    *col = *row = -1;
    if (vga_mode(s) != VGA_MODE_TEXT || (s->cr[0x0a] & 0x20))
        return;
    Geometry g = vga_geometry(s);
    uint32_t cursor = (uint32_t)s->cr[0x0e] << 8 | s->cr[0x0f];
    if (cursor < g.start || g.stride == 0)
        return;
    uint32_t d = cursor - g.start;
    int cols, rows;
    if (text_size(s, &g, &cols, &rows) < 0 || d / g.stride >= (uint32_t)rows || d % g.stride >= (uint32_t)cols)
        return;
    *row = (int)(d / g.stride);
    *col = (int)(d % g.stride);
}
