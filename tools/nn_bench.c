/* nn_bench: milliseconds per inference of the shipped networks on the nn/ runtime, one
 * thread, median of N runs after warm-up.
 *
 *   nn_bench [--models DIR] [--runs N]
 *
 * DIR defaults to ../shared/models (relative to the working directory); N to 50. Inputs are
 * a fixed pseudo-random image (the speed does not depend on the values). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/graph.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Plans `model` for n x c x h x w, runs it `runs` times and prints the median and minimum. */
static int bench(const au_nn_model *model, const char *label, int c, int h, int w, int runs)
{
    au_err err;
    const int shape[4] = {1, c, h, w};
    au_nn_runtime *rt = NULL;
    double t0 = now_ms();
    if (au_nn_runtime_create(&rt, model, shape, &err) != AUFACE_OK) {
        fprintf(stderr, "nn_bench: %s\n", err.msg);
        return 1;
    }
    double plan_ms = now_ms() - t0;
    const size_t n = (size_t)c * h * w;
    float *input = malloc(n * sizeof *input);
    double *times = malloc((size_t)runs * sizeof *times);
    if (!input || !times) {
        fprintf(stderr, "nn_bench: out of memory\n");
        free(input);
        free(times);
        au_nn_runtime_destroy(rt);
        return 1;
    }
    unsigned s = 12345u;
    for (size_t k = 0; k < n; k++) { /* LCG noise in [-128, 128) */
        s = s * 1103515245u + 12345u;
        input[k] = (float)((s >> 16) & 255) - 128.0f;
    }
    int status = 0;
    for (int k = 0; k < 3 && !status; k++) /* warm-up */
        status = au_nn_runtime_run(rt, input, &err) != AUFACE_OK;
    for (int k = 0; k < runs && !status; k++) {
        double a = now_ms();
        status = au_nn_runtime_run(rt, input, &err) != AUFACE_OK;
        times[k] = now_ms() - a;
    }
    if (status) {
        fprintf(stderr, "nn_bench: %s\n", err.msg);
    } else {
        qsort(times, (size_t)runs, sizeof *times, cmp_double);
        printf("%-24s %4dx%-4d  median %7.2f ms  min %7.2f ms  (plan %.1f ms, %d runs)\n", label, w, h,
               times[runs / 2], times[0], plan_ms, runs);
    }
    free(input);
    free(times);
    au_nn_runtime_destroy(rt);
    return status;
}

int main(int argc, char **argv)
{
    const char *dir = "../shared/models";
    int runs = 50;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--models") == 0 && k + 1 < argc) {
            dir = argv[++k];
        } else if (strcmp(argv[k], "--runs") == 0 && k + 1 < argc) {
            runs = atoi(argv[++k]);
        } else {
            fprintf(stderr, "usage: nn_bench [--models DIR] [--runs N]\n");
            return 2;
        }
    }
    if (runs < 1)
        runs = 1;
    static const struct {
        const char *label, *file;
        int c, h, w;
    } jobs[] = {
        {"RetinaFace mnet0.25", "retinaface/retinaface_mobilenet0.25_640.onnx", 3, 640, 640},
        {"RetinaFace mnet0.25", "retinaface/retinaface_mobilenet0.25_640.onnx", 3, 480, 640},
        {"PFLD 68", "pfld/pfld_68.onnx", 3, 112, 112},
        {"YuNet 2023mar", "yunet/face_detection_yunet_2023mar.onnx", 3, 640, 640},
        {"YuNet 2023mar", "yunet/face_detection_yunet_2023mar.onnx", 3, 480, 640},
    };
    int status = 0;
    for (size_t j = 0; j < sizeof jobs / sizeof *jobs; j++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, jobs[j].file);
        au_err err;
        au_nn_model *model = NULL;
        if (au_nn_model_load(&model, path, &err) != AUFACE_OK) {
            fprintf(stderr, "nn_bench: %s\n", err.msg);
            status = 1;
            continue;
        }
        status |= bench(model, jobs[j].label, jobs[j].c, jobs[j].h, jobs[j].w, runs);
        au_nn_model_free(model);
    }
    return status;
}
