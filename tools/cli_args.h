/* Command-line parsing of the `auface` tool (kept apart from main so it can be tested). */
#ifndef AU_TOOLS_CLI_ARGS_H
#define AU_TOOLS_CLI_ARGS_H

#include <stdio.h>

#include "auface.h"

typedef struct au_cli_args {
    const char **videos;    /* every --video, in order (owned array, strings from argv) */
    int n_videos;
    const char *video_dir;
    const char *video_list;
    const char *images_dir; /* --images: each image of the folder on its own */
    const char *image_list; /* --image-list: one image path per line */
    const char *combine;    /* --combine: one CSV for all images */
    const char *out_dir;
    const char *output;
    const char *landmarks_from;
    const char *models;
    const char *hog;
    const char *aligned;
    const char *tracked;    /* --tracked FILE: annotated video of the single input */
    const char *detector;   /* NULL = default */
    const char *landmarks;  /* NULL = default (pfld) */
    int write_hog;
    int write_aligned;
    int write_tracked;      /* --write-tracked: <out-dir>/<name>_tracked.mp4 */
    int overwrite;
    int keep_partial;       /* keep the rows of a failed input as NAME.partial.csv */
    int shard_index, shard_count;
    long max_frames;
    long detect_interval;   /* 0 = default */
    long workers;           /* -1 = default (all CPUs) */
    long parallel_videos;   /* videos processed at once; 0 = default (see auface.c) */
    long batch_size;        /* 0 = default */
    long max_memory_mb;     /* 0 = default (min(2048, RAM / 4)) */
    long max_faces;         /* 0 = default (1) */
    int split_faces;        /* --split-faces: one CSV per face */
    int au_static;
    unsigned outputs;       /* 0 until a column flag is given */
    double fx, fy, cx, cy;  /* camera intrinsics in pixels; 0 = default (frame size) */
    int quiet;
    int progress_json;
    int help;
    int version;
} au_cli_args;

/* Parses argv; on error writes a message naming the argument into msg and returns 0.
 * Free with au_cli_free. */
int au_cli_parse(int argc, char **argv, au_cli_args *args, char *msg, size_t cap);

void au_cli_free(au_cli_args *args);

/* Prints the usage text. */
void au_cli_usage(FILE *f);

#endif
