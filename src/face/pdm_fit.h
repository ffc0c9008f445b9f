/* The steps of a PDM fitting iteration that OpenFace's two PDM fits share: PDM::CalcParams
 * (face/calcparams.h) and the CLNF's NU-RLMS (landmark/clnf_rlms.h): the Jacobian, the
 * regularised gradient, the parameter update, and the distance between two shapes that
 * both use as their stopping test. The Hessian is math/openblas_gram.h, the solve
 * math/cholesky.h.
 *
 * Source: OpenFace 2.2 lib/local/LandmarkDetector/src/PDM.cpp (ComputeRigidJacobian,
 * ComputeJacobian, UpdateModelParameters, Orthonormalise, CalcParams) and
 * LandmarkDetectorModel.cpp CLNF::NU_RLMS. PIPELINE_SPEC.md §3.3, CLNF_SPEC.md §6.3, §11.
 *
 * Layouts are OpenFace's: 2D shapes planar ([x0..x(n−1), y0..y(n−1)]), 3D shapes planar
 * ([X.., Y.., Z..]); Jacobians row-major with 2n rows (row i = x of point i, row n+i = its
 * y), 6 (rigid) or 6+m columns (scale, rx, ry, rz, tx, ty, then the modes) and row stride
 * AU_PDM_JSTRIDE. Every function is thread-safe and allocates nothing. */
#ifndef AU_FACE_PDM_FIT_H
#define AU_FACE_PDM_FIT_H

#include "face/pdm.h"

/* Most parameters of a PDM fit: 6 global plus AU_PDM_MAX_MODES local. */
#define AU_PDM_MAX_PARAMS (6 + AU_PDM_MAX_MODES)

/* Row stride (floats) of the Jacobians: AU_PDM_MAX_PARAMS rounded up to 8, so that
 * math/openblas_gram.h can read rows in whole 8-float vectors. */
#define AU_PDM_JSTRIDE ((AU_PDM_MAX_PARAMS + 7) / 8 * 8)

/* PDM::ComputeRigidJacobian (rigid: cols = 6) or PDM::ComputeJacobian (cols = 6 + m) with
 * W = I, at the 3D shape `shape3d` (= CalcShape3D(p)) and `global`, written into J (2n rows
 * of cols floats, row stride AU_PDM_JSTRIDE):
 *   scale: R0·P / R1·P;  rx: s·(Y·R02 − Z·R01);  ry: −s·(X·R02 − Z·R00);
 *   rz: s·(X·R01 − Y·R00);  tx: (1, 0);  ty: (0, 1);
 *   mode j: s·(R00·Vx + R01·Vy + R02·Vz) (and the R1 row for y),
 * all in float in that order (R from au_euler_to_rotation). Columns cols..(cols rounded up
 * to 8)−1 are set to zero, so that every float the Hessian kernel reads is defined. */
void au_pdm_jacobian(const au_pdm *pdm, const float *shape3d, const float global[6], int rigid,
                     float *J);

/* g = J_w_tᵀ·v by OpenCV's gemm (a product with one result column goes to GEMMSingleMul's
 * transposed-B branch): g[c] = (float)(s0 + s1 + s2 + s3) with four double partial sums over
 * k ≡ 0, 1, 2, 3 (mod 4) of Jw[k][c]·v[k] (the k beyond the last multiple of 4 into s0).
 * Then, when reg is not NULL, the prior of the modes: g[c] −= reg[c]·p[c−6] for c >= 6, as
 * OpenCV evaluates it, (float)(g − (double)reg[c]·p[c−6]).
 *   Jw: rows x cols, row stride AU_PDM_JSTRIDE;  v: rows floats;
 *   reg: cols diagonal entries of the regularisation (the first 6 unused), or NULL;
 *   p: the cols − 6 mode weights (read only with reg). */
void au_pdm_gradient(const float *Jw, int rows, int cols, const float *v, const float *reg,
                     const float *p, float *g);

/* PDM::UpdateModelParameters: s += Δ0, tx += Δ4, ty += Δ5; R ← R(rx,ry,rz)·orth([1, −Δ3,
 * Δ2; Δ3, 1, −Δ1; −Δ2, Δ1, 1]) with orth PDM::Orthonormalise (float SVD U·diag(w)·Vt,
 * R = U·diag(1, 1, det(U·Vt))·Vt, the 3x3 products in float as OpenCV's small gemm does);
 * the new angles are RotationMatrix2Euler(AxisAngle2RotationMatrix(
 * RotationMatrix2AxisAngle(R))), all three reset to 0 if any is NaN ("Temporary fix to
 * numerical instability"); p += Δ[6:] (m modes) when num_delta > 6. */
void au_pdm_update_parameters(const float *delta, int num_delta, int m, float *p,
                              float global[6]);

/* cv::norm(a, b, NORM_L2) of two float vectors of len values: float differences, squares
 * summed in double four at a time (normL2Sqr with CV_ENABLE_UNROLLED), sqrt in double. */
double au_pdm_shape_distance(const float *a, const float *b, int len);

#endif
