/*
 * e820.c — the memory map of softvisor's PC (see vm/vm.c for where RAM is mapped).
 *
 *   0x00000000-0x0009FBFF  RAM (conventional memory)
 *   0x0009FC00-0x0009FFFF  reserved (the extended BIOS data area a BIOS would keep there)
 *   0x000A0000-0x000DFFFF  absent from the map (VGA window and option-ROM space, as on a PC)
 *   0x000E0000-0x000FFFFF  reserved (the BIOS area; the ACPI tables and the RSDP live here)
 *   0x00100000-top of low  RAM, up to 3.5 GiB
 *   3.5 GiB-4 GiB          absent (the PCI hole: I/O APIC, HPET, local APIC, BIOS ROM)
 *   0x100000000-...        RAM above the hole, when the VM has more than 3.5 GiB
 */
#include "firmware/e820.h"

int e820_build(uint64_t ram_size, E820Entry *out)
{
    uint64_t low = e820_low_ram_end(ram_size);
    int n = 0;
    out[n++] = (E820Entry){ 0, E820_CONV_END, E820_RAM };
    out[n++] = (E820Entry){ E820_CONV_END, 0xa0000 - E820_CONV_END, E820_RESERVED };
    out[n++] = (E820Entry){ 0xe0000, 0x20000, E820_RESERVED };
    if (low > E820_HIGH_BASE)
        out[n++] = (E820Entry){ E820_HIGH_BASE, low - E820_HIGH_BASE, E820_RAM };
    if (ram_size > low)
        out[n++] = (E820Entry){ 1ull << 32, ram_size - low, E820_RAM };
    return n;
}
