/* Tests for math/cholesky and math/svd: hand-derived systems and decompositions, agreement
 * with double-precision references, and known answers produced by OpenCV 4.6 itself
 * (cv::solve(DECOMP_CHOLESKY), cv::SVD; Debian's libopencv-core 4.6.0, printed as hex
 * floats), which these modules must reproduce bit for bit. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "math/cholesky.h"
#include "math/svd.h"

/* Deterministic pseudo-random numbers in [-0.5, 0.5). */
static double rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0 - 0.5;
}

static int same_bits_f(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* --- Cholesky ------------------------------------------------------------------------ */

/* A = L·Lᵀ with L = [[2,0,0,0],[1,2,0,0],[0,1,2,0],[0,0,1,2]]: every step is exact in
 * float, so the solution is exact and the stored factor is L with 1/diag on the diagonal. */
static void test_cholesky_hand_derived(void)
{
    float a[16] = {4, 2, 0, 0, 2, 5, 2, 0, 0, 2, 5, 2, 0, 0, 2, 5};
    const float x[4] = {1, -2, 3, 0.5f};
    float b[4] = {0, -2, 12, 8.5f}; /* A·x */
    CHECK(au_cholesky_solve_f32(a, 4, b) == 1);
    for (int i = 0; i < 4; i++)
        CHECK(b[i] == x[i]);
    /* factor: L[i][i] stored as 1/2, L[i][i-1] = 1 */
    CHECK(a[0] == 0.5f && a[5] == 0.5f && a[10] == 0.5f && a[15] == 0.5f);
    CHECK(a[4] == 1.0f && a[9] == 1.0f && a[14] == 1.0f && a[8] == 0.0f);
}

/* Random SPD systems of the CalcParams size against a double-precision solve. */
static void test_cholesky_vs_double(void)
{
    enum { N = 40 };
    uint64_t seed = 12345;
    for (int trial = 0; trial < 5; trial++) {
        double B[N * N], A[N * N], xd[N], bd[N];
        float a[N * N], b[N];
        for (int i = 0; i < N * N; i++)
            B[i] = rnd(&seed);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double s = i == j ? 1.0 : 0.0;
                for (int k = 0; k < N; k++)
                    s += B[k * N + i] * B[k * N + j];
                A[i * N + j] = s;
            }
        for (int i = 0; i < N * N; i++) {
            a[i] = (float)A[i];
            A[i] = a[i]; /* solve exactly the float system */
        }
        for (int i = 0; i < N; i++) {
            b[i] = (float)(10 * rnd(&seed));
            bd[i] = b[i];
        }
        /* double Gaussian elimination (no pivoting needed for SPD) */
        for (int c = 0; c < N; c++)
            for (int r = c + 1; r < N; r++) {
                double f = A[r * N + c] / A[c * N + c];
                for (int k = c; k < N; k++)
                    A[r * N + k] -= f * A[c * N + k];
                bd[r] -= f * bd[c];
            }
        for (int r = N - 1; r >= 0; r--) {
            double s = bd[r];
            for (int k = r + 1; k < N; k++)
                s -= A[r * N + k] * xd[k];
            xd[r] = s / A[r * N + r];
        }
        CHECK(au_cholesky_solve_f32(a, N, b) == 1);
        double max_err = 0, max_x = 0;
        for (int i = 0; i < N; i++) {
            max_err = fmax(max_err, fabs(b[i] - xd[i]));
            max_x = fmax(max_x, fabs(xd[i]));
        }
        CHECK(max_err <= 1e-4 * max_x);
    }
}

/* matrix_decomp.cpp CholImpl<float> with one right-hand side, written out as OpenCV has it
 * (each sum finished before the next starts), for the bit-for-bit comparison below. */
static int ref_cholimpl(float *L, int n, float *b)
{
    for (int i = 0; i < n; i++) {
        float *Li = L + i * n;
        for (int j = 0; j < i; j++) {
            const float *Lj = L + j * n;
            double s = Li[j];
            for (int k = 0; k < j; k++) {
                const float prod = Li[k] * Lj[k];
                s -= prod;
            }
            Li[j] = (float)(s * Lj[j]);
        }
        double s = Li[i];
        for (int k = 0; k < i; k++) {
            const double t = Li[k];
            s -= t * t;
        }
        if (s < FLT_EPSILON)
            return 0;
        Li[i] = (float)(1. / sqrt(s));
    }
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) {
            const float prod = L[i * n + k] * b[k];
            s -= prod;
        }
        b[i] = (float)(s * L[i * n + i]);
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = n - 1; k > i; k--) {
            const float prod = L[k * n + i] * b[k];
            s -= prod;
        }
        b[i] = (float)(s * L[i * n + i]);
    }
    return 1;
}

/* The solve reorganises CholImpl's loops (all sums of a row advance together); every sum
 * must still get its terms in OpenCV's order: the same solution and the same factor in the
 * lower triangle, bit for bit, on random SPD systems (with an asymmetric perturbation above
 * the diagonal, which neither may read) of every CalcParams/CLNF size and a CCNF-like one. */
static void test_cholesky_matches_cholimpl(void)
{
    enum { MAXN = 200 };
    static float M[MAXN * MAXN], A[MAXN * MAXN], B[MAXN * MAXN];
    float b1[MAXN], b2[MAXN];
    uint64_t seed = 777;
    int same = 1, sizes = 0;
    for (int n = 4; n <= MAXN; n = n < 64 ? n + 1 : n + 68) {
        for (int i = 0; i < n * n; i++)
            M[i] = (float)rnd(&seed);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++)
                    s += (double)M[k * n + i] * M[k * n + j];
                A[i * n + j] = (float)s + (i == j ? (float)n * 0.1f : 0.0f) +
                               (i < j ? 1e-4f : 0.0f);
            }
        for (int i = 0; i < n; i++)
            b1[i] = b2[i] = (float)(10 * rnd(&seed));
        memcpy(B, A, (size_t)n * n * sizeof(float));
        const int ok1 = au_cholesky_solve_f32(A, n, b1);
        const int ok2 = ref_cholimpl(B, n, b2);
        same &= ok1 == 1 && ok2 == 1 && memcmp(b1, b2, (size_t)n * sizeof(float)) == 0;
        for (int i = 0; i < n; i++)
            same &= memcmp(A + i * n, B + i * n, (size_t)(i + 1) * sizeof(float)) == 0;
        sizes++;
    }
    CHECK(same);
    CHECK(sizes == 63); /* 4..64, 132, 200 */
    /* beyond AU_CHOLESKY_MAX_N: refused before the matrix is read, solution zeroed */
    static float x[AU_CHOLESKY_MAX_N + 1];
    for (int i = 0; i <= AU_CHOLESKY_MAX_N; i++)
        x[i] = 1.0f;
    CHECK(au_cholesky_solve_f32(A, AU_CHOLESKY_MAX_N + 1, x) == 0);
    int zeroed = 1;
    for (int i = 0; i <= AU_CHOLESKY_MAX_N; i++)
        zeroed &= x[i] == 0.0f;
    CHECK(zeroed);
}

static void test_cholesky_failures(void)
{
    /* indefinite: the second pivot is 1 − 4 < FLT_EPSILON */
    float a[16] = {1, 2, 0, 0, 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    float b[4] = {1, 2, 3, 4};
    CHECK(au_cholesky_solve_f32(a, 4, b) == 0);
    CHECK(b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0);
    /* singular 2x2 (closed form): det == 0 */
    float s[4] = {1, 2, 2, 4}, sb[2] = {1, 1};
    CHECK(au_cholesky_solve_f32(s, 2, sb) == 0);
    CHECK(sb[0] == 0 && sb[1] == 0);
    /* empty system */
    CHECK(au_cholesky_solve_f32(NULL, 0, NULL) == 1);
}

static void test_cholesky_small_closed_form(void)
{
    float a1[1] = {4}, b1[1] = {2};
    CHECK(au_cholesky_solve_f32(a1, 1, b1) == 1 && b1[0] == 0.5f);
    float a2[4] = {2, 1, 1, 3}, b2[2] = {3, 5}; /* x = (0.8, 1.4) */
    CHECK(au_cholesky_solve_f32(a2, 2, b2) == 1);
    CHECK_NEAR(b2[0], 0.8, 1e-7);
    CHECK_NEAR(b2[1], 1.4, 1e-7);
}

/* cv::solve(A, b, x, DECOMP_CHOLESKY) in OpenCV 4.6: A[i][j] = 1/(1+i+j) + δij,
 * b[i] = 0.3f·(i+1) − 0.7f (CholImpl), and the 3x3 closed form. */
static void test_cholesky_opencv_known_answers(void)
{
    float a[25], b[5];
    for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 5; j++)
            a[i * 5 + j] = 1.0f / (1 + i + j) + (i == j ? 1.0f : 0.0f);
        b[i] = 0.3f * (i + 1) - 0.7f;
    }
    const float cv5[5] = {-0x1.42a41cp-2f, -0x1.1b7dcep-3f, 0x1.16c0e6p-3f, 0x1.b920bcp-2f,
                          0x1.768906p-1f};
    CHECK(au_cholesky_solve_f32(a, 5, b) == 1);
    for (int i = 0; i < 5; i++)
        CHECK(same_bits_f(b[i], cv5[i]));

    float a3[9] = {4, 1, 0.5f, 1, 3, 0.25f, 0.5f, 0.25f, 2}, b3[3] = {1, 2, 3};
    const float cv3[3] = {-0x1.2d2d2ep-4f, 0x1.242424p-1f, 0x1.727272p+0f};
    CHECK(au_cholesky_solve_f32(a3, 3, b3) == 1);
    for (int i = 0; i < 3; i++)
        CHECK(same_bits_f(b3[i], cv3[i]));
}

/* --- SVD ----------------------------------------------------------------------------- */

/* Checks a = u·diag(w)·vt, orthonormal u and vt, and w descending and >= 0. */
static void check_svd_f32(const float *a, int n, const float *w, const float *u,
                          const float *vt, double tol)
{
    double scale = 0;
    for (int i = 0; i < n * n; i++)
        scale = fmax(scale, fabs(a[i]));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0, uu = 0, vv = 0;
            for (int k = 0; k < n; k++) {
                s += (double)u[i * n + k] * w[k] * vt[k * n + j];
                uu += (double)u[k * n + i] * u[k * n + j];
                vv += (double)vt[i * n + k] * vt[j * n + k];
            }
            CHECK_NEAR(s, a[i * n + j], tol * (scale > 0 ? scale : 1));
            CHECK_NEAR(uu, i == j, tol);
            CHECK_NEAR(vv, i == j, tol);
        }
    for (int i = 0; i < n; i++)
        CHECK(w[i] >= 0 && (i == 0 || w[i] <= w[i - 1]));
}

static void test_svd_reconstructs(void)
{
    uint64_t seed = 777;
    for (int n = 1; n <= AU_SVD_MAX_N; n++)
        for (int trial = 0; trial < 20; trial++) {
            float a[16], w[4], u[16], vt[16];
            for (int i = 0; i < n * n; i++)
                a[i] = (float)(rnd(&seed) * 200);
            au_svd_f32(a, n, w, u, vt);
            check_svd_f32(a, n, w, u, vt, 1e-5);

            double ad[16], wd[4], ud[16], vd[16];
            for (int i = 0; i < n * n; i++)
                ad[i] = rnd(&seed);
            au_svd_f64(ad, n, wd, ud, vd);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int k = 0; k < n; k++)
                        s += ud[i * n + k] * wd[k] * vd[k * n + j];
                    CHECK_NEAR(s, ad[i * n + j], 1e-13);
                }
        }
}

/* Singular values derived by hand. */
static void test_svd_analytic(void)
{
    /* [[3,0],[4,5]]: AᵀA = [[25,20],[20,25]], eigenvalues 45 and 5 */
    float a[4] = {3, 0, 4, 5}, w[2], u[4], vt[4];
    au_svd_f32(a, 2, w, u, vt);
    CHECK_NEAR(w[0], sqrt(45.0), 2e-6);
    CHECK_NEAR(w[1], sqrt(5.0), 2e-6);
    check_svd_f32(a, 2, w, u, vt, 1e-6);

    /* diag(1, −3, 2): singular values 3, 2, 1, sorted */
    float d[9] = {1, 0, 0, 0, -3, 0, 0, 0, 2}, w3[3], u3[9], v3[9];
    au_svd_f32(d, 3, w3, u3, v3);
    CHECK(w3[0] == 3 && w3[1] == 2 && w3[2] == 1);
    check_svd_f32(d, 3, w3, u3, v3, 1e-7);

    /* a rotation has all singular values 1 */
    const double c = cos(0.7), s = sin(0.7);
    double r[9] = {c, -s, 0, s, c, 0, 0, 0, 1}, wr[3], ur[9], vr[9];
    au_svd_f64(r, 3, wr, ur, vr);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(wr[i], 1.0, 1e-15);

    /* the zero matrix: w = 0 and still orthonormal singular vectors (OpenCV fills them
     * with orthogonalised random vectors) */
    float z[9] = {0}, wz[3], uz[9], vz[9];
    au_svd_f32(z, 3, wz, uz, vz);
    CHECK(wz[0] == 0 && wz[1] == 0 && wz[2] == 0);
    check_svd_f32(z, 3, wz, uz, vz, 1e-6);
}

/* cv::SVD(a) in OpenCV 4.6 for a 2x2 float, a near-identity 3x3 float (the case of
 * PDM::Orthonormalise, with a repeated singular value) and a 3x3 double matrix. */
static void test_svd_opencv_known_answers(void)
{
    const float a2[4] = {1, 2, 3, 4};
    const float w2[2] = {0x1.5dc254p+2f, 0x1.76bfd8p-2f};
    const float u2[4] = {0x1.9e434cp-2f, 0x1.d43b38p-1f, 0x1.d43b38p-1f, -0x1.9e434ap-2f};
    const float v2[4] = {0x1.26efd2p-1f, 0x1.a2844ap-1f, -0x1.a2844ap-1f, 0x1.26efd2p-1f};
    float w[3], u[9], vt[9];
    au_svd_f32(a2, 2, w, u, vt);
    for (int i = 0; i < 2; i++)
        CHECK(same_bits_f(w[i], w2[i]));
    for (int i = 0; i < 4; i++)
        CHECK(same_bits_f(u[i], u2[i]) && same_bits_f(vt[i], v2[i]));

    const float a3[9] = {1, -0.02f, 0.01f, 0.02f, 1, -0.03f, -0.01f, 0.03f, 1};
    const float w3[3] = {0x1.002ddcp+0f, 0x1.002ddcp+0f, 0x1.000002p+0f};
    const float u3[9] = {-0x1.570198p-2f, -0x1.fad18p-2f, 0x1.9a815p-1f,
                         0x1.e22678p-1f,  -0x1.a298bep-3f, 0x1.11ab36p-2f,
                         0x1.02df64p-5f,  0x1.b0685ap-1f,  0x1.11b07ap-1f};
    const float v3[9] = {-0x1.43d136p-2f, 0x1.e5b9d2p-1f,  0x0p+0f,
                         -0x1.03a502p-1f, -0x1.5a3158p-3f, 0x1.b0b5dp-1f,
                         0x1.9a8144p-1f,  0x1.11ab82p-2f,  0x1.11b07cp-1f};
    au_svd_f32(a3, 3, w, u, vt);
    for (int i = 0; i < 3; i++)
        CHECK(same_bits_f(w[i], w3[i]));
    for (int i = 0; i < 9; i++)
        CHECK(same_bits_f(u[i], u3[i]) && same_bits_f(vt[i], v3[i]));

    const double d3[9] = {2, 1, 0, 1, 3, 1, 0, 1, 4};
    const double wd3[3] = {0x1.2ed9eba16132bp+2, 0x1.8p+1, 0x1.4498517a7b356p+0};
    const double ud3[9] = {0x1.b0cb174df99cap-3, -0x1.279a74590331cp-1, 0x1.93cd3a2c8198dp-1,
                           0x1.279a74590331ep-1, -0x1.279a74590331ap-1, -0x1.279a74590331dp-1,
                           0x1.93cd3a2c8198dp-1, 0x1.279a74590331dp-1,  0x1.b0cb174df99cdp-3};
    const double vd3[9] = {0x1.b0cb174df99c9p-3,  0x1.279a74590331ep-1,  0x1.93cd3a2c8198dp-1,
                           -0x1.279a74590331cp-1, -0x1.279a74590331bp-1, 0x1.279a74590331bp-1,
                           0x1.93cd3a2c8198ep-1,  -0x1.279a74590331dp-1, 0x1.b0cb174df99c9p-3};
    double wd[3], ud[9], vd[9];
    au_svd_f64(d3, 3, wd, ud, vd);
    for (int i = 0; i < 3; i++)
        CHECK(wd[i] == wd3[i]);
    for (int i = 0; i < 9; i++)
        CHECK(ud[i] == ud3[i] && vd[i] == vd3[i]);
}

int main(void)
{
    test_cholesky_hand_derived();
    test_cholesky_vs_double();
    test_cholesky_matches_cholimpl();
    test_cholesky_failures();
    test_cholesky_small_closed_form();
    test_cholesky_opencv_known_answers();
    test_svd_reconstructs();
    test_svd_analytic();
    test_svd_opencv_known_answers();
    return check_report("test_linalg");
}
