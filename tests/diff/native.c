/*
 * native.c — the host side of the differential harness: run a generated sequence on the real CPU.
 *
 * The code region (RWX) and the data region are mapped at the fixed addresses of diff.h with
 * MAP_FIXED_NOREPLACE, so memory operands and pushed return addresses are the same numbers as in
 * the guest.  A fixed prologue saves the host's callee-saved registers and RSP in the scratch page,
 * loads RFLAGS (POPFQ) and all sixteen GPRs from the input state, and jumps to the sequence; the
 * epilogue placed right after the sequence stores the GPRs and RFLAGS (PUSHFQ) into the output
 * state, clears DF and returns to C.  The x87 state, MXCSR and XMM0-15 are loaded first in the
 * prologue with FXRSTOR64 and stored in the epilogue with FXSAVE64 (which does not wait, so an
 * unmasked x87 exception still pending at the end is stored, not raised); the epilogue then
 * executes FNINIT and LDMXCSR 1F80 so the host's C code runs with its own FPU state again.
 *
 * Faults: SIGFPE/SIGSEGV/SIGILL/SIGBUS/SIGTRAP are caught on an alternate stack (RSP points into the
 * compared data region while the sequence runs); the handler copies the interrupted registers and
 * the hardware vector (REG_TRAPNO) out of the ucontext and siglongjmps back.  The handler finds the
 * runner through a pointer kept in the scratch page (no mutable globals).
 *
 * XXX: 32-bit code is not run as 32-bit code here: the host this was written on runs a kernel
 * without IA-32 emulation (selector 0x23 not present, i386 execve gives ENOEXEC, and LDT code
 * segments made with modify_ldt do not load either).  A 32-bit case (c->bits = 32) is run as
 * 64-bit code like any other: the generator makes such cases only of bytes that mean the same in
 * both modes, and the driver compares bits 31:0 of EAX..EDI (diff.h).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "diff.h"

#define SCR_HOST_RSP  (SCRATCH + 0x00)
#define SCR_CTX       (SCRATCH + 0x08)
#define STATE_IN      (SCRATCH + 0x100)
#define STATE_OUT     (SCRATCH + 0x200)
#define SCR_MXCSR     (SCRATCH + 0x10)   /* 0x1F80, the host's MXCSR */
#define FX_IN         (SCRATCH + 0x1000) /* FXSAVE images, 16-byte aligned */
#define FX_OUT        (SCRATCH + 0x1400)
#define ALT_STACK     (64 * 1024)

struct Native {
    uint8_t *code;
    uint8_t *data;
    void *altstack;
    sigjmp_buf jb;
    DiffState fault;
    struct sigaction old[5];
};

static const int caught[5] = { SIGFPE, SIGSEGV, SIGILL, SIGBUS, SIGTRAP };

/* Host register numbers in gregs[] for our GPR order RAX..R15. */
static const int greg_of[16] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* The FXSAVE image (SDM vol. 1, 10.5.1, 64-bit format): FCW at 0, FSW 2, abridged FTW 4, MXCSR
 * 24, ST(i) at 32 + 16 i (10 bytes), XMMi at 160 + 16 i.  The state keeps the x87 registers by
 * physical number: ST(i) is physical register (TOP + i) & 7. */
static void fx_pack(const DiffState *s, uint8_t *fx)
{
    memset(fx, 0, 512);
    memcpy(fx + 0, &s->fcw, 2);
    memcpy(fx + 2, &s->fsw, 2);
    fx[4] = s->ftw;
    memcpy(fx + 24, &s->mxcsr, 4);
    int top = (s->fsw >> 11) & 7;
    for (int i = 0; i < 8; i++) {
        int p = (top + i) & 7;
        memcpy(fx + 32 + 16 * i, &s->mm[p], 8);
        memcpy(fx + 40 + 16 * i, &s->fse[p], 2);
    }
    memcpy(fx + 160, s->xmm, 256);
}

static void fx_unpack(const uint8_t *fx, DiffState *s)
{
    memcpy(&s->fcw, fx + 0, 2);
    memcpy(&s->fsw, fx + 2, 2);
    s->ftw = fx[4];
    memcpy(&s->mxcsr, fx + 24, 4);
    int top = (s->fsw >> 11) & 7;
    for (int i = 0; i < 8; i++) {
        int p = (top + i) & 7;
        memcpy(&s->mm[p], fx + 32 + 16 * i, 8);
        memcpy(&s->fse[p], fx + 40 + 16 * i, 2);
    }
    memcpy(s->xmm, fx + 160, 256);
}

static void native_signal(int sig, siginfo_t *si, void *ucv)
{
    (void)sig; (void)si;
    Native *n = *(Native *volatile *)(uintptr_t)SCR_CTX;
    const ucontext_t *uc = ucv;
    for (int i = 0; i < 16; i++)
        n->fault.gpr[i] = (uint64_t)uc->uc_mcontext.gregs[greg_of[i]];
    n->fault.rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    n->fault.flags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
    n->fault.vector = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
    fx_unpack((const uint8_t *)uc->uc_mcontext.fpregs, &n->fault);
    siglongjmp(n->jb, 1);
}

static uint8_t *put(uint8_t *p, const void *b, size_t n)
{
    memcpy(p, b, n);
    return p + n;
}

static uint8_t *put32(uint8_t *p, uint32_t v) { return put(p, &v, 4); }

/* MOV r64, [abs32] (load = true) or MOV [abs32], r64: REX.W(+R) 8B/89 /r, ModRM rm=100, SIB 25. */
static uint8_t *mov_abs(uint8_t *p, int reg, uint32_t addr, bool load)
{
    *p++ = (uint8_t)(0x48 | (reg >= 8 ? 4 : 0));
    *p++ = load ? 0x8b : 0x89;
    *p++ = (uint8_t)(0x04 | ((reg & 7) << 3));
    *p++ = 0x25;
    return put32(p, addr);
}

/* 0F AE /digit with an [abs32] operand (REX.W with `w`): FXSAVE64 /0, FXRSTOR64 /1, LDMXCSR /2. */
static uint8_t *grp15_abs(uint8_t *p, bool w, int digit, uint32_t addr)
{
    if (w)
        *p++ = 0x48;
    *p++ = 0x0f;
    *p++ = 0xae;
    *p++ = (uint8_t)(0x04 | (digit << 3));
    *p++ = 0x25;
    return put32(p, addr);
}

static void native_prologue(uint8_t *p)
{
    static const uint8_t save[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };
    p = put(p, save, sizeof(save));
    p = grp15_abs(p, true, 1, FX_IN);               /* fxrstor64 */
    p = mov_abs(p, 4, SCR_HOST_RSP, false);
    *p++ = 0xbc;                                   /* mov esp, STATE_IN + flags */
    p = put32(p, STATE_IN + 16 * 8);
    *p++ = 0x9d;                                   /* popfq */
    for (int r = 0; r < 16; r++)
        if (r != 4)
            p = mov_abs(p, r, STATE_IN + 8 * r, true);
    p = mov_abs(p, 4, STATE_IN + 8 * 4, true);
    *p++ = 0xe9;                                   /* jmp SEQ_ADDR */
    put32(p, (uint32_t)(SEQ_ADDR - ((uintptr_t)p + 4)));
}

static void native_epilogue(uint8_t *p)
{
    static const uint8_t restore[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3 };
    for (int r = 0; r < 16; r++)
        p = mov_abs(p, r, STATE_OUT + 8 * r, false);
    p = grp15_abs(p, true, 0, FX_OUT);              /* fxsave64 */
    *p++ = 0xdb;                                   /* fninit */
    *p++ = 0xe3;
    p = grp15_abs(p, false, 2, SCR_MXCSR);          /* ldmxcsr */
    *p++ = 0xbc;                                   /* mov esp, STATE_OUT + flags + 8 */
    p = put32(p, STATE_OUT + 17 * 8);
    *p++ = 0x9c;                                   /* pushfq */
    *p++ = 0xfc;                                   /* cld */
    p = mov_abs(p, 4, SCR_HOST_RSP, true);
    put(p, restore, sizeof(restore));
}

Native *native_new(void)
{
    Native *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->code = mmap((void *)(uintptr_t)CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    n->data = mmap((void *)(uintptr_t)DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    n->altstack = malloc(ALT_STACK);
    if (n->code != (void *)(uintptr_t)CODE_BASE || n->data != (void *)(uintptr_t)DATA_BASE ||
        !n->altstack) {
        native_free(n);
        return NULL;
    }
    stack_t ss = { .ss_sp = n->altstack, .ss_size = ALT_STACK, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = native_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 5; i++)
        sigaction(caught[i], &sa, &n->old[i]);
    *(Native **)(uintptr_t)SCR_CTX = n;
    *(uint32_t *)(uintptr_t)SCR_MXCSR = 0x1f80;
    native_prologue(n->code);
    return n;
}

void native_free(Native *n)
{
    if (!n)
        return;
    if (n->code == (void *)(uintptr_t)CODE_BASE) {
        for (int i = 0; i < 5; i++)
            sigaction(caught[i], &n->old[i], NULL);
        munmap(n->code, CODE_SIZE);
    }
    if (n->data == (void *)(uintptr_t)DATA_BASE)
        munmap(n->data, DATA_SIZE);
    free(n->altstack);
    free(n);
}

bool native_run(Native *n, const DiffCase *c, DiffState *out, uint8_t *data_out)
{
    uint8_t *seq = n->code + (SEQ_ADDR - CODE_BASE);
    memcpy(seq, c->code, c->len);
    native_epilogue(seq + c->len);
    uint64_t *in = (uint64_t *)(uintptr_t)STATE_IN;
    memcpy(in, c->in.gpr, 16 * 8);
    in[16] = c->in.flags;
    fx_pack(&c->in, (uint8_t *)(uintptr_t)FX_IN);
    memcpy(n->data, c->data, DATA_SIZE);
    if (sigsetjmp(n->jb, 1) == 0) {
        ((void (*)(void))(uintptr_t)CODE_BASE)();
        const uint64_t *o = (const uint64_t *)(uintptr_t)STATE_OUT;
        memcpy(out->gpr, o, 16 * 8);
        out->flags = o[16];
        fx_unpack((const uint8_t *)(uintptr_t)FX_OUT, out);
        out->rip = SEQ_ADDR + (uint64_t)c->len;
        out->vector = -1;
    } else {
        /* The kernel gave the handler a fresh FPU state and siglongjmp keeps it; make sure. */
        const uint32_t mxcsr = 0x1f80;
        __asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(mxcsr));
        *out = n->fault;
        if (out->rip < SEQ_ADDR || out->rip >= SEQ_ADDR + (uint64_t)c->len) {
            memcpy(data_out, n->data, DATA_SIZE);
            return false;   /* fault outside the sequence: a harness bug */
        }
    }
    memcpy(data_out, n->data, DATA_SIZE);
    return true;
}
