/* Reading a whole (model) file into memory, with the size bound and the messages every
 * loader needs: the model, index, PDM, triangulation and network files are parsed from one
 * buffer. */
#ifndef AU_COMMON_FILE_READ_H
#define AU_COMMON_FILE_READ_H

#include <stddef.h>

#include "common/error.h"

/* Reads the file at `path` into a malloc'd buffer (free it with free) of *size bytes plus
 * one NUL byte after the last, so that text parsers may rely on a terminator. `kind` names
 * the file in messages ("PDM file", "triangulation", ...). Fails, with a message naming the
 * file and its kind and *data = NULL, *size = 0, with
 *   open_failure        when the file cannot be opened (AUFACE_ERR_IO, or e.g.
 *                       AUFACE_ERR_MODELS where a missing file means an incomplete model
 *                       folder); the message gives strerror(errno);
 *   AUFACE_ERR_FORMAT   when it holds more than max_bytes bytes (it is then not a file of
 *                       that kind; reading stops there);
 *   AUFACE_ERR_IO       on a read error;  AUFACE_ERR_NOMEM.
 * Works on files whose size is not known in advance (pipes). */
auface_status au_read_file(const char *path, const char *kind, long max_bytes,
                           auface_status open_failure, unsigned char **data, size_t *size,
                           au_err *err);

#endif
