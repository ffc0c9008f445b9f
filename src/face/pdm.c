#include "face/pdm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/file_read.h"
#include "common/text_matrix.h"
#include "face/rotation.h"
#include "math/row_sums.h"

/* A PDM text file is a few hundred kilobytes (the 68-point one is 160 kB); anything far
 * larger is not a PDM. */
#define PDM_MAX_FILE_BYTES (16L << 20)

static auface_status check_shapes(const char *path, int mean_rows, int mean_cols, int pc_rows,
                                  int pc_cols, int eig_rows, int eig_cols, au_err *err)
{
    if (mean_cols != 1 || mean_rows % 3 != 0 || mean_rows / 3 > AU_PDM_MAX_POINTS)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the mean shape is %d x %d, expected 3n x 1 with n <= %d", path,
                       mean_rows, mean_cols, AU_PDM_MAX_POINTS);
    if (pc_rows != mean_rows || pc_cols > AU_PDM_MAX_MODES)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the principal components are %d x %d, expected %d x m with m <= %d",
                       path, pc_rows, pc_cols, mean_rows, AU_PDM_MAX_MODES);
    if (eig_rows != 1 || eig_cols != pc_cols)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the eigenvalues are %d x %d, expected 1 x %d", path, eig_rows,
                       eig_cols, pc_cols);
    return AUFACE_OK;
}

auface_status au_pdm_load(au_pdm *pdm, const char *path, au_err *err)
{
    memset(pdm, 0, sizeof *pdm);
    unsigned char *text = NULL;
    size_t size = 0;
    auface_status st =
        au_read_file(path, "PDM file", PDM_MAX_FILE_BYTES, AUFACE_ERR_IO, &text, &size, err);
    if (st != AUFACE_OK)
        return st;

    au_text_cursor c = {(const char *)text, (const char *)text + size, path};
    int mr, mc, pr, pc, er, ec;
    float *mean = NULL, *comp = NULL, *eig = NULL;
    st = au_text_matrix_f32(&c, "mean shape", 3 * AU_PDM_MAX_POINTS, 1000, &mr, &mc, &mean,
                            err);
    if (st == AUFACE_OK)
        st = au_text_matrix_f32(&c, "principal components", 3 * AU_PDM_MAX_POINTS,
                                AU_PDM_MAX_MODES, &pr, &pc, &comp, err);
    if (st == AUFACE_OK)
        st = au_text_matrix_f32(&c, "eigenvalues", 1000, AU_PDM_MAX_MODES, &er, &ec, &eig,
                                err);
    if (st == AUFACE_OK)
        st = check_shapes(path, mr, mc, pr, pc, er, ec, err);
    for (int j = 0; st == AUFACE_OK && j < ec; j++)
        if (!(eig[j] > 0.0f))
            st = au_fail(err, AUFACE_ERR_FORMAT,
                         "%s: eigenvalue %d is %g; the eigenvalues (variances) must be > 0",
                         path, j + 1, (double)eig[j]);
    free(text);
    if (st != AUFACE_OK) {
        free(mean);
        free(comp);
        free(eig);
        return st;
    }
    pdm->n = mr / 3;
    pdm->m = pc;
    pdm->mean = mean;
    pdm->pc = comp;
    pdm->eig = eig;
    return AUFACE_OK;
}

void au_pdm_free(au_pdm *pdm)
{
    if (!pdm)
        return;
    free(pdm->mean);
    free(pdm->pc);
    free(pdm->eig);
    memset(pdm, 0, sizeof *pdm);
}

/* OpenCV 4.6 hal_internal.cpp HAL_GEMM_SMALL_MATRIX_THRESH: cv::gemm calls cblas_sgemm from
 * this many rows of A on. */
#define CV_LAPACK_GEMM_MIN_ROWS 100

/* PDM::CalcShape3D calls OpenBLAS sgemm_ (mean + V·p with beta = 1, a 1-row product in
 * BLAS terms). OpenBLAS's AVX2 (Haswell/Zen) SGEMM kernel computes each element as a chain
 * of fused multiply-adds over the modes in order, starting from 0, and adds it to the mean
 * (C = fma(acc, alpha, C), alpha = 1); checked bit for bit against OpenBLAS 0.3.21. The
 * same holds for `M + V*p` in PDM::CalcParams, which OpenCV hands to cblas_sgemm (204 rows
 * >= 100, hal_internal.cpp HAL_GEMM_SMALL_MATRIX_THRESH). */
/* Cloned for FMA hardware (fmaf inline instead of a libm call; same bits either way). */
__attribute__((target_clones("fma", "default")))
void au_pdm_shape3d(const au_pdm *pdm, const float *p_local, float *out3n)
{
    const int rows = 3 * pdm->n, m = pdm->m;
    for (int r = 0; r < rows; r++) {
        const float *v = pdm->pc + (size_t)r * m;
        float acc = 0.0f;
        for (int j = 0; j < m; j++)
            acc = fmaf(v[j], p_local[j], acc);
        out3n[r] = pdm->mean[r] + acc;
    }
}

/* au_pdm_shape3d with the components transposed: the same chain per row, the rows side by
 * side so that they vectorise. Cloned for FMA hardware (fmaf inline; the same bits). */
__attribute__((target_clones("fma", "default")))
void au_pdm_shape3d_t(const au_pdm *pdm, const float *pc_t, const float *p_local, float *out3n)
{
    const int rows = 3 * pdm->n, m = pdm->m;
    float acc[3 * AU_PDM_MAX_POINTS];
    for (int r = 0; r < rows; r++)
        acc[r] = 0.0f;
    for (int j = 0; j < m; j++) {
        const float *v = pc_t + (size_t)j * rows;
        const float pj = p_local[j];
        for (int r = 0; r < rows; r++)
            acc[r] = fmaf(v[r], pj, acc[r]);
    }
    for (int r = 0; r < rows; r++)
        out3n[r] = pdm->mean[r] + acc[r];
}

/* One row of cv::gemm's float fast path (matmul.simd.hpp: flags 0, 2 <= len <= 4 and len
 * equal to a side of the result): the products summed left to right in float, then
 * (float)(t·alpha + c·beta) in double with alpha = beta = 1. */
static float cv_gemm_fast_row(const float *v, const float *p, int m, float c)
{
    float t = v[0] * p[0];
    for (int k = 1; k < m; k++)
        t = t + v[k] * p[k];
    return (float)((double)t * 1.0 + (double)c * 1.0);
}

/* One row of GEMMSingleMul<float, double> (matmul.simd.hpp), A·Bᵀ branch: four double
 * accumulators over k mod 4 while four terms remain, the tail into the first, then
 * (float)((s0 + s1 + s2 + s3)·alpha + c·beta) with alpha = beta = 1. */
static float cv_gemm_single_mul_row(const float *v, const float *p, int m, float c)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k = 0;
    for (; k <= m - 4; k += 4) {
        s0 += (double)v[k] * p[k];
        s1 += (double)v[k + 1] * p[k + 1];
        s2 += (double)v[k + 2] * p[k + 2];
        s3 += (double)v[k + 3] * p[k + 3];
    }
    for (; k < m; k++)
        s0 += (double)v[k] * p[k];
    return (float)((s0 + s1 + s2 + s3) * 1.0 + (double)c * 1.0);
}

/* `M + V*p` as cv::gemm evaluates it (PDM::CalcParams: shape_3D = M + V * loc_params).
 * OpenCV 4.6 built with LAPACK passes a product to cblas_sgemm only when A (here V) has at
 * least HAL_GEMM_SMALL_MATRIX_THRESH rows (hal_internal.cpp lapack_gemm32f tests m alone):
 * then it is OpenBLAS's fma chain of au_pdm_shape3d. With fewer rows (an eye part's 6
 * visible points: 18 rows) OpenCV's own gemmImpl runs; B being a column, it sets GEMM_2_T
 * and calls GEMMSingleMul, unless the fast path applies. */
void au_pdm_shape3d_cv(const au_pdm *pdm, const float *p_local, float *out3n)
{
    const int rows = 3 * pdm->n, m = pdm->m;
    if (rows >= CV_LAPACK_GEMM_MIN_ROWS) {
        au_pdm_shape3d(pdm, p_local, out3n);
        return;
    }
    const int fast = m >= 2 && m <= 4 && m == rows;
    for (int r = 0; r < rows; r++) {
        const float *v = pdm->pc + (size_t)r * m;
        out3n[r] = fast ? cv_gemm_fast_row(v, p_local, m, pdm->mean[r])
                        : cv_gemm_single_mul_row(v, p_local, m, pdm->mean[r]);
    }
}

int au_pdm_cv_gemm_is_sgemm(const au_pdm *pdm)
{
    return 3 * pdm->n >= CV_LAPACK_GEMM_MIN_ROWS;
}

/* GEMMSingleMul's rows (cv_gemm_single_mul_row) side by side: each row keeps its four
 * double accumulators over k mod 4 and their final sum in the same order, so computing the
 * rows together (which vectorises, four doubles per instruction in the AVX clone) gives
 * the same bits. */
__attribute__((target_clones("avx2", "default"))) static void
single_mul_rows_t(const float *pc_t, const float *p, int rows, int m, const float *mean,
                  float *out3n)
{
    double s0[3 * AU_PDM_MAX_POINTS], s1[3 * AU_PDM_MAX_POINTS];
    double s2[3 * AU_PDM_MAX_POINTS], s3[3 * AU_PDM_MAX_POINTS];
    au_row_sums4(pc_t, (size_t)rows, p, m, rows, s0, s1, s2, s3);
    for (int r = 0; r < rows; r++)
        out3n[r] = (float)((s0[r] + s1[r] + s2[r] + s3[r]) * 1.0 + (double)mean[r] * 1.0);
}

void au_pdm_shape3d_cv_t(const au_pdm *pdm, const float *pc_t, const float *p_local,
                         float *out3n)
{
    const int rows = 3 * pdm->n, m = pdm->m;
    if (rows >= CV_LAPACK_GEMM_MIN_ROWS) {
        au_pdm_shape3d_t(pdm, pc_t, p_local, out3n);
        return;
    }
    if (m >= 2 && m <= 4 && m == rows) { /* the fast path: a handful of products */
        au_pdm_shape3d_cv(pdm, p_local, out3n);
        return;
    }
    single_mul_rows_t(pc_t, p_local, rows, m, pdm->mean, out3n);
}

void au_pdm_shape2d(const au_pdm *pdm, const float global[6], const float *p_local,
                    float *out2n)
{
    const int n = pdm->n;
    if (n < 1 || n > AU_PDM_MAX_POINTS)
        return; /* not a PDM au_pdm_load accepts */
    float shape[3 * AU_PDM_MAX_POINTS], R[9];
    const float s = global[0], tx = global[4], ty = global[5];
    au_euler_to_rotation(global + 1, R);
    au_pdm_shape3d(pdm, p_local, shape);
    for (int i = 0; i < n; i++) {
        const float X = shape[i], Y = shape[i + n], Z = shape[i + 2 * n];
        out2n[i] = s * (R[0] * X + R[1] * Y + R[2] * Z) + tx;
        out2n[i + n] = s * (R[3] * X + R[4] * Y + R[5] * Z) + ty;
    }
}
