/*
 * shift.c — shifts and rotates (SDM vol. 2: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD).
 *
 * Count: the immediate (1 for the D0/D1 forms, imm8) or CL, masked to 5 bits (6 bits with a
 * 64-bit operand).  A masked count of 0 changes nothing, not even the flags (but a memory
 * operand is still checked for read and write access, and a 32-bit register destination is
 * still written, clearing bits 63:32, as the hardware does).
 *
 *   SHL/SAL  CF = last bit shifted out; SF ZF PF per result; OF (count 1) = MSB(result) ^ CF.
 *   SHR      CF = last bit shifted out; OF (count 1) = MSB(original).
 *   SAR      CF = last bit shifted out; OF (count 1) = 0.
 *     8/16-bit operands may be shifted by more than their width (count <= 31): the result is 0
 *     (SAR: all sign bits) and CF is the last bit shifted out, 0 past the width (SHL/SHR).
 *     XXX (undefined in the SDM, lazy contract in flags.h): OF for counts > 1 uses the count-1
 *     formulas above, which is what Intel hardware produces; AF is 0.
 *   ROL/ROR  rotate by count mod width; only CF and OF change, whenever the masked count != 0:
 *            ROL: CF = LSB(result), OF = MSB(result) ^ CF;
 *            ROR: CF = MSB(result), OF = MSB(result) ^ MSB-1(result).
 *   RCL/RCR  rotate the (width+1)-bit value CF:operand by (masked count) mod 9 (8-bit), mod 17
 *            (16-bit), or the masked count (32/64-bit); CF and OF change when the masked count
 *            != 0, even when the rotation itself is 0 (8-bit count 9):
 *            RCL: OF = MSB(result) ^ CF(new);  RCR: OF = MSB(result) ^ MSB-1(result)
 *            (for count 1 both are the SDM values; for other counts OF is undefined in the SDM
 *            and these are the formulas Intel hardware applies to every count).
 *   SHLD/SHRD  shift the destination, filling from the source register.  CF = last bit shifted
 *            out, SF ZF PF per result, OF (count 1) = sign change; for other counts the same
 *            lazy SHL/SHR formulas (CF ^ MSB(result) style) as the plain shifts, AF = 0.
 *     XXX: 16-bit operands with a count of 17..31: the SDM says result and flags are undefined;
 *     we model P6-and-later hardware, which shifts the 48-bit value dest:src:dest.
 *
 * LOCK is #UD for all of them (not lockable).
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"

/* Insn.sub: the ModRM.reg encoding of group 2 (SAL /6 decodes as SHL). */
enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAR = 7 };

/* The masked count from operand n: CL (a register operand, always CL) or the immediate. */
static inline unsigned shift_count(const Cpu *cpu, const Insn *in, int n)
{
    uint64_t c = in->r[n] != REG_NONE ? cpu->gpr[R_CX] : in->imm;
    return (unsigned)(c & (in->osz == 8 ? 0x3f : 0x1f));
}

/* Replaces CF and OF in the materialized flags. */
static inline void set_cf_of(Cpu *cpu, bool cf, bool of)
{
    cc_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
}

/* Computes op(a, count) at `size` for count != 0, setting the flags; returns the result. */
static inline uint64_t shift_compute(Cpu *cpu, int op, int size, uint64_t a, unsigned count)
{
    unsigned n = (unsigned)size * 8;
    uint64_t m = size_mask(size), r;
    unsigned c;
    bool cf, msb;
    a &= m;
    switch (op) {
    case SH_SHL:
        /* count <= 31 for 8/16/32-bit, <= 63 for 64-bit: the shifts below stay below 64. */
        r = (a << count) & m;
        cc_set(cpu, CC_OP_SHL, size, r, (a << (count - 1)) & m);
        return r;
    case SH_SHR:
        r = a >> count;
        cc_set(cpu, CC_OP_SHR, size, r, a >> (count - 1));
        return r;
    case SH_SAR: {
        int64_t s = sign_extend(a, size);
        r = (uint64_t)(s >> count) & m;
        cc_set(cpu, CC_OP_SAR, size, r, (uint64_t)(s >> (count - 1)) & m);
        return r;
    }
    case SH_ROL:
        c = count & (n - 1);
        r = c ? ((a << c) | (a >> (n - c))) & m : a;
        cf = r & 1;
        set_cf_of(cpu, cf, ((r >> (n - 1)) & 1) ^ cf);
        return r;
    case SH_ROR:
        c = count & (n - 1);
        r = c ? ((a >> c) | (a << (n - c))) & m : a;
        msb = (r >> (n - 1)) & 1;
        set_cf_of(cpu, msb, msb ^ ((r >> (n - 2)) & 1));
        return r;
    case SH_RCL: {
        bool cin = cc_cf(cpu);
        c = n < 32 ? count % (n + 1) : count;
        if (c == 0) {
            r = a;
            cf = cin;
        } else {
            /* c in 1..n (<= 63 for 64-bit): (a << c) | cin << (c-1) | a >> (n+1-c) */
            r = ((a << c) | ((uint64_t)cin << (c - 1)) | ((a >> 1) >> (n - c))) & m;
            cf = (a >> (n - c)) & 1;
        }
        set_cf_of(cpu, cf, ((r >> (n - 1)) & 1) ^ cf);
        return r;
    }
    default: { /* SH_RCR */
        bool cin = cc_cf(cpu);
        c = n < 32 ? count % (n + 1) : count;
        if (c == 0) {
            r = a;
            cf = cin;
        } else {
            r = ((a >> c) | ((uint64_t)cin << (n - c)) | ((a << 1) << (n - c))) & m;
            cf = (a >> (c - 1)) & 1;
        }
        set_cf_of(cpu, cf, ((r >> (n - 1)) ^ (r >> (n - 2))) & 1);
        return r;
    }
    }
}

static int op_shift_r(Cpu *cpu, const Insn *in)
{
    unsigned count = shift_count(cpu, in, 1);
    if (count == 0) {
        /* The 32-bit destination is still written: bits 63:32 are cleared (seen on hardware). */
        reg_write(cpu, in->r[0], in->osz, reg_read(cpu, in->r[0], in->osz));
        return INSN_NEXT;
    }
    uint64_t a = reg_read(cpu, in->r[0], in->osz);
    reg_write(cpu, in->r[0], in->osz, shift_compute(cpu, in->sub, in->osz, a, count));
    return INSN_NEXT;
}

static int op_shift_m(Cpu *cpu, const Insn *in)
{
    unsigned count = shift_count(cpu, in, 1);
    uint64_t lin;
    uint64_t a = cpu_read_rmw(cpu, in->seg, insn_ea(cpu, in), in->osz, &lin);
    if (count == 0)
        return INSN_NEXT;
    /* The store cannot fault (write access was checked at the read), so the flags may be set
     * before it. */
    uint64_t r = shift_compute(cpu, in->sub, in->osz, a, count);
    cpu_write_lin(cpu, lin, in->osz, r);
    return INSN_NEXT;
}

/* ---- SHLD / SHRD ---- */

/*
 * The double-width value the two instructions shift, as (high..low):
 *   SHLD dest:src, SHRD src:dest; 16-bit operands dest:src:dest (48 bits, see the header).
 * Returns its width in bits in *w.
 */
static inline unsigned __int128 dshift_value(bool left, int size, uint64_t d, uint64_t s, unsigned *w)
{
    unsigned n = (unsigned)size * 8;
    typedef unsigned __int128 u128;
    if (size == 2) {
        *w = 48;
        return ((u128)d << 32) | ((u128)s << 16) | d;
    }
    *w = 2 * n;
    return left ? ((u128)d << n) | s : ((u128)s << n) | d;
}

/* Result of shifting by c (0 <= c <= 31 or 63): the top n bits after a left shift, or the low n
 * bits after a right shift, of the double-width value. */
static inline uint64_t dshift_result(bool left, int size, uint64_t d, uint64_t s, unsigned c)
{
    unsigned w, n = (unsigned)size * 8;
    unsigned __int128 v = dshift_value(left, size, d, s, &w);
    return (uint64_t)(left ? v >> (w - n - c) : v >> c) & size_mask(size);
}

static inline uint64_t dshift_compute(Cpu *cpu, bool left, int size, uint64_t d, uint64_t s, unsigned c)
{
    d &= size_mask(size);
    s &= size_mask(size);
    uint64_t r = dshift_result(left, size, d, s, c);
    /* Lazy SHL/SHR contract: src = the value after c-1 shifts (CF is its top/bottom bit). */
    cc_set(cpu, left ? CC_OP_SHL : CC_OP_SHR, size, r, dshift_result(left, size, d, s, c - 1));
    return r;
}

static int op_dshift_r(Cpu *cpu, const Insn *in)
{
    unsigned c = shift_count(cpu, in, 2);
    if (c == 0) {
        /* As for the plain shifts: a 32-bit destination is written, bits 63:32 cleared. */
        reg_write(cpu, in->r[0], in->osz, reg_read(cpu, in->r[0], in->osz));
        return INSN_NEXT;
    }
    uint64_t d = reg_read(cpu, in->r[0], in->osz), s = reg_read(cpu, in->r[1], in->osz);
    reg_write(cpu, in->r[0], in->osz, dshift_compute(cpu, in->sub == SH_SHL, in->osz, d, s, c));
    return INSN_NEXT;
}

static int op_dshift_m(Cpu *cpu, const Insn *in)
{
    unsigned c = shift_count(cpu, in, 2);
    uint64_t lin;
    uint64_t d = cpu_read_rmw(cpu, in->seg, insn_ea(cpu, in), in->osz, &lin);
    if (c == 0)
        return INSN_NEXT;
    uint64_t s = reg_read(cpu, in->r[1], in->osz);
    uint64_t r = dshift_compute(cpu, in->sub == SH_SHL, in->osz, d, s, c);
    cpu_write_lin(cpu, lin, in->osz, r);
    return INSN_NEXT;
}

static int shift_sub(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_ROL: return SH_ROL;
    case ZYDIS_MNEMONIC_ROR: return SH_ROR;
    case ZYDIS_MNEMONIC_RCL: return SH_RCL;
    case ZYDIS_MNEMONIC_RCR: return SH_RCR;
    case ZYDIS_MNEMONIC_SHL: return SH_SHL;
    case ZYDIS_MNEMONIC_SHR: return SH_SHR;
    case ZYDIS_MNEMONIC_SAR: return SH_SAR;
    default: return -1;
    }
}

InsnFn shift_select(DecodeCtx *d, Insn *in)
{
    const char *k = d->kind;
    ZydisMnemonic mn = d->zi->mnemonic;
    int op = shift_sub(mn);
    if (op >= 0 && d->nops == 2 && (k[1] == 'i' || k[1] == 'r')) {
        if (in->flags & INSN_LOCK)
            return op_ud;
        in->sub = (uint8_t)op;
        return k[0] == 'm' ? op_shift_m : k[0] == 'r' ? op_shift_r : NULL;
    }
    if ((mn == ZYDIS_MNEMONIC_SHLD || mn == ZYDIS_MNEMONIC_SHRD) && d->nops == 3 && k[1] == 'r') {
        if (in->flags & INSN_LOCK)
            return op_ud;
        in->sub = mn == ZYDIS_MNEMONIC_SHLD ? SH_SHL : SH_SHR;
        return k[0] == 'm' ? op_dshift_m : k[0] == 'r' ? op_dshift_r : NULL;
    }
    return NULL;
}

InsnForm shift_form(InsnFn fn)
{
    return fn == op_shift_r ? FORM_SHIFT_R : FORM_NONE;
}
