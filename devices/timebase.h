/*
 * timebase.h — exact conversion between virtual nanoseconds and a device's own clock ticks.
 *
 * A chip clocked at f Hz has seen floor(ns * f / 1e9) ticks at virtual time ns, and its tick n
 * happens at ceil(n * 1e9 / f) ns.  Both are computed from the absolute virtual time every time
 * (never by accumulating rounded periods), so no drift can build up.  The products are split as
 * a = q * div + r so that nothing overflows 64 bits for any time a run can reach.
 */
#ifndef SOFTVISOR_TIMEBASE_H
#define SOFTVISOR_TIMEBASE_H

#include <stdint.h>

/* floor(a * mul / div); div > 0, mul and div below 2^32 */
static inline uint64_t timebase_scale_floor(uint64_t a, uint64_t mul, uint64_t div)
{
    return a / div * mul + a % div * mul / div;
}

/* ceil(a * mul / div) */
static inline uint64_t timebase_scale_ceil(uint64_t a, uint64_t mul, uint64_t div)
{
    return a / div * mul + (a % div * mul + div - 1) / div;
}

#endif
