/*
 * atapi.c — the packet commands of the IDE CD-ROM (see ide.h).
 *
 * Specs: SFF-8020i / ATA/ATAPI-6 for IDENTIFY PACKET DEVICE and the PACKET protocol; MMC-3
 * (T10/1363-D) and SPC-2 for the commands: TEST UNIT READY, REQUEST SENSE, INQUIRY, READ
 * CAPACITY, READ(10)/(12), MODE SENSE(10), GET CONFIGURATION, READ TOC/PMA/ATIP formats 0 and 1,
 * GET EVENT STATUS NOTIFICATION (polled), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL,
 * MECHANISM STATUS, READ DISC INFORMATION.  The medium is a single-session data disc with one
 * track; its image holds 2048-byte user-data sectors (an ISO 9660 image).  The medium cannot be
 * changed while running, so no UNIT ATTENTION is ever reported.
 */
#include <string.h>

#include "devices/ide.h"

/* Sense keys and additional sense codes (SPC-2 tables 107 and 108) */
#define SK_NOT_READY 0x02
#define SK_ILLEGAL_REQUEST 0x05
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_NO_MEDIUM 0x3a

#define CD_MAX_SECTORS 404850         /* beyond a 90-minute CD: report a DVD-ROM profile */

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

void atapi_identify(IdeDrive *d, uint16_t *w)
{
    (void)d;
    memset(w, 0, 512);
    w[0] = 0x85c0;            /* ATAPI, CD-ROM (5), removable, 50 us DRQ, 12-byte packets */
    ide_put_string(w, 10, 10, "SV00000002");
    ide_put_string(w, 23, 4, "1.0");
    ide_put_string(w, 27, 20, "SOFTVISOR DVD-ROM");
    w[49] = 1 << 9 | 1 << 8;  /* LBA, DMA */
    w[53] = 7;
    w[62] = 7;
    w[63] = 7;
    w[64] = 3;
    w[65] = w[66] = w[67] = w[68] = 120;
    w[71] = 30;
    w[72] = 30;
    w[80] = 0x1e;             /* ATA/ATAPI-1 to -4 */
    w[82] = 1 << 14 | 1 << 4; /* NOP, PACKET */
    w[83] = 1 << 14;
    w[84] = 1 << 14;
    w[85] = 1 << 14 | 1 << 4;
    w[87] = 1 << 14;
    w[88] = 0x3f;
    w[93] = 1 << 14 | 1 << 13 | 1;
}

static uint8_t *lba_to_msf(uint8_t *p, uint32_t lba)
{
    lba += 150;               /* the 2-second pregap */
    p[0] = 0;
    p[1] = (uint8_t)(lba / (60 * 75));
    p[2] = (uint8_t)(lba / 75 % 60);
    p[3] = (uint8_t)(lba % 75);
    return p + 4;
}

static void put_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (msf)
        lba_to_msf(p, lba);
    else
        put32(p, lba);
}

/* READ TOC/PMA/ATIP; returns the response length or -1 for an invalid field. */
static int read_toc(const IdeDrive *d, uint8_t *b)
{
    bool msf = d->cdb[1] & 2;
    int format = d->cdb[2] & 0x0f;
    if (!format)
        format = d->cdb[9] >> 6;  /* the older place of the format field */
    uint32_t leadout = (uint32_t)d->sectors;
    int n;
    if (format == 0) {
        int start = d->cdb[6];
        if (start > 1 && start != 0xaa)
            return -1;
        n = 4;
        if (start <= 1) {
            b[n] = 0;
            b[n + 1] = 0x14;      /* ADR 1, control: data track */
            b[n + 2] = 1;
            b[n + 3] = 0;
            put_addr(b + n + 4, 0, msf);
            n += 8;
        }
        b[n] = 0;
        b[n + 1] = 0x14;
        b[n + 2] = 0xaa;
        b[n + 3] = 0;
        put_addr(b + n + 4, leadout, msf);
        n += 8;
    } else if (format == 1) {
        n = 12;
        memset(b + 4, 0, 8);
        b[5] = 0x14;
        b[6] = 1;
        put_addr(b + 8, 0, msf);
    } else {
        return -1;
    }
    put16(b, (uint32_t)n - 2);
    b[2] = 1;
    b[3] = 1;
    return n;
}

static int mode_sense(const IdeDrive *d, uint8_t *b)
{
    int page = d->cdb[2] & 0x3f;
    memset(b, 0, 8);
    b[2] = d->bd ? 0x01 : 0x70;   /* medium type: 120 mm data disc / door closed, no disc */
    int n = 8;
    if (page == 0x01 || page == 0x3f) {          /* read error recovery */
        memset(b + n, 0, 12);
        b[n] = 0x01;
        b[n + 1] = 0x0a;
        b[n + 3] = 5;                            /* read retry count */
        n += 12;
    }
    if (page == 0x2a || page == 0x3f) {          /* CD capabilities and mechanical status */
        memset(b + n, 0, 28);
        b[n] = 0x2a;
        b[n + 1] = 0x1a;
        b[n + 2] = 0x3b;                         /* reads CD-R, CD-RW, method 2, DVD-ROM, ... */
        b[n + 4] = 0x71;                         /* audio play, multisession, mode 2 forms */
        b[n + 5] = 0xff;
        b[n + 6] = 0x2d;                         /* lock, eject, tray loading mechanism */
        b[n + 7] = 0x03;
        put16(b + n + 8, 704);                   /* max read speed, kB/s (4x) */
        put16(b + n + 10, 2);                    /* volume levels */
        put16(b + n + 12, 512);                  /* buffer size, KiB */
        put16(b + n + 14, 704);                  /* current read speed */
        n += 28;
    }
    if (n == 8)
        return -1;
    put16(b, (uint32_t)n - 2);
    return n;
}

static int get_configuration(const IdeDrive *d, uint8_t *b)
{
    uint32_t profile = !d->bd ? 0 : d->sectors > CD_MAX_SECTORS ? 0x0010 : 0x0008;
    memset(b, 0, 32);
    put16(b + 6, profile);
    /* feature 0: profile list, DVD-ROM then CD-ROM */
    b[10] = 0x03;             /* persistent, current */
    b[11] = 8;
    put16(b + 12, 0x0010);
    b[14] = profile == 0x0010;
    put16(b + 16, 0x0008);
    b[18] = profile == 0x0008;
    /* feature 1: core, physical interface ATAPI */
    put16(b + 20, 0x0001);
    b[22] = 0x0b;             /* version 2, persistent, current */
    b[23] = 8;
    put32(b + 24, 2);
    b[28] = 1;                /* DBE */
    put32(b, 32 - 4);
    return 32;
}

void atapi_packet(Ide *s, IdeChannel *c, IdeDrive *d)
{
    const uint8_t *cdb = d->cdb;
    uint8_t *b = d->buf;
    bool dma = d->pkt_dma;
    bool medium = d->bd != NULL;
    int len = 0;
    uint32_t alloc = 0;
    switch (cdb[0]) {
    case 0x03:                                        /* REQUEST SENSE */
        memset(b, 0, 18);
        b[0] = 0x70;
        b[2] = d->sense_key;
        b[7] = 10;
        b[12] = d->asc;
        b[13] = d->ascq;
        len = 18;
        alloc = cdb[4];
        d->sense_key = d->asc = d->ascq = 0;
        break;
    case 0x12:                                        /* INQUIRY */
        memset(b, 0, 36);
        b[0] = 0x05;                                  /* CD/DVD device */
        b[1] = 0x80;                                  /* removable */
        b[2] = 0x00;
        b[3] = 0x21;                                  /* ATAPI, response data format 1 */
        b[4] = 31;
        memcpy(b + 8, "SOFTVSR ", 8);
        memcpy(b + 16, "SOFTVISOR DVDROM", 16);
        memcpy(b + 32, "1.0 ", 4);
        len = 36;
        alloc = cdb[4];
        break;
    case 0x00:                                        /* TEST UNIT READY */
    case 0x1b:                                        /* START STOP UNIT */
    case 0x1e:                                        /* PREVENT ALLOW MEDIUM REMOVAL */
    case 0x2b:                                        /* SEEK(10) */
    case 0xbb:                                        /* SET CD SPEED */
        if (cdb[0] == 0x00 && !medium) {
            ide_atapi_error(s, c, d, SK_NOT_READY, ASC_NO_MEDIUM);
            return;
        }
        ide_atapi_done(s, c, d);
        return;
    case 0x25:                                        /* READ CAPACITY */
        if (!medium) {
            ide_atapi_error(s, c, d, SK_NOT_READY, ASC_NO_MEDIUM);
            return;
        }
        put32(b, d->sectors ? (uint32_t)d->sectors - 1 : 0);
        put32(b + 4, CD_SECTOR);
        len = 8;
        alloc = 8;
        break;
    case 0x28:                                        /* READ(10) */
    case 0xa8: {                                      /* READ(12) */
        if (!medium) {
            ide_atapi_error(s, c, d, SK_NOT_READY, ASC_NO_MEDIUM);
            return;
        }
        uint64_t lba = be32(cdb + 2);
        uint64_t count = cdb[0] == 0x28 ? be16(cdb + 7) : be32(cdb + 6);
        if (lba > d->sectors || count > d->sectors - lba) {
            ide_atapi_error(s, c, d, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
            return;
        }
        ide_data_in_sectors(s, c, d, lba, count, dma);
        return;
    }
    case 0x5a:                                        /* MODE SENSE(10) */
        len = mode_sense(d, b);
        alloc = be16(cdb + 7);
        break;
    case 0x46:                                        /* GET CONFIGURATION */
        len = get_configuration(d, b);
        alloc = be16(cdb + 7);
        break;
    case 0x43:                                        /* READ TOC/PMA/ATIP */
        if (!medium) {
            ide_atapi_error(s, c, d, SK_NOT_READY, ASC_NO_MEDIUM);
            return;
        }
        len = read_toc(d, b);
        alloc = be16(cdb + 7);
        break;
    case 0x4a:                                        /* GET EVENT STATUS NOTIFICATION */
        if (!(cdb[1] & 1)) {                          /* only polled operation */
            len = -1;
            break;
        }
        memset(b, 0, 8);
        if (cdb[4] & 0x10) {                          /* media class requested */
            put16(b, 6);
            b[2] = 0x04;
            b[3] = 0x10;
            b[5] = medium ? 0x02 : 0x00;              /* media present, door closed */
            len = 8;
        } else {
            put16(b, 2);
            b[2] = 0x80;                              /* no event available */
            b[3] = 0x10;
            len = 4;
        }
        alloc = be16(cdb + 7);
        break;
    case 0xbd:                                        /* MECHANISM STATUS */
        memset(b, 0, 8);
        len = 8;
        alloc = be16(cdb + 8);
        break;
    case 0x51:                                        /* READ DISC INFORMATION */
        if (!medium) {
            ide_atapi_error(s, c, d, SK_NOT_READY, ASC_NO_MEDIUM);
            return;
        }
        if (cdb[1] & 7) {                             /* only standard disc information */
            len = -1;
            break;
        }
        memset(b, 0, 34);
        put16(b, 32);
        b[2] = 0x0e;                                  /* complete disc, complete last session */
        b[3] = 1;
        b[4] = 1;
        b[5] = 1;
        b[6] = 1;
        b[7] = 0x20;                                  /* unrestricted use */
        len = 34;
        alloc = be16(cdb + 7);
        break;
    default:
        ide_atapi_error(s, c, d, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
        return;
    }
    if (len < 0) {
        ide_atapi_error(s, c, d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        return;
    }
    ide_data_in_buf(s, c, d, (uint32_t)len < alloc ? (uint32_t)len : alloc, dma);
}
