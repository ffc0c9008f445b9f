#include "nn/ops_resize.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct nearest_params {
    size_t n, in_h, in_w, out_h, out_w, c;
    const int32_t *ys, *xs; /* source row / column of every output row / column */
} nearest_params;

static void nearest_kernel(const au_nn_step *s)
{
    const nearest_params *p = s->params;
    const size_t c = p->c, row = p->out_w * c;
    for (size_t b = 0; b < p->n; b++) {
        const float *in = s->src[0] + b * p->in_h * p->in_w * c;
        float *out = s->dst + b * p->out_h * row;
        for (size_t oy = 0; oy < p->out_h; oy++) {
            float *dst = out + oy * row;
            if (oy > 0 && p->ys[oy] == p->ys[oy - 1]) { /* same source row: copy the row made */
                memcpy(dst, dst - row, row * sizeof *dst);
                continue;
            }
            const float *src = in + (size_t)p->ys[oy] * p->in_w * c;
            for (size_t ox = 0; ox < p->out_w; ox++)
                memcpy(dst + ox * c, src + (size_t)p->xs[ox] * c, c * sizeof *dst);
        }
    }
}

static auface_status setup_bilinear(au_nn_step *s, au_nn_plan *plan, au_err *err)
{
    const au_nn_tensor *x = &plan->tensors[s->in[0]], *y = &plan->tensors[s->out];
    enum xnn_status st =
        xnn_setup_resize_bilinear2d_nhwc_f32(s->op, (size_t)x->dims[0], (size_t)x->dims[2], (size_t)x->dims[3],
                                             (size_t)y->dims[2], (size_t)y->dims[3], s->src[0], s->dst, NULL);
    return st == xnn_status_success ? AUFACE_OK : au_nn_plan_xnn_fail(plan, s->node, "setup", st, err);
}

/* Source coordinate of output coordinate `o` (ONNX Resize, coordinate_transformation_mode). */
static double source_coord(const char *mode, double o, double scale, int64_t in, int64_t out)
{
    if (strcmp(mode, "asymmetric") == 0)
        return o / scale;
    if (strcmp(mode, "align_corners") == 0)
        return out > 1 ? o * (double)(in - 1) / (double)(out - 1) : 0.0;
    if (strcmp(mode, "pytorch_half_pixel") == 0)
        return out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
    if (strcmp(mode, "tf_half_pixel_for_nn") == 0)
        return (o + 0.5) / scale;
    return (o + 0.5) / scale - 0.5; /* half_pixel */
}

/* Nearest source index (ONNX Resize, nearest_mode), clamped to the input. */
static int32_t nearest_index(const char *mode, double x, int64_t in)
{
    double r;
    if (strcmp(mode, "floor") == 0)
        r = floor(x);
    else if (strcmp(mode, "ceil") == 0)
        r = ceil(x);
    else if (strcmp(mode, "round_prefer_ceil") == 0)
        r = floor(x + 0.5);
    else /* round_prefer_floor */
        r = x == floor(x) + 0.5 ? floor(x) : floor(x + 0.5);
    if (r < 0)
        r = 0;
    if (r > (double)(in - 1))
        r = (double)(in - 1);
    return (int32_t)r;
}

/* A non-empty constant input k (scales or sizes), or NULL. */
static const au_onnx_tensor *const_input(const au_nn_plan *plan, const au_onnx_node *n, int k)
{
    const au_onnx_tensor *t = au_nn_plan_const_input(plan, n, k);
    return t && t->count != 0 ? t : NULL;
}

/* The spatial size of the other operand of the Add (or other binary op) that alone reads
 * value `name`, if it is a known rank-4 activation. */
static int partner_size(const au_nn_plan *plan, const char *name, int64_t *h, int64_t *w)
{
    int c = au_nn_plan_sole_consumer(plan, name);
    if (c < 0)
        return 0;
    const au_onnx_node *n = &plan->model->nodes[c];
    if (n->n_inputs != 2 || (strcmp(n->op_type, "Add") && strcmp(n->op_type, "Sub") && strcmp(n->op_type, "Mul")))
        return 0;
    const char *other = strcmp(n->inputs[0], name) == 0 ? n->inputs[1] : n->inputs[0];
    int id = au_nn_plan_find(plan, other);
    if (id < 0 || plan->tensors[id].is_const || plan->tensors[id].ndim != 4)
        return 0;
    *h = plan->tensors[id].dims[2];
    *w = plan->tensors[id].dims[3];
    return 1;
}

auface_status au_nn_op_resize(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = &plan->model->nodes[node_index];
    const int upsample = strcmp(n->op_type, "Upsample") == 0;
    int x_id;
    auface_status st =
        au_nn_plan_activation(plan, n, 0, 4, "only rank-4 activations can be resized", &x_id, err);
    if (st != AUFACE_OK)
        return st;
    if ((st = au_nn_plan_to_layout(plan, x_id, AU_NN_NHWC, &x_id, err)) != AUFACE_OK)
        return st;
    const au_nn_tensor x = plan->tensors[x_id];

    /* Scales: Upsample's attribute (opset 7-8) or input 1; Resize's input 1 (opset 10) or 2
     * (opset 11+). Sizes: Resize input 3. An empty tensor means "not given". */
    const au_onnx_tensor *scales = NULL, *sizes = NULL;
    const au_onnx_attr *scales_attr = au_onnx_node_attr(n, "scales");
    float attr_scales[4];
    if (upsample && scales_attr && scales_attr->type == AU_ONNX_ATTR_FLOATS && scales_attr->n == 4) {
        for (int d = 0; d < 4; d++)
            attr_scales[d] = scales_attr->floats[d];
    } else if (upsample || plan->model->opset < 11) {
        scales = const_input(plan, n, 1);
    } else {
        scales = const_input(plan, n, 2);
        sizes = const_input(plan, n, 3);
    }
    const float *sc = scales ? scales->f : (upsample && scales_attr ? attr_scales : NULL);
    if ((scales && (scales->dtype != AU_ONNX_FLOAT || scales->count != 4)) ||
        (sizes && (sizes->dtype != AU_ONNX_INT64 || sizes->count != 4)) || (!sc && !sizes))
        return au_nn_node_fail(plan, n, "scales (4 floats) or sizes (4 integers) must be plan-time constants", err);
    int64_t out[4];
    double scale[4];
    for (int d = 0; d < 4; d++) {
        if (sizes) {
            out[d] = sizes->i[d];
            scale[d] = (double)out[d] / (double)x.dims[d];
        } else {
            scale[d] = sc[d];
            out[d] = (int64_t)floor((double)x.dims[d] * scale[d]);
        }
    }
    if (out[0] != x.dims[0] || out[1] != x.dims[1])
        return au_nn_node_fail(plan, n, "only the H and W axes may be resized", err);
    /* Sizes fixed at export that do not fit the addend: follow the addend (nn/graph.h). */
    int64_t ph, pw;
    if (sizes && partner_size(plan, n->outputs[0], &ph, &pw) && (ph != out[2] || pw != out[3])) {
        out[2] = ph;
        out[3] = pw;
        scale[2] = (double)ph / (double)x.dims[2];
        scale[3] = (double)pw / (double)x.dims[3];
    }
    if (out[2] < 1 || out[3] < 1 || out[2] > INT32_MAX / 4 || out[3] > INT32_MAX / 4)
        return au_nn_node_fail(plan, n, "invalid output size", err);

    /* Defaults (onnx/defs/tensor/defs.cc): mode nearest; coordinates half_pixel from opset 11,
     * asymmetric before (and for Upsample); nearest_mode round_prefer_floor. */
    const char *mode = au_onnx_attr_string(n, "mode", "nearest");
    const char *coord = au_onnx_attr_string(n, "coordinate_transformation_mode",
                                            upsample || plan->model->opset < 11 ? "asymmetric" : "half_pixel");
    const int64_t dims[4] = {x.dims[0], x.dims[1], out[2], out[3]};
    int y_id;
    if ((st = au_nn_plan_add_act(plan, n->outputs[0], 4, dims, AU_NN_NHWC, &y_id, err)) != AUFACE_OK)
        return st;

    if (strcmp(mode, "nearest") == 0) {
        const char *nearest_mode = au_onnx_attr_string(n, "nearest_mode", "round_prefer_floor");
        nearest_params *p = au_nn_plan_alloc(plan, sizeof *p);
        int32_t *ys = au_nn_plan_alloc(plan, (size_t)out[2] * sizeof *ys);
        int32_t *xs = au_nn_plan_alloc(plan, (size_t)out[3] * sizeof *xs);
        if (!p || !ys || !xs)
            return au_nn_plan_nomem(plan, err);
        for (int64_t k = 0; k < out[2]; k++)
            ys[k] = nearest_index(nearest_mode, source_coord(coord, (double)k, scale[2], x.dims[2], out[2]), x.dims[2]);
        for (int64_t k = 0; k < out[3]; k++)
            xs[k] = nearest_index(nearest_mode, source_coord(coord, (double)k, scale[3], x.dims[3], out[3]), x.dims[3]);
        *p = (nearest_params){(size_t)x.dims[0], (size_t)x.dims[2], (size_t)x.dims[3], (size_t)out[2],
                              (size_t)out[3], (size_t)x.dims[1], ys, xs};
        au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), NULL, nearest_kernel, NULL, &x_id, 1, y_id);
        if (!s)
            return au_nn_plan_nomem(plan, err);
        s->params = p;
        return AUFACE_OK;
    }
    if (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0) {
        /* XNNPACK maps with scale in/out: half_pixel by default, asymmetric with
         * TENSORFLOW_LEGACY_MODE, align_corners with ALIGN_CORNERS; both clamp to the border
         * as ONNX linear does. Given scales must then equal out/in. */
        uint32_t flags;
        if (strcmp(coord, "half_pixel") == 0 || (strcmp(coord, "pytorch_half_pixel") == 0 && out[2] > 1 && out[3] > 1))
            flags = 0;
        else if (strcmp(coord, "asymmetric") == 0)
            flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
        else if (strcmp(coord, "align_corners") == 0)
            flags = XNN_FLAG_ALIGN_CORNERS;
        else
            return au_nn_node_fail(plan, n, "this coordinate_transformation_mode is not supported for linear resize", err);
        if (!sizes && (fabs(scale[2] * (double)x.dims[2] - (double)out[2]) > 1e-6 ||
                       fabs(scale[3] * (double)x.dims[3] - (double)out[3]) > 1e-6))
            return au_nn_node_fail(plan, n, "linear resize with a scale that does not give an integer size", err);
        xnn_operator_t xop = NULL;
        const size_t C = (size_t)x.dims[1];
        enum xnn_status xs = xnn_create_resize_bilinear2d_nhwc_f32(C, C, C, flags, &xop);
        if (xs != xnn_status_success)
            return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "resize bilinear create", xs, err);
        return au_nn_plan_add_step(plan, au_nn_node_name(n), xop, NULL, setup_bilinear, &x_id, 1, y_id)
                   ? AUFACE_OK
                   : au_nn_plan_nomem(plan, err);
    }
    return au_nn_node_fail(plan, n, "only nearest and linear modes are supported", err);
}
