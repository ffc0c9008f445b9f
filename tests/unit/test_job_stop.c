/* A stop asked by the progress callback: by default the job succeeds with the frames done
 * (as max_frames); with stop_cancels it is a cancellation (AUFACE_ERR_CANCELLED) that
 * leaves nothing under the output names, only the partial CSV when one is asked for. Single
 * face and several faces (whose pass 1 is stopped). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auface.h"
#include "check.h"

#define STOP_AFTER 5

static int stop_after_five(void *user, long frames_done, long total)
{
    (void)user, (void)total;
    return frames_done >= STOP_AFTER;
}

/* Lines in `path` (-1 when it cannot be opened). */
static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

static void run(auface_pipeline *p, const char *dir, int cancels)
{
    char csv[512], partial[512];
    snprintf(csv, sizeof csv, "%s/out.csv", dir);
    snprintf(partial, sizeof partial, "%s/out.partial.csv", dir);
    auface_results *results = NULL;
    auface_job job = {.input = SHARED("media/default.wmv"), .output_csv = csv,
                      .results = &results, .partial_csv = partial, .stop_cancels = cancels};
    auface_summary sum;
    auface_status st = auface_process_video(p, &job, stop_after_five, NULL, &sum);
    if (!cancels) {
        CHECK(st == AUFACE_OK);
        CHECK(count_lines(csv) == 1 + STOP_AFTER);
        CHECK(results && auface_results_rows(results) == STOP_AFTER);
    } else {
        CHECK(st == AUFACE_ERR_CANCELLED);
        CHECK(strstr(auface_pipeline_errmsg(p), "cancelled") != NULL);
        CHECK(access(csv, F_OK) != 0);
        CHECK(results == NULL);
    }
    auface_results_free(results);
    unlink(csv);
    unlink(partial);
}

static void test_stop(int max_faces)
{
    auface_config cfg;
    auface_config_default(&cfg);
    cfg.models_dir = SHARED("models");
    cfg.workers = 2;
    cfg.max_faces = max_faces;
    auface_pipeline *p = NULL;
    CHECK(auface_pipeline_create(&cfg, &p) == AUFACE_OK);
    char dir[] = "/tmp/auface_test_job_stop_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    if (p) {
        run(p, dir, 0);
        run(p, dir, 1);
        run(p, dir, 0); /* a cancelled job leaves the pipeline usable */
    }
    rmdir(dir);
    auface_pipeline_destroy(p);
}

int main(void)
{
    CHECK(strcmp(auface_strerror(AUFACE_ERR_CANCELLED), "cancelled") == 0);
    test_stop(1);
    test_stop(2);
    return check_report("test_job_stop");
}
