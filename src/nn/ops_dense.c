#include "nn/ops_dense.h"

#include <stdlib.h>
#include <string.h>

#include "nn/ops_eltwise.h"

typedef struct dense_params {
    size_t batch;
} dense_params;

static auface_status setup_dense(au_nn_step *s, au_nn_plan *plan, au_err *err)
{
    const dense_params *p = s->params;
    enum xnn_status st = xnn_setup_fully_connected_nc_f32(s->op, p->batch, s->src[0], s->dst, NULL);
    return st == xnn_status_success ? AUFACE_OK : au_nn_plan_xnn_fail(plan, s->node, "setup", st, err);
}

static const au_onnx_tensor *const_of(const au_nn_plan *plan, int id)
{
    if (id < 0 || !plan->tensors[id].is_const || plan->tensors[id].c.dtype != AU_ONNX_FLOAT)
        return NULL;
    return &plan->tensors[id].c;
}

auface_status au_nn_op_dense(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = &plan->model->nodes[node_index];
    const int gemm = strcmp(n->op_type, "Gemm") == 0;
    int a_id, b_id, c_id = -1;
    auface_status st;
    if ((st = au_nn_plan_activation(plan, n, 0, 0, "constant first input (not foldable)", &a_id, err)) !=
            AUFACE_OK ||
        (st = au_nn_plan_input(plan, n, 1, 0, &b_id, err)) != AUFACE_OK ||
        (gemm && (st = au_nn_plan_input(plan, n, 2, 1, &c_id, err)) != AUFACE_OK))
        return st;
    const au_onnx_tensor *B = const_of(plan, b_id), *C = c_id >= 0 ? const_of(plan, c_id) : NULL;
    if (!B || B->ndim != 2)
        return au_nn_node_fail(plan, n, "the second input must be a constant float matrix", err);
    if (c_id >= 0 && !C)
        return au_nn_node_fail(plan, n, "the bias C must be a constant float tensor", err);
    /* Gemm attributes and defaults (onnx/defs/math/defs.cc): alpha = beta = 1, no transposes. */
    const int trans_b = gemm && au_onnx_attr_int(n, "transB", 0);
    if (gemm && au_onnx_attr_int(n, "transA", 0))
        return au_nn_node_fail(plan, n, "transA = 1 is not supported", err);
    const float alpha = gemm ? au_onnx_attr_float(n, "alpha", 1.0f) : 1.0f;
    const float beta = gemm ? au_onnx_attr_float(n, "beta", 1.0f) : 1.0f;
    const size_t K = (size_t)(trans_b ? B->dims[1] : B->dims[0]), N = (size_t)(trans_b ? B->dims[0] : B->dims[1]);

    if ((st = au_nn_plan_to_layout(plan, a_id, AU_NN_PLAIN, &a_id, err)) != AUFACE_OK)
        return st;
    const au_nn_tensor a = plan->tensors[a_id];
    if ((gemm && a.ndim != 2) || a.ndim < 1 || (size_t)a.dims[a.ndim - 1] != K)
        return au_nn_node_fail(plan, n, "input and weight shapes do not agree", err);
    if (C && C->count != 1 && C->count != N)
        return au_nn_node_fail(plan, n, "the bias C must have 1 or N values", err);

    /* XNNPACK's kernel is [N][K] (output channels, input channels). */
    float *kernel = malloc(N * K * sizeof *kernel);
    float *bias = calloc(N, sizeof *bias);
    if (!kernel || !bias) {
        free(kernel);
        free(bias);
        return au_nn_plan_nomem(plan, err);
    }
    for (size_t o = 0; o < N; o++)
        for (size_t k = 0; k < K; k++)
            kernel[o * K + k] = alpha * (trans_b ? B->f[o * K + k] : B->f[k * N + o]);
    for (size_t o = 0; o < N && C; o++)
        bias[o] = beta * C->f[C->count == 1 ? 0 : o];

    float lo, hi;
    const char *out_name;
    au_nn_fuse_clamp(plan, n->outputs[0], &lo, &hi, &out_name);
    xnn_operator_t xop = NULL;
    enum xnn_status xs = xnn_create_fully_connected_nc_f32(K, N, K, N, kernel, C ? bias : NULL, lo, hi, 0, &xop);
    free(kernel);
    free(bias);
    if (xs != xnn_status_success)
        return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "fully connected create", xs, err);

    dense_params *p = au_nn_plan_alloc(plan, sizeof *p);
    int64_t dims[AU_NN_MAX_DIMS];
    memcpy(dims, a.dims, sizeof dims);
    dims[a.ndim - 1] = (int64_t)N;
    int y_id;
    if (!p) {
        xnn_delete_operator(xop);
        return au_nn_plan_nomem(plan, err);
    }
    p->batch = au_nn_tensor_count(&a) / K;
    if ((st = au_nn_plan_add_act(plan, out_name, a.ndim, dims, AU_NN_PLAIN, &y_id, err)) != AUFACE_OK) {
        xnn_delete_operator(xop);
        return st;
    }
    au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), xop, NULL, setup_dense, &a_id, 1, y_id);
    if (!s)
        return au_nn_plan_nomem(plan, err);
    s->params = p;
    return AUFACE_OK;
}
