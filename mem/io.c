/*
 * io.c — port I/O dispatch (see io.h).
 */
#include <string.h>

#include "mem/io.h"

void io_init(IoBus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

int io_register(IoBus *bus, uint16_t base, uint32_t len, const IoOps *ops, void *opaque)
{
    if (bus->n >= IO_MAX_RANGES || len == 0 || base + len > 0x10000)
        return -1;
    bus->r[bus->n].base = base;
    bus->r[bus->n].len = len;
    bus->r[bus->n].ops = ops;
    bus->r[bus->n].opaque = opaque;
    bus->n++;
    return 0;
}

void io_unregister(IoBus *bus, const IoOps *ops, void *opaque)
{
    int k = 0;
    for (int i = 0; i < bus->n; i++)
        if (bus->r[i].ops != ops || bus->r[i].opaque != opaque)
            bus->r[k++] = bus->r[i];
    bus->n = k;
}

static int find(const IoBus *bus, uint16_t port)
{
    for (int i = bus->n - 1; i >= 0; i--)
        if ((uint32_t)(port - bus->r[i].base) < bus->r[i].len && port >= bus->r[i].base)
            return i;
    return -1;
}

static void log_once(IoBus *bus, uint16_t port, const char *what)
{
    if (!bus->log || (bus->logged[port >> 3] & (1u << (port & 7))))
        return;
    bus->logged[port >> 3] |= (uint8_t)(1u << (port & 7));
    fprintf(bus->log, "softvisor: guest %s unassigned port 0x%04x\n", what, port);
}

static uint32_t in1(IoBus *bus, uint16_t port, int size)
{
    int i = find(bus, port);
    if (i < 0) {
        log_once(bus, port, "read");
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    const IoOps *o = bus->r[i].ops;
    if (size <= o->max_size)
        return o->read(bus->r[i].opaque, port, size);
    uint32_t v = 0;
    for (int k = 0; k < size; k += o->max_size)
        v |= in1(bus, (uint16_t)(port + k), o->max_size) << (8 * k);
    return v;
}

uint32_t io_in(IoBus *bus, uint16_t port, int size)
{
    return in1(bus, port, size);
}

void io_out(IoBus *bus, uint16_t port, int size, uint32_t val)
{
    int i = find(bus, port);
    if (i < 0) {
        log_once(bus, port, "wrote");
        return;
    }
    const IoOps *o = bus->r[i].ops;
    if (size <= o->max_size) {
        o->write(bus->r[i].opaque, port, size, val);
        return;
    }
    for (int k = 0; k < size; k += o->max_size)
        io_out(bus, (uint16_t)(port + k), o->max_size, val >> (8 * k));
}
