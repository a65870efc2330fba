/*
 * input.c — the VM's input injection point (DESIGN.md, time and determinism).
 *
 * Everything that enters the guest from outside (bytes on the serial ports, keys, mouse motion)
 * passes
 * through these functions, which the frontend calls between vm_run slices.  The guest sees the
 * input at the current retired-instruction count, so a run is a pure function of the initial
 * state and the list of (icount, port, byte) events: the record/replay log hooks in here.
 * Under -record (Vm.rr set) every input is logged, at the position it enters, before the device
 * sees it; a replay calls these same functions from the log with Vm.rr NULL.
 * The one host value besides input that reaches a guest, the wall clock of -rtc base=now, is
 * read here too (vm_input_host_time) and kept in the log's header.
 */
#include <time.h>

#include "vm/vm.h"
#include "vm/replay.h"
#include "devices/i8042.h"
#include "devices/piix4_pm.h"
#include "devices/uart16550.h"

static UartState *input_uart(const Vm *vm, int port)
{
    return port == 0 ? vm->com1 : port == 1 ? vm->com2 : NULL;
}

unsigned vm_serial_room(const Vm *vm, int port)
{
    UartState *u = input_uart(vm, port);
    return u ? uart_rx_room(u) : 0;
}

void vm_input_serial(Vm *vm, int port, uint8_t byte)
{
    UartState *u = input_uart(vm, port);
    if (vm->rr)
        replay_record_serial(vm->rr, vm, port, byte);
    if (u)
        uart_receive(u, byte);
}

unsigned vm_key_room(const Vm *vm)
{
    return kbc_keyboard_room(vm->kbc);
}

void vm_input_key(Vm *vm, uint8_t set2_byte)
{
    if (vm->rr)
        replay_record_key(vm->rr, vm, set2_byte);
    kbc_keyboard_input(vm->kbc, set2_byte);
}

void vm_input_mouse(Vm *vm, int dx, int dy, int dz, uint8_t buttons)
{
    if (vm->rr)
        replay_record_mouse(vm->rr, vm, dx, dy, dz, buttons);
    kbc_mouse_input(vm->kbc, dx, dy, dz, buttons);
}

void vm_input_power_button(Vm *vm)
{
    if (vm->rr)
        replay_record_power_button(vm->rr, vm);
    piix4_pm_power_button(vm->pm);
}

int64_t vm_input_host_time(void)
{
    return (int64_t)time(NULL);
}
