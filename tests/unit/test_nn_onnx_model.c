/* ONNX loading (nn/onnx_model): the shipped models parse into the graphs they hold, and
 * damaged files (truncated at many points, empty, not protobuf, missing) are rejected with
 * a message naming the file, never a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/graph.h"
#include "nn/onnx_model.h"
#include "test_files.h"

#define PFLD_MODEL SHARED("models/pfld/pfld_68.onnx")
#define RF_MODEL SHARED("models/retinaface/retinaface_mobilenet0.25_640.onnx")

static int count_op(const au_onnx_model *m, const char *op)
{
    int n = 0;
    for (int k = 0; k < m->n_nodes; k++)
        n += strcmp(m->nodes[k].op_type, op) == 0;
    return n;
}

static void check_pfld_structure(void)
{
    au_err err;
    au_onnx_model *m = NULL;
    CHECK(au_onnx_model_load(&m, PFLD_MODEL, &err) == AUFACE_OK);
    if (!m)
        return;
    /* PFLD (cunjian/pytorch_face_landmark, opset 10): 149 nodes, 44 Conv, 42 BatchNorm, one
     * Gemm fc 136x176 with transB = 1, input [N,3,112,112], output [N,136]. */
    CHECK(m->opset == 10);
    CHECK(m->n_nodes == 149);
    CHECK(count_op(m, "Conv") == 44);
    CHECK(count_op(m, "BatchNormalization") == 42);
    CHECK(m->n_inputs == 1 && strcmp(m->inputs[0].name, "input") == 0);
    CHECK(m->inputs[0].ndim == 4 && m->inputs[0].dims[0] == -1 && m->inputs[0].dims[1] == 3 &&
          m->inputs[0].dims[2] == 112 && m->inputs[0].dims[3] == 112);
    CHECK(m->n_outputs == 1 && m->outputs[0].ndim == 2 && m->outputs[0].dims[1] == 136);
    const au_onnx_tensor *fc = au_onnx_find_initializer(m, "fc.weight");
    CHECK(fc && fc->dtype == AU_ONNX_FLOAT && fc->ndim == 2 && fc->dims[0] == 136 && fc->dims[1] == 176 &&
          fc->count == 136 * 176);
    CHECK(au_onnx_find_initializer(m, "no such tensor") == NULL);
    for (int k = 0; k < m->n_nodes; k++) {
        const au_onnx_node *n = &m->nodes[k];
        if (strcmp(n->op_type, "Gemm") == 0) {
            CHECK(au_onnx_attr_int(n, "transB", 0) == 1);
            CHECK(au_onnx_attr_float(n, "alpha", 0.0f) == 1.0f);
            CHECK(au_onnx_attr_int(n, "no_such_attr", 42) == 42);
        }
        if (strcmp(n->op_type, "AveragePool") == 0) {
            const au_onnx_attr *ks = au_onnx_node_attr(n, "kernel_shape");
            CHECK(ks && ks->type == AU_ONNX_ATTR_INTS && ks->n == 2 && (ks->ints[0] == 14 || ks->ints[0] == 7));
        }
        if (strcmp(n->op_type, "Pad") == 0)
            CHECK(strcmp(au_onnx_attr_string(n, "mode", "?"), "constant") == 0);
        if (strcmp(n->op_type, "Constant") == 0) {
            const au_onnx_attr *v = au_onnx_node_attr(n, "value");
            CHECK(v && v->type == AU_ONNX_ATTR_TENSOR && v->t->dtype == AU_ONNX_INT64 && v->t->count == 1);
        }
    }
    au_onnx_model_free(m);
}

static void check_rejected(const char *path, const char *what)
{
    au_err err;
    au_err_clear(&err);
    au_onnx_model *m = (au_onnx_model *)&err; /* must be reset to NULL */
    auface_status st = au_onnx_model_load(&m, path, &err);
    CHECK(st != AUFACE_OK);
    CHECK(m == NULL);
    CHECK(strstr(err.msg, path) != NULL);
    if (st == AUFACE_OK)
        fprintf(stderr, "%s was accepted\n", what);
    au_onnx_model_free(st == AUFACE_OK ? m : NULL);
    /* The runtime's loader reports the same. */
    au_nn_model *nm = NULL;
    CHECK(au_nn_model_load(&nm, path, &err) != AUFACE_OK);
    CHECK(nm == NULL);
}

static void check_damaged_files(void)
{
    char dir[64];
    CHECK(test_make_temp_dir(dir, sizeof dir, "test_nn_onnx") != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/model.onnx", dir);

    size_t size = 0;
    unsigned char *data = test_read_file(PFLD_MODEL, &size);
    CHECK(data != NULL && size > 1000000);
    if (data) {
        /* Truncations across the file, including inside the weights and the last bytes. */
        const size_t cuts[] = {1, 2, 10, 100, 1000, 4096, 65536, size / 3, size / 2, size - 4096, size - 100,
                               size - 10, size - 2, size - 1};
        int rejected = 0;
        for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
            CHECK(test_write_file(path, data, cuts[k]));
            au_err err;
            au_onnx_model *m = NULL;
            auface_status st = au_onnx_model_load(&m, path, &err);
            rejected += st != AUFACE_OK;
            CHECK(st == AUFACE_ERR_FORMAT);
            CHECK(st == AUFACE_OK || strstr(err.msg, path) != NULL);
            if (st == AUFACE_OK) {
                fprintf(stderr, "truncated at %zu of %zu bytes: accepted\n", cuts[k], size);
                au_onnx_model_free(m);
            } else if (k == 0) {
                printf("truncated model: %s\n", err.msg);
            }
        }
        CHECK(rejected == (int)(sizeof cuts / sizeof *cuts));

        /* Not protobuf at all. */
        static const unsigned char junk[] = "this is not an ONNX model, just some text\n";
        CHECK(test_write_file(path, junk, sizeof junk - 1));
        check_rejected(path, "text file");
        /* Empty file. */
        CHECK(test_write_file(path, data, 0));
        check_rejected(path, "empty file");
        free(data);
    }
    test_remove_tree(dir);
    /* Missing file: an I/O error naming it. */
    au_err err;
    au_onnx_model *m = NULL;
    CHECK(au_onnx_model_load(&m, "/nonexistent/dir/model.onnx", &err) == AUFACE_ERR_IO);
    CHECK(strstr(err.msg, "/nonexistent/dir/model.onnx") != NULL);
    check_rejected("/nonexistent/dir/model.onnx", "missing file");
}

static void check_retinaface_structure(void)
{
    au_err err;
    au_onnx_model *m = NULL;
    CHECK(au_onnx_model_load(&m, RF_MODEL, &err) == AUFACE_OK);
    if (!m)
        return;
    CHECK(m->opset == 17);
    CHECK(count_op(m, "Conv") == 56);
    CHECK(count_op(m, "Resize") == 2);
    CHECK(m->n_outputs == 3);
    CHECK(strcmp(m->outputs[1].name, "output1") == 0 && m->outputs[1].dims[1] == 16800 && m->outputs[1].dims[2] == 2);
    for (int k = 0; k < m->n_nodes; k++)
        if (strcmp(m->nodes[k].op_type, "Resize") == 0) {
            /* Resize(X, roi = "", scales = "", sizes): the omitted inputs are empty names. */
            CHECK(m->nodes[k].n_inputs == 4 && m->nodes[k].inputs[1][0] == '\0' && m->nodes[k].inputs[2][0] == '\0');
            CHECK(strcmp(au_onnx_attr_string(&m->nodes[k], "mode", ""), "nearest") == 0);
        }
    au_onnx_model_free(m);
}

int main(void)
{
    check_pfld_structure();
    check_retinaface_structure();
    check_damaged_files();
    return check_report("test_nn_onnx_model");
}
