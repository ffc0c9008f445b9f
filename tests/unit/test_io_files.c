/* Tests of io/hog_file, io/bmp_file and io/atomic_file: round trips, OpenFace's own
 * default.hog and aligned BMPs, broken files, and what atomic writes leave on disk. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/atomic_file.h"
#include "io/bmp_file.h"
#include "io/hog_file.h"
#include "io/landmark_csv.h"
#include "test_files.h"

static char tmpdir[256];

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Names in the temporary folder, sorted into `names` (count returned). */
static int list_tmp(char names[][128], int max)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    if (!d)
        return -1;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n < max)
            snprintf(names[n], 128, "%.127s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static void clear_tmp(void)
{
    char names[64][128];
    int n = list_tmp(names, 64);
    for (int i = 0; i < n && i < 64; i++) {
        char p[400];
        snprintf(p, sizeof p, "%.255s/%.127s", tmpdir, names[i]);
        unlink(p);
    }
}

/* ---- HOG ---- */

static void test_hog_round_trip(void)
{
    char path[300];
    tmp_path(path, sizeof path, "rt.hog");
    enum { A = 12 * 12 * 31, B = 3 * 2 * 31 };
    static double va[A];
    static float vb[B];
    for (int i = 0; i < A; i++)
        va[i] = 0.001 * i - 1.5 + 1e-12;  /* not float-exact: the writer rounds to float */
    for (int i = 0; i < B; i++)
        vb[i] = 0.25f * (float)i;
    au_err err;
    au_atomic_file af;
    FILE *f = au_atomic_open(&af, path, &err);
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(au_hog_write_frame(f, path, 12, 12, 31, 1, va, &err) == AUFACE_OK);
    CHECK(au_hog_write_frame_float(f, path, 3, 2, 31, 0, vb, &err) == AUFACE_OK);
    CHECK(au_hog_write_frame(f, path, 12, 12, 31, 1, va, &err) == AUFACE_OK);
    CHECK(au_hog_write_frame(f, path, 0, 12, 31, 1, va, &err) == AUFACE_ERR_ARG);
    CHECK(au_atomic_commit(&af, &err) == AUFACE_OK);

    size_t size;
    uint8_t *bytes = test_read_file(path, &size);
    CHECK(size == 3 * 16 + (2 * A + B) * 4u);
    /* the first record's header, byte by byte: 12, 12, 31 (int32 LE), +1.0f = 0x3f800000 */
    static const uint8_t head[16] = {12, 0, 0, 0, 12, 0, 0, 0, 31, 0, 0, 0, 0, 0, 0x80, 0x3f};
    CHECK(bytes && memcmp(bytes, head, 16) == 0);
    /* the second record's flag is -1.0f = 0xbf800000 */
    CHECK(bytes && size > 16 + A * 4u + 16 && bytes[16 + A * 4 + 15] == 0xbf &&
          bytes[16 + A * 4 + 14] == 0x80);
    free(bytes);

    au_hog_reader *r = NULL;
    CHECK(au_hog_reader_open(&r, path, &err) == AUFACE_OK);
    if (!r)
        return;
    au_hog_record rec;
    CHECK(au_hog_reader_next(r, &rec, &err) == 1);
    int same = rec.num_cols == 12 && rec.num_rows == 12 && rec.num_channels == 31 &&
               rec.valid == 1 && rec.index == 0;
    for (int i = 0; i < A && same; i++)
        same &= rec.data[i] == (float)va[i];
    CHECK(same);
    CHECK(au_hog_reader_next(r, &rec, &err) == 1);
    same = rec.num_cols == 3 && rec.num_rows == 2 && rec.num_channels == 31 && rec.valid == 0;
    for (int i = 0; i < B && same; i++)
        same &= rec.data[i] == vb[i];
    CHECK(same);
    CHECK(au_hog_reader_next(r, &rec, &err) == 1 && rec.index == 2);
    CHECK(au_hog_reader_next(r, &rec, &err) == 0);
    au_hog_reader_close(r);
}

/* OpenFace's default.hog: 288 records of 12 x 12 x 31, flags equal to the CSV's success. */
static void test_hog_openface(void)
{
    au_err err;
    au_hog_reader *r = NULL;
    au_landmark_csv *csv = NULL;
    CHECK(au_hog_reader_open(&r, SHARED("reference/openface-2.2/default/default.hog"), &err) ==
          AUFACE_OK);
    CHECK(au_landmark_csv_open(&csv, SHARED("reference/openface-2.2/default/default.csv"),
                               &err) == AUFACE_OK);
    if (!r || !csv) {
        au_hog_reader_close(r);
        au_landmark_csv_close(csv);
        return;
    }
    au_hog_record rec;
    long n = 0, frame;
    int ret, success, dims_ok = 1, flags_ok = 1, values_ok = 1, valid = 0;
    float lm[136];
    while ((ret = au_hog_reader_next(r, &rec, &err)) == 1) {
        dims_ok &= rec.num_cols == 12 && rec.num_rows == 12 && rec.num_channels == 31;
        flags_ok &= au_landmark_csv_next(csv, &frame, &success, lm, &err) == 1 &&
                    rec.valid == success;
        valid += rec.valid;
        /* FHOG features are non-negative; truncated at 0.2 (+ texture sums) they stay < 1 */
        for (int i = 0; i < 4464; i++)
            values_ok &= rec.data[i] >= 0.0f && rec.data[i] < 1.0f;
        n++;
    }
    CHECK(ret == 0);
    CHECK(n == 288);
    CHECK(dims_ok);
    CHECK(flags_ok);
    CHECK(valid == 288);
    CHECK(values_ok);
    au_hog_reader_close(r);
    au_landmark_csv_close(csv);
}

static void test_hog_broken(void)
{
    char path[300];
    size_t size;
    uint8_t *bytes = test_read_file(SHARED("reference/openface-2.2/default/default.hog"), &size);
    CHECK(bytes && size == 288u * 17872);
    if (!bytes)
        return;
    au_err err;
    au_hog_reader *r = NULL;
    au_hog_record rec;
    /* one whole record, then half of the second */
    tmp_path(path, sizeof path, "trunc.hog");
    test_write_file(path, bytes, 17872 + 17872 / 2);
    CHECK(au_hog_reader_open(&r, path, &err) == AUFACE_OK);
    if (r) {
        CHECK(au_hog_reader_next(r, &rec, &err) == 1);
        CHECK(au_hog_reader_next(r, &rec, &err) < 0);
        CHECK(err.status == AUFACE_ERR_FORMAT && strstr(err.msg, path) &&
              strstr(err.msg, "record 1"));
        au_hog_reader_close(r);
    }
    /* a flag of 0.5 (e.g. a misaligned or foreign file) */
    tmp_path(path, sizeof path, "flag.hog");
    static const uint8_t half[4] = {0, 0, 0, 0x3f};
    memcpy(bytes + 12, half, 4);
    test_write_file(path, bytes, 17872);
    CHECK(au_hog_reader_open(&r, path, &err) == AUFACE_OK);
    if (r) {
        CHECK(au_hog_reader_next(r, &rec, &err) < 0 && err.status == AUFACE_ERR_FORMAT);
        au_hog_reader_close(r);
    }
    /* absurd sizes */
    tmp_path(path, sizeof path, "size.hog");
    static const uint8_t huge[16] = {0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 31, 0, 0, 0,
                                     0, 0, 0x80, 0x3f};
    test_write_file(path, huge, 16);
    CHECK(au_hog_reader_open(&r, path, &err) == AUFACE_OK);
    if (r) {
        CHECK(au_hog_reader_next(r, &rec, &err) < 0 && err.status == AUFACE_ERR_FORMAT);
        au_hog_reader_close(r);
    }
    free(bytes);
    CHECK(au_hog_reader_open(&r, "/nonexistent/x.hog", &err) == AUFACE_ERR_IO && r == NULL);
}

/* ---- BMP ---- */

static void test_bmp_openface(void)
{
    const char *ref = SHARED("reference/openface-2.2/default/aligned/frame_det_00_000001.bmp");
    au_err err;
    uint8_t *bgr = NULL;
    int w = 0, h = 0;
    CHECK(au_bmp_read(ref, &bgr, &w, &h, &err) == AUFACE_OK);
    CHECK(w == 112 && h == 112);
    if (!bgr)
        return;
    /* The file's first pixel row is the image's bottom row, stored B, G, R. */
    size_t size;
    uint8_t *orig = test_read_file(ref, &size);
    CHECK(orig && size == 54 + 112 * 336);
    CHECK(orig && memcmp(orig + 54, bgr + 111 * 336, 336) == 0);
    char path[300];
    tmp_path(path, sizeof path, "again.bmp");
    CHECK(au_bmp_write(path, bgr, w, h, (size_t)w * 3, &err) == AUFACE_OK);
    size_t size2;
    uint8_t *again = test_read_file(path, &size2);
    CHECK(again && orig && size2 == size && memcmp(again, orig, size) == 0);
    free(again);
    free(orig);
    free(bgr);
}

static void test_bmp_round_trip(void)
{
    /* 5 x 3: rows of 15 bytes padded to 16; a stride larger than the row */
    enum { W = 5, H = 3, STRIDE = 20 };
    uint8_t img[H * STRIDE];
    for (int i = 0; i < H * STRIDE; i++)
        img[i] = (uint8_t)(i * 37 + 11);
    char path[300];
    tmp_path(path, sizeof path, "small.bmp");
    au_err err;
    CHECK(au_bmp_write(path, img, W, H, STRIDE, &err) == AUFACE_OK);
    size_t size;
    uint8_t *bytes = test_read_file(path, &size);
    CHECK(size == 54 + 16 * H);
    CHECK(bytes && bytes[2] == 54 + 16 * H && bytes[10] == 54 && bytes[18] == W &&
          bytes[22] == H && bytes[28] == 24);
    CHECK(bytes && bytes[54 + 15] == 0 && bytes[54 + 31] == 0);  /* zero padding */
    free(bytes);
    uint8_t *back = NULL;
    int w, h;
    CHECK(au_bmp_read(path, &back, &w, &h, &err) == AUFACE_OK && w == W && h == H);
    int same = back != NULL;
    for (int y = 0; y < H && same; y++)
        same &= memcmp(back + y * W * 3, img + y * STRIDE, W * 3) == 0;
    CHECK(same);
    free(back);

    CHECK(au_bmp_write(path, img, W, H, 14, &err) == AUFACE_ERR_ARG);  /* stride < 3 W */
    tmp_path(path, sizeof path, "notbmp.bmp");
    test_write_file(path, "PNG? no", 7);
    CHECK(au_bmp_read(path, &back, &w, &h, &err) == AUFACE_ERR_FORMAT && back == NULL);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(au_bmp_read("/nonexistent/a.bmp", &back, &w, &h, &err) == AUFACE_ERR_IO);
}

/* ---- atomic files ---- */

static int file_has(const char *path, const char *text)
{
    size_t n;
    uint8_t *b = test_read_file(path, &n);
    int same = b && n == strlen(text) && memcmp(b, text, n) == 0;
    free(b);
    return same;
}

static void test_atomic(void)
{
    clear_tmp();
    char final[300], names[8][128];
    tmp_path(final, sizeof final, "out.csv");
    au_err err;
    au_atomic_file af = {0};

    /* while open, only the temporary exists; after commit, only the final file */
    FILE *f = au_atomic_open(&af, final, &err);
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("first", f);
    CHECK(list_tmp(names, 8) == 1 && strncmp(names[0], "out.csv.tmp.", 12) == 0);
    CHECK(access(final, F_OK) != 0);
    CHECK(au_atomic_commit(&af, &err) == AUFACE_OK);
    CHECK(list_tmp(names, 8) == 1 && strcmp(names[0], "out.csv") == 0);
    CHECK(file_has(final, "first"));
    CHECK(af.f == NULL && af.temp_path == NULL);

    /* abort leaves the existing final file as it was and no temporary */
    f = au_atomic_open(&af, final, &err);
    CHECK(f != NULL);
    if (f)
        fputs("second, abandoned", f);
    au_atomic_abort(&af);
    au_atomic_abort(&af);  /* idle: no-op */
    CHECK(list_tmp(names, 8) == 1 && file_has(final, "first"));

    /* two writers of the same file at once get different temporaries; the last commit wins */
    au_atomic_file a = {0}, b = {0};
    FILE *fa = au_atomic_open(&a, final, &err);
    FILE *fb = au_atomic_open(&b, final, &err);
    CHECK(fa && fb && strcmp(a.temp_path, b.temp_path) != 0);
    if (fa && fb) {
        fputs("from a", fa);
        fputs("from b", fb);
        CHECK(au_atomic_commit(&a, &err) == AUFACE_OK);
        CHECK(au_atomic_commit(&b, &err) == AUFACE_OK);
        CHECK(file_has(final, "from b"));
    }
    CHECK(list_tmp(names, 8) == 1);

    /* abort of a new file leaves nothing at all */
    clear_tmp();
    f = au_atomic_open(&af, final, &err);
    CHECK(f != NULL);
    au_atomic_abort(&af);
    CHECK(list_tmp(names, 8) == 0);

    /* a folder that does not exist */
    CHECK(au_atomic_open(&af, "/nonexistent/folder/out.csv", &err) == NULL);
    CHECK(err.status == AUFACE_ERR_IO && strstr(err.msg, "/nonexistent/folder/out.csv"));
    CHECK(af.temp_path == NULL);
    au_atomic_abort(&af);
    CHECK(au_atomic_commit(&af, &err) == AUFACE_ERR_ARG);

    /* the final file gets the umask's mode like fopen's files, not mkstemp's 0600 */
    mode_t old = umask(022);
    f = au_atomic_open(&af, final, &err);
    if (f)
        CHECK(au_atomic_commit(&af, &err) == AUFACE_OK);
    umask(old);
    struct stat st;
    CHECK(stat(final, &st) == 0 && (st.st_mode & 0777) == 0644);
    clear_tmp();
}

int main(void)
{
    if (!test_make_temp_dir(tmpdir, sizeof tmpdir, "test_io_files"))
        return 1;
    test_hog_round_trip();
    test_hog_openface();
    test_hog_broken();
    test_bmp_openface();
    test_bmp_round_trip();
    test_atomic();
    test_remove_tree(tmpdir);
    return check_report("test_io_files");
}
