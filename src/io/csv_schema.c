#include "io/csv_schema.h"

#include <stdlib.h>
#include <string.h>

#include "auface.h"
#include "io/fixed_decimal.h"

/* A growing column list while the schema is built. */
typedef struct builder {
    au_csv_schema *s;
    int cap;
    int failed;
} builder;

static void add(builder *b, const char *name, int decimals)
{
    au_csv_schema *s = b->s;
    if (b->failed)
        return;
    if (s->n_cols == b->cap) {
        int cap = b->cap ? 2 * b->cap : 256;
        char **names = realloc(s->names, (size_t)cap * sizeof *names);
        if (names)
            s->names = names;
        unsigned char *dec = realloc(s->decimals, (size_t)cap);
        if (dec)
            s->decimals = dec;
        if (!names || !dec) {
            b->failed = 1;
            return;
        }
        b->cap = cap;
    }
    if (!(s->names[s->n_cols] = strdup(name))) {
        b->failed = 1;
        return;
    }
    s->decimals[s->n_cols++] = (unsigned char)decimals;
}

static void add_indexed(builder *b, const char *prefix, int count, int decimals)
{
    char name[64];
    for (int i = 0; i < count; i++) {
        snprintf(name, sizeof name, "%s_%d", prefix, i);
        add(b, name, decimals);
    }
}

static void add_suffixed(builder *b, const char *const *names, int count, const char *suffix,
                         int decimals)
{
    char name[128];
    for (int i = 0; i < count; i++) {
        snprintf(name, sizeof name, "%s%s", names[i], suffix);
        add(b, name, decimals);
    }
}

/* Decimals as RecorderCSV::WriteLine: timestamp 3, confidence 2, gaze vectors 6 and angles
 * 3, eye landmarks 1, pose T 1 and R 3, landmarks 1, PDM parameters 3, AUs 2 (after
 * PostprocessOutputFile). */
static void add_columns(builder *b, const au_csv_columns *c)
{
    unsigned o = c->outputs;
    const int image = b->s->layout == AU_CSV_LAYOUT_IMAGE;
    if (image) { /* RecorderCSV::WriteLine for a still image: confidence with 3 decimals */
        add(b, "face", 0);
        add(b, "confidence", 3);
    } else {
        add(b, "frame", 0);
        add(b, "face_id", 0);
        add(b, "timestamp", 3);
        add(b, "confidence", 2);
        add(b, "success", 0);
    }
    if (o & AUFACE_OUT_GAZE) {
        static const char *const gaze[AU_GAZE_VALUES] = {
            "gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z",
            "gaze_angle_x", "gaze_angle_y"};
        for (int i = 0; i < AU_GAZE_VALUES; i++)
            add(b, gaze[i], i < 6 ? 6 : 3);
        static const char *const eye[5] = {"eye_lmk_x", "eye_lmk_y", "eye_lmk_X",
                                           "eye_lmk_Y", "eye_lmk_Z"};
        for (int k = 0; k < 5; k++)
            add_indexed(b, eye[k], AU_EYE_POINTS, 1);
    }
    if (o & AUFACE_OUT_POSE) {
        static const char *const pose[6] = {"pose_Tx", "pose_Ty", "pose_Tz",
                                            "pose_Rx", "pose_Ry", "pose_Rz"};
        for (int i = 0; i < 6; i++)
            add(b, pose[i], i < 3 ? 1 : 3);
    }
    if (o & AUFACE_OUT_2D) {
        add_indexed(b, "x", c->n_points, 1);
        add_indexed(b, "y", c->n_points, 1);
    }
    if (o & AUFACE_OUT_3D) {
        add_indexed(b, "X", c->n_points, 1);
        add_indexed(b, "Y", c->n_points, 1);
        add_indexed(b, "Z", c->n_points, 1);
    }
    if (o & AUFACE_OUT_PDM) {
        static const char *const global[6] = {"p_scale", "p_rx", "p_ry",
                                              "p_rz", "p_tx", "p_ty"};
        for (int i = 0; i < 6; i++)
            add(b, global[i], 3);
        add_indexed(b, "p", c->n_modes, 3);
    }
    b->s->first_au = b->s->n_cols;
    if (o & AUFACE_OUT_AUS) {
        add_suffixed(b, c->reg_names, c->n_reg, "_r", 2);
        /* FaceLandmarkImg's file is not rewritten: presences keep RecorderCSV's 1 decimal */
        add_suffixed(b, c->class_names, c->n_class, "_c", image ? 1 : 2);
    }
}

static auface_status init_layout(au_csv_schema *s, au_csv_layout layout,
                                 const au_csv_columns *cols, au_err *err)
{
    memset(s, 0, sizeof *s);
    s->layout = layout;
    s->outputs = cols->outputs;
    s->n_points = cols->n_points;
    s->n_modes = cols->n_modes;
    s->n_reg = cols->outputs & AUFACE_OUT_AUS ? cols->n_reg : 0;
    s->n_class = cols->outputs & AUFACE_OUT_AUS ? cols->n_class : 0;
    builder b = {.s = s};
    add_columns(&b, cols);
    if (b.failed) {
        au_csv_schema_release(s);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the CSV columns");
    }
    return AUFACE_OK;
}

auface_status au_csv_schema_init(au_csv_schema *s, const au_csv_columns *cols, au_err *err)
{
    return init_layout(s, AU_CSV_LAYOUT_VIDEO, cols, err);
}

auface_status au_csv_schema_init_image(au_csv_schema *s, const au_csv_columns *cols,
                                       au_err *err)
{
    return init_layout(s, AU_CSV_LAYOUT_IMAGE, cols, err);
}

auface_status au_csv_schema_copy(au_csv_schema *dst, const au_csv_schema *src, au_err *err)
{
    *dst = *src;
    dst->n_cols = 0;
    dst->names = NULL;
    dst->decimals = NULL;
    builder b = {.s = dst};
    for (int i = 0; i < src->n_cols; i++)
        add(&b, src->names[i], src->decimals[i]);
    if (b.failed) {
        au_csv_schema_release(dst);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the CSV columns");
    }
    return AUFACE_OK;
}

void au_csv_schema_release(au_csv_schema *s)
{
    for (int i = 0; s->names && i < s->n_cols; i++)
        free(s->names[i]);
    free(s->names);
    free(s->decimals);
    memset(s, 0, sizeof *s);
}

static double *put_floats(double *v, const float *src, int count)
{
    for (int i = 0; i < count; i++)
        *v++ = (double)src[i];
    return v;
}

void au_csv_schema_fill(const au_csv_schema *s, const au_csv_row *row, double *values)
{
    unsigned o = s->outputs;
    double *v = values;
    if (s->layout == AU_CSV_LAYOUT_IMAGE) {
        *v++ = (double)row->face_id;
        *v++ = row->confidence;
    } else {
        *v++ = (double)row->frame;
        *v++ = (double)row->face_id;
        *v++ = row->timestamp;
        *v++ = row->confidence;
        *v++ = (double)row->success;
    }
    if (o & AUFACE_OUT_GAZE) {
        v = put_floats(v, row->gaze, AU_GAZE_VALUES);
        v = put_floats(v, row->eye2d, 2 * AU_EYE_POINTS);
        v = put_floats(v, row->eye3d, 3 * AU_EYE_POINTS);
    }
    if (o & AUFACE_OUT_POSE)
        for (int i = 0; i < 6; i++)
            *v++ = row->pose[i];
    if (o & AUFACE_OUT_2D)
        v = put_floats(v, row->landmarks2d, 2 * s->n_points);
    if (o & AUFACE_OUT_3D)
        v = put_floats(v, row->landmarks3d, 3 * s->n_points);
    if (o & AUFACE_OUT_PDM) {
        v = put_floats(v, row->global, 6);
        v = put_floats(v, row->local, s->n_modes);
    }
}

void au_csv_write_header(const au_csv_schema *s, FILE *f)
{
    for (int i = 0; i < s->n_cols; i++)
        fprintf(f, "%s%s", i ? ", " : "", s->names[i]);
    fputc('\n', f);
}

/* Bytes of text gathered before one fwrite: room for a row of short numbers, flushed early
 * when a long one might not fit. */
#define ROW_TEXT_BYTES 8192

void au_csv_write_values(const au_csv_schema *s, FILE *f, const double *values, int from,
                         int to)
{
    const char *non_au_sep =
        s->layout == AU_CSV_LAYOUT_VIDEO && (s->outputs & AUFACE_OUT_AUS) ? ",  " : ", ";
    char text[ROW_TEXT_BYTES];
    size_t len = 0;
    for (int i = from; i < to; i++) {
        if (len + 4 + AU_FIXED_DECIMAL_MAX > sizeof text) {
            fwrite(text, 1, len, f);
            len = 0;
        }
        const char *sep = i == 0 ? "" : i >= s->first_au ? ", " : non_au_sep;
        while (*sep)
            text[len++] = *sep++;
        len += (size_t)au_format_fixed(text + len, values[i - from], s->decimals[i]);
    }
    fwrite(text, 1, len, f);
}
