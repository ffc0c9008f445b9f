/* PFLD 68-point landmarks around the network: the square crop from a face box, the 112x112
 * input tensor, and the mapping of the output back to image pixels.
 *
 * Source: pyfaceau detectors/pfld.py (CunjianPFLDDetector.detect_landmarks), PIPELINE_SPEC.md
 * §2.1 and ../shared/reference/nn/README.md ("PFLD: preprocessing, exactly"), with one
 * deliberate difference: landmarks are mapped back through the square the network saw (the
 * padded, unclipped crop), not through pyfaceau's clipped rectangle, which is wrong whenever the
 * crop was padded (issue 3).
 * Nothing here allocates memory or keeps state. */
#ifndef AU_LANDMARK_PFLD_IO_H
#define AU_LANDMARK_PFLD_IO_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "detect/face_box.h"

#define AU_PFLD_INPUT_SIZE 112 /* network input: 1 x 3 x 112 x 112 */
#define AU_PFLD_POINTS 68      /* network output: 136 values x0, y0, ..., x67, y67 in [0, 1] */

/* The square the network sees, in integer image pixels (x2, y2 exclusive). */
typedef struct au_pfld_crop {
    /* the square [sq_x1, sq_x1 + size) x [sq_y1, sq_y1 + size) */
    int sq_x1, sq_y1, size;
    /* its intersection with the image */
    int clip_x1, clip_y1, clip_x2, clip_y2;
    /* the parts of the square outside the image (black in the network input) */
    int pad_top, pad_bottom, pad_left, pad_right;
} au_pfld_crop;

/* pyfaceau's crop rule for a face box in a img_w x img_h image:
 *  1. x_min = (int)box->x1, y_min = (int)box->y1, x_max = (int)box->x2, y_max = (int)box->y2
 *     (truncation toward zero, numpy astype(int));
 *  2. w = x_max − x_min, h = y_max − y_min, size = (int)(max(w, h)·1.1),
 *     cx = (int)(x_min + w/2.0), cy = (int)(y_min + h/2.0)  (double, truncated);
 *  3. sq_x1 = cx − size/2, sq_y1 = cy − size/2 (integer halves; size > 0);
 *  4. the clip to the image and the four pads (max(0, −sq_y1), max(0, sq_y1+size − img_h), ...).
 * Fails with AUFACE_ERR_ARG (message giving the box) when a coordinate is not finite or beyond
 * ±1e9, when size ≤ 0, or when the square does not overlap the image; `*crop` is then zeroed. */
auface_status au_pfld_crop_from_box(const au_face_box *box, int img_w, int img_h,
                                    au_pfld_crop *crop, au_err *err);

/* The network input for `crop` of an 8-bit BGR image (w x h, row stride `stride` bytes):
 * the square with black outside the image (cv::copyMakeBorder BORDER_CONSTANT 0), resized to
 * 112 x 112 as cv::resize(uint8, (112, 112)) (au_resize_bilinear_u8c3_window: OpenCV's 11-bit
 * fixed-point bilinear), then RGB planes of value / 255.0f: input_nchw[c·112·112 + y·112 + x]
 * with c = 0, 1, 2 for R, G, B (3·112·112 floats, all written). Uses 37 KB of stack. */
void au_pfld_input(const uint8_t *bgr, int w, int h, size_t stride, const au_pfld_crop *crop,
                   float *input_nchw);

/* Maps the 136 network outputs (u0, v0, u1, v1, ...) to image pixels through the unclipped
 * square: x = sq_x1 + u·size, y = sq_y1 + v·size (double, stored as float), written in
 * OpenFace's planar order: landmarks2n_planar[i] = x_i, landmarks2n_planar[68 + i] = y_i. */
void au_pfld_landmarks(const float *output136, const au_pfld_crop *crop,
                       float *landmarks2n_planar);

/* Face box for tracking: the bounding box of the n points of the previous frame
 * (landmarks2n planar: x_0..x_{n-1}, y_0..y_{n-1}), score 1, landmarks zero; feed it to
 * au_pfld_crop_from_box so that tracking uses the same crop rule as detection.
 * Choice to tune: this box is tighter than a RetinaFace box of the same face. On the 12
 * reference PFLD cases (reference/nn/pfld/manifest.json, detector box vs the PFLD landmarks
 * found in it) the detector box is 0.89–1.06 (median ≈ 1.0) times as wide and 1.10–1.43
 * (median ≈ 1.27) times as tall as the landmarks' box, with its centre ≈ 0.12 of its height
 * higher (the forehead), so the tracked crop is ~20 % smaller than the first frame's.
 * Ignores non-finite points; a box of zeros (score 0) if there is none. */
void au_pfld_box_from_landmarks(const float *landmarks2n, int n, au_face_box *box);

#endif
