/*
 * acpi.h — the ACPI tables of softvisor's PC (RSDP, RSDT, XSDT, FADT, FACS, MADT, HPET, DSDT).
 */
#ifndef SOFTVISOR_ACPI_H
#define SOFTVISOR_ACPI_H

#include <stdint.h>

/* Guest-physical places of the tables: the RSDP in the BIOS area where the OS also scans for it,
 * the tables in the 64 KiB below it.  The loader reserves both in the E820 map. */
#define ACPI_RSDP_ADDR 0xf0000u
#define ACPI_TABLES_ADDR 0xe0000u
#define ACPI_TABLES_END 0xf0000u

/* Writes all tables into guest RAM (guest physical 0 = ram[0]) for a VM with ram_size bytes of
 * RAM and stores the RSDP's guest-physical address in *rsdp_gpa.  Returns 0, or -1 when the RAM
 * is too small to hold them (less than 1 MiB). */
int acpi_build(uint8_t *ram, uint64_t ram_size, uint64_t *rsdp_gpa);

#endif
