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
 *     inc qword [rsp + JitFrame.chains] ; rcx = Cpu.rip ; the jump-cache check (below), which
 *     leaves rax = Block ; mov [rbp + Cpu.cur_block], rax ; jmp Block.jit_code
 *     (Block.jit_code, the ordinary entry)  cmp r15, n ; jb exit_lookup ; entry checks ...
 * so a chained jump keeps the budget check and the entry checks of the block it enters.
 *
 * The jump-cache check keeps the tiers exact.  The interpreter's block_find takes no TLB lookup
 * when the jump cache holds the block for (linear address, key), and a lookup otherwise, which
 * refills the TLB entry of the code page when a data access in the same set evicted it; the
 * TLB is machine state (stale entries are what a guest sees after changing a page table without
 * INVLPG), so it is hashed and recorded.  A patched jump or a back-edge that skipped the lookup
 * where block_find would have missed (the jump cache is emptied by every store into a page with
 * code) left a different TLB behind: a recording made with the JIT then diverged under
 * `-jit off`.  So both check that the jump cache holds their block exactly as block_find would
 * find it, and otherwise leave to the run loop, which takes block_find's own path.
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

/* Whether the jump cache holds block `b` for the linear address in rcx with the key of TLB class
 * `user` (b->key | user << 31), as block_find's fast path asks: on a hit rax = b, anything else
 * jumps to `miss`.  rdx is clobbered, and the host flags. */
void chain_emit_jc_check(Emitter *e, const Block *b, int user, EmitLabel *miss);

/* The chain check of block `b` (translated for TLB class `user`), where the chain entry's `field`
 * points: counts the entry, checks the jump cache for Cpu.rip, sets Cpu.cur_block and goes on to
 * `entry` (Block.jit_code); a miss leaves through `lookup_exit` (JIT_EXIT_LOOKUP). */
void chain_emit_check(Emitter *e, uint8_t *field, const Block *b, int user, const uint8_t *entry,
                      const uint8_t *lookup_exit);

/* Emits a patch site and its unpatched tail (Cpu.rip, Cpu.icount and r15 already set). */
void chain_emit_site(Emitter *e, const JitStubs *stubs);

/* The jump-cache probe (Tlb.jc) the lookup stub and chain_emit_probe share: rcx = the linear
 * address, the key (mode key | user << 31) in r8 when `key` < 0, else `key`.  A block found that
 * was translated in code generation `gen` and fits in r15 leaves rsi = the Block and rdi = its
 * code; anything else jumps to `miss`.  rcx and rdx are clobbered. */
void chain_emit_jc_probe(Emitter *e, uint32_t gen, int64_t key, EmitLabel *miss);

/* The jump-cache probe of the lookup stub, inline after an indirect transfer (RET, JMP r/m):
 * rax = the target RIP (Cpu.rip, Cpu.icount and r15 already set), the block was translated for
 * TLB class `user` (the probe compares the jump-cache key of that class; a block running at the
 * other one goes on through the stub).  A hit enters the block found, anything else goes to the
 * lookup stub. */
void chain_emit_probe(Emitter *e, const JitStubs *stubs, const Block *b, int bits, int user);

/* Whether the patch site of running block `from` may jump straight to block `to`, found in the
 * jump cache for its target in code generation `gen` (jit.h section 6). */
bool chain_may_link(const Block *from, const Block *to, uint32_t gen);

/* Points the patch site whose rel32 field runs at `field` (RX view) at `to`'s chain entry. */
void chain_link(CodeBuf *cb, const uint8_t *field, const Block *to);

#endif
