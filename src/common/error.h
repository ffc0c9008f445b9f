/* Internal error reporting: a status code plus a message naming what went wrong.
 * Every fallible internal function takes an `au_err *` (may be NULL) and returns an
 * auface_status; on failure it fills the message with the file, frame or value at fault. */
#ifndef AU_COMMON_ERROR_H
#define AU_COMMON_ERROR_H

#include <stddef.h>
#include "auface.h"

typedef struct au_err {
    auface_status status;
    char msg[1024];
} au_err;

/* Records `status` and a printf-style message in `err` (if not NULL); returns `status`,
 * so callers can write `return au_fail(err, AUFACE_ERR_FORMAT, "%s: ...", path);`. */
auface_status au_fail(au_err *err, auface_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears `err` to AUFACE_OK with an empty message. */
void au_err_clear(au_err *err);

#endif
