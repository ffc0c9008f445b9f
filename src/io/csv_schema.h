/* The columns of OpenFace 2.2 FeatureExtraction's CSV (RecorderCSV.cpp; PIPELINE_SPEC §9.1,
 * GAZE_SPEC §8): names, order and printed decimals, and the conversion of one frame's values
 * into a row of doubles. The CSV writer and the in-memory results share this one schema, so
 * both hold the same columns and a row of results prints as the CSV's line. */
#ifndef AU_IO_CSV_SCHEMA_H
#define AU_IO_CSV_SCHEMA_H

#include <stdio.h>

#include "common/error.h"

/* Eye landmarks written by OpenFace with an eye model: 28 per eye (GAZE_SPEC §2). */
#define AU_EYE_POINTS 56
/* gaze_0_x/y/z, gaze_1_x/y/z, gaze_angle_x/y. */
#define AU_GAZE_VALUES 8

typedef struct au_csv_columns {
    unsigned outputs;              /* AUFACE_OUT_* bits */
    int n_points;                  /* 68 */
    int n_modes;                   /* 34 */
    int n_reg;                     /* intensity AUs, sorted names */
    const char *const *reg_names;  /* e.g. "AU01" (the schema appends _r) */
    int n_class;                   /* presence AUs, sorted names */
    const char *const *class_names;
} au_csv_columns;

/* FeatureExtraction's file (video, sequence) or FaceLandmarkImg's (still images,
 * IMAGE_SPEC §6.2: leading `face, confidence`, confidence with 3 decimals, AU*_c with 1,
 * ", " between every field). */
typedef enum au_csv_layout { AU_CSV_LAYOUT_VIDEO = 0, AU_CSV_LAYOUT_IMAGE = 1 } au_csv_layout;

typedef struct au_csv_schema {
    au_csv_layout layout;
    unsigned outputs;
    int n_points, n_modes, n_reg, n_class;
    int n_cols;
    int first_au;                  /* index of AU01_r; n_cols without AU output */
    char **names;                  /* n_cols owned strings */
    unsigned char *decimals;       /* per column; 0 for the integer columns */
} au_csv_schema;

/* One frame's non-AU values. Arrays are read only for the groups that are enabled. */
typedef struct au_csv_row {
    long frame;                /* 1-based (video layout only) */
    int face_id;               /* the image layout's `face`: index in the detector's list */
    double timestamp;
    double confidence;
    int success;
    const float *gaze;         /* AU_GAZE_VALUES: gaze_0 xyz, gaze_1 xyz, angle x, y */
    const float *eye2d;        /* 2·56 planar: x_0..x_55, y_0..y_55 */
    const float *eye3d;        /* 3·56 planar: X, Y, Z */
    const double *pose;        /* 6 */
    const float *landmarks2d;  /* 2n planar */
    const float *landmarks3d;  /* 3n planar */
    const float *global;       /* 6 */
    const float *local;        /* m */
} au_csv_row;

/* Builds the schema of `cols`. */
auface_status au_csv_schema_init(au_csv_schema *s, const au_csv_columns *cols, au_err *err);

/* Builds the FaceLandmarkImg schema of `cols` (AU_CSV_LAYOUT_IMAGE). */
auface_status au_csv_schema_init_image(au_csv_schema *s, const au_csv_columns *cols,
                                       au_err *err);

/* Deep copy (the results outlive the job that made them). */
auface_status au_csv_schema_copy(au_csv_schema *dst, const au_csv_schema *src, au_err *err);

void au_csv_schema_release(au_csv_schema *s);

/* Fills values[0 .. first_au) from `row`. */
void au_csv_schema_fill(const au_csv_schema *s, const au_csv_row *row, double *values);

/* Writes the header line. */
void au_csv_write_header(const au_csv_schema *s, FILE *f);

/* Writes columns [from, to) of one row, values[0] being column `from`, each behind its separator (none before column 0),
 * as OpenFace's final file spaces them: with AU output, two spaces after the comma of every
 * non-AU field and one before AU fields (FaceAnalyser::PostprocessOutputFile rewrites the
 * rows keeping each field's leading space); without AU output, and always in the image
 * layout (never rewritten), RecorderCSV's ", ". */
void au_csv_write_values(const au_csv_schema *s, FILE *f, const double *values, int from,
                         int to);

#endif
