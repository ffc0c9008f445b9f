/* OpenFace 2.2 FaceLandmarkImg's landmark stage for a still image (IMAGE_SPEC §3,
 * FaceLandmarkImg.cpp 111–190, LandmarkDetectorFunc.cpp DetectLandmarksInImage): MTCNN on the
 * full-size image finds every face (descending ONet score: the order of the CSV's `face`);
 * each box is fitted on its own from ONE upright start (multi_view is false), p = 0, with the
 * init windows [11, 9, 7, 5] at every scale, the part models, then the detection validator
 * (success iff certainty > 0.725; certainty 0 when the fit stops with "face too small").
 * Nothing carries over from one face or image to the next (IMAGE_SPEC §1.5).
 *
 * Usage:
 *   au_clnf_image_create(&ci, model, mtcnn, &params, err);     params: au_clnf_params_default
 *   n = au_clnf_image_detect(ci, bgr, w, h, stride, err);      boxes: au_clnf_image_box(ci, i)
 *   au_clnf_image_fit(ci, au_clnf_image_box(ci, i), &face, err);   for i < n
 *
 * Threading: the model and MTCNN are shared read-only (the model prepared with
 * au_clnf_prepare_model for `params`); an au_clnf_image is one thread's (a fitter with its
 * KDE tables, 12.6 MB, the MTCNN and validator scratch, the grey image). */
#ifndef AU_LANDMARK_CLNF_IMAGE_H
#define AU_LANDMARK_CLNF_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "detect/mtcnn.h"
#include "landmark/clnf_fit.h"

/* One face of the image, as FaceLandmarkImg records it. */
typedef struct au_clnf_image_face {
    int success;            /* clnf.detection_success */
    double certainty;       /* clnf.detection_certainty: the CSV's confidence */
    const au_clnf_fit_result *fit; /* the full fit (landmarks, parameters, part models such
                                      as the eyes); valid until the next fit */
} au_clnf_image_face;

typedef struct au_clnf_image au_clnf_image;

/* Errors: those of au_clnf_fitter_create, AUFACE_ERR_NOMEM. */
auface_status au_clnf_image_create(au_clnf_image **out, const au_clnf_model *model,
                                   const au_mtcnn *mtcnn, const au_clnf_params *params,
                                   au_err *err);
void au_clnf_image_free(au_clnf_image *ci);

/* Takes the 8-bit BGR image (kept by pointer until the last fit on it: the caller keeps the
 * pixels alive), makes its grey copy and runs MTCNN (min_face 60, thresholds 0.6/0.7/0.7).
 * Returns the number of faces (0 or more), or −1 with `err` set. */
int au_clnf_image_detect(au_clnf_image *ci, const uint8_t *bgr, int w, int h, size_t stride,
                         au_err *err);

/* Box i (x, y, width, height) of the last detection, 0 <= i < its count. */
const float *au_clnf_image_box(const au_clnf_image *ci, int i);

/* DetectLandmarksInImage with the image-mode parameters for `box` (any box: the detector's
 * or a caller's) on the image of the last au_clnf_image_detect, then the validator. */
auface_status au_clnf_image_fit(au_clnf_image *ci, const float box[4], au_clnf_image_face *out,
                                au_err *err);

#endif
