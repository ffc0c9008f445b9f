/* The AU part of OpenFace's FaceAnalyser for one video: running medians, per-frame
 * predictions, their history, and the end-of-video post-processing that FeatureExtraction
 * writes into the CSV.
 *
 * Per frame (FaceAnalyser::AddNextFrame, PIPELINE_SPEC Overview step 3 and §7.1):
 *   1. frames_tracking += 1 on every call, successful or not.
 *   2. When frames_tracking is odd (1st, 3rd, 5th … frame of the video): the HOG running
 *      median is updated (the descriptor is added only if the frame succeeded), then clamped
 *      at >= 0; then the geometry running median likewise (not clamped). See au/median.h.
 *   3. The raw intensities (unclipped) and presences are predicted with the current medians
 *      (au/models.h) and appended to the history; a failed frame gets 0 for every AU.
 *   4. The HOG (as float, which dlib's HOG is) and geometry descriptors of the first 3000
 *      successful frames are kept for the re-prediction (only when the models are dynamic:
 *      OpenFace never uses them otherwise).
 * A failed frame uses OpenFace's substitutes: the FHOG of a black 112 x 112 face (pass it, or
 * NULL for all zeros, which is what FHOG gives for a black image) and an all-zero geometry
 * (whatever is passed).
 *
 * After the last frame (FaceAnalyser::PostprocessOutputFile → ExtractAllPredictionsOfflineReg
 * / ExtractAllPredictionsOfflineClass, PIPELINE_SPEC §8.5), au_analyser_finish:
 *   1. dynamic models only: re-predicts the first 3000 successful frames with the final
 *      medians and overwrites their history entries (intensities and presences);
 *   2. intensities, per AU: with dynamic models and a dynamic SVR whose cutoff is not -1,
 *      offset = sorted(values of all successful frames)[(int)(n·cutoff)], else 0; each
 *      successful frame becomes clip(v - offset, 0, 5), each failed frame 0; then a 3-frame
 *      moving average over all frames (from a copy), first and last frame unchanged;
 *   3. presences, per AU, when there are more than 3 frames: frames 3 … N-4 become 1 if the
 *      mean of the 7 raw values around them is >= 0.5, else 0; the first and last 3 frames
 *      keep their raw values.
 *
 * Memory: two histograms (27.4 MB), 8·num_reg + num_class + 1 bytes of history per frame
 * (about 155 bytes: 17 MB for an hour at 30 fps), and at most 3000 stored frames of
 * 4464 floats + 238 doubles (57 MB, reached after 3000 successful frames). The history grows
 * geometrically (au_analyser_reserve avoids the re-allocations); nothing else is allocated
 * per frame. One object per video at a time; the models may be shared by many analysers.
 */
#ifndef AU_AU_ANALYSER_H
#define AU_AU_ANALYSER_H

#include "au/models.h"
#include "common/error.h"

/* OpenFace FaceAnalyser.h: max_init_frames, the successful frames re-predicted at the end. */
#define AU_MAX_INIT_FRAMES 3000

typedef struct au_analyser au_analyser;

/* Creates the per-video state for `models` (which must outlive it). AUFACE_ERR_NOMEM if the
 * histograms do not fit. */
auface_status au_analyser_create(au_analyser **out, const au_models *models, au_err *err);

/* Hints the number of frames to come so the history is allocated once. Optional. */
auface_status au_analyser_reserve(au_analyser *a, long frames, au_err *err);

/* Online use (frames one by one, no end of video, as OpenFace's webcam mode): keeps no
 * per-frame history and no stored descriptors, so memory does not grow with the stream; the
 * per-frame predictions are the same as in a video. au_analyser_finish then fails. Call
 * before the first frame. */
void au_analyser_set_online(au_analyser *a);

/* Threads for the re-prediction of au_analyser_finish (step 1 below; default 1): the
 * values do not depend on it. */
void au_analyser_set_threads(au_analyser *a, int threads);

/* Adds the next frame (steps 1-4 above).
 *   success:  the landmarks of this frame were found
 *   hog:      AU_HOG_DIM floats (NULL = zeros)
 *   geom:     AU_GEOM_DIM doubles (ignored for failed frames; may be NULL then)
 *   raw_reg_sorted, raw_class_sorted: if not NULL, receive this frame's raw values in
 *             sorted name order (au_models_num_reg / _num_class values; 0 for a failed
 *             frame) — what OpenFace's first pass writes before the rewrite.
 * Fails with AUFACE_ERR_ARG after au_analyser_finish (reset first) or when a successful
 * frame has no geometry while the models need it, AUFACE_ERR_NOMEM when the history
 * cannot grow (the frame is then not added). */
auface_status au_analyser_add_frame(au_analyser *a, int success, const float *hog,
                                    const double *geom, double *raw_reg_sorted,
                                    double *raw_class_sorted, au_err *err);

/* Post-processes the whole video (steps 1-3 above). Calling it again does nothing, as
 * OpenFace's `postprocessed` flag. Frees the stored descriptors. */
auface_status au_analyser_finish(au_analyser *a, au_err *err);

/* Frames added so far. */
long au_analyser_frames(const au_analyser *a);

/* After au_analyser_finish: the final intensities (num_reg values) and presences (num_class
 * values) of `frame` (0-based), sorted name order — the AU columns OpenFace writes. Fails
 * with AUFACE_ERR_ARG before finish or for a frame out of range. */
auface_status au_analyser_final_reg(const au_analyser *a, long frame, double *out);
auface_status au_analyser_final_class(const au_analyser *a, long frame, double *out);

/* The current running medians (AU_HOG_DIM clamped values, AU_GEOM_DIM values), for tests and
 * debugging; zeros before the first frame. Valid until the next add_frame or reset. */
const double *au_analyser_hog_median(const au_analyser *a);
const double *au_analyser_geom_median(const au_analyser *a);

/* Starts a new video (OpenFace FaceAnalyser::Reset); keeps the allocated memory. */
void au_analyser_reset(au_analyser *a);

/* Frees `a`; NULL is a no-op. */
void au_analyser_free(au_analyser *a);

#endif
