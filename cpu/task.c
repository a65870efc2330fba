/*
 * task.c — hardware task switching and TSS stack lookups (SDM vol. 3, 7.2-7.4; 8.7 for the 64-bit
 * TSS).
 *
 * TSS layouts (offsets in bytes):
 *   32-bit (type 9/11, limit >= 0x67): 0 back link, 4+8n ESPn, 8+8n SSn (n = 0..2), 0x1C CR3,
 *     0x20 EIP, 0x24 EFLAGS, 0x28.. EAX ECX EDX EBX ESP EBP ESI EDI, 0x48.. ES CS SS DS FS GS
 *     (4 bytes apart), 0x60 LDT selector, 0x64 T bit, 0x66 I/O map base.
 *   16-bit (type 1/3, limit >= 0x2B): 0 back link, 2+4n SPn, 4+4n SSn, 0x0E IP, 0x10 FLAGS,
 *     0x12.. AX CX DX BX SP BP SI DI, 0x22.. ES CS SS DS, 0x2A LDT selector.
 *   64-bit: 4+8n RSPn, 0x24+8(n-1) ISTn.
 * Task switch (7.3), sources JMP, CALL, IRET (to the back link) and interrupt/exception through
 * a task gate:
 *   1-5. The new TSS descriptor must be in the GDT, be a TSS (available; busy for IRET) — else
 *        #GP(sel) (#TS(sel) for IRET) —, be present (#NP(sel)) and large enough (#TS(sel)).
 *   6-9. Save the dynamic state (EIP = next instruction, EFLAGS with NT cleared for IRET,
 *        general and segment registers) in the old TSS; JMP/IRET clear the old busy bit; CALL and
 *        interrupts store the old TR selector as the new back link and set NT in the new EFLAGS;
 *        all but IRET set the new busy bit.
 *   10-11. Load TR, set CR0.TS, load CR3 (32-bit TSS; TLB flushed), EFLAGS, EIP, general
 *        registers, the LDTR and the segment selectors.  From here on faults belong to the new
 *        task: the LDT must be a present LDT descriptor in the GDT (#TS(ldt)), CS a code segment
 *        with DPL = RPL (conforming: DPL <= RPL), SS a writable data segment with RPL = DPL =
 *        CPL, data segments as for MOV, all with #TS(sel) (#NP / #SS when not present).
 *   Then an exception's error code is pushed on the new stack.
 * The new task's state is read before anything is written, so a fault up to step 9 leaves the
 * old task intact (except memory in the old TSS).
 *   Finally, when the new 32-bit TSS has its T bit set, a debug trap (#DB, DR6.BT) is raised before
 *   the new task's first instruction (SDM vol. 3, 17.3.1.5).
 * The I/O permission bitmap is read by IN/OUT (portio.c), not here.
 */
#include "cpu/far.h"
#include "cpu/flags.h"

static uint64_t tr_lin(const Cpu *cpu, uint32_t off)
{
    return (uint32_t)(cpu->tr.base + off);
}

void task_inner_stack(Cpu *cpu, int dpl, uint32_t ext, SegDesc *ss, uint64_t *sp)
{
    bool t32 = (cpu->tr.attr & 0x8) != 0;
    uint32_t off = t32 ? 4 + 8 * (uint32_t)dpl : 2 + 4 * (uint32_t)dpl;
    int n = t32 ? 4 : 2;
    if (off + (uint32_t)n + 1 > cpu->tr.limit)
        cpu_raise(cpu, EXC_TS, (cpu->tr.sel & 0xfffc) | ext);
    *sp = cpu_sys_read(cpu, tr_lin(cpu, off), n);
    uint16_t sel = (uint16_t)cpu_sys_read(cpu, tr_lin(cpu, off + (uint32_t)n), 2);
    if ((sel & 0xfffc) == 0)
        cpu_raise(cpu, EXC_TS, ext);
    if ((sel & 3) != dpl)
        cpu_raise(cpu, EXC_TS, (sel & 0xfffc) | ext);
    seg_check_data(cpu, SEG_SS, sel, dpl, EXC_TS, ext, ss);
}

uint64_t task_stack64(Cpu *cpu, int dpl, int ist, uint32_t ext)
{
    uint32_t off = ist ? 0x24 + 8 * (uint32_t)(ist - 1) : 4 + 8 * (uint32_t)dpl;
    if (off + 7 > cpu->tr.limit)
        cpu_raise(cpu, EXC_TS, (cpu->tr.sel & 0xfffc) | ext);
    return cpu_sys_read(cpu, cpu->tr.base + off, 8);
}

typedef struct TaskState {
    uint32_t cr3, eip, eflags;
    uint32_t gpr[8];
    uint16_t sreg[6];
    uint16_t ldt;
    bool trap;         /* T bit (32-bit TSS offset 0x64, bit 0) */
} TaskState;

static void tss_read(Cpu *cpu, uint64_t base, bool t32, TaskState *ts)
{
    if (t32) {
        ts->cr3 = (uint32_t)cpu_sys_read(cpu, (uint32_t)(base + 0x1c), 4);
        ts->eip = (uint32_t)cpu_sys_read(cpu, (uint32_t)(base + 0x20), 4);
        ts->eflags = (uint32_t)cpu_sys_read(cpu, (uint32_t)(base + 0x24), 4);
        for (int i = 0; i < 8; i++)
            ts->gpr[i] = (uint32_t)cpu_sys_read(cpu, (uint32_t)(base + 0x28 + 4 * i), 4);
        for (int i = 0; i < 6; i++)
            ts->sreg[i] = (uint16_t)cpu_sys_read(cpu, (uint32_t)(base + 0x48 + 4 * i), 2);
        ts->ldt = (uint16_t)cpu_sys_read(cpu, (uint32_t)(base + 0x60), 2);
        ts->trap = cpu_sys_read(cpu, (uint32_t)(base + 0x64), 1) & 1;
    } else {
        ts->cr3 = 0;
        ts->trap = false;
        ts->eip = (uint32_t)cpu_sys_read(cpu, (uint32_t)(base + 0x0e), 2);
        ts->eflags = (uint32_t)cpu_sys_read(cpu, (uint32_t)(base + 0x10), 2);
        for (int i = 0; i < 8; i++)
            ts->gpr[i] = (uint32_t)cpu_sys_read(cpu, (uint32_t)(base + 0x12 + 2 * i), 2);
        for (int i = 0; i < 4; i++)
            ts->sreg[i] = (uint16_t)cpu_sys_read(cpu, (uint32_t)(base + 0x22 + 2 * i), 2);
        ts->sreg[SEG_FS] = ts->sreg[SEG_GS] = 0;
        ts->ldt = (uint16_t)cpu_sys_read(cpu, (uint32_t)(base + 0x2a), 2);
    }
}

/* Saves the dynamic state of the current task (step 8). */
static void tss_save(Cpu *cpu, uint32_t eip, uint32_t eflags)
{
    if (cpu->tr.attr & 0x8) {
        cpu_sys_write(cpu, tr_lin(cpu, 0x20), 4, eip);
        cpu_sys_write(cpu, tr_lin(cpu, 0x24), 4, eflags);
        for (uint32_t i = 0; i < 8; i++)
            cpu_sys_write(cpu, tr_lin(cpu, 0x28 + 4 * i), 4, (uint32_t)cpu->gpr[i]);
        for (uint32_t i = 0; i < 6; i++)
            cpu_sys_write(cpu, tr_lin(cpu, 0x48 + 4 * i), 2, cpu->seg[i].sel);
    } else {
        cpu_sys_write(cpu, tr_lin(cpu, 0x0e), 2, (uint16_t)eip);
        cpu_sys_write(cpu, tr_lin(cpu, 0x10), 2, (uint16_t)eflags);
        for (uint32_t i = 0; i < 8; i++)
            cpu_sys_write(cpu, tr_lin(cpu, 0x12 + 2 * i), 2, (uint16_t)cpu->gpr[i]);
        for (uint32_t i = 0; i < 4; i++)
            cpu_sys_write(cpu, tr_lin(cpu, 0x22 + 2 * i), 2, cpu->seg[i].sel);
    }
}

/* Sets or clears the busy bit (type bit 1) of the TSS descriptor of `sel` in the GDT. */
static void set_busy(Cpu *cpu, uint16_t sel, bool busy)
{
    uint64_t lin = (uint32_t)(cpu->gdtr.base + (sel & 0xfff8) + 5);
    uint8_t b = (uint8_t)cpu_sys_read(cpu, lin, 1);
    cpu_sys_write(cpu, lin, 1, busy ? (b | 2) : (b & ~2));
}

/* Loads the LDTR of the new task (#TS(ldt) for anything but a present LDT in the GDT). */
static void load_ldt(Cpu *cpu, uint16_t sel)
{
    if ((sel & 0xfffc) == 0) {
        cpu->ldtr.sel = sel;
        cpu->ldtr.attr = 0;
        cpu->ldtr.base = 0;
        cpu->ldtr.limit = 0;
        return;
    }
    if (sel & 4)
        cpu_raise(cpu, EXC_TS, sel & 0xfffc);
    uint64_t d = seg_read_desc(cpu, sel, EXC_TS, NULL);
    if (desc_s(d) || desc_type(d) != 2 || !desc_present(d))
        cpu_raise(cpu, EXC_TS, sel & 0xfffc);
    seg_cache_from_desc(&cpu->ldtr, sel, d);
}

/* Loads the segment registers of the new task with their checks (step 12). */
static void load_segments(Cpu *cpu, const TaskState *ts)
{
    if (cpu->eflags & FL_VM) {
        for (int s = 0; s < 6; s++)
            seg_set_real_full(cpu, s, ts->sreg[s]);
        cpu->cpl = 3;
        cpu_update_mode(cpu);
        return;
    }
    uint16_t csel = ts->sreg[SEG_CS];
    int cpl = csel & 3;
    if ((csel & 0xfffc) == 0)
        cpu_raise(cpu, EXC_TS, 0);
    SegDesc cs = { .sel = csel };
    cs.d = seg_read_desc(cpu, csel, EXC_TS, &cs.lin);
    int dpl = desc_dpl(cs.d);
    if (!desc_code(cs.d) || (desc_conforming(cs.d) ? dpl > cpl : dpl != cpl))
        cpu_raise(cpu, EXC_TS, csel & 0xfffc);
    if (!desc_present(cs.d))
        cpu_raise(cpu, EXC_NP, csel & 0xfffc);
    SegDesc sd[6];
    uint16_t ssel = ts->sreg[SEG_SS];
    if ((ssel & 0xfffc) != 0 && (ssel & 3) != cpl)
        cpu_raise(cpu, EXC_TS, ssel & 0xfffc);
    seg_check_data(cpu, SEG_SS, ssel, cpl, EXC_TS, 0, &sd[SEG_SS]);
    static const int data[4] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };
    for (int i = 0; i < 4; i++)
        seg_check_data(cpu, data[i], ts->sreg[data[i]], cpl, EXC_TS, 0, &sd[data[i]]);
    seg_commit(cpu, SEG_SS, &sd[SEG_SS]);
    for (int i = 0; i < 4; i++)
        seg_commit(cpu, data[i], &sd[data[i]]);
    seg_commit_cs(cpu, &cs, cpl);
}

void task_switch(Cpu *cpu, uint16_t sel, int source, uint64_t next_rip, uint32_t err, uint32_t ext)
{
    int vec = source == TASK_IRET ? EXC_TS : EXC_GP;
    uint32_t serr = (sel & 0xfffc) | ext;
    if (sel & 4)
        cpu_raise(cpu, vec, serr);
    uint64_t d = seg_read_desc_ext(cpu, sel, vec, ext, NULL);
    int type = desc_type(d);
    bool busy = (type & 2) != 0;
    if (desc_s(d) || (type & 5) != 1 || busy != (source == TASK_IRET))
        cpu_raise(cpu, vec, serr);
    if (!desc_present(d))
        cpu_raise(cpu, EXC_NP, serr);
    bool n32 = (type & 8) != 0;
    SegCache nt;
    seg_cache_from_desc(&nt, sel, d);
    if (nt.limit < (n32 ? 0x67u : 0x2bu))
        cpu_raise(cpu, EXC_TS, serr);
    if (cpu->tr.limit < ((cpu->tr.attr & 0x8) ? 0x67u : 0x2bu))
        cpu_raise(cpu, EXC_TS, (cpu->tr.sel & 0xfffc) | ext);

    TaskState ts;
    tss_read(cpu, nt.base, n32, &ts);

    /* Save the old task. */
    uint32_t oflags = cpu_get_eflags(cpu);
    if (source == TASK_IRET)
        oflags &= ~FL_NT;
    tss_save(cpu, (uint32_t)next_rip, oflags);
    if (source == TASK_JMP || source == TASK_IRET)
        set_busy(cpu, cpu->tr.sel, false);
    if (source == TASK_CALL || source == TASK_INT) {
        cpu_sys_write(cpu, (uint32_t)nt.base, 2, cpu->tr.sel);
        ts.eflags |= FL_NT;
    }
    if (source != TASK_IRET)
        set_busy(cpu, sel, true);

    /* Commit point: the new task's state. */
    seg_cache_from_desc(&cpu->tr, sel, d | (2ull << 40));
    cpu->cr0 |= CR0_TS;
    if (n32 && (cpu->cr0 & CR0_PG) && ts.cr3 != cpu->cr3) {
        cpu->cr3 = ts.cr3;
        cpu_flush_tlb(cpu, false);
    } else if (n32) {
        cpu->cr3 = ts.cr3;
    }
    if (n32) {
        cpu_set_eflags(cpu, ts.eflags);
        for (int i = 0; i < 8; i++)
            cpu->gpr[i] = ts.gpr[i];
        cpu->rip = ts.eip;
    } else {
        cpu_set_eflags(cpu, (cpu_get_eflags(cpu) & 0xffff0000u & ~FL_VM) | (ts.eflags & 0xffff));
        for (int i = 0; i < 8; i++)
            reg_write(cpu, i, 2, ts.gpr[i]);
        cpu->rip = ts.eip & 0xffff;
    }
    /* Selectors are loaded first with unusable caches; a fault below leaves them so. */
    for (int s = 0; s < 6; s++) {
        if (s != SEG_CS)
            seg_load_null(cpu, s, ts.sreg[s]);
    }
    cpu->seg[SEG_CS].sel = ts.sreg[SEG_CS];
    cpu->cpl = ts.sreg[SEG_CS] & 3;
    cpu_update_mode(cpu);
    load_ldt(cpu, ts.ldt);
    load_segments(cpu, &ts);
    if (err != EXC_NO_ERR) {
        int sz = n32 ? 4 : 2;
        FarStack st = far_stack_current(cpu);
        far_push(cpu, &st, sz, err);
        far_set_sp(cpu, st.width, st.sp);
    }
    cpu->exit_block = true;
    if (ts.trap)
        cpu->db_pending |= DR6_BT;   /* delivered by the run loop before the task's first instruction */
}
