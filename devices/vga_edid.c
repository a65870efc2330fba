/*
 * vga_edid.c — the EDID the std VGA offers at the start of its MMIO BAR (BAR2 0x000-0x07F), as
 * QEMU's does: Linux's bochs DRM driver reads it there and takes the monitor's preferred mode.
 *
 * VESA E-EDID 1.4, one 128-byte base block, no extensions:
 *   0-7    header 00 FF FF FF FF FF FF 00
 *   8-9    manufacturer ID, three letters 'A' = 1 in five bits each, big endian; 10-11 product
 *          code; 12-15 serial number (little endian); 16 week, 17 year - 1990 of manufacture
 *   18-19  version 1, revision 4
 *   20     video input: bit 7 digital, bits 6-4 colour depth (010 = 8 bits a primary)
 *   21-22  image size in cm; 23 gamma * 100 - 100; 24 features (bit 1: the preferred timing
 *          is the native format, required in 1.4)
 *   25-34  chromaticity: 10-bit x, y of red, green, blue, white (the two low bits of each packed
 *          in 25-26, the eight high bits in 27-34)
 *   35-37  established timings (35 bit 5: 640x480 at 60 Hz, bit 0: 800x600 at 60 Hz; 36 bit 3:
 *          1024x768 at 60 Hz); 38-53 eight standard timings, 01 01 = unused
 *   54-125 four 18-byte descriptors, the first the preferred detailed timing: pixel clock in
 *          10 kHz units; active and blanking widths and heights (low 8 bits, then the high 4 of
 *          both in one byte); sync offsets and widths; image size in mm; borders; flags (0x18:
 *          digital separate sync, bit 1 +hsync, bit 2 +vsync).  The others are display
 *          descriptors (00 00 00 tag 00, 13 data bytes): FD range limits, FC the monitor's name.
 *   126    extension count; 127 checksum: the block's bytes sum to 0 mod 256.
 * The preferred mode is 1280x800 at 60 Hz, QEMU's default, with the VESA reduced-blanking
 * timings of the DMT list (71 MHz; 1440 x 823 total; hsync at +48 for 32, vsync at +3 for 6).
 * XXX: QEMU's EDID lists more modes than this one (standard timings among them), so a guest there
 * can pick from more; here it has the preferred mode and the three established ones.
 */
#include <string.h>

#include "devices/vga.h"

static void edid_timing(uint8_t *d)
{
    const unsigned clock_10khz = 7100, hact = 1280, hblank = 160, vact = 800, vblank = 23;
    const unsigned hsync_off = 48, hsync_w = 32, vsync_off = 3, vsync_w = 6;
    const unsigned hmm = 339, vmm = 212;   /* image size: a 16" 16:10 panel */
    d[0] = clock_10khz & 0xff;
    d[1] = clock_10khz >> 8;
    d[2] = hact & 0xff;
    d[3] = hblank & 0xff;
    d[4] = (uint8_t)((hact >> 8) << 4 | hblank >> 8);
    d[5] = vact & 0xff;
    d[6] = vblank & 0xff;
    d[7] = (uint8_t)((vact >> 8) << 4 | vblank >> 8);
    d[8] = hsync_off & 0xff;
    d[9] = hsync_w & 0xff;
    d[10] = (uint8_t)((vsync_off & 0xf) << 4 | (vsync_w & 0xf));
    d[11] = (uint8_t)((hsync_off >> 8) << 6 | (hsync_w >> 8) << 4 | (vsync_off >> 4) << 2 | vsync_w >> 4);
    d[12] = hmm & 0xff;
    d[13] = vmm & 0xff;
    d[14] = (uint8_t)((hmm >> 8) << 4 | vmm >> 8);
    d[17] = 0x18 | 0x02;   /* reduced blanking: +hsync, -vsync */
}

static void edid_display_descriptor(uint8_t *d, uint8_t tag, const char *text)
{
    d[3] = tag;
    memset(d + 5, ' ', 13);
    size_t n = strlen(text);
    memcpy(d + 5, text, n);
    if (n < 13)
        d[5 + n] = '\n';
}

void vga_edid_build(uint8_t edid[VGA_EDID_SIZE])
{
    /* sRGB primaries and D65 white, as 10-bit fractions: red, green, blue, white (x, y) */
    static const uint16_t chroma[8] = { 655, 338, 307, 614, 154, 61, 320, 337 };
    memset(edid, 0, VGA_EDID_SIZE);
    memset(edid + 1, 0xff, 6);
    const char *maker = "SVR";
    unsigned id = (unsigned)(maker[0] - 'A' + 1) << 10 | (unsigned)(maker[1] - 'A' + 1) << 5 |
                  (unsigned)(maker[2] - 'A' + 1);
    edid[8] = (uint8_t)(id >> 8);
    edid[9] = id & 0xff;
    edid[10] = 0x34;        /* product 0x1234, as the PCI device */
    edid[11] = 0x12;
    edid[16] = 1;           /* week 1 of 2026 */
    edid[17] = 2026 - 1990;
    edid[18] = 1;
    edid[19] = 4;
    edid[20] = 0x80 | 0x20;
    edid[21] = 34;
    edid[22] = 21;
    edid[23] = 220 - 100;   /* gamma 2.2 */
    edid[24] = 0x02;
    for (int i = 0; i < 4; i++) {
        edid[25] |= (uint8_t)((chroma[i] & 3) << (6 - 2 * i));
        edid[26] |= (uint8_t)((chroma[4 + i] & 3) << (6 - 2 * i));
    }
    for (int i = 0; i < 8; i++)
        edid[27 + i] = (uint8_t)(chroma[i] >> 2);
    edid[35] = 0x20 | 0x01;
    edid[36] = 0x08;
    for (int i = 38; i < 54; i++)
        edid[i] = 0x01;
    edid_timing(edid + 54);
    uint8_t *range = edid + 72;
    edid_display_descriptor(range, 0xfd, "");
    range[5] = 50;          /* vertical 50-75 Hz */
    range[6] = 75;
    range[7] = 30;          /* horizontal 30-80 kHz */
    range[8] = 80;
    range[9] = 8;           /* pixel clock up to 80 MHz, in 10 MHz units */
    range[10] = 0x01;       /* range limits only: no timing formula */
    range[11] = '\n';
    edid_display_descriptor(edid + 90, 0xfc, "softvisor");
    edid_display_descriptor(edid + 108, 0x10, "");   /* dummy descriptor */
    memset(edid + 108 + 5, 0, 13);
    uint8_t sum = 0;
    for (int i = 0; i < VGA_EDID_SIZE - 1; i++)
        sum = (uint8_t)(sum + edid[i]);
    edid[VGA_EDID_SIZE - 1] = (uint8_t)(0x100 - sum);
}
