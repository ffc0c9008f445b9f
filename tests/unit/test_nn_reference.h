/* The reference data of ../shared/reference/nn for the unit tests: raw float32 tensors
 * (*.f32: little-endian, as the test hosts x86-64 and ARM64 are), the largest difference
 * from them, RetinaFace's detections (*.dets.txt), and the networks of ../shared/models
 * they were computed with, loaded on the nn/ runtime.
 *
 * Header-only (see test_files.h for why). */
#ifndef AU_TEST_NN_REFERENCE_H
#define AU_TEST_NN_REFERENCE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "nn/graph.h"
#include "test_files.h"

/* Values of a dets.txt line: score x1 y1 x2 y2 l0x l0y ... l4x l4y. */
#define TEST_DET_VALUES 15

/* A float32 file of exactly `count` values in a malloc'd array, or NULL (with a message). */
static inline float *test_read_f32(const char *path, size_t count)
{
    size_t size = 0;
    void *bytes = test_read_file(path, &size);
    if (!bytes) {
        fprintf(stderr, "cannot read %s\n", path);
        return NULL;
    }
    if (size != count * sizeof(float)) {
        fprintf(stderr, "%s: %zu bytes, expected %zu\n", path, size, count * sizeof(float));
        free(bytes);
        return NULL;
    }
    return bytes; /* malloc'd memory is suitably aligned for float */
}

/* Reads a float32 file of exactly `n` values into dst; 1 on success. */
static inline int test_read_f32_into(const char *path, float *dst, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t got = fread(dst, sizeof *dst, n, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    return got == n && !extra;
}

/* Largest |a[k] - b[k]|; INFINITY if any difference is NaN. */
static inline double test_max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs((double)a[k] - (double)b[k]);
        if (!(d <= m)) /* also catches NaN */
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

/* The first `max` complete lines of a dets.txt file; the number read, or -1 (with a
 * message) if the file cannot be opened. */
static inline int test_read_dets(const char *path, double (*dets)[TEST_DET_VALUES], int max)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    int n = 0;
    while (n < max) {
        int got = 0;
        for (int k = 0; k < TEST_DET_VALUES; k++)
            got += fscanf(f, "%lf", &dets[n][k]) == 1;
        if (got != TEST_DET_VALUES)
            break;
        n++;
    }
    fclose(f);
    return n;
}

/* Loads the network `path` (au_nn_model_load); CHECKs that it loads and prints the message
 * if not. NULL on failure. */
static inline au_nn_model *test_load_nn_model(const char *path)
{
    au_nn_model *model = NULL;
    au_err err;
    CHECK(au_nn_model_load(&model, path, &err) == AUFACE_OK);
    if (!model)
        fprintf(stderr, "%s\n", err.msg);
    return model;
}

#endif
