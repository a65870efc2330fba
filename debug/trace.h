/*
 * trace.h — the execution trace (-d exec, -d in_asm): one line per executed block with the
 * instruction count, CS:RIP and the general registers, optionally followed by the block's
 * disassembly (Capstone); and -d int: one line per interrupt or exception delivered (vector,
 * kind, error code, where, with the interrupted instruction disassembled) and per mode change
 * (real / protected / virtual-8086 / long, code size).  Off by default; costs one predictable
 * branch per block (and per event) when off.
 */
#ifndef SOFTVISOR_TRACE_H
#define SOFTVISOR_TRACE_H

#include <stdio.h>

#include "cpu/cpu.h"

enum { TRACE_EXEC = 1, TRACE_ASM = 2, TRACE_INT = 4 };

typedef struct Trace Trace;

Trace *trace_new(FILE *out, int what);
void trace_free(Trace *t);
/* Installs the trace hook on a CPU. */
void trace_attach(Trace *t, Cpu *cpu);

#endif
