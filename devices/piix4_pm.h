/*
 * piix4_pm.h — the PIIX4 power-management function (82371AB function 3, PCI 00:01.3): the ACPI
 * PM1 event/control blocks and PM timer behind PMBA, GPE0 at 0xAFE0, the APM/SMI command port
 * 0xB2, and the SCI.  Fixed values shared with the ACPI tables: see ISSUE4.md.
 */
#ifndef SOFTVISOR_PIIX4_PM_H
#define SOFTVISOR_PIIX4_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "devices/pci.h"
#include "mem/io.h"
#include "vm/clock.h"

#define PM_TIMER_HZ 3579545u
#define PM_BASE_DEFAULT 0x600
#define PM_GPE0_BASE 0xafe0
#define PM_SMI_CMD 0xb2

/* SLP_TYP values (PM1_CNT bits 12:10) as the PIIX4 decodes them and QEMU's DSDT names them:
 * 0 soft off (the DSDT's _S5), 1 suspend to RAM (QEMU's _S3), 2 QEMU's _S4. */
#define PM_SLP_TYP_S5 0
#define PM_SLP_TYP_S3 1
#define PM_SLP_TYP_S4 2

/* The guest set SLP_EN with this SLP_TYP: the board decides what the machine does. */
typedef void (*PmSleepFn)(void *opaque, int slp_typ);

typedef struct AcpiPmState {
    IoBus *io;
    Clock *clock;
    int ev;                   /* clock event: the PM timer's bit 23 toggles (only with TMR_EN) */
    IrqLine sci;              /* ISA IRQ 9, level */
    int sci_level;
    PmSleepFn sleep;
    void *sleep_opaque;
    uint16_t io_base;         /* where the PM1 block is decoded (0: not decoded) */

    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint64_t tmr_msb_epoch;   /* PM timer ticks >> 23 when TMR_STS was last brought up to date */
    uint16_t gpe0_sts, gpe0_en;
    uint8_t apmc, apms;       /* 0xB2 / 0xB3 */
} AcpiPmState;

/* Adds 00:01.3 to the PCI bus and registers the ports; NULL when out of memory or slots. */
AcpiPmState *piix4_pm_new(IoBus *io, PciState *pci, Clock *clock, IrqLine sci,
                          PmSleepFn sleep, void *sleep_opaque);
/* Power-on state of the PM registers (the PCI configuration is reset by pci_reset). */
void piix4_pm_reset(AcpiPmState *s);
/* The power button was pressed: PWRBTN_STS (an SCI if PWRBTN_EN and SCI_EN). */
void piix4_pm_power_button(AcpiPmState *s);
/* The ACPI sleep state (1-5) that SLP_TYP value requests, or 0 when it names none. */
int piix4_pm_sleep_state(int slp_typ);
/* The PM timer value (24 bits) at virtual time now_ns. */
uint32_t piix4_pm_timer_at(uint64_t now_ns);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc piix4_pm_state_desc;

#endif
