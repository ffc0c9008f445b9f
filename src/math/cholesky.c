#include "math/cholesky.h"

#include <float.h>
#include <math.h>

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

/* matrix_decomp.cpp CholImpl<float> with one right-hand side. */
static int cholesky_impl(float *L, int n, float *b)
{
    for (int i = 0; i < n; i++) {
        float *Li = L + i * n;
        int j;
        for (j = 0; j < i; j++) {
            const float *Lj = L + j * n;
            double s = Li[j];
            for (int k = 0; k < j; k++) {
                float prod = Li[k] * Lj[k];
                s -= prod;
            }
            Li[j] = (float)(s * Lj[j]);
        }
        double s = Li[i];
        for (int k = 0; k < j; k++) {
            double t = Li[k];
            s -= t * t;
        }
        if (s < FLT_EPSILON)
            return 0;
        Li[i] = (float)(1. / sqrt(s));
    }

    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) {
            float prod = L[i * n + k] * b[k];
            s -= prod;
        }
        b[i] = (float)(s * L[i * n + i]);
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = n - 1; k > i; k--) {
            float prod = L[k * n + i] * b[k];
            s -= prod;
        }
        b[i] = (float)(s * L[i * n + i]);
    }
    return 1;
}

int au_cholesky_solve_f32(float *a, int n, float *b)
{
    if (n == 0)
        return 1;
    int ok = n < 0 ? 0 : n <= 3 ? solve_small(a, n, b) : cholesky_impl(a, n, b);
    if (!ok)
        for (int i = 0; i < n; i++)
            b[i] = 0.0f;
    return ok;
}
