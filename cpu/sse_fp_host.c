/*
 * sse_fp_host.c — the host SSE unit as the arithmetic of the guest's SSE floating-point
 * instructions (issue 3: bit-exact with the host, no soft-float).
 *
 * Each operation is one asm statement that loads the guest MXCSR (rounding control, DAZ, FTZ,
 * with all six exception masks set and the flags cleared, so the host never traps), runs the very
 * instruction the guest executes on register operands, and stores MXCSR back to read the flags
 * it raised.  The host's own MXCSR is saved before and restored after, so no guest state leaks
 * into the host or into another VM.  Instructions with an imm8 need it in the encoding, hence one
 * statement per value used (sse_fp.h says which).  Results of RCP/RSQRT are the host's
 * approximations, which is what the guest gets.
 */
#include <string.h>

#include "cpu/sse_fp.h"

typedef float SseV __attribute__((vector_size(16)));

/* The host's own MXCSR around each guest operation. */
static uint32_t host_save(void)
{
    uint32_t saved;
    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    return saved;
}

static void host_restore(uint32_t saved)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(saved));
}

uint32_t sse_fp_host(int op, Xmm *d, const Xmm *s, unsigned imm, uint32_t mxcsr)
{
    SseV a, b;
    uint32_t mx = (mxcsr & 0xffc0u) | 0x1f80u;
    memcpy(&a, d, sizeof(a));
    memcpy(&b, s, sizeof(b));
    uint32_t saved = host_save();
    switch (op) {

    case FP_ADDPS:
        __asm__ volatile("ldmxcsr %1\n\taddps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_SUBPS:
        __asm__ volatile("ldmxcsr %1\n\tsubps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MULPS:
        __asm__ volatile("ldmxcsr %1\n\tmulps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_DIVPS:
        __asm__ volatile("ldmxcsr %1\n\tdivps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_SQRTPS:
        __asm__ volatile("ldmxcsr %1\n\tsqrtps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MINPS:
        __asm__ volatile("ldmxcsr %1\n\tminps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MAXPS:
        __asm__ volatile("ldmxcsr %1\n\tmaxps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_RCPPS:
        __asm__ volatile("ldmxcsr %1\n\trcpps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_RSQRTPS:
        __asm__ volatile("ldmxcsr %1\n\trsqrtps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_ADDSUBPS:
        __asm__ volatile("ldmxcsr %1\n\taddsubps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_HADDPS:
        __asm__ volatile("ldmxcsr %1\n\thaddps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_HSUBPS:
        __asm__ volatile("ldmxcsr %1\n\thsubps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTDQ2PS:
        __asm__ volatile("ldmxcsr %1\n\tcvtdq2ps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTPS2DQ:
        __asm__ volatile("ldmxcsr %1\n\tcvtps2dq %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTTPS2DQ:
        __asm__ volatile("ldmxcsr %1\n\tcvttps2dq %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTPS2PD:
        __asm__ volatile("ldmxcsr %1\n\tcvtps2pd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTPD2PS:
        __asm__ volatile("ldmxcsr %1\n\tcvtpd2ps %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_ADDPD:
        __asm__ volatile("ldmxcsr %1\n\taddpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_SUBPD:
        __asm__ volatile("ldmxcsr %1\n\tsubpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MULPD:
        __asm__ volatile("ldmxcsr %1\n\tmulpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_DIVPD:
        __asm__ volatile("ldmxcsr %1\n\tdivpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_SQRTPD:
        __asm__ volatile("ldmxcsr %1\n\tsqrtpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MINPD:
        __asm__ volatile("ldmxcsr %1\n\tminpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MAXPD:
        __asm__ volatile("ldmxcsr %1\n\tmaxpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_ADDSUBPD:
        __asm__ volatile("ldmxcsr %1\n\taddsubpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_HADDPD:
        __asm__ volatile("ldmxcsr %1\n\thaddpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_HSUBPD:
        __asm__ volatile("ldmxcsr %1\n\thsubpd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTDQ2PD:
        __asm__ volatile("ldmxcsr %1\n\tcvtdq2pd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTPD2DQ:
        __asm__ volatile("ldmxcsr %1\n\tcvtpd2dq %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTTPD2DQ:
        __asm__ volatile("ldmxcsr %1\n\tcvttpd2dq %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_ADDSS:
        __asm__ volatile("ldmxcsr %1\n\taddss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_SUBSS:
        __asm__ volatile("ldmxcsr %1\n\tsubss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MULSS:
        __asm__ volatile("ldmxcsr %1\n\tmulss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_DIVSS:
        __asm__ volatile("ldmxcsr %1\n\tdivss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_SQRTSS:
        __asm__ volatile("ldmxcsr %1\n\tsqrtss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MINSS:
        __asm__ volatile("ldmxcsr %1\n\tminss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MAXSS:
        __asm__ volatile("ldmxcsr %1\n\tmaxss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_RCPSS:
        __asm__ volatile("ldmxcsr %1\n\trcpss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_RSQRTSS:
        __asm__ volatile("ldmxcsr %1\n\trsqrtss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTSS2SD:
        __asm__ volatile("ldmxcsr %1\n\tcvtss2sd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_ADDSD:
        __asm__ volatile("ldmxcsr %1\n\taddsd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_SUBSD:
        __asm__ volatile("ldmxcsr %1\n\tsubsd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MULSD:
        __asm__ volatile("ldmxcsr %1\n\tmulsd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_DIVSD:
        __asm__ volatile("ldmxcsr %1\n\tdivsd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_SQRTSD:
        __asm__ volatile("ldmxcsr %1\n\tsqrtsd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MINSD:
        __asm__ volatile("ldmxcsr %1\n\tminsd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_MAXSD:
        __asm__ volatile("ldmxcsr %1\n\tmaxsd %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CVTSD2SS:
        __asm__ volatile("ldmxcsr %1\n\tcvtsd2ss %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
        break;
    case FP_CMPPS:
        switch (imm) {
        case 0x0: __asm__ volatile("ldmxcsr %1\n\tcmpps $0x0, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x1: __asm__ volatile("ldmxcsr %1\n\tcmpps $0x1, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x2: __asm__ volatile("ldmxcsr %1\n\tcmpps $0x2, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\tcmpps $0x3, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    case FP_CMPPD:
        switch (imm) {
        case 0x0: __asm__ volatile("ldmxcsr %1\n\tcmppd $0x0, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x1: __asm__ volatile("ldmxcsr %1\n\tcmppd $0x1, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x2: __asm__ volatile("ldmxcsr %1\n\tcmppd $0x2, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\tcmppd $0x3, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    case FP_CMPSS:
        switch (imm) {
        case 0x0: __asm__ volatile("ldmxcsr %1\n\tcmpss $0x0, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x1: __asm__ volatile("ldmxcsr %1\n\tcmpss $0x1, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x2: __asm__ volatile("ldmxcsr %1\n\tcmpss $0x2, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\tcmpss $0x3, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    case FP_CMPSD:
        switch (imm) {
        case 0x0: __asm__ volatile("ldmxcsr %1\n\tcmpsd $0x0, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x1: __asm__ volatile("ldmxcsr %1\n\tcmpsd $0x1, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x2: __asm__ volatile("ldmxcsr %1\n\tcmpsd $0x2, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\tcmpsd $0x3, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    case FP_ROUNDPS:
        switch (imm) {
        case 0x4: __asm__ volatile("ldmxcsr %1\n\troundps $0x4, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\troundps $0xc, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    case FP_ROUNDPD:
        switch (imm) {
        case 0x4: __asm__ volatile("ldmxcsr %1\n\troundpd $0x4, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\troundpd $0xc, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    case FP_ROUNDSS:
        switch (imm) {
        case 0x4: __asm__ volatile("ldmxcsr %1\n\troundss $0x4, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\troundss $0xc, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    case FP_ROUNDSD:
        switch (imm) {
        case 0x4: __asm__ volatile("ldmxcsr %1\n\troundsd $0x4, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\troundsd $0xc, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    case FP_DPPS:
        switch (imm) {
        case 0xf: __asm__ volatile("ldmxcsr %1\n\tdpps $0xf, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x1f: __asm__ volatile("ldmxcsr %1\n\tdpps $0x1f, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x2f: __asm__ volatile("ldmxcsr %1\n\tdpps $0x2f, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x3f: __asm__ volatile("ldmxcsr %1\n\tdpps $0x3f, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x4f: __asm__ volatile("ldmxcsr %1\n\tdpps $0x4f, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x5f: __asm__ volatile("ldmxcsr %1\n\tdpps $0x5f, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x6f: __asm__ volatile("ldmxcsr %1\n\tdpps $0x6f, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x7f: __asm__ volatile("ldmxcsr %1\n\tdpps $0x7f, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x8f: __asm__ volatile("ldmxcsr %1\n\tdpps $0x8f, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x9f: __asm__ volatile("ldmxcsr %1\n\tdpps $0x9f, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0xaf: __asm__ volatile("ldmxcsr %1\n\tdpps $0xaf, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0xbf: __asm__ volatile("ldmxcsr %1\n\tdpps $0xbf, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0xcf: __asm__ volatile("ldmxcsr %1\n\tdpps $0xcf, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0xdf: __asm__ volatile("ldmxcsr %1\n\tdpps $0xdf, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0xef: __asm__ volatile("ldmxcsr %1\n\tdpps $0xef, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\tdpps $0xff, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    case FP_DPPD:
        switch (imm) {
        case 0x3: __asm__ volatile("ldmxcsr %1\n\tdppd $0x3, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x13: __asm__ volatile("ldmxcsr %1\n\tdppd $0x13, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        case 0x23: __asm__ volatile("ldmxcsr %1\n\tdppd $0x23, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        default: __asm__ volatile("ldmxcsr %1\n\tdppd $0x33, %2, %0\n\tstmxcsr %1" : "+x"(a), "+m"(mx) : "x"(b));
            break;
        }
        break;
    default:
        break;
    }
    host_restore(saved);
    memcpy(d, &a, sizeof(a));
    return mx & 0x3fu;
}

uint32_t sse_fp_comi(int sub, const Xmm *xa, const Xmm *xb, uint32_t mxcsr, uint8_t *zf, uint8_t *pf,
                     uint8_t *cf)
{
    SseV a, b;
    uint8_t z = 0, p = 0, c = 0;
    uint32_t mx = (mxcsr & 0xffc0u) | 0x1f80u;
    memcpy(&a, xa, sizeof(a));
    memcpy(&b, xb, sizeof(b));
    uint32_t saved = host_save();
    switch (sub & 3) {
    case 0:
        __asm__ volatile("ldmxcsr %[mx]\n\tucomiss %[b], %[a]\n\tsetz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\tstmxcsr %[mx]" : [z] "=qm"(z), [p] "=qm"(p), [c] "=qm"(c), [mx] "+m"(mx) : [a] "x"(a), [b] "x"(b));
        break;
    case 1:
        __asm__ volatile("ldmxcsr %[mx]\n\tcomiss %[b], %[a]\n\tsetz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\tstmxcsr %[mx]" : [z] "=qm"(z), [p] "=qm"(p), [c] "=qm"(c), [mx] "+m"(mx) : [a] "x"(a), [b] "x"(b));
        break;
    case 2:
        __asm__ volatile("ldmxcsr %[mx]\n\tucomisd %[b], %[a]\n\tsetz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\tstmxcsr %[mx]" : [z] "=qm"(z), [p] "=qm"(p), [c] "=qm"(c), [mx] "+m"(mx) : [a] "x"(a), [b] "x"(b));
        break;
    case 3:
        __asm__ volatile("ldmxcsr %[mx]\n\tcomisd %[b], %[a]\n\tsetz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\tstmxcsr %[mx]" : [z] "=qm"(z), [p] "=qm"(p), [c] "=qm"(c), [mx] "+m"(mx) : [a] "x"(a), [b] "x"(b));
        break;
    }
    host_restore(saved);
    *zf = z;
    *pf = p;
    *cf = c;
    return mx & 0x3fu;
}

uint32_t sse_fp_to_int(int sub, int size, const Xmm *s, uint32_t mxcsr, uint64_t *out)
{
    SseV b;
    uint64_t r64 = 0;
    uint32_t r32 = 0;
    uint32_t mx = (mxcsr & 0xffc0u) | 0x1f80u;
    memcpy(&b, s, sizeof(b));
    uint32_t saved = host_save();
    switch (sub & 3) {
    case 0:
        if (size == 8)
            __asm__ volatile("ldmxcsr %[mx]\n\tcvtss2si %[s], %[r]\n\tstmxcsr %[mx]" : [r] "=r"(r64), [mx] "+m"(mx) : [s] "x"(b));
        else
            __asm__ volatile("ldmxcsr %[mx]\n\tcvtss2si %[s], %[r]\n\tstmxcsr %[mx]" : [r] "=r"(r32), [mx] "+m"(mx) : [s] "x"(b));
        break;
    case 1:
        if (size == 8)
            __asm__ volatile("ldmxcsr %[mx]\n\tcvttss2si %[s], %[r]\n\tstmxcsr %[mx]" : [r] "=r"(r64), [mx] "+m"(mx) : [s] "x"(b));
        else
            __asm__ volatile("ldmxcsr %[mx]\n\tcvttss2si %[s], %[r]\n\tstmxcsr %[mx]" : [r] "=r"(r32), [mx] "+m"(mx) : [s] "x"(b));
        break;
    case 2:
        if (size == 8)
            __asm__ volatile("ldmxcsr %[mx]\n\tcvtsd2si %[s], %[r]\n\tstmxcsr %[mx]" : [r] "=r"(r64), [mx] "+m"(mx) : [s] "x"(b));
        else
            __asm__ volatile("ldmxcsr %[mx]\n\tcvtsd2si %[s], %[r]\n\tstmxcsr %[mx]" : [r] "=r"(r32), [mx] "+m"(mx) : [s] "x"(b));
        break;
    case 3:
        if (size == 8)
            __asm__ volatile("ldmxcsr %[mx]\n\tcvttsd2si %[s], %[r]\n\tstmxcsr %[mx]" : [r] "=r"(r64), [mx] "+m"(mx) : [s] "x"(b));
        else
            __asm__ volatile("ldmxcsr %[mx]\n\tcvttsd2si %[s], %[r]\n\tstmxcsr %[mx]" : [r] "=r"(r32), [mx] "+m"(mx) : [s] "x"(b));
        break;
    }
    host_restore(saved);
    *out = size == 8 ? r64 : r32;
    return mx & 0x3fu;
}

uint32_t sse_fp_from_int(int sub, int size, Xmm *d, uint64_t v, uint32_t mxcsr)
{
    SseV a;
    uint32_t mx = (mxcsr & 0xffc0u) | 0x1f80u;
    memcpy(&a, d, sizeof(a));
    uint32_t saved = host_save();
    switch (sub & 1) {
    case 0:
        if (size == 8)
            __asm__ volatile("ldmxcsr %[mx]\n\tcvtsi2ssq %[v], %[a]\n\tstmxcsr %[mx]" : [a] "+x"(a), [mx] "+m"(mx) : [v] "r"(v));
        else
            __asm__ volatile("ldmxcsr %[mx]\n\tcvtsi2ssl %[v], %[a]\n\tstmxcsr %[mx]" : [a] "+x"(a), [mx] "+m"(mx) : [v] "r"((uint32_t)v));
        break;
    case 1:
        if (size == 8)
            __asm__ volatile("ldmxcsr %[mx]\n\tcvtsi2sdq %[v], %[a]\n\tstmxcsr %[mx]" : [a] "+x"(a), [mx] "+m"(mx) : [v] "r"(v));
        else
            __asm__ volatile("ldmxcsr %[mx]\n\tcvtsi2sdl %[v], %[a]\n\tstmxcsr %[mx]" : [a] "+x"(a), [mx] "+m"(mx) : [v] "r"((uint32_t)v));
        break;
    }
    host_restore(saved);
    memcpy(d, &a, sizeof(a));
    return mx & 0x3fu;
}
