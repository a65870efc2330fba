/*
 * ide.h — the PIIX3 IDE controller (82371SB function 1, PCI 8086:7010 at 00:01.1) with ATA disks
 * and ATAPI CD-ROMs (devices/atapi.c) on its two channels.
 *
 * Primary channel: ports 0x1F0-0x1F7 and 0x3F6, ISA IRQ 14; secondary: 0x170-0x177 and 0x376,
 * ISA IRQ 15 (compatibility mode, programming interface 0x80).  Bus-master IDE registers: 16
 * I/O ports behind BAR4 (0x20), 8 per channel: command, status, PRD table address.
 */
#ifndef SOFTVISOR_IDE_H
#define SOFTVISOR_IDE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/blockdev.h"
#include "devices/irq.h"
#include "devices/pci.h"
#include "mem/io.h"
#include "mem/phys.h"
#include "vm/clock.h"

/* Status register bits (ATA/ATAPI-6, 7.15.6) */
#define ATA_ST_ERR  0x01
#define ATA_ST_DRQ  0x08
#define ATA_ST_DSC  0x10
#define ATA_ST_DF   0x20
#define ATA_ST_DRDY 0x40
#define ATA_ST_BSY  0x80
/* Error register bits */
#define ATA_ER_ABRT 0x04
#define ATA_ER_IDNF 0x10
#define ATA_ER_UNC  0x40
/* Device control register bits */
#define ATA_DC_NIEN 0x02
#define ATA_DC_SRST 0x04
#define ATA_DC_HOB  0x80

/* Bus-master IDE (PIIX3 datasheet 2.7, SFF-8038i) */
#define BM_CMD_START 0x01
#define BM_CMD_READ  0x08     /* 1: the controller writes memory (device-to-host) */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR  0x02
#define BM_ST_INTR   0x04

#define IDE_SECTOR 512
#define CD_SECTOR 2048
#define IDE_BUF_SIZE (128 * 1024)   /* one transfer chunk; a multiple of both sector sizes */
#define IDE_MAX_MULT 16             /* READ/WRITE MULTIPLE block size limit (IDENTIFY word 47) */
#define IDE_DELAY_NS 2000           /* virtual time from command (or data block) to completion */

enum { IDE_NONE, IDE_DISK, IDE_CDROM };

/* What the drive is doing with its data buffer. */
enum { PH_IDLE, PH_PIO_IN, PH_PIO_OUT, PH_PACKET, PH_DMA };

typedef struct IdeDrive {
    int kind;
    BlockDev *bd;             /* NULL: no medium (an empty CD-ROM drive) */
    uint64_t sectors;         /* in 512-byte (disk) or 2048-byte (CD) sectors */
    uint16_t cyls, heads, spt; /* current CHS translation (INITIALIZE DEVICE PARAMETERS) */

    /* task file: each register with the value written before (the HOB half for LBA48) */
    uint8_t feature, hob_feature, nsect, hob_nsect, lbal, hob_lbal, lbam, hob_lbam, lbah, hob_lbah;
    uint8_t select, status, error;
    bool intrq;               /* the device asserts INTRQ (seen on the pin unless nIEN) */

    uint8_t mult;             /* sectors per DRQ block for READ/WRITE MULTIPLE; 0: not set */
    uint8_t xfer_mode;        /* SET FEATURES 03h value */
    bool wcache;              /* volatile write cache enabled (FLUSH CACHE makes it durable) */

    /* the current transfer */
    int phase;
    uint8_t cmd;
    bool is_write;
    uint32_t secsize;         /* bytes per sector of the transfer */
    uint64_t lba;             /* next sector to move between the image and buf */
    uint64_t left;            /* sectors not yet moved between the image and buf */
    uint32_t block;           /* ATA: sectors per DRQ block */
    uint8_t buf[IDE_BUF_SIZE]; /* inline, so that the state table can describe it */
    uint32_t pos, end;        /* PIO: the current DRQ window [pos, end) in buf */
    uint32_t len;             /* bytes of valid data in buf (data-in) */
    uint32_t drq_limit;       /* ATAPI PIO byte count limit */

    /* ATAPI */
    uint8_t cdb[12];
    bool pkt_dma;             /* PACKET's feature bit 0: the data phase uses bus-master DMA */
    uint8_t sense_key, asc, ascq;
} IdeDrive;

typedef struct IdeChannel {
    struct Ide *owner;
    IdeDrive d[2];
    int cur;                  /* DEV bit of the device register */
    uint8_t devctl;
    IrqLine irq;
    int irq_level;
    int ev;                   /* clock event for the pending completion */
    int ev_drive;             /* which drive the completion is for */
    uint8_t ev_status;        /* status the drive shows when it fires */
    bool ev_irq;              /* and whether it interrupts */
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prd;
} IdeChannel;

/* Bus-master DMA stored into guest RAM at [paddr, paddr + len) behind the CPU's back: the board
 * drops decoded code there (self-modifying code through DMA). */
typedef void (*IdeDmaWriteFn)(void *opaque, uint64_t paddr, uint32_t len);

typedef struct Ide {
    IoBus *io;
    IdeDmaWriteFn dma_written;    /* NULL: nobody to tell */
    void *dma_opaque;
    PhysMem *mem;
    Clock *clock;
    PciFunc *pci;
    uint16_t bmiba;           /* where the bus-master registers decode (0: not decoded) */
    IdeChannel ch[2];
} Ide;

/* Adds the controller as PCI function `devfn` and registers the legacy ports; `irq14`/`irq15`
 * are the channels' ISA lines.  NULL when out of memory, clock events or PCI slots. */
Ide *ide_new(IoBus *io, PhysMem *mem, Clock *clock, PciState *pci, int devfn,
             IrqLine irq14, IrqLine irq15);
/* Attaches a drive (channel 0/1, unit 0 master / 1 slave) before the first reset.  `bd` may be
 * NULL only for a CD-ROM (no medium); the Ide owns it from here on.  Returns -1 if taken. */
int ide_attach(Ide *s, int channel, int unit, int kind, BlockDev *bd);
/* Power-on state (the PCI configuration is reset by pci_reset). */
void ide_reset(Ide *s);
void ide_free(Ide *s);
/* True when a drive's -snapshot overlay holds guest writes, which a VM snapshot does not hold
 * (vm_snapshot_save refuses then). */
bool ide_overlay_dirty(const Ide *s);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc ide_state_desc;

/* Port handlers, also driven directly by the unit tests: `port` is the offset in the command
 * block (0-7) or 8 for the control block's 0x3F6/0x376. */
uint32_t ide_ioport_read(Ide *s, int channel, int reg, int size);
void ide_ioport_write(Ide *s, int channel, int reg, int size, uint32_t val);
uint32_t ide_bm_read(Ide *s, int channel, int reg, int size);
void ide_bm_write(Ide *s, int channel, int reg, int size, uint32_t val);

/* For devices/atapi.c: run the packet in d->cdb. */
void atapi_packet(Ide *s, IdeChannel *c, IdeDrive *d);
void atapi_identify(IdeDrive *d, uint16_t *w);
/* Shared with atapi.c: start a data-in transfer of the first `len` bytes of d->buf or of
 * `count` sectors from the image, or end the command (status phase). */
void ide_data_in_buf(Ide *s, IdeChannel *c, IdeDrive *d, uint32_t len, bool dma);
void ide_data_in_sectors(Ide *s, IdeChannel *c, IdeDrive *d, uint64_t lba, uint64_t count, bool dma);
void ide_atapi_error(Ide *s, IdeChannel *c, IdeDrive *d, uint8_t key, uint8_t asc);
void ide_atapi_done(Ide *s, IdeChannel *c, IdeDrive *d);
void ide_put_string(uint16_t *w, int first, int nwords, const char *str);

#endif
