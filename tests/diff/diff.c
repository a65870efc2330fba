/*
 * diff.c — driver of the differential harness (DESIGN.md, "Testing": tests/diff).
 *
 * For each case: generate a sequence and an input state from a per-case seed (derived from the run
 * seed, the case number and its kind, so `--seed S --case K` / `--case32 K` replays one case), run
 * it natively and in softvisor, and compare the exception vector and RIP, the GPRs, XMM0-15, MXCSR,
 * the x87 registers (MM0-7 are their significands), FCW, FSW and the abridged tag word,
 * RFLAGS' arithmetic flags and DF minus the flags undefined at that point (gen.c), and the whole data
 * region (buffer and stack).  A mismatch prints the case disassembled (Zydis formatter), the
 * input state, both outputs and the differences.
 *
 * 64-bit cases run as 64-bit code on both sides and compare all sixteen GPRs.  32-bit cases run in
 * softvisor as 32-bit code, case K in compatibility mode when K is even, in legacy protected mode
 * with 2-level paging when K % 4 == 1 and with PAE paging when K % 4 == 3 (emu.c).
 * Their native oracle is the host running them as 32-bit code where it can (native.c probes it in
 * a child process; the line "32-bit oracle:" says which), else, XXX, the host running the same
 * bytes as 64-bit code (diff.h explains what that excludes and where it is tested instead); then
 * every 32-bit case is first checked to decode to the same instructions (same lengths and
 * mnemonics, no REX, no RIP-relative operand) in 32-bit and in 64-bit mode, and a case that does
 * not is a harness error.  Either way they compare bits 31:0 of EAX..EDI.
 *
 * Usage: diff_test [--seed S] [--cases N] [--cases32 N] [--case K | --case32 K]
 *                  [--families a,b,...] [--all] [--max-fail M] [--list] [--verbose]
 *                  [--no-native32] [--jit T]
 *   --cases     64-bit cases (default 20,000); --cases32: 32-bit cases (default 10,000)
 *   --jit       softvisor runs with the JIT at threshold T (emu.c): translated code against the host
 *   --all       also run the families marked pending (not written yet in softvisor)
 *   --families  only these families (names from --list)
 *   --no-native32  the 64-bit-code oracle for 32-bit cases even where the host runs 32-bit code
 * The full run is tests/diff/diff-full.sh (1,000,000 cases of each kind).
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "jit/jit.h"

#define FLAGS_CMP 0xcd5u    /* OF DF SF ZF AF PF CF */

static const char *const reg_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *const reg_names32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static const char *const mode_names[MODE_COUNT] = {
    [MODE_LONG64] = "64-bit", [MODE_COMPAT32] = "32-bit compat", [MODE_PROT32] = "32-bit prot 2-level",
    [MODE_PROT32_PAE] = "32-bit prot PAE",
};

typedef struct Options {
    uint64_t seed;
    uint64_t cases, cases32;
    int64_t only_case;
    int only_bits;
    uint64_t mask;
    int max_fail;
    bool verbose;
    bool no_native32;
    int64_t jit;         /* --jit threshold, -1: the interpreter alone */
} Options;

typedef struct Run {
    Options opt;
    Native *native;
    unsigned host;                  /* HOST_*: what the host runs (32-bit code, low region) */
    Emu *emu[MODE_COUNT];
    ZydisDecoder dec32, dec64;
    DiffCase c;
    DiffMode mode;
    DiffState nat, emu_out;
    uint8_t nat_data[MEM_SIZE], emu_data[MEM_SIZE];
    uint64_t fails, faults, harness_errors;
    uint64_t mode_cases[MODE_COUNT], mode_fails[MODE_COUNT], mode_faults[MODE_COUNT];
    uint64_t fam_cases[64];
    uint64_t fam_fails[64];
} Run;

/* The seed of case k; 32-bit cases use their own sequence (bit 63 set in k). */
static uint64_t case_seed(uint64_t seed, uint64_t k, int bits)
{
    uint64_t z = seed * 0x9e3779b97f4a7c15ull + (k | (bits == 32 ? 1ull << 63 : 0)) + 1;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int family_index(const char *name, size_t len)
{
    for (int i = 0; i < gen_family_count(); i++)
        if (strlen(gen_family(i)->name) == len && !strncmp(gen_family(i)->name, name, len))
            return i;
    return -1;
}

static void print_families(FILE *f, uint64_t mask)
{
    for (int i = 0; i < gen_family_count(); i++)
        if (mask >> i & 1)
            fprintf(f, " %s", gen_family(i)->name);
}

static void decoder_init(ZydisDecoder *dec, int bits)
{
    if (bits == 64)
        ZydisDecoderInit(dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    else
        ZydisDecoderInit(dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    ZydisDecoderEnableMode(dec, ZYDIS_DECODER_MODE_LZCNT, ZYAN_TRUE);
    ZydisDecoderEnableMode(dec, ZYDIS_DECODER_MODE_TZCNT, ZYAN_TRUE);
}

/* Lists the case as the emulator decodes it (32-bit cases as 32-bit code). */
static void disassemble(const DiffCase *c)
{
    ZydisDecoder dec;
    ZydisFormatter fmt;
    decoder_init(&dec, c->bits);
    ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
    int off = 0;
    while (off < c->len) {
        ZydisDecodedInstruction zi;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        char text[128] = "(bad)";
        int n = 1;
        if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, c->code + off, (ZyanUSize)(c->len - off), &zi, ops))) {
            ZydisFormatterFormatInstruction(&fmt, &zi, ops, zi.operand_count_visible, text, sizeof(text),
                                            SEQ_ADDR + (uint64_t)off, NULL);
            n = zi.length;
        }
        char hex[64] = "";
        for (int i = 0; i < n && i < 15; i++)
            snprintf(hex + 3 * i, sizeof(hex) - 3 * (size_t)i, "%02x ", c->code[off + i]);
        printf("    %08" PRIx64 "  %-36s %s\n", SEQ_ADDR + (uint64_t)off, hex, text);
        off += n;
    }
}

static void print_state(const char *what, const DiffState *s, int bits)
{
    printf("  %-7s", what);
    if (s->vector >= 0)
        printf(" EXCEPTION vector %d at %08" PRIx64 "\n         ", s->vector, s->rip);
    else
        printf(" end rip=%08" PRIx64 "\n         ", s->rip);
    if (bits == 32) {
        for (int r = 0; r < 8; r++)
            printf(" %s=%08" PRIx32 "%s", reg_names32[r], (uint32_t)s->gpr[r], r == 3 ? "\n         " : "");
        printf("\n          eflags=%08" PRIx64 " (32-bit: bits 31:0 of EAX..EDI compared)\n", s->flags);
    } else {
        for (int r = 0; r < 16; r++)
            printf(" %s=%016" PRIx64 "%s", reg_names[r], s->gpr[r], r % 4 == 3 ? "\n         " : "");
        printf(" rflags=%08" PRIx64 "\n", s->flags);
    }
    for (int r = 0; r < 16; r++)
        printf("          xmm%-2d=%016" PRIx64 "%016" PRIx64 "%s", r, s->xmm[r][1], s->xmm[r][0],
               r % 2 ? "\n" : "");
    printf("          mxcsr=%08" PRIx32 " fcw=%04x fsw=%04x (top %d) ftw=%02x\n", s->mxcsr, s->fcw,
           s->fsw, (s->fsw >> 11) & 7, s->ftw);
    for (int r = 0; r < 8; r++) {
        int p = (((s->fsw >> 11) & 7) + r) & 7;
        printf("          st%d=r%d=%04x:%016" PRIx64 "%s%s", r, p, s->fse[p], s->mm[p],
               s->ftw >> p & 1 ? "" : " empty", r % 2 ? "\n" : "");
    }
}

/* A 32-bit case must decode to the same instructions as 32-bit and as 64-bit code: same lengths
 * and mnemonics (JECXZ = JRCXZ), no REX prefix and no RIP-relative operand in 64-bit mode. */
static bool same_in_both_modes(const Run *r, const DiffCase *c)
{
    int off = 0;
    while (off < c->len) {
        ZydisDecodedInstruction a, b;
        ZydisDecodedOperand oa[ZYDIS_MAX_OPERAND_COUNT], ob[ZYDIS_MAX_OPERAND_COUNT];
        ZyanUSize left = (ZyanUSize)(c->len - off);
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&r->dec32, c->code + off, left, &a, oa)) ||
            !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&r->dec64, c->code + off, left, &b, ob)))
            return false;
        bool jcxz = a.mnemonic == ZYDIS_MNEMONIC_JECXZ && b.mnemonic == ZYDIS_MNEMONIC_JRCXZ;
        if (a.length != b.length || (a.mnemonic != b.mnemonic && !jcxz) ||
            (b.attributes & ZYDIS_ATTRIB_HAS_REX) || a.operand_count != b.operand_count)
            return false;
        for (int i = 0; i < b.operand_count; i++)
            if (ob[i].type == ZYDIS_OPERAND_TYPE_MEMORY && ob[i].mem.base == ZYDIS_REGISTER_RIP)
                return false;
        off += a.length;
    }
    return true;
}

/* Is the instruction at `rip` an MMX instruction that writes memory (MOVD/MOVQ m, mm, ...)?
 * XXX: when such a store faults, an Intel host has already set FSW.TOP to 0 (the tags are still
 * the old ones: the MMX transition is half done); the SDM does not say, and softvisor leaves the
 * whole state as it was before the faulting instruction.  TOP is not compared then. */
static bool mmx_store_at(const Run *r, uint64_t rip)
{
    const DiffCase *c = &r->c;
    if (rip < SEQ_ADDR || rip >= SEQ_ADDR + (uint64_t)c->len)
        return false;
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    int off = (int)(rip - SEQ_ADDR);
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(c->bits == 64 ? &r->dec64 : &r->dec32, c->code + off,
                                             (ZyanUSize)(c->len - off), &zi, ops)))
        return false;
    bool mmx = false, store = false;
    for (int i = 0; i < zi.operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ZydisRegisterGetClass(o->reg.value) == ZYDIS_REGCLASS_MMX)
            mmx = true;
        if (o->type == ZYDIS_OPERAND_TYPE_MEMORY && (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
            store = true;
    }
    return mmx && store;
}

/* Compares the two results; prints the differences when `report` is set.  Returns true if equal. */
static bool compare(Run *r, bool report)
{
    const DiffState *a = &r->nat, *b = &r->emu_out;
    bool ok = true;
    if (a->vector != b->vector || a->rip != b->rip) {
        ok = false;
        if (report)
            printf("  diff: native vector %d rip %08" PRIx64 ", emulator vector %d rip %08" PRIx64 "\n",
                   a->vector, a->rip, b->vector, b->rip);
    }
    uint32_t undef = a->vector >= 0 ? gen_undef_at(&r->c, a->rip) : r->c.undef_end;
    uint32_t fm = FLAGS_CMP & ~undef;
    if ((a->flags ^ b->flags) & fm) {
        ok = false;
        if (report)
            printf("  diff: flags native %03" PRIx64 " emulator %03" PRIx64 " (compared bits %03x)\n",
                   a->flags & fm, b->flags & fm, fm);
    }
    bool b32 = r->c.bits == 32;
    uint64_t rmask = b32 ? 0xffffffffull : ~0ull;
    for (int i = 0; i < (b32 ? 8 : 16); i++)
        if ((a->gpr[i] ^ b->gpr[i]) & rmask) {
            ok = false;
            if (report)
                printf("  diff: %s native %016" PRIx64 " emulator %016" PRIx64 "\n",
                       b32 ? reg_names32[i] : reg_names[i], a->gpr[i] & rmask, b->gpr[i] & rmask);
        }
    for (int i = 0; i < 16; i++)
        if (a->xmm[i][0] != b->xmm[i][0] || a->xmm[i][1] != b->xmm[i][1]) {
            ok = false;
            if (report)
                printf("  diff: xmm%d native %016" PRIx64 "%016" PRIx64 " emulator %016" PRIx64
                       "%016" PRIx64 "\n", i, a->xmm[i][1], a->xmm[i][0], b->xmm[i][1], b->xmm[i][0]);
        }
    for (int i = 0; i < 8; i++)
        if (a->mm[i] != b->mm[i]) {
            ok = false;
            if (report)
                printf("  diff: mm%d native %016" PRIx64 " emulator %016" PRIx64 "\n", i, a->mm[i],
                       b->mm[i]);
        }
    for (int i = 0; i < 8; i++)
        if (a->fse[i] != b->fse[i]) {
            ok = false;
            if (report)
                printf("  diff: x87 physical register %d sign/exponent native %04x emulator %04x\n", i,
                       a->fse[i], b->fse[i]);
        }
    uint16_t fsw_mask = a->vector >= 0 && mmx_store_at(r, a->rip) ? (uint16_t)~0x3800u : 0xffffu;
    if (a->fcw != b->fcw || ((a->fsw ^ b->fsw) & fsw_mask) || a->ftw != b->ftw || a->mxcsr != b->mxcsr) {
        ok = false;
        if (report)
            printf("  diff: native fcw %04x fsw %04x ftw %02x mxcsr %08" PRIx32 ", emulator fcw %04x fsw %04x "
                   "ftw %02x mxcsr %08" PRIx32 "\n", a->fcw, a->fsw, a->ftw, a->mxcsr, b->fcw, b->fsw, b->ftw,
                   b->mxcsr);
    }
    if (memcmp(r->nat_data, r->emu_data, MEM_SIZE)) {
        ok = false;
        int shown = 0;
        for (uint32_t i = 0; i < MEM_SIZE && report; i++)
            if (r->nat_data[i] != r->emu_data[i] && shown++ < 16)
                printf("  diff: mem %08x native %02x emulator %02x (input %02x)\n",
                       i < DATA_SIZE ? DATA_BASE + i : LOW_BASE + (i - DATA_SIZE),
                       r->nat_data[i], r->emu_data[i], r->c.data[i]);
    }
    return ok;
}

static void report_case(Run *r, uint64_t k)
{
    int bits = r->c.bits;
    bool as64 = bits == 32 && !r->c.native32;
    printf("MISMATCH %s case %" PRIu64 " (replay: --seed %" PRIu64 " --case%s %" PRIu64 "%s), families:",
           mode_names[r->mode], k, r->opt.seed, bits == 32 ? "32" : "", k,
           as64 && r->opt.no_native32 ? " --no-native32" : "");
    print_families(stdout, r->c.families);
    printf("\n  code (undefined flags at end %03x)%s:\n", r->c.undef_end,
           as64 ? ", run natively as 64-bit code" : "");
    disassemble(&r->c);
    print_state("input", &r->c.in, bits);
    print_state("native", &r->nat, bits);
    print_state("emu", &r->emu_out, bits);
    compare(r, true);
}

/* The softvisor mode of case k of the given kind (see the top of the file). */
static DiffMode case_mode(uint64_t k, int bits)
{
    if (bits == 64)
        return MODE_LONG64;
    return k % 2 == 0 ? MODE_COMPAT32 : k % 4 == 1 ? MODE_PROT32 : MODE_PROT32_PAE;
}

/* Runs case k of the given kind (64 or 32); returns false on a mismatch. */
static bool run_case(Run *r, uint64_t k, int bits)
{
    gen_case(&r->c, case_seed(r->opt.seed, k, bits), r->opt.mask, bits, r->host);
    r->mode = case_mode(k, bits);
    bool same_bytes = bits == 64 || r->c.native32 || same_in_both_modes(r, &r->c);
    bool nat_ok = native_run(r->native, &r->c, &r->nat, r->nat_data) && same_bytes;
    bool emu_ok = emu_run(r->emu[r->mode], &r->c, &r->emu_out, r->emu_data);
    r->mode_cases[r->mode]++;
    if (!nat_ok)
        r->harness_errors++;
    if (r->nat.vector >= 0) {
        r->faults++;
        r->mode_faults[r->mode]++;
    }
    for (int f = 0; f < gen_family_count(); f++)
        if (r->c.families >> f & 1)
            r->fam_cases[f]++;
    bool same = nat_ok && emu_ok && compare(r, false);
    if (!same) {
        r->fails++;
        r->mode_fails[r->mode]++;
        for (int f = 0; f < gen_family_count(); f++)
            if (r->c.families >> f & 1)
                r->fam_fails[f]++;
        if (r->fails <= (uint64_t)r->opt.max_fail) {
            if (!same_bytes)
                printf("HARNESS: 32-bit case does not decode the same as 64-bit code (generator bug)\n");
            else if (!nat_ok)
                printf("HARNESS: native run faulted outside the sequence (vector %d at %08" PRIx64 ")\n",
                       r->nat.vector, r->nat.rip);
            if (!emu_ok)
                printf("HARNESS: emulator did not reach the end (step limit)\n");
            report_case(r, k);
        }
    } else if (r->opt.verbose) {
        printf("ok case %" PRIu64 "\n", k);
        disassemble(&r->c);
    }
    return same;
}

/* Does the host execute F3 0F BD as LZCNT (ABM)?  Otherwise it runs as BSR and the family is
 * dropped. */
static bool host_has_lzcnt(Run *r)
{
    static const uint8_t code[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0xbd, 0xc8 };
    gen_case_bytes(&r->c, code, sizeof(code), 64, false);
    return native_run(r->native, &r->c, &r->nat, r->nat_data) && r->nat.vector < 0 && r->nat.gpr[1] == 31;
}

static bool parse(int argc, char **argv, Options *o)
{
    o->seed = 1;
    o->cases = 20000;
    o->cases32 = 10000;
    o->only_case = -1;
    o->only_bits = 64;
    o->max_fail = 10;
    o->jit = -1;
    uint64_t pending = 0, all = 0;
    for (int i = 0; i < gen_family_count(); i++) {
        all |= 1ull << i;
        if (gen_family(i)->pending)
            pending |= 1ull << i;
    }
    o->mask = all & ~pending;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--seed") && v) {
            o->seed = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--cases") && v) {
            o->cases = strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--cases32") && v) {
            o->cases32 = strtoull(v, NULL, 0);
            i++;
        } else if ((!strcmp(a, "--case") || !strcmp(a, "--case32")) && v) {
            o->only_case = (int64_t)strtoull(v, NULL, 0);
            o->only_bits = strcmp(a, "--case") ? 32 : 64;
            i++;
        } else if (!strcmp(a, "--max-fail") && v) {
            o->max_fail = atoi(v);
            i++;
        } else if (!strcmp(a, "--jit") && v) {
            char *end;
            unsigned long long t = strtoull(v, &end, 0);
            if (end == v || *end || t > UINT32_MAX) {
                fprintf(stderr, "diff_test: bad --jit threshold '%s'\n", v);
                return false;
            }
            o->jit = (int64_t)t;
            i++;
        } else if (!strcmp(a, "--all")) {
            o->mask = all;
        } else if (!strcmp(a, "--families") && v) {
            o->mask = 0;
            for (const char *p = v; *p;) {
                size_t n = strcspn(p, ",");
                int f = family_index(p, n);
                if (f < 0) {
                    fprintf(stderr, "diff_test: unknown family '%.*s' (see --list)\n", (int)n, p);
                    return false;
                }
                o->mask |= 1ull << f;
                p += n + (p[n] == ',');
            }
            i++;
        } else if (!strcmp(a, "--list")) {
            for (int f = 0; f < gen_family_count(); f++)
                printf("%s%s\n", gen_family(f)->name, gen_family(f)->pending ? " (pending)" : "");
            exit(0);
        } else if (!strcmp(a, "--verbose")) {
            o->verbose = true;
        } else if (!strcmp(a, "--no-native32")) {
            o->no_native32 = true;
        } else {
            fprintf(stderr, "diff_test: bad argument '%s'\nusage: diff_test [--seed S] [--cases N] "
                            "[--cases32 N] [--case K | --case32 K] [--families a,b] [--all] [--max-fail M] "
                            "[--list] [--verbose] [--no-native32] [--jit T]\n", a);
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    Run *r = calloc(1, sizeof(*r));
    if (!r || !parse(argc, argv, &r->opt))
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    r->native = native_new();
    if (r->native && !r->opt.no_native32 && native_probe32(r->native))
        r->host = HOST_RUNS32 | (native_has_low(r->native) ? HOST_LOW : 0);
    bool emu_ok = true;
    /* A case can load a selector by accident (a store overwrites a far pointer LES then reads):
     * Linux's per-CPU segment, like the user segments, must mean the same in the guest. */
    uint64_t cpunode = native_gdt_entry(SEL_CPUNODE);
    for (int m = 0; m < MODE_COUNT; m++) {
        emu_ok &= (r->emu[m] = emu_new((DiffMode)m)) != NULL &&
                  (r->opt.jit < 0 || emu_enable_jit(r->emu[m], (uint32_t)r->opt.jit));
        if (r->emu[m])
            emu_set_gdt_entry(r->emu[m], SEL_CPUNODE >> 3, cpunode);
    }
    if (!r->native || !emu_ok) {
        fprintf(stderr, "diff_test: cannot map the fixed code/data regions at %#x/%#x or create the CPU\n",
                CODE_BASE, DATA_BASE);
        return 2;
    }
    decoder_init(&r->dec32, 32);
    decoder_init(&r->dec64, 64);
    uint64_t pending = 0, need32 = 0, only32 = 0;
    for (int f = 0; f < gen_family_count(); f++) {
        if (gen_family(f)->pending)
            pending |= 1ull << f;
        if (gen_family(f)->native32)
            need32 |= 1ull << f;
        if (gen_family(f)->only32)
            only32 |= 1ull << f;
    }
    if (!host_has_lzcnt(r)) {
        for (int f = 0; f < gen_family_count(); f++)
            if (!strcmp(gen_family(f)->name, "lzcnt") && (r->opt.mask >> f & 1)) {
                printf("NOTE: the host runs F3 0F BD as BSR (no LZCNT): family lzcnt dropped\n");
                r->opt.mask &= ~(1ull << f);
            }
    }
    bool one = r->opt.only_case >= 0;
    uint64_t n64 = one ? r->opt.only_bits == 64 : r->opt.cases;
    uint64_t n32 = one ? r->opt.only_bits == 32 : r->opt.cases32;
    printf("diff: seed %" PRIu64 ", %" PRIu64 " cases of 64-bit code, %" PRIu64 " cases of 32-bit code\n",
           r->opt.seed, n64, n32);
    printf("diff: families:");
    print_families(stdout, r->opt.mask);
    printf("\n");
    printf("diff: families only in 32-bit cases:");
    print_families(stdout, r->opt.mask & only32);
    printf("\n");
    if (!(r->host & HOST_RUNS32)) {
        printf("diff: *** NOT RUN (32-bit cases without the native 32-bit oracle):");
        print_families(stdout, r->opt.mask & need32);
        printf("\n");
    }
    if (pending & ~r->opt.mask) {
        printf("diff: *** NOT RUN (excluded from the default run; --all runs them):");
        print_families(stdout, pending & ~r->opt.mask);
        printf("\n");
    }
    if (r->host & HOST_RUNS32)
        printf("diff: 32-bit oracle: the host runs the 32-bit cases as 32-bit code (compatibility mode,\n"
               "      selector 0x23); softvisor in compatibility mode and protected mode (2-level, PAE)\n"
               "%s", r->host & HOST_LOW ? "" : "diff: NOTE: no 16-bit addressing in 32-bit cases: the host "
               "cannot map the low region (vm.mmap_min_addr)\n");
    else
        printf("diff: *** 32-bit oracle: the host runs the 32-bit cases AS 64-BIT CODE: it cannot run\n"
               "      32-bit code%s, so only bytes meaning the same in both modes are generated\n"
               "      (no BCD, PUSHA/POPA, INC/DEC 40..4F, stack ops, ...; diff.h)\n",
               r->opt.no_native32 ? " (--no-native32)" : "");
    if (one) {
        bool ok = run_case(r, (uint64_t)r->opt.only_case, r->opt.only_bits);
        if (ok) {
            printf("%s case %" PRId64 " matches\n", mode_names[r->mode], r->opt.only_case);
            disassemble(&r->c);
            print_state("native", &r->nat, r->c.bits);
        }
        return ok ? 0 : 1;
    }
    for (uint64_t k = 0; k < r->opt.cases; k++)
        run_case(r, k, 64);
    for (uint64_t k = 0; k < r->opt.cases32; k++)
        run_case(r, k, 32);
    for (int m = 0; m < MODE_COUNT; m++)
        printf("diff: %-20s %9" PRIu64 " cases, %" PRIu64 " mismatches, %" PRIu64 " ended in an exception\n",
               mode_names[m], r->mode_cases[m], r->mode_fails[m], r->mode_faults[m]);
    printf("diff: total: %" PRIu64 " 64-bit + %" PRIu64 " 32-bit cases, %" PRIu64 " mismatches, %" PRIu64
           " ended in an exception, %" PRIu64 " harness errors\n", r->opt.cases, r->opt.cases32, r->fails,
           r->faults, r->harness_errors);
    if (r->fails) {
        printf("diff: mismatches by family (cases containing it):\n");
        for (int f = 0; f < gen_family_count(); f++)
            if (r->fam_fails[f])
                printf("  %-10s %" PRIu64 " of %" PRIu64 "\n", gen_family(f)->name, r->fam_fails[f],
                       r->fam_cases[f]);
    }
    int rc = r->fails ? 1 : 0;
    if (r->opt.jit >= 0) {
        uint64_t translated = 0, insns = 0;
        for (int m = 0; m < MODE_COUNT; m++) {
            JitStats s = jit_stats(emu_cpu(r->emu[m])->jit);
            translated += s.translated;
            insns += s.insns_run;
        }
        printf("diff: jit at threshold %" PRId64 ": %" PRIu64 " blocks translated, %" PRIu64
               " instructions run in host code\n", r->opt.jit, translated, insns);
        if (!insns) {
            printf("diff: no instruction ran in host code: the JIT run tested nothing\n");
            rc = 1;
        }
    }
    native_free(r->native);
    for (int m = 0; m < MODE_COUNT; m++)
        emu_free(r->emu[m]);
    free(r);
    return rc;
}
