/* The patch-expert responses of one CLNF scale: the similarity between the current landmarks
 * and the reference frame of the patch experts, and the response map of every visible
 * landmark (OpenFace 2.2 Patch_experts::Response, lib/local/LandmarkDetector/src/
 * Patch_experts.cpp; Utilities::AlignShapesWithScale and AlignShapesKabsch2D,
 * lib/local/Utilities/include/RotationHelpers.h). CLNF_SPEC.md §5.
 *
 * Thread-safe (no state); allocates nothing. The experts' Σ for the window size must have
 * been prepared (au_clnf_prepare_sigmas) before responses are computed. */
#ifndef AU_LANDMARK_CLNF_RESPONSE_H
#define AU_LANDMARK_CLNF_RESPONSE_H

#include <stddef.h>

#include "common/error.h"
#include "landmark/clnf_model.h"

/* sim_img_to_ref = AlignShapesWithScale(image shape, reference shape) over all n points
 * (au_align_shapes_with_scale, face/similarity.h) and sim_ref_to_img = its inverse
 * (cv::Matx22f::inv(DECOMP_LU)), both 2x2 row-major: d = a00·a11 − a01·a10 (float), d = 1/d,
 * b = [a11·d, −a01·d; −a10·d, a00·d] (OpenCV Matx_FastInvOp<2>); a zero determinant gives
 * the zero matrix (Matx::inv). img2n and ref2n are planar (2n floats). */
void au_clnf_similarity(const float *img2n, const float *ref2n, int n, float img_to_ref[4],
                        float ref_to_img[4]);

/* Floats of scratch au_clnf_responses needs for patches up to max_w x max_h and window ws:
 * the AOI plus au_ccnf_scratch_floats. */
size_t au_clnf_responses_scratch_floats(int max_w, int max_h, int ws);

/* The response maps of the landmarks i in first..end−1 (first = 0, end = n for all) with
 * visible[i] != 0 (§5.3–§5.4): the AOI of (ws + width − 1) x (ws + height − 1) pixels around
 * (landmarks2n[i], landmarks2n[n + i]) sampled through sim_ref_to_img (a = ref_to_img[0],
 * b = −ref_to_img[1]) from the float grey image, then au_ccnf_response of expert (view, i)
 * of `set`. A landmark's map depends only on its own inputs, so disjoint ranges may be
 * computed on different threads (each with its own scratch) with the same result.
 *   gray:      w x h floats, row stride `stride` floats;
 *   responses: n·ws² floats; map i (ws x ws, row-major, row = y) at responses + i·ws²;
 *              only the maps of the visible landmarks in the range are written;
 *   scratch:   au_clnf_responses_scratch_floats(..., ws) floats for the largest patch.
 * Fails (AUFACE_ERR_ARG) if the range is not within 0..n, an expert's Σ for ws is not
 * prepared or a patch is larger than the scratch was sized for (max_w, max_h). */
auface_status au_clnf_responses(const au_ccnf_patch_set *set, int view, const int *visible,
                                const float *landmarks2n, int n, int first, int end,
                                const float ref_to_img[4], int ws, const float *gray, int w,
                                int h, size_t stride, int max_w, int max_h, float *responses,
                                float *scratch, au_err *err);

#endif
