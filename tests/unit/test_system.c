/*
 * test_system.c — system instructions (cpu/system.c) on the fake machine.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/flags.h"
#include "cpu/seg.h"
#include "tests/unit/fake_machine.h"

#define GDT 0x3000u

#define CODE(fm, ...)                                                   \
    do {                                                                \
        static const uint8_t code_[] = { __VA_ARGS__ };                 \
        fm_code((fm), code_, sizeof(code_));                            \
    } while (0)

/* A descriptor from base, limit and attributes in the SegCache.attr layout. */
static uint64_t desc(uint32_t base, uint32_t limit, uint16_t attr)
{
    return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)(attr & 0xff) << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(attr >> 12) << 52) |
           ((uint64_t)(base >> 24) << 56);
}

/* A GDT at GDT with 16 slots; entry `i` = d. */
static void gdt_set(FakeMachine *fm, int i, uint64_t d)
{
    fm->cpu->gdtr.base = GDT;
    fm->cpu->gdtr.limit = 16 * 8 - 1;
    fm_poke(fm, GDT + 8 * (uint32_t)i, 8, d);
}

/* Identity-maps the first 2 MiB with 4-level tables at 0x10000 (PML4), 0x11000, 0x12000. */
static void map_identity_4level(FakeMachine *fm)
{
    fm_poke(fm, 0x10000, 8, 0x11003);
    fm_poke(fm, 0x11000, 8, 0x12003);
    fm_poke(fm, 0x12000, 8, 0x83);   /* 2 MiB page at 0 */
    fm->cpu->cr3 = 0x10000;
}

static bool zf(const FakeMachine *fm)
{
    return (fm_flags(fm) & FL_ZF) != 0;
}

/* ---- LGDT / LIDT / SGDT / SIDT ---- */

START_TEST(lgdt_operand16_loads24bitbase)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_poke(fm, 0x2000, 2, 0x1234);
    fm_poke(fm, 0x2002, 4, 0xaabbccdd);
    CODE(fm, 0x0f, 0x01, 0x16, 0x00, 0x20);   /* lgdt [0x2000] */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gdtr.base, 0xbbccdd);
    ck_assert_uint_eq(fm->cpu->gdtr.limit, 0x1234);
    fm_free(fm);
}
END_TEST

START_TEST(lgdt_operand32_loads32bitbase)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_poke(fm, 0x2000, 2, 0x1234);
    fm_poke(fm, 0x2002, 4, 0xaabbccdd);
    CODE(fm, 0x66, 0x0f, 0x01, 0x16, 0x00, 0x20);   /* o32 lgdt [0x2000] */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gdtr.base, 0xaabbccdd);
    fm_free(fm);
}
END_TEST

START_TEST(lgdt_long64_loads64bitbase)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm_poke(fm, 0x2000, 2, 0xfff);
    fm_poke(fm, 0x2002, 8, 0xffff800012345678ull);
    CODE(fm, 0x0f, 0x01, 0x14, 0x25, 0x00, 0x20, 0x00, 0x00);   /* lgdt [0x2000] */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gdtr.base, 0xffff800012345678ull);
    ck_assert_uint_eq(fm->cpu->gdtr.limit, 0xfff);
    fm_free(fm);
}
END_TEST

START_TEST(lgdt_noncanonicalbase_raisesgpandkeepsgdtr)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gdtr = (DescTable){ 0x1000, 0x7f };
    fm_poke(fm, 0x2000, 2, 0xfff);
    fm_poke(fm, 0x2002, 8, 0x0000800000000000ull);
    CODE(fm, 0x0f, 0x01, 0x14, 0x25, 0x00, 0x20, 0x00, 0x00);   /* lgdt [0x2000] */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0);
    ck_assert_uint_eq(fm->cpu->gdtr.base, 0x1000);
    ck_assert_uint_eq(fm->cpu->gdtr.limit, 0x7f);
    fm_free(fm);
}
END_TEST

START_TEST(lidt_cpl3_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cpl = 3;
    CODE(fm, 0x0f, 0x01, 0x1d, 0x00, 0x20, 0x00, 0x00);   /* lidt [0x2000] */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0);
    fm_free(fm);
}
END_TEST

START_TEST(sgdt_pm32_stores6bytes)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gdtr = (DescTable){ 0x87654321, 0x2f };
    fm_poke(fm, 0x2006, 2, 0xeeee);
    CODE(fm, 0x0f, 0x01, 0x05, 0x00, 0x20, 0x00, 0x00);   /* sgdt [0x2000] */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 2), 0x2f);
    ck_assert_uint_eq(fm_peek(fm, 0x2002, 4), 0x87654321);
    ck_assert_uint_eq(fm_peek(fm, 0x2006, 2), 0xeeee);
    fm_free(fm);
}
END_TEST

START_TEST(sidt_long64_stores10bytes)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->idtr = (DescTable){ 0xffffffff80001000ull, 0xfff };
    CODE(fm, 0x0f, 0x01, 0x0c, 0x25, 0x00, 0x20, 0x00, 0x00);   /* sidt [0x2000] */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 2), 0xfff);
    ck_assert_uint_eq(fm_peek(fm, 0x2002, 8), 0xffffffff80001000ull);
    fm_free(fm);
}
END_TEST

/* ---- MOV CRn ---- */

/* SGDT whose limit lies on a read-only page and whose base on the next, writable one: #PF
 * before either half is stored. */
START_TEST(sgdt_firsthalfreadonly_writesnothing)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm_poke(fm, 0x10000, 4, 0x11003);
    for (uint32_t i = 0; i < 256; i++)
        fm_poke(fm, 0x11000 + 4 * i, 4, (i << 12) | (i == 4 ? 0x1 : 0x3));   /* 0x4000 read-only */
    fm->cpu->cr3 = 0x10000;
    fm->cpu->cr0 |= CR0_PG | CR0_WP;
    cpu_flush_tlb(fm->cpu, true);
    fm->cpu->gdtr = (DescTable){ 0x12345678, 0x7f };
    CODE(fm, 0x0f, 0x01, 0x05, 0xfe, 0x4f, 0x00, 0x00);   /* sgdt [0x4ffe] */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_PF);
    ck_assert_uint_eq(fm->cpu->cr2, 0x4ffe);
    ck_assert_uint_eq(fm_peek(fm, 0x5000, 4), 0);
    fm_free(fm);
}
END_TEST

START_TEST(movcr0_pgwithoutpe_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x80000010;
    CODE(fm, 0x0f, 0x22, 0xc0);   /* mov cr0, eax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert(fm->cpu->cr0 & CR0_PE);
    fm_free(fm);
}
END_TEST

START_TEST(movcr0_pgwithlme_setslma)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->efer = EFER_LME;
    fm->cpu->cr4 = CR4_PAE;
    fm->cpu->gpr[R_AX] = 0x80000011;
    CODE(fm, 0x0f, 0x22, 0xc0);   /* mov cr0, eax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(fm->cpu->cr0 & CR0_PG);
    ck_assert(fm->cpu->efer & EFER_LMA);
    ck_assert_int_eq(fm->cpu->code_bits, 32);   /* compatibility mode until CS.L */
    fm_free(fm);
}
END_TEST

START_TEST(movcr0_pgwithlmewithoutpae_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->efer = EFER_LME;
    fm->cpu->gpr[R_AX] = 0x80000011;
    CODE(fm, 0x0f, 0x22, 0xc0);   /* mov cr0, eax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert(!(fm->cpu->efer & EFER_LMA));
    ck_assert(!(fm->cpu->cr0 & CR0_PG));
    fm_free(fm);
}
END_TEST

START_TEST(movcr0_clearpgin64bit_raisesgp)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    map_identity_4level(fm);
    fm->cpu->cr0 |= CR0_PG;
    fm->cpu->cr4 = CR4_PAE;
    fm->cpu->gpr[R_AX] = 0x11;
    CODE(fm, 0x0f, 0x22, 0xc0);   /* mov cr0, rax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(movcr0_clearpgincompat_clearslma)
{
    FakeMachine *fm = fm_new(FM_PM32);
    map_identity_4level(fm);
    fm->cpu->cr0 |= CR0_PG;
    fm->cpu->cr4 = CR4_PAE;
    fm->cpu->efer = EFER_LME | EFER_LMA;
    fm->cpu->gpr[R_AX] = 0x11;
    CODE(fm, 0x0f, 0x22, 0xc0);   /* mov cr0, eax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!(fm->cpu->efer & EFER_LMA));
    ck_assert(fm->cpu->efer & EFER_LME);
    fm_free(fm);
}
END_TEST

START_TEST(movcr4_unsupportedbit_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = CR4_VME;
    CODE(fm, 0x0f, 0x22, 0xe0);   /* mov cr4, eax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(movcr4_clearpaeinlongmode_raisesgp)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->cr4 = CR4_PAE;
    fm->cpu->gpr[R_AX] = CR4_PGE;
    CODE(fm, 0x0f, 0x22, 0xe0);   /* mov cr4, rax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm->cpu->gpr[R_AX] = CR4_PGE | CR4_PAE;
    fm->cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->cr4, CR4_PGE | CR4_PAE);
    fm_free(fm);
}
END_TEST

START_TEST(movcr3_bitsabovemaxphyaddr_raisesgp)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 1ull << 40;
    CODE(fm, 0x0f, 0x22, 0xd8);   /* mov cr3, rax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm->cpu->gpr[R_AX] = 0xff12345000ull;
    fm->cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->cr3, 0xff12345000ull);
    fm_free(fm);
}
END_TEST

START_TEST(movcr8_reservedbits_raisesgp)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 0x10;
    CODE(fm, 0x44, 0x0f, 0x22, 0xc0,    /* mov cr8, rax */
             0x44, 0x0f, 0x20, 0xc1);   /* mov rcx, cr8 */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm->cpu->gpr[R_AX] = 0x5;
    fm->cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->cr8, 5);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 5);
    fm_free(fm);
}
END_TEST

START_TEST(movcr_cpl3_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cpl = 3;
    CODE(fm, 0x0f, 0x20, 0xd8);   /* mov eax, cr3 */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

/* ---- MOV DRn ---- */

START_TEST(movdr4_declear_aliasesdr6)
{
    FakeMachine *fm = fm_new(FM_PM32);
    CODE(fm, 0x0f, 0x21, 0xe0);   /* mov eax, dr4 */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0xffff0ff0);
    fm_free(fm);
}
END_TEST

START_TEST(movdr4_deset_raisesud)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cr4 = CR4_DE;
    CODE(fm, 0x0f, 0x21, 0xe0);   /* mov eax, dr4 */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
}
END_TEST

START_TEST(movdr6dr7_zero_fixedbitsreadone)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0;
    CODE(fm, 0x0f, 0x23, 0xf0,    /* mov dr6, eax */
             0x0f, 0x23, 0xf8);   /* mov dr7, eax */
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->dr[6], 0xffff0ff0);
    ck_assert_uint_eq(fm->cpu->dr[7], 0x400);
    fm_free(fm);
}
END_TEST

START_TEST(movdr7_upperbits_raisesgp)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 1ull << 32;
    CODE(fm, 0x0f, 0x23, 0xf8);   /* mov dr7, rax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

/* ---- CLTS, LMSW, SMSW ---- */

START_TEST(lmsw_zero_keepspe)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0x8;
    CODE(fm, 0x0f, 0x01, 0xf0);   /* lmsw ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(fm->cpu->cr0 & CR0_PE);
    ck_assert(fm->cpu->cr0 & CR0_TS);
    fm_free(fm);
}
END_TEST

START_TEST(lmsw_realmode_entersprotectedmode)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm->cpu->gpr[R_AX] = 0x1;
    CODE(fm, 0x0f, 0x01, 0xf0);   /* lmsw ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(cpu_protected(fm->cpu));
    fm_free(fm);
}
END_TEST

START_TEST(smsw_memory_stores16bits)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cr0 |= CR0_TS;
    fm_poke(fm, 0x2000, 4, 0xaaaaaaaa);
    CODE(fm, 0x0f, 0x01, 0x25, 0x00, 0x20, 0x00, 0x00,   /* smsw [0x2000] */
             0x0f, 0x01, 0xe1);                          /* smsw ecx */
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 4), 0xaaaa0000u | (uint16_t)fm->cpu->cr0);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], (uint32_t)fm->cpu->cr0);
    fm_free(fm);
}
END_TEST

START_TEST(clts_cpl0_clearsts)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cr0 |= CR0_TS;
    CODE(fm, 0x0f, 0x06);   /* clts */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!(fm->cpu->cr0 & CR0_TS));
    fm_free(fm);
}
END_TEST

/* ---- LTR / LLDT / SLDT / STR ---- */

START_TEST(ltr_availabletss_marksbusy)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 5, desc(0x4000, 0x67, 0x89));
    fm->cpu->gpr[R_AX] = 0x28;
    CODE(fm, 0x0f, 0x00, 0xd8,    /* ltr ax */
             0x0f, 0x00, 0xcb);   /* str ebx */
    fm->cpu->gpr[R_BX] = ~0ull;
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->tr.sel, 0x28);
    ck_assert_uint_eq(fm->cpu->tr.base, 0x4000);
    ck_assert_uint_eq(fm->cpu->tr.limit, 0x67);
    ck_assert_uint_eq(fm->cpu->tr.attr & 0xf, 0xb);
    ck_assert_uint_eq(fm_peek(fm, GDT + 0x28 + 5, 1), 0x8b);
    ck_assert_uint_eq(fm->cpu->gpr[R_BX], 0x28);
    fm_free(fm);
}
END_TEST

START_TEST(ltr_busytss_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 5, desc(0x4000, 0x67, 0x8b));
    fm->cpu->gpr[R_AX] = 0x28;
    CODE(fm, 0x0f, 0x00, 0xd8);   /* ltr ax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0x28);
    fm_free(fm);
}
END_TEST

START_TEST(ltr_notpresent_raisesnp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 5, desc(0x4000, 0x67, 0x09));
    fm->cpu->gpr[R_AX] = 0x28;
    CODE(fm, 0x0f, 0x00, 0xd8);   /* ltr ax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_NP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0x28);
    ck_assert_uint_eq(fm_peek(fm, GDT + 0x28 + 5, 1), 0x09);
    fm_free(fm);
}
END_TEST

START_TEST(ltr_longmode_reads16bytedescriptor)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    gdt_set(fm, 5, desc(0x4000, 0x67, 0x89));
    gdt_set(fm, 6, 0xffff8000ull);
    fm->cpu->gpr[R_AX] = 0x28;
    CODE(fm, 0x0f, 0x00, 0xd8);   /* ltr ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->tr.base, 0xffff800000004000ull);
    fm_free(fm);
}
END_TEST

START_TEST(ltr_longmode16bittss_raisesgp)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    gdt_set(fm, 5, desc(0x4000, 0x67, 0x81));
    gdt_set(fm, 6, 0);
    fm->cpu->gpr[R_AX] = 0x28;
    CODE(fm, 0x0f, 0x00, 0xd8);   /* ltr ax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0x28);
    fm_free(fm);
}
END_TEST

START_TEST(lldt_ldtdescriptor_loadsldtr)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 6, desc(0x5000, 0x1f, 0x82));
    fm->cpu->gpr[R_AX] = 0x30;
    CODE(fm, 0x0f, 0x00, 0xd0,    /* lldt ax */
             0x0f, 0x00, 0xc1);   /* sldt ecx */
    ck_assert_int_eq(fm_exec(fm, 2), -1);
    ck_assert_uint_eq(fm->cpu->ldtr.base, 0x5000);
    ck_assert_uint_eq(fm->cpu->ldtr.limit, 0x1f);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 0x30);
    fm_free(fm);
}
END_TEST

START_TEST(lldt_tssdescriptor_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 6, desc(0x5000, 0x67, 0x89));
    fm->cpu->gpr[R_AX] = 0x30;
    CODE(fm, 0x0f, 0x00, 0xd0);   /* lldt ax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0x30);
    fm_free(fm);
}
END_TEST

START_TEST(lldt_tiset_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 6, desc(0x5000, 0x1f, 0x82));
    fm->cpu->gpr[R_AX] = 0x34;
    CODE(fm, 0x0f, 0x00, 0xd0);   /* lldt ax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm->cpu->exc_error, 0x34);
    fm_free(fm);
}
END_TEST

START_TEST(lldt_null_makesldtrunusable)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->gpr[R_AX] = 0;
    CODE(fm, 0x0f, 0x00, 0xd0);   /* lldt ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!(fm->cpu->ldtr.attr & SEG_ATTR_P));
    fm_free(fm);
}
END_TEST

START_TEST(sldt_realmode_raisesud)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    CODE(fm, 0x0f, 0x00, 0xc0);   /* sldt ax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
}
END_TEST

/* ---- ARPL, LAR, LSL, VERR, VERW ---- */

START_TEST(arpl_lowerrpl_raisesrplandsetszf)
{
    FakeMachine *fm = fm_new(FM_PM16);
    fm->cpu->gpr[R_AX] = 0x08;
    fm->cpu->gpr[R_BX] = 0x13;
    CODE(fm, 0x63, 0xd8);   /* arpl ax, bx */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x0b);
    ck_assert(zf(fm));
    fm->cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x0b);
    ck_assert(!zf(fm));
    fm_free(fm);
}
END_TEST

/* No adjustment: the destination is only read, so a read-only data segment does not fault;
 * an adjustment writes it and faults. */
START_TEST(arpl_noadjust_readonlysegment_nofault)
{
    FakeMachine *fm = fm_new(FM_PM16);
    fm->cpu->seg[SEG_DS].attr &= ~0x2;   /* read-only data */
    seg_cache_update(&fm->cpu->seg[SEG_DS]);
    fm_poke(fm, 0x2000, 2, 0x0b);
    fm->cpu->gpr[R_BX] = 0x13;
    CODE(fm, 0x63, 0x1e, 0x00, 0x20);   /* arpl [0x2000], bx */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!zf(fm));
    fm_poke(fm, 0x2000, 2, 0x08);
    fm->cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert_uint_eq(fm_peek(fm, 0x2000, 2), 0x08);
    fm_free(fm);
}
END_TEST

START_TEST(lar_codesegment_returnsaccessrights)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 1, desc(0, 0xfffff, 0xc09b));
    fm->cpu->gpr[R_AX] = 0x08;
    CODE(fm, 0x0f, 0x02, 0xd8);   /* lar ebx, ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(zf(fm));
    ck_assert_uint_eq(fm->cpu->gpr[R_BX], 0x00c09b00);
    fm_free(fm);
}
END_TEST

START_TEST(lar_dplbelowcpl_clearszf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 2, desc(0, 0xfffff, 0xc093));
    fm->cpu->cpl = 3;
    fm->cpu->gpr[R_AX] = 0x13;
    fm->cpu->gpr[R_BX] = 0x1111;
    fm_set_flags(fm, FL_ZF);
    CODE(fm, 0x0f, 0x02, 0xd8);   /* lar ebx, ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!zf(fm));
    ck_assert_uint_eq(fm->cpu->gpr[R_BX], 0x1111);
    fm_free(fm);
}
END_TEST

START_TEST(lar_beyondgdtlimit_clearszf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 1, desc(0, 0xfffff, 0xc09b));
    fm->cpu->gpr[R_AX] = 0x80;
    fm_set_flags(fm, FL_ZF);
    CODE(fm, 0x0f, 0x02, 0xd8);   /* lar ebx, ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!zf(fm));
    fm_free(fm);
}
END_TEST

START_TEST(lsl_pagegranular_returnsbytelimit)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 2, desc(0, 0x12, 0xc093));
    fm->cpu->gpr[R_AX] = 0x10;
    CODE(fm, 0x0f, 0x03, 0xd8);   /* lsl ebx, ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(zf(fm));
    ck_assert_uint_eq(fm->cpu->gpr[R_BX], 0x12fff);
    fm_free(fm);
}
END_TEST

START_TEST(lsl_callgate_clearszf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 3, desc(0, 0x8, 0x8c));   /* 32-bit call gate */
    fm->cpu->gpr[R_AX] = 0x18;
    CODE(fm, 0x0f, 0x03, 0xd8,    /* lsl ebx, ax */
             0x0f, 0x02, 0xc8);   /* lar ecx, ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!zf(fm));
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(zf(fm));
    fm_free(fm);
}
END_TEST

START_TEST(verr_executeonlycode_clearszf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 1, desc(0, 0xfffff, 0xc099));
    gdt_set(fm, 2, desc(0, 0xfffff, 0xc093));
    fm->cpu->gpr[R_AX] = 0x08;
    fm->cpu->gpr[R_BX] = 0x10;
    CODE(fm, 0x0f, 0x00, 0xe0,    /* verr ax */
             0x0f, 0x00, 0xeb);   /* verw bx */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!zf(fm));
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(zf(fm));
    fm_free(fm);
}
END_TEST

START_TEST(verw_codesegment_clearszf)
{
    FakeMachine *fm = fm_new(FM_PM32);
    gdt_set(fm, 1, desc(0, 0xfffff, 0xc09b));
    fm->cpu->gpr[R_AX] = 0x08;
    fm_set_flags(fm, FL_ZF);
    CODE(fm, 0x0f, 0x00, 0xe8);   /* verw ax */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!zf(fm));
    fm_free(fm);
}
END_TEST

START_TEST(lar_realmode_raisesud)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    CODE(fm, 0x0f, 0x02, 0xd8);   /* lar bx, ax */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_UD);
    fm_free(fm);
}
END_TEST

/* ---- CLI / STI / HLT ---- */

START_TEST(cli_cpl3iopl0_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cpl = 3;
    fm_set_flags(fm, FL_IF);
    CODE(fm, 0xfa);   /* cli */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert(fm->cpu->eflags & FL_IF);
    fm_free(fm);
}
END_TEST

START_TEST(cli_cpl3iopl3_clearsif)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cpl = 3;
    fm_set_flags(fm, FL_IF | FL_IOPL);
    CODE(fm, 0xfa);   /* cli */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!(fm->cpu->eflags & FL_IF));
    fm_free(fm);
}
END_TEST

START_TEST(sti_ifclear_setsshadow)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    CODE(fm, 0xfb);   /* sti */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(fm->cpu->eflags & FL_IF);
    ck_assert(fm->cpu->inhibit_irq);
    fm_free(fm);
}
END_TEST

START_TEST(sti_ifset_noshadow)
{
    FakeMachine *fm = fm_new(FM_REAL16);
    fm_set_flags(fm, FL_IF);
    CODE(fm, 0xfb);   /* sti */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert(!fm->cpu->inhibit_irq);
    fm_free(fm);
}
END_TEST

START_TEST(hlt_cpl3_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cpl = 3;
    CODE(fm, 0xf4);   /* hlt */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    ck_assert(!fm->cpu->halted);
    fm_free(fm);
}
END_TEST

/* ---- privileged no-ops and cache control ---- */

START_TEST(invlpg_cpl3_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cpl = 3;
    CODE(fm, 0x0f, 0x01, 0x38);   /* invlpg [eax] */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(invlpg_largepage_dropswholepage)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm_poke(fm, 0x10000, 4, 0x83);   /* 4 MiB pages: 0-4 MiB identity, 4-8 MiB -> 0 */
    fm_poke(fm, 0x10004, 4, 0x83);
    fm_paging32(fm, 0x10000);
    fm_poke(fm, 0x2000, 4, 0x12345678);
    CODE(fm, 0xa1, 0x00, 0x20, 0x40, 0x00,                            /* mov eax, [0x402000] */
             0xc7, 0x05, 0x04, 0x00, 0x01, 0x00, 0, 0, 0, 0,          /* mov dword [0x10004], 0 */
             0x0f, 0x01, 0x3d, 0x00, 0x10, 0x40, 0x00,                /* invlpg [0x401000] */
             0xa1, 0x00, 0x20, 0x40, 0x00);                           /* mov eax, [0x402000] */
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12345678);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_PF);
    ck_assert_uint_eq(fm->cpu->cr2, 0x402000);
    fm_free(fm);
}
END_TEST

/* INVLPG drops the translations of one page and keeps the others, even in the same 4 MiB
 * region: the stale entry of another page still answers (SDM vol. 3, 4.10.4.1 allows either). */
START_TEST(invlpg_smallpage_keepsotherpages)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm_poke(fm, 0x10000, 4, 0x83);            /* 0-4 MiB identity (a 4 MiB page) */
    fm_poke(fm, 0x10004, 4, 0x11003);         /* 4-8 MiB through the page table at 0x11000 */
    fm_poke(fm, 0x11004, 4, 0x3003);          /* 0x401000 -> 0x3000 */
    fm_poke(fm, 0x11008, 4, 0x2003);          /* 0x402000 -> 0x2000 */
    fm_paging32(fm, 0x10000);
    fm_poke(fm, 0x2000, 4, 0x12345678);
    CODE(fm, 0xa1, 0x00, 0x20, 0x40, 0x00,                            /* mov eax, [0x402000] */
             0xc7, 0x05, 0x08, 0x10, 0x01, 0x00, 0, 0, 0, 0,          /* mov dword [0x11008], 0 */
             0x0f, 0x01, 0x3d, 0x00, 0x10, 0x40, 0x00,                /* invlpg [0x401000] */
             0x31, 0xc0,                                              /* xor eax, eax */
             0xa1, 0x00, 0x20, 0x40, 0x00,                            /* mov eax, [0x402000] */
             0x0f, 0x01, 0x3d, 0x00, 0x20, 0x40, 0x00,                /* invlpg [0x402000] */
             0xa1, 0x00, 0x20, 0x40, 0x00);                           /* mov eax, [0x402000] */
    ck_assert_int_eq(fm_exec(fm, 6), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12345678);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_PF);
    ck_assert_uint_eq(fm->cpu->cr2, 0x402000);
    fm_free(fm);
}
END_TEST

/* INVLPG inside a 2 MiB page drops its piece cached at another TLB index (tlb_flush_page looks
 * in the 512 entries that can hold pieces of a 2 MiB page, here the upper half). */
START_TEST(invlpg_pae_2mib_page_drops_piece_elsewhere)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm_poke(fm, 0x10000, 8, 0x11001);         /* PDPTE 0 -> the page directory at 0x11000 */
    fm_poke(fm, 0x11000, 8, 0x83);            /* 0-2 MiB identity (a 2 MiB page) */
    fm_poke(fm, 0x11018, 8, 0x83);            /* 6-8 MiB -> 0 */
    fm_poke(fm, 0x2000, 4, 0x12345678);
    fm->cpu->cr3 = 0x10000;
    fm->cpu->cr4 = CR4_PAE;
    fm->cpu->cr0 |= CR0_PG;
    cpu_flush_tlb(fm->cpu, true);
    CODE(fm, 0xa1, 0x00, 0x20, 0x60, 0x00,                            /* mov eax, [0x602000] */
             0xc7, 0x05, 0x18, 0x10, 0x01, 0x00, 0, 0, 0, 0,          /* mov dword [0x11018], 0 */
             0x0f, 0x01, 0x3d, 0x00, 0x00, 0x60, 0x00,                /* invlpg [0x600000] */
             0xa1, 0x00, 0x20, 0x60, 0x00);                           /* mov eax, [0x602000] */
    ck_assert_int_eq(fm_exec(fm, 3), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x12345678);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_PF);
    ck_assert_uint_eq(fm->cpu->cr2, 0x602000);
    fm_free(fm);
}
END_TEST

START_TEST(wbinvd_cpl3_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cpl = 3;
    CODE(fm, 0x0f, 0x09);   /* wbinvd */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(clflush_noncanonical_raisesgp)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->gpr[R_AX] = 0x8000000000000000ull;
    CODE(fm, 0x0f, 0xae, 0x38);   /* clflush [rax] */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm->cpu->gpr[R_AX] = 0x2000;
    fm->cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    fm_free(fm);
}
END_TEST

/* ---- SWAPGS, RDTSC, RDRAND, RDPMC ---- */

START_TEST(swapgs_cpl0_swapsbases)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->seg[SEG_GS].base = 0x1111;
    fm->cpu->kernel_gs_base = 0xffff800000002222ull;
    CODE(fm, 0x0f, 0x01, 0xf8);   /* swapgs */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->seg[SEG_GS].base, 0xffff800000002222ull);
    ck_assert_uint_eq(fm->cpu->kernel_gs_base, 0x1111);
    fm_free(fm);
}
END_TEST

START_TEST(swapgs_cpl3_raisesgp)
{
    FakeMachine *fm = fm_new(FM_LONG64);
    fm->cpu->cpl = 3;
    CODE(fm, 0x0f, 0x01, 0xf8);   /* swapgs */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(rdtsc_virtualclock_returnsicountplusoffset)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->icount = 1000;
    fm->cpu->tsc_offset = 0x100000000ull;
    fm->cpu->tsc_aux = 7;
    CODE(fm, 0x0f, 0x31,          /* rdtsc */
             0x0f, 0x01, 0xf9);   /* rdtscp */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 1000);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 1);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 1001);
    ck_assert_uint_eq(fm->cpu->gpr[R_CX], 7);
    fm_free(fm);
}
END_TEST

START_TEST(rdtsc_tsdcpl3_raisesgp)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->cr4 = CR4_TSD;
    fm->cpu->cpl = 3;
    CODE(fm, 0x0f, 0x31);   /* rdtsc */
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm_free(fm);
}
END_TEST

START_TEST(rdrand_sameseed_samestreamandcf)
{
    FakeMachine *a = fm_new(FM_LONG64);
    FakeMachine *b = fm_new(FM_LONG64);
    uint64_t va[2], vb[2];
    for (int i = 0; i < 2; i++) {
        CODE(a, 0x48, 0x0f, 0xc7, 0xf0);   /* rdrand rax */
        CODE(b, 0x48, 0x0f, 0xc7, 0xf8);   /* rdseed rax */
        fm_set_flags(a, FL_ZF | FL_OF);
        ck_assert_int_eq(fm_exec(a, 1), -1);
        ck_assert_int_eq(fm_exec(b, 1), -1);
        ck_assert_uint_eq(fm_flags(a), FL_CF);
        ck_assert_uint_eq(fm_flags(b), FL_CF);
        va[i] = a->cpu->gpr[R_AX];
        vb[i] = b->cpu->gpr[R_AX];
    }
    ck_assert_uint_eq(va[0], vb[0]);
    ck_assert_uint_eq(va[1], vb[1]);
    ck_assert_uint_ne(va[0], va[1]);
    fm_free(a);
    fm_free(b);
}
END_TEST

/* RDPMC reads general-purpose counter ECX, or fixed counter ECX[29:0] with ECX[30] set. */
START_TEST(rdpmc_reads_counters_and_checks_index_and_pce)
{
    FakeMachine *fm = fm_new(FM_PM32);
    fm->cpu->fixed_ctr[1] = 0x123456789abull;
    fm->cpu->gpr[R_CX] = 0x40000001;
    CODE(fm, 0x0f, 0x33);   /* rdpmc */
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 0x456789ab);
    ck_assert_uint_eq(fm->cpu->gpr[R_DX], 0x123);
    fm->cpu->gpr[R_CX] = 2;   /* only PMC0-1 exist */
    CODE(fm, 0x0f, 0x33);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm->cpu->gpr[R_CX] = 0;
    fm->cpu->cpl = 3;         /* user mode needs CR4.PCE */
    CODE(fm, 0x0f, 0x33);
    ck_assert_int_eq(fm_exec(fm, 1), EXC_GP);
    fm->cpu->cr4 |= CR4_PCE;
    fm->cpu->pmc[0] = 7;
    CODE(fm, 0x0f, 0x33);
    ck_assert_int_eq(fm_exec(fm, 1), -1);
    ck_assert_uint_eq(fm->cpu->gpr[R_AX], 7);
    fm_free(fm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("system");
    TCase *tc = tcase_create("system");
    tcase_add_test(tc, lgdt_operand16_loads24bitbase);
    tcase_add_test(tc, lgdt_operand32_loads32bitbase);
    tcase_add_test(tc, lgdt_long64_loads64bitbase);
    tcase_add_test(tc, lgdt_noncanonicalbase_raisesgpandkeepsgdtr);
    tcase_add_test(tc, lidt_cpl3_raisesgp);
    tcase_add_test(tc, sgdt_pm32_stores6bytes);
    tcase_add_test(tc, sidt_long64_stores10bytes);
    tcase_add_test(tc, sgdt_firsthalfreadonly_writesnothing);
    tcase_add_test(tc, movcr0_pgwithoutpe_raisesgp);
    tcase_add_test(tc, movcr0_pgwithlme_setslma);
    tcase_add_test(tc, movcr0_pgwithlmewithoutpae_raisesgp);
    tcase_add_test(tc, movcr0_clearpgin64bit_raisesgp);
    tcase_add_test(tc, movcr0_clearpgincompat_clearslma);
    tcase_add_test(tc, movcr4_unsupportedbit_raisesgp);
    tcase_add_test(tc, movcr4_clearpaeinlongmode_raisesgp);
    tcase_add_test(tc, movcr3_bitsabovemaxphyaddr_raisesgp);
    tcase_add_test(tc, movcr8_reservedbits_raisesgp);
    tcase_add_test(tc, movcr_cpl3_raisesgp);
    tcase_add_test(tc, movdr4_declear_aliasesdr6);
    tcase_add_test(tc, movdr4_deset_raisesud);
    tcase_add_test(tc, movdr6dr7_zero_fixedbitsreadone);
    tcase_add_test(tc, movdr7_upperbits_raisesgp);
    tcase_add_test(tc, lmsw_zero_keepspe);
    tcase_add_test(tc, lmsw_realmode_entersprotectedmode);
    tcase_add_test(tc, smsw_memory_stores16bits);
    tcase_add_test(tc, clts_cpl0_clearsts);
    tcase_add_test(tc, ltr_availabletss_marksbusy);
    tcase_add_test(tc, ltr_busytss_raisesgp);
    tcase_add_test(tc, ltr_notpresent_raisesnp);
    tcase_add_test(tc, ltr_longmode_reads16bytedescriptor);
    tcase_add_test(tc, ltr_longmode16bittss_raisesgp);
    tcase_add_test(tc, lldt_ldtdescriptor_loadsldtr);
    tcase_add_test(tc, lldt_tssdescriptor_raisesgp);
    tcase_add_test(tc, lldt_tiset_raisesgp);
    tcase_add_test(tc, lldt_null_makesldtrunusable);
    tcase_add_test(tc, sldt_realmode_raisesud);
    tcase_add_test(tc, arpl_lowerrpl_raisesrplandsetszf);
    tcase_add_test(tc, arpl_noadjust_readonlysegment_nofault);
    tcase_add_test(tc, lar_codesegment_returnsaccessrights);
    tcase_add_test(tc, lar_dplbelowcpl_clearszf);
    tcase_add_test(tc, lar_beyondgdtlimit_clearszf);
    tcase_add_test(tc, lsl_pagegranular_returnsbytelimit);
    tcase_add_test(tc, lsl_callgate_clearszf);
    tcase_add_test(tc, verr_executeonlycode_clearszf);
    tcase_add_test(tc, verw_codesegment_clearszf);
    tcase_add_test(tc, lar_realmode_raisesud);
    tcase_add_test(tc, cli_cpl3iopl0_raisesgp);
    tcase_add_test(tc, cli_cpl3iopl3_clearsif);
    tcase_add_test(tc, sti_ifclear_setsshadow);
    tcase_add_test(tc, sti_ifset_noshadow);
    tcase_add_test(tc, hlt_cpl3_raisesgp);
    tcase_add_test(tc, invlpg_cpl3_raisesgp);
    tcase_add_test(tc, invlpg_largepage_dropswholepage);
    tcase_add_test(tc, invlpg_smallpage_keepsotherpages);
    tcase_add_test(tc, invlpg_pae_2mib_page_drops_piece_elsewhere);
    tcase_add_test(tc, wbinvd_cpl3_raisesgp);
    tcase_add_test(tc, clflush_noncanonical_raisesgp);
    tcase_add_test(tc, swapgs_cpl0_swapsbases);
    tcase_add_test(tc, swapgs_cpl3_raisesgp);
    tcase_add_test(tc, rdtsc_virtualclock_returnsicountplusoffset);
    tcase_add_test(tc, rdtsc_tsdcpl3_raisesgp);
    tcase_add_test(tc, rdrand_sameseed_samestreamandcf);
    tcase_add_test(tc, rdpmc_reads_counters_and_checks_index_and_pce);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
