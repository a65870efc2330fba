/*
 * test_dbreg.c — the debug registers as breakpoints (cpu/dbreg.c) and the run loop's debug and NMI
 * events (cpu/exec.c), on the fake machine in real mode: faults go through fm_trap_vectors(), so
 * a #DB or NMI ends at the HLT of its vector and the pushed IP is on the stack.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/dbreg.h"
#include "cpu/decode.h"
#include "tests/unit/fake_machine.h"

#define WATCH 0x3000u

static FakeMachine *real_machine(void)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_trap_vectors(fm);
    return fm;
}

/* DR7 for breakpoint n: enabled (Ln), R/W and LEN fields as encoded. */
static uint64_t dr7_bp(int n, unsigned rw, unsigned len)
{
    return 0x400u | (1u << (2 * n)) | (rw << (16 + 4 * n)) | (len << (18 + 4 * n));
}

static void arm(FakeMachine *fm, int n, uint64_t addr, uint64_t dr7)
{
    fm->cpu->dr[n] = addr;
    fm->cpu->dr[7] = dr7;
    dbreg_update(fm->cpu);
}

/* IP pushed by the last real-mode event (the frame is IP, CS, FLAGS below FM_STACK). */
static uint64_t pushed_ip(const FakeMachine *fm)
{
    return fm_peek(fm, FM_STACK - 6, 2);
}

START_TEST(dbreg_io_rw_not_armed)
{
    FakeMachine *fm = real_machine();
    arm(fm, 0, 0x60, dr7_bp(0, 2, 0));   /* R/W = 10: I/O, not modelled */
    ck_assert_uint_eq(fm->cpu->dbg_data_armed, 0);
    ck_assert_uint_eq(fm->cpu->dbg_insn_armed, 0);
    fm_free(fm);
}
END_TEST

START_TEST(dbreg_unaligned_address_covers_aligned_len)
{
    FakeMachine *fm = real_machine();
    Cpu *cpu = fm->cpu;
    arm(fm, 1, WATCH + 3, dr7_bp(1, 1, 3));   /* write, LEN = 11: 4 bytes at WATCH */
    dbreg_check_data(cpu, WATCH + 4, 4, true);
    dbreg_check_data(cpu, WATCH - 1, 1, true);
    dbreg_check_data(cpu, WATCH, 4, false);    /* a read: R/W = 01 watches writes only */
    ck_assert_uint_eq(cpu->db_hit, 0);
    dbreg_check_data(cpu, WATCH - 1, 2, true);
    ck_assert_uint_eq(cpu->db_hit, 2);
    fm_free(fm);
}
END_TEST

START_TEST(dbreg_len10_covers_eight_bytes)
{
    FakeMachine *fm = real_machine();
    Cpu *cpu = fm->cpu;
    arm(fm, 3, WATCH + 8, dr7_bp(3, 3, 2));   /* read/write, LEN = 10: 8 bytes */
    dbreg_check_data(cpu, WATCH + 7, 1, false);
    dbreg_check_data(cpu, WATCH + 16, 1, false);
    ck_assert_uint_eq(cpu->db_hit, 0);
    dbreg_check_data(cpu, WATCH + 15, 1, false);
    ck_assert_uint_eq(cpu->db_hit, 8);
    fm_free(fm);
}
END_TEST

START_TEST(tlb_watched_page_loses_data_tags_only)
{
    FakeMachine *fm = real_machine();
    Cpu *cpu = fm->cpu;
    arm(fm, 0, WATCH + 0x10, dr7_bp(0, 1, 0));
    tlb_translate(cpu, WATCH, ACC_READ, 0);
    tlb_translate(cpu, WATCH + PAGE_SIZE, ACC_READ, 0);
    const TlbEntry *w = &cpu->tlb.e[0][(WATCH >> 12) & (TLB_SIZE - 1)];
    const TlbEntry *n = &cpu->tlb.e[0][((WATCH + PAGE_SIZE) >> 12) & (TLB_SIZE - 1)];
    ck_assert_uint_eq(w->tag_r, TLB_INVALID);
    ck_assert_uint_eq(w->tag_w, TLB_INVALID);
    ck_assert_uint_eq(w->tag_x, WATCH);
    ck_assert_uint_eq(n->tag_r, WATCH + PAGE_SIZE);
    ck_assert_uint_eq(n->tag_w, WATCH + PAGE_SIZE);
    /* Disarming flushes the TLB; the page gets its fast path back at the next refill. */
    cpu->dr[7] = 0x400;
    dbreg_update(cpu);
    tlb_translate(cpu, WATCH, ACC_READ, 0);
    ck_assert_uint_eq(w->tag_r, WATCH);
    ck_assert_uint_eq(w->tag_w, WATCH);
    fm_free(fm);
}
END_TEST

START_TEST(data_write_breakpoint_traps_after_the_store)
{
    FakeMachine *fm = real_machine();
    Cpu *cpu = fm->cpu;
    arm(fm, 2, WATCH + 1, dr7_bp(2, 1, 1));   /* write, 2 bytes at WATCH */
    FM_LOAD(fm, 0xa2, 0x00, 0x30,   /* mov [0x3000], al */
                0x90);              /* nop */
    cpu->gpr[R_AX] = 0x5a;
    ck_assert_int_eq(fm_run(fm, 10), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_DB);
    ck_assert_uint_eq(pushed_ip(fm), FM_CODE + 3);
    ck_assert_uint_eq(fm_peek(fm, WATCH, 1), 0x5a);
    ck_assert_uint_eq(cpu->dr[6] & 0xf, 4);
    fm_free(fm);
}
END_TEST

START_TEST(instruction_breakpoint_faults_unless_rf)
{
    FakeMachine *fm = real_machine();
    Cpu *cpu = fm->cpu;
    arm(fm, 0, FM_CODE + 1, dr7_bp(0, 0, 0));
    FM_LOAD(fm, 0x90,   /* nop */
                0x41);  /* inc cx */
    ck_assert_int_eq(fm_run(fm, 10), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_DB);
    ck_assert_uint_eq(pushed_ip(fm), FM_CODE + 1);
    ck_assert_uint_eq(cpu->gpr[R_CX] & 0xffff, 0);
    ck_assert_uint_eq(cpu->dr[6] & 0xf, 1);
    /* Resumed with RF = 1 the instruction runs once and RF is gone after it. */
    cpu->rip = FM_CODE + 1;
    cpu->halted = false;
    fm_set_flags(fm, FL_RF);
    ck_assert_int_eq(fm_run(fm, 1), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->gpr[R_CX] & 0xffff, 1);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 3);   /* past the final HLT */
    ck_assert_uint_eq(cpu->eflags & FL_RF, 0);
    fm_free(fm);
}
END_TEST

START_TEST(movdr_with_gd_faults_with_bd_and_clears_gd)
{
    FakeMachine *fm = real_machine();
    Cpu *cpu = fm->cpu;
    cpu->dr[7] = 0x400 | DR7_GD;
    FM_LOAD(fm, 0x0f, 0x21, 0xc0);   /* mov eax, dr0 */
    ck_assert_int_eq(fm_run(fm, 10), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_DB);
    ck_assert_uint_eq(pushed_ip(fm), FM_CODE);
    ck_assert_uint_eq(cpu->dr[6] & DR6_BD, DR6_BD);
    ck_assert_uint_eq(cpu->dr[7] & DR7_GD, 0);
    fm_free(fm);
}
END_TEST

START_TEST(nmi_while_blocked_waits_for_iret)
{
    FakeMachine *fm = real_machine();
    Cpu *cpu = fm->cpu;
    /* iret's frame: back to the NOP after it */
    fm_poke(fm, FM_STACK, 2, FM_CODE + 2);
    fm_poke(fm, FM_STACK + 2, 2, 0);
    fm_poke(fm, FM_STACK + 4, 2, 2);
    FM_LOAD(fm, 0x90,   /* nop */
                0xcf,   /* iret */
                0x90);  /* nop */
    cpu->nmi_blocked = true;
    cpu->nmi_pending = true;
    cpu_run(cpu, cpu->icount + 1);   /* the NOP */
    ck_assert_uint_eq(cpu->rip, FM_CODE + 1);
    ck_assert(cpu->nmi_pending);
    ck_assert_int_eq(fm_run(fm, 10), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_NMI);
    ck_assert_uint_eq(fm_peek(fm, FM_STACK, 2), FM_CODE + 2);   /* the NMI frame where IRET's was */
    ck_assert(cpu->nmi_blocked);
    ck_assert(!cpu->nmi_pending);
    fm_free(fm);
}
END_TEST

START_TEST(rep_movsb_under_tf_traps_after_one_iteration)
{
    FakeMachine *fm = real_machine();
    Cpu *cpu = fm->cpu;
    FM_LOAD(fm, 0xf3, 0xa4);   /* rep movsb */
    cpu->gpr[R_CX] = 3;
    cpu->gpr[R_SI] = WATCH;
    cpu->gpr[R_DI] = WATCH + 0x100;
    fm_set_flags(fm, FL_TF);
    ck_assert_int_eq(fm_run(fm, 10), CPU_EXIT_HALT);
    ck_assert_int_eq(fm_trapped(fm), EXC_DB);
    ck_assert_uint_eq(pushed_ip(fm), FM_CODE);
    ck_assert_uint_eq(cpu->gpr[R_CX] & 0xffff, 2);
    ck_assert_uint_eq(cpu->dr[6] & DR6_BS, DR6_BS);
    fm_free(fm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dbreg");
    TCase *tc = tcase_create("dbreg");
    tcase_add_test(tc, dbreg_io_rw_not_armed);
    tcase_add_test(tc, dbreg_unaligned_address_covers_aligned_len);
    tcase_add_test(tc, dbreg_len10_covers_eight_bytes);
    tcase_add_test(tc, tlb_watched_page_loses_data_tags_only);
    tcase_add_test(tc, data_write_breakpoint_traps_after_the_store);
    tcase_add_test(tc, instruction_breakpoint_faults_unless_rf);
    tcase_add_test(tc, movdr_with_gd_faults_with_bd_and_clears_gd);
    tcase_add_test(tc, nmi_while_blocked_waits_for_iret);
    tcase_add_test(tc, rep_movsb_under_tf_traps_after_one_iteration);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
