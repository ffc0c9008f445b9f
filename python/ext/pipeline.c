/* _core.Pipeline: one auface_pipeline, for whole videos (process_video) or a stream of
 * frames (process_frame). The C work runs with the GIL released; a per-object lock keeps
 * two Python threads from using the same C pipeline at once (auface.h forbids it). */
#include "core.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "pythread.h"

/* How often (seconds) a running job takes the GIL back to check for Ctrl-C and report
 * progress: often enough to feel immediate, rare enough to cost nothing measurable. */
#define CHECK_INTERVAL_S 0.1

/* Explicit model paths kept for error reports: models_dir plus the five model files. */
#define MODEL_PATHS 6

typedef struct pipeline_object {
    PyObject_HEAD
    auface_pipeline *p;
    PyThread_type_lock lock;      /* held while a C call uses `p` */
    atomic_ulong owner;           /* thread holding `lock` (0: none), to refuse re-entry */
    PyObject *model_paths;        /* tuple of bytes: the paths given, to name a missing one */
    PyObject *frame_keys;         /* tuple of the stream's column names, made once */
} pipeline_object;

static core_state *state_of(pipeline_object *self)
{
    return PyType_GetModuleState(Py_TYPE(self));
}

/* ---- construction --------------------------------------------------------------- */

/* "O&" converter: None -> NULL (stays NULL), str/bytes/PathLike -> bytes in the file
 * system's encoding. The caller owns the result even when a later argument fails: this
 * returns 1, not PyUnicode_FSConverter's Py_CLEANUP_SUPPORTED, so the argument parser never
 * releases it and the caller's one release is always right. */
static int optional_path(PyObject *obj, void *out)
{
    PyObject **bytes = out;
    if (obj == Py_None) {
        *bytes = NULL;
        return 1;
    }
    return PyUnicode_FSConverter(obj, bytes) ? 1 : 0;
}

static const char *path_or_null(PyObject *bytes)
{
    return bytes ? PyBytes_AS_STRING(bytes) : NULL;
}

static int parse_landmarks(const char *name, auface_landmarks *out)
{
    if (strcmp(name, "pfld") == 0)
        *out = AUFACE_LANDMARKS_PFLD;
    else if (strcmp(name, "clnf") == 0)
        *out = AUFACE_LANDMARKS_CLNF;
    else {
        PyErr_Format(PyExc_ValueError, "landmarks must be 'pfld' or 'clnf', not '%s'", name);
        return 0;
    }
    return 1;
}

static int parse_detector(const char *name, auface_detector *out)
{
    if (!name)
        *out = AUFACE_DETECTOR_DEFAULT;
    else if (strcmp(name, "retinaface") == 0)
        *out = AUFACE_DETECTOR_RETINAFACE;
    else if (strcmp(name, "yunet") == 0)
        *out = AUFACE_DETECTOR_YUNET;
    else if (strcmp(name, "mtcnn") == 0)
        *out = AUFACE_DETECTOR_MTCNN;
    else {
        PyErr_Format(PyExc_ValueError,
                     "detector must be 'retinaface', 'yunet', 'mtcnn' or None, not '%s'", name);
        return 0;
    }
    return 1;
}

/* Fills `paths` (NULL-terminated) with the model paths the caller gave. */
static void model_path_list(const pipeline_object *self, const char *paths[MODEL_PATHS + 1])
{
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; self->model_paths && i < PyTuple_GET_SIZE(self->model_paths); i++) {
        PyObject *item = PyTuple_GET_ITEM(self->model_paths, i);
        if (item != Py_None && n < MODEL_PATHS)
            paths[n++] = PyBytes_AS_STRING(item);
    }
    paths[n] = NULL;
}

/* Creates the C pipeline; on failure raises the library's message. */
static int create_pipeline(pipeline_object *self, const auface_config *cfg)
{
    auface_pipeline *p = NULL;
    auface_status status;
    Py_BEGIN_ALLOW_THREADS
    status = auface_pipeline_create(cfg, &p);
    Py_END_ALLOW_THREADS
    if (status == AUFACE_OK) {
        self->p = p;
        return 1;
    }
    const char *paths[MODEL_PATHS + 1];
    model_path_list(self, paths);
    core_raise(state_of(self), status, p ? auface_pipeline_errmsg(p) : NULL, paths);
    auface_pipeline_destroy(p);
    return 0;
}

/* Parses the constructor's arguments into `cfg`; the paths are new references to bytes (or
 * NULL) in `path` (models_dir first, then the five model files), pointed to by `cfg`. */
static int parse_config(PyObject *args, PyObject *kwargs, auface_config *cfg,
                        PyObject *path[MODEL_PATHS])
{
    static char *keywords[] = {"models_dir", "workers", "batch_size", "landmarks", "detector",
                               "detect_interval", "au_static", "outputs",
                               "detector_model_file", "pfld_model_file", "pdm_file",
                               "triangulation_file", "au_models_dir", "fx", "fy", "cx", "cy",
                               "max_memory_mb", "max_faces", NULL};
    auface_config_default(cfg);
    const char *landmarks = "pfld", *detector = NULL;
    int au_static = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O&iiszipIO&O&O&O&O&ffffii", keywords,
                                     optional_path, &path[0], &cfg->workers, &cfg->batch_size,
                                     &landmarks, &detector, &cfg->detect_interval, &au_static,
                                     &cfg->outputs, optional_path, &path[1], optional_path,
                                     &path[2], optional_path, &path[3], optional_path,
                                     &path[4], optional_path, &path[5], &cfg->fx, &cfg->fy,
                                     &cfg->cx, &cfg->cy, &cfg->max_memory_mb,
                                     &cfg->max_faces))
        return 0;
    cfg->au_static = au_static;
    cfg->models_dir = path_or_null(path[0]);
    cfg->detector_model_file = path_or_null(path[1]);
    cfg->pfld_model_file = path_or_null(path[2]);
    cfg->pdm_file = path_or_null(path[3]);
    cfg->triangulation_file = path_or_null(path[4]);
    cfg->au_models_dir = path_or_null(path[5]);
    return parse_landmarks(landmarks, &cfg->landmarks) &&
           parse_detector(detector, &cfg->detector);
}

/* Keeps the model paths given (bytes or None), to name a missing file in later errors. */
static int keep_model_paths(pipeline_object *self, PyObject *const path[MODEL_PATHS])
{
    if (!(self->model_paths = PyTuple_New(MODEL_PATHS)))
        return 0;
    for (int i = 0; i < MODEL_PATHS; i++)
        PyTuple_SET_ITEM(self->model_paths, i, Py_NewRef(path[i] ? path[i] : Py_None));
    return 1;
}

static int pipeline_init(pipeline_object *self, PyObject *args, PyObject *kwargs)
{
    if (self->lock) {
        PyErr_SetString(PyExc_TypeError, "Pipeline is already initialised");
        return -1;
    }
    auface_config cfg;
    PyObject *path[MODEL_PATHS] = {NULL};
    int ok = parse_config(args, kwargs, &cfg, path) && keep_model_paths(self, path);
    if (ok && !(self->lock = PyThread_allocate_lock())) {
        PyErr_NoMemory();
        ok = 0;
    }
    ok = ok && create_pipeline(self, &cfg);
    for (int i = 0; i < MODEL_PATHS; i++)
        Py_XDECREF(path[i]);
    return ok ? 0 : -1;
}

static void pipeline_dealloc(pipeline_object *self)
{
    PyTypeObject *type = Py_TYPE(self);
    auface_pipeline_destroy(self->p);
    if (self->lock)
        PyThread_free_lock(self->lock);
    Py_XDECREF(self->model_paths);
    Py_XDECREF(self->frame_keys);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

/* ---- locking ---------------------------------------------------------------------- */

/* With the GIL held: refuses a call from the thread already using the pipeline (from a
 * progress callable), which would otherwise wait for itself forever. */
static int check_not_reentered(pipeline_object *self)
{
    if (atomic_load(&self->owner) != PyThread_get_thread_ident())
        return 1;
    PyErr_SetString(PyExc_RuntimeError,
                    "this Pipeline is busy in this thread (called from its progress callable)");
    return 0;
}

/* Takes the pipeline's lock; call with the GIL released. */
static void lock_pipeline(pipeline_object *self)
{
    PyThread_acquire_lock(self->lock, WAIT_LOCK);
    atomic_store(&self->owner, PyThread_get_thread_ident());
}

static void unlock_pipeline(pipeline_object *self)
{
    atomic_store(&self->owner, 0);
    PyThread_release_lock(self->lock);
}

static int check_ready(pipeline_object *self)
{
    if (!self->p) {
        PyErr_SetString(PyExc_ValueError, "Pipeline was not initialised");
        return 0;
    }
    return check_not_reentered(self);
}

/* ---- whole videos ------------------------------------------------------------------- */

/* State of the progress callback of one job, which runs on the calling thread while that
 * thread has released the GIL. */
typedef struct job_watch {
    PyThreadState *thread;    /* the caller's thread state, saved while the GIL is released */
    PyObject *callback;       /* Python progress callable, or NULL */
    double next_check;        /* monotonic time of the next visit to Python */
    long last_reported;       /* frames_done last given to the callback */
    int python_error;         /* a Python exception is pending: the job was stopped */
} job_watch;

static double monotonic_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* With the GIL held: runs pending signal handlers (Ctrl-C raises KeyboardInterrupt here)
 * and the progress callable. Returns 0 when either raised. */
static int visit_python(job_watch *w, long done, long total)
{
    if (PyErr_CheckSignals() != 0)
        return 0;
    if (!w->callback)
        return 1;
    w->last_reported = done;
    PyObject *r = PyObject_CallFunction(w->callback, "ll", done, total);
    Py_XDECREF(r);
    return r != NULL;
}

/* auface_progress_fn: every CHECK_INTERVAL_S (and at the last frame) takes the GIL back
 * briefly; returns non-zero, which stops the job, when Python raised. */
static int watch_progress(void *user, long done, long total)
{
    job_watch *w = user;
    double now = monotonic_seconds();
    if (now < w->next_check && done != total)
        return 0;
    w->next_check = now + CHECK_INTERVAL_S;
    PyEval_RestoreThread(w->thread);
    int ok = visit_python(w, done, total);
    w->thread = PyEval_SaveThread();
    w->python_error = !ok;
    return !ok;
}

static PyObject *pipeline_process_video(pipeline_object *self, PyObject *args,
                                        PyObject *kwargs)
{
    static char *keywords[] = {"input", "max_frames", "progress", "landmarks_csv", "output_csv",
                               NULL};
    PyObject *input = NULL, *landmarks = NULL, *csv = NULL, *callback = Py_None;
    long max_frames = 0;
    if (!check_ready(self) ||
        !PyArg_ParseTupleAndKeywords(args, kwargs, "O&|lOO&O&", keywords, PyUnicode_FSConverter,
                                     &input, &max_frames, &callback, optional_path, &landmarks,
                                     optional_path, &csv))
        return NULL;
    if (callback != Py_None && !PyCallable_Check(callback)) {
        Py_DECREF(input);
        Py_XDECREF(landmarks);
        Py_XDECREF(csv);
        PyErr_SetString(PyExc_TypeError, "progress must be callable or None");
        return NULL;
    }
    auface_results *results = NULL;
    auface_job job = {
        .input = PyBytes_AS_STRING(input),
        .landmarks_csv = path_or_null(landmarks),
        .max_frames = max_frames,
        .results = &results,
        /* The CSV is written by the job as it goes; Ctrl-C (a stop from watch_progress)
         * cancels the job, so no file appears. */
        .output_csv = path_or_null(csv),
        .stop_cancels = 1,
    };
    job_watch w = {.callback = callback == Py_None ? NULL : callback, .last_reported = -1};
    auface_summary summary;
    char message[1024];
    w.next_check = monotonic_seconds() + CHECK_INTERVAL_S;
    w.thread = PyEval_SaveThread();
    lock_pipeline(self);
    auface_status status = auface_process_video(self->p, &job, watch_progress, &w, &summary);
    snprintf(message, sizeof message, "%s", auface_pipeline_errmsg(self->p));
    unlock_pipeline(self);
    PyEval_RestoreThread(w.thread);

    PyObject *out = NULL;
    if (w.python_error) {
        auface_results_free(results); /* KeyboardInterrupt (or the callback's error) */
    } else if (status != AUFACE_OK) {
        auface_results_free(results);
        const char *paths[MODEL_PATHS + 2];
        paths[0] = job.input;
        model_path_list(self, paths + 1);
        core_raise(state_of(self), status, message, paths);
    } else if (w.callback && w.last_reported != summary.frames &&
               !visit_python(&w, summary.frames, summary.frames)) {
        auface_results_free(results);
    } else {
        out = core_results_new(state_of(self), results);
    }
    Py_DECREF(input);
    Py_XDECREF(landmarks);
    Py_XDECREF(csv);
    return out;
}

/* ---- frames one by one ---------------------------------------------------------------- */

/* Appends `name` + `suffix` to `keys` at `*at`. */
static int put_key(PyObject *keys, Py_ssize_t *at, const char *name, const char *suffix)
{
    PyObject *key = PyUnicode_FromFormat("%s%s", name, suffix);
    if (!key)
        return 0;
    PyTuple_SET_ITEM(keys, (*at)++, key);
    return 1;
}

/* The stream's column names, in the CSV's order: frame, face_id, timestamp, confidence,
 * success, gaze, pose, 2D landmarks, AU intensities, AU presences. */
static PyObject *make_frame_keys(const auface_pipeline *p, const auface_frame_result *r)
{
    static const char *const fixed[] = {
        "frame", "face_id", "timestamp", "confidence", "success",
        "gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z",
        "gaze_angle_x", "gaze_angle_y",
        "pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"};
    const Py_ssize_t n_fixed = (Py_ssize_t)(sizeof fixed / sizeof fixed[0]);
    PyObject *keys = PyTuple_New(n_fixed + 2 * AUFACE_LANDMARKS + r->num_intensities +
                                 r->num_presences);
    Py_ssize_t at = 0;
    char index[16];
    int ok = keys != NULL;
    for (Py_ssize_t i = 0; ok && i < n_fixed; i++)
        ok = put_key(keys, &at, fixed[i], "");
    for (int axis = 0; ok && axis < 2; axis++)
        for (int i = 0; ok && i < AUFACE_LANDMARKS; i++) {
            snprintf(index, sizeof index, "%d", i);
            ok = put_key(keys, &at, axis ? "y_" : "x_", index);
        }
    for (int i = 0; ok && i < r->num_intensities; i++)
        ok = put_key(keys, &at, auface_intensity_name(p, i), "_r");
    for (int i = 0; ok && i < r->num_presences; i++)
        ok = put_key(keys, &at, auface_presence_name(p, i), "_c");
    if (!ok)
        Py_CLEAR(keys);
    return keys;
}

/* Sets dict[keys[*at]] = value (a new reference, consumed) and advances *at. */
static int put_value(PyObject *dict, PyObject *keys, Py_ssize_t *at, PyObject *value)
{
    if (!value)
        return 0;
    int rc = PyDict_SetItem(dict, PyTuple_GET_ITEM(keys, *at), value);
    Py_DECREF(value);
    (*at)++;
    return rc == 0;
}

static PyObject *frame_dict(PyObject *keys, const auface_frame_result *r)
{
    PyObject *d = PyDict_New();
    Py_ssize_t at = 0;
    int ok = d != NULL;
    ok = ok && put_value(d, keys, &at, PyLong_FromLong(r->frame));
    ok = ok && put_value(d, keys, &at, PyLong_FromLong(0));
    ok = ok && put_value(d, keys, &at, PyFloat_FromDouble(r->timestamp));
    ok = ok && put_value(d, keys, &at, PyFloat_FromDouble(r->confidence));
    ok = ok && put_value(d, keys, &at, PyLong_FromLong(r->success));
    for (int i = 0; ok && i < 8; i++)
        ok = put_value(d, keys, &at, PyFloat_FromDouble(r->gaze[i]));
    for (int i = 0; ok && i < 6; i++)
        ok = put_value(d, keys, &at, PyFloat_FromDouble(r->pose[i]));
    for (int i = 0; ok && i < 2 * AUFACE_LANDMARKS; i++)
        ok = put_value(d, keys, &at, PyFloat_FromDouble(r->landmarks[i]));
    for (int i = 0; ok && i < r->num_intensities; i++)
        ok = put_value(d, keys, &at, PyFloat_FromDouble(r->intensity[i]));
    for (int i = 0; ok && i < r->num_presences; i++)
        ok = put_value(d, keys, &at, PyFloat_FromDouble(r->presence[i]));
    if (!ok)
        Py_CLEAR(d);
    return d;
}

/* Checks that `view` is an H x W x 3 uint8 image with packed pixels (rows may be padded,
 * as a crop of a larger array) and describes it as an auface_image. */
static int image_from_buffer(const Py_buffer *view, auface_image *img)
{
    int byte_format = !view->format || strcmp(view->format, "B") == 0 ||
                      strcmp(view->format, "=B") == 0 || strcmp(view->format, "<B") == 0;
    if (view->ndim != 3 || view->shape[2] != 3 || view->itemsize != 1 || !byte_format) {
        PyErr_SetString(PyExc_ValueError, "frame must be an H x W x 3 array of uint8 (BGR)");
        return 0;
    }
    if (view->shape[0] < 1 || view->shape[1] < 1 || view->shape[0] > INT32_MAX ||
        view->shape[1] > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "frame is empty or too large");
        return 0;
    }
    if (view->strides[2] != 1 || view->strides[1] != 3 || view->strides[0] < 3 * view->shape[1]) {
        PyErr_SetString(PyExc_ValueError, "frame pixels must be packed B, G, R bytes with "
                        "rows top to bottom (use numpy.ascontiguousarray)");
        return 0;
    }
    img->bgr = view->buf;
    img->width = (int)view->shape[1];
    img->height = (int)view->shape[0];
    img->stride = (size_t)view->strides[0];
    return 1;
}

static PyObject *pipeline_process_frame(pipeline_object *self, PyObject *args)
{
    PyObject *frame;
    double timestamp;
    if (!check_ready(self) || !PyArg_ParseTuple(args, "Od", &frame, &timestamp))
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(frame, &view, PyBUF_RECORDS_RO) != 0)
        return NULL;
    auface_image img;
    if (!image_from_buffer(&view, &img)) {
        PyBuffer_Release(&view);
        return NULL;
    }
    auface_frame_result result;
    auface_status status;
    char message[1024];
    Py_BEGIN_ALLOW_THREADS
    lock_pipeline(self);
    status = auface_process_frame(self->p, &img, timestamp, &result);
    snprintf(message, sizeof message, "%s", auface_pipeline_errmsg(self->p));
    unlock_pipeline(self);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (status != AUFACE_OK) {
        const char *paths[MODEL_PATHS + 1];
        model_path_list(self, paths);
        return core_raise(state_of(self), status, message, paths);
    }
    if (!self->frame_keys && !(self->frame_keys = make_frame_keys(self->p, &result)))
        return NULL;
    return frame_dict(self->frame_keys, &result);
}

/* ---- still images --------------------------------------------------------------------- */

/* Runs one image job with the GIL released; returns its results or raises. */
static PyObject *run_image_job(pipeline_object *self, auface_image_job *job)
{
    auface_results *results = NULL;
    job->results = &results;
    auface_status status;
    char message[1024];
    Py_BEGIN_ALLOW_THREADS
    lock_pipeline(self);
    status = auface_process_image(self->p, job, NULL);
    snprintf(message, sizeof message, "%s", auface_pipeline_errmsg(self->p));
    unlock_pipeline(self);
    Py_END_ALLOW_THREADS
    if (status != AUFACE_OK) {
        auface_results_free(results);
        const char *paths[MODEL_PATHS + 2];
        paths[0] = job->input;
        model_path_list(self, paths + 1);
        return core_raise(state_of(self), status, message, paths);
    }
    return core_results_new(state_of(self), results);
}

/* process_image(path_or_bgr_array): FaceLandmarkImg on one image, one row per face. */
static PyObject *pipeline_process_image(pipeline_object *self, PyObject *arg)
{
    if (!check_ready(self))
        return NULL;
    auface_image_job job = {0};
    if (PyObject_CheckBuffer(arg)) {
        Py_buffer view;
        if (PyObject_GetBuffer(arg, &view, PyBUF_RECORDS_RO) != 0)
            return NULL;
        auface_image img;
        PyObject *out = NULL;
        if (image_from_buffer(&view, &img)) {
            job.image = &img;
            out = run_image_job(self, &job);
        }
        PyBuffer_Release(&view);
        return out;
    }
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(arg, &path))
        return NULL;
    job.input = PyBytes_AS_STRING(path);
    PyObject *out = run_image_job(self, &job);
    Py_DECREF(path);
    return out;
}

static PyObject *pipeline_reset_stream(pipeline_object *self, PyObject *unused)
{
    (void)unused;
    if (!check_ready(self))
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    lock_pipeline(self);
    auface_stream_reset(self->p);
    unlock_pipeline(self);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyMethodDef pipeline_methods[] = {
    {"process_image", (PyCFunction)pipeline_process_image, METH_O,
     "process_image(path_or_bgr_array): one image as FaceLandmarkImg, one row per face"},
    {"process_video", (PyCFunction)(void (*)(void))pipeline_process_video,
     METH_VARARGS | METH_KEYWORDS,
     "process_video(input, max_frames=0, progress=None, landmarks_csv=None, output_csv=None)"
     " -> Results\n"
     "Runs the whole input with the GIL released; progress(frames_done, total) is called\n"
     "about ten times a second. Ctrl-C raises KeyboardInterrupt and discards the results."},
    {"process_frame", (PyCFunction)pipeline_process_frame, METH_VARARGS,
     "process_frame(bgr, timestamp) -> dict: the next frame of the stream"},
    {"reset_stream", (PyCFunction)pipeline_reset_stream, METH_NOARGS,
     "reset_stream(): start a new stream (forget tracking and history)"},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot pipeline_slots[] = {
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, pipeline_init},
    {Py_tp_dealloc, pipeline_dealloc},
    {Py_tp_methods, pipeline_methods},
    {Py_tp_doc, "Pipeline(models_dir=None, workers=0, batch_size=30, landmarks='pfld', "
                "detector=None, detect_interval=30, au_static=False, outputs=ALL, "
                "detector_model_file=None, pfld_model_file=None, pdm_file=None, "
                "triangulation_file=None, au_models_dir=None, fx=0, fy=0, cx=0, cy=0, "
                "max_memory_mb=0, max_faces=1): an "
                "auface_pipeline (camera intrinsics <= 0: OpenFace's defaults)"},
    {0, NULL},
};

PyType_Spec core_pipeline_spec = {
    .name = "auface._core.Pipeline",
    .basicsize = sizeof(pipeline_object),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = pipeline_slots,
};
