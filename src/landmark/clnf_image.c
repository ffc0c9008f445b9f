#include "landmark/clnf_image.h"

#include <stdlib.h>
#include <string.h>

#include "landmark/clnf_gray.h"
#include "landmark/clnf_validator.h"

struct au_clnf_image {
    const au_clnf_model *model;
    const au_mtcnn *mtcnn;
    au_clnf_params params;
    au_clnf_fitter *fitter;
    void *validator_scratch;
    au_mtcnn_scratch *mtcnn_scratch;
    int scratch_w, scratch_h;
    uint8_t *gray;
    size_t gray_cap;
    int w, h;
    au_mtcnn_box *found;      /* the detector's boxes, grown to fit every face */
    float (*boxes)[4];        /* the same as (x, y, w, h), the fitter's input */
    int box_cap, count;
    au_clnf_fit_result fit;   /* large: kept here, not on the stack */
};

auface_status au_clnf_image_create(au_clnf_image **out, const au_clnf_model *model,
                                   const au_mtcnn *mtcnn, const au_clnf_params *params,
                                   au_err *err)
{
    *out = NULL;
    au_clnf_image *ci = calloc(1, sizeof *ci);
    if (!ci)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the CLNF image fitter");
    ci->model = model;
    ci->mtcnn = mtcnn;
    ci->params = *params;
    auface_status st = au_clnf_fitter_create(&ci->fitter, model, params, err);
    if (st == AUFACE_OK &&
        !(ci->validator_scratch = malloc(au_clnf_validator_scratch_bytes(model) + 1)))
        st = au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the validator");
    if (st != AUFACE_OK) {
        au_clnf_image_free(ci);
        return st;
    }
    *out = ci;
    return AUFACE_OK;
}

void au_clnf_image_free(au_clnf_image *ci)
{
    if (!ci)
        return;
    au_clnf_fitter_free(ci->fitter);
    au_mtcnn_scratch_free(ci->mtcnn_scratch);
    free(ci->validator_scratch);
    free(ci->gray);
    free(ci->found);
    free(ci->boxes);
    free(ci);
}

static auface_status make_gray(au_clnf_image *ci, const uint8_t *bgr, int w, int h,
                               size_t stride, au_err *err)
{
    size_t need = (size_t)w * (size_t)h;
    if (need > ci->gray_cap) {
        uint8_t *g = realloc(ci->gray, need);
        if (!g)
            return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for a %dx%d grey image", w, h);
        ci->gray = g;
        ci->gray_cap = need;
    }
    au_bgr_to_gray_opencv(bgr, w, h, stride, ci->gray, (size_t)w);
    ci->w = w;
    ci->h = h;
    return AUFACE_OK;
}

/* The MTCNN scratch grows to the largest image seen (images of a folder differ in size). */
static auface_status ensure_mtcnn_scratch(au_clnf_image *ci, int w, int h, au_err *err)
{
    if (ci->mtcnn_scratch && w <= ci->scratch_w && h <= ci->scratch_h)
        return AUFACE_OK;
    int sw = w > ci->scratch_w ? w : ci->scratch_w, sh = h > ci->scratch_h ? h : ci->scratch_h;
    au_mtcnn_scratch_free(ci->mtcnn_scratch);
    ci->mtcnn_scratch = NULL;
    auface_status st = au_mtcnn_scratch_create(&ci->mtcnn_scratch, ci->mtcnn, sw, sh,
                                               AU_MTCNN_DEFAULT_MIN_FACE, err);
    ci->scratch_w = st == AUFACE_OK ? sw : 0;
    ci->scratch_h = st == AUFACE_OK ? sh : 0;
    return st;
}

static int grow_boxes(au_clnf_image *ci, int need)
{
    if (need <= ci->box_cap)
        return 1;
    au_mtcnn_box *found = realloc(ci->found, (size_t)need * sizeof *found);
    if (found)
        ci->found = found;
    float(*boxes)[4] = realloc(ci->boxes, (size_t)need * sizeof *boxes);
    if (boxes)
        ci->boxes = boxes;
    if (!found || !boxes)
        return 0;
    ci->box_cap = need;
    return 1;
}

/* MTCNN with room for every face: FaceLandmarkImg has no limit on the number of boxes. */
static int detect_all(au_clnf_image *ci, const uint8_t *bgr, int w, int h, size_t stride,
                      au_err *err)
{
    if (!grow_boxes(ci, 64)) {
        au_fail(err, AUFACE_ERR_NOMEM, "out of memory for face boxes");
        return -1;
    }
    for (;;) {
        int n = au_mtcnn_detect(ci->mtcnn, bgr, w, h, stride, AU_MTCNN_DEFAULT_MIN_FACE,
                                ci->found, ci->box_cap, ci->mtcnn_scratch, err);
        if (n <= ci->box_cap)
            return n;
        if (!grow_boxes(ci, n)) {
            au_fail(err, AUFACE_ERR_NOMEM, "out of memory for %d face boxes", n);
            return -1;
        }
    }
}

int au_clnf_image_detect(au_clnf_image *ci, const uint8_t *bgr, int w, int h, size_t stride,
                         au_err *err)
{
    ci->count = 0;
    if (make_gray(ci, bgr, w, h, stride, err) != AUFACE_OK ||
        ensure_mtcnn_scratch(ci, w, h, err) != AUFACE_OK)
        return -1;
    int n = detect_all(ci, bgr, w, h, stride, err);
    for (int i = 0; i < n; i++) {
        ci->boxes[i][0] = ci->found[i].x;
        ci->boxes[i][1] = ci->found[i].y;
        ci->boxes[i][2] = ci->found[i].w;
        ci->boxes[i][3] = ci->found[i].h;
    }
    ci->count = n > 0 ? n : 0;
    return n;
}

const float *au_clnf_image_box(const au_clnf_image *ci, int i)
{
    return i >= 0 && i < ci->count ? ci->boxes[i] : NULL;
}

auface_status au_clnf_image_fit(au_clnf_image *ci, const float box[4], au_clnf_image_face *out,
                                au_err *err)
{
    memset(out, 0, sizeof *out);
    if (!ci->gray || ci->w <= 0)
        return au_fail(err, AUFACE_ERR_ARG, "au_clnf_image_fit: no image was given");
    /* DetectLandmarksInImageMultiHypBasic with the single hypothesis (0, 0, 0): p = 0,
     * g = CalcParams(box, rotation 0), one fit with the init windows. */
    static const float upright[3] = {0.0f, 0.0f, 0.0f};
    float g[6], p[AU_PDM_MAX_MODES];
    au_clnf_init_from_box(ci->model, box, upright, g, p);
    /* The fit leaves its (kept) fields alone when it does not compute them: start every
     * face from CLNF::Read's value, so nothing carries over from the previous face. */
    ci->fit.model_likelihood = -10.0f;
    auface_status st = au_clnf_fit(ci->fitter, ci->gray, ci->w, ci->h, (size_t)ci->w, g, p,
                                   ci->params.window_sizes_init, &ci->params, &ci->fit, err);
    if (st != AUFACE_OK)
        return st;
    /* CLNF::DetectLandmarks: the validator runs only after a fit that did not stop with
     * "face too small"; without it the certainty is 0 (IMAGE_SPEC §3 item 4). */
    if (ci->params.validate_detections && ci->fit.fit_ok) {
        const float orientation[3] = {ci->fit.global[1], ci->fit.global[2], ci->fit.global[3]};
        out->certainty = au_clnf_validate(ci->model, orientation, ci->gray, ci->w, ci->h,
                                          (size_t)ci->w, ci->fit.landmarks,
                                          ci->validator_scratch);
        out->success = au_clnf_validation_success(out->certainty);
    } else {
        out->success = ci->fit.fit_ok;
        out->certainty = ci->fit.fit_ok ? 1.0 : 0.0;
    }
    out->fit = &ci->fit;
    return AUFACE_OK;
}
