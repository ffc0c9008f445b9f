#include "nn/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

#include "nn/fold.h"
#include "nn/onnx_model.h"
#include "nn/ops_conv.h"
#include "nn/ops_dense.h"
#include "nn/ops_eltwise.h"
#include "nn/ops_layout.h"
#include "nn/ops_pool.h"
#include "nn/ops_resize.h"
#include "nn/plan.h"

struct au_nn_model {
    au_onnx_model *onnx;
};

typedef struct au_nn_output {
    const char *name;
    int tensor;
    au_nn_shape shape;
} au_nn_output;

struct au_nn_runtime {
    au_nn_plan plan;
    int input;                 /* tensor id of the graph input (NHWC when rank 4) */
    size_t in_n, in_c, in_hw;  /* input dims, for the NCHW -> NHWC conversion */
    int n_outputs;
    au_nn_output *outputs;
};

typedef auface_status (*op_planner)(au_nn_plan *plan, int node_index, au_err *err);

/* Ops that run (after plan-time folding of the constant ones), by ONNX op type. */
static const struct {
    const char *op_type;
    op_planner plan;
} op_table[] = {
    {"Conv", au_nn_op_conv},
    {"BatchNormalization", au_nn_op_batchnorm},
    {"Relu", au_nn_op_unary},
    {"Clip", au_nn_op_unary},
    {"LeakyRelu", au_nn_op_unary},
    {"PRelu", au_nn_op_unary},
    {"Sigmoid", au_nn_op_unary},
    {"Add", au_nn_op_binary},
    {"Sub", au_nn_op_binary},
    {"Mul", au_nn_op_binary},
    {"Div", au_nn_op_binary},
    {"Softmax", au_nn_op_softmax},
    {"MaxPool", au_nn_op_pool},
    {"AveragePool", au_nn_op_pool},
    {"GlobalAveragePool", au_nn_op_pool},
    {"Gemm", au_nn_op_dense},
    {"MatMul", au_nn_op_dense},
    {"Resize", au_nn_op_resize},
    {"Upsample", au_nn_op_resize},
    {"Reshape", au_nn_op_reshape},
    {"Flatten", au_nn_op_reshape},
    {"Squeeze", au_nn_op_reshape},
    {"Unsqueeze", au_nn_op_reshape},
    {"Identity", au_nn_op_reshape},
    {"Dropout", au_nn_op_reshape},
    {"Transpose", au_nn_op_transpose},
    {"Concat", au_nn_op_concat},
    {"Pad", au_nn_op_pad},
};

auface_status au_nn_model_load(au_nn_model **out, const char *path, au_err *err)
{
    *out = NULL;
    /* xnn_initialize is idempotent and thread-safe (pthread_once inside XNNPACK). */
    enum xnn_status xs = xnn_initialize(NULL);
    if (xs != xnn_status_success)
        return au_fail(err, AUFACE_ERR_UNSUPPORTED, "%s: XNNPACK cannot initialize on this CPU (xnn_status %d)", path,
                       (int)xs);
    au_nn_model *m = calloc(1, sizeof *m);
    if (!m)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    auface_status st = au_onnx_model_load(&m->onnx, path, err);
    if (st != AUFACE_OK) {
        free(m);
        return st;
    }
    *out = m;
    return AUFACE_OK;
}

void au_nn_model_free(au_nn_model *model)
{
    if (!model)
        return;
    au_onnx_model_free(model->onnx);
    free(model);
}

const char *au_nn_model_path(const au_nn_model *model)
{
    return model->onnx->path;
}

/* ---------------------------------------------------------------------------------------
 * Planning. */

static auface_status plan_graph_input(au_nn_runtime *rt, const int input_nchw[4], au_err *err)
{
    au_nn_plan *plan = &rt->plan;
    const au_onnx_model *m = plan->model;
    if (m->n_inputs != 1)
        return au_fail(err, AUFACE_ERR_UNSUPPORTED, "%s: the graph has %d inputs (exactly 1 is supported)", plan->path,
                       m->n_inputs);
    const au_onnx_value_info *in = &m->inputs[0];
    if (in->ndim != -1 && in->ndim != 4)
        return au_fail(err, AUFACE_ERR_UNSUPPORTED, "%s: input '%s' has rank %d (only rank-4 NCHW inputs are supported)",
                       plan->path, in->name, in->ndim);
    int64_t count = 1;
    for (int d = 0; d < 4; d++) {
        if (input_nchw[d] < 1 || input_nchw[d] > (1 << 20))
            count = INT64_MAX;
        else
            count *= input_nchw[d];
    }
    if (count > (int64_t)1 << 30) /* 4 GiB of floats: not an image */
        return au_fail(err, AUFACE_ERR_ARG, "%s: invalid input shape %dx%dx%dx%d", plan->path, input_nchw[0],
                       input_nchw[1], input_nchw[2], input_nchw[3]);
    if (in->ndim == 4 && in->dims[1] > 0 && in->dims[1] != input_nchw[1])
        return au_fail(err, AUFACE_ERR_ARG, "%s: input '%s' has %lld channels, not %d", plan->path, in->name,
                       (long long)in->dims[1], input_nchw[1]);
    const int64_t dims[4] = {input_nchw[0], input_nchw[1], input_nchw[2], input_nchw[3]};
    auface_status st = au_nn_plan_add_act(plan, in->name, 4, dims, AU_NN_NHWC, &rt->input, err);
    if (st != AUFACE_OK)
        return st;
    plan->input_tensor = rt->input;
    rt->in_n = (size_t)input_nchw[0];
    rt->in_c = (size_t)input_nchw[1];
    rt->in_hw = (size_t)input_nchw[2] * (size_t)input_nchw[3];
    return AUFACE_OK;
}

/* Evaluates a node whose inputs are all constants (or a Shape of a planned value). Returns
 * 1 if folded, 0 if the node must run, -1 on error. */
static int try_fold(au_nn_plan *plan, const au_onnx_node *n, auface_status *st, au_err *err)
{
    const au_onnx_tensor *in[64] = {0};
    au_onnx_tensor out;
    if (strcmp(n->op_type, "Shape") == 0) {
        int id;
        if ((*st = au_nn_plan_input(plan, n, 0, 0, &id, err)) != AUFACE_OK)
            return -1;
        const au_nn_tensor *t = &plan->tensors[id];
        if ((*st = au_nn_fold_shape(plan, n, t->ndim, t->dims, &out, err)) != AUFACE_OK)
            return -1;
    } else {
        if (!au_nn_fold_supported(n->op_type) || n->n_inputs > 64)
            return 0;
        for (int k = 0; k < n->n_inputs; k++) {
            int id;
            if ((*st = au_nn_plan_input(plan, n, k, 1, &id, err)) != AUFACE_OK)
                return -1;
            if (id < 0)
                continue;
            if (!plan->tensors[id].is_const)
                return 0;
            in[k] = &plan->tensors[id].c;
        }
        if ((*st = au_nn_fold_node(plan, n, in, n->n_inputs, &out, err)) != AUFACE_OK)
            return -1;
    }
    int id;
    if (n->n_outputs < 1 || (*st = au_nn_plan_add_const(plan, n->outputs[0], &out, &id, err)) != AUFACE_OK)
        return -1;
    return 1;
}

static auface_status plan_nodes(au_nn_plan *plan, au_err *err)
{
    const au_onnx_model *m = plan->model;
    for (int k = 0; k < m->n_nodes; k++) {
        if (plan->node_done[k])
            continue;
        plan->cur_node = k;
        const au_onnx_node *n = &m->nodes[k];
        if (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0) {
            char why[300];
            snprintf(why, sizeof why, "ops of domain '%.200s' are not supported", n->domain);
            return au_nn_node_fail(plan, n, why, err);
        }
        if (n->n_outputs < 1 || !n->outputs[0][0])
            return au_fail(err, AUFACE_ERR_FORMAT, "%s: node #%d (%s) has no output", plan->path, k, n->op_type);
        auface_status st = AUFACE_OK;
        int folded = try_fold(plan, n, &st, err);
        if (folded < 0)
            return st;
        if (folded)
            continue;
        op_planner planner = NULL;
        for (size_t t = 0; t < sizeof op_table / sizeof *op_table; t++)
            if (strcmp(op_table[t].op_type, n->op_type) == 0)
                planner = op_table[t].plan;
        if (!planner)
            return au_nn_node_fail(plan, n, "unsupported op type", err);
        if ((st = planner(plan, k, err)) != AUFACE_OK)
            return st;
    }
    plan->cur_node = m->n_nodes;
    return AUFACE_OK;
}

static void copy_kernel(const au_nn_step *s)
{
    memcpy(s->dst, s->src[0], *(const size_t *)s->params * sizeof(float));
}

/* Makes every graph output an activation in row-major ONNX order that nothing overwrites. */
static auface_status plan_outputs(au_nn_runtime *rt, au_err *err)
{
    au_nn_plan *plan = &rt->plan;
    const au_onnx_model *m = plan->model;
    rt->outputs = calloc((size_t)m->n_outputs, sizeof *rt->outputs);
    if (!rt->outputs)
        return au_nn_plan_nomem(plan, err);
    rt->n_outputs = m->n_outputs;
    for (int k = 0; k < m->n_outputs; k++) {
        const char *name = m->outputs[k].name;
        int id = au_nn_plan_find(plan, name);
        if (id < 0)
            return au_fail(err, AUFACE_ERR_FORMAT, "%s: graph output '%s' is not produced by any node", plan->path, name);
        auface_status st;
        au_nn_tensor t = plan->tensors[id];
        if (t.is_const) { /* a constant output: copied into place at every run */
            if (t.c.dtype != AU_ONNX_FLOAT)
                return au_fail(err, AUFACE_ERR_UNSUPPORTED, "%s: graph output '%s' is an integer constant", plan->path,
                               name);
            int a_id;
            size_t *count = au_nn_plan_alloc(plan, sizeof *count);
            if (!count)
                return au_nn_plan_nomem(plan, err);
            *count = t.c.count;
            if ((st = au_nn_plan_add_act(plan, NULL, t.ndim, t.dims, AU_NN_PLAIN, &a_id, err)) != AUFACE_OK)
                return st;
            au_nn_step *s = au_nn_plan_add_step(plan, name, NULL, copy_kernel, NULL, &id, 1, a_id);
            if (!s)
                return au_nn_plan_nomem(plan, err);
            s->params = count;
            id = a_id;
        } else if ((st = au_nn_plan_to_layout(plan, id, AU_NN_PLAIN, &id, err)) != AUFACE_OK) {
            return st;
        }
        plan->tensors[id].is_output = 1;
        rt->outputs[k].name = name;
        rt->outputs[k].tensor = id;
        rt->outputs[k].shape.ndim = plan->tensors[id].ndim;
        for (int d = 0; d < plan->tensors[id].ndim && d < AU_NN_SHAPE_MAX_DIMS; d++)
            rt->outputs[k].shape.dims[d] = (int)plan->tensors[id].dims[d];
    }
    return AUFACE_OK;
}

auface_status au_nn_runtime_create(au_nn_runtime **out, const au_nn_model *model, const int input_nchw[4],
                                   au_err *err)
{
    *out = NULL;
    au_nn_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", model->onnx->path);
    auface_status st = au_nn_plan_init(&rt->plan, model->onnx, err);
    au_nn_plan *plan = &rt->plan;
    for (int k = 0; st == AUFACE_OK && k < model->onnx->n_initializers; k++) {
        int id;
        st = au_nn_plan_add_const(plan, model->onnx->initializers[k].name, &model->onnx->initializers[k], &id, err);
    }
    if (st == AUFACE_OK)
        st = plan_graph_input(rt, input_nchw, err);
    if (st == AUFACE_OK)
        st = plan_nodes(plan, err);
    if (st == AUFACE_OK)
        st = plan_outputs(rt, err);
    if (st == AUFACE_OK)
        st = au_nn_plan_allocate(plan, err);
    if (st != AUFACE_OK) {
        au_nn_runtime_destroy(rt);
        return st;
    }
    *out = rt;
    return AUFACE_OK;
}

/* ---------------------------------------------------------------------------------------
 * Running. */

/* NCHW -> NHWC of the input, per batch item a [C][HW] -> [HW][C] transpose. */
static void input_to_nhwc(const au_nn_runtime *rt, const float *in, float *out)
{
    const size_t c = rt->in_c, hw = rt->in_hw;
    for (size_t n = 0; n < rt->in_n; n++) {
        const float *src = in + n * c * hw;
        float *dst = out + n * c * hw;
        if (c == 1 || hw == 1) {
            memcpy(dst, src, c * hw * sizeof *dst);
        } else if (c == 3) { /* images: one pass over the three planes */
            const float *p0 = src, *p1 = src + hw, *p2 = src + 2 * hw;
            for (size_t i = 0; i < hw; i++) {
                dst[3 * i] = p0[i];
                dst[3 * i + 1] = p1[i];
                dst[3 * i + 2] = p2[i];
            }
        } else {
            for (size_t i = 0; i < hw; i++)
                for (size_t k = 0; k < c; k++)
                    dst[i * c + k] = src[k * hw + i];
        }
    }
}

auface_status au_nn_runtime_run_step(au_nn_runtime *rt, int k, au_err *err)
{
    const au_nn_step *s = &rt->plan.steps[k];
    if (!s->op) {
        s->kernel(s);
        return AUFACE_OK;
    }
    enum xnn_status xs = xnn_run_operator(s->op, NULL);
    if (xs != xnn_status_success)
        return au_fail(err, AUFACE_ERR_INTERNAL, "%s: node '%s': XNNPACK run failed (xnn_status %d)", rt->plan.path,
                       s->node, (int)xs);
    return AUFACE_OK;
}

auface_status au_nn_runtime_run_nhwc(au_nn_runtime *rt, au_err *err)
{
    for (int k = 0; k < rt->plan.n_steps; k++) {
        auface_status st = au_nn_runtime_run_step(rt, k, err);
        if (st != AUFACE_OK)
            return st;
    }
    return AUFACE_OK;
}

int au_nn_runtime_step_count(const au_nn_runtime *rt)
{
    return rt->plan.n_steps;
}

const char *au_nn_runtime_step_label(const au_nn_runtime *rt, int k, const char **op_type, au_nn_shape *out_shape)
{
    const au_nn_step *s = &rt->plan.steps[k];
    const au_onnx_model *m = rt->plan.model;
    *op_type = "";
    for (int n = 0; n < m->n_nodes; n++)
        if (strcmp(au_nn_node_name(&m->nodes[n]), s->node) == 0)
            *op_type = m->nodes[n].op_type;
    const au_nn_tensor *t = &rt->plan.tensors[s->out];
    out_shape->ndim = t->ndim < AU_NN_SHAPE_MAX_DIMS ? t->ndim : AU_NN_SHAPE_MAX_DIMS;
    for (int d = 0; d < out_shape->ndim; d++)
        out_shape->dims[d] = (int)t->dims[d];
    return s->node;
}

auface_status au_nn_runtime_run(au_nn_runtime *rt, const float *input_nchw, au_err *err)
{
    input_to_nhwc(rt, input_nchw, rt->plan.tensors[rt->input].data);
    return au_nn_runtime_run_nhwc(rt, err);
}

float *au_nn_runtime_input_nhwc(au_nn_runtime *rt)
{
    return rt->plan.tensors[rt->input].data;
}

int au_nn_runtime_output_count(const au_nn_runtime *rt)
{
    return rt->n_outputs;
}

int au_nn_runtime_output_index(const au_nn_runtime *rt, const char *name)
{
    for (int k = 0; k < rt->n_outputs; k++)
        if (strcmp(rt->outputs[k].name, name) == 0)
            return k;
    return -1;
}

const char *au_nn_runtime_output_name(const au_nn_runtime *rt, int index)
{
    return index >= 0 && index < rt->n_outputs ? rt->outputs[index].name : NULL;
}

const float *au_nn_runtime_output(const au_nn_runtime *rt, int index, au_nn_shape *shape)
{
    if (index < 0 || index >= rt->n_outputs)
        return NULL;
    if (shape)
        *shape = rt->outputs[index].shape;
    return rt->plan.tensors[rt->outputs[index].tensor].data;
}

void au_nn_runtime_destroy(au_nn_runtime *rt)
{
    if (!rt)
        return;
    au_nn_plan_free(&rt->plan);
    free(rt->outputs);
    free(rt);
}
