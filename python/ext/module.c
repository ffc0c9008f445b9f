/* The auface._core module: types, the exception, and module-level functions. All of it
 * lives in the module state (no C globals), so the module supports re-initialisation and
 * sub-interpreters. */
#include "core.h"

static PyObject *core_version(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyUnicode_FromString(auface_version());
}

static PyMethodDef core_functions[] = {
    {"cli_main", core_cli_main, METH_O,
     "cli_main(argv) -> int: run the auface program's main with argv (argv[0] = name)"},
    {"version", core_version, METH_NOARGS, "version() -> str: the C library's version"},
    {NULL, NULL, 0, NULL},
};

static int add_type(PyObject *module, PyType_Spec *spec, PyTypeObject **slot)
{
    PyObject *type = PyType_FromModuleAndSpec(module, spec, NULL);
    if (!type)
        return -1;
    *slot = (PyTypeObject *)type;
    return PyModule_AddType(module, *slot);
}

static int core_exec(PyObject *module)
{
    core_state *st = PyModule_GetState(module);
    st->error = PyErr_NewExceptionWithDoc(
        "auface.Error",
        "A failure reported by the auface library; str() is its message and .status the "
        "name of its status code (e.g. 'AUFACE_ERR_VIDEO').",
        NULL, NULL);
    if (!st->error || PyModule_AddObjectRef(module, "Error", st->error) < 0)
        return -1;
    if (add_type(module, &core_pipeline_spec, &st->pipeline) < 0 ||
        add_type(module, &core_results_spec, &st->results) < 0)
        return -1;
    if (PyModule_AddIntConstant(module, "OUT_POSE", AUFACE_OUT_POSE) < 0 ||
        PyModule_AddIntConstant(module, "OUT_2D", AUFACE_OUT_2D) < 0 ||
        PyModule_AddIntConstant(module, "OUT_3D", AUFACE_OUT_3D) < 0 ||
        PyModule_AddIntConstant(module, "OUT_PDM", AUFACE_OUT_PDM) < 0 ||
        PyModule_AddIntConstant(module, "OUT_AUS", AUFACE_OUT_AUS) < 0 ||
        PyModule_AddIntConstant(module, "OUT_GAZE", AUFACE_OUT_GAZE) < 0 ||
        PyModule_AddIntConstant(module, "OUT_ALL", AUFACE_OUT_ALL) < 0)
        return -1;
    return 0;
}

static int core_traverse(PyObject *module, visitproc visit, void *arg)
{
    core_state *st = PyModule_GetState(module);
    Py_VISIT(st->error);
    Py_VISIT(st->pipeline);
    Py_VISIT(st->results);
    return 0;
}

static int core_clear(PyObject *module)
{
    core_state *st = PyModule_GetState(module);
    Py_CLEAR(st->error);
    Py_CLEAR(st->pipeline);
    Py_CLEAR(st->results);
    return 0;
}

static void core_free(void *module)
{
    core_clear(module);
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, core_exec},
    {0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "auface._core",
    .m_doc = "C core of the auface package (use the auface package, not this module).",
    .m_size = sizeof(core_state),
    .m_methods = core_functions,
    .m_slots = core_slots,
    .m_traverse = core_traverse,
    .m_clear = core_clear,
    .m_free = core_free,
};

PyMODINIT_FUNC PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
