/*
 * emit.h — the x86-64 emitter's core: the output buffer, host registers, memory operands, and the
 * prefix / REX / ModRM / SIB / displacement encoding every instruction form shares.
 *
 * Encoding (SDM vol. 2, chapter 2 and appendix B, 64-bit mode):
 *   [66] [REX 0100WRXB] opcode (1-3 bytes) [ModRM mod|reg|rm] [SIB scale|index|base] [disp] [imm]
 *   - 66: 16-bit operand size.  REX.W: 64-bit operand size.  REX.R/X/B extend ModRM.reg,
 *     SIB.index and ModRM.rm / SIB.base / the register in the opcode's low 3 bits.
 *   - Byte registers: without REX, encodings 4-7 are AH, CH, DH, BH; with any REX they are SPL,
 *     BPL, SIL, DIL.  So SPL..DIL force an (empty) REX and AH..BH forbid one.
 *   - ModRM.mod = 11: register operand.  Memory operands:
 *       rm = 100 (rsp, r12 as base, or any index) needs a SIB byte; SIB.index = 100 means none,
 *       so rsp can never be an index (r12 can: REX.X makes it 1100);
 *       mod = 00 with rm = 101 (rbp, r13 as base) means RIP-relative disp32, so rbp/r13 as a base
 *       always carry a displacement (a zero disp8);
 *       no base: mod = 00, rm = 100, SIB.base = 101 with a disp32 (absolute or index*scale+disp32).
 *     disp8 is chosen whenever the displacement fits in a signed byte.
 *
 * Speed of emission is the point (a JIT translates while the guest waits): every form is a
 * static inline function writing bytes straight into the buffer.  Overflow costs one compare per
 * instruction: the buffer keeps EMIT_MAX_INSN bytes of slack after `limit`; an instruction that
 * starts past `limit` sets `failed` and rewinds to the start, so nothing is ever written outside
 * the buffer and the caller discards the whole translation (and may flush the code buffer).
 *
 * Instruction forms live in jit/emit_insn.h (data movement, arithmetic, shifts) and
 * jit/emit_branch.h (jumps, calls, labels, conditions, flags); tests/unit/test_jit_emit.c decodes
 * every form back with Zydis.
 */
#ifndef SOFTVISOR_EMIT_H
#define SOFTVISOR_EMIT_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EMIT_MAX_INSN 16   /* longest instruction any form emits, rounded up (x86 limit: 15) */

/* Host registers in hardware numbering.  AH..BH exist only as 8-bit operands; HR_NONE and HR_RIP
 * only as memory-operand base (HR_NONE also as index). */
enum {
    HR_RAX, HR_RCX, HR_RDX, HR_RBX, HR_RSP, HR_RBP, HR_RSI, HR_RDI,
    HR_R8, HR_R9, HR_R10, HR_R11, HR_R12, HR_R13, HR_R14, HR_R15,
    HR_AH = 0x14, HR_CH, HR_DH, HR_BH,
    HR_NONE = 0x20,
    HR_RIP = 0x21,
};

typedef struct Emitter {
    uint8_t *p;           /* next byte */
    uint8_t *limit;       /* an instruction may start at or before this (end - EMIT_MAX_INSN) */
    uint8_t *start;
    intptr_t exec_delta;  /* address the code runs at minus address it is written at (codebuf) */
    bool failed;          /* out of room, or a short jump out of range: discard the output */
} Emitter;

/* A memory operand [base + index << scale + disp].  base: a 64-bit register, HR_NONE (absolute
 * disp32, sign-extended) or HR_RIP (disp relative to the end of the instruction, as encoded).
 * index: any register but rsp, or HR_NONE; never with HR_RIP. */
typedef struct EmitMem {
    uint8_t base, index, scale;
    int32_t disp;
} EmitMem;

static inline EmitMem emit_mem(int base, int32_t disp)
{
    return (EmitMem){ (uint8_t)base, HR_NONE, 0, disp };
}

static inline EmitMem emit_mem_idx(int base, int index, int scale, int32_t disp)
{
    return (EmitMem){ (uint8_t)base, (uint8_t)index, (uint8_t)scale, disp };
}

/* buf/size: where to write (at least EMIT_MAX_INSN bytes); exec_delta: see Emitter. */
void emit_init(Emitter *e, uint8_t *buf, size_t size, intptr_t exec_delta);

/* Bytes written so far. */
static inline size_t emit_size(const Emitter *e) { return (size_t)(e->p - e->start); }

/* ---- byte output (internal to the emitter: names with a double underscore) ---- */

static inline void emit__begin(Emitter *e)
{
    if (__builtin_expect(e->p > e->limit, 0)) {
        e->failed = true;
        e->p = e->start;
    }
}

static inline void emit__u8(Emitter *e, uint32_t v) { *e->p++ = (uint8_t)v; }

static inline void emit__u16(Emitter *e, uint32_t v)
{
    uint16_t x = (uint16_t)v;
    memcpy(e->p, &x, 2);
    e->p += 2;
}

static inline void emit__u32(Emitter *e, uint32_t v)
{
    memcpy(e->p, &v, 4);
    e->p += 4;
}

static inline void emit__u64(Emitter *e, uint64_t v)
{
    memcpy(e->p, &v, 8);
    e->p += 8;
}

/* An immediate of an operand of `size` bytes: 64-bit operations take a sign-extended imm32. */
static inline void emit__imm(Emitter *e, int size, uint64_t v)
{
    if (size == 1)
        emit__u8(e, (uint32_t)v);
    else if (size == 2)
        emit__u16(e, (uint32_t)v);
    else
        emit__u32(e, (uint32_t)v);
}

static inline bool emit_fits_i8(int64_t v) { return v == (int8_t)v; }
static inline bool emit_fits_i32(int64_t v) { return v == (int32_t)v; }

/* Opcode of up to three bytes, given as one number written most significant byte first. */
static inline void emit__opcode(Emitter *e, uint32_t opc)
{
    if (opc > 0xffff)
        emit__u8(e, opc >> 16);
    if (opc > 0xff)
        emit__u8(e, opc >> 8);
    emit__u8(e, opc);
}

/* Operand-size prefix, REX and opcode.  `size` sets 66 / REX.W.  `reg` is what goes in ModRM.reg
 * (a register, or the /digit), `index` the SIB index, `base` the ModRM.rm / SIB.base / opcode
 * register (HR_NONE when absent).  `rbyte`/`bbyte`: reg/base is an 8-bit register operand, for
 * the SPL..DIL and AH..BH rules. */
static inline void emit__head(Emitter *e, int size, int reg, int index, int base, bool rbyte,
                              bool bbyte, uint32_t opc)
{
    unsigned rex = (size == 8 ? 8u : 0u) | ((unsigned)(reg & 8) >> 1) | ((unsigned)(index & 8) >> 2) |
                   ((unsigned)(base & 8) >> 3);
    bool force = (rbyte && reg >= 4 && reg < 8) || (bbyte && base >= 4 && base < 8);
    if (size == 2)
        emit__u8(e, 0x66);
    if (rex || force) {
        assert(!(rbyte && reg >= HR_AH) && !(bbyte && base >= HR_AH) && "AH..BH cannot take a REX");
        emit__u8(e, 0x40 | rex);
    }
    emit__opcode(e, opc);
}

static inline void emit__modrm_reg(Emitter *e, int reg, int rm)
{
    emit__u8(e, 0xc0 | ((unsigned)(reg & 7) << 3) | (unsigned)(rm & 7));
}

static inline void emit__modrm_mem(Emitter *e, int reg, EmitMem m)
{
    unsigned r = (unsigned)(reg & 7) << 3;
    if (m.base == HR_RIP) {
        assert(m.index == HR_NONE);
        emit__u8(e, 0x05 | r);
        emit__u32(e, (uint32_t)m.disp);
        return;
    }
    assert(m.index != HR_RSP && m.scale <= 3);
    unsigned idx = m.index == HR_NONE ? 4u : (m.index & 7u);
    if (m.base == HR_NONE) {
        emit__u8(e, 0x04 | r);
        emit__u8(e, ((unsigned)m.scale << 6) | (idx << 3) | 5);
        emit__u32(e, (uint32_t)m.disp);
        return;
    }
    unsigned mod = (m.disp == 0 && (m.base & 7) != 5) ? 0x00 : emit_fits_i8(m.disp) ? 0x40 : 0x80;
    if (m.index == HR_NONE && (m.base & 7) != 4) {
        emit__u8(e, mod | r | (m.base & 7u));
    } else {
        emit__u8(e, mod | r | 4);
        emit__u8(e, ((unsigned)m.scale << 6) | (idx << 3) | (m.base & 7u));
    }
    if (mod == 0x40)
        emit__u8(e, (uint32_t)m.disp);
    else if (mod == 0x80)
        emit__u32(e, (uint32_t)m.disp);
}

/* opcode with ModRM.reg = reg, ModRM.rm = register rm; both operands of `size` bytes. */
static inline void emit__rr(Emitter *e, int size, uint32_t opc, int reg, int rm)
{
    emit__begin(e);
    emit__head(e, size, reg, HR_NONE, rm, size == 1, size == 1, opc);
    emit__modrm_reg(e, reg, rm);
}

/* opcode /digit with a register operand rm of `size` bytes. */
static inline void emit__dr(Emitter *e, int size, uint32_t opc, int digit, int rm)
{
    emit__begin(e);
    emit__head(e, size, digit, HR_NONE, rm, false, size == 1, opc);
    emit__modrm_reg(e, digit, rm);
}

/* opcode with ModRM.reg = reg (a register of `size` bytes) and a memory operand. */
static inline void emit__rm(Emitter *e, int size, uint32_t opc, int reg, EmitMem m)
{
    emit__begin(e);
    emit__head(e, size, reg, m.index, m.base == HR_RIP ? HR_NONE : m.base, size == 1, false, opc);
    emit__modrm_mem(e, reg, m);
}

/* opcode /digit with a memory operand. */
static inline void emit__dm(Emitter *e, int size, uint32_t opc, int digit, EmitMem m)
{
    emit__begin(e);
    emit__head(e, size, digit, m.index, m.base == HR_RIP ? HR_NONE : m.base, false, false, opc);
    emit__modrm_mem(e, digit, m);
}

#endif
