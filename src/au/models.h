/* OpenFace 2.2's AU model set: the index files, the linear SVR (intensity) and SVM (presence)
 * models, and their per-frame prediction.
 *
 * Files (OpenFace FaceAnalyser::Read / ReadAU / ReadRegressor, PIPELINE_SPEC §8.1-8.2):
 *   - the module list, AU_predictors/main_dynamic_svms.txt (default) or main_static_svms.txt
 *     (-au_static): lines of exactly two fields "<Module> <path relative to the list's
 *     folder>", modules
 *     AUPredictor (a model list), PDM and Triangulation (only their paths are recorded here;
 *     other modules are ignored, as OpenFace does);
 *   - the model list (AU_all_best.txt / AU_all_static.txt): lines "<relative .dat path>
 *     <AU name>". OpenFace allows comma-separated names but stores one model per file, so
 *     only one name per line is accepted;
 *   - each .dat: int32 regressor type, then
 *       type 0 (static SVR):   MatBin means, MatBin support vectors, float64 bias
 *       type 1 (dynamic SVR):  float64 cutoff, then as type 0
 *       type 4 / 5 (static / dynamic SVM): as type 0, then float64 pos_class, float64 neg_class
 *     where MatBin = int32 rows, int32 cols, int32 OpenCV type (6 = float64, 5 = float32),
 *     rows·cols raw little-endian values, row-major. Means are 1 x D and support vectors
 *     D x 1, with D = 4464 (HOG only) or 4702 (HOG + 238 geometry values).
 *   Lines, CR, blank lines: trailing CR and blanks are stripped, blank lines skipped.
 *   Anything else (short reads, unknown regressor or element types, dimensions that disagree,
 *   non-finite values, bytes after the model, duplicate AU names) is rejected with a message
 *   naming the file and the problem.
 *
 * Aggregation (SVR_*_lin_regressors::Read, SVM_*_lin::Read): the files of each kind are
 * stacked in file order (column k = file k); each kind keeps only its FIRST file's means (in
 * the 2.2 files all means of a kind are identical anyway).
 *
 * Prediction (SVR_*::Predict, SVM_*::Predict, PIPELINE_SPEC §8.3), all in double:
 *   static:  y = (x - means)·SV + b
 *   dynamic: y = (x - means - median)·SV + b
 *   with x = [hog, geom] (or hog alone for D = 4464) and median = [hog_median, geom_median];
 *   SVM presence = pos_class if y > 0 else neg_class.
 * The arithmetic is OpenCV's, operation for operation: d = (x - means) - median element by
 * element (cv::subtract twice), then gemm with the bias as the C term. For 1 x D times
 * D x K, OpenCV's gemmImpl calls GEMMSingleMul (matmul.simd.hpp), which for K >= 2 sums each
 * column sequentially over the D features, s = ((0 + d0·w0) + d1·w1) + ..., then s + b; for
 * K == 1 it takes the "A·Bt" branch with four interleaved partial sums (features j mod 4)
 * added as ((s0 + s1) + s2) + s3. Both are reproduced here (no FMA contraction: the project
 * builds with ISO C, and OpenCV built with LAPACK, as Debian's is, compiles gemm for the
 * baseline CPU only). The means are deliberately NOT folded into the bias: b - means·SV
 * would round differently. Checked against Debian 12's OpenCV 4.6 (the reference build's)
 * running OpenFace's expressions on the real models: bit-identical results for both
 * branches. Cost: D·(2 + K) flops per kind, about 0.2 Mflop per frame for the 35 models of
 * OpenFace 2.2.
 *
 * Outputs are in SORTED name order, as OpenFace's history maps and CSV: intensity names
 * sorted with strcmp (AU01 … AU45, 17 in 2.2), presence names likewise (18, with AU28).
 *
 * A loaded au_models is read-only: any number of threads and videos may share it.
 */
#ifndef AU_AU_MODELS_H
#define AU_AU_MODELS_H

#include "common/error.h"

/* Descriptor sizes: dlib FHOG of a 112 x 112 face (12 x 12 cells x 31) and OpenFace's
 * geometry (204 shape offsets + 34 parameters). */
#define AU_HOG_DIM 4464
#define AU_GEOM_DIM 238

/* Upper bound on the models of one output (intensities or presences); OpenFace 2.2 has 17
 * and 18. */
#define AU_MODELS_MAX 64

/* Longest accepted AU name (OpenFace's are 4 characters). */
#define AU_NAME_MAX 31

/* The four kinds of models, in OpenFace's prediction order within each output. */
typedef enum au_model_kind {
    AU_SVR_STATIC = 0,   /* regressor type 0, SVR_appearance_static_linear */
    AU_SVR_DYNAMIC = 1,  /* regressor type 1, SVR_appearance_dynamic_linear */
    AU_SVM_STATIC = 2,   /* regressor type 4, SVM_linear_stat */
    AU_SVM_DYNAMIC = 3,  /* regressor type 5, SVM_linear_dyn */
    AU_MODEL_KINDS = 4
} au_model_kind;

/* What is known about one model. */
typedef struct au_model_info {
    const char *name;      /* "AU01" */
    au_model_kind kind;
    int index;             /* column in its kind (file order) */
    int dim;               /* D of its kind: 4464 or 4702 */
    double bias;
    double cutoff;         /* dynamic SVR: the stored cutoff; others -1 */
    double pos_class;      /* SVM: value written when the score is > 0; SVR: 0 */
    double neg_class;      /* SVM: value written otherwise; SVR: 0 */
} au_model_info;

typedef struct au_models au_models;

/* Loads main_dynamic_svms.txt (au_static == 0) or main_static_svms.txt (au_static != 0) from
 * `au_predictors_dir` and every model it names. Fails with AUFACE_ERR_MODELS when a file
 * cannot be opened or the set is incomplete (no AUPredictor, PDM or Triangulation line, no
 * model), AUFACE_ERR_FORMAT for a malformed file, AUFACE_ERR_UNSUPPORTED for a valid OpenFace
 * construct auface does not implement (several names per model, regressor types 2, 3, 6, 7),
 * AUFACE_ERR_NOMEM. `*out` is NULL on failure. Cost: reads ~2.6 MB for OpenFace 2.2. */
auface_status au_models_load(au_models **out, const char *au_predictors_dir, int au_static,
                             au_err *err);

/* Frees the set; NULL is a no-op. */
void au_models_free(au_models *m);

/* Full paths of the PDM and the triangulation named by the module list (not loaded here). */
const char *au_models_pdm_path(const au_models *m);
const char *au_models_triangulation_path(const au_models *m);

/* 1 when the dynamic module list was loaded (OpenFace's FaceAnalyser `dynamic`: it enables
 * the re-prediction and the cutoff shift after the video), 0 with -au_static. */
int au_models_dynamic(const au_models *m);

/* Number of models of one kind. */
int au_models_kind_count(const au_models *m, au_model_kind kind);

/* 4702 when some model uses the geometry, else 4464. */
int au_models_feature_dim(const au_models *m);

/* 1 when some model subtracts the running median (a dynamic SVR or SVM exists). */
int au_models_uses_median(const au_models *m);

/* Intensity (SVR) outputs: count, name and details by sorted index 0..num_reg-1 (out of
 * range: NULL name, zeroed info). */
int au_models_num_reg(const au_models *m);
const char *au_models_reg_name(const au_models *m, int sorted_index);
void au_models_reg_info(const au_models *m, int sorted_index, au_model_info *out);

/* Presence (SVM) outputs, likewise. */
int au_models_num_class(const au_models *m);
const char *au_models_class_name(const au_models *m, int sorted_index);
void au_models_class_info(const au_models *m, int sorted_index, au_model_info *out);

/* Raw intensities (unclipped) of one frame into out_sorted[num_reg], sorted name order.
 *   hog:         AU_HOG_DIM values (dlib's floats, converted to double)
 *   geom:        AU_GEOM_DIM values; may be NULL when feature_dim is 4464
 *   hog_median, geom_median: the running medians; may be NULL when no dynamic model exists
 * Allocates nothing; reentrant. */
void au_models_predict_reg(const au_models *m, const double *hog, const double *geom,
                           const double *hog_median, const double *geom_median,
                           double *out_sorted);

/* Presence values (each model's pos_class or neg_class) into out_sorted[num_class]; same
 * inputs and costs as au_models_predict_reg. */
void au_models_predict_class(const au_models *m, const double *hog, const double *geom,
                             const double *hog_median, const double *geom_median,
                             double *out_sorted);

/* As au_models_predict_class, but writes 1 where the score is > 0 (the model's pos_class)
 * and 0 otherwise (neg_class): a compact code for histories. */
void au_models_predict_class_codes(const au_models *m, const double *hog, const double *geom,
                                   const double *hog_median, const double *geom_median,
                                   unsigned char *out_sorted);

#endif
