#include "face/pdm.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/rotation.h"

/* A PDM text file is a few hundred kilobytes (the 68-point one is 160 kB); anything far
 * larger is not a PDM. */
#define PDM_MAX_FILE_BYTES (16L << 20)

/* OpenCV type codes accepted by ReadMat for the PDM matrices (CV_32FC1, CV_64FC1). */
#define CV_32FC1_CODE 5
#define CV_64FC1_CODE 6

typedef struct text_cursor {
    const char *p;
    const char *end;
    const char *path;
} text_cursor;

/* LandmarkDetectorUtils.cpp SkipComments: while the next character is '#', '\n', ' ' or
 * '\r', discard the rest of the line (getline). */
static void skip_comments(text_cursor *c)
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
static int next_token(text_cursor *c, char *buf, size_t cap)
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

static auface_status read_int(text_cursor *c, const char *matrix, const char *what, long lo,
                              long hi, int *out, au_err *err)
{
    char tok[64];
    int r = next_token(c, tok, sizeof tok);
    if (r == 0)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: %s: file ends before the %s", c->path,
                       matrix, what);
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

/* ReadMat: rows, cols, type, then rows·cols values row-major; stored as float
 * (PDM::Read converts the double matrix to CV_32F, i.e. rounds each value to float). */
static auface_status read_matrix(text_cursor *c, const char *matrix, int max_rows,
                                 int max_cols, int *rows, int *cols, float **data, au_err *err)
{
    int type;
    auface_status st;
    *data = NULL;
    skip_comments(c);
    if ((st = read_int(c, matrix, "row count", 1, max_rows, rows, err)) != AUFACE_OK ||
        (st = read_int(c, matrix, "column count", 1, max_cols, cols, err)) != AUFACE_OK ||
        (st = read_int(c, matrix, "type code", 0, 1000, &type, err)) != AUFACE_OK)
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

static auface_status read_file(const char *path, char **text, long *size, au_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot open the PDM file: %s", path,
                       strerror(errno));
    char *buf = malloc(PDM_MAX_FILE_BYTES + 1);
    if (!buf) {
        fclose(f);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory reading the PDM", path);
    }
    size_t n = fread(buf, 1, PDM_MAX_FILE_BYTES + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return au_fail(err, AUFACE_ERR_IO, "%s: read error", path);
    }
    if (n > PDM_MAX_FILE_BYTES) {
        free(buf);
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: larger than %ld bytes, not a PDM file",
                       path, PDM_MAX_FILE_BYTES);
    }
    *text = buf;
    *size = (long)n;
    return AUFACE_OK;
}

static auface_status check_shapes(const char *path, int mean_rows, int mean_cols, int pc_rows,
                                  int pc_cols, int eig_rows, int eig_cols, au_err *err)
{
    if (mean_cols != 1 || mean_rows % 3 != 0 || mean_rows / 3 > AU_PDM_MAX_POINTS)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the mean shape is %d x %d, expected 3n x 1 with n <= %d", path,
                       mean_rows, mean_cols, AU_PDM_MAX_POINTS);
    if (pc_rows != mean_rows || pc_cols > AU_PDM_MAX_MODES)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the principal components are %d x %d, expected %d x m with m <= %d",
                       path, pc_rows, pc_cols, mean_rows, AU_PDM_MAX_MODES);
    if (eig_rows != 1 || eig_cols != pc_cols)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the eigenvalues are %d x %d, expected 1 x %d", path, eig_rows,
                       eig_cols, pc_cols);
    return AUFACE_OK;
}

auface_status au_pdm_load(au_pdm *pdm, const char *path, au_err *err)
{
    memset(pdm, 0, sizeof *pdm);
    char *text = NULL;
    long size = 0;
    auface_status st = read_file(path, &text, &size, err);
    if (st != AUFACE_OK)
        return st;

    text_cursor c = {text, text + size, path};
    int mr, mc, pr, pc, er, ec;
    float *mean = NULL, *comp = NULL, *eig = NULL;
    st = read_matrix(&c, "mean shape", 3 * AU_PDM_MAX_POINTS, 1000, &mr, &mc, &mean, err);
    if (st == AUFACE_OK)
        st = read_matrix(&c, "principal components", 3 * AU_PDM_MAX_POINTS, AU_PDM_MAX_MODES,
                         &pr, &pc, &comp, err);
    if (st == AUFACE_OK)
        st = read_matrix(&c, "eigenvalues", 1000, AU_PDM_MAX_MODES, &er, &ec, &eig, err);
    if (st == AUFACE_OK)
        st = check_shapes(path, mr, mc, pr, pc, er, ec, err);
    for (int j = 0; st == AUFACE_OK && j < ec; j++)
        if (!(eig[j] > 0.0f))
            st = au_fail(err, AUFACE_ERR_FORMAT,
                         "%s: eigenvalue %d is %g; the eigenvalues (variances) must be > 0",
                         path, j + 1, (double)eig[j]);
    free(text);
    if (st != AUFACE_OK) {
        free(mean);
        free(comp);
        free(eig);
        return st;
    }
    pdm->n = mr / 3;
    pdm->m = pc;
    pdm->mean = mean;
    pdm->pc = comp;
    pdm->eig = eig;
    return AUFACE_OK;
}

void au_pdm_free(au_pdm *pdm)
{
    if (!pdm)
        return;
    free(pdm->mean);
    free(pdm->pc);
    free(pdm->eig);
    memset(pdm, 0, sizeof *pdm);
}

/* PDM::CalcShape3D calls OpenBLAS sgemm_ (mean + V·p with beta = 1, a 1-row product in
 * BLAS terms). OpenBLAS's AVX2 (Haswell/Zen) SGEMM kernel computes each element as a chain
 * of fused multiply-adds over the modes in order, starting from 0, and adds it to the mean
 * (C = fma(acc, alpha, C), alpha = 1); checked bit for bit against OpenBLAS 0.3.21. The
 * same holds for `M + V*p` in PDM::CalcParams, which OpenCV hands to cblas_sgemm (204 rows
 * >= 100, hal_internal.cpp HAL_GEMM_SMALL_MATRIX_THRESH). */
/* Cloned for FMA hardware (fmaf inline instead of a libm call; same bits either way). */
__attribute__((target_clones("fma", "default")))
void au_pdm_shape3d(const au_pdm *pdm, const float *p_local, float *out3n)
{
    const int rows = 3 * pdm->n, m = pdm->m;
    for (int r = 0; r < rows; r++) {
        const float *v = pdm->pc + (size_t)r * m;
        float acc = 0.0f;
        for (int j = 0; j < m; j++)
            acc = fmaf(v[j], p_local[j], acc);
        out3n[r] = pdm->mean[r] + acc;
    }
}

void au_pdm_shape2d(const au_pdm *pdm, const float global[6], const float *p_local,
                    float *out2n)
{
    const int n = pdm->n;
    if (n < 1 || n > AU_PDM_MAX_POINTS)
        return; /* not a PDM au_pdm_load accepts */
    float shape[3 * AU_PDM_MAX_POINTS], R[9];
    const float s = global[0], tx = global[4], ty = global[5];
    au_euler_to_rotation(global + 1, R);
    au_pdm_shape3d(pdm, p_local, shape);
    for (int i = 0; i < n; i++) {
        const float X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
        out2n[i] = s * (R[0] * X + R[1] * Y + R[2] * Z) + tx;
        out2n[i + n] = s * (R[3] * X + R[4] * Y + R[5] * Z) + ty;
    }
}
