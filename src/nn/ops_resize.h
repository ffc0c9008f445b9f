/* Resize and Upsample (internal to nn/): nearest-neighbour resize as an NHWC copy kernel with
 * index tables computed at plan time; bilinear on XNNPACK's resize_bilinear2d. Only the H and
 * W axes of a rank-4 input may change. */
#ifndef AU_NN_OPS_RESIZE_H
#define AU_NN_OPS_RESIZE_H

#include "nn/plan.h"

/* Plans Resize (opset 10: X, scales; 11+: X, roi, scales, sizes) or Upsample node
 * `node_index`. Nearest modes: all ONNX coordinate_transformation_mode / nearest_mode
 * combinations. Linear: half_pixel, pytorch_half_pixel, asymmetric, align_corners.
 * Fixed sizes that disagree with the tensor the result is added to follow that tensor
 * (see nn/graph.h). */
auface_status au_nn_op_resize(au_nn_plan *plan, int node_index, au_err *err);

#endif
