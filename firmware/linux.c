/*
 * linux.c — the Linux x86 boot protocol, 32-bit entry (Documentation/x86/boot.rst, protocol
 * 2.06 and later).
 *
 * A bzImage is a real-mode setup part of (setup_sects + 1) sectors (setup_sects 0 means 4)
 * followed by the protected-mode kernel of syssize (0x1F4, 32 bits from protocol 2.04) 16-byte
 * paragraphs, which a loader with no BIOS calls puts at 1 MiB and enters at its 32-bit entry
 * point.  The setup header (from offset 0x1F1 to 0x202 + the byte at
 * 0x201) is copied into the "zero page" (struct boot_params), where the loader fills in:
 *   type_of_loader 0x210 (0xFF: unregistered), cmd_line_ptr 0x228, ramdisk_image 0x218 and
 *   ramdisk_size 0x21C, the E820 map (count at 0x1E8, 20-byte entries at 0x2D0), alt_mem_k
 *   0x1E0, ext_mem_k 0x002, and acpi_rsdp_addr 0x070 (protocol 2.14).
 * The initrd goes as high as initrd_addr_max (0x22C) and the end of low RAM allow, page-aligned.
 * Entry state: protected mode, paging off, interrupts off, a GDT with flat 4 GiB segments
 * __BOOT_CS = 0x10 (execute/read) and __BOOT_DS = 0x18 (read/write) loaded in CS and DS/ES/SS,
 * ESI = the zero page, EBP = EDI = EBX = 0.
 *
 * Low-memory layout used here (all inside the E820 RAM below 0x9FC00): GDT at 0x6000, zero page
 * at 0x7000, command line at 0x20000.
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/linux.h"
#include "firmware/e820.h"
#include "firmware/loader.h"
#include "cpu/flags.h"
#include "cpu/seg.h"

#define GDT_ADDR 0x6000u
#define ZERO_PAGE 0x7000u
#define CMDLINE_ADDR 0x20000u
#define CMDLINE_MAX 0x10000u      /* room between CMDLINE_ADDR and the next use of low memory */
#define KERNEL_ADDR 0x100000u
#define INITRD_MAX_FILE (1ull << 31)

bool linux_is_bzimage(const uint8_t *img, size_t len)
{
    return len >= 0x400 && le16_get(img + 0x1fe) == 0xaa55 && memcmp(img + 0x202, "HdrS", 4) == 0;
}

/* Reads the initrd straight into guest RAM at the highest page-aligned address that fits. */
static int load_initrd(Vm *vm, const char *path, uint64_t kernel_end, uint32_t addr_max, uint8_t *zp,
                       char *err, size_t errlen)
{
    size_t len;
    uint8_t *data = loader_read_file(path, &len, INITRD_MAX_FILE, err, errlen);
    if (!data)
        return -1;
    uint64_t top = e820_low_ram_end(vm->ram_size);
    if (top > (uint64_t)addr_max + 1)
        top = (uint64_t)addr_max + 1;
    if (len > top || ((top - len) & ~0xfffull) < kernel_end) {
        snprintf(err, errlen, "initrd '%s' (%zu bytes) does not fit in guest RAM above the kernel; give more -m",
                 path, len);
        free(data);
        return -1;
    }
    uint64_t addr = (top - len) & ~0xfffull;
    memcpy(vm->ram + addr, data, len);
    free(data);
    le32_put(zp + 0x218, (uint32_t)addr);
    le32_put(zp + 0x21c, (uint32_t)len);
    return 0;
}

static void write_gdt(Vm *vm)
{
    uint8_t *g = vm->ram + GDT_ADDR;
    memset(g, 0, 32);
    le64_put(g + 0x10, 0x00cf9b000000ffffull);   /* 0x10: code, base 0, limit 4 GiB, DPL 0 */
    le64_put(g + 0x18, 0x00cf93000000ffffull);   /* 0x18: data, base 0, limit 4 GiB, DPL 0 */
    Cpu *cpu = vm->cpu;
    cpu->gdtr.base = GDT_ADDR;
    cpu->gdtr.limit = 0x1f;
    cpu->cr0 |= CR0_PE;
    cpu_set_eflags(cpu, FL_FIXED1);
    loader_flat_segment(cpu, SEG_CS, 0x10, 0xc09b);
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            loader_flat_segment(cpu, s, 0x18, 0xc093);
}

int loader_linux(Vm *vm, const char *path, const uint8_t *img, size_t len, const char *cmdline,
                 const char *initrd, char *err, size_t errlen)
{
    uint16_t version = le16_get(img + 0x206);
    if (version < 0x0206) {
        snprintf(err, errlen, "Linux boot protocol %u.%02u is too old (softvisor needs 2.06 or later)",
                 version >> 8, version & 0xff);
        return -1;
    }
    if (!(img[0x211] & 0x01)) {
        snprintf(err, errlen, "kernel is a zImage (loaded low); softvisor boots only bzImage kernels");
        return -1;
    }
    size_t setup_sects = img[0x1f1] ? img[0x1f1] : 4;
    size_t pm_off = (setup_sects + 1) * 512;
    size_t hdr_end = 0x202 + img[0x201];   /* at most 0x301: inside the two sectors pm_off spans at least */
    /* A file cut short (an interrupted download) still has a valid header; booting it would run
     * into zeros somewhere in the kernel.  The file may be longer than the header says (a signed
     * kernel carries its signature after the image).  syssize 0 would mean no kernel at all: at
     * least one paragraph must follow the setup part. */
    uint32_t syssize = le32_get(img + 0x1f4);
    uint64_t want = pm_off + (uint64_t)(syssize ? syssize : 1) * 16;
    if (len < want) {
        snprintf(err, errlen, "'%s' is %zu bytes, but its setup header says %llu (boot sector, %zu setup sectors, "
                 "%u paragraphs of kernel): the file is truncated", path, len, (unsigned long long)want,
                 setup_sects, syssize);
        return -1;
    }
    uint64_t low = e820_low_ram_end(vm->ram_size);
    uint32_t init_size = version >= 0x020a ? le32_get(img + 0x260) : 0;
    size_t pm_len = len - pm_off;
    uint64_t kernel_end = KERNEL_ADDR + (pm_len > init_size ? pm_len : init_size);
    if (kernel_end > low) {
        snprintf(err, errlen, "kernel needs %llu MiB of RAM to unpack; give more -m",
                 (unsigned long long)((kernel_end + (1u << 20) - 1) >> 20));
        return -1;
    }
    memcpy(vm->ram + KERNEL_ADDR, img + pm_off, pm_len);

    uint8_t *zp = vm->ram + ZERO_PAGE;
    memset(zp, 0, 4096);
    memcpy(zp + 0x1f1, img + 0x1f1, hdr_end - 0x1f1);
    zp[0x210] = 0xff;                            /* type_of_loader: undefined loader */
    zp[0x211] &= (uint8_t)~0x80;                 /* no real-mode heap: we skip the setup code */

    const char *cl = cmdline ? cmdline : "";
    size_t cl_max = CMDLINE_MAX - 1;
    if (le32_get(img + 0x238) && le32_get(img + 0x238) < cl_max)
        cl_max = le32_get(img + 0x238);
    size_t cl_len = strlen(cl);
    if (cl_len > cl_max) {
        snprintf(err, errlen, "kernel command line is %zu bytes; this kernel takes at most %zu", cl_len, cl_max);
        return -1;
    }
    memcpy(vm->ram + CMDLINE_ADDR, cl, cl_len + 1);
    le32_put(zp + 0x228, CMDLINE_ADDR);

    if (initrd) {
        uint32_t addr_max = version >= 0x0203 ? le32_get(img + 0x22c) : 0x37ffffffu;
        if (load_initrd(vm, initrd, kernel_end, addr_max, zp, err, errlen) < 0)
            return -1;
    }

    E820Entry map[E820_MAX];
    int n = e820_build(vm->ram_size, map);
    for (int i = 0; i < n; i++) {
        uint8_t *e = zp + 0x2d0 + 20 * i;
        le64_put(e, map[i].base);
        le64_put(e + 8, map[i].len);
        le32_put(e + 16, map[i].type);
    }
    zp[0x1e8] = (uint8_t)n;
    uint64_t ext_k = (low - 0x100000) >> 10;
    le32_put(zp + 0x1e0, (uint32_t)ext_k);
    le16_put(zp + 0x002, ext_k > 0xffff ? 0xffff : (uint16_t)ext_k);
    if (vm->acpi_rsdp)
        le64_put(zp + 0x070, vm->acpi_rsdp);

    write_gdt(vm);
    Cpu *cpu = vm->cpu;
    for (int r = 0; r < 16; r++)
        cpu->gpr[r] = 0;
    cpu->gpr[R_SI] = ZERO_PAGE;
    cpu->gpr[R_SP] = ZERO_PAGE;   /* the kernel sets its own stack at once; give it a sane one */
    cpu->rip = KERNEL_ADDR;
    cpu->cpl = 0;
    cpu_update_mode(cpu);
    return 0;
}
