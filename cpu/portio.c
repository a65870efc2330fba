/*
 * portio.c — IN and OUT (SDM vol. 2, IN/OUT; vol. 1, 19.5 "I/O permission bit map").
 *
 * In protected mode with CPL > IOPL, and always in virtual-8086 mode, every port of the access
 * must have a clear bit in the TSS I/O permission bitmap: the TSS must be a 32/64-bit TSS (type 9
 * or 11), the bitmap starts at the 16-bit offset stored at TSS+0x66, and the two bytes covering the
 * port are read (both must lie within the TSS limit), else #GP(0).
 */
#include "cpu/decode.h"
#include "cpu/portio.h"

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

InsnFn io_select(DecodeCtx *d, Insn *in)
{
    switch (d->zi->mnemonic) {
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
