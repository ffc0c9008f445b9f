/* OpenFace's text model files (PDMs, CLNF triangulations): the comment skipping of
 * LandmarkDetectorUtils.cpp SkipComments and the matrices of ReadMat (`stream >> rows >>
 * cols >> type`, then rows·cols values row-major, each a whitespace-delimited token), read
 * from a buffer in memory (common/file_read.h). Malformed text is rejected with
 * AUFACE_ERR_FORMAT and a message "<file>: <matrix>: <problem>". */
#ifndef AU_COMMON_TEXT_MATRIX_H
#define AU_COMMON_TEXT_MATRIX_H

#include "common/error.h"

/* A position in a text of a named file; p advances up to end. */
typedef struct au_text_cursor {
    const char *p, *end;
    const char *path; /* for messages */
} au_text_cursor;

/* SkipComments: while the next character is '#', '\n', ' ' or '\r', the rest of the line is
 * discarded (getline); OpenFace calls it before each matrix, not between values. */
void au_text_skip_comments(au_text_cursor *c);

/* `stream >> int`: the next whitespace-delimited token, which must be an integer in
 * lo..hi. Fails with "<file>: <matrix>: file ends before the <what> (truncated)" or
 * "<file>: <matrix>: expected the <what> (an integer in lo..hi), found '<token>'". */
auface_status au_text_int(au_text_cursor *c, const char *matrix, const char *what, long lo,
                          long hi, int *out, au_err *err);

/* ReadMat of a float matrix, after SkipComments: rows (1..max_rows), cols (1..max_cols),
 * the OpenCV type (6 = CV_64FC1, each value rounded to float as a convertTo(CV_32F) would;
 * or 5 = CV_32FC1, parsed as float), then rows·cols finite values. On success *data is a
 * malloc'd rows·cols array (free it with free); on failure it is NULL. */
auface_status au_text_matrix_f32(au_text_cursor *c, const char *matrix, int max_rows,
                                 int max_cols, int *rows, int *cols, float **data,
                                 au_err *err);

#endif
