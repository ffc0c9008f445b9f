#include "landmark/eye_parts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "landmark/clnf_fit.h"
#include "landmark/clnf_gray.h"
#include "landmark/clnf_tracker.h"

/* The region's margin around points 36–47, in pixels: EYE_MARGIN_SCALE·s + EYE_MARGIN_PX.
 * An eye expert's area of interest is (ws + 11 − 1) reference pixels wide (13 at window 3,
 * scale 1.0; 15 at window 5, scale 1.5), i.e. at most 6.5·s image pixels from its landmark
 * on either side, √2 times that when rotated; the rest allows for the points' movement
 * during the fit. 8·s + 8 was measured to be enough on default.wmv; this is twice that. */
#define EYE_MARGIN_SCALE 16.0
#define EYE_MARGIN_PX 8.0
/* Main points of the two eyes' contours: 36–41 and 42–47. */
#define FIRST_EYE_POINT 36
#define LAST_EYE_POINT 47

struct au_eye_fitter {
    au_clnf_fitter *fitter;
    int part[2];              /* left_eye_28, right_eye_28 */
    int main_points;          /* 68 */
    uint8_t *gray;            /* frame-sized grey image, written inside the eye region only */
    size_t gray_cap;
};

auface_status au_eye_parts_prepare(au_clnf_model *model, au_err *err)
{
    int part[2];
    if (!au_clnf_eye_parts(model, part))
        return au_fail(err, AUFACE_ERR_UNSUPPORTED, "the CLNF model set has no left_eye_28 "
                       "and right_eye_28 part models");
    for (int e = 0; e < 2; e++) {
        au_clnf_part *p = au_clnf_model_part(model, part[e]);
        au_clnf_params params;
        auface_status st = au_clnf_params_for_part(p->name, &params, err);
        for (int s = 0; s < p->clnf.num_scales && st == AUFACE_OK; s++)
            if (params.window_sizes_init[s] > 0)
                st = au_clnf_prepare_sigmas(&p->clnf, s, params.window_sizes_init[s], -1, err);
        if (st != AUFACE_OK)
            return st;
    }
    return AUFACE_OK;
}

int au_eye_part_pdms(const au_clnf_model *model, const au_pdm *pdms[2])
{
    int part[2];
    if (!au_clnf_eye_parts(model, part))
        return 0;
    for (int e = 0; e < 2; e++)
        pdms[e] = &au_clnf_model_part_const(model, part[e])->clnf.pdm;
    return 1;
}

auface_status au_eye_fitter_create(au_eye_fitter **out, const au_clnf_model *model,
                                   au_err *err)
{
    *out = NULL;
    au_eye_fitter *f = calloc(1, sizeof *f);
    if (!f)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for an eye fitter");
    auface_status st = AUFACE_OK;
    if (!au_clnf_eye_parts(model, f->part))
        st = au_fail(err, AUFACE_ERR_UNSUPPORTED, "the CLNF model set has no left_eye_28 and "
                     "right_eye_28 part models");
    if (st == AUFACE_OK)
        st = au_clnf_part_fitter_create(&f->fitter, model, f->part, 2, err);
    if (st != AUFACE_OK) {
        au_eye_fitter_free(f);
        return st;
    }
    f->main_points = au_clnf_model_main_const(model)->pdm.n;
    *out = f;
    return AUFACE_OK;
}

void au_eye_fitter_free(au_eye_fitter *f)
{
    if (!f)
        return;
    au_clnf_fitter_free(f->fitter);
    free(f->gray);
    free(f);
}

/* The region (x0, y0, x1, y1), clipped to the frame, that the eye fits read; 0 when
 * empty. */
static int eye_region(const float *lm, int n, float scale, int w, int h, int box[4])
{
    float lo_x = lm[FIRST_EYE_POINT], hi_x = lo_x;
    float lo_y = lm[n + FIRST_EYE_POINT], hi_y = lo_y;
    for (int i = FIRST_EYE_POINT + 1; i <= LAST_EYE_POINT; i++) {
        lo_x = fminf(lo_x, lm[i]);
        hi_x = fmaxf(hi_x, lm[i]);
        lo_y = fminf(lo_y, lm[n + i]);
        hi_y = fmaxf(hi_y, lm[n + i]);
    }
    const double margin = EYE_MARGIN_SCALE * fabs((double)scale) + EYE_MARGIN_PX;
    const double x0 = floor(lo_x - margin), y0 = floor(lo_y - margin);
    const double x1 = ceil(hi_x + margin) + 1, y1 = ceil(hi_y + margin) + 1;
    if (!(x0 < w && y0 < h && x1 > 0 && y1 > 0)) /* also false for NaN landmarks */
        return 0;
    box[0] = x0 < 0 ? 0 : (int)x0;
    box[1] = y0 < 0 ? 0 : (int)y0;
    box[2] = x1 > w ? w : (int)x1;
    box[3] = y1 > h ? h : (int)y1;
    return box[2] > box[0] && box[3] > box[1];
}

/* The grey image inside `box` (a w-wide buffer; the pixels outside are not written). */
static auface_status box_to_gray(au_eye_fitter *f, const uint8_t *bgr, int w, int h,
                                 size_t stride, const int box[4], au_err *err)
{
    const size_t need = (size_t)w * (size_t)h;
    if (need > f->gray_cap) {
        uint8_t *g = realloc(f->gray, need);
        if (!g)
            return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for a %dx%d grey frame", w, h);
        f->gray = g;
        f->gray_cap = need;
    }
    const size_t offset = (size_t)box[1] * (size_t)w + (size_t)box[0];
    au_bgr_to_gray_opencv(bgr + (size_t)box[1] * stride + (size_t)box[0] * 3, box[2] - box[0],
                          box[3] - box[1], stride, f->gray + offset, (size_t)w);
    return AUFACE_OK;
}

auface_status au_eye_fitter_fit(au_eye_fitter *f, const uint8_t *bgr, int w, int h,
                                size_t stride, const float *landmarks68, float main_scale,
                                au_eyes *eyes, au_err *err)
{
    int box[4];
    eyes->valid = 0;
    if (!eye_region(landmarks68, f->main_points, main_scale, w, h, box))
        return AUFACE_OK;
    auface_status st = box_to_gray(f, bgr, w, h, stride, box, err);
    if (st != AUFACE_OK)
        return st;
    for (int e = 0; e < 2; e++) {
        au_clnf_part_result part = {0}; /* modes past the part PDM's stay 0 */
        st = au_clnf_fit_part_alone(f->fitter, f->part[e], f->gray, w, h, (size_t)w, box,
                                    landmarks68, main_scale, &part, err);
        if (st != AUFACE_OK)
            return st;
        memcpy(eyes->global[e], part.global, sizeof eyes->global[e]);
        memcpy(eyes->local[e], part.local, sizeof eyes->local[e]);
        for (int i = 0; i < AU_EYE_PART_POINTS; i++) {
            eyes->landmarks[e][i] = part.landmarks[i];
            eyes->landmarks[e][AU_EYE_PART_POINTS + i] = part.landmarks[part.n + i];
        }
    }
    eyes->valid = 1;
    return AUFACE_OK;
}
