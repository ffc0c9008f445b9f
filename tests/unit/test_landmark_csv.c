/* Tests of io/landmark_csv on OpenFace's own CSVs (full-precision landmarks and the
 * 714-column default.csv) and on small files with reordered, missing or broken columns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/landmark_csv.h"
#include "test_files.h"
#include "test_openface_csv.h"

#define NPTS AU_LANDMARK_CSV_POINTS

static char tmpdir[256];

/* Opens `path`; CHECKs that it opens (the message is printed if not). */
static au_landmark_csv *open_csv(const char *path)
{
    au_err err;
    au_landmark_csv *r = NULL;
    CHECK(au_landmark_csv_open(&r, path, &err) == AUFACE_OK);
    if (!r)
        fprintf(stderr, "%s\n", err.msg);
    return r;
}

/* default_landmarks.csv: 288 rows; every value, printed back with 9 significant digits as
 * the file was written, gives the file's own text (exact float round trip). */
static void test_full_precision(void)
{
    const char *path = SHARED("reference/openface-2.2/default/default_landmarks.csv");
    au_landmark_csv *r = open_csv(path);
    if (!r)
        return;
    au_err err;
    FILE *raw = fopen(path, "rb");
    static char line[65536];
    static char *fields[1024];
    CHECK(raw && fgets(line, sizeof line, raw));
    int ncols = test_csv_split(line, fields, 1024);
    int xcol = test_csv_column(fields, ncols, "x_0");
    CHECK(xcol == 5);  /* frame, face_id, timestamp, confidence, success, x_0 .. */

    long frame, rows = 0;
    int success, ret, frames_ok = 1, roundtrip_ok = 1, success_ok = 1;
    float lm[2 * NPTS];
    while ((ret = au_landmark_csv_next(r, &frame, &success, lm, &err)) == 1) {
        rows++;
        if (rows == 1) {
            CHECK(lm[0] == 147.535217f);   /* x_0 of frame 1 */
            CHECK(lm[1] == 149.151077f);   /* x_1 */
        }
        frames_ok &= frame == rows;
        if (!raw || !fgets(line, sizeof line, raw) ||
            test_csv_split(line, fields, 1024) != ncols) {
            roundtrip_ok = 0;
            continue;
        }
        success_ok &= success == atoi(fields[4]);
        for (int i = 0; i < 2 * NPTS; i++) {
            char printed[64];
            snprintf(printed, sizeof printed, "%.9g", (double)lm[i]);
            /* 9 significant digits name one float; the file was written that way */
            if (strcmp(printed, fields[xcol + i]) != 0) {
                roundtrip_ok = 0;
                fprintf(stderr, "row %ld value %d: file '%s' read %.9g\n", rows, i,
                        fields[xcol + i], (double)lm[i]);
            }
        }
    }
    CHECK(ret == 0);
    CHECK(rows == 288);
    CHECK(frames_ok);
    CHECK(roundtrip_ok);
    CHECK(success_ok);
    CHECK(au_landmark_csv_line(r) == 289);
    if (raw)
        fclose(raw);
    au_landmark_csv_close(r);
}

/* default.csv: 714 columns, landmarks printed to 0.1 px: within 0.05 of the full ones. */
static void test_openface_csv(void)
{
    au_err err;
    au_landmark_csv *full = NULL, *rounded = NULL;
    CHECK(au_landmark_csv_open(&rounded, SHARED("reference/openface-2.2/default/default.csv"),
                               &err) == AUFACE_OK);
    CHECK(au_landmark_csv_open(&full,
                               SHARED("reference/openface-2.2/default/default_landmarks.csv"),
                               &err) == AUFACE_OK);
    if (!full || !rounded) {
        au_landmark_csv_close(full);
        au_landmark_csv_close(rounded);
        return;
    }
    float a[2 * NPTS], b[2 * NPTS];
    long fa, fb, rows = 0;
    int sa, sb;
    double maxd = 0;
    int same_frames = 1;
    while (au_landmark_csv_next(rounded, &fa, &sa, a, &err) == 1) {
        if (au_landmark_csv_next(full, &fb, &sb, b, &err) != 1) {
            same_frames = 0;
            break;
        }
        same_frames &= fa == fb && sa == sb;
        for (int i = 0; i < 2 * NPTS; i++) {
            double d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
            if (d > maxd)
                maxd = d;
        }
        if (rows == 0)
            CHECK(a[0] == 147.5f);  /* "147.5" in default.csv */
        rows++;
    }
    CHECK(rows == 288);
    CHECK(same_frames);
    CHECK(maxd <= 0.05 + 1e-4);
    au_landmark_csv_close(full);
    au_landmark_csv_close(rounded);
}

/* Writes a CSV whose header lists `extra` first, then y_67..y_0, x_67..x_0 in reverse,
 * then frame; no success column; CRLF line ends; x_i = i + 0.25, y_i = 100 + 0.5 i. */
static void write_reordered(const char *path, int omit_y, int short_row)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fputs("\xEF\xBB\xBF" "confidence, timestamp", f);
    for (int i = NPTS - 1; i >= 0; i--)
        if (i != omit_y)
            fprintf(f, ",y_%d", i);
    for (int i = NPTS - 1; i >= 0; i--)
        fprintf(f, ", x_%d", i);
    fputs(", frame\r\n", f);
    for (int row = 1; row <= 3; row++) {
        fprintf(f, "0.98, %d.5", row);
        for (int i = NPTS - 1; i >= 0; i--)
            if (i != omit_y)
                fprintf(f, ",%g", 100 + 0.5 * i + row);
        for (int i = NPTS - 1; i >= 0; i--)
            if (!(short_row && row == 2 && i == 0))
                fprintf(f, ", %g", i + 0.25 + row);
        fprintf(f, ", %d\r\n", 10 + row);
        if (row == 1)
            fputs("\r\n", f); /* a blank line is skipped */
    }
    fclose(f);
}

static void test_reordered_columns(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/reordered.csv", tmpdir);
    write_reordered(path, -1, 0);
    au_landmark_csv *r = open_csv(path);
    if (!r)
        return;
    au_err err;
    long frame;
    int success, n = 0, values_ok = 1;
    float lm[2 * NPTS];
    while (au_landmark_csv_next(r, &frame, &success, lm, &err) == 1) {
        n++;
        CHECK(frame == 10 + n && success == 1);
        for (int i = 0; i < NPTS; i++)
            values_ok &= lm[i] == (float)(i + 0.25 + n) &&
                         lm[NPTS + i] == (float)(100 + 0.5 * i + n);
    }
    CHECK(n == 3);
    CHECK(values_ok);
    au_landmark_csv_close(r);
}

static void test_errors(void)
{
    au_err err;
    au_landmark_csv *r = (au_landmark_csv *)&err;
    char path[300];

    CHECK(au_landmark_csv_open(&r, "/nonexistent/lm.csv", &err) == AUFACE_ERR_IO);
    CHECK(r == NULL && strstr(err.msg, "/nonexistent/lm.csv"));

    snprintf(path, sizeof path, "%s/no_y67.csv", tmpdir);
    write_reordered(path, 67, 0);
    CHECK(au_landmark_csv_open(&r, path, &err) == AUFACE_ERR_FORMAT);
    CHECK(r == NULL && strstr(err.msg, path) && strstr(err.msg, "y_67"));

    snprintf(path, sizeof path, "%s/empty.csv", tmpdir);
    test_write_file(path, "", 0);
    CHECK(au_landmark_csv_open(&r, path, &err) == AUFACE_ERR_FORMAT);
    CHECK(strstr(err.msg, path) != NULL);

    /* row 2 (line 4 of the file, after a blank line) has one field too few */
    snprintf(path, sizeof path, "%s/short_row.csv", tmpdir);
    write_reordered(path, -1, 1);
    long frame;
    int success;
    float lm[2 * NPTS];
    r = open_csv(path);
    if (r) {
        CHECK(au_landmark_csv_next(r, &frame, &success, lm, &err) == 1);
        CHECK(au_landmark_csv_next(r, &frame, &success, lm, &err) < 0);
        CHECK(err.status == AUFACE_ERR_FORMAT);
        CHECK(strstr(err.msg, path) && strstr(err.msg, ":4:") && strstr(err.msg, "fields"));
        au_landmark_csv_close(r);
    }

    /* non-numeric, nan, hex and out-of-range values; a fractional frame number */
    static const char *const bad_values[] = {"abc", "nan", "0x10", "1e39", "", "1.5.2"};
    for (size_t k = 0; k < sizeof bad_values / sizeof bad_values[0]; k++) {
        snprintf(path, sizeof path, "%s/bad%zu.csv", tmpdir, k);
        FILE *f = fopen(path, "wb");
        if (!f)
            continue;
        fputs("frame, success", f);
        for (int i = 0; i < NPTS; i++)
            fprintf(f, ", x_%d", i);
        for (int i = 0; i < NPTS; i++)
            fprintf(f, ", y_%d", i);
        fputs("\n1, 1", f);
        for (int i = 0; i < 2 * NPTS; i++)
            fprintf(f, ", %s", i == 70 ? bad_values[k] : "1.5");
        fputs("\n", f);
        fclose(f);
        r = open_csv(path);
        if (r) {
            CHECK(au_landmark_csv_next(r, &frame, &success, lm, &err) < 0);
            CHECK(err.status == AUFACE_ERR_FORMAT && strstr(err.msg, ":2:"));
            au_landmark_csv_close(r);
        }
    }
}

/* Values that need correct rounding: strtof's answers, as iostream >> float gives. */
static void test_rounding(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/rounding.csv", tmpdir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    for (int i = 0; i < NPTS; i++)
        fprintf(f, "x_%d,", i);
    for (int i = 0; i < NPTS; i++)
        fprintf(f, "y_%d%s", i, i + 1 < NPTS ? "," : "\n");
    /* x_0: halfway between two floats (16777217 = 2^24 + 1 rounds to even, 16777216);
     * x_1: 0.1; x_2: 1e-3 with exponent; x_3: +7.; x_4: -.5 */
    fputs("16777217,0.1,1E-3,+7.,-.5", f);
    for (int i = 5; i < 2 * NPTS; i++)
        fputs(",0", f);
    fputs("\n", f);
    fclose(f);
    au_err err;
    long frame;
    int success;
    float lm[2 * NPTS];
    au_landmark_csv *r = open_csv(path);
    if (r) {
        CHECK(au_landmark_csv_next(r, &frame, &success, lm, &err) == 1);
        CHECK(frame == 1 && success == 1);  /* defaults: row number, success 1 */
        CHECK(lm[0] == 16777216.0f);
        CHECK(lm[1] == 0.1f);
        CHECK(lm[2] == 0.001f);
        CHECK(lm[3] == 7.0f);
        CHECK(lm[4] == -0.5f);
        CHECK(au_landmark_csv_next(r, &frame, &success, lm, &err) == 0);
        au_landmark_csv_close(r);
    }
}

/* Eye landmarks: default.csv has all 112 eye_lmk_x/y columns (frame 1: eye_lmk_x_0 = 191.5,
 * eye_lmk_y_55 = 211.5 as printed); default_landmarks.csv has none; a file that lacks one
 * of them has none either (only complete sets are used). */
static void test_eye_columns(void)
{
    au_landmark_csv *r = open_csv(SHARED("reference/openface-2.2/default/default.csv"));
    au_landmark_csv *lm = open_csv(SHARED("reference/openface-2.2/default/default_landmarks.csv"));
    au_err err;
    long frame;
    int success;
    float xy[2 * NPTS], eyes[2 * AU_LANDMARK_CSV_EYE_POINTS];
    if (r && au_landmark_csv_next(r, &frame, &success, xy, &err) == 1) {
        CHECK(au_landmark_csv_eyes(r, eyes) == 1);
        CHECK(eyes[0] == 191.5f);
        CHECK(eyes[2 * AU_LANDMARK_CSV_EYE_POINTS - 1] == 211.5f);
    } else {
        CHECK(0);
    }
    if (lm && au_landmark_csv_next(lm, &frame, &success, xy, &err) == 1)
        CHECK(au_landmark_csv_eyes(lm, eyes) == 0);
    au_landmark_csv_close(r);
    au_landmark_csv_close(lm);

    char path[300];
    snprintf(path, sizeof path, "%s/eyes.csv", tmpdir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    for (int i = 0; i < NPTS; i++)
        fprintf(f, "x_%d, y_%d, ", i, i);
    for (int i = 0; i < AU_LANDMARK_CSV_EYE_POINTS - 1; i++) /* no eye_lmk_*_55 */
        fprintf(f, "eye_lmk_x_%d, eye_lmk_y_%d, ", i, i);
    fputs("frame\n", f);
    for (int i = 0; i < NPTS + AU_LANDMARK_CSV_EYE_POINTS - 1; i++)
        fputs("1.5, 2.5, ", f);
    fputs("1\n", f);
    fclose(f);
    au_landmark_csv *part = open_csv(path);
    if (part && au_landmark_csv_next(part, &frame, &success, xy, &err) == 1)
        CHECK(au_landmark_csv_eyes(part, eyes) == 0 && xy[NPTS - 1] == 1.5f);
    au_landmark_csv_close(part);
}

int main(void)
{
    if (!test_make_temp_dir(tmpdir, sizeof tmpdir, "test_landmark_csv"))
        return 1;
    test_full_precision();
    test_openface_csv();
    test_reordered_columns();
    test_errors();
    test_rounding();
    test_eye_columns();
    test_remove_tree(tmpdir);
    return check_report("test_landmark_csv");
}
