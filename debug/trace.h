/*
 * trace.h — the execution trace (-d exec, -d in_asm): one line per executed block with the
 * instruction count, CS:RIP and the general registers, optionally followed by the block's
 * disassembly (Capstone).  Off by default; costs one predictable branch per block when off.
 */
#ifndef SOFTVISOR_TRACE_H
#define SOFTVISOR_TRACE_H

#include <stdio.h>

#include "cpu/cpu.h"

enum { TRACE_EXEC = 1, TRACE_ASM = 2 };

typedef struct Trace Trace;

Trace *trace_new(FILE *out, int what);
void trace_free(Trace *t);
/* Installs the trace hook on a CPU. */
void trace_attach(Trace *t, Cpu *cpu);

#endif
