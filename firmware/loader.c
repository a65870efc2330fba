/*
 * loader.c — BIOS ROM images and kernels: multiboot v1 here, Linux bzImage in linux.c.
 *
 * Multiboot v1 (Multiboot Specification 0.6.96):
 *   header: 4-byte aligned within the first 8192 bytes: magic 0x1BADB002, flags, checksum with
 *   magic + flags + checksum = 0.  Flags bit 16: the header also gives header_addr, load_addr,
 *   load_end_addr, bss_end_addr, entry_addr (the "a.out kludge"); otherwise the file is an ELF32
 *   executable whose PT_LOAD segments go to their physical addresses.
 *   machine state at entry: EAX = 0x2BADB002, EBX = physical address of the info structure,
 *   CS a 32-bit flat read/execute segment, DS/ES/FS/GS/SS flat read/write, A20 on, CR0.PG = 0,
 *   CR0.PE = 1, EFLAGS.VM = 0 and IF = 0.  GDTR/IDTR are not valid for the guest to use.
 *   info: flags bit 0 mem_lower/mem_upper (KiB), bit 2 cmdline, bit 3 modules (mods_count,
 *   mods_addr: entries of mod_start, mod_end, string, reserved), bit 6 mmap (entries of size,
 *   base_addr, length, type; size excludes itself).
 * Linux bzImages go to firmware/linux.c instead.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "firmware/loader.h"
#include "firmware/e820.h"
#include "firmware/linux.h"
#include "cpu/flags.h"
#include "cpu/seg.h"

#define MB_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_INFO_ADDR 0x9000u
#define MB_CMDLINE_ADDR 0x9800u
#define MB_MMAP_ADDR 0x9400u
#define MB_MODS_ADDR 0xa000u     /* module table (16 bytes each), then the module strings */
#define MB_MAX_MODS 32
#define MB_MAX_FILE (256u << 20)

uint8_t *loader_read_file(const char *path, size_t *len, size_t max, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s'", path);
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "'%s' is not a regular file", path);
        fclose(f);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        snprintf(err, errlen, "cannot read '%s'", path);
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    if (n <= 0 || (size_t)n > max) {
        snprintf(err, errlen, "'%s' is %s (at most %zu bytes)", path, n <= 0 ? "empty" : "too large", max);
        fclose(f);
        return NULL;
    }
    rewind(f);
    uint8_t *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        snprintf(err, errlen, "cannot read '%s'", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int loader_read_bios(Vm *vm, const char *path, char *err, size_t errlen)
{
    size_t len;
    uint8_t *rom = loader_read_file(path, &len, 16u << 20, err, errlen);
    if (!rom)
        return -1;
    if (len % 4096) {
        snprintf(err, errlen, "BIOS image '%s' is %zu bytes; it must be a multiple of 4096", path, len);
        free(rom);
        return -1;
    }
    vm->rom = rom;
    vm->rom_size = len;
    return 0;
}

/* Copies into guest RAM below 4 GiB with bounds checks; tracks the end of what was loaded. */
static int put(Vm *vm, uint64_t addr, const uint8_t *src, uint64_t len, uint64_t zero_len, uint64_t *end,
               char *err, size_t errlen)
{
    uint64_t low = e820_low_ram_end(vm->ram_size);
    uint64_t total = len > zero_len ? len : zero_len;
    if (addr >= low || total > low - addr) {
        snprintf(err, errlen, "kernel segment at 0x%llx (+0x%llx) does not fit in guest RAM",
                 (unsigned long long)addr, (unsigned long long)total);
        return -1;
    }
    memcpy(vm->ram + addr, src, len);
    if (zero_len > len)
        memset(vm->ram + addr + len, 0, zero_len - len);
    if (addr + total > *end)
        *end = addr + total;
    return 0;
}

static int load_elf(Vm *vm, const uint8_t *f, size_t len, uint32_t *entry, uint64_t *end, char *err, size_t errlen)
{
    if (len < 52 || memcmp(f, "\177ELF", 4) != 0) {
        snprintf(err, errlen, "kernel is neither an ELF file nor has a multiboot a.out header");
        return -1;
    }
    if (f[4] != 1 || f[5] != 1 || le16_get(f + 18) != 3) {
        snprintf(err, errlen, "multiboot kernel must be a 32-bit little-endian x86 ELF file");
        return -1;
    }
    uint32_t phoff = le32_get(f + 28);
    uint16_t phentsize = le16_get(f + 42), phnum = le16_get(f + 44);
    if (phentsize < 32 || phoff > len || (uint64_t)phnum * phentsize > len - phoff) {
        snprintf(err, errlen, "kernel ELF program headers are truncated");
        return -1;
    }
    int loaded = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = f + phoff + (size_t)i * phentsize;
        if (le32_get(ph) != 1)   /* PT_LOAD */
            continue;
        uint32_t off = le32_get(ph + 4), paddr = le32_get(ph + 12), filesz = le32_get(ph + 16), memsz = le32_get(ph + 20);
        if (off > len || filesz > len - off || filesz > memsz) {
            snprintf(err, errlen, "kernel ELF segment %u lies outside the file", i);
            return -1;
        }
        if (put(vm, paddr, f + off, filesz, memsz, end, err, errlen) < 0)
            return -1;
        loaded++;
    }
    if (!loaded) {
        snprintf(err, errlen, "kernel ELF has no loadable segment");
        return -1;
    }
    *entry = le32_get(f + 24);
    return 0;
}

void loader_flat_segment(Cpu *cpu, int seg, uint16_t sel, uint16_t attr)
{
    SegCache *s = &cpu->seg[seg];
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = attr;
    seg_cache_update(s);
}

static int load_multiboot_image(Vm *vm, const uint8_t *f, size_t len, uint32_t *entry, uint64_t *end,
                                char *err, size_t errlen)
{
    size_t hdr = SIZE_MAX;
    for (size_t o = 0; o + 12 <= len && o < 8192; o += 4) {
        if (le32_get(f + o) == MB_MAGIC && (uint32_t)(le32_get(f + o) + le32_get(f + o + 4) + le32_get(f + o + 8)) == 0) {
            hdr = o;
            break;
        }
    }
    if (hdr == SIZE_MAX) {
        snprintf(err, errlen, "kernel has no multiboot v1 header in its first 8 KiB and is no Linux bzImage");
        return -1;
    }
    uint32_t flags = le32_get(f + hdr + 4);
    if (flags & 0x0000fffc) {
        /* Bits 0-1 (alignment, memory info) we honour; others below 16 are requirements we lack. */
        snprintf(err, errlen, "kernel requires multiboot features softvisor lacks (flags 0x%x)", flags);
        return -1;
    }
    if (!(flags & (1u << 16)))
        return load_elf(vm, f, len, entry, end, err, errlen);
    if (hdr + 32 > len) {
        snprintf(err, errlen, "kernel's multiboot header is truncated");
        return -1;
    }
    uint32_t header_addr = le32_get(f + hdr + 12), load_addr = le32_get(f + hdr + 16);
    uint32_t load_end = le32_get(f + hdr + 20), bss_end = le32_get(f + hdr + 24);
    *entry = le32_get(f + hdr + 28);
    uint64_t file_off = hdr - (uint64_t)(header_addr - load_addr);
    uint64_t size = load_end ? (uint64_t)load_end - load_addr : len - file_off;
    if (header_addr < load_addr || file_off > len || size > len - file_off || (bss_end && bss_end < load_addr + size)) {
        snprintf(err, errlen, "kernel's multiboot load addresses are inconsistent");
        return -1;
    }
    uint64_t zero = bss_end ? (uint64_t)bss_end - load_addr : size;
    return put(vm, load_addr, f + file_off, size, zero, end, err, errlen);
}

/*
 * Multiboot modules from -initrd: a comma-separated list whose entries are "FILE[ ARGS]"; the
 * module string is the whole entry, as QEMU passes it.  Modules go page-aligned after the kernel;
 * their table and strings go to MB_MODS_ADDR.
 */
static int load_modules(Vm *vm, const char *list, uint64_t end, uint8_t *info, char *err, size_t errlen)
{
    uint8_t *tab = vm->ram + MB_MODS_ADDR;
    uint32_t str = MB_MODS_ADDR + MB_MAX_MODS * 16;
    unsigned count = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (count == MB_MAX_MODS || n == 0 || n >= 256 || str + n + 1 > MB_MODS_ADDR + 0x1000) {
            snprintf(err, errlen, "-initrd: at most %d modules, each 'FILE[ ARGS]' under 256 bytes", MB_MAX_MODS);
            return -1;
        }
        char entry[256], path[256];
        memcpy(entry, p, n);
        entry[n] = 0;
        size_t plen = strcspn(entry, " ");
        memcpy(path, entry, plen);
        path[plen] = 0;
        size_t len;
        uint8_t *data = loader_read_file(path, &len, MB_MAX_FILE, err, errlen);
        if (!data)
            return -1;
        uint64_t at = (end + 0xfff) & ~0xfffull;
        int r = put(vm, at, data, len, len, &end, err, errlen);
        free(data);
        if (r < 0)
            return -1;
        memcpy(vm->ram + str, entry, n + 1);
        le32_put(tab + 16 * count, (uint32_t)at);
        le32_put(tab + 16 * count + 4, (uint32_t)(at + len));
        le32_put(tab + 16 * count + 8, str);
        le32_put(tab + 16 * count + 12, 0);
        str += (uint32_t)n + 1;
        count++;
        p += n;
        if (*p == ',')
            p++;
    }
    le32_put(info, le32_get(info) | (1u << 3));
    le32_put(info + 20, count);
    le32_put(info + 24, MB_MODS_ADDR);
    return 0;
}

static int loader_multiboot(Vm *vm, const uint8_t *f, size_t len, const char *cmdline, const char *modules,
                            char *err, size_t errlen)
{
    uint32_t entry;
    uint64_t end = 0;
    if (load_multiboot_image(vm, f, len, &entry, &end, err, errlen) < 0)
        return -1;

    /* Info structure, memory map and command line in low memory. */
    uint64_t low = e820_low_ram_end(vm->ram_size);
    uint8_t *info = vm->ram + MB_INFO_ADDR;
    memset(info, 0, 0x1000);
    le32_put(info + 0, (1u << 0) | (1u << 2) | (1u << 6));
    le32_put(info + 4, 639);
    le32_put(info + 8, (uint32_t)((low - 0x100000) / 1024));
    const char *cl = cmdline ? cmdline : "";
    size_t cl_len = strlen(cl);
    if (cl_len > 0x7ff)
        cl_len = 0x7ff;
    memcpy(vm->ram + MB_CMDLINE_ADDR, cl, cl_len);
    vm->ram[MB_CMDLINE_ADDR + cl_len] = 0;
    le32_put(info + 16, MB_CMDLINE_ADDR);
    E820Entry map[E820_MAX];
    int nmap = e820_build(vm->ram_size, map);
    uint8_t *m = vm->ram + MB_MMAP_ADDR;
    for (int i = 0; i < nmap; i++, m += 24) {
        le32_put(m, 20);
        le64_put(m + 4, map[i].base);
        le64_put(m + 12, map[i].len);
        le32_put(m + 20, map[i].type);
    }
    le32_put(info + 44, (uint32_t)(nmap * 24));
    le32_put(info + 48, MB_MMAP_ADDR);
    if (modules && load_modules(vm, modules, end, info, err, errlen) < 0)
        return -1;

    Cpu *cpu = vm->cpu;
    cpu->cr0 |= CR0_PE;
    cpu_set_eflags(cpu, FL_FIXED1);
    loader_flat_segment(cpu, SEG_CS, 0x08, 0xc09b);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            loader_flat_segment(cpu, s, 0x10, 0xc093);
    cpu->gpr[R_AX] = MB_BOOT_MAGIC;
    cpu->gpr[R_BX] = MB_INFO_ADDR;
    cpu->rip = entry;
    cpu->cpl = 0;
    cpu_update_mode(cpu);
    return 0;
}

int loader_kernel(Vm *vm, char *err, size_t errlen)
{
    size_t len;
    uint8_t *f = loader_read_file(vm->cfg.kernel, &len, MB_MAX_FILE, err, errlen);
    if (!f)
        return -1;
    int r;
    if (linux_is_bzimage(f, len))
        r = loader_linux(vm, vm->cfg.kernel, f, len, vm->cfg.append, vm->cfg.initrd, err, errlen);
    else
        r = loader_multiboot(vm, f, len, vm->cfg.append, vm->cfg.initrd, err, errlen);
    free(f);
    if (r < 0) {
        /* Prefix the file name unless the message already names a file. */
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "%s", err);
        if (!strchr(tmp, '\''))
            snprintf(err, errlen, "'%s': %s", vm->cfg.kernel, tmp);
    }
    return r;
}
