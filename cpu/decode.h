/*
 * decode.h — decoding guest code into blocks of pre-decoded instructions, once.
 *
 * A block starts at a guest physical address and is valid for one mode key (cpu->mode_key: code
 * size, protected/v86/long mode).  It ends after an unconditional control transfer (conditional
 * branches are side exits: a taken one leaves the block), after an instruction whose
 * family asks for it (mode changes, I/O, HLT, interrupt shadows), at a 4 KiB page end, where IP
 * would wrap, or at BLOCK_MAX_INSNS.  An instruction may straddle two pages; the block then
 * remembers the second physical page and is dropped when that page is written or remapped.
 *
 * Families plug in through `xxx_select()` functions listed in decode.c: each gets the Zydis
 * result through a DecodeCtx and returns a handler, or NULL when the mnemonic is not theirs.
 */
#ifndef SOFTVISOR_DECODE_H
#define SOFTVISOR_DECODE_H

#include <Zydis/Zydis.h>

#include "cpu/insn.h"

#define BLOCK_MAX_INSNS 64

struct Block {
    uint64_t paddr;        /* guest physical address of the first byte */
    uint64_t paddr2;       /* physical page of the last byte when it lies on another page, else ~0 */
    uint64_t rip;          /* CS offset the block was decoded at (for sanity checks and traces) */
    uint64_t lin;          /* linear address it was decoded at (jump cache) */
    uint32_t bytes;        /* length of its code in bytes (CS limit check on jump-cache hits) */
    uint32_t key;          /* cpu->mode_key at decode time */
    uint32_t n;            /* instructions, not counting the terminating sentinel */
    uint32_t execs;        /* interpreted executions while the JIT is on (jit_exec) */
    uint32_t jit_gen;      /* JIT code-buffer generation jit_code belongs to (0: none) */
    uint32_t jit_user;     /* the TLB class (cpu_user) jit_code was translated for */
    const void *jit_code;  /* translated code in that generation, NULL: not translatable */
    Block *hash_next;
    Block *page_next;      /* chain of blocks whose first byte lies on the same page */
    Block *page2_next;     /* chain for blocks straddling into paddr2 */
    Insn insns[];          /* n records plus a sentinel */
};

/* What a family's selector sees.  Operand kinds: 'r' general register, 'm' memory, 'i' immediate,
 * 's' segment register, 'c' control register, 'd' debug register, 'p' far pointer, 'v' XMM
 * register, 'q' MMX register, 'f' x87 register ST(i), 'x' other.  For 'v', 'q' and 'f' the
 * Insn's r[i] holds the register number (XMM0-15, MM0-7, ST(0)-ST(7)). */
struct DecodeCtx {
    const ZydisDecodedInstruction *zi;
    const ZydisDecodedOperand *op;   /* the visible operands */
    int nops;
    char kind[4];
    const Cpu *cpu;
    bool end_block;                  /* set by a selector: end the block after this instruction */
};

/* Converts a Zydis register to our numbering (REG_NONE when not a general register). */
int decode_gpr(ZydisRegister r);
/* Zydis segment register -> SEG_*. */
int decode_sreg(ZydisRegister r);

/* Finds or decodes the block at the current CS:RIP.  May raise #PF/#GP for the fetch. */
Block *block_find(Cpu *cpu);
/* Drop all blocks (mode-independent flush, e.g. on reset). */
void block_flush_all(Cpu *cpu);
/* A guest write hit physical page `ppage` that holds decoded code. */
void block_invalidate_page(Cpu *cpu, uint64_t ppage);
/* True when physical page `ppage` holds decoded code. */
bool block_page_has_code(const Cpu *cpu, uint64_t ppage);

BlockCache *block_cache_new(void);
void block_cache_free(BlockCache *bc);

/* Family selectors (one per instruction-family file). */
typedef InsnFn (*SelectFn)(DecodeCtx *d, Insn *in);
InsnFn alu_select(DecodeCtx *d, Insn *in);
InsnFn mov_select(DecodeCtx *d, Insn *in);
InsnFn shift_select(DecodeCtx *d, Insn *in);
InsnFn muldiv_select(DecodeCtx *d, Insn *in);
InsnFn bcd_select(DecodeCtx *d, Insn *in);
InsnFn bitops_select(DecodeCtx *d, Insn *in);
InsnFn branch_select(DecodeCtx *d, Insn *in);
InsnFn far_select(DecodeCtx *d, Insn *in);
InsnFn stack_select(DecodeCtx *d, Insn *in);
InsnFn string_select(DecodeCtx *d, Insn *in);
InsnFn flagops_select(DecodeCtx *d, Insn *in);
InsnFn system_select(DecodeCtx *d, Insn *in);
InsnFn cpuid_select(DecodeCtx *d, Insn *in);
InsnFn msr_select(DecodeCtx *d, Insn *in);
InsnFn segment_select(DecodeCtx *d, Insn *in);
InsnFn io_select(DecodeCtx *d, Insn *in);
InsnFn misc_select(DecodeCtx *d, Insn *in);
InsnFn x87_select(DecodeCtx *d, Insn *in);
InsnFn mmx_select(DecodeCtx *d, Insn *in);
InsnFn sse_int_select(DecodeCtx *d, Insn *in);
InsnFn sse_fp_select(DecodeCtx *d, Insn *in);
InsnFn xsave_select(DecodeCtx *d, Insn *in);

/* Raises #UD when executed (undefined or unimplemented instructions). */
int op_ud(Cpu *cpu, const Insn *in);

#endif
