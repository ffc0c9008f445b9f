/* OpenCV 4.6 cv::resize(INTER_LINEAR) for 8-bit and float 3-channel images; see resize.h for
 * the numerics and the OpenCV functions they come from.
 *
 * OpenCV runs a horizontal pass into row buffers and then a vertical pass. Here every output
 * value recomputes its two horizontal values directly: the arithmetic (and so the result) is
 * the same, and no row buffer is needed. Column coefficients are computed for tiles of
 * TILE output columns on the stack. */
#include "math/resize.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* INTER_RESIZE_COEF_BITS = 11 (imgproc/src/resize.cpp): 8-bit weights are in 1/2048. */
#define COEF_ONE 2048
#define CN 3
#define TILE 256

/* One output column: the first source column read, whether only that column is read (right
 * border: HResizeLinear's `dx >= xmax` branch), and its weights in float and fixed point. */
typedef struct xcoef {
    int sx;
    int single;
    float a0, a1;
    int ia0, ia1;
} xcoef;

/* One output row: the two source rows read (already clamped) and the weights. */
typedef struct ycoef {
    int r0, r1;
    float b0, b1;
    int ib0, ib1;
} ycoef;

/* saturate_cast<short>(float): cvRound (round half to even, SSE cvtss2si) then clamping. */
static int saturate_short(float v)
{
    if (!(v > -32768.5f))
        return v != v ? 0 : -32768;
    if (v >= 32767.5f)
        return 32767;
    return (int)lrintf(v);
}

/* cvRound(double) saturated to int (saturate_cast<int>(double)). */
static int saturate_int(double v)
{
    if (v != v)
        return 0;
    if (v <= (double)INT_MIN)
        return INT_MIN;
    if (v >= (double)INT_MAX)
        return INT_MAX;
    return (int)lrint(v);
}

/* cvFloor(float) as used by hal::resize on the float coordinate. */
static int floor_to_int(float v)
{
    int i = (int)v;
    return i - (i > v);
}

/* hal::resize: float source coordinate of destination index d, split into integer part and
 * fraction. */
static float source_coordinate(int d, double scale, int *s)
{
    float f = (float)((d + 0.5) * scale - 0.5);
    *s = floor_to_int(f);
    return f - (float)*s;
}

static void fixed_weights(float f, int *w0, int *w1)
{
    *w0 = saturate_short((1.f - f) * COEF_ONE);
    *w1 = saturate_short(f * COEF_ONE);
}

/* hal::resize's xofs/alpha loop for output columns dx0 .. dx0+n-1. */
static void column_coefficients(int dx0, int n, double scale_x, int sw, xcoef *c)
{
    for (int i = 0; i < n; i++) {
        int sx;
        float fx = source_coordinate(dx0 + i, scale_x, &sx);
        c[i].single = 0;
        if (sx < 0) {
            fx = 0.f;
            sx = 0;
        }
        if (sx >= sw - 1) { /* `sx + ksize2 >= src_width`: xmax; then sx = sw-1, fx = 0 */
            fx = 0.f;
            sx = sw - 1;
            c[i].single = 1;
        }
        c[i].sx = sx;
        c[i].a0 = 1.f - fx;
        c[i].a1 = fx;
        fixed_weights(fx, &c[i].ia0, &c[i].ia1);
    }
}

static int clamp_row(int y, int h)
{
    return y < 0 ? 0 : (y >= h ? h - 1 : y);
}

/* hal::resize's yofs/beta for one output row plus resizeGeneric_Invoker's row clip. */
static ycoef row_coefficients(int dy, double scale_y, int sh)
{
    ycoef r;
    int sy;
    float fy = source_coordinate(dy, scale_y, &sy);
    r.r0 = clamp_row(sy, sh);
    r.r1 = clamp_row(sy + 1, sh);
    r.b0 = 1.f - fy;
    r.b1 = fy;
    fixed_weights(fy, &r.ib0, &r.ib1);
    return r;
}

/* hal::resize: INTER_LINEAR becomes INTER_AREA (fast) when both scales are exactly 2. */
static int is_exact_half(double inv_scale_x, double inv_scale_y)
{
    double scale_x = 1. / inv_scale_x, scale_y = 1. / inv_scale_y;
    int iscale_x = saturate_int(scale_x), iscale_y = saturate_int(scale_y);
    return fabs(scale_x - iscale_x) < DBL_EPSILON && fabs(scale_y - iscale_y) < DBL_EPSILON &&
           iscale_x == 2 && iscale_y == 2;
}

/* --- 8-bit ------------------------------------------------------------------------------ */

/* A window of an 8-bit BGR image, black outside the image. */
typedef struct u8_window {
    const uint8_t *img;
    int iw, ih;
    size_t istride;
    int wx, wy; /* window origin in image pixels */
} u8_window;

/* Row y of the window, or NULL when it lies outside the image (all black). */
static const uint8_t *window_row(const u8_window *w, int y)
{
    int iy = w->wy + y;
    return (iy >= 0 && iy < w->ih) ? w->img + (size_t)iy * w->istride : NULL;
}

/* Channel c of window column x in a row from window_row. */
static int window_px(const u8_window *w, const uint8_t *row, int x, int c)
{
    int ix = w->wx + x;
    return (row && ix >= 0 && ix < w->iw) ? row[(size_t)ix * CN + c] : 0;
}

/* Where the two columns of an output column lie in the image: byte offsets of their pixels
 * in a row, or -1 for a column outside the image (black). */
typedef struct xsource {
    long off0, off1;
} xsource;

static void column_sources(const u8_window *w, const xcoef *c, int n, xsource *xs)
{
    for (int i = 0; i < n; i++) {
        int ix0 = w->wx + c[i].sx, ix1 = ix0 + 1;
        xs[i].off0 = (ix0 >= 0 && ix0 < w->iw) ? (long)ix0 * CN : -1;
        xs[i].off1 = (!c[i].single && ix1 >= 0 && ix1 < w->iw) ? (long)ix1 * CN : -1;
    }
}

/* HResizeLinear<uchar, int, short, 2048>: one horizontal value of a window row (NULL: the row
 * lies outside the image). */
static int hresize_u8(const uint8_t *row, const xcoef *c, const xsource *xs, int ch)
{
    if (!row)
        return 0;
    int v0 = xs->off0 >= 0 ? row[xs->off0 + ch] : 0;
    if (c->single)
        return v0 * COEF_ONE;
    int v1 = xs->off1 >= 0 ? row[xs->off1 + ch] : 0;
    return v0 * c->ia0 + v1 * c->ia1;
}

/* VResizeLinearVec_32s8u: v_mul_hi(pack(h >> 4), b) per row, sum, v_rshr_pack_u<2>. */
static uint8_t vresize_u8(int h0, int h1, int b0, int b1)
{
    int v = (((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16) + 2) >> 2;
    return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

static void resize_u8_bilinear(const u8_window *w, int sw, int sh, uint8_t *dst, int dw, int dh,
                               size_t dstride)
{
    double scale_x = 1. / ((double)dw / sw), scale_y = 1. / ((double)dh / sh);
    xcoef xc[TILE];
    xsource xs[TILE];
    for (int dx0 = 0; dx0 < dw; dx0 += TILE) {
        int n = dw - dx0 < TILE ? dw - dx0 : TILE;
        column_coefficients(dx0, n, scale_x, sw, xc);
        column_sources(w, xc, n, xs);
        for (int dy = 0; dy < dh; dy++) {
            ycoef yc = row_coefficients(dy, scale_y, sh);
            const uint8_t *s0 = window_row(w, yc.r0), *s1 = window_row(w, yc.r1);
            uint8_t *d = dst + (size_t)dy * dstride + (size_t)dx0 * CN;
            for (int i = 0; i < n; i++)
                for (int ch = 0; ch < CN; ch++)
                    d[i * CN + ch] = vresize_u8(hresize_u8(s0, &xc[i], &xs[i], ch),
                                                hresize_u8(s1, &xc[i], &xs[i], ch), yc.ib0,
                                                yc.ib1);
        }
    }
}

/* resizeAreaFast_Invoker for scale 2: ResizeAreaFastVec (sum + 2) >> 2 on whole blocks,
 * cvRound((float)sum / count) on blocks cut by the edge. */
static void resize_u8_half(const u8_window *w, int sw, int sh, uint8_t *dst, int dw, int dh,
                           size_t dstride)
{
    for (int dy = 0; dy < dh; dy++) {
        int sy0 = 2 * dy;
        uint8_t *d = dst + (size_t)dy * dstride;
        if (sy0 >= sh) {
            memset(d, 0, (size_t)dw * CN);
            continue;
        }
        const uint8_t *r0 = window_row(w, sy0);
        const uint8_t *r1 = sy0 + 1 < sh ? window_row(w, sy0 + 1) : NULL;
        for (int dx = 0; dx < dw; dx++) {
            int sx0 = 2 * dx;
            int whole = sy0 + 2 <= sh && sx0 + 2 <= sw;
            for (int ch = 0; ch < CN; ch++) {
                if (whole) {
                    int sum = window_px(w, r0, sx0, ch) + window_px(w, r0, sx0 + 1, ch) +
                              window_px(w, r1, sx0, ch) + window_px(w, r1, sx0 + 1, ch);
                    d[dx * CN + ch] = (uint8_t)((sum + 2) >> 2);
                    continue;
                }
                int sum = 0, count = 0;
                for (int sy = sy0; sy < sy0 + 2 && sy < sh; sy++)
                    for (int sx = sx0; sx < sx0 + 2 && sx < sw; sx++) {
                        sum += window_px(w, window_row(w, sy), sx, ch);
                        count++;
                    }
                int v = count ? (int)lrintf((float)sum / (float)count) : 0;
                d[dx * CN + ch] = (uint8_t)(v > 255 ? 255 : v);
            }
        }
    }
}

static void resize_u8_window(const u8_window *w, int sw, int sh, uint8_t *dst, int dw, int dh,
                             size_t dstride)
{
    if (sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0)
        return;
    if (dw == sw && dh == sh) { /* cv::resize copies when the size does not change */
        for (int y = 0; y < dh; y++) {
            const uint8_t *row = window_row(w, y);
            uint8_t *d = dst + (size_t)y * dstride;
            for (int x = 0; x < dw; x++)
                for (int ch = 0; ch < CN; ch++)
                    d[x * CN + ch] = (uint8_t)window_px(w, row, x, ch);
        }
        return;
    }
    if (is_exact_half((double)dw / sw, (double)dh / sh))
        resize_u8_half(w, sw, sh, dst, dw, dh, dstride);
    else
        resize_u8_bilinear(w, sw, sh, dst, dw, dh, dstride);
}

void au_resize_bilinear_u8c3(const uint8_t *src, int sw, int sh, size_t sstride, uint8_t *dst,
                             int dw, int dh, size_t dstride)
{
    u8_window w = {src, sw, sh, sstride, 0, 0};
    resize_u8_window(&w, sw, sh, dst, dw, dh, dstride);
}

void au_resize_bilinear_u8c3_window(const uint8_t *img, int iw, int ih, size_t istride, int wx,
                                    int wy, int ww, int wh, uint8_t *dst, int dw, int dh,
                                    size_t dstride)
{
    u8_window w = {img, iw, ih, istride, wx, wy};
    resize_u8_window(&w, ww, wh, dst, dw, dh, dstride);
}

/* --- float ------------------------------------------------------------------------------ */

int au_resize_scaled_size(int n, double scale)
{
    return saturate_int((double)n * scale);
}

/* A float 3-channel source, given either as floats or as bytes converted on the fly. */
typedef struct f32_source {
    const float *f;
    const uint8_t *u;
    size_t stride; /* floats for f, bytes for u */
} f32_source;

static float fpx(const f32_source *s, int x, int y, int c)
{
    size_t i = (size_t)x * CN + (size_t)c;
    return s->f ? s->f[(size_t)y * s->stride + i] : (float)s->u[(size_t)y * s->stride + i];
}

/* HResizeLinear<float, float, float, 1>: S[sx]·a0 + S[sx+1]·a1, or S[sx]·1. */
static float hresize_f32(const f32_source *s, int y, const xcoef *c, int ch)
{
    float v0 = fpx(s, c->sx, y, ch);
    if (c->single)
        return v0;
    float p0 = v0 * c->a0, p1 = fpx(s, c->sx + 1, y, ch) * c->a1;
    return p0 + p1;
}

static void resize_f32_bilinear(const f32_source *s, int sw, int sh, double scale, float *dst,
                                au_f32_layout L, int dw, int dh)
{
    double scale_x = 1. / scale, scale_y = 1. / scale;
    xcoef xc[TILE];
    for (int dx0 = 0; dx0 < dw; dx0 += TILE) {
        int n = dw - dx0 < TILE ? dw - dx0 : TILE;
        column_coefficients(dx0, n, scale_x, sw, xc);
        for (int dy = 0; dy < dh; dy++) {
            ycoef yc = row_coefficients(dy, scale_y, sh);
            for (int i = 0; i < n; i++) {
                float *d = dst + (size_t)dy * L.row + (size_t)(dx0 + i) * L.pixel;
                for (int ch = 0; ch < CN; ch++) {
                    /* VResizeLinearVec_32f: v_muladd(S0, b0, S1·b1), no FMA */
                    float p0 = hresize_f32(s, yc.r0, &xc[i], ch) * yc.b0;
                    float p1 = hresize_f32(s, yc.r1, &xc[i], ch) * yc.b1;
                    d[(size_t)ch * L.channel] = p0 + p1;
                }
            }
        }
    }
}

/* resizeAreaFast_Invoker<float> for scale 2 and 3 channels (its scalar loop: the SIMD fast
 * mode of ResizeAreaFastVec_SIMD_32f covers 1 and 4 channels only). */
static void resize_f32_half(const f32_source *s, int sw, int sh, float *dst, au_f32_layout L,
                            int dw, int dh)
{
    for (int dy = 0; dy < dh; dy++) {
        int sy0 = 2 * dy;
        for (int dx = 0; dx < dw; dx++) {
            int sx0 = 2 * dx;
            float *d = dst + (size_t)dy * L.row + (size_t)dx * L.pixel;
            for (int ch = 0; ch < CN; ch++) {
                float v;
                if (sy0 >= sh) {
                    v = 0.f;
                } else if (sy0 + 2 <= sh && sx0 + 2 <= sw) {
                    float sum = fpx(s, sx0, sy0, ch) + fpx(s, sx0 + 1, sy0, ch);
                    sum += fpx(s, sx0, sy0 + 1, ch);
                    sum += fpx(s, sx0 + 1, sy0 + 1, ch);
                    v = sum * 0.25f;
                } else {
                    float sum = 0.f;
                    int count = 0;
                    for (int sy = sy0; sy < sy0 + 2 && sy < sh; sy++)
                        for (int sx = sx0; sx < sx0 + 2 && sx < sw; sx++) {
                            sum += fpx(s, sx, sy, ch);
                            count++;
                        }
                    v = count ? sum / (float)count : 0.f;
                }
                d[(size_t)ch * L.channel] = v;
            }
        }
    }
}

static void resize_f32_scale(const f32_source *s, int sw, int sh, double scale, float *dst,
                             au_f32_layout L)
{
    if (sw <= 0 || sh <= 0 || !(scale > 0))
        return;
    int dw = au_resize_scaled_size(sw, scale), dh = au_resize_scaled_size(sh, scale);
    if (dw <= 0 || dh <= 0)
        return;
    if (dw == sw && dh == sh) { /* cv::resize copies when the size does not change */
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++)
                for (int ch = 0; ch < CN; ch++)
                    dst[(size_t)y * L.row + (size_t)x * L.pixel + (size_t)ch * L.channel] =
                        fpx(s, x, y, ch);
        return;
    }
    if (is_exact_half(scale, scale))
        resize_f32_half(s, sw, sh, dst, L, dw, dh);
    else
        resize_f32_bilinear(s, sw, sh, scale, dst, L, dw, dh);
}

void au_resize_bilinear_f32c3_scale(const float *src, int sw, int sh, size_t sstride,
                                    double scale, float *dst, au_f32_layout layout)
{
    f32_source s = {src, NULL, sstride};
    resize_f32_scale(&s, sw, sh, scale, dst, layout);
}

void au_resize_bilinear_u8c3_to_f32_scale(const uint8_t *src, int sw, int sh, size_t sstride,
                                          double scale, float *dst, au_f32_layout layout)
{
    f32_source s = {NULL, src, sstride};
    resize_f32_scale(&s, sw, sh, scale, dst, layout);
}
