/* OpenFace's two 28-point eye part models fitted on their own from 68 landmarks that come
 * from another tracker (PFLD, a landmark file): GAZE_SPEC §9, i.e. CLNF_SPEC §6.5 steps 1–3
 * restricted to left_eye_28 and right_eye_28. Each eye is initialised by PDM::CalcParams
 * from the 6 main eye-contour points (36–41, 42–47) and fitted when the main scale exceeds
 * 0.9, with the part parameters of CLNF_SPEC §3.2. Nothing is kept from frame to frame, so
 * workers can fit any frame in any order.
 *
 * Speed: only the part of the frame around the eyes is converted to grey and read: a box
 * around points 36–47 with a margin of 16·s + 8 pixels (s: the main scale), twice what
 * holds every patch-expert window of the two scales on default.wmv; the fit runs in frame
 * coordinates, so its result is the whole frame's to the bit (tests/unit/test_eye_parts.c).
 * Cost: ≈ 0.8 ms of CPU per frame for default.wmv's face (both eyes; half in the CCNF
 * responses, a quarter in the PDM updates), measured on the loaded 2-core machine.
 *
 * Usage: au_eye_parts_prepare(model) once (writes Σ into the shared model, single-threaded),
 * then one au_eye_fitter per thread. */
#ifndef AU_LANDMARK_EYE_PARTS_H
#define AU_LANDMARK_EYE_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "face/gaze.h"
#include "landmark/clnf_model.h"

/* Prepares Σ of the two eye parts' windows (CLNF_SPEC §3.2: windows 3 and 5, one view) in
 * the shared model. Idempotent; ≈ 1 ms. Errors: AUFACE_ERR_UNSUPPORTED when the model has
 * no left_eye_28 / right_eye_28 parts, those of au_clnf_prepare_sigmas. */
auface_status au_eye_parts_prepare(au_clnf_model *model, au_err *err);

typedef struct au_eye_fitter au_eye_fitter;

/* A fitter of the eye parts of `model` (prepared by au_eye_parts_prepare or
 * au_clnf_prepare_model; shared read-only). Errors: AUFACE_ERR_UNSUPPORTED (no eye parts),
 * AUFACE_ERR_NOMEM, those of au_clnf_part_fitter_create. */
auface_status au_eye_fitter_create(au_eye_fitter **out, const au_clnf_model *model,
                                   au_err *err);
void au_eye_fitter_free(au_eye_fitter *f);

/* The PDMs of left_eye_28 and right_eye_28 (for au_eyes_landmarks); 0 without eye parts. */
int au_eye_part_pdms(const au_clnf_model *model, const au_pdm *pdms[2]);

/* Fits both eyes on the BGR frame from the 68 landmarks (planar) whose PDM fit has scale
 * main_scale. eyes->valid is 0 when the eye box lies outside the frame. Errors:
 * AUFACE_ERR_NOMEM (growing the grey image), those of au_clnf_fit_part_alone. */
auface_status au_eye_fitter_fit(au_eye_fitter *f, const uint8_t *bgr, int w, int h,
                                size_t stride, const float *landmarks68, float main_scale,
                                au_eyes *eyes, au_err *err);

#endif
