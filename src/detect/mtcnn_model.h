/* OpenFace's MTCNN networks (PNet, RNet, ONet): the `.dat` file format and the loaded layers.
 *
 * Source: OpenFace 2.2 FaceDetectorMTCNN.cpp — CNN::Read (layer records), ReadMatBin (matrix
 * records); CLNF_SPEC.md §2.9. Every `.dat` file is little-endian binary:
 *   int32 depth, then `depth` layers, each an int32 type followed by its payload:
 *     0 convolution:     int32 num_in, int32 num_k, num_k float32 biases, then for
 *                        in = 0..num_in-1, k = 0..num_k-1 a Mat record kh x kw (float32);
 *     1 max pooling:     int32 kernel_x, kernel_y, stride_x, stride_y;
 *     2 fully connected: Mat record bias (N x 1 float32), Mat record weights (in x N float32);
 *     3 PReLU:           Mat record of per-channel negative slopes (C x 1 float32);
 *     4 sigmoid:         no payload (absent from OpenFace's files; rejected here).
 *   A Mat record is int32 rows, int32 cols, int32 OpenCV type (5 = CV_32FC1), then
 *   rows*cols elements, row-major.
 * The loader checks every count and size against the bytes present and against sane limits,
 * and requires the file to end exactly after the last layer; it does not check that the
 * layers chain together (au_mtcnn_net_plan in mtcnn_cnn.h does). */
#ifndef AU_DETECT_MTCNN_MODEL_H
#define AU_DETECT_MTCNN_MODEL_H

#include "common/error.h"

/* Layer type codes of CNN::Read. */
typedef enum au_mtcnn_layer_type {
    AU_MTCNN_CONV = 0,
    AU_MTCNN_MAXPOOL = 1,
    AU_MTCNN_FC = 2,
    AU_MTCNN_PRELU = 3
} au_mtcnn_layer_type;

/* Limits of what the loader accepts. OpenFace's files stay far below them (largest conv:
 * 64 maps x 3x3 kernels = 576 taps; largest FC: 1152 x 256); they only keep a corrupt
 * header from asking for absurd allocations or stack buffers. */
#define AU_MTCNN_MAX_LAYERS 64
#define AU_MTCNN_MAX_MAPS 1024
#define AU_MTCNN_MAX_KERNEL 16
#define AU_MTCNN_MAX_CONV_TAPS 4096 /* num_in * kh * kw */
#define AU_MTCNN_MAX_FC_WEIGHTS (1 << 24)

typedef struct au_mtcnn_layer {
    au_mtcnn_layer_type type;
    /* CONV: n_in input maps, n_out kernels. FC: n_in inputs, n_out outputs.
     * PRELU: n_out slopes (n_in = n_out). MAXPOOL: unused (0). */
    int n_in, n_out;
    /* CONV: kernel height and width. MAXPOOL: kernel_y, kernel_x. */
    int kh, kw;
    /* MAXPOOL: stride_y, stride_x. */
    int sy, sx;
    /* CONV: n_out x (n_in*kw*kh), row k holds kernel k with element (map m, row yy, column xx)
     *       at m*kw*kh + xx*kh + yy — the column order of OpenFace's im2col_multimap, so a
     *       sequential dot product over a row sums in OpenFace's order.
     * FC:   n_in x n_out, the file's layout (OpenFace transposes it to n_out x n_in).
     * PRELU: n_out slopes. */
    float *weights;
    float *bias; /* CONV, FC: n_out biases; NULL otherwise */
} au_mtcnn_layer;

typedef struct au_mtcnn_net {
    int n_layers;
    au_mtcnn_layer *layers;
} au_mtcnn_net;

/* Reads one `.dat` network. On failure nothing is allocated and the message names `path`,
 * the layer and what is wrong (e.g. "PNet.dat: truncated in layer 3 (convolution): ..."). */
auface_status au_mtcnn_net_load(au_mtcnn_net *net, const char *path, au_err *err);

/* Frees the layers; the struct is zeroed. Safe on a zeroed or already freed net. */
void au_mtcnn_net_free(au_mtcnn_net *net);

/* Short layer name for messages ("convolution", "max pooling", ...). */
const char *au_mtcnn_layer_name(au_mtcnn_layer_type type);

#endif
