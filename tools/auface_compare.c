/* auface-compare: how close is one OpenFace-layout CSV (and .hog / aligned faces) to
 * another? Prints per-AU Pearson r and mean absolute difference, presence agreement,
 * landmark distance and pose differences; with thresholds it exits non-zero when they are
 * not met, so it serves both users migrating from OpenFace and the test suite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/bmp_file.h"
#include "io/hog_file.h"

typedef struct table {
    int ncols;
    char **names;
    long nrows;
    double *v; /* nrows x ncols */
} table;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

static int split_count(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == ',';
    return n;
}

static int load_table(const char *path, table *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "auface-compare: cannot open %s\n", path);
        return 0;
    }
    char *line = NULL;
    size_t cap = 0;
    if (getline(&line, &cap, f) <= 0) {
        fprintf(stderr, "auface-compare: %s is empty\n", path);
        fclose(f);
        return 0;
    }
    t->ncols = split_count(line);
    t->names = calloc((size_t)t->ncols, sizeof *t->names);
    char *save = NULL;
    int c = 0;
    for (char *tok = strtok_r(line, ",", &save); tok && c < t->ncols;
         tok = strtok_r(NULL, ",", &save))
        t->names[c++] = strdup(trim(tok));
    long cap_rows = 1024;
    t->v = malloc(sizeof(double) * (size_t)cap_rows * (size_t)t->ncols);
    while (getline(&line, &cap, f) > 0) {
        if (split_count(line) != t->ncols) {
            fprintf(stderr, "auface-compare: %s: row %ld has %d fields, header has %d\n",
                    path, t->nrows + 2, split_count(line), t->ncols);
            free(line);
            fclose(f);
            return 0;
        }
        if (t->nrows == cap_rows) {
            cap_rows *= 2;
            t->v = realloc(t->v, sizeof(double) * (size_t)cap_rows * (size_t)t->ncols);
        }
        double *row = t->v + (size_t)t->nrows * (size_t)t->ncols;
        c = 0;
        for (char *tok = strtok_r(line, ",", &save); tok && c < t->ncols;
             tok = strtok_r(NULL, ",", &save))
            row[c++] = strtod(tok, NULL);
        t->nrows++;
    }
    free(line);
    fclose(f);
    return 1;
}

static int column(const table *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0)
            return c;
    return -1;
}

static double at(const table *t, long r, int c)
{
    return t->v[(size_t)r * (size_t)t->ncols + (size_t)c];
}

static void pearson_mae(const table *a, int ca, const table *b, int cb, long n, double *r,
                        double *mae)
{
    double ma = 0, mb = 0;
    for (long i = 0; i < n; i++) {
        ma += at(a, i, ca);
        mb += at(b, i, cb);
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0, sad = 0;
    for (long i = 0; i < n; i++) {
        double da = at(a, i, ca) - ma, db = at(b, i, cb) - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
        sad += fabs(at(a, i, ca) - at(b, i, cb));
    }
    *r = (saa > 0 && sbb > 0) ? sab / sqrt(saa * sbb) : NAN;
    *mae = sad / (double)n;
}

typedef struct limits {
    double min_r, max_mae, min_agree, max_landmark_px;
    double min_hog_frames;     /* fraction of frames whose HOG is within 1e-3 */
    double max_aligned_diff;   /* mean absolute grey-level difference of aligned faces */
    double min_r_var;   /* r only required where the reference's std exceeds this */
    double min_mean_r;  /* mean r over the AU_r columns that vary */
    double min_success; /* fraction of frames whose success flag equals the reference's */
} limits;

static double column_std(const table *t, int c, long n)
{
    double m = 0, s = 0;
    for (long i = 0; i < n; i++)
        m += at(t, i, c);
    m /= (double)n;
    for (long i = 0; i < n; i++)
        s += (at(t, i, c) - m) * (at(t, i, c) - m);
    return sqrt(s / (double)n);
}

/* Whether `name` is an AU column with the given suffix, e.g. "AU01_r" for "_r". */
static int is_au_column(const char *name, const char *suffix)
{
    size_t len = strlen(name);
    return strncmp(name, "AU", 2) == 0 && len >= 3 && strcmp(name + len - 2, suffix) == 0;
}

/* The column of `ours` named `name`; -1 if it has none (reported and counted in *bad). */
static int matching_column(const table *ours, const char *name, int *bad)
{
    int oc = column(ours, name);
    if (oc < 0) {
        printf("%-8s missing in the first file\n", name);
        (*bad)++;
    }
    return oc;
}

/* Returns the number of threshold violations. */
static int compare_aus(const table *ours, const table *ref, long n, const limits *lim)
{
    int bad = 0, count = 0;
    double sum_r = 0;
    printf("%-8s %9s %9s %9s\n", "AU", "r", "MAE", "ref_std");
    for (int c = 0; c < ref->ncols; c++) {
        const char *name = ref->names[c];
        int oc = is_au_column(name, "_r") ? matching_column(ours, name, &bad) : -1;
        if (oc < 0)
            continue;
        double r, mae, sd = column_std(ref, c, n);
        pearson_mae(ours, oc, ref, c, n, &r, &mae);
        int fail = (mae > lim->max_mae) ||
                   (sd > lim->min_r_var && (isnan(r) || r < lim->min_r));
        printf("%-8s %9.5f %9.5f %9.4f%s\n", name, r, mae, sd, fail ? "  FAIL" : "");
        bad += fail;
        if (!isnan(r)) {
            sum_r += r;
            count++;
        }
    }
    if (count) {
        int fail = sum_r / count < lim->min_mean_r;
        printf("mean r over %d AUs: %.5f%s\n", count, sum_r / count, fail ? "  FAIL" : "");
        bad += fail;
    }
    for (int c = 0; c < ref->ncols; c++) {
        const char *name = ref->names[c];
        int oc = is_au_column(name, "_c") ? matching_column(ours, name, &bad) : -1;
        if (oc < 0)
            continue;
        long agree = 0;
        for (long i = 0; i < n; i++)
            agree += (at(ours, i, oc) >= 0.5) == (at(ref, i, c) >= 0.5);
        double frac = (double)agree / (double)n;
        int fail = frac < lim->min_agree;
        printf("%-8s agreement %6.2f %%%s\n", name, 100.0 * frac, fail ? "  FAIL" : "");
        bad += fail;
    }
    return bad;
}

static int compare_landmarks(const table *ours, const table *ref, long n, const limits *lim)
{
    double sum = 0, worst = 0;
    long count = 0;
    for (int k = 0; k < 68; k++) {
        char xn[16], yn[16];
        snprintf(xn, sizeof xn, "x_%d", k);
        snprintf(yn, sizeof yn, "y_%d", k);
        int ox = column(ours, xn), oy = column(ours, yn), rx = column(ref, xn),
            ry = column(ref, yn);
        if (ox < 0 || oy < 0 || rx < 0 || ry < 0)
            return 0;
        for (long i = 0; i < n; i++) {
            double d = hypot(at(ours, i, ox) - at(ref, i, rx), at(ours, i, oy) - at(ref, i, ry));
            sum += d;
            worst = d > worst ? d : worst;
            count++;
        }
    }
    double mean = sum / (double)count;
    int fail = mean > lim->max_landmark_px;
    printf("2D landmarks: mean distance %.4f px, max %.4f px%s\n", mean, worst,
           fail ? "  FAIL" : "");
    return fail;
}

static void compare_named(const table *ours, const table *ref, long n, const char *const *names,
                          int count, const char *label)
{
    for (int k = 0; k < count; k++) {
        int oc = column(ours, names[k]), rc = column(ref, names[k]);
        if (oc < 0 || rc < 0)
            continue;
        double worst = 0, sum = 0;
        for (long i = 0; i < n; i++) {
            double d = fabs(at(ours, i, oc) - at(ref, i, rc));
            sum += d;
            worst = d > worst ? d : worst;
        }
        printf("%s %-8s mean |diff| %.5f  max %.5f\n", label, names[k], sum / (double)n, worst);
    }
}

static int compare_success(const table *ours, const table *ref, long n, double min_frac)
{
    int oc = column(ours, "success"), rc = column(ref, "success");
    if (oc < 0 || rc < 0)
        return 0;
    long same = 0;
    for (long i = 0; i < n; i++)
        same += at(ours, i, oc) == at(ref, i, rc);
    double frac = (double)same / (double)n;
    int fail = frac < min_frac;
    printf("success flags equal on %.2f %% of frames%s\n", 100.0 * frac, fail ? "  FAIL" : "");
    return fail;
}

static int compare_hog(const char *ours, const char *ref, double max_diff, double min_frac)
{
    au_hog_reader *a = NULL, *b = NULL;
    au_err err;
    if (au_hog_reader_open(&a, ours, &err) != AUFACE_OK ||
        au_hog_reader_open(&b, ref, &err) != AUFACE_OK) {
        fprintf(stderr, "auface-compare: %s\n", err.msg);
        au_hog_reader_close(a);
        return 1;
    }
    au_hog_record ra, rb;
    long frames = 0, frames_ok = 0;
    double worst = 0;
    while (au_hog_reader_next(a, &ra, &err) == 1 && au_hog_reader_next(b, &rb, &err) == 1) {
        int len = ra.num_rows * ra.num_cols * ra.num_channels;
        if (len != rb.num_rows * rb.num_cols * rb.num_channels) {
            fprintf(stderr, "auface-compare: HOG record %ld sizes differ\n", frames);
            break;
        }
        double frame_worst = 0;
        for (int i = 0; i < len; i++) {
            double d = fabs((double)ra.data[i] - (double)rb.data[i]);
            frame_worst = d > frame_worst ? d : frame_worst;
        }
        worst = frame_worst > worst ? frame_worst : worst;
        frames_ok += frame_worst <= max_diff;
        frames++;
    }
    au_hog_reader_close(a);
    au_hog_reader_close(b);
    double frac = frames ? (double)frames_ok / (double)frames : 0.0;
    int fail = frames == 0 || frac < min_frac;
    printf("HOG: %ld frames, max |diff| %.3g, %.2f %% of frames within %.0e%s\n", frames, worst,
           100.0 * frac, max_diff, fail ? "  FAIL" : "");
    return fail;
}

static int compare_aligned(const char *ours, const char *ref, long frames, double max_mean)
{
    double sum = 0, worst_mean = 0;
    long count = 0, differing = 0, total_px = 0;
    for (long f = 1; f <= frames; f++) {
        char pa[4096], pb[4096];
        snprintf(pa, sizeof pa, "%s/frame_det_00_%06ld.bmp", ours, f);
        snprintf(pb, sizeof pb, "%s/frame_det_00_%06ld.bmp", ref, f);
        int wa, ha, wb, hb;
        uint8_t *ia = NULL, *ib = NULL;
        au_err err;
        if (au_bmp_read(pa, &ia, &wa, &ha, &err) != AUFACE_OK ||
            au_bmp_read(pb, &ib, &wb, &hb, &err) != AUFACE_OK || wa != wb || ha != hb) {
            free(ia);
            free(ib);
            continue;
        }
        double s = 0;
        for (int i = 0; i < wa * ha * 3; i++) {
            int d = abs((int)ia[i] - (int)ib[i]);
            s += d;
            differing += d != 0;
        }
        free(ia);
        free(ib);
        total_px += (long)wa * ha * 3;
        double mean = s / (wa * ha * 3);
        sum += mean;
        worst_mean = mean > worst_mean ? mean : worst_mean;
        count++;
    }
    if (!count) {
        printf("aligned faces: none compared\n");
        return 1;
    }
    int fail = count < frames || sum / (double)count > max_mean;
    printf("aligned faces: %ld of %ld frames, mean |diff| %.5f grey levels (worst frame %.5f), "
           "%ld of %ld values differ%s\n", count, frames, sum / (double)count, worst_mean,
           differing, total_px, fail ? "  FAIL" : "");
    return fail;
}

static void usage(void)
{
    fputs("usage: auface-compare OURS.csv REFERENCE.csv [--hog OURS.hog REF.hog]\n"
          "                      [--aligned OURS_DIR REF_DIR] [--min-r R] [--max-mae M]\n"
          "                      [--min-agree F] [--max-landmark-px P] [--r-min-std S]\n"
          "                      [--min-hog-frames F] [--max-aligned-diff D]\n"
          "                      [--min-mean-r R] [--min-success F]\n"
          "Prints per-AU Pearson r and mean absolute difference, AU presence agreement,\n"
          "landmark distance and pose differences; exits 1 if a given threshold fails.\n",
          stderr);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    limits lim = {.min_r = -2.0, .min_mean_r = -2.0, .max_mae = 1e9, .max_landmark_px = 1e9, .max_aligned_diff = 256};
    const char *hog_a = NULL, *hog_b = NULL, *al_a = NULL, *al_b = NULL;
    /* Options that name two paths, and options that set one threshold. */
    const struct {
        const char *name;
        const char **first, **second;
    } path_options[] = {
        {"--hog", &hog_a, &hog_b},
        {"--aligned", &al_a, &al_b},
    };
    const struct {
        const char *name;
        double *value;
    } number_options[] = {
        {"--min-r", &lim.min_r},
        {"--max-mae", &lim.max_mae},
        {"--min-agree", &lim.min_agree},
        {"--max-landmark-px", &lim.max_landmark_px},
        {"--min-mean-r", &lim.min_mean_r},
        {"--min-success", &lim.min_success},
        {"--min-hog-frames", &lim.min_hog_frames},
        {"--max-aligned-diff", &lim.max_aligned_diff},
        {"--r-min-std", &lim.min_r_var},
    };
    for (int i = 3; i < argc; i++) {
        int known = 0;
        for (size_t k = 0; !known && k < sizeof path_options / sizeof path_options[0]; k++)
            if (!strcmp(argv[i], path_options[k].name) && i + 2 < argc) {
                *path_options[k].first = argv[++i];
                *path_options[k].second = argv[++i];
                known = 1;
            }
        for (size_t k = 0; !known && k < sizeof number_options / sizeof number_options[0]; k++)
            if (!strcmp(argv[i], number_options[k].name) && i + 1 < argc) {
                *number_options[k].value = atof(argv[++i]);
                known = 1;
            }
        if (!known) {
            fprintf(stderr, "auface-compare: unknown or incomplete option '%s'\n", argv[i]);
            usage();
            return 2;
        }
    }
    table ours, ref;
    if (!load_table(argv[1], &ours) || !load_table(argv[2], &ref))
        return 2;
    if (ours.nrows != ref.nrows)
        printf("row counts differ: %ld vs %ld (comparing the first %ld)\n", ours.nrows,
               ref.nrows, ours.nrows < ref.nrows ? ours.nrows : ref.nrows);
    long n = ours.nrows < ref.nrows ? ours.nrows : ref.nrows;
    if (n == 0) {
        fprintf(stderr, "auface-compare: no rows to compare\n");
        return 2;
    }
    int bad = ours.nrows != ref.nrows;
    bad += compare_aus(&ours, &ref, n, &lim);
    bad += compare_success(&ours, &ref, n, lim.min_success);
    bad += compare_landmarks(&ours, &ref, n, &lim);
    static const char *const pose[] = {"pose_Tx", "pose_Ty", "pose_Tz",
                                       "pose_Rx", "pose_Ry", "pose_Rz"};
    compare_named(&ours, &ref, n, pose, 6, "pose");
    static const char *const params[] = {"p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"};
    compare_named(&ours, &ref, n, params, 6, "params");
    if (hog_a)
        bad += compare_hog(hog_a, hog_b, 1e-3, lim.min_hog_frames);
    if (al_a)
        bad += compare_aligned(al_a, al_b, n, lim.max_aligned_diff);
    printf("%s\n", bad ? "RESULT: thresholds NOT met" : "RESULT: ok");
    return bad ? 1 : 0;
}
