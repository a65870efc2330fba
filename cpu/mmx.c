/*
 * mmx.c — EMMS (SDM vol. 2, "EMMS"; vol. 1, 9.5.1 "MMX instructions and the x87 FPU tag word").
 *
 * EMMS: CR0.EM -> #UD, CR0.TS -> #NM, a pending x87 exception -> #MF; then the x87 tag word :=
 * FFFFH (all registers empty) and, as after every MMX instruction, TOP := 0 (SDM vol. 3, 12.2 and
 * table 12-2 "Effects of MMX instructions on x87 FPU state").
 * The MMX data instructions themselves (MOVD/MOVQ, PADD..., shared with their SSE2 forms) are in
 * cpu/sse_int.c; the aliasing rules are in cpu/mmx.h.
 */
#include "cpu/decode.h"
#include "cpu/mmx.h"

static int op_emms(Cpu *cpu, const Insn *in)
{
    (void)in;
    simd_check_mmx(cpu);
    cpu->fpu.tw = 0xffff;
    cpu->fpu.sw &= (uint16_t)~0x3800u;
    return INSN_NEXT;
}

InsnFn mmx_select(DecodeCtx *d, Insn *in)
{
    (void)in;
    if (d->zi->mnemonic == ZYDIS_MNEMONIC_EMMS)
        return op_emms;
    return NULL;
}
