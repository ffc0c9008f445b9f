#include "face/calcparams.h"

#include <math.h>
#include <string.h>

#include "face/pdm_fit.h"
#include "face/rotation.h"
#include "math/cholesky.h"
#include "math/openblas_gram.h"

/* PDM.cpp CalcParams constants */
#define MAX_ITERATIONS 1000      /* for (size_t i = 0; i < 1000; ++i) */
#define MAX_NOT_IMPROVED 3       /* if (not_improved_in == 3) break */
#define IMPROVEMENT_FACTOR 0.999 /* if (0.999 * currError < error) */
#define STEP_DAMPING 0.75f       /* param_update = 0.75 * param_update */

#define MAX_ROWS (2 * AU_PDM_MAX_POINTS)

/* Working state of one fit: the PDM restricted to the visible points. */
typedef struct fit_state {
    au_pdm vis;                         /* view of the arrays below (n', m) */
    float mean[3 * AU_PDM_MAX_POINTS];
    float pc[3 * AU_PDM_MAX_POINTS * AU_PDM_MAX_MODES];
    float pc_t[AU_PDM_MAX_MODES * 3 * AU_PDM_MAX_POINTS]; /* pc transposed (m x 3n') */
    float target[MAX_ROWS];             /* visible landmarks, planar */
    float reg[AU_PDM_MAX_PARAMS];          /* diag(0,…,0, 1/λ) */
    float shape[3 * AU_PDM_MAX_POINTS];    /* S = M + V·p (CalcShape3D, sgemm_) */
    float shape_cv[3 * AU_PDM_MAX_POINTS]; /* S = M + V·p (cv::gemm) */
    float jac[MAX_ROWS * AU_PDM_JSTRIDE];  /* 2n' x (6+m), row stride AU_PDM_JSTRIDE */
    float hess[AU_PDM_MAX_PARAMS * AU_PDM_MAX_PARAMS];
    float grad[AU_PDM_MAX_PARAMS];
    au_gram_plan gram_plan;                /* the Hessian's shape, kept over the iterations */
} fit_state;

/* Keeps the visible points (x != 0): rows i, i+n, i+2n of M and V (also transposed, for
 * the shape products), entries i and i+n of the landmarks, in their original order.
 * Returns n'. */
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
    for (int j = 0; j < m; j++)
        for (int r = 0; r < row; r++)
            st->pc_t[(size_t)j * row + r] = st->pc[(size_t)r * m + j];
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
    return (float)au_pdm_shape_distance(proj, st->target, 2 * n);
}

int au_calc_params(const au_pdm *pdm, const float *landmarks2n, float global[6], float *local)
{
    fit_state st; /* every entry is written before it is read */
    st.gram_plan.cols = 0; /* no Hessian shape yet */
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
    for (int c = 0; c < cols; c++) /* reg_factor (1) / eigen_values for the modes */
        st.reg[c] = c < 6 ? 0.0f : 1.0f / pdm->eig[c - 6];

    float p[AU_PDM_MAX_MODES] = {0};
    initial_global(vis, st.target, global);
    au_pdm_shape3d_t(vis, st.pc_t, p, st.shape);
    float curr_error = initial_error(&st, global);

    int not_improved = 0, iter = 0;
    while (iter < MAX_ITERATIONS) {
        iter++;
        float R[9], proj[MAX_ROWS], resid[MAX_ROWS], delta[AU_PDM_MAX_PARAMS];
        /* shape_3D = M + V * loc_params (cv::gemm) for the projections; ComputeJacobian
         * takes its own CalcShape3D (sgemm_), which is the same product when cv::gemm
         * hands it to sgemm */
        au_pdm_shape3d_t(vis, st.pc_t, p, st.shape);
        const float *shape_cv = st.shape;
        if (!au_pdm_cv_gemm_is_sgemm(vis)) {
            au_pdm_shape3d_cv_t(vis, st.pc_t, p, st.shape_cv);
            shape_cv = st.shape_cv;
        }
        au_euler_to_rotation(global + 1, R);
        project_gemm(shape_cv, n, R, global[0], global[4], global[5], proj);
        for (int k = 0; k < rows; k++)
            resid[k] = st.target[k] - proj[k];

        au_pdm_jacobian(vis, st.shape, global, 0, st.jac);
        au_pdm_gradient(st.jac, rows, cols, resid, st.reg, p, st.grad);
        /* W = I: J_w_t is J itself */
        au_openblas_gram_f32(st.jac, st.jac, rows, cols, AU_PDM_JSTRIDE, st.reg, st.hess,
                             &st.gram_plan);
        memcpy(delta, st.grad, (size_t)cols * sizeof(float));
        au_cholesky_solve_f32(st.hess, cols, delta); /* delta = 0 if H is not PD */
        for (int k = 0; k < cols; k++)
            delta[k] = delta[k] * STEP_DAMPING;

        au_pdm_update_parameters(delta, cols, m, p, global);

        /* error with the new parameters and the shape from before the update */
        au_euler_to_rotation(global + 1, R);
        project_gemm(shape_cv, n, R, global[0], global[4], global[5], proj);
        const float error = (float)au_pdm_shape_distance(proj, st.target, rows);
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
