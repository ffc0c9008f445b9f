/* Rotation conversions of OpenFace 2.2 (lib/local/Utilities/include/RotationHelpers.h,
 * float versions) and of the OpenCV 4.6 cv::Rodrigues calls they make, reproduced to the
 * last bit. PIPELINE_SPEC.md §3.2, CLNF_SPEC.md §11.
 *
 * Conventions: a rotation matrix is 3x3 row-major (R[3*row + col]); Euler angles are
 * (rx, ry, rz) = (pitch, yaw, roll) in radians with R = Rx·Ry·Rz (XYZ convention);
 * an axis-angle vector is the rotation axis times the angle in radians.
 *
 * Precision, as in the OpenFace/OpenCV binaries (CLNF_SPEC.md §11):
 *   - Euler → matrix: sin and cos in double of the float angles, rounded to float; the
 *     products are float, evaluated in the order written in RotationHelpers.h;
 *   - matrix → Euler: quaternion components in float; sqrt, asin and atan2 in double;
 *   - Rodrigues (both directions): double internally, results rounded to float.
 * All functions are thread-safe and allocate nothing. */
#ifndef AU_FACE_ROTATION_H
#define AU_FACE_ROTATION_H

/* Euler2RotationMatrix: with s1 = sin rx, c1 = cos rx, s2/c2 for ry, s3/c3 for rz,
 *   R = [ c2c3            −c2s3             s2    ]
 *       [ c1s3 + c3s1s2    c1c3 − s1s2s3   −c2s1  ]
 *       [ s1s3 − c1c3s2    c3s1 + c1s2s3    c1c2  ] */
void au_euler_to_rotation(const float euler[3], float R[9]);

/* RotationMatrix2Euler, through the quaternion:
 *   q0 = sqrt(1 + R00 + R11 + R22)/2, q1 = (R21 − R12)/(4q0), q2 = (R02 − R20)/(4q0),
 *   q3 = (R10 − R01)/(4q0); t1 = 2(q0q2 + q1q3) clamped to [−1, 1];
 *   rx = atan2(2(q0q1 − q2q3), q0² − q1² − q2² + q3²), ry = asin(t1),
 *   rz = atan2(2(q0q3 − q1q2), q0² + q1² − q2² − q3²).
 * A matrix whose trace is below −1 gives NaN angles, as in OpenFace. */
void au_rotation_to_euler(const float R[9], float euler[3]);

/* cv::Rodrigues, matrix → vector (RotationMatrix2AxisAngle): R is converted to double and
 * projected onto SO(3) by the double SVD (R ← U·Vt); with r = (R21−R12, R02−R20, R10−R01),
 * s = |r|/2, c = clamp((tr R − 1)/2, −1, 1), θ = acos c:
 *   s >= 1e-5: aa = r·θ/(2s);
 *   s <  1e-5: aa = 0 when c > 0, otherwise OpenCV's 180° branch (axis from the diagonal,
 *              signs from R01, R02 and R12), scaled to length θ.
 * A matrix with a NaN or an element outside [−100, 100) gives aa = 0 (OpenCV checkRange). */
void au_rotation_to_axis_angle(const float R[9], float aa[3]);

/* cv::Rodrigues, vector → matrix (AxisAngle2RotationMatrix), in double:
 * θ = |aa|; θ < DBL_EPSILON gives the identity; otherwise with the unit axis r,
 * R = cos θ·I + (1 − cos θ)·r·rᵀ + sin θ·[r]×, rounded to float. */
void au_axis_angle_to_rotation(const float aa[3], float R[9]);

/* AxisAngle2Euler: au_rotation_to_euler(au_axis_angle_to_rotation(aa)). */
void au_axis_angle_to_euler(const float aa[3], float euler[3]);

#endif
