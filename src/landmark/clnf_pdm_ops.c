#include "landmark/clnf_pdm_ops.h"

#include <math.h>
#include <stdlib.h>

#include "face/rotation.h"

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

void au_clnf_shape3d(const au_pdm *pdm, const float *pc_t, const float *p, float *out3n)
{
    au_pdm_shape3d_t(pdm, pc_t, p, out3n);
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

void au_clnf_clamp_local(const au_pdm *pdm, float *p)
{
    for (int j = 0; j < pdm->m; j++) {
        /* v = n_sigmas * sqrt(*e_it): float 3 times the double sqrt, stored as float */
        const float v = (float)(CLAMP_SIGMAS * sqrt((double)pdm->eig[j]));
        if (fabsf(p[j]) > v)
            p[j] = p[j] > 0.0f ? v : -v;
    }
}
