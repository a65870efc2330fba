/*
 * test_portio.c — INS/OUTS (cpu/portio.c): REP, address sizes, direction, segments, I/O
 * permission, on the fake machine with a recording port bus.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/seg.h"
#include "tests/unit/fake_machine.h"

/* The fake machine with its port callbacks replaced by a recorder. */
typedef struct IoRig {
    FakeMachine *fm;
    CpuBus bus;
    uint32_t next_in;     /* value of the next IN, then incremented */
    int reads;
    int nout;
    uint32_t out[8];      /* first values written */
    uint16_t port;        /* last port accessed */
} IoRig;

static uint8_t *rig_phys_ptr(void *o, uint64_t paddr, bool *w)
{
    IoRig *r = o;
    return r->fm->bus.phys_ptr(r->fm, paddr, w);
}

static uint64_t rig_phys_read(void *o, uint64_t paddr, int size)
{
    IoRig *r = o;
    return r->fm->bus.phys_read(r->fm, paddr, size);
}

static void rig_phys_write(void *o, uint64_t paddr, int size, uint64_t v)
{
    IoRig *r = o;
    r->fm->bus.phys_write(r->fm, paddr, size, v);
}

static uint32_t rig_io_in(void *o, uint16_t port, int size)
{
    IoRig *r = o;
    (void)size;
    r->port = port;
    r->reads++;
    return r->next_in++;
}

static void rig_io_out(void *o, uint16_t port, int size, uint32_t v)
{
    IoRig *r = o;
    (void)size;
    r->port = port;
    if (r->nout < 8)
        r->out[r->nout] = v;
    r->nout++;
}

static bool rig_intr_ack(void *o, uint8_t *v)
{
    (void)o; (void)v;
    return false;
}

static bool rig_intr_pending(void *o)
{
    (void)o;
    return false;
}

static IoRig *rig_new(FmMode mode)
{
    IoRig *r = calloc(1, sizeof(*r));
    ck_assert_ptr_nonnull(r);
    r->fm = fm_new(mode);
    r->bus = (CpuBus){ rig_phys_ptr, rig_phys_read, rig_phys_write, rig_io_in, rig_io_out,
                       rig_intr_ack, rig_intr_pending, NULL, NULL };
    r->fm->cpu->bus = &r->bus;
    r->fm->cpu->bus_opaque = r;
    return r;
}

static void rig_free(IoRig *r)
{
    fm_free(r->fm);
    free(r);
}

#define CODE(fm, ...)                                                   \
    do {                                                                \
        static const uint8_t code_[] = { __VA_ARGS__ };                 \
        fm_code((fm), code_, sizeof(code_));                            \
    } while (0)

START_TEST(repinsb_realmode_fillsbufferadvancesdi)
{
    IoRig *r = rig_new(FM_REAL16);
    Cpu *cpu = r->fm->cpu;
    cpu->gpr[R_DI] = 0x2000;
    cpu->gpr[R_CX] = 4;
    cpu->gpr[R_DX] = 0x60;
    r->next_in = 0x11;
    CODE(r->fm, 0xf3, 0x6c);   /* rep insb */
    ck_assert_int_eq(fm_exec(r->fm, 1), -1);
    ck_assert_uint_eq(fm_peek(r->fm, 0x2000, 4), 0x14131211);
    ck_assert_uint_eq(cpu->gpr[R_DI], 0x2004);
    ck_assert_uint_eq(cpu->gpr[R_CX], 0);
    ck_assert_int_eq(r->reads, 4);
    ck_assert_uint_eq(r->port, 0x60);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 2);
    rig_free(r);
}
END_TEST

START_TEST(repoutsw_dfset_decrementssi)
{
    IoRig *r = rig_new(FM_REAL16);
    Cpu *cpu = r->fm->cpu;
    fm_poke(r->fm, 0x2002, 2, 0xaaaa);
    fm_poke(r->fm, 0x2004, 2, 0xbbbb);
    fm_poke(r->fm, 0x2006, 2, 0xcccc);
    cpu->gpr[R_SI] = 0x2006;
    cpu->gpr[R_CX] = 3;
    cpu->gpr[R_DX] = 0x1f0;
    fm_set_flags(r->fm, FL_DF);
    CODE(r->fm, 0xf3, 0x6f);   /* rep outsw */
    ck_assert_int_eq(fm_exec(r->fm, 1), -1);
    ck_assert_int_eq(r->nout, 3);
    ck_assert_uint_eq(r->out[0], 0xcccc);
    ck_assert_uint_eq(r->out[2], 0xaaaa);
    ck_assert_uint_eq(cpu->gpr[R_SI], 0x2000);
    rig_free(r);
}
END_TEST

START_TEST(outsb_csoverride_readscodesegment)
{
    IoRig *r = rig_new(FM_REAL16);
    Cpu *cpu = r->fm->cpu;
    cpu->seg[SEG_DS].base = 0x10000;
    fm_poke(r->fm, 0x2000, 1, 0x5a);
    fm_poke(r->fm, 0x12001, 1, 0xa5);
    cpu->gpr[R_SI] = 0x2000;
    CODE(r->fm, 0x2e, 0x6e,    /* cs outsb */
                0x6e);         /* outsb */
    ck_assert_int_eq(fm_exec(r->fm, 2), -1);
    ck_assert_int_eq(r->nout, 2);
    ck_assert_uint_eq(r->out[0], 0x5a);
    ck_assert_uint_eq(r->out[1], 0xa5);
    ck_assert_uint_eq(cpu->gpr[R_SI], 0x2002);
    rig_free(r);
}
END_TEST

START_TEST(repoutsb_addrsize16_usescxonly)
{
    IoRig *r = rig_new(FM_REAL16);
    Cpu *cpu = r->fm->cpu;
    cpu->gpr[R_CX] = 0x10002;
    cpu->gpr[R_SI] = 0x2000;
    CODE(r->fm, 0xf3, 0x6e);   /* rep outsb */
    ck_assert_int_eq(fm_exec(r->fm, 1), -1);
    ck_assert_int_eq(r->nout, 2);
    ck_assert_uint_eq(cpu->gpr[R_CX], 0x10000);
    rig_free(r);
}
END_TEST

START_TEST(repoutsb_addrsize32_usesesiecx)
{
    IoRig *r = rig_new(FM_REAL16);
    Cpu *cpu = r->fm->cpu;
    cpu->seg[SEG_DS].limit = 0xffffffffu;   /* "unreal" DS so offsets above 64 KiB are legal */
    seg_cache_update(&cpu->seg[SEG_DS]);
    cpu->gpr[R_CX] = 0x2;
    cpu->gpr[R_SI] = 0xffff;
    CODE(r->fm, 0x67, 0xf3, 0x6e);   /* rep a32 outsb */
    ck_assert_int_eq(fm_exec(r->fm, 1), -1);
    ck_assert_int_eq(r->nout, 2);
    ck_assert_uint_eq(cpu->gpr[R_SI], 0x10001);
    rig_free(r);
}
END_TEST

START_TEST(repinsb_cxzero_noaccess)
{
    IoRig *r = rig_new(FM_REAL16);
    Cpu *cpu = r->fm->cpu;
    cpu->gpr[R_CX] = 0;
    cpu->gpr[R_DI] = 0x2000;
    CODE(r->fm, 0xf3, 0x6c);   /* rep insb */
    ck_assert_int_eq(fm_exec(r->fm, 1), -1);
    ck_assert_int_eq(r->reads, 0);
    ck_assert_uint_eq(cpu->gpr[R_DI], 0x2000);
    rig_free(r);
}
END_TEST

START_TEST(repinsb_largecount_resumesinchunks)
{
    IoRig *r = rig_new(FM_REAL16);
    Cpu *cpu = r->fm->cpu;
    cpu->gpr[R_CX] = 3000;
    cpu->gpr[R_DI] = 0x2000;
    CODE(r->fm, 0xf3, 0x6c);   /* rep insb */
    ck_assert_int_eq(fm_exec(r->fm, 1), -1);
    ck_assert_uint_lt(cpu->gpr[R_CX], 3000);
    ck_assert_uint_gt(cpu->gpr[R_CX], 0);
    ck_assert_uint_eq(cpu->rip, FM_CODE);          /* runs again for the rest */
    ck_assert_int_eq(fm_exec(r->fm, 2), -1);
    ck_assert_uint_eq(cpu->gpr[R_CX], 0);
    ck_assert_int_eq(r->reads, 3000);
    ck_assert_uint_eq(cpu->gpr[R_DI], 0x2000 + 3000);
    ck_assert_uint_eq(cpu->rip, FM_CODE + 2);
    rig_free(r);
}
END_TEST

START_TEST(insb_cpl3portdenied_raisesgpwithoutread)
{
    IoRig *r = rig_new(FM_PM32);
    Cpu *cpu = r->fm->cpu;
    /* TR (reset: base 0, limit FFFF, 32-bit TSS): I/O map at 0x100, port 0x60 denied */
    fm_poke(r->fm, 0x66, 2, 0x100);
    fm_poke(r->fm, 0x100 + 0x60 / 8, 1, 0x01);
    cpu->cpl = 3;
    cpu->gpr[R_DX] = 0x60;
    cpu->gpr[R_DI] = 0x2000;
    CODE(r->fm, 0x6c);   /* insb */
    ck_assert_int_eq(fm_exec(r->fm, 1), EXC_GP);
    ck_assert_int_eq(r->reads, 0);
    cpu->gpr[R_DX] = 0x61;
    cpu->rip = FM_CODE;
    ck_assert_int_eq(fm_exec(r->fm, 1), -1);
    ck_assert_int_eq(r->reads, 1);
    rig_free(r);
}
END_TEST

START_TEST(insb_destinationfault_noportread)
{
    IoRig *r = rig_new(FM_PM32);
    Cpu *cpu = r->fm->cpu;
    cpu->seg[SEG_ES].limit = 0xfff;
    cpu->seg[SEG_ES].attr = 0x4093;
    cpu->seg[SEG_ES].hi = 0xfff;
    cpu->gpr[R_DI] = 0x1000;
    CODE(r->fm, 0x6c);   /* insb */
    ck_assert_int_eq(fm_exec(r->fm, 1), EXC_GP);
    ck_assert_int_eq(r->reads, 0);
    rig_free(r);
}
END_TEST

START_TEST(insw_64bit_writesrdi)
{
    IoRig *r = rig_new(FM_LONG64);
    Cpu *cpu = r->fm->cpu;
    cpu->gpr[R_DI] = 0x2000;
    r->next_in = 0xbeef;
    CODE(r->fm, 0x66, 0x6d);   /* insw */
    ck_assert_int_eq(fm_exec(r->fm, 1), -1);
    ck_assert_uint_eq(fm_peek(r->fm, 0x2000, 2), 0xbeef);
    ck_assert_uint_eq(cpu->gpr[R_DI], 0x2002);
    rig_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("portio");
    TCase *tc = tcase_create("portio");
    tcase_add_test(tc, repinsb_realmode_fillsbufferadvancesdi);
    tcase_add_test(tc, repoutsw_dfset_decrementssi);
    tcase_add_test(tc, outsb_csoverride_readscodesegment);
    tcase_add_test(tc, repoutsb_addrsize16_usescxonly);
    tcase_add_test(tc, repoutsb_addrsize32_usesesiecx);
    tcase_add_test(tc, repinsb_cxzero_noaccess);
    tcase_add_test(tc, repinsb_largecount_resumesinchunks);
    tcase_add_test(tc, insb_cpl3portdenied_raisesgpwithoutread);
    tcase_add_test(tc, insb_destinationfault_noportread);
    tcase_add_test(tc, insw_64bit_writesrdi);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
