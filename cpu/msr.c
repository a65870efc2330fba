/*
 * msr.c — placeholder: RDMSR/WRMSR are being written.
 */
#include "cpu/decode.h"

InsnFn msr_select(DecodeCtx *d, Insn *in)
{
    (void)d;
    (void)in;
    return NULL;
}
