/*
 * test_ioapic.c — the 82093AA I/O APIC (devices/ioapic.c) with a recording APIC bus, and the
 * board's routing ISA IRQ -> I/O APIC -> local APIC -> board_intr_ack in a whole Vm.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpuid.h"
#include "cpu/msr.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "mem/phys.h"
#include "vm/board.h"
#include "vm/vm.h"

#define BASE 0xfec00000ull

typedef struct Rig {
    PhysMem mem;
    IoapicState *io;
    int sent;
    ApicMsg last;
    bool accept;
} Rig;

static bool rig_deliver(void *opaque, const ApicMsg *m)
{
    Rig *r = opaque;
    r->sent++;
    r->last = *m;
    return r->accept;
}

static Rig *rig_new(void)
{
    Rig *r = calloc(1, sizeof(*r));
    phys_init(&r->mem);
    r->accept = true;
    r->io = ioapic_new(&r->mem, BASE, rig_deliver, r);
    ck_assert_ptr_nonnull(r->io);
    return r;
}

static void rig_free(Rig *r)
{
    free(r->io);
    free(r);
}

static uint32_t reg_rd(Rig *r, uint8_t reg)
{
    phys_mem_write(&r->mem, BASE, 4, reg);
    return (uint32_t)phys_mem_read(&r->mem, BASE + 0x10, 4);
}

static void reg_wr(Rig *r, uint8_t reg, uint32_t v)
{
    phys_mem_write(&r->mem, BASE, 4, reg);
    phys_mem_write(&r->mem, BASE + 0x10, 4, v);
}

START_TEST(ioapic_reset_registers_have_datasheet_values)
{
    Rig *r = rig_new();
    ck_assert_uint_eq(reg_rd(r, 0x00), 0);
    ck_assert_uint_eq(reg_rd(r, 0x01), 0x00170011u);
    ck_assert_uint_eq(phys_mem_read(&r->mem, BASE, 1), 0x01);   /* IOREGSEL reads back */
    for (int pin = 0; pin < 24; pin++) {
        ck_assert_uint_eq(reg_rd(r, (uint8_t)(0x10 + 2 * pin)), 0x10000);
        ck_assert_uint_eq(reg_rd(r, (uint8_t)(0x11 + 2 * pin)), 0);
    }
    ck_assert_uint_eq(reg_rd(r, 0x40), 0);          /* past the table */
    rig_free(r);
}
END_TEST

START_TEST(ioapic_id_and_entry_writable_bits)
{
    Rig *r = rig_new();
    reg_wr(r, 0x00, 0xffffffff);
    ck_assert_uint_eq(reg_rd(r, 0x00), 0x0f000000u);
    ck_assert_uint_eq(reg_rd(r, 0x02), 0x0f000000u);   /* arbitration ID */
    reg_wr(r, 0x01, 0);
    ck_assert_uint_eq(reg_rd(r, 0x01), 0x00170011u);   /* read-only */
    reg_wr(r, 0x12, 0xffffffff);
    ck_assert_uint_eq(reg_rd(r, 0x12), 0x1afffu);      /* no delivery status / remote IRR */
    reg_wr(r, 0x13, 0xffffffff);
    ck_assert_uint_eq(reg_rd(r, 0x13), 0xff000000u);
    rig_free(r);
}
END_TEST

START_TEST(ioapic_edge_pin_delivers_once_per_rising_edge)
{
    Rig *r = rig_new();
    reg_wr(r, 0x13, 0x01000000);
    reg_wr(r, 0x12, 0x00000831);                    /* pin 1: vector 31h, logical, edge */
    ioapic_set_irq(r->io, 1, 1);
    ck_assert_int_eq(r->sent, 1);
    ck_assert_uint_eq(r->last.vector, 0x31);
    ck_assert_uint_eq(r->last.delivery, APIC_DM_FIXED);
    ck_assert(r->last.logical);
    ck_assert_uint_eq(r->last.dest, 1);
    ck_assert(!r->last.level);
    ioapic_set_irq(r->io, 1, 1);
    ck_assert_int_eq(r->sent, 1);
    ioapic_set_irq(r->io, 1, 0);
    ioapic_set_irq(r->io, 1, 1);
    ck_assert_int_eq(r->sent, 2);
    ck_assert_uint_eq(reg_rd(r, 0x12) & (1u << 14), 0);   /* edge: no remote IRR */
    rig_free(r);
}
END_TEST

START_TEST(ioapic_masked_edge_is_lost)
{
    Rig *r = rig_new();
    reg_wr(r, 0x14, 0x00010032);                    /* pin 2 masked */
    ioapic_set_irq(r->io, 2, 1);
    ioapic_set_irq(r->io, 2, 0);
    reg_wr(r, 0x14, 0x00000032);
    ck_assert_int_eq(r->sent, 0);
    ioapic_set_irq(r->io, 2, 1);
    ck_assert_int_eq(r->sent, 1);
    rig_free(r);
}
END_TEST

START_TEST(ioapic_level_pin_holds_remote_irr_until_eoi)
{
    Rig *r = rig_new();
    reg_wr(r, 0x22, 0x0000a041);                    /* pin 9: vector 41h, level, active low */
    ioapic_set_irq(r->io, 9, 1);
    ck_assert_int_eq(r->sent, 1);
    ck_assert(r->last.level);
    ck_assert_uint_ne(reg_rd(r, 0x22) & (1u << 14), 0);   /* remote IRR */
    ioapic_set_irq(r->io, 9, 1);
    ck_assert_int_eq(r->sent, 1);
    ioapic_eoi(r->io, 0x42);                        /* another vector */
    ck_assert_int_eq(r->sent, 1);
    ioapic_eoi(r->io, 0x41);                        /* still asserted: again */
    ck_assert_int_eq(r->sent, 2);
    ck_assert_uint_ne(reg_rd(r, 0x22) & (1u << 14), 0);
    ioapic_set_irq(r->io, 9, 0);
    ioapic_eoi(r->io, 0x41);
    ck_assert_int_eq(r->sent, 2);
    ck_assert_uint_eq(reg_rd(r, 0x22) & (1u << 14), 0);
    rig_free(r);
}
END_TEST

START_TEST(ioapic_level_not_accepted_leaves_remote_irr_clear)
{
    Rig *r = rig_new();
    r->accept = false;
    reg_wr(r, 0x22, 0x00008041);
    ioapic_set_irq(r->io, 9, 1);
    ck_assert_int_eq(r->sent, 1);
    ck_assert_uint_eq(reg_rd(r, 0x22) & (1u << 14), 0);
    rig_free(r);
}
END_TEST

START_TEST(ioapic_unmasking_asserted_level_pin_delivers)
{
    Rig *r = rig_new();
    reg_wr(r, 0x2a, 0x00018051);                    /* pin 13: level, masked */
    ioapic_set_irq(r->io, 13, 1);
    ck_assert_int_eq(r->sent, 0);
    reg_wr(r, 0x2a, 0x00008051);
    ck_assert_int_eq(r->sent, 1);
    reg_wr(r, 0x2a, 0x00000051);                    /* to edge: remote IRR cleared */
    ck_assert_uint_eq(reg_rd(r, 0x2a) & (1u << 14), 0);
    rig_free(r);
}
END_TEST

START_TEST(ioapic_out_of_range_pins_ignored)
{
    Rig *r = rig_new();
    ioapic_set_irq(r->io, -1, 1);
    ioapic_set_irq(r->io, 24, 1);
    ioapic_set_irq(r->io, 1000, 1);
    ck_assert_int_eq(r->sent, 0);
    rig_free(r);
}
END_TEST

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

START_TEST(ioapic_random_guest_accesses_keep_remote_irr_consistent)
{
    Rig *r = rig_new();
    uint64_t s = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < 200000; i++) {
        uint64_t x = rnd(&s);
        uint32_t val = (uint32_t)(x >> 32);
        r->accept = (x >> 8) & 1;
        switch ((x >> 9) & 3) {
        case 0:
            phys_mem_write(&r->mem, BASE + ((x >> 11) & 0x1f) * 4, 4, val);
            break;
        case 1:
            phys_mem_read(&r->mem, BASE + ((x >> 11) & 0x1f) * 4, 4);
            break;
        case 2:
            ioapic_set_irq(r->io, (int)((x >> 11) % 30) - 2, (int)((x >> 20) & 1));
            break;
        default:
            ioapic_eoi(r->io, (uint8_t)val);
            break;
        }
    }
    /* remote IRR only on level entries */
    for (int pin = 0; pin < 24; pin++) {
        uint32_t lo = reg_rd(r, (uint8_t)(0x10 + 2 * pin));
        if (lo & (1u << 14))
            ck_assert_uint_ne(lo & (1u << 15), 0);
    }
    rig_free(r);
}
END_TEST

/* ---- through the board ---- */

static Vm *vm_with_bios(void)
{
    char path[] = "/tmp/softvisor-test-bios-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *rom = calloc(1, 4096);
    rom[0xff0] = 0xf4;                              /* hlt */
    ck_assert_int_eq(write(fd, rom, 4096), 4096);
    close(fd);
    free(rom);
    char err[256] = "";
    VmConfig cfg = { .ram_size = 2u << 20, .bios = path };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    unlink(path);
    ck_assert_msg(vm != NULL, "vm_new: %s", err);
    return vm;
}

static void io_wr(Vm *vm, uint8_t reg, uint32_t v)
{
    phys_mem_write(&vm->mem, 0xfec00000, 4, reg);
    phys_mem_write(&vm->mem, 0xfec00010, 4, v);
}

START_TEST(board_isa_irq_reaches_cpu_through_ioapic_and_lapic)
{
    Vm *vm = vm_with_bios();
    phys_mem_write(&vm->mem, 0xfee000f0, 4, 0x1ff);  /* LAPIC software enable */
    io_wr(vm, 0x14, 0x00000030);                    /* pin 2 (IRQ0): vector 30h, edge, dest 0 */
    io_wr(vm, 0x12, 0x00008031);                    /* pin 1 (IRQ1): vector 31h, level */
    board_isa_irq(vm, 0, 1);
    ck_assert(board_intr_pending(vm));
    uint8_t v = 0;
    ck_assert(board_intr_ack(vm, &v));
    ck_assert_uint_eq(v, 0x30);
    phys_mem_write(&vm->mem, 0xfee000b0, 4, 0);      /* EOI */
    ck_assert(!board_intr_pending(vm));
    board_isa_irq(vm, 1, 1);
    ck_assert(board_intr_ack(vm, &v));
    ck_assert_uint_eq(v, 0x31);
    phys_mem_write(&vm->mem, 0xfee000b0, 4, 0);      /* EOI broadcast: pin still high */
    ck_assert(board_intr_ack(vm, &v));
    ck_assert_uint_eq(v, 0x31);
    board_isa_irq(vm, 1, 0);
    phys_mem_write(&vm->mem, 0xfee000b0, 4, 0);
    ck_assert(!board_intr_pending(vm));
    vm_free(vm);
}
END_TEST

START_TEST(board_pic_reaches_cpu_only_through_virtual_wire)
{
    Vm *vm = vm_with_bios();
    static const uint8_t master[] = { 0x11, 0x08, 0x04, 0x01 }, slave[] = { 0x11, 0x70, 0x02, 0x01 };
    for (int i = 0; i < 4; i++) {
        io_out(&vm->io, i ? 0x21 : 0x20, 1, master[i]);
        io_out(&vm->io, i ? 0xa1 : 0xa0, 1, slave[i]);
    }
    io_out(&vm->io, 0x21, 1, 0x00);
    board_isa_irq(vm, 3, 1);
    ck_assert(board_intr_pending(vm));              /* LAPIC software-disabled: passes */
    phys_mem_write(&vm->mem, 0xfee000f0, 4, 0x1ff);
    ck_assert(!board_intr_pending(vm));             /* enabled with LINT0 masked: cut off */
    phys_mem_write(&vm->mem, 0xfee00350, 4, 0x700); /* LINT0 ExtINT */
    ck_assert(board_intr_pending(vm));
    uint8_t v = 0;
    ck_assert(board_intr_ack(vm, &v));
    ck_assert_uint_eq(v, 0x0b);
    vm_free(vm);
}
END_TEST

START_TEST(board_cpu_hooks_follow_lapic)
{
    Vm *vm = vm_with_bios();
    Cpu *cpu = vm->cpu;
    ck_assert_ptr_nonnull(cpu->apic);
    cpu->apic->cr8_write(cpu->apic_opaque, 7);
    ck_assert_uint_eq(phys_mem_read(&vm->mem, 0xfee00080, 4), 0x70);
    phys_mem_write(&vm->mem, 0xfee00080, 4, 0x90);
    ck_assert_uint_eq(cpu->apic->cr8_read(cpu->apic_opaque), 9);
    phys_mem_write(&vm->mem, 0xfee00320, 4, 0x40040);     /* TSC-deadline mode */
    cpu->apic->tsc_deadline_write(cpu->apic_opaque, 12345);
    ck_assert_uint_eq(cpu->apic->tsc_deadline_read(cpu->apic_opaque), 12345);
    ck_assert_uint_eq(clock_next_deadline(&vm->clock), 12345);
    uint32_t out[4];
    cpuid_query(cpu, 1, 0, out);
    ck_assert_uint_ne(out[3] & CPUID_1_EDX_APIC, 0);
    ck_assert_uint_ne(out[2] & CPUID_1_ECX_TSC_DEADLINE, 0);
    ck_assert(msr_write(cpu, MSR_IA32_APIC_BASE, 0xfee00100));   /* hardware disable */
    cpuid_query(cpu, 1, 0, out);
    ck_assert_uint_eq(out[3] & CPUID_1_EDX_APIC, 0);
    uint64_t v;
    ck_assert(!msr_read(cpu, MSR_IA32_TSC_DEADLINE, &v));          /* gone with the APIC */
    ck_assert_uint_eq(phys_mem_read(&vm->mem, 0xfee00030, 4), 0xffffffffu);
    ck_assert(msr_write(cpu, MSR_IA32_APIC_BASE, 0xfee00900));
    ck_assert_uint_eq(phys_mem_read(&vm->mem, 0xfee00030, 4), 0x00050014u);
    vm_free(vm);
}
END_TEST

START_TEST(board_mmio_write_arming_earlier_timer_stops_cpu)
{
    Vm *vm = vm_with_bios();
    Cpu *cpu = vm->cpu;
    const CpuBus *bus = cpu->bus;
    bus->phys_write(cpu->bus_opaque, 0xfee000f0, 4, 0x1ff);
    bus->phys_write(cpu->bus_opaque, 0xfee00320, 4, 0x00040);   /* one-shot, vector 40h */
    cpu->stop_request = false;
    bus->phys_write(cpu->bus_opaque, 0xfee00380, 4, 1000);      /* initial count: arms a deadline */
    ck_assert(cpu->stop_request);                               /* vm_run must take the new limit */
    cpu->stop_request = false;
    bus->phys_write(cpu->bus_opaque, 0xfee00080, 4, 0x10);      /* TPR: no deadline change */
    ck_assert(!cpu->stop_request);
    phys_mem_write(&vm->mem, 0xfee00320, 4, 0x40040);           /* TSC-deadline mode */
    cpu->apic->tsc_deadline_write(cpu->apic_opaque, 500);
    ck_assert(cpu->stop_request);
    vm_free(vm);
}
END_TEST

static Suite *ioapic_suite(void)
{
    Suite *s = suite_create("ioapic");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ioapic_reset_registers_have_datasheet_values);
    tcase_add_test(tc, ioapic_id_and_entry_writable_bits);
    tcase_add_test(tc, ioapic_edge_pin_delivers_once_per_rising_edge);
    tcase_add_test(tc, ioapic_masked_edge_is_lost);
    tcase_add_test(tc, ioapic_level_pin_holds_remote_irr_until_eoi);
    tcase_add_test(tc, ioapic_level_not_accepted_leaves_remote_irr_clear);
    tcase_add_test(tc, ioapic_unmasking_asserted_level_pin_delivers);
    tcase_add_test(tc, ioapic_out_of_range_pins_ignored);
    tcase_add_test(tc, ioapic_random_guest_accesses_keep_remote_irr_consistent);
    tcase_add_test(tc, board_isa_irq_reaches_cpu_through_ioapic_and_lapic);
    tcase_add_test(tc, board_pic_reaches_cpu_only_through_virtual_wire);
    tcase_add_test(tc, board_cpu_hooks_follow_lapic);
    tcase_add_test(tc, board_mmio_write_arming_earlier_timer_stops_cpu);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ioapic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
