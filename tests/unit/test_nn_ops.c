/* The nn/ runtime op by op, on small ONNX graphs written here with the protobuf-c API (the
 * same generated code the loader uses) and compared with direct double-precision
 * implementations of the ONNX operator definitions (onnx/docs/Operators.md). These cover
 * what the three shipped models do not: grouped/dilated/asymmetrically padded convolutions,
 * pooling with padding and ceil_mode, every Resize mode, the NHWC <-> NCHW conversions behind
 * Reshape/Transpose/Concat, broadcasting, Gemm/MatMul, Pad, and the errors for unsupported
 * ops and undefined values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/graph.h"
#include "onnx.pb-c.h"
#include "test_files.h"

/* ---------------------------------------------------------------------------------------
 * A tiny graph builder. Every allocation is recorded and freed by gb_free. */

typedef struct gb {
    void *allocs[2048];
    int n_allocs;
    Onnx__NodeProto *nodes[64];
    int n_nodes;
    Onnx__TensorProto *inits[64];
    int n_inits;
    Onnx__ValueInfoProto *outputs[32];
    int n_outputs;
    Onnx__ValueInfoProto *input;
    int64_t opset;
} gb;

static void *gb_alloc(gb *g, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p || g->n_allocs >= 2048)
        abort();
    g->allocs[g->n_allocs++] = p;
    return p;
}

static char *gb_str(gb *g, const char *s, size_t n)
{
    char *d = gb_alloc(g, n + 1);
    memcpy(d, s, n);
    return d;
}

/* Splits "a,b,,c" into names ("" for an omitted input). */
static char **gb_names(gb *g, const char *list, size_t *count)
{
    char **v = gb_alloc(g, 16 * sizeof *v);
    *count = 0;
    if (!list)
        return v;
    for (const char *p = list;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        v[(*count)++] = gb_str(g, p, len);
        if (!e)
            break;
        p = e + 1;
    }
    return v;
}

static Onnx__NodeProto *gb_node(gb *g, const char *op, const char *name, const char *ins, const char *outs)
{
    Onnx__NodeProto *n = gb_alloc(g, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = gb_str(g, op, strlen(op));
    n->name = gb_str(g, name, strlen(name));
    n->input = gb_names(g, ins, &n->n_input);
    n->output = gb_names(g, outs, &n->n_output);
    n->attribute = gb_alloc(g, 16 * sizeof *n->attribute);
    g->nodes[g->n_nodes++] = n;
    return n;
}

static Onnx__AttributeProto *gb_attr(gb *g, Onnx__NodeProto *n, const char *name, Onnx__AttributeProto__AttributeType t)
{
    Onnx__AttributeProto *a = gb_alloc(g, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = gb_str(g, name, strlen(name));
    a->has_type = 1;
    a->type = t;
    n->attribute[n->n_attribute++] = a;
    return a;
}

static void gb_int(gb *g, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = gb_attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void gb_float(gb *g, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = gb_attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

static void gb_ints(gb *g, Onnx__NodeProto *n, const char *name, size_t count, const int64_t *v)
{
    Onnx__AttributeProto *a = gb_attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->ints = gb_alloc(g, count * sizeof *v);
    memcpy(a->ints, v, count * sizeof *v);
    a->n_ints = count;
}

static void gb_string(gb *g, Onnx__NodeProto *n, const char *name, const char *s)
{
    Onnx__AttributeProto *a = gb_attr(g, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(s);
    a->s.data = (uint8_t *)gb_str(g, s, a->s.len);
}

static Onnx__TensorProto *gb_tensor(gb *g, const char *name, int ndim, const int64_t *dims)
{
    Onnx__TensorProto *t = gb_alloc(g, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = gb_str(g, name, strlen(name));
    t->dims = gb_alloc(g, (size_t)ndim * sizeof *dims);
    if (ndim > 0)
        memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->n_dims = (size_t)ndim;
    t->has_data_type = 1;
    g->inits[g->n_inits++] = t;
    return t;
}

static size_t dims_count(int ndim, const int64_t *dims)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (size_t)dims[d];
    return n;
}

/* Float initializer: the 1st, 3rd, ... of a graph are stored as raw_data (little-endian
 * bytes), the others as float_data, so both encodings are read. */
static void gb_init_f(gb *g, const char *name, int ndim, const int64_t *dims, const float *v)
{
    Onnx__TensorProto *t = gb_tensor(g, name, ndim, dims);
    const size_t n = dims_count(ndim, dims);
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    if (g->n_inits % 2) {
        t->has_raw_data = 1;
        t->raw_data.len = 4 * n;
        t->raw_data.data = gb_alloc(g, 4 * n);
        memcpy(t->raw_data.data, v, 4 * n); /* the test host is little-endian */
    } else {
        t->float_data = gb_alloc(g, 4 * n);
        memcpy(t->float_data, v, 4 * n);
        t->n_float_data = n;
    }
}

static void gb_init_i(gb *g, const char *name, int ndim, const int64_t *dims, const int64_t *v)
{
    Onnx__TensorProto *t = gb_tensor(g, name, ndim, dims);
    const size_t n = dims_count(ndim, dims);
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    t->int64_data = gb_alloc(g, 8 * n);
    memcpy(t->int64_data, v, 8 * n);
    t->n_int64_data = n;
}

static Onnx__ValueInfoProto *gb_value(gb *g, const char *name, int ndim, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = gb_alloc(g, sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = gb_str(g, name, strlen(name));
    Onnx__TypeProto *tp = gb_alloc(g, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = gb_alloc(g, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    if (ndim > 0) {
        Onnx__TensorShapeProto *sh = gb_alloc(g, sizeof *sh);
        onnx__tensor_shape_proto__init(sh);
        sh->dim = gb_alloc(g, (size_t)ndim * sizeof *sh->dim);
        for (int d = 0; d < ndim; d++) {
            Onnx__TensorShapeProto__Dimension *dim = gb_alloc(g, sizeof *dim);
            onnx__tensor_shape_proto__dimension__init(dim);
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = dims[d];
            sh->dim[d] = dim;
        }
        sh->n_dim = (size_t)ndim;
        tt->shape = sh;
    }
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->type = tp;
    return v;
}

static void gb_output(gb *g, const char *name)
{
    g->outputs[g->n_outputs++] = gb_value(g, name, 0, NULL);
}

static int gb_save(gb *g, const char *path)
{
    Onnx__GraphProto graph;
    onnx__graph_proto__init(&graph);
    graph.name = "test";
    graph.node = g->nodes;
    graph.n_node = (size_t)g->n_nodes;
    graph.initializer = g->inits;
    graph.n_initializer = (size_t)g->n_inits;
    graph.input = &g->input;
    graph.n_input = 1;
    graph.output = g->outputs;
    graph.n_output = (size_t)g->n_outputs;
    Onnx__OperatorSetIdProto opset;
    onnx__operator_set_id_proto__init(&opset);
    opset.domain = "";
    opset.has_version = 1;
    opset.version = g->opset;
    Onnx__OperatorSetIdProto *opsets[1] = {&opset};
    Onnx__ModelProto model;
    onnx__model_proto__init(&model);
    model.has_ir_version = 1;
    model.ir_version = 8;
    model.graph = &graph;
    model.opset_import = opsets;
    model.n_opset_import = 1;
    size_t size = onnx__model_proto__get_packed_size(&model);
    uint8_t *buf = malloc(size);
    onnx__model_proto__pack(&model, buf);
    int ok = test_write_file(path, buf, size);
    free(buf);
    return ok;
}

static void gb_free(gb *g)
{
    for (int k = 0; k < g->n_allocs; k++)
        free(g->allocs[k]);
}

/* ---------------------------------------------------------------------------------------
 * Data and reference ops (NCHW, double). */

static unsigned rng_state = 1u;

static float rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void fill(float *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        v[k] = rnd();
}

typedef struct tensor4 {
    int n, c, h, w;
    double *v;
} tensor4;

static tensor4 t4(int n, int c, int h, int w)
{
    tensor4 t = {n, c, h, w, calloc((size_t)n * c * h * w, sizeof(double))};
    return t;
}

static double *at(const tensor4 *t, int n, int c, int y, int x)
{
    return &t->v[(((size_t)n * t->c + c) * t->h + y) * t->w + x];
}

/* ONNX Conv: pads = top, left, bottom, right. */
static tensor4 ref_conv(const tensor4 *x, const float *w, const float *b, int O, int KH, int KW, int group,
                        const int stride[2], const int pads[4], const int dil[2])
{
    const int OH = (x->h + pads[0] + pads[2] - ((KH - 1) * dil[0] + 1)) / stride[0] + 1;
    const int OW = (x->w + pads[1] + pads[3] - ((KW - 1) * dil[1] + 1)) / stride[1] + 1;
    const int Ig = x->c / group, Og = O / group;
    tensor4 y = t4(x->n, O, OH, OW);
    for (int n = 0; n < x->n; n++)
        for (int o = 0; o < O; o++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++) {
                    double s = b ? b[o] : 0.0;
                    const int g = o / Og;
                    for (int i = 0; i < Ig; i++)
                        for (int ky = 0; ky < KH; ky++)
                            for (int kx = 0; kx < KW; kx++) {
                                int iy = oy * stride[0] - pads[0] + ky * dil[0];
                                int ix = ox * stride[1] - pads[1] + kx * dil[1];
                                if (iy < 0 || iy >= x->h || ix < 0 || ix >= x->w)
                                    continue;
                                s += (double)w[((o * Ig + i) * KH + ky) * KW + kx] * *at(x, n, g * Ig + i, iy, ix);
                            }
                    *at(&y, n, o, oy, ox) = s;
                }
    return y;
}

/* Max (is_max) or average (padding excluded) pooling with windows starting at o*s - pad,
 * clipped to the input; out_h/out_w given (they encode ceil_mode). */
static tensor4 ref_pool(const tensor4 *x, int is_max, int K, int S, int pad, int out_h, int out_w)
{
    tensor4 y = t4(x->n, x->c, out_h, out_w);
    for (int n = 0; n < x->n; n++)
        for (int c = 0; c < x->c; c++)
            for (int oy = 0; oy < out_h; oy++)
                for (int ox = 0; ox < out_w; ox++) {
                    double m = -INFINITY, s = 0;
                    int cnt = 0;
                    for (int ky = 0; ky < K; ky++)
                        for (int kx = 0; kx < K; kx++) {
                            int iy = oy * S - pad + ky, ix = ox * S - pad + kx;
                            if (iy < 0 || iy >= x->h || ix < 0 || ix >= x->w)
                                continue;
                            double v = *at(x, n, c, iy, ix);
                            m = v > m ? v : m;
                            s += v;
                            cnt++;
                        }
                    *at(&y, n, c, oy, ox) = is_max ? m : s / cnt;
                }
    return y;
}

/* ONNX Resize, one axis: source coordinate of output index o. */
static double ref_coord(const char *mode, int o, double scale, int in, int out)
{
    if (strcmp(mode, "asymmetric") == 0)
        return o / scale;
    if (strcmp(mode, "align_corners") == 0)
        return out == 1 ? 0 : o * (in - 1.0) / (out - 1.0);
    return (o + 0.5) / scale - 0.5;
}

static tensor4 ref_resize(const tensor4 *x, int linear, const char *coord, const char *nearest, double sh, double sw,
                          int oh, int ow)
{
    tensor4 y = t4(x->n, x->c, oh, ow);
    for (int n = 0; n < x->n; n++)
        for (int c = 0; c < x->c; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double fy = ref_coord(coord, oy, sh, x->h, oh), fx = ref_coord(coord, ox, sw, x->w, ow);
                    if (!linear) {
                        int iy, ix;
                        if (strcmp(nearest, "floor") == 0) {
                            iy = (int)floor(fy);
                            ix = (int)floor(fx);
                        } else { /* round_prefer_floor */
                            iy = (int)ceil(fy - 0.5);
                            ix = (int)ceil(fx - 0.5);
                        }
                        iy = iy < 0 ? 0 : iy >= x->h ? x->h - 1 : iy;
                        ix = ix < 0 ? 0 : ix >= x->w ? x->w - 1 : ix;
                        *at(&y, n, c, oy, ox) = *at(x, n, c, iy, ix);
                        continue;
                    }
                    fy = fy < 0 ? 0 : fy > x->h - 1 ? x->h - 1 : fy;
                    fx = fx < 0 ? 0 : fx > x->w - 1 ? x->w - 1 : fx;
                    int y0 = (int)floor(fy), x0 = (int)floor(fx);
                    int y1 = y0 + 1 < x->h ? y0 + 1 : y0, x1 = x0 + 1 < x->w ? x0 + 1 : x0;
                    double ay = fy - y0, ax = fx - x0;
                    *at(&y, n, c, oy, ox) = (1 - ay) * ((1 - ax) * *at(x, n, c, y0, x0) + ax * *at(x, n, c, y0, x1)) +
                                            ay * ((1 - ax) * *at(x, n, c, y1, x0) + ax * *at(x, n, c, y1, x1));
                }
    return y;
}

/* ---------------------------------------------------------------------------------------
 * Running a saved graph. */

static char tmpdir[64];

static au_nn_runtime *plan_model(gb *g, const char *file, au_nn_model **model, const int in_shape[4])
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    CHECK(gb_save(g, path));
    au_err err;
    *model = NULL;
    au_nn_runtime *rt = NULL;
    if (au_nn_model_load(model, path, &err) != AUFACE_OK ||
        au_nn_runtime_create(&rt, *model, in_shape, &err) != AUFACE_OK) {
        fprintf(stderr, "%s\n", err.msg);
        CHECK(0);
    }
    return rt;
}

/* Compares output `name` (shape and values) with an NCHW reference; frees the reference. */
static void expect(const au_nn_runtime *rt, const char *name, tensor4 ref, double tol)
{
    int idx = au_nn_runtime_output_index(rt, name);
    au_nn_shape s;
    const float *out = au_nn_runtime_output(rt, idx, &s);
    CHECK(out != NULL);
    CHECK(s.ndim == 4 && s.dims[0] == ref.n && s.dims[1] == ref.c && s.dims[2] == ref.h && s.dims[3] == ref.w);
    if (out && s.ndim == 4 && s.dims[0] == ref.n && s.dims[1] == ref.c && s.dims[2] == ref.h && s.dims[3] == ref.w) {
        double worst = 0;
        const size_t n = (size_t)ref.n * ref.c * ref.h * ref.w;
        for (size_t k = 0; k < n; k++) {
            double d = fabs(out[k] - ref.v[k]);
            worst = d > worst || isnan(d) ? d : worst;
        }
        if (!(worst <= tol))
            fprintf(stderr, "output %s: max |diff| %g\n", name, worst);
        CHECK_NEAR(worst, 0.0, tol);
    }
    free(ref.v);
}

/* Same for an output given as a flat row-major array with `ndim` dims. */
static void expect_flat(const au_nn_runtime *rt, const char *name, int ndim, const int *dims, const double *ref,
                        double tol)
{
    int idx = au_nn_runtime_output_index(rt, name);
    au_nn_shape s;
    const float *out = au_nn_runtime_output(rt, idx, &s);
    CHECK(out != NULL && s.ndim == ndim);
    size_t n = 1;
    int same = out && s.ndim == ndim;
    for (int d = 0; d < ndim && same; d++) {
        same &= s.dims[d] == dims[d];
        n *= (size_t)dims[d];
    }
    CHECK(same);
    if (!same)
        return;
    double worst = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs(out[k] - ref[k]);
        worst = d > worst || isnan(d) ? d : worst;
    }
    if (!(worst <= tol))
        fprintf(stderr, "output %s: max |diff| %g\n", name, worst);
    CHECK_NEAR(worst, 0.0, tol);
}

static tensor4 from_floats(const float *v, int n, int c, int h, int w)
{
    tensor4 t = t4(n, c, h, w);
    for (size_t k = 0; k < (size_t)n * c * h * w; k++)
        t.v[k] = v[k];
    return t;
}

/* ---------------------------------------------------------------------------------------
 * Graph 1: convolutions, BatchNorm folding, activations fused, pooling. */

static void test_conv_pool(void)
{
    gb g = {.opset = 11};
    const int N = 2, C = 4, H = 9, W = 11;
    static float x[2 * 4 * 9 * 11], w1[6 * 2 * 3 * 3], b1[6], w2[4 * 1 * 3 * 3], bn[4][4], we[20 * 4], wd[20 * 9],
        bd[20];
    fill(x, sizeof x / 4);
    fill(we, sizeof we / 4);
    fill(wd, sizeof wd / 4);
    fill(bd, sizeof bd / 4);
    fill(w1, sizeof w1 / 4);
    fill(b1, 6);
    fill(w2, sizeof w2 / 4);
    for (int k = 0; k < 4; k++) {
        bn[0][k] = 1.0f + 0.5f * rnd(); /* scale */
        bn[1][k] = rnd();               /* B */
        bn[2][k] = 0.2f * rnd();        /* mean */
        bn[3][k] = 0.5f + 0.4f * rnd(); /* var > 0 */
    }
    const int64_t in_dims[4] = {-1, C, H, W};
    g.input = gb_value(&g, "x", 4, in_dims);
    gb_init_f(&g, "w1", 4, (int64_t[]){6, 2, 3, 3}, w1);
    gb_init_f(&g, "b1", 1, (int64_t[]){6}, b1);
    gb_init_f(&g, "w2", 4, (int64_t[]){4, 1, 3, 3}, w2);
    gb_init_f(&g, "bn_s", 1, (int64_t[]){4}, bn[0]);
    gb_init_f(&g, "bn_b", 1, (int64_t[]){4}, bn[1]);
    gb_init_f(&g, "bn_m", 1, (int64_t[]){4}, bn[2]);
    gb_init_f(&g, "bn_v", 1, (int64_t[]){4}, bn[3]);
    gb_init_f(&g, "we", 4, (int64_t[]){20, 4, 1, 1}, we);
    gb_init_f(&g, "wd", 4, (int64_t[]){20, 1, 3, 3}, wd);
    gb_init_f(&g, "bd", 1, (int64_t[]){20}, bd);
    gb_init_f(&g, "lo", 0, NULL, (float[]){0.0f});
    gb_init_f(&g, "hi", 0, NULL, (float[]){0.5f});

    Onnx__NodeProto *n = gb_node(&g, "Conv", "conv_grouped", "x,w1,b1", "c1");
    gb_int(&g, n, "group", 2);
    gb_ints(&g, n, "strides", 2, (int64_t[]){2, 1});
    gb_ints(&g, n, "pads", 4, (int64_t[]){1, 0, 2, 1});
    gb_ints(&g, n, "dilations", 2, (int64_t[]){1, 2});
    gb_node(&g, "Relu", "relu1", "c1", "y_conv");
    n = gb_node(&g, "Conv", "conv_dw", "x,w2", "c2");
    gb_int(&g, n, "group", 4);
    gb_ints(&g, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    n = gb_node(&g, "BatchNormalization", "bn", "c2,bn_s,bn_b,bn_m,bn_v", "c2bn");
    gb_float(&g, n, "epsilon", 1e-3f);
    gb_node(&g, "Clip", "clip", "c2bn,lo,hi", "y_dw");
    n = gb_node(&g, "MaxPool", "maxpool_ceil", "x", "y_max");
    gb_ints(&g, n, "kernel_shape", 2, (int64_t[]){2, 2});
    gb_ints(&g, n, "strides", 2, (int64_t[]){2, 2});
    gb_int(&g, n, "ceil_mode", 1);
    n = gb_node(&g, "MaxPool", "maxpool_pad", "x", "y_max_pad");
    gb_ints(&g, n, "kernel_shape", 2, (int64_t[]){3, 3});
    gb_ints(&g, n, "strides", 2, (int64_t[]){2, 2});
    gb_ints(&g, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    n = gb_node(&g, "AveragePool", "avgpool", "x", "y_avg");
    gb_ints(&g, n, "kernel_shape", 2, (int64_t[]){3, 3});
    gb_ints(&g, n, "strides", 2, (int64_t[]){2, 2});
    gb_ints(&g, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    gb_node(&g, "GlobalAveragePool", "gap", "x", "y_gap");
    /* Depthwise 3x3 on 20 channels (a full and a partial block of 16): stride 2, no padding,
     * asymmetric padding. */
    gb_node(&g, "Conv", "expand", "x,we", "e");
    n = gb_node(&g, "Conv", "dw_s2", "e,wd,bd", "y_dw_s2");
    gb_int(&g, n, "group", 20);
    gb_ints(&g, n, "strides", 2, (int64_t[]){2, 2});
    gb_ints(&g, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    n = gb_node(&g, "Conv", "dw_nopad", "e,wd,bd", "y_dw_nopad");
    gb_int(&g, n, "group", 20);
    n = gb_node(&g, "Conv", "dw_asym", "e,wd", "y_dw_asym");
    gb_int(&g, n, "group", 20);
    gb_ints(&g, n, "pads", 4, (int64_t[]){0, 1, 1, 0});
    /* Depthwise + Relu + MaxPool 2x2 (fused into one kernel); 9x11 pools to 4x5. */
    n = gb_node(&g, "Conv", "dw_relu_pool", "e,wd,bd", "dwp");
    gb_int(&g, n, "group", 20);
    gb_ints(&g, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    gb_node(&g, "Relu", "dwp_relu", "dwp", "dwp_r");
    n = gb_node(&g, "MaxPool", "dwp_pool", "dwp_r", "y_dw_pool");
    gb_ints(&g, n, "kernel_shape", 2, (int64_t[]){2, 2});
    gb_ints(&g, n, "strides", 2, (int64_t[]){2, 2});
    const char *outs[] = {"y_conv",  "y_dw",       "y_max",     "y_max_pad", "y_avg",
                          "y_gap",   "y_dw_s2",    "y_dw_nopad", "y_dw_asym", "y_dw_pool"};
    for (int k = 0; k < 10; k++)
        gb_output(&g, outs[k]);

    au_nn_model *model;
    au_nn_runtime *rt = plan_model(&g, "conv_pool.onnx", &model, (int[]){N, C, H, W});
    au_err err;
    if (rt && au_nn_runtime_run(rt, x, &err) == AUFACE_OK) {
        tensor4 tx = from_floats(x, N, C, H, W);
        tensor4 c1 = ref_conv(&tx, w1, b1, 6, 3, 3, 2, (int[]){2, 1}, (int[]){1, 0, 2, 1}, (int[]){1, 2});
        for (size_t k = 0; k < (size_t)c1.n * c1.c * c1.h * c1.w; k++)
            c1.v[k] = c1.v[k] > 0 ? c1.v[k] : 0;
        CHECK(c1.h == 5 && c1.w == 8);
        expect(rt, "y_conv", c1, 1e-5);
        tensor4 c2 = ref_conv(&tx, w2, NULL, 4, 3, 3, 4, (int[]){1, 1}, (int[]){1, 1, 1, 1}, (int[]){1, 1});
        for (int b = 0; b < N; b++)
            for (int c = 0; c < 4; c++)
                for (int y = 0; y < H; y++)
                    for (int xx = 0; xx < W; xx++) {
                        double *v = at(&c2, b, c, y, xx);
                        double r = bn[0][c] * (*v - bn[2][c]) / sqrt(bn[3][c] + 1e-3f) + bn[1][c];
                        *v = r < 0 ? 0 : r > 0.5 ? 0.5 : r;
                    }
        expect(rt, "y_dw", c2, 1e-5);
        /* ceil_mode: H 9 -> ceil((9-2)/2)+1 = 5, W 11 -> 6; windows clipped to the input. */
        expect(rt, "y_max", ref_pool(&tx, 1, 2, 2, 0, 5, 6), 0);
        expect(rt, "y_max_pad", ref_pool(&tx, 1, 3, 2, 1, 5, 6), 0);
        expect(rt, "y_avg", ref_pool(&tx, 0, 3, 2, 1, 5, 6), 1e-6);
        expect(rt, "y_gap", ref_pool(&tx, 0, H > W ? H : W, 1, 0, 1, 1), 1e-6);
        tensor4 e = ref_conv(&tx, we, NULL, 20, 1, 1, 1, (int[]){1, 1}, (int[]){0, 0, 0, 0}, (int[]){1, 1});
        expect(rt, "y_dw_s2", ref_conv(&e, wd, bd, 20, 3, 3, 20, (int[]){2, 2}, (int[]){1, 1, 1, 1}, (int[]){1, 1}), 1e-5);
        expect(rt, "y_dw_nopad", ref_conv(&e, wd, bd, 20, 3, 3, 20, (int[]){1, 1}, (int[]){0, 0, 0, 0}, (int[]){1, 1}),
               1e-5);
        expect(rt, "y_dw_asym", ref_conv(&e, wd, NULL, 20, 3, 3, 20, (int[]){1, 1}, (int[]){0, 1, 1, 0}, (int[]){1, 1}),
               1e-5);
        tensor4 dwp = ref_conv(&e, wd, bd, 20, 3, 3, 20, (int[]){1, 1}, (int[]){1, 1, 1, 1}, (int[]){1, 1});
        for (size_t k = 0; k < (size_t)dwp.n * dwp.c * dwp.h * dwp.w; k++)
            dwp.v[k] = dwp.v[k] > 0 ? dwp.v[k] : 0;
        expect(rt, "y_dw_pool", ref_pool(&dwp, 1, 2, 2, 0, 4, 5), 1e-5);
        free(dwp.v);
        free(e.v);
        free(tx.v);
    }
    au_nn_runtime_destroy(rt);
    au_nn_model_free(model);
    gb_free(&g);
}

/* ---------------------------------------------------------------------------------------
 * Graph 2: Resize in its modes. */

static void test_resize(void)
{
    gb g = {.opset = 13};
    const int C = 3, H = 5, W = 6;
    static float x[3 * 5 * 6];
    fill(x, sizeof x / 4);
    g.input = gb_value(&g, "x", 4, (int64_t[]){1, C, H, W});
    gb_init_i(&g, "size_a", 1, (int64_t[]){4}, (int64_t[]){1, 3, 8, 9});
    gb_init_f(&g, "scale_2", 1, (int64_t[]){4}, (float[]){1, 1, 2, 2});
    gb_init_i(&g, "size_c", 1, (int64_t[]){4}, (int64_t[]){1, 3, 9, 11});
    gb_init_f(&g, "scale_23", 1, (int64_t[]){4}, (float[]){1, 1, 2, 3});
    Onnx__NodeProto *n = gb_node(&g, "Resize", "nearest_half_pixel", "x,,,size_a", "r_nearest");
    n = gb_node(&g, "Resize", "linear_half_pixel", "x,,scale_2", "r_linear");
    gb_string(&g, n, "mode", "linear");
    n = gb_node(&g, "Resize", "linear_align", "x,,,size_c", "r_align");
    gb_string(&g, n, "mode", "linear");
    gb_string(&g, n, "coordinate_transformation_mode", "align_corners");
    n = gb_node(&g, "Resize", "linear_asym", "x,,scale_23", "r_asym");
    gb_string(&g, n, "mode", "linear");
    gb_string(&g, n, "coordinate_transformation_mode", "asymmetric");
    n = gb_node(&g, "Resize", "nearest_floor", "x,,scale_23", "r_floor");
    gb_string(&g, n, "coordinate_transformation_mode", "asymmetric");
    gb_string(&g, n, "nearest_mode", "floor");
    const char *outs[] = {"r_nearest", "r_linear", "r_align", "r_asym", "r_floor"};
    for (int k = 0; k < 5; k++)
        gb_output(&g, outs[k]);

    au_nn_model *model;
    au_nn_runtime *rt = plan_model(&g, "resize.onnx", &model, (int[]){1, C, H, W});
    au_err err;
    if (rt && au_nn_runtime_run(rt, x, &err) == AUFACE_OK) {
        tensor4 tx = from_floats(x, 1, C, H, W);
        expect(rt, "r_nearest", ref_resize(&tx, 0, "half_pixel", "round_prefer_floor", 8.0 / 5, 9.0 / 6, 8, 9), 0);
        expect(rt, "r_linear", ref_resize(&tx, 1, "half_pixel", "", 2, 2, 10, 12), 1e-5);
        expect(rt, "r_align", ref_resize(&tx, 1, "align_corners", "", 9.0 / 5, 11.0 / 6, 9, 11), 1e-5);
        expect(rt, "r_asym", ref_resize(&tx, 1, "asymmetric", "", 2, 3, 10, 18), 1e-5);
        expect(rt, "r_floor", ref_resize(&tx, 0, "asymmetric", "floor", 2, 3, 10, 18), 0);
        free(tx.v);
    }
    au_nn_runtime_destroy(rt);
    au_nn_model_free(model);
    gb_free(&g);
}

/* ---------------------------------------------------------------------------------------
 * Graph 3: layout-sensitive ops on a convolution output (stored NHWC inside). */

static void test_layout(void)
{
    gb g = {.opset = 13};
    enum { C = 4, H = 3, W = 5, O = 6 };
    static float x[C * H * W], w[O * C], b[O], addc[O], slope[O], B[O * H * W * 7], cb[7], mm[15 * 4];
    fill(x, sizeof x / 4);
    fill(w, sizeof w / 4);
    fill(b, O);
    fill(addc, O);
    fill(slope, O);
    fill(B, sizeof B / 4);
    fill(cb, 7);
    fill(mm, sizeof mm / 4);
    g.input = gb_value(&g, "x", 4, (int64_t[]){1, C, H, W});
    gb_init_f(&g, "w", 4, (int64_t[]){O, C, 1, 1}, w);
    gb_init_f(&g, "b", 1, (int64_t[]){O}, b);
    gb_init_f(&g, "addc", 3, (int64_t[]){O, 1, 1}, addc);
    gb_init_f(&g, "two", 0, NULL, (float[]){2.0f});
    gb_init_f(&g, "slope", 3, (int64_t[]){O, 1, 1}, slope);
    gb_init_f(&g, "B", 2, (int64_t[]){O * H * W, 7}, B);
    gb_init_f(&g, "cb", 1, (int64_t[]){7}, cb);
    gb_init_f(&g, "mm", 2, (int64_t[]){15, 4}, mm);
    gb_init_i(&g, "shape_r", 1, (int64_t[]){3}, (int64_t[]){1, O, H * W});
    gb_init_i(&g, "pads", 1, (int64_t[]){8}, (int64_t[]){0, 0, 1, 2, 0, 1, 0, 1});
    gb_init_f(&g, "pad_value", 0, NULL, (float[]){1.5f});
    gb_init_i(&g, "zero", 0, NULL, (int64_t[]){0});
    gb_init_i(&g, "axes0", 1, (int64_t[]){1}, (int64_t[]){0});
    gb_init_i(&g, "minus1", 1, (int64_t[]){1}, (int64_t[]){-1});
    gb_init_i(&g, "shape_nhwc", 1, (int64_t[]){3}, (int64_t[]){1, H * W, O});

    gb_node(&g, "Conv", "conv1x1", "x,w,b", "t");
    gb_node(&g, "Reshape", "reshape", "t,shape_r", "r");
    gb_node(&g, "Softmax", "softmax", "r", "o_soft"); /* opset 13: last axis */
    Onnx__NodeProto *n = gb_node(&g, "Transpose", "transpose", "t", "o_tr");
    gb_ints(&g, n, "perm", 4, (int64_t[]){0, 2, 1, 3});
    n = gb_node(&g, "Concat", "concat", "t,x", "o_cat");
    gb_int(&g, n, "axis", 1);
    gb_node(&g, "Add", "add_bcast", "t,addc", "o_add");
    gb_node(&g, "Mul", "mul_scalar", "two,t", "o_mul");
    gb_node(&g, "PRelu", "prelu", "t,slope", "o_prelu");
    gb_node(&g, "Sigmoid", "sigmoid", "t", "o_sig");
    n = gb_node(&g, "LeakyRelu", "leaky", "t", "o_leaky");
    gb_float(&g, n, "alpha", 0.2f);
    gb_node(&g, "Flatten", "flatten", "t", "fl");
    n = gb_node(&g, "Gemm", "gemm", "fl,B,cb", "o_gemm");
    gb_float(&g, n, "alpha", 0.5f);
    gb_float(&g, n, "beta", 2.0f);
    gb_node(&g, "MatMul", "matmul", "r,mm", "o_mm");
    gb_node(&g, "Pad", "pad", "t,pads,pad_value", "o_pad");
    gb_node(&g, "Shape", "shape", "t", "s");
    gb_node(&g, "Gather", "gather", "s,zero", "s0");
    gb_node(&g, "Unsqueeze", "unsqueeze", "s0,axes0", "s0u");
    n = gb_node(&g, "Concat", "concat_shape", "s0u,minus1", "shp");
    gb_int(&g, n, "axis", 0);
    gb_node(&g, "Reshape", "reshape_folded", "t,shp", "o_flat");
    n = gb_node(&g, "Transpose", "to_nhwc", "t", "tn");
    gb_ints(&g, n, "perm", 4, (int64_t[]){0, 2, 3, 1});
    gb_node(&g, "Reshape", "reshape_nhwc", "tn,shape_nhwc", "o_nhwc");
    const char *outs[] = {"o_soft", "o_tr",    "o_cat",  "o_add", "o_mul",  "o_prelu", "o_sig",
                          "o_leaky", "o_gemm", "o_mm",   "o_pad", "o_flat", "o_nhwc"};
    for (size_t k = 0; k < sizeof outs / sizeof *outs; k++)
        gb_output(&g, outs[k]);

    au_nn_model *model;
    au_nn_runtime *rt = plan_model(&g, "layout.onnx", &model, (int[]){1, C, H, W});
    au_err err;
    if (!rt || au_nn_runtime_run(rt, x, &err) != AUFACE_OK) {
        au_nn_runtime_destroy(rt);
        au_nn_model_free(model);
        gb_free(&g);
        return;
    }
    tensor4 tx = from_floats(x, 1, C, H, W);
    tensor4 t = ref_conv(&tx, w, b, O, 1, 1, 1, (int[]){1, 1}, (int[]){0, 0, 0, 0}, (int[]){1, 1});
    const int HW = H * W;
    static double r[O * H * W], tmp[(O + C) * (H + 1) * (W + 3)];

    /* Softmax over the last axis of [1, O, H*W] (t reinterpreted in NCHW order). */
    for (int o = 0; o < O; o++) {
        double m = -INFINITY, s = 0;
        for (int k = 0; k < HW; k++)
            m = fmax(m, t.v[o * HW + k]);
        for (int k = 0; k < HW; k++)
            s += exp(t.v[o * HW + k] - m);
        for (int k = 0; k < HW; k++)
            r[o * HW + k] = exp(t.v[o * HW + k] - m) / s;
    }
    expect_flat(rt, "o_soft", 3, (int[]){1, O, HW}, r, 1e-6);

    for (int o = 0; o < O; o++) /* Transpose (0,2,1,3): [1,H,O,W] */
        for (int y = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++)
                tmp[(y * O + o) * W + xx] = *at(&t, 0, o, y, xx);
    expect_flat(rt, "o_tr", 4, (int[]){1, H, O, W}, tmp, 1e-5);

    memcpy(tmp, t.v, sizeof(double) * O * HW); /* Concat on channels: t then x */
    for (int k = 0; k < C * HW; k++)
        tmp[O * HW + k] = x[k];
    expect_flat(rt, "o_cat", 4, (int[]){1, O + C, H, W}, tmp, 1e-5);

    for (int o = 0; o < O; o++)
        for (int k = 0; k < HW; k++) {
            double v = t.v[o * HW + k];
            tmp[o * HW + k] = v + addc[o];
            r[o * HW + k] = 2.0 * v;
        }
    expect_flat(rt, "o_add", 4, (int[]){1, O, H, W}, tmp, 1e-5);
    expect_flat(rt, "o_mul", 4, (int[]){1, O, H, W}, r, 1e-5);
    for (int o = 0; o < O; o++)
        for (int k = 0; k < HW; k++) {
            double v = t.v[o * HW + k];
            tmp[o * HW + k] = v >= 0 ? v : v * slope[o];
            r[o * HW + k] = v >= 0 ? v : v * (double)0.2f;
        }
    expect_flat(rt, "o_prelu", 4, (int[]){1, O, H, W}, tmp, 1e-5);
    expect_flat(rt, "o_leaky", 4, (int[]){1, O, H, W}, r, 1e-5);
    for (int k = 0; k < O * HW; k++)
        tmp[k] = 1.0 / (1.0 + exp(-t.v[k]));
    expect_flat(rt, "o_sig", 4, (int[]){1, O, H, W}, tmp, 1e-6);

    for (int j = 0; j < 7; j++) { /* Gemm: 0.5 * flatten(t) . B + 2 * cb */
        double s = 0;
        for (int k = 0; k < O * HW; k++)
            s += t.v[k] * B[k * 7 + j];
        tmp[j] = 0.5 * s + 2.0 * cb[j];
    }
    expect_flat(rt, "o_gemm", 2, (int[]){1, 7}, tmp, 1e-5);
    for (int o = 0; o < O; o++) /* MatMul: [1, O, 15] x [15, 4] */
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < HW; k++)
                s += t.v[o * HW + k] * mm[k * 4 + j];
            tmp[o * 4 + j] = s;
        }
    expect_flat(rt, "o_mm", 3, (int[]){1, O, 4}, tmp, 1e-5);

    /* Pad: C +0/+1, H +1/+0, W +2/+1, value 1.5 -> [1, 7, 4, 8]. */
    for (int c = 0; c < O + 1; c++)
        for (int y = 0; y < H + 1; y++)
            for (int xx = 0; xx < W + 3; xx++) {
                int sc = c, sy = y - 1, sx = xx - 2;
                tmp[(c * (H + 1) + y) * (W + 3) + xx] =
                    sc < O && sy >= 0 && sy < H && sx >= 0 && sx < W ? *at(&t, 0, sc, sy, sx) : 1.5;
            }
    expect_flat(rt, "o_pad", 4, (int[]){1, O + 1, H + 1, W + 3}, tmp, 1e-5);
    expect_flat(rt, "o_flat", 2, (int[]){1, O * HW}, t.v, 1e-5);
    for (int k = 0; k < HW; k++) /* Transpose to NHWC then reshape [1, HW, O] */
        for (int o = 0; o < O; o++)
            tmp[k * O + o] = t.v[o * HW + k];
    expect_flat(rt, "o_nhwc", 3, (int[]){1, HW, O}, tmp, 1e-5);

    free(t.v);
    free(tx.v);
    au_nn_runtime_destroy(rt);
    au_nn_model_free(model);
    gb_free(&g);
}

/* ---------------------------------------------------------------------------------------
 * Errors. */

/* The graphs of the error cases: opset 13, input "x" of 1x2x4x4. */
static void error_graph(gb *g)
{
    *g = (gb){.opset = 13};
    g->input = gb_value(g, "x", 4, (int64_t[]){1, 2, 4, 4});
}

/* Saves g as tmpdir/file and loads it (both CHECKed), then plans it for its 1x2x4x4 input:
 * returns au_nn_runtime_create's status (its message in err) and whether a runtime was
 * made. Frees the graph. */
static auface_status plan_error_graph(gb *g, const char *file, au_err *err, int *planned)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    CHECK(gb_save(g, path));
    au_nn_model *m = NULL;
    au_nn_runtime *rt = NULL;
    CHECK(au_nn_model_load(&m, path, err) == AUFACE_OK);
    auface_status st = au_nn_runtime_create(&rt, m, (int[]){1, 2, 4, 4}, err);
    *planned = rt != NULL;
    au_nn_runtime_destroy(rt);
    au_nn_model_free(m);
    gb_free(g);
    return st;
}

static void test_errors(void)
{
    au_err err;
    char path[256];
    gb g;
    int planned;
    /* An op the runtime does not know: the message names the node and the op type. */
    error_graph(&g);
    gb_node(&g, "Relu", "ok_relu", "x", "a");
    gb_node(&g, "Einsum", "my_einsum", "a", "y");
    gb_output(&g, "y");
    CHECK(plan_error_graph(&g, "unsupported.onnx", &err, &planned) == AUFACE_ERR_UNSUPPORTED);
    CHECK(!planned);
    CHECK(strstr(err.msg, "my_einsum") != NULL && strstr(err.msg, "Einsum") != NULL);
    CHECK(strstr(err.msg, "unsupported.onnx") != NULL);
    printf("unsupported op: %s\n", err.msg);
    /* A node that reads a value nobody produces. */
    error_graph(&g);
    gb_node(&g, "Add", "add_ghost", "x,ghost", "y");
    gb_output(&g, "y");
    CHECK(plan_error_graph(&g, "undefined.onnx", &err, &planned) == AUFACE_ERR_FORMAT);
    CHECK(strstr(err.msg, "add_ghost") != NULL && strstr(err.msg, "ghost") != NULL);
    /* A Conv whose weights do not fit the input's channels. */
    error_graph(&g);
    gb_init_f(&g, "w", 4, (int64_t[]){3, 5, 1, 1}, (float[15]){0});
    gb_node(&g, "Conv", "conv_bad", "x,w", "y");
    gb_output(&g, "y");
    CHECK(plan_error_graph(&g, "badconv.onnx", &err, &planned) == AUFACE_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "conv_bad") != NULL);
    /* Raw data whose size does not match the dims: rejected at load, naming the tensor. */
    error_graph(&g);
    gb_init_f(&g, "wrong_raw", 1, (int64_t[]){2}, (float[]){1, 2});
    gb_init_f(&g, "wrong_size", 1, (int64_t[]){2}, (float[]){1, 2});
    g.inits[0]->raw_data.len = 7;  /* stored as raw_data: 7 bytes for 2 floats */
    g.inits[1]->n_float_data = 1; /* stored as float_data: 1 value for dims [2] */
    gb_node(&g, "Relu", "r", "x", "y");
    gb_output(&g, "y");
    snprintf(path, sizeof path, "%s/badtensor.onnx", tmpdir);
    CHECK(gb_save(&g, path));
    au_nn_model *m = NULL;
    CHECK(au_nn_model_load(&m, path, &err) == AUFACE_ERR_FORMAT);
    CHECK(strstr(err.msg, "wrong_raw") != NULL && strstr(err.msg, "badtensor.onnx") != NULL);
    g.inits[0]->raw_data.len = 8;
    CHECK(gb_save(&g, path));
    CHECK(au_nn_model_load(&m, path, &err) == AUFACE_ERR_FORMAT);
    CHECK(strstr(err.msg, "wrong_size") != NULL);
    g.inits[1]->n_float_data = 2;
    CHECK(gb_save(&g, path));
    CHECK(au_nn_model_load(&m, path, &err) == AUFACE_OK);
    au_nn_model_free(m);
    gb_free(&g);
}

int main(void)
{
    CHECK(test_make_temp_dir(tmpdir, sizeof tmpdir, "test_nn_ops") != NULL);
    test_conv_pool();
    test_resize();
    test_layout();
    test_errors();
    test_remove_tree(tmpdir);
    return check_report("test_nn_ops");
}
