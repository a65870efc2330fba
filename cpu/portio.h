/*
 * portio.h — the I/O permission check shared by IN/OUT and INS/OUTS.
 */
#ifndef SOFTVISOR_PORTIO_H
#define SOFTVISOR_PORTIO_H

#include "cpu/cpu.h"

/* Raises #GP(0) unless the current privilege may access ports port..port+size-1. */
void io_check_permission(Cpu *cpu, uint16_t port, int size);

#endif
