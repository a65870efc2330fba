/*
 * test_vm_input.c — the VM's input path (vm/input.c) and idle exits (vm/vm.c): a guest that
 * halts with interrupts enabled and no deadline armed returns VM_EXIT_IDLE; a byte injected with
 * vm_input_serial raises COM1's interrupt and wakes it; a guest halted through timer events that
 * never wake it (IRQ 0 masked) still gives control back when the slice's time is used up; keys
 * injected with vm_input_key arrive at port 0x60 through the keyboard controller.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm/vm.h"

/* A VM whose 4 KiB BIOS holds `code` at its start (F000:F000) and a jump to it at the reset
 * vector. */
static Vm *vm_with_code(const uint8_t *code, size_t n)
{
    char path[] = "/tmp/softvisor-test-input-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *rom = calloc(1, 4096);
    memcpy(rom, code, n);
    static const uint8_t reset[] = { 0xe9, 0x0d, 0xf0 };   /* fff0: jmp 0xf000 */
    memcpy(rom + 0xff0, reset, sizeof(reset));
    ck_assert_int_eq(write(fd, rom, 4096), 4096);
    close(fd);
    free(rom);
    char err[256] = "";
    VmConfig cfg = { .ram_size = 2u << 20, .bios = path };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    unlink(path);
    ck_assert_msg(vm != NULL, "vm_new: %s", err);
    return vm;
}

/* 8259 master: ICW1-ICW4 with vectors 8-15 */
#define PIC_INIT 0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x08, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, \
                 0xe6, 0x21

START_TEST(vm_input_serial_wakes_idle_guest)
{
    static const uint8_t code[] = {
        0x31, 0xc0,                         /* 00 xor ax, ax */
        0x8e, 0xd8,                         /* 02 mov ds, ax */
        0x8e, 0xd0,                         /* 04 mov ss, ax */
        0xbc, 0x00, 0x70,                   /* 06 mov sp, 0x7000 */
        0xc7, 0x06, 0x30, 0x00, 0x3f, 0xf0, /* 09 mov word [0x30], 0xf03f: IRQ 4 (vector 0x0c) */
        0xc7, 0x06, 0x32, 0x00, 0x00, 0xf0, /* 0f mov word [0x32], 0xf000 */
        PIC_INIT,                           /* 15 */
        0xb0, 0xef,                         /* 25 mov al, 0xef: only IRQ 4 */
        0xe6, 0x21,                         /* 27 out 0x21, al */
        0xba, 0xfa, 0x03,                   /* 29 mov dx, 0x3fa */
        0xb0, 0x01,                         /* 2c mov al, 1: FCR, FIFOs on */
        0xee,                               /* 2e out dx, al */
        0xba, 0xfc, 0x03,                   /* 2f mov dx, 0x3fc */
        0xb0, 0x0b,                         /* 32 mov al, 0x0b: MCR DTR | RTS | OUT2 */
        0xee,                               /* 34 out dx, al */
        0xba, 0xf9, 0x03,                   /* 35 mov dx, 0x3f9 */
        0xb0, 0x01,                         /* 38 mov al, 1: IER ERBFI */
        0xee,                               /* 3a out dx, al */
        0xfb,                               /* 3b sti */
        0xf4,                               /* 3c hlt */
        0xeb, 0xfc,                         /* 3d jmp 0x3b */
        0xba, 0xf8, 0x03,                   /* 3f mov dx, 0x3f8 (the IRQ 4 handler) */
        0xec,                               /* 42 in al, dx */
        0xe6, 0xf4,                         /* 43 out 0xf4, al: exit with (al << 1) | 1 */
        0xf4,                               /* 45 hlt */
    };
    Vm *vm = vm_with_code(code, sizeof(code));
    ck_assert_uint_eq(vm_serial_room(vm, 0), 0);        /* RTS not raised yet */
    ck_assert_int_eq(vm_run(vm, 1000000), VM_EXIT_IDLE);
    uint64_t at = vm->cpu->icount;
    ck_assert_int_eq(vm_run(vm, 1000000), VM_EXIT_IDLE);  /* nothing changed: still idle */
    ck_assert_uint_eq(vm->cpu->icount, at);
    ck_assert_uint_eq(vm_serial_room(vm, 0), 16);
    ck_assert_uint_eq(vm_serial_room(vm, 1), 0);        /* COM2: never set up */
    ck_assert_uint_eq(vm_serial_room(vm, 7), 0);        /* no such port */
    vm_input_serial(vm, 7, 'x');                        /* ignored */
    vm_input_serial(vm, 0, 0x21);
    ck_assert_int_eq(vm_run(vm, 1000000), VM_EXIT_DEBUG_EXIT);
    ck_assert_int_eq(vm->exit_status, (0x21 << 1) | 1);
    vm_free(vm);
}
END_TEST

START_TEST(vm_run_halted_through_masked_timer_returns_at_budget)
{
    static const uint8_t code[] = {
        PIC_INIT,                           /* 00 */
        0xb0, 0xff,                         /* 10 mov al, 0xff: every IRQ masked */
        0xe6, 0x21,                         /* 12 out 0x21, al */
        0xb0, 0x34,                         /* 14 mov al, 0x34: counter 0, mode 2 */
        0xe6, 0x43,                         /* 16 out 0x43, al */
        0xb0, 0xe8,                         /* 18 mov al, 0xe8: 1000 ticks */
        0xe6, 0x40,                         /* 1a out 0x40, al */
        0xb0, 0x03,                         /* 1c mov al, 0x03 */
        0xe6, 0x40,                         /* 1e out 0x40, al */
        0xfb,                               /* 20 sti */
        0xf4,                               /* 21 hlt */
        0xeb, 0xfd,                         /* 22 jmp 0x21 */
    };
    Vm *vm = vm_with_code(code, sizeof(code));
    ck_assert_int_eq(vm_run(vm, 10000000), VM_EXIT_INSN_LIMIT);
    ck_assert_uint_lt(vm->cpu->icount, 100);           /* it never woke */
    ck_assert_uint_ge(clock_now(&vm->clock), 10000000 * CLOCK_NS_PER_INSN);
    ck_assert(vm->cpu->halted);
    vm_free(vm);
}
END_TEST

START_TEST(vm_input_key_reaches_port_0x60_translated)
{
    static const uint8_t code[] = { 0xf4 };   /* hlt */
    Vm *vm = vm_with_code(code, sizeof(code));
    ck_assert_uint_eq(vm_key_room(vm), 16);
    vm_input_key(vm, 0x1c);                   /* 'A' make, set 2 */
    vm_input_key(vm, 0xf0);
    vm_input_key(vm, 0x1c);                   /* 'A' break */
    ck_assert_uint_eq(io_in(&vm->io, 0x64, 1) & 0x01, 0x01);
    ck_assert_uint_eq(io_in(&vm->io, 0x60, 1), 0x1e);   /* set 1 through the 8042 */
    ck_assert_uint_eq(io_in(&vm->io, 0x60, 1), 0x9e);
    ck_assert_uint_eq(io_in(&vm->io, 0x64, 1) & 0x01, 0);
    vm_input_mouse(vm, 1, 1, 0, 0);              /* reporting is off after reset: nothing */
    ck_assert_uint_eq(io_in(&vm->io, 0x64, 1) & 0x01, 0);
    vm_free(vm);
}
END_TEST

static Suite *input_suite(void)
{
    Suite *s = suite_create("vm_input");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, vm_input_serial_wakes_idle_guest);
    tcase_add_test(tc, vm_run_halted_through_masked_timer_returns_at_budget);
    tcase_add_test(tc, vm_input_key_reaches_port_0x60_translated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(input_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
