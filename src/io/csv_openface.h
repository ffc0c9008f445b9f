/* Writer of OpenFace 2.2 FeatureExtraction CSV files (RecorderCSV.cpp, and the AU rewrite
 * of FaceAnalyser::PostprocessOutputFile; PIPELINE_SPEC §9.1). The columns are those of
 * csv_schema.h.
 *
 * Rows arrive one per frame while the AU values are only final after the last frame, so the
 * non-AU part of each row is spooled to an anonymous temporary file (memory stays bounded)
 * and the final file is assembled at the end, next to its destination, then renamed into
 * place. */
#ifndef AU_IO_CSV_OPENFACE_H
#define AU_IO_CSV_OPENFACE_H

#include "io/csv_schema.h"

typedef struct au_csv_writer au_csv_writer;

/* Opens a writer for `path` with the columns of `schema` (which must outlive the writer);
 * nothing appears under `path` before au_csv_writer_finish. Fails at once (AUFACE_ERR_IO)
 * when no file can be created beside `path`, rather than after the last frame. */
auface_status au_csv_writer_open(au_csv_writer **out, const char *path,
                                 const au_csv_schema *schema, au_err *err);

/* Spools one row: values[0 .. schema->first_au). */
auface_status au_csv_writer_add(au_csv_writer *w, const double *values, au_err *err);

/* Rows added so far. */
long au_csv_writer_rows(const au_csv_writer *w);

/* Supplies the final AU values of row `index` (0-based, in add order), called once per row
 * in order during finish. */
typedef void (*au_csv_au_source)(void *user, long index, double *reg, double *cls);

/* Writes the complete file (header, rows, AU values from `aus` when AUs are enabled) to a
 * temporary file beside `path` and renames it into place. */
auface_status au_csv_writer_finish(au_csv_writer *w, au_csv_au_source aus, void *user,
                                   au_err *err);

/* The same into `path` instead of the writer's own (e.g. the partial file of a run that
 * failed). */
auface_status au_csv_writer_finish_as(au_csv_writer *w, const char *path, au_csv_au_source aus,
                                      void *user, au_err *err);

/* Frees the writer; if finish was not reached no output file is left behind. */
void au_csv_writer_free(au_csv_writer *w);

#endif
