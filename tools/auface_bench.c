/* auface-bench: how fast is auface on this machine, sequential against parallel?
 *
 * In one process it runs the same video (the same first --max-frames frames) through a
 * pipeline with one worker (the sequential code path, no threads) and through one with N
 * workers, --runs times each, writing the CSVs to a temporary folder that is removed at the
 * end. It reports the frames, the median frames/s of each mode, the speedup, the process's
 * peak resident memory and the mean time per frame of each stage (from the sequential runs,
 * where stage times add up to the wall-clock time), and checks that every CSV is
 * byte-identical to the first sequential one, as auface promises for every worker count.
 *
 * Uses only the public API (auface.h), like any program built on the library. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tool_memory.h"
#include "auface.h"

/* Exit statuses (also in the usage text). */
enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_DIFFERENT = 3 };

/* Upper bound of --runs: the per-run results live in fixed arrays. */
#define BENCH_MAX_RUNS 99

typedef struct bench_options {
    const char *video;
    const char *models;       /* NULL = the library's default search */
    const char *detector;     /* NULL = the library's default */
    const char *landmarks;    /* NULL = the library's default (pfld) */
    long workers;             /* workers of the parallel mode; 0 = the library's default */
    long max_frames;          /* 0 = every frame */
    long batch_size;          /* 0 = the library's default */
    long runs;
    int json;
    int no_gaze;              /* leave out the gaze group (eye landmarks and gaze) */
    int help;
} bench_options;

/* The runs of one mode (sequential or parallel). */
typedef struct mode_runs {
    const char *label;        /* "sequential" or "parallel": names its CSV files */
    int workers;
    int runs;
    auface_summary summary[BENCH_MAX_RUNS];
} mode_runs;

static void usage(FILE *f)
{
    fputs(
        "usage: auface-bench --video FILE [options]\n"
        "\n"
        "Runs auface on the same frames sequentially (1 worker) and in parallel (N workers)\n"
        "in one process and reports frames/s, speedup, peak memory and per-stage time; the\n"
        "CSVs go to a temporary folder (removed at the end) and must be byte-identical.\n"
        "\n"
        "  --video FILE        video (or image folder) to process\n"
        "  --workers N         workers of the parallel run (default: the usable CPUs)\n"
        "  --max-frames N      process only the first N frames (default 0: all)\n"
        "  --runs K            run each mode K times and report the median fps (default 1)\n"
        "  --models DIR        model folder (default: the library's search order)\n"
        "  --landmarks NAME    pfld (default) or clnf\n"
        "  --detector NAME     retinaface (default with pfld), yunet, or mtcnn (with clnf)\n"
        "  --batch-size N      frames in flight (default: the library's, 30)\n"
        "  --json              print exactly one JSON object on stdout\n"
        "  --no-gaze           write every column group but gaze (no eye part fits)\n"
        "  --help, -h          this text\n"
        "\n"
        "exit status: 0 success, 1 a run failed, 2 usage error, 3 the CSVs differ\n",
        f);
}

/* Parses a whole decimal integer in [min, max]; on failure explains why in msg. */
static int parse_count(const char *option, const char *text, long min, long max, long *out,
                       char *msg, size_t cap)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        snprintf(msg, cap, "%s: '%s' is not an integer between %ld and %ld", option, text,
                 min, max);
        return 0;
    }
    *out = v;
    return 1;
}

/* Fills opts from argv; on a usage error writes a message naming the argument into msg and
 * returns 0. */
static int parse_args(int argc, char **argv, bench_options *opts, char *msg, size_t cap)
{
    memset(opts, 0, sizeof *opts);
    opts->workers = 0; /* the library's default: the CPUs this process may use */
    opts->runs = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            opts->json = 1;
            continue;
        }
        if (strcmp(a, "--no-gaze") == 0) {
            opts->no_gaze = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            opts->help = 1;
            continue;
        }
        int known = strcmp(a, "--video") == 0 || strcmp(a, "--models") == 0 ||
                    strcmp(a, "--detector") == 0 || strcmp(a, "--workers") == 0 ||
                    strcmp(a, "--landmarks") == 0 ||
                    strcmp(a, "--max-frames") == 0 || strcmp(a, "--runs") == 0 ||
                    strcmp(a, "--batch-size") == 0;
        if (!known) {
            snprintf(msg, cap, "unknown argument '%s' (see --help)", a);
            return 0;
        }
        if (i + 1 >= argc) {
            snprintf(msg, cap, "%s needs a value", a);
            return 0;
        }
        const char *v = argv[++i];
        int ok = 1;
        if (strcmp(a, "--video") == 0)
            opts->video = v;
        else if (strcmp(a, "--models") == 0)
            opts->models = v;
        else if (strcmp(a, "--detector") == 0)
            opts->detector = v;
        else if (strcmp(a, "--landmarks") == 0)
            opts->landmarks = v;
        else if (strcmp(a, "--workers") == 0)
            ok = parse_count(a, v, 1, 1024, &opts->workers, msg, cap);
        else if (strcmp(a, "--max-frames") == 0)
            ok = parse_count(a, v, 0, 1000000000L, &opts->max_frames, msg, cap);
        else if (strcmp(a, "--runs") == 0)
            ok = parse_count(a, v, 1, BENCH_MAX_RUNS, &opts->runs, msg, cap);
        else
            ok = parse_count(a, v, 1, 100000, &opts->batch_size, msg, cap);
        if (!ok)
            return 0;
    }
    if (opts->help)
        return 1;
    if (!opts->video) {
        snprintf(msg, cap, "--video FILE is required (see --help)");
        return 0;
    }
    if (opts->detector && strcmp(opts->detector, "retinaface") != 0 &&
        strcmp(opts->detector, "yunet") != 0 && strcmp(opts->detector, "mtcnn") != 0) {
        snprintf(msg, cap, "--detector: unknown detector '%s' (retinaface, yunet or mtcnn)",
                 opts->detector);
        return 0;
    }
    if (opts->landmarks && strcmp(opts->landmarks, "pfld") != 0 &&
        strcmp(opts->landmarks, "clnf") != 0) {
        snprintf(msg, cap, "--landmarks: unknown '%s' (pfld or clnf)", opts->landmarks);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------
 * Temporary folder
 * ------------------------------------------------------------------------------------ */

static int make_temp_dir(char *out, size_t cap)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    if ((size_t)snprintf(out, cap, "%s/auface-bench-XXXXXX", base) >= cap) {
        fprintf(stderr, "auface-bench: temporary folder path too long: %s\n", base);
        return 0;
    }
    if (!mkdtemp(out)) {
        fprintf(stderr, "auface-bench: cannot create a temporary folder in %s: %s\n", base,
                strerror(errno));
        return 0;
    }
    return 1;
}

/* Removes the temporary folder and the files in it (the pipeline writes only files there). */
static void remove_temp_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4096];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path)
                unlink(path);
        }
        closedir(d);
    }
    if (rmdir(dir) != 0)
        fprintf(stderr, "auface-bench: warning: could not remove %s: %s\n", dir,
                strerror(errno));
}

static void csv_path(char *out, size_t cap, const char *dir, const char *label, int run)
{
    snprintf(out, cap, "%s/%s-%d.csv", dir, label, run + 1);
}

/* ------------------------------------------------------------------------------------
 * Running and measuring
 * ------------------------------------------------------------------------------------ */

static double fps_of(const auface_summary *s)
{
    return s->seconds > 0 ? (double)s->frames / s->seconds : 0.0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of n values (n <= BENCH_MAX_RUNS); the mean of the middle two when n is even. */
static double median(const double *v, int n)
{
    double sorted[BENCH_MAX_RUNS];
    memcpy(sorted, v, (size_t)n * sizeof *v);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_doubles);
    return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

static double median_fps(const mode_runs *m)
{
    double fps[BENCH_MAX_RUNS];
    for (int r = 0; r < m->runs; r++)
        fps[r] = fps_of(&m->summary[r]);
    return median(fps, m->runs);
}

/* Median over the runs of one stage's mean milliseconds per frame. */
static double median_stage_ms(const mode_runs *m, auface_stage stage)
{
    double ms[BENCH_MAX_RUNS];
    for (int r = 0; r < m->runs; r++) {
        const auface_summary *s = &m->summary[r];
        ms[r] = s->frames > 0 ? 1000.0 * s->stage_seconds[stage] / (double)s->frames : 0.0;
    }
    return median(ms, m->runs);
}

/* Creates a pipeline with m->workers workers, processes the video m->runs times into
 * tmpdir, and destroys the pipeline (so the two modes never hold models at the same time). */
static int run_mode(const bench_options *opts, const char *tmpdir, mode_runs *m)
{
    auface_config cfg;
    auface_config_default(&cfg);
    cfg.models_dir = opts->models;
    cfg.workers = m->workers;
    if (opts->no_gaze)
        cfg.outputs &= ~(unsigned)AUFACE_OUT_GAZE;
    if (opts->batch_size > 0)
        cfg.batch_size = (int)opts->batch_size;
    if (opts->landmarks && strcmp(opts->landmarks, "clnf") == 0)
        cfg.landmarks = AUFACE_LANDMARKS_CLNF;
    if (opts->detector)
        cfg.detector = strcmp(opts->detector, "yunet") == 0   ? AUFACE_DETECTOR_YUNET
                       : strcmp(opts->detector, "mtcnn") == 0 ? AUFACE_DETECTOR_MTCNN
                                                              : AUFACE_DETECTOR_RETINAFACE;

    auface_pipeline *p = NULL;
    auface_status st = auface_pipeline_create(&cfg, &p);
    if (st != AUFACE_OK) {
        fprintf(stderr, "auface-bench: %s\n", p ? auface_pipeline_errmsg(p) : auface_strerror(st));
        auface_pipeline_destroy(p);
        return 0;
    }
    int show = isatty(STDERR_FILENO);
    for (int r = 0; r < m->runs; r++) {
        char out[2048];
        csv_path(out, sizeof out, tmpdir, m->label, r);
        auface_job job = {.input = opts->video, .output_csv = out, .max_frames = opts->max_frames};
        memset(&m->summary[r], 0, sizeof m->summary[r]);
        st = auface_process_video(p, &job, NULL, NULL, &m->summary[r]);
        if (st != AUFACE_OK) {
            fprintf(stderr, "auface-bench: %s run %d (%d worker%s): %s\n", m->label, r + 1,
                    m->workers, m->workers == 1 ? "" : "s", auface_pipeline_errmsg(p));
            auface_pipeline_destroy(p);
            return 0;
        }
        if (m->workers == 0)
            m->workers = m->summary[r].workers; /* the default, as the library chose it */
        if (show)
            fprintf(stderr, "auface-bench: %s run %d/%d: %ld frames, %.1f frames/s\n", m->label,
                    r + 1, m->runs, m->summary[r].frames, fps_of(&m->summary[r]));
    }
    auface_pipeline_destroy(p);
    return 1;
}

/* 1 when both files have the same bytes, 0 when they differ, -1 (with a message) when one
 * cannot be read. */
static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb");
    FILE *fb = fopen(b, "rb");
    if (!fa || !fb) {
        fprintf(stderr, "auface-bench: cannot read %s: %s\n", fa ? b : a, strerror(errno));
        if (fa)
            fclose(fa);
        if (fb)
            fclose(fb);
        return -1;
    }
    int same = 1;
    char ba[16384], bb[16384];
    for (;;) {
        size_t na = fread(ba, 1, sizeof ba, fa);
        size_t nb = fread(bb, 1, sizeof bb, fb);
        if (na != nb || memcmp(ba, bb, na) != 0) {
            same = 0;
            break;
        }
        if (na < sizeof ba)
            break;
    }
    int failed = ferror(fa) || ferror(fb);
    fclose(fa);
    fclose(fb);
    if (failed) {
        fprintf(stderr, "auface-bench: error reading %s or %s\n", a, b);
        return -1;
    }
    return same;
}

/* Compares every CSV with the first sequential one: 1 all identical, 0 some differ (named on
 * stderr), -1 a file could not be read. */
static int outputs_identical(const char *tmpdir, const mode_runs *seq, const mode_runs *par)
{
    char first[2048], other[2048];
    csv_path(first, sizeof first, tmpdir, seq->label, 0);
    int identical = 1;
    const mode_runs *modes[2] = {seq, par};
    for (int m = 0; m < 2; m++)
        for (int r = 0; r < modes[m]->runs; r++) {
            if (modes[m] == seq && r == 0)
                continue;
            csv_path(other, sizeof other, tmpdir, modes[m]->label, r);
            int same = same_bytes(first, other);
            if (same < 0)
                return -1;
            if (!same) {
                fprintf(stderr, "auface-bench: %s run %d (%d workers) wrote a different CSV "
                        "than sequential run 1\n", modes[m]->label, r + 1, modes[m]->workers);
                identical = 0;
            }
        }
    return identical;
}

/* Peak resident set size of this process in MiB (Linux reports ru_maxrss in KiB). */
static double peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_maxrss / 1024.0;
}

/* ------------------------------------------------------------------------------------
 * Reports
 * ------------------------------------------------------------------------------------ */

typedef struct bench_report {
    const char *video;
    long frames;
    int workers;
    int runs;
    double fps;
    double sequential_fps;
    double speedup;
    double peak_rss_mb;
    int identical;
    double stage_ms[AUFACE_STAGE_COUNT];
    double fps_runs[BENCH_MAX_RUNS];
    double sequential_fps_runs[BENCH_MAX_RUNS];
} bench_report;

/* Writes s as a JSON string literal. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

static void json_array(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.3f", i ? ", " : "", v[i]);
    fputc(']', f);
}

static void print_json(FILE *f, const bench_report *r)
{
    fputs("{\"video\": ", f);
    json_string(f, r->video);
    fprintf(f, ", \"frames\": %ld, \"workers\": %d, \"runs\": %d", r->frames, r->workers,
            r->runs);
    fprintf(f, ", \"fps\": %.3f, \"sequential_fps\": %.3f, \"speedup\": %.3f", r->fps,
            r->sequential_fps, r->speedup);
    fprintf(f, ", \"peak_rss_mb\": %.1f, \"identical\": %s", r->peak_rss_mb,
            r->identical ? "true" : "false");
    fputs(", \"stage_ms\": {", f);
    for (int s = 0; s < AUFACE_STAGE_COUNT; s++)
        fprintf(f, "%s\"%s\": %.4f", s ? ", " : "", auface_stage_name((auface_stage)s),
                r->stage_ms[s]);
    fputs("}, \"fps_runs\": ", f);
    json_array(f, r->fps_runs, r->runs);
    fputs(", \"sequential_fps_runs\": ", f);
    json_array(f, r->sequential_fps_runs, r->runs);
    fputs("}\n", f);
}

static void print_table(FILE *f, const bench_report *r)
{
    fprintf(f, "video            %s\n", r->video);
    fprintf(f, "frames           %ld\n", r->frames);
    fprintf(f, "workers          %d (parallel) against 1 (sequential), %d run%s each%s\n",
            r->workers, r->runs, r->runs == 1 ? "" : "s", r->runs > 1 ? ", medians" : "");
    fprintf(f, "sequential_fps   %.1f\n", r->sequential_fps);
    fprintf(f, "fps              %.1f\n", r->fps);
    fprintf(f, "speedup          %.2f\n", r->speedup);
    fprintf(f, "peak_rss_mb      %.1f\n", r->peak_rss_mb);
    fprintf(f, "identical        %s\n", r->identical ? "yes" : "NO");
    fprintf(f, "stage_ms         mean per frame, sequential run\n");
    double total = 0.0;
    for (int s = 0; s < AUFACE_STAGE_COUNT; s++) {
        fprintf(f, "  %-14s %8.3f\n", auface_stage_name((auface_stage)s), r->stage_ms[s]);
        total += r->stage_ms[s];
    }
    fprintf(f, "  %-14s %8.3f\n", "(sum)", total);
}

static void fill_report(const bench_options *opts, const mode_runs *seq, const mode_runs *par,
                        int identical, bench_report *r)
{
    memset(r, 0, sizeof *r);
    r->video = opts->video;
    r->frames = seq->summary[0].frames;
    r->workers = par->workers;
    r->runs = seq->runs;
    r->fps = median_fps(par);
    r->sequential_fps = median_fps(seq);
    r->speedup = r->sequential_fps > 0 ? r->fps / r->sequential_fps : 0.0;
    r->peak_rss_mb = peak_rss_mb();
    r->identical = identical;
    for (int s = 0; s < AUFACE_STAGE_COUNT; s++)
        r->stage_ms[s] = median_stage_ms(seq, (auface_stage)s);
    for (int i = 0; i < r->runs; i++) {
        r->fps_runs[i] = fps_of(&par->summary[i]);
        r->sequential_fps_runs[i] = fps_of(&seq->summary[i]);
    }
}

int main(int argc, char **argv)
{
    bench_options opts;
    char msg[512];
    au_tool_limit_malloc_arenas();
    if (!parse_args(argc, argv, &opts, msg, sizeof msg)) {
        fprintf(stderr, "auface-bench: %s\n", msg);
        return EXIT_USAGE;
    }
    if (opts.help) {
        usage(stdout);
        return 0;
    }
    char tmpdir[1024];
    if (!make_temp_dir(tmpdir, sizeof tmpdir))
        return EXIT_FAILED;

    /* About 9 KB each at the largest --runs: fine on the stack. */
    mode_runs seq = {.label = "sequential", .workers = 1, .runs = (int)opts.runs};
    mode_runs par = {.label = "parallel", .workers = (int)opts.workers, .runs = (int)opts.runs};

    int status = EXIT_FAILED;
    if (run_mode(&opts, tmpdir, &seq) && run_mode(&opts, tmpdir, &par)) {
        int identical = outputs_identical(tmpdir, &seq, &par);
        if (identical >= 0) {
            bench_report report;
            fill_report(&opts, &seq, &par, identical, &report);
            if (opts.json)
                print_json(stdout, &report);
            else
                print_table(stdout, &report);
            status = identical ? 0 : EXIT_DIFFERENT;
        }
    }
    remove_temp_dir(tmpdir);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "auface-bench: cannot write the report: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    return status;
}
