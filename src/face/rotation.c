#include "face/rotation.h"

#include <float.h>
#include <math.h>

#include "math/svd.h"

void au_euler_to_rotation(const float euler[3], float R[9])
{
    /* RotationHelpers.h calls sin/cos on floats; the binaries call the double sincos
     * (CLNF_SPEC.md §0.3), so the values are double results rounded to float. */
    const float s1 = (float)sin((double)euler[0]), c1 = (float)cos((double)euler[0]);
    const float s2 = (float)sin((double)euler[1]), c2 = (float)cos((double)euler[1]);
    const float s3 = (float)sin((double)euler[2]), c3 = (float)cos((double)euler[2]);
    float t;

    R[0] = c2 * c3;
    R[1] = -c2 * s3;
    R[2] = s2;
    t = c3 * s1;
    R[3] = c1 * s3 + t * s2;
    t = s1 * s2;
    R[4] = c1 * c3 - t * s3;
    R[5] = -c2 * s1;
    t = c1 * c3;
    R[6] = s1 * s3 - t * s2;
    t = c1 * s2;
    R[7] = c3 * s1 + t * s3;
    R[8] = c1 * c2;
}

void au_rotation_to_euler(const float R[9], float euler[3])
{
    /* float sum, double sqrt (the float argument is promoted), float quotient */
    const float trace1 = 1.0f + R[0] + R[4] + R[8];
    const float q0 = (float)(sqrt((double)trace1) / 2.0);
    const float q1 = (R[7] - R[5]) / (4.0f * q0);
    const float q2 = (R[2] - R[6]) / (4.0f * q0);
    const float q3 = (R[3] - R[1]) / (4.0f * q0);

    /* RotationHelpers.h: "dealing with degenerate cases due to precision" */
    float t1 = 2.0f * (q0 * q2 + q1 * q3);
    if (t1 > 1)
        t1 = 1.0f;
    if (t1 < -1)
        t1 = -1.0f;

    const float q00 = q0 * q0, q11 = q1 * q1, q22 = q2 * q2, q33 = q3 * q3;
    const float yaw = (float)asin((double)t1);
    const float pitch_y = 2.0f * (q0 * q1 - q2 * q3);
    const float pitch_x = q00 - q11 - q22 + q33;
    const float roll_y = 2.0f * (q0 * q3 - q1 * q2);
    const float roll_x = q00 + q11 - q22 - q33;
    euler[0] = (float)atan2((double)pitch_y, (double)pitch_x);
    euler[1] = yaw;
    euler[2] = (float)atan2((double)roll_y, (double)roll_x);
}

/* Matx33d product a·b, each element accumulated from 0 in the order k = 0, 1, 2. */
static void matmul3_f64(const double *a, const double *b, double *out)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += a[3 * i + k] * b[3 * k + j];
            out[3 * i + j] = s;
        }
}

void au_rotation_to_axis_angle(const float R[9], float aa[3])
{
    double Rd[9], W[3], U[9], Vt[9];
    for (int i = 0; i < 9; i++) {
        Rd[i] = R[i];
        /* checkRange(R, true, NULL, -100, 100): NaN or out of range → zero vector */
        if (!(Rd[i] >= -100.0 && Rd[i] < 100.0)) {
            aa[0] = aa[1] = aa[2] = 0.0f;
            return;
        }
    }

    au_svd_f64(Rd, 3, W, U, Vt);
    matmul3_f64(U, Vt, Rd);

    double rx = Rd[7] - Rd[5], ry = Rd[2] - Rd[6], rz = Rd[3] - Rd[1];
    const double s = sqrt((rx * rx + ry * ry + rz * rz) * 0.25);
    double c = (Rd[0] + Rd[4] + Rd[8] - 1) * 0.5;
    c = c > 1. ? 1. : c < -1. ? -1. : c;
    double theta = acos(c);

    /* calibration.cpp cv::Rodrigues: 1e-5 separates the small-angle / 180° branches */
    if (s < 1e-5) {
        if (c > 0) {
            rx = ry = rz = 0;
        } else {
            double t = (Rd[0] + 1) * 0.5;
            rx = sqrt(t > 0. ? t : 0.);
            t = (Rd[4] + 1) * 0.5;
            ry = sqrt(t > 0. ? t : 0.) * (Rd[1] < 0 ? -1. : 1.);
            t = (Rd[8] + 1) * 0.5;
            rz = sqrt(t > 0. ? t : 0.) * (Rd[2] < 0 ? -1. : 1.);
            if (fabs(rx) < fabs(ry) && fabs(rx) < fabs(rz) && (Rd[5] > 0) != (ry * rz > 0))
                rz = -rz;
            theta /= sqrt(rx * rx + ry * ry + rz * rz);
            rx *= theta;
            ry *= theta;
            rz *= theta;
        }
    } else {
        double vth = 1 / (2 * s);
        vth *= theta;
        rx *= vth;
        ry *= vth;
        rz *= vth;
    }
    aa[0] = (float)rx;
    aa[1] = (float)ry;
    aa[2] = (float)rz;
}

void au_axis_angle_to_rotation(const float aa[3], float R[9])
{
    double rx = aa[0], ry = aa[1], rz = aa[2];
    const double theta = sqrt(rx * rx + ry * ry + rz * rz);
    if (theta < DBL_EPSILON) {
        for (int i = 0; i < 9; i++)
            R[i] = (i % 4 == 0) ? 1.0f : 0.0f;
        return;
    }
    const double c = cos(theta), s = sin(theta), c1 = 1. - c;
    const double itheta = theta ? 1. / theta : 0.;
    rx *= itheta;
    ry *= itheta;
    rz *= itheta;

    const double rrt[9] = {rx * rx, rx * ry, rx * rz, rx * ry, ry * ry,
                           ry * rz, rx * rz, ry * rz, rz * rz};
    const double r_x[9] = {0, -rz, ry, rz, 0, -rx, -ry, rx, 0};
    static const double eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    /* Matx33d R = c*I + c1*rrt + s*r_x, element by element, left to right */
    for (int i = 0; i < 9; i++) {
        double v = c * eye[i] + c1 * rrt[i];
        R[i] = (float)(v + s * r_x[i]);
    }
}

void au_axis_angle_to_euler(const float aa[3], float euler[3])
{
    float R[9];
    au_axis_angle_to_rotation(aa, R);
    au_rotation_to_euler(R, euler);
}
