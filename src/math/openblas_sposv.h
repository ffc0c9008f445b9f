/* LAPACK sposv with uplo = 'L' computed as OpenBLAS 0.3.21 computes it with its Haswell
 * kernels on one thread, bit for bit, without OpenBLAS.
 *
 * Why: OpenCV 4.6 cv::invert(A, X, DECOMP_CHOLESKY) hands matrices of 100 rows or more to
 * LAPACK (hal_internal.cpp lapack_Cholesky, HAL_CHOLESKY_SMALL_MATRIX_THRESH): the row-major
 * A is passed unchanged as a column-major matrix with uplo 'L' (so LAPACK reads the upper
 * triangle in row-major terms), the right-hand side is the identity, and the solution is
 * transposed back. OpenFace 2.2's CCNF Σ for window 11 (121 unknowns) goes that way, and its
 * rounding is that of the BLAS kernels, not CholImpl's.
 *
 * The call chain reproduced (reference LAPACK sposv → OpenBLAS spotrf + reference spotrs):
 *   spotrf: lapack/potrf/potrf_L_single.c (n <= DTB_ENTRIES/2 = 32: potf2_L.c with the
 *           Haswell sdot and sgemv_n kernels; else blocks of n/4 columns, recursively, each
 *           followed by TRSM_KERNEL_RN = strsm_kernel_8x4_haswell_RN.c and SYRK_KERNEL_L =
 *           driver/level3/syrk_kernel.c over sgemm_kernel_8x4_haswell_2.c);
 *   spotrs: strsm L·Y = B (driver/level3/trsm_L.c, TRSM_KERNEL_LT =
 *           strsm_kernel_8x4_haswell_LT.c) then Lᵀ·X = Y (TRSM_KERNEL_LN =
 *           strsm_kernel_8x4_haswell_LN.c), right-hand sides in groups of GEMM_UNROLL_N = 4.
 * Checked bit for bit against libopenblas 0.3.21 (serial and pthread builds,
 * OPENBLAS_CORETYPE=Haswell, one thread) on random SPD matrices for n = 1..289 (sizes
 * 1, 2, 3, 5, 17, 32, 33, 40, 64, 99..103, 110, 121..123, 144, 169, 196, 225, 289) with 1–7
 * random right-hand sides or the identity, for n = 361, 400, 441 with the identity, and on
 * the 410 window-11 Σ⁻¹ of OpenFace's sample1.jpg run. Beyond that (n >= 361 with other
 * right-hand sides, n >= 529 with any: windows of 19 or 23 and more) OpenBLAS blocks
 * differently and the bits are not guaranteed (the solution is still correct to rounding).
 * Written with fmaf, so the bits are the same on any machine. */
#ifndef AU_MATH_OPENBLAS_SPOSV_H
#define AU_MATH_OPENBLAS_SPOSV_H

/* Largest n au_openblas_sposv_lower_f32 accepts (the CCNF's largest window, 31² = 961). */
#define AU_OPENBLAS_SPOSV_MAX_N 1024

/* sposv_("L", n, nrhs, a, lda, b, ldb, info) for column-major a (n x n, leading dimension
 * lda >= n; only the lower triangle is read) and b (n x nrhs, leading dimension ldb >= n).
 * On success a's lower triangle holds the Cholesky factor L (A = L·Lᵀ), b the solution X
 * of A·X = B, and 0 is returned. When the leading minor of order k is not positive
 * definite, returns k (LAPACK's info; a partly factored, b unchanged). Returns −1 for bad
 * arguments (n or nrhs outside 0..AU_OPENBLAS_SPOSV_MAX_N, lda or ldb < n, a or b NULL).
 * Allocates nothing (4 kB of stack); thread-safe. */
int au_openblas_sposv_lower_f32(int n, int nrhs, float *a, int lda, float *b, int ldb);

/* The same call with B = I (nrhs = n), the inverse of A: the same bits as
 * au_openblas_sposv_lower_f32 with an identity b, computed about 3x faster (contiguous
 * inner loops, and the zeros of L⁻¹ skipped where skipping provably changes no sum). b
 * (n x n, leading dimension ldb >= n) need not be initialised; it receives X column-major.
 *   work: n·n floats of scratch, overwritten.
 * Return values as au_openblas_sposv_lower_f32 (on failure b is not written). Allocates
 * nothing; thread-safe. */
int au_openblas_sposv_identity_f32(int n, float *a, int lda, float *b, int ldb, float *work);

#endif
