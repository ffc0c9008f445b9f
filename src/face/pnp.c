#include "face/pnp.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* cvFindExtrinsicCameraParams2: CvLevMarq(6, 2n, {EPS + ITER, 20, FLT_EPSILON}). */
#define PNP_MAX_ITER 20
#define PNP_EPSILON FLT_EPSILON
/* CvLevMarq::init and update: λ = 10^lambda_lg10, from 10^-3, within [10^-16, 10^16]. */
#define LAMBDA_LG10_START (-3)
#define LAMBDA_LG10_MIN (-16)
#define LAMBDA_LG10_MAX 16

typedef struct pnp_problem {
    const float *pts3; /* planar X.., Y.., Z.. */
    const float *obs2; /* planar x.., y.. */
    int n;
    double fx, fy, cx, cy;
} pnp_problem;

/* cvRodrigues2, vector to matrix with the 3x9 Jacobian dR/dr (row i = d/dr_i), in double:
 * R = c·I + (1 − c)·r̂r̂ᵀ + s·[r̂]ₓ, summed left to right. */
static void rodrigues_jacobian(const double r[3], double R[9], double J[27])
{
    static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    const double theta = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    if (theta < DBL_EPSILON) {
        static const double J0[27] = {0, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 1, 0, 0,
                                      0, -1, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0};
        memcpy(R, I, sizeof I);
        memcpy(J, J0, sizeof J0);
        return;
    }
    const double c = cos(theta), s = sin(theta), c1 = 1. - c;
    const double itheta = theta ? 1. / theta : 0.;
    const double rx = r[0] * itheta, ry = r[1] * itheta, rz = r[2] * itheta;
    const double rrt[9] = {rx * rx, rx * ry, rx * rz, rx * ry, ry * ry,
                           ry * rz, rx * rz, ry * rz, rz * rz};
    const double r_x[9] = {0, -rz, ry, rz, 0, -rx, -ry, rx, 0};
    for (int k = 0; k < 9; k++)
        R[k] = c * I[k] + c1 * rrt[k] + s * r_x[k];

    const double drrt[27] = {rx + rx, ry, rz, ry, 0, 0, rz, 0, 0,
                             0, rx, 0, rx, ry + ry, rz, 0, rz, 0,
                             0, 0, rx, 0, 0, ry, rx, ry, rz + rz};
    static const double d_r_x[27] = {0, 0, 0, 0, 0, -1, 0, 1, 0,
                                     0, 0, 1, 0, 0, 0, -1, 0, 0,
                                     0, -1, 0, 1, 0, 0, 0, 0, 0};
    for (int i = 0; i < 3; i++) {
        const double ri = i == 0 ? rx : i == 1 ? ry : rz;
        const double a0 = -s * ri, a1 = (s - 2 * c1 * itheta) * ri, a2 = c1 * itheta;
        const double a3 = (c - s * itheta) * ri, a4 = s * itheta;
        for (int k = 0; k < 9; k++)
            J[i * 9 + k] = a0 * I[k] + a1 * rrt[k] + a2 * drrt[i * 9 + k] + a3 * r_x[k] +
                           a4 * d_r_x[i * 9 + k];
    }
}

/* cvProjectPoints2 without distortion (the zero coefficients add exact zeros and multiply
 * by exact ones, so they are left out), minus the observed points: err[2i], err[2i+1] for
 * point i, and when J is given its 2n x 6 Jacobian (d/d rvec, then d/d tvec). */
static void project_residuals(const pnp_problem *pb, const double x[6], double *err,
                              double *J)
{
    double R[9], dRdr[27];
    rodrigues_jacobian(x, R, dRdr);
    const double *t = x + 3;
    const int n = pb->n;
    for (int i = 0; i < n; i++) {
        const double X = pb->pts3[i], Y = pb->pts3[n + i], Z = pb->pts3[2 * n + i];
        double px = R[0] * X + R[1] * Y + R[2] * Z + t[0];
        double py = R[3] * X + R[4] * Y + R[5] * Z + t[1];
        double z = R[6] * X + R[7] * Y + R[8] * Z + t[2];
        z = z ? 1. / z : 1;
        px *= z;
        py *= z;
        err[2 * i] = (px * pb->fx + pb->cx) - (double)pb->obs2[i];
        err[2 * i + 1] = (py * pb->fy + pb->cy) - (double)pb->obs2[n + i];
        if (!J)
            continue;
        double *jx = J + 12 * i, *jy = jx + 6;
        for (int j = 0; j < 3; j++) {
            const double dx0 = X * dRdr[9 * j] + Y * dRdr[9 * j + 1] + Z * dRdr[9 * j + 2];
            const double dy0 = X * dRdr[9 * j + 3] + Y * dRdr[9 * j + 4] + Z * dRdr[9 * j + 5];
            const double dz0 = X * dRdr[9 * j + 6] + Y * dRdr[9 * j + 7] + Z * dRdr[9 * j + 8];
            jx[j] = pb->fx * (z * (dx0 - px * dz0));
            jy[j] = pb->fy * (z * (dy0 - py * dz0));
        }
        const double dxdt[3] = {z, 0, -px * z}, dydt[3] = {0, z, -py * z};
        for (int j = 0; j < 3; j++) {
            jx[3 + j] = pb->fx * dxdt[j];
            jy[3 + j] = pb->fy * dydt[j];
        }
    }
}

static double l2_norm(const double *v, int len)
{
    double s = 0.0;
    for (int i = 0; i < len; i++)
        s += v[i] * v[i];
    return sqrt(s);
}

/* cv::norm(a, b, NORM_RELATIVE | NORM_L2) = ‖a − b‖ / (‖b‖ + DBL_EPSILON). */
static double relative_change(const double a[6], const double b[6])
{
    double d[6];
    for (int k = 0; k < 6; k++)
        d[k] = a[k] - b[k];
    return l2_norm(d, 6) / (l2_norm(b, 6) + DBL_EPSILON);
}

/* Solves the 6x6 system A·d = b by Gaussian elimination with partial pivoting (OpenCV
 * uses an SVD; for these well-scaled systems both agree far below float precision).
 * Returns 0 when A is singular. */
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
                double t = A[c * 6 + k];
                A[c * 6 + k] = A[piv * 6 + k];
                A[piv * 6 + k] = t;
            }
            double t = b[c];
            b[c] = b[piv];
            b[piv] = t;
        }
        for (int r = c + 1; r < 6; r++) {
            const double f = A[r * 6 + c] / A[c * 6 + c];
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

/* JᵀJ and Jᵀ·err (cvMulTransposed, cvGEMM) of the 2n x 6 Jacobian. */
static void normal_equations(const double *J, const double *err, int rows, double JtJ[36],
                             double JtErr[6])
{
    memset(JtJ, 0, 36 * sizeof(double));
    memset(JtErr, 0, 6 * sizeof(double));
    for (int i = 0; i < rows; i++) {
        const double *row = J + 6 * i;
        for (int a = 0; a < 6; a++) {
            JtErr[a] += row[a] * err[i];
            for (int b = 0; b < 6; b++)
                JtJ[a * 6 + b] += row[a] * row[b];
        }
    }
}

/* CvLevMarq::step: param = prev − (JᵀJ with its diagonal scaled by 1 + λ)⁻¹·Jᵀerr, with
 * λ = exp(lambda_lg10·log 10) as OpenCV computes it. Returns 0 if the system is singular
 * (param then stays at prev). */
static int lm_step(const double JtJ[36], const double JtErr[6], int lambda_lg10,
                   const double prev[6], double param[6])
{
    const double lambda = exp(lambda_lg10 * log(10.));
    double A[36], b[6], d[6];
    memcpy(A, JtJ, sizeof A);
    memcpy(b, JtErr, sizeof b);
    for (int k = 0; k < 6; k++)
        A[7 * k] *= 1. + lambda;
    memcpy(param, prev, 6 * sizeof(double));
    if (!solve6(A, b, d))
        return 0;
    for (int k = 0; k < 6; k++)
        param[k] = prev[k] - d[k];
    return 1;
}

/* cvFindExtrinsicCameraParams2's loop around CvLevMarq::update, unrolled: a Jacobian at
 * each accepted point; after a step that raised the error norm, λ grows tenfold and the
 * step is retaken from the same point (up to λ = 10^16, after which the worse point is
 * kept); after an accepted step λ shrinks tenfold; stop after 20 accepted steps or when
 * the step is below FLT_EPSILON relative to the parameters. */
void au_solve_pnp_iterative(const float *pts3, const float *obs2, int n, au_camera cam,
                            double x[6])
{
    enum { MAX_ROWS = 2 * AU_PDM_MAX_POINTS };
    if (n < 1 || n > AU_PDM_MAX_POINTS)
        return;
    const pnp_problem pb = {pts3, obs2, n, cam.fx, cam.fy, cam.cx, cam.cy};
    double J[MAX_ROWS * 6], err[MAX_ROWS], JtJ[36], JtErr[6], prev[6];
    int lambda_lg10 = LAMBDA_LG10_START;
    project_residuals(&pb, x, err, J);
    double prev_norm = l2_norm(err, 2 * n);
    for (int iter = 0;;) {
        normal_equations(J, err, 2 * n, JtJ, JtErr);
        memcpy(prev, x, sizeof prev);
        lm_step(JtJ, JtErr, lambda_lg10, prev, x);
        project_residuals(&pb, x, err, NULL);
        double norm = l2_norm(err, 2 * n);
        while (norm > prev_norm && ++lambda_lg10 <= LAMBDA_LG10_MAX) {
            lm_step(JtJ, JtErr, lambda_lg10, prev, x);
            project_residuals(&pb, x, err, NULL);
            norm = l2_norm(err, 2 * n);
        }
        lambda_lg10 = lambda_lg10 - 1 > LAMBDA_LG10_MIN ? lambda_lg10 - 1 : LAMBDA_LG10_MIN;
        if (++iter >= PNP_MAX_ITER || relative_change(x, prev) < PNP_EPSILON)
            return;
        prev_norm = norm;
        project_residuals(&pb, x, err, J);
    }
}
