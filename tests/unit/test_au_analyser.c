/* Tests of au/analyser: OpenFace's per-video AU state (FaceAnalyser::AddNextFrame and
 * PostprocessOutputFile, PIPELINE_SPEC §7.1 and §8.5) on synthetic model sets whose
 * predictions are single features, so every value can be worked out by hand; plus a check
 * on the real models against OpenFace's default.csv. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au/analyser.h"
#include "au/median.h"
#include "check.h"
#include "test_au_model_files.h"
#include "test_files.h"

/* ---------------------------------------------------------------------------------------
 * Synthetic model sets
 * --------------------------------------------------------------------------------------- */

#define D_ALL (AU_HOG_DIM + AU_GEOM_DIM)

/* A model whose score is weight·x[feature] + bias (means zero), type 0/1/4/5. */
typedef struct one_feature_model {
    const char *file, *name;
    int type;
    double cutoff;
    int feature;      /* index in [hog, geom] */
    double weight, bias, pos, neg;
} one_feature_model;

#define G0 (AU_HOG_DIM + 0)
#define G1 (AU_HOG_DIM + 1)

/* Intensities: AU01 = g0 - median(g0) (dynamic, cutoff 0.5), AU02 = hog0 (static),
 * AU03 = g1 - median(g1) + 3 (dynamic, no cutoff). Presences: AU01 = [g0 - median(g0) > 0]
 * (dynamic, pos 1, neg 0); AU02 = 0 if hog0 > 0.25 else 1 (static, pos 0, neg 1). */
static const one_feature_model SET[] = {
    { "r1.dat", "AU01", 1, 0.5, G0, 1.0, 0.0, 0, 0 },
    { "r2.dat", "AU02", 0, 0.0, 0, 1.0, 0.0, 0, 0 },
    { "r3.dat", "AU03", 1, -1.0, G1, 1.0, 3.0, 0, 0 },
    { "c1.dat", "AU01", 5, 0.0, G0, 1.0, 0.0, 1, 0 },
    { "c2.dat", "AU02", 4, 0.0, 0, 1.0, -0.25, 0, 1 },
};

/* Loads SET from a temporary folder (as the dynamic or the static module list). */
static au_models *load_set(int au_static)
{
    enum { N = sizeof SET / sizeof SET[0] };
    static double zeros[D_ALL], sv[N][D_ALL];
    test_au_model files[N];
    for (int i = 0; i < N; i++) {
        sv[i][SET[i].feature] = SET[i].weight;
        files[i] = (test_au_model){ SET[i].file, SET[i].name, SET[i].type, SET[i].cutoff,
                                    SET[i].bias, SET[i].pos, SET[i].neg, D_ALL, 6, zeros,
                                    sv[i] };
    }
    char buf[64];
    char *dir = test_make_temp_dir(buf, sizeof buf, "test_au_analyser");
    CHECK(dir != NULL);
    if (!dir)
        return NULL;
    test_write_au_set(dir, au_static ? "main_static_svms.txt" : "main_dynamic_svms.txt", files,
                      N);
    au_models *m = test_load_au_models(dir, au_static);
    test_remove_tree(dir);
    return m;
}

/* An analyser on a freshly loaded SET; NULL (with *m freed and NULL) on failure. */
static au_analyser *start(int au_static, au_models **m)
{
    *m = load_set(au_static);
    if (!*m)
        return NULL;
    au_analyser *a = NULL;
    au_err err;
    CHECK(au_analyser_create(&a, *m, &err) == AUFACE_OK);
    if (!a) {
        au_models_free(*m);
        *m = NULL;
    }
    return a;
}

/* One frame: the whole HOG filled with `h`, the whole geometry with `g`. */
static auface_status add(au_analyser *a, int success, float h, double g, double *reg,
                         double *cls)
{
    static float hog[AU_HOG_DIM];
    static double geom[AU_GEOM_DIM];
    for (int i = 0; i < AU_HOG_DIM; i++)
        hog[i] = h;
    for (int i = 0; i < AU_GEOM_DIM; i++)
        geom[i] = g;
    au_err err;
    return au_analyser_add_frame(a, success, hog, geom, reg, cls, &err);
}

/* Bin centres of OpenFace's two histograms, by the formula of UpdateRunningMedian. */
static double hog_centre(int j)
{
    const double length = 1.0 - (-0.005);
    return -0.005 + (double)j * (length / 1000.0) + (0.5 * length) / 1000.0;
}

static double geom_centre(int j)
{
    const double length = 60.0 - (-60.0);
    return -60.0 + (double)j * (length / 10000.0) + (0.5 * length) / 10000.0;
}

/* ---------------------------------------------------------------------------------------
 * Per-frame behaviour
 * --------------------------------------------------------------------------------------- */

static void test_median_schedule_and_raw_values(void)
{
    au_models *m;
    au_analyser *a = start(0, &m);
    if (!a)
        return;
    CHECK(au_models_num_reg(m) == 3 && au_models_num_class(m) == 2);
    au_err err;
    double reg[3], cls[2];
    const double *hm = au_analyser_hog_median(a), *gm = au_analyser_geom_median(a);
    CHECK(hm[0] == 0.0 && gm[0] == 0.0);

    /* Frame 1 (odd): the first addition, median = the descriptor itself. */
    CHECK(add(a, 1, 0.1f, 2.0, reg, cls) == AUFACE_OK);
    CHECK(hm[0] == (double)0.1f && hm[AU_HOG_DIM - 1] == (double)0.1f);
    CHECK(gm[0] == 2.0 && gm[AU_GEOM_DIM - 1] == 2.0);
    CHECK(reg[0] == 0.0);             /* AU01: 2 - 2 */
    CHECK(reg[1] == (double)0.1f);    /* AU02: hog0 */
    CHECK(reg[2] == 3.0);             /* AU03: 2 - 2 + 3 */
    CHECK(cls[0] == 0.0);             /* AU01: score 0 is not > 0 -> neg 0 */
    CHECK(cls[1] == 1.0);             /* AU02: 0.1 - 0.25 < 0 -> neg 1 */

    /* Frame 2 (even): no median update. */
    CHECK(add(a, 1, 0.7f, 5.0, reg, cls) == AUFACE_OK);
    CHECK(hm[0] == (double)0.1f && gm[0] == 2.0);
    CHECK(reg[0] == 3.0 && reg[2] == 6.0);
    CHECK(cls[0] == 1.0 && cls[1] == 0.0);

    /* Frame 3 (odd) fails: nothing is added, but with one addition so far the median becomes
     * THIS frame's descriptor: a black face's HOG (zeros) and zero geometry (the geometry
     * passed for a failed frame is ignored). Every AU is 0. */
    CHECK(add(a, 0, 0.0f, 99.0, reg, cls) == AUFACE_OK);
    CHECK(hm[0] == 0.0 && gm[0] == 0.0 && gm[5] == 0.0);
    CHECK(reg[0] == 0.0 && reg[1] == 0.0 && reg[2] == 0.0);
    CHECK(cls[0] == 0.0 && cls[1] == 0.0);

    /* Frame 4 (even): medians unchanged (zeros). */
    CHECK(add(a, 1, 0.5f, 1.0, reg, cls) == AUFACE_OK);
    CHECK(reg[0] == 1.0 && reg[2] == 4.0);

    /* Frame 5 (odd): second addition, cutoff 1: the lower value's bin centre. HOG: 0.1 in
     * bin 104 ((0.1 + 0.005)·1000/1.005 = 104.5); geometry: 2 in bin 5166
     * ((2 + 60)·10000/120 = 5166.7). */
    CHECK(add(a, 1, 0.3f, 4.0, reg, cls) == AUFACE_OK);
    CHECK(hm[0] == hog_centre(104) && hm[100] == hog_centre(104));
    CHECK(gm[0] == geom_centre(5166) && gm[1] == geom_centre(5166));
    CHECK_NEAR(gm[0], 1.998, 1e-12);
    CHECK(reg[0] == 4.0 - geom_centre(5166));
    CHECK(reg[2] == (4.0 - geom_centre(5166)) + 3.0);
    CHECK(reg[1] == (double)0.3f);
    CHECK(au_analyser_frames(a) == 5);

    /* The HOG median is clamped at 0: two black faces added -> bin 4 centre < 0 -> 0. */
    au_analyser_reset(a);
    CHECK(au_analyser_frames(a) == 0);
    CHECK(hm[0] == 0.0);
    CHECK(au_analyser_add_frame(a, 1, NULL, (const double[AU_GEOM_DIM]){ 0 }, NULL, NULL,
                                &err) == AUFACE_OK);
    add(a, 1, 0.0f, 0.0, NULL, NULL);
    add(a, 1, 0.0f, 0.0, NULL, NULL);
    CHECK(hog_centre(4) < 0.0);
    CHECK(hm[0] == 0.0 && hm[4463] == 0.0);
    /* Zero geometry: OpenCV's convertTo gives fma(0, alpha, beta) = beta = (60·10000)·(1/120). */
    CHECK(gm[0] == geom_centre((int)((60.0 * 10000.0) * (1.0 / 120.0))));

    /* A successful frame needs its geometry. */
    CHECK(au_analyser_add_frame(a, 1, NULL, NULL, NULL, NULL, &err) == AUFACE_ERR_ARG);
    CHECK(strstr(err.msg, "no geometry") != NULL);
    CHECK(au_analyser_frames(a) == 3);

    au_analyser_free(a);
    au_models_free(m);
}

/* ---------------------------------------------------------------------------------------
 * Post-processing
 * --------------------------------------------------------------------------------------- */

/* Six frames, the fifth failed:
 *   g (all geometry) = 1, 3, 2, 10, -, 4;  hog (all) = 1, 2, 7, -1, -, 3.
 * The geometry median adds frames 1 and 3 (1-based; frame 5 failed): final count 2, cutoff
 * 1: bin of 1.0 = 5083, c = geom_centre(5083) = 1.002. */
static const int PP_SUCCESS[6] = { 1, 1, 1, 1, 0, 1 };
static const double PP_G[6] = { 1.0, 3.0, 2.0, 10.0, 0.0, 4.0 };
static const float PP_H[6] = { 1.0f, 2.0f, 7.0f, -1.0f, 0.0f, 3.0f };

static double clip05(double v)
{
    return v < 0 ? 0 : v > 5 ? 5 : v;
}

/* The 3-tap moving average of the six post-processed values, end values kept
 * (PIPELINE_SPEC §8.5 step 3). */
static void smooth3(const double raw[6], double out[6])
{
    out[0] = raw[0];
    out[5] = raw[5];
    for (int f = 1; f < 5; f++)
        out[f] = (raw[f - 1] + raw[f] + raw[f + 1]) / 3;
}

static void test_postprocessing_dynamic(void)
{
    au_models *m;
    au_analyser *a = start(0, &m);
    if (!a)
        return;
    au_err err;
    double out[3];
    CHECK(au_analyser_final_reg(a, 0, out) == AUFACE_ERR_ARG); /* before finish */
    for (int round = 0; round < 2; round++) {
        /* Round 2 repeats the video after a reset and must give the same values. */
        for (int f = 0; f < 6; f++)
            CHECK(add(a, PP_SUCCESS[f], PP_H[f], PP_G[f], NULL, NULL) == AUFACE_OK);
        CHECK(au_analyser_finish(a, &err) == AUFACE_OK);
        CHECK(au_analyser_finish(a, &err) == AUFACE_OK); /* a second call changes nothing */
        CHECK(au_analyser_frames(a) == 6);
        const double c = geom_centre(5083);
        CHECK_NEAR(au_analyser_geom_median(a)[0], 1.002, 1e-12);

        /* AU01: re-predicted with c: g - c on successful frames; sorted: 1-c, 2-c, 3-c, 4-c,
         * 10-c; offset = sorted[(int)(5·0.5)] = 3 - c; shifted and clipped: 0, 0, 0, 5, 0
         * (failed), 1; smoothed over 3 frames, ends kept: 0, 0, 5/3, 5/3, 2, 1. (Without the
         * re-prediction the first-pass values 0, 2, 2-c, 10-c, -, 4-c would end in
         * 1.9993 and 0.998.) */
        const double au01[6] = { 0, 0, 5.0 / 3, 5.0 / 3, 2.0, 1.0 };
        /* AU02 (static, no shift): clip(1, 2, 7, -1, 0, 3) = 1, 2, 5, 0, 0, 3; smoothed:
         * 1, 8/3, 7/3, 5/3, 1, 3. */
        const double au02[6] = { 1.0, 8.0 / 3, 7.0 / 3, 5.0 / 3, 1.0, 3.0 };
        /* AU03 (dynamic, cutoff -1: no shift): clip((g - c) + 3), failed 0, then smoothing. */
        double au03_raw[6], au03[6];
        for (int f = 0; f < 6; f++)
            au03_raw[f] = PP_SUCCESS[f] ? clip05((PP_G[f] - c) + 3.0) : 0.0;
        smooth3(au03_raw, au03);
        /* Presence (6 frames: no 7-frame smoothing yet). AU01: g - c > 0 -> 0,1,1,1,0,1;
         * AU02: 0 if hog > 0.25 else 1 (failed 0) -> 0,0,0,1,0,0. */
        const double p01[6] = { 0, 1, 1, 1, 0, 1 };
        const double p02[6] = { 0, 0, 0, 1, 0, 0 };
        for (int f = 0; f < 6; f++) {
            double r[3], p[2];
            CHECK(au_analyser_final_reg(a, f, r) == AUFACE_OK);
            CHECK(au_analyser_final_class(a, f, p) == AUFACE_OK);
            CHECK_NEAR(r[0], au01[f], 1e-12);
            CHECK_NEAR(r[1], au02[f], 1e-12);
            CHECK_NEAR(r[2], au03[f], 1e-12);
            CHECK(p[0] == p01[f] && p[1] == p02[f]);
        }
        CHECK(au_analyser_final_reg(a, 6, out) == AUFACE_ERR_ARG);
        CHECK(add(a, 1, 0.0f, 0.0, NULL, NULL) == AUFACE_ERR_ARG); /* finished */
        au_analyser_reset(a);
    }
    /* An empty video finishes too. */
    CHECK(au_analyser_finish(a, &err) == AUFACE_OK);
    CHECK(au_analyser_frames(a) == 0);
    au_analyser_free(a);
    au_models_free(m);
}

/* With -au_static OpenFace's `dynamic` is false: no re-prediction and no cutoff shift, even
 * for a dynamic model in the list. */
static void test_postprocessing_static_flag(void)
{
    au_models *m;
    au_analyser *a = start(1, &m);
    if (!a)
        return;
    CHECK(au_models_dynamic(m) == 0);
    au_err err;
    for (int f = 0; f < 6; f++)
        add(a, PP_SUCCESS[f], PP_H[f], PP_G[f], NULL, NULL);
    CHECK(au_analyser_finish(a, &err) == AUFACE_OK);
    /* AU01 first-pass values (median at the time): frame 1: 1 - 1; frame 2: 3 - 1 (median =
     * first descriptor); frames 3, 4, 6: g - c; failed 0. Clipped, no shift, smoothed. */
    const double c = geom_centre(5083);
    double raw[6] = { 0.0, 2.0, 2.0 - c, clip05(10.0 - c), 0.0, 4.0 - c };
    double expect[6];
    smooth3(raw, expect);
    for (int f = 0; f < 6; f++) {
        double r[3];
        au_analyser_final_reg(a, f, r);
        CHECK_NEAR(r[0], expect[f], 1e-12);
    }
    au_analyser_free(a);
    au_models_free(m);
}

/* CHECKs AU02's final presence on the 10 frames of a finished video. */
static void check_au02_presence(const au_analyser *a, const double expect[10])
{
    for (int f = 0; f < 10; f++) {
        double p[2];
        au_analyser_final_class(a, f, p);
        CHECK(p[1] == expect[f]);
    }
}

/* The 7-frame presence smoothing: raw AU02 = 0,0,0,1,1,0,0,0,1,1 (hog 0.1 -> 1, 0.5 -> 0).
 * Means of 7 at frames 3..6: 2/7, 2/7, 3/7, 4/7 -> 0, 0, 0, 1; frames 0-2 and 7-9 keep
 * their raw values. */
static void test_presence_smoothing(void)
{
    au_models *m;
    au_analyser *a = start(0, &m);
    if (!a)
        return;
    au_err err;
    const float h[10] = { 0.5f, 0.5f, 0.5f, 0.1f, 0.1f, 0.5f, 0.5f, 0.5f, 0.1f, 0.1f };
    const double expect[10] = { 0, 0, 0, 0, 0, 0, 1, 0, 1, 1 };
    for (int f = 0; f < 10; f++)
        add(a, 1, h[f], 1.0, NULL, NULL);
    CHECK(au_analyser_finish(a, &err) == AUFACE_OK);
    check_au02_presence(a, expect);
    /* Same video with frame 9 failed (0): frame 6's window has 3/7 -> 0, frame 9 is 0. */
    au_analyser_reset(a);
    for (int f = 0; f < 10; f++)
        add(a, f != 9, h[f], 1.0, NULL, NULL);
    au_analyser_finish(a, &err);
    check_au02_presence(a, (const double[10]){ 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 });
    au_analyser_free(a);
    au_models_free(m);
}

/* Only the first 3000 successful frames are re-predicted. AU03 = g - median + 3, no shift.
 * g = 1.0 for frames 0..2999, 3.1 afterwards, 6010 frames. The median adds every even
 * 0-based frame: 1500 times 1.0, then 3.1; it moves to 3.1's bin (5258, centre 3.102) once
 * 3.1 has been added 1501 times, at frame 6000. So:
 *   frame 1500 (re-predicted with the final median): 1.0 - 3.102 + 3 = 0.898;
 *   frame 4000 (not re-predicted; median then 1.002): 3.1 - 1.002 + 3 = 5.098 -> 5;
 *   frame 6005 (not re-predicted; median 3.102): 3.1 - 3.102 + 3 = 2.998. */
static void test_reprediction_limit(void)
{
    au_models *m;
    au_analyser *a = start(0, &m);
    if (!a)
        return;
    au_err err;
    CHECK(au_analyser_reserve(a, 6010, &err) == AUFACE_OK);
    static double geom[AU_GEOM_DIM];
    for (int f = 0; f < 6010; f++) {
        for (int i = 0; i < AU_GEOM_DIM; i++)
            geom[i] = f < 3000 ? 1.0 : 3.1;
        CHECK(au_analyser_add_frame(a, 1, NULL, geom, NULL, NULL, &err) == AUFACE_OK);
    }
    CHECK(au_analyser_finish(a, &err) == AUFACE_OK);
    const double c31 = geom_centre(5258), c1 = geom_centre(5083);
    CHECK_NEAR(c31, 3.102, 1e-12);
    CHECK(au_analyser_geom_median(a)[1] == c31);
    double r[3];
    au_analyser_final_reg(a, 1500, r);
    CHECK_NEAR(r[2], (1.0 - c31) + 3.0, 1e-12);
    au_analyser_final_reg(a, 2999, r); /* last re-predicted frame, next one is not */
    CHECK_NEAR(r[2], ((1.0 - c31) + 3.0 + (1.0 - c31) + 3.0 + 5.0) / 3, 1e-12);
    au_analyser_final_reg(a, 4000, r);
    CHECK_NEAR(r[2], 5.0, 1e-12);
    CHECK(clip05((3.1 - c1) + 3.0) == 5.0);
    au_analyser_final_reg(a, 6005, r);
    CHECK_NEAR(r[2], (3.1 - c31) + 3.0, 1e-12);
    au_analyser_free(a);
    au_models_free(m);
}

/* The end-of-video re-prediction on 3 threads gives every final value of 1 thread: 700
 * frames (11 tasks of 64 descriptors), values changing from frame to frame, every 7th frame
 * failed. */
static void finish_sequence(au_analyser *a, int threads)
{
    au_analyser_set_threads(a, threads);
    for (int f = 0; f < 700; f++)
        CHECK(add(a, f % 7 != 3, (float)(0.5 + 0.4 * sin(0.05 * f)), 2.0 * sin(0.1 * f), NULL,
                  NULL) == AUFACE_OK);
    au_err err;
    CHECK(au_analyser_finish(a, &err) == AUFACE_OK);
}

static void test_reprediction_threads(void)
{
    au_models *m1, *m3;
    au_analyser *one = start(0, &m1), *three = start(0, &m3);
    if (one && three) {
        finish_sequence(one, 1);
        finish_sequence(three, 3);
        int same = 1;
        for (long f = 0; f < 700; f++) {
            double r1[3], r3[3], c1[2], c3[2];
            au_analyser_final_reg(one, f, r1);
            au_analyser_final_reg(three, f, r3);
            au_analyser_final_class(one, f, c1);
            au_analyser_final_class(three, f, c3);
            same = same && memcmp(r1, r3, sizeof r1) == 0 && memcmp(c1, c3, sizeof c1) == 0;
        }
        CHECK(same);
    }
    au_analyser_free(one);
    au_analyser_free(three);
    au_models_free(m1);
    au_models_free(m3);
}

/* ---------------------------------------------------------------------------------------
 * Real models against OpenFace's output
 * --------------------------------------------------------------------------------------- */

#define REF_FRAMES 288

/* The PDM's principal components (204 x 34), rounded to float as OpenFace's PDM::Read. */
static int read_pdm_components(const char *path, float pc[204][34])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "# The principal components", 26) == 0) {
            found = 1;
            break;
        }
    int rows = 0, cols = 0, type = 0, ok = found && fscanf(f, "%d %d %d", &rows, &cols, &type) == 3 &&
                                          rows == 204 && cols == 34;
    for (int r = 0; ok && r < 204; r++)
        for (int k = 0; ok && k < 34; k++)
            ok = fscanf(f, "%f", &pc[r][k]) == 1;
    fclose(f);
    return ok;
}

static int column_index(char *header, const char *name)
{
    int idx = 0;
    for (char *tok = strtok(header, ","); tok; tok = strtok(NULL, ","), idx++) {
        while (*tok == ' ')
            tok++;
        size_t n = strlen(tok);
        while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
            tok[--n] = '\0';
        if (strcmp(tok, name) == 0)
            return idx;
    }
    return -1;
}

/* The real HOG of OpenFace's run (default.hog) and an approximate geometry: OpenFace's own
 * geometry comes from its internal CalcParams, which is not available to this module; the
 * CSV's p_0..p_33 are the tracker's parameters rounded to 3 decimals, close to but not equal
 * to CalcParams'. So the final AUs can only agree approximately; the bounds below (r > 0.99,
 * MAE < 0.04, >= 95 % equal presences per AU) still catch any error of ordering, sign,
 * class values, medians or post-processing, which all cost far more. */
static void compare_with_openface(int au_static, const char *csv_path)
{
    au_models *m = NULL;
    au_err err;
    if (au_models_load(&m, SHARED("models/openface/AU_predictors"), au_static, &err) !=
        AUFACE_OK) {
        CHECK(!"real models load");
        return;
    }
    static float pc[204][34];
    CHECK(read_pdm_components(SHARED("models/openface/AU_predictors/In-the-wild_aligned_PDM_68.txt"),
                              pc));
    FILE *hf = fopen(SHARED("reference/openface-2.2/default/default.hog"), "rb");
    FILE *cf = fopen(csv_path, "r");
    CHECK(hf != NULL && cf != NULL);
    static char line[1 << 16], header[1 << 16];
    if (!hf || !cf || !fgets(header, sizeof header, cf)) {
        if (hf)
            fclose(hf);
        if (cf)
            fclose(cf);
        au_models_free(m);
        return;
    }
    const int nr = au_models_num_reg(m), nc = au_models_num_class(m);
    char tmp[1 << 16];
    strcpy(tmp, header);
    int p0 = column_index(tmp, "p_0");
    int col_reg[AU_MODELS_MAX], col_cls[AU_MODELS_MAX];
    for (int k = 0; k < nr; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s_r", au_models_reg_name(m, k));
        strcpy(tmp, header);
        col_reg[k] = column_index(tmp, name);
        CHECK(col_reg[k] > 0);
    }
    for (int k = 0; k < nc; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s_c", au_models_class_name(m, k));
        strcpy(tmp, header);
        col_cls[k] = column_index(tmp, name);
        CHECK(col_cls[k] > 0);
    }
    CHECK(p0 > 0);

    au_analyser *a = NULL;
    CHECK(au_analyser_create(&a, m, &err) == AUFACE_OK);
    static double ref_reg[REF_FRAMES][AU_MODELS_MAX], ref_cls[REF_FRAMES][AU_MODELS_MAX];
    static float hog[AU_HOG_DIM];
    int frames = 0;
    for (; a && frames < REF_FRAMES && fgets(line, sizeof line, cf); frames++) {
        static double v[1024];
        int n = 0;
        for (char *s = line; *s && n < 1024;) {
            char *end;
            v[n++] = strtod(s, &end);
            if (end == s)
                break;
            s = end;
            while (*s == ',' || *s == ' ' || *s == '\n' || *s == '\r')
                s++;
        }
        int32_t head[3];
        float valid;
        CHECK(fread(head, 4, 3, hf) == 3 && fread(&valid, 4, 1, hf) == 1 &&
              fread(hog, 4, AU_HOG_DIM, hf) == AU_HOG_DIM);
        double p[34], geom[AU_GEOM_DIM];
        for (int k = 0; k < 34; k++)
            p[k] = (double)(float)v[p0 + k];
        for (int r = 0; r < 204; r++) {
            double s = 0;
            for (int k = 0; k < 34; k++)
                s += (double)pc[r][k] * p[k];
            geom[r] = s;
        }
        for (int k = 0; k < 34; k++)
            geom[204 + k] = p[k];
        for (int k = 0; k < nr; k++)
            ref_reg[frames][k] = v[col_reg[k]];
        for (int k = 0; k < nc; k++)
            ref_cls[frames][k] = v[col_cls[k]];
        CHECK(au_analyser_add_frame(a, 1, hog, geom, NULL, NULL, &err) == AUFACE_OK);
    }
    fclose(hf);
    fclose(cf);
    CHECK(frames == REF_FRAMES);
    if (a && au_analyser_finish(a, &err) == AUFACE_OK && frames == REF_FRAMES) {
        double worst_r = 1, worst_mae = 0, worst_agree = 1;
        for (int k = 0; k < nr; k++) {
            double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, mae = 0;
            for (int f = 0; f < frames; f++) {
                double o[AU_MODELS_MAX];
                au_analyser_final_reg(a, f, o);
                double x = o[k], y = ref_reg[f][k];
                sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
                mae += fabs(x - y);
            }
            double r = (frames * sxy - sx * sy) /
                       sqrt((frames * sxx - sx * sx) * (frames * syy - sy * sy));
            mae /= frames;
            worst_r = fmin(worst_r, r);
            worst_mae = fmax(worst_mae, mae);
            CHECK(r > 0.99);
            CHECK(mae < 0.04);
        }
        for (int k = 0; k < nc; k++) {
            int agree = 0;
            for (int f = 0; f < frames; f++) {
                double o[AU_MODELS_MAX];
                au_analyser_final_class(a, f, o);
                agree += o[k] == ref_cls[f][k];
            }
            worst_agree = fmin(worst_agree, (double)agree / frames);
            CHECK(agree >= 0.95 * frames);
        }
        printf("test_au_analyser: %s vs OpenFace (approximate geometry): min r %.4f, max MAE "
               "%.4f, min presence agreement %.1f %%\n",
               au_static ? "-au_static" : "dynamic", worst_r, worst_mae, 100 * worst_agree);
    }
    au_analyser_free(a);
    au_models_free(m);
}

int main(void)
{
    test_median_schedule_and_raw_values();
    test_postprocessing_dynamic();
    test_postprocessing_static_flag();
    test_presence_smoothing();
    test_reprediction_limit();
    test_reprediction_threads();
    compare_with_openface(0, SHARED("reference/openface-2.2/default/default.csv"));
    compare_with_openface(1, SHARED("reference/openface-2.2/default_au_static/default.csv"));
    return check_report("test_au_analyser");
}
