/* Depthwise 3x3 convolution on NHWC data (internal to nn/): a hand-written AVX-512 kernel.
 *
 * Why: XNNPACK's (2022) f32 depthwise kernels reload the 9 weights for every output pixel
 * and go through an indirection buffer; on this project's target CPU (AMD EPYC, AVX-512)
 * they run 2-3x slower than a kernel that keeps the weights in registers along a row, and
 * depthwise layers are ~40% of YuNet's time. Results differ from XNNPACK's only by the
 * summation order (same fp32 products, fused multiply-adds).
 *
 * Available on x86-64 builds with GCC or Clang when the CPU has AVX-512F; the planner uses
 * XNNPACK otherwise. */
#ifndef AU_NN_DWCONV_H
#define AU_NN_DWCONV_H

#include <stddef.h>

typedef struct au_nn_dwconv3x3 {
    size_t n, h, w, c;          /* input: N x H x W x C (NHWC) */
    size_t out_h, out_w;        /* output: N x out_h x out_w x C */
    size_t stride;              /* same on both axes, >= 1 */
    size_t pad_top, pad_left;   /* 0 or 1; bottom/right padding follows from out_h/out_w */
    float lo, hi;               /* output clamp (fused activation) */
    int pool;                   /* 1: fused 2x2 stride-2 max pooling of the clamped output
                                   (ONNX MaxPool, no padding, floor): the kernel then writes
                                   N x out_h/2 x out_w/2 x C */
    const float *weights;       /* [9][cp] taps in row-major (ky, kx) order, cp = c rounded up to 16, zero-padded */
    const float *bias;          /* [cp], zero-padded */
    const float *zero;          /* (w + 2) * cp zeros: the rows above/below the image */
} au_nn_dwconv3x3;

/* True if au_nn_dwconv3x3_run can run on this build and CPU. */
int au_nn_dwconv3x3_available(void);

/* Channel count rounded up to the kernel's vector width (16). */
size_t au_nn_dwconv3x3_padded_channels(size_t c);

/* out = clamp(depthwise_conv3x3(in) + bias, lo, hi), then max-pooled 2x2 if p->pool.
 * Allocates nothing. Only call when au_nn_dwconv3x3_available(). */
void au_nn_dwconv3x3_run(const au_nn_dwconv3x3 *p, const float *in, float *out);

#endif
