/*
 * interrupt_pm.c — interrupt and exception delivery through the IDT in protected mode, virtual-8086
 * mode and IA-32e mode (SDM vol. 3, 6.10-6.14; vol. 2 INT n pseudo-code).
 *
 * IDT entries: 8 bytes outside IA-32e mode (task gate type 5, 16-bit interrupt/trap gates 6/7,
 * 32-bit interrupt/trap gates 14/15), 16 bytes in IA-32e mode (only 64-bit interrupt/trap gates
 * 14/15; IST index in bits 32-34; offset 63:32 in the second quadword).
 * Error codes of faults found while delivering: vector * 8 + 2 (IDT) + EXT, where EXT = 1 for
 * hardware events and exceptions and 0 for INT n / INT3 / INTO (soft != 0).
 *   entry beyond the IDT limit or a bad gate type     #GP(vector*8+2+EXT)
 *   software event and gate DPL < CPL                  #GP(vector*8+2)  (INT1/ICEBP: no check)
 *   gate not present                                   #NP(vector*8+2+EXT)
 *   null code selector                                 #GP(EXT)
 *   target not code or DPL > CPL                       #GP(sel+EXT); not present #NP(sel+EXT)
 *   IA-32e: target not 64-bit code                     #GP(sel+EXT)
 * To a more privileged non-conforming segment the handler runs on the stack of its DPL from the
 * TSS (16/32-bit TSS; #TS for a bad stack), which gets SS, ESP, then EFLAGS, CS, EIP and the
 * error code (entries of gate size).  From v86 mode the target must have DPL 0 (#GP(sel)); GS, FS,
 * DS, ES are pushed first and then loaded with null selectors, and VM is cleared.  At the same
 * privilege (conforming or DPL = CPL) only EFLAGS, CS, EIP and the error code are pushed.
 * IA-32e mode: the new RSP is RSPn from the TSS (privilege change) or ISTn (IST != 0, always),
 * else the current RSP; it is aligned down to 16 bytes and SS, RSP, RFLAGS, CS, RIP and the error
 * code are always pushed (8 bytes each); a privilege change loads SS with a null selector whose
 * RPL is the new CPL.
 * Afterwards TF, NT, VM and RF are cleared, and IF too for interrupt gates (not trap gates).
 * Task gates switch tasks (task.c) and push the error code on the new task's stack.
 */
#include "cpu/far.h"
#include "cpu/flags.h"
#include "cpu/interrupt.h"

void cpu_deliver_pm(Cpu *cpu, int vector, uint32_t err, int soft, uint64_t next_rip)
{
    uint32_t ext = soft ? 0 : 1;
    uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
    bool lm = cpu_long_mode(cpu);
    uint32_t esize = lm ? 16 : 8;
    if ((uint32_t)vector * esize + esize - 1 > cpu->idtr.limit)
        cpu_raise(cpu, EXC_GP, idt_err);
    uint64_t ent = cpu->idtr.base + (uint64_t)vector * esize;
    if (!lm)
        ent = (uint32_t)ent;
    uint64_t g = cpu_sys_read(cpu, ent, 8);
    int type = desc_type(g);
    bool ok = !desc_s(g) && (lm ? (type == 0xe || type == 0xf)
                                : (type == 5 || type == 6 || type == 7 || type == 0xe || type == 0xf));
    if (!ok)
        cpu_raise(cpu, EXC_GP, idt_err);
    if (soft && desc_dpl(g) < cpu->cpl)
        cpu_raise(cpu, EXC_GP, (uint32_t)vector * 8 + 2);
    if (!desc_present(g))
        cpu_raise(cpu, EXC_NP, idt_err);
    if (type == 5) {
        task_switch(cpu, gate_sel(g), TASK_INT, next_rip, err, ext);
        return;
    }

    int gsize = lm ? 8 : (type & 8) ? 4 : 2;
    uint64_t off = gsize == 2 ? (g & 0xffff) : gate_off(g);
    if (lm)
        off |= (cpu_sys_read(cpu, ent + 8, 8) & 0xffffffffu) << 32;
    int ist = lm ? (int)((g >> 32) & 7) : 0;

    uint16_t csel = gate_sel(g);
    if ((csel & 0xfffc) == 0)
        cpu_raise(cpu, EXC_GP, ext);
    SegDesc cs = { .sel = csel };
    cs.d = seg_read_desc_ext(cpu, csel, EXC_GP, ext, &cs.lin);
    uint32_t cerr = (csel & 0xfffc) | ext;
    int dpl = desc_dpl(cs.d);
    if (!desc_code(cs.d) || dpl > cpu->cpl)
        cpu_raise(cpu, EXC_GP, cerr);
    if (!desc_present(cs.d))
        cpu_raise(cpu, EXC_NP, cerr);
    if (lm && (!desc_l(cs.d) || desc_db(cs.d)))
        cpu_raise(cpu, EXC_GP, cerr);

    bool vm = cpu_vm86(cpu);
    bool inner = !desc_conforming(cs.d) && dpl < cpu->cpl;
    if (vm && (!inner || dpl != 0))
        cpu_raise(cpu, EXC_GP, cerr);
    int ncpl = inner ? dpl : cpu->cpl;

    SegDesc ss = { (uint16_t)ncpl, 0, 0 };
    FarStack st;
    if (lm) {
        uint64_t sp = cpu->gpr[R_SP];
        if (inner || ist)
            sp = task_stack64(cpu, dpl, ist, ext);
        if (inner)
            st = far_stack_new(&ss, sp & ~0xfull, ncpl, ext);
        else {
            st = far_stack_current(cpu);
            st.width = 8;
            st.sp = sp & ~0xfull;
        }
    } else if (inner) {
        uint64_t sp;
        task_inner_stack(cpu, dpl, ext, &ss, &sp);
        st = far_stack_new(&ss, sp, ncpl, (ss.sel & 0xfffc) | ext);
    } else {
        st = far_stack_current(cpu);
    }
    if (!lm) {
        SegCache c;
        seg_cache_from_desc(&c, csel, cs.d);
        if (off > c.limit)
            cpu_raise(cpu, EXC_GP, ext);
    } else if (!canonical(off)) {
        cpu_raise(cpu, EXC_GP, ext);
    }

    uint32_t fl = cpu_get_eflags(cpu);
    if (vm) {
        far_push(cpu, &st, gsize, cpu->seg[SEG_GS].sel);
        far_push(cpu, &st, gsize, cpu->seg[SEG_FS].sel);
        far_push(cpu, &st, gsize, cpu->seg[SEG_DS].sel);
        far_push(cpu, &st, gsize, cpu->seg[SEG_ES].sel);
    }
    if (inner || lm) {
        far_push(cpu, &st, gsize, cpu->seg[SEG_SS].sel);
        far_push(cpu, &st, gsize, cpu->gpr[R_SP]);
    }
    far_push(cpu, &st, gsize, fl);
    far_push(cpu, &st, gsize, cpu->seg[SEG_CS].sel);
    far_push(cpu, &st, gsize, next_rip);
    if (err != EXC_NO_ERR)
        far_push(cpu, &st, gsize, err);

    /* Commit: nothing below can fault. */
    seg_mark_accessed(cpu, &cs);
    seg_mark_accessed(cpu, &ss);
    if (inner)
        seg_commit(cpu, SEG_SS, &ss);
    far_set_sp(cpu, st.width, st.sp);
    if (vm) {
        seg_load_null(cpu, SEG_ES, 0);
        seg_load_null(cpu, SEG_DS, 0);
        seg_load_null(cpu, SEG_FS, 0);
        seg_load_null(cpu, SEG_GS, 0);
    }
    cpu->eflags &= ~(FL_TF | FL_NT | FL_VM | FL_RF);
    if (!(type & 1))
        cpu->eflags &= ~FL_IF;
    seg_commit_cs(cpu, &cs, ncpl);
    cpu->rip = off;
}
