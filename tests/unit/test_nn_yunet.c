/* YuNet (opencv_zoo face_detection_yunet_2023mar) on the nn/ runtime. No reference outputs
 * are shipped for it, so this checks that it plans at 640x640 and 640x480, that its 12
 * outputs have the shapes the graph declares (scaled to the input) and finite values, and
 * that it finds the face of frame 0 of default.wmv where RetinaFace's reference detection
 * puts it. Decoding as OpenCV 4.8 modules/objdetect/src/face_detect.cpp
 * (FaceDetectorYNImpl::postProcess): score = sqrt(cls * obj), centre = (col + dx, row + dy) *
 * stride, size = exp(dw, dh) * stride. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/graph.h"
#include "test_nn_reference.h"

#define YUNET_MODEL SHARED("models/yunet/face_detection_yunet_2023mar.onnx")
#define RF_REF SHARED("reference/nn/retinaface/")

static const char *const kinds[4] = {"cls", "obj", "bbox", "kps"};
static const int widths[4] = {1, 1, 4, 10};
static const int strides[3] = {8, 16, 32};

/* Output names are "<kind>_<stride>", in the graph's order: cls, obj, bbox, kps. */
static void check_shapes(const au_nn_runtime *rt, int h, int w)
{
    CHECK(au_nn_runtime_output_count(rt) == 12);
    for (int k = 0; k < 4; k++)
        for (int s = 0; s < 3; s++) {
            char name[32];
            snprintf(name, sizeof name, "%s_%d", kinds[k], strides[s]);
            int idx = au_nn_runtime_output_index(rt, name);
            CHECK(idx == k * 3 + s);
            au_nn_shape shape;
            const float *data = au_nn_runtime_output(rt, idx, &shape);
            const int cells = (h / strides[s]) * (w / strides[s]);
            CHECK(data && shape.ndim == 3 && shape.dims[0] == 1 && shape.dims[1] == cells &&
                  shape.dims[2] == widths[k]);
            int finite = 1;
            for (int i = 0; data && i < cells * widths[k]; i++)
                finite &= isfinite(data[i]);
            CHECK(finite);
        }
}

int main(void)
{
    au_nn_model *model = test_load_nn_model(YUNET_MODEL);
    if (!model)
        return check_report("test_nn_yunet");
    au_err err;

    /* Frame 0 of default.wmv, BGR 0..255: the RetinaFace reference input holds it unscaled
     * at the top-left with the mean (104, 117, 123) subtracted. */
    const int W = 640, H = 480;
    float *rf = malloc((size_t)3 * 640 * 640 * sizeof *rf);
    float *img640 = calloc((size_t)3 * 640 * 640, sizeof *img640);
    float *img480 = malloc((size_t)3 * H * W * sizeof *img480);
    CHECK(rf && img640 && img480 &&
          test_read_f32_into(RF_REF "default_f000.input.f32", rf, (size_t)3 * 640 * 640));
    static const float mean[3] = {104.0f, 117.0f, 123.0f};
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < H * W; i++) {
            float v = rf[(size_t)c * 640 * 640 + i] + mean[c];
            img480[(size_t)c * H * W + i] = v;
            img640[(size_t)c * 640 * 640 + i] = v;
        }

    double dets[1][TEST_DET_VALUES] = {{0}};
    CHECK(test_read_dets(RF_REF "default_f000.dets.txt", dets, 1) == 1);
    const double *ref = dets[0];

    const int sizes[2][2] = {{640, 640}, {H, W}};
    for (int v = 0; v < 2; v++) {
        const int h = sizes[v][0], w = sizes[v][1];
        const int shape_in[4] = {1, 3, h, w};
        au_nn_runtime *rt = NULL;
        CHECK(au_nn_runtime_create(&rt, model, shape_in, &err) == AUFACE_OK);
        if (!rt) {
            fprintf(stderr, "%s\n", err.msg);
            continue;
        }
        CHECK(au_nn_runtime_run(rt, v == 0 ? img640 : img480, &err) == AUFACE_OK);
        check_shapes(rt, h, w);

        double best = -1, box[4] = {0, 0, 0, 0};
        for (int s = 0; s < 3; s++) {
            const float *cls = au_nn_runtime_output(rt, 0 * 3 + s, NULL);
            const float *obj = au_nn_runtime_output(rt, 1 * 3 + s, NULL);
            const float *bb = au_nn_runtime_output(rt, 2 * 3 + s, NULL);
            const int cols = w / strides[s], rows = h / strides[s];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) {
                    const int i = r * cols + c;
                    double cs = fmin(fmax(cls[i], 0.0), 1.0), os = fmin(fmax(obj[i], 0.0), 1.0);
                    double score = sqrt(cs * os);
                    if (score > best) {
                        best = score;
                        double cx = (c + bb[4 * i]) * strides[s], cy = (r + bb[4 * i + 1]) * strides[s];
                        double bw = exp(bb[4 * i + 2]) * strides[s], bh = exp(bb[4 * i + 3]) * strides[s];
                        box[0] = cx - bw / 2;
                        box[1] = cy - bh / 2;
                        box[2] = cx + bw / 2;
                        box[3] = cy + bh / 2;
                    }
                }
        }
        printf("yunet %dx%d: best score %.4f box %.1f %.1f %.1f %.1f (RetinaFace %.1f %.1f %.1f %.1f)\n", w, h, best,
               box[0], box[1], box[2], box[3], ref[1], ref[2], ref[3], ref[4]);
        CHECK(best > 0.8);
        /* Same face: centres within 10% of the face size, sizes within 25%. */
        const double size = ref[3] - ref[1];
        CHECK_NEAR((box[0] + box[2]) / 2, (ref[1] + ref[3]) / 2, 0.1 * size);
        CHECK_NEAR((box[1] + box[3]) / 2, (ref[2] + ref[4]) / 2, 0.1 * size);
        CHECK_NEAR(box[2] - box[0], ref[3] - ref[1], 0.25 * size);
        CHECK_NEAR(box[3] - box[1], ref[4] - ref[2], 0.25 * size);
        au_nn_runtime_destroy(rt);
    }
    /* Sizes that are not multiples of 32 do not fit YuNet's FPN (OpenCV pads the input to
     * multiples of 32 for this reason): planning fails with a message naming the node. */
    {
        const int odd[4] = {1, 3, 500, 700};
        au_nn_runtime *rt = NULL;
        CHECK(au_nn_runtime_create(&rt, model, odd, &err) == AUFACE_ERR_UNSUPPORTED);
        CHECK(rt == NULL);
        CHECK(strstr(err.msg, "face_detection_yunet_2023mar.onnx") && strstr(err.msg, "Add"));
        printf("yunet 700x500: %s\n", err.msg);
    }
    free(rf);
    free(img640);
    free(img480);
    au_nn_model_free(model);
    return check_report("test_nn_yunet");
}
