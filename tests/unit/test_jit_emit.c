/*
 * test_jit_emit.c — the x86-64 emitter (jit/emit*.h): every form, every register, every operand
 * size and every kind of memory operand is emitted alone into a buffer, decoded back with Zydis
 * (ZydisDecoderDecodeFull) and compared with what was asked: mnemonic, visible operand count,
 * registers, sizes, memory base/index/scale/displacement, immediates, branch targets, and that the
 * decoder's length is exactly the number of bytes written.  The combinations are generated in
 * loops; a mismatch is reported with its bytes and the test counts all of them before failing.
 *
 * Also: labels with forward references, the overflow rule (nothing written past the buffer),
 * and a printed (not asserted) figure of nanoseconds per emitted instruction.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <Zydis/Zydis.h>

#include "jit/emit_branch.h"
#include "jit/emit_insn.h"
#include "jit/emit_sse.h"
#include "jit/jit.h"

/* ---- Zydis names of our registers ---- */

static const ZydisRegister zr64[16] = {
    ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_RBX,
    ZYDIS_REGISTER_RSP, ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDI,
    ZYDIS_REGISTER_R8, ZYDIS_REGISTER_R9, ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R11,
    ZYDIS_REGISTER_R12, ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R15,
};
static const ZydisRegister zr32[16] = {
    ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX, ZYDIS_REGISTER_EBX,
    ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI,
    ZYDIS_REGISTER_R8D, ZYDIS_REGISTER_R9D, ZYDIS_REGISTER_R10D, ZYDIS_REGISTER_R11D,
    ZYDIS_REGISTER_R12D, ZYDIS_REGISTER_R13D, ZYDIS_REGISTER_R14D, ZYDIS_REGISTER_R15D,
};
static const ZydisRegister zr16[16] = {
    ZYDIS_REGISTER_AX, ZYDIS_REGISTER_CX, ZYDIS_REGISTER_DX, ZYDIS_REGISTER_BX,
    ZYDIS_REGISTER_SP, ZYDIS_REGISTER_BP, ZYDIS_REGISTER_SI, ZYDIS_REGISTER_DI,
    ZYDIS_REGISTER_R8W, ZYDIS_REGISTER_R9W, ZYDIS_REGISTER_R10W, ZYDIS_REGISTER_R11W,
    ZYDIS_REGISTER_R12W, ZYDIS_REGISTER_R13W, ZYDIS_REGISTER_R14W, ZYDIS_REGISTER_R15W,
};
static const ZydisRegister zr8[16] = {
    ZYDIS_REGISTER_AL, ZYDIS_REGISTER_CL, ZYDIS_REGISTER_DL, ZYDIS_REGISTER_BL,
    ZYDIS_REGISTER_SPL, ZYDIS_REGISTER_BPL, ZYDIS_REGISTER_SIL, ZYDIS_REGISTER_DIL,
    ZYDIS_REGISTER_R8B, ZYDIS_REGISTER_R9B, ZYDIS_REGISTER_R10B, ZYDIS_REGISTER_R11B,
    ZYDIS_REGISTER_R12B, ZYDIS_REGISTER_R13B, ZYDIS_REGISTER_R14B, ZYDIS_REGISTER_R15B,
};
static const ZydisRegister zr8h[4] = {
    ZYDIS_REGISTER_AH, ZYDIS_REGISTER_CH, ZYDIS_REGISTER_DH, ZYDIS_REGISTER_BH,
};

static ZydisRegister zreg(int size, int r)
{
    if (r == HR_NONE)
        return ZYDIS_REGISTER_NONE;
    if (r == HR_RIP)
        return ZYDIS_REGISTER_RIP;
    if (r >= HR_AH)
        return size == 1 ? zr8h[r - HR_AH] : ZYDIS_REGISTER_NONE;
    switch (size) {
    case 1: return zr8[r];
    case 2: return zr16[r];
    case 4: return zr32[r];
    case 16: return (ZydisRegister)(ZYDIS_REGISTER_XMM0 + r);   /* XMM0..XMM15 are consecutive */
    default: return zr64[r];
    }
}

/* ---- what a test asks for ---- */

typedef struct Want {
    char kind;      /* 'r' register, 'm' memory, 'a' memory without a size check (LEA, NOP),
                       'i' immediate, 'j' branch target */
    int size;       /* operand size in bytes */
    int reg;
    EmitMem mem;
    int64_t imm;    /* 'i': value; 'j': target offset from the buffer start */
} Want;

#define WR(s, r) ((Want){ 'r', (s), (r), { 0, 0, 0, 0 }, 0 })
#define WM(s, m) ((Want){ 'm', (s), 0, (m), 0 })
#define WA(m) ((Want){ 'a', 0, 0, (m), 0 })
#define WI(s, v) ((Want){ 'i', (s), 0, { 0, 0, 0, 0 }, (int64_t)(v) })
#define WJ(off) ((Want){ 'j', 0, 0, { 0, 0, 0, 0 }, (int64_t)(off) })

enum { BUF = 64 };

typedef struct T {
    ZydisDecoder dec;
    uint8_t buf[BUF];
    Emitter e;
    long checked, bad;
} T;

static T *t_new(void)
{
    T *t = calloc(1, sizeof(*t));
    ck_assert_ptr_nonnull(t);
    ZydisDecoderInit(&t->dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    return t;
}

/* Starts a new single-instruction emission. */
static Emitter *E(T *t)
{
    emit_init(&t->e, t->buf, BUF, 0);
    return &t->e;
}

static uint64_t mask(int size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

static bool mem_same(const ZydisDecodedOperand *op, EmitMem m)
{
    if (op->mem.base != zreg(8, m.base) || op->mem.index != zreg(8, m.index))
        return false;
    if (m.index == HR_NONE ? op->mem.scale > 1 : op->mem.scale != 1u << m.scale)
        return false;
    int64_t disp = op->mem.disp.has_displacement ? op->mem.disp.value : 0;
    return disp == m.disp;
}

/* The shortest displacement field: none for [reg] (but rbp/r13 need one), disp8 when it fits,
 * always disp32 without a base or RIP-relative. */
static int disp_bits(EmitMem m)
{
    if (m.base == HR_NONE || m.base == HR_RIP)
        return 32;
    if (m.disp == 0 && (m.base & 7) != 5)
        return 0;
    return emit_fits_i8(m.disp) ? 8 : 32;
}

static const char *op_mismatch(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *op,
                               const Want *w, uint64_t runtime)
{
    switch (w->kind) {
    case 'r':
        if (op->type != ZYDIS_OPERAND_TYPE_REGISTER)
            return "not a register";
        if (op->reg.value != zreg(w->size, w->reg))
            return "register";
        if (op->size != w->size * 8)
            return "register size";
        return NULL;
    case 'm':
    case 'a':
        if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
            return "not memory";
        if (w->kind == 'm' && op->size != w->size * 8)
            return "memory size";
        if (!mem_same(op, w->mem))
            return "memory operand";
        return zi->raw.disp.size == disp_bits(w->mem) ? NULL : "displacement not the shortest";
    case 'i':
        if (op->type != ZYDIS_OPERAND_TYPE_IMMEDIATE || op->imm.is_relative)
            return "not an immediate";
        return ((op->imm.value.u ^ (uint64_t)w->imm) & mask(w->size)) ? "immediate" : NULL;
    case 'j': {
        ZyanU64 abs;
        if (op->type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !op->imm.is_relative)
            return "not relative";
        if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(zi, op, runtime, &abs)))
            return "no target";
        return abs == runtime + (uint64_t)w->imm ? NULL : "branch target";
    }
    }
    return "bad want";
}

/* Decodes what was emitted since E() (at `runtime`, the address it would run at) and compares. */
static void expect_at(T *t, uint64_t runtime, ZydisMnemonic mn, const Want *w, int n, int line)
{
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
    size_t len = emit_size(&t->e);
    const char *why = NULL;
    t->checked++;
    if (t->e.failed)
        why = "emitter failed";
    else if (ZYAN_FAILED(ZydisDecoderDecodeFull(&t->dec, t->buf, len, &zi, op)))
        why = "does not decode";
    else if (zi.length != len)
        why = "length";
    else if (zi.mnemonic != mn)
        why = "mnemonic";
    else if (zi.operand_count_visible != n)
        why = "operand count";
    for (int i = 0; !why && i < n; i++)
        why = op_mismatch(&zi, &op[i], &w[i], runtime);
    if (!why)
        return;
    if (t->bad++ < 20) {
        fprintf(stderr, "line %d: %s (want %s):", line, why, ZydisMnemonicGetString(mn));
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, " %02x", t->buf[i]);
        fprintf(stderr, "\n");
    }
}

#define EXPECT(t, mn, ...) \
    expect_at((t), (uint64_t)(uintptr_t)(t)->buf, (mn), (const Want[]){ __VA_ARGS__ }, \
              (int)(sizeof((const Want[]){ __VA_ARGS__ }) / sizeof(Want)), __LINE__)
#define EXPECT0(t, mn) expect_at((t), (uint64_t)(uintptr_t)(t)->buf, (mn), NULL, 0, __LINE__)

static void t_done(T *t, long at_least)
{
    printf("%ld encodings checked\n", t->checked);
    ck_assert_int_eq(t->bad, 0);
    ck_assert_int_ge(t->checked, at_least);
    free(t);
}

/* ---- operand sets ---- */

static const int sizes[4] = { 1, 2, 4, 8 };
static const int32_t disps[] = { 0, 1, -1, 0x7f, -0x80, 0x80, -0x81, 0x12345678, INT32_MIN };
#define NDISP ((int)(sizeof(disps) / sizeof(disps[0])))

/* Registers valid as an operand of `size`: all 16, plus AH..BH for bytes. */
static int nregs(int size) { return size == 1 ? 20 : 16; }
static int reg_at(int i) { return i < 16 ? i : HR_AH + (i - 16); }

/* AH..BH cannot meet anything that needs a REX prefix. */
static bool needs_rex8(int r) { return r >= 4 && r < 16; }
static bool pair_ok(int size, int a, int b)
{
    if (size != 1)
        return true;
    bool high = a >= HR_AH || b >= HR_AH;
    return !high || (!needs_rex8(a) && !needs_rex8(b));
}
static bool mem_ok(int size, int r, EmitMem m)
{
    if (size != 1 || r < HR_AH)
        return true;
    return (m.base >= HR_NONE || m.base < 8) && (m.index == HR_NONE || m.index < 8);
}

typedef struct Mems {
    int n;
    EmitMem m[10000];
} Mems;

/* Every base (none, rip, 16 registers) x index (none, 15 registers) x scale x displacement. */
static Mems *mems_full(void)
{
    Mems *s = malloc(sizeof(*s));
    ck_assert_ptr_nonnull(s);
    s->n = 0;
    for (int b = -2; b < 16; b++) {
        int base = b == -2 ? HR_NONE : b == -1 ? HR_RIP : b;
        for (int x = -1; x < 16; x++) {
            if (x == HR_RSP || (base == HR_RIP && x >= 0))
                continue;
            int index = x < 0 ? HR_NONE : x;
            for (int sc = 0; sc < (x < 0 ? 1 : 4); sc++)
                for (int d = 0; d < NDISP; d++)
                    s->m[s->n++] = emit_mem_idx(base, index, sc, disps[d]);
        }
    }
    ck_assert_int_le(s->n, 10000);
    return s;
}

/* A smaller set that still has every base, every index, every scale and each disp kind. */
static Mems *mems_small(void)
{
    Mems *s = malloc(sizeof(*s));
    ck_assert_ptr_nonnull(s);
    s->n = 0;
    static const int32_t d3[3] = { 0, -0x80, 0x12345 };
    for (int b = -2; b < 16; b++) {
        int base = b == -2 ? HR_NONE : b == -1 ? HR_RIP : b;
        for (int d = 0; d < 3; d++)
            s->m[s->n++] = emit_mem(base, d3[d]);
    }
    static const int bases[6] = { HR_NONE, HR_RAX, HR_RSP, HR_RBP, HR_R12, HR_R13 };
    int k = 0;
    for (int x = 0; x < 16; x++) {
        if (x == HR_RSP)
            continue;
        for (int b = 0; b < 6; b++, k++)
            s->m[s->n++] = emit_mem_idx(bases[b], x, k & 3, disps[k % NDISP]);
    }
    return s;
}

/* ---- data movement ---- */

START_TEST(emit_mov_every_register_size_and_memory_operand_decodes_back)
{
    T *t = t_new();
    Mems *full = mems_full();
    for (int si = 0; si < 4; si++) {
        int s = sizes[si];
        for (int i = 0; i < nregs(s); i++) {
            int a = reg_at(i);
            for (int j = 0; j < nregs(s); j++) {
                int b = reg_at(j);
                if (!pair_ok(s, a, b))
                    continue;
                emit_mov_rr(E(t), s, a, b);
                EXPECT(t, ZYDIS_MNEMONIC_MOV, WR(s, a), WR(s, b));
            }
            for (int k = 0; k < full->n; k++) {
                EmitMem m = full->m[k];
                if (!mem_ok(s, a, m))
                    continue;
                emit_mov_rm(E(t), s, a, m);
                EXPECT(t, ZYDIS_MNEMONIC_MOV, WR(s, a), WM(s, m));
                emit_mov_mr(E(t), s, m, a);
                EXPECT(t, ZYDIS_MNEMONIC_MOV, WM(s, m), WR(s, a));
            }
        }
    }
    free(full);
    t_done(t, 500000);
}
END_TEST

START_TEST(emit_mov_immediates_pick_a_form_that_loads_the_value)
{
    static const uint64_t imms[] = { 0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000,
                                     0xffffffff, 0x100000000, 0xffffffff80000000,
                                     0xffffffffffffffff, 0x123456789abcdef0, 0x8000000000000000 };
    T *t = t_new();
    Mems *small = mems_small();
    for (int si = 0; si < 4; si++) {
        int s = sizes[si];
        for (size_t k = 0; k < sizeof(imms) / sizeof(imms[0]); k++) {
            uint64_t v = imms[k] & mask(s);
            for (int i = 0; i < nregs(s); i++) {
                int r = reg_at(i);
                emit_mov_ri(E(t), s, r, v);
                if (s != 8 || v <= 0xffffffffu) {
                    /* 8, 16, 32 bits; 64 bits as the zero-extending 32-bit move */
                    int ds = s == 8 ? 4 : s;
                    EXPECT(t, ZYDIS_MNEMONIC_MOV, WR(ds, r), WI(ds, v));
                } else {
                    /* the sign-extended imm32 form or movabs: both load v into the 64-bit reg */
                    EXPECT(t, ZYDIS_MNEMONIC_MOV, WR(8, r), WI(8, v));
                    ck_assert_int_eq(emit_size(&t->e), emit_fits_i32((int64_t)v) ? 7 : 10);
                }
            }
            if (s == 8 && !emit_fits_i32((int64_t)imms[k]))
                continue;
            for (int m = 0; m < small->n; m++) {
                emit_mov_mi(E(t), s, small->m[m], v);
                EXPECT(t, ZYDIS_MNEMONIC_MOV, WM(s, small->m[m]), WI(s, v));
            }
        }
    }
    for (int r = 0; r < 16; r++) {
        for (size_t k = 0; k < sizeof(imms) / sizeof(imms[0]); k++) {
            emit_movabs(E(t), r, imms[k]);
            EXPECT(t, ZYDIS_MNEMONIC_MOV, WR(8, r), WI(8, imms[k]));
            ck_assert_int_eq(emit_size(&t->e), 10);
        }
    }
    free(small);
    t_done(t, 8000);
}
END_TEST

START_TEST(emit_movzx_movsx_movsxd_lea_decode_back)
{
    T *t = t_new();
    Mems *full = mems_full();
    Mems *small = mems_small();
    for (int ext = 0; ext < 2; ext++) {
        ZydisMnemonic mn = ext ? ZYDIS_MNEMONIC_MOVSX : ZYDIS_MNEMONIC_MOVZX;
        for (int ds = 2; ds <= 8; ds *= 2) {
            for (int ss = 1; ss < ds && ss <= 2; ss *= 2) {
                for (int d = 0; d < 16; d++) {
                    for (int i = 0; i < nregs(ss); i++) {
                        int sr = reg_at(i);
                        if (sr >= HR_AH && (d >= 8 || ds == 8))
                            continue;   /* r8..r15 and REX.W need a REX, which hides AH..BH */
                        if (ext)
                            emit_movsx_rr(E(t), ds, d, ss, sr);
                        else
                            emit_movzx_rr(E(t), ds, d, ss, sr);
                        EXPECT(t, mn, WR(ds, d), WR(ss, sr));
                    }
                    for (int k = 0; k < small->n; k++) {
                        if (ext)
                            emit_movsx_rm(E(t), ds, d, ss, small->m[k]);
                        else
                            emit_movzx_rm(E(t), ds, d, ss, small->m[k]);
                        EXPECT(t, mn, WR(ds, d), WM(ss, small->m[k]));
                    }
                }
            }
        }
    }
    for (int d = 0; d < 16; d++) {
        for (int s = 0; s < 16; s++) {
            emit_movsxd_rr(E(t), d, s);
            EXPECT(t, ZYDIS_MNEMONIC_MOVSXD, WR(8, d), WR(4, s));
        }
        for (int k = 0; k < small->n; k++) {
            emit_movsxd_rm(E(t), d, small->m[k]);
            EXPECT(t, ZYDIS_MNEMONIC_MOVSXD, WR(8, d), WM(4, small->m[k]));
        }
    }
    for (int s = 2; s <= 8; s *= 2)
        for (int d = 0; d < 16; d++)
            for (int k = 0; k < full->n; k++) {
                emit_lea(E(t), s, d, full->m[k]);
                EXPECT(t, ZYDIS_MNEMONIC_LEA, WR(s, d), WA(full->m[k]));
            }
    free(full);
    free(small);
    t_done(t, 400000);
}
END_TEST

/* ---- SSE2 (jit/emit_sse.h) ---- */

START_TEST(emit_sse_movdqu_packed_ops_pmovmskb_decode_back)
{
    T *t = t_new();
    Mems *full = mems_full();
    static const struct { uint8_t op; ZydisMnemonic mn; } packed[] = {
        { 0xfc, ZYDIS_MNEMONIC_PADDB }, { 0xfd, ZYDIS_MNEMONIC_PADDW }, { 0xfe, ZYDIS_MNEMONIC_PADDD },
        { 0xd4, ZYDIS_MNEMONIC_PADDQ }, { 0xf8, ZYDIS_MNEMONIC_PSUBB }, { 0xf9, ZYDIS_MNEMONIC_PSUBW },
        { 0xfa, ZYDIS_MNEMONIC_PSUBD }, { 0xfb, ZYDIS_MNEMONIC_PSUBQ }, { 0xec, ZYDIS_MNEMONIC_PADDSB },
        { 0xed, ZYDIS_MNEMONIC_PADDSW }, { 0xe8, ZYDIS_MNEMONIC_PSUBSB }, { 0xe9, ZYDIS_MNEMONIC_PSUBSW },
        { 0xdc, ZYDIS_MNEMONIC_PADDUSB }, { 0xdd, ZYDIS_MNEMONIC_PADDUSW },
        { 0xd8, ZYDIS_MNEMONIC_PSUBUSB }, { 0xd9, ZYDIS_MNEMONIC_PSUBUSW },
        { 0xd5, ZYDIS_MNEMONIC_PMULLW }, { 0xe5, ZYDIS_MNEMONIC_PMULHW }, { 0xe4, ZYDIS_MNEMONIC_PMULHUW },
        { 0xdb, ZYDIS_MNEMONIC_PAND }, { 0xdf, ZYDIS_MNEMONIC_PANDN }, { 0xeb, ZYDIS_MNEMONIC_POR },
        { 0xef, ZYDIS_MNEMONIC_PXOR }, { 0x74, ZYDIS_MNEMONIC_PCMPEQB }, { 0x75, ZYDIS_MNEMONIC_PCMPEQW },
        { 0x76, ZYDIS_MNEMONIC_PCMPEQD }, { 0x64, ZYDIS_MNEMONIC_PCMPGTB }, { 0x65, ZYDIS_MNEMONIC_PCMPGTW },
        { 0x66, ZYDIS_MNEMONIC_PCMPGTD }, { 0xe0, ZYDIS_MNEMONIC_PAVGB }, { 0xe3, ZYDIS_MNEMONIC_PAVGW },
        { 0xda, ZYDIS_MNEMONIC_PMINUB }, { 0xde, ZYDIS_MNEMONIC_PMAXUB }, { 0xea, ZYDIS_MNEMONIC_PMINSW },
        { 0xee, ZYDIS_MNEMONIC_PMAXSW },
    };
    for (int x = 0; x < 16; x++) {
        for (int k = 0; k < full->n; k++) {
            emit_movdqu_xm(E(t), x, full->m[k]);
            EXPECT(t, ZYDIS_MNEMONIC_MOVDQU, WR(16, x), WM(16, full->m[k]));
            emit_movdqu_mx(E(t), full->m[k], x);
            EXPECT(t, ZYDIS_MNEMONIC_MOVDQU, WM(16, full->m[k]), WR(16, x));
        }
        for (int y = 0; y < 16; y++) {
            for (size_t i = 0; i < sizeof(packed) / sizeof(packed[0]); i++) {
                emit_packed_xx(E(t), packed[i].op, x, y);
                EXPECT(t, packed[i].mn, WR(16, x), WR(16, y));
            }
            emit_pmovmskb_rx(E(t), x, y);
            EXPECT(t, ZYDIS_MNEMONIC_PMOVMSKB, WR(4, x), WR(16, y));
        }
    }
    free(full);
    t_done(t, 200000);
}
END_TEST

/* ---- arithmetic ---- */

static const ZydisMnemonic alu_mn[8] = {
    ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_OR, ZYDIS_MNEMONIC_ADC, ZYDIS_MNEMONIC_SBB,
    ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_SUB, ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_CMP,
};
static const int64_t alu_imms[] = { 0, 1, -1, 0x7f, -0x80, 0x80, -0x81, 0x7fff, -0x8000,
                                    0x7fffffff, INT32_MIN, 0x12345678 };
#define NIMM ((int)(sizeof(alu_imms) / sizeof(alu_imms[0])))

/* The immediate as the instruction of `size` holds it (sign-extended from its width). */
static int64_t imm_for(int size, int64_t v) { return size == 8 ? v : (int64_t)((uint64_t)v & mask(size)); }

/* Size in bits of the immediate field the emitter should pick. */
static int imm_field_bits(int size, int64_t v)
{
    if (size != 1 && emit_fits_i8(v))
        return 8;
    return size == 8 ? 32 : size * 8;
}

static void check_imm_field(T *t, int size, int64_t v, int line)
{
    ZydisDecodedInstruction zi;
    if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(&t->dec, NULL, t->buf, emit_size(&t->e), &zi)))
        return;   /* reported by EXPECT */
    if (zi.raw.imm[0].size != imm_field_bits(size, v) && t->bad++ < 20)
        fprintf(stderr, "line %d: imm field %d bits for size %d value %lld\n", line,
                zi.raw.imm[0].size, size, (long long)v);
}

START_TEST(emit_alu_all_operations_forms_registers_and_immediates_decode_back)
{
    T *t = t_new();
    Mems *small = mems_small();
    for (int op = 0; op < 8; op++) {
        ZydisMnemonic mn = alu_mn[op];
        for (int si = 0; si < 4; si++) {
            int s = sizes[si];
            for (int i = 0; i < nregs(s); i++) {
                int a = reg_at(i);
                for (int j = 0; j < nregs(s); j++) {
                    int b = reg_at(j);
                    if (!pair_ok(s, a, b))
                        continue;
                    emit_alu_rr(E(t), op, s, a, b);
                    EXPECT(t, mn, WR(s, a), WR(s, b));
                }
                for (int k = 0; k < small->n; k++) {
                    EmitMem m = small->m[k];
                    if (!mem_ok(s, a, m))
                        continue;
                    emit_alu_rm(E(t), op, s, a, m);
                    EXPECT(t, mn, WR(s, a), WM(s, m));
                    emit_alu_mr(E(t), op, s, m, a);
                    EXPECT(t, mn, WM(s, m), WR(s, a));
                }
                for (int k = 0; k < NIMM; k++) {
                    int64_t v = imm_for(s, alu_imms[k]);
                    if (s == 1)
                        v = (int8_t)v;
                    else if (s == 2)
                        v = (int16_t)v;
                    else if (s == 4)
                        v = (int32_t)v;
                    emit_alu_ri(E(t), op, s, a, v);
                    EXPECT(t, mn, WR(s, a), WI(s, v));
                    check_imm_field(t, s, v, __LINE__);
                }
            }
            for (int k = 0; k < small->n; k += 3)
                for (int x = 0; x < NIMM; x++) {
                    int64_t v = s == 1 ? (int8_t)alu_imms[x] : s == 2 ? (int16_t)alu_imms[x] :
                                s == 4 ? (int32_t)alu_imms[x] : alu_imms[x];
                    emit_alu_mi(E(t), op, s, small->m[k], v);
                    EXPECT(t, mn, WM(s, small->m[k]), WI(s, v));
                    check_imm_field(t, s, v, __LINE__);
                }
        }
    }
    free(small);
    t_done(t, 100000);
}
END_TEST

START_TEST(emit_test_unary_mul_div_xchg_decode_back)
{
    static const ZydisMnemonic un_mn[7] = { ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC,
                                            ZYDIS_MNEMONIC_NOT, ZYDIS_MNEMONIC_NEG,
                                            ZYDIS_MNEMONIC_MUL, ZYDIS_MNEMONIC_IMUL,
                                            ZYDIS_MNEMONIC_DIV };
    T *t = t_new();
    Mems *small = mems_small();
    for (int si = 0; si < 4; si++) {
        int s = sizes[si];
        for (int i = 0; i < nregs(s); i++) {
            int a = reg_at(i);
            for (int j = 0; j < nregs(s); j++) {
                int b = reg_at(j);
                if (!pair_ok(s, a, b))
                    continue;
                emit_test_rr(E(t), s, a, b);
                EXPECT(t, ZYDIS_MNEMONIC_TEST, WR(s, a), WR(s, b));
                emit_xchg_rr(E(t), s, a, b);
                EXPECT(t, ZYDIS_MNEMONIC_XCHG, WR(s, a), WR(s, b));
            }
            for (int k = 0; k < NIMM; k++) {
                int64_t v = s == 1 ? (int8_t)alu_imms[k] : s == 2 ? (int16_t)alu_imms[k] :
                            s == 4 ? (int32_t)alu_imms[k] : alu_imms[k];
                emit_test_ri(E(t), s, a, v);
                EXPECT(t, ZYDIS_MNEMONIC_TEST, WR(s, a), WI(s, v));
            }
            for (int op = 0; op < 7; op++) {
                emit_unary_r(E(t), op, s, a);
                EXPECT(t, un_mn[op], WR(s, a));
            }
            for (int k = 0; k < small->n; k++) {
                EmitMem m = small->m[k];
                if (!mem_ok(s, a, m))
                    continue;
                emit_test_mr(E(t), s, m, a);
                EXPECT(t, ZYDIS_MNEMONIC_TEST, WM(s, m), WR(s, a));
                emit_xchg_mr(E(t), s, m, a);
                EXPECT(t, ZYDIS_MNEMONIC_XCHG, WM(s, m), WR(s, a));
            }
        }
        for (int k = 0; k < small->n; k++) {
            EmitMem m = small->m[k];
            for (int op = 0; op < 7; op++) {
                emit_unary_m(E(t), op, s, m);
                EXPECT(t, un_mn[op], WM(s, m));
            }
            int64_t v = s == 1 ? -5 : s == 2 ? 0x1234 : 0x12345678;
            emit_test_mi(E(t), s, m, v);
            EXPECT(t, ZYDIS_MNEMONIC_TEST, WM(s, m), WI(s, v));
        }
    }
    free(small);
    t_done(t, 20000);
}
END_TEST

START_TEST(emit_shifts_rotates_by_one_imm_and_cl_decode_back)
{
    static const int ops[7] = { EMIT_ROL, EMIT_ROR, EMIT_RCL, EMIT_RCR, EMIT_SHL, EMIT_SHR, EMIT_SAR };
    static const ZydisMnemonic mns[7] = { ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR, ZYDIS_MNEMONIC_RCL,
                                          ZYDIS_MNEMONIC_RCR, ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR,
                                          ZYDIS_MNEMONIC_SAR };
    static const uint8_t counts[4] = { 0, 2, 31, 63 };
    T *t = t_new();
    Mems *small = mems_small();
    for (int o = 0; o < 7; o++) {
        for (int si = 0; si < 4; si++) {
            int s = sizes[si];
            for (int i = 0; i < nregs(s); i++) {
                int r = reg_at(i);
                emit_shift_r1(E(t), ops[o], s, r);
                EXPECT(t, mns[o], WR(s, r), WI(1, 1));
                ck_assert_int_eq(t->buf[emit_size(&t->e) - 2] | 1, 0xd1);   /* D0/D1: no imm8 */
                emit_shift_rcl(E(t), ops[o], s, r);
                EXPECT(t, mns[o], WR(s, r), WR(1, HR_RCX));
                for (int c = 0; c < 4; c++) {
                    emit_shift_ri(E(t), ops[o], s, r, counts[c]);
                    EXPECT(t, mns[o], WR(s, r), WI(1, counts[c]));
                }
            }
            for (int k = 0; k < small->n; k++) {
                EmitMem m = small->m[k];
                emit_shift_m1(E(t), ops[o], s, m);
                EXPECT(t, mns[o], WM(s, m), WI(1, 1));
                emit_shift_mcl(E(t), ops[o], s, m);
                EXPECT(t, mns[o], WM(s, m), WR(1, HR_RCX));
                emit_shift_mi(E(t), ops[o], s, m, 5);
                EXPECT(t, mns[o], WM(s, m), WI(1, 5));
            }
        }
    }
    free(small);
    t_done(t, 14000);
}
END_TEST

START_TEST(emit_imul_bt_bsf_decode_back)
{
    T *t = t_new();
    Mems *small = mems_small();
    for (int s = 2; s <= 8; s *= 2) {
        for (int a = 0; a < 16; a++) {
            for (int b = 0; b < 16; b++) {
                emit_imul_rr(E(t), s, a, b);
                EXPECT(t, ZYDIS_MNEMONIC_IMUL, WR(s, a), WR(s, b));
                emit_bt_rr(E(t), s, a, b);
                EXPECT(t, ZYDIS_MNEMONIC_BT, WR(s, a), WR(s, b));
                emit_bsf_rr(E(t), s, a, b);
                EXPECT(t, ZYDIS_MNEMONIC_BSF, WR(s, a), WR(s, b));
                for (int k = 0; k < NIMM; k++) {
                    int64_t v = s == 2 ? (int16_t)alu_imms[k] : s == 4 ? (int32_t)alu_imms[k] : alu_imms[k];
                    emit_imul_rri(E(t), s, a, b, v);
                    EXPECT(t, ZYDIS_MNEMONIC_IMUL, WR(s, a), WR(s, b), WI(s, v));
                    check_imm_field(t, s, v, __LINE__);
                }
            }
            emit_bt_ri(E(t), s, a, 13);
            EXPECT(t, ZYDIS_MNEMONIC_BT, WR(s, a), WI(1, 13));
            for (int k = 0; k < small->n; k++) {
                EmitMem m = small->m[k];
                emit_imul_rm(E(t), s, a, m);
                EXPECT(t, ZYDIS_MNEMONIC_IMUL, WR(s, a), WM(s, m));
                emit_imul_rmi(E(t), s, a, m, -3);
                EXPECT(t, ZYDIS_MNEMONIC_IMUL, WR(s, a), WM(s, m), WI(s, -3));
                emit_imul_rmi(E(t), s, a, m, 1000);
                EXPECT(t, ZYDIS_MNEMONIC_IMUL, WR(s, a), WM(s, m), WI(s, 1000));
                emit_bt_mr(E(t), s, m, a);
                EXPECT(t, ZYDIS_MNEMONIC_BT, WM(s, m), WR(s, a));
            }
        }
        for (int k = 0; k < small->n; k++) {
            emit_bt_mi(E(t), s, small->m[k], 7);
            EXPECT(t, ZYDIS_MNEMONIC_BT, WM(s, small->m[k]), WI(1, 7));
        }
    }
    free(small);
    t_done(t, 20000);
}
END_TEST

/* The one-operand forms whose operand is always 64-bit: PUSH, POP, CALL, JMP (register, memory). */
static const struct {
    void (*r)(Emitter *, int);
    void (*m)(Emitter *, EmitMem);
    ZydisMnemonic mn;
} qword_forms[4] = {
    { emit_push_r, emit_push_m, ZYDIS_MNEMONIC_PUSH },
    { emit_pop_r, emit_pop_m, ZYDIS_MNEMONIC_POP },
    { emit_call_r, emit_call_m, ZYDIS_MNEMONIC_CALL },
    { emit_jmp_r, emit_jmp_m, ZYDIS_MNEMONIC_JMP },
};

START_TEST(emit_push_pop_call_jmp_and_one_byte_forms_decode_back)
{
    T *t = t_new();
    Mems *small = mems_small();
    for (int f = 0; f < 4; f++) {
        for (int r = 0; r < 16; r++) {
            qword_forms[f].r(E(t), r);
            EXPECT(t, qword_forms[f].mn, WR(8, r));
        }
        for (int k = 0; k < small->n; k++) {
            qword_forms[f].m(E(t), small->m[k]);
            EXPECT(t, qword_forms[f].mn, WM(8, small->m[k]));
        }
    }
    for (int k = 0; k < NIMM; k++) {
        int32_t v = (int32_t)alu_imms[k];
        emit_push_i(E(t), v);
        EXPECT(t, ZYDIS_MNEMONIC_PUSH, WI(8, v));
        ck_assert_int_eq(emit_size(&t->e), emit_fits_i8(v) ? 2 : 5);
    }
    emit_pushfq(E(t));
    EXPECT0(t, ZYDIS_MNEMONIC_PUSHFQ);
    emit_popfq(E(t));
    EXPECT0(t, ZYDIS_MNEMONIC_POPFQ);
    emit_lahf(E(t));
    EXPECT0(t, ZYDIS_MNEMONIC_LAHF);
    emit_sahf(E(t));
    EXPECT0(t, ZYDIS_MNEMONIC_SAHF);
    emit_ret(E(t));
    EXPECT0(t, ZYDIS_MNEMONIC_RET);
    free(small);
    t_done(t, 300);
}
END_TEST

/* ---- conditions and branches ---- */

static const ZydisMnemonic jcc_mn[16] = {
    ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB,
    ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
    ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
    ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE,
};
static const ZydisMnemonic set_mn[16] = {
    ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNB,
    ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
    ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
    ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE,
};
static const ZydisMnemonic cmov_mn[16] = {
    ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVNB,
    ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
    ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
    ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE,
};

START_TEST(emit_setcc_cmov_every_condition_decode_back)
{
    T *t = t_new();
    Mems *small = mems_small();
    for (int cc = 0; cc < 16; cc++) {
        for (int i = 0; i < 20; i++) {
            emit_setcc_r(E(t), cc, reg_at(i));
            EXPECT(t, set_mn[cc], WR(1, reg_at(i)));
        }
        for (int k = 0; k < small->n; k++) {
            emit_setcc_m(E(t), cc, small->m[k]);
            EXPECT(t, set_mn[cc], WM(1, small->m[k]));
        }
        for (int s = 2; s <= 8; s *= 2)
            for (int a = 0; a < 16; a++) {
                for (int b = 0; b < 16; b++) {
                    emit_cmov_rr(E(t), cc, s, a, b);
                    EXPECT(t, cmov_mn[cc], WR(s, a), WR(s, b));
                }
                for (int k = 0; k < small->n; k += 7) {
                    emit_cmov_rm(E(t), cc, s, a, small->m[k]);
                    EXPECT(t, cmov_mn[cc], WR(s, a), WM(s, small->m[k]));
                }
            }
    }
    free(small);
    t_done(t, 10000);
}
END_TEST

/* Branches are emitted at offset `at` of a large buffer towards offset `to`. */
START_TEST(emit_jmp_jcc_pick_rel8_or_rel32_and_reach_the_target)
{
    enum { BIG = 1 << 20 };
    static const long dists[] = { 0, 2, -2, 127, 128, 129, 130, -126, -127, -128, -129, -130,
                                  1000, -1000, 500000, -500000 };
    T *t = t_new();
    uint8_t *big = malloc(BIG);
    ck_assert_ptr_nonnull(big);
    for (size_t k = 0; k < sizeof(dists) / sizeof(dists[0]); k++) {
        long at = BIG / 2, to = at + dists[k];
        for (int cc = -1; cc < 16; cc++) {
            Emitter e;
            emit_init(&e, big, BIG, 0);
            e.p = big + at;
            if (cc < 0)
                emit_jmp(&e, big + to);
            else
                emit_jcc(&e, cc, big + to);
            size_t len = (size_t)(e.p - (big + at));
            long rel8 = to - (at + 2);
            ck_assert_uint_eq(len, rel8 >= -128 && rel8 <= 127 ? 2 : cc < 0 ? 5 : 6);
            /* decode it at its own address */
            memcpy(t->buf, big + at, len);
            emit_init(&t->e, t->buf, BUF, 0);
            t->e.p += len;
            expect_at(t, (uint64_t)(uintptr_t)(big + at), cc < 0 ? ZYDIS_MNEMONIC_JMP : jcc_mn[cc],
                      (const Want[]){ WJ(to - at) }, 1, __LINE__);
        }
    }
    free(big);
    t_done(t, 200);
}
END_TEST

START_TEST(emit_labels_patch_forward_references_short_and_near)
{
    T *t = t_new();
    uint8_t code[4096];
    for (int pad = 0; pad < 300; pad += 7) {
        Emitter e;
        emit_init(&e, code, sizeof(code), 0);
        EmitLabel fwd, back;
        emit_label_init(&fwd);
        emit_label_init(&back);
        emit_label_bind(&e, &back);
        uint8_t *j[4];
        j[0] = e.p;
        emit_jcc_label(&e, EMIT_CC_NE, &fwd, false);
        j[1] = e.p;
        emit_jmp_label(&e, &fwd, false);
        j[2] = e.p;
        emit_jcc_label(&e, EMIT_CC_B, &fwd, pad < 100);
        j[3] = e.p;
        emit_jmp_label(&e, &fwd, pad < 100);
        uint8_t *last = e.p;
        emit_nop(&e, (size_t)pad);
        uint8_t *target = e.p;
        emit_label_bind(&e, &fwd);
        emit_jcc_label(&e, EMIT_CC_E, &back, true);   /* bound: backward, shortest form */
        uint8_t *end = e.p;
        ck_assert(!e.failed);
        ck_assert_ptr_eq(fwd.at, target);
        static const ZydisMnemonic mn[4] = { ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JMP,
                                             ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JMP };
        for (int i = 0; i < 4; i++) {
            size_t len = (size_t)((i < 3 ? j[i + 1] : last) - j[i]);
            memcpy(t->buf, j[i], len);
            emit_init(&t->e, t->buf, BUF, 0);
            t->e.p += len;
            expect_at(t, (uint64_t)(uintptr_t)j[i], mn[i], (const Want[]){ WJ(target - j[i]) }, 1,
                      __LINE__);
        }
        size_t len = (size_t)(end - target);
        memcpy(t->buf, target, len);
        emit_init(&t->e, t->buf, BUF, 0);
        t->e.p += len;
        expect_at(t, (uint64_t)(uintptr_t)target, ZYDIS_MNEMONIC_JZ,
                  (const Want[]){ WJ(code - target) }, 1, __LINE__);
    }
    t_done(t, 200);
}
END_TEST

START_TEST(emit_label_short_reference_out_of_range_fails_the_emitter)
{
    uint8_t code[1024];
    Emitter e;
    emit_init(&e, code, sizeof(code), 0);
    EmitLabel l;
    emit_label_init(&l);
    emit_jmp_label(&e, &l, true);
    emit_nop(&e, 200);
    ck_assert(!e.failed);
    emit_label_bind(&e, &l);
    ck_assert(e.failed);
}
END_TEST

static int helper_near(void) { return 1; }

START_TEST(emit_calls_reach_helpers_and_jmp32_patches)
{
    T *t = t_new();
    /* A helper within reach of where the code runs: call rel32 to it. */
    static const intptr_t deltas[] = { 0, 0x1000, -0x7000000 };
    uintptr_t fn = (uintptr_t)helper_near;
    for (size_t k = 0; k < 3; k++) {
        emit_init(&t->e, t->buf, BUF, deltas[k]);
        emit_call(&t->e, helper_near);
        uint64_t runtime = (uint64_t)(uintptr_t)t->buf + (uint64_t)deltas[k];
        int64_t rel = (int64_t)(fn - (runtime + 5));
        if (emit_fits_i32(rel)) {
            expect_at(t, runtime, ZYDIS_MNEMONIC_CALL,
                      (const Want[]){ WJ((int64_t)(fn - runtime)) }, 1, __LINE__);
        }
    }
    /* Out of reach: movabs r11, fn; call r11. */
    emit_init(&t->e, t->buf, BUF, (intptr_t)0x400000000000 - (intptr_t)(uintptr_t)t->buf);
    emit_call(&t->e, helper_near);
    ck_assert_int_eq(emit_size(&t->e), 13);
    size_t total = emit_size(&t->e);
    t->e.p = t->buf + 10;
    EXPECT(t, ZYDIS_MNEMONIC_MOV, WR(8, HR_R11), WI(8, fn));
    memmove(t->buf, t->buf + 10, total - 10);
    t->e.p = t->buf + total - 10;
    EXPECT(t, ZYDIS_MNEMONIC_CALL, WR(8, HR_R11));
    /* jmp rel32 patched later (chaining) */
    uint8_t code[256];
    Emitter e;
    emit_init(&e, code, sizeof(code), 0);
    uint8_t *field = emit_jmp32(&e);
    ck_assert_ptr_eq(field, code + 1);
    emit_patch_rel32(field, code + 200);
    memcpy(t->buf, code, 5);
    emit_init(&t->e, t->buf, BUF, 0);
    t->e.p += 5;
    expect_at(t, (uint64_t)(uintptr_t)code, ZYDIS_MNEMONIC_JMP, (const Want[]){ WJ(200) }, 1,
              __LINE__);
    t_done(t, 3);
}
END_TEST

START_TEST(emit_nop_any_length_decodes_as_nops_and_align_pads)
{
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    uint8_t code[256];
    for (size_t n = 0; n <= 40; n++) {
        Emitter e;
        emit_init(&e, code, sizeof(code), 0);
        emit_nop(&e, n);
        ck_assert_uint_eq(emit_size(&e), n);
        size_t at = 0, insns = 0;
        while (at < n) {
            ZydisDecodedInstruction zi;
            ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
            ck_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + at, n - at, &zi, op)));
            ck_assert_int_eq(zi.mnemonic, ZYDIS_MNEMONIC_NOP);
            at += zi.length;
            insns++;
        }
        ck_assert_uint_eq(at, n);
        ck_assert_uint_eq(insns, (n + 8) / 9);
    }
    for (size_t off = 0; off < 40; off++) {
        Emitter e;
        emit_init(&e, code, sizeof(code), 3);
        e.p += off;
        emit_align(&e, 16);
        ck_assert_uint_eq(((uintptr_t)e.p + 3) % 16, 0);
        ck_assert_uint_lt(emit_size(&e) - off, 16);
    }
}
END_TEST

/* ---- the buffer limit ---- */

START_TEST(emit_overflow_fails_and_never_writes_past_the_buffer)
{
    enum { N = 100, GUARD = 64 };
    uint8_t mem[N + GUARD];
    memset(mem, 0xcc, sizeof(mem));
    Emitter e;
    emit_init(&e, mem, N, 0);
    for (int i = 0; i < 1000; i++) {
        emit_movabs(&e, HR_R9, 0x1122334455667788);
        emit_alu_mi(&e, EMIT_ADD, 8, emit_mem_idx(HR_R13, HR_R12, 3, 0x12345678), 0x7abcdef0);
        emit_nop(&e, 20);
        ck_assert(e.p <= mem + N);
    }
    ck_assert(e.failed);
    for (int i = N; i < N + GUARD; i++)
        ck_assert_int_eq(mem[i], 0xcc);
}
END_TEST

/* ---- the contract header agrees with the emitter ---- */

START_TEST(emit_jit_contract_registers_are_the_emitter_numbers)
{
    ck_assert_int_eq(JIT_REG_CPU, HR_RBP);
    ck_assert_int_eq(JIT_REG_BUDGET, HR_R15);
    ck_assert_int_eq(JIT_REG_SCRATCH, HR_R11);
    /* The TLB of privilege class 1 lies right after class 0 (one disp32 per class). */
    ck_assert_int_eq(JIT_OFF_TLB + JIT_TLB_CLASS_BYTES,
                     (int32_t)(offsetof(Cpu, tlb) + offsetof(Tlb, e[1])));
    ck_assert_int_eq(JIT_OFF_GPR(R_R15), (int32_t)offsetof(Cpu, gpr[15]));
}
END_TEST

/* ---- speed of emission: a printed figure, not an assertion ---- */

START_TEST(emit_speed_is_printed)
{
    enum { SIZE = 1 << 20, ROUNDS = 200 };
    uint8_t *code = malloc(SIZE);
    ck_assert_ptr_nonnull(code);
    struct timespec a, b;
    long insns = 0;
    size_t bytes = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int round = 0; round < ROUNDS; round++) {
        Emitter e;
        emit_init(&e, code, SIZE, 0);
        while (e.p < e.limit - 64) {
            /* a mix like a translated block: loads, ALU, stores, a compare and a branch */
            emit_mov_rm(&e, 8, HR_RAX, emit_mem(HR_RBP, 0x40));
            emit_alu_rr(&e, EMIT_ADD, 4, HR_RAX, HR_RBX);
            emit_alu_ri(&e, EMIT_SUB, 8, HR_R15, 3);
            emit_mov_mr(&e, 8, emit_mem_idx(HR_RAX, HR_R12, 2, -8), HR_R13);
            emit_lea(&e, 8, HR_RCX, emit_mem_idx(HR_RAX, HR_RDX, 0, 7));
            emit_shift_ri(&e, EMIT_SHR, 8, HR_RCX, 7);
            emit_alu_rm(&e, EMIT_CMP, 8, HR_RCX, emit_mem_idx(HR_RBP, HR_RCX, 0, 0x1234));
            emit_jcc(&e, EMIT_CC_NE, e.start);
            insns += 8;
        }
        bytes += emit_size(&e);
        ck_assert(!e.failed);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    printf("emitter: %.2f ns per instruction, %.2f bytes per instruction (%ld instructions)\n",
           ns / (double)insns, (double)bytes / (double)insns, insns);
    free(code);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jit_emit");
    TCase *tc = tcase_create("emit");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, emit_mov_every_register_size_and_memory_operand_decodes_back);
    tcase_add_test(tc, emit_mov_immediates_pick_a_form_that_loads_the_value);
    tcase_add_test(tc, emit_movzx_movsx_movsxd_lea_decode_back);
    tcase_add_test(tc, emit_sse_movdqu_packed_ops_pmovmskb_decode_back);
    tcase_add_test(tc, emit_alu_all_operations_forms_registers_and_immediates_decode_back);
    tcase_add_test(tc, emit_test_unary_mul_div_xchg_decode_back);
    tcase_add_test(tc, emit_shifts_rotates_by_one_imm_and_cl_decode_back);
    tcase_add_test(tc, emit_imul_bt_bsf_decode_back);
    tcase_add_test(tc, emit_push_pop_call_jmp_and_one_byte_forms_decode_back);
    tcase_add_test(tc, emit_setcc_cmov_every_condition_decode_back);
    tcase_add_test(tc, emit_jmp_jcc_pick_rel8_or_rel32_and_reach_the_target);
    tcase_add_test(tc, emit_labels_patch_forward_references_short_and_near);
    tcase_add_test(tc, emit_label_short_reference_out_of_range_fails_the_emitter);
    tcase_add_test(tc, emit_calls_reach_helpers_and_jmp32_patches);
    tcase_add_test(tc, emit_nop_any_length_decodes_as_nops_and_align_pads);
    tcase_add_test(tc, emit_overflow_fails_and_never_writes_past_the_buffer);
    tcase_add_test(tc, emit_jit_contract_registers_are_the_emitter_numbers);
    tcase_add_test(tc, emit_speed_is_printed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
