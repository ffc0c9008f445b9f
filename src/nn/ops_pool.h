/* Pooling on XNNPACK (internal to nn/): MaxPool, AveragePool, GlobalAveragePool on NHWC
 * activations. An AveragePool whose window is the whole unpadded input runs as a global
 * average pool. */
#ifndef AU_NN_OPS_POOL_H
#define AU_NN_OPS_POOL_H

#include "nn/plan.h"

/* Plans MaxPool, AveragePool or GlobalAveragePool node `node_index`. */
auface_status au_nn_op_pool(au_nn_plan *plan, int node_index, au_err *err);

#endif
