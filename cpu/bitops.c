/*
 * bitops.c — bit test and scan (SDM vol. 2: BT, BTS, BTR, BTC, BSF, BSR, POPCNT, LZCNT, TZCNT,
 * and BMI1's ANDN, BEXTR, BLSI, BLSMSK, BLSR).
 *
 *   BT/BTS/BTR/BTC base, offset
 *     register base: bit = offset mod width.
 *     memory base, immediate offset: bit = imm8 mod width, in the operand at the address.
 *     memory base, register offset: the offset is a signed integer of the operand size and may
 *       address outside the operand: the operand read is at EA + width/8 * floor(offset / width)
 *       (wrapped to the address size), bit = offset mod width ("bit string" addressing, SDM BT).
 *     CF = the old bit; BTS sets it, BTR clears it, BTC flips it.  ZF is unchanged; OF SF AF PF
 *     are undefined: XXX we leave them unchanged.
 *   BSF/BSR  source 0: ZF = 1 and the destination is left unchanged (what Intel and AMD hardware
 *     do; the SDM calls the destination undefined).  Otherwise ZF = 0 and the destination is the
 *     index of the lowest/highest set bit.  CF OF SF AF PF undefined: XXX left unchanged.
 *   POPCNT   ZF = (source == 0); CF OF SF AF PF = 0.
 *   LZCNT/TZCNT  count of leading/trailing zero bits (width when the source is 0);
 *     CF = (source == 0), ZF = (result == 0); OF SF AF PF undefined: XXX left unchanged.
 *   ANDN  d = ~s1 & s2;  BEXTR d = (s1 >> start) & ((1 << len) - 1), start = s2[7:0],
 *     len = s2[15:8] (bits past the operand read as 0): both CF = OF = 0, ZF (and SF for ANDN)
 *     per result; AF PF undefined (we give PF per result, AF = 0; BEXTR: SF per result).
 *   BLSI d = -s & s (CF = s != 0); BLSMSK d = (s - 1) ^ s (CF = s == 0); BLSR d = (s - 1) & s
 *     (CF = s == 0); SF ZF per result, OF = 0; AF PF undefined (we give PF per result, AF = 0).
 *
 * LOCK: BTS BTR BTC with a memory destination only; everything else #UD.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"

enum { BT_BT, BT_BTS, BT_BTR, BT_BTC };

/* Replaces the arithmetic flags in `mask` with `val`, keeping the others. */
static inline void flags_update(Cpu *cpu, uint32_t mask, uint32_t val)
{
    cc_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~mask) | (val & mask);
}

static inline uint64_t bt_apply(int op, uint64_t v, unsigned bit)
{
    uint64_t b = 1ull << bit;
    switch (op) {
    case BT_BTS: return v | b;
    case BT_BTR: return v & ~b;
    case BT_BTC: return v ^ b;
    default: return v;
    }
}

static inline void bt_flags(Cpu *cpu, uint64_t v, unsigned bit)
{
    flags_update(cpu, FL_CF, ((v >> bit) & 1) ? FL_CF : 0);
}

/* Register base; the offset is the immediate or register operand 1. */
static int op_bt_r(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    uint64_t off = in->r[1] != REG_NONE ? reg_read(cpu, in->r[1], size) : in->imm;
    unsigned bit = (unsigned)(off & (size * 8u - 1));
    uint64_t v = reg_read(cpu, in->r[0], size);
    if (in->sub != BT_BT)
        reg_write(cpu, in->r[0], size, bt_apply(in->sub, v, bit));
    bt_flags(cpu, v, bit);
    return INSN_NEXT;
}

/* Memory base with an immediate (bit within the operand) or a register (bit string) offset. */
static int op_bt_m(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    unsigned width = size * 8u;
    uint64_t ea = insn_ea(cpu, in);
    unsigned bit;
    if (in->r[1] != REG_NONE) {
        int64_t off = sign_extend(reg_read(cpu, in->r[1], size), size);
        int shift = size == 2 ? 4 : size == 4 ? 5 : 6;
        ea = (ea + (uint64_t)((off >> shift) * size)) & size_mask(in->asz);
        bit = (unsigned)(off & (width - 1));
    } else {
        bit = (unsigned)(in->imm & (width - 1));
    }
    uint64_t v;
    if (in->sub == BT_BT) {
        v = cpu_read(cpu, in->seg, ea, size);
    } else {
        uint64_t lin;
        v = cpu_read_rmw(cpu, in->seg, ea, size, &lin);
        cpu_write_lin(cpu, lin, size, bt_apply(in->sub, v, bit));
    }
    bt_flags(cpu, v, bit);
    return INSN_NEXT;
}

/* ---- scans and counts: destination register r[0], source register or memory operand 1 ---- */

static int op_bsf(Cpu *cpu, const Insn *in)
{
    uint64_t s = op_read(cpu, in, 1, in->osz);
    if (s == 0) {
        flags_update(cpu, FL_ZF, FL_ZF);
        return INSN_NEXT;
    }
    reg_write(cpu, in->r[0], in->osz, (uint64_t)__builtin_ctzll(s));
    flags_update(cpu, FL_ZF, 0);
    return INSN_NEXT;
}

static int op_bsr(Cpu *cpu, const Insn *in)
{
    uint64_t s = op_read(cpu, in, 1, in->osz);
    if (s == 0) {
        flags_update(cpu, FL_ZF, FL_ZF);
        return INSN_NEXT;
    }
    reg_write(cpu, in->r[0], in->osz, (uint64_t)(63 - __builtin_clzll(s)));
    flags_update(cpu, FL_ZF, 0);
    return INSN_NEXT;
}

static int op_popcnt(Cpu *cpu, const Insn *in)
{
    uint64_t s = op_read(cpu, in, 1, in->osz);
    reg_write(cpu, in->r[0], in->osz, (uint64_t)__builtin_popcountll(s));
    flags_update(cpu, FL_ARITH, s == 0 ? FL_ZF : 0);
    return INSN_NEXT;
}

static int op_lzcnt(Cpu *cpu, const Insn *in)
{
    unsigned width = in->osz * 8u;
    uint64_t s = op_read(cpu, in, 1, in->osz);
    uint64_t r = s == 0 ? width : (uint64_t)(__builtin_clzll(s) - (64 - (int)width));
    reg_write(cpu, in->r[0], in->osz, r);
    flags_update(cpu, FL_CF | FL_ZF, (s == 0 ? FL_CF : 0) | (r == 0 ? FL_ZF : 0));
    return INSN_NEXT;
}

static int op_tzcnt(Cpu *cpu, const Insn *in)
{
    unsigned width = in->osz * 8u;
    uint64_t s = op_read(cpu, in, 1, in->osz);
    uint64_t r = s == 0 ? width : (uint64_t)__builtin_ctzll(s);
    reg_write(cpu, in->r[0], in->osz, r);
    flags_update(cpu, FL_CF | FL_ZF, (s == 0 ? FL_CF : 0) | (r == 0 ? FL_ZF : 0));
    return INSN_NEXT;
}

/* ---- BMI1 ---- */

/* ANDN r0, r1, r/m2 */
static int op_andn(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    uint64_t s2 = op_read(cpu, in, 2, size);
    uint64_t r = ~reg_read(cpu, in->r[1], size) & s2 & size_mask(size);
    reg_write(cpu, in->r[0], size, r);
    cc_set(cpu, CC_OP_LOGIC, size, r, 0);
    return INSN_NEXT;
}

/* BEXTR r0, r/m1, r2 */
static int op_bextr(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    unsigned width = size * 8u;
    uint64_t s1 = op_read(cpu, in, 1, size);
    uint64_t ctl = reg_read(cpu, in->r[2], size);
    unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;
    uint64_t r = start >= width ? 0 : s1 >> start;
    if (len < 64)
        r &= (1ull << len) - 1;
    reg_write(cpu, in->r[0], size, r);
    cc_set(cpu, CC_OP_LOGIC, size, r, 0);
    return INSN_NEXT;
}

enum { BLS_I, BLS_MSK, BLS_R };

/* BLSI/BLSMSK/BLSR r0, r/m1 */
static int op_bls(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    uint64_t m = size_mask(size);
    uint64_t s = op_read(cpu, in, 1, size), r;
    bool cf;
    switch (in->sub) {
    case BLS_I: r = (0 - s) & s; cf = s != 0; break;
    case BLS_MSK: r = ((s - 1) ^ s) & m; cf = s == 0; break;
    default: r = (s - 1) & s; cf = s == 0; break;
    }
    reg_write(cpu, in->r[0], size, r);
    uint32_t f = (cf ? FL_CF : 0) | (r == 0 ? FL_ZF : 0) | ((r & sign_bit(size)) ? FL_SF : 0) |
                 (__builtin_parity((unsigned)(r & 0xff)) ? 0 : FL_PF);
    flags_update(cpu, FL_ARITH, f);
    return INSN_NEXT;
}

static int bt_sub(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_BT: return BT_BT;
    case ZYDIS_MNEMONIC_BTS: return BT_BTS;
    case ZYDIS_MNEMONIC_BTR: return BT_BTR;
    case ZYDIS_MNEMONIC_BTC: return BT_BTC;
    default: return -1;
    }
}

/* The destination-register, source r/m forms. */
static InsnFn bitops_scan(DecodeCtx *d, Insn *in)
{
    if (d->kind[0] != 'r' || (d->kind[1] != 'r' && d->kind[1] != 'm'))
        return NULL;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_BSF: return op_bsf;
    case ZYDIS_MNEMONIC_BSR: return op_bsr;
    case ZYDIS_MNEMONIC_POPCNT: return op_popcnt;
    case ZYDIS_MNEMONIC_LZCNT: return op_lzcnt;
    case ZYDIS_MNEMONIC_TZCNT: return op_tzcnt;
    case ZYDIS_MNEMONIC_BLSI: in->sub = BLS_I; return op_bls;
    case ZYDIS_MNEMONIC_BLSMSK: in->sub = BLS_MSK; return op_bls;
    case ZYDIS_MNEMONIC_BLSR: in->sub = BLS_R; return op_bls;
    case ZYDIS_MNEMONIC_ANDN: return d->nops == 3 ? op_andn : NULL;
    case ZYDIS_MNEMONIC_BEXTR: return d->nops == 3 && d->kind[2] == 'r' ? op_bextr : NULL;
    default: return NULL;
    }
}

InsnForm bitops_form(InsnFn fn)
{
    return fn == op_bsf ? FORM_BSF : fn == op_tzcnt ? FORM_TZCNT : FORM_NONE;
}

InsnFn bitops_select(DecodeCtx *d, Insn *in)
{
    const char *k = d->kind;
    int op = bt_sub(d->zi->mnemonic);
    if (op >= 0) {
        if (d->nops != 2 || (k[1] != 'r' && k[1] != 'i'))
            return NULL;
        in->sub = (uint8_t)op;
        if ((in->flags & INSN_LOCK) && (k[0] != 'm' || op == BT_BT))
            return op_ud;
        return k[0] == 'm' ? op_bt_m : k[0] == 'r' ? op_bt_r : NULL;
    }
    InsnFn fn = bitops_scan(d, in);
    if (fn && (in->flags & INSN_LOCK))
        return op_ud;
    return fn;
}
