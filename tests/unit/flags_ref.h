/*
 * flags_ref.h — the eager reference for the six arithmetic flags: the oracle cpu/flags.c is
 * tested against (STYLE rule 5).  Written from the SDM's instruction pages, not from flags.c.
 */
#ifndef SOFTVISOR_TEST_FLAGS_REF_H
#define SOFTVISOR_TEST_FLAGS_REF_H

#include <stdint.h>

/* Operations the reference computes. */
typedef enum RefOp {
    REF_ADD, REF_ADC, REF_SUB, REF_SBB, REF_AND, REF_OR, REF_XOR, REF_INC, REF_DEC,
    REF_SHL, REF_SHR, REF_SAR, REF_MUL, REF_IMUL,
} RefOp;

typedef struct RefResult {
    uint64_t result;     /* destination value (low half for MUL/IMUL) */
    uint64_t high;       /* MUL/IMUL: high half of the double-width product */
    uint32_t flags;      /* CF PF AF ZF SF OF in EFLAGS positions */
    uint32_t defined;    /* which of the six the SDM defines for this case */
} RefResult;

/* Runs `op` on `a` and `b` (size in bytes 1/2/4/8).  `cf_in` is the carry/borrow in for ADC/SBB
 * and the old CF for INC/DEC (kept).  For shifts b is the count, already masked by the caller
 * and non-zero.  IMUL is the two-operand form: the product truncated to `size` bytes. */
RefResult flags_ref(RefOp op, int size, uint64_t a, uint64_t b, int cf_in);

/* Condition cc (0-15, Jcc order) from a set of flags, by the SDM's condition table. */
int flags_ref_cond(uint32_t flags, int cc);
/* The flags condition cc reads. */
uint32_t flags_ref_cond_uses(int cc);

#endif
