/* The plan of one runtime (internal to nn/): the tensor table, the list of steps (XNNPACK
 * operators or small hand-written kernels), and the activation memory.
 *
 * Planning happens once per input shape (au_nn_runtime_create):
 *   1. every ONNX value becomes an au_nn_tensor: a plan-time constant (initializers, and the
 *      results of folded shape subgraphs) or an activation (data produced at run time);
 *   2. the op planners (ops_*.c) append steps; an XNNPACK operator is created (weights packed)
 *      when its step is added;
 *   3. au_nn_plan_allocate() gives every activation storage an offset in one arena, reusing
 *      memory between storages whose lifetimes do not overlap;
 *   4. every step's setup() binds its data pointers (xnn_setup_* for operators).
 * Running is then just calling every step in order: no allocation, no shape logic.
 *
 * Layout. Activations of rank 4 are stored NHWC (what XNNPACK's operators take), all others
 * in plain row-major ONNX order. `dims` is always the ONNX (NCHW-semantics) shape; `layout`
 * says how the bytes are arranged. An NHWC tensor with H*W == 1 or C == 1 has the same bytes
 * as its NCHW form, so Reshape/Flatten need no conversion for it.
 *
 * Storage and views. Each activation belongs to a storage (a block of the arena). Ops that
 * change only the interpretation of the bytes (Reshape, Flatten, Transpose NCHW->NHWC of an
 * NHWC tensor, zero Pad, in-place elementwise ops) create a view: a new tensor on the same
 * storage. A storage lives from its first write to the last read of any of its tensors. */
#ifndef AU_NN_PLAN_H
#define AU_NN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include <xnnpack.h>

#include "common/error.h"
#include "nn/onnx_model.h"

#define AU_NN_MAX_DIMS AU_ONNX_MAX_DIMS
#define AU_NN_MAX_STEP_INPUTS 4

typedef enum au_nn_layout {
    AU_NN_PLAIN, /* row-major in ONNX dimension order */
    AU_NN_NHWC   /* rank 4 only: dims are (N, C, H, W), bytes are N, H, W, C */
} au_nn_layout;

typedef struct au_nn_tensor {
    const char *name;
    int is_const;          /* plan-time constant (value in `c`) */
    au_onnx_tensor c;      /* constant: dtype, dims, data */
    int ndim;              /* ONNX shape (activations and constants) */
    int64_t dims[AU_NN_MAX_DIMS];
    au_nn_layout layout;   /* activations */
    int storage;           /* activations: index into plan->storages; -1 for constants */
    size_t offset;         /* activations: offset in floats into the storage */
    int last_consumer;     /* largest index of a node that reads this value, -1 if none */
    int is_output;         /* a graph output */
    int other_layout;      /* id of the same value converted to the other layout, -1 if none */
    float *data;           /* activations: resolved by au_nn_plan_allocate */
} au_nn_tensor;

typedef struct au_nn_storage {
    size_t floats;         /* size, in floats */
    int first_step;        /* first step that writes it (-1: written before the run starts) */
    int last_step;         /* last step that reads it (INT32_MAX: kept for the caller) */
    size_t offset;         /* offset in floats in the arena (set by au_nn_plan_allocate) */
} au_nn_storage;

struct au_nn_plan;
struct au_nn_step;

typedef void (*au_nn_kernel_fn)(const struct au_nn_step *step);
typedef auface_status (*au_nn_setup_fn)(struct au_nn_step *step, struct au_nn_plan *plan, au_err *err);

typedef struct au_nn_step {
    const char *node;      /* ONNX node name (or op type) for messages */
    xnn_operator_t op;     /* XNNPACK operator run by xnn_run_operator, or NULL */
    au_nn_kernel_fn kernel; /* hand-written kernel when op is NULL */
    au_nn_setup_fn setup;  /* binds data pointers once memory is allocated */
    int n_in;
    int in[AU_NN_MAX_STEP_INPUTS]; /* tensor ids read */
    int out;               /* tensor id written */
    void *params;          /* op-specific, allocated with au_nn_plan_alloc */
    const float *src[AU_NN_MAX_STEP_INPUTS]; /* resolved in[] data (set before setup()) */
    float *dst;            /* resolved out data */
} au_nn_step;

typedef struct au_nn_plan {
    const au_onnx_model *model;
    const char *path;          /* model path, for messages */
    int cur_node;              /* node being planned (for step lifetimes and messages) */
    int input_tensor;          /* the graph input's activation (NHWC), -1 before it exists */
    unsigned char *node_done;  /* per node: already planned (fused into an earlier op) */

    au_nn_tensor *tensors;
    int n_tensors, cap_tensors;
    int *hash;                 /* open addressing: tensor ids by name, -1 empty */
    int hash_cap;

    au_nn_storage *storages;
    int n_storages, cap_storages;

    au_nn_step *steps;
    int n_steps, cap_steps;

    void **allocs;             /* plan-owned blocks (constants, params, tables) */
    int n_allocs, cap_allocs;

    float *arena;              /* activation memory */
    size_t arena_floats;
} au_nn_plan;

/* Starts an empty plan for `model`; consumer information is computed here. */
auface_status au_nn_plan_init(au_nn_plan *plan, const au_onnx_model *model, au_err *err);

/* Deletes the XNNPACK operators and frees everything the plan owns. */
void au_nn_plan_free(au_nn_plan *plan);

/* Zero-initialised memory owned by the plan (freed by au_nn_plan_free); NULL on failure. */
void *au_nn_plan_alloc(au_nn_plan *plan, size_t bytes);

/* A label for node n in messages and steps: its name, or its first output's name when the
 * exporter left the name empty (PFLD's nodes have none). */
const char *au_nn_node_name(const au_onnx_node *n);

/* Fails with AUFACE_ERR_UNSUPPORTED: "<model>: node '<name>' (<op>): <why>", or for an
 * unnamed node "<model>: node #<index> (<op>, output '<name>'): <why>". */
auface_status au_nn_node_fail(const au_nn_plan *plan, const au_onnx_node *n, const char *why, au_err *err);

/* Formats an out-of-memory error for the current node. */
auface_status au_nn_plan_nomem(const au_nn_plan *plan, au_err *err);

/* The id of the tensor called `name`, or -1. */
int au_nn_plan_find(const au_nn_plan *plan, const char *name);

/* Id of input k of `node`: fails (naming the node) if it is missing or not yet defined.
 * Optional inputs that are absent ("" or k >= n_inputs) give *id = -1 and AUFACE_OK when
 * `optional` is set. */
auface_status au_nn_plan_input(const au_nn_plan *plan, const au_onnx_node *node, int k, int optional,
                               int *id, au_err *err);

/* Id of input k of `node` (required), which must be an activation, not a constant, of rank
 * `ndim` (0: any rank); otherwise fails with au_nn_node_fail(`unsupported`). */
auface_status au_nn_plan_activation(const au_nn_plan *plan, const au_onnx_node *node, int k, int ndim,
                                    const char *unsupported, int *id, au_err *err);

/* The value of the constant tensor input k of `node` names, or NULL when the input is absent,
 * unknown or not a constant. */
const au_onnx_tensor *au_nn_plan_const_input(const au_nn_plan *plan, const au_onnx_node *node, int k);

/* A new constant tensor (the value's data must stay valid as long as the plan: model data
 * or au_nn_plan_alloc memory). */
auface_status au_nn_plan_add_const(au_nn_plan *plan, const char *name, const au_onnx_tensor *value,
                                   int *id, au_err *err);

/* A new activation with its own storage. */
auface_status au_nn_plan_add_act(au_nn_plan *plan, const char *name, int ndim, const int64_t *dims,
                                 au_nn_layout layout, int *id, au_err *err);

/* A new activation on the storage of tensor `of`, starting `offset` floats into it. */
auface_status au_nn_plan_add_view(au_nn_plan *plan, const char *name, int ndim, const int64_t *dims,
                                  au_nn_layout layout, int of, size_t offset, int *id, au_err *err);

/* Appends a step (its XNNPACK operator, if any, already created: the plan owns it now).
 * in_ids has n_in entries. Returns the step, or NULL if out of memory (the operator is then
 * deleted). */
au_nn_step *au_nn_plan_add_step(au_nn_plan *plan, const char *node, xnn_operator_t op, au_nn_kernel_fn kernel,
                                au_nn_setup_fn setup, const int *in_ids, int n_in, int out_id);

/* Number of elements of a tensor. */
size_t au_nn_tensor_count(const au_nn_tensor *t);

/* True if the NHWC and NCHW byte orders of this rank-4 tensor coincide (H*W == 1 or C == 1). */
int au_nn_tensor_layout_trivial(const au_nn_tensor *t);

/* Id of a tensor with the value of `id` in `layout`: `id` itself, a view (trivial layouts),
 * or a new tensor filled by a transpose step. */
auface_status au_nn_plan_to_layout(au_nn_plan *plan, int id, au_nn_layout layout, int *out_id, au_err *err);

/* True if the current node may overwrite tensor `id` in place: an activation whose storage
 * no other value still needs after the current node, and not a graph output. */
int au_nn_plan_can_overwrite(const au_nn_plan *plan, int id);

/* Index of the only node that reads value `name`, or -1 if there are zero or several
 * readers, or the value is a graph output. */
int au_nn_plan_sole_consumer(const au_nn_plan *plan, const char *name);

/* Assigns arena offsets to all storages, allocates the arena, resolves every tensor's data
 * pointer, and runs every step's setup(). */
auface_status au_nn_plan_allocate(au_nn_plan *plan, au_err *err);

/* Message for a failed XNNPACK call on the current node. */
auface_status au_nn_plan_xnn_fail(const au_nn_plan *plan, const char *node, const char *what,
                                  enum xnn_status status, au_err *err);

/* Generic strided transpose of a rank-n float array: out[perm-order] = in. `dims` are the
 * input's dims; output dims are dims[perm[k]]. Used at plan time and by kernels. */
void au_nn_transpose_f32(const float *in, float *out, int ndim, const int64_t *dims, const int *perm);

#endif
