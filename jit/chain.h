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
 * buffer's RW view.  Every block's code starts with its chain entry:
 *     inc qword [rsp + JitFrame.chains] ; movabs rax, Block ; mov [rbp + Cpu.cur_block], rax
 *     (Block.jit_code, the ordinary entry)  cmp r15, n ; jb exit_budget ; entry checks ...
 * so a chained jump keeps the budget check and the entry checks of the block it enters.
 */
#ifndef SOFTVISOR_CHAIN_H
#define SOFTVISOR_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/decode.h"
#include "jit/codebuf.h"
#include "jit/emit_branch.h"
#include "jit/translate.h"

/* Bytes of the chain entry before Block.jit_code: inc [rsp + disp8], movabs, mov [rbp + disp]. */
#define CHAIN_ENTRY_BYTES (5 + 10 + (offsetof(Cpu, cur_block) < 128 ? 4 : 7))

/* Whether a direct transfer of block `b` to `target` bytes from its start may get a patch site:
 * the target lies on the block's first guest page (so on its physical page whatever maps it)
 * and the target is not truncated to 16 bits (osz 2), which would break that relation. */
bool chain_target_ok(const Block *b, int64_t target, int osz);

/* Emits block `b`'s chain entry (above); the ordinary entry follows right after it. */
void chain_emit_entry(Emitter *e, const Block *b);

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
