#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>

auface_status au_fail(au_err *err, auface_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void au_err_clear(au_err *err)
{
    if (err) {
        err->status = AUFACE_OK;
        err->msg[0] = '\0';
    }
}
