/*
 * bcd.c — decimal adjust instructions (SDM vol. 2: DAA, DAS, AAA, AAS, AAM, AAD).  All are
 * invalid in 64-bit mode (#UD); the decoder does not decode them there.
 *
 *   DAA  if (AL & 0F) > 9 or AF: AL += 6, AF = 1, CF = old CF or carry of that add; else AF = 0.
 *        if old AL > 99h or old CF: AL += 60h, CF = 1; else CF = 0.
 *   DAS  if (AL & 0F) > 9 or AF: AL -= 6, AF = 1, CF = old CF or borrow of that subtract;
 *        else AF = 0.  if old AL > 99h or old CF: AL -= 60h, CF = 1.
 *        Both: SF ZF PF per AL.  OF undefined: XXX we give the signed overflow of the whole
 *        adjustment (old AL +/- 0, 6, 60h or 66h), which is how the hardware's adder produces it.
 *   AAA  if (AL & 0F) > 9 or AF: AX += 106h, AF = CF = 1; else AF = CF = 0.  AL &= 0Fh.
 *   AAS  if (AL & 0F) > 9 or AF: AX -= 6, AH -= 1, AF = CF = 1; else AF = CF = 0.  AL &= 0Fh.
 *        Both: OF SF ZF PF undefined: XXX we give SF ZF PF per the final AL and OF = 0.
 *   AAM imm8  AH = AL / imm8, AL = AL % imm8; imm8 = 0 -> #DE.
 *   AAD imm8  AL = AL + AH * imm8 (8 bits), AH = 0.
 *        Both: SF ZF PF per AL; OF AF CF undefined: XXX AAM gives 0 (as a logic result), AAD the
 *        flags of the 8-bit addition AL + (AH * imm8), which is how the hardware computes it.
 *
 * The flags are written eagerly (cpu->eflags, CC_OP_EFLAGS).
 */
#include "cpu/decode.h"
#include "cpu/flags.h"

static inline uint32_t flags_szp8(uint8_t v)
{
    return (v == 0 ? FL_ZF : 0) | ((v & 0x80) ? FL_SF : 0) | (__builtin_parity(v) ? 0 : FL_PF);
}

/* Replaces all six arithmetic flags. */
static inline void flags_set_arith(Cpu *cpu, uint32_t f)
{
    cc_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~FL_ARITH) | f;
}

/* DAA (sub = 0) and DAS (sub = 1). */
static int op_daa_das(Cpu *cpu, const Insn *in)
{
    uint32_t old = cpu_get_eflags(cpu);
    uint8_t al = (uint8_t)cpu->gpr[R_AX], adj = 0;
    bool cf = false, af = false, sub = in->sub;
    if ((al & 0x0f) > 9 || (old & FL_AF)) {
        adj = 0x06;
        af = true;
        cf = (old & FL_CF) || (sub ? al < 6 : al > 0xf9);
    }
    if (al > 0x99 || (old & FL_CF)) {
        adj |= 0x60;
        cf = true;
    } else if (!sub) {
        cf = false;
    }
    uint8_t r = sub ? (uint8_t)(al - adj) : (uint8_t)(al + adj);
    bool of = sub ? ((al ^ adj) & (al ^ r) & 0x80) != 0 : (~(al ^ adj) & (al ^ r) & 0x80) != 0;
    reg_write(cpu, R_AX, 1, r);
    flags_set_arith(cpu, flags_szp8(r) | (cf ? FL_CF : 0) | (af ? FL_AF : 0) | (of ? FL_OF : 0));
    return INSN_NEXT;
}

/* AAA (sub = 0) and AAS (sub = 1). */
static int op_aaa_aas(Cpu *cpu, const Insn *in)
{
    uint32_t old = cpu_get_eflags(cpu);
    uint16_t ax = (uint16_t)cpu->gpr[R_AX];
    bool adjust = (ax & 0x0f) > 9 || (old & FL_AF);
    if (adjust)
        ax = in->sub ? (uint16_t)(ax - 6 - 0x100) : (uint16_t)(ax + 0x106);
    ax &= 0xff0f;
    reg_write(cpu, R_AX, 2, ax);
    flags_set_arith(cpu, flags_szp8((uint8_t)ax) | (adjust ? FL_AF | FL_CF : 0));
    return INSN_NEXT;
}

static int op_aam(Cpu *cpu, const Insn *in)
{
    uint8_t base = (uint8_t)in->imm, al = (uint8_t)cpu->gpr[R_AX];
    if (base == 0)
        cpu_raise(cpu, EXC_DE, EXC_NO_ERR);
    uint8_t r = al % base;
    reg_write(cpu, R_AX, 2, ((uint16_t)(al / base) << 8) | r);
    flags_set_arith(cpu, flags_szp8(r));
    return INSN_NEXT;
}

static int op_aad(Cpu *cpu, const Insn *in)
{
    uint8_t base = (uint8_t)in->imm, al = (uint8_t)cpu->gpr[R_AX];
    uint8_t prod = (uint8_t)(reg_read(cpu, REG_AH, 1) * base);
    uint8_t r = (uint8_t)(al + prod);
    reg_write(cpu, R_AX, 2, r);
    cc_set(cpu, CC_OP_ADD, 1, r, prod);
    return INSN_NEXT;
}

InsnFn bcd_select(DecodeCtx *d, Insn *in)
{
    InsnFn fn;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_DAA: in->sub = 0; fn = op_daa_das; break;
    case ZYDIS_MNEMONIC_DAS: in->sub = 1; fn = op_daa_das; break;
    case ZYDIS_MNEMONIC_AAA: in->sub = 0; fn = op_aaa_aas; break;
    case ZYDIS_MNEMONIC_AAS: in->sub = 1; fn = op_aaa_aas; break;
    case ZYDIS_MNEMONIC_AAM: fn = op_aam; break;
    case ZYDIS_MNEMONIC_AAD: fn = op_aad; break;
    default: return NULL;
    }
    return (in->flags & INSN_LOCK) ? op_ud : fn;
}
