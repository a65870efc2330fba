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
 *   LOW_BASE    0x00004000  LOW_SIZE bytes, compared too, for 16-bit addressing (0x67) in 32-bit
 *                           code, whose addresses are below 64 KiB: mapped natively where the
 *                           host's vm.mmap_min_addr allows it (else those forms are not generated)
 * A case's memory image (DiffCase.data, MEM_SIZE bytes) is the data region followed by the low one.
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
 * The oracle for 32-bit code depends on the host, probed at start (native_probe32) and printed:
 *
 * - Native 32-bit (the usual case on x86-64 Linux: the kernel's IA-32 emulation gives every
 *   process the 32-bit user code segment, selector 0x23): the host runs the case as 32-bit code
 *   in compatibility mode (native.c: far jumps between 0x33 and 0x23), with DS = ES = SS = 0x2b,
 *   CPL 3, IOPL 0, as softvisor runs it (emu.c).  EAX..EDI (ESP included) bits 31:0, the defined
 *   flags, XMM/x87 state and memory (the stack too) are compared.  On top of everything below,
 *   32-bit cases then also get the forms that differ from 64-bit code or do not exist there
 *   (gen.c): the BCD instructions, PUSHA/POPA, INC/DEC 40..4F, PUSH/POP of registers, memory and
 *   immediates, PUSH ES/CS/SS/DS, PUSHF/POPF, CALL/RET, ENTER/LEAVE, BOUND, INTO, SALC, moffs
 *   MOV, LOOP/JCXZ with 0x67, absolute [disp32] LEA, 16-bit addressing (0x67: [BX/BP +
 *   disp16], [disp16], 2-byte moffs) into the low region where the host can map it (a line says
 *   so where it cannot), the string instructions with 0x67 (SI, DI, CX) there too, FXSAVE and
 *   FXRSTOR (32-bit forms), and loads of ES/SS/DS (POP, MOV, LES/LDS) and MOV r/m, Sreg with
 *   the selectors of Linux's user segments and a few that fault (softvisor's guest has the same
 *   GDT entries, emu.c).  INTO's #OF is a trap: RIP is the next instruction on both sides
 *   (emu.c).  XXX: still left out: FS/GS (the host's C library keeps its thread pointer in FS),
 *   LSS (it loads ESP), selectors of the host's other GDT entries (TLS, Linux's per-CPU segment
 *   0x7b: mirrored in the guest's GDT all the same, for loads by accident, emu.c), far transfers, the 16-bit [BX/BP + SI/DI] forms (the sequence writes SI and DI) and
 *   XLAT with 0x67.
 * - 64-bit code (a host that cannot run 32-bit code: a kernel without IA-32 emulation, or booted
 *   with ia32_emulation=0, or --no-native32): XXX the host runs the SAME BYTES AS 64-BIT CODE, so
 *   32-bit cases are made only of encodings that mean the same thing in both modes (gen.c lists
 *   the rules) and every case is checked to decode the same in both (diff.c); only EAX..EDI bits
 *   31:0, the defined flags and memory are compared: a 32-bit result in 64-bit code is
 *   zero-extended, 8/16-bit ones keep the upper bits, and 32-bit code has no upper half.  All
 *   the forms listed above are then excluded (the driver prints the families it leaves out).
 *
 * Both ways, what the diff suite does not reach is covered elsewhere: the 80286 conformance
 * vectors (tests/conformance, 16-bit real mode: BCD, PUSHA/POPA, stack ops, ...), the guest tests
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
#define LOW_BASE   0x4000u
#define LOW_SIZE   0x1000u
#define MEM_SIZE   (DATA_SIZE + LOW_SIZE)

/* What the host offers the generator (gen_case). */
#define HOST_RUNS32 1u      /* runs 32-bit code natively (native_probe32) */
#define HOST_LOW    2u      /* has the low region mapped (native_has_low) */

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
    int bits;                       /* 64 or 32 */
    bool native32;                  /* 32-bit case for the native 32-bit oracle; else its bytes
                                     * mean the same as 32- and 64-bit code */
    uint8_t code[SEQ_MAX];
    int len;
    DiffMark mark[MARK_MAX];
    int nmark;
    uint32_t undef_end;             /* flags undefined at the end of the sequence */
    DiffState in;
    uint8_t data[MEM_SIZE];         /* the data region, then the low region */
    uint64_t families;              /* bit set of the families used (for the report) */
} DiffCase;

/* ---- generator (gen.c) ---- */
typedef struct DiffFamily {
    const char *name;
    bool pending;                   /* excluded by default (not yet in softvisor, or no generator) */
    bool native32;                  /* in 32-bit cases only with the native 32-bit oracle (the
                                     * stack width differs, or the bytes mean something else in
                                     * 64-bit code) */
    bool only32;                    /* not in 64-bit cases (invalid in 64-bit code) */
} DiffFamily;

int gen_family_count(void);
const DiffFamily *gen_family(int i);
/* Builds case `c` from `seed`, drawing its items from the families whose bit is set in `mask`. */
/* `host`: HOST_* bits, what the native side can run (32-bit cases only). */
void gen_case(DiffCase *c, uint64_t seed, uint64_t mask, int bits, unsigned host);
/* A case of the given bytes from a plain state (all registers 0 but RSP at the stack, FPU as
 * after FNINIT, data zero), for the host probes. */
void gen_case_bytes(DiffCase *c, const uint8_t *code, int len, int bits, bool native32);
/* Undefined flags at the instruction starting at `rip` (faulting instructions). */
uint32_t gen_undef_at(const DiffCase *c, uint64_t rip);

/* ---- native runner (native.c) ---- */
typedef struct Native Native;
Native *native_new(void);
void native_free(Native *n);
/* Runs the case on the host; returns false when the harness itself failed.  `data_out` gets
 * MEM_SIZE bytes. */
bool native_run(Native *n, const DiffCase *c, DiffState *out, uint8_t *data_out);
/* Is the low region mapped (it is not where vm.mmap_min_addr is above LOW_BASE)? */
bool native_has_low(const Native *n);
/* Can this host run 32-bit code (native.c)?  Tried in a child process, which may die. */
bool native_probe32(Native *n);
/* The host's GDT descriptor for selector `sel` as this process sees it (LAR and LSL: the base
 * reads as 0), or 0 when the selector is not visible at CPL 3. */
uint64_t native_gdt_entry(uint16_t sel);
/* Linux's per-CPU segment, GDT entry 15 (GDT_ENTRY_CPUNODE, selector 0x7b): read-only expand-down
 * data, DPL 3, base 0, the limit holding the CPU number (bits 11:0) and node (above); vDSO getcpu
 * reads it with LSL. */
#define SEL_CPUNODE 0x7bu

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
/* Puts descriptor `desc` at GDT entry `index` (at most 15) of the guest, growing the GDT's limit
 * to cover it: what the host's GDT holds there (native_gdt_entry), so that a selector a case loads
 * by chance means the same on both sides. */
void emu_set_gdt_entry(Emu *e, unsigned index, uint64_t desc);
/* Runs the case in softvisor; false when it did not reach the end (step limit).  `data_out` gets
 * MEM_SIZE bytes. */
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
