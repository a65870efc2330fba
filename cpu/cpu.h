/*
 * cpu.h — the architectural state of one x86-64 CPU and the interface the rest of softvisor uses.
 *
 * The CPU reaches the machine only through a CpuBus ops table (physical memory, port I/O, interrupt
 * acknowledge), so unit tests can run it on a fake RAM (STYLE rule 4).  Everything guest-visible
 * lives in struct Cpu; nothing is global.
 *
 * Register numbering follows the SDM encoding (RAX=0 ... RDI=7, R8..R15 = 8..15).  Byte registers
 * AH, CH, DH, BH are encoded as REG_AH.. (16..19) and alias bits 8..15 of RAX..RBX.
 * Segment registers follow the SDM sreg encoding: ES=0 CS=1 SS=2 DS=3 FS=4 GS=5.
 */
#ifndef SOFTVISOR_CPU_H
#define SOFTVISOR_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/tlb.h"

enum {
    R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
    REG_AH = 16, REG_CH, REG_DH, REG_BH,
    REG_NONE = 0xff,
};

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NONE = 7 };

/* EFLAGS (SDM vol. 1, 3.4.3) */
#define FL_CF   (1u << 0)
#define FL_FIXED1 (1u << 1)
#define FL_PF   (1u << 2)
#define FL_AF   (1u << 4)
#define FL_ZF   (1u << 6)
#define FL_SF   (1u << 7)
#define FL_TF   (1u << 8)
#define FL_IF   (1u << 9)
#define FL_DF   (1u << 10)
#define FL_OF   (1u << 11)
#define FL_IOPL (3u << 12)
#define FL_NT   (1u << 14)
#define FL_RF   (1u << 16)
#define FL_VM   (1u << 17)
#define FL_AC   (1u << 18)
#define FL_VIF  (1u << 19)
#define FL_VIP  (1u << 20)
#define FL_ID   (1u << 21)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* CR0 / CR4 / EFER bits (SDM vol. 3, 2.5; 2.2.1) */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

#define CR4_VME (1ull << 0)
#define CR4_PVI (1ull << 1)
#define CR4_TSD (1ull << 2)
#define CR4_DE  (1ull << 3)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_MCE (1ull << 6)
#define CR4_PGE (1ull << 7)
#define CR4_PCE (1ull << 8)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP (1ull << 11)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_OSXSAVE (1ull << 18)

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* DR6 / DR7 bits (SDM vol. 3, 17.2.3, 17.2.4); the model is in cpu/dbreg.c. */
#define DR6_B(n)   (1u << (n))     /* breakpoint condition n met */
#define DR6_BMASK  0xfu
#define DR6_BD     (1u << 13)      /* next instruction accesses a debug register (DR7.GD) */
#define DR6_BS     (1u << 14)      /* single step */
#define DR6_BT     (1u << 15)      /* task switch */
#define DR7_GD     (1u << 13)

/* Exception vectors (SDM vol. 3, table 6-1) */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6, EXC_NM = 7,
    EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16,
    EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
};
#define EXC_NO_ERR 0xffffffffu  /* error-code argument meaning "this event pushes no error code" */

/*
 * Segment descriptor cache (SDM vol. 3, 3.4.5).  Load it only through seg_load_cache() in
 * cpu/seg.c, which recomputes the derived fields lo/hi/ok.  `attr` holds descriptor bits 40..55 shifted down:
 *   bits 0-3 type, 4 S, 5-6 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G.
 * `limit` is the expanded byte limit.  `lo`/`hi` is the precomputed valid offset range for data
 * accesses (expand-down segments turn into [limit+1, 0xFFFF or 0xFFFFFFFF]).
 */
typedef struct SegCache {
    uint16_t sel;
    uint16_t attr;
    uint32_t limit;
    uint64_t base;
    uint32_t lo, hi;
    uint8_t ok;   /* bit ACC_READ/ACC_WRITE set: data reads/writes allowed (type, null, present) */
} SegCache;

#define SEG_ATTR_TYPE  0x000f
#define SEG_ATTR_S     0x0010
#define SEG_ATTR_DPL   0x0060
#define SEG_ATTR_P     0x0080
#define SEG_ATTR_L     0x2000
#define SEG_ATTR_DB    0x4000
#define SEG_ATTR_G     0x8000

typedef struct DescTable {
    uint64_t base;
    uint32_t limit;
} DescTable;

/*
 * x87 FPU state (SDM vol. 1, chapter 8).  Registers are kept as raw 80-bit extended values
 * (64-bit significand with explicit integer bit, sign and 15-bit exponent), indexed by physical
 * register number; ST(i) is regs[(top + i) & 7] with top = (sw >> 11) & 7.  The tag word is kept
 * in full (2 bits per physical register: 00 valid, 01 zero, 10 special, 11 empty).
 * MMX registers MM0-7 alias the significands of the physical registers (SDM vol. 1, 9.5).
 */
typedef struct Fp80 {
    uint64_t mant;
    uint16_t se;            /* bit 15 sign, bits 14:0 biased exponent */
} Fp80;

typedef struct X87State {
    Fp80 regs[8];
    uint16_t cw, sw, tw;
    uint16_t fop;           /* last non-control instruction's opcode (11 bits) */
    uint16_t fcs, fds;
    uint64_t fip, fdp;
} X87State;

/* An XMM register (SDM vol. 1, 10.2). */
typedef union Xmm {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
    float f[4];
    double fd[2];
} Xmm;

struct Cpu;

/*
 * The CPU's view of the machine.  Physical addresses are guest-physical.  phys_ptr returns a host
 * pointer to the 4 KiB page containing `paddr` when it is ordinary RAM or ROM (setting *writable),
 * or NULL when the page is MMIO or unassigned; those go through phys_read/phys_write.
 */
typedef struct CpuBus {
    uint8_t *(*phys_ptr)(void *opaque, uint64_t paddr, bool *writable);
    uint64_t (*phys_read)(void *opaque, uint64_t paddr, int size);
    void (*phys_write)(void *opaque, uint64_t paddr, int size, uint64_t val);
    uint32_t (*io_in)(void *opaque, uint16_t port, int size);
    void (*io_out)(void *opaque, uint16_t port, int size, uint32_t val);
    /* Highest-priority pending maskable interrupt: returns true and acknowledges it into *vector. */
    bool (*intr_ack)(void *opaque, uint8_t *vector);
    bool (*intr_pending)(void *opaque);
    /* FERR# went active: an unmasked x87 error reached a waiting instruction with CR0.NE = 0
     * (cpu/x87.c).  NULL: FERR# not wired, and IGNNE# counts as held active. */
    void (*ferr)(void *opaque);
    /* The CPU is about to write RAM page `ppage` through a host pointer (a TLB write tag, the
     * physical slow path): dirty-page tracking (mem/phys.h).  NULL: nobody tracks. */
    void (*phys_dirty)(void *opaque, uint64_t ppage);
} CpuBus;

/* The CPU's own side of its local APIC, when the machine has one (Cpu.apic; NULL: no APIC, and
 * CPUID says so): IA32_APIC_BASE was written (after the CPU stored it); CR8 is TPR[7:4];
 * IA32_TSC_DEADLINE (MSR 6E0h, present while IA32_APIC_BASE.EN = 1).  `opaque` is Cpu.apic_opaque. */
typedef struct CpuApicOps {
    void (*base_write)(void *opaque, uint64_t apic_base);
    uint8_t (*cr8_read)(void *opaque);
    void (*cr8_write)(void *opaque, uint8_t cr8);
    uint64_t (*tsc_deadline_read)(void *opaque);
    void (*tsc_deadline_write)(void *opaque, uint64_t tsc);
} CpuApicOps;

/* Why cpu_run() returned. */
typedef enum CpuExit {
    CPU_EXIT_BUDGET,       /* reached the instruction-count limit */
    CPU_EXIT_HALT,         /* HLT: waiting for an interrupt */
    CPU_EXIT_STOP,         /* somebody set cpu->stop_request (device, debug-exit, reset) */
    CPU_EXIT_TRIPLE_FAULT, /* shutdown */
} CpuExit;

typedef struct Block Block;
typedef struct BlockCache BlockCache;

/*
 * A host debugger's breakpoints and watchpoints (debug/gdbstub.c), kept outside the guest and
 * invisible to it.  They ride on the debug-register machinery of cpu/dbreg.c: bit DBG_HOST of
 * Cpu.dbg_insn_armed makes the run loop go one instruction at a time and ask insn_hit before
 * each; bit DBG_HOST of Cpu.dbg_data_armed takes the pages page_watched names off the TLB's data
 * fast path, so their accesses reach data_hit in the slow path.  A hit ends the run after the
 * accessing instruction retires (before an execute breakpoint's instruction), with
 * Cpu.host_stop set; nothing is delivered to the guest.
 */
#define DBG_HOST 0x80
typedef struct CpuHostDebug {
    bool (*insn_hit)(void *opaque, uint64_t lin);
    bool (*page_watched)(void *opaque, uint64_t page);
    bool (*data_hit)(void *opaque, uint64_t lin, int size, bool write);
} CpuHostDebug;

/* CPU configuration fixed at creation (from the VM config). */
typedef struct CpuConfig {
    uint64_t rng_seed;     /* seeds RDRAND/RDSEED deterministically */
    uint64_t tsc_per_insn; /* TSC ticks per retired instruction (virtual clock) */
} CpuConfig;

typedef struct Cpu {
    uint64_t gpr[16];
    uint64_t rip;          /* offset in CS of the instruction being executed */

    /* Lazy flags (cpu/flags.h).  `eflags` holds all bits except the six arithmetic ones, which
     * live in cc_* until materialized (unless cc_op == CC_OP_EFLAGS). */
    uint32_t cc_op;
    uint64_t cc_dst, cc_src, cc_src2;
    uint32_t eflags;

    SegCache seg[6];
    SegCache ldtr, tr;
    DescTable gdtr, idtr;

    uint64_t cr0, cr2, cr3, cr4, cr8;
    /* A20 gate (the A20M# pin, driven by the board): ANDed into every physical address the TLB
     * produces, so blocks and code pages are keyed by the address memory really answers at. */
    uint64_t a20_mask;
    uint64_t efer;
    uint64_t dr[8];
    int cpl;

    /* MSRs */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t apic_base, pat, tsc_offset, tsc_aux;
    uint64_t mtrr_def_type, mtrr_fixed[11], mtrr_var[16];
    uint64_t misc_enable;
    /* Architectural performance monitoring v2 (cpu/msr.c): stored, never counting. */
    uint64_t pmc[2], perfevtsel[2], fixed_ctr[3], fixed_ctr_ctrl, perf_global_ctrl;
    uint64_t offcore_rsp[2], lbr_select, lbr_tos, debugctl, lbr_from[16], lbr_to[16];

    /* x87 / MMX / SSE state (cpu/x87*.c, cpu/mmx.c, cpu/sse*.c) */
    X87State fpu;
    Xmm xmm[16] __attribute__((aligned(16)));
    uint32_t mxcsr;
    uint64_t xcr0;

    uint64_t icount;       /* retired instructions: the virtual clock's source */
    uint64_t rng_state;    /* RDRAND/RDSEED generator state */
    CpuConfig config;

    /* Event state */
    bool halted;
    bool inhibit_irq;      /* STI / MOV SS shadow: no interrupt before the next instruction */
    volatile bool stop_request;
    bool exit_block;       /* set by slow paths (SMC, mode change) to end the current block */
    bool nmi_pending;
    bool nmi_blocked;      /* an NMI handler runs: NMIs wait (latched in nmi_pending) until IRET */
    bool ferr;             /* FERR# output active (MS-DOS compatibility mode, cpu/x87.c) */
    bool ignne;            /* IGNNE# input: the board sets it, the CPU drops it with FERR# */
    bool triple_fault;
    /* Debug exceptions (cpu/dbreg.c).  db_hit collects the B0-B3 bits of data breakpoints hit
     * by the instruction running; once it retires they move to db_pending, the DR6 bits of the
     * debug trap due before the next instruction (or after one more: inhibit_db, MOV SS). */
    uint8_t dbg_insn_armed;  /* bit n: DRn is an enabled instruction breakpoint */
    uint8_t dbg_data_armed;  /* bit n: DRn is an enabled data breakpoint */
    uint8_t db_hit;
    bool inhibit_db;
    uint32_t db_pending;
    /* The last exception raised through cpu_raise and delivered (explain fault in
     * debug/explain.c): vector (-1: none yet), error code (EXC_NO_ERR: none), CS:RIP of the
     * faulting instruction, its mode, CR2 for #PF, and the instruction count. */
    struct {
        int vector;
        uint32_t error;
        uint16_t cs;
        uint64_t rip, lin, cr2, icount;
        int code_bits;
    } last_exc;
    int exc_vector;        /* exception being raised (-1: none) */
    uint32_t exc_error;
    jmp_buf *fault_jmp;

    uint32_t mode_key;     /* decoding mode (see cpu_update_mode) */
    int code_bits;         /* 16, 32 or 64 */

    Tlb tlb;
    BlockCache *blocks;
    const struct Block *cur_block;   /* the block block_find last returned (the one running) */

    const CpuBus *bus;
    void *bus_opaque;
    const CpuApicOps *apic;   /* set by the machine after cpu_new; NULL: no local APIC */
    void *apic_opaque;

    /* The JIT (jit/jit.h), owned by the CPU and freed with it.  NULL unless the user asked for
     * it (-jit on): then the run loop hands each block to jit_exec() first. */
    struct Jit *jit;

    /* Host debugger (CpuHostDebug above; NULL: none).  host_stop: a host breakpoint or
     * watchpoint was hit, the run loop returned (CPU_EXIT_STOP); the debugger clears it.
     * host_skip: the next instruction ignores host execute breakpoints (resuming from one). */
    const CpuHostDebug *host_dbg;
    void *host_dbg_opaque;
    bool host_stop;
    bool host_skip;

    /* Optional trace hooks (debug/trace.c), NULL when off: trace_block before each block runs;
     * trace_event when an interrupt or exception is about to be delivered (CPU_TRACE_INT: `vector`,
     * `err` or EXC_NO_ERR, `soft` as cpu_deliver's) and after the mode key changed
     * (CPU_TRACE_MODE: `vector` = the old mode key). */
    void (*trace_block)(void *opaque, struct Cpu *cpu, const Block *b);
    void (*trace_event)(void *opaque, struct Cpu *cpu, int kind, int vector, uint32_t err, int soft);
    void *trace_opaque;
} Cpu;

/* The CPU's state table (vm/state.h): every guest-visible field of struct Cpu, and the host-only
 * ones named as such (cpu/cpu.c). */
struct StateDesc;
extern const struct StateDesc cpu_state_desc;
enum { CPU_TRACE_INT, CPU_TRACE_MODE };

/* Lifecycle (cpu/cpu.c) */
Cpu *cpu_new(const CpuBus *bus, void *opaque, const CpuConfig *config);
void cpu_free(Cpu *cpu);
void cpu_reset(Cpu *cpu);

/* Runs guest code until icount reaches `limit` or another exit reason (cpu/exec.c). */
CpuExit cpu_run(Cpu *cpu, uint64_t limit);

/* Recomputes mode_key, code_bits and CPL-dependent state after CR0/EFER/CS changes. */
void cpu_update_mode(Cpu *cpu);
/* Flushes TLB (and, when `code` is set, the decoded-block cache). */
void cpu_flush_tlb(Cpu *cpu, bool include_global);

/* Raise an exception: leaves the current instruction through the one fault path (longjmp to
 * cpu_run).  The guest state must already be exact: no handler writes state before it can fault.
 * `err` is the error code, or EXC_NO_ERR. */
_Noreturn void cpu_raise(Cpu *cpu, int vector, uint32_t err);
/* Leaves the current instruction before it has done anything and waits (as HLT does) for an
 * interrupt, after which the instruction runs again: the x87 FERR# freeze (cpu/x87.c). */
_Noreturn void cpu_freeze(Cpu *cpu);
#define CPU_EXC_FREEZE 256     /* exc_vector of cpu_freeze: nothing to deliver */
/* Delivers an interrupt/exception through IVT/IDT (cpu/interrupt.c).  `soft` is 1 for INT n,
 * 2 for INT3/INTO (also reached by software), 0 for hardware events and faults. */
void cpu_deliver(Cpu *cpu, int vector, uint32_t err, int soft, uint64_t next_rip);

static inline bool cpu_long_mode(const Cpu *cpu) { return (cpu->efer & EFER_LMA) != 0; }
static inline bool cpu_64bit_code(const Cpu *cpu) { return cpu->code_bits == 64; }
/* The linear address of offset `off` in CS: 64-bit code ignores the CS base (SDM vol. 3,
 * 3.4.4: treated as 0), other code wraps at 4 GiB.  So a 64-bit block's linear address is its
 * RIP, which the JIT takes as a constant (jit.h section 2). */
static inline uint64_t cpu_code_lin(const Cpu *cpu, uint64_t off)
{
    return cpu->code_bits == 64 ? off : (uint32_t)(cpu->seg[SEG_CS].base + off);
}
static inline bool cpu_protected(const Cpu *cpu) { return (cpu->cr0 & CR0_PE) != 0; }
static inline bool cpu_vm86(const Cpu *cpu) { return (cpu->eflags & FL_VM) != 0; }
static inline bool cpu_real_mode(const Cpu *cpu) { return !(cpu->cr0 & CR0_PE); }
static inline int cpu_iopl(const Cpu *cpu) { return (cpu->eflags >> 12) & 3; }

/* Stack-pointer width in bytes from SS.B (or 8 in 64-bit mode). */
static inline int cpu_stack_size(const Cpu *cpu)
{
    if (cpu->code_bits == 64)
        return 8;
    return (cpu->seg[SEG_SS].attr & SEG_ATTR_DB) ? 4 : 2;
}

#endif
