#include "nn/ops_layout.h"

#include <string.h>

/* Stored position of each logical (NCHW) axis in an NHWC tensor, and the reverse. */
static const int nhwc_pos[4] = {0, 3, 1, 2};
static const int nhwc_axis[4] = {0, 2, 3, 1};

/* Input 0 as an activation (constants would have been folded). */
static auface_status act_input(const au_nn_plan *plan, const au_onnx_node *n, int k, int *id, au_err *err)
{
    return au_nn_plan_activation(plan, n, k, 0, "a constant input here is not supported", id, err);
}

/* The INT64 constant input k, or NULL. */
static const au_onnx_tensor *int_input(const au_nn_plan *plan, const au_onnx_node *n, int k)
{
    const au_onnx_tensor *t = au_nn_plan_const_input(plan, n, k);
    return t && t->dtype == AU_ONNX_INT64 ? t : NULL;
}

/* A view of x_id with logical dims `dims`: same layout when the dims are unchanged, else the
 * row-major (NCHW) bytes reinterpreted. */
static auface_status reshape_view(au_nn_plan *plan, const char *name, int x_id, int ndim, const int64_t *dims,
                                  au_err *err)
{
    const au_nn_tensor *x = &plan->tensors[x_id];
    int y_id;
    if (ndim == x->ndim && memcmp(dims, x->dims, (size_t)ndim * sizeof *dims) == 0)
        return au_nn_plan_add_view(plan, name, ndim, dims, x->layout, x_id, 0, &y_id, err);
    auface_status st = au_nn_plan_to_layout(plan, x_id, AU_NN_PLAIN, &x_id, err);
    if (st != AUFACE_OK)
        return st;
    au_nn_tensor probe = {.ndim = ndim};
    memcpy(probe.dims, dims, (size_t)ndim * sizeof *dims);
    /* A rank-4 result whose NHWC and NCHW bytes agree is labelled NHWC, ready for XNNPACK. */
    au_nn_layout layout = ndim == 4 && au_nn_tensor_layout_trivial(&probe) ? AU_NN_NHWC : AU_NN_PLAIN;
    return au_nn_plan_add_view(plan, name, ndim, dims, layout, x_id, 0, &y_id, err);
}

auface_status au_nn_op_reshape(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = &plan->model->nodes[node_index];
    const char *op = n->op_type;
    int x_id;
    auface_status st = act_input(plan, n, 0, &x_id, err);
    if (st != AUFACE_OK)
        return st;
    const au_nn_tensor *x = &plan->tensors[x_id];
    const size_t count = au_nn_tensor_count(x);
    int64_t dims[AU_NN_MAX_DIMS];
    int ndim = 0;
    if (strcmp(op, "Reshape") == 0) {
        const au_onnx_tensor *shape = int_input(plan, n, 1);
        if (!shape || shape->ndim != 1 || shape->count > AU_NN_MAX_DIMS)
            return au_nn_node_fail(plan, n, "the shape must be a plan-time constant INT64 vector", err);
        const int allowzero = (int)au_onnx_attr_int(n, "allowzero", 0);
        int infer = -1;
        size_t known = 1;
        ndim = (int)shape->count;
        for (int d = 0; d < ndim; d++) {
            dims[d] = shape->i[d] == 0 && !allowzero && d < x->ndim ? x->dims[d] : shape->i[d];
            if (dims[d] == -1 && infer < 0)
                infer = d;
            else if (dims[d] <= 0)
                return au_nn_node_fail(plan, n, "invalid target shape", err);
            else
                known *= (size_t)dims[d];
        }
        if (infer >= 0)
            dims[infer] = (int64_t)(count / known);
    } else if (strcmp(op, "Flatten") == 0) {
        int64_t axis = au_onnx_attr_int(n, "axis", 1);
        if (axis < 0)
            axis += x->ndim;
        if (axis < 0 || axis > x->ndim)
            return au_nn_node_fail(plan, n, "axis out of range", err);
        ndim = 2;
        dims[0] = dims[1] = 1;
        for (int d = 0; d < x->ndim; d++)
            dims[d >= axis] *= x->dims[d];
    } else if (strcmp(op, "Squeeze") == 0 || strcmp(op, "Unsqueeze") == 0) {
        const au_onnx_attr *a = au_onnx_node_attr(n, "axes");
        const int64_t *axes = NULL;
        size_t n_axes = 0;
        const au_onnx_tensor *t = int_input(plan, n, 1);
        if (a && a->type == AU_ONNX_ATTR_INTS) {
            axes = a->ints;
            n_axes = a->n;
        } else if (t) {
            axes = t->i;
            n_axes = t->count;
        } else if (n->n_inputs > 1 && n->inputs[1][0]) {
            return au_nn_node_fail(plan, n, "axes must be a plan-time constant", err);
        }
        int flag[AU_NN_MAX_DIMS] = {0};
        if (op[0] == 'U') {
            ndim = x->ndim + (int)n_axes;
            if (ndim > AU_NN_MAX_DIMS)
                return au_nn_node_fail(plan, n, "too many dimensions", err);
            for (size_t k = 0; k < n_axes; k++) {
                int64_t ax = axes[k] < 0 ? axes[k] + ndim : axes[k];
                if (ax < 0 || ax >= ndim || flag[ax])
                    return au_nn_node_fail(plan, n, "invalid axes", err);
                flag[ax] = 1;
            }
            for (int d = 0, s = 0; d < ndim; d++)
                dims[d] = flag[d] ? 1 : x->dims[s++];
        } else {
            for (int d = 0; d < x->ndim; d++)
                flag[d] = n_axes == 0 && x->dims[d] == 1;
            for (size_t k = 0; k < n_axes; k++) {
                int64_t ax = axes[k] < 0 ? axes[k] + x->ndim : axes[k];
                if (ax < 0 || ax >= x->ndim || x->dims[ax] != 1)
                    return au_nn_node_fail(plan, n, "invalid axes", err);
                flag[ax] = 1;
            }
            for (int d = 0; d < x->ndim; d++)
                if (!flag[d])
                    dims[ndim++] = x->dims[d];
        }
    } else { /* Identity, Dropout (inference: identity) */
        if (n->n_outputs > 1 && n->outputs[1][0])
            return au_nn_node_fail(plan, n, "the mask output is not supported", err);
        ndim = x->ndim;
        memcpy(dims, x->dims, sizeof dims);
    }
    size_t new_count = 1;
    for (int d = 0; d < ndim; d++)
        new_count *= (size_t)dims[d];
    if (new_count != count)
        return au_nn_node_fail(plan, n, "the new shape does not match the number of elements", err);
    return reshape_view(plan, n->outputs[0], x_id, ndim, dims, err);
}

/* ---------------------------------------------------------------------------------------
 * Transpose. */

typedef struct transpose_params {
    int ndim;
    int64_t dims[AU_NN_MAX_DIMS]; /* stored dims of the input */
    int perm[AU_NN_MAX_DIMS];     /* stored axes of the input, in output order */
} transpose_params;

static void transpose_kernel(const au_nn_step *s)
{
    const transpose_params *p = s->params;
    au_nn_transpose_f32(s->src[0], s->dst, p->ndim, p->dims, p->perm);
}

auface_status au_nn_op_transpose(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = &plan->model->nodes[node_index];
    int x_id;
    auface_status st = act_input(plan, n, 0, &x_id, err);
    if (st != AUFACE_OK)
        return st;
    const au_nn_tensor x = plan->tensors[x_id];
    int perm[AU_NN_MAX_DIMS];
    const au_onnx_attr *a = au_onnx_node_attr(n, "perm");
    int seen[AU_NN_MAX_DIMS] = {0};
    for (int d = 0; d < x.ndim; d++) {
        /* Default: reverse the axes (onnx/defs/tensor/defs.cc). */
        int64_t v = a && a->type == AU_ONNX_ATTR_INTS && a->n == (size_t)x.ndim ? a->ints[d] : x.ndim - 1 - d;
        if (a && (a->type != AU_ONNX_ATTR_INTS || a->n != (size_t)x.ndim))
            return au_nn_node_fail(plan, n, "perm does not match the input rank", err);
        if (v < 0 || v >= x.ndim || seen[v])
            return au_nn_node_fail(plan, n, "perm is not a permutation", err);
        seen[v] = 1;
        perm[d] = (int)v;
    }
    int64_t dims[AU_NN_MAX_DIMS];
    int identity = 1;
    for (int d = 0; d < x.ndim; d++) {
        dims[d] = x.dims[perm[d]];
        identity &= perm[d] == d;
    }
    int y_id;
    if (identity)
        return au_nn_plan_add_view(plan, n->outputs[0], x.ndim, dims, x.layout, x_id, 0, &y_id, err);
    if (x.ndim == 4) {
        /* NCHW -> NHWC of an NHWC-stored tensor: the bytes already are the result. */
        if (x.layout == AU_NN_NHWC && perm[0] == 0 && perm[1] == 2 && perm[2] == 3 && perm[3] == 1)
            return au_nn_plan_add_view(plan, n->outputs[0], 4, dims, AU_NN_PLAIN, x_id, 0, &y_id, err);
        /* NHWC -> NCHW of a plain tensor: the bytes are the NHWC form of the result. */
        if (x.layout == AU_NN_PLAIN && perm[0] == 0 && perm[1] == 3 && perm[2] == 1 && perm[3] == 2)
            return au_nn_plan_add_view(plan, n->outputs[0], 4, dims, AU_NN_NHWC, x_id, 0, &y_id, err);
    }
    transpose_params *p = au_nn_plan_alloc(plan, sizeof *p);
    if (!p)
        return au_nn_plan_nomem(plan, err);
    p->ndim = x.ndim;
    for (int d = 0; d < x.ndim; d++) {
        const int nhwc = x.layout == AU_NN_NHWC;
        p->dims[d] = x.dims[nhwc ? nhwc_axis[d] : d];
        p->perm[d] = nhwc ? nhwc_pos[perm[d]] : perm[d];
    }
    if ((st = au_nn_plan_add_act(plan, n->outputs[0], x.ndim, dims, AU_NN_PLAIN, &y_id, err)) != AUFACE_OK)
        return st;
    au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), NULL, transpose_kernel, NULL, &x_id, 1, y_id);
    if (!s)
        return au_nn_plan_nomem(plan, err);
    s->params = p;
    return AUFACE_OK;
}

/* ---------------------------------------------------------------------------------------
 * Concat. */

typedef struct concat_params {
    size_t outer;                            /* product of the stored dims before the axis */
    size_t out_inner;                        /* floats per outer index in the output */
    size_t inner[AU_NN_MAX_STEP_INPUTS];     /* floats per outer index in each input */
    size_t offset[AU_NN_MAX_STEP_INPUTS];    /* their position inside out_inner */
} concat_params;

static void concat_kernel(const au_nn_step *s)
{
    const concat_params *p = s->params;
    for (size_t o = 0; o < p->outer; o++)
        for (int k = 0; k < s->n_in; k++)
            memcpy(s->dst + o * p->out_inner + p->offset[k], s->src[k] + o * p->inner[k], p->inner[k] * sizeof(float));
}

/* Moves every value stored in tensor `id`'s storage into the storage of `into`, `offset`
 * floats in, so the producer writes its result directly in place. Only when `id` owns all of
 * its storage and nothing reads it after the current node. */
static int place_inside(au_nn_plan *plan, int id, int into, size_t offset)
{
    const au_nn_tensor *t = &plan->tensors[id];
    const int from = t->storage;
    if (t->offset != 0 || plan->storages[from].floats != au_nn_tensor_count(t) || !au_nn_plan_can_overwrite(plan, id))
        return 0;
    const int to = plan->tensors[into].storage;
    const size_t base = plan->tensors[into].offset + offset;
    for (int k = 0; k < plan->n_tensors; k++) {
        au_nn_tensor *o = &plan->tensors[k];
        if (!o->is_const && o->storage == from) {
            o->storage = to;
            o->offset += base;
        }
    }
    plan->storages[from].floats = 0;
    return 1;
}

auface_status au_nn_op_concat(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = &plan->model->nodes[node_index];
    const int n_in = n->n_inputs;
    if (n_in < 1)
        return au_nn_node_fail(plan, n, "no inputs", err);
    int ids[64];
    if (n_in > 64)
        return au_nn_node_fail(plan, n, "more than 64 inputs", err);
    auface_status st;
    int nhwc = 0;
    for (int k = 0; k < n_in; k++) {
        if ((st = act_input(plan, n, k, &ids[k], err)) != AUFACE_OK)
            return st;
        const au_nn_tensor *t = &plan->tensors[ids[k]];
        nhwc |= t->ndim == 4 && t->layout == AU_NN_NHWC && !au_nn_tensor_layout_trivial(t);
    }
    const int r = plan->tensors[ids[0]].ndim;
    int64_t axis = au_onnx_attr_int(n, "axis", r > 1 ? 1 : 0);
    if (axis < 0)
        axis += r;
    if (axis < 0 || axis >= r)
        return au_nn_node_fail(plan, n, "axis out of range", err);
    int64_t dims[AU_NN_MAX_DIMS];
    memcpy(dims, plan->tensors[ids[0]].dims, sizeof dims);
    dims[axis] = 0;
    for (int k = 0; k < n_in; k++) {
        if ((st = au_nn_plan_to_layout(plan, ids[k], nhwc ? AU_NN_NHWC : AU_NN_PLAIN, &ids[k], err)) != AUFACE_OK)
            return st;
        const au_nn_tensor *t = &plan->tensors[ids[k]];
        if (t->ndim != r)
            return au_nn_node_fail(plan, n, "inputs differ in rank", err);
        for (int d = 0; d < r; d++)
            if (d != axis && t->dims[d] != plan->tensors[ids[0]].dims[d])
                return au_nn_node_fail(plan, n, "inputs differ in shape", err);
        dims[axis] += t->dims[axis];
    }
    const int stored_axis = nhwc ? nhwc_pos[axis] : (int)axis;
    int64_t stored[AU_NN_MAX_DIMS] = {0};
    for (int d = 0; d < r; d++)
        stored[d] = dims[nhwc ? nhwc_axis[d] : d];
    size_t outer = 1, out_inner = 1;
    for (int d = 0; d < stored_axis; d++)
        outer *= (size_t)stored[d];
    for (int d = stored_axis; d < r; d++)
        out_inner *= (size_t)stored[d];

    int y_id;
    if ((st = au_nn_plan_add_act(plan, n->outputs[0], r, dims, nhwc ? AU_NN_NHWC : AU_NN_PLAIN, &y_id, err)) != AUFACE_OK)
        return st;
    /* Inputs that can be produced directly in their slice need no copy (possible when the
     * slices are contiguous: outer == 1); the rest are copied, up to 4 per step. */
    size_t offset = 0;
    concat_params *p = NULL;
    int group[AU_NN_MAX_STEP_INPUTS], n_group = 0;
    for (int k = 0; k <= n_in; k++) {
        const int flush = k == n_in || n_group == AU_NN_MAX_STEP_INPUTS;
        if (flush && n_group > 0) {
            au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), NULL, concat_kernel, NULL, group, n_group, y_id);
            if (!s)
                return au_nn_plan_nomem(plan, err);
            s->params = p;
            n_group = 0;
        }
        if (k == n_in)
            break;
        const size_t inner = au_nn_tensor_count(&plan->tensors[ids[k]]) / (outer ? outer : 1);
        int dup = 0;
        for (int j = 0; j < n_in; j++)
            dup |= j != k && plan->tensors[ids[j]].storage == plan->tensors[ids[k]].storage;
        if (!(outer == 1 && !dup && place_inside(plan, ids[k], y_id, offset))) {
            if (n_group == 0) {
                p = au_nn_plan_alloc(plan, sizeof *p);
                if (!p)
                    return au_nn_plan_nomem(plan, err);
                p->outer = outer;
                p->out_inner = out_inner;
            }
            p->inner[n_group] = inner;
            p->offset[n_group] = offset;
            group[n_group++] = ids[k];
        }
        offset += inner;
    }
    return AUFACE_OK;
}

/* ---------------------------------------------------------------------------------------
 * Pad. */

typedef struct pad_params {
    size_t ndim;
    size_t shape[AU_NN_MAX_DIMS], pre[AU_NN_MAX_DIMS], post[AU_NN_MAX_DIMS]; /* stored order */
    float value;
} pad_params;

static auface_status setup_pad(au_nn_step *s, au_nn_plan *plan, au_err *err)
{
    const pad_params *p = s->params;
    enum xnn_status st = xnn_setup_constant_pad_nd_x32(s->op, p->ndim, p->shape, p->pre, p->post, s->src[0], s->dst,
                                                       NULL);
    return st == xnn_status_success ? AUFACE_OK : au_nn_plan_xnn_fail(plan, s->node, "setup", st, err);
}

auface_status au_nn_op_pad(au_nn_plan *plan, int node_index, au_err *err)
{
    const au_onnx_node *n = &plan->model->nodes[node_index];
    int x_id;
    auface_status st = act_input(plan, n, 0, &x_id, err);
    if (st != AUFACE_OK)
        return st;
    const au_nn_tensor x = plan->tensors[x_id];
    if (strcmp(au_onnx_attr_string(n, "mode", "constant"), "constant") != 0)
        return au_nn_node_fail(plan, n, "only mode 'constant' is supported", err);
    /* Pads and value: attributes before opset 11, inputs 1 and 2 after. */
    const int64_t *pads = NULL;
    size_t n_pads = 0;
    float value = au_onnx_attr_float(n, "value", 0.0f);
    const au_onnx_attr *a = au_onnx_node_attr(n, "pads");
    if (a && a->type == AU_ONNX_ATTR_INTS) {
        pads = a->ints;
        n_pads = a->n;
    } else {
        const au_onnx_tensor *t = int_input(plan, n, 1);
        if (!t)
            return au_nn_node_fail(plan, n, "pads must be a plan-time constant", err);
        pads = t->i;
        n_pads = t->count;
        if (n->n_inputs > 2 && n->inputs[2][0]) {
            int v_id = au_nn_plan_find(plan, n->inputs[2]);
            if (v_id < 0 || !plan->tensors[v_id].is_const || plan->tensors[v_id].c.dtype != AU_ONNX_FLOAT ||
                plan->tensors[v_id].c.count != 1)
                return au_nn_node_fail(plan, n, "constant_value must be a float constant", err);
            value = plan->tensors[v_id].c.f[0];
        }
        if (n->n_inputs > 3 && n->inputs[3][0])
            return au_nn_node_fail(plan, n, "the axes input is not supported", err);
    }
    if (n_pads != 2 * (size_t)x.ndim)
        return au_nn_node_fail(plan, n, "pads must have two values per dimension", err);
    int64_t dims[AU_NN_MAX_DIMS];
    int all_zero = 1;
    for (int d = 0; d < x.ndim; d++) {
        if (pads[d] < 0 || pads[d + x.ndim] < 0)
            return au_nn_node_fail(plan, n, "negative pads (cropping) are not supported", err);
        dims[d] = x.dims[d] + pads[d] + pads[d + x.ndim];
        all_zero &= pads[d] == 0 && pads[d + x.ndim] == 0;
    }
    int y_id;
    if (all_zero)
        return au_nn_plan_add_view(plan, n->outputs[0], x.ndim, dims, x.layout, x_id, 0, &y_id, err);
    if (x.ndim > XNN_MAX_TENSOR_DIMS)
        return au_nn_node_fail(plan, n, "rank above 6", err);
    pad_params *p = au_nn_plan_alloc(plan, sizeof *p);
    if (!p)
        return au_nn_plan_nomem(plan, err);
    const int nhwc = x.ndim == 4 && x.layout == AU_NN_NHWC;
    p->ndim = (size_t)x.ndim;
    p->value = value;
    for (int d = 0; d < x.ndim; d++) {
        const int l = nhwc ? nhwc_axis[d] : d;
        p->shape[d] = (size_t)x.dims[l];
        p->pre[d] = (size_t)pads[l];
        p->post[d] = (size_t)pads[l + x.ndim];
    }
    xnn_operator_t xop = NULL;
    enum xnn_status xs = xnn_create_constant_pad_nd_x32(&p->value, 0, &xop);
    if (xs != xnn_status_success)
        return au_nn_plan_xnn_fail(plan, au_nn_node_name(n), "constant pad create", xs, err);
    if ((st = au_nn_plan_add_act(plan, n->outputs[0], x.ndim, dims, x.layout, &y_id, err)) != AUFACE_OK) {
        xnn_delete_operator(xop);
        return st;
    }
    au_nn_step *s = au_nn_plan_add_step(plan, au_nn_node_name(n), xop, NULL, setup_pad, &x_id, 1, y_id);
    if (!s)
        return au_nn_plan_nomem(plan, err);
    s->params = p;
    return AUFACE_OK;
}
