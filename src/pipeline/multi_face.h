/* The multi-face video job (auface_config.max_faces > 1, PFLD landmarks): every face
 * followed under a stable id, and each one given exactly the single-face AU stage.
 *
 * Pass 1 (calling thread, frame order): pipeline/face_tracks.h follows up to max_faces faces
 * and spools each frame's per-face landmarks, success and confidence to a temporary file
 * (pipeline/track_spool.h; memory does not grow with the video).
 * Pass 2: for each face id, the single-face job runs again over the input, from the face's
 * first to its last frame, with the spooled landmarks as given landmarks (frames of the span
 * where the face was not tracked have success 0): the workers run the AU stage in
 * parallel, and the face gets its own running medians, dynamic prediction, post-processing
 * and gaze, as if it had been filmed alone. Every pass is byte-identical for any worker
 * count, so the output is too.
 * Output: one CSV with one row per (frame, tracked face), by frame then face_id (the faces'
 * CSVs merged), or with split_faces one CSV per face (NAME_face<id>.csv). */
#ifndef AU_PIPELINE_MULTI_FACE_H
#define AU_PIPELINE_MULTI_FACE_H

#include "pipeline/pipeline_internal.h"

/* auface_process_video when p->cfg.max_faces > 1. Errors as auface_process_video's, and
 * AUFACE_ERR_UNSUPPORTED for what the multi-face job does not do (in-memory results, .hog,
 * aligned faces, landmark replay); AUFACE_ERR_VIDEO when no face is found. */
auface_status au_multi_face_process(auface_pipeline *p, const auface_job *job,
                                    auface_progress_fn progress, void *user,
                                    auface_summary *summary);

#endif
