/* CCNF patch experts of OpenFace's CLNF landmark detector: the expert data, the spatial
 * covariance Σ per window size, the area of interest (AOI) around a landmark, and the
 * response map of one landmark.
 *
 * Source: OpenFace 2.2 lib/local/LandmarkDetector/src/CCNF_patch_expert.cpp
 * (CCNF_patch_expert::Read, ComputeSigmas, ResponseOpenBlas, im2colContrastNormBias) and
 * Patch_experts.cpp (Patch_experts::Response: the AOI warp). CLNF_SPEC.md §2.4, §5.3–§5.5,
 * §11, §12.
 *
 * Response of one landmark (CLNF_SPEC §5.4), for an AOI of A_h x A_w floats, patch
 * height x width (11 x 11) and window ws = A_h − height + 1 = A_w − width + 1:
 *  1. for every window position (x, y), the patch-sized AOI block at (x, y) is contrast
 *     normalised: mean = (float sum, rows outer, columns inner)/(h·w) in float; centred
 *     values; sum of squares in float in column-major block order; norm = sqrtf, 1 if 0;
 *     inv = (float)(1.0/norm); z = centred·inv (float);
 *  2. act_k = bias_k + Σ_j W_k[j]·z[j] with W_k[j] = w_k·(float)ν_k rounded to float (the
 *     column-major flattening of the neuron's weights) — OpenFace's weight_matrix times the
 *     im2col matrix;
 *  3. r = Σ_{k: α_k > 1e-4} 2α_k/(1 + exp(−act_k)) with the sigmoid in double, added into a
 *     float accumulator neuron by neuron (r = (float)((double)r + term));
 *  4. r' = Σ_ws·r (r flattened row-major, index y·ws + x);
 *  5. if min(r') < 0, r' −= min(r').
 * The dot products of steps 2 and 4 are sgemm_ calls in OpenFace (OpenBLAS 0.3.21). They
 * are summed as its Haswell sgemm kernel sums an element: one chain of fused multiply-adds
 * over the inner index in ascending order starting from 0 (step 2: bias first, then
 * j = 0, 1, …; step 4: j = 0, 1, …), except that in step 2 the elements of the kernel's
 * paired tiles are an even and an odd chain added at the end (see ccnf.c,
 * pair_tiles_for_column; checked bit for bit against OpenBLAS for windows up to 15). The
 * results are the same bits on every machine: an AVX2/FMA path
 * is chosen at run time, and the portable path uses fmaf (exact, but ≈30x slower where fmaf
 * is not a single instruction).
 *
 * Σ per window size (CLNF_SPEC §5.5, ComputeSigmas): with n = ws²,
 *   α_sum = Σ_k α_k over all neurons, accumulated as float_sum = (float)(float_sum + α_k);
 *   q2 = Σ_b (float)β_b·C_b accumulated as q2 = fmaf(C_b, β_b, q2) (cv::scaleAdd, whose
 *        OpenCV 4.6 SIMD kernel is v_muladd = a fused multiply-add under the AVX2 dispatch);
 *   Σ⁻¹ = 2·(α_sum·I + q2) in float;  Σ = Σ⁻¹⁻¹ by cv::invert(DECOMP_CHOLESKY), i.e.
 *   for n < 100 OpenCV's CholImpl (factor from math/cholesky.h, then its forward/backward
 *   substitution with the n identity columns as right-hand sides, double accumulators of
 *   float products); for n >= 100 (ws 10 and up: OpenCV HAL_CHOLESKY_SMALL_MATRIX_THRESH)
 *   LAPACK sposv with the row-major Σ⁻¹ read as column-major, uplo 'L', identity right-hand
 *   side, solution transposed back, summed as OpenFace's OpenBLAS 0.3.21 sums it
 *   (math/openblas_sposv.h; checked bit for bit up to window 21, n = 441).
 * C_b are the sigma components of the patch file for this window size (none for the eye
 * models, whose Σ is then the Cholesky inverse of 2·α_sum·I).
 *
 * Threading: an expert is read-only once its Σ are prepared; au_ccnf_response and
 * au_ccnf_extract_aoi may then run concurrently on the same expert with separate scratch. */
#ifndef AU_LANDMARK_CCNF_H
#define AU_LANDMARK_CCNF_H

#include <stddef.h>

#include "common/error.h"

/* Bounds accepted by the loader and the response code (the shipped files use 7 neurons,
 * 11x11 patches, windows 3..15, 3 sigma components). */
#define AU_CCNF_MAX_NEURONS 64
#define AU_CCNF_MAX_PATCH 32      /* patch width and height */
#define AU_CCNF_MAX_WINDOW 31     /* response window size ws */
#define AU_CCNF_MAX_SIGMAS 8      /* prepared window sizes per expert */

/* Neurons with alpha at or below this are skipped in the response (still counted in Σ):
 * CCNF_patch_expert::ResponseOpenBlas, `neurons[i].alpha > 1e-4`. */
#define AU_CCNF_MIN_ALPHA 1e-4

/* Σ of one expert for one window size. */
typedef struct au_ccnf_sigma {
    int ws;         /* window size; the matrix is ws² x ws² */
    int stride;     /* row stride of sigma_t in floats (≥ ws², a multiple of 16) */
    float *sigma_t; /* Σ TRANSPOSED: sigma_t[j·stride + i] = Σ[i][j]; owned */
} au_ccnf_sigma;

/* One CCNF patch expert (one landmark, one view, one scale). Read-only after loading and
 * Σ preparation. num_neurons == 0 marks a landmark without an expert in this view. */
typedef struct au_ccnf_expert {
    int width, height;    /* patch size (11 x 11); the AOI is (ws+width−1) x (ws+height−1) */
    int num_neurons;      /* K (7), 0 = no expert */
    double *alpha;        /* K: neuron alpha (weight of the sigmoid) */
    double *norm_weights; /* K: ν_k, the neuron's weight scale */
    double *bias;         /* K: β_k, as read */
    float *weights;       /* K x height x width, row-major per neuron: the file's raw weights */
    float *weight_matrix; /* K x (1 + height·width): [(float)bias_k, (float)(w·ν_k) with the
                           * patch flattened column-major (element (r, c) at 1 + c·height + r)]
                           * = OpenFace's weight_matrix */
    int num_betas;        /* number of betas read (= components of the file's first window) */
    double *betas;        /* num_betas */
    double patch_confidence;
    int num_sigmas;       /* prepared window sizes */
    au_ccnf_sigma sigmas[AU_CCNF_MAX_SIGMAS];
} au_ccnf_expert;

/* Releases everything an expert owns (arrays and prepared Σ) and zeroes it. */
void au_ccnf_expert_free(au_ccnf_expert *e);

/* Prepares Σ for window size ws (2..AU_CCNF_MAX_WINDOW), as described at the top.
 *   components: num_components matrices of ws² x ws² floats, row-major, one after the
 *               other (the patch file's sigma components for this ws), or NULL with
 *               num_components = 0 (eye models, or a ws the file has no components for).
 * Does nothing if Σ for ws is already prepared (OpenFace caches the first computation) or
 * if the expert has no neurons. Fails with AUFACE_ERR_ARG if num_components exceeds the
 * expert's betas or ws is out of range, AUFACE_ERR_UNSUPPORTED if AU_CCNF_MAX_SIGMAS window
 * sizes are already prepared, AUFACE_ERR_FORMAT if Σ⁻¹ is not positive definite (OpenCV
 * would return a zero Σ), AUFACE_ERR_NOMEM. Allocates the ws⁴ floats of Σ plus a
 * temporary of the same size. Not thread-safe for the same expert. Cost: ≈ (2/3)·ws⁶
 * multiply-adds (≈1.2 M for ws 11). */
auface_status au_ccnf_prepare_sigma(au_ccnf_expert *e, int ws, const float *components,
                                    int num_components, au_err *err);

/* The prepared Σ for window size ws, or NULL if au_ccnf_prepare_sigma has not run for it. */
const au_ccnf_sigma *au_ccnf_find_sigma(const au_ccnf_expert *e, int ws);

/* Number of floats of scratch au_ccnf_response needs for a patch of width x height and
 * window ws (≈ (height·width + 4)·ws² floats: 72 kB for ws 11 with 11x11 patches). */
size_t au_ccnf_scratch_floats(int width, int height, int ws);

/* The response map of one landmark (CLNF_SPEC §5.4; steps at the top of this header).
 *   aoi:      aoi_h x aoi_w floats, row-major, contiguous (au_ccnf_extract_aoi);
 *             ws = aoi_w − e->width + 1 must equal aoi_h − e->height + 1 and be prepared;
 *   response: ws x ws floats, row-major (row = y, column = x); its centre
 *             ((ws−1)/2, (ws−1)/2) is the landmark's current position;
 *   scratch:  au_ccnf_scratch_floats(e->width, e->height, ws) floats (any float alignment:
 *             the im2col matrix is put on a 64-byte line inside); contents are overwritten.
 * An expert without neurons gives an all-zero response (ResponseOpenBlas). Returns
 * AUFACE_ERR_ARG if the sizes do not match or Σ for ws is not prepared. Allocates nothing;
 * thread-safe with separate scratch and response buffers. Cost for ws 11, K = 7:
 * ≈ 140 k float multiply-adds and 847 double exp; measured with AVX2 on the development
 * machine: 9.7 µs (ws 11), 6.9 µs (ws 9), 4.2 µs (ws 7), 2.5 µs (ws 5), 1.2 µs (ws 3). */
auface_status au_ccnf_response(const au_ccnf_expert *e, const float *aoi, int aoi_w, int aoi_h,
                               float *response, float *scratch, au_err *err);

/* The area of interest around one landmark (Patch_experts::Response, CLNF_SPEC §5.3):
 * AOI pixel (u, v), u < aoi_w, v < aoi_h, samples the float grey image at
 *   x = lx + a·(u − c) − b·(v − c),  y = ly + b·(u − c) + a·(v − c),  c = (aoi_w − 1)/2
 * through cv::warpAffine(gray, aoi, M, (aoi_w, aoi_h), INTER_LINEAR | WARP_INVERSE_MAP) with
 * the float matrix
 *   M = [a, −b, lx − a·(aoi_w−1)/2 + b·(aoi_w−1)/2;  b, a, ly − a·(aoi_w−1)/2 − b·(aoi_w−1)/2]
 * (translations in float, left to right; the AOI width is used for both axes, as OpenFace
 * does), i.e. OpenCV 4.6's 1/32-pixel fixed-point bilinear with a constant 0 border
 * (math/warp_affine.h au_warp_affine_f32c1).
 *   gray:   gw x gh floats, row stride gstride floats (the grey frame converted to float);
 *   lx, ly: the landmark's image position; a, b: sim_ref_to_img(0,0) and −sim_ref_to_img(0,1);
 *   aoi:    aoi_h x aoi_w floats, row-major, contiguous, all written.
 * Allocates nothing; thread-safe. */
void au_ccnf_extract_aoi(const float *gray, int gw, int gh, size_t gstride, float lx, float ly,
                         float a, float b, int aoi_w, int aoi_h, float *aoi);

#endif
