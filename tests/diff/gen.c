/*
 * gen.c — random user-mode instruction sequences for the differential harness, hand-assembled.
 *
 * A case is 1..ITEMS_MAX items; an item is one instruction or a short template (e.g. "mov cl, n;
 * shl r/m, cl" or the RSI/RDI/RCX set-up of a string instruction).  Near branches only go forward,
 * to the start of a later item or to the end, so every case terminates and no branch lands inside
 * a template.  Memory operands are [base + disp] (sometimes with a 0x67 address-size prefix) where
 * `base` is one register per case that no instruction writes (RBX, RBP or R12..R15), holding an
 * address in the data buffer; RSP is only used by the stack templates.
 *
 * Undefined flags (SDM vol. 1, appendix A, and each instruction's "Flags Affected"): every
 * instruction declares the flags it writes and, of those, the ones the SDM leaves undefined.  The
 * generator tracks the set U of flags undefined at each point (the union over both ways of every
 * forward branch); the comparison masks U, and an instruction that reads a flag in U gets a
 * "cmp r, imm8" (which defines all six) inserted in front of it.  The table:
 *
 *   instruction                     written            undefined
 *   ADD ADC SUB SBB CMP NEG         OSZAPC             -
 *   AND OR XOR TEST                 OSZAPC             AF
 *   INC DEC                         OSZAP              -
 *   SHL SHR SAR, count c (masked)   c=0: none; else SZPC, O if c=1 | AF, OF if c>1, CF if c>=width
 *   ROL ROR                         c=0: none; else CF, OF | OF if c>1
 *   RCL RCR                         c=0: none; else CF, OF | OF if c>1
 *   SHLD SHRD                       c=0: none; else SZAPC, O if c=1 | AF, OF if c>1 (c > width
 *                                   is not generated: the destination is undefined)
 *   MUL IMUL (all forms)            OSZAPC             SZAP
 *   DIV IDIV                        OSZAPC             OSZAPC
 *   BT BTS BTR BTC                  OSAPC              OSAP (ZF unaffected)
 *   BSF BSR                         OSZAPC             OSAPC
 *   LZCNT TZCNT                     OSZAPC             OSAP
 *   POPCNT                          OSZAPC             -
 *   CMPXCHG XADD CMPS SCAS          OSZAPC             - (REP* with RCX = 0: none)
 *   CMPXCHG8B/16B                   Z                  -
 *   SAHF                            SZAPC              -
 *   POPF                            OSZAPC, DF         -
 *   CLC STC CMC                     C                  -
 *   FCOMI FUCOMI FCOMIP FUCOMIP     OSZAPC (OSA = 0)   -
 *   PTEST PCMPxSTRx COMISS UCOMISx  OSZAPC             -
 * Flags read: FCMOVcc -> CF ZF PF; ADC SBB RCL RCR CMC -> CF; Jcc/SETcc/CMOVcc/LOOPcc -> their condition; LAHF, PUSHF ->
 * all.
 *
 * Flags of the 32-bit-only forms: AAA AAS read AF, write OSZAPC, OF SF ZF PF undefined; DAA DAS
 * read AF CF, write OSZAPC, OF undefined; AAM AAD write OSZAPC, OF AF CF undefined; INTO reads
 * OF, SALC CF; BOUND, PUSHA/POPA, ENTER/LEAVE, PUSH/POP/MOV Sreg none.
 *
 * 32-bit cases (bits = 32, see diff.h for the two oracles).  Rules for both: EAX..EDI only and
 * operand sizes 1/2/4 (0x66 allowed), so byte registers are always AL..BL/AH..BH; no 0x67 on
 * memory operands but those below (16-bit addressing: addresses below 64 KiB); no 63
 * (ARPL vs MOVSXD), no CMPXCHG16B; the vector families use XMM0-7 only and no REX.W forms
 * (CVTSI2SS r64, MOVQ r64, PEXTRQ, CRC32 r64, ...).  The memory base is EBX or EBP holding an
 * address below 4 GiB that no instruction writes (POPA loads it, and the template sets it again
 * right after), in half of the cases with the other one as an index register holding 0..255 that
 * no instruction writes either; memory operands get an ES/SS/DS override prefix 3 times in 8
 * (flat segments in 32-bit code); string instructions run on ESI/EDI/ECX, set with "mov r32,
 * imm32" to addresses in the buffer and small counts.
 *
 * With the native 32-bit oracle (Gen.n32) that is all; the families marked `native32` join (PUSH,
 * POP, PUSHF/POPF, CALL/RET, ENTER/LEAVE: the stack width is 4; bcd32, pusha32, misc32, sreg32:
 * invalid in 64-bit code or not made there, marked `only32` too) and so do INC/DEC 40..4F, A0..A3
 * moffs with a 4-byte address, absolute [disp32] LEA (mod=00 rm=101) and LOOPcc/JCXZ with 0x67
 * (CX as the counter); where the host maps the low region (Gen.a16), 1 memory operand in 8 is a
 * 16-bit one, 0x67 with [BX + disp16] or [BP + disp16] (the low half of the base register) or
 * [disp16], into the low region, A0..A3 with 0x67 get a 2-byte address there, and 1 string
 * instruction in 4 gets 0x67 with SI/DI there and junk in the upper halves of ESI/EDI/ECX.  (The
 * [BX/BP + SI/DI] forms are not made: the sequence writes SI and DI.)
 *
 * Without it (the host runs the bytes as 64-bit code): only encodings whose bytes mean the same in
 * 32-bit and 64-bit code.  No REX prefix (so no 40..4F), no RIP-relative operand (mod=00 rm=101
 * is an absolute disp32 in 32-bit code; [index*s + disp32] uses the SIB form), no A0..A3 moffs
 * (8-byte addresses in 64-bit code), no 0x67 on LOOP/JrCXZ, and none of the `native32` families.
 * [base + index*2^scale + disp] is then the same address in both modes, the segment overrides are
 * ignored in 64-bit code, string instructions use RSI/RDI/RCX in 64-bit code (set below 4 GiB),
 * LOOP / JRCXZ vs JECXZ likewise; Jcc, JMP rel and JMP r/m (FF /4 with a zero-extended target) are
 * the same in both.
 *
 * Families marked `pending` below are left out of the default run (the driver prints the list);
 * none at the moment.
 */
#include <string.h>

#include "diff.h"

#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_OF 0x800u
#define F_DF 0x400u
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

#define ITEMS_MAX 8
#define PATCH_MAX 16
#define ITEM_ROOM 64      /* an item never emits more than this */

/* Prefix/encoding flags for enc(). */
#define P_LOCK  0x001u
#define P_REP   0x002u    /* F3 (also the mandatory F3 of POPCNT/LZCNT/TZCNT) */
#define P_REPNE 0x004u    /* F2 */
#define P_66    0x008u
#define P_W     0x010u
#define P_BYTE  0x020u    /* byte-register operands: regs 4..7 need a REX, 16..19 are AH..BH */
#define P_DIGIT 0x040u    /* the ModRM reg field is an opcode extension, not a register */
#define P_BYTERM 0x080u   /* like P_BYTE for the r/m operand only (MOVZX/MOVSX r, r/m8) */

enum {
    FAM_MOV, FAM_LEA, FAM_ALU, FAM_TEST, FAM_INCDEC, FAM_NEGNOT, FAM_SHIFT, FAM_ROTATE, FAM_SHLD,
    FAM_MUL, FAM_DIV, FAM_BT, FAM_BSF, FAM_POPCNT, FAM_LZCNT, FAM_TZCNT, FAM_CMOV, FAM_SETCC,
    FAM_XCHG, FAM_CMPXCHG, FAM_CMPXCHG8B, FAM_XADD, FAM_BSWAP, FAM_MOVBE, FAM_MOVX, FAM_PUSH,
    FAM_POP, FAM_PUSHF, FAM_CBW, FAM_LAHF, FAM_FLAGOPS, FAM_JCC, FAM_JMP, FAM_CALL, FAM_LOOP,
    FAM_STRING, FAM_STRCMP, FAM_XLAT, FAM_NOP, FAM_BCD, FAM_SSEFP, FAM_SIMDINT, FAM_X87, FAM_MMX,
    FAM_PUSHA, FAM_ENTER, FAM_MISC32, FAM_SREG, FAM_COUNT
};

static const DiffFamily families[FAM_COUNT] = {
    [FAM_MOV] = { "mov", false },
    [FAM_LEA] = { "lea", false },
    [FAM_ALU] = { "alu", false },
    [FAM_TEST] = { "test", false },
    [FAM_INCDEC] = { "incdec", false },
    [FAM_NEGNOT] = { "negnot", false },
    [FAM_SHIFT] = { "shift", false },
    [FAM_ROTATE] = { "rotate", false },
    [FAM_SHLD] = { "shld", false },
    [FAM_MUL] = { "mul", false },
    [FAM_DIV] = { "div", false },
    [FAM_BT] = { "bt", false },
    [FAM_BSF] = { "bsf", false },
    [FAM_POPCNT] = { "popcnt", false },
    [FAM_LZCNT] = { "lzcnt", false },
    [FAM_TZCNT] = { "tzcnt", false },
    [FAM_CMOV] = { "cmov", false },
    [FAM_SETCC] = { "setcc", false },
    [FAM_XCHG] = { "xchg", false },
    [FAM_CMPXCHG] = { "cmpxchg", false },
    [FAM_CMPXCHG8B] = { "cmpxchg8b", false },
    [FAM_XADD] = { "xadd", false },
    [FAM_BSWAP] = { "bswap", false },
    [FAM_MOVBE] = { "movbe", false },
    [FAM_MOVX] = { "movx", false },
    [FAM_PUSH] = { "push", false, true, false },
    [FAM_POP] = { "pop", false, true, false },
    [FAM_PUSHF] = { "pushf", false, true, false },
    [FAM_CBW] = { "cbw", false },
    [FAM_LAHF] = { "lahf", false },
    [FAM_FLAGOPS] = { "flagops", false },
    [FAM_JCC] = { "jcc", false },
    [FAM_JMP] = { "jmp", false },
    [FAM_CALL] = { "call", false, true, false },
    [FAM_LOOP] = { "loop", false },
    [FAM_STRING] = { "string", false },
    [FAM_STRCMP] = { "strcmp", false },
    [FAM_XLAT] = { "xlat", false },
    [FAM_NOP] = { "nop", false },
    [FAM_BCD] = { "bcd32", false, true, true },
    [FAM_SSEFP] = { "ssefp", false },
    [FAM_SIMDINT] = { "simdint", false },
    [FAM_X87] = { "x87", false },
    [FAM_MMX] = { "mmx", false },
    [FAM_PUSHA] = { "pusha32", false, true, true },
    [FAM_ENTER] = { "enter", false, true, false },
    [FAM_MISC32] = { "misc32", false, true, true },
    [FAM_SREG] = { "sreg32", false, true, true },
};

int gen_family_count(void) { return FAM_COUNT; }
const DiffFamily *gen_family(int i) { return &families[i]; }

/* A register or memory operand.  reg >= 0: register (0..15, 16..19 = AH..BH); reg < 0: memory
 * [base + index*2^scale + disp] (base < 0: none; rip: RIP-relative). */
typedef struct Rm {
    int reg;
    int base, index, scale;
    int32_t disp;
    bool a32, rip;
    bool a16;        /* 32-bit code, 0x67: [base16 + disp16] with base BX or BP, or [disp16] */
    uint8_t seg;     /* segment-override prefix byte, 0: none */
} Rm;

typedef struct Patch {
    int at;          /* offset of the field */
    int size;        /* 1 or 4 bytes */
    bool abs;        /* absolute address instead of rel to at + size */
    int target;      /* item index (nitems: the end) */
} Patch;

typedef struct Gen {
    DiffCase *c;
    uint64_t rng;
    bool b32;        /* 32-bit case */
    bool n32;        /* ... for the native 32-bit oracle; else only encodings that mean the same
                      * in 32- and 64-bit code */
    bool a16;        /* ... and 16-bit addressing into the low region (HOST_LOW) */
    int base;
    uint64_t base_val;
    int index;       /* 32-bit cases: -1, or a second register no instruction writes */
    uint64_t index_val;
    uint32_t undef;
    uint32_t pend[ITEMS_MAX + 1];
    int item, nitems;
    int item_off[ITEMS_MAX + 1];
    Patch patch[PATCH_MAX];
    int npatch;
    uint8_t xel[16];  /* ssefp: element type + 1 each XMM register's input gets (0: any) */
} Gen;

/* ---- random numbers (splitmix64) ---- */
static uint64_t rnd(Gen *g)
{
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int below(Gen *g, int n) { return (int)(rnd(g) % (uint64_t)n); }
static bool coin(Gen *g) { return rnd(g) & 1; }

/* Values that hit edge cases often: zero, ±small, powers of two and their neighbours, all ones. */
static uint64_t rnd_value(Gen *g)
{
    uint64_t r = rnd(g);
    switch (below(g, 10)) {
    case 0: return 0;
    case 1: return (uint64_t)(int64_t)(below(g, 9) - 4);
    case 2: return (1ull << below(g, 64)) + (uint64_t)(below(g, 3) - 1);
    case 3: return ~0ull >> below(g, 64);
    case 4: return (uint64_t)(int64_t)(int8_t)r;
    case 5: return (uint32_t)r;
    case 6: return (uint64_t)(int64_t)(int32_t)r;
    case 7: return r & 0xff;
    default: return r;
    }
}

/* Operand sizes 1, 2, 4, 8 (1, 2, 4 in a 32-bit case). */
static int rnd_osz(Gen *g) { return 1 << below(g, g->b32 ? 3 : 4); }

/* Operand sizes 2, 4, 8 (2, 4 in a 32-bit case). */
static int osz_wide(Gen *g)
{
    static const int szs[3] = { 2, 4, 8 };
    return szs[below(g, g->b32 ? 2 : 3)];
}

/* ---- registers ---- */
static bool writable(const Gen *g, int r) { return r != 4 && r != g->base && r != g->index; }

/* A general register the sequence may overwrite (no REX-only register in a 32-bit case). */
static int dst_reg(Gen *g)
{
    int r;
    do
        r = below(g, g->b32 ? 8 : 16);
    while (!writable(g, r));
    return r;
}

static int src_reg(Gen *g) { return below(g, g->b32 ? 8 : 16); }

/* Byte-register style of one instruction: legacy (AL..BL, AH..BH, never a REX) is forced in a
 * 32-bit case and possible when the memory base is a legacy register. */
static bool legacy_bytes(Gen *g) { return g->b32 || (g->base < 8 && coin(g)); }

/* Byte registers: either REX style (0..15, SPL.. R15B) or legacy style (AL..BL, AH..BH = 16..19)
 * for a whole instruction, so that AH..BH never meet a REX prefix. */
static int byte_reg(Gen *g, bool legacy, bool dst)
{
    for (;;) {
        int r = legacy ? (coin(g) ? below(g, 4) : 16 + below(g, 4)) : below(g, 16);
        int full = r >= 16 ? r - 16 : r;
        if (dst && (!writable(g, full) || (legacy && r >= 16 && full == g->base)))
            continue;
        if (r == 4)
            continue;   /* SPL: writes would move the stack, reads are fine but keep it simple */
        return r;
    }
}

/* A register operand of `size` bytes; byte-style per `legacy`. */
static int reg_of(Gen *g, int size, bool legacy, bool dst)
{
    if (size == 1)
        return byte_reg(g, legacy, dst);
    return dst ? dst_reg(g) : src_reg(g);
}

static Rm rm_reg(int r) { return (Rm){ .reg = r, .base = -1, .index = -1 }; }

/* A data-buffer memory operand of `size` bytes: [base + disp], ~1/8 with a 0x67 prefix in a 64-bit
 * case; in a 32-bit case with 16-bit addressing allowed (Gen.a16), ~1/8 a 16-bit operand into the
 * low region. */
static Rm rm_mem(Gen *g, int size)
{
    int64_t boff = (int64_t)(g->base_val - DATA_BASE);
    int32_t disp;
    if (coin(g))
        disp = below(g, 256) - 128;
    else
        disp = (int32_t)(0x400 + below(g, 0x1400 - size) - boff);
    Rm m = { .reg = -1, .base = g->base, .index = -1, .disp = disp, .a32 = below(g, 8) == 0 && !g->b32 };
    if (g->a16 && below(g, 8) == 0) {
        /* 16-bit addressing: [BX/BP + disp16] (the low half of the base register) or [disp16],
         * to an address in the low region 16 bytes or more from its start (room for the
         * alignment adjustments some callers make) */
        uint32_t target = LOW_BASE + 16 + (uint32_t)below(g, (int)LOW_SIZE - 16 - size);
        m = (Rm){ .reg = -1, .base = coin(g) ? g->base : -1, .index = -1, .a16 = true };
        m.disp = (int32_t)((target - (m.base >= 0 ? (uint32_t)g->base_val : 0)) & 0xffff);
    } else if (g->b32 && g->index >= 0 && coin(g)) {
        /* [base + index*2^scale + disp] with the same address */
        m.index = g->index;
        m.scale = below(g, 4);
        m.disp -= (int32_t)(g->index_val << m.scale);
    }
    if (g->b32) {
        /* an ES/SS/DS override (no effect in 64-bit code; flat segments with their own checks in
         * 32-bit code) */
        static const uint8_t segs[8] = { 0x26, 0x36, 0x3e };
        m.seg = segs[below(g, 8)];
    }
    return m;
}

static uint64_t rm_addr(const Gen *g, Rm m)
{
    if (m.a16)
        return ((m.base >= 0 ? g->base_val : 0) + (uint64_t)(int64_t)m.disp) & 0xffff;
    uint64_t a = g->base_val + (uint64_t)(int64_t)m.disp;
    return m.index >= 0 ? a + (g->index_val << m.scale) : a;
}

/* Writes `size` bytes of the input memory at linear `addr` (data or low region); nothing outside. */
static void case_put(Gen *g, uint64_t addr, const void *b, int size)
{
    if (addr >= DATA_BASE && addr - DATA_BASE + (uint64_t)size <= DATA_SIZE)
        memcpy(g->c->data + (addr - DATA_BASE), b, (size_t)size);
    else if (addr >= LOW_BASE && addr - LOW_BASE + (uint64_t)size <= LOW_SIZE)
        memcpy(g->c->data + DATA_SIZE + (addr - LOW_BASE), b, (size_t)size);
}

/* Locked operands (and XCHG's implicit lock) are kept naturally aligned: a split lock can make
 * the host kernel throttle or kill the process. */
static Rm rm_mem_lock(Gen *g, int size, bool lock)
{
    Rm m = rm_mem(g, size);
    if (lock)
        m.disp -= (int32_t)(rm_addr(g, m) & (uint64_t)(size - 1));
    return m;
}

/* ---- emitting ---- */
static void byte(Gen *g, unsigned v) { g->c->code[g->c->len++] = (uint8_t)v; }

static void imm(Gen *g, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        byte(g, (unsigned)(v >> (8 * i)));
}

static int enc3(int r) { return r >= 16 ? r - 12 : r & 7; }

/* Legacy prefixes, REX, opcode, ModRM/SIB/displacement and immediate of one instruction. */
static void enc(Gen *g, unsigned p, const uint8_t *opc, int nopc, int regf, Rm rm, int isz, uint64_t iv)
{
    if (rm.reg < 0 && rm.seg) byte(g, rm.seg);
    if (p & P_LOCK) byte(g, 0xf0);
    if (p & P_66) byte(g, 0x66);
    if (p & P_REP) byte(g, 0xf3);
    if (p & P_REPNE) byte(g, 0xf2);
    if (rm.reg < 0 && (rm.a32 || rm.a16)) byte(g, 0x67);
    unsigned rex = (p & P_W) ? 8 : 0;
    bool regf_reg = !(p & P_DIGIT);
    if (regf_reg && regf >= 8 && regf < 16) rex |= 4;
    if (rm.reg >= 8 && rm.reg < 16) rex |= 1;
    if (rm.reg < 0 && rm.base >= 8) rex |= 1;
    if (rm.reg < 0 && rm.index >= 8) rex |= 2;
    bool need = rex != 0;
    if ((p & P_BYTE) && regf_reg && regf >= 4 && regf < 8)
        need = true;
    if ((p & (P_BYTE | P_BYTERM)) && rm.reg >= 4 && rm.reg < 8)
        need = true;
    if (need) byte(g, 0x40 | rex);
    for (int i = 0; i < nopc; i++) byte(g, opc[i]);
    int rf = (p & P_DIGIT) ? regf : enc3(regf);
    if (rm.reg >= 0) {
        byte(g, 0xc0 | (unsigned)(rf << 3) | (unsigned)enc3(rm.reg));
    } else if (rm.a16) {    /* mod 00 rm 110 [disp16]; mod 10 rm 111 [BX + d16], 110 [BP + d16] */
        byte(g, (rm.base < 0 ? 0x06u : rm.base == 3 ? 0x87u : 0x86u) | (unsigned)(rf << 3));
        imm(g, (uint32_t)rm.disp, 2);
    } else if (rm.rip) {
        byte(g, 0x05 | (unsigned)(rf << 3));
        imm(g, (uint32_t)rm.disp, 4);
    } else if (rm.base < 0) {
        byte(g, 0x04 | (unsigned)(rf << 3));
        byte(g, (unsigned)(rm.scale << 6) | (unsigned)((rm.index < 0 ? 4 : rm.index & 7) << 3) | 5);
        imm(g, (uint32_t)rm.disp, 4);
    } else {
        bool sib = rm.index >= 0 || (rm.base & 7) == 4;
        int mod;
        if (rm.disp == 0 && (rm.base & 7) != 5 && coin(g)) mod = 0;
        else if (rm.disp >= -128 && rm.disp <= 127 && below(g, 4)) mod = 1;
        else mod = 2;
        byte(g, (unsigned)(mod << 6) | (unsigned)(rf << 3) | (sib ? 4u : (unsigned)(rm.base & 7)));
        if (sib)
            byte(g, (unsigned)(rm.scale << 6) | (unsigned)((rm.index < 0 ? 4 : rm.index & 7) << 3) |
                    (unsigned)(rm.base & 7));
        if (mod == 1) imm(g, (uint32_t)rm.disp, 1);
        if (mod == 2) imm(g, (uint32_t)rm.disp, 4);
    }
    imm(g, iv, isz);
}

/* Opcode-plus-register forms (50+r, B8+r, 0F C8+r, 90+r). */
static void enc_o(Gen *g, unsigned p, const uint8_t *opc, int nopc, int reg, int isz, uint64_t iv)
{
    if (p & P_66) byte(g, 0x66);
    unsigned rex = ((p & P_W) ? 8u : 0u) | (reg >= 8 && reg < 16 ? 1u : 0u);
    bool need = rex || ((p & P_BYTE) && reg >= 4 && reg < 8);
    if (need) byte(g, 0x40 | rex);
    for (int i = 0; i < nopc - 1; i++) byte(g, opc[i]);
    byte(g, opc[nopc - 1] + (unsigned)enc3(reg));
    imm(g, iv, isz);
}

static unsigned osz_pfx(int osz) { return osz == 2 ? P_66 : osz == 8 ? P_W : osz == 1 ? P_BYTE : 0; }
static int imm_size(int osz) { return osz == 1 ? 1 : osz == 2 ? 2 : 4; }
static int width(int osz) { return osz * 8; }

/* ---- flag bookkeeping ---- */
static void mark(Gen *g)
{
    DiffCase *c = g->c;
    if (c->nmark < MARK_MAX)
        c->mark[c->nmark++] = (DiffMark){ (uint16_t)c->len, g->undef };
}

static void done(Gen *g, uint32_t written, uint32_t undef)
{
    g->undef = (g->undef & ~written) | undef;
}

/* CMP r, imm8 (83 /7 ib): defines all six flags. */
static void definer(Gen *g)
{
    mark(g);
    uint8_t op = 0x83;
    enc(g, coin(g) && !g->b32 ? P_W : 0, &op, 1, 7, rm_reg(src_reg(g)), 1, rnd(g));
    done(g, F_ALL, 0);
}

/* Starts an instruction that reads `reads`: makes them defined first, then records the mark. */
static void begin(Gen *g, uint32_t reads)
{
    if (reads & g->undef)
        definer(g);
    mark(g);
}

static uint32_t cc_reads(int cc)
{
    static const uint32_t t[8] = { F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF,
                                   F_ZF | F_SF | F_OF };
    return t[(cc >> 1) & 7];
}

/* MOV r, imm into a full register (B8+r id, zero-extending), no flags. */
static void mov_r32_imm(Gen *g, int r, uint32_t v)
{
    static const uint8_t op = 0xb8;
    mark(g);
    enc_o(g, 0, &op, 1, r, 4, v);
}

/* Forward branch target: the start of one of the next few items, or the end. */
static int branch_target(Gen *g)
{
    int t = g->item + 1 + below(g, 3);
    return t > g->nitems ? g->nitems : t;
}

static void add_patch(Gen *g, int size, bool abs, int target)
{
    if (g->npatch < PATCH_MAX)
        g->patch[g->npatch++] = (Patch){ g->c->len, size, abs, target };
    g->pend[target] |= g->undef;
    imm(g, 0, size);
}

/* ---- families ---- */

static void fam_mov(Gen *g)
{
    int osz = rnd_osz(g);
    bool legacy = legacy_bytes(g);
    unsigned p = osz_pfx(osz);
    mark(g);
    switch (below(g, g->b32 && !g->n32 ? 4 : 6)) {  /* moffs: 8-byte address in 64-bit code */
    case 0: {   /* 88/89 r/m, r */
        uint8_t op = osz == 1 ? 0x88 : 0x89;
        Rm d = coin(g) ? rm_mem(g, osz) : rm_reg(reg_of(g, osz, legacy, true));
        enc(g, p, &op, 1, reg_of(g, osz, legacy, false), d, 0, 0);
        break;
    }
    case 1: {   /* 8A/8B r, r/m */
        uint8_t op = osz == 1 ? 0x8a : 0x8b;
        Rm s = coin(g) ? rm_mem(g, osz) : rm_reg(reg_of(g, osz, legacy, false));
        enc(g, p, &op, 1, reg_of(g, osz, legacy, true), s, 0, 0);
        break;
    }
    case 2: {   /* C6/C7 /0 r/m, imm */
        uint8_t op = osz == 1 ? 0xc6 : 0xc7;
        Rm d = coin(g) ? rm_mem(g, osz) : rm_reg(reg_of(g, osz, legacy, true));
        enc(g, p | P_DIGIT, &op, 1, 0, d, imm_size(osz), rnd_value(g));
        break;
    }
    case 3: {   /* B0+r / B8+r, incl. the 64-bit immediate */
        uint8_t op = osz == 1 ? 0xb0 : 0xb8;
        enc_o(g, p, &op, 1, reg_of(g, osz, legacy, true), osz, rnd_value(g));
        break;
    }
    default: {  /* A0..A3 moffs: absolute address (8 bytes, or 4 with 0x67; in 32-bit code 4, or
                 * with 0x67 2, into the low region) */
        bool store = coin(g), a32 = coin(g) && (!g->b32 || g->a16);
        uint64_t addr = DATA_BASE + 0x400 + (uint64_t)below(g, 0x1000);
        if (a32 && g->b32)                  /* 0x67 in 32-bit code: a 2-byte address */
            addr = LOW_BASE + (uint64_t)below(g, (int)LOW_SIZE - osz);
        if (p & P_66) byte(g, 0x66);
        if (a32) byte(g, 0x67);
        if (p & P_W) byte(g, 0x48);
        byte(g, (store ? 0xa2u : 0xa0u) + (osz == 1 ? 0u : 1u));
        imm(g, addr, a32 && g->b32 ? 2 : a32 || g->b32 ? 4 : 8);
        break;
    }
    }
}

static void fam_lea(Gen *g)
{
    int osz = osz_wide(g);
    uint8_t op = 0x8d;
    Rm m = { .reg = -1, .base = below(g, 5) ? src_reg(g) : -1, .index = -1, .scale = below(g, 4),
             .disp = (int32_t)rnd_value(g), .a32 = below(g, 4) == 0 && !g->b32 };
    if (coin(g)) {
        m.index = src_reg(g);
        if (m.index == 4)
            m.index = -1;
    }
    if (below(g, 10) == 0 && (!g->b32 || g->n32)) {   /* RIP-relative (disp32 absolute in 32-bit code) */
        m = (Rm){ .reg = -1, .rip = true, .base = -1, .index = -1, .disp = (int32_t)rnd(g),
                  .a32 = coin(g) && !g->b32 };
    }
    mark(g);
    enc(g, osz_pfx(osz), &op, 1, dst_reg(g), m, 0, 0);
}

static void fam_alu(Gen *g)
{
    int op = below(g, 8), osz = rnd_osz(g);
    bool legacy = legacy_bytes(g);
    unsigned p = osz_pfx(osz);
    uint32_t reads = (op == 2 || op == 3) ? F_CF : 0;
    uint32_t undef = (op == 1 || op == 4 || op == 6) ? F_AF : 0;
    bool lock_ok = op != 7;
    begin(g, reads);
    int form = below(g, 5);
    if (form == 0) {            /* op r/m, r */
        uint8_t o = (uint8_t)(op * 8 + (osz == 1 ? 0 : 1));
        bool mem = coin(g), lock = mem && lock_ok && below(g, 3) == 0;
        Rm d = mem ? rm_mem_lock(g, osz, lock) : rm_reg(reg_of(g, osz, legacy, true));
        enc(g, p | (lock ? P_LOCK : 0), &o, 1, reg_of(g, osz, legacy, false), d, 0, 0);
    } else if (form == 1) {     /* op r, r/m */
        uint8_t o = (uint8_t)(op * 8 + (osz == 1 ? 2 : 3));
        Rm s = coin(g) ? rm_mem(g, osz) : rm_reg(reg_of(g, osz, legacy, false));
        enc(g, p, &o, 1, reg_of(g, osz, legacy, true), s, 0, 0);
    } else if (form == 2) {     /* op AL/eAX, imm */
        if (p & P_66) byte(g, 0x66);
        if (p & P_W) byte(g, 0x48);
        byte(g, (unsigned)(op * 8 + (osz == 1 ? 4 : 5)));
        imm(g, rnd_value(g), imm_size(osz));
    } else {                    /* 80/81/83 /op r/m, imm */
        bool s8 = osz != 1 && coin(g);
        uint8_t o = osz == 1 ? 0x80 : s8 ? 0x83 : 0x81;
        bool mem = coin(g), lock = mem && lock_ok && below(g, 3) == 0;
        Rm d = mem ? rm_mem_lock(g, osz, lock) : rm_reg(reg_of(g, osz, legacy, true));
        enc(g, p | P_DIGIT | (lock ? P_LOCK : 0), &o, 1, op, d, s8 ? 1 : imm_size(osz), rnd_value(g));
    }
    done(g, F_ALL, undef);
}

static void fam_test(Gen *g)
{
    int osz = rnd_osz(g);
    bool legacy = legacy_bytes(g);
    unsigned p = osz_pfx(osz);
    mark(g);
    switch (below(g, 3)) {
    case 0: {
        uint8_t o = osz == 1 ? 0x84 : 0x85;
        Rm d = coin(g) ? rm_mem(g, osz) : rm_reg(reg_of(g, osz, legacy, false));
        enc(g, p, &o, 1, reg_of(g, osz, legacy, false), d, 0, 0);
        break;
    }
    case 1: {
        uint8_t o = osz == 1 ? 0xf6 : 0xf7;
        Rm d = coin(g) ? rm_mem(g, osz) : rm_reg(reg_of(g, osz, legacy, false));
        enc(g, p | P_DIGIT, &o, 1, 0, d, imm_size(osz), rnd_value(g));
        break;
    }
    default:
        if (p & P_66) byte(g, 0x66);
        if (p & P_W) byte(g, 0x48);
        byte(g, osz == 1 ? 0xa8 : 0xa9);
        imm(g, rnd_value(g), imm_size(osz));
        break;
    }
    done(g, F_ALL, F_AF);
}

/* Group 3/4/5 style unary r/m with opcode extension `digit`; LOCK sometimes on memory. */
static void unary(Gen *g, uint8_t op8, uint8_t op, int digit, int osz, bool lockable)
{
    bool legacy = legacy_bytes(g);
    bool mem = coin(g), lock = mem && lockable && coin(g);
    Rm d = mem ? rm_mem_lock(g, osz, lock) : rm_reg(reg_of(g, osz, legacy, true));
    uint8_t o = osz == 1 ? op8 : op;
    enc(g, osz_pfx(osz) | P_DIGIT | (lock ? P_LOCK : 0), &o, 1, digit, d, 0, 0);
}

static void fam_incdec(Gen *g)
{
    int osz = rnd_osz(g);
    mark(g);
    if (g->n32 && osz != 1 && coin(g)) {   /* 40+r INC, 48+r DEC: REX prefixes in 64-bit code */
        static const uint8_t op[2] = { 0x40, 0x48 };
        enc_o(g, osz_pfx(osz), &op[below(g, 2)], 1, dst_reg(g), 0, 0);
    } else {
        unary(g, 0xfe, 0xff, below(g, 2), osz, true);
    }
    done(g, F_ALL & ~F_CF, 0);
}

static void fam_negnot(Gen *g)
{
    bool neg = coin(g);
    mark(g);
    unary(g, 0xf6, 0xf7, neg ? 3 : 2, rnd_osz(g), true);
    if (neg)
        done(g, F_ALL, 0);
}

/* A shift/rotate count: small ones most of the time. */
static int rnd_count(Gen *g, int w)
{
    return coin(g) ? below(g, w + 2) : below(g, 256);
}

/* Shift or rotate group 2 (C0/C1 ib, D0/D1, D2/D3 with "mov cl, n" in front). */
static int group2(Gen *g, int count_in)
{
    bool legacy = legacy_bytes(g);
    int form = below(g, 3);
    int count = form == 1 ? 1 : count_in;
    if (form == 2) {                        /* mov cl, count */
        mark(g);
        byte(g, 0xb1);
        byte(g, (unsigned)count);
    }
    return form * 0x100 + count + (legacy ? 0x1000 : 0);
}

static void emit_group2(Gen *g, int digit, int osz, int sel)
{
    int form = (sel >> 8) & 0xf, count = sel & 0xff;
    bool legacy = sel & 0x1000;
    Rm d = coin(g) ? rm_mem(g, osz) : rm_reg(reg_of(g, osz, legacy, true));
    uint8_t o = (uint8_t)((form == 0 ? 0xc0 : form == 1 ? 0xd0 : 0xd2) + (osz == 1 ? 0 : 1));
    enc(g, osz_pfx(osz) | P_DIGIT, &o, 1, digit, d, form == 0 ? 1 : 0, (uint64_t)count);
}

static void fam_shift(Gen *g)
{
    static const int digits[3] = { 4, 5, 7 };
    int digit = digits[below(g, 3)], osz = rnd_osz(g), w = width(osz);
    int sel = group2(g, rnd_count(g, w));
    int c = (sel & 0xff) & (osz == 8 ? 63 : 31);
    mark(g);
    emit_group2(g, digit, osz, sel);
    if (c == 0)
        return;
    uint32_t undef = F_AF | (c > 1 ? F_OF : 0) | (c >= w && digit != 7 ? F_CF : 0);
    done(g, F_ALL, undef);
}

static void fam_rotate(Gen *g)
{
    int digit = below(g, 4), osz = rnd_osz(g), w = width(osz);
    uint32_t reads = digit >= 2 ? F_CF : 0;
    int sel = group2(g, rnd_count(g, w));
    int c = (sel & 0xff) & (osz == 8 ? 63 : 31);
    begin(g, reads);
    emit_group2(g, digit, osz, sel);
    if (c == 0)
        return;
    done(g, F_CF | F_OF, c > 1 ? F_OF : 0);
}

static void fam_shld(Gen *g)
{
    int osz = osz_wide(g), w = width(osz);
    bool right = coin(g), cl = coin(g);
    int count = rnd_count(g, w);
    int c = count & (osz == 8 ? 63 : 31);
    if (osz == 2 && c > 16) {               /* result undefined: keep the count in range */
        count = below(g, 17);
        c = count;
    }
    if (cl) {
        mark(g);
        byte(g, 0xb1);
        byte(g, (unsigned)count);
    }
    mark(g);
    uint8_t o[2] = { 0x0f, (uint8_t)((right ? 0xac : 0xa4) + (cl ? 1 : 0)) };
    Rm d = coin(g) ? rm_mem(g, osz) : rm_reg(dst_reg(g));
    enc(g, osz_pfx(osz), o, 2, src_reg(g), d, cl ? 0 : 1, (uint64_t)count);
    if (c == 0)
        return;
    done(g, F_ALL, F_AF | (c > 1 ? F_OF : 0));
}

static void fam_mul(Gen *g)
{
    int osz = rnd_osz(g);
    mark(g);
    int form = osz == 1 ? 0 : below(g, 3);
    if (form == 0) {                        /* F6/F7 /4 MUL, /5 IMUL */
        bool legacy = legacy_bytes(g);
        Rm s = coin(g) ? rm_mem(g, osz) : rm_reg(reg_of(g, osz, legacy, false));
        uint8_t o = osz == 1 ? 0xf6 : 0xf7;
        enc(g, osz_pfx(osz) | P_DIGIT, &o, 1, 4 + below(g, 2), s, 0, 0);
    } else if (form == 1) {                 /* 0F AF IMUL r, r/m */
        uint8_t o[2] = { 0x0f, 0xaf };
        Rm s = coin(g) ? rm_mem(g, osz) : rm_reg(src_reg(g));
        enc(g, osz_pfx(osz), o, 2, dst_reg(g), s, 0, 0);
    } else {                                /* 69 iz / 6B ib IMUL r, r/m, imm */
        bool s8 = coin(g);
        uint8_t o = s8 ? 0x6b : 0x69;
        Rm s = coin(g) ? rm_mem(g, osz) : rm_reg(src_reg(g));
        enc(g, osz_pfx(osz), &o, 1, dst_reg(g), s, s8 ? 1 : imm_size(osz), rnd_value(g));
    }
    done(g, F_ALL, F_SF | F_ZF | F_AF | F_PF);
}

static void fam_div(Gen *g)
{
    int osz = rnd_osz(g);
    if (coin(g)) {                          /* a small high half, so that most quotients fit */
        mark(g);
        if (osz == 1) {
            byte(g, 0xb4);                  /* mov ah, imm8 */
            byte(g, (unsigned)below(g, 4));
        } else {
            byte(g, 0xba);                  /* mov edx, imm32 */
            imm(g, (uint64_t)below(g, 4), 4);
        }
    }
    mark(g);
    bool legacy = legacy_bytes(g);
    Rm s = coin(g) ? rm_mem(g, osz) : rm_reg(reg_of(g, osz, legacy, false));
    uint8_t o = osz == 1 ? 0xf6 : 0xf7;
    enc(g, osz_pfx(osz) | P_DIGIT, &o, 1, 6 + below(g, 2), s, 0, 0);
    done(g, F_ALL, F_ALL);
}

static void fam_bt(Gen *g)
{
    int osz = osz_wide(g), op = below(g, 4);   /* BT BTS BTR BTC */
    bool mem = coin(g), immf = coin(g);
    unsigned lock = mem && op != 0 && coin(g) ? P_LOCK : 0;
    Rm d = mem ? rm_mem_lock(g, osz, lock) : rm_reg(op == 0 ? src_reg(g) : dst_reg(g));
    if (immf) {
        uint8_t o[2] = { 0x0f, 0xba };
        mark(g);
        enc(g, osz_pfx(osz) | P_DIGIT | lock, o, 2, 4 + op, d, 1, rnd(g));
    } else {
        int r = mem ? dst_reg(g) : src_reg(g);
        if (mem) {                          /* bit offset within +-4096 bits: mov r64/r32, simm32 */
            uint8_t mo = 0xc7;
            mark(g);
            enc(g, (g->b32 ? 0 : P_W) | P_DIGIT, &mo, 1, 0, rm_reg(r), 4, (uint64_t)(int64_t)(below(g, 8192) - 4096));
        }
        static const uint8_t ops[4] = { 0xa3, 0xab, 0xb3, 0xbb };
        uint8_t o[2] = { 0x0f, ops[op] };
        mark(g);
        enc(g, osz_pfx(osz) | lock, o, 2, r, d, 0, 0);
    }
    done(g, F_ALL & ~F_ZF, F_OF | F_SF | F_AF | F_PF);
}

/* 0F xx r, r/m (BSF/BSR/POPCNT/LZCNT/TZCNT/CMOV/MOVBE load...) with operand size 2/4/8. */
static void r_rm(Gen *g, unsigned p, uint8_t op2, int osz)
{
    uint8_t o[2] = { 0x0f, op2 };
    Rm s = coin(g) ? rm_mem(g, osz) : rm_reg(src_reg(g));
    enc(g, p | osz_pfx(osz), o, 2, dst_reg(g), s, 0, 0);
}

static void fam_bsf(Gen *g)
{
    mark(g);
    r_rm(g, 0, coin(g) ? 0xbc : 0xbd, osz_wide(g));
    done(g, F_ALL, F_ALL & ~F_ZF);
}

static void fam_popcnt(Gen *g)
{
    mark(g);
    r_rm(g, P_REP, 0xb8, osz_wide(g));
    done(g, F_ALL, 0);
}

static void fam_lzcnt(Gen *g)
{
    mark(g);
    r_rm(g, P_REP, 0xbd, osz_wide(g));
    done(g, F_ALL, F_OF | F_SF | F_AF | F_PF);
}

static void fam_tzcnt(Gen *g)
{
    mark(g);
    r_rm(g, P_REP, 0xbc, osz_wide(g));
    done(g, F_ALL, F_OF | F_SF | F_AF | F_PF);
}

static void fam_cmov(Gen *g)
{
    int cc = below(g, 16);
    begin(g, cc_reads(cc));
    r_rm(g, 0, (uint8_t)(0x40 + cc), osz_wide(g));
}

static void fam_setcc(Gen *g)
{
    int cc = below(g, 16);
    bool legacy = legacy_bytes(g);
    begin(g, cc_reads(cc));
    uint8_t o[2] = { 0x0f, (uint8_t)(0x90 + cc) };
    Rm d = coin(g) ? rm_mem(g, 1) : rm_reg(byte_reg(g, legacy, true));
    enc(g, P_BYTE | P_DIGIT, o, 2, 0, d, 0, 0);
}

static void fam_xchg(Gen *g)
{
    int osz = rnd_osz(g);
    bool legacy = legacy_bytes(g);
    mark(g);
    if (osz != 1 && below(g, 3) == 0) {     /* 90+r: xchg eAX, r (never plain 90 = NOP) */
        int r = dst_reg(g);
        while (r == 0 && g->b32)
            r = dst_reg(g);
        if (r == 0)
            r = 8;
        static const uint8_t op = 0x90;
        enc_o(g, osz_pfx(osz), &op, 1, r, 0, 0);
        return;
    }
    bool mem = coin(g);
    uint8_t o = osz == 1 ? 0x86 : 0x87;
    Rm d = mem ? rm_mem_lock(g, osz, true) : rm_reg(reg_of(g, osz, legacy, true));
    enc(g, osz_pfx(osz) | (mem && coin(g) ? P_LOCK : 0), &o, 1, reg_of(g, osz, legacy, true), d, 0, 0);
}

static void fam_cmpxchg(Gen *g)
{
    int osz = rnd_osz(g);
    bool legacy = legacy_bytes(g);
    bool mem = coin(g), lock = mem && coin(g);
    Rm d = mem ? rm_mem_lock(g, osz, lock) : rm_reg(reg_of(g, osz, legacy, true));
    if (coin(g)) {                          /* make the comparison succeed: mov rAX, dest */
        uint8_t mo = osz == 1 ? 0x8a : 0x8b;
        mark(g);
        enc(g, osz_pfx(osz), &mo, 1, 0, d, 0, 0);
    }
    uint8_t o[2] = { 0x0f, osz == 1 ? 0xb0 : 0xb1 };
    mark(g);
    enc(g, osz_pfx(osz) | (lock ? P_LOCK : 0), o, 2, reg_of(g, osz, legacy, false), d, 0, 0);
    done(g, F_ALL, 0);
}

static void fam_cmpxchg8b(Gen *g)
{
    bool wide = coin(g) && !g->b32, lock = coin(g);
    int size = wide ? 16 : 8;
    Rm m = rm_mem_lock(g, size, lock || wide);   /* CMPXCHG16B needs 16-byte alignment */
    if (coin(g)) {                          /* make it succeed: load rDX:rAX from the operand */
        uint8_t mo = 0x8b;
        mark(g);
        enc(g, wide ? P_W : 0, &mo, 1, 0, m, 0, 0);
        Rm hi = m;
        hi.disp += size / 2;
        mark(g);
        enc(g, wide ? P_W : 0, &mo, 1, 2, hi, 0, 0);
    }
    uint8_t o[2] = { 0x0f, 0xc7 };
    mark(g);
    enc(g, (wide ? P_W : 0) | P_DIGIT | (lock ? P_LOCK : 0), o, 2, 1, m, 0, 0);
    done(g, F_ZF, 0);
}

static void fam_xadd(Gen *g)
{
    int osz = rnd_osz(g);
    bool legacy = legacy_bytes(g);
    bool mem = coin(g), lock = mem && coin(g);
    Rm d = mem ? rm_mem_lock(g, osz, lock) : rm_reg(reg_of(g, osz, legacy, true));
    uint8_t o[2] = { 0x0f, osz == 1 ? 0xc0 : 0xc1 };
    mark(g);
    enc(g, osz_pfx(osz) | (lock ? P_LOCK : 0), o, 2, reg_of(g, osz, legacy, true), d, 0, 0);
    done(g, F_ALL, 0);
}

static void fam_bswap(Gen *g)
{
    static const uint8_t o[2] = { 0x0f, 0xc8 };
    mark(g);
    enc_o(g, coin(g) && !g->b32 ? P_W : 0, o, 2, dst_reg(g), 0, 0);
}

static void fam_movbe(Gen *g)
{
    int osz = osz_wide(g);
    bool store = coin(g);
    uint8_t o[3] = { 0x0f, 0x38, store ? 0xf1 : 0xf0 };
    mark(g);
    enc(g, osz_pfx(osz), o, 3, store ? src_reg(g) : dst_reg(g), rm_mem(g, osz), 0, 0);
}

static void fam_movx(Gen *g)
{
    int form = below(g, g->b32 ? 4 : 5);   /* 63 is ARPL in 32-bit code */
    if (form == 4) {                        /* 63 MOVSXD r64, r/m32 (rarely without REX.W) */
        uint8_t o = 0x63;
        Rm s = coin(g) ? rm_mem(g, 4) : rm_reg(src_reg(g));
        mark(g);
        enc(g, below(g, 8) ? P_W : 0, &o, 1, dst_reg(g), s, 0, 0);
        return;
    }
    bool sx = form >= 2, word = form & 1;
    int osz = word ? (coin(g) ? 4 : g->b32 ? 2 : 8) : osz_wide(g);
    bool legacy = legacy_bytes(g);
    if (legacy && !word && osz == 8)        /* AH..BH cannot be used with REX.W */
        osz = 4;
    uint8_t o[2] = { 0x0f, (uint8_t)((sx ? 0xbe : 0xb6) + (word ? 1 : 0)) };
    Rm s = coin(g) ? rm_mem(g, word ? 2 : 1) : rm_reg(word ? src_reg(g) : byte_reg(g, legacy, false));
    int d = dst_reg(g);
    while (legacy && !word && (d >= 8 || !writable(g, d)))
        d = below(g, 8);
    mark(g);
    enc(g, (osz == 2 ? P_66 : osz == 8 ? P_W : 0) | (word ? 0 : P_BYTERM), o, 2, d, s, 0, 0);
}

/* PUSH ES/CS/SS/DS (06 0E 16 1E; invalid in 64-bit code).  XXX: with a 32-bit operand size the
 * hardware writes either the selector zero-extended or only its low 16 bits, leaving the slot's
 * upper half (SDM vol. 2, PUSH; softvisor and this Intel host do the latter), so the slot is
 * zeroed first (push 0; lea esp, [esp + 4]) and both behaviours give the same memory. */
static void push_sreg(Gen *g, bool w16)
{
    static const uint8_t ops[4] = { 0x06, 0x0e, 0x16, 0x1e };
    static const uint8_t zero[] = { 0x6a, 0x00, 0x8d, 0x64, 0x24, 0x04 };
    if (!w16) {
        for (size_t i = 0; i < sizeof(zero); i++) {
            if (i == 0 || i == 2)
                mark(g);
            byte(g, zero[i]);
        }
        mark(g);
    }
    if (w16)
        byte(g, 0x66);
    byte(g, ops[below(g, 4)]);
}

/* PUSH r, r/m, imm (the stack width in 64-bit code, 4 or with 66 2 bytes), ES/CS/SS/DS in
 * 32-bit code. */
static void fam_push(Gen *g)
{
    mark(g);
    bool w16 = below(g, 4) == 0;
    switch (below(g, g->b32 ? 5 : 4)) {
    case 0: {
        static const uint8_t op = 0x50;
        enc_o(g, w16 ? P_66 : 0, &op, 1, src_reg(g), 0, 0);
        break;
    }
    case 1: {
        uint8_t op = 0xff;
        enc(g, (w16 ? P_66 : 0) | P_DIGIT, &op, 1, 6, rm_mem(g, w16 ? 2 : g->b32 ? 4 : 8), 0, 0);
        break;
    }
    case 4:
        push_sreg(g, w16);
        break;
    case 2:
        byte(g, 0x6a);
        byte(g, (unsigned)rnd(g));
        break;
    default:
        if (w16) byte(g, 0x66);
        byte(g, 0x68);
        imm(g, rnd_value(g), w16 ? 2 : 4);
        break;
    }
}

static void fam_pop(Gen *g)
{
    mark(g);
    bool w16 = below(g, 4) == 0;
    if (coin(g)) {
        static const uint8_t op = 0x58;
        enc_o(g, w16 ? P_66 : 0, &op, 1, dst_reg(g), 0, 0);
    } else {
        uint8_t op = 0x8f;
        enc(g, (w16 ? P_66 : 0) | P_DIGIT, &op, 1, 0, rm_mem(g, w16 ? 2 : g->b32 ? 4 : 8), 0, 0);
    }
}

static void fam_pushf(Gen *g)
{
    if (coin(g)) {
        begin(g, F_ALL);
        byte(g, 0x9c);
        return;
    }
    /* push imm with arithmetic flags and DF, sometimes IF and IOPL (which POPF leaves alone at CPL 3
     * with IOPL 0, no fault); popf (66: 16-bit forms).  Never TF, AC (Linux sets CR0.AM), NT. */
    bool w16 = below(g, 4) == 0;
    uint32_t v = (uint32_t)(rnd(g) & (F_ALL | F_DF)) | 2;
    if (coin(g))
        v |= (uint32_t)rnd(g) & 0x3200u;
    mark(g);
    if (w16)
        byte(g, 0x66);
    byte(g, 0x68);
    imm(g, v, w16 ? 2 : 4);
    mark(g);
    if (w16)
        byte(g, 0x66);
    byte(g, 0x9d);
    done(g, F_ALL, 0);
}

static void fam_cbw(Gen *g)
{
    int osz = osz_wide(g);
    mark(g);
    if (osz == 2) byte(g, 0x66);
    if (osz == 8) byte(g, 0x48);
    byte(g, coin(g) ? 0x98 : 0x99);
}

static void fam_lahf(Gen *g)
{
    if (coin(g)) {
        begin(g, F_ALL & ~F_OF);
        byte(g, 0x9f);
    } else {
        mark(g);
        byte(g, 0x9e);
        done(g, F_ALL & ~F_OF, 0);
    }
}

static void fam_flagops(Gen *g)
{
    switch (below(g, 5)) {
    case 0: mark(g); byte(g, 0xf8); done(g, F_CF, 0); break;
    case 1: mark(g); byte(g, 0xf9); done(g, F_CF, 0); break;
    case 2: begin(g, F_CF); byte(g, 0xf5); done(g, F_CF, 0); break;
    case 3: mark(g); byte(g, 0xfc); break;
    default: mark(g); byte(g, 0xfd); break;
    }
}

static void fam_jcc(Gen *g)
{
    int cc = below(g, 16);
    begin(g, cc_reads(cc));
    int t = branch_target(g);
    if (coin(g)) {
        byte(g, 0x70 + (unsigned)cc);
        add_patch(g, 1, false, t);
    } else {
        byte(g, 0x0f);
        byte(g, 0x80 + (unsigned)cc);
        add_patch(g, 4, false, t);
    }
}

static void fam_jmp(Gen *g)
{
    int t = branch_target(g);
    switch (below(g, 3)) {
    case 0:
        mark(g);
        byte(g, 0xeb);
        add_patch(g, 1, false, t);
        break;
    case 1:
        mark(g);
        byte(g, 0xe9);
        add_patch(g, 4, false, t);
        break;
    default: {                              /* mov r32, target; jmp r64 */
        int r = dst_reg(g);
        static const uint8_t op = 0xb8;
        mark(g);
        enc_o(g, 0, &op, 1, r, 0, 0);
        add_patch(g, 4, true, t);
        uint8_t j = 0xff;
        mark(g);
        enc(g, P_DIGIT, &j, 1, 4, rm_reg(r), 0, 0);
        break;
    }
    }
}

static void fam_call(Gen *g)
{
    int t = branch_target(g);
    if (coin(g)) {
        mark(g);
        byte(g, 0xe8);
        add_patch(g, 4, false, t);
        return;
    }
    mark(g);                                /* push target; ret [imm16] */
    byte(g, 0x68);
    add_patch(g, 4, true, t);
    mark(g);
    if (coin(g)) {
        byte(g, 0xc3);
    } else {
        byte(g, 0xc2);
        imm(g, (uint64_t)below(g, 9) * 8, 2);
    }
}

static void fam_loop(Gen *g)
{
    int k = below(g, 4);                    /* E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JrCXZ */
    begin(g, k < 2 ? F_ZF : 0);
    if (coin(g) && (!g->b32 || g->n32))    /* 0x67: ECX in 64-bit code, CX in 32-bit code */
        byte(g, 0x67);
    byte(g, 0xe0 + (unsigned)k);
    add_patch(g, 1, false, branch_target(g));
}

/* RSI/RDI into the middle of the buffer and a small RCX, then the string instruction. */
static bool string_setup(Gen *g, int *count)
{
    if (g->a16 && below(g, 4) == 0) {
        /* 0x67 in 32-bit code: SI, DI and CX, the low halves, into the low region; the upper
         * halves hold junk that must survive */
        for (int r = 6; r <= 7; r++)
            mov_r32_imm(g, r, ((uint32_t)rnd(g) & 0xffff0000u) |
                              (LOW_BASE + 0x100 + (uint32_t)below(g, (int)LOW_SIZE - 0x200)));
        *count = below(g, 5) == 0 ? 0 : below(g, 33);
        mov_r32_imm(g, 1, ((uint32_t)rnd(g) & 0xffff0000u) | (uint32_t)*count);
        return true;
    }
    mov_r32_imm(g, 6, DATA_BASE + 0x600 + (uint32_t)below(g, 0x1400));
    mov_r32_imm(g, 7, DATA_BASE + 0x600 + (uint32_t)below(g, 0x1400));
    *count = below(g, 5) == 0 ? 0 : below(g, 33);
    mov_r32_imm(g, 1, (uint32_t)*count);
    return below(g, 4) == 0 && !g->b32;     /* 0x67: ESI/EDI/ECX (the default in 32-bit code) */
}

static void string_op(Gen *g, unsigned pfx, uint8_t op, int osz, bool a32)
{
    if (pfx & P_66) byte(g, 0x66);
    if (pfx & P_REP) byte(g, 0xf3);
    if (pfx & P_REPNE) byte(g, 0xf2);
    if (a32) byte(g, 0x67);
    if (osz == 8) byte(g, 0x48);
    byte(g, op + (osz == 1 ? 0u : 1u));
}

static void fam_string(Gen *g)
{
    static const uint8_t ops[3] = { 0xa4, 0xaa, 0xac };   /* MOVS, STOS, LODS */
    int count, osz = rnd_osz(g);
    bool a32 = string_setup(g, &count);
    mark(g);
    string_op(g, (osz == 2 ? P_66 : 0) | (coin(g) ? P_REP : 0), ops[below(g, 3)], osz, a32);
}

static void fam_strcmp(Gen *g)
{
    int count, osz = rnd_osz(g);
    bool a32 = string_setup(g, &count);
    int rep = below(g, 3);                  /* none, REPE, REPNE */
    mark(g);
    string_op(g, (osz == 2 ? P_66 : 0) | (rep == 1 ? P_REP : rep == 2 ? P_REPNE : 0),
              coin(g) ? 0xa6 : 0xae, osz, a32);
    if (rep == 0 || count != 0)
        done(g, F_ALL, 0);
}

static void fam_xlat(Gen *g)
{
    mark(g);
    if (g->base != 3) {                     /* XLAT needs RBX as the table base */
        byte(g, 0x90);
        return;
    }
    if (below(g, 4) == 0 && !g->b32)
        byte(g, 0x67);
    byte(g, 0xd7);
}

static void fam_nop(Gen *g)
{
    mark(g);
    switch (below(g, 3)) {
    case 0: byte(g, 0x90); break;
    case 1: byte(g, 0x66); byte(g, 0x90); break;
    default: {
        uint8_t o[2] = { 0x0f, 0x1f };
        enc(g, (coin(g) ? P_66 : 0) | P_DIGIT, o, 2, 0, rm_mem(g, 4), 0, 0);
        break;
    }
    }
}

/* ---- simdint: MMX/SSE2/SSSE3/SSE4.1/SSE4.2 integer instructions (cpu/sse_int.c) ---- */

/* A vector register: MMX 0..7, XMM 0..15 (XMM0-7 in a 32-bit case). */
static int vreg(Gen *g, bool mmx) { return below(g, mmx || g->b32 ? 8 : 16); }

/* REX.W half the time (never in a 32-bit case). */
static unsigned wbit(Gen *g) { return coin(g) && !g->b32 ? P_W : 0; }

/* A vector (XMM 0..15 or MMX 0..7) register or a memory operand of `msz` bytes; `align` keeps
 * 16-byte operands aligned except 1 in 16 times (#GP). */
static Rm simd_rm(Gen *g, bool mmx, bool mem, int msz, bool align)
{
    if (!mem)
        return rm_reg(vreg(g, mmx));
    Rm m = rm_mem(g, msz);
    if (align && below(g, 16))
        m.disp -= (int32_t)(rm_addr(g, m) & 15);
    return m;
}

/* dst op= src for the two-operand forms: 0F map (mmx or 66), 0F 38 (mmx or 66), 66 0F 38 only. */
static void simd_binary(Gen *g, const uint8_t *opc, int nopc, bool mmx, int msz, bool align,
                        bool imm8)
{
    Rm s = simd_rm(g, mmx, coin(g), msz, align);
    enc(g, mmx ? 0 : P_66, opc, nopc, vreg(g, mmx), s, imm8 ? 1 : 0, rnd(g));
}

static void fam_simdint(Gen *g)
{
    static const uint8_t both0f[] = {
        0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x74, 0x75, 0x76,
        0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1,
        0xe2, 0xe3, 0xe4, 0xe5, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf1, 0xf2, 0xf3,
        0xf4, 0xf5, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0x6c, 0x6d,
    };
    static const uint8_t ssse3[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x1c, 0x1d, 0x1e };
    static const uint8_t sse41[] = {
        0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x28, 0x29, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x34,
        0x35, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41,
    };
    static const uint8_t pmov_msz[6] = { 8, 4, 2, 8, 4, 8 };
    static const uint8_t shift_imm[][2] = {   /* 0F 71..73 /digit ib */
        { 0x71, 2 }, { 0x71, 4 }, { 0x71, 6 }, { 0x72, 2 }, { 0x72, 4 }, { 0x72, 6 }, { 0x73, 2 },
        { 0x73, 6 }, { 0x73, 3 }, { 0x73, 7 },
    };
    bool mmx = coin(g);
    int vr = vreg(g, mmx);
    mark(g);
    switch (below(g, 19)) {
    case 0: case 1: case 2: {
        int i = below(g, (int)sizeof(both0f));
        uint8_t o[2] = { 0x0f, both0f[i] };
        if (both0f[i] == 0x6c || both0f[i] == 0x6d)
            mmx = false;
        simd_binary(g, o, 2, mmx, mmx ? 8 : 16, !mmx, false);
        break;
    }
    case 3: {
        uint8_t o[3] = { 0x0f, 0x38, ssse3[below(g, (int)sizeof(ssse3))] };
        simd_binary(g, o, 3, mmx, mmx ? 8 : 16, !mmx, false);
        break;
    }
    case 4: case 5: {
        uint8_t op = sse41[below(g, (int)sizeof(sse41))];
        uint8_t o[3] = { 0x0f, 0x38, op };
        bool pmov = (op >= 0x20 && op <= 0x25) || (op >= 0x30 && op <= 0x35);
        simd_binary(g, o, 3, false, pmov ? pmov_msz[op & 7] : 16, !pmov, false);
        break;
    }
    case 6: {   /* PSHUFW/PSHUFD/PSHUFHW/PSHUFLW, PALIGNR, PBLENDW, MPSADBW */
        static const uint8_t pf[4] = { 0, P_66, P_REP, P_REPNE };
        int k = below(g, 7);
        if (k < 4) {
            uint8_t o[2] = { 0x0f, 0x70 };
            bool m = k == 0;
            enc(g, pf[k], o, 2, vreg(g, m), simd_rm(g, m, coin(g), m ? 8 : 16, !m), 1, rnd(g));
        } else {
            uint8_t o[3] = { 0x0f, 0x3a, k == 4 ? 0x0f : k == 5 ? 0x0e : 0x42 };
            simd_binary(g, o, 3, k == 4 && mmx, k == 4 && mmx ? 8 : 16, !(k == 4 && mmx), true);
        }
        break;
    }
    case 7: {   /* shifts by imm8 */
        int k = below(g, 10);
        if (k >= 8)
            mmx = false;
        uint8_t o[2] = { 0x0f, shift_imm[k][0] };
        uint64_t cnt = coin(g) ? (uint64_t)below(g, 20) : rnd(g);
        enc(g, (mmx ? 0 : P_66) | P_DIGIT, o, 2, shift_imm[k][1], rm_reg(vr), 1, cnt);
        break;
    }
    case 8: {   /* MOVD/MOVQ between vector registers and GPRs or memory (6E/7E, REX.W) */
        uint8_t o[2] = { 0x0f, coin(g) ? 0x6e : 0x7e };
        unsigned w = wbit(g);
        bool mem = coin(g);
        Rm rm = mem ? rm_mem(g, w ? 8 : 4) : rm_reg(o[1] == 0x6e ? src_reg(g) : dst_reg(g));
        enc(g, (mmx ? 0 : P_66) | w, o, 2, vr, rm, 0, 0);
        break;
    }
    case 9: {   /* MOVQ/MOVDQA/MOVDQU loads and stores, MOVQ xmm forms, LDDQU, MOVNTDQ/Q/DQA */
        int k = below(g, 10);
        static const uint8_t f[10][4] = {   /* prefix, opcode, memory size, aligned */
            { 0, 0x6f, 8, 0 }, { 0, 0x7f, 8, 0 }, { P_66, 0x6f, 16, 1 }, { P_66, 0x7f, 16, 1 },
            { P_REP, 0x6f, 16, 0 }, { P_REP, 0x7f, 16, 0 }, { P_REP, 0x7e, 8, 0 },
            { P_66, 0xd6, 8, 0 }, { P_REPNE, 0xf0, 16, 0 }, { P_66, 0xe7, 16, 1 },
        };
        uint8_t o[2] = { 0x0f, f[k][1] };
        bool m = k < 2, mem = k >= 8 || coin(g);
        enc(g, f[k][0], o, 2, vreg(g, m), simd_rm(g, m, mem, f[k][2], f[k][3]), 0, 0);
        break;
    }
    case 10: {  /* MOVQ2DQ, MOVDQ2Q, MOVNTQ, MOVNTDQA, MOVNTI */
        int k = below(g, 5);
        if (k < 2) {
            uint8_t o[2] = { 0x0f, 0xd6 };
            enc(g, k == 0 ? P_REP : P_REPNE, o, 2, vreg(g, k != 0), rm_reg(vreg(g, k == 0)), 0, 0);
        } else if (k == 2) {
            uint8_t o[2] = { 0x0f, 0xe7 };
            enc(g, 0, o, 2, below(g, 8), rm_mem(g, 8), 0, 0);
        } else if (k == 3) {
            uint8_t o[3] = { 0x0f, 0x38, 0x2a };
            enc(g, P_66, o, 3, vr, simd_rm(g, false, true, 16, true), 0, 0);
        } else {
            uint8_t o[2] = { 0x0f, 0xc3 };
            unsigned w = wbit(g);
            enc(g, w, o, 2, src_reg(g), rm_mem(g, w ? 8 : 4), 0, 0);
        }
        break;
    }
    case 11: {  /* PMOVMSKB, PEXTRW (C5), PINSRW */
        int k = below(g, 3);
        uint8_t o[2] = { 0x0f, k == 0 ? 0xd7 : k == 1 ? 0xc5 : 0xc4 };
        unsigned p = (mmx ? 0 : P_66) | (wbit(g));
        if (k < 2)
            enc(g, p, o, 2, dst_reg(g), rm_reg(vr), k ? 1 : 0, rnd(g));
        else
            enc(g, p, o, 2, vr, coin(g) ? rm_mem(g, 2) : rm_reg(src_reg(g)), 1, rnd(g));
        break;
    }
    case 12: {  /* PEXTRB/W/D/Q, PINSRB/D/Q (66 0F 3A 14..16, 20, 22) */
        static const uint8_t ops[5] = { 0x14, 0x15, 0x16, 0x20, 0x22 };
        int k = below(g, 5);
        uint8_t o[3] = { 0x0f, 0x3a, ops[k] };
        unsigned w = wbit(g);
        int msz = k == 0 || k == 3 ? 1 : k == 1 ? 2 : w ? 8 : 4;
        bool ins = k >= 3;
        Rm rm = coin(g) ? rm_mem(g, msz) : rm_reg(ins ? src_reg(g) : dst_reg(g));
        enc(g, P_66 | w, o, 3, vreg(g, false), rm, 1, rnd(g));
        break;
    }
    case 13: {  /* PTEST */
        uint8_t o[3] = { 0x0f, 0x38, 0x17 };
        simd_binary(g, o, 3, false, 16, true, false);
        done(g, F_ALL, 0);
        break;
    }
    case 14: {  /* CRC32 r32/r64, r/m8 / r/m16/32/64 */
        int ssz = 1 << below(g, 4);
        uint8_t o[3] = { 0x0f, 0x38, ssz == 1 ? 0xf0 : 0xf1 };
        unsigned p = P_REPNE | (ssz == 2 ? P_66 : 0) | (ssz == 8 || (ssz == 1 && coin(g)) ? P_W : 0);
        if (g->b32 && ssz == 8)
            ssz = 4;                    /* no REX.W in a 32-bit case: CRC32 r32, r/m32 */
        if (g->b32)
            p &= ~P_W;
        bool legacy = g->b32 || (g->base < 8 && !(p & P_W) && coin(g));
        Rm rm = coin(g) ? rm_mem(g, ssz) : rm_reg(reg_of(g, ssz, legacy, false));
        enc(g, p | (ssz == 1 ? P_BYTERM : 0), o, 3, dst_reg(g), rm, 0, 0);
        break;
    }
    case 15: case 16: { /* PCMPESTRM/PCMPESTRI/PCMPISTRM/PCMPISTRI, lengths in EAX/EDX often small */
        int k = below(g, 4);
        if (k < 2 && coin(g)) {
            mov_r32_imm(g, 0, (uint32_t)(below(g, 41) - 20));
            mov_r32_imm(g, 2, (uint32_t)(below(g, 41) - 20));
        }
        mark(g);
        uint8_t o[3] = { 0x0f, 0x3a, (uint8_t)(0x60 + k) };
        Rm s = coin(g) ? rm_mem(g, 16) : rm_reg(vreg(g, false));
        enc(g, P_66 | wbit(g), o, 3, vreg(g, false), s, 1, rnd(g) & 0x7f);
        done(g, F_ALL, 0);
        break;
    }
    case 17: {  /* LFENCE SFENCE MFENCE; PREFETCHNTA/T0/T1/T2 m8 (0F 18 /0-3), CLFLUSH m8 */
        uint8_t ae[2] = { 0x0f, 0xae }, pf[2] = { 0x0f, 0x18 };
        int k = below(g, 5);
        if (k < 3) {
            static const uint8_t f[3] = { 0xe8, 0xf8, 0xf0 };
            byte(g, 0x0f);
            byte(g, 0xae);
            byte(g, f[k]);
        } else if (k == 3) {
            enc(g, P_DIGIT, pf, 2, below(g, 4), rm_mem(g, 1), 0, 0);
        } else {
            enc(g, P_DIGIT, ae, 2, 7, rm_mem(g, 1), 0, 0);
        }
        break;
    }
    default: {  /* MASKMOVQ / MASKMOVDQU at DS:RDI */
        mov_r32_imm(g, 7, DATA_BASE + 0x400 + (uint32_t)below(g, 0x1400));
        mark(g);
        /* XXX: with an all-zero mask, whether the access is still checked is implementation
         * dependent (SDM vol. 2, MASKMOVQ; an Intel host checks it, softvisor does not), so with
         * the native 32-bit oracle, where sreg32 may leave DS unusable, it goes through SS. */
        if (g->n32)
            byte(g, 0x36);
        uint8_t o[2] = { 0x0f, 0xf7 };
        enc(g, mmx ? 0 : P_66, o, 2, vr, rm_reg(vreg(g, mmx)), 0, 0);
        break;
    }
    }
}

/* ---- special floating-point values (ssefp, x87 FXRSTOR images) ---- */

/* Element types of SSE floating-point operands, for their special values (Gen.xel). */
enum { EL_ANY, EL_S, EL_D, EL_I32 };

/* A single (dbl false) or double precision value that hits the special cases, biased per lane:
 * ±0, ±denormals (min, max, random), ±infinity, QNaN and SNaN with random payloads, the default
 * NaN, ±max/min normal and their neighbours, 1.0 and short significands, n + 0.5 (ties of
 * ROUND/CVT in every rounding mode), values around the int32/int64 limits (CVT* out of range ->
 * integer indefinite), tiny and huge exponents (products and quotients that underflow or
 * overflow), and random significands with any exponent (rounding differs per mode). */
static uint64_t fp_special(Gen *g, bool dbl)
{
    int mb = dbl ? 52 : 23, eb = dbl ? 11 : 8;
    uint64_t emax = (1ull << eb) - 1, bias = emax >> 1, mmask = (1ull << mb) - 1;
    uint64_t sign = coin(g) ? 1ull << (mb + eb) : 0;
    uint64_t m = rnd(g) & mmask, e;
    switch (below(g, 20)) {
    case 0: e = 0; m = 0; break;                                           /* ±0 */
    case 1: e = 0; m = (m >> below(g, mb)) | 1; break;                     /* denormal */
    case 2: e = 0; m = coin(g) ? 1 : mmask; break;                         /* min/max denormal */
    case 3: e = emax; m = 0; break;                                        /* infinity */
    case 4: e = emax; m = coin(g) ? 1ull << (mb - 1) : m | 1ull << (mb - 1); break;   /* QNaN */
    case 5: e = emax; m = (m & (mmask >> 1)) >> below(g, mb) | (coin(g) ? 1 : 0);      /* SNaN */
        if (!m)
            m = 1ull << below(g, mb - 1);
        break;
    case 6: {                                                              /* max/min normal ±1 ulp */
        uint64_t v = coin(g) ? (emax - 1) << mb | mmask : 1ull << mb;
        v += (uint64_t)(below(g, 3) - 1);
        return sign | v;
    }
    case 7: e = bias + (uint64_t)below(g, 3) - 1; m &= ~(mmask >> below(g, 4)); break;  /* ~1.0 */
    case 8: {                                                              /* n + 0.5, n, n + 0.25 */
        double v = (double)below(g, 1 << 12) + 0.25 * below(g, 4);
        if (dbl) {
            uint64_t b;
            memcpy(&b, &v, 8);
            return sign | b;
        }
        float f = (float)v;
        uint32_t b;
        memcpy(&b, &f, 4);
        return sign | b;
    }
    case 9: {                                                              /* int32/int64 limits */
        static const int lim[2] = { 31, 63 };
        e = bias + (uint64_t)lim[below(g, 2)] + (uint64_t)below(g, 3) - 1;
        m = below(g, 3) == 0 ? 0 : below(g, 2) ? mmask : m;
        break;
    }
    case 10: e = 1 + (uint64_t)below(g, 40); break;                        /* tiny */
    case 11: e = emax - 1 - (uint64_t)below(g, 40); break;                 /* huge */
    case 12: case 13: e = bias + (uint64_t)below(g, 81) - 40; break;       /* ordinary */
    default: e = 1 + rnd(g) % (emax - 1); break;                           /* any finite */
    }
    return sign | e << mb | m;
}

/* An int32 element (CVTDQ2PS/PD, CVTPI2PS/PD): small, around 2^24 (inexact as single), extreme,
 * or random. */
static uint32_t fp_special_i32(Gen *g)
{
    switch (below(g, 5)) {
    case 0: return (uint32_t)(below(g, 65) - 32);
    case 1: return ((1u << (24 + below(g, 7))) + (uint32_t)below(g, 5)) * (coin(g) ? 1u : ~0u);
    case 2: return coin(g) ? 0x80000000u : 0x7fffffffu;
    default: return (uint32_t)rnd(g);
    }
}

/* 16 bytes of elements of type `el` (EL_ANY: per 64-bit half, doubles or singles). */
static void fp_fill(Gen *g, uint64_t out[2], int el)
{
    for (int h = 0; h < 2; h++) {
        int t = el == EL_ANY ? (coin(g) ? EL_S : EL_D) : el;
        if (t == EL_D)
            out[h] = fp_special(g, true);
        else if (t == EL_S)
            out[h] = fp_special(g, false) | fp_special(g, false) << 32;
        else
            out[h] = fp_special_i32(g) | (uint64_t)fp_special_i32(g) << 32;
    }
}

/* ---- x87: loads/stores, arithmetic, compares, FCMOVcc, FLDCW (cpu/x87*.c) ---- */

/* An 80-bit operand that hits the special cases: ±0, denormals, pseudo-denormals, unnormals,
 * pseudo-zeros, ±infinity, QNaN/SNaN, pseudo-NaN/infinity, integers, values near the edges of the 32/64-bit
 * formats (overflow/underflow when stored), and ordinary numbers near 1. */
static void x87_value(Gen *g, uint64_t *mant, uint16_t *se)
{
    uint64_t r = rnd(g), j = 1ull << 63;
    uint16_t sign = coin(g) ? 0x8000 : 0;
    int e;
    switch (below(g, 16)) {
    case 0: *mant = 0; e = 0; break;                                 /* zero */
    case 1: *mant = r >> 1 >> below(g, 63); e = 0; break;            /* denormal */
    case 2: *mant = j | (r >> 1); e = 0; break;                      /* pseudo-denormal */
    case 3:                                                          /* unnormal, pseudo-zero */
        *mant = below(g, 4) ? r >> 1 >> below(g, 8) : 0;
        e = 1 + below(g, 0x7ffe);
        break;
    case 4: *mant = j; e = 0x7fff; break;                            /* infinity */
    case 5: *mant = j | 1ull << 62 | (coin(g) ? 0 : r >> 2); e = 0x7fff; break;   /* QNaN */
    case 6: *mant = j | ((r >> 2) | 1); e = 0x7fff; break;           /* SNaN */
    case 7: *mant = r >> 1; e = 0x7fff; break;                       /* pseudo-NaN/infinity */
    case 8: {                                                        /* an integer */
        int bits = 1 + below(g, 64);
        *mant = j | (r >> 1 >> (64 - bits) << (64 - bits));
        e = 0x3fff + bits - 1;
        break;
    }
    case 9: {                                   /* near the float/double/int limits */
        static const int edges[6] = { 0x3f81, 0x407e, 0x3c01, 0x43fe, 0x401e, 0x403e };
        *mant = j | (coin(g) ? r >> 1 : 0);
        e = edges[below(g, 6)] + below(g, 5) - 2;
        break;
    }
    case 10: *mant = j | (r >> 1); e = coin(g) ? 1 + below(g, 64) : 0x7ffe - below(g, 64); break;
    default: *mant = j | (r >> 1 >> below(g, 64) << below(g, 40)); e = 0x3fff + below(g, 129) - 64; break;
    }
    *se = (uint16_t)(sign | e);
}

/* Stores the bytes of a special operand of `size` (2/4/8 integer, 4/8/10 float) at memory operand
 * m 3 times in 4, so loads see more than random bytes. */
static void x87_mem_value(Gen *g, Rm m, int size, bool is_int)
{
    uint64_t mant;
    uint16_t se;
    uint8_t b[10];
    x87_value(g, &mant, &se);
    if (!below(g, 4))
        return;
    int e = se & 0x7fff;
    uint64_t sign = se >> 15;
    if (is_int) {
        uint64_t v = rnd_value(g);
        memcpy(b, &v, 8);
    } else if (size == 10) {
        memcpy(b, &mant, 8);
        memcpy(b + 8, &se, 2);
    } else if (size == 8) {
        int de = e == 0 ? 0 : e == 0x7fff ? 0x7ff : e - 0x3fff + 0x3ff;
        uint64_t v = sign << 63 | (uint64_t)(de < 0 ? 0 : de > 0x7ff ? 0x7ff : de) << 52 | (mant << 1 >> 12);
        memcpy(b, &v, 8);
    } else {
        int fe = e == 0 ? 0 : e == 0x7fff ? 0xff : e - 0x3fff + 0x7f;
        uint32_t v = (uint32_t)(sign << 31 | (uint64_t)(fe < 0 ? 0 : fe > 0xff ? 0xff : fe) << 23 |
                                (mant << 1 >> 41));
        memcpy(b, &v, 4);
    }
    case_put(g, rm_addr(g, m), b, size);
}

/* An x87 memory-operand instruction: opcode byte, /digit, operand size. */
static void x87_mem(Gen *g, uint8_t op, int digit, int size, bool load, bool is_int)
{
    Rm m = rm_mem(g, size);
    if (load)
        x87_mem_value(g, m, size, is_int);
    mark(g);
    enc(g, P_DIGIT, &op, 1, digit, m, 0, 0);
}

static void x87_reg(Gen *g, uint8_t op, uint8_t modrm)
{
    mark(g);
    byte(g, op);
    byte(g, modrm);
}

/* FLDENV (D9 /4) or FRSTOR (DD /4), 28/108-byte or with 66 14/94-byte protected-mode layout
 * (SDM vol. 1, figures 8-9, 8-10), of a random CW, SW (TOP, condition codes, flags, ES, B), TW
 * (empty or not per register) and pointers, FRSTOR's registers from x87_value. */
static void x87_ldenv(Gen *g)
{
    bool small = below(g, 4) == 0, rstor = coin(g);
    int esz = small ? 14 : 28, size = esz + (rstor ? 80 : 0);
    Rm m = rm_mem(g, size);
    uint8_t b[108];
    for (int k = 0; k < size; k++)
        b[k] = (uint8_t)rnd(g);
    uint16_t cw = (uint16_t)((below(g, 4) ? 0x3f : rnd(g) & 0x3f) | (rnd(g) & 0xffc0));
    uint16_t sw = (uint16_t)rnd(g);
    if (below(g, 2))
        sw &= (uint16_t)~0x80bfu | (cw & 0x3f);    /* half the time nothing pending */
    int step = small ? 2 : 4;
    memcpy(b, &cw, 2);
    memcpy(b + step, &sw, 2);
    for (int r = 0; r < 8 && rstor; r++) {
        uint64_t mant;
        uint16_t se;
        x87_value(g, &mant, &se);
        memcpy(b + esz + 10 * r, &mant, 8);
        memcpy(b + esz + 10 * r + 8, &se, 2);
    }
    case_put(g, rm_addr(g, m), b, size);
    uint8_t op = rstor ? 0xdd : 0xd9;
    mark(g);
    enc(g, P_DIGIT | (small ? P_66 : 0), &op, 1, 4, m, 0, 0);
}

/* MOV [m + off], imm of `size` 2 or 4: overwrites a stored pointer field with a constant. */
static void x87_scrub(Gen *g, Rm m, int off, int size)
{
    uint8_t op = 0xc7;
    m.disp += off;
    mark(g);
    enc(g, P_DIGIT | (size == 2 ? P_66 : 0), &op, 1, 0, m, size, 0x5a5a5a5au);
}

/* FNSTENV (D9 /6) or FNSAVE (DD /6), 28/108 or with 66 14/94 bytes.  The stored FIP, FCS|FOP,
 * FDP and FDS are overwritten right after with a constant: the host's pointers (its CS, its
 * last-instruction bookkeeping) are not softvisor's; CW, SW, the full TW, the padding and
 * FNSAVE's registers are compared. */
static void x87_stenv(Gen *g)
{
    bool small = below(g, 4) == 0, save = coin(g);
    int esz = small ? 14 : 28;
    Rm m = rm_mem(g, esz + (save ? 80 : 0));
    uint8_t op = save ? 0xdd : 0xd9;
    mark(g);
    enc(g, P_DIGIT | (small ? P_66 : 0), &op, 1, 6, m, 0, 0);
    for (int off = small ? 6 : 12; off < esz; off += small ? 2 : 4)
        x87_scrub(g, m, off, small ? 2 : 4);
}

/* FXSAVE/FXSAVE64 (0F AE /0) with FOP, FIP, FDP (and FCS/FDS) and MXCSR_MASK overwritten after
 * (the host's pointers; AMD's MXCSR_MASK has bit 17), or FXRSTOR/FXRSTOR64 (0F AE /1) of an image
 * with random CW, SW, abridged TW, MXCSR (mostly valid, never bit 17), registers from x87_value
 * and XMM registers from fp_fill; 16-byte aligned 15 times in 16.  Not in 32-bit cases for the
 * 64-bit-code oracle (32-bit code saves and restores XMM0-7, 64-bit code all sixteen); in 32-bit
 * code only the 32-bit forms. */
static void x87_fxsave(Gen *g)
{
    Rm m = rm_mem(g, 512 + 16);
    if (below(g, 16))
        m.disp -= (int32_t)(rm_addr(g, m) & 15);
    uint8_t o[2] = { 0x0f, 0xae };
    unsigned w = coin(g) && !g->b32 ? P_W : 0;
    if (coin(g)) {
        mark(g);
        enc(g, P_DIGIT | w, o, 2, 0, m, 0, 0);
        for (int off = 4; off < 24; off += 4)
            x87_scrub(g, m, off, 4);
        x87_scrub(g, m, 28, 4);
        return;
    }
    uint8_t b[512];
    for (int k = 0; k < 512; k += 8) {
        uint64_t v = rnd(g);
        memcpy(b + k, &v, 8);
    }
    uint16_t cw = (uint16_t)((below(g, 4) ? 0x3f : rnd(g) & 0x3f) | (rnd(g) & 0xffc0));
    memcpy(b, &cw, 2);
    uint32_t mx = (uint32_t)rnd(g) & 0xffff;
    if (below(g, 2))
        mx |= 0x1f80;
    int bit = 16 + below(g, 15);
    if (!below(g, 16))
        mx |= 1u << (bit + (bit >= 17));
    memcpy(b + 24, &mx, 4);
    for (int r = 0; r < 8; r++) {
        uint64_t mant;
        uint16_t se;
        x87_value(g, &mant, &se);
        memcpy(b + 32 + 16 * r, &mant, 8);
        memcpy(b + 40 + 16 * r, &se, 2);
    }
    for (int r = 0; r < 16; r++) {
        uint64_t v[2];
        fp_fill(g, v, EL_ANY);
        memcpy(b + 160 + 16 * r, v, 16);
    }
    case_put(g, rm_addr(g, m), b, 512);
    /* the MXCSR field once more by an instruction: a later item's image may overlap this one */
    uint8_t mov = 0xc7;
    Rm f = m;
    f.disp += 24;
    mark(g);
    enc(g, P_DIGIT, &mov, 1, 0, f, 4, mx);
    mark(g);
    enc(g, P_DIGIT | w, o, 2, 1, m, 0, 0);
}

static void fam_x87(Gen *g)
{
    int i = below(g, 8);
    switch (below(g, 23)) {
    case 0: {   /* FLD m32/m64/m80, FILD m16/m32/m64 */
        static const uint8_t f[6][4] = {   /* opcode, digit, size, integer */
            { 0xd9, 0, 4, 0 }, { 0xdd, 0, 8, 0 }, { 0xdb, 5, 10, 0 }, { 0xdf, 0, 2, 1 },
            { 0xdb, 0, 4, 1 }, { 0xdf, 5, 8, 1 },
        };
        int k = below(g, 6);
        x87_mem(g, f[k][0], f[k][1], f[k][2], true, f[k][3]);
        break;
    }
    case 1: {   /* FST/FSTP m32/m64/m80, FIST/FISTP m16/m32/m64, FISTTP m16/m32/m64 */
        static const uint8_t f[13][3] = {
            { 0xd9, 2, 4 }, { 0xd9, 3, 4 }, { 0xdd, 2, 8 }, { 0xdd, 3, 8 }, { 0xdb, 7, 10 },
            { 0xdf, 2, 2 }, { 0xdf, 3, 2 }, { 0xdb, 2, 4 }, { 0xdb, 3, 4 }, { 0xdf, 7, 8 },
            { 0xdf, 1, 2 }, { 0xdb, 1, 4 }, { 0xdd, 1, 8 },
        };
        int k = below(g, 13);
        x87_mem(g, f[k][0], f[k][1], f[k][2], false, false);
        break;
    }
    case 2:     /* FLD ST(i), FST ST(i), FSTP ST(i), FXCH ST(i) */
        switch (below(g, 4)) {
        case 0: x87_reg(g, 0xd9, (uint8_t)(0xc0 + i)); break;
        case 1: x87_reg(g, 0xdd, (uint8_t)(0xd0 + i)); break;
        case 2: x87_reg(g, 0xdd, (uint8_t)(0xd8 + i)); break;
        default: x87_reg(g, 0xd9, (uint8_t)(0xc8 + i)); break;
        }
        break;
    case 3: case 4: {   /* FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR m32/m64, FIxxx m16/m32 */
        static const uint8_t ops[4] = { 0xd8, 0xdc, 0xda, 0xde };
        int k = below(g, 4);
        x87_mem(g, ops[k], below(g, 8), k == 0 || k == 2 ? 4 : k == 1 ? 8 : 2, true, k >= 2);
        break;
    }
    case 5: case 6: {   /* register arithmetic: D8 (ST0 op STi), DC (STi op ST0), DE (and pop) */
        static const uint8_t ops[3] = { 0xd8, 0xdc, 0xde };
        static const int dcde[6] = { 0, 1, 4, 5, 6, 7 };
        int k = below(g, 3);
        int n = k == 0 ? below(g, 8) : dcde[below(g, 6)];
        x87_reg(g, ops[k], (uint8_t)(0xc0 + 8 * n + i));
        break;
    }
    case 7: {   /* FCOMPP, FUCOM(P)(P), FTST, FXAM */
        static const uint8_t f[6][2] = {
            { 0xde, 0xd9 }, { 0xdd, 0xe0 }, { 0xdd, 0xe8 }, { 0xda, 0xe9 }, { 0xd9, 0xe4 }, { 0xd9, 0xe5 },
        };
        int k = below(g, 6);
        x87_reg(g, f[k][0], (uint8_t)(f[k][1] + (k == 1 || k == 2 ? i : 0)));
        break;
    }
    case 8: {   /* FCOMI FUCOMI FCOMIP FUCOMIP: ZF PF CF written, OF SF AF cleared */
        static const uint8_t f[4][2] = { { 0xdb, 0xf0 }, { 0xdb, 0xe8 }, { 0xdf, 0xf0 }, { 0xdf, 0xe8 } };
        int k = below(g, 4);
        x87_reg(g, f[k][0], (uint8_t)(f[k][1] + i));
        done(g, F_ALL, 0);
        break;
    }
    case 9: {   /* FCHS FABS FSQRT FRNDINT FSCALE FXTRACT FPREM FPREM1 */
        static const uint8_t f[8] = { 0xe0, 0xe1, 0xfa, 0xfc, 0xfd, 0xf4, 0xf8, 0xf5 };
        x87_reg(g, 0xd9, f[below(g, 8)]);
        break;
    }
    case 10:    /* FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ */
        x87_reg(g, 0xd9, (uint8_t)(0xe8 + below(g, 7)));
        break;
    case 11: {  /* FCMOVcc: DA C0/C8/D0/D8 (B E BE U), DB the negations; reads CF ZF PF */
        static const uint32_t reads[4] = { F_CF, F_ZF, F_CF | F_ZF, F_PF };
        int n = below(g, 4);
        uint8_t op = coin(g) ? 0xda : 0xdb;
        begin(g, reads[n]);
        byte(g, op);
        byte(g, (uint8_t)(0xc0 + 8 * n + i));
        break;
    }
    case 12: {  /* mov word [m], imm16; FLDCW [m]: any masks, PC (01 reserved too), RC */
        Rm m = rm_mem(g, 2);
        uint16_t cw = (uint16_t)((below(g, 4) ? 0x3f : rnd(g) & 0x3f) | (rnd(g) & 0xf00) |
                                 (below(g, 8) ? 0 : rnd(g) & 0xf0c0));
        uint8_t mov = 0xc7, ldcw = 0xd9;
        mark(g);
        enc(g, P_66, &mov, 1, 0, m, 2, cw);
        mark(g);
        enc(g, P_DIGIT, &ldcw, 1, 5, m, 0, 0);
        break;
    }
    case 13:    /* FNSTCW m16, FNSTSW m16, FNSTSW AX, FNCLEX */
        switch (below(g, 4)) {
        case 0: x87_mem(g, 0xd9, 7, 2, false, false); break;
        case 1: x87_mem(g, 0xdd, 7, 2, false, false); break;
        case 2: x87_reg(g, 0xdf, 0xe0); break;
        default: x87_reg(g, 0xdb, 0xe2); break;
        }
        break;
    case 14:    /* FINCSTP FDECSTP FFREE ST(i) */
        switch (below(g, 3)) {
        case 0: x87_reg(g, 0xd9, 0xf7); break;
        case 1: x87_reg(g, 0xd9, 0xf6); break;
        default: x87_reg(g, 0xdd, (uint8_t)(0xc0 + i)); break;
        }
        break;
    case 16: {  /* F2XM1 FYL2X FPTAN FPATAN FYL2XP1 FSINCOS FSIN FCOS FNOP */
        static const uint8_t f[9] = { 0xf0, 0xf1, 0xf2, 0xf3, 0xf9, 0xfb, 0xfe, 0xff, 0xd0 };
        x87_reg(g, 0xd9, f[below(g, 9)]);
        break;
    }
    case 17: {  /* FBLD m80 (valid or random BCD digits), FBSTP m80 */
        Rm m = rm_mem(g, 10);
        uint8_t op = 0xdf;
        bool load = coin(g);
        if (load && coin(g)) {
            uint8_t b[10];
            for (int k = 0; k < 9; k++)
                b[k] = (uint8_t)(below(g, 10) << 4 | below(g, 10));
            b[9] = coin(g) ? 0x80 : 0;
            case_put(g, rm_addr(g, m), b, 10);
        } else if (load) {
            x87_mem_value(g, m, 10, false);
        }
        mark(g);
        enc(g, P_DIGIT, &op, 1, load ? 4 : 6, m, 0, 0);
        break;
    }
    case 18:    /* FLDENV / FRSTOR of an environment (and registers) with random fields */
        x87_ldenv(g);
        break;
    case 19:    /* FWAIT, FNINIT */
        mark(g);
        if (coin(g)) {
            byte(g, 0x9b);
        } else {
            byte(g, 0xdb);
            byte(g, 0xe3);
        }
        break;
    case 20:    /* FNSTENV / FNSAVE */
        x87_stenv(g);
        break;
    case 21: case 22:  /* FXSAVE / FXRSTOR (not for the 64-bit-code oracle), else FLDENV / FRSTOR */
        if (g->b32 && !g->n32)
            x87_ldenv(g);
        else
            x87_fxsave(g);
        break;
    default: {  /* FLD m80 of a special operand, then an arithmetic op on it */
        x87_mem(g, 0xdb, 5, 10, true, false);
        static const uint8_t f[4] = { 0xc0, 0xc8, 0xe0, 0xf0 };
        x87_reg(g, 0xd8, (uint8_t)(f[below(g, 4)] + 1 + below(g, 7)));
        break;
    }
    }
}

/* ---- mmx: EMMS and the MMX registers over a random x87 state (cpu/mmx.c, cpu/sse_int.c) ----
 * The x87 state of these cases is random like the x87 family's (gen_fpu_state): any TOP, empty
 * registers, special values; an MMX instruction makes TOP 0 and all tags valid, a write sets the
 * register's exponent to all ones, EMMS empties all; x87 instructions then meet that state. */
static void fam_mmx(Gen *g)
{
    static const uint8_t arith[8] = { 0xfc, 0xd5, 0xe5, 0xf8, 0xdb, 0xef, 0x63, 0x74 };
    mark(g);
    switch (below(g, 5)) {
    case 0:     /* EMMS */
        byte(g, 0x0f);
        byte(g, 0x77);
        break;
    case 1: {   /* MOVQ mm, mm/m64; MOVD mm, r/m32 */
        bool q = coin(g);
        uint8_t o[2] = { 0x0f, q ? 0x6f : 0x6e };
        Rm s = coin(g) ? rm_mem(g, q ? 8 : 4) : rm_reg(q ? below(g, 8) : src_reg(g));
        enc(g, 0, o, 2, below(g, 8), s, 0, 0);
        break;
    }
    case 2: {   /* MOVQ mm/m64, mm; MOVD r/m32, mm */
        bool q = coin(g);
        uint8_t o[2] = { 0x0f, q ? 0x7f : 0x7e };
        Rm d = coin(g) ? rm_mem(g, q ? 8 : 4) : rm_reg(q ? below(g, 8) : dst_reg(g));
        enc(g, 0, o, 2, below(g, 8), d, 0, 0);
        break;
    }
    default: {  /* PADDB PMULLW PMULHW PSUBB PAND PXOR PACKSSWB PCMPEQB mm, mm/m64 */
        uint8_t o[2] = { 0x0f, arith[below(g, 8)] };
        Rm s = coin(g) ? rm_mem(g, 8) : rm_reg(below(g, 8));
        enc(g, 0, o, 2, below(g, 8), s, 0, 0);
        break;
    }
    }
}

typedef void (*FamFn)(Gen *g);

/* ---- ssefp: SSE/SSE2/SSE3/SSE4.1 floating point (cpu/sse_fp*.c) ---- */

/* Puts `size` bytes of special elements at memory operand m (its input bytes). */
static void fp_mem_value(Gen *g, Rm m, int size, int el)
{
    uint64_t v[2];
    fp_fill(g, v, el);
    case_put(g, rm_addr(g, m), v, size);
}

/* Forms of the ssefp instructions. */
enum {
    SF_XX,      /* xmm, xmm/m (load, or register to register) */
    SF_XM,      /* xmm, m only (MOVLPD/MOVHPD loads) */
    SF_ST,      /* xmm/m, xmm (store) */
    SF_STM,     /* m, xmm only (MOVNTPS/PD, MOVLPx/MOVHPx stores) */
    SF_TOINT,   /* r32/64, xmm/m (CVT(T)SS2SI, CVT(T)SD2SI) */
    SF_FROMINT, /* xmm, r/m32/64 (CVTSI2SS/SD) */
    SF_PI2,     /* xmm, mm/m64 (CVTPI2PS/PD) */
    SF_2PI,     /* mm, xmm/m (CVT(T)PS2PI, CVT(T)PD2PI) */
    SF_MSK,     /* r32/64, xmm (MOVMSKPS/PD) */
    SF_EXTR,    /* r/m32, xmm, imm8 (EXTRACTPS) */
};

/* Prefix, opcode after 0F (0x38xx / 0x3axx for three-byte opcodes), form, element type of the
 * source and of the destination's input, memory size, imm8 follows, writes ZF PF CF (COMISS
 * family), needs 16-byte alignment. */
typedef struct SseFpOp {
    uint8_t pfx;
    uint16_t op;
    uint8_t form, el, del, msz;
    bool imm, flags, align;
} SseFpOp;

#define PS(op) { 0, op, SF_XX, EL_S, EL_S, 16, false, false, true }
#define PD(op) { 0x66, op, SF_XX, EL_D, EL_D, 16, false, false, true }
#define SS(op) { 0xf3, op, SF_XX, EL_S, EL_S, 4, false, false, false }
#define SD(op) { 0xf2, op, SF_XX, EL_D, EL_D, 8, false, false, false }

static const SseFpOp ssefp_ops[] = {
    PS(0x58), PS(0x59), PS(0x5c), PS(0x5d), PS(0x5e), PS(0x5f), PS(0x51), PS(0x52), PS(0x53),
    PS(0x14), PS(0x15), PS(0x54), PS(0x55), PS(0x56), PS(0x57), PS(0x28),
    { 0, 0xc2, SF_XX, EL_S, EL_S, 16, true, false, true },
    { 0, 0xc6, SF_XX, EL_S, EL_S, 16, true, false, true },
    { 0, 0x5a, SF_XX, EL_S, EL_D, 8, false, false, false },            /* CVTPS2PD */
    { 0, 0x5b, SF_XX, EL_I32, EL_S, 16, false, false, true },          /* CVTDQ2PS */
    { 0, 0x10, SF_XX, EL_S, EL_S, 16, false, false, false },           /* MOVUPS */
    { 0, 0x12, SF_XX, EL_S, EL_S, 8, false, false, false },            /* MOVLPS/MOVHLPS */
    { 0, 0x16, SF_XX, EL_S, EL_S, 8, false, false, false },            /* MOVHPS/MOVLHPS */
    { 0, 0x2f, SF_XX, EL_S, EL_S, 4, false, true, false },             /* COMISS */
    { 0, 0x2e, SF_XX, EL_S, EL_S, 4, false, true, false },             /* UCOMISS */
    { 0, 0x11, SF_ST, EL_S, EL_S, 16, false, false, false },           /* MOVUPS store */
    { 0, 0x29, SF_ST, EL_S, EL_S, 16, false, false, true },            /* MOVAPS store */
    { 0, 0x13, SF_STM, EL_S, EL_S, 8, false, false, false },           /* MOVLPS store */
    { 0, 0x17, SF_STM, EL_S, EL_S, 8, false, false, false },           /* MOVHPS store */
    { 0, 0x2b, SF_STM, EL_S, EL_S, 16, false, false, true },           /* MOVNTPS */
    { 0, 0x50, SF_MSK, EL_S, EL_S, 0, false, false, false },           /* MOVMSKPS */
    { 0, 0x2a, SF_PI2, EL_I32, EL_S, 8, false, false, false },         /* CVTPI2PS */
    { 0, 0x2c, SF_2PI, EL_S, EL_S, 8, false, false, false },           /* CVTTPS2PI */
    { 0, 0x2d, SF_2PI, EL_S, EL_S, 8, false, false, false },           /* CVTPS2PI */
    PD(0x58), PD(0x59), PD(0x5c), PD(0x5d), PD(0x5e), PD(0x5f), PD(0x51), PD(0x7c), PD(0x7d),
    PD(0xd0), PD(0x14), PD(0x15), PD(0x54), PD(0x55), PD(0x56), PD(0x57), PD(0x28), PD(0xe6),
    { 0x66, 0xc2, SF_XX, EL_D, EL_D, 16, true, false, true },
    { 0x66, 0xc6, SF_XX, EL_D, EL_D, 16, true, false, true },
    { 0x66, 0x5a, SF_XX, EL_D, EL_S, 16, false, false, true },         /* CVTPD2PS */
    { 0x66, 0x5b, SF_XX, EL_S, EL_I32, 16, false, false, true },       /* CVTPS2DQ */
    { 0x66, 0x10, SF_XX, EL_D, EL_D, 16, false, false, false },        /* MOVUPD */
    { 0x66, 0x12, SF_XM, EL_D, EL_D, 8, false, false, false },         /* MOVLPD */
    { 0x66, 0x16, SF_XM, EL_D, EL_D, 8, false, false, false },         /* MOVHPD */
    { 0x66, 0x2f, SF_XX, EL_D, EL_D, 8, false, true, false },          /* COMISD */
    { 0x66, 0x2e, SF_XX, EL_D, EL_D, 8, false, true, false },          /* UCOMISD */
    { 0x66, 0x11, SF_ST, EL_D, EL_D, 16, false, false, false },        /* MOVUPD store */
    { 0x66, 0x29, SF_ST, EL_D, EL_D, 16, false, false, true },         /* MOVAPD store */
    { 0x66, 0x13, SF_STM, EL_D, EL_D, 8, false, false, false },        /* MOVLPD store */
    { 0x66, 0x17, SF_STM, EL_D, EL_D, 8, false, false, false },        /* MOVHPD store */
    { 0x66, 0x2b, SF_STM, EL_D, EL_D, 16, false, false, true },        /* MOVNTPD */
    { 0x66, 0x50, SF_MSK, EL_D, EL_D, 0, false, false, false },        /* MOVMSKPD */
    { 0x66, 0x2a, SF_PI2, EL_I32, EL_D, 8, false, false, false },      /* CVTPI2PD */
    { 0x66, 0x2c, SF_2PI, EL_D, EL_D, 16, false, false, true },        /* CVTTPD2PI */
    { 0x66, 0x2d, SF_2PI, EL_D, EL_D, 16, false, false, true },        /* CVTPD2PI */
    { 0x66, 0x3a08, SF_XX, EL_S, EL_S, 16, true, false, true },        /* ROUNDPS */
    { 0x66, 0x3a09, SF_XX, EL_D, EL_D, 16, true, false, true },        /* ROUNDPD */
    { 0x66, 0x3a0a, SF_XX, EL_S, EL_S, 4, true, false, false },        /* ROUNDSS */
    { 0x66, 0x3a0b, SF_XX, EL_D, EL_D, 8, true, false, false },        /* ROUNDSD */
    { 0x66, 0x3a0c, SF_XX, EL_S, EL_S, 16, true, false, true },        /* BLENDPS */
    { 0x66, 0x3a0d, SF_XX, EL_D, EL_D, 16, true, false, true },        /* BLENDPD */
    { 0x66, 0x3a40, SF_XX, EL_S, EL_S, 16, true, false, true },        /* DPPS */
    { 0x66, 0x3a41, SF_XX, EL_D, EL_D, 16, true, false, true },        /* DPPD */
    { 0x66, 0x3a21, SF_XX, EL_S, EL_S, 4, true, false, false },        /* INSERTPS */
    { 0x66, 0x3a17, SF_EXTR, EL_S, EL_S, 4, true, false, false },      /* EXTRACTPS */
    { 0x66, 0x3814, SF_XX, EL_S, EL_S, 16, false, false, true },       /* BLENDVPS (XMM0) */
    { 0x66, 0x3815, SF_XX, EL_D, EL_D, 16, false, false, true },       /* BLENDVPD (XMM0) */
    SS(0x58), SS(0x59), SS(0x5c), SS(0x5d), SS(0x5e), SS(0x5f), SS(0x51), SS(0x52), SS(0x53),
    SS(0x10),
    { 0xf3, 0xc2, SF_XX, EL_S, EL_S, 4, true, false, false },
    { 0xf3, 0x5a, SF_XX, EL_S, EL_D, 4, false, false, false },         /* CVTSS2SD */
    { 0xf3, 0x5b, SF_XX, EL_S, EL_I32, 16, false, false, true },       /* CVTTPS2DQ */
    { 0xf3, 0xe6, SF_XX, EL_I32, EL_D, 8, false, false, false },       /* CVTDQ2PD */
    { 0xf3, 0x12, SF_XX, EL_S, EL_S, 16, false, false, true },         /* MOVSLDUP */
    { 0xf3, 0x16, SF_XX, EL_S, EL_S, 16, false, false, true },         /* MOVSHDUP */
    { 0xf3, 0x11, SF_ST, EL_S, EL_S, 4, false, false, false },         /* MOVSS store */
    { 0xf3, 0x2a, SF_FROMINT, EL_I32, EL_S, 4, false, false, false },  /* CVTSI2SS */
    { 0xf3, 0x2c, SF_TOINT, EL_S, EL_S, 4, false, false, false },      /* CVTTSS2SI */
    { 0xf3, 0x2d, SF_TOINT, EL_S, EL_S, 4, false, false, false },      /* CVTSS2SI */
    SD(0x58), SD(0x59), SD(0x5c), SD(0x5d), SD(0x5e), SD(0x5f), SD(0x51), SD(0x10), SD(0x12),
    { 0xf2, 0xc2, SF_XX, EL_D, EL_D, 8, true, false, false },
    { 0xf2, 0x5a, SF_XX, EL_D, EL_S, 8, false, false, false },         /* CVTSD2SS */
    { 0xf2, 0xe6, SF_XX, EL_D, EL_I32, 16, false, false, true },       /* CVTPD2DQ */
    { 0xf2, 0x7c, SF_XX, EL_S, EL_S, 16, false, false, true },         /* HADDPS */
    { 0xf2, 0x7d, SF_XX, EL_S, EL_S, 16, false, false, true },         /* HSUBPS */
    { 0xf2, 0xd0, SF_XX, EL_S, EL_S, 16, false, false, true },         /* ADDSUBPS */
    { 0xf2, 0x11, SF_ST, EL_D, EL_D, 8, false, false, false },         /* MOVSD store */
    { 0xf2, 0x2a, SF_FROMINT, EL_I32, EL_D, 4, false, false, false },  /* CVTSI2SD */
    { 0xf2, 0x2c, SF_TOINT, EL_D, EL_D, 8, false, false, false },      /* CVTTSD2SI */
    { 0xf2, 0x2d, SF_TOINT, EL_D, EL_D, 8, false, false, false },      /* CVTSD2SI */
};

#undef PS
#undef PD
#undef SS
#undef SD

/* An XMM register (XMM0-7 in a 32-bit case) whose input gets elements of type `el`. */
static int fp_xmm(Gen *g, int el)
{
    int r = below(g, g->b32 ? 8 : 16);
    if (!g->xel[r])
        g->xel[r] = (uint8_t)(el + 1);
    return r;
}

/* MXCSR: LDMXCSR of a random value stored just before (1 in 8 with a reserved bit: #GP), or
 * STMXCSR.  XXX: never bit 17, which this AMD host accepts (MXCSR.MM, misaligned-SSE mask) while
 * softvisor's MXCSR_MASK is FFFF (cpu/x87.c). */
static void fp_mxcsr(Gen *g)
{
    uint8_t o[2] = { 0x0f, 0xae };
    Rm m = rm_mem(g, 4);
    if (below(g, 3)) {
        uint32_t v = (uint32_t)rnd(g) & 0xffff;
        if (below(g, 2))
            v |= 0x1f80;                  /* mostly masked, so cases run on */
        int bit = 16 + below(g, 15);
        if (!below(g, 8))
            v |= 1u << (bit + (bit >= 17));   /* not 17: AMD's MM, the host accepts it */
        uint8_t mov = 0xc7;
        mark(g);
        enc(g, 0, &mov, 1, 0, m, 4, v);
        mark(g);
        enc(g, P_DIGIT, o, 2, 2, m, 0, 0);
    } else {
        mark(g);
        enc(g, P_DIGIT, o, 2, 3, m, 0, 0);
    }
}

/* SSE floating point: every instruction of the table in its register and memory forms (a
 * misaligned 16-byte operand faults the same way on both sides where alignment is required), memory sources and
 * the XMM registers' inputs from fp_special per element type, with a random MXCSR
 * (gen_fpu_state, and LDMXCSR within the sequence): every rounding mode, DAZ, FTZ, sticky flags,
 * exceptions unmasked (#XM, vector 19, on both sides).  32-bit cases: XMM0-7, no REX.W. */
static void fam_ssefp(Gen *g)
{
    if (!below(g, 24)) {
        fp_mxcsr(g);
        return;
    }
    const SseFpOp *o = &ssefp_ops[below(g, (int)(sizeof(ssefp_ops) / sizeof(ssefp_ops[0])))];
    uint8_t opc[3] = { 0x0f, (uint8_t)o->op, 0 };
    int n = 2;
    if (o->op > 0xff) {
        opc[1] = (uint8_t)(o->op >> 8);
        opc[2] = (uint8_t)o->op;
        n = 3;
    }
    unsigned p = o->pfx == 0x66 ? P_66 : o->pfx == 0xf3 ? P_REP : o->pfx == 0xf2 ? P_REPNE : 0;
    bool mem = o->form == SF_XM || o->form == SF_STM || below(g, 4) == 0;
    Rm rm = rm_reg(0);
    if (mem && o->form != SF_MSK) {
        rm = rm_mem(g, o->msz ? o->msz : 4);
        /* aligned 7 times in 8 where alignment is required (#GP otherwise, so most cases run to
         * their end), half the time where it is not (must not fault) */
        if (o->msz == 16 && below(g, o->align ? 8 : 2))
            rm.disp -= (int32_t)(rm_addr(g, rm) & 15);
        if (o->form != SF_ST && o->form != SF_STM && o->form != SF_EXTR)
            fp_mem_value(g, rm, o->msz, o->el);
    } else {
        mem = false;
    }
    int regf;
    switch (o->form) {
    case SF_TOINT: case SF_MSK:
        regf = dst_reg(g);
        if (!g->b32 && coin(g))
            p |= P_W;
        if (!mem)
            rm = rm_reg(fp_xmm(g, o->el));
        break;
    case SF_FROMINT:
        regf = fp_xmm(g, o->del);
        if (!g->b32 && coin(g))
            p |= P_W;
        if (!mem)
            rm = rm_reg(src_reg(g));
        break;
    case SF_PI2:
        regf = fp_xmm(g, o->del);
        if (!mem)
            rm = rm_reg(below(g, 8));
        break;
    case SF_2PI:
        regf = below(g, 8);
        if (!mem)
            rm = rm_reg(fp_xmm(g, o->el));
        break;
    case SF_EXTR:
        regf = fp_xmm(g, o->el);
        if (!mem)
            rm = rm_reg(dst_reg(g));
        break;
    case SF_ST: case SF_STM:
        regf = fp_xmm(g, o->el);
        if (!mem)
            rm = rm_reg(fp_xmm(g, o->del));
        break;
    default:
        regf = fp_xmm(g, o->del);
        if (!mem)
            rm = rm_reg(fp_xmm(g, o->el));
        break;
    }
    mark(g);
    enc(g, p, opc, n, regf, rm, o->imm ? 1 : 0, rnd(g));
    if (o->flags)
        done(g, F_ALL, 0);
}

/* ---- 32-bit only (native 32-bit oracle) ---- */

/* BCD adjustments (37 AAA, 3F AAS, 27 DAA, 2F DAS, D4 ib AAM, D5 ib AAD; #UD in 64-bit code), on
 * AX from the state or from "mov ax, imm16"; AAM 0 raises #DE. */
static void fam_bcd(Gen *g)
{
    if (coin(g)) {
        mark(g);
        byte(g, 0x66);
        byte(g, 0xb8);
        imm(g, rnd_value(g), 2);
    }
    int k = below(g, 6);
    static const uint8_t ops[6] = { 0x37, 0x3f, 0x27, 0x2f, 0xd4, 0xd5 };
    static const uint32_t reads[6] = { F_AF, F_AF, F_AF | F_CF, F_AF | F_CF, 0, 0 };
    static const uint32_t undef[6] = {
        F_OF | F_SF | F_ZF | F_PF, F_OF | F_SF | F_ZF | F_PF, F_OF, F_OF,
        F_OF | F_AF | F_CF, F_OF | F_AF | F_CF,
    };
    begin(g, reads[k]);
    byte(g, ops[k]);
    if (k >= 4)
        byte(g, below(g, 8) == 0 ? 0u : coin(g) ? 10u : (unsigned)rnd(g) & 0xff);
    done(g, F_ALL, undef[k]);
}

/* PUSHA / POPA (60 / 61, 66: 16-bit).  POPA also loads the memory base and index registers: they
 * are set again right after, before any memory operand uses them. */
static void fam_pusha(Gen *g)
{
    mark(g);
    if (below(g, 4) == 0)
        byte(g, 0x66);
    if (coin(g)) {
        byte(g, 0x60);
        return;
    }
    byte(g, 0x61);
    mov_r32_imm(g, g->base, (uint32_t)g->base_val);
    if (g->index >= 0)
        mov_r32_imm(g, g->index, (uint32_t)g->index_val);
}

/* ENTER size, level (C8 iw ib; the level is taken mod 32) and LEAVE (C9), 66: 16-bit forms, with
 * rBP first set to a frame in the data buffer (ENTER copies level - 1 frame pointers from below
 * it, LEAVE pops from it).  Only when rBP is neither the memory base nor the index. */
static void fam_enter(Gen *g)
{
    if (!writable(g, 5)) {
        mark(g);
        byte(g, 0x90);
        return;
    }
    mov_r32_imm(g, 5, DATA_BASE + 0x2000 + (uint32_t)below(g, 0x800));
    bool enter = coin(g), leave = !enter || coin(g);
    if (enter) {
        mark(g);
        if (below(g, 4) == 0)
            byte(g, 0x66);
        byte(g, 0xc8);
        imm(g, (uint64_t)(coin(g) ? below(g, 16) : below(g, 0x100)), 2);
        byte(g, (unsigned)(coin(g) ? below(g, 4) : below(g, 256)));
    }
    if (leave) {
        mark(g);
        if (below(g, 4) == 0)
            byte(g, 0x66);
        byte(g, 0xc9);
    }
}

/* BOUND r, m (62 /r, memory only; 66: 16-bit), the register set first and the bounds written
 * around it (inside, below, above, or random); INTO (CE: #OF, a trap, when OF = 1); SALC (D6). */
static void fam_misc32(Gen *g)
{
    switch (below(g, 3)) {
    case 0: {
        bool w16 = below(g, 4) == 0;
        int osz = w16 ? 2 : 4, r = dst_reg(g);
        int32_t v = (int32_t)rnd_value(g);
        if (w16)
            v = (int16_t)v;
        mov_r32_imm(g, r, (uint32_t)v);
        Rm m = rm_mem(g, 2 * osz);
        int64_t lo = v - below(g, 3), hi = v + below(g, 3);
        switch (below(g, 4)) {
        case 0: lo = v + 1 + below(g, 3); break;
        case 1: hi = v - 1 - below(g, 3); break;
        case 2: lo = (int32_t)rnd_value(g); hi = (int32_t)rnd_value(g); break;
        default: break;
        }
        case_put(g, rm_addr(g, m), &lo, osz);
        case_put(g, rm_addr(g, m) + (uint64_t)osz, &hi, osz);
        static const uint8_t op = 0x62;
        mark(g);
        enc(g, w16 ? P_66 : 0, &op, 1, r, m, 0, 0);
        break;
    }
    case 1:
        begin(g, F_OF);
        byte(g, 0xce);
        break;
    default:
        begin(g, F_CF);
        byte(g, 0xd6);
        break;
    }
}

/* Loads of ES, SS, DS (never FS/GS: the host's C library keeps its thread pointer in FS) and
 * stores of ES, CS, SS, DS.  Loads: POP Sreg (07 17 1F) of a PUSH imm8 or PUSH Sreg just before,
 * or MOV Sreg, r16 (8E /r, the register set just before; 8E /1, CS, is #UD), of Linux's user
 * selectors (0x2b half the time, else 0x23 0x33 0x2b with any RPL, a null selector, or a kernel
 * one): the protected-mode checks decide between a load and #GP (emu.c builds the same GDT).  A
 * null or code-segment DS/ES makes later accesses through it fault (#GP on writes to a code
 * segment, on any access through null).  LES / LDS (C4 / C5, memory forms only: with mod = 11
 * they are VEX prefixes) of a far pointer written into the buffer with such a selector.  Stores:
 * MOV r/m, Sreg (8C /r; to a 32-bit register the selector is zero-extended, to memory 16 bits are
 * written). */
static void fam_sreg(Gen *g)
{
    static const uint8_t sels[12] = {
        0x2b, 0x28, 0x29, 0x2a, 0x23, 0x20, 0x22, 0x33, 0x31, 0x00, 0x03, 0x13,
    };
    static const int loadable[3] = { 0, 2, 3 };   /* ES, SS, DS */
    int sreg = loadable[below(g, 3)];
    uint8_t sel = coin(g) ? 0x2b : sels[below(g, 12)];
    bool w16 = below(g, 4) == 0;
    switch (below(g, 5)) {
    case 0: {   /* push imm8 sel; pop sreg */
        mark(g);
        if (w16) byte(g, 0x66);
        byte(g, 0x6a);
        byte(g, sel);
        mark(g);
        if (w16) byte(g, 0x66);
        byte(g, (unsigned)(0x07 + 8 * sreg));
        break;
    }
    case 1: {   /* push sreg2; pop sreg */
        mark(g);
        if (w16) byte(g, 0x66);
        byte(g, (unsigned)(0x06 + 8 * below(g, 4)));
        mark(g);
        if (w16) byte(g, 0x66);
        byte(g, (unsigned)(0x07 + 8 * sreg));
        break;
    }
    case 2: {   /* mov r32, sel; mov sreg, r16 (1 in 16: mov cs, #UD) */
        int r = dst_reg(g);
        mov_r32_imm(g, r, sel);
        uint8_t op = 0x8e;
        mark(g);
        enc(g, (w16 ? P_66 : 0) | P_DIGIT, &op, 1, below(g, 16) ? sreg : 1, rm_reg(r), 0, 0);
        break;
    }
    case 3: {   /* LES / LDS r, m16:32 (66: m16:16): the offset, then the selector */
        int r = dst_reg(g);
        Rm m = rm_mem(g, w16 ? 4 : 6);
        uint32_t off = (uint32_t)rnd_value(g);
        uint16_t s16 = sel;
        case_put(g, rm_addr(g, m), &off, w16 ? 2 : 4);
        case_put(g, rm_addr(g, m) + (w16 ? 2u : 4u), &s16, 2);
        uint8_t op = sreg == 3 ? 0xc5 : 0xc4;
        mark(g);
        enc(g, w16 ? P_66 : 0, &op, 1, r, m, 0, 0);
        break;
    }
    default: {  /* mov r/m, sreg */
        uint8_t op = 0x8c;
        Rm d = coin(g) ? rm_mem(g, 2) : rm_reg(dst_reg(g));
        mark(g);
        enc(g, (w16 ? P_66 : 0) | P_DIGIT, &op, 1, below(g, 4), d, 0, 0);
        break;
    }
    }
}

static const FamFn fam_fns[FAM_COUNT] = {
    [FAM_MOV] = fam_mov, [FAM_LEA] = fam_lea, [FAM_ALU] = fam_alu, [FAM_TEST] = fam_test,
    [FAM_INCDEC] = fam_incdec, [FAM_NEGNOT] = fam_negnot, [FAM_SHIFT] = fam_shift,
    [FAM_ROTATE] = fam_rotate, [FAM_SHLD] = fam_shld, [FAM_MUL] = fam_mul, [FAM_DIV] = fam_div,
    [FAM_BT] = fam_bt, [FAM_BSF] = fam_bsf, [FAM_POPCNT] = fam_popcnt, [FAM_LZCNT] = fam_lzcnt,
    [FAM_TZCNT] = fam_tzcnt, [FAM_CMOV] = fam_cmov, [FAM_SETCC] = fam_setcc, [FAM_XCHG] = fam_xchg,
    [FAM_CMPXCHG] = fam_cmpxchg, [FAM_CMPXCHG8B] = fam_cmpxchg8b, [FAM_XADD] = fam_xadd,
    [FAM_BSWAP] = fam_bswap, [FAM_MOVBE] = fam_movbe, [FAM_MOVX] = fam_movx, [FAM_PUSH] = fam_push,
    [FAM_POP] = fam_pop, [FAM_PUSHF] = fam_pushf, [FAM_CBW] = fam_cbw, [FAM_LAHF] = fam_lahf,
    [FAM_FLAGOPS] = fam_flagops, [FAM_JCC] = fam_jcc, [FAM_JMP] = fam_jmp, [FAM_CALL] = fam_call,
    [FAM_LOOP] = fam_loop, [FAM_STRING] = fam_string, [FAM_STRCMP] = fam_strcmp,
    [FAM_XLAT] = fam_xlat, [FAM_NOP] = fam_nop, [FAM_BCD] = fam_bcd,
    [FAM_SSEFP] = fam_ssefp,
    [FAM_SIMDINT] = fam_simdint,
    [FAM_X87] = fam_x87,
    [FAM_MMX] = fam_mmx,
    [FAM_PUSHA] = fam_pusha,
    [FAM_ENTER] = fam_enter,
    [FAM_MISC32] = fam_misc32,
    [FAM_SREG] = fam_sreg,
};

/* MXCSR for cases with SSE floating point, the x87 state for cases with x87 or mmx items, each
 * from its own stream (so the other families' cases stay as they were).  MXCSR: RC any, DAZ and
 * FTZ each half the time, random sticky flags, all exceptions masked 3 times in 4; XMM0-15 15
 * times in 16 with fp_special elements of the type the case's ssefp instructions use them for
 * (Gen.xel; else doubles or singles per 64-bit half).  x87: random
 * TOP, 1 register in 4 empty, operands from x87_value, FCW with any RC, PC 24/53/64 bits, all
 * masked 3 times in 4; FSW with random condition codes and masked sticky flags only (nothing
 * pending at the start). */
static void gen_fpu_state(Gen *g)
{
    DiffCase *c = g->c;
    Gen v = { .c = c, .rng = g->rng ^ 0x2545f4914f6cdd1dull };
    if (c->families >> FAM_SSEFP & 1) {
        uint32_t masks = below(&v, 4) ? 0x1f80u : (uint32_t)rnd(&v) & 0x1f80u;
        c->in.mxcsr = masks | (uint32_t)below(&v, 4) << 13 | (coin(&v) ? 0x40u : 0) |
                      (coin(&v) ? 0x8000u : 0) | ((uint32_t)rnd(&v) & 0x3f);
        for (int r = 0; r < 16; r++)
            if (below(&v, 16))
                fp_fill(&v, c->in.xmm[r], g->xel[r] ? g->xel[r] - 1 : EL_ANY);
    }
    if (c->families & (1ull << FAM_X87 | 1ull << FAM_MMX)) {
        static const uint16_t pc[3] = { 0x000, 0x200, 0x300 };
        uint16_t masks = below(&v, 4) ? 0x3f : (uint16_t)(rnd(&v) & 0x3f);
        c->in.fcw = (uint16_t)(masks | 0x40 | pc[below(&v, 3)] | below(&v, 4) << 10);
        c->in.fsw = (uint16_t)((rnd(&v) & 0x4700) | (below(&v, 8) << 11) | (rnd(&v) & masks & 0x3f));
        c->in.ftw = 0;
        for (int r = 0; r < 8; r++) {
            if (below(&v, 4))
                c->in.ftw |= (uint8_t)(1u << r);
            x87_value(&v, &c->in.mm[r], &c->in.fse[r]);
        }
    }
}

static void gen_state(Gen *g)
{
    DiffCase *c = g->c;
    for (int r = 0; r < 16; r++) {
        uint64_t v = rnd_value(g);
        c->in.gpr[r] = !g->b32 ? v : r < 8 ? (uint32_t)v : 0;   /* 32-bit: EAX..EDI only */
    }
    c->in.gpr[4] = DATA_BASE + STACK_OFF - 8 * (uint64_t)below(g, 32);
    c->in.gpr[g->base] = g->base_val;
    if (g->index >= 0)
        c->in.gpr[g->index] = g->index_val;
    c->in.flags = (rnd(g) & (F_ALL | (below(g, 4) == 0 ? F_DF : 0))) | 2;
    c->in.rip = SEQ_ADDR;
    c->in.vector = -1;
    /* Vector registers from their own stream, so adding them kept the older families' cases. */
    Gen v = { .rng = g->rng ^ 0x5851f42d4c957f2dull };
    for (int r = 0; r < 16; r++)
        for (int k = 0; k < 2; k++)
            c->in.xmm[r][k] = rnd_value(&v);
    for (int r = 0; r < 8; r++)
        c->in.mm[r] = rnd_value(&v);
    /* The FPU as the MMX families expect it (TOP = 0, all registers valid, exponents all ones). */
    for (int r = 0; r < 8; r++)
        c->in.fse[r] = 0xffff;
    c->in.fcw = 0x37f;
    c->in.ftw = 0xff;
    c->in.mxcsr = 0x1f80;
    /* Data: random bytes, or a small alphabet so that REPE/CMPXCHG comparisons often match. */
    if (coin(g)) {
        for (uint32_t i = 0; i < DATA_SIZE; i += 8) {
            uint64_t v = rnd(g);
            memcpy(c->data + i, &v, 8);
        }
    } else {
        static const uint8_t alpha[4] = { 0x00, 0xff, 0x41, 0x80 };
        for (uint32_t i = 0; i < DATA_SIZE; i += 32) {
            uint64_t v = rnd(g);
            for (int k = 0; k < 32; k++)
                c->data[i + k] = alpha[(v >> (2 * k)) & 3];
        }
    }
    /* The low region (16-bit addressing) from its own stream, so the other cases stay as they were. */
    if (g->a16) {
        Gen l = { .rng = g->rng ^ 0x14057b7ef767814full };
        for (uint32_t i = 0; i < LOW_SIZE; i += 8) {
            uint64_t v = rnd(&l);
            memcpy(c->data + DATA_SIZE + i, &v, 8);
        }
    }
}

void gen_case(DiffCase *c, uint64_t seed, uint64_t mask, int bits, unsigned host)
{
    static const int bases[6] = { 3, 5, 12, 13, 14, 15 };   /* 32-bit cases: EBX, EBP */
    Gen g;
    memset(&g, 0, sizeof(g));
    memset(c, 0, sizeof(*c));
    g.c = c;
    g.rng = seed;
    c->bits = bits;
    g.b32 = bits == 32;
    g.n32 = g.b32 && (host & HOST_RUNS32);
    g.a16 = g.n32 && (host & HOST_LOW);
    c->native32 = g.n32;
    g.base = bases[below(&g, g.b32 ? 2 : 6)];
    g.index = g.b32 && coin(&g) ? 8 - g.base : -1;      /* EBX base: EBP index, and vice versa */
    g.index_val = g.index >= 0 ? (uint64_t)below(&g, 0x100) : 0;
    g.base_val = DATA_BASE + 0x800 + (uint64_t)below(&g, 0x800);
    gen_state(&g);
    int fams[FAM_COUNT], nf = 0;
    for (int f = 0; f < FAM_COUNT; f++)
        if ((mask >> f & 1) && fam_fns[f] && !(g.b32 && !g.n32 && families[f].native32) &&
            !(!g.b32 && families[f].only32))
            fams[nf++] = f;
    if (nf == 0)
        return;
    g.nitems = 1 + below(&g, ITEMS_MAX);
    g.undef = 0;
    for (g.item = 0; g.item < g.nitems; g.item++) {
        g.undef |= g.pend[g.item];
        g.item_off[g.item] = c->len;
        int f = fams[below(&g, nf)];
        c->families |= 1ull << f;
        fam_fns[f](&g);
    }
    g.undef |= g.pend[g.nitems];
    g.item_off[g.nitems] = c->len;
    gen_fpu_state(&g);
    c->undef_end = g.undef;
    for (int i = 0; i < g.npatch; i++) {
        const Patch *p = &g.patch[i];
        int64_t v = p->abs ? (int64_t)SEQ_ADDR + g.item_off[p->target]
                           : (int64_t)g.item_off[p->target] - (p->at + p->size);
        if (p->size == 1 && (v < -128 || v > 127))
            v = 0;   /* out of rel8 range: branch to the next instruction instead */
        for (int k = 0; k < p->size; k++)
            c->code[p->at + k] = (uint8_t)((uint64_t)v >> (8 * k));
    }
}

void gen_case_bytes(DiffCase *c, const uint8_t *code, int len, int bits, bool native32)
{
    memset(c, 0, sizeof(*c));
    c->bits = bits;
    c->native32 = native32;
    memcpy(c->code, code, (size_t)len);
    c->len = len;
    c->in.gpr[4] = DATA_BASE + STACK_OFF;
    c->in.flags = 2;
    c->in.fcw = 0x37f;
    c->in.mxcsr = 0x1f80;
    c->in.rip = SEQ_ADDR;
    c->in.vector = -1;
}

uint32_t gen_undef_at(const DiffCase *c, uint64_t rip)
{
    for (int i = c->nmark - 1; i >= 0; i--)
        if (SEQ_ADDR + (uint64_t)c->mark[i].off == rip)
            return c->mark[i].undef;
    return c->undef_end;
}
