/* CCNF patch experts (landmark/ccnf): Σ per window size, the area of interest, and response
 * maps, checked against values computed here from the formulas of CLNF_SPEC.md §5.3–§5.5:
 *  - in double with straightforward loops (independent of every rounding rule): tolerance;
 *  - in float following the spec's rounding rules literally (im2col sums in OpenFace's
 *    order, fused multiply-add chains for the two sgemm products (single or even/odd pairs
 *    as OpenBLAS's Haswell kernel sums them), double sigmoid, OpenCV's
 *    CholImpl for Σ written as in matrix_decomp.cpp, or for n >= 100 OpenCV's LAPACK sposv
 *    call): bit for bit.
 * Also the response of real experts on frame 1 of default.wmv, with the landmarks of
 * OpenFace's first hypothesis (MTCNN box → CalcParams, CLNF_SPEC §4/§13), and timings. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "landmark/ccnf.h"
#include "landmark/clnf_model.h"
#include "math/openblas_sposv.h"
#include "test_cholesky.h"
#include "test_clock.h"
#include "test_images.h"
#include "test_openface_csv.h"
#include "test_pdm_extent.h"
#include "test_random.h"

#define MAIN_MODEL SHARED("models/openface/model/main_clnf_general.txt")
#define FRAME1 SHARED("reference/nn/media/default_f000.png")

/* OpenFace 2.2's MTCNN box on frame 1 of default.wmv (CLNF_SPEC.md §13): x, y, w, h. */
static const float frame1_box[4] = {147.371201f, 179.349548f, 190.917023f, 197.190750f};
/* sim_ref_to_img(0,0) at scale 0.25 on frame 1, first hypothesis (CLNF_SPEC.md §13). */
static const double frame1_sim_a = 5.4577875;

/* Reproducible uniform values in [0, 1) (test_random.h). */
static uint32_t rng_state = 0x9E3779B9u;
static double rng_uniform(void)
{
    return test_xorshift32(&rng_state) / 4294967296.0;
}

/* A synthetic AOI: smooth shading, an edge, noise, and a flat corner (constant blocks
 * exercise the norm == 0 → 1 rule). Integer grey levels, as a warped 8-bit image mostly is,
 * plus a few fractional values. */
static void synthetic_aoi(float *aoi, int a, int flat)
{
    for (int v = 0; v < a; v++)
        for (int u = 0; u < a; u++) {
            double val = 90.0 + 40.0 * sin(0.37 * u + 0.21 * v) + (u > v + 3 ? 60.0 : 0.0) +
                         12.0 * rng_uniform();
            if (flat && u < 12 && v < 12)
                val = 77.0;
            aoi[v * a + u] = (u + v) % 7 == 0 ? (float)val : (float)floor(val);
        }
}

/* ---- double-precision reference (formulas only) ----------------------------------------- */

/* Response map of expert e on the AOI (ws x ws), CLNF_SPEC §5.4–§5.5, all in double. */
static void reference_response_double(const au_ccnf_expert *e, const float *aoi, int aoi_w,
                                      int ws, const float *components, int num_components,
                                      double *out)
{
    const int w = e->width, h = e->height, n = ws * ws;
    double *r = calloc((size_t)n, sizeof *r);
    double blk[AU_CCNF_MAX_PATCH * AU_CCNF_MAX_PATCH];
    for (int y = 0; y < ws; y++)
        for (int x = 0; x < ws; x++) {
            double mean = 0.0, ss = 0.0;
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    mean += aoi[(y + i) * aoi_w + x + j];
            mean /= w * h;
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) {
                    blk[i * w + j] = aoi[(y + i) * aoi_w + x + j] - mean;
                    ss += blk[i * w + j] * blk[i * w + j];
                }
            double norm = sqrt(ss);
            if (norm == 0.0)
                norm = 1.0;
            double sum = 0.0;
            for (int k = 0; k < e->num_neurons; k++) {
                if (!(e->alpha[k] > 1e-4))
                    continue;
                double act = e->bias[k];
                for (int i = 0; i < h * w; i++)
                    act += e->norm_weights[k] * e->weights[k * h * w + i] * blk[i] / norm;
                sum += 2.0 * e->alpha[k] / (1.0 + exp(-act));
            }
            r[y * ws + x] = sum;
        }
    /* r' = Σ·r with Σ⁻¹ = 2(Σα·I + Σ_b β_b·C_b): solve Σ⁻¹·r' = r. */
    double *sinv = calloc((size_t)n * n, sizeof *sinv);
    double alpha_sum = 0.0;
    for (int k = 0; k < e->num_neurons; k++)
        alpha_sum += e->alpha[k];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double v = i == j ? alpha_sum : 0.0;
            for (int b = 0; b < num_components; b++)
                v += e->betas[b] * components[(size_t)b * n * n + (size_t)i * n + j];
            sinv[i * n + j] = 2.0 * v;
        }
    test_solve_spd(sinv, n, r);
    double min = r[0];
    for (int i = 1; i < n; i++)
        min = r[i] < min ? r[i] : min;
    for (int i = 0; i < n; i++)
        out[i] = min < 0.0 ? r[i] - min : r[i];
    free(r);
    free(sinv);
}

/* ---- float reference following the spec's rounding rules --------------------------------- */

/* Σ of CLNF_SPEC §5.5 with OpenCV's CholImpl exactly as matrix_decomp.cpp writes it (factor,
 * then forward and backward substitution for the n identity columns, i outer, j, k inner);
 * from n = 100 on OpenCV's LAPACK path instead. */
static float *reference_sigma_float(const au_ccnf_expert *e, int ws, const float *components,
                                    int num_components)
{
    const int n = ws * ws;
    float *a = calloc((size_t)n * n, sizeof *a);
    float *b = calloc((size_t)n * n, sizeof *b);
    float alpha_sum = 0.0f;
    for (int k = 0; k < e->num_neurons; k++)
        alpha_sum = (float)(alpha_sum + e->alpha[k]);
    for (int i = 0; i < n * n; i++) {
        float q2 = 0.0f;
        for (int c = 0; c < num_components; c++)
            q2 = fmaf(components[(size_t)c * n * n + i], (float)e->betas[c], q2);
        float q1 = i / n == i % n ? alpha_sum : 0.0f;
        a[i] = 2.0f * (q1 + q2);
    }
    for (int i = 0; i < n; i++)
        b[i * n + i] = 1.0f;
    if (n >= 100) {
        /* OpenCV hands n >= 100 to LAPACK (hal_internal.cpp lapack_Cholesky): sposv with the
         * row-major matrix read as column-major, uplo 'L', the identity as right-hand side,
         * the column-major solution transposed back: Σ[i][j] = B(i, j) = B[i + j·n]. The
         * solver's own bits are checked in test_openblas_sposv. */
        float *cm = malloc((size_t)n * n * sizeof *cm);
        memcpy(cm, b, (size_t)n * n * sizeof *cm);
        CHECK(au_openblas_sposv_lower_f32(n, n, a, n, cm, n) == 0);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                b[i * n + j] = cm[i + j * n];
        free(cm);
        free(a);
        return b;
    }
    float *L = a;
    for (int i = 0; i < n; i++) {
        int j;
        for (j = 0; j < i; j++) {
            double s = a[i * n + j];
            for (int k = 0; k < j; k++)
                s -= (double)(L[i * n + k] * L[j * n + k]);
            L[i * n + j] = (float)(s * L[j * n + j]);
        }
        double s = a[i * n + i];
        for (int k = 0; k < j; k++) {
            double t = L[i * n + k];
            s -= t * t;
        }
        L[i * n + i] = (float)(1.0 / sqrt(s));
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = b[i * n + j];
            for (int k = 0; k < i; k++)
                s -= (double)(L[i * n + k] * b[k * n + j]);
            b[i * n + j] = (float)(s * L[i * n + i]);
        }
    for (int i = n - 1; i >= 0; i--)
        for (int j = 0; j < n; j++) {
            double s = b[i * n + j];
            for (int k = n - 1; k > i; k--)
                s -= (double)(L[k * n + i] * b[k * n + j]);
            b[i * n + j] = (float)(s * L[i * n + i]);
        }
    free(a);
    return b;
}

/* OpenBLAS 0.3.21's Haswell sgemm (sgemm_kernel_8x4_haswell_2.c via level3.c) sums an
 * element (row, col) of an M x N x K product with alpha 1, beta 0 either as one FMA chain or
 * as an even/odd pair of chains (dot_even_odd). Walked here tile by tile as the driver and
 * kernel hand them out: N is cut into panels of 12 while at least 12 columns remain, then 8,
 * then 4 (also for 5–7 columns), then the 1–3 remaining; 4- and 8-column panels pair all
 * rows of their full 8-row tiles; 12-column panels (M >= 16) pair the first 8 rows of their
 * left 6 columns and the last full 8-row tile, which alternates halves (left for the 1st,
 * 3rd, … tile after the first). Everything else, and K < 8, is a single chain. */
static int haswell_sgemm_pairs(int m, int n, int k, int row, int col)
{
    if (k < 8)
        return 0;
    int c0 = 0, width;
    for (;; c0 += width) {
        const int rest = n - c0;
        width = rest >= 12 ? 12 : rest >= 8 ? 8 : rest >= 4 ? 4 : rest;
        if (col < c0 + width)
            break;
    }
    if (width == 4 || width == 8)
        return row < m / 8 * 8;
    if (width != 12 || m < 16)
        return 0;
    const int left = col < c0 + 6;
    if (left && row < 8)
        return 1;
    int tile = 1;
    while (m - 8 * tile >= 16)
        tile++;
    return row >= 8 * tile && row < 8 * tile + 8 && (tile % 2 == 1) == left;
}

/* One FMA chain over q = 0..k−1 from 0. */
static float dot_single(const float *a, const float *b, int k)
{
    float acc = 0.0f;
    for (int q = 0; q < k; q++)
        acc = fmaf(a[q], b[q], acc);
    return acc;
}

/* The kernel's pair (k >= 8, k8 = k rounded down to 8): even chain q = 0, 2, …, k8−2, then
 * k8..k−1; odd chain q = 1, 3, …, k8−1; result even + odd. */
static float dot_even_odd(const float *a, const float *b, int k)
{
    const int k8 = k / 8 * 8;
    float even = 0.0f, odd = 0.0f;
    for (int q = 0; q < k8; q += 2) {
        even = fmaf(a[q], b[q], even);
        odd = fmaf(a[q + 1], b[q + 1], odd);
    }
    for (int q = k8; q < k; q++)
        even = fmaf(a[q], b[q], even);
    return even + odd;
}

/* Response with the spec's float rules; sigma is the n x n Σ (row-major). */
static void reference_response_float(const au_ccnf_expert *e, const float *aoi, int aoi_w,
                                     int ws, const float *sigma, float *out)
{
    const int w = e->width, h = e->height, n = ws * ws, hw = w * h;
    float z[AU_CCNF_MAX_PATCH * AU_CCNF_MAX_PATCH];
    float *r = calloc((size_t)n, sizeof *r);
    for (int y = 0; y < ws; y++)
        for (int x = 0; x < ws; x++) {
            float sum = 0.0f;
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    sum += aoi[(y + i) * aoi_w + x + j];
            const float mean = sum / (float)hw;
            float ss = 0.0f;
            for (int j = 0; j < w; j++) /* column-major */
                for (int i = 0; i < h; i++) {
                    float v = aoi[(y + i) * aoi_w + x + j] - mean;
                    z[j * h + i] = v;
                    ss += v * v;
                }
            float norm = sqrtf(ss);
            if (norm == 0.0f)
                norm = 1.0f;
            const float inv = (float)(1.0 / norm);
            for (int i = 0; i < hw; i++)
                z[i] *= inv;
            float acc_r = 0.0f;
            for (int k = 0; k < e->num_neurons; k++) {
                const float nu = (float)e->norm_weights[k];
                /* term q of the activation: q = 0 the bias, q = 1 + j·h + i the weights */
                float term_w[1 + AU_CCNF_MAX_PATCH * AU_CCNF_MAX_PATCH];
                float term_z[1 + AU_CCNF_MAX_PATCH * AU_CCNF_MAX_PATCH];
                term_w[0] = (float)e->bias[k];
                term_z[0] = 1.0f;
                for (int j = 0; j < w; j++)
                    for (int i = 0; i < h; i++) {
                        term_w[1 + j * h + i] = e->weights[k * hw + i * w + j] * nu;
                        term_z[1 + j * h + i] = z[j * h + i];
                    }
                const int row = y + x * ws; /* im2col row of the position in the sgemm */
                const float act =
                    haswell_sgemm_pairs(n, e->num_neurons, hw + 1, row, k)
                        ? dot_even_odd(term_w, term_z, hw + 1)
                        : dot_single(term_w, term_z, hw + 1);
                if (e->alpha[k] > 1e-4)
                    acc_r = (float)(acc_r + (2.0 * e->alpha[k]) / (1.0 + exp(-(double)act)));
            }
            r[y * ws + x] = acc_r;
        }
    float min = 0.0f;
    for (int i = 0; i < n; i++) {
        float acc = 0.0f;
        for (int j = 0; j < n; j++)
            acc = fmaf(sigma[i * n + j], r[j], acc);
        out[i] = acc;
        if (i == 0 || acc < min)
            min = acc;
    }
    if (min < 0.0f)
        for (int i = 0; i < n; i++)
            out[i] = out[i] - min;
    free(r);
}

/* ---- tests -------------------------------------------------------------------------------- */

/* A deep copy of an expert's data, without prepared Σ (so tests can alter it). */
static au_ccnf_expert copy_expert(const au_ccnf_expert *src)
{
    au_ccnf_expert e = *src;
    const size_t k = (size_t)src->num_neurons, hw = (size_t)src->width * src->height;
    e.alpha = malloc(k * sizeof(double));
    e.norm_weights = malloc(k * sizeof(double));
    e.bias = malloc(k * sizeof(double));
    e.weights = malloc(k * hw * sizeof(float));
    e.weight_matrix = malloc(k * (hw + 1) * sizeof(float));
    e.betas = malloc((src->num_betas ? (size_t)src->num_betas : 1) * sizeof(double));
    memcpy(e.alpha, src->alpha, k * sizeof(double));
    memcpy(e.norm_weights, src->norm_weights, k * sizeof(double));
    memcpy(e.bias, src->bias, k * sizeof(double));
    memcpy(e.weights, src->weights, k * hw * sizeof(float));
    memcpy(e.weight_matrix, src->weight_matrix, k * (hw + 1) * sizeof(float));
    if (src->num_betas)
        memcpy(e.betas, src->betas, (size_t)src->num_betas * sizeof(double));
    e.num_sigmas = 0;
    memset(e.sigmas, 0, sizeof e.sigmas);
    return e;
}

typedef struct case_def {
    const char *what;
    int part;  /* -1 = main, else part index */
    int scale, view, point, ws;
} case_def;

static const au_clnf *case_clnf(au_clnf_model *m, int part)
{
    return part < 0 ? au_clnf_model_main_const(m) : &au_clnf_model_part(m, part)->clnf;
}

/* Σ from the module vs the literal CholImpl, and Σ·Σ⁻¹ ≈ I. */
static void test_sigma(au_clnf_model *m)
{
    static const case_def cases[] = {
        {"main 0.5 ws 7", -1, 2, 0, 30, 7},     {"main 0.35 ws 9", -1, 1, 1, 8, 9},
        {"main 0.25 ws 11", -1, 0, 0, 0, 11},  {"inner ws 9", 0, 0, 6, 20, 9},
        {"left eye ws 3", 1, 0, 0, 8, 3},      {"right eye 1.5 ws 5", 2, 1, 0, 27, 5},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const case_def *cd = &cases[ci];
        const au_clnf *c = case_clnf(m, cd->part);
        au_ccnf_expert e = copy_expert(au_clnf_expert(c, cd->scale, cd->view, cd->point));
        int count;
        const float *comp = au_clnf_sigma_components(c, cd->ws, &count);
        au_err err;
        au_err_clear(&err);
        CHECK(au_ccnf_prepare_sigma(&e, cd->ws, comp, count, &err) == AUFACE_OK);
        const au_ccnf_sigma *s = au_ccnf_find_sigma(&e, cd->ws);
        CHECK(s != NULL);
        if (!s) {
            fprintf(stderr, "  %s: %s\n", cd->what, err.msg);
            au_ccnf_expert_free(&e);
            continue;
        }
        const int n = cd->ws * cd->ws;
        float *ref = reference_sigma_float(&e, cd->ws, comp, count);
        int same = 1;
        double max_abs = 0.0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                float v = s->sigma_t[(size_t)j * s->stride + i];
                same &= memcmp(&v, &ref[i * n + j], sizeof v) == 0;
                max_abs = fmax(max_abs, fabs((double)v));
            }
        CHECK(same);
        /* Σ·Σ⁻¹ = I within float rounding (Σ⁻¹ rebuilt in double from the formula). */
        double alpha_sum = 0.0, worst = 0.0;
        for (int k = 0; k < e.num_neurons; k++)
            alpha_sum += e.alpha[k];
        for (int i = 0; i < n; i += 7)
            for (int j = 0; j < n; j++) {
                double acc = 0.0;
                for (int k = 0; k < n; k++) {
                    double sinv = k == j ? alpha_sum : 0.0;
                    for (int b = 0; b < count; b++)
                        sinv += e.betas[b] * comp[(size_t)b * n * n + (size_t)k * n + j];
                    acc += (double)s->sigma_t[(size_t)k * s->stride + i] * 2.0 * sinv;
                }
                worst = fmax(worst, fabs(acc - (i == j ? 1.0 : 0.0)));
            }
        CHECK(worst < 1e-4);
        if (count == 0) {
            /* No components (eyes): Σ = CholImpl inverse of 2·α_sum·I, i.e. on the diagonal
             * L = (float)(1/sqrt(d)) and Σ_ii = (float)(L·L); zero elsewhere. */
            float as = 0.0f;
            for (int k = 0; k < e.num_neurons; k++)
                as = (float)(as + e.alpha[k]);
            const float d = 2.0f * as;
            const float l = (float)(1.0 / sqrt((double)d));
            const float expect = (float)((double)l * l);
            int diag_ok = 1;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    diag_ok &= s->sigma_t[(size_t)j * s->stride + i] == (i == j ? expect : 0.0f);
            CHECK(diag_ok);
        }
        printf("  sigma %-20s n=%3d comps=%d: bit-exact vs CholImpl/LAPACK %s, |Σ·Σ⁻¹−I| %.1e, "
               "max|Σ| %.3g\n",
               cd->what, n, count, same ? "yes" : "NO", worst, max_abs);
        /* Idempotent, and a second window size is kept separately. */
        CHECK(au_ccnf_prepare_sigma(&e, cd->ws, comp, count, &err) == AUFACE_OK);
        CHECK(e.num_sigmas == 1);
        free(ref);
        au_ccnf_expert_free(&e);
    }
}

/* Responses vs the double and the float references on synthetic AOIs. */
static void test_response_known_answer(au_clnf_model *m)
{
    static const case_def cases[] = {
        {"main 0.25 v0 lmk 0 ws 11", -1, 0, 0, 0, 11},
        {"main 0.35 v1 lmk 8 ws 9", -1, 1, 1, 8, 9},
        {"main 0.5 v5 lmk 60 ws 7", -1, 2, 5, 60, 7},
        {"main 0.25 v3 lmk 0 ws 15", -1, 0, 3, 0, 15},
        {"inner v0 lmk 25 ws 9", 0, 0, 0, 25, 9},
        {"left eye 1.0 lmk 8 ws 3", 1, 0, 0, 8, 3},
        {"right eye 1.5 lmk 20 ws 5", 2, 1, 0, 20, 5},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0] + 1; ci++) {
        /* The extra last case is the first one with neuron 3's alpha set to 5e-5: it must be
         * left out of the response but still count in Σ. */
        const int tiny_alpha = ci == sizeof cases / sizeof cases[0];
        const case_def *cd = &cases[tiny_alpha ? 0 : ci];
        const au_clnf *c = case_clnf(m, cd->part);
        au_ccnf_expert e = copy_expert(au_clnf_expert(c, cd->scale, cd->view, cd->point));
        if (tiny_alpha)
            e.alpha[3] = 5e-5;
        int count;
        const float *comp = au_clnf_sigma_components(c, cd->ws, &count);
        au_err err;
        au_err_clear(&err);
        if (au_ccnf_prepare_sigma(&e, cd->ws, comp, count, &err) != AUFACE_OK) {
            CHECK(0);
            fprintf(stderr, "  %s: %s\n", cd->what, err.msg);
            au_ccnf_expert_free(&e);
            continue;
        }
        const int a = cd->ws + e.width - 1, n = cd->ws * cd->ws;
        float *aoi = malloc((size_t)a * a * sizeof *aoi);
        float *scratch = malloc(au_ccnf_scratch_floats(e.width, e.height, cd->ws) * sizeof(float));
        float *resp = malloc((size_t)n * sizeof *resp);
        float *ref_f = malloc((size_t)n * sizeof *ref_f);
        double *ref_d = malloc((size_t)n * sizeof *ref_d);
        synthetic_aoi(aoi, a, cd->ws >= 9);
        CHECK(au_ccnf_response(&e, aoi, a, a, resp, scratch, &err) == AUFACE_OK);
        reference_response_double(&e, aoi, a, cd->ws, comp, count, ref_d);
        float *sigma = reference_sigma_float(&e, cd->ws, comp, count);
        reference_response_float(&e, aoi, a, cd->ws, sigma, ref_f);
        double max_ref = 0.0, max_diff = 0.0;
        int min_zero = 0;
        for (int i = 0; i < n; i++) {
            max_ref = fmax(max_ref, fabs(ref_d[i]));
            max_diff = fmax(max_diff, fabs(resp[i] - ref_d[i]));
            min_zero |= resp[i] == 0.0f;
        }
        CHECK(max_diff <= 1e-4 * max_ref);
        CHECK(memcmp(resp, ref_f, (size_t)n * sizeof *resp) == 0);
        /* The response map is not symmetric: a transposed layout would be caught. */
        double asym = 0.0;
        for (int y = 0; y < cd->ws; y++)
            for (int x = 0; x < cd->ws; x++)
                asym = fmax(asym, fabs(ref_d[y * cd->ws + x] - ref_d[x * cd->ws + y]));
        CHECK(asym > 1e-3 * max_ref);
        printf("  response %-27s%s: max|r| %.4g, |r − double| %.2e (rel %.1e), min shifted "
               "%s, float rules bit-exact %s\n",
               cd->what, tiny_alpha ? " α3=5e-5" : "", max_ref, max_diff, max_diff / max_ref,
               min_zero ? "yes" : "no",
               memcmp(resp, ref_f, (size_t)n * sizeof *resp) == 0 ? "yes" : "NO");
        free(sigma);
        free(aoi);
        free(scratch);
        free(resp);
        free(ref_f);
        free(ref_d);
        au_ccnf_expert_free(&e);
    }
}

static void test_response_errors(au_clnf_model *m)
{
    const au_clnf *c = au_clnf_model_main_const(m);
    au_ccnf_expert e = copy_expert(au_clnf_expert(c, 0, 0, 0));
    float aoi[21 * 21] = {0}, resp[121], scratch[40000];
    au_err err;
    au_err_clear(&err);
    /* Σ not prepared for ws 11. */
    CHECK(au_ccnf_response(&e, aoi, 21, 21, resp, scratch, &err) == AUFACE_ERR_ARG);
    CHECK(strstr(err.msg, "window 11") != NULL);
    /* Not square. */
    CHECK(au_ccnf_response(&e, aoi, 21, 19, resp, scratch, &err) == AUFACE_ERR_ARG);
    /* Too many components for the betas; bad window size. */
    int count;
    const float *comp = au_clnf_sigma_components(c, 11, &count);
    CHECK(count == 3);
    CHECK(au_ccnf_prepare_sigma(&e, 11, comp, 4, &err) == AUFACE_ERR_ARG);
    CHECK(au_ccnf_prepare_sigma(&e, 1, NULL, 0, &err) == AUFACE_ERR_ARG);
    CHECK(au_ccnf_prepare_sigma(&e, AU_CCNF_MAX_WINDOW + 1, NULL, 0, &err) == AUFACE_ERR_ARG);
    /* Not positive definite: negative alphas. */
    for (int k = 0; k < e.num_neurons; k++)
        e.alpha[k] = -1.0;
    CHECK(au_ccnf_prepare_sigma(&e, 5, NULL, 0, &err) == AUFACE_ERR_FORMAT);
    CHECK(au_ccnf_find_sigma(&e, 5) == NULL);
    au_ccnf_expert_free(&e);
    CHECK(e.num_neurons == 0 && e.weights == NULL);
    au_ccnf_expert_free(&e); /* twice is harmless */

    /* An expert without neurons (invisible landmark, main view 3 landmark 9) gives zeros. */
    const au_ccnf_expert *empty = au_clnf_expert(c, 0, 3, 9);
    CHECK(empty && empty->num_neurons == 0);
    for (int i = 0; i < 121; i++)
        resp[i] = 1.0f;
    CHECK(au_ccnf_response(empty, aoi, 21, 21, resp, scratch, &err) == AUFACE_OK);
    int zeros = 1;
    for (int i = 0; i < 121; i++)
        zeros &= resp[i] == 0.0f;
    CHECK(zeros);
}

/* The AOI: with a = 1, b = 0 and an integer landmark it is an exact crop; with a ramp image
 * and coordinates on the 1/32 grid the bilinear warp reproduces the ramp exactly. */
static void test_extract_aoi(void)
{
    enum { W = 64, H = 48, A = 21 };
    static float img[H * W];
    float aoi[A * A];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[y * W + x] = (float)((x * 7 + y * 13) % 256);
    au_ccnf_extract_aoi(img, W, H, W, 30.0f, 22.0f, 1.0f, 0.0f, A, A, aoi);
    int crop_ok = 1;
    for (int v = 0; v < A; v++)
        for (int u = 0; u < A; u++)
            crop_ok &= aoi[v * A + u] == img[(22 + v - 10) * W + 30 + u - 10];
    CHECK(crop_ok);

    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[y * W + x] = (float)(2 * x + 3 * y);
    const float lx = 31.25f, ly = 23.5f, a = 0.5f, b = 0.25f;
    au_ccnf_extract_aoi(img, W, H, W, lx, ly, a, b, A, A, aoi);
    int ramp_ok = 1;
    for (int v = 0; v < A; v++)
        for (int u = 0; u < A; u++) {
            double x = lx + a * (u - 10) - b * (v - 10), y = ly + b * (u - 10) + a * (v - 10);
            ramp_ok &= aoi[v * A + u] == (float)(2 * x + 3 * y);
        }
    CHECK(ramp_ok);

    /* Outside the image the border is 0. */
    au_ccnf_extract_aoi(img, W, H, W, -100.0f, -100.0f, 1.0f, 0.0f, A, A, aoi);
    int zero = 1;
    for (int i = 0; i < A * A; i++)
        zero &= aoi[i] == 0.0f;
    CHECK(zero);
}

/* ---- real frame ---------------------------------------------------------------------------- */

/* Grey frame as float (CLNF::DetectLandmarks converts the 8-bit grey image to float). */
static float *load_gray_float(const char *path, int *w, int *h)
{
    uint8_t *g8 = test_load_gray(path, w, h);
    float *g = g8 ? malloc((size_t)*w * *h * sizeof *g) : NULL;
    for (size_t i = 0; g && i < (size_t)*w * *h; i++)
        g[i] = g8[i];
    free(g8);
    return g;
}

static void test_real_frame(au_clnf_model *m)
{
    int w, h;
    float *gray = load_gray_float(FRAME1, &w, &h);
    CHECK(gray != NULL);
    if (!gray)
        return;
    au_clnf *c = au_clnf_model_main(m);
    const au_pdm *pdm = &c->pdm;
    const int n = pdm->n;

    /* First hypothesis: p = 0, rotation 0, g = CalcParams(box) (CLNF_SPEC §4). With R = I
     * the rotated mean shape is the mean shape itself. */
    const test_extent ext = test_pdm_mean_extent(pdm);
    const float width = (float)fabs(ext.min_x - ext.max_x);
    const float height = (float)fabs(ext.min_y - ext.max_y);
    const float s = (frame1_box[2] / width + frame1_box[3] / height) / 2.0f;
    const float tx = (float)((double)(frame1_box[0] + frame1_box[2] / 2.0f) -
                             (double)s * (ext.min_x + ext.max_x) / 2.0);
    const float ty = (float)((double)(frame1_box[1] + frame1_box[3] / 2.0f) -
                             (double)s * (ext.min_y + ext.max_y) / 2.0);
    float lm[2 * AU_PDM_MAX_POINTS];
    for (int i = 0; i < n; i++) {
        lm[i] = s * pdm->mean[i] + tx;
        lm[n + i] = s * pdm->mean[n + i] + ty;
    }
    /* The image and reference shapes differ by scale s/0.25 only, so sim_ref_to_img ≈
     * (s/0.25)·I: this must agree with OpenFace's 5.4577875, which validates the box and
     * CalcParams reconstruction. */
    const double patch_scaling = c->scales[0].patch_scaling;
    printf("  frame 1: s = %.7f, a = s/%.2f = %.7f (OpenFace sim_ref_to_img 5.4577875)\n", s,
           patch_scaling, s / patch_scaling);
    CHECK(fabs(s / patch_scaling - frame1_sim_a) < 1e-5);
    const float a = (float)frame1_sim_a, b = 0.0f;

    float final_lm[136];
    int have_final = test_openface_landmarks(1, final_lm);
    CHECK(have_final);

    au_err err;
    au_err_clear(&err);
    const int view = au_ccnf_patch_set_view(&c->scales[0], 0.0f, 0.0f, 0.0f);
    CHECK(view == 0);
    CHECK(au_clnf_prepare_sigmas(c, 0, 11, view, &err) == AUFACE_OK);
    const int ws = 11, A = ws + 10;
    float aoi[21 * 21], resp[11 * 11];
    float *scratch = malloc(au_ccnf_scratch_floats(11, 11, ws) * sizeof(float));
    int near_peak = 0, counted = 0;
    double sum_dist = 0.0;
    for (int i = 0; i < n; i++) {
        const au_ccnf_expert *e = au_clnf_expert(c, 0, view, i);
        au_ccnf_extract_aoi(gray, w, h, (size_t)w, lm[i], lm[n + i], a, b, A, A, aoi);
        CHECK(au_ccnf_response(e, aoi, A, A, resp, scratch, &err) == AUFACE_OK);
        if (i == 0) {
            printf("  response of landmark 0, scale 0.25, ws 11, frame 1 (landmark at "
                   "%.3f, %.3f; rows = y):\n",
                   lm[0], lm[n]);
            for (int y = 0; y < ws; y++) {
                printf("   ");
                for (int x = 0; x < ws; x++)
                    printf(" %7.4f", resp[y * ws + x]);
                printf("\n");
            }
        }
        if (!have_final)
            continue;
        /* Where OpenFace's final landmark lies in this response map (image offset divided
         * by a), against the response's maximum. */
        int best = 0;
        for (int p = 1; p < ws * ws; p++)
            if (resp[p] > resp[best])
                best = p;
        double fx = (final_lm[i] - lm[i]) / a + (ws - 1) / 2,
               fy = (final_lm[68 + i] - lm[n + i]) / a + (ws - 1) / 2;
        if (fx < 0 || fy < 0 || fx > ws - 1 || fy > ws - 1)
            continue;
        double d = hypot(best % ws - fx, best / ws - fy);
        counted++;
        sum_dist += d;
        near_peak += d <= 2.0;
    }
    /* Time of AOI extraction + response for the 68 landmarks of this frame. */
    int reps = 0;
    double t0 = test_thread_cpu_seconds(), t1;
    do {
        for (int i = 0; i < n; i++) {
            au_ccnf_extract_aoi(gray, w, h, (size_t)w, lm[i], lm[n + i], a, b, A, A, aoi);
            au_ccnf_response(au_clnf_expert(c, 0, view, i), aoi, A, A, resp, scratch, &err);
        }
        reps++;
        t1 = test_thread_cpu_seconds();
    } while (t1 - t0 < 0.1);
    printf("  frame 1, scale 0.25, ws 11: AOI + response %.2f us per landmark\n",
           1e6 * (t1 - t0) / (reps * n));
    printf("  frame 1, scale 0.25: for %d of %d landmarks whose final OpenFace position lies in "
           "the window, the response maximum is within 2 response px (%.1f image px) of it; "
           "mean distance %.2f response px\n",
           near_peak, counted, 2.0 * a, counted ? sum_dist / counted : 0.0);
    /* The maps must carry the landmark signal: most maxima point at OpenFace's answer. */
    CHECK(counted >= 50 && near_peak >= counted * 2 / 3);
    free(scratch);
    free(gray);
}

/* ---- timing -------------------------------------------------------------------------------- */

static void report_timing(au_clnf_model *m)
{
    static const case_def cases[] = {
        {"main 0.25 ws 11", -1, 0, 0, 0, 11}, {"main 0.35 ws 9", -1, 1, 0, 0, 9},
        {"main 0.5 ws 7", -1, 2, 0, 0, 7},    {"inner 1.0 ws 9", 0, 0, 0, 0, 9},
        {"eye 1.0 ws 3", 1, 0, 0, 0, 3},      {"eye 1.5 ws 5", 1, 1, 0, 0, 5},
    };
    au_err err;
    au_err_clear(&err);
    printf("  response time per landmark (thread CPU time, all landmarks of view 0):\n");
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const case_def *cd = &cases[ci];
        au_clnf *c = cd->part < 0 ? au_clnf_model_main(m) : &au_clnf_model_part(m, cd->part)->clnf;
        double t0 = test_thread_cpu_seconds();
        CHECK(au_clnf_prepare_sigmas(c, cd->scale, cd->ws, 0, &err) == AUFACE_OK);
        double t_prep = test_thread_cpu_seconds() - t0;
        const au_ccnf_patch_set *s = &c->scales[cd->scale];
        const int a = cd->ws + 10;
        float *aoi = malloc((size_t)a * a * sizeof *aoi);
        float *scratch = malloc(au_ccnf_scratch_floats(11, 11, cd->ws) * sizeof(float));
        float resp[31 * 31];
        synthetic_aoi(aoi, a, 0);
        int reps = 0;
        double t1 = test_thread_cpu_seconds(), t2;
        do {
            for (int p = 0; p < s->num_points; p++)
                au_ccnf_response(&s->experts[p], aoi, a, a, resp, scratch, &err);
            reps++;
            t2 = test_thread_cpu_seconds();
        } while (t2 - t1 < 0.1);
        printf("    %-16s %6.2f us  (Σ for the %d experts of view 0: %.1f ms)\n", cd->what,
               1e6 * (t2 - t1) / (reps * s->num_points), s->num_points, 1e3 * t_prep);
        free(aoi);
        free(scratch);
    }
}

int main(void)
{
    au_clnf_model *m = NULL;
    au_err err;
    au_err_clear(&err);
    if (au_clnf_model_load(&m, MAIN_MODEL, &err) != AUFACE_OK) {
        fprintf(stderr, "cannot load %s: %s\n", MAIN_MODEL, err.msg);
        CHECK(0);
        return check_report("test_ccnf");
    }
    test_sigma(m);
    test_response_known_answer(m);
    test_response_errors(m);
    test_extract_aoi();
    report_timing(m);
    test_real_frame(m);
    au_clnf_model_free(m);
    return check_report("test_ccnf");
}
