/* face/pose: OpenFace's camera intrinsics (SequenceCapture's defaults, -fx -fy -cx -cy),
 * GetShape's 3D points (they project back onto the 2D landmarks) and GetPose's depth against
 * the focal length, on frame 1 of default.wmv with OpenFace's landmarks. */
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "face/calcparams.h"
#include "face/pose.h"
#include "test_openface_csv.h"

#define PDM_FILE SHARED("models/openface/model/pdms/In-the-wild_aligned_PDM_68.txt")

static void test_intrinsics(void)
{
    au_camera c = au_camera_default(640, 480);
    CHECK(c.fx == 500.0f && c.fy == 500.0f && c.cx == 320.0f && c.cy == 240.0f);
    c = au_camera_default(640, 400); /* PIPELINE_SPEC §13: 458.333, 320, 200 */
    CHECK_NEAR(c.fx, 458.333, 1e-3);
    CHECK(c.fx == c.fy && c.cx == 320.0f && c.cy == 200.0f);
    c = au_camera_for_frame(0, 0, 0, 0, 640, 480);
    CHECK(c.fx == 500.0f && c.cy == 240.0f);
    c = au_camera_for_frame(800, 900, 300, 250, 640, 480);
    CHECK(c.fx == 800.0f && c.fy == 900.0f && c.cx == 300.0f && c.cy == 250.0f);
    c = au_camera_for_frame(800, 0, 300, 0, 640, 480); /* partners not given */
    CHECK(c.fx == 800.0f && c.fy == 800.0f && c.cx == 300.0f && c.cy == 240.0f);
    c = au_camera_for_frame(0, 900, 0, 250, 640, 480); /* fx and cx decide, as OpenFace */
    CHECK(c.fx == 500.0f && c.fy == 500.0f && c.cx == 320.0f && c.cy == 240.0f);
}

static void test_shape_and_pose(void)
{
    au_pdm pdm;
    au_err err;
    float lm[136];
    CHECK(au_pdm_load(&pdm, PDM_FILE, &err) == AUFACE_OK);
    CHECK(test_openface_landmarks(1, lm));
    float g[6], p[AU_PDM_MAX_MODES], xyz[3 * 68];
    au_calc_params(&pdm, lm, g, p);
    const au_camera cams[2] = {au_camera_default(640, 480), {1000, 1000, 320, 240}};
    double pose[2][6];
    for (int k = 0; k < 2; k++) {
        au_landmarks_3d(&pdm, g, p, lm, cams[k], xyz);
        double worst = 0.0;
        for (int i = 0; i < 68; i++) {
            const double x = cams[k].fx * xyz[i] / xyz[136 + i] + cams[k].cx;
            const double y = cams[k].fy * xyz[68 + i] / xyz[136 + i] + cams[k].cy;
            worst = fmax(worst, fmax(fabs(x - lm[i]), fabs(y - lm[68 + i])));
        }
        CHECK(worst < 1e-3); /* (X, Y, Z) projects onto its 2D point */
        CHECK_NEAR(xyz[136 + 30], cams[k].fx / g[0], 40.0); /* depth fx/s, nose tip near */
        au_head_pose(&pdm, g, p, lm, cams[k], pose[k]);
    }
    /* twice the focal length: twice as far (the rotation changes too: the face is off the
     * optical axis, and a longer focal length sees it less obliquely) */
    CHECK_NEAR(pose[1][2] / pose[0][2], 2.0, 0.03);
    au_pdm_free(&pdm);
}

int main(void)
{
    test_intrinsics();
    test_shape_and_pose();
    return check_report("test_pose");
}
