#include "landmark/clnf_model.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file_read.h"
#include "common/le_bytes.h"
#include "common/text_matrix.h"

/* The largest model file is 2.4 MB (a CCNF patch file); anything far larger is not one. */
#define MAX_MODEL_FILE_BYTES (256L << 20)
/* main_clnf_*.txt and clnf_*.txt are a few hundred bytes. */
#define MAX_LIST_FILE_BYTES (1L << 20)

/* OpenCV type codes in ReadMatBin / ReadMat records (CV_32SC1, CV_32FC1, CV_64FC1). */
#define CV_32S_CODE 4
#define CV_32F_CODE 5
#define CV_64F_CODE 6
#define TYPE_BIT(t) (1u << (t))

/* Record tags checked by CCNF_patch_expert::Read and CCNF_neuron::Read (asserts). */
#define CCNF_EXPERT_TAG 5
#define CCNF_NEURON_TAG 2
/* DetectionValidator::Read: only the CNN validator (type 3) is supported by OpenFace 2.2. */
#define VALIDATOR_TYPE_CNN 3

/* Bounds that no real file comes near; they keep garbled counts from allocating absurd
 * amounts before the "file ends" check catches them. */
#define MAX_CNN_DEPTH 64
#define MAX_CNN_MAPS 4096
#define MAX_CNN_KERNEL 64
#define MAX_VALIDATOR_GRID 1024
#define MAX_SIGMA_COMPONENTS 16

#ifndef M_PI
#define M_PI 3.14159265358979323846 /* as OpenFace defines it when <cmath> does not */
#endif

struct au_clnf_model {
    au_clnf main;
    int num_parts;
    au_clnf_part parts[AU_CLNF_MAX_PARTS];
    int has_validator;
    au_clnf_validator validator;
};

/* ---------------------------------------------------------------------------------------
 * Files and paths
 * ------------------------------------------------------------------------------------- */

/* root / location as boost::filesystem composes them: the directory of `from` joined with
 * `rel`, or `rel` itself when it is absolute. Returns a malloc'd string or NULL. */
static char *join_path(const char *from, const char *rel)
{
    if (rel[0] == '/')
        return strdup(rel);
    const char *slash = strrchr(from, '/');
    size_t dir_len = slash ? (size_t)(slash - from) + 1 : 0;
    size_t rel_len = strlen(rel);
    char *p = malloc(dir_len + rel_len + 1);
    if (!p)
        return NULL;
    memcpy(p, from, dir_len);
    memcpy(p + dir_len, rel, rel_len + 1);
    return p;
}

/* ---------------------------------------------------------------------------------------
 * Binary cursor with an error context (which element of which file)
 * ------------------------------------------------------------------------------------- */

typedef struct bin_cursor {
    const unsigned char *base, *p, *end;
    const char *path;
    const char *section; /* what is being read, e.g. "patch expert" */
    int view, point, neuron, item; /* -1 when not applicable */
} bin_cursor;

static void cursor_init(bin_cursor *c, const unsigned char *data, size_t size, const char *path)
{
    c->base = c->p = data;
    c->end = data + size;
    c->path = path;
    c->section = "header";
    c->view = c->point = c->neuron = c->item = -1;
}

static auface_status cursor_fail(const bin_cursor *c, au_err *err, auface_status st,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static auface_status cursor_fail(const bin_cursor *c, au_err *err, auface_status st,
                                 const char *fmt, ...)
{
    char where[160] = "";
    size_t n = 0;
    if (c->view >= 0)
        n += (size_t)snprintf(where + n, sizeof where - n, ", view %d", c->view);
    if (c->point >= 0 && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, ", landmark %d", c->point);
    if (c->neuron >= 0 && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, ", neuron %d", c->neuron);
    if (c->item >= 0 && n < sizeof where)
        snprintf(where + n, sizeof where - n, " %d", c->item);
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return au_fail(err, st, "%s: %s%s: %s (byte offset %ld of %ld)", c->path, c->section,
                   where, msg, (long)(c->p - c->base), (long)(c->end - c->base));
}

/* Reads a binary model file (*data, to free) and puts a cursor at its start. */
static auface_status read_binary(const char *path, const char *kind, unsigned char **data,
                                 bin_cursor *c, au_err *err)
{
    size_t size;
    auface_status st =
        au_read_file(path, kind, MAX_MODEL_FILE_BYTES, AUFACE_ERR_IO, data, &size, err);
    if (st == AUFACE_OK)
        cursor_init(c, *data, size, path);
    return st;
}

static int cursor_has(const bin_cursor *c, size_t bytes)
{
    return (size_t)(c->end - c->p) >= bytes;
}

static auface_status truncated(const bin_cursor *c, const char *what, size_t bytes, au_err *err)
{
    return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                       "truncated: the file ends inside the %s (%zu bytes needed, %zu left)",
                       what, bytes, (size_t)(c->end - c->p));
}

/* Reads an int32 that must lie in lo..hi. */
static auface_status read_i32(bin_cursor *c, const char *what, long lo, long hi, int *out,
                              au_err *err)
{
    if (!cursor_has(c, 4))
        return truncated(c, what, 4, err);
    int32_t v = au_le_i32(c->p);
    if (v < lo || v > hi) {
        if (lo == hi)
            return cursor_fail(c, err, AUFACE_ERR_FORMAT, "%s is %ld, expected %ld", what,
                               (long)v, lo);
        return cursor_fail(c, err, AUFACE_ERR_FORMAT, "%s is %ld, expected %ld..%ld", what,
                           (long)v, lo, hi);
    }
    c->p += 4;
    *out = (int)v;
    return AUFACE_OK;
}

/* Reads a float64 that must be finite. */
static auface_status read_f64(bin_cursor *c, const char *what, double *out, au_err *err)
{
    if (!cursor_has(c, 8))
        return truncated(c, what, 8, err);
    double v = au_le_f64(c->p);
    if (!isfinite(v))
        return cursor_fail(c, err, AUFACE_ERR_FORMAT, "%s is not a finite number", what);
    c->p += 8;
    *out = v;
    return AUFACE_OK;
}

/* A ReadMatBin record (int32 rows, int32 cols, int32 OpenCV type, rows·cols elements
 * row-major): header checked, data located, cursor advanced past it. */
typedef struct mat_rec {
    int rows, cols, type;
    size_t count;
    const unsigned char *data;
} mat_rec;

static auface_status read_mat(bin_cursor *c, const char *what, unsigned types, size_t max_count,
                              mat_rec *m, au_err *err)
{
    if (!cursor_has(c, 12))
        return truncated(c, what, 12, err);
    int32_t rows = au_le_i32(c->p), cols = au_le_i32(c->p + 4), type = au_le_i32(c->p + 8);
    if (rows < 0 || cols < 0)
        return cursor_fail(c, err, AUFACE_ERR_FORMAT, "%s: matrix size %ld x %ld is negative",
                           what, (long)rows, (long)cols);
    if (type < 0 || type > 31 || !(types & TYPE_BIT(type)))
        return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                           "%s: OpenCV element type %ld is not accepted here%s", what,
                           (long)type,
                           types == TYPE_BIT(CV_32F_CODE)   ? " (expected 5 = float32)"
                           : types == TYPE_BIT(CV_32S_CODE) ? " (expected 4 = int32)"
                           : types == TYPE_BIT(CV_64F_CODE) ? " (expected 6 = float64)"
                                                            : "");
    size_t count = (size_t)rows * (size_t)cols;
    if (count > max_count)
        return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                           "%s: matrix %ld x %ld has more than %zu elements", what, (long)rows,
                           (long)cols, max_count);
    size_t elem = type == CV_64F_CODE ? 8 : 4;
    c->p += 12;
    if (!cursor_has(c, count * elem)) {
        c->p -= 12;
        return truncated(c, what, 12 + count * elem, err);
    }
    m->rows = rows;
    m->cols = cols;
    m->type = type;
    m->count = count;
    m->data = c->p;
    c->p += count * elem;
    return AUFACE_OK;
}

static double mat_at(const mat_rec *m, size_t i)
{
    const unsigned char *p = m->data + i * (m->type == CV_64F_CODE ? 8 : 4);
    switch (m->type) {
    case CV_64F_CODE:
        return au_le_f64(p);
    case CV_32F_CODE:
        return au_le_f32(p);
    default:
        return au_le_i32(p);
    }
}

/* Converts a float32/float64 record to float (convertTo(CV_32F) for float64, a copy for
 * float32); rejects non-finite values. */
static auface_status mat_to_float(const bin_cursor *c, const char *what, const mat_rec *m,
                                  float *out, au_err *err)
{
    for (size_t i = 0; i < m->count; i++) {
        double v = mat_at(m, i);
        float f = (float)v;
        if (!isfinite(v) || !isfinite(f))
            return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                               "%s: element %zu (row %zu, column %zu) is not a finite float",
                               what, i, i / (size_t)m->cols, i % (size_t)m->cols);
        out[i] = f;
    }
    return AUFACE_OK;
}

static auface_status mat_to_int(const bin_cursor *c, const char *what, const mat_rec *m,
                                long lo, long hi, int *out, au_err *err)
{
    for (size_t i = 0; i < m->count; i++) {
        int32_t v = au_le_i32(m->data + 4 * i);
        if (v < lo || v > hi)
            return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                               "%s: element %zu (row %zu, column %zu) is %ld, expected "
                               "%ld..%ld",
                               what, i, i / (size_t)m->cols, i % (size_t)m->cols, (long)v, lo,
                               hi);
        out[i] = (int)v;
    }
    return AUFACE_OK;
}

static auface_status expect_shape(const bin_cursor *c, const char *what, const mat_rec *m,
                                  int rows, int cols, au_err *err)
{
    if ((rows >= 0 && m->rows != rows) || (cols >= 0 && m->cols != cols))
        return cursor_fail(c, err, AUFACE_ERR_FORMAT, "%s is %d x %d, expected %d x %d", what,
                           m->rows, m->cols, rows, cols);
    return AUFACE_OK;
}

static auface_status no_memory(const bin_cursor *c, const char *what, au_err *err)
{
    return cursor_fail(c, err, AUFACE_ERR_NOMEM, "out of memory for the %s", what);
}

static auface_status expect_eof(const bin_cursor *c, au_err *err)
{
    if (c->p != c->end)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: %ld unexpected bytes after the last record (parsed %ld of %ld "
                       "bytes)",
                       c->path, (long)(c->end - c->p), (long)(c->p - c->base),
                       (long)(c->end - c->base));
    return AUFACE_OK;
}

/* ---------------------------------------------------------------------------------------
 * CCNF patch files (Patch_experts::Read_CCNF_patch_experts, CCNF_patch_expert::Read)
 * ------------------------------------------------------------------------------------- */

static void patch_set_free(au_ccnf_patch_set *s)
{
    if (s->experts)
        for (int i = 0; i < s->num_views * s->num_points; i++)
            au_ccnf_expert_free(&s->experts[i]);
    free(s->experts);
    if (s->windows)
        for (int w = 0; w < s->num_windows; w++)
            free(s->windows[w].mats);
    free(s->windows);
    free(s->view_centres);
    free(s->visibility);
    memset(s, 0, sizeof *s);
}

/* CCNF_neuron::Read: int32 tag 2, int32 neuron_type, float64 norm_weights, bias, alpha, then
 * the weights Mat (height x width float32). The weight matrix row of the expert is built
 * as OpenFace does: column-major flattening times norm_weights (Mat * double → convertTo
 * with the scale rounded to float, one float product per weight), bias as float. */
static auface_status read_neuron(bin_cursor *c, au_ccnf_expert *e, int k, au_err *err)
{
    auface_status st;
    int tag, type;
    const int hw = e->width * e->height;
    c->neuron = k;
    c->section = "neuron";
    if ((st = read_i32(c, "record tag", CCNF_NEURON_TAG, CCNF_NEURON_TAG, &tag, err)) ||
        (st = read_i32(c, "neuron type", INT32_MIN, INT32_MAX, &type, err)))
        return st;
    /* Only raw-intensity neurons (type 0) are in the shipped models; ResponseOpenBlas
     * ignores the type, the FFT path would treat 3 (depth) differently. */
    if (type != 0)
        return cursor_fail(c, err, AUFACE_ERR_UNSUPPORTED,
                           "neuron type %d is not supported (only 0, raw intensity)", type);
    if ((st = read_f64(c, "norm_weights", &e->norm_weights[k], err)) ||
        (st = read_f64(c, "bias", &e->bias[k], err)) ||
        (st = read_f64(c, "alpha", &e->alpha[k], err)))
        return st;
    mat_rec m;
    if ((st = read_mat(c, "weights", TYPE_BIT(CV_32F_CODE), (size_t)hw, &m, err)) ||
        (st = expect_shape(c, "weights", &m, e->height, e->width, err)))
        return st;
    float *w = e->weights + (size_t)k * hw;
    if ((st = mat_to_float(c, "weights", &m, w, err)))
        return st;
    float *row = e->weight_matrix + (size_t)k * (hw + 1);
    const float nu = (float)e->norm_weights[k];
    row[0] = (float)e->bias[k];
    for (int r = 0; r < e->height; r++)
        for (int col = 0; col < e->width; col++)
            row[1 + col * e->height + r] = w[r * e->width + col] * nu;
    if (!isfinite(row[0]) || !isfinite(nu))
        return cursor_fail(c, err, AUFACE_ERR_FORMAT, "bias or norm_weights overflow a float");
    return AUFACE_OK;
}

static auface_status read_expert(bin_cursor *c, au_ccnf_expert *e, int num_betas,
                                 au_err *err)
{
    auface_status st;
    int tag, n;
    c->neuron = -1;
    c->section = "patch expert";
    if ((st = read_i32(c, "record tag", CCNF_EXPERT_TAG, CCNF_EXPERT_TAG, &tag, err)) ||
        (st = read_i32(c, "patch width", 1, AU_CCNF_MAX_PATCH, &e->width, err)) ||
        (st = read_i32(c, "patch height", 1, AU_CCNF_MAX_PATCH, &e->height, err)) ||
        (st = read_i32(c, "number of neurons", 0, AU_CCNF_MAX_NEURONS, &n, err)))
        return st;
    if (n == 0) {
        /* An empty expert (invisible landmark) is followed by one unused int32. */
        int unused;
        return read_i32(c, "empty-expert padding", INT32_MIN, INT32_MAX, &unused, err);
    }
    const int hw = e->width * e->height;
    /* Everything a neuron needs must be in the file before we allocate for it. */
    if (!cursor_has(c, (size_t)n * (8 + 24 + 12 + 4 * (size_t)hw)))
        return truncated(c, "neurons", (size_t)n * (8 + 24 + 12 + 4 * (size_t)hw), err);
    e->alpha = malloc((size_t)n * sizeof *e->alpha);
    e->norm_weights = malloc((size_t)n * sizeof *e->norm_weights);
    e->bias = malloc((size_t)n * sizeof *e->bias);
    e->weights = malloc((size_t)n * hw * sizeof *e->weights);
    e->weight_matrix = malloc((size_t)n * (hw + 1) * sizeof *e->weight_matrix);
    if (!e->alpha || !e->norm_weights || !e->bias || !e->weights || !e->weight_matrix)
        return no_memory(c, "neurons", err);
    e->num_neurons = n;
    for (int k = 0; k < n; k++)
        if ((st = read_neuron(c, e, k, err)))
            return st;
    c->neuron = -1;
    c->section = "patch expert";
    /* Betas only if the file lists window sizes: as many as the first window's components. */
    if (num_betas > 0) {
        e->betas = malloc((size_t)num_betas * sizeof *e->betas);
        if (!e->betas)
            return no_memory(c, "betas", err);
        e->num_betas = num_betas;
        for (int b = 0; b < num_betas; b++)
            if ((st = read_f64(c, "beta", &e->betas[b], err)))
                return st;
    }
    return read_f64(c, "patch confidence", &e->patch_confidence, err);
}

static auface_status read_sigma_windows(bin_cursor *c, au_ccnf_patch_set *s, au_err *err)
{
    auface_status st;
    c->section = "window sizes";
    if ((st = read_i32(c, "number of window sizes", 0, AU_CLNF_MAX_WINDOWS, &s->num_windows,
                       err)))
        return st;
    if (s->num_windows == 0)
        return AUFACE_OK;
    s->windows = calloc((size_t)s->num_windows, sizeof *s->windows);
    if (!s->windows)
        return no_memory(c, "window sizes", err);
    for (int w = 0; w < s->num_windows; w++) {
        au_ccnf_sigma_components *win = &s->windows[w];
        c->section = "window";
        c->item = w;
        int count;
        if ((st = read_i32(c, "window size", 1, AU_CCNF_MAX_WINDOW, &win->ws, err)) ||
            (st = read_i32(c, "number of sigma components", 0, MAX_SIGMA_COMPONENTS, &count,
                           err)))
            return st;
        const int n = win->ws * win->ws;
        const size_t nn = (size_t)n * n;
        if (count > 0) {
            if (!cursor_has(c, (size_t)count * (12 + 4 * nn)))
                return truncated(c, "sigma components", (size_t)count * (12 + 4 * nn), err);
            win->mats = malloc((size_t)count * nn * sizeof *win->mats);
            if (!win->mats)
                return no_memory(c, "sigma components", err);
        }
        win->count = count;
        for (int k = 0; k < count; k++) {
            mat_rec m;
            if ((st = read_mat(c, "sigma component", TYPE_BIT(CV_32F_CODE), nn, &m, err)) ||
                (st = expect_shape(c, "sigma component", &m, n, n, err)) ||
                (st = mat_to_float(c, "sigma component", &m, win->mats + (size_t)k * nn, err)))
                return st;
        }
    }
    c->item = -1;
    /* CCNF_patch_expert::Read reads as many betas as the FIRST window has components and
     * ComputeSigmas indexes them by the components of the window in use, so every window
     * must have the same number (or none: the eye models). */
    for (int w = 1; w < s->num_windows; w++)
        if (s->windows[w].count != s->windows[0].count)
            return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                               "window %d has %d sigma components but window %d has %d; "
                               "the betas cannot match both",
                               s->windows[w].ws, s->windows[w].count, s->windows[0].ws,
                               s->windows[0].count);
    return AUFACE_OK;
}

static auface_status parse_patch_set(bin_cursor *c, au_ccnf_patch_set *s, au_err *err)
{
    auface_status st;
    c->section = "header";
    if ((st = read_f64(c, "patch scaling", &s->patch_scaling, err)))
        return st;
    if (!(s->patch_scaling > 0.0))
        return cursor_fail(c, err, AUFACE_ERR_FORMAT, "patch scaling %g must be > 0",
                           s->patch_scaling);
    if ((st = read_i32(c, "number of views", 1, AU_CLNF_MAX_VIEWS, &s->num_views, err)))
        return st;
    s->view_centres = calloc((size_t)s->num_views, sizeof *s->view_centres);
    if (!s->view_centres)
        return no_memory(c, "view centres", err);
    c->section = "view centre";
    for (int v = 0; v < s->num_views; v++) {
        c->view = v;
        mat_rec m;
        if ((st = read_mat(c, "view centre", TYPE_BIT(CV_64F_CODE) | TYPE_BIT(CV_32F_CODE), 3,
                           &m, err)))
            return st;
        if (m.count != 3)
            return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                               "view centre is %d x %d, expected 3 values", m.rows, m.cols);
        for (int i = 0; i < 3; i++) {
            double deg = mat_at(&m, (size_t)i);
            if (!isfinite(deg))
                return cursor_fail(c, err, AUFACE_ERR_FORMAT, "view centre is not finite");
            /* centers[i] * M_PI / 180.0 on a Vec3d: two double roundings. */
            s->view_centres[v][i] = deg * M_PI / 180.0;
        }
    }
    c->section = "visibility";
    for (int v = 0; v < s->num_views; v++) {
        c->view = v;
        mat_rec m;
        if ((st = read_mat(c, "visibility", TYPE_BIT(CV_32S_CODE), 4096, &m, err)))
            return st;
        if (v == 0) {
            if (m.rows < 1 || m.rows > AU_PDM_MAX_POINTS)
                return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                                   "visibility has %d rows, expected 1..%d landmarks", m.rows,
                                   AU_PDM_MAX_POINTS);
            s->num_points = m.rows;
            s->visibility = malloc((size_t)s->num_views * m.rows * sizeof *s->visibility);
            if (!s->visibility)
                return no_memory(c, "visibility", err);
        }
        if ((st = expect_shape(c, "visibility", &m, s->num_points, 1, err)) ||
            (st = mat_to_int(c, "visibility", &m, INT32_MIN, INT32_MAX,
                             s->visibility + (size_t)v * s->num_points, err)))
            return st;
    }
    c->view = -1;
    if ((st = read_sigma_windows(c, s, err)))
        return st;
    const int num_betas = s->num_windows > 0 ? s->windows[0].count : 0;
    const int total = s->num_views * s->num_points;
    s->experts = calloc((size_t)total, sizeof *s->experts);
    if (!s->experts)
        return no_memory(c, "patch experts", err);
    for (int v = 0; v < s->num_views; v++)
        for (int p = 0; p < s->num_points; p++) {
            c->view = v;
            c->point = p;
            au_ccnf_expert *e = &s->experts[v * s->num_points + p];
            if ((st = read_expert(c, e, num_betas, err)))
                return st;
            /* The fitting computes a response exactly where the visibility says so; an
             * expert without neurons there would give a flat map, one with neurons where
             * the landmark is invisible would be ignored. The files agree; insist on it. */
            int vis = s->visibility[v * s->num_points + p] != 0;
            if (vis != (e->num_neurons > 0))
                return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                                   "visibility %d disagrees with the expert's %d neurons",
                                   s->visibility[v * s->num_points + p], e->num_neurons);
        }
    c->view = c->point = c->neuron = -1;
    return expect_eof(c, err);
}

static auface_status load_patch_set(au_ccnf_patch_set *s, const char *path, au_err *err)
{
    memset(s, 0, sizeof *s);
    unsigned char *data;
    bin_cursor c;
    auface_status st = read_binary(path, "CCNF patch expert file", &data, &c, err);
    if (st)
        return st;
    st = parse_patch_set(&c, s, err);
    free(data);
    if (st)
        patch_set_free(s);
    return st;
}

/* ---------------------------------------------------------------------------------------
 * Validator (DetectionValidator::Read, PAW::Read)
 * ------------------------------------------------------------------------------------- */

static void validator_view_free(au_validator_view *v)
{
    free(v->mean_image);
    free(v->std_image);
    if (v->layers)
        for (int l = 0; l < v->depth; l++) {
            free(v->layers[l].bias);
            free(v->layers[l].kernels);
            free(v->layers[l].weights);
        }
    free(v->layers);
    free(v->dst_landmarks);
    free(v->triangulation);
    free(v->triangle_id);
    free(v->pixel_mask);
    free(v->alpha);
    free(v->beta);
    memset(v, 0, sizeof *v);
}

static void validator_free(au_clnf_validator *val)
{
    if (val->views)
        for (int i = 0; i < val->num_views; i++)
            validator_view_free(&val->views[i]);
    free(val->views);
    memset(val, 0, sizeof *val);
}

/* Reads a float32/float64 matrix of exactly `count` elements into a new float array. */
static auface_status read_float_array(bin_cursor *c, const char *what, unsigned types,
                                      int rows, int cols, float **out, mat_rec *m, au_err *err)
{
    auface_status st;
    size_t max = rows >= 0 && cols >= 0 ? (size_t)rows * cols : (size_t)1 << 26;
    if ((st = read_mat(c, what, types, max, m, err)) ||
        (st = expect_shape(c, what, m, rows, cols, err)))
        return st;
    *out = malloc((m->count ? m->count : 1) * sizeof **out);
    if (!*out)
        return no_memory(c, what, err);
    return mat_to_float(c, what, m, *out, err);
}

/* The tensor shape flowing through the validator CNN, to check that the layers fit together
 * (CheckCNN: valid convolutions, 2x2/2 pooling with output roundf((W−2)/2)+1, fully
 * connected layers on the flattened maps). While reading, only the number of maps is
 * followed (the input grid comes with the PAW, after the network); check_cnn_input then
 * walks the spatial sizes. */
typedef struct cnn_shape {
    int maps, h, w;
} cnn_shape;

static auface_status read_conv_layer(bin_cursor *c, au_cnn_layer *L, cnn_shape *shape,
                                     au_err *err)
{
    auface_status st;
    if ((st = read_i32(c, "number of input maps", 1, MAX_CNN_MAPS, &L->num_in, err)) ||
        (st = read_i32(c, "number of kernels", 1, MAX_CNN_MAPS, &L->num_out, err)))
        return st;
    if (L->num_in != shape->maps)
        return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                           "convolution takes %d input maps but the previous layer gives %d",
                           L->num_in, shape->maps);
    if (!cursor_has(c, (size_t)L->num_out * 4))
        return truncated(c, "convolution biases", (size_t)L->num_out * 4, err);
    L->bias = malloc((size_t)L->num_out * sizeof *L->bias);
    if (!L->bias)
        return no_memory(c, "convolution biases", err);
    for (int k = 0; k < L->num_out; k++) {
        L->bias[k] = au_le_f32(c->p);
        if (!isfinite(L->bias[k]))
            return cursor_fail(c, err, AUFACE_ERR_FORMAT, "convolution bias %d is not finite",
                               k);
        c->p += 4;
    }
    const int pairs = L->num_in * L->num_out;
    for (int i = 0; i < pairs; i++) {
        mat_rec m;
        c->item = i; /* kernel (in, out) = (i / num_out, i % num_out) */
        if ((st = read_mat(c, "convolution kernel", TYPE_BIT(CV_32F_CODE),
                           (size_t)MAX_CNN_KERNEL * MAX_CNN_KERNEL, &m, err)))
            return st;
        if (i == 0) {
            if (m.rows < 1 || m.cols < 1)
                return cursor_fail(c, err, AUFACE_ERR_FORMAT, "kernel %d x %d is empty",
                                   m.rows, m.cols);
            L->kh = m.rows;
            L->kw = m.cols;
            size_t total = (size_t)pairs * L->kh * L->kw;
            if (!cursor_has(c, (size_t)(pairs - 1) * (12 + 4 * (size_t)L->kh * L->kw)))
                return truncated(c, "convolution kernels",
                                 (size_t)(pairs - 1) * (12 + 4 * (size_t)L->kh * L->kw), err);
            L->kernels = malloc(total * sizeof *L->kernels);
            if (!L->kernels)
                return no_memory(c, "convolution kernels", err);
        }
        if ((st = expect_shape(c, "convolution kernel", &m, L->kh, L->kw, err)) ||
            (st = mat_to_float(c, "convolution kernel", &m,
                               L->kernels + (size_t)i * L->kh * L->kw, err)))
            return st;
    }
    c->item = -1;
    shape->maps = L->num_out;
    return AUFACE_OK;
}

static auface_status read_fc_layer(bin_cursor *c, au_cnn_layer *L, cnn_shape *shape,
                                   au_err *err)
{
    auface_status st;
    mat_rec b, w;
    float *wt = NULL;
    if ((st = read_float_array(c, "fully connected bias", TYPE_BIT(CV_32F_CODE), -1, 1,
                               &L->bias, &b, err)))
        return st;
    if ((st = read_float_array(c, "fully connected weights", TYPE_BIT(CV_32F_CODE), -1,
                               b.rows, &wt, &w, err))) {
        free(wt);
        return st;
    }
    L->num_in = w.rows;
    L->num_out = w.cols;
    L->weights = malloc((w.count ? w.count : 1) * sizeof *L->weights);
    if (!L->weights) {
        free(wt);
        return no_memory(c, "fully connected weights", err);
    }
    for (int i = 0; i < w.rows; i++)
        for (int o = 0; o < w.cols; o++)
            L->weights[(size_t)o * w.rows + i] = wt[(size_t)i * w.cols + o];
    free(wt);
    shape->maps = 1;
    return AUFACE_OK;
}

static auface_status read_cnn(bin_cursor *c, au_validator_view *v, au_err *err)
{
    auface_status st;
    c->section = "CNN";
    if ((st = read_i32(c, "network depth", 0, MAX_CNN_DEPTH, &v->depth, err)))
        return st;
    v->layers = calloc((size_t)(v->depth ? v->depth : 1), sizeof *v->layers);
    if (!v->layers)
        return no_memory(c, "CNN layers", err);
    cnn_shape shape = {1, 0, 0};
    for (int l = 0; l < v->depth; l++) {
        au_cnn_layer *L = &v->layers[l];
        c->neuron = -1;
        c->item = -1;
        c->section = "CNN layer";
        c->point = -1;
        char what[32];
        snprintf(what, sizeof what, "layer %d type", l);
        if ((st = read_i32(c, what, AU_CNN_CONV, AU_CNN_SIGMOID, &L->type, err)))
            return st;
        if (L->type == AU_CNN_CONV) {
            c->section = "CNN convolution kernels";
            st = read_conv_layer(c, L, &shape, err);
        } else if (L->type == AU_CNN_FC) {
            c->section = "CNN fully connected layer";
            st = read_fc_layer(c, L, &shape, err);
        } /* max pooling, ReLU, sigmoid: no payload */
        if (st)
            return st;
    }
    return AUFACE_OK;
}

static auface_status read_paw(bin_cursor *c, au_validator_view *v, au_err *err)
{
    auface_status st;
    mat_rec m;
    double min_x = 0.0, min_y = 0.0;
    c->section = "piece-wise affine warp";
    if ((st = read_i32(c, "number of pixels", 1, MAX_VALIDATOR_GRID * MAX_VALIDATOR_GRID,
                       &v->num_pixels, err)) ||
        (st = read_f64(c, "min_x", &min_x, err)) || (st = read_f64(c, "min_y", &min_y, err)))
        return st;
    v->min_x = (float)min_x;
    v->min_y = (float)min_y;
    const unsigned fp = TYPE_BIT(CV_64F_CODE);
    if ((st = read_float_array(c, "destination landmarks", fp, -1, 1, &v->dst_landmarks, &m,
                               err)))
        return st;
    if (m.rows < 2 || m.rows % 2 || m.rows / 2 > AU_PDM_MAX_POINTS)
        return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                           "destination landmarks have %d rows, expected 2n with n <= %d",
                           m.rows, AU_PDM_MAX_POINTS);
    v->num_landmarks = m.rows / 2;

    if ((st = read_mat(c, "triangulation", TYPE_BIT(CV_32S_CODE), 1 << 20, &m, err)) ||
        (st = expect_shape(c, "triangulation", &m, -1, 3, err)))
        return st;
    v->num_tris = m.rows;
    v->triangulation = malloc((m.count ? m.count : 1) * sizeof *v->triangulation);
    if (!v->triangulation)
        return no_memory(c, "triangulation", err);
    if ((st = mat_to_int(c, "triangulation", &m, 0, v->num_landmarks - 1, v->triangulation,
                         err)))
        return st;

    if ((st = read_mat(c, "triangle id map", TYPE_BIT(CV_32S_CODE),
                       (size_t)MAX_VALIDATOR_GRID * MAX_VALIDATOR_GRID, &m, err)))
        return st;
    v->map_h = m.rows;
    v->map_w = m.cols;
    if (v->map_h < 1 || v->map_w < 1)
        return cursor_fail(c, err, AUFACE_ERR_FORMAT, "triangle id map is empty");
    v->triangle_id = malloc(m.count * sizeof *v->triangle_id);
    if (!v->triangle_id)
        return no_memory(c, "triangle id map", err);
    if ((st = mat_to_int(c, "triangle id map", &m, -1, v->num_tris - 1, v->triangle_id, err)))
        return st;

    if ((st = read_mat(c, "pixel mask", TYPE_BIT(CV_32S_CODE), m.count, &m, err)) ||
        (st = expect_shape(c, "pixel mask", &m, v->map_h, v->map_w, err)))
        return st;
    v->pixel_mask = malloc(m.count);
    if (!v->pixel_mask)
        return no_memory(c, "pixel mask", err);
    int masked = 0;
    for (size_t i = 0; i < m.count; i++) {
        /* convertTo(CV_8U): saturate_cast<uchar>(int). */
        int32_t x = au_le_i32(m.data + 4 * i);
        v->pixel_mask[i] = (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x);
        if (v->pixel_mask[i]) {
            masked++;
            if (v->triangle_id[i] < 0)
                return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                                   "mask pixel %zu (row %zu, column %zu) has no triangle", i,
                                   i / (size_t)v->map_w, i % (size_t)v->map_w);
        }
    }
    if (masked != v->num_pixels)
        return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                           "the mask has %d pixels but the warp declares %d", masked,
                           v->num_pixels);
    if ((st = read_float_array(c, "alpha", fp, v->num_tris, 3, &v->alpha, &m, err)) ||
        (st = read_float_array(c, "beta", fp, v->num_tris, 3, &v->beta, &m, err)))
        return st;
    return AUFACE_OK;
}

/* Walks the layer shapes from the PAW grid: every kernel must fit and every fully
 * connected layer must take exactly the values the previous layer gives. */
static auface_status check_cnn_input(const bin_cursor *c, const au_validator_view *v,
                                     au_err *err)
{
    cnn_shape s = {1, v->map_h, v->map_w};
    for (int l = 0; l < v->depth; l++) {
        const au_cnn_layer *L = &v->layers[l];
        if (L->type == AU_CNN_CONV) {
            if (L->kh > s.h || L->kw > s.w)
                return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                                   "layer %d: kernel %d x %d does not fit its %d x %d input", l,
                                   L->kh, L->kw, s.h, s.w);
            s.maps = L->num_out;
            s.h -= L->kh - 1;
            s.w -= L->kw - 1;
        } else if (L->type == AU_CNN_MAXPOOL) {
            s.h = (int)roundf((float)(s.h - 2) / 2.0f) + 1;
            s.w = (int)roundf((float)(s.w - 2) / 2.0f) + 1;
        } else if (L->type == AU_CNN_FC) {
            if ((long)s.maps * s.h * s.w != L->num_in)
                return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                                   "layer %d expects %d inputs but a %d x %d warp grid gives "
                                   "%ld",
                                   l, L->num_in, v->map_h, v->map_w, (long)s.maps * s.h * s.w);
            s.maps = 1;
            s.h = L->num_out;
            s.w = 1;
        }
        if (s.h < 1 || s.w < 1)
            return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                               "layer %d leaves an empty map for a %d x %d warp grid", l,
                               v->map_h, v->map_w);
    }
    return AUFACE_OK;
}

static auface_status parse_validator(bin_cursor *c, au_clnf_validator *val, au_err *err)
{
    auface_status st;
    int type;
    c->section = "header";
    if ((st = read_i32(c, "validator type", INT32_MIN, INT32_MAX, &type, err)))
        return st;
    if (type != VALIDATOR_TYPE_CNN)
        return cursor_fail(c, err, AUFACE_ERR_UNSUPPORTED,
                           "validator type %d is not supported (only 3, CNN; OpenFace 2.2 "
                           "reports older validators as no longer supported)",
                           type);
    if ((st = read_i32(c, "number of views", 1, AU_CLNF_MAX_VIEWS, &val->num_views, err)))
        return st;
    val->views = calloc((size_t)val->num_views, sizeof *val->views);
    if (!val->views)
        return no_memory(c, "validator views", err);
    c->section = "orientation";
    for (int i = 0; i < val->num_views; i++) {
        mat_rec m;
        c->view = i;
        if ((st = read_mat(c, "orientation", TYPE_BIT(CV_64F_CODE), 3, &m, err)))
            return st;
        if (m.count != 3)
            return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                               "orientation is %d x %d, expected 3 values", m.rows, m.cols);
        for (int k = 0; k < 3; k++) {
            double deg = mat_at(&m, (size_t)k);
            if (!isfinite(deg))
                return cursor_fail(c, err, AUFACE_ERR_FORMAT, "orientation is not finite");
            val->views[i].orientation[k] = deg * M_PI / 180.0;
        }
    }
    for (int i = 0; i < val->num_views; i++) {
        au_validator_view *v = &val->views[i];
        mat_rec mean, sd;
        c->view = i;
        c->section = "normalisation";
        if ((st = read_float_array(c, "mean image", TYPE_BIT(CV_64F_CODE), 1, -1,
                                   &v->mean_image, &mean, err)) ||
            (st = read_float_array(c, "standard deviation image", TYPE_BIT(CV_64F_CODE), 1,
                                   mean.cols, &v->std_image, &sd, err)))
            return st;
        if ((st = read_cnn(c, v, err)))
            return st;
        c->point = c->neuron = c->item = -1;
        if ((st = read_paw(c, v, err)))
            return st;
        if (v->num_pixels != mean.cols)
            return cursor_fail(c, err, AUFACE_ERR_FORMAT,
                               "the warp has %d pixels but the mean image %d", v->num_pixels,
                               mean.cols);
        if ((st = check_cnn_input(c, v, err)))
            return st;
    }
    c->view = -1;
    return expect_eof(c, err);
}

static auface_status load_validator(au_clnf_validator *val, const char *path, au_err *err)
{
    memset(val, 0, sizeof *val);
    unsigned char *data;
    bin_cursor c;
    auface_status st = read_binary(path, "detection validator file", &data, &c, err);
    if (st)
        return st;
    st = parse_validator(&c, val, err);
    free(data);
    if (st)
        validator_free(val);
    return st;
}

/* ---------------------------------------------------------------------------------------
 * Text files: module lists and the triangulation file
 * ------------------------------------------------------------------------------------- */

static void triangles_free(au_clnf *m)
{
    if (m->tri_views)
        for (int i = 0; i < m->num_tri_views; i++)
            free(m->tri_views[i].tri);
    free(m->tri_views);
    m->tri_views = NULL;
    m->num_tri_views = 0;
}

/* CLNF::Read_CLNF, "Triangulations": SkipComments, number of views, then per view
 * SkipComments and a ReadMat text matrix (rows, cols = 3, type 4 = int32, indices). */
static auface_status load_triangulations(au_clnf *m, const char *path, au_err *err)
{
    unsigned char *data;
    size_t size;
    auface_status st =
        au_read_file(path, "triangulation file", MAX_LIST_FILE_BYTES, AUFACE_ERR_IO, &data,
                     &size, err);
    if (st)
        return st;
    au_text_cursor c = {(const char *)data, (const char *)data + size, path};
    int views;
    au_text_skip_comments(&c);
    if ((st = au_text_int(&c, "header", "number of triangulations", 1, AU_CLNF_MAX_VIEWS,
                          &views, err)))
        goto done;
    m->tri_views = calloc((size_t)views, sizeof *m->tri_views);
    if (!m->tri_views) {
        st = au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    m->num_tri_views = views;
    for (int v = 0; v < views; v++) {
        int rows, cols, type;
        char matrix[32], what[32];
        snprintf(matrix, sizeof matrix, "triangulation %d", v);
        au_text_skip_comments(&c);
        if ((st = au_text_int(&c, matrix, "row count", 0, 100000, &rows, err)) ||
            (st = au_text_int(&c, matrix, "column count", 3, 3, &cols, err)) ||
            (st = au_text_int(&c, matrix, "type (4 = int32)", CV_32S_CODE, CV_32S_CODE, &type,
                              err)))
            goto done;
        m->tri_views[v].tri = malloc((size_t)(rows ? rows : 1) * 3 * sizeof(int));
        if (!m->tri_views[v].tri) {
            st = au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
        m->tri_views[v].count = rows;
        for (int i = 0; i < rows * 3; i++) {
            snprintf(what, sizeof what, "index %d", i);
            if ((st = au_text_int(&c, matrix, what, 0, AU_PDM_MAX_POINTS - 1,
                                  &m->tri_views[v].tri[i], err)))
                goto done;
        }
    }
    while (c.p < c.end && isspace((unsigned char)*c.p))
        c.p++;
    if (c.p < c.end)
        st = au_fail(err, AUFACE_ERR_FORMAT, "%s: unexpected text after the last triangulation",
                     path);
done:
    free(data);
    if (st)
        triangles_free(m);
    return st;
}

/* One line of a module list: the module token and the rest of the line. */
typedef struct list_line {
    char module[64];
    const char *rest; /* after the module token (not terminated: rest_len) */
    size_t rest_len;
    int number;       /* 1-based line number */
} list_line;

/* Next line of a module list file; returns 0 at the end. Lines are split on '\n' as
 * getline does; an over-long module token is truncated (and then matches nothing). */
static int next_line(au_text_cursor *c, list_line *l, int *line_no)
{
    if (c->p >= c->end)
        return 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p != '\n')
        c->p++;
    const char *stop = c->p;
    if (c->p < c->end)
        c->p++;
    l->number = ++*line_no;
    const char *q = start;
    while (q < stop && isspace((unsigned char)*q))
        q++;
    size_t n = 0;
    while (q < stop && !isspace((unsigned char)*q)) {
        if (n + 1 < sizeof l->module)
            l->module[n++] = *q;
        q++;
    }
    l->module[n] = '\0';
    l->rest = q;
    l->rest_len = (size_t)(stop - q);
    return 1;
}

static void clnf_free(au_clnf *m)
{
    au_pdm_free(&m->pdm);
    for (int s = 0; s < m->num_scales; s++)
        patch_set_free(&m->scales[s]);
    triangles_free(m);
    memset(m, 0, sizeof *m);
}

/* CLNF::Read_CLNF: "<module> <path>" lines, the path being the rest of the line minus its
 * first character, with a trailing '\r' removed; relative to the file's directory. */
static auface_status load_clnf(au_clnf *m, const char *path, au_err *err)
{
    memset(m, 0, sizeof *m);
    unsigned char *data;
    size_t size;
    auface_status st = au_read_file(path, "CLNF module list", MAX_LIST_FILE_BYTES,
                                    AUFACE_ERR_IO, &data, &size, err);
    if (st)
        return st;
    au_text_cursor c = {(const char *)data, (const char *)data + size, path};
    list_line l;
    int line_no = 0, has_pdm = 0;
    while (st == AUFACE_OK && next_line(&c, &l, &line_no)) {
        if (!l.module[0])
            continue;
        int is_pdm = !strcmp(l.module, "PDM"), is_tri = !strcmp(l.module, "Triangulations"),
            is_ccnf = !strcmp(l.module, "PatchesCCNF");
        if (!strcmp(l.module, "PatchesIntensity") || !strcmp(l.module, "PatchesCEN") ||
            !strcmp(l.module, "EarlyTermination")) {
            st = au_fail(err, AUFACE_ERR_UNSUPPORTED,
                         "%s: line %d: module %s is not supported (only CCNF patch experts)",
                         path, l.number, l.module);
            break;
        }
        if (!is_pdm && !is_tri && !is_ccnf)
            continue; /* CLNF::Read_CLNF ignores unknown modules */
        size_t len = l.rest_len;
        const char *rel = l.rest;
        if (len > 0) { /* location.erase(location.begin()) */
            rel++;
            len--;
        }
        if (len > 0 && rel[len - 1] == '\r')
            len--;
        if (len == 0) {
            st = au_fail(err, AUFACE_ERR_FORMAT, "%s: line %d: module %s has no file name",
                         path, l.number, l.module);
            break;
        }
        char *relz = malloc(len + 1);
        char *full = NULL;
        if (relz) {
            memcpy(relz, rel, len);
            relz[len] = '\0';
            full = join_path(path, relz);
        }
        free(relz);
        if (!full) {
            st = au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        if (is_pdm) {
            if (has_pdm) {
                au_pdm_free(&m->pdm);
                has_pdm = 0;
            }
            st = au_pdm_load(&m->pdm, full, err);
            has_pdm = st == AUFACE_OK;
        } else if (is_tri) {
            triangles_free(m);
            st = load_triangulations(m, full, err);
        } else if (m->num_scales >= AU_CLNF_MAX_SCALES) {
            st = au_fail(err, AUFACE_ERR_UNSUPPORTED, "%s: line %d: more than %d PatchesCCNF",
                         path, l.number, AU_CLNF_MAX_SCALES);
        } else {
            st = load_patch_set(&m->scales[m->num_scales], full, err);
            if (st == AUFACE_OK)
                m->num_scales++;
        }
        free(full);
    }
    free(data);
    if (st == AUFACE_OK && !has_pdm)
        st = au_fail(err, AUFACE_ERR_FORMAT, "%s: no PDM module", path);
    if (st == AUFACE_OK && m->num_scales == 0)
        st = au_fail(err, AUFACE_ERR_FORMAT, "%s: no PatchesCCNF module", path);
    for (int s = 0; st == AUFACE_OK && s < m->num_scales; s++)
        if (m->scales[s].num_points != m->pdm.n)
            st = au_fail(err, AUFACE_ERR_FORMAT,
                         "%s: patch experts of scale %d have %d landmarks but the PDM has %d",
                         path, s, m->scales[s].num_points, m->pdm.n);
    for (int v = 0; st == AUFACE_OK && v < m->num_tri_views; v++)
        for (int i = 0; i < 3 * m->tri_views[v].count; i++)
            if (m->tri_views[v].tri[i] >= m->pdm.n) {
                st = au_fail(err, AUFACE_ERR_FORMAT,
                             "%s: triangulation %d uses landmark %d but the PDM has %d", path,
                             v, m->tri_views[v].tri[i], m->pdm.n);
                break;
            }
    if (st)
        clnf_free(m);
    return st;
}

/* Copies the whitespace-delimited token at *q (bounded by stop) into buf; 0 if none. */
static int take_token(const char **q, const char *stop, char *buf, size_t cap, int *too_long)
{
    while (*q < stop && isspace((unsigned char)**q))
        (*q)++;
    size_t n = 0;
    *too_long = 0;
    while (*q < stop && !isspace((unsigned char)**q)) {
        if (n + 1 < cap)
            buf[n++] = **q;
        else
            *too_long = 1;
        (*q)++;
    }
    buf[n] = '\0';
    return n > 0;
}

/* LandmarkDetector_part: "<path> <name> (i_main i_part)*". OpenFace reads integer pairs
 * until the end of the line; here every token must be an integer and they must pair up. */
static auface_status parse_part_line(const char *path, const list_line *l, au_clnf_part *part,
                                     char *rel, size_t rel_cap, au_err *err)
{
    const char *q = l->rest, *stop = l->rest + l->rest_len;
    int too_long;
    if (!take_token(&q, stop, rel, rel_cap, &too_long) || too_long)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: line %d: part model file name %s", path,
                       l->number, too_long ? "too long" : "missing");
    if (!take_token(&q, stop, part->name, sizeof part->name, &too_long) || too_long)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: line %d: part model name %s", path,
                       l->number, too_long ? "too long" : "missing");
    int values[2 * AU_PDM_MAX_POINTS];
    int count = 0;
    char tok[32];
    while (take_token(&q, stop, tok, sizeof tok, &too_long)) {
        char *endp;
        errno = 0;
        long v = strtol(tok, &endp, 10);
        if (too_long || errno || *endp || v < 0 || v >= AU_PDM_MAX_POINTS)
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: line %d: part '%s': mapping entry %d must be a landmark index "
                           "0..%d, found '%s%s'",
                           path, l->number, part->name, count + 1, AU_PDM_MAX_POINTS - 1, tok,
                           too_long ? "..." : "");
        if (count == 2 * AU_PDM_MAX_POINTS)
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: line %d: part '%s' maps more than %d points", path, l->number,
                           part->name, AU_PDM_MAX_POINTS);
        values[count++] = (int)v;
    }
    if (count == 0 || count % 2)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: line %d: part '%s' needs (main, part) index pairs, found %d "
                       "integers",
                       path, l->number, part->name, count);
    part->num_pairs = count / 2;
    part->pairs = malloc((size_t)part->num_pairs * sizeof *part->pairs);
    if (!part->pairs)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < part->num_pairs; i++) {
        part->pairs[i][0] = values[2 * i];
        part->pairs[i][1] = values[2 * i + 1];
    }
    return AUFACE_OK;
}

/* CLNF::Read for a main file (is_part = 0) or a part's own main file (is_part = 1, which
 * may only name its LandmarkDetector). The location is the token after the module. */
static auface_status load_main_list(au_clnf_model *m, au_clnf *target, const char *path,
                                    int is_part, au_err *err);

static auface_status load_part(au_clnf_model *m, const char *path, const list_line *l,
                               au_err *err)
{
    if (m->num_parts >= AU_CLNF_MAX_PARTS)
        return au_fail(err, AUFACE_ERR_UNSUPPORTED, "%s: line %d: more than %d part models",
                       path, l->number, AU_CLNF_MAX_PARTS);
    au_clnf_part *part = &m->parts[m->num_parts];
    memset(part, 0, sizeof *part);
    char rel[4096];
    auface_status st = parse_part_line(path, l, part, rel, sizeof rel, err);
    char *full = st ? NULL : join_path(path, rel);
    if (!st && !full)
        st = au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    if (!st)
        st = load_main_list(m, &part->clnf, full, 1, err);
    free(full);
    for (int i = 0; !st && i < part->num_pairs; i++)
        if (part->pairs[i][1] >= part->clnf.pdm.n)
            st = au_fail(err, AUFACE_ERR_FORMAT,
                         "%s: line %d: part '%s' maps to part landmark %d but its PDM has %d",
                         path, l->number, part->name, part->pairs[i][1], part->clnf.pdm.n);
    if (st) {
        clnf_free(&part->clnf);
        free(part->pairs);
        memset(part, 0, sizeof *part);
        return st;
    }
    m->num_parts++;
    return AUFACE_OK;
}

static auface_status load_main_list(au_clnf_model *m, au_clnf *target, const char *path,
                                    int is_part, au_err *err)
{
    unsigned char *data;
    size_t size;
    auface_status st = au_read_file(path, "landmark model list", MAX_LIST_FILE_BYTES,
                                    AUFACE_ERR_IO, &data, &size, err);
    if (st)
        return st;
    au_text_cursor c = {(const char *)data, (const char *)data + size, path};
    list_line l;
    int line_no = 0, has_main = 0;
    while (st == AUFACE_OK && next_line(&c, &l, &line_no)) {
        int is_main = !strcmp(l.module, "LandmarkDetector");
        int is_part_line = !strcmp(l.module, "LandmarkDetector_part");
        int is_validator = !strcmp(l.module, "DetectionValidator");
        if (!is_main && !is_part_line && !is_validator)
            continue; /* CLNF::Read ignores other modules (FaceDetConversion, ...) */
        if (is_part && !is_main) {
            st = au_fail(err, AUFACE_ERR_UNSUPPORTED,
                         "%s: line %d: %s inside a part model is not supported", path,
                         l.number, l.module);
            break;
        }
        if (is_part_line) {
            st = load_part(m, path, &l, err);
            continue;
        }
        char rel[4096];
        const char *q = l.rest;
        int too_long;
        if (!take_token(&q, l.rest + l.rest_len, rel, sizeof rel, &too_long) || too_long) {
            st = au_fail(err, AUFACE_ERR_FORMAT, "%s: line %d: %s file name %s", path,
                         l.number, l.module, too_long ? "too long" : "missing");
            break;
        }
        if ((is_main && has_main) || (is_validator && m->has_validator)) {
            st = au_fail(err, AUFACE_ERR_FORMAT, "%s: line %d: a second %s line", path,
                         l.number, l.module);
            break;
        }
        char *full = join_path(path, rel);
        if (!full) {
            st = au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        if (is_main) {
            st = load_clnf(target, full, err);
            has_main = st == AUFACE_OK;
        } else {
            st = load_validator(&m->validator, full, err);
            m->has_validator = st == AUFACE_OK;
        }
        free(full);
    }
    free(data);
    if (st == AUFACE_OK && !has_main)
        st = au_fail(err, AUFACE_ERR_FORMAT, "%s: no LandmarkDetector line", path);
    if (st && has_main && is_part)
        clnf_free(target);
    return st;
}

/* ---------------------------------------------------------------------------------------
 * Public functions
 * ------------------------------------------------------------------------------------- */

void au_clnf_model_free(au_clnf_model *m)
{
    if (!m)
        return;
    clnf_free(&m->main);
    for (int i = 0; i < m->num_parts; i++) {
        clnf_free(&m->parts[i].clnf);
        free(m->parts[i].pairs);
    }
    validator_free(&m->validator);
    free(m);
}

auface_status au_clnf_model_load(au_clnf_model **out, const char *main_clnf_path, au_err *err)
{
    *out = NULL;
    if (!main_clnf_path)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF model: no path given");
    au_clnf_model *m = calloc(1, sizeof *m);
    if (!m)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", main_clnf_path);
    auface_status st = load_main_list(m, &m->main, main_clnf_path, 0, err);
    /* The mappings can only be checked once the main model is known (any line order). */
    for (int i = 0; st == AUFACE_OK && i < m->num_parts; i++)
        for (int k = 0; k < m->parts[i].num_pairs; k++)
            if (m->parts[i].pairs[k][0] >= m->main.pdm.n) {
                st = au_fail(err, AUFACE_ERR_FORMAT,
                             "%s: part '%s' maps main landmark %d but the main model has %d",
                             main_clnf_path, m->parts[i].name, m->parts[i].pairs[k][0],
                             m->main.pdm.n);
                break;
            }
    if (st) {
        au_clnf_model_free(m);
        return st;
    }
    *out = m;
    return AUFACE_OK;
}

au_clnf *au_clnf_model_main(au_clnf_model *m)
{
    return &m->main;
}

const au_clnf *au_clnf_model_main_const(const au_clnf_model *m)
{
    return &m->main;
}

int au_clnf_model_num_parts(const au_clnf_model *m)
{
    return m->num_parts;
}

au_clnf_part *au_clnf_model_part(au_clnf_model *m, int i)
{
    return i >= 0 && i < m->num_parts ? &m->parts[i] : NULL;
}

const au_clnf_part *au_clnf_model_part_const(const au_clnf_model *m, int i)
{
    return i >= 0 && i < m->num_parts ? &m->parts[i] : NULL;
}

au_clnf_part *au_clnf_model_find_part(au_clnf_model *m, const char *name)
{
    for (int i = 0; i < m->num_parts; i++)
        if (!strcmp(m->parts[i].name, name))
            return &m->parts[i];
    return NULL;
}

const au_clnf_validator *au_clnf_model_validator(const au_clnf_model *m)
{
    return m->has_validator ? &m->validator : NULL;
}

static size_t expert_memory(const au_ccnf_expert *e)
{
    size_t k = (size_t)e->num_neurons, hw = (size_t)e->width * e->height;
    size_t b = k * 3 * sizeof(double) + k * hw * sizeof(float) + k * (hw + 1) * sizeof(float) +
               (size_t)e->num_betas * sizeof(double);
    for (int i = 0; i < e->num_sigmas; i++)
        b += (size_t)e->sigmas[i].ws * e->sigmas[i].ws * e->sigmas[i].stride * sizeof(float);
    return b;
}

static size_t clnf_memory(const au_clnf *c)
{
    size_t b = (size_t)c->pdm.n * 3 * (1 + (size_t)c->pdm.m) * sizeof(float) +
               (size_t)c->pdm.m * sizeof(float);
    for (int s = 0; s < c->num_scales; s++) {
        const au_ccnf_patch_set *p = &c->scales[s];
        size_t total = (size_t)p->num_views * p->num_points;
        b += (size_t)p->num_views * sizeof *p->view_centres + total * sizeof(int) +
             total * sizeof(au_ccnf_expert) + (size_t)p->num_windows * sizeof *p->windows;
        for (int w = 0; w < p->num_windows; w++)
            b += (size_t)p->windows[w].count * p->windows[w].ws * p->windows[w].ws *
                 p->windows[w].ws * p->windows[w].ws * sizeof(float);
        for (size_t i = 0; i < total; i++)
            b += expert_memory(&p->experts[i]);
    }
    for (int v = 0; v < c->num_tri_views; v++)
        b += (size_t)c->tri_views[v].count * 3 * sizeof(int);
    return b;
}

size_t au_clnf_model_memory(const au_clnf_model *m)
{
    size_t b = sizeof *m + clnf_memory(&m->main);
    for (int i = 0; i < m->num_parts; i++)
        b += clnf_memory(&m->parts[i].clnf) +
             (size_t)m->parts[i].num_pairs * sizeof *m->parts[i].pairs;
    const au_clnf_validator *val = &m->validator;
    for (int i = 0; i < val->num_views; i++) {
        const au_validator_view *v = &val->views[i];
        b += sizeof *v + 2 * (size_t)v->num_pixels * sizeof(float) +
             (size_t)v->num_landmarks * 2 * sizeof(float) + (size_t)v->num_tris * 3 *
             (sizeof(int) + 2 * sizeof(float)) +
             (size_t)v->map_w * v->map_h * (sizeof(int) + 1);
        for (int l = 0; l < v->depth; l++) {
            const au_cnn_layer *L = &v->layers[l];
            b += sizeof *L;
            if (L->type == AU_CNN_CONV)
                b += (size_t)L->num_out * sizeof(float) +
                     (size_t)L->num_in * L->num_out * L->kh * L->kw * sizeof(float);
            else if (L->type == AU_CNN_FC)
                b += (size_t)L->num_out * (1 + (size_t)L->num_in) * sizeof(float);
        }
    }
    return b;
}

const au_ccnf_expert *au_clnf_expert(const au_clnf *c, int scale, int view, int point)
{
    if (scale < 0 || scale >= c->num_scales)
        return NULL;
    const au_ccnf_patch_set *s = &c->scales[scale];
    if (view < 0 || view >= s->num_views || point < 0 || point >= s->num_points)
        return NULL;
    return &s->experts[view * s->num_points + point];
}

int au_ccnf_patch_set_view(const au_ccnf_patch_set *s, float rx, float ry, float rz)
{
    int best = 0;
    float dbest = 0.0f;
    for (int i = 0; i < s->num_views; i++) {
        float v1 = (float)(rx - s->view_centres[i][0]);
        float v2 = (float)(ry - s->view_centres[i][1]);
        float v3 = (float)(rz - s->view_centres[i][2]);
        float d = v1 * v1 + v2 * v2 + v3 * v3;
        if (i == 0 || d < dbest) {
            dbest = d;
            best = i;
        }
    }
    return best;
}

const float *au_clnf_sigma_components(const au_clnf *c, int ws, int *count)
{
    *count = 0;
    if (c->num_scales == 0)
        return NULL;
    /* Patch_experts::Read_CCNF_patch_experts overwrites this->sigma_components per file, so
     * the table of the last file is the one Patch_experts::Response searches. */
    const au_ccnf_patch_set *last = &c->scales[c->num_scales - 1];
    const float *found = NULL;
    for (int w = 0; w < last->num_windows; w++)
        if (last->windows[w].count > 0 && last->windows[w].ws == ws) {
            found = last->windows[w].mats;
            *count = last->windows[w].count;
        }
    return found;
}

auface_status au_clnf_prepare_sigmas(au_clnf *c, int scale, int ws, int view, au_err *err)
{
    if (scale < 0 || scale >= c->num_scales)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF sigma: scale %d outside 0..%d", scale,
                       c->num_scales - 1);
    au_ccnf_patch_set *s = &c->scales[scale];
    if (view < -1 || view >= s->num_views)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF sigma: view %d outside 0..%d", view,
                       s->num_views - 1);
    int count;
    const float *comp = au_clnf_sigma_components(c, ws, &count);
    const int v0 = view < 0 ? 0 : view, v1 = view < 0 ? s->num_views : view + 1;
    for (int v = v0; v < v1; v++)
        for (int p = 0; p < s->num_points; p++) {
            auface_status st =
                au_ccnf_prepare_sigma(&s->experts[v * s->num_points + p], ws, comp, count, err);
            if (st) {
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
                return au_fail(err, st, "scale %d, view %d, landmark %d: %s", scale, v, p, msg);
            }
        }
    return AUFACE_OK;
}
