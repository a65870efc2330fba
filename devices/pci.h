/*
 * pci.h — PCI bus 0 behind configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2),
 * with the i440FX host bridge (00:00.0, its PAM registers reported to the board) and the PIIX3
 * PCI-ISA bridge (00:01.0: PCI interrupt routing, and the reset control register at 0xCF9).  Other chips add their own functions with
 * pci_add_function (the PIIX4 power-management function 00:01.3 lives in devices/piix4_pm.c).
 */
#ifndef SOFTVISOR_PCI_H
#define SOFTVISOR_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "mem/io.h"

#define PCI_DEVFN(dev, fn) (((dev) << 3) | (fn))
#define PCI_MAX_FUNCS 8
#define PCI_PAM_REGS 7
#define PCI_PIRQS 4
/* PAM attribute bits of one segment (a nibble of a PAM register): RE reads RAM, WE writes RAM;
 * otherwise the access goes to the PCI bus (the BIOS ROM in 0xE0000-0xFFFFF). */
#define PCI_PAM_RE 0x1
#define PCI_PAM_WE 0x2

/* Called after the guest wrote a function's configuration space and after a reset, so that the
 * chip can follow base-address and enable registers (cfg is the whole 256-byte space). */
typedef void (*PciUpdateFn)(void *opaque, const uint8_t *cfg);

typedef struct PciFunc {
    int devfn;                /* device << 3 | function, on bus 0 */
    uint8_t cfg[256];         /* current configuration space (little endian) */
    uint8_t init[256];        /* power-on image */
    uint8_t wmask[256];       /* bits the guest can write */
    uint8_t w1cmask[256];     /* write-1-to-clear bits (status registers) */
    PciUpdateFn update;
    void *opaque;
} PciFunc;

typedef void (*PciResetFn)(void *opaque);
/* The i440FX's PAM0-PAM6 registers (config 0x59-0x5F) changed, or were reset: the board maps the
 * 0xC0000-0xFFFFF segments to RAM or ROM accordingly. */
typedef void (*PciPamFn)(void *opaque, const uint8_t pam[PCI_PAM_REGS]);

typedef struct PciState {
    uint32_t config_address;  /* CONFIG_ADDRESS (0xCF8) */
    uint8_t rcr;              /* PIIX3 reset control register (0xCF9) */
    PciFunc f[PCI_MAX_FUNCS];
    int n;
    PciResetFn reset;         /* 0xCF9 system reset (the board calls vm_request_reset) */
    void *reset_opaque;
    PciPamFn pam;             /* PAM change hook (the board's shadow mapping), or NULL */
    void *pam_opaque;
    uint8_t pam_seen[PCI_PAM_REGS];   /* PAM0-6 as last handed to the hook */
    bool pam_valid;
    /* PIIX3 interrupt routing: INTx# levels per device function (bit n = INT(A+n)#) */
    uint8_t intx[256];
    IrqLine isa_irq;          /* ISA IRQ input `line` of the 8259s (line set per call) */
    IrqLine apic_pin;         /* I/O APIC input `line` */
    uint16_t isa_level;       /* ISA IRQs driven high by a routed PIRQ */
    uint8_t pirq_level;       /* PIRQ[A-D]# asserted (bit n = PIRQ A + n) */
} PciState;

/* Registers 0xCF8-0xCFF and creates the host bridge and the PIIX3 ISA bridge. */
PciState *pci_new(IoBus *io, PciResetFn reset, void *reset_opaque);
/* Power-on configuration of every function (calls their update hooks). */
void pci_reset(PciState *s);

/* A function on bus 0 with a type 0 header: read-only IDs, class code, header type; the
 * command/status/cache-line/latency/interrupt-line fields writable as PCI 3.0 says; no BARs.
 * Returns NULL when the devfn is taken or the registry is full. */
PciFunc *pci_add_function(PciState *s, int devfn, uint16_t vendor, uint16_t device,
                          uint8_t revision, uint32_t class_code, uint8_t header_type,
                          PciUpdateFn update, void *opaque);
/* Sets `size` bytes at `reg` of the power-on image (and the current space) with their write mask. */
void pci_func_init_reg(PciFunc *f, int reg, int size, uint32_t val, uint32_t wmask);

/* Connects the PAM hook (called at once with the current registers). */
void pci_set_pam_hook(PciState *s, PciPamFn fn, void *opaque);
/* Connects the PIIX3's interrupt outputs: `isa` gets ISA IRQ numbers 0-15 in its line, `apic` the
 * I/O APIC inputs 16-19 that PIRQ A-D also drive. */
void pci_connect_irqs(PciState *s, IrqFn isa, IrqFn apic, void *opaque);
/* A function's INTx# pin (0 = INTA# ... 3 = INTD#) goes to `level` (1 = asserted). */
void pci_set_irq(PciState *s, int devfn, int pin, int level);
/* The PIRQ (0-3 = A-D) that device `dev`'s INTx# pin `pin` (0-3) is wired to on the board. */
int pci_slot_pirq(int dev, int pin);

/* Configuration cycles on bus 0 (devfn, byte offset, 1/2/4 bytes inside one dword). */
uint32_t pci_config_read(PciState *s, int devfn, int reg, int size);
void pci_config_write(PciState *s, int devfn, int reg, int size, uint32_t val);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc pci_state_desc;

#endif
