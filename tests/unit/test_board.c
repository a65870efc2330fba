/*
 * test_board.c — the board's i440FX shadow RAM (vm/board.c, PAM registers in devices/pci.c):
 * 0xC0000-0xFFFFF reads the BIOS ROM or RAM and writes RAM or nothing, per segment, and a PAM
 * change drops what the TLB and the block cache remember of the segment; fw_cfg's DMA reaches
 * RAM and writable shadow RAM only.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/fw_cfg.h"
#include "devices/pci.h"
#include "vm/board.h"
#include "vm/vm.h"

/* A VM whose 4 KiB BIOS ROM holds `stub` at offset 0x100 (0xFFFFF100 and, through the ISA alias,
 * 0xFF100) and whose RAM holds `code` at 0x7000, where the reset vector jumps: code that switches
 * the segment it runs from would pull the floor from under itself. */
static Vm *vm_with_rom(const uint8_t *code, size_t n, const uint8_t *stub, size_t m)
{
    char path[] = "/tmp/softvisor-board-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *rom = calloc(1, 4096);
    memcpy(rom + 0x100, stub, m);
    static const uint8_t reset[] = { 0xea, 0x00, 0x70, 0x00, 0x00 };   /* fff0: jmp 0:0x7000 */
    memcpy(rom + 0xff0, reset, sizeof(reset));
    ck_assert_int_eq(write(fd, rom, 4096), 4096);
    close(fd);
    free(rom);
    char err[256] = "";
    VmConfig cfg = { .ram_size = 2u << 20, .bios = path };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    unlink(path);
    ck_assert_msg(vm != NULL, "vm_new: %s", err);
    memcpy(vm->ram + 0x7000, code, n);
    return vm;
}

static void pam_write(Vm *vm, int reg, uint8_t val)
{
    pci_config_write(vm->pci, PCI_DEVFN(0, 0), reg, 1, val);
}

START_TEST(board_pam_segments_switch_between_rom_and_ram)
{
    static const uint8_t hlt[] = { 0xf4 };
    static const uint8_t stub[] = { 0x5a, 0xa5 };
    Vm *vm = vm_with_rom(hlt, sizeof(hlt), stub, sizeof(stub));
    PhysMem *pm = &vm->mem;
    vm->ram[0xff100] = 0x11;
    vm->ram[0xc0000] = 0x22;
    /* power-on: PAM 0, reads go to PCI: the ROM's alias, all ones where no ROM answers */
    ck_assert_uint_eq(phys_mem_read(pm, 0xff100, 1), 0x5a);
    ck_assert_uint_eq(phys_mem_read(pm, 0xf0000, 1), 0xff);
    ck_assert_uint_eq(phys_mem_read(pm, 0xc0000, 1), 0xff);
    phys_mem_write(pm, 0xff100, 1, 0x33);                  /* dropped */
    ck_assert_uint_eq(vm->ram[0xff100], 0x11);
    /* WE only: reads still ROM, writes reach the RAM beneath */
    pam_write(vm, 0x59, 0x20);
    phys_mem_write(pm, 0xff100, 1, 0x33);
    ck_assert_uint_eq(vm->ram[0xff100], 0x33);
    ck_assert_uint_eq(phys_mem_read(pm, 0xff100, 1), 0x5a);
    bool w;
    ck_assert_ptr_null(phys_page_ptr(pm, 0xff000, &w));   /* two backings: slow path */
    /* RE | WE: RAM */
    pam_write(vm, 0x59, 0x30);
    ck_assert_uint_eq(phys_mem_read(pm, 0xff100, 1), 0x33);
    ck_assert_ptr_eq(phys_page_ptr(pm, 0xff000, &w), vm->ram + 0xff000);
    ck_assert(w);
    /* RE only: RAM read-only */
    pam_write(vm, 0x59, 0x10);
    phys_mem_write(pm, 0xff100, 1, 0x44);
    ck_assert_uint_eq(phys_mem_read(pm, 0xff100, 1), 0x33);
    ck_assert_ptr_eq(phys_page_ptr(pm, 0xff000, &w), vm->ram + 0xff000);
    ck_assert(!w);
    /* PAM1 low nibble is 0xC0000-0xC3FFF only */
    pam_write(vm, 0x5a, 0x03);
    ck_assert_uint_eq(phys_mem_read(pm, 0xc0000, 1), 0x22);
    ck_assert_uint_eq(phys_mem_read(pm, 0xc4000, 1), 0xff);
    vm_free(vm);
}
END_TEST

START_TEST(board_pam_change_drops_decoded_rom_code)
{
    static const uint8_t code[] = {
        0xba, 0xf8, 0x0c,                   /* 00 mov dx, 0xcf8 */
        0x66, 0xb8, 0x58, 0x00, 0x00, 0x80, /* 03 mov eax, 0x80000058 */
        0x66, 0xef,                         /* 09 out dx, eax */
        0xba, 0xfd, 0x0c,                   /* 0b mov dx, 0xcfd: PAM0 */
        0xb0, 0x20,                         /* 0e mov al, 0x20: WE, reads from ROM */
        0xee,                               /* 10 out dx, al */
        0x9a, 0x00, 0xf1, 0x00, 0xf0,       /* 11 call 0xf000:0xf100 (ROM: bl = 1) */
        0x88, 0xd9,                         /* 16 mov cl, bl */
        0xb8, 0x00, 0xf0,                   /* 18 mov ax, 0xf000 */
        0x8e, 0xd8,                         /* 1b mov ds, ax */
        0xc7, 0x06, 0x00, 0xf1, 0xb3, 0x02, /* 1d mov word [0xf100], 0x02b3: RAM "mov bl, 2" */
        0xc6, 0x06, 0x02, 0xf1, 0xcb,       /* 23 mov byte [0xf102], 0xcb: "retf" */
        0x9a, 0x00, 0xf1, 0x00, 0xf0,       /* 28 call 0xf000:0xf100 (still ROM: bl = 1) */
        0x88, 0xdd,                         /* 2d mov ch, bl */
        0xb0, 0x30,                         /* 2f mov al, 0x30: RE | WE, RAM */
        0xee,                               /* 31 out dx, al */
        0x9a, 0x00, 0xf1, 0x00, 0xf0,       /* 32 call 0xf000:0xf100 (RAM: bl = 2) */
        0x88, 0xe8,                         /* 37 mov al, ch */
        0xc0, 0xe0, 0x02,                   /* 39 shl al, 2 */
        0x00, 0xc8,                         /* 3c add al, cl */
        0xc0, 0xe3, 0x04,                   /* 3e shl bl, 4 */
        0x00, 0xd8,                         /* 41 add al, bl */
        0xe6, 0xf4,                         /* 43 out 0xf4, al */
        0xf4,                               /* 45 hlt */
    };
    static const uint8_t stub[] = {
        0xb3, 0x01,                         /* 100 mov bl, 1 */
        0xcb,                               /* 102 retf */
    };
    Vm *vm = vm_with_rom(code, sizeof(code), stub, sizeof(stub));
    ck_assert_int_eq(vm_run(vm, 100000), VM_EXIT_DEBUG_EXIT);
    /* 1 + 1 * 4 + 2 * 16 = 37: the third call ran the RAM copy, not the decoded ROM block */
    ck_assert_int_eq(vm->exit_status, (37 << 1) | 1);
    vm_free(vm);
}
END_TEST

START_TEST(board_open_shadow_gives_ram_everywhere)
{
    static const uint8_t hlt[] = { 0xf4 };
    Vm *vm = vm_with_rom(hlt, sizeof(hlt), hlt, sizeof(hlt));
    board_open_shadow(vm);
    for (uint64_t a = 0xc0000; a < 0x100000; a += 0x4000) {
        phys_mem_write(&vm->mem, a, 1, 0x5c);
        ck_assert_uint_eq(vm->ram[a], 0x5c);
        ck_assert_uint_eq(phys_mem_read(&vm->mem, a, 1), 0x5c);
    }
    vm_free(vm);
}
END_TEST

/* Starts a fw_cfg DMA read of the signature item (4 bytes) to `dest`, descriptor at 0x1000; returns
 * the control word the device wrote back. */
static uint32_t fw_cfg_dma_signature(Vm *vm, uint64_t dest)
{
    uint8_t d[16] = { 0x00, 0x00, 0x00, 0x0a,     /* control: select key 0, read */
                      0, 0, 0, 4 };               /* length 4 */
    for (int i = 0; i < 8; i++)
        d[8 + i] = (uint8_t)(dest >> (56 - 8 * i));
    memcpy(vm->ram + 0x1000, d, sizeof(d));
    io_out(&vm->io, 0x514, 4, 0);
    io_out(&vm->io, 0x518, 4, 0x00100000u);       /* 0x1000, big endian */
    const uint8_t *c = vm->ram + 0x1000;
    return (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
}

START_TEST(board_fw_cfg_dma_reaches_ram_and_open_shadow_only)
{
    static const uint8_t hlt[] = { 0xf4 };
    Vm *vm = vm_with_rom(hlt, sizeof(hlt), hlt, sizeof(hlt));
    ck_assert_uint_eq(fw_cfg_dma_signature(vm, 0x2000), 0);
    ck_assert_mem_eq(vm->ram + 0x2000, "QEMU", 4);
    ck_assert_uint_eq(fw_cfg_dma_signature(vm, 0x1ffffe), 1);      /* runs off the end of RAM */
    ck_assert_uint_eq(fw_cfg_dma_signature(vm, 0xfec00000u), 1);   /* the I/O APIC: not memory */
    ck_assert_uint_eq(fw_cfg_dma_signature(vm, 0xf0000), 1);       /* PAM: writes go to PCI */
    board_open_shadow(vm);
    ck_assert_uint_eq(fw_cfg_dma_signature(vm, 0xf0000), 0);
    ck_assert_mem_eq(vm->ram + 0xf0000, "QEMU", 4);
    vm_free(vm);
}
END_TEST

START_TEST(board_fw_cfg_dma_over_decoded_code_drops_it)
{
    static const uint8_t code[] = {
        0xe8, 0xfd, 0x00,                   /* 7000 call 0x7100 (mov bl, 1) */
        0x88, 0xd9,                         /* 7003 mov cl, bl */
        0xba, 0x14, 0x05,                   /* 7005 mov dx, 0x514 */
        0x66, 0x31, 0xc0,                   /* 7008 xor eax, eax */
        0x66, 0xef,                         /* 700b out dx, eax: DMA address high = 0 */
        0xba, 0x18, 0x05,                   /* 700d mov dx, 0x518 */
        0x66, 0xb8, 0x00, 0x00, 0x10, 0x00, /* 7010 mov eax, 0x00100000: 0x1000 big endian */
        0x66, 0xef,                         /* 7016 out dx, eax: DMA "mov bl, 2" over 0x7100 */
        0xe8, 0xe5, 0x00,                   /* 7018 call 0x7100 */
        0x88, 0xd8,                         /* 701b mov al, bl */
        0xc0, 0xe0, 0x04,                   /* 701d shl al, 4 */
        0x00, 0xc8,                         /* 7020 add al, cl */
        0xe6, 0xf4,                         /* 7022 out 0xf4, al */
        0xf4,                               /* 7024 hlt */
    };
    static const uint8_t hlt[] = { 0xf4 };
    Vm *vm = vm_with_rom(code, sizeof(code), hlt, sizeof(hlt));
    static const uint8_t stub[] = { 0xb3, 0x01, 0xc3 };   /* 7100 mov bl, 1; ret */
    memcpy(vm->ram + 0x7100, stub, sizeof(stub));
    static const uint8_t patch[] = { 0xb3, 0x02 };        /* mov bl, 2 */
    ck_assert_int_eq(fw_cfg_add(vm->fw_cfg, 0x1234, patch, sizeof(patch)), 0);
    static const uint8_t desc[16] = { 0x12, 0x34, 0x00, 0x0a, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x71, 0x00 };
    memcpy(vm->ram + 0x1000, desc, sizeof(desc));
    ck_assert_int_eq(vm_run(vm, 100000), VM_EXIT_DEBUG_EXIT);
    ck_assert_int_eq(vm->exit_status, (0x21 << 1) | 1);   /* the second call ran the new bytes */
    vm_free(vm);
}
END_TEST

static Suite *board_suite(void)
{
    Suite *s = suite_create("board");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, board_pam_segments_switch_between_rom_and_ram);
    tcase_add_test(tc, board_pam_change_drops_decoded_rom_code);
    tcase_add_test(tc, board_open_shadow_gives_ram_everywhere);
    tcase_add_test(tc, board_fw_cfg_dma_reaches_ram_and_open_shadow_only);
    tcase_add_test(tc, board_fw_cfg_dma_over_decoded_code_drops_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(board_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
