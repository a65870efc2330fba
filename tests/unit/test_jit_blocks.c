/*
 * test_jit_blocks.c — block-level tests of the JIT (issue 9, "Tests" and "Exactness"): the same
 * code runs on two fake machines (tests/unit/fake_machine.h), one with the interpreter alone and
 * one with the JIT at threshold 0 (every block translated at its first execution), and the whole
 * state must be equal: general registers, RIP, all EFLAGS bits, icount, CR2, halted, and (where
 * memory is written) all RAM.  What the tests aim at are the pitfalls of jit/jit.h:
 *   - flags across block edges: a producer at the end of block A (before a JMP, a conditional
 *     side exit, a CALL), read at the start of block B by Jcc, ADC, SETcc, CMOVcc, LAHF, PUSHF
 *     (jit.h section 3: every flag is live at every exit);
 *   - page-crossing data accesses and an instruction straddling two pages, with paging mapping the
 *     two linear pages to distant physical pages, and a crossing access whose second page is not
 *     present (#PF, nothing of it written: SDM vol. 3, 4.7 and 6.5);
 *   - faults in the middle of a block (#DE, #UD, #GP, #PF): the state before delivery, hence the
 *     pushed frame, RIP, flags and icount, equals the interpreter's;
 *   - self-modifying code into the running block: the block stops after the storing instruction
 *     (SDM vol. 3, 11.6) and the patched instruction runs; a page written over and over stays
 *     interpreted (JIT_SMC_HOT_PAGE);
 *   - budget stops in the middle of a loop (one branching back to its own block, one with a side
 *     exit), for every budget from 1 to past the end, and runs resumed in chunks: icount and
 *     state equal at every stop.
 * They hold for the call-threaded translator and must keep holding for native code.
 *
 * Faults are delivered through an IDT whose gates all lead to a HLT (one per vector at TRAP), so a
 * run ends halted in the handler with the exception frame on the stack.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "jit/jit.h"
#include "tests/unit/fake_machine.h"

#define GDT   0x5000u
#define IDT   0x6000u
#define TRAP  0x7000u       /* HLT at TRAP + vector */
#define PD    0x9000u       /* 2-level paging (paging_on) */
#define PT    0xa000u
#define JIT_BUFFER (256u << 10)   /* small: flushes happen during the tests */

typedef struct Pair {
    FakeMachine *m[2];   /* 0: interpreter, 1: JIT */
    FmMode mode;
} Pair;

static void gdt_idt(FakeMachine *fm, FmMode mode)
{
    fm_poke(fm, GDT, 8, 0);
    fm_poke(fm, GDT + 8, 8, mode == FM_LONG64 ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull);
    fm_poke(fm, GDT + 16, 8, 0x00cf93000000ffffull);
    fm->cpu->gdtr = (DescTable){ GDT, 23 };
    int size = mode == FM_LONG64 ? 16 : 8;
    for (uint32_t v = 0; v < 256; v++) {
        uint32_t off = TRAP + v;
        uint32_t gate = IDT + v * (uint32_t)size;
        fm_poke(fm, gate, 4, (0x08u << 16) | (off & 0xffff));
        fm_poke(fm, gate + 4, 4, (off & 0xffff0000u) | 0x8e00u);   /* present interrupt gate */
        if (size == 16)
            fm_poke(fm, gate + 8, 8, 0);
        fm_poke(fm, TRAP + v, 1, 0xf4);
    }
    fm->cpu->idtr = (DescTable){ IDT, 256u * (uint32_t)size - 1 };
}

static Pair pair_new_threshold(FmMode mode, uint32_t threshold)
{
    Pair p = { .mode = mode };
    for (int i = 0; i < 2; i++) {
        p.m[i] = fm_new(mode);
        gdt_idt(p.m[i], mode);
    }
    p.m[1]->cpu->jit = jit_new(threshold, JIT_BUFFER);
    ck_assert_msg(p.m[1]->cpu->jit, "jit_new failed");
    return p;
}

static Pair pair_new(FmMode mode)
{
    return pair_new_threshold(mode, 0);
}

/* `ran`: the JIT must have run some block (else the test tested nothing). */
static void pair_release(Pair *p, bool ran)
{
    JitStats s = jit_stats(p->m[1]->cpu->jit);
    ck_assert_msg(!ran || s.runs > 0, "no block ran in host code: the test tested nothing");
    fm_free(p->m[0]);
    fm_free(p->m[1]);
}

static void pair_free(Pair *p)
{
    pair_release(p, true);
}

static void pair_code(Pair *p, const uint8_t *code, size_t len)
{
    for (int i = 0; i < 2; i++) {
        fm_code(p->m[i], code, len);
        p->m[i]->cpu->gpr[R_SP] = FM_STACK;
    }
}
#define PAIR_LOAD(p, ...) \
    pair_code((p), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void pair_reg(Pair *p, int r, uint64_t v)
{
    p->m[0]->cpu->gpr[r] = p->m[1]->cpu->gpr[r] = v;
}

static void pair_flags(Pair *p, uint32_t fl)
{
    fm_set_flags(p->m[0], fl);
    fm_set_flags(p->m[1], fl);
}

static void pair_run(Pair *p, uint64_t n)
{
    fm_run(p->m[0], n);
    fm_run(p->m[1], n);
}

/* Stops each CPU after exactly `n` more instructions (or earlier at a HLT). */
static void pair_budget(Pair *p, uint64_t n)
{
    for (int i = 0; i < 2; i++)
        cpu_run(p->m[i]->cpu, p->m[i]->cpu->icount + n);
}

/* The whole comparison; `ram` adds all of RAM (else the stack page only). */
static void pair_check(const Pair *p, bool ram, const char *what)
{
    const Cpu *a = p->m[0]->cpu, *b = p->m[1]->cpu;
    for (int r = 0; r < 16; r++)
        ck_assert_msg(a->gpr[r] == b->gpr[r], "%s: register %d: interpreter %llx, jit %llx", what, r,
                      (unsigned long long)a->gpr[r], (unsigned long long)b->gpr[r]);
    ck_assert_msg(a->rip == b->rip, "%s: rip: interpreter %llx, jit %llx", what, (unsigned long long)a->rip,
                  (unsigned long long)b->rip);
    ck_assert_msg(cpu_get_eflags(a) == cpu_get_eflags(b), "%s: eflags: interpreter %x, jit %x", what,
                  cpu_get_eflags(a), cpu_get_eflags(b));
    ck_assert_msg(a->icount == b->icount, "%s: icount: interpreter %llu, jit %llu", what,
                  (unsigned long long)a->icount, (unsigned long long)b->icount);
    ck_assert_msg(a->cr2 == b->cr2, "%s: cr2", what);
    ck_assert_msg(a->halted == b->halted, "%s: halted: interpreter %d, jit %d", what, a->halted, b->halted);
    for (int r = 0; r < 16; r++)
        ck_assert_msg(!memcmp(&a->xmm[r], &b->xmm[r], sizeof(a->xmm[r])), "%s: xmm%d differs", what, r);
    if (ram)
        ck_assert_msg(!memcmp(p->m[0]->ram, p->m[1]->ram, FM_RAM_SIZE), "%s: RAM differs", what);
    else
        ck_assert_msg(!memcmp(p->m[0]->ram + FM_STACK - 0x100, p->m[1]->ram + FM_STACK - 0x100, 0x100),
                      "%s: stack differs", what);
}

/* ---- flags across block edges ---- */

typedef struct Piece {
    const char *name;
    uint8_t bytes[8];
    int len;
    bool only64;
} Piece;

/* Producers: the last flag-writing instruction of block A (operands eax/ebx/ecx). */
static const Piece producers[] = {
    { "cmp eax, ebx", { 0x39, 0xd8 }, 2, false },          { "add eax, ebx", { 0x01, 0xd8 }, 2, false },
    { "sub eax, ebx", { 0x29, 0xd8 }, 2, false },          { "adc eax, ebx", { 0x11, 0xd8 }, 2, false },
    { "sbb eax, ebx", { 0x19, 0xd8 }, 2, false },          { "and eax, ebx", { 0x21, 0xd8 }, 2, false },
    { "xor eax, ebx", { 0x31, 0xd8 }, 2, false },          { "test eax, ebx", { 0x85, 0xd8 }, 2, false },
    { "inc eax", { 0xff, 0xc0 }, 2, false },               { "dec eax", { 0xff, 0xc8 }, 2, false },
    { "neg eax", { 0xf7, 0xd8 }, 2, false },               { "shl eax, cl", { 0xd3, 0xe0 }, 2, false },
    { "shr eax, 1", { 0xd1, 0xe8 }, 2, false },            { "sar eax, cl", { 0xd3, 0xf8 }, 2, false },
    { "rol eax, cl", { 0xd3, 0xc0 }, 2, false },           { "rcr eax, 1", { 0xd1, 0xd8 }, 2, false },
    { "imul eax, ebx", { 0x0f, 0xaf, 0xc3 }, 3, false },   { "mul ebx", { 0xf7, 0xe3 }, 2, false },
    { "bt eax, ecx", { 0x0f, 0xa3, 0xc8 }, 3, false },     { "cmp al, bl", { 0x38, 0xd8 }, 2, false },
    { "add ax, bx", { 0x66, 0x01, 0xd8 }, 3, false },      { "sahf", { 0x9e }, 1, false },
    { "cmp rax, rbx", { 0x48, 0x39, 0xd8 }, 3, true },     { "add rax, rbx", { 0x48, 0x01, 0xd8 }, 3, true },
    { "shl rax, cl", { 0x48, 0xd3, 0xe0 }, 3, true },      { "imul rax, rbx", { 0x48, 0x0f, 0xaf, 0xc3 }, 4, true },
    { "imul ebx", { 0xf7, 0xeb }, 2, false },              { "mul rbx", { 0x48, 0xf7, 0xe3 }, 3, true },
};

/* How block A ends: the next instruction starts block B. */
static const Piece edges[] = {
    { "jmp +0", { 0xeb, 0x00 }, 2, false },
    { "jb +0 (side exit when taken)", { 0x72, 0x00 }, 2, false },
    { "jz +0 (side exit when taken)", { 0x74, 0x00 }, 2, false },
    { "call +0", { 0xe8, 0, 0, 0, 0 }, 5, false },
};

/* The first instruction of block B, reading the flags. */
static const Piece consumers[] = {
    { "pushf", { 0x90 }, 1, false },                       /* nop: the common tail's PUSHF reads first */
    { "jb +0", { 0x72, 0x00 }, 2, false },
    { "adc ecx, esi", { 0x11, 0xf1 }, 2, false },
    { "cmovb edi, ebx", { 0x0f, 0x42, 0xfb }, 3, false },
    { "lahf", { 0x9f }, 1, false },
    { "setcc chain", { 0 }, 0, false },                    /* the tail's SETcc chain comes first */
};

static size_t put(uint8_t *code, size_t n, const uint8_t *b, int len)
{
    memcpy(code + n, b, (size_t)len);
    return n + (size_t)len;
}

/* Block B's tail: PUSHF; POP EDX; then for each condition cc: mov ecx, 0 / setcc cl /
 * lea esi, [ecx + esi * 2] (neither MOV nor LEA writes flags), so ESI collects all 16. */
static size_t tail(uint8_t *code, size_t n, bool setcc_first)
{
    static const uint8_t pushf_pop[] = { 0x9c, 0x5a };   /* pushf ; pop edx/rdx */
    if (!setcc_first)
        n = put(code, n, pushf_pop, 2);
    for (int cc = 0; cc < 16; cc++) {
        const uint8_t one[] = { 0xb9, 0, 0, 0, 0, 0x0f, (uint8_t)(0x90 + cc), 0xc1, 0x8d, 0x34, 0x71 };
        n = put(code, n, one, sizeof(one));
    }
    if (setcc_first)
        n = put(code, n, pushf_pop, 2);
    return n;
}

static void flags_edges(FmMode mode)
{
    static const uint64_t av[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x8000000000000000ull,
                                   0x0f0f0f0f0f0f0f10ull };
    static const uint64_t bv[] = { 0, 1, 0x80000000, 0xffffffffffffffffull, 0x11 };
    static const uint32_t fl[] = { 0x002, 0x8d7 };   /* all arithmetic flags clear / set */
    Pair p = pair_new(mode);
    for (size_t pi = 0; pi < sizeof(producers) / sizeof(producers[0]); pi++) {
        if (producers[pi].only64 && mode != FM_LONG64)
            continue;
        for (size_t ei = 0; ei < sizeof(edges) / sizeof(edges[0]); ei++) {
            for (size_t ci = 0; ci < sizeof(consumers) / sizeof(consumers[0]); ci++) {
                uint8_t code[512];
                size_t n = put(code, 0, producers[pi].bytes, producers[pi].len);
                n = put(code, n, edges[ei].bytes, edges[ei].len);
                n = put(code, n, consumers[ci].bytes, consumers[ci].len);
                n = tail(code, n, consumers[ci].len == 0);
                for (size_t a = 0; a < sizeof(av) / sizeof(av[0]); a++) {
                    for (size_t b = 0; b < sizeof(bv) / sizeof(bv[0]); b++) {
                        for (size_t f = 0; f < 2; f++) {
                            pair_code(&p, code, n);
                            pair_reg(&p, R_AX, av[a]);
                            pair_reg(&p, R_BX, bv[b]);
                            pair_reg(&p, R_CX, (av[a] + bv[b]) & 0x3f);
                            pair_reg(&p, R_SI, 0);
                            pair_reg(&p, R_DI, 0x5555);
                            pair_flags(&p, fl[f]);
                            pair_run(&p, 100);
                            char what[160];
                            snprintf(what, sizeof(what), "%s; %s; %s (eax %llx ebx %llx flags %x)",
                                     producers[pi].name, edges[ei].name, consumers[ci].name,
                                     (unsigned long long)av[a], (unsigned long long)bv[b], fl[f]);
                            ck_assert_msg(p.m[0]->cpu->halted, "%s: did not reach the HLT", what);
                            pair_check(&p, false, what);
                        }
                    }
                }
            }
        }
    }
    pair_free(&p);
}

START_TEST(jit_flags_across_block_edges_pm32_equal_interpreter)
{
    flags_edges(FM_PM32);
}
END_TEST

START_TEST(jit_flags_across_block_edges_long64_equal_interpreter)
{
    flags_edges(FM_LONG64);
}
END_TEST

/* ---- page-crossing accesses ---- */

/* 2-level paging (SDM vol. 3, 4.3): identity for the first 1 MiB, except linear 0x3000 -> physical
 * 0xc000 (so a crossing access at 0x2ffe touches two distant physical pages) and linear 0x4000 not
 * present. */
static void paging_on(Pair *p)
{
    for (int i = 0; i < 2; i++) {
        FakeMachine *fm = p->m[i];
        memset(fm->ram + PD, 0, 0x1000);
        fm_poke(fm, PD, 4, PT | 3);
        for (uint32_t pg = 0; pg < 256; pg++)
            fm_poke(fm, PT + pg * 4, 4, (pg << 12) | 3);
        fm_poke(fm, PT + 3 * 4, 4, 0xc000 | 3);
        fm_poke(fm, PT + 4 * 4, 4, 0);
        fm->cpu->cr3 = PD;
        fm->cpu->cr0 |= CR0_PG;
        cpu_update_mode(fm->cpu);
        cpu_flush_tlb(fm->cpu, true);
    }
}

static void page_crossing(FmMode mode, bool paged)
{
    Pair p = pair_new(mode);
    if (paged)
        paging_on(&p);
    PAIR_LOAD(&p,
        0x89, 0x03,             /* mov [ebx], eax          4 bytes across 0x3000 */
        0x8b, 0x0b,             /* mov ecx, [ebx] */
        0x0f, 0xb7, 0x53, 0x01, /* movzx edx, word [ebx + 1] */
        0x01, 0x03,             /* add [ebx], eax          read-modify-write across */
        0x87, 0x7b, 0xff,       /* xchg [ebx - 1], edi */
        0x66, 0x89, 0x43, 0x01, /* mov [ebx + 1], ax */
        0x8b, 0x73, 0xfd,       /* mov esi, [ebx - 3]      ends at 0x2fff: no crossing */
        0x8d, 0x63, 0x03,       /* lea esp, [ebx + 3] */
        0x50,                   /* push eax/rax            across (esp - 4 or 8) */
        0x5d,                   /* pop ebp/rbp */
        0x0f, 0xc1, 0x43, 0x01, /* xadd [ebx + 1], eax */
        0xbc, 0x00, 0x80, 0x00, 0x00);   /* mov esp, 0x8000 */
    pair_reg(&p, R_AX, 0x1122334455667788ull);
    pair_reg(&p, R_BX, 0x2ffe);
    pair_reg(&p, R_DI, 0xa5a5a5a5);
    pair_run(&p, 100);
    ck_assert(p.m[0]->cpu->halted);
    pair_check(&p, true, "page-crossing accesses");
    if (paged)
        ck_assert_msg(fm_peek(p.m[0], 0xc000, 1) != 0, "the access did not reach the remapped page");
    pair_free(&p);
}

START_TEST(jit_page_crossing_accesses_pm32_equal_interpreter)
{
    page_crossing(FM_PM32, false);
}
END_TEST

START_TEST(jit_page_crossing_accesses_paged_equal_interpreter)
{
    page_crossing(FM_PM32, true);
}
END_TEST

START_TEST(jit_page_crossing_accesses_long64_equal_interpreter)
{
    page_crossing(FM_LONG64, false);
}
END_TEST

/* Table lookups [ebx + ecx * scale + disp] with ecx zero-extended from a byte, which choose their
 * TLB entry by ebx + disp (translate.c mem_probe_table), under the paging of paging_on(): a
 * table on 0x2f00 runs into the remapped page 0x3000 (the out-of-line probe), one on 0x2c01
 * makes accesses that cross 0x3000 (the slow path), one on 0x3e80 runs into the page 0x4000
 * that is not present (a #PF in the middle of the loop).  The 64-bit machine has its own
 * identity paging: the same tables without the remapping. */
static void table_lookups(FmMode mode, uint32_t table)
{
    Pair p = pair_new(mode);
    if (mode == FM_PM32)
        paging_on(&p);
    PAIR_LOAD(&p,
        0x0f, 0xb6, 0x0e,       /* l: movzx ecx, byte [esi] */
        0x83, 0xc6, 0x01,       /* add esi, 1 */
        0x8b, 0x04, 0x8b,       /* mov eax, [ebx + ecx*4] */
        0x01, 0xc2,             /* add edx, eax */
        0x89, 0x54, 0x8b, 0x01, /* mov [ebx + ecx*4 + 1], edx */
        0x0f, 0xb6, 0xc9,       /* movzx ecx, cl */
        0x02, 0x54, 0x4b, 0x03, /* add dl, [ebx + ecx*2 + 3] */
        0x83, 0xef, 0x01,       /* sub edi, 1 */
        0x75, 0xe5,             /* jnz l */
        0xf4);                  /* hlt */
    static const uint8_t index[] = { 0, 255, 63, 64, 65, 1, 128, 62, 200, 250, 2, 96, 127, 3, 191, 0 };
    for (int i = 0; i < 2; i++)
        for (uint32_t k = 0; k < sizeof(index); k++)
            fm_poke(p.m[i], 0x1800 + k, 1, index[k]);
    pair_reg(&p, R_SI, 0x1800);
    pair_reg(&p, R_BX, table);
    pair_reg(&p, R_DI, sizeof(index));
    pair_reg(&p, R_DX, 0x5a5a5a5a);
    pair_run(&p, 1000);
    ck_assert(p.m[0]->cpu->halted);
    pair_check(&p, true, "table lookups");
    if (mode == FM_PM32 && table == 0x3e80)
        ck_assert_msg(p.m[0]->cpu->cr2 >= 0x4000 && p.m[0]->cpu->cr2 < 0x5000, "no #PF on the page 0x4000");
    pair_free(&p);
}

START_TEST(jit_table_lookups_pm32_equal_interpreter)
{
    table_lookups(FM_PM32, 0x2f00);
    table_lookups(FM_PM32, 0x2c01);
    table_lookups(FM_PM32, 0x3e80);
}
END_TEST

START_TEST(jit_table_lookups_long64_equal_interpreter)
{
    table_lookups(FM_LONG64, 0x2f00);
    table_lookups(FM_LONG64, 0x2c01);
    table_lookups(FM_LONG64, 0x3e80);
}
END_TEST

/* The same code page at two linear addresses (a shared library in two processes): 4-level
 * paging, identity for the first 1 MiB, and linear 0x201000 -> physical 0x1000 (the code).  The
 * code runs at 0x1000, then again at 0x201000: RIP-relative addresses, return addresses and
 * branch targets must be the second address's, which the JIT takes as constants per block
 * (so 64-bit code gets a block per linear address, cpu/decode.c block_lookup). */
START_TEST(jit_code_aliased_at_two_addresses_long64_equal_interpreter)
{
    Pair p = pair_new(FM_LONG64);
    PAIR_LOAD(&p,
        0x48, 0x8d, 0x05, 0, 0, 0, 0,  /* lea rax, [rip] */
        0xb9, 0x03, 0, 0, 0,           /* mov ecx, 3 */
        0xe8, 0x05, 0, 0, 0,           /* l: call f */
        0xff, 0xc9,                    /* dec ecx */
        0x75, 0xf7,                    /* jnz l */
        0xf4,                          /* hlt */
        0x48, 0x8b, 0x14, 0x24,        /* f: mov rdx, [rsp] */
        0x48, 0x01, 0xd3,              /* add rbx, rdx */
        0xc3);                         /* ret */
    enum { PML4 = 0x10000, PDPT = 0x11000, PDIR = 0x12000, PT0 = 0x13000, PT1 = 0x14000 };
    for (int i = 0; i < 2; i++) {
        FakeMachine *fm = p.m[i];
        memset(fm->ram + PML4, 0, 0x5000);
        fm_poke(fm, PML4, 8, PDPT | 3);
        fm_poke(fm, PDPT, 8, PDIR | 3);
        fm_poke(fm, PDIR, 8, PT0 | 3);
        fm_poke(fm, PDIR + 8, 8, PT1 | 3);
        for (uint32_t pg = 0; pg < 256; pg++)
            fm_poke(fm, PT0 + pg * 8, 8, ((uint64_t)pg << 12) | 3);
        fm_poke(fm, PT1 + 8, 8, FM_CODE | 3);
        fm->cpu->cr3 = PML4;
        fm->cpu->cr4 |= CR4_PAE;
        fm->cpu->cr0 |= CR0_PG;
        cpu_update_mode(fm->cpu);
        cpu_flush_tlb(fm->cpu, true);
    }
    pair_run(&p, 100);
    ck_assert(p.m[0]->cpu->halted);
    pair_check(&p, true, "code at its first address");
    for (int i = 0; i < 2; i++) {
        p.m[i]->cpu->halted = false;
        p.m[i]->cpu->rip = 0x201000;
    }
    pair_reg(&p, R_BX, 0);
    pair_run(&p, 100);
    ck_assert(p.m[0]->cpu->halted);
    ck_assert_msg(p.m[0]->cpu->gpr[R_AX] == 0x201007 && p.m[0]->cpu->gpr[R_BX] == 3 * 0x201011ull,
                  "the interpreter ran the alias: rax %llx, rbx %llx", (unsigned long long)p.m[0]->cpu->gpr[R_AX],
                  (unsigned long long)p.m[0]->cpu->gpr[R_BX]);
    pair_check(&p, true, "the same code at a second address");
    pair_free(&p);
}
END_TEST

/* An instruction whose bytes straddle 0x1fff/0x2000, in a block that starts on the first page. */
START_TEST(jit_instruction_straddling_pages_equal_interpreter)
{
    Pair p = pair_new(FM_PM32);
    paging_on(&p);
    uint8_t code[0x1100];
    size_t n = 0;
    code[n++] = 0xe9;                          /* jmp 0x1ff9 */
    uint32_t rel = 0x1ff9 - (FM_CODE + 5);
    memcpy(code + n, &rel, 4);
    n += 4;
    memset(code + n, 0xcc, 0xff9 - n);         /* int3 filler, never run */
    n = 0xff9;
    const uint8_t tailc[] = {
        0x39, 0xd8,                            /* 1ff9: cmp eax, ebx */
        0x01, 0xd9,                            /* 1ffb: add ecx, ebx */
        0xb8, 0x78, 0x56, 0x34, 0x12,          /* 1ffd: mov eax, 0x12345678  (straddles) */
        0x11, 0xc2,                            /* 2002: adc edx, eax */
    };
    memcpy(code + n, tailc, sizeof(tailc));
    n += sizeof(tailc);
    for (int round = 0; round < 3; round++) {
        pair_code(&p, code, n);
        pair_reg(&p, R_BX, 0x80000000u + (uint32_t)round);
        pair_reg(&p, R_CX, 0x80000000u);
        pair_run(&p, 100);
        ck_assert(p.m[0]->cpu->halted);
        ck_assert_int_eq(p.m[0]->cpu->gpr[R_AX], 0x12345678);
        pair_check(&p, false, "straddling instruction");
    }
    pair_free(&p);
}
END_TEST

/* ---- faults in the middle of a block ---- */

static void fault_case(Pair *p, const char *what, int vector)
{
    pair_run(p, 100);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(p->m[i]->cpu->halted, "%s: not halted", what);
        ck_assert_msg(p->m[i]->cpu->rip == TRAP + (uint32_t)vector + 1, "%s (%s): halted at %llx, not in the "
                      "handler of vector %d", what, i ? "jit" : "interpreter",
                      (unsigned long long)p->m[i]->cpu->rip, vector);
    }
    pair_check(p, true, what);
}

static void faults(FmMode mode)
{
    Pair p = pair_new(mode);
    /* #DE: the flags of the CMP before it are in the pushed EFLAGS. */
    PAIR_LOAD(&p,
        0xb8, 0x01, 0x00, 0x00, 0x00,   /* mov eax, 1 */
        0xbb, 0x02, 0x00, 0x00, 0x00,   /* mov ebx, 2 */
        0x39, 0xd8,                     /* cmp eax, ebx */
        0xb9, 0x00, 0x00, 0x00, 0x00,   /* mov ecx, 0 */
        0xf7, 0xf1,                     /* div ecx        #DE */
        0xbe, 0x05, 0x00, 0x00, 0x00);  /* mov esi, 5     not run */
    fault_case(&p, "#DE mid-block", 0);
    ck_assert_int_eq(p.m[1]->cpu->gpr[R_SI], 0);
    /* #UD after a store and a flag producer. */
    PAIR_LOAD(&p,
        0x89, 0x03,                     /* mov [ebx], eax */
        0x01, 0xc8,                     /* add eax, ecx */
        0x0f, 0x0b,                     /* ud2            #UD */
        0xff, 0xc6);                    /* inc esi        not run */
    pair_reg(&p, R_AX, 0xffffffff);
    pair_reg(&p, R_BX, 0x3000);
    pair_reg(&p, R_CX, 1);
    fault_case(&p, "#UD mid-block", 6);
    if (mode == FM_LONG64) {
        /* #GP: a non-canonical address. */
        PAIR_LOAD(&p,
            0x29, 0xc8,                 /* sub eax, ecx */
            0x8b, 0x1a,                 /* mov ebx, [rdx]  #GP(0) */
            0xff, 0xc6);                /* inc esi */
        pair_reg(&p, R_DX, 0x8000000000000000ull);
        fault_case(&p, "#GP (non-canonical) mid-block", 13);
    } else {
        /* #GP: a selector beyond the GDT limit. */
        PAIR_LOAD(&p,
            0x29, 0xc8,                 /* sub eax, ecx */
            0x66, 0xb8, 0x34, 0x12,     /* mov ax, 0x1234 */
            0x8e, 0xd8,                 /* mov ds, ax      #GP(0x1230) */
            0xff, 0xc6);                /* inc esi */
        fault_case(&p, "#GP (selector) mid-block", 13);
    }
    pair_free(&p);
}

START_TEST(jit_fault_mid_block_pm32_state_exact)
{
    faults(FM_PM32);
}
END_TEST

START_TEST(jit_fault_mid_block_long64_state_exact)
{
    faults(FM_LONG64);
}
END_TEST

/* #PF on the second page of a crossing store: nothing of it is written, CR2 is the second page. */
START_TEST(jit_page_fault_crossing_store_state_exact)
{
    Pair p = pair_new(FM_PM32);
    paging_on(&p);
    PAIR_LOAD(&p,
        0x89, 0x03,                     /* mov [ebx], eax        0x3ffc..0x3fff: fine */
        0x39, 0xc1,                     /* cmp ecx, eax */
        0x89, 0x43, 0x03,               /* mov [ebx + 3], eax    0x3fff..0x4002: #PF on 0x4000 */
        0xff, 0xc6);                    /* inc esi */
    pair_reg(&p, R_AX, 0x11223344);
    pair_reg(&p, R_BX, 0x3ffc);
    fault_case(&p, "#PF crossing store", 14);
    ck_assert_int_eq(p.m[1]->cpu->cr2, 0x4000);
    /* linear 0x3ffc is physical 0xcffc: the first store only; 0xcfff keeps its 0x11 */
    ck_assert_int_eq(fm_peek(p.m[1], 0xcffc, 4), 0x11223344);
    pair_free(&p);
}
END_TEST

/* ---- self-modifying code ---- */

static void smc_running_block(FmMode mode)
{
    Pair p = pair_new(mode);
    /* The store patches the immediate of the very next instruction. */
    PAIR_LOAD(&p,
        0xc6, 0x43, 0x06, 0x05,         /* 0: mov byte [ebx + 6], 5 */
        0x83, 0xc0, 0x01,               /* 4: add eax, 1           (imm8 at 6): adds 5 */
        0xff, 0xc1);                    /* 7: inc ecx */
    pair_reg(&p, R_BX, FM_CODE);
    pair_run(&p, 100);
    ck_assert_int_eq(p.m[1]->cpu->gpr[R_AX], 5);
    pair_check(&p, true, "store into the next instruction");
    /* A store patching an instruction further on in the same block. */
    PAIR_LOAD(&p,
        0xc6, 0x43, 0x0a, 0x07,         /* 0: mov byte [ebx + 10], 7 */
        0xff, 0xc1,                     /* 4: inc ecx */
        0xff, 0xc2,                     /* 6: inc edx */
        0x83, 0xc0, 0x01,               /* 8: add eax, 1           (imm8 at 10): adds 7 */
        0xff, 0xc6);                    /* 11: inc esi */
    pair_reg(&p, R_AX, 0);
    pair_run(&p, 100);
    ck_assert_int_eq(p.m[1]->cpu->gpr[R_AX], 7);
    pair_check(&p, true, "store into a later instruction of the block");
    JitStats s = jit_stats(p.m[1]->cpu->jit);
    ck_assert_msg(s.smc_invalidations >= 2, "%llu SMC invalidations", (unsigned long long)s.smc_invalidations);
    ck_assert_msg(s.exits[JIT_EXIT_STOP] >= 2, "the running block did not stop after the store");
    pair_free(&p);
}

START_TEST(jit_smc_into_running_block_pm32_stops_after_store)
{
    smc_running_block(FM_PM32);
}
END_TEST

START_TEST(jit_smc_into_running_block_long64_stops_after_store)
{
    smc_running_block(FM_LONG64);
}
END_TEST

/* A loop that rewrites an immediate in its own body on every iteration: exact all along, and its
 * page stops being translated after JIT_SMC_HOT_PAGE invalidations. */
START_TEST(jit_smc_page_written_often_stays_interpreted)
{
    Pair p = pair_new(FM_PM32);
    PAIR_LOAD(&p,
        0x88, 0x4b, 0x05,               /* 0: mov [ebx + 5], cl */
        0x83, 0xc0, 0x00,               /* 3: add eax, imm8        (imm8 at 5) */
        0xff, 0xc1,                     /* 6: inc ecx */
        0xff, 0xca,                     /* 8: dec edx */
        0x75, 0xf4);                    /* 10: jnz 0 */
    pair_reg(&p, R_BX, FM_CODE);
    pair_reg(&p, R_CX, 1);
    pair_reg(&p, R_DX, 40);
    pair_run(&p, 1000);
    ck_assert_int_eq(p.m[1]->cpu->gpr[R_AX], 40 * 41 / 2);
    pair_check(&p, true, "self-patching loop");
    JitStats s = jit_stats(p.m[1]->cpu->jit);
    ck_assert_int_eq(s.hot_pages, 1);
    ck_assert_msg(s.refused > 0, "blocks of the hot page were still translated");
    ck_assert_msg(s.translated <= 2 * JIT_SMC_HOT_PAGE + 2, "%llu blocks translated on a page written 40 times",
                  (unsigned long long)s.translated);
    pair_free(&p);
}
END_TEST

/* ---- XMM forms and NOP r/m (jit/translate_sse.c.inc) ---- */

/* Distinct bytes in every XMM register and the data at 0x2f00..0x30ff, SSE usable (CR4.OSFXSR). */
static void xmm_setup(Pair *p)
{
    for (int i = 0; i < 2; i++) {
        Cpu *cpu = p->m[i]->cpu;
        cpu->cr4 |= CR4_OSFXSR;
        cpu->cr0 &= ~(uint64_t)(CR0_EM | CR0_TS);
        for (int r = 0; r < 16; r++)
            for (int k = 0; k < 16; k++)
                cpu->xmm[r].b[k] = (uint8_t)(r * 16 + k * 7 + (k & 1 ? 0x80 : 0));
        for (uint32_t a = 0x2f00; a < 0x3100; a++)
            fm_poke(p->m[i], a, 1, (a * 13) & 0xff);
        fm_poke(p->m[i], 0x2ffa, 1, 0x99);   /* some bytes equal to xmm1's (PCMPEQB) */
    }
}

static void xmm_forms(FmMode mode, bool paged)
{
    Pair p = pair_new(mode);
    if (paged)
        paging_on(&p);
    /* Loads, stores and operations, two of them crossing 0x3000 (a distant physical page when
     * paged), flags of a CMP live across them. */
    PAIR_LOAD(&p,
        0x39, 0xc8,                     /* cmp eax, ecx */
        0xf3, 0x0f, 0x6f, 0x03,         /* movdqu xmm0, [ebx]        0x2ff8..0x3007: crosses */
        0x66, 0x0f, 0x74, 0xc1,         /* pcmpeqb xmm0, xmm1 */
        0x66, 0x0f, 0xd7, 0xc0,         /* pmovmskb eax, xmm0 */
        0x66, 0x0f, 0x6f, 0x16,         /* movdqa xmm2, [esi]        0x3010 */
        0x66, 0x0f, 0xef, 0xd0,         /* pxor xmm2, xmm0 */
        0x66, 0x0f, 0xfc, 0x56, 0x10,   /* paddb xmm2, [esi + 0x10] */
        0x0f, 0x29, 0x56, 0x20,         /* movaps [esi + 0x20], xmm2 */
        0x0f, 0x10, 0x5e, 0x21,         /* movups xmm3, [esi + 0x21] unaligned */
        0xf3, 0x0f, 0x7f, 0x5b, 0x04,   /* movdqu [ebx + 4], xmm3    0x2ffc..0x300b: crosses */
        0x0f, 0x1f, 0x44, 0x00, 0x00,   /* nop dword [eax + eax]     no access */
        0x66, 0x0f, 0xda, 0xda,         /* pminub xmm3, xmm2 */
        0x66, 0x0f, 0x65, 0xe3,         /* pcmpgtw xmm4, xmm3 */
        0x66, 0x0f, 0xe5, 0xec,         /* pmulhw xmm5, xmm4 */
        0x66, 0x0f, 0xd9, 0xf5,         /* psubusw xmm6, xmm5 */
        0x66, 0x0f, 0x6f, 0xfe,         /* movdqa xmm7, xmm6 */
        0x0f, 0x28, 0xcf,               /* movaps xmm1, xmm7 */
        0x72, 0x02,                     /* jb +2                     the CMP's flags */
        0xff, 0xc7,                     /* inc edi */
        0x66, 0x0f, 0xd7, 0xcb);        /* pmovmskb ecx, xmm3 */
    pair_reg(&p, R_AX, 0x10);
    pair_reg(&p, R_CX, 0x20);
    pair_reg(&p, R_BX, 0x2ff8);
    pair_reg(&p, R_SI, 0x3010);
    xmm_setup(&p);
    pair_run(&p, 100);
    ck_assert(p.m[0]->cpu->halted);
    pair_check(&p, true, "XMM forms");
    JitStats s = jit_stats(p.m[1]->cpu->jit);
    ck_assert_msg(s.insns_native > s.insns_called, "XMM forms were not translated natively (%llu native, "
                  "%llu calls)", (unsigned long long)s.insns_native, (unsigned long long)s.insns_called);
    pair_free(&p);
}

START_TEST(jit_xmm_forms_pm32_equal_interpreter)
{
    xmm_forms(FM_PM32, false);
}
END_TEST

START_TEST(jit_xmm_forms_paged_equal_interpreter)
{
    xmm_forms(FM_PM32, true);
}
END_TEST

START_TEST(jit_xmm_forms_long64_equal_interpreter)
{
    xmm_forms(FM_LONG64, false);
}
END_TEST

/* Faults of XMM forms in the middle of a block: a misaligned operand of an aligned form (#GP),
 * CR0.TS (#NM), CR4.OSFXSR clear (#UD), and a crossing load and store into a non-present page
 * (#PF, the store writes nothing).  A load from the page first fills its TLB entry, so that the
 * XMM access hits the inline TLB and its own checks are what raise the fault. */
static void xmm_fault(FmMode mode, const char *what, int vector, const uint8_t *code, size_t len,
                      uint64_t cr0_set, bool osfxsr, bool paged)
{
    Pair p = pair_new(mode);
    if (paged)
        paging_on(&p);
    pair_code(&p, code, len);
    pair_reg(&p, R_AX, 0x10);
    pair_reg(&p, R_CX, 0x20);
    pair_reg(&p, R_BX, 0x3ff8);
    pair_reg(&p, R_SI, 0x3010);
    xmm_setup(&p);
    for (int i = 0; i < 2; i++) {
        p.m[i]->cpu->cr0 |= cr0_set;
        if (!osfxsr)
            p.m[i]->cpu->cr4 &= ~(uint64_t)CR4_OSFXSR;
    }
    fault_case(&p, what, vector);
    pair_free(&p);
}

static void xmm_faults(FmMode mode)
{
    static const uint8_t movdqa_mis[] = {
        0x8b, 0x16,                     /* mov edx, [esi]            fills the TLB entry */
        0x39, 0xc8,                     /* cmp eax, ecx */
        0x66, 0x0f, 0xef, 0xc1,         /* pxor xmm0, xmm1 */
        0x66, 0x0f, 0x6f, 0x56, 0x08,   /* movdqa xmm2, [esi + 8]    #GP(0) */
        0xff, 0xc7 };                   /* inc edi */
    static const uint8_t pxor_mis[] = {
        0x8b, 0x16,                     /* mov edx, [esi]            fills the TLB entry */
        0x01, 0xc8,                     /* add eax, ecx */
        0x66, 0x0f, 0xef, 0x46, 0x01,   /* pxor xmm0, [esi + 1]      #GP(0) */
        0xff, 0xc7 };
    static const uint8_t movaps_st_mis[] = {
        0x8b, 0x16,                     /* mov edx, [esi]            fills the TLB entry */
        0x29, 0xc8,                     /* sub eax, ecx */
        0x0f, 0x29, 0x46, 0x04,         /* movaps [esi + 4], xmm0    #GP(0), nothing written */
        0xff, 0xc7 };
    static const uint8_t pxor_reg[] = {
        0x39, 0xc8,                     /* cmp eax, ecx */
        0xff, 0xc7,                     /* inc edi */
        0x66, 0x0f, 0xef, 0xc1,         /* pxor xmm0, xmm1           #NM / #UD */
        0xff, 0xc6 };
    static const uint8_t cross_load[] = {
        0x39, 0xc8,                     /* cmp eax, ecx */
        0xf3, 0x0f, 0x6f, 0x03,         /* movdqu xmm0, [ebx]        0x3ff8..0x4007: #PF */
        0xff, 0xc7 };
    static const uint8_t cross_store[] = {
        0x01, 0xc8,                     /* add eax, ecx */
        0x0f, 0x11, 0x13,               /* movups [ebx], xmm2        #PF, nothing written */
        0xff, 0xc7 };
    xmm_fault(mode, "movdqa misaligned", 13, movdqa_mis, sizeof(movdqa_mis), 0, true, false);
    xmm_fault(mode, "pxor m128 misaligned", 13, pxor_mis, sizeof(pxor_mis), 0, true, false);
    xmm_fault(mode, "movaps store misaligned", 13, movaps_st_mis, sizeof(movaps_st_mis), 0, true, false);
    xmm_fault(mode, "pxor with CR0.TS", 7, pxor_reg, sizeof(pxor_reg), CR0_TS, true, false);
    xmm_fault(mode, "pxor with CR0.EM", 6, pxor_reg, sizeof(pxor_reg), CR0_EM, true, false);
    xmm_fault(mode, "pxor without CR4.OSFXSR", 6, pxor_reg, sizeof(pxor_reg), 0, false, false);
    if (mode == FM_PM32) {
        xmm_fault(mode, "movdqu load crossing into a non-present page", 14, cross_load, sizeof(cross_load),
                  0, true, true);
        xmm_fault(mode, "movups store crossing into a non-present page", 14, cross_store,
                  sizeof(cross_store), 0, true, true);
    }
}

START_TEST(jit_xmm_fault_mid_block_pm32_state_exact)
{
    xmm_faults(FM_PM32);
}
END_TEST

START_TEST(jit_xmm_fault_mid_block_long64_state_exact)
{
    xmm_faults(FM_LONG64);
}
END_TEST

/* A memcpy-like loop of 16-byte loads and stores that crosses pages, stopped at every budget. */
START_TEST(jit_xmm_copy_loop_budget_stops_exact)
{
    static const uint8_t code[] = {
        0xf3, 0x0f, 0x6f, 0x06,         /* 0: movdqu xmm0, [esi] */
        0x66, 0x0f, 0xef, 0xc1,         /* 4: pxor xmm0, xmm1 */
        0xf3, 0x0f, 0x7f, 0x07,         /* 8: movdqu [edi], xmm0 */
        0x83, 0xc6, 0x0b,               /* 12: add esi, 11 */
        0x83, 0xc7, 0x0d,               /* 15: add edi, 13 */
        0xff, 0xca,                     /* 18: dec edx */
        0x75, 0xea };                   /* 20: jnz 0 */
    const uint64_t total = 20 * 7 + 1;
    for (uint64_t budget = 1; budget <= total + 1; budget++) {
        Pair p = pair_new(FM_PM32);
        pair_code(&p, code, sizeof(code));
        xmm_setup(&p);
        pair_reg(&p, R_SI, 0x2f80);
        pair_reg(&p, R_DI, 0x2f90);
        pair_reg(&p, R_DX, 20);
        pair_budget(&p, budget);
        char what[64];
        snprintf(what, sizeof(what), "xmm copy loop, budget %llu", (unsigned long long)budget);
        pair_check(&p, true, what);
        pair_release(&p, budget >= 8);
    }
}
END_TEST

/* ---- lazy-flag records stored out of line (jit/translate_defer.c.inc) ---- */

/* A producer whose record is deferred past memory accesses and branches up to the next producer
 * (a kill): the pieces that leave the main line must store it first, and each case observes
 * it there: the exception frame of a #PF (32-bit, linear 0x4000 not present) or a #GP
 * (64-bit, non-canonical RDI), the ADC that a store into the running block patches in (SMC
 * stop), PUSHF after a taken branch. */
static void deferred_flags(FmMode mode)
{
    static const struct { const char *what; uint8_t code[32]; int len; bool fault; } cases[] = {
        { "cmp; load faulting; xor", { 0x39, 0xc8, 0x8b, 0x73, 0x10, 0x31, 0xf6 }, 7, true },
        { "sub; store into the next instruction (add -> adc); pushf",
          { 0x29, 0xc8, 0xc6, 0x42, 0x07, 0xd0, 0x83, 0xc0, 0x01, 0x9c, 0x5a }, 11, false },
        { "cmp; jb taken or not; xor; pushf", { 0x39, 0xc8, 0x72, 0x02, 0x31, 0xf6, 0x9c, 0x5a }, 8, false },
        { "add imm; push; pop; load (miss); test; pushf",
          { 0x83, 0xc0, 0x07, 0x50, 0x5e, 0x8b, 0x33, 0x85, 0xc8, 0x9c, 0x5a }, 11, false },
        { "and imm; movdqu load (miss); cmp; jz; pushf",
          { 0x83, 0xe0, 0x0f, 0xf3, 0x0f, 0x6f, 0x03, 0x39, 0xc8, 0x74, 0x00, 0x9c, 0x5a }, 13, false },
    };
    static const uint64_t av[] = { 0, 7, 0x80000000, 0xffffffff, 0x8000000000000000ull };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (size_t a = 0; a < sizeof(av) / sizeof(av[0]); a++) {
            Pair p = pair_new(mode);
            if (mode == FM_PM32)
                paging_on(&p);     /* linear 0x4000 not present */
            pair_code(&p, cases[c].code, (size_t)cases[c].len);
            xmm_setup(&p);
            pair_reg(&p, R_AX, av[a]);
            pair_reg(&p, R_CX, 7);
            pair_reg(&p, R_BX, mode == FM_PM32 ? 0x3ff0 : 0x2ff0);
            pair_reg(&p, R_DX, FM_CODE);
            char what[128];
            snprintf(what, sizeof(what), "%s (eax %llx)", cases[c].what, (unsigned long long)av[a]);
            if (cases[c].fault && mode == FM_LONG64) {
                static const uint8_t gp[] = { 0x39, 0xc8, 0x8b, 0x37, 0x31, 0xf6 };  /* ... mov esi, [rdi] */
                pair_code(&p, gp, sizeof(gp));
                pair_reg(&p, R_DI, 0x8000000000000000ull);
                fault_case(&p, what, 13);
            } else if (cases[c].fault) {
                fault_case(&p, what, 14);
            } else {
                pair_run(&p, 100);
                ck_assert_msg(p.m[0]->cpu->halted, "%s: did not reach the HLT", what);
                pair_check(&p, true, what);
            }
            pair_free(&p);
        }
    }
}

START_TEST(jit_deferred_flags_pm32_equal_interpreter)
{
    deferred_flags(FM_PM32);
}
END_TEST

START_TEST(jit_deferred_flags_long64_equal_interpreter)
{
    deferred_flags(FM_LONG64);
}
END_TEST

/* Both machines run `code` with eax/rax = a, ebx/rbx = b, edx = 0x3000 (a data page), esi = 0
 * and the given flags, to its HLT, and must agree (`what` names the case). */
static void pair_run_case(Pair *p, const uint8_t *code, size_t n, uint64_t a, uint64_t b,
                          uint32_t flags, const char *what)
{
    pair_code(p, code, n);
    pair_reg(p, R_AX, a);
    pair_reg(p, R_BX, b);
    pair_reg(p, R_DX, 0x3000);
    pair_reg(p, R_SI, 0);
    pair_flags(p, flags);
    pair_run(p, 100);
    ck_assert_msg(p->m[0]->cpu->halted, "%s: did not reach the HLT", what);
    pair_check(p, true, what);
}

/* A producer, a load (its TLB probe clobbers the host flags), then all 16 SETcc: the conditions
 * come from the producer redone on its registers (redo_flags), or from the record. */
static void redone_flags(FmMode mode)
{
    static const Piece prods[] = {
        { "cmp eax, ebx", { 0x39, 0xd8 }, 2, false },
        { "sub eax, ebx", { 0x29, 0xd8 }, 2, false },
        { "add eax, ebx", { 0x01, 0xd8 }, 2, false },
        { "and eax, ebx", { 0x21, 0xd8 }, 2, false },
        { "or eax, ebx", { 0x09, 0xd8 }, 2, false },
        { "xor eax, ebx", { 0x31, 0xd8 }, 2, false },
        { "test eax, ebx", { 0x85, 0xd8 }, 2, false },
        { "cmp eax, 0x7f", { 0x83, 0xf8, 0x7f }, 3, false },
        { "sub eax, -2", { 0x83, 0xe8, 0xfe }, 3, false },
        { "add eax, 0x40000000", { 0x05, 0, 0, 0, 0x40 }, 5, false },
        { "cmp rax, rbx", { 0x48, 0x39, 0xd8 }, 3, true },
        { "add rax, rbx", { 0x48, 0x01, 0xd8 }, 3, true },
        { "sub rax, 1", { 0x48, 0x83, 0xe8, 0x01 }, 4, true },
        { "test rax, -1", { 0x48, 0xa9, 0xff, 0xff, 0xff, 0xff }, 6, true },
    };
    static const uint64_t av[] = { 0, 1, 0x7f, 0x80000000, 0xffffffff, 0x8000000000000000ull,
                                   0xc0000000c0000000ull };
    static const uint64_t bv[] = { 0, 1, 0x80000000, 0xffffffffffffffffull, 0x7f };
    Pair p = pair_new(mode);
    for (size_t pi = 0; pi < sizeof(prods) / sizeof(prods[0]); pi++) {
        if (prods[pi].only64 && mode != FM_LONG64)
            continue;
        uint8_t code[512];
        size_t n = put(code, 0, prods[pi].bytes, prods[pi].len);
        /* mov edi, [edx] ; mov [edx + 4], edi */
        static const uint8_t load[] = { 0x8b, 0x3a, 0x89, 0x7a, 0x04 };
        n = put(code, n, load, sizeof(load));
        n = tail(code, n, true);
        for (size_t a = 0; a < sizeof(av) / sizeof(av[0]); a++) {
            for (size_t b = 0; b < sizeof(bv) / sizeof(bv[0]); b++) {
                char what[160];
                snprintf(what, sizeof(what), "%s; load; setcc (eax %llx ebx %llx)", prods[pi].name,
                         (unsigned long long)av[a], (unsigned long long)bv[b]);
                pair_run_case(&p, code, n, av[a], bv[b], 0x8d7, what);
            }
        }
    }
    pair_free(&p);
}

START_TEST(jit_flags_redone_after_load_pm32_equal_interpreter)
{
    redone_flags(FM_PM32);
}
END_TEST

START_TEST(jit_flags_redone_after_load_long64_equal_interpreter)
{
    redone_flags(FM_LONG64);
}
END_TEST

/* One-operand MUL and IMUL of 32 and 64 bits (native, FORM_MUL1): a register or a memory
 * operand (stored from ebx/rbx first, also across a page boundary, where the TLB probe misses and
 * the handler runs), then all 16 SETcc and PUSHF, once right after the multiply and once after a
 * load (the host flags clobbered, so the conditions come from the stored record). */
static void mul_one_operand(FmMode mode)
{
    static const struct {
        const char *name;
        uint8_t bytes[16];
        int len;
        bool only64;
    } muls[] = {
        { "mul ebx", { 0xf7, 0xe3 }, 2, false },
        { "imul ebx", { 0xf7, 0xeb }, 2, false },
        { "mul eax", { 0xf7, 0xe0 }, 2, false },
        { "imul edx", { 0xf7, 0xea }, 2, false },
        /* mov [edx], ebx ; mul dword [edx] */
        { "mul dword [edx]", { 0x89, 0x1a, 0xf7, 0x22 }, 4, false },
        /* mov [edx], ebx ; imul dword [edx] */
        { "imul dword [edx]", { 0x89, 0x1a, 0xf7, 0x2a }, 4, false },
        /* mov [edx + 0xffe], ebx ; mul dword [edx + 0xffe] */
        { "mul dword [edx + 0xffe] (page crossing)",
          { 0x89, 0x9a, 0xfe, 0x0f, 0, 0, 0xf7, 0xa2, 0xfe, 0x0f, 0, 0 }, 12, false },
        { "mul rbx", { 0x48, 0xf7, 0xe3 }, 3, true },
        { "imul rbx", { 0x48, 0xf7, 0xeb }, 3, true },
        { "imul r9", { 0x49, 0xf7, 0xe9 }, 3, true },
        /* mov [rdx], rbx ; imul qword [rdx] */
        { "imul qword [rdx]", { 0x48, 0x89, 0x1a, 0x48, 0xf7, 0x2a }, 6, true },
        /* mov [rdx + 0xffc], rbx ; mul qword [rdx + 0xffc] */
        { "mul qword [rdx + 0xffc] (page crossing)",
          { 0x48, 0x89, 0x9a, 0xfc, 0x0f, 0, 0, 0x48, 0xf7, 0xa2, 0xfc, 0x0f, 0, 0 }, 14, true },
    };
    static const uint64_t av[] = { 0, 1, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0x123456789ull,
                                   0x8000000000000000ull, 0xffffffffffffffffull };
    static const uint64_t bv[] = { 0, 1, 2, 0x80000000, 0xffffffff, 0xfffffffffffffffeull };
    Pair p = pair_new(mode);
    for (size_t mi = 0; mi < sizeof(muls) / sizeof(muls[0]); mi++) {
        if (muls[mi].only64 && mode != FM_LONG64)
            continue;
        for (int load = 0; load < 2; load++) {
            uint8_t code[512];
            size_t n = put(code, 0, muls[mi].bytes, muls[mi].len);
            /* mov edi, [esi + 0x4000] */
            static const uint8_t ld[] = { 0x8b, 0xbe, 0x00, 0x40, 0x00, 0x00 };
            if (load)
                n = put(code, n, ld, sizeof(ld));
            n = tail(code, n, true);
            for (size_t a = 0; a < sizeof(av) / sizeof(av[0]); a++) {
                for (size_t b = 0; b < sizeof(bv) / sizeof(bv[0]); b++) {
                    char what[160];
                    snprintf(what, sizeof(what), "%s%s (rax %llx rbx %llx)", muls[mi].name,
                             load ? "; load" : "", (unsigned long long)av[a],
                             (unsigned long long)bv[b]);
                    pair_reg(&p, 9, bv[b] ^ 0x5555);
                    pair_run_case(&p, code, n, av[a], bv[b], b & 1 ? 0x8d7 : 0x002, what);
                }
            }
        }
    }
    pair_free(&p);
}

START_TEST(jit_mul_one_operand_pm32_equal_interpreter)
{
    mul_one_operand(FM_PM32);
}
END_TEST

START_TEST(jit_mul_one_operand_long64_equal_interpreter)
{
    mul_one_operand(FM_LONG64);
}
END_TEST

/* SHL/SHR/SAR by CL of 32 and 64 bits (native): counts that mask to 0 (no flag changes, the
 * 32-bit register still written), 1, larger ones and past the mask, on eax/rax, edi/rdi with
 * bits set above, and ecx itself, after a CMP whose flags a 0 count keeps, with all arithmetic
 * flags set or clear; then all 16 SETcc and PUSHF, once right after and once after a load. */
static void shift_cl(FmMode mode)
{
    static const Piece shifts[] = {
        { "shl eax, cl", { 0xd3, 0xe0 }, 2, false },
        { "shr edi, cl", { 0xd3, 0xef }, 2, false },
        { "sar eax, cl", { 0xd3, 0xf8 }, 2, false },
        { "shl ecx, cl", { 0xd3, 0xe1 }, 2, false },
        { "shl rax, cl", { 0x48, 0xd3, 0xe0 }, 3, true },
        { "shr rdi, cl", { 0x48, 0xd3, 0xef }, 3, true },
        { "sar rax, cl", { 0x48, 0xd3, 0xf8 }, 3, true },
    };
    static const uint64_t av[] = { 0x80000001ull, 0xc000000000000003ull, 0x7fffffffffffffffull };
    static const uint64_t cv[] = { 0, 1, 2, 7, 31, 32, 33, 63, 64, 0x1ff };
    Pair p = pair_new(mode);
    for (size_t si = 0; si < sizeof(shifts) / sizeof(shifts[0]); si++) {
        if (shifts[si].only64 && mode != FM_LONG64)
            continue;
        for (int load = 0; load < 2; load++) {
            uint8_t code[512];
            static const uint8_t cmp[] = { 0x39, 0xd8 };   /* cmp eax, ebx */
            size_t n = put(code, 0, cmp, sizeof(cmp));
            n = put(code, n, shifts[si].bytes, shifts[si].len);
            /* mov esi, [edx] */
            static const uint8_t ld[] = { 0x8b, 0x32 };
            if (load)
                n = put(code, n, ld, sizeof(ld));
            n = tail(code, n, true);
            for (size_t a = 0; a < sizeof(av) / sizeof(av[0]); a++) {
                for (size_t c = 0; c < sizeof(cv) / sizeof(cv[0]); c++) {
                    for (int f = 0; f < 2; f++) {
                        char what[160];
                        snprintf(what, sizeof(what), "cmp; %s%s (rax %llx rcx %llx flags %s)",
                                 shifts[si].name, load ? "; load" : "", (unsigned long long)av[a],
                                 (unsigned long long)cv[c], f ? "set" : "clear");
                        pair_reg(&p, R_CX, cv[c] | 0x5a00000000000000ull);
                        pair_reg(&p, R_DI, av[a] ^ 0xffff0000ffff0000ull);
                        pair_run_case(&p, code, n, av[a], 0x80000001, f ? 0x8d7 : 0x002, what);
                    }
                }
            }
        }
    }
    pair_free(&p);
}

START_TEST(jit_shift_by_cl_pm32_equal_interpreter)
{
    shift_cl(FM_PM32);
}
END_TEST

START_TEST(jit_shift_by_cl_long64_equal_interpreter)
{
    shift_cl(FM_LONG64);
}
END_TEST

/* DIV of 32 and 64 bits (native, FORM_DIV): rdx from rdi, a register or memory divisor (stored
 * from ebx/rbx first at esi + 0x3000, also across a page boundary), quotients that fit and the
 * #DE of a 0 divisor or a quotient too large (delivered through the IDT, the state before it
 * compared), after a CMP whose flags DIV keeps; then all 16 SETcc and PUSHF. */
static void div_cases(FmMode mode)
{
    static const struct {
        const char *name;
        uint8_t bytes[24];
        int len;
        bool only64;
    } divs[] = {
        /* mov edx, edi ; cmp eax, ebx ; div ebx */
        { "div ebx", { 0x89, 0xfa, 0x39, 0xd8, 0xf7, 0xf3 }, 6, false },
        /* mov edx, edi ; cmp eax, ebx ; div eax */
        { "div eax", { 0x89, 0xfa, 0x39, 0xd8, 0xf7, 0xf0 }, 6, false },
        /* mov [esi + 0x3000], ebx ; mov edx, edi ; cmp eax, ebx ; div dword [esi + 0x3000] */
        { "div dword [esi + 0x3000]",
          { 0x89, 0x9e, 0, 0x30, 0, 0, 0x89, 0xfa, 0x39, 0xd8, 0xf7, 0xb6, 0, 0x30, 0, 0 }, 16, false },
        /* mov [esi + 0x3ffe], ebx ; mov edx, edi ; cmp eax, ebx ; div dword [esi + 0x3ffe] */
        { "div dword [esi + 0x3ffe] (page crossing)",
          { 0x89, 0x9e, 0xfe, 0x3f, 0, 0, 0x89, 0xfa, 0x39, 0xd8, 0xf7, 0xb6, 0xfe, 0x3f, 0, 0 }, 16,
          false },
        /* mov rdx, rdi ; cmp rax, rbx ; div rbx */
        { "div rbx", { 0x48, 0x89, 0xfa, 0x48, 0x39, 0xd8, 0x48, 0xf7, 0xf3 }, 9, true },
        /* mov [rsi + 0x3ffc], rbx ; mov rdx, rdi ; cmp rax, rbx ; div qword [rsi + 0x3ffc] */
        { "div qword [rsi + 0x3ffc] (page crossing)",
          { 0x48, 0x89, 0x9e, 0xfc, 0x3f, 0, 0, 0x48, 0x89, 0xfa, 0x48, 0x39, 0xd8, 0x48, 0xf7, 0xb6,
            0xfc, 0x3f, 0, 0 }, 20, true },
    };
    static const uint64_t av[] = { 0, 7, 0xffffffff, 0x123456789abcdef0ull, 0xffffffffffffffffull };
    static const uint64_t dv[] = { 0, 1, 0x7fffffff, 0xfffffffe };
    static const uint64_t bv[] = { 0, 1, 2, 7, 0xffffffff, 0x100000000ull, 0xffffffffffffffffull };
    Pair p = pair_new(mode);
    for (size_t di = 0; di < sizeof(divs) / sizeof(divs[0]); di++) {
        if (divs[di].only64 && mode != FM_LONG64)
            continue;
        uint8_t code[512];
        size_t n = put(code, 0, divs[di].bytes, divs[di].len);
        n = tail(code, n, true);
        for (size_t a = 0; a < sizeof(av) / sizeof(av[0]); a++) {
            for (size_t d = 0; d < sizeof(dv) / sizeof(dv[0]); d++) {
                for (size_t b = 0; b < sizeof(bv) / sizeof(bv[0]); b++) {
                    char what[160];
                    snprintf(what, sizeof(what), "%s (rax %llx rdx %llx rbx %llx)", divs[di].name,
                             (unsigned long long)av[a], (unsigned long long)dv[d],
                             (unsigned long long)bv[b]);
                    pair_reg(&p, R_DI, dv[d]);
                    pair_run_case(&p, code, n, av[a], bv[b], 0x002, what);
                }
            }
        }
    }
    pair_free(&p);
}

START_TEST(jit_div_pm32_equal_interpreter)
{
    div_cases(FM_PM32);
}
END_TEST

START_TEST(jit_div_long64_equal_interpreter)
{
    div_cases(FM_LONG64);
}
END_TEST

/* BSF and TZCNT of 32 and 64 bits (native, FORM_BSF/FORM_TZCNT): a register or memory source
 * (stored from ebx/rbx first, also across a page boundary), 0 and non-0, into edi/rdi with other
 * bits set above (BSF of 0 leaves all 64 unchanged), after a producer whose flags the host holds
 * (CMP; TEST with AF 0), a shift (AF unknown: the flags come from the record) or none, with all
 * arithmetic flags set or clear before; then all 16 SETcc and PUSHF. */
static void bitscan(FmMode mode)
{
    static const struct {
        const char *name;
        uint8_t bytes[16];
        int len;
        bool only64;
    } scans[] = {
        { "bsf edi, ebx", { 0x0f, 0xbc, 0xfb }, 3, false },
        { "tzcnt edi, ebx", { 0xf3, 0x0f, 0xbc, 0xfb }, 4, false },
        { "bsf eax, eax", { 0x0f, 0xbc, 0xc0 }, 3, false },
        /* mov [edx], ebx ; bsf edi, [edx] */
        { "bsf edi, [edx]", { 0x89, 0x1a, 0x0f, 0xbc, 0x3a }, 5, false },
        /* mov [edx], ebx ; tzcnt edi, [edx] */
        { "tzcnt edi, [edx]", { 0x89, 0x1a, 0xf3, 0x0f, 0xbc, 0x3a }, 6, false },
        { "bsf rdi, rbx", { 0x48, 0x0f, 0xbc, 0xfb }, 4, true },
        { "tzcnt rdi, rbx", { 0xf3, 0x48, 0x0f, 0xbc, 0xfb }, 5, true },
        /* mov [rdx + 0xffc], rbx ; tzcnt rdi, [rdx + 0xffc] */
        { "tzcnt rdi, [rdx + 0xffc] (page crossing)",
          { 0x48, 0x89, 0x9a, 0xfc, 0x0f, 0, 0, 0xf3, 0x48, 0x0f, 0xbc, 0xba, 0xfc, 0x0f, 0, 0 }, 16,
          true },
        /* mov [rdx + 0xffc], rbx ; bsf rdi, [rdx + 0xffc] */
        { "bsf rdi, [rdx + 0xffc] (page crossing)",
          { 0x48, 0x89, 0x9a, 0xfc, 0x0f, 0, 0, 0x48, 0x0f, 0xbc, 0xba, 0xfc, 0x0f, 0, 0 }, 15, true },
    };
    static const Piece before[] = {
        { "", { 0 }, 0, false },
        { "cmp eax, ebx", { 0x39, 0xd8 }, 2, false },
        { "test eax, ebx", { 0x85, 0xd8 }, 2, false },
        { "shl eax, 3", { 0xc1, 0xe0, 0x03 }, 3, false },
    };
    static const uint64_t av[] = { 0, 0x80000000, 0xffffffffffffffffull };
    static const uint64_t bv[] = { 0, 1, 0x80000000, 0x100000000ull, 0x8000000000000000ull,
                                   0xfffffffffffffff0ull };
    Pair p = pair_new(mode);
    for (size_t si = 0; si < sizeof(scans) / sizeof(scans[0]); si++) {
        if (scans[si].only64 && mode != FM_LONG64)
            continue;
        for (size_t bi = 0; bi < sizeof(before) / sizeof(before[0]); bi++) {
            uint8_t code[512];
            size_t n = put(code, 0, before[bi].bytes, before[bi].len);
            n = put(code, n, scans[si].bytes, scans[si].len);
            n = tail(code, n, true);
            for (size_t a = 0; a < sizeof(av) / sizeof(av[0]); a++) {
                for (size_t b = 0; b < sizeof(bv) / sizeof(bv[0]); b++) {
                    for (int f = 0; f < 2; f++) {
                        char what[160];
                        snprintf(what, sizeof(what), "%s; %s (rax %llx rbx %llx flags %s)",
                                 before[bi].name, scans[si].name, (unsigned long long)av[a],
                                 (unsigned long long)bv[b], f ? "set" : "clear");
                        pair_reg(&p, R_DI, 0x5a5a5a5a00000077ull);
                        pair_run_case(&p, code, n, av[a], bv[b], f ? 0x8d7 : 0x002, what);
                    }
                }
            }
        }
    }
    pair_free(&p);
}

START_TEST(jit_bsf_tzcnt_pm32_equal_interpreter)
{
    bitscan(FM_PM32);
}
END_TEST

START_TEST(jit_bsf_tzcnt_long64_equal_interpreter)
{
    bitscan(FM_LONG64);
}
END_TEST

/* A loop whose CMP's record is deferred past a load and taken back by the back-edge, stopped at
 * every budget. */
START_TEST(jit_deferred_flags_loop_budget_stops_exact)
{
    static const uint8_t code[] = {
        0x83, 0xc6, 0x04,               /* 0: add esi, 4 */
        0x39, 0xfe,                     /* 3: cmp esi, edi            deferred up to the ADD */
        0x8b, 0x06,                     /* 5: mov eax, [esi] */
        0x01, 0xc1,                     /* 7: add ecx, eax */
        0x39, 0xfe,                     /* 9: cmp esi, edi */
        0x8b, 0x5e, 0x04,               /* 11: mov ebx, [esi + 4] */
        0x72, 0xef };                   /* 14: jb 0 */
    const uint64_t total = 12 * 7 + 1;
    for (uint64_t budget = 1; budget <= total + 1; budget++) {
        Pair p = pair_new(FM_PM32);
        pair_code(&p, code, sizeof(code));
        pair_reg(&p, R_SI, 0x2fd0);
        pair_reg(&p, R_DI, 0x3000);
        pair_budget(&p, budget);
        char what[64];
        snprintf(what, sizeof(what), "deferred-flags loop, budget %llu", (unsigned long long)budget);
        pair_check(&p, false, what);
        pair_release(&p, budget >= 8);   /* the block holds the HLT: 8 */
    }
}
END_TEST

/* ---- budget stops in a loop ---- */

static void loop_code(Pair *p)
{
    PAIR_LOAD(p,
        0x01, 0xc8,                     /* 0: add eax, ecx */
        0xff, 0xc1,                     /* 2: inc ecx */
        0x39, 0xd9,                     /* 4: cmp ecx, ebx */
        0x72, 0x02,                     /* 6: jb 10          side exit (taken when ecx < ebx) */
        0x31, 0xf6,                     /* 8: xor esi, esi */
        0xff, 0xca,                     /* 10: dec edx */
        0x75, 0xf2);                    /* 12: jnz 0 */
    pair_reg(p, R_AX, 0);
    pair_reg(p, R_CX, 0);
    pair_reg(p, R_BX, 17);
    pair_reg(p, R_DX, 30);
    pair_reg(p, R_SI, 0x1234);
}

/* A loop whose branch goes back to its own block's start (an internal back-edge once the
 * translator makes one, jit.h section 6): 3 instructions, 50 iterations. */
static void self_loop_code(Pair *p)
{
    PAIR_LOAD(p,
        0x01, 0xc8,                     /* 0: add eax, ecx */
        0xff, 0xca,                     /* 2: dec edx */
        0x75, 0xfa);                    /* 4: jnz 0 */
    pair_reg(p, R_AX, 0);
    pair_reg(p, R_CX, 3);
    pair_reg(p, R_DX, 50);
}

/* Runs both machines to the HLT in steps of `chunk` instructions, comparing at every stop; the
 * run retires `total` instructions. */
static void run_in_chunks(Pair *p, uint64_t chunk, const char *name, uint64_t total)
{
    for (int i = 0; !p->m[0]->cpu->halted; i++) {
        ck_assert_msg(i < 1000, "no end");
        pair_budget(p, chunk);
        char what[80];
        snprintf(what, sizeof(what), "%s in chunks of %llu, stop %d", name, (unsigned long long)chunk, i);
        pair_check(p, false, what);
    }
    ck_assert_int_eq(p->m[1]->cpu->icount, total);
}

static void budget_stops(uint32_t threshold)
{
    for (uint64_t budget = 1; budget <= 3 * 50 + 2; budget++) {
        Pair p = pair_new_threshold(FM_PM32, threshold);
        self_loop_code(&p);
        pair_budget(&p, budget);
        char what[64];
        snprintf(what, sizeof(what), "self-loop, budget %llu", (unsigned long long)budget);
        pair_check(&p, false, what);
        pair_release(&p, budget >= 4 + 3 * threshold);   /* the block holds the HLT: 4 */
    }
    /* 16 iterations take the side exit (6 instructions), 14 do not (7), then the HLT. */
    const uint64_t total = 16 * 6 + 14 * 7 + 1;
    for (uint64_t budget = 1; budget <= total + 2; budget++) {
        Pair p = pair_new_threshold(FM_LONG64, threshold);
        loop_code(&p);
        pair_budget(&p, 40);                      /* translate the loop's blocks first */
        pair_budget(&p, budget);
        char what[64];
        snprintf(what, sizeof(what), "budget 40 + %llu", (unsigned long long)budget);
        pair_check(&p, false, what);
        pair_free(&p);
    }
    for (uint64_t chunk = 1; chunk <= 16; chunk++) {
        Pair p = pair_new_threshold(FM_PM32, threshold);
        loop_code(&p);
        run_in_chunks(&p, chunk, "loop", total);
        /* Budgets of 1 never fit a block: the interpreter runs them all (jit.h section 1). */
        pair_release(&p, chunk > 1);
    }
}

START_TEST(jit_budget_stops_in_loop_threshold0_exact)
{
    budget_stops(0);
}
END_TEST

START_TEST(jit_budget_stops_in_loop_threshold2_exact)
{
    budget_stops(2);
}
END_TEST

/* ---- patched chains between blocks (jit/chain.h, jit.h section 6) ---- */

/* The chaining counters of the JIT machine: `chained` transfers must have gone through patched
 * jumps (else the test tested nothing). */
static void chains_used(const Pair *p, const char *what)
{
    JitStats s = jit_stats(p->m[1]->cpu->jit);
    ck_assert_msg(s.chains_linked > 0 && s.chain_hits > 0, "%s: no patched jump was taken (%llu linked, %llu hits)",
                  what, (unsigned long long)s.chains_linked, (unsigned long long)s.chain_hits);
}

/* A loop through three blocks on one page, each ending in a jump to the next: every transfer is a
 * patch site.  30 iterations of 7 instructions, then the HLT. */
static void chained_loop_code(Pair *p)
{
    PAIR_LOAD(p,
        0x01, 0xc8,                     /* 0x00: add eax, ecx */
        0xff, 0xc1,                     /* 0x02: inc ecx */
        0xeb, 0x0a,                     /* 0x04: jmp 0x10 */
        0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
        0x83, 0xeb, 0x01,               /* 0x10: sub ebx, 1 */
        0xeb, 0x0b,                     /* 0x13: jmp 0x20 */
        0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
        0xff, 0xca,                     /* 0x20: dec edx */
        0x75, 0xdc);                    /* 0x22: jnz 0x00 */
    pair_reg(p, R_AX, 0);
    pair_reg(p, R_CX, 1);
    pair_reg(p, R_BX, 1000);
    pair_reg(p, R_DX, 30);
}

/* A loop whose first block ends after RDTSC (the decoder ends blocks after system
 * instructions; the handler returns INSN_NEXT), so generated code goes on to the next block
 * without the run loop: 30 iterations of 4 instructions, then the HLT.  The TSC comes from the
 * instruction count, the same in both tiers. */
static void rdtsc_loop_code(Pair *p)
{
    PAIR_LOAD(p,
        0x0f, 0x31,                     /* 0x00: rdtsc */
        0x01, 0xc6,                     /* 0x02: add esi, eax */
        0xff, 0xcf,                     /* 0x04: dec edi */
        0x75, 0xf8);                    /* 0x06: jnz 0x00 */
    pair_reg(p, R_SI, 0);
    pair_reg(p, R_DI, 30);
}

static void chained_budget_stops(FmMode mode, void (*load)(Pair *), uint64_t total)
{
    for (uint64_t budget = 1; budget <= total - 40 + 2; budget++) {
        Pair p = pair_new(mode);
        load(&p);
        pair_budget(&p, 40);                      /* translate and link the loop first */
        pair_budget(&p, budget);
        char what[64];
        snprintf(what, sizeof(what), "chained loop, budget 40 + %llu", (unsigned long long)budget);
        pair_check(&p, false, what);
        if (budget > 30)
            chains_used(&p, what);
        pair_free(&p);
    }
    for (uint64_t chunk = 2; chunk <= 9; chunk++) {
        Pair p = pair_new(mode);
        load(&p);
        run_in_chunks(&p, chunk, "chained loop", total);
        pair_free(&p);
    }
}

START_TEST(jit_chain_budget_stops_in_chained_loop_pm32_exact)
{
    chained_budget_stops(FM_PM32, chained_loop_code, 30 * 7 + 1);
}
END_TEST

START_TEST(jit_chain_budget_stops_in_chained_loop_long64_exact)
{
    chained_budget_stops(FM_LONG64, chained_loop_code, 30 * 7 + 1);
}
END_TEST

START_TEST(jit_chain_after_system_instruction_exact)
{
    chained_budget_stops(FM_LONG64, rdtsc_loop_code, 30 * 4 + 1);
    chained_budget_stops(FM_PM32, rdtsc_loop_code, 30 * 4 + 1);
    Pair p = pair_new(FM_LONG64);
    rdtsc_loop_code(&p);
    pair_run(&p, 1000);
    pair_check(&p, false, "RDTSC loop");
    JitStats s = jit_stats(p.m[1]->cpu->jit);
    ck_assert_msg(s.exits[JIT_EXIT_END] <= 1, "%llu end exits: blocks ending after RDTSC went to the run loop",
                  (unsigned long long)s.exits[JIT_EXIT_END]);
    pair_free(&p);
}
END_TEST

/* Chained code stores into its own page when EDX reaches 5: the ADD of the block it jumps back to
 * (a chained-to block) becomes a SUB.  The page's blocks and the patched jumps into them are
 * dropped, the storing block stops after the store, and the next iterations run the new code. */
static void chain_smc(FmMode mode)
{
    Pair p = pair_new(mode);
    PAIR_LOAD(&p,
        0x01, 0xc8,                     /* 0x00: add eax, ecx      (0x29 here: sub eax, ecx) */
        0xeb, 0x0c,                     /* 0x02: jmp 0x10 */
        0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
        0xff, 0xca,                     /* 0x10: dec edx */
        0x83, 0xfa, 0x05,               /* 0x12: cmp edx, 5 */
        0x75, 0x03,                     /* 0x15: jne 0x1a */
        0xc6, 0x03, 0x29,               /* 0x17: mov byte [ebx], 0x29 */
        0x85, 0xd2,                     /* 0x1a: test edx, edx */
        0x75, 0xe2);                    /* 0x1c: jnz 0x00 */
    pair_reg(&p, R_AX, 0);
    pair_reg(&p, R_CX, 7);
    pair_reg(&p, R_BX, FM_CODE);
    pair_reg(&p, R_DX, 30);
    pair_run(&p, 1000);
    ck_assert_int_eq(p.m[1]->cpu->gpr[R_AX], (uint32_t)(25 * 7 - 5 * 7));
    pair_check(&p, true, "store into a chained-to block");
    chains_used(&p, "store into a chained-to block");
    JitStats s = jit_stats(p.m[1]->cpu->jit);
    ck_assert_msg(s.smc_invalidations >= 1 && s.exits[JIT_EXIT_STOP] >= 1, "the store did not stop chained code");
    pair_free(&p);
}

START_TEST(jit_chain_smc_into_chained_block_pm32_exact)
{
    chain_smc(FM_PM32);
}
END_TEST

START_TEST(jit_chain_smc_into_chained_block_long64_exact)
{
    chain_smc(FM_LONG64);
}
END_TEST

/* Block A loads DS (a handler call, which does not end the block) and jumps to block B, whose
 * native load checks at entry that DS is flat (jit.h section 1).  After EDX reaches 4, A loads a
 * selector with base 0x100: the patched jump from A still leads to B, whose entry check now
 * fails, and the interpreter runs B from there (JIT_EXIT_BUDGET), reading at base 0x100. */
START_TEST(jit_chain_to_block_failing_entry_check_exact)
{
    Pair p = pair_new(FM_PM32);
    for (int i = 0; i < 2; i++) {
        fm_poke(p.m[i], GDT + 24, 8, 0x00cf93000100ffffull);   /* data, base 0x100, 4 GiB */
        p.m[i]->cpu->gdtr.limit = 31;
        fm_poke(p.m[i], 0x8000, 4, 0x11);
        fm_poke(p.m[i], 0x8100, 4, 0x2200);
    }
    PAIR_LOAD(&p,
        0x8e, 0xde,                     /* 0x00: mov ds, si */
        0xeb, 0x0c,                     /* 0x02: jmp 0x10 */
        0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
        0x8b, 0x03,                     /* 0x10: mov eax, [ebx] */
        0x01, 0xc1,                     /* 0x12: add ecx, eax */
        0x83, 0xfa, 0x04,               /* 0x14: cmp edx, 4 */
        0x75, 0x05,                     /* 0x17: jne 0x1e */
        0xbe, 0x18, 0x00, 0x00, 0x00,   /* 0x19: mov esi, 0x18 */
        0xff, 0xca,                     /* 0x1e: dec edx */
        0x75, 0xde);                    /* 0x20: jnz 0x00 */
    pair_reg(&p, R_BX, 0x8000);
    pair_reg(&p, R_CX, 0);
    pair_reg(&p, R_DX, 20);
    pair_reg(&p, R_SI, 0x10);
    pair_run(&p, 1000);
    ck_assert_int_eq(p.m[1]->cpu->gpr[R_CX], 17 * 0x11 + 3 * 0x2200);
    pair_check(&p, true, "chain into a block whose entry check fails");
    chains_used(&p, "chain into a block whose entry check fails");
    JitStats s = jit_stats(p.m[1]->cpu->jit);
    ck_assert_msg(s.exits[JIT_EXIT_BUDGET] >= 3, "%llu budget exits: the entry check did not fail",
                  (unsigned long long)s.exits[JIT_EXIT_BUDGET]);
    pair_free(&p);
}
END_TEST

static Suite *jit_blocks_suite(void)
{
    Suite *s = suite_create("jit_blocks");
    TCase *tc = tcase_create("blocks");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, jit_flags_across_block_edges_pm32_equal_interpreter);
    tcase_add_test(tc, jit_flags_across_block_edges_long64_equal_interpreter);
    tcase_add_test(tc, jit_page_crossing_accesses_pm32_equal_interpreter);
    tcase_add_test(tc, jit_page_crossing_accesses_paged_equal_interpreter);
    tcase_add_test(tc, jit_page_crossing_accesses_long64_equal_interpreter);
    tcase_add_test(tc, jit_code_aliased_at_two_addresses_long64_equal_interpreter);
    tcase_add_test(tc, jit_table_lookups_pm32_equal_interpreter);
    tcase_add_test(tc, jit_table_lookups_long64_equal_interpreter);
    tcase_add_test(tc, jit_instruction_straddling_pages_equal_interpreter);
    tcase_add_test(tc, jit_fault_mid_block_pm32_state_exact);
    tcase_add_test(tc, jit_fault_mid_block_long64_state_exact);
    tcase_add_test(tc, jit_page_fault_crossing_store_state_exact);
    tcase_add_test(tc, jit_smc_into_running_block_pm32_stops_after_store);
    tcase_add_test(tc, jit_smc_into_running_block_long64_stops_after_store);
    tcase_add_test(tc, jit_smc_page_written_often_stays_interpreted);
    tcase_add_test(tc, jit_xmm_forms_pm32_equal_interpreter);
    tcase_add_test(tc, jit_xmm_forms_paged_equal_interpreter);
    tcase_add_test(tc, jit_xmm_forms_long64_equal_interpreter);
    tcase_add_test(tc, jit_xmm_fault_mid_block_pm32_state_exact);
    tcase_add_test(tc, jit_xmm_fault_mid_block_long64_state_exact);
    tcase_add_test(tc, jit_xmm_copy_loop_budget_stops_exact);
    tcase_add_test(tc, jit_deferred_flags_pm32_equal_interpreter);
    tcase_add_test(tc, jit_deferred_flags_long64_equal_interpreter);
    tcase_add_test(tc, jit_deferred_flags_loop_budget_stops_exact);
    tcase_add_test(tc, jit_flags_redone_after_load_pm32_equal_interpreter);
    tcase_add_test(tc, jit_flags_redone_after_load_long64_equal_interpreter);
    tcase_add_test(tc, jit_mul_one_operand_pm32_equal_interpreter);
    tcase_add_test(tc, jit_mul_one_operand_long64_equal_interpreter);
    tcase_add_test(tc, jit_bsf_tzcnt_pm32_equal_interpreter);
    tcase_add_test(tc, jit_bsf_tzcnt_long64_equal_interpreter);
    tcase_add_test(tc, jit_div_pm32_equal_interpreter);
    tcase_add_test(tc, jit_div_long64_equal_interpreter);
    tcase_add_test(tc, jit_shift_by_cl_pm32_equal_interpreter);
    tcase_add_test(tc, jit_shift_by_cl_long64_equal_interpreter);
    tcase_add_test(tc, jit_budget_stops_in_loop_threshold0_exact);
    tcase_add_test(tc, jit_budget_stops_in_loop_threshold2_exact);
    tcase_add_test(tc, jit_chain_budget_stops_in_chained_loop_pm32_exact);
    tcase_add_test(tc, jit_chain_budget_stops_in_chained_loop_long64_exact);
    tcase_add_test(tc, jit_chain_after_system_instruction_exact);
    tcase_add_test(tc, jit_chain_smc_into_chained_block_pm32_exact);
    tcase_add_test(tc, jit_chain_smc_into_chained_block_long64_exact);
    tcase_add_test(tc, jit_chain_to_block_failing_entry_check_exact);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(jit_blocks_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
