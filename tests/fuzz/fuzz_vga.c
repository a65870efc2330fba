/*
 * fuzz_vga.c — hostile-guest robustness of the std VGA (devices/vga.c, vga_render.c): an input
 * is a list of operations (port writes and reads on every VGA and VBE port, legacy-window and
 * BAR accesses, PCI configuration writes that move the BARs), with a render and a text read
 * after each step.  Nothing may crash or touch memory outside the VGA's buffers: the test build
 * compiles the VGA and its buses with AddressSanitizer and UBSan (tests/fuzz/meson.build).
 *
 *   fuzz_vga [--seeds N]    N seeded random inputs (default 200)
 * Built with clang and -fsanitize=fuzzer (FUZZ_VGA_LIBFUZZER), the same code is a libFuzzer
 * target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"
#include "fuzz_seed.h"

typedef struct Rig {
    IoBus io;
    PhysMem mem;
    PciState *pci;
    Vga *vga;
    Image img;
} Rig;

static void no_reset(void *opaque)
{
    (void)opaque;
}

static const uint16_t ports[] = { 0x3b4, 0x3b5, 0x3ba, 0x3c0, 0x3c1, 0x3c2, 0x3c4, 0x3c5, 0x3c6, 0x3c7, 0x3c8,
                                  0x3c9, 0x3ca, 0x3cc, 0x3ce, 0x3cf, 0x3d4, 0x3d5, 0x3da, 0x1ce, 0x1cf, 0x1d0 };
static const uint64_t bases[] = { 0xa0000, 0xe0000000, 0xe1000000, 0xe2000000 };

static uint32_t take(const uint8_t *d, size_t n, size_t *pos, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint32_t)(*pos < n ? d[(*pos)++] : 0) << (8 * i);
    return v;
}

static void fuzz_vga_run(const uint8_t *d, size_t n)
{
    Rig *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    io_init(&r->io);
    phys_init(&r->mem);
    r->pci = pci_new(&r->io, no_reset, NULL);
    static const uint8_t rom[5] = { 0x55, 0xaa, 1, 2, 3 };
    r->vga = r->pci ? vga_new(&r->io, &r->mem, r->pci, PCI_DEVFN(2, 0), 1u << 20, rom, sizeof(rom)) : NULL;
    if (!r->vga) {
        free(r->pci);
        free(r);
        return;
    }
    pci_reset(r->pci);
    size_t pos = 0;
    while (pos < n) {
        uint8_t op = (uint8_t)take(d, n, &pos, 1);
        uint32_t a = take(d, n, &pos, 4), v = take(d, n, &pos, 4);
        int size = 1 << (op >> 6);      /* 1, 2, 4, 8 */
        switch (op & 7) {
        case 0: case 1:
            io_out(&r->io, ports[a % (sizeof(ports) / sizeof(ports[0]))], size > 4 ? 4 : size, v);
            break;
        case 2:
            io_in(&r->io, ports[a % (sizeof(ports) / sizeof(ports[0]))], size > 4 ? 4 : size);
            break;
        case 3:   /* VBE register, or (bit 3) a whole mode that fits, then an offset or bank */
            if (op & 8) {
                static const uint16_t bpps[5] = { 8, 15, 16, 24, 32 };
                vga_vbe_write(r->vga, VBE_ENABLE, 0);
                vga_vbe_write(r->vga, VBE_XRES, (uint16_t)((v & 0x1ff) + 1));
                vga_vbe_write(r->vga, VBE_YRES, (uint16_t)(((v >> 9) & 0xff) + 1));
                vga_vbe_write(r->vga, VBE_BPP, bpps[(v >> 17) % 5]);
                vga_vbe_write(r->vga, VBE_ENABLE, (uint16_t)(VBE_ENABLED | VBE_LFB_ENABLED | ((v >> 20) & 0xa0)));
            }
            vga_vbe_write(r->vga, (uint16_t)(a % 12), (uint16_t)(a >> 8));
            break;
        case 4:
            phys_mem_write(&r->mem, bases[(a >> 30) & 3] + (a & 0x1ffffff), size, v | (uint64_t)a << 32);
            break;
        case 5:
            phys_mem_read(&r->mem, bases[(a >> 30) & 3] + (a & 0x1ffffff), size);
            break;
        case 6:
            pci_config_write(r->pci, PCI_DEVFN(2, 0), (int)(a & 0xfc), 4,
                             (op & 8) ? (uint32_t)bases[1 + (v & 1) + ((v >> 1) & 1)] | 3 : v);
            break;
        default:
            vga_render(r->vga, &r->img);
            int cols, rows, cc, cr;
            uint8_t chars[64];
            vga_text(r->vga, &cols, &rows, chars, NULL, sizeof(chars));
            vga_text_cursor(r->vga, &cc, &cr);
            break;
        }
    }
    vga_render(r->vga, &r->img);
    image_free(&r->img);
    vga_free(r->vga);
    free(r->pci);
    free(r);
}

#ifdef FUZZ_VGA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_vga_run(data, size);
    return 0;
}
#else
int main(int argc, char **argv)
{
    unsigned seeds = 200;
    if (argc == 3 && !strcmp(argv[1], "--seeds"))
        seeds = (unsigned)strtoul(argv[2], NULL, 0);
    uint8_t buf[4096];
    for (unsigned s = 1; s <= seeds; s++) {
        fuzz_seed_fill(buf, sizeof(buf), s);
        /* bias: many VBE enables with sane modes and graphics renders */
        for (size_t i = 0; i + 9 < sizeof(buf); i += 9 * 8)
            if (buf[i] & 1)
                buf[i] = 3;
        fuzz_vga_run(buf, sizeof(buf));
    }
    printf("fuzz_vga: %u inputs, no fault\n", seeds);
    return 0;
}
#endif
