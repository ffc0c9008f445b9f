/* CLNF fitting of one image (landmark/clnf_fit and its pieces clnf_rlms, clnf_pdm_ops,
 * clnf_response, clnf_gray):
 *  - known answers from the formulas of CLNF_SPEC.md: the grey conversion, the KDE table,
 *    one mean-shift step and the likelihood on synthetic response maps (computed by hand or
 *    in double), the box initialisation;
 *  - the vectorised kernels against straightforward versions (same bits): the Hessian
 *    summation model, the gradient, the shape synthesis;
 *  - OpenFace 2.2's own numbers on default.wmv (§13): sim_ref_to_img 5.4577875 and the
 *    non-rigid log-likelihood 0.7052280 at scale 0.25, the frame-1 multi-hypothesis fit
 *    against default_landmarks.csv, frames 100 and 200 tracked from OpenFace's previous
 *    state, the part-model switch, and the timings. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "face/calcparams.h"
#include "face/pdm.h"
#include "landmark/clnf_fit.h"
#include "landmark/clnf_gray.h"
#include "face/pdm_fit.h"
#include "landmark/clnf_pdm_ops.h"
#include "landmark/clnf_response.h"
#include "landmark/clnf_rlms.h"
#include "math/openblas_gram.h"
#include "test_cholesky.h"
#include "test_clock.h"
#include "test_clnf_frames.h"
#include "test_images.h"
#include "test_openface_csv.h"
#include "test_pdm_extent.h"
#include "test_random.h"

#define MAIN_MODEL SHARED("models/openface/model/main_clnf_general.txt")
#define FRAME(idx) SHARED("reference/nn/media/default_f" idx ".png")

/* OpenFace 2.2's MTCNN box on frame 1 of default.wmv (CLNF_SPEC.md §13): x, y, w, h. */
static const float frame1_box[4] = {147.371201f, 179.349548f, 190.917023f, 197.190750f};

/* Reproducible uniform values in [0, 1) with 24 bits (test_random.h). */
static uint32_t rng_state = 0x2545F491u;
static double rng_uniform(void)
{
    return (test_xorshift32(&rng_state) >> 8) * (1.0 / 16777216.0);
}

/* ---- grey conversion ------------------------------------------------------------------- */

static void test_gray(void)
{
    /* (3735·B + 19235·G + 9798·R + 16384) >> 15 by hand: pure blue 968809 >> 15 = 29, pure
     * green 4921309 >> 15 = 150, pure red 2514874 >> 15 = 76, white 255, black 0; and a
     * pixel (B, G, R) = (10, 200, 99): 37350 + 3847000 + 970002 + 16384 = 4870736 → 148. */
    const uint8_t bgr[6 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0,
                                10, 200, 99};
    uint8_t gray[6] = {0};
    au_bgr_to_gray_opencv(bgr, 6, 1, sizeof bgr, gray, 6);
    CHECK(gray[0] == 29 && gray[1] == 150 && gray[2] == 76);
    CHECK(gray[3] == 255 && gray[4] == 0 && gray[5] == 148);

    /* stride handling: two rows with padding; row 1 is pure green, pure blue */
    const uint8_t two[2 * 8] = {255, 255, 255, 0, 0, 0, 77, 77, 0, 255, 0, 255, 0, 0, 77, 77};
    uint8_t out[2 * 4];
    memset(out, 7, sizeof out);
    au_bgr_to_gray_opencv(two, 2, 2, 8, out, 4);
    CHECK(out[0] == 255 && out[1] == 0 && out[4] == 150 && out[5] == 29);
    CHECK(out[2] == 7 && out[3] == 7 && out[6] == 7); /* padding untouched */

    /* the vectorised loop against the formula, pixel by pixel, on widths around the vector
     * sizes, over a spread of byte values in every channel */
    enum { W = 67, H = 3 };
    uint8_t img[H * (W * 3 + 5)], res[H * (W + 2)];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i * 97 + i / 7);
    memset(res, 0, sizeof res);
    int wrong = 0;
    for (int width = 1; width <= W; width++) {
        au_bgr_to_gray_opencv(img, width, H, W * 3 + 5, res, W + 2);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < width; x++) {
                const uint8_t *p = img + (size_t)y * (W * 3 + 5) + 3 * x;
                int want = (3735 * p[0] + 19235 * p[1] + 9798 * p[2] + 16384) >> 15;
                wrong += res[(size_t)y * (W + 2) + x] != want;
            }
    }
    CHECK(wrong == 0);
}

/* ---- KDE table, mean shift, likelihood ------------------------------------------------- */

static void test_kde_table(void)
{
    au_clnf_kde k;
    au_err err;
    const float a = -0.5f; /* σ = 1 */
    CHECK(au_clnf_kde_build(&k, 3, a, &err) == AUFACE_OK);
    CHECK(k.ws == 3 && k.grid == 30 && k.a == a);
    /* row (x, y) = x·30 + y holds exp(a·((0.1y − ii)² + (0.1x − jj)²)) at ii·3 + jj */
    const float *r00 = k.table; /* centre (0, 0) */
    CHECK(r00[0] == 1.0f);
    CHECK_NEAR(r00[1], exp(-0.5), 1e-7);       /* (ii, jj) = (0, 1) */
    CHECK_NEAR(r00[4], exp(-1.0), 1e-7);       /* (1, 1) */
    CHECK_NEAR(r00[8], exp(-4.0), 1e-8);       /* (2, 2) */
    const float *r = k.table + (10 * 30 + 5) * 9; /* dx = 1.0, dy = 0.5 */
    CHECK_NEAR(r[1], exp(-0.125), 1e-7);       /* (0, 1): (0.5)² + 0² */
    CHECK_NEAR(r[3], exp(-0.5 * (0.25 + 1.0)), 1e-7); /* (1, 0): 0.5² + 1² */
    /* every entry against the formula in double (the float rounding of the grid and
     * squares moves values by a few 1e-8 at most) */
    double worst = 0;
    for (int x = 0; x < 30; x++)
        for (int y = 0; y < 30; y++)
            for (int ii = 0; ii < 3; ii++)
                for (int jj = 0; jj < 3; jj++) {
                    const double dx = 0.1 * x, dy = 0.1 * y;
                    const double v = exp(-0.5 * ((dy - ii) * (dy - ii) + (dx - jj) * (dx - jj)));
                    const double d = fabs(v - k.table[(x * 30 + y) * 9 + ii * 3 + jj]);
                    if (d > worst)
                        worst = d;
                }
    CHECK(worst < 1e-6);
    au_clnf_kde_free(&k);

    /* the main model's largest table: 110 x 110 rows of 121 */
    CHECK(au_clnf_kde_build(&k, 11, (float)(-0.5 / (1.5f * 1.5f)), &err) == AUFACE_OK);
    CHECK(k.grid == 110);
    au_clnf_kde_free(&k);
    CHECK(au_clnf_kde_build(&k, 0, a, &err) == AUFACE_ERR_ARG);
    CHECK(au_clnf_kde_build(&k, 99, a, &err) == AUFACE_ERR_ARG);
}

static void test_mean_shift(void)
{
    au_clnf_kde k;
    au_err err;
    const float a = -0.5f;
    CHECK(au_clnf_kde_build(&k, 3, a, &err) == AUFACE_OK);
    float msx, msy;

    /* A single peak at (row 2, column 1): the weighted mean is the peak itself whatever the
     * kernel, so from (1, 1) the shift is (0, 1). */
    float delta[9] = {0};
    delta[2 * 3 + 1] = 1.0f;
    au_clnf_mean_shift(&k, delta, 1.0f, 1.0f, &msx, &msy);
    CHECK(msx == 0.0f && msy == 1.0f);

    /* Two equal peaks in row 0 at columns 0 and 2, from (dx, dy) = (1.3, 0): the kernel
     * weights are w0 = exp(−0.5·1.3²) and w2 = exp(−0.5·0.7²), so
     * msx = 2·w2/(w0 + w2) − 1.3 and msy = 0. */
    float two[9] = {0};
    two[0] = two[2] = 1.0f;
    const double w0 = exp(-0.5 * 1.69), w2 = exp(-0.5 * 0.49);
    const double want = 2 * w2 / (w0 + w2) - 1.3;
    au_clnf_mean_shift(&k, two, 1.3f, 0.0f, &msx, &msy);
    CHECK_NEAR(msx, want, 2e-6);
    CHECK(msy == 0.0f);
    /* 0.1-pixel grid: at 1.34 the kernel is still centred on 1.3 (row (int)(13.4 + 0.5) =
     * 13), only the subtracted position changes; at 1.36 it moves to 1.4. */
    float msx2;
    au_clnf_mean_shift(&k, two, 1.34f, 0.0f, &msx2, &msy);
    CHECK_NEAR(msx2, 2 * w2 / (w0 + w2) - 1.34, 2e-6);
    const double v0 = exp(-0.5 * 1.96), v2 = exp(-0.5 * 0.36);
    au_clnf_mean_shift(&k, two, 1.36f, 0.0f, &msx2, &msy);
    CHECK_NEAR(msx2, 2 * v2 / (v0 + v2) - 1.36, 2e-6);

    /* clamping: below 0 the position is 0, above ws − 0.1 it is 2.9 */
    au_clnf_mean_shift(&k, delta, -5.0f, -1.0f, &msx, &msy);
    CHECK(msx == 1.0f && msy == 2.0f);
    au_clnf_mean_shift(&k, delta, 50.0f, 7.0f, &msx, &msy);
    CHECK_NEAR(msx, 1.0 - 2.9, 1e-6);
    CHECK_NEAR(msy, 2.0 - 2.9, 1e-6);
    au_clnf_kde_free(&k);

    /* the 4-landmark version gives the same bits as one at a time, for any count */
    CHECK(au_clnf_kde_build(&k, 9, (float)(-0.5 / (1.75f * 1.75f)), &err) == AUFACE_OK);
    float maps[4][81];
    for (int l = 0; l < 4; l++)
        for (int q = 0; q < 81; q++)
            maps[l][q] = (float)rng_uniform();
    const float *resp[4] = {maps[0], maps[1], maps[2], maps[3]};
    const float dx[4] = {4.0f, 0.37f, 8.95f, -1.0f}, dy[4] = {4.26f, 7.1f, 2.04f, 12.0f};
    int same = 1;
    for (int count = 1; count <= 4; count++) {
        float bx[4], by[4];
        au_clnf_mean_shift4(&k, resp, dx, dy, count, bx, by);
        for (int l = 0; l < count; l++) {
            au_clnf_mean_shift(&k, resp[l], dx[l], dy[l], &msx, &msy);
            same &= msx == bx[l] && msy == by[l];
        }
    }
    CHECK(same);
    au_clnf_kde_free(&k);

    /* the 8-landmark version (AVX path: eight cells transposed at a time, then the odd
     * cells of a 9x9 or 11x11 map one by one), for any count */
    for (int ws = 9; ws <= 11; ws += 2) {
        CHECK(au_clnf_kde_build(&k, ws, (float)(-0.5 / (1.5f * 1.5f)), &err) == AUFACE_OK);
        float maps8[8][121];
        for (int l = 0; l < 8; l++)
            for (int q = 0; q < ws * ws; q++)
                maps8[l][q] = (float)rng_uniform();
        const float *resp8[8];
        float dx8[8], dy8[8];
        for (int l = 0; l < 8; l++) {
            resp8[l] = maps8[l];
            dx8[l] = (float)rng_uniform() * (float)(ws + 2) - 1.0f;
            dy8[l] = (float)rng_uniform() * (float)(ws + 2) - 1.0f;
        }
        int same8 = 1;
        for (int count = 1; count <= 8; count++) {
            float bx[8], by[8];
            au_clnf_mean_shift8(&k, resp8, dx8, dy8, count, bx, by);
            for (int l = 0; l < count; l++) {
                au_clnf_mean_shift(&k, resp8[l], dx8[l], dy8[l], &msx, &msy);
                same8 &= msx == bx[l] && msy == by[l];
            }
        }
        CHECK(same8);
        au_clnf_kde_free(&k);
    }
}

static void test_likelihood(void)
{
    /* a constant map of ones: L = Σ exp(−0.5·d²/σ²) over the 5x5 grid, in double */
    float ones[25];
    for (int i = 0; i < 25; i++)
        ones[i] = 1.0f;
    const float dx = 2.3f, dy = 1.6f, sigma = 1.75f;
    double want = 0;
    for (int ii = 0; ii < 5; ii++)
        for (int jj = 0; jj < 5; jj++)
            want += exp(-0.5 * ((dy - ii) * (dy - ii) + (dx - jj) * (dx - jj)) /
                        (1.75 * 1.75));
    CHECK_NEAR(au_clnf_landmark_likelihood(ones, 5, dx, dy, sigma), want, 1e-5);
    /* a delta at (row 0, column 4) from (4, 0): exp(0) = 1 */
    float delta[25] = {0};
    delta[4] = 0.5f;
    CHECK(au_clnf_landmark_likelihood(delta, 5, 4.0f, 0.0f, sigma) == 0.5f);
}

/* ---- kernels against straightforward versions ------------------------------------------ */

/* The OpenBLAS AVX2 tile rule (math/openblas_gram.c), written out again:
 * split[col·P + row] for element (row, col) of the column-major result. */
static void ref_split(int P, int K, unsigned char *split)
{
    memset(split, 0, (size_t)P * P);
    if (K < 8)
        return;
    for (int c0 = 0; c0 < P;) {
        const int rest = P - c0, width = rest >= 12 ? 12 : rest >= 8 ? 8 : rest > 4 ? 4 : rest;
        if (width == 12 && P >= 16) {
            for (int c = c0; c < c0 + 6; c++)
                for (int r = 0; r < 8; r++)
                    split[c * P + r] = 1;
            int row = 0, left = P, right = 0;
            for (;;) {
                row += 8;
                left -= 8;
                if (left < 16) {
                    right = 0;
                    break;
                }
                row += 8;
                left -= 8;
                if (left < 16) {
                    right = 1;
                    break;
                }
            }
            for (int c = c0 + 6 * right; c < c0 + 6 * right + 6; c++)
                for (int r = row; r < row + 8 && r < P; r++)
                    split[c * P + r] = 1;
        } else if (width == 4 || width == 8) {
            for (int c = c0; c < c0 + width && c < P; c++)
                for (int r = 0; r < P / 8 * 8; r++)
                    split[c * P + r] = 1;
        }
        c0 += width;
    }
}

/* H(r, c) one element at a time: a single fmaf chain over k, or the even/odd pair. */
static void ref_hessian(const float *J, const float *Jw, int rows, int cols, const float *reg,
                        float *H)
{
    unsigned char split[AU_PDM_MAX_PARAMS * AU_PDM_MAX_PARAMS];
    ref_split(cols, rows, split);
    const int ld = AU_PDM_JSTRIDE, blocked = rows >= 8 ? rows / 8 * 8 : 0;
    for (int r = 0; r < cols; r++)
        for (int c = 0; c < cols; c++) {
            float acc = 0.0f;
            if (split[r * cols + c]) {
                float e = 0.0f, o = 0.0f;
                int k = 0;
                for (; k < blocked; k += 2) {
                    e = fmaf(Jw[k * ld + r], J[k * ld + c], e);
                    o = fmaf(Jw[(k + 1) * ld + r], J[(k + 1) * ld + c], o);
                }
                for (; k < rows; k++)
                    e = fmaf(Jw[k * ld + r], J[k * ld + c], e);
                acc = e + o;
            } else {
                for (int k = 0; k < rows; k++)
                    acc = fmaf(Jw[k * ld + r], J[k * ld + c], acc);
            }
            H[r * cols + c] = r == c ? (reg ? reg[r] : 0.0f) + acc : acc;
        }
}

static void test_hessian(void)
{
    static float J[2 * AU_PDM_MAX_POINTS * AU_PDM_JSTRIDE], Jw[2 * AU_PDM_MAX_POINTS * AU_PDM_JSTRIDE];
    float H[AU_PDM_MAX_PARAMS * AU_PDM_MAX_PARAMS], R[AU_PDM_MAX_PARAMS * AU_PDM_MAX_PARAMS];
    float reg[AU_PDM_MAX_PARAMS];
    /* (rows, cols) of the main model (rigid, full), inner part (weighted), eyes, odd sizes */
    const int sizes[][2] = {{136, 6}, {136, 40}, {102, 38}, {56, 16}, {56, 6}, {7, 9}, {30, 46}};
    int all_same = 1, all_sym = 1;
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        const int rows = sizes[t][0], cols = sizes[t][1];
        for (int i = 0; i < rows * AU_PDM_JSTRIDE; i++) {
            J[i] = (float)(rng_uniform() * 2 - 1);
            Jw[i] = J[i] * (float)(0.5 + rng_uniform());
        }
        for (int c = 0; c < cols; c++)
            reg[c] = c < 6 ? 0.0f : (float)rng_uniform();
        for (int weighted = 0; weighted < 2; weighted++) {
            const float *jw = weighted ? Jw : J;
            au_openblas_gram_f32(J, jw, rows, cols, AU_PDM_JSTRIDE, reg, H, NULL);
            ref_hessian(J, jw, rows, cols, reg, R);
            all_same &= memcmp(H, R, (size_t)cols * cols * sizeof(float)) == 0;
        }
        /* unweighted: JᵀJ is symmetric except where one of (r, c), (c, r) is in a split
         * tile; check that elements outside split tiles agree with their mirror */
        au_openblas_gram_f32(J, J, rows, cols, AU_PDM_JSTRIDE, NULL, H, NULL);
        unsigned char split[AU_PDM_MAX_PARAMS * AU_PDM_MAX_PARAMS];
        ref_split(cols, rows, split);
        for (int r = 0; r < cols; r++)
            for (int c = 0; c < cols; c++)
                if (split[r * cols + c] == split[c * cols + r])
                    all_sym &= H[r * cols + c] == H[c * cols + r];
    }
    CHECK(all_same);
    CHECK(all_sym);

    /* J_w_t·v: four double partial sums */
    float v[136], g[AU_PDM_MAX_PARAMS];
    for (int k = 0; k < 136; k++)
        v[k] = (float)(rng_uniform() - 0.5);
    au_pdm_gradient(J, 136, 40, v, NULL, NULL, g);
    int jt_ok = 1;
    for (int c = 0; c < 40; c++) {
        double s[4] = {0, 0, 0, 0};
        for (int k = 0; k < 136; k++)
            s[k % 4] += (double)J[k * AU_PDM_JSTRIDE + c] * v[k];
        jt_ok &= g[c] == (float)(s[0] + s[1] + s[2] + s[3]);
    }
    CHECK(jt_ok);
}

static void test_shapes(const au_pdm *pdm)
{
    float *pc_t = au_clnf_transpose_components(pdm);
    CHECK(pc_t != NULL);
    if (!pc_t)
        return;
    float p[AU_PDM_MAX_MODES], s1[3 * AU_PDM_MAX_POINTS], s2[3 * AU_PDM_MAX_POINTS];
    float l1[2 * AU_PDM_MAX_POINTS], l2[2 * AU_PDM_MAX_POINTS];
    int same = 1;
    for (int t = 0; t < 20; t++) {
        for (int j = 0; j < pdm->m; j++)
            p[j] = (float)((rng_uniform() - 0.5) * 4 * sqrt(pdm->eig[j]));
        const float g[6] = {(float)(0.5 + rng_uniform()), (float)(rng_uniform() - 0.5),
                            (float)(rng_uniform() - 0.5), (float)(rng_uniform() - 0.5),
                            (float)(rng_uniform() * 600), (float)(rng_uniform() * 400)};
        au_pdm_shape3d(pdm, p, s1);
        au_clnf_shape3d(pdm, pc_t, p, s2);
        same &= memcmp(s1, s2, (size_t)3 * pdm->n * sizeof(float)) == 0;
        au_pdm_shape2d(pdm, g, p, l1);
        au_clnf_shape2d_from_3d(s2, pdm->n, g, l2);
        same &= memcmp(l1, l2, (size_t)2 * pdm->n * sizeof(float)) == 0;
    }
    CHECK(same);
    free(pc_t);

    /* clamp: |p_j| <= 3·sqrt(λ_j), sign kept, values inside untouched */
    for (int j = 0; j < pdm->m; j++)
        p[j] = (j % 2 ? -1.0f : 1.0f) * (float)(j < 10 ? 10 : 0.5) * sqrtf(pdm->eig[j]);
    au_clnf_clamp_local(pdm, p);
    int clamp_ok = 1;
    for (int j = 0; j < pdm->m; j++) {
        const float lim = (float)(3.0 * sqrt((double)pdm->eig[j]));
        const float want = j < 10 ? (j % 2 ? -lim : lim)
                                  : (j % 2 ? -1.0f : 1.0f) * 0.5f * sqrtf(pdm->eig[j]);
        clamp_ok &= p[j] == want;
    }
    CHECK(clamp_ok);
}

/* ---- real data --------------------------------------------------------------------------- */


static void distances(const float *a, const float *b, int n, double *mean, double *max)
{
    *mean = *max = 0;
    for (int i = 0; i < n; i++) {
        const double d = hypot((double)a[i] - b[i], (double)a[n + i] - b[n + i]);
        *mean += d / n;
        if (d > *max)
            *max = d;
    }
}

/* CalcShape2D in double, Euler angles as parameters (for the state recovery below). */
static void project_double(const au_pdm *pdm, const double *th, double *out)
{
    const int n = pdm->n, m = pdm->m;
    const double s1 = sin(th[1]), c1 = cos(th[1]), s2 = sin(th[2]), c2 = cos(th[2]);
    const double s3 = sin(th[3]), c3 = cos(th[3]);
    const double R[6] = {c2 * c3, -c2 * s3, s2, c1 * s3 + c3 * s1 * s2, c1 * c3 - s1 * s2 * s3,
                         -c2 * s1};
    for (int i = 0; i < n; i++) {
        double P[3];
        for (int d = 0; d < 3; d++) {
            P[d] = pdm->mean[d * n + i];
            for (int j = 0; j < m; j++)
                P[d] += (double)pdm->pc[(size_t)(d * n + i) * m + j] * th[6 + j];
        }
        out[i] = th[0] * (R[0] * P[0] + R[1] * P[1] + R[2] * P[2]) + th[4];
        out[n + i] = th[0] * (R[3] * P[0] + R[4] * P[1] + R[5] * P[2]) + th[5];
    }
}

/* OpenFace's tracker state after a frame: (g, p) with detected_landmarks = CalcShape2D(p, g)
 * exactly (CLNF_SPEC §6.6). Only the landmarks are published, so (g, p) is recovered by an
 * unregularised Gauss-Newton fit in double (numeric Jacobian) started from CalcParams; the
 * landmarks being an exact PDM instance, the residual is at the float rounding of the CSV.
 * Returns the largest residual in pixels. */
static double recover_state(const au_pdm *pdm, const float *lm, float g[6], float *p)
{
    enum { MAXP = 6 + AU_PDM_MAX_MODES, MAXR = 2 * AU_PDM_MAX_POINTS };
    const int n = pdm->n, m = pdm->m, P = 6 + m, rows = 2 * n;
    static double J[MAXR * MAXP];
    double th[MAXP], f0[MAXR], f1[MAXR], r[MAXR], H[MAXP * MAXP], gr[MAXP];
    float g0[6], p0[AU_PDM_MAX_MODES];
    au_calc_params(pdm, lm, g0, p0);
    for (int i = 0; i < 6; i++)
        th[i] = g0[i];
    for (int j = 0; j < m; j++)
        th[6 + j] = p0[j];
    for (int it = 0; it < 12; it++) {
        project_double(pdm, th, f0);
        for (int k = 0; k < rows; k++)
            r[k] = lm[k] - f0[k];
        for (int c = 0; c < P; c++) {
            const double step = 1e-6 * (fabs(th[c]) + 1e-3), keep = th[c];
            th[c] = keep + step;
            project_double(pdm, th, f1);
            th[c] = keep - step;
            project_double(pdm, th, f0);
            th[c] = keep;
            for (int k = 0; k < rows; k++)
                J[k * P + c] = (f1[k] - f0[k]) / (2 * step);
        }
        for (int a = 0; a < P; a++) {
            gr[a] = 0;
            for (int k = 0; k < rows; k++)
                gr[a] += J[k * P + a] * r[k];
            for (int b = 0; b < P; b++) {
                double s = 0;
                for (int k = 0; k < rows; k++)
                    s += J[k * P + a] * J[k * P + b];
                H[a * P + b] = s;
            }
        }
        test_solve_spd(H, P, gr);
        for (int c = 0; c < P; c++)
            th[c] += gr[c];
    }
    for (int i = 0; i < 6; i++)
        g[i] = (float)th[i];
    for (int j = 0; j < m; j++)
        p[j] = (float)th[6 + j];
    float back[MAXR];
    au_pdm_shape2d(pdm, g, p, back);
    double worst = 0;
    for (int k = 0; k < rows; k++)
        worst = fmax(worst, fabs((double)back[k] - lm[k]));
    return worst;
}

static void test_box_and_similarity(const au_clnf_model *m)
{
    const au_clnf *c = au_clnf_model_main_const(m);
    const au_pdm *pdm = &c->pdm;
    const int n = pdm->n;
    float g[6], p[AU_PDM_MAX_MODES];
    const float zero[3] = {0, 0, 0};
    au_clnf_init_from_box(m, frame1_box, zero, g, p);
    /* by hand for rotation 0: the rotated mean is the mean itself */
    const test_extent ext = test_pdm_mean_extent(pdm);
    const float s = (frame1_box[2] / (float)(ext.max_x - ext.min_x) +
                     frame1_box[3] / (float)(ext.max_y - ext.min_y)) / 2.0f;
    CHECK(g[0] == s && g[1] == 0.0f && g[2] == 0.0f && g[3] == 0.0f);
    CHECK_NEAR(g[4], frame1_box[0] + frame1_box[2] / 2 - s * (ext.min_x + ext.max_x) / 2,
               1e-4);
    CHECK_NEAR(g[5], frame1_box[1] + frame1_box[3] / 2 - s * (ext.min_y + ext.max_y) / 2,
               1e-4);
    int zero_p = 1;
    for (int j = 0; j < pdm->m; j++)
        zero_p &= p[j] == 0.0f;
    CHECK(zero_p);
    /* the shape spans the box: its extremes are the box edges */
    float lm[2 * AU_PDM_MAX_POINTS];
    au_pdm_shape2d(pdm, g, p, lm);
    float lx = lm[0], hx = lm[0], ly = lm[n], hy = lm[n];
    for (int i = 0; i < n; i++) {
        lx = fminf(lx, lm[i]);
        hx = fmaxf(hx, lm[i]);
        ly = fminf(ly, lm[n + i]);
        hy = fmaxf(hy, lm[n + i]);
    }
    CHECK_NEAR((lx + hx) / 2, frame1_box[0] + frame1_box[2] / 2, 1e-3);
    CHECK_NEAR((ly + hy) / 2, frame1_box[1] + frame1_box[3] / 2, 1e-3);

    /* a rotated hypothesis keeps the box centre and fills the box on average */
    float rot[3];
    au_clnf_hypothesis_rotation(3, rot);
    CHECK(rot[0] == 0.0f && rot[1] == (float)-0.96 && rot[2] == 0.0f);
    au_clnf_hypothesis_rotation(10, rot);
    CHECK(rot[1] == (float)1.22 && rot[2] == (float)-0.698);

    /* sim_ref_to_img at scale 0.25 for hypothesis 0: OpenFace 5.4577875 (CLNF_SPEC §13) */
    float ref[2 * AU_PDM_MAX_POINTS], i2r[4], r2i[4];
    const float gref[6] = {(float)c->scales[0].patch_scaling, 0, 0, 0, 0, 0};
    au_pdm_shape2d(pdm, gref, p, ref);
    au_clnf_similarity(lm, ref, n, i2r, r2i);
    printf("  sim_ref_to_img(0,0) = %.7f (OpenFace 5.4577875), (0,1) = %.3g\n", r2i[0], r2i[1]);
    CHECK_NEAR(r2i[0], 5.4577875, 1e-6);
    CHECK(fabsf(r2i[1]) < 1e-6f && fabsf(r2i[2]) < 1e-6f);
    CHECK_NEAR(r2i[0] * i2r[0] + r2i[1] * i2r[2], 1.0, 1e-6);
    /* a pure rotation by 90° and scale 2 of the reference is recovered */
    float rotated[2 * AU_PDM_MAX_POINTS];
    for (int i = 0; i < n; i++) {
        rotated[i] = -2.0f * ref[n + i] + 10.0f;
        rotated[n + i] = 2.0f * ref[i] - 3.0f;
    }
    au_clnf_similarity(rotated, ref, n, i2r, r2i);
    CHECK_NEAR(r2i[0], 0.0, 1e-5);
    CHECK_NEAR(r2i[2], 2.0, 1e-5);
    CHECK_NEAR(r2i[1], -2.0, 1e-5);
}

static void test_errors(au_clnf_model *unprepared)
{
    au_err err;
    au_clnf_params p;
    au_clnf_params_default(&p);
    au_clnf_fitter *f = NULL;
    CHECK(au_clnf_fitter_create(&f, unprepared, &p, &err) == AUFACE_ERR_ARG);
    CHECK(f == NULL && strstr(err.msg, "au_clnf_prepare_model") != NULL);
    CHECK(au_clnf_params_for_part("nose", &p, &err) == AUFACE_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "nose") != NULL);
    au_clnf_params part;
    CHECK(au_clnf_params_for_part("inner", &part, &err) == AUFACE_OK);
    CHECK(part.num_window_sizes == 1 && part.window_sizes_init[0] == 9 && part.sigma == 1.75f &&
          part.reg_factor == 2.5f && part.weight_factor == 2.5f && !part.refine_parameters &&
          !part.refine_hierarchical && !part.validate_detections);
    CHECK(au_clnf_params_for_part("left_eye_28", &part, &err) == AUFACE_OK);
    CHECK(part.num_window_sizes == 3 && part.window_sizes_init[0] == 3 &&
          part.window_sizes_init[1] == 5 && part.sigma == 1.0f && part.reg_factor == 0.5f &&
          part.weight_factor == 0.0f);
    au_clnf_params_default(&p);
    CHECK(p.num_iterations == 5 && p.sigma == 1.5f && p.reg_factor == 25.0f &&
          p.weight_factor == 0.0f && p.validation_boundary == 0.725f &&
          p.window_sizes_init[0] == 11 && p.window_sizes_small[0] == 0 &&
          p.window_sizes_small[1] == 9 && p.window_sizes_small[2] == 7);
    p.num_window_sizes = 2; /* fewer windows than scales */
    CHECK(au_clnf_fitter_create(&f, unprepared, &p, &err) == AUFACE_ERR_ARG);
}

static void test_frames(au_clnf_model *m)
{
    au_err err;
    au_clnf_params params;
    au_clnf_params_default(&params);
    double t0 = test_thread_cpu_seconds();
    CHECK(au_clnf_prepare_model(m, &params, NULL, &err) == AUFACE_OK);
    const double t_prep = test_thread_cpu_seconds() - t0;
    au_clnf_fitter *f = NULL;
    t0 = test_thread_cpu_seconds();
    CHECK(au_clnf_fitter_create(&f, m, &params, &err) == AUFACE_OK);
    const double t_create = test_thread_cpu_seconds() - t0;
    printf("  prepare model %.0f ms, create fitter %.0f ms\n", 1e3 * t_prep, 1e3 * t_create);
    if (!f)
        return;
    const au_pdm *pdm = &au_clnf_model_main_const(m)->pdm;
    int w, h;
    uint8_t *gray = test_load_clnf_gray(FRAME("000"), &w, &h);
    CHECK(gray != NULL && w == 640 && h == 480);
    float want[136];
    CHECK(test_openface_landmarks(1, want));
    if (!gray) {
        au_clnf_fitter_free(f);
        return;
    }

    /* Hypothesis 0, scale 0.25 only (window 11, then 0: the likelihood is recorded there),
     * no parts: OpenFace's non-rigid pass log-likelihood 0.7052280 (CLNF_SPEC §13). */
    au_clnf_fit_result r;
    memset(&r, 0, sizeof r);
    float g[6], p[AU_PDM_MAX_MODES];
    const float zero[3] = {0, 0, 0};
    au_clnf_params no_parts = params;
    no_parts.refine_hierarchical = 0;
    const int scale0[3] = {11, 0, 0};
    au_clnf_init_from_box(m, frame1_box, zero, g, p);
    CHECK(au_clnf_fit(f, gray, w, h, (size_t)w, g, p, scale0, &no_parts, &r, &err) == AUFACE_OK);
    printf("  scale 0.25 non-rigid log-likelihood %.7f (OpenFace 0.7052280)\n",
           r.model_likelihood);
    CHECK(r.likelihood_computed && r.fit_ok);
    CHECK_NEAR(r.model_likelihood, 0.7052280, 5e-7);
    CHECK(r.num_parts == 0 && !r.parts_used);

    /* Full fit of hypothesis 0 without parts, then with parts: the parts and the refit are
     * what brings the landmarks onto OpenFace's. */
    double mean0, max0, mean1, max1;
    au_clnf_init_from_box(m, frame1_box, zero, g, p);
    CHECK(au_clnf_fit(f, gray, w, h, (size_t)w, g, p, params.window_sizes_init, &no_parts, &r,
                      &err) == AUFACE_OK);
    distances(r.landmarks, want, 68, &mean0, &max0);
    const float lh0 = r.model_likelihood;
    au_clnf_init_from_box(m, frame1_box, zero, g, p);
    CHECK(au_clnf_fit(f, gray, w, h, (size_t)w, g, p, params.window_sizes_init, &params, &r,
                      &err) == AUFACE_OK);
    distances(r.landmarks, want, 68, &mean1, &max1);
    printf("  hypothesis 0: likelihood %.4f (OpenFace 0.7996); without parts mean %.3f max %.3f "
           "px, with parts mean %.5f max %.5f px\n",
           lh0, mean0, max0, mean1, max1);
    CHECK_NEAR(lh0, 0.7996, 1e-3);
    CHECK(r.likelihood_computed && r.model_likelihood == lh0); /* not recomputed by parts */
    CHECK(r.parts_used && r.num_parts == 3);
    CHECK(r.parts[0].n == 51 && r.parts[1].n == 28 && r.parts[2].n == 28);
    CHECK(mean0 > 0.3 && mean1 < 0.01);
    /* detected_landmarks is exactly CalcShape2D(local, global), and the in/out parameters
     * hold the final state */
    float back[136];
    au_pdm_shape2d(pdm, r.global, r.local, back);
    CHECK(memcmp(back, r.landmarks, sizeof back) == 0);
    CHECK(memcmp(g, r.global, sizeof g) == 0 && memcmp(p, r.local, 34 * sizeof(float)) == 0);

    /* Each hypothesis alone: the likelihoods of CLNF_SPEC §8.4 (printed there to 3–4
     * digits by the re-implementation that matched OpenFace). */
    static const double spec_lh[AU_CLNF_NUM_HYPOTHESES] = {
        0.7996, 0.394, 0.584, -2.18, -2.02, -0.41, -0.22, -1.08, -1.22, -1.99, -1.92};
    static const double spec_tol[AU_CLNF_NUM_HYPOTHESES] = {
        1e-3, 1e-3, 1e-3, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01};
    int hyp_ok = 1;
    printf("  hypothesis likelihoods:");
    for (int k = 0; k < AU_CLNF_NUM_HYPOTHESES; k++) {
        float rot[3];
        au_clnf_hypothesis_rotation(k, rot);
        au_clnf_init_from_box(m, frame1_box, rot, g, p);
        CHECK(au_clnf_fit(f, gray, w, h, (size_t)w, g, p, params.window_sizes_init, &params, &r,
                          &err) == AUFACE_OK);
        printf(" %.4f", r.model_likelihood);
        hyp_ok &= r.likelihood_computed && fabs(r.model_likelihood - spec_lh[k]) <= spec_tol[k];
    }
    printf("\n");
    CHECK(hyp_ok);

    /* Frame 1: the 11-hypothesis detection from the MTCNN box. */
    memset(&r, 0, sizeof r);
    r.model_likelihood = -10.0f; /* CLNF::Read */
    t0 = test_thread_cpu_seconds();
    CHECK(au_clnf_detect_from_box(f, gray, w, h, (size_t)w, frame1_box, &params, &r, &err) ==
          AUFACE_OK);
    const double t_detect = test_thread_cpu_seconds() - t0;
    double mean, max;
    distances(r.landmarks, want, 68, &mean, &max);
    printf("  frame 1 (11 hypotheses, %.1f ms): likelihood %.4f, s %.4f, vs OpenFace mean %.6f "
           "max %.6f px\n",
           1e3 * t_detect, r.model_likelihood, r.global[0], mean, max);
    CHECK(mean <= 0.005 && max <= 0.02);
    CHECK_NEAR(r.model_likelihood, lh0, 0); /* hypothesis 0 wins (CLNF_SPEC §8.4) */
    CHECK_NEAR(r.global[0], 1.303, 5e-4);   /* CSV p_scale */
    /* tracking in place: the result's own parameters as the in/out state */
    CHECK(au_clnf_fit(f, gray, w, h, (size_t)w, r.global, r.local, params.window_sizes_small,
                      &params, &r, &err) == AUFACE_OK);
    au_pdm_shape2d(pdm, r.global, r.local, back);
    CHECK(memcmp(back, r.landmarks, sizeof back) == 0);
    distances(r.landmarks, want, 68, &mean, &max);
    printf("  frame 1 fitted again in place (windows 9/7): mean %.3f max %.3f px\n", mean, max);
    /* not a fixed point (new responses, parts, refit), but it stays on the face */
    CHECK(mean < 0.5 && max < 2.0);
    free(gray);

    /* Frames 100 and 200 tracked with the small windows from OpenFace's state after the
     * previous frame (CSV frames 100 and 200 are video frames 99 and 199). */
    const char *paths[2] = {FRAME("100"), FRAME("200")};
    const int prev_rows[2] = {100, 200};
    double t_track = 0;
    int tracked = 0;
    for (int k = 0; k < 2; k++) {
        float prev[136], next[136];
        gray = test_load_clnf_gray(paths[k], &w, &h);
        CHECK(gray != NULL);
        CHECK(test_openface_landmarks(prev_rows[k], prev) &&
              test_openface_landmarks(prev_rows[k] + 1, next));
        if (!gray)
            continue;
        const double resid = recover_state(pdm, prev, g, p);
        CHECK(resid < 2e-4);
        t0 = test_thread_cpu_seconds();
        CHECK(au_clnf_fit(f, gray, w, h, (size_t)w, g, p, params.window_sizes_small, &params,
                          &r, &err) == AUFACE_OK);
        t_track += test_thread_cpu_seconds() - t0;
        tracked++;
        distances(r.landmarks, next, 68, &mean, &max);
        printf("  video frame %d from OpenFace's state (residual %.1e px): mean %.5f max %.5f px\n",
               prev_rows[k], resid, mean, max);
        CHECK(mean <= 0.01 && max <= 0.05);
        CHECK(r.fit_ok && r.parts_used);

        /* the same from PDM::CalcParams of the previous landmarks (an approximation of the
         * state: CalcParams is regularised and stops early) */
        au_calc_params(pdm, prev, g, p);
        CHECK(au_clnf_fit(f, gray, w, h, (size_t)w, g, p, params.window_sizes_small, &params,
                          &r, &err) == AUFACE_OK);
        distances(r.landmarks, next, 68, &mean, &max);
        printf("  video frame %d from CalcParams of OpenFace's landmarks: mean %.5f max %.5f px\n",
               prev_rows[k], mean, max);
        CHECK(mean <= 0.05);

        /* timing: repeat the tracked fit from the recovered state */
        if (k == 1) {
            const int reps = 20;
            float g1[6], p1[AU_PDM_MAX_MODES];
            recover_state(pdm, prev, g1, p1);
            t0 = test_thread_cpu_seconds();
            for (int i = 0; i < reps; i++) {
                memcpy(g, g1, sizeof g);
                memcpy(p, p1, sizeof p);
                au_clnf_fit(f, gray, w, h, (size_t)w, g, p, params.window_sizes_small, &params,
                            &r, &err);
            }
            t_track += test_thread_cpu_seconds() - t0;
            tracked += reps;
        }
        free(gray);
    }
    if (tracked)
        printf("  %.2f ms per tracked frame (windows 9/7 and parts), %.1f ms per frame-1 "
               "detection (CPU time)\n",
               1e3 * t_track / tracked, 1e3 * t_detect);

    /* A face too small for the parts: frame 1 at half size (2x2 means) with the box halved:
     * s stays near 0.65 < 0.9, so no part is fitted, the landmarks are the main fit's, and
     * every part holds CalcShape2D of its CalcParams initialisation. */
    gray = test_load_clnf_gray(FRAME("000"), &w, &h);
    if (gray) {
        const int hw = w / 2, hh = h / 2;
        uint8_t *half = malloc((size_t)hw * hh);
        for (int y = 0; y < hh; y++)
            for (int x = 0; x < hw; x++) {
                const uint8_t *s0 = gray + (size_t)(2 * y) * w + 2 * x, *s1 = s0 + w;
                half[y * hw + x] = (uint8_t)((s0[0] + s0[1] + s1[0] + s1[1] + 2) / 4);
            }
        const float box2[4] = {frame1_box[0] / 2, frame1_box[1] / 2, frame1_box[2] / 2,
                               frame1_box[3] / 2};
        au_clnf_init_from_box(m, box2, zero, g, p);
        CHECK(au_clnf_fit(f, half, hw, hh, (size_t)hw, g, p, params.window_sizes_init, &params,
                          &r, &err) == AUFACE_OK);
        CHECK(r.fit_ok && r.global[0] < 0.9f && !r.parts_used && r.num_parts == 3);
        for (int i = 0; i < 136; i++)
            want[i] *= 0.5f;
        distances(r.landmarks, want, 68, &mean, &max);
        printf("  half-size frame 1 (s %.3f, parts off): vs OpenFace/2 mean %.3f max %.3f px\n",
               r.global[0], mean, max);
        CHECK(mean < 1.0);
        float eye[2 * AU_PDM_MAX_POINTS], gp[6], lp[AU_PDM_MAX_MODES], locs[56] = {0};
        const au_clnf_part *left = au_clnf_model_find_part(m, "left_eye_28");
        CHECK(left != NULL);
        if (left) {
            for (int q = 0; q < left->num_pairs; q++) {
                locs[left->pairs[q][1]] = r.landmarks[left->pairs[q][0]];
                locs[left->pairs[q][1] + 28] = r.landmarks[left->pairs[q][0] + 68];
            }
            au_calc_params(&left->clnf.pdm, locs, gp, lp);
            au_pdm_shape2d(&left->clnf.pdm, gp, lp, eye);
            CHECK(memcmp(eye, r.parts[1].landmarks, 56 * sizeof(float)) == 0);
        }
        au_pdm_shape2d(pdm, r.global, r.local, back);
        CHECK(memcmp(back, r.landmarks, sizeof back) == 0);
        free(half);

        /* argument errors */
        const int bad_windows[3] = {5, 0, 0}; /* no KDE table for window 5 at scale 0 */
        CHECK(au_clnf_fit(f, gray, w, h, (size_t)w, g, p, bad_windows, &params, &r, &err) ==
              AUFACE_ERR_ARG);
        CHECK(au_clnf_fit(f, NULL, w, h, (size_t)w, g, p, params.window_sizes_small, &params, &r,
                          &err) == AUFACE_ERR_ARG);
        CHECK(au_clnf_fit(f, gray, w, h, (size_t)w - 1, g, p, params.window_sizes_small, &params,
                          &r, &err) == AUFACE_ERR_ARG);
        free(gray);
    }
    au_clnf_fitter_free(f);
}

int main(void)
{
    test_gray();
    test_kde_table();
    test_mean_shift();
    test_likelihood();
    test_hessian();

    au_err err;
    au_clnf_model *m = NULL;
    CHECK(au_clnf_model_load(&m, MAIN_MODEL, &err) == AUFACE_OK);
    if (m) {
        test_shapes(&au_clnf_model_main_const(m)->pdm);
        test_box_and_similarity(m);
        test_errors(m);
        test_frames(m);
        au_clnf_model_free(m);
    } else {
        fprintf(stderr, "%s\n", err.msg);
    }
    return check_report("test_clnf_fit");
}
