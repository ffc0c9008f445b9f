/* The per-frame work of auface, independent of threads: a decoded frame (with its replayed
 * landmarks, if any) in, its landmarks and AU features out. A worker owns the scratch and
 * network runtimes it needs; the models are shared read-only through the pipeline. */
#ifndef AU_PIPELINE_FRAME_WORK_H
#define AU_PIPELINE_FRAME_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "face/gaze.h"
#include "pipeline/face_frame.h"
#include "landmark/clnf_tracker.h"
#include "landmark/eye_parts.h"
#include "pipeline/tracker.h"

/* Stage timing, in seconds summed over the frames a worker processed. */
typedef enum au_stage {
    AU_STAGE_DECODE,
    AU_STAGE_DETECT,
    AU_STAGE_LANDMARKS,
    AU_STAGE_CALCPARAMS,
    AU_STAGE_ALIGN,
    AU_STAGE_HOG,
    AU_STAGE_PREDICT,
    AU_STAGE_COUNT
} au_stage;

typedef struct au_stage_times {
    double seconds[AU_STAGE_COUNT];
} au_stage_times;

double au_now_seconds(void);

/* A decoded frame and, in landmark replay, its row of the landmark file. The pixels are
 * owned by whoever filled the struct. */
typedef struct au_frame_input {
    const uint8_t *bgr;
    int width, height;
    size_t stride;
    long index;               /* 0-based */
    double timestamp;
    int replay;               /* 1: the landmarks below are given (a landmark file, or a
                                 tracker that ran before the workers) */
    int replay_success;       /* the CSV's success */
    int replay_au_success;    /* what the AU stage is told (OpenFace's detection_success,
                                 which differs from the CSV's on a track's first frame) */
    double replay_confidence;
    float replay_landmarks[2 * AU_PDM_MAX_POINTS];
    /* The tracker's own PDM parameters, when it has them: OpenFace writes these as p_* and
     * computes pose and 3D landmarks from them (the AU stage fits its own). */
    int have_tracker_params;
    float tracker_global[6];
    float tracker_local[AU_PDM_MAX_MODES];
    int tracker_fitted;       /* the tracker has fitted a face in this video */
    /* Eye landmarks that come with the frame (see au_eye_source); `eyes` holds them. */
    int eye_source;
    au_eyes eyes;
    /* The face the PFLD tracker follows from this frame, chosen by the reader on scheduled
     * frames (pipeline/anchor_chain.h); `given` 0 = the tracker detects itself. */
    au_track_anchor anchor;
} au_frame_input;

/* Where a frame's eye landmarks come from. */
typedef enum au_eye_source {
    AU_EYE_SOURCE_FIT = 0,  /* none given: the worker fits the eye parts from the 68
                               landmarks (GAZE_SPEC §9) on frames with a face */
    AU_EYE_SOURCE_STATE,    /* the tracker's own eye part models, parameters included (CLNF) */
    AU_EYE_SOURCE_POINTS    /* 2D points only (a landmark file): the worker fits their PDMs */
} au_eye_source;

/* Everything the sequencer needs of one frame. */
typedef struct au_frame_output {
    long index;
    double timestamp;
    int success;
    double confidence;
    float landmarks[2 * AU_PDM_MAX_POINTS];
    au_face_features features;
    /* The CSV's gaze block (zeros when the worker computes no gaze, GAZE_SPEC §7). */
    float gaze[AU_GAZE_FIELDS];
    float eye2d[2 * AU_EYES_POINTS];
    float eye3d[3 * AU_EYES_POINTS];
} au_frame_output;

/* Gives `in` the 56 eye landmarks of a landmark file (planar: x_0..x_55, y_0..y_55; the
 * image-left eye's 28 first), whose PDM parameters the worker then fits. */
void au_frame_input_set_eye_points(au_frame_input *in, const float *eyes112);

/* Fills the given-landmarks fields of `in` from OpenFace's tracker's outcome. */
void au_frame_input_from_clnf(au_frame_input *in, const au_clnf_frame *cf);

typedef struct au_worker au_worker;

/* Which network `detector_model` is. */
typedef enum au_detector_kind { AU_DETECTOR_RETINAFACE, AU_DETECTOR_YUNET } au_detector_kind;

/* A worker for `pdm`/`tris`; with own landmarks, `detector_model` (of `kind`) and
 * `pfld_model` are the shared networks (NULL in replay) and `tracker_cfg` the tracking
 * rules. */
auface_status au_worker_create(au_worker **out, const au_pdm *pdm, const au_triangulation *tris,
                               au_detector_kind kind, const au_nn_model *detector_model,
                               const au_nn_model *pfld_model, au_tracker_config tracker_cfg,
                               au_err *err);
void au_worker_destroy(au_worker *w);

/* What a worker computes beyond the AU features. */
typedef struct au_worker_options {
    /* Camera intrinsics as auface_config's (<= 0: OpenFace's default from the frame size,
     * au_camera_for_frame). */
    float fx, fy, cx, cy;
    /* The CLNF model set whose eye parts give the eye landmarks and gaze (prepared with
     * au_eye_parts_prepare or au_clnf_prepare_model; shared read-only); NULL: no gaze. */
    const au_clnf_model *eye_model;
} au_worker_options;

/* Sets the options (before the worker processes frames); with an eye model, makes the
 * worker's eye fitter. Errors: those of au_eye_fitter_create. */
auface_status au_worker_set_options(au_worker *w, const au_worker_options *opt, au_err *err);

/* Forgets tracking state (a new video). */
void au_worker_reset(au_worker *w);

/* Processes one frame. Frames given to one worker must be consecutive within a chunk that
 * starts at a scheduled detection (see tracker.h), or the tracking differs from the
 * sequential run. */
auface_status au_worker_process(au_worker *w, const au_frame_input *in, au_frame_output *out,
                                au_err *err);

/* The worker's accumulated stage times (and resets them). */
void au_worker_take_times(au_worker *w, au_stage_times *add_to);

#endif
