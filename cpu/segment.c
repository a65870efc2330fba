/*
 * segment.c — segment register instructions (SDM vol. 2: MOV (8C, 8E), PUSH/POP Sreg, LDS, LES,
 * LFS, LGS, LSS).
 *
 * MOV Sreg, r/m16 and POP Sreg load through seg_load() (seg.c), which applies the protected-mode
 * checks; MOV to CS is #UD.  Loading SS (MOV or POP) inhibits interrupts and single-step traps
 * until after the next instruction (SDM vol. 3, 6.8.3), so those end the block and set
 * cpu->inhibit_irq and cpu->inhibit_db.  LSS does not.
 * MOV r/m, Sreg stores 16 bits to memory; to a register with 32/64-bit operand size the selector
 * is zero-extended (as on all processors since the Pentium Pro).
 * PUSH Sreg with a 32/64-bit operand size moves the stack pointer by 4/8 but writes only the low
 * 16 bits (what current Intel processors do; the upper bytes of the slot keep their old value).
 * POP Sreg reads the slot, loads the segment (which may fault), then moves the stack pointer.
 * LxS r, m16:16/32/64 reads the offset (operand size) then the selector that follows it, loads
 * the segment, then writes the register.
 */
#include "cpu/decode.h"
#include "cpu/seg.h"

static int op_mov_sreg_r(Cpu *cpu, const Insn *in)
{
    uint16_t sel = (uint16_t)op_read(cpu, in, 1, 2);
    seg_load(cpu, in->r[0], sel);
    if (in->r[0] == SEG_SS) {
        cpu->inhibit_irq = true;
        cpu->inhibit_db = true;
        return INSN_END;
    }
    return INSN_NEXT;
}

static int op_mov_r_sreg(Cpu *cpu, const Insn *in)
{
    uint16_t sel = cpu->seg[in->r[1]].sel;
    if (in->r[0] != REG_NONE)
        reg_write(cpu, in->r[0], in->osz == 2 ? 2 : in->osz == 8 ? 8 : 4, sel);
    else
        cpu_write(cpu, in->seg, insn_ea(cpu, in), 2, sel);
    return INSN_NEXT;
}

static int op_push_sreg(Cpu *cpu, const Insn *in)
{
    uint64_t sp = (cpu->gpr[R_SP] - in->osz) & stack_mask(cpu);
    cpu_write(cpu, SEG_SS, sp, 2, cpu->seg[in->r[0]].sel);
    sp_set(cpu, sp);
    return INSN_NEXT;
}

static int op_pop_sreg(Cpu *cpu, const Insn *in)
{
    int width = cpu_stack_size(cpu);
    uint16_t sel = (uint16_t)stack_read_at(cpu, cpu->gpr[R_SP], 2);
    uint64_t sp = (cpu->gpr[R_SP] + in->osz) & size_mask(width);
    seg_load(cpu, in->r[0], sel);
    reg_write(cpu, R_SP, width, sp);
    if (in->r[0] == SEG_SS) {
        cpu->inhibit_irq = true;
        cpu->inhibit_db = true;
        return INSN_END;
    }
    return INSN_NEXT;
}

/* in->sub: the segment register LDS/LES/LFS/LGS/LSS loads. */
static int op_lxs(Cpu *cpu, const Insn *in)
{
    uint64_t ea = insn_ea(cpu, in);
    uint64_t off = cpu_read(cpu, in->seg, ea, in->osz);
    uint16_t sel = (uint16_t)cpu_read(cpu, in->seg, (ea + in->osz) & size_mask(in->asz), 2);
    seg_load(cpu, in->sub, sel);
    reg_write(cpu, in->r[0], in->osz, off);
    return INSN_NEXT;
}

static InsnFn lxs(Insn *in, int seg)
{
    in->sub = (uint8_t)seg;
    return (in->flags & INSN_MEM) ? op_lxs : NULL;
}

InsnFn segment_select(DecodeCtx *d, Insn *in)
{
    const char *k = d->kind;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        if (k[0] == 's' && (k[1] == 'r' || k[1] == 'm')) {
            if (in->r[0] == SEG_CS)
                return op_ud;
            if (in->r[0] == SEG_SS)
                d->end_block = true;
            return op_mov_sreg_r;
        }
        if (k[1] == 's' && (k[0] == 'r' || k[0] == 'm'))
            return op_mov_r_sreg;
        return NULL;
    case ZYDIS_MNEMONIC_PUSH:
        return k[0] == 's' ? op_push_sreg : NULL;
    case ZYDIS_MNEMONIC_POP:
        if (k[0] != 's' || in->r[0] == SEG_CS)
            return NULL;
        if (in->r[0] == SEG_SS)
            d->end_block = true;
        return op_pop_sreg;
    case ZYDIS_MNEMONIC_LDS: return lxs(in, SEG_DS);
    case ZYDIS_MNEMONIC_LES: return lxs(in, SEG_ES);
    case ZYDIS_MNEMONIC_LFS: return lxs(in, SEG_FS);
    case ZYDIS_MNEMONIC_LGS: return lxs(in, SEG_GS);
    case ZYDIS_MNEMONIC_LSS: return lxs(in, SEG_SS);
    default:
        return NULL;
    }
}
