/* Streaming reader for OpenFace landmark CSVs; see io/landmark_csv.h. */
#include "io/landmark_csv.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Column roles; other values 0..135 are positions in the planar landmark vector, and
 * COL_EYE + 0..111 in the planar eye landmark vector. */
enum {
    COL_IGNORED = -1,
    COL_FRAME = 2 * AU_LANDMARK_CSV_POINTS,
    COL_SUCCESS,
    COL_CONFIDENCE,
    COL_EYE
};
#define EYE_VALUES (2 * AU_LANDMARK_CSV_EYE_POINTS)

struct au_landmark_csv {
    FILE *f;
    char *path;
    char *line;          /* current line, NUL-terminated, without the line break */
    size_t line_cap;
    long line_no;
    long rows;           /* data rows returned so far */
    int ncols;           /* fields per line (from the header) */
    int *role;           /* ncols entries: COL_IGNORED, COL_FRAME, COL_SUCCESS or 0..135 */
    int has_frame, has_success, has_confidence;
    int has_eyes;        /* every eye_lmk_x_N / eye_lmk_y_N column is present */
    double confidence;   /* of the last row read */
    float eyes[EYE_VALUES]; /* of the last row read, planar */
    locale_t c_locale;
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Reads one line into r->line. 1 read, 0 end of file, -1 error (its status in *status). */
static int read_line(au_landmark_csv *r, auface_status *status, au_err *err)
{
    size_t len = 0;
    for (;;) {
        if (r->line_cap - len < 2) {
            if (r->line_cap >= AU_LANDMARK_CSV_MAX_LINE) {
                *status = au_fail(err, AUFACE_ERR_FORMAT, "%s:%ld: line longer than %d bytes",
                                  r->path, r->line_no + 1, AU_LANDMARK_CSV_MAX_LINE);
                return -1;
            }
            size_t cap = r->line_cap ? r->line_cap * 2 : 4096;
            if (cap > AU_LANDMARK_CSV_MAX_LINE)
                cap = AU_LANDMARK_CSV_MAX_LINE;
            char *p = realloc(r->line, cap);
            if (!p) {
                *status = au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", r->path);
                return -1;
            }
            r->line = p;
            r->line_cap = cap;
        }
        if (!fgets(r->line + len, (int)(r->line_cap - len), r->f)) {
            if (ferror(r->f)) {
                *status = au_fail(err, AUFACE_ERR_IO, "%s:%ld: read error", r->path,
                                  r->line_no + 1);
                return -1;
            }
            if (len == 0)
                return 0;
            break;
        }
        len += strlen(r->line + len);
        if (len > 0 && r->line[len - 1] == '\n')
            break;
    }
    r->line_no++;
    while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
        r->line[--len] = '\0';
    return 1;
}

/* Trims blanks around [*begin, *end). */
static void trim(char **begin, char **end)
{
    while (*begin < *end && is_blank(**begin))
        (*begin)++;
    while (*end > *begin && is_blank((*end)[-1]))
        (*end)--;
}

/* The point index of "<x or y>_N" in [b, e) (N below `points`, one or two digits without
 * leading zeros, as OpenFace writes them) as a planar position (x: N, y: points + N), or
 * COL_IGNORED. */
static int planar_index(const char *b, const char *e, int points)
{
    size_t n = (size_t)(e - b);
    if (n < 3 || n > 4 || (b[0] != 'x' && b[0] != 'y') || b[1] != '_')
        return COL_IGNORED;
    int idx = 0;
    for (const char *p = b + 2; p < e; p++) {
        if (*p < '0' || *p > '9')
            return COL_IGNORED;
        idx = idx * 10 + (*p - '0');
    }
    if ((n == 4 && b[2] == '0') || idx >= points)
        return COL_IGNORED;
    return (b[0] == 'x' ? 0 : points) + idx;
}

/* Role of a header name: x_N / y_N (N = 0..67), eye_lmk_x_N / eye_lmk_y_N (N = 0..55),
 * frame, success, confidence, or ignored. */
static int column_role(const char *b, const char *e)
{
    size_t n = (size_t)(e - b);
    if (n == 5 && memcmp(b, "frame", 5) == 0)
        return COL_FRAME;
    if (n == 7 && memcmp(b, "success", 7) == 0)
        return COL_SUCCESS;
    if (n == 10 && memcmp(b, "confidence", 10) == 0)
        return COL_CONFIDENCE;
    if (n > 8 && memcmp(b, "eye_lmk_", 8) == 0) {
        int i = planar_index(b + 8, e, AU_LANDMARK_CSV_EYE_POINTS);
        return i == COL_IGNORED ? COL_IGNORED : COL_EYE + i;
    }
    return planar_index(b, e, AU_LANDMARK_CSV_POINTS);
}

static int count_fields(const char *line)
{
    int n = 1;
    for (const char *p = line; (p = strchr(p, ',')) != NULL; p++)
        n++;
    return n;
}

static auface_status parse_header(au_landmark_csv *r, au_err *err)
{
    auface_status status = AUFACE_OK;
    int got = read_line(r, &status, err);
    if (got < 0)
        return status;
    if (got == 0)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: empty file, expected a CSV header",
                       r->path);
    char *line = r->line;
    if ((unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
        (unsigned char)line[2] == 0xBF)
        line += 3; /* UTF-8 byte order mark */
    r->ncols = count_fields(line);
    r->role = malloc((size_t)r->ncols * sizeof *r->role);
    if (!r->role)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", r->path);
    int found[COL_EYE + EYE_VALUES] = {0};
    char *b = line;
    for (int c = 0; c < r->ncols; c++) {
        char *e = strchr(b, ',');
        if (!e)
            e = b + strlen(b);
        char *nb = b, *ne = e;
        trim(&nb, &ne);
        int role = column_role(nb, ne);
        /* the first column of a name wins; later duplicates are ignored */
        if ((role == COL_FRAME && r->has_frame) || (role == COL_SUCCESS && r->has_success) ||
            (role == COL_CONFIDENCE && r->has_confidence) ||
            (role >= 0 && role != COL_FRAME && role != COL_SUCCESS &&
             role != COL_CONFIDENCE && found[role]))
            role = COL_IGNORED;
        if (role == COL_FRAME)
            r->has_frame = 1;
        else if (role == COL_SUCCESS)
            r->has_success = 1;
        else if (role == COL_CONFIDENCE)
            r->has_confidence = 1;
        else if (role >= 0)
            found[role] = 1;
        r->role[c] = role;
        b = e + 1;
    }
    for (int i = 0; i < 2 * AU_LANDMARK_CSV_POINTS; i++)
        if (!found[i])
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s:%ld: the header has no column %c_%d (an OpenFace CSV with 2D "
                           "landmarks, -2Dfp, is needed)",
                           r->path, r->line_no, i < AU_LANDMARK_CSV_POINTS ? 'x' : 'y',
                           i % AU_LANDMARK_CSV_POINTS);
    r->has_eyes = 1;
    for (int i = 0; i < EYE_VALUES; i++)
        r->has_eyes &= found[COL_EYE + i];
    return AUFACE_OK;
}

auface_status au_landmark_csv_open(au_landmark_csv **out, const char *path, au_err *err)
{
    if (!out || !path)
        return au_fail(err, AUFACE_ERR_ARG, "au_landmark_csv_open: NULL argument");
    *out = NULL;
    au_landmark_csv *r = calloc(1, sizeof *r);
    if (!r)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    r->path = malloc(strlen(path) + 1);
    r->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!r->path || r->c_locale == (locale_t)0) {
        au_landmark_csv_close(r);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    }
    strcpy(r->path, path);
    r->f = fopen(path, "rb");
    if (!r->f) {
        auface_status s = au_fail(err, AUFACE_ERR_IO, "%s: cannot open: %s", path,
                                  strerror(errno));
        au_landmark_csv_close(r);
        return s;
    }
    auface_status s = parse_header(r, err);
    if (s != AUFACE_OK) {
        au_landmark_csv_close(r);
        return s;
    }
    *out = r;
    return AUFACE_OK;
}

/* 1 if [b, e) is a decimal number as std::istream >> float accepts it: optional sign,
 * digits with an optional '.', optional exponent (no "inf", "nan" or hex floats). */
static int is_decimal_number(const char *b, const char *e)
{
    const char *p = b;
    if (p < e && (*p == '+' || *p == '-'))
        p++;
    int digits = 0;
    while (p < e && *p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (p < e && *p == '.') {
        p++;
        while (p < e && *p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    }
    if (!digits)
        return 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p == e || *p < '0' || *p > '9')
            return 0;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    return p == e;
}

/* Parses field [b, e) of column `col` (in place: the line is ours). */
static int parse_field(au_landmark_csv *r, int col, char *b, char *e, long *frame_number,
                       int *success, float *landmarks, au_err *err)
{
    char *tb = b, *te = e;
    trim(&tb, &te);
    int role = r->role[col];
    if (!is_decimal_number(tb, te)) {
        au_fail(err, AUFACE_ERR_FORMAT, "%s:%ld: field %d ('%.*s'): not a number", r->path,
                r->line_no, col + 1, (int)(te - tb > 40 ? 40 : te - tb), tb);
        return -1;
    }
    char saved = *te;
    *te = '\0';
    if (role == COL_FRAME || role == COL_SUCCESS || role == COL_CONFIDENCE) {
        double v = strtod(tb, NULL);
        *te = saved;
        if (role == COL_CONFIDENCE) {
            r->confidence = v;
            return 0;
        }
        if (role == COL_SUCCESS) {
            *success = v != 0.0;
            return 0;
        }
        if (!(fabs(v) < 1e15) || v != floor(v)) {
            au_fail(err, AUFACE_ERR_FORMAT, "%s:%ld: frame '%.*s' is not an integer", r->path,
                    r->line_no, (int)(te - tb > 40 ? 40 : te - tb), tb);
            return -1;
        }
        *frame_number = (long)v;
        return 0;
    }
    float v = strtof(tb, NULL);
    *te = saved;
    if (!isfinite(v)) {
        au_fail(err, AUFACE_ERR_FORMAT, "%s:%ld: field %d ('%.*s') is out of float range",
                r->path, r->line_no, col + 1, (int)(te - tb > 40 ? 40 : te - tb), tb);
        return -1;
    }
    if (role >= COL_EYE)
        r->eyes[role - COL_EYE] = v;
    else
        landmarks[role] = v;
    return 0;
}

static int parse_row(au_landmark_csv *r, long *frame_number, int *success, float *landmarks,
                     au_err *err)
{
    int n = count_fields(r->line);
    if (n != r->ncols) {
        au_fail(err, AUFACE_ERR_FORMAT, "%s:%ld: expected %d fields as in the header, found %d",
                r->path, r->line_no, r->ncols, n);
        return -1;
    }
    *frame_number = r->rows + 1;
    *success = 1;
    r->confidence = 0.0;
    char *b = r->line;
    for (int c = 0; c < r->ncols; c++) {
        char *e = strchr(b, ',');
        if (!e)
            e = b + strlen(b);
        if (r->role[c] != COL_IGNORED &&
            parse_field(r, c, b, e, frame_number, success, landmarks, err) < 0)
            return -1;
        b = e + 1;
    }
    return 1;
}

int au_landmark_csv_next(au_landmark_csv *r, long *frame_number, int *success,
                         float *landmarks136, au_err *err)
{
    if (!r || !frame_number || !success || !landmarks136) {
        au_fail(err, AUFACE_ERR_ARG, "au_landmark_csv_next: NULL argument");
        return -1;
    }
    for (;;) {
        auface_status status;
        int got = read_line(r, &status, err);
        if (got <= 0)
            return got;
        const char *p = r->line;
        while (is_blank(*p))
            p++;
        if (*p != '\0')
            break;
    }
    /* strtof/strtod in the "C" locale whatever the application's locale is. */
    locale_t previous = uselocale(r->c_locale);
    int ret = parse_row(r, frame_number, success, landmarks136, err);
    uselocale(previous);
    if (ret == 1)
        r->rows++;
    return ret;
}

int au_landmark_csv_eyes(const au_landmark_csv *r, float *eyes112)
{
    if (r->has_eyes)
        memcpy(eyes112, r->eyes, sizeof r->eyes);
    return r->has_eyes;
}

int au_landmark_csv_confidence(const au_landmark_csv *r, double *confidence)
{
    *confidence = r->confidence;
    return r->has_confidence;
}

long au_landmark_csv_line(const au_landmark_csv *r)
{
    return r->line_no;
}

void au_landmark_csv_close(au_landmark_csv *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    if (r->c_locale != (locale_t)0)
        freelocale(r->c_locale);
    free(r->role);
    free(r->line);
    free(r->path);
    free(r);
}
