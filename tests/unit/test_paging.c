/*
 * test_paging.c — the page walker (mem/paging.c) and the softmmu TLB (mem/tlb.c) on a fake bus.
 *
 * Page tables are built in fake RAM by a small builder for the three formats (SDM vol. 3, ch. 4):
 * 2-level 32-bit (+ PSE 4 MiB), PAE (+ 2 MiB) and 4-level (+ 2 MiB, 1 GiB).  Accesses go through
 * lin_read/lin_write/tlb_translate as instruction handlers use them; faults are caught by the
 * fake bus, which reports the vector; the error code and CR2 are then checked against SDM 4.7.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/access.h"
#include "mem/tlb.h"
#include "tests/unit/fake_bus.h"

#define RAM (16u << 20)

#define P   0x001ull
#define RW  0x002ull
#define US  0x004ull
#define A   0x020ull
#define D   0x040ull
#define PS  0x080ull
#define G   0x100ull
#define XD  (1ull << 63)

#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_RSVD 8u
#define PF_I 16u

enum { FMT_2LEVEL = 2, FMT_PAE = 3, FMT_4LEVEL = 4 };

typedef struct Pt {
    FakeBus *fb;
    int fmt;
    uint64_t root;
    uint64_t next;     /* bump allocator for tables, from 1 MiB */
    uint64_t upper;    /* flags of newly made non-leaf entries */
} Pt;

static uint64_t pt_alloc(Pt *p)
{
    uint64_t a = p->next;
    p->next += 0x1000;
    ck_assert_uint_lt(p->next, 0x400000);   /* tables stay below 4 MiB; data lives above */
    for (int i = 0; i < 4096; i += 8)
        fb_poke(p->fb, a + (uint64_t)i, 8, 0);
    return a;
}

static int pt_esize(const Pt *p) { return p->fmt == FMT_2LEVEL ? 4 : 8; }

static uint64_t pt_index(const Pt *p, uint64_t lin, int level)
{
    if (p->fmt == FMT_2LEVEL)
        return (lin >> (12 + 10 * (level - 1))) & 0x3ff;
    if (p->fmt == FMT_PAE && level == 3)
        return (lin >> 30) & 3;
    return (lin >> (12 + 9 * (level - 1))) & 0x1ff;
}

/* Physical address of the entry for `lin` at `level` (1 = PTE), creating the tables above it. */
static uint64_t pt_slot(Pt *p, uint64_t lin, int level)
{
    int levels = p->fmt;
    uint64_t table = p->root;
    for (int l = levels; l > level; l--) {
        uint64_t a = table + pt_index(p, lin, l) * (uint64_t)pt_esize(p);
        uint64_t e = fb_peek(p->fb, a, pt_esize(p));
        if (!(e & P)) {
            /* PAE PDPTEs have only P (RW/US/A are reserved there) */
            e = pt_alloc(p) | ((p->fmt == FMT_PAE && l == 3) ? P : p->upper);
            fb_poke(p->fb, a, pt_esize(p), e);
        }
        table = e & 0x000ffffffffff000ull;
    }
    return table + pt_index(p, lin, level) * (uint64_t)pt_esize(p);
}

/* Maps `lin` to `pa` with leaf flags; level 1 = 4 KiB, 2 = 2/4 MiB, 3 = 1 GiB (PS added). */
static uint64_t pt_map(Pt *p, uint64_t lin, uint64_t pa, uint64_t flags, int level)
{
    uint64_t a = pt_slot(p, lin, level);
    fb_poke(p->fb, a, pt_esize(p), pa | flags | (level > 1 ? PS : 0));
    return a;
}

static uint64_t pt_get(Pt *p, uint64_t a) { return fb_peek(p->fb, a, pt_esize(p)); }

/* A fresh machine with paging on in format `fmt` (and empty tables). */
static FakeBus *setup(Pt *p, int fmt)
{
    FakeBus *fb = fb_new(RAM);
    ck_assert_ptr_nonnull(fb);
    *p = (Pt){ .fb = fb, .fmt = fmt, .next = 0x100000, .upper = P | RW | US };
    p->root = pt_alloc(p);
    Cpu *cpu = fb->cpu;
    if (fmt == FMT_4LEVEL) {
        fb_mode_long64(fb, p->root);
    } else {
        fb_mode_pm32(fb);
        cpu->cr3 = p->root;
        cpu->cr4 |= fmt == FMT_PAE ? CR4_PAE : 0;
        cpu->cr0 |= CR0_PG;
        cpu_flush_tlb(cpu, true);
    }
    return fb;
}

static TlbEntry *entry(FakeBus *fb, uint64_t lin, int user)
{
    return &fb->cpu->tlb.e[user][(lin >> 12) & (TLB_SIZE - 1)];
}

static void expect_pf(FakeBus *fb, int rc, uint64_t lin, uint32_t err)
{
    ck_assert_int_eq(rc, EXC_PF);
    ck_assert_uint_eq(fb->cpu->exc_error, err);
    ck_assert_uint_eq(fb->cpu->cr2, lin);
}

static const int fmts[3] = { FMT_2LEVEL, FMT_PAE, FMT_4LEVEL };

/* ---- translation ---- */

START_TEST(paging_identity_4k_page_translates)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    pt_map(&p, 0x800000, 0x800000, P | RW, 1);
    fb_poke(fb, 0x800123, 4, 0xdeadbeef);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, 0x800123, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0xdeadbeef);
    fb_free(fb);
}
END_TEST

START_TEST(paging_nonidentity_4k_page_reads_and_writes_target)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = fmts[_i] == FMT_4LEVEL ? 0xffff800012345000ull : 0xc0345000ull;
    pt_map(&p, lin, 0x823000, P | RW, 1);
    fb_poke(fb, 0x823ff8, 8, 0x0102030405060708ull);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, lin + 0xff8, 8, 0, &v), -1);
    ck_assert_uint_eq(v, 0x0102030405060708ull);
    ck_assert_int_eq(fb_try_write(fb, lin + 0x10, 2, 0xabcd, 0), -1);
    ck_assert_uint_eq(fb_peek(fb, 0x823010, 2), 0xabcd);
    ck_assert_uint_eq(fb_peek(fb, lin & 0xffffff, 2), 0);   /* nothing written at the identity address */
    fb_free(fb);
}
END_TEST

START_TEST(paging_2level_pse_4mib_page_translates)
{
    Pt p;
    FakeBus *fb = setup(&p, FMT_2LEVEL);
    fb->cpu->cr4 |= CR4_PSE;
    pt_map(&p, 0x80000000u, 0xc00000, P | RW, 2);
    fb_poke(fb, 0xc00000 + 0x3ffffc, 4, 0x44556677);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, 0x80000000u + 0x3ffffc, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0x44556677);
    uint64_t pa;
    ck_assert_int_eq(fb_try_fetch(fb, 0x80001234u, 0, &pa), -1);
    ck_assert_uint_eq(pa, 0xc01234);
    fb_free(fb);
}
END_TEST

START_TEST(paging_2level_pse36_bits_give_physical_above_4g)
{
    Pt p;
    FakeBus *fb = setup(&p, FMT_2LEVEL);
    fb->cpu->cr4 |= CR4_PSE;
    /* PDE bits 20:13 hold physical address bits 39:32 */
    pt_map(&p, 0x40000000u, 0x00400000u | (0x12ull << 13), P | RW, 2);
    uint64_t pa;
    ck_assert_int_eq(fb_try_fetch(fb, 0x40000abcu, 0, &pa), -1);
    ck_assert_uint_eq(pa, 0x1200400abcull);
    fb_free(fb);
}
END_TEST

START_TEST(paging_2level_ps_without_cr4_pse_points_to_table)
{
    Pt p;
    FakeBus *fb = setup(&p, FMT_2LEVEL);
    /* PS set in the PDE, but CR4.PSE = 0: the PDE still points to a page table. */
    uint64_t pte = pt_map(&p, 0x00c05000u, 0x830000, P | RW, 1);
    uint64_t pde = p.root + (0x00c05000u >> 22) * 4;
    fb_poke(fb, pde, 4, fb_peek(fb, pde, 4) | PS);
    (void)pte;
    uint64_t pa;
    ck_assert_int_eq(fb_try_fetch(fb, 0x00c05004u, 0, &pa), -1);
    ck_assert_uint_eq(pa, 0x830004);
    fb_free(fb);
}
END_TEST

START_TEST(paging_pae_2mib_page_translates)
{
    Pt p;
    FakeBus *fb = setup(&p, FMT_PAE);
    pt_map(&p, 0xbfe00000u, 0xa00000, P | RW, 2);
    fb_poke(fb, 0xa1fffe, 2, 0x5aa5);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, 0xbfe00000u + 0x1fffe, 2, 0, &v), -1);
    ck_assert_uint_eq(v, 0x5aa5);
    ck_assert_int_eq(fb_try_write(fb, 0xbfffffffu, 1, 0x77, 0), -1);
    ck_assert_uint_eq(fb_peek(fb, 0xbfffff, 1), 0x77);
    fb_free(fb);
}
END_TEST

START_TEST(paging_4level_2mib_and_1gib_pages_translate)
{
    Pt p;
    FakeBus *fb = setup(&p, FMT_4LEVEL);
    pt_map(&p, 0x00007f0000200000ull, 0xa00000, P | RW, 2);
    pt_map(&p, 0xffffffff40000000ull, 0, P | RW, 3);       /* 1 GiB page at physical 0 */
    fb_poke(fb, 0xa00040, 8, 0x1111222233334444ull);
    fb_poke(fb, 0x901230, 8, 0x5555666677778888ull);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, 0x00007f0000200040ull, 8, 0, &v), -1);
    ck_assert_uint_eq(v, 0x1111222233334444ull);
    ck_assert_int_eq(fb_try_read(fb, 0xffffffff40901230ull, 8, 0, &v), -1);
    ck_assert_uint_eq(v, 0x5555666677778888ull);
    uint64_t pa;
    ck_assert_int_eq(fb_try_fetch(fb, 0xffffffff7fffffffull, 0, &pa), -1);
    ck_assert_uint_eq(pa, 0x3fffffff);
    fb_free(fb);
}
END_TEST

/* ---- faults: CR2 and error codes (SDM vol. 3, 4.7) ---- */

START_TEST(paging_not_present_access_faults_with_cr2_and_error_code)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = 0x00c12345;
    pt_map(&p, 0x00c00000, 0x800000, P | RW | US, 1);   /* same table, other page: PDE present */
    uint64_t v;
    expect_pf(fb, fb_try_read(fb, lin, 4, 0, &v), lin, 0);
    expect_pf(fb, fb_try_read(fb, lin + 1, 1, 1, &v), lin + 1, PF_U);
    expect_pf(fb, fb_try_write(fb, lin + 2, 2, 0, 0), lin + 2, PF_W);
    expect_pf(fb, fb_try_write(fb, lin + 3, 8, 0, 1), lin + 3, PF_W | PF_U);
    /* a not-present upper level as well */
    expect_pf(fb, fb_try_read(fb, 0x3f000000, 4, 0, &v), 0x3f000000, 0);
    fb_free(fb);
}
END_TEST

START_TEST(paging_supervisor_write_readonly_wp_clear_allowed)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    pt_map(&p, 0x00600000, 0x840000, P, 1);
    fb->cpu->cr0 &= ~CR0_WP;
    ck_assert_int_eq(fb_try_write(fb, 0x00600010, 4, 0x1234, 0), -1);
    ck_assert_uint_eq(fb_peek(fb, 0x840010, 4), 0x1234);
    fb_free(fb);
}
END_TEST

START_TEST(paging_supervisor_write_readonly_wp_set_faults)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    pt_map(&p, 0x00600000, 0x840000, P | US, 1);
    fb->cpu->cr0 |= CR0_WP;
    expect_pf(fb, fb_try_write(fb, 0x00600010, 4, 0x1234, 0), 0x00600010, PF_P | PF_W);
    ck_assert_uint_eq(fb_peek(fb, 0x840010, 4), 0);
    /* a read-only upper level has the same effect */
    uint64_t pte = pt_map(&p, 0x00600000, 0x840000, P | RW | US, 1);
    (void)pte;
    p.upper = P | US;
    pt_map(&p, 0x7fc00000, 0x841000, P | RW | US, 1);
    cpu_flush_tlb(fb->cpu, true);
    expect_pf(fb, fb_try_write(fb, 0x7fc00008, 1, 1, 0), 0x7fc00008, PF_P | PF_W);
    fb_free(fb);
}
END_TEST

START_TEST(paging_user_access_supervisor_page_faults)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    pt_map(&p, 0x00601000, 0x841000, P | RW, 1);
    uint64_t v;
    expect_pf(fb, fb_try_read(fb, 0x00601004, 4, 1, &v), 0x00601004, PF_P | PF_U);
    expect_pf(fb, fb_try_write(fb, 0x00601008, 4, 0, 1), 0x00601008, PF_P | PF_W | PF_U);
    ck_assert_int_eq(fb_try_read(fb, 0x00601004, 4, 0, &v), -1);   /* supervisor may */
    /* the supervisor entry in the TLB must not leak to user accesses */
    expect_pf(fb, fb_try_read(fb, 0x00601004, 4, 1, &v), 0x00601004, PF_P | PF_U);
    /* U/S clear at an upper level only */
    p.upper = P | RW;
    pt_map(&p, 0x7fc01000, 0x842000, P | RW | US, 1);
    expect_pf(fb, fb_try_read(fb, 0x7fc01000, 1, 1, &v), 0x7fc01000, PF_P | PF_U);
    fb_free(fb);
}
END_TEST

START_TEST(paging_user_write_readonly_user_page_faults_even_wp_clear)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    fb->cpu->cr0 &= ~CR0_WP;
    pt_map(&p, 0x00602000, 0x842000, P | US, 1);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, 0x00602000, 4, 1, &v), -1);
    expect_pf(fb, fb_try_write(fb, 0x00602000, 4, 9, 1), 0x00602000, PF_P | PF_W | PF_U);
    ck_assert_uint_eq(fb_peek(fb, 0x842000, 4), 0);
    fb_free(fb);
}
END_TEST

START_TEST(paging_nx_fetch_with_nxe_faults_read_allowed)
{
    Pt p;
    FakeBus *fb = setup(&p, _i == 0 ? FMT_PAE : FMT_4LEVEL);
    fb->cpu->efer |= EFER_NXE;
    pt_map(&p, 0x00603000, 0x843000, P | RW | XD, 1);
    uint64_t v, pa;
    ck_assert_int_eq(fb_try_read(fb, 0x00603010, 4, 0, &v), -1);
    expect_pf(fb, fb_try_fetch(fb, 0x00603010, 0, &pa), 0x00603010, PF_P | PF_I);
    expect_pf(fb, fb_try_fetch(fb, 0x00603010, 1, &pa), 0x00603010, PF_P | PF_I | PF_U);
    /* not-present fetch also reports I/D when NXE is on */
    expect_pf(fb, fb_try_fetch(fb, 0x00604000, 0, &pa), 0x00604000, PF_I);
    /* XD at an upper level */
    pt_map(&p, 0x20000000, 0x844000, P | RW, 1);
    uint64_t pde = pt_slot(&p, 0x20000000, 2);
    fb_poke(fb, pde, 8, fb_peek(fb, pde, 8) | XD);
    cpu_flush_tlb(fb->cpu, true);
    expect_pf(fb, fb_try_fetch(fb, 0x20000000, 0, &pa), 0x20000000, PF_P | PF_I);
    fb_free(fb);
}
END_TEST

START_TEST(paging_xd_without_nxe_is_reserved_bit)
{
    Pt p;
    FakeBus *fb = setup(&p, _i == 0 ? FMT_PAE : FMT_4LEVEL);
    fb->cpu->efer &= ~EFER_NXE;
    pt_map(&p, 0x00603000, 0x843000, P | RW | XD, 1);
    uint64_t v, pa;
    expect_pf(fb, fb_try_read(fb, 0x00603010, 4, 0, &v), 0x00603010, PF_P | PF_RSVD);
    /* without NXE, a fetch fault does not report I/D */
    expect_pf(fb, fb_try_fetch(fb, 0x00604000, 0, &pa), 0x00604000, 0);
    fb_free(fb);
}
END_TEST

START_TEST(paging_fetch_2level_never_reports_id)
{
    Pt p;
    FakeBus *fb = setup(&p, FMT_2LEVEL);
    fb->cpu->efer |= EFER_NXE;   /* NXE has no effect without PAE */
    uint64_t pa;
    expect_pf(fb, fb_try_fetch(fb, 0x00604000, 0, &pa), 0x00604000, 0);
    fb_free(fb);
}
END_TEST

START_TEST(paging_reserved_bits_fault_with_rsvd)
{
    Pt p;
    uint64_t v;
    /* PAE / 4-level: physical-address bits above MAXPHYADDR (40) in a PTE */
    for (int f = 1; f < 3; f++) {
        FakeBus *fb = setup(&p, fmts[f]);
        pt_map(&p, 0x00605000, 0x845000 | (1ull << 45), P | RW, 1);
        expect_pf(fb, fb_try_read(fb, 0x00605000, 4, 0, &v), 0x00605000, PF_P | PF_RSVD);
        expect_pf(fb, fb_try_write(fb, 0x00605004, 4, 0, 1), 0x00605004, PF_P | PF_RSVD | PF_W | PF_U);
        /* 2 MiB page with bit 13 (inside the page offset) set */
        pt_map(&p, 0x00a00000, 0xa00000 | (1ull << 13), P | RW, 2);
        expect_pf(fb, fb_try_read(fb, 0x00a00000, 4, 0, &v), 0x00a00000, PF_P | PF_RSVD);
        fb_free(fb);
    }
    /* 2-level PSE: PDE bit 21 is reserved */
    FakeBus *fb = setup(&p, FMT_2LEVEL);
    fb->cpu->cr4 |= CR4_PSE;
    pt_map(&p, 0x00800000, 0x800000 | (1ull << 21), P | RW, 2);
    expect_pf(fb, fb_try_read(fb, 0x00800000, 4, 0, &v), 0x00800000, PF_P | PF_RSVD);
    fb_free(fb);
    /* 4-level: PS in a PML4E; 1 GiB page with bit 29 set */
    fb = setup(&p, FMT_4LEVEL);
    fb_poke(fb, p.root, 8, pt_alloc(&p) | P | RW | PS);
    expect_pf(fb, fb_try_read(fb, 0x1000, 4, 0, &v), 0x1000, PF_P | PF_RSVD);
    pt_map(&p, 0x0000008040000000ull, 1ull << 29, P | RW, 3);
    expect_pf(fb, fb_try_read(fb, 0x0000008040000000ull, 4, 0, &v), 0x0000008040000000ull, PF_P | PF_RSVD);
    fb_free(fb);
    /* PAE PDPTE with a reserved bit (RW is reserved there) */
    fb = setup(&p, FMT_PAE);
    pt_map(&p, 0x40000000, 0x800000, P | RW, 1);
    fb_poke(fb, p.root + 8, 8, fb_peek(fb, p.root + 8, 8) | RW);
    expect_pf(fb, fb_try_read(fb, 0x40000000, 4, 0, &v), 0x40000000, PF_P | PF_RSVD);
    fb_free(fb);
}
END_TEST


START_TEST(paging_4level_bits_52_to_62_ignored_pae_reserved)
{
    /* IA-32e entries: bits 51:M reserved, 58:52 ignored, 62:59 protection key (ignored with
     * CR4.PKE = 0).  PAE entries: bits 62:M all reserved (SDM vol. 3, tables 4-11, 4-19). */
    Pt p;
    uint64_t v;
    const uint64_t soft = (1ull << 52) | (1ull << 58) | (1ull << 62);
    FakeBus *fb = setup(&p, FMT_4LEVEL);
    pt_map(&p, 0x00605000, 0x845000 | soft, P | RW, 1);
    uint64_t pde = pt_slot(&p, 0x00605000, 2);
    fb_poke(fb, pde, 8, fb_peek(fb, pde, 8) | soft);
    fb_poke(fb, 0x845010, 4, 0x600d);
    ck_assert_int_eq(fb_try_read(fb, 0x00605010, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0x600d);
    pt_map(&p, 0x00606000, 0x846000 | (1ull << 51), P | RW, 1);
    expect_pf(fb, fb_try_read(fb, 0x00606000, 4, 0, &v), 0x00606000, PF_P | PF_RSVD);
    fb_free(fb);
    fb = setup(&p, FMT_PAE);
    pt_map(&p, 0x00605000, 0x845000 | (1ull << 52), P | RW, 1);
    expect_pf(fb, fb_try_read(fb, 0x00605000, 4, 0, &v), 0x00605000, PF_P | PF_RSVD);
    fb_free(fb);
}
END_TEST

/* ---- accessed and dirty bits ---- */

START_TEST(paging_read_sets_accessed_not_dirty_write_sets_dirty)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = 0x00c06000;
    uint64_t pte = pt_map(&p, lin, 0x846000, P | RW, 1);
    uint64_t pde = pt_slot(&p, lin, 2);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, lin, 4, 0, &v), -1);
    ck_assert_uint_eq(pt_get(&p, pte) & (A | D), A);
    ck_assert_uint_eq(pt_get(&p, pde) & A, A);
    if (fmts[_i] == FMT_4LEVEL) {
        ck_assert_uint_eq(fb_peek(fb, p.root, 8) & A, A);                 /* PML4E */
        ck_assert_uint_eq(pt_get(&p, pt_slot(&p, lin, 3)) & A, A);        /* PDPTE */
    }
    ck_assert_int_eq(fb_try_write(fb, lin + 8, 4, 1, 0), -1);
    ck_assert_uint_eq(pt_get(&p, pte) & (A | D), A | D);
    ck_assert_uint_eq(pt_get(&p, pde) & D, 0);    /* D only in the leaf */
    fb_free(fb);
}
END_TEST

START_TEST(paging_large_page_write_sets_dirty_in_pde)
{
    Pt p;
    FakeBus *fb = setup(&p, _i == 0 ? FMT_PAE : FMT_4LEVEL);
    uint64_t pde = pt_map(&p, 0x00e00000, 0xa00000, P | RW, 2);
    ck_assert_int_eq(fb_try_write(fb, 0x00e00010, 4, 1, 0), -1);
    ck_assert_uint_eq(pt_get(&p, pde) & (A | D), A | D);
    fb_free(fb);
}
END_TEST

START_TEST(paging_faulting_write_leaves_dirty_clear)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    fb->cpu->cr0 |= CR0_WP;
    uint64_t pte = pt_map(&p, 0x00607000, 0x847000, P, 1);
    expect_pf(fb, fb_try_write(fb, 0x00607000, 4, 1, 0), 0x00607000, PF_P | PF_W);
    ck_assert_uint_eq(pt_get(&p, pte) & D, 0);
    fb_free(fb);
}
END_TEST

/* ---- the TLB ---- */

START_TEST(tlb_miss_fills_fast_path_used_until_flush_page)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = 0x00c08000;
    uint64_t pte = pt_map(&p, lin, 0x848000, P | RW | D, 1);
    fb_poke(fb, 0x848000, 4, 0x11111111);
    fb_poke(fb, 0x849000, 4, 0x22222222);
    ck_assert_uint_eq(entry(fb, lin, 0)->tag_r, TLB_INVALID);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, lin, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0x11111111);
    TlbEntry *e = entry(fb, lin, 0);
    ck_assert_uint_eq(e->tag_r, lin);
    ck_assert_uint_eq(e->tag_w, lin);          /* D already set: writes may take the fast path */
    ck_assert_ptr_eq((void *)(e->addend + lin), fb->ram + 0x848000);
    ck_assert_uint_eq(fb->cpu->tlb.paddr[0][(lin >> 12) & (TLB_SIZE - 1)], 0x848000);
    /* remap without invalidating: the TLB still holds the old translation (as hardware) */
    fb_poke(fb, pte, pt_esize(&p), 0x849000 | P | RW | D);
    ck_assert_int_eq(fb_try_read(fb, lin, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0x11111111);
    tlb_flush_page(&fb->cpu->tlb, lin + 0x123);
    ck_assert_int_eq(fb_try_read(fb, lin, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0x22222222);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_clean_page_write_tag_only_after_dirty)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = 0x00c09000;
    pt_map(&p, lin, 0x849000, P | RW, 1);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, lin, 4, 0, &v), -1);
    ck_assert_uint_eq(entry(fb, lin, 0)->tag_r, lin);
    ck_assert_uint_eq(entry(fb, lin, 0)->tag_w, TLB_INVALID);
    ck_assert_int_eq(fb_try_write(fb, lin, 4, 5, 0), -1);
    ck_assert_uint_eq(entry(fb, lin, 0)->tag_w, lin);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_flush_nonglobal_keeps_global_pages)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    fb->cpu->cr4 |= CR4_PGE;
    uint64_t glin = 0x00c0a000, llin = 0x00c0b000;
    uint64_t gpte = pt_map(&p, glin, 0x84a000, P | RW | G, 1);
    uint64_t lpte = pt_map(&p, llin, 0x84b000, P | RW, 1);
    fb_poke(fb, 0x84a000, 4, 0xaaaa);
    fb_poke(fb, 0x84b000, 4, 0xbbbb);
    fb_poke(fb, 0x84c000, 4, 0xcccc);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, glin, 4, 0, &v), -1);
    ck_assert_int_eq(fb_try_read(fb, llin, 4, 0, &v), -1);
    /* point both at another page, then flush non-global entries (a CR3 write) */
    fb_poke(fb, gpte, pt_esize(&p), 0x84c000 | P | RW | G);
    fb_poke(fb, lpte, pt_esize(&p), 0x84c000 | P | RW);
    tlb_flush(&fb->cpu->tlb, false);
    ck_assert_int_eq(fb_try_read(fb, glin, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0xaaaa);                   /* global: survived */
    ck_assert_int_eq(fb_try_read(fb, llin, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0xcccc);                   /* not global: re-walked */
    tlb_flush(&fb->cpu->tlb, true);
    ck_assert_int_eq(fb_try_read(fb, glin, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0xcccc);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_flush_page_drops_global_page)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    fb->cpu->cr4 |= CR4_PGE;
    uint64_t lin = 0x00c0a000;
    uint64_t pte = pt_map(&p, lin, 0x84a000, P | RW | G, 1);
    fb_poke(fb, 0x84c000, 4, 0xcccc);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, lin, 4, 0, &v), -1);
    fb_poke(fb, pte, pt_esize(&p), 0x84c000 | P | RW | G);
    tlb_flush_page(&fb->cpu->tlb, lin);
    ck_assert_int_eq(fb_try_read(fb, lin, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0xcccc);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_g_bit_without_cr4_pge_not_global)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = 0x00c0a000;
    uint64_t pte = pt_map(&p, lin, 0x84a000, P | RW | G, 1);
    fb_poke(fb, 0x84c000, 4, 0xcccc);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, lin, 4, 0, &v), -1);
    fb_poke(fb, pte, pt_esize(&p), 0x84c000 | P | RW | G);
    tlb_flush(&fb->cpu->tlb, false);
    ck_assert_int_eq(fb_try_read(fb, lin, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0xcccc);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_mmio_page_never_gets_tags)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = 0x00c0d000;
    pt_map(&p, lin, FB_MMIO, P | RW | D | A, 1);
    uint64_t v;
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(fb_try_read(fb, lin + 8, 4, 0, &v), -1);
        ck_assert_uint_eq(v, FB_MMIO_VALUE & 0xffffffffu);
        ck_assert_uint_eq(entry(fb, lin, 0)->tag_r, TLB_INVALID);
        ck_assert_uint_eq(entry(fb, lin, 0)->tag_w, TLB_INVALID);
    }
    ck_assert_uint_eq(fb->mmio_reads, 3);
    ck_assert_uint_eq(fb->mmio_last_addr, FB_MMIO + 8);
    ck_assert_int_eq(fb->mmio_last_size, 4);
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(fb_try_write(fb, lin + 0x10, 2, 0xbeef, 0), -1);
    ck_assert_uint_eq(fb->mmio_writes, 2);
    ck_assert_uint_eq(fb->mmio_last_val, 0xbeef);
    ck_assert_uint_eq(entry(fb, lin, 0)->tag_w, TLB_INVALID);
    uint64_t pa;
    ck_assert_int_eq(fb_try_fetch(fb, lin + 0x20, 0, &pa), -1);
    ck_assert_uint_eq(pa, FB_MMIO + 0x20);
    ck_assert_uint_eq(entry(fb, lin, 0)->tag_x, TLB_INVALID);   /* its addend means nothing */
    fb_free(fb);
}
END_TEST

START_TEST(tlb_mmio_without_paging_goes_to_device)
{
    FakeBus *fb = fb_new(RAM);
    fb_mode_pm32(fb);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, FB_MMIO + 4, 2, 0, &v), -1);
    ck_assert_int_eq(fb_try_read(fb, FB_MMIO + 4, 2, 0, &v), -1);
    ck_assert_uint_eq(v, FB_MMIO_VALUE & 0xffff);
    ck_assert_uint_eq(fb->mmio_reads, 2);
    ck_assert_uint_eq(entry(fb, FB_MMIO, 0)->tag_r, TLB_INVALID);
    /* unassigned memory reads as all ones */
    ck_assert_int_eq(fb_try_read(fb, 0x40000000, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0xffffffffu);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_rom_page_never_on_data_fast_path_writes_dropped)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = 0x00c0e000;
    pt_map(&p, lin, FB_ROM, P | RW | D | A, 1);
    uint64_t v;
    ck_assert_int_eq(fb_try_write(fb, lin + 4, 4, 0x12345678, 0), -1);
    ck_assert_int_eq(fb_try_read(fb, lin + 4, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0x5a5a5a5a);
    ck_assert_uint_eq(entry(fb, lin, 0)->tag_r, TLB_INVALID);   /* ROM data: always the slow path */
    ck_assert_uint_eq(entry(fb, lin, 0)->tag_w, TLB_INVALID);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_page_crossing_write_second_page_faults_first_untouched)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = 0x00c10000;
    pt_map(&p, lin, 0x850000, P | RW | A | D, 1);       /* next page not present */
    fb_poke(fb, 0x850ffc, 4, 0x01020304);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, lin + 0xffc, 4, 0, &v), -1);   /* fill the TLB for page 1 */
    expect_pf(fb, fb_try_write(fb, lin + 0xffe, 4, 0xaabbccdd, 0), lin + 0x1000, PF_W);
    ck_assert_uint_eq(fb_peek(fb, 0x850ffc, 4), 0x01020304);
    /* second page read-only with WP */
    fb->cpu->cr0 |= CR0_WP;
    pt_map(&p, lin + 0x1000, 0x851000, P, 1);
    expect_pf(fb, fb_try_write(fb, lin + 0xff9, 8, ~0ull, 0), lin + 0x1000, PF_P | PF_W);
    ck_assert_uint_eq(fb_peek(fb, 0x850ffc, 4), 0x01020304);
    ck_assert_uint_eq(fb_peek(fb, 0x850ff8, 4), 0);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_page_crossing_access_spans_noncontiguous_pages)
{
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    uint64_t lin = 0x00c12000;
    pt_map(&p, lin, 0x853000, P | RW, 1);
    pt_map(&p, lin + 0x1000, 0x852000, P | RW, 1);
    fb_poke(fb, 0x853ffe, 2, 0x2211);
    fb_poke(fb, 0x852000, 2, 0x4433);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, lin + 0xffe, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0x44332211);
    ck_assert_int_eq(fb_try_write(fb, lin + 0xffd, 8, 0x8877665544332211ull, 0), -1);
    ck_assert_uint_eq(fb_peek(fb, 0x853ffd, 3), 0x332211);
    ck_assert_uint_eq(fb_peek(fb, 0x852000, 5), 0x8877665544ull);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_paging_off_translates_identity)
{
    FakeBus *fb = fb_new(RAM);
    fb_mode_pm32(fb);
    fb_poke(fb, 0x123456, 4, 0xfeedface);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, 0x123456, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0xfeedface);
    ck_assert_uint_eq(entry(fb, 0x123456, 0)->tag_w, 0x123000);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_access_across_4g_wraps_to_linear_zero)
{
    FakeBus *fb = fb_new(RAM);
    fb_mode_pm32(fb);
    fb_poke(fb, 0, 2, 0x3412);
    uint64_t v;
    /* last two bytes of the ROM page at FFFFF000, then linear 0 */
    ck_assert_int_eq(fb_try_read(fb, 0xfffffffe, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0x34125a5a);
    ck_assert_int_eq(fb_try_write(fb, 0xffffffff, 2, 0xbbaa, 0), -1);
    ck_assert_uint_eq(fb_peek(fb, 0, 2), 0x34bb);   /* ROM byte dropped, RAM byte written */
    fb_free(fb);
}
END_TEST

/* ---- random tables against a reference walker ----
 *
 * The reference is written from the SDM's per-format entry tables (vol. 3, 4.3 32-bit, 4.4 PAE,
 * 4.5 4-level) and the access-rights and error-code rules (4.6, 4.7), one format at a time.  It
 * reads the tables from a copy of RAM and reports the physical address or the #PF error code, and
 * which entries a successful access marks accessed (A) and which one dirty (D). */

typedef struct RefWalk {
    int fault;
    uint32_t err;
    uint64_t pa;
    int n;
    uint64_t ent_addr[4];
    int leaf;                 /* index in ent_addr of the entry mapping the page */
} RefWalk;

typedef struct RefMode {
    int fmt, wp, nxe, pse, user, access;
    uint64_t cr3;
} RefMode;

static uint64_t rd(const uint8_t *ram, uint64_t a, int size)
{
    uint64_t v = 0;
    memcpy(&v, ram + a, (size_t)size);
    return v;
}

static uint64_t bits(int hi, int lo) { return ((hi == 63 ? ~0ull : (1ull << (hi + 1)) - 1) >> lo) << lo; }

static RefWalk ref_walk(const uint8_t *ram, const RefMode *m, uint64_t lin)
{
    RefWalk w = { 0 };
    int pae = m->fmt != FMT_2LEVEL;
    uint32_t base_err = (m->access == ACC_WRITE ? PF_W : 0) | (m->user ? PF_U : 0) |
                        (m->access == ACC_EXEC && pae && m->nxe ? PF_I : 0);
    int rw = 1, us = 1, xd = 0;
    uint64_t e = 0, pa = 0;
    if (m->fmt == FMT_2LEVEL) {
        uint64_t a = (m->cr3 & 0xfffff000u) + ((lin >> 22) & 0x3ff) * 4;
        e = rd(ram, a, 4);
        w.ent_addr[w.n++] = a;
        if (!(e & P))
            goto notpresent;
        rw &= (e & RW) != 0;
        us &= (e & US) != 0;
        if (m->pse && (e & PS)) {
            if (e & (1ull << 21))                /* PSE-36 with MAXPHYADDR 40: bit 21 reserved */
                goto reserved;
            pa = (e & 0xffc00000u) + (((e >> 13) & 0xff) << 32) + (lin & 0x3fffff);
        } else {
            a = (e & 0xfffff000u) + ((lin >> 12) & 0x3ff) * 4;
            e = rd(ram, a, 4);
            w.ent_addr[w.n++] = a;
            if (!(e & P))
                goto notpresent;
            rw &= (e & RW) != 0;
            us &= (e & US) != 0;
            pa = (e & 0xfffff000u) + (lin & 0xfff);
        }
    } else {
        uint64_t xdbit = m->nxe ? 0 : XD;
        uint64_t rsv = (m->fmt == FMT_PAE ? bits(62, 40) : bits(51, 40)) | xdbit;
        uint64_t table;
        int level;
        if (m->fmt == FMT_PAE) {
            uint64_t a = (m->cr3 & 0xffffffe0u) + ((lin >> 30) & 3) * 8;
            e = rd(ram, a, 8);
            if (!(e & P))
                goto notpresent;
            if (e & (bits(63, 40) | bits(8, 5) | bits(2, 1)))
                goto reserved;
            table = e & bits(39, 12);
            level = 2;
        } else {
            table = m->cr3 & bits(39, 12);
            level = 4;
        }
        for (;; level--) {
            uint64_t a = table + ((lin >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
            e = rd(ram, a, 8);
            w.ent_addr[w.n++] = a;
            if (!(e & P))
                goto notpresent;
            if (e & rsv)
                goto reserved;
            rw &= (e & RW) != 0;
            us &= (e & US) != 0;
            xd |= m->nxe && (e & XD);
            if (level == 4 && (e & PS))
                goto reserved;                       /* PS is reserved in a PML4E */
            if ((level == 3 || level == 2) && (e & PS)) {
                int shift = level == 3 ? 30 : 21;
                if (e & bits(shift - 1, 13))
                    goto reserved;
                pa = (e & bits(39, shift)) + (lin & bits(shift - 1, 0));
                break;
            }
            if (level == 1) {
                pa = (e & bits(39, 12)) + (lin & 0xfff);
                break;
            }
            table = e & bits(39, 12);
        }
    }
    w.leaf = w.n - 1;
    if (m->user && !us)
        goto denied;
    if (m->access == ACC_WRITE && (m->user ? !rw : (m->wp && !rw)))
        goto denied;
    if (m->access == ACC_EXEC && xd)
        goto denied;
    w.pa = pa;
    return w;
notpresent:
    w.fault = 1;
    w.err = base_err;
    return w;
reserved:
    w.fault = 1;
    w.err = base_err | PF_P | PF_RSVD;
    return w;
denied:
    w.fault = 1;
    w.err = base_err | PF_P;
    return w;
}

static uint64_t rnd64(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s ^ (*s >> 29);
}

/* Fills table pages 0x100000.. with random entries whose addresses point at table pages. */
static void random_tables(FakeBus *fb, int fmt, uint64_t *s)
{
    const int pages = 8;
    for (uint64_t pg = 0; pg < (uint64_t)pages; pg++) {
        for (int i = 0; i < (fmt == FMT_2LEVEL ? 1024 : 512); i++) {
            uint64_t r = rnd64(s);
            uint64_t e = 0x100000 + (r % pages) * 0x1000;
            r = rnd64(s);
            if (r % 10)
                e |= P;
            e |= (r & 0x1e) | (r & 0x160);            /* RW US PWT PCD, A D G randomly */
            if ((r >> 8) % 4 == 0)
                e |= PS;
            if ((r >> 12) % 3 == 0 && fmt != FMT_2LEVEL)
                e |= XD;
            if ((r >> 16) % 16 == 0)
                e |= 1ull << (13 + (r >> 24) % 9);    /* bits 13..21: large-page reserved area */
            if ((r >> 20) % 16 == 0 && fmt != FMT_2LEVEL)
                e |= 1ull << (40 + (r >> 32) % 23);   /* bits 40..62 */
            if (fmt == FMT_2LEVEL && (r >> 40) % 8 == 0)
                e |= ((r >> 44) & 0xff) << 13;        /* PSE-36 high address bits */
            fb_poke(fb, 0x100000 + pg * 0x1000 + (uint64_t)i * (fmt == FMT_2LEVEL ? 4 : 8),
                    fmt == FMT_2LEVEL ? 4 : 8, e);
        }
    }
}

START_TEST(paging_random_tables_match_reference_walker)
{
    uint64_t s = 0xfeedull + (uint64_t)_i * 7919;
    FakeBus *fb = fb_new(RAM);
    uint8_t *before = calloc(1, RAM);
    for (int round = 0; round < 12; round++) {
        int fmt = fmts[rnd64(&s) % 3];
        Cpu *cpu = fb->cpu;
        RefMode m = { .fmt = fmt, .cr3 = 0x100000 + (rnd64(&s) % 8) * 0x1000 };
        if (fmt == FMT_PAE)
            m.cr3 += (rnd64(&s) % 128) * 32;
        random_tables(fb, fmt, &s);
        if (fmt == FMT_4LEVEL) {
            fb_mode_long64(fb, m.cr3);
        } else {
            fb_mode_pm32(fb);
            cpu->efer &= ~(EFER_LME | EFER_LMA);
            cpu->cr4 &= ~CR4_PAE;
            cpu->cr4 |= fmt == FMT_PAE ? CR4_PAE : 0;
            cpu->cr3 = m.cr3;
            cpu->cr0 |= CR0_PG;
            cpu_update_mode(cpu);
        }
        for (int it = 0; it < 400; it++) {
            uint64_t r = rnd64(&s);
            m.wp = r & 1;
            m.nxe = (r >> 1) & 1;
            m.pse = (r >> 2) & 1;
            m.user = (r >> 3) & 1;
            m.access = (int)((r >> 4) % 3);
            cpu->cr0 = (cpu->cr0 & ~CR0_WP) | (m.wp ? CR0_WP : 0);
            cpu->efer = (cpu->efer & ~EFER_NXE) | (m.nxe ? EFER_NXE : 0);
            cpu->cr4 = (cpu->cr4 & ~CR4_PSE) | (m.pse ? CR4_PSE : 0);
            cpu->cr2 = 0;
            cpu_flush_tlb(cpu, true);
            uint64_t lin = rnd64(&s);
            lin = fmt == FMT_4LEVEL ? (uint64_t)((int64_t)(lin << 16) >> 16) : (uint32_t)lin;
            memcpy(before + 0x100000, fb->ram + 0x100000, 0x8000);   /* every table lives here */
            RefWalk w = ref_walk(before, &m, lin);
            uint64_t pa = 0;
            int rc = fb_try_translate(fb, lin, m.access, m.user, &pa);
            const char *what = NULL;
            if (w.fault && rc != EXC_PF)
                what = "expected #PF";
            else if (!w.fault && rc != -1)
                what = "unexpected fault";
            else if (w.fault && (cpu->exc_error != w.err || cpu->cr2 != lin))
                what = "wrong error code or CR2";
            else if (!w.fault && pa != w.pa)
                what = "wrong physical address";
            for (int k = 0; !what && !w.fault && k < w.n; k++) {
                int sz = fmt == FMT_2LEVEL ? 4 : 8;
                uint64_t want = rd(before, w.ent_addr[k], sz) | A;
                if (k == w.leaf && m.access == ACC_WRITE)
                    want |= D;
                /* an entry used twice (self-referencing tables) gets the union */
                for (int j = 0; j < w.n; j++)
                    if (j != k && w.ent_addr[j] == w.ent_addr[k] && j == w.leaf && m.access == ACC_WRITE)
                        want |= D;
                if (fb_peek(fb, w.ent_addr[k], sz) != want)
                    what = "accessed/dirty bits differ";
            }
            if (what)
                ck_abort_msg("fmt %d wp %d nxe %d pse %d user %d access %d lin %#llx: %s "
                             "(ref fault %d err %#x pa %#llx; got rc %d err %#x cr2 %#llx pa %#llx)",
                             fmt, m.wp, m.nxe, m.pse, m.user, m.access, (unsigned long long)lin, what,
                             w.fault, w.err, (unsigned long long)w.pa, rc, cpu->exc_error,
                             (unsigned long long)cpu->cr2, (unsigned long long)pa);
        }
    }
    free(before);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_cached_reads_match_reference_walker)
{
    /* Reads at a few dozen addresses, repeated, without flushing: TLB hits must give what a fresh
     * walk of the (unchanged) tables gives, for both privilege classes. */
    uint64_t s = 0xabcdull + (uint64_t)_i * 104729;
    FakeBus *fb = fb_new(RAM);
    uint8_t *before = calloc(1, RAM);
    for (int round = 0; round < 8; round++) {
        int fmt = fmts[rnd64(&s) % 3];
        Cpu *cpu = fb->cpu;
        uint64_t r = rnd64(&s);
        RefMode m = { .fmt = fmt, .cr3 = 0x100000 + (r % 8) * 0x1000, .wp = (r >> 3) & 1,
                      .nxe = (r >> 4) & 1, .pse = (r >> 5) & 1, .access = ACC_READ };
        random_tables(fb, fmt, &s);
        if (fmt == FMT_4LEVEL) {
            fb_mode_long64(fb, m.cr3);
        } else {
            fb_mode_pm32(fb);
            cpu->efer &= ~(EFER_LME | EFER_LMA);
            cpu->cr4 = (cpu->cr4 & ~CR4_PAE) | (fmt == FMT_PAE ? CR4_PAE : 0);
            cpu->cr3 = m.cr3;
            cpu->cr0 |= CR0_PG;
            cpu_update_mode(cpu);
        }
        cpu->cr0 = (cpu->cr0 & ~CR0_WP) | (m.wp ? CR0_WP : 0);
        cpu->efer = (cpu->efer & ~EFER_NXE) | (m.nxe ? EFER_NXE : 0);
        cpu->cr4 = (cpu->cr4 & ~CR4_PSE) | (m.pse ? CR4_PSE : 0);
        cpu_flush_tlb(cpu, true);
        uint64_t lins[24];
        for (int k = 0; k < 24; k++) {
            uint64_t l = rnd64(&s);
            lins[k] = fmt == FMT_4LEVEL ? (uint64_t)((int64_t)(l << 16) >> 16) : (uint32_t)l;
        }
        for (int it = 0; it < 600; it++) {
            uint64_t lin = lins[rnd64(&s) % 24];
            m.user = (int)(rnd64(&s) & 1);
            memcpy(before + 0x100000, fb->ram + 0x100000, 0x8000);
            RefWalk w = ref_walk(before, &m, lin);
            uint64_t v = 0;
            int rc = fb_try_read(fb, lin, 1, m.user, &v);
            uint64_t want = w.pa < RAM ? fb->ram[w.pa] : 0xff;
            if ((w.fault ? EXC_PF : -1) != rc || (w.fault && cpu->exc_error != w.err) || (!w.fault && v != want))
                ck_abort_msg("fmt %d wp %d nxe %d pse %d user %d lin %#llx (try %d): ref fault %d err %#x pa %#llx; "
                             "got rc %d err %#x value %#llx", fmt, m.wp, m.nxe, m.pse, m.user,
                             (unsigned long long)lin, it, w.fault, w.err, (unsigned long long)w.pa, rc,
                             cpu->exc_error, (unsigned long long)v);
        }
    }
    free(before);
    fb_free(fb);
}
END_TEST

START_TEST(tlb_flush_page_in_large_page_drops_its_other_entries)
{
    /* INVLPG of one address invalidates the whole translation of the page that contains it; the
     * TLB caches a large page as 4 KiB pieces, and pieces far from the flushed address must go
     * too.  Loop: 4 MiB (2-level PSE), 2 MiB (PAE), 1 GiB (4-level). */
    static const uint64_t lin[3] = { 0x00800000, 0x40000000, 0x0000008040000000ull };
    static const uint64_t span[3] = { 0x400000, 0x200000, 0x40000000 };
    static const int level[3] = { 2, 2, 3 };
    Pt p;
    FakeBus *fb = setup(&p, fmts[_i]);
    fb->cpu->cr4 |= CR4_PSE;
    uint64_t target = _i == 2 ? 0 : 0x800000;
    uint64_t ent = pt_map(&p, lin[_i], target, P | RW | A | D, level[_i]);
    uint64_t far = lin[_i] + span[_i] - 0x1000 + 0x10;      /* last 4 KiB piece of the page */
    uint64_t far_pa = target + span[_i] - 0x1000 + 0x10;
    if (far_pa >= RAM)
        far = lin[_i] + 0x900010, far_pa = 0x900010;          /* 1 GiB: a piece inside RAM */
    fb_poke(fb, far_pa, 4, 0x12345678);
    uint64_t v;
    ck_assert_int_eq(fb_try_read(fb, far, 4, 0, &v), -1);
    ck_assert_uint_eq(v, 0x12345678);
    /* remove the page, then invalidate it through its first byte */
    fb_poke(fb, ent, pt_esize(&p), 0);
    tlb_flush_page(&fb->cpu->tlb, lin[_i]);
    expect_pf(fb, fb_try_read(fb, far, 4, 0, &v), far, 0);
    fb_free(fb);
}
END_TEST

static Suite *paging_suite(void)
{
    Suite *s = suite_create("paging");
    TCase *tc = tcase_create("walk");
    tcase_add_loop_test(tc, paging_identity_4k_page_translates, 0, 3);
    tcase_add_loop_test(tc, paging_nonidentity_4k_page_reads_and_writes_target, 0, 3);
    tcase_add_test(tc, paging_2level_pse_4mib_page_translates);
    tcase_add_test(tc, paging_2level_pse36_bits_give_physical_above_4g);
    tcase_add_test(tc, paging_2level_ps_without_cr4_pse_points_to_table);
    tcase_add_test(tc, paging_pae_2mib_page_translates);
    tcase_add_test(tc, paging_4level_2mib_and_1gib_pages_translate);
    tcase_add_loop_test(tc, paging_not_present_access_faults_with_cr2_and_error_code, 0, 3);
    tcase_add_loop_test(tc, paging_supervisor_write_readonly_wp_clear_allowed, 0, 3);
    tcase_add_loop_test(tc, paging_supervisor_write_readonly_wp_set_faults, 0, 3);
    tcase_add_loop_test(tc, paging_user_access_supervisor_page_faults, 0, 3);
    tcase_add_loop_test(tc, paging_user_write_readonly_user_page_faults_even_wp_clear, 0, 3);
    tcase_add_loop_test(tc, paging_nx_fetch_with_nxe_faults_read_allowed, 0, 2);
    tcase_add_loop_test(tc, paging_xd_without_nxe_is_reserved_bit, 0, 2);
    tcase_add_test(tc, paging_fetch_2level_never_reports_id);
    tcase_add_test(tc, paging_reserved_bits_fault_with_rsvd);
    tcase_add_test(tc, paging_4level_bits_52_to_62_ignored_pae_reserved);
    tcase_add_loop_test(tc, paging_read_sets_accessed_not_dirty_write_sets_dirty, 0, 3);
    tcase_add_loop_test(tc, paging_large_page_write_sets_dirty_in_pde, 0, 2);
    tcase_add_loop_test(tc, paging_faulting_write_leaves_dirty_clear, 0, 3);
    tcase_add_loop_test(tc, paging_random_tables_match_reference_walker, 0, 4);
    suite_add_tcase(s, tc);
    tc = tcase_create("tlb");
    tcase_add_loop_test(tc, tlb_miss_fills_fast_path_used_until_flush_page, 0, 3);
    tcase_add_loop_test(tc, tlb_clean_page_write_tag_only_after_dirty, 0, 3);
    tcase_add_loop_test(tc, tlb_flush_nonglobal_keeps_global_pages, 0, 3);
    tcase_add_loop_test(tc, tlb_flush_page_drops_global_page, 0, 3);
    tcase_add_loop_test(tc, tlb_g_bit_without_cr4_pge_not_global, 0, 3);
    tcase_add_loop_test(tc, tlb_mmio_page_never_gets_tags, 0, 3);
    tcase_add_test(tc, tlb_mmio_without_paging_goes_to_device);
    tcase_add_loop_test(tc, tlb_rom_page_never_on_data_fast_path_writes_dropped, 0, 3);
    tcase_add_loop_test(tc, tlb_page_crossing_write_second_page_faults_first_untouched, 0, 3);
    tcase_add_loop_test(tc, tlb_page_crossing_access_spans_noncontiguous_pages, 0, 3);
    tcase_add_test(tc, tlb_paging_off_translates_identity);
    tcase_add_test(tc, tlb_access_across_4g_wraps_to_linear_zero);
    tcase_add_loop_test(tc, tlb_cached_reads_match_reference_walker, 0, 4);
    tcase_add_loop_test(tc, tlb_flush_page_in_large_page_drops_its_other_entries, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(paging_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
