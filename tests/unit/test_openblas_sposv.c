/* math/openblas_sposv: LAPACK sposv ('L') summed as OpenBLAS 0.3.21's Haswell kernels sum
 * it.
 *
 * Known answers: the expected bits below were produced once by the real library, not by
 * the code under test: a scratch harness built the same matrices with make_spd/make_rhs
 * (copied verbatim from this file), called sposv_("L", n, nrhs, a, n, b, n, info) of
 * Debian's libopenblas 0.3.21 (both the serial and the pthread build gave the same bits) with
 * OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 on an x86-64 machine, and printed the
 * FNV-1a hash of the solution's bits (column-major), of the factor's lower triangle (column by
 * column) and a few elements with %a. CI has no OpenBLAS, so the values are fixed here.
 *
 * Properties: A·X ≈ B in double, failures (LAPACK's info) and argument checks. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "math/openblas_sposv.h"
#include "test_random.h"

/* SPD test matrix: A = M·Mᵀ + I with M's entries multiples of 1/16 in [−1/2, 7/16]; every
 * product and partial sum is then exact in float, so A has the same bits whatever the
 * summation order or compiler. Column-major, n x n; m is n x n scratch. */
static void make_spd(uint32_t seed, int n, float *a, float *m)
{
    uint32_t s = seed;
    for (int i = 0; i < n * n; i++)
        m[i] = (float)((int)(test_xorshift32(&s) >> 28) - 8) / 16.0f;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            float sum = i == j ? 1.0f : 0.0f;
            for (int k = 0; k < n; k++) {
                const float p = m[i * n + k] * m[j * n + k];
                sum += p;
            }
            a[i + j * n] = sum;
        }
}

/* Right-hand sides: multiples of 1/64 in [−2, 2), column-major n x nrhs. */
static void make_rhs(uint32_t seed, int n, int nrhs, float *b)
{
    uint32_t s = seed;
    for (int i = 0; i < n * nrhs; i++)
        b[i] = (float)((int)(test_xorshift32(&s) >> 24) - 128) / 64.0f;
}

/* FNV-1a over the bytes of the floats' bit patterns, least significant byte first. */
static uint32_t fnv1a_bits(const float *v, size_t count)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &v[i], sizeof u);
        for (int b = 0; b < 4; b++) {
            h ^= (u >> (8 * b)) & 0xffu;
            h *= 16777619u;
        }
    }
    return h;
}

typedef struct element {
    int i, j;
    float value;
} element;

typedef struct known_case {
    const char *what;
    uint32_t seed;
    int n, nrhs;
    uint32_t rhs_seed; /* 0: identity right-hand side (the CCNF's case) */
    uint32_t x_hash, l_hash;
    element x[4];
    element l;
} known_case;

static const known_case known_cases[] = {
    {"n 121, identity (CCNF window 11)", 20261206u, 121, 121, 0u, 0x12dd4725u, 0xede6e4d4u,
     {{0, 0, 0x1.cbb662p-3f}, {120, 0, 0x1.90115cp-7f}, {0, 120, 0x1.90118ep-7f},
      {37, 99, -0x1.80dc84p-6f}},
     {120, 119, 0x1.02c866p-4f}},
    {"n 121, 7 random right-hand sides (edge columns)", 20261206u, 121, 7, 77u, 0xd918a77fu,
     0xede6e4d4u,
     {{0, 0, -0x1.f747fep-1f}, {60, 4, 0x1.7e7a04p-4f}, {120, 1, 0x1.aff176p-2f},
      {120, 6, 0x1.9cf338p-3f}},
     {0, 0, 0x1.c859cap+1f}},
    {"n 225, identity (nested blocking)", 4242u, 225, 225, 0u, 0x8dfb95a9u, 0x45152bacu,
     {{0, 0, 0x1.6fbfc6p-3f}, {120, 0, 0x1.812d0ep-7f}, {0, 120, 0x1.812d1ep-7f},
      {224, 224, 0x1.b0d0eap-3f}},
     {224, 223, 0x1.84fd76p-4f}},
    {"n 33, 6 random right-hand sides", 99u, 33, 6, 5u, 0xe36c7c2du, 0x83493f3du,
     {{0, 0, -0x1.47dff2p-1f}, {27, 0, -0x1.34a862p+0f}, {4, 3, -0x1.bac52p-5f},
      {32, 5, 0x1.6f6a48p-1f}},
     {0, 0, 0x1.e0444p+0f}},
};

/* max |A·X − B| over all elements, in double, for the original A and B. */
static double residual(const float *a, const float *x, const float *b, int n, int nrhs)
{
    double worst = 0.0;
    for (int j = 0; j < nrhs; j++)
        for (int i = 0; i < n; i++) {
            double acc = 0.0;
            for (int k = 0; k < n; k++)
                acc += (double)a[i + (size_t)k * n] * x[k + (size_t)j * n];
            worst = fmax(worst, fabs(acc - b[i + (size_t)j * n]));
        }
    return worst;
}

static void test_known_answers(void)
{
    for (size_t c = 0; c < sizeof known_cases / sizeof known_cases[0]; c++) {
        const known_case *kc = &known_cases[c];
        const int n = kc->n, nrhs = kc->nrhs;
        float *a = malloc((size_t)n * n * sizeof *a), *a0 = malloc((size_t)n * n * sizeof *a0);
        float *m = malloc((size_t)n * n * sizeof *m);
        float *b = calloc((size_t)n * nrhs, sizeof *b), *b0 = calloc((size_t)n * nrhs, sizeof *b0);
        float *l = malloc((size_t)n * n * sizeof *l);
        make_spd(kc->seed, n, a, m);
        if (kc->rhs_seed)
            make_rhs(kc->rhs_seed, n, nrhs, b);
        else
            for (int i = 0; i < n; i++)
                b[i + (size_t)i * n] = 1.0f;
        memcpy(a0, a, (size_t)n * n * sizeof *a);
        memcpy(b0, b, (size_t)n * nrhs * sizeof *b);
        CHECK(au_openblas_sposv_lower_f32(n, nrhs, a, n, b, n) == 0);
        size_t count = 0;
        for (int j = 0; j < n; j++)
            for (int i = j; i < n; i++)
                l[count++] = a[i + (size_t)j * n];
        const uint32_t xh = fnv1a_bits(b, (size_t)n * nrhs), lh = fnv1a_bits(l, count);
        CHECK(xh == kc->x_hash);
        CHECK(lh == kc->l_hash);
        for (int e = 0; e < 4; e++)
            CHECK(b[kc->x[e].i + (size_t)kc->x[e].j * n] == kc->x[e].value);
        CHECK(a[kc->l.i + (size_t)kc->l.j * n] == kc->l.value);
        /* The factor reproduces A and the solution solves the system. */
        double worst_l = 0.0;
        for (int j = 0; j < n; j++)
            for (int i = j; i < n; i++) {
                double acc = 0.0;
                for (int k = 0; k <= j; k++)
                    acc += (double)a[i + (size_t)k * n] * a[j + (size_t)k * n];
                worst_l = fmax(worst_l, fabs(acc - a0[i + (size_t)j * n]));
            }
        const double worst_x = residual(a0, b, b0, n, nrhs);
        CHECK(worst_l < 1e-4);
        CHECK(worst_x < 1e-4);
        printf("  %-48s X hash %08x (%s), L hash %08x (%s), |LLᵀ−A| %.1e, |AX−B| %.1e\n",
               kc->what, xh, xh == kc->x_hash ? "ok" : "WRONG", lh,
               lh == kc->l_hash ? "ok" : "WRONG", worst_l, worst_x);
        free(a);
        free(a0);
        free(m);
        free(b);
        free(b0);
        free(l);
    }
}

/* The strict upper triangle is never read (uplo 'L'): garbage there changes nothing. */
static void test_upper_triangle_ignored(void)
{
    const int n = 121;
    float *a = malloc((size_t)n * n * sizeof *a), *m = malloc((size_t)n * n * sizeof *m);
    float *b = calloc((size_t)n * n, sizeof *b);
    make_spd(20261206u, n, a, m);
    for (int j = 1; j < n; j++)
        for (int i = 0; i < j; i++)
            a[i + (size_t)j * n] = NAN;
    for (int i = 0; i < n; i++)
        b[i + (size_t)i * n] = 1.0f;
    CHECK(au_openblas_sposv_lower_f32(n, n, a, n, b, n) == 0);
    CHECK(fnv1a_bits(b, (size_t)n * n) == known_cases[0].x_hash);
    free(a);
    free(m);
    free(b);
}

/* A matrix that is not positive definite: LAPACK's info (the order of the failing leading
 * minor), the right-hand side untouched; bad arguments give −1. */
static void test_failures(void)
{
    const int n = 121;
    float *a = malloc((size_t)n * n * sizeof *a), *m = malloc((size_t)n * n * sizeof *m);
    float b[121] = {0};
    for (int k = 0; k < 3; k++) {
        const int bad = k == 0 ? 0 : k == 1 ? 17 : 100; /* in potf2, first block, later block */
        make_spd(7u, n, a, m);
        /* a_bb = −1: the leading minor of order bad+1 is no longer positive definite (the
         * Schur complement entry is −1 − l·l < 0). */
        a[bad + (size_t)bad * n] = -1.0f;
        b[0] = 3.0f;
        CHECK(au_openblas_sposv_lower_f32(n, 1, a, n, b, n) == bad + 1);
        CHECK(b[0] == 3.0f);
    }
    CHECK(au_openblas_sposv_lower_f32(-1, 1, a, n, b, n) == -1);
    CHECK(au_openblas_sposv_lower_f32(n, -1, a, n, b, n) == -1);
    CHECK(au_openblas_sposv_lower_f32(n, 1, a, n - 1, b, n) == -1);
    CHECK(au_openblas_sposv_lower_f32(n, 1, a, n, b, n - 1) == -1);
    CHECK(au_openblas_sposv_lower_f32(AU_OPENBLAS_SPOSV_MAX_N + 1, 1, a,
                                      AU_OPENBLAS_SPOSV_MAX_N + 1, b,
                                      AU_OPENBLAS_SPOSV_MAX_N + 1) == -1);
    CHECK(au_openblas_sposv_lower_f32(n, 1, NULL, n, b, n) == -1);
    CHECK(au_openblas_sposv_lower_f32(0, 1, NULL, 1, NULL, 1) == 0);
    free(a);
    free(m);
}

/* Small and medium sizes (potf2 only, one blocking level) still solve the system. */
static void test_sizes_solve(void)
{
    static const int sizes[] = {1, 2, 3, 4, 5, 8, 31, 32, 33, 64, 99, 100, 127, 128, 200};
    double worst = 0.0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int n = sizes[s], nrhs = 1 + (int)(s % 6);
        float *a = malloc((size_t)n * n * sizeof *a), *a0 = malloc((size_t)n * n * sizeof *a0);
        float *m = malloc((size_t)n * n * sizeof *m);
        float *b = malloc((size_t)n * nrhs * sizeof *b), *b0 = malloc((size_t)n * nrhs * sizeof *b0);
        make_spd(1000u + (uint32_t)n, n, a, m);
        make_rhs(2000u + (uint32_t)n, n, nrhs, b);
        memcpy(a0, a, (size_t)n * n * sizeof *a);
        memcpy(b0, b, (size_t)n * nrhs * sizeof *b);
        CHECK(au_openblas_sposv_lower_f32(n, nrhs, a, n, b, n) == 0);
        const double r = residual(a0, b, b0, n, nrhs);
        CHECK(r < 1e-3);
        worst = fmax(worst, r);
        free(a);
        free(a0);
        free(m);
        free(b);
        free(b0);
    }
    printf("  sizes 1..200: max |AX−B| %.1e\n", worst);
}

/* The identity-right-hand-side inverse gives exactly the bits of the general call with
 * B = I (solution and factor), for sizes with every tile pattern (edge columns 1–3, 8-row
 * tiles with 1-, 2- and 4-row remainders, one and two blocking levels), written into a b
 * with a larger leading dimension whose padding stays untouched. */
static void test_identity_matches_general(void)
{
    static const int sizes[] = {1,  2,  3,  4,  5,  6,  7,  9,  12,  15,  17,  31,  32, 33,
                                49, 64, 81, 99, 100, 101, 121, 122, 123, 144, 169, 225};
    int mismatches = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int n = sizes[s], ldb = n + 5;
        float *a = malloc((size_t)n * n * sizeof *a), *a2 = malloc((size_t)n * n * sizeof *a2);
        float *m = malloc((size_t)n * n * sizeof *m), *work = malloc((size_t)n * n * sizeof *work);
        float *b = calloc((size_t)n * n, sizeof *b), *b2 = malloc((size_t)ldb * n * sizeof *b2);
        make_spd(3000u + (uint32_t)n, n, a, m);
        memcpy(a2, a, (size_t)n * n * sizeof *a);
        for (int i = 0; i < n; i++)
            b[i + (size_t)i * n] = 1.0f;
        for (size_t i = 0; i < (size_t)ldb * n; i++)
            b2[i] = 7.0f;
        CHECK(au_openblas_sposv_lower_f32(n, n, a, n, b, n) == 0);
        CHECK(au_openblas_sposv_identity_f32(n, a2, n, b2, ldb, work) == 0);
        int same = memcmp(a, a2, (size_t)n * n * sizeof *a) == 0;
        for (int j = 0; j < n; j++) {
            same &= memcmp(b + (size_t)j * n, b2 + (size_t)j * ldb, (size_t)n * sizeof *b) == 0;
            for (int i = n; i < ldb; i++)
                same &= b2[(size_t)j * ldb + i] == 7.0f;
        }
        CHECK(same);
        mismatches += !same;
        free(a);
        free(a2);
        free(m);
        free(work);
        free(b);
        free(b2);
    }
    /* Failures: the same info, b untouched; bad arguments −1. */
    const int n = 40;
    float a[40 * 40], m[40 * 40], b[40 * 40], work[40 * 40];
    make_spd(5u, n, a, m);
    a[17 + 17 * n] = -1000.0f;
    for (int i = 0; i < n * n; i++)
        b[i] = 3.0f;
    CHECK(au_openblas_sposv_identity_f32(n, a, n, b, n, work) == 18);
    CHECK(b[0] == 3.0f && b[n * n - 1] == 3.0f);
    CHECK(au_openblas_sposv_identity_f32(n, a, n, b, n, NULL) == -1);
    CHECK(au_openblas_sposv_identity_f32(n, a, n, b, n - 1, work) == -1);
    CHECK(au_openblas_sposv_identity_f32(0, NULL, 1, NULL, 1, NULL) == 0);
    printf("  identity inverse vs general sposv: %d of %zu sizes differ\n", mismatches,
           sizeof sizes / sizeof sizes[0]);
}

int main(void)
{
    test_known_answers();
    test_upper_triangle_ignored();
    test_failures();
    test_sizes_solve();
    test_identity_matches_general();
    return check_report("test_openblas_sposv");
}
