/* Note on duplication: the update (orthonormalise + Rodrigues round trip) and the Hessian's
 * OpenBLAS summation model also exist as static functions in face/calcparams.c, which this
 * module may not change. They are reproduced here operation by operation; exposing them from
 * calcparams.h would let both share one copy. */
#include "landmark/clnf_pdm_ops.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face/rotation.h"
#include "math/cholesky.h"
#include "math/svd.h"

/* x86-64 with GCC or Clang: an AVX2/FMA Hessian kernel chosen at run time (as
 * landmark/ccnf.c does). AU_CLNF_NO_SIMD builds only the portable code. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(AU_CLNF_NO_SIMD)
#define AU_CLNF_X86 1
#include <immintrin.h>
#endif

#define JS AU_CLNF_JSTRIDE

/* PDM::Clamp: float n_sigmas = 3 */
#define CLAMP_SIGMAS 3.0f

void au_clnf_global_from_box(const au_pdm *pdm, const float box[4], const float rotation[3],
                             float global[6])
{
    const int n = pdm->n;
    if (n < 1 || n > AU_PDM_MAX_POINTS)
        return;
    /* CalcShape3D with p = 0 is the mean itself (the sgemm_ adds exact zeros) */
    const float *S = pdm->mean;
    float R[9];
    au_euler_to_rotation(rotation, R);
    double min_x = 0, max_x = 0, min_y = 0, max_y = 0;
    for (int i = 0; i < n; i++) {
        /* cv::gemm fast path (len 3): float products summed left to right */
        const float qx = R[0] * S[i] + R[1] * S[n + i] + R[2] * S[2 * n + i];
        const float qy = R[3] * S[i] + R[4] * S[n + i] + R[5] * S[2 * n + i];
        if (i == 0 || qx < min_x)
            min_x = qx;
        if (i == 0 || qx > max_x)
            max_x = qx;
        if (i == 0 || qy < min_y)
            min_y = qy;
        if (i == 0 || qy > max_y)
            max_y = qy;
    }
    const float width = (float)fabs(min_x - max_x), height = (float)fabs(min_y - max_y);
    const float s = ((box[2] / width) + (box[3] / height)) / 2.0f;
    const float tx0 = box[0] + box[2] / 2, ty0 = box[1] + box[3] / 2;
    global[0] = s;
    global[1] = rotation[0];
    global[2] = rotation[1];
    global[3] = rotation[2];
    /* tx = tx - scaling * (min_x + max_x) / 2.0f: float·double, then / 2.0f, in double */
    global[4] = (float)((double)tx0 - (double)s * (min_x + max_x) / 2.0);
    global[5] = (float)((double)ty0 - (double)s * (min_y + max_y) / 2.0);
}

float *au_clnf_transpose_components(const au_pdm *pdm)
{
    const int rows = 3 * pdm->n, m = pdm->m;
    float *t = malloc((size_t)(rows > 0 ? rows : 1) * (size_t)(m > 0 ? m : 1) * sizeof *t);
    if (!t)
        return NULL;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < m; j++)
            t[(size_t)j * rows + r] = pdm->pc[(size_t)r * m + j];
    return t;
}

/* Cloned for FMA hardware (fmaf inline instead of a libm call; the same bits either way). */
__attribute__((target_clones("fma", "default")))
void au_clnf_shape3d(const au_pdm *pdm, const float *pc_t, const float *p, float *out3n)
{
    const int rows = 3 * pdm->n, m = pdm->m;
    float acc[3 * AU_PDM_MAX_POINTS];
    for (int r = 0; r < rows; r++)
        acc[r] = 0.0f;
    for (int j = 0; j < m; j++) {
        const float *v = pc_t + (size_t)j * rows;
        const float pj = p[j];
        for (int r = 0; r < rows; r++)
            acc[r] = fmaf(v[r], pj, acc[r]);
    }
    for (int r = 0; r < rows; r++)
        out3n[r] = pdm->mean[r] + acc[r];
}

void au_clnf_shape2d_from_3d(const float *shape3d, int n, const float global[6], float *out2n)
{
    float R[9];
    const float s = global[0], tx = global[4], ty = global[5];
    au_euler_to_rotation(global + 1, R);
    for (int i = 0; i < n; i++) {
        const float X = shape3d[i], Y = shape3d[i + n], Z = shape3d[i + 2 * n];
        out2n[i] = s * (R[0] * X + R[1] * Y + R[2] * Z) + tx;
        out2n[i + n] = s * (R[3] * X + R[4] * Y + R[5] * Z) + ty;
    }
}

void au_clnf_jacobian(const au_pdm *pdm, const float *shape3d, const float global[6], int rigid,
                      float *J)
{
    const int n = pdm->n, m = rigid ? 0 : pdm->m;
    const float s = global[0];
    float R[9];
    au_euler_to_rotation(global + 1, R);
    const float r11 = R[0], r12 = R[1], r13 = R[2], r21 = R[3], r22 = R[4], r23 = R[5];
    for (int i = 0; i < n; i++) {
        const float X = shape3d[i], Y = shape3d[i + n], Z = shape3d[i + 2 * n];
        float *jx = J + (size_t)i * JS, *jy = J + (size_t)(i + n) * JS;
        jx[0] = X * r11 + Y * r12 + Z * r13;
        jy[0] = X * r21 + Y * r22 + Z * r23;
        jx[1] = s * (Y * r13 - Z * r12);
        jy[1] = s * (Y * r23 - Z * r22);
        jx[2] = -s * (X * r13 - Z * r11);
        jy[2] = -s * (X * r23 - Z * r21);
        jx[3] = s * (X * r12 - Y * r11);
        jy[3] = s * (X * r22 - Y * r21);
        jx[4] = 1.0f;
        jy[4] = 0.0f;
        jx[5] = 0.0f;
        jy[5] = 1.0f;
        const float *vx = pdm->pc + (size_t)i * pdm->m, *vy = pdm->pc + (size_t)(i + n) * pdm->m;
        const float *vz = pdm->pc + (size_t)(i + 2 * n) * pdm->m;
        for (int j = 0; j < m; j++) {
            jx[6 + j] = s * (r11 * vx[j] + r12 * vy[j] + r13 * vz[j]);
            jy[6 + j] = s * (r21 * vx[j] + r22 * vy[j] + r23 * vz[j]);
        }
    }
}

/* ---- Hessian: OpenBLAS 0.3.21 AVX2 SGEMM summation order ------------------------------------
 * The kernel (kernel/x86_64/sgemm_kernel_8x4_haswell_2.c, driven by driver/level3/level3.c in
 * panels of 12, 8 or 4 columns) sums each element as one fused multiply-add chain over k,
 * except in the tiles it computes with two accumulators (k even / k odd within the blocks of
 * 8 k, the remaining k in the first; the two are then added). Same model as
 * face/calcparams.c compute_hessian, which was checked bit for bit against OpenBLAS 0.3.21.
 * split[col·P + row] marks element (row, col) of the column-major result C. */

static void mark_split(unsigned char *split, int P, int c0, int width, int from, int count)
{
    for (int c = c0; c < c0 + width && c < P; c++)
        for (int r = from; r < from + count && r < P; r++)
            split[c * P + r] = 1;
}

static void haswell_split_tiles(int P, int K, unsigned char *split)
{
    memset(split, 0, (size_t)P * P);
    if (K < 8)
        return; /* the two-accumulator loops need 8 k at least */
    for (int c0 = 0; c0 < P;) {
        const int rest = P - c0;
        const int width = rest >= 12 ? 12 : rest >= 8 ? 8 : rest > 4 ? 4 : rest;
        if (width == 12 && P >= 16) {
            /* COMPUTE_n12: halves of 6 columns, staggered by 8 rows */
            mark_split(split, P, c0, 6, 0, 8); /* COMPUTE_H_m8n6 (left, rows 0-7) */
            int row = 0, left = P;
            for (;;) {
                row += 8; /* COMPUTE_R_m16n6 */
                left -= 8;
                if (left < 16) {
                    mark_split(split, P, c0, 6, row, 8); /* COMPUTE_T_m8n6 (left) */
                    break;
                }
                row += 8; /* COMPUTE_L_m16n6 */
                left -= 8;
                if (left < 16) {
                    mark_split(split, P, c0 + 6, 6, row, 8); /* COMPUTE_T_m8n6 (right) */
                    break;
                }
            }
        } else if (width == 4 || width == 8) {
            mark_split(split, P, c0, width, 0, P / 8 * 8); /* COMPUTE_m8n4 / COMPUTE_m8n8 */
        }
        c0 += width;
    }
}

/* Row r of Jwᵀ·J for columns [c0, cols): the single chain and the even/odd pair. Each
 * element keeps its own chain in k order, so computing many c together (which vectorises)
 * gives the same bits as one element at a time. */
static inline __attribute__((always_inline)) void
hessian_row(const float *J, const float *Jw, int rows, int cols, int r, int c0, float *single,
            float *even, float *odd)
{
    for (int c = c0; c < cols; c++)
        single[c] = even[c] = odd[c] = 0.0f;
    for (int k = 0; k < rows; k++) {
        const float a = Jw[(size_t)k * JS + r];
        const float *row = J + (size_t)k * JS;
        for (int c = c0; c < cols; c++)
            single[c] = fmaf(a, row[c], single[c]);
    }
    const int blocked = rows >= 8 ? rows / 8 * 8 : 0;
    int k = 0;
    for (; k < blocked; k += 2) {
        const float a0 = Jw[(size_t)k * JS + r], a1 = Jw[(size_t)(k + 1) * JS + r];
        const float *row0 = J + (size_t)k * JS, *row1 = row0 + JS;
        for (int c = c0; c < cols; c++) {
            even[c] = fmaf(a0, row0[c], even[c]);
            odd[c] = fmaf(a1, row1[c], odd[c]);
        }
    }
    for (; k < rows; k++) {
        const float a = Jw[(size_t)k * JS + r];
        const float *row = J + (size_t)k * JS;
        for (int c = c0; c < cols; c++)
            even[c] = fmaf(a, row[c], even[c]);
    }
}

/* Cloned for FMA hardware, where fmaf is one instruction instead of a libm call. */
__attribute__((target_clones("fma", "default"))) static void
hessian_row_portable(const float *J, const float *Jw, int rows, int cols, int r, int c0,
                     float *single, float *even, float *odd)
{
    hessian_row(J, Jw, rows, cols, r, c0, single, even, odd);
}

#ifdef AU_CLNF_X86
static int cpu_has_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* The chains in register tiles: an 8-row x 8-column tile of single chains (8 accumulators,
 * one per row r, each 8 columns wide: one load of J's row k and 8 broadcasts of Jw[k][r] per
 * step) and 4-row x 8-column tiles of even/odd pairs. Independent chains side by side keep
 * the FMA units busy; every element still has its own chain in k order. Rows and columns
 * past `cols` inside a tile compute values that are never used (reads stay inside the
 * AU_CLNF_JSTRIDE-wide rows). */
__attribute__((target("avx2,fma"))) static void
single_tile_avx2(const float *J, const float *Jw, int rows, int r0, int v, float *S)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
           a7 = a0;
    const float *jc = J + 8 * v, *wr = Jw + r0;
    for (int k = 0; k < rows; k++, jc += JS, wr += JS) {
        const __m256 x = _mm256_loadu_ps(jc);
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 0), x, a0);
        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 1), x, a1);
        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 2), x, a2);
        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 3), x, a3);
        a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 4), x, a4);
        a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 5), x, a5);
        a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 6), x, a6);
        a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 7), x, a7);
    }
    float *o = S + (size_t)r0 * JS + 8 * v;
    _mm256_storeu_ps(o, a0);
    _mm256_storeu_ps(o + JS, a1);
    _mm256_storeu_ps(o + 2 * JS, a2);
    _mm256_storeu_ps(o + 3 * JS, a3);
    _mm256_storeu_ps(o + 4 * JS, a4);
    _mm256_storeu_ps(o + 5 * JS, a5);
    _mm256_storeu_ps(o + 6 * JS, a6);
    _mm256_storeu_ps(o + 7 * JS, a7);
}

__attribute__((target("avx2,fma"))) static void
pair_tile_avx2(const float *J, const float *Jw, int rows, int r0, int v, float *P)
{
    __m256 e0 = _mm256_setzero_ps(), e1 = e0, e2 = e0, e3 = e0;
    __m256 o0 = e0, o1 = e0, o2 = e0, o3 = e0;
    const int blocked = rows >= 8 ? rows / 8 * 8 : 0;
    const float *jc = J + 8 * v, *wr = Jw + r0;
    int k = 0;
    for (; k < blocked; k += 2, jc += 2 * JS, wr += 2 * JS) {
        const __m256 x0 = _mm256_loadu_ps(jc), x1 = _mm256_loadu_ps(jc + JS);
        e0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 0), x0, e0);
        o0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + JS + 0), x1, o0);
        e1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 1), x0, e1);
        o1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + JS + 1), x1, o1);
        e2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 2), x0, e2);
        o2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + JS + 2), x1, o2);
        e3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 3), x0, e3);
        o3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + JS + 3), x1, o3);
    }
    for (; k < rows; k++, jc += JS, wr += JS) {
        const __m256 x = _mm256_loadu_ps(jc);
        e0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 0), x, e0);
        e1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 1), x, e1);
        e2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 2), x, e2);
        e3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 3), x, e3);
    }
    /* the kernel adds the two accumulators at the end: even + odd, in float */
    float *o = P + (size_t)r0 * JS + 8 * v;
    _mm256_storeu_ps(o, _mm256_add_ps(e0, o0));
    _mm256_storeu_ps(o + JS, _mm256_add_ps(e1, o1));
    _mm256_storeu_ps(o + 2 * JS, _mm256_add_ps(e2, o2));
    _mm256_storeu_ps(o + 3 * JS, _mm256_add_ps(e3, o3));
}

/* S (single chains) and P (even + odd) for the rows r < cols, in tiles; with sym only the
 * tiles on or right of the diagonal. S and P are JS x JS. */
static void hessian_tiles_avx2(const float *J, const float *Jw, int rows, int cols, int sym,
                               float *S, float *P)
{
    const int nv = (cols + 7) / 8;
    for (int r0 = 0; r0 < cols; r0 += 8)
        for (int v = sym ? r0 / 8 : 0; v < nv; v++) {
            single_tile_avx2(J, Jw, rows, r0, v, S);
            pair_tile_avx2(J, Jw, rows, r0, v, P);
            if (r0 + 4 < cols)
                pair_tile_avx2(J, Jw, rows, r0 + 4, v, P);
        }
}
#endif

void au_clnf_hessian(const float *J, const float *Jw, int rows, int cols, const float *reg,
                     float *H)
{
    unsigned char split[AU_CLNF_MAX_PARAMS * AU_CLNF_MAX_PARAMS];
    if (cols < 1 || cols > AU_CLNF_MAX_PARAMS)
        return;
    haswell_split_tiles(cols, rows, split);
    const int sym = J == Jw;
    /* Row-major H(r, c) is C(c, r) of the column-major BLAS result: split[r·cols + c]. With
     * J == Jw the chains of (r, c) and (c, r) coincide, so only c >= r is summed. */
#ifdef AU_CLNF_X86
    if (cpu_has_avx2_fma()) {
        float S[JS * JS], P[JS * JS];
        hessian_tiles_avx2(J, Jw, rows, cols, sym, S, P);
        for (int r = 0; r < cols; r++)
            for (int c = 0; c < cols; c++) {
                const int a = sym && c < r ? c : r, b = sym && c < r ? r : c;
                const float acc = split[r * cols + c] ? P[a * JS + b] : S[a * JS + b];
                H[r * cols + c] = r == c ? (reg ? reg[r] : 0.0f) + acc : acc;
            }
        return;
    }
#endif
    float single[JS], even[JS], odd[JS];
    for (int r = 0; r < cols; r++) {
        const int c0 = sym ? r : 0;
        hessian_row_portable(J, Jw, rows, cols, r, c0, single, even, odd);
        for (int c = c0; c < cols; c++) {
            const float pair = even[c] + odd[c];
            const float acc = split[r * cols + c] ? pair : single[c];
            const float diag = (reg && r == c) ? reg[r] : 0.0f;
            H[r * cols + c] = r == c ? diag + acc : acc;
            if (sym && c != r)
                H[c * cols + r] = split[c * cols + r] ? pair : single[c];
        }
    }
}

void au_clnf_jt_times(const float *Jw, int rows, int cols, const float *v, float *g)
{
    for (int c = 0; c < cols; c++) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int k = 0;
        for (; k <= rows - 4; k += 4) {
            s0 += (double)Jw[(size_t)k * JS + c] * v[k];
            s1 += (double)Jw[(size_t)(k + 1) * JS + c] * v[k + 1];
            s2 += (double)Jw[(size_t)(k + 2) * JS + c] * v[k + 2];
            s3 += (double)Jw[(size_t)(k + 3) * JS + c] * v[k + 3];
        }
        for (; k < rows; k++)
            s0 += (double)Jw[(size_t)k * JS + c] * v[k];
        g[c] = (float)(s0 + s1 + s2 + s3);
    }
}

/* ---- Cholesky solve ---------------------------------------------------------------------
 * OpenCV's CholImpl (matrix_decomp.cpp) computes, row by row,
 *   L[i][j] = (float)((A[i][j] − Σ_{k<j} (float)(L[i][k]·L[j][k])) · L[j][j])   (j < i)
 *   L[i][i] = (float)(1/sqrt(A[i][i] − Σ_{k<i} (double)L[i][k]²))
 * with each sum a double accumulator taking its terms in k order, and each sum finished
 * before the next starts. Here, within row i, all sums advance together: once L[i][k] is
 * known, term k is subtracted from every later sum of the row (each still receives its terms
 * in k order), which turns the latency-bound chain into independent updates. The
 * substitutions are reorganised the same way. Lt holds L transposed for contiguous access. */
static int cholesky_solve_rows(float *L, int n, float *b)
{
    double s[AU_CLNF_MAX_PARAMS];
    float Lt[AU_CLNF_MAX_PARAMS * AU_CLNF_MAX_PARAMS]; /* Lt[k·n + j] = L[j][k], j >= k */
    for (int i = 0; i < n; i++) {
        float *Li = L + (size_t)i * n;
        for (int j = 0; j <= i; j++)
            s[j] = Li[j];
        for (int k = 0; k < i; k++) {
            const float lik = (float)(s[k] * Lt[k * n + k]);
            Li[k] = lik;
            const float *col = Lt + k * n;
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
        for (int k = 0; k <= i; k++)
            Lt[k * n + i] = Li[k];
    }
    /* forward: y[i] = (float)((b[i] − Σ_{k<i} (float)(L[i][k]·y[k]))·L[i][i]) */
    for (int i = 0; i < n; i++)
        s[i] = b[i];
    for (int k = 0; k < n; k++) {
        const float yk = (float)(s[k] * L[(size_t)k * n + k]);
        b[k] = yk;
        const float *col = Lt + k * n;
        for (int i = k + 1; i < n; i++) {
            const float prod = col[i] * yk;
            s[i] -= prod;
        }
    }
    /* backward: x[i] = (float)((y[i] − Σ_{k=n−1..i+1} (float)(L[k][i]·x[k]))·L[i][i]) */
    for (int i = 0; i < n; i++)
        s[i] = b[i];
    for (int k = n - 1; k >= 0; k--) {
        const float xk = (float)(s[k] * L[(size_t)k * n + k]);
        b[k] = xk;
        const float *row = L + (size_t)k * n;
        for (int i = 0; i < k; i++) {
            const float prod = row[i] * xk;
            s[i] -= prod;
        }
    }
    return 1;
}

int au_clnf_cholesky_solve(float *a, int n, float *b)
{
    if (n <= 3 || n > AU_CLNF_MAX_PARAMS)
        return au_cholesky_solve_f32(a, n, b);
    if (cholesky_solve_rows(a, n, b))
        return 1;
    for (int i = 0; i < n; i++)
        b[i] = 0.0f;
    return 0;
}

/* ---- UpdateModelParameters ------------------------------------------------------------- */

/* c = a·b for 3x3 float matrices, each element a0·b0 + a1·b1 + a2·b2 in float from left to
 * right (cv::Matx33f products; OpenCV's float gemm fast path for len == 3). */
static void matmul3_f32(const float *a, const float *b, float *c)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            float t = a[3 * i] * b[j];
            t = t + a[3 * i + 1] * b[3 + j];
            c[3 * i + j] = t + a[3 * i + 2] * b[6 + j];
        }
}

/* lapack.cpp det3 on a float matrix, in double, stored as float by PDM::Orthonormalise. */
static float det3_f32(const float *m)
{
    return (float)(m[0] * ((double)m[4] * m[8] - (double)m[5] * m[7]) -
                   m[1] * ((double)m[3] * m[8] - (double)m[5] * m[6]) +
                   m[2] * ((double)m[3] * m[7] - (double)m[4] * m[6]));
}

/* PDM::Orthonormalise: SVD R = U·diag(w)·Vt (float, cv::SVD), X = U·Vt,
 * R ← U·diag(1, 1, det X)·Vt. */
static void orthonormalise(float R[9])
{
    float w[3], U[9], Vt[9], X[9], UW[9];
    au_svd_f32(R, 3, w, U, Vt);
    matmul3_f32(U, Vt, X);
    const float W[9] = {1, 0, 0, 0, 1, 0, 0, 0, det3_f32(X)};
    matmul3_f32(U, W, UW);
    matmul3_f32(UW, Vt, R);
}

void au_clnf_update_parameters(const float *delta, int num_delta, int m, float *p,
                               float global[6])
{
    global[0] += delta[0];
    global[4] += delta[4];
    global[5] += delta[5];

    float R1[9], R3[9], aa[3], euler[3];
    au_euler_to_rotation(global + 1, R1);
    /* R' = [1, −wz, wy; wz, 1, −wx; −wy, wx, 1]; OpenFace negates through double (-1.0*x),
     * which is exact */
    float R2[9] = {1.0f, -delta[3], delta[2], delta[3], 1.0f, -delta[1],
                   -delta[2], delta[1], 1.0f};
    orthonormalise(R2);
    matmul3_f32(R1, R2, R3);
    au_rotation_to_axis_angle(R3, aa);
    au_axis_angle_to_euler(aa, euler);
    /* "Temporary fix to numerical instability" */
    if (isnan(euler[0]) || isnan(euler[1]) || isnan(euler[2]))
        euler[0] = euler[1] = euler[2] = 0.0f;
    global[1] = euler[0];
    global[2] = euler[1];
    global[3] = euler[2];

    if (num_delta > 6)
        for (int j = 0; j < m; j++)
            p[j] = p[j] + delta[6 + j];
}

void au_clnf_clamp_local(const au_pdm *pdm, float *p)
{
    for (int j = 0; j < pdm->m; j++) {
        /* v = n_sigmas * sqrt(*e_it): float 3 times the double sqrt, stored as float */
        const float v = (float)(CLAMP_SIGMAS * sqrt((double)pdm->eig[j]));
        if (fabsf(p[j]) > v)
            p[j] = p[j] > 0.0f ? v : -v;
    }
}
