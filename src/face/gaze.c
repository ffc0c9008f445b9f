#include "face/gaze.h"

#include <math.h>
#include <string.h>

#include "face/fround.h"
#include "face/rotation.h"

/* GazeEstimation.cpp: eyeball radius 12 mm; its centre 3.5 mm above and 7 mm behind the
 * midpoint of the eye corners, in head coordinates. */
#define EYEBALL_RADIUS 12.0f
static const double EYEBALL_OFFSET[3] = {0.0, -3.5, 7.0};
/* Iris contour points of a 28-point eye part: 0–7 (GAZE_SPEC §2). */
#define IRIS_POINTS 8

void au_eyes_landmarks(const au_eyes *eyes, const au_pdm *const pdms[2], au_camera cam,
                       float eye2d[2 * AU_EYES_POINTS], float eye3d[3 * AU_EYES_POINTS])
{
    memset(eye2d, 0, 2 * AU_EYES_POINTS * sizeof(float));
    memset(eye3d, 0, 3 * AU_EYES_POINTS * sizeof(float));
    if (!eyes->valid)
        return;
    const int n = AU_EYE_PART_POINTS;
    for (int e = 0; e < 2; e++) {
        float part3d[3 * AU_EYE_PART_POINTS];
        au_landmarks_3d(pdms[e], eyes->global[e], eyes->local[e], eyes->landmarks[e], cam,
                        part3d);
        for (int i = 0; i < n; i++) {
            eye2d[e * n + i] = eyes->landmarks[e][i];
            eye2d[AU_EYES_POINTS + e * n + i] = eyes->landmarks[e][n + i];
            for (int c = 0; c < 3; c++)
                eye3d[c * AU_EYES_POINTS + e * n + i] = part3d[c * n + i];
        }
    }
}

/* v / ‖v‖ with ‖v‖ = sqrt((x² + y²) + z²) and the quotients in double (cv::normalize of a
 * float vector), rounded to float. */
static void normalise(const float v[3], float out[3])
{
    const double x = v[0], y = v[1], z = v[2];
    const double norm = sqrt((x * x + y * y) + z * z);
    for (int k = 0; k < 3; k++)
        out[k] = (float)((double)v[k] / norm);
}

/* GetPupilPosition: the mean of the iris points, summed in double (cv::mean). */
static void pupil(const float *eye3d28, float p[3])
{
    const int n = AU_EYE_PART_POINTS;
    for (int c = 0; c < 3; c++) {
        double sum = 0.0;
        for (int i = 0; i < IRIS_POINTS; i++)
            sum += eye3d28[c * n + i];
        p[c] = au_fround(sum / IRIS_POINTS);
    }
}

/* RaySphereIntersect from the origin along d (GAZE_SPEC §5 step 9), in OpenFace's float
 * arithmetic, including its `(-b - sqrt(disc)) / 2 * a` precedence quirk. */
static void ray_sphere_from_origin(const float d[3], const float c[3], float hit[3])
{
    const float a = (d[0] * d[0] + d[1] * d[1]) + d[2] * d[2];
    const float b = ((d[0] + d[0]) * (0.0f - c[0]) + (d[1] + d[1]) * (0.0f - c[1])) +
                    (d[2] + d[2]) * (0.0f - c[2]);
    /* sphere·sphere + origin·origin − 2·origin·sphere − r²: the origin terms are zeros */
    const float c0 = ((c[0] * c[0] + c[1] * c[1]) + c[2] * c[2]) + 0.0f -
                     EYEBALL_RADIUS * EYEBALL_RADIUS;
    const float disc = b * b - (4.0f * a) * c0;
    if (disc < 0) {
        hit[0] = 0.0f;
        hit[1] = 0.0f;
        hit[2] = -1.0f;
        return;
    }
    const float t = (float)((((double)(-b) - sqrt((double)disc)) / 2.0) * (double)a);
    for (int k = 0; k < 3; k++)
        hit[k] = d[k] * t;
}

void au_gaze_eye(const float *eye3d28, const float *main3d, int n_main, int eye,
                 const float pose_rot[3], float gaze[3])
{
    float R[9];
    au_euler_to_rotation(pose_rot, R);
    float p[3], dir[3];
    pupil(eye3d28, p);
    normalise(p, dir);
    /* the eye corners 36/39 (left_eye_28) or 42/45 (right_eye_28) of the main model */
    const int a = 36 + 6 * eye, b = 39 + 6 * eye;
    float centre[3];
    for (int k = 0; k < 3; k++) {
        const float mid = (main3d[k * n_main + a] + main3d[k * n_main + b]) / 2.0f;
        /* (R·o)ᵀ is evaluated by OpenCV's double-accumulating gemm */
        const float offset = (float)((double)R[3 * k] * EYEBALL_OFFSET[0] +
                                     (double)R[3 * k + 1] * EYEBALL_OFFSET[1] +
                                     (double)R[3 * k + 2] * EYEBALL_OFFSET[2]);
        centre[k] = mid + offset;
    }
    float hit[3], v[3];
    ray_sphere_from_origin(dir, centre, hit);
    for (int k = 0; k < 3; k++)
        v[k] = hit[k] - centre[k];
    normalise(v, gaze);
}

void au_gaze_angles(const float g0[3], const float g1[3], float angles[2])
{
    float h[3];
    for (int k = 0; k < 3; k++)
        h[k] = (g0[k] + g1[k]) / 2.0f;
    angles[0] = (float)atan2((double)h[0], (double)-h[2]);
    angles[1] = (float)atan2((double)h[1], (double)-h[2]);
}

void au_gaze_estimate(const float eye3d[3 * AU_EYES_POINTS], const float *main3d, int n_main,
                      const float pose_rot[3], float gaze[AU_GAZE_FIELDS])
{
    const int n = AU_EYE_PART_POINTS;
    for (int e = 0; e < 2; e++) {
        float one_eye[3 * AU_EYE_PART_POINTS];
        for (int c = 0; c < 3; c++)
            memcpy(one_eye + c * n, eye3d + c * AU_EYES_POINTS + e * n, n * sizeof(float));
        au_gaze_eye(one_eye, main3d, n_main, e, pose_rot, gaze + 3 * e);
    }
    au_gaze_angles(gaze, gaze + 3, gaze + 6);
}
