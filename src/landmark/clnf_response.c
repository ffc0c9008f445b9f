/* Note: the centring, scaling and Kabsch steps follow face/similarity.c (the same
 * AlignShapesWithScale, there restricted to the rigid points and private to that file). */
#include "landmark/clnf_response.h"

#include <math.h>
#include <string.h>

#include "landmark/ccnf.h"
#include "math/svd.h"

/* cv::mean of a float column, stored as float: the values summed in double, divided by the
 * count. */
static float column_mean(const float *v, int count)
{
    double s = 0;
    for (int i = 0; i < count; i++)
        s += v[i];
    return (float)(s / count);
}

/* AlignShapesWithScale, normalisation of one set (x[0..n), y[0..n)): subtract the float
 * means; s = (float)sqrt(cv::sum(cv::pow(set, 2))/n) with the float squares summed in
 * double in row order (x0², y0², x1², ...); multiply by (float)(1/s) (Mat / s is a
 * convertTo with alpha = 1/s). Returns s. */
static float normalise_set(float *x, float *y, int n)
{
    const float mx = column_mean(x, n), my = column_mean(y, n);
    double sum_sq = 0;
    for (int i = 0; i < n; i++) {
        x[i] = x[i] - mx;
        y[i] = y[i] - my;
        const float sx = x[i] * x[i], sy = y[i] * y[i];
        sum_sq += sx;
        sum_sq += sy;
    }
    const float s = (float)sqrt(sum_sq / n);
    const float inv = (float)(1.0 / (double)s);
    for (int i = 0; i < n; i++) {
        x[i] = x[i] * inv;
        y[i] = y[i] * inv;
    }
    return s;
}

/* AlignShapesKabsch2D(a, b) for centred, normalised sets: R (2x2 row-major) mapping a onto b
 * without reflection. The products are OpenCV gemm calls on float matrices (double
 * accumulation, rounded to float); the determinant is cv::determinant's det2 in double. */
static void kabsch_2d(const float *ax, const float *ay, const float *bx, const float *by,
                      int n, float R[4])
{
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

    /* d = det(V·Uᵀ) */
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

void au_clnf_similarity(const float *img2n, const float *ref2n, int n, float img_to_ref[4],
                        float ref_to_img[4])
{
    float sx[AU_PDM_MAX_POINTS], sy[AU_PDM_MAX_POINTS];
    float dx[AU_PDM_MAX_POINTS], dy[AU_PDM_MAX_POINTS];
    memset(img_to_ref, 0, 4 * sizeof(float));
    memset(ref_to_img, 0, 4 * sizeof(float));
    if (n < 1 || n > AU_PDM_MAX_POINTS)
        return;
    memcpy(sx, img2n, (size_t)n * sizeof(float));
    memcpy(sy, img2n + n, (size_t)n * sizeof(float));
    memcpy(dx, ref2n, (size_t)n * sizeof(float));
    memcpy(dy, ref2n + n, (size_t)n * sizeof(float));
    const float s_src = normalise_set(sx, sy, n);
    const float s_dst = normalise_set(dx, dy, n);
    const float s = s_dst / s_src;
    float R[4];
    kabsch_2d(sx, sy, dx, dy, n, R);
    for (int i = 0; i < 4; i++)
        img_to_ref[i] = s * R[i];

    /* Matx_FastInvOp<float, 2>: the determinant in float (Matx_DetOp evaluates the float
     * expression), d = 1/d, then the float products */
    const float *a = img_to_ref;
    float det = a[0] * a[3] - a[1] * a[2];
    if (det == 0.0f)
        return; /* Matx::inv returns zeros when the inversion fails */
    det = 1 / det;
    ref_to_img[3] = a[0] * det;
    ref_to_img[0] = a[3] * det;
    ref_to_img[1] = -a[1] * det;
    ref_to_img[2] = -a[2] * det;
}

size_t au_clnf_responses_scratch_floats(int max_w, int max_h, int ws)
{
    return (size_t)(ws + max_w - 1) * (size_t)(ws + max_h - 1) +
           au_ccnf_scratch_floats(max_w, max_h, ws);
}

auface_status au_clnf_responses(const au_ccnf_patch_set *set, int view, const int *visible,
                                const float *landmarks2n, int n, const float ref_to_img[4],
                                int ws, const float *gray, int w, int h, size_t stride,
                                int max_w, int max_h, float *responses, float *scratch,
                                au_err *err)
{
    /* Patch_experts::Response: a1 = sim_ref_to_img(0, 0), b1 = −sim_ref_to_img(0, 1) */
    const float a = ref_to_img[0], b = -ref_to_img[1];
    float *aoi = scratch;
    float *ccnf_scratch = scratch + (size_t)(ws + max_w - 1) * (size_t)(ws + max_h - 1);
    for (int i = 0; i < n; i++) {
        if (!visible[i])
            continue;
        const au_ccnf_expert *e = &set->experts[(size_t)view * set->num_points + i];
        if (e->width > max_w || e->height > max_h)
            return au_fail(err, AUFACE_ERR_ARG,
                           "CLNF responses: landmark %d has a %d x %d patch, larger than the "
                           "%d x %d the scratch was sized for",
                           i, e->width, e->height, max_w, max_h);
        const int aoi_w = ws + e->width - 1, aoi_h = ws + e->height - 1;
        au_ccnf_extract_aoi(gray, w, h, stride, landmarks2n[i], landmarks2n[n + i], a, b, aoi_w,
                            aoi_h, aoi);
        auface_status st = au_ccnf_response(e, aoi, aoi_w, aoi_h,
                                            responses + (size_t)i * ws * ws, ccnf_scratch, err);
        if (st != AUFACE_OK)
            return st;
    }
    return AUFACE_OK;
}
