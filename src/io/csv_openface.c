#include "io/csv_openface.h"

#include <stdlib.h>
#include <string.h>

#include "io/atomic_file.h"

struct au_csv_writer {
    au_csv_columns cols;
    char *path;
    FILE *spool;      /* non-AU part of each row, one line per frame */
    long rows;
    const char *sep;  /* separator before every non-AU field */
};

static int has(const au_csv_writer *w, unsigned group)
{
    return (w->cols.outputs & group) != 0;
}

auface_status au_csv_writer_open(au_csv_writer **out, const char *path,
                                 const au_csv_columns *cols, au_err *err)
{
    *out = NULL;
    au_csv_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory opening %s", path);
    }
    w->cols = *cols;
    w->spool = tmpfile();
    if (!w->spool) {
        au_csv_writer_free(w);
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot create a temporary spool file", path);
    }
    /* FaceAnalyser::PostprocessOutputFile rewrites the rows keeping each field's leading
     * space after its own ", ", so non-AU fields end up behind ",  ". Without AU output
     * OpenFace never rewrites, and RecorderCSV's ", " stands. */
    w->sep = has(w, AUFACE_OUT_AUS) ? ",  " : ", ";
    *out = w;
    return AUFACE_OK;
}

static void put_floats(FILE *f, const char *sep, const float *v, int count, int decimals)
{
    for (int i = 0; i < count; i++)
        fprintf(f, "%s%.*f", sep, decimals, (double)v[i]);
}

auface_status au_csv_writer_add(au_csv_writer *w, const au_csv_row *row, au_err *err)
{
    FILE *f = w->spool;
    const char *s = w->sep;
    const int n = w->cols.n_points;
    /* Decimals as RecorderCSV::WriteLine: timestamp 3, confidence 2, pose T 1 and R 3,
     * landmarks 1, PDM parameters 3. */
    fprintf(f, "%ld%s%d%s%.3f%s%.2f%s%d", row->frame, s, row->face_id, s, row->timestamp, s,
            row->confidence, s, row->success);
    if (has(w, AUFACE_OUT_POSE)) {
        for (int i = 0; i < 6; i++)
            fprintf(f, "%s%.*f", s, i < 3 ? 1 : 3, row->pose[i]);
    }
    if (has(w, AUFACE_OUT_2D))
        put_floats(f, s, row->landmarks2d, 2 * n, 1);
    if (has(w, AUFACE_OUT_3D))
        put_floats(f, s, row->landmarks3d, 3 * n, 1);
    if (has(w, AUFACE_OUT_PDM)) {
        put_floats(f, s, row->global, 6, 3);
        put_floats(f, s, row->local, w->cols.n_modes, 3);
    }
    if (fputc('\n', f) == EOF || ferror(f))
        return au_fail(err, AUFACE_ERR_IO, "%s: writing the temporary spool failed", w->path);
    w->rows++;
    return AUFACE_OK;
}

static void put_indexed_names(FILE *f, const char *prefix, int count)
{
    for (int i = 0; i < count; i++)
        fprintf(f, ", %s_%d", prefix, i);
}

static void write_header(const au_csv_writer *w, FILE *f)
{
    const int n = w->cols.n_points;
    fputs("frame, face_id, timestamp, confidence, success", f);
    if (has(w, AUFACE_OUT_POSE))
        fputs(", pose_Tx, pose_Ty, pose_Tz, pose_Rx, pose_Ry, pose_Rz", f);
    if (has(w, AUFACE_OUT_2D)) {
        put_indexed_names(f, "x", n);
        put_indexed_names(f, "y", n);
    }
    if (has(w, AUFACE_OUT_3D)) {
        put_indexed_names(f, "X", n);
        put_indexed_names(f, "Y", n);
        put_indexed_names(f, "Z", n);
    }
    if (has(w, AUFACE_OUT_PDM)) {
        fputs(", p_scale, p_rx, p_ry, p_rz, p_tx, p_ty", f);
        put_indexed_names(f, "p", w->cols.n_modes);
    }
    if (has(w, AUFACE_OUT_AUS)) {
        for (int i = 0; i < w->cols.n_reg; i++)
            fprintf(f, ", %s_r", w->cols.reg_names[i]);
        for (int i = 0; i < w->cols.n_class; i++)
            fprintf(f, ", %s_c", w->cols.class_names[i]);
    }
    fputc('\n', f);
}

/* Copies the spooled rows into `f`, appending the AU values of each row. */
static auface_status copy_rows(au_csv_writer *w, FILE *f, au_csv_au_source aus, void *user,
                               au_err *err)
{
    double reg[64], cls[64];
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long index = 0;
    rewind(w->spool);
    while ((len = getline(&line, &cap, w->spool)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        fputs(line, f);
        if (has(w, AUFACE_OUT_AUS)) {
            aus(user, index, reg, cls);
            /* PostprocessOutputFile writes every AU value with setprecision(2), fixed. */
            for (int i = 0; i < w->cols.n_reg; i++)
                fprintf(f, ", %.2f", reg[i]);
            for (int i = 0; i < w->cols.n_class; i++)
                fprintf(f, ", %.2f", cls[i]);
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
    if (has(w, AUFACE_OUT_AUS) && (w->cols.n_reg > 64 || w->cols.n_class > 64))
        return au_fail(err, AUFACE_ERR_INTERNAL, "%s: too many AU columns", w->path);
    if (fflush(w->spool) != 0)
        return au_fail(err, AUFACE_ERR_IO, "%s: writing the temporary spool failed", w->path);
    au_atomic_file af;
    FILE *f = au_atomic_open(&af, w->path, err);
    if (!f)
        return err ? err->status : AUFACE_ERR_IO;
    write_header(w, f);
    auface_status st = copy_rows(w, f, aus, user, err);
    if (st == AUFACE_OK && ferror(f))
        st = au_fail(err, AUFACE_ERR_IO, "%s: write failed (disk full?)", w->path);
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
