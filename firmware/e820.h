/*
 * e820.h — the BIOS memory map (ACPI spec, "System Address Map Interfaces", INT 15h E820h) that
 * softvisor's loaders hand to a kernel, built from the RAM the VM actually has.
 */
#ifndef SOFTVISOR_E820_H
#define SOFTVISOR_E820_H

#include <stdint.h>

/* RAM above this guest-physical address is mapped above 4 GiB (the PCI hole starts here). */
#define E820_LOW_RAM_LIMIT 0xe0000000ull

/* End of the RAM below 4 GiB for a VM with ram_size bytes of RAM. */
static inline uint64_t e820_low_ram_end(uint64_t ram_size)
{
    return ram_size < E820_LOW_RAM_LIMIT ? ram_size : E820_LOW_RAM_LIMIT;
}

enum { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3 };

typedef struct E820Entry {
    uint64_t base, len;
    uint32_t type;
} E820Entry;

#define E820_MAX 8

/* Fills `out` (at least E820_MAX entries) for a VM with `ram_size` bytes; returns the count. */
int e820_build(uint64_t ram_size, E820Entry *out);

#endif
