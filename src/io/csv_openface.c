#include "io/csv_openface.h"

#include <stdlib.h>
#include <string.h>

#include "io/atomic_file.h"

#define AU_CSV_MAX_AUS 64

struct au_csv_writer {
    const au_csv_schema *schema;
    char *path;
    FILE *spool;      /* non-AU part of each row, one line per frame */
    long rows;
};

auface_status au_csv_writer_open(au_csv_writer **out, const char *path,
                                 const au_csv_schema *schema, au_err *err)
{
    *out = NULL;
    if (schema->n_reg > AU_CSV_MAX_AUS || schema->n_class > AU_CSV_MAX_AUS)
        return au_fail(err, AUFACE_ERR_INTERNAL, "%s: too many AU columns", path);
    au_csv_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory opening %s", path);
    }
    w->schema = schema;
    au_atomic_file probe; /* the folder takes files: fail now, not after the last frame */
    if (!au_atomic_open(&probe, path, err)) {
        au_csv_writer_free(w);
        return err ? err->status : AUFACE_ERR_IO;
    }
    au_atomic_abort(&probe);
    w->spool = tmpfile();
    if (!w->spool) {
        au_csv_writer_free(w);
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot create a temporary spool file", path);
    }
    *out = w;
    return AUFACE_OK;
}

auface_status au_csv_writer_add(au_csv_writer *w, const double *values, au_err *err)
{
    au_csv_write_values(w->schema, w->spool, values, 0, w->schema->first_au);
    if (fputc('\n', w->spool) == EOF || ferror(w->spool))
        return au_fail(err, AUFACE_ERR_IO, "%s: writing the temporary spool failed", w->path);
    w->rows++;
    return AUFACE_OK;
}

long au_csv_writer_rows(const au_csv_writer *w)
{
    return w->rows;
}

/* Copies the spooled rows into `f`, appending the AU values of each row. */
static auface_status copy_rows(au_csv_writer *w, FILE *f, au_csv_au_source aus, void *user,
                               au_err *err)
{
    const au_csv_schema *s = w->schema;
    double au_values[2 * AU_CSV_MAX_AUS];
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long index = 0;
    rewind(w->spool);
    while ((len = getline(&line, &cap, w->spool)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        fputs(line, f);
        if (s->first_au < s->n_cols) {
            aus(user, index, au_values, au_values + s->n_reg);
            au_csv_write_values(s, f, au_values, s->first_au, s->n_cols);
        }
        fputc('\n', f);
        index++;
    }
    free(line);
    if (index != w->rows || ferror(w->spool))
        return au_fail(err, AUFACE_ERR_IO, "%s: reading back the temporary spool failed "
                       "(%ld of %ld rows)", w->path, index, w->rows);
    return AUFACE_OK;
}

auface_status au_csv_writer_finish(au_csv_writer *w, au_csv_au_source aus, void *user,
                                   au_err *err)
{
    return au_csv_writer_finish_as(w, w->path, aus, user, err);
}

auface_status au_csv_writer_finish_as(au_csv_writer *w, const char *path, au_csv_au_source aus,
                                      void *user, au_err *err)
{
    if (fflush(w->spool) != 0)
        return au_fail(err, AUFACE_ERR_IO, "%s: writing the temporary spool failed", w->path);
    au_atomic_file af;
    FILE *f = au_atomic_open(&af, path, err);
    if (!f)
        return err ? err->status : AUFACE_ERR_IO;
    au_csv_write_header(w->schema, f);
    auface_status st = copy_rows(w, f, aus, user, err);
    if (st == AUFACE_OK && ferror(f))
        st = au_fail(err, AUFACE_ERR_IO, "%s: write failed (disk full?)", path);
    if (st != AUFACE_OK) {
        au_atomic_abort(&af);
        return st;
    }
    return au_atomic_commit(&af, err);
}

void au_csv_writer_free(au_csv_writer *w)
{
    if (!w)
        return;
    if (w->spool)
        fclose(w->spool);
    free(w->path);
    free(w);
}
