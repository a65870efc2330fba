/*
 * emit.c — the emitter's out-of-line parts: setting up a buffer, binding labels, NOP padding.
 * The instruction forms are static inline in jit/emit*.h (see jit/emit.h for the encoding rules).
 */
#include "jit/emit.h"
#include "jit/emit_branch.h"

void emit_init(Emitter *e, uint8_t *buf, size_t size, intptr_t exec_delta)
{
    assert(size >= EMIT_MAX_INSN);
    e->start = e->p = buf;
    e->limit = buf + size - EMIT_MAX_INSN;
    e->exec_delta = exec_delta;
    e->failed = false;
}

void emit_label_bind(Emitter *e, EmitLabel *l)
{
    assert(l->at == NULL && "a label is bound once");
    l->at = e->p;
    for (unsigned i = 0; i < l->n; i++) {
        uint8_t *field = l->ref[i];
        if (l->short_refs & (1u << i)) {
            int64_t rel = (int64_t)(e->p - (field + 1));
            if (!emit_fits_i8(rel))
                e->failed = true;
            *field = (uint8_t)rel;
        } else {
            emit_patch_rel32(field, e->p);
        }
    }
    l->n = 0;
    l->short_refs = 0;
}

/* The recommended multi-byte NOPs (SDM vol. 2, NOP: table 4-12), by length. */
static const uint8_t nop_forms[9][9] = {
    { 0x90 },
    { 0x66, 0x90 },
    { 0x0f, 0x1f, 0x00 },
    { 0x0f, 0x1f, 0x40, 0x00 },
    { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
    { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
    { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
    { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    { 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

void emit_nop(Emitter *e, size_t n)
{
    while (n > 0) {
        size_t k = n < 9 ? n : 9;
        emit__begin(e);
        memcpy(e->p, nop_forms[k - 1], k);
        e->p += k;
        n -= k;
    }
}

void emit_align(Emitter *e, size_t align)
{
    assert(align && (align & (align - 1)) == 0);
    uintptr_t at = (uintptr_t)e->p + (uintptr_t)e->exec_delta;
    emit_nop(e, (size_t)(-at & (align - 1)));
}
