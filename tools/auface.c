/* auface: OpenFace 2.2-compatible Action Units from video, on the command line. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "tool_memory.h"
#include "auface.h"
#include "cli_args.h"
#include "image_run.h"
#include "json_out.h"
#include "tool_files.h"
#include "common/cpu_count.h"
#include "common/memory_budget.h"
#include "io/atomic_file.h"
#include "io/video_writer.h"
#include "pipeline/batch.h"

/* Progress of the current input, for the terminal line and the JSON stream. */
typedef struct progress_state {
    int tty;              /* draw a progress line on stderr */
    int json;             /* JSON lines on stdout */
    int index, count;     /* input k of n (1-based k) */
    const char *input;
    struct timespec start;
    long announced;       /* frames the input announces (-1 unknown), from the progress */
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
    ps->announced = total;
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
        flockfile(stdout); /* one whole line, whatever other videos print meanwhile */
        printf("{\"event\":\"progress\",\"index\":%d,\"count\":%d,\"input\":", ps->index,
               ps->count);
        au_json_string(stdout, ps->input);
        printf(",\"frames_done\":%ld,\"frames_total\":%ld,\"fps\":%.2f,\"eta_s\":%.1f}\n", done,
               total, fps, eta);
        fflush(stdout);
        funlockfile(stdout);
    }
    return 0;
}

static void report_json(const progress_state *ps, const char *status, const auface_summary *sum,
                        const char *error)
{
    if (!ps->json)
        return;
    flockfile(stdout); /* one whole line, whatever other videos print meanwhile */
    printf("{\"event\":\"done\",\"index\":%d,\"count\":%d,\"input\":", ps->index, ps->count);
    au_json_string(stdout, ps->input);
    printf(",\"status\":\"%s\",\"frames\":%ld,\"frames_succeeded\":%ld,\"seconds\":%.3f",
           status, sum ? sum->frames : 0, sum ? sum->frames_succeeded : 0,
           sum ? sum->seconds : 0.0);
    if (sum)
        printf(",\"workers\":%d,\"frames_failed_decode\":%ld", sum->workers,
               sum->frames_failed_decode);
    if (error) {
        printf(",\"error\":");
        au_json_string(stdout, error);
    }
    printf("}\n");
    fflush(stdout);
    funlockfile(stdout);
}

static void configure(const au_cli_args *args, auface_config *cfg)
{
    auface_config_default(cfg);
    cfg->models_dir = args->models;
    cfg->au_static = args->au_static;
    if (args->outputs)
        cfg->outputs = args->outputs;
    cfg->fx = (float)args->fx;
    cfg->fy = (float)args->fy;
    cfg->cx = (float)args->cx;
    cfg->cy = (float)args->cy;
    if (args->detect_interval)
        cfg->detect_interval = (int)args->detect_interval;
    if (args->workers > 0)
        cfg->workers = (int)args->workers;
    if (args->batch_size > 0)
        cfg->batch_size = (int)args->batch_size;
    if (args->max_memory_mb > 0)
        cfg->max_memory_mb = args->max_memory_mb > INT_MAX ? INT_MAX : (int)args->max_memory_mb;
    if (args->max_faces > 0)
        cfg->max_faces = args->max_faces > INT_MAX ? INT_MAX : (int)args->max_faces;
    cfg->split_faces = args->split_faces;
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

/* Renders the annotated video of a finished job from its results; its time in *seconds. */
static auface_status write_tracked(const au_cli_args *args, const au_batch_item *it,
                                   const auface_results *results, double *seconds,
                                   char *msg, size_t cap)
{
    auface_config cfg;
    configure(args, &cfg);  /* the intrinsics the job used */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    auface_status st = auface_render_tracked(it->input, results, it->tracked, cfg.fx, cfg.fy,
                                             cfg.cx, cfg.cy, msg, cap);
    *seconds = seconds_since(&t0);
    return st;
}

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
    if (!au_tool_ensure_parent_dir(it->csv)) {
        report_json(ps, "failed", NULL, "cannot create the output folder");
        t->failed++;
        return;
    }
    /* An interrupted earlier run may have left its temporary files here. */
    au_atomic_remove_stale(it->csv);
    au_atomic_remove_stale(it->hog);
    au_atomic_remove_stale(it->tracked);
    /* A bad annotated-video path fails now, not after the whole job. */
    au_err bad_tracked;
    if (it->tracked && au_video_writer_check(it->tracked, &bad_tracked) != AUFACE_OK) {
        fprintf(stderr, "auface: [%d/%d] %s\n", ps->index, ps->count, bad_tracked.msg);
        report_json(ps, "failed", NULL, bad_tracked.msg);
        t->failed++;
        return;
    }
    auface_results *results = NULL;   /* kept for the annotated video only */
    char *partial = args->keep_partial ? au_batch_partial_name(it->csv) : NULL;
    au_atomic_remove_stale(partial);
    auface_job job = {
        .input = it->input,
        .output_csv = it->csv,
        .landmarks_csv = args->landmarks_from,
        .output_hog = it->hog,
        .aligned_dir = it->aligned,
        .max_frames = args->max_frames,
        .results = it->tracked ? &results : NULL,
        .partial_csv = partial,
    };
    clock_gettime(CLOCK_MONOTONIC, &ps->start);
    ps->announced = -1;
    auface_summary sum;
    auface_status st = auface_process_video(p, &job, show_progress, ps, &sum);
    if (ps->tty)
        fputc('\n', stderr);
    char tracked_err[1024] = "";
    double tracked_s = 0.0;
    if (st == AUFACE_OK && it->tracked)
        st = write_tracked(args, it, results, &tracked_s, tracked_err, sizeof tracked_err);
    auface_results_free(results);
    const char *errmsg = tracked_err[0] ? tracked_err : auface_pipeline_errmsg(p);
    if (st != AUFACE_OK) {
        fprintf(stderr, "auface: [%d/%d] %s\n", ps->index, ps->count, errmsg);
        t->failed++;
    } else {
        t->done++;
    }
    free(partial);
    /* Only a job that succeeded wrote its CSV: never name an output that is not there. */
    if (st == AUFACE_OK && !args->quiet)
        fprintf(stderr, "auface: [%d/%d] %s: %ld frames (%ld with a face) in %.2f s "
                "(%.1f frames/s) -> %s%s\n", ps->index, ps->count, it->input, sum.frames,
                sum.frames_succeeded, sum.seconds,
                sum.seconds > 0 ? (double)sum.frames / sum.seconds : 0.0, it->csv,
                args->split_faces && args->max_faces > 1 ? " split into one _face<id>.csv "
                                                           "per face" : "");
    if (st == AUFACE_OK && sum.frames_failed_decode > 0)
        fprintf(stderr, "auface: [%d/%d] %s: warning: %ld damaged frame(s) could not be "
                "decoded and were skipped; the CSV has the %ld frames that could\n",
                ps->index, ps->count, it->input, sum.frames_failed_decode, sum.frames);
    /* A container's count can be an estimate from its duration: allow one frame. */
    if (st == AUFACE_OK && ps->announced > 0 && sum.frames + 1 < ps->announced)
        fprintf(stderr, "auface: [%d/%d] %s: warning: the video ended after %ld of the %ld "
                "frames it announces (a truncated file?); the CSV has those %ld frames\n",
                ps->index, ps->count, it->input, sum.frames, ps->announced, sum.frames);
    if (st == AUFACE_OK && sum.frames > 0 && sum.frames_succeeded == 0)
        fprintf(stderr, "auface: [%d/%d] %s: warning: no face was found in any frame (every "
                "row has success 0)\n", ps->index, ps->count, it->input);
    if (st == AUFACE_OK && it->tracked && !args->quiet)
        fprintf(stderr, "auface: [%d/%d] %s: annotated video in %.2f s (%.1f ms/frame) -> %s\n",
                ps->index, ps->count, it->input, tracked_s,
                sum.frames > 0 ? 1000.0 * tracked_s / (double)sum.frames : 0.0, it->tracked);
    report_json(ps, st == AUFACE_OK ? "ok" : "failed", &sum, st == AUFACE_OK ? NULL : errmsg);
}

/* Videos (and replayed-landmark inputs) of the plan, which go through process_item; the
 * other images go to au_run_images. */
static int is_video_item(const au_cli_args *args, const au_batch_item *it)
{
    return !it->image || args->landmarks_from;
}

static int videos_to_process(const au_cli_args *args, const au_batch *plan)
{
    int n = 0;
    for (int i = 0; i < plan->count; i++)
        n += is_video_item(args, &plan->items[i]) && !plan->items[i].complete;
    return n;
}

/* Memory of one more CLNF pipeline on a 640x480 video (models, frames in flight, the AU
 * history), rounded up from the ≈ 125 MB each measured (peak 166 / 294 / 541 MB with 1 / 2
 * / 4 videos at once). */
#define PIPELINE_MB 256

/* How many videos run at once. OpenFace's CLNF tracker must see a video's frames in
 * order, so one CLNF video keeps about two cores busy however many workers it has
 * (2 workers on 2 cores: 1.4-1.55x one worker); several videos at once, each with its
 * share of the workers, use them all (2 videos at once with 1 worker each: 1.85-2.1x,
 * docs/DECISIONS.md). So with --landmarks clnf and several videos the default is one
 * video per worker, as long as their pipelines fit in a quarter of the RAM.
 * A PFLD video spreads over the workers by chunks of --detect-interval frames, so it
 * scales on its own (1.7-1.8x on 2 cores) unless it is short (a 30-frame clip is one chunk:
 * one worker); videos at once still win for a collection (4 long videos on 2 cores: 8 %
 * faster, 12 one-second clips: 1.4-1.6x), but while fewer videos are left than pipelines,
 * a pipeline of one worker runs alone. So PFLD runs one video per worker only from twice
 * as many videos as pipelines on, and one at a time below that. */
static int videos_at_once(const au_cli_args *args, int workers, int videos)
{
    long n = args->parallel_videos;
    if (n == 0) {
        int clnf = args->landmarks && strcmp(args->landmarks, "clnf") == 0;
        size_t ram = au_machine_memory_bytes();
        if (!ram) /* the system does not say: assume 8 GiB */
            ram = (size_t)8192 << 20;
        long fit = (long)(ram / 4 / ((size_t)PIPELINE_MB << 20));
        n = workers < fit ? workers : fit;
        if (!clnf && videos < 2 * n)
            n = 1;
    }
    if (n > videos)
        n = videos;
    return n < 1 ? 1 : (int)n;
}

/* One thread of a run of several videos at once: its own pipeline, taking the next video
 * of the plan until none is left. */
typedef struct video_runner {
    const au_cli_args *args;
    const au_batch *plan;
    auface_pipeline *p;
    atomic_int *next;         /* the next plan index to take, shared by the runners */
    tally t;
    pthread_t thread;
} video_runner;

static void *video_runner_main(void *arg)
{
    video_runner *vr = arg;
    /* no progress line: several videos would overwrite each other's */
    progress_state ps = {.tty = 0, .json = vr->args->progress_json, .count = vr->plan->count};
    for (int i; (i = atomic_fetch_add(vr->next, 1)) < vr->plan->count;) {
        const au_batch_item *it = &vr->plan->items[i];
        if (!is_video_item(vr->args, it))
            continue;
        ps.index = i + 1;
        ps.input = it->input;
        process_item(vr->p, vr->args, it, &ps, &vr->t);
    }
    return NULL;
}

/* The plan's videos, `n` at a time, each pipeline with its share of the workers and of
 * the memory bound; 0 when a pipeline could not be made (message printed). */
static int run_videos_at_once(const au_cli_args *args, const au_batch *plan, int n,
                              int workers, tally *t)
{
    video_runner *vr = calloc((size_t)n, sizeof *vr);
    if (!vr) {
        fprintf(stderr, "auface: out of memory for %d videos at once\n", n);
        return 0;
    }
    auface_config cfg;
    configure(args, &cfg);
    cfg.workers = workers / n > 1 ? workers / n : 1;
    long budget = args->max_memory_mb > 0 ? args->max_memory_mb
                                          : (long)(au_default_frame_budget_bytes() >> 20);
    cfg.max_memory_mb = budget / n > 1 ? (int)(budget / n > INT_MAX ? INT_MAX : budget / n) : 1;
    atomic_int next = 0;
    int made = 0;
    while (made < n) {
        vr[made] = (video_runner){.args = args, .plan = plan, .next = &next};
        if (auface_pipeline_create(&cfg, &vr[made].p) != AUFACE_OK) {
            fprintf(stderr, "auface: %s (videos at once: %d of %d)\n",
                    vr[made].p ? auface_pipeline_errmsg(vr[made].p) : "cannot create a pipeline",
                    made, n);
            auface_pipeline_destroy(vr[made].p);
            break;
        }
        made++;
    }
    if (made > 0 && !args->quiet)
        fprintf(stderr, "auface: %d videos at once, %d worker%s each\n", made, cfg.workers,
                cfg.workers == 1 ? "" : "s");
    int started = 0;
    while (started < made &&
           pthread_create(&vr[started].thread, NULL, video_runner_main, &vr[started]) == 0)
        started++;
    if (made > 0 && started == 0) /* no thread at all: the calling thread does every video */
        video_runner_main(&vr[0]);
    for (int i = 0; i < started; i++)
        pthread_join(vr[i].thread, NULL);
    for (int i = 0; i < made; i++) {
        t->done += vr[i].t.done;
        t->skipped += vr[i].t.skipped;
        t->failed += vr[i].t.failed;
        auface_pipeline_destroy(vr[i].p);
    }
    free(vr);
    return made > 0;
}

static int run(const au_cli_args *args)
{
    au_batch_options bo = {
        .videos = args->videos,
        .n_videos = args->n_videos,
        .video_dir = args->video_dir,
        .video_list = args->video_list,
        .images_dir = args->images_dir,
        .image_list = args->image_list,
        .out_dir = args->out_dir,
        .output = args->output,
        .hog = args->hog,
        .aligned = args->aligned,
        .write_hog = args->write_hog,
        .write_aligned = args->write_aligned,
        .tracked = args->tracked,
        .write_tracked = args->write_tracked,
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
    const int workers = cfg.workers > 0 ? cfg.workers : au_usable_cpus(1024);
    const int at_once = videos_at_once(args, workers, videos_to_process(args, &plan));
    if (at_once > 1) {
        if (!run_videos_at_once(args, &plan, at_once, workers, &t))
            t.failed++;
    } else {
        progress_state ps = {.tty = !args->quiet && isatty(STDERR_FILENO),
                             .json = args->progress_json,
                             .count = plan.count};
        for (int i = 0; i < plan.count; i++) {
            if (!is_video_item(args, &plan.items[i])) /* below, on the workers at once */
                continue;
            ps.index = i + 1;
            ps.input = plan.items[i].input;
            process_item(p, args, &plan.items[i], &ps, &t);
        }
    }
    au_image_tally images = {0};
    au_run_images(p, args, &plan, &images);
    t.done += images.done;
    t.skipped += images.skipped;
    t.failed += images.failed;
    if (args->combine && !au_write_combined(&plan, args->combine))
        t.failed++;
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
    au_tool_limit_malloc_arenas();
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
