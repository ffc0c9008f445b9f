/* The weighted sum of the rows of a float matrix, Σ_k (double)a[k][c]·(double)w[k] for each
 * column c, in the order of OpenCV's GEMMSingleMul for one output: four double
 * accumulators over k mod 4 (the rows after the last multiple of four into the first).
 * Every column is summed on its own, so computing the columns side by side (which
 * vectorises in the callers' AVX2 clones, where this is inlined) gives the bits of one
 * column at a time. The caller adds the four accumulators in its own order. */
#ifndef AU_MATH_ROW_SUMS_H
#define AU_MATH_ROW_SUMS_H

#include <stddef.h>

/* Rows 0..n−1 of `a` (row k at a + k·stride, `cols` floats used) weighted by w[k], into
 * s0..s3 (cols doubles each, overwritten). */
static inline void au_row_sums4(const float *restrict a, size_t stride,
                                const float *restrict w, int n, int cols,
                                double *restrict s0, double *restrict s1,
                                double *restrict s2, double *restrict s3)
{
    for (int c = 0; c < cols; c++)
        s0[c] = s1[c] = s2[c] = s3[c] = 0.0;
    int k = 0;
    for (; k <= n - 4; k += 4) {
        const float *a0 = a + (size_t)k * stride, *a1 = a0 + stride, *a2 = a1 + stride,
                    *a3 = a2 + stride;
        const double w0 = w[k], w1 = w[k + 1], w2 = w[k + 2], w3 = w[k + 3];
        for (int c = 0; c < cols; c++) {
            s0[c] += (double)a0[c] * w0;
            s1[c] += (double)a1[c] * w1;
            s2[c] += (double)a2[c] * w2;
            s3[c] += (double)a3[c] * w3;
        }
    }
    for (; k < n; k++) {
        const float *ak = a + (size_t)k * stride;
        const double wk = w[k];
        for (int c = 0; c < cols; c++)
            s0[c] += (double)ak[c] * wk;
    }
}

#endif
