/*
 * native.c — the host side of the differential harness: run a generated sequence on the real CPU.
 *
 * The code region (RWX) and the data region are mapped at the fixed addresses of diff.h with
 * MAP_FIXED_NOREPLACE, so memory operands and pushed return addresses are the same numbers as in
 * the guest.  A fixed prologue saves the host's callee-saved registers and RSP in the scratch page,
 * loads RFLAGS (POPFQ) and all sixteen GPRs from the input state, and jumps to the sequence; the
 * epilogue placed right after the sequence stores the GPRs and RFLAGS (PUSHFQ) into the output
 * state, clears DF and returns to C.  XMM0-15 and MM0-7 are loaded first in the prologue (MOVDQU,
 * MOVQ) and stored last in the epilogue, which then executes EMMS so the host's x87 is free again.
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
#define XMM_IN        (SCRATCH + 0x400)
#define XMM_OUT       (SCRATCH + 0x500)
#define MM_IN         (SCRATCH + 0x600)
#define MM_OUT        (SCRATCH + 0x640)
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
    /* The MMX registers are ST(0)-ST(7) here: every MMX load in the prologue set TOP = 0. */
    for (int i = 0; i < 16; i++)
        memcpy(n->fault.xmm[i], uc->uc_mcontext.fpregs->_xmm[i].element, 16);
    for (int i = 0; i < 8; i++)
        memcpy(&n->fault.mm[i], uc->uc_mcontext.fpregs->_st[i].significand, 8);
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

/* MOVDQU xmm, [abs32] / MOVDQU [abs32], xmm (F3 (REX.R) 0F 6F/7F) or, with mmx, MOVQ mm, [abs32] /
 * MOVQ [abs32], mm (0F 6F/7F). */
static uint8_t *vec_abs(uint8_t *p, bool mmx, int reg, uint32_t addr, bool load)
{
    if (!mmx)
        *p++ = 0xf3;
    if (reg >= 8)
        *p++ = 0x44;
    *p++ = 0x0f;
    *p++ = load ? 0x6f : 0x7f;
    *p++ = (uint8_t)(0x04 | ((reg & 7) << 3));
    *p++ = 0x25;
    return put32(p, addr);
}

static void native_prologue(uint8_t *p)
{
    static const uint8_t save[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };
    p = put(p, save, sizeof(save));
    for (int r = 0; r < 16; r++)
        p = vec_abs(p, false, r, XMM_IN + 16 * r, true);
    for (int r = 0; r < 8; r++)
        p = vec_abs(p, true, r, MM_IN + 8 * r, true);
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
    for (int r = 0; r < 16; r++)
        p = vec_abs(p, false, r, XMM_OUT + 16 * r, false);
    for (int r = 0; r < 8; r++)
        p = vec_abs(p, true, r, MM_OUT + 8 * r, false);
    *p++ = 0x0f;                                   /* emms */
    *p++ = 0x77;
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
    memcpy((void *)(uintptr_t)XMM_IN, c->in.xmm, sizeof(c->in.xmm));
    memcpy((void *)(uintptr_t)MM_IN, c->in.mm, sizeof(c->in.mm));
    memcpy(n->data, c->data, DATA_SIZE);
    if (sigsetjmp(n->jb, 1) == 0) {
        ((void (*)(void))(uintptr_t)CODE_BASE)();
        const uint64_t *o = (const uint64_t *)(uintptr_t)STATE_OUT;
        memcpy(out->gpr, o, 16 * 8);
        out->flags = o[16];
        memcpy(out->xmm, (const void *)(uintptr_t)XMM_OUT, sizeof(out->xmm));
        memcpy(out->mm, (const void *)(uintptr_t)MM_OUT, sizeof(out->mm));
        out->rip = SEQ_ADDR + (uint64_t)c->len;
        out->vector = -1;
    } else {
        *out = n->fault;
        if (out->rip < SEQ_ADDR || out->rip >= SEQ_ADDR + (uint64_t)c->len) {
            memcpy(data_out, n->data, DATA_SIZE);
            return false;   /* fault outside the sequence: a harness bug */
        }
    }
    memcpy(data_out, n->data, DATA_SIZE);
    return true;
}
