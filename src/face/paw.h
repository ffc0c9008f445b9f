/* OpenFace's face mask for the aligned face: the triangulation file, the piece-wise affine
 * warp (PAW) pixel mask, and its application to a BGR image.
 *
 * Source: OpenFace 2.2 lib/local/LandmarkDetector/src/PAW.cpp (second constructor
 * PAW(destination_shape, triangulation, min_x, min_y, max_x, max_y), findTriangle,
 * pointInTriangle, sameSide), lib/local/Utilities Face_utils.cpp AlignFaceMask and
 * ReadMat. PIPELINE_SPEC.md §4.1 steps 9–10. */
#ifndef AU_FACE_PAW_H
#define AU_FACE_PAW_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* A list of triangles over landmark indices. */
typedef struct au_triangulation {
    int count; /* number of triangles */
    int *tri;  /* 3·count vertex indices, triangle i = tri[3i], tri[3i+1], tri[3i+2]; owned */
} au_triangulation;

/* Reads a triangulation in OpenFace's ReadMat text format (e.g. AU_predictors/
 * tris_68_full.txt, 111 triangles): whitespace-separated integers rows, cols (must be 3),
 * type (must be 4 = CV_32SC1), then rows×3 vertex indices, 0-based. Lines starting with '#'
 * are skipped. Every index must be in 0..n_points-1. Truncated files, non-integer tokens,
 * extra data after the last triangle, and bad headers are rejected with AUFACE_ERR_FORMAT
 * and a message naming the file; an unreadable file gives AUFACE_ERR_IO, a failed allocation
 * AUFACE_ERR_NOMEM. On failure `*t` is left empty ({0, NULL}). Free with
 * au_triangulation_free. */
auface_status au_triangulation_load(au_triangulation *t, const char *path, int n_points,
                                    au_err *err);

/* Frees the indices and empties `t`. NULL or an empty triangulation is a no-op. */
void au_triangulation_free(au_triangulation *t);

/* OpenFace's PAW pixel mask (second constructor with min_x = min_y = 0, so the mask of the
 * 112x112 aligned face is w = h = (int)(111 − 0 + 1.5) = 112):
 *   pts2n: the n destination points, planar [x0..x(n-1), y0..y(n-1)] (already warped, with
 *          the forehead lift applied by the caller); every index of `t` must be < n.
 *   mask:  w·h bytes, row-major, written entirely: 1 inside the face, 0 outside.
 * Pixels are visited row by row (y = 0..h-1, x = 0..w-1) at the integer position (x, y)
 * (no +0.5). findTriangle: if the triangle found for the previous pixel (the "guess") contains
 * the point, it is taken (with no bounding-box test); otherwise the triangles are scanned in
 * file order, skipping those whose float bounding box excludes the point, and the first one
 * that contains it is taken. pointInTriangle = three sameSide tests computed in float:
 *   c1 = (bx−ax)(py−ay) − (px−ax)(by−ay),  c2 = (bx−ax)(qy−ay) − (qx−ax)(by−ay),  c1·c2 ≥ 0,
 * so points on an edge are inside. The guess matters: a degenerate (collinear) triangle
 * contains every point, and OpenFace then keeps it for the following pixels.
 * Allocates nothing. Cost: up to w·h·count bounding-box tests. */
void au_paw_mask(const au_triangulation *t, const float *pts2n, int n, int w, int h,
                 uint8_t *mask);

/* Applies a mask to an 8-bit BGR image in place, as AlignFaceMask does per channel with
 * cv::multiply(channel, pixel_mask, channel, 1.0, CV_8U): v = saturate_cast<uchar>(v·mask),
 * i.e. pixels with mask 0 become 0 and pixels with mask 1 are unchanged.
 *   img: w x h pixels, row stride `stride` bytes; mask: w·h bytes, row-major. */
void au_apply_mask_u8c3(uint8_t *img, int w, int h, size_t stride, const uint8_t *mask);

#endif
