/*
 * acpi.h — the ACPI tables of softvisor's PC (RSDP, RSDT, XSDT, FADT, FACS, MADT, HPET, DSDT).
 */
#ifndef SOFTVISOR_ACPI_H
#define SOFTVISOR_ACPI_H

#include <stdbool.h>
#include <stdint.h>

/* Guest-physical places of the tables: the RSDP in the BIOS area where the OS also scans for it,
 * the tables in the 64 KiB below it.  The loader reserves both in the E820 map. */
#define ACPI_RSDP_ADDR 0xf0000u
#define ACPI_TABLES_ADDR 0xe0000u
#define ACPI_TABLES_END 0xf0000u

/* The tables as one block built for a given guest-physical base, with every pointer field and
 * checksum listed, so that a firmware can place the block elsewhere (the fw_cfg table loader:
 * firmware/bios_cfg.c).  Pointer fields hold base + the target's offset in the block. */
#define ACPI_BLOB_MAX (ACPI_TABLES_END - ACPI_TABLES_ADDR)
#define ACPI_RSDP_LEN 36u
#define ACPI_MAX_FIXUPS 24

typedef struct AcpiPointer {
    bool in_rsdp;             /* the field is in the RSDP (else in the table block) */
    uint32_t offset;          /* where the field lies */
    uint8_t size;             /* 4 or 8 bytes */
} AcpiPointer;

typedef struct AcpiChecksum {
    bool in_rsdp;
    uint32_t offset;          /* the checksum byte */
    uint32_t start, len;      /* the bytes that sum to 0 */
} AcpiChecksum;

typedef struct AcpiTables {
    uint8_t blob[ACPI_BLOB_MAX];
    uint32_t len;
    uint8_t rsdp[ACPI_RSDP_LEN];
    AcpiPointer ptr[ACPI_MAX_FIXUPS];
    int nptr;
    AcpiChecksum sum[ACPI_MAX_FIXUPS];
    int nsum;
} AcpiTables;

/* Builds the tables for a VM with ram_size bytes of RAM, the block at guest-physical `base`
 * (its first table, the FACS, 64-byte aligned there). */
void acpi_tables_build(AcpiTables *t, uint64_t ram_size, uint32_t base);

/* Writes all tables into guest RAM (guest physical 0 = ram[0]) for a VM with ram_size bytes of
 * RAM and stores the RSDP's guest-physical address in *rsdp_gpa.  Returns 0, or -1 when the RAM
 * is too small to hold them (less than 1 MiB). */
int acpi_build(uint8_t *ram, uint64_t ram_size, uint64_t *rsdp_gpa);

#endif
