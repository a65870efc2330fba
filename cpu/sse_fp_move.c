/*
 * sse_fp_move.c — SSE/SSE2/SSE3/SSE4.1 floating-point data movement, shuffles, logic and blends
 * (SDM vol. 2).  None of these computes on floating-point values: no MXCSR flag is ever set and
 * no SIMD floating-point exception is possible; only #UD/#NM (simd.h), #GP/#SS/#PF for memory and
 * #GP(0) for a misaligned 16-byte operand of an aligned form.
 *
 *   MOVAPS/MOVAPD/MOVUPS/MOVUPD  128-bit copy (A: aligned memory, U: any);  MOVNTPS/MOVNTPD store
 *                                 only, aligned (the non-temporal hint means nothing here).
 *   MOVSS/MOVSD                   xmm, xmm: low element replaced, the rest kept; xmm, mem: low
 *                                 element loaded, the rest zeroed; mem, xmm: low element stored.
 *   MOVLPS/MOVLPD, MOVHPS/MOVHPD  load or store the low / high quadword; the other half is kept.
 *   MOVHLPS xmm1, xmm2            low(xmm1) = high(xmm2);  MOVLHPS: high(xmm1) = low(xmm2).
 *   MOVMSKPS/MOVMSKPD r, xmm      sign bits of the elements into the low bits, zero-extended.
 *   MOVSLDUP/MOVSHDUP             {s0,s0,s2,s2} / {s1,s1,s3,s3};  MOVDDUP: {s.q0, s.q0} (m64).
 *   SHUFPS                        {d[i0], d[i1], s[i2], s[i3]} with ik = imm8 bits 2k+1:2k;
 *   SHUFPD                        {d.q[imm0], s.q[imm1]}.
 *   UNPCKLPS {d0,s0,d1,s1}  UNPCKHPS {d2,s2,d3,s3}  UNPCKLPD {d.q0,s.q0}  UNPCKHPD {d.q1,s.q1}.
 *   ANDPS/ANDNPS/ORPS/XORPS (and PD): bitwise; ANDN is (NOT dest) AND src.
 *   BLENDPS/BLENDPD               element i from src when imm8 bit i is set, else kept;
 *   BLENDVPS/BLENDVPD             the same with the sign bits of XMM0's elements as the mask.
 *   INSERTPS xmm1, xmm2/m32, imm8 the source element (xmm2: element imm8[7:6]; m32: itself) goes
 *                                 to element imm8[5:4] of xmm1, then elements with imm8[3:0] bits
 *                                 set are zeroed.
 *   EXTRACTPS r/m32, xmm, imm8    element imm8[1:0] to r/m32 (a register destination is written
 *                                 as 32 bits, so zero-extended to 64).
 */
#include "cpu/forms.h"
#include "cpu/sse_fp.h"

enum {
    MV_MOV128, MV_MOVSS, MV_MOVSD, MV_LOADLO, MV_LOADHI, MV_HL, MV_LH, MV_SLDUP, MV_SHDUP, MV_DDUP,
    MV_SHUFPS, MV_SHUFPD, MV_UNPCKLPS, MV_UNPCKHPS, MV_UNPCKLPD, MV_UNPCKHPD, MV_AND, MV_ANDN,
    MV_OR, MV_XOR, MV_BLENDPS, MV_BLENDPD, MV_BLENDVPS, MV_BLENDVPD, MV_INSERTPS,
};

enum { ST_128, ST_LO32, ST_LO64, ST_HI64 };

/* Memory-operand size of each MV_* source. */
static const uint8_t mv_src_size[] = {
    [MV_MOV128] = 16, [MV_MOVSS] = 4, [MV_MOVSD] = 8, [MV_LOADLO] = 8, [MV_LOADHI] = 8,
    [MV_HL] = 16, [MV_LH] = 16, [MV_SLDUP] = 16, [MV_SHDUP] = 16, [MV_DDUP] = 8,
    [MV_SHUFPS] = 16, [MV_SHUFPD] = 16, [MV_UNPCKLPS] = 16, [MV_UNPCKHPS] = 16,
    [MV_UNPCKLPD] = 16, [MV_UNPCKHPD] = 16, [MV_AND] = 16, [MV_ANDN] = 16, [MV_OR] = 16,
    [MV_XOR] = 16, [MV_BLENDPS] = 16, [MV_BLENDPD] = 16, [MV_BLENDVPS] = 16, [MV_BLENDVPD] = 16,
    [MV_INSERTPS] = 4,
};

/* The new destination from the old one `d`, the source `s` (and XMM0 for BLENDV*). */
static Xmm move_compute(int op, Xmm d, Xmm s, const Xmm *x0, unsigned imm, bool mem)
{
    Xmm r = d;
    switch (op) {
    case MV_MOV128: r = s; break;
    case MV_MOVSS:
        if (mem)
            r.q[1] = r.q[0] = 0;
        r.d[0] = s.d[0];
        break;
    case MV_MOVSD:
        if (mem)
            r.q[1] = 0;
        r.q[0] = s.q[0];
        break;
    case MV_LOADLO: r.q[0] = s.q[0]; break;
    case MV_LOADHI: r.q[1] = s.q[0]; break;
    case MV_HL: r.q[0] = s.q[1]; break;
    case MV_LH: r.q[1] = s.q[0]; break;
    case MV_SLDUP: r.d[0] = r.d[1] = s.d[0]; r.d[2] = r.d[3] = s.d[2]; break;
    case MV_SHDUP: r.d[0] = r.d[1] = s.d[1]; r.d[2] = r.d[3] = s.d[3]; break;
    case MV_DDUP: r.q[0] = r.q[1] = s.q[0]; break;
    case MV_SHUFPS:
        r.d[0] = d.d[imm & 3];
        r.d[1] = d.d[(imm >> 2) & 3];
        r.d[2] = s.d[(imm >> 4) & 3];
        r.d[3] = s.d[(imm >> 6) & 3];
        break;
    case MV_SHUFPD:
        r.q[0] = d.q[imm & 1];
        r.q[1] = s.q[(imm >> 1) & 1];
        break;
    case MV_UNPCKLPS: r.d[0] = d.d[0]; r.d[1] = s.d[0]; r.d[2] = d.d[1]; r.d[3] = s.d[1]; break;
    case MV_UNPCKHPS: r.d[0] = d.d[2]; r.d[1] = s.d[2]; r.d[2] = d.d[3]; r.d[3] = s.d[3]; break;
    case MV_UNPCKLPD: r.q[0] = d.q[0]; r.q[1] = s.q[0]; break;
    case MV_UNPCKHPD: r.q[0] = d.q[1]; r.q[1] = s.q[1]; break;
    case MV_AND: r.q[0] = d.q[0] & s.q[0]; r.q[1] = d.q[1] & s.q[1]; break;
    case MV_ANDN: r.q[0] = ~d.q[0] & s.q[0]; r.q[1] = ~d.q[1] & s.q[1]; break;
    case MV_OR: r.q[0] = d.q[0] | s.q[0]; r.q[1] = d.q[1] | s.q[1]; break;
    case MV_XOR: r.q[0] = d.q[0] ^ s.q[0]; r.q[1] = d.q[1] ^ s.q[1]; break;
    case MV_BLENDPS:
        for (int i = 0; i < 4; i++)
            if (imm >> i & 1)
                r.d[i] = s.d[i];
        break;
    case MV_BLENDPD:
        for (int i = 0; i < 2; i++)
            if (imm >> i & 1)
                r.q[i] = s.q[i];
        break;
    case MV_BLENDVPS:
        for (int i = 0; i < 4; i++)
            if (x0->d[i] >> 31)
                r.d[i] = s.d[i];
        break;
    case MV_BLENDVPD:
        for (int i = 0; i < 2; i++)
            if (x0->q[i] >> 63)
                r.q[i] = s.q[i];
        break;
    case MV_INSERTPS:
        r.d[(imm >> 4) & 3] = mem ? s.d[0] : s.d[(imm >> 6) & 3];
        for (int i = 0; i < 4; i++)
            if (imm >> i & 1)
                r.d[i] = 0;
        break;
    default: break;
    }
    return r;
}

/* xmm1 = f(xmm1, xmm2/mem[, imm8]) */
static int op_movfp_x_xm(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    Xmm s = sse_fp_src(cpu, in, 1, mv_src_size[in->sub]);
    Xmm *d = &cpu->xmm[in->r[0]];
    *d = move_compute(in->sub, *d, s, &cpu->xmm[0], (unsigned)in->imm, (in->flags & INSN_MEM) != 0);
    return INSN_NEXT;
}

/* mem = xmm (128 bits, low dword, low or high quadword) */
static int op_movfp_m_x(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    const Xmm *s = &cpu->xmm[in->r[1]];
    switch (in->sub) {
    case ST_128: simd_write128(cpu, in, !(in->imm2 & SSE_FP_UNALIGNED), s); break;
    case ST_LO32: cpu_write(cpu, in->seg, insn_ea(cpu, in), 4, s->d[0]); break;
    case ST_LO64: cpu_write(cpu, in->seg, insn_ea(cpu, in), 8, s->q[0]); break;
    default: cpu_write(cpu, in->seg, insn_ea(cpu, in), 8, s->q[1]); break;
    }
    return INSN_NEXT;
}

static int op_movmskps(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    const Xmm *s = &cpu->xmm[in->r[1]];
    uint64_t m = 0;
    for (int i = 0; i < 4; i++)
        m |= (uint64_t)(s->d[i] >> 31) << i;
    reg_write(cpu, in->r[0], 8, m);
    return INSN_NEXT;
}

static int op_movmskpd(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    const Xmm *s = &cpu->xmm[in->r[1]];
    reg_write(cpu, in->r[0], 8, (s->q[0] >> 63) | (s->q[1] >> 63) << 1);
    return INSN_NEXT;
}

static int op_extractps(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    uint32_t v = cpu->xmm[in->r[1]].d[in->imm & 3];
    if (in->flags & INSN_MEM)
        cpu_write(cpu, in->seg, insn_ea(cpu, in), 4, v);
    else
        reg_write(cpu, in->r[0], 4, v);
    return INSN_NEXT;
}

typedef struct MoveForm {
    uint16_t mnem;
    int8_t load;        /* MV_* for xmm, xmm/mem; -1: none */
    int8_t store;       /* ST_* for mem, xmm; -1: none */
    bool unaligned;     /* 16-byte memory operand may be misaligned */
    bool mem_only;      /* the xmm, xmm form is another instruction (MOVLPS/MOVHPS/...) */
} MoveForm;

static const MoveForm move_forms[] = {
    { ZYDIS_MNEMONIC_MOVAPS, MV_MOV128, ST_128, false, false },
    { ZYDIS_MNEMONIC_MOVAPD, MV_MOV128, ST_128, false, false },
    { ZYDIS_MNEMONIC_MOVUPS, MV_MOV128, ST_128, true, false },
    { ZYDIS_MNEMONIC_MOVUPD, MV_MOV128, ST_128, true, false },
    { ZYDIS_MNEMONIC_MOVNTPS, -1, ST_128, false, false },
    { ZYDIS_MNEMONIC_MOVNTPD, -1, ST_128, false, false },
    { ZYDIS_MNEMONIC_MOVSS, MV_MOVSS, ST_LO32, false, false },
    { ZYDIS_MNEMONIC_MOVSD, MV_MOVSD, ST_LO64, false, false },
    { ZYDIS_MNEMONIC_MOVLPS, MV_LOADLO, ST_LO64, false, true },
    { ZYDIS_MNEMONIC_MOVLPD, MV_LOADLO, ST_LO64, false, true },
    { ZYDIS_MNEMONIC_MOVHPS, MV_LOADHI, ST_HI64, false, true },
    { ZYDIS_MNEMONIC_MOVHPD, MV_LOADHI, ST_HI64, false, true },
    { ZYDIS_MNEMONIC_MOVHLPS, MV_HL, -1, false, false },
    { ZYDIS_MNEMONIC_MOVLHPS, MV_LH, -1, false, false },
    { ZYDIS_MNEMONIC_MOVSLDUP, MV_SLDUP, -1, false, false },
    { ZYDIS_MNEMONIC_MOVSHDUP, MV_SHDUP, -1, false, false },
    { ZYDIS_MNEMONIC_MOVDDUP, MV_DDUP, -1, false, false },
    { ZYDIS_MNEMONIC_SHUFPS, MV_SHUFPS, -1, false, false },
    { ZYDIS_MNEMONIC_SHUFPD, MV_SHUFPD, -1, false, false },
    { ZYDIS_MNEMONIC_UNPCKLPS, MV_UNPCKLPS, -1, false, false },
    { ZYDIS_MNEMONIC_UNPCKHPS, MV_UNPCKHPS, -1, false, false },
    { ZYDIS_MNEMONIC_UNPCKLPD, MV_UNPCKLPD, -1, false, false },
    { ZYDIS_MNEMONIC_UNPCKHPD, MV_UNPCKHPD, -1, false, false },
    { ZYDIS_MNEMONIC_ANDPS, MV_AND, -1, false, false },
    { ZYDIS_MNEMONIC_ANDPD, MV_AND, -1, false, false },
    { ZYDIS_MNEMONIC_ANDNPS, MV_ANDN, -1, false, false },
    { ZYDIS_MNEMONIC_ANDNPD, MV_ANDN, -1, false, false },
    { ZYDIS_MNEMONIC_ORPS, MV_OR, -1, false, false },
    { ZYDIS_MNEMONIC_ORPD, MV_OR, -1, false, false },
    { ZYDIS_MNEMONIC_XORPS, MV_XOR, -1, false, false },
    { ZYDIS_MNEMONIC_XORPD, MV_XOR, -1, false, false },
    { ZYDIS_MNEMONIC_BLENDPS, MV_BLENDPS, -1, false, false },
    { ZYDIS_MNEMONIC_BLENDPD, MV_BLENDPD, -1, false, false },
    { ZYDIS_MNEMONIC_BLENDVPS, MV_BLENDVPS, -1, false, false },
    { ZYDIS_MNEMONIC_BLENDVPD, MV_BLENDVPD, -1, false, false },
    { ZYDIS_MNEMONIC_INSERTPS, MV_INSERTPS, -1, false, false },
};

InsnFn sse_fp_move_select(DecodeCtx *d, Insn *in)
{
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_MOVMSKPS:
        return d->kind[0] == 'r' && d->kind[1] == 'v' ? op_movmskps : NULL;
    case ZYDIS_MNEMONIC_MOVMSKPD:
        return d->kind[0] == 'r' && d->kind[1] == 'v' ? op_movmskpd : NULL;
    case ZYDIS_MNEMONIC_EXTRACTPS:
        return (d->kind[0] == 'r' || d->kind[0] == 'm') && d->kind[1] == 'v' ? op_extractps : NULL;
    default:
        break;
    }
    for (size_t i = 0; i < sizeof(move_forms) / sizeof(move_forms[0]); i++) {
        const MoveForm *f = &move_forms[i];
        if (f->mnem != d->zi->mnemonic)
            continue;
        in->imm2 = f->unaligned ? SSE_FP_UNALIGNED : 0;
        if (d->kind[0] == 'v' && (d->kind[1] == 'v' || d->kind[1] == 'm') && f->load >= 0) {
            if (f->mem_only && d->kind[1] != 'm')
                return NULL;
            in->sub = (uint8_t)f->load;
            return op_movfp_x_xm;
        }
        if (d->kind[0] == 'm' && d->kind[1] == 'v' && f->store >= 0) {
            in->sub = (uint8_t)f->store;
            return op_movfp_m_x;
        }
        return NULL;
    }
    return NULL;
}

InsnForm sse_fp_move_form(const Insn *in, bool *aligned)
{
    *aligned = !(in->imm2 & SSE_FP_UNALIGNED);
    if (in->fn == op_movfp_x_xm && in->sub == MV_MOV128)
        return FORM_XMM_LOAD;
    if (in->fn == op_movfp_m_x && in->sub == ST_128)
        return FORM_XMM_STORE;
    return FORM_NONE;
}
