/*
 * test_linux_boot.c — firmware/linux.c: the Linux boot protocol's 32-bit entry, through vm_new()
 * as `softvisor -kernel bzImage -initrd FILE -append STRING` uses it.
 *
 * The "bzImage" is built here: 4 setup sectors after the boot sector (setup_sects = 4), a setup
 * header with boot flag 0xAA55, syssize (the 4 KiB protected-mode part in 16-byte paragraphs), "HdrS",
 * protocol 2.15, LOADED_HIGH, initrd_addr_max, cmdline_size and init_size, then this protected-mode
 * code, loaded at 1 MiB:
 *   8b 86 28 02 00 00   mov eax, [esi + 0x228]   ; cmd_line_ptr
 *   8a 00               mov al, [eax]            ; first command-line byte
 *   e6 e9               out 0xe9, al
 *   b0 21               mov al, 0x21
 *   e6 f4               out 0xf4, al             ; exit status (0x21 << 1) | 1 = 0x43
 *   f4                  hlt
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/flags.h"
#include "vm/vm.h"

#define ZP 0x7000u
#define SETUP_SECTS 4
#define PM_OFF ((SETUP_SECTS + 1) * 512)

static const uint8_t pm_code[] = { 0x8b, 0x86, 0x28, 0x02, 0x00, 0x00, 0x8a, 0x00, 0xe6, 0xe9,
                                   0xb0, 0x21, 0xe6, 0xf4, 0xf4 };

static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t r16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t r32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t r64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Fills img (PM_OFF + 4096 bytes) with a bzImage of protocol `version`; returns its size. */
static size_t make_bzimage(uint8_t *img, uint16_t version, uint32_t init_size)
{
    size_t n = PM_OFF + 4096;
    memset(img, 0, n);
    img[0x1f1] = SETUP_SECTS;
    w32(img + 0x1f4, 4096 / 16);      /* syssize */
    w16(img + 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x6a;                /* header ends at 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    w16(img + 0x206, version);
    img[0x211] = 0x01;                /* LOADED_HIGH */
    w32(img + 0x214, 0x100000);
    w32(img + 0x22c, 0x7fffffff);     /* initrd_addr_max */
    w32(img + 0x238, 2047);           /* cmdline_size */
    w32(img + 0x260, init_size);
    memcpy(img + PM_OFF, pm_code, sizeof(pm_code));
    return n;
}

static void write_tmp(char *path, const uint8_t *data, size_t n)
{
    strcpy(path, "/tmp/softvisor-test-linux-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    if (n)
        ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
}

typedef struct Boot {
    Vm *vm;
    char err[512];
    char initrd[64];
    FILE *dcon;
    char *dcon_buf;
    size_t dcon_len;
} Boot;

static void boot(Boot *b, const uint8_t *img, size_t n, uint64_t ram, const char *append, size_t initrd_len)
{
    char kpath[64];
    write_tmp(kpath, img, n);
    b->initrd[0] = 0;
    if (initrd_len) {
        uint8_t *d = malloc(initrd_len);
        ck_assert_ptr_nonnull(d);
        for (size_t i = 0; i < initrd_len; i++)
            d[i] = (uint8_t)(i * 7 + 1);
        write_tmp(b->initrd, d, initrd_len);
        free(d);
    }
    b->dcon = open_memstream(&b->dcon_buf, &b->dcon_len);
    VmConfig cfg = { .ram_size = ram, .kernel = kpath, .append = append, .debugcon = b->dcon,
                     .initrd = initrd_len ? b->initrd : NULL };
    b->err[0] = 0;
    b->vm = vm_new(&cfg, b->err, sizeof(b->err));
    unlink(kpath);
    if (initrd_len)
        unlink(b->initrd);
}

static void done(Boot *b)
{
    vm_free(b->vm);
    fclose(b->dcon);
    free(b->dcon_buf);
}

START_TEST(linux_entry_state_follows_boot_protocol)
{
    static uint8_t img[PM_OFF + 4096];
    size_t n = make_bzimage(img, 0x020f, 0x10000);
    Boot b;
    boot(&b, img, n, 32u << 20, "console=ttyS0", 0);
    ck_assert_msg(b.vm != NULL, "%s", b.err);
    Cpu *cpu = b.vm->cpu;
    ck_assert_uint_eq(cpu->rip, 0x100000);
    ck_assert_uint_eq(cpu->gpr[R_SI], ZP);
    ck_assert_uint_eq(cpu->gpr[R_BX] | cpu->gpr[R_BP] | cpu->gpr[R_DI], 0);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, 0x10);
    ck_assert_uint_eq(cpu->seg[SEG_DS].sel, 0x18);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, 0x18);
    ck_assert(cpu->cr0 & CR0_PE);
    ck_assert(!(cpu->cr0 & CR0_PG));
    ck_assert(!(cpu->eflags & FL_IF));
    /* The GDT in guest memory holds the flat __BOOT_CS / __BOOT_DS descriptors. */
    const uint8_t *gdt = b.vm->ram + cpu->gdtr.base;
    ck_assert_uint_eq(r64(gdt + 0x10), 0x00cf9b000000ffffull);
    ck_assert_uint_eq(r64(gdt + 0x18), 0x00cf93000000ffffull);
    /* The protected-mode part is at 1 MiB. */
    ck_assert_mem_eq(b.vm->ram + 0x100000, pm_code, sizeof(pm_code));
    done(&b);
}
END_TEST

START_TEST(linux_zero_page_has_header_cmdline_and_e820)
{
    static uint8_t img[PM_OFF + 4096];
    size_t n = make_bzimage(img, 0x020f, 0x10000);
    Boot b;
    boot(&b, img, n, 64u << 20, "root=/dev/ram0 quiet", 0);
    ck_assert_msg(b.vm != NULL, "%s", b.err);
    const uint8_t *zp = b.vm->ram + ZP;
    ck_assert_mem_eq(zp + 0x202, "HdrS", 4);
    ck_assert_uint_eq(r16(zp + 0x206), 0x020f);
    ck_assert_uint_eq(zp[0x210], 0xff);
    ck_assert_str_eq((const char *)b.vm->ram + r32(zp + 0x228), "root=/dev/ram0 quiet");
    ck_assert_uint_eq(r32(zp + 0x218), 0);   /* no initrd */
    ck_assert_uint_eq(zp[0x1e8], 4);
    /* Entry 3: RAM from 1 MiB to the end of the 64 MiB. */
    const uint8_t *e = zp + 0x2d0 + 3 * 20;
    ck_assert_uint_eq(r64(e), 0x100000);
    ck_assert_uint_eq(r64(e + 8), (64u << 20) - 0x100000);
    ck_assert_uint_eq(r32(e + 16), 1);
    ck_assert_uint_eq(r32(zp + 0x1e0), (64u << 10) - 1024);
    done(&b);
}
END_TEST

START_TEST(linux_e820_above_4g_when_ram_exceeds_hole)
{
    static uint8_t img[PM_OFF + 4096];
    size_t n = make_bzimage(img, 0x020f, 0x10000);
    Boot b;
    boot(&b, img, n, 4ull << 30, "", 0);
    ck_assert_msg(b.vm != NULL, "%s", b.err);
    const uint8_t *zp = b.vm->ram + ZP;
    ck_assert_uint_eq(zp[0x1e8], 5);
    const uint8_t *low = zp + 0x2d0 + 3 * 20, *high = zp + 0x2d0 + 4 * 20;
    ck_assert_uint_eq(r64(low) + r64(low + 8), 0xe0000000ull);
    ck_assert_uint_eq(r64(high), 1ull << 32);
    ck_assert_uint_eq(r64(high + 8), (4ull << 30) - 0xe0000000ull);
    ck_assert_uint_eq(r32(high + 16), 1);
    done(&b);
}
END_TEST

START_TEST(linux_initrd_goes_high_and_page_aligned)
{
    static uint8_t img[PM_OFF + 4096];
    size_t n = make_bzimage(img, 0x020f, 0x10000);
    Boot b;
    boot(&b, img, n, 32u << 20, "", 5000);
    ck_assert_msg(b.vm != NULL, "%s", b.err);
    const uint8_t *zp = b.vm->ram + ZP;
    uint32_t at = r32(zp + 0x218), len = r32(zp + 0x21c);
    ck_assert_uint_eq(len, 5000);
    ck_assert_uint_eq(at & 0xfff, 0);
    ck_assert_uint_le(at + len, 32u << 20);
    ck_assert_uint_gt(at + len + 4096, 32u << 20);
    for (uint32_t i = 0; i < len; i++)
        ck_assert_uint_eq(b.vm->ram[at + i], (uint8_t)(i * 7 + 1));
    done(&b);
}
END_TEST

START_TEST(linux_kernel_runs_and_reads_cmdline)
{
    static uint8_t img[PM_OFF + 4096];
    size_t n = make_bzimage(img, 0x020f, 0x10000);
    Boot b;
    boot(&b, img, n, 16u << 20, "Xyz", 0);
    ck_assert_msg(b.vm != NULL, "%s", b.err);
    ck_assert_int_eq(vm_run(b.vm, 1000), VM_EXIT_DEBUG_EXIT);
    ck_assert_int_eq(b.vm->exit_status, 0x43);
    fflush(b.dcon);
    ck_assert_uint_eq(b.dcon_len, 1);
    ck_assert_int_eq(b.dcon_buf[0], 'X');
    done(&b);
}
END_TEST

static void expect_error(uint8_t *img, size_t n, uint64_t ram, size_t initrd_len, const char *what)
{
    Boot b;
    boot(&b, img, n, ram, "", initrd_len);
    ck_assert_msg(b.vm == NULL, "loaded a bad kernel (expected: %s)", what);
    ck_assert_msg(strchr(b.err, '\n') == NULL, "error is not one line: %s", b.err);
    ck_assert_msg(strstr(b.err, what) != NULL, "error '%s' does not mention '%s'", b.err, what);
    done(&b);
}

START_TEST(linux_bad_images_give_one_line_errors)
{
    static uint8_t img[PM_OFF + 4096];
    size_t n = make_bzimage(img, 0x0205, 0x10000);
    expect_error(img, n, 16u << 20, 0, "too old");
    n = make_bzimage(img, 0x020f, 0x10000);
    img[0x211] = 0;
    expect_error(img, n, 16u << 20, 0, "zImage");
    n = make_bzimage(img, 0x020f, 0x10000);
    img[0x1f1] = 200;                 /* setup part larger than the file */
    expect_error(img, n, 16u << 20, 0, "truncated");
    n = make_bzimage(img, 0x020f, 64u << 20);
    expect_error(img, n, 16u << 20, 0, "more -m");
    n = make_bzimage(img, 0x020f, 0x10000);
    expect_error(img, n, 4u << 20, 3u << 20, "does not fit");
}
END_TEST

/* A download cut short: the file ends before the protected-mode part the header promises.  The one
 * message names the file, its size and the size the header asks for. */
START_TEST(linux_truncated_bzimage_is_refused_with_sizes)
{
    static uint8_t img[PM_OFF + 4096];
    size_t n = make_bzimage(img, 0x020f, 0x10000);
    char want[64];
    snprintf(want, sizeof(want), "is %zu bytes", n - 1);
    expect_error(img, n - 1, 16u << 20, 0, want);
    snprintf(want, sizeof(want), "says %zu", n);
    expect_error(img, n - 1, 16u << 20, 0, want);
    expect_error(img, n - 1, 16u << 20, 0, "/tmp/softvisor-test-linux-");
    expect_error(img, PM_OFF + 16, 16u << 20, 0, "truncated");
    /* longer than the header says (Debian's signed kernels carry a signature after it): fine */
    static uint8_t longer[PM_OFF + 4096 + 512];
    memcpy(longer, img, n);
    memset(longer + n, 0xa5, 512);
    Boot b;
    boot(&b, longer, sizeof(longer), 16u << 20, "", 0);
    ck_assert_msg(b.vm != NULL, "%s", b.err);
    done(&b);
}
END_TEST

START_TEST(linux_too_long_cmdline_is_refused)
{
    static uint8_t img[PM_OFF + 4096];
    size_t n = make_bzimage(img, 0x020f, 0x10000);
    char *cl = malloc(3000);
    memset(cl, 'a', 2999);
    cl[2999] = 0;
    Boot b;
    boot(&b, img, n, 16u << 20, cl, 0);
    ck_assert(b.vm == NULL);
    ck_assert_msg(strstr(b.err, "command line") != NULL, "%s", b.err);
    done(&b);
    free(cl);
}
END_TEST

static Suite *linux_suite(void)
{
    Suite *s = suite_create("linux_boot");
    TCase *tc = tcase_create("protocol");
    tcase_add_test(tc, linux_entry_state_follows_boot_protocol);
    tcase_add_test(tc, linux_zero_page_has_header_cmdline_and_e820);
    tcase_add_test(tc, linux_e820_above_4g_when_ram_exceeds_hole);
    tcase_add_test(tc, linux_initrd_goes_high_and_page_aligned);
    tcase_add_test(tc, linux_kernel_runs_and_reads_cmdline);
    tcase_add_test(tc, linux_bad_images_give_one_line_errors);
    tcase_add_test(tc, linux_truncated_bzimage_is_refused_with_sizes);
    tcase_add_test(tc, linux_too_long_cmdline_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(linux_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
