/* One thread's still-image work, as OpenFace 2.2's FaceLandmarkImg does it for one image
 * (IMAGE_SPEC §1–§6): decode (cv::imread-identical), every face the detector finds in its
 * order, each face's landmarks (CLNF with the image-mode parameters, or PFLD), its static
 * AUs (CalcParams → align + mask → FHOG → geometry → static SVR/SVM → clip [0, 5]), its
 * gaze (every face, accepted or not: IMAGE_SPEC §4), and the outputs: one row per face in FaceLandmarkImg's CSV layout, one .hog record per face,
 * `face_det_<face %06d>.bmp` per face. Nothing carries over between images.
 *
 * An image without a face gets a header-only CSV (OpenFace writes none; a header-only file
 * tells a resumed dataset run the image is done and shows which images had no face), an
 * empty .hog and an empty aligned folder (as OpenFace). */
#ifndef AU_PIPELINE_IMAGE_WORKER_H
#define AU_PIPELINE_IMAGE_WORKER_H

#include "au/models.h"
#include "detect/mtcnn.h"
#include "face/paw.h"
#include "face/pdm.h"
#include "landmark/clnf_fit.h"
#include "nn/graph.h"
#include "pipeline/frame_work.h"

/* What every image worker shares, read-only (owned by the pipeline). Exactly one landmark
 * source: clnf_model + mtcnn + clnf_params, or detector_model + pfld_model. */
typedef struct au_image_models {
    const au_pdm *pdm;
    const au_triangulation *tris;
    const au_models *static_aus;        /* main_static_svms.txt (OptimizeForImages) */
    const au_clnf_model *clnf_model;
    const au_mtcnn *mtcnn;
    const au_clnf_params *clnf_params;
    au_detector_kind detector_kind;
    const au_nn_model *detector_model;
    const au_nn_model *pfld_model;
    unsigned outputs;                   /* AUFACE_OUT_* of the CSV */
    /* Gaze (outputs has AUFACE_OUT_GAZE): the model set whose left_eye_28 and right_eye_28
     * parts give the eyes; in CLNF mode it is clnf_model and the fit's own parts are used,
     * otherwise the eyes are fitted from the 68 landmarks (landmark/eye_parts.h). */
    const au_clnf_model *eye_model;
    float fx, fy, cx, cy;               /* the user's intrinsics; <= 0: from each image */
} au_image_models;

typedef struct au_image_worker au_image_worker;

/* Errors: the landmark stage's (fitter, networks), AUFACE_ERR_NOMEM. The models must
 * outlive the worker. */
auface_status au_image_worker_create(au_image_worker **out, const au_image_models *models,
                                     au_err *err);
void au_image_worker_free(au_image_worker *w);

/* Processes `job` (a file, or the caller's pixels) and writes what it names; the CSV is
 * committed last, so an existing CSV means the image is done. `summary`: frames = faces,
 * frames_succeeded = faces the validator (or PFLD's fit confidence) accepted. Errors: the
 * image cannot be read (AUFACE_ERR_IO / FORMAT / VIDEO), an output cannot be written. */
auface_status au_image_worker_run(au_image_worker *w, const auface_image_job *job,
                                  auface_summary *summary, au_err *err);

#endif
