/* OpenFace point distribution model (PDM): loading and shape synthesis.
 * File format and semantics: OpenFace PDM.cpp (PDM::Read, CalcShape3D, CalcShape2D).
 * Shapes are planar, as in OpenFace: 2D = [x0..x(n-1), y0..y(n-1)], 3D = [X.., Y.., Z..]. */
#ifndef AU_FACE_PDM_H
#define AU_FACE_PDM_H

#include "common/error.h"

#define AU_PDM_MAX_POINTS 68
#define AU_PDM_MAX_MODES 40

typedef struct au_pdm {
    int n;          /* landmarks (68) */
    int m;          /* modes (34) */
    float *mean;    /* 3n: mean shape, [X.., Y.., Z..], values rounded to float as OpenFace */
    float *pc;      /* 3n x m, row-major: principal components (row r = coordinate r of mean) */
    float *eig;     /* m: eigenvalues (variances) of the modes */
} au_pdm;

/* Reads an OpenFace PDM text file (three "#"-commented matrices: mean 3n x 1, components
 * 3n x m, eigenvalues 1 x m). Rejects truncated or inconsistent files with a message
 * naming the file and the matrix. */
auface_status au_pdm_load(au_pdm *pdm, const char *path, au_err *err);

void au_pdm_free(au_pdm *pdm);

/* out3n = mean + pc * p_local (float, OpenFace CalcShape3D). */
void au_pdm_shape3d(const au_pdm *pdm, const float *p_local, float *out3n);

/* out3n = mean + pc * p_local as OpenCV's cv::gemm computes `M + V*p` (PDM::CalcParams):
 * au_pdm_shape3d's order when 3n >= 100, OpenCV's own double-accumulating gemm below. */
void au_pdm_shape3d_cv(const au_pdm *pdm, const float *p_local, float *out3n);

/* au_pdm_shape3d with the components transposed (pc_t[j·3n + r] = pc[r][j]): the same
 * bits, vectorised across rows. */
void au_pdm_shape3d_t(const au_pdm *pdm, const float *pc_t, const float *p_local, float *out3n);
/* Whether au_pdm_shape3d_cv takes au_pdm_shape3d's order (OpenCV hands the product to
 * sgemm: 3n >= 100), so that a shape already computed that way can be reused. */
int au_pdm_cv_gemm_is_sgemm(const au_pdm *pdm);
/* au_pdm_shape3d_cv with the components transposed as for au_pdm_shape3d_t: the same bits.
 * (When au_pdm_cv_gemm_is_sgemm it is au_pdm_shape3d_t.) */
void au_pdm_shape3d_cv_t(const au_pdm *pdm, const float *pc_t, const float *p_local,
                         float *out3n);
/* Weak-perspective projection (OpenFace CalcShape2D): global = (s, rx, ry, rz, tx, ty);
 * out2n planar. */
void au_pdm_shape2d(const au_pdm *pdm, const float global[6], const float *p_local,
                    float *out2n);

#endif
