/* Writer of OpenFace 2.2 FeatureExtraction CSV files (RecorderCSV.cpp, and the AU rewrite
 * of FaceAnalyser::PostprocessOutputFile; PIPELINE_SPEC §9.1).
 *
 * Rows arrive one per frame while the AU values are only final after the last frame, so the
 * non-AU part of each row is spooled to an anonymous temporary file (memory stays bounded)
 * and the final file is assembled at the end, next to its destination, then renamed into
 * place. Layout: frame, face_id, timestamp, confidence, success, then the enabled groups
 * (pose, 2D landmarks, 3D landmarks, PDM parameters, AU intensities, AU presences).
 * Gaze columns are not written: auface does not estimate gaze. */
#ifndef AU_IO_CSV_OPENFACE_H
#define AU_IO_CSV_OPENFACE_H

#include <stdio.h>

#include "common/error.h"

typedef struct au_csv_columns {
    unsigned outputs;              /* AUFACE_OUT_* bits */
    int n_points;                  /* 68 */
    int n_modes;                   /* 34 */
    int n_reg;                     /* intensity AUs, sorted names */
    const char *const *reg_names;  /* e.g. "AU01" (the writer appends _r) */
    int n_class;                   /* presence AUs, sorted names */
    const char *const *class_names;
} au_csv_columns;

/* One frame's non-AU values. Arrays are read only for the groups that are enabled. */
typedef struct au_csv_row {
    long frame;                /* 1-based */
    int face_id;
    double timestamp;
    double confidence;
    int success;
    const double *pose;        /* 6 */
    const float *landmarks2d;  /* 2n planar */
    const float *landmarks3d;  /* 3n planar */
    const float *global;       /* 6 */
    const float *local;        /* m */
} au_csv_row;

typedef struct au_csv_writer au_csv_writer;

/* Opens a writer for `path`; nothing appears under `path` before au_csv_writer_finish. */
auface_status au_csv_writer_open(au_csv_writer **out, const char *path,
                                 const au_csv_columns *cols, au_err *err);

/* Spools one row (without its AU values). */
auface_status au_csv_writer_add(au_csv_writer *w, const au_csv_row *row, au_err *err);

/* Supplies the final AU values of row `index` (0-based, in add order), called once per row
 * in order during finish. */
typedef void (*au_csv_au_source)(void *user, long index, double *reg, double *cls);

/* Writes the complete file (header, rows, AU values from `aus` when AUs are enabled) to a
 * temporary file beside `path` and renames it into place. */
auface_status au_csv_writer_finish(au_csv_writer *w, au_csv_au_source aus, void *user,
                                   au_err *err);

/* Frees the writer; if finish was not reached no output file is left behind. */
void au_csv_writer_free(au_csv_writer *w);

#endif
