/*
 * test_fw_cfg.c — QEMU's fw_cfg device (devices/fw_cfg.c) on its I/O ports, with DMA into a fake
 * 64 KiB RAM, and the items the board gives SeaBIOS (firmware/bios_cfg.c): the table-loader
 * script, run here as SeaBIOS's romfile loader would, yields ACPI tables whose pointers and
 * checksums hold wherever they are placed.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "firmware/bios_cfg.h"
#include "mem/io.h"

#define RAM_SIZE 0x10000u

typedef struct Fix {
    IoBus bus;
    FwCfgState *fw;
    uint8_t ram[RAM_SIZE];
} Fix;

static bool ram_read(void *opaque, uint64_t gpa, void *buf, uint32_t len)
{
    Fix *f = opaque;
    if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
        return false;
    memcpy(buf, f->ram + gpa, len);
    return true;
}

static bool ram_write(void *opaque, uint64_t gpa, const void *buf, uint32_t len)
{
    Fix *f = opaque;
    if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
        return false;
    memcpy(f->ram + gpa, buf, len);
    return true;
}

static Fix *fix_new(void)
{
    Fix *f = calloc(1, sizeof(*f));
    io_init(&f->bus);
    FwCfgDmaOps dma = { ram_read, ram_write, f };
    f->fw = fw_cfg_new(&f->bus, &dma);
    ck_assert_ptr_nonnull(f->fw);
    return f;
}

static void fix_free(Fix *f)
{
    fw_cfg_free(f->fw);
    free(f);
}

static void sel(Fix *f, uint16_t key)
{
    io_out(&f->bus, FW_CFG_PORT_SEL, 2, key);
}

static void read_data(Fix *f, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)io_in(&f->bus, FW_CFG_PORT_DATA, 1);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t bswap(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/* Puts a DMA descriptor at `at` and starts it as SeaBIOS does: two OUTs of big-endian halves. */
static void dma(Fix *f, uint32_t at, uint32_t control, uint32_t len, uint64_t addr)
{
    uint8_t *d = f->ram + at;
    uint32_t v[4] = { control, len, (uint32_t)(addr >> 32), (uint32_t)addr };
    for (int i = 0; i < 4; i++) {
        d[4 * i] = (uint8_t)(v[i] >> 24);
        d[4 * i + 1] = (uint8_t)(v[i] >> 16);
        d[4 * i + 2] = (uint8_t)(v[i] >> 8);
        d[4 * i + 3] = (uint8_t)v[i];
    }
    io_out(&f->bus, FW_CFG_PORT_DMA, 4, bswap(0));
    io_out(&f->bus, FW_CFG_PORT_DMA + 4, 4, bswap(at));
}

/* Finds a file in the directory: its selector and size, or false. */
static bool find_file(Fix *f, const char *name, uint16_t *key, uint32_t *size)
{
    uint8_t cnt[4];
    sel(f, FW_CFG_FILE_DIR);
    read_data(f, cnt, 4);
    for (uint32_t i = 0; i < be32(cnt); i++) {
        uint8_t e[64];
        read_data(f, e, sizeof(e));
        if (!strcmp((const char *)e + 8, name)) {
            *key = (uint16_t)(e[4] << 8 | e[5]);
            *size = be32(e);
            return true;
        }
    }
    return false;
}

START_TEST(fw_cfg_signature_and_id_read_through_data_port)
{
    Fix *f = fix_new();
    uint8_t b[4];
    sel(f, FW_CFG_SIGNATURE);
    read_data(f, b, 4);
    ck_assert_mem_eq(b, "QEMU", 4);
    ck_assert_uint_eq(io_in(&f->bus, FW_CFG_PORT_DATA, 1), 0);   /* past the end */
    sel(f, FW_CFG_ID);
    read_data(f, b, 4);
    ck_assert_uint_eq(le32(b), 3);                               /* traditional + DMA */
    sel(f, 0x1234);                                              /* absent item */
    ck_assert_uint_eq(io_in(&f->bus, FW_CFG_PORT_DATA, 1), 0);
    sel(f, FW_CFG_SIGNATURE | 0x4000);                           /* old write-mode bit */
    ck_assert_uint_eq(io_in(&f->bus, FW_CFG_PORT_DATA, 1), 'Q');
    io_out(&f->bus, FW_CFG_PORT_DATA, 1, 'X');                   /* data writes: ignored */
    sel(f, FW_CFG_SIGNATURE);
    ck_assert_uint_eq(io_in(&f->bus, FW_CFG_PORT_DATA, 1), 'Q');
    fix_free(f);
}
END_TEST

START_TEST(fw_cfg_dma_port_reads_signature)
{
    Fix *f = fix_new();
    ck_assert_uint_eq(bswap(io_in(&f->bus, FW_CFG_PORT_DMA, 4)), 0x51454d55u);      /* "QEMU" */
    ck_assert_uint_eq(bswap(io_in(&f->bus, FW_CFG_PORT_DMA + 4, 4)), 0x20434647u);  /* " CFG" */
    fix_free(f);
}
END_TEST

START_TEST(fw_cfg_files_listed_big_endian_from_key_0x20)
{
    Fix *f = fix_new();
    ck_assert_int_eq(fw_cfg_add_file(f->fw, "etc/a", "abc", 3), 0);
    ck_assert_int_eq(fw_cfg_add_file(f->fw, "etc/b", "hello", 5), 0);
    ck_assert_int_eq(fw_cfg_add_file(f->fw, "etc/a", "x", 1), -1);            /* name taken */
    char longname[64];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[63] = 0;
    ck_assert_int_eq(fw_cfg_add_file(f->fw, longname, "x", 1), -1);          /* too long */
    uint16_t key;
    uint32_t size;
    ck_assert(find_file(f, "etc/b", &key, &size));
    ck_assert_uint_eq(key, 0x21);
    ck_assert_uint_eq(size, 5);
    uint8_t b[5];
    sel(f, key);
    read_data(f, b, 5);
    ck_assert_mem_eq(b, "hello", 5);
    fix_free(f);
}
END_TEST

START_TEST(fw_cfg_dma_select_read_copies_and_zero_fills)
{
    Fix *f = fix_new();
    fw_cfg_add_file(f->fw, "etc/a", "abcdef", 6);
    memset(f->ram + 0x2000, 0x77, 16);
    dma(f, 0x1000, 0x20u << 16 | 0x08 | 0x02, 10, 0x2000);   /* select 0x20, read 10 */
    ck_assert_uint_eq(be32(f->ram + 0x1000), 0);              /* done, no error */
    ck_assert_mem_eq(f->ram + 0x2000, "abcdef\0\0\0\0", 10);
    ck_assert_uint_eq(f->ram[0x200a], 0x77);                  /* nothing beyond length */
    fix_free(f);
}
END_TEST

START_TEST(fw_cfg_dma_skip_then_read_continues_at_offset)
{
    Fix *f = fix_new();
    fw_cfg_add_file(f->fw, "etc/a", "abcdef", 6);
    dma(f, 0x1000, 0x20u << 16 | 0x08 | 0x04, 2, 0);          /* select, skip 2 */
    ck_assert_uint_eq(be32(f->ram + 0x1000), 0);
    dma(f, 0x1000, 0x02, 3, 0x3000);                          /* read 3 */
    ck_assert_mem_eq(f->ram + 0x3000, "cde", 3);
    ck_assert_uint_eq(io_in(&f->bus, FW_CFG_PORT_DATA, 1), 'f');   /* the port shares the offset */
    fix_free(f);
}
END_TEST

START_TEST(fw_cfg_dma_write_or_bad_address_sets_error)
{
    Fix *f = fix_new();
    fw_cfg_add_file(f->fw, "etc/a", "abcdef", 6);
    dma(f, 0x1000, 0x20u << 16 | 0x08 | 0x10, 4, 0x2000);     /* write: nothing is writable */
    ck_assert_uint_eq(be32(f->ram + 0x1000), 0x01);
    dma(f, 0x1000, 0x20u << 16 | 0x08 | 0x02, 6, RAM_SIZE - 2); /* runs off the end of RAM */
    ck_assert_uint_eq(be32(f->ram + 0x1000), 0x01);
    dma(f, 0x1000, 0x20u << 16 | 0x08 | 0x02, 6, 0xffffffff00000000ull);
    ck_assert_uint_eq(be32(f->ram + 0x1000), 0x01);
    /* a descriptor outside RAM: nothing to read, nothing written back, no crash */
    io_out(&f->bus, FW_CFG_PORT_DMA, 4, bswap(0x12345678u));
    io_out(&f->bus, FW_CFG_PORT_DMA + 4, 4, bswap(0xfffffff0u));
    fix_free(f);
}
END_TEST

/* Hostile descriptors: random keys, controls, lengths and addresses (seeded) never make the device
 * touch memory outside what the DMA ops allow, and every transfer ends with control written back
 * as 0 or the error bit. */
START_TEST(fw_cfg_dma_random_descriptors_stay_in_bounds)
{
    Fix *f = fix_new();
    ck_assert_int_eq(bios_cfg_fill(f->fw, 64u << 20, false, true), 0);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t key = (x & 1) ? (uint32_t)(x >> 8) & 0xffff : (uint32_t)(x >> 8) % 0x30;
        uint32_t control = key << 16 | ((uint32_t)(x >> 24) & 0x1f);
        uint32_t len = (x >> 29) & 1 ? (uint32_t)(x >> 32) : (uint32_t)(x >> 32) % 0x3000;
        uint64_t addr = (x >> 30) & 1 ? x >> 20 : (x >> 40) % RAM_SIZE;
        uint32_t at = (uint32_t)((x >> 12) % (RAM_SIZE / 16)) * 16;
        dma(f, at, control, len, addr);
        uint32_t back = be32(f->ram + at);
        ck_assert_msg(back == 0 || back == 1, "control 0x%x len 0x%x addr 0x%llx -> 0x%x", control, len,
                      (unsigned long long)addr, back);
        io_in(&f->bus, FW_CFG_PORT_DATA, 1);
    }
    fix_free(f);
}
END_TEST

/* ---- the board's items, and the table loader run as SeaBIOS runs it ---- */

static uint8_t sum8(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* Reads a file into RAM at `at`; returns its size. */
static uint32_t load_file(Fix *f, const char *name, uint32_t at)
{
    uint16_t key;
    uint32_t size;
    ck_assert_msg(find_file(f, name, &key, &size), "no file %s", name);
    ck_assert_uint_le(size, RAM_SIZE - at);
    dma(f, 0x100, (uint32_t)key << 16 | 0x08 | 0x02, size, at);
    ck_assert_uint_eq(be32(f->ram + 0x100), 0);
    return size;
}

START_TEST(bios_cfg_table_loader_places_valid_acpi_tables)
{
    Fix *f = fix_new();
    ck_assert_int_eq(bios_cfg_fill(f->fw, 128u << 20, false, true), 0);
    uint8_t b[8];
    sel(f, FW_CFG_RAM_SIZE);
    read_data(f, b, 8);
    ck_assert_uint_eq(le32(b), 128u << 20);
    sel(f, FW_CFG_NB_CPUS);
    read_data(f, b, 2);
    ck_assert_uint_eq(b[0] | b[1] << 8, 1);

    /* e820: RAM entries only, 20 bytes each */
    uint32_t n = load_file(f, "etc/e820", 0x200);
    ck_assert_uint_eq(n, 40);
    ck_assert_uint_eq(le32(f->ram + 0x200 + 8), 0x9fc00);
    ck_assert_uint_eq(le32(f->ram + 0x200 + 16), 1);
    ck_assert_uint_eq(le32(f->ram + 0x214), 0x100000);

    /* the loader script: allocate, point, checksum; tables at 0x4000, RSDP at 0xf000 */
    uint32_t script = 0x1000, nscript = load_file(f, "etc/table-loader", script);
    ck_assert_uint_eq(nscript % 128, 0);
    uint32_t tables = 0, rsdp = 0;
    for (uint32_t e = script; e < script + nscript; e += 128) {
        const uint8_t *c = f->ram + e;
        const char *file = (const char *)c + 4;
        switch (le32(c)) {
        case 1:
            if (!strcmp(file, "etc/acpi/tables")) {
                ck_assert_uint_eq(le32(c + 60), 64);
                ck_assert_uint_eq(c[64], 1);                  /* high memory */
                tables = 0x4000;
                load_file(f, file, tables);
            } else {
                ck_assert_str_eq(file, "etc/acpi/rsdp");
                ck_assert_uint_eq(c[64], 2);                  /* F segment */
                rsdp = 0xf000;
                load_file(f, file, rsdp);
            }
            break;
        case 2: {
            ck_assert_str_eq((const char *)c + 60, "etc/acpi/tables");
            uint32_t dest = !strcmp(file, "etc/acpi/rsdp") ? rsdp : tables;
            uint8_t *p = f->ram + dest + le32(c + 116);
            int size = c[120];
            uint64_t v = 0;
            memcpy(&v, p, (size_t)size);
            v += tables;
            memcpy(p, &v, (size_t)size);
            break;
        }
        case 3: {
            uint32_t base = !strcmp(file, "etc/acpi/rsdp") ? rsdp : tables;
            uint8_t *p = f->ram + base + le32(c + 60);
            *p = (uint8_t)(*p - sum8(f->ram + base + le32(c + 64), le32(c + 68)));
            break;
        }
        default:
            ck_abort_msg("unknown loader command %u", le32(c));
        }
    }
    ck_assert_uint_ne(tables, 0);
    ck_assert_uint_ne(rsdp, 0);

    /* the RSDP points to an RSDT whose entries point to sealed tables; the FADT to the DSDT */
    const uint8_t *r = f->ram + rsdp;
    ck_assert_mem_eq(r, "RSD PTR ", 8);
    ck_assert_uint_eq(sum8(r, 20), 0);
    ck_assert_uint_eq(sum8(r, 36), 0);
    uint32_t rsdt = le32(r + 16);
    ck_assert_uint_ge(rsdt, tables);
    ck_assert_mem_eq(f->ram + rsdt, "RSDT", 4);
    ck_assert_uint_eq(sum8(f->ram + rsdt, le32(f->ram + rsdt + 4)), 0);
    uint32_t xsdt = le32(r + 24);
    ck_assert_mem_eq(f->ram + xsdt, "XSDT", 4);
    ck_assert_uint_eq(sum8(f->ram + xsdt, le32(f->ram + xsdt + 4)), 0);
    bool fadt_seen = false;
    for (uint32_t i = 36; i < le32(f->ram + rsdt + 4); i += 4) {
        uint32_t t = le32(f->ram + rsdt + i);
        ck_assert_uint_eq(le32(f->ram + xsdt + 36 + 2 * (i - 36)), t);
        ck_assert_uint_eq(sum8(f->ram + t, le32(f->ram + t + 4)), 0);
        if (!memcmp(f->ram + t, "FACP", 4)) {
            fadt_seen = true;
            uint32_t facs = le32(f->ram + t + 36), dsdt = le32(f->ram + t + 40);
            ck_assert_mem_eq(f->ram + facs, "FACS", 4);
            ck_assert_uint_eq(facs % 64, 0);
            ck_assert_mem_eq(f->ram + dsdt, "DSDT", 4);
            ck_assert_uint_eq(le32(f->ram + t + 140), dsdt);      /* X_DSDT */
            ck_assert_uint_eq(sum8(f->ram + dsdt, le32(f->ram + dsdt + 4)), 0);
        }
    }
    ck_assert(fadt_seen);
    fix_free(f);
}
END_TEST

/* SeaBIOS's serial console (etc/sercon-port) and FW_CFG_NOGRAPHIC: as QEMU's pc machine, only when
 * nobody sees a screen (-nographic; softvisor also with -vga none). */
START_TEST(bios_cfg_sercon_port_only_without_a_screen)
{
    static const struct {
        bool nographic, has_vga, sercon;
    } cases[] = { { false, true, false }, { true, true, true }, { false, false, true }, { true, false, true } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Fix *f = fix_new();
        ck_assert_int_eq(bios_cfg_fill(f->fw, 64u << 20, cases[i].nographic, cases[i].has_vga), 0);
        uint8_t b[2];
        sel(f, FW_CFG_NOGRAPHIC);
        read_data(f, b, 2);
        ck_assert_uint_eq(b[0] | b[1] << 8, cases[i].nographic);
        uint16_t key;
        uint32_t size;
        ck_assert_int_eq(find_file(f, "etc/sercon-port", &key, &size), cases[i].sercon);
        if (cases[i].sercon) {
            ck_assert_uint_eq(size, 2);
            sel(f, key);
            read_data(f, b, 2);
            ck_assert_uint_eq(b[0] | b[1] << 8, 0x3f8);
        }
        fix_free(f);
    }
}
END_TEST

static Suite *fw_cfg_suite(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fw_cfg_signature_and_id_read_through_data_port);
    tcase_add_test(tc, fw_cfg_dma_port_reads_signature);
    tcase_add_test(tc, fw_cfg_files_listed_big_endian_from_key_0x20);
    tcase_add_test(tc, fw_cfg_dma_select_read_copies_and_zero_fills);
    tcase_add_test(tc, fw_cfg_dma_skip_then_read_continues_at_offset);
    tcase_add_test(tc, fw_cfg_dma_write_or_bad_address_sets_error);
    tcase_add_test(tc, fw_cfg_dma_random_descriptors_stay_in_bounds);
    tcase_add_test(tc, bios_cfg_table_loader_places_valid_acpi_tables);
    tcase_add_test(tc, bios_cfg_sercon_port_only_without_a_screen);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fw_cfg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
