/* OpenFace .hog records: writer and reader; see io/hog_file.h. */
#include "io/hog_file.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/le_bytes.h"

/* Values converted per fwrite call; the stack buffer holds this many float32s. */
#define HOG_CHUNK 1024

/* Record header; checks the arguments. */
static auface_status write_header(FILE *f, const char *name, int num_cols, int num_rows,
                                  int num_channels, int valid, const void *values,
                                  size_t *count, au_err *err)
{
    if (!f || !values)
        return au_fail(err, AUFACE_ERR_ARG, "%s: HOG record: NULL argument", name);
    if (num_cols <= 0 || num_rows <= 0 || num_channels <= 0 ||
        (double)num_cols * num_rows * num_channels > AU_HOG_MAX_VALUES)
        return au_fail(err, AUFACE_ERR_ARG, "%s: HOG record of %d x %d x %d values", name,
                       num_cols, num_rows, num_channels);
    uint8_t head[16];
    au_le_put_u32(head, (uint32_t)num_cols);
    au_le_put_u32(head + 4, (uint32_t)num_rows);
    au_le_put_u32(head + 8, (uint32_t)num_channels);
    /* RecorderHOG::Write: "Not the best way to store a bool": +1 / -1 as float32 */
    au_le_put_f32(head + 12, valid ? 1.0f : -1.0f);
    if (fwrite(head, 1, sizeof head, f) != sizeof head)
        return au_fail(err, AUFACE_ERR_IO, "%s: write error: %s", name, strerror(errno));
    *count = (size_t)num_cols * (size_t)num_rows * (size_t)num_channels;
    return AUFACE_OK;
}

/* A header and the values, given as doubles (dv) or floats (fv), stored as float32. */
static auface_status write_frame(FILE *f, const char *name, int num_cols, int num_rows,
                                 int num_channels, int valid, const double *dv,
                                 const float *fv, au_err *err)
{
    size_t count = 0; /* set by write_header; GCC cannot see that through au_fail */
    const void *values = dv ? (const void *)dv : (const void *)fv;
    auface_status s =
        write_header(f, name, num_cols, num_rows, num_channels, valid, values, &count, err);
    if (s != AUFACE_OK)
        return s;
    uint8_t buf[4 * HOG_CHUNK];
    for (size_t i = 0; i < count; i += HOG_CHUNK) {
        size_t n = count - i < HOG_CHUNK ? count - i : HOG_CHUNK;
        for (size_t k = 0; k < n; k++) /* RecorderHOG: (float) of the double descriptor */
            au_le_put_f32(buf + 4 * k, dv ? (float)dv[i + k] : fv[i + k]);
        if (fwrite(buf, 4, n, f) != n)
            return au_fail(err, AUFACE_ERR_IO, "%s: write error: %s", name, strerror(errno));
    }
    return AUFACE_OK;
}

auface_status au_hog_write_frame(FILE *f, const char *name, int num_cols, int num_rows,
                                 int num_channels, int valid, const double *values,
                                 au_err *err)
{
    return write_frame(f, name, num_cols, num_rows, num_channels, valid, values, NULL, err);
}

auface_status au_hog_write_frame_float(FILE *f, const char *name, int num_cols, int num_rows,
                                       int num_channels, int valid, const float *values,
                                       au_err *err)
{
    return write_frame(f, name, num_cols, num_rows, num_channels, valid, NULL, values, err);
}

struct au_hog_reader {
    FILE *f;
    char *path;
    float *data;
    size_t cap;       /* floats in data */
    long records;
};

auface_status au_hog_reader_open(au_hog_reader **out, const char *path, au_err *err)
{
    if (!out || !path)
        return au_fail(err, AUFACE_ERR_ARG, "au_hog_reader_open: NULL argument");
    *out = NULL;
    au_hog_reader *r = calloc(1, sizeof *r);
    if (!r)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    r->path = malloc(strlen(path) + 1);
    if (!r->path) {
        free(r);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    }
    strcpy(r->path, path);
    r->f = fopen(path, "rb");
    if (!r->f) {
        auface_status s = au_fail(err, AUFACE_ERR_IO, "%s: cannot open: %s", path,
                                  strerror(errno));
        au_hog_reader_close(r);
        return s;
    }
    *out = r;
    return AUFACE_OK;
}

static int reader_fail(au_hog_reader *r, au_err *err, const char *what)
{
    if (ferror(r->f))
        au_fail(err, AUFACE_ERR_IO, "%s: record %ld: read error", r->path, r->records);
    else
        au_fail(err, AUFACE_ERR_FORMAT, "%s: record %ld: %s", r->path, r->records, what);
    return -1;
}

int au_hog_reader_next(au_hog_reader *r, au_hog_record *rec, au_err *err)
{
    if (!r || !rec) {
        au_fail(err, AUFACE_ERR_ARG, "au_hog_reader_next: NULL argument");
        return -1;
    }
    uint8_t head[16];
    size_t got = fread(head, 1, sizeof head, r->f);
    if (got == 0 && !ferror(r->f))
        return 0;
    if (got != sizeof head)
        return reader_fail(r, err, "truncated record header");
    int32_t cols = au_le_i32(head), rows = au_le_i32(head + 4);
    int32_t channels = au_le_i32(head + 8);
    float flag = au_le_f32(head + 12);
    if (cols <= 0 || rows <= 0 || channels <= 0 ||
        (double)cols * rows * channels > AU_HOG_MAX_VALUES) {
        au_fail(err, AUFACE_ERR_FORMAT, "%s: record %ld: implausible size %d x %d x %d",
                r->path, r->records, (int)cols, (int)rows, (int)channels);
        return -1;
    }
    if (flag != 1.0f && flag != -1.0f) {
        au_fail(err, AUFACE_ERR_FORMAT, "%s: record %ld: valid flag %g is neither 1 nor -1",
                r->path, r->records, (double)flag);
        return -1;
    }
    size_t count = (size_t)cols * (size_t)rows * (size_t)channels;
    if (count > r->cap) {
        float *p = realloc(r->data, count * sizeof *p);
        if (!p) {
            au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", r->path);
            return -1;
        }
        r->data = p;
        r->cap = count;
    }
    if (fread(r->data, sizeof(float), count, r->f) != count)
        return reader_fail(r, err, "truncated values");
    for (size_t i = 0; i < count; i++) { /* stored little-endian */
        unsigned char b[4];
        memcpy(b, &r->data[i], 4);
        r->data[i] = au_le_f32(b);
    }
    rec->num_cols = cols;
    rec->num_rows = rows;
    rec->num_channels = channels;
    rec->valid = flag > 0.0f;
    rec->data = r->data;
    rec->index = r->records++;
    return 1;
}

void au_hog_reader_close(au_hog_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->data);
    free(r->path);
    free(r);
}
