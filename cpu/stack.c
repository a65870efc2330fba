/*
 * stack.c — placeholder: this instruction family is being written.
 */
#include "cpu/decode.h"

InsnFn stack_select(DecodeCtx *d, Insn *in)
{
    (void)d;
    (void)in;
    return NULL;
}
