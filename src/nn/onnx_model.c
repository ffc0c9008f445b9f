#include "nn/onnx_model.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/file_read.h"
#include "onnx.pb-c.h"

/* The models in use are a few MB; protobuf-c cannot parse more than 2 GB anyway. */
#define ONNX_MAX_FILE_BYTES (1L << 30)

/* ---------------------------------------------------------------------------------------
 * Arena: every string and array of a loaded model comes from here, so freeing the model is
 * freeing a list of blocks. */

typedef struct au_onnx_block {
    struct au_onnx_block *next;
    size_t used, size;
    max_align_t data[];
} au_onnx_block;

struct au_onnx_arena {
    au_onnx_block *head;
};

enum {
    ARENA_BLOCK_BYTES = 1 << 16,
    /* Slack after every tensor's data: vectorized readers (XNNPACK reads up to 16 bytes past
     * the end of its inputs, XNN_EXTRA_BYTES) can then use the data in place. */
    TENSOR_SLACK_BYTES = 64
};

static void *arena_alloc(struct au_onnx_arena *arena, size_t bytes)
{
    const size_t align = sizeof(max_align_t);
    bytes = (bytes + align - 1) / align * align;
    if (bytes == 0)
        bytes = align;
    au_onnx_block *b = arena->head;
    if (!b || b->size - b->used < bytes) {
        size_t size = bytes > ARENA_BLOCK_BYTES ? bytes : ARENA_BLOCK_BYTES;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        /* A big block goes behind the current one, so the current block's free space stays
         * in use for the small allocations that follow. */
        if (arena->head && size == bytes) {
            b->next = arena->head->next;
            arena->head->next = b;
        } else {
            b->next = arena->head;
            arena->head = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += bytes;
    memset(p, 0, bytes);
    return p;
}

static void arena_free(struct au_onnx_arena *arena)
{
    if (!arena)
        return;
    au_onnx_block *b = arena->head;
    while (b) {
        au_onnx_block *next = b->next;
        free(b);
        b = next;
    }
    free(arena);
}

static const char *arena_strdup(struct au_onnx_arena *arena, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = arena_alloc(arena, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* ---------------------------------------------------------------------------------------
 * Conversion from the protobuf-c message. */

typedef struct loader {
    const char *path;
    struct au_onnx_arena *arena;
    au_err *err;
} loader;

static auface_status nomem(loader *ld)
{
    return au_fail(ld->err, AUFACE_ERR_NOMEM, "%s: out of memory while loading the ONNX model",
                   ld->path);
}

/* Little-endian bytes → host values, whatever the host byte order. */
static uint64_t read_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int k = bytes - 1; k >= 0; k--)
        v = (v << 8) | p[k];
    return v;
}

/* The bytes a tensor carries, in the unit of its element type (0 for a type not supported). */
static size_t tensor_data_bytes(const Onnx__TensorProto *tp, int dtype, size_t *unit)
{
    if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        *unit = 4;
        return tp->has_raw_data ? tp->raw_data.len : tp->n_float_data * 4;
    }
    if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        *unit = 8;
        return tp->has_raw_data ? tp->raw_data.len : tp->n_int64_data * 8;
    }
    if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__INT32) {
        *unit = 4;
        return tp->has_raw_data ? tp->raw_data.len : tp->n_int32_data * 4;
    }
    *unit = 0;
    return 0;
}

static auface_status convert_tensor(loader *ld, const Onnx__TensorProto *tp, au_onnx_tensor *t)
{
    const char *name = tp->name ? tp->name : "";
    t->name = arena_strdup(ld->arena, name);
    if (!t->name)
        return nomem(ld);
    if (tp->n_dims > AU_ONNX_MAX_DIMS)
        return au_fail(ld->err, AUFACE_ERR_UNSUPPORTED, "%s: tensor '%s' has %zu dimensions (at most %d supported)",
                       ld->path, name, tp->n_dims, AU_ONNX_MAX_DIMS);
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return au_fail(ld->err, AUFACE_ERR_UNSUPPORTED, "%s: tensor '%s' keeps its data in an external file (not supported)",
                       ld->path, name);
    t->ndim = (int)tp->n_dims;
    size_t count = 1;
    for (size_t d = 0; d < tp->n_dims; d++) {
        if (tp->dims[d] < 0 || tp->dims[d] > INT32_MAX)
            return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: tensor '%s' has invalid dimension %lld",
                           ld->path, name, (long long)tp->dims[d]);
        t->dims[d] = tp->dims[d];
        if (tp->dims[d] != 0 && count > SIZE_MAX / 8 / (size_t)tp->dims[d])
            return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: tensor '%s' is too large", ld->path, name);
        count *= (size_t)tp->dims[d];
    }
    t->count = count;

    const int dtype = tp->has_data_type ? tp->data_type : 0;
    const size_t raw = tp->has_raw_data ? tp->raw_data.len : 0;
    /* Checked before anything is allocated: a few bytes of protobuf can declare dims of
     * gigabytes. */
    size_t unit, have = tensor_data_bytes(tp, dtype, &unit);
    if (unit && have != count * unit)
        return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: tensor '%s' has %zu bytes of data, its dims need %zu",
                       ld->path, name, have, count * unit);
    if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        t->dtype = AU_ONNX_FLOAT;
        float *f = arena_alloc(ld->arena, count * sizeof *f + TENSOR_SLACK_BYTES);
        if (!f)
            return nomem(ld);
        if (tp->has_raw_data) {
            if (raw != count * 4)
                return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: tensor '%s' has %zu bytes of data, its dims need %zu",
                               ld->path, name, raw, count * 4);
            for (size_t k = 0; k < count; k++) {
                uint32_t bits = (uint32_t)read_le(tp->raw_data.data + 4 * k, 4);
                memcpy(&f[k], &bits, 4);
            }
        } else {
            if (tp->n_float_data != count)
                return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: tensor '%s' has %zu float values, its dims need %zu",
                               ld->path, name, tp->n_float_data, count);
            if (count)
                memcpy(f, tp->float_data, count * sizeof *f);
        }
        t->f = f;
    } else if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || dtype == ONNX__TENSOR_PROTO__DATA_TYPE__INT32) {
        const int bytes = dtype == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ? 8 : 4;
        t->dtype = AU_ONNX_INT64;
        int64_t *v = arena_alloc(ld->arena, count * sizeof *v + TENSOR_SLACK_BYTES);
        if (!v)
            return nomem(ld);
        if (tp->has_raw_data) {
            if (raw != count * (size_t)bytes)
                return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: tensor '%s' has %zu bytes of data, its dims need %zu",
                               ld->path, name, raw, count * (size_t)bytes);
            for (size_t k = 0; k < count; k++) {
                uint64_t u = read_le(tp->raw_data.data + (size_t)bytes * k, bytes);
                v[k] = bytes == 8 ? (int64_t)u : (int64_t)(int32_t)(uint32_t)u;
            }
        } else if (bytes == 8) {
            if (tp->n_int64_data != count)
                return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: tensor '%s' has %zu int64 values, its dims need %zu",
                               ld->path, name, tp->n_int64_data, count);
            for (size_t k = 0; k < count; k++)
                v[k] = tp->int64_data[k];
        } else {
            if (tp->n_int32_data != count)
                return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: tensor '%s' has %zu int32 values, its dims need %zu",
                               ld->path, name, tp->n_int32_data, count);
            for (size_t k = 0; k < count; k++)
                v[k] = tp->int32_data[k];
        }
        t->i = v;
    } else {
        return au_fail(ld->err, AUFACE_ERR_UNSUPPORTED, "%s: tensor '%s' has element type %d (only FLOAT, INT64 and INT32 are supported)",
                       ld->path, name, dtype);
    }
    return AUFACE_OK;
}

static auface_status convert_attr(loader *ld, const char *node_name, const Onnx__AttributeProto *ap,
                                  au_onnx_attr *a)
{
    a->name = arena_strdup(ld->arena, ap->name);
    if (!a->name)
        return nomem(ld);
    int type = ap->has_type ? (int)ap->type : 0;
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        a->type = AU_ONNX_ATTR_FLOAT;
        a->f = ap->f;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        a->type = AU_ONNX_ATTR_INT;
        a->i = ap->i;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
        a->type = AU_ONNX_ATTR_STRING;
        size_t len = ap->has_s ? ap->s.len : 0;
        char *s = arena_alloc(ld->arena, len + 1);
        if (!s)
            return nomem(ld);
        if (len)
            memcpy(s, ap->s.data, len);
        s[len] = '\0';
        a->s = s;
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
        if (!ap->t)
            return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: node '%s': tensor attribute '%s' has no tensor",
                           ld->path, node_name, a->name);
        au_onnx_tensor *t = arena_alloc(ld->arena, sizeof *t);
        if (!t)
            return nomem(ld);
        auface_status st = convert_tensor(ld, ap->t, t);
        if (st != AUFACE_OK)
            return st;
        a->type = AU_ONNX_ATTR_TENSOR;
        a->t = t;
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: {
        a->type = AU_ONNX_ATTR_FLOATS;
        float *v = arena_alloc(ld->arena, ap->n_floats * sizeof *v);
        if (!v)
            return nomem(ld);
        if (ap->n_floats)
            memcpy(v, ap->floats, ap->n_floats * sizeof *v);
        a->n = ap->n_floats;
        a->floats = v;
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: {
        a->type = AU_ONNX_ATTR_INTS;
        int64_t *v = arena_alloc(ld->arena, ap->n_ints * sizeof *v);
        if (!v)
            return nomem(ld);
        if (ap->n_ints)
            memcpy(v, ap->ints, ap->n_ints * sizeof *v);
        a->n = ap->n_ints;
        a->ints = v;
        break;
    }
    default:
        a->type = AU_ONNX_ATTR_OTHER;
        break;
    }
    return AUFACE_OK;
}

static auface_status convert_node(loader *ld, const Onnx__NodeProto *np, au_onnx_node *n)
{
    n->name = arena_strdup(ld->arena, np->name);
    n->op_type = arena_strdup(ld->arena, np->op_type);
    n->domain = arena_strdup(ld->arena, np->domain);
    if (!n->name || !n->op_type || !n->domain)
        return nomem(ld);
    if (!n->op_type[0])
        return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: node '%s' has no op_type", ld->path, n->name);
    if (np->n_input > INT_MAX / 2 || np->n_output > INT_MAX / 2 || np->n_attribute > INT_MAX / 2)
        return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: node '%s' is too large", ld->path, n->name);

    const char **in = arena_alloc(ld->arena, (np->n_input + 1) * sizeof *in);
    const char **out = arena_alloc(ld->arena, (np->n_output + 1) * sizeof *out);
    au_onnx_attr *attrs = arena_alloc(ld->arena, (np->n_attribute + 1) * sizeof *attrs);
    if (!in || !out || !attrs)
        return nomem(ld);
    for (size_t k = 0; k < np->n_input; k++)
        if (!(in[k] = arena_strdup(ld->arena, np->input[k])))
            return nomem(ld);
    for (size_t k = 0; k < np->n_output; k++)
        if (!(out[k] = arena_strdup(ld->arena, np->output[k])))
            return nomem(ld);
    for (size_t k = 0; k < np->n_attribute; k++) {
        auface_status st = convert_attr(ld, n->name, np->attribute[k], &attrs[k]);
        if (st != AUFACE_OK)
            return st;
    }
    n->n_inputs = (int)np->n_input;
    n->inputs = in;
    n->n_outputs = (int)np->n_output;
    n->outputs = out;
    n->n_attrs = (int)np->n_attribute;
    n->attrs = attrs;
    return AUFACE_OK;
}

static auface_status convert_value_info(loader *ld, const Onnx__ValueInfoProto *vp, au_onnx_value_info *v)
{
    v->name = arena_strdup(ld->arena, vp->name);
    if (!v->name)
        return nomem(ld);
    v->ndim = -1;
    const Onnx__TypeProto *tp = vp->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return AUFACE_OK;
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    v->elem_type = tt->has_elem_type ? tt->elem_type : 0;
    if (!tt->shape)
        return AUFACE_OK;
    if (tt->shape->n_dim > AU_ONNX_MAX_DIMS)
        return au_fail(ld->err, AUFACE_ERR_UNSUPPORTED, "%s: graph value '%s' has %zu dimensions (at most %d supported)",
                       ld->path, v->name, tt->shape->n_dim, AU_ONNX_MAX_DIMS);
    v->ndim = (int)tt->shape->n_dim;
    for (int d = 0; d < v->ndim; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
        v->dims[d] = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dim->dim_value >= 0
                         ? dim->dim_value
                         : -1;
    }
    return AUFACE_OK;
}

static int is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t k = 0; k < g->n_initializer; k++)
        if (g->initializer[k]->name && strcmp(g->initializer[k]->name, name) == 0)
            return 1;
    return 0;
}

static auface_status convert_model(loader *ld, const Onnx__ModelProto *mp, au_onnx_model *m)
{
    const Onnx__GraphProto *g = mp->graph;
    if (!g)
        return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: the ONNX model has no graph (truncated or not an ONNX file?)", ld->path);
    if (mp->n_opset_import == 0)
        return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: the ONNX model has no opset_import (truncated file?)", ld->path);
    for (size_t k = 0; k < mp->n_opset_import; k++) {
        const Onnx__OperatorSetIdProto *os = mp->opset_import[k];
        if ((!os->domain || !os->domain[0] || strcmp(os->domain, "ai.onnx") == 0) && os->has_version)
            m->opset = os->version;
    }
    if (g->n_node == 0 || g->n_output == 0)
        return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: the ONNX graph has no %s (truncated file?)", ld->path,
                       g->n_node == 0 ? "nodes" : "outputs");
    if (g->n_node > INT_MAX / 2 || g->n_initializer > INT_MAX / 2 || g->n_input > INT_MAX / 2 || g->n_output > INT_MAX / 2)
        return au_fail(ld->err, AUFACE_ERR_FORMAT, "%s: the ONNX graph is too large", ld->path);

    au_onnx_node *nodes = arena_alloc(ld->arena, g->n_node * sizeof *nodes);
    au_onnx_tensor *inits = arena_alloc(ld->arena, (g->n_initializer + 1) * sizeof *inits);
    au_onnx_value_info *ins = arena_alloc(ld->arena, (g->n_input + 1) * sizeof *ins);
    au_onnx_value_info *outs = arena_alloc(ld->arena, g->n_output * sizeof *outs);
    if (!nodes || !inits || !ins || !outs)
        return nomem(ld);

    auface_status st;
    for (size_t k = 0; k < g->n_node; k++)
        if ((st = convert_node(ld, g->node[k], &nodes[k])) != AUFACE_OK)
            return st;
    for (size_t k = 0; k < g->n_initializer; k++)
        if ((st = convert_tensor(ld, g->initializer[k], &inits[k])) != AUFACE_OK)
            return st;
    int n_ins = 0;
    for (size_t k = 0; k < g->n_input; k++) {
        /* Older exporters list the initializers among the graph inputs too. */
        if (g->input[k]->name && is_initializer(g, g->input[k]->name))
            continue;
        if ((st = convert_value_info(ld, g->input[k], &ins[n_ins++])) != AUFACE_OK)
            return st;
    }
    for (size_t k = 0; k < g->n_output; k++)
        if ((st = convert_value_info(ld, g->output[k], &outs[k])) != AUFACE_OK)
            return st;

    m->n_nodes = (int)g->n_node;
    m->nodes = nodes;
    m->n_initializers = (int)g->n_initializer;
    m->initializers = inits;
    m->n_inputs = n_ins;
    m->inputs = ins;
    m->n_outputs = (int)g->n_output;
    m->outputs = outs;
    return AUFACE_OK;
}

auface_status au_onnx_model_load(au_onnx_model **out, const char *path, au_err *err)
{
    *out = NULL;
    uint8_t *data = NULL;
    size_t size = 0;
    auface_status st =
        au_read_file(path, "ONNX model", ONNX_MAX_FILE_BYTES, AUFACE_ERR_IO, &data, &size, err);
    if (st != AUFACE_OK)
        return st;
    if (size == 0) {
        free(data);
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: the ONNX model file is empty", path);
    }
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, size, data);
    free(data);
    if (!mp)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: not a valid ONNX model (protobuf parse failed: truncated or corrupt file)", path);

    struct au_onnx_arena *arena = calloc(1, sizeof *arena);
    au_onnx_model *m = arena ? arena_alloc(arena, sizeof *m) : NULL;
    if (!m) {
        onnx__model_proto__free_unpacked(mp, NULL);
        arena_free(arena);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    }
    m->arena = arena;
    loader ld = {path, arena, err};
    m->path = arena_strdup(arena, path);
    st = m->path ? convert_model(&ld, mp, m) : nomem(&ld);
    onnx__model_proto__free_unpacked(mp, NULL);
    if (st != AUFACE_OK) {
        arena_free(arena);
        return st;
    }
    *out = m;
    return AUFACE_OK;
}

void au_onnx_model_free(au_onnx_model *model)
{
    if (model)
        arena_free(model->arena); /* the model itself lives in its arena */
}

const au_onnx_tensor *au_onnx_find_initializer(const au_onnx_model *model, const char *name)
{
    for (int k = 0; k < model->n_initializers; k++)
        if (strcmp(model->initializers[k].name, name) == 0)
            return &model->initializers[k];
    return NULL;
}

const au_onnx_attr *au_onnx_node_attr(const au_onnx_node *node, const char *name)
{
    for (int k = 0; k < node->n_attrs; k++)
        if (strcmp(node->attrs[k].name, name) == 0)
            return &node->attrs[k];
    return NULL;
}

int64_t au_onnx_attr_int(const au_onnx_node *node, const char *name, int64_t fallback)
{
    const au_onnx_attr *a = au_onnx_node_attr(node, name);
    return a && a->type == AU_ONNX_ATTR_INT ? a->i : fallback;
}

float au_onnx_attr_float(const au_onnx_node *node, const char *name, float fallback)
{
    const au_onnx_attr *a = au_onnx_node_attr(node, name);
    return a && a->type == AU_ONNX_ATTR_FLOAT ? a->f : fallback;
}

const char *au_onnx_attr_string(const au_onnx_node *node, const char *name, const char *fallback)
{
    const au_onnx_attr *a = au_onnx_node_attr(node, name);
    return a && a->type == AU_ONNX_ATTR_STRING ? a->s : fallback;
}
