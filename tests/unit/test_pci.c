/*
 * test_pci.c — PCI configuration mechanism #1, the i440FX host bridge and the PIIX3 ISA bridge
 * (devices/pci.c), driven through the port bus as the CPU's IN/OUT would.
 *
 * PCI 3.0 3.2.2.3.2: CONFIG_ADDRESS at 0xCF8 (dword only), CONFIG_DATA 0xCFC-0xCFF with byte
 * lanes; master abort (absent function, other bus, enable clear) reads all ones.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "mem/io.h"

typedef struct Fix {
    IoBus bus;
    PciState *pci;
    int resets;
    int isa[16], apic[24];      /* last level seen on each input, -1 never driven */
    int isa_calls;
    uint8_t pam[PCI_PAM_REGS];
    int pam_calls;
} Fix;

static void on_isa(void *opaque, int irq, int level)
{
    Fix *f = opaque;
    ck_assert(irq >= 0 && irq < 16);
    f->isa[irq] = level;
    f->isa_calls++;
}

static void on_apic(void *opaque, int pin, int level)
{
    Fix *f = opaque;
    ck_assert(pin >= 16 && pin < 20);
    f->apic[pin] = level;
}

static void on_pam(void *opaque, const uint8_t pam[PCI_PAM_REGS])
{
    Fix *f = opaque;
    memcpy(f->pam, pam, PCI_PAM_REGS);
    f->pam_calls++;
}

static void on_reset(void *opaque)
{
    Fix *f = opaque;
    f->resets++;
}

static Fix *fix_new(void)
{
    Fix *f = calloc(1, sizeof(*f));
    io_init(&f->bus);
    f->pci = pci_new(&f->bus, on_reset, f);
    ck_assert_ptr_nonnull(f->pci);
    for (int i = 0; i < 16; i++)
        f->isa[i] = -1;
    for (int i = 0; i < 24; i++)
        f->apic[i] = -1;
    pci_connect_irqs(f->pci, on_isa, on_apic, f);
    return f;
}

static void fix_free(Fix *f)
{
    free(f->pci);
    free(f);
}

static uint32_t cfg_addr(int dev, int fn, int reg)
{
    return 0x80000000u | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (uint32_t)(reg & 0xfc);
}

static uint32_t cfg_read(Fix *f, int dev, int fn, int reg, int size)
{
    io_out(&f->bus, 0xcf8, 4, cfg_addr(dev, fn, reg));
    return io_in(&f->bus, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(Fix *f, int dev, int fn, int reg, int size, uint32_t val)
{
    io_out(&f->bus, 0xcf8, 4, cfg_addr(dev, fn, reg));
    io_out(&f->bus, (uint16_t)(0xcfc + (reg & 3)), size, val);
}

START_TEST(pci_host_bridge_ids_and_class_read_as_i440fx)
{
    Fix *f = fix_new();
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x00, 4), 0x12378086);
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x08, 4), 0x06000002);   /* class 060000, rev 02 */
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x0e, 1), 0x00);
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x00, 4), 0x70008086);   /* PIIX3 */
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x08, 4) >> 8, 0x060100);
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x0e, 1), 0x80);         /* multifunction */
    fix_free(f);
}
END_TEST

START_TEST(pci_config_address_keeps_enable_bus_dev_fn_reg_only)
{
    Fix *f = fix_new();
    io_out(&f->bus, 0xcf8, 4, 0xffffffffu);
    ck_assert_uint_eq(io_in(&f->bus, 0xcf8, 4), 0x80fffffcu);
    io_out(&f->bus, 0xcf8, 4, 0x80000000u);
    ck_assert_uint_eq(io_in(&f->bus, 0xcf8, 4), 0x80000000u);
    /* a byte write to 0xCFB is not a CONFIG_ADDRESS cycle (Linux's type 1 probe does it) */
    io_out(&f->bus, 0xcfb, 1, 0x01);
    ck_assert_uint_eq(io_in(&f->bus, 0xcf8, 4), 0x80000000u);
    fix_free(f);
}
END_TEST

START_TEST(pci_data_byte_word_dword_at_any_lane_select_bytes)
{
    Fix *f = fix_new();
    io_out(&f->bus, 0xcf8, 4, cfg_addr(0, 0, 0));
    ck_assert_uint_eq(io_in(&f->bus, 0xcfc, 1), 0x86);
    ck_assert_uint_eq(io_in(&f->bus, 0xcfd, 1), 0x80);
    ck_assert_uint_eq(io_in(&f->bus, 0xcfe, 1), 0x37);
    ck_assert_uint_eq(io_in(&f->bus, 0xcff, 1), 0x12);
    ck_assert_uint_eq(io_in(&f->bus, 0xcfe, 2), 0x1237);
    ck_assert_uint_eq(io_in(&f->bus, 0xcfd, 2), 0x3780);         /* unaligned word */
    ck_assert_uint_eq(io_in(&f->bus, 0xcfd, 4), 0xff123780u);    /* bytes past 0xCFF: none */
    /* interrupt line (0x3C) by byte lane 0 of dword 0x3C, then word writes at lane 2 of 0x60 */
    cfg_write(f, 1, 0, 0x3c, 1, 0x0b);
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x3c, 1), 0x0b);
    cfg_write(f, 1, 0, 0x62, 2, 0x0a0b);
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x60, 4), 0x0a0b8080u);
    fix_free(f);
}
END_TEST

START_TEST(pci_absent_function_or_bus_or_disabled_reads_all_ones)
{
    Fix *f = fix_new();
    ck_assert_uint_eq(cfg_read(f, 5, 0, 0x00, 4), 0xffffffffu);
    ck_assert_uint_eq(cfg_read(f, 1, 1, 0x00, 4), 0xffffffffu);  /* 00:01.1: no IDE here */
    ck_assert_uint_eq(cfg_read(f, 31, 7, 0xfc, 2), 0xffff);
    cfg_write(f, 5, 0, 0x04, 4, 0xffffffffu);                     /* dropped */
    ck_assert_uint_eq(cfg_read(f, 5, 0, 0x04, 4), 0xffffffffu);
    io_out(&f->bus, 0xcf8, 4, 0x80010000u);                       /* bus 1, 00.0 */
    ck_assert_uint_eq(io_in(&f->bus, 0xcfc, 4), 0xffffffffu);
    io_out(&f->bus, 0xcf8, 4, 0x00000000u);                       /* enable clear */
    ck_assert_uint_eq(io_in(&f->bus, 0xcfc, 4), 0xffffffffu);
    io_out(&f->bus, 0xcfc, 4, 0);                                 /* must not reach 00:00.0 */
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x00, 4), 0x12378086);
    fix_free(f);
}
END_TEST

START_TEST(pci_read_only_fields_ignore_writes)
{
    Fix *f = fix_new();
    cfg_write(f, 0, 0, 0x00, 4, 0xffffffffu);
    cfg_write(f, 0, 0, 0x08, 4, 0xffffffffu);
    cfg_write(f, 1, 0, 0x0c, 4, 0x00000000u);
    cfg_write(f, 1, 0, 0x3c, 4, 0xffffffffu);
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x00, 4), 0x12378086);
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x08, 4), 0x06000002);
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x0e, 1), 0x80);          /* header type kept */
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x3c, 4), 0x000000ffu);   /* only the line is RW */
    /* command: only the PCI 3.0 control bits the chip implements take a write */
    cfg_write(f, 0, 0, 0x04, 2, 0xffff);
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x04, 2), 0x0146);
    cfg_write(f, 0, 0, 0x04, 2, 0x0000);
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x04, 2), 0x0006);        /* MAE/BME hardwired */
    /* status: read-only DEVSEL/fast back-to-back bits survive an all-ones write */
    cfg_write(f, 0, 0, 0x06, 2, 0xffff);
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x06, 2), 0x0280);
    fix_free(f);
}
END_TEST

START_TEST(pci_status_error_bits_write_one_to_clear)
{
    Fix *f = fix_new();
    /* the chip flags received master abort (bit 13) and signalled system error (bit 14) */
    f->pci->f[0].cfg[0x07] |= 0x60;
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x06, 2), 0x6280);
    cfg_write(f, 0, 0, 0x06, 2, 0x2000);
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x06, 2), 0x4280);
    cfg_write(f, 0, 0, 0x04, 4, 0x00000000u);                     /* writing 0 keeps it */
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x06, 2), 0x4280);
    cfg_write(f, 0, 0, 0x04, 4, 0x40000000u);
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x06, 2), 0x0280);
    fix_free(f);
}
END_TEST

START_TEST(pci_barless_functions_read_zero_bars_after_sizing)
{
    Fix *f = fix_new();
    for (int dev = 0; dev <= 1; dev++) {
        for (int reg = 0x10; reg <= 0x24; reg += 4) {
            cfg_write(f, dev, 0, reg, 4, 0xffffffffu);
            ck_assert_uint_eq(cfg_read(f, dev, 0, reg, 4), 0);
        }
        cfg_write(f, dev, 0, 0x30, 4, 0xfffff800u);               /* expansion ROM */
        ck_assert_uint_eq(cfg_read(f, dev, 0, 0x30, 4), 0);
    }
    fix_free(f);
}
END_TEST

START_TEST(pci_piix3_pirq_routes_default_disabled_and_masked)
{
    Fix *f = fix_new();
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x60, 4), 0x80808080u);
    cfg_write(f, 1, 0, 0x60, 1, 0x0b);
    cfg_write(f, 1, 0, 0x61, 1, 0x7a);                            /* bits 6:4 reserved */
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x60, 4), 0x80800a0bu);
    fix_free(f);
}
END_TEST

START_TEST(pci_cf9_rcpu_with_srst_requests_reset)
{
    Fix *f = fix_new();
    io_out(&f->bus, 0xcf9, 1, 0x02);                              /* SRST alone: no reset */
    ck_assert_int_eq(f->resets, 0);
    ck_assert_uint_eq(io_in(&f->bus, 0xcf9, 1), 0x02);
    io_out(&f->bus, 0xcf9, 1, 0x06);
    ck_assert_int_eq(f->resets, 1);
    ck_assert_uint_eq(io_in(&f->bus, 0xcf9, 1), 0x02);            /* RCPU reads 0 */
    ck_assert_uint_eq(io_in(&f->bus, 0xcf8, 4), 0);               /* CONFIG_ADDRESS untouched */
    fix_free(f);
}
END_TEST

START_TEST(pci_reset_restores_power_on_configuration)
{
    Fix *f = fix_new();
    cfg_write(f, 1, 0, 0x60, 4, 0x0b0b0a0au);
    cfg_write(f, 0, 0, 0x59, 1, 0x30);
    io_out(&f->bus, 0xcf8, 4, cfg_addr(0, 0, 0));
    pci_reset(f->pci);
    ck_assert_uint_eq(io_in(&f->bus, 0xcf8, 4), 0);
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x60, 4), 0x80808080u);
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x59, 1), 0x00);
    fix_free(f);
}
END_TEST

START_TEST(pci_functions_carry_qemu_subsystem_ids)
{
    Fix *f = fix_new();
    /* SeaBIOS recognises QEMU's i440FX by subsystem 1AF4:1100 on 00:00.0 */
    ck_assert_uint_eq(cfg_read(f, 0, 0, 0x2c, 4), 0x11001af4u);
    ck_assert_uint_eq(cfg_read(f, 1, 0, 0x2c, 4), 0x11001af4u);
    fix_free(f);
}
END_TEST

START_TEST(pci_pam_write_reaches_hook_only_on_change)
{
    Fix *f = fix_new();
    pci_set_pam_hook(f->pci, on_pam, f);
    ck_assert_int_eq(f->pam_calls, 1);                  /* the current state at once */
    ck_assert_uint_eq(f->pam[0], 0);
    cfg_write(f, 0, 0, 0x58, 4, 0x33333000u);           /* DRAMT, PAM0 = 0x30, PAM1-2 = 0x33 */
    ck_assert_int_eq(f->pam_calls, 2);
    ck_assert_uint_eq(f->pam[0], 0x30);
    ck_assert_uint_eq(f->pam[1], 0x33);
    ck_assert_uint_eq(f->pam[2], 0x33);
    cfg_write(f, 0, 0, 0x50, 1, 0x01);                  /* PMCCFG: no PAM change, no call */
    ck_assert_int_eq(f->pam_calls, 2);
    cfg_write(f, 0, 0, 0x59, 1, 0xff);                  /* reserved PAM0 bits stay 0 */
    ck_assert_uint_eq(f->pam[0], 0x30);
    pci_reset(f->pci);
    ck_assert_int_eq(f->pam_calls, 3);
    ck_assert_uint_eq(f->pam[1], 0x00);
    fix_free(f);
}
END_TEST

START_TEST(pci_pirq_slot_wiring_rotates_by_device)
{
    ck_assert_int_eq(pci_slot_pirq(1, 0), 0);   /* slot 1 INTA# -> PIRQA# */
    ck_assert_int_eq(pci_slot_pirq(2, 0), 1);
    ck_assert_int_eq(pci_slot_pirq(3, 0), 2);
    ck_assert_int_eq(pci_slot_pirq(4, 0), 3);
    ck_assert_int_eq(pci_slot_pirq(3, 1), 3);   /* slot 3 INTB# -> PIRQD# */
    ck_assert_int_eq(pci_slot_pirq(0, 0), 3);
}
END_TEST

START_TEST(pci_intx_routed_pirq_drives_isa_irq_and_ioapic_pin)
{
    Fix *f = fix_new();
    /* A fake device in slot 3 raises INTA#: PIRQC#, not routed yet -> only I/O APIC pin 18 */
    pci_set_irq(f->pci, PCI_DEVFN(3, 0), 0, 1);
    ck_assert_int_eq(f->apic[18], 1);
    ck_assert_int_eq(f->isa_calls, 0);
    cfg_write(f, 1, 0, 0x62, 1, 0x0b);                  /* PIRQRC[C] = IRQ 11 */
    ck_assert_int_eq(f->isa[11], 1);
    pci_set_irq(f->pci, PCI_DEVFN(3, 0), 0, 0);
    ck_assert_int_eq(f->isa[11], 0);
    ck_assert_int_eq(f->apic[18], 0);
    /* rerouting a raised PIRQ moves the level from the old IRQ to the new one */
    pci_set_irq(f->pci, PCI_DEVFN(3, 0), 0, 1);
    cfg_write(f, 1, 0, 0x62, 1, 0x0a);
    ck_assert_int_eq(f->isa[11], 0);
    ck_assert_int_eq(f->isa[10], 1);
    cfg_write(f, 1, 0, 0x62, 1, 0x8a);                  /* IRQROUTEN# set: routing off */
    ck_assert_int_eq(f->isa[10], 0);
    ck_assert_int_eq(f->apic[18], 1);
    fix_free(f);
}
END_TEST

START_TEST(pci_shared_intx_lines_are_ored)
{
    Fix *f = fix_new();
    cfg_write(f, 1, 0, 0x60, 4, 0x0b0b0a0au);           /* A, B -> 10; C, D -> 11 */
    /* slot 3 INTA# (PIRQC) and slot 4 INTD# (PIRQC too): one line, two sources */
    pci_set_irq(f->pci, PCI_DEVFN(3, 0), 0, 1);
    pci_set_irq(f->pci, PCI_DEVFN(4, 0), 3, 1);
    ck_assert_int_eq(f->isa[11], 1);
    pci_set_irq(f->pci, PCI_DEVFN(3, 0), 0, 0);
    ck_assert_int_eq(f->isa[11], 1);                    /* the other still asserts it */
    ck_assert_int_eq(f->apic[18], 1);
    /* PIRQA (slot 1 INTA#) and PIRQB (slot 2 INTA#) share IRQ 10 */
    pci_set_irq(f->pci, PCI_DEVFN(1, 0), 0, 1);
    pci_set_irq(f->pci, PCI_DEVFN(2, 0), 0, 1);
    pci_set_irq(f->pci, PCI_DEVFN(1, 0), 0, 0);
    ck_assert_int_eq(f->isa[10], 1);
    pci_set_irq(f->pci, PCI_DEVFN(2, 0), 0, 0);
    ck_assert_int_eq(f->isa[10], 0);
    pci_set_irq(f->pci, PCI_DEVFN(4, 0), 3, 0);
    ck_assert_int_eq(f->isa[11], 0);
    pci_set_irq(f->pci, 0x100, 0, 1);                   /* out of range: ignored */
    pci_set_irq(f->pci, PCI_DEVFN(3, 0), 4, 1);
    ck_assert_int_eq(f->isa[11], 0);
    fix_free(f);
}
END_TEST

START_TEST(pci_pirq_reserved_irqs_are_not_routed)
{
    Fix *f = fix_new();
    cfg_write(f, 1, 0, 0x60, 1, 0x08);                  /* PIRQA -> 8: reserved */
    pci_set_irq(f->pci, PCI_DEVFN(1, 0), 0, 1);
    ck_assert_int_eq(f->isa_calls, 0);
    ck_assert_int_eq(f->apic[16], 1);
    fix_free(f);
}
END_TEST

static Suite *pci_suite(void)
{
    Suite *s = suite_create("pci");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pci_host_bridge_ids_and_class_read_as_i440fx);
    tcase_add_test(tc, pci_config_address_keeps_enable_bus_dev_fn_reg_only);
    tcase_add_test(tc, pci_data_byte_word_dword_at_any_lane_select_bytes);
    tcase_add_test(tc, pci_absent_function_or_bus_or_disabled_reads_all_ones);
    tcase_add_test(tc, pci_read_only_fields_ignore_writes);
    tcase_add_test(tc, pci_status_error_bits_write_one_to_clear);
    tcase_add_test(tc, pci_barless_functions_read_zero_bars_after_sizing);
    tcase_add_test(tc, pci_piix3_pirq_routes_default_disabled_and_masked);
    tcase_add_test(tc, pci_cf9_rcpu_with_srst_requests_reset);
    tcase_add_test(tc, pci_reset_restores_power_on_configuration);
    tcase_add_test(tc, pci_functions_carry_qemu_subsystem_ids);
    tcase_add_test(tc, pci_pam_write_reaches_hook_only_on_change);
    tcase_add_test(tc, pci_pirq_slot_wiring_rotates_by_device);
    tcase_add_test(tc, pci_intx_routed_pirq_drives_isa_irq_and_ioapic_pin);
    tcase_add_test(tc, pci_shared_intx_lines_are_ored);
    tcase_add_test(tc, pci_pirq_reserved_irqs_are_not_routed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pci_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
