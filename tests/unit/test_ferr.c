/*
 * test_ferr.c — x87 errors in MS-DOS compatibility mode (CR0.NE = 0): FERR#, the freeze at the
 * waiting instruction and IGNNE# (SDM vol. 1, D.2.1-D.2.2; cpu/x87.c).
 *
 * The fake bus gets a FERR# hook that counts assertions in guest RAM (no test globals).  The
 * board's port 0xF0 is modelled by setting cpu->ignne, as vm/board.c does while FERR# is active.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/x87.h"
#include "fake_machine.h"

#define CWA    0x6000u      /* control word operand */
#define COUNT  0x6010u      /* FERR# assertions */

static void count_ferr(void *opaque)
{
    FakeMachine *fm = opaque;
    fm_poke(fm, COUNT, 4, fm_peek(fm, COUNT, 4) + 1);
}

/* Leaves an unmasked divide-by-zero pending (SW.ES) with CR0.NE = 0, FERR# wired. */
static FakeMachine *prep(void)
{
    static const uint8_t c[] = {
        0xdb, 0xe3,         /* fninit */
        0xd9, 0x2b,         /* fldcw [ebx]: ZM clear */
        0xd9, 0xe8,         /* fld1 */
        0xd9, 0xee,         /* fldz */
        0xde, 0xf9,         /* fdivp st1, st0: 1/0, ZE + ES, nothing raised */
        0xd9, 0xe8,         /* fld1: waiting instruction (offset 10) */
        0x9b,               /* fwait (offset 12) */
        0xdb, 0xe2,         /* fnclex (offset 13) */
        0xd9, 0xe8,         /* fld1 (offset 15) */
    };
    FakeMachine *fm = fm_new(FM_PM32);
    fm_code(fm, c, sizeof c);
    fm->bus.ferr = count_ferr;
    fm->cpu->cr0 &= ~(uint64_t)(CR0_NE | CR0_EM | CR0_TS);
    fm->cpu->gpr[R_BX] = CWA;
    fm_poke(fm, CWA, 2, 0x037b);
    fm_poke(fm, COUNT, 4, 0);
    ck_assert_int_eq(fm_exec(fm, 5), -1);
    ck_assert_uint_eq(fm->cpu->fpu.sw & X87_SW_ES, X87_SW_ES);
    ck_assert_uint_eq(fm_peek(fm, COUNT, 4), 0);
    return fm;
}

START_TEST(ferr_waiting_insn_asserts_ferr_and_freezes_before_it)
{
    FakeMachine *fm = prep();
    int top = x87_top(&fm->cpu->fpu);
    ck_assert_int_eq(fm_exec(fm, 1), CPU_EXC_FREEZE);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 10);        /* still at the FLD1 */
    ck_assert(fm->cpu->halted);
    ck_assert(fm->cpu->ferr);
    ck_assert_int_eq(x87_top(&fm->cpu->fpu), top);        /* FLD1 did nothing */
    ck_assert_uint_eq(fm_peek(fm, COUNT, 4), 1);
    fm->cpu->halted = false;                              /* an interrupt came and returned */
    ck_assert_int_eq(fm_exec(fm, 1), CPU_EXC_FREEZE);     /* error still there: frozen again */
    ck_assert_uint_eq(fm_peek(fm, COUNT, 4), 1);          /* FERR# already active: no new edge */
    fm_free(fm);
}
END_TEST

START_TEST(ferr_ignne_lets_waiting_insns_ignore_the_error)
{
    FakeMachine *fm = prep();
    int top = x87_top(&fm->cpu->fpu);
    ck_assert_int_eq(fm_exec(fm, 1), CPU_EXC_FREEZE);
    fm->cpu->halted = false;
    fm->cpu->ignne = true;                                /* port 0xF0 in the IRQ 13 handler */
    ck_assert_int_eq(fm_exec(fm, 2), -1);                 /* FLD1 and FWAIT run */
    ck_assert_int_eq(x87_top(&fm->cpu->fpu), (top + 7) & 7);
    ck_assert_uint_eq(fm->cpu->fpu.sw & X87_SW_ES, X87_SW_ES);
    ck_assert_uint_eq(fm_peek(fm, COUNT, 4), 1);
    fm_free(fm);
}
END_TEST

START_TEST(ferr_fnclex_releases_ferr_and_ignne)
{
    FakeMachine *fm = prep();
    ck_assert_int_eq(fm_exec(fm, 1), CPU_EXC_FREEZE);
    fm->cpu->halted = false;
    fm->cpu->ignne = true;
    ck_assert_int_eq(fm_exec(fm, 3), -1);                 /* FLD1, FWAIT, FNCLEX */
    ck_assert(!fm->cpu->ferr);
    ck_assert(!fm->cpu->ignne);
    ck_assert_int_eq(fm_exec(fm, 1), -1);                 /* FLD1 with nothing pending */
    fm_free(fm);
}
END_TEST

START_TEST(ferr_released_by_clear_es_then_new_error_asserts_again)
{
    FakeMachine *fm = prep();
    ck_assert_int_eq(fm_exec(fm, 1), CPU_EXC_FREEZE);
    fm->cpu->halted = false;
    fm->cpu->ignne = true;
    fm->cpu->fpu.sw &= (uint16_t)~0x80ff;                 /* as an FLDENV in the handler would */
    ck_assert_int_eq(fm_exec(fm, 1), -1);                 /* FLD1: ES clear, FERR# drops */
    ck_assert(!fm->cpu->ferr && !fm->cpu->ignne);
    fm->cpu->fpu.sw |= X87_SW_ZE;                         /* a new unmasked error */
    x87_update_es(&fm->cpu->fpu);
    ck_assert_int_eq(fm_exec(fm, 1), CPU_EXC_FREEZE);     /* FWAIT: frozen, FERR# again */
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 12);
    ck_assert_uint_eq(fm_peek(fm, COUNT, 4), 2);
    fm_free(fm);
}
END_TEST

START_TEST(ferr_native_mode_raises_mf_without_ferr)
{
    FakeMachine *fm = prep();
    fm->cpu->cr0 |= CR0_NE;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_MF);
    ck_assert(!fm->cpu->ferr);
    ck_assert(!fm->cpu->halted);
    ck_assert_uint_eq(fm_peek(fm, COUNT, 4), 0);
    fm_free(fm);
}
END_TEST

START_TEST(ferr_unwired_bus_runs_the_instruction)
{
    FakeMachine *fm = prep();
    fm->bus.ferr = NULL;                                  /* IGNNE# counts as held active */
    int top = x87_top(&fm->cpu->fpu);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_int_eq(x87_top(&fm->cpu->fpu), (top + 7) & 7);
    fm_free(fm);
}
END_TEST

START_TEST(ferr_freeze_in_run_loop_halts_at_the_instruction)
{
    FakeMachine *fm = prep();
    fm->cpu->eflags &= ~(uint32_t)FL_IF;
    ck_assert_int_eq(fm_run(fm, 10), CPU_EXIT_HALT);
    ck_assert_uint_eq(fm->cpu->rip, FM_CODE + 10);
    ck_assert(fm->cpu->halted);
    fm_free(fm);
}
END_TEST

static Suite *ferr_suite(void)
{
    Suite *s = suite_create("ferr");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ferr_waiting_insn_asserts_ferr_and_freezes_before_it);
    tcase_add_test(tc, ferr_ignne_lets_waiting_insns_ignore_the_error);
    tcase_add_test(tc, ferr_fnclex_releases_ferr_and_ignne);
    tcase_add_test(tc, ferr_released_by_clear_es_then_new_error_asserts_again);
    tcase_add_test(tc, ferr_native_mode_raises_mf_without_ferr);
    tcase_add_test(tc, ferr_unwired_bus_runs_the_instruction);
    tcase_add_test(tc, ferr_freeze_in_run_loop_halts_at_the_instruction);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ferr_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
