/*
 * cpuid.c — placeholder: CPUID is being written.
 */
#include "cpu/decode.h"

InsnFn cpuid_select(DecodeCtx *d, Insn *in)
{
    (void)d;
    (void)in;
    return NULL;
}
