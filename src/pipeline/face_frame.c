#include "pipeline/face_frame.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "face/calcparams.h"
#include "face/geom.h"
#include "face/similarity.h"
#include "math/warp_affine.h"

auface_status au_face_extractor_init(au_face_extractor *ex, const au_pdm *pdm,
                                     const au_triangulation *tris, au_err *err)
{
    memset(ex, 0, sizeof *ex);
    ex->pdm = pdm;
    ex->tris = tris;
    ex->hog_scratch = malloc(sizeof(float) *
                             au_fhog_scratch_floats(AU_ALIGN_SIZE, AU_ALIGN_SIZE, 8));
    if (!ex->hog_scratch)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for HOG scratch");
    return AUFACE_OK;
}

void au_face_extractor_release(au_face_extractor *ex)
{
    free(ex->hog_scratch);
    ex->hog_scratch = NULL;
}

/* Face_utils.cpp AlignFaceMask: the mask is built from all detected landmarks mapped by
 * the similarity, with the brow and jaw-corner points lifted by (30/0.7)·sim_scale px so
 * that the forehead is kept. */
static void build_mask(au_face_extractor *ex, const float warp[6], const float *landmarks2n)
{
    static const int lifted[] = {0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26};
    const int n = ex->pdm->n;
    float pts[2 * AU_PDM_MAX_POINTS];
    au_warp_points(warp, landmarks2n, n, pts);
    for (size_t k = 0; k < sizeof lifted / sizeof lifted[0]; k++) {
        float *y = &pts[n + lifted[k]];
        *y = (float)((double)*y - (30.0 / 0.7) * (double)AU_ALIGN_SCALE);
    }
    au_paw_mask(ex->tris, pts, n, AU_ALIGN_SIZE, AU_ALIGN_SIZE, ex->mask);
}

static void align_face(au_face_extractor *ex, const uint8_t *bgr, int width, int height,
                       size_t stride, const float *landmarks2n, au_face_features *out)
{
    float warp[6];
    au_align_similarity_warp(ex->pdm, landmarks2n, out->global[4], out->global[5],
                             AU_ALIGN_SCALE, AU_ALIGN_SIZE, AU_ALIGN_SIZE, warp);
    au_warp_affine_u8c3(bgr, width, height, stride, warp, out->aligned, AU_ALIGN_SIZE,
                        AU_ALIGN_SIZE, AU_ALIGN_SIZE * 3);
    build_mask(ex, warp, landmarks2n);
    au_apply_mask_u8c3(out->aligned, AU_ALIGN_SIZE, AU_ALIGN_SIZE, AU_ALIGN_SIZE * 3,
                       ex->mask);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void au_face_extract_timed(au_face_extractor *ex, const uint8_t *bgr, int width, int height,
                           size_t stride, const float *landmarks2n, int success,
                           const float *fit_global, const float *fit_local, au_camera cam,
                           au_face_features *out, double *fit_seconds, double *align_seconds,
                           double *feature_seconds)
{
    const au_pdm *pdm = ex->pdm;
    double t0 = seconds_now(), t1 = t0, t2 = t0;
    out->success = success;
    memset(out->global, 0, sizeof out->global);
    memset(out->local, 0, sizeof out->local);
    memset(out->pose, 0, sizeof out->pose);
    memset(out->landmarks3d, 0, sizeof out->landmarks3d);
    if (success) {
        if (fit_global && fit_local) {
            memcpy(out->global, fit_global, sizeof out->global);
            memcpy(out->local, fit_local, sizeof(float) * (size_t)pdm->m);
        } else {
            au_calc_params(pdm, landmarks2n, out->global, out->local);
        }
        au_head_pose(pdm, out->global, out->local, landmarks2n, cam, out->pose);
        au_landmarks_3d(pdm, out->global, out->local, landmarks2n, cam, out->landmarks3d);
        t1 = seconds_now();
        align_face(ex, bgr, width, height, stride, landmarks2n, out);
        t2 = seconds_now();
    } else {
        memset(out->aligned, 0, sizeof out->aligned);
    }
    au_fhog_dims(AU_ALIGN_SIZE, AU_ALIGN_SIZE, 8, &out->hog_rows, &out->hog_cols);
    au_fhog_extract_bgr(out->aligned, AU_ALIGN_SIZE, AU_ALIGN_SIZE, AU_ALIGN_SIZE * 3, 8,
                        ex->hog_scratch, out->hog);
    au_geom_features(pdm, out->local, success, out->geom);
    double t3 = seconds_now();
    if (fit_seconds)
        *fit_seconds += success ? t1 - t0 : 0.0;
    if (align_seconds)
        *align_seconds += success ? t2 - t1 : 0.0;
    if (feature_seconds)
        *feature_seconds += success ? t3 - t2 : t3 - t0;
}

void au_face_extract(au_face_extractor *ex, const uint8_t *bgr, int width, int height,
                     size_t stride, const float *landmarks2n, int success,
                     const float *fit_global, const float *fit_local, au_camera cam,
                     au_face_features *out)
{
    au_face_extract_timed(ex, bgr, width, height, stride, landmarks2n, success, fit_global,
                          fit_local, cam, out, NULL, NULL, NULL);
}
