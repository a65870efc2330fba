/*
 * bios_cfg.c — the fw_cfg items SeaBIOS reads on softvisor's PC (SeaBIOS src/fw/paravirt.c,
 * src/fw/romfile_loader.c; QEMU docs/specs/fw_cfg.rst), built from the same sources as the
 * -kernel path uses: firmware/e820.c for the memory map, firmware/acpi.c for the tables.
 *
 *   FW_CFG_RAM_SIZE      u64: all guest RAM, in bytes
 *   FW_CFG_NB_CPUS       u16: 1;  FW_CFG_MAX_CPUS u16: 1  (one CPU, no hotplug)
 *   FW_CFG_NOGRAPHIC     u16: 1 with -nographic, else 0 (QEMU: !graphics);  FW_CFG_BOOT_MENU u16: 0;
 *                        FW_CFG_UUID: 16 zero bytes
 *   FW_CFG_IRQ0_OVERRIDE u32: 1  (IRQ 0 arrives on I/O APIC input 2, as the MADT says; SeaBIOS
 *                        uses it for the MP table it builds)
 *   FW_CFG_KERNEL_* / INITRD_* / CMDLINE_*: absent (read as empty: no kernel to hand over)
 *   etc/sercon-port      u16 0x3F8, only with -nographic or -vga none: SeaBIOS's console (what
 *                        it shows on the screen, and the keyboard) also goes to COM1, as QEMU 7.2
 *                        does with -nographic (machine graphics=off).  XXX: QEMU does not set it
 *                        for -vga none alone; there SeaBIOS's messages ("No bootable device.")
 *                        would reach no one, so softvisor sends them to COM1.  With a VGA and a
 *                        display they are on the screen only, as on QEMU.
 *   etc/boot-fail-wait   u32 0xFFFFFFFF: with no bootable device, say so and wait instead of
 *                        rebooting after 60 s (QEMU's default, -boot reboot-timeout=-1)
 *   etc/e820             the RAM entries of e820_build(), each u64 address, u64 length, u32
 *                        type, little endian: SeaBIOS adds its own reservations (EBDA, BIOS
 *                        area, its high zone) and hands the result to the OS
 *   etc/acpi/tables      the ACPI tables as one block built at base 0: pointer fields hold
 *                        offsets into the block
 *   etc/acpi/rsdp        the RSDP, its pointers offsets into etc/acpi/tables
 *   etc/table-loader     128-byte little-endian commands, each a u32 command and its fields:
 *       1 ALLOCATE     file[56], u32 alignment, u8 zone (1 high memory, 2 F segment)
 *       2 ADD_POINTER  dest file[56], src file[56], u32 offset, u8 size: add the address where
 *                      src was placed to the size-byte field at offset in dest
 *       3 ADD_CHECKSUM file[56], u32 offset, u32 start, u32 length: add minus the byte sum of
 *                      [start, start + length) to the byte at offset
 *     The block goes to high memory aligned for the FACS (64 bytes), the RSDP into the F
 *     segment (16 bytes), where the OS scans for it; every pointer is patched, then every
 *     checksum the tables carry is corrected.
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/bios_cfg.h"
#include "firmware/acpi.h"
#include "firmware/e820.h"

#define LOADER_ENTRY 128u
#define LOADER_ALLOCATE 1u
#define LOADER_ADD_POINTER 2u
#define LOADER_ADD_CHECKSUM 3u
#define LOADER_ZONE_HIGH 1u
#define LOADER_ZONE_FSEG 2u
#define LOADER_MAX (2 + 2 * ACPI_MAX_FIXUPS)

#define FILE_TABLES "etc/acpi/tables"
#define FILE_RSDP "etc/acpi/rsdp"
#define E820_ENTRY 20u

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Appends one loader command: its u32 code, then name fields of 56 bytes and the integers after
 * them are written by the caller into the returned entry. */
static uint8_t *loader_cmd(uint8_t *script, int *n, uint32_t cmd)
{
    uint8_t *e = script + (size_t)(*n)++ * LOADER_ENTRY;
    memset(e, 0, LOADER_ENTRY);
    put_le(e, cmd, 4);
    return e;
}

static void loader_name(uint8_t *field, const char *name)
{
    strncpy((char *)field, name, FW_CFG_FILE_NAME - 1);
}

static int bios_cfg_acpi(FwCfgState *s, uint64_t ram_size)
{
    AcpiTables *at = malloc(sizeof(*at));
    uint8_t *script = calloc(LOADER_MAX, LOADER_ENTRY);
    int r = -1;
    if (!at || !script)
        goto out;
    acpi_tables_build(at, ram_size, 0);
    int n = 0;
    uint8_t *e = loader_cmd(script, &n, LOADER_ALLOCATE);
    loader_name(e + 4, FILE_TABLES);
    put_le(e + 60, 64, 4);
    e[64] = LOADER_ZONE_HIGH;
    e = loader_cmd(script, &n, LOADER_ALLOCATE);
    loader_name(e + 4, FILE_RSDP);
    put_le(e + 60, 16, 4);
    e[64] = LOADER_ZONE_FSEG;
    for (int i = 0; i < at->nptr; i++) {
        e = loader_cmd(script, &n, LOADER_ADD_POINTER);
        loader_name(e + 4, at->ptr[i].in_rsdp ? FILE_RSDP : FILE_TABLES);
        loader_name(e + 60, FILE_TABLES);
        put_le(e + 116, at->ptr[i].offset, 4);
        e[120] = at->ptr[i].size;
    }
    for (int i = 0; i < at->nsum; i++) {
        e = loader_cmd(script, &n, LOADER_ADD_CHECKSUM);
        loader_name(e + 4, at->sum[i].in_rsdp ? FILE_RSDP : FILE_TABLES);
        put_le(e + 60, at->sum[i].offset, 4);
        put_le(e + 64, at->sum[i].start, 4);
        put_le(e + 68, at->sum[i].len, 4);
    }
    if (fw_cfg_add_file(s, FILE_TABLES, at->blob, at->len) == 0 &&
        fw_cfg_add_file(s, FILE_RSDP, at->rsdp, ACPI_RSDP_LEN) == 0 &&
        fw_cfg_add_file(s, "etc/table-loader", script, (uint32_t)n * LOADER_ENTRY) == 0)
        r = 0;
out:
    free(at);
    free(script);
    return r;
}

static int bios_cfg_e820(FwCfgState *s, uint64_t ram_size)
{
    E820Entry map[E820_MAX];
    int n = e820_build(ram_size, map), k = 0;
    uint8_t buf[E820_MAX * E820_ENTRY];
    for (int i = 0; i < n; i++) {
        if (map[i].type != E820_RAM)
            continue;
        uint8_t *p = buf + (size_t)k++ * E820_ENTRY;
        put_le(p, map[i].base, 8);
        put_le(p + 8, map[i].len, 8);
        put_le(p + 16, map[i].type, 4);
    }
    return fw_cfg_add_file(s, "etc/e820", buf, (uint32_t)k * E820_ENTRY);
}

int bios_cfg_fill(FwCfgState *s, uint64_t ram_size, bool nographic, bool has_vga)
{
    static const uint8_t uuid[16] = { 0 };
    if (fw_cfg_add_u64(s, FW_CFG_RAM_SIZE, ram_size) < 0 || fw_cfg_add_u16(s, FW_CFG_NB_CPUS, 1) < 0 ||
        fw_cfg_add_u16(s, FW_CFG_MAX_CPUS, 1) < 0 || fw_cfg_add_u16(s, FW_CFG_NOGRAPHIC, nographic) < 0 ||
        fw_cfg_add_u16(s, FW_CFG_BOOT_MENU, 0) < 0 || fw_cfg_add(s, FW_CFG_UUID, uuid, sizeof(uuid)) < 0 ||
        fw_cfg_add_u32(s, FW_CFG_IRQ0_OVERRIDE, 1) < 0)
        return -1;
    static const uint8_t no_retry[4] = { 0xff, 0xff, 0xff, 0xff };
    static const uint8_t com1[2] = { 0xf8, 0x03 };
    if (fw_cfg_add_file(s, "etc/boot-fail-wait", no_retry, sizeof(no_retry)) < 0)
        return -1;
    if ((nographic || !has_vga) && fw_cfg_add_file(s, "etc/sercon-port", com1, sizeof(com1)) < 0)
        return -1;
    if (bios_cfg_e820(s, ram_size) < 0 || bios_cfg_acpi(s, ram_size) < 0)
        return -1;
    return 0;
}
