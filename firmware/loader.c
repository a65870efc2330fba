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
 *   Placement (3.3): the info structure and everything it points to may go anywhere in memory
 *   the kernel and modules do not occupy.
 * Layout here: the kernel where its header or ELF program headers say, then each module
 * page-aligned, then one page-aligned block holding the info structure, the memory map, the
 * module table, the command line and the module strings.  (QEMU also puts the module table and
 * command lines after the kernel, but keeps the memory map and info structure at 0x9000 and
 * 0x9500, so that they and a kernel linked there overwrite each other.)
 * Everything must lie in the RAM the E820 map reports (0-0x9FBFF, 1 MiB-top of low RAM); a
 * module or the info block that would run from conventional memory into the hole below 1 MiB
 * starts at 1 MiB instead.  What does not fit is refused, with the addresses in the message.
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
#define MB_INFO_SIZE 128         /* the 0.6.96 structure is 88 bytes; later ones add framebuffer
                                  * fields up to 116: all zero here */
#define MB_MMAP_ENTRY 24
#define MB_MOD_ENTRY 16
#define MB_MAX_MODS 32
#define MB_MAX_MOD_ARG 256       /* one -initrd entry, 'FILE[ ARGS]', with its NUL */
#define MB_PAGE 0x1000ull
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

/* Copies a kernel segment into guest RAM, which must hold it whole in the RAM the E820 map
 * reports (nothing in the hole below 1 MiB: the ACPI tables live there); tracks the end of what
 * was loaded. */
static int put(Vm *vm, uint64_t addr, const uint8_t *src, uint64_t len, uint64_t zero_len, uint64_t *end,
               char *err, size_t errlen)
{
    uint64_t total = len > zero_len ? len : zero_len;
    if (!e820_low_ram_contains(vm->ram_size, addr, total)) {
        snprintf(err, errlen, "kernel segment at 0x%llx (+0x%llx) does not fit in guest RAM (0-0x%llx and "
                 "0x%llx-0x%llx)", (unsigned long long)addr, (unsigned long long)total,
                 (unsigned long long)E820_CONV_END - 1, (unsigned long long)E820_HIGH_BASE,
                 (unsigned long long)e820_low_ram_end(vm->ram_size) - 1);
        return -1;
    }
    memcpy(vm->ram + addr, src, len);
    if (zero_len > len)
        memset(vm->ram + addr + len, 0, zero_len - len);
    if (addr + total > *end)
        *end = addr + total;
    return 0;
}

/* Guest RAM handed out upwards from the end of the kernel: `next` is the first free byte.  A
 * piece that would run from conventional memory into the hole below 1 MiB starts at 1 MiB. */
typedef struct MbPlacer {
    uint64_t next;
    uint64_t low;            /* top of RAM below 4 GiB */
} MbPlacer;

/* Finds room for `size` bytes aligned to `align` (a power of two): false when there is none. */
static bool mb_place(MbPlacer *p, uint64_t size, uint64_t align, uint64_t *at)
{
    uint64_t a = (p->next + align - 1) & ~(align - 1);
    if (a < E820_HIGH_BASE && a + size > E820_CONV_END)
        a = E820_HIGH_BASE;
    if (a > p->low || size > p->low - a)
        return false;
    p->next = a + size;
    *at = a;
    return true;
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

typedef struct MbModule {
    uint32_t start, end;
    char string[MB_MAX_MOD_ARG];
} MbModule;

/*
 * Multiboot modules from -initrd: a comma-separated list whose entries are "FILE[ ARGS]"; the
 * module string is the whole entry, as QEMU passes it.  Each module goes page-aligned after
 * what is already placed; their table and strings are written with the info block.
 */
static int load_modules(Vm *vm, const char *list, MbPlacer *pl, MbModule *mods, unsigned *count,
                        char *err, size_t errlen)
{
    const char *p = list;
    *count = 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (*count == MB_MAX_MODS || n == 0 || n >= MB_MAX_MOD_ARG) {
            snprintf(err, errlen, "-initrd: at most %d modules, each 'FILE[ ARGS]' under %d bytes", MB_MAX_MODS,
                     MB_MAX_MOD_ARG);
            return -1;
        }
        MbModule *m = &mods[*count];
        memcpy(m->string, p, n);
        m->string[n] = 0;
        char path[MB_MAX_MOD_ARG];
        size_t plen = strcspn(m->string, " ");
        memcpy(path, m->string, plen);
        path[plen] = 0;
        size_t len;
        uint8_t *data = loader_read_file(path, &len, MB_MAX_FILE, err, errlen);
        if (!data)
            return -1;
        uint64_t at;
        if (!mb_place(pl, len, MB_PAGE, &at)) {
            snprintf(err, errlen, "module '%s' (%zu bytes) does not fit in guest RAM after the kernel%s (in use "
                     "up to 0x%llx, RAM ends at 0x%llx); give more -m", path, len,
                     *count ? " and the modules before it" : "", (unsigned long long)pl->next,
                     (unsigned long long)pl->low);
            free(data);
            return -1;
        }
        memcpy(vm->ram + at, data, len);
        free(data);
        m->start = (uint32_t)at;
        m->end = (uint32_t)(at + len);
        (*count)++;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* Writes the info block and what it points to at *base; false when it does not fit. */
static bool write_info(Vm *vm, MbPlacer *pl, const char *cmdline, const MbModule *mods, unsigned count,
                       uint64_t *base_out)
{
    E820Entry map[E820_MAX];
    int nmap = e820_build(vm->ram_size, map);
    size_t cl_len = strlen(cmdline) + 1;
    uint64_t mmap_off = MB_INFO_SIZE;
    uint64_t mods_off = mmap_off + (uint64_t)nmap * MB_MMAP_ENTRY;
    uint64_t cl_off = mods_off + (uint64_t)count * MB_MOD_ENTRY;
    uint64_t size = cl_off + cl_len;
    for (unsigned i = 0; i < count; i++)
        size += strlen(mods[i].string) + 1;
    uint64_t base;
    if (!mb_place(pl, size, MB_PAGE, &base))
        return false;

    uint8_t *info = vm->ram + base;
    memset(info, 0, MB_INFO_SIZE);
    le32_put(info + 0, (1u << 0) | (1u << 2) | (1u << 6) | (count ? 1u << 3 : 0));
    le32_put(info + 4, (uint32_t)(E820_CONV_END / 1024));
    le32_put(info + 8, (uint32_t)((pl->low - E820_HIGH_BASE) / 1024));
    uint8_t *m = info + mmap_off;
    for (int i = 0; i < nmap; i++, m += MB_MMAP_ENTRY) {
        le32_put(m, MB_MMAP_ENTRY - 4);
        le64_put(m + 4, map[i].base);
        le64_put(m + 12, map[i].len);
        le32_put(m + 20, map[i].type);
    }
    le32_put(info + 44, (uint32_t)(nmap * MB_MMAP_ENTRY));
    le32_put(info + 48, (uint32_t)(base + mmap_off));
    memcpy(info + cl_off, cmdline, cl_len);
    le32_put(info + 16, (uint32_t)(base + cl_off));
    uint64_t str_off = cl_off + cl_len;
    for (unsigned i = 0; i < count; i++) {
        uint8_t *e = info + mods_off + (uint64_t)i * MB_MOD_ENTRY;
        size_t n = strlen(mods[i].string) + 1;
        memcpy(info + str_off, mods[i].string, n);
        le32_put(e, mods[i].start);
        le32_put(e + 4, mods[i].end);
        le32_put(e + 8, (uint32_t)(base + str_off));
        le32_put(e + 12, 0);
        str_off += n;
    }
    if (count) {
        le32_put(info + 20, count);
        le32_put(info + 24, (uint32_t)(base + mods_off));
    }
    *base_out = base;
    return true;
}

static int loader_multiboot(Vm *vm, const uint8_t *f, size_t len, const char *cmdline, const char *modules,
                            char *err, size_t errlen)
{
    uint32_t entry;
    uint64_t end = 0;
    if (load_multiboot_image(vm, f, len, &entry, &end, err, errlen) < 0)
        return -1;

    MbPlacer pl = { end, e820_low_ram_end(vm->ram_size) };
    MbModule *mods = calloc(MB_MAX_MODS, sizeof(*mods));
    if (!mods) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    unsigned count = 0;
    if (modules && load_modules(vm, modules, &pl, mods, &count, err, errlen) < 0) {
        free(mods);
        return -1;
    }
    uint64_t info;
    bool placed = write_info(vm, &pl, cmdline ? cmdline : "", mods, count, &info);
    free(mods);
    if (!placed) {
        snprintf(err, errlen, "no room for the multiboot information in guest RAM after the kernel%s (in use up "
                 "to 0x%llx, RAM ends at 0x%llx); give more -m or load the kernel lower",
                 count ? " and modules" : "", (unsigned long long)pl.next, (unsigned long long)pl.low);
        return -1;
    }

    Cpu *cpu = vm->cpu;
    cpu->cr0 |= CR0_PE;
    cpu_set_eflags(cpu, FL_FIXED1);
    loader_flat_segment(cpu, SEG_CS, 0x08, 0xc09b);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            loader_flat_segment(cpu, s, 0x10, 0xc093);
    cpu->gpr[R_AX] = MB_BOOT_MAGIC;
    cpu->gpr[R_BX] = info;
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
