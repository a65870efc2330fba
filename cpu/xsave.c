/*
 * xsave.c — the XSAVE feature set for x87 and SSE state (SDM vol. 1, chapter 13; vol. 2 XGETBV,
 * XSETBV, XSAVE, XSAVEOPT, XRSTOR).
 *
 * Supported state components: 0 (x87) and 1 (SSE); XCR0 may be 0x1 or 0x3.
 *
 *   XGETBV:  #UD if CR4.OSXSAVE = 0; ECX = 0 -> EDX:EAX := XCR0; other ECX -> #GP(0)
 *            (ECX = 1, XINUSE, needs CPUID.(EAX=0DH,ECX=1):EAX[2], not supported).
 *   XSETBV:  #UD if CR4.OSXSAVE = 0; #GP(0) if CPL > 0 (V86 mode included), ECX != 0,
 *            EDX:EAX bit 0 clear, bit 2 set without bit 1, or any bit outside x87|SSE.
 *   XSAVE / XSAVEOPT (and the 64 forms, which use the 64-bit x87 format):
 *            #UD if CR4.OSXSAVE = 0; #NM if CR0.TS = 1; #GP(0) if the linear address is not
 *            64-byte aligned.  RFBM := EDX:EAX & XCR0.  RFBM[0]: x87 state (bytes 0-23, 32-159);
 *            RFBM[1] or RFBM[2]: MXCSR and MXCSR_MASK (24-31); RFBM[1]: XMM registers (160-).
 *            XSTATE_BV (header bytes 512-519) is read, bits in RFBM set to XINUSE, others kept;
 *            the rest of the header is not written.
 *   XRSTOR:  the same #UD/#NM/alignment checks; XCOMP_BV bit 63 set (compacted form) is #GP(0)
 *            since XSAVEC is not supported; #GP(0) if XSTATE_BV has a bit outside XCR0 or header
 *            bytes 8-23 are not zero; #GP(0) if MXCSR would be loaded with a bit outside
 *            MXCSR_MASK.  For i in RFBM: XSTATE_BV[i] = 1 loads component i, 0 initializes it
 *            (x87: FCW 037FH, FSW 0, FTW empty, FOP/FIP/FDP/FCS/FDS 0, registers 0; SSE: XMM
 *            registers 0).  MXCSR is loaded from memory whenever RFBM[1] or RFBM[2] is set, even
 *            with XSTATE_BV[1] = 0 (standard form, vol. 1 13.8.1).
 * All checks and reads happen before any register or memory changes.
 *
 * XXX: XINUSE is always reported 1 for x87 and SSE (no init tracking), which the SDM allows;
 * XSAVEOPT therefore behaves exactly like XSAVE (no modified optimization, allowed as well).
 * XSAVEC, XSAVES and XRSTORS are not claimed (#UD).  CR0.EM does not affect these instructions.
 */
#include "cpu/decode.h"
#include "cpu/fxsave_area.h"

#define XCR0_X87 0x1ull
#define XCR0_SSE 0x2ull
#define XCR0_AVX 0x4ull
#define XCR0_SUPPORTED (XCR0_X87 | XCR0_SSE)

#define XSAVE_HEADER 512                       /* XSTATE_BV at +0, XCOMP_BV at +8 */
#define XSAVE_SIZE   (XSAVE_HEADER + 64)       /* legacy region + header */

static inline uint64_t edx_eax(const Cpu *cpu)
{
    return ((cpu->gpr[R_DX] & 0xffffffffull) << 32) | (cpu->gpr[R_AX] & 0xffffffffull);
}

static inline void require_osxsave(Cpu *cpu)
{
    if (!(cpu->cr4 & CR4_OSXSAVE))
        cpu_raise(cpu, EXC_UD, EXC_NO_ERR);
}

static int op_xgetbv(Cpu *cpu, const Insn *in)
{
    (void)in;
    require_osxsave(cpu);
    if ((uint32_t)cpu->gpr[R_CX] != 0)
        cpu_raise(cpu, EXC_GP, 0);
    reg_write(cpu, R_AX, 4, (uint32_t)cpu->xcr0);
    reg_write(cpu, R_DX, 4, cpu->xcr0 >> 32);
    return INSN_NEXT;
}

static int op_xsetbv(Cpu *cpu, const Insn *in)
{
    (void)in;
    require_osxsave(cpu);
    uint64_t v = edx_eax(cpu);
    if (cpu->cpl != 0 || cpu_vm86(cpu) || (uint32_t)cpu->gpr[R_CX] != 0 || !(v & XCR0_X87) ||
        ((v & XCR0_AVX) && !(v & XCR0_SSE)) || (v & ~XCR0_SUPPORTED))
        cpu_raise(cpu, EXC_GP, 0);
    cpu->xcr0 = v;
    return INSN_NEXT;
}

/* Checks common to XSAVE and XRSTOR; returns the linear address of the area. */
static uint64_t xsave_prepare(Cpu *cpu, const Insn *in, int acc)
{
    require_osxsave(cpu);
    if (cpu->cr0 & CR0_TS)
        cpu_raise(cpu, EXC_NM, EXC_NO_ERR);
    return fxsave_area_lin(cpu, in, XSAVE_SIZE, acc, 64);
}

/* XSAVE/XSAVEOPT: sub = 1 for the 64-bit x87 format (REX.W) */
static int op_xsave(Cpu *cpu, const Insn *in)
{
    uint64_t lin = xsave_prepare(cpu, in, ACC_WRITE);
    uint64_t rfbm = edx_eax(cpu) & cpu->xcr0;
    uint8_t area[XSAVE_SIZE];
    fxsave_area_probe_write(cpu, lin, 0, XSAVE_SIZE);
    fxsave_area_read(cpu, lin, area, XSAVE_HEADER, 8);
    if (rfbm & XCR0_X87) {
        fxsave_area_store_x87(cpu, area, in->sub);
        fxsave_area_write(cpu, lin, area, 0, FXSAVE_AREA_X87_END);
        fxsave_area_write(cpu, lin, area, FXSAVE_AREA_ST, FXSAVE_AREA_XMM - FXSAVE_AREA_ST);
    }
    if (rfbm & (XCR0_SSE | XCR0_AVX)) {
        fxsave_area_store_mxcsr(cpu, area);
        fxsave_area_write(cpu, lin, area, FXSAVE_AREA_MXCSR, 8);
    }
    if (rfbm & XCR0_SSE) {
        fxsave_area_store_xmm(cpu, area);
        fxsave_area_write(cpu, lin, area, FXSAVE_AREA_XMM, 16 * fxsave_area_nxmm(cpu));
    }
    uint64_t bv = 0;
    for (int i = 0; i < 8; i++)
        bv |= (uint64_t)area[XSAVE_HEADER + i] << (8 * i);
    bv |= rfbm;   /* XINUSE = 1 */
    for (int i = 0; i < 8; i++)
        area[XSAVE_HEADER + i] = (uint8_t)(bv >> (8 * i));
    fxsave_area_write(cpu, lin, area, XSAVE_HEADER, 8);
    return INSN_NEXT;
}

static inline uint64_t area_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void x87_init(Cpu *cpu)
{
    memset(&cpu->fpu, 0, sizeof(cpu->fpu));
    cpu->fpu.cw = 0x037f;
    cpu->fpu.tw = 0xffff;
}

/* XRSTOR: sub = 1 for the 64-bit x87 format (REX.W) */
static int op_xrstor(Cpu *cpu, const Insn *in)
{
    uint64_t lin = xsave_prepare(cpu, in, ACC_READ);
    uint64_t rfbm = edx_eax(cpu) & cpu->xcr0;
    uint8_t area[XSAVE_SIZE];
    fxsave_area_read(cpu, lin, area, 0, XSAVE_SIZE);
    uint64_t bv = area_u64(area + XSAVE_HEADER);
    if ((bv & ~cpu->xcr0) || area_u64(area + XSAVE_HEADER + 8) || area_u64(area + XSAVE_HEADER + 16))
        cpu_raise(cpu, EXC_GP, 0);
    uint32_t mxcsr = fxsave_area_mxcsr(area);
    bool load_mxcsr = (rfbm & (XCR0_SSE | XCR0_AVX)) != 0;
    if (load_mxcsr && (mxcsr & ~FXSAVE_AREA_MXCSR_MASK))
        cpu_raise(cpu, EXC_GP, 0);
    if (rfbm & XCR0_X87) {
        if (bv & XCR0_X87)
            fxsave_area_load_x87(cpu, area, in->sub);
        else
            x87_init(cpu);
    }
    if (rfbm & XCR0_SSE) {
        if (bv & XCR0_SSE)
            fxsave_area_load_xmm(cpu, area);
        else
            memset(cpu->xmm, 0, sizeof(cpu->xmm[0]) * (size_t)fxsave_area_nxmm(cpu));
    }
    if (load_mxcsr)
        cpu->mxcsr = mxcsr;
    return INSN_NEXT;
}

InsnFn xsave_select(DecodeCtx *d, Insn *in)
{
    bool mem = d->nops > 0 && d->kind[0] == 'm';
    switch (d->zi->mnemonic) {
    case ZYDIS_MNEMONIC_XGETBV: return op_xgetbv;
    case ZYDIS_MNEMONIC_XSETBV: return op_xsetbv;
    case ZYDIS_MNEMONIC_XSAVE64:
    case ZYDIS_MNEMONIC_XSAVEOPT64:
        in->sub = 1;
        return mem ? op_xsave : NULL;
    case ZYDIS_MNEMONIC_XSAVE:
    case ZYDIS_MNEMONIC_XSAVEOPT:
        return mem ? op_xsave : NULL;
    case ZYDIS_MNEMONIC_XRSTOR64:
        in->sub = 1;
        return mem ? op_xrstor : NULL;
    case ZYDIS_MNEMONIC_XRSTOR:
        return mem ? op_xrstor : NULL;
    default:
        return NULL;
    }
}
