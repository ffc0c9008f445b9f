/* What the annotated ("tracked") video shows on one frame, drawn from one row of a job's
 * results, after OpenFace 2.2's Visualizer (lib/local/Utilities/src/Visualizer.cpp, as
 * FeatureExtraction -tracked uses it) and VisualizationUtils.cpp (DrawBox):
 *   - the 68 landmarks: a red disc (line 3·W/640 px) with a blue ring (1·W/640 px), radius 1
 *     (SetObservationLandmarks);
 *   - the head pose: a 200 mm cube centred on (pose_Tx, pose_Ty, pose_Tz), turned by
 *     (pose_Rx, pose_Ry, pose_Rz) and projected through the camera intrinsics, its edges
 *     2·W/640 px wide, blue when confident and red when not (SetObservationPose, DrawBox);
 *   - gaze, when the results have the eye columns: the 56 eye landmarks joined as OpenFace
 *     joins them, and each eye's gaze as a 50 mm line from the pupil (SetObservationGaze);
 *   - auface's addition (OpenFace shows AUs in a separate window): a panel at the top left
 *     with the strongest AU intensities, e.g. "AU12 3.1" and a bar of length value / 5,
 *     green when the AU is present (AU*_c = 1), grey otherwise; one panel per face, titled
 *     with its face_id, when the results hold several faces.
 * Landmarks, box and gaze are drawn only when `confidence` > 0.4, OpenFace's
 * visualisation_boundary (Visualizer.h). Every part is optional: it is drawn when its
 * columns are in the results, so results restricted to some column groups still work. */
#ifndef AU_PIPELINE_TRACKED_OVERLAY_H
#define AU_PIPELINE_TRACKED_OVERLAY_H

#include "auface.h"
#include "face/pose.h"
#include "io/draw.h"

#define AU_OVERLAY_MAX_AUS 32
#define AU_OVERLAY_EYE_POINTS 56

/* Positions of the columns the overlay reads (-1 or a cleared flag: absent). */
typedef struct au_overlay_columns {
    int confidence;
    int has_landmarks;
    int x[AUFACE_LANDMARKS], y[AUFACE_LANDMARKS];
    int has_pose;
    int pose[6];
    int n_aus;
    int au_r[AU_OVERLAY_MAX_AUS], au_c[AU_OVERLAY_MAX_AUS];
    char au_name[AU_OVERLAY_MAX_AUS][8];   /* "AU12" */
    int has_eyes;                         /* eye_lmk_x_*, eye_lmk_y_* */
    int eye_x[AU_OVERLAY_EYE_POINTS], eye_y[AU_OVERLAY_EYE_POINTS];
    int has_gaze;                         /* eye_lmk_X/Y/Z_* and gaze_0_x .. gaze_1_z */
    int eye_3d[3][AU_OVERLAY_EYE_POINTS];
    int gaze[6];
} au_overlay_columns;

/* Looks the columns up by name in `r` (done once per video). */
void au_overlay_columns_find(const auface_results *r, au_overlay_columns *cols);

/* Draws the annotations of results row `row` (cols values) on `canvas`. With several faces
 * `face_id` (>= 0) titles the row's AU panel, and `slot` (the row's place among its frame's
 * rows) places it; face_id -1 and slot 0 for a single face. */
void au_overlay_draw(const au_overlay_columns *cols, const double *row, au_camera cam,
                     int face_id, int slot, const au_canvas *canvas);

#endif
