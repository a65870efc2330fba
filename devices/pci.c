/*
 * pci.c — PCI configuration mechanism #1, bus 0, the i440FX host bridge and the PIIX3 ISA bridge.
 *
 * Configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2):
 *   0xCF8 CONFIG_ADDRESS, dword accesses only: bit 31 enable, 23:16 bus, 15:11 device,
 *         10:8 function, 7:2 register; 30:24 and 1:0 reserved, read as 0.
 *   0xCFC-0xCFF CONFIG_DATA: byte, word or dword at any offset inside the dword; the byte lanes
 *         select bytes (reg & 0xFC) + (port - 0xCFC) onwards of the addressed function.
 *   With the enable bit clear, or on a bus other than 0, or for an absent function, reads give
 *   all ones and writes are dropped (master abort).  Byte/word accesses to 0xCF8-0xCFB are not
 *   CONFIG_ADDRESS cycles; 0xCF9 is the PIIX3 reset control register (82371SB datasheet 4.1.31).
 *
 * Type 0 header as every function here has it (PCI 3.0, 6.1/6.2):
 *   00 vendor, 02 device, 08 revision, 09 class code (3 bytes), 0E header type: read-only
 *   04 command: writable bits I/O space (0), memory space (1), bus master (2), parity error
 *      response (6), SERR# enable (8), interrupt disable (10); the rest read as 0
 *   06 status: bits 8, 11-15 write-1-to-clear, the rest read-only
 *   0C cache line size, 0D latency timer, 3C interrupt line: read/write
 *   10-27 BARs, 28 CardBus CIS, 2C subsystem, 30 expansion ROM, 34 capabilities, 3D pin,
 *   3E/3F: read-only (0 unless a chip sets them); no function here has a BAR.
 *   40-FF device specific, declared per chip with pci_func_init_reg.
 *
 * 00:00.0 i440FX (82441FX PMC, 8086:1237 rev 02, class 060000): PAM0-6 (0x59-0x5F), DRB
 *   (0x60-0x67), SMRAM (0x72) and the other configuration bytes are plain storage.
 *   XXX: PAM shadowing and SMRAM have no effect (the BIOS region is always ROM, there is no SMM).
 * 00:01.0 PIIX3 (82371SB function 0, 8086:7000, class 060100, multifunction): IORT, XBCS,
 *   PIRQRC[A-D] (0x60-0x63, default 0x80 = routing disabled), TOM, MBIRQ, MBDMA, PCSC, APICBASE,
 *   DLC, SMI registers at their datasheet reset values, as storage.
 *   XXX: PIRQ routing has no effect: no PCI device raises INTx yet.
 * 0xCF9 reset control: bit 1 SRST (hard reset), bit 2 RCPU (reset on writing 1), bit 3 FULL_RST.
 *   Writing RCPU = 1 resets the system.  XXX: a soft reset (RCPU without SRST) is a full system
 *   reset too, as on QEMU's PIIX3.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "devices/pci.h"
#include "vm/state.h"

#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_COMMAND_WMASK 0x0547
#define PCI_STATUS_W1C 0xf900
#define PCI_STATUS_DEVSEL_MEDIUM 0x0200
#define PCI_STATUS_FAST_B2B 0x0080

#define CONFIG_ADDRESS_MASK 0x80fffffcu
#define RCR_SRST 0x02
#define RCR_RCPU 0x04
#define RCR_FULL_RST 0x08

static PciFunc *pci_find(PciState *s, int devfn)
{
    for (int i = 0; i < s->n; i++)
        if (s->f[i].devfn == devfn)
            return &s->f[i];
    return NULL;
}

static void put_le(uint8_t *p, int size, uint32_t v)
{
    for (int i = 0; i < size; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void pci_func_init_reg(PciFunc *f, int reg, int size, uint32_t val, uint32_t wmask)
{
    if (reg < 0 || size < 1 || size > 4 || reg + size > 256)
        return;
    put_le(&f->init[reg], size, val);
    put_le(&f->cfg[reg], size, val);
    put_le(&f->wmask[reg], size, wmask);
}

PciFunc *pci_add_function(PciState *s, int devfn, uint16_t vendor, uint16_t device,
                          uint8_t revision, uint32_t class_code, uint8_t header_type,
                          PciUpdateFn update, void *opaque)
{
    if (devfn < 0 || devfn > 0xff || s->n >= PCI_MAX_FUNCS || pci_find(s, devfn))
        return NULL;
    PciFunc *f = &s->f[s->n++];
    memset(f, 0, sizeof(*f));
    f->devfn = devfn;
    f->update = update;
    f->opaque = opaque;
    pci_func_init_reg(f, 0x00, 2, vendor, 0);
    pci_func_init_reg(f, 0x02, 2, device, 0);
    pci_func_init_reg(f, PCI_COMMAND, 2, 0, PCI_COMMAND_WMASK);
    pci_func_init_reg(f, PCI_STATUS, 2, PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_B2B, 0);
    put_le(&f->w1cmask[PCI_STATUS], 2, PCI_STATUS_W1C);
    pci_func_init_reg(f, 0x08, 1, revision, 0);
    pci_func_init_reg(f, 0x09, 3, class_code, 0);
    pci_func_init_reg(f, 0x0c, 1, 0, 0xff);     /* cache line size */
    pci_func_init_reg(f, 0x0d, 1, 0, 0xff);     /* latency timer */
    pci_func_init_reg(f, 0x0e, 1, header_type, 0);
    pci_func_init_reg(f, 0x3c, 1, 0, 0xff);     /* interrupt line */
    return f;
}

uint32_t pci_config_read(PciState *s, int devfn, int reg, int size)
{
    PciFunc *f = pci_find(s, devfn);
    uint32_t v = 0;
    for (int i = 0; i < size; i++) {
        int r = reg + i;
        uint32_t b = (f && r >= 0 && r < 256) ? f->cfg[r] : 0xff;
        v |= b << (8 * i);
    }
    return v;
}

void pci_config_write(PciState *s, int devfn, int reg, int size, uint32_t val)
{
    PciFunc *f = pci_find(s, devfn);
    if (!f)
        return;
    for (int i = 0; i < size; i++) {
        int r = reg + i;
        if (r < 0 || r >= 256)
            continue;
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t wm = f->wmask[r], w1c = f->w1cmask[r];
        f->cfg[r] = (uint8_t)((f->cfg[r] & ~wm) | (b & wm));
        f->cfg[r] &= (uint8_t)~(b & w1c);
    }
    if (f->update)
        f->update(f->opaque, f->cfg);
}

void pci_reset(PciState *s)
{
    s->config_address = 0;
    s->rcr = 0;
    for (int i = 0; i < s->n; i++) {
        PciFunc *f = &s->f[i];
        memcpy(f->cfg, f->init, sizeof(f->cfg));
        if (f->update)
            f->update(f->opaque, f->cfg);
    }
}

/* ---- ports 0xCF8-0xCFF ---- */

static uint32_t pci_io_read(void *opaque, uint16_t port, int size)
{
    PciState *s = opaque;
    if (port == 0xcf8 && size == 4)
        return s->config_address;
    if (port == 0xcf9 && size == 1)
        return s->rcr;
    if (port < 0xcfc || !(s->config_address & 0x80000000u) || (s->config_address >> 16 & 0xff))
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    int lane = port - 0xcfc;
    int n = size < 4 - lane ? size : 4 - lane;      /* bytes past 0xCFF are not config data */
    int devfn = (int)(s->config_address >> 8 & 0xff);
    uint32_t v = pci_config_read(s, devfn, (int)(s->config_address & 0xfc) + lane, n);
    for (int i = n; i < size; i++)
        v |= 0xffu << (8 * i);
    return v;
}

static void pci_io_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    PciState *s = opaque;
    if (port == 0xcf8 && size == 4) {
        s->config_address = val & CONFIG_ADDRESS_MASK;
        return;
    }
    if (port == 0xcf9 && size == 1) {
        s->rcr = (uint8_t)(val & (RCR_SRST | RCR_FULL_RST));
        if ((val & RCR_RCPU) && s->reset)
            s->reset(s->reset_opaque);
        return;
    }
    if (port < 0xcfc || !(s->config_address & 0x80000000u) || (s->config_address >> 16 & 0xff))
        return;
    int lane = port - 0xcfc;
    int n = size < 4 - lane ? size : 4 - lane;
    int devfn = (int)(s->config_address >> 8 & 0xff);
    pci_config_write(s, devfn, (int)(s->config_address & 0xfc) + lane, n, val);
}

static const IoOps pci_io_ops = { pci_io_read, pci_io_write, 4 };

/* ---- the two chips of the board itself ---- */

static void pci_add_i440fx(PciState *s)
{
    PciFunc *f = pci_add_function(s, PCI_DEVFN(0, 0), 0x8086, 0x1237, 0x02, 0x060000, 0x00,
                                  NULL, NULL);
    /* PCICMD: memory space and bus master are hardwired on in the 82441FX */
    pci_func_init_reg(f, PCI_COMMAND, 2, 0x0006, 0x0140);
    for (int r = 0x50; r <= 0x58; r++)       /* PMCCFG, DETURBO, DBC, AXC, DRAMR, DRAMC, DRAMT */
        pci_func_init_reg(f, r, 1, 0, 0xff);
    pci_func_init_reg(f, 0x59, 1, 0, 0x30);  /* PAM0: BIOS area 0xF0000 */
    for (int r = 0x5a; r <= 0x5f; r++)       /* PAM1-6 */
        pci_func_init_reg(f, r, 1, 0, 0x33);
    for (int r = 0x60; r <= 0x67; r++)       /* DRB0-7 */
        pci_func_init_reg(f, r, 1, 0x01, 0xff);
    pci_func_init_reg(f, 0x68, 1, 0, 0xc0);  /* FDHC */
    pci_func_init_reg(f, 0x70, 1, 0, 0xfc);  /* MTT */
    pci_func_init_reg(f, 0x71, 1, 0x10, 0xff);  /* CLT */
    pci_func_init_reg(f, 0x72, 1, 0x02, 0x78);  /* SMRAM: C_BASE_SEG = 010 read-only */
}

static void pci_add_piix3(PciState *s)
{
    PciFunc *f = pci_add_function(s, PCI_DEVFN(1, 0), 0x8086, 0x7000, 0x00, 0x060100, 0x80,
                                  NULL, NULL);
    pci_func_init_reg(f, PCI_COMMAND, 2, 0x0007, 0x0148);  /* I/O, memory, master hardwired */
    pci_func_init_reg(f, 0x4c, 1, 0x4d, 0xff);      /* IORT */
    pci_func_init_reg(f, 0x4e, 2, 0x0003, 0x07ff);  /* XBCS */
    for (int r = 0x60; r <= 0x63; r++)              /* PIRQRC[A-D]: routing disabled */
        pci_func_init_reg(f, r, 1, 0x80, 0x8f);
    pci_func_init_reg(f, 0x69, 1, 0x02, 0xfe);      /* TOM */
    pci_func_init_reg(f, 0x6a, 2, 0x0000, 0x00ff);  /* MSTAT */
    pci_func_init_reg(f, 0x70, 1, 0x80, 0xcf);      /* MBIRQ0 */
    pci_func_init_reg(f, 0x76, 2, 0x0c0c, 0x8787);  /* MBDMA0/1 */
    pci_func_init_reg(f, 0x78, 2, 0x0002, 0xffff);  /* PCSC */
    pci_func_init_reg(f, 0x80, 1, 0x00, 0x7f);      /* APICBASE */
    pci_func_init_reg(f, 0x82, 1, 0x00, 0x0f);      /* DLC (Linux sets passive release) */
    pci_func_init_reg(f, 0xa0, 1, 0x08, 0x1f);      /* SMICNTL */
    pci_func_init_reg(f, 0xa2, 2, 0x0000, 0x00ff);  /* SMIEN */
    pci_func_init_reg(f, 0xa4, 4, 0, 0xffffffffu);  /* SEE */
    pci_func_init_reg(f, 0xa8, 1, 0x0f, 0xff);      /* FTMR */
    pci_func_init_reg(f, 0xaa, 2, 0x0000, 0x01ff);  /* SMIREQ */
    pci_func_init_reg(f, 0xac, 1, 0, 0xff);         /* CTLTMR */
    pci_func_init_reg(f, 0xae, 1, 0, 0xff);         /* CTHTMR */
}

PciState *pci_new(IoBus *io, PciResetFn reset, void *reset_opaque)
{
    PciState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->reset = reset;
    s->reset_opaque = reset_opaque;
    pci_add_i440fx(s);
    pci_add_piix3(s);
    if (io_register(io, 0xcf8, 8, &pci_io_ops, s) < 0) {
        free(s);
        return NULL;
    }
    pci_reset(s);
    return s;
}

/* ---- the state description (vm/state.h): CONFIG_ADDRESS, RCR and every function's
 * configuration space; the power-on image and masks are fixed when the function is created ---- */

static const StateField pci_func_fields[] = {
    STATE_A(PciFunc, cfg),
};
static const StateField pci_func_host_fields[] = {
    STATE_HOST(PciFunc, devfn), STATE_HOST(PciFunc, init), STATE_HOST(PciFunc, wmask), STATE_HOST(PciFunc, w1cmask),
    STATE_HOST(PciFunc, update), STATE_HOST(PciFunc, opaque),
};
static const StateDesc pci_func_state_desc = {
    "pci-function", 1, sizeof(PciFunc), pci_func_fields, STATE_COUNT(pci_func_fields), pci_func_host_fields,
    STATE_COUNT(pci_func_host_fields), NULL,
};

static const StateField pci_fields[] = {
    STATE_U(PciState, config_address), STATE_U(PciState, rcr), STATE_S(PciState, f, PciFunc, pci_func_state_desc),
};
static const StateField pci_host_fields[] = {
    STATE_HOST(PciState, n), STATE_HOST(PciState, reset), STATE_HOST(PciState, reset_opaque),
};
const StateDesc pci_state_desc = {
    "pci", 1, sizeof(PciState), pci_fields, STATE_COUNT(pci_fields), pci_host_fields, STATE_COUNT(pci_host_fields),
    NULL,
};
