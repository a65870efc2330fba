/*
 * mov.c — data movement: MOV, MOVZX, MOVSX/MOVSXD, LEA, XCHG, CMOVcc, SETcc, BSWAP, MOVBE, CBW family
 * (SDM vol. 2: MOV, MOVZX, MOVSX, LEA, XCHG, CMOVcc, SETcc, BSWAP, MOVBE, CBW/CWDE/CDQE, CWD/CDQ/CQO).
 */
#include "cpu/decode.h"
#include "cpu/flags.h"

static int op_mov_r_r(Cpu *cpu, const Insn *in)
{
    reg_write(cpu, in->r[0], in->osz, reg_read(cpu, in->r[1], in->osz));
    return INSN_NEXT;
}

static int op_mov_r_m(Cpu *cpu, const Insn *in)
{
    reg_write(cpu, in->r[0], in->osz, cpu_read(cpu, in->seg, insn_ea(cpu, in), in->osz));
    return INSN_NEXT;
}

static int op_mov_m_r(Cpu *cpu, const Insn *in)
{
    cpu_write(cpu, in->seg, insn_ea(cpu, in), in->osz, reg_read(cpu, in->r[1], in->osz));
    return INSN_NEXT;
}

static int op_mov_r_i(Cpu *cpu, const Insn *in)
{
    reg_write(cpu, in->r[0], in->osz, in->imm);
    return INSN_NEXT;
}

static int op_mov_m_i(Cpu *cpu, const Insn *in)
{
    cpu_write(cpu, in->seg, insn_ea(cpu, in), in->osz, in->imm);
    return INSN_NEXT;
}

static int op_lea(Cpu *cpu, const Insn *in)
{
    reg_write(cpu, in->r[0], in->osz, insn_ea(cpu, in));
    return INSN_NEXT;
}

InsnFn mov_select(DecodeCtx *d, Insn *in)
{
    const char *k = d->kind;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        if (k[0] == 'r' && k[1] == 'r') return op_mov_r_r;
        if (k[0] == 'r' && k[1] == 'm') return op_mov_r_m;
        if (k[0] == 'm' && k[1] == 'r') return op_mov_m_r;
        if (k[0] == 'r' && k[1] == 'i') return op_mov_r_i;
        if (k[0] == 'm' && k[1] == 'i') return op_mov_m_i;
        return NULL;
    case ZYDIS_MNEMONIC_LEA:
        return k[1] == 'm' ? op_lea : NULL;
    default:
        (void)in;
        return NULL;
    }
}
