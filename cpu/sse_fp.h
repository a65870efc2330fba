/*
 * sse_fp.h — shared between the SSE floating-point family files (cpu/sse_fp.c: arithmetic,
 * comparisons, conversions, MXCSR; cpu/sse_fp_move.c: data movement, shuffles, logic, blends).
 *
 * Source operands: an XMM register, or memory of 4, 8 or 16 bytes.  A 16-byte memory operand of a
 * legacy-encoded packed instruction must be 16-byte aligned (#GP(0)) except for MOVUPS/MOVUPD
 * (SDM vol. 1, 11.4.1); scalar and 64-bit memory operands never need alignment.  A narrower memory
 * source lands in the low bytes of the returned value, the rest is zero.
 */
#ifndef SOFTVISOR_SSE_FP_H
#define SOFTVISOR_SSE_FP_H

#include "cpu/decode.h"
#include "cpu/simd.h"

/* Insn.imm2 bit for the selectors: the 16-byte memory operand needs no alignment. */
#define SSE_FP_UNALIGNED 1u

InsnFn sse_fp_move_select(DecodeCtx *d, Insn *in);

/* Host operations of cpu/sse_fp_host.c, one per SSE instruction computing on floating point. */
enum {
    FP_ADDPS,
    FP_SUBPS,
    FP_MULPS,
    FP_DIVPS,
    FP_SQRTPS,
    FP_MINPS,
    FP_MAXPS,
    FP_RCPPS,
    FP_RSQRTPS,
    FP_ADDSUBPS,
    FP_HADDPS,
    FP_HSUBPS,
    FP_CVTDQ2PS,
    FP_CVTPS2DQ,
    FP_CVTTPS2DQ,
    FP_CVTPS2PD,
    FP_CVTPD2PS,
    FP_ADDPD,
    FP_SUBPD,
    FP_MULPD,
    FP_DIVPD,
    FP_SQRTPD,
    FP_MINPD,
    FP_MAXPD,
    FP_ADDSUBPD,
    FP_HADDPD,
    FP_HSUBPD,
    FP_CVTDQ2PD,
    FP_CVTPD2DQ,
    FP_CVTTPD2DQ,
    FP_ADDSS,
    FP_SUBSS,
    FP_MULSS,
    FP_DIVSS,
    FP_SQRTSS,
    FP_MINSS,
    FP_MAXSS,
    FP_RCPSS,
    FP_RSQRTSS,
    FP_CVTSS2SD,
    FP_ADDSD,
    FP_SUBSD,
    FP_MULSD,
    FP_DIVSD,
    FP_SQRTSD,
    FP_MINSD,
    FP_MAXSD,
    FP_CVTSD2SS,
    FP_CMPPS,
    FP_CMPPD,
    FP_CMPSS,
    FP_CMPSD,
    FP_ROUNDPS,
    FP_ROUNDPD,
    FP_ROUNDSS,
    FP_ROUNDSD,
    FP_DPPS,
    FP_DPPD,
};

/* Runs `op` on the host SSE unit: *d = op(*d, *s) with the guest's `mxcsr` loaded (rounding, DAZ,
 * FTZ) but every exception masked; returns the exception flags (MXCSR bits 5:0) it raised.
 * `imm`: CMP* predicate 0-3, ROUND* 4 or 12 (the MXCSR rounding mode, precision exception
 * suppressed with 8), DPPS/DPPD the instruction's imm8 with all destination-mask bits set. */
uint32_t sse_fp_host(int op, Xmm *d, const Xmm *s, unsigned imm, uint32_t mxcsr);

/* Reads source operand `n` (XMM register or memory of `size` bytes). */
static inline Xmm sse_fp_src(Cpu *cpu, const Insn *in, int n, int size)
{
    Xmm v = { .q = { 0, 0 } };
    if (!(in->flags & INSN_MEM) || in->r[n] != REG_NONE)
        return cpu->xmm[in->r[n] & 15];
    if (size == 16)
        simd_read128(cpu, in, !(in->imm2 & SSE_FP_UNALIGNED), &v);
    else
        v.q[0] = cpu_read(cpu, in->seg, insn_ea(cpu, in), size);
    return v;
}

/* COMISS (sub 1), UCOMISS (0), COMISD (3), UCOMISD (2) of the low elements of a and b: ZF, PF, CF
 * as 0/1; returns the flags raised. */
uint32_t sse_fp_comi(int sub, const Xmm *a, const Xmm *b, uint32_t mxcsr, uint8_t *zf, uint8_t *pf,
                     uint8_t *cf);
/* CVTSS2SI (sub 0), CVTTSS2SI (1), CVTSD2SI (2), CVTTSD2SI (3) to a `size`-byte integer. */
uint32_t sse_fp_to_int(int sub, int size, const Xmm *s, uint32_t mxcsr, uint64_t *out);
/* CVTSI2SS (sub 0) / CVTSI2SD (1) of a `size`-byte integer into the low element of *d. */
uint32_t sse_fp_from_int(int sub, int size, Xmm *d, uint64_t v, uint32_t mxcsr);

#endif
