#include "landmark/clnf_response.h"

#include <string.h>

#include "face/similarity.h"
#include "landmark/ccnf.h"

void au_clnf_similarity(const float *img2n, const float *ref2n, int n, float img_to_ref[4],
                        float ref_to_img[4])
{
    memset(ref_to_img, 0, 4 * sizeof(float));
    au_align_shapes_with_scale(img2n, ref2n, n, img_to_ref); /* zero for a bad n */

    /* Matx_FastInvOp<float, 2>: the determinant in float (Matx_DetOp evaluates the float
     * expression), d = 1/d, then the float products */
    const float *a = img_to_ref;
    float det = a[0] * a[3] - a[1] * a[2];
    if (det == 0.0f)
        return; /* Matx::inv returns zeros when the inversion fails */
    det = 1 / det;
    ref_to_img[3] = a[0] * det;
    ref_to_img[0] = a[3] * det;
    ref_to_img[1] = -a[1] * det;
    ref_to_img[2] = -a[2] * det;
}

size_t au_clnf_responses_scratch_floats(int max_w, int max_h, int ws)
{
    return (size_t)(ws + max_w - 1) * (size_t)(ws + max_h - 1) +
           au_ccnf_scratch_floats(max_w, max_h, ws);
}

auface_status au_clnf_responses(const au_ccnf_patch_set *set, int view, const int *visible,
                                const float *landmarks2n, int n, int first, int end,
                                const float ref_to_img[4], int ws, const float *gray, int w,
                                int h, size_t stride, int max_w, int max_h, float *responses,
                                float *scratch, au_err *err)
{
    /* Patch_experts::Response: a1 = sim_ref_to_img(0, 0), b1 = −sim_ref_to_img(0, 1) */
    const float a = ref_to_img[0], b = -ref_to_img[1];
    float *aoi = scratch;
    float *ccnf_scratch = scratch + (size_t)(ws + max_w - 1) * (size_t)(ws + max_h - 1);
    if (first < 0 || end > n || first > end)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF responses: landmark range %d..%d outside the "
                       "%d landmarks", first, end - 1, n);
    for (int i = first; i < end; i++) {
        if (!visible[i])
            continue;
        const au_ccnf_expert *e = &set->experts[(size_t)view * set->num_points + i];
        if (e->width > max_w || e->height > max_h)
            return au_fail(err, AUFACE_ERR_ARG,
                           "CLNF responses: landmark %d has a %d x %d patch, larger than the "
                           "%d x %d the scratch was sized for",
                           i, e->width, e->height, max_w, max_h);
        const int aoi_w = ws + e->width - 1, aoi_h = ws + e->height - 1;
        au_ccnf_extract_aoi(gray, w, h, stride, landmarks2n[i], landmarks2n[n + i], a, b, aoi_w,
                            aoi_h, aoi);
        auface_status st = au_ccnf_response(e, aoi, aoi_w, aoi_h,
                                            responses + (size_t)i * ws * ws, ccnf_scratch, err);
        if (st != AUFACE_OK)
            return st;
    }
    return AUFACE_OK;
}
