/* cv::solvePnP(SOLVEPNP_ITERATIVE, useExtrinsicGuess = true) as OpenCV 4.6 runs it for
 * OpenFace's GetPose: cvFindExtrinsicCameraParams2's Levenberg–Marquardt refinement
 * (CvLevMarq, at most 20 iterations, stop when the relative step is below FLT_EPSILON).
 *
 * The solver stops well before the least-squares minimum (about 1e-6 relative on the
 * rotation), so a solver that converges fully gives different float results: OpenFace's
 * pose, and the gaze that uses it, are this particular iterate. */
#ifndef AU_FACE_PNP_H
#define AU_FACE_PNP_H

#include "face/pose.h"

/* Refines the pose x = (rvec[3], tvec[3]) (Rodrigues vector and translation, in double,
 * the starting guess on entry) so that the n points pts3 (planar X.., Y.., Z..) project
 * through `cam` (no distortion) onto obs2 (planar x.., y..). 1 <= n <= AU_PDM_MAX_POINTS. */
void au_solve_pnp_iterative(const float *pts3, const float *obs2, int n, au_camera cam,
                            double x[6]);

#endif
