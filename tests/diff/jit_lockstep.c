/*
 * jit_lockstep.c — the JIT against the interpreter (issue 9, "Exactness"): the diff generator's
 * random sequences (gen.c) run through cpu_run() on two identical machines (emu.c), one with the
 * interpreter alone and one with the JIT translating every block at its first execution
 * (threshold 0) into a small code buffer, so that it also flushes often.  After each run the full
 * state is compared: the 16 GPRs, RIP, EFLAGS (all bits, the undefined ones too: both tiers must
 * compute the same values), XMM, x87 and MXCSR, CR2, the instruction count, how cpu_run returned,
 * and all of guest RAM.
 *
 * Each case runs twice: with a budget that lets it run to its end (the UD2 padding after it then
 * faults, and with no IDT mapped the delivery ends in a triple fault, the same way on both), and
 * with a budget of 1..64 instructions, which stops it in the middle of a block.
 *
 * Usage: jit_lockstep [--seed S] [--cases N] [--cases32 N] [--all]
 *   64-bit cases run in 64-bit mode; 32-bit ones in turn in compatibility mode and in legacy
 *   protected mode with 2-level and PAE paging, as in diff.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "diff.h"
#include "jit/jit.h"

#define SMALL_CODE_BUFFER (64u << 10)
#define FULL_BUDGET 100000

typedef struct Side {
    Emu *emu[MODE_COUNT];
    DiffState st;
    uint8_t data[DATA_SIZE];
    CpuExit exit;
} Side;

typedef struct Lockstep {
    DiffCase c;
    Side interp, jit;
    uint64_t runs, fails, translated;
} Lockstep;

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static CpuExit side_run(Side *s, DiffMode m, const DiffCase *c, uint64_t budget)
{
    Cpu *cpu = emu_cpu(s->emu[m]);
    emu_load(s->emu[m], c);
    cpu->icount = 0;
    cpu->cr2 = 0;
    cpu->triple_fault = false;
    s->exit = cpu_run(cpu, budget);
    emu_store(s->emu[m], &s->st, s->data);
    return s->exit;
}

static bool same_state(Lockstep *l, DiffMode m, const char **what)
{
    const Cpu *a = emu_cpu(l->interp.emu[m]), *b = emu_cpu(l->jit.emu[m]);
    const DiffState *x = &l->interp.st, *y = &l->jit.st;
    size_t ram_size;
    const uint8_t *ra = emu_ram(l->interp.emu[m], &ram_size), *rb = emu_ram(l->jit.emu[m], &ram_size);
    *what = l->interp.exit != l->jit.exit ? "cpu_run exit"
          : memcmp(x->gpr, y->gpr, sizeof(x->gpr)) ? "GPRs"
          : x->rip != y->rip ? "RIP"
          : x->flags != y->flags ? "EFLAGS"
          : a->icount != b->icount ? "instruction count"
          : a->cr2 != b->cr2 ? "CR2"
          : memcmp(x->xmm, y->xmm, sizeof(x->xmm)) || x->mxcsr != y->mxcsr ? "XMM/MXCSR"
          : memcmp(x->mm, y->mm, sizeof(x->mm)) || memcmp(x->fse, y->fse, sizeof(x->fse)) ||
                    x->fcw != y->fcw || x->fsw != y->fsw || x->ftw != y->ftw ? "x87"
          : memcmp(ra, rb, ram_size) ? "RAM"
          : NULL;
    return *what == NULL;
}

static void run_case(Lockstep *l, uint64_t seed, uint64_t k, int bits, uint64_t mask)
{
    uint64_t cs = mix(seed * 0x9e3779b97f4a7c15ull + (k | (bits == 32 ? 1ull << 63 : 0)) + 1);
    gen_case(&l->c, cs, mask, bits);
    DiffMode m = bits == 64 ? MODE_LONG64 : k % 2 == 0 ? MODE_COMPAT32 : k % 4 == 1 ? MODE_PROT32 : MODE_PROT32_PAE;
    uint64_t budgets[2] = { FULL_BUDGET, 1 + mix(cs) % 64 };
    for (int i = 0; i < 2; i++) {
        side_run(&l->interp, m, &l->c, budgets[i]);
        side_run(&l->jit, m, &l->c, budgets[i]);
        l->runs++;
        const char *what;
        if (same_state(l, m, &what))
            continue;
        if (l->fails++ < 10) {
            printf("MISMATCH (%s): %d-bit case %" PRIu64 " (seed %" PRIu64 "), budget %" PRIu64 "\n", what,
                   bits, k, seed, budgets[i]);
            printf("  interpreter: rip %016" PRIx64 " flags %08" PRIx64 " icount %" PRIu64 " exit %d\n",
                   l->interp.st.rip, l->interp.st.flags, emu_cpu(l->interp.emu[m])->icount, l->interp.exit);
            printf("  jit:         rip %016" PRIx64 " flags %08" PRIx64 " icount %" PRIu64 " exit %d\n",
                   l->jit.st.rip, l->jit.st.flags, emu_cpu(l->jit.emu[m])->icount, l->jit.exit);
            for (int r = 0; r < 16; r++)
                if (l->interp.st.gpr[r] != l->jit.st.gpr[r])
                    printf("  gpr %d: %016" PRIx64 " vs %016" PRIx64 "\n", r, l->interp.st.gpr[r],
                           l->jit.st.gpr[r]);
        }
    }
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, cases = 2000, cases32 = 2000;
    bool all = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all")) {
            all = true;
        } else if (i + 1 < argc && (!strcmp(argv[i], "--seed") || !strcmp(argv[i], "--cases") ||
                                    !strcmp(argv[i], "--cases32"))) {
            uint64_t v = strtoull(argv[i + 1], NULL, 0);
            if (!strcmp(argv[i], "--seed"))
                seed = v;
            else if (!strcmp(argv[i], "--cases"))
                cases = v;
            else
                cases32 = v;
            i++;
        } else {
            fprintf(stderr, "usage: jit_lockstep [--seed S] [--cases N] [--cases32 N] [--all]\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    Lockstep *l = calloc(1, sizeof(*l));
    if (!l)
        return 2;
    for (int m = 0; m < MODE_COUNT; m++) {
        l->interp.emu[m] = emu_new((DiffMode)m);
        l->jit.emu[m] = emu_new((DiffMode)m);
        if (!l->interp.emu[m] || !l->jit.emu[m])
            return 2;
        emu_cpu(l->jit.emu[m])->jit = jit_new(0, SMALL_CODE_BUFFER);
        if (!emu_cpu(l->jit.emu[m])->jit) {
            perror("jit_lockstep: jit_new");
            return 2;
        }
    }
    uint64_t mask = 0;
    for (int f = 0; f < gen_family_count(); f++)
        if (all || !gen_family(f)->pending)
            mask |= 1ull << f;
    for (uint64_t k = 0; k < cases; k++)
        run_case(l, seed, k, 64, mask);
    for (uint64_t k = 0; k < cases32; k++)
        run_case(l, seed, k, 32, mask);
    JitStats total = { 0 };
    for (int m = 0; m < MODE_COUNT; m++) {
        JitStats s = jit_stats(emu_cpu(l->jit.emu[m])->jit);
        total.translated += s.translated;
        total.runs += s.runs;
        total.flushes += s.flushes;
    }
    printf("jit_lockstep: seed %" PRIu64 ", %" PRIu64 " 64-bit + %" PRIu64 " 32-bit cases, %" PRIu64
           " runs compared, %" PRIu64 " mismatches; jit: %" PRIu64 " blocks translated, %" PRIu64
           " block runs in host code, %" PRIu64 " buffer flushes\n", seed, cases, cases32, l->runs, l->fails,
           total.translated, total.runs, total.flushes);
    int rc = l->fails ? 1 : 0;
    if (total.runs == 0) {
        printf("jit_lockstep: no block ran in host code: the test tested nothing\n");
        rc = 1;
    }
    for (int m = 0; m < MODE_COUNT; m++) {
        emu_free(l->interp.emu[m]);
        emu_free(l->jit.emu[m]);
    }
    free(l);
    return rc;
}
