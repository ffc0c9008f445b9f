/* The product H = Awᵀ·A + diag(d) summed as OpenBLAS sgemm_ sums it: OpenFace computes the
 * Hessian of its PDM fits this way (PDM.cpp CalcParams and LandmarkDetectorModel.cpp
 * CLNF::NU_RLMS: regTerm.clone(), then sgemm_(N, N, cols, cols, rows, 1, J, cols, J_w_t,
 * rows, 1, H, cols)), so the summation order is the BLAS kernel's, not the textbook one.
 *
 * The order reproduced is that of the SGEMM micro-kernel OpenBLAS 0.3.x selects on AVX2
 * cores (Haswell and Zen: kernel/x86_64/sgemm_kernel_8x4_haswell_2.c, fed by
 * driver/level3/level3.c in panels of 12, 8 or 4 columns). Every element is one chain of
 * float fused multiply-adds over k = 0..rows−1, except in the tiles the kernel computes
 * with two accumulators (k even / k odd within the blocks of 8 k, the remaining k in the
 * first one; the two are then added in float); the result is then added to the diagonal
 * entry (C = fma(acc, alpha = 1, C)). Checked bit for bit against OpenBLAS 0.3.21 (Haswell
 * and Zen kernels) for every size the PDM fits use. It assumes a single-threaded sgemm_,
 * which OpenBLAS uses while M·N·K <= 262144 (interface/gemm.c:
 * SMP_THRESHOLD_MIN·GEMM_MULTITHREAD_THRESHOLD), i.e. always for the 68-point PDM
 * (46·46·136); AVX-512 and older cores order the sums differently, and so does OpenFace
 * on them. CLNF_SPEC.md §12. */
#ifndef AU_MATH_OPENBLAS_GRAM_H
#define AU_MATH_OPENBLAS_GRAM_H

#include <stdint.h>

/* Most columns (cols) au_openblas_gram_f32 accepts; a multiple of 8. */
#define AU_OPENBLAS_GRAM_MAX_COLS 48
#define AU_OPENBLAS_GRAM_TILES (AU_OPENBLAS_GRAM_MAX_COLS / 8)

/* What the AVX2 path works out for one shape of H, which depends only on cols, on whether
 * rows >= 8 and on whether Aw is A: the tiles to sum and where each element of H is in
 * their results. Building it costs more than the product it serves, and a PDM fit asks for
 * the same shape at every iteration, so the caller keeps one per fit (in its scratch) and
 * passes it to every call: it is rebuilt only when the shape changes. Zero-initialised
 * means "none yet". */
typedef struct au_gram_plan {
    int cols, blocked, sym; /* the shape it was built for; cols = 0: none */
    unsigned char need_single[AU_OPENBLAS_GRAM_TILES * AU_OPENBLAS_GRAM_TILES];
    unsigned char need_pair[2 * AU_OPENBLAS_GRAM_TILES * AU_OPENBLAS_GRAM_TILES];
    uint16_t src[AU_OPENBLAS_GRAM_MAX_COLS * AU_OPENBLAS_GRAM_MAX_COLS];
} au_gram_plan;

/* H = Awᵀ·A + diag(d): element (r, c) of the row-major cols x cols H is
 * Σ_k Aw[k][r]·A[k][c] over k = 0..rows−1 in the order described above, plus d[r] on the
 * diagonal (d[r] + acc in float).
 *   A, Aw: rows x cols, row stride ld floats (ld >= cols). Aw is the weighted matrix (rows
 *          of A multiplied by weights) and may be A itself; then only one triangle is
 *          summed (the chains of (r, c) and (c, r) are the same fused multiply-adds).
 *   d:     cols diagonal entries to add, or NULL for none.
 * When ld is at least cols rounded up to a multiple of 8, an AVX2/FMA kernel is chosen at
 * run time on CPUs that have it (the same bits); it reads whole 8-float groups of each row,
 * so columns cols..(rounded up − 1) are read but never influence the result. Does nothing
 * when cols is outside 1..AU_OPENBLAS_GRAM_MAX_COLS. `plan`: the caller's plan for this
 * loop (see au_gram_plan; updated when the shape differs), or NULL to build one on the
 * stack for this call. Thread-safe for distinct plans; allocates nothing (about 20 kB of
 * stack). Define AU_OPENBLAS_GRAM_NO_SIMD to build only the portable code. */
void au_openblas_gram_f32(const float *A, const float *Aw, int rows, int cols, int ld,
                          const float *d, float *H, au_gram_plan *plan);

#endif
