/* The CLNF fit on a task pool (landmark/clnf_fit with au_clnf_fitter_use_pool): the
 * per-landmark responses and the part models computed on 2 and 4 threads give the same bits
 * as on the calling thread alone, for the 11-hypothesis detection of frame 1 of default.wmv
 * and for tracked fits of frames 100 and 200 (main model, parts and refit); a pool can be
 * attached and detached. The model's Σ prepared on a pool are the bytes of those prepared
 * on one thread, and a Σ that cannot be computed is still named. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/task_pool.h"
#include "landmark/clnf_fit.h"
#include "landmark/clnf_gray.h"
#include "test_clnf_frames.h"
#include "test_images.h"

#define MAIN_MODEL SHARED("models/openface/model/main_clnf_general.txt")
#define FRAME(idx) SHARED("reference/nn/media/default_f" idx ".png")

/* OpenFace 2.2's MTCNN box on frame 1 of default.wmv (CLNF_SPEC.md §13): x, y, w, h. */
static const float frame1_box[4] = {147.371201f, 179.349548f, 190.917023f, 197.190750f};


/* Frame 1 detected, then frames 100 and 200 tracked from it, with fitter f; the results
 * in out[0..2]. */
static int run_fits(au_clnf_fitter *f, const au_clnf_params *params, au_clnf_fit_result out[3])
{
    au_err err;
    int w, h, ok = 1;
    memset(out, 0, 3 * sizeof *out);
    out[0].model_likelihood = -10.0f; /* CLNF::Read */
    uint8_t *gray = test_load_clnf_gray(FRAME("000"), &w, &h);
    ok &= gray && au_clnf_detect_from_box(f, gray, w, h, (size_t)w, frame1_box, params, &out[0],
                                          &err) == AUFACE_OK;
    free(gray);
    const char *paths[2] = {FRAME("100"), FRAME("200")};
    for (int k = 0; k < 2; k++) {
        out[k + 1] = out[k];
        gray = test_load_clnf_gray(paths[k], &w, &h);
        ok &= gray && au_clnf_fit(f, gray, w, h, (size_t)w, out[k + 1].global, out[k + 1].local,
                                  params->window_sizes_small, params, &out[k + 1],
                                  &err) == AUFACE_OK;
        free(gray);
    }
    return ok;
}

/* Whether every expert of a and b (the same model files) holds the same Σ, bit for bit. */
static int same_sigmas(const au_clnf *a, const au_clnf *b, int *compared)
{
    for (int s = 0; s < a->num_scales; s++) {
        const au_ccnf_patch_set *pa = &a->scales[s], *pb = &b->scales[s];
        for (int e = 0; e < pa->num_views * pa->num_points; e++) {
            const au_ccnf_expert *ea = &pa->experts[e], *eb = &pb->experts[e];
            if (ea->num_sigmas != eb->num_sigmas)
                return 0;
            for (int k = 0; k < ea->num_sigmas; k++) {
                const au_ccnf_sigma *sa = &ea->sigmas[k];
                const au_ccnf_sigma *sb = au_ccnf_find_sigma(eb, sa->ws);
                if (!sb || sb->stride != sa->stride ||
                    memcmp(sa->sigma_t, sb->sigma_t,
                           sizeof(float) * (size_t)sa->ws * sa->ws * sa->stride) != 0)
                    return 0;
                (*compared)++;
            }
        }
    }
    return 1;
}

/* Σ prepared on 3 threads against the model `alone` prepared on one. */
static void check_pooled_preparation(const au_clnf_model *alone, const au_clnf_params *params)
{
    au_err err;
    au_clnf_model *m = NULL;
    au_task_pool *pool = NULL;
    CHECK(au_task_pool_create(&pool, 3, &err) == AUFACE_OK);
    CHECK(au_clnf_model_load(&m, MAIN_MODEL, &err) == AUFACE_OK);
    CHECK(m && au_clnf_prepare_model(m, params, pool, &err) == AUFACE_OK);
    int compared = 0, same = m != NULL;
    for (int i = -1; m && i < au_clnf_model_num_parts(m); i++)
        same &= i < 0 ? same_sigmas(au_clnf_model_main_const(alone),
                                    au_clnf_model_main_const(m), &compared)
                      : same_sigmas(&au_clnf_model_part_const(alone, i)->clnf,
                                    &au_clnf_model_part_const(m, i)->clnf, &compared);
    CHECK(same && compared > 1000);
    printf("  Σ prepared on 3 threads: %d matrices, %s\n", compared,
           same ? "bit-identical" : "DIFFERENT");
    au_clnf_model_free(m);

    /* one expert whose Σ⁻¹ is not positive definite: the pool skips it, the message names it */
    m = NULL;
    CHECK(au_clnf_model_load(&m, MAIN_MODEL, &err) == AUFACE_OK);
    if (m) {
        au_ccnf_expert *bad = &au_clnf_model_main(m)->scales[1].experts[0 * 68 + 30];
        for (int k = 0; k < bad->num_neurons; k++)
            bad->alpha[k] = -1e6;
        CHECK(au_clnf_prepare_model(m, params, pool, &err) == AUFACE_ERR_FORMAT);
        CHECK(strstr(err.msg, "scale 1, view 0, landmark 30") != NULL);
        printf("  a failing Σ on the pool: %s\n", err.msg);
    }
    au_clnf_model_free(m);
    au_task_pool_free(pool);
}

int main(void)
{
    au_err err;
    au_clnf_model *m = NULL;
    au_clnf_params params;
    au_clnf_params_default(&params);
    CHECK(au_clnf_model_load(&m, MAIN_MODEL, &err) == AUFACE_OK);
    CHECK(m && au_clnf_prepare_model(m, &params, NULL, &err) == AUFACE_OK);
    if (m)
        check_pooled_preparation(m, &params);
    au_clnf_fitter *f = NULL;
    CHECK(m && au_clnf_fitter_create(&f, m, &params, &err) == AUFACE_OK);
    if (!f)
        return check_report("test_clnf_fit_threads");

    static au_clnf_fit_result alone[3], pooled[3];
    CHECK(run_fits(f, &params, alone));
    CHECK(alone[1].fit_ok && alone[1].parts_used && alone[2].fit_ok && alone[2].parts_used);
    for (int threads = 2; threads <= 4; threads += 2) {
        au_task_pool *pool = NULL;
        CHECK(au_task_pool_create(&pool, threads, &err) == AUFACE_OK);
        CHECK(au_clnf_fitter_use_pool(f, pool, &err) == AUFACE_OK);
        CHECK(run_fits(f, &params, pooled));
        for (int k = 0; k < 3; k++)
            CHECK(memcmp(&alone[k], &pooled[k], sizeof alone[k]) == 0);
        printf("  %d threads: frame 1 detection and frames 100, 200 tracked: %s\n", threads,
               memcmp(alone, pooled, sizeof alone) == 0 ? "bit-identical" : "DIFFERENT");
        CHECK(au_clnf_fitter_use_pool(f, NULL, &err) == AUFACE_OK); /* detach before free */
        au_task_pool_free(pool);
    }
    CHECK(run_fits(f, &params, pooled)); /* alone again after detaching */
    CHECK(memcmp(alone, pooled, sizeof alone) == 0);
    au_clnf_fitter_free(f);
    au_clnf_model_free(m);
    return check_report("test_clnf_fit_threads");
}
