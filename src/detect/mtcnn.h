/* OpenFace's MTCNN face detector, reproduced exactly.
 *
 * Source: OpenFace 2.2 FaceDetectorMTCNN.cpp — FaceDetectorMTCNN::Read, DetectFaces,
 * generate_bounding_boxes, non_maximum_supression, apply_correction, rectify; CNN_utils.cpp
 * for the layers (mtcnn_cnn.h). Specification: CLNF_SPEC.md §9 (and §2.9 for the files,
 * §12.4–12.5 for OpenCV's resize and exp).
 *
 * Pipeline (everything per OpenFace, see mtcnn.c for the exact arithmetic of each step):
 *  1. Pyramid: num_scales = floor(ln(min_face/min(W,H)) / ln(0.709)) + 1; scale_i =
 *     (12/min_face)·0.709^i; level i = cv::resize(INTER_LINEAR) of the float BGR frame to
 *     ceil(W·scale_i) x ceil(H·scale_i), normalised (v − 127.5)·0.0078125, planes R, G, B.
 *  2. PNet per level; p = 1/(1 + exp(l0 − l1)) with OpenCV's cv::exp; every cell with
 *     p ≥ 0.6 gives the box (trunc((2x+1)/s), trunc((2y+1)/s)) – (trunc((2x+12)/s), ...),
 *     scanned column by column; NMS 0.5 Union per level; all levels; NMS 0.7 Union;
 *     box regression; squaring (rectify).
 *  3. RNet on 24x24 crops (zero padded outside the frame); p ≥ 0.7; NMS 0.7 Union;
 *     regression; squaring.
 *  4. ONet on 48x48 crops; p ≥ 0.7; regression with +1 on the box size; NMS 0.7 Min.
 *  5. Calibration: x −= 0.0075·w, y += 0.2459·h, w ·= 1.0323, h ·= 0.7751.
 * NMS overlaps are measured on the boxes rounded to integer cv::Rects (cvRound, ties to
 * even); the same rounding starts each box regression.
 *
 * Numerics: every step is bit-exact with the reference build (OpenFace 2.2, OpenCV 4.6,
 * OpenBLAS 0.3.21): OpenCV's resize, exp and GEMM are reproduced, and the convolutions and
 * the large fully connected layers follow OpenBLAS's Haswell sgemm summation order
 * (mtcnn_cnn.h). On frame 1 of default.wmv the box equals OpenFace's to every printed
 * digit. (OpenFace itself gives slightly different sums with another OpenBLAS kernel.)
 *
 * Deliberate differences, for inputs where OpenFace fails: a candidate whose crop does not
 * overlap the frame makes OpenCV throw inside OpenFace (empty ROI); here its crop is black.
 * A box with a negative size after regression (OpenCV would throw) or a side of 2^30 px or
 * more is dropped.
 *
 * Threads: a loaded au_mtcnn is read-only and may be shared; each thread needs its own
 * au_mtcnn_scratch. Detection allocates nothing. */
#ifndef AU_DETECT_MTCNN_H
#define AU_DETECT_MTCNN_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* FaceDetectorMTCNN.h DetectFaces: default min_face_size = 60 (pixels). */
#define AU_MTCNN_DEFAULT_MIN_FACE 60.0f

typedef struct au_mtcnn au_mtcnn;
typedef struct au_mtcnn_scratch au_mtcnn_scratch;

/* One detection, after OpenFace's final calibration (the box FeatureExtraction passes to
 * the landmark fitter): top-left corner (x, y) and size (w, h) in pixels, and the ONet
 * probability of a face. */
typedef struct au_mtcnn_box {
    float x, y, w, h;
    float confidence;
} au_mtcnn_box;

/* Loads PNet, RNet and ONet. `path` is either the folder `mtcnn_detector` (its
 * MTCNN_detector.txt is read) or the index file itself; the index names the three `.dat`
 * files relative to its own folder ("PNet PNet.dat" etc., FaceDetectorMTCNN::Read). Every
 * network is checked for the input size it gets (PNet 12x12 and larger, RNet 24x24, ONet
 * 48x48) and for enough outputs. On failure *out is NULL and the message names the file. */
auface_status au_mtcnn_load(au_mtcnn **out, const char *path, au_err *err);

void au_mtcnn_free(au_mtcnn *m);

/* Working memory for frames up to max_w x max_h pixels detected with min_face ≥
 * `min_face` (≥ 1); 3 MB for 640x480 at the default min_face (au_mtcnn_scratch_bytes).
 * The pyramid's largest level is (12/min_face)·frame, so a small min_face on a large
 * frame needs much more. */
auface_status au_mtcnn_scratch_create(au_mtcnn_scratch **out, const au_mtcnn *m, int max_w,
                                      int max_h, float min_face, au_err *err);

/* Bytes au_mtcnn_scratch_create would allocate (0 if the arguments are invalid). */
size_t au_mtcnn_scratch_bytes(const au_mtcnn *m, int max_w, int max_h, float min_face);

void au_mtcnn_scratch_free(au_mtcnn_scratch *s);

/* FaceDetectorMTCNN::DetectFaces(o_regions, bgr, o_confidences, min_face, 0.6, 0.7, 0.7) on
 * an 8-bit BGR frame (3 bytes per pixel, row i at bgr + i·stride). Writes up to max_out
 * boxes to out in OpenFace's order (decreasing ONet confidence, the output order of the last
 * NMS) and returns how many faces were found (which may exceed max_out), or −1 with `err`
 * filled if an argument is invalid (NULL pointer, size ≤ 0, stride < 3·w, a frame larger
 * than the scratch was made for, min_face below the scratch's or not finite). OpenFace's
 * min_face is an int: pass whole numbers to match it. */
int au_mtcnn_detect(const au_mtcnn *m, const uint8_t *bgr, int w, int h, size_t stride,
                    float min_face, au_mtcnn_box *out, int max_out, au_mtcnn_scratch *scratch,
                    au_err *err);

#endif
