#include "nn/window.h"

#include <string.h>

/* A 2-value INTS attribute (strides, dilations), or `fallback` for both when absent. */
static int pair_attr(const au_onnx_node *n, const char *name, int64_t fallback, int64_t v[2])
{
    const au_onnx_attr *a = au_onnx_node_attr(n, name);
    v[0] = v[1] = fallback;
    if (!a)
        return 1;
    if (a->type != AU_ONNX_ATTR_INTS || a->n != 2)
        return 0;
    v[0] = a->ints[0];
    v[1] = a->ints[1];
    return v[0] >= 1 && v[1] >= 1 && v[0] <= UINT32_MAX / 2 && v[1] <= UINT32_MAX / 2;
}

auface_status au_nn_window_read(const au_nn_plan *plan, const au_onnx_node *n, int64_t in_h, int64_t in_w,
                                int64_t kernel_h, int64_t kernel_w, au_nn_window *w, au_err *err)
{
    memset(w, 0, sizeof *w);
    int64_t stride[2], dil[2], pads[4] = {0, 0, 0, 0}; /* top, left, bottom, right */
    if (!pair_attr(n, "strides", 1, stride) || !pair_attr(n, "dilations", 1, dil))
        return au_nn_node_fail(plan, n, "strides and dilations must be two positive values (2-D only)", err);
    const au_onnx_attr *ks = au_onnx_node_attr(n, "kernel_shape");
    if (ks && (ks->type != AU_ONNX_ATTR_INTS || ks->n != 2 || ks->ints[0] != kernel_h || ks->ints[1] != kernel_w))
        return au_nn_node_fail(plan, n, "kernel_shape does not match the weights, or is not 2-D", err);
    if (kernel_h < 1 || kernel_w < 1 || kernel_h > 1024 || kernel_w > 1024)
        return au_nn_node_fail(plan, n, "invalid kernel size", err);

    const int64_t eff_h = (kernel_h - 1) * dil[0] + 1, eff_w = (kernel_w - 1) * dil[1] + 1;
    const char *auto_pad = au_onnx_attr_string(n, "auto_pad", "NOTSET");
    if (strcmp(auto_pad, "NOTSET") == 0) {
        const au_onnx_attr *p = au_onnx_node_attr(n, "pads");
        if (p) {
            if (p->type != AU_ONNX_ATTR_INTS || p->n != 4)
                return au_nn_node_fail(plan, n, "pads must have 4 values (2-D only)", err);
            /* ONNX order: [h_begin, w_begin, h_end, w_end]. */
            for (int k = 0; k < 4; k++) {
                if (p->ints[k] < 0 || p->ints[k] > 65536)
                    return au_nn_node_fail(plan, n, "invalid pads", err);
                pads[k] = p->ints[k];
            }
        }
    } else if (strcmp(auto_pad, "SAME_UPPER") == 0 || strcmp(auto_pad, "SAME_LOWER") == 0) {
        /* Output = ceil(in / stride); the odd padding pixel goes to the end (UPPER) or the
         * beginning (LOWER). */
        const int64_t in[2] = {in_h, in_w}, eff[2] = {eff_h, eff_w};
        for (int d = 0; d < 2; d++) {
            int64_t out = (in[d] + stride[d] - 1) / stride[d];
            int64_t total = (out - 1) * stride[d] + eff[d] - in[d];
            if (total < 0)
                total = 0;
            int64_t small = total / 2, big = total - small;
            int upper = auto_pad[5] == 'U';
            pads[d] = upper ? small : big;
            pads[d + 2] = upper ? big : small;
        }
    } else if (strcmp(auto_pad, "VALID") != 0) {
        return au_nn_node_fail(plan, n, "unknown auto_pad", err);
    }

    const int64_t span_h = in_h + pads[0] + pads[2] - eff_h, span_w = in_w + pads[1] + pads[3] - eff_w;
    if (span_h < 0 || span_w < 0)
        return au_nn_node_fail(plan, n, "the kernel is larger than the padded input", err);
    int64_t out_h = span_h / stride[0] + 1, out_w = span_w / stride[1] + 1;
    if (au_onnx_attr_int(n, "ceil_mode", 0)) {
        out_h = (span_h + stride[0] - 1) / stride[0] + 1;
        out_w = (span_w + stride[1] - 1) / stride[1] + 1;
        /* A last window must start inside the input or its begin padding (PyTorch/ONNX Runtime
         * pool output rule). */
        if ((out_h - 1) * stride[0] >= in_h + pads[0])
            out_h--;
        if ((out_w - 1) * stride[1] >= in_w + pads[1])
            out_w--;
        pads[2] += (out_h - 1) * stride[0] + eff_h - (in_h + pads[0] + pads[2]) > 0
                       ? (out_h - 1) * stride[0] + eff_h - (in_h + pads[0] + pads[2])
                       : 0;
        pads[3] += (out_w - 1) * stride[1] + eff_w - (in_w + pads[1] + pads[3]) > 0
                       ? (out_w - 1) * stride[1] + eff_w - (in_w + pads[1] + pads[3])
                       : 0;
    }
    w->kernel_h = (uint32_t)kernel_h;
    w->kernel_w = (uint32_t)kernel_w;
    w->stride_h = (uint32_t)stride[0];
    w->stride_w = (uint32_t)stride[1];
    w->dilation_h = (uint32_t)dil[0];
    w->dilation_w = (uint32_t)dil[1];
    w->pad_top = (uint32_t)pads[0];
    w->pad_left = (uint32_t)pads[1];
    w->pad_bottom = (uint32_t)pads[2];
    w->pad_right = (uint32_t)pads[3];
    w->out_h = out_h;
    w->out_w = out_w;
    return AUFACE_OK;
}
