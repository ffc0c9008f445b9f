/* YuNet (opencv_zoo face_detection_yunet_2023mar) face detector on the nn runtime: what OpenCV's
 * cv::FaceDetectorYN does with that model (OpenCV 4.8+ modules/objdetect/src/face_detect.cpp,
 * FaceDetectorYNImpl::detect / postProcess / padWithDivisor), with the frame first scaled so
 * its longer side is at most AU_YUNET_MAX_SIDE (as au_retinaface does), and the boxes turned
 * into RetinaFace-equivalent boxes so the rest of the pipeline can use either detector.
 * One instance per thread; the network weights (au_nn_model) are shared read-only.
 *
 * Steps of au_yunet_detect for an 8-bit BGR frame of w x h pixels:
 *  1. s = AU_YUNET_MAX_SIDE / max(w, h) if max(w, h) > AU_YUNET_MAX_SIDE, else 1. When s != 1
 *     the frame is resized as cv::resize(float32(img), Size(), s, s, INTER_LINEAR)
 *     (au_resize_bilinear_u8c3_to_f32_scale, round(w·s) x round(h·s) pixels).
 *  2. Network input: the (scaled) frame as float B, G, R values 0..255 — no mean, no scaling
 *     (dnn::blobFromImage with its defaults) — padded with zeros on the right and bottom to
 *     multiples of 32 (padWithDivisor: copyMakeBorder BORDER_CONSTANT 0; divisor 32), which
 *     YuNet's FPN needs.
 *  3. Outputs cls_S, obj_S [cells x 1], bbox_S [cells x 4], kps_S [cells x 10] for the strides
 *     S = 8, 16, 32; cell index = row·(net_w/S) + col. In float, as postProcess:
 *       score = sqrt(clamp(cls, 0, 1)·clamp(obj, 0, 1)); cells with score < AU_YUNET_SCORE
 *       are skipped;
 *       cx = (col + b0)·S, cy = (row + b1)·S, bw = exp(b2)·S, bh = exp(b3)·S,
 *       x1 = cx − bw/2, y1 = cy − bh/2;  landmark k = ((k2k + col)·S, (k2k+1 + row)·S).
 *  4. When more than one cell passed: dnn::NMSBoxes(boxes, scores, AU_YUNET_SCORE, AU_YUNET_NMS,
 *     eta 1, top_k AU_YUNET_TOP_K) on the integer boxes Rect2i(int(x1), int(y1), int(bw),
 *     int(bh)) (truncation): candidates with score > AU_YUNET_SCORE (strict, here), stable
 *     sort by descending score, the first AU_YUNET_TOP_K kept, then greedily a box is kept when
 *     its overlap 1 − jaccardDistance (intersection area / union area of the integer
 *     rectangles, no "+1") with every box kept before is ≤ AU_YUNET_NMS
 *     (modules/dnn/src/nms.inl.hpp NMSFast_, nms.cpp rectOverlap). Output in that order.
 *  5. Coordinates are divided by s (original-image pixels), then the box becomes the
 *     RetinaFace-equivalent box of au_yunet_box_to_retinaface; the landmarks are kept.
 * Landmark order: YuNet's (right eye, left eye, nose tip, right mouth corner, left mouth
 * corner, of the subject) is RetinaFace's order (image-left eye first for a frontal face). */
#ifndef AU_DETECT_YUNET_H
#define AU_DETECT_YUNET_H

#include <stddef.h>
#include <stdint.h>

#include "detect/face_box.h"
#include "nn/graph.h"

/* The network runs on the frame itself when its longer side is at most this many pixels,
 * otherwise on the frame scaled down to it (as AU_RETINAFACE_MAX_SIDE). */
#define AU_YUNET_MAX_SIDE 640
/* opencv_zoo models/face_detection_yunet demo.py defaults (--conf_threshold 0.9,
 * --nms_threshold 0.3, --top_k 5000), also cv::FaceDetectorYN::create's defaults. */
#define AU_YUNET_SCORE 0.9f
#define AU_YUNET_NMS 0.3f
#define AU_YUNET_TOP_K 5000

/* YuNet box -> RetinaFace box of the same face (au_yunet_box_to_retinaface), relative to
 * YuNet's box: centre offset (RetinaFace − YuNet) / YuNet's width or height, and size ratios
 * RetinaFace / YuNet. Measured with this detector (native boxes) against RetinaFace:
 *  - reference images (the brief's set: reference/nn/media/default_f000, _f100, _f200,
 *    _f000_tl and media/sample1..6, faces of reference/nn/retinaface/ *.dets.txt and extra/,
 *    23 faces, YuNet's threshold lowered to 0.5 so sample2's faces at 0.890 and 0.8999 count):
 *      dx −0.0002 (sd 0.0225, −0.042..0.042)   dy +0.0077 (sd 0.0288, −0.055..0.077)
 *      sw  1.0012 (sd 0.0395,  0.889..1.043)   sh 1.0028 (sd 0.0505,  0.883..1.116)
 *  - cross-check, our au_retinaface on the same frames as YuNet, every 10th frame of
 *    default.wmv (29 faces), 2015-10-15-15-14.avi (85), changeLighting.wmv (9),
 *    multi_face.avi (211) and all of image_sequence/ (30): per-source means
 *      dx −0.0061..+0.0095, dy −0.0169..+0.0082, sw 1.0076..1.0395, sh 0.9942..1.0120,
 *    per-face sd 0.007..0.018 (dx), 0.008..0.019 (dy), 0.012..0.033 (sw), 0.010..0.053 (sh).
 * The two detectors frame a face almost alike: the systematic part is 1–2 % of the box, below
 * the per-face spread (2–5 %). The constants are the means over the six sources, each source
 * weighted equally (sd of the six source means: dx 0.006, dy 0.011, sw 0.015, sh 0.007). */
#define AU_YUNET_RF_DX (-0.0014f)
#define AU_YUNET_RF_DY (-0.0047f)
#define AU_YUNET_RF_SW 1.0177f
#define AU_YUNET_RF_SH 1.0022f

typedef struct au_yunet au_yunet;

/* Creates a detector for `model` (which must outlive it). The network is planned at the
 * first detection. Errors: AUFACE_ERR_NOMEM. */
auface_status au_yunet_create(au_yunet **out, const au_nn_model *model, au_err *err);

/* Detects faces in an 8-bit BGR image (w x h pixels, row stride `stride` bytes); writes at
 * most max_out faces to `out` in descending score order (the first max_out of the full
 * result) and returns their number, or -1 on error (err says why: a model without YuNet's
 * outputs, out of memory). Boxes are RetinaFace-equivalent (au_yunet_box_to_retinaface).
 * The network is planned again only when the frame size changes (that allocates); otherwise
 * nothing is allocated. Cost: one network run on the frame padded to multiples of 32. */
int au_yunet_detect(au_yunet *yn, const uint8_t *bgr, int w, int h, size_t stride,
                    au_face_box *out, int max_out, au_err *err);

/* au_yunet_detect without the last conversion: YuNet's own boxes (OpenCV's (x1, y1, w, h)
 * as corners x1, y1, x1 + w, y1 + h), in original-image pixels. */
int au_yunet_detect_native(au_yunet *yn, const uint8_t *bgr, int w, int h, size_t stride,
                           au_face_box *out, int max_out, au_err *err);

/* Replaces YuNet's box in `box` by the box RetinaFace (au_retinaface) puts around the same
 * face, from constants measured on the reference images (see yunet.c): with YuNet's centre
 * (cx, cy) and size (bw, bh), the new box has centre (cx + AU_YUNET_RF_DX·bw,
 * cy + AU_YUNET_RF_DY·bh) and size (AU_YUNET_RF_SW·bw, AU_YUNET_RF_SH·bh). Score and
 * landmarks are unchanged. */
void au_yunet_box_to_retinaface(au_face_box *box);

/* Frees the detector; NULL is a no-op. */
void au_yunet_destroy(au_yunet *yn);

#endif
