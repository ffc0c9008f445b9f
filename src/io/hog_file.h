/* OpenFace's binary .hog file (RecorderHOG::Write; PIPELINE_SPEC §5.3): no file header; per
 * frame a record of int32 num_cols, int32 num_rows, int32 num_channels, float32 valid flag
 * (+1 for a tracked frame, -1 otherwise), then num_cols·num_rows·num_channels float32
 * values in the FHOG order ((row·num_cols + col)·31 + channel). All little-endian (OpenFace
 * writes the x86 memory image); this module writes and reads little-endian on any host.
 * For a 112×112 aligned face: 12, 12, 31, flag, 4464 floats = 17872 bytes a frame. */
#ifndef AU_IO_HOG_FILE_H
#define AU_IO_HOG_FILE_H

#include <stdio.h>

#include "common/error.h"

/* Largest num_cols·num_rows·num_channels the reader accepts (a sanity bound against
 * misaligned or foreign files; OpenFace's is 4464). */
#define AU_HOG_MAX_VALUES (1 << 22)

/* Appends one frame record to `f` (`name` is the file name used in error messages).
 * values: num_cols·num_rows·num_channels doubles, each stored as (float)value as
 * RecorderHOG does; `valid` non-zero writes +1, zero writes -1. Allocates nothing.
 * Errors: AUFACE_ERR_ARG (non-positive sizes, NULL), AUFACE_ERR_IO (write failed). */
auface_status au_hog_write_frame(FILE *f, const char *name, int num_cols, int num_rows,
                                 int num_channels, int valid, const double *values,
                                 au_err *err);

/* The same with float values. */
auface_status au_hog_write_frame_float(FILE *f, const char *name, int num_cols, int num_rows,
                                       int num_channels, int valid, const float *values,
                                       au_err *err);

/* One record as read back. `data` belongs to the reader and is valid until the next
 * au_hog_reader_next or au_hog_reader_close. */
typedef struct au_hog_record {
    int num_cols, num_rows, num_channels;
    int valid;           /* 1 if the flag was +1, 0 if it was -1 */
    const float *data;   /* num_cols·num_rows·num_channels values */
    long index;          /* 0-based record number */
} au_hog_record;

typedef struct au_hog_reader au_hog_reader;

/* Opens a .hog file for reading. Errors: AUFACE_ERR_ARG, AUFACE_ERR_IO, AUFACE_ERR_NOMEM. */
auface_status au_hog_reader_open(au_hog_reader **out, const char *path, au_err *err);

/* Reads the next record. 1 with a record, 0 at the end of the file, < 0 on error:
 * AUFACE_ERR_FORMAT for a truncated record, sizes <= 0 or above AU_HOG_MAX_VALUES, or a
 * flag that is neither +1 nor -1 (the message names the file and the record);
 * AUFACE_ERR_IO on a read error. The data buffer is reused between records. */
int au_hog_reader_next(au_hog_reader *r, au_hog_record *rec, au_err *err);

/* Closes the file and frees the reader. NULL is a no-op. */
void au_hog_reader_close(au_hog_reader *r);

#endif
