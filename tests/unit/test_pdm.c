/* Tests for face/pdm: loading the real OpenFace PDM (values checked against the text file),
 * rejection of truncated and garbled copies, and the 3D/2D shape synthesis. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "face/pdm.h"
#include "face/rotation.h"
#include "test_files.h"

#define PDM_PATH SHARED("models/openface/AU_predictors/In-the-wild_aligned_PDM_68.txt")

static void test_load_real(void)
{
    au_pdm pdm;
    au_err err;
    au_err_clear(&err);
    auface_status st = au_pdm_load(&pdm, PDM_PATH, &err);
    CHECK(st == AUFACE_OK);
    if (st != AUFACE_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK(pdm.n == 68);
    CHECK(pdm.m == 34);
    /* lines 5, 73, 141 and 208 of the file: X0, Y0, Z0 and Z67 of the mean */
    CHECK(pdm.mean[0] == (float)-73.393523);
    CHECK(pdm.mean[68] == (float)-29.801432);
    CHECK(pdm.mean[136] == (float)47.667532);
    CHECK(pdm.mean[203] == (float)-20.328022);
    /* principal components: first row starts -0.007395 -0.093690; second row starts
     * -0.002553 and ends 0.178216; last row starts -0.105002 and ends -0.084883 */
    CHECK(pdm.pc[0] == (float)-0.007395 && pdm.pc[1] == (float)-0.093690);
    CHECK(pdm.pc[34] == (float)-0.002553 && pdm.pc[67] == (float)0.178216);
    CHECK(pdm.pc[203 * 34] == (float)-0.105002 && pdm.pc[203 * 34 + 33] == (float)-0.084883);
    /* eigenvalues: 826.213804 … 0.582660 */
    CHECK(pdm.eig[0] == (float)826.213804 && pdm.eig[1] == (float)695.783596);
    CHECK(pdm.eig[33] == (float)0.582660);
    /* the principal components are orthonormal columns (to the file's 6 decimals) */
    double dot01 = 0, norm0 = 0;
    for (int r = 0; r < 204; r++) {
        dot01 += (double)pdm.pc[r * 34] * pdm.pc[r * 34 + 1];
        norm0 += (double)pdm.pc[r * 34] * pdm.pc[r * 34];
    }
    CHECK_NEAR(dot01, 0.0, 1e-4);
    CHECK_NEAR(norm0, 1.0, 1e-4);
    au_pdm_free(&pdm);
    CHECK(pdm.mean == NULL && pdm.pc == NULL && pdm.eig == NULL && pdm.n == 0);
    au_pdm_free(&pdm); /* freeing twice is harmless */
}

/* A damaged copy of the PDM file: its text with `from` replaced once by `to`, or (if `from`
 * is NULL) cut after `cut` bytes. Loading must fail with AUFACE_ERR_FORMAT and a message
 * naming the file and containing `what`. */
typedef struct bad_pdm {
    const char *file;
    const char *from, *to;
    size_t cut;
    const char *what;
} bad_pdm;

static void expect_rejected(const char *dir, const char *text, size_t len, const bad_pdm *b)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, b->file);
    if (!b->from) {
        test_write_file(path, text, b->cut);
    } else {
        const char *at = strstr(text, b->from);
        CHECK(at != NULL);
        if (!at)
            return;
        size_t head = (size_t)(at - text), fl = strlen(b->from), tl = strlen(b->to);
        char *copy = malloc(len + tl + 1);
        memcpy(copy, text, head);
        memcpy(copy + head, b->to, tl);
        memcpy(copy + head + tl, at + fl, len - head - fl);
        test_write_file(path, copy, len - fl + tl);
        free(copy);
    }
    au_pdm pdm;
    au_err err;
    au_err_clear(&err);
    auface_status st = au_pdm_load(&pdm, path, &err);
    CHECK(st == AUFACE_ERR_FORMAT);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(strstr(err.msg, b->what) != NULL);
    if (st != AUFACE_ERR_FORMAT || !strstr(err.msg, b->what))
        fprintf(stderr, "  %s: %s\n", b->file, err.msg);
    CHECK(pdm.mean == NULL && pdm.pc == NULL && pdm.eig == NULL);
    unlink(path);
}

static void test_rejects_bad_files(void)
{
    size_t len = 0;
    char *text = test_read_file(PDM_PATH, &len);
    CHECK(text != NULL);
    if (!text)
        return;
    char dir_buf[64];
    char *dir = test_make_temp_dir(dir_buf, sizeof dir_buf, "test_pdm");
    CHECK(dir != NULL);
    if (!dir) {
        free(text);
        return;
    }
    const char *pc_comment = strstr(text, "# The principal");
    const char *eig_comment = strstr(text, "# The variances");
    const bad_pdm cases[] = {
        /* cut in the middle of the principal components and of the eigenvalues */
        {"cut_pc.txt", NULL, NULL, (size_t)(pc_comment - text) + 5000,
         "principal components: truncated"},
        {"cut_eig.txt", NULL, NULL, len - 40, "eigenvalues: truncated"},
        {"cut_header.txt", NULL, NULL, (size_t)(eig_comment - text) + 104,
         "eigenvalues: file ends before the column count"},
        {"empty.txt", NULL, NULL, 0, "mean shape: file ends before the row count"},
        /* garbled numbers */
        {"garbled_eig.txt", "826.213804", "826.2x3804", 0,
         "eigenvalues: value 1 (row 1, column 1) is not a finite"},
        {"garbled_mean.txt", "-73.393523", "-73.39#523", 0, "mean shape: value 1 "},
        {"nan_pc.txt", "-0.007395", "nan", 0, "principal components: value 1 "},
        {"bad_rows.txt", "204\n34\n6", "2o4\n34\n6", 0,
         "principal components: expected the row count"},
        /* inconsistent shapes and types */
        {"short_eig.txt", "model\n1\n34\n6", "model\n1\n33\n6", 0,
         "the eigenvalues are 1 x 33, expected 1 x 34"},
        /* 201 rows: the reader runs into the eigenvalue data where a header should be */
        {"rows_pc.txt", "204\n34\n6", "201\n34\n6", 0, "expected the row count"},
        {"rows_mean.txt", "204\n1\n6", "205\n1\n6", 0,
         "mean shape: expected the row count (an integer in 1..204)"},
        {"type.txt", "204\n1\n6", "204\n1\n4", 0, "mean shape: OpenCV type code 4"},
        {"zero_eig.txt", "0.582660", "0.000000", 0, "eigenvalue 34 is 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_rejected(dir, text, len, &cases[i]);
    free(text);

    /* a missing file is an I/O error naming the file */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/does_not_exist.txt", dir);
    au_pdm pdm;
    au_err err;
    au_err_clear(&err);
    CHECK(au_pdm_load(&pdm, missing, &err) == AUFACE_ERR_IO);
    CHECK(strstr(err.msg, missing) != NULL);
    test_remove_tree(dir);
}

static void test_shapes(void)
{
    au_pdm pdm;
    au_err err;
    if (au_pdm_load(&pdm, PDM_PATH, &err) != AUFACE_OK) {
        CHECK(0);
        return;
    }
    const int n = pdm.n, m = pdm.m;
    float p[AU_PDM_MAX_MODES] = {0}, s3[3 * AU_PDM_MAX_POINTS], s2[2 * AU_PDM_MAX_POINTS];

    /* p = 0: the mean exactly */
    au_pdm_shape3d(&pdm, p, s3);
    for (int r = 0; r < 3 * n; r++)
        CHECK(s3[r] == pdm.mean[r]);

    /* one mode: mean + 2.5·column j */
    p[3] = 2.5f;
    au_pdm_shape3d(&pdm, p, s3);
    for (int r = 0; r < 3 * n; r++)
        CHECK_NEAR(s3[r], pdm.mean[r] + 2.5 * pdm.pc[r * m + 3], 1e-5);

    /* several modes against a double evaluation */
    for (int j = 0; j < m; j++)
        p[j] = (float)(sqrt(pdm.eig[j]) * sin(j + 1.0));
    au_pdm_shape3d(&pdm, p, s3);
    for (int r = 0; r < 3 * n; r++) {
        double s = pdm.mean[r];
        for (int j = 0; j < m; j++)
            s += (double)pdm.pc[r * m + j] * p[j];
        CHECK_NEAR(s3[r], s, 1e-4);
    }

    /* 2D: identity pose gives X and Y of the 3D shape */
    const float unit[6] = {1, 0, 0, 0, 0, 0};
    au_pdm_shape2d(&pdm, unit, p, s2);
    for (int i = 0; i < n; i++) {
        CHECK(s2[i] == s3[i]);
        CHECK(s2[n + i] == s3[n + i]);
    }
    /* scale 2, 90° about z (x' = −Y, y' = X), translation (100, 50) */
    const float g[6] = {2, 0, 0, (float)(3.14159265358979 / 2), 100, 50};
    au_pdm_shape2d(&pdm, g, p, s2);
    for (int i = 0; i < n; i++) {
        CHECK_NEAR(s2[i], 100 - 2 * s3[n + i], 2e-4);
        CHECK_NEAR(s2[n + i], 50 + 2 * s3[i], 2e-4);
    }
    /* general pose against the rotation module */
    const float g2[6] = {1.3f, 0.1f, -0.2f, 0.05f, 320, 240};
    float R[9];
    au_euler_to_rotation(g2 + 1, R);
    au_pdm_shape2d(&pdm, g2, p, s2);
    for (int i = 0; i < n; i++) {
        const double X = s3[i], Y = s3[n + i], Z = s3[2 * n + i];
        CHECK_NEAR(s2[i], 1.3 * (R[0] * X + R[1] * Y + R[2] * Z) + 320, 1e-3);
        CHECK_NEAR(s2[n + i], 1.3 * (R[3] * X + R[4] * Y + R[5] * Z) + 240, 1e-3);
    }
    au_pdm_free(&pdm);
}

int main(void)
{
    test_load_real();
    test_rejects_bad_files();
    test_shapes();
    return check_report("test_pdm");
}
