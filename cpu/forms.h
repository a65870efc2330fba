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
    FORM_SHIFT_R,   /* group 2 on r0 by CL (r1 = CL) or imm; sub: the /digit (shift.c) */
    FORM_PUSH_R,    /* PUSH r0 (stack.c) */
    FORM_POP_R,     /* POP r0 */
    FORM_CALL_REL,  /* CALL rel; imm = target - next (branch.c) */
    FORM_RET,       /* RET near; imm = bytes to release (0 without) */
    FORM_JMP_RM,    /* JMP r0 or m (near, indirect) */
} InsnForm;

InsnForm alu_form(InsnFn fn);
InsnForm mov_form(InsnFn fn);
InsnForm branch_form(InsnFn fn);
InsnForm muldiv_form(InsnFn fn);
InsnForm shift_form(InsnFn fn);
InsnForm stack_form(InsnFn fn);

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
    return f;
}

#endif
