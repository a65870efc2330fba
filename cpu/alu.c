/*
 * alu.c — two-operand integer arithmetic and logic, and the one-operand INC DEC NEG NOT
 * (SDM vol. 2: ADD, ADC, SUB, SBB, AND, OR, XOR, CMP, TEST, INC, DEC, NEG, NOT;
 *  flag effects: SDM vol. 1, appendix A, table A-2).
 *
 *   ADD  d = a + b          CF OF SF ZF AF PF per result
 *   ADC  d = a + b + CF     as ADD, carry-in included
 *   SUB  d = a - b          CF = borrow; CMP computes SUB and discards d
 *   SBB  d = a - b - CF     as SUB, borrow-in included
 *   AND OR XOR TEST         CF = OF = 0, SF ZF PF per result, AF undefined (we give 0)
 *   INC DEC                 as ADD/SUB 1, CF unchanged
 *   NEG  d = 0 - a          CF = (a != 0), other flags as SUB
 *   NOT  d = ~a             no flags
 *
 * Forms: every operand combination Zydis presents (register, memory or immediate source;
 * register or memory destination; the AL/AX/EAX/RAX accumulator forms are register forms).
 * Immediates arrive sign-extended to the operand size by the decoder.
 *
 * LOCK (SDM vol. 2, LOCK): allowed only with a memory destination on ADD ADC SUB SBB AND OR XOR
 * INC DEC NEG NOT; CMP, TEST and any register destination give #UD.  The emulated machine runs
 * one CPU per thread of guest memory, so a locked read-modify-write needs nothing more.
 *
 * Flags are lazy (cpu/flags.h): each handler records (CC_OP, result, operand[, carry-in]).
 * A memory read-modify-write checks write access at the read (cpu_read_rmw), so nothing faults
 * after the destination is read; flags are recorded after the store, the last thing done.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"

/* Insn.sub for the two-operand group: the x86 encoding order (opcode bits 5:3), plus TEST. */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST };

/* The result of a OP b (c = carry/borrow in for ADC/SBB), masked by m. */
static inline uint64_t alu_result(int op, uint64_t a, uint64_t b, uint64_t c, uint64_t m)
{
    switch (op) {
    case ALU_ADD: return (a + b) & m;
    case ALU_ADC: return (a + b + c) & m;
    case ALU_SBB: return (a - b - c) & m;
    case ALU_SUB:
    case ALU_CMP: return (a - b) & m;
    case ALU_OR: return (a | b) & m;
    case ALU_XOR: return (a ^ b) & m;
    default: return a & b & m;       /* AND, TEST */
    }
}

/* Records the flags of a OP b = r (lazy, flags.h contract). */
static inline void alu_flags(Cpu *cpu, int op, int size, uint64_t r, uint64_t b, uint64_t c)
{
    switch (op) {
    case ALU_ADD: cc_set(cpu, CC_OP_ADD, size, r, b); break;
    case ALU_ADC: cc_set3(cpu, CC_OP_ADC, size, r, b, c); break;
    case ALU_SBB: cc_set3(cpu, CC_OP_SBB, size, r, b, c); break;
    case ALU_SUB:
    case ALU_CMP: cc_set(cpu, CC_OP_SUB, size, r, b); break;
    default: cc_set(cpu, CC_OP_LOGIC, size, r, 0); break;
    }
}

/* CMP and TEST only read their first operand. */
static inline bool alu_writes(int op) { return op != ALU_CMP && op != ALU_TEST; }

/* Carry/borrow in, read before anything changes the flags. */
static inline uint64_t alu_carry(const Cpu *cpu, int op)
{
    return (op == ALU_ADC || op == ALU_SBB) ? cc_cf(cpu) : 0;
}

/* Register destination: a = register r[0], b = source.  Called with a constant `op` from the
 * per-operation handlers below, so each compiles to straight-line code. */
static inline __attribute__((always_inline)) void alu_reg(Cpu *cpu, const Insn *in, int op, uint64_t b)
{
    int size = in->osz;
    uint64_t m = size_mask(size);
    uint64_t c = alu_carry(cpu, op);
    b &= m;
    uint64_t r = alu_result(op, reg_read(cpu, in->r[0], size), b, c, m);
    if (alu_writes(op))
        reg_write(cpu, in->r[0], size, r);
    alu_flags(cpu, op, size, r, b, c);
}

/* Register-destination forms, one handler per operation (the hot path of integer code). */
static inline __attribute__((always_inline)) uint64_t src_r(Cpu *cpu, const Insn *in)
{
    return reg_read(cpu, in->r[1], in->osz);
}

static inline __attribute__((always_inline)) uint64_t src_m(Cpu *cpu, const Insn *in)
{
    return cpu_read(cpu, in->seg, insn_ea(cpu, in), in->osz);
}

static int op_add_r_r(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_ADD, src_r(cpu, in)); return INSN_NEXT; }
static int op_add_r_m(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_ADD, src_m(cpu, in)); return INSN_NEXT; }
static int op_add_r_i(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_ADD, in->imm); return INSN_NEXT; }
static int op_or_r_r(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_OR, src_r(cpu, in)); return INSN_NEXT; }
static int op_or_r_m(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_OR, src_m(cpu, in)); return INSN_NEXT; }
static int op_or_r_i(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_OR, in->imm); return INSN_NEXT; }
static int op_adc_r_r(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_ADC, src_r(cpu, in)); return INSN_NEXT; }
static int op_adc_r_m(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_ADC, src_m(cpu, in)); return INSN_NEXT; }
static int op_adc_r_i(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_ADC, in->imm); return INSN_NEXT; }
static int op_sbb_r_r(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_SBB, src_r(cpu, in)); return INSN_NEXT; }
static int op_sbb_r_m(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_SBB, src_m(cpu, in)); return INSN_NEXT; }
static int op_sbb_r_i(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_SBB, in->imm); return INSN_NEXT; }
static int op_and_r_r(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_AND, src_r(cpu, in)); return INSN_NEXT; }
static int op_and_r_m(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_AND, src_m(cpu, in)); return INSN_NEXT; }
static int op_and_r_i(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_AND, in->imm); return INSN_NEXT; }
static int op_sub_r_r(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_SUB, src_r(cpu, in)); return INSN_NEXT; }
static int op_sub_r_m(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_SUB, src_m(cpu, in)); return INSN_NEXT; }
static int op_sub_r_i(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_SUB, in->imm); return INSN_NEXT; }
static int op_xor_r_r(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_XOR, src_r(cpu, in)); return INSN_NEXT; }
static int op_xor_r_m(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_XOR, src_m(cpu, in)); return INSN_NEXT; }
static int op_xor_r_i(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_XOR, in->imm); return INSN_NEXT; }
static int op_cmp_r_r(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_CMP, src_r(cpu, in)); return INSN_NEXT; }
static int op_cmp_r_m(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_CMP, src_m(cpu, in)); return INSN_NEXT; }
static int op_cmp_r_i(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_CMP, in->imm); return INSN_NEXT; }
static int op_test_r_r(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_TEST, src_r(cpu, in)); return INSN_NEXT; }
static int op_test_r_m(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_TEST, src_m(cpu, in)); return INSN_NEXT; }
static int op_test_r_i(Cpu *cpu, const Insn *in) { alu_reg(cpu, in, ALU_TEST, in->imm); return INSN_NEXT; }

/* Indexed by ALU_x, for the three source forms. */
static const InsnFn alu_r_r[] = {
    op_add_r_r, op_or_r_r, op_adc_r_r, op_sbb_r_r, op_and_r_r, op_sub_r_r, op_xor_r_r, op_cmp_r_r, op_test_r_r,
};
static const InsnFn alu_r_m[] = {
    op_add_r_m, op_or_r_m, op_adc_r_m, op_sbb_r_m, op_and_r_m, op_sub_r_m, op_xor_r_m, op_cmp_r_m, op_test_r_m,
};
static const InsnFn alu_r_i[] = {
    op_add_r_i, op_or_r_i, op_adc_r_i, op_sbb_r_i, op_and_r_i, op_sub_r_i, op_xor_r_i, op_cmp_r_i, op_test_r_i,
};

/* Memory destination: read-modify-write (write access checked at the read), or a plain read
 * for CMP/TEST. */
static inline void alu_mem(Cpu *cpu, const Insn *in, uint64_t b)
{
    int size = in->osz, op = in->sub;
    uint64_t m = size_mask(size);
    uint64_t ea = insn_ea(cpu, in), c = alu_carry(cpu, op), r;
    b &= m;
    if (alu_writes(op)) {
        uint64_t lin;
        uint64_t a = cpu_read_rmw(cpu, in->seg, ea, size, &lin);
        r = alu_result(op, a, b, c, m);
        cpu_write_lin(cpu, lin, size, r);
    } else {
        r = alu_result(op, cpu_read(cpu, in->seg, ea, size), b, c, m);
    }
    alu_flags(cpu, op, size, r, b, c);
}

static int op_alu_m_r(Cpu *cpu, const Insn *in)
{
    alu_mem(cpu, in, reg_read(cpu, in->r[1], in->osz));
    return INSN_NEXT;
}

static int op_alu_m_i(Cpu *cpu, const Insn *in)
{
    alu_mem(cpu, in, in->imm);
    return INSN_NEXT;
}

/* ---- one-operand group: INC DEC NEG NOT (Insn.sub) ---- */
enum { UN_INC, UN_DEC, UN_NEG, UN_NOT };

static inline uint64_t unary_result(int op, uint64_t a, uint64_t m)
{
    switch (op) {
    case UN_INC: return (a + 1) & m;
    case UN_DEC: return (a - 1) & m;
    case UN_NEG: return (0 - a) & m;
    default: return ~a & m;
    }
}

/* `cf` is CF before the instruction (INC/DEC keep it). */
static inline void unary_flags(Cpu *cpu, int op, int size, uint64_t r, uint64_t a, bool cf)
{
    switch (op) {
    case UN_INC: cc_set3(cpu, CC_OP_INC, size, r, 0, cf); break;
    case UN_DEC: cc_set3(cpu, CC_OP_DEC, size, r, 0, cf); break;
    case UN_NEG: cc_set(cpu, CC_OP_SUB, size, r, a); break;   /* 0 - a: CF = (a != 0) */
    default: break;
    }
}

static inline __attribute__((always_inline)) int unary_r(Cpu *cpu, const Insn *in, int op)
{
    int size = in->osz;
    bool cf = (op == UN_INC || op == UN_DEC) && cc_cf(cpu);
    uint64_t a = reg_read(cpu, in->r[0], size);
    uint64_t r = unary_result(op, a, size_mask(size));
    reg_write(cpu, in->r[0], size, r);
    unary_flags(cpu, op, size, r, a, cf);
    return INSN_NEXT;
}

static int op_inc_r(Cpu *cpu, const Insn *in) { return unary_r(cpu, in, UN_INC); }
static int op_dec_r(Cpu *cpu, const Insn *in) { return unary_r(cpu, in, UN_DEC); }
static int op_neg_r(Cpu *cpu, const Insn *in) { return unary_r(cpu, in, UN_NEG); }
static int op_not_r(Cpu *cpu, const Insn *in) { return unary_r(cpu, in, UN_NOT); }
static const InsnFn unary_r_ops[] = { op_inc_r, op_dec_r, op_neg_r, op_not_r };

static int op_unary_m(Cpu *cpu, const Insn *in)
{
    int size = in->osz, op = in->sub;
    bool cf = (op == UN_INC || op == UN_DEC) && cc_cf(cpu);
    uint64_t lin;
    uint64_t a = cpu_read_rmw(cpu, in->seg, insn_ea(cpu, in), size, &lin);
    uint64_t r = unary_result(op, a, size_mask(size));
    cpu_write_lin(cpu, lin, size, r);
    unary_flags(cpu, op, size, r, a, cf);
    return INSN_NEXT;
}

static int alu_binary_sub(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_ADD: return ALU_ADD;
    case ZYDIS_MNEMONIC_OR: return ALU_OR;
    case ZYDIS_MNEMONIC_ADC: return ALU_ADC;
    case ZYDIS_MNEMONIC_SBB: return ALU_SBB;
    case ZYDIS_MNEMONIC_AND: return ALU_AND;
    case ZYDIS_MNEMONIC_SUB: return ALU_SUB;
    case ZYDIS_MNEMONIC_XOR: return ALU_XOR;
    case ZYDIS_MNEMONIC_CMP: return ALU_CMP;
    case ZYDIS_MNEMONIC_TEST: return ALU_TEST;
    default: return -1;
    }
}

static int alu_unary_sub(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_INC: return UN_INC;
    case ZYDIS_MNEMONIC_DEC: return UN_DEC;
    case ZYDIS_MNEMONIC_NEG: return UN_NEG;
    case ZYDIS_MNEMONIC_NOT: return UN_NOT;
    default: return -1;
    }
}

InsnFn alu_select(DecodeCtx *d, Insn *in)
{
    const char *k = d->kind;
    bool lock = in->flags & INSN_LOCK;
    int op = alu_binary_sub(d->zi->mnemonic);
    if (op >= 0 && d->nops == 2) {
        in->sub = (uint8_t)op;
        if (lock && (k[0] != 'm' || !alu_writes(op)))
            return op_ud;
        if (k[0] == 'r' && k[1] == 'r') return alu_r_r[op];
        if (k[0] == 'r' && k[1] == 'm') return alu_r_m[op];
        if (k[0] == 'r' && k[1] == 'i') return alu_r_i[op];
        if (k[0] == 'm' && k[1] == 'r') return op_alu_m_r;
        if (k[0] == 'm' && k[1] == 'i') return op_alu_m_i;
        return NULL;
    }
    op = alu_unary_sub(d->zi->mnemonic);
    if (op >= 0 && d->nops == 1) {
        in->sub = (uint8_t)op;
        if (lock && k[0] != 'm')
            return op_ud;
        if (k[0] == 'r') return unary_r_ops[op];
        if (k[0] == 'm') return op_unary_m;
    }
    return NULL;
}

InsnForm alu_form(InsnFn fn)
{
    for (size_t i = 0; i < sizeof(alu_r_r) / sizeof(alu_r_r[0]); i++) {
        if (fn == alu_r_r[i])
            return FORM_ALU_RR;
        if (fn == alu_r_i[i])
            return FORM_ALU_RI;
        if (fn == alu_r_m[i])
            return FORM_ALU_RM;
    }
    if (fn == op_alu_m_r)
        return FORM_ALU_MR;
    if (fn == op_alu_m_i)
        return FORM_ALU_MI;
    for (size_t i = 0; i < sizeof(unary_r_ops) / sizeof(unary_r_ops[0]); i++)
        if (fn == unary_r_ops[i])
            return FORM_UNARY_R;
    return FORM_NONE;
}
