/*
 * loader.h — putting guest code into a fresh VM: a raw BIOS ROM, or a multiboot v1 kernel.
 */
#ifndef SOFTVISOR_LOADER_H
#define SOFTVISOR_LOADER_H

#include <stddef.h>

#include "vm/vm.h"

/* Reads a BIOS ROM image (a multiple of 4 KiB, at most 16 MiB) into vm->rom. */
int loader_read_bios(Vm *vm, const char *path, char *err, size_t errlen);
/* Loads a multiboot v1 kernel and sets the CPU to its entry state (EAX = 0x2BADB002, EBX = info). */
int loader_multiboot(Vm *vm, const char *path, const char *cmdline, char *err, size_t errlen);

#endif
