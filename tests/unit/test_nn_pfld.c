/* PFLD-68 on the nn/ runtime against the known-answer vectors of
 * ../shared/reference/nn/pfld (outputs of an independent fp64 evaluation of the same ONNX
 * graph, rounded to float32). Tolerance from that folder's README: 1e-5 on every output. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/graph.h"
#include "test_nn_reference.h"

#define PFLD_MODEL SHARED("models/pfld/pfld_68.onnx")
#define PFLD_REF SHARED("reference/nn/pfld/")
#define PFLD_IN (3 * 112 * 112)
#define PFLD_OUT 136

static const char *const cases[] = {
    "sample1_face0", "sample2_face0", "sample2_face2",      "sample3_face0",      "sample4_face0",
    "sample5_face0", "sample6_face0", "sample6_face4",      "default_f000_face0", "default_f100_face0",
    "default_f200_face0", "default_f000_tl_face0",
};

/* Several threads, each with its own runtime on the one shared model, reproduce the
 * single-thread outputs bit for bit. */
typedef struct worker {
    const au_nn_model *model;
    const float *inputs;  /* n_cases x PFLD_IN */
    float *outputs;       /* n_cases x PFLD_OUT */
    int n_cases, ok;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    au_err err;
    au_nn_runtime *rt = NULL;
    const int shape[4] = {1, 3, 112, 112};
    w->ok = au_nn_runtime_create(&rt, w->model, shape, &err) == AUFACE_OK;
    for (int rep = 0; rep < 3 && w->ok; rep++)
        for (int c = 0; c < w->n_cases && w->ok; c++) {
            w->ok = au_nn_runtime_run(rt, w->inputs + (size_t)c * PFLD_IN, &err) == AUFACE_OK;
            if (w->ok)
                memcpy(w->outputs + (size_t)c * PFLD_OUT, au_nn_runtime_output(rt, 0, NULL), PFLD_OUT * sizeof(float));
        }
    au_nn_runtime_destroy(rt);
    return NULL;
}

static void check_threads(const au_nn_model *model, const float *inputs, const float *expected, int n_cases)
{
    enum { THREADS = 3 };
    worker w[THREADS];
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker){model, inputs, malloc((size_t)n_cases * PFLD_OUT * sizeof(float)), n_cases, 0};
        CHECK(w[t].outputs && pthread_create(&tid[t], NULL, worker_main, &w[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(tid[t], NULL);
        CHECK(w[t].ok);
        CHECK(memcmp(w[t].outputs, expected, (size_t)n_cases * PFLD_OUT * sizeof(float)) == 0);
        free(w[t].outputs);
    }
}

int main(void)
{
    au_nn_model *model = test_load_nn_model(PFLD_MODEL);
    if (!model)
        return check_report("test_nn_pfld");
    au_err err;
    const int shape_in[4] = {1, 3, 112, 112};
    au_nn_runtime *rt = NULL, *rt2 = NULL;
    CHECK(au_nn_runtime_create(&rt, model, shape_in, &err) == AUFACE_OK);
    CHECK(au_nn_runtime_create(&rt2, model, shape_in, &err) == AUFACE_OK);
    if (!rt || !rt2) {
        fprintf(stderr, "%s\n", err.msg);
        au_nn_runtime_destroy(rt);
        au_nn_model_free(model);
        return check_report("test_nn_pfld");
    }
    CHECK(au_nn_runtime_output_count(rt) == 1);
    CHECK(au_nn_runtime_output_index(rt, "output") == 0);
    au_nn_shape shape;
    CHECK(au_nn_runtime_output(rt, 0, &shape) != NULL);
    CHECK(shape.ndim == 2 && shape.dims[0] == 1 && shape.dims[1] == PFLD_OUT);

    static float input[PFLD_IN], expected[PFLD_OUT], first[PFLD_OUT];
    enum { N_CASES = sizeof cases / sizeof *cases };
    static float all_inputs[N_CASES * PFLD_IN], all_outputs[N_CASES * PFLD_OUT];
    double worst = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char path[512];
        snprintf(path, sizeof path, PFLD_REF "%s.input.f32", cases[c]);
        CHECK(test_read_f32_into(path, input, PFLD_IN));
        snprintf(path, sizeof path, PFLD_REF "%s.output.f32", cases[c]);
        CHECK(test_read_f32_into(path, expected, PFLD_OUT));
        CHECK(au_nn_runtime_run(rt, input, &err) == AUFACE_OK);
        const float *out = au_nn_runtime_output(rt, 0, NULL);
        double d = test_max_abs_diff(out, expected, PFLD_OUT);
        printf("pfld %-22s max |diff| %.3g\n", cases[c], d);
        CHECK_NEAR(d, 0.0, 1e-5);
        if (d > worst)
            worst = d;
        /* A second runtime on the same shared model gives bit-identical results. */
        memcpy(first, out, sizeof first);
        memcpy(all_inputs + c * PFLD_IN, input, sizeof input);
        memcpy(all_outputs + c * PFLD_OUT, out, sizeof first);
        CHECK(au_nn_runtime_run(rt2, input, &err) == AUFACE_OK);
        CHECK(memcmp(first, au_nn_runtime_output(rt2, 0, NULL), sizeof first) == 0);
    }
    /* Running again gives the same answer: nothing carries over between runs. */
    {
        char path[512];
        snprintf(path, sizeof path, PFLD_REF "%s.input.f32", cases[0]);
        CHECK(test_read_f32_into(path, input, PFLD_IN));
        CHECK(au_nn_runtime_run(rt, input, &err) == AUFACE_OK);
        memcpy(first, au_nn_runtime_output(rt, 0, NULL), sizeof first);
        CHECK(au_nn_runtime_run(rt, input, &err) == AUFACE_OK);
        CHECK(memcmp(first, au_nn_runtime_output(rt, 0, NULL), sizeof first) == 0);
    }
    printf("pfld worst max |diff| over %zu cases: %.3g\n", sizeof cases / sizeof *cases, worst);
    check_threads(model, all_inputs, all_outputs, N_CASES);

    /* The NHWC entry point gives the same result as the NCHW one. */
    {
        float *in_nhwc = au_nn_runtime_input_nhwc(rt);
        for (int ch = 0; ch < 3; ch++)
            for (int i = 0; i < 112 * 112; i++)
                in_nhwc[i * 3 + ch] = input[ch * 112 * 112 + i];
        CHECK(au_nn_runtime_run_nhwc(rt, &err) == AUFACE_OK);
        CHECK(memcmp(first, au_nn_runtime_output(rt, 0, NULL), sizeof first) == 0);
    }

    /* Batch 2 (the model's batch axis is symbolic): both items match their single runs. */
    {
        const int shape2[4] = {2, 3, 112, 112};
        au_nn_runtime *rtb = NULL;
        CHECK(au_nn_runtime_create(&rtb, model, shape2, &err) == AUFACE_OK);
        if (rtb) {
            static float in2[2 * PFLD_IN], exp2[2 * PFLD_OUT];
            char path[512];
            for (int b = 0; b < 2; b++) {
                snprintf(path, sizeof path, PFLD_REF "%s.input.f32", cases[b + 1]);
                CHECK(test_read_f32_into(path, in2 + b * PFLD_IN, PFLD_IN));
                snprintf(path, sizeof path, PFLD_REF "%s.output.f32", cases[b + 1]);
                CHECK(test_read_f32_into(path, exp2 + b * PFLD_OUT, PFLD_OUT));
            }
            CHECK(au_nn_runtime_run(rtb, in2, &err) == AUFACE_OK);
            CHECK(au_nn_runtime_output(rtb, 0, &shape) != NULL);
            CHECK(shape.ndim == 2 && shape.dims[0] == 2 && shape.dims[1] == PFLD_OUT);
            CHECK_NEAR(test_max_abs_diff(au_nn_runtime_output(rtb, 0, NULL), exp2, 2 * PFLD_OUT),
                       0.0, 1e-5);
            au_nn_runtime_destroy(rtb);
        }
    }

    /* A wrong channel count is refused with a message naming the model. */
    {
        const int bad[4] = {1, 4, 112, 112};
        au_nn_runtime *rtx = NULL;
        CHECK(au_nn_runtime_create(&rtx, model, bad, &err) == AUFACE_ERR_ARG);
        CHECK(rtx == NULL);
        CHECK(strstr(err.msg, "pfld_68.onnx") != NULL);
    }

    au_nn_runtime_destroy(rt);
    au_nn_runtime_destroy(rt2);
    au_nn_model_free(model);
    return check_report("test_nn_pfld");
}
