#include "cli_args.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void au_cli_usage(FILE *f)
{
    fputs(
        "usage: auface --video FILE [options]\n"
        "\n"
        "Computes OpenFace 2.2 FeatureExtraction outputs (AU intensities and presences, pose,\n"
        "landmarks, PDM parameters) for a video file, an image, or a folder of images.\n"
        "\n"
        "input and output:\n"
        "  --video FILE, -f FILE    video, image, or folder of images to process\n"
        "  --output FILE, -of FILE  CSV to write (default: processed/<input name>.csv)\n"
        "  --landmarks-from CSV     use the 68 landmarks and success flags of an OpenFace\n"
        "                           FeatureExtraction CSV instead of detecting them\n"
        "  --models DIR             model folder (default: $AUFACE_MODELS, ./models,\n"
        "                           ../shared/models, then the install prefix)\n"
        "  --hog FILE               also write OpenFace's binary .hog features\n"
        "  --aligned DIR            also write the 112x112 aligned faces as BMP files\n"
        "  --max-frames N           stop after N frames\n"
        "  --workers N              worker threads (default: all CPUs; 1 = sequential);\n"
        "                           the output is identical for every N\n"
        "  --batch-size N           frames in flight between decoder and writer (default 30)\n"
        "\n"
        "own landmarks (when --landmarks-from is not given):\n"
        "  --detector NAME          retinaface (default) or yunet\n"
        "  --detect-interval N      run the detector on every N-th frame (default 30) and\n"
        "                           whenever tracking is lost; 1 = on every frame\n"
        "\n"
        "CSV columns (none given = all; as OpenFace's -pose -2Dfp -3Dfp -pdmparams -aus):\n"
        "  --pose --2dfp --3dfp --pdmparams --aus\n"
        "\n"
        "AU models:\n"
        "  --au-static              OpenFace's static AU models (-au_static)\n"
        "\n"
        "  --quiet, -q              no progress messages\n"
        "  --help, -h               this text\n"
        "  --version                print the version\n",
        f);
}

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < 0)
        return 0;
    *out = v;
    return 1;
}

typedef struct flag_bit {
    const char *name;
    unsigned bit;
} flag_bit;

static const flag_bit column_flags[] = {
    {"--pose", AUFACE_OUT_POSE},   {"-pose", AUFACE_OUT_POSE},
    {"--2dfp", AUFACE_OUT_2D},     {"-2Dfp", AUFACE_OUT_2D},
    {"--3dfp", AUFACE_OUT_3D},     {"-3Dfp", AUFACE_OUT_3D},
    {"--pdmparams", AUFACE_OUT_PDM}, {"-pdmparams", AUFACE_OUT_PDM},
    {"--aus", AUFACE_OUT_AUS},     {"-aus", AUFACE_OUT_AUS},
};

typedef struct value_flag {
    const char *name;
    const char *alias;
    size_t offset;
} value_flag;

static const value_flag path_flags[] = {
    {"--video", "-f", offsetof(au_cli_args, video)},
    {"--output", "-of", offsetof(au_cli_args, output)},
    {"--landmarks-from", NULL, offsetof(au_cli_args, landmarks_from)},
    {"--models", NULL, offsetof(au_cli_args, models)},
    {"--hog", NULL, offsetof(au_cli_args, hog)},
    {"--aligned", NULL, offsetof(au_cli_args, aligned)},
    {"--detector", NULL, offsetof(au_cli_args, detector)},
};

static int is(const char *a, const char *name, const char *alias)
{
    return strcmp(a, name) == 0 || (alias && strcmp(a, alias) == 0);
}

int au_cli_parse(int argc, char **argv, au_cli_args *args, char *msg, size_t cap)
{
    memset(args, 0, sizeof *args);
    args->workers = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int matched = 0;
        for (size_t k = 0; k < sizeof column_flags / sizeof column_flags[0] && !matched; k++)
            if (strcmp(a, column_flags[k].name) == 0) {
                args->outputs |= column_flags[k].bit;
                matched = 1;
            }
        for (size_t k = 0; k < sizeof path_flags / sizeof path_flags[0] && !matched; k++)
            if (is(a, path_flags[k].name, path_flags[k].alias)) {
                if (i + 1 >= argc) {
                    snprintf(msg, cap, "option %s needs a value", a);
                    return 0;
                }
                *(const char **)((char *)args + path_flags[k].offset) = argv[++i];
                matched = 1;
            }
        if (matched)
            continue;
        if (is(a, "--max-frames", NULL)) {
            if (i + 1 >= argc || !parse_long(argv[i + 1], &args->max_frames)) {
                snprintf(msg, cap, "option --max-frames needs a non-negative whole number");
                return 0;
            }
            i++;
        } else if (is(a, "--workers", NULL) || is(a, "--batch-size", NULL)) {
            long *target = is(a, "--workers", NULL) ? &args->workers : &args->batch_size;
            if (i + 1 >= argc || !parse_long(argv[i + 1], target) || *target < 1) {
                snprintf(msg, cap, "option %s needs a whole number >= 1", a);
                return 0;
            }
            i++;
        } else if (is(a, "--detect-interval", NULL)) {
            if (i + 1 >= argc || !parse_long(argv[i + 1], &args->detect_interval) ||
                args->detect_interval < 1) {
                snprintf(msg, cap, "option --detect-interval needs a whole number >= 1");
                return 0;
            }
            i++;
        } else if (is(a, "--au-static", "-au_static")) {
            args->au_static = 1;
        } else if (is(a, "--quiet", "-q")) {
            args->quiet = 1;
        } else if (is(a, "--help", "-h")) {
            args->help = 1;
        } else if (is(a, "--version", NULL)) {
            args->version = 1;
        } else {
            snprintf(msg, cap, "unknown option '%s' (see auface --help)", a);
            return 0;
        }
    }
    if (args->detector && strcmp(args->detector, "retinaface") != 0 &&
        strcmp(args->detector, "yunet") != 0) {
        snprintf(msg, cap, "unknown detector '%s' (retinaface or yunet)", args->detector);
        return 0;
    }
    if (!args->help && !args->version && !args->video) {
        snprintf(msg, cap, "no input: give --video FILE (see auface --help)");
        return 0;
    }
    return 1;
}
