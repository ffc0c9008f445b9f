/* RetinaFace mobilenet0.25 on the nn/ runtime.
 *
 * 640x640: against the known-answer vectors of ../shared/reference/nn/retinaface (an
 * independent fp64 evaluation of the same ONNX graph), every case, with the README's
 * tolerances: conf 1e-5, loc and landms 2e-4.
 *
 * 640x480 (no letterbox padding): the network planned for that shape, on frame 0 of
 * default.wmv (the first 480 rows of the 640x640 reference input, which holds that frame
 * unscaled), must find the same face: the best prior, decoded with priors for 640x480
 * (biubug6 layers/functions/prior_box.py and utils/box_utils.py decode), lands within 2 px of
 * the reference detection (dets.txt, from the 640x640 run). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/graph.h"
#include "test_nn_reference.h"

#define RF_MODEL SHARED("models/retinaface/retinaface_mobilenet0.25_640.onnx")
#define RF_REF SHARED("reference/nn/retinaface/")
#define RF_PRIORS 16800

static const char *const cases[] = {"sample2", "sample4", "sample6", "default_f000"};
static const char *const outputs[] = {"loc", "conf", "landms"};
static const int widths[] = {4, 2, 10};
static const double tolerances[] = {2e-4, 1e-5, 2e-4}; /* README: loc 2e-4, conf 1e-5, landms 2e-4 */

static void check_reference_cases(au_nn_runtime *rt, float *input, float *expected)
{
    au_err err;
    double worst[3] = {0, 0, 0};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char path[512];
        snprintf(path, sizeof path, RF_REF "%s.input.f32", cases[c]);
        CHECK(test_read_f32_into(path, input, 3 * 640 * 640));
        CHECK(au_nn_runtime_run(rt, input, &err) == AUFACE_OK);
        printf("retinaface 640x640 %-13s", cases[c]);
        for (int o = 0; o < 3; o++) {
            snprintf(path, sizeof path, RF_REF "%s.%s.f32", cases[c], outputs[o]);
            const size_t n = (size_t)RF_PRIORS * (size_t)widths[o];
            CHECK(test_read_f32_into(path, expected, n));
            au_nn_shape s;
            const float *out = au_nn_runtime_output(rt, o, &s);
            CHECK(out && s.ndim == 3 && s.dims[0] == 1 && s.dims[1] == RF_PRIORS && s.dims[2] == widths[o]);
            double d = out ? test_max_abs_diff(out, expected, n) : INFINITY;
            printf("  %s %.3g", outputs[o], d);
            CHECK_NEAR(d, 0.0, tolerances[o]);
            if (d > worst[o])
                worst[o] = d;
        }
        printf("\n");
    }
    printf("retinaface 640x640 worst: loc %.3g conf %.3g landms %.3g\n", worst[0], worst[1], worst[2]);
}

static void check_640x480(const au_nn_model *model, const float *input640)
{
    au_err err;
    const int W = 640, H = 480;
    const int shape_in[4] = {1, 3, H, W};
    au_nn_runtime *rt = NULL;
    CHECK(au_nn_runtime_create(&rt, model, shape_in, &err) == AUFACE_OK);
    if (!rt) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    /* Priors: per level (step 8, 16, 32) a ceil(H/step) x ceil(W/step) map, 2 per cell. */
    static const int steps[3] = {8, 16, 32};
    static const int min_sizes[3][2] = {{16, 32}, {64, 128}, {256, 512}};
    int n_priors = 0;
    for (int l = 0; l < 3; l++)
        n_priors += 2 * ((H + steps[l] - 1) / steps[l]) * ((W + steps[l] - 1) / steps[l]);
    CHECK(n_priors == 12600);

    /* The 640x480 input is the top 480 rows of the letterboxed 640x640 reference input. */
    float *input = malloc((size_t)3 * H * W * sizeof *input);
    for (int c = 0; c < 3; c++)
        memcpy(input + (size_t)c * H * W, input640 + (size_t)c * 640 * 640, (size_t)H * W * sizeof *input);
    CHECK(au_nn_runtime_run(rt, input, &err) == AUFACE_OK);
    free(input);

    au_nn_shape sl, sc, sm;
    const float *loc = au_nn_runtime_output(rt, 0, &sl);
    const float *conf = au_nn_runtime_output(rt, 1, &sc);
    const float *landms = au_nn_runtime_output(rt, 2, &sm);
    CHECK(sl.ndim == 3 && sl.dims[1] == n_priors && sl.dims[2] == 4);
    CHECK(sc.ndim == 3 && sc.dims[1] == n_priors && sc.dims[2] == 2);
    CHECK(sm.ndim == 3 && sm.dims[1] == n_priors && sm.dims[2] == 10);
    CHECK(landms != NULL);

    int best = 0, finite = 1;
    double worst_sum = 0;
    for (int p = 0; p < n_priors; p++) {
        double sum = (double)conf[2 * p] + conf[2 * p + 1];
        if (fabs(sum - 1.0) > worst_sum)
            worst_sum = fabs(sum - 1.0);
        for (int k = 0; k < 4; k++)
            finite &= isfinite(loc[4 * p + k]);
        if (conf[2 * p + 1] > conf[2 * best + 1])
            best = p;
    }
    CHECK(finite);
    CHECK_NEAR(worst_sum, 0.0, 1e-6);

    /* Decode the best prior (cfg_mnet variances 0.1, 0.2). */
    double pcx = 0, pcy = 0, pw = 0, ph = 0;
    for (int l = 0, p = 0; l < 3; l++) {
        const int fh = (H + steps[l] - 1) / steps[l], fw = (W + steps[l] - 1) / steps[l];
        for (int i = 0; i < fh; i++)
            for (int j = 0; j < fw; j++)
                for (int m = 0; m < 2; m++, p++)
                    if (p == best) {
                        pcx = (j + 0.5) * steps[l] / W;
                        pcy = (i + 0.5) * steps[l] / H;
                        pw = (double)min_sizes[l][m] / W;
                        ph = (double)min_sizes[l][m] / H;
                    }
    }
    const float *d = loc + 4 * best;
    double cx = pcx + d[0] * 0.1 * pw, cy = pcy + d[1] * 0.1 * ph;
    double w = pw * exp(d[2] * 0.2), h = ph * exp(d[3] * 0.2);
    double box[4] = {(cx - w / 2) * W, (cy - h / 2) * H, (cx + w / 2) * W, (cy + h / 2) * H};
    /* The reference detection (first line of dets.txt): score x1 y1 x2 y2. */
    double dets[1][TEST_DET_VALUES] = {{0}};
    CHECK(test_read_dets(RF_REF "default_f000.dets.txt", dets, 1) == 1);
    const double *det = dets[0];
    printf("retinaface 640x480 default_f000: score %.6f (ref %.6f), box %.2f %.2f %.2f %.2f (ref %.2f %.2f %.2f %.2f)\n",
           conf[2 * best + 1], det[0], box[0], box[1], box[2], box[3], det[1], det[2], det[3], det[4]);
    CHECK(conf[2 * best + 1] > 0.99);
    for (int k = 0; k < 4; k++)
        CHECK_NEAR(box[k], det[k + 1], 2.0);
    au_nn_runtime_destroy(rt);
}

int main(void)
{
    au_nn_model *model = test_load_nn_model(RF_MODEL);
    if (!model)
        return check_report("test_nn_retinaface");
    au_err err;
    const int shape_in[4] = {1, 3, 640, 640};
    au_nn_runtime *rt = NULL;
    CHECK(au_nn_runtime_create(&rt, model, shape_in, &err) == AUFACE_OK);
    float *input = malloc((size_t)3 * 640 * 640 * sizeof *input);
    float *expected = malloc((size_t)RF_PRIORS * 10 * sizeof *expected);
    if (rt && input && expected) {
        CHECK(au_nn_runtime_output_count(rt) == 3);
        CHECK(au_nn_runtime_output_index(rt, "output0") == 0);
        CHECK(au_nn_runtime_output_index(rt, "output1") == 1);
        CHECK(au_nn_runtime_output_index(rt, "output2") == 2);
        CHECK(au_nn_runtime_output_index(rt, "nope") == -1);
        check_reference_cases(rt, input, expected); /* leaves default_f000's input in `input` */
        check_640x480(model, input);
    } else {
        fprintf(stderr, "%s\n", err.msg);
    }
    free(input);
    free(expected);
    au_nn_runtime_destroy(rt);
    au_nn_model_free(model);
    return check_report("test_nn_retinaface");
}
