/* RetinaFace (mobilenet0.25, biubug6/Pytorch_Retinaface cfg_mnet) around the network: the
 * letterboxed input tensor, the prior boxes, and the decoding + NMS of the three outputs into
 * faces in image pixels.
 *
 * Source: biubug6 Pytorch_Retinaface (data/config.py cfg_mnet, layers/functions/prior_box.py
 * PriorBox, utils/box_utils.py decode / decode_landm, utils/nms/py_cpu_nms.py) and pyfaceau
 * detectors/retinaface.py (preprocess_image), as specified in PIPELINE_SPEC.md §1.3 and
 * ../shared/reference/nn/README.md ("RetinaFace: preprocessing", "post-processing").
 *
 * Outputs of the network (row r belongs to prior r, see au_retinaface_priors):
 *   loc    [P x 4]  box offsets (d_cx, d_cy, d_w, d_h)
 *   conf   [P x 2]  softmaxed (background, face); the score is conf[2r + 1]
 *   landms [P x 10] 5 landmark offsets (dx0, dy0, ..., dx4, dy4)
 * Nothing here allocates memory or keeps state. */
#ifndef AU_DETECT_RETINAFACE_POST_H
#define AU_DETECT_RETINAFACE_POST_H

#include <stddef.h>
#include <stdint.h>

#include "detect/face_box.h"

/* Mean BGR colour subtracted from the input (pyfaceau preprocess_image, biubug6 detect.py). */
#define AU_RETINAFACE_MEAN_B 104.0f
#define AU_RETINAFACE_MEAN_G 117.0f
#define AU_RETINAFACE_MEAN_R 123.0f

/* Letterbox scale for a w x h image into a net_w x net_h input:
 * s = min(net_w / w, net_h / h) in double. For the square 640 network this is pyfaceau's
 * 640 / max(H, W). Returns 0 when a size is not positive. */
double au_retinaface_scale(int w, int h, int net_w, int net_h);

/* Builds the network input (1 x 3 x net_h x net_w, NCHW, channels B, G, R) from an 8-bit BGR
 * image of w x h pixels (row stride `stride` bytes):
 *  1. s = au_retinaface_scale(w, h, net_w, net_h); if s != 1 the image is resized as
 *     cv::resize(float32(img), Size(), s, s, INTER_LINEAR) (au_resize_bilinear_u8c3_to_f32_scale;
 *     round(w·s) x round(h·s) pixels), otherwise used as is;
 *  2. the mean (104, 117, 123) is subtracted from B, G, R;
 *  3. the result is placed at the top-left of the input; every other value is 0 (the mean
 *     colour before subtraction).
 * The whole tensor is written. `*scale_out` receives s (0 when a size is not positive, in
 * which case the tensor is all zeros), the factor that au_retinaface_decode divides by.
 * Cost: one pass over the input tensor plus ~12 operations per resized value. */
void au_retinaface_input(const uint8_t *bgr, int w, int h, size_t stride, int net_w, int net_h,
                         float *input_nchw, double *scale_out);

/* Number of priors for a net_w x net_h input: Σ over steps 8, 16, 32 of
 * ceil(net_h/step)·ceil(net_w/step)·2 (16800 for 640 x 640). 0 if a size is not positive. */
size_t au_retinaface_num_priors(int net_w, int net_h);

/* Writes the priors, 4 floats each (cx, cy, w, h) relative to the input size, in PriorBox
 * order: level k (step 8, 16, 32, min_sizes {16,32}, {64,128}, {256,512}) → row i
 * (ceil(net_h/step) rows) → column j → min_size m:
 *   cx = (j + 0.5)·step / net_w,  cy = (i + 0.5)·step / net_h,  w = m / net_w,  h = m / net_h
 * (computed in double, stored as float). `priors4` holds 4·au_retinaface_num_priors floats. */
void au_retinaface_priors(int net_w, int net_h, float *priors4);

/* Scratch bytes au_retinaface_decode needs for `num_priors` priors (any alignment). */
size_t au_retinaface_scratch_bytes(int num_priors);

/* Decodes the network outputs into faces, in image pixels of the original image:
 *  - candidates: priors whose score conf[2r+1] > score_threshold (strict; RetinaFace uses 0.5);
 *  - box (in double): cx = pcx + l0·0.1·pw, cy = pcy + l1·0.1·ph, bw = pw·exp(l2·0.2),
 *    bh = ph·exp(l3·0.2); x1 = cx − bw/2, y1 = cy − bh/2, x2 = x1 + bw, y2 = y1 + bh; then
 *    x·net_w / scale and y·net_h / scale (variances 0.1, 0.2 of cfg_mnet);
 *  - landmarks: (pcx + d[2k]·0.1·pw, pcy + d[2k+1]·0.1·ph), scaled the same way;
 *  - greedy NMS (py_cpu_nms) in descending score (equal scores: higher prior index first, as
 *    numpy's argsort()[::-1]) on the boxes in image pixels, with "+1" areas
 *    (x2 − x1 + 1)(y2 − y1 + 1) and intersections max(0, xx2 − xx1 + 1)·max(0, yy2 − yy1 + 1);
 *    a box is dropped when its IoU with a kept box is > nms_iou (RetinaFace uses 0.4).
 *    Boxes are not clipped to the image; there is no top-k.
 * Writes at most max_out faces to `out` in descending score order and returns their number
 * (the first max_out faces of the full result). `scratch` holds
 * au_retinaface_scratch_bytes(num_priors) bytes. Returns 0 if an argument is invalid.
 * Cost: one pass over the scores, a sort of the candidates, NMS in O(max_out·candidates). */
int au_retinaface_decode(const float *loc, const float *conf, const float *landms,
                         const float *priors, int num_priors, int net_w, int net_h, double scale,
                         double score_threshold, double nms_iou, au_face_box *out, int max_out,
                         void *scratch);

#endif
