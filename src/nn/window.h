/* Sliding-window geometry of Conv, MaxPool and AveragePool nodes (internal to nn/): strides,
 * dilations, explicit or automatic padding, ceil_mode, and the output size, following the
 * ONNX operator specification (onnx/defs/nn/defs.cc, "pads" / "auto_pad" / "ceil_mode"). */
#ifndef AU_NN_WINDOW_H
#define AU_NN_WINDOW_H

#include <stdint.h>

#include "nn/plan.h"

typedef struct au_nn_window {
    uint32_t kernel_h, kernel_w;
    uint32_t stride_h, stride_w;
    uint32_t dilation_h, dilation_w;
    uint32_t pad_top, pad_left, pad_bottom, pad_right; /* bottom/right include ceil_mode's extra */
    int64_t out_h, out_w;
} au_nn_window;

/* Reads the window attributes of 2-D node `n` for an input of in_h x in_w and a kernel of
 * kernel_h x kernel_w, and computes the output size. ceil_mode (pools) rounds the output size
 * up by extending the bottom/right padding. Rejects 1-D/3-D attributes and empty outputs. */
auface_status au_nn_window_read(const au_nn_plan *plan, const au_onnx_node *n, int64_t in_h, int64_t in_w,
                                int64_t kernel_h, int64_t kernel_w, au_nn_window *w, au_err *err);

#endif
