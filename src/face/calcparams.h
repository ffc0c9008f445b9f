/* Fitting the PDM to 2D landmarks: OpenFace 2.2 PDM::CalcParams(out_global, out_local,
 * landmarks, rotation = (0,0,0)) (lib/local/LandmarkDetector/src/PDM.cpp), the call
 * FaceAnalyser::AddNextFrame makes before aligning the face. PIPELINE_SPEC.md §3.3.
 *
 * Algorithm (float throughout unless stated; n' visible points, m modes):
 *  1. A landmark is invisible iff its x is exactly 0; its rows are removed from the mean M,
 *     the components V and the landmarks L.
 *  2. Start: s = (w/w_model + h/h_model)/2 from the landmark box and the box of the
 *     (visible) mean shape; rotation 0; (tx, ty) = landmark box centre; p = 0.
 *  3. Up to 1000 iterations:
 *     - S = M + V·p; 2D projection x = (float)(s·(R0·P)) + tx computed as OpenCV's gemm
 *       does it (the 3-term dot product in double); residual r = L − x;
 *     - Jacobian J (2n' x (6+m), PDM::ComputeJacobian), g = Jᵀr (OpenCV gemm: double, four
 *       interleaved partial sums), g[6:] −= Λ·p with Λ = diag(1/λ);
 *     - H = JᵀJ + diag(0,…,0, 1/λ) (OpenBLAS sgemm_; the summation order of its AVX2
 *       Haswell/Zen kernel is reproduced, see math/openblas_gram.h);
 *     - Δ = 0.75·solve(H, g) with the OpenCV Cholesky (math/cholesky.h), Δ = 0 if H is
 *       not positive definite;
 *     - UpdateModelParameters: s, tx, ty, p incremented; R ← R·orth(I + [Δ1..3]×), with
 *       orth the float 3x3 SVD re-projection of PDM::Orthonormalise, then
 *       Euler ← Rodrigues → Rodrigues → RotationMatrix2Euler (angles reset to 0 on NaN);
 *     - error = ‖L − proj(S)‖ with the NEW parameters but the OLD shape S; when
 *       0.999·previous error < error the counter of non-improvements (never reset) is
 *       incremented and the loop stops when it reaches 3 (after that update).
 * The floating-point operations follow the OpenFace/OpenCV order operation by operation.
 * The two OpenBLAS products (S and H) follow OpenBLAS 0.3.x on AVX2 (Haswell/Zen) cores;
 * the result was checked to be bit-identical (global, local and iteration count) to a
 * transcription of PDM::CalcParams built with OpenCV 4.6 and OpenBLAS 0.3.21 on all frames
 * of the test video, with and without invisible points. On a machine whose OpenBLAS uses
 * another kernel (AVX-512) OpenFace's own results differ in the last bits of H, and so
 * from these. */
#ifndef AU_FACE_CALCPARAMS_H
#define AU_FACE_CALCPARAMS_H

#include "face/pdm.h"

/* Fits `pdm` to landmarks2n (2n planar floats: x0..x(n-1), y0..y(n-1), n = pdm->n).
 * Writes global = (scale, rx, ry, rz, tx, ty) and local = the pdm->m mode weights (raw,
 * not divided by sqrt(λ)). Returns the number of iterations run (1..1000), or 0 when no
 * landmark is visible (all x == 0) or the PDM exceeds AU_PDM_MAX_POINTS or
 * AU_PDM_MAX_MODES, in which case global and local are set to zero. Degenerate input (NaN
 * coordinates, all points equal) gives NaN or meaningless parameters after the full 1000
 * iterations, as in OpenFace (about 20 ms). A normal face takes ~11 iterations, ≈ 0.25 ms on
 * an AVX2 core.
 * Uses about 95 kB of stack and no heap; thread-safe; pdm is only read. */
int au_calc_params(const au_pdm *pdm, const float *landmarks2n, float global[6], float *local);

#endif
