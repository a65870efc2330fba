/*
 * diff.c — driver of the differential harness (DESIGN.md, "Testing": tests/diff).
 *
 * For each case: generate a sequence and an input state from a per-case seed (derived from the run
 * seed and the case number, so `--seed S --case K` replays one case), run it natively and in
 * softvisor, and compare the exception vector and RIP, all sixteen GPRs, XMM0-15, MM0-7, RFLAGS' arithmetic flags
 * and DF minus the flags undefined at that point (gen.c), and the whole data region (buffer and
 * stack).  A mismatch prints the case disassembled (Zydis formatter), the input state, both
 * outputs and the differences.
 *
 * Usage: diff_test [--seed S] [--cases N] [--case K] [--families a,b,...] [--all] [--max-fail M]
 *                  [--list] [--verbose]
 *   --all       also run the families marked pending (not written yet in softvisor)
 *   --families  only these families (names from --list)
 * The full run is tests/diff/diff-full.sh (1,000,000 cases).
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

#define FLAGS_CMP 0xcd5u    /* OF DF SF ZF AF PF CF */

static const char *const reg_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

typedef struct Options {
    uint64_t seed;
    uint64_t cases;
    int64_t only_case;
    uint64_t mask;
    int max_fail;
    bool verbose;
} Options;

typedef struct Run {
    Options opt;
    Native *native;
    Emu *emu;
    DiffCase c;
    DiffState nat, emu_out;
    uint8_t nat_data[DATA_SIZE], emu_data[DATA_SIZE];
    uint64_t fails, faults, harness_errors;
    uint64_t fam_cases[64];
    uint64_t fam_fails[64];
} Run;

static uint64_t case_seed(uint64_t seed, uint64_t k)
{
    uint64_t z = seed * 0x9e3779b97f4a7c15ull + k + 1;
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

static void disassemble(const DiffCase *c)
{
    ZydisDecoder dec;
    ZydisFormatter fmt;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_LZCNT, ZYAN_TRUE);
    ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_TZCNT, ZYAN_TRUE);
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

static void print_state(const char *what, const DiffState *s)
{
    printf("  %-7s", what);
    if (s->vector >= 0)
        printf(" EXCEPTION vector %d at %08" PRIx64 "\n         ", s->vector, s->rip);
    else
        printf(" end rip=%08" PRIx64 "\n         ", s->rip);
    for (int r = 0; r < 16; r++)
        printf(" %s=%016" PRIx64 "%s", reg_names[r], s->gpr[r], r % 4 == 3 ? "\n         " : "");
    printf(" rflags=%08" PRIx64 "\n", s->flags);
    for (int r = 0; r < 16; r++)
        printf("          xmm%-2d=%016" PRIx64 "%016" PRIx64 "%s", r, s->xmm[r][1], s->xmm[r][0],
               r % 2 ? "\n" : "");
    for (int r = 0; r < 8; r++)
        printf("          mm%d=%016" PRIx64 "%s", r, s->mm[r], r % 2 ? "\n" : "");
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
    for (int i = 0; i < 16; i++)
        if (a->gpr[i] != b->gpr[i]) {
            ok = false;
            if (report)
                printf("  diff: %s native %016" PRIx64 " emulator %016" PRIx64 "\n", reg_names[i],
                       a->gpr[i], b->gpr[i]);
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
    if (memcmp(r->nat_data, r->emu_data, DATA_SIZE)) {
        ok = false;
        int shown = 0;
        for (uint32_t i = 0; i < DATA_SIZE && report; i++)
            if (r->nat_data[i] != r->emu_data[i] && shown++ < 16)
                printf("  diff: mem %08x native %02x emulator %02x (input %02x)\n", DATA_BASE + i,
                       r->nat_data[i], r->emu_data[i], r->c.data[i]);
    }
    return ok;
}

static void report_case(Run *r, uint64_t k)
{
    printf("MISMATCH case %" PRIu64 " (replay: --seed %" PRIu64 " --case %" PRIu64 "), families:",
           k, r->opt.seed, k);
    print_families(stdout, r->c.families);
    printf("\n  code (undefined flags at end %03x):\n", r->c.undef_end);
    disassemble(&r->c);
    print_state("input", &r->c.in);
    print_state("native", &r->nat);
    print_state("emu", &r->emu_out);
    compare(r, true);
}

/* Runs case k; returns false on a mismatch. */
static bool run_case(Run *r, uint64_t k)
{
    gen_case(&r->c, case_seed(r->opt.seed, k), r->opt.mask, 64);
    bool nat_ok = native_run(r->native, &r->c, &r->nat, r->nat_data);
    bool emu_ok = emu_run(r->emu, &r->c, &r->emu_out, r->emu_data);
    if (!nat_ok)
        r->harness_errors++;
    if (r->nat.vector >= 0)
        r->faults++;
    for (int f = 0; f < gen_family_count(); f++)
        if (r->c.families >> f & 1)
            r->fam_cases[f]++;
    bool same = nat_ok && emu_ok && compare(r, false);
    if (!same) {
        r->fails++;
        for (int f = 0; f < gen_family_count(); f++)
            if (r->c.families >> f & 1)
                r->fam_fails[f]++;
        if (r->fails <= (uint64_t)r->opt.max_fail) {
            if (!nat_ok)
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
    DiffCase *c = &r->c;
    memset(c, 0, sizeof(*c));
    c->bits = 64;
    memcpy(c->code, code, sizeof(code));
    c->len = sizeof(code);
    c->in.gpr[4] = DATA_BASE + STACK_OFF;
    c->in.flags = 2;
    return native_run(r->native, c, &r->nat, r->nat_data) && r->nat.vector < 0 && r->nat.gpr[1] == 31;
}

static bool parse(int argc, char **argv, Options *o)
{
    o->seed = 1;
    o->cases = 20000;
    o->only_case = -1;
    o->max_fail = 10;
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
        } else if (!strcmp(a, "--case") && v) {
            o->only_case = (int64_t)strtoull(v, NULL, 0);
            i++;
        } else if (!strcmp(a, "--max-fail") && v) {
            o->max_fail = atoi(v);
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
        } else {
            fprintf(stderr, "diff_test: bad argument '%s'\nusage: diff_test [--seed S] [--cases N] "
                            "[--case K] [--families a,b] [--all] [--max-fail M] [--list] [--verbose]\n", a);
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
    r->emu = emu_new();
    if (!r->native || !r->emu) {
        fprintf(stderr, "diff_test: cannot map the fixed code/data regions at %#x/%#x or create the CPU\n",
                CODE_BASE, DATA_BASE);
        return 2;
    }
    uint64_t pending = 0;
    for (int f = 0; f < gen_family_count(); f++)
        if (gen_family(f)->pending)
            pending |= 1ull << f;
    if (!host_has_lzcnt(r)) {
        for (int f = 0; f < gen_family_count(); f++)
            if (!strcmp(gen_family(f)->name, "lzcnt") && (r->opt.mask >> f & 1)) {
                printf("NOTE: the host runs F3 0F BD as BSR (no LZCNT): family lzcnt dropped\n");
                r->opt.mask &= ~(1ull << f);
            }
    }
    printf("diff: seed %" PRIu64 ", %" PRIu64 " cases, 64-bit code\n", r->opt.seed,
           r->opt.only_case >= 0 ? 1 : r->opt.cases);
    printf("diff: families:");
    print_families(stdout, r->opt.mask);
    printf("\n");
    if (pending & ~r->opt.mask) {
        printf("diff: *** NOT RUN (excluded from the default run; --all runs them):");
        print_families(stdout, pending & ~r->opt.mask);
        printf("\n");
    }
    printf("diff: *** NOT RUN: 32-bit code (this host has no IA-32 compatibility mode; bcd32 needs it)\n");

    if (r->opt.only_case >= 0) {
        bool ok = run_case(r, (uint64_t)r->opt.only_case);
        if (ok) {
            printf("case %" PRId64 " matches\n", r->opt.only_case);
            disassemble(&r->c);
            print_state("native", &r->nat);
        }
        return ok ? 0 : 1;
    }
    for (uint64_t k = 0; k < r->opt.cases; k++)
        run_case(r, k);
    printf("diff: %" PRIu64 " cases, %" PRIu64 " mismatches, %" PRIu64 " ended in an exception, "
           "%" PRIu64 " harness errors\n", r->opt.cases, r->fails, r->faults, r->harness_errors);
    if (r->fails) {
        printf("diff: mismatches by family (cases containing it):\n");
        for (int f = 0; f < gen_family_count(); f++)
            if (r->fam_fails[f])
                printf("  %-10s %" PRIu64 " of %" PRIu64 "\n", gen_family(f)->name, r->fam_fails[f],
                       r->fam_cases[f]);
    }
    int rc = r->fails ? 1 : 0;
    native_free(r->native);
    emu_free(r->emu);
    free(r);
    return rc;
}
