/* Tests for math/resize (OpenCV 4.6 cv::resize INTER_LINEAR). Expected values come from an
 * independent double-precision bilinear with half-pixel centres and edge clamping (OpenCV's
 * fixed point stays within 1 level of it, its float path within float rounding), from the 2x2
 * averages of the INTER_AREA switch written out by hand, and from consistency between the
 * entry points. Bit-exactness against OpenCV itself is tested on real data in
 * test_pfld_io.c (8-bit) and test_retinaface_post.c (float). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "math/resize.h"
#include "test_random.h"

/* State of the generator of the random test images (test_random.h). */
static uint32_t rng_state = 2463534242u;

/* Bilinear sample of channel c at (x, y) of an interleaved 3-channel image, coordinates
 * clamped to the image (replicated border), in double. */
static double bilinear_u8(const uint8_t *img, int w, int h, int c, double x, double y)
{
    x = fmin(fmax(x, 0.0), w - 1.0);
    y = fmin(fmax(y, 0.0), h - 1.0);
    int x0 = (int)floor(x), y0 = (int)floor(y);
    int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    double v00 = img[((size_t)y0 * w + x0) * 3 + c], v01 = img[((size_t)y0 * w + x1) * 3 + c];
    double v10 = img[((size_t)y1 * w + x0) * 3 + c], v11 = img[((size_t)y1 * w + x1) * 3 + c];
    return (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
}

static void test_scaled_size(void)
{
    CHECK(au_resize_scaled_size(1366, 0.3125) == 427); /* 426.875, README sample2 */
    CHECK(au_resize_scaled_size(2048, 0.3125) == 640);
    CHECK(au_resize_scaled_size(1942, 640.0 / 1944) == 639); /* 639.34, README sample6 */
    CHECK(au_resize_scaled_size(490, 640.0 / 490) == 640);
    CHECK(au_resize_scaled_size(1281, 0.5) == 640); /* 640.5: half to even */
    CHECK(au_resize_scaled_size(1283, 0.5) == 642); /* 641.5 */
}

/* 8-bit resize against the double model: within one level, for down- and up-scales. */
static void test_u8_against_double_model(void)
{
    const int sizes[][4] = {{281, 281, 112, 112}, {361, 361, 112, 112}, {40, 30, 112, 112},
                            {97, 53, 31, 77},     {13, 7, 40, 21},      {300, 200, 97, 61}};
    double max_diff_all = 0;
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int sw = sizes[t][0], sh = sizes[t][1], dw = sizes[t][2], dh = sizes[t][3];
        uint8_t *src = malloc((size_t)sw * sh * 3), *dst = malloc((size_t)dw * dh * 3);
        test_fill_random_u8(&rng_state, src, (size_t)sw * sh * 3);
        au_resize_bilinear_u8c3(src, sw, sh, (size_t)sw * 3, dst, dw, dh, (size_t)dw * 3);
        double max_diff = 0;
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++)
                for (int c = 0; c < 3; c++) {
                    double ref = bilinear_u8(src, sw, sh, c, (x + 0.5) * sw / dw - 0.5,
                                             (y + 0.5) * sh / dh - 0.5);
                    max_diff = fmax(max_diff, fabs(dst[((size_t)y * dw + x) * 3 + c] - ref));
                }
        CHECK(max_diff <= 1.0);
        max_diff_all = fmax(max_diff_all, max_diff);
        free(src);
        free(dst);
    }
    printf("  8-bit vs double bilinear: max difference %.3f level\n", max_diff_all);
}

/* A constant image stays constant through the fixed-point path (weights sum to 2048). */
static void test_u8_constant(void)
{
    enum { SW = 37, SH = 23, DW = 112, DH = 112 };
    static uint8_t src[SW * SH * 3], dst[DW * DH * 3];
    for (int i = 0; i < SW * SH; i++) {
        src[3 * i] = 255;
        src[3 * i + 1] = 1;
        src[3 * i + 2] = 77;
    }
    au_resize_bilinear_u8c3(src, SW, SH, SW * 3, dst, DW, DH, DW * 3);
    int ok = 1;
    for (int i = 0; i < DW * DH; i++)
        ok &= dst[3 * i] == 255 && dst[3 * i + 1] == 1 && dst[3 * i + 2] == 77;
    CHECK(ok);
}

/* Same size: a copy. Exact 2x: the rounded 2x2 average (a + b + c + d + 2) >> 2. */
static void test_u8_copy_and_half(void)
{
    enum { W = 224, H = 224 };
    static uint8_t src[W * H * 3], dst[W * H * 3];
    test_fill_random_u8(&rng_state, src, sizeof src);
    au_resize_bilinear_u8c3(src, W, H, W * 3, dst, W, H, W * 3);
    CHECK(memcmp(src, dst, sizeof src) == 0);

    au_resize_bilinear_u8c3(src, W, H, W * 3, dst, W / 2, H / 2, (W / 2) * 3);
    int ok = 1;
    for (int y = 0; y < H / 2; y++)
        for (int x = 0; x < W / 2; x++)
            for (int c = 0; c < 3; c++) {
                const uint8_t *p = src + ((size_t)(2 * y) * W + 2 * x) * 3 + c;
                int sum = p[0] + p[3] + p[W * 3] + p[W * 3 + 3];
                ok &= dst[((size_t)y * (W / 2) + x) * 3 + c] == (sum + 2) >> 2;
            }
    CHECK(ok);
    /* Rounding is half up: (0 + 0 + 1 + 1 + 2) >> 2 = 1, where cvRound(0.5) would give 0. */
    uint8_t two[2 * 2 * 3] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}, one[3];
    au_resize_bilinear_u8c3(two, 2, 2, 6, one, 1, 1, 3);
    CHECK(one[0] == 1 && one[1] == 1 && one[2] == 1);
}

/* Window resize = explicit crop with zero padding + resize. */
static void test_u8_window(void)
{
    enum { IW = 60, IH = 50 };
    static uint8_t img[IW * IH * 3];
    test_fill_random_u8(&rng_state, img, sizeof img);
    const int windows[][4] = {{10, 5, 40, 40}, {-15, -8, 49, 49}, {30, 20, 45, 45},
                              {-5, 10, 70, 30}};
    for (int t = 0; t < 4; t++) {
        int wx = windows[t][0], wy = windows[t][1], ww = windows[t][2], wh = windows[t][3];
        uint8_t *crop = calloc((size_t)ww * wh * 3, 1);
        for (int y = 0; y < wh; y++)
            for (int x = 0; x < ww; x++) {
                int ix = wx + x, iy = wy + y;
                if (ix >= 0 && ix < IW && iy >= 0 && iy < IH)
                    memcpy(crop + ((size_t)y * ww + x) * 3, img + ((size_t)iy * IW + ix) * 3, 3);
            }
        static uint8_t a[112 * 112 * 3], b[112 * 112 * 3];
        au_resize_bilinear_u8c3(crop, ww, wh, (size_t)ww * 3, a, 112, 112, 112 * 3);
        au_resize_bilinear_u8c3_window(img, IW, IH, IW * 3, wx, wy, ww, wh, b, 112, 112, 112 * 3);
        CHECK(memcmp(a, b, sizeof a) == 0);
        free(crop);
    }
}

/* Float resize by an explicit scale against the double model with src = (d + 0.5)/s − 0.5. */
static void test_f32_against_double_model(void)
{
    const struct {
        int w, h;
        double s;
    } cases[] = {{256, 171, 0.3125}, {97, 64, 640.0 / 490}, {64, 48, 0.7}, {33, 65, 2.5}};
    double max_all = 0;
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int sw = cases[t].w, sh = cases[t].h;
        double s = cases[t].s;
        int dw = au_resize_scaled_size(sw, s), dh = au_resize_scaled_size(sh, s);
        uint8_t *src = malloc((size_t)sw * sh * 3);
        test_fill_random_u8(&rng_state, src, (size_t)sw * sh * 3);
        float *dst = malloc((size_t)dw * dh * 3 * sizeof *dst);
        au_f32_layout hwc = {(size_t)dw * 3, 3, 1};
        au_resize_bilinear_u8c3_to_f32_scale(src, sw, sh, (size_t)sw * 3, s, dst, hwc);
        double max_diff = 0;
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++)
                for (int c = 0; c < 3; c++) {
                    double ref = bilinear_u8(src, sw, sh, c, (x + 0.5) / s - 0.5,
                                             (y + 0.5) / s - 0.5);
                    max_diff = fmax(max_diff, fabs(dst[((size_t)y * dw + x) * 3 + c] - ref));
                }
        CHECK(max_diff <= 0.02); /* float coordinates and weights; README: 0.014 */
        max_all = fmax(max_all, max_diff);

        /* The float-source entry point gives the same bits on the converted image, and the
         * planar layout the same values. */
        float *fsrc = malloc((size_t)sw * sh * 3 * sizeof *fsrc);
        for (size_t i = 0; i < (size_t)sw * sh * 3; i++)
            fsrc[i] = src[i];
        float *dst2 = malloc((size_t)dw * dh * 3 * sizeof *dst2);
        au_resize_bilinear_f32c3_scale(fsrc, sw, sh, (size_t)sw * 3, s, dst2, hwc);
        CHECK(memcmp(dst, dst2, (size_t)dw * dh * 3 * sizeof *dst) == 0);
        au_f32_layout chw = {(size_t)dw, 1, (size_t)dw * dh};
        au_resize_bilinear_f32c3_scale(fsrc, sw, sh, (size_t)sw * 3, s, dst2, chw);
        int same = 1;
        for (int i = 0; i < dw * dh; i++)
            for (int c = 0; c < 3; c++)
                same &= dst[(size_t)i * 3 + c] == dst2[(size_t)c * dw * dh + i];
        CHECK(same);
        free(src);
        free(fsrc);
        free(dst);
        free(dst2);
    }
    printf("  float vs double bilinear: max difference %.2g\n", max_all);
}

/* s = 0.5 on a 7x3 float image: output round(3.5) x round(1.5) = 4 x 2. Whole blocks are
 * (((a + b) + c) + d)·0.25; the last column (only x = 6 exists) and the last row (only y = 2)
 * average what exists. */
static void test_f32_half_with_partial_blocks(void)
{
    float src[3 * 7 * 3];
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 7; x++)
            for (int c = 0; c < 3; c++)
                src[(y * 7 + x) * 3 + c] = (float)(10 * y + x + 100 * c);
    float dst[2 * 4 * 3];
    au_f32_layout hwc = {4 * 3, 3, 1};
    au_resize_bilinear_f32c3_scale(src, 7, 3, 7 * 3, 0.5, dst, hwc);
    /* (0,0): (0 + 1 + 10 + 11)/4 = 5.5; (3,0): (6 + 16)/2 = 11; (1,1): (22 + 23)/2 = 22.5;
     * (3,1): 26 alone; channel 2 adds 200. */
    CHECK(dst[0] == 5.5f);
    CHECK(dst[3 * 3] == 11.f);
    CHECK(dst[(4 + 1) * 3] == 22.5f);
    CHECK(dst[(4 + 3) * 3] == 26.f);
    CHECK(dst[(4 + 3) * 3 + 2] == 226.f);

    /* Same size after rounding (s = 1.0001 on 10 px): a copy, not an interpolation. */
    float one[3 * 10 * 10], out[3 * 10 * 10];
    for (int i = 0; i < 300; i++)
        one[i] = (float)((i * 37) % 101);
    au_f32_layout l10 = {30, 3, 1};
    au_resize_bilinear_f32c3_scale(one, 10, 10, 30, 1.0001, out, l10);
    CHECK(memcmp(one, out, sizeof one) == 0);
}

int main(void)
{
    test_scaled_size();
    test_u8_against_double_model();
    test_u8_constant();
    test_u8_copy_and_half();
    test_u8_window();
    test_f32_against_double_model();
    test_f32_half_with_partial_blocks();
    return check_report("test_resize");
}
