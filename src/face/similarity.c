#include "face/similarity.h"

#include <math.h>
#include <string.h>

#include "math/svd.h"

/* Face_utils.cpp extract_rigid_points: "the more stable/rigid points under changes of
 * expression (some face outline, eyes, and nose)", used when the shapes have 68 points. */
static const int RIGID_POINTS[] = {1,  2,  3,  4,  12, 13, 14, 15, 27, 28, 29, 31,
                                   32, 33, 34, 35, 36, 39, 40, 41, 42, 45, 46, 47};
#define NUM_RIGID ((int)(sizeof RIGID_POINTS / sizeof RIGID_POINTS[0]))
#define RIGID_SHAPE_POINTS 68

/* cv::mean of a float column, stored as float: the sum of the values is accumulated in
 * double (exact for landmark coordinates, so the order does not matter) and divided by
 * the count. */
static float column_mean(const float *v, int count)
{
    double s = 0;
    for (int i = 0; i < count; i++)
        s += v[i];
    return (float)(s / count);
}

/* cv::sum of a continuous single-channel float array as OpenCV 4.6 computes it on AVX2
 * machines (sum.simd.hpp, the AVX2 dispatch of Sum_SIMD<float, double> and sum_): blocks
 * of 16 values go to two 4-lane double accumulators, each lane adding the double sum of
 * the values 8 apart (v_sum0 += cvt(v[0..3]) + cvt(v[8..11]), v_sum1 += cvt(v[4..7]) +
 * cvt(v[12..15])); the lanes of v_sum0 + v_sum1 are added to the result in order; then
 * the CV_ENABLE_UNROLLED tail adds groups of four values summed in FLOAT
 * (src[0] + src[1] + src[2] + src[3]), and the last 0–3 values one by one in double.
 * Checked against cv::sumElems of OpenCV 4.6 (AVX2) on 2000 random arrays. The float
 * tail makes the result differ from a plain double sum in the last bits, which sometimes
 * changes the float radius computed from it. */
static double cv_sum_f32(const float *v, int len)
{
    double s0[4] = {0, 0, 0, 0}, s1[4] = {0, 0, 0, 0};
    int x = 0;
    for (; x <= len - 16; x += 16)
        for (int k = 0; k < 4; k++) {
            s0[k] += (double)v[x + k] + (double)v[x + 8 + k];
            s1[k] += (double)v[x + 4 + k] + (double)v[x + 12 + k];
        }
    double sum = 0;
    for (int k = 0; k < 4; k++)
        sum += s0[k] + s1[k];
    for (; x <= len - 4; x += 4) {
        float t = v[x] + v[x + 1];
        t = t + v[x + 2];
        t = t + v[x + 3];
        sum += t;
    }
    for (; x < len; x++)
        sum += v[x];
    return sum;
}

/* AlignShapesWithScale, normalisation of one set (x[0..n), y[0..n)): subtract the float
 * means (float arithmetic), then the RMS radius s = (float)sqrt(cv::sum(src_sq)/N) over
 * the n x 2 matrix of float squares (cv::pow(…, 2) multiplies in float; row i holds
 * x_i², y_i²); finally multiply by (float)(1/s) (Mat / s is a convertTo with alpha = 1/s,
 * applied as a float). Returns s. */
static float normalise_set(float *x, float *y, int n)
{
    const float mx = column_mean(x, n), my = column_mean(y, n);
    float sq[2 * AU_PDM_MAX_POINTS];
    for (int i = 0; i < n; i++) {
        x[i] = x[i] - mx;
        y[i] = y[i] - my;
        sq[2 * i] = x[i] * x[i];
        sq[2 * i + 1] = y[i] * y[i];
    }
    const double sum_sq = cv_sum_f32(sq, 2 * n);
    const float s = (float)sqrt(sum_sq / n);
    const float inv = (float)(1.0 / (double)s);
    for (int i = 0; i < n; i++) {
        x[i] = x[i] * inv;
        y[i] = y[i] * inv;
    }
    return s;
}

/* AlignShapesKabsch2D(a, b) for centred, normalised sets of n points: the rotation R (2x2
 * row-major) that best maps a onto b without reflection. The products are OpenCV gemm calls
 * on float matrices (double accumulation, rounded to float). */
static void kabsch_2d(const float *ax, const float *ay, const float *bx, const float *by,
                      int n, float R[4])
{
    /* aᵀ·b: element (i, j) = Σ_k a[k][i]·b[k][j], in double, k in order */
    const float *acol[2] = {ax, ay}, *bcol[2] = {bx, by};
    float M[4];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double s = 0;
            for (int k = 0; k < n; k++)
                s += (double)acol[i][k] * bcol[j][k];
            M[2 * i + j] = (float)s;
        }

    float w[2], u[4], vt[4];
    au_svd_f32(M, 2, w, u, vt);

    /* d = det(V·Uᵀ), V·Uᵀ from a gemm (rounded to float), determinant in double */
    float D[4];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double s = 0;
            s += (double)vt[i] * u[2 * j];
            s += (double)vt[2 + i] * u[2 * j + 1];
            D[2 * i + j] = (float)s;
        }
    const double d = (double)D[0] * D[3] - (double)D[1] * D[2];
    const float corr1 = d > 0 ? 1.0f : -1.0f;

    /* R = (V·corr)·Uᵀ: V·corr is exact (a column sign), then a double dot product */
    const float Vc[4] = {vt[0], vt[2] * corr1, vt[1], vt[3] * corr1};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double s = 0;
            s += (double)Vc[2 * i] * u[2 * j];
            s += (double)Vc[2 * i + 1] * u[2 * j + 1];
            R[2 * i + j] = (float)s;
        }
}

void au_align_shapes_with_scale(const float *src2n, const float *dst2n, int n, float A[4])
{
    float sx[AU_PDM_MAX_POINTS], sy[AU_PDM_MAX_POINTS];
    float dx[AU_PDM_MAX_POINTS], dy[AU_PDM_MAX_POINTS];
    if (n < 1 || n > AU_PDM_MAX_POINTS) {
        memset(A, 0, 4 * sizeof(float));
        return;
    }
    memcpy(sx, src2n, (size_t)n * sizeof(float));
    memcpy(sy, src2n + n, (size_t)n * sizeof(float));
    memcpy(dx, dst2n, (size_t)n * sizeof(float));
    memcpy(dy, dst2n + n, (size_t)n * sizeof(float));
    const float s_src = normalise_set(sx, sy, n);
    const float s_dst = normalise_set(dx, dy, n);
    const float s = s_dst / s_src;
    float R[4];
    kabsch_2d(sx, sy, dx, dy, n, R);
    for (int i = 0; i < 4; i++)
        A[i] = s * R[i];
}

void au_align_similarity_warp(const au_pdm *pdm, const float *landmarks2n, float tx, float ty,
                              float sim_scale, int out_w, int out_h, float warp[6])
{
    const int n = pdm->n;
    if (n < 1 || n > AU_PDM_MAX_POINTS) {
        memset(warp, 0, 6 * sizeof(float)); /* not a PDM au_pdm_load accepts */
        return;
    }
    const int use_rigid = n == RIGID_SHAPE_POINTS;
    const int count = use_rigid ? NUM_RIGID : n;
    float src[2 * AU_PDM_MAX_POINTS], dst[2 * AU_PDM_MAX_POINTS]; /* planar, count points */
    for (int k = 0; k < count; k++) {
        const int i = use_rigid ? RIGID_POINTS[k] : k;
        src[k] = landmarks2n[i];
        src[count + k] = landmarks2n[n + i];
        /* pdm.mean_shape * sim_scale: convertTo with the scale as a float */
        dst[k] = pdm->mean[i] * sim_scale;
        dst[count + k] = pdm->mean[n + i] * sim_scale;
    }
    float A[4];
    au_align_shapes_with_scale(src, dst, count, A);

    /* cv::Matx22f * cv::Vec2f, then the centring with integer halves */
    float T0 = A[0] * tx, T1 = A[2] * tx;
    T0 = T0 + A[1] * ty;
    T1 = T1 + A[3] * ty;
    warp[0] = A[0];
    warp[1] = A[1];
    warp[2] = -T0 + (float)(out_w / 2);
    warp[3] = A[2];
    warp[4] = A[3];
    warp[5] = -T1 + (float)(out_h / 2);
}

void au_warp_points(const float warp[6], const float *pts2n, int n, float *out2n)
{
    for (int i = 0; i < n; i++) {
        const double x = pts2n[i], y = pts2n[n + i];
        double sx = 0, sy = 0;
        sx += x * warp[0];
        sx += y * warp[1];
        sy += x * warp[3];
        sy += y * warp[4];
        const float px = (float)sx, py = (float)sy;
        out2n[i] = px + warp[2];
        out2n[n + i] = py + warp[5];
    }
}
