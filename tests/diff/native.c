/*
 * native.c — the host side of the differential harness: run a generated sequence on the real CPU.
 *
 * The code region (RWX) and the data region are mapped at the fixed addresses of diff.h with
 * MAP_FIXED_NOREPLACE, so memory operands and pushed return addresses are the same numbers as in
 * the guest; so is the low region for 16-bit addressing, where vm.mmap_min_addr allows it
 * (native_has_low; without it the generator makes no such operands).  A fixed prologue saves the
 * host's callee-saved registers and RSP in the scratch page, loads RFLAGS (POPFQ) and all sixteen
 * GPRs from the input state, and jumps to the sequence; the epilogue placed right after the
 * sequence stores the GPRs and RFLAGS (PUSHFQ) into the output state, clears DF and returns to C.  The x87 state, MXCSR and XMM0-15 are loaded first in the
 * prologue with FXRSTOR64 and stored in the epilogue with FXSAVE64 (which does not wait, so an
 * unmasked x87 exception still pending at the end is stored, not raised); the epilogue then
 * executes FNINIT and LDMXCSR 1F80 so the host's C code runs with its own FPU state again.
 *
 * 32-bit code (a case with bits = 32 and native32 set).  Linux x86-64 gives every 64-bit process
 * the GDT's 32-bit user code segment, selector 0x23 (__USER32_CS: DPL 3, D = 1, L = 0), next to
 * its 64-bit one, 0x33 (__USER_CS); a far transfer to 0x23 runs the code that follows in IA-32e
 * compatibility mode, a far transfer to 0x33 returns to 64-bit mode (SDM vol. 3, 5.2.1 and 9.8.5;
 * vol. 2, JMP "far jumps in ... IA-32e mode").  Neither needs the kernel.  The path is:
 *   CODE_BASE + PRO64_32   64-bit: save the callee-saved registers, FXRSTOR64, save RSP, DS and ES
 *                          (a 64-bit process runs with DS = ES = 0, a null selector that is fine in
 *                          64-bit mode and faults on every access in compatibility mode), then
 *                          JMP FAR m16:32 through SCR_FAR to 0x23:CODE_BASE + PRO32;
 *   CODE_BASE + PRO32      32-bit: DS = ES = 0x2b (__USER_DS, flat, the SS the process already has),
 *                          POPFD and EAX..EDI (ESP last) from the input state, JMP to the sequence;
 *   after the sequence     32-bit: store EAX..EDI, ESP := the flags slot, PUSHFD, CLD,
 *                          JMP FAR 0x33:CODE_BASE + EPI64;
 *   CODE_BASE + EPI64      64-bit: FXSAVE64, FNINIT, LDMXCSR, DS and ES back, RSP back, return.
 * XMM8-15 are loaded and stored like the others; 32-bit code cannot reach them, so they come back
 * unchanged, as in softvisor.  Whether the host can do this is probed once in a child process
 * (native_probe32): a kernel built without IA-32 emulation, or booted with ia32_emulation=0, has
 * no usable 0x23 and the far jump faults there.
 *
 * Faults: SIGFPE/SIGSEGV/SIGILL/SIGBUS/SIGTRAP are caught on an alternate stack (RSP points into the
 * compared data region while the sequence runs); the handler copies the interrupted registers and
 * the hardware vector (REG_TRAPNO) out of the ucontext and siglongjmps back.  The handler finds the
 * runner through a pointer kept in the scratch page (no mutable globals).  A fault in 32-bit code
 * arrives the same way: the kernel delivers a 64-bit signal frame (the handler was installed by a
 * 64-bit process) and enters the handler in 64-bit mode (CS = 0x33), the frame holding CS = 0x23,
 * EIP and the 32-bit registers zero-extended, so siglongjmp lands in 64-bit code as usual; only DS
 * and ES are put back by hand.  The trap-type vectors (#BP 3, #OF 4) report the address after the
 * instruction, as the hardware pushes it.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "diff.h"

#define SCR_HOST_RSP  (SCRATCH + 0x00)
#define SCR_CTX       (SCRATCH + 0x08)
#define STATE_IN      (SCRATCH + 0x100)
#define STATE_OUT     (SCRATCH + 0x200)
#define SCR_MXCSR     (SCRATCH + 0x10)   /* 0x1F80, the host's MXCSR */
#define SCR_FAR       (SCRATCH + 0x18)   /* m16:32 far pointer 0x23:CODE_BASE + PRO32 */
#define SCR_DS        (SCRATCH + 0x20)   /* the host's DS and ES while 32-bit code runs */
#define SCR_ES        (SCRATCH + 0x22)
#define FX_IN         (SCRATCH + 0x1000) /* FXSAVE images, 16-byte aligned */
#define FX_OUT        (SCRATCH + 0x1400)
#define ALT_STACK     (64 * 1024)

/* Offsets in the code region of the pieces of the 32-bit path (above). */
#define PRO64_32      0x200
#define PRO32         0x400
#define EPI64         0x600

#define SEL_USER32_CS 0x23   /* Linux x86-64 GDT: 32-bit user code, flat, DPL 3 */
#define SEL_USER_DS   0x2b   /* flat data, DPL 3 */
#define SEL_USER_CS   0x33   /* 64-bit user code */

struct Native {
    uint8_t *code;
    uint8_t *data;
    uint8_t *low;           /* NULL: not mappable here */
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

/* MOV r32, SS:[abs32] (load = true) or MOV SS:[abs32], r32 in 32-bit code: 36 8B/89 /r, ModRM
 * mod 00 rm 101 (an absolute disp32 outside 64-bit mode).  Through SS: the sequence may leave a
 * null or code segment in DS, never in SS. */
static uint8_t *mov_abs32(uint8_t *p, int reg, uint32_t addr, bool load)
{
    *p++ = 0x36;
    *p++ = load ? 0x8b : 0x89;
    *p++ = (uint8_t)(0x05 | (reg << 3));
    return put32(p, addr);
}

/* MOV Sreg, m16 (8E, load = true) or MOV m16, Sreg (8C) with an [abs32] operand in 64-bit code;
 * sreg 0 = ES, 3 = DS. */
static uint8_t *mov_sreg_abs(uint8_t *p, int sreg, uint32_t addr, bool load)
{
    *p++ = load ? 0x8e : 0x8c;
    *p++ = (uint8_t)(0x04 | (sreg << 3));
    *p++ = 0x25;
    return put32(p, addr);
}

/* 64-bit: push the host's callee-saved registers, load the FPU/SSE input, save RSP. */
static uint8_t *host_leave(uint8_t *p)
{
    static const uint8_t save[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };
    p = put(p, save, sizeof(save));
    p = grp15_abs(p, true, 1, FX_IN);               /* fxrstor64 */
    return mov_abs(p, 4, SCR_HOST_RSP, false);
}

/* 64-bit: store the FPU/SSE output and give the host its FPU state back. */
static uint8_t *fpu_out(uint8_t *p)
{
    p = grp15_abs(p, true, 0, FX_OUT);              /* fxsave64 */
    *p++ = 0xdb;                                   /* fninit */
    *p++ = 0xe3;
    return grp15_abs(p, false, 2, SCR_MXCSR);       /* ldmxcsr */
}

/* 64-bit: back on the host's stack, pop its registers and return to C. */
static void host_return(uint8_t *p)
{
    static const uint8_t restore[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3 };
    p = mov_abs(p, 4, SCR_HOST_RSP, true);
    put(p, restore, sizeof(restore));
}

static void native_prologue(uint8_t *p)
{
    p = host_leave(p);
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
    for (int r = 0; r < 16; r++)
        p = mov_abs(p, r, STATE_OUT + 8 * r, false);
    p = fpu_out(p);
    *p++ = 0xbc;                                   /* mov esp, STATE_OUT + flags + 8 */
    p = put32(p, STATE_OUT + 17 * 8);
    *p++ = 0x9c;                                   /* pushfq */
    *p++ = 0xfc;                                   /* cld */
    host_return(p);
}

/* The fixed pieces of the 32-bit path: PRO64_32, PRO32 and EPI64 (see the top of the file). */
static void native_prologue32(uint8_t *code)
{
    uint8_t *p = host_leave(code + PRO64_32);
    p = mov_sreg_abs(p, 3, SCR_DS, false);
    p = mov_sreg_abs(p, 0, SCR_ES, false);
    static const uint8_t ljmp[] = { 0xff, 0x2c, 0x25 };   /* jmp far m16:32 [abs32] */
    p = put(p, ljmp, sizeof(ljmp));
    put32(p, SCR_FAR);
    uint32_t far_off = CODE_BASE + PRO32;
    uint16_t far_sel = SEL_USER32_CS;
    memcpy((void *)(uintptr_t)SCR_FAR, &far_off, 4);
    memcpy((void *)(uintptr_t)(SCR_FAR + 4), &far_sel, 2);

    p = code + PRO32;
    static const uint8_t segs[] = {
        0xb8, SEL_USER_DS, 0, 0, 0,                    /* mov eax, 0x2b */
        0x8e, 0xd8,                                    /* mov ds, eax */
        0x8e, 0xc0,                                    /* mov es, eax */
    };
    p = put(p, segs, sizeof(segs));
    *p++ = 0xbc;                                       /* mov esp, STATE_IN + flags */
    p = put32(p, STATE_IN + 16 * 8);
    *p++ = 0x9d;                                       /* popfd */
    for (int r = 0; r < 8; r++)
        if (r != 4)
            p = mov_abs32(p, r, STATE_IN + 8 * r, true);
    p = mov_abs32(p, 4, STATE_IN + 8 * 4, true);
    *p++ = 0xe9;                                       /* jmp SEQ_ADDR */
    put32(p, (uint32_t)(SEQ_ADDR - ((uintptr_t)p + 4)));

    p = fpu_out(code + EPI64);
    p = mov_sreg_abs(p, 3, SCR_DS, true);
    p = mov_sreg_abs(p, 0, SCR_ES, true);
    host_return(p);
}

/* 32-bit code after the sequence: store EAX..EDI and EFLAGS, far jump to EPI64. */
static void native_epilogue32(uint8_t *p)
{
    for (int r = 0; r < 8; r++)
        p = mov_abs32(p, r, STATE_OUT + 8 * r, false);
    *p++ = 0xbc;                                       /* mov esp, STATE_OUT + flags + 4 */
    p = put32(p, STATE_OUT + 16 * 8 + 4);
    *p++ = 0x9c;                                       /* pushfd */
    *p++ = 0xfc;                                       /* cld */
    *p++ = 0xea;                                       /* jmp far 0x33:EPI64 */
    p = put32(p, CODE_BASE + EPI64);
    *p++ = SEL_USER_CS;
    *p = 0;
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
    n->low = mmap((void *)(uintptr_t)LOW_BASE, LOW_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (n->low != (void *)(uintptr_t)LOW_BASE) {
        if (n->low != MAP_FAILED)
            munmap(n->low, LOW_SIZE);
        n->low = NULL;
    }
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
    native_prologue32(n->code);
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
    if (n->low)
        munmap(n->low, LOW_SIZE);
    free(n->altstack);
    free(n);
}

/* The memory image after a run: the data region, the low region (the input where unmapped). */
static void native_data_out(const Native *n, const DiffCase *c, uint8_t *data_out)
{
    memcpy(data_out, n->data, DATA_SIZE);
    memcpy(data_out + DATA_SIZE, n->low ? n->low : c->data + DATA_SIZE, LOW_SIZE);
}

bool native_run(Native *n, const DiffCase *c, DiffState *out, uint8_t *data_out)
{
    bool b32 = c->bits == 32 && c->native32;
    uint8_t *seq = n->code + (SEQ_ADDR - CODE_BASE);
    memcpy(seq, c->code, c->len);
    if (b32)
        native_epilogue32(seq + c->len);
    else
        native_epilogue(seq + c->len);
    uint64_t *in = (uint64_t *)(uintptr_t)STATE_IN;
    memcpy(in, c->in.gpr, 16 * 8);
    in[16] = c->in.flags;
    memset((void *)(uintptr_t)STATE_OUT, 0, 17 * 8);
    fx_pack(&c->in, (uint8_t *)(uintptr_t)FX_IN);
    memcpy(n->data, c->data, DATA_SIZE);
    if (n->low)
        memcpy(n->low, c->data + DATA_SIZE, LOW_SIZE);
    uint64_t end = SEQ_ADDR + (uint64_t)c->len;
    if (sigsetjmp(n->jb, 1) == 0) {
        ((void (*)(void))(uintptr_t)(CODE_BASE + (b32 ? PRO64_32 : 0)))();
        const uint64_t *o = (const uint64_t *)(uintptr_t)STATE_OUT;
        memcpy(out->gpr, o, 16 * 8);
        if (b32)    /* R8-R15 are out of reach of 32-bit code */
            memcpy(out->gpr + 8, c->in.gpr + 8, 8 * 8);
        out->flags = o[16];
        fx_unpack((const uint8_t *)(uintptr_t)FX_OUT, out);
        out->rip = end;
        out->vector = -1;
    } else {
        /* The kernel gave the handler a fresh FPU state and siglongjmp keeps it; make sure. */
        const uint32_t mxcsr = 0x1f80;
        __asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(mxcsr));
        if (b32) {
            uint32_t ds = *(const uint16_t *)(uintptr_t)SCR_DS;
            uint32_t es = *(const uint16_t *)(uintptr_t)SCR_ES;
            __asm__ volatile("mov %0, %%ds\n\tmov %1, %%es" : : "r"(ds), "r"(es));
        }
        *out = n->fault;
        /* A trap (#BP, #OF) reports the next instruction, which may be the end. */
        bool trap = out->vector == 3 || out->vector == 4;
        if (out->rip < SEQ_ADDR || out->rip > end || (out->rip == end && !trap)) {
            native_data_out(n, c, data_out);
            return false;   /* fault outside the sequence: a harness bug */
        }
    }
    native_data_out(n, c, data_out);
    return true;
}

bool native_has_low(const Native *n) { return n->low != NULL; }

uint64_t native_gdt_entry(uint16_t sel)
{
    /* LAR and LSL work at CPL 3 in 64-bit mode and set ZF only for a descriptor this privilege
     * level may look at (SDM vol. 2, LAR, LSL).  LAR's 32-bit result is the descriptor's second
     * doubleword masked by 00FxFF00h (bits 19:16 undefined); LSL gives the byte-granular limit. */
    uint32_t ar = 0, lim = 0;
    uint8_t ok_ar = 0, ok_lim = 0;
    __asm__ volatile("lar %2, %0\n\tsetz %1" : "=r"(ar), "=q"(ok_ar) : "r"((uint32_t)sel) : "cc");
    __asm__ volatile("lsl %2, %0\n\tsetz %1" : "=r"(lim), "=q"(ok_lim) : "r"((uint32_t)sel) : "cc");
    if (!ok_ar || !ok_lim)
        return 0;
    ar &= 0x00f0ff00u;
    uint32_t raw = ar & 0x00800000u ? lim >> 12 : lim;   /* G: the limit counts 4 KiB pages */
    return (uint64_t)(raw & 0xffff) | (uint64_t)(raw >> 16 & 0xf) << 48 | (uint64_t)ar << 32;
}

bool native_probe32(Native *n)
{
    /* mov eax, 5; dec eax (48: a REX prefix in 64-bit code); daa (#UD in 64-bit code); push eax */
    static const uint8_t code[] = { 0xb8, 0x05, 0x00, 0x00, 0x00, 0x48, 0x27, 0x50 };
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        alarm(10);
        DiffCase *c = calloc(1, sizeof(*c));
        DiffState *out = calloc(1, sizeof(*out));
        uint8_t *data = malloc(MEM_SIZE);
        if (!c || !out || !data)
            _exit(1);
        gen_case_bytes(c, code, sizeof(code), 32, true);
        bool ok = native_run(n, c, out, data) && out->vector < 0 && (uint32_t)out->gpr[0] == 4 &&
                  (uint32_t)out->gpr[4] == DATA_BASE + STACK_OFF - 4;
        _exit(ok ? 0 : 1);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return false;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
