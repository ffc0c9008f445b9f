/* Synthetic AU model sets for the unit tests, in OpenFace 2.2's file layout (PIPELINE_SPEC
 * §8.1-8.2), so that a test can choose every weight and work its predictions out by hand:
 *  - a module list (main_dynamic_svms.txt / main_static_svms.txt) naming "models.txt";
 *  - models.txt: one "<file> <AU name>" line a model;
 *  - one .dat a model, as FaceAnalyser::ReadRegressor and the Read methods of the model
 *    classes read it: int32 regressor type (FaceAnalyser.h RegressorType: 0 SVR static,
 *    1 SVR dynamic, 4 SVM static, 5 SVM dynamic), the cutoff (float64, type 1 only), the
 *    means (1 x D) and the support vector (D x 1) as Face_utils.cpp ReadMatBin records
 *    (int32 rows, cols, OpenCV type 6 = float64 or 5 = float32, then the values), the bias
 *    (float64), and for SVMs the positive and negative class values (float64).
 * Each file written, and each set loaded, is CHECKed.
 *
 * Header-only (see test_files.h for why). */
#ifndef AU_TEST_AU_MODEL_FILES_H
#define AU_TEST_AU_MODEL_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au/models.h"
#include "check.h"
#include "test_bytes.h"
#include "test_files.h"

typedef struct test_au_model {
    const char *file;
    const char *name;     /* AU name, e.g. "AU01" */
    int type;             /* regressor type 0, 1, 4, 5 */
    double cutoff;        /* type 1 */
    double bias, pos, neg;
    int dim;              /* D: 4464 (HOG) or 4702 (HOG + geometry) */
    int elem;             /* OpenCV type of the matrices: 6 (float64) or 5 (float32) */
    const double *means;  /* D values */
    const double *sv;     /* D values */
} test_au_model;

/* A ReadMatBin record of rows x cols values. */
static inline void test_bytes_matbin(test_bytes *b, int rows, int cols, int elem,
                                     const double *v)
{
    test_bytes_i32(b, rows);
    test_bytes_i32(b, cols);
    test_bytes_i32(b, elem);
    for (int i = 0; i < rows * cols; i++) {
        if (elem == 6)
            test_bytes_f64(b, v[i]);
        else
            test_bytes_f32(b, (float)v[i]);
    }
}

/* Writes dir/<m->file>. */
static inline void test_write_au_model(const char *dir, const test_au_model *m)
{
    test_bytes b = { 0 };
    test_bytes_i32(&b, m->type);
    if (m->type == 1)
        test_bytes_f64(&b, m->cutoff);
    test_bytes_matbin(&b, 1, m->dim, m->elem, m->means);
    test_bytes_matbin(&b, m->dim, 1, m->elem, m->sv);
    test_bytes_f64(&b, m->bias);
    if (m->type == 4 || m->type == 5) {
        test_bytes_f64(&b, m->pos);
        test_bytes_f64(&b, m->neg);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, m->file);
    CHECK(test_write_file(path, b.p, b.n));
    free(b.p);
}

/* Writes the module list `list_name`, models.txt and the n models into dir. */
static inline void test_write_au_set(const char *dir, const char *list_name,
                                     const test_au_model *m, int n)
{
    char path[1024], text[8192];
    snprintf(path, sizeof path, "%s/%s", dir, list_name);
    snprintf(text, sizeof text, "AUPredictor models.txt\nPDM pdm.txt\nTriangulation tris.txt");
    CHECK(test_write_file(path, text, strlen(text)));
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "%s %s\n", m[i].file, m[i].name);
        test_write_au_model(dir, &m[i]);
    }
    snprintf(path, sizeof path, "%s/models.txt", dir);
    CHECK(test_write_file(path, text, len));
}

/* Loads the model set of `dir` (au_models_load); CHECKs that it loads and prints the
 * message if not. NULL on failure. */
static inline au_models *test_load_au_models(const char *dir, int au_static)
{
    au_models *m = NULL;
    au_err err;
    auface_status st = au_models_load(&m, dir, au_static, &err);
    CHECK(st == AUFACE_OK);
    if (st != AUFACE_OK)
        fprintf(stderr, "%s\n", err.msg);
    return m;
}

#endif
