/* Command-line parsing of the `auface` tool (kept apart from main so it can be tested). */
#ifndef AU_TOOLS_CLI_ARGS_H
#define AU_TOOLS_CLI_ARGS_H

#include <stdio.h>

#include "auface.h"

typedef struct au_cli_args {
    const char *video;
    const char *output;
    const char *landmarks_from;
    const char *models;
    const char *hog;
    const char *aligned;
    long max_frames;
    long detect_interval;   /* 0 = default */
    long workers;           /* -1 = default (all CPUs) */
    long batch_size;        /* 0 = default */
    const char *detector;   /* NULL = default */
    int au_static;
    unsigned outputs;       /* 0 until a column flag is given */
    int quiet;
    int help;
    int version;
} au_cli_args;

/* Parses argv; on error writes a message naming the argument into msg and returns 0. */
int au_cli_parse(int argc, char **argv, au_cli_args *args, char *msg, size_t cap);

/* Prints the usage text. */
void au_cli_usage(FILE *f);

#endif
