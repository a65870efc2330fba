/*
 * e820.h — the BIOS memory map (ACPI spec, "System Address Map Interfaces", INT 15h E820h) that
 * softvisor's loaders hand to a kernel, built from the RAM the VM actually has.
 */
#ifndef SOFTVISOR_E820_H
#define SOFTVISOR_E820_H

#include <stdint.h>

enum { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3 };

typedef struct E820Entry {
    uint64_t base, len;
    uint32_t type;
} E820Entry;

#define E820_MAX 8

/* Fills `out` (at least E820_MAX entries) for a VM with `ram_size` bytes; returns the count. */
int e820_build(uint64_t ram_size, E820Entry *out);

#endif
