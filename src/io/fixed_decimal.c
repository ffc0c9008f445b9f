#include "io/fixed_decimal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__SIZEOF_INT128__)
/* Largest decimals and magnitude of the exact path: m·10^9·2^33 < 2^53·2^30·2^33 = 2^116. */
#define FAST_MAX_DECIMALS 9
#define FAST_LIMIT 8589934592.0 /* 2^33 */

static const uint64_t POW10[FAST_MAX_DECIMALS + 1] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u};

/* round(a·10^decimals), half to even, for 0 ≤ a < 2^33. */
static unsigned __int128 scaled_digits(double a, int decimals)
{
    if (a == 0.0)
        return 0;
    int exp2;
    const double f = frexp(a, &exp2); /* a = f·2^exp2, 0.5 ≤ f < 1 */
    const uint64_t m = (uint64_t)ldexp(f, 53);
    const int shift = 53 - exp2; /* a = m / 2^shift; shift ≥ 20 since a < 2^33 */
    const unsigned __int128 product = (unsigned __int128)m * POW10[decimals];
    if (shift >= 127)
        return 0; /* product < 2^83 ≤ half of 2^shift */
    const unsigned __int128 one = 1;
    unsigned __int128 q = product >> shift;
    const unsigned __int128 rest = product & ((one << shift) - 1);
    const unsigned __int128 half = one << (shift - 1);
    if (rest > half || (rest == half && (q & 1)))
        q++;
    return q;
}
#endif

#if defined(__SIZEOF_INT128__)
int au_format_fixed(char *out, double v, int decimals)
{
    if (!(fabs(v) < FAST_LIMIT) || decimals < 0 || decimals > FAST_MAX_DECIMALS)
        return snprintf(out, AU_FIXED_DECIMAL_MAX, "%.*f", decimals, v);
    unsigned __int128 q = scaled_digits(fabs(v), decimals);
    char digits[48];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(q % 10));
        q /= 10;
    } while (q != 0);
    while (n <= decimals)
        digits[n++] = '0'; /* at least one digit before the point */
    int len = 0;
    if (signbit(v))
        out[len++] = '-';
    while (n > decimals)
        out[len++] = digits[--n];
    if (decimals > 0) {
        out[len++] = '.';
        while (n > 0)
            out[len++] = digits[--n];
    }
    out[len] = '\0';
    return len;
}
#else
int au_format_fixed(char *out, double v, int decimals)
{
    return snprintf(out, AU_FIXED_DECIMAL_MAX, "%.*f", decimals, v);
}
#endif
