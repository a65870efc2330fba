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
 * Every function has subsystem vendor/ID 1AF4:1100 (0x2C/0x2E), as on QEMU: SeaBIOS reads them on
 * the host bridge to recognise a QEMU machine, and then trusts fw_cfg.
 *
 * 00:00.0 i440FX (82441FX PMC, 8086:1237 rev 02, class 060000; 82441FX datasheet 3.2):
 *   PAM0-6 (0x59-0x5F) choose, per segment of 0xC0000-0xFFFFF, where reads and writes go:
 *     PAM0 bits 5:4  0xF0000-0xFFFFF (its bits 3:0 are reserved)
 *     PAMn bits 1:0  0xC0000 + (n-1) * 0x8000, bits 5:4 the 16 KiB after it (n = 1..6)
 *     per field: bit 0 RE (reads from DRAM), bit 1 WE (writes to DRAM); a cleared bit sends
 *     the access to PCI, where the BIOS ROM answers in 0xE0000-0xFFFFF.  The board maps it
 *     (PciPamFn).  DRB (0x60-0x67), SMRAM (0x72) and the other bytes are plain storage.
 *   XXX: SMRAM has no effect (there is no SMM; SeaBIOS leaves it closed on this board).
 * 00:01.0 PIIX3 (82371SB function 0, 8086:7000, class 060100, multifunction): IORT, XBCS,
 *   PIRQRC[A-D] (0x60-0x63, default 0x80 = routing disabled), TOM, MBIRQ, MBDMA, PCSC, APICBASE,
 *   DLC, SMI registers at their datasheet reset values, as storage, except PIRQRC:
 *   PIRQRC[n] (82371SB 2.2.8): bit 7 IRQROUTEN# (1 = not routed), bits 3:0 the ISA IRQ that
 *   PIRQn# drives (0-2, 8 and 13 reserved: not routed).  The PCI INTx# lines are wired to the
 *   PIRQs by slot as on QEMU's pc board: device d's INT(A+p)# drives PIRQ (d - 1 + p) mod 4.
 *   PCI interrupts are level triggered and shared: a PIRQ is asserted while any INTx# on it is,
 *   an ISA IRQ while any PIRQ routed to it is (the board sets the 8259's ELCR for level mode
 *   through its own port), and PIRQ A-D also drive I/O APIC inputs 16-19 as on QEMU.
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
#define PCI_SUBVENDOR_QEMU 0x1af4
#define PCI_SUBDEVICE_QEMU 0x1100

#define I440FX_PAM0 0x59
#define PIIX3_PIRQRC 0x60
#define PIRQRC_DISABLE 0x80
#define PIRQ_APIC_FIRST 16

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
    pci_func_init_reg(f, 0x2c, 2, PCI_SUBVENDOR_QEMU, 0);
    pci_func_init_reg(f, 0x2e, 2, PCI_SUBDEVICE_QEMU, 0);
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

/* i440FX update hook: hands PAM0-6 to the board when they changed. */
static void i440fx_update(void *opaque, const uint8_t *cfg)
{
    PciState *s = opaque;
    if (s->pam_valid && !memcmp(s->pam_seen, cfg + I440FX_PAM0, PCI_PAM_REGS))
        return;
    memcpy(s->pam_seen, cfg + I440FX_PAM0, PCI_PAM_REGS);
    s->pam_valid = true;
    if (s->pam)
        s->pam(s->pam_opaque, s->pam_seen);
}

void pci_set_pam_hook(PciState *s, PciPamFn fn, void *opaque)
{
    s->pam = fn;
    s->pam_opaque = opaque;
    if (fn)
        fn(opaque, s->pam_seen);
}

int pci_slot_pirq(int dev, int pin)
{
    return (dev - 1 + pin) & 3;
}

/* The ISA IRQ PIRQ n is routed to, or -1. */
static int pirq_route(const PciState *s, int n)
{
    const PciFunc *f = pci_find((PciState *)s, PCI_DEVFN(1, 0));
    uint8_t r = f->cfg[PIIX3_PIRQRC + n];
    int irq = r & 0x0f;
    if ((r & PIRQRC_DISABLE) || irq < 3 || irq == 8 || irq == 13)
        return -1;
    return irq;
}

/* Recomputes the PIRQ and ISA IRQ levels from the INTx# levels and the routing registers and
 * signals the inputs that changed. */
static void pirq_update(PciState *s)
{
    uint8_t pirq = 0;
    for (int devfn = 0; devfn < 256; devfn++)
        for (int pin = 0; pin < 4; pin++)
            if (s->intx[devfn] & (1u << pin))
                pirq |= (uint8_t)(1u << pci_slot_pirq(devfn >> 3, pin));
    uint16_t isa = 0;
    for (int n = 0; n < PCI_PIRQS; n++) {
        int irq = pirq_route(s, n);
        if ((pirq & (1u << n)) && irq >= 0)
            isa |= (uint16_t)(1u << irq);
    }
    uint16_t isa_changed = isa ^ s->isa_level;
    uint8_t pirq_changed = pirq ^ s->pirq_level;
    s->isa_level = isa;
    s->pirq_level = pirq;
    for (int irq = 0; irq < 16; irq++)
        if (isa_changed & (1u << irq)) {
            IrqLine l = { s->isa_irq.fn, s->isa_irq.opaque, irq };
            irq_set(&l, (isa >> irq) & 1);
        }
    for (int n = 0; n < PCI_PIRQS; n++)
        if (pirq_changed & (1u << n)) {
            IrqLine l = { s->apic_pin.fn, s->apic_pin.opaque, PIRQ_APIC_FIRST + n };
            irq_set(&l, (pirq >> n) & 1);
        }
}

static void piix3_update(void *opaque, const uint8_t *cfg)
{
    (void)cfg;
    pirq_update(opaque);
}

void pci_connect_irqs(PciState *s, IrqFn isa, IrqFn apic, void *opaque)
{
    s->isa_irq = (IrqLine){ isa, opaque, 0 };
    s->apic_pin = (IrqLine){ apic, opaque, 0 };
}

void pci_set_irq(PciState *s, int devfn, int pin, int level)
{
    if (devfn < 0 || devfn > 0xff || pin < 0 || pin > 3)
        return;
    uint8_t bit = (uint8_t)(1u << pin);
    uint8_t old = s->intx[devfn];
    s->intx[devfn] = level ? (uint8_t)(old | bit) : (uint8_t)(old & ~bit);
    if (s->intx[devfn] != old)
        pirq_update(s);
}

static void pci_add_i440fx(PciState *s)
{
    PciFunc *f = pci_add_function(s, PCI_DEVFN(0, 0), 0x8086, 0x1237, 0x02, 0x060000, 0x00,
                                  i440fx_update, s);
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
                                  piix3_update, s);
    pci_func_init_reg(f, PCI_COMMAND, 2, 0x0007, 0x0148);  /* I/O, memory, master hardwired */
    pci_func_init_reg(f, 0x4c, 1, 0x4d, 0xff);      /* IORT */
    pci_func_init_reg(f, 0x4e, 2, 0x0003, 0x07ff);  /* XBCS */
    for (int r = PIIX3_PIRQRC; r < PIIX3_PIRQRC + PCI_PIRQS; r++)   /* PIRQRC[A-D]: not routed */
        pci_func_init_reg(f, r, 1, PIRQRC_DISABLE, 0x8f);
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
    /* version 2: the PIIX3's interrupt lines (what each function drives, and the PIRQ and ISA
     * levels last signalled to the interrupt controllers, whose own state holds them too) */
    STATE_ARRAY_V(PciState, intx, 2), STATE_UINT_V(PciState, isa_level, 2), STATE_UINT_V(PciState, pirq_level, 2),
};
static const StateField pci_host_fields[] = {
    STATE_HOST(PciState, n), STATE_HOST(PciState, reset), STATE_HOST(PciState, reset_opaque),
    STATE_HOST(PciState, pam), STATE_HOST(PciState, pam_opaque),
    STATE_HOST(PciState, pam_seen),    /* derived: the PAM bytes of the i440FX's space, handed on */
    STATE_HOST(PciState, pam_valid),
    STATE_HOST(PciState, isa_irq), STATE_HOST(PciState, apic_pin),
};

/* The PAM registers are state (in the i440FX's configuration space); the shadow mapping they
 * imply is host-side: hand them to the board again.  The PIIX3's routing needs nothing: its
 * levels are saved, and so is what the interrupt controllers latched from them. */
static bool pci_post_load(void *obj, char *err, size_t errlen)
{
    PciState *s = obj;
    (void)err;
    (void)errlen;
    s->pam_valid = false;
    i440fx_update(s, pci_find(s, PCI_DEVFN(0, 0))->cfg);
    return true;
}

const StateDesc pci_state_desc = {
    "pci", 2, sizeof(PciState), pci_fields, STATE_COUNT(pci_fields), pci_host_fields, STATE_COUNT(pci_host_fields),
    pci_post_load,
};
