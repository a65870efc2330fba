/*
 * translate.c — from a decoded Block to host code, following the contract in jit/jit.h.
 *
 * Today every instruction becomes a call to its interpreter handler ("call-threaded" code), with
 * exactly the bookkeeping of run_block() in cpu/exec.c:
 *
 *     cmp  r15, n ; jb exit_budget          the whole block must fit in the budget
 *     mov  rbx, b->insns                    callee-saved: survives the handler calls
 *   for each Insn i:
 *     mov  rdi, rbp ; lea rsi, [rbx + i * sizeof(Insn)]
 *     call in->fn                           cpu->rip is this instruction, as handlers expect
 *     inc  qword [rbp + icount]             retired (a fault longjmps out before this)
 *     test eax, eax ; jnz not_next_i        INSN_JUMP or INSN_END: out of line
 *     add  qword [rbp + rip], len
 *     cmp  byte [rbp + exit_block], 0 ; jne exit_stop     SMC, device deadline, mode change
 *   jmp exit_end
 *   not_next_i:
 *     cmp eax, INSN_JUMP ; je exit_jump      the handler set rip
 *     add qword [rbp + rip], len ; jmp exit_end
 *
 * Instruction lengths and Insn addresses are immediates: after a handler returns, the code reads
 * nothing from the Block, which a store may have invalidated (it stays allocated until the next
 * block_find, cpu/decode.c).  The run loop wraps RIP after exit_end/exit_stop as run_block does.
 */
#include "jit/translate.h"

#include "jit/emit_branch.h"
#include "jit/emit_insn.h"

/* The callee-saved registers the trampoline preserves, in push order. */
static const int saved_regs[6] = { HR_RBX, HR_RBP, HR_R12, HR_R13, HR_R14, HR_R15 };

bool translate_entry(CodeBuf *cb, JitStubs *stubs)
{
    Emitter e;
    if (!codebuf_begin(cb, &e, 256))
        return false;
    for (int i = 0; i < 6; i++)
        emit_push_r(&e, saved_regs[i]);
    emit_alu_ri(&e, EMIT_SUB, 8, HR_RSP, (int64_t)sizeof(JitFrame));
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
    emit_alu_ri(&e, EMIT_ADD, 8, HR_RSP, (int64_t)sizeof(JitFrame));
    for (int i = 5; i >= 0; i--)
        emit_pop_r(&e, saved_regs[i]);
    emit_ret(&e);

    const void *code = codebuf_commit(cb, &e);
    if (!code)
        return false;
    memcpy(&stubs->entry, &code, sizeof(stubs->entry));
    return true;
}

const void *translate_block(CodeBuf *cb, const JitStubs *stubs, const Block *b)
{
    Emitter e;
    if (!codebuf_begin(cb, &e, 256))
        return NULL;
    EmitLabel not_next[BLOCK_MAX_INSNS];
    const EmitMem rip = emit_mem(JIT_REG_CPU, JIT_OFF_RIP);

    emit_alu_ri(&e, EMIT_CMP, 8, JIT_REG_BUDGET, b->n);
    emit_jcc(&e, EMIT_CC_B, stubs->exit[JIT_EXIT_BUDGET]);
    emit_mov_ri(&e, 8, HR_RBX, (uint64_t)(uintptr_t)b->insns);
    for (uint32_t i = 0; i < b->n; i++) {
        const Insn *in = &b->insns[i];
        emit_label_init(&not_next[i]);
        emit_mov_rr(&e, 8, HR_RDI, JIT_REG_CPU);
        emit_lea(&e, 8, HR_RSI, emit_mem(HR_RBX, (int32_t)(i * sizeof(Insn))));
        emit_call(&e, (const void *)(uintptr_t)in->fn);
        emit_unary_m(&e, EMIT_INC, 8, emit_mem(JIT_REG_CPU, JIT_OFF_ICOUNT));
        emit_test_rr(&e, 4, HR_RAX, HR_RAX);
        emit_jcc_label(&e, EMIT_CC_NE, &not_next[i], false);
        emit_alu_mi(&e, EMIT_ADD, 8, rip, in->len);
        emit_alu_mi(&e, EMIT_CMP, 1, emit_mem(JIT_REG_CPU, JIT_OFF_EXIT_BLOCK), 0);
        emit_jcc(&e, EMIT_CC_NE, stubs->exit[JIT_EXIT_STOP]);
    }
    emit_jmp(&e, stubs->exit[JIT_EXIT_END]);
    for (uint32_t i = 0; i < b->n; i++) {
        emit_label_bind(&e, &not_next[i]);
        emit_alu_ri(&e, EMIT_CMP, 4, HR_RAX, INSN_JUMP);
        emit_jcc(&e, EMIT_CC_E, stubs->exit[JIT_EXIT_JUMP]);
        emit_alu_mi(&e, EMIT_ADD, 8, rip, b->insns[i].len);
        emit_jmp(&e, stubs->exit[JIT_EXIT_END]);
    }
    return codebuf_commit(cb, &e);
}
