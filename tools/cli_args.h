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
    const char *out_dir;
    const char *output;
    const char *landmarks_from;
    const char *models;
    const char *hog;
    const char *aligned;
    const char *detector;   /* NULL = default */
    const char *landmarks;  /* NULL = default (pfld) */
    int write_hog;
    int write_aligned;
    int overwrite;
    int shard_index, shard_count;
    long max_frames;
    long detect_interval;   /* 0 = default */
    long workers;           /* -1 = default (all CPUs) */
    long batch_size;        /* 0 = default */
    int au_static;
    unsigned outputs;       /* 0 until a column flag is given */
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
