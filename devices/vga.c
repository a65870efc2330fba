/*
 * vga.c — the VGA register set, planar memory and the Bochs VBE interface of QEMU's std VGA
 * (see vga.h).  Sources: IBM VGA Technical Reference (registers and memory modes); Bochs/QEMU
 * VBE "DISPI" interface (vbe_regs, ports 0x1CE/0x1CF); QEMU's docs/specs/standard-vga.txt (PCI
 * 1234:1111, BAR0 framebuffer, BAR2 MMIO page).
 *
 * Ports (colour addresses; with misc bit 0 = 0 the CRTC and status move to 0x3B4/0x3B5/0x3BA and
 * the 0x3Dx ones read as all ones, and the other way round):
 *   0x3C0 attribute index/data (flip-flop: index first; reading 0x3xA resets it to index),
 *   0x3C1 attribute data read, 0x3C2 misc output write / input status 0 read,
 *   0x3C4/0x3C5 sequencer, 0x3C6 PEL mask, 0x3C7 DAC read index (read: DAC state),
 *   0x3C8 DAC write index, 0x3C9 DAC data (R, G, B in turn; the index then advances),
 *   0x3CA feature control read, 0x3CC misc output read, 0x3CE/0x3CF graphics controller,
 *   0x3x4/0x3x5 CRTC, 0x3xA input status 1 read / feature control write.
 *   Registers: SR0-4; CR0-18 (CR11 bit 7 protects CR0-7, except CR7 bit 4, line compare bit 8);
 *   GR0-8; AR0-14.
 *
 * Memory window (GR6 bits 3-2): 0 A0000-BFFFF, 1 A0000-AFFFF, 2 B0000-B7FFF, 3 B8000-BFFFF;
 * accesses outside the selected window read all ones and are dropped.  Plane p of planar address
 * a is vram[a * 4 + p]:
 *   chain-4 (SR4 bit 3): CPU offset o is vram[o] (plane o & 3, planar address o >> 2);
 *   odd/even (writes: SR4 bit 2 = 0; reads: GR5 bit 4 = 1): plane (GR4 & 2 | o & 1) for reads,
 *     o & 1 (masked by SR2) for writes, at planar address o >> 1;
 *   otherwise planar address o, every access loads the latches;
 *   read mode 0 returns plane GR4, read mode 1 the colour-compare result (GR2, GR7);
 *   write modes 0-3 with rotate (GR3 0-2), set/reset (GR0, GR1), logical operation (GR3 4-3),
 *   bit mask (GR8) and the SR2 plane mask, as the VGA reference describes them.
 * With VBE enabled (and in any mode), the window at A0000 is 64 KiB of VRAM at BANK * 64 KiB.
 *
 * VBE: ID 0xB0C0-0xB0C5 (reads back what was written), XRES/YRES/BPP (GETCAPS set in ENABLE makes
 * them read the maxima), ENABLE (ENABLED, LFB_ENABLED, 8BIT_DAC, NOCLEARMEM), BANK (64 KiB units),
 * VIRT_WIDTH/HEIGHT, X/Y_OFFSET, VIDEO_MEMORY_64K.  Enabling a mode that does not fit in VRAM or
 * has an unknown depth leaves the display disabled.  Every offset the registers produce is
 * checked against VRAM where it is used (here and in the renderer).
 *
 * PCI (00:02.0 on the board): BAR0 prefetchable 32-bit memory, VRAM size; BAR2 4 KiB MMIO:
 *   0x000-0x3FF EDID blob (vga_edid.c: 128 bytes, then zeros), 0x400-0x41F ports 0x3C0-0x3DF,
 *   0x500-0x515 VBE registers (index << 1, 16-bit), 0x600 QEMU extension size (8), 0x604
 *   framebuffer byte order (0x1e1e1e1e = little endian); expansion ROM at 0x30 with the VGA BIOS.
 *   The windows follow the BARs and the command register's memory-space bit; an unassigned or
 *   disabled BAR is parked at VGA_PARK_BASE, beyond every physical address.
 *
 * XXX: the linear framebuffer is MMIO, not RAM pages: every access goes through vga_lfb_*; simple
 * and exact (the renderer reads vram directly), slower for guests that draw a lot.
 * XXX: no vertical-retrace timing: the retrace bits of input status 1 toggle on each read, which
 * keeps polling loops finite and deterministic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "devices/vga.h"
#include "mem/tlb.h"
#include "vm/state.h"

#define SR_MAP_MASK 2
#define SR_MEMORY_MODE 4
#define SR4_ODD_EVEN_OFF 0x04
#define SR4_CHAIN4 0x08
#define GR_SET_RESET 0
#define GR_ENABLE_SR 1
#define GR_COMPARE 2
#define GR_ROTATE 3
#define GR_READ_MAP 4
#define GR_MODE 5
#define GR_MISC 6
#define GR_DONT_CARE 7
#define GR_BIT_MASK 8
#define CR_PROTECT 0x11

/* Every plane's byte for each bit of a 4-bit plane mask. */
static uint32_t expand4(uint8_t m)
{
    uint32_t v = 0;
    for (int p = 0; p < 4; p++)
        if (m & (1u << p))
            v |= 0xffu << (8 * p);
    return v;
}

/* Every store into VRAM marks its pages for the state hash and the checkpoints (vm/state.c),
 * which then look only at what changed, as they do for RAM. */
static void vram_dirty(Vga *s, uint64_t off, uint64_t len)
{
    for (uint64_t p = off / PAGE_SIZE; p <= (off + len - 1) / PAGE_SIZE; p++)
        for (int c = 0; c < PHYS_DIRTY_CLIENTS; c++)
            s->vram_dirty[c][p >> 6] |= 1ull << (p & 63);
}

static void vram_dirty_all(Vga *s)
{
    for (int c = 0; c < PHYS_DIRTY_CLIENTS; c++)
        memset(s->vram_dirty[c], 0xff, (s->vram_size / PAGE_SIZE + 63) / 64 * 8);
}

static uint32_t planar_get(const Vga *s, uint32_t a)
{
    a &= VGA_PLANE_SIZE - 1;
    uint32_t v;
    memcpy(&v, &s->vram[a * 4], 4);
    return v;
}

static void planar_put(Vga *s, uint32_t a, uint32_t v, uint32_t mask)
{
    a &= VGA_PLANE_SIZE - 1;
    uint32_t old;
    memcpy(&old, &s->vram[a * 4], 4);
    old = (old & ~mask) | (v & mask);
    memcpy(&s->vram[a * 4], &old, 4);
    vram_dirty(s, a * 4, 4);
}

static bool vbe_on(const Vga *s)
{
    return (s->vbe[VBE_ENABLE] & VBE_ENABLED) != 0;
}

/* The legacy window: offset from 0xA0000 -> offset inside the selected window, or -1. */
static int64_t window_offset(const Vga *s, uint32_t off)
{
    if (off >= 0x20000)
        return -1;
    switch ((s->gr[GR_MISC] >> 2) & 3) {
    case 0: return off;
    case 1: return off < 0x10000 ? (int64_t)off : -1;
    case 2: return off >= 0x10000 && off < 0x18000 ? (int64_t)off - 0x10000 : -1;
    default: return off >= 0x18000 ? (int64_t)off - 0x18000 : -1;
    }
}

/* VBE banked access through A0000-AFFFF: the byte's VRAM offset, or -1. */
static int64_t vbe_bank_offset(const Vga *s, uint32_t off)
{
    if (off >= 0x10000)
        return -1;
    uint64_t o = (uint64_t)s->vbe[VBE_BANK] * 0x10000 + off;
    return o < s->vram_size ? (int64_t)o : -1;
}

uint8_t vga_mem_read(Vga *s, uint32_t off)
{
    if (vbe_on(s)) {
        int64_t o = vbe_bank_offset(s, off);
        return o < 0 ? 0xff : s->vram[o];
    }
    int64_t w = window_offset(s, off);
    if (w < 0)
        return 0xff;
    uint32_t a = (uint32_t)w;
    if (s->sr[SR_MEMORY_MODE] & SR4_CHAIN4)
        return s->vram[a & (4 * VGA_PLANE_SIZE - 1)];
    if (s->gr[GR_MODE] & 0x10) {
        int plane = (s->gr[GR_READ_MAP] & 2) | (a & 1);
        return s->vram[((a >> 1) & (VGA_PLANE_SIZE - 1)) * 4 + plane];
    }
    s->latch = planar_get(s, a);
    if (!(s->gr[GR_MODE] & 0x08))
        return (uint8_t)(s->latch >> (8 * (s->gr[GR_READ_MAP] & 3)));
    /* read mode 1: a bit is 1 where every plane not "don't care" matches the compare colour */
    uint32_t diff = (s->latch ^ expand4(s->gr[GR_COMPARE] & 0xf)) & expand4(s->gr[GR_DONT_CARE] & 0xf);
    uint8_t any = (uint8_t)(diff | diff >> 8 | diff >> 16 | diff >> 24);
    return (uint8_t)~any;
}

static uint8_t rotate_right(uint8_t v, int n)
{
    n &= 7;
    return n ? (uint8_t)((v >> n) | (v << (8 - n))) : v;
}

void vga_mem_write(Vga *s, uint32_t off, uint8_t val)
{
    if (vbe_on(s)) {
        int64_t o = vbe_bank_offset(s, off);
        if (o >= 0) {
            s->vram[o] = val;
            vram_dirty(s, (uint64_t)o, 1);
        }
        return;
    }
    int64_t w = window_offset(s, off);
    if (w < 0)
        return;
    uint32_t a = (uint32_t)w;
    uint8_t map_mask = s->sr[SR_MAP_MASK] & 0xf;
    if (s->sr[SR_MEMORY_MODE] & SR4_CHAIN4) {
        if (map_mask & (1u << (a & 3))) {
            s->vram[a & (4 * VGA_PLANE_SIZE - 1)] = val;
            vram_dirty(s, a & (4 * VGA_PLANE_SIZE - 1), 1);
        }
        return;
    }
    if (!(s->sr[SR_MEMORY_MODE] & SR4_ODD_EVEN_OFF)) {
        int plane = a & 1;
        if (map_mask & (1u << plane)) {
            uint32_t o = ((a >> 1) & (VGA_PLANE_SIZE - 1)) * 4 + (uint32_t)plane;
            s->vram[o] = val;
            vram_dirty(s, o, 1);
        }
        return;
    }
    uint8_t rot = s->gr[GR_ROTATE];
    uint8_t bit_mask = s->gr[GR_BIT_MASK];
    uint32_t v;
    switch (s->gr[GR_MODE] & 3) {
    case 0: {
        uint8_t r = rotate_right(val, rot);
        uint32_t esr = expand4(s->gr[GR_ENABLE_SR] & 0xf);
        v = (r * 0x01010101u & ~esr) | (expand4(s->gr[GR_SET_RESET] & 0xf) & esr);
        break;
    }
    case 1:   /* the latches as they are: no ALU, no bit mask */
        planar_put(s, a, s->latch, expand4(map_mask));
        return;
    case 2:
        v = expand4(val & 0xf);
        break;
    default:
        bit_mask &= rotate_right(val, rot);
        v = expand4(s->gr[GR_SET_RESET] & 0xf);
        break;
    }
    switch ((rot >> 3) & 3) {
    case 1: v &= s->latch; break;
    case 2: v |= s->latch; break;
    case 3: v ^= s->latch; break;
    default: break;
    }
    uint32_t bm = bit_mask * 0x01010101u;
    v = (v & bm) | (s->latch & ~bm);
    planar_put(s, a, v, expand4(map_mask));
}

/* ---- ports ---- */

static bool port_is_mono(uint16_t port)
{
    return port == 0x3b4 || port == 0x3b5 || port == 0x3ba;
}

static bool port_is_colour(uint16_t port)
{
    return port == 0x3d4 || port == 0x3d5 || port == 0x3da;
}

/* A CRTC/status port the current misc output does not decode. */
static bool port_inactive(const Vga *s, uint16_t port)
{
    bool colour = s->misc & 1;
    return (colour && port_is_mono(port)) || (!colour && port_is_colour(port));
}

uint8_t vga_ioport_read(Vga *s, uint16_t port)
{
    if (port_inactive(s, port))
        return 0xff;
    switch (port) {
    case 0x3c0:
        return s->ar_index;
    case 0x3c1: {
        uint8_t i = s->ar_index & 0x1f;
        return i < sizeof(s->ar) ? s->ar[i] : 0;
    }
    case 0x3c2:
        return 0;   /* input status 0: no switch sense, no pending retrace interrupt */
    case 0x3c4:
        return s->sr_index;
    case 0x3c5:
        return s->sr_index < sizeof(s->sr) ? s->sr[s->sr_index] : 0;
    case 0x3c6:
        return s->pel_mask;
    case 0x3c7:
        return s->dac_state;
    case 0x3c8:
        return s->dac_write_index;
    case 0x3c9: {
        uint8_t v = s->dac[s->dac_read_index * 3 + s->dac_sub];
        if (++s->dac_sub == 3) {
            s->dac_sub = 0;
            s->dac_read_index++;
        }
        return v;
    }
    case 0x3ca:
        return s->fcr;
    case 0x3cc:
        return s->misc;
    case 0x3ce:
        return s->gr_index;
    case 0x3cf:
        return s->gr_index < sizeof(s->gr) ? s->gr[s->gr_index] : 0;
    case 0x3b4: case 0x3d4:
        return s->cr_index;
    case 0x3b5: case 0x3d5:
        return s->cr_index < sizeof(s->cr) ? s->cr[s->cr_index] : 0;
    case 0x3ba: case 0x3da:
        s->ar_flip = false;
        s->st01 ^= 0x09;   /* display enable and vertical retrace (see the XXX above) */
        return s->st01;
    default:
        return 0xff;
    }
}

void vga_ioport_write(Vga *s, uint16_t port, uint8_t val)
{
    if (port_inactive(s, port))
        return;
    switch (port) {
    case 0x3c0:
        if (!s->ar_flip) {
            s->ar_index = val & 0x3f;
        } else {
            uint8_t i = s->ar_index & 0x1f;
            if (i < 0x10)
                s->ar[i] = val & 0x3f;
            else if (i < sizeof(s->ar))
                s->ar[i] = i == 0x14 ? val & 0x0f : val;
        }
        s->ar_flip = !s->ar_flip;
        break;
    case 0x3c2:
        s->misc = val;
        break;
    case 0x3c4:
        s->sr_index = val & 7;
        break;
    case 0x3c5:
        s->sr[s->sr_index & 7] = val;
        break;
    case 0x3c6:
        s->pel_mask = val;
        break;
    case 0x3c7:
        s->dac_read_index = val;
        s->dac_sub = 0;
        s->dac_state = 3;
        break;
    case 0x3c8:
        s->dac_write_index = val;
        s->dac_sub = 0;
        s->dac_state = 0;
        break;
    case 0x3c9:
        s->dac_cache[s->dac_sub] = (s->vbe[VBE_ENABLE] & VBE_8BIT_DAC) ? val : val & 0x3f;
        if (++s->dac_sub == 3) {
            memcpy(&s->dac[s->dac_write_index * 3], s->dac_cache, 3);
            s->dac_sub = 0;
            s->dac_write_index++;
        }
        break;
    case 0x3ce:
        s->gr_index = val & 0x0f;
        break;
    case 0x3cf:
        if (s->gr_index < sizeof(s->gr))
            s->gr[s->gr_index] = val;
        break;
    case 0x3b4: case 0x3d4:
        s->cr_index = val;
        break;
    case 0x3b5: case 0x3d5: {
        uint8_t i = s->cr_index;
        if (i >= sizeof(s->cr))
            break;
        if ((s->cr[CR_PROTECT] & 0x80) && i <= 7) {
            if (i == 7)   /* the line compare bit 8 stays writable */
                s->cr[7] = (uint8_t)((s->cr[7] & ~0x10) | (val & 0x10));
            break;
        }
        s->cr[i] = val;
        break;
    }
    case 0x3ba: case 0x3da:
        s->fcr = val & 0x10;
        break;
    default:
        break;
    }
}

/* ---- Bochs VBE ---- */

static unsigned vbe_bytes_per_pixel(unsigned bpp)
{
    return bpp == 15 ? 2 : (bpp + 7) / 8;
}

static bool vbe_bpp_valid(unsigned bpp)
{
    return bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

/* Recomputes line offset and start address from the registers (offsets checked on use). */
static void vbe_update_geometry(Vga *s)
{
    unsigned bpp = vbe_bytes_per_pixel(s->vbe[VBE_BPP]);
    s->vbe_line_offset = (uint32_t)s->vbe[VBE_VIRT_WIDTH] * bpp;
    uint64_t start = (uint64_t)s->vbe[VBE_Y_OFFSET] * s->vbe_line_offset + (uint64_t)s->vbe[VBE_X_OFFSET] * bpp;
    s->vbe_start = start < s->vram_size ? (uint32_t)start : 0;
}

uint16_t vga_vbe_read(Vga *s, uint16_t index)
{
    if (index == VBE_VIDEO_MEMORY_64K)
        return (uint16_t)(s->vram_size >> 16);
    if (index >= VBE_NREGS)
        return 0;
    if (s->vbe[VBE_ENABLE] & VBE_GETCAPS) {
        switch (index) {
        case VBE_XRES: return VBE_MAX_XRES;
        case VBE_YRES: return VBE_MAX_YRES;
        case VBE_BPP: return VBE_MAX_BPP;
        default: break;
        }
    }
    return s->vbe[index];
}

static void vbe_enable(Vga *s, uint16_t val)
{
    unsigned xres = s->vbe[VBE_XRES], yres = s->vbe[VBE_YRES], bpp = s->vbe[VBE_BPP];
    uint64_t line = (uint64_t)xres * vbe_bytes_per_pixel(bpp);
    if (!vbe_bpp_valid(bpp) || xres == 0 || yres == 0 || xres > VBE_MAX_XRES || yres > VBE_MAX_YRES ||
        line * yres > s->vram_size) {
        s->vbe[VBE_ENABLE] = val & ~VBE_ENABLED;   /* a mode that cannot be shown stays off */
        return;
    }
    if (!(s->vbe[VBE_ENABLE] & VBE_ENABLED)) {
        s->vbe[VBE_VIRT_WIDTH] = (uint16_t)xres;
        uint64_t vh = s->vram_size / line;
        s->vbe[VBE_VIRT_HEIGHT] = (uint16_t)(vh > 0xffff ? 0xffff : vh);
        s->vbe[VBE_X_OFFSET] = s->vbe[VBE_Y_OFFSET] = 0;
        if (!(val & VBE_NOCLEARMEM)) {
            memset(s->vram, 0, (size_t)(line * yres));
            vram_dirty(s, 0, line * yres);
        }
        /* the VGA side looks like a graphics mode with chain-4, as QEMU's does */
        s->gr[GR_MISC] = (uint8_t)((s->gr[GR_MISC] & ~0x0c) | 0x05);
        s->sr[SR_MEMORY_MODE] |= SR4_CHAIN4;
    }
    s->vbe[VBE_ENABLE] = val;
    vbe_update_geometry(s);
}

void vga_vbe_write(Vga *s, uint16_t index, uint16_t val)
{
    switch (index) {
    case VBE_ID:
        if (val >= 0xb0c0 && val <= 0xb0c5)
            s->vbe[VBE_ID] = val;
        break;
    case VBE_XRES: case VBE_YRES: case VBE_BPP:
        if (!vbe_on(s))   /* geometry is fixed while a mode is on (QEMU ignores such writes) */
            s->vbe[index] = index == VBE_BPP && val == 0 ? 8 : val;
        break;
    case VBE_BANK:
        s->vbe[VBE_BANK] = val;   /* checked against VRAM on every access */
        break;
    case VBE_ENABLE:
        if (val & VBE_ENABLED)
            vbe_enable(s, val);
        else
            s->vbe[VBE_ENABLE] = val;
        break;
    case VBE_VIRT_WIDTH:
        if (val >= s->vbe[VBE_XRES] && val) {
            uint64_t line = (uint64_t)val * vbe_bytes_per_pixel(s->vbe[VBE_BPP]);
            uint64_t vh = line ? s->vram_size / line : 0;
            if (vh >= s->vbe[VBE_YRES]) {
                s->vbe[VBE_VIRT_WIDTH] = val;
                s->vbe[VBE_VIRT_HEIGHT] = (uint16_t)(vh > 0xffff ? 0xffff : vh);
            }
        }
        vbe_update_geometry(s);
        break;
    case VBE_X_OFFSET: case VBE_Y_OFFSET:
        s->vbe[index] = val;
        vbe_update_geometry(s);
        break;
    default:
        break;   /* VIRT_HEIGHT and VIDEO_MEMORY_64K are read-only */
    }
}

/* ---- bus glue ---- */

static uint32_t vga_port_read(void *opaque, uint16_t port, int size)
{
    (void)size;
    return vga_ioport_read(opaque, port);
}

static void vga_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    (void)size;
    vga_ioport_write(opaque, port, (uint8_t)val);
}

static const IoOps vga_port_ops = { vga_port_read, vga_port_write, 1 };

static uint32_t vbe_port_read(void *opaque, uint16_t port, int size)
{
    Vga *s = opaque;
    (void)size;
    return port == 0x1ce ? s->vbe_index : vga_vbe_read(s, s->vbe_index);
}

static void vbe_port_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    Vga *s = opaque;
    (void)size;
    if (port == 0x1ce)
        s->vbe_index = (uint16_t)val;
    else
        vga_vbe_write(s, s->vbe_index, (uint16_t)val);
}

static const IoOps vbe_port_ops = { vbe_port_read, vbe_port_write, 2 };

static uint64_t window_read(void *opaque, uint64_t off, int size)
{
    (void)size;
    return vga_mem_read(opaque, (uint32_t)off);
}

static void window_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    (void)size;
    vga_mem_write(opaque, (uint32_t)off, (uint8_t)val);
}

static const MemOps window_ops = { window_read, window_write, 1, 1 };

/* The opaques of the BAR regions are tags inside the Vga, so that mem_move_mmio can tell them
 * apart; these recover the Vga. */
static Vga *lfb_vga(void *tag)
{
    return (Vga *)((uint8_t *)tag - offsetof(Vga, lfb_tag));
}

static Vga *mmio_vga(void *tag)
{
    return (Vga *)((uint8_t *)tag - offsetof(Vga, mmio_tag));
}

static Vga *rom_vga(void *tag)
{
    return (Vga *)((uint8_t *)tag - offsetof(Vga, rom_tag));
}

static uint64_t lfb_read(void *opaque, uint64_t off, int size)
{
    Vga *s = lfb_vga(opaque);
    uint64_t v = 0;
    if (off + (uint64_t)size <= s->vram_size)
        memcpy(&v, &s->vram[off], (size_t)size);
    return v;
}

static void lfb_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    Vga *s = lfb_vga(opaque);
    if (off + (uint64_t)size <= s->vram_size) {
        memcpy(&s->vram[off], &val, (size_t)size);
        vram_dirty(s, off, (uint64_t)size);
    }
}

static const MemOps lfb_ops = { lfb_read, lfb_write, 1, 8 };

static uint64_t mmio_read(void *opaque, uint64_t off, int size)
{
    Vga *s = mmio_vga(opaque);
    if (off >= 0x400 && off < 0x420) {
        uint64_t v = 0;
        for (int i = 0; i < size && off + (uint64_t)i < 0x420; i++)
            v |= (uint64_t)vga_ioport_read(s, (uint16_t)(0x3c0 + off - 0x400 + (uint64_t)i)) << (8 * i);
        return v;
    }
    if (off >= 0x500 && off < 0x500 + 2 * (VBE_NREGS + 1) && size == 2)
        return vga_vbe_read(s, (uint16_t)((off - 0x500) / 2));
    if (off == 0x600 && size == 4)
        return 8;                     /* size of the QEMU extension registers */
    if (off == 0x604 && size == 4)
        return 0x1e1e1e1e;            /* framebuffer little endian */
    if (off < VGA_EDID_SIZE) {
        uint64_t v = 0;
        for (int i = 0; i < size && off + (uint64_t)i < VGA_EDID_SIZE; i++)
            v |= (uint64_t)s->edid[off + (uint64_t)i] << (8 * i);
        return v;
    }
    return 0;                         /* the rest of the EDID area and unused: zeros */
}

static void mmio_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    Vga *s = mmio_vga(opaque);
    if (off >= 0x400 && off < 0x420) {
        /* bytes in address order, so a word write sets an index and then its data */
        for (int i = 0; i < size && off + (uint64_t)i < 0x420; i++)
            vga_ioport_write(s, (uint16_t)(0x3c0 + off - 0x400 + (uint64_t)i), (uint8_t)(val >> (8 * i)));
    } else if (off >= 0x500 && off < 0x500 + 2 * VBE_NREGS && size == 2) {
        vga_vbe_write(s, (uint16_t)((off - 0x500) / 2), (uint16_t)val);
    }
}

static const MemOps mmio_ops = { mmio_read, mmio_write, 1, 4 };

static uint64_t rom_read(void *opaque, uint64_t off, int size)
{
    Vga *s = rom_vga(opaque);
    uint64_t v = 0;
    if (off + (uint64_t)size <= s->rom_size)
        memcpy(&v, &s->rom[off], (size_t)size);
    return v;
}

static void rom_write(void *opaque, uint64_t off, int size, uint64_t val)
{
    (void)opaque;
    (void)off;
    (void)size;
    (void)val;
}

static const MemOps rom_ops = { rom_read, rom_write, 1, 8 };

static uint32_t cfg_u32(const uint8_t *cfg, int reg)
{
    return (uint32_t)cfg[reg] | (uint32_t)cfg[reg + 1] << 8 | (uint32_t)cfg[reg + 2] << 16 |
           (uint32_t)cfg[reg + 3] << 24;
}

/* The base a memory BAR decodes at, or VGA_PARK_BASE when memory space is off or the BAR is 0. */
static uint64_t bar_base(const uint8_t *cfg, int reg, uint32_t mask)
{
    uint32_t v = cfg_u32(cfg, reg) & mask;
    return (cfg[0x04] & 0x02) && v ? v : VGA_PARK_BASE;
}

static void vga_pci_update(void *opaque, const uint8_t *cfg)
{
    Vga *s = opaque;
    uint64_t b0 = bar_base(cfg, 0x10, ~(s->vram_size - 1));
    uint64_t b2 = bar_base(cfg, 0x18, ~(VGA_MMIO_SIZE - 1));
    if (b0 != s->bar0 && mem_move_mmio(s->mem, &s->lfb_tag, b0) == 0)
        s->bar0 = b0;
    if (b2 != s->bar2 && mem_move_mmio(s->mem, &s->mmio_tag, b2) == 0)
        s->bar2 = b2;
    if (s->rom) {
        uint64_t r = (cfg[0x30] & 1) ? bar_base(cfg, 0x30, ~(s->rom_size - 1)) : VGA_PARK_BASE;
        if (r != s->rom_bar && mem_move_mmio(s->mem, &s->rom_tag, r) == 0)
            s->rom_bar = r;
    }
}

void vga_reset(Vga *s)
{
    /* VRAM reads as zeros after a reset.  The pages are dropped rather than cleared, so a VM that
     * never draws (a test, a fuzz case) never pays for touching 16 MiB. */
    if (madvise(s->vram, s->vram_size, MADV_DONTNEED) != 0)
        memset(s->vram, 0, s->vram_size);
    vram_dirty_all(s);
    s->misc = 0x01;   /* colour addresses, as the BIOS leaves them */
    s->fcr = s->st01 = 0;
    memset(s->sr, 0, sizeof(s->sr));
    memset(s->cr, 0, sizeof(s->cr));
    memset(s->gr, 0, sizeof(s->gr));
    memset(s->ar, 0, sizeof(s->ar));
    memset(s->dac, 0, sizeof(s->dac));
    s->sr_index = s->cr_index = s->gr_index = s->ar_index = 0;
    s->ar_flip = false;
    s->pel_mask = 0xff;
    s->dac_read_index = s->dac_write_index = s->dac_sub = s->dac_state = 0;
    s->latch = 0;
    s->vbe_index = 0;
    memset(s->vbe, 0, sizeof(s->vbe));
    s->vbe[VBE_ID] = 0xb0c5;
    s->vbe[VBE_BPP] = 8;
    s->vbe_line_offset = s->vbe_start = 0;
}

Vga *vga_new(IoBus *io, PhysMem *mem, PciState *pci, int devfn, uint32_t vram_size, const uint8_t *rom,
             size_t rom_len)
{
    if (vram_size < (1u << 20) || vram_size > (256u << 20) || (vram_size & (vram_size - 1)))
        return NULL;
    Vga *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->vram_size = vram_size;
    s->vram = mmap(NULL, vram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->vram == MAP_FAILED)
        s->vram = NULL;
    for (int c = 0; c < PHYS_DIRTY_CLIENTS; c++)
        s->vram_dirty[c] = calloc((vram_size / PAGE_SIZE + 63) / 64, 8);
    s->vram_hash = calloc(vram_size / PAGE_SIZE, sizeof(uint64_t));
    if (rom && rom_len && rom_len <= (16u << 20)) {
        s->rom_size = 4096;
        while (s->rom_size < rom_len)
            s->rom_size <<= 1;
        s->rom = calloc(1, s->rom_size);
        if (s->rom)
            memcpy(s->rom, rom, rom_len);
    }
    s->mem = mem;
    vga_edid_build(s->edid);
    s->bar0 = s->bar2 = s->rom_bar = VGA_PARK_BASE;
    if (!s->vram || !s->vram_dirty[0] || !s->vram_dirty[1] || !s->vram_hash || (rom && rom_len && !s->rom))
        goto fail;
    s->pci = pci_add_function(pci, devfn, 0x1234, 0x1111, 0x02, 0x030000, 0x00, vga_pci_update, s);
    if (!s->pci)
        goto fail;
    pci_func_init_reg(s->pci, 0x10, 4, 0x08, ~(vram_size - 1));        /* prefetchable, 32-bit */
    pci_func_init_reg(s->pci, 0x18, 4, 0x00, ~(VGA_MMIO_SIZE - 1));
    pci_func_init_reg(s->pci, 0x2c, 2, 0x1af4, 0);                     /* subsystem: QEMU's */
    pci_func_init_reg(s->pci, 0x2e, 2, 0x1100, 0);
    if (s->rom)
        pci_func_init_reg(s->pci, 0x30, 4, 0, ~(s->rom_size - 1) | 1);
    if (mem_map_mmio(mem, 0xa0000, 0x20000, &window_ops, s) < 0 ||
        mem_map_mmio(mem, VGA_PARK_BASE, vram_size, &lfb_ops, &s->lfb_tag) < 0 ||
        mem_map_mmio(mem, VGA_PARK_BASE, VGA_MMIO_SIZE, &mmio_ops, &s->mmio_tag) < 0 ||
        (s->rom && mem_map_mmio(mem, VGA_PARK_BASE, s->rom_size, &rom_ops, &s->rom_tag) < 0))
        goto fail;
    io_register(io, 0x3b4, 2, &vga_port_ops, s);
    io_register(io, 0x3ba, 1, &vga_port_ops, s);
    io_register(io, 0x3c0, 16, &vga_port_ops, s);
    io_register(io, 0x3d4, 2, &vga_port_ops, s);
    io_register(io, 0x3da, 1, &vga_port_ops, s);
    io_register(io, 0x1ce, 2, &vbe_port_ops, s);
    io_register(io, 0x1d0, 1, &vbe_port_ops, s);   /* QEMU's second data port */
    vga_reset(s);
    return s;
fail:
    vga_free(s);
    return NULL;
}

void vga_free(Vga *s)
{
    if (!s)
        return;
    if (s->vram)
        munmap(s->vram, s->vram_size);
    for (int c = 0; c < PHYS_DIRTY_CLIENTS; c++)
        free(s->vram_dirty[c]);
    free(s->vram_hash);
    free(s->rom);
    free(s);
}

/* ---- the state description (vm/state.h): every register, the latches and the VBE state.  VRAM
 * is saved, hashed and checkpointed page by page like RAM (vm_state_blocks); the BAR windows
 * follow the PCI configuration space (the pci section) ---- */

static const StateField vga_fields[] = {
    STATE_U(Vga, misc), STATE_U(Vga, fcr), STATE_U(Vga, st01), STATE_U(Vga, sr_index), STATE_A(Vga, sr),
    STATE_U(Vga, cr_index), STATE_A(Vga, cr), STATE_U(Vga, gr_index), STATE_A(Vga, gr), STATE_U(Vga, ar_index),
    STATE_B(Vga, ar_flip), STATE_A(Vga, ar), STATE_U(Vga, pel_mask), STATE_U(Vga, dac_read_index),
    STATE_U(Vga, dac_write_index), STATE_U(Vga, dac_sub), STATE_U(Vga, dac_state), STATE_A(Vga, dac_cache),
    STATE_A(Vga, dac), STATE_U(Vga, latch), STATE_U(Vga, vbe_index), STATE_A(Vga, vbe),
    STATE_U(Vga, vbe_line_offset), STATE_U(Vga, vbe_start),
};
static const StateField vga_host_fields[] = {
    STATE_HOST(Vga, vram),          /* contents: a memory block of their own (vm/state.c) */
    STATE_HOST(Vga, vram_size),     /* configuration */
    STATE_HOST(Vga, vram_dirty), STATE_HOST(Vga, vram_hash),
    STATE_HOST(Vga, pci), STATE_HOST(Vga, mem),
    STATE_HOST(Vga, bar0), STATE_HOST(Vga, bar2), STATE_HOST(Vga, rom_bar),   /* derived: the BARs */
    STATE_HOST(Vga, rom), STATE_HOST(Vga, rom_size),
    STATE_HOST(Vga, edid),          /* constant: built by vga_new (vga_edid.c) */
    STATE_HOST(Vga, lfb_tag), STATE_HOST(Vga, mmio_tag), STATE_HOST(Vga, rom_tag),
};

static bool vga_post_load(void *obj, char *err, size_t errlen)
{
    Vga *s = obj;
    if (s->dac_sub > 2) {
        snprintf(err, errlen, "DAC colour component %u", s->dac_sub);
        return false;
    }
    if (s->vbe_start >= s->vram_size) {
        snprintf(err, errlen, "VBE start offset %u", s->vbe_start);
        return false;
    }
    /* the windows where the loaded BARs put them */
    vga_pci_update(s, s->pci->cfg);
    return true;
}

const StateDesc vga_state_desc = {
    "vga", 1, sizeof(Vga), vga_fields, STATE_COUNT(vga_fields), vga_host_fields, STATE_COUNT(vga_host_fields),
    vga_post_load,
};
