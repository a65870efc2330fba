/*
 * fuzz_machine.h — a hostile-guest harness: one CPU on a small fake PC, put straight into one of
 * several execution modes with complete system tables, then run for a bounded number of
 * instructions.  Shared by the seeded robustness test (robust.c) and the libFuzzer target
 * (fuzz_cpu.c).  DESIGN.md "Isolation" and "Errors": whatever the guest does, the emulator must
 * neither crash, hang, assert nor touch host memory outside the guest's RAM.
 *
 * A case is a byte string (the libFuzzer input format, also what robust.c prints on failure):
 *   [0]       mode selector (FzMode, modulo FZ_MODES)
 *   [1]       options: bits 0-1 paging in the non-long protected modes (0/3 off, 1 2-level, 2 PAE)
 *   [2..9]    tweak seed (little endian): 0 = pristine tables, else it drives random damage to
 *             the GDT/LDT/IDT/TSS entries and page-table entries
 *   [10..13]  EFLAGS (VM, RF, VIF, VIP are forced by the mode; bit 1 forced on)
 *   [14..141] RAX..R15 (little endian, 8 bytes each)
 *   [142..]   code, at most FZ_CODE_MAX bytes, placed at linear/physical 0x10000 (CS:IP start)
 * Missing bytes read as zero.
 *
 * Guest memory map (physical = linear, FZ_RAM_SIZE bytes, malloc'ed so AddressSanitizer sees any
 * host access past its end):
 *   0x00000 IVT (every vector -> 0000:0500)   0x00500 real-mode handler: skip one byte, IRET
 *   0x01000 GDT  0x02000 IDT  0x03000 TSS (+ I/O bitmap)  0x06000 PM handlers  0x07000 LDT
 *   0x08000.. page tables   0x10000 code   0x20000 data   0x38000 stack top   0x3f000 ring-0 stack
 * Every IDT vector points to a handler that drops the error code if any, adds one to the saved
 * instruction pointer and IRETs, so random code keeps going after faults.
 * Ports: a 16550 UART at 0x3f8 and a debug console at 0xe9 (real device models); the rest float.
 */
#ifndef SOFTVISOR_TEST_FUZZ_MACHINE_H
#define SOFTVISOR_TEST_FUZZ_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

#define FZ_RAM_SIZE   (2u << 20)
#define FZ_CODE_ADDR  0x10000u
#define FZ_CODE_MAX   0x8000u
#define FZ_HDR        142u

typedef enum FzMode {
    FZ_REAL,        /* real mode */
    FZ_PM16_CPL0,   /* 16-bit protected mode */
    FZ_PM16_CPL3,
    FZ_PM32_CPL0,   /* 32-bit protected mode */
    FZ_PM32_CPL3,
    FZ_V86,         /* virtual-8086 mode under a 32-bit monitor */
    FZ_LONG_CPL0,   /* 64-bit mode, 4-level identity paging */
    FZ_LONG_CPL3,
    FZ_COMPAT_CPL3, /* compatibility mode (32-bit code in IA-32e mode) */
    FZ_MODES
} FzMode;

extern const char *const fz_mode_names[FZ_MODES];

typedef struct FzResult {
    uint64_t icount;      /* instructions retired (plus delivered faults) */
    int halts;            /* HLTs taken (each resumed after) */
    int triple_fault;     /* 1 when the CPU shut down */
    const char *error;    /* NULL, or which harness invariant the run broke */
    uint64_t state_hash;  /* FNV-1a of the general registers, RIP, EFLAGS, CPL and all RAM at the end */
} FzResult;

/* Builds the machine described by the case bytes, runs at most `budget` instructions and checks
 * the harness invariants (progress, CPL/mode sanity).  Never returns an error for guest faults. */
FzResult fz_run_case(const uint8_t *data, size_t len, uint64_t budget);
/* The same with the JIT on (jit/jit.h) at `jit_threshold` when it is >= 0; the interpreter
 * alone when it is negative.  Both tiers must give the same FzResult. */
FzResult fz_run_case_tier(const uint8_t *data, size_t len, uint64_t budget, int64_t jit_threshold);

#endif
