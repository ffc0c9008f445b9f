/* Tests for face/calcparams: recovery of known parameters from synthetic landmarks (all
 * points and with invisible ones), the degenerate all-invisible case, agreement with the
 * OpenFace 2.2 tracker's p_* columns on the reference video, and exact known answers for
 * frame 1 computed by a transcription of OpenFace's PDM::CalcParams built with OpenCV 4.6
 * and OpenBLAS 0.3.21 (Haswell kernel). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "face/calcparams.h"
#include "test_openface_csv.h"

#define PDM_PATH SHARED("models/openface/AU_predictors/In-the-wild_aligned_PDM_68.txt")
#define REF_DIR SHARED("reference/openface-2.2/default")

static int same_bits_f(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int load_pdm(au_pdm *pdm)
{
    au_err err;
    au_err_clear(&err);
    if (au_pdm_load(pdm, PDM_PATH, &err) != AUFACE_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        CHECK(0);
        return 0;
    }
    return 1;
}

/* Landmarks synthesised from known parameters. */
static void synthesise(const au_pdm *pdm, const float global[6], double amplitude,
                       float *p_true, float *lm)
{
    for (int j = 0; j < pdm->m; j++)
        p_true[j] = (float)(amplitude * sqrt(pdm->eig[j]) * sin(1.7 * j + 0.3));
    au_pdm_shape2d(pdm, global, p_true, lm);
}

static double fit_rms(const au_pdm *pdm, const float *g, const float *p, const float *lm)
{
    float fit[2 * AU_PDM_MAX_POINTS];
    au_pdm_shape2d(pdm, g, p, fit);
    double sq = 0;
    for (int i = 0; i < 2 * pdm->n; i++)
        sq += (fit[i] - lm[i]) * (double)(fit[i] - lm[i]);
    return sqrt(sq / pdm->n);
}

/* A rigid face (p = 0) is recovered to float precision, with all points and with some
 * points invisible (x == 0: their y is ignored too). */
static void test_rigid_recovery(const au_pdm *pdm)
{
    const float truth[6] = {1.25f, 0.12f, -0.2f, 0.07f, 310.0f, 245.0f};
    float p_true[AU_PDM_MAX_MODES], lm[2 * AU_PDM_MAX_POINTS], g[6], p[AU_PDM_MAX_MODES];
    synthesise(pdm, truth, 0.0, p_true, lm);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            const int hidden[] = {0, 1, 2, 8, 16, 30, 48, 60};
            for (size_t k = 0; k < sizeof hidden / sizeof hidden[0]; k++) {
                lm[hidden[k]] = 0.0f;
                lm[pdm->n + hidden[k]] = 123456.0f;
            }
        }
        int iters = au_calc_params(pdm, lm, g, p);
        CHECK(iters >= 1 && iters < 1000);
        CHECK_NEAR(g[0], truth[0], 1e-5);
        for (int i = 1; i < 4; i++)
            CHECK_NEAR(g[i], truth[i], 1e-5);
        CHECK_NEAR(g[4], truth[4], 1e-3);
        CHECK_NEAR(g[5], truth[5], 1e-3);
        for (int j = 0; j < pdm->m; j++)
            CHECK_NEAR(p[j] / sqrt(pdm->eig[j]), 0.0, 1e-3);
    }
}

/* With a non-rigid face the fit is a regularised (MAP) estimate stopped by OpenFace's
 * criterion, so it is close to, not equal to, the truth: measured on this face at 0.1σ
 * per mode, scale 3: |Δangle| < 1e-3, |Δp| < 0.06σ, landmark RMS 0.013 px. */
static void test_nonrigid_recovery(const au_pdm *pdm)
{
    const float truth[6] = {3.0f, 0.12f, -0.2f, 0.07f, 310.0f, 245.0f};
    float p_true[AU_PDM_MAX_MODES], lm[2 * AU_PDM_MAX_POINTS], g[6], p[AU_PDM_MAX_MODES];
    synthesise(pdm, truth, 0.1, p_true, lm);
    int iters = au_calc_params(pdm, lm, g, p);
    CHECK(iters >= 1 && iters < 1000);
    CHECK_NEAR(g[0], truth[0], 1e-3);
    for (int i = 1; i < 4; i++)
        CHECK_NEAR(g[i], truth[i], 2e-3);
    CHECK_NEAR(g[4], truth[4], 0.01);
    CHECK_NEAR(g[5], truth[5], 0.01);
    for (int j = 0; j < pdm->m; j++)
        CHECK_NEAR(p[j] / sqrt(pdm->eig[j]), p_true[j] / sqrt(pdm->eig[j]), 0.1);
    CHECK(fit_rms(pdm, g, p, lm) < 0.03);
    /* the fit is much better than the mean shape at the right pose */
    float zero[AU_PDM_MAX_MODES] = {0};
    CHECK(fit_rms(pdm, g, p, lm) < 0.2 * fit_rms(pdm, truth, zero, lm));
}

static void test_all_invisible(const au_pdm *pdm)
{
    float lm[2 * AU_PDM_MAX_POINTS] = {0}, g[6] = {1, 1, 1, 1, 1, 1}, p[AU_PDM_MAX_MODES];
    for (int i = 0; i < pdm->n; i++)
        lm[pdm->n + i] = 100.0f + i;
    p[0] = 5.0f;
    CHECK(au_calc_params(pdm, lm, g, p) == 0);
    for (int i = 0; i < 6; i++)
        CHECK(g[i] == 0.0f);
    for (int j = 0; j < pdm->m; j++)
        CHECK(p[j] == 0.0f);
}

/* Degenerate input runs to the iteration limit without crashing, as OpenFace does. */
static void test_degenerate_input(const au_pdm *pdm)
{
    float lm[2 * AU_PDM_MAX_POINTS], g[6], p[AU_PDM_MAX_MODES];
    for (int i = 0; i < 2 * pdm->n; i++)
        lm[i] = 100.0f + i;
    lm[3] = NAN;
    CHECK(au_calc_params(pdm, lm, g, p) == 1000);
    for (int i = 0; i < 2 * pdm->n; i++)
        lm[i] = 100.0f;
    CHECK(au_calc_params(pdm, lm, g, p) == 1000);
    CHECK(g[4] == 100.0f && g[5] == 100.0f);
}

/* --- reference video ------------------------------------------------------------------ */

enum { MAX_FIELDS = 800, LINE_CAP = 1 << 15, FRAMES = 12 };

/* Reads the first `frames` rows of columns `names[0..count)` (by header name). */
static int read_columns(const char *path, const char *const *names, int count, int frames,
                        double *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    static char line[LINE_CAP];
    char *fields[MAX_FIELDS];
    int col[200], ok = fgets(line, sizeof line, f) != NULL;
    int nf = ok ? test_csv_split(line, fields, MAX_FIELDS) : 0;
    for (int c = 0; ok && c < count; c++)
        ok = (col[c] = test_csv_column(fields, nf, names[c])) >= 0;
    for (int r = 0; ok && r < frames; r++) {
        ok = fgets(line, sizeof line, f) != NULL;
        nf = ok ? test_csv_split(line, fields, MAX_FIELDS) : 0;
        for (int c = 0; ok && c < count; c++)
            out[r * count + c] = col[c] < nf ? strtod(fields[col[c]], NULL) : NAN;
    }
    fclose(f);
    return ok;
}

static int read_landmarks(int frames, float *lm /* frames x 136 */)
{
    static char names[136][16];
    const char *ptrs[136];
    for (int i = 0; i < 68; i++) {
        snprintf(names[i], sizeof names[i], "x_%d", i);
        snprintf(names[68 + i], sizeof names[68 + i], "y_%d", i);
    }
    for (int i = 0; i < 136; i++)
        ptrs[i] = names[i];
    double v[FRAMES * 136];
    if (!read_columns(REF_DIR "/default_landmarks.csv", ptrs, 136, frames, v))
        return 0;
    for (int i = 0; i < frames * 136; i++)
        lm[i] = (float)v[i]; /* printed with 9 significant digits: the exact floats */
    return 1;
}

/* The tracker's own parameters (default.csv p_*) are close to, but not the same as,
 * FaceAnalyser's CalcParams on the tracker's landmarks. */
static void test_reference_frames(const au_pdm *pdm)
{
    static float lm[FRAMES * 136];
    double ref[FRAMES * 6];
    const char *pnames[6] = {"p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"};
    int ok = read_landmarks(FRAMES, lm) &&
             read_columns(REF_DIR "/default.csv", pnames, 6, FRAMES, ref);
    CHECK(ok);
    if (!ok)
        return;
    double worst[6] = {0};
    for (int f = 0; f < FRAMES; f++) {
        float g[6], p[AU_PDM_MAX_MODES];
        int iters = au_calc_params(pdm, lm + f * 136, g, p);
        CHECK(iters >= 1 && iters < 1000);
        for (int i = 0; i < 6; i++)
            worst[i] = fmax(worst[i], fabs(g[i] - ref[f * 6 + i]));
    }
    printf("  CalcParams vs default.csv p_* over %d frames, max |diff|: scale %.4f, rx %.4f, "
           "ry %.4f, rz %.4f, tx %.3f px, ty %.3f px\n",
           FRAMES, worst[0], worst[1], worst[2], worst[3], worst[4], worst[5]);
    CHECK(worst[0] < 0.02);
    for (int i = 1; i < 4; i++)
        CHECK(worst[i] < 0.03);
    CHECK(worst[4] < 1.0);
    CHECK(worst[5] < 1.0);
}

/* Frame 1 (and frame 1 with points 0, 30 and 67 hidden) as computed by the transcription
 * of PDM::CalcParams against OpenCV 4.6 and OpenBLAS 0.3.21 (Haswell/Zen kernel). */
static void test_frame1_known_answer(const au_pdm *pdm)
{
    float lm[136];
    CHECK(read_landmarks(1, lm));
    const float g_ref[6] = {0x1.4e967p+0f,  0x1.bdffaep-6f, 0x1.e58a24p-6f,
                            -0x1.ca706ep-7f, 0x1.e215dp+7f,  0x1.06fbdp+8f};
    const float p_ref[4] = {-0x1.b2cdaap+3f, 0x1.606b16p+3f, -0x1.94cf7ep+2f, 0x1.6188a4p+3f};
    float g[6], p[AU_PDM_MAX_MODES];
    CHECK(au_calc_params(pdm, lm, g, p) == 11);
    for (int i = 0; i < 6; i++)
        CHECK(same_bits_f(g[i], g_ref[i]));
    for (int j = 0; j < 4; j++)
        CHECK(same_bits_f(p[j], p_ref[j]));

    lm[0] = lm[30] = lm[67] = 0.0f;
    const float gv_ref[6] = {0x1.4e911p+0f,  0x1.c188a4p-6f, 0x1.e3d2e6p-6f,
                             -0x1.caa442p-7f, 0x1.e217ep+7f,  0x1.06fd9cp+8f};
    CHECK(au_calc_params(pdm, lm, g, p) == 11);
    for (int i = 0; i < 6; i++)
        CHECK(same_bits_f(g[i], gv_ref[i]));
}

int main(void)
{
    au_pdm pdm;
    if (load_pdm(&pdm)) {
        test_rigid_recovery(&pdm);
        test_nonrigid_recovery(&pdm);
        test_all_invisible(&pdm);
        test_degenerate_input(&pdm);
        test_reference_frames(&pdm);
        test_frame1_known_answer(&pdm);
        au_pdm_free(&pdm);
    }
    return check_report("test_calcparams");
}
