#include "face/pose.h"

#include <string.h>

#include "face/fround.h"
#include "face/pnp.h"
#include "face/rotation.h"

au_camera au_camera_default(int width, int height)
{
    /* SequenceCapture.cpp: fx = 500 * (w / 640), fy = 500 * (h / 480), then both set to
     * their mean; principal point at the image centre. */
    float fx = 500.0f * ((float)width / 640.0f);
    float fy = 500.0f * ((float)height / 480.0f);
    float f = (fx + fy) / 2.0f;
    au_camera cam = {f, f, (float)width / 2.0f, (float)height / 2.0f};
    return cam;
}

au_camera au_camera_for_frame(float fx, float fy, float cx, float cy, int width, int height)
{
    au_camera cam = au_camera_default(width, height);
    if (fx > 0) {
        cam.fx = fx;
        cam.fy = fy > 0 ? fy : fx;
    }
    if (cx > 0) {
        cam.cx = cx;
        cam.cy = cy > 0 ? cy : (float)height / 2.0f;
    }
    return cam;
}

void au_head_pose(const au_pdm *pdm, const float global[6], const float *p_local,
                  const float *landmarks2n, au_camera cam, double pose[6])
{
    memset(pose, 0, 6 * sizeof(double));
    if (global[0] == 0.0f)
        return;
    const int n = pdm->n;
    float shape3d[3 * AU_PDM_MAX_POINTS];
    au_pdm_shape3d(pdm, p_local, shape3d);

    /* The starting point of OpenFace's GetPose, in its float variables: depth from the
     * scale, and the Euler angles used as if they were a rotation vector (an OpenFace
     * quirk). solvePnP stops short of the minimum, so its result depends on this start. */
    const float Z = cam.fx / global[0];
    const float X = au_fround(((double)(global[4] - cam.cx) * (1.0 / cam.fx)) * Z);
    const float Y = au_fround(((double)(global[5] - cam.cy) * (1.0 / cam.fy)) * Z);
    double x[6] = {global[1], global[2], global[3], X, Y, Z};
    au_solve_pnp_iterative(shape3d, landmarks2n, n, cam, x);

    float aa[3] = {(float)x[0], (float)x[1], (float)x[2]}, euler[3];
    au_axis_angle_to_euler(aa, euler);
    /* solvePnP writes OpenFace's Vec3f tvec */
    pose[0] = au_fround(x[3]);
    pose[1] = au_fround(x[4]);
    pose[2] = au_fround(x[5]);
    pose[3] = euler[0];
    pose[4] = euler[1];
    pose[5] = euler[2];
}

void au_landmarks_3d(const au_pdm *pdm, const float global[6], const float *p_local,
                     const float *landmarks2n, au_camera cam, float *out3n)
{
    const int n = pdm->n;
    float shape3d[3 * AU_PDM_MAX_POINTS], R[9];
    au_pdm_shape3d(pdm, p_local, shape3d);
    au_euler_to_rotation(global + 1, R);
    float z_avg = cam.fx / global[0];
    for (int i = 0; i < n; i++) {
        float X = shape3d[i], Y = shape3d[i + n], Zs = shape3d[i + 2 * n];
        /* Sᵀ·Rᵀ through cv::gemm: each component a double sum of three products, rounded
         * to float once (GAZE_SPEC §4 step 2) */
        float rotated_z = (float)((double)R[6] * X + (double)R[7] * Y + (double)R[8] * Zs);
        float z = z_avg + rotated_z;
        out3n[i] = z * ((landmarks2n[i] - cam.cx) / cam.fx);
        out3n[i + n] = z * ((landmarks2n[i + n] - cam.cy) / cam.fy);
        out3n[i + 2 * n] = z;
    }
}
