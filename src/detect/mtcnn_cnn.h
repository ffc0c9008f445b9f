/* The layers of OpenFace's MTCNN networks and a forward pass over caller memory.
 *
 * Source: OpenFace 2.2 FaceDetectorMTCNN.cpp CNN::Inference and CNN_utils.cpp
 * (convolution_direct_blas + im2col_multimap, PReLU, max_pooling, fully_connected);
 * CLNF_SPEC.md §9.3, §11, §12.7.
 *
 * Tensors are planar float32: `maps` planes of h x w, row-major, planes contiguous. OpenFace
 * keeps a network's activations as a vector of cv::Mat; a single Mat (maps == 1) is treated
 * as a matrix by the fully connected and PReLU layers, which is how the vectors after the
 * first FC layer of RNet/ONet are represented (a column N x 1; the last FC returns a row).
 *
 * Numerics (what each layer computes):
 *  convolution  out_k(y,x) = Σ_{m,xx,yy} w_k[m][yy][xx]·in_m(y+yy, x+xx) + b_k, valid (no
 *               padding), summed exactly as OpenFace's OpenBLAS sgemm_ call does
 *               (convolution_direct_blas over im2col_multimap: taps ordered map, kernel
 *               column xx, kernel row yy, the bias last): OpenBLAS 0.3.21's Haswell kernel
 *               and level-3 blocking, emulated bit for bit (see mtcnn_cnn.c).
 *  PReLU        v >= 0 ? v : v·slope_k, per map k; for a single matrix, per row k.
 *  max pooling  output size roundf((W − kx)/sx) + 1 (float division, ties away from zero;
 *               Caffe's ceil mode for these sizes), the max over the window cut at the
 *               border; cells no window start reaches stay 0 (OpenFace's zero-initialised
 *               output).
 *  fully conn.  weights W (in x out), bias b:
 *               - several maps, maps == in: a 1x1 convolution, out_k = Σ_c W[c][k]·in_c then
 *                 + b_k (float add after the product, OpenFace adds the bias row by row);
 *               - several maps otherwise: each map flattened column by column (OpenFace
 *                 transposes before reshaping), maps concatenated, out = W^T·v + b as one
 *                 cv::gemm with C = b; result a column (maps = 1, h = out, w = 1);
 *               - a single column vector: out = W^T·v + b (cv::gemm with C = b), result a
 *                 row (h = 1, w = out).
 *               cv::gemm runs OpenCV's own GEMM (GEMMSingleMul<float,double>: products and
 *               sums in double, + b in double, then rounded to float) when the result has
 *               fewer than 100 rows (HAL_GEMM_SMALL_MATRIX_THRESH, OpenCV hal_internal.cpp),
 *               otherwise cblas_sgemm on a copy of b with beta = 1 (emulated like the
 *               convolution: FMA chains per k block, each block added to the value that
 *               starts at b). */
#ifndef AU_DETECT_MTCNN_CNN_H
#define AU_DETECT_MTCNN_CNN_H

#include <stddef.h>

#include "common/error.h"
#include "detect/mtcnn_model.h"

typedef struct au_mtcnn_tensor {
    int maps;
    int h, w;
} au_mtcnn_tensor;

/* Number of floats of a tensor (maps·h·w). */
size_t au_mtcnn_tensor_floats(au_mtcnn_tensor t);

/* Memory a forward pass needs, in floats. */
typedef struct au_mtcnn_net_memory {
    size_t act_floats;  /* each of the two activation buffers: the largest layer output */
    size_t work_floats; /* the convolution workspace: the largest im2col matrix */
} au_mtcnn_net_memory;

/* Checks that `net` can run on a 3-map h x w input, as CNN::Inference would without
 * crashing, and returns the output shape and the memory a forward pass needs (either
 * pointer may be NULL). The message names `name` (e.g. the file), the layer and the
 * mismatch. */
auface_status au_mtcnn_net_plan(const au_mtcnn_net *net, const char *name, int h, int w,
                                au_mtcnn_tensor *out, au_mtcnn_net_memory *mem, au_err *err);

/* Runs `net` on `in` (3 maps h x w, not modified). buf_a and buf_b must each hold
 * act_floats and work work_floats of au_mtcnn_net_plan for this (h, w), which must have
 * succeeded. Returns a pointer to the output (inside buf_a or buf_b) and its shape.
 * Allocates nothing. */
const float *au_mtcnn_net_forward(const au_mtcnn_net *net, const float *in, int h, int w,
                                  float *buf_a, float *buf_b, float *work,
                                  au_mtcnn_tensor *out_shape);

/* The individual layers, exposed for tests. Shapes must be valid (see au_mtcnn_net_plan);
 * `in` and `out` must not overlap except for PReLU, which may run in place. The
 * convolution needs au_mtcnn_conv_work_floats(L, t) floats of `work` (its im2col matrix). */
size_t au_mtcnn_conv_work_floats(const au_mtcnn_layer *L, au_mtcnn_tensor t);
void au_mtcnn_conv(const au_mtcnn_layer *L, const float *in, au_mtcnn_tensor t, float *work,
                   float *out);
void au_mtcnn_prelu(const au_mtcnn_layer *L, const float *in, au_mtcnn_tensor t, float *out);
void au_mtcnn_maxpool(const au_mtcnn_layer *L, const float *in, au_mtcnn_tensor t, float *out);
void au_mtcnn_fc(const au_mtcnn_layer *L, const float *in, au_mtcnn_tensor t, float *out);

/* Output shape of one layer for input t; 0 with a message if the layer cannot take t. */
auface_status au_mtcnn_layer_shape(const au_mtcnn_layer *L, au_mtcnn_tensor t,
                                   au_mtcnn_tensor *out, const char *name, int index,
                                   au_err *err);

#endif
