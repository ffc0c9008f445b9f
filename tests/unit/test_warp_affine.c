/* Tests for math/warp_affine: OpenCV 4.6 warpAffine (INTER_LINEAR, constant border 0).
 * Expected values are derived by hand from the fixed-point rules documented in
 * warp_affine.h (OpenCV imgwarp.cpp), or from an independent double-precision bilinear. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "math/warp_affine.h"
#include "test_random.h"

/* State of the generator of the random test data (test_random.h). */
static uint32_t rng_state = 2463534242u;

static double rng_uniform(double lo, double hi)
{
    return lo + (hi - lo) * (test_xorshift32(&rng_state) / 4294967296.0);
}

static const float IDENTITY[6] = {1, 0, 0, 0, 1, 0};

/* --- weights ------------------------------------------------------------------------ */

static void test_weight_table(void)
{
    /* Every entry other than 0 is 32·(32−fy)(32−fx) … exactly and sums to 32768;
     * entry 0 is {32767, 0, 0, 1} (saturation + OpenCV's correction). */
    int all_ok = 1, sums_ok = 1;
    for (int idx = 1; idx < 1024; idx++) {
        int fy = idx / 32, fx = idx % 32;
        int16_t w[4];
        au_warp_bilinear_weights_q15(idx, w);
        int e[4] = {32 * (32 - fy) * (32 - fx), 32 * (32 - fy) * fx, 32 * fy * (32 - fx),
                    32 * fy * fx};
        for (int k = 0; k < 4; k++)
            if (w[k] != e[k])
                all_ok = 0;
        if (w[0] + w[1] + w[2] + w[3] != 32768)
            sums_ok = 0;
    }
    CHECK(all_ok);
    CHECK(sums_ok);
    int16_t w0[4];
    au_warp_bilinear_weights_q15(0, w0);
    CHECK(w0[0] == 32767 && w0[1] == 0 && w0[2] == 0 && w0[3] == 1);
    int16_t half[4];
    au_warp_bilinear_weights_q15(16 * 32 + 16, half);
    CHECK(half[0] == 8192 && half[1] == 8192 && half[2] == 8192 && half[3] == 8192);
}

/* --- 8-bit BGR -------------------------------------------------------------------- */

static void test_identity_u8(void)
{
    enum { W = 37, H = 23 };
    uint8_t src[H * W * 3], dst[H * W * 3];
    test_fill_random_u8(&rng_state, src, sizeof src);
    memset(dst, 0xAB, sizeof dst);
    au_warp_affine_u8c3(src, W, H, W * 3, IDENTITY, dst, W, H, W * 3);
    CHECK(memcmp(src, dst, sizeof src) == 0);

    /* Strided source and destination (row padding must be ignored and preserved). */
    enum { SS = W * 3 + 5, DS = W * 3 + 7 };
    uint8_t src2[H * SS], dst2[H * DS];
    memset(src2, 0, sizeof src2);
    memset(dst2, 0xCD, sizeof dst2);
    for (int y = 0; y < H; y++)
        memcpy(src2 + y * SS, src + y * W * 3, W * 3);
    au_warp_affine_u8c3(src2, W, H, SS, IDENTITY, dst2, W, H, DS);
    int ok = 1;
    for (int y = 0; y < H; y++) {
        if (memcmp(dst2 + y * DS, src + y * W * 3, W * 3) != 0)
            ok = 0;
        for (int k = W * 3; k < DS; k++)
            if (dst2[y * DS + k] != 0xCD)
                ok = 0;
    }
    CHECK(ok);
}

static void test_integer_translation_u8(void)
{
    enum { W = 20, H = 15, TX = 3, TY = -2 };
    uint8_t src[H * W * 3], dst[H * W * 3];
    test_fill_random_u8(&rng_state, src, sizeof src);
    const float m[6] = {1, 0, TX, 0, 1, TY};
    au_warp_affine_u8c3(src, W, H, W * 3, m, dst, W, H, W * 3);
    /* dst(x, y) = src(x − TX, y − TY), 0 where that is outside the source. */
    int ok = 1, zeros = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int sx = x - TX, sy = y - TY;
            for (int c = 0; c < 3; c++) {
                int e = (sx >= 0 && sx < W && sy >= 0 && sy < H) ? src[(sy * W + sx) * 3 + c]
                                                                 : 0;
                if (dst[(y * W + x) * 3 + c] != e)
                    ok = 0;
                zeros += e == 0 && !(sx >= 0 && sx < W && sy >= 0 && sy < H);
            }
        }
    CHECK(ok);
    CHECK(zeros == 3 * (TX * H + (-TY) * W - TX * (-TY))); /* the uncovered border strip */
}

static void test_half_pixel_u8(void)
{
    enum { W = 9, H = 7 };
    uint8_t src[H * W * 3], dst[H * W * 3];
    test_fill_random_u8(&rng_state, src, sizeof src);
    /* Forward shift by (+0.5, +0.25): the inverse map samples (x − 0.5, y − 0.25).
     * By hand: X0 = cvRound(−0.5·1024) + 16 = −496, X = (1024x − 496) >> 5 = 32x − 16,
     * so sx = x − 1, fx = 16; Y = (1024y − 256 + 16) >> 5 = 32y − 8, so sy = y − 1,
     * fy = 24. Weights 32·(32−fy)(32−fx) … = 4096, 4096, 12288, 12288.
     * dst = (4096·s(x−1,y−1) + 4096·s(x,y−1) + 12288·s(x−1,y) + 12288·s(x,y) + 16384) >> 15,
     * with 0 for neighbours outside the image. */
    const float m[6] = {1, 0, 0.5f, 0, 1, 0.25f};
    au_warp_affine_u8c3(src, W, H, W * 3, m, dst, W, H, W * 3);
    int ok = 1;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                int v[4];
                int nx[4] = {x - 1, x, x - 1, x}, ny[4] = {y - 1, y - 1, y, y};
                for (int k = 0; k < 4; k++)
                    v[k] = (nx[k] >= 0 && ny[k] >= 0) ? src[(ny[k] * W + nx[k]) * 3 + c] : 0;
                int e = (4096 * v[0] + 4096 * v[1] + 12288 * v[2] + 12288 * v[3] + 16384) >> 15;
                if (dst[(y * W + x) * 3 + c] != e)
                    ok = 0;
            }
    CHECK(ok);

    /* A pure half-pixel shift in x rounds ties up: (a + b + 1) >> 1 (weights 16384 each). */
    const uint8_t two[1 * 2 * 3] = {10, 0, 255, 13, 1, 254};
    uint8_t out[2 * 3];
    const float mx[6] = {1, 0, -0.5f, 0, 1, 0}; /* samples x + 0.5 */
    au_warp_affine_u8c3(two, 2, 1, 6, mx, out, 2, 1, 6);
    CHECK(out[0] == 12 && out[1] == 1 && out[2] == 255); /* (10+13+1)>>1, (0+1+1)>>1, … */
    /* x = 1 samples 1.5: neighbours (1,0) inside, (2,0) outside → (13·16384 + 16384) >> 15 */
    CHECK(out[3] == 7 && out[4] == 1 && out[5] == 127);
}

static void test_rotation_90_u8(void)
{
    enum { W = 5, H = 4 };
    uint8_t src[H * W * 3], dst[W * H * 3];
    test_fill_random_u8(&rng_state, src, sizeof src);
    /* Forward map (x, y) → (u, v) = (y, W−1−x): a 90° rotation; the output is H wide and W
     * tall and dst(u, v) = src(W−1−v, u) exactly (integer positions, weight entry 0). */
    const float m[6] = {0, 1, 0, -1, 0, (float)(W - 1)};
    au_warp_affine_u8c3(src, W, H, W * 3, m, dst, H, W, H * 3);
    int ok = 1;
    for (int v = 0; v < W; v++)
        for (int u = 0; u < H; u++)
            for (int c = 0; c < 3; c++)
                if (dst[(v * H + u) * 3 + c] != src[(u * W + (W - 1 - v)) * 3 + c])
                    ok = 0;
    CHECK(ok);
}

/* Independent model of the documented fixed-point rules, written straight from the
 * description in warp_affine.h (double inverse, cvRound half-to-even via rint, 1/32 px,
 * table weights, per-neighbour zero border). */
static int model_round(double v)
{
    return (int)rint(v);
}
static void model_warp_u8c3(const uint8_t *src, int sw, int sh, const float mf[6], uint8_t *dst,
                            int dw, int dh)
{
    double M[6];
    for (int i = 0; i < 6; i++)
        M[i] = mf[i];
    double D = M[0] * M[4] - M[1] * M[3];
    D = D != 0 ? 1. / D : 0;
    double A11 = M[4] * D, A22 = M[0] * D;
    M[0] = A11;
    M[1] *= -D;
    M[3] *= -D;
    M[4] = A22;
    double b1 = -M[0] * M[2] - M[1] * M[5], b2 = -M[3] * M[2] - M[4] * M[5];
    M[2] = b1;
    M[5] = b2;
    for (int y = 0; y < dh; y++)
        for (int x = 0; x < dw; x++) {
            long X = ((long)model_round((M[1] * y + M[2]) * 1024) + 16 +
                      model_round(M[0] * x * 1024));
            long Y = ((long)model_round((M[4] * y + M[5]) * 1024) + 16 +
                      model_round(M[3] * x * 1024));
            X = (long)floor(X / 32.0);
            Y = (long)floor(Y / 32.0);
            long sx = (long)floor(X / 32.0), sy = (long)floor(Y / 32.0);
            int fx = (int)(X - sx * 32), fy = (int)(Y - sy * 32);
            int16_t w[4];
            au_warp_bilinear_weights_q15(fy * 32 + fx, w);
            for (int c = 0; c < 3; c++) {
                long sum = 0;
                for (int k = 0; k < 4; k++) {
                    long nx = sx + (k & 1), ny = sy + (k >> 1);
                    int v = (nx >= 0 && nx < sw && ny >= 0 && ny < sh)
                                ? src[(ny * sw + nx) * 3 + c]
                                : 0;
                    sum += (long)v * w[k];
                }
                long r = (sum + 16384) >> 15;
                dst[(y * dw + x) * 3 + c] = (uint8_t)(r > 255 ? 255 : r);
            }
        }
}

static void test_against_model_u8(void)
{
    enum { SW = 50, SH = 40, DW = 64, DH = 48 };
    static uint8_t src[SH * SW * 3], dst[DH * DW * 3], ref[DH * DW * 3];
    int all_equal = 1;
    for (int trial = 0; trial < 40; trial++) {
        test_fill_random_u8(&rng_state, src, sizeof src);
        double s = rng_uniform(0.3, 2.5), a = rng_uniform(-3.2, 3.2);
        float m[6] = {(float)(s * cos(a)), (float)(-s * sin(a) * rng_uniform(0.7, 1.3)),
                      (float)rng_uniform(-40, 80), (float)(s * sin(a)),
                      (float)(s * cos(a) * rng_uniform(0.7, 1.3)), (float)rng_uniform(-40, 80)};
        au_warp_affine_u8c3(src, SW, SH, SW * 3, m, dst, DW, DH, DW * 3);
        model_warp_u8c3(src, SW, SH, m, ref, DW, DH);
        if (memcmp(dst, ref, sizeof dst) != 0)
            all_equal = 0;
    }
    CHECK(all_equal);
}

/* Smooth random image (sum of a few low-frequency waves), so that the 1/32-px
 * quantisation changes values by well under one grey level. */
static double smooth_value(const double *p, double x, double y, int c)
{
    double v = 128;
    for (int k = 0; k < 3; k++) {
        const double *q = p + (c * 3 + k) * 4;
        v += q[0] * sin(q[1] * x + q[2] * y + q[3]);
    }
    return v;
}

static void test_against_double_bilinear_u8(void)
{
    enum { SW = 80, SH = 60, DW = 70, DH = 70 };
    static uint8_t src[SH * SW * 3], dst[DH * DW * 3];
    double p[3 * 3 * 4];
    for (int i = 0; i < 36; i += 4) {
        p[i] = rng_uniform(10, 40);      /* amplitude: |gradient| ≤ Σ amp·freq ≲ 20/px */
        p[i + 1] = rng_uniform(-0.2, 0.2);
        p[i + 2] = rng_uniform(-0.2, 0.2);
        p[i + 3] = rng_uniform(0, 6.28);
    }
    for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++)
            for (int c = 0; c < 3; c++) {
                double v = floor(smooth_value(p, x, y, c) + 0.5);
                src[(y * SW + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    int max_diff = 0, compared = 0, outside_ok = 1;
    for (int trial = 0; trial < 10; trial++) {
        double s = rng_uniform(0.6, 1.6), a = rng_uniform(-3.14, 3.14);
        float m[6] = {(float)(s * cos(a)), (float)(-s * sin(a)), 0, (float)(s * sin(a)),
                      (float)(s * cos(a)), 0};
        /* Put the source centre at the destination centre. */
        m[2] = (float)(DW / 2.0 - (m[0] * SW / 2.0 + m[1] * SH / 2.0)) +
               (float)rng_uniform(-10, 10);
        m[5] = (float)(DH / 2.0 - (m[3] * SW / 2.0 + m[4] * SH / 2.0)) +
               (float)rng_uniform(-10, 10);
        au_warp_affine_u8c3(src, SW, SH, SW * 3, m, dst, DW, DH, DW * 3);
        double det = (double)m[0] * m[4] - (double)m[1] * m[3];
        for (int y = 0; y < DH; y++)
            for (int x = 0; x < DW; x++) {
                double dx = x - (double)m[2], dy = y - (double)m[5];
                double xs = (m[4] * dx - m[1] * dy) / det, ys = (-m[3] * dx + m[0] * dy) / det;
                if (xs < -1.1 || ys < -1.1 || xs > SW + 0.1 || ys > SH + 0.1) {
                    for (int c = 0; c < 3; c++)
                        if (dst[(y * DW + x) * 3 + c] != 0)
                            outside_ok = 0;
                    continue;
                }
                if (xs < 0.1 || ys < 0.1 || xs > SW - 1.1 || ys > SH - 1.1)
                    continue; /* border transition: too steep for a ≤1 comparison */
                int x0 = (int)floor(xs), y0 = (int)floor(ys);
                double ax = xs - x0, ay = ys - y0;
                for (int c = 0; c < 3; c++) {
                    const uint8_t *s0 = src + (y0 * SW + x0) * 3 + c;
                    double v = (1 - ay) * ((1 - ax) * s0[0] + ax * s0[3]) +
                               ay * ((1 - ax) * s0[SW * 3] + ax * s0[SW * 3 + 3]);
                    int d = abs((int)floor(v + 0.5) - dst[(y * DW + x) * 3 + c]);
                    if (d > max_diff)
                        max_diff = d;
                    compared++;
                }
            }
    }
    printf("  double-precision bilinear: %d samples, max difference %d grey level(s)\n",
           compared, max_diff);
    CHECK(compared > 10000);
    CHECK(max_diff <= 1);
    CHECK(outside_ok);
}

static void test_degenerate_inputs_u8(void)
{
    /* A singular matrix maps everything to the source origin (D = 0 → inverse = 0, so the
     * sample is at (0, 0) for every pixel): OpenCV then copies src(0, 0) everywhere. */
    uint8_t src[2 * 2 * 3] = {7, 8, 9, 1, 2, 3, 4, 5, 6, 10, 11, 12};
    uint8_t dst[3 * 3 * 3];
    const float zero[6] = {0, 0, 5, 0, 0, 5};
    au_warp_affine_u8c3(src, 2, 2, 6, zero, dst, 3, 3, 9);
    int ok = 1;
    for (int i = 0; i < 9; i++)
        ok &= dst[i * 3] == 7 && dst[i * 3 + 1] == 8 && dst[i * 3 + 2] == 9;
    CHECK(ok);
    /* A 1x1 source: every sample goes through the border path. */
    uint8_t one[3] = {200, 100, 50}, out1[3];
    au_warp_affine_u8c3(one, 1, 1, 3, IDENTITY, out1, 1, 1, 3);
    CHECK(out1[0] == 200 && out1[1] == 100 && out1[2] == 50);
    /* A huge translation: everything outside, all zeros, no crash. */
    const float far[6] = {1, 0, 1e9f, 0, 1, -1e9f};
    memset(dst, 1, sizeof dst);
    au_warp_affine_u8c3(src, 2, 2, 6, far, dst, 3, 3, 9);
    int zeros = 1;
    for (size_t i = 0; i < sizeof dst; i++)
        zeros &= dst[i] == 0;
    CHECK(zeros);
}

/* --- float, single channel ---------------------------------------------------------- */

static void test_float(void)
{
    enum { W = 11, H = 8 };
    float src[H * W], dst[H * W];
    for (int i = 0; i < H * W; i++)
        src[i] = (float)rng_uniform(-100, 100);
    au_warp_affine_f32c1(src, W, H, W, IDENTITY, 0, dst, W, H, W);
    CHECK(memcmp(src, dst, sizeof src) == 0);
    au_warp_affine_f32c1(src, W, H, W, IDENTITY, 1, dst, W, H, W);
    CHECK(memcmp(src, dst, sizeof src) == 0);

    /* Inverse map (x + 0.5, y + 0.25): weights (0.75·0.5, 0.75·0.5, 0.25·0.5, 0.25·0.5),
     * summed in float left to right; the last column/row see zeros outside. */
    const float inv[6] = {1, 0, 0.5f, 0, 1, 0.25f};
    au_warp_affine_f32c1(src, W, H, W, inv, 1, dst, W, H, W);
    int ok = 1;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float v0 = src[y * W + x];
            float v1 = x + 1 < W ? src[y * W + x + 1] : 0.f;
            float v2 = y + 1 < H ? src[(y + 1) * W + x] : 0.f;
            float v3 = x + 1 < W && y + 1 < H ? src[(y + 1) * W + x + 1] : 0.f;
            float e = v0 * 0.375f;
            e += v1 * 0.375f;
            e += v2 * 0.125f;
            e += v3 * 0.125f;
            if (dst[y * W + x] != e)
                ok = 0;
        }
    CHECK(ok);

    /* The same forward matrix without inverse_map samples (x − 0.5, y − 0.25). */
    au_warp_affine_f32c1(src, W, H, W, inv, 0, dst, W, H, W);
    int ok2 = 1;
    for (int y = 1; y < H; y++)
        for (int x = 1; x < W; x++) {
            float e = src[(y - 1) * W + x - 1] * 0.125f;
            e += src[(y - 1) * W + x] * 0.125f;
            e += src[y * W + x - 1] * 0.375f;
            e += src[y * W + x] * 0.375f;
            if (dst[y * W + x] != e)
                ok2 = 0;
        }
    CHECK(ok2);

    /* Strided rows: stride counts floats. */
    enum { SS = W + 3 };
    float src2[H * SS], dst2[H * SS];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < SS; x++)
            src2[y * SS + x] = x < W ? src[y * W + x] : 1e30f;
    au_warp_affine_f32c1(src2, W, H, SS, inv, 1, dst2, W, H, SS);
    au_warp_affine_f32c1(src, W, H, W, inv, 1, dst, W, H, W);
    int ok3 = 1;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            ok3 &= dst2[y * SS + x] == dst[y * W + x];
    CHECK(ok3);
}

/* The CCNF AOI use (CLNF_SPEC §5.3): inverse map [[a, −b, tx], [b, a, ty]] on a float image;
 * compare with the documented rule evaluated independently here. */
static void test_float_aoi_model(void)
{
    enum { W = 60, H = 50, A = 21 };
    static float src[H * W];
    for (int i = 0; i < H * W; i++)
        src[i] = (float)rng_uniform(0, 255);
    int ok = 1;
    for (int trial = 0; trial < 50; trial++) {
        float a = (float)rng_uniform(0.5, 6), b = (float)rng_uniform(-1, 1);
        float xi = (float)rng_uniform(-5, W + 5), yi = (float)rng_uniform(-5, H + 5);
        float half = (A - 1) / 2.0f;
        float m[6] = {a, -b, xi - a * half + b * half, b, a, yi - a * half - b * half};
        float dst[A * A];
        au_warp_affine_f32c1(src, W, H, W, m, 1, dst, A, A, A);
        for (int v = 0; v < A; v++)
            for (int u = 0; u < A; u++) {
                int X = (int)rint(((double)m[1] * v + m[2]) * 1024) + 16 +
                        (int)rint((double)m[0] * u * 1024);
                int Y = (int)rint(((double)m[4] * v + m[5]) * 1024) + 16 +
                        (int)rint((double)m[3] * u * 1024);
                X = (int)floor(X / 32.0);
                Y = (int)floor(Y / 32.0);
                int sx = (int)floor(X / 32.0), sy = (int)floor(Y / 32.0);
                float fx = (float)(X - sx * 32) / 32.f, fy = (float)(Y - sy * 32) / 32.f;
                float w[4] = {(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx};
                float val = 0.f;
                for (int k = 0; k < 4; k++) {
                    int nx = sx + (k & 1), ny = sy + (k >> 1);
                    float s = (nx >= 0 && nx < W && ny >= 0 && ny < H) ? src[ny * W + nx] : 0.f;
                    val = k == 0 ? s * w[0] : val + s * w[k];
                }
                if (dst[v * A + u] != val)
                    ok = 0;
            }
    }
    CHECK(ok);
}

int main(void)
{
    test_weight_table();
    test_identity_u8();
    test_integer_translation_u8();
    test_half_pixel_u8();
    test_rotation_90_u8();
    test_against_model_u8();
    test_against_double_bilinear_u8();
    test_degenerate_inputs_u8();
    test_float();
    test_float_aoi_model();
    return check_report("test_warp_affine");
}
