/* _core.Results: a job's rows in memory (auface_results), shown to Python as a read-only
 * 2-D buffer of doubles (NumPy wraps it without a copy) with the CSV's column names. */
#include "core.h"

#include <stddef.h>

typedef struct results_object {
    PyObject_HEAD
    auface_results *r;
    Py_ssize_t shape[2];     /* rows, cols: the buffer's shape */
    Py_ssize_t strides[2];   /* bytes between rows, between columns */
} results_object;

PyObject *core_results_new(const core_state *st, auface_results *r)
{
    results_object *self = PyObject_New(results_object, st->results);
    if (!self) {
        auface_results_free(r);
        return NULL;
    }
    self->r = r;
    self->shape[0] = (Py_ssize_t)auface_results_rows(r);
    self->shape[1] = (Py_ssize_t)auface_results_cols(r);
    self->strides[1] = (Py_ssize_t)sizeof(double);
    self->strides[0] = self->shape[1] * self->strides[1];
    return (PyObject *)self;
}

static void results_dealloc(results_object *self)
{
    PyTypeObject *type = Py_TYPE(self);
    auface_results_free(self->r);
    PyObject_Free(self);
    Py_DECREF(type); /* instances of heap types own a reference to their type */
}

/* The buffer protocol: rows × cols C-contiguous doubles, read-only (the values are the
 * results; a caller who wants to change them copies). */
static int results_getbuffer(results_object *self, Py_buffer *view, int flags)
{
    if (flags & PyBUF_WRITABLE) {
        PyErr_SetString(PyExc_BufferError, "auface results are read-only; copy them first");
        return -1;
    }
    const double *data = auface_results_data(self->r);
    /* An empty result has no data pointer; any valid address serves for zero bytes. */
    view->buf = data ? (void *)data : (void *)self->shape;
    view->obj = Py_NewRef(self);
    view->len = self->shape[0] * self->strides[0];
    view->readonly = 1;
    view->itemsize = (Py_ssize_t)sizeof(double);
    view->format = (flags & PyBUF_FORMAT) ? "d" : NULL;
    view->ndim = 2;
    view->shape = (flags & PyBUF_ND) ? self->shape : NULL;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? self->strides : NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    return 0;
}

static PyObject *results_rows(results_object *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(self->shape[0]);
}

static PyObject *results_columns(results_object *self, void *closure)
{
    (void)closure;
    PyObject *names = PyTuple_New(self->shape[1]);
    for (Py_ssize_t c = 0; names && c < self->shape[1]; c++) {
        PyObject *name = PyUnicode_FromString(auface_results_column_name(self->r, (int)c));
        if (!name) {
            Py_CLEAR(names);
            break;
        }
        PyTuple_SET_ITEM(names, c, name);
    }
    return names;
}

static PyObject *results_decimals(results_object *self, void *closure)
{
    (void)closure;
    PyObject *decimals = PyTuple_New(self->shape[1]);
    for (Py_ssize_t c = 0; decimals && c < self->shape[1]; c++) {
        PyObject *d = PyLong_FromLong(auface_results_column_decimals(self->r, (int)c));
        if (!d) {
            Py_CLEAR(decimals);
            break;
        }
        PyTuple_SET_ITEM(decimals, c, d);
    }
    return decimals;
}

/* write_csv(path): the CSV the job would have written (same bytes), atomically. */
static PyObject *results_write_csv(results_object *self, PyObject *arg)
{
    PyObject *path_bytes = NULL;
    if (!PyUnicode_FSConverter(arg, &path_bytes))
        return NULL;
    char errbuf[1024] = "";
    auface_status status;
    Py_BEGIN_ALLOW_THREADS
    status = auface_results_write_csv(self->r, PyBytes_AS_STRING(path_bytes), errbuf,
                                      sizeof errbuf);
    Py_END_ALLOW_THREADS
    Py_DECREF(path_bytes);
    if (status != AUFACE_OK)
        return core_raise(PyType_GetModuleState(Py_TYPE(self)), status, errbuf, NULL);
    Py_RETURN_NONE;
}

static PyGetSetDef results_getset[] = {
    {"rows", (getter)results_rows, NULL, "number of rows (frames)", NULL},
    {"columns", (getter)results_columns, NULL, "the CSV's column names, in order", NULL},
    {"decimals", (getter)results_decimals, NULL,
     "decimals the CSV prints each column with (0: integer)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef results_methods[] = {
    {"write_csv", (PyCFunction)results_write_csv, METH_O,
     "write_csv(path): write the CSV the auface program writes for this job (same bytes)"},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot results_slots[] = {
    {Py_tp_dealloc, results_dealloc},
    {Py_tp_getset, results_getset},
    {Py_tp_methods, results_methods},
    {Py_bf_getbuffer, results_getbuffer},
    {Py_tp_doc, "A job's rows in memory: a read-only rows x columns buffer of doubles."},
    {0, NULL},
};

PyType_Spec core_results_spec = {
    .name = "auface._core.Results",
    .basicsize = sizeof(results_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = results_slots,
};
