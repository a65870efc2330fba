/*
 * board.h — the PC board: it creates the chips, gives each its ports, MMIO window and IRQ lines,
 * and answers the CPU's interrupt-acknowledge cycle.  Only this file knows which chip is wired
 * to which; the chips know the bus API and their IrqLines (DESIGN.md, isolation).
 *
 * ISA IRQ n goes to 8259 input n and to I/O APIC pin n, except IRQ 0 (PIT), which reaches I/O
 * APIC pin 2 (the MADT interrupt source override says so), as on QEMU's i440FX board.
 */
#ifndef SOFTVISOR_BOARD_H
#define SOFTVISOR_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Vm Vm;

/* Creates and wires every chip; on failure writes a one-line reason into err and returns -1. */
int board_init(Vm *vm, char *err, size_t errlen);
/* Power-on state of every chip (RESET# asserted). */
void board_reset(Vm *vm);
void board_free(Vm *vm);
/* Sets every PAM segment to read/write RAM, as a BIOS leaves the chipset (for -kernel boots, where
 * the loader plays the firmware and puts the ACPI tables at 0xE0000). */
void board_open_shadow(Vm *vm);

/* The part of the BIOS ROM that the ISA bus also shows below 1 MiB (its last 128 KiB at most). */
#define BOARD_ISA_BIOS_MAX (128u * 1024)

/* IrqFn for ISA interrupt lines; `opaque` is the Vm. */
void board_isa_irq(void *opaque, int irq, int level);
/* IrqFn for the 8254 (IRQ 0) and RTC (IRQ 8) outputs: cut off while the HPET replaces them. */
void board_legacy_irq(void *opaque, int irq, int level);

/* The CPU's FERR# output went active (CpuBus.ferr): latched into IRQ 13 until port 0xF0. */
void board_ferr(Vm *vm);

/* The CPU's INTR pin and its acknowledge cycle (CpuBus.intr_pending / intr_ack). */
bool board_intr_pending(Vm *vm);
bool board_intr_ack(Vm *vm, uint8_t *vector);

/* The CPU's side of the local APIC (Cpu.apic): IA32_APIC_BASE, CR8, IA32_TSC_DEADLINE. */
void board_apic_base_write(Vm *vm, uint64_t apic_base);
uint8_t board_apic_cr8_read(Vm *vm);
void board_apic_cr8_write(Vm *vm, uint8_t cr8);
uint64_t board_apic_tsc_deadline_read(Vm *vm);
void board_apic_tsc_deadline_write(Vm *vm, uint64_t tsc);

#endif
