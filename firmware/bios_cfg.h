/*
 * bios_cfg.h — what softvisor's PC tells a BIOS through fw_cfg (devices/fw_cfg.c): RAM size, CPU
 * counts, the E820 map and the ACPI tables with the table-loader script that places them.
 */
#ifndef SOFTVISOR_BIOS_CFG_H
#define SOFTVISOR_BIOS_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/fw_cfg.h"

/* Fills the items for a VM with ram_size bytes of RAM; nographic: -nographic (no display at all);
 * has_vga: the board has a display adapter.  SeaBIOS's console goes to COM1 too when either says
 * no one sees a screen.  -1 when out of memory or fw_cfg room. */
int bios_cfg_fill(FwCfgState *s, uint64_t ram_size, bool nographic, bool has_vga);

#endif
