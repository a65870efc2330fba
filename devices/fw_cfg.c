/*
 * fw_cfg.c — QEMU's firmware configuration device, x86 I/O port flavour, as QEMU's
 * docs/specs/fw_cfg.rst describes it and SeaBIOS (src/fw/paravirt.c) uses it.
 *
 *   0x510  selector, 16-bit write, little endian: picks an item and sets the data offset to 0.
 *          Bit 14 once meant "write mode" (ignored since QEMU 2.4: the data port is read-only),
 *          bit 15 marks an architecture-specific item (0x8000-0x8004 on x86).
 *   0x511  data, 8-bit: each read returns the next byte of the selected item and advances the
 *          offset; past the end, or for an absent item, it reads 0.  Writes are ignored.
 *   0x514  DMA address, 64-bit big endian as two 32-bit halves: a write to 0x514 sets the high
 *          half, a write to 0x518 sets the low half and starts the transfer.  Reading the eight
 *          bytes gives the signature "QEMU CFG".
 *
 * Items: 0x00 signature "QEMU"; 0x01 ID, 32-bit little endian, bit 0 traditional interface,
 * bit 1 DMA; 0x19 file directory: a 32-bit big-endian count, then per file a 64-byte entry of
 * 32-bit size, 16-bit selector, 16 reserved bits (all big endian) and a NUL-terminated name of
 * up to 56 bytes.  Files take selectors from 0x20 upwards in the order they are added.  Other
 * keys (RAM size, CPU counts, ...) are little-endian integers the board adds.
 *
 * DMA descriptor (FWCfgDmaAccess), 16 bytes, big endian, at the DMA address:
 *   u32 control: bit 0 error, 1 read, 2 skip, 3 select (key in bits 31:16), 4 write
 *   u32 length, u64 address
 * The transfer selects first (offset 0) when asked, then reads `length` bytes of the item into
 * guest memory at `address` (zeros past its end), skips them, or writes them (no item here is
 * writable: error).  On completion the device writes control back as 0, or with the error bit
 * when a guest address lay outside RAM or a write was refused.  The transfer is synchronous: it
 * is done when the OUT to 0x518 retires.
 * XXX: only 32-bit accesses to the DMA address halves start or set anything (what SeaBIOS,
 * OVMF and Linux do); narrower writes there are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "vm/state.h"

#define FW_CFG_ID_TRADITIONAL 0x1u
#define FW_CFG_ID_DMA 0x2u
#define FW_CFG_DIR_ENTRY 64u
#define FW_CFG_SEL_KEY_MASK 0xbfffu      /* bit 14, the old write-mode flag, is not part of the key */

#define DMA_CTL_ERROR 0x01u
#define DMA_CTL_READ 0x02u
#define DMA_CTL_SKIP 0x04u
#define DMA_CTL_SELECT 0x08u
#define DMA_CTL_WRITE 0x10u
#define DMA_DESC_LEN 16u
#define DMA_CHUNK 4096u

static const char dma_signature[8] = { 'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G' };

static uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static FwCfgItem *fw_cfg_find(FwCfgState *s, uint16_t key)
{
    for (int i = 0; i < s->n; i++)
        if (s->item[i].key == key)
            return &s->item[i];
    return NULL;
}

int fw_cfg_add(FwCfgState *s, uint16_t key, const void *data, uint32_t len)
{
    FwCfgItem *it = fw_cfg_find(s, key);
    if (!it) {
        if (s->n >= FW_CFG_MAX_ITEMS)
            return -1;
        it = &s->item[s->n++];
        *it = (FwCfgItem){ key, 0, NULL };
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    if (len)
        memcpy(copy, data, len);
    free(it->data);
    it->data = copy;
    it->len = len;
    return 0;
}

int fw_cfg_add_u16(FwCfgState *s, uint16_t key, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    return fw_cfg_add(s, key, b, sizeof(b));
}

int fw_cfg_add_u32(FwCfgState *s, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add(s, key, b, sizeof(b));
}

int fw_cfg_add_u64(FwCfgState *s, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add(s, key, b, sizeof(b));
}

int fw_cfg_add_file(FwCfgState *s, const char *name, const void *data, uint32_t len)
{
    size_t nl = strlen(name);
    if (nl == 0 || nl >= FW_CFG_FILE_NAME || s->nfiles >= FW_CFG_MAX_FILES)
        return -1;
    FwCfgItem *dir = fw_cfg_find(s, FW_CFG_FILE_DIR);
    for (int i = 0; i < s->nfiles; i++)
        if (!strncmp((const char *)dir->data + 4 + i * FW_CFG_DIR_ENTRY + 8, name, FW_CFG_FILE_NAME))
            return -1;
    uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + s->nfiles);
    uint32_t dlen = 4 + (uint32_t)(s->nfiles + 1) * FW_CFG_DIR_ENTRY;
    uint8_t *d = calloc(1, dlen);
    if (!d)
        return -1;
    memcpy(d, dir->data, dir->len);
    be32_put(d, (uint32_t)s->nfiles + 1);
    uint8_t *e = d + 4 + s->nfiles * FW_CFG_DIR_ENTRY;
    be32_put(e, len);
    e[4] = (uint8_t)(key >> 8);
    e[5] = (uint8_t)key;
    memcpy(e + 8, name, nl);
    int r = fw_cfg_add(s, key, data, len) < 0 ? -1 : fw_cfg_add(s, FW_CFG_FILE_DIR, d, dlen);
    free(d);
    if (r == 0)
        s->nfiles++;
    return r;
}

static void fw_cfg_select(FwCfgState *s, uint16_t key)
{
    s->sel = key & FW_CFG_SEL_KEY_MASK;
    s->offset = 0;
}

/* ---- DMA ---- */

/* Runs the transfer whose descriptor lies at `desc` and writes its status back. */
static void fw_cfg_dma_run(FwCfgState *s, uint64_t desc)
{
    uint8_t d[DMA_DESC_LEN];
    if (!s->dma.read(s->dma.opaque, desc, d, sizeof(d)))
        return;   /* no descriptor to answer in: the guest sees nothing happen */
    uint32_t control = be32_get(d), length = be32_get(d + 4);
    uint64_t addr = (uint64_t)be32_get(d + 8) << 32 | be32_get(d + 12);
    if (control & DMA_CTL_SELECT)
        fw_cfg_select(s, (uint16_t)(control >> 16));
    int op = (control & DMA_CTL_READ) ? DMA_CTL_READ : (control & DMA_CTL_WRITE) ? DMA_CTL_WRITE
           : (control & DMA_CTL_SKIP) ? DMA_CTL_SKIP : 0;
    uint32_t status = 0;
    if (op == DMA_CTL_WRITE && length) {
        status = DMA_CTL_ERROR;   /* no writable item */
    } else if (op) {
        const FwCfgItem *it = fw_cfg_find(s, s->sel);
        uint8_t zero[DMA_CHUNK];
        memset(zero, 0, sizeof(zero));
        while (length) {
            uint32_t avail = it && s->offset < it->len ? it->len - s->offset : 0;
            uint32_t n = avail ? avail : DMA_CHUNK;   /* past the end: zeros, a chunk at a time */
            if (n > length)
                n = length;
            if (op == DMA_CTL_READ) {
                const uint8_t *src = avail ? it->data + s->offset : zero;
                if (!s->dma.write(s->dma.opaque, addr, src, n)) {
                    status = DMA_CTL_ERROR;
                    break;
                }
            }
            if (avail)
                s->offset += n;
            addr += n;
            length -= n;
        }
    }
    uint8_t st[4];
    be32_put(st, status);
    s->dma.write(s->dma.opaque, desc, st, sizeof(st));
}

/* ---- ports ---- */

static uint32_t fw_cfg_io_read(void *opaque, uint16_t port, int size)
{
    FwCfgState *s = opaque;
    if (port == FW_CFG_PORT_DATA && size == 1) {
        const FwCfgItem *it = fw_cfg_find(s, s->sel);
        if (!it || s->offset >= it->len)
            return 0;
        return it->data[s->offset++];
    }
    if (port >= FW_CFG_PORT_DMA) {
        uint32_t v = 0;
        for (int i = 0; i < size; i++) {
            int o = port - FW_CFG_PORT_DMA + i;
            v |= (uint32_t)(uint8_t)(o < 8 ? dma_signature[o] : 0) << (8 * i);
        }
        return v;
    }
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;   /* the selector is write-only */
}

static void fw_cfg_io_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    FwCfgState *s = opaque;
    if (port == FW_CFG_PORT_SEL && size == 2) {
        fw_cfg_select(s, (uint16_t)val);
    } else if (port == FW_CFG_PORT_DMA && size == 4) {
        s->dma_addr = (uint64_t)bswap32(val) << 32;
    } else if (port == FW_CFG_PORT_DMA + 4 && size == 4) {
        uint64_t desc = s->dma_addr | bswap32(val);
        s->dma_addr = 0;
        fw_cfg_dma_run(s, desc);
    }
}

static const IoOps fw_cfg_ops = { fw_cfg_io_read, fw_cfg_io_write, 4 };

void fw_cfg_reset(FwCfgState *s)
{
    s->sel = 0;
    s->offset = 0;
    s->dma_addr = 0;
}

FwCfgState *fw_cfg_new(IoBus *io, const FwCfgDmaOps *dma)
{
    FwCfgState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->dma = *dma;
    uint8_t dir[4] = { 0, 0, 0, 0 };
    if (fw_cfg_add(s, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
        fw_cfg_add_u32(s, FW_CFG_ID, FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA) < 0 ||
        fw_cfg_add(s, FW_CFG_FILE_DIR, dir, sizeof(dir)) < 0 ||
        io_register(io, FW_CFG_PORT_SEL, 12, &fw_cfg_ops, s) < 0) {
        fw_cfg_free(s);
        return NULL;
    }
    return s;
}

void fw_cfg_free(FwCfgState *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        free(s->item[i].data);
    free(s);
}

/* ---- the state description (vm/state.h): the three registers; the items are the machine's
 * configuration, built again from the command line (an offset past an item's end reads 0) ---- */

static const StateField fw_cfg_fields[] = {
    STATE_U(FwCfgState, sel), STATE_U(FwCfgState, offset), STATE_U(FwCfgState, dma_addr),
};
static const StateField fw_cfg_host_fields[] = {
    STATE_HOST(FwCfgState, item), STATE_HOST(FwCfgState, n), STATE_HOST(FwCfgState, nfiles),
    STATE_HOST(FwCfgState, dma),
};
const StateDesc fw_cfg_state_desc = {
    "fw_cfg", 1, sizeof(FwCfgState), fw_cfg_fields, STATE_COUNT(fw_cfg_fields), fw_cfg_host_fields,
    STATE_COUNT(fw_cfg_host_fields), NULL,
};
