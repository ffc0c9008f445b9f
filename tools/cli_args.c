#include "cli_args.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void au_cli_usage(FILE *f)
{
    fputs(
        "usage: auface --video FILE [--video FILE ...] [options]\n"
        "       auface --video-dir DIR | --video-list FILE --out-dir DIR [options]\n"
        "\n"
        "Computes OpenFace 2.2 FeatureExtraction outputs (AU intensities and presences, pose,\n"
        "landmarks, PDM parameters) for videos, images, or folders of images.\n"
        "\n"
        "inputs:\n"
        "  --video FILE, -f FILE    a video, an image, or a folder of images (repeatable)\n"
        "  --video-dir DIR          every video file in DIR, in name order\n"
        "  --video-list FILE        one input path per line ('#' starts a comment)\n"
        "  --images DIR             still images, each on its own as OpenFace's\n"
        "                           FaceLandmarkImg: every face, one CSV per image (a\n"
        "                           single image given with --video is done the same way)\n"
        "  --image-list FILE        one image path per line, as --images\n"
        "  --landmarks-from CSV     use the 68 landmarks and success flags of an OpenFace\n"
        "                           FeatureExtraction CSV instead of detecting them\n"
        "  --max-frames N           stop each input after N frames\n"
        "\n"
        "outputs:\n"
        "  --output FILE, -of FILE  CSV to write (one input only)\n"
        "  --out-dir DIR            write DIR/<input name>.csv (default: processed/)\n"
        "  --hog FILE               OpenFace's binary .hog features (one input only)\n"
        "  --aligned DIR            112x112 aligned faces as BMP files (one input only)\n"
        "  --write-hog              write <out-dir>/<input name>.hog\n"
        "  --write-aligned          write <out-dir>/<input name>_aligned/\n"
        "  --tracked FILE           the video with landmarks, head-pose box and strongest AU\n"
        "                           intensities drawn on it, as OpenFace's -tracked (.mp4,\n"
        "                           .mkv or .avi; one input only)\n"
        "  --write-tracked          write <out-dir>/<input name>_tracked.mp4\n"
        "  --overwrite              redo --out-dir inputs whose outputs already exist\n"
        "                           (default: skip them, so an interrupted batch resumes;\n"
        "                           --output always replaces its file)\n"
        "  --keep-partial           when an input fails, keep the rows done as\n"
        "                           NAME.partial.csv (nothing is ever left under NAME.csv)\n"
        "  --combine FILE           also write one CSV for all images, the image's path\n"
        "                           first\n"
        "  --shard I/N              process only inputs I, I+N, I+2N, ... (0 <= I < N), to\n"
        "                           split a corpus over N machines without coordination\n"
        "\n"
        "CSV columns (none given = all; as OpenFace's -gaze -pose -2Dfp -3Dfp -pdmparams\n"
        "-aus, which are accepted too):\n"
        "  --gaze --pose --2dfp --3dfp --pdmparams --aus\n"
        "\n"
        "camera (as OpenFace's -fx -fy -cx -cy, also accepted; default from the frame size:\n"
        "fx = fy = 500*(W/640 + H/480)/2, cx = W/2, cy = H/2); they move pose, 3D landmarks\n"
        "and gaze:\n"
        "  --fx F --fy F            focal lengths in pixels (--fx alone sets both)\n"
        "  --cx X --cy Y            principal point in pixels\n"
        "\n"
        "models and method:\n"
        "  --models DIR             model folder (default: $AUFACE_MODELS, ./models,\n"
        "                           ../shared/models, then the install prefix)\n"
        "  --au-static              OpenFace's static AU models (-au_static)\n"
        "  --landmarks NAME         pfld (default: fast) or clnf (OpenFace's own tracker:\n"
        "                           OpenFace's landmarks and AUs)\n"
        "  --detector NAME          retinaface (default with pfld), yunet, or mtcnn\n"
        "                           (with clnf, as OpenFace)\n"
        "  --detect-interval N      run the detector on every N-th frame (default 30) and\n"
        "                           whenever tracking is lost; 1 = on every frame\n"
        "  --max-faces N            follow up to N faces, each with a stable face_id\n"
        "                           and its own AU stage; one row per frame and face\n"
        "  --split-faces            with --max-faces: one CSV per face (NAME_face0.csv ...)\n"
        "\n"
        "speed:\n"
        "  --workers N              worker threads (default: all CPUs; 1 = sequential);\n"
        "                           the output is identical for every N\n"
        "  --parallel-videos N      process N videos at once, the workers shared among\n"
        "                           them (default: one video per worker, within a\n"
        "                           quarter of the RAM, with --landmarks clnf and several\n"
        "                           videos, or with PFLD and at least twice as many\n"
        "                           videos as workers; otherwise 1); outputs identical\n"
        "  --batch-size N           frames in flight between decoder and writer (default 30)\n"
        "  --max-memory MB          bound on the decoded frames held in flight (default:\n"
        "                           2048 or a quarter of the RAM, whichever is less)\n"
        "\n"
        "  --quiet, -q              no progress or summary messages\n"
        "  --progress-json          progress as JSON lines on stdout, for wrappers\n"
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
    size_t offset;
    unsigned bit;    /* for column flags; 0 = plain boolean */
} flag_bit;

static const flag_bit switches[] = {
    {"--gaze", offsetof(au_cli_args, outputs), AUFACE_OUT_GAZE},
    {"-gaze", offsetof(au_cli_args, outputs), AUFACE_OUT_GAZE},
    {"--pose", offsetof(au_cli_args, outputs), AUFACE_OUT_POSE},
    {"-pose", offsetof(au_cli_args, outputs), AUFACE_OUT_POSE},
    {"--2dfp", offsetof(au_cli_args, outputs), AUFACE_OUT_2D},
    {"-2Dfp", offsetof(au_cli_args, outputs), AUFACE_OUT_2D},
    {"--3dfp", offsetof(au_cli_args, outputs), AUFACE_OUT_3D},
    {"-3Dfp", offsetof(au_cli_args, outputs), AUFACE_OUT_3D},
    {"--pdmparams", offsetof(au_cli_args, outputs), AUFACE_OUT_PDM},
    {"-pdmparams", offsetof(au_cli_args, outputs), AUFACE_OUT_PDM},
    {"--aus", offsetof(au_cli_args, outputs), AUFACE_OUT_AUS},
    {"-aus", offsetof(au_cli_args, outputs), AUFACE_OUT_AUS},
    {"--au-static", offsetof(au_cli_args, au_static), 0},
    {"-au_static", offsetof(au_cli_args, au_static), 0},
    {"--write-hog", offsetof(au_cli_args, write_hog), 0},
    {"--write-aligned", offsetof(au_cli_args, write_aligned), 0},
    {"--write-tracked", offsetof(au_cli_args, write_tracked), 0},
    {"--overwrite", offsetof(au_cli_args, overwrite), 0},
    {"--keep-partial", offsetof(au_cli_args, keep_partial), 0},
    {"--split-faces", offsetof(au_cli_args, split_faces), 0},
    {"--quiet", offsetof(au_cli_args, quiet), 0},
    {"-q", offsetof(au_cli_args, quiet), 0},
    {"--progress-json", offsetof(au_cli_args, progress_json), 0},
    {"--help", offsetof(au_cli_args, help), 0},
    {"-h", offsetof(au_cli_args, help), 0},
    {"--version", offsetof(au_cli_args, version), 0},
};

typedef struct value_flag {
    const char *name;
    const char *alias;
    size_t offset;
} value_flag;

static const value_flag path_flags[] = {
    {"--video-dir", NULL, offsetof(au_cli_args, video_dir)},
    {"--video-list", NULL, offsetof(au_cli_args, video_list)},
    {"--images", NULL, offsetof(au_cli_args, images_dir)},
    {"--image-list", NULL, offsetof(au_cli_args, image_list)},
    {"--combine", NULL, offsetof(au_cli_args, combine)},
    {"--out-dir", NULL, offsetof(au_cli_args, out_dir)},
    {"--output", "-of", offsetof(au_cli_args, output)},
    {"--landmarks-from", NULL, offsetof(au_cli_args, landmarks_from)},
    {"--models", NULL, offsetof(au_cli_args, models)},
    {"--hog", NULL, offsetof(au_cli_args, hog)},
    {"--aligned", NULL, offsetof(au_cli_args, aligned)},
    {"--tracked", NULL, offsetof(au_cli_args, tracked)},
    {"--detector", NULL, offsetof(au_cli_args, detector)},
    {"--landmarks", NULL, offsetof(au_cli_args, landmarks)},
};

typedef struct number_flag {
    const char *name;
    size_t offset;
    long min;
} number_flag;

static const number_flag number_flags[] = {
    {"--max-frames", offsetof(au_cli_args, max_frames), 0},
    {"--detect-interval", offsetof(au_cli_args, detect_interval), 1},
    {"--workers", offsetof(au_cli_args, workers), 1},
    {"--parallel-videos", offsetof(au_cli_args, parallel_videos), 1},
    {"--batch-size", offsetof(au_cli_args, batch_size), 1},
    {"--max-memory", offsetof(au_cli_args, max_memory_mb), 1},
    {"--max-faces", offsetof(au_cli_args, max_faces), 1},
};

/* Camera intrinsics, positive numbers of pixels. */
typedef struct real_flag {
    const char *name;
    const char *alias;       /* OpenFace's spelling */
    size_t offset;
} real_flag;

static const real_flag real_flags[] = {
    {"--fx", "-fx", offsetof(au_cli_args, fx)},
    {"--fy", "-fy", offsetof(au_cli_args, fy)},
    {"--cx", "-cx", offsetof(au_cli_args, cx)},
    {"--cy", "-cy", offsetof(au_cli_args, cy)},
};

static int parse_positive(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !(v > 0.0 && v < 1e7))
        return 0;
    *out = v;
    return 1;
}

static int is(const char *a, const char *name, const char *alias)
{
    return strcmp(a, name) == 0 || (alias && strcmp(a, alias) == 0);
}

static int parse_shard(const char *s, au_cli_args *args)
{
    int i, n, used;
    if (sscanf(s, "%d/%d%n", &i, &n, &used) != 2 || s[used] != '\0' || n < 1 || i < 0 ||
        i >= n)
        return 0;
    args->shard_index = i;
    args->shard_count = n;
    return 1;
}

/* Handles argv[*i] if it is a switch or takes a value; 1 = handled, 0 = unknown, -1 = bad. */
static int parse_one(int argc, char **argv, int *i, au_cli_args *args, char *msg, size_t cap)
{
    const char *a = argv[*i];
    for (size_t k = 0; k < sizeof switches / sizeof switches[0]; k++)
        if (strcmp(a, switches[k].name) == 0) {
            char *field = (char *)args + switches[k].offset;
            if (switches[k].bit)
                *(unsigned *)field |= switches[k].bit;
            else
                *(int *)field = 1;
            return 1;
        }
    const int has_value = *i + 1 < argc;
    if (is(a, "--video", "-f")) {
        if (!has_value) {
            snprintf(msg, cap, "option %s needs a value", a);
            return -1;
        }
        args->videos[args->n_videos++] = argv[++*i];
        return 1;
    }
    for (size_t k = 0; k < sizeof path_flags / sizeof path_flags[0]; k++)
        if (is(a, path_flags[k].name, path_flags[k].alias)) {
            if (!has_value) {
                snprintf(msg, cap, "option %s needs a value", a);
                return -1;
            }
            *(const char **)((char *)args + path_flags[k].offset) = argv[++*i];
            return 1;
        }
    for (size_t k = 0; k < sizeof number_flags / sizeof number_flags[0]; k++)
        if (strcmp(a, number_flags[k].name) == 0) {
            long *field = (long *)((char *)args + number_flags[k].offset);
            if (!has_value || !parse_long(argv[*i + 1], field) || *field < number_flags[k].min) {
                snprintf(msg, cap, "option %s needs a whole number >= %ld", a,
                         number_flags[k].min);
                return -1;
            }
            ++*i;
            return 1;
        }
    for (size_t k = 0; k < sizeof real_flags / sizeof real_flags[0]; k++)
        if (is(a, real_flags[k].name, real_flags[k].alias)) {
            double *field = (double *)((char *)args + real_flags[k].offset);
            if (!has_value || !parse_positive(argv[*i + 1], field)) {
                snprintf(msg, cap, "option %s needs a positive number of pixels", a);
                return -1;
            }
            ++*i;
            return 1;
        }
    if (strcmp(a, "--shard") == 0) {
        if (!has_value || !parse_shard(argv[*i + 1], args)) {
            snprintf(msg, cap, "option --shard needs I/N with 0 <= I < N, e.g. --shard 0/4");
            return -1;
        }
        ++*i;
        return 1;
    }
    return 0;
}

int au_cli_parse(int argc, char **argv, au_cli_args *args, char *msg, size_t cap)
{
    memset(args, 0, sizeof *args);
    args->workers = -1;
    if (!(args->videos = calloc((size_t)argc + 1, sizeof *args->videos))) {
        snprintf(msg, cap, "out of memory");
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        int r = parse_one(argc, argv, &i, args, msg, cap);
        if (r < 0)
            return 0;
        if (r == 0) {
            snprintf(msg, cap, "unknown option '%s' (see auface --help)", argv[i]);
            return 0;
        }
    }
    if (args->detector && strcmp(args->detector, "retinaface") != 0 &&
        strcmp(args->detector, "yunet") != 0 && strcmp(args->detector, "mtcnn") != 0) {
        snprintf(msg, cap, "unknown detector '%s' (retinaface, yunet or mtcnn)", args->detector);
        return 0;
    }
    if (args->landmarks && strcmp(args->landmarks, "pfld") != 0 &&
        strcmp(args->landmarks, "clnf") != 0) {
        snprintf(msg, cap, "unknown landmarks '%s' (pfld or clnf)", args->landmarks);
        return 0;
    }
    int clnf = args->landmarks && strcmp(args->landmarks, "clnf") == 0;
    if (args->detector && clnf != (strcmp(args->detector, "mtcnn") == 0)) {
        snprintf(msg, cap, "%s", clnf ? "--landmarks clnf starts from OpenFace's MTCNN: use "
                                        "--detector mtcnn or leave --detector out"
                                      : "--detector mtcnn goes with --landmarks clnf");
        return 0;
    }
    if (args->help || args->version)
        return 1;
    if (!args->n_videos && !args->video_dir && !args->video_list && !args->images_dir &&
        !args->image_list) {
        snprintf(msg, cap, "no input: give --video FILE (see auface --help)");
        return 0;
    }
    if (args->output && args->out_dir) {
        snprintf(msg, cap, "give either --output or --out-dir, not both");
        return 0;
    }
    if (args->landmarks_from && args->n_videos + !!args->video_dir + !!args->video_list > 1) {
        snprintf(msg, cap, "--landmarks-from belongs to one video: give exactly one --video");
        return 0;
    }
    return 1;
}

void au_cli_free(au_cli_args *args)
{
    free(args->videos);
    args->videos = NULL;
}
