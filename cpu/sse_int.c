/*
 * sse_int.c — MMX, SSE2, SSSE3, SSE4.1 and SSE4.2 integer instructions, 64-bit MMX and 128-bit
 * XMM forms (SDM vol. 2, each instruction's page; vol. 1, chapters 9, 10.4, 11.4, 12).
 *
 * One engine for both widths: the destination register and the source (register, memory or an
 * immediate shift count) are read as 16-byte values, the operation runs on the low n bytes
 * (n = 8 for MMX, 16 for XMM) and the destination register is written (MMX: its 64 bits, which
 * also sets the aliased x87 exponent to FFFFH; XMM: all 128 bits).
 *   elementwise (esz bytes):  PADD/PSUB (wrap, signed/unsigned saturation), PMULLW/PMULLD
 *     (low half), PMULHW/PMULHUW (high half), PMULHRSW (((a*b >> 14) + 1) >> 1), PAND, PANDN
 *     (~dst & src), POR, PXOR, PCMPEQ/PCMPGT (all ones or zero, signed), PAVG ((a+b+1) >> 1),
 *     PMIN/PMAX (signed/unsigned), PSIGN (negate/zero/keep by the source's sign), PABS (of src).
 *   PSLL/PSRL/PSRA by register (count = low quadword of the source) or imm8: a count above the
 *     element width gives 0 (PSRA: the sign); PSLLDQ/PSRLDQ shift bytes, imm8 > 15 gives 0.
 *   PMULUDQ/PMULDQ: even dwords -> quadword products.  PMADDWD: signed word pairs summed to
 *     dwords (80008000H x 80008000H wraps to 80000000H).  PMADDUBSW: unsigned dst byte x signed
 *     src byte, pairs summed with signed word saturation.  PSADBW: per 8 bytes, sum |a-b| into
 *     the low word of the quadword.
 *   PUNPCKL/H: interleave elements of the low/high halves, dst first.  PACKSS/PACKUS: dst
 *     elements then src elements, saturated to half width.
 *   PSHUFW/PSHUFD/PSHUFHW/PSHUFLW (imm8 selects), PSHUFB (index bit 7 -> 0), PALIGNR
 *     ((dst:src) >> 8*imm8), PHADD/PHSUB(S) (adjacent pairs, dst then src), PBLENDW (imm8
 *     bits), PBLENDVB (XMM0 byte bit 7), PMOVZX/PMOVSX (memory operand 2/4/8 bytes, no
 *     alignment), PHMINPOSUW (min unsigned word and its lowest index), MPSADBW.
 *   PTEST: ZF = (dst AND src) == 0, CF = (NOT dst AND src) == 0, AF OF PF SF = 0.
 *   MOVD/MOVQ/MOVDQA/MOVDQU/LDDQU/MOVNTDQ/MOVNTQ/MOVNTDQA/MOVQ2DQ/MOVDQ2Q: a move of 4, 8 or 16
 *     bytes; an XMM destination is zero-extended to 128 bits, a 32-bit GPR write to 64.
 *   PMOVMSKB (byte sign bits -> GPR), PEXTRB/W/D/Q, PINSRB/W/D/Q (index = imm8 modulo the
 *     element count), MASKMOVQ/MASKMOVDQU (bytes with mask bit 7 stored at DS:rDI, segment
 *     override allowed), MOVNTI (GPR store), CRC32 (CRC-32C, reflected polynomial 82F63B78H,
 *     r32/r64 accumulator, r/m8/16/32/64 source).
 * Exceptions: MMX forms simd_check_mmx, XMM forms simd_check_sse (cpu/simd.h); a 16-byte memory
 * operand of a legacy-SSE form must be 16-byte aligned (#GP(0)) except MOVDQU and LDDQU.
 * PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (SDM vol. 2, 4.1 "imm8 control byte"): imm8[1:0]
 *   element format (unsigned/signed bytes/words), [3:2] aggregation (equal any, ranges, equal
 *   each, equal ordered), [5:4] polarity, [6] least/most significant index or bit/element mask.
 *   Lengths: explicit = |EAX|, |EDX| (RAX/RDX with REX.W) saturated to the element count;
 *   implicit = index of the first zero element.  Pairs with invalid elements are forced per SDM
 *   table 4-7.  Index -> ECX (count when no bit is set), mask -> XMM0.  Flags: CF = result != 0,
 *   ZF = length2 < n, SF = length1 < n, OF = result bit 0, AF = PF = 0.  No alignment check.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"
#include "cpu/mmx.h"

/* Insn.sub for the vector handlers */
#define PX_MMX   0x80u    /* the 64-bit MMX form */
#define PX_ALIGN 0x40u    /* a 16-byte memory operand must be aligned */
#define PX_MSZ   0x1fu    /* memory operand size in bytes */

enum {
    K_ADD, K_SUB, K_ADDS, K_SUBS, K_ADDUS, K_SUBUS, K_MULL, K_MULH, K_MULHU, K_MULHRS, K_AND,
    K_ANDN, K_OR, K_XOR, K_CMPEQ, K_CMPGT, K_AVG, K_MINU, K_MAXU, K_MINS, K_MAXS, K_SIGN, K_ABS,
    K_ELEM_END,
    K_SLL = K_ELEM_END, K_SRL, K_SRA, K_SLLDQ, K_SRLDQ, K_MULUDQ, K_MULDQ, K_MADDWD, K_MADDUBSW,
    K_SADBW, K_UNPCKL, K_UNPCKH, K_PACKSS, K_PACKUS, K_SHUFW, K_SHUFD, K_SHUFHW, K_SHUFLW,
    K_SHUFB, K_ALIGNR, K_HADD, K_HSUB, K_HADDS, K_HSUBS, K_BLENDW, K_BLENDVB, K_MOVZX, K_MOVSX,
    K_PHMINPOS, K_MPSADBW,
};

typedef struct PxOp {
    uint16_t mnem;
    uint8_t kind;
    uint8_t esz;       /* element size; PMOVZX/SX: destination element size */
    uint8_t msz;       /* memory operand size when not the vector width (PMOVZX/SX) */
} PxOp;

static const PxOp px_ops[] = {
    { ZYDIS_MNEMONIC_PADDB, K_ADD, 1, 0 }, { ZYDIS_MNEMONIC_PADDW, K_ADD, 2, 0 },
    { ZYDIS_MNEMONIC_PADDD, K_ADD, 4, 0 }, { ZYDIS_MNEMONIC_PADDQ, K_ADD, 8, 0 },
    { ZYDIS_MNEMONIC_PSUBB, K_SUB, 1, 0 }, { ZYDIS_MNEMONIC_PSUBW, K_SUB, 2, 0 },
    { ZYDIS_MNEMONIC_PSUBD, K_SUB, 4, 0 }, { ZYDIS_MNEMONIC_PSUBQ, K_SUB, 8, 0 },
    { ZYDIS_MNEMONIC_PADDSB, K_ADDS, 1, 0 }, { ZYDIS_MNEMONIC_PADDSW, K_ADDS, 2, 0 },
    { ZYDIS_MNEMONIC_PSUBSB, K_SUBS, 1, 0 }, { ZYDIS_MNEMONIC_PSUBSW, K_SUBS, 2, 0 },
    { ZYDIS_MNEMONIC_PADDUSB, K_ADDUS, 1, 0 }, { ZYDIS_MNEMONIC_PADDUSW, K_ADDUS, 2, 0 },
    { ZYDIS_MNEMONIC_PSUBUSB, K_SUBUS, 1, 0 }, { ZYDIS_MNEMONIC_PSUBUSW, K_SUBUS, 2, 0 },
    { ZYDIS_MNEMONIC_PMULLW, K_MULL, 2, 0 }, { ZYDIS_MNEMONIC_PMULLD, K_MULL, 4, 0 },
    { ZYDIS_MNEMONIC_PMULHW, K_MULH, 2, 0 }, { ZYDIS_MNEMONIC_PMULHUW, K_MULHU, 2, 0 },
    { ZYDIS_MNEMONIC_PMULHRSW, K_MULHRS, 2, 0 },
    { ZYDIS_MNEMONIC_PAND, K_AND, 8, 0 }, { ZYDIS_MNEMONIC_PANDN, K_ANDN, 8, 0 },
    { ZYDIS_MNEMONIC_POR, K_OR, 8, 0 }, { ZYDIS_MNEMONIC_PXOR, K_XOR, 8, 0 },
    { ZYDIS_MNEMONIC_PCMPEQB, K_CMPEQ, 1, 0 }, { ZYDIS_MNEMONIC_PCMPEQW, K_CMPEQ, 2, 0 },
    { ZYDIS_MNEMONIC_PCMPEQD, K_CMPEQ, 4, 0 }, { ZYDIS_MNEMONIC_PCMPEQQ, K_CMPEQ, 8, 0 },
    { ZYDIS_MNEMONIC_PCMPGTB, K_CMPGT, 1, 0 }, { ZYDIS_MNEMONIC_PCMPGTW, K_CMPGT, 2, 0 },
    { ZYDIS_MNEMONIC_PCMPGTD, K_CMPGT, 4, 0 }, { ZYDIS_MNEMONIC_PCMPGTQ, K_CMPGT, 8, 0 },
    { ZYDIS_MNEMONIC_PAVGB, K_AVG, 1, 0 }, { ZYDIS_MNEMONIC_PAVGW, K_AVG, 2, 0 },
    { ZYDIS_MNEMONIC_PMINUB, K_MINU, 1, 0 }, { ZYDIS_MNEMONIC_PMINUW, K_MINU, 2, 0 },
    { ZYDIS_MNEMONIC_PMINUD, K_MINU, 4, 0 }, { ZYDIS_MNEMONIC_PMAXUB, K_MAXU, 1, 0 },
    { ZYDIS_MNEMONIC_PMAXUW, K_MAXU, 2, 0 }, { ZYDIS_MNEMONIC_PMAXUD, K_MAXU, 4, 0 },
    { ZYDIS_MNEMONIC_PMINSB, K_MINS, 1, 0 }, { ZYDIS_MNEMONIC_PMINSW, K_MINS, 2, 0 },
    { ZYDIS_MNEMONIC_PMINSD, K_MINS, 4, 0 }, { ZYDIS_MNEMONIC_PMAXSB, K_MAXS, 1, 0 },
    { ZYDIS_MNEMONIC_PMAXSW, K_MAXS, 2, 0 }, { ZYDIS_MNEMONIC_PMAXSD, K_MAXS, 4, 0 },
    { ZYDIS_MNEMONIC_PSIGNB, K_SIGN, 1, 0 }, { ZYDIS_MNEMONIC_PSIGNW, K_SIGN, 2, 0 },
    { ZYDIS_MNEMONIC_PSIGND, K_SIGN, 4, 0 }, { ZYDIS_MNEMONIC_PABSB, K_ABS, 1, 0 },
    { ZYDIS_MNEMONIC_PABSW, K_ABS, 2, 0 }, { ZYDIS_MNEMONIC_PABSD, K_ABS, 4, 0 },
    { ZYDIS_MNEMONIC_PSLLW, K_SLL, 2, 0 }, { ZYDIS_MNEMONIC_PSLLD, K_SLL, 4, 0 },
    { ZYDIS_MNEMONIC_PSLLQ, K_SLL, 8, 0 }, { ZYDIS_MNEMONIC_PSRLW, K_SRL, 2, 0 },
    { ZYDIS_MNEMONIC_PSRLD, K_SRL, 4, 0 }, { ZYDIS_MNEMONIC_PSRLQ, K_SRL, 8, 0 },
    { ZYDIS_MNEMONIC_PSRAW, K_SRA, 2, 0 }, { ZYDIS_MNEMONIC_PSRAD, K_SRA, 4, 0 },
    { ZYDIS_MNEMONIC_PSLLDQ, K_SLLDQ, 1, 0 }, { ZYDIS_MNEMONIC_PSRLDQ, K_SRLDQ, 1, 0 },
    { ZYDIS_MNEMONIC_PMULUDQ, K_MULUDQ, 8, 0 }, { ZYDIS_MNEMONIC_PMULDQ, K_MULDQ, 8, 0 },
    { ZYDIS_MNEMONIC_PMADDWD, K_MADDWD, 4, 0 }, { ZYDIS_MNEMONIC_PMADDUBSW, K_MADDUBSW, 2, 0 },
    { ZYDIS_MNEMONIC_PSADBW, K_SADBW, 8, 0 },
    { ZYDIS_MNEMONIC_PUNPCKLBW, K_UNPCKL, 1, 0 }, { ZYDIS_MNEMONIC_PUNPCKLWD, K_UNPCKL, 2, 0 },
    { ZYDIS_MNEMONIC_PUNPCKLDQ, K_UNPCKL, 4, 0 }, { ZYDIS_MNEMONIC_PUNPCKLQDQ, K_UNPCKL, 8, 0 },
    { ZYDIS_MNEMONIC_PUNPCKHBW, K_UNPCKH, 1, 0 }, { ZYDIS_MNEMONIC_PUNPCKHWD, K_UNPCKH, 2, 0 },
    { ZYDIS_MNEMONIC_PUNPCKHDQ, K_UNPCKH, 4, 0 }, { ZYDIS_MNEMONIC_PUNPCKHQDQ, K_UNPCKH, 8, 0 },
    { ZYDIS_MNEMONIC_PACKSSWB, K_PACKSS, 2, 0 }, { ZYDIS_MNEMONIC_PACKSSDW, K_PACKSS, 4, 0 },
    { ZYDIS_MNEMONIC_PACKUSWB, K_PACKUS, 2, 0 }, { ZYDIS_MNEMONIC_PACKUSDW, K_PACKUS, 4, 0 },
    { ZYDIS_MNEMONIC_PSHUFW, K_SHUFW, 2, 0 }, { ZYDIS_MNEMONIC_PSHUFD, K_SHUFD, 4, 0 },
    { ZYDIS_MNEMONIC_PSHUFHW, K_SHUFHW, 2, 0 }, { ZYDIS_MNEMONIC_PSHUFLW, K_SHUFLW, 2, 0 },
    { ZYDIS_MNEMONIC_PSHUFB, K_SHUFB, 1, 0 }, { ZYDIS_MNEMONIC_PALIGNR, K_ALIGNR, 1, 0 },
    { ZYDIS_MNEMONIC_PHADDW, K_HADD, 2, 0 }, { ZYDIS_MNEMONIC_PHADDD, K_HADD, 4, 0 },
    { ZYDIS_MNEMONIC_PHSUBW, K_HSUB, 2, 0 }, { ZYDIS_MNEMONIC_PHSUBD, K_HSUB, 4, 0 },
    { ZYDIS_MNEMONIC_PHADDSW, K_HADDS, 2, 0 }, { ZYDIS_MNEMONIC_PHSUBSW, K_HSUBS, 2, 0 },
    { ZYDIS_MNEMONIC_PBLENDW, K_BLENDW, 2, 0 }, { ZYDIS_MNEMONIC_PBLENDVB, K_BLENDVB, 1, 0 },
    { ZYDIS_MNEMONIC_PMOVZXBW, K_MOVZX, 2, 8 }, { ZYDIS_MNEMONIC_PMOVZXBD, K_MOVZX, 4, 4 },
    { ZYDIS_MNEMONIC_PMOVZXBQ, K_MOVZX, 8, 2 }, { ZYDIS_MNEMONIC_PMOVZXWD, K_MOVZX, 4, 8 },
    { ZYDIS_MNEMONIC_PMOVZXWQ, K_MOVZX, 8, 4 }, { ZYDIS_MNEMONIC_PMOVZXDQ, K_MOVZX, 8, 8 },
    { ZYDIS_MNEMONIC_PMOVSXBW, K_MOVSX, 2, 8 }, { ZYDIS_MNEMONIC_PMOVSXBD, K_MOVSX, 4, 4 },
    { ZYDIS_MNEMONIC_PMOVSXBQ, K_MOVSX, 8, 2 }, { ZYDIS_MNEMONIC_PMOVSXWD, K_MOVSX, 4, 8 },
    { ZYDIS_MNEMONIC_PMOVSXWQ, K_MOVSX, 8, 4 }, { ZYDIS_MNEMONIC_PMOVSXDQ, K_MOVSX, 8, 8 },
    { ZYDIS_MNEMONIC_PHMINPOSUW, K_PHMINPOS, 2, 0 }, { ZYDIS_MNEMONIC_MPSADBW, K_MPSADBW, 2, 0 },
};

/* ---- element access ---- */
static inline uint64_t el_get(const Xmm *v, int i, int esz)
{
    switch (esz) {
    case 1: return v->b[i];
    case 2: return v->w[i];
    case 4: return v->d[i];
    default: return v->q[i];
    }
}

static inline void el_set(Xmm *v, int i, int esz, uint64_t x)
{
    switch (esz) {
    case 1: v->b[i] = (uint8_t)x; break;
    case 2: v->w[i] = (uint16_t)x; break;
    case 4: v->d[i] = (uint32_t)x; break;
    default: v->q[i] = x; break;
    }
}

static inline uint64_t sat_signed(int64_t x, int esz)
{
    int64_t hi = (int64_t)(sign_bit(esz) - 1), lo = -hi - 1;
    return (uint64_t)(x > hi ? hi : x < lo ? lo : x) & size_mask(esz);
}

static inline uint64_t sat_unsigned(int64_t x, int esz)
{
    int64_t hi = (int64_t)size_mask(esz);
    return (uint64_t)(x > hi ? hi : x < 0 ? 0 : x);
}

/* One element of an elementwise operation: a = destination element, b = source element. */
static inline uint64_t el_op(int k, uint64_t a, uint64_t b, int esz)
{
    uint64_t m = size_mask(esz);
    int64_t sa = sign_extend(a, esz), sb = sign_extend(b, esz);
    switch (k) {
    case K_ADD: return (a + b) & m;
    case K_SUB: return (a - b) & m;
    case K_ADDS: return sat_signed(sa + sb, esz);
    case K_SUBS: return sat_signed(sa - sb, esz);
    case K_ADDUS: return sat_unsigned((int64_t)(a + b), esz);
    case K_SUBUS: return a > b ? a - b : 0;
    case K_MULL: return (a * b) & m;
    case K_MULH: return (uint64_t)(sa * sb) >> (8 * esz) & m;
    case K_MULHU: return (a * b) >> (8 * esz) & m;
    case K_MULHRS: return (uint64_t)((((sa * sb) >> 14) + 1) >> 1) & m;
    case K_AND: return a & b;
    case K_ANDN: return ~a & b & m;
    case K_OR: return a | b;
    case K_XOR: return a ^ b;
    case K_CMPEQ: return a == b ? m : 0;
    case K_CMPGT: return sa > sb ? m : 0;
    case K_AVG: return (a + b + 1) >> 1;
    case K_MINU: return a < b ? a : b;
    case K_MAXU: return a > b ? a : b;
    case K_MINS: return sa < sb ? a : b;
    case K_MAXS: return sa > sb ? a : b;
    case K_SIGN: return sb < 0 ? (0 - a) & m : sb == 0 ? 0 : a;
    default: return sb < 0 ? (0 - b) & m : b;   /* K_ABS */
    }
}

/* Shift of one element by a 64-bit count (logical left/right, arithmetic right). */
static inline uint64_t el_shift(int k, uint64_t a, uint64_t count, int esz)
{
    unsigned bits = 8u * (unsigned)esz;
    if (k == K_SRA)
        return (uint64_t)(sign_extend(a, esz) >> (count >= bits ? bits - 1 : count)) & size_mask(esz);
    if (count >= bits)
        return 0;
    return (k == K_SLL ? a << count : a >> count) & size_mask(esz);
}

/* r = op(d, s) on the low n bytes (8 or 16); x0 is XMM0 (PBLENDVB). */
static void px_compute(const PxOp *op, int n, Xmm *r, const Xmm *d, const Xmm *s, uint8_t imm,
                       const Xmm *x0)
{
    int k = op->kind, esz = op->esz, ne = n / esz;
    Xmm t = { .q = { 0, 0 } };
    if (k < K_ELEM_END) {
        for (int i = 0; i < ne; i++)
            el_set(&t, i, esz, el_op(k, el_get(d, i, esz), el_get(s, i, esz), esz));
        *r = t;
        return;
    }
    switch (k) {
    case K_SLL: case K_SRL: case K_SRA:
        for (int i = 0; i < ne; i++)
            el_set(&t, i, esz, el_shift(k, el_get(d, i, esz), s->q[0], esz));
        break;
    case K_SLLDQ: case K_SRLDQ: {
        uint64_t c = s->q[0];
        for (int i = 0; i < 16 && c < 16; i++) {
            int j = k == K_SLLDQ ? i - (int)c : i + (int)c;
            t.b[i] = j >= 0 && j < 16 ? d->b[j] : 0;
        }
        break;
    }
    case K_MULUDQ:
        for (int i = 0; i < n / 8; i++)
            t.q[i] = (uint64_t)d->d[2 * i] * s->d[2 * i];
        break;
    case K_MULDQ:
        for (int i = 0; i < n / 8; i++)
            t.q[i] = (uint64_t)((int64_t)(int32_t)d->d[2 * i] * (int32_t)s->d[2 * i]);
        break;
    case K_MADDWD:
        for (int i = 0; i < n / 4; i++)
            t.d[i] = (uint32_t)((int32_t)(int16_t)d->w[2 * i] * (int16_t)s->w[2 * i] +
                                (uint32_t)((int32_t)(int16_t)d->w[2 * i + 1] * (int16_t)s->w[2 * i + 1]));
        break;
    case K_MADDUBSW:
        for (int i = 0; i < n / 2; i++)
            t.w[i] = (uint16_t)sat_signed(d->b[2 * i] * (int8_t)s->b[2 * i] +
                                          d->b[2 * i + 1] * (int8_t)s->b[2 * i + 1], 2);
        break;
    case K_SADBW:
        for (int i = 0; i < n / 8; i++) {
            unsigned sum = 0;
            for (int j = 0; j < 8; j++) {
                int a = d->b[8 * i + j], b = s->b[8 * i + j];
                sum += (unsigned)(a > b ? a - b : b - a);
            }
            t.q[i] = sum;
        }
        break;
    case K_UNPCKL: case K_UNPCKH: {
        int base = k == K_UNPCKH ? ne / 2 : 0;
        for (int i = 0; i < ne / 2; i++) {
            el_set(&t, 2 * i, esz, el_get(d, base + i, esz));
            el_set(&t, 2 * i + 1, esz, el_get(s, base + i, esz));
        }
        break;
    }
    case K_PACKSS: case K_PACKUS:
        for (int i = 0; i < ne; i++) {
            int64_t a = sign_extend(el_get(d, i, esz), esz), b = sign_extend(el_get(s, i, esz), esz);
            el_set(&t, i, esz / 2, k == K_PACKSS ? sat_signed(a, esz / 2) : sat_unsigned(a, esz / 2));
            el_set(&t, ne + i, esz / 2, k == K_PACKSS ? sat_signed(b, esz / 2) : sat_unsigned(b, esz / 2));
        }
        break;
    case K_SHUFW: case K_SHUFD:
        for (int i = 0; i < 4; i++)
            el_set(&t, i, esz, el_get(s, (imm >> (2 * i)) & 3, esz));
        break;
    case K_SHUFHW: case K_SHUFLW: {
        int keep = k == K_SHUFHW ? 0 : 1, sh = k == K_SHUFHW ? 4 : 0;
        t.q[keep] = s->q[keep];
        for (int i = 0; i < 4; i++)
            t.w[sh + i] = s->w[sh + ((imm >> (2 * i)) & 3)];
        break;
    }
    case K_SHUFB:
        for (int i = 0; i < n; i++)
            t.b[i] = s->b[i] & 0x80 ? 0 : d->b[s->b[i] & (n - 1)];
        break;
    case K_ALIGNR:
        for (int i = 0; i < n; i++) {
            int j = i + imm;   /* byte j of (dst:src), src in the low n bytes */
            t.b[i] = j < n ? s->b[j] : j < 2 * n ? d->b[j - n] : 0;
        }
        break;
    case K_HADD: case K_HSUB: case K_HADDS: case K_HSUBS: {
        int e = k == K_HADD ? K_ADD : k == K_HSUB ? K_SUB : k == K_HADDS ? K_ADDS : K_SUBS;
        for (int i = 0; i < ne / 2; i++) {
            el_set(&t, i, esz, el_op(e, el_get(d, 2 * i, esz), el_get(d, 2 * i + 1, esz), esz));
            el_set(&t, ne / 2 + i, esz, el_op(e, el_get(s, 2 * i, esz), el_get(s, 2 * i + 1, esz), esz));
        }
        break;
    }
    case K_BLENDW:
        for (int i = 0; i < 8; i++)
            t.w[i] = imm >> i & 1 ? s->w[i] : d->w[i];
        break;
    case K_BLENDVB:
        for (int i = 0; i < 16; i++)
            t.b[i] = x0->b[i] & 0x80 ? s->b[i] : d->b[i];
        break;
    case K_MOVZX: case K_MOVSX: {
        int ssz = esz * op->msz / 16;
        for (int i = 0; i < ne; i++) {
            uint64_t v = el_get(s, i, ssz);
            el_set(&t, i, esz, k == K_MOVSX ? (uint64_t)sign_extend(v, ssz) : v);
        }
        break;
    }
    case K_PHMINPOS: {
        int best = 0;
        for (int i = 1; i < 8; i++)
            if (s->w[i] < s->w[best])
                best = i;
        t.w[0] = s->w[best];
        t.w[1] = (uint16_t)best;
        break;
    }
    default: {   /* K_MPSADBW */
        int a = (imm & 3) * 4, b = (imm >> 2 & 1) * 4;
        for (int i = 0; i < 8; i++) {
            unsigned sum = 0;
            for (int j = 0; j < 4; j++) {
                int x = d->b[b + i + j], y = s->b[a + j];
                sum += (unsigned)(x > y ? x - y : y - x);
            }
            t.w[i] = (uint16_t)sum;
        }
        break;
    }
    }
    *r = t;
}

/* ---- operands ---- */

/* Availability checks (#UD/#NM come before any memory fault); the x87 side effects of an MMX form
 * (mmx_enter) follow the last possible fault. */
static inline void px_check(Cpu *cpu, bool mmx)
{
    if (mmx)
        simd_check_mmx(cpu);
    else
        simd_check_sse(cpu);
}

/* Reads a vector register (MMX or XMM) zero-extended to 16 bytes. */
static inline Xmm px_reg(const Cpu *cpu, int r, bool mmx)
{
    if (mmx)
        return (Xmm){ .q = { mmx_read(cpu, r), 0 } };
    return cpu->xmm[r];
}

/* The source operand (1 or `n`): register or memory of `msz` bytes (16: maybe aligned). */
static inline Xmm px_src(Cpu *cpu, const Insn *in, int n, bool mmx)
{
    if (!(in->flags & INSN_MEM))
        return px_reg(cpu, in->r[n], mmx);
    int msz = in->sub & PX_MSZ;
    Xmm v = { .q = { 0, 0 } };
    if (msz == 16)
        simd_read128(cpu, in, in->sub & PX_ALIGN, &v);
    else
        v.q[0] = cpu_read(cpu, in->seg, insn_ea(cpu, in), msz);
    return v;
}

/* Writes a vector register: MMX (64 bits, x87 aliasing) or the whole XMM register. */
static inline void px_set(Cpu *cpu, int r, bool mmx, const Xmm *v)
{
    if (mmx)
        mmx_write(cpu, r, v->q[0]);
    else
        cpu->xmm[r] = *v;
}

/* ---- handlers ---- */

/* dst = op(dst, src[, imm8]); the source may be an imm8 shift count (PSxx reg, imm8). */
static int op_px(Cpu *cpu, const Insn *in)
{
    bool mmx = in->sub & PX_MMX;
    const PxOp *op = &px_ops[in->imm2];
    px_check(cpu, mmx);
    Xmm s;
    if (in->r[1] == REG_NONE && !(in->flags & INSN_MEM))
        s = (Xmm){ .q = { (uint8_t)in->imm, 0 } };            /* shift by imm8 */
    else
        s = px_src(cpu, in, 1, mmx);
    Xmm d = px_reg(cpu, in->r[0], mmx), r;
    px_compute(op, mmx ? 8 : 16, &r, &d, &s, (uint8_t)in->imm, &cpu->xmm[0]);
    if (mmx)
        mmx_enter(cpu);
    px_set(cpu, in->r[0], mmx, &r);
    return INSN_NEXT;
}

/* Operand kinds of a move, kept in Insn.imm: kind of operand 0 | kind of operand 1 << 8. */
static inline char mv_kind(const Insn *in, int n) { return (char)(in->imm >> (8 * n)); }

/* MOVD, MOVQ, MOVDQA, MOVDQU, LDDQU, MOVNTDQ, MOVNTQ, MOVNTDQA, MOVQ2DQ, MOVDQ2Q: msz bytes from
 * operand 1 to operand 0. */
static int op_pmov(Cpu *cpu, const Insn *in)
{
    char k0 = mv_kind(in, 0), k1 = mv_kind(in, 1);
    int msz = in->sub & PX_MSZ;
    bool any_mmx = k0 == 'q' || k1 == 'q', any_xmm = k0 == 'v' || k1 == 'v';
    if (any_xmm) {
        simd_check_sse(cpu);
        if (any_mmx)
            x87_check_pending(cpu);   /* MOVQ2DQ/MOVDQ2Q touch the MMX registers: #MF first */
    } else {
        simd_check_mmx(cpu);
    }
    Xmm v = { .q = { 0, 0 } };
    switch (k1) {
    case 'q': v.q[0] = mmx_read(cpu, in->r[1]); break;
    case 'v': v = cpu->xmm[in->r[1]]; break;
    case 'r': v.q[0] = reg_read(cpu, in->r[1], msz); break;
    default: v = px_src(cpu, in, 1, false); break;
    }
    if (msz < 16)
        v.q[1] = 0;
    if (msz < 8)
        v.q[0] &= size_mask(msz);
    if (k0 == 'm') {
        if (msz == 16)
            simd_write128(cpu, in, in->sub & PX_ALIGN, &v);
        else
            cpu_write(cpu, in->seg, insn_ea(cpu, in), msz, v.q[0]);
    }
    if (any_mmx)
        mmx_enter(cpu);
    switch (k0) {
    case 'q': mmx_write(cpu, in->r[0], v.q[0]); break;
    case 'v': cpu->xmm[in->r[0]] = v; break;
    case 'r': reg_write(cpu, in->r[0], msz, v.q[0]); break;
    default: break;
    }
    return INSN_NEXT;
}

/* PMOVMSKB r32/r64, mm/xmm: the sign bit of every byte. */
static int op_pmovmskb(Cpu *cpu, const Insn *in)
{
    bool mmx = in->sub & PX_MMX;
    px_check(cpu, mmx);
    Xmm s = px_reg(cpu, in->r[1], mmx);
    uint64_t m = 0;
    for (int i = 0; i < (mmx ? 8 : 16); i++)
        m |= (uint64_t)(s.b[i] >> 7) << i;
    if (mmx)
        mmx_enter(cpu);
    reg_write(cpu, in->r[0], 8, m);
    return INSN_NEXT;
}

/* PEXTRB/W/D/Q r/m, mm/xmm, imm8 (element size in in->imm2; a register destination is written
 * zero-extended with the GPR size in Insn.osz, 4 or 8). */
static int op_pextr(Cpu *cpu, const Insn *in)
{
    bool mmx = in->sub & PX_MMX;
    int esz = in->imm2, ne = (mmx ? 8 : 16) / esz;
    px_check(cpu, mmx);
    Xmm s = px_reg(cpu, in->r[1], mmx);
    uint64_t v = el_get(&s, (int)(in->imm % (unsigned)ne), esz);
    if (in->flags & INSN_MEM)
        cpu_write(cpu, in->seg, insn_ea(cpu, in), esz, v);
    if (mmx)
        mmx_enter(cpu);
    if (!(in->flags & INSN_MEM))
        reg_write(cpu, in->r[0], in->osz == 8 ? 8 : 4, v);
    return INSN_NEXT;
}

/* PINSRB/W/D/Q mm/xmm, r/m, imm8. */
static int op_pinsr(Cpu *cpu, const Insn *in)
{
    bool mmx = in->sub & PX_MMX;
    int esz = in->imm2, ne = (mmx ? 8 : 16) / esz;
    px_check(cpu, mmx);
    uint64_t v = in->flags & INSN_MEM ? cpu_read(cpu, in->seg, insn_ea(cpu, in), esz)
                                      : reg_read(cpu, in->r[1], esz == 8 ? 8 : 4);
    Xmm d = px_reg(cpu, in->r[0], mmx);
    el_set(&d, (int)(in->imm % (unsigned)ne), esz, v);
    if (mmx)
        mmx_enter(cpu);
    px_set(cpu, in->r[0], mmx, &d);
    return INSN_NEXT;
}

/* PTEST xmm, xmm/m128: ZF = (dst & src) == 0, CF = (~dst & src) == 0, the others 0. */
static int op_ptest(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    Xmm s = px_src(cpu, in, 1, false);
    const Xmm *d = &cpu->xmm[in->r[0]];
    uint32_t f = 0;
    if (!((d->q[0] & s.q[0]) | (d->q[1] & s.q[1])))
        f |= FL_ZF;
    if (!((~d->q[0] & s.q[0]) | (~d->q[1] & s.q[1])))
        f |= FL_CF;
    cc_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~FL_ARITH) | f;
    return INSN_NEXT;
}

/* MASKMOVQ mm1, mm2 / MASKMOVDQU xmm1, xmm2: bytes of operand 0 whose operand-1 byte has bit 7
 * set are stored at seg:rDI (all such bytes are checked before any is written). */
static int op_maskmov(Cpu *cpu, const Insn *in)
{
    bool mmx = in->sub & PX_MMX;
    int n = mmx ? 8 : 16;
    px_check(cpu, mmx);
    Xmm v = px_reg(cpu, in->r[0], mmx), m = px_reg(cpu, in->r[1], mmx);
    uint64_t ea = cpu->gpr[R_DI];
    int user = cpu_user(cpu);
    for (int i = 0; i < n; i++)
        if (m.b[i] & 0x80)
            lin_read_w(cpu, cpu_lin(cpu, in->seg, (ea + (uint64_t)i) & size_mask(in->asz), 1, ACC_WRITE), 1, user);
    if (mmx)
        mmx_enter(cpu);
    for (int i = 0; i < n; i++)
        if (m.b[i] & 0x80)
            lin_write(cpu, cpu_lin(cpu, in->seg, (ea + (uint64_t)i) & size_mask(in->asz), 1, ACC_WRITE),
                      1, v.b[i], user);
    return INSN_NEXT;
}

/* MOVNTI m32/m64, r32/r64 (a non-temporal hint only). */
static int op_movnti(Cpu *cpu, const Insn *in)
{
    cpu_write(cpu, in->seg, insn_ea(cpu, in), in->osz, reg_read(cpu, in->r[1], in->osz));
    return INSN_NEXT;
}

/* CRC32 r32/r64, r/m8/16/32/64: CRC-32C (Castagnoli), bit-reflected, no inversion (SDM
 * "CRC32"); source size in in->imm2. */
static int op_crc32(Cpu *cpu, const Insn *in)
{
    int ssz = in->imm2;
    uint64_t src = op_read(cpu, in, 1, ssz);
    uint32_t crc = (uint32_t)cpu->gpr[in->r[0]];
    for (int i = 0; i < 8 * ssz; i++) {
        crc ^= (uint32_t)(src >> i) & 1;
        crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    reg_write(cpu, in->r[0], in->osz == 8 ? 8 : 4, crc);
    return INSN_NEXT;
}

/* Length of an explicitly given string: |v| saturated to n (v is EAX/EDX or RAX/RDX). */
static inline int str_len_explicit(uint64_t v, int vsz, int n)
{
    int64_t x = sign_extend(v, vsz);
    uint64_t a = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    return a > (uint64_t)n ? n : (int)a;
}

static inline int str_len_implicit(const Xmm *v, int esz, int n)
{
    for (int i = 0; i < n; i++)
        if (!el_get(v, i, esz))
            return i;
    return n;
}

/* One comparison of the aggregation, BoolRes[i][j] with the forced values of SDM table 4-7:
 * i indexes operand 1 (valid when i < la), j operand 2 (valid when j < lb). */
static inline bool str_bool(int agg, const Xmm *a, const Xmm *b, int i, int j, int la, int lb,
                            int esz, bool sgn)
{
    bool va = i < la, vb = j < lb;
    if (!va || !vb) {
        switch (agg) {
        case 0: case 1: return false;
        case 2: return !va && !vb;
        default: return !va;
        }
    }
    int64_t x = sgn ? sign_extend(el_get(a, i, esz), esz) : (int64_t)el_get(a, i, esz);
    int64_t y = sgn ? sign_extend(el_get(b, j, esz), esz) : (int64_t)el_get(b, j, esz);
    if (agg == 1)
        return i & 1 ? x >= y : x <= y;
    return x == y;
}

/* PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM: in->imm2 bit 0 = explicit lengths, bit 1 = mask
 * result (else index); in->osz = 8 with REX.W (RAX/RDX lengths). */
static int op_pcmpstr(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    uint8_t imm = (uint8_t)in->imm;
    int esz = imm & 1 ? 2 : 1, n = 16 / esz, agg = imm >> 2 & 3, pol = imm >> 4 & 3;
    bool sgn = imm & 2;
    Xmm b;
    if (in->flags & INSN_MEM)
        simd_read128(cpu, in, false, &b);
    else
        b = cpu->xmm[in->r[1]];
    const Xmm a = cpu->xmm[in->r[0]];
    int la, lb;
    if (in->imm2 & 1) {
        la = str_len_explicit(cpu->gpr[R_AX], in->osz, n);
        lb = str_len_explicit(cpu->gpr[R_DX], in->osz, n);
    } else {
        la = str_len_implicit(&a, esz, n);
        lb = str_len_implicit(&b, esz, n);
    }
    unsigned res = 0;
    for (int j = 0; j < n; j++) {
        bool r = false;
        switch (agg) {
        case 0:
            for (int i = 0; i < n && !r; i++)
                r = str_bool(0, &a, &b, i, j, la, lb, esz, sgn);
            break;
        case 1:
            for (int i = 0; i + 1 < n && !r; i += 2)
                r = str_bool(1, &a, &b, i, j, la, lb, esz, sgn) &&
                    str_bool(1, &a, &b, i + 1, j, la, lb, esz, sgn);
            break;
        case 2:
            r = str_bool(2, &a, &b, j, j, la, lb, esz, sgn);
            break;
        default:
            r = true;
            for (int k = 0; k < n - j && r; k++)
                r = str_bool(3, &a, &b, k, j + k, la, lb, esz, sgn);
            break;
        }
        res |= (unsigned)r << j;
    }
    unsigned all = (1u << n) - 1;
    if (pol == 1)
        res ^= all;
    else if (pol == 3)
        res ^= (1u << lb) - 1;
    if (in->imm2 & 2) {
        Xmm m = { .q = { 0, 0 } };
        if (imm & 0x40) {
            for (int i = 0; i < n; i++)
                el_set(&m, i, esz, res >> i & 1 ? size_mask(esz) : 0);
        } else {
            m.q[0] = res;
        }
        cpu->xmm[0] = m;
    } else {
        int idx = n;
        if (res)
            idx = imm & 0x40 ? 31 - __builtin_clz(res) : __builtin_ctz(res);
        reg_write(cpu, R_CX, 4, (uint64_t)idx);
    }
    uint32_t f = (res ? FL_CF : 0) | (lb < n ? FL_ZF : 0) | (la < n ? FL_SF : 0) |
                 (res & 1 ? FL_OF : 0);
    cc_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~FL_ARITH) | f;
    return INSN_NEXT;
}

/* ---- selector ---- */

static bool px_is_move(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MOVD: case ZYDIS_MNEMONIC_MOVQ: case ZYDIS_MNEMONIC_MOVDQA:
    case ZYDIS_MNEMONIC_MOVDQU: case ZYDIS_MNEMONIC_LDDQU: case ZYDIS_MNEMONIC_MOVNTDQ:
    case ZYDIS_MNEMONIC_MOVNTQ: case ZYDIS_MNEMONIC_MOVNTDQA: case ZYDIS_MNEMONIC_MOVQ2DQ:
    case ZYDIS_MNEMONIC_MOVDQ2Q:
        return true;
    default:
        return false;
    }
}

/* Size in bytes of visible operand i. */
static inline int op_bytes(const DecodeCtx *d, int i) { return d->op[i].size / 8; }

InsnFn sse_int_select(DecodeCtx *d, Insn *in)
{
    ZydisMnemonic m = d->zi->mnemonic;
    if (d->zi->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
        return NULL;
    if (m == ZYDIS_MNEMONIC_CRC32) {
        in->imm2 = (uint16_t)op_bytes(d, 1);
        return op_crc32;
    }
    if (m == ZYDIS_MNEMONIC_MOVNTI)
        return op_movnti;
    if (d->nops < 2)
        return NULL;
    bool mmx = d->kind[0] == 'q' || d->kind[1] == 'q';
    bool mem = d->kind[0] == 'm' || d->kind[1] == 'm';
    in->sub = mmx ? PX_MMX : 0;
    if (px_is_move(m)) {
        int msz = op_bytes(d, d->kind[0] == 'm' || d->kind[0] == 'r' ? 0 : 1);
        if ((d->kind[0] == 'v' && d->kind[1] == 'v' && m == ZYDIS_MNEMONIC_MOVQ) || (mmx && msz > 8))
            msz = 8;                       /* MOVQ xmm, xmm and MOVDQ2Q: the low quadword */
        in->sub = (uint8_t)msz;
        if (msz == 16 && m != ZYDIS_MNEMONIC_MOVDQU && m != ZYDIS_MNEMONIC_LDDQU)
            in->sub |= PX_ALIGN;
        in->imm = (uint64_t)(uint8_t)d->kind[0] | (uint64_t)(uint8_t)d->kind[1] << 8;
        return op_pmov;
    }
    switch (m) {
    case ZYDIS_MNEMONIC_PMOVMSKB:
        return op_pmovmskb;
    case ZYDIS_MNEMONIC_PEXTRB: case ZYDIS_MNEMONIC_PEXTRW: case ZYDIS_MNEMONIC_PEXTRD:
    case ZYDIS_MNEMONIC_PEXTRQ:
        in->imm2 = m == ZYDIS_MNEMONIC_PEXTRB ? 1 : m == ZYDIS_MNEMONIC_PEXTRW ? 2 :
                   m == ZYDIS_MNEMONIC_PEXTRD ? 4 : 8;
        in->osz = (uint8_t)(d->kind[0] == 'r' ? op_bytes(d, 0) : in->imm2);
        return op_pextr;
    case ZYDIS_MNEMONIC_PINSRB: case ZYDIS_MNEMONIC_PINSRW: case ZYDIS_MNEMONIC_PINSRD:
    case ZYDIS_MNEMONIC_PINSRQ:
        in->imm2 = m == ZYDIS_MNEMONIC_PINSRB ? 1 : m == ZYDIS_MNEMONIC_PINSRW ? 2 :
                   m == ZYDIS_MNEMONIC_PINSRD ? 4 : 8;
        return op_pinsr;
    case ZYDIS_MNEMONIC_PCMPESTRI: case ZYDIS_MNEMONIC_PCMPESTRM: case ZYDIS_MNEMONIC_PCMPISTRI:
    case ZYDIS_MNEMONIC_PCMPISTRM:
        in->imm2 = (uint16_t)((m == ZYDIS_MNEMONIC_PCMPESTRI || m == ZYDIS_MNEMONIC_PCMPESTRM ? 1 : 0) |
                              (m == ZYDIS_MNEMONIC_PCMPESTRM || m == ZYDIS_MNEMONIC_PCMPISTRM ? 2 : 0));
        in->osz = d->zi->operand_width == 64 ? 8 : 4;
        return op_pcmpstr;
    case ZYDIS_MNEMONIC_PTEST:
        in->sub = 16 | PX_ALIGN;
        return op_ptest;
    case ZYDIS_MNEMONIC_MASKMOVQ: case ZYDIS_MNEMONIC_MASKMOVDQU:
        for (int i = 0; i < d->zi->operand_count; i++)
            if (d->op[i].type == ZYDIS_OPERAND_TYPE_MEMORY) {
                int s = decode_sreg(d->op[i].mem.segment);
                in->seg = (uint8_t)(s == SEG_NONE ? SEG_DS : s);
            }
        return op_maskmov;
    default:
        break;
    }
    for (size_t i = 0; i < sizeof(px_ops) / sizeof(px_ops[0]); i++) {
        if (px_ops[i].mnem != m)
            continue;
        if (d->kind[0] != 'q' && d->kind[0] != 'v')
            return NULL;
        int msz = px_ops[i].msz ? px_ops[i].msz : mmx ? 8 : 16;
        in->sub = (uint8_t)(in->sub | msz | (mem && msz == 16 ? PX_ALIGN : 0));
        in->imm2 = (uint16_t)i;
        return op_px;
    }
    return NULL;
}

/* The SSE2 twin (66 0F opcode) of each elementwise operation by element size 1, 2, 4, 8; 0: none
 * on an SSE2 host (PMULLD, PMINUW, PCMPEQQ, PSIGN... are SSSE3 or SSE4.1).  Each computes what
 * el_op() computes (SDM vol. 2, each instruction's operation). */
static const uint8_t px_sse2[K_ELEM_END][4] = {
    [K_ADD] = { 0xfc, 0xfd, 0xfe, 0xd4 },   [K_SUB] = { 0xf8, 0xf9, 0xfa, 0xfb },
    [K_ADDS] = { 0xec, 0xed, 0, 0 },        [K_SUBS] = { 0xe8, 0xe9, 0, 0 },
    [K_ADDUS] = { 0xdc, 0xdd, 0, 0 },       [K_SUBUS] = { 0xd8, 0xd9, 0, 0 },
    [K_MULL] = { 0, 0xd5, 0, 0 },           [K_MULH] = { 0, 0xe5, 0, 0 },
    [K_MULHU] = { 0, 0xe4, 0, 0 },          [K_AND] = { 0, 0, 0, 0xdb },
    [K_ANDN] = { 0, 0, 0, 0xdf },           [K_OR] = { 0, 0, 0, 0xeb },
    [K_XOR] = { 0, 0, 0, 0xef },            [K_CMPEQ] = { 0x74, 0x75, 0x76, 0 },
    [K_CMPGT] = { 0x64, 0x65, 0x66, 0 },    [K_AVG] = { 0xe0, 0xe3, 0, 0 },
    [K_MINU] = { 0xda, 0, 0, 0 },           [K_MAXU] = { 0xde, 0, 0, 0 },
    [K_MINS] = { 0, 0xea, 0, 0 },           [K_MAXS] = { 0, 0xee, 0, 0 },
};

InsnForm sse_int_form(const Insn *in, uint8_t *opcode, bool *aligned)
{
    *aligned = (in->sub & PX_ALIGN) != 0;
    *opcode = 0;
    if (in->fn == op_pmovmskb)
        return in->sub & PX_MMX ? FORM_NONE : FORM_PMOVMSKB;
    if (in->fn == op_pmov) {
        char k0 = mv_kind(in, 0), k1 = mv_kind(in, 1);
        if ((in->sub & PX_MSZ) != 16)
            return FORM_NONE;
        if (k0 == 'v' && (k1 == 'v' || k1 == 'm'))
            return FORM_XMM_LOAD;
        return k0 == 'm' && k1 == 'v' ? FORM_XMM_STORE : FORM_NONE;
    }
    if (in->fn != op_px || (in->sub & PX_MMX) || (in->r[1] == REG_NONE && !(in->flags & INSN_MEM)))
        return FORM_NONE;     /* MMX, or a shift by imm8 */
    const PxOp *op = &px_ops[in->imm2];
    if (op->kind >= K_ELEM_END || op->msz)
        return FORM_NONE;
    *opcode = px_sse2[op->kind][op->esz == 1 ? 0 : op->esz == 2 ? 1 : op->esz == 4 ? 2 : 3];
    return *opcode ? FORM_XMM_OP : FORM_NONE;
}
