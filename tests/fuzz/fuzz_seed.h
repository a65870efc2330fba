/*
 * fuzz_seed.h — the seeded inputs of the in-CI device fuzzers (fuzz_ide.c, fuzz_vga.c): seed s
 * fills the buffer with an xorshift64 stream, so a failing seed is replayed with --seeds s.
 */
#ifndef SOFTVISOR_FUZZ_SEED_H
#define SOFTVISOR_FUZZ_SEED_H

#include <stddef.h>
#include <stdint.h>

static inline void fuzz_seed_fill(uint8_t *buf, size_t n, unsigned seed)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
}

#endif
