#include "math/cholesky.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

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
