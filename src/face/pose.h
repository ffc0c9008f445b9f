/* Head pose and 3D landmarks as OpenFace writes them in the CSV (PIPELINE_SPEC §13):
 * LandmarkDetectorFunc.cpp GetPose (solvePnP refinement from the PDM fit) and
 * LandmarkDetectorModel.cpp CLNF::GetShape. */
#ifndef AU_FACE_POSE_H
#define AU_FACE_POSE_H

#include "face/pdm.h"

typedef struct au_camera {
    float fx, fy, cx, cy;
} au_camera;

/* OpenFace's default intrinsics for a width x height frame (SequenceCapture):
 * fx = fy = (500·w/640 + 500·h/480)/2, cx = w/2, cy = h/2. */
au_camera au_camera_default(int width, int height);

/* The intrinsics OpenFace uses for a frame given -fx -fy -cx -cy (SequenceCapture::
 * SetCameraIntrinsics, GAZE_SPEC §1): fx decides the focal pair and cx the centre pair, each
 * taking the default above when not given (<= 0 here, −1 in OpenFace). A missing partner
 * of a given value (fy or cy <= 0), which OpenFace would use as −1, takes fx, resp. H/2. */
au_camera au_camera_for_frame(float fx, float fy, float cx, float cy, int width, int height);

/* pose = (Tx, Ty, Tz, Rx, Ry, Rz): translation in mm and Euler angles in radians of the
 * head: OpenCV's solvePnP iterations (face/pnp.h) on the reprojection error of the 3D
 * PDM shape (mean + pc·p, unrotated) onto `landmarks2n`, started from the weak-perspective
 * fit `global`, as OpenFace's GetPose runs them. All zeros when global[0] (the scale) is 0. */
void au_head_pose(const au_pdm *pdm, const float global[6], const float *p_local,
                  const float *landmarks2n, au_camera cam, double pose[6]);

/* CLNF::GetShape (GAZE_SPEC §4), for the main model and the eye parts alike: out3n (planar
 * X.., Y.., Z..) is the PDM shape rotated by global's Euler angles (each rotated component
 * a double sum rounded to float), placed at depth fx/s, with X and Y back-projected through
 * the detected 2D landmarks (float). */
void au_landmarks_3d(const au_pdm *pdm, const float global[6], const float *p_local,
                     const float *landmarks2n, au_camera cam, float *out3n);

#endif
