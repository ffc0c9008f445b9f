/* Solving a symmetric positive definite float system exactly as OpenCV 4.6
 * cv::solve(A, b, x, DECOMP_CHOLESKY) does for one right-hand side, so that the solution
 * agrees with OpenCV (and therefore OpenFace's PDM fitting) to the last bit.
 *
 * Source: OpenCV 4.6 modules/core/src/lapack.cpp cv::solve and
 * modules/core/src/matrix_decomp.cpp CholImpl (via hal::Cholesky32f; with LAPACK compiled
 * in, OpenCV hands matrices of 100 rows or more to LAPACK sposv — hal_internal.cpp
 * HAL_CHOLESKY_SMALL_MATRIX_THRESH — which is not reproduced here: every n >= 4 uses
 * CholImpl). CLNF_SPEC.md §12.6.
 *
 * n >= 4, CholImpl, row by row with double accumulators:
 *   L[i][j] = (float)((A[i][j] − Σ_{k<j} (float)(L[i][k]·L[j][k])) · L[j][j])   for j < i
 *   s = A[i][i] − Σ_{k<i} (double)L[i][k]²;  fail if s < FLT_EPSILON
 *   L[i][i] = (float)(1/sqrt(s))            (the reciprocal of the diagonal is stored)
 *   forward:  y[i] = (float)((b[i] − Σ_{k<i} (float)(L[i][k]·y[k])) · L[i][i])
 *   backward: x[i] = (float)((y[i] − Σ_{k=n-1..i+1} (float)(L[k][i]·x[k])) · L[i][i])
 * (the products of two floats are rounded to float before they are subtracted).
 * n <= 3, cv::solve's closed form for a single right-hand side: Cramer's rule with the
 * determinant and cofactors in double (including OpenCV's float product bf(1)·Sf(2,2) in
 * the second 3x3 cofactor); it fails only when the determinant is exactly 0 and does not
 * test positive definiteness. */
#ifndef AU_MATH_CHOLESKY_H
#define AU_MATH_CHOLESKY_H

/* Largest n au_cholesky_solve_f32 accepts (it keeps n double sums on the stack); above the
 * CCNF's largest Σ (31² = 961 unknowns). */
#define AU_CHOLESKY_MAX_N 1024

/* Solves a·x = b for the n x n row-major matrix a; x is written over b (n floats).
 * a is overwritten. For n >= 4 only its lower triangle is read, and on success the lower
 * triangle holds the factor L with reciprocal diagonal and the strict upper triangle Lᵀ.
 * Returns 1 on success, 0 when the matrix is not positive definite (n >= 4) or singular
 * (n <= 3), or n < 0 or n > AU_CHOLESKY_MAX_N; b is then set to zero, as cv::solve zeroes
 * its output on failure. n == 0 succeeds and does nothing. No allocation (up to 17 kB of stack);
 * thread-safe. */
int au_cholesky_solve_f32(float *a, int n, float *b);

#endif
