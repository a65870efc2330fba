/*
 * stack.c — stack instructions (SDM vol. 2: PUSH, POP, PUSHA/PUSHAD, POPA/POPAD, ENTER, LEAVE,
 * PUSHF/PUSHFD/PUSHFQ, POPF/POPFD/POPFQ; vol. 1, 6.2-6.5).  PUSH/POP Sreg are in segment.c.
 *
 * Widths: the operand size (osz: 2, 4 or 8; 64-bit mode defaults to 8 and cannot encode 4) is the
 * size of each slot; the stack-address size (SS.B, or 64 bits in 64-bit mode) is the width of
 * rSP that is used and updated (cpu_stack_size()).  No flag is changed except by POPF.
 *
 *   PUSH r/m/imm: the value is read first (PUSH rSP pushes the value before the push, PUSH [rSP]
 *       uses rSP before the push); imm8 is sign-extended to osz.
 *   POP r: rSP is incremented, then the register written (POP rSP leaves the popped value).
 *   POP m: the destination's address is computed with rSP already incremented (SDM POP), but rSP
 *       is committed only after the store succeeded.
 *   PUSHA: AX CX DX BX (SP before) BP SI DI; POPA pops them back, discarding the SP slot.
 *   ENTER size, level: push rBP; FrameTemp = rSP; for level > 1 copy level-1 frame pointers
 *       from [SS:rBP - i*osz] (rBP decremented at stack-address size); push FrameTemp when level
 *       > 0; rBP = FrameTemp; rSP -= size.  Level is taken mod 32.  FrameTemp keeps the bits of
 *       ESP above a 16-bit stack pointer; rBP is written at the smaller of operand size and
 *       stack size, so on a 16-bit stack only BP changes, also with a 32-bit operand (as QEMU
 *       and Bochs do).  A write of osz bytes at the final rSP must be possible: #SS(0) when
 *       it leaves the segment, #PF when the page is not writable at the CPL (SDM ENTER
 *       "Protected Mode Exceptions").  Pages strictly inside the allocated space are not
 *       checked, as on hardware.
 *   LEAVE: rSP = rBP (stack-address size); rBP = pop (osz).
 *   PUSHF: EFLAGS with VM and RF cleared in the image (16-bit: low word).
 *   POPF (SDM POPF pseudo-code), bits the pop may change:
 *       CPL 0 (and real mode):  all of CF PF AF ZF SF TF IF DF OF IOPL NT AC ID;
 *       CPL > 0:                as above without IOPL, and without IF when CPL > IOPL;
 *       virtual-8086, IOPL = 3: as CPL 0 without IOPL;  IOPL < 3: #GP(0) (PUSHF too);
 *       16-bit operand size: only bits 0..15 of that set.
 *       VM, VIF, VIP are never changed; RF is cleared by the 32/64-bit forms.
 *   POPF ends the block: IF and TF may change.
 * XXX: CR4.VME (virtual interrupt flags) is not supported; it stays 0, so v86 PUSHF/POPF with
 * IOPL < 3 always fault to the monitor.
 * Faults: every read and the destination write happen before rSP and registers are committed.
 * PUSHA and ENTER are all-or-nothing: every slot (and ENTER's final rSP) is checked for the
 * segment, then for paging at the CPL (cpu_lin, lin_probe_write), before the first store, so a
 * fault leaves memory and registers unchanged.
 */
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/forms.h"

static int op_push_r(Cpu *cpu, const Insn *in)
{
    cpu_push(cpu, in->osz, reg_read(cpu, in->r[0], in->osz));
    return INSN_NEXT;
}

static int op_push_m(Cpu *cpu, const Insn *in)
{
    cpu_push(cpu, in->osz, cpu_read(cpu, in->seg, insn_ea(cpu, in), in->osz));
    return INSN_NEXT;
}

static int op_push_i(Cpu *cpu, const Insn *in)
{
    cpu_push(cpu, in->osz, in->imm & size_mask(in->osz));
    return INSN_NEXT;
}

static int op_pop_r(Cpu *cpu, const Insn *in)
{
    uint64_t v = stack_read_at(cpu, cpu->gpr[R_SP], in->osz);
    sp_set(cpu, cpu->gpr[R_SP] + in->osz);
    reg_write(cpu, in->r[0], in->osz, v);
    return INSN_NEXT;
}

static int op_pop_m(Cpu *cpu, const Insn *in)
{
    uint64_t old = cpu->gpr[R_SP];
    uint64_t v = stack_read_at(cpu, old, in->osz);
    sp_set(cpu, old + in->osz);
    uint64_t newsp = cpu->gpr[R_SP];
    uint64_t ea = insn_ea(cpu, in);      /* with the incremented rSP */
    cpu->gpr[R_SP] = old;                /* not committed until the store succeeds */
    cpu_write(cpu, in->seg, ea, in->osz, v);
    cpu->gpr[R_SP] = newsp;
    return INSN_NEXT;
}

/* PUSHA / PUSHAD: slot r (register r, AX first) lies at rSP - (r + 1) * osz, each offset wrapped
 * at the stack-address size.  All eight are checked before the first is written. */
static int op_pusha(Cpu *cpu, const Insn *in)
{
    int osz = in->osz;
    uint64_t smask = stack_mask(cpu);
    uint64_t sp = cpu->gpr[R_SP];
    uint64_t lin[8];
    for (int r = R_AX; r <= R_DI; r++)
        lin[r] = cpu_lin(cpu, SEG_SS, (sp - (uint64_t)(r + 1) * osz) & smask, osz, ACC_WRITE);
    for (int r = R_AX; r <= R_DI; r++)
        lin_probe_write(cpu, lin[r], osz, cpu_user(cpu));
    for (int r = R_AX; r <= R_DI; r++)
        cpu_write_lin(cpu, lin[r], osz, reg_read(cpu, r, osz));   /* the SP slot: rSP before */
    sp_set(cpu, sp - 8 * (uint64_t)osz);
    return INSN_NEXT;
}

/* POPA / POPAD */
static int op_popa(Cpu *cpu, const Insn *in)
{
    uint64_t sp = cpu->gpr[R_SP];
    uint64_t v[8];
    for (int r = R_DI; r >= R_AX; r--) {
        v[r] = stack_read_at(cpu, sp, in->osz);
        sp += in->osz;
    }
    for (int r = R_AX; r <= R_DI; r++)
        if (r != R_SP)
            reg_write(cpu, r, in->osz, v[r]);
    sp_set(cpu, sp);
    return INSN_NEXT;
}

/* ENTER imm16, imm8: imm = frame size, imm2 = nesting level.  Slot i (0: rBP, 1..level-1: the
 * copied frame pointers, level: FrameTemp) lies at rSP - (i + 1) * osz. */
static int op_enter(Cpu *cpu, const Insn *in)
{
    int osz = in->osz, ssz = cpu_stack_size(cpu);
    uint64_t smask = size_mask(ssz);
    unsigned level = in->imm2 & 31;
    unsigned slots = level ? level + 1 : 1;
    uint64_t sp = cpu->gpr[R_SP];
    /* FrameTemp is rSP after the push of rBP; bits above the stack width are kept (ESP with a
     * 32-bit operand on a 16-bit stack). */
    uint64_t frame = (sp & ~smask) | ((sp - osz) & smask);
    uint64_t final = (sp - (uint64_t)slots * osz - (in->imm & 0xffff)) & smask;
    uint64_t lin[32], rlin[32];
    for (unsigned i = 0; i < slots; i++)
        lin[i] = cpu_lin(cpu, SEG_SS, (sp - (uint64_t)(i + 1) * osz) & smask, osz, ACC_WRITE);
    uint64_t final_lin = cpu_lin(cpu, SEG_SS, final, osz, ACC_WRITE);
    int user = cpu_user(cpu);
    /* The enclosing frame pointers are checked for reading, and every slot and the final rSP for
     * writing, before anything is written. */
    uint64_t bp = cpu->gpr[R_BP];
    for (unsigned i = 1; i < level; i++) {
        bp = (bp - osz) & smask;
        rlin[i] = cpu_lin(cpu, SEG_SS, bp, osz, ACC_READ);
        tlb_probe(cpu, rlin[i], osz, ACC_READ, user);
    }
    for (unsigned i = 0; i < slots; i++)
        lin_probe_write(cpu, lin[i], osz, user);
    lin_probe_write(cpu, final_lin, osz, user);
    /* Then in the SDM's order: each frame pointer is read right before it is pushed, so one whose
     * source lies in the part of the new frame already written reads what was written there, as
     * the processor does (the native diff checks this). */
    cpu_write_lin(cpu, lin[0], osz, reg_read(cpu, R_BP, osz));
    for (unsigned i = 1; i < level; i++)
        cpu_write_lin(cpu, lin[i], osz, lin_read(cpu, rlin[i], osz, user));
    if (level)
        cpu_write_lin(cpu, lin[level], osz, frame);
    /* rBP gets FrameTemp at the smaller of operand and stack size: only BP on a 16-bit stack. */
    reg_write(cpu, R_BP, osz < ssz ? osz : ssz, frame);
    sp_set(cpu, final);
    return INSN_NEXT;
}

static int op_leave(Cpu *cpu, const Insn *in)
{
    uint64_t sp = cpu->gpr[R_BP] & stack_mask(cpu);
    uint64_t v = stack_read_at(cpu, sp, in->osz);
    sp_set(cpu, sp + in->osz);
    reg_write(cpu, R_BP, in->osz, v);
    return INSN_NEXT;
}

/* Virtual-8086 mode without VME: PUSHF/POPF are IOPL-sensitive. */
static inline void stack_check_v86_iopl(Cpu *cpu)
{
    if (cpu_vm86(cpu) && cpu_iopl(cpu) < 3)
        cpu_raise(cpu, EXC_GP, 0);
}

static int op_pushf(Cpu *cpu, const Insn *in)
{
    stack_check_v86_iopl(cpu);
    uint64_t fl = cpu_get_eflags(cpu) & ~(uint64_t)(FL_VM | FL_RF);
    cpu_push(cpu, in->osz, fl & size_mask(in->osz));
    return INSN_NEXT;
}

#define FL_POPF_ALL (FL_ARITH | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT | FL_AC | FL_ID)

static int op_popf(Cpu *cpu, const Insn *in)
{
    stack_check_v86_iopl(cpu);
    uint32_t v = (uint32_t)stack_read_at(cpu, cpu->gpr[R_SP], in->osz);
    uint32_t mask = FL_POPF_ALL;
    if (cpu_vm86(cpu)) {
        mask &= ~FL_IOPL;
    } else if (cpu_protected(cpu) && cpu->cpl > 0) {
        mask &= ~FL_IOPL;
        if (cpu->cpl > cpu_iopl(cpu))
            mask &= ~FL_IF;
    }
    uint32_t fl = cpu_get_eflags(cpu);
    if (in->osz == 2)
        mask &= 0xffff;
    else
        fl &= ~FL_RF;
    sp_set(cpu, cpu->gpr[R_SP] + in->osz);
    cpu_set_eflags(cpu, (fl & ~mask) | (v & mask));
    return INSN_END;
}

/* PUSH/POP of a general register, memory or immediate (Sreg forms are segment.c's). */
static InsnFn select_push_pop(DecodeCtx *d, bool push)
{
    switch (d->kind[0]) {
    case 'r': return push ? op_push_r : op_pop_r;
    case 'm': return push ? op_push_m : op_pop_m;
    case 'i': return push ? op_push_i : NULL;
    default: return NULL;
    }
}

InsnFn stack_select(DecodeCtx *d, Insn *in)
{
    InsnFn fn;
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_PUSH:
        fn = select_push_pop(d, true);
        break;
    case ZYDIS_MNEMONIC_POP:
        fn = select_push_pop(d, false);
        break;
    case ZYDIS_MNEMONIC_PUSHA:
    case ZYDIS_MNEMONIC_PUSHAD:
        fn = op_pusha;
        break;
    case ZYDIS_MNEMONIC_POPA:
    case ZYDIS_MNEMONIC_POPAD:
        fn = op_popa;
        break;
    case ZYDIS_MNEMONIC_ENTER:
        fn = op_enter;
        break;
    case ZYDIS_MNEMONIC_LEAVE:
        fn = op_leave;
        break;
    case ZYDIS_MNEMONIC_PUSHF:
    case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHFQ:
        fn = op_pushf;
        break;
    case ZYDIS_MNEMONIC_POPF:
    case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPFQ:
        d->end_block = true;
        fn = op_popf;
        break;
    default:
        return NULL;
    }
    if (fn && (in->flags & INSN_LOCK))
        return op_ud;
    return fn;
}

InsnForm stack_form(InsnFn fn)
{
    return fn == op_push_r ? FORM_PUSH_R : fn == op_pop_r ? FORM_POP_R : FORM_NONE;
}
