#include "pipeline/results.h"

#include <stdlib.h>
#include <string.h>

#include "common/c_locale.h"
#include "io/atomic_file.h"

auface_status au_results_create(auface_results **out, const au_csv_schema *schema,
                                au_err *err)
{
    *out = NULL;
    auface_results *r = calloc(1, sizeof *r);
    if (!r)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the results");
    auface_status st = au_csv_schema_copy(&r->schema, schema, err);
    if (st != AUFACE_OK) {
        free(r);
        return st;
    }
    *out = r;
    return AUFACE_OK;
}

auface_status au_results_append(auface_results *r, const double *values, au_err *err)
{
    const int cols = r->schema.n_cols;
    if (r->rows == r->capacity) {
        long cap = r->capacity ? 2 * r->capacity : 256;
        double *grown = realloc(r->data, (size_t)cap * (size_t)cols * sizeof *grown);
        if (!grown)
            return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for %ld result rows", cap);
        r->data = grown;
        r->capacity = cap;
    }
    double *row = r->data + (size_t)r->rows * (size_t)cols;
    memcpy(row, values, (size_t)r->schema.first_au * sizeof *row);
    memset(row + r->schema.first_au, 0, (size_t)(cols - r->schema.first_au) * sizeof *row);
    r->rows++;
    return AUFACE_OK;
}

void au_results_set_aus(auface_results *r, long row, const double *reg, const double *cls)
{
    const au_csv_schema *s = &r->schema;
    if (s->first_au == s->n_cols || row < 0 || row >= r->rows)
        return;
    double *v = r->data + (size_t)row * (size_t)s->n_cols + s->first_au;
    memcpy(v, reg, (size_t)s->n_reg * sizeof *v);
    memcpy(v + s->n_reg, cls, (size_t)s->n_class * sizeof *v);
}

/* The part whose next row has the lowest frame (the first part on a tie), -1 when every
 * part is done. Column 0 is the frame number. */
static int next_part(auface_results *const *parts, const long *at, int n)
{
    int best = -1;
    double best_frame = 0.0;
    for (int i = 0; i < n; i++) {
        if (!parts[i] || at[i] >= parts[i]->rows)
            continue;
        double frame = parts[i]->data[(size_t)at[i] * (size_t)parts[i]->schema.n_cols];
        if (best < 0 || frame < best_frame) {
            best = i;
            best_frame = frame;
        }
    }
    return best;
}

auface_status au_results_merge_by_frame(auface_results **parts, int n, auface_results **out,
                                        au_err *err)
{
    *out = NULL;
    int first = -1;
    for (int i = 0; i < n && first < 0; i++)
        if (parts[i])
            first = i;
    auface_status st = first < 0 ? au_fail(err, AUFACE_ERR_INTERNAL, "no results to merge")
                                 : au_results_create(out, &parts[first]->schema, err);
    long *at = calloc((size_t)(n > 0 ? n : 1), sizeof *at);
    if (st == AUFACE_OK && !at)
        st = au_fail(err, AUFACE_ERR_NOMEM, "out of memory merging results");
    const int cols = first >= 0 ? parts[first]->schema.n_cols : 0;
    for (int i; st == AUFACE_OK && (i = next_part(parts, at, n)) >= 0; at[i]++) {
        const double *row = parts[i]->data + (size_t)at[i] * (size_t)cols;
        const au_csv_schema *sc = &parts[i]->schema;
        if ((st = au_results_append(*out, row, err)) == AUFACE_OK)
            au_results_set_aus(*out, (*out)->rows - 1, row + sc->first_au,
                               row + sc->first_au + sc->n_reg);
    }
    free(at);
    for (int i = 0; i < n; i++) {
        auface_results_free(parts[i]);
        parts[i] = NULL;
    }
    if (st != AUFACE_OK) {
        auface_results_free(*out);
        *out = NULL;
    }
    return st;
}

long auface_results_rows(const auface_results *r)
{
    return r ? r->rows : 0;
}

int auface_results_cols(const auface_results *r)
{
    return r ? r->schema.n_cols : 0;
}

const char *auface_results_column_name(const auface_results *r, int col)
{
    return r && col >= 0 && col < r->schema.n_cols ? r->schema.names[col] : NULL;
}

int auface_results_column_index(const auface_results *r, const char *name)
{
    for (int i = 0; r && name && i < r->schema.n_cols; i++)
        if (strcmp(r->schema.names[i], name) == 0)
            return i;
    return -1;
}

int auface_results_column_decimals(const auface_results *r, int col)
{
    return r && col >= 0 && col < r->schema.n_cols ? r->schema.decimals[col] : -1;
}

const double *auface_results_data(const auface_results *r)
{
    return r ? r->data : NULL;
}

auface_status auface_results_write_csv(const auface_results *r, const char *path,
                                       char *errbuf, size_t errbuf_size)
{
    au_err err;
    au_err_clear(&err);
    auface_status st = AUFACE_OK;
    if (!r || !path) {
        st = au_fail(&err, AUFACE_ERR_ARG, "auface_results_write_csv: results or path is NULL");
    } else {
        au_c_locale_scope numbers; /* '.' decimals whatever the caller's locale */
        au_c_locale_enter(&numbers);
        au_atomic_file af;
        FILE *f = au_atomic_open(&af, path, &err);
        if (!f) {
            st = err.status;
        } else {
            const au_csv_schema *s = &r->schema;
            au_csv_write_header(s, f);
            for (long i = 0; i < r->rows; i++) {
                au_csv_write_values(s, f, r->data + (size_t)i * (size_t)s->n_cols, 0,
                                    s->n_cols);
                fputc('\n', f);
            }
            if (ferror(f)) {
                au_atomic_abort(&af);
                st = au_fail(&err, AUFACE_ERR_IO, "%s: write failed (disk full?)", path);
            } else {
                st = au_atomic_commit(&af, &err);
            }
        }
        au_c_locale_leave(&numbers);
    }
    if (errbuf && errbuf_size > 0)
        snprintf(errbuf, errbuf_size, "%s", st == AUFACE_OK ? "" : err.msg);
    return st;
}

void auface_results_free(auface_results *r)
{
    if (!r)
        return;
    au_csv_schema_release(&r->schema);
    free(r->data);
    free(r);
}
