/*
 * test_vga.c — the std VGA (devices/vga.c, vga_render.c, vga_screendump.c) on its own port bus,
 * address space and PCI bus: one test group per register block, the memory modes, the Bochs
 * VBE registers, the PCI BARs, the renderer and the screendump files.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/vga.h"

typedef struct Rig {
    IoBus io;
    PhysMem mem;
    PciState *pci;
    Vga *vga;
} Rig;

static void no_reset(void *opaque)
{
    (void)opaque;
}

static Rig *rig_new(void)
{
    Rig *r = calloc(1, sizeof(*r));
    ck_assert_ptr_nonnull(r);
    io_init(&r->io);
    phys_init(&r->mem);
    r->pci = pci_new(&r->io, no_reset, NULL);
    ck_assert_ptr_nonnull(r->pci);
    static const uint8_t rom[3] = { 0x55, 0xaa, 0x01 };
    r->vga = vga_new(&r->io, &r->mem, r->pci, PCI_DEVFN(2, 0), VGA_VRAM_DEFAULT, rom, sizeof(rom));
    ck_assert_ptr_nonnull(r->vga);
    pci_reset(r->pci);
    return r;
}

static void rig_free(Rig *r)
{
    vga_free(r->vga);
    free(r->pci);
    free(r);
}

static void out8(Rig *r, uint16_t port, uint8_t v)
{
    io_out(&r->io, port, 1, v);
}

static uint8_t in8(Rig *r, uint16_t port)
{
    return (uint8_t)io_in(&r->io, port, 1);
}

static void idx_write(Rig *r, uint16_t port, uint8_t i, uint8_t v)
{
    out8(r, port, i);
    out8(r, port + 1, v);
}

static uint8_t idx_read(Rig *r, uint16_t port, uint8_t i)
{
    out8(r, port, i);
    return in8(r, port + 1);
}

static void vbe_write(Rig *r, uint16_t i, uint16_t v)
{
    io_out(&r->io, 0x1ce, 2, i);
    io_out(&r->io, 0x1cf, 2, v);
}

static uint16_t vbe_read(Rig *r, uint16_t i)
{
    io_out(&r->io, 0x1ce, 2, i);
    return (uint16_t)io_in(&r->io, 0x1cf, 2);
}

/* Programs 80x25 text mode (mode 3's register values) with palette 0-15 -> DAC 0-15. */
static void set_text_mode(Rig *r)
{
    static const uint8_t crtc[0x19] = { 0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e,
                                        0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff };
    out8(r, 0x3c2, 0x67);
    idx_write(r, 0x3c4, 1, 0x00);
    idx_write(r, 0x3c4, 2, 0x03);
    idx_write(r, 0x3c4, 3, 0x00);
    idx_write(r, 0x3c4, 4, 0x02);
    idx_write(r, 0x3d4, 0x11, 0x0e);
    for (int i = 0; i < 0x19; i++)
        idx_write(r, 0x3d4, (uint8_t)i, crtc[i]);
    idx_write(r, 0x3ce, 5, 0x10);
    idx_write(r, 0x3ce, 6, 0x0e);
    in8(r, 0x3da);
    for (int i = 0; i < 0x10; i++) {
        out8(r, 0x3c0, (uint8_t)i);
        out8(r, 0x3c0, (uint8_t)i);
    }
    out8(r, 0x3c0, 0x10);
    out8(r, 0x3c0, 0x0c);
    out8(r, 0x3c0, 0x12);
    out8(r, 0x3c0, 0x0f);
    out8(r, 0x3c0, 0x20);
}

/* ---- general registers and CRTC ---- */

START_TEST(vga_misc_mono_moves_crtc_ports)
{
    Rig *r = rig_new();
    out8(r, 0x3c2, 0x67);
    idx_write(r, 0x3d4, 0x0c, 0x12);
    ck_assert_int_eq(idx_read(r, 0x3d4, 0x0c), 0x12);
    ck_assert_int_eq(in8(r, 0x3b5), 0xff);          /* mono ports off with colour addressing */
    out8(r, 0x3c2, 0x66);
    ck_assert_int_eq(in8(r, 0x3cc), 0x66);
    ck_assert_int_eq(idx_read(r, 0x3b4, 0x0c), 0x12);
    ck_assert_int_eq(in8(r, 0x3d5), 0xff);
    rig_free(r);
}
END_TEST

START_TEST(vga_crtc_protect_blocks_cr0_7_but_line_compare_bit)
{
    Rig *r = rig_new();
    idx_write(r, 0x3d4, 0x01, 0x4f);
    idx_write(r, 0x3d4, 0x11, 0x80);
    idx_write(r, 0x3d4, 0x01, 0x27);
    idx_write(r, 0x3d4, 0x07, 0xff);
    idx_write(r, 0x3d4, 0x09, 0x41);                 /* CR9 is not protected */
    ck_assert_int_eq(idx_read(r, 0x3d4, 0x01), 0x4f);
    ck_assert_int_eq(idx_read(r, 0x3d4, 0x07), 0x10);
    ck_assert_int_eq(idx_read(r, 0x3d4, 0x09), 0x41);
    ck_assert_int_eq(idx_read(r, 0x3d4, 0x40), 0);   /* beyond CR18 */
    rig_free(r);
}
END_TEST

/* ---- attribute controller ---- */

START_TEST(vga_attr_flipflop_reset_by_status_read)
{
    Rig *r = rig_new();
    out8(r, 0x3c0, 0x03);
    in8(r, 0x3da);                                   /* back to index, mid-sequence */
    out8(r, 0x3c0, 0x04);
    out8(r, 0x3c0, 0x3f);
    out8(r, 0x3c0, 0x04);
    ck_assert_int_eq(in8(r, 0x3c1), 0x3f);
    ck_assert_int_eq(r->vga->ar[3], 0);
    out8(r, 0x3c0, 0xff);                            /* palette entries keep 6 bits */
    ck_assert_int_eq(r->vga->ar[4], 0x3f);
    rig_free(r);
}
END_TEST

/* ---- DAC ---- */

START_TEST(vga_dac_indexes_advance_after_blue)
{
    Rig *r = rig_new();
    out8(r, 0x3c8, 0xff);
    for (int i = 0; i < 6; i++)
        out8(r, 0x3c9, (uint8_t)(0x41 + i));         /* entry 255, then 0 (wraps); 6 bits kept */
    ck_assert_int_eq(in8(r, 0x3c8), 1);
    out8(r, 0x3c7, 0xff);
    ck_assert_int_eq(in8(r, 0x3c7), 3);
    ck_assert_int_eq(in8(r, 0x3c9), 0x01);
    ck_assert_int_eq(in8(r, 0x3c9), 0x02);
    ck_assert_int_eq(in8(r, 0x3c9), 0x03);
    ck_assert_int_eq(in8(r, 0x3c9), 0x04);
    rig_free(r);
}
END_TEST

/* ---- sequencer and graphics controller: memory modes ---- */

START_TEST(vga_map_mask_selects_planes_in_write_mode_0)
{
    Rig *r = rig_new();
    idx_write(r, 0x3c4, 4, 0x06);
    idx_write(r, 0x3ce, 6, 0x05);
    idx_write(r, 0x3ce, 8, 0xff);
    idx_write(r, 0x3c4, 2, 0x06);
    phys_mem_write(&r->mem, 0xa0010, 1, 0xa5);
    for (int p = 0; p < 4; p++) {
        idx_write(r, 0x3ce, 4, (uint8_t)p);
        ck_assert_int_eq(phys_mem_read(&r->mem, 0xa0010, 1), (p == 1 || p == 2) ? 0xa5 : 0);
    }
    rig_free(r);
}
END_TEST

START_TEST(vga_write_mode_1_copies_latches)
{
    Rig *r = rig_new();
    idx_write(r, 0x3c4, 4, 0x06);
    idx_write(r, 0x3ce, 6, 0x05);
    idx_write(r, 0x3ce, 8, 0xff);
    idx_write(r, 0x3c4, 2, 0x0f);
    phys_mem_write(&r->mem, 0xa0000, 1, 0x3c);
    phys_mem_read(&r->mem, 0xa0000, 1);              /* latches = 3C in every plane */
    idx_write(r, 0x3ce, 5, 0x01);
    phys_mem_write(&r->mem, 0xa0001, 1, 0x00);       /* the byte written does not matter */
    idx_write(r, 0x3ce, 5, 0x00);
    idx_write(r, 0x3ce, 4, 3);
    ck_assert_int_eq(phys_mem_read(&r->mem, 0xa0001, 1), 0x3c);
    rig_free(r);
}
END_TEST

START_TEST(vga_write_mode_3_masks_set_reset_with_rotated_data)
{
    Rig *r = rig_new();
    idx_write(r, 0x3c4, 4, 0x06);
    idx_write(r, 0x3ce, 6, 0x05);
    idx_write(r, 0x3c4, 2, 0x0f);
    idx_write(r, 0x3ce, 8, 0xff);
    idx_write(r, 0x3ce, 0, 0x05);                    /* set/reset colour: planes 0 and 2 */
    idx_write(r, 0x3ce, 3, 0x04);                    /* rotate right by 4 */
    idx_write(r, 0x3ce, 5, 0x03);
    phys_mem_read(&r->mem, 0xa0020, 1);              /* latches 0 */
    phys_mem_write(&r->mem, 0xa0020, 1, 0x0f);       /* rotated: F0 = the bits to set */
    idx_write(r, 0x3ce, 5, 0x00);
    idx_write(r, 0x3ce, 3, 0x00);
    idx_write(r, 0x3ce, 4, 0);
    ck_assert_int_eq(phys_mem_read(&r->mem, 0xa0020, 1), 0xf0);
    idx_write(r, 0x3ce, 4, 1);
    ck_assert_int_eq(phys_mem_read(&r->mem, 0xa0020, 1), 0x00);
    rig_free(r);
}
END_TEST

START_TEST(vga_chain4_maps_offset_to_plane_and_address)
{
    Rig *r = rig_new();
    idx_write(r, 0x3c4, 4, 0x0e);
    idx_write(r, 0x3ce, 6, 0x05);
    idx_write(r, 0x3c4, 2, 0x0f);
    phys_mem_write(&r->mem, 0xa0007, 1, 0x77);       /* plane 3, planar address 1 */
    ck_assert_int_eq(r->vga->vram[7], 0x77);
    ck_assert_int_eq(phys_mem_read(&r->mem, 0xa0007, 1), 0x77);
    idx_write(r, 0x3ce, 6, 0x0d);                    /* B8000 window: A0000 is now off */
    ck_assert_int_eq(phys_mem_read(&r->mem, 0xa0007, 1), 0xff);
    rig_free(r);
}
END_TEST

START_TEST(vga_odd_even_sends_odd_bytes_to_plane_1)
{
    Rig *r = rig_new();
    set_text_mode(r);
    phys_mem_write(&r->mem, 0xb8000 + 2 * 81, 2, 0x1f41);
    ck_assert_int_eq(r->vga->vram[81 * 4], 0x41);
    ck_assert_int_eq(r->vga->vram[81 * 4 + 1], 0x1f);
    ck_assert_int_eq(phys_mem_read(&r->mem, 0xb8000 + 2 * 81, 2), 0x1f41);
    rig_free(r);
}
END_TEST

/* ---- Bochs VBE ---- */

START_TEST(vbe_mode_too_big_for_vram_stays_disabled)
{
    Rig *r = rig_new();
    ck_assert_int_eq(vbe_read(r, VBE_ID), 0xb0c5);
    ck_assert_int_eq(vbe_read(r, VBE_VIDEO_MEMORY_64K), 256);
    vbe_write(r, VBE_XRES, 4096);
    vbe_write(r, VBE_YRES, 4096);
    vbe_write(r, VBE_BPP, 32);
    vbe_write(r, VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
    ck_assert_int_eq(vbe_read(r, VBE_ENABLE) & VBE_ENABLED, 0);
    vbe_write(r, VBE_BPP, 13);
    vbe_write(r, VBE_XRES, 64);
    vbe_write(r, VBE_YRES, 64);
    vbe_write(r, VBE_ENABLE, VBE_ENABLED);
    ck_assert_int_eq(vbe_read(r, VBE_ENABLE) & VBE_ENABLED, 0);
    vbe_write(r, VBE_ENABLE, VBE_GETCAPS);
    ck_assert_int_eq(vbe_read(r, VBE_XRES), VBE_MAX_XRES);
    ck_assert_int_eq(vbe_read(r, VBE_BPP), VBE_MAX_BPP);
    rig_free(r);
}
END_TEST

START_TEST(vbe_bank_beyond_vram_reads_all_ones)
{
    Rig *r = rig_new();
    vbe_write(r, VBE_XRES, 640);
    vbe_write(r, VBE_YRES, 480);
    vbe_write(r, VBE_BPP, 8);
    vbe_write(r, VBE_ENABLE, VBE_ENABLED);
    ck_assert_int_eq(vbe_read(r, VBE_VIRT_WIDTH), 640);
    vbe_write(r, VBE_BANK, 3);
    phys_mem_write(&r->mem, 0xa0004, 1, 0x5e);
    ck_assert_int_eq(r->vga->vram[3 * 0x10000 + 4], 0x5e);
    vbe_write(r, VBE_BANK, 0xffff);
    phys_mem_write(&r->mem, 0xa0004, 1, 0x5e);       /* dropped */
    ck_assert_int_eq(phys_mem_read(&r->mem, 0xa0004, 1), 0xff);
    vbe_write(r, VBE_Y_OFFSET, 0xffff);               /* start beyond VRAM: rendered black */
    Image img = { 0 };
    ck_assert_int_eq(vga_render(r->vga, &img), 0);
    ck_assert_int_eq(img.w, 640);
    image_free(&img);
    rig_free(r);
}
END_TEST

/* ---- PCI ---- */

START_TEST(vga_pci_bars_move_lfb_mmio_and_rom)
{
    Rig *r = rig_new();
    ck_assert_uint_eq(pci_config_read(r->pci, PCI_DEVFN(2, 0), 0, 4), 0x11111234);
    pci_config_write(r->pci, PCI_DEVFN(2, 0), 0x10, 4, 0xffffffff);
    ck_assert_uint_eq(pci_config_read(r->pci, PCI_DEVFN(2, 0), 0x10, 4), 0xff000008);   /* 16 MiB */
    pci_config_write(r->pci, PCI_DEVFN(2, 0), 0x10, 4, 0xe0000000);
    pci_config_write(r->pci, PCI_DEVFN(2, 0), 0x18, 4, 0xe1000000);
    pci_config_write(r->pci, PCI_DEVFN(2, 0), 0x30, 4, 0xe2000001);
    ck_assert_uint_eq(phys_mem_read(&r->mem, 0xe0000000, 4), 0xffffffff);   /* memory space off */
    pci_config_write(r->pci, PCI_DEVFN(2, 0), 0x04, 2, 0x0002);
    phys_mem_write(&r->mem, 0xe0000010, 4, 0xdeadbeef);
    ck_assert_uint_eq(r->vga->vram[0x10], 0xef);
    ck_assert_uint_eq(phys_mem_read(&r->mem, 0xe1000500, 2), 0xb0c5);
    ck_assert_uint_eq(phys_mem_read(&r->mem, 0xe1000604, 4), 0x1e1e1e1e);
    phys_mem_write(&r->mem, 0xe1000400 + 0x08, 2, 0x3f00);               /* 3C8 = 0, 3C9 = 3F */
    phys_mem_write(&r->mem, 0xe1000400 + 0x09, 1, 0);                    /* G, B */
    phys_mem_write(&r->mem, 0xe1000400 + 0x09, 1, 0);
    ck_assert_uint_eq(r->vga->dac[0] , 0x3f);
    ck_assert_uint_eq(phys_mem_read(&r->mem, 0xe2000000, 2), 0xaa55);
    pci_config_write(r->pci, PCI_DEVFN(2, 0), 0x10, 4, 0xe4000000);
    ck_assert_uint_eq(phys_mem_read(&r->mem, 0xe4000010, 4), 0xdeadbeef);
    rig_free(r);
}
END_TEST

/* The EDID at BAR2 0x000 (E-EDID 1.4 base block), which Linux's bochs-drm reads for its modes. */
START_TEST(vga_edid_at_bar2_is_valid_with_1280x800_preferred)
{
    Rig *r = rig_new();
    pci_config_write(r->pci, PCI_DEVFN(2, 0), 0x18, 4, 0xe1000000);
    pci_config_write(r->pci, PCI_DEVFN(2, 0), 0x04, 2, 0x0002);
    uint8_t e[VGA_EDID_SIZE];
    unsigned sum = 0;
    for (int i = 0; i < VGA_EDID_SIZE; i++)
        sum += e[i] = (uint8_t)phys_mem_read(&r->mem, 0xe1000000 + (uint64_t)i, 1);
    const uint8_t header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
    ck_assert_mem_eq(e, header, 8);
    ck_assert_uint_eq(sum & 0xff, 0);                         /* checksum */
    ck_assert_uint_eq(e[18], 1);                              /* version 1.4 */
    ck_assert_uint_eq(e[19], 4);
    ck_assert_uint_eq(e[126], 0);                             /* no extension blocks */
    const uint8_t *d = e + 54;                                /* the preferred timing */
    ck_assert_uint_eq(d[0] | d[1] << 8, 7100);                /* 71 MHz */
    ck_assert_uint_eq(d[2] | (d[4] >> 4) << 8, 1280);
    ck_assert_uint_eq(d[5] | (d[7] >> 4) << 8, 800);
    ck_assert_uint_eq(phys_mem_read(&r->mem, 0xe1000000, 4), 0xffffff00);   /* little endian */
    ck_assert_uint_eq(phys_mem_read(&r->mem, 0xe1000000 + VGA_EDID_SIZE, 4), 0);
    rig_free(r);
}
END_TEST

/* ---- rendering and screendumps ---- */

START_TEST(vga_render_text_cell_uses_font_and_attribute)
{
    Rig *r = rig_new();
    set_text_mode(r);
    r->vga->dac[1 * 3 + 2] = 0x2a;                   /* DAC 1: blue 2A */
    r->vga->dac[15 * 3] = r->vga->dac[15 * 3 + 1] = r->vga->dac[15 * 3 + 2] = 0x3f;
    r->vga->vram[2 * 4 + 2] = 0x81;                  /* glyph 0, row 2: dots 0 and 7 */
    phys_mem_write(&r->mem, 0xb8000, 2, 0x1f00);     /* char 0, white on blue */
    Image img = { 0 };
    ck_assert_int_eq(vga_render(r->vga, &img), 0);
    ck_assert_int_eq(img.w, 720);
    ck_assert_int_eq(img.h, 400);
    ck_assert_uint_eq(img.px[2 * 720 + 0], 0xffffff);
    ck_assert_uint_eq(img.px[2 * 720 + 1], 0x0000aa);
    ck_assert_uint_eq(img.px[2 * 720 + 7], 0xffffff);
    ck_assert_uint_eq(img.px[2 * 720 + 8], 0x0000aa);  /* dot 9: background (char 0 is no line char) */
    ck_assert_uint_eq(img.px[3 * 720 + 0], 0x0000aa);
    image_free(&img);
    rig_free(r);
}
END_TEST

START_TEST(vga_render_mode13_pixel_through_dac)
{
    Rig *r = rig_new();
    set_text_mode(r);
    idx_write(r, 0x3d4, 0x01, 0x4f);
    idx_write(r, 0x3d4, 0x09, 0x41);                 /* two scanlines a row: 200 lines */
    idx_write(r, 0x3ce, 5, 0x40);
    idx_write(r, 0x3ce, 6, 0x05);
    idx_write(r, 0x3c4, 4, 0x0e);
    idx_write(r, 0x3c4, 2, 0x0f);
    out8(r, 0x3c8, 0x80);
    out8(r, 0x3c9, 0x3f);
    out8(r, 0x3c9, 0x00);
    out8(r, 0x3c9, 0x15);
    phys_mem_write(&r->mem, 0xa0000 + 10 * 320 + 5, 1, 0x80);
    Image img = { 0 };
    ck_assert_int_eq(vga_render(r->vga, &img), 0);
    ck_assert_int_eq(img.w, 320);
    ck_assert_int_eq(img.h, 200);
    ck_assert_uint_eq(img.px[10 * 320 + 5], 0xff0055);
    ck_assert_uint_eq(img.px[10 * 320 + 6], 0);
    image_free(&img);
    rig_free(r);
}
END_TEST

START_TEST(vga_render_vbe_16bpp_widens_565)
{
    Rig *r = rig_new();
    vbe_write(r, VBE_XRES, 8);
    vbe_write(r, VBE_YRES, 2);
    vbe_write(r, VBE_BPP, 16);
    vbe_write(r, VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
    r->vga->vram[2 * 8 * 1 + 2] = 0x1f;              /* (1, 1): blue 1F */
    r->vga->vram[2 * 8 * 1 + 3] = 0xf8;              /* red 1F */
    Image img = { 0 };
    ck_assert_int_eq(vga_render(r->vga, &img), 0);
    ck_assert_uint_eq(img.px[8 + 1], 0xff00ff);
    image_free(&img);
    rig_free(r);
}
END_TEST

START_TEST(vga_screendump_text_and_bad_name)
{
    Rig *r = rig_new();
    set_text_mode(r);
    phys_mem_write(&r->mem, 0xb8000, 2, 0x0748);
    phys_mem_write(&r->mem, 0xb8002, 2, 0x0769);
    phys_mem_write(&r->mem, 0xb8000 + 160, 2, 0x07db);
    char dir[] = "/tmp/test_vga.XXXXXX", path[64], err[256], buf[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/s.txt", dir);
    ck_assert_int_eq(vga_screendump(r->vga, path, err, sizeof(err)), 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_int_eq(strncmp(buf, "Hi\n.\n\n", 6), 0);
    unlink(path);
    snprintf(path, sizeof(path), "%s/s.bmp", dir);
    ck_assert_int_eq(vga_screendump(r->vga, path, err, sizeof(err)), -1);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/none/s.png", dir);
    ck_assert_int_eq(vga_screendump(r->vga, path, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot"));
    rmdir(dir);
    rig_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vga");
    TCase *regs = tcase_create("registers");
    tcase_add_test(regs, vga_misc_mono_moves_crtc_ports);
    tcase_add_test(regs, vga_crtc_protect_blocks_cr0_7_but_line_compare_bit);
    tcase_add_test(regs, vga_attr_flipflop_reset_by_status_read);
    tcase_add_test(regs, vga_dac_indexes_advance_after_blue);
    suite_add_tcase(s, regs);
    TCase *memory = tcase_create("memory");
    tcase_add_test(memory, vga_map_mask_selects_planes_in_write_mode_0);
    tcase_add_test(memory, vga_write_mode_1_copies_latches);
    tcase_add_test(memory, vga_write_mode_3_masks_set_reset_with_rotated_data);
    tcase_add_test(memory, vga_chain4_maps_offset_to_plane_and_address);
    tcase_add_test(memory, vga_odd_even_sends_odd_bytes_to_plane_1);
    suite_add_tcase(s, memory);
    TCase *vbe = tcase_create("vbe-pci");
    tcase_add_test(vbe, vbe_mode_too_big_for_vram_stays_disabled);
    tcase_add_test(vbe, vbe_bank_beyond_vram_reads_all_ones);
    tcase_add_test(vbe, vga_pci_bars_move_lfb_mmio_and_rom);
    tcase_add_test(vbe, vga_edid_at_bar2_is_valid_with_1280x800_preferred);
    suite_add_tcase(s, vbe);
    TCase *render = tcase_create("render");
    tcase_add_test(render, vga_render_text_cell_uses_font_and_attribute);
    tcase_add_test(render, vga_render_mode13_pixel_through_dac);
    tcase_add_test(render, vga_render_vbe_16bpp_widens_565);
    tcase_add_test(render, vga_screendump_text_and_bad_name);
    suite_add_tcase(s, render);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
