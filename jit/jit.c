/*
 * jit.c — the JIT as the run loop sees it: when a block is hot, translate it; when it has code
 * and may run it (jit.h section 1), enter it through the trampoline.  Also the code buffer's
 * life: a full buffer is flushed whole here, in the run loop, and a generation number retires
 * every block's code at once (a block's code is valid while Block.jit_gen == Jit.gen).
 */
#include "jit/jit.h"

#include <errno.h>
#include <stdlib.h>

#include "cpu/decode.h"
#include "jit/translate.h"

struct Jit {
    CodeBuf *cb;
    JitStubs stubs;
    uint32_t threshold;
    uint32_t gen;          /* bumped by every flush; starts at 1 (Block.jit_gen 0: never) */
    JitStats stats;
};

Jit *jit_new(uint32_t threshold, size_t code_bytes)
{
    Jit *jit = calloc(1, sizeof(*jit));
    if (!jit)
        return NULL;
    jit->cb = codebuf_new(code_bytes);
    if (!jit->cb) {
        free(jit);
        return NULL;
    }
    jit->threshold = threshold;
    jit->gen = 1;
    if (!translate_entry(jit->cb, &jit->stubs, jit->gen, &jit->stats)) {
        jit_free(jit);
        errno = ENOSPC;
        return NULL;
    }
    return jit;
}

void jit_free(Jit *jit)
{
    if (!jit)
        return;
    codebuf_free(jit->cb);
    free(jit);
}

JitStats jit_stats(const Jit *jit)
{
    JitStats s = jit->stats;
    s.flushes = jit->cb->flushes;
    return s;
}

/* Empties the code buffer: only here, between blocks, when no generated code is running. */
static void jit_flush(Jit *jit)
{
    codebuf_flush(jit->cb);
    jit->gen++;
    bool ok = translate_entry(jit->cb, &jit->stubs, jit->gen, &jit->stats);
    assert(ok && "an empty code buffer holds the trampoline");
    (void)ok;
}

static const void *jit_translate(Jit *jit, const Cpu *cpu, const Block *b)
{
    /* Real, 16-bit and v8086 code stay interpreted (jit.h section 1); the mode is part of the
     * block's key, so this holds for the block's whole life. */
    if (cpu->code_bits == 16 || cpu_vm86(cpu))
        return NULL;
    const void *code = translate_block(jit->cb, &jit->stubs, b, cpu->code_bits, cpu_user(cpu), &jit->stats);
    if (!code) {
        jit_flush(jit);
        code = translate_block(jit->cb, &jit->stubs, b, cpu->code_bits, cpu_user(cpu), &jit->stats);
    }
    if (code)
        jit->stats.translated++;
    return code;
}

int jit_exec(Cpu *cpu, Block *b, uint64_t max)
{
    Jit *jit = cpu->jit;
    /* A short budget, single-stepping, a block trace or armed breakpoints: the interpreter. */
    if (b->n > max || (cpu->eflags & FL_TF) || cpu->trace_block || (cpu->dr[7] & 0xff))
        return -1;
    if (b->jit_gen != jit->gen) {
        if (b->execs < jit->threshold) {
            b->execs++;
            return -1;
        }
        b->jit_code = jit_translate(jit, cpu, b);
        b->jit_gen = jit->gen;
    }
    if (!b->jit_code)
        return -1;
    jit->stats.runs++;
    JitExit why = jit->stubs.entry(cpu, b->jit_code, max);
    jit->stats.exits[why]++;
    return why;
}
