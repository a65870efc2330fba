/*
 * robust.c — the seeded hostile-guest robustness test (meson suite 'fuzz').
 *
 * For every mode of fuzz_machine.h and every seed it generates one case (the fuzz_machine.h byte
 * format): random registers (biased to small numbers, RAM addresses, selectors, INT_MIN-like
 * values), random EFLAGS (IOPL, DF, AC, TF now and then), random damage to the descriptor and page
 * tables, and code made of random bytes mixed with valid-looking pieces: prefixes, system and
 * string instructions, far transfers, divisions, shifts, and at CPL 0 random CR and MSR writes.
 * Each case runs in a forked child under a wall-clock alarm (5 s; a REP string may run 4096
 * iterations per counted instruction, so a 3000-instruction case can take a second); a crash (signal, sanitizer abort,
 * assert), a hang (alarm) or a harness invariant broken (fz_run_case's error) fails the test and
 * prints the seed, the mode and the case bytes as hex (a libFuzzer input for fuzz_cpu, or pass it
 * back with --hex).
 *
 * Usage: robust_test [--seeds N] [--first S] [--budget INSNS] [--mode M] [--timeout SEC]
 *        [--dump DIR]   (writes the cases as files, a seed corpus for fuzz_cpu, instead of running them)
 *        [--verbose 1]  (prints each case's instruction count, HLTs and triple fault)
 *        [--jit T]      (also runs each case with the JIT at threshold T: it must survive it and end
 *                        with the interpreter's instruction count, HLTs, triple fault, registers,
 *                        RIP, EFLAGS, CPL and RAM; --hex then runs the JIT alone)
 *        robust_test --hex HEX      (runs one case in-process, for a debugger)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_machine.h"

typedef struct Gen {
    uint64_t s;
    uint8_t *buf;
    size_t len, cap;
} Gen;

static uint64_t rnd(Gen *g)
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(Gen *g, uint32_t n) { return (uint32_t)(rnd(g) % n); }

static void emit(Gen *g, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n && g->len < g->cap; i++)
        g->buf[g->len++] = b[i];
}

static void emit1(Gen *g, uint8_t b) { emit(g, &b, 1); }

static void emit_le(Gen *g, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        emit1(g, (uint8_t)(v >> (8 * i)));
}

/* An "interesting" number for registers and immediates. */
static uint64_t interesting(Gen *g)
{
    static const uint64_t v[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
        0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull,
        0xfffffffffffff000ull, 0x0000800000000000ull, 0xffff800000000000ull, 0x00007ffffffff000ull,
    };
    switch (below(g, 6)) {
    case 0: return v[below(g, sizeof(v) / sizeof(v[0]))];
    case 1: return below(g, 256);
    case 2: return 0x20000 + below(g, 0x20000);                     /* RAM */
    case 3: return (below(g, 32) * 8) | below(g, 4) | (below(g, 2) << 2); /* a selector */
    case 4: return (uint64_t)-(int64_t)below(g, 64);
    default: return rnd(g);
    }
}

/* Valid-looking pieces of code (raw; some get random operand bytes appended). */
typedef struct Piece {
    uint8_t n;
    uint8_t b[6];
    uint8_t tail;   /* random bytes to append (ModRM, immediates) */
} Piece;

static const Piece pieces[] = {
    { 1, { 0xa4 }, 0 }, { 1, { 0xa5 }, 0 }, { 1, { 0xaa }, 0 }, { 1, { 0xab }, 0 },   /* movs/stos */
    { 1, { 0xa6 }, 0 }, { 1, { 0xa7 }, 0 }, { 1, { 0xae }, 0 }, { 1, { 0xac }, 0 },   /* cmps/scas/lods */
    { 1, { 0x6c }, 0 }, { 1, { 0x6d }, 0 }, { 1, { 0x6e }, 0 }, { 1, { 0x6f }, 0 },   /* ins/outs */
    { 1, { 0xcf }, 0 }, { 1, { 0xcb }, 0 }, { 1, { 0xca }, 2 }, { 1, { 0xc3 }, 0 },   /* iret/retf/ret */
    { 1, { 0xea }, 6 }, { 1, { 0x9a }, 6 }, { 1, { 0xff }, 1 }, { 1, { 0xcd }, 1 },   /* far jmp/call, int n */
    { 1, { 0xcc }, 0 }, { 1, { 0xce }, 0 }, { 1, { 0xf1 }, 0 }, { 1, { 0x62 }, 1 },   /* int3 into int1 bound */
    { 1, { 0x8e }, 1 }, { 1, { 0x8c }, 1 }, { 1, { 0x07 }, 0 }, { 1, { 0x1f }, 0 },   /* mov/pop sreg */
    { 1, { 0x17 }, 0 }, { 2, { 0x0f, 0xa1 }, 0 }, { 2, { 0x0f, 0xa9 }, 0 }, { 1, { 0xc4 }, 1 },
    { 1, { 0xc5 }, 1 }, { 2, { 0x0f, 0xb2 }, 1 }, { 2, { 0x0f, 0xb4 }, 1 },           /* les lds lss lfs */
    { 1, { 0xf6 }, 1 }, { 1, { 0xf7 }, 1 }, { 1, { 0xd4 }, 1 }, { 1, { 0xd5 }, 1 },   /* div/idiv aam aad */
    { 2, { 0x0f, 0xaf }, 1 }, { 1, { 0x69 }, 5 }, { 1, { 0x6b }, 2 },                 /* imul */
    { 1, { 0xc1 }, 2 }, { 1, { 0xd3 }, 1 }, { 1, { 0xd1 }, 1 }, { 1, { 0xc0 }, 2 },   /* shifts */
    { 2, { 0x0f, 0xa4 }, 2 }, { 2, { 0x0f, 0xa5 }, 1 }, { 2, { 0x0f, 0xac }, 2 }, { 2, { 0x0f, 0xad }, 1 },
    { 2, { 0x0f, 0xa3 }, 1 }, { 2, { 0x0f, 0xab }, 1 }, { 2, { 0x0f, 0xba }, 2 }, { 2, { 0x0f, 0xbc }, 1 },
    { 2, { 0x0f, 0xbd }, 1 }, { 2, { 0x0f, 0xc7 }, 1 }, { 2, { 0x0f, 0xb1 }, 1 }, { 2, { 0x0f, 0xc1 }, 1 },
    { 1, { 0xc8 }, 3 }, { 1, { 0xc9 }, 0 }, { 1, { 0x60 }, 0 }, { 1, { 0x61 }, 0 },   /* enter leave pusha */
    { 1, { 0x9c }, 0 }, { 1, { 0x9d }, 0 }, { 1, { 0xfa }, 0 }, { 1, { 0xfb }, 0 },   /* pushf popf cli sti */
    { 1, { 0xf4 }, 0 }, { 1, { 0xe4 }, 1 }, { 1, { 0xe5 }, 1 }, { 1, { 0xe6 }, 1 }, { 1, { 0xec }, 0 },
    { 1, { 0xed }, 0 }, { 1, { 0xee }, 0 }, { 1, { 0xef }, 0 },
    { 2, { 0x0f, 0x00 }, 1 }, { 2, { 0x0f, 0x01 }, 1 }, { 2, { 0x0f, 0x02 }, 1 }, { 2, { 0x0f, 0x03 }, 1 },
    { 2, { 0x0f, 0x06 }, 0 }, { 2, { 0x0f, 0x05 }, 0 }, { 2, { 0x0f, 0x07 }, 0 }, { 2, { 0x0f, 0x34 }, 0 },
    { 2, { 0x0f, 0x35 }, 0 }, { 2, { 0x0f, 0x30 }, 0 }, { 2, { 0x0f, 0x32 }, 0 }, { 2, { 0x0f, 0x31 }, 0 },
    { 2, { 0x0f, 0xa2 }, 0 }, { 2, { 0x0f, 0x20 }, 1 }, { 2, { 0x0f, 0x22 }, 1 }, { 2, { 0x0f, 0x21 }, 1 },
    { 2, { 0x0f, 0x23 }, 1 }, { 2, { 0x0f, 0x0b }, 0 }, { 1, { 0x63 }, 1 }, { 2, { 0x0f, 0x08 }, 0 },
    { 2, { 0x0f, 0x09 }, 0 }, { 3, { 0x0f, 0x01, 0xf8 }, 0 }, { 3, { 0x0f, 0x01, 0xf9 }, 0 },
    { 2, { 0x0f, 0xc7 }, 1 }, { 1, { 0xd7 }, 0 }, { 1, { 0x27 }, 0 }, { 1, { 0x2f }, 0 }, { 1, { 0x37 }, 0 },
    { 1, { 0x3f }, 0 }, { 1, { 0xe3 }, 1 }, { 1, { 0xe2 }, 1 }, { 1, { 0xe0 }, 1 }, { 1, { 0xe8 }, 4 },
    { 1, { 0xe9 }, 4 }, { 1, { 0xeb }, 1 }, { 1, { 0x70 }, 1 }, { 2, { 0x0f, 0x84 }, 4 },
    { 1, { 0x8f }, 1 }, { 1, { 0x0f }, 2 }, { 1, { 0xd8 }, 1 }, { 1, { 0xdd }, 1 }, { 1, { 0xdf }, 1 },
    { 2, { 0x0f, 0xae }, 1 }, { 2, { 0x0f, 0x10 }, 1 }, { 2, { 0x0f, 0x28 }, 1 }, { 2, { 0x0f, 0xc3 }, 1 },
    { 2, { 0x0f, 0x0d }, 1 }, { 2, { 0x0f, 0x18 }, 1 }, { 2, { 0x0f, 0x1f }, 1 }, { 2, { 0x0f, 0xff }, 1 },
    { 2, { 0x0f, 0xb9 }, 1 }, { 2, { 0x0f, 0xc8 }, 0 }, { 1, { 0x9b }, 0 }, { 1, { 0xd6 }, 0 },
};

static const uint8_t prefixes[] = {
    0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x40, 0x41, 0x44, 0x48, 0x49,
    0x4c, 0x4f,
};

/* MSRs worth writing (SDM vol. 4): TSC, APIC base, SYSENTER, PAT, MTRRs, EFER, STAR.., FS/GS base. */
static const uint32_t msrs[] = {
    0x10, 0x1b, 0x3a, 0x8b, 0xfe, 0x174, 0x175, 0x176, 0x179, 0x1a0, 0x1d9, 0x200, 0x201, 0x20f,
    0x250, 0x258, 0x259, 0x268, 0x277, 0x2ff, 0x6e0, 0x800, 0xc0000080, 0xc0000081, 0xc0000082,
    0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0x40000000,
};

/* mov reg, imm (sized for the mode). */
static void emit_mov_imm(Gen *g, int reg, uint64_t v, int bits)
{
    if (bits == 64) {
        emit1(g, reg >= 8 ? 0x49 : 0x48);
        emit1(g, (uint8_t)(0xb8 + (reg & 7)));
        emit_le(g, v, 8);
    } else if (bits == 32) {
        emit1(g, (uint8_t)(0xb8 + reg));
        emit_le(g, v, 4);
    } else {
        emit1(g, 0x66);
        emit1(g, (uint8_t)(0xb8 + reg));
        emit_le(g, v, 4);
    }
}

/* An address near an edge: end of RAM, end of a page, 64 KiB or 4 GiB wrap, unmapped. */
static uint64_t edge_addr(Gen *g)
{
    static const uint64_t e[] = { 0x200000, 0x10000, 0x11000, 0x21000, 0x100000000ull, 0x100000,
                                  0x1000, 0x40000000, 0xfffff000 };
    return e[below(g, sizeof(e) / sizeof(e[0]))] - below(g, 16);
}

/* Directed hazards: the classic ways a guest breaks an emulator. */
static void emit_hazard(Gen *g, int bits)
{
    bool b16 = bits == 16;
    switch (below(g, 8)) {
    case 0: {   /* IDIV of the most negative dividend by -1 (host SIGFPE if done natively) */
        static const uint8_t sz[] = { 0, 1, 2, 3 };   /* 8, 16, 32, 64-bit */
        uint8_t w = sz[below(g, bits == 64 ? 4 : 3)];
        emit_mov_imm(g, 0, w == 0 ? 0x8000 : w == 3 ? 0x8000000000000000ull : w == 1 ? 0x8000 : 0x80000000u, bits);
        emit_mov_imm(g, 2, w == 3 ? ~0ull : w == 1 ? 0xffff : 0xffffffffu, bits);
        emit_mov_imm(g, 1, ~0ull, bits);
        if (w == 3)
            emit1(g, 0x48);
        else if ((w == 1) != b16 && w != 0)
            emit1(g, 0x66);
        emit1(g, w == 0 ? 0xf6 : 0xf7);
        emit1(g, below(g, 2) ? 0xf9 : 0xf1);   /* idiv/div cl/cx/ecx/rcx */
        break;
    }
    case 1: {   /* shifts and double shifts by counts at and beyond the operand size */
        static const uint8_t counts[] = { 0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 255 };
        static const uint8_t ops[][2] = { { 0xd3, 0 }, { 0x0f, 0xa5 }, { 0x0f, 0xad }, { 0xd2, 0 } };
        emit_mov_imm(g, 1, counts[below(g, sizeof(counts))], bits);
        uint32_t p = below(g, 3);
        if (p == 1)
            emit1(g, 0x66);
        else if (p == 2 && bits == 64)
            emit1(g, 0x48);
        const uint8_t *op = ops[below(g, 4)];
        emit1(g, op[0]);
        if (op[1])
            emit1(g, op[1]);
        emit1(g, (uint8_t)(0xc0 | below(g, 64)));
        break;
    }
    case 2: {   /* REP string with a huge count, pointers near edges, either direction */
        static const uint8_t str[] = { 0xa4, 0xa5, 0xaa, 0xab, 0x6c, 0x6d, 0x6e, 0x6f, 0xa6, 0xa7, 0xae, 0xac };
        emit_mov_imm(g, 1, below(g, 2) ? ~0ull : interesting(g), bits);
        emit_mov_imm(g, 6, edge_addr(g), bits);
        emit_mov_imm(g, 7, edge_addr(g), bits);
        emit1(g, below(g, 2) ? 0xfc : 0xfd);
        if (below(g, 2))
            emit1(g, 0x67);
        if (below(g, 2))
            emit1(g, bits == 64 && below(g, 2) ? 0x48 : 0x66);
        emit1(g, below(g, 2) ? 0xf3 : 0xf2);
        emit1(g, str[below(g, sizeof(str))]);
        break;
    }
    case 3: {   /* write a few random bytes at an edge address and jump there */
        uint64_t a = edge_addr(g);
        emit_mov_imm(g, 0, a, bits);
        if (b16)
            emit1(g, 0x67);
        if (b16)
            emit1(g, 0x66);
        emit1(g, 0xc7);
        emit1(g, 0x00);            /* mov dword [eax], imm32 */
        emit_le(g, rnd(g), 4);
        if (b16)
            emit1(g, 0x66);
        emit1(g, 0xff);
        emit1(g, 0xe0);            /* jmp eax / rax */
        break;
    }
    case 4: {   /* LGDT/LIDT of random bytes (then use them), or LTR/LLDT of a random selector */
        emit_mov_imm(g, 0, 0x20000 + below(g, 0x100), bits);
        for (int i = 0; i < 3; i++) {
            if (b16) {
                emit1(g, 0x67);
                emit1(g, 0x66);
            }
            emit1(g, 0xc7);
            emit1(g, 0x40);
            emit1(g, (uint8_t)(4 * i));   /* mov dword [eax+4i], imm32 */
            emit_le(g, interesting(g), 4);
        }
        static const uint8_t sys[][3] = { { 0x0f, 0x01, 0x10 }, { 0x0f, 0x01, 0x18 }, { 0x0f, 0x00, 0x18 },
                                          { 0x0f, 0x00, 0x10 }, { 0x0f, 0x00, 0x20 }, { 0x0f, 0x00, 0x28 } };
        if (b16)
            emit1(g, 0x67);
        emit(g, sys[below(g, 6)], 3);
        emit1(g, 0xcd);
        emit1(g, (uint8_t)rnd(g));
        break;
    }
    case 5: {   /* far JMP/CALL through a random or system selector (gates, TSS, LDT) */
        static const uint16_t sels[] = { 0x28, 0x58, 0x68, 0x6b, 0x08, 0x20, 0x3b, 0x4b, 0x04, 0x0c, 0x14 };
        uint16_t sel = below(g, 2) ? sels[below(g, sizeof(sels) / sizeof(sels[0]))] : (uint16_t)interesting(g);
        emit_mov_imm(g, 0, 0x20000, bits);
        if (b16) {
            emit1(g, 0x67);
            emit1(g, 0x66);
        }
        emit1(g, 0xc7);
        emit1(g, 0x00);
        emit_le(g, below(g, 2) ? 0x10000 + below(g, 64) : rnd(g), 4);
        if (b16)
            emit1(g, 0x67);
        emit1(g, 0x66);
        emit1(g, 0xc7);
        emit1(g, 0x40);
        emit1(g, 0x04);
        emit_le(g, sel, 2);
        if (b16)
            emit1(g, 0x67);
        if (below(g, 2))
            emit1(g, b16 ? 0x66 : bits == 64 ? 0x48 : 0x66);
        emit1(g, 0xff);
        emit1(g, below(g, 2) ? 0x28 : 0x18);   /* jmp/call far [eax] */
        break;
    }
    case 6: {   /* IRET/RETF over a random frame */
        for (int i = 0; i < 6; i++) {
            emit1(g, 0x68);
            emit_le(g, i == 4 ? (uint64_t)below(g, 0x80) : interesting(g), b16 ? 2 : 4);
        }
        if (bits == 64 && below(g, 2))
            emit1(g, 0x48);
        emit1(g, below(g, 3) ? 0xcf : 0xcb);
        break;
    }
    default:    /* ENTER with big frames and nesting levels */
        emit1(g, 0xc8);
        emit_le(g, interesting(g), 2);
        emit1(g, (uint8_t)rnd(g));
        break;
    }
}

static void emit_piece(Gen *g, int bits, bool cpl0)
{
    uint32_t k = below(g, 110);
    if (k >= 100) {
        emit_hazard(g, bits);
    } else if (k < 30) {                         /* random bytes */
        uint32_t n = 1 + below(g, 8);
        for (uint32_t i = 0; i < n; i++)
            emit1(g, (uint8_t)rnd(g));
    } else if (k < 40) {                  /* prefixes, then a piece */
        uint32_t n = 1 + below(g, 3);
        for (uint32_t i = 0; i < n; i++)
            emit1(g, prefixes[below(g, sizeof(prefixes))]);
        const Piece *p = &pieces[below(g, sizeof(pieces) / sizeof(pieces[0]))];
        emit(g, p->b, p->n);
        for (int i = 0; i < p->tail; i++)
            emit1(g, (uint8_t)rnd(g));
    } else if (k < 75) {                  /* a valid-looking instruction */
        const Piece *p = &pieces[below(g, sizeof(pieces) / sizeof(pieces[0]))];
        if (below(g, 4) == 0)
            emit1(g, below(g, 2) ? 0xf3 : 0xf2);   /* rep */
        emit(g, p->b, p->n);
        for (int i = 0; i < p->tail; i++)
            emit1(g, below(g, 3) ? (uint8_t)rnd(g) : (uint8_t)interesting(g));
    } else if (k < 88) {                  /* load an interesting value into a register */
        emit_mov_imm(g, (int)below(g, 8), interesting(g), bits);
    } else if (k < 94 || !cpl0) {         /* load a segment register from a random selector */
        emit_mov_imm(g, 0, interesting(g) & 0xffff, bits);
        static const uint8_t mov_sreg[] = { 0xc0, 0xd8, 0xd0, 0xe0, 0xe8 };  /* es ds ss fs gs */
        emit1(g, 0x8e);
        emit1(g, mov_sreg[below(g, sizeof(mov_sreg))]);
    } else if (k < 97) {                  /* random control-register write */
        static const uint8_t crs[] = { 0, 2, 3, 4, 8 };
        uint8_t cr = crs[below(g, sizeof(crs))];
        uint64_t v = rnd(g);
        if (below(g, 2))   /* flip one bit of a plausible value */
            v = (cr == 0 ? 0x80000011ull : cr == 4 ? 0x220ull : 0x8000ull) ^ (1ull << below(g, 32));
        emit_mov_imm(g, 0, v, bits);
        if (cr == 8)
            emit1(g, 0x44);
        emit1(g, 0x0f);
        emit1(g, 0x22);
        emit1(g, (uint8_t)(0xc0 | ((cr & 7) << 3)));
    } else {                              /* random MSR write */
        uint32_t msr = below(g, 8) ? msrs[below(g, sizeof(msrs) / sizeof(msrs[0]))] : (uint32_t)rnd(g);
        emit_mov_imm(g, 1, msr, bits);
        emit_mov_imm(g, 0, interesting(g), bits);
        emit_mov_imm(g, 2, interesting(g) >> below(g, 2) * 32, bits);
        emit1(g, 0x0f);
        emit1(g, 0x30);
    }
}

static const int mode_bits[FZ_MODES] = { 16, 16, 16, 32, 32, 16, 64, 64, 32 };

/* Builds the case for (seed, mode) into buf; returns its length. */
static size_t gen_case(uint64_t seed, int mode, uint8_t *buf, size_t cap)
{
    Gen g = { .s = seed * 0x100000001b3ull + (uint64_t)mode * 0x9e3779b9ull, .buf = buf, .cap = cap };
    rnd(&g);
    bool cpl0 = mode == FZ_REAL || mode == FZ_PM16_CPL0 || mode == FZ_PM32_CPL0 || mode == FZ_LONG_CPL0;
    emit1(&g, (uint8_t)mode);
    emit1(&g, (uint8_t)below(&g, 4));
    emit_le(&g, below(&g, 3) ? rnd(&g) | 1 : 0, 8);      /* tweak two cases out of three */
    uint32_t fl = (uint32_t)rnd(&g) & (FL_ARITH | FL_DF | FL_IF | FL_IOPL | FL_NT | FL_AC | FL_ID);
    if (below(&g, 10) == 0)
        fl |= FL_TF;
    emit_le(&g, fl, 4);
    for (int r = 0; r < 16; r++)
        emit_le(&g, r == 4 ? 0 : interesting(&g), 8);   /* RSP 0: the mode's stack */
    size_t want = FZ_HDR + 64 + below(&g, 2048);
    /* Plain random bytes now and then, else a mix of pieces. */
    if (below(&g, 5) == 0) {
        while (g.len < want && g.len < cap)
            emit1(&g, (uint8_t)rnd(&g));
    } else {
        while (g.len < want && g.len < cap)
            emit_piece(&g, mode_bits[mode], cpl0);
    }
    return g.len;
}

static void print_hex(FILE *f, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", b[i]);
    fputc('\n', f);
}

static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (s[0] && s[1] && n < cap) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

/* Runs one case in a forked child; returns NULL when it survived, else why it failed. */
static const char *run_forked(const uint8_t *buf, size_t len, uint64_t budget, unsigned timeout,
                              bool verbose, int64_t jit, char *why, size_t whylen)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork failed");
        return why;
    }
    if (pid == 0) {
        alarm(timeout);
        FzResult r = fz_run_case(buf, len, budget);
        if (jit >= 0 && !r.error) {
            /* The JIT must survive the case too, and leave exactly the interpreter's machine. */
            FzResult j = fz_run_case_tier(buf, len, budget, jit);
            if (!j.error && (j.icount != r.icount || j.halts != r.halts || j.triple_fault != r.triple_fault ||
                             j.state_hash != r.state_hash)) {
                fprintf(stderr, "jit at threshold %lld differs from the interpreter: icount %llu/%llu halts %d/%d "
                        "triple fault %d/%d state %016llx/%016llx\n", (long long)jit,
                        (unsigned long long)j.icount, (unsigned long long)r.icount, j.halts, r.halts,
                        j.triple_fault, r.triple_fault, (unsigned long long)j.state_hash,
                        (unsigned long long)r.state_hash);
                _exit(4);
            }
            r = j;
        }
        if (verbose)
            printf("  icount %llu halts %d triple-fault %d\n", (unsigned long long)r.icount, r.halts,
                   r.triple_fault);
        fflush(stdout);
        if (r.error) {
            fprintf(stderr, "harness invariant: %s (after %llu instructions)\n", r.error,
                    (unsigned long long)r.icount);
            _exit(3);
        }
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        snprintf(why, whylen, sig == SIGALRM ? "hang (no exit within %u s)" : "crash: signal %d (%s)",
                 sig == SIGALRM ? timeout : (unsigned)sig, strsignal(sig));
        return why;
    }
    if (WEXITSTATUS(st) != 0) {
        snprintf(why, whylen, "child exited with status %d (sanitizer report, assert or invariant)",
                 WEXITSTATUS(st));
        return why;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t seeds = 150, first = 1, budget = 3000;
    unsigned timeout = 5;
    int only = -1;
    int64_t jit = -1;
    bool verbose = false;
    const char *dump = NULL;
    uint8_t *buf = malloc(FZ_HDR + FZ_CODE_MAX);
    if (!buf)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "robust_test: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--dump")) {
            dump = v;
        } else if (!strcmp(a, "--verbose")) {
            verbose = atoi(v) != 0;
        } else if (!strcmp(a, "--seeds"))
            seeds = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--first"))
            first = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--budget"))
            budget = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--mode"))
            only = atoi(v);
        else if (!strcmp(a, "--jit"))
            jit = strtoll(v, NULL, 0);
        else if (!strcmp(a, "--timeout"))
            timeout = (unsigned)atoi(v);
        else if (!strcmp(a, "--hex")) {
            size_t n = parse_hex(v, buf, (FZ_HDR + FZ_CODE_MAX));
            FzResult r = fz_run_case_tier(buf, n, budget, jit);
            printf("icount %llu halts %d triple %d error %s\n", (unsigned long long)r.icount, r.halts,
                   r.triple_fault, r.error ? r.error : "none");
            return r.error ? 1 : 0;
        } else {
            fprintf(stderr, "robust_test: unknown option %s\n", a);
            return 2;
        }
    }
    int failures = 0;
    for (int mode = 0; mode < FZ_MODES; mode++) {
        if (only >= 0 && mode != only)
            continue;
        int fails = 0;
        for (uint64_t s = first; s < first + seeds; s++) {
            size_t n = gen_case(s, mode, buf, (FZ_HDR + FZ_CODE_MAX));
            char why[128];
            if (dump) {   /* write the case as a libFuzzer corpus file instead of running it */
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s-%llu", dump, fz_mode_names[mode], (unsigned long long)s);
                FILE *f = fopen(path, "wb");
                if (!f || fwrite(buf, 1, n, f) != n) {
                    fprintf(stderr, "robust_test: cannot write %s\n", path);
                    return 2;
                }
                fclose(f);
                continue;
            }
            if (run_forked(buf, n, budget, timeout, verbose, jit, why, sizeof(why))) {
                fails++;
                printf("FAIL mode %s seed %llu: %s\n  case: ", fz_mode_names[mode], (unsigned long long)s, why);
                print_hex(stdout, buf, n);
            }
        }
        printf("%-12s %llu seeds, %d failures\n", fz_mode_names[mode], (unsigned long long)seeds, fails);
        failures += fails;
    }
    return failures ? 1 : 0;
}
