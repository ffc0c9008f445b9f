/* Tests for au_exp_batch: every result has the bits of the C library's exp, for arguments
 * across the whole double range (the fast range of the vector path and every argument it
 * hands to exp), for every count (the padded last group); on x86-64 glibc with AVX2 and
 * FMA the vector path must be the one in use. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "math/exp_batch.h"
#include "test_random.h"

#define COUNT 4099

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void test_matches_exp(void)
{
    static double x[COUNT], y[COUNT];
    uint32_t state = 99u;
    long differ = 0;
    for (int round = 0; round < 400; round++) {
        for (int i = 0; i < COUNT; i++) {
            const uint32_t a = test_xorshift32(&state), b = test_xorshift32(&state);
            const double u = (double)(a >> 8) / 16777216.0 - 0.5;
            switch (round % 4) {
            case 0: /* the activations' range */
                x[i] = 60.0 * u;
                break;
            case 1: /* any magnitude from 2^-60 to 2^10 */
                x[i] = ldexp(u, (int)(b % 71) - 60);
                break;
            case 2: { /* any bit pattern */
                const uint64_t bits = (uint64_t)a << 32 | b;
                memcpy(&x[i], &bits, sizeof bits);
                break;
            }
            default: /* near the borders of the fast range and of overflow/underflow */
                x[i] = (b & 1 ? 1 : -1) * (b & 2 ? 512.0 : 708.0) * (1.0 + u * 1e-3);
                break;
            }
        }
        au_exp_batch(x, COUNT, y);
        for (int i = 0; i < COUNT; i++)
            differ += !same_bits(y[i], exp(x[i])) && !(isnan(y[i]) && isnan(exp(x[i])));
    }
    CHECK(differ == 0);
}

static void test_special_and_counts(void)
{
    const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1e-300, -1e-17, 0x1p-54,
                              0x1p-55, 511.9, 512.0, -745.2, 709.8, 710.0, -1.0, 1.0};
    const int n = (int)(sizeof special / sizeof *special);
    for (int count = 0; count <= n; count++) {
        double y[16];
        for (int i = 0; i < 16; i++)
            y[i] = 42.0;
        au_exp_batch(special, count, y);
        int ok = 1;
        for (int i = 0; i < count; i++)
            ok &= same_bits(y[i], exp(special[i])) || (isnan(y[i]) && isnan(special[i]));
        for (int i = count; i < 16; i++)
            ok &= y[i] == 42.0; /* nothing written past count */
        CHECK(ok);
    }
}

static void test_vector_path_in_use(void)
{
#if defined(__x86_64__) && defined(__GLIBC__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        CHECK(au_exp_batch_vectorised() == 1);
#endif
}

int main(void)
{
    test_vector_path_in_use();
    test_matches_exp();
    test_special_and_counts();
    return check_report("test_exp_batch");
}
