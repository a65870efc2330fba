/*
 * bios_cfg.h — what softvisor's PC tells a BIOS through fw_cfg (devices/fw_cfg.c): RAM size, CPU
 * counts, the E820 map and the ACPI tables with the table-loader script that places them.
 */
#ifndef SOFTVISOR_BIOS_CFG_H
#define SOFTVISOR_BIOS_CFG_H

#include <stdint.h>

#include "devices/fw_cfg.h"

/* Fills the items for a VM with ram_size bytes of RAM; -1 when out of memory or fw_cfg room. */
int bios_cfg_fill(FwCfgState *s, uint64_t ram_size);

#endif
