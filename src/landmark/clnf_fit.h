/* OpenFace 2.2's CLNF landmark fitting of one image: CLNF::DetectLandmarks without the
 * validator (CLNF::Fit over the patch scales with a rigid and a non-rigid NU-RLMS pass each,
 * the hierarchical part models and the main refit), the face-box initialisation and the
 * multi-hypothesis detection of a new track, with the parameters FeatureExtraction uses.
 *
 * Source: OpenFace 2.2 lib/local/LandmarkDetector/src/LandmarkDetectorModel.cpp
 * (CLNF::DetectLandmarks, CLNF::Fit, CLNF::Read for the part parameters),
 * LandmarkDetectorFunc.cpp (DetectLandmarksInImage, DetectLandmarksInImageMultiHypBasic),
 * LandmarkDetectorParameters.cpp (FaceModelParameters), PDM.cpp (CalcParams).
 * CLNF_SPEC.md §3, §6, §8.4, §10.
 *
 * Usage (create / run / destroy):
 *   au_clnf_model_load(&model, ".../main_clnf_general.txt", err);
 *   au_clnf_params_default(&params);
 *   au_clnf_prepare_model(model, &params, pool, err);  once (writes Σ; pool: optional)
 *   au_clnf_fitter_create(&fitter, model, &params, err);   one per thread
 *   au_clnf_fitter_use_pool(fitter, pool, err);      optional: helper threads
 *   au_clnf_detect_from_box(fitter, gray, w, h, stride, box, &params, &state, err);  new track
 *   au_clnf_fit(fitter, gray, w, h, stride, state.global, state.local,
 *               params.window_sizes_small, &params, &state, err);   next frames
 * The tracking rules (which window sizes, when to re-detect, the validator) are the
 * caller's (CLNF_SPEC §8).
 *
 * Threading: the model is shared read-only by all fitters once au_clnf_prepare_model has
 * run. A fitter holds its own KDE tables (12.6 MB for the main model's windows 11/9/7 and the
 * parts' 9/3/5, built at creation in ≈ 16 ms) and scratch; it is used by one thread at a
 * time and allocates nothing per call, except that the float copy of the grey image grows
 * when an image is larger than every previous one. With a task pool
 * (au_clnf_fitter_use_pool) a fit also runs on the pool's helper threads: the responses of
 * each main-model scale are split into blocks of landmarks and the part models are fitted at
 * the same time, as OpenFace's tbb::parallel_for over the landmarks (Patch_experts::Response)
 * and over the parts (CLNF::DetectLandmarks). Each landmark's response and each part's fit
 * is computed by the same code on the same inputs whatever thread runs it, so the results
 * are bit-identical for every pool size.
 *
 * Accuracy on default.wmv (tests/unit/test_clnf_fit.c): frame 1 (11 hypotheses from the MTCNN
 * box) within 3.3e-4 px of OpenFace's landmarks; each frame tracked from OpenFace's exact
 * previous state: mean distance 0.0018 px over the 287 frames, most below 1e-3 px, worst
 * frame 0.16 px (the 0.1-pixel KDE grid amplifies last-bit differences, CLNF_SPEC §12.8);
 * tracked in closed loop over the 288 frames, mean 0.017 px, worst point 1.3 px. */
#ifndef AU_LANDMARK_CLNF_FIT_H
#define AU_LANDMARK_CLNF_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/task_pool.h"
#include "face/pdm.h"
#include "landmark/clnf_model.h"

#define AU_CLNF_MAX_WINDOW_SIZES 8

/* FaceModelParameters, the fields the fitting reads. */
typedef struct au_clnf_params {
    int num_iterations;        /* num_optimisation_iteration: NU-RLMS iterations per pass */
    float sigma;               /* KDE σ before the per-scale refinement */
    float reg_factor;          /* shape prior weight before the per-scale refinement */
    float weight_factor;       /* NU weighting by patch confidence (0 = W = I) */
    int refine_parameters;     /* adapt sigma, reg, weight per scale (main model only) */
    int refine_hierarchical;   /* run the part models after the main fit */
    int validate_detections;   /* run the validator (the caller's job; kept for completeness) */
    float validation_boundary; /* success iff certainty > this (the caller's job) */
    int reinit_video_every;    /* re-detection period while failing (the caller's job) */
    int num_window_sizes;      /* entries in the two lists below */
    int window_sizes_init[AU_CLNF_MAX_WINDOW_SIZES];  /* first frame, re-detection, failure */
    int window_sizes_small[AU_CLNF_MAX_WINDOW_SIZES]; /* after a successful frame */
} au_clnf_params;

/* FeatureExtraction's parameters for main_clnf_general.txt (CLNF_SPEC §3.1): 5 iterations,
 * σ 1.5, reg 25, weight 0, refine_parameters, refine_hierarchical and validate_detections
 * on, validation boundary 0.725, reinit every 2, windows init [11, 9, 7, 5] and small
 * [0, 9, 7, 0]. */
void au_clnf_params_default(au_clnf_params *p);

/* The parameters CLNF::Read gives a part model by its name (CLNF_SPEC §3.2): the CE-CLM
 * defaults of FaceModelParameters(arguments) with validate_detections, refine_hierarchical
 * and refine_parameters off, then
 *   "inner":                         windows [9],       σ 1.75, reg 2.5, weight 2.5;
 *   "left_eye_28", "right_eye_28":   windows [3, 5, 9], σ 1.0,  reg 0.5, weight 0;
 *   "left_eye", "right_eye":         windows [5, 3],    σ 2.0,  reg 0.1, weight 0;
 *   "mouth":                         windows [7, 7],    σ 2.0,  reg 1.0, weight 0;
 *   "brow":                          windows [11, 9],   σ 3.5,  reg 10,  weight 0;
 * (init = small for all). Any other name: AUFACE_ERR_UNSUPPORTED. */
auface_status au_clnf_params_for_part(const char *name, au_clnf_params *p, au_err *err);

/* Prepares everything the fitting needs inside the shared model: Σ of every window size the
 * main parameters (init and small windows) and each part's parameters use at each scale, for
 * all views (au_clnf_prepare_sigmas). Call it once after loading, before creating fitters,
 * from one thread: it writes into the experts. With a pool of several threads the Σ are
 * computed on all of them (landmark/clnf_sigma_batch.h; same values); NULL prepares them on
 * the calling thread. Idempotent. Cost: ≈ 0.25 s of CPU and 61 MB for the FeatureExtraction
 * model set. Errors: AUFACE_ERR_UNSUPPORTED for an unknown part name, or those of
 * au_clnf_prepare_sigmas. */
auface_status au_clnf_prepare_model(au_clnf_model *m, const au_clnf_params *params,
                                    au_task_pool *pool, au_err *err);

typedef struct au_clnf_fitter au_clnf_fitter;

/* Creates a fitter for `model` (shared, read-only, prepared by au_clnf_prepare_model with
 * the same params) and `params`. The KDE tables are built here for each window size of the
 * init windows, then the small windows, with the σ in force at the first scale that uses the
 * window size (OpenFace builds each on first use and keys it by window size only: the first
 * frame always uses the init windows). Fails with AUFACE_ERR_ARG if a Σ the params need is
 * not prepared, AUFACE_ERR_UNSUPPORTED for an unknown part name, AUFACE_ERR_NOMEM. */
auface_status au_clnf_fitter_create(au_clnf_fitter **out, const au_clnf_model *model,
                                    const au_clnf_params *params, au_err *err);

/* A fitter of some part models alone (`parts`: `count` part indices, file order), for 68
 * landmarks that come from another tracker (GAZE_SPEC §9): only these parts get KDE tables,
 * and their Σ must be prepared (au_clnf_prepare_sigmas for each scale's init window, e.g.
 * through au_clnf_prepare_model); the main model is not fitted, so au_clnf_fit and
 * au_clnf_detect_from_box fail on this fitter, and only au_clnf_fit_part_alone on the named
 * parts is meaningful. A fitter of both 28-point eyes holds ≈ 0.2 MB. Errors: as
 * au_clnf_fitter_create, AUFACE_ERR_ARG for a part index out of range. */
auface_status au_clnf_part_fitter_create(au_clnf_fitter **out, const au_clnf_model *model,
                                         const int *parts, int count, au_err *err);

/* Frees the fitter; NULL is a no-op. */
void au_clnf_fitter_free(au_clnf_fitter *f);

/* Lets the fitter's calls run on `pool` (not owned: it must outlive the fitter's use of it;
 * NULL = only the calling thread, the state after creation): allocates a work area (responses,
 * scratch, RLMS scratch: ≈ 175 kB) per pool thread, once. The fitter's calls then post jobs to
 * the pool, so the pool must not be used by another thread meanwhile. Errors:
 * AUFACE_ERR_NOMEM (the fitter keeps its previous pool). */
auface_status au_clnf_fitter_use_pool(au_clnf_fitter *f, au_task_pool *pool, au_err *err);

/* A part model's state after a fit (the part's CLNF members in OpenFace). */
typedef struct au_clnf_part_result {
    int n;                                  /* part points (51 inner, 28 eyes) */
    int used;                               /* the part was fitted (main s > 0.9·scale) */
    float global[6];
    float local[AU_PDM_MAX_MODES];
    float landmarks[2 * AU_PDM_MAX_POINTS]; /* detected_landmarks, planar 2n: for the eyes
                                             * the CSV eye_lmk_* points */
} au_clnf_part_result;

/* The CLNF state a fit produces. Fields marked (kept) are written only when computed; a
 * caller that keeps one result per track across frames therefore sees OpenFace's CLNF
 * member semantics (stale values when a fit does not recompute them). */
typedef struct au_clnf_fit_result {
    int n;                                          /* main points (68) */
    float landmarks[2 * AU_PDM_MAX_POINTS];         /* detected_landmarks, planar */
    float global[6];                                /* params_global */
    float local[AU_PDM_MAX_MODES];                  /* params_local */
    int fit_ok;                                     /* Fit's return value */
    int likelihood_computed;                        /* this fit computed the two below */
    float model_likelihood;                         /* (kept) main-fit log-likelihood */
    float landmark_likelihoods[AU_PDM_MAX_POINTS];  /* (kept) per landmark, −1e8 invisible */
    int parts_used;                                 /* any part was fitted and merged */
    int num_parts;
    au_clnf_part_result parts[AU_CLNF_MAX_PARTS];   /* in model order */
} au_clnf_fit_result;

/* CLNF::DetectLandmarks up to (not including) the validation, from (global, local):
 *  1. Fit: for each patch scale with window_sizes[scale] != 0 (window_sizes must have at
 *     least as many entries as the main model has scales, 3): responses, per-scale
 *     parameters, rigid then non-rigid NU-RLMS, likelihood at the last active scale,
 *     "face too small" (s < 0.25) ends the fit with fit_ok = 0;
 *  2. landmarks = CalcShape2D(local, global);
 *  3. if params->refine_hierarchical: every part is initialised by PDM::CalcParams from its
 *     mapped points and fitted when main s > 0.9 × its first patch scale; if any was fitted,
 *     all parts' points are merged into the landmarks, the main PDM is refitted from them
 *     (face/calcparams.h) and landmarks = CalcShape2D of the refit. It runs even when
 *     fit_ok is 0.
 * global (6) and local (m) are updated in place and copied into out; they may be
 * out->global and out->local themselves.
 *   gray: w x h 8-bit grey image (au_bgr_to_gray_opencv), row stride `stride` bytes.
 * Errors: AUFACE_ERR_ARG (NULL or empty image, bad window list, a window without a KDE
 * table or Σ), AUFACE_ERR_NOMEM (growing the float image). Cost, measured on one core of
 * the development machine: a tracked 640x480 frame (windows [0, 9, 7] and the parts)
 * ≈ 2.8–3.3 ms, of which ≈ 55 % are the CCNF responses and ≈ 20 % the four CalcParams.
 * On a pool the parts take as long as the inner model (0.8 ms, against 0.53 ms for both
 * eyes), and the RLMS passes and the main refit stay serial. */
auface_status au_clnf_fit(au_clnf_fitter *f, const uint8_t *gray, int w, int h, size_t stride,
                          float global[6], float *local, const int *window_sizes,
                          const au_clnf_params *params, au_clnf_fit_result *out, au_err *err);

/* CLNF::DetectLandmarks' refinement (§6.5 steps 1–3) of one part (index `part`, file order)
 * alone, from 68 main landmarks (planar) and the main scale s, on the 8-bit grey image:
 * the part is initialised by PDM::CalcParams from the main points it maps and fitted when
 * main_scale > 0.9 × its first patch scale; out->landmarks = CalcShape2D. The part has no
 * memory: the same inputs give the same result.
 *   roi: (x0, y0, x1, y1), the only pixels of `gray` read (the rest of the image is taken
 *        as 0); NULL = the whole image. A region that holds every patch window of the fit
 *        gives the whole image's result to the bit, in the same coordinates.
 * Errors: AUFACE_ERR_ARG (NULL, empty image, a region outside it, no such part, a part the
 * fitter has no tables for), AUFACE_ERR_NOMEM. */
auface_status au_clnf_fit_part_alone(au_clnf_fitter *f, int part, const uint8_t *gray, int w,
                                     int h, size_t stride, const int roi[4],
                                     const float *main_landmarks, float main_scale,
                                     au_clnf_part_result *out, au_err *err);

/* PDM::CalcParams(global, box, p = 0, rotation) for the main model: p = 0 (all
 * pdm->m entries of `local`) and the global parameters that fit the rotated mean shape
 * into the box (x, y, width, height), CLNF_SPEC §4. */
void au_clnf_init_from_box(const au_clnf_model *model, const float box[4],
                           const float rotation[3], float global[6], float *local);

/* Number of rotation hypotheses of a new detection (multi_view = true) and hypothesis i
 * (rx, ry, rz) in OpenFace's order: (0,0,0), (0,−0.5236,0), (0,0.5236,0), (0,−0.96,0),
 * (0,0.96,0), (0,0,0.5236), (0,0,−0.5236), (0,−1.57,0), (0,1.57,0), (0,−1.22,0.698),
 * (0,1.22,−0.698), the double literals rounded to float. */
#define AU_CLNF_NUM_HYPOTHESES 11
void au_clnf_hypothesis_rotation(int i, float rotation[3]);

/* DetectLandmarksInImage with multi_view (DetectLandmarksInImageMultiHypBasic) without the
 * validator: for each of the 11 hypotheses, p = 0 (also for the parts), g = CalcParams(box,
 * rotation), then au_clnf_fit with params->window_sizes_init; the hypothesis with the
 * strictly greatest model likelihood wins (ties keep the earlier one; the first is always
 * kept). The winner's state is written to out. On entry out->model_likelihood and
 * out->landmark_likelihoods must hold the tracker's current values (−10 and anything before
 * the first detection, CLNF::Read): a hypothesis whose fit stops before its likelihood is
 * computed competes with the value left by the previous one, as in OpenFace.
 * The validator, run by the caller on the result, gives the certainty OpenFace stores with
 * the winner. Errors as au_clnf_fit. Cost ≈ 11 full fits (windows 11/9/7 plus parts):
 * ≈ 42 ms on frame 1 of default.wmv. */
auface_status au_clnf_detect_from_box(au_clnf_fitter *f, const uint8_t *gray, int w, int h,
                                      size_t stride, const float box[4],
                                      const au_clnf_params *params, au_clnf_fit_result *out,
                                      au_err *err);

#endif
