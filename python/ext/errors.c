/* Turning the C library's status codes and messages into Python exceptions. */
#include "core.h"

#include <errno.h>
#include <sys/stat.h>

const char *core_status_name(auface_status status)
{
    switch (status) {
    case AUFACE_OK: return "AUFACE_OK";
    case AUFACE_ERR_ARG: return "AUFACE_ERR_ARG";
    case AUFACE_ERR_NOMEM: return "AUFACE_ERR_NOMEM";
    case AUFACE_ERR_IO: return "AUFACE_ERR_IO";
    case AUFACE_ERR_FORMAT: return "AUFACE_ERR_FORMAT";
    case AUFACE_ERR_MODELS: return "AUFACE_ERR_MODELS";
    case AUFACE_ERR_VIDEO: return "AUFACE_ERR_VIDEO";
    case AUFACE_ERR_LANDMARKS: return "AUFACE_ERR_LANDMARKS";
    case AUFACE_ERR_UNSUPPORTED: return "AUFACE_ERR_UNSUPPORTED";
    case AUFACE_ERR_INTERNAL: return "AUFACE_ERR_INTERNAL";
    case AUFACE_ERR_CANCELLED: return "AUFACE_ERR_CANCELLED";
    }
    return "AUFACE_ERR_UNKNOWN";
}

/* The first of `paths` that does not exist, or NULL. */
static const char *first_missing(const char *const *paths)
{
    struct stat sb;
    for (; paths && *paths; paths++)
        if (stat(*paths, &sb) != 0 && errno == ENOENT)
            return *paths;
    return NULL;
}

static PyObject *raise_file_not_found(const char *message, const char *path)
{
    PyObject *exc = path ? PyObject_CallFunction(PyExc_FileNotFoundError, "isO&", ENOENT,
                                                 message, PyUnicode_DecodeFSDefault, path)
                         : PyObject_CallFunction(PyExc_FileNotFoundError, "is", ENOENT,
                                                 message);
    if (exc) {
        PyErr_SetObject(PyExc_FileNotFoundError, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* auface.Error(message) with .status set to the status's name. */
static PyObject *raise_auface_error(const core_state *st, auface_status status,
                                    const char *message)
{
    PyObject *exc = PyObject_CallFunction(st->error, "s", message);
    if (!exc)
        return NULL;
    PyObject *name = PyUnicode_FromString(core_status_name(status));
    if (name && PyObject_SetAttrString(exc, "status", name) == 0)
        PyErr_SetObject(st->error, exc);
    Py_XDECREF(name);
    Py_DECREF(exc);
    return NULL;
}

PyObject *core_raise(const core_state *st, auface_status status, const char *message,
                     const char *const *paths)
{
    if (!message || !*message)
        message = auface_strerror(status);
    const char *missing = NULL;
    switch (status) {
    case AUFACE_ERR_ARG:
        PyErr_SetString(PyExc_ValueError, message);
        return NULL;
    case AUFACE_ERR_NOMEM:
        PyErr_SetString(PyExc_MemoryError, message);
        return NULL;
    case AUFACE_ERR_MODELS:
        return raise_file_not_found(message, first_missing(paths));
    case AUFACE_ERR_IO:
    case AUFACE_ERR_VIDEO:
    case AUFACE_ERR_FORMAT:
        /* A missing file is reported by the library as an I/O, video or format error of
         * the file it tried to read; FileNotFoundError says so in Python's terms. */
        if ((missing = first_missing(paths)) != NULL)
            return raise_file_not_found(message, missing);
        return raise_auface_error(st, status, message);
    default:
        return raise_auface_error(st, status, message);
    }
}
