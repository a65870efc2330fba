/*
 * test_loader.c — firmware/loader.c: multiboot v1 kernels (ELF32 and the a.out kludge) and BIOS
 * images, through vm_new() as the command line uses them.
 *
 * The kernel is a tiny ELF32 built here: one PT_LOAD segment at 1 MiB holding the ELF header, the
 * program header, the multiboot header (offset 84) and this code at offset 96:
 *   e6 e9    out 0xe9, al      ; AL = 0x02 from EAX = 0x2BADB002
 *   89 d8    mov eax, ebx
 *   e6 e9    out 0xe9, al      ; low byte of the info address
 *   b0 10    mov al, 0x10
 *   e6 f4    out 0xf4, al      ; exit status (0x10 << 1) | 1 = 0x21
 *   f4       hlt
 * Multiboot entry state (spec 3.2): EAX = 0x2BADB002, EBX = info, flat 32-bit CS/DS/ES/FS/GS/SS,
 * CR0.PE = 1, CR0.PG = 0, EFLAGS.IF = 0, EFLAGS.VM = 0.
 * Placement (spec 3.3): the info structure, memory map, command line, module table and strings
 * go after the kernel and modules, in RAM the E820 map reports (0-0x9FBFF, 1 MiB-top of RAM).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/flags.h"
#include "firmware/loader.h"
#include "firmware/e820.h"
#include "vm/vm.h"

#define LOAD 0x100000u
#define BSS 0x2000u
#define RAM (8u << 20)

static const uint8_t code[] = { 0xe6, 0xe9, 0x89, 0xd8, 0xe6, 0xe9, 0xb0, 0x10, 0xe6, 0xf4, 0xf4 };

static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t r32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t r64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Builds the kernel into buf (at least 128 bytes); returns its size. */
static size_t make_elf(uint8_t *buf, uint32_t paddr)
{
    size_t n = 96 + sizeof(code);
    memset(buf, 0, 128);
    memcpy(buf, "\177ELF", 4);
    buf[4] = 1;                  /* ELFCLASS32 */
    buf[5] = 1;                  /* little-endian */
    buf[6] = 1;
    w16(buf + 16, 2);            /* ET_EXEC */
    w16(buf + 18, 3);            /* EM_386 */
    w32(buf + 20, 1);
    w32(buf + 24, paddr + 96);   /* e_entry */
    w32(buf + 28, 52);           /* e_phoff */
    w16(buf + 40, 52);
    w16(buf + 42, 32);           /* e_phentsize */
    w16(buf + 44, 1);            /* e_phnum */
    uint8_t *ph = buf + 52;
    w32(ph + 0, 1);              /* PT_LOAD */
    w32(ph + 4, 0);
    w32(ph + 8, paddr);
    w32(ph + 12, paddr);
    w32(ph + 16, (uint32_t)n);
    w32(ph + 20, (uint32_t)n + BSS);
    w32(ph + 24, 7);
    w32(ph + 28, 0x1000);
    w32(buf + 84, 0x1badb002u);
    w32(buf + 88, 3);
    w32(buf + 92, (uint32_t)-(0x1badb002u + 3));
    memcpy(buf + 96, code, sizeof(code));
    return n;
}

static void write_tmp(char *path, const uint8_t *data, size_t n)
{
    strcpy(path, "/tmp/softvisor-test-kernel-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    if (n)
        ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
}

/* vm_new with this kernel file; returns the Vm or NULL with the error in err. */
static Vm *boot(const uint8_t *data, size_t n, const char *append, FILE *debugcon, char *err, size_t errlen)
{
    char path[64];
    write_tmp(path, data, n);
    VmConfig cfg = { .ram_size = RAM, .kernel = path, .append = append, .debugcon = debugcon };
    err[0] = 0;
    Vm *vm = vm_new(&cfg, err, errlen);
    unlink(path);
    return vm;
}

/* The error must be one non-empty line containing `what`. */
static void expect_error(const uint8_t *data, size_t n, const char *what)
{
    char err[512];
    Vm *vm = boot(data, n, NULL, NULL, err, sizeof(err));
    ck_assert_msg(vm == NULL, "loaded a bad kernel (expected: %s)", what);
    ck_assert_msg(err[0] != 0, "no error message (expected: %s)", what);
    ck_assert_msg(strchr(err, '\n') == NULL, "error is not one line: %s", err);
    ck_assert_msg(strstr(err, what) != NULL, "error '%s' does not mention '%s'", err, what);
}

START_TEST(loader_elf_kernel_entry_state_is_multiboot)
{
    uint8_t k[128];
    size_t n = make_elf(k, LOAD);
    char err[256];
    Vm *vm = boot(k, n, NULL, NULL, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    Cpu *cpu = vm->cpu;
    ck_assert_mem_eq(vm->ram + LOAD, k, n);
    ck_assert_uint_eq(cpu->gpr[R_AX], 0x2badb002u);
    ck_assert_uint_eq(cpu->gpr[R_BX], (LOAD + n + BSS + 0xfff) & ~0xfffu);   /* the page after the bss */
    ck_assert_uint_eq(cpu->rip, LOAD + 96);
    ck_assert_uint_eq(cpu->cr0 & (CR0_PE | CR0_PG), CR0_PE);
    ck_assert_uint_eq(cpu_get_eflags(cpu) & (FL_IF | FL_VM), 0);
    ck_assert_int_eq(cpu->code_bits, 32);
    ck_assert_int_eq(cpu->cpl, 0);
    for (int s = 0; s < 6; s++) {
        ck_assert_uint_eq(cpu->seg[s].base, 0);
        ck_assert_uint_eq(cpu->seg[s].limit, 0xffffffffu);
        ck_assert_uint_eq(cpu->seg[s].attr & SEG_ATTR_P, SEG_ATTR_P);
        ck_assert_uint_eq(cpu->seg[s].attr & SEG_ATTR_DB, SEG_ATTR_DB);
        if (s == SEG_CS)
            ck_assert_uint_eq(cpu->seg[s].attr & 0x1a, 0x1a);   /* code, readable */
        else
            ck_assert_uint_eq(cpu->seg[s].attr & 0x1a, 0x12);   /* data, writable */
    }
    ck_assert_uint_eq(vm->mem.a20_mask, ~0ull);
    vm_free(vm);
}
END_TEST

START_TEST(loader_info_structure_has_memory_cmdline_and_map)
{
    uint8_t k[128];
    size_t n = make_elf(k, LOAD);
    char err[256];
    Vm *vm = boot(k, n, "console=ttyS0 quiet", NULL, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    const uint8_t *info = vm->ram + vm->cpu->gpr[R_BX];
    uint32_t flags = r32(info);
    ck_assert_uint_eq(flags & 0x45, 0x45);                  /* mem, cmdline, mmap */
    ck_assert_uint_eq(r32(info + 4), 639);                  /* mem_lower, KiB */
    ck_assert_uint_eq(r32(info + 8), (RAM - 0x100000) / 1024);
    uint32_t cl = r32(info + 16);
    ck_assert_uint_lt(cl, RAM - 64);
    ck_assert_str_eq((const char *)vm->ram + cl, "console=ttyS0 quiet");
    uint32_t len = r32(info + 44), addr = r32(info + 48);
    ck_assert_uint_gt(len, 0);
    ck_assert_uint_lt(addr, RAM);
    /* walk the map: size excludes itself; RAM from 1 MiB to the end must be type 1 */
    int found_high = 0, found_low = 0;
    for (uint32_t o = 0; o < len;) {
        const uint8_t *e = vm->ram + addr + o;
        uint32_t size = r32(e);
        uint64_t base = r64(e + 4), length = r64(e + 12);
        uint32_t type = r32(e + 20);
        ck_assert_uint_ge(size, 20);
        if (base == 0x100000 && length == RAM - 0x100000 && type == 1)
            found_high = 1;
        if (base == 0 && type == 1 && length <= 0xa0000)
            found_low = 1;
        o += size + 4;
    }
    ck_assert(found_high);
    ck_assert(found_low);
    vm_free(vm);
}
END_TEST

/* -initrd "FILE ARGS,FILE": multiboot modules after the kernel, page-aligned, with their strings. */
START_TEST(loader_initrd_becomes_multiboot_modules)
{
    uint8_t k[128];
    size_t n = make_elf(k, LOAD);
    char kpath[64], m1[64], m2[64], list[200], err[256];
    write_tmp(kpath, k, n);
    write_tmp(m1, (const uint8_t *)"first", 5);
    write_tmp(m2, (const uint8_t *)"second module", 13);
    snprintf(list, sizeof(list), "%s arg=1,%s", m1, m2);
    VmConfig cfg = { .ram_size = RAM, .kernel = kpath, .initrd = list };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    unlink(kpath);
    unlink(m1);
    unlink(m2);
    ck_assert_msg(vm != NULL, "%s", err);
    const uint8_t *info = vm->ram + vm->cpu->gpr[R_BX];
    ck_assert(r32(info) & (1u << 3));
    ck_assert_uint_eq(r32(info + 20), 2);
    const uint8_t *mods = vm->ram + r32(info + 24);
    uint32_t s0 = r32(mods), e0 = r32(mods + 4), s1 = r32(mods + 16), e1 = r32(mods + 20);
    ck_assert_uint_eq(s0 & 0xfff, 0);
    ck_assert_uint_ge(s0, LOAD + n + BSS);
    ck_assert_uint_eq(e0 - s0, 5);
    ck_assert_mem_eq(vm->ram + s0, "first", 5);
    ck_assert_uint_eq(s1 & 0xfff, 0);
    ck_assert_uint_ge(s1, e0);
    ck_assert_uint_eq(e1 - s1, 13);
    ck_assert_mem_eq(vm->ram + s1, "second module", 13);
    char want[80];
    snprintf(want, sizeof(want), "%s arg=1", m1);
    ck_assert_str_eq((const char *)vm->ram + r32(mods + 8), want);
    ck_assert_str_eq((const char *)vm->ram + r32(mods + 24), m2);
    vm_free(vm);
}
END_TEST

/* [start, end) ranges of guest memory the loader filled, to check that none overlaps another and
 * that each lies in RAM the E820 map reports. */
typedef struct Range {
    uint64_t start, end;
    const char *what;
} Range;

static void expect_disjoint_in_ram(const Range *r, int n)
{
    for (int i = 0; i < n; i++) {
        ck_assert_msg(r[i].start < r[i].end, "%s is empty", r[i].what);
        ck_assert_msg(r[i].end <= 0x9fc00 || (r[i].start >= 0x100000 && r[i].end <= RAM),
                      "%s at 0x%llx-0x%llx is not in E820 RAM", r[i].what, (unsigned long long)r[i].start,
                      (unsigned long long)r[i].end);
        for (int j = 0; j < i; j++)
            ck_assert_msg(r[i].end <= r[j].start || r[j].end <= r[i].start,
                          "%s (0x%llx-0x%llx) overlaps %s (0x%llx-0x%llx)", r[i].what,
                          (unsigned long long)r[i].start, (unsigned long long)r[i].end, r[j].what,
                          (unsigned long long)r[j].start, (unsigned long long)r[j].end);
    }
}

/* vm_new with this kernel and modules (contents given; files made here) and command line. */
static Vm *boot_with_modules(const uint8_t *k, size_t n, const char *append, FILE *debugcon,
                             const uint8_t *const *mod, const size_t *mod_len, int nmods, char mpath[][64],
                             char *err, size_t errlen)
{
    char kpath[64], list[512] = "";
    write_tmp(kpath, k, n);
    for (int i = 0; i < nmods; i++) {
        write_tmp(mpath[i], mod[i], mod_len[i]);
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s%s", i ? "," : "", mpath[i],
                 i == 0 ? " arg=1" : "");
    }
    VmConfig cfg = { .ram_size = RAM, .kernel = kpath, .append = append, .debugcon = debugcon,
                     .initrd = nmods ? list : NULL };
    err[0] = 0;
    Vm *vm = vm_new(&cfg, err, errlen);
    unlink(kpath);
    for (int i = 0; i < nmods; i++)
        unlink(mpath[i]);
    return vm;
}

/* A kernel linked at 0x9000 (where the info structures used to be written) with its bss up to
 * 0xB06B and two modules: every structure goes after them, the kernel's bytes stay intact, and
 * the kernel runs. */
START_TEST(loader_info_after_kernel_linked_at_0x9000)
{
    const uint32_t at = 0x9000;
    uint8_t k[128];
    size_t n = make_elf(k, at);
    static const uint8_t m0[] = "first", m1[] = "second module";
    const uint8_t *mod[] = { m0, m1 };
    size_t mod_len[] = { 5, 13 };
    char mpath[2][64], err[512], *text = NULL;
    size_t tlen = 0;
    FILE *con = open_memstream(&text, &tlen);
    Vm *vm = boot_with_modules(k, n, "console=ttyS0 quiet", con, mod, mod_len, 2, mpath, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    ck_assert_mem_eq(vm->ram + at, k, n);
    for (uint32_t i = 0; i < BSS; i++)
        ck_assert_uint_eq(vm->ram[at + n + i], 0);

    uint64_t bx = vm->cpu->gpr[R_BX];
    const uint8_t *info = vm->ram + bx;
    ck_assert_uint_eq(r32(info) & 0x4d, 0x4d);                 /* mem, cmdline, mods, mmap */
    ck_assert_uint_eq(r32(info + 4), 639);
    ck_assert_uint_eq(r32(info + 8), (RAM - 0x100000) / 1024);
    uint32_t cl = r32(info + 16), nmods = r32(info + 20), mods = r32(info + 24);
    uint32_t mmap_len = r32(info + 44), mmap = r32(info + 48);
    ck_assert_str_eq((const char *)vm->ram + cl, "console=ttyS0 quiet");
    ck_assert_uint_eq(nmods, 2);
    ck_assert_uint_eq(mmap_len % 24, 0);
    ck_assert_uint_ge(mmap_len, 4 * 24);
    int ram_entries = 0;
    for (uint32_t o = 0; o < mmap_len; o += 24) {
        const uint8_t *e = vm->ram + mmap + o;
        ck_assert_uint_eq(r32(e), 20);
        if (r32(e + 20) == 1)
            ram_entries += (r64(e + 4) == 0 && r64(e + 12) == 0x9fc00) ||
                           (r64(e + 4) == 0x100000 && r64(e + 12) == RAM - 0x100000);
    }
    ck_assert_int_eq(ram_entries, 2);

    const uint8_t *tab = vm->ram + mods;
    char want0[80];
    snprintf(want0, sizeof(want0), "%s arg=1", mpath[0]);
    ck_assert_str_eq((const char *)vm->ram + r32(tab + 8), want0);
    ck_assert_str_eq((const char *)vm->ram + r32(tab + 24), mpath[1]);
    for (int i = 0; i < 2; i++) {
        ck_assert_uint_eq(r32(tab + 16 * i) & 0xfff, 0);
        ck_assert_uint_eq(r32(tab + 16 * i + 4) - r32(tab + 16 * i), mod_len[i]);
        ck_assert_mem_eq(vm->ram + r32(tab + 16 * i), mod[i], mod_len[i]);
        ck_assert_uint_eq(r32(tab + 16 * i + 12), 0);
    }

    Range r[] = {
        { at, at + n + BSS, "kernel image and bss" },
        { bx, bx + 88, "info structure" },
        { mmap, mmap + mmap_len, "memory map" },
        { cl, cl + strlen("console=ttyS0 quiet") + 1, "command line" },
        { mods, mods + 2 * 16, "module table" },
        { r32(tab + 8), r32(tab + 8) + strlen(want0) + 1, "module 0 string" },
        { r32(tab + 24), r32(tab + 24) + strlen(mpath[1]) + 1, "module 1 string" },
        { r32(tab), r32(tab + 4), "module 0" },
        { r32(tab + 16), r32(tab + 20), "module 1" },
    };
    expect_disjoint_in_ram(r, (int)(sizeof(r) / sizeof(r[0])));
    ck_assert_uint_ge(bx, r32(tab + 20));                      /* after the modules */

    ck_assert_int_eq(vm_run(vm, 1000), VM_EXIT_DEBUG_EXIT);    /* the code at 0x9060 is intact */
    ck_assert_int_eq(vm->exit_status, 0x21);
    fclose(con);
    ck_assert_uint_eq(tlen, 2);
    ck_assert_uint_eq((uint8_t)text[0], 0x02);
    ck_assert_uint_eq((uint8_t)text[1], (uint8_t)bx);
    free(text);
    vm_free(vm);
}
END_TEST

/* A module that would run from conventional memory into the hole below 1 MiB goes to 1 MiB; the
 * info block follows it. */
START_TEST(loader_module_crossing_the_hole_goes_to_1mib)
{
    uint8_t k[128];
    size_t n = make_elf(k, 0x9000);
    uint8_t *big = malloc(0x98000);
    ck_assert_ptr_nonnull(big);
    for (size_t i = 0; i < 0x98000; i++)
        big[i] = (uint8_t)(i * 13 + 5);
    static const uint8_t small[] = "small";
    const uint8_t *mod[] = { small, big };
    size_t mod_len[] = { 5, 0x98000 };
    char mpath[2][64], err[512];
    Vm *vm = boot_with_modules(k, n, NULL, NULL, mod, mod_len, 2, mpath, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    const uint8_t *tab = vm->ram + r32(vm->ram + vm->cpu->gpr[R_BX] + 24);
    ck_assert_uint_eq(r32(tab), 0xc000);                       /* the page after the bss */
    ck_assert_uint_eq(r32(tab + 16), 0x100000);
    ck_assert_mem_eq(vm->ram + 0x100000, big, 0x98000);
    ck_assert_uint_ge(vm->cpu->gpr[R_BX], 0x100000 + 0x98000);
    ck_assert_mem_eq(vm->ram + 0x9000, k, n);
    vm_free(vm);
    free(big);
}
END_TEST

/* The command line is no longer cut at a fixed size: it goes whole into the info block. */
START_TEST(loader_long_cmdline_is_passed_whole)
{
    uint8_t k[128];
    size_t n = make_elf(k, LOAD);
    char *cl = malloc(10001);
    ck_assert_ptr_nonnull(cl);
    for (int i = 0; i < 10000; i++)
        cl[i] = (char)('a' + i % 26);
    cl[10000] = 0;
    char err[256];
    Vm *vm = boot(k, n, cl, NULL, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    ck_assert_str_eq((const char *)vm->ram + r32(vm->ram + vm->cpu->gpr[R_BX] + 16), cl);
    vm_free(vm);
    free(cl);
}
END_TEST

/* What cannot be placed is refused with one message: no room for the info block after a kernel
 * that ends at the top of RAM, or for a module; kernel segments in the hole below 1 MiB (the
 * ACPI tables live there) or across its edges. */
START_TEST(loader_impossible_layout_gives_error)
{
    uint8_t k[128];
    size_t n = make_elf(k, RAM - 0x3000);                     /* bss ends 0xf95 below the top */
    expect_error(k, n, "no room for the multiboot information");
    n = make_elf(k, RAM - 0x10000);
    uint8_t *m = calloc(1, 0x10000);
    ck_assert_ptr_nonnull(m);
    const uint8_t *mod[] = { m };
    size_t mod_len[] = { 0x10000 };
    char mpath[1][64], err[512];
    Vm *vm = boot_with_modules(k, n, NULL, NULL, mod, mod_len, 1, mpath, err, sizeof(err));
    ck_assert_ptr_null(vm);
    ck_assert_msg(strstr(err, "does not fit") && strstr(err, mpath[0]) && !strchr(err, '\n'), "%s", err);
    free(m);
    n = make_elf(k, 0xa0000);
    expect_error(k, n, "does not fit");
    n = make_elf(k, 0xf0000);                                 /* over the RSDP */
    expect_error(k, n, "does not fit");
    n = make_elf(k, 0x9e000);                                 /* bss runs past 0x9FC00 */
    expect_error(k, n, "does not fit");
    n = make_elf(k, 0xff000);                                 /* starts in the hole, ends above 1 MiB */
    expect_error(k, n, "does not fit");
}
END_TEST

START_TEST(loader_elf_kernel_runs_to_debug_exit)
{
    uint8_t k[128];
    size_t n = make_elf(k, LOAD);
    char err[256], *text = NULL;
    size_t tlen = 0;
    FILE *con = open_memstream(&text, &tlen);
    Vm *vm = boot(k, n, NULL, con, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    ck_assert_int_eq(vm_run(vm, 1000), VM_EXIT_DEBUG_EXIT);
    ck_assert_int_eq(vm->exit_status, 0x21);
    fclose(con);
    ck_assert_uint_eq(tlen, 2);
    ck_assert_uint_eq((uint8_t)text[0], 0x02);
    ck_assert_uint_eq((uint8_t)text[1], 0x00);
    free(text);
    vm_free(vm);
}
END_TEST

START_TEST(loader_reset_reloads_and_zeroes_bss)
{
    uint8_t k[128];
    size_t n = make_elf(k, LOAD);
    char err[256], path[64];
    write_tmp(path, k, n);   /* vm_reset reads the kernel file again */
    VmConfig cfg = { .ram_size = RAM, .kernel = path };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    memset(vm->ram + LOAD, 0xcc, n + BSS + 16);
    ck_assert_int_eq(vm_reset(vm, err, sizeof(err)), 0);
    ck_assert_mem_eq(vm->ram + LOAD, k, n);
    for (uint32_t i = 0; i < BSS; i++)
        ck_assert_uint_eq(vm->ram[LOAD + n + i], 0);
    ck_assert_uint_eq(vm->ram[LOAD + n + BSS], 0xcc);    /* nothing past memsz */
    ck_assert_uint_eq(vm->cpu->rip, LOAD + 96);
    vm_free(vm);
    unlink(path);
}
END_TEST

START_TEST(loader_aout_kludge_loads_at_load_addr)
{
    /* flat binary: multiboot header at 0 with flags bit 16, then the code */
    uint8_t k[64];
    memset(k, 0, sizeof(k));
    uint32_t flags = (1u << 16) | 3, load = 0x200000;
    w32(k + 0, 0x1badb002u);
    w32(k + 4, flags);
    w32(k + 8, (uint32_t)-(0x1badb002u + flags));
    w32(k + 12, load);                    /* header_addr */
    w32(k + 16, load);                    /* load_addr */
    w32(k + 20, load + 32 + sizeof(code)); /* load_end_addr */
    w32(k + 24, load + 0x1000);           /* bss_end_addr */
    w32(k + 28, load + 32);               /* entry_addr */
    memcpy(k + 32, code, sizeof(code));
    char err[256];
    Vm *vm = boot(k, 32 + sizeof(code), NULL, NULL, err, sizeof(err));
    ck_assert_msg(vm != NULL, "%s", err);
    ck_assert_mem_eq(vm->ram + load + 32, code, sizeof(code));
    ck_assert_uint_eq(vm->cpu->rip, load + 32);
    ck_assert_int_eq(vm_run(vm, 1000), VM_EXIT_DEBUG_EXIT);
    ck_assert_int_eq(vm->exit_status, 0x21);
    vm_free(vm);
}
END_TEST

START_TEST(loader_missing_or_empty_file_gives_error)
{
    char err[256];
    VmConfig cfg = { .ram_size = RAM, .kernel = "/nonexistent/kernel.elf" };
    ck_assert_ptr_null(vm_new(&cfg, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/kernel.elf"));
    expect_error(NULL, 0, "empty");
}
END_TEST

START_TEST(loader_no_multiboot_header_gives_error)
{
    uint8_t k[128];
    size_t n = make_elf(k, LOAD);
    w32(k + 84, 0x1badb003u);                     /* wrong magic */
    expect_error(k, n, "multiboot");
    n = make_elf(k, LOAD);
    w32(k + 92, 0);                               /* bad checksum */
    expect_error(k, n, "multiboot");
    uint8_t zeros[9000] = { 0 };
    w32(zeros + 8192, 0x1badb002u);               /* header beyond the first 8 KiB */
    w32(zeros + 8196, 0);
    w32(zeros + 8200, (uint32_t)-0x1badb002u);
    expect_error(zeros, sizeof(zeros), "multiboot");
}
END_TEST

START_TEST(loader_truncated_elf_gives_error)
{
    uint8_t k[128];
    size_t n = make_elf(k, LOAD);
    /* program headers pointing past the end of the file */
    w32(k + 28, 4000);
    expect_error(k, n, "truncated");
    /* segment claims more file bytes than there are */
    n = make_elf(k, LOAD);
    w32(k + 52 + 16, 5000);
    w32(k + 52 + 20, 5000);
    expect_error(k, n, "outside the file");
    /* too short to be an ELF header but with a multiboot header: the header search needs 12 bytes */
    n = make_elf(k, LOAD);
    memmove(k, k + 84, 12);
    expect_error(k, 12, "ELF");
    /* 64-bit ELF */
    n = make_elf(k, LOAD);
    k[4] = 2;
    expect_error(k, n, "32-bit");
}
END_TEST

START_TEST(loader_segment_outside_ram_gives_error)
{
    uint8_t k[128];
    size_t n = make_elf(k, 0x7fff000u);                   /* 128 MiB - 4 KiB, RAM is 8 MiB */
    expect_error(k, n, "does not fit");
    n = make_elf(k, RAM - 0x100);                         /* starts inside, bss runs past the end */
    expect_error(k, n, "does not fit");
    n = make_elf(k, LOAD);
    w32(k + 52 + 20, 0xfffff000u);                        /* memsz wraps 32 bits */
    expect_error(k, n, "does not fit");
}
END_TEST

START_TEST(loader_unsupported_multiboot_flags_give_error)
{
    uint8_t k[128];
    size_t n = make_elf(k, LOAD);
    w32(k + 88, 3 | 4);                                   /* video mode required */
    w32(k + 92, (uint32_t)-(0x1badb002u + 7));
    expect_error(k, n, "flags");
}
END_TEST

START_TEST(loader_bios_not_multiple_of_4k_gives_error)
{
    char path[64], err[256];
    uint8_t rom[5000];
    memset(rom, 0x90, sizeof(rom));
    write_tmp(path, rom, sizeof(rom));
    VmConfig cfg = { .ram_size = RAM, .bios = path };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    unlink(path);
    ck_assert_ptr_null(vm);
    ck_assert_ptr_nonnull(strstr(err, "4096"));
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(loader_mutated_kernels_never_crash)
{
    /* Random damage to every header field and random truncation: each load either succeeds or
     * gives a one-line error; none may touch memory outside the VM (run under ASan to see). */
    uint64_t r = 0x1234567 + (uint64_t)_i;
    for (int it = 0; it < 150; it++) {
        uint8_t k[128];
        size_t n = make_elf(k, LOAD);
        int flips = 1 + (int)(r % 4);
        for (int f = 0; f < flips; f++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)((r >> 33) % 96);          /* ELF, program and multiboot headers */
            k[at] = (uint8_t)(r >> 24);
        }
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        if ((r >> 60) < 4)
            n = (size_t)((r >> 20) % n);                    /* truncate */
        char err[512];
        Vm *vm = boot(k, n, NULL, NULL, err, sizeof(err));
        if (vm) {
            ck_assert_uint_lt(vm->cpu->gpr[R_BX], RAM);
            vm_free(vm);
        } else {
            ck_assert_msg(err[0] && !strchr(err, '\n'), "bad error message: '%s'", err);
        }
    }
}
END_TEST

static Suite *loader_suite(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("multiboot");
    tcase_add_test(tc, loader_elf_kernel_entry_state_is_multiboot);
    tcase_add_test(tc, loader_info_structure_has_memory_cmdline_and_map);
    tcase_add_test(tc, loader_elf_kernel_runs_to_debug_exit);
    tcase_add_test(tc, loader_initrd_becomes_multiboot_modules);
    tcase_add_test(tc, loader_info_after_kernel_linked_at_0x9000);
    tcase_add_test(tc, loader_module_crossing_the_hole_goes_to_1mib);
    tcase_add_test(tc, loader_long_cmdline_is_passed_whole);
    tcase_add_test(tc, loader_impossible_layout_gives_error);
    tcase_add_test(tc, loader_reset_reloads_and_zeroes_bss);
    tcase_add_test(tc, loader_aout_kludge_loads_at_load_addr);
    tcase_add_test(tc, loader_missing_or_empty_file_gives_error);
    tcase_add_test(tc, loader_no_multiboot_header_gives_error);
    tcase_add_test(tc, loader_truncated_elf_gives_error);
    tcase_add_test(tc, loader_segment_outside_ram_gives_error);
    tcase_add_test(tc, loader_unsupported_multiboot_flags_give_error);
    tcase_add_test(tc, loader_bios_not_multiple_of_4k_gives_error);
    tcase_add_loop_test(tc, loader_mutated_kernels_never_crash, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(loader_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
