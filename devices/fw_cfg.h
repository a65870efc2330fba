/*
 * fw_cfg.h — QEMU's firmware configuration device (fw_cfg) on its x86 I/O ports: the channel
 * through which SeaBIOS learns the RAM size, the memory map, the boot order and the ACPI tables.
 * See fw_cfg.c for the interface.
 */
#ifndef SOFTVISOR_FW_CFG_H
#define SOFTVISOR_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/io.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514

/* Selector keys (QEMU docs/specs/fw_cfg.rst and hw/nvram/fw_cfg.h). */
enum {
    FW_CFG_SIGNATURE = 0x00,
    FW_CFG_ID = 0x01,
    FW_CFG_UUID = 0x02,
    FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05,
    FW_CFG_BOOT_MENU = 0x0e,
    FW_CFG_MAX_CPUS = 0x0f,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
    FW_CFG_IRQ0_OVERRIDE = 0x8002,   /* x86: IRQ 0 reaches I/O APIC input 2 */
};

#define FW_CFG_MAX_ITEMS 48
#define FW_CFG_MAX_FILES (FW_CFG_MAX_ITEMS - 8)
#define FW_CFG_FILE_NAME 56

/* The guest memory a DMA transfer reads or writes: false when [gpa, gpa + len) is not all RAM. */
typedef struct FwCfgDmaOps {
    bool (*read)(void *opaque, uint64_t gpa, void *buf, uint32_t len);
    bool (*write)(void *opaque, uint64_t gpa, const void *buf, uint32_t len);
    void *opaque;
} FwCfgDmaOps;

typedef struct FwCfgItem {
    uint16_t key;
    uint32_t len;
    uint8_t *data;            /* owned copy */
} FwCfgItem;

typedef struct FwCfgState {
    FwCfgItem item[FW_CFG_MAX_ITEMS];
    int n;
    int nfiles;
    uint16_t sel;             /* the selector register */
    uint32_t offset;          /* the data offset inside the selected item */
    uint64_t dma_addr;        /* the DMA address register (its high half as last written) */
    FwCfgDmaOps dma;
} FwCfgState;

/* Registers ports 0x510-0x51B; the signature, ID and (empty) file directory are present. */
FwCfgState *fw_cfg_new(IoBus *io, const FwCfgDmaOps *dma);
void fw_cfg_free(FwCfgState *s);
/* Selector and DMA address back to their power-on values (items stay). */
void fw_cfg_reset(FwCfgState *s);
/* Adds or replaces the item `key` with a copy of data; -1 when out of room or memory. */
int fw_cfg_add(FwCfgState *s, uint16_t key, const void *data, uint32_t len);
int fw_cfg_add_u16(FwCfgState *s, uint16_t key, uint16_t v);
int fw_cfg_add_u32(FwCfgState *s, uint16_t key, uint32_t v);
int fw_cfg_add_u64(FwCfgState *s, uint16_t key, uint64_t v);
/* Adds a named file (name shorter than 56 bytes) under the next file key and lists it in the
 * directory; -1 when out of room, the name is too long or taken. */
int fw_cfg_add_file(FwCfgState *s, const char *name, const void *data, uint32_t len);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc fw_cfg_state_desc;

#endif
