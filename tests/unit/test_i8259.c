/*
 * test_i8259.c — the cascaded 8259A PICs (devices/i8259.c), programmed through the port bus as
 * a guest would and driven through pic_set_irq / pic_has_intr / pic_ack as the board does.
 *
 * Facts checked (Intel 8259A datasheet; PIIX3 ELCR): ICW1-ICW4 sequence, fully nested priority,
 * specific/non-specific EOI, AEOI, rotation (non-specific EOI, specific EOI, set priority, AEOI
 * rotate), OCW3 IRR/ISR reads and poll, special mask mode, special fully nested mode, edge
 * latch vs ELCR level triggering, spurious IR7 / IR15, cascade acknowledge through the slave.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/i8259.h"
#include "mem/io.h"

typedef struct Rig {
    IoBus *bus;
    PicState *pic;
} Rig;

static Rig rig_new(void)
{
    Rig r;
    r.bus = malloc(sizeof(IoBus));
    ck_assert_ptr_nonnull(r.bus);
    io_init(r.bus);
    r.pic = pic_new(r.bus);
    ck_assert_ptr_nonnull(r.pic);
    return r;
}

static void rig_free(Rig *r)
{
    free(r->pic);
    free(r->bus);
}

static void out8(Rig *r, uint16_t port, uint8_t v) { io_out(r->bus, port, 1, v); }
static uint8_t in8(Rig *r, uint16_t port) { return (uint8_t)io_in(r->bus, port, 1); }

/* The PC/AT sequence Linux uses: master base 0x20, slave base 0x28 on IR2, 8086 mode;
 * `icw4` adds AEOI (0x02) or SFNM (0x10) bits to both chips. */
static void rig_init(Rig *r, uint8_t icw4)
{
    out8(r, 0x20, 0x11);        /* ICW1: edge, cascade, ICW4 needed */
    out8(r, 0x21, 0x20);        /* ICW2: vectors 0x20-0x27 */
    out8(r, 0x21, 0x04);        /* ICW3: slave on IR2 */
    out8(r, 0x21, 0x01 | icw4); /* ICW4: 8086 mode */
    out8(r, 0xa0, 0x11);
    out8(r, 0xa1, 0x28);
    out8(r, 0xa1, 0x02);        /* slave ID 2 */
    out8(r, 0xa1, 0x01 | (icw4 & ~0x10));
}

static void pulse(Rig *r, int irq)
{
    pic_set_irq(r->pic, irq, 1);
    pic_set_irq(r->pic, irq, 0);
}

START_TEST(pic_init_sequence_sets_vectors_and_clears_mask)
{
    Rig r = rig_new();
    out8(&r, 0x21, 0xff);
    out8(&r, 0xa1, 0xff);
    rig_init(&r, 0);
    ck_assert_uint_eq(in8(&r, 0x21), 0x00);        /* ICW1 cleared IMR */
    ck_assert_uint_eq(in8(&r, 0xa1), 0x00);
    pulse(&r, 1);
    ck_assert(pic_has_intr(r.pic));
    ck_assert_uint_eq(pic_ack(r.pic), 0x21);
    ck_assert(!pic_has_intr(r.pic));
    pulse(&r, 12);
    ck_assert(!pic_has_intr(r.pic));               /* IR1 in service outranks IR2 (cascade) */
    out8(&r, 0x20, 0x20);                          /* non-specific EOI */
    ck_assert(pic_has_intr(r.pic));
    ck_assert_uint_eq(pic_ack(r.pic), 0x2c);       /* slave IR4 */
    ck_assert_uint_eq(in8(&r, 0x20), 0x00);        /* IRR read after ICW1 */
    out8(&r, 0x20, 0x0b);                          /* OCW3: read ISR */
    out8(&r, 0xa0, 0x0b);
    ck_assert_uint_eq(in8(&r, 0x20), 0x04);        /* master IR2 in service */
    ck_assert_uint_eq(in8(&r, 0xa0), 0x10);        /* slave IR4 in service */
    rig_free(&r);
}
END_TEST

START_TEST(pic_single_mode_without_icw4_skips_icw3)
{
    Rig r = rig_new();
    out8(&r, 0x20, 0x12);       /* ICW1: single, no ICW4 */
    out8(&r, 0x21, 0x40);       /* ICW2 */
    out8(&r, 0x21, 0xfe);       /* already OCW1: mask all but IR0 */
    ck_assert_uint_eq(in8(&r, 0x21), 0xfe);
    pulse(&r, 3);
    ck_assert(!pic_has_intr(r.pic));
    pulse(&r, 0);
    ck_assert_uint_eq(pic_ack(r.pic), 0x40);
    out8(&r, 0x20, 0x20);
    out8(&r, 0x21, 0x00);
    ck_assert_uint_eq(pic_ack(r.pic), 0x43);       /* the masked edge was kept */
    rig_free(&r);
}
END_TEST

START_TEST(pic_fully_nested_higher_preempts_lower_waits)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    pulse(&r, 4);
    pulse(&r, 6);
    ck_assert_uint_eq(pic_ack(r.pic), 0x24);
    ck_assert(!pic_has_intr(r.pic));               /* IR6 waits for IR4 */
    pulse(&r, 3);
    ck_assert(pic_has_intr(r.pic));                /* IR3 outranks IR4 in service */
    ck_assert_uint_eq(pic_ack(r.pic), 0x23);
    out8(&r, 0x20, 0x20);                          /* EOI clears IR3 (highest in service) */
    ck_assert(!pic_has_intr(r.pic));
    out8(&r, 0x20, 0x20);                          /* clears IR4 */
    ck_assert_uint_eq(pic_ack(r.pic), 0x26);
    rig_free(&r);
}
END_TEST

START_TEST(pic_specific_eoi_clears_only_named_level)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    pulse(&r, 5);
    ck_assert_uint_eq(pic_ack(r.pic), 0x25);
    pulse(&r, 1);
    ck_assert_uint_eq(pic_ack(r.pic), 0x21);
    out8(&r, 0x20, 0x0b);
    ck_assert_uint_eq(in8(&r, 0x20), 0x22);
    out8(&r, 0x20, 0x65);                          /* specific EOI IR5 */
    ck_assert_uint_eq(in8(&r, 0x20), 0x02);
    out8(&r, 0x20, 0x61);
    ck_assert_uint_eq(in8(&r, 0x20), 0x00);
    rig_free(&r);
}
END_TEST

START_TEST(pic_aeoi_leaves_isr_clear)
{
    Rig r = rig_new();
    rig_init(&r, 0x02);
    pulse(&r, 5);
    ck_assert_uint_eq(pic_ack(r.pic), 0x25);
    out8(&r, 0x20, 0x0b);
    ck_assert_uint_eq(in8(&r, 0x20), 0x00);
    pulse(&r, 6);                                  /* lower level gets through at once */
    ck_assert_uint_eq(pic_ack(r.pic), 0x26);
    rig_free(&r);
}
END_TEST

START_TEST(pic_rotate_in_aeoi_makes_served_level_lowest)
{
    Rig r = rig_new();
    rig_init(&r, 0x02);
    out8(&r, 0x20, 0x80);                          /* set rotate in AEOI */
    pulse(&r, 1);
    ck_assert_uint_eq(pic_ack(r.pic), 0x21);       /* IR1 now lowest: IR2 highest */
    pulse(&r, 1);
    pulse(&r, 3);
    ck_assert_uint_eq(pic_ack(r.pic), 0x23);
    ck_assert_uint_eq(pic_ack(r.pic), 0x21);
    out8(&r, 0x20, 0x00);                          /* clear rotate in AEOI */
    pulse(&r, 5);
    ck_assert_uint_eq(pic_ack(r.pic), 0x25);       /* IR1 (last rotation) still lowest */
    pulse(&r, 1);
    pulse(&r, 7);
    ck_assert_uint_eq(pic_ack(r.pic), 0x27);
    rig_free(&r);
}
END_TEST

START_TEST(pic_rotate_on_nonspecific_eoi_round_robin)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    pulse(&r, 3);
    ck_assert_uint_eq(pic_ack(r.pic), 0x23);
    out8(&r, 0x20, 0xa0);                          /* rotate on non-specific EOI: IR3 lowest */
    pulse(&r, 3);
    pulse(&r, 4);
    pulse(&r, 0);
    ck_assert_uint_eq(pic_ack(r.pic), 0x24);       /* IR4 highest now */
    out8(&r, 0x20, 0xa0);                          /* IR4 lowest: IR5.. IR0 .. IR3 */
    ck_assert_uint_eq(pic_ack(r.pic), 0x20);
    out8(&r, 0x20, 0xa0);                          /* IR0 lowest */
    ck_assert_uint_eq(pic_ack(r.pic), 0x23);
    rig_free(&r);
}
END_TEST

START_TEST(pic_set_priority_and_rotate_specific_eoi)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    out8(&r, 0x20, 0xc4);                          /* set priority: IR4 lowest, IR5 highest */
    pulse(&r, 4);
    pulse(&r, 6);
    pulse(&r, 0);
    ck_assert_uint_eq(pic_ack(r.pic), 0x26);
    ck_assert(!pic_has_intr(r.pic));               /* IR0, IR4 rank below IR6 now */
    out8(&r, 0x20, 0xe6);                          /* rotate on specific EOI 6: IR7 highest */
    ck_assert_uint_eq(pic_ack(r.pic), 0x20);
    out8(&r, 0x20, 0x60);
    ck_assert_uint_eq(pic_ack(r.pic), 0x24);
    rig_free(&r);
}
END_TEST

START_TEST(pic_poll_acknowledges_highest_request)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    out8(&r, 0x20, 0x0c);                          /* OCW3: poll */
    ck_assert_uint_eq(in8(&r, 0x20), 0x00);        /* nothing requesting */
    pulse(&r, 6);
    pulse(&r, 5);
    out8(&r, 0x20, 0x0c);
    ck_assert_uint_eq(in8(&r, 0x20), 0x85);
    ck_assert_uint_eq(in8(&r, 0x20), 0x40);        /* poll is one read; IRR again (IR6) */
    out8(&r, 0x20, 0x0b);
    ck_assert_uint_eq(in8(&r, 0x20), 0x20);        /* IR5 in service */
    out8(&r, 0x20, 0x20);
    out8(&r, 0x20, 0x0c);
    ck_assert_uint_eq(in8(&r, 0x21), 0x86);        /* the next read of either port */
    ck_assert_uint_eq(in8(&r, 0x21), 0x00);        /* then IMR again */
    rig_free(&r);
}
END_TEST

START_TEST(pic_special_mask_mode_lets_lower_levels_in)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    pulse(&r, 3);
    ck_assert_uint_eq(pic_ack(r.pic), 0x23);
    pulse(&r, 6);
    ck_assert(!pic_has_intr(r.pic));
    out8(&r, 0x21, 0x08);                          /* mask IR3 (in service) */
    out8(&r, 0x20, 0x68);                          /* OCW3: set special mask mode */
    ck_assert(pic_has_intr(r.pic));
    ck_assert_uint_eq(pic_ack(r.pic), 0x26);
    out8(&r, 0x20, 0x20);                          /* non-specific EOI skips masked IR3 */
    out8(&r, 0x20, 0x0b);
    ck_assert_uint_eq(in8(&r, 0x20), 0x08);
    out8(&r, 0x20, 0x48);                          /* reset special mask mode */
    out8(&r, 0x21, 0x00);
    pulse(&r, 6);
    ck_assert(!pic_has_intr(r.pic));               /* IR3 in service blocks IR6 again */
    rig_free(&r);
}
END_TEST

START_TEST(pic_special_fully_nested_lets_higher_slave_request_in)
{
    Rig r = rig_new();
    rig_init(&r, 0x10);                            /* SFNM on the master */
    pulse(&r, 12);
    ck_assert_uint_eq(pic_ack(r.pic), 0x2c);
    pulse(&r, 9);                                  /* higher level on the same slave */
    ck_assert(pic_has_intr(r.pic));
    ck_assert_uint_eq(pic_ack(r.pic), 0x29);
    pulse(&r, 14);                                 /* lower slave level stays blocked */
    ck_assert(!pic_has_intr(r.pic));
    rig_free(&r);
}
END_TEST

START_TEST(pic_cascade_needs_slave_eoi_and_master_eoi)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    pulse(&r, 10);
    pulse(&r, 11);
    ck_assert_uint_eq(pic_ack(r.pic), 0x2a);
    out8(&r, 0x20, 0x20);                          /* master EOI only */
    ck_assert(!pic_has_intr(r.pic));               /* slave IR2 still in service */
    out8(&r, 0xa0, 0x20);
    ck_assert(pic_has_intr(r.pic));
    ck_assert_uint_eq(pic_ack(r.pic), 0x2b);
    out8(&r, 0xa0, 0x20);
    ck_assert(!pic_has_intr(r.pic));               /* master IR2 still in service */
    out8(&r, 0x20, 0x20);
    out8(&r, 0x20, 0x0b);
    out8(&r, 0xa0, 0x0b);
    ck_assert_uint_eq(in8(&r, 0x20) | in8(&r, 0xa0), 0);
    rig_free(&r);
}
END_TEST

START_TEST(pic_masks_hold_requests_until_unmasked)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    out8(&r, 0x21, 0x02);
    out8(&r, 0xa1, 0x40);
    pulse(&r, 1);
    pulse(&r, 14);
    ck_assert(!pic_has_intr(r.pic));
    ck_assert_uint_eq(in8(&r, 0x20), 0x02);        /* IRR holds the masked edge */
    ck_assert_uint_eq(in8(&r, 0xa0), 0x40);
    out8(&r, 0xa1, 0x00);
    ck_assert_uint_eq(pic_ack(r.pic), 0x2e);
    out8(&r, 0xa0, 0x20);
    out8(&r, 0x20, 0x20);
    out8(&r, 0x21, 0x00);
    ck_assert_uint_eq(pic_ack(r.pic), 0x21);
    out8(&r, 0x21, 0x04);                          /* masking IR2 masks the whole slave */
    pulse(&r, 8);
    ck_assert(!pic_has_intr(r.pic));
    rig_free(&r);
}
END_TEST

START_TEST(pic_edge_input_needs_new_rising_edge)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    pic_set_irq(r.pic, 4, 1);
    ck_assert_uint_eq(pic_ack(r.pic), 0x24);
    out8(&r, 0x20, 0x20);
    ck_assert(!pic_has_intr(r.pic));               /* still high, but no new edge */
    pic_set_irq(r.pic, 4, 1);
    ck_assert(!pic_has_intr(r.pic));
    pic_set_irq(r.pic, 4, 0);
    pic_set_irq(r.pic, 4, 1);
    ck_assert(pic_has_intr(r.pic));
    rig_free(&r);
}
END_TEST

START_TEST(pic_elcr_level_input_reasserts_after_eoi)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    out8(&r, 0x4d1, 0x02);                         /* IRQ 9 level-triggered */
    ck_assert_uint_eq(in8(&r, 0x4d1), 0x02);
    pic_set_irq(r.pic, 9, 1);
    ck_assert_uint_eq(pic_ack(r.pic), 0x29);
    out8(&r, 0xa0, 0x20);
    out8(&r, 0x20, 0x20);
    ck_assert(pic_has_intr(r.pic));                /* line still high: again */
    ck_assert_uint_eq(pic_ack(r.pic), 0x29);
    pic_set_irq(r.pic, 9, 0);                      /* device deasserts in the handler */
    out8(&r, 0xa0, 0x20);
    out8(&r, 0x20, 0x20);
    ck_assert(!pic_has_intr(r.pic));
    rig_free(&r);
}
END_TEST

START_TEST(pic_elcr_fixed_edge_bits_read_zero)
{
    Rig r = rig_new();
    out8(&r, 0x4d0, 0xff);
    out8(&r, 0x4d1, 0xff);
    ck_assert_uint_eq(in8(&r, 0x4d0), 0xf8);       /* IRQ 0, 1, 2 edge only */
    ck_assert_uint_eq(in8(&r, 0x4d1), 0xde);       /* IRQ 8, 13 edge only */
    rig_free(&r);
}
END_TEST

START_TEST(pic_vanished_level_request_gives_spurious_irq7)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    out8(&r, 0x4d0, 0x20);                         /* IRQ 5 level */
    pic_set_irq(r.pic, 5, 1);
    ck_assert(pic_has_intr(r.pic));
    pic_set_irq(r.pic, 5, 0);                      /* gone before INTA */
    ck_assert_uint_eq(pic_ack(r.pic), 0x27);
    out8(&r, 0x20, 0x0b);
    ck_assert_uint_eq(in8(&r, 0x20), 0x00);        /* no ISR bit for the default IR7 */
    rig_free(&r);
}
END_TEST

START_TEST(pic_vanished_slave_request_gives_spurious_irq15)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    out8(&r, 0x4d1, 0x08);                         /* IRQ 11 level */
    pic_set_irq(r.pic, 11, 1);
    ck_assert(pic_has_intr(r.pic));
    pic_set_irq(r.pic, 11, 0);
    ck_assert_uint_eq(pic_ack(r.pic), 0x2f);
    out8(&r, 0x20, 0x0b);
    out8(&r, 0xa0, 0x0b);
    ck_assert_uint_eq(in8(&r, 0x20), 0x04);        /* master still took IR2: it needs an EOI */
    ck_assert_uint_eq(in8(&r, 0xa0), 0x00);
    rig_free(&r);
}
END_TEST

START_TEST(pic_masked_after_pending_gives_spurious)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    pulse(&r, 3);
    ck_assert(pic_has_intr(r.pic));
    out8(&r, 0x21, 0x08);
    ck_assert_uint_eq(pic_ack(r.pic), 0x27);
    rig_free(&r);
}
END_TEST

START_TEST(pic_reinit_resets_priority_and_edges)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    out8(&r, 0x20, 0xc2);                          /* IR2 lowest */
    pic_set_irq(r.pic, 1, 1);                      /* high across the re-init */
    rig_init(&r, 0);
    ck_assert(!pic_has_intr(r.pic));               /* edge latch reset */
    pulse(&r, 7);
    pulse(&r, 0);
    ck_assert_uint_eq(pic_ack(r.pic), 0x20);       /* IR0 highest again */
    rig_free(&r);
}
END_TEST

START_TEST(pic_reset_is_uninitialised_and_unmasked)
{
    Rig r = rig_new();
    out8(&r, 0x21, 0x5a);
    pic_reset(r.pic);
    ck_assert_uint_eq(in8(&r, 0x21), 0x00);
    ck_assert_uint_eq(in8(&r, 0x4d0), 0x00);
    ck_assert(!pic_has_intr(r.pic));
    rig_free(&r);
}
END_TEST

START_TEST(pic_out_of_range_irq_ignored)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    pic_set_irq(r.pic, -1, 1);
    pic_set_irq(r.pic, 16, 1);
    pic_set_irq(r.pic, 2, 1);                      /* master IR2 is the slave's INT, not a line */
    ck_assert(!pic_has_intr(r.pic));
    rig_free(&r);
}
END_TEST

START_TEST(pic_ltim_makes_every_input_level_triggered)
{
    Rig r = rig_new();
    out8(&r, 0x20, 0x19);                          /* ICW1: LTIM, cascade, ICW4 */
    out8(&r, 0x21, 0x20);
    out8(&r, 0x21, 0x04);
    out8(&r, 0x21, 0x01);
    pic_set_irq(r.pic, 3, 1);
    ck_assert_uint_eq(pic_ack(r.pic), 0x23);
    out8(&r, 0x20, 0x20);
    ck_assert_uint_eq(pic_ack(r.pic), 0x23);       /* still high: requests again */
    out8(&r, 0x20, 0x20);
    pic_set_irq(r.pic, 3, 0);
    ck_assert(!pic_has_intr(r.pic));
    rig_free(&r);
}
END_TEST

START_TEST(pic_elcr_switch_to_level_picks_up_a_high_line)
{
    Rig r = rig_new();
    rig_init(&r, 0);
    pic_set_irq(r.pic, 5, 1);
    ck_assert_uint_eq(pic_ack(r.pic), 0x25);
    out8(&r, 0x20, 0x20);
    ck_assert(!pic_has_intr(r.pic));               /* edge: served */
    out8(&r, 0x4d0, 0x20);                         /* now level: the high line requests */
    ck_assert_uint_eq(pic_ack(r.pic), 0x25);
    rig_free(&r);
}
END_TEST

/* Hostile programming: random writes to every port and random input levels.  Whatever the guest
 * does, an acknowledge only ever puts an unmasked, requested input in service, and ELCR bits that
 * do not exist stay 0. */
START_TEST(pic_random_programming_keeps_ack_invariants)
{
    static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
    Rig r = rig_new();
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        switch (x % 4) {
        case 0:
            out8(&r, ports[(x >> 8) % 6], (uint8_t)(x >> 16));
            break;
        case 1:
            (void)in8(&r, ports[(x >> 8) % 6]);
            break;
        case 2:
            pic_set_irq(r.pic, (int)((x >> 8) % 18) - 1, (int)((x >> 16) & 1));
            break;
        default:
            if (pic_has_intr(r.pic)) {
                PicChip m = r.pic->chip[0], sl = r.pic->chip[1];
                (void)pic_ack(r.pic);
                uint8_t newm = r.pic->chip[0].isr & ~m.isr, news = r.pic->chip[1].isr & ~sl.isr;
                ck_assert_uint_eq(newm & ~(m.irr & ~m.imr), 0);
                ck_assert_uint_eq(news & ~(sl.irr & ~sl.imr), 0);
                ck_assert_uint_le(__builtin_popcount(newm), 1);
                ck_assert_uint_le(__builtin_popcount(news), 1);
            }
            break;
        }
        ck_assert_uint_eq(in8(&r, 0x4d0) & ~0xf8, 0);
        ck_assert_uint_eq(in8(&r, 0x4d1) & ~0xde, 0);
    }
    rig_free(&r);
}
END_TEST

static Suite *pic_suite(void)
{
    Suite *s = suite_create("i8259");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pic_init_sequence_sets_vectors_and_clears_mask);
    tcase_add_test(tc, pic_single_mode_without_icw4_skips_icw3);
    tcase_add_test(tc, pic_fully_nested_higher_preempts_lower_waits);
    tcase_add_test(tc, pic_specific_eoi_clears_only_named_level);
    tcase_add_test(tc, pic_aeoi_leaves_isr_clear);
    tcase_add_test(tc, pic_rotate_in_aeoi_makes_served_level_lowest);
    tcase_add_test(tc, pic_rotate_on_nonspecific_eoi_round_robin);
    tcase_add_test(tc, pic_set_priority_and_rotate_specific_eoi);
    tcase_add_test(tc, pic_poll_acknowledges_highest_request);
    tcase_add_test(tc, pic_special_mask_mode_lets_lower_levels_in);
    tcase_add_test(tc, pic_special_fully_nested_lets_higher_slave_request_in);
    tcase_add_test(tc, pic_cascade_needs_slave_eoi_and_master_eoi);
    tcase_add_test(tc, pic_masks_hold_requests_until_unmasked);
    tcase_add_test(tc, pic_edge_input_needs_new_rising_edge);
    tcase_add_test(tc, pic_elcr_level_input_reasserts_after_eoi);
    tcase_add_test(tc, pic_elcr_fixed_edge_bits_read_zero);
    tcase_add_test(tc, pic_vanished_level_request_gives_spurious_irq7);
    tcase_add_test(tc, pic_vanished_slave_request_gives_spurious_irq15);
    tcase_add_test(tc, pic_masked_after_pending_gives_spurious);
    tcase_add_test(tc, pic_reinit_resets_priority_and_edges);
    tcase_add_test(tc, pic_reset_is_uninitialised_and_unmasked);
    tcase_add_test(tc, pic_out_of_range_irq_ignored);
    tcase_add_test(tc, pic_ltim_makes_every_input_level_triggered);
    tcase_add_test(tc, pic_elcr_switch_to_level_picks_up_a_high_line);
    tcase_add_test(tc, pic_random_programming_keeps_ack_invariants);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
