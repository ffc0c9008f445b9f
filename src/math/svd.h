/* Singular value decomposition of small square matrices, computed exactly as OpenCV 4.6's
 * cv::SVD (SVD::compute / the SVD constructor, no flags) computes it, so that results agree
 * with OpenCV to the last bit.
 *
 * Source: OpenCV 4.6 modules/core/src/lapack.cpp — _SVDcompute (the input is transposed into
 * a work matrix At, because rows >= cols for a square matrix), hal::SVD32f / hal::SVD64f
 * (no LAPACK below 25 rows: hal_internal.cpp HAL_SVD_SMALL_MATRIX_THRESH) and
 * JacobiSVDImpl_ (one-sided Jacobi rotations of the rows of At). Numerics that matter:
 *   - column norms, dot products and singular values are accumulated in double;
 *   - the rotation (c, s) is computed in double from OpenCV's own hypot
 *     (a·sqrt(1 + (b/a)²)), then rounded to the element type; rows are rotated in the
 *     element type (c·a + s·b and −s·a + c·b, one rounding per operation);
 *   - sweeps stop when no pair has |p| > eps·sqrt(a·b), eps = 2·FLT_EPSILON (float) or
 *     10·DBL_EPSILON (double), at most max(n, 30) sweeps;
 *   - singular values are sorted in descending order (selection sort, swapping rows of At
 *     and Vt); each row of At is divided by its singular value (multiplied by the rounded
 *     reciprocal); a zero singular value (<= FLT_MIN / DBL_MIN) gets a pseudo-random unit
 *     vector orthogonal to the previous ones, from cv::RNG(0x12345678) as OpenCV does.
 * The result satisfies a ≈ u·diag(w)·vt. Signs of singular vector pairs are OpenCV's (not
 * normalised). Thread-safe; no allocation. */
#ifndef AU_MATH_SVD_H
#define AU_MATH_SVD_H

/* Largest matrix size supported (OpenFace needs 2x2 and 3x3). */
#define AU_SVD_MAX_N 4

/* SVD of the n x n float matrix a (row-major), 1 <= n <= AU_SVD_MAX_N, as cv::SVD on a
 * CV_32F matrix: w receives the n singular values in descending order, u (n x n,
 * row-major, the left singular vectors as columns) and vt (n x n, row-major, the right
 * singular vectors as rows). a is not modified and may not alias the outputs. Values of n
 * outside the supported range leave the outputs untouched. */
void au_svd_f32(const float *a, int n, float *w, float *u, float *vt);

/* The same for a double matrix (cv::SVD on CV_64F, e.g. the re-projection inside
 * cv::Rodrigues). */
void au_svd_f64(const double *a, int n, double *w, double *u, double *vt);

#endif
