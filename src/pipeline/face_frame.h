/* The per-frame AU features of one face, as OpenFace FaceAnalyser::AddNextFrame computes them
 * from a frame and its 68 landmarks: CalcParams, AlignFaceMask (112x112, scale 0.7), FHOG,
 * geometry; plus the CSV's pose and 3D landmarks. Pure function of its inputs: it keeps no
 * state between frames, so workers can run it on any frame in any order. */
#ifndef AU_PIPELINE_FACE_FRAME_H
#define AU_PIPELINE_FACE_FRAME_H

#include <stdint.h>

#include "face/fhog.h"
#include "face/paw.h"
#include "face/pdm.h"
#include "face/pose.h"

/* FaceAnalyserParameters.h: sim_scale_au = 0.7, sim_size_au = 112. */
#define AU_ALIGN_SCALE 0.7f
#define AU_ALIGN_SIZE 112
#define AU_HOG_MAX (14 * 14 * AU_FHOG_CHANNELS)

typedef struct au_face_features {
    int success;
    float global[6];                    /* CalcParams: s, rx, ry, rz, tx, ty */
    float local[AU_PDM_MAX_MODES];      /* CalcParams: shape parameters */
    uint8_t aligned[AU_ALIGN_SIZE * AU_ALIGN_SIZE * 3];  /* masked BGR face, black if failed */
    int hog_rows, hog_cols;
    float hog[AU_HOG_MAX];              /* rows·cols·31, OpenFace order */
    double geom[3 * AU_PDM_MAX_POINTS + AU_PDM_MAX_MODES];
    double pose[6];
    float landmarks3d[3 * AU_PDM_MAX_POINTS];
} au_face_features;

/* Scratch of one worker (the models are shared and read-only). */
typedef struct au_face_extractor {
    const au_pdm *pdm;
    const au_triangulation *tris;
    float *hog_scratch;
    uint8_t mask[AU_ALIGN_SIZE * AU_ALIGN_SIZE];
} au_face_extractor;

auface_status au_face_extractor_init(au_face_extractor *ex, const au_pdm *pdm,
                                     const au_triangulation *tris, au_err *err);
void au_face_extractor_release(au_face_extractor *ex);

/* Computes `out` for one frame (BGR, `stride` bytes per row). `landmarks2n` is planar;
 * when `success` is 0 the features are those of a failed frame (black face, zero
 * parameters), as OpenFace does. `fit_global`/`fit_local`, when not NULL, are the
 * CalcParams result for these landmarks already computed by the caller (the tracker fits
 * them to judge the landmarks); otherwise CalcParams runs here. */
void au_face_extract(au_face_extractor *ex, const uint8_t *bgr, int width, int height,
                     size_t stride, const float *landmarks2n, int success,
                     const float *fit_global, const float *fit_local, au_camera cam,
                     au_face_features *out);

/* The same, adding the seconds spent in the PDM fit (CalcParams, pose, 3D landmarks), the
 * alignment (warp and mask) and the features (FHOG, geometry) to the given counters. */
void au_face_extract_timed(au_face_extractor *ex, const uint8_t *bgr, int width, int height,
                           size_t stride, const float *landmarks2n, int success,
                           const float *fit_global, const float *fit_local, au_camera cam,
                           au_face_features *out, double *fit_seconds, double *align_seconds,
                           double *feature_seconds);

#endif
