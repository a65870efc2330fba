/*
 * test_acpi.c — the ACPI tables (firmware/acpi.c) as an OS reads them: RSDP at 0xF0000 -> XSDT/RSDT
 * -> FADT (-> FACS, DSDT), MADT, HPET.  Checksums (ACPI 6.4 5.2.5.3, 5.2.6), lengths, and the
 * platform values fixed by the ISSUE 4 contract, written here as literal numbers on purpose.
 * With iasl (acpica-tools) the whole table set is also disassembled by ACPICA's own code, and
 * acpiexec runs the DSDT's methods in ACPICA's interpreter (the one Linux uses).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "firmware/acpi.h"

#define RAM_BUF (1u << 20)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
    return get_u16(p) | (uint32_t)get_u16(p + 2) << 16;
}

static uint64_t get_u64(const uint8_t *p)
{
    return get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

static uint8_t *build(uint64_t ram_size, uint64_t *rsdp)
{
    uint8_t *ram = calloc(1, RAM_BUF);
    ck_assert_ptr_nonnull(ram);
    ck_assert_int_eq(acpi_build(ram, ram_size, rsdp), 0);
    return ram;
}

/* A table with a standard header at addr: inside the table area, named sig, sane length, valid
 * checksum.  Returns its host pointer. */
static const uint8_t *table_at(const uint8_t *ram, uint64_t addr, const char *sig)
{
    ck_assert_uint_ge(addr, 0xe0000);
    ck_assert_uint_lt(addr, 0xf0000);
    const uint8_t *t = ram + addr;
    ck_assert_msg(memcmp(t, sig, 4) == 0, "table at %#llx is '%.4s', expected '%s'",
                  (unsigned long long)addr, (const char *)t, sig);
    uint32_t len = get_u32(t + 4);
    ck_assert_uint_ge(len, 36);
    ck_assert_uint_le(addr + len, 0xf0000);
    ck_assert_msg(sum8(t, len) == 0, "%s checksum", sig);
    ck_assert_msg(memcmp(t + 10, "SFTVSR", 6) == 0, "%s OEM ID", sig);
    return t;
}

/* The table named sig, found through the XSDT as Linux does with a revision 2 RSDP. */
static const uint8_t *find_table(const uint8_t *ram, const char *sig)
{
    const uint8_t *rsdp = ram + 0xf0000;
    const uint8_t *xsdt = table_at(ram, get_u64(rsdp + 24), "XSDT");
    uint32_t n = (get_u32(xsdt + 4) - 36) / 8;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = get_u64(xsdt + 36 + 8 * i);
        if (a >= 0xe0000 && a < 0xf0000 && memcmp(ram + a, sig, 4) == 0)
            return table_at(ram, a, sig);
    }
    ck_abort_msg("no %s in the XSDT", sig);
    return NULL;
}

START_TEST(acpi_ram_below_1mib_returns_error)
{
    uint8_t *ram = calloc(1, RAM_BUF);
    uint64_t rsdp = 0;
    ck_assert_int_eq(acpi_build(ram, 512 * 1024, &rsdp), -1);
    free(ram);
}
END_TEST

START_TEST(acpi_build_writes_only_the_table_area_and_rsdp)
{
    uint8_t *ram = malloc(RAM_BUF);
    memset(ram, 0xaa, RAM_BUF);
    uint64_t rsdp = 0;
    ck_assert_int_eq(acpi_build(ram, 64 * MiB, &rsdp), 0);
    for (uint32_t a = 0; a < RAM_BUF; a++) {
        if (a >= 0xe0000 && a < 0xf0000 + 36)
            continue;
        ck_assert_msg(ram[a] == 0xaa, "byte at %#x changed", a);
    }
    free(ram);
}
END_TEST

START_TEST(acpi_rsdp_revision2_at_f0000_has_valid_checksums)
{
    uint64_t rsdp_gpa = 0;
    uint8_t *ram = build(128 * MiB, &rsdp_gpa);
    ck_assert_uint_eq(rsdp_gpa, 0xf0000);
    const uint8_t *r = ram + rsdp_gpa;
    ck_assert(memcmp(r, "RSD PTR ", 8) == 0);
    ck_assert_uint_eq(sum8(r, 20), 0);            /* ACPI 1.0 checksum */
    ck_assert_uint_eq(r[15], 2);                  /* revision */
    ck_assert_uint_eq(get_u32(r + 20), 36);       /* length */
    ck_assert_uint_eq(sum8(r, 36), 0);            /* extended checksum */
    ck_assert(memcmp(r + 9, "SFTVSR", 6) == 0);
    table_at(ram, get_u32(r + 16), "RSDT");
    table_at(ram, get_u64(r + 24), "XSDT");
    free(ram);
}
END_TEST

START_TEST(acpi_rsdt_and_xsdt_list_fadt_madt_hpet)
{
    static const char *const sigs[] = { "FACP", "APIC", "HPET" };
    uint64_t rsdp = 0;
    uint8_t *ram = build(128 * MiB, &rsdp);
    const uint8_t *rsdt = table_at(ram, get_u32(ram + rsdp + 16), "RSDT");
    const uint8_t *xsdt = table_at(ram, get_u64(ram + rsdp + 24), "XSDT");
    ck_assert_uint_eq(get_u32(rsdt + 4), 36 + 3 * 4);
    ck_assert_uint_eq(get_u32(xsdt + 4), 36 + 3 * 8);
    for (int i = 0; i < 3; i++) {
        uint32_t a = get_u32(rsdt + 36 + 4 * i);
        ck_assert_uint_eq(get_u64(xsdt + 36 + 8 * i), a);
        table_at(ram, a, sigs[i]);
    }
    ck_assert_uint_eq(get_u32(find_table(ram, "FACP") + 4), 244);   /* revision 3 layout */
    ck_assert_uint_eq(get_u32(find_table(ram, "HPET") + 4), 56);
    free(ram);
}
END_TEST

START_TEST(acpi_fadt_fields_match_platform_constants)
{
    uint64_t rsdp = 0;
    uint8_t *ram = build(128 * MiB, &rsdp);
    const uint8_t *f = find_table(ram, "FACP");
    ck_assert_uint_eq(f[8], 3);                        /* revision */
    ck_assert_uint_eq(get_u16(f + 46), 9);             /* SCI_INT */
    ck_assert_uint_eq(get_u32(f + 48), 0xb2);          /* SMI_CMD */
    ck_assert_uint_eq(f[52], 0xf1);                    /* ACPI_ENABLE */
    ck_assert_uint_eq(f[53], 0xf0);                    /* ACPI_DISABLE */
    ck_assert_uint_eq(get_u32(f + 56), 0x600);         /* PM1a_EVT_BLK */
    ck_assert_uint_eq(get_u32(f + 60), 0);             /* PM1b_EVT_BLK */
    ck_assert_uint_eq(get_u32(f + 64), 0x604);         /* PM1a_CNT_BLK */
    ck_assert_uint_eq(get_u32(f + 68), 0);             /* PM1b_CNT_BLK */
    ck_assert_uint_eq(get_u32(f + 76), 0x608);         /* PM_TMR_BLK */
    ck_assert_uint_eq(get_u32(f + 80), 0xafe0);        /* GPE0_BLK */
    ck_assert_uint_eq(get_u32(f + 84), 0);             /* GPE1_BLK */
    ck_assert_uint_eq(f[88], 4);                       /* PM1_EVT_LEN */
    ck_assert_uint_eq(f[89], 2);                       /* PM1_CNT_LEN */
    ck_assert_uint_eq(f[91], 4);                       /* PM_TMR_LEN */
    ck_assert_uint_eq(f[92], 4);                       /* GPE0_BLK_LEN */
    ck_assert_uint_gt(get_u16(f + 96), 100);           /* no C2 */
    ck_assert_uint_gt(get_u16(f + 98), 1000);          /* no C3 */
    ck_assert_uint_eq(f[108], 0x32);                   /* CENTURY */
    ck_assert_uint_eq(get_u16(f + 109), 0x0003);       /* IAPC_BOOT_ARCH: legacy devices, 8042 */
    uint32_t flags = get_u32(f + 112);
    ck_assert(flags & (1u << 0));                      /* WBINVD */
    ck_assert(flags & (1u << 2));                      /* PROC_C1 */
    ck_assert(!(flags & (1u << 4)));                   /* fixed-feature power button */
    ck_assert(flags & (1u << 5));                      /* SLP_BUTTON */
    ck_assert(flags & (1u << 7));                      /* RTC_S4 */
    ck_assert(!(flags & (1u << 8)));                   /* TMR_VAL_EXT = 0: 24-bit PM timer */
    ck_assert(flags & (1u << 10));                     /* RESET_REG_SUP */
    ck_assert(!(flags & (1u << 20)));                  /* not HW_REDUCED_ACPI */
    /* RESET_REG: system I/O, 8 bits at 0xCF9; RESET_VALUE 6. */
    ck_assert_uint_eq(f[116], 1);
    ck_assert_uint_eq(f[117], 8);
    ck_assert_uint_eq(f[118], 0);
    ck_assert_uint_eq(get_u64(f + 120), 0xcf9);
    ck_assert_uint_eq(f[128], 0x06);
    free(ram);
}
END_TEST

/* Each X_ block: same address as the 32-bit field, SystemIO, bit width 8 * the block length. */
START_TEST(acpi_fadt_x_blocks_agree_with_legacy_blocks)
{
    static const struct { uint32_t legacy, len, x; } blk[] = {
        { 56, 88, 148 },   /* PM1a_EVT */
        { 60, 88, 160 },   /* PM1b_EVT */
        { 64, 89, 172 },   /* PM1a_CNT */
        { 68, 89, 184 },   /* PM1b_CNT */
        { 72, 90, 196 },   /* PM2_CNT */
        { 76, 91, 208 },   /* PM_TMR */
        { 80, 92, 220 },   /* GPE0 */
        { 84, 93, 232 },   /* GPE1 */
    };
    uint64_t rsdp = 0;
    uint8_t *ram = build(128 * MiB, &rsdp);
    const uint8_t *f = find_table(ram, "FACP");
    for (size_t i = 0; i < sizeof(blk) / sizeof(blk[0]); i++) {
        uint32_t a = get_u32(f + blk[i].legacy);
        const uint8_t *g = f + blk[i].x;
        ck_assert_uint_eq(get_u64(g + 4), a);
        if (a == 0)
            continue;
        ck_assert_uint_eq(g[0], 1);                              /* SystemIO */
        ck_assert_uint_eq(g[1], 8u * f[blk[i].len]);             /* bit width */
        ck_assert_uint_eq(g[2], 0);                              /* bit offset */
    }
    ck_assert_uint_ne(get_u32(f + 36), 0);                       /* FIRMWARE_CTRL */
    ck_assert_uint_eq(get_u64(f + 132), 0);                      /* X_FIRMWARE_CTRL: exclusive */
    ck_assert_uint_eq(get_u64(f + 140), get_u32(f + 40));        /* X_DSDT */
    free(ram);
}
END_TEST

START_TEST(acpi_facs_and_dsdt_are_reachable_from_fadt)
{
    uint64_t rsdp = 0;
    uint8_t *ram = build(128 * MiB, &rsdp);
    const uint8_t *f = find_table(ram, "FACP");
    uint32_t facs = get_u32(f + 36);
    ck_assert_uint_eq(facs % 64, 0);
    ck_assert_uint_ge(facs, 0xe0000);
    ck_assert_uint_le(facs + 64, 0xf0000);
    ck_assert(memcmp(ram + facs, "FACS", 4) == 0);
    ck_assert_uint_eq(get_u32(ram + facs + 4), 64);
    ck_assert_uint_ge(ram[facs + 32], 1);                          /* version */
    const uint8_t *d = table_at(ram, get_u32(f + 40), "DSDT");
    ck_assert_uint_ge(d[8], 2);                                    /* 64-bit AML integers */
    ck_assert_ptr_nonnull(memmem(d, get_u32(d + 4), "_S5_", 4));
    ck_assert_ptr_nonnull(memmem(d, get_u32(d + 4), "PCI0", 4));
    free(ram);
}
END_TEST

/* S5 package: NameOp "_S5_" PackageOp PkgLength NumElements=4, then four Zero (0x00) elements. */
START_TEST(acpi_dsdt_s5_package_is_four_zeros)
{
    static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0 };
    uint64_t rsdp = 0;
    uint8_t *ram = build(128 * MiB, &rsdp);
    const uint8_t *d = find_table(ram, "FACP");
    d = table_at(ram, get_u32(d + 40), "DSDT");
    ck_assert_ptr_nonnull(memmem(d, get_u32(d + 4), s5, sizeof(s5)));
    free(ram);
}
END_TEST

static uint32_t dsdt_tolm(uint64_t ram_size)
{
    static const uint8_t pat[] = { 0x08, 'T', 'O', 'L', 'M', 0x0c };
    uint64_t rsdp = 0;
    uint8_t *ram = build(ram_size, &rsdp);
    const uint8_t *f = find_table(ram, "FACP");
    const uint8_t *d = table_at(ram, get_u32(f + 40), "DSDT");
    uint32_t len = get_u32(d + 4);
    const uint8_t *hit = memmem(d, len, pat, sizeof(pat));
    ck_assert_ptr_nonnull(hit);
    size_t rest = len - (size_t)(hit + 1 - d);
    ck_assert_ptr_null(memmem(hit + 1, rest, pat, sizeof(pat)));   /* exactly one */
    uint32_t v = get_u32(hit + sizeof(pat));
    free(ram);
    return v;
}

START_TEST(acpi_dsdt_pci_hole_starts_at_top_of_low_ram)
{
    ck_assert_uint_eq(dsdt_tolm(128 * MiB), 0x08000000);
    ck_assert_uint_eq(dsdt_tolm(512 * MiB), 0x20000000);
    ck_assert_uint_eq(dsdt_tolm(3 * GiB), 0xc0000000);
    ck_assert_uint_eq(dsdt_tolm(0xe0000000ull), 0xe0000000);
    ck_assert_uint_eq(dsdt_tolm(4 * GiB), 0xe0000000);
    ck_assert_uint_eq(dsdt_tolm(64 * GiB), 0xe0000000);
}
END_TEST

START_TEST(acpi_madt_entries_describe_lapic_ioapic_overrides_nmi)
{
    uint64_t rsdp = 0;
    uint8_t *ram = build(128 * MiB, &rsdp);
    const uint8_t *m = find_table(ram, "APIC");
    uint32_t len = get_u32(m + 4);
    ck_assert_uint_eq(get_u32(m + 36), 0xfee00000);     /* local APIC address */
    ck_assert_uint_eq(get_u32(m + 40) & 1, 1);          /* PCAT_COMPAT */
    int lapic = 0, ioapic = 0, iso0 = 0, iso9 = 0, nmi = 0;
    uint32_t off = 44;
    while (off < len) {
        const uint8_t *e = m + off;
        ck_assert_uint_ge(off + 2, off);
        ck_assert_uint_le(off + 2, len);
        ck_assert_uint_ge(e[1], 2);
        ck_assert_uint_le(off + e[1], len);
        switch (e[0]) {
        case 0:
            ck_assert_uint_eq(e[1], 8);
            ck_assert_uint_eq(e[2], 0);                  /* processor UID = \_SB.CPU0._UID */
            ck_assert_uint_eq(e[3], 0);                  /* APIC ID */
            ck_assert_uint_eq(get_u32(e + 4) & 1, 1);    /* enabled */
            lapic++;
            break;
        case 1:
            ck_assert_uint_eq(e[1], 12);
            ck_assert_uint_eq(e[2], 0);                  /* I/O APIC ID */
            ck_assert_uint_eq(get_u32(e + 4), 0xfec00000);
            ck_assert_uint_eq(get_u32(e + 8), 0);        /* GSI base */
            ioapic++;
            break;
        case 2:
            ck_assert_uint_eq(e[1], 10);
            ck_assert_uint_eq(e[2], 0);                  /* ISA */
            if (e[3] == 0) {
                ck_assert_uint_eq(get_u32(e + 4), 2);
                ck_assert_uint_eq(get_u16(e + 8) & 0xc, 0x0);   /* edge (bus default) */
                iso0++;
            } else if (e[3] == 9) {
                ck_assert_uint_eq(get_u32(e + 4), 9);
                ck_assert_uint_eq(get_u16(e + 8), 0xd);  /* level, active high */
                iso9++;
            } else {
                ck_abort_msg("unexpected override for IRQ %u", e[3]);
            }
            break;
        case 4:
            ck_assert_uint_eq(e[1], 6);
            ck_assert_uint_eq(e[2], 0xff);               /* all processors */
            ck_assert_uint_eq(e[5], 1);                  /* LINT1 */
            nmi++;
            break;
        default:
            ck_abort_msg("unexpected MADT entry type %u", e[0]);
        }
        off += e[1];
    }
    ck_assert_uint_eq(off, len);
    ck_assert_int_eq(lapic, 1);
    ck_assert_int_eq(ioapic, 1);
    ck_assert_int_eq(iso0, 1);
    ck_assert_int_eq(iso9, 1);
    ck_assert_int_eq(nmi, 1);
    free(ram);
}
END_TEST

START_TEST(acpi_hpet_table_describes_the_hpet)
{
    uint64_t rsdp = 0;
    uint8_t *ram = build(128 * MiB, &rsdp);
    const uint8_t *h = find_table(ram, "HPET");
    uint32_t id = get_u32(h + 36);
    ck_assert_uint_eq(id >> 16, 0x8086);                 /* vendor */
    ck_assert_uint_eq((id >> 8) & 0x1f, 2);              /* 3 comparators */
    ck_assert_uint_eq((id >> 13) & 1, 1);                /* 64-bit counter */
    ck_assert_uint_eq((id >> 15) & 1, 1);                /* legacy replacement route */
    ck_assert_uint_eq(h[40], 0);                         /* system memory */
    ck_assert_uint_eq(get_u64(h + 44), 0xfed00000);
    ck_assert_uint_eq(h[52], 0);                         /* HPET number */
    ck_assert_uint_gt(get_u16(h + 53), 0);               /* minimum tick */
    free(ram);
}
END_TEST

static void write_file(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Runs `cmd` in dir; returns its exit status and checks its output has no ACPICA warning/error. */
static void run_clean(const char *dir, const char *cmd)
{
    char line[1024];
    snprintf(line, sizeof(line), "cd '%s' && %s >log.txt 2>&1", dir, cmd);
    int rc = system(line);
    char path[512];
    snprintf(path, sizeof(path), "%s/log.txt", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char buf[512];
    while (fgets(buf, sizeof(buf), f)) {
        /* iasl: "Warning  3073 - ...", ACPICA: "Firmware Warning (ACPI): ...", "ACPI Error: ...";
         * the summary line "0 Errors, 0 Warnings" does not match. */
        static const char *const bad[] = { "Warning ", "Warning:", "Error ", "Error:",
                                           "Incorrect", "Invalid" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            ck_assert_msg(!strstr(buf, bad[i]), "%s: %s", cmd, buf);
    }
    fclose(f);
    ck_assert_msg(rc == 0, "%s failed (%d)", cmd, rc);
}

/* ACPICA's disassembler (the same code as Linux's table loader) parses every table, reporting
 * bad checksums and lengths; the DSDT's disassembly compiles back without warnings. */
START_TEST(acpi_tables_disassemble_cleanly_with_iasl)
{
    const char *iasl = getenv("IASL");
    if (!iasl || !*iasl)
        return;   /* run outside meson: no iasl path given */
    char dir[] = "/tmp/test_acpi.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    uint64_t rsdp = 0;
    uint8_t *ram = build(512 * MiB, &rsdp);
    char path[512];
    snprintf(path, sizeof(path), "%s/XSDT.dat", dir);
    const uint8_t *x = table_at(ram, get_u64(ram + rsdp + 24), "XSDT");
    write_file(path, x, get_u32(x + 4));
    static const char *const sigs[] = { "FACP", "APIC", "HPET" };
    for (int i = 0; i < 3; i++) {
        const uint8_t *t = find_table(ram, sigs[i]);
        snprintf(path, sizeof(path), "%s/%.4s.dat", dir, sigs[i]);
        write_file(path, t, get_u32(t + 4));
    }
    const uint8_t *f = find_table(ram, "FACP");
    const uint8_t *d = table_at(ram, get_u32(f + 40), "DSDT");
    snprintf(path, sizeof(path), "%s/DSDT.dat", dir);
    write_file(path, d, get_u32(d + 4));
    snprintf(path, sizeof(path), "%s/FACS.dat", dir);
    write_file(path, ram + get_u32(f + 36), 64);
    /* (iasl 20200925 does not disassemble a binary RSDP; the RSDP test above checks it.) */
    static const char *const files[] = { "XSDT", "FACP", "APIC", "HPET", "FACS", "DSDT" };
    char cmd[600];
    for (int i = 0; i < 6; i++) {
        snprintf(cmd, sizeof(cmd), "'%s' -d %s.dat", iasl, files[i]);
        run_clean(dir, cmd);
    }
    snprintf(cmd, sizeof(cmd), "'%s' -vs -we -p again DSDT.dsl", iasl);
    run_clean(dir, cmd);
    snprintf(cmd, sizeof(cmd), "grep -q 'Name (_S5, Package' DSDT.dsl && grep -q 0x20000000 DSDT.dsl");
    run_clean(dir, cmd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(ram);
}
END_TEST

/* The hex dump acpiexec prints for a returned buffer ("    0010: 47 01 F8 0C ...  // ...") after
 * the line naming the evaluated object; returns the number of bytes. */
static size_t acpiexec_buffer(const char *out, const char *object, uint8_t *buf, size_t max)
{
    const char *p = strstr(out, object);
    ck_assert_ptr_nonnull(p);
    p = strstr(p, "[Buffer] Length ");
    ck_assert_ptr_nonnull(p);
    unsigned want = 0;
    ck_assert_int_eq(sscanf(p + 16, "%x", &want), 1);
    size_t n = 0;
    for (p = strchr(p, '\n'); p && n < max; p = strchr(p + 1, '\n')) {
        unsigned off;
        int used;
        if (sscanf(p + 1, " %x:%n", &off, &used) != 1 || off != n)
            break;
        const char *q = p + 1 + used;
        unsigned b;
        int k;
        while (n < max && sscanf(q, " %2x%n", &b, &k) == 1) {   /* stops at the "//" column */
            buf[n++] = (uint8_t)b;
            q += k;
        }
    }
    ck_assert_uint_eq(n, want);
    return n;
}

/* Runs acpiexec (ACPICA's interpreter, the code Linux runs) on the DSDT built for ram_size and
 * returns its output (malloc'd). */
static char *acpiexec_run(uint64_t ram_size, const char *commands)
{
    const char *acpiexec = getenv("ACPIEXEC");
    char dir[] = "/tmp/test_acpi.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    uint64_t rsdp = 0;
    uint8_t *ram = build(ram_size, &rsdp);
    const uint8_t *f = find_table(ram, "FACP");
    const uint8_t *d = table_at(ram, get_u32(f + 40), "DSDT");
    char path[512];
    snprintf(path, sizeof(path), "%s/DSDT.dat", dir);
    write_file(path, d, get_u32(d + 4));
    free(ram);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' -b '%s' DSDT.dat >out.txt 2>&1", dir, acpiexec,
             commands);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/out.txt", dir);
    FILE *o = fopen(path, "r");
    ck_assert_ptr_nonnull(o);
    char *text = calloc(1, 1 << 16);
    ck_assert_ptr_nonnull(text);
    size_t len = fread(text, 1, (1 << 16) - 1, o);
    text[len] = 0;
    fclose(o);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_msg(!strstr(text, "ACPI Error") && !strstr(text, "ACPI Warning") &&
                      !strstr(text, "ACPI Exception"), "%s", text);
    return text;
}

/* \_SB.PCI0._CRS evaluated by ACPICA: bus 0-255, I/O 0-0xCF7 and 0xD00-0xFFFF, the config
 * ports, VGA memory, and the PCI hole from the top of low RAM to 0xFEBFFFFF (ACPI 6.4 6.4.3). */
static void check_pci0_crs(uint64_t ram_size, uint32_t tolm)
{
    const char *acpiexec = getenv("ACPIEXEC");
    if (!acpiexec || !*acpiexec)
        return;   /* run outside meson */
    char *out = acpiexec_run(ram_size, "evaluate \\_SB.PCI0._CRS");
    uint8_t crs[256];
    size_t n = acpiexec_buffer(out, "_CRS returned", crs, sizeof(crs));
    ck_assert_uint_gt(n, 2);
    int bus = 0, io_lo = 0, io_hi = 0, cfg = 0, vga = 0, hole = 0, end = 0;
    size_t i = 0;
    while (i < n && !end) {
        uint8_t tag = crs[i];
        if (!(tag & 0x80)) {                       /* small item: length in bits 2:0 */
            size_t len = tag & 7;
            ck_assert_uint_le(i + 1 + len, n);
            if ((tag >> 3) == 0x08) {              /* I/O port descriptor */
                ck_assert_uint_eq(get_u16(crs + i + 2), 0xcf8);
                ck_assert_uint_eq(crs[i + 7], 8);
                cfg++;
            } else if ((tag >> 3) == 0x0f) {       /* end tag */
                end = 1;
            }
            i += 1 + len;
            continue;
        }
        ck_assert_uint_le(i + 3, n);
        size_t len = get_u16(crs + i + 1);
        ck_assert_uint_le(i + 3 + len, n);
        const uint8_t *e = crs + i;
        if (tag == 0x88 && e[3] == 2) {            /* word address space, bus numbers */
            ck_assert_uint_eq(get_u16(e + 8), 0);
            ck_assert_uint_eq(get_u16(e + 10), 0xff);
            bus++;
        } else if (tag == 0x88 && e[3] == 1) {     /* word address space, I/O */
            if (get_u16(e + 8) == 0) {
                ck_assert_uint_eq(get_u16(e + 10), 0xcf7);
                io_lo++;
            } else {
                ck_assert_uint_eq(get_u16(e + 8), 0xd00);
                ck_assert_uint_eq(get_u16(e + 10), 0xffff);
                io_hi++;
            }
        } else if (tag == 0x87 && e[3] == 0) {     /* dword address space, memory */
            uint32_t min = get_u32(e + 10), max = get_u32(e + 14), l = get_u32(e + 22);
            ck_assert_uint_eq((uint64_t)max - min + 1, l);
            if (min == 0xa0000) {
                ck_assert_uint_eq(max, 0xbffff);
                vga++;
            } else {
                ck_assert_uint_eq(min, tolm);
                ck_assert_uint_eq(max, 0xfebfffff);
                hole++;
            }
        } else {
            ck_abort_msg("unexpected descriptor %#x in PCI0._CRS", tag);
        }
        i += 3 + len;
    }
    ck_assert(end && bus == 1 && io_lo == 1 && io_hi == 1 && cfg == 1 && vga == 1 && hole == 1);
    free(out);
}

START_TEST(acpi_pci0_crs_evaluates_to_the_platform_windows)
{
    check_pci0_crs(128 * MiB, 0x08000000);
    check_pci0_crs(4 * GiB, 0xe0000000);
}
END_TEST

/* \_S5 as ACPICA evaluates it (the package Linux reads for SLP_TYP), \_PIC(1) as Linux calls it. */
START_TEST(acpi_s5_and_pic_evaluate_in_acpica)
{
    const char *acpiexec = getenv("ACPIEXEC");
    if (!acpiexec || !*acpiexec)
        return;   /* run outside meson */
    char *out = acpiexec_run(512 * MiB, "evaluate \\_S5; evaluate \\_PIC 1; evaluate \\PICM");
    const char *p = strstr(out, "\\_S5 returned");
    ck_assert_ptr_nonnull(p);
    p = strstr(p, "[Package] Contains 4 Elements");
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < 4; i++) {
        p = strstr(p + 1, "[Integer] = ");
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(strncmp(p + 12, "0000000000000000", 16) == 0, "element %d", i);
    }
    p = strstr(out, "\\PICM returned");
    ck_assert_ptr_nonnull(p);
    p = strstr(p, "[Integer] = ");
    ck_assert_ptr_nonnull(p);
    ck_assert(strncmp(p + 12, "0000000000000001", 16) == 0);
    free(out);
}
END_TEST

static Suite *acpi_suite(void)
{
    Suite *s = suite_create("acpi");
    TCase *tc = tcase_create("tables");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, acpi_ram_below_1mib_returns_error);
    tcase_add_test(tc, acpi_build_writes_only_the_table_area_and_rsdp);
    tcase_add_test(tc, acpi_rsdp_revision2_at_f0000_has_valid_checksums);
    tcase_add_test(tc, acpi_rsdt_and_xsdt_list_fadt_madt_hpet);
    tcase_add_test(tc, acpi_fadt_fields_match_platform_constants);
    tcase_add_test(tc, acpi_fadt_x_blocks_agree_with_legacy_blocks);
    tcase_add_test(tc, acpi_facs_and_dsdt_are_reachable_from_fadt);
    tcase_add_test(tc, acpi_dsdt_s5_package_is_four_zeros);
    tcase_add_test(tc, acpi_dsdt_pci_hole_starts_at_top_of_low_ram);
    tcase_add_test(tc, acpi_madt_entries_describe_lapic_ioapic_overrides_nmi);
    tcase_add_test(tc, acpi_hpet_table_describes_the_hpet);
    tcase_add_test(tc, acpi_tables_disassemble_cleanly_with_iasl);
    tcase_add_test(tc, acpi_pci0_crs_evaluates_to_the_platform_windows);
    tcase_add_test(tc, acpi_s5_and_pic_evaluate_in_acpica);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(acpi_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
