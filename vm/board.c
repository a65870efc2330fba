/*
 * board.c — the PC board (see board.h): the chips of an i440FX/PIIX PC as QEMU's "pc" machine
 * lays them out, wired to the VM's port bus, physical address space, clock and CPU.
 *
 * Ports owned here: 0x92 (system control port A: bit 1 A20 gate, bit 0 fast reset); 0xF0
 * (coprocessor error: a write clears the FERR# -> IRQ 13 latch and asserts IGNNE#).
 * PCI bus 0 (devices/pci.c): 00:00.0 i440FX (its PAM registers map the shadow RAM below),
 * 00:01.0 PIIX3 (PIRQ A-D to the 8259 inputs its PIRQRC registers name and to I/O APIC 16-19),
 * 00:01.3 PIIX4 PM (devices/piix4_pm.c, SCI = ISA IRQ 9, S5 -> VM_EXIT_POWEROFF, other sleep
 * states -> VM_EXIT_SLEEP); HPET at 0xFED00000 (devices/hpet.c); fw_cfg at 0x510-0x51B
 * (devices/fw_cfg.c, filled by firmware/bios_cfg.c); SeaBIOS's debug log at 0x402;
 * 00:02.0 std VGA (devices/vga.c) unless -vga none; 00:01.1 PIIX3 IDE (devices/ide.c, ISA IRQ 14
 * and 15) with the configured drives.
 * Each chip section below creates one chip; keep one section per chip so that adding a chip
 * touches only its own lines.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm/board.h"
#include "cpu/decode.h"
#include "vm/vm.h"
#include "firmware/e820.h"
#include "cpu/decode.h"
#include "cpu/msr.h"
#include "devices/debugport.h"
#include "devices/fw_cfg.h"
#include "firmware/bios_cfg.h"
#include "devices/i8042.h"
#include "devices/i8259.h"
#include "devices/i8254.h"
#include "devices/mc146818.h"
#include "devices/hpet.h"
#include "devices/pci.h"
#include "devices/piix4_pm.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/uart16550.h"
#include "devices/vga.h"
#include "devices/ide.h"

/* ---- port 0x92 ---- */

static uint32_t port92_read(void *opaque, uint16_t port, int size)
{
    Vm *vm = opaque;
    (void)port;
    (void)size;
    return vm->port92;
}

static void port92_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    Vm *vm = opaque;
    (void)port;
    (void)size;
    vm->port92 = val & 0x02;
    vm_set_a20(vm, (val & 0x02) != 0);
    if (val & 0x01)
        vm_request_reset(vm);
}

static const IoOps port92_ops = { port92_read, port92_write, 1 };

/* ---- FERR# / IRQ 13 (PC/AT coprocessor error wiring, SDM vol. 1 D.2.1.2) ----
 * FERR# going active sets a latch driving IRQ 13; a write to port 0xF0 clears the latch and
 * asserts IGNNE# while FERR# is still active (the CPU drops IGNNE# when FERR# goes inactive). */

void board_ferr(Vm *vm)
{
    board_isa_irq(vm, 13, 1);
}

static uint32_t portf0_read(void *opaque, uint16_t port, int size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return 0xff;
}

static void portf0_write(void *opaque, uint16_t port, int size, uint32_t val)
{
    Vm *vm = opaque;
    (void)port;
    (void)size;
    (void)val;
    board_isa_irq(vm, 13, 0);
    if (vm->cpu->ferr)
        vm->cpu->ignne = true;
}

static const IoOps portf0_ops = { portf0_read, portf0_write, 1 };

static void on_debug_exit(void *opaque, int status)
{
    Vm *vm = opaque;
    vm->exit = VM_EXIT_DEBUG_EXIT;
    vm->exit_status = status;
    vm->cpu->stop_request = true;
}

/* ---- keyboard controller: its output port and port 0x92 both drive A20; the last write wins,
 * as on QEMU's pc machine ---- */

static void kbc_set_a20(void *opaque, bool on)
{
    vm_set_a20(opaque, on);
}

static void kbc_reset_cpu(void *opaque)
{
    vm_request_reset(opaque);
}

/* ---- PCI (i440FX, PIIX3), PIIX4 PM, HPET ---- */

static void on_pci_reset(void *opaque)
{
    vm_request_reset(opaque);      /* 0xCF9 reset control */
}

/* SLP_EN: S5 (soft-off) powers the machine off; the DSDT declares no other state, and a guest
 * that asks for one anyway must not run on as if it had slept and woken: the run ends. */
static void on_acpi_sleep(void *opaque, int slp_typ)
{
    Vm *vm = opaque;
    if (slp_typ == PM_SLP_TYP_S5) {
        vm->exit = VM_EXIT_POWEROFF;
        vm->exit_status = 0;
    } else {
        vm->exit = VM_EXIT_SLEEP;
        vm->sleep_type = slp_typ;
    }
    vm->cpu->stop_request = true;
}

/* IrqFn for the 8254's IRQ 0 and the RTC's IRQ 8: while the HPET's legacy replacement is on,
 * its timers 0 and 1 drive those inputs instead (HPET 1.0a, 2.3.9.2.2). */
void board_legacy_irq(void *opaque, int irq, int level)
{
    Vm *vm = opaque;
    if (vm->hpet && hpet_legacy_replacement(vm->hpet))
        return;
    board_isa_irq(opaque, irq, level);
}

/* ---- i440FX PAM: the shadow RAM of 0xC0000-0xFFFFF (devices/pci.c has the register layout) ----
 * Thirteen segments, each a shadow region over RAM: reads come from RAM when RE is set, else from
 * what PCI answers: the BIOS ROM where its ISA alias lies (the last 128 KiB below 1 MiB), all
 * ones elsewhere (no option ROM answers on PCI yet), kept as one 256 KiB image (vm->pci_shadow)
 * so that a segment the ROM covers only in part reads right; writes go to RAM when WE is set,
 * else nowhere.  A change flushes the TLB and the decoded blocks of the segment: the same
 * addresses now hold other bytes. */

#define PAM_SEGMENTS VM_PAM_SEGMENTS
#define SHADOW_BASE 0xc0000u
#define SHADOW_SIZE 0x40000u

typedef struct PamSegment {
    uint32_t base, size;
    int reg, shift;   /* PAM register index (0-6) and the bit position of its field */
} PamSegment;

static const PamSegment pam_segments[PAM_SEGMENTS] = {
    { 0xc0000, 0x4000, 1, 0 }, { 0xc4000, 0x4000, 1, 4 }, { 0xc8000, 0x4000, 2, 0 },
    { 0xcc000, 0x4000, 2, 4 }, { 0xd0000, 0x4000, 3, 0 }, { 0xd4000, 0x4000, 3, 4 },
    { 0xd8000, 0x4000, 4, 0 }, { 0xdc000, 0x4000, 4, 4 }, { 0xe0000, 0x4000, 5, 0 },
    { 0xe4000, 0x4000, 5, 4 }, { 0xe8000, 0x4000, 6, 0 }, { 0xec000, 0x4000, 6, 4 },
    { 0xf0000, 0x10000, 0, 4 },
};

static void board_pam_update(void *opaque, const uint8_t pam[PCI_PAM_REGS])
{
    Vm *vm = opaque;
    bool changed = false;
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        const PamSegment *g = &pam_segments[i];
        int attr = pam[g->reg] >> g->shift;
        uint8_t *rd = (attr & PCI_PAM_RE) ? vm->ram + g->base : vm->pci_shadow + (g->base - SHADOW_BASE);
        uint8_t *wr = (attr & PCI_PAM_WE) ? vm->ram + g->base : NULL;
        if (vm->pam_rd[i] == rd && vm->pam_wr[i] == wr)
            continue;
        vm->pam_rd[i] = rd;
        vm->pam_wr[i] = wr;
        int r = mem_set_shadow(&vm->mem, g->base, rd, wr);
        assert(r == 0);   /* board_init mapped every segment */
        (void)r;
        for (uint32_t a = g->base; a < g->base + g->size; a += 0x1000)
            block_invalidate_page(vm->cpu, a);
        changed = true;
    }
    if (changed)
        cpu_flush_tlb(vm->cpu, true);
}

void board_open_shadow(Vm *vm)
{
    pci_config_write(vm->pci, PCI_DEVFN(0, 0), 0x59, 1, (PCI_PAM_RE | PCI_PAM_WE) << 4);
    for (int reg = 0x5a; reg <= 0x5f; reg++)
        pci_config_write(vm->pci, PCI_DEVFN(0, 0), reg, 1, (PCI_PAM_RE | PCI_PAM_WE) * 0x11);
}

static int board_map_shadow(Vm *vm)
{
    vm->pci_shadow = malloc(SHADOW_SIZE);
    if (!vm->pci_shadow)
        return -1;
    memset(vm->pci_shadow, 0xff, SHADOW_SIZE);
    if (vm->rom) {
        uint64_t isa = vm->rom_size < BOARD_ISA_BIOS_MAX ? vm->rom_size : BOARD_ISA_BIOS_MAX;
        memcpy(vm->pci_shadow + SHADOW_SIZE - isa, vm->rom + vm->rom_size - isa, isa);
    }
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        const PamSegment *g = &pam_segments[i];
        vm->pam_rd[i] = vm->pam_wr[i] = vm->ram + g->base;
        if (mem_map_shadow(&vm->mem, g->base, g->size, vm->ram + g->base, vm->ram + g->base) < 0)
            return -1;
    }
    pci_set_pam_hook(vm->pci, board_pam_update, vm);
    return 0;
}

/* ---- bus-master DMA into guest memory (fw_cfg) ----
 * Page by page through the physical map as the chipset routes a bus master: RAM and the shadow
 * segments' backings; anything else (MMIO, unassigned, ROM for writes) fails the transfer.  A
 * write over decoded code drops those blocks, as a CPU store would. */

/* The host bytes behind the first piece of [gpa, gpa + len) that lies in one page (*n bytes), or
 * NULL.  A write piece over decoded code drops those blocks first. */
static uint8_t *board_dma_piece(Vm *vm, uint64_t gpa, uint32_t len, bool write, uint32_t *n)
{
    *n = 0x1000 - (uint32_t)(gpa & 0xfff);
    if (*n > len)
        *n = len;
    uint8_t *p = phys_dma_ptr(&vm->mem, gpa, *n, write);
    if (p && write && block_page_has_code(vm->cpu, gpa & ~0xfffull))
        block_invalidate_page(vm->cpu, gpa & ~0xfffull);
    return p;
}

static bool board_dma_read(void *opaque, uint64_t gpa, void *buf, uint32_t len)
{
    uint8_t *out = buf;
    if (gpa + len < gpa)
        return false;   /* wraps around the address space */
    for (uint32_t n; len; gpa += n, out += n, len -= n) {
        const uint8_t *p = board_dma_piece(opaque, gpa, len, false, &n);
        if (!p)
            return false;
        memcpy(out, p, n);
    }
    return true;
}

static bool board_dma_write(void *opaque, uint64_t gpa, const void *buf, uint32_t len)
{
    const uint8_t *in = buf;
    if (gpa + len < gpa)
        return false;
    for (uint32_t n; len; gpa += n, in += n, len -= n) {
        uint8_t *p = board_dma_piece(opaque, gpa, len, true, &n);
        if (!p)
            return false;
        memcpy(p, in, n);
    }
    return true;
}

/* ---- interrupt routing ---- */

void board_isa_irq(void *opaque, int irq, int level)
{
    Vm *vm = opaque;
    pic_set_irq(vm->pic, irq, level);
    if (irq < 0 || irq >= 16)
        return;
    ioapic_set_irq(vm->ioapic, irq == 0 ? 2 : irq, level);
}

/* LAPIC first: a fixed interrupt it accepted above the processor priority; then the 8259's INTR
 * through LINT0 in ExtINT (virtual-wire) mode or with the LAPIC disabled. */
bool board_intr_pending(Vm *vm)
{
    return lapic_intr_pending(vm->lapic) || (lapic_accepts_pic(vm->lapic) && pic_has_intr(vm->pic));
}

bool board_intr_ack(Vm *vm, uint8_t *vector)
{
    if (lapic_intr_pending(vm->lapic)) {
        *vector = lapic_intr_ack(vm->lapic);
        return true;
    }
    if (lapic_accepts_pic(vm->lapic) && pic_has_intr(vm->pic)) {
        *vector = pic_ack(vm->pic);
        return true;
    }
    return false;
}

/* IrqFn for devices wired to an I/O APIC input directly (the HPET's routed timers, PIRQ A-D). */
static void board_ioapic_pin(void *opaque, int pin, int level)
{
    Vm *vm = opaque;
    ioapic_set_irq(vm->ioapic, pin, level);
}

/* IrqFn for the PIIX3's routed PCI interrupts: the 8259 input only; the I/O APIC sees the PIRQs
 * on its inputs 16-19 instead (QEMU's wiring), so an ISA IRQ that a PIRQ shares does not reach
 * the I/O APIC twice.  XXX: an ISA device and a PIRQ on one 8259 input are not ORed (none share
 * one on this board). */
static void board_pirq_isa(void *opaque, int irq, int level)
{
    Vm *vm = opaque;
    pic_set_irq(vm->pic, irq, level);
}

/* ---- local APIC and I/O APIC ---- */

void board_apic_base_write(Vm *vm, uint64_t apic_base)
{
    lapic_set_base(vm->lapic, apic_base);
}

uint8_t board_apic_cr8_read(Vm *vm)
{
    return lapic_get_cr8(vm->lapic);
}

void board_apic_cr8_write(Vm *vm, uint8_t cr8)
{
    lapic_set_cr8(vm->lapic, cr8);
}

uint64_t board_apic_tsc_deadline_read(Vm *vm)
{
    return lapic_get_tsc_deadline(vm->lapic);
}

void board_apic_tsc_deadline_write(Vm *vm, uint64_t tsc)
{
    lapic_set_tsc_deadline(vm->lapic, tsc);
}

static void lapic_to_cpu_nmi(void *opaque)
{
    Vm *vm = opaque;
    vm->cpu->nmi_pending = true;
}

static void lapic_eoi_to_ioapic(void *opaque, uint8_t vector)
{
    Vm *vm = opaque;
    ioapic_eoi(vm->ioapic, vector);
}

static uint64_t lapic_read_tsc(void *opaque)
{
    Vm *vm = opaque;
    return msr_tsc(vm->cpu);
}

/* The APIC bus: one CPU, so every message goes to its local APIC, which checks the destination. */
static bool apic_bus_deliver(void *opaque, const ApicMsg *m)
{
    Vm *vm = opaque;
    return lapic_deliver(vm->lapic, m);
}

/* ---- VGA ---- */

static int board_vga_init(Vm *vm, char *err, size_t errlen)
{
    uint8_t *rom = NULL;
    size_t rom_len = 0;
    if (vm->cfg.vga_rom) {
        FILE *f = fopen(vm->cfg.vga_rom, "rb");
        if (!f) {
            snprintf(err, errlen, "cannot open VGA BIOS '%s': %s", vm->cfg.vga_rom, strerror(errno));
            return -1;
        }
        rom = malloc(1u << 20);
        rom_len = rom ? fread(rom, 1, 1u << 20, f) : 0;
        bool bad = !rom || ferror(f) || rom_len == 0 || !feof(f);
        fclose(f);
        if (bad) {
            free(rom);
            snprintf(err, errlen, "cannot read VGA BIOS '%s' (empty, unreadable or over 1 MiB)", vm->cfg.vga_rom);
            return -1;
        }
    }
    vm->vga = vga_new(&vm->io, &vm->mem, vm->pci, PCI_DEVFN(2, 0), VGA_VRAM_DEFAULT, rom, rom_len);
    free(rom);
    if (!vm->vga) {
        snprintf(err, errlen, "cannot create the VGA (out of memory or address-space slots)");
        return -1;
    }
    return 0;
}

/* ---- IDE ---- */

/* IDE bus-master DMA wrote guest RAM without a CPU store: drop code decoded from those pages. */
static void ide_dma_written(void *opaque, uint64_t paddr, uint32_t len)
{
    Vm *vm = opaque;
    for (uint64_t p = paddr & ~0xfffull; p < paddr + len; p += 0x1000)
        block_invalidate_page(vm->cpu, p);
}

static int board_ide_init(Vm *vm, char *err, size_t errlen)
{
    vm->ide = ide_new(&vm->io, &vm->mem, &vm->clock, vm->pci, PCI_DEVFN(1, 1),
                      (IrqLine){ board_isa_irq, vm, 14 }, (IrqLine){ board_isa_irq, vm, 15 });
    if (!vm->ide) {
        snprintf(err, errlen, "cannot create the IDE controller (out of memory, clock events or slots)");
        return -1;
    }
    vm->ide->dma_written = ide_dma_written;
    vm->ide->dma_opaque = vm;
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        const VmDrive *dr = &vm->cfg.drive[i];
        if (!dr->present)
            continue;
        BlockDev *bd = NULL;
        if (dr->file) {
            bd = blockdev_open(dr->file, dr->readonly || dr->cdrom, vm->cfg.snapshot, err, errlen);
            if (!bd)
                return -1;
        }
        if (ide_attach(vm->ide, i / 2, i % 2, dr->cdrom ? IDE_CDROM : IDE_DISK, bd) < 0) {
            blockdev_free(bd);
            snprintf(err, errlen, "IDE drive %d: a disk needs an image file", i);
            return -1;
        }
    }
    return 0;
}

/* ---- creation ---- */

int board_init(Vm *vm, char *err, size_t errlen)
{
    const VmConfig *cfg = &vm->cfg;
    vm->pic = pic_new(&vm->io);     /* first: the other chips' IRQ lines lead to it */
    if (!vm->pic) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* local APIC and I/O APIC: also before any chip that drives an IRQ line */
    LapicHooks lh = { lapic_to_cpu_nmi, lapic_eoi_to_ioapic, lapic_read_tsc, vm };
    vm->lapic = lapic_new(&vm->mem, &vm->clock, &lh, vm->cpu->config.tsc_per_insn);
    vm->ioapic = ioapic_new(&vm->mem, IOAPIC_DEFAULT_BASE, apic_bus_deliver, vm);
    if (!vm->lapic || !vm->ioapic) {
        snprintf(err, errlen, "cannot create the local APIC / I/O APIC");
        return -1;
    }
    vm->com1 = uart_new(&vm->io, 0x3f8, (IrqLine){ board_isa_irq, vm, 4 }, &vm->clock, cfg->serial);
    vm->com2 = uart_new(&vm->io, 0x2f8, (IrqLine){ board_isa_irq, vm, 3 }, &vm->clock, cfg->serial2);
    vm->debugcon = debugcon_new(&vm->io, 0xe9, cfg->debugcon);
    vm->debugexit = debugexit_new(&vm->io, 0xf4, on_debug_exit, vm);
    vm->fwlog = debugcon_new(&vm->io, 0x402, cfg->fwlog);
    vm->kbc = kbc_new(&vm->io, (IrqLine){ board_isa_irq, vm, 1 }, (IrqLine){ board_isa_irq, vm, 12 },
                      (KbcHost){ kbc_set_a20, kbc_reset_cpu, vm });
    if (!vm->com1 || !vm->com2 || !vm->kbc || !vm->debugcon || !vm->debugexit || !vm->fwlog) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    io_register(&vm->io, 0x92, 1, &port92_ops, vm);
    io_register(&vm->io, 0xf0, 1, &portf0_ops, vm);

    /* i8254 PIT (ports 0x40-0x43, 0x61): OUT0 is ISA IRQ 0 */
    vm->pit = pit_new(&vm->io, &vm->clock, (IrqLine){ board_legacy_irq, vm, 0 });
    if (!vm->pit) {
        snprintf(err, errlen, "cannot create the PIT (out of memory or clock events)");
        return -1;
    }

    /* MC146818 RTC and CMOS (ports 0x70-0x71): IRQ 8; the CMOS memory bytes describe the RAM
     * below 4 GiB (at most 3.5 GiB) and above it */
    uint64_t ram_low = e820_low_ram_end(vm->ram_size);
    vm->rtc = rtc_new(&vm->io, &vm->clock, (IrqLine){ board_legacy_irq, vm, 8 }, cfg->rtc_base,
                      ram_low, vm->ram_size - ram_low);
    if (!vm->rtc) {
        snprintf(err, errlen, "cannot create the RTC (out of memory or clock events)");
        return -1;
    }
    if (cfg->boot_order)
        rtc_set_boot_order(vm->rtc, cfg->boot_order);

    /* PCI bus, PIIX4 PM (SCI = ISA IRQ 9), HPET.  HPET legacy replacement: timer 0 -> ISA IRQ 0
     * (PIC 0, I/O APIC 2), timer 1 -> ISA IRQ 8.  Its routed output (INT_ROUTE_CAP = pin 2) goes
     * to I/O APIC pin 2 directly. */
    vm->pci = pci_new(&vm->io, on_pci_reset, vm);
    vm->pm = vm->pci ? piix4_pm_new(&vm->io, vm->pci, &vm->clock, (IrqLine){ board_isa_irq, vm, 9 },
                                    on_acpi_sleep, vm) : NULL;
    vm->hpet = hpet_new(&vm->mem, HPET_BASE, &vm->clock, (IrqLine){ board_isa_irq, vm, 0 },
                        (IrqLine){ board_isa_irq, vm, 8 });
    if (!vm->pci || !vm->pm || !vm->hpet) {
        snprintf(err, errlen, "cannot create the PCI bus, PM or HPET (out of memory or slots)");
        return -1;
    }
    hpet_connect_pin(vm->hpet, 2, (IrqLine){ board_ioapic_pin, vm, 2 });
    pci_connect_irqs(vm->pci, board_pirq_isa, board_ioapic_pin, vm);
    if (board_map_shadow(vm) < 0) {
        snprintf(err, errlen, "cannot map the shadow RAM segments");
        return -1;
    }

    /* fw_cfg (ports 0x510-0x51B): what the BIOS learns of the machine; its DMA reaches RAM */
    FwCfgDmaOps dma = { board_dma_read, board_dma_write, vm };
    vm->fw_cfg = fw_cfg_new(&vm->io, &dma);
    if (!vm->fw_cfg || bios_cfg_fill(vm->fw_cfg, vm->ram_size, cfg->nographic, !cfg->no_vga) < 0) {
        snprintf(err, errlen, "cannot create the fw_cfg device (out of memory)");
        return -1;
    }

    /* std VGA at 00:02.0 (QEMU's slot), its BIOS as the expansion ROM */
    if (!cfg->no_vga && board_vga_init(vm, err, errlen) < 0)
        return -1;

    /* PIIX3 IDE at 00:01.1, IRQ 14 / 15 */
    if (board_ide_init(vm, err, errlen) < 0)
        return -1;
    return 0;
}

void board_reset(Vm *vm)
{
    vm->port92 = 0x02;
    pic_reset(vm->pic);
    board_isa_irq(vm, 13, 0);       /* RESET clears the FERR# latch */
    uart_reset(vm->com1);
    uart_reset(vm->com2);
    pit_reset(vm->pit);
    kbc_reset(vm->kbc);
    rtc_reset(vm->rtc);
    pci_reset(vm->pci);
    fw_cfg_reset(vm->fw_cfg);
    piix4_pm_reset(vm->pm);
    hpet_reset(vm->hpet);
    lapic_reset(vm->lapic);
    ioapic_reset(vm->ioapic);
    if (vm->vga)
        vga_reset(vm->vga);
    ide_reset(vm->ide);
}

void board_free(Vm *vm)
{
    free(vm->com1);
    free(vm->com2);
    free(vm->kbc);
    free(vm->debugcon);
    free(vm->debugexit);
    free(vm->fwlog);
    fw_cfg_free(vm->fw_cfg);
    free(vm->pic);
    free(vm->pit);
    free(vm->rtc);
    free(vm->pci);
    free(vm->pm);
    free(vm->hpet);
    free(vm->lapic);
    free(vm->ioapic);
    vga_free(vm->vga);
    free(vm->pci_shadow);
    ide_free(vm->ide);
}
