/* _core.cli_main: the `auface` program, run in this process.
 *
 * tools/auface.c is compiled into the extension with its `main` renamed to auface_cli_main
 * (a compile definition, see cmake/python.cmake), so `python3 -m auface` parses the same
 * flags with the same code and prints the same messages as the installed program, with no
 * second binary to find. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>

int auface_cli_main(int argc, char **argv);

/* Converts argv (a sequence of str/bytes/PathLike) to bytes objects in `held`. */
static PyObject *argv_bytes(PyObject *argv)
{
    PyObject *seq = PySequence_Fast(argv, "argv must be a sequence of strings");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *held = PyList_New(n);
    for (Py_ssize_t i = 0; held && i < n; i++) {
        PyObject *b = NULL;
        if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(seq, i), &b)) {
            Py_CLEAR(held);
            break;
        }
        PyList_SET_ITEM(held, i, b);
    }
    Py_DECREF(seq);
    return held;
}

PyObject *core_cli_main(PyObject *module, PyObject *argv)
{
    (void)module;
    PyObject *held = argv_bytes(argv);
    if (!held)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(held);
    if (n < 1 || n > INT32_MAX - 1) {
        Py_DECREF(held);
        PyErr_SetString(PyExc_ValueError, "argv must start with the program name");
        return NULL;
    }
    char **cargv = PyMem_Calloc((size_t)n + 1, sizeof *cargv);
    if (!cargv) {
        Py_DECREF(held);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++)
        cargv[i] = PyBytes_AS_STRING(PyList_GET_ITEM(held, i));
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = auface_cli_main((int)n, cargv);
    /* The program writes with C stdio, which Python's own streams do not flush. */
    fflush(stdout);
    fflush(stderr);
    Py_END_ALLOW_THREADS
    PyMem_Free(cargv);
    Py_DECREF(held);
    return PyLong_FromLong(rc);
}
