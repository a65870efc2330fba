/*
 * chain.c — patch sites, chain entries and the patching itself (chain.h; the rules and the
 * argument that nothing needs unchaining are in jit.h section 6).
 */
#include "jit/chain.h"

#include <stddef.h>

#include "jit/emit_branch.h"
#include "jit/emit_insn.h"

bool chain_target_ok(const Block *b, int64_t target, int osz)
{
    int64_t in_page = (int64_t)(b->paddr & 0xfff) + target;
    return osz != 2 && in_page >= 0 && in_page < (int64_t)PAGE_SIZE;
}

uint8_t *chain_emit_entry(Emitter *e)
{
    const uint8_t *start = e->p;
    uint8_t *field = emit_jmp32(e);
    assert((e->failed || e->p - start == CHAIN_ENTRY_BYTES) && "Block.jit_code - CHAIN_ENTRY_BYTES");
    (void)start;
    return field;
}

void chain_emit_code_tlb_check(Emitter *e, int user, EmitLabel *miss)
{
    /* rsi = the page, rdx = the entry's offset in its class: ((lin >> 12) & (TLB_SIZE - 1)) * 32,
     * computed as the inline data probe does (translate.c mem_probe) */
    emit_mov_rr(e, 8, HR_RSI, HR_RCX);
    emit_alu_ri(e, EMIT_AND, 8, HR_RSI, -4096);
    emit_mov_rr(e, 8, HR_RDX, HR_RCX);
    emit_shift_ri(e, EMIT_SHR, 8, HR_RDX, 12 - 5);
    emit_alu_ri(e, EMIT_AND, 4, HR_RDX, (TLB_SIZE - 1) << 5);
    int32_t tag = JIT_OFF_TLB + (int32_t)offsetof(TlbEntry, tag_x);
    if (user < 0) {
        /* the class from the key in r8: bit 31 */
        emit_mov_rr(e, 4, HR_RDI, HR_R8);
        emit_shift_ri(e, EMIT_SHR, 4, HR_RDI, 31);
        emit_shift_ri(e, EMIT_SHL, 4, HR_RDI, TLB_BITS + 5);
        emit_alu_rr(e, EMIT_ADD, 4, HR_RDX, HR_RDI);
    } else {
        tag += user * JIT_TLB_CLASS_BYTES;
    }
    emit_alu_rm(e, EMIT_CMP, 8, HR_RSI, emit_mem_idx(JIT_REG_CPU, HR_RDX, 0, tag));
    emit_jcc_label(e, EMIT_CC_NE, miss, false);
}

void chain_emit_page_check(Emitter *e, uint64_t lin, int user, EmitLabel *miss)
{
    uint64_t page = lin & ~(uint64_t)(PAGE_SIZE - 1);
    int32_t tag = JIT_OFF_TLB + user * JIT_TLB_CLASS_BYTES + (int32_t)offsetof(TlbEntry, tag_x) +
                  (int32_t)(((lin >> 12) & (TLB_SIZE - 1)) << 5);
    _Static_assert(sizeof(TlbEntry) == 32, "the entry offset is index << 5");
    if (emit_fits_i32((int64_t)page)) {
        emit_alu_mi(e, EMIT_CMP, 8, emit_mem(JIT_REG_CPU, tag), page);
    } else {
        emit_mov_ri(e, 8, HR_RSI, page);
        emit_alu_rm(e, EMIT_CMP, 8, HR_RSI, emit_mem(JIT_REG_CPU, tag));
    }
    emit_jcc_label(e, EMIT_CC_NE, miss, false);
}

void chain_emit_check(Emitter *e, uint8_t *field, const Block *b, int user, const uint8_t *entry,
                      const uint8_t *lookup_exit)
{
    EmitLabel miss;
    emit_label_init(&miss);
    emit_patch_rel32(field, e->p);
    emit_unary_m(e, EMIT_INC, 8, emit_mem(HR_RSP, (int32_t)offsetof(JitFrame, chains)));
    chain_emit_page_check(e, b->lin, user, &miss);
    emit_movabs(e, HR_RAX, (uint64_t)(uintptr_t)b);
    emit_mov_mr(e, 8, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, cur_block)), HR_RAX);
    emit_jmp(e, entry);
    emit_label_bind(e, &miss);
    emit_jmp(e, lookup_exit);
}

void chain_emit_site(Emitter *e, const JitStubs *stubs)
{
    uint8_t *field = emit_jmp32(e);
    emit_patch_rel32(field, e->p);
    /* r10 = the field's address where it runs: lea r10, [rip + disp32] is 7 bytes */
    emit_lea(e, 8, HR_R10, emit_mem(HR_RIP, (int32_t)(field - (e->p + 7))));
    emit_jmp(e, stubs->chain);
}

void chain_emit_jc_probe(Emitter *e, uint32_t gen, int64_t key, EmitLabel *miss)
{
    const int32_t jc = JIT_OFF_JC;
    chain_emit_code_tlb_check(e, key < 0 ? -1 : (int)((uint64_t)key >> 31), miss);
    /* jc_index(lin) * 3: the entry is at jc + index * 24 */
    emit_mov_rr(e, 8, HR_RDX, HR_RCX);
    emit_shift_ri(e, EMIT_SHR, 8, HR_RDX, JC_BITS);
    emit_alu_rr(e, EMIT_XOR, 8, HR_RDX, HR_RCX);
    emit_alu_ri(e, EMIT_AND, 4, HR_RDX, JC_SIZE - 1);
    emit_lea(e, 8, HR_RDX, emit_mem_idx(HR_RDX, HR_RDX, 1, 0));
    emit_alu_rm(e, EMIT_CMP, 8, HR_RCX, emit_mem_idx(JIT_REG_CPU, HR_RDX, 3, jc));
    emit_jcc_label(e, EMIT_CC_NE, miss, false);
    if (key < 0)
        emit_alu_rm(e, EMIT_CMP, 4, HR_R8, emit_mem_idx(JIT_REG_CPU, HR_RDX, 3, jc + 8));
    else
        emit_alu_mi(e, EMIT_CMP, 4, emit_mem_idx(JIT_REG_CPU, HR_RDX, 3, jc + 8), (int32_t)(uint32_t)key);
    emit_jcc_label(e, EMIT_CC_NE, miss, false);
    emit_mov_rm(e, 8, HR_RSI, emit_mem_idx(JIT_REG_CPU, HR_RDX, 3, jc + 16));
    emit_test_rr(e, 8, HR_RSI, HR_RSI);
    emit_jcc_label(e, EMIT_CC_E, miss, false);
    /* a block that straddles into the next page: block_find asks the TLB for that page too */
    emit_alu_mi(e, EMIT_CMP, 8, emit_mem(HR_RSI, (int32_t)offsetof(Block, paddr2)), -1);
    emit_jcc_label(e, EMIT_CC_NE, miss, false);
    emit_alu_mi(e, EMIT_CMP, 4, emit_mem(HR_RSI, (int32_t)offsetof(Block, jit_gen)), (int32_t)gen);
    emit_jcc_label(e, EMIT_CC_NE, miss, false);
    emit_mov_rm(e, 8, HR_RDI, emit_mem(HR_RSI, (int32_t)offsetof(Block, jit_code)));
    emit_test_rr(e, 8, HR_RDI, HR_RDI);
    emit_jcc_label(e, EMIT_CC_E, miss, false);
}

void chain_emit_probe(Emitter *e, const JitStubs *stubs, const Block *b, int bits, int user)
{
    EmitLabel miss;
    emit_label_init(&miss);
    /* the linear address, as block_find and the stub compute it (cpu_code_lin) */
    emit_mov_rr(e, 8, HR_RCX, HR_RAX);
    if (bits != 64) {
        emit_alu_rm(e, EMIT_ADD, 8, HR_RCX, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, seg[SEG_CS].base)));
        emit_mov_rr(e, 4, HR_RCX, HR_RCX);
    }
    /* the block's mode key is the current one: it runs only under it */
    chain_emit_jc_probe(e, stubs->gen, b->key | (uint32_t)user << 31, &miss);
    emit_unary_m(e, EMIT_INC, 8, emit_mem(HR_RSP, (int32_t)offsetof(JitFrame, probe_hits)));
    emit_mov_mr(e, 8, emit_mem(JIT_REG_CPU, (int32_t)offsetof(Cpu, cur_block)), HR_RSI);
    emit_jmp_r(e, HR_RDI);
    emit_label_bind(e, &miss);
    emit_jmp(e, stubs->lookup);
}

bool chain_may_link(const Block *from, const Block *to, uint32_t gen)
{
    /* `to` lies whole on `from`'s first page, so every invalidation that drops `to` drops
     * `from` and its patched jump with it; the same mode key, so `from` runs only where `to`
     * may run; both in this code generation.  The page offset needs no check: the jump cache
     * found `to` at the site's target, and a linear and a physical address share it. */
    return from->jit_gen == gen && to->jit_gen == gen && to->jit_code && to->paddr2 == ~0ull &&
           to->key == from->key && to->jit_user == from->jit_user &&
           (to->paddr & PAGE_MASK) == (from->paddr & PAGE_MASK);
}

void chain_link(CodeBuf *cb, const uint8_t *field, const Block *to)
{
    assert(field >= cb->rx && field + 4 <= cb->rx + cb->used && "a patch site in the code buffer");
    const uint8_t *entry = (const uint8_t *)to->jit_code - CHAIN_ENTRY_BYTES;
    /* Written through the RW view; the rel32 is relative, the same in both views.  x86 keeps
     * instruction fetch coherent with the store (codebuf.h), and the site runs next only after
     * the stub's indirect jump. */
    emit_patch_rel32(cb->rw + (field - cb->rx), cb->rw + (entry - cb->rx));
}
