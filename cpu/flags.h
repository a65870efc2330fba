/*
 * flags.h — lazy arithmetic flags (SDM vol. 1, 3.4.3.1 and appendix A).
 *
 * An instruction that sets CF/PF/AF/ZF/SF/OF records how it computed its result instead of the
 * flags: cc_op = (CC_OP_x << 2) | log2(operand size in bytes), plus the operands below.  The six
 * flags are computed only when somebody reads them (Jcc, SETcc, PUSHF, ADC...).
 *
 * Contract per CC_OP (dst/src/src2 are the Cpu fields cc_dst/cc_src/cc_src2, zero-extended):
 *   EFLAGS  flags are already in cpu->eflags; dst/src unused.
 *   ADD     dst = result, src = second operand.             (first = dst - src)
 *   ADC     dst = result, src = second operand, src2 = carry in (0/1).
 *   SUB     dst = result, src = second operand.             (first = dst + src); CMP too.
 *   SBB     dst = result, src = second operand, src2 = borrow in (0/1).
 *   LOGIC   dst = result; CF = OF = 0, AF = 0 (undefined in the SDM).
 *   INC     dst = result, src2 = CF before the instruction (INC leaves CF alone).
 *   DEC     dst = result, src2 = CF before.
 *   SHL     dst = result, src = operand shifted left by count-1 (CF = its top bit).
 *   SHR     dst = result, src = operand shifted right by count-1 (CF = its bit 0).
 *   SAR     as SHR, arithmetic.
 *   MUL     dst = low half of the product, src = high half (CF = OF = high half != 0).
 *   IMUL    dst = low half, src = 1 when the product did not fit in the destination (CF = OF).
 *   For shifts OF = top bit of (src ^ dst), which is the SDM's value for count 1; for larger
 *   counts OF is undefined and this matches what Intel hardware produces for SHL/SHR/SAR.
 *   For MUL/IMUL, SF/ZF/PF follow dst and AF = 0 (undefined in the SDM).
 */
#ifndef SOFTVISOR_FLAGS_H
#define SOFTVISOR_FLAGS_H

#include "cpu/cpu.h"

enum {
    CC_OP_EFLAGS,
    CC_OP_ADD,
    CC_OP_ADC,
    CC_OP_SUB,
    CC_OP_SBB,
    CC_OP_LOGIC,
    CC_OP_INC,
    CC_OP_DEC,
    CC_OP_SHL,
    CC_OP_SHR,
    CC_OP_SAR,
    CC_OP_MUL,
    CC_OP_IMUL,
    CC_OP_COUNT
};

/* log2 of an operand size in bytes (1, 2, 4, 8) */
static inline uint32_t cc_size_log2(int size) { return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3; }

static inline void cc_set(Cpu *cpu, int op, int size, uint64_t dst, uint64_t src)
{
    cpu->cc_op = ((uint32_t)op << 2) | cc_size_log2(size);
    cpu->cc_dst = dst;
    cpu->cc_src = src;
}

static inline void cc_set3(Cpu *cpu, int op, int size, uint64_t dst, uint64_t src, uint64_t src2)
{
    cc_set(cpu, op, size, dst, src);
    cpu->cc_src2 = src2;
}

/* Computes the six arithmetic flags for a recorded operation (bits in EFLAGS positions). */
uint32_t cc_compute(uint32_t cc_op, uint64_t dst, uint64_t src, uint64_t src2);

/* Arithmetic flags now (materialized, not stored back). */
static inline uint32_t cc_flags(const Cpu *cpu)
{
    if (cpu->cc_op == CC_OP_EFLAGS)
        return cpu->eflags & FL_ARITH;
    return cc_compute(cpu->cc_op, cpu->cc_dst, cpu->cc_src, cpu->cc_src2);
}

/* Full EFLAGS value as the guest sees it (PUSHF, interrupts, ...). */
static inline uint32_t cpu_get_eflags(const Cpu *cpu)
{
    return (cpu->eflags & ~FL_ARITH) | cc_flags(cpu) | FL_FIXED1;
}

/* Stores the arithmetic flags into cpu->eflags and switches to CC_OP_EFLAGS.  Use before changing
 * only some of the arithmetic flags (e.g. CF with STC, or rotates). */
static inline void cc_materialize(Cpu *cpu)
{
    if (cpu->cc_op != CC_OP_EFLAGS) {
        cpu->eflags = (cpu->eflags & ~FL_ARITH) | cc_flags(cpu);
        cpu->cc_op = CC_OP_EFLAGS;
    }
}

/* Replaces the whole EFLAGS (all bits, incl. the arithmetic ones).  Callers enforce which bits
 * the instruction may change (POPF, IRET); this only keeps the fixed bits right. */
static inline void cpu_set_eflags(Cpu *cpu, uint32_t v)
{
    cpu->eflags = (v & ~(0x8u | 0x20u | 0x8000u)) | FL_FIXED1;
    cpu->cc_op = CC_OP_EFLAGS;
}

bool cc_cf_slow(const Cpu *cpu);

/* CF alone, without materializing the other flags. */
static inline bool cc_cf(const Cpu *cpu)
{
    uint32_t op = cpu->cc_op >> 2;
    int lg = cpu->cc_op & 3;
    uint64_t m = lg == 3 ? ~0ull : (1ull << (8u << lg)) - 1;
    switch (op) {
    case CC_OP_EFLAGS:
        return cpu->eflags & FL_CF;
    case CC_OP_ADD:
        return (cpu->cc_dst & m) < ((cpu->cc_dst - cpu->cc_src) & m);
    case CC_OP_SUB:
        return ((cpu->cc_dst + cpu->cc_src) & m) < (cpu->cc_src & m);
    case CC_OP_LOGIC:
        return false;
    case CC_OP_INC:
    case CC_OP_DEC:
        return cpu->cc_src2 != 0;
    case CC_OP_SHL:
        return (cpu->cc_src >> ((8u << lg) - 1)) & 1;
    case CC_OP_SHR:
    case CC_OP_SAR:
        return cpu->cc_src & 1;
    case CC_OP_MUL:
    case CC_OP_IMUL:
        return cpu->cc_src != 0;
    default:
        return cc_cf_slow(cpu);
    }
}

/* Condition codes as in Jcc/SETcc/CMOVcc (low nibble of the opcode). */
bool cc_cond(const Cpu *cpu, int cc);

#endif
