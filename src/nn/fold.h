/* Plan-time evaluation of the small ops that compute shapes (internal to nn/).
 *
 * Exporters emit subgraphs like Shape -> Gather -> Unsqueeze -> Concat -> Reshape to express
 * "keep the batch size, flatten the rest". Once the input shape is fixed they are constants,
 * so the planner evaluates them here instead of running them: every input of such a node is a
 * plan-time constant (au_onnx_tensor, FLOAT or INT64), and so is its output. The semantics
 * follow the ONNX operator specification (onnx/docs/Operators.md) for each op and opset. */
#ifndef AU_NN_FOLD_H
#define AU_NN_FOLD_H

#include "nn/plan.h"

/* True if `op_type` can be evaluated here when all its inputs are constants: Constant,
 * ConstantOfShape, Gather, Unsqueeze, Squeeze, Concat, Cast, Slice, Identity, Reshape,
 * Flatten, Add, Sub, Mul, Div, Floor, Ceil, Neg. */
int au_nn_fold_supported(const char *op_type);

/* Evaluates `node` on constant inputs in[0..n_in) (NULL for an absent optional input) into
 * *out, whose data is allocated with au_nn_plan_alloc. `opset` selects attribute-vs-input
 * forms (Unsqueeze/Squeeze axes, Slice starts/ends). Errors name the node. */
auface_status au_nn_fold_node(au_nn_plan *plan, const au_onnx_node *node, const au_onnx_tensor *const *in,
                              int n_in, au_onnx_tensor *out, au_err *err);

/* The Shape op on a value of rank `ndim` with dims `dims` (opset 15 start/end attributes
 * honoured): an INT64 vector. */
auface_status au_nn_fold_shape(au_nn_plan *plan, const au_onnx_node *node, int ndim, const int64_t *dims,
                               au_onnx_tensor *out, au_err *err);

#endif
