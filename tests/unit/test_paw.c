/* Tests for face/paw: triangulation loading, OpenFace's PAW mask, mask application, and a
 * comparison with the masked aligned faces written by OpenFace 2.2. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "face/paw.h"

#define TRIS_PATH SHARED("models/openface/AU_predictors/tris_68_full.txt")
#define PDM_PATH SHARED("models/openface/AU_predictors/In-the-wild_aligned_PDM_68.txt")
#define REF_DIR SHARED("reference/openface-2.2/default")

/* --- triangulation file ------------------------------------------------------------- */

static void test_load_real(void)
{
    au_triangulation t = {0, NULL};
    au_err err;
    au_err_clear(&err);
    auface_status st = au_triangulation_load(&t, TRIS_PATH, 68, &err);
    CHECK(st == AUFACE_OK);
    if (st != AUFACE_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK(t.count == 111);
    /* First and last rows of the file: "58 67 59" and "64 65 63". */
    CHECK(t.tri[0] == 58 && t.tri[1] == 67 && t.tri[2] == 59);
    CHECK(t.tri[330] == 64 && t.tri[331] == 65 && t.tri[332] == 63);
    int in_range = 1, used[68] = {0};
    for (int i = 0; i < 333; i++) {
        in_range &= t.tri[i] >= 0 && t.tri[i] < 68;
        if (t.tri[i] >= 0 && t.tri[i] < 68)
            used[t.tri[i]] = 1;
    }
    CHECK(in_range);
    int n_used = 0;
    for (int i = 0; i < 68; i++)
        n_used += used[i];
    CHECK(n_used == 68); /* the full triangulation covers every landmark */
    au_triangulation_free(&t);
    CHECK(t.count == 0 && t.tri == NULL);
    au_triangulation_free(&t); /* double free is a no-op */

    /* The same file with fewer points is rejected: indices reach 67. */
    st = au_triangulation_load(&t, TRIS_PATH, 60, &err);
    CHECK(st == AUFACE_ERR_FORMAT);
    CHECK(strstr(err.msg, "tris_68_full.txt") != NULL);
    CHECK(t.count == 0 && t.tri == NULL);
}

/* Writes `text` to a temporary file; the path is returned in `path` (caller unlinks). */
static int write_temp(const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/test_paw_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len;
    close(fd);
    return ok;
}

static void expect_rejected(const char *text, auface_status want, const char *needle)
{
    char path[64];
    if (!write_temp(text, path, sizeof path)) {
        CHECK(!"could not write a temporary file");
        return;
    }
    au_triangulation t = {0, NULL};
    au_err err;
    au_err_clear(&err);
    auface_status st = au_triangulation_load(&t, path, 68, &err);
    CHECK(st == want);
    CHECK(strstr(err.msg, path) != NULL);             /* the message names the file */
    CHECK(needle == NULL || strstr(err.msg, needle) != NULL);
    if (st != want || (needle && !strstr(err.msg, needle)))
        fprintf(stderr, "  input \"%s\": status %d, message: %s\n", text, (int)st, err.msg);
    CHECK(t.count == 0 && t.tri == NULL);
    au_triangulation_free(&t);
    unlink(path);
}

static void test_load_malformed(void)
{
    expect_rejected("", AUFACE_ERR_FORMAT, "truncated");
    expect_rejected("2\n3\n", AUFACE_ERR_FORMAT, "truncated");
    expect_rejected("2\n3\n4\n0 1 2\n", AUFACE_ERR_FORMAT, "truncated");
    expect_rejected("2\n3\n4\n0 1 2\n3 4\n", AUFACE_ERR_FORMAT, "truncated");
    expect_rejected("2\n2\n4\n0 1\n2 3\n", AUFACE_ERR_FORMAT, "columns");
    expect_rejected("1\n3\n6\n0 1 2\n", AUFACE_ERR_FORMAT, "type");
    expect_rejected("0\n3\n4\n", AUFACE_ERR_FORMAT, "count");
    expect_rejected("-5\n3\n4\n", AUFACE_ERR_FORMAT, "count");
    expect_rejected("999999999\n3\n4\n0 1 2\n", AUFACE_ERR_FORMAT, "count");
    expect_rejected("1\n3\n4\n0 x 2\n", AUFACE_ERR_FORMAT, "not an integer");
    expect_rejected("1\n3\n4\n0 1.5 2\n", AUFACE_ERR_FORMAT, "not an integer");
    expect_rejected("1\n3\n4\n0 1 68\n", AUFACE_ERR_FORMAT, "68");
    expect_rejected("1\n3\n4\n0 -1 2\n", AUFACE_ERR_FORMAT, "-1");
    expect_rejected("1\n3\n4\n0 1 2\n3 4 5\n", AUFACE_ERR_FORMAT, "after");
    expect_rejected("1\n3\n4\n0 1 99999999999999999999\n", AUFACE_ERR_FORMAT, "integer");

    /* Accepted: comment lines, CRLF, no final newline. */
    char path[64];
    if (write_temp("# a comment\r\n2\r\n3\r\n4\r\n0 1 2\r\n# between\r\n2 3 67", path,
                   sizeof path)) {
        au_triangulation t = {0, NULL};
        au_err err;
        au_err_clear(&err);
        CHECK(au_triangulation_load(&t, path, 68, &err) == AUFACE_OK);
        CHECK(t.count == 2 && t.tri[5] == 67);
        au_triangulation_free(&t);
        unlink(path);
    }

    au_triangulation t = {0, NULL};
    au_err err;
    au_err_clear(&err);
    CHECK(au_triangulation_load(&t, "/nonexistent/tris.txt", 68, &err) == AUFACE_ERR_IO);
    CHECK(strstr(err.msg, "/nonexistent/tris.txt") != NULL);
    CHECK(au_triangulation_load(&t, TRIS_PATH, 68, NULL) == AUFACE_OK); /* err may be NULL */
    au_triangulation_free(&t);
}

/* --- mask ------------------------------------------------------------------------- */

static int count_ones(const uint8_t *m, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += m[i];
    return c;
}

static void test_mask_geometry(void)
{
    enum { W = 100, H = 100 };
    static uint8_t mask[W * H];
    /* One right triangle (10,10) (90,10) (10,90): pixels with x ≥ 10, y ≥ 10, x + y ≤ 100,
     * edges included: Σ_{k=0}^{80} (81 − k) = 81·82/2 = 3321. */
    int tri1[3] = {0, 1, 2};
    au_triangulation t = {1, tri1};
    float pts[6] = {10, 90, 10, /* y: */ 10, 10, 90};
    au_paw_mask(&t, pts, 3, W, H, mask);
    CHECK(count_ones(mask, sizeof mask) == 3321);
    CHECK(mask[10 * W + 10] == 1 && mask[10 * W + 90] == 1 && mask[90 * W + 10] == 1);
    CHECK(mask[50 * W + 50] == 1); /* on the hypotenuse */
    CHECK(mask[50 * W + 51] == 0 && mask[9 * W + 50] == 0 && mask[50 * W + 9] == 0);
    int only01 = 1;
    for (int i = 0; i < W * H; i++)
        only01 &= mask[i] <= 1;
    CHECK(only01);

    /* Vertex order does not matter (sameSide is sign-agnostic). */
    float pts_rev[6] = {10, 10, 90, /* y: */ 90, 10, 10};
    static uint8_t mask2[W * H];
    au_paw_mask(&t, pts_rev, 3, W, H, mask2);
    CHECK(memcmp(mask, mask2, sizeof mask) == 0);

    /* Two triangles forming the square [10, 50]²: 41·41 pixels, the shared diagonal once. */
    int tri2[6] = {0, 1, 2, 0, 2, 3};
    au_triangulation sq = {2, tri2};
    float pts_sq[8] = {10, 50, 50, 10, /* y: */ 10, 10, 50, 50};
    au_paw_mask(&sq, pts_sq, 4, W, H, mask);
    CHECK(count_ones(mask, sizeof mask) == 41 * 41);

    /* Fractional vertices: triangle (0.5,0.5) (5.5,0.5) (0.5,5.5) contains the integer
     * points x, y ≥ 1 with x + y ≤ 6: 5+4+3+2+1 = 15. */
    float pts_frac[6] = {0.5f, 5.5f, 0.5f, /* y: */ 0.5f, 0.5f, 5.5f};
    au_paw_mask(&t, pts_frac, 3, W, H, mask);
    CHECK(count_ones(mask, sizeof mask) == 15);

    /* OpenFace quirk kept on purpose: a degenerate (collinear) triangle "contains" every
     * point (all cross products are 0), and once found it stays the guess for the next
     * pixels, which skips the bounding-box test: the whole mask becomes 1. */
    int tri3[6] = {0, 1, 2, 3, 4, 5};
    au_triangulation deg = {2, tri3};
    float pts_deg[12] = {0, 5, 10, 60, 90, 60, /* y: */ 0, 5, 10, 60, 60, 90};
    au_paw_mask(&deg, pts_deg, 6, W, H, mask);
    CHECK(count_ones(mask, sizeof mask) == W * H);
    /* The same degenerate triangle outside the image is never found: only the real one. */
    float pts_deg2[12] = {-30, -20, -10, 60, 90, 60, /* y: */ -30, -20, -10, 60, 60, 90};
    au_paw_mask(&deg, pts_deg2, 6, W, H, mask);
    CHECK(count_ones(mask, sizeof mask) == 31 * 32 / 2); /* x ≥ 60, y ≥ 60, x + y ≤ 150 */
}

/* Literal port of OpenFace's PAW mask loop (PAW.cpp second constructor, findTriangle,
 * pointInTriangle, sameSide), without any of the library's shortcuts, to check that they
 * change nothing. */
static int ref_same_side(float x0, float y0, float x1, float y1, float x2, float y2, float x3,
                         float y3)
{
    float x = (x3 - x2) * (y0 - y2) - (x0 - x2) * (y3 - y2);
    float y = (x3 - x2) * (y1 - y2) - (x1 - x2) * (y3 - y2);
    return x * y >= 0;
}
static int ref_in_tri(float x0, float y0, const float *c)
{
    return ref_same_side(x0, y0, c[0], c[1], c[2], c[3], c[4], c[5]) &&
           ref_same_side(x0, y0, c[2], c[3], c[0], c[1], c[4], c[5]) &&
           ref_same_side(x0, y0, c[4], c[5], c[0], c[1], c[2], c[3]);
}
static void reference_mask(const au_triangulation *t, const float *pts, int n, int w, int h,
                           uint8_t *mask)
{
    static float cp[1024][10];
    for (int i = 0; i < t->count; i++) {
        for (int c = 0; c < 3; c++) {
            cp[i][2 * c] = pts[t->tri[3 * i + c]];
            cp[i][2 * c + 1] = pts[n + t->tri[3 * i + c]];
        }
        double xs[3] = {cp[i][0], cp[i][2], cp[i][4]}, ys[3] = {cp[i][1], cp[i][3], cp[i][5]};
        double mnx = xs[0], mxx = xs[0], mny = ys[0], mxy = ys[0];
        for (int k = 1; k < 3; k++) {
            mnx = fmin(mnx, xs[k]), mxx = fmax(mxx, xs[k]);
            mny = fmin(mny, ys[k]), mxy = fmax(mxy, ys[k]);
        }
        cp[i][6] = (float)mxx, cp[i][7] = (float)mxy, cp[i][8] = (float)mnx, cp[i][9] = (float)mny;
    }
    int curr = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float x0 = (float)x, y0 = (float)y;
            int tri = -1;
            if (curr != -1 && ref_in_tri(x0, y0, cp[curr]))
                tri = curr;
            for (int i = 0; tri == -1 && i < t->count; i++) {
                if (cp[i][6] < x0 || cp[i][8] > x0 || cp[i][7] < y0 || cp[i][9] > y0)
                    continue;
                if (ref_in_tri(x0, y0, cp[i]))
                    tri = i;
            }
            curr = tri;
            mask[y * w + x] = tri != -1;
        }
}

/* Random meshes on a w×h image, checked against the literal port: integer and half-pixel
 * vertices (edges and vertices hit exactly), more triangles than the library caches, a
 * degenerate triangle, and with `odd_values` NaN and infinite coordinates. */
static void check_random_meshes(int w, int h, int trials, int odd_values, uint32_t seed)
{
    enum { NP = 40, NT = 300 };
    static uint8_t mine[640 * 160], ref[640 * 160];
    static int tri[3 * NT];
    float pts[2 * NP];
    uint32_t r = seed;
    int all_equal = 1, nonempty = 0;
    for (int trial = 0; trial < trials; trial++) {
        for (int i = 0; i < 2 * NP; i++) {
            r = r * 1664525u + 1013904223u;
            const float extent = (float)(i < NP ? w : h) + 20.f;
            float v = (float)((r >> 8) % 4096) / 4096.f * extent - 10.f;
            pts[i] = (trial % 3 == 0) ? floorf(v * 2) / 2 : v;
        }
        if (odd_values) {
            pts[3] = NAN;           /* an x */
            pts[NP + 7] = NAN;      /* a y */
            pts[11] = INFINITY;
            pts[NP + 13] = -INFINITY;
        }
        int nt = trial % 2 ? NT : 111; /* beyond and within the library's cached count */
        for (int i = 0; i < 3 * nt; i++) {
            r = r * 1664525u + 1013904223u;
            tri[i] = (int)((r >> 8) % NP);
        }
        if (trial == 5) /* a degenerate triangle somewhere in the middle */
            tri[3 * 200] = tri[3 * 200 + 1] = tri[3 * 200 + 2];
        au_triangulation t = {nt, tri};
        au_paw_mask(&t, pts, NP, w, h, mine);
        reference_mask(&t, pts, NP, w, h, ref);
        if (memcmp(mine, ref, (size_t)w * (size_t)h) != 0)
            all_equal = 0;
        nonempty += count_ones(mine, (size_t)w * (size_t)h) > 0;
    }
    CHECK(all_equal);
    CHECK(nonempty == trials);
}

static void test_mask_against_reference(void)
{
    check_random_meshes(112, 112, 20, 0, 12345u);
    check_random_meshes(112, 112, 10, 1, 777u);
    check_random_meshes(640, 160, 8, 0, 4242u); /* wider than one block of columns */
    check_random_meshes(37, 5, 10, 1, 99u);
}

static void test_apply_mask(void)
{
    enum { W = 4, H = 3, S = W * 3 + 2 };
    uint8_t img[H * S], mask[W * H];
    for (int i = 0; i < H * S; i++)
        img[i] = (uint8_t)(10 + i);
    for (int i = 0; i < W * H; i++)
        mask[i] = (uint8_t)(i % 3 != 0);
    uint8_t orig[H * S];
    memcpy(orig, img, sizeof img);
    au_apply_mask_u8c3(img, W, H, S, mask);
    int ok = 1;
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                ok &= img[y * S + 3 * x + c] == (mask[y * W + x] ? orig[y * S + 3 * x + c] : 0);
        ok &= img[y * S + 12] == orig[y * S + 12] && img[y * S + 13] == orig[y * S + 13];
    }
    CHECK(ok);
}

/* --- real data ------------------------------------------------------------------------ */

/* Reads a 24-bit bottom-up BMP (as OpenCV's imwrite writes the aligned faces) into BGR rows
 * top to bottom. Returns 0 on failure. */
static int read_bmp24(const char *path, uint8_t *bgr, int w, int h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint8_t hdr[54];
    int ok = fread(hdr, 1, 54, f) == 54 && hdr[0] == 'B' && hdr[1] == 'M';
    int32_t off = hdr[10] | hdr[11] << 8 | hdr[12] << 16 | hdr[13] << 24;
    int32_t bw = hdr[18] | hdr[19] << 8 | hdr[20] << 16 | hdr[21] << 24;
    int32_t bh = hdr[22] | hdr[23] << 8 | hdr[24] << 16 | hdr[25] << 24;
    int bpp = hdr[28] | hdr[29] << 8;
    ok = ok && bw == w && (bh == h || bh == -h) && bpp == 24 && fseek(f, off, SEEK_SET) == 0;
    size_t row = ((size_t)w * 3 + 3) & ~(size_t)3;
    uint8_t buf[4096];
    for (int r = 0; ok && r < h; r++) {
        ok = row <= sizeof buf && fread(buf, 1, row, f) == row;
        int y = bh > 0 ? h - 1 - r : r;
        memcpy(bgr + (size_t)y * w * 3, buf, (size_t)w * 3);
    }
    fclose(f);
    return ok;
}

/* The first matrix (mean shape, 3n x 1) of an OpenFace PDM text file. */
static int read_pdm_mean(const char *path, float *mean, int n3)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    int header[3], got = 0, vals = 0;
    while (vals < n3 && fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (got < 3)
            header[got++] = atoi(line);
        else
            mean[vals++] = strtof(line, NULL);
    }
    fclose(f);
    return got == 3 && header[0] == n3 && header[1] == 1 && vals == n3;
}

/* Point indices OpenFace lifts by 30 px (Face_utils.cpp AlignFaceMask). */
static const int FOREHEAD[12] = {0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26};

typedef struct overlap {
    int mask_px, face_px, both, only_mask, only_face;
} overlap;

static overlap compare_mask_face(const uint8_t *mask, const uint8_t *face)
{
    overlap o = {0, 0, 0, 0, 0};
    for (int i = 0; i < 112 * 112; i++) {
        int f = face[3 * i] | face[3 * i + 1] | face[3 * i + 2];
        o.mask_px += mask[i];
        o.face_px += f != 0;
        o.both += mask[i] && f;
        o.only_mask += mask[i] && !f;
        o.only_face += !mask[i] && f;
    }
    return o;
}

/* Reads the values of CSV row `frame` (1-based data row) of `path` into `out`. */
static int read_csv_row(const char *path, int frame, double *out, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    static char line[65536];
    int r = 0, n = 0;
    while (fgets(line, sizeof line, f)) {
        if (r++ != frame)
            continue;
        char *p = line;
        while (n < max && *p) {
            char *end;
            out[n++] = strtod(p, &end);
            if (end == p)
                break;
            p = end;
            while (*p == ',' || *p == ' ')
                p++;
        }
        break;
    }
    fclose(f);
    return n;
}

/* Rigid subset used by AlignFaceMask (extract_rigid_points, PIPELINE_SPEC §4.1 step 3). */
static const int RIGID[24] = {1,  2,  3,  4,  12, 13, 14, 15, 27, 28, 29, 31,
                              32, 33, 34, 35, 36, 39, 40, 41, 42, 45, 46, 47};

/* Approximate AlignFaceMask mask landmarks in double: scaled Kabsch similarity from the
 * detected landmarks to the reference shape (closed-form 2-D rotation), translation from
 * the CSV's p_tx, p_ty (printed with 3 decimals). */
static void aligned_landmarks(const double *lm, const float *ref, double tx, double ty,
                              float *pts2n)
{
    double ms[2] = {0, 0}, md[2] = {0, 0};
    for (int i = 0; i < 24; i++) {
        ms[0] += lm[RIGID[i]], ms[1] += lm[68 + RIGID[i]];
        md[0] += ref[RIGID[i]], md[1] += ref[68 + RIGID[i]];
    }
    for (int c = 0; c < 2; c++)
        ms[c] /= 24, md[c] /= 24;
    double ss = 0, sd = 0, dot = 0, cross = 0;
    for (int i = 0; i < 24; i++) {
        double ax = lm[RIGID[i]] - ms[0], ay = lm[68 + RIGID[i]] - ms[1];
        double bx = ref[RIGID[i]] - md[0], by = ref[68 + RIGID[i]] - md[1];
        ss += ax * ax + ay * ay;
        sd += bx * bx + by * by;
        dot += ax * bx + ay * by;
        cross += ax * by - ay * bx;
    }
    double s = sqrt(sd / ss), th = atan2(cross, dot);
    double A[4] = {s * cos(th), -s * sin(th), s * sin(th), s * cos(th)};
    double T0 = A[0] * tx + A[1] * ty, T1 = A[2] * tx + A[3] * ty;
    double t0 = 56 - T0, t1 = 56 - T1;
    for (int i = 0; i < 68; i++) {
        pts2n[i] = (float)(A[0] * lm[i] + A[1] * lm[68 + i] + t0);
        pts2n[68 + i] = (float)(A[2] * lm[i] + A[3] * lm[68 + i] + t1);
    }
    for (int k = 0; k < 12; k++)
        pts2n[68 + FOREHEAD[k]] -= 30.0f;
}

static void test_reference_faces(void)
{
    au_triangulation t = {0, NULL};
    float mean[204], ref[136], pts[136];
    static uint8_t face[112 * 112 * 3], mask[112 * 112];
    if (au_triangulation_load(&t, TRIS_PATH, 68, NULL) != AUFACE_OK ||
        !read_pdm_mean(PDM_PATH, mean, 204) ||
        !read_bmp24(REF_DIR "/aligned/frame_det_00_000001.bmp", face, 112, 112)) {
        CHECK(!"reference data missing");
        au_triangulation_free(&t);
        return;
    }
    /* Outside OpenFace's mask the aligned face is 0 in all channels, so the non-zero
     * region is (up to black pixels inside the face) the mask. */
    for (int i = 0; i < 136; i++)
        ref[i] = mean[i] * 0.7f; /* float(pdm.mean_shape · sim_scale), X then Y */

    /* 1. Template mask: the reference shape centred at (56, 56) with the forehead lift. */
    double cx = 0, cy = 0;
    for (int i = 0; i < 68; i++)
        cx += ref[i], cy += ref[68 + i];
    for (int i = 0; i < 68; i++) {
        pts[i] = (float)(ref[i] - cx / 68 + 56);
        pts[68 + i] = (float)(ref[68 + i] - cy / 68 + 56);
    }
    for (int k = 0; k < 12; k++)
        pts[68 + FOREHEAD[k]] -= 30.0f;
    au_paw_mask(&t, pts, 68, 112, 112, mask);
    overlap o = compare_mask_face(mask, face);
    double iou = (double)o.both / (o.both + o.only_mask + o.only_face);
    printf("  template mask vs frame 1: mask %d px, face %d px, IoU %.3f\n", o.mask_px,
           o.face_px, iou);
    CHECK(iou > 0.8);

    /* 2. Mask from frame 1's detected landmarks through an approximate AlignFaceMask
     *    similarity: should agree except for a few boundary pixels, for every frame
     *    checked. */
    static double row_lm[200], row_csv[800];
    int frames[5] = {1, 2, 50, 150, 288}, total_diff = 0, total_px = 0, worst = 0;
    for (int k = 0; k < 5; k++) {
        char bmp[256];
        snprintf(bmp, sizeof bmp, REF_DIR "/aligned/frame_det_00_%06d.bmp", frames[k]);
        int n_lm = read_csv_row(REF_DIR "/default_landmarks.csv", frames[k], row_lm, 200);
        int n_csv = read_csv_row(REF_DIR "/default.csv", frames[k], row_csv, 800);
        if (n_lm < 141 || n_csv < 645 || !read_bmp24(bmp, face, 112, 112)) {
            CHECK(!"reference frame missing");
            continue;
        }
        aligned_landmarks(row_lm + 5, ref, row_csv[643], row_csv[644], pts);
        au_paw_mask(&t, pts, 68, 112, 112, mask);
        overlap of = compare_mask_face(mask, face);
        int diff = of.only_mask + of.only_face;
        printf("  landmark mask vs frame %3d: mask %d px, face %d px, %d differ "
               "(%d only in mask, %d only in face)\n",
               frames[k], of.mask_px, of.face_px, diff, of.only_mask, of.only_face);
        total_diff += diff;
        total_px += of.mask_px;
        if (diff > worst)
            worst = diff;
        CHECK(of.only_face <= 10); /* nothing non-zero outside our mask, up to rounding */
    }
    printf("  landmark masks: %d of %d mask pixels differ over 5 frames\n", total_diff,
           total_px);
    CHECK(total_px > 0 && worst <= 20);

    au_triangulation_free(&t);
}

int main(void)
{
    test_load_real();
    test_load_malformed();
    test_mask_geometry();
    test_mask_against_reference();
    test_apply_mask();
    test_reference_faces();
    return check_report("test_paw");
}
