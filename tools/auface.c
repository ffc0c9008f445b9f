/* auface: OpenFace 2.2-compatible Action Units from video, on the command line. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "auface.h"
#include "cli_args.h"

typedef struct progress_state {
    int enabled;
    struct timespec start;
} progress_state;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static int show_progress(void *user, long done, long total)
{
    progress_state *ps = user;
    if (!ps->enabled || (done % 10 != 0 && done != total))
        return 0;
    double s = seconds_since(&ps->start);
    double fps = s > 0 ? (double)done / s : 0.0;
    if (total > 0)
        fprintf(stderr, "\rframe %ld/%ld  %.1f frames/s  ETA %.0f s   ", done, total, fps,
                fps > 0 ? (double)(total - done) / fps : 0.0);
    else
        fprintf(stderr, "\rframe %ld  %.1f frames/s   ", done, fps);
    return 0;
}

/* OpenFace's default: processed/<input name without extension>.csv */
static char *default_output(const char *input)
{
    char *copy = strdup(input);
    if (!copy)
        return NULL;
    size_t len = strlen(copy);
    while (len > 1 && copy[len - 1] == '/')
        copy[--len] = '\0';
    char *base = basename(copy);
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = '\0';
    if (mkdir("processed", 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "auface: cannot create folder processed/: %s\n", strerror(errno));
        free(copy);
        return NULL;
    }
    size_t cap = strlen(base) + 16;
    char *out = malloc(cap);
    if (out)
        snprintf(out, cap, "processed/%s.csv", base);
    free(copy);
    return out;
}

int main(int argc, char **argv)
{
    au_cli_args args;
    char msg[512];
    if (!au_cli_parse(argc, argv, &args, msg, sizeof msg)) {
        fprintf(stderr, "auface: %s\n", msg);
        return 2;
    }
    if (args.help) {
        au_cli_usage(stdout);
        return 0;
    }
    if (args.version) {
        printf("auface %s\n", auface_version());
        return 0;
    }

    /* auface reports decoding problems itself, naming the file; FFmpeg's own console
     * chatter (process-wide, so set here and not in the library) would only add noise. */
    av_log_set_level(AV_LOG_FATAL);

    auface_config cfg;
    auface_config_default(&cfg);
    cfg.models_dir = args.models;
    cfg.au_static = args.au_static;
    if (args.outputs)
        cfg.outputs = args.outputs;
    if (args.detect_interval)
        cfg.detect_interval = (int)args.detect_interval;
    if (args.workers > 0)
        cfg.workers = (int)args.workers;
    if (args.batch_size > 0)
        cfg.batch_size = (int)args.batch_size;
    if (args.detector && strcmp(args.detector, "yunet") == 0)
        cfg.detector = AUFACE_DETECTOR_YUNET;

    char *owned_output = NULL;
    const char *output = args.output;
    if (!output && !(output = owned_output = default_output(args.video)))
        return 1;

    auface_pipeline *p = NULL;
    auface_status st = auface_pipeline_create(&cfg, &p);
    if (st != AUFACE_OK) {
        fprintf(stderr, "auface: %s\n", p ? auface_pipeline_errmsg(p) : auface_strerror(st));
        auface_pipeline_destroy(p);
        free(owned_output);
        return 1;
    }

    auface_job job = {
        .input = args.video,
        .output_csv = output,
        .landmarks_csv = args.landmarks_from,
        .output_hog = args.hog,
        .aligned_dir = args.aligned,
        .max_frames = args.max_frames,
    };
    progress_state ps = {.enabled = !args.quiet && isatty(STDERR_FILENO)};
    clock_gettime(CLOCK_MONOTONIC, &ps.start);
    auface_summary sum = {0};
    st = auface_process_video(p, &job, show_progress, &ps, &sum);
    if (ps.enabled)
        fputc('\n', stderr);
    int rc = 0;
    if (st != AUFACE_OK) {
        fprintf(stderr, "auface: %s\n", auface_pipeline_errmsg(p));
        rc = 1;
    }
    if (sum.frames > 0 && !args.quiet)
        fprintf(stderr, "auface: %s: %ld frames (%ld with a face%s) in %.2f s -> %s\n",
                args.video, sum.frames, sum.frames_succeeded,
                sum.frames_failed_decode ? ", some undecodable frames skipped" : "",
                sum.seconds, output);
    auface_pipeline_destroy(p);
    free(owned_output);
    return rc;
}
