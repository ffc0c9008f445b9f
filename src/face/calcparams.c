#include "face/calcparams.h"

#include <math.h>
#include <string.h>

#include "face/rotation.h"
#include "math/cholesky.h"
#include "math/svd.h"

/* PDM.cpp CalcParams constants */
#define MAX_ITERATIONS 1000      /* for (size_t i = 0; i < 1000; ++i) */
#define MAX_NOT_IMPROVED 3       /* if (not_improved_in == 3) break */
#define IMPROVEMENT_FACTOR 0.999 /* if (0.999 * currError < error) */
#define STEP_DAMPING 0.75f       /* param_update = 0.75 * param_update */

#define MAX_PARAMS (6 + AU_PDM_MAX_MODES)
#define MAX_ROWS (2 * AU_PDM_MAX_POINTS)

/* Working state of one fit: the PDM restricted to the visible points. */
typedef struct fit_state {
    au_pdm vis;                         /* view of the arrays below (n', m) */
    float mean[3 * AU_PDM_MAX_POINTS];
    float pc[3 * AU_PDM_MAX_POINTS * AU_PDM_MAX_MODES];
    float target[MAX_ROWS];             /* visible landmarks, planar */
    float reg[AU_PDM_MAX_MODES];        /* 1/λ */
    float shape[3 * AU_PDM_MAX_POINTS]; /* S = M + V·p */
    float jac[MAX_ROWS * MAX_PARAMS];   /* 2n' x (6+m), row-major */
    float hess[MAX_PARAMS * MAX_PARAMS];
    float grad[MAX_PARAMS];
} fit_state;

/* Keeps the visible points (x != 0): rows i, i+n, i+2n of M and V, entries i and i+n of
 * the landmarks, in their original order. Returns n'. */
static int select_visible(const au_pdm *pdm, const float *landmarks2n, fit_state *st)
{
    const int n = pdm->n, m = pdm->m;
    int nv = 0;
    for (int i = 0; i < n; i++)
        nv += landmarks2n[i] != 0.0f;
    int row = 0;
    for (int r = 0; r < 3 * n; r++) {
        if (landmarks2n[r % n] == 0.0f)
            continue;
        st->mean[row] = pdm->mean[r];
        memcpy(st->pc + (size_t)row * m, pdm->pc + (size_t)r * m, (size_t)m * sizeof(float));
        row++;
    }
    int k = 0;
    for (int r = 0; r < 2 * n; r++)
        if (landmarks2n[r % n] != 0.0f)
            st->target[k++] = landmarks2n[r];
    st->vis.n = nv;
    st->vis.m = m;
    st->vis.mean = st->mean;
    st->vis.pc = st->pc;
    st->vis.eig = pdm->eig;
    return nv;
}

/* LandmarkDetectorUtils.cpp ExtractBoundingBox on a planar 2n vector. */
static void bounding_box(const float *pts2n, int n, float *min_x, float *max_x, float *min_y,
                         float *max_y)
{
    *min_x = *max_x = pts2n[0];
    *min_y = *max_y = pts2n[n];
    for (int i = 0; i < n; i++) {
        const float x = pts2n[i], y = pts2n[n + i];
        if (x < *min_x)
            *min_x = x;
        if (x > *max_x)
            *max_x = x;
        if (y < *min_y)
            *min_y = y;
        if (y > *max_y)
            *max_y = y;
    }
}

/* `scaling * shape_3D.t() * Mat(R_2D).t()` then `+ translation`: OpenCV's gemm evaluates
 * each element as (float)((((0 + X·R0) + Y·R1) + Z·R2) · s) in double; the translation is
 * then added in float. */
static void project_gemm(const float *shape3n, int n, const float R[9], float s, float tx,
                         float ty, float *out2n)
{
    for (int i = 0; i < n; i++) {
        const double X = shape3n[i], Y = shape3n[i + n], Z = shape3n[i + 2 * n];
        double ax = 0, ay = 0;
        ax += X * R[0];
        ax += Y * R[1];
        ax += Z * R[2];
        ay += X * R[3];
        ay += Y * R[4];
        ay += Z * R[5];
        const float x = (float)(ax * (double)s), y = (float)(ay * (double)s);
        out2n[i] = x + tx;
        out2n[i + n] = y + ty;
    }
}

/* cv::norm(a − b, NORM_L2) of float vectors: float differences, squares summed in double
 * four at a time (normL2Sqr with CV_ENABLE_UNROLLED), result rounded to float as stored
 * by PDM.cpp. */
static float l2_distance(const float *a, const float *b, int len)
{
    double s = 0;
    int i = 0;
    for (; i <= len - 4; i += 4) {
        const double v0 = a[i] - b[i], v1 = a[i + 1] - b[i + 1];
        const double v2 = a[i + 2] - b[i + 2], v3 = a[i + 3] - b[i + 3];
        s += v0 * v0 + v1 * v1 + v2 * v2 + v3 * v3;
    }
    for (; i < len; i++) {
        const double v = a[i] - b[i];
        s += v * v;
    }
    return (float)sqrt(s);
}

/* PDM::ComputeJacobian with W = I (so J_w_t = Jᵀ): row i is the x of point i, row n+i its
 * y; columns scale, rx, ry, rz, tx, ty, then the modes. Float, in the order written. */
static void compute_jacobian(const au_pdm *pdm, const float *shape3n, const float global[6],
                             float *J)
{
    const int n = pdm->n, m = pdm->m, cols = 6 + m;
    const float s = global[0];
    float R[9];
    au_euler_to_rotation(global + 1, R);
    const float r11 = R[0], r12 = R[1], r13 = R[2], r21 = R[3], r22 = R[4], r23 = R[5];
    for (int i = 0; i < n; i++) {
        const float X = shape3n[i], Y = shape3n[i + n], Z = shape3n[i + 2 * n];
        float *jx = J + (size_t)i * cols, *jy = J + (size_t)(i + n) * cols;
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
        const float *vx = pdm->pc + (size_t)i * m, *vy = pdm->pc + (size_t)(i + n) * m;
        const float *vz = pdm->pc + (size_t)(i + 2 * n) * m;
        for (int j = 0; j < m; j++) {
            jx[6 + j] = s * (r11 * vx[j] + r12 * vy[j] + r13 * vz[j]);
            jy[6 + j] = s * (r21 * vx[j] + r22 * vy[j] + r23 * vz[j]);
        }
    }
}

/* g = J_w_t·r by OpenCV's gemm (result with one column: the GEMM_2_T branch of
 * GEMMSingleMul, four double partial sums over k ≡ 0..3 mod 4, added in order), then
 * g[6:] −= Λ·p, which OpenCV evaluates as (float)(g − (double)(1/λ)·p). */
static void compute_gradient(const float *J, int rows, int cols, const float *resid,
                             const float *reg, const float *p, float *g)
{
    for (int c = 0; c < cols; c++) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int k = 0;
        for (; k <= rows - 4; k += 4) {
            s0 += (double)J[(size_t)k * cols + c] * resid[k];
            s1 += (double)J[(size_t)(k + 1) * cols + c] * resid[k + 1];
            s2 += (double)J[(size_t)(k + 2) * cols + c] * resid[k + 2];
            s3 += (double)J[(size_t)(k + 3) * cols + c] * resid[k + 3];
        }
        for (; k < rows; k++)
            s0 += (double)J[(size_t)k * cols + c] * resid[k];
        g[c] = (float)(s0 + s1 + s2 + s3);
    }
    for (int j = 0; j + 6 < cols; j++)
        g[6 + j] = (float)(-((double)reg[j] * p[j]) + (double)g[6 + j]);
}

/* H = JᵀJ + Λ is computed by OpenFace with OpenBLAS sgemm_ (beta = 1 onto the matrix Λ of
 * the regularisation; alpha = 1), so its summation order is the BLAS kernel's. This follows
 * the SGEMM micro-kernel OpenBLAS 0.3.x selects on AVX2 cores (Haswell and Zen:
 * kernel/x86_64/sgemm_kernel_8x4_haswell_2.c, fed by driver/level3/level3.c in panels of
 * 12, 8 or 4 columns). Every element is a chain of float fused multiply-adds over
 * k = 0..K-1, except in the tiles the kernel computes with two accumulators (k even / k odd
 * within blocks of 8 k, the remaining k in the first one; the two are then added); the
 * result is added to Λ (C = fma(acc, alpha, C)). Checked bit for bit against OpenBLAS
 * 0.3.21 (Haswell and Zen kernels) for every size used here. Assumes a single-threaded
 * sgemm_, which OpenBLAS uses while M·N·K <= 262144 (interface/gemm.c:
 * SMP_THRESHOLD_MIN·GEMM_MULTITHREAD_THRESHOLD), i.e. always for the 68-point PDM
 * (40·40·136); AVX-512 and older cores order the sums differently. */

/* Marks the rows [from, from + count) of columns [c0, c0 + width) as two-accumulator
 * tiles. split[col * P + row] refers to element (row, col) of the column-major C. */
static void mark_split(unsigned char *split, int P, int c0, int width, int from, int count)
{
    for (int c = c0; c < c0 + width && c < P; c++)
        for (int r = from; r < from + count && r < P; r++)
            split[c * P + r] = 1;
}

/* The tiles of a P x P sgemm_ result that sgemm_kernel_8x4_haswell_2.c accumulates with
 * two partial sums (COMPUTE_H_m8n6, COMPUTE_T_m8n6, COMPUTE_m8n4 and COMPUTE_m8n8, whose
 * loops take two k per step once K >= 8). */
static void haswell_split_tiles(int P, int K, unsigned char *split)
{
    memset(split, 0, (size_t)P * P);
    if (K < 8)
        return; /* the two-accumulator loops need 8 k at least */
    for (int c0 = 0; c0 < P;) {
        /* driver (driver/level3/level3.c): panels of 3, 2 or 1 x GEMM_UNROLL_N (4) columns */
        int rest = P - c0, width = rest >= 12 ? 12 : rest >= 8 ? 8 : rest > 4 ? 4 : rest;
        if (width == 12 && P >= 16) {
            /* COMPUTE_n12: left (L) and right (R) halves of 6 columns, staggered by 8 rows */
            mark_split(split, P, c0, 6, 0, 8); /* COMPUTE_H_m8n6 (left, rows 0-7) */
            int row = 0, left = P;
            for (;;) {
                row += 8; /* COMPUTE_R_m16n6 */
                left -= 8;
                if (left < 16) {
                    mark_split(split, P, c0, 6, row, 8); /* COMPUTE_T_m8n6(L) */
                    break;
                }
                row += 8; /* COMPUTE_L_m16n6 */
                left -= 8;
                if (left < 16) {
                    mark_split(split, P, c0 + 6, 6, row, 8); /* COMPUTE_T_m8n6(R) */
                    break;
                }
            }
        } else if (width == 4 || width == 8) {
            /* COMPUTE_m8n4 / COMPUTE_m8n8 on each block of 8 rows */
            mark_split(split, P, c0, width, 0, P / 8 * 8);
        }
        c0 += width;
    }
}

/* Row r of JᵀJ: for every column c, Σ_k J[k][r]·J[k][c] as one fused multiply-add chain
 * over k (single[c]) and as the even/odd pair of chains of the two-accumulator tiles
 * (even[c] + odd[c]). Each element keeps its own chain in k order, so computing all c at
 * once (which vectorises) gives the same bits as one element at a time. */
static inline __attribute__((always_inline)) void hessian_row(const float *J, int rows,
                                                              int cols, int r, float *single,
                                                              float *even, float *odd)
{
    for (int c = 0; c < cols; c++)
        single[c] = even[c] = odd[c] = 0.0f;
    for (int k = 0; k < rows; k++) {
        const float a = J[(size_t)k * cols + r];
        const float *row = J + (size_t)k * cols;
        for (int c = 0; c < cols; c++)
            single[c] = fmaf(a, row[c], single[c]);
    }
    const int blocked = rows >= 8 ? rows / 8 * 8 : 0;
    int k = 0;
    for (; k < blocked; k += 2) {
        const float a0 = J[(size_t)k * cols + r], a1 = J[(size_t)(k + 1) * cols + r];
        const float *row0 = J + (size_t)k * cols, *row1 = row0 + cols;
        for (int c = 0; c < cols; c++) {
            even[c] = fmaf(a0, row0[c], even[c]);
            odd[c] = fmaf(a1, row1[c], odd[c]);
        }
    }
    for (; k < rows; k++) {
        const float a = J[(size_t)k * cols + r];
        const float *row = J + (size_t)k * cols;
        for (int c = 0; c < cols; c++)
            even[c] = fmaf(a, row[c], even[c]);
    }
}

/* Cloned for FMA hardware, where fmaf becomes one instruction instead of a libm call; fmaf
 * is exactly rounded either way, so both clones give the same bits. */
__attribute__((target_clones("fma", "default")))
static void compute_hessian(const float *J, int rows, int cols, const float *reg, float *H)
{
    unsigned char split[MAX_PARAMS * MAX_PARAMS];
    float single[MAX_PARAMS], even[MAX_PARAMS], odd[MAX_PARAMS];
    haswell_split_tiles(cols, rows, split);
    /* Element (r, c) of the row-major H is C(c, r) of the column-major BLAS result, whose
     * accumulation mode is split[r * cols + c]. */
    for (int r = 0; r < cols; r++) {
        hessian_row(J, rows, cols, r, single, even, odd);
        for (int c = 0; c < cols; c++) {
            const float acc = split[r * cols + c] ? even[c] + odd[c] : single[c];
            const float lambda = (r == c && r >= 6) ? reg[r - 6] : 0.0f;
            H[r * cols + c] = r == c ? lambda + acc : acc;
        }
    }
}

/* c = a·b for 3x3 float matrices, each element a0·b0 + a1·b1 + a2·b2 in float from left to
 * right (cv::Matx33f products and OpenCV's float gemm fast path for len == 3). */
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
 * R ← U·diag(1, 1, det X)·Vt, the products in float as OpenCV's small gemm does. */
static void orthonormalise(float R[9])
{
    float w[3], U[9], Vt[9], X[9], UW[9];
    au_svd_f32(R, 3, w, U, Vt);
    matmul3_f32(U, Vt, X);
    const float W[9] = {1, 0, 0, 0, 1, 0, 0, 0, det3_f32(X)};
    matmul3_f32(U, W, UW);
    matmul3_f32(UW, Vt, R);
}

/* PDM::UpdateModelParameters. */
static void update_parameters(const float *delta, int m, float *p, float global[6])
{
    global[0] += delta[0];
    global[4] += delta[4];
    global[5] += delta[5];

    float R1[9], R3[9], aa[3], euler[3];
    au_euler_to_rotation(global + 1, R1);
    /* R' = [1, −wz, wy; wz, 1, −wx; −wy, wx, 1]; the negations go through double
     * (-1.0*x) and back, which is exact */
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

    for (int j = 0; j < m; j++)
        p[j] = p[j] + delta[6 + j];
}

/* Initial global parameters (CalcParams before the loop). */
static void initial_global(const au_pdm *vis, const float *target, float global[6])
{
    const int n = vis->n;
    float min_x, max_x, min_y, max_y;
    bounding_box(target, n, &min_x, &max_x, &min_y, &max_y);
    const float width = fabsf(min_x - max_x), height = fabsf(min_y - max_y);

    /* CalcBoundingBox with global (1, 0, 0, 0, 0, 0) and p = 0: the visible mean shape
     * projected without rotation (exactly its X and Y) */
    float model2d[MAX_ROWS];
    const float unit[6] = {1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    const float zeros[AU_PDM_MAX_MODES] = {0};
    au_pdm_shape2d(vis, unit, zeros, model2d);
    float mmin_x, mmax_x, mmin_y, mmax_y;
    bounding_box(model2d, n, &mmin_x, &mmax_x, &mmin_y, &mmax_y);
    const float model_w = fabsf(mmin_x - mmax_x), model_h = fabsf(mmin_y - mmax_y);

    global[0] = ((width / model_w) + (height / model_h)) / 2.0f;
    global[1] = global[2] = global[3] = 0.0f;
    global[4] = (min_x + max_x) / 2.0f;
    global[5] = (min_y + max_y) / 2.0f;
}

/* The error before the loop: the explicit float projection of CalcParams (not the gemm). */
static float initial_error(const fit_state *st, const float global[6])
{
    const int n = st->vis.n;
    float R[9], proj[MAX_ROWS];
    au_euler_to_rotation(global + 1, R);
    for (int i = 0; i < n; i++) {
        const float X = st->shape[i], Y = st->shape[i + n], Z = st->shape[i + 2 * n];
        proj[i] = global[0] * (R[0] * X + R[1] * Y + R[2] * Z) + global[4];
        proj[i + n] = global[0] * (R[3] * X + R[4] * Y + R[5] * Z) + global[5];
    }
    return l2_distance(proj, st->target, 2 * n);
}

int au_calc_params(const au_pdm *pdm, const float *landmarks2n, float global[6], float *local)
{
    fit_state st; /* every entry is written before it is read */
    const int m = pdm->m;
    memset(local, 0, (size_t)(m > 0 ? m : 0) * sizeof(float));
    memset(global, 0, 6 * sizeof(float));

    if (pdm->n < 1 || pdm->n > AU_PDM_MAX_POINTS || m < 0 || m > AU_PDM_MAX_MODES)
        return 0; /* not a PDM au_pdm_load accepts: nothing fits the buffers */
    const int n = select_visible(pdm, landmarks2n, &st);
    if (n == 0)
        return 0;
    const au_pdm *vis = &st.vis;
    const int rows = 2 * n, cols = 6 + m;
    for (int j = 0; j < m; j++)
        st.reg[j] = 1.0f / pdm->eig[j]; /* reg_factor (1) / eigen_values */

    float p[AU_PDM_MAX_MODES] = {0};
    initial_global(vis, st.target, global);
    au_pdm_shape3d(vis, p, st.shape);
    float curr_error = initial_error(&st, global);

    int not_improved = 0, iter = 0;
    while (iter < MAX_ITERATIONS) {
        iter++;
        float R[9], proj[MAX_ROWS], resid[MAX_ROWS], delta[MAX_PARAMS];
        au_pdm_shape3d(vis, p, st.shape);
        au_euler_to_rotation(global + 1, R);
        project_gemm(st.shape, n, R, global[0], global[4], global[5], proj);
        for (int k = 0; k < rows; k++)
            resid[k] = st.target[k] - proj[k];

        compute_jacobian(vis, st.shape, global, st.jac);
        compute_gradient(st.jac, rows, cols, resid, st.reg, p, st.grad);
        compute_hessian(st.jac, rows, cols, st.reg, st.hess);
        memcpy(delta, st.grad, (size_t)cols * sizeof(float));
        au_cholesky_solve_f32(st.hess, cols, delta); /* delta = 0 if H is not PD */
        for (int k = 0; k < cols; k++)
            delta[k] = delta[k] * STEP_DAMPING;

        update_parameters(delta, m, p, global);

        /* error with the new parameters and the shape from before the update */
        au_euler_to_rotation(global + 1, R);
        project_gemm(st.shape, n, R, global[0], global[4], global[5], proj);
        const float error = l2_distance(proj, st.target, rows);
        if (IMPROVEMENT_FACTOR * curr_error < error) {
            not_improved++;
            if (not_improved == MAX_NOT_IMPROVED)
                break;
        }
        curr_error = error;
    }
    memcpy(local, p, (size_t)m * sizeof(float));
    return iter;
}
