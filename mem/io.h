/*
 * io.h — the port I/O bus (64 KiB of ports).  Devices register a port range with ops; the bus
 * splits accesses wider than a device accepts.  Unassigned ports read all ones and drop writes
 * (DESIGN.md, errors), logged once per port when unimplemented-access logging is on.
 */
#ifndef SOFTVISOR_IO_H
#define SOFTVISOR_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct IoOps {
    uint32_t (*read)(void *opaque, uint16_t port, int size);
    void (*write)(void *opaque, uint16_t port, int size, uint32_t val);
    int max_size;             /* widest access the device takes (1, 2 or 4) */
} IoOps;

#define IO_MAX_RANGES 64

typedef struct IoBus {
    struct {
        uint16_t base;
        uint32_t len;
        const IoOps *ops;
        void *opaque;
    } r[IO_MAX_RANGES];
    int n;
    FILE *log;                /* where to log unassigned accesses (NULL: silent) */
    uint8_t logged[65536 / 8];
} IoBus;

void io_init(IoBus *bus);
int io_register(IoBus *bus, uint16_t base, uint32_t len, const IoOps *ops, void *opaque);
/* Removes every range registered with this ops/opaque pair (a relocatable window such as a PCI
 * function's I/O base), keeping the order of the others. */
void io_unregister(IoBus *bus, const IoOps *ops, void *opaque);
uint32_t io_in(IoBus *bus, uint16_t port, int size);
void io_out(IoBus *bus, uint16_t port, int size, uint32_t val);

#endif
