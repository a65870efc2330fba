/*
 * explain.h — the teaching views (monitor commands `explain addr|sel|fault`, and `x/i`): what
 * the hardware does with an address, a selector or the last exception, step by step, in words.
 */
#ifndef SOFTVISOR_EXPLAIN_H
#define SOFTVISOR_EXPLAIN_H

#include "debug/monitor.h"

/* `explain WHAT ARG`: WHAT is addr, sel or fault (ARG unused). */
void explain_command(Vm *vm, MonOut *out, const char *what, const char *arg);
/* Disassembles `count` instructions at `addr` (linear or physical) in the current code size. */
void explain_disasm(Vm *vm, MonOut *out, uint64_t addr, bool linear, int count);

#endif
