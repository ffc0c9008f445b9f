/* Tests for au_pdm_shape3d_cv (`M + V*p` as OpenCV 4.6's cv::gemm evaluates it in
 * PDM::CalcParams): OpenFace's chain below 100 rows is wrong for an eye part's visible
 * points; it must follow GEMMSingleMul<float, double>, and au_pdm_shape3d from 100 rows. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "face/pdm.h"

#define MAX_ROWS (3 * AU_PDM_MAX_POINTS)
#define MAX_MODES AU_PDM_MAX_MODES

/* Deterministic values of mixed sign and magnitude (a linear congruential generator). */
static float next_value(unsigned *state, float scale)
{
    *state = *state * 1664525u + 1013904223u;
    return scale * ((float)(*state >> 8) / (float)(1u << 24) - 0.5f);
}

static void fill(au_pdm *pdm, float *mean, float *pc, float *eig, float *p, int n, int m,
                 unsigned seed)
{
    unsigned state = seed;
    for (int r = 0; r < 3 * n; r++) {
        mean[r] = next_value(&state, 60.0f);
        for (int j = 0; j < m; j++)
            pc[r * m + j] = next_value(&state, 1.0f);
    }
    for (int j = 0; j < m; j++) {
        eig[j] = 1.0f;
        p[j] = next_value(&state, 20.0f);
    }
    pdm->n = n;
    pdm->m = m;
    pdm->mean = mean;
    pdm->pc = pc;
    pdm->eig = eig;
}

/* GEMMSingleMul<float, double> (matmul.simd.hpp), A·Bᵀ branch, written out for one row:
 * lanes k mod 4 while four remain, the rest into lane 0, then (s0+s1+s2+s3)·α + C·β. */
static float opencv_row(const float *v, const float *p, int m, float c)
{
    double s[4] = {0, 0, 0, 0};
    int k = 0;
    for (; k + 4 <= m; k += 4)
        for (int l = 0; l < 4; l++)
            s[l] += (double)v[k + l] * (double)p[k + l];
    for (; k < m; k++)
        s[0] += (double)v[k] * (double)p[k];
    return (float)((s[0] + s[1] + s[2] + s[3]) * 1.0 + (double)c * 1.0);
}

/* An eye part's 6 visible points (18 rows, 10 modes): OpenCV's own gemm, row by row. */
static void test_small_follows_opencv(void)
{
    float mean[MAX_ROWS], pc[MAX_ROWS * MAX_MODES], eig[MAX_MODES], p[MAX_MODES];
    float out[MAX_ROWS], chain[MAX_ROWS];
    au_pdm pdm;
    int differs = 0;
    for (unsigned seed = 1; seed <= 20; seed++) {
        fill(&pdm, mean, pc, eig, p, 6, 10, seed);
        au_pdm_shape3d_cv(&pdm, p, out);
        au_pdm_shape3d(&pdm, p, chain);
        for (int r = 0; r < 18; r++) {
            CHECK(out[r] == opencv_row(pc + r * 10, p, 10, mean[r]));
            differs += out[r] != chain[r];
        }
    }
    /* the two orders must really differ somewhere, or this test shows nothing */
    CHECK(differs > 0);
}

/* 3 rows and 3 modes (len 2..4 equal to a side of the result): cv::gemm's float fast path,
 * products summed left to right in float. */
static void test_fast_path(void)
{
    float mean[MAX_ROWS], pc[MAX_ROWS * MAX_MODES], eig[MAX_MODES], p[MAX_MODES];
    float out[MAX_ROWS];
    au_pdm pdm;
    fill(&pdm, mean, pc, eig, p, 1, 3, 7);
    au_pdm_shape3d_cv(&pdm, p, out);
    for (int r = 0; r < 3; r++) {
        const float *v = pc + r * 3;
        const float t = v[0] * p[0] + v[1] * p[1] + v[2] * p[2];
        CHECK(out[r] == (float)((double)t + (double)mean[r]));
    }
}

/* 34 points (102 rows >= 100): cblas_sgemm, i.e. exactly au_pdm_shape3d. */
static void test_large_goes_to_blas(void)
{
    float mean[MAX_ROWS], pc[MAX_ROWS * MAX_MODES], eig[MAX_MODES], p[MAX_MODES];
    float out[MAX_ROWS], chain[MAX_ROWS];
    au_pdm pdm;
    fill(&pdm, mean, pc, eig, p, 34, 10, 3);
    au_pdm_shape3d_cv(&pdm, p, out);
    au_pdm_shape3d(&pdm, p, chain);
    CHECK(memcmp(out, chain, 102 * sizeof(float)) == 0);
}

/* The transposed-components versions (CalcParams' vectorised products) give the bits of
 * the row-major ones, for point counts on both sides of 100 rows and mode counts that are
 * and are not multiples of 4. */
static void test_transposed_same_bits(void)
{
    static float mean[MAX_ROWS], pc[MAX_ROWS * MAX_MODES], pc_t[MAX_ROWS * MAX_MODES];
    float eig[MAX_MODES], p[MAX_MODES], a[MAX_ROWS], b[MAX_ROWS];
    const int points[] = {1, 5, 6, 28, 33, 34, 56, 68}, modes[] = {1, 3, 4, 10, 23, 34, 40};
    for (size_t i = 0; i < sizeof points / sizeof *points; i++)
        for (size_t j = 0; j < sizeof modes / sizeof *modes; j++) {
            au_pdm pdm;
            const int n = points[i], m = modes[j];
            fill(&pdm, mean, pc, eig, p, n, m, (unsigned)(100 * i + j + 1));
            for (int r = 0; r < 3 * n; r++)
                for (int k = 0; k < m; k++)
                    pc_t[k * 3 * n + r] = pc[r * m + k];
            au_pdm_shape3d(&pdm, p, a);
            au_pdm_shape3d_t(&pdm, pc_t, p, b);
            CHECK(memcmp(a, b, (size_t)(3 * n) * sizeof(float)) == 0);
            au_pdm_shape3d_cv(&pdm, p, a);
            au_pdm_shape3d_cv_t(&pdm, pc_t, p, b);
            CHECK(memcmp(a, b, (size_t)(3 * n) * sizeof(float)) == 0);
            CHECK(au_pdm_cv_gemm_is_sgemm(&pdm) == (3 * n >= 100));
        }
}

int main(void)
{
    test_transposed_same_bits();
    test_small_follows_opencv();
    test_fast_path();
    test_large_goes_to_blas();
    return check_report("test_pdm_shape3d_cv");
}
