#include "landmark/clnf_tracker.h"

#include <stdlib.h>
#include <string.h>

#include "common/task_pool.h"
#include "landmark/clnf_gray.h"
#include "landmark/clnf_validator.h"

/* FaceModelParameters: reinit_video_every = 2; without a track the detector runs on every
 * 6·2 = 12th frame; more than 100 failures in a row abandon the track. */
#define REDETECT_EVERY_FAILURES 2
#define DETECT_EVERY_UNTRACKED 12
#define ABANDON_AFTER_FAILURES 100
#define MAX_FACES 64
/* Rows per task of the grey conversion on the pool: 30 tasks for a 640x480 frame, each
 * ≈ 7 µs of work on the development machine. */
#define GRAY_ROWS_PER_TASK 16

struct au_clnf_tracker {
    const au_clnf_model *model;
    const au_mtcnn *mtcnn;
    au_clnf_params params;
    au_clnf_fitter *fitter;
    au_task_pool *pool;
    au_mtcnn_scratch *mtcnn_scratch;
    int scratch_w, scratch_h;
    void *validator_scratch;
    uint8_t *gray;            /* the grey image the tracker makes itself */
    size_t gray_cap;
    const uint8_t *frame_gray; /* this step's grey image: `gray` or the caller's */
    au_clnf_fit_result fit;   /* the fit of this frame (large: kept here, not on the stack) */
    au_clnf_fit_result saved;
    /* CLNF state (CLNF_SPEC §8.1) */
    int tracking_initialised;
    int detection_success;
    int failures_in_a_row;
    double certainty;
    float global[6];
    float local[AU_PDM_MAX_MODES];
    float landmarks[2 * AU_PDM_MAX_POINTS];
    int have_eyes;            /* the model has both eye parts, at eye_part[0..1] */
    int eye_part[2];
    int fitted;               /* a fit ran in this video: t->fit's parts are its state */
};

int au_clnf_eye_parts(const au_clnf_model *model, int index[2])
{
    static const char *const names[2] = {"left_eye_28", "right_eye_28"};
    for (int e = 0; e < 2; e++) {
        index[e] = -1;
        for (int i = 0; i < au_clnf_model_num_parts(model); i++)
            if (strcmp(au_clnf_model_part_const(model, i)->name, names[e]) == 0)
                index[e] = i;
        if (index[e] < 0)
            return 0;
    }
    return 1;
}

auface_status au_clnf_tracker_create(au_clnf_tracker **out, const au_clnf_model *model,
                                     const au_mtcnn *mtcnn, const au_clnf_params *params,
                                     int threads, au_err *err)
{
    *out = NULL;
    au_clnf_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the CLNF tracker");
    t->model = model;
    t->mtcnn = mtcnn;
    t->params = *params;
    t->have_eyes = au_clnf_eye_parts(model, t->eye_part);
    if (threads < 1)
        threads = 1;
    if (threads > AU_CLNF_TRACKER_MAX_THREADS)
        threads = AU_CLNF_TRACKER_MAX_THREADS;
    auface_status st = au_clnf_fitter_create(&t->fitter, model, params, err);
    if (st == AUFACE_OK && threads > 1 &&
        (st = au_task_pool_create(&t->pool, threads, err)) == AUFACE_OK)
        st = au_clnf_fitter_use_pool(t->fitter, t->pool, err);
    if (st == AUFACE_OK &&
        !(t->validator_scratch = malloc(au_clnf_validator_scratch_bytes(model) + 1)))
        st = au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the validator");
    if (st != AUFACE_OK) {
        au_clnf_tracker_free(t);
        return st;
    }
    au_clnf_tracker_reset(t);
    *out = t;
    return AUFACE_OK;
}

void au_clnf_tracker_free(au_clnf_tracker *t)
{
    if (!t)
        return;
    au_clnf_fitter_free(t->fitter);
    au_task_pool_free(t->pool);
    au_mtcnn_scratch_free(t->mtcnn_scratch);
    free(t->validator_scratch);
    free(t->gray);
    free(t);
}

void au_clnf_tracker_reset(au_clnf_tracker *t)
{
    /* CLNF::Reset (Model.cpp) */
    t->tracking_initialised = 0;
    t->detection_success = 0;
    t->failures_in_a_row = -1;
    t->certainty = 0.0;
    t->fitted = 0;
    memset(t->landmarks, 0, sizeof t->landmarks);
    memset(t->local, 0, sizeof t->local);
    memset(t->global, 0, sizeof t->global);
    t->global[0] = 1.0f;
}

/* The grey conversion as a job of bands of rows (every pixel is converted on its own). */
typedef struct gray_job {
    const uint8_t *bgr;
    size_t stride;
    int w, h;
    uint8_t *gray;
} gray_job;

static void gray_task(void *arg, int task, int thread)
{
    (void)thread;
    const gray_job *j = arg;
    const int y0 = task * GRAY_ROWS_PER_TASK;
    const int rows = j->h - y0 < GRAY_ROWS_PER_TASK ? j->h - y0 : GRAY_ROWS_PER_TASK;
    au_bgr_to_gray_opencv(j->bgr + (size_t)y0 * j->stride, j->w, rows, j->stride,
                          j->gray + (size_t)y0 * j->w, (size_t)j->w);
}

static auface_status make_gray(au_clnf_tracker *t, const uint8_t *bgr, int w, int h,
                               size_t stride, au_err *err)
{
    size_t need = (size_t)w * (size_t)h;
    if (need > t->gray_cap) {
        uint8_t *g = realloc(t->gray, need);
        if (!g)
            return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for a %dx%d grey frame", w, h);
        t->gray = g;
        t->gray_cap = need;
    }
    gray_job job = {bgr, stride, w, h, t->gray};
    au_task_pool_run(t->pool, (h + GRAY_ROWS_PER_TASK - 1) / GRAY_ROWS_PER_TASK, gray_task, &job);
    return AUFACE_OK;
}

/* CLNF::DetectLandmarks' validation step (§6.1 step 5) on the fit in t->fit: certainty and
 * success of this fit. */
static void validate_fit(au_clnf_tracker *t, int w, int h, int *success, double *certainty)
{
    if (t->params.validate_detections && t->fit.fit_ok) {
        float orientation[3] = {t->fit.global[1], t->fit.global[2], t->fit.global[3]};
        *certainty = au_clnf_validate(t->model, orientation, t->frame_gray, w, h, (size_t)w,
                                      t->fit.landmarks, t->validator_scratch);
        *success = au_clnf_validation_success(*certainty);
    } else {
        *success = t->fit.fit_ok;
        *certainty = t->fit.fit_ok ? 1.0 : 0.0;
    }
}

/* Makes the fit in t->fit the tracker's current state. */
static void adopt_fit(au_clnf_tracker *t, int success, double certainty)
{
    memcpy(t->global, t->fit.global, sizeof t->global);
    memcpy(t->local, t->fit.local, sizeof t->local);
    memcpy(t->landmarks, t->fit.landmarks, sizeof t->landmarks);
    t->detection_success = success;
    t->certainty = certainty;
}

/* Validates the fit in t->fit and makes it the current state; returns its success. */
static int validate_and_adopt(au_clnf_tracker *t, int w, int h)
{
    int success;
    double certainty;
    validate_fit(t, w, h, &success, &certainty);
    adopt_fit(t, success, certainty);
    return success;
}

/* A. The tracking step: from the previous parameters as they are. */
static auface_status track(au_clnf_tracker *t, int w, int h, au_err *err)
{
    const int *ws = t->detection_success ? t->params.window_sizes_small
                                         : t->params.window_sizes_init;
    float g[6], p[AU_PDM_MAX_MODES];
    memcpy(g, t->global, sizeof g);
    memcpy(p, t->local, sizeof p);
    auface_status st = au_clnf_fit(t->fitter, t->frame_gray, w, h, (size_t)w, g, p, ws, &t->params,
                                   &t->fit, err);
    if (st != AUFACE_OK)
        return st;
    t->fitted = 1;
    const int ok = validate_and_adopt(t, w, h);
    t->failures_in_a_row = ok ? -1 : t->failures_in_a_row + 1;
    return AUFACE_OK;
}

static auface_status ensure_mtcnn_scratch(au_clnf_tracker *t, int w, int h, au_err *err)
{
    if (t->mtcnn_scratch && w <= t->scratch_w && h <= t->scratch_h)
        return AUFACE_OK;
    au_mtcnn_scratch_free(t->mtcnn_scratch);
    t->mtcnn_scratch = NULL;
    auface_status st = au_mtcnn_scratch_create(&t->mtcnn_scratch, t->mtcnn, w, h,
                                               AU_MTCNN_DEFAULT_MIN_FACE, err);
    if (st == AUFACE_OK) {
        t->scratch_w = w;
        t->scratch_h = h;
    }
    return st;
}

/* Utils.cpp DetectSingleFaceMTCNN: the widest box; ties keep the earlier (higher score). */
static int widest(const au_mtcnn_box *boxes, int count)
{
    int best = -1;
    for (int i = 0; i < count; i++)
        if (best < 0 || boxes[i].w > boxes[best].w)
            best = i;
    return best;
}

/* FeatureExtraction's choice of box: the widest face of an MTCNN run on the whole frame. */
static int widest_face(void *user, const uint8_t *bgr, int w, int h, size_t stride,
                       float box[4], au_err *err)
{
    au_clnf_tracker *t = user;
    if (ensure_mtcnn_scratch(t, w, h, err) != AUFACE_OK)
        return -1;
    au_mtcnn_box boxes[MAX_FACES];
    int count = au_mtcnn_detect(t->mtcnn, bgr, w, h, stride, AU_MTCNN_DEFAULT_MIN_FACE, boxes,
                                MAX_FACES, t->mtcnn_scratch, err);
    if (count < 0)
        return -1;
    int best = widest(boxes, count);
    if (best < 0)
        return 0;
    box[0] = boxes[best].x;
    box[1] = boxes[best].y;
    box[2] = boxes[best].w;
    box[3] = boxes[best].h;
    return 1;
}

/* B. Detection and multi-hypothesis re-initialisation. Sets *handled when a face was found
 * (the frame's return value is then in *ret). */
static auface_status redetect(au_clnf_tracker *t, const uint8_t *bgr, int w, int h,
                              size_t stride, au_clnf_box_fn pick, void *user, int initial,
                              int *handled, int *ret, au_err *err)
{
    *handled = 0;
    float box[4];
    int found = pick(user, bgr, w, h, stride, box, err);
    if (found < 0)
        return err ? err->status : AUFACE_ERR_INTERNAL;
    if (!found)
        return AUFACE_OK;
    *handled = 1;
    t->tracking_initialised = 1;
    float saved_g[6], saved_p[AU_PDM_MAX_MODES], saved_lm[2 * AU_PDM_MAX_POINTS];
    memcpy(saved_g, t->global, sizeof saved_g);
    memcpy(saved_p, t->local, sizeof saved_p);
    memcpy(saved_lm, t->landmarks, sizeof saved_lm);
    auface_status st = au_clnf_detect_from_box(t->fitter, t->frame_gray, w, h, (size_t)w, box,
                                               &t->params, &t->fit, err);
    if (st != AUFACE_OK)
        return st;
    t->fitted = 1;
    const int success = validate_and_adopt(t, w, h);
    if (!initial && !success) {
        /* Keep the old track; the certainty stays that of the rejected hypothesis. */
        memcpy(t->global, saved_g, sizeof saved_g);
        memcpy(t->local, saved_p, sizeof saved_p);
        memcpy(t->landmarks, saved_lm, sizeof saved_lm);
        t->detection_success = 0;
        *ret = 0;
        return AUFACE_OK;
    }
    t->failures_in_a_row = -1;
    *ret = 1;
    return AUFACE_OK;
}

static int should_detect(const au_clnf_tracker *t)
{
    if (!t->tracking_initialised)
        return (t->failures_in_a_row + 1) % DETECT_EVERY_UNTRACKED == 0;
    return !t->detection_success && t->failures_in_a_row % REDETECT_EVERY_FAILURES == 0;
}

/* The eye parts as the last fit left them: the part models are not restored with a
 * rejected re-detection (CLNF_SPEC §8.2 B.5), so they are always t->fit's. */
static void current_eyes(const au_clnf_tracker *t, au_eyes *eyes)
{
    eyes->valid = t->have_eyes && t->fitted;
    if (!eyes->valid)
        return;
    for (int e = 0; e < 2; e++) {
        const au_clnf_part_result *part = &t->fit.parts[t->eye_part[e]];
        memcpy(eyes->global[e], part->global, sizeof eyes->global[e]);
        memcpy(eyes->local[e], part->local, sizeof eyes->local[e]);
        memcpy(eyes->landmarks[e], part->landmarks, sizeof eyes->landmarks[e]);
    }
}

/* One step on the frame `bgr` and its grey image (made here when `gray` is NULL). */
static auface_status step(au_clnf_tracker *t, const uint8_t *bgr, const uint8_t *gray, int w,
                          int h, size_t stride, au_clnf_box_fn pick, void *user,
                          au_clnf_frame *out, au_err *err)
{
    memset(out, 0, sizeof *out);
    auface_status st = AUFACE_OK;
    if (gray)
        t->frame_gray = gray;
    else if ((st = make_gray(t, bgr, w, h, stride, err)) != AUFACE_OK)
        return st;
    else
        t->frame_gray = t->gray;
    const int initial = !t->tracking_initialised;
    if (t->tracking_initialised && (st = track(t, w, h, err)) != AUFACE_OK)
        return st;
    int ret = t->detection_success, handled = 0;
    if (should_detect(t)) {
        out->detected = 1;
        st = redetect(t, bgr, w, h, stride, pick, user, initial, &handled, &ret, err);
        if (st != AUFACE_OK)
            return st;
    }
    if (!handled) {
        if (!t->tracking_initialised)
            t->failures_in_a_row++;
        if (t->failures_in_a_row > ABANDON_AFTER_FAILURES)
            t->tracking_initialised = 0;
        ret = t->detection_success;
    }
    out->success = ret;
    out->detection_success = t->detection_success;
    out->certainty = t->certainty;
    memcpy(out->landmarks, t->landmarks, sizeof out->landmarks);
    memcpy(out->global, t->global, sizeof out->global);
    memcpy(out->local, t->local, sizeof out->local);
    out->fitted = t->fitted;
    current_eyes(t, &out->eyes);
    return AUFACE_OK;
}

auface_status au_clnf_tracker_step_from(au_clnf_tracker *t, const uint8_t *bgr, int w, int h,
                                        size_t stride, au_clnf_box_fn pick, void *user,
                                        au_clnf_frame *out, au_err *err)
{
    return step(t, bgr, NULL, w, h, stride, pick, user, out, err);
}

auface_status au_clnf_tracker_step(au_clnf_tracker *t, const uint8_t *bgr, int w, int h,
                                   size_t stride, au_clnf_frame *out, au_err *err)
{
    return step(t, bgr, NULL, w, h, stride, widest_face, t, out, err);
}

auface_status au_clnf_tracker_step_gray(au_clnf_tracker *t, const uint8_t *bgr,
                                        const uint8_t *gray, int w, int h, size_t stride,
                                        au_clnf_frame *out, au_err *err)
{
    return step(t, bgr, gray, w, h, stride, widest_face, t, out, err);
}
