/* Tests for face/rotation: known angles, round trips Euler ↔ matrix ↔ axis-angle, the
 * special branches of cv::Rodrigues, and known answers printed by OpenCV 4.6's
 * cv::Rodrigues (Debian libopencv-calib3d 4.6.0) that must be reproduced bit for bit. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "face/rotation.h"

static const double PI = 3.14159265358979323846;

/* CHECKs that a[i] and b[i] have the same bits, for each of the n values. */
static void check_same_bits(const float *a, const float *b, int n)
{
    for (int i = 0; i < n; i++)
        CHECK(memcmp(&a[i], &b[i], sizeof a[i]) == 0);
}

/* R = Rx·Ry·Rz in double, for comparison. */
static void euler_reference(double rx, double ry, double rz, double R[9])
{
    const double Rx[9] = {1, 0, 0, 0, cos(rx), -sin(rx), 0, sin(rx), cos(rx)};
    const double Ry[9] = {cos(ry), 0, sin(ry), 0, 1, 0, -sin(ry), 0, cos(ry)};
    const double Rz[9] = {cos(rz), -sin(rz), 0, sin(rz), cos(rz), 0, 0, 0, 1};
    double T[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            T[3 * i + j] = 0;
            for (int k = 0; k < 3; k++)
                T[3 * i + j] += Rx[3 * i + k] * Ry[3 * k + j];
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            R[3 * i + j] = 0;
            for (int k = 0; k < 3; k++)
                R[3 * i + j] += T[3 * i + k] * Rz[3 * k + j];
        }
}

static void test_euler_known_angles(void)
{
    const float half_pi_x[3] = {(float)(PI / 2), 0, 0};
    float R[9];
    au_euler_to_rotation(half_pi_x, R);
    const float expect[9] = {1, 0, 0, 0, 0, -1, 0, 1, 0};
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(R[i], expect[i], 1e-7);

    const float angles[3] = {0.1f, -0.25f, 0.4f};
    double Rd[9];
    au_euler_to_rotation(angles, R);
    euler_reference(angles[0], angles[1], angles[2], Rd);
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(R[i], Rd[i], 2e-7);

    const float zero[3] = {0, 0, 0};
    au_euler_to_rotation(zero, R);
    for (int i = 0; i < 9; i++)
        CHECK(R[i] == (i % 4 == 0 ? 1.0f : 0.0f));
}

/* Euler → matrix → Euler on 200 angle triples spread over ±amp (per axis), within tol. */
static void check_euler_round_trips(const double amp[3], double tol)
{
    for (int k = 0; k < 200; k++) {
        const float e[3] = {(float)(amp[0] * sin(k * 0.37)), (float)(amp[1] * sin(k * 0.51 + 1)),
                            (float)(amp[2] * sin(k * 0.23 + 2))};
        float R[9], back[3];
        au_euler_to_rotation(e, R);
        au_rotation_to_euler(R, back);
        for (int i = 0; i < 3; i++)
            CHECK_NEAR(back[i], e[i], tol);
    }
}

static void test_euler_round_trip(void)
{
    /* head-pose ranges: the float quaternion of RotationMatrix2Euler keeps ~1e-6 rad */
    check_euler_round_trips((const double[3]){0.8, 0.8, 0.8}, 1e-5);
    /* large rotations: q0 = sqrt(1 + trace)/2 gets small and float precision drops, as in
     * OpenFace, but the angles are still recovered */
    check_euler_round_trips((const double[3]){1.4, 1.4, 3.0}, 2e-3);
    /* the t1 clamp keeps ry finite when rounding makes 2(q0q2 + q1q3) exceed 1 */
    const float gimbal[3] = {0.3f, (float)(PI / 2), 0.2f};
    float R[9], back[3];
    au_euler_to_rotation(gimbal, R);
    au_rotation_to_euler(R, back);
    CHECK(!isnan(back[1]));
    CHECK_NEAR(back[1], PI / 2, 2e-3);
}

static void test_axis_angle_known(void)
{
    /* 90° about z */
    const float aa[3] = {0, 0, (float)(PI / 2)};
    float R[9], back[3];
    au_axis_angle_to_rotation(aa, R);
    const float expect[9] = {0, -1, 0, 1, 0, 0, 0, 0, 1};
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(R[i], expect[i], 1e-7);
    au_rotation_to_axis_angle(R, back);
    CHECK_NEAR(back[0], 0, 1e-7);
    CHECK_NEAR(back[1], 0, 1e-7);
    CHECK_NEAR(back[2], PI / 2, 1e-6);

    /* tiny vector: below DBL_EPSILON the identity */
    const float tiny[3] = {1e-17f, 0, 0};
    au_axis_angle_to_rotation(tiny, R);
    for (int i = 0; i < 9; i++)
        CHECK(R[i] == (i % 4 == 0 ? 1.0f : 0.0f));

    /* identity → zero vector (small-angle branch, c > 0) */
    const float I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    au_rotation_to_axis_angle(I, back);
    CHECK(back[0] == 0 && back[1] == 0 && back[2] == 0);

    /* 180° about x: the special branch recovers (π, 0, 0) */
    const float flip_x[9] = {1, 0, 0, 0, -1, 0, 0, 0, -1};
    au_rotation_to_axis_angle(flip_x, back);
    CHECK_NEAR(back[0], PI, 1e-6);
    CHECK_NEAR(back[1], 0, 1e-7);
    CHECK_NEAR(back[2], 0, 1e-7);

    /* 180° about (1,1,0)/√2: R = 2nnᵀ − I = [[0,1,0],[1,0,0],[0,0,-1]] */
    const float flip_xy[9] = {0, 1, 0, 1, 0, 0, 0, 0, -1};
    au_rotation_to_axis_angle(flip_xy, back);
    CHECK_NEAR(fabs(back[0]), PI / sqrt(2.0), 1e-6);
    CHECK_NEAR(back[0], back[1], 1e-6);
    CHECK_NEAR(back[2], 0, 1e-7);
}

static void test_axis_angle_round_trip_and_projection(void)
{
    for (int k = 0; k < 100; k++) {
        const float aa[3] = {(float)(0.9 * sin(k * 0.7)), (float)(0.9 * cos(k * 1.3)),
                             (float)(0.8 * sin(k * 0.3 + 0.5))};
        float R[9], back[3], Rs[9], back_s[3];
        au_axis_angle_to_rotation(aa, R);
        au_rotation_to_axis_angle(R, back);
        for (int i = 0; i < 3; i++)
            CHECK_NEAR(back[i], aa[i], 2e-6);
        /* a scaled matrix is projected back onto SO(3) by the SVD first */
        for (int i = 0; i < 9; i++)
            Rs[i] = R[i] * 1.01f;
        au_rotation_to_axis_angle(Rs, back_s);
        for (int i = 0; i < 3; i++)
            CHECK_NEAR(back_s[i], aa[i], 2e-6);
        /* AxisAngle2Euler is the composition */
        float e1[3], e2[3];
        au_axis_angle_to_euler(aa, e1);
        au_rotation_to_euler(R, e2);
        check_same_bits(e1, e2, 3);
    }
    /* NaN fails OpenCV's checkRange: zero vector */
    float bad[9] = {1, 0, 0, 0, NAN, 0, 0, 0, 1}, back[3] = {1, 1, 1};
    au_rotation_to_axis_angle(bad, back);
    CHECK(back[0] == 0 && back[1] == 0 && back[2] == 0);
}

/* OpenCV 4.6: R = Euler2RotationMatrix(0.1, −0.2, 0.3) as RotationHelpers.h computes it
 * (double sin/cos rounded to float), cv::Rodrigues(R) → aa; cv::Rodrigues((0.3,−0.4,1.2))
 * → R2; RotationMatrix2Euler(R2). */
static void test_opencv_known_answers(void)
{
    const float e[3] = {0.1f, -0.2f, 0.3f};
    const float R_cv[9] = {0x1.df61dap-1f,  -0x1.2894a2p-2f, -0x1.96dff2p-3f,
                           0x1.19b2bap-2f,  0x1.e9b08ep-1f,  -0x1.90c43ep-4f,
                           0x1.bf2ea4p-3f,  0x1.2ec07cp-5f,  0x1.f34988p-1f};
    const float aa_cv[3] = {0x1.1a50b4p-4f, -0x1.b4afcap-3f, 0x1.27adccp-2f};
    float R[9], aa[3];
    au_euler_to_rotation(e, R);
    check_same_bits(R, R_cv, 9);
    au_rotation_to_axis_angle(R_cv, aa);
    check_same_bits(aa, aa_cv, 3);

    const float v[3] = {0.3f, -0.4f, 1.2f};
    const float R2_cv[9] = {0x1.39dd2ap-2f, -0x1.e205c4p-1f, -0x1.1fa0fp-3f,
                            0x1.acc328p-1f, 0x1.58eebp-2f,   -0x1.b8bcaep-2f,
                            0x1.cf6026p-2f, 0x1.d4f8f8p-7f,  0x1.c88548p-1f};
    const float e2_cv[3] = {0x1.cc8424p-2f, -0x1.20952ep-3f, 0x1.418c72p+0f};
    float R2[9], e2[3];
    au_axis_angle_to_rotation(v, R2);
    check_same_bits(R2, R2_cv, 9);
    au_axis_angle_to_euler(v, e2);
    check_same_bits(e2, e2_cv, 3);
}

int main(void)
{
    test_euler_known_angles();
    test_euler_round_trip();
    test_axis_angle_known();
    test_axis_angle_round_trip_and_projection();
    test_opencv_known_answers();
    return check_report("test_rotation");
}
