/*
 * fuzz_ide.c — hostile-guest robustness of the IDE controller (devices/ide.c, atapi.c,
 * blockdev.c): an input is a list of operations (task-file and control writes with a bias to
 * real commands and ATAPI packets, register reads, data-port bursts, bus-master register
 * writes, PRD entries written into a small guest RAM with addresses near and beyond its end,
 * PCI configuration writes moving BAR4, and the passing of virtual time).  Nothing may crash or
 * touch memory outside the controller's buffers, the images or the RAM: the test build compiles
 * them with AddressSanitizer and UBSan (tests/fuzz/meson.build).
 *
 *   fuzz_ide [--seeds N]    N seeded random inputs (default 200)
 * Built with clang and -fsanitize=fuzzer (FUZZ_IDE_LIBFUZZER), the same code is a libFuzzer
 * target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ide.h"
#include "fuzz_seed.h"

#define RAM_SIZE 0x10000

typedef struct Rig {
    IoBus io;
    PhysMem mem;
    Clock clock;
    uint64_t icount;
    PciState *pci;
    Ide *ide;
    uint8_t ram[RAM_SIZE];
    uint8_t disk[40 * 512];
    uint8_t cd[3 * 2048];
} Rig;

static void no_reset(void *opaque)
{
    (void)opaque;
}

static void no_irq(void *opaque, int line, int level)
{
    (void)opaque;
    (void)line;
    (void)level;
}

static const uint8_t commands[] = { 0xec, 0xa1, 0xa0, 0x20, 0x24, 0x30, 0x34, 0xc4, 0xc5, 0x29, 0x39, 0xc6,
                                    0xc8, 0x25, 0xca, 0x35, 0xe7, 0xea, 0xef, 0x91, 0x40, 0x42, 0x08, 0x90 };
static const uint8_t packets[] = { 0x00, 0x03, 0x12, 0x25, 0x28, 0xa8, 0x5a, 0x46, 0x43, 0x4a, 0x1b, 0x1e,
                                   0xbd, 0x51, 0xff, 0x28, 0x43 };

static uint32_t take(const uint8_t *d, size_t n, size_t *pos, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint32_t)(*pos < n ? d[(*pos)++] : 0) << (8 * i);
    return v;
}

static void fuzz_ide_run(const uint8_t *d, size_t n)
{
    Rig *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    io_init(&r->io);
    phys_init(&r->mem);
    mem_map_ram(&r->mem, 0, RAM_SIZE, r->ram);
    clock_init(&r->clock, &r->icount);
    r->pci = pci_new(&r->io, no_reset, NULL);
    r->ide = r->pci ? ide_new(&r->io, &r->mem, &r->clock, r->pci, PCI_DEVFN(1, 1), (IrqLine){ no_irq, r, 14 },
                              (IrqLine){ no_irq, r, 15 }) : NULL;
    if (!r->ide) {
        free(r->pci);
        free(r);
        return;
    }
    ide_attach(r->ide, 0, 0, IDE_DISK, blockdev_new_mem(r->disk, sizeof r->disk, false));
    ide_attach(r->ide, 0, 1, IDE_CDROM, NULL);
    ide_attach(r->ide, 1, 1, IDE_CDROM, blockdev_new_mem(r->cd, sizeof r->cd, true));
    pci_reset(r->pci);
    ide_reset(r->ide);
    pci_config_write(r->pci, PCI_DEVFN(1, 1), 0x20, 4, 0xc001);
    pci_config_write(r->pci, PCI_DEVFN(1, 1), 0x04, 2, 0x0005);
    size_t pos = 0;
    while (pos < n) {
        uint8_t op = (uint8_t)take(d, n, &pos, 1);
        uint32_t a = take(d, n, &pos, 4), v = take(d, n, &pos, 4);
        int size = 1 << ((op >> 6) % 3);             /* 1, 2, 4 */
        uint16_t base = (a & 0x100) ? 0x170 : 0x1f0;
        switch (op & 7) {
        case 0:
            if (op & 8)
                io_out(&r->io, (uint16_t)(base + 7), 1, commands[v % sizeof commands]);
            else
                io_out(&r->io, (uint16_t)(base + 1 + a % 6), 1, v);
            break;
        case 1:
            io_in(&r->io, (uint16_t)(base + a % 8), size);
            io_in(&r->io, (uint16_t)(base + 0x206), 1);
            break;
        case 2:
            if (op & 8) {     /* a whole ATAPI packet: small fields, so that reads hit the disc */
                io_out(&r->io, (uint16_t)(base + 6), 1, (op & 0x10) ? 0xb0 : 0xa0);
                io_out(&r->io, (uint16_t)(base + 1), 1, (op >> 5) & 1);
                io_out(&r->io, (uint16_t)(base + 4), 1, a >> 24);
                io_out(&r->io, (uint16_t)(base + 5), 1, (a >> 16) & 0x0f);
                io_out(&r->io, (uint16_t)(base + 7), 1, 0xa0);
                r->icount += IDE_DELAY_NS;
                clock_run_due(&r->clock);
                uint8_t cdb[12] = { packets[v % sizeof packets], (uint8_t)(a & 3), (uint8_t)(a >> 9 & 1), 0,
                                    (uint8_t)(v >> 8), (uint8_t)(a >> 16 & 3), 0, 0,
                                    (uint8_t)((op & 0x40) ? v >> 16 : v >> 16 & 3), 0, 0, 0 };
                if (cdb[0] == 0x28 || cdb[0] == 0xa8) {   /* READ: LBA and count near the disc */
                    cdb[2] = cdb[4] = 0;
                    cdb[9] = cdb[0] == 0xa8 ? cdb[8] : 0;
                }
                for (int i = 0; i < 12; i += 2)
                    io_out(&r->io, base, 2, cdb[i] | cdb[i + 1] << 8);
            } else {
                io_out(&r->io, (uint16_t)(base + 0x206), 1, v & 0x86);
            }
            break;
        case 3:
            io_out(&r->io, (uint16_t)(0xc000 + (a & 15)), size, v);
            break;
        case 4:   /* a PRD entry: an address near the end of RAM or anywhere, any count */
            if (a % RAM_SIZE <= RAM_SIZE - 8) {
                uint32_t addr = (op & 8) ? RAM_SIZE - (v & 0xfff) : v;
                memcpy(r->ram + a % RAM_SIZE, &addr, 4);
                uint32_t ctl = (a >> 16) | ((op & 0x10) ? 0x80000000u : 0);
                memcpy(r->ram + a % RAM_SIZE + 4, &ctl, 4);
            }
            break;
        case 5:
            r->icount += v % (4 * IDE_DELAY_NS);
            clock_run_due(&r->clock);
            break;
        case 6:   /* a data burst, or (bit 3) an ATAPI packet's first byte */
            for (int i = 0; i < ((op & 0x10) ? 256 : 16); i++) {
                if (op & 0x20)
                    io_in(&r->io, base, size);
                else
                    io_out(&r->io, base, size, i == 0 && (op & 8) ? packets[v % sizeof packets] : v >> (i & 7));
            }
            break;
        default:
            pci_config_write(r->pci, PCI_DEVFN(1, 1), (int)(a & 0xfc), 4, (op & 8) ? 0xc001 + (v & 0xf0) : v);
            break;
        }
    }
    ide_free(r->ide);
    free(r->pci);
    free(r);
}

#ifdef FUZZ_IDE_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ide_run(data, size);
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
        fuzz_ide_run(buf, sizeof(buf));
    }
    printf("fuzz_ide: %u inputs, no fault\n", seeds);
    return 0;
}
#endif
