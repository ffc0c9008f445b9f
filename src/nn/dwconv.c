#include "nn/dwconv.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define AU_NN_DWCONV_AVX512 1
#include <immintrin.h>
#endif

size_t au_nn_dwconv3x3_padded_channels(size_t c)
{
    return (c + 15) / 16 * 16;
}

#ifdef AU_NN_DWCONV_AVX512

int au_nn_dwconv3x3_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

/* The 9 taps of one 16-channel block, in registers: (ky, kx) = (k / 3, k % 3). Passed by
 * value so the compiler keeps them in zmm registers after inlining (an array would live on
 * the stack and cost a load per multiply-add). */
typedef struct taps {
    __m512 w0, w1, w2, w3, w4, w5, w6, w7, w8, bias;
    __mmask16 m; /* channels of this block that exist */
} taps;

/* One output pixel whose taps are all inside the input; p0, p1, p2 point at the leftmost
 * tap of the three input rows. Two accumulators halve the dependency chain. */
__attribute__((target("avx512f"))) static inline __m512 interior_pixel(const float *p0, const float *p1,
                                                                      const float *p2, size_t c, taps t)
{
    __m512 a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t.m, p0), t.w0, t.bias);
    __m512 d = _mm512_mul_ps(_mm512_maskz_loadu_ps(t.m, p0 + c), t.w1);
    a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t.m, p0 + 2 * c), t.w2, a);
    d = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t.m, p1), t.w3, d);
    a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t.m, p1 + c), t.w4, a);
    d = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t.m, p1 + 2 * c), t.w5, d);
    a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t.m, p2), t.w6, a);
    d = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t.m, p2 + c), t.w7, d);
    a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t.m, p2 + 2 * c), t.w8, a);
    return _mm512_add_ps(a, d);
}

/* One output pixel at the image border: taps outside the input are skipped (zero padding). */
__attribute__((target("avx512f"))) static __m512 border_pixel(const float *const rows[3], long ix0, size_t w,
                                                              size_t c, taps t)
{
    const __m512 wv[9] = {t.w0, t.w1, t.w2, t.w3, t.w4, t.w5, t.w6, t.w7, t.w8};
    __m512 acc = t.bias;
    for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++) {
            long ix = ix0 + kx;
            if (ix < 0 || ix >= (long)w)
                continue;
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t.m, rows[ky] + (size_t)ix * c), wv[3 * ky + kx], acc);
        }
    return acc;
}

/* One output pixel anywhere. */
__attribute__((target("avx512f"))) static inline __m512 any_pixel(const float *const rows[3], long ix0, size_t w,
                                                                 size_t c, taps t)
{
    if (ix0 < 0 || ix0 + 2 >= (long)w)
        return border_pixel(rows, ix0, w, c, t);
    const size_t at = (size_t)ix0 * c;
    return interior_pixel(rows[0] + at, rows[1] + at, rows[2] + at, c, t);
}

__attribute__((target("avx512f"))) static taps load_taps(const au_nn_dwconv3x3 *p, size_t c0)
{
    const size_t cp = au_nn_dwconv3x3_padded_channels(p->c);
    const float *w = p->weights + c0;
    taps t;
    t.w0 = _mm512_loadu_ps(w);
    t.w1 = _mm512_loadu_ps(w + cp);
    t.w2 = _mm512_loadu_ps(w + 2 * cp);
    t.w3 = _mm512_loadu_ps(w + 3 * cp);
    t.w4 = _mm512_loadu_ps(w + 4 * cp);
    t.w5 = _mm512_loadu_ps(w + 5 * cp);
    t.w6 = _mm512_loadu_ps(w + 6 * cp);
    t.w7 = _mm512_loadu_ps(w + 7 * cp);
    t.w8 = _mm512_loadu_ps(w + 8 * cp);
    t.bias = _mm512_loadu_ps(p->bias + c0);
    t.m = p->c - c0 >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (p->c - c0)) - 1u);
    return t;
}

/* The three input rows (or the zero row) under output row oy of image `img`. */
static void input_rows(const au_nn_dwconv3x3 *p, const float *img, size_t oy, const float *rows[3])
{
    for (int ky = 0; ky < 3; ky++) {
        long iy = (long)(oy * p->stride) - (long)p->pad_top + ky;
        rows[ky] = iy < 0 || iy >= (long)p->h ? p->zero : img + (size_t)iy * p->w * p->c;
    }
}

/* The variant with a fused 2x2 max pooling: each pooled pixel is the max of 4 clamped
 * convolution outputs, which are never stored. */
__attribute__((target("avx512f"))) static void run_pooled(const au_nn_dwconv3x3 *p, const float *in, float *out)
{
    const size_t c = p->c, s = p->stride, w = p->w;
    const size_t ph = p->out_h / 2, pw = p->out_w / 2;
    const __m512 vlo = _mm512_set1_ps(p->lo), vhi = _mm512_set1_ps(p->hi);
    for (size_t b = 0; b < p->n; b++) {
        const float *img = in + b * p->h * w * c;
        for (size_t py = 0; py < ph; py++) {
            const float *top[3], *bottom[3];
            input_rows(p, img, 2 * py, top);
            input_rows(p, img, 2 * py + 1, bottom);
            float *orow = out + (b * ph + py) * pw * c;
            for (size_t c0 = 0; c0 < c; c0 += 16) {
                const taps t = load_taps(p, c0);
                const float *const r[3] = {top[0] + c0, top[1] + c0, top[2] + c0};
                const float *const u[3] = {bottom[0] + c0, bottom[1] + c0, bottom[2] + c0};
                for (size_t px = 0; px < pw; px++) {
                    const long x0 = (long)(2 * px * s) - (long)p->pad_left, x1 = x0 + (long)s;
                    __m512 a, d;
                    if (x0 >= 0 && x1 + 2 < (long)w) {
                        const size_t a0 = (size_t)x0 * c, a1 = (size_t)x1 * c;
                        a = _mm512_max_ps(interior_pixel(r[0] + a0, r[1] + a0, r[2] + a0, c, t),
                                          interior_pixel(r[0] + a1, r[1] + a1, r[2] + a1, c, t));
                        d = _mm512_max_ps(interior_pixel(u[0] + a0, u[1] + a0, u[2] + a0, c, t),
                                          interior_pixel(u[0] + a1, u[1] + a1, u[2] + a1, c, t));
                    } else {
                        a = _mm512_max_ps(any_pixel(r, x0, w, c, t), any_pixel(r, x1, w, c, t));
                        d = _mm512_max_ps(any_pixel(u, x0, w, c, t), any_pixel(u, x1, w, c, t));
                    }
                    a = _mm512_min_ps(_mm512_max_ps(_mm512_max_ps(a, d), vlo), vhi);
                    _mm512_mask_storeu_ps(orow + px * c + c0, t.m, a);
                }
            }
        }
    }
}

__attribute__((target("avx512f"))) void au_nn_dwconv3x3_run(const au_nn_dwconv3x3 *p, const float *in, float *out)
{
    if (p->pool) {
        run_pooled(p, in, out);
        return;
    }
    const size_t c = p->c, s = p->stride, w = p->w;
    const __m512 vlo = _mm512_set1_ps(p->lo), vhi = _mm512_set1_ps(p->hi);
    /* Output columns whose 3 taps are all inside the input: ix0 = ox*s - pad_left >= 0 and
     * ix0 + 2 <= w - 1. */
    const size_t first = p->pad_left ? 1 : 0;
    size_t last = w >= 3 ? (w - 3 + p->pad_left) / s + 1 : 0;
    if (last > p->out_w)
        last = p->out_w;
    if (last < first)
        last = first;
    for (size_t b = 0; b < p->n; b++) {
        const float *img = in + b * p->h * w * c;
        for (size_t oy = 0; oy < p->out_h; oy++) {
            const float *rows[3];
            input_rows(p, img, oy, rows);
            float *orow = out + (b * p->out_h + oy) * p->out_w * c;
            for (size_t c0 = 0; c0 < c; c0 += 16) {
                const taps t = load_taps(p, c0);
                const float *const r[3] = {rows[0] + c0, rows[1] + c0, rows[2] + c0};
                size_t ox = 0;
                for (; ox < first; ox++) {
                    __m512 a = border_pixel(r, (long)(ox * s) - (long)p->pad_left, w, c, t);
                    _mm512_mask_storeu_ps(orow + ox * c + c0, t.m, _mm512_min_ps(_mm512_max_ps(a, vlo), vhi));
                }
                const size_t step = c * s, at = (ox * s - p->pad_left) * c;
                const float *p0 = r[0] + at, *p1 = r[1] + at, *p2 = r[2] + at;
                float *o = orow + ox * c + c0;
                for (; ox < last; ox++, p0 += step, p1 += step, p2 += step, o += c)
                    _mm512_mask_storeu_ps(o, t.m, _mm512_min_ps(_mm512_max_ps(interior_pixel(p0, p1, p2, c, t), vlo), vhi));
                for (; ox < p->out_w; ox++) {
                    __m512 a = border_pixel(r, (long)(ox * s) - (long)p->pad_left, w, c, t);
                    _mm512_mask_storeu_ps(orow + ox * c + c0, t.m, _mm512_min_ps(_mm512_max_ps(a, vlo), vhi));
                }
            }
        }
    }
}

#else /* no AVX-512 kernel in this build */

int au_nn_dwconv3x3_available(void)
{
    return 0;
}

void au_nn_dwconv3x3_run(const au_nn_dwconv3x3 *p, const float *in, float *out)
{
    (void)p;
    (void)in;
    (void)out;
}

#endif
