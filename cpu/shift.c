/*
 * shift.c — placeholder: this instruction family is being written.
 */
#include "cpu/decode.h"

InsnFn shift_select(DecodeCtx *d, Insn *in)
{
    (void)d;
    (void)in;
    return NULL;
}
