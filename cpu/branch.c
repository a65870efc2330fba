/*
 * branch.c — near control transfers (SDM vol. 2: Jcc, JMP, CALL, RET, LOOP/LOOPcc,
 * JCXZ/JECXZ/JRCXZ; vol. 1, 6.3).  Far JMP/CALL/RET, IRET and INT are in far.c.
 *
 * Target computation (SDM JMP/CALL pseudo-code):
 *   relative:  next-instruction offset + displacement (Insn.imm);
 *   indirect:  the r/m operand, osz bytes;
 *   then with operand size 16 the target is truncated to 16 bits (IP), outside 64-bit mode to
 *   32 bits.  In 64-bit mode the operand size is 64 (Intel ignores 66 for near branches, and so
 *   does our decoder).
 * Checks before any state changes (and before CALL pushes anything):
 *   outside 64-bit mode a target beyond CS.limit -> #GP(0); in 64-bit mode a non-canonical
 *   target -> #GP(0).
 * CALL pushes the next-instruction offset at operand size; RET pops it and then adds imm16 to
 * rSP (stack-address size).
 * LOOP/LOOPE/LOOPNE decrement the count register (CX/ECX/RCX chosen by the address size) and
 * branch while it is non-zero (and ZF = 1 / ZF = 0); JrCXZ branches when it is zero.  The new
 * count is committed only after the target check.  No flag is changed.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"

/* Truncates a near target to the operand size and checks it against CS (see header). */
static inline uint64_t branch_target(Cpu *cpu, int osz, uint64_t t)
{
    if (osz == 2)
        t &= 0xffff;
    else if (cpu->code_bits != 64)
        t = (uint32_t)t;
    if (cpu->code_bits == 64) {
        if (!canonical(t))
            cpu_raise(cpu, EXC_GP, 0);
    } else if (t > cpu->seg[SEG_CS].limit) {
        cpu_raise(cpu, EXC_GP, 0);
    }
    return t;
}

static inline uint64_t rel_target(Cpu *cpu, const Insn *in)
{
    return branch_target(cpu, in->osz, insn_next(cpu, in) + in->imm);
}

/* Jcc rel8/rel16/rel32: sub = condition code */
static int op_jcc(Cpu *cpu, const Insn *in)
{
    if (!cc_cond(cpu, in->sub))
        return INSN_NEXT;
    cpu->rip = rel_target(cpu, in);
    return INSN_JUMP;
}

static int op_jmp_rel(Cpu *cpu, const Insn *in)
{
    cpu->rip = rel_target(cpu, in);
    return INSN_JUMP;
}

static int op_jmp_rm(Cpu *cpu, const Insn *in)
{
    cpu->rip = branch_target(cpu, in->osz, op_read(cpu, in, 0, in->osz));
    return INSN_JUMP;
}

static int op_call_rel(Cpu *cpu, const Insn *in)
{
    uint64_t t = rel_target(cpu, in);
    cpu_push(cpu, in->osz, insn_next(cpu, in));
    cpu->rip = t;
    return INSN_JUMP;
}

static int op_call_rm(Cpu *cpu, const Insn *in)
{
    uint64_t t = branch_target(cpu, in->osz, op_read(cpu, in, 0, in->osz));
    cpu_push(cpu, in->osz, insn_next(cpu, in));
    cpu->rip = t;
    return INSN_JUMP;
}

/* RET near, optional imm16 (Insn.imm, 0 without) */
static int op_ret(Cpu *cpu, const Insn *in)
{
    uint64_t sp = cpu->gpr[R_SP];
    uint64_t t = branch_target(cpu, in->osz, stack_read_at(cpu, sp, in->osz));
    sp_set(cpu, sp + in->osz + (in->imm & 0xffff));
    cpu->rip = t;
    return INSN_JUMP;
}

/* LOOP / LOOPE / LOOPNE: sub = 0 (LOOP), 1 (LOOPE: ZF must be 1), 2 (LOOPNE: ZF must be 0) */
static int op_loop(Cpu *cpu, const Insn *in)
{
    uint64_t count = (reg_read(cpu, R_CX, in->asz) - 1) & size_mask(in->asz);
    bool taken = count != 0;
    if (taken && in->sub != 0) {
        bool zf = cc_cond(cpu, 4);    /* condition 4 = Z */
        taken = in->sub == 1 ? zf : !zf;
    }
    uint64_t t = taken ? rel_target(cpu, in) : 0;
    reg_write(cpu, R_CX, in->asz, count);
    if (!taken)
        return INSN_NEXT;
    cpu->rip = t;
    return INSN_JUMP;
}

/* JCXZ / JECXZ / JRCXZ: the register width is the address size */
static int op_jrcxz(Cpu *cpu, const Insn *in)
{
    if (reg_read(cpu, R_CX, in->asz) != 0)
        return INSN_NEXT;
    cpu->rip = rel_target(cpu, in);
    return INSN_JUMP;
}

static bool branch_is_far(const DecodeCtx *d)
{
    return d->zi->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR || d->kind[0] == 'p';
}

InsnFn branch_select(DecodeCtx *d, Insn *in)
{
    InsnFn fn;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JL:
    case ZYDIS_MNEMONIC_JLE: case ZYDIS_MNEMONIC_JNB: case ZYDIS_MNEMONIC_JNBE:
    case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JNLE: case ZYDIS_MNEMONIC_JNO:
    case ZYDIS_MNEMONIC_JNP: case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JNZ:
    case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JS:
    case ZYDIS_MNEMONIC_JZ:
        in->sub = d->zi->opcode & 0xf;     /* 70+cc or 0F 80+cc */
        fn = op_jcc;
        break;
    case ZYDIS_MNEMONIC_JMP:
        if (branch_is_far(d))
            return NULL;
        fn = d->kind[0] == 'i' ? op_jmp_rel : op_jmp_rm;
        break;
    case ZYDIS_MNEMONIC_CALL:
        if (branch_is_far(d))
            return NULL;
        fn = d->kind[0] == 'i' ? op_call_rel : op_call_rm;
        break;
    case ZYDIS_MNEMONIC_RET:
        if (branch_is_far(d))
            return NULL;
        fn = op_ret;
        break;
    case ZYDIS_MNEMONIC_LOOP:
        in->sub = 0;
        fn = op_loop;
        break;
    case ZYDIS_MNEMONIC_LOOPE:
        in->sub = 1;
        fn = op_loop;
        break;
    case ZYDIS_MNEMONIC_LOOPNE:
        in->sub = 2;
        fn = op_loop;
        break;
    case ZYDIS_MNEMONIC_JCXZ:
    case ZYDIS_MNEMONIC_JECXZ:
    case ZYDIS_MNEMONIC_JRCXZ:
        fn = op_jrcxz;
        break;
    default:
        return NULL;
    }
    return (in->flags & INSN_LOCK) ? op_ud : fn;
}

InsnForm branch_form(InsnFn fn)
{
    return fn == op_jcc ? FORM_JCC
         : fn == op_jmp_rel ? FORM_JMP_REL
         : fn == op_call_rel ? FORM_CALL_REL
         : fn == op_ret ? FORM_RET
         : fn == op_jmp_rm ? FORM_JMP_RM
         : FORM_NONE;
}
