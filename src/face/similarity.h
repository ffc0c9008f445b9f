/* The similarity transform OpenFace 2.2 uses to align a face: the warp matrix of
 * FaceAnalysis::AlignFaceMask (lib/local/FaceAnalyser/src/Face_utils.cpp) built with
 * Utilities::AlignShapesWithScale and AlignShapesKabsch2D (RotationHelpers.h), and the
 * mapping of the landmarks through it. PIPELINE_SPEC.md §4.1 steps 1–5 and 7.
 *
 * Every operation follows the float/double types and the evaluation order of the OpenFace
 * source and of the OpenCV 4.6 calls it makes (cv::mean, cv::sum, convertTo with a float
 * scale, OpenCV's own gemm for matrices under 100 rows with double accumulation, cv::SVD),
 * because a one-ulp change of the matrix moves aligned-face pixels. Thread-safe; no
 * allocation. */
#ifndef AU_FACE_SIMILARITY_H
#define AU_FACE_SIMILARITY_H

#include "face/pdm.h"

/* Utilities::AlignShapesWithScale(src, dst) (RotationHelpers.h): the 2x2 matrix A
 * (row-major) of the scaled rotation that best maps the n points of src onto those of dst
 * (both planar, 2n floats):
 *  1. each set is centred on its float means (cv::mean: the values summed in double,
 *     divided by n, stored as float) in float arithmetic, then scaled by its RMS radius
 *     s = (float)sqrt(Σ(float squares, summed in double in row order x0², y0², x1², …)/n),
 *     applied as a multiplication by (float)(1/s) (Mat / s is a convertTo with alpha 1/s);
 *  2. AlignShapesKabsch2D: R = V·diag(1, ±1)·Uᵀ from the float SVD U·Σ·Vᵀ of srcᵀ·dst,
 *     the sign that of det(V·Uᵀ) (no reflection); the products are OpenCV gemm calls on
 *     float matrices (double accumulation, rounded to float), the determinant det2 in
 *     double;
 *  3. A = (s_dst/s_src)·R in float.
 * n outside 1..AU_PDM_MAX_POINTS gives the zero matrix. */
void au_align_shapes_with_scale(const float *src2n, const float *dst2n, int n, float A[4]);

/* The 2x3 warp matrix, row-major [A00 A01 t0; A10 A11 t1], that maps image points of the
 * face described by landmarks2n (2n planar floats, n = pdm->n) into an out_w x out_h
 * aligned image:
 *  1. reference = (float)(mean·sim_scale) X and Y of the PDM mean shape (Z dropped);
 *  2. when n == 68, only the 24 rigid points 1-4, 12-15, 27-29, 31-36, 39-42, 45-47
 *     (extract_rigid_points) of both shapes are used; otherwise all points;
 *  3. A = au_align_shapes_with_scale(landmarks, reference);
 *  4. T = A·(tx, ty) in float (cv::Matx), t = (−T0 + out_w/2, −T1 + out_h/2) with integer
 *     halves.
 * tx, ty are the translation of the CalcParams global parameters (global[4], global[5]);
 * OpenFace passes sim_scale = 0.7 and out_w = out_h = 112. A PDM with more than
 * AU_PDM_MAX_POINTS points (never loaded by au_pdm_load) gives an all-zero matrix. */
void au_align_similarity_warp(const au_pdm *pdm, const float *landmarks2n, float tx, float ty,
                              float sim_scale, int out_w, int out_h, float warp[6]);

/* Maps n planar points (pts2n: x0..x(n-1), y0..y(n-1)) through warp into out2n (same
 * layout; may not alias pts2n): x' = (float)(A00·x + A01·y in double) + t0, likewise y'
 * (AlignFaceMask: cv::Mat product of float matrices, accumulated in double by OpenCV's gemm,
 * then the translation added in float). */
void au_warp_points(const float warp[6], const float *pts2n, int n, float *out2n);

#endif
