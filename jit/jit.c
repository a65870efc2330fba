/*
 * jit.c — the JIT as the run loop sees it: when a block is hot, translate it; when it has code
 * and may run it (jit.h section 1), enter it through the trampoline.  Also the code buffer's
 * life: a full buffer is flushed whole here, in the run loop, and a generation number retires
 * every block's code at once (a block's code is valid while Block.jit_gen == Jit.gen).
 *
 * Self-modifying code (issue 9, "Exactness"): a store into a page with blocks reaches
 * block_invalidate_page (cpu/decode.c), which drops them and sets Cpu.exit_block, so the running
 * block, translated or not, stops after the storing instruction (generated code tests exit_block
 * after every instruction that may store, as run_block does).  The dropped code stays in the
 * buffer, unreachable, until the next whole-buffer flush: nothing is freed piecemeal, so code
 * that is still running when its block is dropped keeps its bytes.  Each invalidation of a page
 * is counted here; a page invalidated JIT_SMC_HOT_PAGE times in quick succession (jit.h) stays
 * interpreted until it has been left alone for JIT_SMC_WINDOW instructions.
 *
 * Observability: the counters of -stats, -d jit (guest and host disassembly of each block) and
 * the perf map live here, so the translator only emits code.
 */
#include "jit/jit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include <capstone/capstone.h>

#include "cpu/decode.h"
#include "jit/chain.h"
#include "jit/translate.h"

#define SMC_HASH_BITS 10

/* Invalidation count of one physical page (JIT_SMC_HOT_PAGE). */
typedef struct SmcPage {
    uint64_t ppage;
    uint64_t last;         /* icount of the last invalidation */
    uint32_t count;        /* invalidations, each within JIT_SMC_WINDOW of the one before */
    struct SmcPage *next;
} SmcPage;

struct Jit {
    CodeBuf *cb;
    JitStubs stubs;
    uint32_t threshold;
    uint32_t gen;          /* bumped by every flush; starts at 1 (Block.jit_gen 0: never) */
    uint64_t max_blocks;   /* translate no more blocks than this (jit_set_max_blocks) */
    JitStats stats;
    SmcPage *smc[1u << SMC_HASH_BITS];
    FILE *disasm, *perf_map;
    csh cs_guest32, cs_guest64, cs_host;
    bool cs_ok;            /* the three Capstone handles are open */
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
    jit->max_blocks = UINT64_MAX;
    return jit;
}

void jit_free(Jit *jit)
{
    if (!jit)
        return;
    codebuf_free(jit->cb);
    for (size_t i = 0; i < (1u << SMC_HASH_BITS); i++) {
        for (SmcPage *p = jit->smc[i], *n; p; p = n) {
            n = p->next;
            free(p);
        }
    }
    if (jit->cs_ok) {
        cs_close(&jit->cs_guest32);
        cs_close(&jit->cs_guest64);
        cs_close(&jit->cs_host);
    }
    free(jit);
}

void jit_set_log(Jit *jit, FILE *disasm, FILE *perf_map)
{
    jit->disasm = disasm;
    jit->perf_map = perf_map;
    if (disasm && !jit->cs_ok) {
        if (cs_open(CS_ARCH_X86, CS_MODE_32, &jit->cs_guest32) != CS_ERR_OK)
            return;
        if (cs_open(CS_ARCH_X86, CS_MODE_64, &jit->cs_guest64) != CS_ERR_OK) {
            cs_close(&jit->cs_guest32);
            return;
        }
        if (cs_open(CS_ARCH_X86, CS_MODE_64, &jit->cs_host) != CS_ERR_OK) {
            cs_close(&jit->cs_guest32);
            cs_close(&jit->cs_guest64);
            return;
        }
        jit->cs_ok = true;
    }
}

void jit_set_max_blocks(Jit *jit, uint64_t n)
{
    jit->max_blocks = n;
}

static SmcPage **smc_slot(Jit *jit, uint64_t ppage)
{
    uint32_t h = (uint32_t)(((ppage >> 12) * 0x9e3779b97f4a7c15ull) >> (64 - SMC_HASH_BITS));
    SmcPage **pp = &jit->smc[h];
    while (*pp && (*pp)->ppage != ppage)
        pp = &(*pp)->next;
    return pp;
}

static bool page_hot(Jit *jit, uint64_t ppage, uint64_t icount)
{
    const SmcPage *p = *smc_slot(jit, ppage);
    return p && p->count >= JIT_SMC_HOT_PAGE && icount - p->last < JIT_SMC_WINDOW;
}

void jit_note_invalidate(Jit *jit, uint64_t ppage, uint64_t icount, bool translated)
{
    if (translated)
        jit->stats.smc_invalidations++;
    SmcPage **pp = smc_slot(jit, ppage & PAGE_MASK);
    if (!*pp) {
        *pp = calloc(1, sizeof(**pp));
        assert(*pp && "host out of memory counting code-page writes");
        (*pp)->ppage = ppage & PAGE_MASK;
        (*pp)->last = icount;
    }
    SmcPage *p = *pp;
    if (icount - p->last >= JIT_SMC_WINDOW)
        p->count = 0;     /* left alone long enough: new code, not self-modifying code */
    p->last = icount;
    if (++p->count == JIT_SMC_HOT_PAGE)
        jit->stats.hot_pages++;
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

static uint64_t thread_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The guest bytes of block `b`, from RAM or through the bus (MMIO, ROM). */
static size_t guest_bytes(const Cpu *cpu, const Block *b, uint8_t *buf, size_t max)
{
    size_t len = b->bytes < max ? b->bytes : max;
    for (size_t i = 0; i < len; i++) {
        uint64_t off = (b->paddr & 0xfff) + i;
        uint64_t pa = off >= PAGE_SIZE && b->paddr2 != ~0ull ? b->paddr2 + (off - PAGE_SIZE)
                                                             : (b->paddr & PAGE_MASK) + off;
        bool writable;
        uint8_t *page = cpu->bus->phys_ptr(cpu->bus_opaque, pa & PAGE_MASK, &writable);
        buf[i] = page ? page[pa & 0xfff] : (uint8_t)cpu->bus->phys_read(cpu->bus_opaque, pa, 1);
    }
    return len;
}

static void disasm_print(FILE *out, csh cs, const char *what, const uint8_t *code, size_t len, uint64_t addr)
{
    cs_insn *insn;
    size_t n = cs_disasm(cs, code, len, addr, 0, &insn);
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "  %s %016" PRIx64 ": %s %s\n", what, insn[i].address, insn[i].mnemonic, insn[i].op_str);
        done += insn[i].size;
    }
    if (n)
        cs_free(insn, n);
    if (done < len)
        fprintf(out, "  %s %016" PRIx64 ": (%zu bytes Capstone does not decode)\n", what, addr + done, len - done);
}

/* -d jit and the perf map, for a block just translated to `entry` (its ordinary entry; the
 * code starts with the chain entry before it). */
static void log_block(Jit *jit, const Cpu *cpu, const Block *b, const void *entry)
{
    size_t size = jit->cb->last;
    const uint8_t *code = (const uint8_t *)entry - CHAIN_ENTRY_BYTES;
    if (jit->perf_map) {
        fprintf(jit->perf_map, "%" PRIxPTR " %zx softvisor-jit:%" PRIx64 "\n", (uintptr_t)code, size, b->lin);
        fflush(jit->perf_map);
    }
    if (!jit->disasm)
        return;
    fprintf(jit->disasm, "jit: block %" PRIu64 " at %04x:%" PRIx64 " (linear %" PRIx64 ", physical %" PRIx64
            "), %u guest instructions, %zu bytes -> %zu host bytes at %p\n", jit->stats.translated,
            cpu->seg[SEG_CS].sel, b->rip, b->lin, b->paddr, b->n, (size_t)b->bytes, size, code);
    if (jit->cs_ok) {
        uint8_t buf[BLOCK_MAX_INSNS * 15];
        size_t len = guest_bytes(cpu, b, buf, sizeof(buf));
        disasm_print(jit->disasm, cpu->code_bits == 64 ? jit->cs_guest64 : jit->cs_guest32, "guest", buf, len,
                     b->lin);
        disasm_print(jit->disasm, jit->cs_host, "host ", code, size, (uint64_t)(uintptr_t)code);
    }
    fflush(jit->disasm);
}

/* Whether block `b` may be translated (jit.h section 1; the policies of the header). */
static bool jit_may_translate(Jit *jit, const Cpu *cpu, const Block *b)
{
    /* Real, 16-bit and v8086 code stay interpreted; the mode is part of the block's key, so this
     * holds for the block's whole life. */
    if (cpu->code_bits == 16 || cpu_vm86(cpu))
        return false;
    if (jit->stats.translated >= jit->max_blocks)
        return false;
    return !page_hot(jit, b->paddr & PAGE_MASK, cpu->icount) &&
           (b->paddr2 == ~0ull || !page_hot(jit, b->paddr2, cpu->icount));
}

static const void *jit_translate(Jit *jit, const Cpu *cpu, const Block *b)
{
    if (!jit_may_translate(jit, cpu, b)) {
        jit->stats.refused++;
        return NULL;
    }
    uint64_t t0 = thread_ns();
    const void *code = translate_block(jit->cb, &jit->stubs, b, cpu->code_bits, cpu_user(cpu), &jit->stats);
    if (!code) {
        jit_flush(jit);
        code = translate_block(jit->cb, &jit->stubs, b, cpu->code_bits, cpu_user(cpu), &jit->stats);
    }
    jit->stats.translate_ns += thread_ns() - t0;
    if (code) {
        jit->stats.translated++;
        if (jit->disasm || jit->perf_map)
            log_block(jit, cpu, b, code);
    }
    return code;
}

const void *jit_chain(Cpu *cpu, const Block *to, const uint8_t *field)
{
    Jit *jit = cpu->jit;
    const Block *from = cpu->cur_block;
    if (from && chain_may_link(from, to, jit->gen)) {
        chain_link(jit->cb, field, to);
        jit->stats.chains_linked++;
    }
    cpu->cur_block = to;
    return to->jit_code;
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
        b->jit_user = (uint32_t)cpu_user(cpu);
    }
    if (!b->jit_code)
        return -1;
    jit->stats.runs++;
    uint64_t before = cpu->icount;
    JitExit why = jit->stubs.entry(cpu, b->jit_code, max);
    jit->stats.exits[why]++;
    jit->stats.insns_run += cpu->icount - before;
    return why;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

void jit_print_stats(const Jit *jit, FILE *out, uint64_t run_ns)
{
    JitStats s = jit_stats(jit);
    uint64_t insns = s.insns_native + s.insns_called;
    fprintf(out, "softvisor: jit: %" PRIu64 " blocks translated (%" PRIu64 " guest instructions: %" PRIu64 " native, %"
            PRIu64 " handler calls; %.1f host bytes per guest instruction), %" PRIu64 " hot blocks left "
            "interpreted\n", s.translated, insns, s.insns_native, s.insns_called, ratio(s.host_bytes, insns),
            s.refused);
    /* XXX: how the instructions run in host code split into native and called ones is estimated
     * from the translated mix; counting each at run time would cost generated code an add. */
    fprintf(out, "softvisor: jit: %" PRIu64 " entries into host code; %" PRIu64 " guest instructions run in it: "
            "about %.1f%% native, %.1f%% handler calls\n", s.runs, s.insns_run,
            100.0 * ratio(s.insns_native, insns), 100.0 * ratio(s.insns_called, insns));
    if (run_ns)
        fprintf(out, "softvisor: jit: %.1f ms translating, %.2f%% of the run's host CPU time\n",
                (double)s.translate_ns / 1e6, 100.0 * ratio(s.translate_ns, run_ns));
    else
        fprintf(out, "softvisor: jit: %.1f ms translating\n", (double)s.translate_ns / 1e6);
    fprintf(out, "softvisor: jit: exits to the run loop: %" PRIu64 " jump, %" PRIu64 " budget, %" PRIu64 " end, %"
            PRIu64 " stop, %" PRIu64 " lookup\n", s.exits[JIT_EXIT_JUMP], s.exits[JIT_EXIT_BUDGET],
            s.exits[JIT_EXIT_END], s.exits[JIT_EXIT_STOP], s.exits[JIT_EXIT_LOOKUP]);
    /* Every way generated code leaves a block: a patched jump (chained), the jump-cache probe
     * (a hit goes on in host code; a miss is a lookup exit), or an exit to the run loop. */
    uint64_t transfers = s.chain_hits + s.jc_hits + s.exits[JIT_EXIT_JUMP] + s.exits[JIT_EXIT_END] +
                         s.exits[JIT_EXIT_STOP] + s.exits[JIT_EXIT_LOOKUP];
    fprintf(out, "softvisor: jit: chain hit rate %.1f%% of %" PRIu64 " block exits (%" PRIu64 " chained, %" PRIu64
            " patch sites linked), jump-cache hit rate %.1f%% (%" PRIu64 " hits, %.1f%% of block exits), %" PRIu64
            " TLB slow paths from host code\n", 100.0 * ratio(s.chain_hits, transfers), transfers, s.chain_hits,
            s.chains_linked, 100.0 * ratio(s.jc_hits, s.jc_hits + s.jc_misses), s.jc_hits,
            100.0 * ratio(s.jc_hits, transfers), s.tlb_slow);
    fprintf(out, "softvisor: jit: %" PRIu64 " SMC invalidations of translated code, %" PRIu64 " pages left "
            "interpreted after %d invalidations, %" PRIu64 " buffer flushes\n", s.smc_invalidations, s.hot_pages,
            JIT_SMC_HOT_PAGE, s.flushes);
}
