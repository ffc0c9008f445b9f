#include "nn/ops_pool.h"

#include <math.h>
#include <string.h>

#include "nn/window.h"

typedef enum pool_kind { POOL_MAX, POOL_AVERAGE, POOL_GLOBAL_AVERAGE } pool_kind;

typedef struct pool_params {
    pool_kind kind;
} pool_params;

static auface_status setup_pool(au_nn_step *s, au_nn_plan *plan, au_err *err)
{
    const pool_params *p = s->params;
    const au_nn_tensor *x = &plan->tensors[s->in[0]];
    const size_t n = (size_t)x->dims[0], h = (size_t)x->dims[2], w = (size_t)x->dims[3];
    enum xnn_status st;
    if (p->kind == POOL_MAX)
        st = xnn_setup_max_pooling2d_nhwc_f32(s->op, n, h, w, s->src[0], s->dst, NULL);
    else if (p->kind == POOL_AVERAGE)
        st = xnn_setup_average_pooling2d_nhwc_f32(s->op, n, h, w, s->src[0], s->dst, NULL);
    else
        st = xnn_setup_global_average_pooling_nwc_f32(s->op, n, h * w, s->src[0], s->dst, NULL);
    return st == xnn_status_success ? AUFACE_OK : au_nn_plan_xnn_fail(plan, s->node, "setup", st, err);
}

auface_status au_nn_op_pool(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = &plan->model->nodes[node_index];
    int x_id;
    auface_status st = au_nn_plan_activation(
        plan, n, 0, 4, "only 2-D pooling of an activation (rank 4) is supported", &x_id, err);
    if (st != AUFACE_OK)
        return st;
    if (n->n_outputs > 1 && n->outputs[1][0])
        return au_nn_node_fail(plan, n, "the Indices output is not supported", err);
    if ((st = au_nn_plan_to_layout(plan, x_id, AU_NN_NHWC, &x_id, err)) != AUFACE_OK)
        return st;
    const au_nn_tensor x = plan->tensors[x_id];
    const size_t C = (size_t)x.dims[1];

    pool_params *p = au_nn_plan_alloc(plan, sizeof *p);
    if (!p)
        return au_nn_plan_nomem(plan, err);
    int64_t out_h = 1, out_w = 1;
    xnn_operator_t xop = NULL;
    enum xnn_status xs;
    if (strcmp(n->op_type, "GlobalAveragePool") == 0) {
        p->kind = POOL_GLOBAL_AVERAGE;
    } else {
        const au_onnx_attr *ks = au_onnx_node_attr(n, "kernel_shape");
        if (!ks || ks->type != AU_ONNX_ATTR_INTS || ks->n != 2)
            return au_nn_node_fail(plan, n, "kernel_shape must have 2 values", err);
        au_nn_window w;
        if ((st = au_nn_window_read(plan, n, x.dims[2], x.dims[3], ks->ints[0], ks->ints[1], &w, err)) != AUFACE_OK)
            return st;
        out_h = w.out_h;
        out_w = w.out_w;
        const int padded = w.pad_top | w.pad_left | w.pad_bottom | w.pad_right;
        if (strcmp(n->op_type, "MaxPool") == 0) {
            if (au_onnx_attr_int(n, "storage_order", 0) != 0)
                return au_nn_node_fail(plan, n, "storage_order 1 is not supported", err);
            /* XNNPACK's padded max pooling never picks a padding value, as ONNX requires. */
            p->kind = POOL_MAX;
            xs = xnn_create_max_pooling2d_nhwc_f32(w.pad_top, w.pad_right, w.pad_bottom, w.pad_left, w.kernel_h,
                                                   w.kernel_w, w.stride_h, w.stride_w, w.dilation_h, w.dilation_w,
                                                   C, C, C, -INFINITY, INFINITY, 0, &xop);
            if (xs != xnn_status_success)
                return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "max pooling create", xs, err);
        } else {
            if (w.dilation_h != 1 || w.dilation_w != 1)
                return au_nn_node_fail(plan, n, "dilated average pooling is not supported", err);
            /* XNNPACK divides by the number of input pixels under the window, which is ONNX's
             * count_include_pad = 0; count_include_pad = 1 only agrees without padding. */
            if (padded && au_onnx_attr_int(n, "count_include_pad", 0))
                return au_nn_node_fail(plan, n, "count_include_pad = 1 with padding is not supported", err);
            if (!padded && (int64_t)w.kernel_h == x.dims[2] && (int64_t)w.kernel_w == x.dims[3]) {
                p->kind = POOL_GLOBAL_AVERAGE; /* the window is the whole input: out 1x1 */
            } else {
                p->kind = POOL_AVERAGE;
                xs = xnn_create_average_pooling2d_nhwc_f32(w.pad_top, w.pad_right, w.pad_bottom, w.pad_left,
                                                           w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, C, C,
                                                           C, -INFINITY, INFINITY, 0, &xop);
                if (xs != xnn_status_success)
                    return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "average pooling create", xs, err);
            }
        }
    }
    if (p->kind == POOL_GLOBAL_AVERAGE) {
        xs = xnn_create_global_average_pooling_nwc_f32(C, C, C, -INFINITY, INFINITY, 0, &xop);
        if (xs != xnn_status_success)
            return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "global average pooling create", xs, err);
    }
    const int64_t dims[4] = {x.dims[0], x.dims[1], out_h, out_w};
    int y_id;
    if ((st = au_nn_plan_add_act(plan, n->outputs[0], 4, dims, AU_NN_NHWC, &y_id, err)) != AUFACE_OK) {
        xnn_delete_operator(xop);
        return st;
    }
    au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), xop, NULL, setup_pool, &x_id, 1, y_id);
    if (!s)
        return au_nn_plan_nomem(plan, err);
    s->params = p;
    return AUFACE_OK;
}
