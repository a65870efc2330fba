/*
 * system.c — system instructions (SDM vol. 2 per instruction; vol. 3 chapters 2-5, 17).
 *
 * Privilege: "privileged" below means #GP(0) at CPL > 0 in protected mode, which includes
 * virtual-8086 mode (CPL 3); in real mode these run.  "PM only" means #UD in real and
 * virtual-8086 mode.
 *
 *   LGDT/LIDT m      privileged.  Limit = word [m]; base = dword [m+2], only 24 bits with a 16-bit
 *                    operand size; 64-bit mode: qword [m+2], #GP(0) when not canonical.
 *   SGDT/SIDT m      limit then the full 32-bit base (64-bit in 64-bit mode); not privileged (no UMIP).
 *   LLDT r/m16       PM only, privileged.  Null -> LDTR unusable.  Else the selector must point
 *                    into the GDT (TI = 0) at an LDT descriptor (S = 0, type 2) else #GP(sel);
 *                    not present -> #NP(sel).  IA-32e mode: 16-byte descriptor, base[63:32] from
 *                    the upper half, which must have type 0 and give a canonical base (#GP(sel)).
 *   LTR r/m16        as LLDT for an available TSS (type 1 or 9; only 9 in IA-32e mode); null ->
 *                    #GP(0); marks the descriptor busy (type bit 1) in memory.
 *   SLDT/STR         PM only; selector to r16/r32/r64 (zero-extended) or m16.
 *   MOV CRn          privileged.  CR0: bits 63:32 -> #GP; PG without PE, NW without CD -> #GP;
 *                    setting PG with EFER.LME: CR4.PAE = 0 or CS.L = 1 -> #GP, else EFER.LMA := 1;
 *                    clearing PG in 64-bit mode -> #GP, else LMA := 0.  ET is hard-wired to 1,
 *                    the other reserved bits of CR0[31:0] are ignored.  PG/WP/PE changes flush
 *                    the TLB.  CR3: bits >= MAXPHYADDR -> #GP; flushes non-global entries.
 *                    CR4: unsupported bits -> #GP; clearing PAE while EFER.LMA -> #GP;
 *                    PGE/PAE/PSE changes flush everything.  CR8 (TPR): bits 63:4 -> #GP;
 *                    with a local APIC, CR8 is its TPR[7:4] (SDM vol. 3, 11.8.6).
 *                    CR1, CR5-7, CR9-15 -> #UD.  Writes end the block and recompute the mode.
 *   MOV DRn          privileged.  DR4/DR5 alias DR6/DR7 when CR4.DE = 0, #UD when CR4.DE = 1.
 *                    Then, with DR7.GD = 1: #DB (fault) with DR6.BD, GD cleared (17.2.4).
 *                    DR6/DR7 bits 63:32 -> #GP.  DR6 reads 1 in its reserved bits (FFFF0FF0),
 *                    DR7 bit 10 reads 1.  Writes to DR0-3/DR7 re-arm the breakpoints (dbreg.c).
 *   CLTS             privileged; CR0.TS := 0.
 *   LMSW r/m16       privileged; CR0[3:0] := src[3:0] but PE cannot be cleared.
 *   SMSW             CR0 to r16/r32/r64 or m16; not privileged.
 *   INVLPG m         privileged; drops the TLB entries of the page holding the linear address
 *                    (no fault; no segment limit check).
 *   ARPL r/m16, r16  PM only (not 64-bit mode: that opcode is MOVSXD); if RPL(dst) < RPL(src):
 *                    RPL(dst) := RPL(src), ZF := 1, else ZF := 0.  A memory destination is
 *                    read, and checked for writing only when it is written (ZF = 1), as the 386
 *                    does: with no adjustment a read-only segment or page does not fault.
 *   LAR/LSL/VERR/VERW  PM only.  ZF := 1 when the selector is not null, inside the table, and
 *                    the descriptor is of a valid type and visible at max(CPL, RPL) (conforming
 *                    code segments are always visible; for VERR/VERW readable/writable).  Valid
 *                    system types (SDM LAR/LSL tables): LAR legacy 1 2 3 4 5 9 B C, IA-32e 2 9 B C;
 *                    LSL legacy 1 2 3 9 B, IA-32e 2 9 B.  LAR returns descriptor dword 1 masked
 *                    with 00F0FF00h (FF00h for 16 bits), LSL the byte-granular limit.
 *   HLT              privileged; waits for an interrupt.
 *   CLI/STI          real mode: always; PM: CPL <= IOPL else #GP(0); v86: IOPL = 3 else #GP(0).
 *                    STI with IF = 0 starts a one-instruction interrupt shadow.
 *   WBINVD/INVD      privileged no-ops.  CLFLUSH/CLFLUSHOPT: a byte read access (faults like one).
 *   SWAPGS           64-bit mode only (#UD), CPL 0 (#GP(0)): swaps GS.base and KERNEL_GS_BASE.
 *   RDTSC/RDTSCP     CR4.TSD and CPL > 0 -> #GP(0).  TSC from the virtual clock (msr_tsc);
 *                    RDTSCP also ECX := TSC_AUX.
 *   RDRAND/RDSEED    a deterministic splitmix64 stream from cpu->rng_state; CF := 1, OF SF ZF AF
 *                    PF := 0.
 *   (RDPMC is in cpu/msr.c with the performance-monitoring MSRs.)
 *
 * XXX: MOV CR3 in PAE mode does not preload the PDPTEs; the walker reads them on every walk.
 */
#include "cpu/dbreg.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/msr.h"
#include "cpu/seg.h"
#include "mem/paging.h"

/* ---- common checks ---- */

static void require_cpl0(Cpu *cpu)
{
    if (cpu_protected(cpu) && cpu->cpl > 0)
        cpu_raise(cpu, EXC_GP, 0);
}

static void require_pm(Cpu *cpu)
{
    if (!cpu_protected(cpu) || cpu_vm86(cpu))
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
}

static void set_zf(Cpu *cpu, bool z)
{
    cc_materialize(cpu);
    if (z)
        cpu->eflags |= FL_ZF;
    else
        cpu->eflags &= ~FL_ZF;
}

/* Offset `off` plus `add`, wrapped to the address size. */
static uint64_t ea_add(const Insn *in, uint64_t off, uint64_t add)
{
    return (off + add) & size_mask(in->asz);
}

/* ---- descriptor tables: LGDT LIDT SGDT SIDT ---- */

enum { SUB_GDT, SUB_IDT };

static int op_lgdt(Cpu *cpu, const Insn *in)
{
    require_cpl0(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint32_t limit = (uint32_t)cpu_read(cpu, in->seg, ea, 2);
    uint64_t base;
    if (cpu->code_bits == 64) {
        base = cpu_read(cpu, in->seg, ea_add(in, ea, 2), 8);
        if (!canonical(base))
            cpu_raise(cpu, EXC_GP, 0);
    } else {
        base = cpu_read(cpu, in->seg, ea_add(in, ea, 2), 4);
        if (in->osz == 2)
            base &= 0xffffff;
    }
    DescTable *t = in->sub == SUB_GDT ? &cpu->gdtr : &cpu->idtr;
    t->base = base;
    t->limit = limit;
    return INSN_NEXT;
}

static int op_sgdt(Cpu *cpu, const Insn *in)
{
    const DescTable *t = in->sub == SUB_GDT ? &cpu->gdtr : &cpu->idtr;
    int bsize = cpu->code_bits == 64 ? 8 : 4;
    uint64_t ea = insn_ea(cpu, in);
    /* The whole operand is checked (segment and pages) before either half is stored. */
    cpu_probe_write(cpu, in->seg, ea, 2 + bsize);
    cpu_write(cpu, in->seg, ea, 2, (uint16_t)t->limit);
    cpu_write(cpu, in->seg, ea_add(in, ea, 2), bsize, bsize == 8 ? t->base : (uint32_t)t->base);
    return INSN_NEXT;
}

/* ---- LDTR and TR: LLDT LTR SLDT STR ---- */

/* Reads the system descriptor of `sel` for LLDT/LTR: it must be in the GDT; 16 bytes in IA-32e
 * mode (upper half in *hi).  Raises #GP(sel) when it lies outside the GDT limit. */
static uint64_t sysdesc_read(Cpu *cpu, uint16_t sel, uint64_t *lin, uint64_t *hi)
{
    bool ia32e = cpu_long_mode(cpu);
    uint32_t off = sel & 0xfff8;
    if ((sel & 4) || off + (ia32e ? 15u : 7u) > cpu->gdtr.limit)
        cpu_raise(cpu, EXC_GP, sel & 0xfffc);
    uint64_t a = cpu->gdtr.base + off;
    if (!ia32e)
        a = (uint32_t)a;
    uint64_t d = cpu_sys_read(cpu, a, 8);
    *hi = ia32e ? cpu_sys_read(cpu, a + 8, 8) : 0;
    *lin = a;
    return d;
}

/* Checks a 16-byte descriptor's upper half and fills `c` from the descriptor. */
static void sysdesc_load(Cpu *cpu, SegCache *c, uint16_t sel, uint64_t d, uint64_t hi)
{
    uint64_t base_hi = 0;
    if (cpu_long_mode(cpu)) {
        SegCache tmp;
        seg_cache_from_desc(&tmp, sel, d);
        base_hi = (hi & 0xffffffffu) << 32;
        if (((hi >> 40) & 0x1f) != 0 || !canonical(base_hi | tmp.base))
            cpu_raise(cpu, EXC_GP, sel & 0xfffc);
    }
    seg_cache_from_desc(c, sel, d);
    c->base |= base_hi;
}

static int op_lldt(Cpu *cpu, const Insn *in)
{
    require_pm(cpu);
    require_cpl0(cpu);
    uint16_t sel = (uint16_t)op_read(cpu, in, 0, 2);
    if ((sel & 0xfffc) == 0) {
        cpu->ldtr.sel = sel;
        cpu->ldtr.base = 0;
        cpu->ldtr.limit = 0;
        cpu->ldtr.attr = 0;   /* not present: unusable */
        seg_cache_update(&cpu->ldtr);
        return INSN_NEXT;
    }
    uint64_t lin, hi;
    uint64_t d = sysdesc_read(cpu, sel, &lin, &hi);
    if (((d >> 40) & 0x1f) != 0x02)     /* S = 0, type 2 */
        cpu_raise(cpu, EXC_GP, sel & 0xfffc);
    if (!((d >> 47) & 1))
        cpu_raise(cpu, EXC_NP, sel & 0xfffc);
    SegCache c;
    sysdesc_load(cpu, &c, sel, d, hi);
    cpu->ldtr = c;
    return INSN_NEXT;
}

static int op_ltr(Cpu *cpu, const Insn *in)
{
    require_pm(cpu);
    require_cpl0(cpu);
    uint16_t sel = (uint16_t)op_read(cpu, in, 0, 2);
    if ((sel & 0xfffc) == 0)
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t lin, hi;
    uint64_t d = sysdesc_read(cpu, sel, &lin, &hi);
    unsigned type = (unsigned)(d >> 40) & 0x1f;   /* with S */
    bool ok = type == 0x09 || (type == 0x01 && !cpu_long_mode(cpu));
    if (!ok)
        cpu_raise(cpu, EXC_GP, sel & 0xfffc);
    if (!((d >> 47) & 1))
        cpu_raise(cpu, EXC_NP, sel & 0xfffc);
    SegCache c;
    d |= 2ull << 40;                              /* busy */
    sysdesc_load(cpu, &c, sel, d, hi);
    cpu_sys_write(cpu, lin + 5, 1, (uint8_t)(d >> 40));
    cpu->tr = c;
    return INSN_NEXT;
}

/* SLDT/STR/SMSW store: a register gets the operand size (zero-extended), memory 16 bits. */
static void store_word_or_reg(Cpu *cpu, const Insn *in, uint64_t v)
{
    if (in->r[0] != REG_NONE)
        reg_write(cpu, in->r[0], in->osz, v);
    else
        cpu_write(cpu, in->seg, insn_ea(cpu, in), 2, (uint16_t)v);
}

enum { SUB_LDTR, SUB_TR };

static int op_sldt(Cpu *cpu, const Insn *in)
{
    require_pm(cpu);
    store_word_or_reg(cpu, in, in->sub == SUB_LDTR ? cpu->ldtr.sel : cpu->tr.sel);
    return INSN_NEXT;
}

/* ---- control registers ---- */

#define CR0_WRITABLE (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | \
                      CR0_CD | CR0_PG)
/* XXX: OSFXSR/OSXMMEXCPT are accepted ahead of the SSE family (nothing uses them yet).
 * OSXSAVE is accepted because the CPU implements XSAVE (cpu/xsave.c), though CPUID does not
 * report it until issue 3 is complete. */
#define CR4_WRITABLE (CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR | \
                      CR4_OSXMMEXCPT | CR4_OSXSAVE)

static void cr0_write(Cpu *cpu, uint64_t v)
{
    if (v >> 32)
        cpu_raise(cpu, EXC_GP, 0);
    v = (v & CR0_WRITABLE) | CR0_ET;
    if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t efer = cpu->efer;
    if ((v & CR0_PG) && !(cpu->cr0 & CR0_PG) && (efer & EFER_LME)) {
        if (!(cpu->cr4 & CR4_PAE) || (cpu->seg[SEG_CS].attr & SEG_ATTR_L))
            cpu_raise(cpu, EXC_GP, 0);
        efer |= EFER_LMA;
    }
    if (!(v & CR0_PG) && (cpu->cr0 & CR0_PG)) {
        if (cpu->code_bits == 64)
            cpu_raise(cpu, EXC_GP, 0);
        efer &= ~EFER_LMA;
    }
    uint64_t changed = cpu->cr0 ^ v;
    cpu->cr0 = v;
    cpu->efer = efer;
    if (changed & (CR0_PG | CR0_WP | CR0_PE))
        cpu_flush_tlb(cpu, true);
    cpu_update_mode(cpu);
}

static void cr3_write(Cpu *cpu, uint64_t v)
{
    if (v >> PAGING_PHYS_BITS)
        cpu_raise(cpu, EXC_GP, 0);
    cpu->cr3 = v;
    cpu_flush_tlb(cpu, false);
}

static void cr4_write(Cpu *cpu, uint64_t v)
{
    if ((v & ~CR4_WRITABLE) || (cpu_long_mode(cpu) && !(v & CR4_PAE)))
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t changed = cpu->cr4 ^ v;
    cpu->cr4 = v;
    if (changed & (CR4_PGE | CR4_PAE | CR4_PSE))
        cpu_flush_tlb(cpu, true);
    cpu_update_mode(cpu);
}

static int op_mov_cr_r(Cpu *cpu, const Insn *in)
{
    require_cpl0(cpu);
    uint64_t v = reg_read(cpu, in->r[1], in->osz);
    switch (in->r[0]) {
    case 0: cr0_write(cpu, v); break;
    case 2: cpu->cr2 = v; break;
    case 3: cr3_write(cpu, v); break;
    case 4: cr4_write(cpu, v); break;
    case 8:
        if (v & ~0xfull)
            cpu_raise(cpu, EXC_GP, 0);
        if (cpu->apic)
            cpu->apic->cr8_write(cpu->apic_opaque, (uint8_t)v);
        else
            cpu->cr8 = v;
        break;
    default:
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
    }
    return INSN_END;
}

static int op_mov_r_cr(Cpu *cpu, const Insn *in)
{
    require_cpl0(cpu);
    uint64_t v;
    switch (in->r[1]) {
    case 0: v = cpu->cr0; break;
    case 2: v = cpu->cr2; break;
    case 3: v = cpu->cr3; break;
    case 4: v = cpu->cr4; break;
    case 8: v = cpu->apic ? cpu->apic->cr8_read(cpu->apic_opaque) : cpu->cr8; break;
    default: cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
    }
    reg_write(cpu, in->r[0], in->osz, v);
    return INSN_NEXT;
}

static int op_clts(Cpu *cpu, const Insn *in)
{
    (void)in;
    require_cpl0(cpu);
    cpu->cr0 &= ~CR0_TS;
    return INSN_NEXT;
}

static int op_lmsw(Cpu *cpu, const Insn *in)
{
    require_cpl0(cpu);
    uint64_t src = op_read(cpu, in, 0, 2) & 0xf;
    cr0_write(cpu, (cpu->cr0 & ~0xeull) | src);
    return INSN_END;
}

static int op_smsw(Cpu *cpu, const Insn *in)
{
    store_word_or_reg(cpu, in, cpu->cr0);
    return INSN_NEXT;
}

/* ---- debug registers ---- */

/* DR number after the DR4/DR5 aliasing rule; raises #UD for DR4/5 with CR4.DE and DR8-15, then
 * the general-detect #DB.  The handler finds DR6.BD set and GD clear (cleared by the delivery of
 * every #DB, cpu/exec.c). */
static int dr_index(Cpu *cpu, int n)
{
    if (n == 4 || n == 5) {
        if (cpu->cr4 & CR4_DE)
            cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
        n += 2;
    } else if (n > 7) {
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
    }
    if (cpu->dr[7] & DR7_GD) {
        cpu->dr[6] |= DR6_BD;
        cpu_raise(cpu, EXC_DB, EXC_NO_ERR);
    }
    return n;
}

static int op_mov_dr_r(Cpu *cpu, const Insn *in)
{
    require_cpl0(cpu);
    int n = dr_index(cpu, in->r[0]);
    uint64_t v = reg_read(cpu, in->r[1], in->osz);
    if (n >= 6 && (v >> 32))
        cpu_raise(cpu, EXC_GP, 0);
    if (n == 6)
        v = (v & 0xe00f) | 0xffff0ff0u;
    else if (n == 7)
        v = (v & 0xffff23ffu) | 0x400;
    cpu->dr[n] = v;
    if (n == 6)
        return INSN_NEXT;
    dbreg_update(cpu);
    return INSN_END;   /* the breakpoints apply from the next instruction on */
}

static int op_mov_r_dr(Cpu *cpu, const Insn *in)
{
    require_cpl0(cpu);
    int n = dr_index(cpu, in->r[1]);
    reg_write(cpu, in->r[0], in->osz, cpu->dr[n]);
    return INSN_NEXT;
}

/* ---- TLB and caches ---- */

/* INVLPG drops every translation of the page containing `lin`.  That page may be a 2 MiB,
 * 4 MiB or 1 GiB page, which the TLB caches as separate 4 KiB pieces: tlb_flush_page drops each
 * piece of it, found by the page size its entry records, and keeps every other entry, as
 * hardware may (SDM vol. 3, 4.10.4.1).  Dropping the whole surrounding 4 MiB region instead
 * rescanned the TLB once per entry there, and INVLPG is frequent in a booting Linux. */
static int op_invlpg(Cpu *cpu, const Insn *in)
{
    require_cpl0(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint64_t lin;
    if (cpu->code_bits == 64)
        lin = ea + (in->seg >= SEG_FS ? cpu->seg[in->seg].base : 0);
    else
        lin = (uint32_t)(cpu->seg[in->seg].base + ea);
    tlb_flush_page(&cpu->tlb, lin);
    return INSN_END;
}

static int op_wbinvd(Cpu *cpu, const Insn *in)
{
    (void)in;
    require_cpl0(cpu);
    return INSN_NEXT;
}

static int op_clflush(Cpu *cpu, const Insn *in)
{
    cpu_read(cpu, in->seg, insn_ea(cpu, in), 1);
    return INSN_NEXT;
}

/* ---- ARPL, LAR, LSL, VERR, VERW ---- */

static int op_arpl(Cpu *cpu, const Insn *in)
{
    require_pm(cpu);
    uint16_t src = (uint16_t)reg_read(cpu, in->r[1], 2);
    uint16_t dst = (uint16_t)op_read(cpu, in, 0, 2);
    bool adjust = (dst & 3) < (src & 3);
    if (adjust)
        op_write(cpu, in, 0, 2, (dst & ~3) | (src & 3));
    set_zf(cpu, adjust);
    return INSN_NEXT;
}

/* Reads the descriptor of `sel` for LAR/LSL/VERR/VERW without faulting on the selector: false for
 * a null selector, an unusable LDT or an index beyond the table limit. */
static bool desc_probe(Cpu *cpu, uint16_t sel, uint64_t *d)
{
    uint64_t a;
    if ((sel & 0xfffc) == 0 || !seg_desc_lin(cpu, sel, &a))
        return false;
    *d = cpu_sys_read(cpu, a, 8);
    return true;
}

/* DPL visibility rule shared by LAR/LSL/VERR/VERW: conforming code segments are always
 * visible, everything else needs DPL >= CPL and DPL >= RPL. */
static bool desc_visible(const Cpu *cpu, uint16_t sel, uint64_t d)
{
    unsigned type = (unsigned)(d >> 40) & 0x1f;   /* with S */
    if ((type & 0x1c) == 0x1c)
        return true;
    int dpl = (int)((d >> 45) & 3);
    return dpl >= cpu->cpl && dpl >= (sel & 3);
}

/* System descriptor types LAR (lar = true) or LSL accept (SDM LAR and LSL tables). */
static bool sys_type_ok(const Cpu *cpu, unsigned type, bool lar)
{
    /* bit n set: type n valid */
    const uint16_t legacy_lar = 0x1a3e, legacy_lsl = 0x0a0e;
    const uint16_t ia32e_lar = 0x1a04, ia32e_lsl = 0x0a04;
    uint16_t ok = cpu_long_mode(cpu) ? (lar ? ia32e_lar : ia32e_lsl) : (lar ? legacy_lar : legacy_lsl);
    return (ok >> (type & 0xf)) & 1;
}

enum { SUB_LAR, SUB_LSL };

static int op_lar(Cpu *cpu, const Insn *in)
{
    require_pm(cpu);
    uint16_t sel = (uint16_t)op_read(cpu, in, 1, 2);
    uint64_t d;
    bool lar = in->sub == SUB_LAR;
    bool ok = desc_probe(cpu, sel, &d) && desc_visible(cpu, sel, d) &&
              (((d >> 44) & 1) || sys_type_ok(cpu, (unsigned)(d >> 40) & 0xf, lar));
    if (ok) {
        uint64_t v;
        if (lar) {
            v = (d >> 32) & (in->osz == 2 ? 0xff00u : 0x00f0ff00u);
        } else {
            SegCache c;
            seg_cache_from_desc(&c, sel, d);
            v = c.limit;
        }
        reg_write(cpu, in->r[0], in->osz, v);
    }
    set_zf(cpu, ok);
    return INSN_NEXT;
}

enum { SUB_VERR, SUB_VERW };

static int op_verr(Cpu *cpu, const Insn *in)
{
    require_pm(cpu);
    uint16_t sel = (uint16_t)op_read(cpu, in, 0, 2);
    uint64_t d;
    bool ok = desc_probe(cpu, sel, &d) && ((d >> 44) & 1) && desc_visible(cpu, sel, d);
    if (ok) {
        unsigned type = (unsigned)(d >> 40) & 0xf;
        bool code = type & 8;
        ok = in->sub == SUB_VERR ? (!code || (type & 2)) : (!code && (type & 2));
    }
    set_zf(cpu, ok);
    return INSN_NEXT;
}

/* ---- interrupts flag and halt ---- */

static bool if_change_allowed(const Cpu *cpu)
{
    if (!cpu_protected(cpu))
        return true;
    if (cpu_vm86(cpu))
        return cpu_iopl(cpu) == 3;
    return cpu->cpl <= cpu_iopl(cpu);
}

static int op_cli(Cpu *cpu, const Insn *in)
{
    (void)in;
    if (!if_change_allowed(cpu))
        cpu_raise(cpu, EXC_GP, 0);
    cpu->eflags &= ~FL_IF;
    return INSN_NEXT;
}

static int op_sti(Cpu *cpu, const Insn *in)
{
    (void)in;
    if (!if_change_allowed(cpu))
        cpu_raise(cpu, EXC_GP, 0);
    if (!(cpu->eflags & FL_IF)) {
        cpu->eflags |= FL_IF;
        cpu->inhibit_irq = true;
    }
    return INSN_END;
}

static int op_hlt(Cpu *cpu, const Insn *in)
{
    (void)in;
    require_cpl0(cpu);
    cpu->halted = true;
    return INSN_END;
}

/* ---- SWAPGS, time stamp, random numbers, performance counters ---- */

static int op_swapgs(Cpu *cpu, const Insn *in)
{
    (void)in;
    if (cpu->code_bits != 64)
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
    if (cpu->cpl != 0)
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t t = cpu->seg[SEG_GS].base;
    cpu->seg[SEG_GS].base = cpu->kernel_gs_base;
    cpu->kernel_gs_base = t;
    return INSN_NEXT;
}

enum { SUB_RDTSC, SUB_RDTSCP };

static int op_rdtsc(Cpu *cpu, const Insn *in)
{
    if ((cpu->cr4 & CR4_TSD) && cpu_protected(cpu) && cpu->cpl > 0)
        cpu_raise(cpu, EXC_GP, 0);
    uint64_t tsc = msr_tsc(cpu);
    reg_write(cpu, R_AX, 4, (uint32_t)tsc);
    reg_write(cpu, R_DX, 4, tsc >> 32);
    if (in->sub == SUB_RDTSCP)
        reg_write(cpu, R_CX, 4, (uint32_t)cpu->tsc_aux);
    return INSN_NEXT;
}

/* splitmix64: one step of the guest-visible random stream. */
static uint64_t rng_next(Cpu *cpu)
{
    uint64_t z = (cpu->rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int op_rdrand(Cpu *cpu, const Insn *in)
{
    reg_write(cpu, in->r[0], in->osz, rng_next(cpu));
    cc_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~FL_ARITH) | FL_CF;
    return INSN_NEXT;
}

/* ---- selector ---- */

static InsnFn select_mov_cr_dr(DecodeCtx *d, Insn *in)
{
    if (d->nops < 2)
        return NULL;
    in->osz = (uint8_t)(d->op[0].size / 8);
    if (d->kind[0] == 'c') {
        d->end_block = true;
        return op_mov_cr_r;
    }
    if (d->kind[1] == 'c')
        return op_mov_r_cr;
    if (d->kind[0] == 'd')
        return op_mov_dr_r;
    if (d->kind[1] == 'd')
        return op_mov_r_dr;
    return NULL;
}

InsnFn system_select(DecodeCtx *d, Insn *in)
{
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        return select_mov_cr_dr(d, in);
    case ZYDIS_MNEMONIC_LGDT:
    case ZYDIS_MNEMONIC_LIDT:
        in->sub = d->zi->mnemonic == ZYDIS_MNEMONIC_LGDT ? SUB_GDT : SUB_IDT;
        return op_lgdt;
    case ZYDIS_MNEMONIC_SGDT:
    case ZYDIS_MNEMONIC_SIDT:
        in->sub = d->zi->mnemonic == ZYDIS_MNEMONIC_SGDT ? SUB_GDT : SUB_IDT;
        return op_sgdt;
    case ZYDIS_MNEMONIC_LLDT:
        return op_lldt;
    case ZYDIS_MNEMONIC_LTR:
        return op_ltr;
    case ZYDIS_MNEMONIC_SLDT:
    case ZYDIS_MNEMONIC_STR:
        in->sub = d->zi->mnemonic == ZYDIS_MNEMONIC_SLDT ? SUB_LDTR : SUB_TR;
        return op_sldt;
    case ZYDIS_MNEMONIC_CLTS:
        return op_clts;
    case ZYDIS_MNEMONIC_LMSW:
        d->end_block = true;
        return op_lmsw;
    case ZYDIS_MNEMONIC_SMSW:
        return op_smsw;
    case ZYDIS_MNEMONIC_INVLPG:
        d->end_block = true;
        return op_invlpg;
    case ZYDIS_MNEMONIC_WBINVD:
    case ZYDIS_MNEMONIC_INVD:
        return op_wbinvd;
    case ZYDIS_MNEMONIC_CLFLUSH:
    case ZYDIS_MNEMONIC_CLFLUSHOPT:
        return op_clflush;
    case ZYDIS_MNEMONIC_ARPL:
        return op_arpl;
    case ZYDIS_MNEMONIC_LAR:
    case ZYDIS_MNEMONIC_LSL:
        in->sub = d->zi->mnemonic == ZYDIS_MNEMONIC_LAR ? SUB_LAR : SUB_LSL;
        return op_lar;
    case ZYDIS_MNEMONIC_VERR:
    case ZYDIS_MNEMONIC_VERW:
        in->sub = d->zi->mnemonic == ZYDIS_MNEMONIC_VERR ? SUB_VERR : SUB_VERW;
        return op_verr;
    case ZYDIS_MNEMONIC_CLI:
        return op_cli;
    case ZYDIS_MNEMONIC_STI:
        d->end_block = true;
        return op_sti;
    case ZYDIS_MNEMONIC_HLT:
        d->end_block = true;
        return op_hlt;
    case ZYDIS_MNEMONIC_SWAPGS:
        return op_swapgs;
    case ZYDIS_MNEMONIC_RDTSC:
    case ZYDIS_MNEMONIC_RDTSCP:
        in->sub = d->zi->mnemonic == ZYDIS_MNEMONIC_RDTSC ? SUB_RDTSC : SUB_RDTSCP;
        return op_rdtsc;
    case ZYDIS_MNEMONIC_RDRAND:
    case ZYDIS_MNEMONIC_RDSEED:
        return op_rdrand;
    default:
        return NULL;
    }
}
