#include "detect/mtcnn_model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/file_read.h"
#include "common/le_bytes.h"

/* OpenFace's three files are 35 kB, 455 kB and 1.7 MB; anything far larger is not one. */
#define MTCNN_MAX_FILE_BYTES (64L << 20)

/* OpenCV type code of CV_32FC1, the only element type in the MTCNN Mat records. */
#define CV_32FC1_CODE 5

typedef struct byte_cursor {
    const unsigned char *p;
    size_t left;
    size_t size;
    const char *path;
    int layer;            /* 1-based, for messages; 0 = file header */
    const char *what;     /* layer name, for messages */
} byte_cursor;

const char *au_mtcnn_layer_name(au_mtcnn_layer_type type)
{
    switch (type) {
    case AU_MTCNN_CONV: return "convolution";
    case AU_MTCNN_MAXPOOL: return "max pooling";
    case AU_MTCNN_FC: return "fully connected";
    case AU_MTCNN_PRELU: return "PReLU";
    }
    return "unknown";
}

static auface_status truncated(const byte_cursor *c, size_t need, au_err *err)
{
    size_t offset = c->size - c->left;
    if (c->layer == 0)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: truncated: the header needs %zu bytes at offset %zu, the file has %zu",
                       c->path, need, offset, c->size);
    return au_fail(err, AUFACE_ERR_FORMAT,
                   "%s: truncated in layer %d (%s): %zu more bytes needed at offset %zu, "
                   "the file has %zu",
                   c->path, c->layer, c->what, need, offset, c->size);
}

static auface_status read_i32(byte_cursor *c, int32_t *out, au_err *err)
{
    if (c->left < 4)
        return truncated(c, 4, err);
    *out = au_le_i32(c->p);
    c->p += 4;
    c->left -= 4;
    return AUFACE_OK;
}

static auface_status read_f32s(byte_cursor *c, float *out, size_t n, au_err *err)
{
    if (c->left / 4 < n)
        return truncated(c, n * 4, err);
    for (size_t i = 0; i < n; i++) {
        out[i] = au_le_f32(c->p);
        c->p += 4;
    }
    c->left -= n * 4;
    return AUFACE_OK;
}

/* A bounded int32 field of the current layer. */
static auface_status read_count(byte_cursor *c, const char *field, int lo, int hi, int *out,
                                au_err *err)
{
    int32_t v = 0;
    auface_status st = read_i32(c, &v, err);
    if (st)
        return st;
    if ((v < lo || v > hi) && c->layer == 0)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: %s = %d is outside [%d, %d]", c->path,
                       field, (int)v, lo, hi);
    if (v < lo || v > hi)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: layer %d (%s): %s = %d is outside [%d, %d]", c->path, c->layer,
                       c->what, field, (int)v, lo, hi);
    *out = (int)v;
    return AUFACE_OK;
}

/* The header of a Mat record (ReadMatBin); checks the element type and the sizes, and that
 * rows*cols floats are present. */
static auface_status read_mat_header(byte_cursor *c, const char *name, int max_rows,
                                     int max_cols, int *rows, int *cols, au_err *err)
{
    int32_t r = 0, k = 0, type = 0;
    auface_status st;
    if ((st = read_i32(c, &r, err)) || (st = read_i32(c, &k, err)) ||
        (st = read_i32(c, &type, err)))
        return st;
    if (type != CV_32FC1_CODE)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: layer %d (%s): matrix '%s' has OpenCV type %d, expected %d (float32)",
                       c->path, c->layer, c->what, name, (int)type, CV_32FC1_CODE);
    if (r < 1 || r > max_rows || k < 1 || k > max_cols)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: layer %d (%s): matrix '%s' is %d x %d, outside 1..%d x 1..%d",
                       c->path, c->layer, c->what, name, (int)r, (int)k, max_rows, max_cols);
    if (c->left / 4 < (size_t)r * (size_t)k)
        return truncated(c, (size_t)r * (size_t)k * 4, err);
    *rows = (int)r;
    *cols = (int)k;
    return AUFACE_OK;
}

static auface_status alloc_floats(byte_cursor *c, size_t n, float **out, au_err *err)
{
    *out = malloc(n * sizeof(float));
    if (!*out)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: layer %d (%s): out of memory (%zu floats)",
                       c->path, c->layer, c->what, n);
    return AUFACE_OK;
}

/* CNN::Read, layer type 0. Kernels are stored per (input map, kernel) as kh x kw row-major;
 * they are rearranged so that row k of `weights` is kernel k in im2col order (see the
 * header). All kernels must share the size of kernel [0][0], which OpenFace uses for all. */
static auface_status read_conv(byte_cursor *c, au_mtcnn_layer *L, au_err *err)
{
    auface_status st;
    if ((st = read_count(c, "num_in", 1, AU_MTCNN_MAX_MAPS, &L->n_in, err)) ||
        (st = read_count(c, "num_kernels", 1, AU_MTCNN_MAX_MAPS, &L->n_out, err)))
        return st;
    if ((st = alloc_floats(c, (size_t)L->n_out, &L->bias, err)))
        return st;
    if ((st = read_f32s(c, L->bias, (size_t)L->n_out, err)))
        return st;
    for (int m = 0; m < L->n_in; m++) {
        for (int k = 0; k < L->n_out; k++) {
            int rows, cols;
            if ((st = read_mat_header(c, "kernel", AU_MTCNN_MAX_KERNEL, AU_MTCNN_MAX_KERNEL,
                                      &rows, &cols, err)))
                return st;
            if (m == 0 && k == 0) {
                L->kh = rows;
                L->kw = cols;
                if ((size_t)L->n_in * (size_t)(rows * cols) > AU_MTCNN_MAX_CONV_TAPS)
                    return au_fail(err, AUFACE_ERR_FORMAT,
                                   "%s: layer %d (%s): %d maps x %dx%d kernels exceed %d taps",
                                   c->path, c->layer, c->what, L->n_in, rows, cols,
                                   AU_MTCNN_MAX_CONV_TAPS);
                if ((st = alloc_floats(c, (size_t)L->n_out * (size_t)(L->n_in * rows * cols),
                                       &L->weights, err)))
                    return st;
            } else if (rows != L->kh || cols != L->kw) {
                return au_fail(err, AUFACE_ERR_FORMAT,
                               "%s: layer %d (%s): kernel (map %d, kernel %d) is %d x %d, "
                               "kernel (0, 0) is %d x %d",
                               c->path, c->layer, c->what, m, k, rows, cols, L->kh, L->kw);
            }
            float kernel[AU_MTCNN_MAX_KERNEL * AU_MTCNN_MAX_KERNEL];
            if ((st = read_f32s(c, kernel, (size_t)(rows * cols), err)))
                return st;
            int taps = L->n_in * L->kh * L->kw;
            float *row = L->weights + (size_t)k * (size_t)taps + (size_t)m * (size_t)(L->kh * L->kw);
            for (int yy = 0; yy < L->kh; yy++)
                for (int xx = 0; xx < L->kw; xx++)
                    row[xx * L->kh + yy] = kernel[yy * L->kw + xx];
        }
    }
    return AUFACE_OK;
}

/* CNN::Read, layer type 1: kernel_x, kernel_y, stride_x, stride_y. */
static auface_status read_maxpool(byte_cursor *c, au_mtcnn_layer *L, au_err *err)
{
    auface_status st;
    if ((st = read_count(c, "kernel_x", 1, AU_MTCNN_MAX_KERNEL, &L->kw, err)) ||
        (st = read_count(c, "kernel_y", 1, AU_MTCNN_MAX_KERNEL, &L->kh, err)) ||
        (st = read_count(c, "stride_x", 1, AU_MTCNN_MAX_KERNEL, &L->sx, err)) ||
        (st = read_count(c, "stride_y", 1, AU_MTCNN_MAX_KERNEL, &L->sy, err)))
        return st;
    return AUFACE_OK;
}

/* CNN::Read, layer type 2: bias N x 1, then weights in x N. */
static auface_status read_fc(byte_cursor *c, au_mtcnn_layer *L, au_err *err)
{
    auface_status st;
    int brows, bcols, wrows, wcols;
    if ((st = read_mat_header(c, "bias", AU_MTCNN_MAX_FC_WEIGHTS, 1, &brows, &bcols, err)))
        return st;
    L->n_out = brows;
    if ((st = alloc_floats(c, (size_t)brows, &L->bias, err)) ||
        (st = read_f32s(c, L->bias, (size_t)brows, err)))
        return st;
    if ((st = read_mat_header(c, "weights", AU_MTCNN_MAX_FC_WEIGHTS, AU_MTCNN_MAX_FC_WEIGHTS,
                              &wrows, &wcols, err)))
        return st;
    if (wcols != L->n_out)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: layer %d (%s): weights are %d x %d but there are %d biases",
                       c->path, c->layer, c->what, wrows, wcols, L->n_out);
    if ((size_t)wrows * (size_t)wcols > AU_MTCNN_MAX_FC_WEIGHTS)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: layer %d (%s): %d x %d weights exceed %d",
                       c->path, c->layer, c->what, wrows, wcols, AU_MTCNN_MAX_FC_WEIGHTS);
    L->n_in = wrows;
    size_t n = (size_t)wrows * (size_t)wcols;
    if ((st = alloc_floats(c, n, &L->weights, err)) || (st = read_f32s(c, L->weights, n, err)))
        return st;
    return AUFACE_OK;
}

/* CNN::Read, layer type 3: slopes C x 1. */
static auface_status read_prelu(byte_cursor *c, au_mtcnn_layer *L, au_err *err)
{
    auface_status st;
    int rows, cols;
    if ((st = read_mat_header(c, "slopes", AU_MTCNN_MAX_FC_WEIGHTS, 1, &rows, &cols, err)))
        return st;
    L->n_in = L->n_out = rows;
    if ((st = alloc_floats(c, (size_t)rows, &L->weights, err)) ||
        (st = read_f32s(c, L->weights, (size_t)rows, err)))
        return st;
    return AUFACE_OK;
}

static auface_status parse_net(byte_cursor *c, au_mtcnn_net *net, au_err *err)
{
    auface_status st;
    c->what = "header";
    if ((st = read_count(c, "network depth", 1, AU_MTCNN_MAX_LAYERS, &net->n_layers, err)))
        return st;
    net->layers = calloc((size_t)net->n_layers, sizeof *net->layers);
    if (!net->layers)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", c->path);
    for (int i = 0; i < net->n_layers; i++) {
        au_mtcnn_layer *L = &net->layers[i];
        int32_t type = 0;
        c->layer = i + 1;
        c->what = "layer type";
        if ((st = read_i32(c, &type, err)))
            return st;
        if (type == 4)
            return au_fail(err, AUFACE_ERR_UNSUPPORTED,
                           "%s: layer %d is a sigmoid layer, which OpenFace's MTCNN files "
                           "do not use and auface does not implement",
                           c->path, c->layer);
        if (type < AU_MTCNN_CONV || type > AU_MTCNN_PRELU)
            return au_fail(err, AUFACE_ERR_FORMAT, "%s: layer %d has unknown type %d",
                           c->path, c->layer, (int)type);
        L->type = (au_mtcnn_layer_type)type;
        c->what = au_mtcnn_layer_name(L->type);
        switch (L->type) {
        case AU_MTCNN_CONV: st = read_conv(c, L, err); break;
        case AU_MTCNN_MAXPOOL: st = read_maxpool(c, L, err); break;
        case AU_MTCNN_FC: st = read_fc(c, L, err); break;
        case AU_MTCNN_PRELU: st = read_prelu(c, L, err); break;
        }
        if (st)
            return st;
    }
    if (c->left != 0)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: %zu unexpected bytes after the last of %d layers", c->path, c->left,
                       net->n_layers);
    return AUFACE_OK;
}

auface_status au_mtcnn_net_load(au_mtcnn_net *net, const char *path, au_err *err)
{
    memset(net, 0, sizeof *net);
    unsigned char *data = NULL;
    size_t size = 0;
    auface_status st = au_read_file(path, "MTCNN network file", MTCNN_MAX_FILE_BYTES,
                                    AUFACE_ERR_IO, &data, &size, err);
    if (st)
        return st;
    byte_cursor c = {data, size, size, path, 0, "header"};
    st = parse_net(&c, net, err);
    free(data);
    if (st)
        au_mtcnn_net_free(net);
    return st;
}

void au_mtcnn_net_free(au_mtcnn_net *net)
{
    if (!net)
        return;
    if (net->layers) {
        for (int i = 0; i < net->n_layers; i++) {
            free(net->layers[i].weights);
            free(net->layers[i].bias);
        }
        free(net->layers);
    }
    memset(net, 0, sizeof *net);
}
