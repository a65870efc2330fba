/*
 * emit_sse.h — SSE2 forms on the host's XMM registers (numbered 0-15 like the general ones), for
 * the JIT's 128-bit integer moves and operations (jit/translate_sse.c.inc).
 *
 * Encoding (SDM vol. 2, 2.1.1 and 2.2.1): the mandatory prefix (66 or F3) comes before the REX
 * prefix, then 0F and the opcode, then ModRM/SIB/displacement as for the general forms (emit.h).
 *   MOVDQU xmm, xmm/m128   F3 0F 6F /r        MOVDQU m128, xmm   F3 0F 7F /r
 *   PADDB..PXOR xmm, xmm   66 0F op /r        PMOVMSKB r32, xmm  66 0F D7 /r (reg = the GPR)
 * MOVDQU has no alignment requirement, so guest data of any alignment is loaded and stored with
 * it; the packed operations take register operands only.
 */
#ifndef SOFTVISOR_EMIT_SSE_H
#define SOFTVISOR_EMIT_SSE_H

#include "jit/emit.h"

/* prefix 0F op with ModRM.reg = reg and ModRM.rm = register rm (XMM or general, by the form). */
static inline void emit_sse_rr(Emitter *e, uint8_t prefix, uint8_t op, int reg, int rm)
{
    emit__begin(e);
    emit__u8(e, prefix);
    emit__head(e, 4, reg, HR_NONE, rm, false, false, 0x0f00u | op);
    emit__modrm_reg(e, reg, rm);
}

/* prefix 0F op with ModRM.reg = reg and a memory operand. */
static inline void emit_sse_rm(Emitter *e, uint8_t prefix, uint8_t op, int reg, EmitMem m)
{
    emit__begin(e);
    emit__u8(e, prefix);
    emit__head(e, 4, reg, m.index, m.base == HR_RIP ? HR_NONE : m.base, false, false, 0x0f00u | op);
    emit__modrm_mem(e, reg, m);
}

static inline void emit_movdqu_xm(Emitter *e, int x, EmitMem m) { emit_sse_rm(e, 0xf3, 0x6f, x, m); }
static inline void emit_movdqu_mx(Emitter *e, EmitMem m, int x) { emit_sse_rm(e, 0xf3, 0x7f, x, m); }

/* dst = op(dst, src), op one of the SSE2 packed-integer opcodes 66 0F op. */
static inline void emit_packed_xx(Emitter *e, uint8_t op, int dst, int src) { emit_sse_rr(e, 0x66, op, dst, src); }

/* r32 dst = the sign bits of the 16 bytes of x (zero-extended to 64 bits, as any 32-bit write). */
static inline void emit_pmovmskb_rx(Emitter *e, int dst, int x) { emit_sse_rr(e, 0x66, 0xd7, dst, x); }

#endif
