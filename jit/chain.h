/*
 * chain.h — patched jumps between translated blocks (issue 9, "Chaining"; jit.h section 6 states
 * the rules and why they need no unchaining).
 *
 * A block exit whose target is known at translation and lies on the block's first guest page
 * ends in a patch site:
 *     site:  jmp rel32              -> at first the next instruction; once patched, the
 *                                      target block's chain entry
 *            lea r10, [rip + field] ;  jmp stubs->chain
 * The chain stub probes the jump cache like the lookup stub and, when it finds a block that
 * may be chained to, calls jit_chain() (jit/jit.c), which writes the rel32 through the code
 * buffer's RW view.  Every block's code starts with its chain entry, a jmp rel32 to the block's
 * chain check, out of line after its other pieces:
 *     inc qword [rsp + JitFrame.chains] ; rcx = Cpu.rip ; the code TLB check (below) ;
 *     movabs rax, Block ; mov [rbp + Cpu.cur_block], rax ; jmp Block.jit_code
 *     (Block.jit_code, the ordinary entry)  cmp r15, n ; jb exit_lookup ; entry checks ...
 * so a chained jump keeps the budget check and the entry checks of the block it enters.
 *
 * The code TLB check keeps the tiers exact.  block_find (cpu/decode.c) asks the TLB for the code
 * page of every block it returns, also on a jump-cache hit, and a missing entry is walked and
 * refilled (it goes missing when a data access in the same set evicts it); the TLB is machine
 * state (stale entries are what a guest sees after changing a page table without INVLPG), so
 * it is hashed and recorded, and what it holds must not depend on host caches.  A patched jump
 * or an internal back-edge that went on without asking left a different TLB behind than the
 * interpreter, and a recording made with the JIT diverged under `-jit off`.  So the chain
 * check, every back-edge and the jump-cache probe ask the same question, and where the TLB
 * lacks the page they leave to the run loop, whose block_find walks as under the interpreter.
 * Blocks that straddle two pages are never chained to, and their back-edges always leave.
 */
#ifndef SOFTVISOR_CHAIN_H
#define SOFTVISOR_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/decode.h"
#include "jit/codebuf.h"
#include "jit/emit_branch.h"
#include "jit/translate.h"

/* Bytes of the chain entry before Block.jit_code: jmp rel32. */
#define CHAIN_ENTRY_BYTES 5

/* Whether a direct transfer of block `b` to `target` bytes from its start may get a patch site:
 * the target lies on the block's first guest page (so on its physical page whatever maps it)
 * and the target is not truncated to 16 bits (osz 2), which would break that relation. */
bool chain_target_ok(const Block *b, int64_t target, int osz);

/* Emits a block's chain entry (above); the ordinary entry follows right after it.  Returns the
 * rel32 field that chain_emit_check points at the chain check. */
uint8_t *chain_emit_entry(Emitter *e);

/* Whether the TLB of class `user` (when < 0: bit 31 of r8, the key) has an executable entry for
 * the page of the linear address in rcx, as block_find asks before it goes on (cpu/decode.c):
 * else a jump to `miss`.  rdx, rsi, rdi and the host flags are clobbered. */
void chain_emit_code_tlb_check(Emitter *e, int user, EmitLabel *miss);

/* The same question for a page known at translation, the page of the linear address `lin`: a
 * block's own (its code is entered only at its linear address, cpu_code_lin and the flat CS
 * that native branches need).  One compare with a constant; rsi and the host flags are
 * clobbered. */
void chain_emit_page_check(Emitter *e, uint64_t lin, int user, EmitLabel *miss);

/* The chain check of block `b` (translated for TLB class `user`), where the chain entry's `field`
 * points: counts the entry, checks the TLB for the block's page (chain_emit_page_check), sets
 * Cpu.cur_block and goes on to `entry`, the block's code after its TLB class check (the source
 * was translated for the same class, chain_may_link); a miss leaves through `lookup_exit`
 * (JIT_EXIT_LOOKUP). */
void chain_emit_check(Emitter *e, uint8_t *field, const Block *b, int user, const uint8_t *entry,
                      const uint8_t *lookup_exit);

/* Emits a patch site and its unpatched tail (Cpu.rip, Cpu.icount and r15 already set). */
void chain_emit_site(Emitter *e, const JitStubs *stubs);

/* The jump-cache probe (Tlb.jc) the lookup stub and chain_emit_probe share: rcx = the linear
 * address, the key (mode key | user << 31) in r8 when `key` < 0, else `key`.  A block found that
 * was translated in code generation `gen`, lies on one page and whose page the TLB holds
 * (chain_emit_code_tlb_check) leaves rsi = the Block and rdi = its code; anything else jumps to
 * `miss`.  Whether it fits in r15 its entry asks, as for a patched jump: one that does not
 * leaves with JIT_EXIT_LOOKUP, RIP the target, as a miss does.  rcx and rdx are clobbered. */
void chain_emit_jc_probe(Emitter *e, uint32_t gen, int64_t key, EmitLabel *miss);

/* The jump-cache probe of the lookup stub, inline after an indirect transfer (RET, JMP r/m):
 * rax = the target RIP (Cpu.rip, Cpu.icount and r15 already set), the block was translated for
 * TLB class `user` (the probe compares the jump-cache key of that class; a block running at the
 * other one goes on through the stub).  A hit enters the block found, anything else goes to the
 * lookup stub. */
void chain_emit_probe(Emitter *e, const JitStubs *stubs, const Block *b, int bits, int user);

/* Whether the patch site of running block `from` may jump straight to block `to`, found in the
 * jump cache for its target in code generation `gen` (jit.h section 6): also translated for the
 * same TLB class, so that the chain check goes on past the target's class check. */
bool chain_may_link(const Block *from, const Block *to, uint32_t gen);

/* Points the patch site whose rel32 field runs at `field` (RX view) at `to`'s chain entry. */
void chain_link(CodeBuf *cb, const uint8_t *field, const Block *to);

#endif
