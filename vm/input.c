/*
 * input.c — the VM's input injection point (DESIGN.md, time and determinism).
 *
 * Everything that enters the guest from outside (today: bytes on the serial ports) passes
 * through these functions, which the frontend calls between vm_run slices.  The guest sees the
 * input at the current retired-instruction count, so a run is a pure function of the initial
 * state and the list of (icount, port, byte) events: the record/replay log hooks in here.
 */
#include "vm/vm.h"
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
    if (u)
        uart_receive(u, byte);
}
