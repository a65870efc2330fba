/*
 * string.c — string instructions (SDM vol. 2: MOVS, CMPS, SCAS, LODS, STOS, REP/REPE/REPNE;
 * vol. 1, 7.3.9).  INS/OUTS are in portio.c.
 *
 * One iteration at element size osz (1, 2, 4, 8):
 *   MOVS  [ES:rDI] := [seg:rSI]                 rSI += d, rDI += d
 *   CMPS  flags of [seg:rSI] - [ES:rDI]          rSI += d, rDI += d
 *   SCAS  flags of rAX - [ES:rDI]                rDI += d
 *   LODS  rAX := [seg:rSI]                       rSI += d
 *   STOS  [ES:rDI] := rAX                        rDI += d
 * where d = +osz, or -osz when EFLAGS.DF = 1.  The address size (16/32/64) selects SI/ESI/RSI,
 * DI/EDI/RDI and CX/ECX/RCX (a 32-bit index update in 64-bit mode zero-extends).  `seg` is DS or
 * the segment override; ES:rDI cannot be overridden (ES base is ignored in 64-bit mode anyway).
 * CMPS/SCAS set the flags as SUB/CMP; the others change no flag.
 *
 * REP (F3, and F2 on MOVS/LODS/STOS, as hardware does): while rCX != 0: one iteration, rCX -= 1.
 * REPE/REPNE (F3/F2 on CMPS/SCAS) also stop after an iteration that leaves ZF = 0 / ZF = 1.
 * rCX = 0 at the start: nothing happens (no flag changes).  Registers are committed after every
 * iteration, so a fault on iteration k leaves rSI/rDI/rCX as the k-1 completed iterations left
 * them, with rIP at the instruction.
 *
 * A REP instruction runs at most STRING_CHUNK iterations per handler call; if the count is not
 * exhausted by then it returns with rIP still at the instruction, so the run loop can take
 * interrupts and check its budget before resuming it (as hardware interrupts REP strings between
 * iterations), leaving RF = 1 (strop.h).  Under TF a chunk is one iteration.
 * XXX: each resumption counts as one retired instruction in icount.
 *
 * Fast path (REP MOVS and REP STOS with 32- or 64-bit addresses): the elements that lie in one
 * page of the source and one of the destination, pass every segment check, and whose pages the
 * TLB gives fast-path tags, are copied or filled through host pointers at once (string_bulk),
 * in the order the iterations would store them when the two ranges overlap.  A fast-path tag
 * means what the per-element accesses would find: RAM, the A and D bits set, no decoded code
 * (no SMC to stop at), no data breakpoint, dirty marked.  The other elements (page ends,
 * misses, MMIO, code pages, faults) take one checked iteration each, which refills the TLB or
 * faults at its exact iteration.  The chunk of STRING_CHUNK iterations per call is the same
 * either way, so the guest sees the same instruction counts.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/strop.h"

enum { STR_MOVS, STR_CMPS, STR_SCAS, STR_LODS, STR_STOS };

#define STRING_CHUNK 4096u

/* One iteration; returns whether the compared elements were equal (CMPS/SCAS). */
static inline bool string_step(Cpu *cpu, const Insn *in, int kind)
{
    int size = in->osz, asz = in->asz;
    uint64_t amask = size_mask(asz);
    uint64_t delta = string_delta(cpu, in);
    uint64_t si = cpu->gpr[R_SI] & amask, di = cpu->gpr[R_DI] & amask;
    uint64_t a, b;
    bool eq = false;
    switch (kind) {
    case STR_MOVS:
        a = cpu_read(cpu, in->seg, si, size);
        cpu_write(cpu, SEG_ES, di, size, a);
        reg_write(cpu, R_SI, asz, si + delta);
        reg_write(cpu, R_DI, asz, di + delta);
        break;
    case STR_CMPS:
        a = cpu_read(cpu, in->seg, si, size);
        b = cpu_read(cpu, SEG_ES, di, size);
        cc_set(cpu, CC_OP_SUB, size, (a - b) & size_mask(size), b);
        eq = a == b;
        reg_write(cpu, R_SI, asz, si + delta);
        reg_write(cpu, R_DI, asz, di + delta);
        break;
    case STR_SCAS:
        a = reg_read(cpu, R_AX, size);
        b = cpu_read(cpu, SEG_ES, di, size);
        cc_set(cpu, CC_OP_SUB, size, (a - b) & size_mask(size), b);
        eq = a == b;
        reg_write(cpu, R_DI, asz, di + delta);
        break;
    case STR_LODS:
        a = cpu_read(cpu, in->seg, si, size);
        reg_write(cpu, R_AX, size, a);
        reg_write(cpu, R_SI, asz, si + delta);
        break;
    default: /* STR_STOS */
        cpu_write(cpu, SEG_ES, di, size, reg_read(cpu, R_AX, size));
        reg_write(cpu, R_DI, asz, di + delta);
        break;
    }
    return eq;
}

/* The host address of the element at seg:off when it and the next n - 1 elements in the
 * direction of DF (`down`) pass the segment checks for `acc`, stay within the address size, lie
 * in the element's page and the TLB has a fast-path tag for `acc` there; NULL otherwise.  *n is
 * lowered to what fits. */
static uint8_t *string_span(Cpu *cpu, int seg, uint64_t off, int size, uint64_t amask, bool down, int acc,
                            uint64_t *n)
{
    uint64_t lin;
    if (cpu->code_bits == 64)
        lin = off + (seg >= SEG_FS ? cpu->seg[seg].base : 0);
    else
        lin = (uint32_t)(cpu->seg[seg].base + off);
    uint64_t pos = lin & 0xfff;
    if (pos + (uint64_t)size > PAGE_SIZE)
        return NULL;               /* the element itself crosses the page end */
    uint64_t room = down ? pos / (uint64_t)size + 1 : (PAGE_SIZE - pos) / (uint64_t)size;
    uint64_t wrap = down ? off / (uint64_t)size + 1 : (amask - off) / (uint64_t)size + 1;
    if (room < *n)
        *n = room;
    if (wrap < *n)
        *n = wrap;
    if (cpu->code_bits != 64) {
        const SegCache *sc = &cpu->seg[seg];
        uint64_t span = (*n - 1) * (uint64_t)size;
        uint64_t low = down ? off - span : off;
        if (low < sc->lo || low + span + (uint64_t)(size - 1) > sc->hi || !(sc->ok & (1u << acc)))
            return NULL;
    }
    const TlbEntry *e = &cpu->tlb.e[cpu_user(cpu)][(lin >> 12) & (TLB_SIZE - 1)];
    if ((acc == ACC_WRITE ? e->tag_w : e->tag_r) != (lin & PAGE_MASK))
        return NULL;
    return (uint8_t *)(e->addend + lin);
}

/* Up to `max` iterations of REP MOVS or REP STOS through host pointers (see the header);
 * returns how many ran, 0 when the next one needs the checked path. */
static uint64_t string_bulk(Cpu *cpu, const Insn *in, int kind, uint64_t max)
{
    int size = in->osz, asz = in->asz;
    if (asz < 4)
        return 0;
    uint64_t amask = size_mask(asz);
    bool down = (cpu->eflags & FL_DF) != 0;
    uint64_t n = max;
    uint64_t di = cpu->gpr[R_DI] & amask, si = cpu->gpr[R_SI] & amask;
    uint8_t *dst = string_span(cpu, SEG_ES, di, size, amask, down, ACC_WRITE, &n);
    if (!dst)
        return 0;
    uint8_t *src = NULL;
    if (kind == STR_MOVS) {
        src = string_span(cpu, in->seg, si, size, amask, down, ACC_READ, &n);
        if (!src)
            return 0;
    }
    uint64_t bytes = n * (uint64_t)size;
    ptrdiff_t step = down ? -size : size;
    uint8_t *dlow = down ? dst - (bytes - (uint64_t)size) : dst;
    if (kind == STR_STOS) {
        uint64_t v = reg_read(cpu, R_AX, size);
        if (size == 1)
            memset(dlow, (int)v, bytes);
        else
            for (uint64_t i = 0; i < n; i++)
                host_store((uintptr_t)(dlow + i * (uint64_t)size), size, v);
    } else {
        uint8_t *slow = down ? src - (bytes - (uint64_t)size) : src;
        if (dlow + bytes <= slow || slow + bytes <= dlow) {
            memcpy(dlow, slow, bytes);
        } else {
            /* Overlapping ranges: each iteration reads what the ones before it stored. */
            for (uint64_t i = 0; i < n; i++, dst += step, src += step)
                host_store((uintptr_t)dst, size, host_load((uintptr_t)src, size));
        }
        reg_write(cpu, R_SI, asz, si + (uint64_t)step * n);
    }
    reg_write(cpu, R_DI, asz, di + (uint64_t)step * n);
    reg_write(cpu, R_CX, asz, (cpu->gpr[R_CX] & amask) - n);
    return n;
}

static inline int string_run(Cpu *cpu, const Insn *insn, int kind)
{
    /* A store may hit the page holding this very block and free it: work on a copy. */
    const Insn in = *insn;
    if (!string_rep(&in)) {
        string_step(cpu, &in, kind);
        return INSN_NEXT;
    }
    uint64_t amask = size_mask(in.asz);
    bool compare = kind == STR_CMPS || kind == STR_SCAS;
    bool stop_if_eq = (in.flags & INSN_REPNE) != 0;
    unsigned chunk = string_chunk(cpu, STRING_CHUNK);
    bool bulk = (kind == STR_MOVS || kind == STR_STOS) && chunk > 1;
    for (unsigned n = 0; n < chunk; n++) {
        uint64_t cx = cpu->gpr[R_CX] & amask;
        if (cx == 0)
            break;
        if (bulk) {
            uint64_t done = string_bulk(cpu, &in, kind, cx < chunk - n ? cx : chunk - n);
            if (done) {
                n += (unsigned)done - 1;
                continue;
            }
        }
        bool eq = string_step(cpu, &in, kind);
        reg_write(cpu, R_CX, in.asz, cx - 1);
        if (compare && eq == stop_if_eq)
            break;
        if (cpu->exit_block)
            break;
    }
    bool done = (cpu->gpr[R_CX] & amask) == 0 || (compare && cc_cond(cpu, 4) == stop_if_eq);
    if (done && !cpu->exit_block)
        return INSN_NEXT;
    if (!done)
        return string_resume(cpu);   /* resume this instruction from the run loop */
    cpu->rip = insn_next(cpu, &in);
    return INSN_JUMP;
}

static int op_movs(Cpu *cpu, const Insn *in) { return string_run(cpu, in, STR_MOVS); }
static int op_cmps(Cpu *cpu, const Insn *in) { return string_run(cpu, in, STR_CMPS); }
static int op_scas(Cpu *cpu, const Insn *in) { return string_run(cpu, in, STR_SCAS); }
static int op_lods(Cpu *cpu, const Insn *in) { return string_run(cpu, in, STR_LODS); }
static int op_stos(Cpu *cpu, const Insn *in) { return string_run(cpu, in, STR_STOS); }

InsnFn string_select(DecodeCtx *d, Insn *in)
{
    const ZydisDecodedInstruction *zi = d->zi;
    if (zi->meta.category != ZYDIS_CATEGORY_STRINGOP)
        return NULL;
    /* SSE2 MOVSD/CMPSD share the mnemonics of the string forms; those have XMM operands. */
    for (int i = 0; i < d->nops; i++)
        if (d->kind[i] == 'v')
            return NULL;
    InsnFn fn;
    switch (zi->mnemonic) {
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD:
    case ZYDIS_MNEMONIC_MOVSQ:
        fn = op_movs;
        break;
    case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_CMPSD:
    case ZYDIS_MNEMONIC_CMPSQ:
        fn = op_cmps;
        break;
    case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW: case ZYDIS_MNEMONIC_SCASD:
    case ZYDIS_MNEMONIC_SCASQ:
        fn = op_scas;
        break;
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD:
    case ZYDIS_MNEMONIC_LODSQ:
        fn = op_lods;
        break;
    case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_STOSD:
    case ZYDIS_MNEMONIC_STOSQ:
        fn = op_stos;
        break;
    default:
        return NULL;
    }
    if (in->flags & INSN_LOCK)
        return op_ud;
    /* The operands are hidden: the source segment (DS or the override) is that of the memory
     * operand based on rSI. */
    in->seg = SEG_DS;
    for (int i = 0; i < zi->operand_count; i++) {
        const ZydisDecodedOperand *o = &d->op[i];
        if (o->type == ZYDIS_OPERAND_TYPE_MEMORY && decode_gpr(o->mem.base) == R_SI) {
            int s = decode_sreg(o->mem.segment);
            if (s != SEG_NONE)
                in->seg = (uint8_t)s;
        }
    }
    return fn;
}
