/*
 * flags.c — materializing lazy flags.  The contract for each CC_OP is in flags.h; the
 * obviously-correct eager oracle the unit tests compare against is tests/unit/flags_ref.c.
 */
#include "cpu/flags.h"

static inline uint64_t size_mask(int lg) { return lg == 3 ? ~0ull : (1ull << (8u << lg)) - 1; }
static inline uint64_t sign_bit(int lg) { return 1ull << ((8u << lg) - 1); }

static inline uint32_t parity(uint64_t v) { return __builtin_parity((unsigned)(v & 0xff)) ? 0 : FL_PF; }

/* ZF, SF and PF from a result */
static inline uint32_t szp(uint64_t r, int lg)
{
    r &= size_mask(lg);
    return (r == 0 ? FL_ZF : 0) | ((r & sign_bit(lg)) ? FL_SF : 0) | parity(r);
}

uint32_t cc_compute(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2)
{
    int lg = cc_op & 3;
    uint64_t m = size_mask(lg), sb = sign_bit(lg);
    uint64_t a;
    uint32_t f = 0;
    dst &= m;
    src &= m;
    switch (cc_op >> 2) {
    case CC_OP_ADD:
        a = (dst - src) & m;
        f = szp(dst, lg) | (dst < a ? FL_CF : 0);
        f |= ((a ^ src ^ dst) & 0x10) ? FL_AF : 0;
        f |= (((a ^ dst) & (src ^ dst)) & sb) ? FL_OF : 0;
        return f;
    case CC_OP_ADC:
        a = (dst - src - src2) & m;
        f = szp(dst, lg) | ((src2 ? dst <= a : dst < a) ? FL_CF : 0);
        f |= ((a ^ src ^ dst) & 0x10) ? FL_AF : 0;
        f |= (((a ^ dst) & (src ^ dst)) & sb) ? FL_OF : 0;
        return f;
    case CC_OP_SUB:
        a = (dst + src) & m;
        f = szp(dst, lg) | (a < src ? FL_CF : 0);
        f |= ((a ^ src ^ dst) & 0x10) ? FL_AF : 0;
        f |= (((a ^ src) & (a ^ dst)) & sb) ? FL_OF : 0;
        return f;
    case CC_OP_SBB:
        a = (dst + src + src2) & m;
        f = szp(dst, lg) | ((src2 ? a <= src : a < src) ? FL_CF : 0);
        f |= ((a ^ src ^ dst) & 0x10) ? FL_AF : 0;
        f |= (((a ^ src) & (a ^ dst)) & sb) ? FL_OF : 0;
        return f;
    case CC_OP_LOGIC:
        return szp(dst, lg);
    case CC_OP_INC:
        a = (dst - 1) & m;
        f = szp(dst, lg) | (src2 ? FL_CF : 0);
        f |= ((a ^ 1 ^ dst) & 0x10) ? FL_AF : 0;
        f |= (dst == sb) ? FL_OF : 0;
        return f;
    case CC_OP_DEC:
        a = (dst + 1) & m;
        f = szp(dst, lg) | (src2 ? FL_CF : 0);
        f |= ((a ^ 1 ^ dst) & 0x10) ? FL_AF : 0;
        f |= (dst == sb - 1) ? FL_OF : 0;
        return f;
    case CC_OP_SHL:
        f = szp(dst, lg) | ((src & sb) ? FL_CF : 0);
        f |= ((src ^ dst) & sb) ? FL_OF : 0;
        return f;
    case CC_OP_SHR:
    case CC_OP_SAR:
        f = szp(dst, lg) | ((src & 1) ? FL_CF : 0);
        f |= ((src ^ dst) & sb) ? FL_OF : 0;
        return f;
    case CC_OP_MUL:
        return szp(dst, lg) | (src ? FL_CF | FL_OF : 0);
    case CC_OP_IMUL:
        return szp(dst, lg) | (src ? FL_CF | FL_OF : 0);
    default:
        return 0;
    }
}

bool cc_cf_slow(const Cpu *cpu)
{
    return cc_compute(cpu->cc_op, cpu->cc_dst, cpu->cc_src, cpu->cc_src2) & FL_CF;
}

bool cc_cond(const Cpu *cpu, int cc)
{
    uint32_t op = cpu->cc_op >> 2;
    int lg = cpu->cc_op & 3;
    uint64_t m = size_mask(lg);
    bool r;
    /* Fast paths for compare-and-branch, the overwhelmingly common case. */
    if (op == CC_OP_SUB && cc >= 2) {
        uint64_t b = cpu->cc_src & m, res = cpu->cc_dst & m, a = (res + b) & m;
        int64_t sa, sbv;
        int sh = 64 - (8 << lg);
        sa = (int64_t)(a << sh) >> sh;
        sbv = (int64_t)(b << sh) >> sh;
        switch (cc >> 1) {
        case 1: r = a < b; goto done;             /* B / AE */
        case 2: r = res == 0; goto done;          /* E / NE */
        case 3: r = a <= b; goto done;            /* BE / A */
        case 6: r = sa < sbv; goto done;          /* L / GE */
        case 7: r = sa <= sbv; goto done;         /* LE / G */
        default: break;
        }
    }
    if (op != CC_OP_EFLAGS) {
        /* Every recorded operation derives ZF and SF from its result alone. */
        uint64_t res = cpu->cc_dst & m;
        bool zf = res == 0, sf = (res >> ((8u << lg) - 1)) & 1;
        switch (cc >> 1) {
        case 2: r = zf; goto done;
        case 4: r = sf; goto done;
        default: break;
        }
        if (op == CC_OP_LOGIC) {   /* CF = OF = 0 */
            switch (cc >> 1) {
            case 0: r = false; goto done;
            case 1: r = false; goto done;
            case 3: r = zf; goto done;
            case 6: r = sf; goto done;
            case 7: r = zf || sf; goto done;
            default: break;
            }
        }
    }
    {
        uint32_t f = cc_flags(cpu);
        switch (cc >> 1) {
        case 0: r = f & FL_OF; break;
        case 1: r = f & FL_CF; break;
        case 2: r = f & FL_ZF; break;
        case 3: r = f & (FL_CF | FL_ZF); break;
        case 4: r = f & FL_SF; break;
        case 5: r = f & FL_PF; break;
        case 6: r = !(f & FL_SF) != !(f & FL_OF); break;
        default: r = (f & FL_ZF) || (!(f & FL_SF) != !(f & FL_OF)); break;
        }
    }
done:
    return (cc & 1) ? !r : r;
}
