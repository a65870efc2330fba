/*
 * translate.c — from a decoded Block to host code, following the contract in jit/jit.h.
 *
 * A block's code, in order:
 *   chain entry  the target of patched jumps (jit/chain.h): counts, sets Cpu.cur_block
 *   prologue   cmp r15, n ; jb exit_lookup       the whole block must fit in the budget
 *              entry checks (jit.h section 1)    flat segments, SS.B, TLB class: else
 *                                                exit_budget (the interpreter runs it)
 *              mov r12, [rbp + rip] ; cached guest registers loaded
 *   main line  one piece per instruction, native or a handler call (below)
 *   end        Cpu.rip/icount synced; after a native last instruction or a handler that
 *              returned INSN_NEXT on through a patch site or the lookup stub (jit.h
 *              section 6), else exit_end
 *   sides      out-of-line pieces: taken branches, TLB misses, handler returns other than
 *              INSN_NEXT
 *
 * Which instructions are native is decided per Insn from its handler (cpu/forms.h), never from
 * its mnemonic: register, memory and stack forms of the integer core (native_form()).  Every
 * other instruction is a handler call with exactly the bookkeeping of run_block():
 *
 *     add  qword [rbp + icount], pending       native instructions since the last sync
 *     lea  rax, [r12 + off] ; mov [rbp + rip], rax      cpu->rip is this instruction
 *     mov  rdi, rbp ; mov rsi, &b->insns[i] ; call in->fn
 *     inc  qword [rbp + icount]                retired (a fault longjmps out before this)
 *     test eax, eax ; jnz side                 INSN_JUMP or INSN_END: out of line
 *     add  qword [rbp + rip], len
 *     cmp  byte [rbp + exit_block], 0 ; jne exit_stop     SMC, device deadline, mode change
 *
 * Native instructions load guest registers from and store them to the Cpu (rax, rcx, rdx as
 * scratch), compute with the same host instruction, and store the lazy flags where the backward
 * liveness pass says they are live (jit.h section 4).  Memory operands go through the inline
 * TLB probe (mem_probe()); a miss runs the handler out of line (emit_mem_slow()).
 *
 * Instruction lengths and Insn addresses are immediates: after a handler returns, the code reads
 * nothing from the Block, which a store may have invalidated (it stays allocated until the next
 * block_find, cpu/decode.c).  The run loop wraps RIP after exit_end/exit_stop as run_block does.
 */
#include "jit/translate.h"

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"

#include "jit/chain.h"
#include "jit/emit_branch.h"
#include "jit/emit_insn.h"
#include "jit/emit_sse.h"

/* Before an internal back-edge: block_find, asked for the block again, would find its page in
 * the TLB, else `leave` (jit/chain.h).  A block that straddles two pages always leaves: the run
 * loop asks for both. */
static void emit_back_edge_check(Emitter *e, const Block *b, int user, EmitLabel *leave)
{
    if (b->paddr2 != ~0ull) {
        emit_jmp_label(e, leave, false);
        return;
    }
    chain_emit_page_check(e, b->lin, user, leave);
}

/* The callee-saved registers the trampoline preserves, in push order. */
static const int saved_regs[6] = { HR_RBX, HR_RBP, HR_R12, HR_R13, HR_R14, HR_R15 };

/* The shared lookup after a native branch or fall-through (jit.h section 6): rax = Cpu.rip
 * (stored), Cpu.icount exact, r15 = the budget left.  Probes the jump cache (Tlb.jc, the
 * run loop's block_find fast path) for the block at CS.base + rip with the current mode key and
 * privilege class; a block translated in this code generation `gen` that fits in the budget is
 * entered directly, anything else returns JIT_EXIT_LOOKUP to the run loop.  Entered at
 * stubs->chain from a patch site (r10 = its rel32 field), a hit goes through jit_chain(), which
 * may link the site to the block found (jit/chain.h). */
static void emit_lookup(Emitter *e, JitStubs *stubs, uint32_t gen, JitStats *st)
{
    const uint8_t *miss = stubs->exit[JIT_EXIT_LOOKUP];
    EmitLabel bits64, fail, link;
    emit_label_init(&bits64);
    emit_label_init(&fail);
    emit_label_init(&link);
    stubs->lookup = e->p;
    emit_alu_rr(e, EMIT_XOR, 4, HR_R10, HR_R10);
    stubs->chain = e->p;
    /* the linear address as cpu_code_lin() computes it */
    emit_mov_rr(e, 8, HR_RCX, HR_RAX);
    emit_alu_mi(e, EMIT_CMP, 4, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, code_bits)), 64);
    emit_jcc_label(e, EMIT_CC_E, &bits64, true);
    emit_alu_rm(e, EMIT_ADD, 8, HR_RCX, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, seg[SEG_CS].base)));
    emit_mov_rr(e, 4, HR_RCX, HR_RCX);
    emit_label_bind(e, &bits64);
    /* key = mode_key | (CPL == 3) << 31 (decode.c) */
    emit_alu_rr(e, EMIT_XOR, 4, HR_R8, HR_R8);
    emit_alu_mi(e, EMIT_CMP, 4, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, cpl)), 3);
    emit_setcc_r(e, EMIT_CC_E, HR_R8);
    emit_shift_ri(e, EMIT_SHL, 4, HR_R8, 31);
    emit_alu_rm(e, EMIT_OR, 4, HR_R8, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, mode_key)));
    chain_emit_jc_probe(e, gen, -1, &fail);
    if (st) {
        emit_movabs(e, HR_RCX, (uint64_t)(uintptr_t)&st->jc_hits);
        emit_unary_m(e, EMIT_INC, 8, emit_mem(HR_RCX, 0));
    }
    emit_test_rr(e, 8, HR_R10, HR_R10);
    emit_jcc_label(e, EMIT_CC_NE, &link, false);
    /* the block now running, as block_find records it: a store that frees it (self-modifying
     * code) ends it after the storing instruction, and only then (block_invalidate_page) */
    emit_mov_mr(e, 8, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, cur_block)), HR_RSI);
    emit_jmp_r(e, HR_RDI);
    emit_label_bind(e, &link);
    emit_mov_rr(e, 8, HR_RDI, JIT_REG_CPU);
    emit_mov_rr(e, 8, HR_RDX, HR_R10);
    emit_call(e, (const void *)(uintptr_t)jit_chain);
    emit_jmp_r(e, HR_RAX);
    emit_label_bind(e, &fail);
    if (st) {
        emit_movabs(e, HR_RCX, (uint64_t)(uintptr_t)&st->jc_misses);
        emit_unary_m(e, EMIT_INC, 8, emit_mem(HR_RCX, 0));
    }
    emit_jmp(e, miss);
}

bool translate_entry(CodeBuf *cb, JitStubs *stubs, uint32_t gen, JitStats *st)
{
    Emitter e;
    if (!codebuf_begin(cb, &e, 640))
        return false;
    stubs->gen = gen;
    for (int i = 0; i < 6; i++)
        emit_push_r(&e, saved_regs[i]);
    emit_alu_ri(&e, EMIT_SUB, 8, HR_RSP, (int64_t)sizeof(JitFrame));
    emit_mov_mi(&e, 8, emit_mem(HR_RSP, (int32_t)offsetof(JitFrame, chains)), 0);
    emit_mov_mi(&e, 8, emit_mem(HR_RSP, (int32_t)offsetof(JitFrame, probe_hits)), 0);
    emit_mov_rr(&e, 8, JIT_REG_CPU, HR_RDI);
    emit_mov_rr(&e, 8, JIT_REG_BUDGET, HR_RDX);
    emit_mov_rm(&e, 8, HR_RAX, emit_mem(JIT_REG_CPU, JIT_OFF_ICOUNT));
    emit_alu_rr(&e, EMIT_ADD, 8, HR_RAX, HR_RDX);
    emit_mov_mr(&e, 8, emit_mem(HR_RSP, (int32_t)offsetof(JitFrame, limit)), HR_RAX);
    emit_jmp_r(&e, HR_RSI);

    EmitLabel epilogue;
    emit_label_init(&epilogue);
    for (int r = 0; r < JIT_EXIT_COUNT; r++) {
        stubs->exit[r] = e.p;
        emit_mov_ri(&e, 4, HR_RAX, (uint64_t)r);
        emit_jmp_label(&e, &epilogue, false);
    }
    emit_label_bind(&e, &epilogue);
    if (st) {
        /* eax holds the exit reason */
        emit_mov_rm(&e, 8, HR_RCX, emit_mem(HR_RSP, (int32_t)offsetof(JitFrame, chains)));
        emit_movabs(&e, HR_RDX, (uint64_t)(uintptr_t)&st->chain_hits);
        emit_alu_mr(&e, EMIT_ADD, 8, emit_mem(HR_RDX, 0), HR_RCX);
        emit_mov_rm(&e, 8, HR_RCX, emit_mem(HR_RSP, (int32_t)offsetof(JitFrame, probe_hits)));
        emit_movabs(&e, HR_RDX, (uint64_t)(uintptr_t)&st->jc_hits);
        emit_alu_mr(&e, EMIT_ADD, 8, emit_mem(HR_RDX, 0), HR_RCX);
    }
    emit_alu_ri(&e, EMIT_ADD, 8, HR_RSP, (int64_t)sizeof(JitFrame));
    for (int i = 5; i >= 0; i--)
        emit_pop_r(&e, saved_regs[i]);
    emit_ret(&e);
    emit_lookup(&e, stubs, gen, st);

    const void *code = codebuf_commit(cb, &e);
    if (!code)
        return false;
    memcpy(&stubs->entry, &code, sizeof(stubs->entry));
    return true;
}

/* ---- native code (jit.h sections 2-4) ---- */

/* A live lazy-flag record not stored yet (translate_defer.c.inc): the ALU operation `op` (the
 * x86 /digit, 8 = TEST) of `size` bytes on guest register r0 and r1 (or imm when r1 is
 * REG_NONE), computed again from those registers where it is needed. */
typedef struct Defer {
    bool on;
    uint8_t op, size, r0, r1;
    uint64_t imm;          /* zero-extended from size */
} Defer;

/* Translation state of one block. */
typedef struct Tx {
    Emitter e;
    const JitStubs *stubs;
    const Block *b;
    int bits;              /* code size: 32 or 64 */
    uint32_t pending;      /* native instructions retired since Cpu.icount was last written */
    uint32_t rip_mem;      /* offset from the block's start that Cpu.rip holds */
    bool cf_ok;            /* host CF is the guest's CF */
    bool zspo_ok;          /* host ZF SF PF OF are the guest's */
    enum { AF_UNKNOWN, AF_HOST, AF_ZERO } af;
                           /* with zspo_ok: host AF is the guest's, or the guest's AF is 0 */
    int cf_known;          /* the guest CF as known at translation (a logic op left 0), or -1 */
    int user;              /* TLB privilege class the block's accesses use (jit.h section 5) */
    uint32_t native, called;
    struct Side *side;     /* out-of-line pieces, emitted after the main line */
    uint32_t nside;
    uint32_t cur, cur_off; /* the instruction being translated and its offset */
    int mem_side;          /* its SIDE_MEM piece, -1: none */
    int8_t host_of[16];    /* the host register caching guest register n, or -1 (jit.h section 2) */
    int ncached;
    uint8_t cached[JIT_CACHED_REGS];   /* the cached guest registers */
    Defer defer;           /* the record of the last producer, when deferred */
    Defer last;            /* the last producer, while its flags can be redone (redo_flags) */
    uint16_t byte_regs;    /* guest registers known to hold a zero-extended byte (byte_regs_after) */
    uint16_t dirty;        /* guest registers a native instruction of the block may write: only
                              those of the cached ones are written back (emit_writeback) */
    JitStats *st;          /* the counters generated code bumps (-stats), or NULL */
} Tx;

/* The host registers that cache guest registers, in order of use (jit.h section 2): all four in
 * 64-bit code, the first three in 32-bit code, where r12 holds the RIP the block was entered at
 * (block_rip). */
static const int cache_hosts[JIT_CACHED_REGS] = { HR_RBX, HR_R13, HR_R14, HR_R12 };

static const EmitMem m_icount = { HR_RBP, HR_NONE, 0, JIT_OFF_ICOUNT };

/* The Cpu slot of guest register r at size 1 (AH..BH: byte 1 of RAX..RBX) or larger. */
static EmitMem gmem(int r)
{
    if (r >= REG_AH)
        return emit_mem(JIT_REG_CPU, JIT_OFF_GPR(r - REG_AH) + 1);
    return emit_mem(JIT_REG_CPU, JIT_OFF_GPR(r));
}

/* The host register caching guest register r (not AH..BH: a block using them does not cache
 * RAX..RBX), or -1. */
static int ghost(const Tx *t, int r)
{
    return r < 16 ? t->host_of[r] : -1;
}

/* host h = guest register r of `size` bytes, zero-extended to 64 bits. */
static void load_greg(Tx *t, int h, int r, int size)
{
    int c = ghost(t, r);
    if (c >= 0) {
        if (size <= 2)
            emit_movzx_rr(&t->e, 4, h, size, c);
        else
            emit_mov_rr(&t->e, size, h, c);
    } else if (size <= 2) {
        emit_movzx_rm(&t->e, 4, h, size, gmem(r));
    } else {
        emit_mov_rm(&t->e, size, h, gmem(r));
    }
}

/* guest register r of `size` bytes = host h, as reg_write does: 8/16-bit writes merge, 32-bit
 * writes zero-extend (h holds a zero-extended 32-bit value then). */
static void store_greg(Tx *t, int r, int size, int h)
{
    int c = ghost(t, r);
    if (c >= 0)
        emit_mov_rr(&t->e, size, c, h);
    else
        emit_mov_mr(&t->e, size == 4 ? 8 : size, gmem(r), h);
}

/* Cached guest registers to the Cpu (before a call, a slow path or an exit) and back (at entry
 * and after a call that may have written them).  A cached register no native instruction of the
 * block writes still holds what the Cpu holds (a handler writes the Cpu, and the reload after it
 * follows), so only the others are written back. */
static void emit_writeback(Tx *t)
{
    for (int k = 0; k < t->ncached; k++)
        if ((t->dirty >> t->cached[k]) & 1)
            emit_mov_mr(&t->e, 8, gmem(t->cached[k]), t->host_of[t->cached[k]]);
}

static void emit_reload(Tx *t)
{
    for (int k = 0; k < t->ncached; k++)
        emit_mov_rm(&t->e, 8, t->host_of[t->cached[k]], gmem(t->cached[k]));
}

/* Cpu.icount = exact: the native instructions retired since the last write are added. */
static void sync_icount(Tx *t, uint32_t extra)
{
    if (t->pending + extra)
        emit_alu_mi(&t->e, EMIT_ADD, 8, m_icount, t->pending + extra);
    t->pending = 0;
}

/* host h = the RIP `off` bytes into the block (not wrapped): in 64-bit code a constant, since a
 * 64-bit block is only ever entered at its own RIP (its linear address, cpu_code_lin); in 32-bit
 * code from r12, the RIP it was entered at. */
static void block_rip(Tx *t, int h, int64_t off)
{
    if (t->bits == 64)
        emit_mov_ri(&t->e, 8, h, t->b->rip + (uint64_t)off);
    else
        emit_lea(&t->e, 8, h, emit_mem(HR_R12, (int32_t)off));
}

/* Cpu.rip = the RIP `off` bytes into the block (rax clobbered). */
static void store_block_rip(Tx *t, int64_t off)
{
    block_rip(t, HR_RAX, off);
    emit_mov_mr(&t->e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_RIP), HR_RAX);
}

/* Cpu.rip = the offset of the instruction at `off` bytes into the block. */
static void set_rip(Tx *t, uint32_t off)
{
    if (t->rip_mem == off)
        return;
    store_block_rip(t, off);
    t->rip_mem = off;
}

/* Stores the lazy flags of an operation: cc_op, cc_dst = host register dst (zero-extended from
 * `size`), cc_src = rcx (or 0). */
static void store_cc_dst(Tx *t, int op, int size, int dst, bool src_zero)
{
    emit_mov_mi(&t->e, 4, emit_mem(JIT_REG_CPU, JIT_OFF_CC_OP), ((uint32_t)op << 2) | cc_size_log2(size));
    emit_mov_mr(&t->e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_CC_DST), dst);
    if (src_zero)
        emit_mov_mi(&t->e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_CC_SRC), 0);
    else
        emit_mov_mr(&t->e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_CC_SRC), HR_RCX);
}

/* The same with cc_dst = rax. */
static void store_cc(Tx *t, int op, int size, bool src_zero)
{
    store_cc_dst(t, op, size, HR_RAX, src_zero);
}

/* Out-of-line helpers: flag questions answered from the lazy form in the Cpu. */
static bool jit_helper_cf(const Cpu *cpu) { return cc_cf(cpu); }

/* Which host flags a condition code reads (SDM vol. 1, appendix B). */
static bool cond_needs_cf(int cc) { cc &= 0xe; return cc == EMIT_CC_B || cc == EMIT_CC_BE; }
static bool cond_needs_zspo(int cc) { cc &= 0xe; return cc != EMIT_CC_B; }

/* Leaves `cc` evaluated in host flags: when the host flags are not the guest's, from the lazy
 * form (valid: every reader makes its producer store it) through cc_cond(), then ZF = !cond,
 * so the caller must use the returned condition code instead of cc. */
static bool redo_flags(Tx *t);

static int cond_prepare(Tx *t, int cc)
{
    if ((!cond_needs_cf(cc) || t->cf_ok) && (!cond_needs_zspo(cc) || t->zspo_ok))
        return cc;
    if (redo_flags(t))
        return cc;
    emit_mov_rr(&t->e, 8, HR_RDI, JIT_REG_CPU);
    emit_mov_ri(&t->e, 4, HR_RSI, (uint32_t)cc);
    emit_call(&t->e, (const void *)(uintptr_t)cc_cond);
    emit_test_rr(&t->e, 1, HR_RAX, HR_RAX);
    t->cf_ok = t->zspo_ok = false;     /* the call and the test left the host flags changed */
    return EMIT_CC_NE;
}

/* edx = guest CF (0/1) and host CF = guest CF, for ADC/SBB/INC/DEC. */
static void carry_prepare(Tx *t)
{
    if (t->cf_ok) {
        emit_setcc_r(&t->e, EMIT_CC_B, HR_RDX);
        emit_movzx_rr(&t->e, 4, HR_RDX, 1, HR_RDX);
        return;
    }
    if (t->cf_known == 0) {
        emit_alu_rr(&t->e, EMIT_XOR, 4, HR_RDX, HR_RDX);    /* CF = 0 */
        t->cf_ok = true;
        t->zspo_ok = false;
        return;
    }
    /* CF from the lazy form (stored: these instructions count as readers), inline for the
     * usual records (flags.h: ADD CF = dst < src, SUB CF = dst + src < src, at 32 and 64 bits;
     * LOGIC 0; INC/DEC src2), through cc_cf() for the others. */
    Emitter *e = &t->e;
    const EmitMem dst = emit_mem(JIT_REG_CPU, JIT_OFF_CC_DST), src = emit_mem(JIT_REG_CPU, JIT_OFF_CC_SRC);
    EmitLabel done, next, inc, helper;
    emit_label_init(&done);
    emit_label_init(&inc);
    emit_label_init(&helper);
    emit_mov_rm(e, 4, HR_RAX, emit_mem(JIT_REG_CPU, JIT_OFF_CC_OP));
    for (int lg = 2; lg <= 3; lg++) {
        int sz = 1 << lg;
        emit_label_init(&next);
        emit_alu_ri(e, EMIT_CMP, 4, HR_RAX, (CC_OP_SUB << 2) | lg);
        emit_jcc_label(e, EMIT_CC_NE, &next, false);
        emit_mov_rm(e, sz, HR_RCX, dst);
        emit_alu_rm(e, EMIT_ADD, sz, HR_RCX, src);
        emit_alu_rm(e, EMIT_CMP, sz, HR_RCX, src);
        emit_jmp_label(e, &done, false);
        emit_label_bind(e, &next);
        emit_label_init(&next);
        emit_alu_ri(e, EMIT_CMP, 4, HR_RAX, (CC_OP_ADD << 2) | lg);
        emit_jcc_label(e, EMIT_CC_NE, &next, false);
        emit_mov_rm(e, sz, HR_RCX, dst);
        emit_alu_rm(e, EMIT_CMP, sz, HR_RCX, src);
        emit_jmp_label(e, &done, false);
        emit_label_bind(e, &next);
    }
    emit_shift_ri(e, EMIT_SHR, 4, HR_RAX, 2);
    emit_alu_ri(e, EMIT_CMP, 4, HR_RAX, CC_OP_INC);
    emit_jcc_label(e, EMIT_CC_E, &inc, false);
    emit_alu_ri(e, EMIT_CMP, 4, HR_RAX, CC_OP_DEC);
    emit_jcc_label(e, EMIT_CC_E, &inc, false);
    emit_alu_ri(e, EMIT_CMP, 4, HR_RAX, CC_OP_LOGIC);
    emit_jcc_label(e, EMIT_CC_NE, &helper, false);
    emit_alu_rr(e, EMIT_XOR, 4, HR_RCX, HR_RCX);     /* CF = 0 */
    emit_jmp_label(e, &done, false);
    emit_label_bind(e, &inc);
    emit_mov_rm(e, 8, HR_RCX, emit_mem(JIT_REG_CPU, JIT_OFF_CC_SRC2));
    emit_unary_r(e, EMIT_NEG, 8, HR_RCX);            /* CF = src2 != 0 */
    emit_jmp_label(e, &done, false);
    emit_label_bind(e, &helper);
    emit_mov_rr(e, 8, HR_RDI, JIT_REG_CPU);
    emit_call(e, (const void *)(uintptr_t)jit_helper_cf);
    emit_movzx_rr(e, 4, HR_RDX, 1, HR_RAX);
    emit_bt_ri(e, 4, HR_RDX, 0);
    emit_label_bind(e, &done);
    emit_setcc_r(e, EMIT_CC_B, HR_RDX);
    emit_movzx_rr(e, 4, HR_RDX, 1, HR_RDX);
    t->cf_ok = true;
    t->zspo_ok = false;
}

/* Out-of-line code: a taken branch, or the rest of a handler call that did not return
 * INSN_NEXT. */
typedef struct Side {
    EmitLabel label;
    uint32_t i;            /* instruction */
    uint32_t off;          /* its offset in the block */
    uint32_t pending;      /* native instructions retired before it, not yet in Cpu.icount */
    enum { SIDE_HANDLER, SIDE_BRANCH, SIDE_MEM } kind;
                           /* the rest of a handler call that did not return INSN_NEXT; a taken
                              branch; a TLB miss (the handler runs the whole instruction) */
    uint32_t rip_mem;      /* SIDE_MEM: what Cpu.rip holds on the main line there */
    bool flags;            /* SIDE_MEM: the main line goes on with the host flags valid */
    bool branch;           /* SIDE_MEM: a CALL/RET, whose handler ends the block */
    const uint8_t *resume; /* SIDE_MEM: where the main line goes on after the instruction */
    Defer defer;           /* a deferred lazy-flag record the piece stores first */
    /* SIDE_MEM after a table probe (mem_probe_table): the ordinary probe is tried out of line
     * first, for `size` bytes of kind `acc`, and a hit goes back to `reprobe_back` */
    bool reprobe;
    int size, acc;
    const uint8_t *reprobe_back;
} Side;

/* The form of each instruction the translator emits natively, FORM_NONE for a call.  Decided
 * before emission, as the flag liveness depends on it. */
static InsnForm native_form(const Tx *t, const Insn *in)
{
    InsnForm f = insn_form(in->fn);
    bool mem = in->flags & INSN_MEM;
    if (f == FORM_NOP)
        return f;
    if (f == FORM_NONE) {
        uint8_t op;
        bool aligned;
        f = simd_form(in, &op, &aligned);
    }
    /* Memory operands: flat segments only (jit.h section 5); in 32-bit code FS, GS and CS
     * stay with the handler, so that a block using them still runs natively. */
    if (mem && f != FORM_LEA) {
        if (t->bits == 32 && (in->seg == SEG_FS || in->seg == SEG_GS || in->seg == SEG_CS))
            return FORM_NONE;
        if ((in->flags & INSN_RIPREL) && in->asz != 8)
            return FORM_NONE;
        switch (f) {
        case FORM_ALU_RM:
        case FORM_ALU_MR:
        case FORM_MOV_RM:
        case FORM_MOV_MR:
        case FORM_MOVZX:
        case FORM_MOVSX:
        case FORM_CMOVCC:
        case FORM_SETCC:
            return f;
        case FORM_MOV_R_MOFFS:
        case FORM_MOV_MOFFS_R:
        case FORM_IMUL_RM:
        case FORM_IMUL_RMI:
            return f;
        case FORM_MUL1:
        case FORM_DIV:
        case FORM_BSF:
        case FORM_TZCNT:
            return in->osz >= 4 ? f : FORM_NONE;     /* the 8/16-bit forms stay calls */
        case FORM_JMP_RM:
            return in->osz == (t->bits == 64 ? 8 : 4) ? f : FORM_NONE;
        case FORM_XMM_LOAD:
        case FORM_XMM_STORE:
        case FORM_XMM_OP:
            return f;
        case FORM_ALU_MI:
        case FORM_MOV_MI:
            return emit_fits_i32((int64_t)in->imm) ? f : FORM_NONE;
        default:
            return FORM_NONE;
        }
    }
    switch (f) {
    case FORM_ALU_RR:
    case FORM_ALU_RI:
    case FORM_UNARY_R:
    case FORM_MOV_RR:
    case FORM_MOV_RI:
        return mem ? FORM_NONE : f;
    case FORM_MOVZX:
    case FORM_MOVSX:
    case FORM_CMOVCC:
    case FORM_SETCC:
    case FORM_IMUL_RM:
    case FORM_IMUL_RMI:
        return in->r[f == FORM_SETCC ? 0 : 1] == REG_NONE || mem ? FORM_NONE : f;
    case FORM_MUL1:
    case FORM_DIV:
        return in->osz >= 4 && in->r[0] != REG_NONE ? f : FORM_NONE;
    case FORM_BSF:
    case FORM_TZCNT:
        return in->osz >= 4 && in->r[1] != REG_NONE ? f : FORM_NONE;
    case FORM_LEA:
    case FORM_XMM_LOAD:
    case FORM_XMM_OP:
    case FORM_PMOVMSKB:
        return f;
    case FORM_SHIFT_R: {
        /* By an immediate, SHL/SHR/SAR with a count below the width (the host's flags for
         * larger 8/16-bit counts differ) and ROL/ROR; by CL, SHL/SHR/SAR of 32 and 64 bits (the
         * masked count is below the width). */
        unsigned c = (unsigned)(in->imm & (in->osz == 8 ? 0x3f : 0x1f));
        bool shift = in->sub == EMIT_SHL || in->sub == EMIT_SHR || in->sub == EMIT_SAR;
        bool rotate = in->sub == EMIT_ROL || in->sub == EMIT_ROR;
        if (in->r[1] != REG_NONE)
            return !mem && shift && in->osz >= 4 ? f : FORM_NONE;
        return !mem && ((shift && c < in->osz * 8u) || rotate) ? f : FORM_NONE;
    }
    case FORM_PUSH_R:
    case FORM_POP_R:
    case FORM_RET:
        /* the stack width: 8 in 64-bit code, 4 in 32-bit code (SS.B checked at entry) */
        return in->osz == (t->bits == 64 ? 8 : 4) ? f : FORM_NONE;
    case FORM_CALL_REL:
        return in->osz == (t->bits == 64 ? 8 : 4) && (int64_t)in->imm == (int32_t)in->imm ? f : FORM_NONE;
    case FORM_JMP_RM:
        return in->osz == (t->bits == 64 ? 8 : 4) ? f : FORM_NONE;
    case FORM_JCC:
    case FORM_JMP_REL:
        /* 32-bit code: native only with a flat CS (checked at entry), so no limit check. */
        return (int64_t)in->imm == (int32_t)in->imm ? f : FORM_NONE;
    default:
        (void)t;
        return FORM_NONE;
    }
}

static bool is_stack_form(InsnForm f)
{
    return f == FORM_PUSH_R || f == FORM_POP_R || f == FORM_CALL_REL || f == FORM_RET;
}

/* The guest registers a native instruction of form f may write, a superset: every register it
 * names (AH..BH as RAX..RBX; XMM numbers too, harmlessly), RSP for the stack forms, RAX and RDX
 * for one-operand MUL/IMUL and DIV.  No native form writes its address registers. */
static uint16_t form_may_write(InsnForm f, const Insn *in)
{
    uint16_t m = 0;
    if (f == FORM_NONE)
        return 0;
    for (int k = 0; k < 3; k++) {
        int r = in->r[k];
        if (r >= REG_AH && r <= REG_BH)
            r -= REG_AH;
        if (r >= 0 && r < 16)
            m |= (uint16_t)(1u << r);
    }
    if (is_stack_form(f))
        m |= 1u << R_SP;
    if (f == FORM_MUL1 || f == FORM_DIV)
        m |= (1u << R_AX) | (1u << R_DX);
    return m;
}

/* Native code that accesses memory (so it may fault, and in 32-bit code needs flat segments). */
static bool form_accesses(InsnForm f, const Insn *in)
{
    return f != FORM_NONE && (is_stack_form(f) || (f != FORM_LEA && f != FORM_NOP && (in->flags & INSN_MEM)));
}

/* Could this handler call load a segment register?  By mnemonic, which may be wrong in the
 * safe direction only (a MOV or POP of a general register that is called, not emitted). */
static bool may_load_segment(const Insn *in)
{
    switch (in->mnem) {
    case ZYDIS_MNEMONIC_MOV:
    case ZYDIS_MNEMONIC_POP:
    case ZYDIS_MNEMONIC_LDS:
    case ZYDIS_MNEMONIC_LES:
    case ZYDIS_MNEMONIC_LFS:
    case ZYDIS_MNEMONIC_LGS:
    case ZYDIS_MNEMONIC_LSS:
        return true;
    default:
        return false;
    }
}

/* Does the instruction write all six arithmetic flags (a producer that kills the previous
 * ones)?  ADC/SBB and INC/DEC take CF in; they count as readers too (see liveness). */
static bool form_writes_flags(InsnForm f, const Insn *in)
{
    if (in->flags & INSN_MEM && f != FORM_LEA)
        return false;     /* may fault (and the slow path calls the handler): a reader */
    switch (f) {
    case FORM_ALU_RR:
    case FORM_ALU_RI:
    case FORM_IMUL_RM:
    case FORM_IMUL_RMI:
    case FORM_MUL1:
        return true;
    case FORM_SHIFT_R:            /* a count of 0 changes no flag; rotates keep SF ZF AF PF */
        return in->r[1] == REG_NONE && (in->sub == EMIT_SHL || in->sub == EMIT_SHR || in->sub == EMIT_SAR) &&
               (in->imm & (in->osz == 8 ? 0x3f : 0x1f)) != 0;
    case FORM_UNARY_R:
        return in->sub != 3;      /* NOT changes no flag */
    default:
        return false;
    }
}

/* Does the instruction read the lazy form in the Cpu?  ADC/SBB/INC/DEC read only CF, from the
 * host when `host_cf` (the host CF is the guest's before it, host_cf_after()). */
static bool form_reads_flags(InsnForm f, const Insn *in, bool host_cf)
{
    if (in->flags & INSN_MEM && f != FORM_LEA && f != FORM_NOP)
        return true;      /* may fault: every flag is live before it */
    switch (f) {
    case FORM_SHIFT_R:            /* by CL: a count of 0 keeps every flag */
        return in->r[1] != REG_NONE ||
               ((in->sub == EMIT_ROL || in->sub == EMIT_ROR) && (in->imm & (in->osz == 8 ? 0x3f : 0x1f)) != 0);
    case FORM_IMUL_RM:
    case FORM_IMUL_RMI:
    case FORM_MUL1:
        return false;
    case FORM_ALU_RR:
    case FORM_ALU_RI:
        return (in->sub == EMIT_ADC || in->sub == EMIT_SBB) && !host_cf;
    case FORM_UNARY_R:
        return in->sub <= 1 && !host_cf;      /* INC/DEC keep CF */
    case FORM_MOV_RR:
    case FORM_MOV_RI:
    case FORM_MOVZX:
    case FORM_MOVSX:
    case FORM_LEA:
    case FORM_NOP:
    case FORM_XMM_LOAD:
    case FORM_XMM_OP:
    case FORM_PMOVMSKB:
        return false;
    default:
        return true;             /* conditions, exits, and every handler call */
    }
}

/* Whether the host CF is the guest's after the instruction, given `cf` before it: a lower bound
 * of what the emitters leave in Tx.cf_ok (false wherever they might call out). */
static bool host_cf_after(InsnForm f, const Insn *in, bool cf)
{
    unsigned c = (unsigned)(in->imm & (in->osz == 8 ? 0x3f : 0x1f));
    switch (f) {
    case FORM_ALU_RR:
    case FORM_ALU_RI:
    case FORM_IMUL_RM:
    case FORM_IMUL_RMI:
    case FORM_MUL1:
        return !(in->flags & INSN_MEM);
    case FORM_SHIFT_R:
        if (in->r[1] != REG_NONE)
            return false;
        if (c == 0)
            return cf;
        return in->sub == EMIT_SHL || in->sub == EMIT_SHR || in->sub == EMIT_SAR;
    case FORM_UNARY_R:
        return in->sub == 2 ? true : cf;      /* NEG sets CF; INC/DEC/NOT keep it */
    case FORM_MOV_RR:
    case FORM_MOV_RI:
    case FORM_NOP:
        return cf;
    case FORM_XMM_LOAD:
    case FORM_XMM_OP:
    case FORM_PMOVMSKB:
        return !(in->flags & INSN_MEM) && cf;
    case FORM_MOVZX:
    case FORM_MOVSX:
        return !(in->flags & INSN_MEM) && cf;
    case FORM_LEA:
        return !(in->flags & INSN_RIPREL) && cf;   /* a RIP-relative LEA may become a call */
    default:
        return false;
    }
}

static uint64_t imm_masked(const Insn *in, int size)
{
    return in->imm & (size == 8 ? ~0ull : (1ull << (size * 8)) - 1);
}

/* After an ALU operation (alu.c's alu_flags): the lazy form when live (result in host register
 * dst, second operand in rcx, carry-in in rdx); the host flags are the guest's. */
static int alu_cc_op(int op)
{
    static const uint8_t cc_of[9] = { CC_OP_ADD, CC_OP_LOGIC, CC_OP_ADC, CC_OP_SBB, CC_OP_LOGIC,
                                      CC_OP_SUB, CC_OP_LOGIC, CC_OP_SUB, CC_OP_LOGIC };
    return cc_of[op];
}

static void alu_flags_done(Tx *t, int op, int size, int dst, bool live)
{
    int cop = alu_cc_op(op);
    if (live) {
        store_cc_dst(t, cop, size, dst, cop == CC_OP_LOGIC);
        if (op == EMIT_ADC || op == EMIT_SBB)
            emit_mov_mr(&t->e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_CC_SRC2), HR_RDX);
    }
    t->cf_ok = t->zspo_ok = true;
    t->af = cop == CC_OP_LOGIC ? AF_ZERO : AF_HOST;
    t->cf_known = cop == CC_OP_LOGIC ? 0 : -1;
}

/* ALU r0, r1/imm of 32 or 64 bits on a cached r0 (jit.h section 2), two-address as the guest
 * wrote it, without the round trip through rax: a 32-bit host write zero-extends as the guest's
 * does.  With live flags only for the operations that write r0 (their lazy record is then the
 * cached register and rcx, the source zero-extended); not ADC/SBB.  False: not this case. */
static bool emit_alu_cached(Tx *t, const Insn *in, InsnForm f, bool live)
{
    Emitter *e = &t->e;
    int op = in->sub, size = in->osz, c0 = ghost(t, in->r[0]);
    bool writes = op != EMIT_CMP && op != 8;
    if (c0 < 0 || size < 4 || op == EMIT_ADC || op == EMIT_SBB || (live && !writes))
        return false;
    int src = HR_RCX;
    if (f == FORM_ALU_RR) {
        if (!live && ghost(t, in->r[1]) >= 0)
            src = ghost(t, in->r[1]);
        else
            load_greg(t, HR_RCX, in->r[1], size);
    } else if (live) {
        emit_mov_ri(e, size == 8 ? 8 : 4, HR_RCX, imm_masked(in, size));
    } else {
        src = -1;
    }
    int64_t imm = size == 8 ? (int64_t)in->imm : (int64_t)(int32_t)(uint32_t)in->imm;
    if (src < 0 && op == 8)
        emit_test_ri(e, size, c0, imm);
    else if (src < 0)
        emit_alu_ri(e, op, size, c0, imm);
    else if (op == 8)
        emit_test_rr(e, size, c0, src);
    else
        emit_alu_rr(e, op, size, c0, src);
    alu_flags_done(t, op, size, c0, live);
    return true;
}

/* ALU r0, r1/imm on an uncached r0 with dead flags, as one host instruction on its Cpu slot:
 * CMP and TEST of 32 or 64 bits, the writing operations of 64 bits only (a 32-bit write to the
 * slot would not zero-extend it); not ADC/SBB.  False: not this case. */
static bool emit_alu_slot(Tx *t, const Insn *in, InsnForm f, bool live)
{
    Emitter *e = &t->e;
    int op = in->sub, size = in->osz;
    bool writes = op != EMIT_CMP && op != 8;
    if (live || ghost(t, in->r[0]) >= 0 || in->r[0] >= 16 || size < 4 || op == EMIT_ADC || op == EMIT_SBB ||
        (writes && size != 8))
        return false;
    EmitMem slot = gmem(in->r[0]);
    if (f == FORM_ALU_RR) {
        int src = ghost(t, in->r[1]);
        if (src < 0) {
            load_greg(t, HR_RCX, in->r[1], size);
            src = HR_RCX;
        }
        if (op == 8)
            emit_test_mr(e, size, slot, src);
        else
            emit_alu_mr(e, op, size, slot, src);
    } else {
        int64_t imm = size == 8 ? (int64_t)in->imm : (int64_t)(int32_t)(uint32_t)in->imm;
        if (op == 8)
            emit_test_mi(e, size, slot, imm);
        else
            emit_alu_mi(e, op, size, slot, imm);
    }
    alu_flags_done(t, op, size, HR_RAX, false);
    return true;
}

/* ALU r0, r1/imm (alu.c): a in rax, b in rcx, both zero-extended; the result in rax. */
static void emit_alu_native(Tx *t, const Insn *in, InsnForm f, bool live)
{
    Emitter *e = &t->e;
    int op = in->sub, size = in->osz;
    bool carry = op == EMIT_ADC || op == EMIT_SBB;
    if (emit_alu_cached(t, in, f, live) || emit_alu_slot(t, in, f, live))
        return;
    if (carry)
        carry_prepare(t);
    load_greg(t, HR_RAX, in->r[0], size);
    if (f == FORM_ALU_RR)
        load_greg(t, HR_RCX, in->r[1], size);
    else
        emit_mov_ri(e, size == 8 ? 8 : 4, HR_RCX, imm_masked(in, size));
    bool writes = op != EMIT_CMP && op != 8;
    /* CMP and TEST compute into rax when their result is recorded for the lazy flags: SUB and
     * AND set the host flags the same way. */
    int hop = op == 8 ? EMIT_AND : op == EMIT_CMP ? EMIT_SUB : op;
    if (!writes && !live) {
        if (op == 8)
            emit_test_rr(e, size, HR_RAX, HR_RCX);
        else
            emit_alu_rr(e, EMIT_CMP, size, HR_RAX, HR_RCX);
    } else {
        emit_alu_rr(e, hop, size, HR_RAX, HR_RCX);
    }
    if (writes)
        store_greg(t, in->r[0], size, HR_RAX);
    alu_flags_done(t, op, size, HR_RAX, live);
}

/* INC DEC NEG NOT r0. */
static void emit_unary_native(Tx *t, const Insn *in, bool live)
{
    Emitter *e = &t->e;
    int op = in->sub, size = in->osz;
    static const uint8_t host_op[4] = { EMIT_INC, EMIT_DEC, EMIT_NEG, EMIT_NOT };
    if (op <= 1 && live)
        carry_prepare(t);
    if (!live && size >= 4 && ghost(t, in->r[0]) >= 0) {
        /* dead flags, a cached register: the operation in place */
        emit_unary_r(e, host_op[op], size, ghost(t, in->r[0]));
    } else {
        load_greg(t, HR_RCX, in->r[0], size);
        emit_mov_rr(e, 8, HR_RAX, HR_RCX);
        emit_unary_r(e, host_op[op], size, HR_RAX);
        store_greg(t, in->r[0], size, HR_RAX);
    }
    if (op == 3)
        return;
    if (live) {
        if (op <= 1) {
            store_cc(t, op == 0 ? CC_OP_INC : CC_OP_DEC, size, true);
            emit_mov_mr(e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_CC_SRC2), HR_RDX);
        } else {
            store_cc(t, CC_OP_SUB, size, false);
        }
    }
    t->zspo_ok = true;
    t->af = AF_HOST;
    if (op == 2) {
        t->cf_ok = true;
        t->cf_known = -1;
    }
}

/* MOV / MOVZX / MOVSX between registers, MOV r, imm. */
static void emit_mov_native(Tx *t, const Insn *in, InsnForm f)
{
    Emitter *e = &t->e;
    int size = in->osz, c0 = ghost(t, in->r[0]);
    /* A cached destination of 32 or 64 bits is written directly (a 32-bit write zero-extends,
     * as the guest's); so is a 64-bit uncached one from a cached source. */
    if (c0 >= 0 && size >= 4 && (f == FORM_MOV_RR || f == FORM_MOVZX || f == FORM_MOV_RI)) {
        if (f == FORM_MOV_RI)
            emit_mov_ri(e, size == 8 ? 8 : 4, c0, imm_masked(in, size));
        else
            load_greg(t, c0, in->r[1], f == FORM_MOVZX ? in->sub : size);
        return;
    }
    if (f == FORM_MOV_RR && size == 8 && ghost(t, in->r[1]) >= 0) {
        store_greg(t, in->r[0], 8, ghost(t, in->r[1]));
        return;
    }
    switch (f) {
    case FORM_MOV_RR:
        load_greg(t, HR_RAX, in->r[1], size);
        break;
    case FORM_MOV_RI:
        emit_mov_ri(e, size == 8 ? 8 : 4, HR_RAX, imm_masked(in, size));
        break;
    case FORM_MOVZX:
        load_greg(t, HR_RAX, in->r[1], in->sub);
        break;
    default:    /* FORM_MOVSX */
        if (ghost(t, in->r[1]) >= 0 && in->sub == 4)
            emit_movsxd_rr(e, HR_RAX, ghost(t, in->r[1]));
        else if (ghost(t, in->r[1]) >= 0)
            emit_movsx_rr(e, 8, HR_RAX, in->sub, ghost(t, in->r[1]));
        else if (in->sub == 4)
            emit_movsxd_rm(e, HR_RAX, gmem(in->r[1]));
        else
            emit_movsx_rm(e, 8, HR_RAX, in->sub, gmem(in->r[1]));
        if (size == 4)
            emit_mov_rr(e, 4, HR_RAX, HR_RAX);
        break;
    }
    store_greg(t, in->r[0], size, HR_RAX);
}

/* dst = the effective address of the memory operand (insn_ea), masked to the address size;
 * rcx is clobbered.  False when a displacement does not fit (the caller then calls the
 * handler). */
static bool emit_ea(Tx *t, const Insn *in, uint32_t off, int dst)
{
    Emitter *e = &t->e;
    int64_t disp = in->disp;
    int base = HR_NONE, index = HR_NONE;
    if (in->flags & INSN_RIPREL) {
        /* 64-bit code only: a constant (block_rip) */
        uint64_t a = t->b->rip + off + in->len + (uint64_t)disp;
        emit_mov_ri(e, 8, dst, in->asz == 4 ? (uint32_t)a : a);
        return true;
    } else if (in->base != REG_NONE) {
        base = ghost(t, in->base);
        if (base < 0) {
            emit_mov_rm(e, 8, dst, gmem(in->base));
            base = dst;
        }
    }
    if (in->index != REG_NONE) {
        index = ghost(t, in->index);
        if (index < 0) {
            emit_mov_rm(e, 8, HR_RCX, gmem(in->index));
            index = HR_RCX;
        }
    }
    if (!emit_fits_i32(disp))
        return false;
    if (base == HR_NONE && index == HR_NONE)
        emit_mov_ri(e, 8, dst, (uint64_t)disp);
    else
        emit_lea(e, 8, dst, emit_mem_idx(base, index, in->scale, (int32_t)disp));
    if (in->asz == 4)
        emit_mov_rr(e, 4, dst, dst);
    else if (in->asz == 2)
        emit_movzx_rr(e, 4, dst, 2, dst);
    return true;
}

static bool emit_lea_native(Tx *t, const Insn *in, uint32_t off)
{
    if (in->asz != 8 && (in->flags & INSN_RIPREL))
        return false;
    if (!emit_ea(t, in, off, HR_RAX))
        return false;
    if (in->osz == 4)
        emit_mov_rr(&t->e, 4, HR_RAX, HR_RAX);
    store_greg(t, in->r[0], in->osz, HR_RAX);
    return true;
}

/* SETcc r0 / CMOVcc r0, r1. */
static void emit_cond_native(Tx *t, const Insn *in, InsnForm f)
{
    Emitter *e = &t->e;
    int cc = cond_prepare(t, in->sub);
    if (f == FORM_SETCC) {
        emit_setcc_r(e, cc, HR_RAX);
        store_greg(t, in->r[0], 1, HR_RAX);
        return;
    }
    load_greg(t, HR_RAX, in->r[0], in->osz);
    load_greg(t, HR_RCX, in->r[1], in->osz);
    emit_cmov_rr(e, cc, 8, HR_RAX, HR_RCX);
    store_greg(t, in->r[0], in->osz, HR_RAX);
}

/* 64-bit code: a branch target in rax that is not canonical jumps to `bad`; rcx clobbered. */
static void emit_canonical_check(Tx *t, EmitLabel *bad)
{
    Emitter *e = &t->e;
    emit_mov_rr(e, 8, HR_RCX, HR_RAX);
    emit_shift_ri(e, EMIT_SHL, 8, HR_RCX, 16);
    emit_shift_ri(e, EMIT_SAR, 8, HR_RCX, 16);
    emit_alu_rr(e, EMIT_CMP, 8, HR_RCX, HR_RAX);
    emit_jcc_label(e, EMIT_CC_NE, bad, false);
}

/* rax = the target of a relative branch (branch.c: truncated to the operand size, or to 32 bits
 * outside 64-bit mode); a target that fails the check jumps to `bad` (the handler raises the
 * #GP).  rcx is clobbered. */
static void emit_branch_target(Tx *t, const Insn *in, uint32_t off, EmitLabel *bad)
{
    Emitter *e = &t->e;
    if (t->bits == 64) {
        /* a constant, checked here (block_rip) */
        uint64_t target = t->b->rip + off + in->len + in->imm;
        if (in->osz == 2)
            target &= 0xffff;
        if (!canonical(target))
            emit_jmp_label(e, bad, false);
        emit_mov_ri(e, 8, HR_RAX, target);
        return;
    }
    emit_lea(e, 8, HR_RAX, emit_mem(HR_R12, (int32_t)((int64_t)off + in->len + (int64_t)in->imm)));
    if (in->osz == 2)
        emit_movzx_rr(e, 4, HR_RAX, 2, HR_RAX);
    else
        emit_mov_rr(e, 4, HR_RAX, HR_RAX);
    (void)bad;
}


/* ---- memory operands through the inline TLB (jit.h section 5) ---- */

/* A SIDE_MEM piece for the current instruction: where its TLB misses (and failed checks) go. */
static Side *side_new(Tx *t)
{
    t->mem_side = (int)t->nside;
    Side *s = &t->side[t->nside++];
    *s = (Side){ .i = t->cur, .off = t->cur_off, .pending = t->pending, .kind = SIDE_MEM,
                 .rip_mem = t->rip_mem, .defer = t->defer };
    emit_label_init(&s->label);
    return s;
}

/* The inline TLB probe (jit.h section 5) for `size` bytes of kind `acc` at the linear address
 * in rsi: on a hit rsi = the host address, a miss jumps to `s`.  rdi, r8 and the host flags
 * are clobbered. */
/* The probe proper, rdi = the linear address whose entry it asks (the access's own, or a
 * table's base: mem_probe_table): the entry's offset, the page of the access's last byte
 * (rsi + size - 1) in r8 compared with the entry's tag for `acc`, a jump to `miss` when they
 * differ, else rsi += the entry's addend. */
static void probe_entry(Tx *t, int size, int acc, EmitLabel *miss)
{
    Emitter *e = &t->e;
    int32_t tlb = JIT_OFF_TLB + t->user * JIT_TLB_CLASS_BYTES;
    emit_shift_ri(e, EMIT_SHR, 8, HR_RDI, 12 - 5);
    emit_alu_ri(e, EMIT_AND, 4, HR_RDI, (TLB_SIZE - 1) << 5);
    emit_lea(e, 8, HR_R8, emit_mem(HR_RSI, size - 1));
    emit_alu_ri(e, EMIT_AND, 8, HR_R8, -(int64_t)PAGE_SIZE);
    emit_alu_rm(e, EMIT_CMP, 8, HR_R8,
                emit_mem_idx(JIT_REG_CPU, HR_RDI, 0, tlb + (acc == ACC_WRITE ? 8 : 0)));
    emit_jcc_label(e, EMIT_CC_NE, miss, false);
    emit_alu_rm(e, EMIT_ADD, 8, HR_RSI, emit_mem_idx(JIT_REG_CPU, HR_RDI, 0, tlb + 24));
    t->cf_ok = t->zspo_ok = false;
}

static void mem_probe(Tx *t, int size, int acc, Side *s)
{
    emit_mov_rr(&t->e, 8, HR_RDI, HR_RSI);
    probe_entry(t, size, acc, &s->label);
}

/* A table lookup [base + index * scale + disp] whose index holds a zero-extended byte (CRC and
 * other table-driven loops): the TLB entry is chosen by base + disp, which is known before the
 * index, so the entry's addend is loaded while the index is still being computed and only one
 * add lies between the address and the access.  Sound with one tag compare: the access lies in
 * [B, B + 255 * 8 + 15], B = base + disp, so its last byte is on B's page or the next one; an
 * entry at B's index whose tag is the last byte's page holds B's page (the next page has another
 * index), and the first byte lies between the two.  A miss (an index that left B's page) tries
 * the ordinary probe out of line before the slow path.  rsi = the linear address; rdi and r8
 * clobbered. */
static void mem_probe_table(Tx *t, const Insn *in, int size, int acc, Side *s)
{
    Emitter *e = &t->e;
    int hb = ghost(t, in->base);
    if (hb < 0) {
        emit_mov_rm(e, 8, HR_RDI, gmem(in->base));
        hb = HR_RDI;
    }
    if (in->disp || hb != HR_RDI)
        emit_lea(e, 8, HR_RDI, emit_mem(hb, (int32_t)in->disp));
    if (in->asz == 4)
        emit_mov_rr(e, 4, HR_RDI, HR_RDI);
    probe_entry(t, size, acc, &s->label);
    s->reprobe = true;
    s->size = size;
    s->acc = acc;
    s->reprobe_back = e->p;
}

/* The out-of-line half of mem_probe_table: rsi = the linear address; the ordinary probe, back
 * to the main line on a hit, on to `slow` on a miss. */
static void emit_reprobe(Tx *t, const Side *s, EmitLabel *slow)
{
    bool cf_ok = t->cf_ok, zspo_ok = t->zspo_ok;   /* out of line: the main line's view stays */
    emit_mov_rr(&t->e, 8, HR_RDI, HR_RSI);
    probe_entry(t, s->size, s->acc, slow);
    emit_jmp(&t->e, s->reprobe_back);
    t->cf_ok = cf_ok;
    t->zspo_ok = zspo_ok;
}

/* Whether the memory operand of `in` is a table lookup for mem_probe_table. */
static bool table_operand(const Tx *t, const Insn *in)
{
    return in->base < 16 && in->index < 16 && in->base != in->index && ((t->byte_regs >> in->index) & 1) &&
           !(in->flags & INSN_RIPREL) && (in->asz == 4 || in->asz == 8) && in->scale <= 3 &&
           !(t->bits == 64 && (in->seg == SEG_FS || in->seg == SEG_GS));
}

/* The byte registers after an instruction of form f (Tx.byte_regs): MOVZX r32/r64, r/m8 makes
 * one; a native form forgets the registers it may write (form_may_write); a handler
 * call or any other form forgets them all.  Only instruction 0 is ever jumped to, where the set
 * starts empty, so what holds on the straight line holds. */
static void byte_regs_after(Tx *t, InsnForm f, const Insn *in)
{
    switch (f) {
    case FORM_ALU_RR: case FORM_ALU_RI: case FORM_ALU_RM: case FORM_ALU_MR: case FORM_ALU_MI:
    case FORM_UNARY_R: case FORM_MOV_RR: case FORM_MOV_RI: case FORM_MOV_RM: case FORM_MOV_MR:
    case FORM_MOV_MI: case FORM_MOVZX: case FORM_MOVSX: case FORM_LEA: case FORM_CMOVCC:
    case FORM_SETCC: case FORM_JCC: case FORM_IMUL_RM: case FORM_IMUL_RMI: case FORM_SHIFT_R:
    case FORM_NOP: case FORM_PUSH_R:
        t->byte_regs &= (uint16_t)~form_may_write(f, in);
        break;
    default:
        t->byte_regs = 0;
        return;
    }
    if (f == FORM_MOVZX && in->sub == 1 && in->osz >= 4 && in->r[0] < 16)
        t->byte_regs |= (uint16_t)(1u << in->r[0]);
}

/* rsi = the linear address of the memory operand of the current instruction (flat segments;
 * FS/GS add their base in 64-bit code), then the TLB probe for `size` bytes of kind `acc`: on a
 * hit rsi = the host address; a miss or a page crossing goes to an out-of-line SIDE_MEM piece
 * that runs the whole instruction through its handler.  rax, rcx, rdi, r8 and the host flags
 * are clobbered.  False (before anything is emitted that matters) when the operand does not
 * suit; the caller then calls the handler.  A linear address with a bit of `align_mask` set
 * goes to the handler too (an aligned SSE operand: it raises the #GP). */
static bool mem_begin_aligned(Tx *t, const Insn *in, int size, int acc, int32_t align_mask)
{
    Emitter *e = &t->e;
    if ((in->flags & INSN_RIPREL) && !emit_fits_i32((int64_t)in->disp + t->cur_off + in->len))
        return false;
    InsnForm f = insn_form(in->fn);
    if (f == FORM_MOV_R_MOFFS || f == FORM_MOV_MOFFS_R)
        emit_mov_ri(e, 8, HR_RSI, in->imm & (in->asz == 8 ? ~0ull : (1ull << (in->asz * 8)) - 1));
    else
        emit_ea(t, in, t->cur_off, HR_RSI);
    if (t->bits == 64 && (in->seg == SEG_FS || in->seg == SEG_GS))
        emit_alu_rm(e, EMIT_ADD, 8, HR_RSI, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, seg[in->seg].base)));
    Side *s = side_new(t);
    if (align_mask) {
        emit_test_ri(e, 4, HR_RSI, align_mask);
        emit_jcc_label(e, EMIT_CC_NE, &s->label, false);
    }
    if (f != FORM_MOV_R_MOFFS && f != FORM_MOV_MOFFS_R && size <= 16 && table_operand(t, in))
        mem_probe_table(t, in, size, acc, s);
    else
        mem_probe(t, size, acc, s);
    return true;
}

static bool mem_begin(Tx *t, const Insn *in, int size, int acc)
{
    return mem_begin_aligned(t, in, size, acc, 0);
}

/* host h = `size` bytes at [rsi], zero-extended. */
static void load_host(Tx *t, int h, int size)
{
    if (size <= 2)
        emit_movzx_rm(&t->e, 4, h, size, emit_mem(HR_RSI, 0));
    else
        emit_mov_rm(&t->e, size, h, emit_mem(HR_RSI, 0));
}

/* The arithmetic flags of the lazy form, for the slow path's return to the main line. */
static uint64_t jit_helper_flags(const Cpu *cpu) { return cc_flags(cpu); }

/* A TLB miss: the handler runs the instruction with the state synced (Cpu.rip, Cpu.icount
 * exact; the lazy flags are stored, as before any access: it may fault).  It may have stored
 * into a page with code or into a device, which sets exit_block: then the block stops after
 * the instruction (JIT_EXIT_STOP).  Otherwise the main line goes on with what it expects:
 * Cpu.icount back to its last synced value, Cpu.rip as it was, and the host flags loaded from
 * the lazy form when the main line uses them. */
static void emit_handler_tail(Tx *t, const Insn *in);

#include "jit/translate_defer.c.inc"

static void emit_mem_slow(Tx *t, const Side *s, uint32_t next_off)
{
    Emitter *e = &t->e;
    if (t->st) {
        emit_movabs(e, HR_RAX, (uint64_t)(uintptr_t)&t->st->tlb_slow);
        emit_unary_m(e, EMIT_INC, 8, emit_mem(HR_RAX, 0));
    }
    if (s->defer.on)
        defer_emit(t, &s->defer);
    if (s->pending)
        emit_alu_mi(e, EMIT_ADD, 8, m_icount, s->pending);
    store_block_rip(t, s->off);
    emit_writeback(t);
    emit_mov_rr(e, 8, HR_RDI, JIT_REG_CPU);
    emit_mov_ri(e, 8, HR_RSI, (uint64_t)(uintptr_t)&t->b->insns[s->i]);
    emit_call(e, (const void *)(uintptr_t)t->b->insns[s->i].fn);
    if (s->branch) {
        emit_unary_m(e, EMIT_INC, 8, m_icount);
        emit_handler_tail(t, &t->b->insns[s->i]);
        return;
    }
    EmitLabel stop;
    emit_label_init(&stop);
    emit_alu_mi(e, EMIT_CMP, 1, emit_mem(JIT_REG_CPU, JIT_OFF_EXIT_BLOCK), 0);
    emit_jcc_label(e, EMIT_CC_NE, &stop, false);
    emit_reload(t);
    if (s->pending)
        emit_alu_mi(e, EMIT_SUB, 8, m_icount, s->pending);
    store_block_rip(t, s->rip_mem);
    if (s->flags) {
        emit_mov_rr(e, 8, HR_RDI, JIT_REG_CPU);
        emit_call(e, (const void *)(uintptr_t)jit_helper_flags);
        emit_push_r(e, HR_RAX);
        emit_popfq(e);
    }
    emit_jmp(e, s->resume);
    emit_label_bind(e, &stop);
    emit_unary_m(e, EMIT_INC, 8, m_icount);
    store_block_rip(t, next_off);
    emit_jmp(e, t->stubs->exit[JIT_EXIT_STOP]);
}

/* MOV r, m / MOV m, r / MOV m, imm / MOVZX, MOVSX r, m. */
static bool emit_mov_mem(Tx *t, const Insn *in, InsnForm f)
{
    Emitter *e = &t->e;
    int size = in->osz;
    EmitMem host = emit_mem(HR_RSI, 0);
    switch (f) {
    case FORM_MOV_RM:
    case FORM_MOV_R_MOFFS:
        if (!mem_begin(t, in, size, ACC_READ))
            return false;
        if (size >= 4 && ghost(t, in->r[0]) >= 0) {
            load_host(t, ghost(t, in->r[0]), size);    /* straight into the cached register */
            return true;
        }
        load_host(t, HR_RAX, size);
        store_greg(t, in->r[0], size, HR_RAX);
        return true;
    case FORM_MOV_MR:
    case FORM_MOV_MOFFS_R:
        if (!mem_begin(t, in, size, ACC_WRITE))
            return false;
        if (ghost(t, in->r[1]) >= 0) {
            emit_mov_mr(e, size, host, ghost(t, in->r[1]));
            return true;
        }
        load_greg(t, HR_RAX, in->r[1], size);
        emit_mov_mr(e, size, host, HR_RAX);
        return true;
    case FORM_MOV_MI:
        if (!mem_begin(t, in, size, ACC_WRITE))
            return false;
        emit_mov_mi(e, size, host, in->imm);
        return true;
    case FORM_MOVZX:
        if (!mem_begin(t, in, in->sub, ACC_READ))
            return false;
        if (size >= 4 && ghost(t, in->r[0]) >= 0) {
            load_host(t, ghost(t, in->r[0]), in->sub);
            return true;
        }
        load_host(t, HR_RAX, in->sub);
        store_greg(t, in->r[0], size, HR_RAX);
        return true;
    default:   /* FORM_MOVSX */
        if (!mem_begin(t, in, in->sub, ACC_READ))
            return false;
        if (in->sub == 4)
            emit_movsxd_rm(e, HR_RAX, host);
        else
            emit_movsx_rm(e, 8, HR_RAX, in->sub, host);
        if (size == 4)
            emit_mov_rr(e, 4, HR_RAX, HR_RAX);
        store_greg(t, in->r[0], size, HR_RAX);
        return true;
    }
}

/* SETcc m / CMOVcc r, m: the condition is kept in dl across the access. */
static bool emit_cond_mem(Tx *t, const Insn *in, InsnForm f)
{
    Emitter *e = &t->e;
    emit_setcc_r(e, cond_prepare(t, in->sub), HR_RDX);
    if (f == FORM_SETCC) {
        if (!mem_begin(t, in, 1, ACC_WRITE))
            return false;
        emit_mov_mr(e, 1, emit_mem(HR_RSI, 0), HR_RDX);
        return true;
    }
    if (!mem_begin(t, in, in->osz, ACC_READ))
        return false;
    load_host(t, HR_RCX, in->osz);
    load_greg(t, HR_RAX, in->r[0], in->osz);
    emit_test_rr(e, 1, HR_RDX, HR_RDX);
    emit_cmov_rr(e, EMIT_CC_NE, 8, HR_RAX, HR_RCX);
    store_greg(t, in->r[0], in->osz, HR_RAX);
    return true;
}

/* ALU with a memory operand: r, m (a = register) or m, r / m, imm (read-modify-write; CMP and
 * TEST only read).  As the register forms, with a from or to [rsi]. */
static bool emit_alu_mem(Tx *t, const Insn *in, InsnForm f, bool live)
{
    Emitter *e = &t->e;
    int op = in->sub, size = in->osz;
    bool carry = op == EMIT_ADC || op == EMIT_SBB;
    bool writes = op != EMIT_CMP && op != 8;
    if (carry)
        carry_prepare(t);
    if (!mem_begin(t, in, size, f != FORM_ALU_RM && writes ? ACC_WRITE : ACC_READ))
        return false;
    int c0 = ghost(t, in->r[0]);
    if (f == FORM_ALU_RM && !carry && size >= 4 && c0 >= 0 && (writes || !live)) {
        /* a cached destination, two-address as in emit_alu_cached(): the record is c0, rcx */
        load_host(t, HR_RCX, size);
        if (op == 8)
            emit_test_rr(e, size, c0, HR_RCX);
        else
            emit_alu_rr(e, op, size, c0, HR_RCX);
        alu_flags_done(t, op, size, c0, live);
        return true;
    }
    if (f == FORM_ALU_RM) {
        load_greg(t, HR_RAX, in->r[0], size);
        load_host(t, HR_RCX, size);
    } else {
        load_host(t, HR_RAX, size);
        if (f == FORM_ALU_MR)
            load_greg(t, HR_RCX, in->r[1], size);
        else
            emit_mov_ri(e, size == 8 ? 8 : 4, HR_RCX, imm_masked(in, size));
    }
    if (carry)
        emit_bt_ri(e, 4, HR_RDX, 0);
    int hop = op == 8 ? EMIT_AND : op == EMIT_CMP ? EMIT_SUB : op;
    emit_alu_rr(e, hop, size, HR_RAX, HR_RCX);
    if (writes) {
        if (f == FORM_ALU_RM)
            store_greg(t, in->r[0], size, HR_RAX);
        else
            emit_mov_mr(e, size, emit_mem(HR_RSI, 0), HR_RAX);
    }
    alu_flags_done(t, op, size, HR_RAX, live);
    return true;
}

/* rcx = the source operand of osz bytes: guest register r, or the memory operand through the
 * TLB probe (false: the form falls back to its handler). */
static bool load_source(Tx *t, const Insn *in, bool mem, int r)
{
    if (!mem) {
        load_greg(t, HR_RCX, r, in->osz);
        return true;
    }
    if (!mem_begin(t, in, in->osz, ACC_READ))
        return false;
    load_host(t, HR_RCX, in->osz);
    return true;
}

/* IMUL r0, r1/m[, imm] (muldiv.c imul_to): the truncated product; host CF = OF = the guest's
 * (the product did not fit), host SF ZF PF are undefined where the interpreter follows the
 * result, so only CF is kept in the host flags. */
static bool emit_imul_native(Tx *t, const Insn *in, InsnForm f, bool mem, bool live)
{
    Emitter *e = &t->e;
    int size = in->osz;
    if (!load_source(t, in, mem, in->r[1]))
        return false;
    if (f == FORM_IMUL_RM) {
        load_greg(t, HR_RAX, in->r[0], size);
        emit_imul_rr(e, size, HR_RAX, HR_RCX);
    } else {
        emit_imul_rri(e, size, HR_RAX, HR_RCX, (int64_t)in->imm);
    }
    if (size == 2)
        emit_movzx_rr(e, 4, HR_RAX, 2, HR_RAX);
    store_greg(t, in->r[0], size, HR_RAX);
    if (live) {
        emit_setcc_r(e, EMIT_CC_B, HR_RCX);
        emit_movzx_rr(e, 4, HR_RCX, 1, HR_RCX);
        store_cc(t, CC_OP_IMUL, size, false);
    }
    t->cf_ok = true;
    t->zspo_ok = false;
    t->cf_known = -1;
    return true;
}

/* MUL/IMUL r0 or m, one operand, 32/64-bit (muldiv.c op_mul1): rDX:rAX = rAX * the operand
 * with the same host instruction; host CF = OF = the guest's (MUL: the high half is not 0;
 * IMUL: the product does not fit in the low half), host SF ZF AF PF are undefined where the
 * interpreter follows the low half, so only CF is kept.  The record: CC_OP_MUL with the high
 * half, CC_OP_IMUL with the overflow bit (flags.h). */
static bool emit_mul1_native(Tx *t, const Insn *in, bool mem, bool live)
{
    Emitter *e = &t->e;
    int size = in->osz;
    if (!load_source(t, in, mem, in->r[0]))
        return false;
    load_greg(t, HR_RAX, R_AX, size);
    emit_unary_r(e, in->sub == 0 ? EMIT_MUL : EMIT_IMUL1, size, HR_RCX);
    store_greg(t, R_AX, size, HR_RAX);
    store_greg(t, R_DX, size, HR_RDX);
    if (live) {
        if (in->sub == 0) {
            emit_mov_rr(e, 8, HR_RCX, HR_RDX);
        } else {
            emit_setcc_r(e, EMIT_CC_B, HR_RCX);
            emit_movzx_rr(e, 4, HR_RCX, 1, HR_RCX);
        }
        store_cc(t, in->sub == 0 ? CC_OP_MUL : CC_OP_IMUL, size, false);
    }
    t->cf_ok = true;
    t->zspo_ok = false;
    t->af = AF_UNKNOWN;
    t->cf_known = -1;
    return true;
}

/* DIV r0 or m of 32 or 64 bits (muldiv.c op_div) with the host's DIV where it cannot fault: a
 * high half rDX not below the divisor (a 0 divisor too) means #DE, so that goes out of line to
 * the handler, which raises it from the synced state (nothing is written before).  The guest's
 * flags stay as they were (the interpreter keeps them; the lazy form is stored: a possible
 * fault reads it), the host's are not the guest's afterwards. */
static bool emit_div_native(Tx *t, const Insn *in, bool mem)
{
    Emitter *e = &t->e;
    int size = in->osz;
    if (!load_source(t, in, mem, in->r[0]))
        return false;
    int mem_side = t->mem_side;      /* the TLB miss's piece, which resumes after the DIV */
    Side *s = side_new(t);
    s->branch = true;
    t->mem_side = mem_side;
    load_greg(t, HR_RDX, R_DX, size);
    load_greg(t, HR_RAX, R_AX, size);
    emit_alu_rr(e, EMIT_CMP, size, HR_RDX, HR_RCX);
    emit_jcc_label(e, EMIT_CC_AE, &s->label, false);
    emit_unary_r(e, EMIT_DIV, size, HR_RCX);
    store_greg(t, R_AX, size, HR_RAX);
    store_greg(t, R_DX, size, HR_RDX);
    t->cf_ok = t->zspo_ok = false;
    return true;
}

/* edx = the guest's arithmetic flags before an instruction that keeps some of them: from the
 * host when they are all known there, else from the lazy form (stored: such an instruction
 * reads flags); rax, rcx, rsi, rdi, r8-r11 may be clobbered. */
static void flags_old(Tx *t)
{
    Emitter *e = &t->e;
    if (t->cf_ok && t->zspo_ok && t->af != AF_UNKNOWN) {
        emit_pushfq(e);
        emit_pop_r(e, HR_RDX);
        emit_alu_ri(e, EMIT_AND, 4, HR_RDX, (int32_t)(FL_ARITH & ~(t->af == AF_ZERO ? FL_AF : 0)));
    } else {
        emit_mov_rr(e, 8, HR_RDI, JIT_REG_CPU);
        emit_call(e, (const void *)(uintptr_t)jit_helper_flags);
        emit_mov_rr(e, 4, HR_RDX, HR_RAX);
    }
}

/* The arithmetic flags become edx: Cpu.eflags = (eflags & ~arith) | edx, cc_op = CC_OP_EFLAGS
 * (rcx clobbered); the host flags are not the guest's. */
static void flags_new(Tx *t)
{
    Emitter *e = &t->e;
    const EmitMem fl = emit_mem(JIT_REG_CPU, JIT_OFF_EFLAGS);
    emit_mov_rm(e, 4, HR_RCX, fl);
    emit_alu_ri(e, EMIT_AND, 4, HR_RCX, (int32_t)~FL_ARITH);
    emit_alu_rr(e, EMIT_OR, 4, HR_RCX, HR_RDX);
    emit_mov_mr(e, 4, fl, HR_RCX);
    emit_mov_mi(e, 4, emit_mem(JIT_REG_CPU, JIT_OFF_CC_OP), CC_OP_EFLAGS);
    t->cf_ok = t->zspo_ok = false;
    t->cf_known = -1;
}

/* ROL/ROR r0, imm with a masked count c != 0 (shift.c): the result rotated by c mod width; CF
 * and OF by the interpreter's formulas (ROL: CF = LSB, OF = MSB ^ CF; ROR: CF = MSB, OF = MSB ^
 * MSB-1), SF ZF AF PF kept: the flags become CC_OP_EFLAGS.  The old flags come from the host
 * when they are all known there, else from the lazy form (stored: a rotate reads flags). */
static void emit_rotate_native(Tx *t, const Insn *in, unsigned c)
{
    Emitter *e = &t->e;
    int size = in->osz, n = size * 8;
    flags_old(t);
    load_greg(t, HR_RAX, in->r[0], size);
    if (c & (unsigned)(n - 1))
        emit_shift_ri(e, in->sub, size, HR_RAX, (uint8_t)(c & (unsigned)(n - 1)));
    store_greg(t, in->r[0], size, HR_RAX);
    /* ecx = CF, r8d = OF (0/1) */
    emit_mov_rr(e, 8, HR_RCX, HR_RAX);
    emit_mov_rr(e, 8, HR_R8, HR_RAX);
    if (in->sub == EMIT_ROL) {
        emit_alu_ri(e, EMIT_AND, 4, HR_RCX, 1);
        emit_shift_ri(e, EMIT_SHR, 8, HR_R8, (uint8_t)(n - 1));
    } else {
        emit_shift_ri(e, EMIT_SHR, 8, HR_RCX, (uint8_t)(n - 1));
        emit_shift_ri(e, EMIT_SHR, 8, HR_R8, (uint8_t)(n - 2));
        emit_alu_ri(e, EMIT_AND, 4, HR_RCX, 1);
    }
    emit_alu_ri(e, EMIT_AND, 4, HR_R8, 1);
    emit_alu_rr(e, EMIT_XOR, 4, HR_R8, HR_RCX);
    emit_shift_ri(e, EMIT_SHL, 4, HR_R8, 11);
    emit_alu_ri(e, EMIT_AND, 4, HR_RDX, (int32_t)(FL_ARITH & ~(FL_CF | FL_OF)));
    emit_alu_rr(e, EMIT_OR, 4, HR_RDX, HR_RCX);
    emit_alu_rr(e, EMIT_OR, 4, HR_RDX, HR_R8);
    flags_new(t);
}

/* BSF/TZCNT r0, r1/m of 32 or 64 bits (bitops.c), without the host's TZCNT (a host without BMI1
 * runs it as BSF): BSF's index where the source is not 0 (host ZF = source == 0, then its
 * destination is undefined, so a CMOVNZ picks).  BSF leaves the destination, all 64 bits,
 * unchanged for a 0 source, ZF = (source == 0); TZCNT gives the width there, CF = (source ==
 * 0), ZF = (result == 0).  Every other arithmetic flag is kept, so they come in as in a
 * rotate and leave as CC_OP_EFLAGS. */
static bool emit_bitscan_native(Tx *t, const Insn *in, InsnForm f, bool mem)
{
    Emitter *e = &t->e;
    int size = in->osz;
    flags_old(t);
    if (!load_source(t, in, mem, in->r[1]))
        return false;
    if (f == FORM_BSF)
        load_greg(t, HR_RAX, in->r[0], 8);
    else
        emit_mov_ri(e, 4, HR_RAX, (uint32_t)size * 8);
    emit_bsf_rr(e, size, HR_R9, HR_RCX);
    emit_cmov_rr(e, EMIT_CC_NE, 8, HR_RAX, HR_R9);
    emit_setcc_r(e, EMIT_CC_E, HR_R8);
    emit_movzx_rr(e, 4, HR_R8, 1, HR_R8);
    if (f == FORM_BSF) {
        emit_shift_ri(e, EMIT_SHL, 4, HR_R8, 6);
        emit_alu_ri(e, EMIT_AND, 4, HR_RDX, (int32_t)~FL_ZF);
        emit_alu_rr(e, EMIT_OR, 4, HR_RDX, HR_R8);
        store_greg(t, in->r[0], 8, HR_RAX);
    } else {
        emit_alu_ri(e, EMIT_AND, 4, HR_RDX, (int32_t)~(FL_CF | FL_ZF));
        emit_alu_rr(e, EMIT_OR, 4, HR_RDX, HR_R8);      /* CF is bit 0 */
        emit_test_rr(e, 4, HR_RAX, HR_RAX);
        emit_setcc_r(e, EMIT_CC_E, HR_R8);
        emit_movzx_rr(e, 4, HR_R8, 1, HR_R8);
        emit_shift_ri(e, EMIT_SHL, 4, HR_R8, 6);
        emit_alu_rr(e, EMIT_OR, 4, HR_RDX, HR_R8);
        store_greg(t, in->r[0], size, HR_RAX);
    }
    flags_new(t);
    return true;
}

/* SHL/SHR/SAR r0, CL of 32 or 64 bits (shift.c op_shift_r): the count masked to 5 or 6 bits.
 * 0 changes no flag (the lazy form stays, stored: this counts as a reader) but still writes the
 * register (a 32-bit one clears bits 63:32); otherwise the result and the record of the
 * immediate form, its source the operand shifted by count - 1.  The host flags are the guest's
 * on one path only, so on neither afterwards. */
static void emit_shift_cl_native(Tx *t, const Insn *in)
{
    Emitter *e = &t->e;
    int size = in->osz, op = in->sub;
    EmitLabel zero;
    emit_label_init(&zero);
    load_greg(t, HR_RAX, in->r[0], size);
    load_greg(t, HR_RCX, R_CX, 4);
    emit_alu_ri(e, EMIT_AND, 4, HR_RCX, size == 8 ? 0x3f : 0x1f);
    emit_jcc_label(e, EMIT_CC_E, &zero, false);
    emit_mov_rr(e, 8, HR_RDX, HR_RAX);
    emit_unary_r(e, EMIT_DEC, 4, HR_RCX);
    emit_shift_rcl(e, op, size, HR_RDX);
    emit_unary_r(e, EMIT_INC, 4, HR_RCX);
    emit_shift_rcl(e, op, size, HR_RAX);
    emit_mov_rr(e, 8, HR_RCX, HR_RDX);
    store_cc(t, op == EMIT_SHL ? CC_OP_SHL : op == EMIT_SHR ? CC_OP_SHR : CC_OP_SAR, size, false);
    emit_label_bind(e, &zero);
    store_greg(t, in->r[0], size, HR_RAX);
    t->cf_ok = t->zspo_ok = false;
    t->af = AF_UNKNOWN;
    t->cf_known = -1;
}

/* SHL/SHR/SAR r0, imm (shift.c shift_compute) with 0 < count < width: the lazy source is the
 * operand shifted by count - 1, computed first in rcx so that the host flags are the main
 * shift's.  CF SF ZF PF are the guest's; OF only for a count of 1 (the interpreter's OF for
 * larger counts is its own formula).  A count of 0 only rewrites the register. */
static void emit_shift_native(Tx *t, const Insn *in, bool live)
{
    Emitter *e = &t->e;
    int size = in->osz, op = in->sub;
    unsigned c = (unsigned)(in->imm & (size == 8 ? 0x3f : 0x1f));
    if (in->r[1] != REG_NONE) {
        emit_shift_cl_native(t, in);
        return;
    }
    if (c != 0 && (op == EMIT_ROL || op == EMIT_ROR)) {
        emit_rotate_native(t, in, c);
        return;
    }
    if (!live && c != 0 && size >= 4 && ghost(t, in->r[0]) >= 0) {
        /* dead flags, a cached register: the shift in place */
        emit_shift_ri(e, op, size, ghost(t, in->r[0]), (uint8_t)c);
        t->cf_ok = true;
        t->zspo_ok = c == 1;
        t->af = AF_UNKNOWN;
        t->cf_known = -1;
        return;
    }
    int c0 = ghost(t, in->r[0]);
    if (live && c != 0 && size >= 4 && c0 >= 0) {
        /* the lazy source (the operand shifted by count - 1) in rcx, the shift in place */
        emit_mov_rr(e, size, HR_RCX, c0);
        if (c > 1)
            emit_shift_ri(e, op, size, HR_RCX, (uint8_t)(c - 1));
        emit_shift_ri(e, op, size, c0, (uint8_t)c);
        store_cc_dst(t, op == EMIT_SHL ? CC_OP_SHL : op == EMIT_SHR ? CC_OP_SHR : CC_OP_SAR, size, c0, false);
        t->cf_ok = true;
        t->zspo_ok = c == 1;
        t->af = AF_UNKNOWN;
        t->cf_known = -1;
        return;
    }
    load_greg(t, HR_RAX, in->r[0], size);
    if (c == 0) {
        store_greg(t, in->r[0], size, HR_RAX);
        return;
    }
    if (live) {
        emit_mov_rr(e, 8, HR_RCX, HR_RAX);
        if (c > 1)
            emit_shift_ri(e, op, size, HR_RCX, (uint8_t)(c - 1));
    }
    emit_shift_ri(e, op, size, HR_RAX, (uint8_t)c);
    store_greg(t, in->r[0], size, HR_RAX);
    if (live)
        store_cc(t, op == EMIT_SHL ? CC_OP_SHL : op == EMIT_SHR ? CC_OP_SHR : CC_OP_SAR, size, false);
    t->cf_ok = true;
    t->zspo_ok = c == 1;
    t->af = AF_UNKNOWN;
    t->cf_known = -1;
}

/* ---- stack (jit.h section 5 with SS; 64-bit code, or 32-bit code with a flat 32-bit SS) ---- */

/* rdx = the stack pointer after moving it by `delta`, at the stack width. */
static void sp_moved(Tx *t, int32_t delta)
{
    load_greg(t, HR_RDX, R_SP, 8);
    emit_lea(&t->e, 8, HR_RDX, emit_mem(HR_RDX, delta));
    if (t->bits != 64)
        emit_mov_rr(&t->e, 4, HR_RDX, HR_RDX);
}

/* rsi = the stack pointer, at the stack width. */
static void sp_now(Tx *t)
{
    load_greg(t, HR_RSI, R_SP, t->bits == 64 ? 8 : 4);
}

/* The instruction after the stack access went to the next block: Cpu.rip = rax (checked),
 * Cpu.icount with it, on through the lookup, or through a patch site (`site`, jit/chain.h). */
static void branch_exit(Tx *t, bool site)
{
    emit_writeback(t);
    emit_mov_mr(&t->e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_RIP), HR_RAX);
    sync_icount(t, 1);
    emit_alu_ri(&t->e, EMIT_SUB, 8, JIT_REG_BUDGET, t->cur + 1);
    if (site)
        chain_emit_site(&t->e, t->stubs);
    else
        chain_emit_probe(&t->e, t->stubs, t->b, t->bits, t->user);
}

static void emit_branch_exit(Tx *t)
{
    branch_exit(t, false);
}

/* PUSH r / POP r / CALL rel / RET (stack.c, branch.c), operand size = stack width S: the
 * access first (a miss or a failed check runs the handler out of line), then RSP. */
static void emit_stack_native(Tx *t, const Insn *in, InsnForm f)
{
    Emitter *e = &t->e;
    int sz = t->bits == 64 ? 8 : 4;
    Side *s = side_new(t);
    switch (f) {
    case FORM_PUSH_R:
        sp_moved(t, -sz);
        emit_mov_rr(e, 8, HR_RSI, HR_RDX);
        mem_probe(t, sz, ACC_WRITE, s);
        load_greg(t, HR_RAX, in->r[0], sz);
        emit_mov_mr(e, sz, emit_mem(HR_RSI, 0), HR_RAX);
        store_greg(t, R_SP, 8, HR_RDX);
        break;
    case FORM_POP_R:
        sp_now(t);
        mem_probe(t, sz, ACC_READ, s);
        load_host(t, HR_RAX, sz);
        sp_moved(t, sz);
        store_greg(t, R_SP, 8, HR_RDX);
        store_greg(t, in->r[0], sz, HR_RAX);
        break;
    case FORM_CALL_REL:
        s->branch = true;
        emit_branch_target(t, in, t->cur_off, &s->label);
        emit_mov_rr(e, 8, HR_R9, HR_RAX);
        sp_moved(t, -sz);
        emit_mov_rr(e, 8, HR_RSI, HR_RDX);
        mem_probe(t, sz, ACC_WRITE, s);
        block_rip(t, HR_RAX, t->cur_off + in->len);
        emit_mov_mr(e, sz, emit_mem(HR_RSI, 0), HR_RAX);
        store_greg(t, R_SP, 8, HR_RDX);
        emit_mov_rr(e, 8, HR_RAX, HR_R9);
        branch_exit(t, chain_target_ok(t->b, (int64_t)t->cur_off + in->len + (int64_t)in->imm, in->osz));
        break;
    default:   /* FORM_RET */
        s->branch = true;
        sp_now(t);
        mem_probe(t, sz, ACC_READ, s);
        load_host(t, HR_RAX, sz);
        if (t->bits == 64)
            emit_canonical_check(t, &s->label);
        sp_moved(t, sz + (int32_t)(in->imm & 0xffff));
        store_greg(t, R_SP, 8, HR_RDX);
        emit_branch_exit(t);
        break;
    }
}

/* JMP r/m (branch.c op_jmp_rm) at the stack width: the target from the register or through the
 * TLB, checked (canonical in 64-bit code; 32-bit code has a flat CS), then on through the lookup.
 * A miss or a failed check runs the handler out of line, which ends the block. */
static bool emit_jmp_rm_native(Tx *t, const Insn *in, bool mem)
{
    int sz = t->bits == 64 ? 8 : 4;
    Side *s;
    if (mem) {
        if (!mem_begin(t, in, sz, ACC_READ))
            return false;
        s = &t->side[t->mem_side];
        load_host(t, HR_RAX, sz);
    } else {
        s = side_new(t);
        load_greg(t, HR_RAX, in->r[0], sz);
    }
    s->branch = true;
    if (t->bits == 64)
        emit_canonical_check(t, &s->label);
    emit_branch_exit(t);
    return true;
}

#include "jit/translate_sse.c.inc"

/* Calls the handler of instruction i, the state synced by the caller (the sequence of the
 * header), and counts it retired. */
static void emit_handler_call(Tx *t, uint32_t i)
{
    Emitter *e = &t->e;
    const Insn *in = &t->b->insns[i];
    emit_mov_rr(e, 8, HR_RDI, JIT_REG_CPU);
    emit_mov_ri(e, 8, HR_RSI, (uint64_t)(uintptr_t)&t->b->insns[i]);
    emit_call(e, (const void *)(uintptr_t)in->fn);
    emit_unary_m(e, EMIT_INC, 8, m_icount);
}

/* After a handler returned something else than INSN_NEXT (eax): the block ends. */
static void emit_handler_tail(Tx *t, const Insn *in)
{
    Emitter *e = &t->e;
    emit_alu_ri(e, EMIT_CMP, 4, HR_RAX, INSN_JUMP);
    emit_jcc(e, EMIT_CC_E, t->stubs->exit[JIT_EXIT_JUMP]);
    emit_alu_mi(e, EMIT_ADD, 8, emit_mem(JIT_REG_CPU, JIT_OFF_RIP), in->len);
    emit_jmp(e, t->stubs->exit[JIT_EXIT_END]);
}

/* Chooses the guest registers to cache (jit.h section 2): the most used by native instructions,
 * at least twice; none whose high byte (AH..BH) a native instruction names.  A use inside the
 * loop that a native branch back to the block's start closes counts eight times: that part runs
 * most.  Outside such a loop a use counts less after each conditional branch before it (16, 8,
 * 4, 2, then 1): a side exit taken most of the time (a scan loop closed through another block)
 * leaves the rest of the block cold. */
static void choose_cached(Tx *t, const InsnForm *form)
{
    unsigned uses[16] = { 0 }, count[16] = { 0 };
    bool high[4] = { false };
    uint32_t loop_end = 0, at = 0;    /* instructions [0, loop_end) form the loop */
    for (uint32_t i = 0; i < t->b->n; i++) {
        const Insn *in = &t->b->insns[i];
        at += in->len;
        if ((form[i] == FORM_JCC || form[i] == FORM_JMP_REL) && in->osz != 2 && (int64_t)at + (int64_t)in->imm == 0)
            loop_end = i + 1;
    }
    unsigned exits = 0;    /* conditional branches before instruction i */
    for (uint32_t i = 0; i < t->b->n; i++) {
        const Insn *in = &t->b->insns[i];
        unsigned weight = i < loop_end ? 8 * 16 : 16u >> (exits < 4 ? exits : 4);
        if (form[i] == FORM_JCC)
            exits++;
        if (form[i] == FORM_NONE || form[i] == FORM_NOP)
            continue;
        uint8_t regs[6] = { in->r[0], in->r[1], in->r[2], REG_NONE, REG_NONE, REG_NONE };
        if (is_xmm_form(form[i])) {
            /* XMM register numbers: only PMOVMSKB names a general register */
            regs[0] = form[i] == FORM_PMOVMSKB ? in->r[0] : REG_NONE;
            regs[1] = regs[2] = REG_NONE;
        }
        if (in->flags & INSN_MEM) {
            regs[3] = in->base;
            regs[4] = in->index;
        }
        if (is_stack_form(form[i]))
            regs[5] = R_SP;
        for (int k = 0; k < 6; k++) {
            if (regs[k] < 16) {
                uses[regs[k]] += weight;
                count[regs[k]]++;
            }
            else if (regs[k] >= REG_AH && regs[k] <= REG_BH)
                high[regs[k] - REG_AH] = true;
        }
    }
    for (int k = 0; k < 4; k++)
        if (high[k])
            uses[k] = 0;
    memset(t->host_of, -1, sizeof(t->host_of));
    t->ncached = 0;
    for (int n = 0; n < (t->bits == 64 ? JIT_CACHED_REGS : JIT_CACHED_REGS - 1); n++) {
        int best = -1;
        for (int r = 0; r < 16; r++)
            if (count[r] >= 2 && uses[r] > 0 && t->host_of[r] < 0 && (best < 0 || uses[r] > uses[best]))
                best = r;
        if (best < 0)
            break;
        t->host_of[best] = (int8_t)cache_hosts[n];
        t->cached[t->ncached++] = (uint8_t)best;
    }
}

const void *translate_block(CodeBuf *cb, const JitStubs *stubs, const Block *b, int bits, int user,
                            JitStats *st)
{
    Side side[2 * BLOCK_MAX_INSNS];
    Tx t = { .stubs = stubs, .b = b, .bits = bits, .user = user, .side = side, .cf_known = -1, .st = st };
    if (!codebuf_begin(cb, &t.e, 256))
        return NULL;
    Emitter *e = &t.e;
    uint32_t n = b->n;
    uint8_t *chain_field = chain_emit_entry(e);
    InsnForm form[BLOCK_MAX_INSNS];
    bool live_after[BLOCK_MAX_INSNS];
    uint32_t off[BLOCK_MAX_INSNS + 1];
    bool branches = false;
    uint8_t seg_acc[6] = { 0 };    /* 32-bit code: access kinds native code makes per segment */
    bool mem = false;

    bool seg_loaded = false;      /* a handler before may have loaded a segment register */
    bool cr_written = false;      /* a handler before may have written CR0 or CR4 */
    bool sse = false;             /* native XMM forms: SSE availability checked at entry */
    off[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        const Insn *in = &b->insns[i];
        form[i] = bits == 32 || bits == 64 ? native_form(&t, in) : FORM_NONE;
        /* The flat check at entry holds until a segment load: MOV Sreg, POP Sreg and LxS do
         * not end the block.  After one, 32-bit memory operands go through their handlers. */
        if (bits == 32 && seg_loaded && form_accesses(form[i], in))
            form[i] = FORM_NONE;
        if (form[i] == FORM_NONE && may_load_segment(in))
            seg_loaded = true;
        if (is_xmm_form(form[i]) && cr_written)
            form[i] = FORM_NONE;
        if (form[i] == FORM_NONE && may_write_cr(in))
            cr_written = true;
        sse |= is_xmm_form(form[i]);
        off[i + 1] = off[i] + in->len;
        branches |= form[i] == FORM_JCC || form[i] == FORM_JMP_REL || form[i] == FORM_CALL_REL ||
                    form[i] == FORM_RET || form[i] == FORM_JMP_RM;
        if (form_accesses(form[i], in)) {
            mem = true;
            seg_acc[is_stack_form(form[i]) ? SEG_SS : in->seg] |= (uint8_t)((1u << ACC_READ) | (1u << ACC_WRITE));
        }
    }
    /* Flag liveness (jit.h section 4): every flag is live at the block end, at side exits and
     * at handler calls; a producer stores the lazy form only when its flags are live after it. */
    bool host_cf[BLOCK_MAX_INSNS];
    bool cf = false;
    for (uint32_t i = 0; i < n; i++) {
        host_cf[i] = cf;
        cf = host_cf_after(form[i], &b->insns[i], cf);
    }
    bool live = true;
    for (uint32_t i = n; i-- > 0;) {
        live_after[i] = live;
        if (form_reads_flags(form[i], &b->insns[i], host_cf[i]))
            live = true;
        else if (form_writes_flags(form[i], &b->insns[i]))
            live = false;
    }

    /* A patched jump or a jump-cache probe may get here with too little budget (the run loop
     * checks it first): a lookup exit then, RIP the block's start (jit.h section 6). */
    if (mem) {
        /* The TLB class is fixed at translation; a block entered at another one is run by the
         * interpreter.  A patched jump comes from a block of the same class (chain_may_link)
         * and goes on after this check. */
        emit_alu_mi(e, EMIT_CMP, 4, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, cpl)), 3);
        emit_jcc(e, user ? EMIT_CC_NE : EMIT_CC_E, stubs->exit[JIT_EXIT_BUDGET]);
    }
    const uint8_t *class_checked = e->p;
    emit_alu_ri(e, EMIT_CMP, 8, JIT_REG_BUDGET, n);
    emit_jcc(e, EMIT_CC_B, stubs->exit[JIT_EXIT_LOOKUP]);
    const uint8_t *head = e->p;    /* where a jump back to the block's start goes on */
    bool chain_end = n > 0 && form[n - 1] != FORM_NONE && form[n - 1] != FORM_JMP_REL &&
                     form[n - 1] != FORM_CALL_REL && form[n - 1] != FORM_RET && form[n - 1] != FORM_JMP_RM;
    /* A block that ends after a handler call (the decoder ends blocks after system instructions:
     * RDTSC, CPUID, ...) goes on the same way when the handler returned INSN_NEXT, which says it
     * changed nothing the run loop looks at (jit.h section 6); in 32-bit code only where the
     * entry checks the flat CS anyway. */
    bool call_end = n > 0 && form[n - 1] == FORM_NONE && (bits == 64 || (bits == 32 && branches));
    if (bits == 32 && (branches || chain_end)) {
        /* Native branches assume a flat CS (no limit check; base 0, so that RIP is the linear
         * address patched jumps and the chain check take it for); otherwise the interpreter runs
         * the block (JIT_EXIT_BUDGET: nothing of it ran). */
        emit_alu_mi(e, EMIT_CMP, 4, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, seg[SEG_CS].limit)), -1);
        emit_jcc(e, EMIT_CC_NE, stubs->exit[JIT_EXIT_BUDGET]);
        emit_alu_mi(e, EMIT_CMP, 8, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, seg[SEG_CS].base)), 0);
        emit_jcc(e, EMIT_CC_NE, stubs->exit[JIT_EXIT_BUDGET]);
    }
    if (sse)
        emit_sse_entry_check(&t);
    for (int sg = 0; sg < 6 && bits == 32; sg++) {
        if (!seg_acc[sg])
            continue;
        /* Flat: base 0, offsets 0..4 GiB - 1 valid, readable and writable (access.h). */
        const int32_t sc = (int32_t)offsetof(Cpu, seg[sg]);
        emit_alu_mi(e, EMIT_CMP, 8, emit_mem(JIT_REG_CPU, sc + (int32_t)offsetof(SegCache, base)), 0);
        emit_jcc(e, EMIT_CC_NE, stubs->exit[JIT_EXIT_BUDGET]);
        emit_alu_mi(e, EMIT_CMP, 4, emit_mem(JIT_REG_CPU, sc + (int32_t)offsetof(SegCache, lo)), 0);
        emit_jcc(e, EMIT_CC_NE, stubs->exit[JIT_EXIT_BUDGET]);
        emit_alu_mi(e, EMIT_CMP, 4, emit_mem(JIT_REG_CPU, sc + (int32_t)offsetof(SegCache, hi)), -1);
        emit_jcc(e, EMIT_CC_NE, stubs->exit[JIT_EXIT_BUDGET]);
        emit_movzx_rm(e, 4, HR_RAX, 1, emit_mem(JIT_REG_CPU, sc + (int32_t)offsetof(SegCache, ok)));
        emit_alu_ri(e, EMIT_AND, 4, HR_RAX, seg_acc[sg]);
        emit_alu_ri(e, EMIT_CMP, 4, HR_RAX, seg_acc[sg]);
        emit_jcc(e, EMIT_CC_NE, stubs->exit[JIT_EXIT_BUDGET]);
        if (sg == SEG_SS) {
            /* a 32-bit stack (SS.B): native stack operations move ESP */
            emit_test_mi(e, 2, emit_mem(JIT_REG_CPU, sc + (int32_t)offsetof(SegCache, attr)), SEG_ATTR_DB);
            emit_jcc(e, EMIT_CC_E, stubs->exit[JIT_EXIT_BUDGET]);
        }
    }
    if (bits != 64)
        emit_mov_rm(e, 8, HR_R12, emit_mem(JIT_REG_CPU, JIT_OFF_RIP));
    choose_cached(&t, form);
    for (uint32_t i = 0; i < n; i++)
        t.dirty |= form_may_write(form[i], &b->insns[i]);
    emit_reload(&t);
    const uint8_t *body = e->p;    /* a back-edge of a block without handler calls goes on here */

    for (uint32_t i = 0; i < n; i++) {
        const Insn *in = &b->insns[i];
        bool done = true;
        t.cur = i;
        t.cur_off = off[i];
        t.mem_side = -1;
        defer_before(&t, form[i], in, host_cf[i]);
        bool defer = live_after[i] && defer_pays(&t, form, host_cf, i);
        if (defer)
            live_after[i] = false;
        bool memop = form_accesses(form[i], in) ||
                     ((in->flags & INSN_MEM) && form[i] != FORM_LEA && form[i] != FORM_NOP);
        switch (memop ? form[i] : FORM_NONE) {
        case FORM_PUSH_R:
        case FORM_POP_R:
        case FORM_CALL_REL:
        case FORM_RET:
            emit_stack_native(&t, in, form[i]);
            break;
        case FORM_ALU_RM:
        case FORM_ALU_MR:
        case FORM_ALU_MI:
            done = emit_alu_mem(&t, in, form[i], live_after[i]);
            break;
        case FORM_MOV_RM:
        case FORM_MOV_MR:
        case FORM_MOV_MI:
        case FORM_MOVZX:
        case FORM_MOVSX:
            done = emit_mov_mem(&t, in, form[i]);
            break;
        case FORM_SETCC:
        case FORM_CMOVCC:
            done = emit_cond_mem(&t, in, form[i]);
            break;
        case FORM_MOV_R_MOFFS:
        case FORM_MOV_MOFFS_R:
            done = emit_mov_mem(&t, in, form[i]);
            break;
        case FORM_IMUL_RM:
        case FORM_IMUL_RMI:
            done = emit_imul_native(&t, in, form[i], true, live_after[i]);
            break;
        case FORM_MUL1:
            done = emit_mul1_native(&t, in, true, live_after[i]);
            break;
        case FORM_DIV:
            done = emit_div_native(&t, in, true);
            break;
        case FORM_BSF:
        case FORM_TZCNT:
            done = emit_bitscan_native(&t, in, form[i], true);
            break;
        case FORM_JMP_RM:
            done = emit_jmp_rm_native(&t, in, true);
            break;
        case FORM_XMM_LOAD:
        case FORM_XMM_STORE:
        case FORM_XMM_OP:
            done = emit_xmm_native(&t, in, form[i], true);
            break;
        default:
            break;
        }
        if (memop) {
            if (t.mem_side >= 0) {
                side[t.mem_side].resume = e->p;
                side[t.mem_side].flags = t.cf_ok || t.zspo_ok;
            }
            if (done && form[i] != FORM_NONE) {
                defer_after_access(&t, form[i], in);
                redo_track(&t, form[i], in);
                byte_regs_after(&t, form[i], in);
                t.pending++;
                t.native++;
                continue;
            }
        }
        switch (memop ? FORM_NONE : form[i]) {
        case FORM_ALU_RR:
        case FORM_ALU_RI:
            emit_alu_native(&t, in, form[i], live_after[i]);
            break;
        case FORM_UNARY_R:
            emit_unary_native(&t, in, live_after[i]);
            break;
        case FORM_MOV_RR:
        case FORM_MOV_RI:
        case FORM_MOVZX:
        case FORM_MOVSX:
            emit_mov_native(&t, in, form[i]);
            break;
        case FORM_LEA:
            done = emit_lea_native(&t, in, off[i]);
            break;
        case FORM_SETCC:
        case FORM_CMOVCC:
            emit_cond_native(&t, in, form[i]);
            break;
        case FORM_IMUL_RM:
        case FORM_IMUL_RMI:
            emit_imul_native(&t, in, form[i], false, live_after[i]);
            break;
        case FORM_MUL1:
            emit_mul1_native(&t, in, false, live_after[i]);
            break;
        case FORM_DIV:
            emit_div_native(&t, in, false);
            break;
        case FORM_BSF:
        case FORM_TZCNT:
            emit_bitscan_native(&t, in, form[i], false);
            break;
        case FORM_SHIFT_R:
            emit_shift_native(&t, in, live_after[i]);
            break;
        case FORM_JMP_RM:
            done = emit_jmp_rm_native(&t, in, false);
            break;
        case FORM_NOP:
            break;
        case FORM_XMM_LOAD:
        case FORM_XMM_OP:
        case FORM_PMOVMSKB:
            done = emit_xmm_native(&t, in, form[i], false);
            break;
        case FORM_JCC:
        case FORM_JMP_REL: {
            Side *s = &side[t.nside++];
            *s = (Side){ .i = i, .off = off[i], .pending = t.pending, .kind = SIDE_BRANCH, .defer = t.defer };
            emit_label_init(&s->label);
            if (form[i] == FORM_JCC)
                emit_jcc_label(e, cond_prepare(&t, in->sub), &s->label, false);
            else
                emit_jmp_label(e, &s->label, false);
            break;
        }
        default:
            done = false;
            break;
        }
        if (!done && t.defer.on)
            defer_flush_main(&t);
        if (done) {
            if (defer)
                defer_start(&t, form[i], in);
            redo_track(&t, form[i], in);
            byte_regs_after(&t, form[i], in);
            t.pending++;
            t.native++;
            continue;
        }
        assert(!defer && !t.defer.on);
        t.last.on = false;
        t.byte_regs = 0;
        /* A handler call, with the state of jit.h section 3. */
        sync_icount(&t, 0);
        set_rip(&t, off[i]);
        emit_writeback(&t);
        emit_handler_call(&t, i);
        emit_reload(&t);
        Side *s = &side[t.nside++];
        *s = (Side){ .i = i, .off = off[i], .kind = SIDE_HANDLER };
        emit_label_init(&s->label);
        emit_test_rr(e, 4, HR_RAX, HR_RAX);
        emit_jcc_label(e, EMIT_CC_NE, &s->label, false);
        emit_alu_mi(e, EMIT_ADD, 8, emit_mem(JIT_REG_CPU, JIT_OFF_RIP), in->len);
        t.rip_mem = off[i + 1];
        emit_alu_mi(e, EMIT_CMP, 1, emit_mem(JIT_REG_CPU, JIT_OFF_EXIT_BLOCK), 0);
        emit_jcc(e, EMIT_CC_NE, stubs->exit[JIT_EXIT_STOP]);
        t.cf_ok = t.zspo_ok = false;
        t.cf_known = -1;
        t.called++;
    }
    if (t.defer.on)
        defer_emit(&t, &t.defer);
    emit_writeback(&t);
    if (chain_end || call_end) {
        /* The block ended at a page end or its size limit after a native instruction, or after
         * a handler that returned INSN_NEXT: go on to the next block as after a branch (EIP
         * wraps at 4 GiB, as rip_wrap does). */
        block_rip(&t, HR_RAX, off[n]);
        if (bits != 64)
            emit_mov_rr(e, 4, HR_RAX, HR_RAX);
        emit_mov_mr(e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_RIP), HR_RAX);
        sync_icount(&t, 0);
        emit_alu_ri(e, EMIT_SUB, 8, JIT_REG_BUDGET, n);
        if (chain_target_ok(b, off[n], 4))
            chain_emit_site(e, stubs);
        else
            emit_jmp(e, stubs->lookup);
    } else {
        sync_icount(&t, 0);
        set_rip(&t, off[n]);
        emit_jmp(e, stubs->exit[JIT_EXIT_END]);
    }

    for (uint32_t k = 0; k < t.nside; k++) {
        Side *s = &side[k];
        const Insn *in = &b->insns[s->i];
        emit_label_bind(e, &s->label);
        if (s->kind == SIDE_HANDLER) {
            emit_handler_tail(&t, in);
            continue;
        }
        if (s->kind == SIDE_MEM) {
            EmitLabel slow;
            emit_label_init(&slow);
            if (s->reprobe)
                emit_reprobe(&t, s, &slow);
            emit_label_bind(e, &slow);
            emit_mem_slow(&t, s, off[s->i + 1]);
            continue;
        }
        /* A taken branch: rip = target, icount includes the branch. */
        if (s->defer.on)
            defer_emit(&t, &s->defer);
        bool back = (int64_t)s->off + in->len + (int64_t)in->imm == 0 && in->osz != 2;
        if (back && t.called == 0) {
            /* Back to the start of a block without handler calls: nothing can have changed
             * what the entry checked, Cpu.rip still holds the start, the cached registers are
             * live; only the budget is checked. */
            t.pending = s->pending;
            sync_icount(&t, 1);
            emit_alu_ri(e, EMIT_SUB, 8, JIT_REG_BUDGET, s->i + 1);
            EmitLabel leave;
            emit_label_init(&leave);
            emit_alu_ri(e, EMIT_CMP, 8, JIT_REG_BUDGET, n);
            emit_jcc_label(e, EMIT_CC_B, &leave, false);
            /* block_find would ask the TLB for the block's page again: go on only where it
             * holds it (jit/chain.h); r12 holds the start, a flat linear address */
            emit_back_edge_check(e, b, user, &leave);
            emit_jmp(e, body);
            emit_label_bind(e, &leave);
            emit_writeback(&t);
            emit_jmp(e, stubs->exit[JIT_EXIT_JUMP]);
            continue;
        }
        emit_writeback(&t);
        if (back) {
            /* Back to the block's own start (a loop): an internal back-edge with a budget
             * check, through the entry checks again (a handler in the loop may have loaded a
             * segment register). */
            if (bits == 64)
                store_block_rip(&t, 0);
            else
                emit_mov_mr(e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_RIP), HR_R12);
            t.pending = s->pending;
            sync_icount(&t, 1);
            emit_alu_ri(e, EMIT_SUB, 8, JIT_REG_BUDGET, s->i + 1);
            emit_alu_ri(e, EMIT_CMP, 8, JIT_REG_BUDGET, n);
            emit_jcc(e, EMIT_CC_B, stubs->exit[JIT_EXIT_JUMP]);
            EmitLabel leave;
            emit_label_init(&leave);
            emit_back_edge_check(e, b, user, &leave);
            emit_jmp(e, head);
            emit_label_bind(e, &leave);
            emit_jmp(e, stubs->exit[JIT_EXIT_JUMP]);
            continue;
        }
        EmitLabel bad;
        emit_label_init(&bad);
        emit_branch_target(&t, in, s->off, &bad);
        emit_mov_mr(e, 8, emit_mem(JIT_REG_CPU, JIT_OFF_RIP), HR_RAX);
        t.pending = s->pending;
        sync_icount(&t, 1);
        emit_alu_ri(e, EMIT_SUB, 8, JIT_REG_BUDGET, s->i + 1);
        if (chain_target_ok(b, (int64_t)s->off + in->len + (int64_t)in->imm, in->osz))
            chain_emit_site(e, stubs);
        else
            emit_jmp(e, stubs->lookup);
        if (t.bits == 64) {
            /* A non-canonical target: the handler raises the #GP from the synced state. */
            emit_label_bind(e, &bad);
            t.pending = s->pending;
            sync_icount(&t, 0);
            store_block_rip(&t, s->off);
            emit_handler_call(&t, s->i);
            emit_handler_tail(&t, in);
        }
    }
    chain_emit_check(e, chain_field, b, user, class_checked, stubs->exit[JIT_EXIT_LOOKUP]);
    const void *code = codebuf_commit(cb, e);
    if (code)
        code = (const uint8_t *)code + CHAIN_ENTRY_BYTES;
    if (code && st) {
        st->insns_native += t.native;
        st->insns_called += t.called;
        st->host_bytes += emit_size(e);
    }
    return code;
}
