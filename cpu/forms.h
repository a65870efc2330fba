/*
 * forms.h — which handler an Insn carries, for the JIT's native translator (jit/translate.c).
 *
 * The handlers are static in their family files; the translator must not guess an instruction's
 * meaning from Insn.mnem (an unsupported or LOCKed form of ADD carries op_ud with mnem ADD, and
 * MOV Sreg carries mnem MOV with a segment number in r[]).  Each family that has native forms
 * answers for its own handlers by pointer; everything else is FORM_NONE and stays a call.
 * The operand fields keep the meaning the handler gives them (cpu/insn.h, the family file).
 */
#ifndef SOFTVISOR_FORMS_H
#define SOFTVISOR_FORMS_H

#include "cpu/insn.h"

typedef enum InsnForm {
    FORM_NONE,
    FORM_ALU_RR,    /* ADD..CMP r0, r1; sub: the x86 /digit (0-7), 8 = TEST (alu.c) */
    FORM_ALU_RI,    /* the same with imm (sign-extended to osz) */
    FORM_ALU_RM,    /* the same with the memory operand as source */
    FORM_ALU_MR,    /* memory destination, r1 source; sub as above */
    FORM_ALU_MI,    /* memory destination, imm source */
    FORM_UNARY_R,   /* INC DEC NEG NOT r0; sub 0-3 in that order */
    FORM_MOV_RR,    /* MOV r0, r1 */
    FORM_MOV_RI,    /* MOV r0, imm */
    FORM_MOV_RM,    /* MOV r0, m */
    FORM_MOV_MR,    /* MOV m, r1 */
    FORM_MOV_MI,    /* MOV m, imm */
    FORM_MOV_R_MOFFS, /* MOV AL/rAX, moffs: the offset is imm (masked to asz) */
    FORM_MOV_MOFFS_R, /* MOV moffs, AL/rAX (r1) */
    FORM_MOVZX,     /* MOVZX r0, r1 or m; sub = source size */
    FORM_MOVSX,     /* MOVSX/MOVSXD r0, r1 or m; sub = source size */
    FORM_LEA,       /* LEA r0, m */
    FORM_CMOVCC,    /* CMOVcc r0, r1 or m; sub = condition */
    FORM_SETCC,     /* SETcc r0 or m; sub = condition */
    FORM_JCC,       /* Jcc rel; sub = condition, imm = target - next */
    FORM_JMP_REL,   /* JMP rel; imm = target - next */
    FORM_IMUL_RM,   /* IMUL r0, r1 or m (two operands) */
    FORM_IMUL_RMI,  /* IMUL r0, r1 or m, imm (three operands) */
    FORM_MUL1,      /* MUL/IMUL r0 or m (one operand: rDX:rAX = rAX * it); sub 0 MUL, 1 IMUL */
    FORM_DIV,       /* DIV r0 or m (unsigned; rAX, rDX = rDX:rAX / it, the remainder) */
    FORM_BSF,       /* BSF r0, r1 or m (bitops.c) */
    FORM_TZCNT,     /* TZCNT r0, r1 or m */
    FORM_SHIFT_R,   /* group 2 on r0 by CL (r1 = CL) or imm; sub: the /digit (shift.c) */
    FORM_PUSH_R,    /* PUSH r0 (stack.c) */
    FORM_POP_R,     /* POP r0 */
    FORM_CALL_REL,  /* CALL rel; imm = target - next (branch.c) */
    FORM_RET,       /* RET near; imm = bytes to release (0 without) */
    FORM_JMP_RM,    /* JMP r0 or m (near, indirect) */
    FORM_NOP,       /* NOP, NOP r/m and the hints that do nothing (misc.c): no access, no flag */
    /* 128-bit XMM forms (never MMX) that are one SSE2 instruction on the host (simd_form): */
    FORM_XMM_LOAD,  /* xmm r0 = xmm r1 or m128 (MOVAPS/MOVUPS/MOVAPD/MOVUPD, MOVDQA/MOVDQU/LDDQU) */
    FORM_XMM_STORE, /* m128 = xmm r1 (the same, and MOVNTPS/MOVNTPD/MOVNTDQ) */
    FORM_XMM_OP,    /* xmm r0 = op(xmm r0, xmm r1 or m128): PADD/PSUB/PAND/POR/PXOR/PCMPEQ... */
    FORM_PMOVMSKB,  /* r0 (written as 64 bits) = the sign bits of the bytes of xmm r1 */
} InsnForm;

InsnForm alu_form(InsnFn fn);
InsnForm mov_form(InsnFn fn);
InsnForm branch_form(InsnFn fn);
InsnForm muldiv_form(InsnFn fn);
InsnForm shift_form(InsnFn fn);
InsnForm stack_form(InsnFn fn);
InsnForm misc_form(InsnFn fn);
InsnForm bitops_form(InsnFn fn);

static inline InsnForm insn_form(InsnFn fn)
{
    InsnForm f = alu_form(fn);
    if (f == FORM_NONE)
        f = mov_form(fn);
    if (f == FORM_NONE)
        f = branch_form(fn);
    if (f == FORM_NONE)
        f = muldiv_form(fn);
    if (f == FORM_NONE)
        f = shift_form(fn);
    if (f == FORM_NONE)
        f = stack_form(fn);
    if (f == FORM_NONE)
        f = misc_form(fn);
    if (f == FORM_NONE)
        f = bitops_form(fn);
    return f;
}

/* The XMM forms above, answered by sse_int.c and sse_fp_move.c from the whole Insn (the handler
 * alone does not tell a 128-bit move from a MOVSS).  *aligned: a memory operand must be 16-byte
 * aligned (#GP(0) otherwise, simd.h); *opcode: for FORM_XMM_OP, the host's SSE2 instruction
 * 66 0F opcode xmm, xmm/m128, which computes exactly what the handler computes. */
InsnForm sse_int_form(const Insn *in, uint8_t *opcode, bool *aligned);
InsnForm sse_fp_move_form(const Insn *in, bool *aligned);

static inline InsnForm simd_form(const Insn *in, uint8_t *opcode, bool *aligned)
{
    InsnForm f = sse_int_form(in, opcode, aligned);
    return f != FORM_NONE ? f : sse_fp_move_form(in, aligned);
}

#endif
