#include "nn/ops_conv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/dwconv.h"
#include "nn/ops_eltwise.h"
#include "nn/window.h"

/* A constant float input of `n` with `count` values (count 0: any), or NULL. */
static const au_onnx_tensor *const_input(const au_nn_plan *plan, const au_onnx_node *n, int k, size_t count)
{
    const au_onnx_tensor *t = au_nn_plan_const_input(plan, n, k);
    if (!t || t->dtype != AU_ONNX_FLOAT || (count && t->count != count))
        return NULL;
    return t;
}

/* Folds BatchNormalization `bn` into the convolution's weights and bias (in double, rounded
 * once): y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta. `weights` holds
 * o_count filters of `per_filter` values. Returns 0 if the node's parameters are not constant
 * vectors of o_count values. */
static int fold_batchnorm(const au_nn_plan *plan, const au_onnx_node *bn, size_t o_count, size_t per_filter,
                          float *weights, float *bias)
{
    const au_onnx_tensor *gamma = const_input(plan, bn, 1, o_count), *beta = const_input(plan, bn, 2, o_count),
                         *mean = const_input(plan, bn, 3, o_count), *var = const_input(plan, bn, 4, o_count);
    if (!gamma || !beta || !mean || !var)
        return 0;
    /* ONNX BatchNormalization: epsilon defaults to 1e-5 (onnx/defs/nn/defs.cc). */
    const double eps = au_onnx_attr_float(bn, "epsilon", 1e-5f);
    for (size_t o = 0; o < o_count; o++) {
        const double s = (double)gamma->f[o] / sqrt((double)var->f[o] + eps);
        for (size_t k = 0; k < per_filter; k++)
            weights[o * per_filter + k] = (float)(weights[o * per_filter + k] * s);
        bias[o] = (float)(((double)bias[o] - mean->f[o]) * s + beta->f[o]);
    }
    return 1;
}

static auface_status setup_conv(au_nn_step *s, au_nn_plan *plan, au_err *err)
{
    const au_nn_tensor *x = &plan->tensors[s->in[0]];
    enum xnn_status st = xnn_setup_convolution2d_nhwc_f32(s->op, (size_t)x->dims[0], (size_t)x->dims[2],
                                                          (size_t)x->dims[3], s->src[0], s->dst, NULL);
    return st == xnn_status_success ? AUFACE_OK : au_nn_plan_xnn_fail(plan, s->node, "setup", st, err);
}

/* MaxPool 2x2, stride 2, no padding/dilation, floor output size, one output. */
static int is_plain_maxpool2x2(const au_onnx_node *n)
{
    if (strcmp(n->op_type, "MaxPool") != 0 || n->domain[0] || (n->n_outputs > 1 && n->outputs[1][0]))
        return 0;
    const au_onnx_attr *k = au_onnx_node_attr(n, "kernel_shape"), *s = au_onnx_node_attr(n, "strides"),
                       *p = au_onnx_node_attr(n, "pads"), *d = au_onnx_node_attr(n, "dilations");
    if (!k || k->type != AU_ONNX_ATTR_INTS || k->n != 2 || k->ints[0] != 2 || k->ints[1] != 2)
        return 0;
    if (!s || s->type != AU_ONNX_ATTR_INTS || s->n != 2 || s->ints[0] != 2 || s->ints[1] != 2)
        return 0;
    if (p && (p->type != AU_ONNX_ATTR_INTS || p->n != 4 || p->ints[0] || p->ints[1] || p->ints[2] || p->ints[3]))
        return 0;
    if (d && (d->type != AU_ONNX_ATTR_INTS || d->n != 2 || d->ints[0] != 1 || d->ints[1] != 1))
        return 0;
    return !au_onnx_attr_int(n, "ceil_mode", 0) && !au_onnx_attr_int(n, "storage_order", 0) &&
           strcmp(au_onnx_attr_string(n, "auto_pad", "NOTSET"), "NOTSET") == 0;
}

static void dwconv_kernel(const au_nn_step *s)
{
    au_nn_dwconv3x3_run(s->params, s->src[0], s->dst);
}

/* Plans a depthwise 3x3 convolution on the hand-written kernel (nn/dwconv.h) when it
 * applies: one input and one output channel per group, 3x3, no dilation, equal strides, at
 * most 1 pixel of padding at the top/left. `kernel` is in XNNPACK layout ([C][3][3]).
 * Returns 0 (and plans nothing) when it does not apply. */
static int plan_dwconv3x3(au_nn_plan *plan, const au_onnx_node *n, int x_id, const au_nn_window *w, int64_t group,
                          int64_t Ig, int64_t O, const float *kernel, const float *bias, float lo, float hi,
                          const char *out_name, auface_status *st, au_err *err)
{
    const au_nn_tensor x = plan->tensors[x_id];
    if (Ig != 1 || O != group || w->kernel_h != 3 || w->kernel_w != 3 || w->dilation_h != 1 || w->dilation_w != 1 ||
        w->stride_h != w->stride_w || w->pad_top > 1 || w->pad_left > 1 || !au_nn_dwconv3x3_available())
        return 0;
    const size_t c = (size_t)O, cp = au_nn_dwconv3x3_padded_channels(c);
    au_nn_dwconv3x3 *p = au_nn_plan_alloc(plan, sizeof *p);
    float *wt = au_nn_plan_alloc(plan, 9 * cp * sizeof *wt);
    float *bt = au_nn_plan_alloc(plan, cp * sizeof *bt);
    float *zero = au_nn_plan_alloc(plan, ((size_t)x.dims[3] + 2) * cp * sizeof *zero);
    if (!p || !wt || !bt || !zero) {
        *st = au_nn_plan_nomem(plan, err);
        return 1;
    }
    for (size_t ch = 0; ch < c; ch++) {
        for (int k = 0; k < 9; k++)
            wt[(size_t)k * cp + ch] = kernel[ch * 9 + (size_t)k];
        bt[ch] = bias[ch];
    }
    *p = (au_nn_dwconv3x3){(size_t)x.dims[0], (size_t)x.dims[2], (size_t)x.dims[3], c, (size_t)w->out_h,
                           (size_t)w->out_w, w->stride_h, w->pad_top, w->pad_left, lo, hi, 0, wt, bt, zero};
    int64_t dims[4] = {x.dims[0], O, w->out_h, w->out_w};
    /* A 2x2 stride-2 MaxPool reading only this output is computed by the kernel too. */
    const int pool = au_nn_plan_sole_consumer(plan, out_name);
    if (pool >= 0 && is_plain_maxpool2x2(&plan->model->nodes[pool]) && w->out_h >= 2 && w->out_w >= 2) {
        plan->node_done[pool] = 1;
        out_name = plan->model->nodes[pool].outputs[0];
        p->pool = 1;
        dims[2] /= 2;
        dims[3] /= 2;
    }
    int y_id;
    if ((*st = au_nn_plan_add_act(plan, out_name, 4, dims, AU_NN_NHWC, &y_id, err)) != AUFACE_OK)
        return 1;
    au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), NULL, dwconv_kernel, NULL, &x_id, 1, y_id);
    if (!s)
        *st = au_nn_plan_nomem(plan, err);
    else
        s->params = p;
    return 1;
}

auface_status au_nn_op_conv(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = &plan->model->nodes[node_index];
    int x_id;
    auface_status st = au_nn_plan_activation(
        plan, n, 0, 4, "only 2-D convolutions of an activation (rank 4) are supported", &x_id, err);
    if (st != AUFACE_OK)
        return st;
    const au_onnx_tensor *w = const_input(plan, n, 1, 0);
    if (!w || w->ndim != 4)
        return au_nn_node_fail(plan, n, "the weights must be a constant float tensor of rank 4", err);
    const int64_t O = w->dims[0], Ig = w->dims[1], KH = w->dims[2], KW = w->dims[3];
    const au_onnx_tensor *b = const_input(plan, n, 2, (size_t)O);
    if (!b && n->n_inputs > 2 && n->inputs[2][0])
        return au_nn_node_fail(plan, n, "the bias must be a constant float vector with one value per output channel", err);
    if ((st = au_nn_plan_to_layout(plan, x_id, AU_NN_NHWC, &x_id, err)) != AUFACE_OK)
        return st;
    const au_nn_tensor x = plan->tensors[x_id];
    const int64_t group = au_onnx_attr_int(n, "group", 1);
    if (group < 1 || Ig < 1 || O < 1 || O % group != 0 || x.dims[1] != Ig * group)
        return au_nn_node_fail(plan, n, "input channels, weights and group do not agree", err);

    au_nn_window win;
    if ((st = au_nn_window_read(plan, n, x.dims[2], x.dims[3], KH, KW, &win, err)) != AUFACE_OK)
        return st;

    /* XNNPACK wants [group][out/group][kh][kw][in/group] (channels last); ONNX has
     * [out][in/group][kh][kw]. */
    const size_t per_filter = (size_t)(Ig * KH * KW);
    float *kernel = malloc((size_t)O * per_filter * sizeof *kernel);
    float *bias = calloc((size_t)O, sizeof *bias);
    if (!kernel || !bias) {
        free(kernel);
        free(bias);
        return au_nn_plan_nomem(plan, err);
    }
    for (int64_t o = 0; o < O; o++)
        for (int64_t i = 0; i < Ig; i++)
            for (int64_t y = 0; y < KH; y++)
                for (int64_t xk = 0; xk < KW; xk++)
                    kernel[((o * KH + y) * KW + xk) * Ig + i] = w->f[((o * Ig + i) * KH + y) * KW + xk];
    if (b)
        memcpy(bias, b->f, (size_t)O * sizeof *bias);

    const char *out_name = n->outputs[0];
    int bn = au_nn_plan_sole_consumer(plan, out_name);
    if (bn >= 0 && strcmp(plan->model->nodes[bn].op_type, "BatchNormalization") == 0 &&
        !plan->model->nodes[bn].domain[0] &&
        fold_batchnorm(plan, &plan->model->nodes[bn], (size_t)O, per_filter, kernel, bias)) {
        plan->node_done[bn] = 1;
        out_name = plan->model->nodes[bn].outputs[0];
    }
    float lo, hi;
    au_nn_fuse_clamp(plan, out_name, &lo, &hi, &out_name);

    if (plan_dwconv3x3(plan, n, x_id, &win, group, Ig, O, kernel, bias, lo, hi, out_name, &st, err)) {
        free(kernel);
        free(bias);
        return st;
    }
    xnn_operator_t xop = NULL;
    enum xnn_status xs = xnn_create_convolution2d_nhwc_f32(
        win.pad_top, win.pad_right, win.pad_bottom, win.pad_left, win.kernel_h, win.kernel_w, win.stride_h,
        win.stride_w, win.dilation_h, win.dilation_w, (uint32_t)group, (size_t)Ig, (size_t)(O / group),
        (size_t)x.dims[1], (size_t)O, kernel, bias, lo, hi, 0, &xop);
    free(kernel);
    free(bias);
    if (xs != xnn_status_success)
        return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "convolution create", xs, err);

    const int64_t dims[4] = {x.dims[0], O, win.out_h, win.out_w};
    int y_id;
    if ((st = au_nn_plan_add_act(plan, out_name, 4, dims, AU_NN_NHWC, &y_id, err)) != AUFACE_OK) {
        xnn_delete_operator(xop);
        return st;
    }
    return au_nn_plan_add_step(plan, au_nn_node_name(n), xop, NULL, setup_conv, &x_id, 1, y_id) ? AUFACE_OK
                                                                                      : au_nn_plan_nomem(plan, err);
}

auface_status au_nn_op_batchnorm(au_nn_plan *plan, int node_index, au_err *err)
{
    return au_nn_node_fail(plan, &plan->model->nodes[node_index],
                       "BatchNormalization is supported only directly after a Conv (folded into it)", err);
}
