/* OpenFace 2.2 DetectionValidator::Check re-implemented; the numerics of every step are
 * documented in clnf_validator.h with their OpenFace / OpenCV sources. */
#include "landmark/clnf_validator.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* x86-64 with GCC or Clang: the convolutions get an AVX2/FMA kernel chosen at run time (as
 * landmark/ccnf.c does). Define AU_CLNF_VALIDATOR_NO_SIMD to build only the portable code,
 * which gives the same bits. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) &&                     \
    !defined(AU_CLNF_VALIDATOR_NO_SIMD)
#define AU_VALIDATOR_X86 1
#include <immintrin.h>
#endif

/* imgproc.hpp: INTER_BITS = 5, INTER_TAB_SIZE = 32 (remap's 1/32-pixel fixed point). */
enum { INTER_BITS = 5, INTER_TAB_SIZE = 1 << INTER_BITS };

/* Floats read past the end of a map by the vectorised convolution (8-lane loads). */
#define READ_PAD 8
/* Region sizes are rounded to this many floats, so every region starts 32-byte aligned. */
#define ALIGN_FLOATS 8

int au_clnf_validation_success(double certainty)
{
    return (float)certainty > AU_CLNF_VALIDATION_BOUNDARY;
}

/* ---------------------------------------------------------------------------------------
 * Step 1: view (DetectionValidator::GetViewId: cv::norm of the Vec3d difference, i.e. the
 * square root of the in-order double sum of squares; `i == 0 || d < dbest`).
 * ------------------------------------------------------------------------------------- */

int au_clnf_validator_view_index(const au_clnf_validator *v, const float orientation[3])
{
    int best = 0;
    double dbest = -1.0;
    for (int i = 0; i < v->num_views; i++) {
        double s = 0.0;
        for (int k = 0; k < 3; k++) {
            double d = (double)orientation[k] - v->views[i].orientation[k];
            s += d * d;
        }
        double d = sqrt(s);
        if (i == 0 || d < dbest) {
            dbest = d;
            best = i;
        }
    }
    return best;
}

/* ---------------------------------------------------------------------------------------
 * Step 2: ROI and piece-wise affine warp.
 * ------------------------------------------------------------------------------------- */

/* C++ (int)float as x86 cvttss2si: toward zero, INT_MIN when out of range or NaN. */
static int trunc_to_int(float v)
{
    if (v > -2147483904.0f && v < 2147483648.0f)
        return (int)v;
    return INT_MIN;
}

/* cvRound(float) (saturate_cast<int>, _mm_cvtss_si32): half to even, INT_MIN outside the
 * int range or for NaN. Below 2^22 in magnitude, adding and removing 1.5·2^23 rounds to an
 * integer half to even in float arithmetic (the default rounding mode), without the libm
 * call nearbyintf is on baseline x86-64. */
static int cv_round_f(float v)
{
    const float magic = 12582912.0f; /* 1.5·2^23 */
    if (v > -4194304.0f && v < 4194304.0f) {
        float t = v + magic; /* ISO C: not folded back to v (no reassociation) */
        return (int)(t - magic);
    }
    if (v >= -2147483648.0f && v < 2147483648.0f)
        return (int)nearbyintf(v);
    return INT_MIN;
}

/* Arithmetic shift right (floor), without relying on >> of negative values. */
static int shift_floor(int v, int s)
{
    return v >= 0 ? v >> s : -1 - ((-1 - v) >> s);
}

/* saturate_cast<short>(int). */
static int saturate_short(int v)
{
    return v < SHRT_MIN ? SHRT_MIN : v > SHRT_MAX ? SHRT_MAX : v;
}

/* The ROI of the source image: rw x rh pixels starting at (x0, y0); remap reads it as a
 * float image with a constant-0 border. */
typedef struct roi_image {
    const uint8_t *p; /* pixel (0, 0) of the ROI */
    size_t stride;
    int rw, rh;
} roi_image;

static float roi_at(const roi_image *r, int x, int y)
{
    return (float)r->p[(size_t)y * r->stride + (size_t)x];
}

/* remapBilinear<Cast<float, float>, float, float> for one pixel with float maps (OpenCV
 * 4.6 imgwarp.cpp RemapInvoker, remapBilinear; BORDER_CONSTANT, value 0). */
static float remap_pixel(const roi_image *r, float map_x, float map_y)
{
    int X = cv_round_f(map_x * (float)INTER_TAB_SIZE);
    int Y = cv_round_f(map_y * (float)INTER_TAB_SIZE);
    int sx = saturate_short(shift_floor(X, INTER_BITS));
    int sy = saturate_short(shift_floor(Y, INTER_BITS));
    int fx = X & (INTER_TAB_SIZE - 1), fy = Y & (INTER_TAB_SIZE - 1);
    float v0, v1, v2, v3;
    /* Inlier: (unsigned)sx < width−1 and (unsigned)sy < height−1 read all four directly. */
    if ((unsigned)sx < (unsigned)(r->rw - 1) && (unsigned)sy < (unsigned)(r->rh - 1)) {
        v0 = roi_at(r, sx, sy);
        v1 = roi_at(r, sx + 1, sy);
        v2 = roi_at(r, sx, sy + 1);
        v3 = roi_at(r, sx + 1, sy + 1);
    } else if (sx >= r->rw || sx + 1 < 0 || sy >= r->rh || sy + 1 < 0) {
        return 0.0f; /* the whole 2x2 block is outside: cval */
    } else {
        int x0in = sx >= 0 && sx < r->rw, x1in = sx + 1 >= 0 && sx + 1 < r->rw;
        int y0in = sy >= 0 && sy < r->rh, y1in = sy + 1 >= 0 && sy + 1 < r->rh;
        v0 = x0in && y0in ? roi_at(r, sx, sy) : 0.0f;
        v1 = x1in && y0in ? roi_at(r, sx + 1, sy) : 0.0f;
        v2 = x0in && y1in ? roi_at(r, sx, sy + 1) : 0.0f;
        v3 = x1in && y1in ? roi_at(r, sx + 1, sy + 1) : 0.0f;
    }
    /* BilinearTab_f (initInterTab1D/2D): exact float products of {1 − t, t}, t = i·(1/32). */
    const float scale = 1.0f / INTER_TAB_SIZE;
    float ax = (float)fx * scale, ay = (float)fy * scale;
    float tx0 = 1.0f - ax, ty0 = 1.0f - ay;
    float sum = v0 * (ty0 * tx0);
    sum += v1 * (ty0 * ax);
    sum += v2 * (ay * tx0);
    sum += v3 * (ay * ax);
    return sum;
}

/* PAW::CalcCoeff on the ROI-shifted landmarks (xs − x0, ys − y0 in float, as Check shifts
 * detected_landmarks_local before the warp). */
static void warp_coefficients(const au_validator_view *v, const float *landmarks, float sx0,
                              float sy0, float *coeff)
{
    const int n = v->num_landmarks;
    for (int l = 0; l < v->num_tris; l++) {
        const int *t = v->triangulation + 3 * l;
        const float *al = v->alpha + 3 * l, *be = v->beta + 3 * l;
        float xi = landmarks[t[0]] - sx0, xj = landmarks[t[1]] - sx0,
              xk = landmarks[t[2]] - sx0;
        float yi = landmarks[n + t[0]] - sy0, yj = landmarks[n + t[1]] - sy0,
              yk = landmarks[n + t[2]] - sy0;
        float c1 = xi, c2 = xj - c1, c3 = xk - c1;
        float c4 = yi, c5 = yj - c4, c6 = yk - c4;
        float *a = coeff + 6 * l;
        a[0] = c1 + c2 * al[0] + c3 * be[0];
        a[1] = c2 * al[1] + c3 * be[1];
        a[2] = c2 * al[2] + c3 * be[2];
        a[3] = c4 + c5 * al[0] + c6 * be[0];
        a[4] = c5 * al[1] + c6 * be[1];
        a[5] = c5 * al[2] + c6 * be[2];
    }
}

int au_clnf_validator_warp(const au_validator_view *view, const uint8_t *gray, int w, int h,
                           size_t stride, const float *landmarks, float *coeff, float *warped)
{
    const int n = view->num_landmarks, mw = view->map_w, mh = view->map_h;
    memset(warped, 0, (size_t)mw * mh * sizeof *warped);
    if (w <= 0 || h <= 0)
        return 0;

    /* ExtractBoundingBox: `i == 0 || val < min` (NaN values are skipped after the first). */
    float min_x = landmarks[0], max_x = landmarks[0];
    float min_y = landmarks[n], max_y = landmarks[n];
    for (int i = 1; i < n; i++) {
        float x = landmarks[i], y = landmarks[n + i];
        if (x < min_x)
            min_x = x;
        if (x > max_x)
            max_x = x;
        if (y < min_y)
            min_y = y;
        if (y > max_y)
            max_y = y;
    }
    /* Check: "some extra space for bilinear interpolation". */
    int x0 = trunc_to_int(min_x - 3.0f), x1 = trunc_to_int(max_x + 3.0f);
    int y0 = trunc_to_int(min_y - 3.0f), y1 = trunc_to_int(max_y + 3.0f);
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > w - 1)
        x1 = w - 1;
    if (y1 > h - 1)
        y1 = h - 1;
    if ((long long)x1 - x0 <= 1 || (long long)y1 - y0 <= 1)
        return 0; /* "the ROI is non existent" */

    roi_image roi = {gray + (size_t)y0 * stride + (size_t)x0, stride, x1 - x0, y1 - y0};
    warp_coefficients(view, landmarks, (float)x0, (float)y0, coeff);

    /* PAW::WarpRegion, then remap at the mask pixels (the others stay 0, which is what
     * remap gives for OpenFace's map value −1: only the zero-weighted neighbour (0, 0) is
     * inside). */
    for (int y = 0; y < mh; y++) {
        const float yi = (float)y + view->min_y;
        const uint8_t *mask = view->pixel_mask + (size_t)y * mw;
        const int *tri = view->triangle_id + (size_t)y * mw;
        for (int x = 0; x < mw; x++) {
            if (!mask[x])
                continue;
            const float xi = (float)x + view->min_x;
            const float *a = coeff + 6 * tri[x];
            float xo = a[0];
            xo += a[1] * xi;
            float map_x = xo + a[2] * yi;
            float yo = a[3];
            yo += a[4] * xi;
            float map_y = yo + a[5] * yi;
            warped[(size_t)y * mw + x] = remap_pixel(&roi, map_x, map_y);
        }
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------
 * Step 3: NormaliseWarpedToVector.
 * ------------------------------------------------------------------------------------- */

void au_clnf_validator_features(const au_validator_view *view, const float *warped,
                                float *features)
{
    const int mw = view->map_w, mh = view->map_h;
    int p = 0;
    /* Column-major walk over the transposed mask (x outer, y inner). */
    for (int x = 0; x < mw; x++)
        for (int y = 0; y < mh; y++)
            if (view->pixel_mask[(size_t)y * mw + x])
                features[p++] = warped[(size_t)y * mw + x];

    /* cv::meanStdDev on a float vector (mean.dispatch.cpp, sumsqr_<float, double, double>):
     * in-order double sums, then scale = 1/n. */
    double s = 0.0, sq = 0.0;
    for (int i = 0; i < p; i++) {
        s += features[i];
        sq += (double)features[i] * features[i];
    }
    double scale = p ? 1.0 / p : 0.0;
    double mean = s * scale;
    double sd = sqrt(fmax(sq * scale - mean * mean, 0.0));
    if (sd == 0.0)
        sd = 1.0;
    /* vec -= mean: cv::subtract with the scalar converted to float (arithm_op keeps a
     * 32-bit work type for a float matrix and a double scalar). vec /= std: Mat /= double is
     * convertTo(vec, -1, 1/std), i.e. a float multiply by (float)(1/std). */
    const float fmean = (float)mean, fscale = (float)(1.0 / sd);
    for (int i = 0; i < p; i++) {
        float v = features[i] - fmean;
        v = v * fscale;
        /* (vec − mean_image) / std_image: cv::subtract, cv::divide (0 for a 0 divisor). */
        float d = v - view->mean_image[i];
        float sdi = view->std_image[i];
        features[i] = sdi != 0.0f ? d / sdi : 0.0f;
    }
}

/* ---------------------------------------------------------------------------------------
 * Step 4: the CNN.
 * ------------------------------------------------------------------------------------- */

/* The shape flowing between layers: `maps` planes of h x w floats, row-major, one after
 * the other. */
typedef struct map_shape {
    int maps, h, w;
} map_shape;

static size_t shape_floats(map_shape s)
{
    return (size_t)s.maps * s.h * s.w;
}

/* The shape after layer L (CheckCNN, CNN_utils.cpp). */
static map_shape layer_output_shape(const au_cnn_layer *L, map_shape s)
{
    switch (L->type) {
    case AU_CNN_CONV:
        s.maps = L->num_out;
        s.h -= L->kh - 1;
        s.w -= L->kw - 1;
        break;
    case AU_CNN_MAXPOOL:
        /* max_pooling: (int)round((float)(n − 2)/(float)2) + 1. */
        s.h = (int)roundf((float)(s.h - 2) / 2.0f) + 1;
        s.w = (int)roundf((float)(s.w - 2) / 2.0f) + 1;
        break;
    case AU_CNN_FC:
        if (s.maps > 1 && s.maps == L->num_in && s.h * s.w == 1)
            s = (map_shape){L->num_out, 1, 1}; /* separate feature maps */
        else if (s.maps > 1)
            s = (map_shape){1, L->num_out, 1}; /* flattened maps: a column */
        else
            s = (map_shape){1, 1, L->num_out}; /* one map: the result transposed, a row */
        break;
    default: /* ReLU, sigmoid */
        break;
    }
    return s;
}

/* Floats of one scratch region, rounded up so the next region stays aligned. */
static size_t round_floats(size_t n)
{
    return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

/* Scratch regions of one view: grid (the warped image, then the CNN input), features,
 * warp coefficients, the final outputs, and two ping-pong buffers for the layer maps. */
typedef struct view_layout {
    size_t grid, features, coeff, out, buf; /* floats per region */
} view_layout;

static view_layout view_layout_of(const au_validator_view *v)
{
    view_layout lay;
    lay.grid = round_floats((size_t)v->map_w * v->map_h + READ_PAD);
    lay.features = round_floats((size_t)v->num_pixels);
    lay.coeff = round_floats((size_t)6 * v->num_tris);
    map_shape s = {1, v->map_h, v->map_w};
    size_t buf = shape_floats(s);
    for (int l = 0; l < v->depth; l++) {
        const au_cnn_layer *L = &v->layers[l];
        map_shape o = layer_output_shape(L, s);
        size_t need = shape_floats(o);
        if (L->type == AU_CNN_FC) /* the flattened input vector sits after the output */
            need = round_floats(need) + (size_t)L->num_in;
        if (need > buf)
            buf = need;
        s = o;
    }
    lay.out = round_floats((size_t)s.h * s.w); /* CheckCNN reads the first map only */
    lay.buf = round_floats(buf + READ_PAD);
    return lay;
}

static size_t view_layout_total(view_layout lay)
{
    return lay.grid + lay.features + lay.coeff + lay.out + 2 * lay.buf;
}

/* Carves the scratch into the regions of `lay`, 32-byte aligned. */
typedef struct view_buffers {
    float *grid, *features, *coeff, *out, *buf[2];
} view_buffers;

static view_buffers view_buffers_of(void *scratch, view_layout lay)
{
    uintptr_t p = ((uintptr_t)scratch + 31u) & ~(uintptr_t)31u;
    float *f = (float *)p;
    view_buffers b;
    b.grid = f;
    b.features = b.grid + lay.grid;
    b.coeff = b.features + lay.features;
    b.out = b.coeff + lay.coeff;
    b.buf[0] = b.out + lay.out;
    b.buf[1] = b.buf[0] + lay.buf;
    return b;
}

size_t au_clnf_validator_scratch_bytes(const au_clnf_model *m)
{
    const au_clnf_validator *v = m ? au_clnf_model_validator(m) : NULL;
    if (!v)
        return 0;
    size_t most = 0;
    for (int i = 0; i < v->num_views; i++) {
        size_t t = view_layout_total(view_layout_of(&v->views[i]));
        if (t > most)
            most = t;
    }
    return most * sizeof(float) + 32; /* + alignment slack */
}

/* convolution_direct_blas, portable: out_k(y,x) as one fmaf chain from 0 over (input map,
 * kernel column c, kernel row r), then + bias (the im2col's trailing 1: fmaf(b, 1, acc) is
 * acc + b rounded once). */
static void conv_portable(const float *in, map_shape s, const au_cnn_layer *L, float *out)
{
    const int kh = L->kh, kw = L->kw, oh = s.h - kh + 1, ow = s.w - kw + 1;
    const size_t plane = (size_t)s.h * s.w, ksz = (size_t)kh * kw;
    for (int k = 0; k < L->num_out; k++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                float acc = 0.0f;
                for (int m = 0; m < L->num_in; m++) {
                    const float *K = L->kernels + ((size_t)m * L->num_out + k) * ksz;
                    const float *p = in + (size_t)m * plane + (size_t)y * s.w + x;
                    for (int c = 0; c < kw; c++)
                        for (int r = 0; r < kh; r++)
                            acc = fmaf(K[r * kw + c], p[(size_t)r * s.w + c], acc);
                }
                out[((size_t)k * oh + y) * ow + x] = acc + L->bias[k];
            }
}

#ifdef AU_VALIDATOR_X86

static int cpu_has_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* Kernels per pass of the AVX2 convolution; with two output rows that is ten 8-lane
 * accumulators (explicit variables, so that they stay in registers), enough independent
 * FMA chains to hide the latency. */
#define CONV_GROUP 5

/* One step of the chains: input vectors v0 (row y) and v1 (row y1) times the weight at
 * kernel offset `o` of the five kernels. */
#define CONV_STEP(o)                                                                         \
    do {                                                                                     \
        __m256 w_;                                                                           \
        w_ = _mm256_broadcast_ss(k0p + (o));                                                 \
        a00 = _mm256_fmadd_ps(w_, v0, a00);                                                  \
        a10 = _mm256_fmadd_ps(w_, v1, a10);                                                  \
        w_ = _mm256_broadcast_ss(k1p + (o));                                                 \
        a01 = _mm256_fmadd_ps(w_, v0, a01);                                                  \
        a11 = _mm256_fmadd_ps(w_, v1, a11);                                                  \
        w_ = _mm256_broadcast_ss(k2p + (o));                                                 \
        a02 = _mm256_fmadd_ps(w_, v0, a02);                                                  \
        a12 = _mm256_fmadd_ps(w_, v1, a12);                                                  \
        w_ = _mm256_broadcast_ss(k3p + (o));                                                 \
        a03 = _mm256_fmadd_ps(w_, v0, a03);                                                  \
        a13 = _mm256_fmadd_ps(w_, v1, a13);                                                  \
        w_ = _mm256_broadcast_ss(k4p + (o));                                                 \
        a04 = _mm256_fmadd_ps(w_, v0, a04);                                                  \
        a14 = _mm256_fmadd_ps(w_, v1, a14);                                                  \
    } while (0)

/* Adds the bias of kernel ks[g] (fmaf(b, 1, acc) = acc + b) and stores the valid columns
 * of rows y and y1 (y1 == y: the repeated last row, not stored twice). */
__attribute__((target("avx2,fma"))) static void
conv_store_avx2(const au_cnn_layer *L, int k, int oh, int ow, int y, int y1, int x, __m256 r0,
                __m256 r1, float *out)
{
    const __m256 b = _mm256_set1_ps(L->bias[k]);
    const int nx = ow - x < 8 ? ow - x : 8;
    float t0[8], t1[8];
    _mm256_storeu_ps(t0, _mm256_add_ps(r0, b));
    _mm256_storeu_ps(t1, _mm256_add_ps(r1, b));
    float *o = out + (size_t)k * oh * ow + x;
    memcpy(o + (size_t)y * ow, t0, (size_t)nx * sizeof(float));
    if (y1 != y)
        memcpy(o + (size_t)y1 * ow, t1, (size_t)nx * sizeof(float));
}

/* The same chains as conv_portable, eight output columns per lane vector, two output rows
 * and CONV_GROUP kernels at a time (the last row and kernel repeat when the counts do not
 * divide; repeats are computed but not stored). Reads up to 7 floats past the end of the
 * input (READ_PAD); those lanes are discarded. */
__attribute__((target("avx2,fma"))) static void conv_avx2(const float *in, map_shape s,
                                                          const au_cnn_layer *L, float *out)
{
    const int kh = L->kh, kw = L->kw, oh = s.h - kh + 1, ow = s.w - kw + 1;
    const int K = L->num_out;
    const size_t plane = (size_t)s.h * s.w, ksz = (size_t)kh * kw;
    for (int k0 = 0; k0 < K; k0 += CONV_GROUP) {
        int ks[CONV_GROUP];
        for (int g = 0; g < CONV_GROUP; g++)
            ks[g] = k0 + g < K ? k0 + g : K - 1;
        for (int y = 0; y < oh; y += 2) {
            const int y1 = y + 1 < oh ? y + 1 : y;
            for (int x = 0; x < ow; x += 8) {
                __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a04 = a00;
                __m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00, a14 = a00;
                for (int m = 0; m < L->num_in; m++) {
                    const float *p0 = in + (size_t)m * plane + (size_t)y * s.w + x;
                    const float *p1 = in + (size_t)m * plane + (size_t)y1 * s.w + x;
                    const float *kb = L->kernels + (size_t)m * K * ksz;
                    const float *k0p = kb + (size_t)ks[0] * ksz, *k1p = kb + (size_t)ks[1] * ksz,
                                *k2p = kb + (size_t)ks[2] * ksz, *k3p = kb + (size_t)ks[3] * ksz,
                                *k4p = kb + (size_t)ks[4] * ksz;
                    for (int c = 0; c < kw; c++)
                        for (int r = 0; r < kh; r++) {
                            const __m256 v0 = _mm256_loadu_ps(p0 + (size_t)r * s.w + c);
                            const __m256 v1 = _mm256_loadu_ps(p1 + (size_t)r * s.w + c);
                            CONV_STEP(r * kw + c);
                        }
                }
                conv_store_avx2(L, ks[0], oh, ow, y, y1, x, a00, a10, out);
                if (k0 + 1 < K)
                    conv_store_avx2(L, ks[1], oh, ow, y, y1, x, a01, a11, out);
                if (k0 + 2 < K)
                    conv_store_avx2(L, ks[2], oh, ow, y, y1, x, a02, a12, out);
                if (k0 + 3 < K)
                    conv_store_avx2(L, ks[3], oh, ow, y, y1, x, a03, a13, out);
                if (k0 + 4 < K)
                    conv_store_avx2(L, ks[4], oh, ow, y, y1, x, a04, a14, out);
            }
        }
    }
}
#endif

/* The running maximum of max_pooling: `if (v > m) m = v` (branch-free; maxss has exactly
 * these semantics, including NaN and signed zeros). */
static float max_step(float m, float v)
{
    return v > m ? v : m;
}

/* max_pooling(outputs, inputs, 2, 2, 2, 2): window (yo, xo) covers input columns 2xo,
 * 2xo+1 (outer) and rows 2yo, 2yo+1 (inner), cut at the border, from −FLT_MAX. */
static map_shape max_pool(const float *restrict in, map_shape s, float *restrict out)
{
    map_shape o = {s.maps, (int)roundf((float)(s.h - 2) / 2.0f) + 1,
                   (int)roundf((float)(s.w - 2) / 2.0f) + 1};
    for (int m = 0; m < s.maps; m++) {
        const float *p = in + (size_t)m * s.h * s.w;
        float *q = out + (size_t)m * o.h * o.w;
        for (int yo = 0; yo < o.h; yo++) {
            const int ya = 2 * yo, yb = ya + 2 < s.h ? ya + 2 : s.h;
            const float *r0 = p + (size_t)ya * s.w;
            const float *r1 = p + (size_t)(yb - 1) * s.w; /* = r0 when the window is cut */
            int xo = 0;
            if (yb - ya == 2)
                for (; 2 * xo + 1 < s.w; xo++) {
                    const int x = 2 * xo;
                    float b = max_step(-FLT_MAX, r0[x]);
                    b = max_step(b, r1[x]);
                    b = max_step(b, r0[x + 1]);
                    q[(size_t)yo * o.w + xo] = max_step(b, r1[x + 1]);
                }
            for (; xo < o.w; xo++) {
                const int xa = 2 * xo, xb = xa + 2 < s.w ? xa + 2 : s.w;
                float b = -FLT_MAX;
                for (int xi = xa; xi < xb; xi++)
                    for (int yi = ya; yi < yb; yi++)
                        b = max_step(b, p[(size_t)yi * s.w + xi]);
                q[(size_t)yo * o.w + xo] = b;
            }
        }
    }
    return o;
}

/* cv::threshold(x, x, 0, 0, THRESH_TOZERO): x > 0 ? x : 0 (−0 and NaN give +0; so does
 * SSE maxps(x, 0), which returns its second operand unless x > 0). */
static void relu(const float *restrict in, size_t n, float *restrict out)
{
    size_t i = 0;
#ifdef AU_VALIDATOR_X86
    const __m128 zero = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(out + i, _mm_max_ps(_mm_loadu_ps(in + i), zero));
#endif
    for (; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

/* GEMMSingleMul<float, double>, GEMM_2_T branch, for one output row: Σ_k w[k]·v[k] in four
 * double accumulators (k mod 4), the tail into the first, combined left to right. */
static double gemm_row_dot(const float *w, const float *v, int n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int k = 0;
    for (; k <= n - 4; k += 4) {
        s0 += (double)w[k] * v[k];
        s1 += (double)w[k + 1] * v[k + 1];
        s2 += (double)w[k + 2] * v[k + 2];
        s3 += (double)w[k + 3] * v[k + 3];
    }
    for (; k < n; k++)
        s0 += (double)w[k] * v[k];
    return ((s0 + s1) + s2) + s3; /* · alpha = 1 */
}

#ifdef AU_VALIDATOR_X86
/* gemm_row_dot for four rows at once (w, w + stride, …): lane j of a row's accumulator is
 * OpenCV's s_j. A product of two floats is exact in double, so the fused multiply-add gives
 * the same bits as OpenCV's separate multiply and add. */
__attribute__((target("avx2,fma"))) static void gemm_rows4_avx2(const float *w, size_t stride,
                                                                const float *v, int n,
                                                                double out[4])
{
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    int k = 0;
    for (; k <= n - 4; k += 4) {
        const __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(v + k));
        a0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + k)), x, a0);
        a1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + stride + k)), x, a1);
        a2 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + 2 * stride + k)), x, a2);
        a3 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + 3 * stride + k)), x, a3);
    }
    double s[4][4];
    _mm256_storeu_pd(s[0], a0);
    _mm256_storeu_pd(s[1], a1);
    _mm256_storeu_pd(s[2], a2);
    _mm256_storeu_pd(s[3], a3);
    for (int r = 0; r < 4; r++) {
        for (int kk = k; kk < n; kk++)
            s[r][0] += (double)w[r * stride + kk] * v[kk];
        out[r] = ((s[r][0] + s[r][1]) + s[r][2]) + s[r][3];
    }
}
#endif

/* One output of a fully connected layer from its dot product: OpenFace's flattened branch
 * adds the bias inside cv::gemm (C = biases, beta = 1: (float)(s + (double)b·1)); its
 * "separate feature maps" branch rounds the product ((float)(s·1)) and adds the bias to the
 * float row. */
static float fc_finish(double dot, float bias, int bias_in_float)
{
    return bias_in_float ? (float)dot + bias : (float)(dot + (double)bias);
}

/* out[j] for every output j of layer L on the input vector v (num_in floats). */
static void fc_outputs(const au_cnn_layer *L, const float *v, int use_avx2, int bias_in_float,
                       float *out)
{
    const int n = L->num_in;
    int j = 0;
#ifdef AU_VALIDATOR_X86
    if (use_avx2)
        for (; j + 4 <= L->num_out; j += 4) {
            double d[4];
            gemm_rows4_avx2(L->weights + (size_t)j * n, (size_t)n, v, n, d);
            for (int r = 0; r < 4; r++)
                out[j + r] = fc_finish(d[r], L->bias[j + r], bias_in_float);
        }
#endif
    (void)use_avx2;
    for (; j < L->num_out; j++)
        out[j] = fc_finish(gemm_row_dot(L->weights + (size_t)j * n, v, n), L->bias[j],
                           bias_in_float);
}

/* fully_connected: see the header. `vec` is num_in floats of scratch (not overlapping in or
 * out). */
static map_shape fully_connected(const float *in, map_shape s, const au_cnn_layer *L,
                                 int use_avx2, float *vec, float *out)
{
    map_shape o = layer_output_shape(L, s);
    if (s.maps > 1 && s.maps == L->num_in && s.h * s.w == 1) {
        /* input_concat = weights * input_concat, then + bias per row in float. */
        fc_outputs(L, in, use_avx2, 1, out);
        return o;
    }
    /* Each map transposed and flattened (column-major), maps concatenated. */
    int p = 0;
    for (int m = 0; m < s.maps; m++) {
        const float *q = in + (size_t)m * s.h * s.w;
        for (int x = 0; x < s.w; x++)
            for (int y = 0; y < s.h; y++)
                vec[p++] = q[(size_t)y * s.w + x];
    }
    fc_outputs(L, vec, use_avx2, 0, out);
    return o;
}

int au_clnf_validator_cnn(const au_validator_view *view, const float *features, void *scratch,
                          float *out, int max_out, int *bins)
{
    const view_layout lay = view_layout_of(view);
    view_buffers b = view_buffers_of(scratch, lay);
    const int mw = view->map_w, mh = view->map_h;

    /* CheckCNN: a zero image with the features written back at the mask pixels in the
     * transposed (column-major) order. */
    float *img = b.grid;
    memset(img, 0, lay.grid * sizeof *img);
    int p = 0;
    for (int x = 0; x < mw; x++)
        for (int y = 0; y < mh; y++)
            if (view->pixel_mask[(size_t)y * mw + x])
                img[(size_t)y * mw + x] = features[p++];

#ifdef AU_VALIDATOR_X86
    const int use_avx2 = cpu_has_avx2_fma();
#else
    const int use_avx2 = 0;
#endif
    map_shape s = {1, mh, mw};
    const float *cur = img;
    int next = 0;
    for (int l = 0; l < view->depth; l++) {
        const au_cnn_layer *L = &view->layers[l];
        float *dst = b.buf[next];
        map_shape o = layer_output_shape(L, s);
        const size_t count = shape_floats(s);
        switch (L->type) {
        case AU_CNN_CONV:
#ifdef AU_VALIDATOR_X86
            if (use_avx2)
                conv_avx2(cur, s, L, dst);
            else
#endif
                conv_portable(cur, s, L, dst);
            break;
        case AU_CNN_MAXPOOL:
            max_pool(cur, s, dst);
            break;
        case AU_CNN_FC:
            fully_connected(cur, s, L, use_avx2, dst + round_floats(shape_floats(o)), dst);
            break;
        case AU_CNN_RELU:
            relu(cur, count, dst);
            break;
        default: /* AU_CNN_SIGMOID: cv::exp(−x), then 1/(1 + e) in float. */
            for (size_t i = 0; i < count; i++) {
                float t = expf(-cur[i]) + 1.0f;
                dst[i] = t != 0.0f ? 1.0f / t : 0.0f;
            }
            break;
        }
        /* The vectorised convolution reads up to READ_PAD floats past a map: keep them
         * defined. */
        memset(dst + shape_floats(o), 0, READ_PAD * sizeof *dst);
        s = o;
        cur = dst;
        next ^= 1;
    }

    /* CheckCNN reads outputs[0] (the first map) transposed: its values column-major. */
    int count = 0;
    for (int x = 0; x < s.w; x++)
        for (int y = 0; y < s.h; y++)
            if (count < max_out)
                out[count++] = cur[(size_t)y * s.w + x];
    *bins = s.w;
    return count;
}

/* ---------------------------------------------------------------------------------------
 * Step 5 and the whole check.
 * ------------------------------------------------------------------------------------- */

double au_clnf_validator_certainty(const float *out, int n, int bins)
{
    if (n <= 0 || bins <= 0)
        return 0.0;
    /* minMaxLoc on outputs[0].t(): the first maximum in this order; max_loc.y is its row in
     * the transposed matrix, i.e. index / (rows of the original map). */
    int best = 0;
    for (int i = 1; i < n; i++)
        if (out[i] > out[best])
            best = i;
    const int rows = n / bins > 0 ? n / bins : 1;
    const int idx = best / rows;
    /* "Unquantizing the softmax layer to continuous value", then 0.5·(1 − dec). */
    const double max = 1.0, min = -1.0;
    const double step = (max - min) / (double)bins;
    const double dec = min + step / 2.0 + idx * step;
    return (double)(float)(0.5 * (1.0 - dec));
}

double au_clnf_validate(const au_clnf_model *m, const float orientation[3], const uint8_t *gray,
                        int w, int h, size_t stride, const float *landmarks, void *scratch)
{
    const au_clnf_validator *val = m ? au_clnf_model_validator(m) : NULL;
    if (!val || !scratch)
        return 0.0;
    const au_validator_view *view =
        &val->views[au_clnf_validator_view_index(val, orientation)];
    const view_layout lay = view_layout_of(view);
    view_buffers b = view_buffers_of(scratch, lay);
    if (!au_clnf_validator_warp(view, gray, w, h, stride, landmarks, b.coeff, b.grid))
        return 0.0;
    au_clnf_validator_features(view, b.grid, b.features);
    int bins = 0;
    int n = au_clnf_validator_cnn(view, b.features, scratch, b.out, (int)lay.out, &bins);
    return au_clnf_validator_certainty(b.out, n, bins);
}
