/*
 * misc.c — NOPs, fences, hints and atomic exchanges (SDM vol. 2: NOP, PAUSE, LFENCE, SFENCE,
 * MFENCE, PREFETCHh, PREFETCHW, ENDBR32/64, CMPXCHG, CMPXCHG8B/CMPXCHG16B, XADD, UD0/UD1/UD2).
 *
 * Architectural no-ops here (one CPU, in-order, no caches modelled): NOP in every form (90, the
 * multi-byte 0F 1F /0 — its memory operand is never accessed — and the reserved hint NOPs
 * 0F 18-1E that decode as NOP), PAUSE, the fences, the prefetches, ENDBR32/64 (CET is not
 * enabled), CLDEMOTE, and the MPX instructions (BNDxx), which are NOPs on a CPU without MPX as
 * ours reports.
 *
 *   CMPXCHG r/m, r:  compare the accumulator (AL/AX/EAX/RAX) with the destination, flags as
 *       CMP accumulator, destination.  Equal: destination := source.  Not equal: accumulator :=
 *       destination; a memory destination is written back with its own value (the locked
 *       read-modify-write always writes), a register destination is left alone (so its upper
 *       half survives in 64-bit mode), while a 32-bit accumulator write zero-extends.
 *   CMPXCHG8B m64 / CMPXCHG16B m128: compare EDX:EAX (RDX:RAX) with the memory; equal: ZF := 1,
 *       memory := ECX:EBX (RCX:RBX); else ZF := 0, EDX:EAX := memory (memory written back).
 *       Only ZF changes.  CMPXCHG16B needs a 16-byte aligned linear address: #GP(0).
 *   XADD r/m, r:  temp := dest + src; src := dest; dest := temp; flags as ADD.
 *   UD0/UD1/UD2: #UD.
 *   WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; otherwise it takes a pending unmasked
 *       x87 exception (#MF with CR0.NE, see cpu/x87.c).
 *   BOUND r, m (not in 64-bit mode, where 62 is EVEX): lower := [m], upper := [m + osz], both
 *       signed; index < lower or index > upper -> #BR (a fault, no error code).
 * LOCK is accepted on the memory forms of CMPXCHG, CMPXCHG8B/16B and XADD (all accesses are
 * atomic anyway: one CPU); anywhere else in this family it is #UD.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"
#include "cpu/x87.h"

static int op_nop(Cpu *cpu, const Insn *in)
{
    (void)cpu;
    (void)in;
    return INSN_NEXT;
}

static int op_wait(Cpu *cpu, const Insn *in)
{
    (void)in;
    if ((cpu->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        cpu_raise(cpu, EXC_NM, EXC_NO_ERR);
    x87_check_pending(cpu);
    return INSN_NEXT;
}

/* CMPXCHG Ev, Gv: destination operand 0, source operand 1 */
static int op_cmpxchg(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    uint64_t lin = 0;
    bool mem = in->r[0] == REG_NONE;
    uint64_t dst = mem ? cpu_read_rmw(cpu, in->seg, insn_ea(cpu, in), size, &lin)
                       : reg_read(cpu, in->r[0], size);
    uint64_t src = reg_read(cpu, in->r[1], size);
    uint64_t acc = reg_read(cpu, R_AX, size);
    if (acc == dst) {
        if (mem)
            cpu_write_lin(cpu, lin, size, src);
        else
            reg_write(cpu, in->r[0], size, src);
    } else {
        if (mem)
            cpu_write_lin(cpu, lin, size, dst);
        reg_write(cpu, R_AX, size, dst);
    }
    cc_set(cpu, CC_OP_SUB, size, (acc - dst) & size_mask(size), dst);
    return INSN_NEXT;
}

/* CMPXCHG8B (osz 4) / CMPXCHG16B (osz 8): halves of osz bytes each */
static int op_cmpxchg_double(Cpu *cpu, const Insn *in)
{
    int half = in->osz;
    uint64_t ea = insn_ea(cpu, in);
    uint64_t lin_lo, lin_hi;
    if (half == 8 && (cpu_lin(cpu, in->seg, ea, 16, ACC_WRITE) & 15))
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t lo, hi;
    if (half == 4) {
        uint64_t v = cpu_read_rmw(cpu, in->seg, ea, 8, &lin_lo);
        lo = (uint32_t)v;
        hi = v >> 32;
        lin_hi = 0;
    } else {
        lo = cpu_read_rmw(cpu, in->seg, ea, 8, &lin_lo);
        hi = cpu_read_rmw(cpu, in->seg, (ea + 8) & size_mask(in->asz), 8, &lin_hi);
    }
    bool eq = lo == reg_read(cpu, R_AX, half) && hi == reg_read(cpu, R_DX, half);
    uint64_t new_lo = eq ? reg_read(cpu, R_BX, half) : lo;
    uint64_t new_hi = eq ? reg_read(cpu, R_CX, half) : hi;
    if (half == 4) {
        cpu_write_lin(cpu, lin_lo, 8, new_lo | (new_hi << 32));
    } else {
        cpu_write_lin(cpu, lin_lo, 8, new_lo);
        cpu_write_lin(cpu, lin_hi, 8, new_hi);
    }
    if (!eq) {
        reg_write(cpu, R_AX, half, lo);
        reg_write(cpu, R_DX, half, hi);
    }
    cc_materialize(cpu);
    cpu->eflags = eq ? cpu->eflags | FL_ZF : cpu->eflags & ~FL_ZF;
    return INSN_NEXT;
}

/* XADD Ev, Gv */
static int op_xadd(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    uint64_t lin = 0;
    bool mem = in->r[0] == REG_NONE;
    uint64_t dst = mem ? cpu_read_rmw(cpu, in->seg, insn_ea(cpu, in), size, &lin)
                       : reg_read(cpu, in->r[0], size);
    uint64_t src = reg_read(cpu, in->r[1], size);
    uint64_t sum = (dst + src) & size_mask(size);
    if (mem)
        cpu_write_lin(cpu, lin, size, sum);
    reg_write(cpu, in->r[1], size, dst);
    if (!mem)
        reg_write(cpu, in->r[0], size, sum);
    cc_set(cpu, CC_OP_ADD, size, sum, src);
    return INSN_NEXT;
}

/* BOUND r16, m16&16 | r32, m32&32 */
static int op_bound(Cpu *cpu, const Insn *in)
{
    int size = in->osz;
    uint64_t ea = insn_ea(cpu, in);
    int64_t lower = sign_extend(cpu_read(cpu, in->seg, ea, size), size);
    int64_t upper = sign_extend(cpu_read(cpu, in->seg, (ea + size) & size_mask(in->asz), size), size);
    int64_t index = sign_extend(reg_read(cpu, in->r[0], size), size);
    if (index < lower || index > upper)
        cpu_raise(cpu, EXC_BR, EXC_NO_ERR);
    return INSN_NEXT;
}

InsnFn misc_select(DecodeCtx *d, Insn *in)
{
    bool locked = (in->flags & INSN_LOCK) != 0;
    bool mem = d->kind[0] == 'm';
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_FWAIT:
        return locked ? op_ud : op_wait;
    case ZYDIS_MNEMONIC_NOP:
    case ZYDIS_MNEMONIC_PAUSE:
    case ZYDIS_MNEMONIC_LFENCE:
    case ZYDIS_MNEMONIC_SFENCE:
    case ZYDIS_MNEMONIC_MFENCE:
    case ZYDIS_MNEMONIC_PREFETCHNTA:
    case ZYDIS_MNEMONIC_PREFETCHT0:
    case ZYDIS_MNEMONIC_PREFETCHT1:
    case ZYDIS_MNEMONIC_PREFETCHT2:
    case ZYDIS_MNEMONIC_PREFETCH:
    case ZYDIS_MNEMONIC_PREFETCHW:
    case ZYDIS_MNEMONIC_ENDBR32:
    case ZYDIS_MNEMONIC_ENDBR64:
    case ZYDIS_MNEMONIC_CLDEMOTE:
    case ZYDIS_MNEMONIC_BNDCL:
    case ZYDIS_MNEMONIC_BNDCN:
    case ZYDIS_MNEMONIC_BNDCU:
    case ZYDIS_MNEMONIC_BNDLDX:
    case ZYDIS_MNEMONIC_BNDMK:
    case ZYDIS_MNEMONIC_BNDMOV:
    case ZYDIS_MNEMONIC_BNDSTX:
        return locked ? op_ud : op_nop;
    case ZYDIS_MNEMONIC_CMPXCHG:
        return locked && !mem ? op_ud : op_cmpxchg;
    case ZYDIS_MNEMONIC_CMPXCHG8B:
    case ZYDIS_MNEMONIC_CMPXCHG16B:
        if (!mem)
            return op_ud;
        in->osz = d->zi->mnemonic == ZYDIS_MNEMONIC_CMPXCHG16B ? 8 : 4;
        return op_cmpxchg_double;
    case ZYDIS_MNEMONIC_XADD:
        return locked && !mem ? op_ud : op_xadd;
    case ZYDIS_MNEMONIC_BOUND:
        return locked || d->kind[1] != 'm' ? op_ud : op_bound;
    case ZYDIS_MNEMONIC_UD0:
    case ZYDIS_MNEMONIC_UD1:
    case ZYDIS_MNEMONIC_UD2:
        return op_ud;
    default:
        return NULL;
    }
}

InsnForm misc_form(InsnFn fn)
{
    return fn == op_nop ? FORM_NOP : FORM_NONE;
}
