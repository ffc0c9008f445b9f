/* process_video.c — the smallest complete program built on the auface library.
 *
 * It computes OpenFace 2.2's per-frame output (AU intensities and presences, pose,
 * landmarks) for one video and writes it as a CSV, showing progress on the way:
 *
 *     process_video [--models DIR] [--max-frames N] VIDEO OUTPUT.csv
 *
 * Build it against an installed auface (see examples/README.md):
 *
 *     cc process_video.c $(pkg-config --cflags --libs auface) -o process_video
 *
 * Copy it and change what you need: everything it uses is declared in <auface.h>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <auface.h>

/* Progress callback: auface calls it after every frame, in frame order. `user` is the
 * pointer given to auface_process_video; `total` is -1 when the container does not say how
 * many frames the video has. Returning non-zero would stop the job early (the frames done so
 * far are still written), e.g. when the user cancels. */
static int show_progress(void *user, long frames_done, long total)
{
    const char *video = user;
    if (frames_done % 25 == 0 || frames_done == total) {
        if (total > 0)
            fprintf(stderr, "\r%s: frame %ld of %ld", video, frames_done, total);
        else
            fprintf(stderr, "\r%s: frame %ld", video, frames_done);
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: process_video [--models DIR] [--max-frames N] VIDEO OUTPUT.csv\n");
    return 2;
}

int main(int argc, char **argv)
{
    /* 1. Configure. auface_config_default gives OpenFace's defaults (dynamic AU models,
     *    every CSV column) and uses all CPUs; the output does not depend on the number of
     *    workers, only the speed does. */
    auface_config cfg;
    auface_config_default(&cfg);

    const char *video = NULL, *output = NULL;
    long max_frames = 0; /* 0 = the whole video */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--models") == 0 && i + 1 < argc) {
            cfg.models_dir = argv[++i]; /* NULL (the default) searches the usual places */
        } else if (strcmp(argv[i], "--max-frames") == 0 && i + 1 < argc) {
            char *end;
            max_frames = strtol(argv[++i], &end, 10);
            if (*end != '\0' || max_frames < 0)
                return usage();
        } else if (!video) {
            video = argv[i];
        } else if (!output) {
            output = argv[i];
        } else {
            return usage();
        }
    }
    if (!video || !output)
        return usage();

    /* 2. Create a pipeline: this loads the models once. Reuse the pipeline for every video
     *    you process; use one pipeline per thread if you process videos in several threads.
     *    On failure the pipeline is usually still created so that it can explain why. */
    auface_pipeline *pipeline = NULL;
    auface_status status = auface_pipeline_create(&cfg, &pipeline);
    if (status != AUFACE_OK) {
        fprintf(stderr, "process_video: %s\n",
                pipeline ? auface_pipeline_errmsg(pipeline) : auface_strerror(status));
        auface_pipeline_destroy(pipeline); /* NULL is fine */
        return 1;
    }

    /* 3. Describe the job: what to read and what to write. Fields left at zero/NULL are not
     *    wanted (no .hog file, no aligned faces, auface's own landmarks, every frame). */
    auface_job job = {0};
    job.input = video;
    job.output_csv = output; /* written to a temporary file, renamed when complete */
    job.max_frames = max_frames;

    /* 4. Process. The summary says how many frames were written and where the time went. */
    auface_summary summary;
    status = auface_process_video(pipeline, &job, show_progress, (void *)video, &summary);
    fputc('\n', stderr);
    if (status != AUFACE_OK) {
        /* auface_strerror names the kind of failure, auface_pipeline_errmsg the details
         * (which file, which frame). */
        fprintf(stderr, "process_video: %s: %s\n", auface_strerror(status),
                auface_pipeline_errmsg(pipeline));
        auface_pipeline_destroy(pipeline);
        return 1;
    }

    /* 5. Report. Stage times are summed over the worker threads, so with several workers
     *    they add up to more than the wall-clock time. */
    printf("%s: %ld frames, %ld with a face, in %.2f s (%.1f frames/s) -> %s\n", video,
           summary.frames, summary.frames_succeeded, summary.seconds,
           summary.seconds > 0 ? (double)summary.frames / summary.seconds : 0.0, output);
    for (int s = 0; s < AUFACE_STAGE_COUNT; s++)
        printf("  %-11s %8.3f s\n", auface_stage_name((auface_stage)s),
               summary.stage_seconds[s]);

    /* 6. Free the models and buffers. */
    auface_pipeline_destroy(pipeline);
    return 0;
}
