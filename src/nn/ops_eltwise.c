#include "nn/ops_eltwise.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const au_onnx_node *node_at(const au_nn_plan *plan, int k)
{
    return &plan->model->nodes[k];
}

/* A scalar float constant input, if present. */
static int const_scalar(const au_nn_plan *plan, const au_onnx_node *n, int k, float *v)
{
    if (k >= n->n_inputs || !n->inputs[k][0])
        return 0;
    const au_onnx_tensor *t = au_nn_plan_const_input(plan, n, k);
    if (!t || t->dtype != AU_ONNX_FLOAT || t->count != 1)
        return -1;
    *v = t->f[0];
    return 1;
}

/* Bounds of a Clip node: attributes min/max before opset 11, optional inputs 1, 2 after.
 * Returns 0 if a bound is not a constant. */
static int clip_bounds(const au_nn_plan *plan, const au_onnx_node *n, float *lo, float *hi)
{
    *lo = au_onnx_attr_float(n, "min", -INFINITY);
    *hi = au_onnx_attr_float(n, "max", INFINITY);
    return const_scalar(plan, n, 1, lo) >= 0 && const_scalar(plan, n, 2, hi) >= 0;
}

void au_nn_fuse_clamp(au_nn_plan *plan, const char *name, float *lo, float *hi, const char **out_name)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    *out_name = name;
    int c = au_nn_plan_sole_consumer(plan, name);
    if (c < 0)
        return;
    const au_onnx_node *n = node_at(plan, c);
    if (n->domain[0] || n->n_outputs < 1)
        return;
    if (strcmp(n->op_type, "Relu") == 0) {
        *lo = 0.0f;
    } else if (strcmp(n->op_type, "Clip") == 0) {
        if (!clip_bounds(plan, n, lo, hi)) {
            *lo = -INFINITY;
            *hi = INFINITY;
            return;
        }
    } else {
        return;
    }
    plan->node_done[c] = 1;
    *out_name = n->outputs[0];
}

/* ---------------------------------------------------------------------------------------
 * Unary activations. */

typedef enum unary_kind { UNARY_CLAMP, UNARY_LEAKY, UNARY_PRELU, UNARY_SIGMOID } unary_kind;

typedef struct unary_params {
    unary_kind kind;
    size_t batch;
} unary_params;

static auface_status setup_unary(au_nn_step *s, au_nn_plan *plan, au_err *err)
{
    const unary_params *p = s->params;
    enum xnn_status st;
    switch (p->kind) {
    case UNARY_CLAMP:
        st = xnn_setup_clamp_nc_f32(s->op, p->batch, s->src[0], s->dst, NULL);
        break;
    case UNARY_LEAKY:
        st = xnn_setup_leaky_relu_nc_f32(s->op, p->batch, s->src[0], s->dst, NULL);
        break;
    case UNARY_PRELU:
        st = xnn_setup_prelu_nc_f32(s->op, p->batch, s->src[0], s->dst, NULL);
        break;
    default:
        st = xnn_setup_sigmoid_nc_f32(s->op, p->batch, s->src[0], s->dst, NULL);
        break;
    }
    return st == xnn_status_success ? AUFACE_OK : au_nn_plan_xnn_fail(plan, s->node, "setup", st, err);
}

/* The PRelu slope as one value per channel: returns the channel count (1 = a single slope),
 * or 0 if its shape is not supported. */
static size_t prelu_channels(const au_nn_tensor *x, const au_nn_tensor *slope)
{
    if (!slope->is_const || slope->c.dtype != AU_ONNX_FLOAT)
        return 0;
    if (slope->c.count == 1)
        return 1;
    /* Per-channel: [C], [C,1,1] (rank 4) or [1,C,1,1] against an NCHW input, [C] against [N,C]. */
    const size_t c = x->ndim >= 2 ? (size_t)x->dims[1] : 0;
    if (slope->c.count != c)
        return 0;
    if (x->ndim == 4 && x->layout == AU_NN_NHWC)
        return c;
    if (x->ndim == 2)
        return c;
    return 0;
}

auface_status au_nn_op_unary(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = node_at(plan, node_index);
    const char *op = n->op_type;
    int x_id, slope_id = -1;
    auface_status st = au_nn_plan_activation(plan, n, 0, 0, "constant input (not foldable)", &x_id, err);
    if (st != AUFACE_OK)
        return st;
    if (strcmp(op, "PRelu") == 0) {
        if ((st = au_nn_plan_input(plan, n, 1, 0, &slope_id, err)) != AUFACE_OK)
            return st;
        /* Per-channel slopes need the channels last: run on NHWC. */
        if (plan->tensors[x_id].ndim == 4 && (st = au_nn_plan_to_layout(plan, x_id, AU_NN_NHWC, &x_id, err)) != AUFACE_OK)
            return st;
    }
    const au_nn_tensor x = plan->tensors[x_id];
    const size_t count = au_nn_tensor_count(&x);

    unary_params *p = au_nn_plan_alloc(plan, sizeof *p);
    if (!p)
        return au_nn_plan_nomem(plan, err);
    p->batch = 1;
    xnn_operator_t xop = NULL;
    enum xnn_status xs;
    const char *out_name = n->outputs[0];
    if (strcmp(op, "Relu") == 0 || strcmp(op, "Clip") == 0) {
        float lo = 0.0f, hi = INFINITY;
        if (op[0] == 'C' && !clip_bounds(plan, n, &lo, &hi))
            return au_nn_node_fail(plan, n, "min and max must be constants", err);
        p->kind = UNARY_CLAMP;
        xs = xnn_create_clamp_nc_f32(count, count, count, lo, hi, 0, &xop);
    } else if (strcmp(op, "LeakyRelu") == 0) {
        /* ONNX LeakyRelu: alpha defaults to 0.01 (onnx/defs/math/defs.cc). */
        p->kind = UNARY_LEAKY;
        xs = xnn_create_leaky_relu_nc_f32(count, count, count, au_onnx_attr_float(n, "alpha", 0.01f), 0, &xop);
    } else if (strcmp(op, "Sigmoid") == 0) {
        p->kind = UNARY_SIGMOID;
        xs = xnn_create_sigmoid_nc_f32(count, count, count, 0, &xop);
    } else if (strcmp(op, "PRelu") == 0) {
        const au_nn_tensor *slope = &plan->tensors[slope_id];
        size_t c = prelu_channels(&x, slope);
        if (c == 0)
            return au_nn_node_fail(plan, n, "the slope must be a constant with one value or one per channel", err);
        if (c == 1) {
            p->kind = UNARY_LEAKY;
            xs = xnn_create_leaky_relu_nc_f32(count, count, count, slope->c.f[0], 0, &xop);
        } else {
            p->kind = UNARY_PRELU;
            p->batch = count / c;
            xs = xnn_create_prelu_nc_f32(c, c, c, slope->c.f, 0, &xop);
        }
    } else {
        return au_nn_node_fail(plan, n, "not an elementwise activation", err);
    }
    if (xs != xnn_status_success)
        return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "create", xs, err);

    int y_id;
    if (au_nn_plan_can_overwrite(plan, x_id))
        st = au_nn_plan_add_view(plan, out_name, x.ndim, x.dims, x.layout, x_id, 0, &y_id, err);
    else
        st = au_nn_plan_add_act(plan, out_name, x.ndim, x.dims, x.layout, &y_id, err);
    if (st != AUFACE_OK) {
        xnn_delete_operator(xop);
        return st;
    }
    au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), xop, NULL, setup_unary, &x_id, 1, y_id);
    if (!s)
        return au_nn_plan_nomem(plan, err);
    s->params = p;
    return AUFACE_OK;
}

/* ---------------------------------------------------------------------------------------
 * Binary arithmetic. */

/* Logical (NCHW) dimension stored at each position of an NHWC tensor. */
static const int nhwc_order[4] = {0, 2, 3, 1};

typedef enum binary_kind { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } binary_kind;

typedef struct binary_params {
    binary_kind kind;
    size_t rank_a, rank_b;
    size_t shape_a[XNN_MAX_TENSOR_DIMS], shape_b[XNN_MAX_TENSOR_DIMS]; /* as stored (NHWC order) */
} binary_params;

static auface_status setup_binary(au_nn_step *s, au_nn_plan *plan, au_err *err)
{
    const binary_params *p = s->params;
    enum xnn_status (*fn)(xnn_operator_t, size_t, const size_t *, size_t, const size_t *, const float *,
                          const float *, float *, pthreadpool_t) =
        p->kind == BIN_ADD   ? xnn_setup_add_nd_f32
        : p->kind == BIN_SUB ? xnn_setup_subtract_nd_f32
        : p->kind == BIN_MUL ? xnn_setup_multiply_nd_f32
                             : xnn_setup_divide_nd_f32;
    enum xnn_status st = fn(s->op, p->rank_a, p->shape_a, p->rank_b, p->shape_b, s->src[0], s->src[1], s->dst, NULL);
    return st == xnn_status_success ? AUFACE_OK : au_nn_plan_xnn_fail(plan, s->node, "setup", st, err);
}

/* A float constant broadcast against a rank-4 NHWC activation: right-aligned to rank 4 as in
 * numpy, then its data reordered N,H,W,C. Gives the new constant's id and stored shape. */
static auface_status const_as_nhwc(au_nn_plan *plan, const au_onnx_node *n, int id, int *out_id, size_t shape[4],
                                   au_err *err)
{
    const au_onnx_tensor c = plan->tensors[id].c;
    if (c.ndim > 4)
        return au_nn_node_fail(plan, n, "constant of rank > 4 against a rank-4 tensor", err);
    int64_t d4[4] = {1, 1, 1, 1};
    for (int d = 0; d < c.ndim; d++)
        d4[4 - c.ndim + d] = c.dims[d];
    float *data = au_nn_plan_alloc(plan, c.count * sizeof(float) + XNN_EXTRA_BYTES);
    if (!data)
        return au_nn_plan_nomem(plan, err);
    static const int to_nhwc[4] = {0, 2, 3, 1};
    au_nn_transpose_f32(c.f, data, 4, d4, to_nhwc);
    au_onnx_tensor v = c;
    v.f = data;
    v.ndim = 4;
    for (int d = 0; d < 4; d++) {
        v.dims[d] = d4[to_nhwc[d]];
        shape[d] = (size_t)v.dims[d];
    }
    return au_nn_plan_add_const(plan, NULL, &v, out_id, err);
}

/* Appends " [d0,d1,...]" for tensor t to buf. */
static void append_dims(char *buf, size_t size, const au_nn_tensor *t)
{
    size_t len = strlen(buf);
    for (int d = 0; d < t->ndim && len + 24 < size; d++, len = strlen(buf))
        snprintf(buf + len, size - len, "%s%lld", d ? "," : " [", (long long)t->dims[d]);
    if (len + 2 < size)
        strcat(buf, t->ndim ? "]" : " []");
}

static auface_status broadcast_fail(const au_nn_plan *plan, const au_onnx_node *n, const au_nn_tensor *a,
                                    const au_nn_tensor *b, au_err *err)
{
    char why[256] = "shapes";
    append_dims(why, sizeof why, a);
    strcat(why, " and");
    append_dims(why, sizeof why, b);
    strcat(why, " cannot be broadcast");
    return au_nn_node_fail(plan, n, why, err);
}

auface_status au_nn_op_binary(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = node_at(plan, node_index);
    int ids[2];
    auface_status st;
    for (int k = 0; k < 2; k++)
        if ((st = au_nn_plan_input(plan, n, k, 0, &ids[k], err)) != AUFACE_OK)
            return st;
    for (int k = 0; k < 2; k++)
        if (plan->tensors[ids[k]].is_const && plan->tensors[ids[k]].c.dtype != AU_ONNX_FLOAT)
            return au_nn_node_fail(plan, n, "integer constant operand", err);

    /* Any NHWC operand makes the op run in NHWC; everything else is converted to match. */
    int nhwc = 0, rank = 0;
    for (int k = 0; k < 2; k++) {
        const au_nn_tensor *t = &plan->tensors[ids[k]];
        nhwc |= !t->is_const && t->ndim == 4 && t->layout == AU_NN_NHWC;
        if (t->ndim > rank)
            rank = t->ndim;
    }
    if (rank > XNN_MAX_TENSOR_DIMS)
        return au_nn_node_fail(plan, n, "rank above 6", err);

    binary_params *p = au_nn_plan_alloc(plan, sizeof *p);
    if (!p)
        return au_nn_plan_nomem(plan, err);
    const char *op = n->op_type;
    p->kind = op[0] == 'A' ? BIN_ADD : op[0] == 'S' ? BIN_SUB : op[0] == 'M' ? BIN_MUL : BIN_DIV;
    size_t *shapes[2] = {p->shape_a, p->shape_b};
    size_t *ranks[2] = {&p->rank_a, &p->rank_b};
    for (int k = 0; k < 2; k++) {
        const au_nn_tensor *t = &plan->tensors[ids[k]];
        if (nhwc && t->is_const) {
            if ((st = const_as_nhwc(plan, n, ids[k], &ids[k], shapes[k], err)) != AUFACE_OK)
                return st;
            *ranks[k] = 4;
            continue;
        }
        if (nhwc && t->ndim != 4)
            return au_nn_node_fail(plan, n, "activation operands of different ranks", err);
        if ((st = au_nn_plan_to_layout(plan, ids[k], nhwc ? AU_NN_NHWC : AU_NN_PLAIN, &ids[k], err)) != AUFACE_OK)
            return st;
        t = &plan->tensors[ids[k]];
        *ranks[k] = (size_t)t->ndim;
        for (int d = 0; d < t->ndim; d++) /* stored order: NHWC is dims 0,2,3,1 */
            shapes[k][d] = (size_t)t->dims[t->layout == AU_NN_NHWC ? nhwc_order[d] : d];
        if (t->ndim == 0) { /* XNNPACK wants rank >= 1 */
            *ranks[k] = 1;
            shapes[k][0] = 1;
        }
    }

    /* Output shape: numpy broadcasting of the logical shapes. */
    const au_nn_tensor *a = &plan->tensors[ids[0]], *b = &plan->tensors[ids[1]];
    int64_t dims[AU_NN_MAX_DIMS];
    if (nhwc) { /* the stored shapes are NHWC: map back */
        for (int d = 0; d < 4; d++) {
            size_t x = p->shape_a[d], y = p->shape_b[d];
            size_t v = x == 1 ? y : x;
            if (x != y && x != 1 && y != 1)
                return broadcast_fail(plan, n, a, b, err);
            dims[nhwc_order[d]] = (int64_t)v;
        }
        rank = 4;
    } else {
        for (int d = 0; d < rank; d++) {
            int ka = d - (rank - a->ndim), kb = d - (rank - b->ndim);
            int64_t x = ka >= 0 ? a->dims[ka] : 1, y = kb >= 0 ? b->dims[kb] : 1;
            if (x != y && x != 1 && y != 1)
                return broadcast_fail(plan, n, a, b, err);
            dims[d] = x == 1 ? y : x;
        }
    }

    float lo = -INFINITY, hi = INFINITY;
    const char *out_name = n->outputs[0];
    if (p->kind == BIN_ADD || p->kind == BIN_SUB || p->kind == BIN_MUL)
        au_nn_fuse_clamp(plan, n->outputs[0], &lo, &hi, &out_name);
    xnn_operator_t xop = NULL;
    enum xnn_status xs = p->kind == BIN_ADD   ? xnn_create_add_nd_f32(lo, hi, 0, &xop)
                         : p->kind == BIN_SUB ? xnn_create_subtract_nd_f32(lo, hi, 0, &xop)
                         : p->kind == BIN_MUL ? xnn_create_multiply_nd_f32(lo, hi, 0, &xop)
                                              : xnn_create_divide_nd_f32(lo, hi, 0, &xop);
    if (xs != xnn_status_success)
        return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "create", xs, err);
    int y_id;
    if ((st = au_nn_plan_add_act(plan, out_name, rank, dims, nhwc ? AU_NN_NHWC : AU_NN_PLAIN, &y_id, err)) !=
        AUFACE_OK) {
        xnn_delete_operator(xop);
        return st;
    }
    au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), xop, NULL, setup_binary, ids, 2, y_id);
    if (!s)
        return au_nn_plan_nomem(plan, err);
    s->params = p;
    return AUFACE_OK;
}

/* ---------------------------------------------------------------------------------------
 * Softmax. */

typedef struct softmax_params {
    size_t batch;
} softmax_params;

static auface_status setup_softmax(au_nn_step *s, au_nn_plan *plan, au_err *err)
{
    const softmax_params *p = s->params;
    enum xnn_status st = xnn_setup_softmax_nc_f32(s->op, p->batch, s->src[0], s->dst, NULL);
    return st == xnn_status_success ? AUFACE_OK : au_nn_plan_xnn_fail(plan, s->node, "setup", st, err);
}

auface_status au_nn_op_softmax(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = node_at(plan, node_index);
    int x_id;
    auface_status st = au_nn_plan_activation(plan, n, 0, 0, "constant input (not foldable)", &x_id, err);
    if (st != AUFACE_OK)
        return st;
    const int opset13 = plan->model->opset >= 13;
    const int r = plan->tensors[x_id].ndim;
    /* Default axis: -1 from opset 13, 1 before (onnx/defs/math/defs.cc, Softmax). */
    int64_t axis = au_onnx_attr_int(n, "axis", opset13 ? -1 : 1);
    if (axis < 0)
        axis += r;
    if (axis < 0 || axis >= r)
        return au_nn_node_fail(plan, n, "axis out of range", err);

    size_t channels;
    const au_nn_tensor *x = &plan->tensors[x_id];
    if (opset13 && r == 4 && axis == 1 && x->layout == AU_NN_NHWC) {
        channels = (size_t)x->dims[1]; /* channels are innermost in NHWC */
    } else {
        if ((st = au_nn_plan_to_layout(plan, x_id, AU_NN_PLAIN, &x_id, err)) != AUFACE_OK)
            return st;
        x = &plan->tensors[x_id];
        channels = 1;
        for (int d = (int)axis; d < r; d++) {
            /* From opset 13 the softmax is along one axis: the trailing ones must be 1. */
            if (opset13 && d > axis && x->dims[d] != 1)
                return au_nn_node_fail(plan, n, "softmax along an axis that is not the last", err);
            channels *= (size_t)x->dims[d];
        }
    }
    const size_t count = au_nn_tensor_count(x);
    softmax_params *p = au_nn_plan_alloc(plan, sizeof *p);
    if (!p)
        return au_nn_plan_nomem(plan, err);
    p->batch = count / channels;
    xnn_operator_t xop = NULL;
    enum xnn_status xs = xnn_create_softmax_nc_f32(channels, channels, channels, 0, &xop);
    if (xs != xnn_status_success)
        return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "create", xs, err);
    int y_id;
    const au_nn_tensor xv = *x;
    if ((st = au_nn_plan_add_act(plan, n->outputs[0], xv.ndim, xv.dims, xv.layout, &y_id, err)) != AUFACE_OK) {
        xnn_delete_operator(xop);
        return st;
    }
    au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), xop, NULL, setup_softmax, &x_id, 1, y_id);
    if (!s)
        return au_nn_plan_nomem(plan, err);
    s->params = p;
    return AUFACE_OK;
}
