#include "pipeline/tracker.h"

#include <math.h>
#include <string.h>

#include "detect/retinaface.h"
#include "detect/yunet.h"
#include "face/calcparams.h"
#include "pipeline/face_anchor.h"

/* RMS fit residual (model units) at which confidence is 0.5; see au_fit_confidence. */
#define FIT_RESIDUAL_HALF 2.0

int au_detect_with_retinaface(void *detector, const uint8_t *bgr, int w, int h, size_t stride,
                              au_face_box *out, int max_out, au_err *err)
{
    return au_retinaface_detect(detector, bgr, w, h, stride, out, max_out, err);
}

int au_detect_with_yunet(void *detector, const uint8_t *bgr, int w, int h, size_t stride,
                         au_face_box *out, int max_out, au_err *err)
{
    return au_yunet_detect(detector, bgr, w, h, stride, out, max_out, err);
}

void au_tracker_init(au_tracker *t, au_tracker_config cfg, const au_pdm *pdm,
                     au_detect_fn detect, void *detector, au_pfld *pfld)
{
    memset(t, 0, sizeof *t);
    if (cfg.detect_interval < 1)
        cfg.detect_interval = 1;
    t->cfg = cfg;
    t->pdm = pdm;
    t->detect = detect;
    t->detector = detector;
    t->pfld = pfld;
}

void au_tracker_reset(au_tracker *t)
{
    t->have_previous = 0;
    t->have_reference = 0;
}

double au_fit_confidence(const au_pdm *pdm, const float *landmarks2n, const float global[6],
                         const float *local)
{
    const int n = pdm->n;
    float fitted[2 * AU_PDM_MAX_POINTS];
    au_pdm_shape2d(pdm, global, local, fitted);
    double sum = 0.0;
    for (int i = 0; i < 2 * n; i++) {
        double d = (double)landmarks2n[i] - fitted[i];
        sum += d * d;
    }
    if (!(global[0] > 0.0f) || !isfinite(sum))
        return 0.0;
    double rms = sqrt(sum / n) / global[0];
    double q = rms / FIT_RESIDUAL_HALF;
    return 1.0 / (1.0 + q * q);
}

void au_box_from_landmarks(const float *landmarks2n, int n, au_face_box *box)
{
    au_face_box lb;
    au_pfld_box_from_landmarks(landmarks2n, n, &lb);
    /* RetinaFace's box is about as wide as the 68 landmarks but reaches higher, over the
     * forehead: measured on the reference detections, height 1.27x the landmarks' and the
     * centre 0.12 of that height above theirs. */
    float w = lb.x2 - lb.x1, h = (lb.y2 - lb.y1) * 1.27f;
    float cx = 0.5f * (lb.x1 + lb.x2), cy = 0.5f * (lb.y1 + lb.y2) - 0.12f * h;
    memset(box, 0, sizeof *box);
    box->x1 = cx - 0.5f * w;
    box->x2 = cx + 0.5f * w;
    box->y1 = cy - 0.5f * h;
    box->y2 = cy + 0.5f * h;
    box->score = 1.0f;
}

auface_status au_tracker_fit_box(au_tracker *t, const uint8_t *bgr, int w, int h,
                                 size_t stride, const au_face_box *box, au_track_result *out,
                                 au_err *err)
{
    auface_status st = au_pfld_fit(t->pfld, bgr, w, h, stride, box, out->landmarks, err);
    if (st != AUFACE_OK)
        return st;
    au_calc_params(t->pdm, out->landmarks, out->global, out->local);
    out->confidence = au_fit_confidence(t->pdm, out->landmarks, out->global, out->local);
    out->success = out->confidence >= t->cfg.min_confidence;
    return AUFACE_OK;
}

#define MAX_FACES 64

static auface_status detect_and_fit(au_tracker *t, const uint8_t *bgr, int w, int h,
                                    size_t stride, au_track_result *out, au_err *err)
{
    au_face_box boxes[MAX_FACES];
    out->detected = 1;
    int count = t->detect(t->detector, bgr, w, h, stride, boxes, MAX_FACES, err);
    if (count < 0)
        return err ? err->status : AUFACE_ERR_INTERNAL;
    /* Keep the person followed so far when the detector sees several faces. */
    int best = au_anchor_choose(boxes, count, t->have_reference ? &t->reference : NULL);
    if (best < 0)
        return AUFACE_OK;
    au_err crop_err;
    /* A box that lies outside the image cannot be cropped: treat it as no face. */
    if (au_tracker_fit_box(t, bgr, w, h, stride, &boxes[best], out, &crop_err) != AUFACE_OK)
        out->success = 0;
    return AUFACE_OK;
}

/* Remembers the outcome of a frame: its landmarks crop the next frame, and successful ones
 * are the face the next re-detection should find again. */
static void remember(au_tracker *t, const au_track_result *out)
{
    const int n = t->pdm->n;
    t->have_previous = out->success;
    if (!out->success)
        return;
    memcpy(t->previous, out->landmarks, sizeof(float) * 2 * (size_t)n);
    au_box_from_landmarks(out->landmarks, n, &t->reference);
    t->have_reference = 1;
}

/* The landmarks in the anchor box chosen before the step (the detector ran for it). */
static void fit_anchor(au_tracker *t, const uint8_t *bgr, int w, int h, size_t stride,
                       const au_track_anchor *anchor, au_track_result *out)
{
    out->detected = 1;
    if (!anchor->found)
        return;
    t->reference = anchor->box;
    t->have_reference = 1;
    au_err crop_err;
    /* A box that lies outside the image cannot be cropped: treat it as no face. */
    if (au_tracker_fit_box(t, bgr, w, h, stride, &anchor->box, out, &crop_err) != AUFACE_OK)
        out->success = 0;
}

auface_status au_tracker_step_anchored(au_tracker *t, const uint8_t *bgr, int w, int h,
                                       size_t stride, long index, const au_track_anchor *anchor,
                                       au_track_result *out, au_err *err)
{
    memset(out, 0, sizeof *out);
    const int n = t->pdm->n;
    int scheduled = index % t->cfg.detect_interval == 0;
    if (t->have_previous && !scheduled) {
        au_face_box box;
        au_err crop_err;
        au_box_from_landmarks(t->previous, n, &box);
        if (au_tracker_fit_box(t, bgr, w, h, stride, &box, out, &crop_err) == AUFACE_OK &&
            out->success) {
            remember(t, out);
            return AUFACE_OK;
        }
        memset(out, 0, sizeof *out);
    }
    if (scheduled && anchor && anchor->given) {
        fit_anchor(t, bgr, w, h, stride, anchor, out);
    } else {
        auface_status st = detect_and_fit(t, bgr, w, h, stride, out, err);
        if (st != AUFACE_OK)
            return st;
    }
    remember(t, out);
    return AUFACE_OK;
}

auface_status au_tracker_step(au_tracker *t, const uint8_t *bgr, int w, int h, size_t stride,
                              long index, au_track_result *out, au_err *err)
{
    return au_tracker_step_anchored(t, bgr, w, h, stride, index, NULL, out, err);
}
