/* OpenFace's landmark tracking across the frames of one video (CLNF_SPEC §8,
 * LandmarkDetectorFunc.cpp DetectLandmarksInVideo): track from the previous frame's
 * parameters with small windows while the validator accepts the result; on failure re-detect
 * with MTCNN (every second failure), re-initialise from the widest box with 11 rotation
 * hypotheses, and keep the old track when that fails; without a track, try the detector every
 * 12th frame. The state is per video and must see the frames in order. */
#ifndef AU_LANDMARK_CLNF_TRACKER_H
#define AU_LANDMARK_CLNF_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "detect/mtcnn.h"
#include "face/gaze.h"
#include "landmark/clnf_fit.h"

/* One frame's outcome, as FeatureExtraction uses it. */
typedef struct au_clnf_frame {
    int success;           /* DetectLandmarksInVideo's return value: the CSV's success */
    int detection_success; /* clnf.detection_success: what the AU stage is told */
    double certainty;      /* detection_certainty: the CSV's confidence */
    int detected;          /* the detector ran on this frame */
    int fitted;            /* a fit has run in this video (before it, the state is the
                              reset one: zero landmarks) */
    float landmarks[2 * AU_PDM_MAX_POINTS];
    float global[6];
    float local[AU_PDM_MAX_MODES];
    /* The eye part models' state (GAZE_SPEC §3, §7): that of the last fit of this video,
     * including fits whose result the tracker rejected; not valid before the first fit of
     * the video (OpenFace prints the parts' load-time values there) or without eye parts. */
    au_eyes eyes;
} au_clnf_frame;

typedef struct au_clnf_tracker au_clnf_tracker;

/* Most threads a tracker uses (caller included): a frame's parallel work is 3 part models
 * and 17 blocks of 4 landmarks per scale, too little to keep more threads busy for the
 * ≈ 25 µs it takes to wake each (see au_clnf_fitter_use_pool). */
#define AU_CLNF_TRACKER_MAX_THREADS 4

/* A tracker over a prepared model (au_clnf_prepare_model) and a loaded MTCNN, both shared
 * read-only; the tracker owns its fitter, scratch and a task pool of
 * min(threads, AU_CLNF_TRACKER_MAX_THREADS) threads, i.e. that many − 1 helper threads
 * started here (none for threads <= 1), which take part in every step: the grey conversion,
 * the per-landmark responses and the part models (au_clnf_fitter_use_pool). The results do
 * not depend on the number of threads. The time of a tracked frame is auface-bench's
 * "landmarks" stage (`auface-bench --landmarks clnf`).
 * Errors: those of au_clnf_fitter_create and au_task_pool_create, AUFACE_ERR_NOMEM. */
auface_status au_clnf_tracker_create(au_clnf_tracker **out, const au_clnf_model *model,
                                     const au_mtcnn *mtcnn, const au_clnf_params *params,
                                     int threads, au_err *err);
void au_clnf_tracker_free(au_clnf_tracker *t);

/* The indices of left_eye_28 and right_eye_28 among the model's parts (file order), or
 * 0 when the model lacks either (no gaze then, as OpenFace without an eye model). */
int au_clnf_eye_parts(const au_clnf_model *model, int index[2]);

/* CLNF::Reset: a new video. */
void au_clnf_tracker_reset(au_clnf_tracker *t);

/* The landmarks of the next frame (8-bit BGR). Steps of one tracker must not overlap (the
 * state is per video and frame-ordered, and the pool serves one step at a time). */
auface_status au_clnf_tracker_step(au_clnf_tracker *t, const uint8_t *bgr, int w, int h,
                                   size_t stride, au_clnf_frame *out, au_err *err);

/* As au_clnf_tracker_step, with the frame's grey image already made by the caller
 * (au_bgr_to_gray_opencv, w bytes per row), e.g. on another thread while the previous frame
 * was being tracked. */
auface_status au_clnf_tracker_step_gray(au_clnf_tracker *t, const uint8_t *bgr,
                                        const uint8_t *gray, int w, int h, size_t stride,
                                        au_clnf_frame *out, au_err *err);

/* Where the box comes from when the tracker decides to (re)detect: 1 with `box` = (x, y, w,
 * h) as MTCNN made it (the fit is sensitive to its last bit), 0 when there is no face to
 * start from, < 0 on error (message in err). */
typedef int (*au_clnf_box_fn)(void *user, const uint8_t *bgr, int w, int h, size_t stride,
                              float box[4], au_err *err);

/* As au_clnf_tracker_step, with the detections chosen by `pick` instead of the widest box of
 * the tracker's own MTCNN run: several faces are followed by one tracker each, and each must
 * only ever be re-detected on its own face. */
auface_status au_clnf_tracker_step_from(au_clnf_tracker *t, const uint8_t *bgr, int w, int h,
                                        size_t stride, au_clnf_box_fn pick, void *user,
                                        au_clnf_frame *out, au_err *err);

#endif
