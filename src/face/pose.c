#include "face/pose.h"

#include <math.h>
#include <string.h>

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

/* Rodrigues vector -> rotation matrix, in double (the solver's working precision). */
static void rodrigues_to_matrix(const double r[3], double R[9])
{
    double theta = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    if (theta < 1e-15) {
        static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        memcpy(R, I, sizeof I);
        return;
    }
    double kx = r[0] / theta, ky = r[1] / theta, kz = r[2] / theta;
    double c = cos(theta), s = sin(theta), v = 1.0 - c;
    R[0] = c + kx * kx * v;      R[1] = kx * ky * v - kz * s; R[2] = kx * kz * v + ky * s;
    R[3] = ky * kx * v + kz * s; R[4] = c + ky * ky * v;      R[5] = ky * kz * v - kx * s;
    R[6] = kz * kx * v - ky * s; R[7] = kz * ky * v + kx * s; R[8] = c + kz * kz * v;
}

/* Residuals (projected − observed), 2 per point, for pose x = (r, t). */
static void reprojection_residuals(const double x[6], const float *pts3, const float *obs2,
                                   int n, au_camera cam, double *res)
{
    double R[9];
    rodrigues_to_matrix(x, R);
    for (int i = 0; i < n; i++) {
        double X = pts3[i], Y = pts3[i + n], Z = pts3[i + 2 * n];
        double xc = R[0] * X + R[1] * Y + R[2] * Z + x[3];
        double yc = R[3] * X + R[4] * Y + R[5] * Z + x[4];
        double zc = R[6] * X + R[7] * Y + R[8] * Z + x[5];
        double iz = zc != 0.0 ? 1.0 / zc : 1.0;
        res[2 * i] = cam.fx * xc * iz + cam.cx - obs2[i];
        res[2 * i + 1] = cam.fy * yc * iz + cam.cy - obs2[i + n];
    }
}

static double sum_squares(const double *v, int len)
{
    double s = 0.0;
    for (int i = 0; i < len; i++)
        s += v[i] * v[i];
    return s;
}

/* Solves the 6x6 system A·d = b (A symmetric positive definite) by Gaussian elimination with
 * partial pivoting; returns 0 when singular. */
static int solve6(double A[36], double b[6], double d[6])
{
    for (int c = 0; c < 6; c++) {
        int piv = c;
        for (int r = c + 1; r < 6; r++)
            if (fabs(A[r * 6 + c]) > fabs(A[piv * 6 + c]))
                piv = r;
        if (fabs(A[piv * 6 + c]) < 1e-300)
            return 0;
        if (piv != c) {
            for (int k = 0; k < 6; k++) {
                double t = A[c * 6 + k]; A[c * 6 + k] = A[piv * 6 + k]; A[piv * 6 + k] = t;
            }
            double t = b[c]; b[c] = b[piv]; b[piv] = t;
        }
        for (int r = c + 1; r < 6; r++) {
            double f = A[r * 6 + c] / A[c * 6 + c];
            for (int k = c; k < 6; k++)
                A[r * 6 + k] -= f * A[c * 6 + k];
            b[r] -= f * b[c];
        }
    }
    for (int r = 5; r >= 0; r--) {
        double s = b[r];
        for (int k = r + 1; k < 6; k++)
            s -= A[r * 6 + k] * d[k];
        d[r] = s / A[r * 6 + r];
    }
    return 1;
}

/* Levenberg–Marquardt on the reprojection error, as cv::solvePnP(SOLVEPNP_ITERATIVE,
 * useExtrinsicGuess) does; OpenCV stops after 20 iterations or a step below FLT_EPSILON,
 * and from OpenFace's starting point both converge to the same minimum. */
static void refine_pose(double x[6], const float *pts3, const float *obs2, int n,
                        au_camera cam)
{
    enum { MAXN = AU_PDM_MAX_POINTS };
    double res[2 * MAXN], res_try[2 * MAXN], J[2 * MAXN][6];
    double lambda = 1e-3;
    reprojection_residuals(x, pts3, obs2, n, cam, res);
    double err = sum_squares(res, 2 * n);
    for (int iter = 0; iter < 100; iter++) {
        for (int k = 0; k < 6; k++) {
            double h = 1e-6 * fmax(1.0, fabs(x[k]));
            double xp[6], xm[6], rp[2 * MAXN], rm[2 * MAXN];
            memcpy(xp, x, sizeof xp);
            memcpy(xm, x, sizeof xm);
            xp[k] += h;
            xm[k] -= h;
            reprojection_residuals(xp, pts3, obs2, n, cam, rp);
            reprojection_residuals(xm, pts3, obs2, n, cam, rm);
            for (int i = 0; i < 2 * n; i++)
                J[i][k] = (rp[i] - rm[i]) / (2.0 * h);
        }
        double JtJ[36] = {0}, Jtr[6] = {0};
        for (int i = 0; i < 2 * n; i++)
            for (int a = 0; a < 6; a++) {
                Jtr[a] += J[i][a] * res[i];
                for (int b = 0; b < 6; b++)
                    JtJ[a * 6 + b] += J[i][a] * J[i][b];
            }
        int improved = 0;
        double step_norm = 0.0;
        for (int attempt = 0; attempt < 10 && !improved; attempt++) {
            double A[36], b[6], d[6], x_try[6];
            memcpy(A, JtJ, sizeof A);
            for (int a = 0; a < 6; a++) {
                A[a * 6 + a] *= 1.0 + lambda;
                b[a] = -Jtr[a];
            }
            if (!solve6(A, b, d))
                return;
            for (int a = 0; a < 6; a++)
                x_try[a] = x[a] + d[a];
            reprojection_residuals(x_try, pts3, obs2, n, cam, res_try);
            double err_try = sum_squares(res_try, 2 * n);
            if (err_try <= err) {
                memcpy(x, x_try, sizeof x_try);
                memcpy(res, res_try, sizeof(double) * 2 * n);
                step_norm = sqrt(sum_squares(d, 6));
                err = err_try;
                lambda = fmax(lambda / 10.0, 1e-12);
                improved = 1;
            } else {
                lambda *= 10.0;
            }
        }
        if (!improved || step_norm < 1e-12)
            return;
    }
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

    /* Initial estimate as OpenFace GetPose: depth from the scale, the Euler angles used
     * as if they were a rotation vector (an OpenFace quirk that only seeds the solver). */
    double Z = (double)cam.fx / global[0];
    double X = ((global[4] - cam.cx) * (1.0 / cam.fx)) * Z;
    double Y = ((global[5] - cam.cy) * (1.0 / cam.fy)) * Z;
    double x[6] = {(float)global[1], (float)global[2], (float)global[3],
                   (float)X, (float)Y, (float)Z};
    refine_pose(x, shape3d, landmarks2n, n, cam);

    float aa[3] = {(float)x[0], (float)x[1], (float)x[2]}, euler[3];
    au_axis_angle_to_euler(aa, euler);
    pose[0] = (float)x[3];
    pose[1] = (float)x[4];
    pose[2] = (float)x[5];
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
