#include "common/text_matrix.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* OpenCV type codes ReadMat accepts for a float matrix (CV_32FC1, CV_64FC1). */
#define CV_32FC1_CODE 5
#define CV_64FC1_CODE 6

/* LandmarkDetectorUtils.cpp SkipComments. */
void au_text_skip_comments(au_text_cursor *c)
{
    while (c->p < c->end && (*c->p == '#' || *c->p == '\n' || *c->p == ' ' || *c->p == '\r')) {
        while (c->p < c->end && *c->p != '\n')
            c->p++;
        if (c->p < c->end)
            c->p++;
    }
}

/* The next whitespace-delimited token (what `stream >> value` consumes), copied into buf.
 * Returns 0 at end of input, -1 if the token is too long to be a number. */
static int next_token(au_text_cursor *c, char *buf, size_t cap)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
    if (c->p >= c->end)
        return 0;
    size_t len = 0;
    while (c->p < c->end && !isspace((unsigned char)*c->p)) {
        if (len + 1 >= cap)
            return -1;
        buf[len++] = *c->p++;
    }
    buf[len] = '\0';
    return 1;
}

auface_status au_text_int(au_text_cursor *c, const char *matrix, const char *what, long lo,
                          long hi, int *out, au_err *err)
{
    char tok[64];
    int r = next_token(c, tok, sizeof tok);
    if (r == 0)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: %s: file ends before the %s (truncated)",
                       c->path, matrix, what);
    char *endp = NULL;
    errno = 0;
    long v = r > 0 ? strtol(tok, &endp, 10) : 0;
    if (r < 0 || errno != 0 || endp == tok || *endp != '\0' || v < lo || v > hi)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: %s: expected the %s (an integer in %ld..%ld), found '%.40s'",
                       c->path, matrix, what, lo, hi, r < 0 ? "(overlong token)" : tok);
    *out = (int)v;
    return AUFACE_OK;
}

/* LandmarkDetectorUtils.cpp ReadMat; the PDM (PDM::Read) converts the matrix to CV_32F. */
auface_status au_text_matrix_f32(au_text_cursor *c, const char *matrix, int max_rows,
                                 int max_cols, int *rows, int *cols, float **data,
                                 au_err *err)
{
    int type;
    auface_status st;
    *data = NULL;
    au_text_skip_comments(c);
    if ((st = au_text_int(c, matrix, "row count", 1, max_rows, rows, err)) != AUFACE_OK ||
        (st = au_text_int(c, matrix, "column count", 1, max_cols, cols, err)) != AUFACE_OK ||
        (st = au_text_int(c, matrix, "type code", 0, 1000, &type, err)) != AUFACE_OK)
        return st;
    if (type != CV_64FC1_CODE && type != CV_32FC1_CODE)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: %s: OpenCV type code %d, expected 6 (CV_64FC1) or 5 (CV_32FC1)",
                       c->path, matrix, type);

    const long count = (long)*rows * *cols;
    float *v = malloc((size_t)count * sizeof *v);
    if (!v)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: %s: out of memory for %ld values", c->path,
                       matrix, count);
    for (long i = 0; i < count; i++) {
        char tok[128];
        int r = next_token(c, tok, sizeof tok);
        if (r == 0) {
            free(v);
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: %s: truncated, the file ends after %ld of %ld values (%d x %d)",
                           c->path, matrix, i, count, *rows, *cols);
        }
        char *endp = NULL;
        double d = r > 0 ? strtod(tok, &endp) : 0.0;
        float f = type == CV_64FC1_CODE ? (float)d : (r > 0 ? strtof(tok, &endp) : 0.0f);
        if (r < 0 || endp == tok || *endp != '\0' || !isfinite(d) || !isfinite(f)) {
            free(v);
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: %s: value %ld (row %ld, column %ld) is not a finite number: "
                           "'%.40s'",
                           c->path, matrix, i + 1, i / *cols + 1, i % *cols + 1,
                           r < 0 ? "(overlong token)" : tok);
        }
        v[i] = f;
    }
    *data = v;
    return AUFACE_OK;
}
