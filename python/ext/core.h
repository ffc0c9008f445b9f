/* The auface._core extension: declarations shared by its source files.
 *
 * The module has no global mutable state: its types and its exception live in the module
 * state (core_state), reached from a type with PyType_GetModuleState. Every object that runs
 * C work holds its own auface_pipeline, so two Python threads never share one (auface.h:
 * one pipeline per thread), and the work runs with the GIL released. */
#ifndef AUFACE_PY_CORE_H
#define AUFACE_PY_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "auface.h"

typedef struct core_state {
    PyObject *error;          /* auface.Error */
    PyTypeObject *pipeline;   /* _core.Pipeline */
    PyTypeObject *results;    /* _core.Results */
} core_state;

/* ---- errors.c ---- */

/* Raises the exception that fits `status` with `message` (the C library's text):
 * ValueError for AUFACE_ERR_ARG, MemoryError for AUFACE_ERR_NOMEM, FileNotFoundError when a
 * file is missing (AUFACE_ERR_MODELS, or an I/O or video error while one of `paths`, NULL
 * terminated, does not exist), auface.Error otherwise (with .status, the status's name).
 * Returns NULL for `return core_raise(...)`. */
PyObject *core_raise(const core_state *st, auface_status status, const char *message,
                     const char *const *paths);

/* Name of a status code as in auface.h ("AUFACE_ERR_IO", ...). */
const char *core_status_name(auface_status status);

/* ---- results.c ---- */

extern PyType_Spec core_results_spec;

/* A new _core.Results owning `r` (freed with the object, or here on failure). */
PyObject *core_results_new(const core_state *st, auface_results *r);

/* ---- pipeline.c ---- */

extern PyType_Spec core_pipeline_spec;

/* ---- cli.c ---- */

/* _core.cli_main(argv): the `auface` program's main, in this process. */
PyObject *core_cli_main(PyObject *module, PyObject *argv);

#endif
