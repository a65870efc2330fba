/*
 * piix4_pm.c — PIIX4 power management (82371AB PIIX4 datasheet, function 3; ACPI 1.0b 4.7.3 fixed
 * hardware registers), as QEMU's pc machine presents it after SeaBIOS.
 *
 * PCI 00:01.3, 8086:7113 rev 03, class 068000, interrupt pin A.
 *   0x40 PMBA: bits 15:6 I/O base (writable), bit 0 = 1 (I/O space indicator); reset 0x0601, as
 *        the firmware leaves it.  0x80 PMREGMISC bit 0 PMIOSE: decode the PM block; reset 1.
 *        The guest may move or disable the block: the 64-byte window follows these registers.
 *   0x58-0x7B DEVACT/DEVRES, 0x90 SMBBA, 0xD2 SMBHSTCFG: storage only (DEVACTB.APMC_EN starts
 *   set: there is no SMM, see piix4_pm_new).
 *   XXX: the SMBus controller is not modelled (SMBBA = 0x0001, SMBHSTCFG = 0: disabled).
 *
 * PM block (offsets from PMBA; any access width, byte by byte):
 *   0x00 PM1_STS (write 1 to clear): 0 TMR_STS, 4 BM_STS, 5 GBL_STS, 8 PWRBTN_STS, 10 RTC_STS,
 *        15 WAK_STS
 *   0x02 PM1_EN: 0 TMR_EN, 5 GBL_EN, 8 PWRBTN_EN, 10 RTC_EN
 *   0x04 PM1_CNT: 0 SCI_EN, 1 BM_RLD, 2 GBL_RLS (write-only), 12:10 SLP_TYP, 13 SLP_EN (write-only)
 *        SLP_TYP (PIIX4 SUS_TYP): 0 soft off, 1 suspend to RAM; QEMU's DSDT adds _S3 = 1 and
 *        _S4 = 2.  Every write with SLP_EN goes to the board's sleep callback with SLP_TYP: 0 is
 *        soft-off (S5, the DSDT's _S5 is {0, 0}, the only state it declares).
 *        XXX: S1-S4 are not modelled (no wake events, no waking vector): the board ends the run
 *        on any other SLP_TYP rather than let the guest run on as if it had slept.
 *   0x08 PM_TMR: 24-bit counter at 3.579545 MHz (FADT TMR_VAL_EXT = 0), from the virtual clock:
 *        ticks = floor(ns * 3579545 / 10^9), computed as whole seconds plus the remainder so it
 *        never overflows.  TMR_STS is set each time bit 23 changes; it is brought up to date
 *        lazily when read, and a clock event is armed only while TMR_EN asks for the SCI.
 *   other offsets read 0 and ignore writes.
 * GPE0_BLK at 0xAFE0 (fixed, as QEMU): 0xAFE0 GPE0_STS (write 1 to clear), 0xAFE2 GPE0_EN.
 *   No GPE source exists yet.
 * 0xB2 APMC (SMI_CMD): 0xF1 ACPI_ENABLE sets SCI_EN, 0xF0 ACPI_DISABLE clears it (what the SMI
 *   handler would do); 0xB3 APMS: scratch.
 * SCI (ISA IRQ 9, level, active high): asserted while SCI_EN and an enabled PM1 status bit
 *   (TMR, GBL, PWRBTN, RTC) or an enabled GPE0 status bit is set.
 */
#include <stdlib.h>
#include <stdio.h>

#include "devices/piix4_pm.h"
#include "vm/state.h"

#define NS_PER_S 1000000000ull

#define PM1_TMR 0x0001
#define PM1_BM 0x0010
#define PM1_GBL 0x0020
#define PM1_PWRBTN 0x0100
#define PM1_RTC 0x0400
#define PM1_WAK 0x8000
#define PM1_STS_W1C (PM1_TMR | PM1_BM | PM1_GBL | PM1_PWRBTN | PM1_RTC | PM1_WAK)
#define PM1_EN_MASK (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_RTC)

#define CNT_SCI_EN 0x0001
#define CNT_BM_RLD 0x0002
#define CNT_SLP_TYP 0x1c00
#define CNT_SLP_EN 0x2000
#define CNT_STORED (CNT_SCI_EN | CNT_BM_RLD | CNT_SLP_TYP)

#define PM_BLOCK_LEN 64
#define TMR_MSB_SHIFT 23

/* ---- the PM timer ---- */

static uint64_t pm_ticks(uint64_t ns)
{
    return ns / NS_PER_S * PM_TIMER_HZ + ns % NS_PER_S * PM_TIMER_HZ / NS_PER_S;
}

/* The first virtual time at which pm_ticks reaches t (CLOCK_NEVER past the clock's range). */
static uint64_t pm_ns_of_tick(uint64_t t)
{
    uint64_t secs = t / PM_TIMER_HZ, rem = t % PM_TIMER_HZ;
    if (secs > (CLOCK_NEVER - NS_PER_S) / NS_PER_S)
        return CLOCK_NEVER;
    return secs * NS_PER_S + (rem * NS_PER_S + PM_TIMER_HZ - 1) / PM_TIMER_HZ;
}

uint32_t piix4_pm_timer_at(uint64_t now_ns)
{
    return (uint32_t)(pm_ticks(now_ns) & 0xffffff);
}

/* TMR_STS: set when bit 23 of the timer changed since the status was last brought up to date. */
static void pm_update_tmr_sts(AcpiPmState *s)
{
    uint64_t epoch = pm_ticks(clock_now(s->clock)) >> TMR_MSB_SHIFT;
    if (epoch != s->tmr_msb_epoch) {
        s->tmr_msb_epoch = epoch;
        s->pm1_sts |= PM1_TMR;
    }
}

static void pm_update_sci(AcpiPmState *s)
{
    int level = (s->pm1_cnt & CNT_SCI_EN) &&
                ((s->pm1_sts & s->pm1_en & PM1_EN_MASK) || (s->gpe0_sts & s->gpe0_en));
    if (level != s->sci_level) {
        s->sci_level = level;
        irq_set(&s->sci, level);
    }
}

static void pm_schedule(AcpiPmState *s)
{
    uint64_t deadline = CLOCK_NEVER;
    if (s->pm1_en & PM1_TMR) {
        uint64_t next = (s->tmr_msb_epoch + 1) << TMR_MSB_SHIFT;
        deadline = pm_ns_of_tick(next);
    }
    clock_set_deadline(s->clock, s->ev, deadline);
}

static void pm_timer_event(void *opaque, uint64_t now_ns)
{
    AcpiPmState *s = opaque;
    (void)now_ns;
    pm_update_tmr_sts(s);
    pm_update_sci(s);
    pm_schedule(s);
}

/* ---- PM1 block ---- */

static uint8_t pm_read_byte(AcpiPmState *s, int off)
{
    switch (off) {
    case 0x00: case 0x01:
        pm_update_tmr_sts(s);
        return (uint8_t)(s->pm1_sts >> (8 * (off & 1)));
    case 0x02: case 0x03:
        return (uint8_t)(s->pm1_en >> (8 * (off & 1)));
    case 0x04: case 0x05:
        return (uint8_t)(s->pm1_cnt >> (8 * (off & 1)));
    case 0x08: case 0x09: case 0x0a: case 0x0b:
        return (uint8_t)(piix4_pm_timer_at(clock_now(s->clock)) >> (8 * (off - 0x08)));
    default:
        return 0;
    }
}

int piix4_pm_sleep_state(int slp_typ)
{
    switch (slp_typ) {
    case PM_SLP_TYP_S5: return 5;
    case PM_SLP_TYP_S3: return 3;
    case PM_SLP_TYP_S4: return 4;
    default: return 0;
    }
}

static void pm_write_byte(AcpiPmState *s, int off, uint8_t v)
{
    int sh = 8 * (off & 1);
    switch (off) {
    case 0x00: case 0x01:
        pm_update_tmr_sts(s);
        s->pm1_sts &= (uint16_t)~(((uint16_t)v << sh) & PM1_STS_W1C);
        break;
    case 0x02: case 0x03:
        s->pm1_en = (uint16_t)((s->pm1_en & ~(0xff << sh)) | (((uint16_t)v << sh) & PM1_EN_MASK));
        pm_update_tmr_sts(s);
        pm_schedule(s);
        break;
    case 0x04: case 0x05: {
        uint16_t w = (uint16_t)((uint16_t)v << sh);
        s->pm1_cnt = (uint16_t)((s->pm1_cnt & ~(0xff << sh)) | (w & CNT_STORED));
        if ((w & CNT_SLP_EN) && s->sleep)
            s->sleep(s->sleep_opaque, (s->pm1_cnt & CNT_SLP_TYP) >> 10);
        break;
    }
    default:
        break;
    }
}

static uint32_t pm_io_read(void *opaque, uint16_t port, int size)
{
    AcpiPmState *s = opaque;
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)pm_read_byte(s, (port - s->io_base + i) & (PM_BLOCK_LEN - 1)) << (8 * i);
    return v;
}

static void pm_io_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    AcpiPmState *s = opaque;
    for (int i = 0; i < size; i++)
        pm_write_byte(s, (port - s->io_base + i) & (PM_BLOCK_LEN - 1), (uint8_t)(val >> (8 * i)));
    pm_update_sci(s);
}

static const IoOps pm_io_ops = { pm_io_read, pm_io_write, 4 };

/* ---- GPE0 block ---- */

static uint32_t gpe_io_read(void *opaque, uint16_t port, int size)
{
    AcpiPmState *s = opaque;
    uint32_t regs = s->gpe0_sts | (uint32_t)s->gpe0_en << 16;
    uint32_t v = 0;
    for (int i = 0; i < size; i++) {
        int off = (port - PM_GPE0_BASE + i) & 3;
        v |= (regs >> (8 * off) & 0xff) << (8 * i);
    }
    return v;
}

static void gpe_io_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    AcpiPmState *s = opaque;
    for (int i = 0; i < size; i++) {
        int off = (port - PM_GPE0_BASE + i) & 3;
        uint16_t b = (uint16_t)((val >> (8 * i) & 0xff) << (8 * (off & 1)));
        if (off < 2)
            s->gpe0_sts &= (uint16_t)~b;
        else
            s->gpe0_en = (uint16_t)((s->gpe0_en & ~(0xff << (8 * (off & 1)))) | b);
    }
    pm_update_sci(s);
}

static const IoOps gpe_io_ops = { gpe_io_read, gpe_io_write, 4 };

/* ---- APM control/status (SMI_CMD) ---- */

static uint32_t apm_io_read(void *opaque, uint16_t port, int size)
{
    AcpiPmState *s = opaque;
    (void)size;
    return port == PM_SMI_CMD ? s->apmc : s->apms;
}

static void apm_io_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    AcpiPmState *s = opaque;
    (void)size;
    if (port != PM_SMI_CMD) {
        s->apms = (uint8_t)val;
        return;
    }
    s->apmc = (uint8_t)val;
    if (s->apmc == 0xf1)
        s->pm1_cnt |= CNT_SCI_EN;
    else if (s->apmc == 0xf0)
        s->pm1_cnt &= (uint16_t)~CNT_SCI_EN;
    pm_update_sci(s);
}

static const IoOps apm_io_ops = { apm_io_read, apm_io_write, 1 };

/* ---- PCI function 00:01.3 ---- */

/* PMBA / PMREGMISC changed (or were reset): decode the PM block where they say. */
static void pm_pci_update(void *opaque, const uint8_t *cfg)
{
    AcpiPmState *s = opaque;
    uint16_t base = (cfg[0x80] & 1) ? (uint16_t)((cfg[0x40] | cfg[0x41] << 8) & 0xffc0) : 0;
    if (base == s->io_base)
        return;
    io_unregister(s->io, &pm_io_ops, s);
    s->io_base = base;
    if (base)
        io_register(s->io, base, PM_BLOCK_LEN, &pm_io_ops, s);
}

void piix4_pm_reset(AcpiPmState *s)
{
    s->pm1_sts = s->pm1_en = s->pm1_cnt = 0;
    s->gpe0_sts = s->gpe0_en = 0;
    s->apmc = s->apms = 0;
    s->tmr_msb_epoch = pm_ticks(clock_now(s->clock)) >> TMR_MSB_SHIFT;
    pm_schedule(s);
    pm_update_sci(s);
}

void piix4_pm_power_button(AcpiPmState *s)
{
    s->pm1_sts |= PM1_PWRBTN;
    pm_update_sci(s);
}

AcpiPmState *piix4_pm_new(IoBus *io, PciState *pci, Clock *clock, IrqLine sci,
                          PmSleepFn sleep, void *sleep_opaque)
{
    AcpiPmState *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->io = io;
    s->clock = clock;
    s->sci = sci;
    s->sleep = sleep;
    s->sleep_opaque = sleep_opaque;
    s->ev = clock_add_event(clock, pm_timer_event, s);
    if (s->ev < 0 || io_register(io, PM_GPE0_BASE, 4, &gpe_io_ops, s) < 0 ||
        io_register(io, PM_SMI_CMD, 2, &apm_io_ops, s) < 0) {
        io_unregister(io, &gpe_io_ops, s);
        free(s);
        return NULL;
    }
    PciFunc *f = pci_add_function(pci, PCI_DEVFN(1, 3), 0x8086, 0x7113, 0x03, 0x068000, 0x00,
                                  pm_pci_update, s);
    if (!f) {
        io_unregister(io, &gpe_io_ops, s);
        io_unregister(io, &apm_io_ops, s);
        free(s);
        return NULL;
    }
    pci_func_init_reg(f, 0x3d, 1, 0x01, 0);                       /* interrupt pin A */
    pci_func_init_reg(f, 0x40, 4, PM_BASE_DEFAULT | 1, 0xffc0);   /* PMBA */
    for (int r = 0x58; r < 0x7c; r++)                             /* DEVACTA/B, DEVRESA-J */
        pci_func_init_reg(f, r, 1, 0, 0xff);
    /* DEVACTB bit 25 APMC_EN set at power-on, as QEMU does on a machine without SMM: it tells
     * SeaBIOS that SMM is set up already, so it does not wait for an SMI that never comes. */
    pci_func_init_reg(f, 0x5b, 1, 0x02, 0xff);
    pci_func_init_reg(f, 0x80, 1, 0x01, 0x01);                    /* PMREGMISC: PMIOSE */
    pci_func_init_reg(f, 0x90, 4, 0x0001, 0xfff0);                /* SMBBA */
    pci_func_init_reg(f, 0xd2, 1, 0x00, 0x0f);                    /* SMBHSTCFG */
    pm_pci_update(s, f->cfg);
    piix4_pm_reset(s);
    return s;
}

/* ---- the state description (vm/state.h) ---- */

static const StateField pm_fields[] = {
    STATE_U(AcpiPmState, sci_level), STATE_U(AcpiPmState, io_base), STATE_U(AcpiPmState, pm1_sts),
    STATE_U(AcpiPmState, pm1_en), STATE_U(AcpiPmState, pm1_cnt), STATE_U(AcpiPmState, tmr_msb_epoch),
    STATE_U(AcpiPmState, gpe0_sts), STATE_U(AcpiPmState, gpe0_en), STATE_U(AcpiPmState, apmc),
    STATE_U(AcpiPmState, apms),
};
static const StateField pm_host_fields[] = {
    STATE_HOST(AcpiPmState, io), STATE_HOST(AcpiPmState, clock), STATE_HOST(AcpiPmState, ev),
    STATE_HOST(AcpiPmState, sci), STATE_HOST(AcpiPmState, sleep), STATE_HOST(AcpiPmState, sleep_opaque),
};

/* The PM block is decoded at io_base (PMBA, as the configuration space says). */
static bool pm_post_load(void *obj, char *err, size_t errlen)
{
    AcpiPmState *s = obj;
    if (s->io_base & (PM_BLOCK_LEN - 1)) {
        snprintf(err, errlen, "PM block at port %#x", s->io_base);
        return false;
    }
    io_unregister(s->io, &pm_io_ops, s);
    if (s->io_base)
        io_register(s->io, s->io_base, PM_BLOCK_LEN, &pm_io_ops, s);
    return true;
}

const StateDesc piix4_pm_state_desc = {
    "piix4-pm", 1, sizeof(AcpiPmState), pm_fields, STATE_COUNT(pm_fields), pm_host_fields,
    STATE_COUNT(pm_host_fields), pm_post_load,
};
