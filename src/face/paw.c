/* OpenFace PAW mask and triangulation loading; see paw.h. Rules cite OpenFace 2.2
 * LandmarkDetector/src/PAW.cpp and Utilities/src/Face_utils.cpp. */
#include "face/paw.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file_read.h"

/* ---------------------------------------------------------------------------------------
 * Triangulation file (ReadMat text format)
 * --------------------------------------------------------------------------------------- */

/* OpenCV type code CV_32SC1 that ReadMat expects for an integer matrix. */
#define TRI_TYPE_CV_32SC1 4
/* A sanity bound on the number of triangles (the real file has 111), so a corrupt header
 * cannot request a huge allocation. */
#define TRI_MAX_COUNT 100000
/* The real file is 2 kB; TRI_MAX_COUNT triangles take at most a few MB. */
#define TRI_MAX_FILE_BYTES (16L << 20)

typedef struct token_reader {
    const char *p;   /* current position in the NUL-terminated text */
    const char *path;
} token_reader;

/* Skips whitespace and '#' comment lines. */
static void skip_space(token_reader *r)
{
    for (;;) {
        while (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n' ||
               *r->p == '\f' || *r->p == '\v')
            r->p++;
        if (*r->p != '#')
            return;
        while (*r->p && *r->p != '\n')
            r->p++;
    }
}

/* Reads one integer token. Returns AUFACE_OK, or AUFACE_ERR_FORMAT naming `what` when the
 * text ends (truncated) or the token is not an integer. */
static auface_status read_int(token_reader *r, const char *what, int *out, au_err *err)
{
    skip_space(r);
    if (*r->p == '\0')
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: truncated: the file ends before %s",
                       r->path, what);
    char *end;
    errno = 0;
    long v = strtol(r->p, &end, 10);
    int token_ends = *end == '\0' || *end == ' ' || *end == '\t' || *end == '\r' ||
                     *end == '\n' || *end == '\f' || *end == '\v';
    if (end == r->p || !token_ends || errno == ERANGE || v < INT_MIN || v > INT_MAX) {
        int len = 0;
        while (r->p[len] && r->p[len] != ' ' && r->p[len] != '\n' && len < 24)
            len++;
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: %s: \"%.*s\" is not an integer", r->path,
                       what, len, r->p);
    }
    r->p = end;
    *out = (int)v;
    return AUFACE_OK;
}

/* Parses the ReadMat header and indices from `text` into `t`. */
static auface_status parse_triangulation(au_triangulation *t, const char *text,
                                         const char *path, int n_points, au_err *err)
{
    token_reader r = {text, path};
    int rows, cols, type;
    auface_status st;
    if ((st = read_int(&r, "the number of triangles (rows)", &rows, err)) != AUFACE_OK ||
        (st = read_int(&r, "the number of columns", &cols, err)) != AUFACE_OK ||
        (st = read_int(&r, "the matrix type", &type, err)) != AUFACE_OK)
        return st;
    if (rows <= 0 || rows > TRI_MAX_COUNT)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the triangle count %d is outside 1..%d", path, rows, TRI_MAX_COUNT);
    if (cols != 3)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: expected 3 columns (vertex indices), found %d", path, cols);
    if (type != TRI_TYPE_CV_32SC1)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: expected matrix type 4 (CV_32SC1), found %d", path, type);

    int *tri = malloc((size_t)rows * 3 * sizeof *tri);
    if (!tri)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory for %d triangles", path,
                       rows);
    for (int i = 0; i < rows * 3; i++) {
        char what[96];
        snprintf(what, sizeof what, "vertex %d of triangle %d (of %d declared)", i % 3 + 1,
                 i / 3 + 1, rows);
        if ((st = read_int(&r, what, &tri[i], err)) != AUFACE_OK) {
            free(tri);
            return st;
        }
        if (tri[i] < 0 || tri[i] >= n_points) {
            au_fail(err, AUFACE_ERR_FORMAT,
                    "%s: triangle %d has vertex index %d, outside 0..%d", path, i / 3 + 1,
                    tri[i], n_points - 1);
            free(tri);
            return AUFACE_ERR_FORMAT;
        }
    }
    skip_space(&r);
    if (*r.p != '\0') {
        free(tri);
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: unexpected data after the %d declared triangles: \"%.24s\"", path,
                       rows, r.p);
    }
    t->count = rows;
    t->tri = tri;
    return AUFACE_OK;
}

auface_status au_triangulation_load(au_triangulation *t, const char *path, int n_points,
                                    au_err *err)
{
    if (!t || !path || n_points <= 0) {
        if (t)
            t->count = 0, t->tri = NULL;
        return au_fail(err, AUFACE_ERR_ARG, "au_triangulation_load: invalid argument%s%s",
                       path ? " for " : "", path ? path : "");
    }
    t->count = 0;
    t->tri = NULL;
    unsigned char *text;
    size_t size;
    auface_status st =
        au_read_file(path, "triangulation", TRI_MAX_FILE_BYTES, AUFACE_ERR_IO, &text, &size, err);
    if (st != AUFACE_OK)
        return st;
    if (memchr(text, '\0', size))
        st = au_fail(err, AUFACE_ERR_FORMAT,
                     "%s: the triangulation contains NUL bytes (not a text file)", path);
    else
        st = parse_triangulation(t, (const char *)text, path, n_points, err);
    free(text);
    return st;
}

void au_triangulation_free(au_triangulation *t)
{
    if (!t)
        return;
    free(t->tri);
    t->tri = NULL;
    t->count = 0;
}

/* ---------------------------------------------------------------------------------------
 * PAW mask
 * --------------------------------------------------------------------------------------- */

/* PAW::sameSide(x0, y0, x1, y1, x2, y2, x3, y3): is (x0, y0) on the same side of the line
 * through (x2, y2)-(x3, y3) as (x1, y1)? All float; zero counts as the same side. */
static int same_side(float x0, float y0, float x1, float y1, float x2, float y2, float x3,
                     float y3)
{
    float x = (x3 - x2) * (y0 - y2) - (x0 - x2) * (y3 - y2);
    float y = (x3 - x2) * (y1 - y2) - (x1 - x2) * (y3 - y2);
    return x * y >= 0;
}

/* PAW::pointInTriangle: the three half-plane tests, in OpenFace's order. */
static int point_in_triangle(float x0, float y0, float x1, float y1, float x2, float y2,
                             float x3, float y3)
{
    int same_1 = same_side(x0, y0, x1, y1, x2, y2, x3, y3);
    int same_2 = same_side(x0, y0, x2, y2, x1, y1, x3, y3);
    int same_3 = same_side(x0, y0, x3, y3, x1, y1, x2, y2);
    return same_1 && same_2 && same_3;
}

/* Triangles whose geometry is precomputed on the stack by au_paw_mask (the real
 * triangulation has 111); any further ones are computed on the fly, with the same result. */
#define PAW_CACHED_TRIANGLES 256

/* PAW "triangle_points": the vertices x_j, y_j, x_k, y_k, x_l, y_l and the bounding box.
 * OpenFace takes the box with cv::minMaxIdx over the three float coordinates (in double)
 * and stores it back as float: the same as float min/max. */
typedef struct tri_geom {
    float v[6];
    float min_x, min_y, max_x, max_y;
} tri_geom;

static float min3(float a, float b, float c)
{
    float m = a < b ? a : b;
    return m < c ? m : c;
}

static float max3(float a, float b, float c)
{
    float m = a > b ? a : b;
    return m > c ? m : c;
}

static void triangle_geometry(const au_triangulation *t, const float *pts2n, int n, int i,
                              tri_geom *g)
{
    for (int c = 0; c < 3; c++) {
        int idx = t->tri[3 * i + c];
        g->v[2 * c] = pts2n[idx];
        g->v[2 * c + 1] = pts2n[n + idx];
    }
    g->min_x = min3(g->v[0], g->v[2], g->v[4]);
    g->max_x = max3(g->v[0], g->v[2], g->v[4]);
    g->min_y = min3(g->v[1], g->v[3], g->v[5]);
    g->max_y = max3(g->v[1], g->v[3], g->v[5]);
}

/* The cached triangles are tracked in bit sets, one bit per triangle in file order. */
#define PAW_WORDS (PAW_CACHED_TRIANGLES / 64)
/* Columns whose candidate sets are built at once (the stack holds this many sets). */
#define PAW_BLOCK_COLUMNS 256

static int in_triangle(const tri_geom *g, float x0, float y0)
{
    return point_in_triangle(x0, y0, g->v[0], g->v[1], g->v[2], g->v[3], g->v[4], g->v[5]);
}

static int outside_box(const tri_geom *g, float x0, float y0)
{
    return g->max_x < x0 || g->min_x > x0 || g->max_y < y0 || g->min_y > y0;
}

/* The integer columns lo..hi (clipped to 0..w−1; empty when lo > hi) whose x passes the
 * bounding-box test, i.e. min_x ≤ x ≤ max_x, as the float comparison decides it for x
 * exact in float. A NaN coordinate empties the range: such a triangle passes the box test
 * but never pointInTriangle (a NaN product is not ≥ 0), so it is never found. */
static void box_columns(const tri_geom *g, int w, int *lo, int *hi)
{
    *lo = 1;
    *hi = 0;
    if (g->min_x != g->min_x || g->max_x != g->max_x || g->max_x < 0.f ||
        g->min_x > (float)(w - 1))
        return;
    *lo = g->min_x <= 0.f ? 0 : (int)ceilf(g->min_x);
    *hi = g->max_x >= (float)(w - 1) ? w - 1 : (int)floorf(g->max_x);
}

typedef struct tri_set {
    const au_triangulation *t;
    const float *pts2n;
    int n;
    int cached; /* triangles 0..cached−1 have their geometry in `cache` */
    const tri_geom *cache;
} tri_set;

/* Geometry of triangle i: from the cache, or computed into `tmp`. */
static const tri_geom *get_triangle(const tri_set *s, int i, tri_geom *tmp)
{
    if (i < s->cached)
        return &s->cache[i];
    triangle_geometry(s->t, s->pts2n, s->n, i, tmp);
    return tmp;
}

/* Sets, for each column x0..x0+ncols−1, the bits of the cached triangles of `row` (those
 * whose box contains the row) whose box also contains the column. */
static void column_candidates(const int *row, int n_row, const int *lo, const int *hi, int x0,
                              int ncols, uint64_t sets[][PAW_WORDS])
{
    memset(sets, 0, (size_t)ncols * sizeof sets[0]);
    for (int k = 0; k < n_row; k++) {
        const int i = row[k];
        const int from = lo[i] > x0 ? lo[i] : x0;
        const int to = hi[i] < x0 + ncols - 1 ? hi[i] : x0 + ncols - 1;
        for (int x = from; x <= to; x++)
            sets[x - x0][i / 64] |= (uint64_t)1 << (i % 64);
    }
}

/* The rest of PAW::findTriangle once the guess failed: the triangles in order, skipping
 * those whose bounding box excludes the point; returns the first that contains it, or −1.
 * `set` holds the cached triangles whose box contains the point, so visiting its bits in
 * increasing order (then the uncached triangles, which all have larger indices) gives the
 * same answer as the scan. */
static int scan_triangles(const tri_set *s, const uint64_t set[PAW_WORDS], float x0, float y0)
{
    for (int word = 0; word < PAW_WORDS; word++)
        for (uint64_t bits = set[word]; bits; bits &= bits - 1) {
            const int i = 64 * word + __builtin_ctzll(bits);
            if (in_triangle(&s->cache[i], x0, y0))
                return i;
        }
    tri_geom tmp;
    for (int i = s->cached; i < s->t->count; i++) {
        triangle_geometry(s->t, s->pts2n, s->n, i, &tmp);
        if (!outside_box(&tmp, x0, y0) && in_triangle(&tmp, x0, y0))
            return i;
    }
    return -1;
}

/* How many pixels x, x+1, … (before x_end) of row y0 in a row lie in triangle g: the run of
 * pixels for which the guess of findTriangle stands. */
static int run_in_triangle_portable(const tri_geom *g, float y0, int x, int x_end)
{
    int run = 0;
    while (x + run < x_end && in_triangle(g, (float)(x + run), y0))
        run++;
    return run;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* One sameSide test for eight points (px, y0) at once, with the same float operations:
 * x = (x3−x2)(y0−y2) − (px−x2)(y3−y2), y = (x3−x2)(y1−y2) − (x1−x2)(y3−y2), x·y ≥ 0. The
 * terms without px are the scalar code's own values; AVX2 without FMA rounds each product
 * as it does. */
__attribute__((target("avx2"))) static __m256 same_side8(__m256 px, float y0, float x1,
                                                          float y1, float x2, float y2,
                                                          float x3, float y3)
{
    const float first = (x3 - x2) * (y0 - y2);
    const float y = (x3 - x2) * (y1 - y2) - (x1 - x2) * (y3 - y2);
    const __m256 second = _mm256_mul_ps(_mm256_sub_ps(px, _mm256_set1_ps(x2)),
                                        _mm256_set1_ps(y3 - y2));
    const __m256 x = _mm256_sub_ps(_mm256_set1_ps(first), second);
    return _mm256_cmp_ps(_mm256_mul_ps(x, _mm256_set1_ps(y)), _mm256_setzero_ps(), _CMP_GE_OQ);
}

__attribute__((target("avx2"))) static int run_in_triangle_avx2(const tri_geom *g, float y0,
                                                                int x, int x_end)
{
    const float *v = g->v;
    const __m256 lanes = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    int run = 0;
    while (x + run + 8 <= x_end) {
        const __m256 px = _mm256_add_ps(_mm256_set1_ps((float)(x + run)), lanes);
        const __m256 inside =
            _mm256_and_ps(_mm256_and_ps(same_side8(px, y0, v[0], v[1], v[2], v[3], v[4], v[5]),
                                        same_side8(px, y0, v[2], v[3], v[0], v[1], v[4], v[5])),
                          same_side8(px, y0, v[4], v[5], v[0], v[1], v[2], v[3]));
        const unsigned mask = (unsigned)_mm256_movemask_ps(inside);
        if (mask != 0xffu)
            return run + __builtin_ctz(~mask);
        run += 8;
    }
    return run + run_in_triangle_portable(g, y0, x + run, x_end);
}

static int run_in_triangle(const tri_geom *g, float y0, int x, int x_end)
{
    if (__builtin_cpu_supports("avx2"))
        return run_in_triangle_avx2(g, y0, x, x_end);
    return run_in_triangle_portable(g, y0, x, x_end);
}
#else
static int run_in_triangle(const tri_geom *g, float y0, int x, int x_end)
{
    return run_in_triangle_portable(g, y0, x, x_end);
}
#endif

void au_paw_mask(const au_triangulation *t, const float *pts2n, int n, int w, int h,
                 uint8_t *mask)
{
    if (w <= 0 || h <= 0)
        return;
    memset(mask, 0, (size_t)w * (size_t)h);
    if (!t || t->count <= 0 || !pts2n)
        return;
    tri_geom cache[PAW_CACHED_TRIANGLES];
    int lo[PAW_CACHED_TRIANGLES], hi[PAW_CACHED_TRIANGLES], row[PAW_CACHED_TRIANGLES];
    uint64_t sets[PAW_BLOCK_COLUMNS][PAW_WORDS];
    tri_set s = {t, pts2n, n, t->count < PAW_CACHED_TRIANGLES ? t->count : PAW_CACHED_TRIANGLES,
                 cache};
    for (int i = 0; i < s.cached; i++) {
        triangle_geometry(t, pts2n, n, i, &cache[i]);
        box_columns(&cache[i], w, &lo[i], &hi[i]);
    }
    /* PAW second constructor: curr_tri carries over from pixel to pixel (and row to row);
     * the sample point is (x + min_x, y + min_y) with min_x = min_y = 0. */
    int curr_tri = -1;
    for (int y = 0; y < h; y++) {
        const float y0 = (float)y;
        int n_row = 0;
        for (int i = 0; i < s.cached; i++)
            if (!(cache[i].max_y < y0 || cache[i].min_y > y0) && lo[i] <= hi[i])
                row[n_row++] = i;
        for (int x0 = 0; x0 < w; x0 += PAW_BLOCK_COLUMNS) {
            const int ncols = w - x0 < PAW_BLOCK_COLUMNS ? w - x0 : PAW_BLOCK_COLUMNS;
            column_candidates(row, n_row, lo, hi, x0, ncols, sets);
            uint8_t *mask_row = mask + (size_t)y * (size_t)w;
            for (int x = x0; x < x0 + ncols;) {
                /* PAW::findTriangle: the guess (the previous pixel's triangle) stands, with
                 * no bounding-box test, for as long as the pixels lie in it; then the scan. */
                if (curr_tri != -1) {
                    tri_geom tmp;
                    const int run =
                        run_in_triangle(get_triangle(&s, curr_tri, &tmp), y0, x, x0 + ncols);
                    memset(mask_row + x, 1, (size_t)run);
                    x += run;
                    if (x == x0 + ncols)
                        break;
                }
                curr_tri = scan_triangles(&s, sets[x - x0], (float)x, y0);
                if (curr_tri != -1)
                    mask_row[x] = 1;
                x++;
            }
        }
    }
}

void au_apply_mask_u8c3(uint8_t *img, int w, int h, size_t stride, const uint8_t *mask)
{
    for (int y = 0; y < h; y++) {
        uint8_t *row = img + (size_t)y * stride;
        const uint8_t *m = mask + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                /* cv::multiply(..., scale 1, CV_8U): saturate_cast<uchar>(v·m). */
                unsigned v = (unsigned)row[3 * x + c] * m[x];
                row[3 * x + c] = (uint8_t)(v > 255 ? 255 : v);
            }
    }
}
