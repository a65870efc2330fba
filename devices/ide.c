/*
 * ide.c — PIIX3 IDE controller and ATA disks (see ide.h).
 *
 * Specs: ATA/ATAPI-6 (T13/1410D) for the task-file registers, the protocols (PIO data-in/out,
 * DMA, PACKET) and IDENTIFY DEVICE; ATA/ATAPI-7 for the 48-bit address feature set; SFF-8038i
 * and the Intel 82371SB (PIIX3) datasheet for bus-master IDE and the PCI function.
 *
 * Model: both devices of a channel latch every task-file write (they share the cable); reads
 * come from the device selected by DEV.  A command does its host I/O synchronously, shows BSY,
 * and its next protocol step (DRQ for a data block, or the final status) appears when the
 * channel's clock event fires IDE_DELAY_NS later, with INTRQ where the protocol has one.  INTRQ
 * reaches the ISA line while the selected device asserts it and nIEN is clear; reading Status
 * (not Alternate Status) or writing Command clears it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ide.h"
#include "vm/state.h"

/* ---- interrupts and the completion event ---- */

static void update_irq(IdeChannel *c)
{
    const IdeDrive *d = &c->d[c->cur];
    int level = d->kind != IDE_NONE && d->intrq && !(c->devctl & ATA_DC_NIEN);
    if (level != c->irq_level) {
        c->irq_level = level;
        irq_set(&c->irq, level);
    }
}

static void raise_irq(IdeChannel *c, IdeDrive *d)
{
    d->intrq = true;
    c->bm_status |= BM_ST_INTR;
    update_irq(c);
}

/* The drive goes busy; `status` (and INTRQ if `irq`) appear after the protocol delay. */
static void schedule(Ide *s, IdeChannel *c, IdeDrive *d, uint8_t status, bool irq)
{
    d->status = ATA_ST_BSY;
    c->ev_drive = (int)(d - c->d);
    c->ev_status = status;
    c->ev_irq = irq;
    clock_set_deadline(s->clock, c->ev, clock_now(s->clock) + IDE_DELAY_NS);
}

static void on_event(void *opaque, uint64_t now)
{
    IdeChannel *c = opaque;
    (void)now;
    clock_set_deadline(c->owner->clock, c->ev, CLOCK_NEVER);
    IdeDrive *d = &c->d[c->ev_drive];
    d->status = c->ev_status;
    if (c->ev_irq)
        raise_irq(c, d);
}

static void ata_abort(Ide *s, IdeChannel *c, IdeDrive *d, uint8_t err)
{
    d->phase = PH_IDLE;
    d->error = err;
    schedule(s, c, d, ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR, true);
}

static void ata_done(Ide *s, IdeChannel *c, IdeDrive *d)
{
    d->phase = PH_IDLE;
    schedule(s, c, d, ATA_ST_DRDY | ATA_ST_DSC, true);
}

/* ---- data buffer <-> image ---- */

/* Reads the next piece of the transfer into buf (at most a buffer, at most `max` sectors). */
static int refill(IdeDrive *d, uint64_t max)
{
    uint64_t n = d->left < max ? d->left : max;
    if (n > IDE_BUF_SIZE / d->secsize)
        n = IDE_BUF_SIZE / d->secsize;
    if (blockdev_read(d->bd, d->lba * d->secsize, d->buf, (size_t)(n * d->secsize)) < 0)
        return -1;
    d->lba += n;
    d->left -= n;
    d->pos = 0;
    d->len = (uint32_t)(n * d->secsize);
    return 0;
}

/* ---- ATAPI data phases (used by atapi.c) ---- */

static void atapi_next_chunk(Ide *s, IdeChannel *c, IdeDrive *d)
{
    if (d->pos >= d->len && d->left) {
        if (refill(d, UINT64_MAX) < 0) {
            ide_atapi_error(s, c, d, 0x03, 0x11);    /* MEDIUM ERROR, unrecovered read error */
            return;
        }
    }
    if (d->pos >= d->len) {
        ide_atapi_done(s, c, d);
        return;
    }
    uint32_t chunk = d->len - d->pos;
    if (chunk > d->drq_limit)
        chunk = d->drq_limit;
    d->end = d->pos + chunk;
    d->lbam = (uint8_t)chunk;
    d->lbah = (uint8_t)(chunk >> 8);
    d->nsect = 0x02;                                  /* I/O = 1, C/D = 0: data to the host */
    d->phase = PH_PIO_IN;
    schedule(s, c, d, ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ, true);
}

static void dma_run(Ide *s, IdeChannel *c);

static void data_in_start(Ide *s, IdeChannel *c, IdeDrive *d, bool dma)
{
    d->is_write = false;
    if (dma) {
        d->phase = PH_DMA;
        d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
        if (c->bm_cmd & BM_CMD_START)
            dma_run(s, c);
        return;
    }
    uint32_t lim = (uint32_t)d->lbam | (uint32_t)d->lbah << 8;
    lim &= ~1u;                                       /* an odd limit means the even one below */
    d->drq_limit = lim ? lim : 0xfffe;                /* XXX: 0 is invalid; take the maximum */
    atapi_next_chunk(s, c, d);
}

void ide_data_in_buf(Ide *s, IdeChannel *c, IdeDrive *d, uint32_t len, bool dma)
{
    if (!len) {
        ide_atapi_done(s, c, d);
        return;
    }
    d->pos = 0;
    d->len = len;
    d->left = 0;
    data_in_start(s, c, d, dma);
}

void ide_data_in_sectors(Ide *s, IdeChannel *c, IdeDrive *d, uint64_t lba, uint64_t count, bool dma)
{
    if (!count) {
        ide_atapi_done(s, c, d);
        return;
    }
    d->secsize = CD_SECTOR;
    d->lba = lba;
    d->left = count;
    d->pos = d->len = 0;
    data_in_start(s, c, d, dma);
}

void ide_atapi_error(Ide *s, IdeChannel *c, IdeDrive *d, uint8_t key, uint8_t asc)
{
    d->sense_key = key;
    d->asc = asc;
    d->ascq = 0;
    d->nsect = 0x03;                                  /* I/O = 1, C/D = 1: status */
    ata_abort(s, c, d, (uint8_t)(key << 4 | ATA_ER_ABRT));
}

void ide_atapi_done(Ide *s, IdeChannel *c, IdeDrive *d)
{
    d->sense_key = d->asc = d->ascq = 0;
    d->nsect = 0x03;
    d->error = 0;
    ata_done(s, c, d);
}

/* ---- bus-master DMA ---- */

/* Copies between guest RAM and the host; -1 when any byte is not RAM (or ROM for a write). */
static int guest_copy(Ide *s, uint64_t addr, uint8_t *host, uint32_t n, bool to_guest)
{
    while (n) {
        bool writable = false;
        uint8_t *p = phys_page_ptr(s->mem, addr, &writable);
        if (!p || (to_guest && !writable))
            return -1;
        uint32_t in = (uint32_t)(addr & 0xfff), k = 4096 - in < n ? 4096 - in : n;
        if (to_guest) {
            memcpy(p + in, host, k);
            if (s->dma_written)
                s->dma_written(s->dma_opaque, addr, k);
        }
        else {
            memcpy(host, p + in, k);
        }
        host += k;
        addr += k;
        n -= k;
    }
    return 0;
}

/* Runs the selected drive's whole DMA transfer through the PRD table (SFF-8038i: 8-byte
 * entries, a physical address with bit 0 ignored, a byte count with 0 meaning 64 KiB, bit 31
 * of the second dword ending the table; the table may not cross a 64 KiB boundary, so at most
 * 8192 entries are walked). */
/* A DMA write filled the buffer window: put it on the image and open the next one. */
static int dma_write_window(IdeDrive *d)
{
    uint64_t ns = d->end / d->secsize;
    if (blockdev_write(d->bd, d->lba * d->secsize, d->buf, d->end) < 0)
        return -1;
    d->lba += ns;
    d->left -= ns;
    uint64_t next = d->left < IDE_BUF_SIZE / d->secsize ? d->left : IDE_BUF_SIZE / d->secsize;
    d->pos = 0;
    d->end = (uint32_t)(next * d->secsize);
    return 0;
}

static void dma_run(Ide *s, IdeChannel *c)
{
    IdeDrive *d = &c->d[c->cur];
    if (d->phase != PH_DMA)
        return;
    c->bm_status |= BM_ST_ACTIVE;
    uint64_t prd = c->bm_prd;
    bool eot = false, fault = false;
    for (int n = 0; n < 8192 && !eot && !fault; n++, prd += 8) {
        bool more = d->is_write ? (d->pos < d->end || d->left) : (d->pos < d->len || d->left);
        if (!more)
            break;
        uint64_t addr = phys_mem_read(s->mem, prd, 4) & ~1ull;
        uint32_t ctl = (uint32_t)phys_mem_read(s->mem, prd + 4, 4);
        uint32_t cnt = ctl & 0xfffe;
        if (!(ctl & 0xffff))
            cnt = 0x10000;
        eot = ctl >> 31;
        while (cnt && !fault) {
            if (!d->is_write && d->pos >= d->len && d->left && refill(d, UINT64_MAX) < 0) {
                fault = true;
                break;
            }
            uint32_t lim = d->is_write ? d->end : d->len;
            if (d->pos >= lim)
                break;
            uint32_t k = lim - d->pos < cnt ? lim - d->pos : cnt;
            if (guest_copy(s, addr, d->buf + d->pos, k, !d->is_write) < 0) {
                c->bm_status |= BM_ST_ERROR;
                fault = true;
                break;
            }
            d->pos += k;
            addr += k;
            cnt -= k;
            if (d->is_write && d->pos >= d->end && dma_write_window(d) < 0)
                fault = true;
        }
    }
    bool complete = d->is_write ? (d->pos >= d->end && !d->left) : (d->pos >= d->len && !d->left);
    c->bm_status &= (uint8_t)~BM_ST_ACTIVE;
    if (complete && !fault) {
        if (d->kind == IDE_CDROM)
            ide_atapi_done(s, c, d);
        else
            ata_done(s, c, d);
    } else if (d->kind == IDE_CDROM) {
        ide_atapi_error(s, c, d, 0x04, 0x44);         /* HARDWARE ERROR, internal target failure */
    } else {
        ata_abort(s, c, d, ATA_ER_ABRT);
    }
}

/* ---- ATA commands ---- */

void ide_put_string(uint16_t *w, int first, int nwords, const char *str)
{
    size_t n = strlen(str);
    for (int i = 0; i < nwords * 2; i++) {
        uint8_t ch = (size_t)i < n ? (uint8_t)str[i] : ' ';
        /* ATA strings: the first character of each pair in the high byte */
        if (i & 1)
            w[first + i / 2] |= ch;
        else
            w[first + i / 2] = (uint16_t)(ch << 8);
    }
}

static void ata_identify(IdeDrive *d, uint16_t *w)
{
    memset(w, 0, 512);
    uint64_t lba28 = d->sectors > 0x0fffffff ? 0x0fffffff : d->sectors;
    uint32_t cur_cap = (uint32_t)d->cyls * d->heads * d->spt;
    w[0] = 0x0040;                                    /* fixed device */
    w[1] = d->cyls;
    w[3] = d->heads;
    w[6] = d->spt;
    ide_put_string(w, 10, 10, "SV00000001");
    ide_put_string(w, 23, 4, "1.0");
    ide_put_string(w, 27, 20, "SOFTVISOR HARDDISK");
    w[47] = 0x8000 | IDE_MAX_MULT;
    w[49] = 1 << 11 | 1 << 9 | 1 << 8;                /* IORDY, LBA, DMA */
    w[51] = w[52] = 0x200;
    w[53] = 7;                                        /* words 54-58, 64-70 and 88 valid */
    w[54] = d->cyls;
    w[55] = d->heads;
    w[56] = d->spt;
    w[57] = (uint16_t)cur_cap;
    w[58] = (uint16_t)(cur_cap >> 16);
    w[59] = d->mult ? (uint16_t)(0x100 | d->mult) : 0;
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    w[63] = 0x07;                                     /* multiword DMA 0-2 */
    if ((d->xfer_mode & 0xf8) == 0x20)
        w[63] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    w[64] = 0x03;                                     /* PIO 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x00f0;                                   /* ATA/ATAPI-4 to -7 */
    w[82] = 1 << 14 | 1 << 5;                         /* NOP, write cache */
    w[83] = 1 << 14 | 1 << 13 | 1 << 12 | 1 << 10;    /* FLUSH CACHE EXT, FLUSH CACHE, LBA48 */
    w[84] = 1 << 14;
    w[85] = (uint16_t)(1 << 14 | (d->wcache ? 1 << 5 : 0));
    w[86] = 1 << 13 | 1 << 12 | 1 << 10;
    w[87] = 1 << 14;
    w[88] = 0x3f;                                     /* UDMA 0-5 */
    if ((d->xfer_mode & 0xf8) == 0x40)
        w[88] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    w[93] = 1 << 14 | 1 << 13 | 1;                    /* 80-conductor cable detected */
    w[100] = (uint16_t)d->sectors;
    w[101] = (uint16_t)(d->sectors >> 16);
    w[102] = (uint16_t)(d->sectors >> 32);
    w[103] = (uint16_t)(d->sectors >> 48);
}

static void default_geometry(IdeDrive *d)
{
    uint64_t c = d->sectors / (16 * 63);
    d->cyls = (uint16_t)(c > 16383 ? 16383 : c ? c : 1);
    d->heads = 16;
    d->spt = 63;
}

/* The command's starting sector and count from the task file; false (IDNF) when they leave
 * the image or name an impossible CHS address. */
static bool ata_range(const IdeDrive *d, bool lba48, uint64_t *lba, uint64_t *count)
{
    if (lba48) {
        *count = (uint64_t)d->hob_nsect << 8 | d->nsect;
        if (!*count)
            *count = 65536;
        *lba = (uint64_t)d->hob_lbah << 40 | (uint64_t)d->hob_lbam << 32 | (uint64_t)d->hob_lbal << 24 |
               (uint64_t)d->lbah << 16 | (uint64_t)d->lbam << 8 | d->lbal;
    } else {
        *count = d->nsect ? d->nsect : 256;
        if (d->select & 0x40) {
            *lba = (uint64_t)(d->select & 0x0f) << 24 | (uint64_t)d->lbah << 16 | (uint64_t)d->lbam << 8 | d->lbal;
        } else {
            uint32_t cyl = (uint32_t)d->lbah << 8 | d->lbam, head = d->select & 0x0f, sec = d->lbal;
            if (!sec || sec > d->spt || head >= d->heads || cyl >= d->cyls)
                return false;
            *lba = ((uint64_t)cyl * d->heads + head) * d->spt + sec - 1;
        }
    }
    return *lba <= d->sectors && *count <= d->sectors - *lba;
}

static void pio_in_next_block(Ide *s, IdeChannel *c, IdeDrive *d)
{
    if (refill(d, d->block) < 0) {
        ata_abort(s, c, d, ATA_ER_UNC);
        return;
    }
    d->end = d->len;
    d->phase = PH_PIO_IN;
    schedule(s, c, d, ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ, true);
}

static void pio_out_window(IdeDrive *d)
{
    uint64_t n = d->left < d->block ? d->left : d->block;
    d->pos = 0;
    d->end = (uint32_t)(n * IDE_SECTOR);
}

static bool is_lba48(uint8_t cmd)
{
    switch (cmd) {
    case 0x24: case 0x25: case 0x29: case 0x34: case 0x35: case 0x39: case 0x42:
        return true;
    }
    return false;
}

static void ata_rw(Ide *s, IdeChannel *c, IdeDrive *d, uint8_t cmd, bool write, bool dma, uint32_t block)
{
    uint64_t lba, count;
    if (!ata_range(d, is_lba48(cmd), &lba, &count)) {
        ata_abort(s, c, d, ATA_ER_IDNF | ATA_ER_ABRT);
        return;
    }
    if (write && blockdev_readonly(d->bd)) {
        ata_abort(s, c, d, ATA_ER_ABRT);
        return;
    }
    d->secsize = IDE_SECTOR;
    d->lba = lba;
    d->left = count;
    d->block = block;
    d->is_write = write;
    d->pos = d->len = d->end = 0;
    if (dma) {
        if (write) {
            d->block = IDE_BUF_SIZE / IDE_SECTOR;
            pio_out_window(d);
        }
        d->phase = PH_DMA;
        d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
        if (c->bm_cmd & BM_CMD_START)
            dma_run(s, c);
    } else if (write) {
        pio_out_window(d);
        d->phase = PH_PIO_OUT;
        schedule(s, c, d, ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ, false);   /* no INTRQ before block 1 */
    } else {
        pio_in_next_block(s, c, d);
    }
}

static void set_signature(IdeDrive *d)
{
    d->nsect = d->lbal = 1;
    d->lbam = d->kind == IDE_CDROM ? 0x14 : 0;
    d->lbah = d->kind == IDE_CDROM ? 0xeb : 0;
    d->select &= 0x10;
}

static bool set_features(IdeDrive *d)
{
    switch (d->feature) {
    case 0x02: d->wcache = true; return true;
    case 0x82: d->wcache = false; return true;
    case 0x03:
        d->xfer_mode = d->nsect;
        return true;
    case 0x66: case 0xcc: case 0xaa: case 0x55: case 0x05: case 0x85:
        return true;
    }
    return false;
}

static void pio_in_buffer(Ide *s, IdeChannel *c, IdeDrive *d)
{
    d->left = 0;
    d->pos = 0;
    d->len = d->end = 512;
    d->phase = PH_PIO_IN;
    schedule(s, c, d, ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ, true);
}

static void ata_command(Ide *s, IdeChannel *c, IdeDrive *d, uint8_t cmd)
{
    d->cmd = cmd;
    d->error = 0;
    d->phase = PH_IDLE;
    bool cd = d->kind == IDE_CDROM;
    switch (cmd) {
    case 0x08:                                        /* DEVICE RESET (packet devices) */
        if (!cd)
            break;
        set_signature(d);
        d->error = 1;
        d->status = 0;
        return;
    case 0x90:                                        /* EXECUTE DEVICE DIAGNOSTIC */
        for (int i = 0; i < 2; i++) {
            set_signature(&c->d[i]);
            c->d[i].error = 1;
        }
        schedule(s, c, d, cd ? 0 : ATA_ST_DRDY | ATA_ST_DSC, true);
        return;
    case 0xa0:                                        /* PACKET */
        if (!cd)
            break;
        d->pkt_dma = d->feature & 1;
        d->nsect = 0x01;                              /* C/D = 1, I/O = 0: command packet */
        d->phase = PH_PACKET;
        d->pos = 0;
        d->end = 12;
        schedule(s, c, d, ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ, false);
        d->phase = PH_PACKET;
        return;
    case 0xa1:                                        /* IDENTIFY PACKET DEVICE */
        if (!cd)
            break;
        atapi_identify(d, (uint16_t *)d->buf);
        pio_in_buffer(s, c, d);
        return;
    case 0xec:                                        /* IDENTIFY DEVICE */
        if (cd) {
            set_signature(d);                         /* how a host tells a packet device */
            break;
        }
        ata_identify(d, (uint16_t *)d->buf);
        pio_in_buffer(s, c, d);
        return;
    case 0xef:                                        /* SET FEATURES */
        if (!set_features(d))
            break;
        ata_done(s, c, d);
        return;
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe5: case 0xe6:   /* power management */
        if (cmd == 0xe5)
            d->nsect = 0xff;                          /* CHECK POWER MODE: active or idle */
        ata_done(s, c, d);
        return;
    }
    if (cd) {
        ata_abort(s, c, d, ATA_ER_ABRT);
        return;
    }
    switch (cmd) {
    case 0x20: case 0x21: case 0x24:                  /* READ SECTOR(S) (EXT) */
        ata_rw(s, c, d, cmd, false, false, 1);
        return;
    case 0x30: case 0x31: case 0x34:                  /* WRITE SECTOR(S) (EXT) */
        ata_rw(s, c, d, cmd, true, false, 1);
        return;
    case 0xc4: case 0x29: case 0xc5: case 0x39:       /* READ/WRITE MULTIPLE (EXT) */
        if (!d->mult)
            break;
        ata_rw(s, c, d, cmd, cmd == 0xc5 || cmd == 0x39, false, d->mult);
        return;
    case 0xc8: case 0xc9: case 0x25:                  /* READ DMA (EXT) */
        ata_rw(s, c, d, cmd, false, true, 0);
        return;
    case 0xca: case 0xcb: case 0x35:                  /* WRITE DMA (EXT) */
        ata_rw(s, c, d, cmd, true, true, 0);
        return;
    case 0x40: case 0x41: case 0x42: {                /* READ VERIFY SECTOR(S) (EXT) */
        uint64_t lba, count;
        if (!ata_range(d, cmd == 0x42, &lba, &count)) {
            ata_abort(s, c, d, ATA_ER_IDNF | ATA_ER_ABRT);
            return;
        }
        ata_done(s, c, d);
        return;
    }
    case 0xc6:                                        /* SET MULTIPLE MODE */
        if (d->nsect > IDE_MAX_MULT || (d->nsect & (d->nsect - 1)))
            break;
        d->mult = d->nsect;
        ata_done(s, c, d);
        return;
    case 0x91:                                        /* INITIALIZE DEVICE PARAMETERS */
        if (!d->nsect)
            break;
        d->spt = d->nsect;
        d->heads = (uint16_t)((d->select & 0x0f) + 1);
        {
            uint64_t cy = d->sectors / ((uint64_t)d->heads * d->spt);
            d->cyls = (uint16_t)(cy > 65535 ? 65535 : cy);
        }
        ata_done(s, c, d);
        return;
    case 0xe7: case 0xea:                             /* FLUSH CACHE (EXT) */
        if (blockdev_flush(d->bd) < 0) {
            ata_abort(s, c, d, ATA_ER_ABRT);
            return;
        }
        ata_done(s, c, d);
        return;
    case 0x70:                                        /* SEEK */
        ata_done(s, c, d);
        return;
    }
    if ((cmd & 0xf0) == 0x10) {                       /* RECALIBRATE */
        ata_done(s, c, d);
        return;
    }
    ata_abort(s, c, d, ATA_ER_ABRT);
}

/* ---- the data register ---- */

static void pio_block_done(Ide *s, IdeChannel *c, IdeDrive *d)
{
    if (d->kind == IDE_CDROM) {
        if (d->phase == PH_PACKET) {
            memcpy(d->cdb, d->buf, 12);
            d->phase = PH_IDLE;
            d->status = ATA_ST_BSY;
            atapi_packet(s, c, d);
        } else {
            atapi_next_chunk(s, c, d);
        }
        return;
    }
    if (d->phase == PH_PIO_IN) {
        if (d->left) {
            pio_in_next_block(s, c, d);
        } else {
            d->phase = PH_IDLE;
            d->status = ATA_ST_DRDY | ATA_ST_DSC;     /* no INTRQ after the last data-in block */
        }
        return;
    }
    uint64_t n = d->end / IDE_SECTOR;
    if (blockdev_write(d->bd, d->lba * IDE_SECTOR, d->buf, d->end) < 0) {
        ata_abort(s, c, d, ATA_ER_ABRT);
        return;
    }
    d->lba += n;
    d->left -= n;
    if (d->left) {
        pio_out_window(d);
        schedule(s, c, d, ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ, true);
    } else {
        ata_done(s, c, d);
    }
}

static uint32_t data_read(Ide *s, IdeChannel *c, IdeDrive *d, int size)
{
    if (d->phase != PH_PIO_IN || !(d->status & ATA_ST_DRQ))
        return 0xffffffffu >> (32 - 8 * size);
    uint32_t v = 0;
    for (int i = 0; i < size && d->pos < IDE_BUF_SIZE; i++)
        v |= (uint32_t)d->buf[d->pos++] << (8 * i);
    if (d->pos >= d->end)
        pio_block_done(s, c, d);
    return v;
}

static void data_write(Ide *s, IdeChannel *c, IdeDrive *d, int size, uint32_t val)
{
    if ((d->phase != PH_PIO_OUT && d->phase != PH_PACKET) || !(d->status & ATA_ST_DRQ))
        return;
    for (int i = 0; i < size && d->pos < d->end; i++)
        d->buf[d->pos++] = (uint8_t)(val >> (8 * i));
    if (d->pos >= d->end)
        pio_block_done(s, c, d);
}

/* ---- register file ---- */

static void soft_reset(Ide *s, IdeChannel *c)
{
    clock_set_deadline(s->clock, c->ev, CLOCK_NEVER);
    for (int i = 0; i < 2; i++) {
        IdeDrive *d = &c->d[i];
        d->phase = PH_IDLE;
        d->intrq = false;
        d->select = 0;
        set_signature(d);
        d->error = 1;
        d->status = d->kind == IDE_DISK ? ATA_ST_DRDY | ATA_ST_DSC : 0;
        d->sense_key = d->asc = d->ascq = 0;
    }
    c->cur = 0;
    update_irq(c);
}

uint32_t ide_ioport_read(Ide *s, int ch, int reg, int size)
{
    IdeChannel *c = &s->ch[ch & 1];
    IdeDrive *d = &c->d[c->cur];
    /* An absent device drives nothing; the host's pull-down on DD7 (ATA/ATAPI-6, 9.2) keeps
     * BSY clear.  XXX: the other lines read 0 too, as on QEMU, rather than floating. */
    if (d->kind == IDE_NONE)
        return 0;
    if (reg == 0)
        return data_read(s, c, d, size);
    bool hob = c->devctl & ATA_DC_HOB;
    switch (reg) {
    case 1: return hob ? d->hob_feature : d->error;
    case 2: return hob ? d->hob_nsect : d->nsect;
    case 3: return hob ? d->hob_lbal : d->lbal;
    case 4: return hob ? d->hob_lbam : d->lbam;
    case 5: return hob ? d->hob_lbah : d->lbah;
    case 6: return d->select | 0xa0;
    case 7:
        d->intrq = false;
        update_irq(c);
        return d->status;
    default:                                          /* alternate status */
        return d->status;
    }
}

void ide_ioport_write(Ide *s, int ch, int reg, int size, uint32_t val)
{
    IdeChannel *c = &s->ch[ch & 1];
    uint8_t v = (uint8_t)val;
    if (reg == 0) {
        IdeDrive *d = &c->d[c->cur];
        if (d->kind != IDE_NONE)
            data_write(s, c, d, size, val);
        return;
    }
    if (reg == 8) {
        uint8_t old = c->devctl;
        c->devctl = v;
        if ((old & ATA_DC_SRST) && !(v & ATA_DC_SRST))
            soft_reset(s, c);
        else if (v & ATA_DC_SRST)
            for (int i = 0; i < 2; i++)
                c->d[i].status = ATA_ST_BSY;
        update_irq(c);
        return;
    }
    c->devctl &= (uint8_t)~ATA_DC_HOB;                /* any task-file write clears HOB */
    for (int i = 0; i < 2; i++) {
        IdeDrive *d = &c->d[i];
        switch (reg) {
        case 1: d->hob_feature = d->feature; d->feature = v; break;
        case 2: d->hob_nsect = d->nsect; d->nsect = v; break;
        case 3: d->hob_lbal = d->lbal; d->lbal = v; break;
        case 4: d->hob_lbam = d->lbam; d->lbam = v; break;
        case 5: d->hob_lbah = d->lbah; d->lbah = v; break;
        case 6: d->select = v; break;
        }
    }
    if (reg == 6) {
        c->cur = (v >> 4) & 1;
        update_irq(c);
        return;
    }
    if (reg != 7)
        return;
    IdeDrive *d = &c->d[c->cur];
    if (d->kind == IDE_NONE)
        return;
    if ((d->status & ATA_ST_BSY) && !(d->kind == IDE_CDROM && v == 0x08))
        return;                                       /* a busy device ignores commands */
    d->intrq = false;
    update_irq(c);
    ata_command(s, c, d, v);
}

/* ---- bus-master registers ---- */

uint32_t ide_bm_read(Ide *s, int ch, int reg, int size)
{
    IdeChannel *c = &s->ch[ch & 1];
    uint8_t bytes[8] = { c->bm_cmd, 0, c->bm_status, 0, (uint8_t)c->bm_prd, (uint8_t)(c->bm_prd >> 8),
                         (uint8_t)(c->bm_prd >> 16), (uint8_t)(c->bm_prd >> 24) };
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)bytes[(reg + i) & 7] << (8 * i);
    return v;
}

void ide_bm_write(Ide *s, int ch, int reg, int size, uint32_t val)
{
    IdeChannel *c = &s->ch[ch & 1];
    for (int i = 0; i < size; i++) {
        int r = (reg + i) & 7;
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (r == 0) {
            uint8_t old = c->bm_cmd;
            c->bm_cmd = b & (BM_CMD_START | BM_CMD_READ);
            if (!(old & BM_CMD_START) && (b & BM_CMD_START)) {
                c->bm_status |= BM_ST_ACTIVE;
                dma_run(s, c);
            } else if (!(b & BM_CMD_START)) {
                c->bm_status &= (uint8_t)~BM_ST_ACTIVE;
            }
        } else if (r == 2) {
            c->bm_status = (uint8_t)((c->bm_status & ~(0x60 | (b & (BM_ST_ERROR | BM_ST_INTR)))) | (b & 0x60));
        } else if (r >= 4) {
            int sh = 8 * (r - 4);
            c->bm_prd = (c->bm_prd & ~(0xffu << sh)) | (uint32_t)b << sh;
            c->bm_prd &= ~3u;
        }
    }
}

/* ---- port and PCI glue ---- */

static uint32_t cmd_read(void *opaque, uint16_t port, int size)
{
    IdeChannel *c = opaque;
    return ide_ioport_read(c->owner, (int)(c - c->owner->ch), port & 7, size);
}

static void cmd_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    IdeChannel *c = opaque;
    ide_ioport_write(c->owner, (int)(c - c->owner->ch), port & 7, size, val);
}

static uint32_t ctl_read(void *opaque, uint16_t port, int size)
{
    (void)port;
    IdeChannel *c = opaque;
    return ide_ioport_read(c->owner, (int)(c - c->owner->ch), 8, size);
}

static void ctl_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    (void)port;
    IdeChannel *c = opaque;
    ide_ioport_write(c->owner, (int)(c - c->owner->ch), 8, size, val);
}

static uint32_t bm_read(void *opaque, uint16_t port, int size)
{
    Ide *s = opaque;
    uint16_t off = (uint16_t)(port - s->bmiba);
    return ide_bm_read(s, (off >> 3) & 1, off & 7, size);
}

static void bm_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    Ide *s = opaque;
    uint16_t off = (uint16_t)(port - s->bmiba);
    ide_bm_write(s, (off >> 3) & 1, off & 7, size, val);
}

static const IoOps data_ops = { cmd_read, cmd_write, 4 };
static const IoOps cmd_ops = { cmd_read, cmd_write, 1 };
static const IoOps ctl_ops = { ctl_read, ctl_write, 1 };
static const IoOps bm_ops = { bm_read, bm_write, 4 };

/* BAR4 follows the guest's base and the command register's I/O-space bit.  All 28 address bits
 * are writable, as firmware sizing expects of a 16-port I/O BAR (SeaBIOS writes ~0 and derives
 * the size from every bit that reads back); a base beyond the 64 KiB port space decodes nothing. */
static void ide_pci_update(void *opaque, const uint8_t *cfg)
{
    Ide *s = opaque;
    uint32_t bar = (uint32_t)cfg[0x20] | (uint32_t)cfg[0x21] << 8 | (uint32_t)cfg[0x22] << 16 |
                   (uint32_t)cfg[0x23] << 24;
    uint16_t base = (cfg[0x04] & 1) && !(bar & 0xffff0000u) ? (uint16_t)(bar & 0xfff0) : 0;
    if (base == s->bmiba)
        return;
    io_unregister(s->io, &bm_ops, s);
    s->bmiba = 0;
    if (base && io_register(s->io, base, 16, &bm_ops, s) == 0)
        s->bmiba = base;
}

Ide *ide_new(IoBus *io, PhysMem *mem, Clock *clock, PciState *pci, int devfn, IrqLine irq14, IrqLine irq15)
{
    Ide *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->io = io;
    s->mem = mem;
    s->clock = clock;
    static const uint16_t cmd_base[2] = { 0x1f0, 0x170 }, ctl_port[2] = { 0x3f6, 0x376 };
    for (int i = 0; i < 2; i++) {
        IdeChannel *c = &s->ch[i];
        c->owner = s;
        c->irq = i ? irq15 : irq14;
        c->ev = clock_add_event(clock, on_event, c);
        if (c->ev < 0 ||
            io_register(io, cmd_base[i], 1, &data_ops, c) < 0 ||
            io_register(io, (uint16_t)(cmd_base[i] + 1), 7, &cmd_ops, c) < 0 ||
            io_register(io, ctl_port[i], 1, &ctl_ops, c) < 0) {
            ide_free(s);
            return NULL;
        }
    }
    if (pci) {
        s->pci = pci_add_function(pci, devfn, 0x8086, 0x7010, 0x00, 0x010180, 0x00, ide_pci_update, s);
        if (!s->pci) {
            ide_free(s);
            return NULL;
        }
        pci_func_init_reg(s->pci, 0x20, 4, 0x01, 0xfffffff0);   /* BAR4: 16 I/O ports */
        /* XXX: IDETIM (0x40, 0x42) powers up 0 on a PIIX3, leaving decode to the firmware;
         * with -kernel nobody sets it and Linux's ata_piix skips a channel whose enable bit
         * (bit 15) is clear, so it comes up set, as QEMU's firmware leaves it. */
        pci_func_init_reg(s->pci, 0x40, 2, 0x8000, 0xffff);
        pci_func_init_reg(s->pci, 0x42, 2, 0x8000, 0xffff);
        pci_func_init_reg(s->pci, 0x44, 1, 0, 0xff);        /* SIDETIM */
    }
    return s;
}

int ide_attach(Ide *s, int channel, int unit, int kind, BlockDev *bd)
{
    IdeDrive *d = &s->ch[channel & 1].d[unit & 1];
    if (d->kind != IDE_NONE || kind == IDE_NONE || (kind == IDE_DISK && !bd))
        return -1;
    d->kind = kind;
    d->bd = bd;
    uint32_t ss = kind == IDE_CDROM ? CD_SECTOR : IDE_SECTOR;
    d->sectors = bd ? blockdev_size(bd) / ss : 0;
    return 0;
}

void ide_reset(Ide *s)
{
    for (int i = 0; i < 2; i++) {
        IdeChannel *c = &s->ch[i];
        c->devctl = 0;
        c->bm_cmd = c->bm_status = 0;
        c->bm_prd = 0;
        for (int u = 0; u < 2; u++) {
            IdeDrive *d = &c->d[u];
            d->mult = 0;
            d->xfer_mode = 0;
            d->wcache = true;
            d->feature = d->hob_feature = d->hob_nsect = d->hob_lbal = d->hob_lbam = d->hob_lbah = 0;
            default_geometry(d);
        }
        soft_reset(s, c);
    }
}

void ide_free(Ide *s)
{
    if (!s)
        return;
    for (int i = 0; i < 2; i++)
        for (int u = 0; u < 2; u++)
            blockdev_free(s->ch[i].d[u].bd);
    free(s);
}

bool ide_overlay_dirty(const Ide *s)
{
    for (int i = 0; i < 2; i++)
        for (int u = 0; u < 2; u++)
            if (s->ch[i].d[u].bd && blockdev_overlay_dirty(s->ch[i].d[u].bd))
                return true;
    return false;
}

/* ---- the state description (vm/state.h): the task files, the transfer in progress with its
 * buffer, the ATAPI packet and sense data, the bus-master registers and the completion event
 * (saved by vm/state.c as an event of this section).  The PCI side (BAR4, IDETIM, SIDETIM) is
 * the pci section's configuration space; BMIBA follows it.
 * XXX: a snapshot does not hold the disk images: they are the user's files, and a run restored
 * from it must be given the same images in the same state.  Writes held by a -snapshot overlay
 * would be lost, so vm_snapshot_save refuses while an overlay holds any (ide_overlay_dirty);
 * in-memory checkpoints (vm/checkpoint.c) do not roll the images back either. ---- */

static const StateField ide_drive_fields[] = {
    STATE_U(IdeDrive, cyls), STATE_U(IdeDrive, heads), STATE_U(IdeDrive, spt),
    STATE_U(IdeDrive, feature), STATE_U(IdeDrive, hob_feature), STATE_U(IdeDrive, nsect),
    STATE_U(IdeDrive, hob_nsect), STATE_U(IdeDrive, lbal), STATE_U(IdeDrive, hob_lbal), STATE_U(IdeDrive, lbam),
    STATE_U(IdeDrive, hob_lbam), STATE_U(IdeDrive, lbah), STATE_U(IdeDrive, hob_lbah), STATE_U(IdeDrive, select),
    STATE_U(IdeDrive, status), STATE_U(IdeDrive, error), STATE_B(IdeDrive, intrq), STATE_U(IdeDrive, mult),
    STATE_U(IdeDrive, xfer_mode), STATE_B(IdeDrive, wcache), STATE_U(IdeDrive, phase), STATE_U(IdeDrive, cmd),
    STATE_B(IdeDrive, is_write), STATE_U(IdeDrive, secsize), STATE_U(IdeDrive, lba), STATE_U(IdeDrive, left),
    STATE_U(IdeDrive, block), STATE_BYTES_V(IdeDrive, buf, 1), STATE_U(IdeDrive, pos), STATE_U(IdeDrive, end),
    STATE_U(IdeDrive, len), STATE_U(IdeDrive, drq_limit), STATE_A(IdeDrive, cdb), STATE_B(IdeDrive, pkt_dma),
    STATE_U(IdeDrive, sense_key), STATE_U(IdeDrive, asc), STATE_U(IdeDrive, ascq),
};
static const StateField ide_drive_host_fields[] = {
    STATE_HOST(IdeDrive, kind),     /* configuration: the command line's -hda/-cdrom */
    STATE_HOST(IdeDrive, bd),       /* the image (not in the snapshot, see above) */
    STATE_HOST(IdeDrive, sectors),  /* derived: the image's size */
};
static const StateDesc ide_drive_state_desc = {
    "ide-drive", 1, sizeof(IdeDrive), ide_drive_fields, STATE_COUNT(ide_drive_fields), ide_drive_host_fields,
    STATE_COUNT(ide_drive_host_fields), NULL,
};

static const StateField ide_channel_fields[] = {
    STATE_S(IdeChannel, d, IdeDrive, ide_drive_state_desc), STATE_U(IdeChannel, cur), STATE_U(IdeChannel, devctl),
    STATE_U(IdeChannel, irq_level), STATE_U(IdeChannel, ev_drive), STATE_U(IdeChannel, ev_status),
    STATE_B(IdeChannel, ev_irq), STATE_U(IdeChannel, bm_cmd), STATE_U(IdeChannel, bm_status),
    STATE_U(IdeChannel, bm_prd),
};
static const StateField ide_channel_host_fields[] = {
    STATE_HOST(IdeChannel, owner), STATE_HOST(IdeChannel, irq), STATE_HOST(IdeChannel, ev),
};
static const StateDesc ide_channel_state_desc = {
    "ide-channel", 1, sizeof(IdeChannel), ide_channel_fields, STATE_COUNT(ide_channel_fields),
    ide_channel_host_fields, STATE_COUNT(ide_channel_host_fields), NULL,
};

static const StateField ide_fields[] = {
    STATE_S(Ide, ch, IdeChannel, ide_channel_state_desc),
};
static const StateField ide_host_fields[] = {
    STATE_HOST(Ide, io), STATE_HOST(Ide, dma_written), STATE_HOST(Ide, dma_opaque), STATE_HOST(Ide, mem),
    STATE_HOST(Ide, clock), STATE_HOST(Ide, pci),
    STATE_HOST(Ide, bmiba),         /* derived: BAR4 and the command register (pci section) */
};

/* The values the handlers use as buffer offsets, sector sizes and drive indices. */
static bool drive_check(const IdeDrive *d, char *err, size_t errlen)
{
    if (d->phase < PH_IDLE || d->phase > PH_DMA) {
        snprintf(err, errlen, "transfer phase %d", d->phase);
        return false;
    }
    if (d->pos > IDE_BUF_SIZE || d->end > IDE_BUF_SIZE || d->len > IDE_BUF_SIZE) {
        snprintf(err, errlen, "buffer position %u, end %u, length %u", d->pos, d->end, d->len);
        return false;
    }
    if (d->block > IDE_BUF_SIZE / IDE_SECTOR || d->mult > IDE_MAX_MULT) {
        snprintf(err, errlen, "DRQ block of %u sectors (multiple %u)", d->block, d->mult);
        return false;
    }
    if (d->phase == PH_IDLE)
        return true;
    if (d->kind == IDE_NONE) {
        snprintf(err, errlen, "a transfer on an absent drive");
        return false;
    }
    if (d->secsize != IDE_SECTOR && d->secsize != CD_SECTOR) {
        snprintf(err, errlen, "sector size %u", d->secsize);
        return false;
    }
    if (d->left && (!d->bd || d->secsize != (d->kind == IDE_CDROM ? CD_SECTOR : IDE_SECTOR) ||
                    d->lba > d->sectors || d->left > d->sectors - d->lba)) {
        snprintf(err, errlen, "%llu sectors left at sector %llu", (unsigned long long)d->left,
                 (unsigned long long)d->lba);
        return false;
    }
    return true;
}

static bool ide_post_load(void *obj, char *err, size_t errlen)
{
    Ide *s = obj;
    for (int i = 0; i < 2; i++) {
        const IdeChannel *c = &s->ch[i];
        if ((c->cur & ~1) || (c->ev_drive & ~1) || (c->irq_level & ~1)) {
            snprintf(err, errlen, "channel %d: drive %d, event drive %d, IRQ level %d", i, c->cur, c->ev_drive,
                     c->irq_level);
            return false;
        }
        for (int u = 0; u < 2; u++) {
            if (!drive_check(&c->d[u], err, errlen)) {
                size_t n = strlen(err);
                snprintf(err + n, errlen > n ? errlen - n : 0, " (channel %d, drive %d)", i, u);
                return false;
            }
        }
    }
    /* the bus-master ports where the loaded BAR4 puts them */
    if (s->pci)
        ide_pci_update(s, s->pci->cfg);
    return true;
}

const StateDesc ide_state_desc = {
    "ide", 1, sizeof(Ide), ide_fields, STATE_COUNT(ide_fields), ide_host_fields, STATE_COUNT(ide_host_fields),
    ide_post_load,
};
