/*
 * acpi.c — the ACPI tables of softvisor's PC, built once as a block for a given base address:
 * written into guest RAM for a -kernel boot (acpi_build), or handed to SeaBIOS through fw_cfg with
 * the list of pointer fields and checksums its table loader patches (firmware/bios_cfg.c).
 *
 * Spec: ACPI 6.4 chapter 5.2 (ACPI 2.0 layouts where the revision says so):
 *   RSDP  "RSD PTR ", revision 2, 36 bytes: checksum over bytes 0-19, RSDT address (4 bytes at
 *         16), length (20), XSDT address (8 bytes at 24), extended checksum over all 36 bytes.
 *         On a 16-byte boundary in 0xE0000-0xFFFFF, where the OS scans (5.2.5.1).
 *   Table header (5.2.6), 36 bytes: signature, length, revision, checksum (all bytes of the table
 *         sum to 0 mod 256), OEM ID (6), OEM table ID (8), OEM revision, creator ID, creator rev.
 *   RSDT  32-bit pointers, XSDT 64-bit pointers to FADT, MADT, HPET (the DSDT and FACS are
 *         reached through the FADT).
 *   FADT  "FACP" revision 3, 244 bytes (the ACPI 2.0 layout: 32-bit block addresses and lengths,
 *         then RESET_REG/RESET_VALUE and the 64-bit X_ fields as Generic Address Structures).
 *         Every X_ block equals its 32-bit twin and its GAS bit width is 8 * the block length,
 *         which ACPICA (Linux) checks ("32/64X address mismatch", "length mismatch"); X_DSDT
 *         equals DSDT.  FIRMWARE_CTRL and X_FIRMWARE_CTRL are exclusive (5.2.9: when one is
 *         nonzero the other must be zero; ACPICA installs and logs the FACS once per nonzero
 *         field), so only the 32-bit FIRMWARE_CTRL is set: the FACS is below 1 MiB.
 *   FACS  64 bytes, 64-byte aligned, version 1, no checksum.
 *   MADT  "APIC" (5.2.12): local APIC address, flags bit 0 PCAT_COMPAT (8259s present), then
 *         type 0 processor local APIC, 1 I/O APIC, 2 interrupt source override, 4 local APIC NMI.
 *         MPS INTI flags: bits 1:0 polarity (0 bus default, 1 active high, 3 active low),
 *         bits 3:2 trigger (0 bus default, 1 edge, 3 level).
 *   HPET  IA-PC HPET specification 1.0a, table 3: event timer block ID, base address (GAS),
 *         HPET number, minimum clock tick, page protection; 56 bytes.
 *   DSDT  AML compiled from firmware/dsdt.asl at build time; acpi_build() patches the top of low
 *         RAM into it (see dsdt.asl) and recomputes its checksum.
 *
 * FADT revision 3 rather than 1: with an XSDT and a revision 2 RSDP, ACPI 2.0 says the FADT has
 * the 2.0 layout; Linux reads RESET_REG (reboot=acpi, and its default reboot path tries the
 * ACPI reset register first) and IAPC_BOOT_ARCH (8042 present, legacy devices) only from
 * revision 2 on.  Revision 1 FADTs (as QEMU's pc machine uses for very old guests) would hide both.
 *
 * The fixed platform values (ISSUE 4 contract, shared with devices/piix4_pm.c): PM I/O base 0x600,
 * PM1a_EVT 0x600 (4 bytes), PM1a_CNT 0x604 (2), PM_TMR 0x608 (4, 24-bit: TMR_VAL_EXT = 0),
 * GPE0 0xAFE0 (4), SMI_CMD 0xB2 with ACPI_ENABLE 0xF1 / ACPI_DISABLE 0xF0, SCI = ISA IRQ 9
 * (level, active high), RESET_REG = system I/O 0xCF9 value 0x06, LAPIC 0xFEE00000 (ID 0),
 * I/O APIC 0xFEC00000 (ID 0, GSI base 0), HPET 0xFED00000 (3 comparators, 64-bit, legacy route).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/acpi.h"
#include "firmware/dsdt_aml.h"
#include "firmware/e820.h"
#include "devices/hpet.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/piix4_pm.h"

#define OEM_ID "SFTVSR"
#define OEM_TABLE_ID "SFTVSRPC"
#define OEM_REVISION 1u
#define CREATOR_ID "SFTV"
#define CREATOR_REVISION 1u

#define HDR_LEN 36u
#define RSDP_LEN ACPI_RSDP_LEN
#define FACS_LEN 64u
#define FADT_LEN 244u
#define HPET_LEN 56u

/* The PIIX4 PM function's blocks (ISSUE 4 contract). */
#define PM_BASE PM_BASE_DEFAULT
#define PM1A_EVT_BLK (PM_BASE + 0x0)
#define PM1A_CNT_BLK (PM_BASE + 0x4)
#define PM_TMR_BLK (PM_BASE + 0x8)
#define GPE0_BLK PM_GPE0_BASE
#define PM1_EVT_LEN 4u
#define PM1_CNT_LEN 2u
#define PM_TMR_LEN 4u
#define GPE0_BLK_LEN 4u
#define SMI_CMD_PORT PM_SMI_CMD
#define ACPI_ENABLE_VALUE 0xf1u
#define ACPI_DISABLE_VALUE 0xf0u
#define SCI_IRQ 9u
#define RESET_PORT 0xcf9u
#define RESET_VALUE 0x06u
#define RTC_CENTURY_INDEX 0x32u

/* FADT Flags (ACPI 6.4 table 5.10). */
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_SLP_BUTTON (1u << 5)   /* no fixed-feature sleep button */
#define FADT_F_RTC_S4 (1u << 7)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_USE_PLATFORM_CLOCK (1u << 15)
/* IAPC_BOOT_ARCH (table 5.11). */
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_8042 (1u << 1)
/* P_LVL2_LAT > 100 and P_LVL3_LAT > 1000 say the C2 and C3 states are not supported. */
#define P_LVL2_LAT_NONE 0x0fffu
#define P_LVL3_LAT_NONE 0x0fffu

/* Generic Address Structure address space IDs. */
#define GAS_SYSTEM_MEMORY 0u
#define GAS_SYSTEM_IO 1u
#define GAS_ACCESS_BYTE 1u

#define LAPIC_ADDR LAPIC_DEFAULT_BASE
#define IOAPIC_ADDR IOAPIC_DEFAULT_BASE
#define IOAPIC_ID 0u
#define MADT_PCAT_COMPAT 1u
#define MADT_LAPIC_ENABLED 1u
#define MADT_ALL_PROCESSORS 0xffu
#define INTI_CONFORMS 0x0u
#define INTI_HIGH_LEVEL 0xdu   /* polarity 01 active high, trigger 11 level */

#define HPET_ADDR HPET_BASE
/* Event timer block ID: vendor 0x8086 (31:16), LEG_RT_CAP (15), COUNT_SIZE_CAP 64-bit (13),
 * NUM_TIM_CAP = comparators - 1 = 2 (12:8), REV_ID 1 (7:0) — the capabilities register's low
 * half as the HPET chip reports it. */
#define HPET_BLOCK_ID 0x8086a201u
#define HPET_MIN_TICK 0x80u

/* AML: NameOp 'TOLM' DWordPrefix, the top-of-low-RAM integer in \_SB.PCI0 (dsdt.asl). */
static const uint8_t dsdt_tolm_pattern[6] = { 0x08, 'T', 'O', 'L', 'M', 0x0c };

_Static_assert(sizeof(dsdt_aml_code) <= ACPI_TABLES_END - ACPI_TABLES_ADDR - 1024,
               "DSDT does not fit in the ACPI table area");

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, (uint16_t)v);
    put_u16(p + 2, (uint16_t)(v >> 16));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t acpi_checksum(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put_u32(t + 4, len);
    t[8] = rev;
    t[9] = 0;
    memcpy(t + 10, OEM_ID, 6);
    memcpy(t + 16, OEM_TABLE_ID, 8);
    put_u32(t + 24, OEM_REVISION);
    memcpy(t + 28, CREATOR_ID, 4);
    put_u32(t + 32, CREATOR_REVISION);
}

/* Sets the header checksum of a finished table. */
static void acpi_seal(uint8_t *t, uint32_t len)
{
    t[9] = 0;
    t[9] = acpi_checksum(t, len);
}

/* Notes a checksum of the block (or the RSDP) for a firmware that moves the tables. */
static void acpi_note_sum(AcpiTables *at, bool in_rsdp, uint32_t offset, uint32_t start, uint32_t len)
{
    assert(at->nsum < ACPI_MAX_FIXUPS);
    at->sum[at->nsum++] = (AcpiChecksum){ in_rsdp, offset, start, len };
}

/* Seals the table at block offset `off` and notes its checksum. */
static void acpi_seal_at(AcpiTables *at, uint32_t off, uint32_t len)
{
    acpi_seal(at->blob + off, len);
    acpi_note_sum(at, false, off + 9, off, len);
}

/* Writes a pointer field at `offset` (of the block or the RSDP) to block offset `target`,
 * placed at `base`, and notes it. */
static void acpi_pointer(AcpiTables *at, bool in_rsdp, uint32_t offset, uint8_t size, uint32_t base,
                         uint32_t target)
{
    uint8_t *p = (in_rsdp ? at->rsdp : at->blob) + offset;
    if (size == 4)
        put_u32(p, base + target);
    else
        put_u64(p, (uint64_t)base + target);
    assert(at->nptr < ACPI_MAX_FIXUPS);
    at->ptr[at->nptr++] = (AcpiPointer){ in_rsdp, offset, size };
}

static void put_gas(uint8_t *p, uint8_t space, uint8_t bit_width, uint8_t access, uint64_t addr)
{
    p[0] = space;
    p[1] = bit_width;
    p[2] = 0;   /* bit offset */
    p[3] = access;
    put_u64(p + 4, addr);
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static void acpi_write_facs(uint8_t *t)
{
    memcpy(t, "FACS", 4);
    put_u32(t + 4, FACS_LEN);
    t[32] = 1;   /* version (ACPI 2.0: 64-bit X_Firmware_Waking_Vector present) */
}

/* The DSDT with the top of low RAM patched in; returns its length. */
static uint32_t acpi_write_dsdt(uint8_t *t, uint32_t tolm)
{
    uint32_t len = (uint32_t)sizeof(dsdt_aml_code);
    memcpy(t, dsdt_aml_code, len);
    uint8_t *hit = memmem(t + HDR_LEN, len - HDR_LEN, dsdt_tolm_pattern, sizeof(dsdt_tolm_pattern));
    assert(hit != NULL);   /* dsdt.asl declares Name (TOLM, 0xE0000000) in \_SB.PCI0 */
    put_u32(hit + sizeof(dsdt_tolm_pattern), tolm);
    acpi_seal(t, len);
    return len;
}

/* The FADT at block offset `off`, pointing to the FACS and DSDT at theirs. */
static void acpi_write_fadt(AcpiTables *at, uint32_t off, uint32_t base, uint32_t facs, uint32_t dsdt)
{
    uint8_t *t = at->blob + off;
    memset(t, 0, FADT_LEN);
    acpi_header(t, "FACP", FADT_LEN, 3);
    acpi_pointer(at, false, off + 36, 4, base, facs);   /* FIRMWARE_CTRL */
    acpi_pointer(at, false, off + 40, 4, base, dsdt);   /* DSDT */
    t[44] = 1;                       /* ACPI 1.0 INT_MODEL: multiple APIC (reserved in 2.0) */
    t[45] = 0;                       /* Preferred_PM_Profile: unspecified */
    put_u16(t + 46, SCI_IRQ);        /* SCI_INT */
    put_u32(t + 48, SMI_CMD_PORT);   /* SMI_CMD */
    t[52] = ACPI_ENABLE_VALUE;
    t[53] = ACPI_DISABLE_VALUE;
    put_u32(t + 56, PM1A_EVT_BLK);
    put_u32(t + 64, PM1A_CNT_BLK);
    put_u32(t + 76, PM_TMR_BLK);
    put_u32(t + 80, GPE0_BLK);
    t[88] = PM1_EVT_LEN;
    t[89] = PM1_CNT_LEN;
    t[91] = PM_TMR_LEN;
    t[92] = GPE0_BLK_LEN;
    put_u16(t + 96, P_LVL2_LAT_NONE);
    put_u16(t + 98, P_LVL3_LAT_NONE);
    t[108] = RTC_CENTURY_INDEX;      /* CENTURY */
    put_u16(t + 109, BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_8042);
    put_u32(t + 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RTC_S4 |
                     FADT_F_RESET_REG_SUP | FADT_F_USE_PLATFORM_CLOCK);
    put_gas(t + 116, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, RESET_PORT);   /* RESET_REG */
    t[128] = RESET_VALUE;
    put_u64(t + 132, 0);             /* X_FIRMWARE_CTRL: FIRMWARE_CTRL is used (see above) */
    acpi_pointer(at, false, off + 140, 8, base, dsdt);  /* X_DSDT */
    put_gas(t + 148, GAS_SYSTEM_IO, PM1_EVT_LEN * 8, 0, PM1A_EVT_BLK);
    put_gas(t + 172, GAS_SYSTEM_IO, PM1_CNT_LEN * 8, 0, PM1A_CNT_BLK);
    put_gas(t + 208, GAS_SYSTEM_IO, PM_TMR_LEN * 8, 0, PM_TMR_BLK);
    put_gas(t + 220, GAS_SYSTEM_IO, GPE0_BLK_LEN * 8, 0, GPE0_BLK);
    acpi_seal_at(at, off, FADT_LEN);
}

static uint8_t *madt_iso(uint8_t *p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    p[0] = 2;   /* interrupt source override */
    p[1] = 10;
    p[2] = 0;   /* bus: ISA */
    p[3] = irq;
    put_u32(p + 4, gsi);
    put_u16(p + 8, flags);
    return p + 10;
}

/* Returns the MADT's length. */
static uint32_t acpi_write_madt(uint8_t *t)
{
    put_u32(t + 36, LAPIC_ADDR);
    put_u32(t + 40, MADT_PCAT_COMPAT);
    uint8_t *p = t + 44;
    /* Processor local APIC: ACPI processor UID 0 (\_SB.CPU0._UID), APIC ID 0, enabled. */
    p[0] = 0;
    p[1] = 8;
    p[2] = 0;
    p[3] = 0;
    put_u32(p + 4, MADT_LAPIC_ENABLED);
    p += 8;
    /* I/O APIC: ID, reserved, address, GSI base. */
    p[0] = 1;
    p[1] = 12;
    p[2] = IOAPIC_ID;
    p[3] = 0;
    put_u32(p + 4, IOAPIC_ADDR);
    put_u32(p + 8, 0);
    p += 12;
    /* The PIT's IRQ 0 arrives on I/O APIC pin 2 (ISA polarity and trigger); the SCI is level
     * triggered, active high, unlike an ISA interrupt's default. */
    p = madt_iso(p, 0, 2, INTI_CONFORMS);
    p = madt_iso(p, SCI_IRQ, SCI_IRQ, INTI_HIGH_LEVEL);
    /* Local APIC NMI: every processor's LINT1 is wired to NMI. */
    p[0] = 4;
    p[1] = 6;
    p[2] = MADT_ALL_PROCESSORS;
    put_u16(p + 3, INTI_CONFORMS);
    p[5] = 1;   /* LINT1 */
    p += 6;
    uint32_t len = (uint32_t)(p - t);
    acpi_header(t, "APIC", len, 1);
    acpi_seal(t, len);
    return len;
}

static void acpi_write_hpet(uint8_t *t)
{
    memset(t, 0, HPET_LEN);
    acpi_header(t, "HPET", HPET_LEN, 1);
    put_u32(t + 36, HPET_BLOCK_ID);
    put_gas(t + 40, GAS_SYSTEM_MEMORY, 64, 0, HPET_ADDR);
    t[52] = 0;                        /* HPET number */
    put_u16(t + 53, HPET_MIN_TICK);   /* minimum clock tick in periodic mode */
    t[55] = 0;                        /* page protection: none */
    acpi_seal(t, HPET_LEN);
}

/* RSDT (entry_size 4) or XSDT (8) at block offset `off` listing the tables; returns its length. */
static uint32_t acpi_write_sdt(AcpiTables *at, uint32_t off, uint32_t base, const char *sig,
                               uint32_t entry_size, const uint32_t *tables, uint32_t n)
{
    uint32_t len = HDR_LEN + entry_size * n;
    acpi_header(at->blob + off, sig, len, 1);
    for (uint32_t i = 0; i < n; i++)
        acpi_pointer(at, false, off + HDR_LEN + entry_size * i, (uint8_t)entry_size, base, tables[i]);
    acpi_seal_at(at, off, len);
    return len;
}

static void acpi_write_rsdp(AcpiTables *at, uint32_t base, uint32_t rsdt, uint32_t xsdt)
{
    uint8_t *p = at->rsdp;
    memset(p, 0, RSDP_LEN);
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, OEM_ID, 6);
    p[15] = 2;   /* revision: ACPI 2.0 or later */
    acpi_pointer(at, true, 16, 4, base, rsdt);
    put_u32(p + 20, RSDP_LEN);
    acpi_pointer(at, true, 24, 8, base, xsdt);
    p[8] = acpi_checksum(p, 20);
    acpi_note_sum(at, true, 8, 0, 20);
    p[32] = acpi_checksum(p, RSDP_LEN);
    acpi_note_sum(at, true, 32, 0, RSDP_LEN);
}

void acpi_tables_build(AcpiTables *at, uint64_t ram_size, uint32_t base)
{
    uint32_t tolm = (uint32_t)e820_low_ram_end(ram_size);
    memset(at, 0, sizeof(*at));
    uint8_t *b = at->blob;

    uint32_t facs = 0;   /* 64-byte aligned with the block */
    acpi_write_facs(b + facs);
    uint32_t dsdt = facs + FACS_LEN;
    uint32_t next = align_up(dsdt + acpi_write_dsdt(b + dsdt, tolm), 16);
    acpi_note_sum(at, false, dsdt + 9, dsdt, (uint32_t)sizeof(dsdt_aml_code));
    uint32_t fadt = next;
    acpi_write_fadt(at, fadt, base, facs, dsdt);
    uint32_t madt = align_up(fadt + FADT_LEN, 16);
    uint32_t madt_len = acpi_write_madt(b + madt);
    acpi_note_sum(at, false, madt + 9, madt, madt_len);
    uint32_t hpet = align_up(madt + madt_len, 16);
    acpi_write_hpet(b + hpet);
    acpi_note_sum(at, false, hpet + 9, hpet, HPET_LEN);
    const uint32_t tables[] = { fadt, madt, hpet };
    uint32_t n = (uint32_t)(sizeof(tables) / sizeof(tables[0]));
    uint32_t rsdt = align_up(hpet + HPET_LEN, 16);
    uint32_t xsdt = align_up(rsdt + acpi_write_sdt(at, rsdt, base, "RSDT", 4, tables, n), 16);
    at->len = xsdt + acpi_write_sdt(at, xsdt, base, "XSDT", 8, tables, n);
    assert(at->len <= ACPI_BLOB_MAX);   /* the DSDT's size is bounded at compile time */
    acpi_write_rsdp(at, base, rsdt, xsdt);
}

int acpi_build(uint8_t *ram, uint64_t ram_size, uint64_t *rsdp_gpa)
{
    if (ram_size < 0x100000)
        return -1;
    AcpiTables *at = malloc(sizeof(*at));
    if (!at)
        return -1;
    acpi_tables_build(at, ram_size, ACPI_TABLES_ADDR);
    memset(ram + ACPI_TABLES_ADDR, 0, ACPI_TABLES_END - ACPI_TABLES_ADDR);
    memcpy(ram + ACPI_TABLES_ADDR, at->blob, at->len);
    memcpy(ram + ACPI_RSDP_ADDR, at->rsdp, RSDP_LEN);
    free(at);
    *rsdp_gpa = ACPI_RSDP_ADDR;
    return 0;
}
