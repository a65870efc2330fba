/*
 * test_stack.c — stack instructions (cpu/stack.c) on the fake machine: raw instruction bytes,
 * assembly in the comment next to them.  The fake machine starts with SP = FM_STACK (0x8000).
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "cpu/seg.h"
#include "tests/unit/fake_machine.h"

static FakeMachine *prep(FmMode mode, const uint8_t *code, size_t len)
{
    FakeMachine *fm = fm_new(mode);
    fm_code(fm, code, len);
    return fm;
}

/* Virtual-8086 mode with all segments at 0 and the given IOPL (CPL 3). */
static void enter_v86(FakeMachine *fm, int iopl)
{
    Cpu *cpu = fm->cpu;
    cpu->eflags = (cpu->eflags & ~FL_IOPL) | FL_VM | ((uint32_t)iopl << 12);
    for (int s = 0; s < 6; s++)
        seg_set_real_full(cpu, s, 0);
    cpu_update_mode(cpu);
}

START_TEST(push_imm8_sign_extends_to_operand_size)
{
    static const uint8_t c[] = { 0x6a, 0x80 };   /* push -0x80 (32-bit) */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x7ffc);
    ck_assert_uint_eq(fm_peek(fm, 0x7ffc, 4), 0xffffff80);
    fm_free(fm);
}
END_TEST

START_TEST(push_sp_pushes_value_before_push)
{
    static const uint8_t c[] = { 0x54 };   /* push sp */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x7ffe);
    ck_assert_uint_eq(fm_peek(fm, 0x7ffe, 2), 0x8000);
    fm_free(fm);
}
END_TEST

START_TEST(push_long_mode_defaults_to_64_and_66_gives_16)
{
    static const uint8_t c[] = {
        0x50,         /* push rax */
        0x66, 0x53,   /* push bx */
        0xff, 0x33,   /* push qword [rbx] */
    };
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x1122334455667788ull;
    fm->cpu->gpr[R_BX] = 0x3000;
    fm_poke(fm, 0x3000, 8, 0xa1a2a3a4a5a6a7a8ull);
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x8000 - 18);
    ck_assert_uint_eq(fm_peek(fm, 0x7ff8, 8), 0x1122334455667788ull);
    ck_assert_uint_eq(fm_peek(fm, 0x7ff6, 2), 0x3000);
    ck_assert_uint_eq(fm_peek(fm, 0x7fee, 8), 0xa1a2a3a4a5a6a7a8ull);
    fm_free(fm);
}
END_TEST

START_TEST(pop_mem_esp_based_uses_incremented_esp)
{
    static const uint8_t c[] = { 0x8f, 0x04, 0x24 };   /* pop dword [esp] */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_SP] = 0x7000;
    fm_poke(fm, 0x7000, 4, 0x1234abcd);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x7004);
    ck_assert_uint_eq(fm_peek(fm, 0x7004, 4), 0x1234abcd);
    fm_free(fm);
}
END_TEST

START_TEST(pop_mem_fault_leaves_esp_unchanged)
{
    static const uint8_t c[] = { 0x8f, 0x00 };   /* pop qword [rax] */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_AX] = 0x8000000000000000ull;   /* non-canonical */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x8000);
    fm_free(fm);
}
END_TEST

START_TEST(pop_esp_loads_popped_value)
{
    static const uint8_t c[] = { 0x5c };   /* pop esp */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_SP] = 0x7000;
    fm_poke(fm, 0x7000, 4, 0x6000);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x6000);
    fm_free(fm);
}
END_TEST

START_TEST(pusha_popa_round_trip_skips_sp)
{
    static const uint8_t c[] = { 0x60, 0x61 };   /* pusha; popa */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    for (int r = R_AX; r <= R_DI; r++)
        if (r != R_SP)
            fm->cpu->gpr[r] = 0x1110 + (uint64_t)r;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x7ff0);
    ck_assert_uint_eq(fm_peek(fm, 0x7ffe, 2), 0x1110);   /* AX first */
    ck_assert_uint_eq(fm_peek(fm, 0x7ff6, 2), 0x8000);   /* SP before PUSHA */
    ck_assert_uint_eq(fm_peek(fm, 0x7ff0, 2), 0x1117);   /* DI last */
    fm_poke(fm, 0x7ff6, 2, 0x4444);                      /* POPA ignores the SP slot */
    fm_poke(fm, 0x7ffe, 2, 0x5555);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x8000);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x5555);
    ck_assert_uint_eq(fm->cpu->gpr[R_DI], 0x1117);
    fm_free(fm);
}
END_TEST

/* PUSHAD with ESP = 0x10 on an expand-up stack: the last four slots would wrap below offset 0
 * (beyond the limit), so #SS(0) comes before any slot is written and ESP stays. */
START_TEST(pushad_crossing_segment_limit_writes_nothing)
{
    static const uint8_t c[] = { 0x60 };   /* pushad */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->seg[SEG_SS].limit = 0xfff;
    seg_cache_update(&fm->cpu->seg[SEG_SS]);
    fm->cpu->gpr[R_SP] = 0x10;
    fm->cpu->gpr[R_AX] = 0x11111111;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_SS);
    ck_assert_uint_eq(fm->cpu->exc_error, 0);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x10);
    ck_assert_uint_eq(fm_peek(fm, 0xc, 4), 0);
    fm_free(fm);
}
END_TEST

/* ENTER with a 32-bit operand on a 16-bit stack: pushes EBP and FrameTemp (ESP[31:16] kept) as
 * dwords, writes only BP and SP. */
START_TEST(enter_o32_on_16bit_stack_writes_only_bp)
{
    static const uint8_t c[] = { 0x66, 0xc8, 0x08, 0x00, 0x01 };   /* o32 enter 8, 1 */
    FakeMachine *fm = prep(FM_PM16, c, sizeof c);
    fm->cpu->seg[SEG_SS].attr &= ~SEG_ATTR_DB;   /* 16-bit stack (SS.B = 0) */
    fm->cpu->seg[SEG_SS].limit = 0xffff;
    seg_cache_update(&fm->cpu->seg[SEG_SS]);
    fm->cpu->gpr[R_SP] = 0xabcd7000;
    fm->cpu->gpr[R_BP] = 0x12345678;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x6ffc, 4), 0x12345678);   /* EBP */
    ck_assert_uint_eq(fm_peek(fm, 0x6ff8, 4), 0xabcd6ffc);   /* FrameTemp */
    ck_assert_uint_eq(fm->cpu->gpr[R_BP], 0x12346ffc);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0xabcd6ff0);
    fm_free(fm);
}
END_TEST

/* ENTER whose final rSP leaves the segment: #SS(0) with nothing written. */
START_TEST(enter_final_sp_beyond_limit_writes_nothing)
{
    static const uint8_t c[] = { 0xc8, 0x00, 0x01, 0x00 };   /* enter 0x100, 0 */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->seg[SEG_SS].attr |= 0x4;          /* expand-down, valid offsets 0x1000.. */
    fm->cpu->seg[SEG_SS].limit = 0xfff;
    seg_cache_update(&fm->cpu->seg[SEG_SS]);
    fm->cpu->gpr[R_SP] = 0x1080;
    fm->cpu->gpr[R_BP] = 0x55555555;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_SS);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x1080);
    ck_assert_uint_eq(fm->cpu->gpr[R_BP], 0x55555555);
    ck_assert_uint_eq(fm_peek(fm, 0x107c, 4), 0);
    fm_free(fm);
}
END_TEST

START_TEST(enter_level2_copies_outer_frame_pointer)
{
    static const uint8_t c[] = { 0xc8, 0x10, 0x00, 0x02 };   /* enter 16, 2 */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->gpr[R_SP] = 0x7000;
    fm->cpu->gpr[R_BP] = 0x7800;
    fm_poke(fm, 0x77fc, 4, 0xaaaa1111);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x6ffc, 4), 0x7800);       /* old EBP */
    ck_assert_uint_eq(fm_peek(fm, 0x6ff8, 4), 0xaaaa1111);   /* [EBP-4] of the outer frame */
    ck_assert_uint_eq(fm_peek(fm, 0x6ff4, 4), 0x6ffc);       /* FrameTemp */
    ck_assert_uint_eq(fm->cpu->gpr[R_BP], 0x6ffc);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x6ff4 - 16);
    fm_free(fm);
}
END_TEST

START_TEST(enter_leave_level0_round_trip)
{
    static const uint8_t c[] = { 0xc8, 0x20, 0x00, 0x00, 0xc9 };   /* enter 32, 0; leave */
    FakeMachine *fm = prep(FM_LONG64, c, sizeof c);
    fm->cpu->gpr[R_BP] = 0x123456789ull;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_BP], 0x7ff8);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x7ff8 - 32);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_BP], 0x123456789ull);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x8000);
    fm_free(fm);
}
END_TEST

START_TEST(pushf_clears_vm_and_rf_in_image)
{
    static const uint8_t c[] = { 0x9c };   /* pushfd */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->eflags |= FL_RF;
    fm_set_flags(fm, FL_CF | FL_RF | FL_ZF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x7ffc, 4), FL_CF | FL_ZF | FL_FIXED1);
    fm_free(fm);
}
END_TEST

START_TEST(popf_cpl3_keeps_iopl_and_if)
{
    static const uint8_t c[] = { 0x9d };   /* popfd */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->cpl = 3;
    fm_poke(fm, 0x8000, 4, FL_IOPL | FL_IF | FL_CF | FL_DF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    uint32_t fl = cpu_get_eflags(fm->cpu);
    ck_assert_uint_eq(fl & (FL_IOPL | FL_IF), 0);
    ck_assert_uint_eq(fl & (FL_CF | FL_DF), FL_CF | FL_DF);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x8004);
    fm_free(fm);
}
END_TEST

START_TEST(popf_cpl3_with_iopl3_changes_if)
{
    static const uint8_t c[] = { 0x9d };   /* popfd */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->cpl = 3;
    fm->cpu->eflags |= FL_IOPL;
    fm_poke(fm, 0x8000, 4, FL_IF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu_get_eflags(fm->cpu) & (FL_IOPL | FL_IF), FL_IOPL | FL_IF);
    fm_free(fm);
}
END_TEST

START_TEST(popf_cpl0_sets_iopl_clears_rf_keeps_vm)
{
    static const uint8_t c[] = { 0x9d };   /* popfd */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    fm->cpu->eflags |= FL_RF;
    fm_poke(fm, 0x8000, 4, FL_IOPL | FL_VM | FL_RF | FL_NT | FL_AC | FL_ID | FL_VIF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    uint32_t fl = cpu_get_eflags(fm->cpu);
    ck_assert_uint_eq(fl, FL_IOPL | FL_NT | FL_AC | FL_ID | FL_FIXED1);
    fm_free(fm);
}
END_TEST

START_TEST(popf_16bit_real_mode_changes_low_word_only)
{
    static const uint8_t c[] = { 0x9d };   /* popf */
    FakeMachine *fm = prep(FM_REAL16, c, sizeof c);
    fm->cpu->eflags |= FL_AC;
    fm_poke(fm, 0x8000, 2, 0xffff);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(cpu_get_eflags(fm->cpu), 0x40000u | 0x7fd7u);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x8002);
    fm_free(fm);
}
END_TEST

START_TEST(pushf_popf_v86_iopl0_raise_gp)
{
    static const uint8_t c[] = { 0x9c, 0x9d };   /* pushf; popf */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    enter_v86(fm, 0);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->gpr[R_SP], 0x8000);
    fm->cpu->rip = FM_CODE + 1;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(popf_v86_iopl3_keeps_iopl_and_vm)
{
    static const uint8_t c[] = { 0x66, 0x9d };   /* popfd */
    FakeMachine *fm = prep(FM_PM32, c, sizeof c);
    enter_v86(fm, 3);
    fm_poke(fm, 0x8000, 4, FL_IF | FL_CF);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    uint32_t fl = cpu_get_eflags(fm->cpu);
    ck_assert_uint_eq(fl & (FL_VM | FL_IOPL | FL_IF | FL_CF), FL_VM | FL_IOPL | FL_IF | FL_CF);
    fm_free(fm);
}
END_TEST

static Suite *stack_suite(void)
{
    Suite *s = suite_create("stack");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, push_imm8_sign_extends_to_operand_size);
    tcase_add_test(tc, push_sp_pushes_value_before_push);
    tcase_add_test(tc, push_long_mode_defaults_to_64_and_66_gives_16);
    tcase_add_test(tc, pop_mem_esp_based_uses_incremented_esp);
    tcase_add_test(tc, pop_mem_fault_leaves_esp_unchanged);
    tcase_add_test(tc, pop_esp_loads_popped_value);
    tcase_add_test(tc, pusha_popa_round_trip_skips_sp);
    tcase_add_test(tc, pushad_crossing_segment_limit_writes_nothing);
    tcase_add_test(tc, enter_o32_on_16bit_stack_writes_only_bp);
    tcase_add_test(tc, enter_final_sp_beyond_limit_writes_nothing);
    tcase_add_test(tc, enter_level2_copies_outer_frame_pointer);
    tcase_add_test(tc, enter_leave_level0_round_trip);
    tcase_add_test(tc, pushf_clears_vm_and_rf_in_image);
    tcase_add_test(tc, popf_cpl3_keeps_iopl_and_if);
    tcase_add_test(tc, popf_cpl3_with_iopl3_changes_if);
    tcase_add_test(tc, popf_cpl0_sets_iopl_clears_rf_keeps_vm);
    tcase_add_test(tc, popf_16bit_real_mode_changes_low_word_only);
    tcase_add_test(tc, pushf_popf_v86_iopl0_raise_gp);
    tcase_add_test(tc, popf_v86_iopl3_keeps_iopl_and_vm);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stack_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
