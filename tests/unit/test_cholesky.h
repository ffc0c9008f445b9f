/* Symmetric positive-definite systems solved in double by the textbook Cholesky
 * factorisation and two triangular solves: an independent reference for the tests of code
 * that solves such systems in float with OpenCV's or OpenBLAS's rounding.
 *
 * Header-only (see test_files.h for why). */
#ifndef AU_TEST_CHOLESKY_H
#define AU_TEST_CHOLESKY_H

#include <math.h>

/* Solves m·x = b (n x n, row-major) in place: the lower triangle of m becomes L (m = L·Lᵀ),
 * b becomes x. Only the lower triangle of m is read. */
static inline void test_solve_spd(double *m, int n, double *b)
{
    for (int j = 0; j < n; j++) {
        double d = m[j * n + j];
        for (int k = 0; k < j; k++)
            d -= m[j * n + k] * m[j * n + k];
        d = sqrt(d);
        m[j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double s = m[i * n + j];
            for (int k = 0; k < j; k++)
                s -= m[i * n + k] * m[j * n + k];
            m[i * n + j] = s / d;
        }
    }
    for (int i = 0; i < n; i++) { /* L·y = b */
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= m[i * n + k] * b[k];
        b[i] = s / m[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* Lᵀ·x = y */
        double s = b[i];
        for (int k = i + 1; k < n; k++)
            s -= m[k * n + i] * b[k];
        b[i] = s / m[i * n + i];
    }
}

#endif
