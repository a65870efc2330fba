/*
 * test_piix4_pm.c — the PIIX4 power-management function (devices/piix4_pm.c): PCI 00:01.3 and
 * PMBA relocation, the PM timer against the virtual clock (3.579545 MHz, 24 bits, TMR_STS on
 * bit 23 changes), the SCI level, SLP_EN (S5 soft-off and the other sleep types, handed to the
 * board), SMI_CMD ACPI enable/disable and GPE0.
 * Fixed values: PM1_STS 0x600, PM1_EN 0x602, PM1_CNT 0x604, PM_TMR 0x608, GPE0 0xAFE0, SMI_CMD
 * 0xB2 (ISSUE4.md).  The expected timer values come from 128-bit arithmetic in the test.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "devices/piix4_pm.h"
#include "mem/io.h"
#include "vm/clock.h"

typedef struct Fix {
    IoBus bus;
    Clock clock;
    uint64_t icount;
    PciState *pci;
    AcpiPmState *pm;
    int sci, sci_changes;
    int sleeps, last_slp_typ;
} Fix;

static void on_sci(void *opaque, int line, int level)
{
    Fix *f = opaque;
    ck_assert_int_eq(line, 9);
    f->sci = level;
    f->sci_changes++;
}

static void on_sleep(void *opaque, int slp_typ)
{
    Fix *f = opaque;
    f->sleeps++;
    f->last_slp_typ = slp_typ;
}

static Fix *fix_new(void)
{
    Fix *f = calloc(1, sizeof(*f));
    io_init(&f->bus);
    clock_init(&f->clock, &f->icount);
    f->pci = pci_new(&f->bus, NULL, NULL);
    f->pm = piix4_pm_new(&f->bus, f->pci, &f->clock, (IrqLine){ on_sci, f, 9 }, on_sleep, f);
    ck_assert_ptr_nonnull(f->pm);
    return f;
}

static void fix_free(Fix *f)
{
    free(f->pm);
    free(f->pci);
    free(f);
}

/* Runs the virtual clock to `t` ns, firing the events due on the way in order. */
static void run_to(Fix *f, uint64_t t)
{
    for (;;) {
        uint64_t d = clock_next_deadline(&f->clock);
        if (d > t)
            break;
        f->icount = d;
        clock_run_due(&f->clock);
    }
    f->icount = t;
    clock_run_due(&f->clock);
}

static uint32_t expected_tmr(uint64_t ns)
{
    return (uint32_t)((unsigned __int128)ns * 3579545u / 1000000000u) & 0xffffff;
}

static uint32_t pm_cfg_read(Fix *f, int reg, int size)
{
    io_out(&f->bus, 0xcf8, 4, 0x80000000u | 1u << 11 | 3u << 8 | (uint32_t)(reg & 0xfc));
    return io_in(&f->bus, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void pm_cfg_write(Fix *f, int reg, int size, uint32_t val)
{
    io_out(&f->bus, 0xcf8, 4, 0x80000000u | 1u << 11 | 3u << 8 | (uint32_t)(reg & 0xfc));
    io_out(&f->bus, (uint16_t)(0xcfc + (reg & 3)), size, val);
}

START_TEST(pm_pci_function_has_piix4_ids_and_firmware_pmba)
{
    Fix *f = fix_new();
    ck_assert_uint_eq(pm_cfg_read(f, 0x00, 4), 0x71138086);
    ck_assert_uint_eq(pm_cfg_read(f, 0x08, 4), 0x06800003);        /* class 068000, rev 03 */
    ck_assert_uint_eq(pm_cfg_read(f, 0x40, 4), 0x00000601);
    ck_assert_uint_eq(pm_cfg_read(f, 0x80, 1), 0x01);
    ck_assert_uint_eq(pm_cfg_read(f, 0x3d, 1), 0x01);              /* INTA */
    ck_assert_uint_eq(io_in(&f->bus, 0x608, 4), 0);                /* decoded at 0x600 */
    fix_free(f);
}
END_TEST

START_TEST(pm_pmba_write_moves_and_pmiose_disables_the_block)
{
    Fix *f = fix_new();
    f->icount = 1000000000;                                        /* timer = 3579545 */
    pm_cfg_write(f, 0x40, 4, 0x0000b03f);                          /* 64-byte aligned: 0xb000 */
    ck_assert_uint_eq(pm_cfg_read(f, 0x40, 4), 0x0000b001);        /* bit 0 reads 1 */
    ck_assert_uint_eq(io_in(&f->bus, 0xb008, 4), 3579545);
    ck_assert_uint_eq(io_in(&f->bus, 0x608, 4), 0xffffffffu);      /* old window gone */
    pm_cfg_write(f, 0x80, 1, 0x00);
    ck_assert_uint_eq(io_in(&f->bus, 0xb008, 4), 0xffffffffu);
    pm_cfg_write(f, 0x80, 1, 0x01);
    ck_assert_uint_eq(io_in(&f->bus, 0xb008, 4), 3579545);
    pci_reset(f->pci);                                             /* back to 0x600 */
    ck_assert_uint_eq(io_in(&f->bus, 0x608, 4), 3579545);
    ck_assert_uint_eq(io_in(&f->bus, 0xb008, 4), 0xffffffffu);
    fix_free(f);
}
END_TEST

START_TEST(pm_timer_follows_virtual_clock_exactly_over_long_spans)
{
    static const uint64_t ns[] = {
        0, 1, 279, 280, 1000000000ull, 4686090000ull, 86400ull * 1000000000ull,
        5153960000000ull,                       /* where ns * 3579545 passes 2^64 */
        365ull * 86400 * 1000000000ull,         /* a year of virtual time */
        UINT64_MAX - 5,
    };
    Fix *f = fix_new();
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        f->icount = ns[i];
        ck_assert_uint_eq(io_in(&f->bus, 0x608, 4), expected_tmr(ns[i]));
        ck_assert_uint_eq(piix4_pm_timer_at(ns[i]), expected_tmr(ns[i]));
    }
    /* the rate: 3579545 ticks per virtual second, every second of a long run */
    uint64_t t0 = 7ull * 86400 * 1000000000ull;
    for (int s = 0; s < 100; s++) {
        uint64_t a = t0 + (uint64_t)s * 1000000000ull;
        uint32_t d = (expected_tmr(a + 1000000000ull) - expected_tmr(a)) & 0xffffff;
        ck_assert_uint_eq((piix4_pm_timer_at(a + 1000000000ull) - piix4_pm_timer_at(a)) & 0xffffff,
                          d);
        ck_assert(d == 3579545 || d == 3579546 || d == 3579544);
    }
    /* byte reads see the same 24-bit value, the top byte reads 0 */
    f->icount = 1000000000ull;
    ck_assert_uint_eq(io_in(&f->bus, 0x608, 1), 3579545 & 0xff);
    ck_assert_uint_eq(io_in(&f->bus, 0x60a, 2), 3579545 >> 16);
    fix_free(f);
}
END_TEST

START_TEST(pm_timer_bit23_toggle_and_24bit_wrap_set_tmr_sts)
{
    Fix *f = fix_new();
    /* tick 2^23 = 8388608 is first reached at ceil(8388608e9 / 3579545) ns */
    uint64_t t23 = (uint64_t)(((unsigned __int128)8388608u * 1000000000u + 3579544u) / 3579545u);
    f->icount = t23 - 1;
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2) & 1, 0);
    ck_assert_uint_eq(io_in(&f->bus, 0x608, 4), 0x7fffff);
    f->icount = t23;
    ck_assert_uint_eq(io_in(&f->bus, 0x608, 4), 0x800000);
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2) & 1, 1);
    io_out(&f->bus, 0x600, 2, 0x0001);                             /* write 1 clears */
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2) & 1, 0);
    /* the 24-bit wrap (bit 23 falls) sets it again */
    uint64_t t24 = (uint64_t)(((unsigned __int128)16777216u * 1000000000u + 3579544u) / 3579545u);
    f->icount = t24 - 1;
    ck_assert_uint_eq(io_in(&f->bus, 0x608, 4), 0xffffff);
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2) & 1, 0);
    f->icount = t24;
    ck_assert_uint_eq(io_in(&f->bus, 0x608, 4), 0);
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2) & 1, 1);
    io_out(&f->bus, 0x600, 2, 0x0000);                             /* writing 0 keeps it */
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2) & 1, 1);
    fix_free(f);
}
END_TEST

START_TEST(pm_timer_event_armed_only_with_tmr_en_and_raises_sci)
{
    Fix *f = fix_new();
    ck_assert_uint_eq(clock_next_deadline(&f->clock), CLOCK_NEVER);
    io_out(&f->bus, 0xb2, 1, 0xf1);                                /* ACPI_ENABLE */
    io_out(&f->bus, 0x602, 2, 0x0001);                             /* TMR_EN */
    uint64_t t23 = (uint64_t)(((unsigned __int128)8388608u * 1000000000u + 3579544u) / 3579545u);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), t23);
    run_to(f, t23 - 1);
    ck_assert_int_eq(f->sci, 0);
    run_to(f, t23);
    ck_assert_int_eq(f->sci, 1);                                   /* level while TMR_STS */
    io_out(&f->bus, 0x600, 2, 0x0001);
    ck_assert_int_eq(f->sci, 0);
    /* the next toggle (bit 23 falls at the wrap) raises it again */
    uint64_t t24 = (uint64_t)(((unsigned __int128)16777216u * 1000000000u + 3579544u) / 3579545u);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), t24);
    run_to(f, t24);
    ck_assert_int_eq(f->sci, 1);
    io_out(&f->bus, 0x602, 2, 0x0000);                             /* TMR_EN off: line drops */
    ck_assert_int_eq(f->sci, 0);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), CLOCK_NEVER);
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2) & 1, 1);            /* status stays */
    fix_free(f);
}
END_TEST

START_TEST(pm_sci_asserted_only_with_sci_en_and_enabled_status)
{
    Fix *f = fix_new();
    piix4_pm_power_button(f->pm);
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2) & 0x0100, 0x0100);
    ck_assert_int_eq(f->sci, 0);                                   /* PWRBTN_EN clear */
    io_out(&f->bus, 0x602, 2, 0x0100);
    ck_assert_int_eq(f->sci, 0);                                   /* SCI_EN clear */
    io_out(&f->bus, 0xb2, 1, 0xf1);                                /* ACPI_ENABLE */
    ck_assert_uint_eq(io_in(&f->bus, 0x604, 2) & 1, 1);
    ck_assert_int_eq(f->sci, 1);
    io_out(&f->bus, 0xb2, 1, 0xf0);                                /* ACPI_DISABLE */
    ck_assert_uint_eq(io_in(&f->bus, 0x604, 2) & 1, 0);
    ck_assert_int_eq(f->sci, 0);
    io_out(&f->bus, 0xb2, 1, 0xf1);
    ck_assert_int_eq(f->sci, 1);
    io_out(&f->bus, 0x601, 1, 0x01);                               /* byte write clears it */
    ck_assert_int_eq(f->sci, 0);
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2), 0);
    ck_assert_int_eq(f->sci_changes, 4);                           /* level, not pulses */
    ck_assert_uint_eq(io_in(&f->bus, 0xb2, 1), 0xf1);              /* APMC reads back */
    fix_free(f);
}
END_TEST

START_TEST(pm_slp_en_hands_every_sleep_type_to_the_board)
{
    Fix *f = fix_new();
    io_out(&f->bus, 0x604, 2, 0x0401);                             /* SLP_TYP 1 without SLP_EN */
    ck_assert_int_eq(f->sleeps, 0);
    ck_assert_uint_eq(io_in(&f->bus, 0x604, 2), 0x0401);
    for (int typ = 0; typ < 8; typ++) {
        io_out(&f->bus, 0x604, 2, 0x2001 | (uint32_t)typ << 10);   /* SLP_EN, SCI_EN */
        ck_assert_int_eq(f->sleeps, typ + 1);
        ck_assert_int_eq(f->last_slp_typ, typ);
        ck_assert_uint_eq(io_in(&f->bus, 0x604, 2), 0x0001 | (uint32_t)typ << 10);   /* SLP_EN reads 0 */
    }
    io_out(&f->bus, 0x605, 1, 0x24);                               /* byte write of the high half */
    ck_assert_int_eq(f->sleeps, 9);
    ck_assert_int_eq(f->last_slp_typ, 1);
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 2) & 0x8000, 0);       /* no pretended wake (WAK_STS) */
    fix_free(f);
}
END_TEST

/* SLP_TYP 0 is the DSDT's _S5; QEMU's DSDT gives _S3 = 1 and _S4 = 2; the rest name no state. */
START_TEST(pm_sleep_state_names_follow_piix4_and_qemu_dsdt)
{
    ck_assert_int_eq(piix4_pm_sleep_state(0), 5);
    ck_assert_int_eq(piix4_pm_sleep_state(1), 3);
    ck_assert_int_eq(piix4_pm_sleep_state(2), 4);
    for (int typ = 3; typ < 8; typ++)
        ck_assert_int_eq(piix4_pm_sleep_state(typ), 0);
}
END_TEST

START_TEST(pm_gpe0_block_status_clear_enable_rw)
{
    Fix *f = fix_new();
    ck_assert_uint_eq(io_in(&f->bus, 0xafe0, 4), 0);
    io_out(&f->bus, 0xafe2, 2, 0xffff);
    ck_assert_uint_eq(io_in(&f->bus, 0xafe0, 4), 0xffff0000u);
    ck_assert_uint_eq(io_in(&f->bus, 0xafe3, 1), 0xff);
    io_out(&f->bus, 0xafe0, 2, 0xffff);                            /* no sources: stays 0 */
    ck_assert_uint_eq(io_in(&f->bus, 0xafe0, 2), 0);
    io_out(&f->bus, 0xb2, 1, 0xf1);
    ck_assert_int_eq(f->sci, 0);
    fix_free(f);
}
END_TEST

START_TEST(pm_reset_clears_registers_and_drops_sci)
{
    Fix *f = fix_new();
    io_out(&f->bus, 0xb2, 1, 0xf1);
    io_out(&f->bus, 0x602, 2, 0x0101);
    piix4_pm_power_button(f->pm);
    ck_assert_int_eq(f->sci, 1);
    piix4_pm_reset(f->pm);
    ck_assert_int_eq(f->sci, 0);
    ck_assert_uint_eq(io_in(&f->bus, 0x600, 4), 0);
    ck_assert_uint_eq(io_in(&f->bus, 0x604, 2), 0);
    ck_assert_uint_eq(clock_next_deadline(&f->clock), CLOCK_NEVER);
    fix_free(f);
}
END_TEST

/* Hostile guest: random accesses to the PM block, GPE0, SMI_CMD and the function's configuration
 * space (moving PMBA anywhere, even over other ports) while the clock runs: nothing crashes, the
 * SCI follows its inputs, and a TMR_EN event is never armed in the past. */
START_TEST(pm_random_accesses_keep_running)
{
    Fix *f = fix_new();
    uint64_t x = 0x243f6a8885a308d3ull;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int size = 1 << (x & 3) % 3;
        uint32_t val = (uint32_t)(x >> 20);
        switch (x >> 4 & 3) {
        case 0:
            pm_cfg_write(f, (int)(x >> 8 & 0xff) & ~(size - 1), size, val);
            break;
        case 1: {
            uint16_t base = f->pm->io_base ? f->pm->io_base : PM_BASE_DEFAULT;
            io_out(&f->bus, (uint16_t)(base + (x >> 8 & 0x3f)), size, val);
            (void)io_in(&f->bus, (uint16_t)(base + (x >> 14 & 0x3f)), size);
            break;
        }
        case 2:
            io_out(&f->bus, (uint16_t)(PM_GPE0_BASE + (x >> 8 & 3)), size, val);
            break;
        default:
            io_out(&f->bus, PM_SMI_CMD, 1, (x >> 8 & 1) ? 0xf1 : val);
            break;
        }
        uint64_t d = clock_next_deadline(&f->clock);
        ck_assert(d == CLOCK_NEVER || d > f->icount);
        const AcpiPmState *p = f->pm;
        int want = (p->pm1_cnt & 1) &&
                   ((p->pm1_sts & p->pm1_en & 0x0521) || (p->gpe0_sts & p->gpe0_en));
        ck_assert_int_eq(f->sci, want);
        run_to(f, f->icount + (x >> 30 & 0xfffff));
    }
    fix_free(f);
}
END_TEST

static Suite *pm_suite(void)
{
    Suite *s = suite_create("piix4_pm");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pm_pci_function_has_piix4_ids_and_firmware_pmba);
    tcase_add_test(tc, pm_pmba_write_moves_and_pmiose_disables_the_block);
    tcase_add_test(tc, pm_timer_follows_virtual_clock_exactly_over_long_spans);
    tcase_add_test(tc, pm_timer_bit23_toggle_and_24bit_wrap_set_tmr_sts);
    tcase_add_test(tc, pm_timer_event_armed_only_with_tmr_en_and_raises_sci);
    tcase_add_test(tc, pm_sci_asserted_only_with_sci_en_and_enabled_status);
    tcase_add_test(tc, pm_slp_en_hands_every_sleep_type_to_the_board);
    tcase_add_test(tc, pm_sleep_state_names_follow_piix4_and_qemu_dsdt);
    tcase_add_test(tc, pm_gpe0_block_status_clear_enable_rw);
    tcase_add_test(tc, pm_reset_clears_registers_and_drops_sci);
    tcase_add_test(tc, pm_random_accesses_keep_running);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
