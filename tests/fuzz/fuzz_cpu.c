/*
 * fuzz_cpu.c — libFuzzer target: the input is one fuzz_machine.h case (mode selector, options,
 * table-damage seed, EFLAGS, the 16 general registers, then code), run for 2000 instructions.
 * Any crash, sanitizer report, assert or hang is a bug; so is a broken harness invariant, which
 * this target turns into an abort so libFuzzer keeps the input.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FzResult r = fz_run_case(data, size, 2000);
    if (r.error) {
        fprintf(stderr, "fuzz_cpu: harness invariant broken: %s\n", r.error);
        abort();
    }
    return 0;
}
