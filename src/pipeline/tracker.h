/* Face tracking for auface's own landmarks (RetinaFace + PFLD): detect on the first frame,
 * then take each frame's crop from the previous frame's landmarks; detect again when the
 * landmarks no longer fit a face, and at every `detect_interval`-th frame.
 *
 * Why the fixed schedule: a chunk of frames that starts at a scheduled detection does not
 * depend on any earlier frame, so parallel workers can each own whole chunks and still
 * produce exactly the sequential result.
 *
 * Confidence: OpenFace's CSV `confidence` comes from its CLNF validator, which PFLD lacks.
 * auface measures how well the 68 landmarks fit OpenFace's face model instead: the RMS
 * distance between the landmarks and the fitted PDM shape, in model units (mm, i.e. divided
 * by the fit's scale), mapped to (0, 1]. Landmarks placed on something that is not a face do
 * not fit the model. */
#ifndef AU_PIPELINE_TRACKER_H
#define AU_PIPELINE_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "detect/face_box.h"
#include "face/pdm.h"
#include "landmark/pfld.h"

/* Defaults: detect at every 30th frame; accept landmarks whose confidence is at least 0.5. */
#define AU_TRACK_DETECT_INTERVAL 30
#define AU_TRACK_MIN_CONFIDENCE 0.5

typedef struct au_tracker_config {
    int detect_interval;     /* 1 = detect on every frame */
    double min_confidence;
} au_tracker_config;

/* The landmarks of one frame and the PDM fit made while judging them (reused by the AU
 * stage, which needs the same CalcParams). */
typedef struct au_track_result {
    int success;
    double confidence;
    int detected;                    /* 1 when the detector ran on this frame */
    float landmarks[2 * AU_PDM_MAX_POINTS];
    float global[6];
    float local[AU_PDM_MAX_MODES];
} au_track_result;

/* A face detector as the tracker sees it: faces (RetinaFace-style boxes) in descending
 * score order, their count, or -1 on error. */
typedef int (*au_detect_fn)(void *detector, const uint8_t *bgr, int w, int h, size_t stride,
                            au_face_box *out, int max_out, au_err *err);

/* The two detectors as au_detect_fn (`detector` is an au_retinaface / au_yunet). */
int au_detect_with_retinaface(void *detector, const uint8_t *bgr, int w, int h, size_t stride,
                              au_face_box *out, int max_out, au_err *err);
int au_detect_with_yunet(void *detector, const uint8_t *bgr, int w, int h, size_t stride,
                         au_face_box *out, int max_out, au_err *err);

typedef struct au_tracker {
    au_tracker_config cfg;
    const au_pdm *pdm;
    au_detect_fn detect;
    void *detector;                  /* owned by the caller (per thread) */
    au_pfld *pfld;                   /* owned by the caller (per thread) */
    int have_previous;
    float previous[2 * AU_PDM_MAX_POINTS];
    /* The face being followed (its last good landmarks' box, or the anchor it started
     * from): a re-detection takes the detection that continues it (face_anchor.h), so the
     * tracker keeps its person when several faces are in view. */
    int have_reference;
    au_face_box reference;
} au_tracker;

/* A detection made for the tracker before its step: on scheduled frames of a video job the
 * reader detects in frame order and chooses the face (pipeline/anchor_chain.h), so every
 * chunk starts on the person the previous chunks followed. */
typedef struct au_track_anchor {
    int given;                       /* 1: the detector ran on this frame for the tracker */
    int found;                       /* a face was chosen: `box` */
    au_face_box box;
} au_track_anchor;

void au_tracker_init(au_tracker *t, au_tracker_config cfg, const au_pdm *pdm,
                     au_detect_fn detect, void *detector, au_pfld *pfld);

/* Forgets the previous frame (start of a video or of a chunk). */
void au_tracker_reset(au_tracker *t);

/* Landmarks of frame `index` (0-based) of the current video. */
auface_status au_tracker_step(au_tracker *t, const uint8_t *bgr, int w, int h, size_t stride,
                              long index, au_track_result *out, au_err *err);

/* As au_tracker_step; on a scheduled frame with a given anchor (non-NULL, `given`) the
 * landmarks are fitted in the anchor's box instead of detecting again. */
auface_status au_tracker_step_anchored(au_tracker *t, const uint8_t *bgr, int w, int h,
                                       size_t stride, long index, const au_track_anchor *anchor,
                                       au_track_result *out, au_err *err);

/* Landmarks in `box`, with their PDM fit, confidence and success (not remembered: the
 * tracker's state is unchanged). */
auface_status au_tracker_fit_box(au_tracker *t, const uint8_t *bgr, int w, int h,
                                 size_t stride, const au_face_box *box, au_track_result *out,
                                 au_err *err);

/* The confidence of landmarks whose PDM fit (global, local) is given. */
double au_fit_confidence(const au_pdm *pdm, const float *landmarks2n, const float global[6],
                         const float *local);

/* The face box that a detector would give for a face with these landmarks (used to crop the
 * next frame). */
void au_box_from_landmarks(const float *landmarks2n, int n, au_face_box *box);

#endif
