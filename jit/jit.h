/*
 * jit.h — the contract between the JIT's generated code, the run loop and the interpreter
 * (STYLE rule 14).  Everything generated code may assume, and everything it must leave behind,
 * is written here; jit/emit.h encodes instructions, jit/codebuf.h holds the code.
 *
 * Status (docs/internals.md section 12): the emitter, the code buffer, the entry trampoline and
 * the translator (jit/translate.c) exist, on by default (`-jit off` turns them off).  The translator
 * emits native code for the hot integer core of 32- and 64-bit code (section 1) with the inline
 * TLB, flag liveness, cached guest registers, internal back-edges, patched direct chains and
 * transfers between blocks through the jump cache; every other instruction is a call to its
 * interpreter handler.  Where today's code takes a simpler path than the spec, the section says
 * so (XXX).
 *
 * 1. Unit of translation
 *    The interpreter's decoded Block (cpu/decode.h), unchanged: it ends at unconditional control
 *    transfers, at instructions whose family ends a block (I/O, mode changes, HLT, interrupt
 *    shadows), at page ends and after BLOCK_MAX_INSNS; a taken conditional branch is a side exit.
 *    A block is translated once it has run jit_threshold times; the decision depends only on
 *    execution counts, never on host time, so a run stays deterministic.  Native code is made
 *    only for 64-bit code and flat 32-bit protected mode (CS, DS, ES, SS base 0 and limit 4 GiB);
 *    handler calls are made for any 32- and 64-bit code; 16-bit, real-mode and v8086 blocks
 *    stay interpreted.
 *    A 32-bit block is translated whatever its segments; it checks at entry what its native
 *    instructions assume (CS limit 4 GiB when it has native branches; base 0, offsets
 *    0..4 GiB - 1, read and write allowed for each segment its native accesses use, SS.B for
 *    native stack operations; in 32- and 64-bit code the TLB class, from CPL) and leaves
 *    through JIT_EXIT_BUDGET when one fails, so that the interpreter runs it.  A segment load in
 *    the middle of a block (MOV Sreg, POP Sreg, LxS do not end it) makes the later 32-bit
 *    accesses handler calls.  In 64-bit code FS/GS bases are read from the Cpu at each access.
 *    Nothing is translated or entered while EFLAGS.TF is set, an interrupt
 *    shadow is pending, a block trace (Cpu.trace_block) is on or a debug register breakpoint is
 *    enabled (DR7 L/G bits): those need the interpreter's one instruction at a time behaviour.
 *    Translated code is entered only when the whole block fits in the remaining budget.
 *
 * 2. Host registers inside generated code (System V AMD64 host)
 *      rbp        Cpu *: every guest register not cached is the memory operand
 *                 [rbp + JIT_OFF_GPR(n)]; other Cpu fields likewise [rbp + offsetof(Cpu, f)].
 *      r15        remaining instruction budget (limit - icount), unsigned.  Native code
 *                 decrements it by the number of retired guest instructions (section 3 says what
 *                 call-threaded code does); checked at block entry and on every
 *                 back-edge (`cmp r15, n; jb exit_budget`) so that a chained loop returns to the
 *                 run loop on time and the CPU stops at an exact instruction count.  A budget
 *                 smaller than the block finishes in the interpreter (run_block with max = r15).
 *      rbx, r12, r13, r14
 *                 cache up to four guest registers chosen per block (the most used ones).  Loaded
 *                 at block entry, written back to Cpu.gpr at every exit and before any call that
 *                 may read or write guest registers or fault (interpreter handlers, slow paths),
 *                 and reloaded after a call that may have written them.  The sync code lives in
 *                 out-of-line stubs, not on the hot path.
 *                 As written: rbx, r13, r14 and (in 64-bit code) r12 cache the guest
 *                 registers native instructions of the block use most (at least twice, a use
 *                 before a side exit or inside the block's own loop counting more; none whose
 *                 AH..BH a native instruction names).  A 64-bit block is entered only at its
 *                 own RIP, which is its linear address (cpu_code_lin ignores the CS base, and
 *                 block_lookup finds 64-bit blocks by linear address, not only physical), so
 *                 every RIP value it stores is a constant; in 32-bit code r12 holds the RIP it
 *                 was entered at (Cpu.rip), and every RIP value is an lea from it.  The
 *                 write-back before handler calls is inline on the main line (a few movs), the
 *                 one of slow paths and exits in their out-of-line code.
 *      rax, rcx, rdx, rsi, rdi, r8-r11
 *                 scratch within one guest instruction; clobbered by every call.  r11 is the
 *                 emitter's own scratch for calls out of rel32 reach (emit_call) and is never live
 *                 across an emitted instruction.
 *      rsp        the host stack of the entry frame; 16-byte aligned at every call site.  The frame
 *                 holds the saved callee-saved registers and JitFrame (below).
 *      EFLAGS     the guest's arithmetic flags while a block runs (same ISA: ADD is ADD); see 4.
 *                 DF stays clear (ABI); guest DF lives in Cpu.eflags.
 *    The host x87 control word and MXCSR are the ABI defaults in generated code, as the
 *    interpreter's host-FPU stubs (cpu/x87_host.c, cpu/sse_fp_host.c) expect.
 *
 * 3. Entering and leaving
 *    A code buffer starts with an entry trampoline with the C type JitEntryFn:
 *        JitExit entry(Cpu *cpu, const void *code, uint64_t budget);
 *    It pushes rbx, rbp, r12-r15, reserves the JitFrame, sets rbp = cpu, r15 = budget, stores
 *    `limit = cpu->icount + budget` in the frame and jumps to `code`.  Every exit jumps to one of
 *    the shared exit stubs after the trampoline, which put the JitExit reason in eax and run the
 *    shared epilogue: restore the callee-saved registers, return eax.
 *    Cpu.icount is exact at every exit and before every call.  XXX: simpler than r15 alone:
 *    handler calls increment Cpu.icount after they return (as run_block does); native
 *    instructions are counted at translation and added to Cpu.icount in one `add` before the
 *    next call, exit or slow path (the slow path subtracts it again when it goes back to the
 *    main line).  r15 is compared with the block's length at entry and decremented by the
 *    block's retired instructions only where generated code goes on to another block (section
 *    6), so every block entered, from the run loop or from another block, fits in the budget.
 *
 *    At every exit and before every call out of generated code, the Cpu holds the exact guest
 *    state the interpreter would hold at that instruction boundary:
 *      - Cpu.gpr[0..15]: all guest registers (cached ones written back);
 *      - Cpu.rip: the offset of the next instruction to run (for a call: of the instruction the
 *        callee implements, as the interpreter's handler contract says);
 *      - Cpu.icount: retired instructions, as above;
 *      - flags: every arithmetic flag is live at every exit.  They are stored in the lazy form of
 *        cpu/flags.h (cc_op + cc_dst/cc_src/cc_src2, or CC_OP_EFLAGS with the bits in Cpu.eflags),
 *        chosen freely, as long as cc_flags(cpu) yields exactly what the interpreter yields,
 *        including the bits the SDM leaves undefined (flags.h states the interpreter's choice,
 *        e.g. AF = 0 after logic ops, OF of multi-bit shifts).  Where the host's undefined bits
 *        differ from that choice, the JIT records the operation instead of the host EFLAGS.  The
 *        other EFLAGS bits (DF, IF, IOPL, AC, ...) are never cached: they live in Cpu.eflags.
 *    Segment registers, control registers, MSRs, FPU/SSE state are never cached either.
 *
 *    A fault inside generated code leaves through cpu_raise() (longjmp to cpu_run) like any
 *    interpreter fault, after the state above has been written: the stub on the fault path syncs
 *    it first, and interpreter handlers are called only with a synced state.  The longjmp restores
 *    the callee-saved registers of cpu_run's frame from its jmp_buf, so leaving generated code
 *    that way needs no unwinding of the entry frame.
 *
 * 4. Flags in a block
 *    Host EFLAGS are the guest flags between two guest instructions of a block.  A backward
 *    liveness pass over the block decides which instruction's flags must survive to where they
 *    are read; all flags are live at every exit (side exits and the block end), and at every call
 *    out of generated code, since a handler may read any of them.
 *    The rule at exits, as written: a native flag producer whose flags are live stores the lazy
 *    form itself (cc_op + its operands: the interpreter's own record, so every undefined bit
 *    is the interpreter's), never the host EFLAGS.  Native instructions that may fault (every
 *    memory access) count as readers, so the lazy form is exact before them.  Inside the block
 *    the translator knows which host flags are the guest's (CF; ZF SF PF OF; AF): Jcc, SETcc,
 *    CMOVcc, ADC/SBB/INC/DEC use the host flags when they are, else ask the lazy form
 *    (cc_cond(), cc_cf()).  IMUL keeps only CF, multi-bit shifts not OF (their undefined host
 *    bits differ from the interpreter's); rotates write CC_OP_EFLAGS with the old SF ZF AF PF.
 *
 * 5. Memory accesses (inline softmmu TLB, mem/tlb.h)
 *    The TLB entry for linear address A and privilege class u (0 supervisor, 1 user; the class is
 *    fixed per translation, part of its key) is at
 *        rbp + JIT_OFF_TLB + u * JIT_TLB_CLASS_BYTES + ((A >> 12) & (TLB_SIZE - 1)) * 32
 *    with the fields at the offsets asserted below.  The inline sequence for an access of s bytes:
 *        mov  t, A ; shr t, 12 - 5 ; and t, (TLB_SIZE - 1) << 5          index * 32
 *        lea  l, [A + s - 1] ; and l, ~0xfff                             page of the last byte
 *        cmp  l, [rbp + t + JIT_OFF_TLB + u * JIT_TLB_CLASS_BYTES + tag]
 *        jne  slow                                                       miss or page crossing
 *        mov  t, [rbp + t + JIT_OFF_TLB + u * JIT_TLB_CLASS_BYTES + 24]   addend
 *        access [t + A]                                                  the host address
 *    Comparing the page of the *last* byte with the tag of the entry indexed by the *first* byte
 *    catches a page-crossing access in the same compare (the next page has another index), and
 *    in 64-bit code a non-canonical one (tags are canonical pages of the entry's own index).  In
 *    32-bit code A is zero-extended, so an access that wraps at 4 GiB fails the compare too.  MMIO,
 *    ROM and code pages have no read/write tag (tlb.h), so they always reach the slow stub, which
 *    syncs state and calls tlb_slow_read/tlb_slow_write.
 *    As written (translate.c): A in rsi, t = rdi, l = r8; on a hit rsi becomes the host address.
 *    The slow stub syncs Cpu.rip and Cpu.icount and calls the instruction's interpreter handler,
 *    which does the whole instruction through cpu_read/cpu_write (segment checks, the slow
 *    path, faults); when the handler set exit_block (a store into a page with code, a device)
 *    the block leaves with JIT_EXIT_STOP after the instruction, else the stub restores what the
 *    main line expects (Cpu.icount, Cpu.rip, the host flags from the lazy form) and goes back.
 *
 * 6. Exits (JitExit) and what the run loop does with them — below (cpu/exec.c: after
 *    JIT_EXIT_END and JIT_EXIT_STOP it wraps RIP as run_block does; after JIT_EXIT_BUDGET the
 *    interpreter runs the block at Cpu.rip with the budget left, which is the block it entered
 *    unless generated code went on to others).  Chaining (a patched jmp to the
 *    next block) is allowed only to a block that starts on the same guest page and does not
 *    straddle two pages; indirect jumps probe Tlb.jc inline; a jump to the block's own start is an
 *    internal back-edge with a budget check.
 *    As written: every native transfer (taken Jcc, JMP rel, CALL rel, RET, JMP r/m, the
 *    fall-through after a native last instruction, or after a last handler call that returned
 *    INSN_NEXT: the decoder ends blocks after system instructions such as RDTSC, and in 32-bit
 *    code only in blocks that check the flat CS anyway) stores Cpu.rip and Cpu.icount and subtracts
 *    the block's retired instructions from r15.  A jump back to the block's own start is then an
 *    internal back-edge (cmp r15, n; leaves with JIT_EXIT_JUMP when short).  A transfer to a
 *    target known at translation that lies on the block's first guest page (and is not truncated
 *    to 16 bits) ends in a patch site, a `jmp rel32` (jit/chain.h).  An indirect transfer (RET,
 *    JMP r/m) probes Tlb.jc inline (chain_emit_probe: the block's own mode key and TLB class, so
 *    its own indirect jump for the host's predictor) and enters the block found; on a miss, and
 *    for every other transfer and a site not yet patched, it jumps to the shared lookup stub,
 *    which probes Tlb.jc (linear address, mode key | user << 31) and enters the found block's
 *    code when it was translated in this code generation, else leaves with JIT_EXIT_LOOKUP (a
 *    block entered that does not fit in r15 leaves the same way from its budget check, before
 *    anything of it ran).  When the stub came from
 *    a patch site and found a block, jit_chain() patches the site (through the RW view) to jump
 *    straight to that block's chain entry when chain_may_link() allows: the target starts and
 *    ends on the source's first physical page, has the source's mode key, and both are of this
 *    code generation.  A chain entry checks that the TLB holds the block's code page (a
 *    constant: a block runs only at its own linear address, cpu_code_lin), as block_find does (else JIT_EXIT_LOOKUP: the run loop's block_find then walks as under the
 *    interpreter; an internal back-edge checks the same; jit/chain.h says why), sets
 *    Cpu.cur_block and goes on to the block's ordinary entry, so a chained jump keeps every check of the target: the budget (cmp r15, n: short, it
 *    leaves with JIT_EXIT_LOOKUP, Cpu.rip the target, as when the stub finds no room) and the
 *    entry checks of section 1 (TLB class from CPL, flat segments, flat CS; a failure leaves with
 *    JIT_EXIT_BUDGET and the interpreter runs the block).  So a patched jump assumes only what
 *    never changes while its source block runs: the mode key (CS.D/L, protected, v8086, long
 *    mode), and that the target's guest bytes are the ones translated.
 *    Why nothing is ever unchained:
 *      - the target of a site lies on its source block's first page P, and the source runs only
 *        where its linear page maps to P (it was found through the TLB or the jump cache for
 *        that page, or reached by a same-page jump), so the site's target is on P whatever
 *        CR3, the TLB or CS.base say; every instruction that changes translations (MOV CR,
 *        INVLPG, WRMSR, a task switch) ends its block with INSN_END or INSN_JUMP, which leave
 *        to the run loop, so no site runs after a translation change in its own block;
 *      - a block is freed only by block_invalidate_page of a page it touches and by
 *        block_flush_all; the target touches P only, so whatever frees it frees every block
 *        starting on P, every source of a patched jump into it among them.  Freed blocks are
 *        never entered again (the jump cache is dropped with them; no live block's code jumps
 *        to them), and a source that frees its own page stops after the storing instruction
 *        (Cpu.exit_block, tested after every instruction that may store) before its exit;
 *      - a code buffer flush retires all code at once (Block.jit_gen), patched sites included;
 *        a block's code is made once per generation, so a site never points at stale code of
 *        a live block;
 *      - a mode change ends the block (JIT_EXIT_END/STOP), and a block is only entered under
 *        its own mode key, so its patched jumps only lead to blocks of the current mode.
 *    A guest that changed the page tables of its code without INVLPG keeps running the old
 *    translation of that page until its TLB entry goes (as on hardware), in both tiers alike.
 *    Between chained blocks the run loop's checks are skipped: what they look at (interrupt
 *    window, pending events, TF, breakpoints, mode) only changes through instructions that end
 *    the block with JIT_EXIT_END/STOP or jump through a handler, and the budget check at every
 *    entry and back-edge returns to the run loop at the next deadline.
 *
 * 7. Code buffer (jit/codebuf.h): one memfd mapped twice, RW for the emitter and RX for running;
 *    never writable and executable at once; flushed whole, from the run loop only.
 */
#ifndef SOFTVISOR_JIT_H
#define SOFTVISOR_JIT_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "jit/emit.h"
#include "mem/tlb.h"

/* Why generated code returned to the run loop.  Every exit leaves the state of section 3. */
typedef enum JitExit {
    JIT_EXIT_JUMP,     /* the block ended (or a side exit was taken), or a back-edge found r15
                          short of another iteration: Cpu.rip is the next insn */
    JIT_EXIT_BUDGET,   /* an entry check failed (section 1): nothing of that block ran */
    JIT_EXIT_END,      /* an instruction ended the block (INSN_END: mode change, I/O, HLT,
                          interrupt shadow): the run loop must look at interrupts and mode */
    JIT_EXIT_STOP,     /* Cpu.exit_block was set by a slow path (SMC into this block, a device
                          deadline moved): Cpu.rip is the instruction after the one that set it */
    JIT_EXIT_LOOKUP,   /* a native transfer missed the jump-cache probe, or its target (found,
                          or reached by a patched jump) did not fit in r15 (section 6): Cpu.rip
                          is the target, already checked and wrapped */
} JitExit;

/* The entry trampoline at the start of each code buffer (section 3). */
typedef JitExit (*JitEntryFn)(Cpu *cpu, const void *code, uint64_t budget);

/* The part of the entry frame generated code addresses as [rsp + offsetof(JitFrame, f)]. */
typedef struct JitFrame {
    uint64_t limit;    /* icount at entry + budget: icount = limit - r15 */
    uint64_t chains;   /* entries through patched jumps since the trampoline (JitStats.chain_hits) */
    uint64_t probe_hits; /* inline jump-cache probes that entered a block (JitStats.jc_hits) */
} JitFrame;
/* The return address, six pushes and the frame leave rsp 16-byte aligned for calls. */
_Static_assert((8 + 6 * 8 + sizeof(JitFrame)) % 16 == 0, "JitFrame must keep rsp 16-byte aligned");

/* Host registers with a fixed role (section 2), in the emitter's numbering (jit/emit.h). */
#define JIT_REG_CPU     HR_RBP
#define JIT_REG_BUDGET  HR_R15
#define JIT_REG_SCRATCH HR_R11   /* the emitter's scratch for far calls (emit_call) */
#define JIT_CACHED_REGS 4        /* rbx, r12, r13, r14 */

/* Cpu field offsets generated code uses as disp32 from rbp. */
#define JIT_OFF_GPR(n)       ((int32_t)(offsetof(Cpu, gpr) + 8 * (size_t)(n)))
#define JIT_OFF_RIP          ((int32_t)offsetof(Cpu, rip))
#define JIT_OFF_ICOUNT       ((int32_t)offsetof(Cpu, icount))
#define JIT_OFF_CC_OP        ((int32_t)offsetof(Cpu, cc_op))
#define JIT_OFF_CC_DST       ((int32_t)offsetof(Cpu, cc_dst))
#define JIT_OFF_CC_SRC       ((int32_t)offsetof(Cpu, cc_src))
#define JIT_OFF_CC_SRC2      ((int32_t)offsetof(Cpu, cc_src2))
#define JIT_OFF_EFLAGS       ((int32_t)offsetof(Cpu, eflags))
#define JIT_OFF_EXIT_BLOCK   ((int32_t)offsetof(Cpu, exit_block))
#define JIT_OFF_TLB          ((int32_t)(offsetof(Cpu, tlb) + offsetof(Tlb, e)))
#define JIT_OFF_JC           ((int32_t)(offsetof(Cpu, tlb) + offsetof(Tlb, jc)))
#define JIT_TLB_CLASS_BYTES  ((int32_t)(TLB_SIZE * sizeof(TlbEntry)))

/* What the inline TLB sequence (section 5) relies on. */
_Static_assert(sizeof(TlbEntry) == 32, "index * 32 is computed by a shift");
_Static_assert(offsetof(TlbEntry, tag_r) == 0, "tag_r offset");
_Static_assert(offsetof(TlbEntry, tag_w) == 8, "tag_w offset");
_Static_assert(offsetof(TlbEntry, tag_x) == 16, "tag_x offset");
_Static_assert(offsetof(TlbEntry, addend) == 24, "addend offset");
_Static_assert(sizeof(((TlbEntry *)0)->addend) == 8, "addend is added as a 64-bit value");
_Static_assert((TLB_SIZE & (TLB_SIZE - 1)) == 0, "TLB index is a mask");
_Static_assert(PAGE_SIZE == 4096 && PAGE_MASK == ~(uint64_t)0xfff, "page tag is A & ~0xfff");
_Static_assert(sizeof(((Tlb *)0)->e) == 2 * TLB_SIZE * sizeof(TlbEntry), "two privilege classes");
_Static_assert(sizeof(JumpCacheEntry) == 24 && offsetof(JumpCacheEntry, lin) == 0 &&
               offsetof(JumpCacheEntry, key) == 8 && offsetof(JumpCacheEntry, block) == 16,
               "jump-cache entry layout probed inline");
/* Every Cpu field generated code touches is reachable as [rbp + disp32]. */
_Static_assert(sizeof(Cpu) < 0x7fffffff, "Cpu fields must be disp32 from rbp");
_Static_assert(sizeof(((Cpu *)0)->gpr[0]) == 8 && sizeof(((Cpu *)0)->rip) == 8 &&
               sizeof(((Cpu *)0)->icount) == 8, "64-bit guest registers, rip and icount");
_Static_assert(sizeof(((Cpu *)0)->cc_op) == 4 && sizeof(((Cpu *)0)->eflags) == 4,
               "cc_op and eflags are stored as 32-bit values");
_Static_assert(sizeof(((Cpu *)0)->exit_block) == 1, "exit_block is tested as a byte");

/* ---- the run loop's side (jit/jit.c) ---- */

#define JIT_CODE_BYTES (32u << 20)       /* default code buffer (memfd pages are made on touch) */
/* Executions before a block is translated.  bench/intloop.sh runs in the same time from 1 to 256
 * (docs/internals.md section 12); the Linux boot, where cold code matters, is not measured yet. */
#define JIT_DEFAULT_THRESHOLD 16

typedef struct Jit Jit;

/* A JIT translating blocks after `threshold` interpreted executions (0: at the first), into a
 * code buffer of `code_bytes`.  NULL when the host refuses the buffer; errno says why. */
Jit *jit_new(uint32_t threshold, size_t code_bytes);
void jit_free(Jit *jit);

/* Runs block `b` (at most `max` instructions) from the run loop: counts its execution, translates
 * it when it is hot, and runs its code when it has some and may run it (section 1; the whole block
 * fits in `max`).  Returns the JitExit, or -1 when the interpreter must run the block instead. */
int jit_exec(Cpu *cpu, Block *b, uint64_t max);

#define JIT_EXIT_COUNT (JIT_EXIT_LOOKUP + 1)

/* After this many invalidations of a physical page by stores (self-modifying code, a JIT or a
 * loader writing next to its code), each less than JIT_SMC_WINDOW retired instructions after the
 * one before, blocks on it are no longer translated: they stay interpreted, where an
 * invalidation costs a re-decode and no translation.  A page left alone for JIT_SMC_WINDOW
 * instructions starts over (an OS recycles physical pages for other code).  Counts only, never
 * host time, so the choice is the same in every run. */
#define JIT_SMC_HOT_PAGE 8
#define JIT_SMC_WINDOW (1ull << 24)

/* Counters for -stats and tests.  Every field is a count, except translate_ns (host CPU time,
 * printed only: it never reaches the guest). */
typedef struct JitStats {
    uint64_t translated;      /* blocks translated */
    uint64_t insns_native;    /* guest instructions translated to native code (static count) */
    uint64_t insns_called;    /* guest instructions translated to handler calls (static count) */
    uint64_t host_bytes;      /* host code bytes emitted for blocks (without alignment padding) */
    uint64_t translate_ns;    /* host CPU time spent translating */
    uint64_t runs;            /* entries into generated code from the run loop */
    uint64_t insns_run;       /* guest instructions retired in generated code (before a fault
                                 that leaves it by longjmp: not counted) */
    uint64_t exits[JIT_EXIT_COUNT];   /* returns to the run loop, by JitExit */
    uint64_t chain_hits;      /* block-to-block transfers through a patched (chained) jump (counted
                                 in the entry frame: a run left by a fault loses its count) */
    uint64_t chains_linked;   /* patch sites pointed at a block (jit/chain.h) */
    uint64_t jc_hits;         /* inline jump-cache probes that found a translated block */
    uint64_t jc_misses;       /* inline jump-cache probes that did not */
    uint64_t tlb_slow;        /* TLB slow-path calls made from generated code */
    uint64_t smc_invalidations; /* page invalidations by stores that dropped translated code */
    uint64_t hot_pages;       /* times a page reached JIT_SMC_HOT_PAGE invalidations */
    uint64_t refused;         /* hot blocks left interpreted (hot page, -jit-max-blocks, mode) */
    uint64_t flushes;         /* code buffer flushes */
} JitStats;
JitStats jit_stats(const Jit *jit);

/* Prints the counters as `-stats` shows them; `run_ns` is the host CPU time of the whole run
 * (for the share spent translating; 0: not shown). */
void jit_print_stats(const Jit *jit, FILE *out, uint64_t run_ns);

/* Debug output (-d jit, -perf-map).  `disasm`: each translated block, its guest instructions
 * and its host code (Capstone), with addresses.  `perf_map`: one "START SIZE
 * softvisor-jit:GUESTPC" line per translated block, the format perf(1) reads from
 * /tmp/perf-PID.map.  Either may be NULL.  The Jit does not own or close them. */
void jit_set_log(Jit *jit, FILE *disasm, FILE *perf_map);

/* Translates only the first `n` blocks (counted over the whole run, flushes included); the
 * others stay interpreted.  For bisecting a JIT bug down to one block: with -jit-threshold 0 a
 * deterministic guest translates the same blocks in the same order in every run. */
void jit_set_max_blocks(Jit *jit, uint64_t n);

/* A store (or device write) hit physical page `ppage` at instruction count `icount`, and its
 * blocks were dropped; `translated` tells whether any of them had generated code.  Counts
 * towards JIT_SMC_HOT_PAGE (cpu/decode.c, block_invalidate_page). */
void jit_note_invalidate(Jit *jit, uint64_t ppage, uint64_t icount, bool translated);

#endif
