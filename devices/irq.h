/*
 * irq.h — an interrupt request line as a device sees it.
 *
 * A device raises and lowers its output through an IrqLine that the board file fills in; it never
 * knows which controller (8259 PIC, I/O APIC, or both) is on the other end.  Level 1 = asserted.
 * Edge-triggered inputs see a rising edge when the level goes 0 -> 1; `irq_pulse` gives one.
 */
#ifndef SOFTVISOR_IRQ_H
#define SOFTVISOR_IRQ_H

typedef void (*IrqFn)(void *opaque, int line, int level);

typedef struct IrqLine {
    IrqFn fn;                 /* NULL: not connected */
    void *opaque;
    int line;
} IrqLine;

static inline void irq_set(const IrqLine *l, int level)
{
    if (l->fn)
        l->fn(l->opaque, l->line, level);
}

static inline void irq_pulse(const IrqLine *l)
{
    irq_set(l, 1);
    irq_set(l, 0);
}

#endif
