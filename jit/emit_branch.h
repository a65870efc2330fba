/*
 * emit_branch.h — control transfer and condition forms: JMP, Jcc, CALL, RET, labels with forward
 * references, SETcc, CMOVcc, PUSHFQ/POPFQ, LAHF/SAHF, NOP padding (SDM vol. 2, appendix A and the
 * NOP page for the recommended multi-byte NOPs).
 *
 * Addresses: a branch target inside generated code is given as the address it was *written* at
 * (the emitter's own pointers); a relative displacement is the same in the RW and RX views.  A call
 * to host code (a C helper) is given as the function's real address, and the emitter adds
 * exec_delta to find where the call instruction will run.  When the helper is out of rel32 reach,
 * the call goes through r11 (jit.h: the emitter's scratch register).
 */
#ifndef SOFTVISOR_EMIT_BRANCH_H
#define SOFTVISOR_EMIT_BRANCH_H

#include "jit/emit.h"

/* Condition codes: the low nibble of Jcc/SETcc/CMOVcc (SDM vol. 1, appendix B). */
enum {
    EMIT_CC_O, EMIT_CC_NO, EMIT_CC_B, EMIT_CC_AE, EMIT_CC_E, EMIT_CC_NE, EMIT_CC_BE, EMIT_CC_A,
    EMIT_CC_S, EMIT_CC_NS, EMIT_CC_P, EMIT_CC_NP, EMIT_CC_L, EMIT_CC_GE, EMIT_CC_LE, EMIT_CC_G,
};

/* Displacement from the end of an instruction ending at `end` to `target` (both as written). */
static inline int64_t emit__rel(const uint8_t *end, const uint8_t *target)
{
    return (int64_t)((intptr_t)target - (intptr_t)end);
}

/* ---- jumps to a known target (backward, or anywhere already emitted): shortest form ---- */

static inline void emit_jmp(Emitter *e, const uint8_t *target)
{
    emit__begin(e);
    int64_t rel = emit__rel(e->p + 2, target);
    if (emit_fits_i8(rel)) {
        emit__u8(e, 0xeb);
        emit__u8(e, (uint32_t)rel);
    } else {
        emit__u8(e, 0xe9);
        emit__u32(e, (uint32_t)emit__rel(e->p + 4, target));
    }
}

static inline void emit_jcc(Emitter *e, int cc, const uint8_t *target)
{
    emit__begin(e);
    int64_t rel = emit__rel(e->p + 2, target);
    if (emit_fits_i8(rel)) {
        emit__u8(e, 0x70 + (unsigned)cc);
        emit__u8(e, (uint32_t)rel);
    } else {
        emit__u8(e, 0x0f);
        emit__u8(e, 0x80 + (unsigned)cc);
        emit__u32(e, (uint32_t)emit__rel(e->p + 4, target));
    }
}

/* jmp rel32 with the displacement left to patch (block chaining): returns the rel32 field. */
static inline uint8_t *emit_jmp32(Emitter *e)
{
    emit__begin(e);
    emit__u8(e, 0xe9);
    uint8_t *field = e->p;
    emit__u32(e, 0);
    return field;
}

/* Points a rel32 field (of a jmp/jcc/call ending right after it) at `target`, both as written. */
static inline void emit_patch_rel32(uint8_t *field, const uint8_t *target)
{
    uint32_t rel = (uint32_t)emit__rel(field + 4, target);
    memcpy(field, &rel, 4);
}

static inline void emit_jmp_r(Emitter *e, int r)
{
    emit__dr(e, 4, 0xff, 4, r);
}

static inline void emit_jmp_m(Emitter *e, EmitMem m)
{
    emit__dm(e, 4, 0xff, 4, m);
}

/* ---- calls ---- */

/* call fn: E8 rel32 when fn is within reach of where this code runs, else movabs r11 + call r11. */
static inline void emit_call(Emitter *e, const void *fn)
{
    emit__begin(e);
    int64_t rel = (int64_t)((intptr_t)fn - ((intptr_t)e->p + 5 + e->exec_delta));
    if (emit_fits_i32(rel)) {
        emit__u8(e, 0xe8);
        emit__u32(e, (uint32_t)rel);
        return;
    }
    emit__u8(e, 0x49);   /* REX.W.B: movabs r11, fn */
    emit__u8(e, 0xb8 + (HR_R11 & 7));
    emit__u64(e, (uint64_t)(uintptr_t)fn);
    emit__u8(e, 0x41);   /* REX.B: call r11 */
    emit__u8(e, 0xff);
    emit__modrm_reg(e, 2, HR_R11);
}

static inline void emit_call_r(Emitter *e, int r)
{
    emit__dr(e, 4, 0xff, 2, r);
}

static inline void emit_call_m(Emitter *e, EmitMem m)
{
    emit__dm(e, 4, 0xff, 2, m);
}

static inline void emit__byte_insn(Emitter *e, uint32_t opc)
{
    emit__begin(e);
    emit__u8(e, opc);
}

static inline void emit_ret(Emitter *e) { emit__byte_insn(e, 0xc3); }
static inline void emit_pushfq(Emitter *e) { emit__byte_insn(e, 0x9c); }
static inline void emit_popfq(Emitter *e) { emit__byte_insn(e, 0x9d); }
static inline void emit_sahf(Emitter *e) { emit__byte_insn(e, 0x9e); }
static inline void emit_lahf(Emitter *e) { emit__byte_insn(e, 0x9f); }

/* ---- labels: jumps to code not emitted yet ---- */

#define EMIT_LABEL_REFS 8

typedef struct EmitLabel {
    uint8_t *at;                      /* bound position, NULL until emit_label_bind */
    uint8_t n;                        /* pending references */
    uint8_t short_refs;               /* bit i: ref[i] is a rel8 field */
    uint8_t *ref[EMIT_LABEL_REFS];    /* rel8/rel32 fields to patch at bind time */
} EmitLabel;

static inline void emit_label_init(EmitLabel *l)
{
    l->at = NULL;
    l->n = 0;
    l->short_refs = 0;
}

/* Binds `l` to the current position and patches every reference; a rel8 reference out of range
 * fails the emitter (the caller retranslates with long jumps). */
void emit_label_bind(Emitter *e, EmitLabel *l);

static inline void emit__label_ref(Emitter *e, EmitLabel *l, bool short8)
{
    assert(l->n < EMIT_LABEL_REFS && "too many forward references to one label");
    l->short_refs |= (uint8_t)(short8 << l->n);
    l->ref[l->n++] = e->p;
    if (short8)
        emit__u8(e, 0);
    else
        emit__u32(e, 0);
}

/* jcc/jmp to a label: backward when bound (shortest form), else a forward rel8 (`short8`) or
 * rel32 reference. */
static inline void emit_jcc_label(Emitter *e, int cc, EmitLabel *l, bool short8)
{
    if (l->at) {
        emit_jcc(e, cc, l->at);
        return;
    }
    emit__begin(e);
    if (short8) {
        emit__u8(e, 0x70 + (unsigned)cc);
    } else {
        emit__u8(e, 0x0f);
        emit__u8(e, 0x80 + (unsigned)cc);
    }
    emit__label_ref(e, l, short8);
}

static inline void emit_jmp_label(Emitter *e, EmitLabel *l, bool short8)
{
    if (l->at) {
        emit_jmp(e, l->at);
        return;
    }
    emit__begin(e);
    emit__u8(e, short8 ? 0xeb : 0xe9);
    emit__label_ref(e, l, short8);
}

/* ---- SETcc r/m8 (0F 90+cc /0), CMOVcc r, r/m (0F 40+cc /r; size 2, 4, 8) ---- */

static inline void emit_setcc_r(Emitter *e, int cc, int r)
{
    emit__dr(e, 1, 0x0f90 + (unsigned)cc, 0, r);
}

static inline void emit_setcc_m(Emitter *e, int cc, EmitMem m)
{
    emit__dm(e, 1, 0x0f90 + (unsigned)cc, 0, m);
}

static inline void emit_cmov_rr(Emitter *e, int cc, int size, int dst, int src)
{
    emit__rr(e, size, 0x0f40 + (unsigned)cc, dst, src);
}

static inline void emit_cmov_rm(Emitter *e, int cc, int size, int dst, EmitMem m)
{
    emit__rm(e, size, 0x0f40 + (unsigned)cc, dst, m);
}

/* ---- padding ---- */

/* `n` bytes of NOPs, in as few instructions as the recommended forms allow (at most 9 bytes each). */
void emit_nop(Emitter *e, size_t n);
/* Pads with NOPs to a multiple of `align` (a power of two) of the address the code runs at. */
void emit_align(Emitter *e, size_t align);

#endif
