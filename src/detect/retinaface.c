#include "detect/retinaface.h"

#include <math.h>
#include <stdlib.h>

#include "detect/retinaface_post.h"

struct au_retinaface {
    const au_nn_model *model;
    au_nn_runtime *rt;
    int frame_w, frame_h;    /* size the runtime is planned for */
    int net_w, net_h;
    int num_priors;
    float *input;            /* 3 x net_h x net_w */
    float *priors;           /* 4 per prior */
    void *scratch;
    int out_loc, out_conf, out_landms;
};

auface_status au_retinaface_create(au_retinaface **out, const au_nn_model *model, au_err *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the RetinaFace detector");
    (*out)->model = model;
    return AUFACE_OK;
}

static void release_plan(au_retinaface *rf)
{
    au_nn_runtime_destroy(rf->rt);
    free(rf->input);
    free(rf->priors);
    free(rf->scratch);
    rf->rt = NULL;
    rf->input = rf->priors = NULL;
    rf->scratch = NULL;
    rf->frame_w = rf->frame_h = 0;
}

static int round_up32(int v)
{
    return (v + 31) / 32 * 32;
}

/* The network input: the frame (scaled so its longer side fits AU_RETINAFACE_MAX_SIDE)
 * padded on the right and bottom to multiples of 32, which the three strides and the FPN's
 * 2x upsampling need. */
static void choose_net_size(int w, int h, int *net_w, int *net_h)
{
    int longer = w > h ? w : h;
    double s = longer > AU_RETINAFACE_MAX_SIDE ? (double)AU_RETINAFACE_MAX_SIDE / longer : 1.0;
    *net_w = round_up32((int)lround(w * s));
    *net_h = round_up32((int)lround(h * s));
}

static auface_status find_output(au_retinaface *rf, const char *name, int *index, au_err *err)
{
    *index = au_nn_runtime_output_index(rf->rt, name);
    if (*index < 0)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: no output named %s (not a RetinaFace model?)",
                       au_nn_model_path(rf->model), name);
    return AUFACE_OK;
}

static auface_status plan(au_retinaface *rf, int w, int h, au_err *err)
{
    release_plan(rf);
    choose_net_size(w, h, &rf->net_w, &rf->net_h);
    const int shape[4] = {1, 3, rf->net_h, rf->net_w};
    auface_status st = au_nn_runtime_create(&rf->rt, rf->model, shape, err);
    if (st != AUFACE_OK)
        return st;
    rf->num_priors = (int)au_retinaface_num_priors(rf->net_w, rf->net_h);
    rf->input = malloc(sizeof(float) * 3 * (size_t)rf->net_w * (size_t)rf->net_h);
    rf->priors = malloc(sizeof(float) * 4 * (size_t)rf->num_priors);
    rf->scratch = malloc(au_retinaface_scratch_bytes(rf->num_priors));
    if (!rf->input || !rf->priors || !rf->scratch) {
        release_plan(rf);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory planning RetinaFace for %dx%d", w, h);
    }
    au_retinaface_priors(rf->net_w, rf->net_h, rf->priors);
    if ((st = find_output(rf, "output0", &rf->out_loc, err)) != AUFACE_OK ||
        (st = find_output(rf, "output1", &rf->out_conf, err)) != AUFACE_OK ||
        (st = find_output(rf, "output2", &rf->out_landms, err)) != AUFACE_OK) {
        release_plan(rf);
        return st;
    }
    rf->frame_w = w;
    rf->frame_h = h;
    return AUFACE_OK;
}

int au_retinaface_detect(au_retinaface *rf, const uint8_t *bgr, int w, int h, size_t stride,
                         au_face_box *out, int max_out, au_err *err)
{
    if ((w != rf->frame_w || h != rf->frame_h) && plan(rf, w, h, err) != AUFACE_OK)
        return -1;
    double scale;
    au_retinaface_input(bgr, w, h, stride, rf->net_w, rf->net_h, rf->input, &scale);
    if (au_nn_runtime_run(rf->rt, rf->input, err) != AUFACE_OK)
        return -1;
    au_nn_shape shape;
    const float *loc = au_nn_runtime_output(rf->rt, rf->out_loc, &shape);
    const float *conf = au_nn_runtime_output(rf->rt, rf->out_conf, &shape);
    const float *landms = au_nn_runtime_output(rf->rt, rf->out_landms, &shape);
    if (shape.ndim != 3 || shape.dims[1] != rf->num_priors) {
        au_fail(err, AUFACE_ERR_FORMAT, "%s: %d outputs for %d priors at %dx%d",
                au_nn_model_path(rf->model), shape.ndim == 3 ? shape.dims[1] : -1,
                rf->num_priors, rf->net_w, rf->net_h);
        return -1;
    }
    return au_retinaface_decode(loc, conf, landms, rf->priors, rf->num_priors, rf->net_w,
                                rf->net_h, scale, AU_RETINAFACE_SCORE, AU_RETINAFACE_NMS, out,
                                max_out, rf->scratch);
}

void au_retinaface_destroy(au_retinaface *rf)
{
    if (!rf)
        return;
    release_plan(rf);
    free(rf);
}
