#include "common/file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The buffer starts at 64 kB and doubles: a few reallocations for the largest model files
 * (a few MB) and little waste for the small index files. */
#define INITIAL_CAPACITY ((size_t)1 << 16)

auface_status au_read_file(const char *path, const char *kind, long max_bytes,
                           auface_status open_failure, unsigned char **data, size_t *size,
                           au_err *err)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return au_fail(err, open_failure, "%s: cannot open the %s: %s", path, kind,
                       strerror(errno));
    const size_t limit = max_bytes > 0 ? (size_t)max_bytes : 0;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            /* room for one byte past the limit, to tell "exactly max_bytes" from "more" */
            size_t ncap = cap ? cap * 2 : INITIAL_CAPACITY;
            if (ncap > limit + 1)
                ncap = limit + 1;
            if (ncap == cap)
                break; /* limit + 1 bytes read: too large, reported below */
            unsigned char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory reading the %s",
                               path, kind);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return au_fail(err, AUFACE_ERR_IO, "%s: read error in the %s", path, kind);
    }
    if (len > limit) {
        free(buf);
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: larger than %ld bytes, not a %s", path,
                       max_bytes, kind);
    }
    buf[len] = '\0';
    *data = buf;
    *size = len;
    return AUFACE_OK;
}
