/* nn_bench: milliseconds per inference of the shipped networks on the nn/ runtime, one
 * thread, median of N runs after warm-up.
 *
 *   nn_bench [--models DIR] [--runs N] [--profile]
 *
 * DIR defaults to ../shared/models (relative to the working directory); N to 50. Inputs are
 * a fixed pseudo-random image (the speed does not depend on the values). --profile also
 * prints, per network, the median (and minimum) time of every step of the plan (steps timed one by one,
 * so their sum slightly exceeds the whole-network time). */
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

/* Runs the plan step by step `runs` times and prints every step's median time. */
static int profile(au_nn_runtime *rt, const float *input, int runs)
{
    const int n_steps = au_nn_runtime_step_count(rt);
    double *times = malloc((size_t)runs * (size_t)n_steps * sizeof *times);
    if (!times) {
        fprintf(stderr, "nn_bench: out of memory\n");
        return 1;
    }
    au_err err;
    for (int r = 0; r < runs; r++) {
        if (au_nn_runtime_run(rt, input, &err) != AUFACE_OK) { /* rewrites the input, warms caches */
            fprintf(stderr, "nn_bench: %s\n", err.msg);
            free(times);
            return 1;
        }
        for (int k = 0; k < n_steps; k++) {
            double a = now_ms();
            au_nn_runtime_run_step(rt, k, &err);
            times[(size_t)k * runs + r] = now_ms() - a;
        }
    }
    double total = 0;
    for (int k = 0; k < n_steps; k++) {
        double *t = times + (size_t)k * runs;
        qsort(t, (size_t)runs, sizeof *t, cmp_double);
        const char *op;
        au_nn_shape sh;
        const char *label = au_nn_runtime_step_label(rt, k, &op, &sh);
        char dims[64] = "";
        for (int d = 0, len = 0; d < sh.ndim && len < (int)sizeof dims - 12; d++)
            len += snprintf(dims + len, sizeof dims - (size_t)len, d ? "x%d" : "%d", sh.dims[d]);
        printf("  %3d  %-18s %-22.22s %-18s %8.4f ms  (min %.4f)\n", k, op, label, dims, t[runs / 2], t[0]);
        total += t[runs / 2];
    }
    printf("  sum of step medians %.3f ms\n", total);
    free(times);
    return 0;
}

/* Plans `model` for n x c x h x w, runs it `runs` times and prints the median and minimum. */
static int bench(const au_nn_model *model, const char *label, int c, int h, int w, int runs, int with_profile)
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
        if (with_profile)
            status = profile(rt, input, runs);
    }
    free(input);
    free(times);
    au_nn_runtime_destroy(rt);
    return status;
}

int main(int argc, char **argv)
{
    const char *dir = "../shared/models";
    int runs = 50, with_profile = 0;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--models") == 0 && k + 1 < argc) {
            dir = argv[++k];
        } else if (strcmp(argv[k], "--runs") == 0 && k + 1 < argc) {
            runs = atoi(argv[++k]);
        } else if (strcmp(argv[k], "--profile") == 0) {
            with_profile = 1;
        } else {
            fprintf(stderr, "usage: nn_bench [--models DIR] [--runs N] [--profile]\n");
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
        status |= bench(model, jobs[j].label, jobs[j].c, jobs[j].h, jobs[j].w, runs, with_profile);
        au_nn_model_free(model);
    }
    return status;
}
