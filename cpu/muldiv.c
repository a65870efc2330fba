/*
 * muldiv.c — multiplication and division (SDM vol. 2: MUL, IMUL, DIV, IDIV).
 *
 *   MUL r/m     AX = AL * src; DX:AX, EDX:EAX, RDX:RAX = rAX * src (unsigned).
 *               CF = OF = (high half != 0).
 *   IMUL r/m    the same, signed; CF = OF = (the product does not fit in the low half, i.e.
 *               high half != sign extension of the low half).
 *   IMUL r, r/m          r = r * src, truncated;       CF = OF = (the signed product was
 *   IMUL r, r/m, imm     r = src * imm, truncated;      truncated).
 *   SF ZF AF PF are undefined for all multiplications; we follow flags.h (CC_OP_MUL/IMUL):
 *   SF ZF PF from the low half of the product, AF = 0.
 *
 *   DIV r/m     AL = AX / src, AH = AX % src; (E/R)AX = (E/R)DX:(E/R)AX / src, (E/R)DX = rest.
 *   IDIV r/m    the same, signed: quotient truncated toward zero, remainder has the sign of the
 *               dividend.
 *   #DE when the divisor is 0 or the quotient does not fit in the destination (IDIV: also
 *   -2^(n-1) .. 2^(n-1)-1, so e.g. AX = -32768 / -1 faults).  Checked before anything changes.
 *   XXX: the six arithmetic flags are undefined after DIV/IDIV; we leave them unchanged.
 *
 * LOCK is #UD (not lockable).
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

enum { MD_MUL, MD_IMUL, MD_DIV, MD_IDIV };

/* The implicit dividend / multiplicand of the one-operand forms: AX for 8-bit, else rDX:rAX
 * (high, low). */
static inline void acc_read(const Cpu *cpu, int size, uint64_t *hi, uint64_t *lo)
{
    if (size == 1) {
        *hi = reg_read(cpu, REG_AH, 1);
        *lo = reg_read(cpu, R_AX, 1);
    } else {
        *hi = reg_read(cpu, R_DX, size);
        *lo = reg_read(cpu, R_AX, size);
    }
}

static inline void acc_write(Cpu *cpu, int size, uint64_t hi, uint64_t lo)
{
    if (size == 1) {
        reg_write(cpu, R_AX, 2, ((hi & 0xff) << 8) | (lo & 0xff));
    } else {
        reg_write(cpu, R_AX, size, lo);
        reg_write(cpu, R_DX, size, hi);
    }
}

/* One-operand MUL/IMUL. */
static int op_mul1(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    unsigned n = (unsigned)size * 8;
    uint64_t src = op_read(cpu, in, 0, size), m = size_mask(size), hi, lo, a, unused;
    acc_read(cpu, size, &unused, &a);
    if (in->sub == MD_MUL) {
        u128 p = (u128)a * src;
        lo = (uint64_t)p & m;
        hi = (uint64_t)(p >> n) & m;
        acc_write(cpu, size, hi, lo);
        cc_set(cpu, CC_OP_MUL, size, lo, hi);
    } else {
        s128 p = (s128)sign_extend(a, size) * sign_extend(src, size);
        lo = (uint64_t)p & m;
        hi = (uint64_t)((u128)p >> n) & m;
        acc_write(cpu, size, hi, lo);
        cc_set(cpu, CC_OP_IMUL, size, lo, p != (s128)sign_extend(lo, size));
    }
    return INSN_NEXT;
}

/* Truncating signed multiply for the two- and three-operand IMUL forms. */
static inline void imul_to(Cpu *cpu, const Insn *in, uint64_t a, uint64_t b)
{
    int size = in->osz;
    s128 p = (s128)sign_extend(a, size) * sign_extend(b, size);
    uint64_t lo = (uint64_t)p & size_mask(size);
    reg_write(cpu, in->r[0], size, lo);
    cc_set(cpu, CC_OP_IMUL, size, lo, p != (s128)sign_extend(lo, size));
}

static int op_imul_r_rm(Cpu *cpu, const Insn *in)
{
    uint64_t b = op_read(cpu, in, 1, in->osz);
    imul_to(cpu, in, reg_read(cpu, in->r[0], in->osz), b);
    return INSN_NEXT;
}

static int op_imul_r_rm_i(Cpu *cpu, const Insn *in)
{
    imul_to(cpu, in, op_read(cpu, in, 1, in->osz), in->imm);
    return INSN_NEXT;
}

static int op_div(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    unsigned n = (unsigned)size * 8;
    uint64_t m = size_mask(size), hi, lo;
    uint64_t d = op_read(cpu, in, 0, size);
    acc_read(cpu, size, &hi, &lo);
    if (d == 0)
        cpu_raise(cpu, EXC_DE, EXC_NO_ERR);
    u128 x = ((u128)hi << n) | lo;
    u128 q = x / d, r = x % d;
    if (q > m)
        cpu_raise(cpu, EXC_DE, EXC_NO_ERR);
    acc_write(cpu, size, (uint64_t)r, (uint64_t)q);
    return INSN_NEXT;
}

static int op_idiv(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    unsigned n = (unsigned)size * 8;
    uint64_t hi, lo;
    int64_t d = sign_extend(op_read(cpu, in, 0, size), size);
    acc_read(cpu, size, &hi, &lo);
    if (d == 0)
        cpu_raise(cpu, EXC_DE, EXC_NO_ERR);
    /* The 2n-bit dividend, sign-extended to 128 bits (n = 64: the shift fills all 128). */
    u128 ux = ((u128)hi << n) | lo;
    unsigned sh = 64 - 2 * n;   /* n < 64: the dividend fits in 64 bits */
    s128 x = n == 64 ? (s128)ux : (s128)((int64_t)((uint64_t)ux << sh) >> sh);
    s128 q, r;
    if (d == -1) {
        /* x / -1 = -x; the one dividend whose negation overflows 128 bits (n = 64, x = -2^127)
         * overflows the quotient range anyway. */
        if (x == (s128)((u128)1 << 127))
            cpu_raise(cpu, EXC_DE, EXC_NO_ERR);
        q = -x;
        r = 0;
    } else {
        q = x / d;
        r = x % d;
    }
    s128 lim = (s128)1 << (n - 1);
    if (q >= lim || q < -lim)
        cpu_raise(cpu, EXC_DE, EXC_NO_ERR);
    acc_write(cpu, size, (uint64_t)r, (uint64_t)q);
    return INSN_NEXT;
}

InsnFn muldiv_select(DecodeCtx *d, Insn *in)
{
    const char *k = d->kind;
    InsnFn fn;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_MUL:
        in->sub = MD_MUL;
        fn = op_mul1;
        break;
    case ZYDIS_MNEMONIC_IMUL:
        in->sub = MD_IMUL;
        if (d->nops == 1)
            fn = op_mul1;
        else if (d->nops == 2 && k[0] == 'r')
            fn = op_imul_r_rm;
        else if (d->nops == 3 && k[0] == 'r' && k[2] == 'i')
            fn = op_imul_r_rm_i;
        else
            return NULL;
        break;
    case ZYDIS_MNEMONIC_DIV:
        fn = op_div;
        break;
    case ZYDIS_MNEMONIC_IDIV:
        fn = op_idiv;
        break;
    default:
        return NULL;
    }
    if (k[0] != 'r' && k[0] != 'm')
        return NULL;
    return (in->flags & INSN_LOCK) ? op_ud : fn;
}

InsnForm muldiv_form(InsnFn fn)
{
    if (fn == op_mul1)
        return FORM_MUL1;
    if (fn == op_div)
        return FORM_DIV;
    return fn == op_imul_r_rm ? FORM_IMUL_RM : fn == op_imul_r_rm_i ? FORM_IMUL_RMI : FORM_NONE;
}
