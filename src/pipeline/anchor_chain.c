#include "pipeline/anchor_chain.h"

#include <stdlib.h>

#include "detect/retinaface.h"
#include "detect/yunet.h"
#include "pipeline/face_anchor.h"

/* As many faces as the tracker's own detections consider. */
#define CHAIN_MAX_FACES 64

struct au_anchor_chain {
    au_retinaface *retinaface;    /* one of the two, per kind */
    au_yunet *yunet;
    int detect_interval;
    int have_previous;
    au_face_box previous;         /* the anchor chosen at the last scheduled frame */
    double seconds;
};

auface_status au_anchor_chain_create(au_anchor_chain **out, au_detector_kind kind,
                                     const au_nn_model *model, int detect_interval, au_err *err)
{
    *out = NULL;
    au_anchor_chain *c = calloc(1, sizeof *c);
    if (!c)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the face anchor chain");
    c->detect_interval = detect_interval > 0 ? detect_interval : 1;
    auface_status st = kind == AU_DETECTOR_YUNET ? au_yunet_create(&c->yunet, model, err)
                                                 : au_retinaface_create(&c->retinaface, model,
                                                                        err);
    if (st != AUFACE_OK) {
        au_anchor_chain_free(c);
        return st;
    }
    *out = c;
    return AUFACE_OK;
}

void au_anchor_chain_free(au_anchor_chain *c)
{
    if (!c)
        return;
    au_retinaface_destroy(c->retinaface);
    au_yunet_destroy(c->yunet);
    free(c);
}

void au_anchor_chain_reset(au_anchor_chain *c)
{
    c->have_previous = 0;
    c->seconds = 0.0;
}

static int detect_faces(au_anchor_chain *c, const au_frame_input *in, au_face_box *boxes,
                        au_err *err)
{
    if (c->yunet)
        return au_yunet_detect(c->yunet, in->bgr, in->width, in->height, in->stride, boxes,
                               CHAIN_MAX_FACES, err);
    return au_retinaface_detect(c->retinaface, in->bgr, in->width, in->height, in->stride,
                                boxes, CHAIN_MAX_FACES, err);
}

auface_status au_anchor_chain_step(au_anchor_chain *c, au_frame_input *in, au_err *err)
{
    if (in->index % c->detect_interval != 0)
        return AUFACE_OK;
    au_face_box boxes[CHAIN_MAX_FACES];
    double t0 = au_now_seconds();
    int count = detect_faces(c, in, boxes, err);
    c->seconds += au_now_seconds() - t0;
    if (count < 0)
        return err->status;
    int best = au_anchor_choose(boxes, count, c->have_previous ? &c->previous : NULL);
    in->anchor.given = 1;
    in->anchor.found = best >= 0;
    if (best >= 0) {
        in->anchor.box = boxes[best];
        c->previous = boxes[best];
        c->have_previous = 1;
    }
    return AUFACE_OK;
}

double au_anchor_chain_seconds(const au_anchor_chain *c)
{
    return c ? c->seconds : 0.0;
}
