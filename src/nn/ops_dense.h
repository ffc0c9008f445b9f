/* Fully connected layers on XNNPACK (internal to nn/): Gemm and MatMul with constant weights,
 * with a following Relu/Clip fused into the output clamp. */
#ifndef AU_NN_OPS_DENSE_H
#define AU_NN_OPS_DENSE_H

#include "nn/plan.h"

/* Plans Gemm (transA = 0, constant B and C) or MatMul (constant 2-D B) node `node_index`. */
auface_status au_nn_op_dense(au_nn_plan *plan, int node_index, au_err *err);

#endif
