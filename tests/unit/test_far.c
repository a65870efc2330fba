/*
 * test_far.c — far control transfers, IDT delivery, task switches and segment loads (cpu/far.c,
 * cpu/interrupt_pm.c, cpu/task.c, cpu/segment.c, cpu/seg.c) on the fake machine.
 *
 * Memory map of the protected-mode tests (paging off, so linear = physical):
 *   0x10000 GDT, 0x11000 TSS A (current task), 0x12000 TSS B, 0x13000 IDT, 0x14000 64-bit TSS,
 *   FM_CODE code, 0x2000.. handlers, ring-0 stack top 0x9000, ring-3 stack top 0x7000.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "cpu/seg.h"
#include "tests/unit/fake_machine.h"

#define GDT 0x10000u
#define TSS_A 0x11000u
#define TSS_B 0x12000u
#define IDT 0x13000u
#define TSS64 0x14000u

enum {
    S_CODE0 = 0x08, S_DATA0 = 0x10, S_CODE3 = 0x18, S_DATA3 = 0x20, S_TSS_A = 0x28, S_CGATE = 0x30,
    S_CODE64 = 0x38, S_TSS_B = 0x40, S_TGATE = 0x48, S_CODE16 = 0x50,
};

/* A segment descriptor; `attr` is descriptor bits 40..55 as in SegCache.attr. */
static uint64_t desc(uint32_t base, uint32_t limit, uint16_t attr)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)(attr & 0xf0ff) << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(base >> 24) << 56);
}

/* A gate: present, `type`, `dpl`, target sel:off, parameter count (or IST for 64-bit gates). */
static uint64_t gate(uint16_t sel, uint32_t off, int type, int dpl, int params)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)params << 32) |
           ((uint64_t)(0x80 | (dpl << 5) | type) << 40) | ((uint64_t)(off >> 16) << 48);
}

static void put_desc(FakeMachine *fm, uint16_t sel, uint64_t d)
{
    fm_poke(fm, GDT + (sel & ~7u), 8, d);
}

/* Builds the legacy GDT, TSS A (ESP0 = 0x9000, SS0 = S_DATA0) and an empty IDT; TR = TSS A. */
static FakeMachine *pm_machine(void)
{
    FakeMachine *fm = fm_new(FM_PM32);
    Cpu *cpu = fm->cpu;
    put_desc(fm, S_CODE0, desc(0, 0xfffff, 0xc09b));
    put_desc(fm, S_DATA0, desc(0, 0xfffff, 0xc093));
    put_desc(fm, S_CODE3, desc(0, 0xfffff, 0xc0fb));
    put_desc(fm, S_DATA3, desc(0, 0xfffff, 0xc0f3));
    put_desc(fm, S_TSS_A, desc(TSS_A, 0x67, 0x008b));   /* busy: it is the current task */
    put_desc(fm, S_CGATE, gate(S_CODE0, 0x2100, 0xc, 3, 2));
    put_desc(fm, S_TSS_B, desc(TSS_B, 0x67, 0x0089));
    put_desc(fm, S_TGATE, gate(S_TSS_B, 0, 0x5, 3, 0));
    put_desc(fm, S_CODE16, desc(0, 0xffff, 0x009b));
    cpu->gdtr = (DescTable){ GDT, 0x57 };
    cpu->idtr = (DescTable){ IDT, 0x7ff };
    fm_poke(fm, TSS_A + 4, 4, 0x9000);
    fm_poke(fm, TSS_A + 8, 2, S_DATA0);
    seg_cache_from_desc(&cpu->tr, S_TSS_A, fm_peek(fm, GDT + S_TSS_A, 8));
    seg_cache_from_desc(&cpu->seg[SEG_CS], S_CODE0, fm_peek(fm, GDT + S_CODE0, 8));
    for (int s = 0; s < 6; s++)
        if (s != SEG_CS)
            seg_cache_from_desc(&cpu->seg[s], S_DATA0, fm_peek(fm, GDT + S_DATA0, 8));
    cpu_update_mode(cpu);
    return fm;
}

/* Puts the CPU at CPL 3 with CS = S_CODE3|3, SS = S_DATA3|3 and ESP = `esp`. */
static void enter_ring3(FakeMachine *fm, uint32_t esp)
{
    Cpu *cpu = fm->cpu;
    seg_cache_from_desc(&cpu->seg[SEG_CS], S_CODE3 | 3, fm_peek(fm, GDT + S_CODE3, 8));
    seg_cache_from_desc(&cpu->seg[SEG_SS], S_DATA3 | 3, fm_peek(fm, GDT + S_DATA3, 8));
    cpu->cpl = 3;
    cpu->gpr[R_SP] = esp;
    cpu_update_mode(cpu);
}

START_TEST(callfar_same_privilege_pushes_cs_eip_and_retf_returns)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    /* call 0x08:0x2000 */
    const uint8_t code[] = { 0x9a, 0x00, 0x20, 0x00, 0x00, 0x08, 0x00 };
    fm_code(fm, code, sizeof(code));
    fm_poke(fm, 0x2000, 1, 0xcb);   /* retf */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->rip, 0x2000);
    ck_assert_uint_eq(cpu->gpr[R_SP], FM_STACK - 8);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK - 8, 4), FM_CODE + 7);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK - 4, 4), S_CODE0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 7);
    ck_assert_uint_eq(cpu->gpr[R_SP], FM_STACK);
    fm_free(fm);
}
END_TEST

START_TEST(jmpfar_to_16bit_code_switches_code_size)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    /* jmp 0x50:0x2000 */
    const uint8_t code[] = { 0xea, 0x00, 0x20, 0x00, 0x00, 0x50, 0x00 };
    fm_code(fm, code, sizeof(code));
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->code_bits, 16);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, S_CODE16);
    /* the accessed bit was set in the GDT */
    ck_assert_uint_eq((fm_peek(fm, GDT + S_CODE16 + 5, 1) & 1), 1);
    fm_free(fm);
}
END_TEST

START_TEST(jmpfar_to_dpl3_code_from_cpl0_raises_gp_selector)
{
    FakeMachine *fm = pm_machine();
    /* jmp 0x1b:0x2000 (non-conforming DPL 3 code, CPL 0) */
    const uint8_t code[] = { 0xea, 0x00, 0x20, 0x00, 0x00, 0x1b, 0x00 };
    fm_code(fm, code, sizeof(code));
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, S_CODE3);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

START_TEST(callgate_from_ring3_switches_stack_copies_params_and_retf_returns)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    /* call 0x33:0 (call gate, the offset is ignored) */
    const uint8_t code[] = { 0x9a, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00 };
    fm_code(fm, code, sizeof(code));
    fm_poke(fm, 0x2100, 1, 0xca);   /* retf 8 */
    fm_poke(fm, 0x2101, 2, 8);
    fm_poke(fm, 0x6ff8, 4, 0x22222222);
    fm_poke(fm, 0x6ffc, 4, 0x11111111);
    enter_ring3(fm, 0x6ff8);
    /* DS still holds a DPL-0 data segment: the return to ring 3 must null it. */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, S_CODE0);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, S_DATA0);
    ck_assert_uint_eq(cpu->rip, 0x2100);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x9000 - 24);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 24, 4), FM_CODE + 7);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 20, 4), S_CODE3 | 3);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 16, 4), 0x22222222);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 12, 4), 0x11111111);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 8, 4), 0x6ff8);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 4, 4), S_DATA3 | 3);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, S_CODE3 | 3);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, S_DATA3 | 3);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x7000);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 7);
    ck_assert_uint_eq(cpu->seg[SEG_DS].sel, 0);
    ck_assert_uint_eq(cpu->seg[SEG_DS].ok, 0);
    fm_free(fm);
}
END_TEST

START_TEST(int_from_ring3_through_dpl3_gate_switches_stack_and_iret_returns)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    fm_poke(fm, IDT + 0x80 * 8, 8, gate(S_CODE0, 0x2200, 0xe, 3, 0));
    const uint8_t code[] = { 0xcd, 0x80 };   /* int 0x80 */
    fm_code(fm, code, sizeof(code));
    fm_poke(fm, 0x2200, 1, 0xcf);           /* iretd */
    enter_ring3(fm, 0x7000);
    fm_set_flags(fm, FL_IF | FL_CF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->rip, 0x2200);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x9000 - 20);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 20, 4), FM_CODE + 2);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 16, 4), S_CODE3 | 3);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 12, 4), FL_IF | FL_CF | FL_FIXED1);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 8, 4), 0x7000);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 4, 4), S_DATA3 | 3);
    ck_assert_uint_eq(cpu->eflags & FL_IF, 0);   /* interrupt gate */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 2);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x7000);
    ck_assert_uint_eq(fm_flags(fm) & FL_CF, FL_CF);
    ck_assert_uint_eq(cpu->eflags & FL_IF, FL_IF);
    fm_free(fm);
}
END_TEST

START_TEST(int_from_ring3_through_dpl0_gate_raises_gp_idt_code)
{
    FakeMachine *fm = pm_machine();
    fm_poke(fm, IDT + 0x81 * 8, 8, gate(S_CODE0, 0x2200, 0xe, 0, 0));
    const uint8_t code[] = { 0xcd, 0x81 };   /* int 0x81 */
    fm_code(fm, code, sizeof(code));
    enter_ring3(fm, 0x7000);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0x81 * 8 + 2);
    ck_assert_int_eq(fm->cpu->cpl, 3);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x7000);
    fm_free(fm);
}
END_TEST

START_TEST(int_through_not_present_gate_raises_np)
{
    FakeMachine *fm = pm_machine();
    fm_poke(fm, IDT + 0x82 * 8, 8, gate(S_CODE0, 0x2200, 0xe, 3, 0) & ~(1ull << 47));
    const uint8_t code[] = { 0xcd, 0x82 };   /* int 0x82 */
    fm_code(fm, code, sizeof(code));
    ck_assert_int_eq(fm_exec(fm, 1), EXC_NP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0x82 * 8 + 2);
    fm_free(fm);
}
END_TEST

/* TSS B: EIP 0x2300, EFLAGS 2, EAX 0xB0B0, ESP 0x8800, CS/SS/DS... ring 0 selectors. */
static void fill_tss_b(FakeMachine *fm)
{
    fm_poke(fm, TSS_B + 0x20, 4, 0x2300);
    fm_poke(fm, TSS_B + 0x24, 4, 2);
    fm_poke(fm, TSS_B + 0x28, 4, 0xb0b0);
    fm_poke(fm, TSS_B + 0x38, 4, 0x8800);
    for (int s = 0; s < 6; s++)
        fm_poke(fm, TSS_B + 0x48 + 4 * (uint32_t)s, 2, s == SEG_CS ? S_CODE0 : S_DATA0);
}

START_TEST(jmp_to_tss_saves_state_and_moves_busy_bit)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    fill_tss_b(fm);
    const uint8_t code[] = { 0xea, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00 };   /* jmp 0x40:0 */
    fm_code(fm, code, sizeof(code));
    cpu->gpr[R_AX] = 0xa0a0;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->tr.sel, S_TSS_B);
    ck_assert_uint_eq(cpu->rip, 0x2300);
    ck_assert_uint_eq(cpu->gpr[R_AX], 0xb0b0);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x8800);
    ck_assert_uint_eq(cpu->cr0 & CR0_TS, CR0_TS);
    ck_assert_uint_eq(fm_peek(fm, TSS_A + 0x20, 4), FM_CODE + 7);
    ck_assert_uint_eq(fm_peek(fm, TSS_A + 0x28, 4), 0xa0a0);
    ck_assert_uint_eq(fm_peek(fm, GDT + S_TSS_A + 5, 1) & 0xf, 0x9);
    ck_assert_uint_eq(fm_peek(fm, GDT + S_TSS_B + 5, 1) & 0xf, 0xb);
    ck_assert_uint_eq(cpu->eflags & FL_NT, 0);
    fm_free(fm);
}
END_TEST

START_TEST(call_task_gate_sets_nt_backlink_and_iret_returns)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    fill_tss_b(fm);
    fm_poke(fm, 0x2300, 1, 0xcf);   /* iretd */
    const uint8_t code[] = { 0x9a, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00 };   /* call 0x48:0 */
    fm_code(fm, code, sizeof(code));
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->tr.sel, S_TSS_B);
    ck_assert_uint_eq(cpu->eflags & FL_NT, FL_NT);
    ck_assert_uint_eq(fm_peek(fm, TSS_B, 2), S_TSS_A);
    ck_assert_uint_eq(fm_peek(fm, GDT + S_TSS_A + 5, 1) & 0xf, 0xb);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->tr.sel, S_TSS_A);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 7);
    ck_assert_uint_eq(cpu->eflags & FL_NT, 0);
    ck_assert_uint_eq(fm_peek(fm, GDT + S_TSS_B + 5, 1) & 0xf, 0x9);
    ck_assert_uint_eq(fm_peek(fm, TSS_B + 0x20, 4), 0x2301);
    fm_free(fm);
}
END_TEST

START_TEST(jmp_to_tss_with_t_bit_traps_before_first_instruction)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    fill_tss_b(fm);
    fm_poke(fm, TSS_B + 0x64, 2, 1);   /* T */
    const uint8_t code[] = { 0xea, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00 };   /* jmp 0x40:0 */
    fm_code(fm, code, sizeof(code));
    /* The switch completes; the run loop delivers the pending trap before the next instruction. */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->tr.sel, S_TSS_B);
    ck_assert_uint_eq(cpu->rip, 0x2300);
    ck_assert_uint_eq(cpu->db_pending, DR6_BT);
    fm_free(fm);
}
END_TEST

START_TEST(jmp_to_busy_tss_raises_gp)
{
    FakeMachine *fm = pm_machine();
    const uint8_t code[] = { 0xea, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00 };   /* jmp 0x28:0 */
    fm_code(fm, code, sizeof(code));
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, S_TSS_A);
    fm_free(fm);
}
END_TEST

START_TEST(mov_ss_sets_interrupt_shadow)
{
    FakeMachine *fm = pm_machine();
    const uint8_t code[] = { 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd0 };   /* mov ax, 0x10; mov ss, ax */
    fm_code(fm, code, sizeof(code));
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert(fm->cpu->inhibit_irq);
    fm_free(fm);
}
END_TEST

START_TEST(mov_ds_with_code_selector_raises_gp)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    const uint8_t code[] = { 0x8e, 0xd8 };   /* mov ds, ax */
    fm_code(fm, code, sizeof(code));
    put_desc(fm, S_CODE0 + 0x60, desc(0, 0xfffff, 0xc099));   /* 0x68: execute-only code */
    cpu->gdtr.limit = 0x6f;
    cpu->gpr[R_AX] = 0x68;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(cpu->exc_error, 0x68);
    ck_assert_uint_eq(cpu->seg[SEG_DS].sel, S_DATA0);
    fm_free(fm);
}
END_TEST

START_TEST(mov_ss_with_dpl3_data_at_cpl0_raises_gp)
{
    FakeMachine *fm = pm_machine();
    const uint8_t code[] = { 0x8e, 0xd0 };   /* mov ss, ax */
    fm_code(fm, code, sizeof(code));
    fm->cpu->gpr[R_AX] = S_DATA3;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, S_DATA3);
    fm_free(fm);
}
END_TEST

START_TEST(push_ds_32bit_moves_esp_by_4_and_writes_16_bits)
{
    FakeMachine *fm = pm_machine();
    const uint8_t code[] = { 0x1e, 0x07 };   /* push ds; pop es */
    fm_code(fm, code, sizeof(code));
    fm_poke(fm, FM_STACK - 4, 4, 0xdeadbeef);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], FM_STACK - 4);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK - 4, 4), 0xdead0000u | S_DATA0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], FM_STACK);
    ck_assert_uint_eq(fm->cpu->seg[SEG_ES].sel, S_DATA0);
    fm_free(fm);
}
END_TEST

START_TEST(lss_loads_ss_and_register)
{
    FakeMachine *fm = pm_machine();
    const uint8_t code[] = { 0x0f, 0xb2, 0x03 };   /* lss eax, [ebx] */
    fm_code(fm, code, sizeof(code));
    fm->cpu->gpr[R_BX] = 0x3000;
    fm_poke(fm, 0x3000, 4, 0x12345678);
    fm_poke(fm, 0x3004, 2, S_DATA0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12345678);
    ck_assert_uint_eq(fm->cpu->seg[SEG_SS].sel, S_DATA0);
    fm_free(fm);
}
END_TEST

START_TEST(sysenter_sysexit_switch_rings)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    cpu->sysenter_cs = S_CODE0;
    cpu->sysenter_esp = 0x9000;
    cpu->sysenter_eip = 0x2400;
    fm_poke(fm, 0x2400, 2, 0x350f);   /* sysexit */
    const uint8_t code[] = { 0x0f, 0x34 };   /* sysenter */
    fm_code(fm, code, sizeof(code));
    enter_ring3(fm, 0x7000);
    fm_set_flags(fm, FL_IF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, S_CODE0 + 8);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x9000);
    ck_assert_uint_eq(cpu->rip, 0x2400);
    ck_assert_uint_eq(cpu->eflags & FL_IF, 0);
    cpu->gpr[R_CX] = 0x6000;
    cpu->gpr[R_DX] = FM_CODE + 2;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, (S_CODE0 + 16) | 3);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, (S_CODE0 + 24) | 3);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x6000);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 2);
    fm_free(fm);
}
END_TEST

START_TEST(fault_with_not_present_gp_gate_escalates_to_df)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    fm_poke(fm, IDT + 13 * 8, 8, gate(S_CODE0, 0x2700, 0xe, 0, 0) & ~(1ull << 47));
    fm_poke(fm, IDT + 8 * 8, 8, gate(S_CODE0, 0x2800, 0xe, 0, 0));
    fm_poke(fm, 0x2800, 1, 0xf4);   /* hlt */
    const uint8_t code[] = { 0x8e, 0xd8 };   /* mov ds, ax with a selector past the GDT limit */
    fm_code(fm, code, sizeof(code));
    cpu->gpr[R_AX] = 0x2008;
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->rip, 0x2801);
    ck_assert_uint_eq(cpu->gpr[R_SP], FM_STACK - 16);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK - 16, 4), 0);   /* #DF error code */
    fm_free(fm);
}
END_TEST

START_TEST(exception_through_task_gate_pushes_error_code_on_new_task_stack)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    fill_tss_b(fm);
    fm_poke(fm, 0x2300, 1, 0xf4);   /* hlt */
    fm_poke(fm, IDT + 13 * 8, 8, gate(S_TSS_B, 0, 0x5, 0, 0));
    const uint8_t code[] = { 0x8e, 0xd8 };   /* mov ds, ax -> #GP(0x2008) */
    fm_code(fm, code, sizeof(code));
    cpu->gpr[R_AX] = 0x2008;
    ck_assert_int_eq(fm_run(fm, 2), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->tr.sel, S_TSS_B);
    ck_assert_uint_eq(cpu->rip, 0x2301);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x8800 - 4);
    ck_assert_uint_eq(fm_peek(fm, 0x8800 - 4, 4), 0x2008);
    ck_assert_uint_eq(fm_peek(fm, TSS_A + 0x20, 4), FM_CODE);   /* the faulting instruction */
    ck_assert_uint_eq(cpu->eflags & FL_NT, FL_NT);
    fm_free(fm);
}
END_TEST

START_TEST(jmp_to_16bit_tss_loads_16bit_state)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    put_desc(fm, S_TSS_B, desc(TSS_B, 0x2b, 0x0081));
    fm_poke(fm, TSS_B + 0x0e, 2, 0x2300);   /* IP */
    fm_poke(fm, TSS_B + 0x10, 2, 0x0002);   /* FLAGS */
    fm_poke(fm, TSS_B + 0x12, 2, 0x1234);   /* AX */
    fm_poke(fm, TSS_B + 0x1a, 2, 0x7700);   /* SP */
    fm_poke(fm, TSS_B + 0x22, 2, S_DATA0);  /* ES */
    fm_poke(fm, TSS_B + 0x24, 2, S_CODE16); /* CS */
    fm_poke(fm, TSS_B + 0x26, 2, S_DATA0);  /* SS */
    fm_poke(fm, TSS_B + 0x28, 2, S_DATA0);  /* DS */
    const uint8_t code[] = { 0xea, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00 };   /* jmp 0x40:0 */
    fm_code(fm, code, sizeof(code));
    cpu->gpr[R_AX] = 0xffff0000u;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->tr.sel, S_TSS_B);
    ck_assert_int_eq(cpu->code_bits, 16);
    ck_assert_uint_eq(cpu->rip, 0x2300);
    ck_assert_uint_eq(cpu->gpr[R_AX], 0xffff1234u);
    ck_assert_uint_eq(cpu->seg[SEG_FS].sel, 0);
    ck_assert_uint_eq(fm_peek(fm, GDT + S_TSS_B + 5, 1) & 0xf, 0x3);
    fm_free(fm);
}
END_TEST

START_TEST(iret_from_cpl0_with_vm_enters_v86_and_int_with_iopl0_raises_gp)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    const uint8_t code[] = { 0xcf };   /* iretd */
    fm_code(fm, code, sizeof(code));
    fm_poke(fm, 0x20000 + 0x10, 2, 0x21cd);   /* 2000:0010: int 0x21 */
    uint32_t frame[9] = { 0x10, 0x2000, FL_VM | FL_FIXED1, 0x0ff0, 0x3000, 0x4000, 0x5000, 0x6000,
                          0x7000 };
    for (int i = 0; i < 9; i++)
        fm_poke(fm, FM_STACK + 4 * (uint32_t)i, 4, frame[i]);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(cpu_vm86(cpu));
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_int_eq(cpu->code_bits, 16);
    ck_assert_uint_eq(cpu->seg[SEG_CS].base, 0x20000);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, 0x3000);
    ck_assert_uint_eq(cpu->seg[SEG_ES].base, 0x40000);
    ck_assert_uint_eq(cpu->seg[SEG_GS].sel, 0x7000);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x0ff0);
    ck_assert_uint_eq(cpu->rip, 0x10);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(cpu->exc_error, 0);
    fm_free(fm);
}
END_TEST

START_TEST(gp_in_v86_switches_to_ring0_stack_and_pushes_segments)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    fm_poke(fm, IDT + 13 * 8, 8, gate(S_CODE0, 0x2700, 0xe, 0, 0));
    fm_poke(fm, 0x2700, 1, 0xf4);   /* hlt */
    const uint8_t code[] = { 0xcf };   /* iretd into v86 */
    fm_code(fm, code, sizeof(code));
    fm_poke(fm, 0x20000 + 0x10, 2, 0x21cd);   /* int 0x21 with IOPL 0 -> #GP(0) */
    uint32_t frame[9] = { 0x10, 0x2000, FL_VM | FL_FIXED1, 0x0ff0, 0x3000, 0x4000, 0x5000, 0x6000,
                          0x7000 };
    for (int i = 0; i < 9; i++)
        fm_poke(fm, FM_STACK + 4 * (uint32_t)i, 4, frame[i]);
    ck_assert_int_eq(fm_run(fm, 3), CPU_EXIT_HALT);
    ck_assert(!cpu_vm86(cpu));
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->rip, 0x2701);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x9000 - 40);
    /* #GP is a fault: the pushed EFLAGS has RF = 1 (SDM vol. 3, 17.3.1.1). */
    uint32_t want[10] = { 0, 0x10, 0x2000, FL_VM | FL_RF | FL_FIXED1, 0x0ff0, 0x3000, 0x4000, 0x5000,
                          0x6000, 0x7000 };
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(fm_peek(fm, 0x9000 - 40 + 4 * (uint32_t)i, 4), want[i]);
    ck_assert_uint_eq(cpu->seg[SEG_DS].sel, 0);
    ck_assert_uint_eq(cpu->seg[SEG_GS].sel, 0);
    fm_free(fm);
}
END_TEST

START_TEST(int_with_bad_tss_ss0_raises_ts_and_changes_nothing)
{
    FakeMachine *fm = pm_machine();
    Cpu *cpu = fm->cpu;
    fm_poke(fm, IDT + 0x80 * 8, 8, gate(S_CODE0, 0x2200, 0xe, 3, 0));
    fm_poke(fm, TSS_A + 8, 2, S_DATA3);   /* SS0 = 0x20: RPL 0 but DPL 3 */
    const uint8_t code[] = { 0xcd, 0x80 };
    fm_code(fm, code, sizeof(code));
    enter_ring3(fm, 0x7000);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_TS);
    ck_assert_uint_eq(cpu->exc_error, S_DATA3);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x7000);
    ck_assert_uint_eq(cpu->rip, FM_CODE);
    fm_free(fm);
}
END_TEST

/* ---- IA-32e mode ---- */

static FakeMachine *long_machine(void)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    Cpu *cpu = fm->cpu;
    put_desc(fm, S_CODE0, desc(0, 0xfffff, 0xa09b));
    put_desc(fm, S_DATA0, desc(0, 0xfffff, 0xc093));
    put_desc(fm, S_CODE3, desc(0, 0xfffff, 0xc0fb));   /* STAR[63:48] = 0x18: 32-bit user code */
    put_desc(fm, S_DATA3, desc(0, 0xfffff, 0xc0f3));
    put_desc(fm, S_TSS_A, desc(TSS64, 0x67, 0x008b));
    put_desc(fm, S_TSS_A + 8, 0);
    put_desc(fm, S_CODE64, desc(0, 0xfffff, 0xa0fb));   /* 0x38: 64-bit user code */
    cpu->gdtr = (DescTable){ GDT, 0x57 };
    cpu->idtr = (DescTable){ IDT, 0xfff };
    fm_poke(fm, TSS64 + 4, 8, 0x9000);          /* RSP0 */
    fm_poke(fm, TSS64 + 0x24, 8, 0xa008);       /* IST1 (not 16-byte aligned on purpose) */
    seg_cache_from_desc(&cpu->tr, S_TSS_A, fm_peek(fm, GDT + S_TSS_A, 8));
    return fm;
}

static void put_gate64(FakeMachine *fm, int vec, uint64_t off, int dpl, int ist)
{
    fm_poke(fm, IDT + (uint32_t)vec * 16, 8, gate(S_CODE0, (uint32_t)off, 0xe, dpl, ist));
    fm_poke(fm, IDT + (uint32_t)vec * 16 + 8, 8, off >> 32);
}

START_TEST(int64_with_ist_aligns_stack_pushes_ss_rsp_and_iretq_returns)
{
    FakeMachine *fm = long_machine();
    Cpu *cpu = fm->cpu;
    put_gate64(fm, 0x80, 0x2500, 0, 1);
    fm_poke(fm, 0x2500, 2, 0xcf48);   /* iretq */
    const uint8_t code[] = { 0xcd, 0x80 };
    fm_code(fm, code, sizeof(code));
    cpu->gpr[R_SP] = 0x7008;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->rip, 0x2500);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0xa000 - 40);
    ck_assert_uint_eq(fm_peek(fm, 0xa000 - 40, 8), FM_CODE + 2);
    ck_assert_uint_eq(fm_peek(fm, 0xa000 - 32, 8), S_CODE0);
    ck_assert_uint_eq(fm_peek(fm, 0xa000 - 16, 8), 0x7008);
    ck_assert_uint_eq(fm_peek(fm, 0xa000 - 8, 8), S_DATA0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 2);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x7008);
    ck_assert_int_eq(cpu->code_bits, 64);
    fm_free(fm);
}
END_TEST

START_TEST(int64_from_ring3_loads_null_ss_with_rpl0)
{
    FakeMachine *fm = long_machine();
    Cpu *cpu = fm->cpu;
    put_gate64(fm, 0x80, 0x2500, 3, 0);
    const uint8_t code[] = { 0xcd, 0x80 };
    fm_code(fm, code, sizeof(code));
    seg_cache_from_desc(&cpu->seg[SEG_CS], S_CODE64 | 3, fm_peek(fm, GDT + S_CODE64, 8));
    seg_cache_from_desc(&cpu->seg[SEG_SS], S_DATA3 | 3, fm_peek(fm, GDT + S_DATA3, 8));
    cpu->cpl = 3;
    cpu->gpr[R_SP] = 0x7000;
    cpu_update_mode(cpu);
    ck_assert_int_eq(cpu->code_bits, 64);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, 0);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x9000 - 40);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 8, 8), S_DATA3 | 3);
    fm_free(fm);
}
END_TEST

START_TEST(syscall_sysret_64bit_round_trip)
{
    FakeMachine *fm = long_machine();
    Cpu *cpu = fm->cpu;
    cpu->efer |= EFER_SCE;
    cpu->star = ((uint64_t)0x28 << 48) | ((uint64_t)S_CODE0 << 32);   /* user CS 0x28+16=0x38 */
    cpu->lstar = 0x2600;
    cpu->sfmask = FL_IF | FL_DF;
    fm_poke(fm, 0x2600, 4, 0x070f48);   /* o64 sysret */
    const uint8_t code[] = { 0x0f, 0x05 };   /* syscall */
    fm_code(fm, code, sizeof(code));
    fm_set_flags(fm, FL_IF | FL_DF | FL_CF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->rip, 0x2600);
    ck_assert_uint_eq(cpu->gpr[R_CX], FM_CODE + 2);
    ck_assert_uint_eq(cpu->gpr[R_R11] & (FL_IF | FL_DF | FL_CF), FL_IF | FL_DF | FL_CF);
    ck_assert_uint_eq(cpu->eflags & (FL_IF | FL_DF), 0);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, S_DATA0);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, 0x3b);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, 0x33);
    ck_assert_int_eq(cpu->code_bits, 64);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 2);
    ck_assert_uint_eq(cpu->eflags & FL_IF, FL_IF);
    fm_free(fm);
}
END_TEST

START_TEST(syscall_without_sce_raises_ud)
{
    FakeMachine *fm = long_machine();
    const uint8_t code[] = { 0x0f, 0x05 };
    fm_code(fm, code, sizeof(code));
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
}
END_TEST

/* Intel: SYSCALL and SYSRET are #UD outside 64-bit mode even with EFER.SCE = 1 (SDM SYSCALL). */
START_TEST(syscall_sysret_outside_64bit_mode_raise_ud)
{
    FakeMachine *fm = pm_machine();
    fm->cpu->efer |= EFER_SCE;
    const uint8_t sc[] = { 0x0f, 0x05 };   /* syscall */
    const uint8_t sr[] = { 0x0f, 0x07 };   /* sysret */
    fm_code(fm, sc, sizeof(sc));
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_code(fm, sr, sizeof(sr));
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
    fm = long_machine();                   /* compatibility mode, CPL 3 */
    fm->cpu->efer |= EFER_SCE;
    fm_code(fm, sc, sizeof(sc));
    enter_ring3(fm, 0x7000);
    ck_assert_int_eq(fm->cpu->code_bits, 32);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    ck_assert_int_eq(fm->cpu->cpl, 3);
    fm_free(fm);
}
END_TEST

/* IRETQ to ring 3 nulls FS (DPL 0 data) but keeps its base, usable in 64-bit mode. */
START_TEST(iretq_to_outer_ring_nulls_fs_and_keeps_base)
{
    FakeMachine *fm = long_machine();
    Cpu *cpu = fm->cpu;
    cpu->seg[SEG_FS].base = 0x123456789ull;
    cpu->seg[SEG_GS].base = 0xabcdef000ull;
    cpu->seg[SEG_GS].sel = S_DATA3 | 3;
    cpu->seg[SEG_GS].attr |= 3 << 5;
    fm_poke(fm, 0x7000, 8, 0x2700);             /* RIP */
    fm_poke(fm, 0x7008, 8, S_CODE64 | 3);       /* CS */
    fm_poke(fm, 0x7010, 8, 0x2);                /* RFLAGS */
    fm_poke(fm, 0x7018, 8, 0x6000);             /* RSP */
    fm_poke(fm, 0x7020, 8, S_DATA3 | 3);        /* SS */
    const uint8_t code[] = { 0x48, 0xcf };      /* iretq */
    fm_code(fm, code, sizeof(code));
    cpu->gpr[R_SP] = 0x7000;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->seg[SEG_FS].sel, 0);
    ck_assert_uint_eq(cpu->seg[SEG_FS].base, 0x123456789ull);
    ck_assert_uint_eq(cpu->seg[SEG_GS].sel, S_DATA3 | 3);
    ck_assert_uint_eq(cpu->seg[SEG_GS].base, 0xabcdef000ull);
    fm_free(fm);
}
END_TEST

START_TEST(callgate64_from_compat_ring3_pushes_8byte_frame_and_retfq_returns)
{
    FakeMachine *fm = long_machine();
    Cpu *cpu = fm->cpu;
    put_desc(fm, 0x48, gate(S_CODE0, 0x2900, 0xc, 3, 0));
    put_desc(fm, 0x50, 0);
    cpu->gdtr.limit = 0x57;
    fm_poke(fm, 0x2900, 2, 0xcb48);   /* retfq */
    const uint8_t code[] = { 0x9a, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00 };   /* call 0x4b:0 */
    fm_code(fm, code, sizeof(code));
    seg_cache_from_desc(&cpu->seg[SEG_CS], S_CODE3 | 3, fm_peek(fm, GDT + S_CODE3, 8));
    seg_cache_from_desc(&cpu->seg[SEG_SS], S_DATA3 | 3, fm_peek(fm, GDT + S_DATA3, 8));
    cpu->cpl = 3;
    cpu->gpr[R_SP] = 0x7000;
    cpu_update_mode(cpu);
    ck_assert_int_eq(cpu->code_bits, 32);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_int_eq(cpu->code_bits, 64);
    ck_assert_uint_eq(cpu->rip, 0x2900);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, 0);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x9000 - 32);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 32, 8), FM_CODE + 7);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 24, 8), S_CODE3 | 3);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 16, 8), 0x7000);
    ck_assert_uint_eq(fm_peek(fm, 0x9000 - 8, 8), S_DATA3 | 3);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_int_eq(cpu->code_bits, 32);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, S_DATA3 | 3);
    ck_assert_uint_eq(cpu->gpr[R_SP], 0x7000);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 7);
    fm_free(fm);
}
END_TEST

/* ---- real mode ---- */

START_TEST(real_callfar_pushes_cs_ip_and_retf_returns)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    Cpu *cpu = fm->cpu;
    /* call 0x0200:0x0010 (linear 0x2010), which returns with retf */
    const uint8_t code[] = { 0x9a, 0x10, 0x00, 0x00, 0x02 };
    fm_code(fm, code, sizeof(code));
    fm_poke(fm, 0x2010, 1, 0xcb);   /* retf */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->seg[SEG_CS].base, 0x2000);
    ck_assert_uint_eq(cpu->rip, 0x10);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK - 2, 2), 0);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK - 4, 2), FM_CODE + 5);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, 0);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 5);
    fm_free(fm);
}
END_TEST

START_TEST(real_int_pushes_flags_cs_ip_and_iret_restores)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    Cpu *cpu = fm->cpu;
    fm_poke(fm, 0x21 * 4, 2, 0x0020);
    fm_poke(fm, 0x21 * 4 + 2, 2, 0x0200);
    fm_poke(fm, 0x2020, 1, 0xcf);   /* iret */
    const uint8_t code[] = { 0xcd, 0x21 };
    fm_code(fm, code, sizeof(code));
    fm_set_flags(fm, FL_IF | FL_ZF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, 0x200);
    ck_assert_uint_eq(cpu->rip, 0x20);
    ck_assert_uint_eq(cpu->eflags & FL_IF, 0);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK - 2, 2), FL_IF | FL_ZF | FL_FIXED1);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 2);
    ck_assert_uint_eq(cpu->eflags & FL_IF, FL_IF);
    ck_assert_uint_eq(fm_flags(fm) & FL_ZF, FL_ZF);
    ck_assert_uint_eq(cpu->gpr[R_SP], FM_STACK);
    fm_free(fm);
}
END_TEST

static Suite *far_suite(void)
{
    Suite *s = suite_create("far");
    TCase *pm = tcase_create("protected");
    tcase_add_test(pm, callfar_same_privilege_pushes_cs_eip_and_retf_returns);
    tcase_add_test(pm, jmpfar_to_16bit_code_switches_code_size);
    tcase_add_test(pm, jmpfar_to_dpl3_code_from_cpl0_raises_gp_selector);
    tcase_add_test(pm, callgate_from_ring3_switches_stack_copies_params_and_retf_returns);
    tcase_add_test(pm, int_from_ring3_through_dpl3_gate_switches_stack_and_iret_returns);
    tcase_add_test(pm, int_from_ring3_through_dpl0_gate_raises_gp_idt_code);
    tcase_add_test(pm, int_through_not_present_gate_raises_np);
    tcase_add_test(pm, jmp_to_tss_saves_state_and_moves_busy_bit);
    tcase_add_test(pm, call_task_gate_sets_nt_backlink_and_iret_returns);
    tcase_add_test(pm, jmp_to_busy_tss_raises_gp);
    tcase_add_test(pm, jmp_to_tss_with_t_bit_traps_before_first_instruction);
    tcase_add_test(pm, mov_ss_sets_interrupt_shadow);
    tcase_add_test(pm, mov_ds_with_code_selector_raises_gp);
    tcase_add_test(pm, mov_ss_with_dpl3_data_at_cpl0_raises_gp);
    tcase_add_test(pm, push_ds_32bit_moves_esp_by_4_and_writes_16_bits);
    tcase_add_test(pm, lss_loads_ss_and_register);
    tcase_add_test(pm, sysenter_sysexit_switch_rings);
    tcase_add_test(pm, fault_with_not_present_gp_gate_escalates_to_df);
    tcase_add_test(pm, exception_through_task_gate_pushes_error_code_on_new_task_stack);
    tcase_add_test(pm, jmp_to_16bit_tss_loads_16bit_state);
    tcase_add_test(pm, iret_from_cpl0_with_vm_enters_v86_and_int_with_iopl0_raises_gp);
    tcase_add_test(pm, gp_in_v86_switches_to_ring0_stack_and_pushes_segments);
    tcase_add_test(pm, int_with_bad_tss_ss0_raises_ts_and_changes_nothing);
    suite_add_tcase(s, pm);
    TCase *lm = tcase_create("long");
    tcase_add_test(lm, int64_with_ist_aligns_stack_pushes_ss_rsp_and_iretq_returns);
    tcase_add_test(lm, int64_from_ring3_loads_null_ss_with_rpl0);
    tcase_add_test(lm, syscall_sysret_64bit_round_trip);
    tcase_add_test(lm, syscall_without_sce_raises_ud);
    tcase_add_test(lm, syscall_sysret_outside_64bit_mode_raise_ud);
    tcase_add_test(lm, iretq_to_outer_ring_nulls_fs_and_keeps_base);
    tcase_add_test(lm, callgate64_from_compat_ring3_pushes_8byte_frame_and_retfq_returns);
    suite_add_tcase(s, lm);
    TCase *rm = tcase_create("real");
    tcase_add_test(rm, real_callfar_pushes_cs_ip_and_retf_returns);
    tcase_add_test(rm, real_int_pushes_flags_cs_ip_and_iret_restores);
    suite_add_tcase(s, rm);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(far_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
