#include "math/svd.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

/* One Jacobi SVD core serves both element types: values are held in double and, for the
 * float version, every result that OpenCV stores in a float (_Tp) variable is rounded to
 * float right away. A single binary32 operation (+, -, *, /, sqrt) evaluated in binary64
 * and then rounded to binary32 gives the correctly rounded binary32 result (53 >= 2·24 + 2),
 * so this reproduces OpenCV's float arithmetic exactly. */
typedef struct svd_kind {
    int single;    /* 1: _Tp = float, 0: _Tp = double */
    double eps;    /* lapack.cpp hal::SVD32f: FLT_EPSILON*2, hal::SVD64f: DBL_EPSILON*10 */
    double minval; /* FLT_MIN / DBL_MIN */
} svd_kind;

/* Value of x after it is stored in a variable of the element type. */
static double elem(const svd_kind *k, double x)
{
    return k->single ? (double)(float)x : x;
}

/* lapack.cpp `hypot` template (not libm's): a·sqrt(1 + (b/a)²) with a the larger. */
static double cv_hypot(double a, double b)
{
    a = fabs(a);
    b = fabs(b);
    if (a > b) {
        b /= a;
        return a * sqrt(1 + b * b);
    }
    if (b > 0) {
        a /= b;
        return b * sqrt(1 + a * a);
    }
    return 0;
}

/* cv::RNG::next(): multiply-with-carry, CV_RNG_COEFF = 4164903690 (core.hpp). */
static uint32_t cv_rng_next(uint64_t *state)
{
    *state = (uint64_t)(uint32_t)*state * 4164903690u + (uint32_t)(*state >> 32);
    return (uint32_t)*state;
}

/* Rotates rows x and y (length len) by (c, s): x' = c·x + s·y, y' = −s·x + c·y, each
 * product and sum rounded to the element type (JacobiSVDImpl_ and VBLAS::givens, whose
 * SIMD form b·c − a·s gives the same values). */
static void rotate_rows(const svd_kind *k, double *x, double *y, int len, double c, double s)
{
    for (int i = 0; i < len; i++) {
        double t0 = elem(k, elem(k, c * x[i]) + elem(k, s * y[i]));
        double t1 = elem(k, elem(k, -s * x[i]) + elem(k, c * y[i]));
        x[i] = t0;
        y[i] = t1;
    }
}

static double row_sqnorm(const double *x, int len)
{
    double sd = 0;
    for (int i = 0; i < len; i++)
        sd += x[i] * x[i];
    return sd;
}

static void swap_rows(double *x, double *y, int len)
{
    for (int i = 0; i < len; i++) {
        double t = x[i];
        x[i] = y[i];
        y[i] = t;
    }
}

/* Replaces row i of At (a zero singular value) by a random ±1/m vector made orthogonal to
 * rows 0..i-1 and returns its norm (JacobiSVDImpl_, the `sd <= minval` loop). */
static double random_orthogonal_row(const svd_kind *k, double *At, int i, int m,
                                    uint64_t *rng)
{
    double *ai = At + i * m;
    const double val0 = elem(k, 1. / m);
    for (int q = 0; q < m; q++)
        ai[q] = (cv_rng_next(rng) & 256) != 0 ? val0 : -val0;
    for (int pass = 0; pass < 2; pass++) {
        for (int j = 0; j < i; j++) {
            const double *aj = At + j * m;
            double sd = 0;
            for (int q = 0; q < m; q++)
                sd += elem(k, ai[q] * aj[q]); /* _Tp product added to a double */
            double asum = 0;
            for (int q = 0; q < m; q++) {
                double t = elem(k, ai[q] - sd * aj[q]);
                ai[q] = t;
                asum = elem(k, asum + fabs(t));
            }
            asum = asum > elem(k, k->eps * 100) ? elem(k, 1 / asum) : 0;
            for (int q = 0; q < m; q++)
                ai[q] = elem(k, ai[q] * asum);
        }
    }
    return sqrt(row_sqnorm(ai, m));
}

/* JacobiSVDImpl_(At, W, Vt, m, n, n1 = n): At is n x m (rows = columns of the input). On
 * return the rows of At are the left singular vectors, W the singular values (element
 * type, descending) and Vt the right singular vectors. */
static void jacobi_svd(const svd_kind *k, double *At, double *w_out, double *Vt, int m, int n)
{
    double W[AU_SVD_MAX_N];
    const int max_iter = m > 30 ? m : 30;

    for (int i = 0; i < n; i++) {
        W[i] = row_sqnorm(At + i * m, m);
        for (int q = 0; q < n; q++)
            Vt[i * n + q] = 0;
        Vt[i * n + i] = 1;
    }

    for (int iter = 0; iter < max_iter; iter++) {
        int changed = 0;
        for (int i = 0; i < n - 1; i++) {
            for (int j = i + 1; j < n; j++) {
                double *Ai = At + i * m, *Aj = At + j * m;
                double a = W[i], b = W[j], p = 0;
                for (int q = 0; q < m; q++)
                    p += Ai[q] * Aj[q];
                if (fabs(p) <= k->eps * sqrt(a * b))
                    continue;

                p *= 2;
                double beta = a - b, gamma = cv_hypot(p, beta), c, s;
                if (beta < 0) {
                    double delta = (gamma - beta) * 0.5;
                    s = elem(k, sqrt(delta / gamma));
                    c = elem(k, p / (gamma * s * 2));
                } else {
                    c = elem(k, sqrt((gamma + beta) / (gamma * 2)));
                    s = elem(k, p / (gamma * c * 2));
                }

                rotate_rows(k, Ai, Aj, m, c, s);
                W[i] = row_sqnorm(Ai, m);
                W[j] = row_sqnorm(Aj, m);
                changed = 1;
                rotate_rows(k, Vt + i * n, Vt + j * n, n, c, s);
            }
        }
        if (!changed)
            break;
    }

    for (int i = 0; i < n; i++)
        W[i] = sqrt(row_sqnorm(At + i * m, m));

    for (int i = 0; i < n - 1; i++) {
        int j = i;
        for (int q = i + 1; q < n; q++)
            if (W[j] < W[q])
                j = q;
        if (i != j) {
            double t = W[i];
            W[i] = W[j];
            W[j] = t;
            swap_rows(At + i * m, At + j * m, m);
            swap_rows(Vt + i * n, Vt + j * n, n);
        }
    }

    for (int i = 0; i < n; i++)
        w_out[i] = elem(k, W[i]);

    uint64_t rng = 0x12345678; /* RNG rng(0x12345678) in JacobiSVDImpl_ */
    for (int i = 0; i < n; i++) {
        double sd = W[i];
        for (int attempt = 0; attempt < 100 && sd <= k->minval; attempt++)
            sd = random_orthogonal_row(k, At, i, m, &rng);
        double s = elem(k, sd > k->minval ? 1 / sd : 0.);
        for (int q = 0; q < m; q++)
            At[i * m + q] = elem(k, At[i * m + q] * s);
    }
}

/* _SVDcompute for a square matrix: At = aᵀ, Jacobi SVD, u = Atᵀ, vt = Vt. */
static void svd_square(const svd_kind *k, const double *a, int n, double *w, double *u,
                       double *vt)
{
    double At[AU_SVD_MAX_N * AU_SVD_MAX_N];
    for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++)
            At[c * n + r] = a[r * n + c];
    jacobi_svd(k, At, w, vt, n, n);
    for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++)
            u[r * n + c] = At[c * n + r];
}

void au_svd_f32(const float *a, int n, float *w, float *u, float *vt)
{
    if (n < 1 || n > AU_SVD_MAX_N)
        return;
    const svd_kind k = {1, (double)(FLT_EPSILON * 2), FLT_MIN};
    double ad[AU_SVD_MAX_N * AU_SVD_MAX_N], wd[AU_SVD_MAX_N];
    double ud[AU_SVD_MAX_N * AU_SVD_MAX_N], vd[AU_SVD_MAX_N * AU_SVD_MAX_N];
    for (int i = 0; i < n * n; i++)
        ad[i] = a[i];
    svd_square(&k, ad, n, wd, ud, vd);
    for (int i = 0; i < n; i++)
        w[i] = (float)wd[i];
    for (int i = 0; i < n * n; i++) {
        u[i] = (float)ud[i];
        vt[i] = (float)vd[i];
    }
}

void au_svd_f64(const double *a, int n, double *w, double *u, double *vt)
{
    if (n < 1 || n > AU_SVD_MAX_N)
        return;
    const svd_kind k = {0, DBL_EPSILON * 10, DBL_MIN};
    double ad[AU_SVD_MAX_N * AU_SVD_MAX_N], wd[AU_SVD_MAX_N];
    double ud[AU_SVD_MAX_N * AU_SVD_MAX_N], vd[AU_SVD_MAX_N * AU_SVD_MAX_N];
    for (int i = 0; i < n * n; i++)
        ad[i] = a[i];
    svd_square(&k, ad, n, wd, ud, vd);
    for (int i = 0; i < n; i++)
        w[i] = wd[i];
    for (int i = 0; i < n * n; i++) {
        u[i] = ud[i];
        vt[i] = vd[i];
    }
}
