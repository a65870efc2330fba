/*
 * portio.c — IN and OUT (SDM vol. 2, IN/OUT; vol. 1, 19.5 "I/O permission bit map").
 *
 * In protected mode with CPL > IOPL, and always in virtual-8086 mode, every port of the access
 * must have a clear bit in the TSS I/O permission bitmap: the TSS must be a 32/64-bit TSS (type 9
 * or 11), the bitmap starts at the 16-bit offset stored at TSS+0x66, and the two bytes covering the
 * port are read (both must lie within the TSS limit), else #GP(0).
 *
 * INS/OUTS (SDM vol. 2, INS/INSB/INSW/INSD, OUTS/OUTSB/OUTSW/OUTSD; vol. 1, 7.3.9.1 REP):
 *   INS:  ES:[rDI] := IN(DX), rDI +/-= size (DF).  ES cannot be overridden.
 *   OUTS: OUT(DX, seg:[rSI]), rSI +/-= size; seg is DS unless overridden.
 *   rSI/rDI/rCX are used at the address size (16/32/64 bits; a 16-bit update keeps the upper
 *   bits, a 32-bit one zero-extends).  REP (F3, and F2, which these instructions treat alike)
 *   repeats while rCX != 0, decrementing rCX after each element; with rCX = 0 nothing happens.
 *   The I/O permission check comes first; INS checks its destination before the port read so a
 *   fault does not lose the device's data.  A repeated instruction stops after IO_STR_CHUNK
 *   elements (one under TF) and runs again (RIP unchanged, RF = 1: strop.h), so interrupts, single
 *   step and the instruction budget are served between chunks, as the SDM allows for REP string
 *   instructions.
 */
#include "cpu/decode.h"
#include "cpu/portio.h"
#include "cpu/strop.h"

#define IO_STR_CHUNK 1024

void io_check_permission(Cpu *cpu, uint16_t port, int size)
{
    if (!cpu_protected(cpu) || (!cpu_vm86(cpu) && cpu->cpl <= cpu_iopl(cpu)))
        return;
    const SegCache *tr = &cpu->tr;
    int type = tr->attr & 0xf;
    if ((type != 9 && type != 11) || tr->limit < 0x67)
        cpu_raise(cpu, EXC_GP, 0);
    uint32_t map = (uint32_t)cpu_sys_read(cpu, tr->base + 0x66, 2);
    uint32_t off = map + port / 8;
    if (off + 1 > tr->limit)
        cpu_raise(cpu, EXC_GP, 0);
    uint32_t bits = (uint32_t)cpu_sys_read(cpu, tr->base + off, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask)
        cpu_raise(cpu, EXC_GP, 0);
}

static uint16_t port_of(const Cpu *cpu, const Insn *in, int n)
{
    return in->r[n] != REG_NONE ? (uint16_t)cpu->gpr[R_DX] : (uint16_t)in->imm;
}

/* IN AL/AX/EAX, imm8 | DX */
static int op_in(Cpu *cpu, const Insn *in)
{
    uint16_t port = port_of(cpu, in, 1);
    io_check_permission(cpu, port, in->osz);
    uint32_t v = cpu->bus->io_in(cpu->bus_opaque, port, in->osz);
    reg_write(cpu, R_AX, in->osz, v);
    return INSN_END;
}

/* OUT imm8 | DX, AL/AX/EAX */
static int op_out(Cpu *cpu, const Insn *in)
{
    uint16_t port = port_of(cpu, in, 0);
    io_check_permission(cpu, port, in->osz);
    cpu->bus->io_out(cpu->bus_opaque, port, in->osz, (uint32_t)reg_read(cpu, R_AX, in->osz));
    return INSN_END;
}

/* rSI/rDI/rCX at the address size. */
static uint64_t str_reg(const Cpu *cpu, const Insn *in, int r)
{
    return reg_read(cpu, r, in->asz);
}

static void str_reg_set(Cpu *cpu, const Insn *in, int r, uint64_t v)
{
    reg_write(cpu, r, in->asz, v);
}

/* Ends a string I/O instruction: INSN_END when done, else run it again for the rest. */
static int str_done(Cpu *cpu, const Insn *in)
{
    return string_rep(in) && str_reg(cpu, in, R_CX) != 0 ? string_resume(cpu) : INSN_END;
}

/* INSB/INSW/INSD */
static int op_ins(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    bool rep = string_rep(in);
    if (rep && str_reg(cpu, in, R_CX) == 0)
        return INSN_END;
    uint16_t port = (uint16_t)cpu->gpr[R_DX];
    io_check_permission(cpu, port, size);
    for (unsigned i = 0; i < string_chunk(cpu, IO_STR_CHUNK); i++) {
        uint64_t di = str_reg(cpu, in, R_DI);
        uint64_t lin = cpu_probe_write(cpu, SEG_ES, di, size);
        uint32_t v = cpu->bus->io_in(cpu->bus_opaque, port, size);
        cpu_write_lin(cpu, lin, size, v);
        str_reg_set(cpu, in, R_DI, di + string_delta(cpu, in));
        if (!rep)
            break;
        uint64_t cx = str_reg(cpu, in, R_CX) - 1;
        str_reg_set(cpu, in, R_CX, cx);
        if (cx == 0 || cpu->exit_block)   /* (exit_block: a data breakpoint was hit) */
            break;
    }
    return str_done(cpu, in);
}

/* OUTSB/OUTSW/OUTSD */
static int op_outs(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    bool rep = string_rep(in);
    if (rep && str_reg(cpu, in, R_CX) == 0)
        return INSN_END;
    uint16_t port = (uint16_t)cpu->gpr[R_DX];
    io_check_permission(cpu, port, size);
    for (unsigned i = 0; i < string_chunk(cpu, IO_STR_CHUNK); i++) {
        uint64_t si = str_reg(cpu, in, R_SI);
        uint32_t v = (uint32_t)cpu_read(cpu, in->seg, si, size);
        cpu->bus->io_out(cpu->bus_opaque, port, size, v);
        str_reg_set(cpu, in, R_SI, si + string_delta(cpu, in));
        if (!rep)
            break;
        uint64_t cx = str_reg(cpu, in, R_CX) - 1;
        str_reg_set(cpu, in, R_CX, cx);
        if (cx == 0 || cpu->exit_block)   /* (exit_block: a data breakpoint was hit) */
            break;
    }
    return str_done(cpu, in);
}

/* Element size from the mnemonic; segment of the (hidden) memory operand. */
static InsnFn select_string_io(DecodeCtx *d, Insn *in, int size, InsnFn fn)
{
    in->osz = (uint8_t)size;
    for (int i = 0; i < d->zi->operand_count; i++) {
        if (d->op[i].type == ZYDIS_OPERAND_TYPE_MEMORY) {
            int s = decode_sreg(d->op[i].mem.segment);
            in->seg = (uint8_t)(s == SEG_NONE ? SEG_DS : s);
        }
    }
    d->end_block = true;
    return fn;
}

InsnFn io_select(DecodeCtx *d, Insn *in)
{
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_INSB: return select_string_io(d, in, 1, op_ins);
    case ZYDIS_MNEMONIC_INSW: return select_string_io(d, in, 2, op_ins);
    case ZYDIS_MNEMONIC_INSD: return select_string_io(d, in, 4, op_ins);
    case ZYDIS_MNEMONIC_OUTSB: return select_string_io(d, in, 1, op_outs);
    case ZYDIS_MNEMONIC_OUTSW: return select_string_io(d, in, 2, op_outs);
    case ZYDIS_MNEMONIC_OUTSD: return select_string_io(d, in, 4, op_outs);
    case ZYDIS_MNEMONIC_IN:
        in->osz = (uint8_t)(d->op[0].size / 8);
        in->r[1] = d->kind[1] == 'r' ? R_DX : REG_NONE;
        d->end_block = true;
        return op_in;
    case ZYDIS_MNEMONIC_OUT:
        in->osz = (uint8_t)(d->op[1].size / 8);
        in->r[0] = d->kind[0] == 'r' ? R_DX : REG_NONE;
        d->end_block = true;
        return op_out;
    default:
        return NULL;
    }
}
