/*
 * diff.h — the differential harness: random user-mode instruction sequences run natively on the
 * host CPU and in softvisor's core from the same state, then compared.
 *
 * Address layout (identical on the host and in the guest, all below 4 GiB):
 *   CODE_BASE   0x10000000  native prologue (host only)
 *   SEQ_ADDR    0x10001000  the generated sequence; the native epilogue follows it directly, the
 *                           guest has UD2 padding there and the emulator stops when RIP reaches it
 *   SCRATCH     0x10008000  host only: saved host RSP, the runner's context, input/output states
 *   DATA_BASE   0x20000000  DATA_SIZE bytes compared after every case: memory operands point into
 *                           [DATA_BASE, DATA_BASE + 0x2000), the stack lives above (RSP starts at
 *                           DATA_BASE + STACK_OFF)
 * Vector state: XMM0-15 and MM0-7 are loaded from the input state and compared like the GPRs (the
 * native prologue loads them with MOVDQU/MOVQ, the epilogue stores them and executes EMMS).
 * The guest maps these linear pages 1:1 onto its own physical pages with 4-level paging, user pages.
 */
#ifndef SOFTVISOR_DIFF_H
#define SOFTVISOR_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#define CODE_BASE  0x10000000u
#define CODE_SIZE  0x10000u
#define SEQ_ADDR   0x10001000u
#define SEQ_MAX    1024
#define SCRATCH    0x10008000u
#define DATA_BASE  0x20000000u
#define DATA_SIZE  0x4000u
#define STACK_OFF  0x3800u

#define MARK_MAX   96

/* Architectural result of running one case. */
typedef struct DiffState {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t flags;
    uint64_t xmm[16][2];   /* XMM0-15 (low, high quadword) */
    uint64_t mm[8];        /* MM0-7 */
    int vector;            /* exception raised at rip (-1: the sequence ran to its end) */
} DiffState;

/* Undefined-flag mask in force before the instruction at `off` (see gen.c). */
typedef struct DiffMark {
    uint16_t off;
    uint32_t undef;
} DiffMark;

typedef struct DiffCase {
    int bits;                       /* 64 (32: not runnable natively on every host, see native.c) */
    uint8_t code[SEQ_MAX];
    int len;
    DiffMark mark[MARK_MAX];
    int nmark;
    uint32_t undef_end;             /* flags undefined at the end of the sequence */
    DiffState in;
    uint8_t data[DATA_SIZE];
    uint64_t families;              /* bit set of the families used (for the report) */
} DiffCase;

/* ---- generator (gen.c) ---- */
typedef struct DiffFamily {
    const char *name;
    bool pending;                   /* excluded by default (not yet in softvisor, or no generator) */
} DiffFamily;

int gen_family_count(void);
const DiffFamily *gen_family(int i);
/* Builds case `c` from `seed`, drawing its items from the families whose bit is set in `mask`. */
void gen_case(DiffCase *c, uint64_t seed, uint64_t mask, int bits);
/* Undefined flags at the instruction starting at `rip` (faulting instructions). */
uint32_t gen_undef_at(const DiffCase *c, uint64_t rip);

/* ---- native runner (native.c) ---- */
typedef struct Native Native;
Native *native_new(void);
void native_free(Native *n);
/* Runs the case on the host; returns false when the harness itself failed. */
bool native_run(Native *n, const DiffCase *c, DiffState *out, uint8_t *data_out);

/* ---- emulator runner (emu.c) ---- */
typedef struct Emu Emu;
Emu *emu_new(void);
void emu_free(Emu *e);
bool emu_run(Emu *e, const DiffCase *c, DiffState *out, uint8_t *data_out);

#endif
