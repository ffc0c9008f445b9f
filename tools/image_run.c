#include "image_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/atomic_file.h"
#include "json_out.h"
#include "tool_files.h"

/* What the completion callback needs to report an image. */
typedef struct image_report {
    const au_cli_args *args;
    const au_batch *plan;
    const int *plan_index;     /* job i is plan item plan_index[i] */
    au_image_tally *tally;
    double first_start;        /* when the first image to finish started (0: none yet), so
                                  the images/s leave out the models' loading */
} image_report;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void report_json(const image_report *r, int item, const char *status,
                        const auface_summary *sum, const char *error)
{
    if (!r->args->progress_json)
        return;
    printf("{\"event\":\"done\",\"index\":%d,\"count\":%d,\"input\":", item + 1,
           r->plan->count);
    au_json_string(stdout, r->plan->items[item].input);
    printf(",\"status\":\"%s\",\"faces\":%ld,\"faces_accepted\":%ld,\"seconds\":%.3f", status,
           sum ? sum->frames : 0, sum ? sum->frames_succeeded : 0, sum ? sum->seconds : 0.0);
    if (error) {
        printf(",\"error\":");
        au_json_string(stdout, error);
    }
    printf("}\n");
    fflush(stdout);
}

/* auface_image_done_fn: one image finished (called one at a time). */
static void image_done(void *user, int index, auface_status status,
                       const auface_summary *sum, const char *errmsg)
{
    image_report *r = user;
    const int item = r->plan_index[index];
    if (r->first_start == 0.0)
        r->first_start = now_seconds() - (sum ? sum->seconds : 0.0);
    const au_batch_item *it = &r->plan->items[item];
    const int quiet = r->args->quiet;
    if (status != AUFACE_OK) {
        fprintf(stderr, "auface: [%d/%d] %s\n", item + 1, r->plan->count, errmsg);
        r->tally->failed++;
        report_json(r, item, "failed", sum, errmsg);
        return;
    }
    r->tally->done++;
    r->tally->faces += sum->frames;
    if (sum->frames == 0) {
        /* OpenFace writes nothing here; say so, so a dataset run shows these images. */
        r->tally->no_face++;
        if (!quiet)
            fprintf(stderr, "auface: [%d/%d] %s: no face found (header-only %s)\n", item + 1,
                    r->plan->count, it->input, it->csv);
        report_json(r, item, "no_face", sum, NULL);
        return;
    }
    if (!quiet)
        fprintf(stderr, "auface: [%d/%d] %s: %ld face(s), %ld accepted, %.3f s -> %s\n",
                item + 1, r->plan->count, it->input, sum->frames, sum->frames_succeeded,
                sum->seconds, it->csv);
    report_json(r, item, "ok", sum, NULL);
}

/* 1 when item `i` is to be processed; a finished image is reported as skipped, one whose
 * output folder cannot be made as failed. */
static int needs_processing(const image_report *r, int i)
{
    const au_batch_item *it = &r->plan->items[i];
    if (!it->complete) {
        if (au_tool_ensure_parent_dir(it->csv))
            return 1;
        report_json(r, i, "failed", NULL, "cannot create the output folder");
        r->tally->failed++;
        return 0;
    }
    if (!r->args->quiet)
        fprintf(stderr, "auface: [%d/%d] %s: skipped, %s exists (--overwrite redoes it)\n",
                i + 1, r->plan->count, it->input, it->csv);
    report_json(r, i, "skipped", NULL, NULL);
    r->tally->skipped++;
    return 0;
}

void au_run_images(auface_pipeline *p, const au_cli_args *args, const au_batch *plan,
                   au_image_tally *tally)
{
    if (args->landmarks_from) /* replayed landmarks: a one-frame video (process_item) */
        return;
    auface_image_job *jobs = calloc((size_t)plan->count + 1, sizeof *jobs);
    int *plan_index = calloc((size_t)plan->count + 1, sizeof *plan_index);
    image_report r = {args, plan, plan_index, tally, 0.0};
    if (!jobs || !plan_index) {
        fprintf(stderr, "auface: out of memory for %d images\n", plan->count);
        tally->failed++;
        free(jobs);
        free(plan_index);
        return;
    }
    int n = 0;
    for (int i = 0; i < plan->count; i++) {
        const au_batch_item *it = &plan->items[i];
        if (!it->image || !needs_processing(&r, i))
            continue;
        /* An interrupted earlier run may have left its temporary files here. */
        au_atomic_remove_stale(it->csv);
        au_atomic_remove_stale(it->hog);
        jobs[n] = (auface_image_job){.input = it->input, .output_csv = it->csv,
                                     .output_hog = it->hog, .aligned_dir = it->aligned};
        plan_index[n++] = i;
    }
    double t0 = now_seconds();
    auface_process_images(p, jobs, n, image_done, &r);
    double end = now_seconds();
    double seconds = r.first_start > 0.0 ? end - r.first_start : end - t0;
    if (n > 0 && !args->quiet)
        fprintf(stderr, "auface: %d image(s), %ld face(s), %d without a face, in %.2f s "
                "(%.1f images/s; models loaded in %.2f s before)\n", n, tally->faces,
                tally->no_face, seconds, seconds > 0 ? (double)n / seconds : 0.0,
                r.first_start > 0.0 ? r.first_start - t0 : 0.0);
    free(jobs);
    free(plan_index);
}

/* ---- --combine ------------------------------------------------------------------------ */

/* Writes `path` as a CSV field: quoted (quotes doubled) when it holds a separator, a
 * quote, a line break or a leading space. */
static void write_path_field(FILE *f, const char *path)
{
    if (!strpbrk(path, ",\"\n\r") && path[0] != ' ') {
        fputs(path, f);
        return;
    }
    fputc('"', f);
    for (const char *c = path; *c; c++) {
        if (*c == '"')
            fputc('"', f);
        fputc(*c, f);
    }
    fputc('"', f);
}

/* Appends one image's CSV (rows prefixed with its path); the first header read is written
 * once, later ones must equal it. Returns 1, 0 when the CSV is missing, -1 on a mismatch. */
static int append_image_csv(FILE *out, const au_batch_item *it, char **header, char **line,
                            size_t *cap)
{
    FILE *in = fopen(it->csv, "r");
    if (!in)
        return 0;
    int ok = 1;
    if (getline(line, cap, in) > 0) {
        if (!*header) {
            *header = strdup(*line);
            fprintf(out, "path, %s", *line);
        } else if (strcmp(*header, *line) != 0) {
            ok = -1;
        }
    }
    while (ok == 1 && getline(line, cap, in) > 0) {
        write_path_field(out, it->input);
        fprintf(out, ", %s", *line);
    }
    fclose(in);
    return ok;
}

int au_write_combined(const au_batch *plan, const char *path)
{
    au_atomic_file af;
    au_err err;
    FILE *out = au_atomic_open(&af, path, &err);
    if (!out) {
        fprintf(stderr, "auface: --combine: %s\n", err.msg);
        return 0;
    }
    char *header = NULL, *line = NULL;
    size_t cap = 0;
    int ok = 1, missing = 0;
    for (int i = 0; ok && i < plan->count; i++) {
        const au_batch_item *it = &plan->items[i];
        if (!it->image)
            continue;
        int r = append_image_csv(out, it, &header, &line, &cap);
        if (r == 0)
            missing++;
        if (r < 0) {
            fprintf(stderr, "auface: --combine: %s has other columns than the images before "
                    "it\n", it->csv);
            ok = 0;
        }
    }
    free(header);
    free(line);
    if (!ok) {
        au_atomic_abort(&af);
        return 0;
    }
    if (au_atomic_commit(&af, &err) != AUFACE_OK) {
        fprintf(stderr, "auface: --combine: %s\n", err.msg);
        return 0;
    }
    if (missing)
        fprintf(stderr, "auface: --combine: %d image(s) without a CSV (failed) left out of %s\n",
                missing, path);
    return 1;
}
