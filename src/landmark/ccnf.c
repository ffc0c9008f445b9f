#include "landmark/ccnf.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "math/cholesky.h"
#include "math/exp_batch.h"
#include "math/openblas_sposv.h"
#include "math/warp_affine.h"

/* x86-64 with GCC or Clang: AVX2/FMA kernels chosen at run time (as nn/dwconv.c does).
 * Define AU_CCNF_NO_SIMD to build only the portable code (the tests use it to check that
 * both give the same bits). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(AU_CCNF_NO_SIMD)
#define AU_CCNF_X86 1
#include <immintrin.h>
#endif

/* OpenCV 4.6 built with LAPACK (as OpenFace 2.2 links it) inverts matrices of this many rows
 * or more with LAPACK sposv instead of its own CholImpl (hal_internal.cpp,
 * HAL_CHOLESKY_SMALL_MATRIX_THRESH); OpenFace's LAPACK is OpenBLAS 0.3.21. Window 11 (121
 * unknowns) and larger take that path. */
#define LAPACK_MIN_N 100

/* au_ccnf_prepare_sigma factors Σ⁻¹ (ws² unknowns) with au_cholesky_solve_f32 below
 * LAPACK_MIN_N and au_openblas_sposv_lower_f32 from there on. */
_Static_assert(AU_CCNF_MAX_WINDOW * AU_CCNF_MAX_WINDOW <= AU_CHOLESKY_MAX_N &&
                   AU_CCNF_MAX_WINDOW * AU_CCNF_MAX_WINDOW <= AU_OPENBLAS_SPOSV_MAX_N,
               "the Cholesky solves must take the largest window's Σ");

/* Positions are processed in blocks of this many floats so that the accumulators of the
 * neuron and Σ products stay in vector registers; padded rows are a multiple of it. */
#define BLOCK 16

/* Row stride (floats) of the im2col and Σ matrices: n rounded up to BLOCK (one 64-byte
 * line), then grown until the stride in lines shares at most a factor 2 with 64. The
 * products walk one column block down all rows; a stride of 8 lines (ws 11 unpadded: 128
 * floats) maps the 121 rows onto 8 of the 64 L1 sets, and the walk thrashes L1 (measured:
 * 40 → 14 µs per ws-11 response). */
static int padded_stride(int n)
{
    int lines = (n + BLOCK - 1) / BLOCK;
    while (lines % 4 == 0)
        lines++;
    return lines * BLOCK;
}

void au_ccnf_expert_free(au_ccnf_expert *e)
{
    if (!e)
        return;
    free(e->alpha);
    free(e->norm_weights);
    free(e->bias);
    free(e->weights);
    free(e->weight_matrix);
    free(e->betas);
    for (int i = 0; i < e->num_sigmas; i++)
        free(e->sigmas[i].sigma_t);
    memset(e, 0, sizeof *e);
}

const au_ccnf_sigma *au_ccnf_find_sigma(const au_ccnf_expert *e, int ws)
{
    for (int i = 0; i < e->num_sigmas; i++)
        if (e->sigmas[i].ws == ws)
            return &e->sigmas[i];
    return NULL;
}

/* Σ⁻¹ = 2·(α_sum·I + Σ_b β_b·C_b) in float (CCNF_patch_expert::ComputeSigmas):
 * sum_alphas = sum_alphas + alpha (float + double, stored as float); q1 = α_sum·eye;
 * q2 = q2 + (float)β·C is cv::scaleAdd(C, β, q2), one fused multiply-add per element in
 * OpenCV 4.6's SIMD kernel (v_muladd); q1 + q2 is cv::add; the factor 2 is exact. */
/* The FMA clone makes fmaf one vectorised instruction instead of a libm call per element
 * (the bits are the same; it was a third of the start-up's Σ preparation). */
__attribute__((target_clones("fma", "default"))) static void
build_sigma_inverse(const au_ccnf_expert *e, int n, const float *components, int num_components,
                    float *sinv)
{
    float alpha_sum = 0.0f;
    for (int k = 0; k < e->num_neurons; k++)
        alpha_sum = (float)((double)alpha_sum + e->alpha[k]);

    const size_t nn = (size_t)n * n;
    for (size_t i = 0; i < nn; i++)
        sinv[i] = 0.0f;
    for (int b = 0; b < num_components; b++) {
        const float beta = (float)e->betas[b];
        const float *c = components + (size_t)b * nn;
        for (size_t i = 0; i < nn; i++)
            sinv[i] = fmaf(c[i], beta, sinv[i]);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            float q1 = i == j ? alpha_sum : 0.0f;
            sinv[(size_t)i * n + j] = 2.0f * (q1 + sinv[(size_t)i * n + j]);
        }
}

/* cv::invert(A, X, DECOMP_CHOLESKY) for float: X starts as the identity and OpenCV's
 * CholImpl (matrix_decomp.cpp) solves L·Lᵀ·X = I column by column. `l` holds the factor
 * from au_cholesky_solve_f32 (lower triangle, reciprocal diagonal). The loops run over the
 * columns j innermost so they vectorise; for each element the subtraction order over k is
 * CholImpl's (ascending in the forward pass, descending in the backward pass), each term
 * being a float product subtracted from a double accumulator. In the forward pass the
 * terms with X[k][j] = 0 (j > k: the solution of a lower-triangular system with identity
 * right-hand side is lower triangular) are skipped; subtracting a zero never changes the
 * accumulator, which is never −0. */
/* The AVX clone (under the "fma" target, which implies AVX) converts and subtracts four
 * doubles per instruction instead of two; each element's operations are unchanged. */
__attribute__((target_clones("fma", "default"))) static void
cholesky_inverse(const float *l, int n, float *x, double *acc)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j <= i; j++)
            acc[j] = i == j ? 1.0 : 0.0;
        const float *li = l + (size_t)i * n;
        for (int k = 0; k < i; k++) {
            const float lik = li[k];
            const float *xk = x + (size_t)k * n;
            for (int j = 0; j <= k; j++)
                acc[j] -= (double)(lik * xk[j]);
        }
        float *xi = x + (size_t)i * n;
        const double d = li[i];
        for (int j = 0; j <= i; j++)
            xi[j] = (float)(acc[j] * d);
        for (int j = i + 1; j < n; j++)
            xi[j] = 0.0f;
    }
    for (int i = n - 1; i >= 0; i--) {
        float *xi = x + (size_t)i * n;
        for (int j = 0; j < n; j++)
            acc[j] = xi[j];
        for (int k = n - 1; k > i; k--) {
            const float lki = l[(size_t)k * n + i];
            const float *xk = x + (size_t)k * n;
            for (int j = 0; j < n; j++)
                acc[j] -= (double)(lki * xk[j]);
        }
        const double d = l[(size_t)i * n + i];
        for (int j = 0; j < n; j++)
            xi[j] = (float)(acc[j] * d);
    }
}

/* cv::invert(DECOMP_CHOLESKY) below LAPACK's threshold: factor with OpenCV's CholImpl
 * (the right-hand side is a throw-away unit vector), invert column by column, and store Σ
 * transposed (sigma_t[j][i] = Σ[i][j]). Returns 0 when Σ⁻¹ is not positive definite. */
static int invert_like_cholimpl(float *sinv, int n, float *x, double *acc, float *sigma_t,
                                int stride)
{
    for (int i = 0; i < n; i++)
        x[i] = i == 0 ? 1.0f : 0.0f;
    if (!au_cholesky_solve_f32(sinv, n, x))
        return 0;
    cholesky_inverse(sinv, n, x, acc);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            sigma_t[(size_t)j * stride + i] = x[(size_t)i * n + j];
    return 1;
}

/* cv::invert(DECOMP_CHOLESKY) from LAPACK_MIN_N rows on (hal_internal.cpp lapack_Cholesky):
 * the row-major Σ⁻¹ goes to sposv unchanged as a column-major matrix with uplo 'L', the
 * right-hand side is the identity (transposed, still the identity), and the column-major
 * solution B is transposed back, so Σ[i][j] = B(i, j); sigma_t[j][i] holds Σ[i][j], which
 * is B(i, j) again: sposv writes B straight into sigma_t (leading dimension = stride).
 * Returns 0 when Σ⁻¹ is not positive definite (sposv's info > 0). */
static int invert_like_lapack(float *sinv, int n, float *work, float *sigma_t, int stride)
{
    return au_openblas_sposv_identity_f32(n, sinv, n, sigma_t, stride, work) == 0;
}

auface_status au_ccnf_prepare_sigma(au_ccnf_expert *e, int ws, const float *components,
                                    int num_components, au_err *err)
{
    if (ws < 2 || ws > AU_CCNF_MAX_WINDOW)
        return au_fail(err, AUFACE_ERR_ARG, "CCNF sigma: window size %d outside 2..%d", ws,
                       AU_CCNF_MAX_WINDOW);
    if (e->num_neurons == 0 || au_ccnf_find_sigma(e, ws))
        return AUFACE_OK;
    if (num_components < 0 || num_components > e->num_betas ||
        (num_components > 0 && !components))
        return au_fail(err, AUFACE_ERR_ARG,
                       "CCNF sigma: %d sigma components for window %d but the expert has %d "
                       "betas",
                       num_components, ws, e->num_betas);
    if (e->num_sigmas >= AU_CCNF_MAX_SIGMAS)
        return au_fail(err, AUFACE_ERR_UNSUPPORTED,
                       "CCNF sigma: more than %d window sizes prepared for one expert",
                       AU_CCNF_MAX_SIGMAS);

    const int n = ws * ws;
    const int stride = padded_stride(n);
    const size_t nn = (size_t)n * n;
    float *l = malloc(nn * sizeof *l);
    float *x = malloc(nn * sizeof *x);
    double *acc = malloc((size_t)n * sizeof *acc);
    float *sigma_t = calloc((size_t)n * stride, sizeof *sigma_t);
    if (!l || !x || !acc || !sigma_t) {
        free(l);
        free(x);
        free(acc);
        free(sigma_t);
        return au_fail(err, AUFACE_ERR_NOMEM, "CCNF sigma: out of memory for window %d", ws);
    }

    build_sigma_inverse(e, n, components, num_components, l);
    const int ok = n >= LAPACK_MIN_N ? invert_like_lapack(l, n, x, sigma_t, stride)
                                     : invert_like_cholimpl(l, n, x, acc, sigma_t, stride);
    if (!ok) {
        free(l);
        free(x);
        free(acc);
        free(sigma_t);
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "CCNF sigma: the inverse covariance for window %d is not positive "
                       "definite (check the expert's alphas and betas)",
                       ws);
    }
    free(l);
    free(x);
    free(acc);

    au_ccnf_sigma *s = &e->sigmas[e->num_sigmas++];
    s->ws = ws;
    s->stride = stride;
    s->sigma_t = sigma_t;
    return AUFACE_OK;
}

/* The contrast normalisation: the block statistics of every window position, stored
 * densely (index y·ws + x) for the im2col matrix. The AVX2 code sums whole window rows at a
 * time (x = 0..15 from aoi[(y + r)·aoi_w + c]: contiguous slices, no gathering; lanes with
 * x >= ws are computed and overwritten by the next row's store or left in the padding). The
 * AOI is first copied into scratch with zero padding so that 16-wide rows can always be
 * read. */
#define AOI_PAD 48
/* Floats skipped at the start of the scratch to put z on a 64-byte line (scratch is at
 * least float-aligned). */
#define Z_ALIGN_SLACK 15
/* Dense statistics: ws² positions plus the spill of a 16-wide store of the last row. */
#define STAT_PAD 16

/* Scratch layout (floats), with P = ws², S = padded_stride(P), J = height·width, after up
 * to Z_ALIGN_SLACK floats of alignment:
 *   z     [J][S]              im2col matrix, rows in column-major patch order, columns y·ws + x
 *   r     [S]                 sum of sigmoids
 *   out   [S]                 Σ·r
 *   aoi   [A_h·A_w + AOI_PAD] zero-padded copy of the AOI
 *   mean  [P + STAT_PAD]      block means, index y·ws + x
 *   inv   [P + STAT_PAD]      reciprocal block norms, index y·ws + x */
size_t au_ccnf_scratch_floats(int width, int height, int ws)
{
    if (width <= 0 || height <= 0 || ws <= 0)
        return 0;
    return ((size_t)width * height + 2) * (size_t)padded_stride(ws * ws) + Z_ALIGN_SLACK +
           (size_t)(ws + width - 1) * (size_t)(ws + height - 1) + AOI_PAD +
           2 * ((size_t)ws * ws + STAT_PAD);
}

/* Block statistics of im2colContrastNormBias (CCNF_patch_expert.cpp) for every window
 * position, each sum in OpenFace's order: mean = (Σ rows outer, columns inner)/(float)(h·w);
 * sum of squares of the centred values in column-major order; norm = sqrtf, 1 if 0;
 * inv = (float)(1.0/norm). Portable version. */
static void block_stats_portable(const float *aoi, int aoi_w, int width, int height, int ws,
                                 float *mean, float *inv)
{
    const float count = (float)(width * height);
    for (int y = 0; y < ws; y++)
        for (int x = 0; x < ws; x++) {
            const float *src = aoi + (size_t)y * aoi_w + x;
            float acc = 0.0f;
            for (int r = 0; r < height; r++)
                for (int c = 0; c < width; c++)
                    acc += src[(size_t)r * aoi_w + c];
            const float m = acc / count;
            acc = 0.0f;
            for (int c = 0; c < width; c++)
                for (int r = 0; r < height; r++) {
                    const float v = src[(size_t)r * aoi_w + c] - m;
                    acc += v * v;
                }
            float norm = sqrtf(acc);
            if (norm == 0.0f)
                norm = 1.0f;
            mean[y * ws + x] = m;
            inv[y * ws + x] = (float)(1.0 / norm);
        }
}

#ifdef AU_CCNF_X86
/* Four 8-lane slots: slot u covers window row y0 + u / nvec, positions 8·(u % nvec) .. +7
 * (nvec = 1 for ws <= 8, 2 for ws <= 16); a slot past the last of the nrows rows repeats
 * it. Four independent add chains per sum; the stores go in position order, so the lanes
 * past a row's end are overwritten by the next row. Division, square root and the double
 * reciprocal are IEEE operations, identical to the scalar ones. */
__attribute__((target("avx2,fma"))) static void
stats_rows_avx2(const float *aoi, int aoi_w, int width, int height, int ws, int y0, int nrows,
                int nvec, float *mean, float *inv)
{
    const float *src[4];
    int dst[4];
    for (int u = 0; u < 4; u++) {
        int row = u / nvec, h = u % nvec;
        if (row >= nrows)
            row = nrows - 1;
        src[u] = aoi + (size_t)(y0 + row) * aoi_w + 8 * h;
        dst[u] = (y0 + row) * ws + 8 * h;
    }
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int r = 0; r < height; r++)
        for (int c = 0; c < width; c++) {
            const size_t o = (size_t)r * aoi_w + c;
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(src[0] + o));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(src[1] + o));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(src[2] + o));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(src[3] + o));
        }
    const __m256 count = _mm256_set1_ps((float)(width * height));
    const __m256 m0 = _mm256_div_ps(a0, count), m1 = _mm256_div_ps(a1, count),
                 m2 = _mm256_div_ps(a2, count), m3 = _mm256_div_ps(a3, count);
    a0 = a1 = a2 = a3 = _mm256_setzero_ps();
    for (int c = 0; c < width; c++)
        for (int r = 0; r < height; r++) {
            const size_t o = (size_t)r * aoi_w + c;
            const __m256 v0 = _mm256_sub_ps(_mm256_loadu_ps(src[0] + o), m0);
            const __m256 v1 = _mm256_sub_ps(_mm256_loadu_ps(src[1] + o), m1);
            const __m256 v2 = _mm256_sub_ps(_mm256_loadu_ps(src[2] + o), m2);
            const __m256 v3 = _mm256_sub_ps(_mm256_loadu_ps(src[3] + o), m3);
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(v0, v0));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(v1, v1));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(v2, v2));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(v3, v3));
        }
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256d one_d = _mm256_set1_pd(1.0);
    const __m256 ms[4] = {m0, m1, m2, m3}, ss[4] = {a0, a1, a2, a3};
    for (int u = 0; u < 4; u++) {
        __m256 norm = _mm256_sqrt_ps(ss[u]);
        const __m256 is_zero = _mm256_cmp_ps(norm, _mm256_setzero_ps(), _CMP_EQ_OQ);
        norm = _mm256_blendv_ps(norm, one, is_zero);
        const __m256d n_lo = _mm256_cvtps_pd(_mm256_castps256_ps128(norm));
        const __m256d n_hi = _mm256_cvtps_pd(_mm256_extractf128_ps(norm, 1));
        const __m128 lo = _mm256_cvtpd_ps(_mm256_div_pd(one_d, n_lo));
        const __m128 hi = _mm256_cvtpd_ps(_mm256_div_pd(one_d, n_hi));
        _mm256_storeu_ps(mean + dst[u], ms[u]);
        _mm256_storeu_ps(inv + dst[u], _mm256_set_m128(hi, lo));
    }
}

/* All window rows (ws <= 16), four slots at a time. */
static void block_stats_avx2(const float *aoi, int aoi_w, int width, int height, int ws,
                             float *mean, float *inv)
{
    const int nvec = ws > 8 ? 2 : 1, rows_per_call = 4 / nvec;
    for (int y0 = 0; y0 < ws; y0 += rows_per_call) {
        const int nrows = ws - y0 < rows_per_call ? ws - y0 : rows_per_call;
        stats_rows_avx2(aoi, aoi_w, width, height, ws, y0, nrows, nvec, mean, inv);
    }
}
#endif

#ifdef AU_CCNF_X86
/* Zeros in positions p_count..stride−1 of an im2col row, eight at a time, the last group
 * masked (the loop this replaces compiled to a memset call per row). */
__attribute__((target("avx2"))) static inline void zero_padding_avx2(float *zj, int p_count,
                                                                     int stride)
{
    int q = p_count;
    for (; q + 8 <= stride; q += 8)
        _mm256_storeu_ps(zj + q, _mm256_setzero_ps());
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(stride - q),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(zj + q, tail, _mm256_setzero_ps());
}

/* stats_rows_avx2 with one 16-lane vector per window row (8 < ws <= 16) for `slots` rows
 * y0.. (slots <= 4, a constant where it is inlined): the same sums, four chains or fewer,
 * masked stores. */
static inline __attribute__((always_inline, target("avx512f"))) void
stats_rows_avx512(const float *aoi, int aoi_w, int width, int height, int ws, int y0, int slots,
                  float *mean, float *inv)
{
    const float *src[4];
    for (int u = 0; u < slots; u++)
        src[u] = aoi + (size_t)(y0 + u) * aoi_w;
    __m512 a[4];
    for (int u = 0; u < slots; u++)
        a[u] = _mm512_setzero_ps();
    for (int r = 0; r < height; r++)
        for (int c = 0; c < width; c++) {
            const size_t o = (size_t)r * aoi_w + c;
            for (int u = 0; u < slots; u++)
                a[u] = _mm512_add_ps(a[u], _mm512_loadu_ps(src[u] + o));
        }
    const __m512 count = _mm512_set1_ps((float)(width * height));
    __m512 m[4];
    for (int u = 0; u < slots; u++) {
        m[u] = _mm512_div_ps(a[u], count);
        a[u] = _mm512_setzero_ps();
    }
    for (int c = 0; c < width; c++)
        for (int r = 0; r < height; r++) {
            const size_t o = (size_t)r * aoi_w + c;
            for (int u = 0; u < slots; u++) {
                const __m512 v = _mm512_sub_ps(_mm512_loadu_ps(src[u] + o), m[u]);
                a[u] = _mm512_add_ps(a[u], _mm512_mul_ps(v, v));
            }
        }
    const __mmask16 keep = (__mmask16)((1u << ws) - 1);
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512d one_d = _mm512_set1_pd(1.0);
    for (int u = 0; u < slots; u++) {
        __m512 norm = _mm512_sqrt_ps(a[u]);
        norm = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(norm, _mm512_setzero_ps(), _CMP_EQ_OQ),
                                    norm, one);
        const __m512d n_lo = _mm512_cvtps_pd(_mm512_castps512_ps256(norm));
        const __m512d n_hi =
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(norm), 1)));
        const __m256 lo = _mm512_cvtpd_ps(_mm512_div_pd(one_d, n_lo));
        const __m256 hi = _mm512_cvtpd_ps(_mm512_div_pd(one_d, n_hi));
        const __m512 r = _mm512_castpd_ps(_mm512_insertf64x4(
            _mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
        _mm512_mask_storeu_ps(mean + (size_t)(y0 + u) * ws, keep, m[u]);
        _mm512_mask_storeu_ps(inv + (size_t)(y0 + u) * ws, keep, r);
    }
}

/* All window rows (8 < ws <= 16), four at a time, the last group as wide as it needs. */
__attribute__((target("avx512f"))) static void
block_stats_avx512(const float *aoi, int aoi_w, int width, int height, int ws, float *mean,
                   float *inv)
{
    int y0 = 0;
    for (; y0 + 4 <= ws; y0 += 4)
        stats_rows_avx512(aoi, aoi_w, width, height, ws, y0, 4, mean, inv);
    switch (ws - y0) {
    case 3:
        stats_rows_avx512(aoi, aoi_w, width, height, ws, y0, 3, mean, inv);
        break;
    case 2:
        stats_rows_avx512(aoi, aoi_w, width, height, ws, y0, 2, mean, inv);
        break;
    case 1:
        stats_rows_avx512(aoi, aoi_w, width, height, ws, y0, 1, mean, inv);
        break;
    default:
        break;
    }
}
#endif

/* im2colContrastNormBias with positions contiguous: z[j][y·ws + x] = (a − mean)·inv for
 * patch element j = c·height + r (column-major, OpenFace's column order), then zero
 * padding up to the stride. */
static void write_im2col_portable(const float *aoi, int aoi_w, int width, int height, int ws,
                                  int stride, const float *mean, const float *inv, float *z)
{
    const int p_count = ws * ws;
    for (int c = 0; c < width; c++)
        for (int r = 0; r < height; r++) {
            float *zj = z + (size_t)(c * height + r) * stride;
            const float *src = aoi + (size_t)r * aoi_w + c;
            for (int y = 0; y < ws; y++) {
                const float *s = src + (size_t)y * aoi_w;
                for (int x = 0; x < ws; x++)
                    zj[y * ws + x] = (s[x] - mean[y * ws + x]) * inv[y * ws + x];
            }
            for (int p = p_count; p < stride; p++)
                zj[p] = 0.0f;
        }
}

#ifdef AU_CCNF_X86
/* The same with whole 8-lane vectors per window row (one or two, ws <= 16), stored in
 * position order so that each row's spill past its end is overwritten by the next row; the
 * last row uses masked stores (its spill would leave the matrix row for ws = 4). */
__attribute__((target("avx2,fma"))) static void
write_im2col_avx2(const float *aoi, int aoi_w, int width, int height, int ws, int stride,
                  const float *mean, const float *inv, float *z)
{
    const int p_count = ws * ws, last = ws - 1;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i k0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(ws), lane);
    const __m256i k1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(ws - 8), lane);
    for (int c = 0; c < width; c++)
        for (int r = 0; r < height; r++) {
            float *zj = z + (size_t)(c * height + r) * stride;
            const float *src = aoi + (size_t)r * aoi_w + c;
            for (int y = 0; y < last; y++) {
                const float *s = src + (size_t)y * aoi_w;
                const int p = y * ws;
                _mm256_storeu_ps(zj + p, _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(s),
                                                                     _mm256_loadu_ps(mean + p)),
                                                       _mm256_loadu_ps(inv + p)));
                if (ws > 8)
                    _mm256_storeu_ps(zj + p + 8,
                                     _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(s + 8),
                                                                 _mm256_loadu_ps(mean + p + 8)),
                                                   _mm256_loadu_ps(inv + p + 8)));
            }
            const float *s = src + (size_t)last * aoi_w;
            const int p = last * ws;
            _mm256_maskstore_ps(zj + p, k0,
                                _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(s),
                                                            _mm256_loadu_ps(mean + p)),
                                              _mm256_loadu_ps(inv + p)));
            if (ws > 8)
                _mm256_maskstore_ps(zj + p + 8, k1,
                                    _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(s + 8),
                                                                _mm256_loadu_ps(mean + p + 8)),
                                                  _mm256_loadu_ps(inv + p + 8)));
            zero_padding_avx2(zj, p_count, stride);
        }
}

/* The AVX-512 variant for 8 < ws <= 16: one 16-lane vector per window row instead of two
 * 8-lane ones (for ws = 9 the second covered one position). Same order of stores and the
 * same operations per element. */
__attribute__((target("avx512f"))) static void
write_im2col_avx512(const float *aoi, int aoi_w, int width, int height, int ws, int stride,
                    const float *mean, const float *inv, float *z)
{
    const int p_count = ws * ws, last = ws - 1;
    const __mmask16 keep = (__mmask16)((1u << ws) - 1);
    for (int c = 0; c < width; c++)
        for (int r = 0; r < height; r++) {
            float *zj = z + (size_t)(c * height + r) * stride;
            const float *src = aoi + (size_t)r * aoi_w + c;
            for (int y = 0; y < last; y++) {
                const int p = y * ws;
                _mm512_storeu_ps(zj + p, _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(src + (size_t)y * aoi_w),
                                                                     _mm512_loadu_ps(mean + p)),
                                                       _mm512_loadu_ps(inv + p)));
            }
            const int p = last * ws;
            _mm512_mask_storeu_ps(zj + p, keep,
                                  _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(src + (size_t)last * aoi_w),
                                                              _mm512_loadu_ps(mean + p)),
                                                _mm512_loadu_ps(inv + p)));
            zero_padding_avx2(zj, p_count, stride);
        }
}
#endif

/* ---------------------------------------------------------------------------------------
 * The two sgemm_ products, summed as OpenBLAS 0.3.21's Haswell sgemm kernel
 * (sgemm_kernel_8x4_haswell_2.c behind driver/level3/level3.c) sums them for these shapes.
 * alpha = 1 and beta = 0 leave the kernel's accumulator unchanged, so each output element
 * is one of two float fused multiply-add patterns over the inner index q = 0..K−1:
 *   single: one chain, q ascending, from 0;
 *   pair:   when K >= 8, an even chain (q = 0, 2, …, K8−2, then K8, K8+1, …, K−1 with
 *           K8 = K rounded down to 8) and an odd chain (q = 1, 3, …, K8−1), then even + odd.
 * Which pattern an element gets depends only on its place in the M x N result (M rows are
 * the output positions, N columns the neurons): see pair_tiles_for_column. The activations
 * have M = ws² positions in OpenFace's im2col order (y + x·ws), N = neurons, K = 1 + h·w
 * with q = 0 the bias (times the im2col column of ones); the Σ product has M = 1, which the
 * kernel always sums as a single chain. Checked bit for bit against OpenBLAS 0.3.21 with
 * OPENBLAS_CORETYPE=Haswell for M = 1, 9, 25, 49, 81, 121, 169, 225, N = 1…40, K = 122;
 * for M > 256 (windows above 15) the kernel's tiles differ and this is only an
 * approximation (every element is still a complete sum, just rounded differently).
 * fmaf gives the same bits on every machine; the AVX2/FMA kernels are the fast path.
 * ------------------------------------------------------------------------------------- */

/* How the kernel sums the column (neuron) `col` of an M x N result: `bulk_pair` says
 * whether most rows are paired, and rows in [from[i], to[i]) take the other pattern. */
typedef struct pair_tiles {
    int bulk_pair;
    int ranges;
    int from[2], to[2];
} pair_tiles;

/* level3.c hands the kernel panels of 12, 8 or 4 columns (GEMM_UNROLL_N = 4, then the
 * remainder); the kernel pairs the 8-row tiles of 4- and 8-column panels (COMPUTE_m8n4,
 * COMPUTE_m8n8: all rows but the last M mod 8), and of 12-column panels only the staggered
 * 8-row tiles COMPUTE_H_m8n6 (first 8 rows, left half) and COMPUTE_T_m8n6 (the last full
 * 8 rows handled by the alternating 16-row halves, left or right half). Narrower
 * remainders (1–3 columns) are single chains. */
static pair_tiles pair_tiles_for_column(int m, int n, int k, int col)
{
    pair_tiles t = {0, 0, {0, 0}, {0, 0}};
    if (k < 8)
        return t;
    int c0 = 0, width = 0;
    for (;;) {
        const int rest = n - c0;
        width = rest >= 12 ? 12 : rest >= 8 ? 8 : rest > 4 ? 4 : rest;
        if (col < c0 + width)
            break;
        c0 += width;
    }
    if (width == 4 || width == 8) {
        t.bulk_pair = 1;
        t.ranges = 1;
        t.from[0] = m / 8 * 8;
        t.to[0] = m;
        return t;
    }
    if (width != 12 || m < 16)
        return t;
    const int left = col < c0 + 6;
    if (left) {
        t.from[t.ranges] = 0;
        t.to[t.ranges++] = 8;
    }
    int row = 0, remaining = m;
    for (int half_right = 0;; half_right = !half_right) {
        row += 8;
        remaining -= 8;
        if (remaining < 16) {
            /* the tail tile lands in the half that would have come next */
            if (half_right == !left) {
                t.from[t.ranges] = row;
                t.to[t.ranges++] = row + 8;
            }
            break;
        }
    }
    return t;
}

/* One activation summed either way (scalar; used for the few exception rows). The FMA
 * clone makes fmaf one instruction instead of a libm call; the bits are the same. */
__attribute__((target_clones("fma", "default"))) static float activation_single(const float *w, int rows, const float *z, int stride, int p)
{
    float acc = w[0];
    for (int j = 0; j < rows; j++)
        acc = fmaf(w[1 + j], z[(size_t)j * stride + p], acc);
    return acc;
}

__attribute__((target_clones("fma", "default"))) static float
activation_pair(const float *w, int rows, const float *z, int stride, int p)
{
    const int k = rows + 1, k8 = k / 8 * 8;
    float even = w[0], odd = 0.0f;
    int q = 1;
    for (; q < k8; q += 2) {
        odd = fmaf(w[q], z[(size_t)(q - 1) * stride + p], odd);
        if (q + 1 < k8)
            even = fmaf(w[q + 1], z[(size_t)q * stride + p], even);
    }
    for (q = k8 > 0 ? k8 : 1; q < k; q++)
        even = fmaf(w[q], z[(size_t)(q - 1) * stride + p], even);
    return even + odd;
}

/* act[k][t] for positions p0..p0+BLOCK−1 and the neurons idx[0..count−1], single chains
 * (portable). */
static void neurons_single_portable(const float *wm, int wstride, int rows, const float *z,
                                    int stride, int p0, const int *idx, int count,
                                    float act[][BLOCK])
{
    for (int i = 0; i < count; i++) {
        const float *w = wm + (size_t)idx[i] * wstride;
        float acc[BLOCK];
        for (int t = 0; t < BLOCK; t++)
            acc[t] = w[0];
        for (int j = 0; j < rows; j++) {
            const float *zj = z + (size_t)j * stride + p0;
            for (int t = 0; t < BLOCK; t++)
                acc[t] = fmaf(w[1 + j], zj[t], acc[t]);
        }
        for (int t = 0; t < BLOCK; t++)
            act[idx[i]][t] = acc[t];
    }
}

/* The same with even/odd pairs (portable). */
static void neurons_pair_portable(const float *wm, int wstride, int rows, const float *z,
                                  int stride, int p0, const int *idx, int count,
                                  float act[][BLOCK])
{
    const int k = rows + 1, k8 = k / 8 * 8;
    for (int i = 0; i < count; i++) {
        const float *w = wm + (size_t)idx[i] * wstride;
        float even[BLOCK], odd[BLOCK];
        for (int t = 0; t < BLOCK; t++) {
            even[t] = w[0];
            odd[t] = 0.0f;
        }
        int q = 1;
        for (; q + 1 < k8; q += 2) {
            const float *za = z + (size_t)(q - 1) * stride + p0, *zb = za + stride;
            for (int t = 0; t < BLOCK; t++) {
                odd[t] = fmaf(w[q], za[t], odd[t]);
                even[t] = fmaf(w[q + 1], zb[t], even[t]);
            }
        }
        const float *zl = z + (size_t)(q - 1) * stride + p0; /* q = k8 − 1: last odd */
        for (int t = 0; t < BLOCK; t++)
            odd[t] = fmaf(w[q], zl[t], odd[t]);
        for (q = k8; q < k; q++) {
            const float *zq = z + (size_t)(q - 1) * stride + p0;
            for (int t = 0; t < BLOCK; t++)
                even[t] = fmaf(w[q], zq[t], even[t]);
        }
        for (int t = 0; t < BLOCK; t++)
            act[idx[i]][t] = even[t] + odd[t];
    }
}

/* out[i] = Σ_j Σ[i][j]·r[j] for i < i_count (a multiple of BLOCK), j < p_count (portable). */
static void sigma_product_portable(const float *sigma_t, int stride, int p_count, int i_count,
                                   const float *r, float *out)
{
    for (int i = 0; i < i_count; i++)
        out[i] = 0.0f;
    for (int j = 0; j < p_count; j++) {
        const float *sj = sigma_t + (size_t)j * stride;
        for (int i = 0; i < i_count; i++)
            out[i] = fmaf(sj[i], r[j], out[i]);
    }
}

#ifdef AU_CCNF_X86

static int cpu_has_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* Four neurons (rows w[0..3], which may repeat) x 16 positions, single chains: eight
 * independent FMA chains hide the FMA latency. */
__attribute__((target("avx2,fma"))) static void
single4_avx2(const float *const w[4], int rows, const float *z, int stride, int p0,
             float *o0, float *o1, float *o2, float *o3)
{
    __m256 a0 = _mm256_set1_ps(w[0][0]), b0 = a0;
    __m256 a1 = _mm256_set1_ps(w[1][0]), b1 = a1;
    __m256 a2 = _mm256_set1_ps(w[2][0]), b2 = a2;
    __m256 a3 = _mm256_set1_ps(w[3][0]), b3 = a3;
    const float *zp = z + p0;
    for (int j = 1; j <= rows; j++, zp += stride) {
        const __m256 z0 = _mm256_loadu_ps(zp), z1 = _mm256_loadu_ps(zp + 8);
        __m256 u = _mm256_broadcast_ss(w[0] + j);
        a0 = _mm256_fmadd_ps(u, z0, a0);
        b0 = _mm256_fmadd_ps(u, z1, b0);
        u = _mm256_broadcast_ss(w[1] + j);
        a1 = _mm256_fmadd_ps(u, z0, a1);
        b1 = _mm256_fmadd_ps(u, z1, b1);
        u = _mm256_broadcast_ss(w[2] + j);
        a2 = _mm256_fmadd_ps(u, z0, a2);
        b2 = _mm256_fmadd_ps(u, z1, b2);
        u = _mm256_broadcast_ss(w[3] + j);
        a3 = _mm256_fmadd_ps(u, z0, a3);
        b3 = _mm256_fmadd_ps(u, z1, b3);
    }
    _mm256_storeu_ps(o0, a0);
    _mm256_storeu_ps(o0 + 8, b0);
    _mm256_storeu_ps(o1, a1);
    _mm256_storeu_ps(o1 + 8, b1);
    _mm256_storeu_ps(o2, a2);
    _mm256_storeu_ps(o2 + 8, b2);
    _mm256_storeu_ps(o3, a3);
    _mm256_storeu_ps(o3 + 8, b3);
}

/* Three neurons x 16 positions, single chains (six chains): the experts' 7 neurons have
 * 3 single-chain ones, which single4_avx2 would take with a duplicate fourth. Written out
 * like single4_avx2 rather than shared with it through arrays of accumulators: GCC 12
 * keeps such arrays on the stack, a store per chain and row inside the loop (objdump). */
__attribute__((target("avx2,fma"))) static void
single3_avx2(const float *const w[4], int rows, const float *z, int stride, int p0,
             float *o0, float *o1, float *o2)
{
    __m256 a0 = _mm256_set1_ps(w[0][0]), b0 = a0;
    __m256 a1 = _mm256_set1_ps(w[1][0]), b1 = a1;
    __m256 a2 = _mm256_set1_ps(w[2][0]), b2 = a2;
    const float *zp = z + p0;
    for (int j = 1; j <= rows; j++, zp += stride) {
        const __m256 z0 = _mm256_loadu_ps(zp), z1 = _mm256_loadu_ps(zp + 8);
        __m256 u = _mm256_broadcast_ss(w[0] + j);
        a0 = _mm256_fmadd_ps(u, z0, a0);
        b0 = _mm256_fmadd_ps(u, z1, b0);
        u = _mm256_broadcast_ss(w[1] + j);
        a1 = _mm256_fmadd_ps(u, z0, a1);
        b1 = _mm256_fmadd_ps(u, z1, b1);
        u = _mm256_broadcast_ss(w[2] + j);
        a2 = _mm256_fmadd_ps(u, z0, a2);
        b2 = _mm256_fmadd_ps(u, z1, b2);
    }
    _mm256_storeu_ps(o0, a0);
    _mm256_storeu_ps(o0 + 8, b0);
    _mm256_storeu_ps(o1, a1);
    _mm256_storeu_ps(o1 + 8, b1);
    _mm256_storeu_ps(o2, a2);
    _mm256_storeu_ps(o2 + 8, b2);
}

/* Four neurons x 8 positions as even/odd pairs (eight chains again). */
__attribute__((target("avx2,fma"))) static void
pair4_avx2(const float *const w[4], int rows, const float *z, int stride, int p,
           float *o0, float *o1, float *o2, float *o3)
{
    const int k = rows + 1, k8 = k / 8 * 8;
    __m256 e0 = _mm256_set1_ps(w[0][0]), e1 = _mm256_set1_ps(w[1][0]);
    __m256 e2 = _mm256_set1_ps(w[2][0]), e3 = _mm256_set1_ps(w[3][0]);
    __m256 d0 = _mm256_setzero_ps(), d1 = d0, d2 = d0, d3 = d0;
    const float *zp = z + p;
    int q = 1;
    for (; q + 1 < k8; q += 2, zp += 2 * (size_t)stride) {
        const __m256 za = _mm256_loadu_ps(zp), zb = _mm256_loadu_ps(zp + stride);
        d0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[0] + q), za, d0);
        e0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[0] + q + 1), zb, e0);
        d1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[1] + q), za, d1);
        e1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[1] + q + 1), zb, e1);
        d2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[2] + q), za, d2);
        e2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[2] + q + 1), zb, e2);
        d3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[3] + q), za, d3);
        e3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[3] + q + 1), zb, e3);
    }
    const __m256 zl = _mm256_loadu_ps(zp); /* q = k8 − 1: the last odd term */
    d0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[0] + q), zl, d0);
    d1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[1] + q), zl, d1);
    d2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[2] + q), zl, d2);
    d3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[3] + q), zl, d3);
    for (q = k8, zp += stride; q < k; q++, zp += stride) {
        const __m256 zq = _mm256_loadu_ps(zp);
        e0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[0] + q), zq, e0);
        e1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[1] + q), zq, e1);
        e2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[2] + q), zq, e2);
        e3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w[3] + q), zq, e3);
    }
    _mm256_storeu_ps(o0, _mm256_add_ps(e0, d0));
    _mm256_storeu_ps(o1, _mm256_add_ps(e1, d1));
    _mm256_storeu_ps(o2, _mm256_add_ps(e2, d2));
    _mm256_storeu_ps(o3, _mm256_add_ps(e3, d3));
}

/* pair4_avx2 for all 16 positions of a block with AVX-512: the same eight chains, each
 * 16 positions wide (half the loads, broadcasts and FMA instructions of two 8-position
 * calls). */
__attribute__((target("avx512f"))) static void
pair4_avx512(const float *const w[4], int rows, const float *z, int stride, int p,
             float *o0, float *o1, float *o2, float *o3)
{
    const int k = rows + 1, k8 = k / 8 * 8;
    __m512 e0 = _mm512_set1_ps(w[0][0]), e1 = _mm512_set1_ps(w[1][0]);
    __m512 e2 = _mm512_set1_ps(w[2][0]), e3 = _mm512_set1_ps(w[3][0]);
    __m512 d0 = _mm512_setzero_ps(), d1 = d0, d2 = d0, d3 = d0;
    const float *zp = z + p;
    int q = 1;
    for (; q + 1 < k8; q += 2, zp += 2 * (size_t)stride) {
        const __m512 za = _mm512_loadu_ps(zp), zb = _mm512_loadu_ps(zp + stride);
        d0 = _mm512_fmadd_ps(_mm512_set1_ps(w[0][q]), za, d0);
        e0 = _mm512_fmadd_ps(_mm512_set1_ps(w[0][q + 1]), zb, e0);
        d1 = _mm512_fmadd_ps(_mm512_set1_ps(w[1][q]), za, d1);
        e1 = _mm512_fmadd_ps(_mm512_set1_ps(w[1][q + 1]), zb, e1);
        d2 = _mm512_fmadd_ps(_mm512_set1_ps(w[2][q]), za, d2);
        e2 = _mm512_fmadd_ps(_mm512_set1_ps(w[2][q + 1]), zb, e2);
        d3 = _mm512_fmadd_ps(_mm512_set1_ps(w[3][q]), za, d3);
        e3 = _mm512_fmadd_ps(_mm512_set1_ps(w[3][q + 1]), zb, e3);
    }
    const __m512 zl = _mm512_loadu_ps(zp); /* q = k8 − 1: the last odd term */
    d0 = _mm512_fmadd_ps(_mm512_set1_ps(w[0][q]), zl, d0);
    d1 = _mm512_fmadd_ps(_mm512_set1_ps(w[1][q]), zl, d1);
    d2 = _mm512_fmadd_ps(_mm512_set1_ps(w[2][q]), zl, d2);
    d3 = _mm512_fmadd_ps(_mm512_set1_ps(w[3][q]), zl, d3);
    for (q = k8, zp += stride; q < k; q++, zp += stride) {
        const __m512 zq = _mm512_loadu_ps(zp);
        e0 = _mm512_fmadd_ps(_mm512_set1_ps(w[0][q]), zq, e0);
        e1 = _mm512_fmadd_ps(_mm512_set1_ps(w[1][q]), zq, e1);
        e2 = _mm512_fmadd_ps(_mm512_set1_ps(w[2][q]), zq, e2);
        e3 = _mm512_fmadd_ps(_mm512_set1_ps(w[3][q]), zq, e3);
    }
    _mm512_storeu_ps(o0, _mm512_add_ps(e0, d0));
    _mm512_storeu_ps(o1, _mm512_add_ps(e1, d1));
    _mm512_storeu_ps(o2, _mm512_add_ps(e2, d2));
    _mm512_storeu_ps(o3, _mm512_add_ps(e3, d3));
}

/* The neurons idx[0..count−1] in groups of four; a short group repeats its last neuron
 * (computed twice, stored to the same place), except a group of three single chains. */
static void neurons_avx2(const float *wm, int wstride, int rows, const float *z, int stride,
                         int p0, const int *idx, int count, int pair, float act[][BLOCK])
{
    const int avx512 = __builtin_cpu_supports("avx512f");
    for (int g = 0; g < count; g += 4) {
        int n4[4];
        const float *w[4];
        for (int i = 0; i < 4; i++) {
            n4[i] = idx[g + i < count ? g + i : count - 1];
            w[i] = wm + (size_t)n4[i] * wstride;
        }
        if (!pair && count - g == 3) {
            single3_avx2(w, rows, z, stride, p0, act[n4[0]], act[n4[1]], act[n4[2]]);
            continue;
        }
        if (!pair) {
            single4_avx2(w, rows, z, stride, p0, act[n4[0]], act[n4[1]], act[n4[2]],
                         act[n4[3]]);
            continue;
        }
        if (avx512) {
            pair4_avx512(w, rows, z, stride, p0, act[n4[0]], act[n4[1]], act[n4[2]],
                         act[n4[3]]);
            continue;
        }
        for (int h = 0; h < BLOCK; h += 8)
            pair4_avx2(w, rows, z, stride, p0 + h, act[n4[0]] + h, act[n4[1]] + h,
                       act[n4[2]] + h, act[n4[3]] + h);
    }
}

/* The same with AVX: 64 outputs (eight FMA chains) at a time, then 16 at a time. */
__attribute__((target("avx2,fma"))) static void
sigma_product_avx2(const float *sigma_t, int stride, int p_count, int i_count, const float *r,
                   float *out)
{
    int i0 = 0;
    for (; i0 + 64 <= i_count; i0 += 64) {
        __m256 a[8];
        for (int t = 0; t < 8; t++)
            a[t] = _mm256_setzero_ps();
        const float *sj = sigma_t + i0;
        for (int j = 0; j < p_count; j++, sj += stride) {
            const __m256 rj = _mm256_broadcast_ss(r + j);
            for (int t = 0; t < 8; t++)
                a[t] = _mm256_fmadd_ps(_mm256_loadu_ps(sj + 8 * t), rj, a[t]);
        }
        for (int t = 0; t < 8; t++)
            _mm256_storeu_ps(out + i0 + 8 * t, a[t]);
    }
    for (; i0 < i_count; i0 += 16) {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        const float *sj = sigma_t + i0;
        for (int j = 0; j < p_count; j++, sj += stride) {
            const __m256 rj = _mm256_broadcast_ss(r + j);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(sj), rj, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(sj + 8), rj, a1);
        }
        _mm256_storeu_ps(out + i0, a0);
        _mm256_storeu_ps(out + i0 + 8, a1);
    }
}

#endif /* AU_CCNF_X86 */

/* An activation summed in the other pattern than its column's bulk: neuron k at position
 * p (our order). */
typedef struct pair_exception {
    int k, p;
} pair_exception;

/* Most exceptions of one response: per neuron at most two ranges of fewer than 8 rows and
 * of 8 rows (pair_tiles_for_column). */
#define MAX_PAIR_EXCEPTIONS (AU_CCNF_MAX_NEURONS * 16)

/* The exception rows of every neuron as positions, by increasing position, so that each
 * block of positions takes the next run of them. Rows count in OpenFace's position order
 * (row = y + x·ws for our p = y·ws + x), so row r is position (r mod ws)·ws + r / ws. */
static int list_pair_exceptions(const pair_tiles *tiles, int k_count, int ws,
                                pair_exception *out)
{
    int n = 0;
    for (int k = 0; k < k_count; k++)
        for (int i = 0; i < tiles[k].ranges; i++)
            for (int r = tiles[k].from[i]; r < tiles[k].to[i]; r++)
                out[n++] = (pair_exception){k, (r % ws) * ws + r / ws};
    for (int i = 1; i < n; i++) /* insertion sort: a few dozen entries */
        for (int j = i; j > 0 && out[j - 1].p > out[j].p; j--) {
            pair_exception t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

#ifdef AU_CCNF_X86
/* Several exceptions in one block (typically every paired neuron at the last position, as
 * M = ws² is 1 mod 8): their neurons are recomputed in the other pattern for the whole block
 * with the vector kernels, four neurons at a time, and the exception entries copied from
 * there. One scalar exception is a chain of 121 dependent fused multiply-adds (~500
 * cycles); a four-neuron block kernel costs about as much, so from two exceptions on this
 * is faster. The kernels sum each element as activation_single/activation_pair do. */
static void redo_exceptions_avx2(const au_ccnf_expert *e, const pair_tiles *tiles,
                                 const pair_exception *exc, int count, const float *z,
                                 int stride, int p0, float act[][BLOCK])
{
    const int rows = e->width * e->height;
    int need[2][AU_CCNF_MAX_NEURONS], n_need[2] = {0, 0};
    unsigned char listed[AU_CCNF_MAX_NEURONS] = {0};
    for (int i = 0; i < count; i++) {
        const int k = exc[i].k, pattern = !tiles[k].bulk_pair;
        if (!listed[k]) {
            listed[k] = 1;
            need[pattern][n_need[pattern]++] = k;
        }
    }
    float other[AU_CCNF_MAX_NEURONS][BLOCK];
    for (int pattern = 0; pattern < 2; pattern++)
        if (n_need[pattern] > 0)
            neurons_avx2(e->weight_matrix, rows + 1, rows, z, stride, p0, need[pattern],
                         n_need[pattern], pattern, other);
    for (int i = 0; i < count; i++)
        act[exc[i].k][exc[i].p - p0] = other[exc[i].k][exc[i].p - p0];
}
#endif

/* The activations of a block of positions, all neurons: each neuron in its column's bulk
 * pattern, then the block's exceptions (from *next on, by position) redone in the other
 * pattern. */
static void activations_block(const au_ccnf_expert *e, const pair_tiles *tiles,
                              const pair_exception *exc, int n_exc, int *next, const float *z,
                              int stride, int p0, int valid, int use_avx2, float act[][BLOCK])
{
    const int rows = e->width * e->height, wstride = rows + 1;
    int idx[2][AU_CCNF_MAX_NEURONS], count[2] = {0, 0};
    for (int k = 0; k < e->num_neurons; k++)
        idx[tiles[k].bulk_pair][count[tiles[k].bulk_pair]++] = k;
    for (int pair = 0; pair < 2; pair++) {
        if (count[pair] == 0)
            continue;
#ifdef AU_CCNF_X86
        if (use_avx2) {
            neurons_avx2(e->weight_matrix, wstride, rows, z, stride, p0, idx[pair], count[pair],
                         pair, act);
            continue;
        }
#endif
        if (pair)
            neurons_pair_portable(e->weight_matrix, wstride, rows, z, stride, p0, idx[pair],
                                  count[pair], act);
        else
            neurons_single_portable(e->weight_matrix, wstride, rows, z, stride, p0, idx[pair],
                                    count[pair], act);
    }
    int end = *next;
    while (end < n_exc && exc[end].p < p0 + valid)
        end++;
#ifdef AU_CCNF_X86
    if (use_avx2 && end - *next >= 2) {
        redo_exceptions_avx2(e, tiles, exc + *next, end - *next, z, stride, p0, act);
        *next = end;
        return;
    }
#endif
    (void)use_avx2;
    for (; *next < end; (*next)++) {
        const int k = exc[*next].k, p = exc[*next].p;
        const float *w = e->weight_matrix + (size_t)k * wstride;
        act[k][p - p0] = tiles[k].bulk_pair ? activation_single(w, rows, z, stride, p)
                                            : activation_pair(w, rows, z, stride, p);
    }
}

/* rb[t] = (float)((double)rb[t] + two_alpha/(1 + ex[t])) for t < count: the sigmoid terms
 * of one neuron with its exp already taken. Apart from the exps so that the double
 * divisions vectorise (four per instruction in the AVX clone instead of one scalar division
 * each); every element's operations are the same. */
__attribute__((target_clones("fma", "default"))) static void
add_sigmoids(const double *ex, int count, double two_alpha, float *rb)
{
    for (int t = 0; t < count; t++)
        rb[t] = (float)((double)rb[t] + two_alpha / (1.0 + ex[t]));
}

/* The neuron activations of a block of positions, then r = Σ 2α_k/(1 + exp(−act_k)) in
 * double for every neuron with α_k > 1e-4, in file order, into a float accumulator
 * (ResponseOpenBlas: `*p++ += (2.0 * alpha) / (1.0 + exp(-*q1++))`, a float += double).
 * Only the first `valid` positions of the block are real; r is 0 for the others. */
static void neuron_block(const au_ccnf_expert *e, const pair_tiles *tiles,
                         const pair_exception *exc, int n_exc, int *next, const float *z,
                         int stride, int p0, int valid, int use_avx2, float *r)
{
    const int k_count = e->num_neurons;
    float act[AU_CCNF_MAX_NEURONS][BLOCK];
    activations_block(e, tiles, exc, n_exc, next, z, stride, p0, valid, use_avx2, act);
    float rb[BLOCK];
    for (int t = 0; t < BLOCK; t++)
        rb[t] = 0.0f;
    /* the exps of all neurons of the block in one batch, then the sums in neuron order */
    double neg[AU_CCNF_MAX_NEURONS * BLOCK], ex[AU_CCNF_MAX_NEURONS * BLOCK];
    int n = 0;
    for (int k = 0; k < k_count; k++)
        if (e->alpha[k] > AU_CCNF_MIN_ALPHA)
            for (int t = 0; t < valid; t++)
                neg[n++] = -(double)act[k][t];
    au_exp_batch(neg, n, ex);
    n = 0;
    for (int k = 0; k < k_count; k++) {
        const double alpha = e->alpha[k];
        if (!(alpha > AU_CCNF_MIN_ALPHA))
            continue;
        add_sigmoids(ex + n, valid, 2.0 * alpha, rb);
        n += valid;
    }
    for (int t = 0; t < BLOCK; t++)
        r[p0 + t] = rb[t];
}

auface_status au_ccnf_response(const au_ccnf_expert *e, const float *aoi, int aoi_w, int aoi_h,
                               float *response, float *scratch, au_err *err)
{
    const int ws = aoi_h - e->height + 1;
    if (ws < 1 || ws > AU_CCNF_MAX_WINDOW || aoi_w - e->width + 1 != ws)
        return au_fail(err, AUFACE_ERR_ARG,
                       "CCNF response: AOI %d x %d does not give a square window for a %d x %d "
                       "patch",
                       aoi_w, aoi_h, e->width, e->height);
    const int p_count = ws * ws;
    if (e->num_neurons == 0) {
        for (int p = 0; p < p_count; p++)
            response[p] = 0.0f;
        return AUFACE_OK;
    }
    const au_ccnf_sigma *s = au_ccnf_find_sigma(e, ws);
    if (!s)
        return au_fail(err, AUFACE_ERR_ARG,
                       "CCNF response: sigma for window %d was not prepared", ws);

    const int stride = padded_stride(p_count);
    const int rows = e->width * e->height;
    /* z starts on a 64-byte line, so that each 16-position block of a matrix row is one
     * cache line for the kernels (and the stores of im2col split fewer lines) */
    float *z = scratch + (16 - ((uintptr_t)scratch / sizeof *scratch) % 16) % 16;
    float *r = z + (size_t)rows * stride;
    float *out = r + stride;
    float *aoi_pad = out + stride;
    float *mean = aoi_pad + (size_t)aoi_w * aoi_h + AOI_PAD;
    float *inv = mean + (size_t)p_count + STAT_PAD;

    int use_avx2 = 0;
#ifdef AU_CCNF_X86
    use_avx2 = cpu_has_avx2_fma();
    const int use_avx512 = use_avx2 && __builtin_cpu_supports("avx512f");
#endif
    memcpy(aoi_pad, aoi, (size_t)aoi_w * aoi_h * sizeof *aoi);
    memset(aoi_pad + (size_t)aoi_w * aoi_h, 0, AOI_PAD * sizeof *aoi);
    /* the AVX2 code takes window rows of at most 16 positions */
#ifdef AU_CCNF_X86
    if (use_avx512 && ws > 8 && ws <= 16) {
        block_stats_avx512(aoi_pad, aoi_w, e->width, e->height, ws, mean, inv);
        write_im2col_avx512(aoi_pad, aoi_w, e->width, e->height, ws, stride, mean, inv, z);
    } else if (use_avx2 && ws <= 16) {
        block_stats_avx2(aoi_pad, aoi_w, e->width, e->height, ws, mean, inv);
        write_im2col_avx2(aoi_pad, aoi_w, e->width, e->height, ws, stride, mean, inv, z);
    } else
#endif
    {
        block_stats_portable(aoi_pad, aoi_w, e->width, e->height, ws, mean, inv);
        write_im2col_portable(aoi_pad, aoi_w, e->width, e->height, ws, stride, mean, inv, z);
    }
    /* Blocks past the last real position (stride padding) are skipped. */
    const int blocks_end = (p_count + BLOCK - 1) / BLOCK * BLOCK;
    pair_tiles tiles[AU_CCNF_MAX_NEURONS];
    for (int k = 0; k < e->num_neurons; k++)
        tiles[k] = pair_tiles_for_column(p_count, e->num_neurons, rows + 1, k);
    pair_exception exc[MAX_PAIR_EXCEPTIONS];
    const int n_exc = list_pair_exceptions(tiles, e->num_neurons, ws, exc);
    int next_exc = 0;
    for (int p0 = 0; p0 < blocks_end; p0 += BLOCK)
        neuron_block(e, tiles, exc, n_exc, &next_exc, z, stride, p0,
                     p_count - p0 < BLOCK ? p_count - p0 : BLOCK, use_avx2, r);
#ifdef AU_CCNF_X86
    if (use_avx2)
        sigma_product_avx2(s->sigma_t, stride, p_count, blocks_end, r, out);
    else
#endif
        sigma_product_portable(s->sigma_t, stride, p_count, blocks_end, r, out);

    /* minMaxIdx, then response − min if min < 0 (the double min of floats is a float). */
    float min = out[0];
    for (int p = 1; p < p_count; p++)
        if (out[p] < min)
            min = out[p];
    if (min < 0.0f)
        for (int p = 0; p < p_count; p++)
            response[p] = out[p] - min;
    else
        memcpy(response, out, (size_t)p_count * sizeof *response);
    return AUFACE_OK;
}

void au_ccnf_extract_aoi(const float *gray, int gw, int gh, size_t gstride, float lx, float ly,
                         float a, float b, int aoi_w, int aoi_h, float *aoi)
{
    /* Patch_experts::Response: sim = [a1, -b1, x - a1*(W-1.0f)/2.0f + b1*(W-1.0f)/2.0f;
     *                                 b1, a1, y - a1*(W-1.0f)/2.0f - b1*(W-1.0f)/2.0f]. */
    const float w1 = (float)aoi_w - 1.0f;
    const float m[6] = {a, -b, lx - a * w1 / 2.0f + b * w1 / 2.0f,
                        b, a,  ly - a * w1 / 2.0f - b * w1 / 2.0f};
    au_warp_affine_f32c1(gray, gw, gh, gstride, m, 1, aoi, aoi_w, aoi_h, (size_t)aoi_w);
}
