/*
 * insn.h — the pre-decoded instruction record and the operand helpers every handler uses.
 *
 * cpu/decode.c turns Zydis output into an Insn once per block; handlers never see Zydis.
 * Operands are kept in Zydis order (operand 0 is the destination):
 *   r[0..2]   the register of operand 0..2 when that operand is a general register (REG_NONE
 *             otherwise); for segment, control and debug register operands, their number.
 *   mem       the memory operand, if INSN_MEM is set (base/index/scale/disp/seg); it may be any
 *             of the operands — the handler chosen at decode time knows which.
 *   imm       the immediate (sign-extended to 64 bits as the instruction defines); relative
 *             branches hold the target offset from the *next* instruction here.
 *   imm2      a second immediate (far pointer selector, ENTER nesting level).
 *
 * Handler contract (STYLE rule 3): `int fn(Cpu *, const Insn *)`.  On entry cpu->rip is the
 * offset of this instruction.  A handler returns
 *   INSN_NEXT    fall through: the run loop advances rip by len;
 *   INSN_JUMP    it set cpu->rip itself (control transfer); the block ends;
 *   INSN_END     fall through, then end the block (mode changes, HLT, I/O, interrupt shadows).
 * A handler that faults calls cpu_raise() before writing any architectural state.
 */
#ifndef SOFTVISOR_INSN_H
#define SOFTVISOR_INSN_H

#include "cpu/access.h"
#include "cpu/cpu.h"

typedef struct Insn Insn;
typedef int (*InsnFn)(Cpu *cpu, const Insn *in);

enum { INSN_NEXT = 0, INSN_JUMP = 1, INSN_END = 2 };

/* Insn.flags */
#define INSN_MEM    0x01   /* has a memory operand */
#define INSN_LOCK   0x02
#define INSN_REP    0x04   /* F3: REP / REPE */
#define INSN_REPNE  0x08   /* F2: REPNE */
#define INSN_RIPREL 0x10   /* memory operand is RIP-relative */
#define INSN_SEGOVR 0x20   /* explicit segment-override prefix */
#define INSN_STEP_AFTER 0x40  /* single step decided on the TF it leaves (cpu/exec.c) */

struct Insn {
    InsnFn fn;
    uint8_t len;
    uint8_t osz;      /* operand size in bytes: 1, 2, 4, 8 */
    uint8_t asz;      /* address size in bytes: 2, 4, 8 */
    uint8_t flags;
    uint8_t r[3];
    uint8_t base, index, scale, seg;   /* memory operand (scale is a shift count) */
    uint8_t sub;      /* family-specific selector: ALU operation, condition code, ... */
    uint16_t mnem;    /* ZydisMnemonic, for traces and generic handlers */
    uint16_t imm2;
    int32_t disp;
    uint64_t imm;
};

/* ---- general registers ---- */

static inline uint64_t reg_read(const Cpu *cpu, int r, int size)
{
    switch (size) {
    case 1: return r >= REG_AH ? (uint8_t)(cpu->gpr[r - REG_AH] >> 8) : (uint8_t)cpu->gpr[r];
    case 2: return (uint16_t)cpu->gpr[r];
    case 4: return (uint32_t)cpu->gpr[r];
    default: return cpu->gpr[r];
    }
}

/* Writes follow the SDM: 8/16-bit writes merge, 32-bit writes zero-extend to 64 bits. */
static inline void reg_write(Cpu *cpu, int r, int size, uint64_t v)
{
    switch (size) {
    case 1:
        if (r >= REG_AH)
            cpu->gpr[r - REG_AH] = (cpu->gpr[r - REG_AH] & ~0xff00ull) | ((v & 0xff) << 8);
        else
            cpu->gpr[r] = (cpu->gpr[r] & ~0xffull) | (v & 0xff);
        break;
    case 2: cpu->gpr[r] = (cpu->gpr[r] & ~0xffffull) | (v & 0xffff); break;
    case 4: cpu->gpr[r] = (uint32_t)v; break;
    default: cpu->gpr[r] = v; break;
    }
}

static inline uint64_t size_mask(int size) { return size == 8 ? ~0ull : (1ull << (size * 8)) - 1; }
static inline uint64_t sign_bit(int size) { return 1ull << (size * 8 - 1); }
static inline int64_t sign_extend(uint64_t v, int size)
{
    int sh = 64 - size * 8;
    return (int64_t)(v << sh) >> sh;
}

/* ---- effective address of the memory operand (SDM vol. 1, 3.7.5; vol. 2, 2.1.5) ---- */
static inline uint64_t insn_ea(const Cpu *cpu, const Insn *in)
{
    uint64_t ea = (uint64_t)(int64_t)in->disp;
    if (in->base != REG_NONE)
        ea += cpu->gpr[in->base];
    if (in->index != REG_NONE)
        ea += cpu->gpr[in->index] << in->scale;
    if (in->flags & INSN_RIPREL)
        ea += cpu->rip + in->len;
    return ea & size_mask(in->asz);
}

/* ---- operand access by position: register or memory ---- */
static inline uint64_t op_read(Cpu *cpu, const Insn *in, int n, int size)
{
    if (in->r[n] != REG_NONE)
        return reg_read(cpu, in->r[n], size);
    return cpu_read(cpu, in->seg, insn_ea(cpu, in), size);
}

static inline void op_write(Cpu *cpu, const Insn *in, int n, int size, uint64_t v)
{
    if (in->r[n] != REG_NONE)
        reg_write(cpu, in->r[n], size, v);
    else
        cpu_write(cpu, in->seg, insn_ea(cpu, in), size, v);
}

/* Offset of the next instruction.  EIP wraps at 4 GiB outside 64-bit mode; in 16-bit code it
 * does not wrap at 64 KiB either: after an instruction that ends at FFFF, EIP = 10000h and the
 * next fetch is checked against the CS limit (#GP in real mode; 386 PRM 14.7, item 8).  Only
 * branch targets of 16-bit operand size are truncated to 16 bits (SDM vol. 2 JMP, CALL, RET). */
static inline uint64_t insn_next(const Cpu *cpu, const Insn *in)
{
    uint64_t n = cpu->rip + in->len;
    return cpu->code_bits == 64 ? n : (uint32_t)n;
}

/* ---- stack (SDM vol. 1, 6.2): SS-relative, width from SS.B or 64-bit mode ---- */
static inline uint64_t stack_mask(const Cpu *cpu) { return size_mask(cpu_stack_size(cpu)); }

static inline void sp_set(Cpu *cpu, uint64_t v)
{
    reg_write(cpu, R_SP, cpu_stack_size(cpu), v);
}

/* Push without committing RSP: returns the new RSP so callers can push several values and then
 * commit once, keeping state exact when a later push faults. */
static inline uint64_t stack_push_at(Cpu *cpu, uint64_t sp, int size, uint64_t v)
{
    sp = (sp - size) & stack_mask(cpu);
    cpu_write(cpu, SEG_SS, sp, size, v);
    return sp;
}

static inline void cpu_push(Cpu *cpu, int size, uint64_t v)
{
    sp_set(cpu, stack_push_at(cpu, cpu->gpr[R_SP], size, v));
}

static inline uint64_t stack_read_at(Cpu *cpu, uint64_t sp, int size)
{
    return cpu_read(cpu, SEG_SS, sp & stack_mask(cpu), size);
}

static inline uint64_t cpu_pop(Cpu *cpu, int size)
{
    uint64_t v = stack_read_at(cpu, cpu->gpr[R_SP], size);
    sp_set(cpu, (cpu->gpr[R_SP] + size) & stack_mask(cpu));
    return v;
}

/* The decoder entry point for families: each family file has a `xxx_select()` that looks at
 * a decoded instruction and returns the handler (or NULL when the instruction is not theirs).
 * See cpu/decode.c for the list. */
typedef struct DecodeCtx DecodeCtx;

#endif
