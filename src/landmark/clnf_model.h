/* Loading OpenFace 2.2's CLNF landmark model set: the main CLNF (PDM, CCNF patch experts
 * per scale and view, triangulations), the part models (inner face, left and right eye)
 * with their landmark mappings, and the CNN detection validator.
 *
 * Source: OpenFace 2.2 lib/local/LandmarkDetector/src/LandmarkDetectorModel.cpp (CLNF::Read,
 * CLNF::Read_CLNF), Patch_experts.cpp (Read_CCNF_patch_experts), CCNF_patch_expert.cpp
 * (CCNF_patch_expert::Read, CCNF_neuron::Read), LandmarkDetectionValidator.cpp
 * (DetectionValidator::Read), PAW.cpp (PAW::Read), LandmarkDetectorUtils.cpp (ReadMatBin,
 * ReadMat, SkipComments), PDM.cpp (PDM::Read, via face/pdm.h). CLNF_SPEC.md §2.
 *
 * Files (paths relative to the file that names them):
 *   main_clnf_general.txt  lines "<module> <path> ...": LandmarkDetector (the main CLNF),
 *                          LandmarkDetector_part <path> <name> (i_main i_part)*,
 *                          DetectionValidator <path>; other modules (FaceDetConversion)
 *                          are ignored, as CLNF::Read does.
 *   clnf_*.txt             lines "<module> <path>" (path = rest of the line after one
 *                          space, trailing '\r' removed): PDM, Triangulations, PatchesCCNF
 *                          (one per scale, in order); other modules are ignored, except
 *                          PatchesIntensity / PatchesCEN / EarlyTermination, which this
 *                          model set does not use and which are rejected as unsupported.
 *   ccnf_patches_*.txt     binary, CLNF_SPEC §2.4.
 *   validator_cnn.txt      binary, CLNF_SPEC §2.7 (validator type 3 only).
 *   tris_68.txt            text, CLNF_SPEC §2.8 (drawing only).
 * Every binary file must be consumed exactly to its last byte. Truncated, garbled or
 * inconsistent files are rejected with AUFACE_ERR_FORMAT and a message that names the file
 * and the element (e.g. "view 3, landmark 12, neuron 5: weights"); a missing file gives
 * AUFACE_ERR_IO.
 *
 * The structures below are the loaded data, read-only for users (the fitting, the
 * validator) except through au_clnf_prepare_sigmas, which fills the experts' Σ caches. */
#ifndef AU_LANDMARK_CLNF_MODEL_H
#define AU_LANDMARK_CLNF_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "face/pdm.h"
#include "landmark/ccnf.h"

#define AU_CLNF_MAX_SCALES 8   /* PatchesCCNF lines per CLNF */
#define AU_CLNF_MAX_PARTS 8    /* LandmarkDetector_part lines */
#define AU_CLNF_MAX_VIEWS 64
#define AU_CLNF_MAX_WINDOWS 16 /* window-size entries in a patch file */

/* The sigma components of one window size in a patch file: count matrices of ws² x ws²
 * floats, row-major, stored one after the other. */
typedef struct au_ccnf_sigma_components {
    int ws;
    int count;
    float *mats; /* count·ws⁴ floats; NULL when count == 0 */
} au_ccnf_sigma_components;

/* One PatchesCCNF file: the CCNF experts of one scale. */
typedef struct au_ccnf_patch_set {
    double patch_scaling;         /* 0.25 / 0.35 / 0.5 (main), 1.0 (inner), 1.0 / 1.5 (eyes) */
    int num_views;                /* 7 (main, inner) or 1 (eyes) */
    int num_points;               /* = the CLNF's PDM points */
    double (*view_centres)[3];    /* num_views (rx, ry, rz) in radians: degrees·π/180 in
                                   * double (Patch_experts: centers[i] * M_PI / 180.0) */
    int *visibility;              /* num_views x num_points: nonzero = expert present */
    int num_windows;              /* window-size entries in the file (7, 9, 11, 15, ...) */
    au_ccnf_sigma_components *windows; /* num_windows */
    au_ccnf_expert *experts;      /* num_views x num_points, index view·num_points + point */
} au_ccnf_patch_set;

/* A list of triangles, e.g. one view of tris_68.txt. */
typedef struct au_clnf_triangles {
    int count;
    int *tri; /* 3·count landmark indices */
} au_clnf_triangles;

/* One CLNF (the main model or a part): PDM plus patch experts at each scale. */
typedef struct au_clnf {
    au_pdm pdm;
    int num_scales;                               /* PatchesCCNF files, in file order */
    au_ccnf_patch_set scales[AU_CLNF_MAX_SCALES];
    int num_tri_views;                            /* Triangulations module (main only, 7) */
    au_clnf_triangles *tri_views;                 /* drawing only, never used in fitting */
} au_clnf;

/* A part model and the points it shares with the main model. */
typedef struct au_clnf_part {
    char name[64];      /* "inner", "left_eye_28", "right_eye_28" */
    au_clnf clnf;
    int num_pairs;
    int (*pairs)[2];    /* (main point, part point) in file order */
} au_clnf_part;

/* Validator CNN layer types (DetectionValidator::Read). */
enum {
    AU_CNN_CONV = 0,
    AU_CNN_MAXPOOL = 1, /* 2x2, stride 2 */
    AU_CNN_FC = 2,
    AU_CNN_RELU = 3,
    AU_CNN_SIGMOID = 4
};

typedef struct au_cnn_layer {
    int type;
    /* AU_CNN_CONV: num_in input maps, num_out kernels of kh x kw per input map. */
    int num_in, num_out, kh, kw;
    float *bias;    /* CONV: num_out; FC: num_out (the file's N x 1 bias) */
    float *kernels; /* CONV: [in][out][kh][kw], kernel (in, out) row-major (element (y, x)),
                     * in the file's order (in outer, out inner) */
    float *weights; /* FC: num_out x num_in row-major, i.e. the file's in x out matrix
                     * transposed (CheckCNN passes weights.t()) */
} au_cnn_layer;

/* One validator view: normalisation, CNN and piece-wise affine warp. */
typedef struct au_validator_view {
    double orientation[3];     /* radians: degrees·π/180 in double */
    int num_pixels;            /* P: mask pixels (2642 for view 0) */
    float *mean_image;         /* P, converted from float64 */
    float *std_image;          /* P */
    int depth;
    au_cnn_layer *layers;      /* depth */
    /* PAW (PAW::Read). */
    float min_x, min_y;        /* converted from float64 */
    int num_landmarks;         /* 68 */
    float *dst_landmarks;      /* 2·num_landmarks planar, converted from float64 */
    int num_tris;
    int *triangulation;        /* num_tris x 3 */
    int map_w, map_h;          /* 60 x 60 */
    int *triangle_id;          /* map_h x map_w row-major, −1 outside */
    uint8_t *pixel_mask;       /* map_h x map_w row-major, 0/1 (int converted to uchar) */
    float *alpha, *beta;       /* num_tris x 3 each, converted from float64 */
} au_validator_view;

typedef struct au_clnf_validator {
    int num_views;             /* 7, order (0,0,0), (0,−20,0), (0,−45,0), (0,−70,0),
                                * (0,20,0), (0,45,0), (0,70,0) degrees */
    au_validator_view *views;
} au_clnf_validator;

typedef struct au_clnf_model au_clnf_model;

/* Loads the model set named by main_clnf_path (e.g. .../model/main_clnf_general.txt) and
 * every file it names, recursively. On success *out owns everything; free it with
 * au_clnf_model_free. On failure *out is NULL and err names the file and the element.
 * A main file without a LandmarkDetector line is rejected. Part files must contain only a
 * LandmarkDetector line (nested parts or validators are rejected as unsupported). Cost:
 * reads ≈ 14 MB of model files in ≈ 20 ms and keeps ≈ 17.5 MB; no Σ are prepared
 * (au_clnf_prepare_sigmas). */
auface_status au_clnf_model_load(au_clnf_model **out, const char *main_clnf_path, au_err *err);

/* Frees the model and every Σ prepared in it. NULL is a no-op. */
void au_clnf_model_free(au_clnf_model *m);

/* The main CLNF (68 points). Mutable only for au_clnf_prepare_sigmas. */
au_clnf *au_clnf_model_main(au_clnf_model *m);
const au_clnf *au_clnf_model_main_const(const au_clnf_model *m);

/* Number of part models and part i (0-based, file order), or NULL if out of range. The
 * mutable part is for au_clnf_prepare_sigmas only. */
int au_clnf_model_num_parts(const au_clnf_model *m);
au_clnf_part *au_clnf_model_part(au_clnf_model *m, int i);
const au_clnf_part *au_clnf_model_part_const(const au_clnf_model *m, int i);

/* The part called name (e.g. "inner"), or NULL. */
au_clnf_part *au_clnf_model_find_part(au_clnf_model *m, const char *name);

/* The validator, or NULL if the main file names none. */
const au_clnf_validator *au_clnf_model_validator(const au_clnf_model *m);

/* Bytes of heap the loaded model holds (including prepared Σ). */
size_t au_clnf_model_memory(const au_clnf_model *m);

/* Expert of (scale, view, point) of a CLNF, or NULL if any index is out of range. */
const au_ccnf_expert *au_clnf_expert(const au_clnf *c, int scale, int view, int point);

/* Patch_experts::GetViewIdx: the view whose centre minimises (rx−c0)² + (ry−c1)² +
 * (rz−c2)², each difference computed in double from the float angle and the double centre,
 * rounded to float, squared and summed in float; the first minimum wins. */
int au_ccnf_patch_set_view(const au_ccnf_patch_set *s, float rx, float ry, float rz);

/* The sigma components of patch-set `scale` for window ws as Patch_experts::Response picks
 * them: OpenFace keeps only the table of the LAST PatchesCCNF file read for this CLNF and
 * takes its entry whose first component has ws² rows (the last such entry); if there is
 * none, *count = 0 and NULL is returned (Σ then comes from the alphas alone). */
const float *au_clnf_sigma_components(const au_clnf *c, int ws, int *count);

/* Prepares Σ (au_ccnf_prepare_sigma) for window ws for every expert that has neurons in
 * patch set `scale` of c, for one view (0..num_views−1) or all views (view = −1), with the
 * components chosen by au_clnf_sigma_components. Idempotent (cheap when already done).
 * It writes into the experts: call it before responses for that scale and view are
 * computed, never while another thread reads the same experts. Cost per view of the
 * 68-point model, measured: ≈ 25 ms and 4.7 MB at ws 11, 9 ms and 2.1 MB at ws 9, 3 ms and
 * 1.1 MB at ws 7; all 7 views of the windows FeatureExtraction uses (main 11/9/7, inner 9,
 * eyes 3/5) ≈ 0.28 s and 61 MB, so preparing views on first use is preferable. */
auface_status au_clnf_prepare_sigmas(au_clnf *c, int scale, int ws, int view, au_err *err);

#endif
