/* RetinaFace (mobilenet0.25) face detector on the nn runtime: letterbox input, network,
 * priors, decoding and NMS (reference/nn/README.md). One instance per thread; the network
 * weights (au_nn_model) are shared read-only. */
#ifndef AU_DETECT_RETINAFACE_H
#define AU_DETECT_RETINAFACE_H

#include <stddef.h>
#include <stdint.h>

#include "detect/face_box.h"
#include "nn/graph.h"

/* The network runs on the frame itself when its longer side is at most this many pixels,
 * otherwise on the frame scaled down to it (the training resolution of the model). */
#define AU_RETINAFACE_MAX_SIDE 640
/* biubug6 detect.py / pyfaceau: score > 0.5, NMS IoU 0.4. */
#define AU_RETINAFACE_SCORE 0.5
#define AU_RETINAFACE_NMS 0.4

typedef struct au_retinaface au_retinaface;

auface_status au_retinaface_create(au_retinaface **out, const au_nn_model *model, au_err *err);

/* Detects faces in an 8-bit BGR image; returns their number (≤ max_out), in descending
 * score order, or -1 on error. The network is planned again only when the frame size
 * changes. */
int au_retinaface_detect(au_retinaface *rf, const uint8_t *bgr, int w, int h, size_t stride,
                         au_face_box *out, int max_out, au_err *err);

void au_retinaface_destroy(au_retinaface *rf);

#endif
