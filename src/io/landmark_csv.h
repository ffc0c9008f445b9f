/* Streaming reader for the 2D landmarks of an OpenFace FeatureExtraction CSV.
 *
 * Layout accepted: a header line of column names separated by ',' (spaces around names are
 * ignored, as OpenFace writes ", "), then one row per line with the same number of fields.
 * The reader finds the columns x_0..x_67 and y_0..y_67 (required), the eye landmarks
 * eye_lmk_x_0..55 / eye_lmk_y_0..55 (optional, used when all are present), "success" (optional:
 * 1 when absent) and "frame" (optional: the 1-based row number when absent); every other
 * column may be present or not, in any order (e.g. OpenFace's 714-column CSV, or the
 * 141-column landmark-only files). Numbers are parsed as C++ `std::istream >> float` does
 * (libstdc++ hands the digits to strtof in the "C" locale), so each value is the correctly
 * rounded float of its decimal text and full-precision files round-trip exactly. The C
 * locale is used whatever setlocale() the application called.
 *
 * Memory: one line buffer (grows to the longest line, at most AU_LANDMARK_CSV_MAX_LINE) and
 * one entry per header column. Not thread-safe: one reader per thread. */
#ifndef AU_IO_LANDMARK_CSV_H
#define AU_IO_LANDMARK_CSV_H

#include "common/error.h"

#define AU_LANDMARK_CSV_POINTS 68
/* Eye landmarks of OpenFace's gaze block: eye_lmk_x_0..55, eye_lmk_y_0..55. */
#define AU_LANDMARK_CSV_EYE_POINTS 56
/* Longest line accepted (OpenFace's 714-column rows are ~5 kB, full-precision ones ~20 kB). */
#define AU_LANDMARK_CSV_MAX_LINE (1 << 20)

typedef struct au_landmark_csv au_landmark_csv;

/* Opens `path` and reads its header. Errors: AUFACE_ERR_ARG (NULL), AUFACE_ERR_IO (cannot
 * open/read), AUFACE_ERR_FORMAT (empty file, header without x_0..x_67 / y_0..y_67 — the
 * message names the first missing column). On failure *out is NULL. */
auface_status au_landmark_csv_open(au_landmark_csv **out, const char *path, au_err *err);

/* Reads the next data row (blank lines are skipped). On 1: *frame_number is the "frame"
 * value, *success 1 or 0 (any non-zero "success" counts as 1), landmarks136 the planar
 * landmarks [x_0..x_67, y_0..y_67] as floats. Returns 0 at the end of the file, or < 0
 * with AUFACE_ERR_FORMAT naming the file, the line and the problem (wrong field count,
 * a value that is not a finite number, a frame number that is not an integer, a line
 * over AU_LANDMARK_CSV_MAX_LINE) or AUFACE_ERR_IO on a read error. The outputs are
 * unspecified unless 1 is returned. */
int au_landmark_csv_next(au_landmark_csv *r, long *frame_number, int *success,
                         float *landmarks136, au_err *err);

/* 1-based number of the line last read (0 before the header). */
long au_landmark_csv_line(const au_landmark_csv *r);

/* Stores the `confidence` value of the row last returned by au_landmark_csv_next and
 * returns 1; returns 0 when the file has no confidence column. */
int au_landmark_csv_confidence(const au_landmark_csv *r, double *confidence);

/* When the file has every eye_lmk_x_N and eye_lmk_y_N column (N = 0..55, OpenFace's gaze
 * block), stores the eye landmarks of the row last returned by au_landmark_csv_next in
 * eyes112 (planar: x_0..x_55, y_0..y_55) and returns 1; otherwise returns 0. */
int au_landmark_csv_eyes(const au_landmark_csv *r, float *eyes112);

/* Closes the file and frees the reader. NULL is a no-op. */
void au_landmark_csv_close(au_landmark_csv *r);

#endif
