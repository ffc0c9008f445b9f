/* Reproducible pseudo-random test data: Marsaglia's xorshift32 (shifts 13, 17, 5). Each test
 * keeps its own state, so its data do not depend on the other tests.
 *
 * Header-only (see test_files.h for why). */
#ifndef AU_TEST_RANDOM_H
#define AU_TEST_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Advances *state (not 0) and returns the new value. */
static inline uint32_t test_xorshift32(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* n random bytes (the top 8 bits of successive values). */
static inline void test_fill_random_u8(uint32_t *state, uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bytes[i] = (uint8_t)(test_xorshift32(state) >> 24);
}

#endif
