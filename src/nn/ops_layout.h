/* Ops that move or reinterpret data (internal to nn/): Reshape, Flatten, Squeeze,
 * Unsqueeze, Identity, Dropout (views, no copy, after converting NHWC to NCHW order when the
 * bytes differ), Transpose (a view for NCHW<->NHWC, else a copy), Concat (copies into the
 * output, or no copy at all when each input can be produced in its place), Pad (zero pads:
 * a view; otherwise XNNPACK's constant pad). */
#ifndef AU_NN_OPS_LAYOUT_H
#define AU_NN_OPS_LAYOUT_H

#include "nn/plan.h"

/* Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout on an activation. */
auface_status au_nn_op_reshape(au_nn_plan *plan, int node_index, au_err *err);

/* Transpose of an activation. */
auface_status au_nn_op_transpose(au_nn_plan *plan, int node_index, au_err *err);

/* Concat of activations. */
auface_status au_nn_op_concat(au_nn_plan *plan, int node_index, au_err *err);

/* Pad (mode constant) of an activation. */
auface_status au_nn_op_pad(au_nn_plan *plan, int node_index, au_err *err);

#endif
