#include "face/pdm_fit.h"

#include <math.h>

#include "face/rotation.h"
#include "math/openblas_gram.h"
#include "math/row_sums.h"
#include "math/svd.h"

/* Both fits pass their Jacobians to au_openblas_gram_f32. */
_Static_assert(AU_PDM_MAX_PARAMS <= AU_OPENBLAS_GRAM_MAX_COLS,
               "the Hessian kernel must accept every PDM Jacobian");

#define JS AU_PDM_JSTRIDE

/* The AVX2 clone computes eight modes per instruction; the operations are the same. */
__attribute__((target_clones("avx2", "default")))
void au_pdm_jacobian(const au_pdm *pdm, const float *shape3d, const float global[6], int rigid,
                     float *J)
{
    const int n = pdm->n, m = rigid ? 0 : pdm->m, padded = (6 + m + 7) / 8 * 8;
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
        for (int c = 6 + m; c < padded; c++)
            jx[c] = jy[c] = 0.0f;
    }
}

/* The columns side by side: each column keeps its four double accumulators over k mod 4
 * and their final sum in the same order, so the bits are those of one column at a time;
 * the AVX2 clone takes four columns per instruction. */
__attribute__((target_clones("avx2", "default")))
void au_pdm_gradient(const float *Jw, int rows, int cols, const float *v, const float *reg,
                     const float *p, float *g)
{
    double s0[JS], s1[JS], s2[JS], s3[JS];
    au_row_sums4(Jw, JS, v, rows, cols, s0, s1, s2, s3);
    for (int c = 0; c < cols; c++)
        g[c] = (float)(s0[c] + s1[c] + s2[c] + s3[c]);
    if (reg)
        for (int c = 6; c < cols; c++)
            g[c] = (float)(-((double)reg[c] * p[c - 6]) + (double)g[c]);
}

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

void au_pdm_update_parameters(const float *delta, int num_delta, int m, float *p,
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

double au_pdm_shape_distance(const float *a, const float *b, int len)
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
    return sqrt(s);
}
