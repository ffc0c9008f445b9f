/* OpenFace 2.2's detection validator: the CNN that scores a landmark fit and decides
 * `detection_success` and the CSV `confidence` column.
 *
 * Source: OpenFace 2.2 lib/local/LandmarkDetector/src/LandmarkDetectionValidator.cpp
 * (DetectionValidator::Check, CheckCNN, NormaliseWarpedToVector, GetViewId), PAW.cpp
 * (PAW::Warp, CalcCoeff, WarpRegion), CNN_utils.cpp (convolution_direct_blas,
 * im2col_multimap, max_pooling, fully_connected), LandmarkDetectorUtils.cpp
 * (ExtractBoundingBox); OpenCV 4.6 remap, meanStdDev, gemm. CLNF_SPEC.md §7, §2.7, §11–§13.
 * The model data (views, CNN layers, warps) comes from landmark/clnf_model.h.
 *
 * au_clnf_validate = view choice → ROI → piece-wise affine warp → normalisation → CNN →
 * certainty. The steps are also exported one by one (for tests and diagnostics):
 *
 * 1. View (au_clnf_validator_view_index): the validator orientation with the smallest
 *    Euclidean distance, in double, to (rx, ry, rz); the first minimum wins.
 * 2. ROI and warp (au_clnf_validator_warp):
 *    - x0 = trunc(min_x − 3), x1 = trunc(max_x + 3), y0, y1 likewise (float arithmetic on
 *      the landmark extremes; a value outside the int range truncates to INT_MIN as x86
 *      cvttss2si does); clamp x0, y0 ≥ 0, x1 ≤ W−1, y1 ≤ H−1; if x1 − x0 ≤ 1 or
 *      y1 − y0 ≤ 1 the validation fails (certainty 0);
 *    - the source image is the ROI: columns [x0, x1), rows [y0, y1) (column x1 and row y1
 *      excluded), as float; pixels outside it read as 0 (remap's constant border);
 *    - landmarks shifted by (−x0, −y0) in float; per triangle (i, j, k) with the view's
 *      alpha/beta: c1 = x_i, c2 = x_j − c1, c3 = x_k − c1 (c4..c6 the same for y),
 *      coeff = (c1 + c2·α0 + c3·β0, c2·α1 + c3·β1, c2·α2 + c3·β2, c4 + c5·α0 + c6·β0, …),
 *      float, left to right;
 *    - grid pixel (x, y) inside the mask, triangle t, xi = x + min_x, yi = y + min_y:
 *      map_x = (coeff0 + coeff1·xi) + coeff2·yi, map_y likewise (float, in that order);
 *    - cv::remap INTER_LINEAR with float maps (OpenCV 4.6 RemapInvoker + remapBilinear):
 *      X = cvRound(map_x·32), Y = cvRound(map_y·32) (round half to even; INT_MIN when out
 *      of range or NaN), integer part (X >> 5, Y >> 5) saturated to short, fractions
 *      fx = (X & 31)/32, fy = (Y & 31)/32; value = v00·(1−fy)(1−fx) + v01·(1−fy)fx +
 *      v10·fy(1−fx) + v11·fy·fx in float, left to right, neighbours outside the ROI = 0.
 *      The values are exact (8-bit data times multiples of 1/1024), so the warped image is
 *      bit-identical to OpenFace's whenever the 1/32-px coordinates are.
 *    Grid pixels outside the mask are 0 (what remap gives for the map value −1).
 * 3. Feature vector (au_clnf_validator_features): the P mask values in column-major grid
 *    order (x outer, y inner); mean and population std in double as cv::meanStdDev
 *    (s = Σv, q = Σv² in double; mean = s·(1/P); std = sqrt(max(q·(1/P) − mean², 0)));
 *    v ← v − (float)mean; v ← v·(float)(1/std) (Mat /= double is convertTo with scale
 *    1/std; std = 0 → 1); f = (v − mean_image)/std_image in float (0 where std_image = 0,
 *    as cv::divide).
 * 4. CNN (au_clnf_validator_cnn) on the 60×60 image that holds f at the mask pixels (same
 *    column-major order) and 0 elsewhere, layers in file order:
 *    - convolution: valid cross-correlation, out_k(y,x) = Σ_in Σ_c Σ_r K[in][k](r,c)·
 *      in(y+r, x+c) + b_k, modelled as OpenBLAS's x86-64 sgemm kernels evaluate
 *      convolution_direct_blas's product: one chain of fused multiply-adds per output in
 *      the im2col order (input map, then kernel column c, then kernel row r), starting
 *      from 0, the bias (the im2col's trailing 1) last. The same model as landmark/ccnf.h;
 *      that it is the reference build's exact kernel order is UNVERIFIED (CLNF_SPEC
 *      §12.7, ≈1e-7 relative otherwise; OpenBLAS may also split K = 491 into two blocks);
 *    - ReLU: v > 0 ? v : 0 (cv::threshold THRESH_TOZERO);
 *    - max pooling 2×2 stride 2: output size roundf((n − 2)/2) + 1, windows cut at the
 *      border, max by strict '>' from −FLT_MAX, columns outer;
 *    - fully connected: cv::gemm on matrices with fewer than 100 rows is OpenCV's own
 *      GEMMSingleMul<float, double> (matmul.simd.hpp; LAPACK is used only from 100 rows):
 *      four double accumulators over k ≡ 0, 1, 2, 3 (mod 4), the tail into the first,
 *      s = ((s0 + s1) + s2) + s3, out = (float)(s + (double)bias). Several input maps are
 *      each flattened column-major and concatenated; the output is a column N×1. One input
 *      map gives the transposed result, a row 1×N (OpenFace's fully_connected). Maps of
 *      1×1 whose count equals the layer's input count take OpenFace's "separate feature
 *      maps" branch: the product (float), then the bias added in float.
 *    - sigmoid (absent from the shipped model): 1/(1 + expf(−v)) in float; OpenCV's
 *      cv::exp is not libm, so this layer is only approximately OpenFace's.
 * 5. Certainty (au_clnf_validator_certainty): OpenFace transposes the final layer's first
 *    map and takes minMaxLoc's row: idx = the column of its first maximum in column-major
 *    order (for the shipped 1 x 30 row, simply the first argmax); bins = the map's column
 *    count (30); dec = (−1 + (2/bins)/2) + idx·(2/bins) in double;
 *    certainty = (float)(0.5·(1 − dec)) = 1 − 1/60 − idx/30 for 30 bins.
 *
 * Deviations, only for inputs OpenFace cannot run or that 8-bit images cannot produce: a
 * single input map that is not a column is flattened column-major into a fully connected
 * layer (OpenFace aborts in OpenCV); NaN outputs are not skipped by the argmax.
 *
 * Threading: the model is read-only; concurrent calls need separate scratch. Nothing
 * allocates. */
#ifndef AU_LANDMARK_CLNF_VALIDATOR_H
#define AU_LANDMARK_CLNF_VALIDATOR_H

#include <stddef.h>
#include <stdint.h>

#include "landmark/clnf_model.h"

/* FaceModelParameters::init (LandmarkDetectorParameters.cpp): validation_boundary = 0.725
 * (a float); CLNF::DetectLandmarks sets detection_success = certainty > boundary. */
#define AU_CLNF_VALIDATION_BOUNDARY 0.725f

/* detection_success for a certainty returned by au_clnf_validate: (float)certainty >
 * 0.725f. With 30 bins this is idx ≤ 7 (certainty ≥ 0.75). */
int au_clnf_validation_success(double certainty);

/* Bytes of scratch au_clnf_validate and au_clnf_validator_cnn need for model m (any view);
 * 0 if m is NULL or has no validator. 243 904 bytes for the shipped validator. The memory
 * needs no particular alignment and its contents are ignored on entry. */
size_t au_clnf_validator_scratch_bytes(const au_clnf_model *m);

/* DetectionValidator::Check. Returns the certainty as OpenFace computes it: a float value
 * (1 − 1/60 − idx/30 for the shipped 30-bin network, 0.98333335 at best), returned as
 * double; 0 when the landmark ROI is too small (e.g. all landmarks outside the image), or
 * when m has no validator or scratch is NULL.
 *   orientation: (rx, ry, rz) of params_global in radians, after the part refit.
 *   gray:        8-bit image, w x h, row i at gray + i·stride (bytes).
 *   landmarks:   the detected landmarks, planar [x0..x(n−1), y0..y(n−1)], n = 68 (the
 *                view's number of warp landmarks).
 *   scratch:     au_clnf_validator_scratch_bytes(m) bytes.
 * Cost: ≈ 4.2 M multiply-adds (two convolutions); measured ≈ 125 µs per call with the
 * AVX2/FMA kernels (chosen at run time: warp 18 µs, normalisation 5 µs, CNN 100 µs). The
 * portable path (fmaf chains) gives the same bits but takes ≈ 7 ms where fmaf is a library
 * call. */
double au_clnf_validate(const au_clnf_model *m, const float orientation[3], const uint8_t *gray,
                        int w, int h, size_t stride, const float *landmarks, void *scratch);

/* Step 1: GetViewId, the validator view for (rx, ry, rz) (see above). */
int au_clnf_validator_view_index(const au_clnf_validator *v, const float orientation[3]);

/* Step 2: the ROI and the piece-wise affine warp of view `view` onto its map_h x map_w grid
 * (row-major, every element written; 0 outside the mask). Returns 1, or 0 when the ROI is
 * too small (then `warped` is all 0 and Check would return 0). Allocates nothing; needs
 * 6·num_tris floats of `coeff` scratch. */
int au_clnf_validator_warp(const au_validator_view *view, const uint8_t *gray, int w, int h,
                           size_t stride, const float *landmarks, float *coeff, float *warped);

/* Step 3: NormaliseWarpedToVector: the view's P features from a warped grid (see above). */
void au_clnf_validator_features(const au_validator_view *view, const float *warped,
                                float *features);

/* Step 4: the view's CNN on `features` (P values, written into a zeroed grid as CheckCNN
 * does). Writes the values of the final layer's first map, read column-major, to out (at
 * most max_out) and returns their count (30 for the shipped network); *bins receives that
 * map's column count (the denominator of the certainty, 30). scratch:
 * au_clnf_validator_scratch_bytes bytes, not overlapping features or out. */
int au_clnf_validator_cnn(const au_validator_view *view, const float *features, void *scratch,
                          float *out, int max_out, int *bins);

/* Step 5: certainty from au_clnf_validator_cnn's n outputs and bins: the first maximum of
 * out[0..n−1] at position L gives idx = L / (n / bins) (minMaxLoc's row in the transposed
 * map; idx = L for the shipped 1 x 30 row), then
 * (float)(0.5·(1 − ((−1 + step/2) + idx·step))) with step = 2/bins, as double. 0 if n or
 * bins is not positive. */
double au_clnf_validator_certainty(const float *out, int n, int bins);

#endif
