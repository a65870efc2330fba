/*
 * x87.c — placeholder: this family is being written (issue 3, x87/MMX/SSE).
 */
#include "cpu/decode.h"

InsnFn x87_select(DecodeCtx *d, Insn *in)
{
    (void)d;
    (void)in;
    return NULL;
}
