/* Several faces followed through a video, each under a stable id (--max-faces): pass 1 of
 * the multi-face job (pipeline/multi_face.h), run in frame order.
 *
 * Rules (docs/DECISIONS.md, "Several faces"):
 * - Detection runs on scheduled frames (index % detect_interval == 0), on a frame where a
 *   track lost its face, on every frame while no track is active (as the single-face
 *   tracker does while it has no face), and every AU_TRACK_AWAIT_INTERVAL frames while an
 *   ended track may still take its id back.
 * - Each active track is followed frame to frame with PFLD from its previous landmarks; on a
 *   scheduled frame it is re-anchored on the detection that continues it (face_anchor.h).
 *   A track whose landmarks stop fitting a face is re-fitted in a detection that continues
 *   it, else it ends. A track that lands on the face of a lower id ends (duplicate).
 * - Detections no track covers start tracks, largest first, while fewer than max_faces are
 *   active. A face that appears within AU_TRACK_REVIVE_SECONDS of where a track ended
 *   takes that track's id back; otherwise it gets the next id (0, 1, …). */
#ifndef AU_PIPELINE_FACE_TRACKS_H
#define AU_PIPELINE_FACE_TRACKS_H

#include "landmark/clnf_tracker.h"
#include "pipeline/tracker.h"

/* How long an ended track's id waits for its face to come back. */
#define AU_TRACK_REVIVE_SECONDS 2.0

/* While an ended track waits, the detector also runs on frames index % this == 0 (a
 * returning face is taken up within 5 frames instead of at the next scheduled detection). */
#define AU_TRACK_AWAIT_INTERVAL 5

/* With CLNF, the frames in a row a track may fail the validator before it ends
 * (FaceLandmarkVidMulti frees a slot after as many; MULTI_FACE_SPEC). */
#define AU_TRACK_CLNF_FAILURES 6

/* One tracked face on one frame. */
typedef struct au_tracked_face {
    int id;
    au_track_result result;   /* landmarks, success and confidence */
    int clnf;                 /* 1: followed by a CLNF tracker, whose frame is `frame` */
    au_clnf_frame frame;      /* (its parameters, what the AU stage is told, its eyes) */
} au_tracked_face;

/* OpenFace's CLNF as the landmarker of the tracks: one tracker per followed face, started
 * from and re-detected on MTCNN boxes of the whole frame. The caller owns the model and
 * the detector (read-only). */
typedef struct au_face_tracks_clnf {
    const au_clnf_model *model;
    const au_mtcnn *mtcnn;
    const au_clnf_params *params;
    int threads;              /* per tracker (au_clnf_tracker_create) */
    int detect_interval;      /* new faces are looked for on frames index % this == 0 */
} au_face_tracks_clnf;

typedef struct au_face_tracks au_face_tracks;

/* Follows up to `max_faces` faces with `fitter` (its pdm, pfld, detector and rules; the
 * caller owns them and its previous-frame state is not used). */
auface_status au_face_tracks_create(au_face_tracks **out, int max_faces, au_tracker *fitter,
                                    au_err *err);
/* As au_face_tracks_create, with CLNF trackers. Each followed face is tracked as
 * FeatureExtraction tracks its one face (CLNF_SPEC §8), except that its re-detections only
 * take a detection that continues it; it ends after AU_TRACK_CLNF_FAILURES failed frames in
 * a row, and its failed frames are given (success 0), as a single-face run writes them. */
auface_status au_face_tracks_create_clnf(au_face_tracks **out, int max_faces,
                                         const au_face_tracks_clnf *clnf, au_err *err);
void au_face_tracks_free(au_face_tracks *ft);

/* The faces tracked on frame `index` (frames in order), by increasing id, into `faces`
 * (room for max_faces); their number in *count. Only faces tracked successfully are
 * given (and, with CLNF, the failed frames of a track that goes on). */
auface_status au_face_tracks_step(au_face_tracks *ft, const uint8_t *bgr, int w, int h,
                                  size_t stride, long index, double timestamp,
                                  au_tracked_face *faces, int *count, au_err *err);

/* Ids given so far (ids are 0 .. this − 1). */
int au_face_tracks_ids(const au_face_tracks *ft);

#endif
