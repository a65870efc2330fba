/*
 * far.c — far control transfers and privilege changes (SDM vol. 2: JMP, CALL, RET, IRET, INT n/
 * INTO/INT3/INT1, SYSCALL, SYSRET, SYSENTER, SYSEXIT; vol. 3: 5.8 privilege-level checks when
 * transferring program control between code segments, 6.14 64-bit mode, 7.3 task switching).
 *
 * Real-address and virtual-8086 mode: CS = selector, base = selector << 4; only the CS limit is
 * checked (#GP(0)).  Protected mode, far JMP/CALL to a selector whose descriptor is
 *   a code segment       conforming: DPL <= CPL; non-conforming: RPL <= CPL and DPL = CPL,
 *                        else #GP(sel); not present #NP(sel); CPL unchanged.
 *   a call gate          gate DPL >= CPL and >= RPL else #GP(gate); not present #NP(gate); target
 *                        code: DPL <= CPL (JMP: non-conforming needs DPL = CPL) else #GP(target).
 *                        CALL to a more privileged non-conforming segment takes SS:ESP for the
 *                        new CPL from the TSS, pushes the old SS, ESP, `param count` parameters
 *                        copied from the old stack, then CS, EIP (gate-size entries).  IA-32e
 *                        mode: only 64-bit call gates (16 bytes), target must be 64-bit code,
 *                        the new SS is a null selector with RPL = new CPL and nothing is copied.
 *   a task gate or TSS   task switch (task.c); not in IA-32e mode.
 * RET far pops IP and CS (operand size), then to outer privilege (RPL > CPL) SS:SP, adds imm16
 * to both stack pointers, and nulls ES/DS/FS/GS not accessible at the new CPL.
 * IRET: real mode pops IP, CS, FLAGS; v86 mode needs IOPL = 3 (#GP(0); CR4.VME not modelled);
 * protected mode with NT = 1 returns to the back-link task; with the popped VM = 1 at CPL 0
 * returns to v86 mode (pops ESP, SS, ES, DS, FS, GS); otherwise like RET, and IRETQ in 64-bit
 * mode always pops SS:RSP.  Flags written by IRET/POPF: CF PF AF ZF SF TF DF OF NT always (and
 * RF AC ID with 32-bit operands); IF when CPL <= IOPL; IOPL, VIF, VIP only at CPL 0.
 * Offsets are checked against the new CS limit (#GP(0)) or for canonical form in 64-bit code.
 *
 * SYSCALL/SYSRET (SDM vol. 2): #UD when EFER.SCE = 0 or outside 64-bit mode (EFER.LMA = 1 and
 * CS.L = 1 are required on Intel; AMD also runs them in compatibility and legacy mode, and so
 * does QEMU).  SYSCALL saves RIP in RCX and RFLAGS in R11, clears the SFMASK bits and RF, loads
 * CS = STAR[47:32] (flat 64-bit, DPL 0), SS = CS + 8 and RIP = LSTAR.  SYSRET (CPL 0 only,
 * #GP(0)) loads CS = STAR[63:48] + 16 (REX.W, 64-bit, RIP = RCX which must be canonical) or
 * STAR[63:48] (32-bit compatibility mode, EIP = ECX), SS = STAR[63:48] + 8, RPL 3, RFLAGS = R11.
 * SYSENTER: #GP(0) in real mode or when IA32_SYSENTER_CS[15:2] = 0; CS = SYSENTER_CS (flat, DPL 0,
 * 64-bit in IA-32e mode), SS = CS + 8, RSP/RIP from the MSRs, VM/IF/RF cleared.  SYSEXIT (CPL 0):
 * CS = SYSENTER_CS + 16 (+32 with REX.W, 64-bit), SS = CS + 8, RPL 3, ESP = ECX, EIP = EDX.
 *
 * Every handler here reads and checks everything, pushes the new frame (memory below the old
 * stack pointers only), and commits registers last; it ends the block with INSN_JUMP.
 */
#include "cpu/decode.h"
#include "cpu/far.h"
#include "cpu/flags.h"

FarStack far_stack_new(const SegDesc *ss, uint64_t sp, int cpl, uint32_t err)
{
    FarStack st = { .user = cpl == 3, .err = err };
    if (!ss->d) {
        st.width = 8;      /* null SS: IA-32e inner stack, no limit checks */
    } else {
        seg_cache_from_desc(&st.ss, ss->sel, ss->d);
        st.width = (st.ss.attr & SEG_ATTR_DB) ? 4 : 2;
    }
    st.sp = sp & size_mask(st.width);
    return st;
}

static bool code_is64(const Cpu *cpu, uint64_t d)
{
    return cpu_long_mode(cpu) && desc_l(d) && !desc_db(d);
}

/* The new RIP must lie within the target code segment (or be canonical for 64-bit code). */
static void check_target(Cpu *cpu, const SegDesc *cs, uint64_t off)
{
    if (code_is64(cpu, cs->d)) {
        if (!canonical(off))
            cpu_raise(cpu, EXC_GP, 0);
        return;
    }
    SegCache c;
    seg_cache_from_desc(&c, cs->sel, cs->d);
    if (off > c.limit)
        cpu_raise(cpu, EXC_GP, 0);
}

static void read_code_desc(Cpu *cpu, uint16_t sel, SegDesc *sd)
{
    if ((sel & 0xfffc) == 0)
        cpu_raise(cpu, EXC_GP, 0);
    sd->sel = sel;
    sd->d = seg_read_desc(cpu, sel, EXC_GP, &sd->lin);
}

/* Stack pointer width of the segment a transfer loads (8 for a 64-bit target). */
static int new_sp_width(Cpu *cpu, const SegDesc *cs, const SegDesc *ss)
{
    if (code_is64(cpu, cs->d) || !ss->d)
        return 8;
    return desc_db(ss->d) ? 4 : 2;
}

static bool real_like(const Cpu *cpu)
{
    return !cpu_protected(cpu) || cpu_vm86(cpu);
}

/* Real-address / v86 far JMP or CALL (SDM JMP/CALL "real-address or virtual-8086 mode"). */
static int far_real(Cpu *cpu, const Insn *in, uint16_t sel, uint64_t off, bool call)
{
    off &= size_mask(in->osz);
    if (off > (cpu_vm86(cpu) ? 0xffff : cpu->seg[SEG_CS].limit))
        cpu_raise(cpu, EXC_GP, 0);
    FarStack st = far_stack_current(cpu);
    if (call) {
        far_push(cpu, &st, in->osz, cpu->seg[SEG_CS].sel);
        far_push(cpu, &st, in->osz, insn_next(cpu, in));
        far_set_sp(cpu, st.width, st.sp);
    }
    seg_set_real(cpu, SEG_CS, sel);
    cpu->rip = off;
    cpu_update_mode(cpu);
    return INSN_JUMP;
}

/* JMP/CALL through a call gate (SDM CALL "CALL-GATE", JMP "CALL-GATE"). */
static void far_gate(Cpu *cpu, const Insn *in, const SegDesc *gate, bool call)
{
    bool lm = cpu_long_mode(cpu);
    uint64_t g = gate->d;
    int gsize = lm ? 8 : (desc_type(g) & 8) ? 4 : 2;
    uint64_t off = gsize == 2 ? (g & 0xffff) : gate_off(g);
    if (lm) {
        uint64_t hi = seg_read_desc_hi(cpu, gate->sel, EXC_GP, 0);
        if ((hi >> 40) & 0x1f)
            cpu_raise(cpu, EXC_GP, gate->sel & 0xfffc);
        off |= (hi & 0xffffffffu) << 32;
    }
    SegDesc cs;
    read_code_desc(cpu, gate_sel(g), &cs);
    int dpl = desc_dpl(cs.d);
    if (!desc_code(cs.d) || dpl > cpu->cpl)
        cpu_raise(cpu, EXC_GP, cs.sel & 0xfffc);
    bool inner = !desc_conforming(cs.d) && dpl < cpu->cpl;
    if (!call && inner)
        cpu_raise(cpu, EXC_GP, cs.sel & 0xfffc);
    if (!desc_present(cs.d))
        cpu_raise(cpu, EXC_NP, cs.sel & 0xfffc);
    if (lm && !code_is64(cpu, cs.d))
        cpu_raise(cpu, EXC_GP, cs.sel & 0xfffc);
    check_target(cpu, &cs, off);
    uint64_t next = insn_next(cpu, in);
    seg_mark_accessed(cpu, &cs);

    if (!call) {
        seg_commit_cs(cpu, &cs, cpu->cpl);
        cpu->rip = off;
        return;
    }
    if (inner) {
        SegDesc ss = { (uint16_t)dpl, 0, 0 };
        FarStack st;
        if (lm) {
            st = far_stack_new(&ss, task_stack64(cpu, dpl, 0, 0), dpl, 0);
        } else {
            uint64_t sp;
            task_inner_stack(cpu, dpl, 0, &ss, &sp);
            st = far_stack_new(&ss, sp, dpl, ss.sel & 0xfffc);
        }
        far_push(cpu, &st, gsize, cpu->seg[SEG_SS].sel);
        far_push(cpu, &st, gsize, cpu->gpr[R_SP]);
        int params = lm ? 0 : (int)((g >> 32) & 0x1f);
        for (int i = params - 1; i >= 0; i--)
            far_push(cpu, &st, gsize, far_peek(cpu, (uint64_t)i * gsize, gsize));
        far_push(cpu, &st, gsize, cpu->seg[SEG_CS].sel);
        far_push(cpu, &st, gsize, next);
        seg_mark_accessed(cpu, &ss);
        seg_commit(cpu, SEG_SS, &ss);
        far_set_sp(cpu, st.width, st.sp);
        seg_commit_cs(cpu, &cs, dpl);
    } else {
        FarStack st = far_stack_current(cpu);
        if (lm)
            st.width = 8;
        far_push(cpu, &st, gsize, cpu->seg[SEG_CS].sel);
        far_push(cpu, &st, gsize, next);
        far_set_sp(cpu, st.width, st.sp);
        seg_commit_cs(cpu, &cs, cpu->cpl);
    }
    cpu->rip = off;
}

/* Protected-mode far JMP/CALL (SDM JMP/CALL "protected mode"). */
static int far_pm(Cpu *cpu, const Insn *in, uint16_t sel, uint64_t off, bool call)
{
    SegDesc t;
    read_code_desc(cpu, sel, &t);
    int dpl = desc_dpl(t.d), rpl = sel & 3, cpl = cpu->cpl;
    if (desc_s(t.d)) {
        if (!desc_code(t.d))
            cpu_raise(cpu, EXC_GP, sel & 0xfffc);
        if (desc_conforming(t.d) ? dpl > cpl : (rpl > cpl || dpl != cpl))
            cpu_raise(cpu, EXC_GP, sel & 0xfffc);
        if (!desc_present(t.d))
            cpu_raise(cpu, EXC_NP, sel & 0xfffc);
        if (cpu_long_mode(cpu) && desc_l(t.d) && desc_db(t.d))
            cpu_raise(cpu, EXC_GP, sel & 0xfffc);
        off &= size_mask(in->osz);
        check_target(cpu, &t, off);
        seg_mark_accessed(cpu, &t);
        if (call) {
            FarStack st = far_stack_current(cpu);
            far_push(cpu, &st, in->osz, cpu->seg[SEG_CS].sel);
            far_push(cpu, &st, in->osz, insn_next(cpu, in));
            far_set_sp(cpu, st.width, st.sp);
        }
        seg_commit_cs(cpu, &t, cpl);
        cpu->rip = off;
        return INSN_JUMP;
    }
    int type = desc_type(t.d);
    bool ok = cpu_long_mode(cpu) ? type == 0xc
                                 : (type == 4 || type == 0xc || type == 5 || type == 1 || type == 9);
    if (!ok || dpl < cpl || dpl < rpl)
        cpu_raise(cpu, EXC_GP, sel & 0xfffc);
    if (!desc_present(t.d))
        cpu_raise(cpu, EXC_NP, sel & 0xfffc);
    int src = call ? TASK_CALL : TASK_JMP;
    if (type == 1 || type == 9)
        task_switch(cpu, sel, src, insn_next(cpu, in), EXC_NO_ERR, 0);
    else if (type == 5)
        task_switch(cpu, gate_sel(t.d), src, insn_next(cpu, in), EXC_NO_ERR, 0);
    else
        far_gate(cpu, in, &t, call);
    return INSN_JUMP;
}

static int far_transfer(Cpu *cpu, const Insn *in, uint16_t sel, uint64_t off, bool call)
{
    if (real_like(cpu))
        return far_real(cpu, in, sel, off, call);
    return far_pm(cpu, in, sel, off, call);
}

/* JMP ptr16:16/32 (EA), CALL ptr16:16/32 (9A) */
static int op_jmp_far_ptr(Cpu *cpu, const Insn *in)
{
    return far_transfer(cpu, in, in->imm2, in->imm, false);
}

static int op_call_far_ptr(Cpu *cpu, const Insn *in)
{
    return far_transfer(cpu, in, in->imm2, in->imm, true);
}

/* JMP m16:16/32/64 (FF /5), CALL m16:16/32/64 (FF /3): offset first, then the selector. */
static void read_far_ptr(Cpu *cpu, const Insn *in, uint16_t *sel, uint64_t *off)
{
    uint64_t ea = insn_ea(cpu, in);
    *off = cpu_read(cpu, in->seg, ea, in->osz);
    *sel = (uint16_t)cpu_read(cpu, in->seg, (ea + in->osz) & size_mask(in->asz), 2);
}

static int op_jmp_far_m(Cpu *cpu, const Insn *in)
{
    uint16_t sel;
    uint64_t off;
    read_far_ptr(cpu, in, &sel, &off);
    return far_transfer(cpu, in, sel, off, false);
}

static int op_call_far_m(Cpu *cpu, const Insn *in)
{
    uint16_t sel;
    uint64_t off;
    read_far_ptr(cpu, in, &sel, &off);
    return far_transfer(cpu, in, sel, off, true);
}

/* Checks the CS popped by RET far / IRET in protected mode (SDM RET "PROTECTED-MODE"). */
static void check_return_cs(Cpu *cpu, uint16_t sel, SegDesc *cs)
{
    read_code_desc(cpu, sel, cs);
    int rpl = sel & 3, dpl = desc_dpl(cs->d);
    if (!desc_code(cs->d) || rpl < cpu->cpl)
        cpu_raise(cpu, EXC_GP, sel & 0xfffc);
    if (desc_conforming(cs->d) ? dpl > rpl : dpl != rpl)
        cpu_raise(cpu, EXC_GP, sel & 0xfffc);
    if (!desc_present(cs->d))
        cpu_raise(cpu, EXC_NP, sel & 0xfffc);
    if (cpu_long_mode(cpu) && desc_l(cs->d) && desc_db(cs->d))
        cpu_raise(cpu, EXC_GP, sel & 0xfffc);
}

/* Checks the SS popped on a return to privilege `rpl`: a null SS is allowed only when returning
 * to 64-bit code at CPL < 3. */
static void check_return_ss(Cpu *cpu, uint16_t ssel, int rpl, const SegDesc *cs, SegDesc *ss)
{
    if ((ssel & 0xfffc) == 0) {
        if (!(code_is64(cpu, cs->d) && rpl < 3))
            cpu_raise(cpu, EXC_GP, 0);
        *ss = (SegDesc){ ssel, 0, 0 };
        return;
    }
    if ((ssel & 3) != rpl)
        cpu_raise(cpu, EXC_GP, ssel & 0xfffc);
    seg_check_data(cpu, SEG_SS, ssel, rpl, EXC_GP, 0, ss);
}

/* RET far (CB), RET far imm16 (CA) */
static int op_retf(Cpu *cpu, const Insn *in)
{
    int osz = in->osz;
    uint64_t imm = in->imm & 0xffff;
    uint64_t ip = far_peek(cpu, 0, osz);
    uint16_t sel = (uint16_t)far_peek(cpu, (uint64_t)osz, 2);
    int width = cpu_stack_size(cpu);
    uint64_t sp = cpu->gpr[R_SP] + 2 * (uint64_t)osz + imm;
    if (real_like(cpu)) {
        if (ip > (cpu_vm86(cpu) ? 0xffff : cpu->seg[SEG_CS].limit))
            cpu_raise(cpu, EXC_GP, 0);
        far_set_sp(cpu, width, sp);
        seg_set_real(cpu, SEG_CS, sel);
        cpu->rip = ip;
        cpu_update_mode(cpu);
        return INSN_JUMP;
    }
    SegDesc cs;
    check_return_cs(cpu, sel, &cs);
    int rpl = sel & 3;
    if (rpl == cpu->cpl) {
        check_target(cpu, &cs, ip);
        seg_mark_accessed(cpu, &cs);
        far_set_sp(cpu, width, sp);
        seg_commit_cs(cpu, &cs, rpl);
        cpu->rip = ip;
        return INSN_JUMP;
    }
    uint64_t nsp = far_peek(cpu, 2 * (uint64_t)osz + imm, osz);
    uint16_t ssel = (uint16_t)far_peek(cpu, 3 * (uint64_t)osz + imm, 2);
    SegDesc ss;
    check_return_ss(cpu, ssel, rpl, &cs, &ss);
    check_target(cpu, &cs, ip);
    seg_mark_accessed(cpu, &cs);
    seg_mark_accessed(cpu, &ss);
    seg_commit_cs(cpu, &cs, rpl);
    seg_commit(cpu, SEG_SS, &ss);
    far_set_sp(cpu, new_sp_width(cpu, &cs, &ss), nsp + imm);
    cpu->rip = ip;
    seg_null_outer(cpu);
    return INSN_JUMP;
}

/* EFLAGS bits IRET may change at privilege `cpl` with operand size `osz` (see the header). */
static uint32_t iret_flag_mask(const Cpu *cpu, int cpl, int osz)
{
    uint32_t m = FL_ARITH | FL_TF | FL_DF | FL_NT;
    if (osz > 2)
        m |= FL_RF | FL_AC | FL_ID;
    if (cpl <= cpu_iopl(cpu))
        m |= FL_IF;
    if (cpl == 0)
        m |= FL_IOPL | (osz > 2 ? FL_VIF | FL_VIP : 0);
    return m;
}

/* IRET to virtual-8086 mode from CPL 0 (SDM IRET "RETURN-TO-VIRTUAL-8086-MODE"). */
static int iret_to_v86(Cpu *cpu, uint64_t ip, uint16_t sel, uint32_t fl)
{
    uint32_t v[6];
    for (int i = 0; i < 6; i++)
        v[i] = (uint32_t)far_peek(cpu, 12 + 4 * (uint64_t)i, 4);
    if (ip > 0xffff)
        cpu_raise(cpu, EXC_GP, 0);
    cpu_set_eflags(cpu, fl);
    seg_set_real_full(cpu, SEG_CS, sel);
    seg_set_real_full(cpu, SEG_SS, (uint16_t)v[1]);
    seg_set_real_full(cpu, SEG_ES, (uint16_t)v[2]);
    seg_set_real_full(cpu, SEG_DS, (uint16_t)v[3]);
    seg_set_real_full(cpu, SEG_FS, (uint16_t)v[4]);
    seg_set_real_full(cpu, SEG_GS, (uint16_t)v[5]);
    reg_write(cpu, R_SP, 4, v[0]);
    cpu->rip = ip;
    cpu->cpl = 3;
    cpu_update_mode(cpu);
    return INSN_JUMP;
}

/* IRET (16), IRETD (32), IRETQ (64) */
static int op_iret(Cpu *cpu, const Insn *in)
{
    int osz = in->osz;
    cpu->nmi_blocked = false;   /* by every IRET, even one that faults (SDM vol. 3, 6.7.1) */
    bool lm = cpu_long_mode(cpu);
    if (cpu_protected(cpu) && !cpu_vm86(cpu) && (cpu->eflags & FL_NT)) {
        if (lm)
            cpu_raise(cpu, EXC_GP, 0);
        if (cpu->tr.limit < 1)
            cpu_raise(cpu, EXC_TS, cpu->tr.sel & 0xfffc);
        uint16_t link = (uint16_t)cpu_sys_read(cpu, (uint32_t)cpu->tr.base, 2);
        task_switch(cpu, link, TASK_IRET, insn_next(cpu, in), EXC_NO_ERR, 0);
        return INSN_JUMP;
    }
    if (cpu_vm86(cpu) && cpu_iopl(cpu) < 3)
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t ip = far_peek(cpu, 0, osz);
    uint16_t sel = (uint16_t)far_peek(cpu, (uint64_t)osz, 2);
    uint32_t fl = (uint32_t)far_peek(cpu, 2 * (uint64_t)osz, osz > 4 ? 4 : osz);
    uint32_t cur = cpu_get_eflags(cpu);
    int width = cpu_stack_size(cpu);
    uint64_t sp = cpu->gpr[R_SP] + 3 * (uint64_t)osz;

    if (real_like(cpu)) {
        uint32_t nf;
        if (osz == 2)
            nf = (cur & 0xffff0000u) | fl;
        else
            nf = (fl & 0x257fd5u) | (cur & 0x1a0000u);
        if (cpu_vm86(cpu)) {       /* IOPL is not changed from v86 mode, VM/VIP/VIF neither */
            uint32_t keep = FL_IOPL | FL_VM | FL_VIP | FL_VIF;
            nf = (nf & ~keep) | (cur & keep);
        }
        if (ip > (cpu_vm86(cpu) ? 0xffff : cpu->seg[SEG_CS].limit))
            cpu_raise(cpu, EXC_GP, 0);
        far_set_sp(cpu, width, sp);
        cpu_set_eflags(cpu, nf);
        seg_set_real(cpu, SEG_CS, sel);
        cpu->rip = ip;
        cpu_update_mode(cpu);
        return INSN_JUMP;
    }
    if (!lm && osz == 4 && (fl & FL_VM) && cpu->cpl == 0)
        return iret_to_v86(cpu, ip, sel, fl);

    SegDesc cs;
    check_return_cs(cpu, sel, &cs);
    int rpl = sel & 3;
    bool pop_ss = rpl > cpu->cpl || cpu->code_bits == 64;
    SegDesc ss = { 0, 0, 0 };
    uint64_t nsp = 0;
    if (pop_ss) {
        nsp = far_peek(cpu, 3 * (uint64_t)osz, osz);
        check_return_ss(cpu, (uint16_t)far_peek(cpu, 4 * (uint64_t)osz, 2), rpl, &cs, &ss);
    }
    ip &= size_mask(osz);
    check_target(cpu, &cs, ip);
    seg_mark_accessed(cpu, &cs);
    seg_mark_accessed(cpu, &ss);

    uint32_t mask = iret_flag_mask(cpu, cpu->cpl, osz);
    bool outer = rpl > cpu->cpl;
    cpu_set_eflags(cpu, (cur & ~mask) | (fl & mask));
    seg_commit_cs(cpu, &cs, rpl);
    if (pop_ss) {
        seg_commit(cpu, SEG_SS, &ss);
        far_set_sp(cpu, lm ? 8 : new_sp_width(cpu, &cs, &ss), nsp);
    } else {
        far_set_sp(cpu, width, sp);
    }
    cpu->rip = ip;
    if (outer)
        seg_null_outer(cpu);
    return INSN_JUMP;
}

/* INT n (CD ib): IOPL-sensitive in v86 mode (#GP(0) below 3; CR4.VME not modelled). */
static int op_int(Cpu *cpu, const Insn *in)
{
    if (cpu_vm86(cpu) && cpu_iopl(cpu) < 3)
        cpu_raise(cpu, EXC_GP, 0);
    cpu_deliver(cpu, (int)(in->imm & 0xff), EXC_NO_ERR, 1, insn_next(cpu, in));
    return INSN_JUMP;
}

/* INT3 (CC): a software breakpoint; the gate DPL check applies, IOPL does not. */
static int op_int3(Cpu *cpu, const Insn *in)
{
    cpu_deliver(cpu, EXC_BP, EXC_NO_ERR, 2, insn_next(cpu, in));
    return INSN_JUMP;
}

/* INTO (CE): #OF when OF = 1; invalid in 64-bit mode. */
static int op_into(Cpu *cpu, const Insn *in)
{
    if (cpu->code_bits == 64)
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
    if (!(cc_flags(cpu) & FL_OF))
        return INSN_NEXT;
    cpu_deliver(cpu, EXC_OF, EXC_NO_ERR, 2, insn_next(cpu, in));
    return INSN_JUMP;
}

/* INT1 / ICEBP (F1): #DB delivered like a hardware event (no DPL check, EXT = 1). */
static int op_int1(Cpu *cpu, const Insn *in)
{
    cpu_deliver(cpu, EXC_DB, EXC_NO_ERR, 0, insn_next(cpu, in));
    return INSN_JUMP;
}

/* Flat segments loaded by SYSCALL/SYSENTER and their returns (attr: G, D/B or L, P, DPL, S, type). */
static uint16_t flat_code_attr(int dpl, bool is64)
{
    return (uint16_t)(SEG_ATTR_G | (is64 ? SEG_ATTR_L : SEG_ATTR_DB) | SEG_ATTR_P | (dpl << 5) |
                      SEG_ATTR_S | 0xb);
}

static uint16_t flat_data_attr(int dpl)
{
    return (uint16_t)(SEG_ATTR_G | SEG_ATTR_DB | SEG_ATTR_P | (dpl << 5) | SEG_ATTR_S | 0x3);
}

static int op_syscall(Cpu *cpu, const Insn *in)
{
    if (!(cpu->efer & EFER_SCE) || cpu->code_bits != 64)
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
    uint16_t sel = (uint16_t)(cpu->star >> 32) & 0xfffc;
    uint32_t fl = cpu_get_eflags(cpu);
    cpu->gpr[R_CX] = insn_next(cpu, in);
    cpu->gpr[R_R11] = fl & ~FL_RF;
    cpu_set_eflags(cpu, fl & ~(uint32_t)cpu->sfmask & ~FL_RF);
    cpu->rip = cpu->lstar;
    seg_load_flat(cpu, SEG_CS, sel, flat_code_attr(0, true));
    seg_load_flat(cpu, SEG_SS, (uint16_t)(sel + 8), flat_data_attr(0));
    cpu->cpl = 0;
    cpu_update_mode(cpu);
    return INSN_JUMP;
}

/* in->sub = 1: REX.W (return to 64-bit code). */
static int op_sysret(Cpu *cpu, const Insn *in)
{
    if (!(cpu->efer & EFER_SCE) || cpu->code_bits != 64)
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
    if (cpu->cpl != 0)
        cpu_raise(cpu, EXC_GP, 0);
    uint16_t base = (uint16_t)(cpu->star >> 48);
    if (in->sub && !canonical(cpu->gpr[R_CX]))
        cpu_raise(cpu, EXC_GP, 0);
    cpu_set_eflags(cpu, ((uint32_t)cpu->gpr[R_R11] & 0x3c7fd7u) | FL_FIXED1);
    if (in->sub) {
        seg_load_flat(cpu, SEG_CS, (uint16_t)((base + 16) | 3), flat_code_attr(3, true));
        cpu->rip = cpu->gpr[R_CX];
    } else {
        seg_load_flat(cpu, SEG_CS, (uint16_t)(base | 3), flat_code_attr(3, false));
        cpu->rip = (uint32_t)cpu->gpr[R_CX];
    }
    /* SS keeps a flat writable data cache; only selector and DPL change (as on Intel). */
    seg_load_flat(cpu, SEG_SS, (uint16_t)((base + 8) | 3), flat_data_attr(3));
    cpu->cpl = 3;
    cpu_update_mode(cpu);
    if (cpu->eflags & FL_TF)
        cpu->db_pending |= DR6_BS;   /* single step on the loaded TF, at the user instruction */
    return INSN_JUMP;
}

static int op_sysenter(Cpu *cpu, const Insn *in)
{
    (void)in;
    uint16_t sel = (uint16_t)cpu->sysenter_cs & 0xfffc;
    if (!cpu_protected(cpu) || sel == 0)
        cpu_raise(cpu, EXC_GP, 0);
    bool lm = cpu_long_mode(cpu);
    cc_materialize(cpu);
    cpu->eflags &= ~(FL_VM | FL_IF | FL_RF);
    seg_load_flat(cpu, SEG_CS, sel, flat_code_attr(0, lm));
    seg_load_flat(cpu, SEG_SS, (uint16_t)(sel + 8), flat_data_attr(0));
    cpu->gpr[R_SP] = lm ? cpu->sysenter_esp : (uint32_t)cpu->sysenter_esp;
    cpu->rip = lm ? cpu->sysenter_eip : (uint32_t)cpu->sysenter_eip;
    cpu->cpl = 0;
    cpu_update_mode(cpu);
    return INSN_JUMP;
}

/* in->sub = 1: REX.W (return to 64-bit code). */
static int op_sysexit(Cpu *cpu, const Insn *in)
{
    uint16_t sel = (uint16_t)cpu->sysenter_cs & 0xfffc;
    if (!cpu_protected(cpu) || cpu_vm86(cpu) || sel == 0 || cpu->cpl != 0)
        cpu_raise(cpu, EXC_GP, 0);
    if (in->sub) {
        if (!canonical(cpu->gpr[R_DX]) || !canonical(cpu->gpr[R_CX]))
            cpu_raise(cpu, EXC_GP, 0);
        seg_load_flat(cpu, SEG_CS, (uint16_t)((sel + 32) | 3), flat_code_attr(3, true));
        seg_load_flat(cpu, SEG_SS, (uint16_t)((sel + 40) | 3), flat_data_attr(3));
        cpu->gpr[R_SP] = cpu->gpr[R_CX];
        cpu->rip = cpu->gpr[R_DX];
    } else {
        seg_load_flat(cpu, SEG_CS, (uint16_t)((sel + 16) | 3), flat_code_attr(3, false));
        seg_load_flat(cpu, SEG_SS, (uint16_t)((sel + 24) | 3), flat_data_attr(3));
        cpu->gpr[R_SP] = (uint32_t)cpu->gpr[R_CX];
        cpu->rip = (uint32_t)cpu->gpr[R_DX];
    }
    cpu->cpl = 3;
    cpu_update_mode(cpu);
    return INSN_JUMP;
}

/* INT n, INT3, INTO, INT1, SYSCALL, SYSRET: the single-step trap follows the TF they leave, so
 * none is taken into a handler (cpu/exec.c). */
static bool step_after(ZydisMnemonic m)
{
    return m == ZYDIS_MNEMONIC_INT || m == ZYDIS_MNEMONIC_INT3 || m == ZYDIS_MNEMONIC_INTO ||
           m == ZYDIS_MNEMONIC_INT1 || m == ZYDIS_MNEMONIC_SYSCALL || m == ZYDIS_MNEMONIC_SYSRET;
}

InsnFn far_select(DecodeCtx *d, Insn *in)
{
    const ZydisDecodedInstruction *zi = d->zi;
    bool far = zi->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
    InsnFn fn = NULL;
    switch (zi->mnemonic) {
    case ZYDIS_MNEMONIC_JMP:
        if (far)
            fn = d->kind[0] == 'p' ? op_jmp_far_ptr : d->kind[0] == 'm' ? op_jmp_far_m : NULL;
        break;
    case ZYDIS_MNEMONIC_CALL:
        if (far)
            fn = d->kind[0] == 'p' ? op_call_far_ptr : d->kind[0] == 'm' ? op_call_far_m : NULL;
        break;
    case ZYDIS_MNEMONIC_RET:
        if (far || zi->opcode == 0xca || zi->opcode == 0xcb)
            fn = op_retf;
        break;
    case ZYDIS_MNEMONIC_IRET: in->osz = 2; fn = op_iret; break;
    case ZYDIS_MNEMONIC_IRETD: in->osz = 4; fn = op_iret; break;
    case ZYDIS_MNEMONIC_IRETQ: in->osz = 8; fn = op_iret; break;
    case ZYDIS_MNEMONIC_INT: fn = op_int; break;
    case ZYDIS_MNEMONIC_INT3: fn = op_int3; break;
    case ZYDIS_MNEMONIC_INTO: fn = op_into; break;
    case ZYDIS_MNEMONIC_INT1: fn = op_int1; break;
    case ZYDIS_MNEMONIC_SYSCALL: fn = op_syscall; break;
    case ZYDIS_MNEMONIC_SYSENTER: fn = op_sysenter; break;
    case ZYDIS_MNEMONIC_SYSRET:
        in->sub = zi->raw.rex.W;
        fn = op_sysret;
        break;
    case ZYDIS_MNEMONIC_SYSEXIT:
        in->sub = zi->raw.rex.W;
        fn = op_sysexit;
        break;
    default:
        break;
    }
    if (fn)
        d->end_block = true;
    if (fn && step_after(zi->mnemonic))
        in->flags |= INSN_STEP_AFTER;
    return fn;
}
