/* OpenFace's histogram running median: the person-specific "neutral face" estimate that the
 * dynamic AU models subtract from the features.
 *
 * Source: OpenFace 2.2 FaceAnalyser.cpp, FaceAnalyser::UpdateRunningMedian (PIPELINE_SPEC §7.1).
 * Each of the `dim` dimensions has a histogram of `num_bins` int32 counts over
 * [min_val, max_val]; all dimensions share one count of added descriptors. One call of
 * au_median_update is one call of UpdateRunningMedian:
 *
 *   1. The first call on a fresh (or reset) object sets median = descriptor.
 *   2. If `add`: every value goes to bin (int)clamp(v, 0, num_bins - 1) with
 *      v = (x - min)·num_bins/length evaluated as OpenCV evaluates that MatExpr (see
 *      au_median_bin); count += 1.
 *   3. If count == 1: median = the descriptor of THIS call (even when this call did not add
 *      it — OpenFace's quirk, reached by a failed frame right after the first success).
 *      Otherwise, with cutoff = (count + 1)/2 (integer division), each dimension's median is
 *      the centre min + j·(length/num_bins) + 0.5·length/num_bins of the first bin j whose
 *      cumulative count is >= cutoff. With count == 0 the cutoff is 0 and j = 0.
 *
 * The median is exact (same bins, same bin centres as OpenFace) and fast: instead of
 * scanning up to num_bins bins per dimension on every call, each dimension keeps the current
 * median bin and the cumulative count up to it, and moves it by the few bins that one added
 * value and one step of the cutoff can shift it.
 *
 * Memory: dim x num_bins int32 (HOG: 4464 x 1000 = 17.9 MB; geometry: 238 x 10000 = 9.5 MB)
 * plus a few doubles per dimension. Not thread-safe: one object per video.
 */
#ifndef AU_AU_MEDIAN_H
#define AU_AU_MEDIAN_H

#include "common/error.h"

/* OpenFace FaceAnalyser constructor: the HOG histogram covers [-0.005, 1] with 1000 bins, the
 * geometry histogram [-60, 60] with 10000 bins. */
#define AU_MEDIAN_HOG_BINS 1000
#define AU_MEDIAN_HOG_MIN (-0.005)
#define AU_MEDIAN_HOG_MAX 1.0
#define AU_MEDIAN_GEOM_BINS 10000
#define AU_MEDIAN_GEOM_MIN (-60.0)
#define AU_MEDIAN_GEOM_MAX 60.0

typedef struct au_median au_median;

/* Creates a running median of `dim` values with `num_bins` bins over [min_val, max_val]
 * (OpenFace takes length = |max - min|). Fails with AUFACE_ERR_ARG for dim < 1,
 * num_bins < 1, min == max or non-finite bounds, AUFACE_ERR_NOMEM when the histogram does not
 * fit in memory. */
auface_status au_median_create(au_median **out, int dim, int num_bins, double min_val,
                               double max_val, au_err *err);

/* One UpdateRunningMedian call (steps 1-3 above) with `descriptor` (dim doubles); `add` is
 * OpenFace's `update` flag (the frame succeeded). A NaN value goes to bin 0 (OpenFace's
 * (int)NaN would index out of the histogram). Allocates nothing. */
void au_median_update(au_median *m, const double *descriptor, int add);

/* Sets every median value below `floor` to `floor`: OpenFace clamps the HOG median at 0
 * after each update (AddNextFrame: hog_desc_median.setTo(0, hog_desc_median < 0)). The next
 * au_median_update recomputes every value, as OpenFace's does. */
void au_median_clamp_below(au_median *m, double floor);

/* The current median (dim doubles; all zeros before the first update). Valid until the next
 * update, clamp, reset or free. */
const double *au_median_values(const au_median *m);

/* Number of descriptors added so far (OpenFace's hist_count). */
int au_median_count(const au_median *m);

int au_median_dim(const au_median *m);

/* The bin a value goes to, exactly as UpdateRunningMedian computes it: OpenCV evaluates
 * (descriptor - min)·num_bins/length as descriptor.convertTo(alpha, beta) with
 * alpha = (1·num_bins)·(1/length) and beta = (-min·num_bins)·(1/length)
 * (matrix_expressions.cpp: MatOp_AddEx::multiply, operator/(MatExpr, double) multiplies by
 * 1/s), and convertTo's cvt_64f computes v_fma(x, alpha, beta): a fused multiply-add on the
 * AVX2 code path that OpenCV 4.6 dispatches to on current x86 CPUs (convert_scale.simd.hpp;
 * an x86 CPU without AVX2 would run OpenCV's unfused SSE2 path instead). Then values >
 * num_bins-1 become num_bins-1, values < 0 become 0, and the bin is (int)v. Checked against
 * Debian 12's OpenCV 4.6 on an AVX2 machine: same bin for 4 million values chosen next to
 * bin edges, where the plain formula (x - min)·num_bins/length disagrees 5 % of the time. */
int au_median_bin(const au_median *m, double value);

/* Centre of bin j: min + j·(length/num_bins) + (0.5·length)/num_bins, in that order
 * (UpdateRunningMedian). */
double au_median_bin_centre(const au_median *m, int j);

/* Back to the freshly created state (OpenFace FaceAnalyser::Reset, between videos). */
void au_median_reset(au_median *m);

/* Frees `m`; NULL is a no-op. */
void au_median_free(au_median *m);

#endif
