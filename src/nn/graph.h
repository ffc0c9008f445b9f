/* Neural-network runtime: runs an ONNX graph on XNNPACK (fp32, NHWC operators).
 *
 *   au_nn_model *model;                       // once per process: weights parsed once,
 *   au_nn_model_load(&model, path, err);      // then shared read-only by every thread
 *
 *   au_nn_runtime *rt;                        // once per thread and input shape:
 *   int shape[4] = {1, 3, 480, 640};          // plans the graph for this shape, packs the
 *   au_nn_runtime_create(&rt, model, shape, err); // weights, allocates all activations
 *
 *   au_nn_runtime_run(rt, input_nchw, err);   // per frame: no allocation, one thread
 *   au_nn_shape s;
 *   const float *loc = au_nn_runtime_output(rt, 0, &s);   // or au_nn_runtime_output_index(rt, "name")
 *
 *   au_nn_runtime_destroy(rt); au_nn_model_free(model);
 *
 * Planning (see nn/plan.h) folds BatchNormalization (and a following Relu/Clip) into the
 * convolution before it, evaluates the Shape/Gather/Unsqueeze/Concat/Constant/Cast/Slice
 * subgraphs that compute shapes at plan time for the planned input shape, maps every other op
 * to XNNPACK operators (weights packed once, at create) or small kernels (depthwise 3x3
 * convolutions on AVX-512 CPUs: nn/dwconv.h; nearest resize; copies), and rejects any op it
 * does not support with an error naming the node and the op type. Concat inputs that can be
 * written in place are (RetinaFace's heads write straight into the outputs), zero Pads and
 * Reshape/Flatten/Transpose that only relabel the bytes cost nothing, and activations share
 * memory when their lifetimes do not overlap. Everything runs on the calling thread
 * (XNNPACK without a thread pool).
 *
 * Inputs and outputs use the ONNX graph's own layout (NCHW for images); internally rank-4
 * activations are NHWC, converted once at the input. Callers that can produce NHWC directly
 * may write into au_nn_runtime_input_nhwc() and call au_nn_runtime_run_nhwc() to skip that
 * conversion.
 *
 * Supported ops: Conv (grouped, depthwise, dilated, auto_pad), BatchNormalization (after a
 * Conv), Relu, LeakyRelu, PRelu, Clip, Sigmoid, Add/Sub/Mul/Div (with broadcasting),
 * MaxPool, AveragePool, GlobalAveragePool, Gemm, MatMul (constant weights), Softmax, Concat,
 * Resize / Upsample (nearest, bilinear), Reshape, Flatten, Transpose, Pad (constant),
 * Identity/Dropout, and at plan time Constant, Shape, Gather, Unsqueeze, Squeeze, Cast,
 * Slice, Concat and integer arithmetic on constants.
 *
 * Resize with fixed output sizes (as traced PyTorch FPNs export `interpolate(size=...)`):
 * when the folded size disagrees with the spatial size of the tensor the result is added to,
 * the runtime resizes to that tensor's size, which is what the network computes (biubug6
 * RetinaFace, models/net.py FPN.forward: interpolate(output3, size=[output2.size(2),
 * output2.size(3)])). At the exported input size both agree, so nothing changes there; at
 * other input sizes (640x480) this is what makes the network runnable. YuNet needs H and W
 * to be multiples of 32 (its FPN adds 2x upsampled maps to maps of the next stride); other
 * sizes fail at create with the shapes that do not match. */
#ifndef AU_NN_GRAPH_H
#define AU_NN_GRAPH_H

#include <stdint.h>

#include "common/error.h"

#define AU_NN_SHAPE_MAX_DIMS 8

typedef struct au_nn_model au_nn_model;
typedef struct au_nn_runtime au_nn_runtime;

typedef struct au_nn_shape {
    int ndim;
    int dims[AU_NN_SHAPE_MAX_DIMS];
} au_nn_shape;

/* Loads an ONNX model (see nn/onnx_model.h for what is rejected) and initializes XNNPACK.
 * The model is read-only afterwards and may be shared by runtimes on several threads. */
auface_status au_nn_model_load(au_nn_model **out, const char *path, au_err *err);

/* Frees a model; every runtime created from it must be destroyed first. NULL is a no-op. */
void au_nn_model_free(au_nn_model *model);

/* Path the model was loaded from. */
const char *au_nn_model_path(const au_nn_model *model);

/* Plans `model` for one input of shape input_nchw = {N, C, H, W} (the graph must have one
 * input, of rank 4; C must match the model's). Packs the weights (XNNPACK) and allocates all
 * activation memory. Errors name the model file and the node. Not thread-safe with respect to
 * the returned runtime: use one runtime per thread. */
auface_status au_nn_runtime_create(au_nn_runtime **out, const au_nn_model *model, const int input_nchw[4],
                                   au_err *err);

/* Runs the network on `input_nchw` (N*C*H*W floats, the layout of the ONNX input). Allocates
 * nothing. The outputs stay valid until the next run or destroy. */
auface_status au_nn_runtime_run(au_nn_runtime *rt, const float *input_nchw, au_err *err);

/* The runtime's internal input buffer, NHWC: N*H*W*C floats, written by the caller before
 * au_nn_runtime_run_nhwc. */
float *au_nn_runtime_input_nhwc(au_nn_runtime *rt);

/* Runs the network on what the caller wrote into au_nn_runtime_input_nhwc(). */
auface_status au_nn_runtime_run_nhwc(au_nn_runtime *rt, au_err *err);

/* Number of graph outputs. */
int au_nn_runtime_output_count(const au_nn_runtime *rt);

/* Index of the output called `name`, or -1. */
int au_nn_runtime_output_index(const au_nn_runtime *rt, const char *name);

/* Name of output `index` (NULL if out of range). */
const char *au_nn_runtime_output_name(const au_nn_runtime *rt, int index);

/* Data of output `index` in the ONNX graph's layout (row-major over its dims, NCHW for rank
 * 4), and its shape in *shape (may be NULL). NULL if index is out of range. */
const float *au_nn_runtime_output(const au_nn_runtime *rt, int index, au_nn_shape *shape);

/* Profiling (nn_bench --profile): the plan's steps, run one at a time in order. A step is
 * one XNNPACK operator or kernel; fused ops (BatchNormalization, Relu, pooling) have none. */
int au_nn_runtime_step_count(const au_nn_runtime *rt);

/* Label of step k (its ONNX node), the node's op type in *op_type ("" for steps the planner
 * added, such as layout conversions) and the shape of what it writes (ONNX order). */
const char *au_nn_runtime_step_label(const au_nn_runtime *rt, int k, const char **op_type, au_nn_shape *out_shape);

/* Runs step k alone; steps 0..k-1 must have run since the input was written. */
auface_status au_nn_runtime_run_step(au_nn_runtime *rt, int k, au_err *err);

/* Frees a runtime; NULL is a no-op. */
void au_nn_runtime_destroy(au_nn_runtime *rt);

#endif
