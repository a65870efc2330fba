/*
 * vga.h — QEMU's "std" VGA (PCI 1234:1111, class 0300): the IBM VGA register set and planar
 * memory, the Bochs VBE extension (ports 0x1CE/0x1CF) with its linear framebuffer in BAR0, QEMU's
 * MMIO BAR2 and the VGA BIOS as the expansion ROM.  devices/vga.c has the register tables.
 *
 * The renderer (devices/vga_render.c) turns the state into an RGB image on the host's time; it
 * only reads the state, so how often a frontend refreshes never changes what the guest computes.
 */
#ifndef SOFTVISOR_VGA_H
#define SOFTVISOR_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pci.h"
#include "mem/io.h"
#include "mem/phys.h"

#define VGA_VRAM_DEFAULT (16u << 20)   /* 16 MiB, as QEMU's -vga std */
#define VGA_PLANE_SIZE 0x10000u        /* 64 KiB per plane, 256 KiB of planar memory */
#define VGA_MMIO_SIZE 0x1000u          /* BAR2: QEMU's stdvga MMIO page */
#define VGA_PARK_BASE (1ull << 52)     /* where an unassigned BAR lives: beyond any physical address */
#define VGA_EDID_SIZE 128              /* the EDID base block at BAR2 0x000 */

/* Bochs VBE "DISPI" registers (index written to 0x1CE, value through 0x1CF). */
enum {
    VBE_ID, VBE_XRES, VBE_YRES, VBE_BPP, VBE_ENABLE, VBE_BANK, VBE_VIRT_WIDTH, VBE_VIRT_HEIGHT,
    VBE_X_OFFSET, VBE_Y_OFFSET, VBE_NREGS,
    VBE_VIDEO_MEMORY_64K = VBE_NREGS,  /* read-only */
};
#define VBE_ENABLED 0x01
#define VBE_GETCAPS 0x02
#define VBE_8BIT_DAC 0x20
#define VBE_LFB_ENABLED 0x40
#define VBE_NOCLEARMEM 0x80
#define VBE_MAX_XRES 16000
#define VBE_MAX_YRES 12000
#define VBE_MAX_BPP 32

typedef struct Vga {
    /* general registers */
    uint8_t misc;             /* miscellaneous output (write 0x3C2, read 0x3CC) */
    uint8_t fcr;              /* feature control (write 0x3xA, read 0x3CA) */
    uint8_t st01;             /* input status 1 (0x3xA): retrace bits toggle on every read */
    /* sequencer (0x3C4/0x3C5) */
    uint8_t sr_index, sr[8];
    /* CRT controller (0x3x4/0x3x5; x = D colour, B mono as misc bit 0 says) */
    uint8_t cr_index, cr[0x19];
    /* graphics controller (0x3CE/0x3CF) */
    uint8_t gr_index, gr[9];
    /* attribute controller (0x3C0 index/data through a flip-flop, 0x3C1 read) */
    uint8_t ar_index;         /* bits 0-4 index, bit 5 PAS (palette address source: 0 blanks) */
    bool ar_flip;             /* false: the next 0x3C0 write is an index; reset by reading st01 */
    uint8_t ar[0x15];
    /* DAC (0x3C6 PEL mask, 0x3C7 read index / DAC state, 0x3C8 write index, 0x3C9 data) */
    uint8_t pel_mask;
    uint8_t dac_read_index, dac_write_index, dac_sub;   /* dac_sub: 0-2, which of R, G, B */
    uint8_t dac_state;        /* 0x3C7 read: 0 after a write index, 3 after a read index */
    uint8_t dac_cache[3];     /* the colour being written, stored once B arrives */
    uint8_t dac[256 * 3];     /* 6-bit (or 8-bit with VBE_8BIT_DAC) R, G, B */
    uint32_t latch;           /* the four planes' bytes last read (write mode 1, ALU) */
    /* Bochs VBE */
    uint16_t vbe_index;
    uint16_t vbe[VBE_NREGS];
    uint32_t vbe_line_offset; /* bytes per line of the virtual screen */
    uint32_t vbe_start;       /* byte offset of the visible top-left pixel */
    /* memory: plane p of planar address a is vram[a * 4 + p] (so chain-4 and the linear
     * framebuffer see the same bytes as a flat array) */
    uint8_t *vram;
    uint32_t vram_size;
    uint64_t *vram_dirty[PHYS_DIRTY_CLIENTS];   /* bit n: VRAM page n written (as mem/phys.h's) */
    uint64_t *vram_hash;      /* vm_state_hash's cache: XXH3 of each VRAM page */
    /* PCI function and its windows */
    PciFunc *pci;
    PhysMem *mem;
    uint64_t bar0, bar2, rom_bar; /* current bases (VGA_PARK_BASE: unmapped) */
    uint8_t *rom;             /* VGA BIOS image padded to rom_size (power of two), or NULL */
    uint8_t edid[VGA_EDID_SIZE];   /* the monitor's EDID (vga_edid.c): constant, not state */
    uint32_t rom_size;
    uint8_t lfb_tag, mmio_tag, rom_tag;   /* distinct opaques for mem_move_mmio */
} Vga;

/* Creates the VGA on the ports and the legacy window 0xA0000-0xBFFFF, and as PCI function devfn
 * (BAR0 linear framebuffer, BAR2 MMIO, expansion ROM = rom/rom_len when rom is not NULL; the
 * image is copied).  vram_size: a power of two from 1 to 256 MiB.  NULL when out of memory or a
 * window cannot be mapped. */
Vga *vga_new(IoBus *io, PhysMem *mem, PciState *pci, int devfn, uint32_t vram_size, const uint8_t *rom,
             size_t rom_len);
void vga_reset(Vga *s);
void vga_free(Vga *s);
/* The monitor's EDID (devices/vga_edid.c): 1280x800 preferred, as QEMU's std VGA. */
void vga_edid_build(uint8_t edid[VGA_EDID_SIZE]);

/* Register and memory access, as the guest's port, legacy window and BAR cycles do them (for the
 * tests and the fuzzer; the buses call the same code). */
uint8_t vga_ioport_read(Vga *s, uint16_t port);
void vga_ioport_write(Vga *s, uint16_t port, uint8_t val);
uint8_t vga_mem_read(Vga *s, uint32_t off);           /* off: from 0xA0000 */
void vga_mem_write(Vga *s, uint32_t off, uint8_t val);
uint16_t vga_vbe_read(Vga *s, uint16_t index);
void vga_vbe_write(Vga *s, uint16_t index, uint16_t val);

/* ---- rendering (devices/vga_render.c) ---- */

/* An RGB picture: px[y * w + x] = 0x00RRGGBB. */
typedef struct Image {
    int w, h;
    uint32_t *px;
    size_t cap;               /* pixels allocated */
} Image;

#define VGA_TEXT_MAX_COLS 256
#define VGA_TEXT_MAX_ROWS 128

/* What the display shows, for titles and text frontends. */
typedef enum VgaMode { VGA_MODE_BLANK, VGA_MODE_TEXT, VGA_MODE_PLANAR4, VGA_MODE_CHAIN4_256, VGA_MODE_VBE } VgaMode;

VgaMode vga_mode(const Vga *s);
/* Renders the current screen into img (grown as needed).  Reads the state only.  Returns 0, or -1
 * when out of host memory (img unchanged). */
int vga_render(const Vga *s, Image *img);
void image_free(Image *img);
/* In text mode, the character cells: cols x rows, chars[r * cols + c] = code, attrs[...] = attribute
 * (both may be NULL).  Returns 0, or -1 when the screen is not in text mode. */
int vga_text(const Vga *s, int *cols, int *rows, uint8_t *chars, uint8_t *attrs, size_t cap);
/* Where the text cursor is (-1, -1 when hidden or not in text mode). */
void vga_text_cursor(const Vga *s, int *col, int *row);

/* ---- screenshots (devices/vga_screendump.c) ----
 * FILE.png: the rendered screen as 8-bit RGB PNG.  FILE.txt: in text mode, the characters, one
 * line per row with trailing blanks dropped, bytes 0x20-0x7E as ASCII, 0 as a blank and every
 * other byte as '.'; outside text mode the file holds "(graphics WxH)" or "(blank WxH)".  Written to a temporary
 * file and renamed, so a failure leaves nothing half-written.  0, or -1 with a reason in err. */
int vga_screendump(const Vga *s, const char *path, char *err, size_t errlen);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc vga_state_desc;

#endif
