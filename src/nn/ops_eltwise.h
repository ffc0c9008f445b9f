/* Elementwise ops on XNNPACK (internal to nn/): activations, binary arithmetic with
 * broadcasting, Softmax; and the fusion of a following Relu/Clip into an operator's output
 * clamp. Each au_nn_op_* plans node `node_index` of plan->model into `plan`. */
#ifndef AU_NN_OPS_ELTWISE_H
#define AU_NN_OPS_ELTWISE_H

#include "nn/plan.h"

/* If the only reader of value `name` is a Relu or a Clip with constant bounds, marks that node
 * done and returns its output name in *out_name and its bounds in [*lo, *hi]; otherwise
 * *out_name = name and the bounds are (-inf, +inf). Operators with an output clamp (Conv,
 * Gemm, Add) then compute the activation for free. */
void au_nn_fuse_clamp(au_nn_plan *plan, const char *name, float *lo, float *hi, const char **out_name);

/* Relu, Clip, LeakyRelu, PRelu, Sigmoid: in place when the input is not needed afterwards. */
auface_status au_nn_op_unary(au_nn_plan *plan, int node_index, au_err *err);

/* Add, Sub, Mul, Div with numpy broadcasting; one operand may be a constant. */
auface_status au_nn_op_binary(au_nn_plan *plan, int node_index, au_err *err);

/* Softmax over the last axis (opset >= 13), over the flattened trailing axes (opset < 13), or
 * over the channels of an NHWC activation. */
auface_status au_nn_op_softmax(au_nn_plan *plan, int node_index, au_err *err);

#endif
