/* ONNX model files: parse an .onnx file (protobuf, via the protobuf-c parser generated at build
 * time from Debian's onnx/onnx.proto) into plain C structures the graph runtime reads.
 *
 * What is kept: the main graph's nodes (op type, inputs, outputs, attributes), its initializers
 * and Constant-node tensors (FLOAT, and INT64/INT32 as int64), and the graph inputs/outputs with
 * their shapes. Everything is copied out of the protobuf message, which is freed before
 * au_onnx_model_load returns, so a loaded model is one self-contained, read-only object.
 *
 * Tensor data is stored in host float / int64_t arrays (raw_data is little-endian by the ONNX
 * spec and is decoded as such). */
#ifndef AU_NN_ONNX_MODEL_H
#define AU_NN_ONNX_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define AU_ONNX_MAX_DIMS 8

/* TensorProto.DataType values (onnx.proto) of the element types we keep. */
typedef enum au_onnx_dtype {
    AU_ONNX_FLOAT = 1,
    AU_ONNX_INT64 = 7
} au_onnx_dtype;

typedef struct au_onnx_tensor {
    const char *name;             /* "" for attribute tensors without a name */
    au_onnx_dtype dtype;
    int ndim;                     /* 0 = scalar */
    int64_t dims[AU_ONNX_MAX_DIMS];
    size_t count;                 /* product of dims (1 for a scalar) */
    const float *f;               /* dtype FLOAT: count values, else NULL */
    const int64_t *i;             /* dtype INT64: count values, else NULL */
} au_onnx_tensor;

typedef enum au_onnx_attr_type {
    AU_ONNX_ATTR_FLOAT,
    AU_ONNX_ATTR_INT,
    AU_ONNX_ATTR_STRING,
    AU_ONNX_ATTR_TENSOR,
    AU_ONNX_ATTR_FLOATS,
    AU_ONNX_ATTR_INTS,
    AU_ONNX_ATTR_OTHER            /* graphs, sparse tensors, strings lists...: not read */
} au_onnx_attr_type;

typedef struct au_onnx_attr {
    const char *name;
    au_onnx_attr_type type;
    float f;                      /* FLOAT */
    int64_t i;                    /* INT */
    const char *s;                /* STRING (NUL-terminated copy of the bytes) */
    const au_onnx_tensor *t;      /* TENSOR */
    size_t n;                     /* FLOATS / INTS: number of values */
    const float *floats;
    const int64_t *ints;
} au_onnx_attr;

typedef struct au_onnx_node {
    const char *name;             /* may be "" in the file; never NULL */
    const char *op_type;
    const char *domain;           /* "" = the default ONNX domain */
    int n_inputs;
    const char *const *inputs;    /* "" marks an omitted optional input */
    int n_outputs;
    const char *const *outputs;
    int n_attrs;
    const au_onnx_attr *attrs;
} au_onnx_node;

typedef struct au_onnx_value_info {
    const char *name;
    int elem_type;                /* TensorProto.DataType, 0 if not given */
    int ndim;                     /* -1 when the shape is not given */
    int64_t dims[AU_ONNX_MAX_DIMS]; /* -1 for a symbolic or unknown dimension */
} au_onnx_value_info;

typedef struct au_onnx_model {
    const char *path;
    int64_t opset;                /* version of the default ("" / "ai.onnx") domain, 0 if absent */
    int n_nodes;
    const au_onnx_node *nodes;    /* in file order (topologically sorted, as ONNX requires) */
    int n_initializers;
    const au_onnx_tensor *initializers;
    int n_inputs;                 /* graph inputs that are not initializers */
    const au_onnx_value_info *inputs;
    int n_outputs;
    const au_onnx_value_info *outputs;
    struct au_onnx_arena *arena;  /* owns every allocation above */
} au_onnx_model;

/* Reads and parses `path`. Rejects a missing, truncated or malformed file, a tensor whose
 * data does not match its dims, and element types other than FLOAT/INT64/INT32 with an error
 * naming the file (and the tensor or node). On success *out owns everything; free it with
 * au_onnx_model_free. */
auface_status au_onnx_model_load(au_onnx_model **out, const char *path, au_err *err);

/* Frees a model from au_onnx_model_load; NULL is a no-op. */
void au_onnx_model_free(au_onnx_model *model);

/* The initializer named `name`, or NULL. Linear search (plan time only). */
const au_onnx_tensor *au_onnx_find_initializer(const au_onnx_model *model, const char *name);

/* The attribute `name` of `node`, or NULL. */
const au_onnx_attr *au_onnx_node_attr(const au_onnx_node *node, const char *name);

/* Typed attribute getters: the value if present with that type, else `fallback`. */
int64_t au_onnx_attr_int(const au_onnx_node *node, const char *name, int64_t fallback);
float au_onnx_attr_float(const au_onnx_node *node, const char *name, float fallback);
const char *au_onnx_attr_string(const au_onnx_node *node, const char *name, const char *fallback);

#endif
