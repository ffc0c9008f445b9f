/* The CLNF fit on a task pool (landmark/clnf_fit with au_clnf_fitter_use_pool): the
 * per-landmark responses and the part models computed on 2 and 4 threads give the same bits
 * as on the calling thread alone, for the 11-hypothesis detection of frame 1 of default.wmv
 * and for tracked fits of frames 100 and 200 (main model, parts and refit); a pool can be
 * attached and detached. */
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

int main(void)
{
    au_err err;
    au_clnf_model *m = NULL;
    au_clnf_params params;
    au_clnf_params_default(&params);
    CHECK(au_clnf_model_load(&m, MAIN_MODEL, &err) == AUFACE_OK);
    CHECK(m && au_clnf_prepare_model(m, &params, &err) == AUFACE_OK);
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
