#include "au/models.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file_read.h"
#include "common/le_bytes.h"

/* OpenFace FaceAnalyser.h, enum RegressorType. */
enum {
    REGRESSOR_SVR_STATIC = 0,   /* SVR_appearance_static_linear */
    REGRESSOR_SVR_DYNAMIC = 1,  /* SVR_appearance_dynamic_linear */
    REGRESSOR_SVM_STATIC = 4,   /* SVM_linear_stat */
    REGRESSOR_SVM_DYNAMIC = 5   /* SVM_linear_dyn */
};

/* OpenCV type codes accepted in a MatBin (CV_64FC1, CV_32FC1). */
enum { CV_TYPE_64F = 6, CV_TYPE_32F = 5 };

/* Size limits for reading: far above OpenFace's files (1.5 KB index, 75 KB models), low
 * enough that a corrupt header cannot ask for gigabytes. */
#define TEXT_FILE_MAX (1L << 20)
#define DAT_FILE_MAX (1L << 28)

/* The models of one kind, stacked in file order. */
typedef struct kind_models {
    int count;                              /* K */
    int dim;                                /* D (0 while empty) */
    double *means;                          /* D: the first file's means */
    double *sv;                             /* D x K row-major: sv[j*K + k] (after loading) */
    double *columns[AU_MODELS_MAX];         /* while loading: each file's support vector */
    double bias[AU_MODELS_MAX];
    double cutoff[AU_MODELS_MAX];
    double pos[AU_MODELS_MAX];
    double neg[AU_MODELS_MAX];
    char names[AU_MODELS_MAX][AU_NAME_MAX + 1];
    int out_index[AU_MODELS_MAX];           /* position in the sorted output */
} kind_models;

typedef struct output_slot {
    au_model_kind kind;
    int index;
} output_slot;

struct au_models {
    int dynamic;
    char *pdm_path;
    char *tri_path;
    kind_models kinds[AU_MODEL_KINDS];
    int num_reg;
    int num_class;
    output_slot reg[AU_MODELS_MAX];         /* sorted intensity outputs */
    output_slot cls[AU_MODELS_MAX];         /* sorted presence outputs */
};

/* ---------------------------------------------------------------------------------------
 * Files and paths
 * --------------------------------------------------------------------------------------- */

/* `dir`/`rel` (or `rel` itself when absolute), malloc'd. */
static char *join_path(const char *dir, const char *rel)
{
    size_t dl = strlen(dir), rl = strlen(rel);
    char *p = malloc(dl + rl + 2);
    if (!p)
        return NULL;
    if (rel[0] == '/') {
        memcpy(p, rel, rl + 1);
    } else {
        memcpy(p, dir, dl);
        p[dl] = '/';
        memcpy(p + dl + 1, rel, rl + 1);
    }
    return p;
}

/* Folder part of `path` ("." when there is none), malloc'd. OpenFace resolves the paths in
 * an index file relative to the index file's folder (fs::path(...).parent_path()). */
static char *parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 1;
    if (slash && n == 0)
        n = 1; /* "/file" -> "/" */
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, slash ? path : ".", n);
    p[n] = '\0';
    return p;
}

/* Splits a line in place into blank-separated tokens; returns the token count (at most
 * `max`; one more token than `max` is reported as max + 1). */
static int split_tokens(char *line, char **tokens, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return n;
        if (n == max)
            return max + 1;
        tokens[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
}

/* Next line of a text buffer: NUL-terminates it in place (stripping trailing CR, blanks)
 * and advances *cursor. Returns NULL at the end. */
static char *next_line(char **cursor)
{
    char *start = *cursor;
    if (*start == '\0')
        return NULL;
    char *end = strchr(start, '\n');
    if (end) {
        *end = '\0';
        *cursor = end + 1;
    } else {
        *cursor = start + strlen(start);
    }
    size_t n = strlen(start);
    while (n > 0 && (start[n - 1] == '\r' || start[n - 1] == ' ' || start[n - 1] == '\t'))
        start[--n] = '\0';
    return start;
}

/* ---------------------------------------------------------------------------------------
 * Binary .dat models
 * --------------------------------------------------------------------------------------- */

typedef struct byte_reader {
    const unsigned char *p;
    size_t left;
    size_t offset;
    const char *path;
} byte_reader;

static int take(byte_reader *r, size_t n, const unsigned char **bytes)
{
    if (r->left < n)
        return 0;
    *bytes = r->p;
    r->p += n;
    r->left -= n;
    r->offset += n;
    return 1;
}

static auface_status read_i32(byte_reader *r, const char *what, int32_t *v, au_err *err)
{
    const unsigned char *b;
    if (!take(r, 4, &b))
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: truncated: file ends at byte %zu, inside the %s (int32)", r->path,
                       r->offset + r->left, what);
    *v = au_le_i32(b);
    return AUFACE_OK;
}

static auface_status read_f64(byte_reader *r, const char *what, double *v, au_err *err)
{
    const unsigned char *b;
    if (!take(r, 8, &b))
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: truncated: file ends at byte %zu, inside the %s (float64)", r->path,
                       r->offset + r->left, what);
    *v = au_le_f64(b);
    if (!isfinite(*v))
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: the %s is not a finite number", r->path,
                       what);
    return AUFACE_OK;
}

/* OpenFace Face_utils.cpp ReadMatBin: int32 rows, cols, OpenCV type, then the raw data.
 * Returns the values as doubles (float32 data is widened exactly). */
static auface_status read_matbin(byte_reader *r, const char *what, int *rows, int *cols,
                                 double **data, au_err *err)
{
    *data = NULL;
    int32_t nr = 0, nc = 0, type = 0;
    char label[64];
    auface_status st;
    snprintf(label, sizeof label, "%s row count", what);
    if ((st = read_i32(r, label, &nr, err)) != AUFACE_OK)
        return st;
    snprintf(label, sizeof label, "%s column count", what);
    if ((st = read_i32(r, label, &nc, err)) != AUFACE_OK)
        return st;
    snprintf(label, sizeof label, "%s element type", what);
    if ((st = read_i32(r, label, &type, err)) != AUFACE_OK)
        return st;
    if (type != CV_TYPE_64F && type != CV_TYPE_32F)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the %s has OpenCV type %d; only 6 (CV_64FC1) and 5 (CV_32FC1) are "
                       "supported",
                       r->path, what, (int)type);
    if (nr < 1 || nc < 1 || (int64_t)nr * nc > (int64_t)AU_HOG_DIM + AU_GEOM_DIM)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the %s is %d x %d; expected a vector of %d or %d values", r->path,
                       what, (int)nr, (int)nc, AU_HOG_DIM, AU_HOG_DIM + AU_GEOM_DIM);
    size_t n = (size_t)nr * (size_t)nc;
    size_t elem = type == CV_TYPE_64F ? 8 : 4;
    const unsigned char *bytes;
    if (!take(r, n * elem, &bytes))
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: truncated: the %s needs %zu bytes at byte %zu, only %zu remain",
                       r->path, what, n * elem, r->offset, r->left);
    double *v = malloc(n * sizeof *v);
    if (!v)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < n; i++) {
        v[i] = type == CV_TYPE_64F ? au_le_f64(bytes + 8 * i)
                                   : (double)au_le_f32(bytes + 4 * i);
        if (!isfinite(v[i])) {
            free(v);
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: the %s holds a non-finite value at element %zu", r->path, what,
                           i);
        }
    }
    *rows = nr;
    *cols = nc;
    *data = v;
    return AUFACE_OK;
}

/* One parsed .dat file. */
typedef struct dat_model {
    au_model_kind kind;
    int dim;
    double *means;
    double *sv;
    double bias;
    double cutoff;
    double pos;
    double neg;
} dat_model;

static void dat_model_release(dat_model *d)
{
    free(d->means);
    free(d->sv);
    d->means = d->sv = NULL;
}

/* FaceAnalyser::ReadRegressor and the Read methods of the four model classes. */
static auface_status parse_dat(const unsigned char *buf, size_t len, const char *path,
                               dat_model *out, au_err *err)
{
    byte_reader r = { buf, len, 0, path };
    memset(out, 0, sizeof *out);
    out->cutoff = -1.0;
    int32_t type = 0;
    auface_status st = read_i32(&r, "regressor type", &type, err);
    if (st != AUFACE_OK)
        return st;
    switch (type) {
    case REGRESSOR_SVR_STATIC: out->kind = AU_SVR_STATIC; break;
    case REGRESSOR_SVR_DYNAMIC: out->kind = AU_SVR_DYNAMIC; break;
    case REGRESSOR_SVM_STATIC: out->kind = AU_SVM_STATIC; break;
    case REGRESSOR_SVM_DYNAMIC: out->kind = AU_SVM_DYNAMIC; break;
    case 2: case 3: case 6: case 7:
        /* SVR_dynamic_geom_linear, SVR_combined_linear and the seg variants: OpenFace 2.2
         * skips them without a word; refusing is clearer than dropping an AU. */
        return au_fail(err, AUFACE_ERR_UNSUPPORTED,
                       "%s: regressor type %d is not used by OpenFace 2.2's AU models and is not "
                       "supported (expected 0, 1, 4 or 5)",
                       path, (int)type);
    default:
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: unknown regressor type %d (expected 0, 1, 4 or 5)", path, (int)type);
    }

    if (out->kind == AU_SVR_DYNAMIC) {
        if ((st = read_f64(&r, "cutoff", &out->cutoff, err)) != AUFACE_OK)
            return st;
        /* ExtractAllPredictionsOfflineReg indexes sorted[(int)(n*cutoff)] with .at(): only
         * -1 (no shift) or a value in [0, 1) can be used. */
        if (out->cutoff != -1.0 && !(out->cutoff >= 0.0 && out->cutoff < 1.0))
            return au_fail(err, AUFACE_ERR_FORMAT,
                           "%s: cutoff %g is outside [0, 1) and not -1", path, out->cutoff);
    }

    int mr, mc, sr, sc;
    if ((st = read_matbin(&r, "means", &mr, &mc, &out->means, err)) != AUFACE_OK)
        goto fail;
    if (mr != 1 || (mc != AU_HOG_DIM && mc != AU_HOG_DIM + AU_GEOM_DIM)) {
        st = au_fail(err, AUFACE_ERR_FORMAT,
                     "%s: the means are %d x %d; expected 1 x %d (HOG) or 1 x %d (HOG + "
                     "geometry)",
                     path, mr, mc, AU_HOG_DIM, AU_HOG_DIM + AU_GEOM_DIM);
        goto fail;
    }
    out->dim = mc;
    if ((st = read_matbin(&r, "support vectors", &sr, &sc, &out->sv, err)) != AUFACE_OK)
        goto fail;
    if (sr != out->dim || sc != 1) {
        st = au_fail(err, AUFACE_ERR_FORMAT,
                     "%s: the support vectors are %d x %d but the means have %d values "
                     "(expected %d x 1)",
                     path, sr, sc, out->dim, out->dim);
        goto fail;
    }
    if ((st = read_f64(&r, "bias", &out->bias, err)) != AUFACE_OK)
        goto fail;
    if (out->kind == AU_SVM_STATIC || out->kind == AU_SVM_DYNAMIC) {
        if ((st = read_f64(&r, "positive class value", &out->pos, err)) != AUFACE_OK)
            goto fail;
        if ((st = read_f64(&r, "negative class value", &out->neg, err)) != AUFACE_OK)
            goto fail;
    }
    if (r.left != 0) {
        st = au_fail(err, AUFACE_ERR_FORMAT,
                     "%s: %zu unexpected bytes after the model (it ends at byte %zu)", path,
                     r.left, r.offset);
        goto fail;
    }
    return AUFACE_OK;
fail:
    dat_model_release(out);
    return st;
}

/* ---------------------------------------------------------------------------------------
 * Building the set
 * --------------------------------------------------------------------------------------- */

static const char *kind_label(au_model_kind kind)
{
    switch (kind) {
    case AU_SVR_STATIC: return "static SVR";
    case AU_SVR_DYNAMIC: return "dynamic SVR";
    case AU_SVM_STATIC: return "static SVM";
    default: return "dynamic SVM";
    }
}

static int is_reg_kind(au_model_kind kind)
{
    return kind == AU_SVR_STATIC || kind == AU_SVR_DYNAMIC;
}

/* Name already used by an output of the same family (intensity or presence)? */
static int name_taken(const au_models *m, int reg_family, const char *name)
{
    for (int kind = 0; kind < AU_MODEL_KINDS; kind++) {
        if (is_reg_kind((au_model_kind)kind) != reg_family)
            continue;
        const kind_models *km = &m->kinds[kind];
        for (int k = 0; k < km->count; k++)
            if (strcmp(km->names[k], name) == 0)
                return 1;
    }
    return 0;
}

static int family_count(const au_models *m, int reg_family)
{
    return reg_family ? m->kinds[AU_SVR_STATIC].count + m->kinds[AU_SVR_DYNAMIC].count
                      : m->kinds[AU_SVM_STATIC].count + m->kinds[AU_SVM_DYNAMIC].count;
}

/* Appends one parsed model (taking its arrays) to its kind, as SVR_*::Read / SVM_*::Read do:
 * the first file's means are kept, the support vector becomes a new column. */
static auface_status add_model(au_models *m, dat_model *d, const char *name, const char *path,
                               au_err *err)
{
    kind_models *km = &m->kinds[d->kind];
    int reg_family = is_reg_kind(d->kind);
    if (name_taken(m, reg_family, name))
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: AU name %s is already used by another %s model",
                       path, name, reg_family ? "intensity" : "presence");
    if (family_count(m, reg_family) >= AU_MODELS_MAX)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: more than %d %s models", path,
                       AU_MODELS_MAX, reg_family ? "intensity" : "presence");
    if (km->count == 0) {
        km->dim = d->dim;
        km->means = d->means;
        d->means = NULL;
    } else if (d->dim != km->dim) {
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: %d features, but the first %s model (%s) has %d", path, d->dim,
                       kind_label(d->kind), km->names[0], km->dim);
    }
    int k = km->count;
    km->columns[k] = d->sv;
    d->sv = NULL;
    km->bias[k] = d->bias;
    km->cutoff[k] = d->kind == AU_SVR_DYNAMIC ? d->cutoff : -1.0;
    km->pos[k] = d->pos;
    km->neg[k] = d->neg;
    snprintf(km->names[k], sizeof km->names[k], "%s", name);
    km->count++;
    dat_model_release(d);
    return AUFACE_OK;
}

static auface_status load_dat(au_models *m, const char *path, const char *name, au_err *err)
{
    unsigned char *buf;
    size_t len;
    auface_status st =
        au_read_file(path, "AU model", DAT_FILE_MAX, AUFACE_ERR_MODELS, &buf, &len, err);
    if (st != AUFACE_OK)
        return st;
    dat_model d;
    st = parse_dat(buf, len, path, &d, err);
    free(buf);
    if (st != AUFACE_OK)
        return st;
    st = add_model(m, &d, name, path, err);
    dat_model_release(&d);
    return st;
}

static int valid_au_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AU_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)s[i]) || s[i] == ',')
            return 0;
    return 1;
}

/* A list file (FaceAnalyser::Read and ReadAU): its text, NUL-terminated, and the folder
 * its relative paths start from. On failure nothing is left to free. */
static auface_status read_list(const char *list_path, const char *kind, unsigned char **text,
                               char **dir, au_err *err)
{
    size_t len;
    *dir = NULL;
    auface_status st =
        au_read_file(list_path, kind, TEXT_FILE_MAX, AUFACE_ERR_MODELS, text, &len, err);
    if (st != AUFACE_OK)
        return st;
    if (memchr(*text, '\0', len))
        st = au_fail(err, AUFACE_ERR_FORMAT, "%s: not a text file (contains NUL bytes)",
                     list_path);
    else if (!(*dir = parent_dir(list_path)))
        st = au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", list_path);
    if (st != AUFACE_OK) {
        free(*text);
        *text = NULL;
    }
    return st;
}

/* The next non-blank line of a list, which must have two blank-separated fields (tok[0],
 * tok[1]); `expected` describes them for the message. Returns 1, 0 at the end, or -1 with
 * *st set. */
static int next_pair(char **cursor, int *line_no, char *tok[3], const char *list_path,
                     const char *expected, auface_status *st, au_err *err)
{
    char *line;
    while ((line = next_line(cursor)) != NULL) {
        ++*line_no;
        int n = split_tokens(line, tok, 2);
        if (n == 0)
            continue; /* blank line (OpenFace would try to read the folder itself) */
        if (n == 2)
            return 1;
        *st = au_fail(err, AUFACE_ERR_FORMAT, "%s line %d: expected '%s', found %s",
                      list_path, *line_no, expected, n == 1 ? "1 field" : "more than 2 fields");
        return -1;
    }
    return 0;
}

/* FaceAnalyser::ReadAU: one "<relative .dat path> <AU name>" per line. */
static auface_status load_model_list(au_models *m, const char *list_path, au_err *err)
{
    unsigned char *buf;
    char *dir;
    auface_status st = read_list(list_path, "AU model list", &buf, &dir, err);
    if (st != AUFACE_OK)
        return st;
    char *cursor = (char *)buf, *tok[3];
    int line_no = 0, models = 0, more;
    while ((more = next_pair(&cursor, &line_no, tok, list_path, "<model .dat path> <AU name>",
                             &st, err)) > 0) {
        if (strchr(tok[1], ',')) {
            st = au_fail(err, AUFACE_ERR_UNSUPPORTED,
                         "%s line %d: several AU names ('%s') for one model; auface supports "
                         "one name per model",
                         list_path, line_no, tok[1]);
            goto done;
        }
        if (!valid_au_name(tok[1])) {
            st = au_fail(err, AUFACE_ERR_FORMAT, "%s line %d: invalid AU name '%.40s'",
                         list_path, line_no, tok[1]);
            goto done;
        }
        char *dat_path = join_path(dir, tok[0]);
        if (!dat_path) {
            st = au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", list_path);
            goto done;
        }
        st = load_dat(m, dat_path, tok[1], err);
        free(dat_path);
        if (st != AUFACE_OK)
            goto done;
        models++;
    }
    if (more == 0 && models == 0)
        st = au_fail(err, AUFACE_ERR_MODELS, "%s: names no AU model", list_path);
done:
    free(dir);
    free(buf);
    return st;
}

static auface_status replace_path(char **slot, const char *dir, const char *rel,
                                  const char *list_path, au_err *err)
{
    char *p = join_path(dir, rel);
    if (!p)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", list_path);
    free(*slot);
    *slot = p;
    return AUFACE_OK;
}

/* FaceAnalyser::Read: "<Module> <relative path>" per line. */
static auface_status load_module_list(au_models *m, const char *list_path, au_err *err)
{
    unsigned char *buf;
    char *dir;
    auface_status st = read_list(list_path, "AU module list", &buf, &dir, err);
    if (st != AUFACE_OK)
        return st;
    char *cursor = (char *)buf, *tok[3];
    int line_no = 0, predictors = 0, more;
    while ((more = next_pair(&cursor, &line_no, tok, list_path, "<Module> <path>", &st, err)) >
           0) {
        if (strcmp(tok[0], "AUPredictor") == 0) {
            char *p = join_path(dir, tok[1]);
            if (!p) {
                st = au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", list_path);
                goto done;
            }
            st = load_model_list(m, p, err);
            free(p);
            if (st != AUFACE_OK)
                goto done;
            predictors++;
        } else if (strcmp(tok[0], "PDM") == 0) {
            if ((st = replace_path(&m->pdm_path, dir, tok[1], list_path, err)) != AUFACE_OK)
                goto done;
        } else if (strcmp(tok[0], "Triangulation") == 0) {
            if ((st = replace_path(&m->tri_path, dir, tok[1], list_path, err)) != AUFACE_OK)
                goto done;
        }
        /* Other modules: ignored, as FaceAnalyser::Read ignores them. */
    }
    if (more < 0)
        goto done;
    if (predictors == 0)
        st = au_fail(err, AUFACE_ERR_MODELS, "%s: no AUPredictor line", list_path);
    else if (!m->pdm_path)
        st = au_fail(err, AUFACE_ERR_MODELS, "%s: no PDM line", list_path);
    else if (!m->tri_path)
        st = au_fail(err, AUFACE_ERR_MODELS, "%s: no Triangulation line", list_path);
done:
    free(dir);
    free(buf);
    return st;
}

/* Lays each kind's columns out as one D x K row-major matrix. */
static auface_status stack_support_vectors(au_models *m, au_err *err)
{
    for (int kind = 0; kind < AU_MODEL_KINDS; kind++) {
        kind_models *km = &m->kinds[kind];
        if (km->count == 0)
            continue;
        const int K = km->count, D = km->dim;
        km->sv = malloc((size_t)D * (size_t)K * sizeof *km->sv);
        if (!km->sv)
            return au_fail(err, AUFACE_ERR_NOMEM, "AU models: out of memory");
        for (int k = 0; k < K; k++) {
            for (int j = 0; j < D; j++)
                km->sv[(size_t)j * K + k] = km->columns[k][j];
            free(km->columns[k]);
            km->columns[k] = NULL;
        }
    }
    return AUFACE_OK;
}

/* Insertion sort of output slots by name (strcmp = std::sort on std::string). */
static void sort_slots(const au_models *m, output_slot *slots, int n)
{
    for (int i = 1; i < n; i++) {
        output_slot s = slots[i];
        const char *name = m->kinds[s.kind].names[s.index];
        int j = i - 1;
        while (j >= 0 && strcmp(m->kinds[slots[j].kind].names[slots[j].index], name) > 0) {
            slots[j + 1] = slots[j];
            j--;
        }
        slots[j + 1] = s;
    }
}

/* Sorted outputs: GetAURegNames / GetAUClassNames (static then dynamic), then std::sort. */
static void build_outputs(au_models *m)
{
    const au_model_kind reg_kinds[2] = { AU_SVR_STATIC, AU_SVR_DYNAMIC };
    const au_model_kind cls_kinds[2] = { AU_SVM_STATIC, AU_SVM_DYNAMIC };
    m->num_reg = m->num_class = 0;
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < m->kinds[reg_kinds[i]].count; k++)
            m->reg[m->num_reg++] = (output_slot){ reg_kinds[i], k };
        for (int k = 0; k < m->kinds[cls_kinds[i]].count; k++)
            m->cls[m->num_class++] = (output_slot){ cls_kinds[i], k };
    }
    sort_slots(m, m->reg, m->num_reg);
    sort_slots(m, m->cls, m->num_class);
    for (int i = 0; i < m->num_reg; i++)
        m->kinds[m->reg[i].kind].out_index[m->reg[i].index] = i;
    for (int i = 0; i < m->num_class; i++)
        m->kinds[m->cls[i].kind].out_index[m->cls[i].index] = i;
}

auface_status au_models_load(au_models **out, const char *au_predictors_dir, int au_static,
                             au_err *err)
{
    *out = NULL;
    if (!au_predictors_dir)
        return au_fail(err, AUFACE_ERR_ARG, "au_models_load: no AU_predictors folder given");
    au_models *m = calloc(1, sizeof *m);
    if (!m)
        return au_fail(err, AUFACE_ERR_NOMEM, "AU models: out of memory");
    /* FaceAnalyserParameters: dynamic models unless -au_static. */
    m->dynamic = !au_static;
    char *list = join_path(au_predictors_dir,
                           au_static ? "main_static_svms.txt" : "main_dynamic_svms.txt");
    if (!list) {
        au_models_free(m);
        return au_fail(err, AUFACE_ERR_NOMEM, "AU models: out of memory");
    }
    auface_status st = load_module_list(m, list, err);
    free(list);
    if (st == AUFACE_OK)
        st = stack_support_vectors(m, err);
    if (st != AUFACE_OK) {
        au_models_free(m);
        return st;
    }
    build_outputs(m);
    *out = m;
    return AUFACE_OK;
}

void au_models_free(au_models *m)
{
    if (!m)
        return;
    for (int kind = 0; kind < AU_MODEL_KINDS; kind++) {
        kind_models *km = &m->kinds[kind];
        free(km->means);
        free(km->sv);
        for (int k = 0; k < AU_MODELS_MAX; k++)
            free(km->columns[k]);
    }
    free(m->pdm_path);
    free(m->tri_path);
    free(m);
}

/* ---------------------------------------------------------------------------------------
 * Accessors
 * --------------------------------------------------------------------------------------- */

const char *au_models_pdm_path(const au_models *m) { return m->pdm_path; }
const char *au_models_triangulation_path(const au_models *m) { return m->tri_path; }
int au_models_dynamic(const au_models *m) { return m->dynamic; }
int au_models_num_reg(const au_models *m) { return m->num_reg; }
int au_models_num_class(const au_models *m) { return m->num_class; }

int au_models_kind_count(const au_models *m, au_model_kind kind)
{
    return (int)kind >= 0 && kind < AU_MODEL_KINDS ? m->kinds[kind].count : 0;
}

int au_models_feature_dim(const au_models *m)
{
    for (int kind = 0; kind < AU_MODEL_KINDS; kind++)
        if (m->kinds[kind].count > 0 && m->kinds[kind].dim > AU_HOG_DIM)
            return AU_HOG_DIM + AU_GEOM_DIM;
    return AU_HOG_DIM;
}

int au_models_uses_median(const au_models *m)
{
    return m->kinds[AU_SVR_DYNAMIC].count > 0 || m->kinds[AU_SVM_DYNAMIC].count > 0;
}

static void fill_info(const au_models *m, output_slot s, au_model_info *out)
{
    const kind_models *km = &m->kinds[s.kind];
    out->name = km->names[s.index];
    out->kind = s.kind;
    out->index = s.index;
    out->dim = km->dim;
    out->bias = km->bias[s.index];
    out->cutoff = km->cutoff[s.index];
    out->pos_class = km->pos[s.index];
    out->neg_class = km->neg[s.index];
}

const char *au_models_reg_name(const au_models *m, int sorted_index)
{
    if (sorted_index < 0 || sorted_index >= m->num_reg)
        return NULL;
    output_slot s = m->reg[sorted_index];
    return m->kinds[s.kind].names[s.index];
}

const char *au_models_class_name(const au_models *m, int sorted_index)
{
    if (sorted_index < 0 || sorted_index >= m->num_class)
        return NULL;
    output_slot s = m->cls[sorted_index];
    return m->kinds[s.kind].names[s.index];
}

void au_models_reg_info(const au_models *m, int sorted_index, au_model_info *out)
{
    if (sorted_index < 0 || sorted_index >= m->num_reg) {
        memset(out, 0, sizeof *out);
        return;
    }
    fill_info(m, m->reg[sorted_index], out);
}

void au_models_class_info(const au_models *m, int sorted_index, au_model_info *out)
{
    if (sorted_index < 0 || sorted_index >= m->num_class) {
        memset(out, 0, sizeof *out);
        return;
    }
    fill_info(m, m->cls[sorted_index], out);
}

/* ---------------------------------------------------------------------------------------
 * Prediction
 * --------------------------------------------------------------------------------------- */

/* One stretch of the features: x[0..n) with its means, median (NULL = static) and the
 * matching rows of the support-vector matrix. */
typedef struct feature_range {
    const double *x;
    const double *means;
    const double *median;
    const double *sv;   /* row 0 of this range, K columns per row */
    int n;
} feature_range;

/* (x - means) - median, element by element: OpenCV evaluates input - means - run_med as two
 * cv::subtract calls (MatOp::subtract materialises input - means first). */
static double feature_deviation(const feature_range *r, int j)
{
    double d = r->x[j] - r->means[j];
    if (r->median)
        d -= r->median[j];
    return d;
}

/* GEMMSingleMul's K >= 2 branches: each column summed sequentially over the features. */
static void accumulate_columns_portable(const feature_range *r, int K, double *acc)
{
    for (int j = 0; j < r->n; j++) {
        const double d = feature_deviation(r, j);
        const double *w = r->sv + (size_t)j * (size_t)K;
        for (int k = 0; k < K; k++)
            acc[k] += d * w[k];
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* The same sums with four columns per vector kept in a register over all the features:
 * lane k still adds d_0·w_0k, d_1·w_1k, … in order, each product rounded before the
 * addition (AVX2 without FMA: the compiler cannot fuse them). The columns beyond the last
 * group of four are summed as in the portable loop. */
__attribute__((target("avx2"))) static void accumulate_columns_avx2(const feature_range *r,
                                                                    int K, double *acc)
{
    int k = 0;
    for (; k + 4 <= K; k += 4) {
        __m256d sum = _mm256_loadu_pd(acc + k);
        const double *w = r->sv + k;
        for (int j = 0; j < r->n; j++) {
            const __m256d d = _mm256_set1_pd(feature_deviation(r, j));
            sum = _mm256_add_pd(sum, _mm256_mul_pd(d, _mm256_loadu_pd(w + (size_t)j * K)));
        }
        _mm256_storeu_pd(acc + k, sum);
    }
    for (; k < K; k++)
        for (int j = 0; j < r->n; j++)
            acc[k] += feature_deviation(r, j) * r->sv[(size_t)j * (size_t)K + (size_t)k];
}

static void accumulate_columns(const feature_range *r, int K, double *acc)
{
    if (__builtin_cpu_supports("avx2"))
        accumulate_columns_avx2(r, K, acc);
    else
        accumulate_columns_portable(r, K, acc);
}
#else
static void accumulate_columns(const feature_range *r, int K, double *acc)
{
    accumulate_columns_portable(r, K, acc);
}
#endif

/* GEMMSingleMul's "A * Bt" branch, taken when K == 1 (gemmImpl sets GEMM_2_T for a
 * one-column B): four partial sums over features j mod 4 (CV_ENABLE_UNROLLED), the tail
 * after the last full group of four into s0. The ranges are processed in order with the
 * same partial sums; AU_HOG_DIM is a multiple of 4, so the grouping equals the one over the
 * concatenated vector and only the last range can have a tail. */
static void accumulate_single(const feature_range *r, double s[4])
{
    int j = 0;
    const int n = r->n;
    for (; j <= n - 4; j += 4) {
        s[0] += feature_deviation(r, j) * r->sv[j];
        s[1] += feature_deviation(r, j + 1) * r->sv[j + 1];
        s[2] += feature_deviation(r, j + 2) * r->sv[j + 2];
        s[3] += feature_deviation(r, j + 3) * r->sv[j + 3];
    }
    for (; j < n; j++)
        s[0] += feature_deviation(r, j) * r->sv[j];
}

_Static_assert(AU_HOG_DIM % 4 == 0, "the K == 1 grouping assumes a HOG length divisible by 4");

/* Linear scores of one kind: y_k = (x - means [- median])·SV_k + b_k. */
static void kind_scores(const kind_models *km, int dynamic, const double *hog,
                        const double *geom, const double *hog_median, const double *geom_median,
                        double *scores)
{
    const int K = km->count;
    feature_range ranges[2];
    int nranges = 1;
    ranges[0] = (feature_range){ hog, km->means, dynamic ? hog_median : NULL, km->sv,
                                 AU_HOG_DIM };
    if (km->dim > AU_HOG_DIM) {
        ranges[1] = (feature_range){ geom, km->means + AU_HOG_DIM,
                                     dynamic ? geom_median : NULL,
                                     km->sv + (size_t)AU_HOG_DIM * (size_t)K, AU_GEOM_DIM };
        nranges = 2;
    }
    if (K == 1) {
        double s[4] = { 0.0, 0.0, 0.0, 0.0 };
        for (int i = 0; i < nranges; i++)
            accumulate_single(&ranges[i], s);
        /* s0 = (s0+s1+s2+s3)*alpha; d = s0 + c*beta, with alpha = beta = 1. */
        double sum = (s[0] + s[1] + s[2] + s[3]) * 1.0;
        scores[0] = sum + km->bias[0] * 1.0;
        return;
    }
    double acc[AU_MODELS_MAX];
    for (int k = 0; k < K; k++)
        acc[k] = 0.0;
    for (int i = 0; i < nranges; i++)
        accumulate_columns(&ranges[i], K, acc);
    for (int k = 0; k < K; k++)
        scores[k] = acc[k] * 1.0 + km->bias[k] * 1.0;
}

void au_models_predict_reg(const au_models *m, const double *hog, const double *geom,
                           const double *hog_median, const double *geom_median,
                           double *out_sorted)
{
    static const au_model_kind kinds[2] = { AU_SVR_STATIC, AU_SVR_DYNAMIC };
    double scores[AU_MODELS_MAX];
    for (int i = 0; i < 2; i++) {
        const kind_models *km = &m->kinds[kinds[i]];
        if (km->count == 0)
            continue;
        kind_scores(km, kinds[i] == AU_SVR_DYNAMIC, hog, geom, hog_median, geom_median, scores);
        for (int k = 0; k < km->count; k++)
            out_sorted[km->out_index[k]] = scores[k];
    }
}

void au_models_predict_class_codes(const au_models *m, const double *hog, const double *geom,
                                   const double *hog_median, const double *geom_median,
                                   unsigned char *out_sorted)
{
    static const au_model_kind kinds[2] = { AU_SVM_STATIC, AU_SVM_DYNAMIC };
    double scores[AU_MODELS_MAX];
    for (int i = 0; i < 2; i++) {
        const kind_models *km = &m->kinds[kinds[i]];
        if (km->count == 0)
            continue;
        kind_scores(km, kinds[i] == AU_SVM_DYNAMIC, hog, geom, hog_median, geom_median, scores);
        /* SVM_*_lin::Predict: pos_class if preds > 0, else neg_class. */
        for (int k = 0; k < km->count; k++)
            out_sorted[km->out_index[k]] = scores[k] > 0 ? 1 : 0;
    }
}

void au_models_predict_class(const au_models *m, const double *hog, const double *geom,
                             const double *hog_median, const double *geom_median,
                             double *out_sorted)
{
    unsigned char codes[AU_MODELS_MAX];
    au_models_predict_class_codes(m, hog, geom, hog_median, geom_median, codes);
    for (int i = 0; i < m->num_class; i++) {
        output_slot s = m->cls[i];
        out_sorted[i] = codes[i] ? m->kinds[s.kind].pos[s.index] : m->kinds[s.kind].neg[s.index];
    }
}
