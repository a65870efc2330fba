/*
 * e820.h — the BIOS memory map (ACPI spec, "System Address Map Interfaces", INT 15h E820h) that
 * softvisor's loaders hand to a kernel, built from the RAM the VM actually has.
 */
#ifndef SOFTVISOR_E820_H
#define SOFTVISOR_E820_H

#include <stdbool.h>
#include <stdint.h>

/* RAM above this guest-physical address is mapped above 4 GiB (the PCI hole starts here). */
#define E820_LOW_RAM_LIMIT 0xe0000000ull
/* Conventional memory ends where the (reserved) extended BIOS data area starts; RAM resumes at
 * 1 MiB, after the VGA window, option-ROM space, ACPI tables and BIOS area. */
#define E820_CONV_END 0x9fc00ull
#define E820_HIGH_BASE 0x100000ull

/* End of the RAM below 4 GiB for a VM with ram_size bytes of RAM. */
static inline uint64_t e820_low_ram_end(uint64_t ram_size)
{
    return ram_size < E820_LOW_RAM_LIMIT ? ram_size : E820_LOW_RAM_LIMIT;
}

/* True when [base, base + len) lies in RAM that the map reports as usable below 4 GiB: what a
 * loader may fill without overwriting the hole below 1 MiB or leaving guest RAM. */
static inline bool e820_low_ram_contains(uint64_t ram_size, uint64_t base, uint64_t len)
{
    uint64_t low = e820_low_ram_end(ram_size);
    if (base < E820_CONV_END)
        return len <= E820_CONV_END - base;
    return base >= E820_HIGH_BASE && base <= low && len <= low - base;
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
