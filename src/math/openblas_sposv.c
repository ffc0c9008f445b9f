#include "math/openblas_sposv.h"

#include <math.h>
#include <stddef.h>

/* Every matrix here is column-major, as LAPACK sees it: element (i, j) of m with leading
 * dimension ld. */
#define AT(m, ld, i, j) ((m)[(size_t)(j) * (size_t)(ld) + (size_t)(i)])

/* potrf_L_single.c factors blocks of at most DTB_ENTRIES/2 columns with potf2_L (Haswell:
 * DTB_ENTRIES = 64). */
#define POTF2_MAX_N 32

/* trsm_L.c hands the trsm kernels GEMM_UNROLL_N = 4 right-hand sides at a time; a last
 * group of 1–3 goes through the kernels' C edge code (COMPUTE_EDGE_1_nchunk). */
#define RHS_GROUP 4

/* The kernels' C edge code is compiled without contraction: c −= a·b is a product rounded
 * to float, then a subtraction. Written as two statements so that no compiler contracts
 * them (GCC in ISO C mode does not; Clang contracts only within one expression). */
static inline float sub_product(float c, float a, float b)
{
    const float p = a * b;
    return c - p;
}

/* ---- spotrf, small blocks: potf2_L.c ----------------------------------------------------- */

/* sdot_k of kernel/x86_64/sdot.c with strided vectors (potf2_L takes the row of L with
 * itself, stride lda): the products are rounded to float and added in pairs in float, the
 * pair sums accumulated in double, an odd last product added alone, the total rounded to
 * float. */
static float dot_self_strided(const float *x, int n, int inc)
{
    double acc = 0.0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
        const float x0 = x[(size_t)i * inc], x1 = x[(size_t)(i + 1) * inc];
        const float p0 = x0 * x0, p1 = x1 * x1;
        const float pair = p0 + p1;
        acc += (double)pair;
    }
    if (i < n) {
        const float x0 = x[(size_t)i * inc];
        const float p0 = x0 * x0;
        acc += (double)p0;
    }
    return (float)acc;
}

/* One row of a four-column group of sgemv_n (kernel/x86_64/sgemv_n_4.c, strided x): the
 * first (m & 12) rows go through the 4-row micro-kernel pass, which sums two products per
 * accumulator (t0 = a0·x0 + a2·x2, t1 = a1·x1 + a3·x3, then t0 + t1); the 16-row blocks
 * after them (sgemv_n_microk_haswell-4.c) chain all four fused multiply-adds from 0. */
__attribute__((always_inline)) static inline float
gemv_group_row(const float *a, int lda, const float *x, int incx, int two_acc)
{
    const float a0 = a[0], a1 = a[lda], a2 = a[2 * (size_t)lda], a3 = a[3 * (size_t)lda];
    const float x0 = x[0], x1 = x[incx], x2 = x[2 * (size_t)incx], x3 = x[3 * (size_t)incx];
    if (two_acc) {
        float t0 = a0 * x0, t1 = a1 * x1;
        t0 = fmaf(a2, x2, t0);
        t1 = fmaf(a3, x3, t1);
        return t0 + t1;
    }
    float t = fmaf(a0, x0, 0.0f);
    t = fmaf(a1, x1, t);
    t = fmaf(a2, x2, t);
    return fmaf(a3, x3, t);
}

/* y −= A·x as potf2_L calls sgemv_n (alpha = −1, x strided): rows below m rounded down to
 * 4 take each four-column group as one sum t (y = fma(t, −1, y), i.e. y − t) and each
 * remaining column as one product; the last m mod 4 rows are plain float dot products over
 * all columns (the driver's scalar tail), subtracted once. Always inlined so that
 * potf2_lower's FMA clone compiles it (and its fmaf) for FMA. */
__attribute__((always_inline)) static inline void
gemv_minus(int m, int n, const float *a, int lda, const float *x, int incx, float *y)
{
    const int m4 = m & ~3, n4 = n & ~3, two_acc_rows = m & 12;
    for (int r = 0; r < m4; r++) {
        int c = 0;
        for (; c < n4; c += 4) {
            const float t = gemv_group_row(&AT(a, lda, r, c), lda, x + (size_t)c * incx, incx,
                                           r < two_acc_rows);
            y[r] -= t;
        }
        for (; c < n; c++) {
            const float t = AT(a, lda, r, c) * x[(size_t)c * incx];
            y[r] -= t;
        }
    }
    for (int r = m4; r < m; r++) {
        float t = 0.0f;
        for (int c = 0; c < n; c++) {
            const float p = AT(a, lda, r, c) * x[(size_t)c * incx];
            t += p;
        }
        y[r] -= t;
    }
}

/* potf2_L.c: column by column, a_jj −= dot(row j), sqrt (in double, which rounds to the
 * same float as sqrtf), the column below −= L·row j, then times the float 1/a_jj. */
/* The FMA clone turns the fmaf of gemv_group_row into an instruction (otherwise a libm
 * call each); the bits are the same. */
__attribute__((target_clones("fma", "default"))) static int potf2_lower(float *a, int lda,
                                                                       int n)
{
    for (int j = 0; j < n; j++) {
        float ajj = AT(a, lda, j, j) - dot_self_strided(&AT(a, lda, j, 0), j, lda);
        if (ajj <= 0.0f) {
            AT(a, lda, j, j) = ajj;
            return j + 1;
        }
        ajj = sqrtf(ajj);
        AT(a, lda, j, j) = ajj;
        const int below = n - j - 1;
        if (below == 0)
            continue;
        gemv_minus(below, j, &AT(a, lda, j + 1, 0), lda, &AT(a, lda, j, 0), lda,
                   &AT(a, lda, j + 1, j));
        const float scale = 1.0f / ajj;
        for (int r = 0; r < below; r++)
            AT(a, lda, j + 1 + r, j) *= scale;
    }
    return 0;
}

/* ---- spotrf, blocked: potrf_L_single.c ---------------------------------------------------- */

/* strsm_kernel_8x4_haswell_RN.c cuts the bk columns of a panel into chunks of 12, 8 and 4
 * (assembly) and then 2 and 1 (C edge code). */
static int rn_chunk_width(int rest)
{
    return rest >= 12 ? 12 : rest >= 8 ? 8 : rest >= 4 ? 4 : rest >= 2 ? 2 : 1;
}

/* TRSM_KERNEL_RN as potrf_L_single.c calls it: rows r0..r0+m−1 of the panel columns
 * j..j+bk−1 become X with X·L11ᵀ = A21 (L11 the factored diagonal block). For column c of
 * a chunk starting at c0, every row: the solved columns p < c0 are one chain of fused
 * multiply-adds (assembly: −x_p·l from 0, then added to a; edge: sgemm chain, a − sum),
 * the chunk's earlier columns are subtracted in order (assembly: fused; edge: product then
 * subtraction), and the result is multiplied by the float reciprocal of l_cc (the trsm
 * copy routines store 1/diagonal). Rows are independent, so they are the inner loop. */
__attribute__((target_clones("fma", "default"))) static void
panel_solve(float *a, int lda, int j, int bk, int r0, int m, float *acc)
{
    for (int c0 = 0, w; c0 < bk; c0 += w) {
        w = rn_chunk_width(bk - c0);
        const int fused = w >= 4;
        for (int c = c0; c < c0 + w; c++) {
            float *col = &AT(a, lda, r0, j + c);
            for (int r = 0; r < m; r++)
                acc[r] = 0.0f;
            for (int p = 0; p < c0; p++) {
                const float l = AT(a, lda, j + c, j + p), nl = -l;
                const float *xp = &AT(a, lda, r0, j + p);
                for (int r = 0; r < m; r++)
                    acc[r] = fused ? fmaf(nl, xp[r], acc[r]) : fmaf(xp[r], l, acc[r]);
            }
            for (int r = 0; r < m; r++)
                col[r] = fused ? col[r] + acc[r] : col[r] - acc[r];
            for (int i = c0; i < c; i++) {
                const float l = AT(a, lda, j + c, j + i), nl = -l;
                const float *xi = &AT(a, lda, r0, j + i);
                for (int r = 0; r < m; r++)
                    col[r] = fused ? fmaf(nl, xi[r], col[r]) : sub_product(col[r], xi[r], l);
            }
            const float inv = 1.0f / AT(a, lda, j + c, j + c);
            for (int r = 0; r < m; r++)
                col[r] *= inv;
        }
    }
}

/* SYRK_KERNEL_L (driver/level3/syrk_kernel.c) as potrf_L_single.c calls it: the lower
 * triangle of the n2 x n2 block at (s, s) −= X·Xᵀ, X = the solved panel rows s.. in columns
 * j..j+bk−1. The Haswell sgemm kernel sums each element as one chain of fused
 * multiply-adds over p ascending from 0 for these calls (checked for k = bk), and both of
 * syrk_kernel.c's paths (kernel straight into C with alpha = −1, or into a zeroed buffer
 * then added) round once: C − sum. */
__attribute__((target_clones("fma", "default"))) static void
trailing_update(float *a, int lda, int j, int bk, int s, int n2, float *sum)
{
    for (int c = 0; c < n2; c++) {
        for (int r = c; r < n2; r++)
            sum[r] = 0.0f;
        for (int p = 0; p < bk; p++) {
            const float *xp = &AT(a, lda, s, j + p);
            const float xc = xp[c];
            for (int r = c; r < n2; r++)
                sum[r] = fmaf(xp[r], xc, sum[r]);
        }
        float *col = &AT(a, lda, s, s + c);
        for (int r = c; r < n2; r++)
            col[r] -= sum[r];
    }
}

/* potrf_L_single.c: blocks of n/4 columns (n <= 4·GEMM_Q), each factored recursively, then
 * the rows below solved against it and the trailing matrix updated. Returns LAPACK's info. */
static int potrf_lower(float *a, int lda, int n, float *scratch)
{
    if (n <= POTF2_MAX_N)
        return potf2_lower(a, lda, n);
    const int blocking = n / 4;
    for (int j = 0; j < n; j += blocking) {
        const int bk = n - j < blocking ? n - j : blocking;
        const int info = potrf_lower(&AT(a, lda, j, j), lda, bk, scratch);
        if (info)
            return info + j;
        const int rest = n - j - bk;
        if (rest > 0) {
            panel_solve(a, lda, j, bk, j + bk, rest, scratch);
            trailing_update(a, lda, j, bk, j + bk, rest, scratch);
        }
    }
    return 0;
}

/* ---- spotrs: two strsm (trsm_L.c, one block for n <= GEMM_P, GEMM_Q) ---------------------- */

/* First row of the tile holding row r in strsm_kernel_8x4_haswell_LT.c (and its edge
 * code): 8-row tiles from the top, then one tile each of 4, 2 and 1 rows as n has them. */
static int forward_tile_start(int n, int r)
{
    int start = n / 8 * 8;
    if (r < start)
        return r / 8 * 8;
    for (int w = 4; w >= 1; w /= 2)
        if (n & w) {
            if (r < start + w)
                return start;
            start += w;
        }
    return start;
}

/* One past the last row of the tile holding row r in strsm_kernel_8x4_haswell_LN.c (and its
 * edge code): the tiles of 1, 2 and 4 rows come first, from the bottom, then 8-row tiles
 * upward. */
static int backward_tile_end(int n, int r)
{
    int end = n;
    for (int w = 1; w <= 4; w *= 2)
        if (n & w) {
            if (r >= end - w)
                return end;
            end -= w;
        }
    return end - (end - 1 - r) / 8 * 8;
}

/* strsm L·Y = B (Left, Lower, No transpose, Non-unit: TRSM_KERNEL_LT) for the right-hand
 * sides j0..j1−1, top to bottom. Row r: the rows above its tile are one fused chain per
 * element (fused: −l·y from 0, added to b; edge: sgemm chain, b − sum), the tile's rows
 * above r are subtracted in order, then the product with the float 1/l_rr. Right-hand
 * sides are independent, so they are the inner loop. */
__attribute__((target_clones("fma", "default"))) static void
forward_solve(const float *a, int lda, int n, float *b, int ldb, int j0, int j1, int fused,
              float *acc)
{
    for (int r = 0; r < n; r++) {
        const int ts = forward_tile_start(n, r);
        for (int j = j0; j < j1; j++)
            acc[j - j0] = 0.0f;
        for (int p = 0; p < ts; p++) {
            const float l = AT(a, lda, r, p), nl = -l;
            for (int j = j0; j < j1; j++) {
                const float y = AT(b, ldb, p, j);
                acc[j - j0] = fused ? fmaf(nl, y, acc[j - j0]) : fmaf(l, y, acc[j - j0]);
            }
        }
        for (int j = j0; j < j1; j++)
            AT(b, ldb, r, j) = fused ? AT(b, ldb, r, j) + acc[j - j0]
                                     : AT(b, ldb, r, j) - acc[j - j0];
        for (int i = ts; i < r; i++) {
            const float l = AT(a, lda, r, i), nl = -l;
            for (int j = j0; j < j1; j++)
                AT(b, ldb, r, j) = fused ? fmaf(nl, AT(b, ldb, i, j), AT(b, ldb, r, j))
                                         : sub_product(AT(b, ldb, r, j), AT(b, ldb, i, j), l);
        }
        const float inv = 1.0f / AT(a, lda, r, r);
        for (int j = j0; j < j1; j++)
            AT(b, ldb, r, j) *= inv;
    }
}

/* strsm Lᵀ·X = Y (Left, Lower, Transpose, Non-unit: TRSM_KERNEL_LN), bottom to top. Row r:
 * the rows below its tile are one fused chain per element — in the assembly from the
 * bottom row upward (−l·x from 0, added to y), in the edge code from the tile end downward
 * (sgemm chain, y − sum) — then the tile's rows below r are subtracted in descending row
 * order, then the product with the float 1/l_rr. */
__attribute__((target_clones("fma", "default"))) static void
backward_solve(const float *a, int lda, int n, float *b, int ldb, int j0, int j1, int fused,
               float *acc)
{
    for (int r = n - 1; r >= 0; r--) {
        const int te = backward_tile_end(n, r);
        for (int j = j0; j < j1; j++)
            acc[j - j0] = 0.0f;
        for (int q = 0; q < n - te; q++) {
            const int p = fused ? n - 1 - q : te + q;
            const float l = AT(a, lda, p, r), nl = -l;
            for (int j = j0; j < j1; j++) {
                const float x = AT(b, ldb, p, j);
                acc[j - j0] = fused ? fmaf(nl, x, acc[j - j0]) : fmaf(l, x, acc[j - j0]);
            }
        }
        for (int j = j0; j < j1; j++)
            AT(b, ldb, r, j) = fused ? AT(b, ldb, r, j) + acc[j - j0]
                                     : AT(b, ldb, r, j) - acc[j - j0];
        for (int i = te - 1; i > r; i--) {
            const float l = AT(a, lda, i, r), nl = -l;
            for (int j = j0; j < j1; j++)
                AT(b, ldb, r, j) = fused ? fmaf(nl, AT(b, ldb, i, j), AT(b, ldb, r, j))
                                         : sub_product(AT(b, ldb, r, j), AT(b, ldb, i, j), l);
        }
        const float inv = 1.0f / AT(a, lda, r, r);
        for (int j = j0; j < j1; j++)
            AT(b, ldb, r, j) *= inv;
    }
}

/* Reference LAPACK spotrs with uplo 'L': L·Y = B, then Lᵀ·X = Y; the right-hand sides of
 * whole groups of four go through the kernels' assembly, the rest through the edge code. */
static void potrs_lower(const float *a, int lda, int n, float *b, int ldb, int nrhs,
                        float *acc)
{
    const int grouped = nrhs - nrhs % RHS_GROUP;
    forward_solve(a, lda, n, b, ldb, 0, grouped, 1, acc);
    forward_solve(a, lda, n, b, ldb, grouped, nrhs, 0, acc);
    backward_solve(a, lda, n, b, ldb, 0, grouped, 1, acc);
    backward_solve(a, lda, n, b, ldb, grouped, nrhs, 0, acc);
}

/* ---- spotrs with the identity right-hand side, on a row-major copy ------------------------
 * The same sums as forward_solve/backward_solve, element for element and term for term, but
 * with Y and X stored row by row (y[r·n + j] = element (r, j)) so that the loops over the
 * right-hand sides j read contiguous memory and vectorise (the column-major loops read one
 * float every n). With B = I, row r of Y = L⁻¹ is zero right of the diagonal, and the
 * forward terms taking a zero y are skipped: every sum there starts at +0, a product with +0
 * is ±0, and +0 + ±0 = +0, so the skipped terms never change a sum (nor does a row ever
 * hold −0: b + acc and b − acc with b = +0 round an exact zero to +0). */

/* L·Y = I, rows top to bottom (forward_solve with the identity, row-major Y). Columns below
 * `grouped` take the fused (assembly) pattern, the others the edge code's. */
__attribute__((target_clones("fma", "default"))) static void
forward_identity(const float *a, int lda, int n, int grouped, float *y, float *acc)
{
    for (int r = 0; r < n; r++) {
        const int ts = forward_tile_start(n, r);
        float *yr = y + (size_t)r * n;
        for (int j = 0; j < n; j++)
            yr[j] = j == r ? 1.0f : 0.0f;
        for (int j = 0; j <= r; j++)
            acc[j] = 0.0f;
        for (int p = 0; p < ts; p++) { /* y[p][j] = 0 for j > p */
            const float l = AT(a, lda, r, p), nl = -l;
            const float *yp = y + (size_t)p * n;
            const int fe = p < grouped ? p + 1 : grouped;
            for (int j = 0; j < fe; j++)
                acc[j] = fmaf(nl, yp[j], acc[j]);
            for (int j = grouped; j <= p; j++)
                acc[j] = fmaf(l, yp[j], acc[j]);
        }
        const int re = r < grouped ? r + 1 : grouped;
        for (int j = 0; j < re; j++)
            yr[j] = yr[j] + acc[j];
        for (int j = grouped; j <= r; j++)
            yr[j] = yr[j] - acc[j];
        for (int i = ts; i < r; i++) {
            const float l = AT(a, lda, r, i), nl = -l;
            const float *yi = y + (size_t)i * n;
            const int ie = i < grouped ? i + 1 : grouped;
            for (int j = 0; j < ie; j++)
                yr[j] = fmaf(nl, yi[j], yr[j]);
            for (int j = grouped; j <= i; j++)
                yr[j] = sub_product(yr[j], yi[j], l);
        }
        const float inv = 1.0f / AT(a, lda, r, r);
        for (int j = 0; j <= r; j++)
            yr[j] *= inv;
    }
}

/* Lᵀ·X = Y in place, rows bottom to top (backward_solve, row-major). The rows below the
 * tile are summed from the bottom up in the fused columns and from the tile end down in the
 * edge columns, as there. */
__attribute__((target_clones("fma", "default"))) static void
backward_rows(const float *a, int lda, int n, int grouped, float *x, float *acc)
{
    for (int r = n - 1; r >= 0; r--) {
        const int te = backward_tile_end(n, r);
        float *xr = x + (size_t)r * n;
        for (int j = 0; j < n; j++)
            acc[j] = 0.0f;
        for (int p = n - 1; p >= te; p--) {
            const float nl = -AT(a, lda, p, r);
            const float *xp = x + (size_t)p * n;
            for (int j = 0; j < grouped; j++)
                acc[j] = fmaf(nl, xp[j], acc[j]);
        }
        for (int p = te; p < n; p++) {
            const float l = AT(a, lda, p, r);
            const float *xp = x + (size_t)p * n;
            for (int j = grouped; j < n; j++)
                acc[j] = fmaf(l, xp[j], acc[j]);
        }
        for (int j = 0; j < grouped; j++)
            xr[j] = xr[j] + acc[j];
        for (int j = grouped; j < n; j++)
            xr[j] = xr[j] - acc[j];
        for (int i = te - 1; i > r; i--) {
            const float l = AT(a, lda, i, r), nl = -l;
            const float *xi = x + (size_t)i * n;
            for (int j = 0; j < grouped; j++)
                xr[j] = fmaf(nl, xi[j], xr[j]);
            for (int j = grouped; j < n; j++)
                xr[j] = sub_product(xr[j], xi[j], l);
        }
        const float inv = 1.0f / AT(a, lda, r, r);
        for (int j = 0; j < n; j++)
            xr[j] *= inv;
    }
}

int au_openblas_sposv_identity_f32(int n, float *a, int lda, float *b, int ldb, float *work)
{
    if (n < 0 || n > AU_OPENBLAS_SPOSV_MAX_N || lda < (n > 1 ? n : 1) ||
        ldb < (n > 1 ? n : 1) || (n > 0 && (!a || !b || !work)))
        return -1;
    if (n == 0)
        return 0;
    float scratch[AU_OPENBLAS_SPOSV_MAX_N];
    const int info = potrf_lower(a, lda, n, scratch);
    if (info)
        return info;
    const int grouped = n - n % RHS_GROUP;
    forward_identity(a, lda, n, grouped, work, scratch);
    backward_rows(a, lda, n, grouped, work, scratch);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            AT(b, ldb, i, j) = work[(size_t)i * n + j];
    return 0;
}

int au_openblas_sposv_lower_f32(int n, int nrhs, float *a, int lda, float *b, int ldb)
{
    if (n < 0 || nrhs < 0 || n > AU_OPENBLAS_SPOSV_MAX_N || nrhs > AU_OPENBLAS_SPOSV_MAX_N ||
        lda < (n > 1 ? n : 1) || ldb < (n > 1 ? n : 1) || (n > 0 && (!a || (nrhs > 0 && !b))))
        return -1;
    if (n == 0)
        return 0;
    float scratch[AU_OPENBLAS_SPOSV_MAX_N];
    const int info = potrf_lower(a, lda, n, scratch);
    if (info)
        return info;
    potrs_lower(a, lda, n, b, ldb, nrhs, scratch);
    return 0;
}
