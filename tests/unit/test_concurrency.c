/* Several pipelines in one process at the same time: no shared mutable state, so two
 * threads running their own pipelines write the same bytes as one pipeline alone. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auface.h"
#include "check.h"
#include "test_files.h"

typedef struct job_arg {
    const char *csv;
    int workers;
    auface_status status;
} job_arg;

static void *run_pipeline(void *arg)
{
    job_arg *ja = arg;
    auface_config cfg;
    auface_config_default(&cfg);
    cfg.models_dir = SHARED("models");
    cfg.workers = ja->workers;
    auface_pipeline *p = NULL;
    ja->status = auface_pipeline_create(&cfg, &p);
    if (ja->status == AUFACE_OK) {
        auface_job job = {.input = SHARED("media/default.wmv"), .output_csv = ja->csv,
                          .max_frames = 90};
        ja->status = auface_process_video(p, &job, NULL, NULL, NULL);
    }
    auface_pipeline_destroy(p);
    return NULL;
}

int main(void)
{
    char dir[64];
    CHECK(test_make_temp_dir(dir, sizeof dir, "auface_test_concurrency") != NULL);
    char alone[256], a[256], b[256];
    snprintf(alone, sizeof alone, "%s/alone.csv", dir);
    snprintf(a, sizeof a, "%s/a.csv", dir);
    snprintf(b, sizeof b, "%s/b.csv", dir);

    job_arg ref = {alone, 1, AUFACE_ERR_INTERNAL};
    run_pipeline(&ref);
    CHECK(ref.status == AUFACE_OK);

    /* one sequential and one parallel pipeline at the same time */
    job_arg ja = {a, 1, AUFACE_ERR_INTERNAL}, jb = {b, 2, AUFACE_ERR_INTERNAL};
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, run_pipeline, &ja) == 0);
    CHECK(pthread_create(&tb, NULL, run_pipeline, &jb) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(ja.status == AUFACE_OK && jb.status == AUFACE_OK);

    size_t n0 = 0, na = 0, nb = 0;
    char *c0 = test_read_file(alone, &n0), *ca = test_read_file(a, &na),
         *cb = test_read_file(b, &nb);
    CHECK(c0 && ca && cb);
    CHECK(n0 > 1000 && n0 == na && n0 == nb);
    if (c0 && ca && cb && n0 == na && n0 == nb) {
        CHECK(memcmp(c0, ca, n0) == 0);
        CHECK(memcmp(c0, cb, n0) == 0);
    }
    free(c0);
    free(ca);
    free(cb);
    test_remove_tree(dir);
    return check_report("test_concurrency");
}
