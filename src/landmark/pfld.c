#include "landmark/pfld.h"

#include <stdlib.h>

#define PFLD_SIZE 112

struct au_pfld {
    const au_nn_model *model;
    au_nn_runtime *rt;
    float input[3 * PFLD_SIZE * PFLD_SIZE];
};

auface_status au_pfld_create(au_pfld **out, const au_nn_model *model, au_err *err)
{
    au_pfld *pf = calloc(1, sizeof *pf);
    if (!pf)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for PFLD");
    pf->model = model;
    const int shape[4] = {1, 3, PFLD_SIZE, PFLD_SIZE};
    auface_status st = au_nn_runtime_create(&pf->rt, model, shape, err);
    if (st != AUFACE_OK) {
        free(pf);
        return st;
    }
    au_nn_shape out_shape;
    const float *probe = au_nn_runtime_output(pf->rt, 0, &out_shape);
    int values = out_shape.ndim >= 2 ? out_shape.dims[out_shape.ndim - 1] : 0;
    if (!probe || values != 2 * AU_PFLD_POINTS) {
        au_pfld_destroy(pf);
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: output has %d values, a 68-point PFLD "
                       "model gives %d", au_nn_model_path(model), values, 2 * AU_PFLD_POINTS);
    }
    *out = pf;
    return AUFACE_OK;
}

auface_status au_pfld_fit(au_pfld *pf, const uint8_t *bgr, int w, int h, size_t stride,
                          const au_face_box *box, float *landmarks2n, au_err *err)
{
    au_pfld_crop crop;
    auface_status st = au_pfld_crop_from_box(box, w, h, &crop, err);
    if (st != AUFACE_OK)
        return st;
    au_pfld_input(bgr, w, h, stride, &crop, pf->input);
    if ((st = au_nn_runtime_run(pf->rt, pf->input, err)) != AUFACE_OK)
        return st;
    au_nn_shape shape;
    au_pfld_landmarks(au_nn_runtime_output(pf->rt, 0, &shape), &crop, landmarks2n);
    return AUFACE_OK;
}

void au_pfld_destroy(au_pfld *pf)
{
    if (!pf)
        return;
    au_nn_runtime_destroy(pf->rt);
    free(pf);
}
