#include "nn/fold.h"

#include <math.h>
#include <string.h>

static const char *const folded_ops[] = {"Constant", "ConstantOfShape", "Gather", "Unsqueeze", "Squeeze",
                                         "Concat",   "Cast",            "Slice",  "Identity",  "Reshape",
                                         "Flatten",  "Add",             "Sub",    "Mul",       "Div",
                                         "Floor",    "Ceil",            "Neg"};

int au_nn_fold_supported(const char *op_type)
{
    for (size_t k = 0; k < sizeof folded_ops / sizeof *folded_ops; k++)
        if (strcmp(op_type, folded_ops[k]) == 0)
            return 1;
    return 0;
}

static size_t elem_size(au_onnx_dtype dtype)
{
    return dtype == AU_ONNX_INT64 ? sizeof(int64_t) : sizeof(float);
}

static const void *data_of(const au_onnx_tensor *t)
{
    return t->dtype == AU_ONNX_INT64 ? (const void *)t->i : (const void *)t->f;
}

/* Shapes out as `dtype` with `ndim` dims and allocates its data. */
static auface_status make(au_nn_plan *plan, au_onnx_dtype dtype, int ndim, const int64_t *dims,
                          au_onnx_tensor *out, au_err *err)
{
    memset(out, 0, sizeof *out);
    out->name = "";
    out->dtype = dtype;
    out->ndim = ndim;
    out->count = 1;
    for (int d = 0; d < ndim; d++) {
        out->dims[d] = dims[d];
        out->count *= (size_t)dims[d];
    }
    /* + XNN_EXTRA_BYTES: XNNPACK may read (never write) that far past a constant input. */
    void *data = au_nn_plan_alloc(plan, out->count * elem_size(dtype) + XNN_EXTRA_BYTES);
    if (!data)
        return au_nn_plan_nomem(plan, err);
    if (dtype == AU_ONNX_INT64)
        out->i = data;
    else
        out->f = data;
    return AUFACE_OK;
}

/* The values of an INT64 constant (axes, starts, shapes...) as a list. */
static int int_list(const au_onnx_tensor *t, const int64_t **v, size_t *n)
{
    if (!t || t->dtype != AU_ONNX_INT64)
        return 0;
    *v = t->i;
    *n = t->count;
    return 1;
}

static int norm_axis(int64_t axis, int rank)
{
    return (int)(axis < 0 ? axis + rank : axis);
}

/* Axes from the attribute `axes` (older opsets) or from input 1 (opset 13 and later). */
static int axes_of(const au_onnx_node *node, const au_onnx_tensor *const *in, int n_in, const int64_t **v,
                   size_t *n)
{
    const au_onnx_attr *a = au_onnx_node_attr(node, "axes");
    if (a && a->type == AU_ONNX_ATTR_INTS) {
        *v = a->ints;
        *n = a->n;
        return 1;
    }
    if (n_in > 1 && in[1])
        return int_list(in[1], v, n);
    *v = NULL;
    *n = 0;
    return 1;
}

static auface_status fold_constant(au_nn_plan *plan, const au_onnx_node *node, au_onnx_tensor *out, au_err *err)
{
    const au_onnx_attr *a;
    if ((a = au_onnx_node_attr(node, "value")) && a->type == AU_ONNX_ATTR_TENSOR) {
        *out = *a->t;
        return AUFACE_OK;
    }
    int64_t one = 1;
    auface_status st;
    if ((a = au_onnx_node_attr(node, "value_float")) && a->type == AU_ONNX_ATTR_FLOAT) {
        if ((st = make(plan, AU_ONNX_FLOAT, 0, &one, out, err)) == AUFACE_OK)
            ((float *)out->f)[0] = a->f;
        return st;
    }
    if ((a = au_onnx_node_attr(node, "value_int")) && a->type == AU_ONNX_ATTR_INT) {
        if ((st = make(plan, AU_ONNX_INT64, 0, &one, out, err)) == AUFACE_OK)
            ((int64_t *)out->i)[0] = a->i;
        return st;
    }
    if ((a = au_onnx_node_attr(node, "value_floats")) && a->type == AU_ONNX_ATTR_FLOATS) {
        int64_t n = (int64_t)a->n;
        if ((st = make(plan, AU_ONNX_FLOAT, 1, &n, out, err)) == AUFACE_OK && a->n)
            memcpy((float *)out->f, a->floats, a->n * sizeof(float));
        return st;
    }
    if ((a = au_onnx_node_attr(node, "value_ints")) && a->type == AU_ONNX_ATTR_INTS) {
        int64_t n = (int64_t)a->n;
        if ((st = make(plan, AU_ONNX_INT64, 1, &n, out, err)) == AUFACE_OK && a->n)
            memcpy((int64_t *)out->i, a->ints, a->n * sizeof(int64_t));
        return st;
    }
    return au_nn_node_fail(plan, node, "no supported value attribute (value, value_float(s), value_int(s))", err);
}

static auface_status fold_constant_of_shape(au_nn_plan *plan, const au_onnx_node *node,
                                            const au_onnx_tensor *shape, au_onnx_tensor *out, au_err *err)
{
    const int64_t *dims;
    size_t n;
    if (!int_list(shape, &dims, &n) || n > AU_ONNX_MAX_DIMS)
        return au_nn_node_fail(plan, node, "the shape input must be an INT64 vector of at most 8 values", err);
    const au_onnx_attr *a = au_onnx_node_attr(node, "value");
    const au_onnx_tensor *v = a && a->type == AU_ONNX_ATTR_TENSOR ? a->t : NULL;
    if (v && v->count != 1)
        return au_nn_node_fail(plan, node, "value must hold one element", err);
    auface_status st = make(plan, v ? v->dtype : AU_ONNX_FLOAT, (int)n, dims, out, err);
    if (st != AUFACE_OK)
        return st;
    for (size_t k = 0; k < out->count; k++) {
        if (out->dtype == AU_ONNX_INT64)
            ((int64_t *)out->i)[k] = v->i[0];
        else
            ((float *)out->f)[k] = v ? v->f[0] : 0.0f;
    }
    return AUFACE_OK;
}

static auface_status fold_gather(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *data,
                                 const au_onnx_tensor *idx, au_onnx_tensor *out, au_err *err)
{
    if (idx->dtype != AU_ONNX_INT64)
        return au_nn_node_fail(plan, node, "indices must be integers", err);
    const int r = data->ndim;
    const int axis = norm_axis(au_onnx_attr_int(node, "axis", 0), r);
    if (r < 1 || axis < 0 || axis >= r || r - 1 + idx->ndim > AU_ONNX_MAX_DIMS)
        return au_nn_node_fail(plan, node, "axis out of range", err);
    int64_t dims[AU_ONNX_MAX_DIMS];
    int nd = 0;
    size_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) {
        dims[nd++] = data->dims[d];
        outer *= (size_t)data->dims[d];
    }
    for (int d = 0; d < idx->ndim; d++)
        dims[nd++] = idx->dims[d];
    for (int d = axis + 1; d < r; d++) {
        dims[nd++] = data->dims[d];
        inner *= (size_t)data->dims[d];
    }
    auface_status st = make(plan, data->dtype, nd, dims, out, err);
    if (st != AUFACE_OK)
        return st;
    const size_t es = elem_size(data->dtype), len = (size_t)data->dims[axis];
    const char *src = data_of(data);
    char *dst = (char *)data_of(out);
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < idx->count; k++) {
            int64_t i = idx->i[k] < 0 ? idx->i[k] + (int64_t)len : idx->i[k];
            if (i < 0 || i >= (int64_t)len)
                return au_nn_node_fail(plan, node, "index out of range", err);
            memcpy(dst, src + ((o * len + (size_t)i) * inner) * es, inner * es);
            dst += inner * es;
        }
    return AUFACE_OK;
}

/* Same data, new dims (Unsqueeze, Squeeze, Reshape, Flatten, Identity). */
static auface_status reshaped(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *data, int ndim,
                              const int64_t *dims, au_onnx_tensor *out, au_err *err)
{
    size_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= (size_t)dims[d];
    if (count != data->count || ndim > AU_ONNX_MAX_DIMS)
        return au_nn_node_fail(plan, node, "the new shape does not match the number of elements", err);
    *out = *data;
    out->name = "";
    out->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        out->dims[d] = dims[d];
    return AUFACE_OK;
}

static auface_status fold_unsqueeze(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *const *in,
                                    int n_in, au_onnx_tensor *out, au_err *err)
{
    const int64_t *axes;
    size_t n;
    if (!axes_of(node, in, n_in, &axes, &n))
        return au_nn_node_fail(plan, node, "axes must be INT64", err);
    const int r = in[0]->ndim + (int)n;
    if (r > AU_ONNX_MAX_DIMS)
        return au_nn_node_fail(plan, node, "too many dimensions", err);
    int is_new[AU_ONNX_MAX_DIMS] = {0};
    for (size_t k = 0; k < n; k++) {
        int a = norm_axis(axes[k], r);
        if (a < 0 || a >= r || is_new[a])
            return au_nn_node_fail(plan, node, "invalid axes", err);
        is_new[a] = 1;
    }
    int64_t dims[AU_ONNX_MAX_DIMS];
    for (int d = 0, s = 0; d < r; d++)
        dims[d] = is_new[d] ? 1 : in[0]->dims[s++];
    return reshaped(plan, node, in[0], r, dims, out, err);
}

static auface_status fold_squeeze(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *const *in,
                                  int n_in, au_onnx_tensor *out, au_err *err)
{
    const int64_t *axes;
    size_t n;
    if (!axes_of(node, in, n_in, &axes, &n))
        return au_nn_node_fail(plan, node, "axes must be INT64", err);
    const au_onnx_tensor *x = in[0];
    int drop[AU_ONNX_MAX_DIMS] = {0};
    for (int d = 0; d < x->ndim; d++)
        drop[d] = n == 0 && x->dims[d] == 1;
    for (size_t k = 0; k < n; k++) {
        int a = norm_axis(axes[k], x->ndim);
        if (a < 0 || a >= x->ndim || x->dims[a] != 1)
            return au_nn_node_fail(plan, node, "invalid axes", err);
        drop[a] = 1;
    }
    int64_t dims[AU_ONNX_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (!drop[d])
            dims[nd++] = x->dims[d];
    return reshaped(plan, node, x, nd, dims, out, err);
}

static auface_status fold_concat(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *const *in,
                                 int n_in, au_onnx_tensor *out, au_err *err)
{
    const au_onnx_tensor *first = in[0];
    const int r = first->ndim;
    const int axis = norm_axis(au_onnx_attr_int(node, "axis", 0), r);
    if (axis < 0 || axis >= r)
        return au_nn_node_fail(plan, node, "axis out of range", err);
    int64_t dims[AU_ONNX_MAX_DIMS];
    memcpy(dims, first->dims, sizeof dims);
    dims[axis] = 0;
    for (int k = 0; k < n_in; k++) {
        if (!in[k] || in[k]->dtype != first->dtype || in[k]->ndim != r)
            return au_nn_node_fail(plan, node, "inputs differ in type or rank", err);
        for (int d = 0; d < r; d++)
            if (d != axis && in[k]->dims[d] != first->dims[d])
                return au_nn_node_fail(plan, node, "inputs differ in shape", err);
        dims[axis] += in[k]->dims[axis];
    }
    auface_status st = make(plan, first->dtype, r, dims, out, err);
    if (st != AUFACE_OK)
        return st;
    size_t outer = 1;
    for (int d = 0; d < axis; d++)
        outer *= (size_t)dims[d];
    const size_t es = elem_size(first->dtype);
    char *dst = (char *)data_of(out);
    for (size_t o = 0; o < outer; o++)
        for (int k = 0; k < n_in; k++) {
            size_t block = in[k]->count / (outer ? outer : 1) * es;
            memcpy(dst, (const char *)data_of(in[k]) + o * block, block);
            dst += block;
        }
    return AUFACE_OK;
}

static auface_status fold_cast(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *x,
                               au_onnx_tensor *out, au_err *err)
{
    const int64_t to = au_onnx_attr_int(node, "to", 0);
    /* TensorProto.DataType: 1 FLOAT, 6 INT32, 7 INT64, 11 DOUBLE (kept as float). */
    au_onnx_dtype dtype;
    if (to == 1 || to == 11)
        dtype = AU_ONNX_FLOAT;
    else if (to == 6 || to == 7)
        dtype = AU_ONNX_INT64;
    else
        return au_nn_node_fail(plan, node, "only casts to FLOAT, DOUBLE, INT32 and INT64 are supported", err);
    auface_status st = make(plan, dtype, x->ndim, x->dims, out, err);
    if (st != AUFACE_OK)
        return st;
    for (size_t k = 0; k < x->count; k++) {
        if (dtype == AU_ONNX_FLOAT)
            ((float *)out->f)[k] = x->dtype == AU_ONNX_FLOAT ? x->f[k] : (float)x->i[k];
        else /* float -> int truncates toward zero, as C and ONNX Runtime do */
            ((int64_t *)out->i)[k] = x->dtype == AU_ONNX_INT64 ? x->i[k] : (int64_t)x->f[k];
    }
    return AUFACE_OK;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static auface_status fold_slice(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *const *in,
                                int n_in, au_onnx_tensor *out, au_err *err)
{
    const au_onnx_tensor *x = in[0];
    const int64_t *starts, *ends, *axes = NULL, *steps = NULL;
    size_t n, n_ends, n_axes = 0, n_steps = 0;
    const au_onnx_attr *a_starts = au_onnx_node_attr(node, "starts");
    if (a_starts && a_starts->type == AU_ONNX_ATTR_INTS) { /* opset 1-9 */
        const au_onnx_attr *a_ends = au_onnx_node_attr(node, "ends");
        const au_onnx_attr *a_axes = au_onnx_node_attr(node, "axes");
        if (!a_ends || a_ends->type != AU_ONNX_ATTR_INTS)
            return au_nn_node_fail(plan, node, "ends attribute missing", err);
        starts = a_starts->ints;
        n = a_starts->n;
        ends = a_ends->ints;
        n_ends = a_ends->n;
        if (a_axes && a_axes->type == AU_ONNX_ATTR_INTS) {
            axes = a_axes->ints;
            n_axes = a_axes->n;
        }
    } else {
        if (n_in < 3 || !int_list(in[1], &starts, &n) || !int_list(in[2], &ends, &n_ends))
            return au_nn_node_fail(plan, node, "starts and ends must be INT64 constants", err);
        if (n_in > 3 && in[3] && !int_list(in[3], &axes, &n_axes))
            return au_nn_node_fail(plan, node, "axes must be INT64", err);
        if (n_in > 4 && in[4] && !int_list(in[4], &steps, &n_steps))
            return au_nn_node_fail(plan, node, "steps must be INT64", err);
    }
    if (n_ends != n || (axes && n_axes != n) || (steps && n_steps != n))
        return au_nn_node_fail(plan, node, "starts, ends, axes and steps differ in length", err);

    int64_t start[AU_ONNX_MAX_DIMS], step[AU_ONNX_MAX_DIMS], dims[AU_ONNX_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        start[d] = 0;
        step[d] = 1;
        dims[d] = x->dims[d];
    }
    for (size_t k = 0; k < n; k++) {
        int d = norm_axis(axes ? axes[k] : (int64_t)k, x->ndim);
        if (d < 0 || d >= x->ndim)
            return au_nn_node_fail(plan, node, "axis out of range", err);
        const int64_t len = x->dims[d], st = steps ? steps[k] : 1;
        if (st == 0)
            return au_nn_node_fail(plan, node, "step 0", err);
        int64_t s = starts[k] < 0 ? starts[k] + len : starts[k];
        int64_t e = ends[k] < 0 ? ends[k] + len : ends[k];
        /* Clamping as in the ONNX Slice specification. */
        if (st > 0) {
            s = clamp64(s, 0, len);
            e = clamp64(e, 0, len);
            dims[d] = e > s ? (e - s + st - 1) / st : 0;
        } else {
            s = clamp64(s, 0, len - 1);
            e = clamp64(e, -1, len - 1);
            dims[d] = s > e ? (s - e - st - 1) / -st : 0;
        }
        start[d] = s;
        step[d] = st;
    }
    auface_status stt = make(plan, x->dtype, x->ndim, dims, out, err);
    if (stt != AUFACE_OK)
        return stt;
    const size_t es = elem_size(x->dtype);
    size_t stride[AU_ONNX_MAX_DIMS], s_acc = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        stride[d] = s_acc;
        s_acc *= (size_t)x->dims[d];
    }
    int64_t idx[AU_ONNX_MAX_DIMS] = {0};
    for (size_t o = 0; o < out->count; o++) {
        size_t src = 0;
        for (int d = 0; d < x->ndim; d++)
            src += (size_t)(start[d] + idx[d] * step[d]) * stride[d];
        memcpy((char *)data_of(out) + o * es, (const char *)data_of(x) + src * es, es);
        for (int d = x->ndim - 1; d >= 0; d--) {
            if (++idx[d] < dims[d])
                break;
            idx[d] = 0;
        }
    }
    return AUFACE_OK;
}

static auface_status fold_reshape(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *x,
                                  const au_onnx_tensor *shape, au_onnx_tensor *out, au_err *err)
{
    const int64_t *s;
    size_t n;
    if (!int_list(shape, &s, &n) || n > AU_ONNX_MAX_DIMS)
        return au_nn_node_fail(plan, node, "the shape must be an INT64 vector of at most 8 values", err);
    int64_t dims[AU_ONNX_MAX_DIMS];
    int infer = -1;
    size_t known = 1;
    const int allowzero = (int)au_onnx_attr_int(node, "allowzero", 0);
    for (size_t d = 0; d < n; d++) {
        dims[d] = s[d] == 0 && !allowzero ? ((int)d < x->ndim ? x->dims[d] : 0) : s[d];
        if (dims[d] == -1) {
            if (infer >= 0)
                return au_nn_node_fail(plan, node, "two -1 in the shape", err);
            infer = (int)d;
        } else if (dims[d] < 0) {
            return au_nn_node_fail(plan, node, "negative dimension in the shape", err);
        } else {
            known *= (size_t)dims[d];
        }
    }
    if (infer >= 0)
        dims[infer] = known ? (int64_t)(x->count / known) : 0;
    return reshaped(plan, node, x, (int)n, dims, out, err);
}

/* Elementwise arithmetic with numpy-style broadcasting. */
static auface_status fold_arith(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *a,
                                const au_onnx_tensor *b, au_onnx_tensor *out, au_err *err)
{
    if (a->dtype != b->dtype)
        return au_nn_node_fail(plan, node, "inputs differ in type", err);
    const int r = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t dims[AU_ONNX_MAX_DIMS], da[AU_ONNX_MAX_DIMS], db[AU_ONNX_MAX_DIMS];
    for (int d = 0; d < r; d++) {
        int ka = d - (r - a->ndim), kb = d - (r - b->ndim);
        da[d] = ka >= 0 ? a->dims[ka] : 1;
        db[d] = kb >= 0 ? b->dims[kb] : 1;
        if (da[d] != db[d] && da[d] != 1 && db[d] != 1)
            return au_nn_node_fail(plan, node, "shapes cannot be broadcast", err);
        dims[d] = da[d] == 1 ? db[d] : da[d];
    }
    auface_status st = make(plan, a->dtype, r, dims, out, err);
    if (st != AUFACE_OK)
        return st;
    const char op = node->op_type[0]; /* A(dd) S(ub) M(ul) D(iv) */
    int64_t idx[AU_ONNX_MAX_DIMS] = {0};
    for (size_t o = 0; o < out->count; o++) {
        size_t ia = 0, ib = 0;
        for (int d = 0; d < r; d++) {
            ia = ia * (size_t)da[d] + (size_t)(da[d] == 1 ? 0 : idx[d]);
            ib = ib * (size_t)db[d] + (size_t)(db[d] == 1 ? 0 : idx[d]);
        }
        if (a->dtype == AU_ONNX_INT64) {
            int64_t x = a->i[ia], y = b->i[ib], v;
            if (op == 'D' && y == 0)
                return au_nn_node_fail(plan, node, "integer division by zero", err);
            v = op == 'A' ? x + y : op == 'S' ? x - y : op == 'M' ? x * y : x / y;
            ((int64_t *)out->i)[o] = v;
        } else {
            float x = a->f[ia], y = b->f[ib];
            ((float *)out->f)[o] = op == 'A' ? x + y : op == 'S' ? x - y : op == 'M' ? x * y : x / y;
        }
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < dims[d])
                break;
            idx[d] = 0;
        }
    }
    return AUFACE_OK;
}

static auface_status fold_unary(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *x,
                                au_onnx_tensor *out, au_err *err)
{
    auface_status st = make(plan, x->dtype, x->ndim, x->dims, out, err);
    if (st != AUFACE_OK)
        return st;
    const char *op = node->op_type;
    for (size_t k = 0; k < x->count; k++) {
        if (x->dtype == AU_ONNX_INT64)
            ((int64_t *)out->i)[k] = strcmp(op, "Neg") == 0 ? -x->i[k] : x->i[k];
        else
            ((float *)out->f)[k] = strcmp(op, "Neg") == 0     ? -x->f[k]
                                   : strcmp(op, "Floor") == 0 ? floorf(x->f[k])
                                                              : ceilf(x->f[k]);
    }
    return AUFACE_OK;
}

auface_status au_nn_fold_node(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *const *in,
                              int n_in, au_onnx_tensor *out, au_err *err)
{
    const char *op = node->op_type;
    if (strcmp(op, "Constant") == 0)
        return fold_constant(plan, node, out, err);
    if (n_in < 1 || !in[0])
        return au_nn_node_fail(plan, node, "missing input", err);
    if (strcmp(op, "ConstantOfShape") == 0)
        return fold_constant_of_shape(plan, node, in[0], out, err);
    if (strcmp(op, "Identity") == 0)
        return reshaped(plan, node, in[0], in[0]->ndim, in[0]->dims, out, err);
    if (strcmp(op, "Unsqueeze") == 0)
        return fold_unsqueeze(plan, node, in, n_in, out, err);
    if (strcmp(op, "Squeeze") == 0)
        return fold_squeeze(plan, node, in, n_in, out, err);
    if (strcmp(op, "Concat") == 0)
        return fold_concat(plan, node, in, n_in, out, err);
    if (strcmp(op, "Cast") == 0)
        return fold_cast(plan, node, in[0], out, err);
    if (strcmp(op, "Slice") == 0)
        return fold_slice(plan, node, in, n_in, out, err);
    if (strcmp(op, "Floor") == 0 || strcmp(op, "Ceil") == 0 || strcmp(op, "Neg") == 0)
        return fold_unary(plan, node, in[0], out, err);
    if (strcmp(op, "Flatten") == 0) {
        const au_onnx_tensor *x = in[0];
        int axis = norm_axis(au_onnx_attr_int(node, "axis", 1), x->ndim);
        if (axis < 0 || axis > x->ndim)
            return au_nn_node_fail(plan, node, "axis out of range", err);
        int64_t dims[2] = {1, 1};
        for (int d = 0; d < x->ndim; d++)
            dims[d >= axis] *= x->dims[d];
        return reshaped(plan, node, x, 2, dims, out, err);
    }
    if (n_in < 2 || !in[1])
        return au_nn_node_fail(plan, node, "missing second input", err);
    if (strcmp(op, "Gather") == 0)
        return fold_gather(plan, node, in[0], in[1], out, err);
    if (strcmp(op, "Reshape") == 0)
        return fold_reshape(plan, node, in[0], in[1], out, err);
    if (strcmp(op, "Add") == 0 || strcmp(op, "Sub") == 0 || strcmp(op, "Mul") == 0 || strcmp(op, "Div") == 0)
        return fold_arith(plan, node, in[0], in[1], out, err);
    return au_nn_node_fail(plan, node, "cannot be evaluated at plan time", err);
}

auface_status au_nn_fold_shape(au_nn_plan *plan, const au_onnx_node *node, int ndim, const int64_t *dims,
                               au_onnx_tensor *out, au_err *err)
{
    int64_t start = au_onnx_attr_int(node, "start", 0), end = au_onnx_attr_int(node, "end", ndim);
    start = clamp64(start < 0 ? start + ndim : start, 0, ndim);
    end = clamp64(end < 0 ? end + ndim : end, 0, ndim);
    int64_t n = end > start ? end - start : 0;
    auface_status st = make(plan, AU_ONNX_INT64, 1, &n, out, err);
    if (st != AUFACE_OK)
        return st;
    for (int64_t k = 0; k < n; k++)
        ((int64_t *)out->i)[k] = dims[start + k];
    return AUFACE_OK;
}
