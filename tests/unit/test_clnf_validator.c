/* OpenFace's detection validator (landmark/clnf_validator): the certainty formula, the view
 * choice, the piece-wise affine warp on a synthetic linear image (known answer), the
 * normalisation against its formula, the CNN against an independent double-precision
 * forward pass, and the whole check on frames 1, 101 and 201 of default.wmv against
 * OpenFace 2.2's `confidence` (CLNF_SPEC.md §13: certainty 0.9833333 on frame 1), plus
 * shifted landmarks, a black image and landmarks off the image. Reports µs per validation. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/landmark_csv.h"
#include "landmark/clnf_model.h"
#include "landmark/clnf_validator.h"
#include "test_clock.h"
#include "test_images.h"
#include "test_openface_csv.h"

#define MODEL_MAIN SHARED("models/openface/model/main_clnf_general.txt")
#define REF_DIR SHARED("reference/openface-2.2/default")
#define FRAME_DIR SHARED("reference/nn/media")

/* Aligned scratch that is deliberately misaligned by one byte: the module must cope. */
typedef struct scratch_mem {
    unsigned char *block;
    void *p;
} scratch_mem;

static scratch_mem scratch_alloc(size_t bytes)
{
    scratch_mem s;
    s.block = malloc(bytes + 1);
    s.p = s.block ? s.block + 1 : NULL;
    return s;
}

/* ---- image and reference data ----------------------------------------------------------- */

/* Landmarks of CSV frame `frame` (1-based) from the full-precision landmark file. */
static int load_landmarks(long frame, float lm[136], double *confidence)
{
    au_landmark_csv *r;
    if (au_landmark_csv_open(&r, REF_DIR "/default_landmarks.csv", NULL))
        return 0;
    long f;
    int success, got = 0;
    while (au_landmark_csv_next(r, &f, &success, lm, NULL) == 1)
        if (f == frame) {
            got = au_landmark_csv_confidence(r, confidence);
            break;
        }
    au_landmark_csv_close(r);
    return got;
}

/* From an OpenFace CSV: the row whose `frame` is `frame` (or the first row when the file
 * has no frame column, as FaceLandmarkImg's): p_rx, p_ry, p_rz (3 decimals), confidence,
 * and, if lm is not NULL, x_0..x_67, y_0..y_67 (planar). */
static int load_csv_row(const char *path, long frame, float rot[3], double *confidence,
                        float *lm)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    static char line[1 << 16];
    static char *fields[2048];
    static int col_lm[136];
    int col_frame = -1, col_conf = -1, col_r[3] = {-1, -1, -1}, got = 0, lm_cols = 0;
    if (fgets(line, sizeof line, f)) {
        int n = test_csv_split(line, fields, 2048);
        for (int i = 0; i < n; i++) {
            int k;
            char c;
            if (!strcmp(fields[i], "frame"))
                col_frame = i;
            else if (!strcmp(fields[i], "confidence"))
                col_conf = i;
            else if (!strcmp(fields[i], "p_rx"))
                col_r[0] = i;
            else if (!strcmp(fields[i], "p_ry"))
                col_r[1] = i;
            else if (!strcmp(fields[i], "p_rz"))
                col_r[2] = i;
            else if (sscanf(fields[i], "%c_%d", &c, &k) == 2 && (c == 'x' || c == 'y') &&
                     fields[i][1] == '_' && k >= 0 && k < 68) {
                col_lm[(c == 'y') * 68 + k] = i;
                lm_cols++;
            }
        }
    }
    while (col_conf >= 0 && col_r[0] >= 0 && col_r[1] >= 0 && col_r[2] >= 0 &&
           (!lm || lm_cols == 136) && fgets(line, sizeof line, f)) {
        int n = test_csv_split(line, fields, 2048);
        if (n <= col_r[2] || (col_frame >= 0 && atol(fields[col_frame]) != frame))
            continue;
        for (int k = 0; k < 3; k++)
            rot[k] = strtof(fields[col_r[k]], NULL);
        *confidence = strtod(fields[col_conf], NULL);
        for (int k = 0; lm && k < 136; k++)
            lm[k] = col_lm[k] < n ? strtof(fields[col_lm[k]], NULL) : NAN;
        got = 1;
        break;
    }
    fclose(f);
    return got;
}

/* ---- pure functions ---------------------------------------------------------------------- */

/* CheckCNN: idx = first argmax of the 30 outputs, certainty = 1 − 1/60 − idx/30 (float). */
static void test_certainty_formula(void)
{
    float out[30];
    for (int idx = 0; idx < 30; idx++) {
        for (int i = 0; i < 30; i++)
            out[i] = (float)(i % 7) * 0.1f - 1.0f;
        out[idx] = 5.0f;
        double c = au_clnf_validator_certainty(out, 30, 30);
        CHECK_NEAR(c, 1.0 - 1.0 / 60.0 - idx / 30.0, 1e-7);
        CHECK(c == (double)(float)c);
        /* success ⇔ idx ≤ 7 (CLNF_SPEC §7) */
        CHECK(au_clnf_validation_success(c) == (idx <= 7));
    }
    /* first maximum wins */
    for (int i = 0; i < 30; i++)
        out[i] = 0.0f;
    out[4] = out[9] = 1.0f;
    CHECK_NEAR(au_clnf_validator_certainty(out, 30, 30), 1.0 - 1.0 / 60.0 - 4.0 / 30.0, 1e-7);
    /* best value OpenFace can produce: 0.9833333 (CLNF_SPEC §13) */
    out[0] = 2.0f;
    CHECK((float)au_clnf_validator_certainty(out, 30, 30) == 0.98333335f);
    /* a column (30 x 1) final map: OpenFace's transposed minMaxLoc row is always 0, bins 1 */
    CHECK_NEAR(au_clnf_validator_certainty(out, 30, 1), 0.5, 1e-12);
    CHECK(!au_clnf_validation_success(0.725));
    CHECK(au_clnf_validation_success(0.75));
}

/* GetViewId over the file's view order (0,0,0), (0,−20,0), (0,−45,0), (0,−70,0),
 * (0,20,0), (0,45,0), (0,70,0) degrees. */
static void test_view_index(const au_clnf_validator *val)
{
    const double deg = M_PI / 180.0;
    CHECK(val->num_views == 7);
    CHECK_NEAR(val->views[2].orientation[1], -45 * deg, 1e-12);
    CHECK_NEAR(val->views[4].orientation[1], 20 * deg, 1e-12);
    const float cases[][4] = {
        {0.0f, 0.0f, 0.0f, 0},    {0.1f, -0.3f, 0.05f, 1}, {0.0f, -0.9f, 0.0f, 2},
        {0.0f, -1.4f, 0.2f, 3},   {0.0f, 0.3f, 0.0f, 4},   {-0.2f, 0.8f, 0.0f, 5},
        {0.0f, 1.5f, 0.0f, 6},    {1.0f, 0.0f, 0.0f, 0},   {0.0f, 0.17f, 0.0f, 0},
        {0.0f, 0.18f, 0.0f, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(au_clnf_validator_view_index(val, cases[i]) == (int)cases[i][3]);
}

/* The warp of an image that is linear in x and y, with source landmarks = the view's
 * reference shape translated by (tx, ty): every mask pixel samples (x + min_x + tx,
 * y + min_y + ty), quantised to 1/32 px, where bilinear interpolation of a linear function
 * is exact. So warped = I(xi + tx, yi + ty) within 3/64 (the coordinate quantisation). */
static void test_warp_linear(const au_clnf_validator *val)
{
    const au_validator_view *v = &val->views[0];
    const int W = 200, H = 160;
    uint8_t *img = malloc((size_t)W * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[(size_t)y * W + x] = (uint8_t)((x + 2 * y) & 255);
    const float tx = 60.0f, ty = 40.0f;
    float lm[2 * 68];
    CHECK(v->num_landmarks == 68);
    for (int i = 0; i < 68; i++) {
        lm[i] = v->dst_landmarks[i] + tx;
        lm[68 + i] = v->dst_landmarks[68 + i] + ty;
    }
    float *coeff = malloc(sizeof(float) * 6 * (size_t)v->num_tris);
    float *warped = malloc(sizeof(float) * (size_t)v->map_w * v->map_h);
    CHECK(au_clnf_validator_warp(v, img, W, H, (size_t)W, lm, coeff, warped) == 1);
    int masked = 0, bad = 0, outside_nonzero = 0;
    double max_err = 0.0;
    for (int y = 0; y < v->map_h; y++)
        for (int x = 0; x < v->map_w; x++) {
            float got = warped[y * v->map_w + x];
            if (!v->pixel_mask[y * v->map_w + x]) {
                outside_nonzero += got != 0.0f;
                continue;
            }
            masked++;
            double sx = x + (double)v->min_x + tx, sy = y + (double)v->min_y + ty;
            double err = fabs(got - (sx + 2 * sy));
            if (err > max_err)
                max_err = err;
            bad += err > 3.0 / 64 + 1e-3;
        }
    CHECK(masked == v->num_pixels);
    CHECK(bad == 0);
    CHECK(outside_nonzero == 0);
    printf("warp of a linear image: %d mask pixels, max error %.4f (bound 3/64)\n", masked,
           max_err);

    /* The same face moved so that the ROI is clipped at the right image border, on the
     * image I = x: pixels mapped beyond the last ROI column read 0 (OpenFace's ROI
     * excludes column x1 = W − 1). */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[(size_t)y * W + x] = (uint8_t)x;
    for (int i = 0; i < 68; i++)
        lm[i] = v->dst_landmarks[i] + (float)W - 20.0f;
    CHECK(au_clnf_validator_warp(v, img, W, H, (size_t)W, lm, coeff, warped) == 1);
    int beyond = 0, inside = 0, wrong = 0;
    for (int y = 0; y < v->map_h; y++)
        for (int x = 0; x < v->map_w; x++) {
            if (!v->pixel_mask[y * v->map_w + x])
                continue;
            double sx = x + (double)v->min_x + W - 20.0;
            float got = warped[y * v->map_w + x];
            if (sx >= W - 0.9) { /* both neighbours in columns ≥ W − 1: outside the ROI */
                beyond++;
                wrong += got != 0.0f;
            } else if (sx <= W - 2.1) { /* both neighbours inside: the linear value */
                inside++;
                wrong += fabs(got - sx) > 1.0 / 64 + 1e-3;
            }
        }
    CHECK(beyond > 0);
    CHECK(inside > 0);
    CHECK(wrong == 0);

    /* All landmarks left of the image: no ROI. */
    for (int i = 0; i < 68; i++)
        lm[i] = v->dst_landmarks[i] - 500.0f;
    CHECK(au_clnf_validator_warp(v, img, W, H, (size_t)W, lm, coeff, warped) == 0);
    free(coeff);
    free(warped);
    free(img);
}

/* NormaliseWarpedToVector against its formula: a constant grid has std 0 (→ 1), so the
 * features are exactly −mean_image/std_image; a ramp is checked in double. */
static void test_features(const au_clnf_validator *val)
{
    const au_validator_view *v = &val->views[1];
    const int n = v->map_w * v->map_h, P = v->num_pixels;
    float *grid = malloc(sizeof(float) * (size_t)n);
    float *f = malloc(sizeof(float) * (size_t)P);
    for (int i = 0; i < n; i++)
        grid[i] = 100.0f;
    au_clnf_validator_features(v, grid, f);
    int exact = 0;
    for (int i = 0; i < P; i++)
        exact += f[i] == -v->mean_image[i] / v->std_image[i];
    CHECK(exact == P);

    for (int y = 0; y < v->map_h; y++)
        for (int x = 0; x < v->map_w; x++)
            grid[y * v->map_w + x] = (float)(3 * x + y % 7) * 0.5f;
    au_clnf_validator_features(v, grid, f);
    /* column-major collection, population statistics */
    double s = 0, q = 0;
    int p = 0;
    double *vals = malloc(sizeof(double) * (size_t)P);
    for (int x = 0; x < v->map_w; x++)
        for (int y = 0; y < v->map_h; y++)
            if (v->pixel_mask[y * v->map_w + x]) {
                vals[p] = grid[y * v->map_w + x];
                s += vals[p];
                q += vals[p] * vals[p];
                p++;
            }
    double mean = s / P, sd = sqrt(q / P - mean * mean), max_err = 0;
    /* Compared in the z domain (before the division by std_image, which scales the float
     * rounding of z by up to 1/min(std_image)). */
    for (int i = 0; i < P; i++) {
        double z = (vals[i] - mean) / sd;
        double want = (z - v->mean_image[i]) / v->std_image[i];
        double e = fabs(f[i] - want) * v->std_image[i] / (1.0 + fabs(z));
        if (e > max_err)
            max_err = e;
    }
    CHECK(p == P);
    printf("features of a ramp vs double: max difference %.2e (z units)\n", max_err);
    CHECK(max_err < 1e-6);
    free(vals);
    free(grid);
    free(f);
}

/* An independent double-precision forward pass of a validator view, written from
 * CLNF_SPEC.md §7: valid cross-correlation, ReLU, 2x2/2 max pooling with cut windows, fully
 * connected layers on maps flattened column-major; returns the last layer's values. */
static int reference_cnn(const au_validator_view *v, const float *features, double *out)
{
    int maps = 1, h = v->map_h, w = v->map_w;
    double *a = calloc((size_t)60 * 60 * 16, sizeof(double));
    double *b = calloc((size_t)60 * 60 * 16, sizeof(double));
    int p = 0;
    for (int x = 0; x < w; x++)
        for (int y = 0; y < h; y++)
            if (v->pixel_mask[y * w + x])
                a[y * w + x] = features[p++];
    int is_vec = 0;
    for (int l = 0; l < v->depth; l++) {
        const au_cnn_layer *L = &v->layers[l];
        if (L->type == AU_CNN_CONV) {
            int oh = h - L->kh + 1, ow = w - L->kw + 1;
            for (int k = 0; k < L->num_out; k++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++) {
                        double s = L->bias[k];
                        for (int m = 0; m < L->num_in; m++)
                            for (int r = 0; r < L->kh; r++)
                                for (int c = 0; c < L->kw; c++)
                                    s += (double)L->kernels[((m * L->num_out + k) * L->kh + r) *
                                                                L->kw + c] *
                                         a[(m * h + y + r) * w + x + c];
                        b[(k * oh + y) * ow + x] = s;
                    }
            maps = L->num_out, h = oh, w = ow;
        } else if (L->type == AU_CNN_MAXPOOL) {
            int oh = (h + 1) / 2, ow = (w + 1) / 2;
            for (int m = 0; m < maps; m++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++) {
                        double best = -INFINITY;
                        for (int r = 2 * y; r < 2 * y + 2 && r < h; r++)
                            for (int c = 2 * x; c < 2 * x + 2 && c < w; c++)
                                best = fmax(best, a[(m * h + r) * w + c]);
                        b[(m * oh + y) * ow + x] = best;
                    }
            h = oh, w = ow;
        } else if (L->type == AU_CNN_RELU) {
            for (int i = 0; i < maps * h * w; i++)
                b[i] = a[i] > 0 ? a[i] : 0;
        } else if (L->type == AU_CNN_FC) {
            double *vec = malloc(sizeof(double) * (size_t)L->num_in);
            int q = 0;
            for (int m = 0; m < maps; m++)
                for (int x = 0; x < w; x++)
                    for (int y = 0; y < h; y++)
                        vec[q++] = a[(m * h + y) * w + x];
            for (int o = 0; o < L->num_out; o++) {
                double s = L->bias[o];
                for (int i = 0; i < L->num_in; i++)
                    s += (double)L->weights[o * L->num_in + i] * vec[i];
                b[o] = s;
            }
            free(vec);
            maps = 1, h = L->num_out, w = 1, is_vec = 1;
        } else {
            free(a);
            free(b);
            return 0;
        }
        double *t = a;
        a = b;
        b = t;
    }
    int n = is_vec ? h : 0;
    for (int i = 0; i < n; i++)
        out[i] = a[i];
    free(a);
    free(b);
    return n;
}

/* The CNN of every view against the double-precision pass on pseudo-random features of the
 * size real ones have (|f| up to ~3). */
static void test_cnn_against_double(const au_clnf_model *m, const au_clnf_validator *val)
{
    size_t bytes = au_clnf_validator_scratch_bytes(m);
    scratch_mem sm = scratch_alloc(bytes);
    uint32_t seed = 12345;
    double worst = 0.0;
    int argmax_same = 0;
    for (int vi = 0; vi < val->num_views; vi++) {
        const au_validator_view *v = &val->views[vi];
        float *f = malloc(sizeof(float) * (size_t)v->num_pixels);
        for (int i = 0; i < v->num_pixels; i++) {
            seed = seed * 1664525u + 1013904223u;
            f[i] = ((float)(seed >> 8) / 16777216.0f - 0.5f) * 6.0f;
        }
        float out[64];
        double ref[64];
        int bins = 0;
        int n = au_clnf_validator_cnn(v, f, sm.p, out, 64, &bins);
        int nr = reference_cnn(v, f, ref);
        CHECK(n == 30);
        CHECK(bins == 30);
        CHECK(nr == n);
        double scale = 0;
        for (int i = 0; i < nr; i++)
            scale = fmax(scale, fabs(ref[i]));
        int ia = 0, ib = 0;
        for (int i = 0; i < n && i < nr; i++) {
            worst = fmax(worst, fabs(out[i] - ref[i]) / (1.0 + scale));
            if (out[i] > out[ia])
                ia = i;
            if (ref[i] > ref[ib])
                ib = i;
        }
        argmax_same += ia == ib;
        free(f);
    }
    CHECK(worst < 2e-5);
    CHECK(argmax_same == val->num_views);
    printf("CNN vs double forward pass, 7 views: max relative difference %.2e\n", worst);
    free(sm.block);
}

/* ---- OpenFace reference frames ----------------------------------------------------------- */

typedef struct frame_case {
    const char *png;
    long csv_frame; /* 1-based CSV frame = 0-based video frame + 1 */
} frame_case;

static void test_reference_frames(const au_clnf_model *m, const au_clnf_validator *val)
{
    const frame_case cases[] = {
        {FRAME_DIR "/default_f000.png", 1},
        {FRAME_DIR "/default_f100.png", 101},
        {FRAME_DIR "/default_f200.png", 201},
    };
    size_t bytes = au_clnf_validator_scratch_bytes(m);
    scratch_mem sm = scratch_alloc(bytes);
    CHECK(sm.block != NULL);
    printf("validator scratch: %zu bytes\n", bytes);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int w, h;
        uint8_t *gray = test_load_gray(cases[c].png, &w, &h);
        float lm[136], rot[3];
        double conf_lm = -1, conf_csv = -1;
        CHECK(gray != NULL);
        CHECK(load_landmarks(cases[c].csv_frame, lm, &conf_lm));
        CHECK(load_csv_row(REF_DIR "/default.csv", cases[c].csv_frame, rot, &conf_csv, NULL));
        if (!gray)
            continue;

        /* The CSV rounds the angles to 3 decimals: the view must not depend on it. */
        int view = au_clnf_validator_view_index(val, rot);
        for (int k = 0; k < 3; k++)
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                float r2[3] = {rot[0], rot[1], rot[2]};
                r2[k] += sgn * 0.0005f;
                CHECK(au_clnf_validator_view_index(val, r2) == view);
            }

        double cert = au_clnf_validate(m, rot, gray, w, h, (size_t)w, lm, sm.p);
        printf("CSV frame %ld: view %d, certainty %.7f (OpenFace confidence %.2f / %.2f)\n",
               cases[c].csv_frame, view, cert, conf_csv, conf_lm);
        CHECK((float)cert == 0.98333335f); /* idx 0, as OpenFace on every frame (§13) */
        CHECK_NEAR(cert, conf_csv, 0.005);
        CHECK_NEAR(cert, conf_lm, 0.005);
        CHECK(au_clnf_validation_success(cert));

        /* Landmarks 30 px off the face: the validator must lose confidence. */
        float shifted[136];
        memcpy(shifted, lm, sizeof lm);
        for (int i = 0; i < 68; i++)
            shifted[i] += 30.0f;
        double cert_shift = au_clnf_validate(m, rot, gray, w, h, (size_t)w, shifted, sm.p);
        memcpy(shifted, lm, sizeof lm);
        for (int i = 0; i < 68; i++)
            shifted[68 + i] -= 30.0f;
        double cert_up = au_clnf_validate(m, rot, gray, w, h, (size_t)w, shifted, sm.p);
        printf("  landmarks +30 px in x: %.7f, −30 px in y: %.7f\n", cert_shift, cert_up);
        CHECK(cert_shift < cert);
        CHECK(cert_up < cert);

        if (c == 0) {
            /* Timing: the same validation repeated; the best of 5 batches (robust to other
             * load on the machine). */
            const int reps = 100;
            double best_us = 1e9, acc = 0;
            for (int batch = 0; batch < 5; batch++) {
                double t0 = test_seconds();
                for (int i = 0; i < reps; i++)
                    acc += au_clnf_validate(m, rot, gray, w, h, (size_t)w, lm, sm.p);
                best_us = fmin(best_us, (test_seconds() - t0) / reps * 1e6);
            }
            CHECK_NEAR(acc / (5 * reps), cert, 1e-12);
            printf("validation time: %.1f us per call (best of 5 x %d calls)\n", best_us, reps);

            /* An all-black image: no face, low certainty. */
            uint8_t *black = calloc((size_t)w * h, 1);
            double cb = au_clnf_validate(m, rot, black, w, h, (size_t)w, lm, sm.p);
            printf("  black image: %.7f\n", cb);
            CHECK(!au_clnf_validation_success(cb));
            free(black);

            /* Landmarks off the image: the ROI is empty, certainty 0. */
            memcpy(shifted, lm, sizeof lm);
            for (int i = 0; i < 68; i++)
                shifted[i] += 2000.0f;
            CHECK(au_clnf_validate(m, rot, gray, w, h, (size_t)w, shifted, sm.p) == 0.0);
            memcpy(shifted, lm, sizeof lm);
            for (int i = 0; i < 68; i++)
                shifted[68 + i] -= 1000.0f;
            CHECK(au_clnf_validate(m, rot, gray, w, h, (size_t)w, shifted, sm.p) == 0.0);
            /* A face whose ROI is clipped by the image border (the image cut at x = 250,
             * through the face) still runs and gives a valid value. */
            double cert_sub = au_clnf_validate(m, rot, gray, 250, h, (size_t)w, lm, sm.p);
            printf("  image cut at x = 250 (through the face): %.7f\n", cert_sub);
            CHECK(cert_sub >= 0.0 && cert_sub < 1.0);
        }
        free(gray);
    }
    free(sm.block);
}

/* sample1.jpg through OpenFace's FaceLandmarkImg (reference/openface-2.2/sample1): a face
 * turned to the side, so the validator's (0, 20°, 0) view; confidence 0.983. The CSV gives
 * the landmarks to 0.1 px and the image is decoded by stb_image rather than libjpeg; the
 * network's winning margin on real faces (≥ 1.4 on every frame of default.wmv) absorbs
 * both. */
static void test_sample1(const au_clnf_model *m, const au_clnf_validator *val)
{
    int w, h;
    uint8_t *gray = test_load_gray(SHARED("media/sample1.jpg"), &w, &h);
    float lm[136], rot[3];
    double conf = -1;
    CHECK(gray != NULL);
    CHECK(load_csv_row(SHARED("reference/openface-2.2/sample1/sample1.csv"), 0, rot, &conf, lm));
    if (!gray)
        return;
    scratch_mem sm = scratch_alloc(au_clnf_validator_scratch_bytes(m));
    int view = au_clnf_validator_view_index(val, rot);
    double cert = au_clnf_validate(m, rot, gray, w, h, (size_t)w, lm, sm.p);
    printf("sample1.jpg: view %d, certainty %.7f (OpenFace confidence %.3f)\n", view, cert,
           conf);
    CHECK(view == 4);
    CHECK_NEAR(cert, conf, 0.0005);
    free(sm.block);
    free(gray);
}

int main(void)
{
    test_certainty_formula();

    au_clnf_model *m = NULL;
    au_err err;
    if (au_clnf_model_load(&m, MODEL_MAIN, &err)) {
        fprintf(stderr, "cannot load %s: %s\n", MODEL_MAIN, err.msg);
        CHECK(0);
        return check_report("test_clnf_validator");
    }
    const au_clnf_validator *val = au_clnf_model_validator(m);
    CHECK(val != NULL);
    if (val) {
        CHECK(au_clnf_validator_scratch_bytes(m) > 0);
        test_view_index(val);
        test_warp_linear(val);
        test_features(val);
        test_cnn_against_double(m, val);
        test_reference_frames(m, val);
        test_sample1(m, val);
    }
    CHECK(au_clnf_validator_scratch_bytes(NULL) == 0);
    au_clnf_model_free(m);
    return check_report("test_clnf_validator");
}
