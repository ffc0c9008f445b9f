/* The rows of one job in memory (the public auface_results): the CSV's schema and a
 * rows × columns matrix of doubles, filled by the job as frames are consumed and completed
 * with the post-processed AU values at the end. */
#ifndef AU_PIPELINE_RESULTS_H
#define AU_PIPELINE_RESULTS_H

#include "io/csv_schema.h"

struct auface_results {
    au_csv_schema schema;
    double *data;
    long rows, capacity;
};

/* Empty results with a copy of `schema`. */
auface_status au_results_create(auface_results **out, const au_csv_schema *schema,
                                au_err *err);

/* Appends a row: values[0 .. first_au) are the non-AU columns; the AU columns start at 0. */
auface_status au_results_append(auface_results *r, const double *values, au_err *err);

/* Sets the AU columns of row `row`: `reg` (n_reg intensities) then `cls` (n_class). */
void au_results_set_aus(auface_results *r, long row, const double *reg, const double *cls);

/* Moves the rows of `parts` (results of one schema, each sorted by frame) into one
 * results object sorted by frame, then by part order (the faces' ids), and frees the
 * parts. */
auface_status au_results_merge_by_frame(auface_results **parts, int n, auface_results **out,
                                        au_err *err);

#endif
