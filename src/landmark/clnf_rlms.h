/* Regularised landmark mean shift of OpenFace's CLNF (NU-RLMS) on fixed response maps: the
 * precomputed KDE tables, the mean shift of one landmark, one rigid or non-rigid
 * optimisation pass, and the model log-likelihood.
 *
 * Source: OpenFace 2.2 lib/local/LandmarkDetector/src/LandmarkDetectorModel.cpp
 * (CLNF::NU_RLMS, CLNF::NonVectorisedMeanShift_precalc_kde). CLNF_SPEC.md §6.3, §10.2, §11.
 *
 * KDE table for window ws and kernel coefficient a = −0.5/σ² (step 0.1 response pixel):
 * N = 10·ws grid positions per axis (OpenFace: x < ws/0.1f as floats, N = (int)(ws/0.1f +
 * 0.5)); row x·N + y holds, for ii, jj = 0..ws−1 (index ii·ws + jj),
 *   (float)exp((double)(a·((y·0.1f − ii)² + (x·0.1f − jj)²)))
 * with the grid coordinates, squares, sum and product by a in float. For ws 11 the table is
 * 12 100 x 121 floats (5.9 MB) and takes ≈ 1.5 M exp to build.
 *
 * Mean shift of one landmark at response-map position (dx, dy) (x = column, y = row):
 *   dx, dy clamped to [0, ws − 0.1f]; row = (int)(dx/0.1f + 0.5), col = (int)(dy/0.1f + 0.5)
 *   (float division, +0.5 in double); K = table row row·N + col;
 *   v = R[ii][jj]·K[ii·ws+jj]; S = Σ v, MX = Σ v·jj, MY = Σ v·ii, all in float, ii outer;
 *   msx = MX/S − dx, msy = MY/S − dy (with the clamped dx, dy; S = 0 gives NaN as in OpenFace).
 *
 * Thread-safe: a table is read-only once built; au_clnf_nu_rlms uses only its arguments. */
#ifndef AU_LANDMARK_CLNF_RLMS_H
#define AU_LANDMARK_CLNF_RLMS_H

#include <stddef.h>

#include "common/error.h"
#include "face/pdm.h"
#include "face/pdm_fit.h"
#include "math/openblas_gram.h"

/* KDE grid step in response pixels (NonVectorisedMeanShift_precalc_kde: step_size = 0.1). */
#define AU_CLNF_KDE_STEP 0.1f

typedef struct au_clnf_kde {
    int ws;       /* window size */
    int grid;     /* N = 10·ws positions per axis */
    float a;      /* −0.5/σ² the table was built with */
    float *table; /* grid² rows of ws² floats */
} au_clnf_kde;

/* Builds the table for window ws (1..AU_CCNF_MAX_WINDOW) and coefficient a (as described at
 * the top). AUFACE_ERR_ARG for a bad ws, AUFACE_ERR_NOMEM. Free with au_clnf_kde_free. */
auface_status au_clnf_kde_build(au_clnf_kde *k, int ws, float a, au_err *err);

void au_clnf_kde_free(au_clnf_kde *k);

/* The mean shift (msx, msy) of the ws x ws response map `resp` (row-major, row = y) from
 * position (dx, dy), as described at the top. */
void au_clnf_mean_shift(const au_clnf_kde *k, const float *resp, float dx, float dy, float *msx,
                        float *msy);

/* au_clnf_mean_shift for up to 4 landmarks at once (count 1..4): the sums of the landmarks
 * advance side by side (each with its own float chains, so the same bits as one at a time),
 * which hides the latency of the three float additions. */
void au_clnf_mean_shift4(const au_clnf_kde *k, const float *const resp[4], const float dx[4],
                         const float dy[4], int count, float msx[4], float msy[4]);

/* The same for up to 8 landmarks (count 1..8); with AVX2 the eight landmarks share each
 * vector addition (same bits). */
void au_clnf_mean_shift8(const au_clnf_kde *k, const float *const resp[8], const float dx[8],
                         const float dy[8], int count, float msx[8], float msy[8]);

/* The likelihood of one landmark at the UNCLAMPED position (dx, dy):
 *   L = Σ_{ii, jj} (float)(R[ii][jj]·exp(−0.5·((dy − ii)² + (dx − jj)²)/(σ·σ)))
 * with the squares and their sum in float, the exponent and exp in double, σ·σ in float,
 * the products rounded to float and summed in float (NU_RLMS, compute_lhood). */
float au_clnf_landmark_likelihood(const float *resp, int ws, float dx, float dy, float sigma);

/* One NU_RLMS call: the inputs that stay fixed during the pass. */
typedef struct au_clnf_rlms_setup {
    const au_pdm *pdm;
    const float *pc_t;       /* pdm's components transposed (au_clnf_transpose_components) */
    const float *base;       /* 2n: the shape at the start of the scale (offsets origin) */
    const float *responses;  /* n·ws²: response map i at responses + i·ws² */
    const int *visible;      /* n: nonzero = the landmark has an expert in this view */
    const au_clnf_kde *kde;  /* table for ws */
    float img_to_ref[4];     /* sim_img_to_ref, 2x2 row-major */
    float ref_to_img[4];     /* sim_ref_to_img */
    int ws;                  /* response window size */
    int rigid;               /* 1: (s, R, t) only, no prior; 0: all parameters, prior reg/λ */
    int iterations;          /* num_optimisation_iteration (5) */
    float sigma;             /* KDE σ in force (likelihood) */
    float reg;               /* reg_factor in force (non-rigid prior reg/λ_j) */
    const float *weights;    /* n per-landmark weights W_ii = W_(n+i)(n+i), or NULL for W = I */
    int compute_likelihood;  /* compute the log-likelihood at the end */
} au_clnf_rlms_setup;

/* Working memory of au_clnf_nu_rlms (≈ 57 kB; keep one per fitter). */
typedef struct au_clnf_rlms_scratch {
    float shape[2 * AU_PDM_MAX_POINTS], prev[2 * AU_PDM_MAX_POINTS];
    float shape3d[3 * AU_PDM_MAX_POINTS];
    float dxs[AU_PDM_MAX_POINTS], dys[AU_PDM_MAX_POINTS];
    float shifts[2 * AU_PDM_MAX_POINTS];
    float J[2 * AU_PDM_MAX_POINTS * AU_PDM_JSTRIDE];
    float Jw[2 * AU_PDM_MAX_POINTS * AU_PDM_JSTRIDE];
    float H[AU_PDM_MAX_PARAMS * AU_PDM_MAX_PARAMS];
    float rhs[AU_PDM_MAX_PARAMS];
    float reg_diag[AU_PDM_MAX_PARAMS];
    au_gram_plan gram_plan; /* the Hessian's shape (au_openblas_gram_f32); zeroed = none */
} au_clnf_rlms_scratch;

/* CLNF::NU_RLMS from (global, local), which it updates in place (a rigid pass changes only
 * global). Per iteration (at most s->iterations):
 *   shape = CalcShape2D; stop if iteration > 0 and ‖shape − previous‖₂ < 0.01 (cv::norm:
 *   float differences, squares summed in double four at a time); Jacobian (J, and Jw = rows
 *   times the weights: always in the rigid pass, in the non-rigid pass only when
 *   trace(W) ≠ 2n); offsets (shape − base)·img_to_refᵀ + (ws−1)/2 (double dot products
 *   rounded to float, then a float add); mean shifts; back to the image through ref_to_img;
 *   rows of invisible landmarks zeroed; rhs = Jwᵀ·m minus (reg/λ_j)·p_j in double for the
 *   modes (au_pdm_gradient); H = Jwᵀ·J + diag(0, reg/λ_j) (au_openblas_gram_f32; reg/λ_j a
 *   float division); Δ by the OpenCV Cholesky solve (au_cholesky_solve_f32; Δ = 0 if H is
 *   not positive definite), no damping; au_pdm_update_parameters; au_clnf_clamp_local.
 * With compute_likelihood, landmark_lhoods[i] receives au_clnf_landmark_likelihood at the
 * positions of the last executed iteration (before its update), −1e8 for invisible points,
 * and the return value is (float)(Σ_i log(L_i + 1e-8))/(visible count), the log in double
 * and the sum a float accumulator. Otherwise landmark_lhoods is untouched and 0 is returned.
 * pdm->n <= AU_PDM_MAX_POINTS and pdm->m <= AU_PDM_MAX_MODES (au_pdm_load guarantees it). */
float au_clnf_nu_rlms(const au_clnf_rlms_setup *s, float global[6], float *local,
                      float *landmark_lhoods, au_clnf_rlms_scratch *scratch);

#endif
