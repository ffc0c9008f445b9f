/* Tests for face/similarity: the warp of an exact similarity, no reflections, the point
 * mapping, the non-68-point path, and the reference video: frame 1's warp brings the rigid
 * landmarks onto the scaled mean shape centred at (56, 56), agrees with OpenFace's aligned
 * face for frame 1, and equals bit for bit the matrix that reproduces OpenFace's aligned
 * faces exactly (checked offline on all 288 frames: warping the decoded frames with it
 * through OpenCV 4.6 cv::warpAffine gives every unmasked pixel of the reference .bmp files,
 * and a change of one ulp in any entry breaks that on 12–218 frames). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "face/similarity.h"

#define PDM_PATH SHARED("models/openface/AU_predictors/In-the-wild_aligned_PDM_68.txt")
#define REF_DIR SHARED("reference/openface-2.2/default")

static const int RIGID[24] = {1,  2,  3,  4,  12, 13, 14, 15, 27, 28, 29, 31,
                              32, 33, 34, 35, 36, 39, 40, 41, 42, 45, 46, 47};

static int same_bits_f(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void test_warp_points(void)
{
    const float w[6] = {2, 0, 1, 0, 3, -1};
    const float pts[4] = {1, 10, 1, -2}; /* (1, 1) and (10, -2) */
    float out[4];
    au_warp_points(w, pts, 2, out);
    CHECK(out[0] == 3 && out[2] == 2);   /* (2·1 + 1, 3·1 − 1) */
    CHECK(out[1] == 21 && out[3] == -7); /* (2·10 + 1, 3·(−2) − 1) */

    /* the 2x2 product is rounded once from double: 0.1f·3 + 0.2f·7 */
    const float w2[6] = {0.1f, 0.2f, 0.5f, 0, 1, 0};
    const float p2[2] = {3, 7};
    au_warp_points(w2, p2, 1, out);
    CHECK(same_bits_f(out[0], (float)(0.1f * 3.0 + 0.2f * 7.0) + 0.5f));
}

/* Landmarks that are an exact similarity image of the reference shape: the warp inverts
 * it and, with (tx, ty) the image of the origin, maps every point to reference + 56. */
static void test_exact_similarity(const au_pdm *pdm)
{
    const double s = 1.7, th = 0.3, cx = 300, cy = 220;
    float lm[136];
    for (int i = 0; i < 68; i++) {
        const double X = pdm->mean[i] * 0.7f, Y = pdm->mean[68 + i] * 0.7f;
        lm[i] = (float)(s * (cos(th) * X - sin(th) * Y) + cx);
        lm[68 + i] = (float)(s * (sin(th) * X + cos(th) * Y) + cy);
    }
    float w[6], out[136];
    au_align_similarity_warp(pdm, lm, (float)cx, (float)cy, 0.7f, 112, 112, w);
    CHECK_NEAR(w[0], cos(-th) / s, 1e-5);
    CHECK_NEAR(w[1], -sin(-th) / s, 1e-5);
    CHECK_NEAR(w[3], sin(-th) / s, 1e-5);
    CHECK_NEAR(w[4], cos(-th) / s, 1e-5);
    au_warp_points(w, lm, 68, out);
    for (int i = 0; i < 68; i++) {
        CHECK_NEAR(out[i], pdm->mean[i] * 0.7f + 56, 2e-3);
        CHECK_NEAR(out[68 + i], pdm->mean[68 + i] * 0.7f + 56, 2e-3);
    }

    /* odd sizes use integer halves: 113/2 = 56 */
    float w_odd[6];
    au_align_similarity_warp(pdm, lm, (float)cx, (float)cy, 0.7f, 113, 115, w_odd);
    CHECK(same_bits_f(w_odd[2], w[2]) && same_bits_f(w_odd[5], w[5] + 1.0f));

    /* a mirrored face still gives a rotation (Kabsch's reflection correction) */
    float mirrored[136];
    for (int i = 0; i < 68; i++) {
        mirrored[i] = (float)(2 * cx) - lm[i];
        mirrored[68 + i] = lm[68 + i];
    }
    au_align_similarity_warp(pdm, mirrored, (float)cx, (float)cy, 0.7f, 112, 112, w);
    CHECK(w[0] * w[4] - w[1] * w[3] > 0);
    CHECK_NEAR(w[0], w[4], 1e-6);
    CHECK_NEAR(w[1], -w[3], 1e-6);
}

/* With a PDM of another size all points are used (extract_rigid_points needs 68). */
static void test_small_pdm(void)
{
    float mean[12] = {-10, 10, 10, -10, -10, -10, 10, 10, 0, 0, 0, 0};
    au_pdm square = {4, 0, mean, NULL, NULL};
    /* the square scaled by 2 (after the 0.5 sim_scale) and shifted by (50, 40) */
    const float lm[8] = {40, 60, 60, 40, 30, 30, 50, 50};
    float w[6], out[8];
    au_align_similarity_warp(&square, lm, 50, 40, 0.5f, 20, 20, w);
    CHECK_NEAR(w[0], 0.5, 1e-6);
    CHECK_NEAR(w[1], 0.0, 1e-6);
    au_warp_points(w, lm, 4, out);
    for (int i = 0; i < 4; i++) {
        CHECK_NEAR(out[i], mean[i] * 0.5 + 10, 1e-5);
        CHECK_NEAR(out[4 + i], mean[4 + i] * 0.5 + 10, 1e-5);
    }
}

/* Frame 1 of the reference video: landmarks from default_landmarks.csv. */
static int read_frame1_landmarks(float *lm)
{
    FILE *f = fopen(REF_DIR "/default_landmarks.csv", "r");
    if (!f)
        return 0;
    static char line[1 << 15];
    int ok = fgets(line, sizeof line, f) && fgets(line, sizeof line, f);
    fclose(f);
    char *s = line;
    /* frame, face_id, timestamp, confidence, success, x_0..x_67, y_0..y_67 */
    for (int c = 0; ok && c < 141; c++) {
        char *end;
        double v = strtod(s, &end);
        ok = end != s;
        if (c >= 5)
            lm[c - 5] = (float)v;
        s = end + (*end == ',');
    }
    return ok;
}

/* 24-bit bottom-up BMP as written by OpenCV: returns the BGR pixels top-down. */
static int read_bmp_112(const char *path, uint8_t *bgr)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint8_t hdr[54];
    int ok = fread(hdr, 1, 54, f) == 54 && hdr[0] == 'B' && hdr[1] == 'M';
    const uint32_t off = ok ? hdr[10] | hdr[11] << 8 | hdr[12] << 16 | (uint32_t)hdr[13] << 24 : 0;
    ok = ok && hdr[18] == 112 && hdr[19] == 0 && hdr[22] == 112 && hdr[23] == 0 && hdr[28] == 24;
    ok = ok && fseek(f, (long)off, SEEK_SET) == 0;
    for (int y = 111; ok && y >= 0; y--)
        ok = fread(bgr + y * 336, 1, 336, f) == 336;
    fclose(f);
    return ok;
}

static void test_reference_frame1(const au_pdm *pdm)
{
    float lm[136];
    CHECK(read_frame1_landmarks(lm));
    /* (tx, ty) of PDM::CalcParams for frame 1 (see test_calcparams) */
    const float tx = 0x1.e215dp+7f, ty = 0x1.06fbdp+8f;
    float w[6];
    au_align_similarity_warp(pdm, lm, tx, ty, 0.7f, 112, 112, w);
    const float w_ref[6] = {0x1.1cd15ep-1f, -0x1.070d64p-7f, -0x1.2fe8a4p+6f,
                            0x1.070d5cp-7f, 0x1.1cd15ep-1f,  -0x1.70ea54p+6f};
    for (int i = 0; i < 6; i++)
        CHECK(same_bits_f(w[i], w_ref[i]));

    /* the rigid points land on the scaled mean shape centred at (56, 56): measured mean
     * offset (0.13, −0.74) px, RMS 1.25 px, max 2.4 px (expression and identity) */
    float out[136];
    au_warp_points(w, lm, 68, out);
    double mx = 0, my = 0, sq = 0, worst = 0;
    for (int k = 0; k < 24; k++) {
        const int i = RIGID[k];
        mx += (out[i] - (pdm->mean[i] * 0.7f + 56)) / 24;
        my += (out[68 + i] - (pdm->mean[68 + i] * 0.7f + 56)) / 24;
    }
    for (int k = 0; k < 24; k++) {
        const int i = RIGID[k];
        const double dx = out[i] - (pdm->mean[i] * 0.7f + 56) - mx;
        const double dy = out[68 + i] - (pdm->mean[68 + i] * 0.7f + 56) - my;
        sq += dx * dx + dy * dy;
        worst = fmax(worst, sqrt(dx * dx + dy * dy));
    }
    CHECK(fabs(mx) < 2 && fabs(my) < 2);
    CHECK(sqrt(sq / 24) < 2);
    CHECK(worst < 4);

    /* OpenFace's aligned face for frame 1: every inner landmark (brows, eyes, nose, mouth)
     * mapped by the warp falls on unmasked (non-black) face pixels, and the corners, far
     * outside the face mask, are black */
    static uint8_t img[112 * 336];
    CHECK(read_bmp_112(REF_DIR "/aligned/frame_det_00_000001.bmp", img));
    int inside = 0;
    for (int i = 17; i < 68; i++) {
        const int x = (int)lrintf(out[i]), y = (int)lrintf(out[68 + i]);
        if (x < 0 || x > 111 || y < 0 || y > 111)
            continue;
        const uint8_t *px = img + y * 336 + x * 3;
        inside += (px[0] | px[1] | px[2]) != 0;
    }
    CHECK(inside == 51);
    const uint8_t *c0 = img, *c1 = img + 111 * 3, *c2 = img + 111 * 336;
    CHECK((c0[0] | c0[1] | c0[2] | c1[0] | c1[1] | c1[2] | c2[0] | c2[1] | c2[2]) == 0);
}

/* The RMS radius of AlignShapesWithScale comes from cv::sum over the n x 2 matrix of
 * squares, whose OpenCV 4.6 (AVX2) kernel sums the tail in groups of four floats. For
 * these 5 points (10 squares: two float groups, then two singles) the source radius is
 * 0x1.60c384p+5, one ulp above the plain double sum's 0x1.60c382p+5, and A follows it.
 * The expected A was computed with OpenCV 4.6 itself (cv::mean, cv::pow, cv::sum,
 * cv::gemm, cv::SVD, cv::determinant in AlignShapesWithScale's order). */
static void test_radius_like_cv_sum(void)
{
    const float src[10] = {-23.375f, -12.125f, 49.25f, -40.375f, 46.875f,
                           -0.375f,  -25.25f,  -48.875f, -30.875f, 19.125f};
    const float dst[10] = {19.0625f, 11.0f, -0.5625f, 5.875f, 8.125f,
                           -15.0f, -6.5625f, -24.875f, 16.5f, -17.3125f};
    const float want[4] = {-0x1.e6b20ep-4f, 0x1.559524p-2f, -0x1.559524p-2f, -0x1.e6b20ep-4f};
    float A[4];
    au_align_shapes_with_scale(src, dst, 5, A);
    for (int i = 0; i < 4; i++)
        CHECK(same_bits_f(A[i], want[i]));
}

int main(void)
{
    test_warp_points();
    test_radius_like_cv_sum();
    test_small_pdm();
    au_pdm pdm;
    au_err err;
    au_err_clear(&err);
    if (au_pdm_load(&pdm, PDM_PATH, &err) == AUFACE_OK) {
        test_exact_similarity(&pdm);
        test_reference_frame1(&pdm);
        au_pdm_free(&pdm);
    } else {
        fprintf(stderr, "  %s\n", err.msg);
        CHECK(0);
    }
    return check_report("test_similarity");
}
