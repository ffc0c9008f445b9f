/* Conv (internal to nn/): 2-D convolution of any group count (dense, grouped, depthwise) on
 * XNNPACK, with a following BatchNormalization folded into its weights and a following
 * Relu/Clip fused into its output clamp. Depthwise 3x3 convolutions run on the kernel of
 * nn/dwconv.h when the CPU allows, which also absorbs a following 2x2 stride-2 MaxPool. */
#ifndef AU_NN_OPS_CONV_H
#define AU_NN_OPS_CONV_H

#include "nn/plan.h"

/* Plans Conv node `node_index` (and the BatchNormalization / Relu / Clip it absorbs). */
auface_status au_nn_op_conv(au_nn_plan *plan, int node_index, au_err *err);

/* A BatchNormalization that does not follow a Conv: not supported (error naming the node). */
auface_status au_nn_op_batchnorm(au_nn_plan *plan, int node_index, au_err *err);

#endif
