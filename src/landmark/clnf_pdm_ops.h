/* The PDM operations of OpenFace's CLNF landmark fitter that face/pdm.h and face/calcparams.h
 * do not expose: the global parameters from a face box, the rigid and full Jacobians (with
 * the NU-RLMS weights), the Hessian as OpenBLAS sgemm_ sums it, the parameter update and the
 * clamp of the shape parameters.
 *
 * Source: OpenFace 2.2 lib/local/LandmarkDetector/src/PDM.cpp (CalcParams with a
 * Rect_<float>, ComputeRigidJacobian, ComputeJacobian, UpdateModelParameters, Orthonormalise,
 * Clamp) and LandmarkDetectorModel.cpp CLNF::NU_RLMS (the sgemm_ call for the Hessian).
 * CLNF_SPEC.md §4, §6.3, §11, §12.
 *
 * Layouts are OpenFace's: 2D shapes planar ([x0..x(n−1), y0..y(n−1)]), 3D shapes planar
 * ([X.., Y.., Z..]), Jacobians row-major with 2n rows (row i = x of point i, row n+i = its y)
 * and 6 (rigid) or 6+m columns (scale, rx, ry, rz, tx, ty, then the modes).
 *
 * The update (orthonormalisation by float SVD, double Rodrigues round trip) and the Hessian's
 * summation order are the same as in face/calcparams.c, whose versions are private to that
 * file; they are reproduced here rather than shared (see the note in clnf_pdm_ops.c).
 * Every function is thread-safe and allocates nothing. */
#ifndef AU_LANDMARK_CLNF_PDM_OPS_H
#define AU_LANDMARK_CLNF_PDM_OPS_H

#include "face/pdm.h"

#include <stddef.h>

/* Most parameters of a PDM fit: 6 global plus AU_PDM_MAX_MODES local. */
#define AU_CLNF_MAX_PARAMS (6 + AU_PDM_MAX_MODES)

/* Row stride (floats) of every Jacobian below: AU_CLNF_MAX_PARAMS rounded up to 8, so that
 * rows can be read in whole 8-float vectors. Columns past the used ones are never read for
 * results (their contents do not matter). */
#define AU_CLNF_JSTRIDE ((AU_CLNF_MAX_PARAMS + 7) / 8 * 8)

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

/* PDM::ComputeRigidJacobian (cols = 6) or PDM::ComputeJacobian (cols = 6 + m) at the 3D
 * shape `shape3d` (= CalcShape3D(p)) and `global`, written into J (2n rows of cols used
 * floats, row stride AU_CLNF_JSTRIDE):
 *   scale: R0·P / R1·P;  rx: s·(Y·R02 − Z·R01);  ry: −s·(X·R02 − Z·R00);
 *   rz: s·(X·R01 − Y·R00);  tx: (1, 0);  ty: (0, 1);
 *   mode j: s·(R00·Vx + R01·Vy + R02·Vz) (and the R1 row for y),
 * all in float in that order (R from au_euler_to_rotation). */
void au_clnf_jacobian(const au_pdm *pdm, const float *shape3d, const float global[6], int rigid,
                      float *J);

/* H = J_w_t·J + diag(reg) as OpenFace computes it in NU_RLMS: regTerm.clone() and then
 * sgemm_(N, N, cols, cols, rows, 1, J, cols, J_w_t, rows, 1, H, cols). Element (r, c) is
 * Σ_k Jw[k][r]·J[k][c] over k = 0..rows−1, summed as OpenBLAS 0.3.21's AVX2 (Haswell/Zen)
 * SGEMM kernel sums it (one fused multiply-add chain per element, or two chains — even and
 * odd k — in the kernel's two-accumulator tiles), then added onto reg (C = fma(acc, 1, C)).
 *   J, Jw: rows x cols, row stride AU_CLNF_JSTRIDE; Jw is the weighted Jacobian (rows of J
 *          multiplied by the weights) and may be J itself (W = I, then only one triangle is
 *          summed: the chains of (r, c) and (c, r) are the same fused multiply-adds);
 *   reg:   cols diagonal entries to add (NULL = zero: the rigid pass);
 *   H:     cols x cols, row-major.
 * cols <= AU_CLNF_MAX_PARAMS. An AVX2/FMA kernel is chosen at run time when the CPU has it
 * (same bits; define AU_CLNF_NO_SIMD to build only the portable code). */
void au_clnf_hessian(const float *J, const float *Jw, int rows, int cols, const float *reg,
                     float *H);

/* J_w_t·v by OpenCV's gemm (a product with one result column goes to GEMMSingleMul's
 * transposed-B branch): g[c] = (float)(s0 + s1 + s2 + s3) with four double partial sums over
 * k ≡ 0, 1, 2, 3 (mod 4) of Jw[k][c]·v[k] (the k beyond the last multiple of 4 into s0).
 * Jw is rows x cols, row stride AU_CLNF_JSTRIDE. */
void au_clnf_jt_times(const float *Jw, int rows, int cols, const float *v, float *g);

/* PDM::UpdateModelParameters: s += Δ0, tx += Δ4, ty += Δ5; R ← R(rx,ry,rz)·orth([1, −Δ3,
 * Δ2; Δ3, 1, −Δ1; −Δ2, Δ1, 1]) (float SVD re-projection, PDM::Orthonormalise), the new
 * angles from RotationMatrix2Euler(AxisAngle2RotationMatrix(RotationMatrix2AxisAngle(R)))
 * with all three reset to 0 if any is NaN; p += Δ[6:] when num_delta > 6. */
void au_clnf_update_parameters(const float *delta, int num_delta, int m, float *p,
                               float global[6]);

/* cv::solve(A, b, x, DECOMP_CHOLESKY) for one right-hand side, with the same bits as
 * au_cholesky_solve_f32 (math/cholesky.h: OpenCV's CholImpl with double accumulators of
 * float products and reciprocal diagonal; Cramer's rule for n <= 3), the factorisation and
 * the two substitutions reorganised so that the independent sums advance together: every
 * sum still receives its terms in OpenCV's order. a (n x n row-major) is overwritten; x is
 * written over b; returns 1, or 0 with b zeroed when the matrix is not positive definite.
 * n <= AU_CLNF_MAX_PARAMS. */
int au_clnf_cholesky_solve(float *a, int n, float *b);

/* PDM::Clamp: every |p_j| > v_j = (float)(3·sqrt(λ_j)) (sqrt in double) becomes ±v_j. The
 * global parameters are not clamped (the limit_pose code is commented out in OpenFace). */
void au_clnf_clamp_local(const au_pdm *pdm, float *p);

#endif
