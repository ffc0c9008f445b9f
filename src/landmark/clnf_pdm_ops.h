/* The PDM operations of OpenFace's CLNF landmark fitter that face/pdm.h and
 * face/pdm_fit.h do not cover: the global parameters from a face box, the shape synthesis
 * the fitter vectorises, and the clamp of the shape parameters. (The Jacobians, gradient
 * and parameter update the fitter shares with CalcParams are face/pdm_fit.h, the Hessian
 * math/openblas_gram.h, the solve math/cholesky.h.)
 *
 * Source: OpenFace 2.2 lib/local/LandmarkDetector/src/PDM.cpp (CalcParams with a
 * Rect_<float>, CalcShape3D, CalcShape2D, Clamp). CLNF_SPEC.md §4, §11.
 *
 * Layouts are OpenFace's: 2D shapes planar ([x0..x(n−1), y0..y(n−1)]), 3D shapes planar
 * ([X.., Y.., Z..]). Every function is thread-safe; only au_clnf_transpose_components
 * allocates. */
#ifndef AU_LANDMARK_CLNF_PDM_OPS_H
#define AU_LANDMARK_CLNF_PDM_OPS_H

#include "face/pdm.h"

/* PDM::CalcParams(out_global, Rect_<float> box, p_local = 0, rotation): the global
 * parameters that place the (p = 0) mean shape, rotated by `rotation` (rx, ry, rz), inside
 * the box (x, y, width, height):
 *   Q = R(rotation)·mean (3 x n, float dot products left to right: OpenCV's gemm fast path
 *       for an inner dimension of 3 computes them in float);
 *   min/max of rows 0 and 1 of Q in double (minMaxLoc); width = (float)|min_x − max_x|,
 *   height likewise;
 *   s = (box_w/width + box_h/height)/2 (float);
 *   tx = (float)((box_x + box_w/2) − s·(min_x + max_x)/2.0), the first part in float and
 *   the correction in double; ty likewise.
 * global = (s, rotation, tx, ty). Does nothing for a PDM au_pdm_load would not accept. */
void au_clnf_global_from_box(const au_pdm *pdm, const float box[4], const float rotation[3],
                             float global[6]);

/* The principal components transposed (m rows of 3n floats: pc_t[j·3n + r] = pc[r][j]) for
 * au_clnf_shape3d. Returns a malloc'd array (free it with free) or NULL when out of memory. */
float *au_clnf_transpose_components(const au_pdm *pdm);

/* CalcShape3D(p) = mean + V·p with pc_t from au_clnf_transpose_components: each row is the
 * chain of fused multiply-adds over the modes in order starting from 0 (OpenBLAS's sgemm
 * kernel), added to the mean; the same bits as au_pdm_shape3d, vectorised across rows. */
void au_clnf_shape3d(const au_pdm *pdm, const float *pc_t, const float *p, float *out3n);

/* CalcShape2D from a 3D shape: x_i = s·(R00·X + R01·Y + R02·Z) + tx, y likewise with row 1,
 * in float in that order (PDM::CalcShape2D; au_pdm_shape2d gives the same bits). */
void au_clnf_shape2d_from_3d(const float *shape3d, int n, const float global[6],
                             float *out2n);

/* PDM::Clamp: every |p_j| > v_j = (float)(3·sqrt(λ_j)) (sqrt in double) becomes ±v_j. The
 * global parameters are not clamped (the limit_pose code is commented out in OpenFace). */
void au_clnf_clamp_local(const au_pdm *pdm, float *p);

#endif
