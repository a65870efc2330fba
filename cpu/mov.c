/*
 * mov.c — data movement (SDM vol. 2: MOV, MOVZX, MOVSX/MOVSXD, LEA, XCHG, CMOVcc, SETcc, BSWAP,
 * MOVBE, CBW/CWDE/CDQE, CWD/CDQ/CQO, XLAT).  None of these changes a flag.
 *
 *   MOV r/m, r/imm and r, r/m: plain copy of osz bytes.  moffs forms (A0-A3): the address is an
 *       absolute offset of address size; a 64-bit moffs does not fit Insn.disp, so the selector
 *       keeps it in Insn.imm.  MOV Sreg / CR / DR belong to segment.c and system.c.
 *   MOVZX/MOVSX: source of 1 or 2 bytes (Insn.sub), zero/sign-extended to osz.
 *   MOVSXD: 32-bit source sign-extended to 64; with osz 32 (no REX.W) or 16 it is a plain move.
 *   LEA: the effective address computed at address size, then truncated or zero-extended to osz.
 *   XCHG: swaps; the memory form is locked whether or not LOCK is given (a read-modify-write).
 *   CMOVcc: the source is read (and may fault) whatever the condition; with a false condition a
 *       32-bit destination is still written with its own low half, so in 64-bit mode its upper
 *       half is cleared.
 *   SETcc: writes 1 or 0 to the byte r/m.
 *   BSWAP: reverses the bytes of a 32/64-bit register.  XXX: BSWAP r16 is undefined in the SDM;
 *       Intel processors leave 0 in the low word (upper bits kept), which is what we do.
 *   MOVBE: load or store with bytes reversed (16/32/64 bits); register-to-register is #UD.
 *   CBW/CWDE/CDQE: sign-extend the low half of rAX into rAX at osz.
 *   CWD/CDQ/CQO: fill rDX with the sign bit of rAX at osz.
 *   XLAT: AL := [seg:(rBX + zero-extended AL)] at address size; segment override allowed.
 * LOCK: only XCHG with a memory operand accepts it; any other LOCKed form is #UD.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"

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

/* MOV AL/rAX, moffs (A0/A1) */
static int op_mov_r_moffs(Cpu *cpu, const Insn *in)
{
    reg_write(cpu, in->r[0], in->osz, cpu_read(cpu, in->seg, in->imm & size_mask(in->asz), in->osz));
    return INSN_NEXT;
}

/* MOV moffs, AL/rAX (A2/A3) */
static int op_mov_moffs_r(Cpu *cpu, const Insn *in)
{
    cpu_write(cpu, in->seg, in->imm & size_mask(in->asz), in->osz, reg_read(cpu, in->r[1], in->osz));
    return INSN_NEXT;
}

static int op_lea(Cpu *cpu, const Insn *in)
{
    reg_write(cpu, in->r[0], in->osz, insn_ea(cpu, in));
    return INSN_NEXT;
}

/* MOVZX Gv, Eb/Ew: sub = source size */
static int op_movzx(Cpu *cpu, const Insn *in)
{
    reg_write(cpu, in->r[0], in->osz, op_read(cpu, in, 1, in->sub));
    return INSN_NEXT;
}

/* MOVSX Gv, Eb/Ew and MOVSXD Gv, Ed: sub = source size */
static int op_movsx(Cpu *cpu, const Insn *in)
{
    reg_write(cpu, in->r[0], in->osz, (uint64_t)sign_extend(op_read(cpu, in, 1, in->sub), in->sub));
    return INSN_NEXT;
}

static int op_xchg_r_r(Cpu *cpu, const Insn *in)
{
    uint64_t a = reg_read(cpu, in->r[0], in->osz);
    uint64_t b = reg_read(cpu, in->r[1], in->osz);
    reg_write(cpu, in->r[0], in->osz, b);
    reg_write(cpu, in->r[1], in->osz, a);
    return INSN_NEXT;
}

/* XCHG Ev, Gv with memory: sub = the operand index of the register */
static int op_xchg_m_r(Cpu *cpu, const Insn *in)
{
    uint64_t lin;
    uint64_t m = cpu_read_rmw(cpu, in->seg, insn_ea(cpu, in), in->osz, &lin);
    int r = in->r[in->sub];
    cpu_write_lin(cpu, lin, in->osz, reg_read(cpu, r, in->osz));
    reg_write(cpu, r, in->osz, m);
    return INSN_NEXT;
}

/* CMOVcc Gv, Ev: sub = condition code */
static int op_cmovcc(Cpu *cpu, const Insn *in)
{
    uint64_t v = op_read(cpu, in, 1, in->osz);
    if (cc_cond(cpu, in->sub))
        reg_write(cpu, in->r[0], in->osz, v);
    else if (in->osz == 4)
        reg_write(cpu, in->r[0], 4, reg_read(cpu, in->r[0], 4));
    return INSN_NEXT;
}

/* SETcc Eb: sub = condition code */
static int op_setcc(Cpu *cpu, const Insn *in)
{
    op_write(cpu, in, 0, 1, cc_cond(cpu, in->sub) ? 1 : 0);
    return INSN_NEXT;
}

static inline uint64_t bswap_size(uint64_t v, int size)
{
    switch (size) {
    case 2: return (uint16_t)((v << 8) | ((v >> 8) & 0xff));
    case 4: return __builtin_bswap32((uint32_t)v);
    default: return __builtin_bswap64(v);
    }
}

static int op_bswap(Cpu *cpu, const Insn *in)
{
    uint64_t v = reg_read(cpu, in->r[0], in->osz);
    reg_write(cpu, in->r[0], in->osz, in->osz == 2 ? 0 : bswap_size(v, in->osz));
    return INSN_NEXT;
}

static int op_movbe_r_m(Cpu *cpu, const Insn *in)
{
    uint64_t v = cpu_read(cpu, in->seg, insn_ea(cpu, in), in->osz);
    reg_write(cpu, in->r[0], in->osz, bswap_size(v, in->osz));
    return INSN_NEXT;
}

static int op_movbe_m_r(Cpu *cpu, const Insn *in)
{
    cpu_write(cpu, in->seg, insn_ea(cpu, in), in->osz, bswap_size(reg_read(cpu, in->r[1], in->osz), in->osz));
    return INSN_NEXT;
}

/* CBW / CWDE / CDQE */
static int op_cbw(Cpu *cpu, const Insn *in)
{
    int half = in->osz / 2;
    reg_write(cpu, R_AX, in->osz, (uint64_t)sign_extend(reg_read(cpu, R_AX, half), half));
    return INSN_NEXT;
}

/* CWD / CDQ / CQO */
static int op_cwd(Cpu *cpu, const Insn *in)
{
    bool neg = (reg_read(cpu, R_AX, in->osz) & sign_bit(in->osz)) != 0;
    reg_write(cpu, R_DX, in->osz, neg ? ~0ull : 0);
    return INSN_NEXT;
}

static int op_xlat(Cpu *cpu, const Insn *in)
{
    uint64_t ea = (cpu->gpr[R_BX] + (cpu->gpr[R_AX] & 0xff)) & size_mask(in->asz);
    reg_write(cpu, R_AX, 1, cpu_read(cpu, in->seg, ea, 1));
    return INSN_NEXT;
}

static InsnFn select_mov(DecodeCtx *d, Insn *in)
{
    const char *k = d->kind;
    if (d->zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && d->zi->opcode >= 0xa0 && d->zi->opcode <= 0xa3) {
        /* moffs: absolute offset, possibly 64 bits wide (does not fit Insn.disp) */
        int m = k[0] == 'm' ? 0 : 1;
        in->imm = (uint64_t)d->op[m].mem.disp.value;
        return m == 0 ? op_mov_moffs_r : op_mov_r_moffs;
    }
    if (k[0] == 'r' && k[1] == 'r') return op_mov_r_r;
    if (k[0] == 'r' && k[1] == 'm') return op_mov_r_m;
    if (k[0] == 'm' && k[1] == 'r') return op_mov_m_r;
    if (k[0] == 'r' && k[1] == 'i') return op_mov_r_i;
    if (k[0] == 'm' && k[1] == 'i') return op_mov_m_i;
    return NULL;   /* MOV Sreg / CR / DR: segment.c, system.c */
}

InsnFn mov_select(DecodeCtx *d, Insn *in)
{
    const char *k = d->kind;
    ZydisMnemonic mn = d->zi->mnemonic;
    bool locked = (in->flags & INSN_LOCK) != 0;
    switch (mn) {
    case ZYDIS_MNEMONIC_MOV:
        if (k[0] == 's' || k[1] == 's' || k[0] == 'c' || k[1] == 'c' || k[0] == 'd' || k[1] == 'd')
            return NULL;
        return locked ? op_ud : select_mov(d, in);
    case ZYDIS_MNEMONIC_LEA:
        return locked || k[1] != 'm' ? op_ud : op_lea;
    case ZYDIS_MNEMONIC_MOVZX:
    case ZYDIS_MNEMONIC_MOVSX:
    case ZYDIS_MNEMONIC_MOVSXD:
        if (locked)
            return op_ud;
        in->sub = (uint8_t)(d->op[1].size / 8);
        return mn == ZYDIS_MNEMONIC_MOVZX ? op_movzx : op_movsx;
    case ZYDIS_MNEMONIC_XCHG:
        if (k[0] == 'r' && k[1] == 'r')
            return locked ? op_ud : op_xchg_r_r;
        in->sub = k[0] == 'r' ? 0 : 1;
        return op_xchg_m_r;
    case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVL:
    case ZYDIS_MNEMONIC_CMOVLE: case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE:
    case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVNLE: case ZYDIS_MNEMONIC_CMOVNO:
    case ZYDIS_MNEMONIC_CMOVNP: case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVNZ:
    case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVS:
    case ZYDIS_MNEMONIC_CMOVZ:
        in->sub = d->zi->opcode & 0xf;     /* 0F 40+cc */
        return locked ? op_ud : op_cmovcc;
    case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETL:
    case ZYDIS_MNEMONIC_SETLE: case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETNBE:
    case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_SETNLE: case ZYDIS_MNEMONIC_SETNO:
    case ZYDIS_MNEMONIC_SETNP: case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETNZ:
    case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETS:
    case ZYDIS_MNEMONIC_SETZ:
        in->sub = d->zi->opcode & 0xf;     /* 0F 90+cc */
        return locked ? op_ud : op_setcc;
    case ZYDIS_MNEMONIC_BSWAP:
        return locked ? op_ud : op_bswap;
    case ZYDIS_MNEMONIC_MOVBE:
        if (locked)
            return op_ud;
        if (k[0] == 'r' && k[1] == 'm') return op_movbe_r_m;
        if (k[0] == 'm' && k[1] == 'r') return op_movbe_m_r;
        return op_ud;
    case ZYDIS_MNEMONIC_CBW:
    case ZYDIS_MNEMONIC_CWDE:
    case ZYDIS_MNEMONIC_CDQE:
        return locked ? op_ud : op_cbw;
    case ZYDIS_MNEMONIC_CWD:
    case ZYDIS_MNEMONIC_CDQ:
    case ZYDIS_MNEMONIC_CQO:
        return locked ? op_ud : op_cwd;
    case ZYDIS_MNEMONIC_XLAT:
        /* The memory operand is hidden: take its segment (override) from Zydis. */
        in->seg = (uint8_t)decode_sreg(d->op[0].mem.segment);
        if (in->seg == SEG_NONE)
            in->seg = SEG_DS;
        return locked ? op_ud : op_xlat;
    default:
        return NULL;
    }
}

InsnForm mov_form(InsnFn fn)
{
    return fn == op_mov_r_r ? FORM_MOV_RR
         : fn == op_mov_r_i ? FORM_MOV_RI
         : fn == op_mov_r_m ? FORM_MOV_RM
         : fn == op_mov_m_r ? FORM_MOV_MR
         : fn == op_mov_m_i ? FORM_MOV_MI
         : fn == op_mov_r_moffs ? FORM_MOV_R_MOFFS
         : fn == op_mov_moffs_r ? FORM_MOV_MOFFS_R
         : fn == op_movzx ? FORM_MOVZX
         : fn == op_movsx ? FORM_MOVSX
         : fn == op_lea ? FORM_LEA
         : fn == op_cmovcc ? FORM_CMOVCC
         : fn == op_setcc ? FORM_SETCC
         : FORM_NONE;
}
