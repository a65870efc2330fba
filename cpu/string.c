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
 * XXX: no fast path (block copies through host pointers); each element is a checked access.
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
    for (unsigned n = 0; n < chunk; n++) {
        uint64_t cx = cpu->gpr[R_CX] & amask;
        if (cx == 0)
            break;
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
