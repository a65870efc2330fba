/*
 * test_ide.c — the PIIX3 IDE controller's ATA and ATAPI state machines (devices/ide.c,
 * devices/atapi.c) on images in memory, driven through the register handlers as a driver
 * would, with guest RAM for the bus-master PRD tables.
 *
 * Facts checked (ATA/ATAPI-6, SFF-8038i, MMC-3): IDENTIFY DEVICE words 60-61/83/100-103,
 * PIO data-in and data-out with one INTRQ per block, out-of-range sectors -> ERR with IDNF and
 * no data, LBA48 addresses taken from the HOB halves, bus-master DMA through PRD tables and a
 * hostile table pointing outside RAM, soft reset signatures, nIEN masking INTRQ, ATAPI READ(10)
 * with a byte count limit, and NOT READY / MEDIUM NOT PRESENT sense on an empty drive; the
 * image backend: -snapshot writes kept in memory (file untouched), write-through, qcow2 refused.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/ide.h"

#define RAM_SIZE (1u << 20)
#define DISK_SECTORS 64
#define CD_SECTORS 8

typedef struct Rig {
    IoBus io;
    PhysMem mem;
    Clock clock;
    uint64_t icount;
    uint8_t *ram;
    uint8_t *disk;
    uint8_t *cd;
    Ide *ide;
    int irq_level[16];
    int irq_edges[16];
    uint64_t dma_lo, dma_hi;      /* span the DMA hook reported */
} Rig;

static void rig_dma_written(void *opaque, uint64_t paddr, uint32_t len)
{
    Rig *r = opaque;
    if (paddr < r->dma_lo)
        r->dma_lo = paddr;
    if (paddr + len > r->dma_hi)
        r->dma_hi = paddr + len;
}

static void rig_irq(void *opaque, int line, int level)
{
    Rig *r = opaque;
    if (level && !r->irq_level[line])
        r->irq_edges[line]++;
    r->irq_level[line] = level;
}

/* Primary master: a disk whose sector n is filled with byte n; secondary master: a CD-ROM
 * whose 2048-byte sector n is filled with 0xC0 + n, or an empty drive when !cd_medium. */
static Rig *rig_new(bool cd_medium)
{
    Rig *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    io_init(&r->io);
    phys_init(&r->mem);
    r->mem.a20_mask = ~0ull;                          /* A20 on, as the board starts */
    r->ram = calloc(1, RAM_SIZE);
    r->disk = malloc(DISK_SECTORS * IDE_SECTOR);
    r->cd = malloc(CD_SECTORS * CD_SECTOR);
    for (int i = 0; i < DISK_SECTORS; i++)
        memset(r->disk + i * IDE_SECTOR, i, IDE_SECTOR);
    for (int i = 0; i < CD_SECTORS; i++)
        memset(r->cd + i * CD_SECTOR, 0xc0 + i, CD_SECTOR);
    ck_assert_int_eq(mem_map_ram(&r->mem, 0, RAM_SIZE, r->ram), 0);
    clock_init(&r->clock, &r->icount);
    r->ide = ide_new(&r->io, &r->mem, &r->clock, NULL, 0, (IrqLine){ rig_irq, r, 14 }, (IrqLine){ rig_irq, r, 15 });
    ck_assert_ptr_nonnull(r->ide);
    r->ide->dma_written = rig_dma_written;
    r->ide->dma_opaque = r;
    r->dma_lo = UINT64_MAX;
    ck_assert_int_eq(ide_attach(r->ide, 0, 0, IDE_DISK, blockdev_new_mem(r->disk, DISK_SECTORS * IDE_SECTOR, false)), 0);
    ck_assert_int_eq(ide_attach(r->ide, 1, 0, IDE_CDROM,
                                cd_medium ? blockdev_new_mem(r->cd, CD_SECTORS * CD_SECTOR, true) : NULL), 0);
    ide_reset(r->ide);
    return r;
}

static void rig_free(Rig *r)
{
    ide_free(r->ide);
    free(r->ram);
    free(r->disk);
    free(r->cd);
    free(r);
}

static void out8(Rig *r, uint16_t port, uint8_t v) { io_out(&r->io, port, 1, v); }
static uint8_t in8(Rig *r, uint16_t port) { return (uint8_t)io_in(&r->io, port, 1); }
static uint16_t in16(Rig *r, uint16_t port) { return (uint16_t)io_in(&r->io, port, 2); }

/* Lets the device's protocol delay pass. */
static void settle(Rig *r)
{
    r->icount += IDE_DELAY_NS;
    clock_run_due(&r->clock);
}

static void lba28(Rig *r, uint32_t lba, uint8_t count)
{
    out8(r, 0x1f6, (uint8_t)(0xe0 | (lba >> 24)));
    out8(r, 0x1f2, count);
    out8(r, 0x1f3, (uint8_t)lba);
    out8(r, 0x1f4, (uint8_t)(lba >> 8));
    out8(r, 0x1f5, (uint8_t)(lba >> 16));
}

START_TEST(ide_identify_disk_reports_sizes_and_lba48)
{
    Rig *r = rig_new(true);
    out8(r, 0x1f6, 0xa0);
    out8(r, 0x1f7, 0xec);
    ck_assert_int_eq(in8(r, 0x3f6) & ATA_ST_BSY, ATA_ST_BSY);
    settle(r);
    ck_assert_int_eq(r->irq_edges[14], 1);
    ck_assert_int_eq(in8(r, 0x1f7), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ);
    ck_assert_int_eq(r->irq_level[14], 0);            /* reading Status cleared INTRQ */
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = in16(r, 0x1f0);
    ck_assert_int_eq(in8(r, 0x1f7) & ATA_ST_DRQ, 0);
    ck_assert_int_eq(w[0], 0x0040);
    ck_assert_int_eq(w[60] | w[61] << 16, DISK_SECTORS);
    ck_assert_int_eq(w[100], DISK_SECTORS);
    ck_assert_int_eq(w[83] & (1 << 10), 1 << 10);     /* 48-bit address feature set */
    ck_assert_int_eq(w[27], ('S' << 8) | 'O');         /* "SOFTVISOR HARDDISK", byte-swapped pairs */
    rig_free(r);
}
END_TEST

START_TEST(ide_pio_read_sectors_interrupts_once_per_block)
{
    Rig *r = rig_new(true);
    lba28(r, 5, 2);
    out8(r, 0x1f7, 0x20);
    for (int s = 0; s < 2; s++) {
        settle(r);
        ck_assert_int_eq(r->irq_edges[14], s + 1);
        ck_assert_int_eq(in8(r, 0x1f7), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ);
        for (int i = 0; i < 256; i++)
            ck_assert_int_eq(in16(r, 0x1f0), (5 + s) * 0x0101);
    }
    ck_assert_int_eq(in8(r, 0x1f7), ATA_ST_DRDY | ATA_ST_DSC);
    settle(r);
    ck_assert_int_eq(r->irq_edges[14], 2);            /* none after the last data-in block */
    rig_free(r);
}
END_TEST

START_TEST(ide_pio_write_sectors_reach_the_image)
{
    Rig *r = rig_new(true);
    lba28(r, 10, 1);
    out8(r, 0x1f7, 0x30);
    settle(r);
    ck_assert_int_eq(r->irq_edges[14], 0);            /* no INTRQ before the first block */
    ck_assert_int_eq(in8(r, 0x1f7) & ATA_ST_DRQ, ATA_ST_DRQ);
    for (int i = 0; i < 256; i++)
        io_out(&r->io, 0x1f0, 2, 0xa55a);
    ck_assert_int_eq(in8(r, 0x3f6) & ATA_ST_BSY, ATA_ST_BSY);
    settle(r);
    ck_assert_int_eq(r->irq_edges[14], 1);
    ck_assert_int_eq(in8(r, 0x1f7), ATA_ST_DRDY | ATA_ST_DSC);
    ck_assert_int_eq(r->disk[10 * IDE_SECTOR], 0x5a);
    ck_assert_int_eq(r->disk[10 * IDE_SECTOR + 511], 0xa5);
    ck_assert_int_eq(r->disk[11 * IDE_SECTOR], 11);
    out8(r, 0x1f7, 0xe7);                             /* FLUSH CACHE */
    settle(r);
    ck_assert_int_eq(in8(r, 0x1f7), ATA_ST_DRDY | ATA_ST_DSC);
    rig_free(r);
}
END_TEST

START_TEST(ide_read_past_the_end_fails_with_idnf)
{
    Rig *r = rig_new(true);
    lba28(r, DISK_SECTORS - 1, 2);
    out8(r, 0x1f7, 0x20);
    settle(r);
    ck_assert_int_eq(in8(r, 0x1f7), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR);
    ck_assert_int_eq(in8(r, 0x1f1) & ATA_ER_IDNF, ATA_ER_IDNF);
    ck_assert_int_eq(in16(r, 0x1f0), 0xffff);         /* no data phase */
    lba28(r, 0x0fffffff, 1);                          /* far beyond: no host read either */
    out8(r, 0x1f7, 0xc8);
    settle(r);
    ck_assert_int_eq(in8(r, 0x1f7) & ATA_ST_ERR, ATA_ST_ERR);
    rig_free(r);
}
END_TEST

START_TEST(ide_lba48_takes_the_high_halves_from_the_hob_registers)
{
    Rig *r = rig_new(true);
    out8(r, 0x1f6, 0x40);
    /* sector 7, count 1: high halves first (0), then low halves */
    const uint8_t hi[5] = { 0, 0, 0, 0, 0 }, lo[5] = { 0, 1, 7, 0, 0 };
    for (int k = 0; k < 2; k++)
        for (int i = 1; i <= 5; i++)
            if (i > 1)
                out8(r, (uint16_t)(0x1f0 + i), k ? lo[i - 1] : hi[i - 1]);
    out8(r, 0x1f7, 0x24);                             /* READ SECTORS EXT */
    settle(r);
    ck_assert_int_eq(in8(r, 0x1f7) & ~ATA_ST_DSC, ATA_ST_DRDY | ATA_ST_DRQ);
    ck_assert_int_eq(in16(r, 0x1f0), 0x0707);
    /* the same low halves with LBA bits 24-31 = 1 in the HOB: beyond the image */
    out8(r, 0x3f6, ATA_DC_SRST);
    out8(r, 0x3f6, 0);
    out8(r, 0x1f6, 0x40);
    out8(r, 0x1f2, 0);
    out8(r, 0x1f3, 1);
    out8(r, 0x1f4, 0);
    out8(r, 0x1f5, 0);
    out8(r, 0x1f2, 1);
    out8(r, 0x1f3, 7);
    out8(r, 0x1f4, 0);
    out8(r, 0x1f5, 0);
    out8(r, 0x3f6, ATA_DC_HOB);
    ck_assert_int_eq(in8(r, 0x1f3), 1);               /* HOB reads back the previous value */
    out8(r, 0x3f6, 0);
    out8(r, 0x1f7, 0x24);
    settle(r);
    ck_assert_int_eq(in8(r, 0x1f7) & ATA_ST_ERR, ATA_ST_ERR);
    ck_assert_int_eq(in8(r, 0x1f1) & ATA_ER_IDNF, ATA_ER_IDNF);
    rig_free(r);
}
END_TEST

static void put_prd(Rig *r, uint32_t at, uint32_t addr, uint32_t count, bool eot)
{
    uint32_t ctl = (count & 0xffff) | (eot ? 0x80000000u : 0);
    memcpy(r->ram + at, &addr, 4);
    memcpy(r->ram + at + 4, &ctl, 4);
}

static void bm_start(Rig *r, uint32_t prd, bool to_memory)
{
    ide_bm_write(r->ide, 0, 4, 4, prd);
    ide_bm_write(r->ide, 0, 0, 1, BM_CMD_START | (to_memory ? BM_CMD_READ : 0));
}

START_TEST(ide_dma_read_scatters_through_the_prd_table)
{
    Rig *r = rig_new(true);
    put_prd(r, 0x1000, 0x20000, 512, false);
    put_prd(r, 0x1008, 0x30000, 1024, true);
    lba28(r, 3, 3);
    out8(r, 0x1f7, 0xc8);                             /* READ DMA */
    bm_start(r, 0x1000, true);
    settle(r);
    ck_assert_int_eq(r->irq_edges[14], 1);
    ck_assert_int_eq(ide_bm_read(r->ide, 0, 2, 1) & (BM_ST_INTR | BM_ST_ERROR | BM_ST_ACTIVE), BM_ST_INTR);
    ck_assert_int_eq(in8(r, 0x1f7), ATA_ST_DRDY | ATA_ST_DSC);
    ck_assert_int_eq(r->ram[0x20000], 3);
    ck_assert_int_eq(r->ram[0x201ff], 3);
    ck_assert_int_eq(r->ram[0x30000], 4);
    ck_assert_int_eq(r->ram[0x303ff], 5);
    ck_assert_int_eq(r->ram[0x30400], 0);
    ck_assert_uint_eq(r->dma_lo, 0x20000);            /* told, so decoded code there is dropped */
    ck_assert_uint_eq(r->dma_hi, 0x30400);
    rig_free(r);
}
END_TEST

START_TEST(ide_dma_write_gathers_into_the_image)
{
    Rig *r = rig_new(true);
    memset(r->ram + 0x40000, 0xee, 1024);
    put_prd(r, 0x1000, 0x40000, 1024, true);
    lba28(r, 20, 2);
    out8(r, 0x1f7, 0xca);                             /* WRITE DMA */
    bm_start(r, 0x1000, false);
    settle(r);
    ck_assert_int_eq(in8(r, 0x1f7), ATA_ST_DRDY | ATA_ST_DSC);
    ck_assert_int_eq(r->disk[20 * IDE_SECTOR], 0xee);
    ck_assert_int_eq(r->disk[22 * IDE_SECTOR - 1], 0xee);
    ck_assert_int_eq(r->disk[22 * IDE_SECTOR], 22);
    rig_free(r);
}
END_TEST

START_TEST(ide_dma_hostile_prd_outside_ram_fails_the_command)
{
    Rig *r = rig_new(true);
    put_prd(r, 0x1000, RAM_SIZE - 256, 0, true);      /* 64 KiB from 256 bytes below RAM's end */
    lba28(r, 0, 64);
    out8(r, 0x1f7, 0xc8);
    bm_start(r, 0x1000, true);
    settle(r);
    ck_assert_int_eq(ide_bm_read(r->ide, 0, 2, 1) & BM_ST_ERROR, BM_ST_ERROR);
    ck_assert_int_eq(in8(r, 0x1f7) & ATA_ST_ERR, ATA_ST_ERR);
    /* a table with no end-of-table bit at the top of the address space */
    ide_bm_write(r->ide, 0, 2, 1, BM_ST_ERROR | BM_ST_INTR);
    ide_bm_write(r->ide, 0, 0, 1, 0);
    lba28(r, 0, 1);
    out8(r, 0x1f7, 0xc8);
    bm_start(r, 0xfffffff8u, true);
    settle(r);
    ck_assert_int_eq(in8(r, 0x1f7) & ATA_ST_ERR, ATA_ST_ERR);
    rig_free(r);
}
END_TEST

START_TEST(ide_soft_reset_sets_signatures_and_nien_masks_intrq)
{
    Rig *r = rig_new(true);
    out8(r, 0x376, ATA_DC_SRST);
    out8(r, 0x376, 0);
    ck_assert_int_eq(in8(r, 0x174), 0x14);            /* packet device signature */
    ck_assert_int_eq(in8(r, 0x175), 0xeb);
    ck_assert_int_eq(in8(r, 0x1f4), 0);
    ck_assert_int_eq(in8(r, 0x1f2), 1);
    out8(r, 0x3f6, ATA_DC_NIEN);
    out8(r, 0x1f6, 0xa0);
    out8(r, 0x1f7, 0xec);
    settle(r);
    ck_assert_int_eq(r->irq_edges[14], 0);
    out8(r, 0x3f6, 0);                                /* INTRQ still pending: now visible */
    ck_assert_int_eq(r->irq_level[14], 1);
    ck_assert_int_eq(in8(r, 0x176) & 0, 0);
    ck_assert_int_eq(in8(r, 0x170), 0xff);            /* secondary has no data for PIO */
    rig_free(r);
}
END_TEST

static void atapi_packet_pio(Rig *r, const uint8_t *cdb, uint16_t limit)
{
    out8(r, 0x176, 0xa0);
    out8(r, 0x171, 0);
    out8(r, 0x174, (uint8_t)limit);
    out8(r, 0x175, (uint8_t)(limit >> 8));
    out8(r, 0x177, 0xa0);
    settle(r);
    ck_assert_int_eq(in8(r, 0x177) & ATA_ST_DRQ, ATA_ST_DRQ);
    ck_assert_int_eq(in8(r, 0x172), 0x01);            /* C/D: the packet */
    for (int i = 0; i < 12; i += 2)
        io_out(&r->io, 0x170, 2, cdb[i] | cdb[i + 1] << 8);
    settle(r);
}

START_TEST(atapi_read10_transfers_sectors_in_byte_count_chunks)
{
    Rig *r = rig_new(true);
    const uint8_t cdb[12] = { 0x28, 0, 0, 0, 0, 2, 0, 0, 2, 0, 0, 0 };   /* READ(10) LBA 2, 2 sectors */
    atapi_packet_pio(r, cdb, 2048);
    for (int s = 0; s < 2; s++) {
        ck_assert_int_eq(in8(r, 0x177) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
        ck_assert_int_eq(in8(r, 0x172), 0x02);        /* I/O: data to the host */
        ck_assert_int_eq(in8(r, 0x174) | in8(r, 0x175) << 8, 2048);
        for (int i = 0; i < 1024; i++)
            ck_assert_int_eq(in16(r, 0x170), (0xc2 + s) * 0x0101);
        settle(r);
    }
    ck_assert_int_eq(in8(r, 0x177), ATA_ST_DRDY | ATA_ST_DSC);
    ck_assert_int_eq(in8(r, 0x172), 0x03);            /* status phase */
    const uint8_t past[12] = { 0x28, 0, 0, 0, 0, CD_SECTORS - 1, 0, 0, 2, 0, 0, 0 };
    atapi_packet_pio(r, past, 2048);
    ck_assert_int_eq(in8(r, 0x177) & ATA_ST_ERR, ATA_ST_ERR);
    ck_assert_int_eq(in8(r, 0x171) >> 4, 0x05);       /* ILLEGAL REQUEST */
    rig_free(r);
}
END_TEST

START_TEST(atapi_empty_drive_reports_medium_not_present)
{
    Rig *r = rig_new(false);
    const uint8_t tur[12] = { 0 };
    atapi_packet_pio(r, tur, 0);
    ck_assert_int_eq(in8(r, 0x177) & ATA_ST_ERR, ATA_ST_ERR);
    ck_assert_int_eq(in8(r, 0x171) >> 4, 0x02);       /* NOT READY */
    const uint8_t sense[12] = { 0x03, 0, 0, 0, 18, 0 };
    atapi_packet_pio(r, sense, 18);
    ck_assert_int_eq(in8(r, 0x177) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
    uint8_t b[18];
    for (int i = 0; i < 18; i += 2) {
        uint16_t v = in16(r, 0x170);
        b[i] = (uint8_t)v;
        b[i + 1] = (uint8_t)(v >> 8);
    }
    ck_assert_int_eq(b[0], 0x70);
    ck_assert_int_eq(b[2], 0x02);
    ck_assert_int_eq(b[12], 0x3a);                    /* MEDIUM NOT PRESENT */
    const uint8_t read10[12] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
    settle(r);
    atapi_packet_pio(r, read10, 2048);
    ck_assert_int_eq(in8(r, 0x177) & ATA_ST_ERR, ATA_ST_ERR);
    rig_free(r);
}
END_TEST

START_TEST(atapi_identify_packet_device_and_ata_identify_abort)
{
    Rig *r = rig_new(true);
    out8(r, 0x176, 0xa0);
    out8(r, 0x177, 0xec);                             /* IDENTIFY DEVICE: a packet device aborts */
    settle(r);
    ck_assert_int_eq(in8(r, 0x177) & ATA_ST_ERR, ATA_ST_ERR);
    ck_assert_int_eq(in8(r, 0x174), 0x14);
    out8(r, 0x177, 0xa1);
    settle(r);
    ck_assert_int_eq(in16(r, 0x170), 0x85c0);
    rig_free(r);
}
END_TEST

/* A temporary raw image of `n` bytes of `fill`; returns its path in `path`. */
static void temp_image(char *path, size_t n, uint8_t fill)
{
    strcpy(path, "/tmp/softvisor-ide-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *b = malloc(n);
    memset(b, fill, n);
    ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
    free(b);
    close(fd);
}

START_TEST(blockdev_snapshot_keeps_writes_in_memory)
{
    char path[64], err[256];
    temp_image(path, 3 * 4096 + 512, 0x11);
    BlockDev *bd = blockdev_open(path, false, true, err, sizeof err);
    ck_assert_ptr_nonnull(bd);
    uint8_t w[600], rb[700];
    memset(w, 0x22, sizeof w);
    ck_assert_int_eq(blockdev_write(bd, 4096 - 100, w, sizeof w), 0);   /* across a chunk edge */
    ck_assert_int_eq(blockdev_flush(bd), 0);
    ck_assert_int_eq(blockdev_read(bd, 4096 - 150, rb, sizeof rb), 0);
    ck_assert_int_eq(rb[0], 0x11);
    ck_assert_int_eq(rb[50], 0x22);
    ck_assert_int_eq(rb[649], 0x22);
    ck_assert_int_eq(rb[650], 0x11);
    ck_assert_int_eq(blockdev_write(bd, 3 * 4096, w, 512), 0);          /* the short last chunk */
    ck_assert_int_ne(blockdev_write(bd, 3 * 4096 + 1, w, 512), 0);      /* past the end */
    blockdev_free(bd);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    int c, changed = 0;
    while ((c = fgetc(f)) != EOF)
        changed |= c != 0x11;
    fclose(f);
    unlink(path);
    ck_assert_int_eq(changed, 0);
}
END_TEST

START_TEST(blockdev_write_through_reaches_the_file_and_qcow2_is_refused)
{
    char path[64], err[256];
    temp_image(path, 1024, 0);
    BlockDev *bd = blockdev_open(path, false, false, err, sizeof err);
    ck_assert_ptr_nonnull(bd);
    ck_assert_int_eq(blockdev_write(bd, 512, "QFI\xfb", 4), 0);
    ck_assert_int_eq(blockdev_flush(bd), 0);
    blockdev_free(bd);
    FILE *f = fopen(path, "r+b");
    uint8_t b[4];
    fseek(f, 512, SEEK_SET);
    ck_assert_int_eq(fread(b, 1, 4, f), 4);
    ck_assert_int_eq(memcmp(b, "QFI\xfb", 4), 0);
    fseek(f, 0, SEEK_SET);
    fwrite("QFI\xfb", 1, 4, f);
    fclose(f);
    ck_assert_ptr_null(blockdev_open(path, false, false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "qemu-img convert"));
    unlink(path);
}
END_TEST

static Suite *ide_suite(void)
{
    Suite *s = suite_create("ide");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ide_identify_disk_reports_sizes_and_lba48);
    tcase_add_test(tc, ide_pio_read_sectors_interrupts_once_per_block);
    tcase_add_test(tc, ide_pio_write_sectors_reach_the_image);
    tcase_add_test(tc, ide_read_past_the_end_fails_with_idnf);
    tcase_add_test(tc, ide_lba48_takes_the_high_halves_from_the_hob_registers);
    tcase_add_test(tc, ide_dma_read_scatters_through_the_prd_table);
    tcase_add_test(tc, ide_dma_write_gathers_into_the_image);
    tcase_add_test(tc, ide_dma_hostile_prd_outside_ram_fails_the_command);
    tcase_add_test(tc, ide_soft_reset_sets_signatures_and_nien_masks_intrq);
    tcase_add_test(tc, atapi_read10_transfers_sectors_in_byte_count_chunks);
    tcase_add_test(tc, atapi_empty_drive_reports_medium_not_present);
    tcase_add_test(tc, atapi_identify_packet_device_and_ata_identify_abort);
    tcase_add_test(tc, blockdev_snapshot_keeps_writes_in_memory);
    tcase_add_test(tc, blockdev_write_through_reaches_the_file_and_qcow2_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ide_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
