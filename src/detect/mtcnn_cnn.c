#include "detect/mtcnn_cnn.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Clang contracts a*b + c into an FMA unless told not to (GCC does not in ISO C mode); the
 * sums must be rounded after every operation, as OpenCV's SSE builds do. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* SSE2 is part of x86-64: used without a run-time check. */
#if defined(__SSE2__) && !defined(AU_MTCNN_PORTABLE)
#define AU_MTCNN_SSE2 1
#include <emmintrin.h>
#endif

/* cv::gemm hands a product with at least this many result rows to cblas_sgemm (OpenCV
 * hal_internal.cpp, HAL_GEMM_SMALL_MATRIX_THRESH); smaller ones use OpenCV's own GEMM,
 * which accumulates float products in double (matmul.cpp GEMMSingleMul<float,double>). */
#define CV_GEMM_BLAS_MIN_ROWS 100

/* Pixels per chunk of the 1x1-convolution form of a fully connected layer. */
#define FC_CHUNK 256

size_t au_mtcnn_tensor_floats(au_mtcnn_tensor t)
{
    return (size_t)t.maps * (size_t)t.h * (size_t)t.w;
}

/* CNN_utils.cpp max_pooling: (int)round((float)(W - k) / (float)s) + 1. */
static int pool_out_size(int n, int k, int s)
{
    return (int)roundf((float)(n - k) / (float)s) + 1;
}

auface_status au_mtcnn_layer_shape(const au_mtcnn_layer *L, au_mtcnn_tensor t,
                                   au_mtcnn_tensor *out, const char *name, int index,
                                   au_err *err)
{
    const char *what = au_mtcnn_layer_name(L->type);
    switch (L->type) {
    case AU_MTCNN_CONV:
        if (t.maps != L->n_in)
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: layer %d (%s) expects %d input maps, gets %d", name, index,
                           what, L->n_in, t.maps);
        if (t.h < L->kh || t.w < L->kw)
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: layer %d (%s): input %d x %d is smaller than the %d x %d kernel",
                           name, index, what, t.h, t.w, L->kh, L->kw);
        *out = (au_mtcnn_tensor){L->n_out, t.h - L->kh + 1, t.w - L->kw + 1};
        return AUFACE_OK;
    case AU_MTCNN_MAXPOOL: {
        int oh = pool_out_size(t.h, L->kh, L->sy), ow = pool_out_size(t.w, L->kw, L->sx);
        if (oh < 1 || ow < 1)
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: layer %d (%s): input %d x %d gives an empty output", name,
                           index, what, t.h, t.w);
        *out = (au_mtcnn_tensor){t.maps, oh, ow};
        return AUFACE_OK;
    }
    case AU_MTCNN_FC:
        if (t.maps > 1) {
            if (t.maps == L->n_in) {
                *out = (au_mtcnn_tensor){L->n_out, t.h, t.w};
                return AUFACE_OK;
            }
            if (au_mtcnn_tensor_floats(t) != (size_t)L->n_in)
                return au_fail(err, AUFACE_ERR_FORMAT,
                               "%s: layer %d (%s) expects %d inputs, gets %d maps of %d x %d",
                               name, index, what, L->n_in, t.maps, t.h, t.w);
            *out = (au_mtcnn_tensor){1, L->n_out, 1};
            return AUFACE_OK;
        }
        /* A single matrix: weights (out x in) * input (h x w) + bias (out x 1) needs
         * h == in and w == 1 in OpenCV. */
        if (t.h != L->n_in || t.w != 1)
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: layer %d (%s) expects a column of %d values, gets %d x %d",
                           name, index, what, L->n_in, t.h, t.w);
        *out = (au_mtcnn_tensor){1, 1, L->n_out};
        return AUFACE_OK;
    case AU_MTCNN_PRELU:
        if (t.maps > 1 ? L->n_out < t.maps : L->n_out > t.h)
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: layer %d (%s) has %d slopes for %d maps of %d x %d", name,
                           index, what, L->n_out, t.maps, t.h, t.w);
        *out = t;
        return AUFACE_OK;
    }
    return au_fail(err, AUFACE_ERR_INTERNAL, "%s: layer %d has an unknown type", name, index);
}

auface_status au_mtcnn_net_plan(const au_mtcnn_net *net, const char *name, int h, int w,
                                au_mtcnn_tensor *out, au_mtcnn_net_memory *mem, au_err *err)
{
    au_mtcnn_tensor t = {3, h, w};
    au_mtcnn_net_memory need = {au_mtcnn_tensor_floats(t), 0};
    if (h < 1 || w < 1)
        return au_fail(err, AUFACE_ERR_ARG, "%s: input size %d x %d", name, h, w);
    for (int i = 0; i < net->n_layers; i++) {
        au_mtcnn_tensor next = {0, 0, 0};
        auface_status st = au_mtcnn_layer_shape(&net->layers[i], t, &next, name, i + 1, err);
        if (st)
            return st;
        size_t work = au_mtcnn_conv_work_floats(&net->layers[i], t);
        if (work > need.work_floats)
            need.work_floats = work;
        t = next;
        if (au_mtcnn_tensor_floats(t) > need.act_floats)
            need.act_floats = au_mtcnn_tensor_floats(t);
    }
    if (out)
        *out = t;
    if (mem)
        *mem = need;
    return AUFACE_OK;
}

/* ---- OpenBLAS sgemm emulation ----------------------------------------------------------
 *
 * OpenFace computes each convolution as one OpenBLAS sgemm_ call (convolution_direct_blas:
 * C(num_k x pixels) = W(num_k x (taps+1)) · im2col^T, column-major, the last column of W
 * holding the bias against a row of ones), and cv::gemm hands the RNet/ONet FC1 products
 * (≥ 100 result rows) to cblas_sgemm. The reference build's OpenBLAS 0.3.21 runs its
 * Haswell kernel (kernel/x86_64/sgemm_kernel_8x4_haswell_2.c, driver/level3/level3.c);
 * its summation order, reproduced here, is:
 *  - K is cut into blocks (level3.c): while K − ls ≥ 2·Q take Q; if Q < K − ls < 2·Q take
 *    ((K − ls)/2 + 7)/8·8; else the rest (Q = SGEMM_DEFAULT_Q = 320, UNROLL_M = 8). Each
 *    block's sum is added to C (C = acc·1 + C, one rounding); C starts at 0 (beta = 0,
 *    convolutions) or at the bias (beta = 1 on a copy of the bias, FC layers).
 *  - Within a block an element is a chain of FMAs in k order starting from 0, except in
 *    the m8n4 and m8n6 tiles, which keep two chains: even k and odd k of the part that is
 *    a multiple of 8 long, the remaining k appended to the even chain; acc = even + odd.
 *  - Which tile computes element (i, j) (i = output channel, j = pixel): level3.c hands
 *    the kernel column chunks of 12 while ≥ 12 remain, then of 4 while more than 4
 *    remain, then the rest (UNROLL_N = 4). Rows come in panels of 8; the rows past the
 *    last full panel, and chunks narrower than 4 columns, use plain chains; a 4-column
 *    chunk uses m8n4 (split) for full panels. In a 12-column chunk with m < 16 rows every
 *    full panel uses m8n12 (chain); with m ≥ 16 the kernel runs, per 6-column half
 *    (L = columns 0-5, R = 6-11), a staggered schedule of m16n6 tiles (chains) and m8n6
 *    tiles (split): L of panel 0 (split), then alternately R of panels (p, p+1) and L of
 *    panels (p+1, p+2), until fewer than 16 rows remain from the current panel, whose
 *    missing half is an m8n6 tile (split).
 * This model was checked against libopenblas 0.3.21 (Haswell core): identical bits for
 * every element on 31 product shapes (every MTCNN layer, m = 1..128, n up to 81 748,
 * k up to 2 000, beta 0 and 1) and on 300 random convolution layers called the way
 * OpenFace calls sgemm_ (4.7 million values, AVX2 and portable code alike). With it the
 * detector reproduces OpenFace's box on frame 1 of default.wmv to the float. */

/* OpenBLAS param.h (HASWELL): SGEMM_DEFAULT_Q and SGEMM_DEFAULT_UNROLL_M; UNROLL_N = 4. */
#define BLAS_Q 320
#define BLAS_UNROLL_M 8
#define BLAS_MAX_BLOCKS 32

/* Block boundaries of k (level3.c's min_l); returns the number of blocks, bounds[0..n]. */
static int blas_k_blocks(int k, int bounds[BLAS_MAX_BLOCKS + 1])
{
    int n = 0;
    bounds[0] = 0;
    for (int ls = 0; ls < k && n < BLAS_MAX_BLOCKS;) {
        int min_l = k - ls;
        if (min_l >= 2 * BLAS_Q)
            min_l = BLAS_Q;
        else if (min_l > BLAS_Q)
            min_l = ((min_l / 2 + BLAS_UNROLL_M - 1) / BLAS_UNROLL_M) * BLAS_UNROLL_M;
        ls += min_l;
        bounds[++n] = ls;
    }
    return n;
}

/* Which 6-column halves of the 12-column chunks row panel `panel` computes with split
 * (m8n6) tiles, for an m-row product (see above). */
static void blas_panel_halves(int m, int panel, int *split_left, int *split_right)
{
    *split_left = *split_right = 0;
    if (m < 16 || panel >= m / 8)
        return;
    if (panel == 0)
        *split_left = 1; /* the leading m8n6 tile */
    for (int p = 0;;) {
        p++; /* after the m16n6 tile on the right halves of panels p-1, p */
        if (m - 8 * p < 16) {
            if (panel == p)
                *split_left = 1;
            return;
        }
        p++; /* after the m16n6 tile on the left halves of panels p-1, p */
        if (m - 8 * p < 16) {
            if (panel == p)
                *split_right = 1;
            return;
        }
    }
}

/* Columns of the product: n12 = columns in 12-column chunks; [n12, n12 + n4) the columns in
 * 4-column chunks (m8n4 tiles for full panels). */
static void blas_column_chunks(int n, int *n12, int *n4)
{
    *n12 = n / 12 * 12;
    *n4 = (n - *n12) / 4 * 4;
}

/* Whether element (i, j) of an m x n product is computed by a two-chain (m8n4 or m8n6)
 * tile. */
static int blas_split_tile(int m, int n, int i, int j)
{
    if (i >= m / 8 * 8)
        return 0; /* rows past the last full panel */
    int n12, n4, left, right;
    blas_column_chunks(n, &n12, &n4);
    if (j >= n12)
        return j < n12 + n4;
    blas_panel_halves(m, i / 8, &left, &right);
    return j % 12 < 6 ? left : right;
}

/* One element the portable way: Σ_t a[t·lda]·b[t·ldb] over `terms` products, blocked by
 * `bounds`; when the blocks reach one index further, that last term is bias·1 (the
 * convolution's column of ones). `split` selects the two-chain tile. */
static float blas_element(const float *a, size_t lda, const float *b, size_t ldb, int terms,
                          float bias, int split, const int *bounds, int nblocks)
{
    float c = 0.0f;
    for (int blk = 0; blk < nblocks; blk++) {
        int c0 = bounds[blk], c1 = bounds[blk + 1];
        int main_len = split ? (c1 - c0) / 8 * 8 : 0;
        float even = 0.0f, odd = 0.0f;
        for (int t = c0; t < c1; t++) {
            float x = t < terms ? a[(size_t)t * lda] : bias;
            float y = t < terms ? b[(size_t)t * ldb] : 1.0f;
            if (t - c0 < main_len && ((t - c0) & 1))
                odd = fmaf(x, y, odd);
            else
                even = fmaf(x, y, even);
        }
        c = c + (even + odd); /* odd stays 0 for a chain, and x + 0 = x */
    }
    return c;
}

/* x86-64 with GCC or Clang: AVX2/FMA kernels chosen at run time (as landmark/ccnf.c).
 * -DAU_MTCNN_PORTABLE forces the portable fmaf() code, which gives the same bits. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(AU_MTCNN_PORTABLE)
#define AU_MTCNN_X86 1
#include <immintrin.h>
#endif

/* Four output channels of the product (a group with fewer channels repeats its last one,
 * computed twice and written to the same place). */
typedef struct conv_group {
    const float *w[4];
    float bias[4];
    float *dst[4]; /* output planes; pixel j at dst[c][j] */
} conv_group;

#ifdef AU_MTCNN_X86

static int cpu_has_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* Chains, 16 pixels x 4 channels: B holds rows of n pixel values per tap (im2col). */
__attribute__((target("avx2,fma"))) static void
chain16_avx2(const float *B, size_t ldb, int taps, const conv_group *g, const int *bounds,
             int nblocks, int j)
{
    __m256 c0 = _mm256_setzero_ps(), d0 = c0, c1 = c0, d1 = c0, c2 = c0, d2 = c0, c3 = c0,
           d3 = c0;
    for (int blk = 0; blk < nblocks; blk++) {
        __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0,
               a3 = a0, b3 = a0;
        int t1 = bounds[blk + 1] < taps ? bounds[blk + 1] : taps;
        for (int t = bounds[blk]; t < t1; t++) {
            const float *s = B + (size_t)t * ldb + j;
            const __m256 v0 = _mm256_loadu_ps(s), v1 = _mm256_loadu_ps(s + 8);
            __m256 k = _mm256_broadcast_ss(g->w[0] + t);
            a0 = _mm256_fmadd_ps(k, v0, a0);
            b0 = _mm256_fmadd_ps(k, v1, b0);
            k = _mm256_broadcast_ss(g->w[1] + t);
            a1 = _mm256_fmadd_ps(k, v0, a1);
            b1 = _mm256_fmadd_ps(k, v1, b1);
            k = _mm256_broadcast_ss(g->w[2] + t);
            a2 = _mm256_fmadd_ps(k, v0, a2);
            b2 = _mm256_fmadd_ps(k, v1, b2);
            k = _mm256_broadcast_ss(g->w[3] + t);
            a3 = _mm256_fmadd_ps(k, v0, a3);
            b3 = _mm256_fmadd_ps(k, v1, b3);
        }
        if (bounds[blk + 1] > taps) { /* the bias term (times the im2col's 1) ends the chain */
            __m256 k = _mm256_set1_ps(g->bias[0]);
            a0 = _mm256_add_ps(a0, k), b0 = _mm256_add_ps(b0, k);
            k = _mm256_set1_ps(g->bias[1]);
            a1 = _mm256_add_ps(a1, k), b1 = _mm256_add_ps(b1, k);
            k = _mm256_set1_ps(g->bias[2]);
            a2 = _mm256_add_ps(a2, k), b2 = _mm256_add_ps(b2, k);
            k = _mm256_set1_ps(g->bias[3]);
            a3 = _mm256_add_ps(a3, k), b3 = _mm256_add_ps(b3, k);
        }
        c0 = _mm256_add_ps(c0, a0), d0 = _mm256_add_ps(d0, b0);
        c1 = _mm256_add_ps(c1, a1), d1 = _mm256_add_ps(d1, b1);
        c2 = _mm256_add_ps(c2, a2), d2 = _mm256_add_ps(d2, b2);
        c3 = _mm256_add_ps(c3, a3), d3 = _mm256_add_ps(d3, b3);
    }
    /* Channels 3..0: a repeated channel gets the same values anyway. */
    _mm256_storeu_ps(g->dst[3] + j, c3), _mm256_storeu_ps(g->dst[3] + j + 8, d3);
    _mm256_storeu_ps(g->dst[2] + j, c2), _mm256_storeu_ps(g->dst[2] + j + 8, d2);
    _mm256_storeu_ps(g->dst[1] + j, c1), _mm256_storeu_ps(g->dst[1] + j + 8, d1);
    _mm256_storeu_ps(g->dst[0] + j, c0), _mm256_storeu_ps(g->dst[0] + j + 8, d0);
}

/* Up to 8 pixels [j, j + count) x 4 channels, chains (split = 0) or the two-chain tile
 * (split = 1); lanes past `count` are neither read nor written. */
__attribute__((target("avx2,fma"))) static void
masked8_avx2(const float *B, size_t ldb, int taps, const conv_group *g, const int *bounds,
             int nblocks, int j, int count, int split)
{
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(count),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 c[4];
    for (int q = 0; q < 4; q++)
        c[q] = _mm256_setzero_ps();
    for (int blk = 0; blk < nblocks; blk++) {
        const int t0 = bounds[blk], t1 = bounds[blk + 1];
        const int main_end = split ? t0 + (t1 - t0) / 8 * 8 : t0;
        __m256 e0 = _mm256_setzero_ps(), e1 = e0, e2 = e0, e3 = e0, o0 = e0, o1 = e0, o2 = e0,
               o3 = e0;
        int t = t0;
        /* Pairs of the split part: k even to e, k odd to o. */
        for (; t + 1 < main_end && t + 1 < taps; t += 2) {
            const __m256 v = _mm256_maskload_ps(B + (size_t)t * ldb + j, mask);
            const __m256 u = _mm256_maskload_ps(B + (size_t)(t + 1) * ldb + j, mask);
            e0 = _mm256_fmadd_ps(_mm256_broadcast_ss(g->w[0] + t), v, e0);
            o0 = _mm256_fmadd_ps(_mm256_broadcast_ss(g->w[0] + t + 1), u, o0);
            e1 = _mm256_fmadd_ps(_mm256_broadcast_ss(g->w[1] + t), v, e1);
            o1 = _mm256_fmadd_ps(_mm256_broadcast_ss(g->w[1] + t + 1), u, o1);
            e2 = _mm256_fmadd_ps(_mm256_broadcast_ss(g->w[2] + t), v, e2);
            o2 = _mm256_fmadd_ps(_mm256_broadcast_ss(g->w[2] + t + 1), u, o2);
            e3 = _mm256_fmadd_ps(_mm256_broadcast_ss(g->w[3] + t), v, e3);
            o3 = _mm256_fmadd_ps(_mm256_broadcast_ss(g->w[3] + t + 1), u, o3);
        }
        /* The rest of the block (and a pair reaching the bias) go term by term. */
        for (; t < t1; t++) {
            const int to_odd = t < main_end && ((t - t0) & 1);
            __m256 v, k0, k1, k2, k3;
            if (t < taps) {
                v = _mm256_maskload_ps(B + (size_t)t * ldb + j, mask);
                k0 = _mm256_broadcast_ss(g->w[0] + t), k1 = _mm256_broadcast_ss(g->w[1] + t);
                k2 = _mm256_broadcast_ss(g->w[2] + t), k3 = _mm256_broadcast_ss(g->w[3] + t);
            } else {
                v = _mm256_set1_ps(1.0f);
                k0 = _mm256_set1_ps(g->bias[0]), k1 = _mm256_set1_ps(g->bias[1]);
                k2 = _mm256_set1_ps(g->bias[2]), k3 = _mm256_set1_ps(g->bias[3]);
            }
            if (to_odd) {
                o0 = _mm256_fmadd_ps(k0, v, o0), o1 = _mm256_fmadd_ps(k1, v, o1);
                o2 = _mm256_fmadd_ps(k2, v, o2), o3 = _mm256_fmadd_ps(k3, v, o3);
            } else {
                e0 = _mm256_fmadd_ps(k0, v, e0), e1 = _mm256_fmadd_ps(k1, v, e1);
                e2 = _mm256_fmadd_ps(k2, v, e2), e3 = _mm256_fmadd_ps(k3, v, e3);
            }
        }
        c[0] = _mm256_add_ps(c[0], _mm256_add_ps(e0, o0));
        c[1] = _mm256_add_ps(c[1], _mm256_add_ps(e1, o1));
        c[2] = _mm256_add_ps(c[2], _mm256_add_ps(e2, o2));
        c[3] = _mm256_add_ps(c[3], _mm256_add_ps(e3, o3));
    }
    for (int q = 3; q >= 0; q--)
        _mm256_maskstore_ps(g->dst[q] + j, mask, c[q]);
}

#endif /* AU_MTCNN_X86 */

/* Pixels [j, j + count) of one channel group, all chains or all split, portable. */
static void group_portable(const float *B, size_t ldb, int taps, const conv_group *g,
                           const int *bounds, int nblocks, int j, int count, int split)
{
    for (int q = 0; q < 4; q++)
        for (int x = j; x < j + count; x++)
            g->dst[q][x] = blas_element(g->w[q], 1, B + x, ldb, taps, g->bias[q], split,
                                        bounds, nblocks);
}

static void group_run(const float *B, size_t ldb, int taps, const conv_group *g,
                      const int *bounds, int nblocks, int j, int count, int split,
                      int use_avx2)
{
#ifdef AU_MTCNN_X86
    if (use_avx2) {
        for (int x = j; x < j + count; x += 8)
            masked8_avx2(B, ldb, taps, g, bounds, nblocks, x, j + count - x < 8 ? j + count - x : 8,
                         split);
        return;
    }
#endif
    (void)use_avx2;
    group_portable(B, ldb, taps, g, bounds, nblocks, j, count, split);
}

/* C(n_out x n) = W · B + bias as OpenBLAS computes it (see above); B is the im2col matrix,
 * `taps` rows of n values; dst plane k at out + k·n. */
static void blas_conv_product(const au_mtcnn_layer *L, const float *B, int taps, int n,
                              float *out, int use_avx2)
{
    int bounds[BLAS_MAX_BLOCKS + 1];
    const int nblocks = blas_k_blocks(taps + 1, bounds);
    const int m = L->n_out;
    int n12, n4;
    blas_column_chunks(n, &n12, &n4);
    for (int k0 = 0; k0 < m; k0 += 4) {
        conv_group g;
        for (int q = 0; q < 4; q++) {
            int k = k0 + q < m ? k0 + q : m - 1;
            g.w[q] = L->weights + (size_t)k * (size_t)taps;
            g.bias[q] = L->bias[k];
            g.dst[q] = out + (size_t)k * (size_t)n;
        }
        /* Everything as chains first. */
        int j = 0;
#ifdef AU_MTCNN_X86
        if (use_avx2 && n >= 16) {
            for (int j0 = 0; j0 < n; j0 += 16)
                chain16_avx2(B, (size_t)n, taps, &g, bounds, nblocks, j0 + 16 <= n ? j0 : n - 16);
            j = n;
        }
#endif
        if (j < n)
            group_run(B, (size_t)n, taps, &g, bounds, nblocks, 0, n, 0, use_avx2);
        /* Then the elements of the split tiles. Groups of 4 never straddle a panel. */
        const int panel = k0 / 8, full_panel = panel < m / 8;
        if (!full_panel)
            continue;
        int split_left, split_right;
        blas_panel_halves(m, panel, &split_left, &split_right);
        for (int c = 0; c < n12; c += 12) {
            if (split_left)
                group_run(B, (size_t)n, taps, &g, bounds, nblocks, c, 6, 1, use_avx2);
            if (split_right)
                group_run(B, (size_t)n, taps, &g, bounds, nblocks, c + 6, 6, 1, use_avx2);
        }
        if (n4 > 0)
            group_run(B, (size_t)n, taps, &g, bounds, nblocks, n12, n4, 1, use_avx2);
    }
}

size_t au_mtcnn_conv_work_floats(const au_mtcnn_layer *L, au_mtcnn_tensor t)
{
    if (L->type != AU_MTCNN_CONV || t.h < L->kh || t.w < L->kw)
        return 0;
    return (size_t)L->n_in * (size_t)L->kh * (size_t)L->kw * (size_t)(t.h - L->kh + 1) *
           (size_t)(t.w - L->kw + 1);
}

void au_mtcnn_conv(const au_mtcnn_layer *L, const float *in, au_mtcnn_tensor t, float *work,
                   float *out)
{
    const int kh = L->kh, kw = L->kw, oh = t.h - kh + 1, ow = t.w - kw + 1;
    const int taps = L->n_in * kh * kw, n = oh * ow;
    /* im2col_multimap, transposed: row (m·kw + xx)·kh + yy holds, for every output pixel
     * (y, x) in row-major order, the input value in_m(y + yy, x + xx). */
    for (int m = 0; m < L->n_in; m++)
        for (int xx = 0; xx < kw; xx++)
            for (int yy = 0; yy < kh; yy++) {
                float *row = work + (size_t)((m * kw + xx) * kh + yy) * (size_t)n;
                for (int y = 0; y < oh; y++)
                    memcpy(row + (size_t)y * (size_t)ow,
                           in + ((size_t)m * (size_t)t.h + (size_t)(y + yy)) * (size_t)t.w + (size_t)xx,
                           (size_t)ow * sizeof(float));
            }
    int use_avx2 = 0;
#ifdef AU_MTCNN_X86
    use_avx2 = cpu_has_avx2_fma();
#endif
    blas_conv_product(L, work, taps, n, out, use_avx2);
}

/* v >= 0 ? v : v·slope over n values, in place. With SSE2 (baseline on x86-64) as a
 * compare-and-blend: the compiler will not if-convert a float comparison while
 * -ftrapping-math is on, and the branches mispredict on sign noise. Same results,
 * including NaN (the comparison is false, the product is taken). */
static void prelu_span_inplace(float *d, size_t n, float slope)
{
    size_t i = 0;
#ifdef AU_MTCNN_SSE2
    const __m128 zero = _mm_setzero_ps(), k = _mm_set1_ps(slope);
    for (; i + 4 <= n; i += 4) {
        const __m128 v = _mm_loadu_ps(d + i);
        const __m128 keep = _mm_cmpge_ps(v, zero);
        _mm_storeu_ps(d + i, _mm_or_ps(_mm_and_ps(keep, v),
                                       _mm_andnot_ps(keep, _mm_mul_ps(v, k))));
    }
#endif
    for (; i < n; i++) {
        float v = d[i], neg = v * slope;
        d[i] = v >= 0.0f ? v : neg;
    }
}

/* max_pooling's update `if (v > best) best = v`; MAXSS computes exactly that (it returns
 * its second operand when the first is not greater, NaN included). */
static inline float pool_max(float v, float best)
{
#ifdef AU_MTCNN_SSE2
    return _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(v), _mm_set_ss(best)));
#else
    return v > best ? v : best;
#endif
}

void au_mtcnn_prelu(const au_mtcnn_layer *L, const float *in, au_mtcnn_tensor t, float *out)
{
    const float *slope = L->weights;
    if (t.maps > 1) {
        size_t plane = (size_t)t.h * (size_t)t.w;
        for (int k = 0; k < t.maps; k++) {
            float *d = out + (size_t)k * plane;
            if (in != out)
                memcpy(d, in + (size_t)k * plane, plane * sizeof *d);
            prelu_span_inplace(d, plane, slope[k]);
        }
        return;
    }
    /* A single matrix: slope k applies to row k; rows past the slopes are copied. */
    for (int r = 0; r < t.h; r++) {
        const float *s = in + (size_t)r * (size_t)t.w;
        float *d = out + (size_t)r * (size_t)t.w;
        for (int c = 0; c < t.w; c++)
            d[c] = (r < L->n_out && s[c] < 0.0f) ? s[c] * slope[r] : s[c];
    }
}

/* Output columns pooled per pass; the column maxima of one pass fit a stack buffer. */
#define POOL_CHUNK 128

/* dst[i] = max(dst[i], src[i]) with max_pooling's `v > best` rule (MAXPS with SSE2). */
static void pool_fold_row(float *best, const float *src, int n)
{
    int i = 0;
#ifdef AU_MTCNN_SSE2
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(best + i, _mm_max_ps(_mm_loadu_ps(src + i), _mm_loadu_ps(best + i)));
#endif
    for (; i < n; i++)
        best[i] = pool_max(src[i], best[i]);
}

/* OpenFace visits a window column by column; this takes the maximum of each input column
 * over the window's rows first, then over the window's columns. For finite values the
 * maximum does not depend on the order (only the sign of an exact zero could, which no
 * later sum can see: every FMA chain starts from +0). */
void au_mtcnn_maxpool(const au_mtcnn_layer *L, const float *in, au_mtcnn_tensor t, float *out)
{
    const int kx = L->kw, ky = L->kh, sx = L->sx, sy = L->sy;
    const int oh = pool_out_size(t.h, ky, sy), ow = pool_out_size(t.w, kx, sx);
    const size_t in_plane = (size_t)t.h * (size_t)t.w, out_plane = (size_t)oh * (size_t)ow;
    float colmax[POOL_CHUNK * AU_MTCNN_MAX_KERNEL + AU_MTCNN_MAX_KERNEL];
    for (int m = 0; m < t.maps; m++) {
        const float *s = in + (size_t)m * in_plane;
        float *d = out + (size_t)m * out_plane;
        /* Cells whose window would start past the input stay 0, as in OpenFace. */
        memset(d, 0, out_plane * sizeof *d);
        for (int yo = 0; yo < oh && yo * sy < t.h; yo++) {
            const int y0 = yo * sy, y1 = y0 + ky < t.h ? y0 + ky : t.h;
            for (int xa = 0; xa < ow && xa * sx < t.w; xa += POOL_CHUNK) {
                int xb = xa + POOL_CHUNK < ow ? xa + POOL_CHUNK : ow;
                const int c0 = xa * sx;
                int c1 = (xb - 1) * sx + kx < t.w ? (xb - 1) * sx + kx : t.w;
                for (int c = c0; c < c1; c++)
                    colmax[c - c0] = -FLT_MAX;
                for (int y = y0; y < y1; y++)
                    pool_fold_row(colmax, s + (size_t)y * (size_t)t.w + (size_t)c0, c1 - c0);
                for (int xo = xa; xo < xb && xo * sx < t.w; xo++) {
                    const int x0 = xo * sx, x1 = x0 + kx < t.w ? x0 + kx : t.w;
                    float best = -FLT_MAX;
                    for (int x = x0; x < x1; x++)
                        best = pool_max(colmax[x - c0], best);
                    d[(size_t)yo * (size_t)ow + (size_t)xo] = best;
                }
            }
        }
    }
}

/* One step of a product W^T·v, W stored in x out: acc[k] += w[k]·v for the n outputs of
 * input row w. Double: OpenCV's GEMM (exact products, double sums). Float: the FMA chain of
 * OpenBLAS's kernel (see the convolution). */
static void axpy_double(double *acc, const float *w, double v, int n)
{
    for (int k = 0; k < n; k++)
        acc[k] += (double)w[k] * v;
}

#ifdef AU_MTCNN_X86
__attribute__((target("avx2,fma"))) static void axpy_fma_avx2(float *acc, const float *w,
                                                               float v, int n)
{
    const __m256 vv = _mm256_set1_ps(v);
    int k = 0;
    for (; k + 8 <= n; k += 8)
        _mm256_storeu_ps(acc + k, _mm256_fmadd_ps(_mm256_loadu_ps(w + k), vv,
                                                  _mm256_loadu_ps(acc + k)));
    for (; k < n; k++)
        acc[k] = fmaf(w[k], v, acc[k]);
}
#endif

/* acc[k] = fma(w[k], v, acc[k]) for k < n: one step of n independent FMA chains. */
static void axpy_fma(float *acc, const float *w, float v, int n, int use_avx2)
{
#ifdef AU_MTCNN_X86
    if (use_avx2) {
        axpy_fma_avx2(acc, w, v, n);
        return;
    }
#endif
    (void)use_avx2;
    for (int k = 0; k < n; k++)
        acc[k] = fmaf(w[k], v, acc[k]);
}

/* out = W^T·v + b as cv::gemm(W, v, 1, b, 1), v given as `n_in` values read from `in` in
 * the order of `index` (identity for a vector; column-major per map for flattened maps). */
typedef struct flat_order {
    int maps, h, w; /* 0 maps: identity */
} flat_order;

static size_t flat_index(flat_order o, size_t i)
{
    if (o.maps == 0)
        return i;
    /* i = (m·w + x)·h + y → in[(m·h + y)·w + x] */
    size_t y = i % (size_t)o.h, rest = i / (size_t)o.h;
    size_t x = rest % (size_t)o.w, m = rest / (size_t)o.w;
    return (m * (size_t)o.h + y) * (size_t)o.w + x;
}

static void fc_gemm(const au_mtcnn_layer *L, const float *in, flat_order order, float *out)
{
    const int n_in = L->n_in, n_out = L->n_out;
    const float *W = L->weights;
    if (n_out < CV_GEMM_BLAS_MIN_ROWS) {
        double acc[CV_GEMM_BLAS_MIN_ROWS] = {0};
        for (int i = 0; i < n_in; i++)
            axpy_double(acc, W + (size_t)i * (size_t)n_out, in[flat_index(order, (size_t)i)],
                        n_out);
        for (int k = 0; k < n_out; k++)
            out[k] = (float)(acc[k] + (double)L->bias[k]);
        return;
    }
    /* cblas_sgemm on a copy of the bias with beta = 1: for this 1-row product (the vector
     * is OpenBLAS's m = 1 side) every output is a plain FMA chain per k block, each block
     * added to the running value that starts at the bias. */
    int use_avx2 = 0;
#ifdef AU_MTCNN_X86
    use_avx2 = cpu_has_avx2_fma();
#endif
    int bounds[BLAS_MAX_BLOCKS + 1];
    const int nblocks = blas_k_blocks(n_in, bounds);
    for (int k0 = 0; k0 < n_out; k0 += FC_CHUNK) {
        const int nk = n_out - k0 < FC_CHUNK ? n_out - k0 : FC_CHUNK;
        for (int k = 0; k < nk; k++)
            out[k0 + k] = L->bias[k0 + k];
        for (int blk = 0; blk < nblocks; blk++) {
            float acc[FC_CHUNK] = {0};
            for (int i = bounds[blk]; i < bounds[blk + 1]; i++)
                axpy_fma(acc, W + (size_t)i * (size_t)n_out + (size_t)k0,
                         in[flat_index(order, (size_t)i)], nk, use_avx2);
            for (int k = 0; k < nk; k++)
                out[k0 + k] = out[k0 + k] + acc[k];
        }
    }
}

/* The 1x1-convolution form (maps == n_in): out_k(p) = (Σ_c W[c][k]·in_c(p)) + b_k, the
 * product rounded to float before the (float) bias addition. */
static void fc_pointwise(const au_mtcnn_layer *L, const float *in, size_t plane, float *out)
{
    const int n_in = L->n_in, n_out = L->n_out;
    const float *W = L->weights;
    for (size_t p0 = 0; p0 < plane; p0 += FC_CHUNK) {
        size_t n = plane - p0 < FC_CHUNK ? plane - p0 : FC_CHUNK;
        for (int k = 0; k < n_out; k++) {
            float *d = out + (size_t)k * plane + p0;
            if (n_out < CV_GEMM_BLAS_MIN_ROWS) {
                double acc[FC_CHUNK] = {0};
                for (int c = 0; c < n_in; c++) {
                    const float *s = in + (size_t)c * plane + p0;
                    double wc = W[(size_t)c * (size_t)n_out + (size_t)k];
                    for (size_t i = 0; i < n; i++)
                        acc[i] += wc * (double)s[i];
                }
                for (size_t i = 0; i < n; i++)
                    d[i] = (float)acc[i] + L->bias[k];
            } else {
                /* cblas_sgemm, row-major (n_out x plane) = W^T · X: OpenBLAS sees the
                 * column-major plane x n_out product X'·W, pixels as rows. Never the case
                 * in OpenFace's networks, so done element by element. */
                int bounds[BLAS_MAX_BLOCKS + 1];
                const int nblocks = blas_k_blocks(n_in, bounds);
                for (size_t i = 0; i < n; i++) {
                    const size_t p = p0 + i;
                    int split = blas_split_tile((int)plane, n_out, (int)p, k);
                    float a = blas_element(in + p, plane, W + k, (size_t)n_out, n_in, 0.0f,
                                           split, bounds, nblocks);
                    d[i] = a + L->bias[k];
                }
            }
        }
    }
}

void au_mtcnn_fc(const au_mtcnn_layer *L, const float *in, au_mtcnn_tensor t, float *out)
{
    if (t.maps > 1 && t.maps == L->n_in)
        fc_pointwise(L, in, (size_t)t.h * (size_t)t.w, out);
    else if (t.maps == 1)
        fc_gemm(L, in, (flat_order){0, 0, 0}, out);
    else /* each map flattened column by column (OpenFace: add.t() before reshape) */
        fc_gemm(L, in, (flat_order){t.maps, t.h, t.w}, out);
}

const float *au_mtcnn_net_forward(const au_mtcnn_net *net, const float *in, int h, int w,
                                  float *buf_a, float *buf_b, float *work,
                                  au_mtcnn_tensor *out_shape)
{
    au_mtcnn_tensor t = {3, h, w};
    const float *cur = in;
    for (int i = 0; i < net->n_layers; i++) {
        const au_mtcnn_layer *L = &net->layers[i];
        au_mtcnn_tensor next = t;
        au_mtcnn_layer_shape(L, t, &next, "", i + 1, NULL);
        /* PReLU runs in place, except on the caller's input. */
        float *dst = (L->type == AU_MTCNN_PRELU && cur != in) ? (float *)cur
                     : (cur == buf_a)                          ? buf_b
                                                               : buf_a;
        switch (L->type) {
        case AU_MTCNN_CONV: au_mtcnn_conv(L, cur, t, work, dst); break;
        case AU_MTCNN_MAXPOOL: au_mtcnn_maxpool(L, cur, t, dst); break;
        case AU_MTCNN_FC: au_mtcnn_fc(L, cur, t, dst); break;
        case AU_MTCNN_PRELU: au_mtcnn_prelu(L, cur, t, dst); break;
        }
        cur = dst;
        t = next;
    }
    if (out_shape)
        *out_shape = t;
    return cur;
}
