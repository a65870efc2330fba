/*
 * test_board.c — the board's i440FX shadow RAM (vm/board.c, PAM registers in devices/pci.c):
 * 0xC0000-0xFFFFF reads the BIOS ROM or RAM and writes RAM or nothing, per segment, and a PAM
 * change drops what the TLB and the block cache remember of the segment.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static Suite *board_suite(void)
{
    Suite *s = suite_create("board");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, board_pam_segments_switch_between_rom_and_ram);
    tcase_add_test(tc, board_pam_change_drops_decoded_rom_code);
    tcase_add_test(tc, board_open_shadow_gives_ram_everywhere);
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
