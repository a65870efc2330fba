/*
 * translate.h — inside the JIT: emitting the entry trampoline and translating blocks into a code
 * buffer (jit/translate.c).  The run loop's interface is jit/jit.h.
 */
#ifndef SOFTVISOR_TRANSLATE_H
#define SOFTVISOR_TRANSLATE_H

#include "cpu/decode.h"
#include "jit/codebuf.h"
#include "jit/jit.h"

/* What every block's code jumps to: where the entry trampoline runs, and the exit stubs (as
 * written, the emitter's addresses; jit.h section 3). */
typedef struct JitStubs {
    JitEntryFn entry;
    const uint8_t *exit[JIT_EXIT_COUNT];
    const uint8_t *lookup;     /* the jump-cache probe after native branches (translate.c) */
    const uint8_t *chain;      /* the same from a patch site, r10 = its rel32 field (chain.h) */
    uint32_t gen;              /* the code generation they were emitted for */
} JitStubs;

/* Emits the trampoline, the exit stubs and the lookup stub for code generation `gen`, which
 * counts its jump-cache hits and misses and the chained entries in `st` (may be NULL); false
 * when the buffer has no room for them. */
bool translate_entry(CodeBuf *cb, JitStubs *stubs, uint32_t gen, JitStats *st);

/* Translates `b`, decoded for `bits`-bit code (16: calls only), into host code whose memory
 * accesses use TLB class `user` (jit.h section 5); NULL when the buffer is full.  Returns the
 * ordinary entry, CHAIN_ENTRY_BYTES after the start of the block's code (jit/chain.h).  Adds
 * what it made to the static counters of `st` (may be NULL). */
const void *translate_block(CodeBuf *cb, const JitStubs *stubs, const Block *b, int bits, int user,
                            JitStats *st);

/* From the chain stub (jit/chain.h): the patch site whose rel32 field runs at `field` reached
 * block `to` through the jump cache, in the code of the running block (Cpu.cur_block).  Links the
 * site to `to` when chain_may_link allows, makes `to` the running block and returns its code. */
const void *jit_chain(Cpu *cpu, const Block *to, const uint8_t *field);

#endif
