/* OpenCV 4.6 cv::warpAffine (INTER_LINEAR, constant border 0) re-implemented exactly.
 * See warp_affine.h for the numerics; every rule below cites OpenCV 4.6
 * modules/imgproc/src/imgwarp.cpp. */
#include "math/warp_affine.h"

#include <limits.h>
#include <math.h>

/* x86-64 with GCC or Clang: an AVX2 path for the float warp, chosen at run time. Define
 * AU_WARP_NO_SIMD to build only the portable code. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(AU_WARP_NO_SIMD)
#define AU_WARP_X86 1
#include <immintrin.h>
#endif

/* imgwarp.cpp WarpAffineInvoker: AB_BITS = MAX(10, INTER_BITS), INTER_BITS = 5 (imgproc.hpp),
 * round_delta = AB_SCALE / INTER_TAB_SIZE / 2 for INTER_LINEAR. */
enum {
    INTER_BITS = 5,
    INTER_TAB_SIZE = 1 << INTER_BITS,
    AB_BITS = 10,
    AB_SCALE = 1 << AB_BITS,
    ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2,
    /* imgwarp.cpp: INTER_REMAP_COEF_BITS = 15, used by FixedPtCast<int, uchar, 15>. */
    REMAP_COEF_BITS = 15,
    REMAP_COEF_SCALE = 1 << REMAP_COEF_BITS
};

/* cvRound(double) as OpenCV 4.6 builds it on x86-64 (_mm_cvtsd_si32): round half to even;
 * out-of-range and NaN give the "integer indefinite" value INT_MIN. saturate_cast<int>(double)
 * is cvRound in OpenCV 4.x (core/saturate.hpp). */
static int cv_round(double v)
{
    double r = nearbyint(v);
    if (r >= -2147483648.0 && r <= 2147483647.0)
        return (int)r;
    return INT_MIN;
}

/* Two's-complement wrap-around addition, as the int additions (and SIMD adds) in
 * WarpAffineInvoker behave on overflow; only reachable with absurd matrices. */
static int32_t add_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* Arithmetic shift right (floor division by 2^s), written without relying on the
 * implementation-defined >> of negative values. */
static int32_t shift_floor(int32_t v, int s)
{
    return v >= 0 ? v >> s : -1 - ((-1 - v) >> s);
}

/* saturate_cast<short>(int) of hal::warpAffineBlockline (the map is CV_16SC2). */
static int saturate_short(int32_t v)
{
    return v < SHRT_MIN ? SHRT_MIN : v > SHRT_MAX ? SHRT_MAX : (int)v;
}

/* cv::warpAffine: the 2x3 matrix is converted to double and, without WARP_INVERSE_MAP,
 * inverted in closed form with exactly this operation order. */
static void inverse_matrix(const float m[6], int inverse_map, double M[6])
{
    for (int i = 0; i < 6; i++)
        M[i] = (double)m[i];
    if (inverse_map)
        return;
    double D = M[0] * M[4] - M[1] * M[3];
    D = D != 0 ? 1. / D : 0;
    double A11 = M[4] * D, A22 = M[0] * D;
    M[0] = A11;
    M[1] *= -D;
    M[3] *= -D;
    M[4] = A22;
    double b1 = -M[0] * M[2] - M[1] * M[5];
    double b2 = -M[3] * M[2] - M[4] * M[5];
    M[2] = b1;
    M[5] = b2;
}

/* Columns processed per block: adelta/bdelta of a block live on the stack (OpenCV keeps
 * them for the whole row; the values are the same). */
#define COL_BLOCK 128

/* adelta[x] = saturate_cast<int>(M[0]*x*AB_SCALE), bdelta likewise (hal::warpAffine), for
 * the columns x0 .. x0+n-1. */
static void column_deltas(const double M[6], int x0, int n, int32_t *adelta, int32_t *bdelta)
{
    for (int i = 0; i < n; i++) {
        adelta[i] = cv_round(M[0] * (x0 + i) * AB_SCALE);
        bdelta[i] = cv_round(M[3] * (x0 + i) * AB_SCALE);
    }
}

/* Where a destination pixel samples the source: integer part and 1/32-px fractions
 * (WarpAffineInvoker + hal::warpAffineBlockline). */
typedef struct source_pos {
    int sx, sy; /* top-left neighbour (saturated to short) */
    int fx, fy; /* fractions, 0..31 */
} source_pos;

static source_pos source_position(int32_t X0, int32_t Y0, int32_t adelta, int32_t bdelta)
{
    int32_t X = shift_floor(add_wrap(X0, adelta), AB_BITS - INTER_BITS);
    int32_t Y = shift_floor(add_wrap(Y0, bdelta), AB_BITS - INTER_BITS);
    source_pos p;
    p.sx = saturate_short(shift_floor(X, INTER_BITS));
    p.sy = saturate_short(shift_floor(Y, INTER_BITS));
    p.fx = (int)(X & (INTER_TAB_SIZE - 1));
    p.fy = (int)(Y & (INTER_TAB_SIZE - 1));
    return p;
}

/* Row constants X0, Y0 of WarpAffineInvoker::operator(). */
static void row_origin(const double M[6], int y, int32_t *X0, int32_t *Y0)
{
    *X0 = add_wrap(cv_round((M[1] * y + M[2]) * AB_SCALE), ROUND_DELTA);
    *Y0 = add_wrap(cv_round((M[4] * y + M[5]) * AB_SCALE), ROUND_DELTA);
}

void au_warp_bilinear_weights_q15(int idx, int16_t w[4])
{
    idx &= INTER_TAB_SIZE * INTER_TAB_SIZE - 1;
    int fy = idx / INTER_TAB_SIZE, fx = idx % INTER_TAB_SIZE;
    /* initInterTab1D(INTER_LINEAR): coefficients {1 − t, t} with t = i·(1.f/32), exact. */
    float scale = 1.f / INTER_TAB_SIZE;
    float ty[2] = {1.f - (float)fy * scale, (float)fy * scale};
    float tx[2] = {1.f - (float)fx * scale, (float)fx * scale};
    /* initInterTab2D works in place in the table of all entries. Its correction scan below
     * starts at [ksize/2][ksize/2] = [1][1] and, for ksize = 2, reads past this entry into
     * the next one (indices 4..6), which is still zero when this entry is built (the table
     * is static and filled in entry order, once). Reproduce that with a zeroed tail. */
    int itab[8] = {0};
    int isum = 0;
    for (int k1 = 0; k1 < 2; k1++)
        for (int k2 = 0; k2 < 2; k2++) {
            float v = ty[k1] * tx[k2];
            /* saturate_cast<short>(float): round to nearest even, clamp to short. */
            float r = nearbyintf(v * REMAP_COEF_SCALE);
            int s = r > SHRT_MAX ? SHRT_MAX : r < SHRT_MIN ? SHRT_MIN : (int)r;
            itab[k1 * 2 + k2] = s;
            isum += s;
        }
    if (isum != REMAP_COEF_SCALE) {
        int diff = isum - REMAP_COEF_SCALE;
        int ksize = 2, ksize2 = 1;
        int Mk1 = ksize2, Mk2 = ksize2, mk1 = ksize2, mk2 = ksize2;
        for (int k1 = ksize2; k1 < ksize2 + 2; k1++)
            for (int k2 = ksize2; k2 < ksize2 + 2; k2++) {
                if (itab[k1 * ksize + k2] < itab[mk1 * ksize + mk2])
                    mk1 = k1, mk2 = k2;
                else if (itab[k1 * ksize + k2] > itab[Mk1 * ksize + Mk2])
                    Mk1 = k1, Mk2 = k2;
            }
        if (diff < 0)
            itab[Mk1 * ksize + Mk2] -= diff;
        else
            itab[mk1 * ksize + mk2] -= diff;
    }
    for (int k = 0; k < 4; k++)
        w[k] = (int16_t)itab[k];
}

/* The same weights in closed form for the hot loop: with fractions in 1/32 px, every
 * product 32768·(1−fy/32)(1−fx/32) = 32·(32−fy)(32−fx) is an exact integer, so
 * saturate_cast<short> only changes entry 0 (32768 → 32767), which the table correction
 * turns into {32767, 0, 0, 1}. test_warp_affine checks au_warp_bilinear_weights_q15
 * against this closed form on all 1024 entries, and the warp against a model that uses
 * the table function. */
static void weights_q15_fast(int fx, int fy, int32_t w[4])
{
    if ((fx | fy) == 0) {
        w[0] = REMAP_COEF_SCALE - 1, w[1] = 0, w[2] = 0, w[3] = 1;
        return;
    }
    int gx = INTER_TAB_SIZE - fx, gy = INTER_TAB_SIZE - fy;
    w[0] = gy * gx * INTER_TAB_SIZE;
    w[1] = gy * fx * INTER_TAB_SIZE;
    w[2] = fy * gx * INTER_TAB_SIZE;
    w[3] = fy * fx * INTER_TAB_SIZE;
}

/* FixedPtCast<int, uchar, INTER_REMAP_COEF_BITS>: saturate_cast<uchar>((v + 2^14) >> 15). */
static uint8_t fixed_to_u8(int32_t sum)
{
    int32_t v = shift_floor(sum + (1 << (REMAP_COEF_BITS - 1)), REMAP_COEF_BITS);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* One output pixel of remapBilinear<FixedPtCast<int, uchar, 15>> for 3 channels. */
static void sample_u8c3(const uint8_t *src, int sw, int sh, size_t sstride, source_pos p,
                        uint8_t out[3])
{
    static const uint8_t zero_px[3] = {0, 0, 0}; /* cval: BORDER_CONSTANT value 0 */
    const uint8_t *v0, *v1, *v2, *v3;
    /* remapBilinear: a sample is an "inlier" (all four neighbours read directly) when
     * (unsigned)sx < width-1 and (unsigned)sy < height-1. */
    if ((unsigned)p.sx < (unsigned)(sw - 1) && (unsigned)p.sy < (unsigned)(sh - 1)) {
        v0 = src + (size_t)p.sy * sstride + (size_t)p.sx * 3;
        v1 = v0 + 3;
        v2 = v0 + sstride;
        v3 = v2 + 3;
    } else if (p.sx >= sw || p.sx + 1 < 0 || p.sy >= sh || p.sy + 1 < 0) {
        /* BORDER_CONSTANT shortcut: the whole 2x2 block is outside. */
        out[0] = out[1] = out[2] = 0;
        return;
    } else {
        /* Per neighbour: borderInterpolate(BORDER_CONSTANT) gives -1 outside the image, and
         * such a neighbour reads the border value. */
        int x0in = p.sx >= 0 && p.sx < sw, x1in = p.sx + 1 >= 0 && p.sx + 1 < sw;
        int y0in = p.sy >= 0 && p.sy < sh, y1in = p.sy + 1 >= 0 && p.sy + 1 < sh;
        const uint8_t *r0 = src + (size_t)(y0in ? p.sy : 0) * sstride;
        const uint8_t *r1 = src + (size_t)(y1in ? p.sy + 1 : 0) * sstride;
        v0 = x0in && y0in ? r0 + (size_t)p.sx * 3 : zero_px;
        v1 = x1in && y0in ? r0 + (size_t)(p.sx + 1) * 3 : zero_px;
        v2 = x0in && y1in ? r1 + (size_t)p.sx * 3 : zero_px;
        v3 = x1in && y1in ? r1 + (size_t)(p.sx + 1) * 3 : zero_px;
    }
    int32_t w[4];
    weights_q15_fast(p.fx, p.fy, w);
    for (int c = 0; c < 3; c++)
        out[c] = fixed_to_u8(v0[c] * w[0] + v1[c] * w[1] + v2[c] * w[2] + v3[c] * w[3]);
}

/* One output pixel of remapBilinear<Cast<float, float>> with the float table. */
static float sample_f32(const float *src, int sw, int sh, size_t sstride, source_pos p)
{
    float v0, v1, v2, v3;
    if ((unsigned)p.sx < (unsigned)(sw - 1) && (unsigned)p.sy < (unsigned)(sh - 1)) {
        const float *s = src + (size_t)p.sy * sstride + (size_t)p.sx;
        v0 = s[0];
        v1 = s[1];
        v2 = s[sstride];
        v3 = s[sstride + 1];
    } else if (p.sx >= sw || p.sx + 1 < 0 || p.sy >= sh || p.sy + 1 < 0) {
        return 0.f; /* BORDER_CONSTANT shortcut: the whole block is outside */
    } else {
        int x0in = p.sx >= 0 && p.sx < sw, x1in = p.sx + 1 >= 0 && p.sx + 1 < sw;
        int y0in = p.sy >= 0 && p.sy < sh, y1in = p.sy + 1 >= 0 && p.sy + 1 < sh;
        const float *r0 = src + (size_t)(y0in ? p.sy : 0) * sstride;
        const float *r1 = src + (size_t)(y1in ? p.sy + 1 : 0) * sstride;
        v0 = x0in && y0in ? r0[p.sx] : 0.f;
        v1 = x1in && y0in ? r0[p.sx + 1] : 0.f;
        v2 = x0in && y1in ? r1[p.sx] : 0.f;
        v3 = x1in && y1in ? r1[p.sx + 1] : 0.f;
    }
    /* BilinearTab_f entry (initInterTab1D/2D): tab[k1][k2] = ty[k1]·tx[k2] with
     * tx = {1 − fx·(1.f/32), fx·(1.f/32)}: exact float products. */
    const float scale = 1.f / INTER_TAB_SIZE;
    float ax = (float)p.fx * scale, ay = (float)p.fy * scale;
    float tx0 = 1.f - ax, ty0 = 1.f - ay;
    float w0 = ty0 * tx0, w1 = ty0 * ax, w2 = ay * tx0, w3 = ay * ax;
    /* Float sum, left to right, as S[0]*w[0] + S[1]*w[1] + S[sstep]*w[2] + S[sstep+1]*w[3]. */
    float sum = v0 * w0;
    sum += v1 * w1;
    sum += v2 * w2;
    sum += v3 * w3;
    return sum;
}

void au_warp_affine_u8c3(const uint8_t *src, int sw, int sh, size_t sstride, const float m[6],
                         uint8_t *dst, int dw, int dh, size_t dstride)
{
    if (sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0)
        return;
    double M[6];
    inverse_matrix(m, 0, M);
    int32_t adelta[COL_BLOCK], bdelta[COL_BLOCK];
    for (int bx = 0; bx < dw; bx += COL_BLOCK) {
        int bw = dw - bx < COL_BLOCK ? dw - bx : COL_BLOCK;
        column_deltas(M, bx, bw, adelta, bdelta);
        for (int y = 0; y < dh; y++) {
            int32_t X0, Y0;
            row_origin(M, y, &X0, &Y0);
            uint8_t *d = dst + (size_t)y * dstride + (size_t)bx * 3;
            for (int i = 0; i < bw; i++)
                sample_u8c3(src, sw, sh, sstride, source_position(X0, Y0, adelta[i], bdelta[i]),
                            d + 3 * i);
        }
    }
}

#ifdef AU_WARP_X86
/* Eight output pixels of one row, d[0..7], with AVX2 when all eight are inliers (their
 * four neighbours inside the image); returns 0, writing nothing, otherwise. The integer
 * steps are source_position's (wrapping adds, arithmetic shifts, the short clamp), the
 * neighbours are gathered, and the weights and the sum are sample_f32's float operations
 * in its order, each product rounded before its addition (no fused multiply-add), so the
 * bits are the scalar ones. The caller guarantees that sh·sstride fits an int32 index. */
__attribute__((target("avx2"))) static int
sample8_f32_avx2(const float *src, int sw, int sh, int sstride, int32_t X0, int32_t Y0,
                 const int32_t *adelta, const int32_t *bdelta, float *d)
{
    const __m256i X = _mm256_srai_epi32(
        _mm256_add_epi32(_mm256_set1_epi32(X0), _mm256_loadu_si256((const __m256i *)adelta)),
        AB_BITS - INTER_BITS);
    const __m256i Y = _mm256_srai_epi32(
        _mm256_add_epi32(_mm256_set1_epi32(Y0), _mm256_loadu_si256((const __m256i *)bdelta)),
        AB_BITS - INTER_BITS);
    const __m256i lo = _mm256_set1_epi32(SHRT_MIN), hi = _mm256_set1_epi32(SHRT_MAX);
    const __m256i sx = _mm256_min_epi32(_mm256_max_epi32(_mm256_srai_epi32(X, INTER_BITS), lo), hi);
    const __m256i sy = _mm256_min_epi32(_mm256_max_epi32(_mm256_srai_epi32(Y, INTER_BITS), lo), hi);
    /* (unsigned)sx < sw − 1 and (unsigned)sy < sh − 1, i.e. 0 <= s < size − 1 */
    const __m256i minus1 = _mm256_set1_epi32(-1);
    const __m256i in = _mm256_and_si256(
        _mm256_and_si256(_mm256_cmpgt_epi32(sx, minus1),
                         _mm256_cmpgt_epi32(_mm256_set1_epi32(sw - 1), sx)),
        _mm256_and_si256(_mm256_cmpgt_epi32(sy, minus1),
                         _mm256_cmpgt_epi32(_mm256_set1_epi32(sh - 1), sy)));
    if (_mm256_movemask_epi8(in) != -1)
        return 0;
    const __m256i idx =
        _mm256_add_epi32(_mm256_mullo_epi32(sy, _mm256_set1_epi32(sstride)), sx);
    const __m256i idx2 = _mm256_add_epi32(idx, _mm256_set1_epi32(sstride));
    const __m256 v0 = _mm256_i32gather_ps(src, idx, 4);
    const __m256 v1 = _mm256_i32gather_ps(src + 1, idx, 4);
    const __m256 v2 = _mm256_i32gather_ps(src, idx2, 4);
    const __m256 v3 = _mm256_i32gather_ps(src + 1, idx2, 4);
    const __m256i frac = _mm256_set1_epi32(INTER_TAB_SIZE - 1);
    const __m256 scale = _mm256_set1_ps(1.f / INTER_TAB_SIZE), one = _mm256_set1_ps(1.f);
    const __m256 ax = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(X, frac)), scale);
    const __m256 ay = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(Y, frac)), scale);
    const __m256 tx0 = _mm256_sub_ps(one, ax), ty0 = _mm256_sub_ps(one, ay);
    __m256 sum = _mm256_mul_ps(v0, _mm256_mul_ps(ty0, tx0));
    sum = _mm256_add_ps(sum, _mm256_mul_ps(v1, _mm256_mul_ps(ty0, ax)));
    sum = _mm256_add_ps(sum, _mm256_mul_ps(v2, _mm256_mul_ps(ay, tx0)));
    sum = _mm256_add_ps(sum, _mm256_mul_ps(v3, _mm256_mul_ps(ay, ax)));
    _mm256_storeu_ps(d, sum);
    return 1;
}
#endif

void au_warp_affine_f32c1(const float *src, int sw, int sh, size_t sstride, const float m[6],
                          int inverse_map, float *dst, int dw, int dh, size_t dstride)
{
    if (sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0)
        return;
    double M[6];
    inverse_matrix(m, inverse_map, M);
    int vector = 0;
#ifdef AU_WARP_X86
    /* gather indices are int32: sy·sstride + sx + sstride + 1 must fit */
    vector = __builtin_cpu_supports("avx2") && sstride <= (size_t)INT32_MAX / ((size_t)sh + 1);
#endif
    int32_t adelta[COL_BLOCK], bdelta[COL_BLOCK];
    for (int bx = 0; bx < dw; bx += COL_BLOCK) {
        int bw = dw - bx < COL_BLOCK ? dw - bx : COL_BLOCK;
        column_deltas(M, bx, bw, adelta, bdelta);
        for (int y = 0; y < dh; y++) {
            int32_t X0, Y0;
            row_origin(M, y, &X0, &Y0);
            float *d = dst + (size_t)y * dstride + bx;
            int tail_tried = 0;
            for (int i = 0; i < bw;) {
#ifdef AU_WARP_X86
                /* fewer than 8 left: the last 8 of the row, again from before i (the
                 * values written twice are the same bits); tried once per row */
                const int at = i + 8 <= bw ? i : bw - 8;
                if (vector && at >= 0 && !tail_tried) {
                    tail_tried = at != i;
                    if (sample8_f32_avx2(src, sw, sh, (int)sstride, X0, Y0, adelta + at,
                                         bdelta + at, d + at)) {
                        i = at + 8;
                        continue;
                    }
                }
#endif
                d[i] = sample_f32(src, sw, sh, sstride,
                                  source_position(X0, Y0, adelta[i], bdelta[i]));
                i++;
            }
        }
    }
    (void)vector;
}
