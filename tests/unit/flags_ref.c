/*
 * flags_ref.c — eager, bit-by-bit reference for CF PF AF ZF SF OF (SDM vol. 1, 3.4.3.1 and
 * appendix A "EFLAGS cross-reference"; vol. 2 pages ADD ADC SUB SBB AND OR XOR INC DEC SAL/SAR/
 * SHL/SHR MUL IMUL).
 *
 * Addition and subtraction run a ripple-carry adder one bit at a time: CF is the carry (borrow)
 * out of the top bit, AF the carry (borrow) out of bit 3, OF the carry into the top bit XOR the
 * carry out of it.  Shifts move one bit at a time and remember the last bit shifted out.  Products
 * are formed by shift-and-add on 2*size bits.  Deliberately slow and simple: this is the oracle.
 *
 * Undefined flags (reported through `defined`): AF after logic ops and shifts; OF after shifts by
 * more than 1; SF ZF AF PF after MUL and IMUL.
 */
#include "tests/unit/flags_ref.h"

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ALL (CF | PF | AF | ZF | SF | OF)

static int bit(uint64_t v, int i) { return (int)((v >> i) & 1); }

/* ZF SF PF of a `bits`-wide result */
static uint32_t zsp(uint64_t r, int bits)
{
    uint32_t f = 0;
    int zero = 1, ones_low8 = 0;
    for (int i = 0; i < bits; i++)
        if (bit(r, i))
            zero = 0;
    for (int i = 0; i < 8; i++)
        ones_low8 += bit(r, i);
    if (zero)
        f |= ZF;
    if (bit(r, bits - 1))
        f |= SF;
    if (ones_low8 % 2 == 0)
        f |= PF;
    return f;
}

/* a + b + c (subtract: a - b - c) one bit at a time */
static RefResult addsub(int bits, uint64_t a, uint64_t b, int c, int subtract)
{
    RefResult r = { 0, 0, 0, ALL };
    int carry = c, carry_into_top = 0;
    for (int i = 0; i < bits; i++) {
        int x = bit(a, i), y = bit(b, i), s;
        if (i == bits - 1)
            carry_into_top = carry;
        if (!subtract) {
            s = x + y + carry;
            carry = s >= 2;
            s &= 1;
        } else {
            s = x - y - carry;
            carry = s < 0;
            s &= 1;
        }
        r.result |= (uint64_t)s << i;
        if (i == 3 && carry)
            r.flags |= AF;
    }
    if (carry)
        r.flags |= CF;
    if (carry != carry_into_top)
        r.flags |= OF;
    r.flags |= zsp(r.result, bits);
    return r;
}

/* Unsigned 2*bits-wide product of two bits-wide values, as (high, low). */
static void product(int bits, uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t h = 0, l = 0;          /* running sum, 128 bits as two halves */
    uint64_t ah = 0, al = a;        /* a << i, 128 bits */
    for (int i = 0; i < bits; i++) {
        if (bit(b, i)) {
            uint64_t nl = l + al;
            h += ah + (nl < l);
            l = nl;
        }
        ah = (ah << 1) | (al >> 63);
        al <<= 1;
    }
    if (bits < 64) {
        /* product fits in 2*bits <= 64 bits: split it at `bits` */
        *hi = l >> bits;
        *lo = l & ((1ull << bits) - 1);
    } else {
        *hi = h;
        *lo = l;
    }
}

RefResult flags_ref(RefOp op, int size, uint64_t a, uint64_t b, int cf_in)
{
    int bits = size * 8;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    RefResult r = { 0, 0, 0, ALL };
    a &= mask;
    switch (op) {
    case REF_ADD: return addsub(bits, a, b & mask, 0, 0);
    case REF_ADC: return addsub(bits, a, b & mask, cf_in, 0);
    case REF_SUB: return addsub(bits, a, b & mask, 0, 1);
    case REF_SBB: return addsub(bits, a, b & mask, cf_in, 1);
    case REF_AND:
    case REF_OR:
    case REF_XOR:
        for (int i = 0; i < bits; i++) {
            int x = bit(a, i), y = bit(b, i);
            int s = op == REF_AND ? (x & y) : op == REF_OR ? (x | y) : (x ^ y);
            r.result |= (uint64_t)s << i;
        }
        r.flags = zsp(r.result, bits);       /* CF = OF = 0 */
        r.defined = ALL & ~AF;
        return r;
    case REF_INC:
    case REF_DEC:
        r = addsub(bits, a, 1, 0, op == REF_DEC);
        r.flags = (r.flags & ~CF) | (cf_in ? CF : 0);   /* CF not affected */
        return r;
    case REF_SHL:
    case REF_SHR:
    case REF_SAR: {
        uint64_t v = a;
        int out = 0;
        for (uint64_t k = 0; k < b; k++) {
            if (op == REF_SHL) {
                out = bit(v, bits - 1);
                v = (v << 1) & mask;
            } else {
                int top = op == REF_SAR ? bit(v, bits - 1) : 0;
                out = bit(v, 0);
                v = (v >> 1) | ((uint64_t)top << (bits - 1));
            }
        }
        r.result = v;
        r.flags = zsp(v, bits) | (out ? CF : 0);
        /* OF for 1-bit shifts: SHL: MSB(result) XOR CF; SHR: MSB of the original operand;
         * SAR: 0. */
        int of = op == REF_SHL ? (bit(v, bits - 1) ^ out) : op == REF_SHR ? bit(a, bits - 1) : 0;
        if (of)
            r.flags |= OF;
        r.defined = ALL & ~AF & ~(b == 1 ? 0 : OF);
        return r;
    }
    case REF_MUL:
    case REF_IMUL: {
        uint64_t hi, lo;
        b &= mask;
        int sa = bit(a, bits - 1), sb = bit(b, bits - 1);
        int neg = op == REF_IMUL && (sa ^ sb);
        /* signed: multiply magnitudes, then negate the 2*bits-wide product */
        uint64_t ma = (op == REF_IMUL && sa) ? ((~a + 1) & mask) : a;
        uint64_t mb = (op == REF_IMUL && sb) ? ((~b + 1) & mask) : b;
        product(bits, ma, mb, &hi, &lo);
        if (neg) {
            lo = (~lo + 1) & mask;
            hi = (~hi + (lo == 0)) & mask;
        }
        r.result = lo;
        r.high = hi;
        int fits;
        if (op == REF_MUL) {
            fits = hi == 0;
        } else {
            /* fits when the high half is all copies of the low half's sign bit */
            fits = hi == (bit(lo, bits - 1) ? mask : 0);
        }
        r.flags = zsp(lo, bits) | (fits ? 0 : CF | OF);
        r.defined = CF | OF;
        return r;
    }
    }
    return r;
}

uint32_t flags_ref_cond_uses(int cc)
{
    static const uint32_t uses[8] = { OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF };
    return uses[(cc >> 1) & 7];
}

int flags_ref_cond(uint32_t f, int cc)
{
    int of = (f & OF) != 0, cf = (f & CF) != 0, zf = (f & ZF) != 0, sf = (f & SF) != 0, pf = (f & PF) != 0;
    int r;
    switch (cc >> 1) {
    case 0: r = of; break;                  /* O */
    case 1: r = cf; break;                  /* B/C/NAE */
    case 2: r = zf; break;                  /* E/Z */
    case 3: r = cf || zf; break;            /* BE/NA */
    case 4: r = sf; break;                  /* S */
    case 5: r = pf; break;                  /* P/PE */
    case 6: r = sf != of; break;            /* L/NGE */
    default: r = zf || sf != of; break;     /* LE/NG */
    }
    return (cc & 1) ? !r : r;
}
