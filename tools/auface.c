/* auface: OpenFace 2.2-compatible Action Units from video, on the command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "auface.h"
#include "cli_args.h"
#include "io/atomic_file.h"
#include "pipeline/batch.h"

/* Progress of the current input, for the terminal line and the JSON stream. */
typedef struct progress_state {
    int tty;              /* draw a progress line on stderr */
    int json;             /* JSON lines on stdout */
    int index, count;     /* input k of n (1-based k) */
    const char *input;
    struct timespec start;
} progress_state;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

/* Writes `s` as a JSON string (quotes and escapes). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static int show_progress(void *user, long done, long total)
{
    progress_state *ps = user;
    if (done % 10 != 0 && done != total)
        return 0;
    double s = seconds_since(&ps->start);
    double fps = s > 0 ? (double)done / s : 0.0;
    double eta = (total > 0 && fps > 0) ? (double)(total - done) / fps : -1.0;
    if (ps->tty) {
        fprintf(stderr, "\r[%d/%d] %s: frame %ld", ps->index, ps->count, ps->input, done);
        if (total > 0)
            fprintf(stderr, "/%ld", total);
        fprintf(stderr, "  %.1f frames/s", fps);
        if (eta >= 0)
            fprintf(stderr, "  ETA %.0f s", eta);
        fputs("   ", stderr);
    }
    if (ps->json) {
        printf("{\"event\":\"progress\",\"index\":%d,\"count\":%d,\"input\":", ps->index,
               ps->count);
        json_string(stdout, ps->input);
        printf(",\"frames_done\":%ld,\"frames_total\":%ld,\"fps\":%.2f,\"eta_s\":%.1f}\n", done,
               total, fps, eta);
        fflush(stdout);
    }
    return 0;
}

static void report_json(const progress_state *ps, const char *status, const auface_summary *sum,
                        const char *error)
{
    if (!ps->json)
        return;
    printf("{\"event\":\"done\",\"index\":%d,\"count\":%d,\"input\":", ps->index, ps->count);
    json_string(stdout, ps->input);
    printf(",\"status\":\"%s\",\"frames\":%ld,\"frames_succeeded\":%ld,\"seconds\":%.3f",
           status, sum ? sum->frames : 0, sum ? sum->frames_succeeded : 0,
           sum ? sum->seconds : 0.0);
    if (error) {
        printf(",\"error\":");
        json_string(stdout, error);
    }
    printf("}\n");
    fflush(stdout);
}

/* Creates the folder holding `path` (one level), as OpenFace creates processed/. */
static int ensure_parent_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 1;
    *slash = '\0';
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return 1;
    fprintf(stderr, "auface: cannot create folder %s: %s\n", dir, strerror(errno));
    return 0;
}

static void configure(const au_cli_args *args, auface_config *cfg)
{
    auface_config_default(cfg);
    cfg->models_dir = args->models;
    cfg->au_static = args->au_static;
    if (args->outputs)
        cfg->outputs = args->outputs;
    if (args->detect_interval)
        cfg->detect_interval = (int)args->detect_interval;
    if (args->workers > 0)
        cfg->workers = (int)args->workers;
    if (args->batch_size > 0)
        cfg->batch_size = (int)args->batch_size;
    if (args->landmarks && strcmp(args->landmarks, "clnf") == 0)
        cfg->landmarks = AUFACE_LANDMARKS_CLNF;
    if (args->detector)
        cfg->detector = strcmp(args->detector, "yunet") == 0   ? AUFACE_DETECTOR_YUNET
                        : strcmp(args->detector, "mtcnn") == 0 ? AUFACE_DETECTOR_MTCNN
                                                               : AUFACE_DETECTOR_RETINAFACE;
}

typedef struct tally {
    int done, skipped, failed;
} tally;

static void process_item(auface_pipeline *p, const au_cli_args *args, const au_batch_item *it,
                         progress_state *ps, tally *t)
{
    if (it->complete) {
        if (!args->quiet)
            fprintf(stderr, "auface: [%d/%d] %s: skipped, %s exists (--overwrite redoes it)\n",
                    ps->index, ps->count, it->input, it->csv);
        report_json(ps, "skipped", NULL, NULL);
        t->skipped++;
        return;
    }
    if (!ensure_parent_dir(it->csv)) {
        report_json(ps, "failed", NULL, "cannot create the output folder");
        t->failed++;
        return;
    }
    /* An interrupted earlier run may have left its temporary files here. */
    au_atomic_remove_stale(it->csv);
    au_atomic_remove_stale(it->hog);
    auface_job job = {
        .input = it->input,
        .output_csv = it->csv,
        .landmarks_csv = args->landmarks_from,
        .output_hog = it->hog,
        .aligned_dir = it->aligned,
        .max_frames = args->max_frames,
    };
    clock_gettime(CLOCK_MONOTONIC, &ps->start);
    auface_summary sum;
    auface_status st = auface_process_video(p, &job, show_progress, ps, &sum);
    if (ps->tty)
        fputc('\n', stderr);
    if (st != AUFACE_OK) {
        fprintf(stderr, "auface: [%d/%d] %s\n", ps->index, ps->count, auface_pipeline_errmsg(p));
        t->failed++;
    } else {
        t->done++;
    }
    if (sum.frames > 0 && !args->quiet)
        fprintf(stderr, "auface: [%d/%d] %s: %ld frames (%ld with a face) in %.2f s "
                "(%.1f frames/s) -> %s\n", ps->index, ps->count, it->input, sum.frames,
                sum.frames_succeeded, sum.seconds,
                sum.seconds > 0 ? (double)sum.frames / sum.seconds : 0.0, it->csv);
    report_json(ps, st == AUFACE_OK ? "ok" : "failed", &sum,
                st == AUFACE_OK ? NULL : auface_pipeline_errmsg(p));
}

static int run(const au_cli_args *args)
{
    au_batch_options bo = {
        .videos = args->videos,
        .n_videos = args->n_videos,
        .video_dir = args->video_dir,
        .video_list = args->video_list,
        .out_dir = args->out_dir,
        .output = args->output,
        .hog = args->hog,
        .aligned = args->aligned,
        .write_hog = args->write_hog,
        .write_aligned = args->write_aligned,
        .overwrite = args->overwrite,
        .shard_index = args->shard_index,
        .shard_count = args->shard_count,
    };
    au_batch plan;
    au_err err;
    if (au_batch_plan(&bo, &plan, &err) != AUFACE_OK) {
        fprintf(stderr, "auface: %s\n", err.msg);
        return 2;
    }
    auface_config cfg;
    configure(args, &cfg);
    auface_pipeline *p = NULL;
    auface_status st = auface_pipeline_create(&cfg, &p);
    if (st != AUFACE_OK) {
        fprintf(stderr, "auface: %s\n", p ? auface_pipeline_errmsg(p) : auface_strerror(st));
        auface_pipeline_destroy(p);
        au_batch_free(&plan);
        return 1;
    }
    tally t = {0};
    progress_state ps = {.tty = !args->quiet && isatty(STDERR_FILENO),
                         .json = args->progress_json,
                         .count = plan.count};
    for (int i = 0; i < plan.count; i++) {
        ps.index = i + 1;
        ps.input = plan.items[i].input;
        process_item(p, args, &plan.items[i], &ps, &t);
    }
    if (plan.count > 1 && !args->quiet)
        fprintf(stderr, "auface: %d inputs: %d processed, %d skipped, %d failed\n", plan.count,
                t.done, t.skipped, t.failed);
    auface_pipeline_destroy(p);
    au_batch_free(&plan);
    return t.failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    au_cli_args args;
    char msg[512];
    if (!au_cli_parse(argc, argv, &args, msg, sizeof msg)) {
        fprintf(stderr, "auface: %s\n", msg);
        au_cli_free(&args);
        return 2;
    }
    int rc = 0;
    if (args.help) {
        au_cli_usage(stdout);
    } else if (args.version) {
        printf("auface %s\n", auface_version());
    } else {
        /* auface reports decoding problems itself, naming the file; FFmpeg's own console
         * chatter (process-wide, so set here and not in the library) would only add noise. */
        av_log_set_level(AV_LOG_FATAL);
        rc = run(&args);
    }
    au_cli_free(&args);
    return rc;
}
