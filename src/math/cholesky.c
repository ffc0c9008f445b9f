#include "math/cholesky.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

/* x86-64 with GCC or Clang: an AVX2 factorisation chosen at run time (as
 * math/openblas_gram.c does). AU_CHOLESKY_NO_SIMD builds only the portable code. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) &&                         \
    !defined(AU_CHOLESKY_NO_SIMD)
#define AU_CHOLESKY_X86 1
#include <immintrin.h>
#endif

/* lapack.cpp det2 / det3 for a float matrix: products of floats taken in double. */
static double det2(const float *m)
{
    return (double)m[0] * m[3] - (double)m[1] * m[2];
}

static double det3(const float *m)
{
    return m[0] * ((double)m[4] * m[8] - (double)m[5] * m[7]) -
           m[1] * ((double)m[3] * m[8] - (double)m[5] * m[6]) +
           m[2] * ((double)m[3] * m[7] - (double)m[4] * m[6]);
}

/* cv::solve's "single equation and small matrix" branch (lapack.cpp), CV_32FC1. */
static int solve_small(const float *s, int n, float *b)
{
    if (n == 1) {
        double d = s[0];
        if (d == 0.)
            return 0;
        b[0] = (float)(b[0] / d);
        return 1;
    }
    if (n == 2) {
        double d = det2(s);
        if (d == 0.)
            return 0;
        d = 1. / d;
        float x0 = (float)(((double)b[0] * s[3] - (double)b[1] * s[1]) * d);
        float x1 = (float)(((double)b[1] * s[0] - (double)b[0] * s[2]) * d);
        b[0] = x0;
        b[1] = x1;
        return 1;
    }
    double d = det3(s);
    if (d == 0.)
        return 0;
    d = 1. / d;
    /* The expressions follow lapack.cpp term by term, including the float product
     * b1·s22 (no cast) in the first cofactor of x1. */
    const float b0 = b[0], b1 = b[1], b2 = b[2];
    float x0 = (float)(d * (b0 * ((double)s[4] * s[8] - (double)s[5] * s[7]) -
                            s[1] * ((double)b1 * s[8] - (double)s[5] * b2) +
                            s[2] * ((double)b1 * s[7] - (double)s[4] * b2)));
    float b1s8 = b1 * s[8];
    float x1 = (float)(d * (s[0] * ((double)b1s8 - (double)s[5] * b2) -
                            b0 * ((double)s[3] * s[8] - (double)s[5] * s[6]) +
                            s[2] * ((double)s[3] * b2 - (double)b1 * s[6])));
    float x2 = (float)(d * (s[0] * ((double)s[4] * b2 - (double)b1 * s[7]) -
                            s[1] * ((double)s[3] * b2 - (double)b1 * s[6]) +
                            b0 * ((double)s[3] * s[7] - (double)s[4] * s[6])));
    b[0] = x0;
    b[1] = x1;
    b[2] = x2;
    return 1;
}

/* matrix_decomp.cpp CholImpl<float> with one right-hand side. OpenCV computes, row by row,
 *   L[i][j] = (float)((A[i][j] − Σ_{k<j} (float)(L[i][k]·L[j][k])) · L[j][j])   (j < i)
 *   L[i][i] = (float)(1/sqrt(A[i][i] − Σ_{k<i} (double)L[i][k]²))
 * with each sum a double accumulator taking its terms in k order, and each sum finished
 * before the next starts. Any schedule that gives every sum its terms in k order gives
 * OpenCV's bits; the two factorisations below are two such schedules. Both store in the
 * strict upper triangle, which CholImpl never reads, Lᵀ (a[k·n + j] = L[j][k] for j > k)
 * so that the columns of L are contiguous. The AVX clones (the "fma" target implies AVX)
 * convert and subtract four doubles per instruction instead of two; no operation of any
 * element changes. */

/* Within row i, all the sums advance together: once L[i][k] is known, term k is subtracted
 * from every later sum of the row, which turns the latency-bound chain into independent
 * updates that vectorise. s holds the n open sums of the row. Returns 0 when a pivot is
 * below FLT_EPSILON. */
__attribute__((target_clones("fma", "default"))) static int
factor_by_rows(float *a, int n, double *s)
{
    for (int i = 0; i < n; i++) {
        float *Li = a + (size_t)i * n;
        for (int j = 0; j <= i; j++)
            s[j] = Li[j];
        for (int k = 0; k < i; k++) {
            const float lik = (float)(s[k] * a[(size_t)k * n + k]);
            Li[k] = lik;
            const float *col = a + (size_t)k * n; /* col[j] = L[j][k], j > k */
            for (int j = k + 1; j < i; j++) {
                const float prod = lik * col[j];
                s[j] -= prod;
            }
            const double t = lik;
            s[i] -= t * t;
        }
        if (s[i] < FLT_EPSILON)
            return 0;
        Li[i] = (float)(1. / sqrt(s[i]));
        for (int k = 0; k < i; k++)
            a[(size_t)k * n + i] = Li[k];
    }
    return 1;
}

/* Largest n for factor_by_columns: its n(n+1)/2 open sums stay on the stack (16.6 kB). */
#define COLUMN_FACTOR_MAX_N 64

/* Right-looking: at step k column k of L is finished (every L[i][k] needs only the pivot)
 * and term k is subtracted from all the open sums of the trailing triangle. The row
 * schedule still waits, within each row, for L[i][k] before term k+1 (a chain of double
 * multiply, rounding and subtract per step, ~20 cycles); here the rows of a step are
 * independent, which hides that latency (the PDM fits factor ~120 systems of 40 unknowns
 * per frame). S holds the open sums of the lower triangle, packed by rows (row i at
 * i(i+1)/2). Fails at the same pivot as factor_by_rows, which is the same value. */
__attribute__((target_clones("fma", "default"))) static int
factor_by_columns(float *a, int n, double *S)
{
    for (int i = 0; i < n; i++) {
        double *Si = S + (size_t)i * (i + 1) / 2;
        for (int j = 0; j <= i; j++)
            Si[j] = a[(size_t)i * n + j];
    }
    for (int k = 0; k < n; k++) {
        const double pivot = S[(size_t)k * (k + 1) / 2 + k];
        if (pivot < FLT_EPSILON)
            return 0;
        const float lkk = (float)(1. / sqrt(pivot));
        a[(size_t)k * n + k] = lkk;
        float *col = a + (size_t)k * n; /* col[i] = L[i][k], i > k */
        for (int i = k + 1; i < n; i++) {
            const float lik = (float)(S[(size_t)i * (i + 1) / 2 + k] * lkk);
            a[(size_t)i * n + k] = lik;
            col[i] = lik;
        }
        for (int i = k + 1; i < n; i++) {
            double *Si = S + (size_t)i * (i + 1) / 2;
            const float lik = col[i];
            for (int j = k + 1; j < i; j++) {
                const float prod = lik * col[j];
                Si[j] -= prod;
            }
            const double t = lik;
            Si[i] -= t * t;
        }
    }
    return 1;
}

#ifdef AU_CHOLESKY_X86
/* Left-looking (Crout), vectorised over rows: column j of L is summed whole once columns
 * 0..j−1 are finished, rows i > j side by side, each sum over k = 0..j−1 in order:
 *   s_i = A[i][j] − Σ_k (float)(L[i][k]·L[j][k]),  L[i][j] = (float)(s_i·L[j][j]).
 * The sums of a block of up to 16 rows stay in registers for the whole k loop (four
 * doubles per instruction), where the right-looking schedule loads and stores every open
 * sum at every step. The diagonal sums D_i = A[i][i] − Σ_k (double)L[i][k]² take their
 * terms as each column is finished, so in k order too: every element gets CholImpl's
 * terms in CholImpl's order, and the pivot test sees the same value. lc holds the columns
 * of L contiguously (lc[k·LC_STRIDE + i] = L[i][k] for i > k), zero from row n on, so
 * blocks may run past the last row: those lanes sum zeros and are never used. */
#define LC_STRIDE (COLUMN_FACTOR_MAX_N + 16)

/* Rows i0 .. i0 + 4·nacc − 1 of column j (nacc <= 4, a constant where it is inlined). */
static inline __attribute__((always_inline, target("avx2"))) void
column_rows_avx2(float *lc, int j, int i0, int nacc, double ljj)
{
    float *cj = lc + (size_t)j * LC_STRIDE + i0;
    __m256d s[4];
    for (int u = 0; u < nacc; u++)
        s[u] = _mm256_cvtps_pd(_mm_loadu_ps(cj + 4 * u));
    const float *ck = lc + i0;
    for (int k = 0; k < j; k++, ck += LC_STRIDE) {
        const __m128 ljk = _mm_set1_ps(lc[(size_t)k * LC_STRIDE + j]);
        for (int u = 0; u < nacc; u++)
            s[u] = _mm256_sub_pd(s[u],
                                 _mm256_cvtps_pd(_mm_mul_ps(_mm_loadu_ps(ck + 4 * u), ljk)));
    }
    const __m256d d = _mm256_set1_pd(ljj);
    for (int u = 0; u < nacc; u++)
        _mm_storeu_ps(cj + 4 * u, _mm256_cvtpd_ps(_mm256_mul_pd(s[u], d)));
}

__attribute__((target("avx2"))) static int factor_left_avx2(float *a, int n)
{
    float lc[COLUMN_FACTOR_MAX_N * LC_STRIDE];
    double diag[COLUMN_FACTOR_MAX_N + 4];
    for (int j = 0; j < n; j++) {
        float *cj = lc + (size_t)j * LC_STRIDE;
        for (int i = j + 1; i < n; i++)
            cj[i] = a[(size_t)i * n + j];
        for (int i = n; i < LC_STRIDE; i++)
            cj[i] = 0.0f;
        diag[j] = a[(size_t)j * n + j];
    }
    for (int i = n; i < n + 4; i++)
        diag[i] = 0.0;
    for (int j = 0; j < n; j++) {
        if (diag[j] < FLT_EPSILON)
            return 0;
        const float ljj = (float)(1. / sqrt(diag[j]));
        for (int i0 = j + 1; i0 < n; i0 += 16) {
            const int rest = n - i0;
            if (rest > 12)
                column_rows_avx2(lc, j, i0, 4, ljj);
            else if (rest > 8)
                column_rows_avx2(lc, j, i0, 3, ljj);
            else if (rest > 4)
                column_rows_avx2(lc, j, i0, 2, ljj);
            else
                column_rows_avx2(lc, j, i0, 1, ljj);
        }
        const float *cj = lc + (size_t)j * LC_STRIDE;
        for (int i = j + 1; i < n; i += 4) {
            const __m256d l = _mm256_cvtps_pd(_mm_loadu_ps(cj + i));
            _mm256_storeu_pd(diag + i, _mm256_sub_pd(_mm256_loadu_pd(diag + i),
                                                     _mm256_mul_pd(l, l)));
        }
        /* the layout of factor_by_columns: L below the diagonal, Lᵀ above */
        a[(size_t)j * n + j] = ljj;
        for (int i = j + 1; i < n; i++) {
            a[(size_t)i * n + j] = cj[i];
            a[(size_t)j * n + i] = cj[i];
        }
    }
    return 1;
}

static int cpu_has_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}
#endif

/* The two substitutions with the factor of factor_by_rows/factor_by_columns, each sum
 * advancing as soon as its term is known (s: n open sums). */
__attribute__((target_clones("fma", "default"))) static void
substitute(const float *a, int n, float *b, double *s)
{
    /* forward: y[i] = (float)((b[i] − Σ_{k<i} (float)(L[i][k]·y[k]))·L[i][i]) */
    for (int i = 0; i < n; i++)
        s[i] = b[i];
    for (int k = 0; k < n; k++) {
        const float yk = (float)(s[k] * a[(size_t)k * n + k]);
        b[k] = yk;
        const float *col = a + (size_t)k * n;
        for (int i = k + 1; i < n; i++) {
            const float prod = col[i] * yk;
            s[i] -= prod;
        }
    }
    /* backward: x[i] = (float)((y[i] − Σ_{k=n−1..i+1} (float)(L[k][i]·x[k]))·L[i][i]) */
    for (int i = 0; i < n; i++)
        s[i] = b[i];
    for (int k = n - 1; k >= 0; k--) {
        const float xk = (float)(s[k] * a[(size_t)k * n + k]);
        b[k] = xk;
        const float *row = a + (size_t)k * n; /* row[i] = L[k][i], i < k */
        for (int i = 0; i < k; i++) {
            const float prod = row[i] * xk;
            s[i] -= prod;
        }
    }
}

/* CholImpl for n >= 4. */
static int cholesky_impl(float *a, int n, float *b)
{
    if (n <= COLUMN_FACTOR_MAX_N) {
        double open[COLUMN_FACTOR_MAX_N * (COLUMN_FACTOR_MAX_N + 1) / 2];
#ifdef AU_CHOLESKY_X86
        if (cpu_has_avx2()) {
            if (!factor_left_avx2(a, n))
                return 0;
            substitute(a, n, b, open);
            return 1;
        }
#endif
        if (!factor_by_columns(a, n, open))
            return 0;
        substitute(a, n, b, open);
        return 1;
    }
    double sums[AU_CHOLESKY_MAX_N];
    if (!factor_by_rows(a, n, sums))
        return 0;
    substitute(a, n, b, sums);
    return 1;
}

int au_cholesky_solve_f32(float *a, int n, float *b)
{
    if (n == 0)
        return 1;
    int ok = n < 0 || n > AU_CHOLESKY_MAX_N ? 0
             : n <= 3                        ? solve_small(a, n, b)
                                             : cholesky_impl(a, n, b);
    if (!ok)
        for (int i = 0; i < n; i++)
            b[i] = 0.0f;
    return ok;
}
