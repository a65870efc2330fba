/*
 * test_lapic.c — the local APIC (devices/lapic.c) on its own: registers poked through the
 * physical address space as the CPU's MOVs would, time stepped on a local virtual clock, the
 * NMI/EOI/TSC hooks recorded.  SDM vol. 3, chapter 11.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/lapic.h"
#include "mem/phys.h"
#include "vm/clock.h"

#define BASE 0xfee00000ull

typedef struct Rig {
    PhysMem mem;
    Clock clock;
    uint64_t icount;
    LapicState *l;
    int nmis;
    int eois;
    uint8_t last_eoi;
    uint64_t tsc_offset;      /* TSC = icount + tsc_offset */
} Rig;

static void rig_nmi(void *opaque)
{
    Rig *r = opaque;
    r->nmis++;
}

static void rig_eoi(void *opaque, uint8_t vector)
{
    Rig *r = opaque;
    r->eois++;
    r->last_eoi = vector;
}

static uint64_t rig_tsc(void *opaque)
{
    Rig *r = opaque;
    return r->icount + r->tsc_offset;
}

static Rig *rig_new(void)
{
    Rig *r = calloc(1, sizeof(*r));
    phys_init(&r->mem);
    clock_init(&r->clock, &r->icount);
    LapicHooks h = { rig_nmi, rig_eoi, rig_tsc, r };
    r->l = lapic_new(&r->mem, &r->clock, &h, 1);
    ck_assert_ptr_nonnull(r->l);
    return r;
}

static void rig_free(Rig *r)
{
    free(r->l);
    free(r);
}

static uint32_t rd(Rig *r, uint32_t off)
{
    return (uint32_t)phys_mem_read(&r->mem, BASE + off, 4);
}

static void wr(Rig *r, uint32_t off, uint32_t v)
{
    phys_mem_write(&r->mem, BASE + off, 4, v);
}

/* Runs the virtual clock to `ns` (one instruction = one ns). */
static void run_to(Rig *r, uint64_t ns)
{
    r->icount = ns / CLOCK_NS_PER_INSN;
    clock_run_due(&r->clock);
}

static void sw_enable(Rig *r)
{
    wr(r, 0xf0, 0x1ff);
}

static void fixed(Rig *r, uint8_t vector, bool level)
{
    ApicMsg m = { .vector = vector, .delivery = APIC_DM_FIXED, .dest = 0, .level = level };
    ck_assert(lapic_deliver(r->l, &m));
}

static bool irr_has(Rig *r, uint8_t v)
{
    return (rd(r, 0x200 + (v >> 5) * 0x10) >> (v & 31)) & 1;
}

static bool isr_has(Rig *r, uint8_t v)
{
    return (rd(r, 0x100 + (v >> 5) * 0x10) >> (v & 31)) & 1;
}

START_TEST(lapic_reset_registers_have_sdm_values)
{
    Rig *r = rig_new();
    ck_assert_uint_eq(lapic_get_base(r->l), 0xfee00900u);
    ck_assert_uint_eq(rd(r, 0x20), 0);              /* ID */
    ck_assert_uint_eq(rd(r, 0x30), 0x00050014u);    /* version: max LVT 5, version 14h */
    ck_assert_uint_eq(rd(r, 0x80), 0);              /* TPR */
    ck_assert_uint_eq(rd(r, 0xa0), 0);              /* PPR */
    ck_assert_uint_eq(rd(r, 0xd0), 0);              /* LDR */
    ck_assert_uint_eq(rd(r, 0xe0), 0xffffffffu);    /* DFR: flat */
    ck_assert_uint_eq(rd(r, 0xf0), 0xff);           /* SVR: software-disabled, vector FFh */
    for (uint32_t off = 0x320; off <= 0x370; off += 0x10)
        ck_assert_uint_eq(rd(r, off), 0x10000);     /* LVT masked */
    for (uint32_t off = 0x100; off < 0x280; off += 0x10)
        ck_assert_uint_eq(rd(r, off), 0);           /* ISR, TMR, IRR */
    ck_assert_uint_eq(rd(r, 0x380), 0);
    ck_assert_uint_eq(rd(r, 0x390), 0);
    ck_assert_uint_eq(rd(r, 0x3e0), 0);
    ck_assert_uint_eq(rd(r, 0x280), 0);
    ck_assert(!lapic_intr_pending(r->l));
    ck_assert(lapic_accepts_pic(r->l));             /* software-disabled: virtual wire */
    rig_free(r);
}
END_TEST

START_TEST(lapic_fixed_interrupt_moves_irr_to_isr_and_eoi_clears)
{
    Rig *r = rig_new();
    sw_enable(r);
    fixed(r, 0x31, false);
    ck_assert(irr_has(r, 0x31));
    ck_assert(lapic_intr_pending(r->l));
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0x31);
    ck_assert(!irr_has(r, 0x31));
    ck_assert(isr_has(r, 0x31));
    ck_assert_uint_eq(rd(r, 0xa0), 0x30);           /* PPR = in-service class */
    ck_assert(!lapic_intr_pending(r->l));
    wr(r, 0xb0, 0);                                 /* EOI */
    ck_assert(!isr_has(r, 0x31));
    ck_assert_uint_eq(rd(r, 0xa0), 0);
    ck_assert_int_eq(r->eois, 0);                   /* edge: no EOI broadcast */
    rig_free(r);
}
END_TEST

START_TEST(lapic_highest_vector_first_and_eoi_clears_highest_isr)
{
    Rig *r = rig_new();
    sw_enable(r);
    fixed(r, 0x41, false);
    fixed(r, 0x92, false);
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0x92);
    ck_assert(!lapic_intr_pending(r->l));           /* 0x41 is below the in-service class */
    wr(r, 0xb0, 0);
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0x41);
    rig_free(r);
}
END_TEST

START_TEST(lapic_isr_blocks_same_class_not_higher)
{
    Rig *r = rig_new();
    sw_enable(r);
    fixed(r, 0x50, false);
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0x50);
    fixed(r, 0x5f, false);
    ck_assert(!lapic_intr_pending(r->l));
    fixed(r, 0x60, false);
    ck_assert(lapic_intr_pending(r->l));
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0x60);  /* nested */
    wr(r, 0xb0, 0);
    wr(r, 0xb0, 0);
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0x5f);
    rig_free(r);
}
END_TEST

START_TEST(lapic_tpr_masks_classes_at_or_below_and_cr8_aliases_it)
{
    Rig *r = rig_new();
    sw_enable(r);
    wr(r, 0x80, 0x45);
    ck_assert_uint_eq(rd(r, 0xa0), 0x45);           /* PPR = TPR */
    ck_assert_uint_eq(lapic_get_cr8(r->l), 4);
    fixed(r, 0x4f, false);
    ck_assert(!lapic_intr_pending(r->l));
    fixed(r, 0x50, false);
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0x50);
    wr(r, 0xb0, 0);
    lapic_set_cr8(r->l, 3);
    ck_assert_uint_eq(rd(r, 0x80), 0x30);
    ck_assert(lapic_intr_pending(r->l));
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0x4f);
    rig_free(r);
}
END_TEST

START_TEST(lapic_ack_with_nothing_deliverable_gives_spurious_vector)
{
    Rig *r = rig_new();
    wr(r, 0xf0, 0x1e7);
    ck_assert_uint_eq(rd(r, 0xf0), 0x1e7);
    wr(r, 0x80, 0xf0);
    fixed(r, 0x80, false);
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0xe7);
    ck_assert(irr_has(r, 0x80));                    /* still pending */
    ck_assert(!isr_has(r, 0x80));
    rig_free(r);
}
END_TEST

START_TEST(lapic_level_interrupt_sets_tmr_and_eoi_is_broadcast)
{
    Rig *r = rig_new();
    sw_enable(r);
    fixed(r, 0x61, true);
    ck_assert((rd(r, 0x180 + 0x30) >> 1) & 1);      /* TMR bit 0x61 */
    ck_assert_uint_eq(lapic_intr_ack(r->l), 0x61);
    wr(r, 0xb0, 0);
    ck_assert_int_eq(r->eois, 1);
    ck_assert_uint_eq(r->last_eoi, 0x61);
    fixed(r, 0x61, false);                          /* edge again: TMR cleared */
    ck_assert(!((rd(r, 0x180 + 0x30) >> 1) & 1));
    lapic_intr_ack(r->l);
    wr(r, 0xb0, 0);
    ck_assert_int_eq(r->eois, 1);
    rig_free(r);
}
END_TEST

START_TEST(lapic_illegal_vector_logged_in_esr_after_write)
{
    Rig *r = rig_new();
    sw_enable(r);
    wr(r, 0x370, 0xfe);                             /* LVT error: vector FEh, unmasked */
    ApicMsg m = { .vector = 5, .delivery = APIC_DM_FIXED };
    ck_assert(!lapic_deliver(r->l, &m));
    ck_assert(!irr_has(r, 5));
    ck_assert_uint_eq(rd(r, 0x280), 0);             /* not visible before a write */
    wr(r, 0x280, 0);
    ck_assert_uint_eq(rd(r, 0x280), 0x40);          /* receive illegal vector */
    wr(r, 0x280, 0);
    ck_assert_uint_eq(rd(r, 0x280), 0);             /* the write cleared it */
    ck_assert(irr_has(r, 0xfe));                    /* error interrupt */
    wr(r, 0x300, 0x00040003);                       /* self IPI, vector 3 */
    wr(r, 0x280, 0);
    ck_assert_uint_eq(rd(r, 0x280), 0x20);          /* send illegal vector */
    rd(r, 0x2f0);                                   /* reserved (no CMCI LVT) */
    wr(r, 0x280, 0);
    ck_assert_uint_eq(rd(r, 0x280), 0x80);          /* illegal register address */
    rig_free(r);
}
END_TEST

START_TEST(lapic_software_disabled_forces_lvt_masks)
{
    Rig *r = rig_new();
    wr(r, 0x350, 0x700);                            /* LINT0 ExtINT while disabled */
    ck_assert_uint_eq(rd(r, 0x350), 0x10700);
    sw_enable(r);
    wr(r, 0x350, 0x700);
    ck_assert_uint_eq(rd(r, 0x350), 0x700);
    ck_assert(lapic_accepts_pic(r->l));
    wr(r, 0x350, 0x10700);
    ck_assert(!lapic_accepts_pic(r->l));            /* LINT0 masked: 8259 cut off */
    wr(r, 0x350, 0x700);
    wr(r, 0xf0, 0xff);                              /* software disable sets the masks */
    ck_assert_uint_eq(rd(r, 0x350), 0x10700);
    rig_free(r);
}
END_TEST

START_TEST(lapic_self_ipi_and_shorthands)
{
    Rig *r = rig_new();
    sw_enable(r);
    wr(r, 0x300, 0x00040041);                       /* shorthand self */
    ck_assert(irr_has(r, 0x41));
    wr(r, 0x300, 0x000c0042);                       /* all excluding self: nobody */
    ck_assert(!irr_has(r, 0x42));
    wr(r, 0x310, 0x00000000);
    wr(r, 0x300, 0x00000043);                       /* physical dest 0 = this APIC */
    ck_assert(irr_has(r, 0x43));
    wr(r, 0x310, 0x05000000);
    wr(r, 0x300, 0x00000044);                       /* physical dest 5: nobody */
    ck_assert(!irr_has(r, 0x44));
    wr(r, 0x300, 0x00000400);                       /* NMI to dest 5: nobody */
    ck_assert_int_eq(r->nmis, 0);
    wr(r, 0x300, 0x00080400);                       /* NMI, all including self */
    ck_assert_int_eq(r->nmis, 1);
    ck_assert_uint_eq(rd(r, 0x300) & (1u << 12), 0);   /* delivery status idle */
    rig_free(r);
}
END_TEST

START_TEST(lapic_logical_destination_flat_and_cluster)
{
    Rig *r = rig_new();
    sw_enable(r);
    wr(r, 0xd0, 0x02000000);                        /* LDR: logical ID 02h */
    ApicMsg m = { .vector = 0x51, .delivery = APIC_DM_LOWEST, .logical = true, .dest = 0x01 };
    ck_assert(!lapic_deliver(r->l, &m));
    m.dest = 0x03;
    ck_assert(lapic_deliver(r->l, &m));
    wr(r, 0xe0, 0x0fffffff);                        /* cluster model */
    ck_assert_uint_eq(rd(r, 0xe0), 0x0fffffffu);
    wr(r, 0xd0, 0x12000000);                        /* cluster 1, member bit 1 */
    m.dest = 0x22;
    ck_assert(!lapic_deliver(r->l, &m));
    m.dest = 0x12;
    ck_assert(lapic_deliver(r->l, &m));
    rig_free(r);
}
END_TEST

/* DCR value -> divisor (SDM figure 11-10). */
static const struct { uint32_t dcr; uint64_t div; } dividers[] = {
    { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
};

START_TEST(lapic_timer_oneshot_fires_after_count_times_divisor)
{
    Rig *r = rig_new();
    sw_enable(r);
    uint64_t div = dividers[_i].div;
    run_to(r, 1000);
    wr(r, 0x3e0, dividers[_i].dcr);
    wr(r, 0x320, 0x00040);                          /* one-shot, vector 40h */
    wr(r, 0x380, 100);
    ck_assert_uint_eq(rd(r, 0x390), 100);
    run_to(r, 1000 + 50 * div);
    ck_assert_uint_eq(rd(r, 0x390), 50);
    run_to(r, 1000 + 100 * div - 1);
    ck_assert(!irr_has(r, 0x40));
    ck_assert_uint_eq(clock_next_deadline(&r->clock), 1000 + 100 * div);
    run_to(r, 1000 + 100 * div);
    ck_assert(irr_has(r, 0x40));
    ck_assert_uint_eq(rd(r, 0x390), 0);
    ck_assert_uint_eq(clock_next_deadline(&r->clock), CLOCK_NEVER);   /* once */
    rig_free(r);
}
END_TEST

START_TEST(lapic_timer_periodic_reloads_and_fires_each_period)
{
    Rig *r = rig_new();
    sw_enable(r);
    uint64_t div = dividers[_i].div;
    wr(r, 0x3e0, dividers[_i].dcr);
    wr(r, 0x320, 0x20050);                          /* periodic, vector 50h */
    wr(r, 0x380, 1000);
    uint64_t period = 1000 * div;
    for (int k = 1; k <= 3; k++) {
        run_to(r, k * period - 1);
        ck_assert(!irr_has(r, 0x50));
        run_to(r, k * period);
        ck_assert(irr_has(r, 0x50));
        ck_assert_uint_eq(rd(r, 0x390), 1000);      /* reloaded */
        ck_assert_uint_eq(lapic_intr_ack(r->l), 0x50);
        wr(r, 0xb0, 0);
    }
    run_to(r, 3 * period + 250 * div);
    ck_assert_uint_eq(rd(r, 0x390), 750);
    wr(r, 0x380, 0);                                /* stop */
    ck_assert_uint_eq(clock_next_deadline(&r->clock), CLOCK_NEVER);
    rig_free(r);
}
END_TEST

START_TEST(lapic_timer_masked_counts_without_interrupt)
{
    Rig *r = rig_new();
    sw_enable(r);
    wr(r, 0x3e0, 0xb);
    wr(r, 0x320, 0x30060);                          /* periodic, masked */
    wr(r, 0x380, 10);
    run_to(r, 10);
    ck_assert(!irr_has(r, 0x60));
    ck_assert_uint_eq(clock_next_deadline(&r->clock), 20);   /* still reloading */
    wr(r, 0x320, 0x20060);                          /* unmask */
    run_to(r, 20);
    ck_assert(irr_has(r, 0x60));
    rig_free(r);
}
END_TEST

START_TEST(lapic_timer_divider_change_keeps_current_count)
{
    Rig *r = rig_new();
    sw_enable(r);
    wr(r, 0x3e0, 0xb);                              /* /1 */
    wr(r, 0x320, 0x00040);
    wr(r, 0x380, 100);
    run_to(r, 40);
    wr(r, 0x3e0, 0x0);                              /* /2: 60 ticks left, 120 ns */
    ck_assert_uint_eq(rd(r, 0x390), 60);
    run_to(r, 159);
    ck_assert(!irr_has(r, 0x40));
    run_to(r, 160);
    ck_assert(irr_has(r, 0x40));
    rig_free(r);
}
END_TEST

START_TEST(lapic_tsc_deadline_fires_when_tsc_reaches_value)
{
    Rig *r = rig_new();
    sw_enable(r);
    r->tsc_offset = 5000;                           /* TSC = ns + 5000 */
    lapic_set_tsc_deadline(r->l, 9000);             /* one-shot mode: ignored */
    ck_assert_uint_eq(lapic_get_tsc_deadline(r->l), 0);
    wr(r, 0x320, 0x40070);                          /* TSC-deadline, vector 70h */
    wr(r, 0x380, 5);                                /* initial count ignored */
    ck_assert_uint_eq(rd(r, 0x380), 0);
    run_to(r, 100);
    lapic_set_tsc_deadline(r->l, 9000);
    ck_assert_uint_eq(lapic_get_tsc_deadline(r->l), 9000);
    ck_assert_uint_eq(rd(r, 0x390), 0);
    run_to(r, 3999);
    ck_assert(!irr_has(r, 0x70));
    run_to(r, 4000);
    ck_assert(irr_has(r, 0x70));
    ck_assert_uint_eq(lapic_get_tsc_deadline(r->l), 0);   /* disarmed after firing */
    lapic_intr_ack(r->l);
    wr(r, 0xb0, 0);
    lapic_set_tsc_deadline(r->l, 100);              /* already passed: fires at once */
    run_to(r, 4000);
    ck_assert(irr_has(r, 0x70));
    lapic_intr_ack(r->l);
    wr(r, 0xb0, 0);
    lapic_set_tsc_deadline(r->l, 20000);
    wr(r, 0x320, 0x00070);                          /* leaving TSC-deadline mode disarms */
    run_to(r, 20000);
    ck_assert(!irr_has(r, 0x70));
    rig_free(r);
}
END_TEST

START_TEST(lapic_hardware_disable_hides_page_and_resets_on_enable)
{
    Rig *r = rig_new();
    sw_enable(r);
    wr(r, 0x80, 0x20);
    fixed(r, 0x33, false);
    lapic_set_base(r->l, 0xfee00100);               /* EN = 0 */
    ck_assert_uint_eq(rd(r, 0x30), 0xffffffffu);
    ck_assert(!lapic_intr_pending(r->l));
    ck_assert(lapic_accepts_pic(r->l));
    ApicMsg m = { .vector = 0x40, .delivery = APIC_DM_FIXED };
    ck_assert(!lapic_deliver(r->l, &m));
    lapic_set_base(r->l, 0xfee00900);
    ck_assert_uint_eq(rd(r, 0x30), 0x00050014u);
    ck_assert_uint_eq(rd(r, 0x80), 0);              /* power-up state */
    ck_assert_uint_eq(rd(r, 0xf0), 0xff);
    ck_assert(!irr_has(r, 0x33));
    rig_free(r);
}
END_TEST

START_TEST(lapic_base_relocation_moves_register_page)
{
    Rig *r = rig_new();
    lapic_set_base(r->l, 0xfed00900);
    ck_assert_uint_eq(phys_mem_read(&r->mem, 0xfed00030, 4), 0x00050014u);
    ck_assert_uint_eq(rd(r, 0x30), 0xffffffffu);    /* old page unassigned */
    lapic_reset(r->l);
    ck_assert_uint_eq(rd(r, 0x30), 0x00050014u);
    rig_free(r);
}
END_TEST

START_TEST(lapic_lint1_nmi_and_lint0_fixed)
{
    Rig *r = rig_new();
    sw_enable(r);
    wr(r, 0x350, 0x700);                            /* LINT0 ExtINT, LINT1 NMI (as SeaBIOS) */
    wr(r, 0x360, 0x400);
    ck_assert_uint_eq(rd(r, 0x360), 0x400);
    lapic_set_lint(r->l, 1, 1);
    lapic_set_lint(r->l, 1, 1);                     /* no new edge */
    ck_assert_int_eq(r->nmis, 1);
    wr(r, 0x350, 0x00035);                          /* LINT0 fixed vector 35h, edge */
    ck_assert(!lapic_accepts_pic(r->l));
    lapic_set_lint(r->l, 0, 1);
    ck_assert(irr_has(r, 0x35));
    rig_free(r);
}
END_TEST

START_TEST(lapic_byte_reads_are_merged_from_the_word)
{
    Rig *r = rig_new();
    ck_assert_uint_eq(phys_mem_read(&r->mem, BASE + 0x30, 1), 0x14);
    ck_assert_uint_eq(phys_mem_read(&r->mem, BASE + 0x32, 1), 0x05);
    ck_assert_uint_eq(phys_mem_read(&r->mem, BASE + 0x34, 4), 0);   /* rest of the slot */
    rig_free(r);
}
END_TEST

/* xorshift64: a fixed seed, so a failure repeats. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

START_TEST(lapic_random_guest_accesses_never_stall_or_break_invariants)
{
    Rig *r = rig_new();
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 200000; i++) {
        uint64_t x = rnd(&s);
        uint32_t off = (uint32_t)(x & 0xff0);
        uint32_t val = (uint32_t)(x >> 32);
        switch ((x >> 12) & 7) {
        case 0:
            rd(r, off);
            break;
        case 1:
            wr(r, off, val);
            break;
        case 2:   /* bias toward the timer and SVR */
            wr(r, 0x320 + (uint32_t)((x >> 20) % 3) * 0x60, val & 0x700ff);
            wr(r, 0xf0, val | 0x100);
            break;
        case 3:
            lapic_set_tsc_deadline(r->l, r->icount + r->tsc_offset + (val & 0xffff));
            break;
        case 4:
            if (lapic_intr_pending(r->l)) {
                uint8_t v = lapic_intr_ack(r->l);
                ck_assert_uint_ge(v, 16);
            }
            wr(r, 0xb0, 0);
            break;
        case 5:
            if ((val & 0xff) == 0)
                lapic_set_base(r->l, (val & 1) ? 0xfee00100 : 0xfee00900);
            else
                lapic_set_cr8(r->l, (uint8_t)val);
            break;
        default:
            run_to(r, r->icount + (val & 0x3ff));
            break;
        }
        clock_run_due(&r->clock);
        ck_assert_uint_gt(clock_next_deadline(&r->clock), clock_now(&r->clock));
    }
    rig_free(r);
}
END_TEST

static Suite *lapic_suite(void)
{
    Suite *s = suite_create("lapic");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, lapic_reset_registers_have_sdm_values);
    tcase_add_test(tc, lapic_fixed_interrupt_moves_irr_to_isr_and_eoi_clears);
    tcase_add_test(tc, lapic_highest_vector_first_and_eoi_clears_highest_isr);
    tcase_add_test(tc, lapic_isr_blocks_same_class_not_higher);
    tcase_add_test(tc, lapic_tpr_masks_classes_at_or_below_and_cr8_aliases_it);
    tcase_add_test(tc, lapic_ack_with_nothing_deliverable_gives_spurious_vector);
    tcase_add_test(tc, lapic_level_interrupt_sets_tmr_and_eoi_is_broadcast);
    tcase_add_test(tc, lapic_illegal_vector_logged_in_esr_after_write);
    tcase_add_test(tc, lapic_software_disabled_forces_lvt_masks);
    tcase_add_test(tc, lapic_self_ipi_and_shorthands);
    tcase_add_test(tc, lapic_logical_destination_flat_and_cluster);
    tcase_add_loop_test(tc, lapic_timer_oneshot_fires_after_count_times_divisor, 0, 8);
    tcase_add_loop_test(tc, lapic_timer_periodic_reloads_and_fires_each_period, 0, 8);
    tcase_add_test(tc, lapic_timer_masked_counts_without_interrupt);
    tcase_add_test(tc, lapic_timer_divider_change_keeps_current_count);
    tcase_add_test(tc, lapic_tsc_deadline_fires_when_tsc_reaches_value);
    tcase_add_test(tc, lapic_hardware_disable_hides_page_and_resets_on_enable);
    tcase_add_test(tc, lapic_base_relocation_moves_register_page);
    tcase_add_test(tc, lapic_lint1_nmi_and_lint0_fixed);
    tcase_add_test(tc, lapic_byte_reads_are_merged_from_the_word);
    tcase_add_test(tc, lapic_random_guest_accesses_never_stall_or_break_invariants);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lapic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
