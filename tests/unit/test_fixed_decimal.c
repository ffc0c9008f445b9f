/* au_format_fixed against snprintf's "%.*f": ties (half to even on the exact binary value),
 * signed zeros and negatives that round to zero, subnormals, the edges of the exact path,
 * the values handed to snprintf, and millions of random doubles of every magnitude the CSV
 * holds. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "io/fixed_decimal.h"

static int same_as_printf(double v, int decimals)
{
    char want[AU_FIXED_DECIMAL_MAX], got[AU_FIXED_DECIMAL_MAX];
    const int want_len = snprintf(want, sizeof want, "%.*f", decimals, v);
    const int got_len = au_format_fixed(got, v, decimals);
    if (want_len == got_len && strcmp(want, got) == 0)
        return 1;
    fprintf(stderr, "  %.17g with %d decimals: \"%s\", printf \"%s\"\n", v, decimals, got, want);
    return 0;
}

static void test_listed_values(void)
{
    const double values[] = {0.0,        -0.0,        0.5,       1.5,          2.5,
                             -2.5,       0.125,       0.375,     -0.0625,      1e-9,
                             -1e-9,      -0.0004,     -0.0005,   -0.0006,      0.0005,
                             0.0015,     0.0025,      123.4565,  -123.4565,    999.9995,
                             9.9999999995, 1.0 / 3.0, 2.0 / 3.0, 0.1,          0.7,
                             8589934591.75, 8589934592.0, -8589934592.5, 1e15, 1e300,
                             DBL_MAX,    -DBL_MAX,    DBL_MIN,   DBL_TRUE_MIN, -DBL_TRUE_MIN,
                             NAN,        -NAN,        INFINITY,  -INFINITY,    4.35,
                             -60.0,      60.0,        0.0049999999999999, 0.005, 1e-300};
    int ok = 1;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        for (int d = 0; d <= 12; d++)
            ok &= same_as_printf(values[i], d);
    CHECK(ok);
}

/* Exact ties k/2^j with decimals where the tie is at the last digit (e.g. 0.125 → 0.12). */
static void test_ties(void)
{
    int ok = 1;
    for (int j = 1; j <= 12; j++)
        for (int k = -4096; k <= 4096; k++)
            for (int d = 0; d <= 9; d++)
                ok &= same_as_printf(ldexp((double)k, -j), d);
    CHECK(ok);
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static void test_random_values(void)
{
    uint64_t state = 0x9e3779b97f4a7c15u;
    int ok = 1;
    for (int i = 0; i < 2000000 && ok; i++) {
        const uint64_t r = next_random(&state);
        /* A random mantissa at a random scale, 2^-60 .. 2^36 (across the exact path's edge),
         * or a random bit pattern now and then (subnormals, huge values, NaNs). */
        double v;
        if (i % 16 == 0) {
            memcpy(&v, &r, sizeof v);
        } else {
            const double mantissa = (double)(r >> 11) / 9007199254740992.0; /* [0, 1) */
            v = ldexp(mantissa, (int)(r % 97) - 60);
            if (r & (1u << 10))
                v = -v;
        }
        ok &= same_as_printf(v, (int)((r >> 20) % 10));
    }
    CHECK(ok);
}

int main(void)
{
    test_listed_values();
    test_ties();
    test_random_values();
    return check_report("test_fixed_decimal");
}
