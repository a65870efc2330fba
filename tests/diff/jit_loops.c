/*
 * jit_loops.c — the JIT's transfers between and within blocks against the interpreter (issue 9,
 * "Exactness"; jit/jit.h sections 3-6): one sequence, run three times by an outer loop so that
 * its blocks are translated and chained on the later rounds, with a loop whose branch goes back to its
 * block's start (internal back-edge), flags produced in one block and read in the next (after a
 * JMP and across CALL/RET), chained blocks through the jump-cache lookup, loads and stores through
 * the inline TLB and a rotate that keeps the old SF ZF AF PF.  It runs on the machines of the
 * lockstep test (emu.c: 64-bit code, compatibility mode, legacy protected mode with 2-level and
 * PAE paging) with the interpreter alone and with the JIT at threshold 0, once to its end and
 * once with every budget from 1 to that length, so that the run stops at each instruction of the
 * chained loop; the full state (GPRs, RIP, EFLAGS, icount, how cpu_run returned, guest RAM) must
 * be the same.  The tail reads CF from the lazy form after a store (ADC, INC, DEC after CMP, SUB
 * and ADD records at 32 and 64 bits, INC, LOGIC).  The comments give the 64-bit meaning (ndisasm); 32-bit
 * code reads the two REX.W prefixes as DEC EAX, which is fine: the test compares the two tiers
 * on the same bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "diff.h"
#include "jit/jit.h"

static const uint8_t seq[] = {
    0xbf, 0x03, 0x00, 0x00, 0x00,                /* mov edi,0x3                  */
    0xb9, 0x28, 0x00, 0x00, 0x00,                /* mov ecx,0x28                 */
    0x31, 0xc0,                                  /* xor eax,eax                  */
    0x8b, 0x14, 0x8e,                            /* mov edx,[rsi+rcx*4]          */
    0x01, 0xd0,                                  /* add eax,edx                  */
    0xc1, 0xc0, 0x03,                            /* rol eax,byte 0x3             */
    0x89, 0x84, 0x8e, 0x00, 0x04, 0x00, 0x00,    /* mov [rsi+rcx*4+0x400],eax    */
    0xff, 0xc9,                                  /* dec ecx                      */
    0x75, 0xed,                                  /* jnz 0xc                      */
    0x3d, 0x78, 0x56, 0x34, 0x12,                /* cmp eax,0x12345678           */
    0xeb, 0x00,                                  /* jmp short 0x26               */
    0x72, 0x02,                                  /* jc 0x2a                      */
    0xff, 0xc2,                                  /* inc edx                      */
    0x11, 0xc2,                                  /* adc edx,eax                  */
    0xe8, 0x04, 0x00, 0x00, 0x00,                /* call 0x35                    */
    0xd1, 0xeb,                                  /* shr ebx,1                    */
    0xeb, 0x0a,                                  /* jmp short 0x3f               */
    0x6b, 0xd8, 0x07,                            /* imul ebx,eax,byte +0x7       */
    0xc1, 0xe3, 0x02,                            /* shl ebx,byte 0x2             */
    0xc1, 0xf8, 0x05,                            /* sar eax,byte 0x5             */
    0xc3,                                        /* ret                          */
    0x0f, 0x92, 0xc0,                            /* setc al                      */
    0x0f, 0x44, 0xcb,                            /* cmovz ecx,ebx                */
    0x83, 0xeb, 0x03,                            /* sub ebx,byte +0x3            */
    0x05, 0x11, 0x11, 0x11, 0x11,                /* add eax,0x11111111           */
    0x73, 0xf9,                                  /* jnc 0x48                     */
    0xf7, 0xd8,                                  /* neg eax                      */
    0x39, 0xd8,                                  /* cmp eax,ebx                  */
    0x89, 0x86, 0x00, 0x08, 0x00, 0x00,          /* mov [rsi+0x800],eax          */
    0x83, 0xd1, 0x00,                            /* adc ecx,byte +0x0            */
    0x48, 0x29, 0xc2,                            /* sub rdx,rax                  */
    0x89, 0x96, 0x04, 0x08, 0x00, 0x00,          /* mov [rsi+0x804],edx          */
    0xff, 0xc1,                                  /* inc ecx                      */
    0x11, 0xcb,                                  /* adc ebx,ecx                  */
    0x48, 0x01, 0xcb,                            /* add rbx,rcx                  */
    0x8b, 0x96, 0x08, 0x08, 0x00, 0x00,          /* mov edx,[rsi+0x808]          */
    0xff, 0xca,                                  /* dec edx                      */
    0x19, 0xd0,                                  /* sbb eax,edx                  */
    0xf9,                                        /* stc                          */
    0xff, 0xc0,                                  /* inc eax                      */
    0x89, 0x86, 0x0c, 0x08, 0x00, 0x00,          /* mov [rsi+0x80c],eax          */
    0x83, 0xd2, 0x01,                            /* adc edx,byte +0x1            */
    0x31, 0xc2,                                  /* xor edx,eax                  */
    0x89, 0x96, 0x10, 0x08, 0x00, 0x00,          /* mov [rsi+0x810],edx          */
    0x83, 0xd8, 0x02,                            /* sbb eax,byte +0x2            */
    0xff, 0xcf,                                  /* dec edi                      */
    0x0f, 0x85, 0x70, 0xff, 0xff, 0xff,          /* jnz near 0x5                 */
};

typedef struct Run {
    DiffState st;
    uint8_t data[MEM_SIZE];
    CpuExit exit;
    uint64_t icount;
} Run;

static void run(Emu *e, const DiffCase *c, uint64_t budget, Run *r)
{
    Cpu *cpu = emu_cpu(e);
    emu_load(e, c);
    cpu->icount = 0;
    cpu->triple_fault = false;
    r->exit = cpu_run(cpu, budget);
    r->icount = cpu->icount;
    emu_store(e, &r->st, r->data);
}

static const char *differs(Emu *a, Emu *b, const Run *x, const Run *y)
{
    size_t size;
    const uint8_t *ra = emu_ram(a, &size), *rb = emu_ram(b, &size);
    return x->exit != y->exit ? "cpu_run exit"
         : memcmp(x->st.gpr, y->st.gpr, sizeof(x->st.gpr)) ? "GPRs"
         : x->st.rip != y->st.rip ? "RIP"
         : x->st.flags != y->st.flags ? "EFLAGS"
         : x->icount != y->icount ? "instruction count"
         : memcmp(ra, rb, size) ? "RAM"
         : NULL;
}

int main(void)
{
    DiffCase c;
    memset(&c, 0, sizeof(c));
    memcpy(c.code, seq, sizeof(seq));
    c.len = (int)sizeof(seq);
    c.in.gpr[6] = DATA_BASE;                        /* rsi */
    c.in.gpr[4] = DATA_BASE + STACK_OFF;            /* rsp */
    c.in.gpr[3] = 0x9e3779b9;                       /* rbx */
    c.in.flags = 0x2;
    c.in.fcw = 0x37f;
    c.in.mxcsr = 0x1f80;
    for (unsigned i = 0; i < DATA_SIZE; i++)
        c.data[i] = (uint8_t)(i * 37 + (i >> 5));
    static Run x, y;
    int fails = 0;
    uint64_t runs = 0;
    for (int m = 0; m < MODE_COUNT; m++) {
        c.bits = m == MODE_LONG64 ? 64 : 32;
        Emu *interp = emu_new((DiffMode)m), *jit = emu_new((DiffMode)m);
        if (!interp || !jit) {
            fprintf(stderr, "jit_loops: no machine\n");
            return 2;
        }
        emu_cpu(jit)->jit = jit_new(0, 64u << 10);
        if (!emu_cpu(jit)->jit) {
            perror("jit_loops: jit_new");
            return 2;
        }
        run(interp, &c, 100000, &x);     /* both: page-table A/D bits are part of RAM */
        run(jit, &c, 100000, &y);
        uint64_t total = x.icount;
        for (uint64_t budget = 1; budget <= total + 1; budget++) {
            uint64_t bgt = budget > total ? 100000 : budget;
            run(interp, &c, bgt, &x);
            run(jit, &c, bgt, &y);
            runs++;
            const char *what = differs(interp, jit, &x, &y);
            if (what) {
                if (fails++ < 10)
                    printf("jit_loops: mode %d, budget %" PRIu64 ": %s differs (interpreter rip %" PRIx64
                           " icount %" PRIu64 ", jit rip %" PRIx64 " icount %" PRIu64 ")\n", m, bgt, what,
                           x.st.rip, x.icount, y.st.rip, y.icount);
            }
        }
        JitStats s = jit_stats(emu_cpu(jit)->jit);
        if (s.runs == 0 || s.jc_hits == 0) {
            printf("jit_loops: mode %d: no block ran in host code or none was chained\n", m);
            fails++;
        }
        emu_free(interp);
        emu_free(jit);
    }
    printf("jit_loops: %" PRIu64 " runs compared, %d mismatches\n", runs, fails);
    return fails ? 1 : 0;
}
