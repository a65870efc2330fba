/*
 * sse_fp.c — SSE/SSE2/SSE3/SSE4.1 floating-point arithmetic, comparisons, conversions and MXCSR
 * (SDM vol. 1, chapters 10-11; vol. 2 per instruction).  Data movement is cpu/sse_fp_move.c; the
 * arithmetic itself runs on the host SSE unit (cpu/sse_fp_host.c).
 *
 *   ADD/SUB/MUL/DIV/SQRT/MIN/MAX PS/PD/SS/SD, RCP/RSQRT PS/SS, ADDSUB/HADD/HSUB PS/PD,
 *   ROUND PS/PD/SS/SD, DPPS/DPPD, CVT between PS/PD/SS/SD/DQ: the host instruction itself.
 *   CMPPS/PD/SS/SD imm8[2:0]: predicates 4-7 are the negations of 0-3 with the same exceptions
 *       (NEQ/NLT/NLE/ORD vs EQ/LT/LE/UNORD), so the host runs p & 3 and the result is inverted.
 *   ROUND* imm8: bit 2 set = MXCSR.RC, else RC = imm8[1:0]; bit 3 suppresses #P.  The host runs
 *       "MXCSR.RC" (4 | bit 3) with the chosen mode put into the MXCSR it loads.
 *   DPPS/DPPD: the sum does not depend on the destination mask (imm8 low bits), which only picks
 *       the elements receiving it (the others are zeroed); the host runs with a full mask.
 *   COMISS/COMISD (signal on QNaN) and UCOMISS/UCOMISD: ZF,PF,CF = 111 unordered, 000 greater,
 *       001 less, 100 equal; OF, SF, AF cleared.
 *   CVTSI2SS/SD r/m32/64; CVT(T)SS2SI/CVT(T)SD2SI r32/64 (invalid -> integer indefinite).
 *   CVTPI2PS/CVTPI2PD xmm, mm/m64; CVT(T)PS2PI mm, xmm/m64; CVT(T)PD2PI mm, xmm/m128: computed
 *       as CVTDQ2PS/CVTDQ2PD/CVT(T)PS2DQ/CVT(T)PD2DQ on the low two elements (zero elements
 *       above raise nothing).  An MMX register operand switches the x87 to MMX mode (TOP = 0, all
 *       tags valid); CVTPI2PS/PD with a memory source do not (SDM vol. 2, CVTPI2PS).  XXX: the
 *       switch also happens when the conversion raises #XM (the host does so; the SDM does not
 *       say), after the operand's own faults.
 *   LDMXCSR m32: a reserved bit set (31:16 here: DAZ is supported) -> #GP(0).  STMXCSR m32.
 *
 * SIMD floating-point exceptions (SDM vol. 1, 11.5): the host computes with everything masked.
 * If one of the raised pre-computation exceptions (IE, DE, ZE) is unmasked in the guest MXCSR,
 * only those flags are set; otherwise all raised flags are set.  Either way, if a raised flag is
 * unmasked the destination is not written and #XM is raised (#UD when CR4.OSXMMEXCPT = 0).
 * With UE unmasked, hardware signals underflow for every tiny result, exact or not (vol. 1,
 * 4.9.1.5); the host, with UE masked, only flags tiny-and-inexact ones.  So when the guest has UE
 * unmasked, the operation runs without FTZ (which only acts on masked underflows) and, when that
 * reported no UE, once more with FTZ set, which flushes every tiny result and flags UE: that
 * run's UE is the guest's (its result is dropped).
 * Also with UE (OE) unmasked, PE of a tiny (huge) result reports its inexactness when rounded
 * with an UNBOUNDED exponent (vol. 1, 4.9.1.5-6, 11.5.2.4), while the masked host counts the bits
 * lost by denormalizing (overflowing).  So when such a run raised PE and an unmasked UE or OE, for
 * MUL, DIV, ADD, SUB, CVTPD2PS and CVTSD2SS each element runs alone (the other elements 1.0: they
 * raise nothing), and in an element raising the unmasked UE/OE the operands are rescaled exactly
 * and the operation runs once more with a normal result, whose PE is the element's: MUL/DIV
 * operands (conversion source) get exponent 0, same significand (denormals normalized); ADD/SUB
 * operands are both halved (a tiny sum is always exact, so only overflow gets here; an operand too
 * small to halve exactly makes the exact sum span more bits than the format: PE).  HADD/HSUB/
 * ADDSUB line their operand pairs up as ADD/SUB elements for the same.  DPPS/DPPD with any
 * exception unmasked take their flags from their steps (fp_dot_flags): the pre-computation rule
 * applies to each step's own flags, so the masked UE/PE of the products stay when the sum that
 * follows raises an unmasked DE (fp_precomp runs per step, fp_exceptions only merges).
 */
#include "cpu/flags.h"
#include "cpu/sse_fp.h"

#define MXCSR_IE 0x01u
#define MXCSR_DE 0x02u
#define MXCSR_ZE 0x04u
#define MXCSR_OE 0x08u
#define MXCSR_UE 0x10u
#define MXCSR_PE 0x20u
#define MXCSR_FLAGS 0x3fu
#define MXCSR_OM 0x400u
#define MXCSR_UM 0x800u
#define MXCSR_FTZ 0x8000u
#define MXCSR_RC_SHIFT 13
/* Bits LDMXCSR accepts: flags, DAZ, masks, RC, FTZ (MXCSR_MASK = 0xffff). */
#define MXCSR_VALID 0xffffu

/* The flags one computation step reports: with an unmasked pre-computation exception (IE, DE,
 * ZE) among the raised ones, only those (SDM vol. 1, 11.5.2). */
static uint32_t fp_precomp(uint32_t raised, uint32_t mxcsr)
{
    uint32_t unmasked = raised & ~(mxcsr >> 7) & MXCSR_FLAGS;
    if (unmasked & (MXCSR_IE | MXCSR_DE | MXCSR_ZE))
        raised &= MXCSR_IE | MXCSR_DE | MXCSR_ZE;
    return raised;
}

/* Merges the exceptions an instruction reported (fp_precomp already applied) into MXCSR and
 * raises #XM/#UD when one of them is unmasked; returns only when the destination may be
 * written. */
static void fp_exceptions(Cpu *cpu, uint32_t raised)
{
    uint32_t unmasked = raised & ~(cpu->mxcsr >> 7) & MXCSR_FLAGS;
    cpu->mxcsr |= raised;
    if (unmasked)
        cpu_raise(cpu, (cpu->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, EXC_NO_ERR);
}

/* The same value with exponent 0 (in [1, 2)), its significand kept; for a nonzero finite element
 * of `dbl` (double) or single precision.  Denormals are normalized first. */
static uint64_t fp_unit_scale(uint64_t v, bool dbl)
{
    int mbits = dbl ? 52 : 23;
    int ebits = dbl ? 11 : 8;
    uint64_t mmask = (1ull << mbits) - 1;
    uint64_t sign = v & (1ull << (mbits + ebits));
    uint64_t bias = (1ull << (ebits - 1)) - 1;
    uint64_t m = v & mmask;
    if (!(v >> mbits & ((1ull << ebits) - 1))) {
        while (m && !(m >> mbits))
            m <<= 1;
        m &= mmask;
    }
    return sign | bias << mbits | m;
}

/* Writes element `i` (4 or 8 bytes) of x. */
static void fp_lane_set(Xmm *x, int i, bool dbl, uint64_t v)
{
    if (dbl)
        x->q[i] = v;
    else
        x->d[i] = (uint32_t)v;
}

static uint64_t fp_lane_get(const Xmm *x, int i, bool dbl) { return dbl ? x->q[i] : x->d[i]; }

/* Halves a finite element exactly into *out; false when it cannot be done (nonzero with the
 * smallest or no biased exponent).  Zeros, infinities and NaNs are kept. */
static bool fp_halve(uint64_t v, bool dbl, uint64_t *out)
{
    int mbits = dbl ? 52 : 23;
    uint64_t emax = dbl ? 0x7ff : 0xff;
    uint64_t ex = v >> mbits & emax;
    uint64_t mag = v & ((1ull << (mbits + (dbl ? 11 : 8))) - 1);
    *out = v;
    if (!mag || ex == emax)
        return true;
    if (ex < 2)
        return false;
    *out = v - (1ull << mbits);
    return true;
}

/* PE of `op` per element with an unbounded exponent where an element raises one of `unb` (UE and/or
 * OE, the unmasked ones), the host's PE elsewhere (above); `mxcsr` without FTZ. */
static uint32_t fp_unbounded_pe(int op, const Xmm *r, const Xmm *s, uint32_t mxcsr, uint32_t unb)
{
    int lanes;
    bool ddbl, sdbl;     /* element size of the destination / source operands */
    bool both = true;    /* both operands are inputs (else only the source) */
    bool add = false;    /* a sum: both operands halved, else each scaled into [1, 2) */
    switch (op) {
    case FP_ADDPS: case FP_SUBPS: add = true; /* fall through */
    case FP_MULPS: case FP_DIVPS: lanes = 4; ddbl = sdbl = false; break;
    case FP_ADDSS: case FP_SUBSS: add = true; /* fall through */
    case FP_MULSS: case FP_DIVSS: lanes = 1; ddbl = sdbl = false; break;
    case FP_ADDPD: case FP_SUBPD: add = true; /* fall through */
    case FP_MULPD: case FP_DIVPD: lanes = 2; ddbl = sdbl = true; break;
    case FP_ADDSD: case FP_SUBSD: add = true; /* fall through */
    case FP_MULSD: case FP_DIVSD: lanes = 1; ddbl = sdbl = true; break;
    case FP_CVTPD2PS: lanes = 2; ddbl = false; sdbl = true; both = false; break;
    default: lanes = 1; ddbl = false; sdbl = true; both = false; break;   /* FP_CVTSD2SS */
    }
    const uint64_t one_s = 0x3f800000u, one_d = 0x3ff0000000000000ull;
    uint32_t pe = 0;
    for (int i = 0; i < lanes; i++) {
        Xmm a, b;
        for (int j = 0; j < 4; j++) {
            fp_lane_set(&a, j >> ddbl, ddbl, ddbl ? one_d : one_s);
            fp_lane_set(&b, j >> sdbl, sdbl, sdbl ? one_d : one_s);
        }
        uint64_t av = fp_lane_get(r, i, ddbl), bv = fp_lane_get(s, i, sdbl);
        if (both)
            fp_lane_set(&a, i, ddbl, av);
        fp_lane_set(&b, i, sdbl, bv);
        Xmm t = a;
        uint32_t f = sse_fp_host(op, &t, &b, 0, mxcsr);
        if (f & unb) {
            /* a tiny or huge result: DAZ zeroed no operand, every operand is finite */
            if (add) {
                uint64_t ah, bh;
                /* an operand that cannot be halved is 2^125 or more (single; 2^1021 double)
                 * below the other, whose bits the exact sum then spans: inexact */
                if (!fp_halve(av, ddbl, &ah) || !fp_halve(bv, sdbl, &bh)) {
                    pe = MXCSR_PE;
                    continue;
                }
                fp_lane_set(&a, i, ddbl, ah);
                fp_lane_set(&b, i, sdbl, bh);
            } else {
                if (both)
                    fp_lane_set(&a, i, ddbl, fp_unit_scale(av, ddbl));
                fp_lane_set(&b, i, sdbl, fp_unit_scale(bv, sdbl));
            }
            f = sse_fp_host(op, &a, &b, 0, mxcsr);
        }
        pe |= f & MXCSR_PE;
    }
    return pe;
}

static uint32_t fp_host_run(int op, Xmm *r, const Xmm *s, unsigned imm, uint32_t mxcsr);

/* Unbounded PE of HADD/HSUB/ADDSUB PS/PD: each result element is the ADD or SUB of one operand
 * pair, so the pairs are lined up as the elements of ADDPS/SUBPS (ADDPD/SUBPD) operands, the
 * elements of the other operation 1.0 (1 + 1 and 1 - 1 raise nothing). */
static uint32_t fp_horizontal_pe(int op, const Xmm *r, const Xmm *s, uint32_t mxcsr, uint32_t unb)
{
    bool dbl = op == FP_HADDPD || op == FP_HSUBPD || op == FP_ADDSUBPD;
    int lanes = dbl ? 2 : 4;
    const uint64_t one = dbl ? 0x3ff0000000000000ull : 0x3f800000u;
    Xmm a, b;
    if (op == FP_ADDSUBPS || op == FP_ADDSUBPD) {
        /* even elements subtract, odd ones add */
        uint32_t pe = 0;
        for (int odd = 0; odd < 2; odd++) {
            for (int i = 0; i < lanes; i++) {
                bool mine = (i & 1) == odd;
                fp_lane_set(&a, i, dbl, mine ? fp_lane_get(r, i, dbl) : one);
                fp_lane_set(&b, i, dbl, mine ? fp_lane_get(s, i, dbl) : one);
            }
            int sop = odd ? (dbl ? FP_ADDPD : FP_ADDPS) : (dbl ? FP_SUBPD : FP_SUBPS);
            pe |= fp_unbounded_pe(sop, &a, &b, mxcsr, unb);
        }
        return pe;
    }
    /* element i = pair (2i, 2i + 1) of the destination for the low half, of the source above */
    for (int i = 0; i < lanes; i++) {
        const Xmm *x = i < lanes / 2 ? r : s;
        int j = 2 * (i % (lanes / 2));
        fp_lane_set(&a, i, dbl, fp_lane_get(x, j, dbl));
        fp_lane_set(&b, i, dbl, fp_lane_get(x, j + 1, dbl));
    }
    int sop = (op == FP_HADDPS || op == FP_HADDPD) ? (dbl ? FP_ADDPD : FP_ADDPS)
                                                   : (dbl ? FP_SUBPD : FP_SUBPS);
    return fp_unbounded_pe(sop, &a, &b, mxcsr, unb);
}

/* The flags of DPPS/DPPD (`imm` = the imm8 as run on the host) from its steps (SDM vol. 2,
 * DPPS/DPPD operation: "exceptions are determined separately for each add and multiply"): the
 * selected products (+0.0 for the others, whose operands raise nothing), then for DPPS
 * (p0 + p1) and (p2 + p3), then their sum, for DPPD p0 + p1, each rounded.  Each step runs through
 * fp_host_run (exact underflow, unbounded PE) with the pre-computation rule applied to its own
 * flags, the flags are ORed, and the first step raising an unmasked exception ends the
 * instruction (as the host does: a product's unmasked UE hides a DE of the sum that follows). */
static uint32_t fp_dot_flags(int op, const Xmm *r, const Xmm *s, unsigned imm, uint32_t mxcsr)
{
    bool dbl = op == FP_DPPD;
    int lanes = dbl ? 2 : 4;
    Xmm p = *r, b = *s;
    for (int i = 0; i < lanes; i++)
        if (!(imm >> (4 + i) & 1)) {
            fp_lane_set(&p, i, dbl, 0);
            fp_lane_set(&b, i, dbl, 0);
        }
    Xmm lo = { .q = { 0, 0 } }, hi = { .q = { 0, 0 } };
    uint32_t acc = 0;
    for (int step = 0; step < (dbl ? 2 : 3); step++) {
        uint32_t f;
        if (step == 0) {
            f = fp_host_run(dbl ? FP_MULPD : FP_MULPS, &p, &b, 0, mxcsr);
        } else if (dbl) {
            hi.q[0] = p.q[1];
            f = fp_host_run(FP_ADDSD, &p, &hi, 0, mxcsr);
        } else if (step == 1) {
            lo.d[0] = p.d[0], lo.d[1] = p.d[2];
            hi.d[0] = p.d[1], hi.d[1] = p.d[3];
            f = fp_host_run(FP_ADDPS, &lo, &hi, 0, mxcsr);
        } else {
            hi.d[0] = lo.d[1];
            f = fp_host_run(FP_ADDSS, &lo, &hi, 0, mxcsr);
        }
        acc |= f;
        if (f & ~(mxcsr >> 7) & MXCSR_FLAGS)
            break;
    }
    return acc;
}

/* sse_fp_host with the underflow of exact tiny results detected when UE is unmasked, and the
 * unbounded-exponent precision exception of tiny (huge) results when UE (OE) is unmasked (above). */
static uint32_t fp_host_run(int op, Xmm *r, const Xmm *s, unsigned imm, uint32_t mxcsr)
{
    bool ue = !(mxcsr & MXCSR_UM);
    if ((op == FP_DPPS || op == FP_DPPD) && (mxcsr & 0x1f80u) != 0x1f80u) {
        /* an exception unmasked: the steps' flags; the host's result stands when none is */
        Xmm probe = *r;
        sse_fp_host(op, r, s, imm, mxcsr);
        return fp_dot_flags(op, &probe, s, imm, mxcsr);
    }
    if (!ue && (mxcsr & MXCSR_OM))
        return fp_precomp(sse_fp_host(op, r, s, imm, mxcsr), mxcsr);
    Xmm probe = *r;
    if (ue)
        mxcsr &= ~MXCSR_FTZ;    /* FTZ only acts on masked underflows */
    uint32_t raised = sse_fp_host(op, r, s, imm, mxcsr);
    uint32_t unb = raised & ~(mxcsr >> 7) & (MXCSR_UE | MXCSR_OE);
    if (unb && (raised & MXCSR_PE)) {
        switch (op) {
        case FP_ADDPS: case FP_SUBPS: case FP_ADDSS: case FP_SUBSS:
        case FP_ADDPD: case FP_SUBPD: case FP_ADDSD: case FP_SUBSD:
        case FP_MULPS: case FP_DIVPS: case FP_MULSS: case FP_DIVSS:
        case FP_MULPD: case FP_DIVPD: case FP_MULSD: case FP_DIVSD:
        case FP_CVTPD2PS: case FP_CVTSD2SS:
            raised = (raised & ~MXCSR_PE) | fp_unbounded_pe(op, &probe, s, mxcsr, unb);
            break;
        case FP_HADDPS: case FP_HSUBPS: case FP_ADDSUBPS:
        case FP_HADDPD: case FP_HSUBPD: case FP_ADDSUBPD:
            raised = (raised & ~MXCSR_PE) | fp_horizontal_pe(op, &probe, s, mxcsr, unb);
            break;
        default: break;
        }
    }
    if (ue && !(raised & MXCSR_UE))
        raised |= sse_fp_host(op, &probe, s, imm, mxcsr | MXCSR_FTZ) & MXCSR_UE;
    return fp_precomp(raised, mxcsr);
}

/* Insn.imm2 bits 15:8: size of the memory source. */
static int fp_msize(const Insn *in) { return in->imm2 >> 8; }

/* xmm1 = op(xmm1, xmm2/mem) for every FP_* operation */
static int op_fp_arith(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    Xmm s = sse_fp_src(cpu, in, 1, fp_msize(in));
    Xmm r = cpu->xmm[in->r[0]];
    unsigned imm = (unsigned)in->imm;
    uint32_t mxcsr = cpu->mxcsr;
    switch (in->sub) {
    case FP_CMPPS: case FP_CMPPD: case FP_CMPSS: case FP_CMPSD:
        imm &= 3;
        break;
    case FP_ROUNDPS: case FP_ROUNDPD: case FP_ROUNDSS: case FP_ROUNDSD:
        if (!(imm & 4))
            mxcsr = (mxcsr & ~(3u << MXCSR_RC_SHIFT)) | (imm & 3) << MXCSR_RC_SHIFT;
        imm = 4 | (imm & 8);
        break;
    case FP_DPPS: imm = (imm & 0xf0) | 0xf; break;
    case FP_DPPD: imm = (imm & 0x30) | 0x3; break;
    default: break;
    }
    uint32_t raised = fp_host_run(in->sub, &r, &s, imm, mxcsr);
    fp_exceptions(cpu, raised);
    unsigned pred = (unsigned)in->imm;
    switch (in->sub) {
    case FP_CMPPS:
        if (pred & 4)
            r.q[0] = ~r.q[0], r.q[1] = ~r.q[1];
        break;
    case FP_CMPPD:
        if (pred & 4)
            r.q[0] = ~r.q[0], r.q[1] = ~r.q[1];
        break;
    case FP_CMPSS:
        if (pred & 4)
            r.d[0] = ~r.d[0];
        break;
    case FP_CMPSD:
        if (pred & 4)
            r.q[0] = ~r.q[0];
        break;
    case FP_DPPS:
        for (int i = 0; i < 4; i++)
            if (!(pred >> i & 1))
                r.d[i] = 0;
        break;
    case FP_DPPD:
        for (int i = 0; i < 2; i++)
            if (!(pred >> i & 1))
                r.q[i] = 0;
        break;
    default: break;
    }
    cpu->xmm[in->r[0]] = r;
    return INSN_NEXT;
}

/* COMISS/UCOMISS/COMISD/UCOMISD xmm1, xmm2/mem: sub bit 0 = signalling (COMI), bit 1 = double */
static int op_fp_comis(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    bool dbl = in->sub & 2;
    Xmm s = sse_fp_src(cpu, in, 1, dbl ? 8 : 4);
    Xmm a = cpu->xmm[in->r[0]];
    uint8_t zf, pf, cf;
    uint32_t raised = sse_fp_comi(in->sub, &a, &s, cpu->mxcsr, &zf, &pf, &cf);
    raised = fp_precomp(raised, cpu->mxcsr);
    fp_exceptions(cpu, raised);
    cc_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~FL_ARITH) | (zf ? FL_ZF : 0) | (pf ? FL_PF : 0) | (cf ? FL_CF : 0);
    return INSN_NEXT;
}

/* CVT(T)SS2SI / CVT(T)SD2SI r32/64, xmm/mem: sub bit 0 = truncate, bit 1 = double */
static int op_fp_cvt2si(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    Xmm s = sse_fp_src(cpu, in, 1, (in->sub & 2) ? 8 : 4);
    uint64_t v;
    uint32_t raised = sse_fp_to_int(in->sub, in->osz, &s, cpu->mxcsr, &v);
    raised = fp_precomp(raised, cpu->mxcsr);
    fp_exceptions(cpu, raised);
    reg_write(cpu, in->r[0], in->osz, v);
    return INSN_NEXT;
}

/* CVTSI2SS / CVTSI2SD xmm, r/m32/64: sub 1 = double */
static int op_fp_cvtsi2(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    uint64_t v = op_read(cpu, in, 1, in->osz);
    Xmm r = cpu->xmm[in->r[0]];
    uint32_t raised = sse_fp_from_int(in->sub, in->osz, &r, v, cpu->mxcsr);
    raised = fp_precomp(raised, cpu->mxcsr);
    fp_exceptions(cpu, raised);
    cpu->xmm[in->r[0]] = r;
    return INSN_NEXT;
}

/* MMX register view: MMn is the significand of physical x87 register n (SDM vol. 1, 9.5). */
static uint64_t fp_mm_read(const Cpu *cpu, int n) { return cpu->fpu.regs[n & 7].mant; }

/* Any MMX-register access: TOP = 0, all tags valid (SDM vol. 1, 9.5.1). */
static void fp_mmx_enter(Cpu *cpu)
{
    cpu->fpu.sw &= (uint16_t)~0x3800u;
    cpu->fpu.tw = 0;
}

enum { PI_CVTPI2PS, PI_CVTPI2PD, PI_CVTPS2PI, PI_CVTTPS2PI, PI_CVTPD2PI, PI_CVTTPD2PI };

/* The MMX-operand conversions; operand kinds decided at decode time (r[] holds MM/XMM numbers). */
static int op_fp_cvtpi(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    bool mem = in->flags & INSN_MEM;
    if (!mem || in->sub >= PI_CVTPS2PI)
        x87_check_pending(cpu);   /* it touches the MMX registers: #MF first (SDM table 22-5) */
    Xmm s = { .q = { 0, 0 } };
    Xmm r = { .q = { 0, 0 } };
    int op;
    switch (in->sub) {
    case PI_CVTPI2PS: case PI_CVTPI2PD:
        s.q[0] = mem ? cpu_read(cpu, in->seg, insn_ea(cpu, in), 8) : fp_mm_read(cpu, in->r[1]);
        op = in->sub == PI_CVTPI2PS ? FP_CVTDQ2PS : FP_CVTDQ2PD;
        break;
    case PI_CVTPS2PI: case PI_CVTTPS2PI:
        s.q[0] = sse_fp_src(cpu, in, 1, 8).q[0];
        op = in->sub == PI_CVTPS2PI ? FP_CVTPS2DQ : FP_CVTTPS2DQ;
        break;
    default:
        s = sse_fp_src(cpu, in, 1, 16);
        op = in->sub == PI_CVTPD2PI ? FP_CVTPD2DQ : FP_CVTTPD2DQ;
        break;
    }
    uint32_t raised = fp_host_run(op, &r, &s, 0, cpu->mxcsr);
    /* the x87 -> MMX transition happens also when the conversion then raises #XM (as the host
     * does); the operand faults above come first */
    if (!mem || in->sub >= PI_CVTPS2PI)
        fp_mmx_enter(cpu);
    fp_exceptions(cpu, raised);
    switch (in->sub) {
    case PI_CVTPI2PS: cpu->xmm[in->r[0]].q[0] = r.q[0]; break;
    case PI_CVTPI2PD: cpu->xmm[in->r[0]] = r; break;
    default:
        cpu->fpu.regs[in->r[0] & 7].mant = r.q[0];
        cpu->fpu.regs[in->r[0] & 7].se = 0xffff;
        break;
    }
    return INSN_NEXT;
}

static int op_ldmxcsr(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    uint32_t v = (uint32_t)cpu_read(cpu, in->seg, insn_ea(cpu, in), 4);
    if (v & ~MXCSR_VALID)
        cpu_raise(cpu, EXC_GP, 0);
    cpu->mxcsr = v;
    return INSN_NEXT;
}

static int op_stmxcsr(Cpu *cpu, const Insn *in)
{
    simd_check_sse(cpu);
    cpu_write(cpu, in->seg, insn_ea(cpu, in), 4, cpu->mxcsr);
    return INSN_NEXT;
}

typedef struct ArithForm {
    uint16_t mnem;
    uint8_t op;
    uint8_t msize;     /* memory source size */
} ArithForm;

static const ArithForm arith_forms[] = {
    { ZYDIS_MNEMONIC_ADDPS, FP_ADDPS, 16 }, { ZYDIS_MNEMONIC_SUBPS, FP_SUBPS, 16 },
    { ZYDIS_MNEMONIC_MULPS, FP_MULPS, 16 }, { ZYDIS_MNEMONIC_DIVPS, FP_DIVPS, 16 },
    { ZYDIS_MNEMONIC_SQRTPS, FP_SQRTPS, 16 }, { ZYDIS_MNEMONIC_MINPS, FP_MINPS, 16 },
    { ZYDIS_MNEMONIC_MAXPS, FP_MAXPS, 16 }, { ZYDIS_MNEMONIC_RCPPS, FP_RCPPS, 16 },
    { ZYDIS_MNEMONIC_RSQRTPS, FP_RSQRTPS, 16 }, { ZYDIS_MNEMONIC_ADDSUBPS, FP_ADDSUBPS, 16 },
    { ZYDIS_MNEMONIC_HADDPS, FP_HADDPS, 16 }, { ZYDIS_MNEMONIC_HSUBPS, FP_HSUBPS, 16 },
    { ZYDIS_MNEMONIC_CVTDQ2PS, FP_CVTDQ2PS, 16 }, { ZYDIS_MNEMONIC_CVTPS2DQ, FP_CVTPS2DQ, 16 },
    { ZYDIS_MNEMONIC_CVTTPS2DQ, FP_CVTTPS2DQ, 16 }, { ZYDIS_MNEMONIC_CVTPS2PD, FP_CVTPS2PD, 8 },
    { ZYDIS_MNEMONIC_CVTPD2PS, FP_CVTPD2PS, 16 },
    { ZYDIS_MNEMONIC_ADDPD, FP_ADDPD, 16 }, { ZYDIS_MNEMONIC_SUBPD, FP_SUBPD, 16 },
    { ZYDIS_MNEMONIC_MULPD, FP_MULPD, 16 }, { ZYDIS_MNEMONIC_DIVPD, FP_DIVPD, 16 },
    { ZYDIS_MNEMONIC_SQRTPD, FP_SQRTPD, 16 }, { ZYDIS_MNEMONIC_MINPD, FP_MINPD, 16 },
    { ZYDIS_MNEMONIC_MAXPD, FP_MAXPD, 16 }, { ZYDIS_MNEMONIC_ADDSUBPD, FP_ADDSUBPD, 16 },
    { ZYDIS_MNEMONIC_HADDPD, FP_HADDPD, 16 }, { ZYDIS_MNEMONIC_HSUBPD, FP_HSUBPD, 16 },
    { ZYDIS_MNEMONIC_CVTDQ2PD, FP_CVTDQ2PD, 8 }, { ZYDIS_MNEMONIC_CVTPD2DQ, FP_CVTPD2DQ, 16 },
    { ZYDIS_MNEMONIC_CVTTPD2DQ, FP_CVTTPD2DQ, 16 },
    { ZYDIS_MNEMONIC_ADDSS, FP_ADDSS, 4 }, { ZYDIS_MNEMONIC_SUBSS, FP_SUBSS, 4 },
    { ZYDIS_MNEMONIC_MULSS, FP_MULSS, 4 }, { ZYDIS_MNEMONIC_DIVSS, FP_DIVSS, 4 },
    { ZYDIS_MNEMONIC_SQRTSS, FP_SQRTSS, 4 }, { ZYDIS_MNEMONIC_MINSS, FP_MINSS, 4 },
    { ZYDIS_MNEMONIC_MAXSS, FP_MAXSS, 4 }, { ZYDIS_MNEMONIC_RCPSS, FP_RCPSS, 4 },
    { ZYDIS_MNEMONIC_RSQRTSS, FP_RSQRTSS, 4 }, { ZYDIS_MNEMONIC_CVTSS2SD, FP_CVTSS2SD, 4 },
    { ZYDIS_MNEMONIC_ADDSD, FP_ADDSD, 8 }, { ZYDIS_MNEMONIC_SUBSD, FP_SUBSD, 8 },
    { ZYDIS_MNEMONIC_MULSD, FP_MULSD, 8 }, { ZYDIS_MNEMONIC_DIVSD, FP_DIVSD, 8 },
    { ZYDIS_MNEMONIC_SQRTSD, FP_SQRTSD, 8 }, { ZYDIS_MNEMONIC_MINSD, FP_MINSD, 8 },
    { ZYDIS_MNEMONIC_MAXSD, FP_MAXSD, 8 }, { ZYDIS_MNEMONIC_CVTSD2SS, FP_CVTSD2SS, 8 },
    { ZYDIS_MNEMONIC_CMPPS, FP_CMPPS, 16 }, { ZYDIS_MNEMONIC_CMPPD, FP_CMPPD, 16 },
    { ZYDIS_MNEMONIC_CMPSS, FP_CMPSS, 4 }, { ZYDIS_MNEMONIC_CMPSD, FP_CMPSD, 8 },
    { ZYDIS_MNEMONIC_ROUNDPS, FP_ROUNDPS, 16 }, { ZYDIS_MNEMONIC_ROUNDPD, FP_ROUNDPD, 16 },
    { ZYDIS_MNEMONIC_ROUNDSS, FP_ROUNDSS, 4 }, { ZYDIS_MNEMONIC_ROUNDSD, FP_ROUNDSD, 8 },
    { ZYDIS_MNEMONIC_DPPS, FP_DPPS, 16 }, { ZYDIS_MNEMONIC_DPPD, FP_DPPD, 16 },
};

static InsnFn fp_select_other(DecodeCtx *d, Insn *in)
{
    const char *k = d->kind;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_COMISS: case ZYDIS_MNEMONIC_UCOMISS:
    case ZYDIS_MNEMONIC_COMISD: case ZYDIS_MNEMONIC_UCOMISD:
        if (k[0] != 'v' || (k[1] != 'v' && k[1] != 'm'))
            return NULL;
        in->sub = (uint8_t)((d->zi->mnemonic == ZYDIS_MNEMONIC_COMISS ||
                             d->zi->mnemonic == ZYDIS_MNEMONIC_COMISD ? 1 : 0) |
                            (d->zi->mnemonic == ZYDIS_MNEMONIC_COMISD ||
                             d->zi->mnemonic == ZYDIS_MNEMONIC_UCOMISD ? 2 : 0));
        return op_fp_comis;
    case ZYDIS_MNEMONIC_CVTSS2SI: case ZYDIS_MNEMONIC_CVTTSS2SI:
    case ZYDIS_MNEMONIC_CVTSD2SI: case ZYDIS_MNEMONIC_CVTTSD2SI:
        if (k[0] != 'r' || (k[1] != 'v' && k[1] != 'm'))
            return NULL;
        in->osz = d->op[0].size == 64 ? 8 : 4;
        in->sub = (uint8_t)((d->zi->mnemonic == ZYDIS_MNEMONIC_CVTTSS2SI ||
                             d->zi->mnemonic == ZYDIS_MNEMONIC_CVTTSD2SI ? 1 : 0) |
                            (d->zi->mnemonic == ZYDIS_MNEMONIC_CVTSD2SI ||
                             d->zi->mnemonic == ZYDIS_MNEMONIC_CVTTSD2SI ? 2 : 0));
        return op_fp_cvt2si;
    case ZYDIS_MNEMONIC_CVTSI2SS: case ZYDIS_MNEMONIC_CVTSI2SD:
        if (k[0] != 'v' || (k[1] != 'r' && k[1] != 'm'))
            return NULL;
        in->osz = d->op[1].size == 64 ? 8 : 4;
        in->sub = d->zi->mnemonic == ZYDIS_MNEMONIC_CVTSI2SD;
        return op_fp_cvtsi2;
    case ZYDIS_MNEMONIC_CVTPI2PS: case ZYDIS_MNEMONIC_CVTPI2PD:
        if (k[0] != 'v' || (k[1] != 'q' && k[1] != 'm'))
            return NULL;
        in->sub = d->zi->mnemonic == ZYDIS_MNEMONIC_CVTPI2PS ? PI_CVTPI2PS : PI_CVTPI2PD;
        return op_fp_cvtpi;
    case ZYDIS_MNEMONIC_CVTPS2PI: case ZYDIS_MNEMONIC_CVTTPS2PI:
    case ZYDIS_MNEMONIC_CVTPD2PI: case ZYDIS_MNEMONIC_CVTTPD2PI:
        if (k[0] != 'q' || (k[1] != 'v' && k[1] != 'm'))
            return NULL;
        in->sub = d->zi->mnemonic == ZYDIS_MNEMONIC_CVTPS2PI ? PI_CVTPS2PI :
                  d->zi->mnemonic == ZYDIS_MNEMONIC_CVTTPS2PI ? PI_CVTTPS2PI :
                  d->zi->mnemonic == ZYDIS_MNEMONIC_CVTPD2PI ? PI_CVTPD2PI : PI_CVTTPD2PI;
        return op_fp_cvtpi;
    case ZYDIS_MNEMONIC_LDMXCSR:
        return k[0] == 'm' ? op_ldmxcsr : NULL;
    case ZYDIS_MNEMONIC_STMXCSR:
        return k[0] == 'm' ? op_stmxcsr : NULL;
    default:
        return NULL;
    }
}

InsnFn sse_fp_select(DecodeCtx *d, Insn *in)
{
    if (d->zi->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
        return NULL;
    InsnFn fn = sse_fp_move_select(d, in);
    if (!fn)
        fn = fp_select_other(d, in);
    if (!fn) {
        for (size_t i = 0; i < sizeof(arith_forms) / sizeof(arith_forms[0]); i++) {
            const ArithForm *f = &arith_forms[i];
            if (f->mnem != d->zi->mnemonic)
                continue;
            if (d->kind[0] != 'v' || (d->kind[1] != 'v' && d->kind[1] != 'm'))
                return NULL;
            in->sub = f->op;
            in->imm2 = (uint16_t)(f->msize << 8);
            fn = op_fp_arith;
            break;
        }
    }
    if (fn && (in->flags & INSN_LOCK))
        return op_ud;
    return fn;
}
