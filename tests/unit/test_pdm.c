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

static char *read_text(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)*len + 1);
    if (buf && fread(buf, 1, (size_t)*len, f) != (size_t)*len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[*len] = '\0';
    return buf;
}

static void write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(text, 1, len, f);
        fclose(f);
    }
}

/* Writes a modified copy (text with `from` replaced once by `to`, or cut at `cut` bytes if
 * cut >= 0) and checks that loading fails with `status` and a message naming the file and
 * containing `what`. */
static void expect_rejected(const char *dir, const char *name, const char *text, long len,
                            const char *from, const char *to, long cut, auface_status status,
                            const char *what)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (cut >= 0) {
        write_text(path, text, (size_t)cut);
    } else {
        const char *at = strstr(text, from);
        CHECK(at != NULL);
        if (!at)
            return;
        size_t head = (size_t)(at - text), fl = strlen(from), tl = strlen(to);
        char *copy = malloc((size_t)len + tl + 1);
        memcpy(copy, text, head);
        memcpy(copy + head, to, tl);
        memcpy(copy + head + tl, at + fl, (size_t)len - head - fl);
        write_text(path, copy, (size_t)len - fl + tl);
        free(copy);
    }
    au_pdm pdm;
    au_err err;
    au_err_clear(&err);
    auface_status st = au_pdm_load(&pdm, path, &err);
    CHECK(st == status);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(strstr(err.msg, what) != NULL);
    if (st != status || !strstr(err.msg, what))
        fprintf(stderr, "  %s: %s\n", name, err.msg);
    CHECK(pdm.mean == NULL && pdm.pc == NULL && pdm.eig == NULL);
    unlink(path);
}

static void test_rejects_bad_files(void)
{
    long len = 0;
    char *text = read_text(PDM_PATH, &len);
    CHECK(text != NULL);
    if (!text)
        return;
    char templ[] = "/tmp/test_pdm_XXXXXX";
    char *dir = mkdtemp(templ);
    CHECK(dir != NULL);
    if (!dir) {
        free(text);
        return;
    }
    const char *pc_comment = strstr(text, "# The principal");
    const char *eig_comment = strstr(text, "# The variances");
    /* cut in the middle of the principal components and of the eigenvalues */
    expect_rejected(dir, "cut_pc.txt", text, len, NULL, NULL, (long)(pc_comment - text) + 5000,
                    AUFACE_ERR_FORMAT, "principal components: truncated");
    expect_rejected(dir, "cut_eig.txt", text, len, NULL, NULL, len - 40, AUFACE_ERR_FORMAT,
                    "eigenvalues: truncated");
    expect_rejected(dir, "cut_header.txt", text, len, NULL, NULL,
                    (long)(eig_comment - text) + 104, AUFACE_ERR_FORMAT,
                    "eigenvalues: file ends before the column count");
    expect_rejected(dir, "empty.txt", text, len, NULL, NULL, 0, AUFACE_ERR_FORMAT,
                    "mean shape: file ends before the row count");
    /* garbled numbers */
    expect_rejected(dir, "garbled_eig.txt", text, len, "826.213804", "826.2x3804", -1,
                    AUFACE_ERR_FORMAT, "eigenvalues: value 1 (row 1, column 1) is not a finite");
    expect_rejected(dir, "garbled_mean.txt", text, len, "-73.393523", "-73.39#523", -1,
                    AUFACE_ERR_FORMAT, "mean shape: value 1 ");
    expect_rejected(dir, "nan_pc.txt", text, len, "-0.007395", "nan", -1, AUFACE_ERR_FORMAT,
                    "principal components: value 1 ");
    expect_rejected(dir, "bad_rows.txt", text, len, "204\n34\n6", "2o4\n34\n6", -1,
                    AUFACE_ERR_FORMAT, "principal components: expected the row count");
    /* inconsistent shapes and types */
    expect_rejected(dir, "short_eig.txt", text, len, "model\n1\n34\n6", "model\n1\n33\n6", -1,
                    AUFACE_ERR_FORMAT, "the eigenvalues are 1 x 33, expected 1 x 34");
    /* 201 rows: the reader runs into the eigenvalue data where a header should be */
    expect_rejected(dir, "rows_pc.txt", text, len, "204\n34\n6", "201\n34\n6", -1,
                    AUFACE_ERR_FORMAT, "expected the row count");
    expect_rejected(dir, "rows_mean.txt", text, len, "204\n1\n6", "205\n1\n6", -1,
                    AUFACE_ERR_FORMAT, "mean shape: expected the row count (an integer in 1..204)");
    expect_rejected(dir, "type.txt", text, len, "204\n1\n6", "204\n1\n4", -1, AUFACE_ERR_FORMAT,
                    "mean shape: OpenCV type code 4");
    expect_rejected(dir, "zero_eig.txt", text, len, "0.582660", "0.000000", -1,
                    AUFACE_ERR_FORMAT, "eigenvalue 34 is 0");
    free(text);

    /* a missing file is an I/O error naming the file */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/does_not_exist.txt", dir);
    au_pdm pdm;
    au_err err;
    au_err_clear(&err);
    CHECK(au_pdm_load(&pdm, missing, &err) == AUFACE_ERR_IO);
    CHECK(strstr(err.msg, missing) != NULL);
    rmdir(dir);
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
