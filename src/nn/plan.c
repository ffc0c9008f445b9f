#include "nn/plan.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * A small string → int hash map (open addressing, linear probing). Keys are borrowed. */

static size_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a, 64-bit */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int map_lookup(const int *slots, int cap, const au_nn_tensor *tensors, const char *name)
{
    if (cap == 0)
        return -1;
    for (size_t k = hash_name(name) & (size_t)(cap - 1);; k = (k + 1) & (size_t)(cap - 1)) {
        int id = slots[k];
        if (id < 0)
            return -1;
        if (strcmp(tensors[id].name, name) == 0)
            return id;
    }
}

static int map_insert(int **slots, int *cap, const au_nn_tensor *tensors, int n_named, int id)
{
    if (2 * (n_named + 1) > *cap) {
        int new_cap = *cap ? 2 * *cap : 256;
        while (2 * (n_named + 1) > new_cap)
            new_cap *= 2;
        int *ns = malloc((size_t)new_cap * sizeof *ns);
        if (!ns)
            return 0;
        for (int k = 0; k < new_cap; k++)
            ns[k] = -1;
        for (int k = 0; k < *cap; k++) {
            int old = (*slots)[k];
            if (old < 0)
                continue;
            size_t h = hash_name(tensors[old].name) & (size_t)(new_cap - 1);
            while (ns[h] >= 0)
                h = (h + 1) & (size_t)(new_cap - 1);
            ns[h] = old;
        }
        free(*slots);
        *slots = ns;
        *cap = new_cap;
    }
    size_t h = hash_name(tensors[id].name) & (size_t)(*cap - 1);
    while ((*slots)[h] >= 0 && strcmp(tensors[(*slots)[h]].name, tensors[id].name) != 0)
        h = (h + 1) & (size_t)(*cap - 1);
    (*slots)[h] = id; /* a redefinition replaces the earlier value */
    return 1;
}

/* ---------------------------------------------------------------------------------------
 * Growing arrays. */

static int grow(void **items, int *cap, int need, size_t item_size)
{
    if (need <= *cap)
        return 1;
    int new_cap = *cap ? *cap : 64;
    while (new_cap < need)
        new_cap *= 2;
    void *p = realloc(*items, (size_t)new_cap * item_size);
    if (!p)
        return 0;
    memset((char *)p + (size_t)*cap * item_size, 0, (size_t)(new_cap - *cap) * item_size);
    *items = p;
    *cap = new_cap;
    return 1;
}

void *au_nn_plan_alloc(au_nn_plan *plan, size_t bytes)
{
    if (!grow((void **)&plan->allocs, &plan->cap_allocs, plan->n_allocs + 1, sizeof *plan->allocs))
        return NULL;
    void *p = calloc(1, bytes ? bytes : 1);
    if (p)
        plan->allocs[plan->n_allocs++] = p;
    return p;
}

const char *au_nn_node_name(const au_onnx_node *n)
{
    if (n->name[0])
        return n->name;
    return n->n_outputs > 0 && n->outputs[0][0] ? n->outputs[0] : n->op_type;
}

static const char *node_label(const au_nn_plan *plan)
{
    if (plan->cur_node < 0 || plan->cur_node >= plan->model->n_nodes)
        return "(graph)";
    return au_nn_node_name(&plan->model->nodes[plan->cur_node]);
}

/* "node 'name' (Op" or "node #index (Op, output 'x'", the common start of node messages. */
static void describe_node(const au_nn_plan *plan, const au_onnx_node *n, char *buf, size_t size)
{
    if (n->name[0])
        snprintf(buf, size, "node '%s' (%s", n->name, n->op_type);
    else
        snprintf(buf, size, "node #%ld (%s, output '%s'", (long)(n - plan->model->nodes), n->op_type,
                 n->n_outputs > 0 ? n->outputs[0] : "");
}

auface_status au_nn_node_fail(const au_nn_plan *plan, const au_onnx_node *n, const char *why, au_err *err)
{
    char what[512];
    describe_node(plan, n, what, sizeof what);
    return au_fail(err, AUFACE_ERR_UNSUPPORTED, "%s: %s): %s", plan->path, what, why);
}

auface_status au_nn_plan_nomem(const au_nn_plan *plan, au_err *err)
{
    return au_fail(err, AUFACE_ERR_NOMEM, "%s: node '%s': out of memory while planning the network", plan->path,
                   node_label(plan));
}

auface_status au_nn_plan_xnn_fail(const au_nn_plan *plan, const char *node, const char *what,
                                  enum xnn_status status, au_err *err)
{
    return au_fail(err, status == xnn_status_out_of_memory ? AUFACE_ERR_NOMEM : AUFACE_ERR_UNSUPPORTED,
                   "%s: node '%s': XNNPACK %s failed (xnn_status %d)", plan->path, node, what, (int)status);
}

/* ---------------------------------------------------------------------------------------
 * Plan life cycle. */

auface_status au_nn_plan_init(au_nn_plan *plan, const au_onnx_model *model, au_err *err)
{
    memset(plan, 0, sizeof *plan);
    plan->model = model;
    plan->path = model->path;
    plan->cur_node = -1;
    plan->input_tensor = -1;
    plan->node_done = calloc((size_t)model->n_nodes + 1, 1);
    if (!plan->node_done)
        return au_nn_plan_nomem(plan, err);
    return AUFACE_OK;
}

void au_nn_plan_free(au_nn_plan *plan)
{
    for (int k = 0; k < plan->n_steps; k++)
        if (plan->steps[k].op)
            xnn_delete_operator(plan->steps[k].op);
    for (int k = 0; k < plan->n_allocs; k++)
        free(plan->allocs[k]);
    free(plan->allocs);
    free(plan->steps);
    free(plan->storages);
    free(plan->tensors);
    free(plan->hash);
    free(plan->node_done);
    free(plan->arena);
    memset(plan, 0, sizeof *plan);
}

/* ---------------------------------------------------------------------------------------
 * Tensors. */

int au_nn_plan_find(const au_nn_plan *plan, const char *name)
{
    return map_lookup(plan->hash, plan->hash_cap, plan->tensors, name);
}

auface_status au_nn_plan_input(const au_nn_plan *plan, const au_onnx_node *node, int k, int optional,
                               int *id, au_err *err)
{
    *id = -1;
    char what[512];
    if (k >= node->n_inputs || !node->inputs[k][0]) {
        if (optional)
            return AUFACE_OK;
        describe_node(plan, node, what, sizeof what);
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: %s): required input %d is missing", plan->path, what, k + 1);
    }
    *id = au_nn_plan_find(plan, node->inputs[k]);
    if (*id < 0) {
        describe_node(plan, node, what, sizeof what);
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: %s): input '%s' is not produced by any earlier node", plan->path,
                       what, node->inputs[k]);
    }
    return AUFACE_OK;
}

auface_status au_nn_plan_activation(const au_nn_plan *plan, const au_onnx_node *node, int k, int ndim,
                                    const char *unsupported, int *id, au_err *err)
{
    auface_status st = au_nn_plan_input(plan, node, k, 0, id, err);
    if (st != AUFACE_OK)
        return st;
    const au_nn_tensor *t = &plan->tensors[*id];
    if (t->is_const || (ndim > 0 && t->ndim != ndim))
        return au_nn_node_fail(plan, node, unsupported, err);
    return AUFACE_OK;
}

const au_onnx_tensor *au_nn_plan_const_input(const au_nn_plan *plan, const au_onnx_node *node, int k)
{
    if (k >= node->n_inputs || !node->inputs[k][0])
        return NULL;
    int id = au_nn_plan_find(plan, node->inputs[k]);
    if (id < 0 || !plan->tensors[id].is_const)
        return NULL;
    return &plan->tensors[id].c;
}

/* Consumers of `name` among the graph's nodes: the count, the largest index, and whether it is
 * a graph output. */
static void consumers_of(const au_onnx_model *m, const char *name, int *count, int *last, int *is_output)
{
    *count = 0;
    *last = -1;
    *is_output = 0;
    for (int n = 0; n < m->n_nodes; n++)
        for (int k = 0; k < m->nodes[n].n_inputs; k++)
            if (strcmp(m->nodes[n].inputs[k], name) == 0) {
                ++*count;
                *last = n;
                break;
            }
    for (int k = 0; k < m->n_outputs; k++)
        if (strcmp(m->outputs[k].name, name) == 0)
            *is_output = 1;
}

static auface_status add_tensor(au_nn_plan *plan, const char *name, int *id, au_err *err)
{
    if (!grow((void **)&plan->tensors, &plan->cap_tensors, plan->n_tensors + 1, sizeof *plan->tensors))
        return au_nn_plan_nomem(plan, err);
    int t = plan->n_tensors;
    au_nn_tensor *x = &plan->tensors[t];
    memset(x, 0, sizeof *x);
    x->name = name ? name : "";
    x->storage = -1;
    x->last_consumer = -1;
    x->other_layout = -1;
    if (name && name[0]) {
        /* A later definition of the same name replaces the earlier one (SSA graphs never do
         * this; a fused node's output keeps its name). */
        int count;
        consumers_of(plan->model, name, &count, &x->last_consumer, &x->is_output);
        if (!map_insert(&plan->hash, &plan->hash_cap, plan->tensors, plan->n_tensors, t))
            return au_nn_plan_nomem(plan, err);
    }
    plan->n_tensors++;
    *id = t;
    return AUFACE_OK;
}

auface_status au_nn_plan_add_const(au_nn_plan *plan, const char *name, const au_onnx_tensor *value,
                                   int *id, au_err *err)
{
    auface_status st = add_tensor(plan, name, id, err);
    if (st != AUFACE_OK)
        return st;
    au_nn_tensor *t = &plan->tensors[*id];
    t->is_const = 1;
    t->c = *value;
    t->c.name = t->name;
    t->ndim = value->ndim;
    memcpy(t->dims, value->dims, sizeof t->dims);
    return AUFACE_OK;
}

size_t au_nn_tensor_count(const au_nn_tensor *t)
{
    size_t n = 1;
    for (int d = 0; d < t->ndim; d++)
        n *= (size_t)t->dims[d];
    return n;
}

auface_status au_nn_plan_add_act(au_nn_plan *plan, const char *name, int ndim, const int64_t *dims,
                                 au_nn_layout layout, int *id, au_err *err)
{
    if (!grow((void **)&plan->storages, &plan->cap_storages, plan->n_storages + 1, sizeof *plan->storages))
        return au_nn_plan_nomem(plan, err);
    auface_status st = add_tensor(plan, name, id, err);
    if (st != AUFACE_OK)
        return st;
    au_nn_tensor *t = &plan->tensors[*id];
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] <= 0 || dims[d] > INT32_MAX)
            return au_fail(err, AUFACE_ERR_UNSUPPORTED, "%s: node '%s': value '%s' would have dimension %lld",
                           plan->path, node_label(plan), t->name, (long long)dims[d]);
        t->dims[d] = dims[d];
    }
    t->layout = ndim == 4 ? layout : AU_NN_PLAIN;
    t->storage = plan->n_storages++;
    au_nn_storage *s = &plan->storages[t->storage];
    s->floats = au_nn_tensor_count(t);
    s->first_step = INT_MAX;
    s->last_step = -1;
    return AUFACE_OK;
}

auface_status au_nn_plan_add_view(au_nn_plan *plan, const char *name, int ndim, const int64_t *dims,
                                  au_nn_layout layout, int of, size_t offset, int *id, au_err *err)
{
    auface_status st = add_tensor(plan, name, id, err);
    if (st != AUFACE_OK)
        return st;
    au_nn_tensor *t = &plan->tensors[*id];
    const au_nn_tensor *base = &plan->tensors[of];
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->layout = ndim == 4 ? layout : AU_NN_PLAIN;
    t->storage = base->storage;
    t->offset = base->offset + offset;
    return AUFACE_OK;
}

int au_nn_tensor_layout_trivial(const au_nn_tensor *t)
{
    return t->ndim != 4 || t->dims[1] == 1 || t->dims[2] * t->dims[3] == 1;
}

/* ---------------------------------------------------------------------------------------
 * Steps. */

au_nn_step *au_nn_plan_add_step(au_nn_plan *plan, const char *node, xnn_operator_t op, au_nn_kernel_fn kernel,
                                au_nn_setup_fn setup, const int *in_ids, int n_in, int out_id)
{
    if (n_in > AU_NN_MAX_STEP_INPUTS ||
        !grow((void **)&plan->steps, &plan->cap_steps, plan->n_steps + 1, sizeof *plan->steps)) {
        if (op)
            xnn_delete_operator(op);
        return NULL;
    }
    au_nn_step *s = &plan->steps[plan->n_steps++];
    memset(s, 0, sizeof *s);
    s->node = node;
    s->op = op;
    s->kernel = kernel;
    s->setup = setup;
    s->n_in = n_in;
    for (int k = 0; k < n_in; k++)
        s->in[k] = in_ids[k];
    s->out = out_id;
    return s;
}

int au_nn_plan_can_overwrite(const au_nn_plan *plan, int id)
{
    const au_nn_tensor *t = &plan->tensors[id];
    if (t->is_const || t->storage < 0)
        return 0;
    for (int k = 0; k < plan->n_tensors; k++) {
        const au_nn_tensor *o = &plan->tensors[k];
        if (o->is_const || o->storage != t->storage)
            continue;
        if (o->is_output || o->last_consumer > plan->cur_node || k == plan->input_tensor)
            return 0;
    }
    return 1;
}

int au_nn_plan_sole_consumer(const au_nn_plan *plan, const char *name)
{
    int count, last, is_output;
    consumers_of(plan->model, name, &count, &last, &is_output);
    return count == 1 && !is_output ? last : -1;
}

/* ---------------------------------------------------------------------------------------
 * Transposes. */

void au_nn_transpose_f32(const float *in, float *out, int ndim, const int64_t *dims, const int *perm)
{
    size_t in_stride[AU_NN_MAX_DIMS], out_dims[AU_NN_MAX_DIMS], src_stride[AU_NN_MAX_DIMS];
    size_t total = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        in_stride[d] = total;
        total *= (size_t)dims[d];
    }
    for (int d = 0; d < ndim; d++) {
        out_dims[d] = (size_t)dims[perm[d]];
        src_stride[d] = in_stride[perm[d]];
    }
    size_t idx[AU_NN_MAX_DIMS] = {0};
    size_t src = 0;
    for (size_t o = 0; o < total; o++) {
        out[o] = in[src];
        for (int d = ndim - 1; d >= 0; d--) {
            if (++idx[d] < out_dims[d]) {
                src += src_stride[d];
                break;
            }
            src -= src_stride[d] * (idx[d] - 1);
            idx[d] = 0;
        }
    }
}

typedef struct layout_params {
    size_t batch, rows, cols; /* per batch item: [rows][cols] -> [cols][rows] */
} layout_params;

static void transpose2d_kernel(const au_nn_step *s)
{
    const layout_params *p = s->params;
    enum { B = 32 }; /* cache blocking */
    for (size_t n = 0; n < p->batch; n++) {
        const float *in = s->src[0] + n * p->rows * p->cols;
        float *out = s->dst + n * p->rows * p->cols;
        for (size_t r0 = 0; r0 < p->rows; r0 += B)
            for (size_t c0 = 0; c0 < p->cols; c0 += B) {
                size_t r1 = r0 + B < p->rows ? r0 + B : p->rows;
                size_t c1 = c0 + B < p->cols ? c0 + B : p->cols;
                for (size_t r = r0; r < r1; r++)
                    for (size_t c = c0; c < c1; c++)
                        out[c * p->rows + r] = in[r * p->cols + c];
            }
    }
}

auface_status au_nn_plan_to_layout(au_nn_plan *plan, int id, au_nn_layout layout, int *out_id, au_err *err)
{
    au_nn_tensor *t = &plan->tensors[id];
    if (t->is_const || t->ndim != 4 || t->layout == layout) {
        *out_id = id;
        return AUFACE_OK;
    }
    if (t->other_layout >= 0) {
        *out_id = t->other_layout;
        return AUFACE_OK;
    }
    int64_t dims[4];
    memcpy(dims, t->dims, sizeof dims);
    auface_status st;
    if (au_nn_tensor_layout_trivial(t)) {
        st = au_nn_plan_add_view(plan, NULL, 4, dims, layout, id, 0, out_id, err);
    } else {
        st = au_nn_plan_add_act(plan, NULL, 4, dims, layout, out_id, err);
        if (st == AUFACE_OK) {
            layout_params *p = au_nn_plan_alloc(plan, sizeof *p);
            au_nn_step *s = p ? au_nn_plan_add_step(plan, node_label(plan), NULL, transpose2d_kernel, NULL, &id, 1,
                                                    *out_id)
                              : NULL;
            if (!s)
                return au_nn_plan_nomem(plan, err);
            p->batch = (size_t)dims[0];
            const size_t hw = (size_t)(dims[2] * dims[3]), c = (size_t)dims[1];
            p->rows = layout == AU_NN_NHWC ? c : hw; /* NCHW [C][HW] -> NHWC [HW][C] */
            p->cols = layout == AU_NN_NHWC ? hw : c;
            s->params = p;
        }
    }
    if (st != AUFACE_OK)
        return st;
    /* The conversion is an internal value: it lives as long as the value it converts. */
    plan->tensors[*out_id].last_consumer = plan->tensors[id].last_consumer;
    plan->tensors[id].other_layout = *out_id;
    plan->tensors[*out_id].other_layout = id;
    return AUFACE_OK;
}

/* ---------------------------------------------------------------------------------------
 * Memory. */

typedef struct placed {
    size_t begin, end;
} placed;

static int cmp_placed(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static int cmp_size_desc(const void *a, const void *b, const au_nn_storage *st)
{
    const au_nn_storage *x = &st[*(const int *)a], *y = &st[*(const int *)b];
    if (x->floats != y->floats)
        return x->floats > y->floats ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

/* Insertion sort by size, largest first (qsort has no context argument in C17). */
static void sort_by_size(int *order, int n, const au_nn_storage *st)
{
    for (int i = 1; i < n; i++) {
        int v = order[i], j = i - 1;
        while (j >= 0 && cmp_size_desc(&order[j], &v, st) > 0) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
}

/* Every storage gets an offset such that storages alive at the same time never overlap:
 * greedy by size, each at the lowest gap that fits (TensorFlow Lite's arena planner idea). */
static auface_status assign_offsets(au_nn_plan *plan, au_err *err)
{
    const int n = plan->n_storages;
    int *order = malloc(((size_t)n + 1) * sizeof *order);
    placed *busy = malloc(((size_t)n + 1) * sizeof *busy);
    unsigned char *done = calloc((size_t)n + 1, 1);
    if (!order || !busy || !done) {
        free(order);
        free(busy);
        free(done);
        return au_nn_plan_nomem(plan, err);
    }
    for (int k = 0; k < n; k++)
        order[k] = k;
    sort_by_size(order, n, plan->storages);
    size_t total = 0;
    const size_t align = 16; /* floats: 64-byte alignment of every storage */
    for (int oi = 0; oi < n; oi++) {
        au_nn_storage *s = &plan->storages[order[oi]];
        if (s->last_step < s->first_step) { /* never written nor read */
            s->offset = 0;
            continue;
        }
        int nb = 0;
        for (int pj = 0; pj < oi; pj++) {
            const au_nn_storage *o = &plan->storages[order[pj]];
            if (!done[order[pj]])
                continue;
            if (o->first_step <= s->last_step && s->first_step <= o->last_step)
                busy[nb++] = (placed){o->offset, o->offset + o->floats};
        }
        qsort(busy, (size_t)nb, sizeof *busy, cmp_placed);
        size_t at = 0;
        for (int b = 0; b < nb; b++) {
            if (busy[b].begin >= at + s->floats)
                break;
            if (busy[b].end > at)
                at = (busy[b].end + align - 1) / align * align;
        }
        s->offset = at;
        done[order[oi]] = 1;
        if (at + s->floats > total)
            total = at + s->floats;
    }
    free(order);
    free(busy);
    free(done);
    plan->arena_floats = total;
    return AUFACE_OK;
}

auface_status au_nn_plan_allocate(au_nn_plan *plan, au_err *err)
{
    /* Lifetimes from the steps. */
    for (int k = 0; k < plan->n_steps; k++) {
        const au_nn_step *s = &plan->steps[k];
        for (int i = 0; i < s->n_in; i++) {
            const au_nn_tensor *t = &plan->tensors[s->in[i]];
            if (t->is_const)
                continue;
            au_nn_storage *st = &plan->storages[t->storage];
            if (st->last_step < k)
                st->last_step = k;
        }
        au_nn_storage *st = &plan->storages[plan->tensors[s->out].storage];
        if (st->first_step > k)
            st->first_step = k;
        if (st->last_step < k)
            st->last_step = k;
    }
    for (int k = 0; k < plan->n_tensors; k++) {
        const au_nn_tensor *t = &plan->tensors[k];
        if (!t->is_const && t->is_output)
            plan->storages[t->storage].last_step = INT_MAX;
    }
    if (plan->input_tensor >= 0) /* filled by the caller before the first step */
        plan->storages[plan->tensors[plan->input_tensor].storage].first_step = -1;
    auface_status st = assign_offsets(plan, err);
    if (st != AUFACE_OK)
        return st;

    /* XNNPACK may read (never write) up to XNN_EXTRA_BYTES past the end of any tensor. */
    const size_t bytes = plan->arena_floats * sizeof(float) + XNN_EXTRA_BYTES;
    plan->arena = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!plan->arena)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory for %zu bytes of activations", plan->path, bytes);
    memset(plan->arena, 0, (bytes + 63) / 64 * 64);
    for (int k = 0; k < plan->n_tensors; k++) {
        au_nn_tensor *t = &plan->tensors[k];
        if (!t->is_const)
            t->data = plan->arena + plan->storages[t->storage].offset + t->offset;
    }
    for (int k = 0; k < plan->n_steps; k++) {
        au_nn_step *s = &plan->steps[k];
        for (int i = 0; i < s->n_in; i++) {
            const au_nn_tensor *t = &plan->tensors[s->in[i]];
            s->src[i] = t->is_const ? t->c.f : t->data;
        }
        s->dst = plan->tensors[s->out].data;
        if (s->setup && (st = s->setup(s, plan, err)) != AUFACE_OK)
            return st;
    }
    return AUFACE_OK;
}
