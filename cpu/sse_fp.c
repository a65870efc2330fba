/*
 * sse_fp.c — placeholder: this family is being written (issue 3, x87/MMX/SSE).
 */
#include "cpu/decode.h"

InsnFn sse_fp_select(DecodeCtx *d, Insn *in)
{
    (void)d;
    (void)in;
    return NULL;
}
