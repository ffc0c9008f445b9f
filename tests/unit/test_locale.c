/* The library reads and writes numbers with '.' decimals whatever locale the application
 * chose: a program that set a German locale (decimal comma) creates pipelines, reads text
 * models and landmark CSVs, and writes byte for byte the CSV it writes in the "C" locale;
 * its own locale is untouched afterwards and in force inside its progress callback. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auface.h"
#include "check.h"
#include "test_files.h"

#define GERMAN "de_DE.UTF-8"

typedef struct variant {
    const char *name;
    auface_landmarks landmarks;
    int workers;
    const char *landmarks_csv;
} variant;

/* 1 when the calling thread prints 0.5 with a decimal comma. */
static int thread_uses_comma(void)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%.1f", 0.5);
    return strcmp(buf, "0,5") == 0;
}

static int progress_saw_comma;

static int check_progress_locale(void *user, long done, long total)
{
    (void)user;
    (void)total;
    if (done == 1)
        progress_saw_comma = thread_uses_comma();
    return 0;
}

/* Runs one variant on the first frames of default.wmv into `csv` (and its results into
 * `results_csv`); returns the job's status. */
static auface_status run_variant(const variant *v, const char *csv, const char *results_csv)
{
    auface_config cfg;
    auface_config_default(&cfg);
    cfg.models_dir = SHARED("models");
    cfg.landmarks = v->landmarks;
    cfg.workers = v->workers;
    auface_pipeline *p = NULL;
    auface_status st = auface_pipeline_create(&cfg, &p);
    if (st != AUFACE_OK)
        fprintf(stderr, "%s: create: %s\n", v->name, p ? auface_pipeline_errmsg(p) : "");
    auface_results *results = NULL;
    if (st == AUFACE_OK) {
        auface_job job = {.input = SHARED("media/default.wmv"), .output_csv = csv,
                          .landmarks_csv = v->landmarks_csv, .max_frames = 12,
                          .results = &results};
        st = auface_process_video(p, &job, check_progress_locale, NULL, NULL);
        if (st != AUFACE_OK)
            fprintf(stderr, "%s: job: %s\n", v->name, auface_pipeline_errmsg(p));
    }
    char msg[256];
    if (st == AUFACE_OK)
        st = auface_results_write_csv(results, results_csv, msg, sizeof msg);
    auface_results_free(results);
    auface_pipeline_destroy(p);
    return st;
}

static int same_file(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    char *ca = test_read_file(a, &na), *cb = test_read_file(b, &nb);
    int same = ca && cb && na == nb && na > 100 && memcmp(ca, cb, na) == 0;
    free(ca);
    free(cb);
    return same;
}

int main(void)
{
    if (!setlocale(LC_ALL, GERMAN)) {
        printf("test_locale: SKIPPED: the locale %s is not installed (generate it with "
               "locale-gen, as .ci/run does)\n", GERMAN);
        return 0;
    }
    setlocale(LC_ALL, "C");
    char dir[64];
    CHECK(test_make_temp_dir(dir, sizeof dir, "auface_test_locale") != NULL);
    const variant variants[] = {
        {"pfld-1", AUFACE_LANDMARKS_PFLD, 1, NULL},
        {"pfld-2", AUFACE_LANDMARKS_PFLD, 2, NULL},
        {"clnf-2", AUFACE_LANDMARKS_CLNF, 2, NULL},
        {"replay-2", AUFACE_LANDMARKS_PFLD, 2,
         SHARED("reference/openface-2.2/default/default_landmarks.csv")},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        const variant *v = &variants[i];
        char c_csv[256], de_csv[256], c_res[256], de_res[256];
        snprintf(c_csv, sizeof c_csv, "%s/%s.c.csv", dir, v->name);
        snprintf(de_csv, sizeof de_csv, "%s/%s.de.csv", dir, v->name);
        snprintf(c_res, sizeof c_res, "%s/%s.c.results.csv", dir, v->name);
        snprintf(de_res, sizeof de_res, "%s/%s.de.results.csv", dir, v->name);

        setlocale(LC_ALL, "C");
        CHECK(run_variant(v, c_csv, c_res) == AUFACE_OK);
        CHECK(!thread_uses_comma());

        CHECK(setlocale(LC_ALL, GERMAN) != NULL);
        progress_saw_comma = 0;
        CHECK(run_variant(v, de_csv, de_res) == AUFACE_OK);
        CHECK(thread_uses_comma());   /* the caller's locale is back */
        CHECK(progress_saw_comma);    /* and was in force in the callback */
        setlocale(LC_ALL, "C");

        int same = same_file(c_csv, de_csv) && same_file(c_res, de_res);
        if (!same)
            fprintf(stderr, "%s: outputs differ between the C and %s locales\n", v->name,
                    GERMAN);
        CHECK(same);
    }
    test_remove_tree(dir);
    return check_report("test_locale");
}
