/* Eye gaze as OpenFace 2.2 FeatureExtraction writes it (GAZE_SPEC.md §4–§6): the 56 eye
 * landmarks of the two 28-point eye part models in the CSV's layout, their 3D points, and
 * GazeAnalysis::EstimateGaze / GetGazeAngle from those points, the main model's 3D landmarks
 * and the head pose.
 *
 * Source: OpenFace 2.2 lib/local/GazeAnalyser/src/GazeEstimation.cpp (EstimateGaze,
 * GetPupilPosition, RaySphereIntersect, GetGazeAngle), LandmarkDetectorUtils.cpp
 * (CalculateAllEyeLandmarks, Calculate3DEyeLandmarks).
 *
 * Floating point follows the spec step by step: float where OpenFace stores floats, the
 * (d→f) steps in double rounded once. Every function is thread-safe and allocates
 * nothing. */
#ifndef AU_FACE_GAZE_H
#define AU_FACE_GAZE_H

#include "face/pdm.h"
#include "face/pose.h"

/* Points of one eye part model (left_eye_28, right_eye_28) and of both. */
#define AU_EYE_PART_POINTS 28
#define AU_EYES_POINTS (2 * AU_EYE_PART_POINTS)
/* gaze_0_x/y/z, gaze_1_x/y/z, gaze_angle_x/y. */
#define AU_GAZE_FIELDS 8

/* The state of the two eye part models after a frame, image-left eye (left_eye_28, main
 * points 36–41) first. */
typedef struct au_eyes {
    int valid;                                      /* 0: no eye state (written as zeros) */
    float global[2][6];                             /* part params_global (s, rx, ry, rz, tx, ty) */
    float local[2][AU_PDM_MAX_MODES];               /* part params_local */
    float landmarks[2][2 * AU_EYE_PART_POINTS];     /* part detected_landmarks, planar */
} au_eyes;

/* The CSV's eye landmarks of `eyes` (GAZE_SPEC §3–§4): eye2d = 2·56 planar (x_0..x_55,
 * y_0..y_55), eye3d = 3·56 planar (X, Y, Z), each eye's 3D points from CLNF::GetShape on its
 * part PDM (pdms[0] left_eye_28, pdms[1] right_eye_28) with `cam` (au_landmarks_3d). All
 * zeros when eyes->valid is 0. */
void au_eyes_landmarks(const au_eyes *eyes, const au_pdm *const pdms[2], au_camera cam,
                       float eye2d[2 * AU_EYES_POINTS], float eye3d[3 * AU_EYES_POINTS]);

/* EstimateGaze of one eye (§5): the unit gaze vector in camera coordinates of eye
 * `eye` (0 = left_eye_28, 1 = right_eye_28) from its 28 3D points (planar 3·28, X.., Y..,
 * Z..), the main model's 3D landmarks (planar 3·n_main, CLNF::GetShape; points 36/39 or
 * 42/45 give the eye corners) and the head rotation `pose_rot` (the CSV's pose_Rx..Rz). */
void au_gaze_eye(const float *eye3d28, const float *main3d, int n_main, int eye,
                 const float pose_rot[3], float gaze[3]);

/* GetGazeAngle (§6): (atan2(h_x, −h_z), atan2(h_y, −h_z)) of h = (g0 + g1)/2 in float, not
 * renormalised; radians. */
void au_gaze_angles(const float g0[3], const float g1[3], float angles[2]);

/* The 8 gaze fields of one frame (gaze_0 xyz, gaze_1 xyz, angle x, y) from the CSV's eye 3D
 * points (3·56 planar), the main 3D landmarks and the pose rotation. */
void au_gaze_estimate(const float eye3d[3 * AU_EYES_POINTS], const float *main3d, int n_main,
                      const float pose_rot[3], float gaze[AU_GAZE_FIELDS]);

#endif
