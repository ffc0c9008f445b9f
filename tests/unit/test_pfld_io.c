/* Tests for landmark/pfld_io: pyfaceau's crop rule (known answers and the 12 reference cases of
 * ../shared/reference/nn/pfld/manifest.json), the 112x112 input tensor against the stored
 * OpenCV-made inputs, and the reprojection of the stored network outputs against
 * landmarks_px.txt (through the unclipped square, including the two padded cases). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "landmark/pfld_io.h"
#include "test_files.h"
#include "test_images.h"
#include "test_manifest.h"
#include "test_nn_reference.h"

#define REF_DIR SHARED("reference/nn/pfld")
#define N AU_PFLD_INPUT_SIZE

/* --- known answers ----------------------------------------------------------------------- */

static void test_crop_rule(void)
{
    au_pfld_crop c;
    au_err err;
    /* (-0.7, -0.7, 9.9, 19.9) truncates toward zero to (0, 0, 9, 19): w = 9, h = 19,
     * size = (int)(19·1.1) = 20, cx = (int)4.5 = 4, cy = (int)9.5 = 9 → square (-6, -1) + 20. */
    au_face_box b = {-0.7f, -0.7f, 9.9f, 19.9f, 1.0f, {0}};
    CHECK(au_pfld_crop_from_box(&b, 100, 15, &c, &err) == AUFACE_OK);
    CHECK(c.sq_x1 == -6 && c.sq_y1 == -1 && c.size == 20);
    CHECK(c.clip_x1 == 0 && c.clip_y1 == 0 && c.clip_x2 == 14 && c.clip_y2 == 15);
    CHECK(c.pad_left == 6 && c.pad_top == 1 && c.pad_right == 0 && c.pad_bottom == 4);

    /* Odd size: (10, 10, 30, 20) → w = 20, h = 10, size = (int)22.000000000000004 = 22,
     * cx = 20, cy = 15 → square (9, 4) + 22. */
    au_face_box b2 = {10.f, 10.f, 30.f, 20.f, 1.0f, {0}};
    CHECK(au_pfld_crop_from_box(&b2, 100, 100, &c, &err) == AUFACE_OK);
    CHECK(c.sq_x1 == 9 && c.sq_y1 == 4 && c.size == 22);
    CHECK(c.pad_left == 0 && c.pad_top == 0 && c.pad_right == 0 && c.pad_bottom == 0);

    /* Rejections, each with a message. */
    au_face_box bad = {NAN, 0.f, 10.f, 10.f, 1.0f, {0}};
    CHECK(au_pfld_crop_from_box(&bad, 100, 100, &c, &err) == AUFACE_ERR_ARG);
    CHECK(strstr(err.msg, "not finite") != NULL);
    au_face_box empty = {5.2f, 5.f, 5.9f, 5.5f, 1.0f, {0}};
    CHECK(au_pfld_crop_from_box(&empty, 100, 100, &c, &err) == AUFACE_ERR_ARG);
    CHECK(c.size == 0);
    au_face_box outside = {200.f, 200.f, 260.f, 260.f, 1.0f, {0}};
    CHECK(au_pfld_crop_from_box(&outside, 100, 100, &c, &err) == AUFACE_ERR_ARG);
    CHECK(strstr(err.msg, "outside") != NULL);
    au_face_box huge = {0.f, 0.f, 3e9f, 10.f, 1.0f, {0}};
    CHECK(au_pfld_crop_from_box(&huge, 100, 100, &c, &err) == AUFACE_ERR_ARG);
}

static void test_input_layout(void)
{
    /* Constant image B = 10, G = 20, R = 30: every input value is exactly v/255, R first. */
    enum { W = 50, H = 40 };
    static uint8_t img[W * H * 3];
    for (int i = 0; i < W * H; i++) {
        img[3 * i] = 10;
        img[3 * i + 1] = 20;
        img[3 * i + 2] = 30;
    }
    static float in[3 * N * N];
    au_pfld_crop c = {5, 5, 30, 5, 5, 35, 35, 0, 0, 0, 0};
    au_pfld_input(img, W, H, W * 3, &c, in);
    int ok = 1;
    for (int i = 0; i < N * N; i++)
        ok &= in[i] == 30 / 255.0f && in[N * N + i] == 20 / 255.0f &&
              in[2 * N * N + i] == 10 / 255.0f;
    CHECK(ok);

    /* Square of 100 starting at x = -50: its left half lies outside the image and is black,
     * its right half is the image (a blend only around the border column 56). */
    au_pfld_crop p = {-50, 0, 100, 0, 0, 50, 40, 0, 60, 50, 0};
    au_pfld_input(img, W, H, W * 3, &p, in);
    int left_black = 1, right_image = 1;
    for (int y = 0; y < 40 * N / 100; y++)
        for (int x = 0; x < N; x++) {
            float r = in[y * N + x];
            if (x < 55)
                left_black &= r == 0.f;
            if (x >= 57 && y < 40 * N / 100 - 1)
                right_image &= r == 30 / 255.0f;
        }
    CHECK(left_black);
    CHECK(right_image);
    CHECK(in[(N - 1) * N + (N - 1)] == 0.f); /* bottom rows are below the image */
}

static void test_box_from_landmarks(void)
{
    /* planar x0..x3, y0..y3 with a NaN point that must be ignored */
    const float pts[8] = {10.f, 30.f, NAN, 20.f, 5.f, 25.f, 1.f, -3.f};
    au_face_box b;
    au_pfld_box_from_landmarks(pts, 4, &b);
    CHECK(b.x1 == 10.f && b.x2 == 30.f && b.y1 == -3.f && b.y2 == 25.f);
    CHECK(b.score == 1.0f && b.landmarks[0] == 0.f);
    const float none[2] = {NAN, NAN};
    au_pfld_box_from_landmarks(none, 1, &b);
    CHECK(b.score == 0.f && b.x2 == 0.f);
}

static void test_reprojection_formula(void)
{
    /* u = 0 and 1 map to the square's edges, planar order */
    float out[136] = {0};
    out[2 * 5] = 1.0f;       /* u5 */
    out[2 * 5 + 1] = 0.25f;  /* v5 */
    au_pfld_crop c = {-42, -8, 266, 0, 0, 224, 258, 8, 0, 42, 0};
    float lm[136];
    au_pfld_landmarks(out, &c, lm);
    CHECK(lm[0] == -42.f && lm[68] == -8.f);
    CHECK(lm[5] == 224.f && lm[68 + 5] == -8.f + 66.5f);
}

/* --- reference cases ---------------------------------------------------------------------- */

static void check_case(const char *name, const char *manifest)
{
    double det[4], box_int[4], sq[4], clip[4], pads[4];
    char image[256];
    int have = test_manifest_numbers(manifest, name, "box_xyxy_float", det, 4) &&
               test_manifest_numbers(manifest, name, "face_box_xyxy_int", box_int, 4) &&
               test_manifest_numbers(manifest, name, "square_crop_xyxy", sq, 4) &&
               test_manifest_numbers(manifest, name, "clipped_crop_xyxy", clip, 4) &&
               test_manifest_numbers(manifest, name, "pad_top_bottom_left_right", pads, 4) &&
               test_manifest_string(manifest, name, "image", image, sizeof image);
    CHECK(have);
    if (!have)
        return;
    double crop_size = -1;
    test_manifest_number(manifest, name, "crop_size", &crop_size);

    /* Manifest image paths: "shared/..." is relative to the folder holding shared/, others to
     * reference/nn/. */
    char path[512];
    if (strncmp(image, "shared/", 7) == 0)
        snprintf(path, sizeof path, "%s/%s", AU_SHARED_DIR, image + 7);
    else
        snprintf(path, sizeof path, "%s/%s", SHARED("reference/nn"), image);
    int w, h;
    uint8_t *bgr = test_load_bgr(path, &w, &h);
    CHECK(bgr != NULL);
    if (!bgr)
        return;

    /* Crop from the detector's float box (as float, like au_face_box). */
    au_face_box box = {(float)det[0], (float)det[1], (float)det[2], (float)det[3], 1.0f, {0}};
    CHECK((int)box.x1 == (int)box_int[0] && (int)box.y1 == (int)box_int[1] &&
          (int)box.x2 == (int)box_int[2] && (int)box.y2 == (int)box_int[3]);
    au_pfld_crop c;
    au_err err;
    CHECK(au_pfld_crop_from_box(&box, w, h, &c, &err) == AUFACE_OK);
    CHECK(c.sq_x1 == (int)sq[0] && c.sq_y1 == (int)sq[1] && c.sq_x1 + c.size == (int)sq[2] &&
          c.sq_y1 + c.size == (int)sq[3] && c.size == (int)crop_size);
    CHECK(c.clip_x1 == (int)clip[0] && c.clip_y1 == (int)clip[1] && c.clip_x2 == (int)clip[2] &&
          c.clip_y2 == (int)clip[3]);
    CHECK(c.pad_top == (int)pads[0] && c.pad_bottom == (int)pads[1] &&
          c.pad_left == (int)pads[2] && c.pad_right == (int)pads[3]);

    /* Input tensor vs the OpenCV-made one. PNG frames decode identically and must match
     * bit for bit; JPEGs decoded by stb_image differ from libjpeg-turbo by a few levels. */
    char fpath[512];
    snprintf(fpath, sizeof fpath, "%s/%s.input.f32", REF_DIR, name);
    float *ref = test_read_f32(fpath, 3 * N * N);
    static float in[3 * N * N];
    au_pfld_input(bgr, w, h, (size_t)w * 3, &c, in);
    int is_png = strstr(image, ".png") != NULL;
    if (ref) {
        int differ = 0, max_lsb = 0;
        for (int i = 0; i < 3 * N * N; i++) {
            int lsb = abs((int)lrintf(in[i] * 255.f) - (int)lrintf(ref[i] * 255.f));
            differ += in[i] != ref[i];
            max_lsb = lsb > max_lsb ? lsb : max_lsb;
        }
        if (is_png)
            CHECK(differ == 0);
        else
            CHECK(max_lsb <= 4);
        printf("  %-22s %s input: %5d of %d values differ, max %d/255\n", name,
               is_png ? "png" : "jpg", differ, 3 * N * N, max_lsb);
    } else {
        CHECK(ref != NULL);
    }
    free(ref);

    /* Reprojection of the stored output vs landmarks_px.txt. */
    snprintf(fpath, sizeof fpath, "%s/%s.output.f32", REF_DIR, name);
    float *out = test_read_f32(fpath, 136);
    snprintf(fpath, sizeof fpath, "%s/%s.landmarks_px.txt", REF_DIR, name);
    FILE *f = fopen(fpath, "r");
    CHECK(out && f);
    if (out && f) {
        float lm[136];
        au_pfld_landmarks(out, &c, lm);
        double max_px = 0;
        int rows = 0;
        for (int i = 0; i < 68; i++) {
            double x, y;
            if (fscanf(f, "%lf %lf", &x, &y) != 2)
                break;
            rows++;
            max_px = fmax(max_px, fmax(fabs(lm[i] - x), fabs(lm[68 + i] - y)));
        }
        CHECK(rows == 68);
        CHECK(max_px <= 0.01);

        /* Padded cases: pyfaceau's clipped-rectangle mapping is far from ours. */
        double clipped[136];
        if (c.pad_top + c.pad_bottom + c.pad_left + c.pad_right > 0) {
            CHECK(test_manifest_numbers(manifest, name,
                                        "landmarks_px_pyfaceau_clipped_reprojection", clipped,
                                        136));
            double max_off = 0;
            for (int i = 0; i < 68; i++)
                max_off = fmax(max_off, fmax(fabs(lm[i] - clipped[2 * i]),
                                             fabs(lm[68 + i] - clipped[2 * i + 1])));
            CHECK(max_off > 1.0);
            printf("  %-22s landmarks: max diff %.2g px; pads t%d b%d l%d r%d, pyfaceau's "
                   "clipped mapping is %.1f px away\n",
                   name, max_px, c.pad_top, c.pad_bottom, c.pad_left, c.pad_right, max_off);
        } else {
            printf("  %-22s landmarks: max diff %.2g px\n", name, max_px);
        }
    }
    if (f)
        fclose(f);
    free(out);
    free(bgr);
}

static void test_reference_cases(void)
{
    char *manifest = test_read_file(REF_DIR "/manifest.json", NULL);
    CHECK(manifest != NULL);
    if (!manifest)
        return;
    const char *cases[] = {"sample1_face0",      "sample2_face0",      "sample2_face2",
                           "sample3_face0",      "sample4_face0",      "sample5_face0",
                           "sample6_face0",      "sample6_face4",      "default_f000_face0",
                           "default_f100_face0", "default_f200_face0", "default_f000_tl_face0"};
    for (int i = 0; i < 12; i++)
        check_case(cases[i], manifest);
    free(manifest);
}

int main(void)
{
    test_crop_rule();
    test_input_layout();
    test_box_from_landmarks();
    test_reprojection_formula();
    test_reference_cases();
    return check_report("test_pfld_io");
}
