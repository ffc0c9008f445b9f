/* auface-compare: how close is one OpenFace-layout CSV (and .hog / aligned faces) to
 * another? Prints per-AU Pearson r and mean absolute difference, presence agreement,
 * landmark distance, gaze and eye-landmark differences and pose differences; with
 * thresholds it exits non-zero when they are not met, so it serves both users migrating
 * from OpenFace and the test suite.
 *
 * It fails closed: as the judge of the end-to-end tests, anything it cannot check (a
 * missing landmark or success column, different row or HOG record counts, a field that is
 * not a number, a threshold that is not one, a threshold on columns the files lack) is a
 * failure, never a pass. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/bmp_file.h"
#include "io/hog_file.h"

#define RAD_TO_DEG (180.0 / 3.14159265358979323846)
#define EYE_LANDMARKS 56

typedef struct table {
    int ncols;
    char **names;
    long nrows;
    double *v; /* nrows x ncols */
} table;

static void free_table(table *t)
{
    for (int c = 0; t->names && c < t->ncols; c++)
        free(t->names[c]);
    free(t->names);
    free(t->v);
    memset(t, 0, sizeof *t);
}

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

/* A whole field as a finite number; 0 when it is not one. */
static int parse_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

static int read_header(const char *path, char *line, table *t)
{
    t->ncols = split_count(line);
    if (!(t->names = calloc((size_t)t->ncols, sizeof *t->names))) {
        fprintf(stderr, "auface-compare: out of memory reading %s\n", path);
        return 0;
    }
    char *save = NULL;
    int c = 0;
    for (char *tok = strtok_r(line, ",", &save); tok && c < t->ncols;
         tok = strtok_r(NULL, ",", &save))
        if (!(t->names[c++] = strdup(trim(tok)))) {
            fprintf(stderr, "auface-compare: out of memory reading %s\n", path);
            return 0;
        }
    if (c != t->ncols) {
        fprintf(stderr, "auface-compare: %s: empty column name in the header\n", path);
        return 0;
    }
    return 1;
}

/* Makes room for one more row; 0 when out of memory. */
static int grow_rows(table *t, long *cap_rows)
{
    if (t->nrows < *cap_rows)
        return 1;
    long cap = *cap_rows ? 2 * *cap_rows : 1024;
    double *grown = realloc(t->v, sizeof(double) * (size_t)cap * (size_t)t->ncols);
    if (!grown)
        return 0;
    t->v = grown;
    *cap_rows = cap;
    return 1;
}

static int read_row(const char *path, char *line, table *t)
{
    int fields = split_count(line);
    if (fields != t->ncols) {
        fprintf(stderr, "auface-compare: %s: row %ld has %d fields, header has %d\n", path,
                t->nrows + 2, fields, t->ncols);
        return 0;
    }
    double *row = t->v + (size_t)t->nrows * (size_t)t->ncols;
    char *save = NULL;
    int c = 0;
    for (char *tok = strtok_r(line, ",", &save); tok && c < t->ncols;
         tok = strtok_r(NULL, ",", &save), c++)
        if (!parse_number(tok, &row[c])) {
            fprintf(stderr, "auface-compare: %s: row %ld, column %s: '%s' is not a number\n",
                    path, t->nrows + 2, t->names[c], trim(tok));
            return 0;
        }
    if (c != t->ncols) {
        fprintf(stderr, "auface-compare: %s: row %ld has empty fields\n", path, t->nrows + 2);
        return 0;
    }
    t->nrows++;
    return 1;
}

static int load_table(const char *path, table *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "auface-compare: cannot open %s: %s\n", path, strerror(errno));
        return 0;
    }
    char *line = NULL;
    size_t cap = 0;
    long cap_rows = 0;
    int ok = getline(&line, &cap, f) > 0;
    if (!ok)
        fprintf(stderr, "auface-compare: %s is empty\n", path);
    ok = ok && read_header(path, line, t);
    while (ok && getline(&line, &cap, f) > 0) {
        if (!grow_rows(t, &cap_rows)) {
            fprintf(stderr, "auface-compare: out of memory reading %s\n", path);
            ok = 0;
        } else {
            ok = read_row(path, line, t);
        }
    }
    if (ok && ferror(f)) {
        fprintf(stderr, "auface-compare: read error in %s\n", path);
        ok = 0;
    }
    free(line);
    fclose(f);
    if (!ok)
        free_table(t);
    return ok;
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

/* Thresholds; a NAN limit is not checked. */
typedef struct limits {
    double min_r, max_mae, min_agree, max_landmark_px;
    double min_hog_frames;     /* fraction of frames whose HOG is within 1e-3 */
    double max_aligned_diff;   /* mean absolute grey-level difference of aligned faces */
    double min_r_var;   /* r (and the mean r) only over AUs whose reference std exceeds this */
    double min_mean_r;  /* mean r over the AU_r columns that vary */
    double min_success; /* fraction of frames whose success flag equals the reference's */
    double max_gaze_deg;  /* mean angle between the gaze vectors, degrees */
    double max_eye_px;    /* mean 2D eye-landmark distance, pixels */
} limits;

static int given(double limit)
{
    return !isnan(limit);
}

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
        printf("%-8s missing in the first file  FAIL\n", name);
        (*bad)++;
    }
    return oc;
}

static int compare_intensities(const table *ours, const table *ref, long n, const limits *lim)
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
        int varies = sd > lim->min_r_var;
        int fail = (given(lim->max_mae) && mae > lim->max_mae) ||
                   (given(lim->min_r) && varies && (isnan(r) || r < lim->min_r));
        printf("%-8s %9.5f %9.5f %9.4f%s\n", name, r, mae, sd, fail ? "  FAIL" : "");
        bad += fail;
        if (varies && !isnan(r)) {
            sum_r += r;
            count++;
        }
    }
    if (count) {
        int fail = given(lim->min_mean_r) && sum_r / count < lim->min_mean_r;
        printf("mean r over %d AUs with ref_std > %g: %.5f%s\n", count, lim->min_r_var,
               sum_r / count, fail ? "  FAIL" : "");
        bad += fail;
    } else if (given(lim->min_mean_r)) {
        printf("mean r: no AU varies in the reference  FAIL\n");
        bad++;
    }
    return bad;
}

static int compare_presences(const table *ours, const table *ref, long n, const limits *lim)
{
    int bad = 0;
    for (int c = 0; c < ref->ncols; c++) {
        const char *name = ref->names[c];
        int oc = is_au_column(name, "_c") ? matching_column(ours, name, &bad) : -1;
        if (oc < 0)
            continue;
        long agree = 0;
        for (long i = 0; i < n; i++)
            agree += (at(ours, i, oc) >= 0.5) == (at(ref, i, c) >= 0.5);
        double frac = (double)agree / (double)n;
        int fail = given(lim->min_agree) && frac < lim->min_agree;
        printf("%-8s agreement %6.2f %%%s\n", name, 100.0 * frac, fail ? "  FAIL" : "");
        bad += fail;
    }
    return bad;
}

/* Mean and largest 2D distance between the points prefix_x_K/prefix_y_K (K < count) of the
 * two tables; 0 when a column is missing from either. */
static int point_distances(const table *ours, const table *ref, long n, const char *xfmt,
                           const char *yfmt, int count, double *mean, double *worst)
{
    double sum = 0;
    *worst = 0;
    for (int k = 0; k < count; k++) {
        char xn[32], yn[32];
        snprintf(xn, sizeof xn, xfmt, k);
        snprintf(yn, sizeof yn, yfmt, k);
        int ox = column(ours, xn), oy = column(ours, yn), rx = column(ref, xn),
            ry = column(ref, yn);
        if (ox < 0 || oy < 0 || rx < 0 || ry < 0)
            return 0;
        for (long i = 0; i < n; i++) {
            double d = hypot(at(ours, i, ox) - at(ref, i, rx), at(ours, i, oy) - at(ref, i, ry));
            sum += d;
            *worst = d > *worst ? d : *worst;
        }
    }
    *mean = sum / ((double)n * count);
    return 1;
}

static int compare_landmarks(const table *ours, const table *ref, long n, const limits *lim)
{
    double mean, worst;
    if (!point_distances(ours, ref, n, "x_%d", "y_%d", 68, &mean, &worst)) {
        printf("2D landmarks: x_0..x_67, y_0..y_67 missing in a file  FAIL\n");
        return 1;
    }
    int fail = given(lim->max_landmark_px) && mean > lim->max_landmark_px;
    printf("2D landmarks: mean distance %.4f px, max %.4f px%s\n", mean, worst,
           fail ? "  FAIL" : "");
    return fail;
}

static int has_columns(const table *t, const char *const *names, int count)
{
    for (int k = 0; k < count; k++)
        if (column(t, names[k]) < 0)
            return 0;
    return 1;
}

static const char *const gaze_names[8] = {"gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x",
                                          "gaze_1_y", "gaze_1_z", "gaze_angle_x",
                                          "gaze_angle_y"};

/* Angle in degrees between the gaze vectors starting at column `oc` of ours and `rc` of
 * the reference in row i (0 when either is the zero vector of a frame without a face). */
static double gaze_angle_deg(const table *ours, int oc, const table *ref, int rc, long i)
{
    double dot = 0, na = 0, nb = 0;
    for (int d = 0; d < 3; d++) {
        double a = at(ours, i, oc + d), b = at(ref, i, rc + d);
        dot += a * b;
        na += a * a;
        nb += b * b;
    }
    if (na == 0 || nb == 0)
        return na == nb ? 0.0 : 180.0;
    double c = dot / sqrt(na * nb);
    return acos(c > 1 ? 1 : c < -1 ? -1 : c) * RAD_TO_DEG;
}

/* Per gaze column mean |diff| and r; the angle between the two files' gaze vectors (both
 * eyes), mean and max. */
static int compare_gaze(const table *ours, const table *ref, long n, const limits *lim)
{
    if (!has_columns(ours, gaze_names, 8) || !has_columns(ref, gaze_names, 8)) {
        if (!given(lim->max_gaze_deg))
            return 0;
        printf("gaze: gaze_* columns missing in a file  FAIL\n");
        return 1;
    }
    for (int k = 0; k < 8; k++) {
        double r, mae;
        pearson_mae(ours, column(ours, gaze_names[k]), ref, column(ref, gaze_names[k]), n, &r,
                    &mae);
        printf("gaze %-12s mean |diff| %.5f  r %.5f\n", gaze_names[k], mae, r);
    }
    double sum = 0, worst = 0;
    for (int eye = 0; eye < 2; eye++) {
        int oc = column(ours, gaze_names[3 * eye]), rc = column(ref, gaze_names[3 * eye]);
        for (long i = 0; i < n; i++) {
            double a = gaze_angle_deg(ours, oc, ref, rc, i);
            sum += a;
            worst = a > worst ? a : worst;
        }
    }
    double mean = sum / (2.0 * (double)n);
    int fail = given(lim->max_gaze_deg) && mean > lim->max_gaze_deg;
    printf("gaze direction: mean angle %.4f deg, max %.4f deg%s\n", mean, worst,
           fail ? "  FAIL" : "");
    return fail;
}

static int compare_eye_landmarks(const table *ours, const table *ref, long n,
                                 const limits *lim)
{
    double mean, worst;
    if (!point_distances(ours, ref, n, "eye_lmk_x_%d", "eye_lmk_y_%d", EYE_LANDMARKS, &mean,
                         &worst)) {
        if (!given(lim->max_eye_px))
            return 0;
        printf("eye landmarks: eye_lmk_x_*/eye_lmk_y_* missing in a file  FAIL\n");
        return 1;
    }
    int fail = given(lim->max_eye_px) && mean > lim->max_eye_px;
    printf("eye landmarks: mean distance %.4f px, max %.4f px%s\n", mean, worst,
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

static int compare_success(const table *ours, const table *ref, long n, const limits *lim)
{
    int oc = column(ours, "success"), rc = column(ref, "success");
    if (oc < 0 || rc < 0) {
        printf("success column missing in a file  FAIL\n");
        return 1;
    }
    long same = 0;
    for (long i = 0; i < n; i++)
        same += at(ours, i, oc) == at(ref, i, rc);
    double frac = (double)same / (double)n;
    int fail = given(lim->min_success) && frac < lim->min_success;
    printf("success flags equal on %.2f %% of frames%s\n", 100.0 * frac, fail ? "  FAIL" : "");
    return fail;
}

/* Reads the next record of both files: 1 both have one, 0 both ended, -1 otherwise
 * (reported). */
static int next_hog_pair(au_hog_reader *a, au_hog_record *ra, au_hog_reader *b,
                         au_hog_record *rb, long frames)
{
    au_err ea, eb;
    int ga = au_hog_reader_next(a, ra, &ea), gb = au_hog_reader_next(b, rb, &eb);
    if (ga < 0 || gb < 0) {
        fprintf(stderr, "auface-compare: %s\n", ga < 0 ? ea.msg : eb.msg);
        return -1;
    }
    if (ga != gb) {
        printf("HOG: record counts differ: the %s file ends after %ld records  FAIL\n",
               ga ? "second" : "first", frames);
        return -1;
    }
    return ga;
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
    int got, broken = 0;
    while ((got = next_hog_pair(a, &ra, b, &rb, frames)) == 1) {
        int len = ra.num_rows * ra.num_cols * ra.num_channels;
        if (len != rb.num_rows * rb.num_cols * rb.num_channels) {
            printf("HOG: record %ld sizes differ  FAIL\n", frames);
            broken = 1;
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
    broken |= got < 0;
    au_hog_reader_close(a);
    au_hog_reader_close(b);
    double frac = frames ? (double)frames_ok / (double)frames : 0.0;
    int fail = broken || frames == 0 || frac < min_frac;
    printf("HOG: %ld frames, max |diff| %.3g, %.2f %% of frames within %.0e%s\n", frames, worst,
           100.0 * frac, max_diff, fail ? "  FAIL" : "");
    return fail;
}

/* Mean absolute difference of two aligned faces; -1 when either cannot be read or their
 * sizes differ. Counts differing values in *differing and compared ones in *values. */
static double aligned_frame_diff(const char *pa, const char *pb, long *differing, long *values)
{
    int wa, ha, wb, hb;
    uint8_t *ia = NULL, *ib = NULL;
    au_err err;
    double mean = -1;
    if (au_bmp_read(pa, &ia, &wa, &ha, &err) == AUFACE_OK &&
        au_bmp_read(pb, &ib, &wb, &hb, &err) == AUFACE_OK && wa == wb && ha == hb) {
        double s = 0;
        for (int i = 0; i < wa * ha * 3; i++) {
            int d = abs((int)ia[i] - (int)ib[i]);
            s += d;
            *differing += d != 0;
        }
        *values += (long)wa * ha * 3;
        mean = s / (wa * ha * 3);
    }
    free(ia);
    free(ib);
    return mean;
}

static int compare_aligned(const char *ours, const char *ref, long frames, double max_mean)
{
    double sum = 0, worst_mean = 0;
    long count = 0, differing = 0, total_px = 0;
    for (long f = 1; f <= frames; f++) {
        char pa[4096], pb[4096];
        snprintf(pa, sizeof pa, "%s/frame_det_00_%06ld.bmp", ours, f);
        snprintf(pb, sizeof pb, "%s/frame_det_00_%06ld.bmp", ref, f);
        double mean = aligned_frame_diff(pa, pb, &differing, &total_px);
        if (mean < 0)
            continue;
        sum += mean;
        worst_mean = mean > worst_mean ? mean : worst_mean;
        count++;
    }
    if (!count) {
        printf("aligned faces: none compared  FAIL\n");
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
          "                      [--max-gaze-diff DEG] [--max-eye-px P]\n"
          "Prints per-AU Pearson r and mean absolute difference, AU presence agreement,\n"
          "landmark distance, gaze and eye-landmark differences (when both files have\n"
          "them) and pose differences; exits 1 if a given threshold fails or the files\n"
          "cannot be compared (missing landmark or success columns, different row or HOG\n"
          "record counts), 2 on a usage error.\n",
          stderr);
}

typedef struct inputs {
    const char *hog_a, *hog_b, *aligned_a, *aligned_b;
} inputs;

/* Parses the options after the two CSVs; 0 on a usage error (reported). */
static int parse_options(int argc, char **argv, limits *lim, inputs *in)
{
    const struct {
        const char *name;
        const char **first, **second;
    } path_options[] = {
        {"--hog", &in->hog_a, &in->hog_b},
        {"--aligned", &in->aligned_a, &in->aligned_b},
    };
    const struct {
        const char *name;
        double *value;
    } number_options[] = {
        {"--min-r", &lim->min_r},
        {"--max-mae", &lim->max_mae},
        {"--min-agree", &lim->min_agree},
        {"--max-landmark-px", &lim->max_landmark_px},
        {"--min-mean-r", &lim->min_mean_r},
        {"--min-success", &lim->min_success},
        {"--min-hog-frames", &lim->min_hog_frames},
        {"--max-aligned-diff", &lim->max_aligned_diff},
        {"--r-min-std", &lim->min_r_var},
        {"--max-gaze-diff", &lim->max_gaze_deg},
        {"--max-eye-px", &lim->max_eye_px},
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
                if (!parse_number(argv[i + 1], number_options[k].value)) {
                    fprintf(stderr, "auface-compare: %s needs a number, not '%s'\n", argv[i],
                            argv[i + 1]);
                    return 0;
                }
                i++;
                known = 1;
            }
        if (!known) {
            fprintf(stderr, "auface-compare: unknown or incomplete option '%s'\n", argv[i]);
            usage();
            return 0;
        }
    }
    return 1;
}

/* Every check on the two tables' first n rows; returns the number of failures. */
static int compare_tables(const table *ours, const table *ref, long n, const limits *lim)
{
    int bad = compare_intensities(ours, ref, n, lim);
    bad += compare_presences(ours, ref, n, lim);
    bad += compare_success(ours, ref, n, lim);
    bad += compare_landmarks(ours, ref, n, lim);
    bad += compare_gaze(ours, ref, n, lim);
    bad += compare_eye_landmarks(ours, ref, n, lim);
    static const char *const pose[] = {"pose_Tx", "pose_Ty", "pose_Tz",
                                       "pose_Rx", "pose_Ry", "pose_Rz"};
    compare_named(ours, ref, n, pose, 6, "pose");
    static const char *const params[] = {"p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"};
    compare_named(ours, ref, n, params, 6, "params");
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    limits lim = {.min_r = NAN, .max_mae = NAN, .min_agree = NAN, .max_landmark_px = NAN,
                  .min_hog_frames = 0, .max_aligned_diff = 256, .min_r_var = 0,
                  .min_mean_r = NAN, .min_success = NAN, .max_gaze_deg = NAN,
                  .max_eye_px = NAN};
    inputs in = {0};
    if (!parse_options(argc, argv, &lim, &in))
        return 2;
    table ours, ref;
    if (!load_table(argv[1], &ours))
        return 2;
    if (!load_table(argv[2], &ref)) {
        free_table(&ours);
        return 2;
    }
    long n = ours.nrows < ref.nrows ? ours.nrows : ref.nrows;
    int bad = 0;
    if (ours.nrows != ref.nrows) {
        printf("row counts differ: %ld vs %ld (comparing the first %ld)  FAIL\n", ours.nrows,
               ref.nrows, n);
        bad++;
    }
    if (n == 0) {
        printf("no rows to compare  FAIL\n");
        bad++;
    } else {
        bad += compare_tables(&ours, &ref, n, &lim);
    }
    if (in.hog_a)
        bad += compare_hog(in.hog_a, in.hog_b, 1e-3, lim.min_hog_frames);
    if (in.aligned_a)
        bad += compare_aligned(in.aligned_a, in.aligned_b, n, lim.max_aligned_diff);
    printf("%s\n", bad ? "RESULT: thresholds NOT met" : "RESULT: ok");
    free_table(&ours);
    free_table(&ref);
    return bad ? 1 : 0;
}
