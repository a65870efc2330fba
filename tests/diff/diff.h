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
 * Vector and FPU state: XMM0-15, MXCSR and the x87 state (the eight 80-bit registers by physical
 * number, FCW, FSW, the abridged tag word; MM0-7 are the registers' significands) are loaded from
 * the input state and compared like the GPRs: the native prologue loads them with FXRSTOR64, the
 * epilogue stores them with FXSAVE64 and then executes FNINIT and LDMXCSR 1F80 so the host's C code
 * gets its FPU back; a fault reads them from the signal frame's fpstate (the same FXSAVE layout).
 * XXX: the tag word is compared in the abridged form (empty or not): the full tag is derived from
 * the registers' contents, which are compared anyway.  FIP/FDP/FOP are not compared.
 * The guest maps these linear pages onto its own physical pages (4-level, 2-level or PAE paging
 * depending on the mode), user pages.
 *
 * Modes.  64-bit cases run as 64-bit code on both sides.  32-bit cases run in softvisor as 32-bit
 * code, alternately in IA-32e compatibility mode (long mode, CS.L=0 D=1, CPL 3) and in legacy
 * 32-bit protected mode (EFER.LME=0, paging with 2-level or PAE tables, CPL 3).
 *
 * XXX: the oracle for 32-bit code is the host running the SAME BYTES AS 64-BIT CODE, because the
 * host this runs on cannot execute 32-bit code (its kernel has IA-32 emulation off: no selector
 * 0x23, i386 binaries get ENOEXEC).  So 32-bit cases are made only of encodings that mean the
 * same thing in both modes (gen.c lists the rules), and only EAX..EDI bits 31:0, the defined
 * flags and memory are compared: a 32-bit result in 64-bit code is zero-extended, 8/16-bit ones
 * keep the upper bits, and 32-bit code has no upper half.  Excluded from 32-bit cases because
 * they differ between the modes or do not exist in 64-bit code: the BCD instructions (AAA AAS
 * AAM AAD DAA DAS), PUSHA/POPA, PUSH/POP of registers, segment registers and memory,
 * PUSHF/POPF, CALL/RET/ENTER/LEAVE and everything else that uses the stack width, INC/DEC
 * 40..4F, ARPL, BOUND, INTO, SALC, LDS/LES, far JMP/CALL, moffs MOV, 16-bit addressing (0x67),
 * the REX-only registers.  Those are covered elsewhere: the 80286 conformance vectors
 * (tests/conformance, 16-bit real mode: BCD, PUSHA/POPA, stack ops, ...), the guest tests
 * (tests/guest: mode switches, 32-bit protected-mode code, stack and far transfers) and the unit
 * tests (tests/unit: test_bcd.c, test_stack.c, test_far.c, ...).
 */
#ifndef SOFTVISOR_DIFF_H
#define SOFTVISOR_DIFF_H

#include <stdbool.h>
#include <stddef.h>
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
    uint64_t mm[8];        /* MM0-7 = the significands of the x87 physical registers 0-7 */
    uint16_t fse[8];       /* sign and exponent of x87 physical register i (bit 15 sign) */
    uint16_t fcw, fsw;     /* x87 control and status word (FSW: TOP, condition codes, ES, B) */
    uint8_t ftw;           /* x87 abridged tag: bit i = 1 when physical register i is not empty */
    uint32_t mxcsr;
    int vector;            /* exception raised at rip (-1: the sequence ran to its end) */
} DiffState;

/* Undefined-flag mask in force before the instruction at `off` (see gen.c). */
typedef struct DiffMark {
    uint16_t off;
    uint32_t undef;
} DiffMark;

typedef struct DiffCase {
    int bits;                       /* 64, or 32: bytes valid alike as 32- and 64-bit code */
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
    bool only64;                    /* not generated in 32-bit cases (stack width differs) */
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
typedef enum DiffMode {
    MODE_LONG64,        /* 64-bit code, 4-level paging */
    MODE_COMPAT32,      /* 32-bit code in IA-32e compatibility mode, 4-level paging */
    MODE_PROT32,        /* 32-bit code in legacy protected mode, 2-level paging */
    MODE_PROT32_PAE,    /* 32-bit code in legacy protected mode, PAE paging */
    MODE_COUNT
} DiffMode;

typedef struct Emu Emu;
Emu *emu_new(DiffMode mode);
void emu_free(Emu *e);
bool emu_run(Emu *e, const DiffCase *c, DiffState *out, uint8_t *data_out);
/* Runs blocks through the JIT at `threshold` from now on (diff_test --jit); false when the host
 * refused the code buffer. */
bool emu_enable_jit(Emu *e, uint32_t threshold);
/* The parts of emu_run, for runners that drive the CPU themselves (jit_lockstep.c): load the case
 * (CPU at SEQ_ADDR), and read the result back (all but `vector`). */
void emu_load(Emu *e, const DiffCase *c);
void emu_store(Emu *e, DiffState *out, uint8_t *data_out);
struct Cpu *emu_cpu(Emu *e);
const uint8_t *emu_ram(const Emu *e, size_t *size);

#endif
