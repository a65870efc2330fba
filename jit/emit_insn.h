/*
 * emit_insn.h — integer instruction forms: MOV family, LEA, the ALU group, TEST, INC/DEC/NEG/NOT,
 * shifts and rotates, IMUL, XCHG, BT, PUSH/POP.  Opcodes from SDM vol. 2 (appendix A, opcode map).
 *
 * Naming: emit_<insn>_<operands> with r = register, m = memory (EmitMem), i = immediate; the
 * destination comes first, as in Intel syntax.  `size` is the operand size in bytes (1, 2, 4, 8);
 * 8-bit register operands may be HR_AH..HR_BH where no REX is needed.  Immediates of 64-bit
 * operations are sign-extended imm32 (the caller makes sure the value fits: assert).
 */
#ifndef SOFTVISOR_EMIT_INSN_H
#define SOFTVISOR_EMIT_INSN_H

#include "jit/emit.h"

/* 8-bit opcodes are the 16/32/64-bit ones minus one (88/89, 84/85, C6/C7, F6/F7...). */
static inline uint32_t emit__w(uint32_t opc, int size) { return size == 1 ? opc - 1 : opc; }

/* ---- MOV, MOVZX, MOVSX, MOVSXD, LEA ---- */

static inline void emit_mov_rr(Emitter *e, int size, int dst, int src)
{
    emit__rr(e, size, emit__w(0x89, size), src, dst);
}

static inline void emit_mov_rm(Emitter *e, int size, int dst, EmitMem m)
{
    emit__rm(e, size, emit__w(0x8b, size), dst, m);
}

static inline void emit_mov_mr(Emitter *e, int size, EmitMem m, int src)
{
    emit__rm(e, size, emit__w(0x89, size), src, m);
}

/* mov r, imm with the shortest encoding: for 64 bits a zero-extending mov r32, imm32, else a
 * sign-extended C7 /0 imm32, else movabs. */
static inline void emit_mov_ri(Emitter *e, int size, int dst, uint64_t imm)
{
    if (size == 8 && imm > 0xffffffffu) {
        if (emit_fits_i32((int64_t)imm)) {
            emit__dr(e, 8, 0xc7, 0, dst);
            emit__u32(e, (uint32_t)imm);
            return;
        }
        emit__begin(e);
        emit__head(e, 8, 0, HR_NONE, dst, false, false, 0xb8 + (dst & 7u));
        emit__u64(e, imm);
        return;
    }
    if (size == 8)
        size = 4;
    emit__begin(e);
    emit__head(e, size, 0, HR_NONE, dst, false, size == 1, (size == 1 ? 0xb0 : 0xb8) + (dst & 7u));
    emit__imm(e, size, imm);
}

/* movabs r64, imm64 (REX.W B8+r io), always ten bytes: for constants patched later. */
static inline void emit_movabs(Emitter *e, int dst, uint64_t imm)
{
    emit__begin(e);
    emit__head(e, 8, 0, HR_NONE, dst, false, false, 0xb8 + (dst & 7u));
    emit__u64(e, imm);
}

static inline void emit_mov_mi(Emitter *e, int size, EmitMem m, uint64_t imm)
{
    assert(size != 8 || emit_fits_i32((int64_t)imm));
    emit__dm(e, size, emit__w(0xc7, size), 0, m);
    emit__imm(e, size, imm);
}

/* movzx/movsx dst (dsize 2, 4, 8), src of ssize 1 or 2. */
static inline void emit__movx_rr(Emitter *e, uint32_t opc, int dsize, int dst, int ssize, int src)
{
    emit__begin(e);
    emit__head(e, dsize, dst, HR_NONE, src, false, ssize == 1, opc + (ssize == 2));
    emit__modrm_reg(e, dst, src);
}

static inline void emit__movx_rm(Emitter *e, uint32_t opc, int dsize, int dst, int ssize, EmitMem m)
{
    (void)ssize;
    emit__rm(e, dsize, opc + (ssize == 2), dst, m);
}

static inline void emit_movzx_rr(Emitter *e, int dsize, int dst, int ssize, int src)
{
    emit__movx_rr(e, 0x0fb6, dsize, dst, ssize, src);
}

static inline void emit_movzx_rm(Emitter *e, int dsize, int dst, int ssize, EmitMem m)
{
    emit__movx_rm(e, 0x0fb6, dsize, dst, ssize, m);
}

static inline void emit_movsx_rr(Emitter *e, int dsize, int dst, int ssize, int src)
{
    emit__movx_rr(e, 0x0fbe, dsize, dst, ssize, src);
}

static inline void emit_movsx_rm(Emitter *e, int dsize, int dst, int ssize, EmitMem m)
{
    emit__movx_rm(e, 0x0fbe, dsize, dst, ssize, m);
}

/* movsxd r64, r/m32 (REX.W 63 /r). */
static inline void emit_movsxd_rr(Emitter *e, int dst, int src)
{
    emit__rr(e, 8, 0x63, dst, src);
}

static inline void emit_movsxd_rm(Emitter *e, int dst, EmitMem m)
{
    emit__rm(e, 8, 0x63, dst, m);
}

/* lea r (size 2, 4, 8), m */
static inline void emit_lea(Emitter *e, int size, int dst, EmitMem m)
{
    emit__rm(e, size, 0x8d, dst, m);
}

/* ---- ADD OR ADC SBB AND SUB XOR CMP: the /digit is the operation ---- */

enum { EMIT_ADD, EMIT_OR, EMIT_ADC, EMIT_SBB, EMIT_AND, EMIT_SUB, EMIT_XOR, EMIT_CMP };

static inline void emit_alu_rr(Emitter *e, int op, int size, int dst, int src)
{
    emit__rr(e, size, emit__w((uint32_t)op * 8 + 1, size), src, dst);
}

static inline void emit_alu_rm(Emitter *e, int op, int size, int dst, EmitMem m)
{
    emit__rm(e, size, emit__w((uint32_t)op * 8 + 3, size), dst, m);
}

static inline void emit_alu_mr(Emitter *e, int op, int size, EmitMem m, int src)
{
    emit__rm(e, size, emit__w((uint32_t)op * 8 + 1, size), src, m);
}

/* op r, imm: imm8 sign-extended (83) when it fits, the short AL/AX/EAX/RAX form (04+8*op), or
 * 80/81 /op. */
static inline void emit_alu_ri(Emitter *e, int op, int size, int dst, int64_t imm)
{
    assert(size != 8 || emit_fits_i32(imm));
    if (size != 1 && emit_fits_i8(imm)) {
        emit__dr(e, size, 0x83, op, dst);
        emit__u8(e, (uint32_t)imm);
    } else if (dst == HR_RAX) {
        emit__begin(e);
        emit__head(e, size, 0, HR_NONE, HR_NONE, false, false, emit__w((uint32_t)op * 8 + 5, size));
        emit__imm(e, size, (uint64_t)imm);
    } else {
        emit__dr(e, size, emit__w(0x81, size), op, dst);
        emit__imm(e, size, (uint64_t)imm);
    }
}

static inline void emit_alu_mi(Emitter *e, int op, int size, EmitMem m, int64_t imm)
{
    assert(size != 8 || emit_fits_i32(imm));
    if (size != 1 && emit_fits_i8(imm)) {
        emit__dm(e, size, 0x83, op, m);
        emit__u8(e, (uint32_t)imm);
    } else {
        emit__dm(e, size, emit__w(0x81, size), op, m);
        emit__imm(e, size, (uint64_t)imm);
    }
}

/* ---- TEST ---- */

static inline void emit_test_rr(Emitter *e, int size, int a, int b)
{
    emit__rr(e, size, emit__w(0x85, size), b, a);
}

static inline void emit_test_mr(Emitter *e, int size, EmitMem m, int r)
{
    emit__rm(e, size, emit__w(0x85, size), r, m);
}

static inline void emit_test_ri(Emitter *e, int size, int r, int64_t imm)
{
    assert(size != 8 || emit_fits_i32(imm));
    if (r == HR_RAX) {
        emit__begin(e);
        emit__head(e, size, 0, HR_NONE, HR_NONE, false, false, emit__w(0xa9, size));
    } else {
        emit__dr(e, size, emit__w(0xf7, size), 0, r);
    }
    emit__imm(e, size, (uint64_t)imm);
}

static inline void emit_test_mi(Emitter *e, int size, EmitMem m, int64_t imm)
{
    assert(size != 8 || emit_fits_i32(imm));
    emit__dm(e, size, emit__w(0xf7, size), 0, m);
    emit__imm(e, size, (uint64_t)imm);
}

/* ---- INC DEC NOT NEG: FE/FF /0 /1, F6/F7 /2 /3; one-operand MUL IMUL: F6/F7 /4 /5 (rDX:rAX =
 * rAX * the operand, AX = AL * it for bytes); DIV: F6/F7 /6 (rAX, rDX = rDX:rAX / the operand
 * and the remainder; #DE on the host for a 0 divisor or a quotient that does not fit) ---- */

enum { EMIT_INC, EMIT_DEC, EMIT_NOT, EMIT_NEG, EMIT_MUL, EMIT_IMUL1, EMIT_DIV };

static inline uint32_t emit__unary_opc(int op, int size) { return emit__w(op <= EMIT_DEC ? 0xff : 0xf7, size); }

static inline void emit_unary_r(Emitter *e, int op, int size, int r)
{
    emit__dr(e, size, emit__unary_opc(op, size), op, r);
}

static inline void emit_unary_m(Emitter *e, int op, int size, EmitMem m)
{
    emit__dm(e, size, emit__unary_opc(op, size), op, m);
}

/* ---- shifts and rotates: C0/C1 ib, D0/D1 (by 1), D2/D3 (by CL); the /digit is the operation ---- */

enum { EMIT_ROL, EMIT_ROR, EMIT_RCL, EMIT_RCR, EMIT_SHL, EMIT_SHR, EMIT_SAR = 7 };

static inline void emit_shift_r1(Emitter *e, int op, int size, int r)
{
    emit__dr(e, size, emit__w(0xd1, size), op, r);
}

static inline void emit_shift_ri(Emitter *e, int op, int size, int r, uint8_t count)
{
    emit__dr(e, size, emit__w(0xc1, size), op, r);
    emit__u8(e, count);
}

static inline void emit_shift_rcl(Emitter *e, int op, int size, int r)
{
    emit__dr(e, size, emit__w(0xd3, size), op, r);
}

static inline void emit_shift_m1(Emitter *e, int op, int size, EmitMem m)
{
    emit__dm(e, size, emit__w(0xd1, size), op, m);
}

static inline void emit_shift_mi(Emitter *e, int op, int size, EmitMem m, uint8_t count)
{
    emit__dm(e, size, emit__w(0xc1, size), op, m);
    emit__u8(e, count);
}

static inline void emit_shift_mcl(Emitter *e, int op, int size, EmitMem m)
{
    emit__dm(e, size, emit__w(0xd3, size), op, m);
}

/* ---- IMUL (size 2, 4, 8): 0F AF /r, 6B /r ib, 69 /r iw/id ---- */

static inline void emit_imul_rr(Emitter *e, int size, int dst, int src)
{
    emit__rr(e, size, 0x0faf, dst, src);
}

static inline void emit_imul_rm(Emitter *e, int size, int dst, EmitMem m)
{
    emit__rm(e, size, 0x0faf, dst, m);
}

static inline void emit_imul_rri(Emitter *e, int size, int dst, int src, int64_t imm)
{
    assert(size != 8 || emit_fits_i32(imm));
    bool i8 = emit_fits_i8(imm);
    emit__rr(e, size, i8 ? 0x6b : 0x69, dst, src);
    emit__imm(e, i8 ? 1 : size, (uint64_t)imm);
}

static inline void emit_imul_rmi(Emitter *e, int size, int dst, EmitMem m, int64_t imm)
{
    assert(size != 8 || emit_fits_i32(imm));
    bool i8 = emit_fits_i8(imm);
    emit__rm(e, size, i8 ? 0x6b : 0x69, dst, m);
    emit__imm(e, i8 ? 1 : size, (uint64_t)imm);
}

/* ---- XCHG r/m, r (86/87 /r), BT (0F A3 /r, 0F BA /4 ib) and BSF (0F BC /r); size 2, 4, 8 ---- */

static inline void emit_xchg_rr(Emitter *e, int size, int a, int b)
{
    emit__rr(e, size, emit__w(0x87, size), b, a);
}

static inline void emit_xchg_mr(Emitter *e, int size, EmitMem m, int r)
{
    emit__rm(e, size, emit__w(0x87, size), r, m);
}

static inline void emit_bt_rr(Emitter *e, int size, int base, int bit)
{
    emit__rr(e, size, 0x0fa3, bit, base);
}

static inline void emit_bt_mr(Emitter *e, int size, EmitMem m, int bit)
{
    emit__rm(e, size, 0x0fa3, bit, m);
}

static inline void emit_bt_ri(Emitter *e, int size, int base, uint8_t bit)
{
    emit__dr(e, size, 0x0fba, 4, base);
    emit__u8(e, bit);
}

static inline void emit_bt_mi(Emitter *e, int size, EmitMem m, uint8_t bit)
{
    emit__dm(e, size, 0x0fba, 4, m);
    emit__u8(e, bit);
}

/* dst = the index of the lowest set bit of src; ZF = (src == 0), dst undefined then. */
static inline void emit_bsf_rr(Emitter *e, int size, int dst, int src)
{
    emit__rr(e, size, 0x0fbc, dst, src);
}

/* ---- PUSH / POP: always 64-bit (the default operand size of stack operations in 64-bit mode) ---- */

static inline void emit_push_r(Emitter *e, int r)
{
    emit__begin(e);
    emit__head(e, 4, 0, HR_NONE, r, false, false, 0x50 + (r & 7u));
}

static inline void emit_pop_r(Emitter *e, int r)
{
    emit__begin(e);
    emit__head(e, 4, 0, HR_NONE, r, false, false, 0x58 + (r & 7u));
}

static inline void emit_push_m(Emitter *e, EmitMem m)
{
    emit__dm(e, 4, 0xff, 6, m);
}

static inline void emit_pop_m(Emitter *e, EmitMem m)
{
    emit__dm(e, 4, 0x8f, 0, m);
}

/* push imm (sign-extended to 64 bits): 6A ib or 68 id */
static inline void emit_push_i(Emitter *e, int32_t imm)
{
    emit__begin(e);
    if (emit_fits_i8(imm)) {
        emit__u8(e, 0x6a);
        emit__u8(e, (uint32_t)imm);
    } else {
        emit__u8(e, 0x68);
        emit__u32(e, (uint32_t)imm);
    }
}

#endif
