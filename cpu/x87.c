/*
 * x87.c — the x87 FPU family (SDM vol. 1, chapter 8; vol. 2 F* instructions; vol. 3, 13.1):
 * state model, exception delivery, the control/environment instructions and FXSAVE/FXRSTOR.
 * The arithmetic itself runs on the host FPU (cpu/x87_host.c); this file moves the guest state
 * and memory operands in and out.
 *
 * Every x87 instruction first checks CR0.EM/TS (#NM, simd_check_x87).  Waiting instructions
 * (all except FNINIT, FNCLEX, FNSTCW, FNSTSW, FNSTENV, FNSAVE, and FXSAVE/FXRSTOR) then take a
 * pending unmasked exception (SW.ES): #MF when CR0.NE = 1, at the waiting instruction, before it
 * changes anything.
 *
 * CR0.NE = 0, MS-DOS compatibility mode (SDM vol. 1, D.2.1-D.2.2; P6 and later): at that waiting
 * instruction the CPU asserts FERR# and freezes before executing it until an interrupt arrives;
 * the PC board latches FERR# into IRQ 13.  The handler writes port 0xF0, which clears the IRQ 13
 * latch and asserts IGNNE# (as long as FERR# is active), clears the exception (FNCLEX, FLDENV,
 * ...), sends EOI and returns to the waiting instruction, which then runs.  With IGNNE# active a
 * waiting instruction ignores the pending error.  FERR# stays active until SW.ES is clear and
 * IGNNE# drops with it (the chipset's flip-flop is cleared by FERR# going inactive; modelled by
 * the CPU dropping cpu->ignne, observed at FNINIT/FNCLEX/FNSAVE and at the next waiting
 * instruction).  With interrupts off or IRQ 13 masked the freeze lasts, as on hardware.  A bus
 * without FERR# wiring (unit tests) behaves as if IGNNE# were held active.  (QEMU 7.2 does not
 * freeze: it raises IRQ 13 and executes the instruction, so its interrupt arrives one or more
 * instructions later; we follow the SDM, which DOS-era handlers were written against.)
 * XXX: FERR# is signalled only with CR0.NE = 0, as on QEMU; hardware drives it with NE = 1 too
 * (D.4.2), where a native-mode OS handles #MF and leaves IRQ 13 masked.
 *
 * Exception flags (8.4-8.5) are sticky: the host reports the ones this instruction raised and
 * they are ORed into SW; ES and B = (SW[5:0] & ~CW[5:0]) != 0.  A masked fault gets the host's
 * masked response; an unmasked IE/DE/ZE (and for memory destinations OE/UE) leaves the
 * destination unchanged — a store to memory is then not made at all, so its segment and paging
 * checks do not happen either (an Intel host: FISTP with stack underflow, or FST m32 overflowing,
 * unmasked, to a read-only page, a non-canonical address or through a null DS raises nothing;
 * the #MF waits for the next waiting instruction).  A store that is made is checked completely
 * before any state changes.
 *
 * Instruction/data pointers (8.1.8): every non-control instruction records FIP = its offset,
 * FCS = CS, FOP = ((first opcode byte & 7) << 8) | ModRM, and, with a memory operand,
 * FDP = its offset and FDS = its segment's selector.  The control instructions (FINIT, FCLEX,
 * FLDCW, FSTCW, FSTSW, FSTENV, FLDENV, FSAVE, FRSTOR, FXSAVE, FXRSTOR, WAIT) leave them alone.
 *
 * Control and environment instructions (modelled here, not on the host):
 *   FNINIT:  CW = 037F, SW = 0, TW = FFFF, FIP = FDP = FOP = FCS = FDS = 0; registers kept.
 *   FNCLEX:  clears SW bits 0-7 and B.
 *   FLDCW m16: CW = m & 1F3F | 0040; a now unmasked flag becomes pending (ES).
 *   FNSTCW m16, FNSTSW m16 / AX.
 *   FNSTENV / FLDENV: 14-byte (16-bit operand size) or 28-byte environment (SDM vol. 1, figures
 *     8-9 to 8-12): protected-mode format {CW, SW, TW, FIP, FCS|FOP<<16, FDP, FDS} or, in real
 *     and virtual-8086 mode, the real format holding the 20/32-bit linear instruction and data
 *     pointers ((selector << 4) + offset) with FOP.  32-bit layouts fill unused upper halves
 *     with 1s as hardware does.  The stored TW is recomputed from the register contents for
 *     non-empty registers; after storing, FNSTENV masks all exceptions.  FLDENV keeps only
 *     empty/non-empty from the loaded TW and recomputes the rest.
 *   FNSAVE / FRSTOR: the environment followed by ST(0)..ST(7), 10 bytes each (94 or 108 bytes);
 *     FNSAVE then does FNINIT.
 *   FXSAVE / FXRSTOR m512 (vol. 1, 10.5.1; layout in cpu/fxsave_area.h, shared with XSAVE):
 *     CW, SW, abridged TW, FOP, FIP/FCS, FDP/FDS (64-bit FIP/FDP with REX.W), MXCSR,
 *     MXCSR_MASK, ST(0)..ST(7), XMM0-7 (XMM0-15 in 64-bit mode).  A linear address not 16-byte
 *     aligned is #GP(0); FXRSTOR of an MXCSR with bits outside MXCSR_MASK is #GP(0).  XXX:
 *     MXCSR_MASK is the one LDMXCSR enforces (FFFF), not the host's (AMD adds bit 17, MM).
 *     XXX: XMM and MXCSR are always saved and restored, also with CR4.OSFXSR = 0 (the SDM leaves
 *     that implementation-dependent); AMD's EFER.FFXSR fast save is not modelled.
 *   FENI/FDISI/FSETPM (DB E0, E1, E4): no-ops on a 387 and later.
 * LOCK on any x87 instruction is #UD.
 */
#include <string.h>

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/fxsave_area.h"
#include "cpu/simd.h"
#include "cpu/x87.h"

/* ---- model helpers ---- */

int x87_tag_of(Fp80 r)
{
    int exp = r.se & 0x7fff;
    if (exp == 0x7fff)
        return X87_TAG_SPECIAL;
    if (exp == 0)
        return r.mant == 0 ? X87_TAG_ZERO : X87_TAG_SPECIAL;
    return (r.mant >> 63) ? X87_TAG_VALID : X87_TAG_SPECIAL;   /* unnormal: integer bit clear */
}

uint16_t x87_full_tw(const X87State *f)
{
    uint16_t tw = 0;
    for (int i = 0; i < 8; i++) {
        int t = x87_tag(f, i) == X87_TAG_EMPTY ? X87_TAG_EMPTY : x87_tag_of(f->regs[i]);
        tw |= (uint16_t)(t << (2 * i));
    }
    return tw;
}

uint8_t x87_abridged_tw(const X87State *f)
{
    uint8_t a = 0;
    for (int i = 0; i < 8; i++)
        if (x87_tag(f, i) != X87_TAG_EMPTY)
            a |= (uint8_t)(1u << i);
    return a;
}

uint16_t x87_expand_tw(const X87State *f, uint8_t abridged)
{
    uint16_t tw = 0;
    for (int i = 0; i < 8; i++) {
        int t = (abridged >> i) & 1 ? x87_tag_of(f->regs[i]) : X87_TAG_EMPTY;
        tw |= (uint16_t)(t << (2 * i));
    }
    return tw;
}

void x87_update_es(X87State *f)
{
    if (f->sw & ~f->cw & X87_SW_EXC)
        f->sw |= X87_SW_ES | X87_SW_B;
    else
        f->sw &= (uint16_t)~(X87_SW_ES | X87_SW_B);
}

void x87_ferr_release(Cpu *cpu)
{
    cpu->ferr = false;
    cpu->ignne = false;
}

void x87_check_pending(Cpu *cpu)
{
    if (!(cpu->fpu.sw & X87_SW_ES)) {
        if (unlikely(cpu->ferr))
            x87_ferr_release(cpu);
        return;
    }
    if (cpu->cr0 & CR0_NE)
        cpu_raise(cpu, EXC_MF, EXC_NO_ERR);
    if (!cpu->bus->ferr || (cpu->ferr && cpu->ignne))
        return;                         /* IGNNE#: the error is ignored, the instruction runs */
    if (!cpu->ferr) {
        cpu->ferr = true;
        cpu->bus->ferr(cpu->bus_opaque);
    }
    cpu_freeze(cpu);
}

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static inline uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static inline void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static inline void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static void fp80_get(const uint8_t *p, Fp80 *r) { r->mant = get64(p); r->se = get16(p + 8); }
static void fp80_put(uint8_t *p, Fp80 r) { put64(p, r.mant); put16(p + 8, r.se); }

static uint16_t x87_cw_normalize(uint32_t v) { return (uint16_t)((v & 0x1f3f) | 0x0040); }

/* ---- guest memory: whole operands, checked completely before anything is written ---- */

static void x87_mem_read(Cpu *cpu, int seg, uint64_t ea, uint8_t *buf, int len)
{
    uint64_t lin = cpu_lin(cpu, seg, ea, len, ACC_READ);
    int user = cpu_user(cpu);
    for (int i = 0; i < len; i++)
        buf[i] = (uint8_t)lin_read(cpu, lin + i, 1, user);
}

static uint64_t x87_mem_probe_write(Cpu *cpu, int seg, uint64_t ea, int len)
{
    uint64_t lin = cpu_lin(cpu, seg, ea, len, ACC_WRITE);
    int user = cpu_user(cpu);
    for (uint64_t p = lin; p < lin + len; p = (p | 0xfff) + 1)
        lin_read_w(cpu, p, 1, user);
    lin_read_w(cpu, lin + len - 1, 1, user);
    return lin;
}

static void x87_mem_write_lin(Cpu *cpu, uint64_t lin, const uint8_t *buf, int len)
{
    int user = cpu_user(cpu);
    for (int i = 0; i < len; i++)
        lin_write(cpu, lin + i, 1, buf[i], user);
}

/* ---- the host-executed instructions ---- */

/* FNSAVE image (32-bit protected format) of the guest state for x87_host_exec: registers in ST
 * order, exception flags, ES and B cleared so nothing is pending on the host. */
static void x87_to_image(const X87State *f, uint8_t img[108])
{
    memset(img, 0, 108);
    put16(img, f->cw);
    put16(img + 4, f->sw & (uint16_t)~(X87_SW_EXC | X87_SW_SF | X87_SW_ES | X87_SW_B));
    put16(img + 8, f->tw);
    for (int i = 0; i < 8; i++)
        fp80_put(img + 28 + 10 * i, f->regs[x87_phys(f, i)]);
}

static void x87_from_image(X87State *f, const uint8_t img[108])
{
    uint16_t old = f->sw;
    f->sw = get16(img + 4) | (old & (X87_SW_EXC | X87_SW_SF));
    f->tw = get16(img + 8);
    for (int i = 0; i < 8; i++)
        fp80_get(img + 28 + 10 * i, &f->regs[x87_phys(f, i)]);
    x87_update_es(f);
}

static void x87_note_insn(Cpu *cpu, const Insn *in, bool mem, uint64_t ea)
{
    X87State *f = &cpu->fpu;
    f->fip = cpu->rip;
    f->fcs = cpu->seg[SEG_CS].sel;
    f->fop = in->imm2 & 0x7ff;
    if (mem) {
        f->fdp = ea;
        f->fds = cpu->seg[in->seg].sel;
    }
}

enum { X87_REG, X87_LOAD, X87_STORE };

/* Runs the instruction on the host.  Returns the host's arithmetic flags afterwards. */
static uint32_t x87_exec(Cpu *cpu, const Insn *in, int kind)
{
    simd_check_x87(cpu);
    x87_check_pending(cpu);
    X87State *f = &cpu->fpu;
    uint8_t mem[16] = { 0 };
    uint64_t ea = 0;
    int size = in->sub;
    if (kind != X87_REG)
        ea = insn_ea(cpu, in);
    if (kind == X87_LOAD)
        x87_mem_read(cpu, in->seg, ea, mem, size);
    uint8_t img[108];
    x87_to_image(f, img);
    uint32_t fl = (uint32_t)x87_host_exec(img, (uint8_t)(0xd8 | (in->imm2 >> 8)),
                                          (uint8_t)in->imm2, mem, cpu_get_eflags(cpu) & FL_ARITH);
    uint16_t raised = get16(img + 4) & X87_SW_EXC;
    if (kind == X87_STORE &&
        !(raised & ~f->cw & (X87_SW_IE | X87_SW_DE | X87_SW_ZE | X87_SW_OE | X87_SW_UE))) {
        uint64_t lin = x87_mem_probe_write(cpu, in->seg, ea, size);
        x87_mem_write_lin(cpu, lin, mem, size);
    }
    x87_from_image(f, img);
    x87_note_insn(cpu, in, kind != X87_REG, ea);
    return fl & FL_ARITH;
}

static int op_x87_reg(Cpu *cpu, const Insn *in)
{
    x87_exec(cpu, in, X87_REG);
    return INSN_NEXT;
}

static int op_x87_load(Cpu *cpu, const Insn *in)
{
    x87_exec(cpu, in, X87_LOAD);
    return INSN_NEXT;
}

static int op_x87_store(Cpu *cpu, const Insn *in)
{
    x87_exec(cpu, in, X87_STORE);
    return INSN_NEXT;
}

/* FCOMI/FCOMIP/FUCOMI/FUCOMIP: ZF, PF, CF from the comparison; OF, SF, AF cleared. */
static int op_fcomi(Cpu *cpu, const Insn *in)
{
    uint32_t fl = x87_exec(cpu, in, X87_REG);
    cpu_set_eflags(cpu, (cpu_get_eflags(cpu) & ~FL_ARITH) | fl);
    return INSN_NEXT;
}

/* ---- control instructions ---- */

static void x87_init(X87State *f)
{
    f->cw = 0x037f;
    f->sw = 0;
    f->tw = 0xffff;
    f->fip = f->fdp = 0;
    f->fop = f->fcs = f->fds = 0;
}

static int op_fninit(Cpu *cpu, const Insn *in)
{
    (void)in;
    simd_check_x87(cpu);
    x87_init(&cpu->fpu);
    x87_ferr_release(cpu);
    return INSN_NEXT;
}

static int op_fnclex(Cpu *cpu, const Insn *in)
{
    (void)in;
    simd_check_x87(cpu);
    cpu->fpu.sw &= (uint16_t)~(X87_SW_EXC | X87_SW_SF | X87_SW_ES | X87_SW_B);
    x87_ferr_release(cpu);
    return INSN_NEXT;
}

/* FENI, FDISI, FSETPM: 8087/287 leftovers, no-ops. */
static int op_fnop_legacy(Cpu *cpu, const Insn *in)
{
    (void)in;
    simd_check_x87(cpu);
    return INSN_NEXT;
}

static int op_fnstsw_ax(Cpu *cpu, const Insn *in)
{
    (void)in;
    simd_check_x87(cpu);
    reg_write(cpu, R_AX, 2, cpu->fpu.sw);
    return INSN_NEXT;
}

static int op_fnstsw_m(Cpu *cpu, const Insn *in)
{
    simd_check_x87(cpu);
    cpu_write(cpu, in->seg, insn_ea(cpu, in), 2, cpu->fpu.sw);
    return INSN_NEXT;
}

static int op_fnstcw(Cpu *cpu, const Insn *in)
{
    simd_check_x87(cpu);
    cpu_write(cpu, in->seg, insn_ea(cpu, in), 2, cpu->fpu.cw);
    return INSN_NEXT;
}

static int op_fldcw(Cpu *cpu, const Insn *in)
{
    simd_check_x87(cpu);
    x87_check_pending(cpu);
    uint16_t v = (uint16_t)cpu_read(cpu, in->seg, insn_ea(cpu, in), 2);
    cpu->fpu.cw = x87_cw_normalize(v);
    x87_update_es(&cpu->fpu);
    return INSN_NEXT;
}

static bool x87_real_format(const Cpu *cpu) { return cpu_real_mode(cpu) || cpu_vm86(cpu); }
static int x87_env_size(const Insn *in) { return in->osz == 2 ? 14 : 28; }

static void x87_env_store(const Cpu *cpu, const Insn *in, uint8_t *b)
{
    const X87State *f = &cpu->fpu;
    uint16_t tw = x87_full_tw(f);
    bool real = x87_real_format(cpu);
    uint32_t ip = real ? (uint32_t)(f->fcs << 4) + (uint32_t)f->fip : (uint32_t)f->fip;
    uint32_t dp = real ? (uint32_t)(f->fds << 4) + (uint32_t)f->fdp : (uint32_t)f->fdp;
    if (in->osz == 2) {
        put16(b, f->cw);
        put16(b + 2, f->sw);
        put16(b + 4, tw);
        put16(b + 6, ip);
        put16(b + 8, real ? ((ip >> 16) & 0xf) << 12 | f->fop : f->fcs);
        put16(b + 10, dp);
        put16(b + 12, real ? ((dp >> 16) & 0xf) << 12 : f->fds);
        return;
    }
    put32(b, 0xffff0000u | f->cw);
    put32(b + 4, 0xffff0000u | f->sw);
    put32(b + 8, 0xffff0000u | tw);
    if (real) {
        put32(b + 12, 0xffff0000u | (ip & 0xffff));
        put32(b + 16, (ip >> 16) << 12 | f->fop);
        put32(b + 20, 0xffff0000u | (dp & 0xffff));
        put32(b + 24, (dp >> 16) << 12);
    } else {
        put32(b + 12, ip);
        put32(b + 16, f->fcs | (uint32_t)f->fop << 16);
        put32(b + 20, dp);
        put32(b + 24, 0xffff0000u | f->fds);
    }
}

static void x87_env_load(Cpu *cpu, const Insn *in, const uint8_t *b)
{
    X87State *f = &cpu->fpu;
    bool real = x87_real_format(cpu);
    uint16_t tw;
    if (in->osz == 2) {
        f->cw = x87_cw_normalize(get16(b));
        f->sw = get16(b + 2);
        tw = get16(b + 4);
        if (real) {
            f->fip = get16(b + 6) | (uint32_t)(get16(b + 8) >> 12) << 16;
            f->fop = get16(b + 8) & 0x7ff;
            f->fdp = get16(b + 10) | (uint32_t)(get16(b + 12) >> 12) << 16;
            f->fcs = f->fds = 0;
        } else {
            f->fip = get16(b + 6);
            f->fcs = get16(b + 8);
            f->fdp = get16(b + 10);
            f->fds = get16(b + 12);
        }
    } else {
        f->cw = x87_cw_normalize(get16(b));
        f->sw = get16(b + 4);
        tw = get16(b + 8);
        if (real) {
            f->fip = get16(b + 12) | ((get32(b + 16) >> 12) & 0xffff) << 16;
            f->fop = get32(b + 16) & 0x7ff;
            f->fdp = get16(b + 20) | ((get32(b + 24) >> 12) & 0xffff) << 16;
            f->fcs = f->fds = 0;
        } else {
            f->fip = get32(b + 12);
            f->fcs = get16(b + 16);
            f->fop = (get32(b + 16) >> 16) & 0x7ff;
            f->fdp = get32(b + 20);
            f->fds = get16(b + 24);
        }
    }
    uint8_t abridged = 0;
    for (int i = 0; i < 8; i++)
        if (((tw >> (2 * i)) & 3) != X87_TAG_EMPTY)
            abridged |= (uint8_t)(1u << i);
    f->tw = x87_expand_tw(f, abridged);
    x87_update_es(f);
}

static int op_fnstenv(Cpu *cpu, const Insn *in)
{
    simd_check_x87(cpu);
    int len = x87_env_size(in);
    uint8_t b[28];
    uint64_t lin = x87_mem_probe_write(cpu, in->seg, insn_ea(cpu, in), len);
    x87_env_store(cpu, in, b);
    x87_mem_write_lin(cpu, lin, b, len);
    cpu->fpu.cw |= 0x3f;
    x87_update_es(&cpu->fpu);
    return INSN_NEXT;
}

static int op_fldenv(Cpu *cpu, const Insn *in)
{
    simd_check_x87(cpu);
    x87_check_pending(cpu);
    uint8_t b[28];
    x87_mem_read(cpu, in->seg, insn_ea(cpu, in), b, x87_env_size(in));
    x87_env_load(cpu, in, b);
    return INSN_NEXT;
}

static int op_fnsave(Cpu *cpu, const Insn *in)
{
    simd_check_x87(cpu);
    int env = x87_env_size(in);
    uint8_t b[108];
    uint64_t lin = x87_mem_probe_write(cpu, in->seg, insn_ea(cpu, in), env + 80);
    x87_env_store(cpu, in, b);
    for (int i = 0; i < 8; i++)
        fp80_put(b + env + 10 * i, *x87_st(&cpu->fpu, i));
    x87_mem_write_lin(cpu, lin, b, env + 80);
    x87_init(&cpu->fpu);
    x87_ferr_release(cpu);
    return INSN_NEXT;
}

static int op_frstor(Cpu *cpu, const Insn *in)
{
    simd_check_x87(cpu);
    x87_check_pending(cpu);
    int env = x87_env_size(in);
    uint8_t b[108];
    x87_mem_read(cpu, in->seg, insn_ea(cpu, in), b, env + 80);
    /* Registers first: the tag word is recomputed from the new contents (new TOP). */
    uint16_t sw_old = cpu->fpu.sw;
    cpu->fpu.sw = (uint16_t)(in->osz == 2 ? get16(b + 2) : get16(b + 4));
    for (int i = 0; i < 8; i++)
        fp80_get(b + env + 10 * i, x87_st(&cpu->fpu, i));
    cpu->fpu.sw = sw_old;
    x87_env_load(cpu, in, b);
    return INSN_NEXT;
}

/* ---- FXSAVE / FXRSTOR (the area layout lives in cpu/fxsave_area.c, shared with XSAVE) ---- */

/* in->sub = 1: the REX.W form (64-bit FIP/FDP). */
static int op_fxsave(Cpu *cpu, const Insn *in)
{
    simd_check_x87(cpu);
    uint64_t lin = fxsave_area_lin(cpu, in, FXSAVE_AREA_SIZE, ACC_WRITE, 16);
    int len = FXSAVE_AREA_XMM + 16 * fxsave_area_nxmm(cpu);
    fxsave_area_probe_write(cpu, lin, 0, len);
    uint8_t area[FXSAVE_AREA_SIZE];
    memset(area, 0, sizeof area);
    fxsave_area_store_x87(cpu, area, in->sub);
    fxsave_area_store_mxcsr(cpu, area);
    fxsave_area_store_xmm(cpu, area);
    fxsave_area_write(cpu, lin, area, 0, len);
    return INSN_NEXT;
}

static int op_fxrstor(Cpu *cpu, const Insn *in)
{
    simd_check_x87(cpu);
    uint64_t lin = fxsave_area_lin(cpu, in, FXSAVE_AREA_SIZE, ACC_READ, 16);
    int len = FXSAVE_AREA_XMM + 16 * fxsave_area_nxmm(cpu);
    uint8_t area[FXSAVE_AREA_SIZE];
    fxsave_area_read(cpu, lin, area, 0, len);
    uint32_t mxcsr = fxsave_area_mxcsr(area);
    if (mxcsr & ~FXSAVE_AREA_MXCSR_MASK)
        cpu_raise(cpu, EXC_GP, 0);
    fxsave_area_load_x87(cpu, area, in->sub);
    cpu->fpu.cw = x87_cw_normalize(cpu->fpu.cw);
    x87_update_es(&cpu->fpu);
    cpu->mxcsr = mxcsr;
    fxsave_area_load_xmm(cpu, area);
    return INSN_NEXT;
}

/* ---- selector ---- */

/* Memory forms by [opcode - D8][ModRM.reg]: operand size, direction.  Size 0 = software form. */
typedef struct X87MemForm {
    uint8_t size;
    uint8_t kind;
} X87MemForm;

static const X87MemForm x87_mem_forms[8][8] = {
    /* D8: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR m32fp */
    { {4, X87_LOAD}, {4, X87_LOAD}, {4, X87_LOAD}, {4, X87_LOAD},
      {4, X87_LOAD}, {4, X87_LOAD}, {4, X87_LOAD}, {4, X87_LOAD} },
    /* D9: FLD m32, -, FST m32, FSTP m32, FLDENV, FLDCW, FNSTENV, FNSTCW */
    { {4, X87_LOAD}, {0, 0}, {4, X87_STORE}, {4, X87_STORE}, {0, 0}, {0, 0}, {0, 0}, {0, 0} },
    /* DA: FIADD .. FIDIVR m32int */
    { {4, X87_LOAD}, {4, X87_LOAD}, {4, X87_LOAD}, {4, X87_LOAD},
      {4, X87_LOAD}, {4, X87_LOAD}, {4, X87_LOAD}, {4, X87_LOAD} },
    /* DB: FILD m32, FISTTP m32, FIST m32, FISTP m32, -, FLD m80, -, FSTP m80 */
    { {4, X87_LOAD}, {4, X87_STORE}, {4, X87_STORE}, {4, X87_STORE},
      {0, 0}, {10, X87_LOAD}, {0, 0}, {10, X87_STORE} },
    /* DC: arithmetic m64fp */
    { {8, X87_LOAD}, {8, X87_LOAD}, {8, X87_LOAD}, {8, X87_LOAD},
      {8, X87_LOAD}, {8, X87_LOAD}, {8, X87_LOAD}, {8, X87_LOAD} },
    /* DD: FLD m64, FISTTP m64, FST m64, FSTP m64, FRSTOR, -, FNSAVE, FNSTSW m16 */
    { {8, X87_LOAD}, {8, X87_STORE}, {8, X87_STORE}, {8, X87_STORE}, {0, 0}, {0, 0}, {0, 0}, {0, 0} },
    /* DE: arithmetic m16int */
    { {2, X87_LOAD}, {2, X87_LOAD}, {2, X87_LOAD}, {2, X87_LOAD},
      {2, X87_LOAD}, {2, X87_LOAD}, {2, X87_LOAD}, {2, X87_LOAD} },
    /* DF: FILD m16, FISTTP m16, FIST m16, FISTP m16, FBLD m80, FILD m64, FBSTP m80, FISTP m64 */
    { {2, X87_LOAD}, {2, X87_STORE}, {2, X87_STORE}, {2, X87_STORE},
      {10, X87_LOAD}, {8, X87_LOAD}, {10, X87_STORE}, {8, X87_STORE} },
};

static InsnFn x87_select_control_mem(int op, int reg)
{
    switch (op << 3 | reg) {
    case 1 << 3 | 4: return op_fldenv;
    case 1 << 3 | 5: return op_fldcw;
    case 1 << 3 | 6: return op_fnstenv;
    case 1 << 3 | 7: return op_fnstcw;
    case 5 << 3 | 4: return op_frstor;
    case 5 << 3 | 6: return op_fnsave;
    case 5 << 3 | 7: return op_fnstsw_m;
    default: return NULL;
    }
}

InsnFn x87_select(DecodeCtx *d, Insn *in)
{
    const ZydisDecodedInstruction *zi = d->zi;
    switch (zi->mnemonic) {
    case ZYDIS_MNEMONIC_FXSAVE:
    case ZYDIS_MNEMONIC_FXRSTOR:
    case ZYDIS_MNEMONIC_FXSAVE64:
    case ZYDIS_MNEMONIC_FXRSTOR64:
        if (!(in->flags & INSN_MEM) || (in->flags & INSN_LOCK))
            return op_ud;
        in->sub = zi->mnemonic == ZYDIS_MNEMONIC_FXSAVE64 || zi->mnemonic == ZYDIS_MNEMONIC_FXRSTOR64;
        return zi->mnemonic == ZYDIS_MNEMONIC_FXSAVE || zi->mnemonic == ZYDIS_MNEMONIC_FXSAVE64
                   ? op_fxsave : op_fxrstor;
    default:
        break;
    }
    if (zi->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT || zi->opcode < 0xd8 || zi->opcode > 0xdf)
        return NULL;
    if (in->flags & INSN_LOCK)
        return op_ud;
    int op = zi->opcode & 7;
    uint8_t modrm = (uint8_t)(zi->raw.modrm.mod << 6 | zi->raw.modrm.reg << 3 | zi->raw.modrm.rm);
    in->imm2 = (uint16_t)(op << 8 | modrm);
    if (modrm < 0xc0) {
        const X87MemForm *m = &x87_mem_forms[op][zi->raw.modrm.reg];
        if (m->size == 0)
            return x87_select_control_mem(op, zi->raw.modrm.reg);
        in->sub = m->size;
        return m->kind == X87_LOAD ? op_x87_load : op_x87_store;
    }
    switch (op << 8 | modrm) {
    case 3 << 8 | 0xe0:   /* FENI */
    case 3 << 8 | 0xe1:   /* FDISI */
    case 3 << 8 | 0xe4:   /* FSETPM */
        return op_fnop_legacy;
    case 3 << 8 | 0xe2: return op_fnclex;
    case 3 << 8 | 0xe3: return op_fninit;
    case 7 << 8 | 0xe0: return op_fnstsw_ax;
    default:
        break;
    }
    if ((op == 3 || op == 7) && modrm >= 0xe8 && modrm <= 0xf7)
        return op_fcomi;
    return op_x87_reg;
}
