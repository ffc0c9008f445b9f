/* dlib FHOG for OpenFace: see fhog.h. Every numeric rule below follows dlib 19.13
 * dlib/image_transforms/fhog.h, impl_fhog::impl_extract_fhog_features (cell_size > 1 path)
 * with the rgb get_gradient overloads, and dlib/simd/simd4f.h, simd8f.h for the vector
 * operations; "dlib" below means that file unless another is named. */
#include "face/fhog.h"

#include <math.h>

/* dlib: `matrix<float,2,1> directions[9]`, unit vectors at 0, 20, ..., 160 degrees, given
 * as double literals with 4 decimals and stored as float (hence the casts, which keep the
 * literal's double -> float rounding). */
static const float dir_x[9] = {(float)1.0000,  (float)0.9397,  (float)0.7660,
                               (float)0.500,   (float)0.1736,  (float)-0.1736,
                               (float)-0.5000, (float)-0.7660, (float)-0.9397};
static const float dir_y[9] = {(float)0.0000, (float)0.3420, (float)0.6428,
                               (float)0.8660, (float)0.9848, (float)0.9848,
                               (float)0.8660, (float)0.6428, (float)0.3420};

enum { HIST_BINS = 18 }; /* dlib: matrix<float,18,1> per cell, signed orientations */

/* Geometry of one extraction, all derived as dlib derives it. */
typedef struct fhog_geom {
    int cells_nr, cells_nc; /* cells per axis */
    int hog_nr, hog_nc;     /* output cells per axis (cells - 2) */
    int visible_nr, visible_nc;
    int simd_end;           /* columns 1 .. simd_end-1 take dlib's 8-wide SIMD path */
} fhog_geom;

static int geom_init(int width, int height, int cell_size, fhog_geom *g)
{
    if (width <= 0 || height <= 0 || cell_size < 2)
        return 0;
    /* dlib: cells_nr = (int)((float)img.nr()/(float)cell_size + 0.5) */
    g->cells_nr = (int)((double)((float)height / (float)cell_size) + 0.5);
    g->cells_nc = (int)((double)((float)width / (float)cell_size) + 0.5);
    g->hog_nr = g->cells_nr - 2 > 0 ? g->cells_nr - 2 : 0;
    g->hog_nc = g->cells_nc - 2 > 0 ? g->cells_nc - 2 : 0;
    if (g->hog_nr == 0 || g->hog_nc == 0)
        return 0;
    /* dlib: visible_nr = min(cells_nr*cell_size, img.nr()) - 1; gradient centres are
     * 1 .. visible-1, so every neighbour read stays inside the image. */
    int vis_r = g->cells_nr * cell_size, vis_c = g->cells_nc * cell_size;
    g->visible_nr = (vis_r < height ? vis_r : height) - 1;
    g->visible_nc = (vis_c < width ? vis_c : width) - 1;
    /* dlib: `for (x = 1; x < visible_nc - 7; x += 8)` then `for (; x < visible_nc; x++)` */
    int x = 1;
    while (x < g->visible_nc - 7)
        x += 8;
    g->simd_end = x;
    return 1;
}

void au_fhog_dims(int width, int height, int cell_size, int *rows, int *cols)
{
    fhog_geom g;
    int ok = geom_init(width, height, cell_size, &g);
    *rows = ok ? g.hog_nr : 0;
    *cols = ok ? g.hog_nc : 0;
}

/* Scratch layout (floats): padded histograms, cell energies, three image rows as colour
 * planes, then arrays over the image columns: gradient, squared length and bin of the
 * current row, and the per-column bilinear weight and left cell index. */
typedef struct fhog_scratch {
    float *hist;     /* (cells_nr+2) x (cells_nc+2) x 18; one padding cell each side */
    float *norm;     /* cells_nr x cells_nc */
    float *planes;   /* 3 rows x 3 colours x (visible_nc+1) pixels: rows y-1, y, y+1 */
    float *gx, *gy;  /* width: chosen gradient of row y */
    float *len;      /* width: squared gradient length of row y */
    float *bin;      /* width: orientation bin 0..17 of row y (small integers as float) */
    float *col_w0;   /* width: x weight of the right cell (dlib vx0) */
    float *col_cell; /* width: padded index of the left cell (small integer as float) */
} fhog_scratch;

static size_t hist_floats(const fhog_geom *g)
{
    return (size_t)(g->cells_nr + 2) * (size_t)(g->cells_nc + 2) * HIST_BINS;
}

size_t au_fhog_scratch_floats(int width, int height, int cell_size)
{
    fhog_geom g;
    if (!geom_init(width, height, cell_size, &g))
        return 0;
    return hist_floats(&g) + (size_t)g.cells_nr * (size_t)g.cells_nc + 15 * (size_t)width;
}

static fhog_scratch scratch_split(float *scratch, const fhog_geom *g, int width)
{
    fhog_scratch s;
    s.hist = scratch;
    s.norm = s.hist + hist_floats(g);
    s.planes = s.norm + (size_t)g->cells_nr * (size_t)g->cells_nc;
    s.gx = s.planes + 9 * (size_t)width;
    s.gy = s.gx + width;
    s.len = s.gy + width;
    s.bin = s.len + width;
    s.col_w0 = s.bin + width;
    s.col_cell = s.col_w0 + width;
    return s;
}

/* Horizontal x weights. dlib computes them differently in its two column paths:
 *   SIMD:   xp = (x + 0.5f)/cs + 0.5f in float; ixp = (int)xp (truncation, simd8i(simd8f));
 *           the +0.5 already includes the +1 of the padded histogram.
 *   scalar: xp = (float)((x + 0.5)/cs - 0.5) in double; ixp = floor(xp); padded ixp + 1.
 * Both give vx0 = xp - ixp (float). For cs = 8 the two are identical; they are kept
 * separate so other cell sizes round as dlib does. */
static void column_weights(const fhog_geom *g, int cell_size, fhog_scratch *s)
{
    const float cs = (float)cell_size;
    for (int x = 1; x < g->simd_end; x++) {
        float xp = ((float)x + 0.5f) / cs + 0.5f;
        int ixp = (int)xp;
        s->col_w0[x] = xp - (float)ixp;
        s->col_cell[x] = (float)ixp;
    }
    for (int x = g->simd_end; x < g->visible_nc; x++) {
        float xp = (float)(((double)x + 0.5) / (double)cell_size - 0.5);
        int ixp = (int)floorf(xp);
        s->col_w0[x] = xp - (float)ixp;
        s->col_cell[x] = (float)(ixp + 1);
    }
}

/* Row y of the image as three float planes (blue, green, red) of pixels 0 .. n-1; small
 * integers, so every gradient sum below is exact in float, as dlib's integer sums are. */
static void deinterleave_row(const uint8_t *restrict row, int n, float *restrict blue,
                             float *restrict green, float *restrict red)
{
    for (int x = 0; x < n; x++) {
        blue[x] = (float)row[3 * x];
        green[x] = (float)row[3 * x + 1];
        red[x] = (float)row[3 * x + 2];
    }
}

/* Whether the challenger (squared length `challenger`) replaces the current channel
 * (`current`). dlib's tie rules (get_gradient):
 *   SIMD (simd8f overload): t = rlen > glen ? red : green; then tlen > blen ? t : blue,
 *     so a tie goes to the later channel (green over red, blue over the winner);
 *   scalar (matrix overload): red, replaced only by a strictly larger green, then blue,
 *     so a tie keeps the earlier channel. */
static inline int replaces(float challenger, float current, int ties_to_later)
{
    return ties_to_later ? challenger >= current : challenger > current;
}

/* One row's image planes: [0] blue, [1] green, [2] red (bgr_pixel's .blue/.green/.red). */
typedef struct planes {
    const float *ch[3];
} planes;

/* Gradients of row y (planes mid, with up = y-1 and down = y+1), columns x_begin ..
 * x_end-1: per colour channel central differences; the channel with the largest squared
 * length wins, ties broken by `ties_to_later` (see replaces). Writes gx, gy and the
 * squared length. Branch-free so that it vectorises (the rule is a constant after
 * inlining). */
static inline void gradient_span(planes up, planes mid, planes down, int x_begin, int x_end,
                                 int ties_to_later, float *restrict gx_out,
                                 float *restrict gy_out, float *restrict len_out)
{
    const float *restrict ub = up.ch[0], *restrict ug = up.ch[1], *restrict ur = up.ch[2];
    const float *restrict mb = mid.ch[0], *restrict mg = mid.ch[1], *restrict mr = mid.ch[2];
    const float *restrict db = down.ch[0], *restrict dg = down.ch[1], *restrict dr = down.ch[2];
    for (int x = x_begin; x < x_end; x++) {
        const float rx = mr[x + 1] - mr[x - 1], ry = dr[x] - ur[x];
        const float gx = mg[x + 1] - mg[x - 1], gy = dg[x] - ug[x];
        const float bx = mb[x + 1] - mb[x - 1], by = db[x] - ub[x];
        const float rlen = rx * rx + ry * ry, glen = gx * gx + gy * gy;
        const float blen = bx * bx + by * by;

        const int take_green = replaces(glen, rlen, ties_to_later);
        const float tx = take_green ? gx : rx, ty = take_green ? gy : ry;
        const float tlen = take_green ? glen : rlen;
        const int take_blue = replaces(blen, tlen, ties_to_later);
        gx_out[x] = take_blue ? bx : tx;
        gy_out[x] = take_blue ? by : ty;
        len_out[x] = take_blue ? blen : tlen;
    }
}

/* A candidate orientation: |dot| with direction o and its signed bin (o, or o+9 for -u_o). */
typedef struct candidate {
    float val, bin;
} candidate;

static inline candidate make_candidate(float dot, float o)
{
    candidate c = {fabsf(dot), dot < 0.0f ? o + 9.0f : o};
    return c;
}

/* The earlier candidate unless the later one is strictly larger. */
static inline candidate first_max(candidate earlier, candidate later)
{
    return later.val > earlier.val ? later : earlier;
}

/* Snaps (gx, gy) to one of 18 signed orientations. dlib (both loops) scans o = 0..8 and
 * takes dot_o, else -dot_o, whenever it is strictly larger than the best so far, which
 * starts at 0 with bin 0. At most one of dot_o, -dot_o can beat a best >= 0, so this is
 * the first o with the largest |dot_o|, bin o if dot_o > 0 and o+9 if dot_o < 0; a zero
 * gradient gives bin 0. The first maximum is reduced as a tree (ties keep the earlier
 * side), which vectorises and shortens the dependency chain.
 * dot_o = gx*u_o.x + gy*u_o.y in float, as dlib. Directions o and 9-o are mirror images
 * (u.x negated, same u.y), and float products are sign-symmetric, so dot_{9-o} =
 * gy*u_o.y - gx*u_o.x exactly; dot_0 = gx*1 + gy*0 = gx. */
static void orientation_span(int x_begin, int x_end, const float *restrict gx,
                             const float *restrict gy, float *restrict bin)
{
    for (int x = x_begin; x < x_end; x++) {
        const float u = gx[x], v = gy[x];
        float px[5], py[5];
        for (int o = 1; o < 5; o++) {
            px[o] = u * dir_x[o];
            py[o] = v * dir_y[o];
        }
        candidate a = first_max(make_candidate(u, 0.0f), make_candidate(px[1] + py[1], 1.0f));
        candidate b = first_max(make_candidate(px[2] + py[2], 2.0f),
                                make_candidate(px[3] + py[3], 3.0f));
        candidate c = first_max(make_candidate(px[4] + py[4], 4.0f),
                                make_candidate(py[4] - px[4], 5.0f));
        candidate d = first_max(make_candidate(py[3] - px[3], 6.0f),
                                make_candidate(py[2] - px[2], 7.0f));
        candidate best = first_max(first_max(a, b), first_max(c, d));
        bin[x] = first_max(best, make_candidate(py[1] - px[1], 8.0f)).bin;
    }
}

/* Bilinear votes of row y into the histograms of rows iyp and iyp+1 (padded iyp+1, iyp+2),
 * in dlib's order: x ascending; per pixel the (top,left), (bottom,left), (top,right),
 * (bottom,right) cells. The products associate differently in dlib's two paths:
 * SIMD: vy * (vx * v); scalar: (vy * vx) * v. */
static void vote_row(const fhog_geom *g, const fhog_scratch *s, int iyp, float vy0)
{
    const float vy1 = (float)(1.0 - (double)vy0); /* dlib: const float vy1 = 1.0 - vy0 */
    const size_t row_len = (size_t)(g->cells_nc + 2) * HIST_BINS;
    float *top = s->hist + (size_t)(iyp + 1) * row_len;
    float *bottom = top + row_len;

    for (int x = 1; x < g->simd_end; x++) {
        const float v = sqrtf(s->len[x]); /* dlib: v = sqrt(v), float */
        const float vx0 = s->col_w0[x], vx1 = 1.0f - vx0;
        const float wx1 = vx1 * v, wx0 = vx0 * v; /* dlib: vx1 *= v; vx0 *= v; */
        const size_t left = (size_t)s->col_cell[x] * HIST_BINS + (size_t)s->bin[x];
        top[left] += vy1 * wx1;
        bottom[left] += vy0 * wx1;
        top[left + HIST_BINS] += vy1 * wx0;
        bottom[left + HIST_BINS] += vy0 * wx0;
    }
    for (int x = g->simd_end; x < g->visible_nc; x++) {
        const float v = sqrtf(s->len[x]); /* dlib: v = sqrt(v), float */
        const float vx0 = s->col_w0[x];
        const float vx1 = (float)(1.0 - (double)vx0); /* dlib: const float vx1 = 1.0 - vx0 */
        const size_t left = (size_t)s->col_cell[x] * HIST_BINS + (size_t)s->bin[x];
        top[left] += vy1 * vx1 * v;
        bottom[left] += vy0 * vx1 * v;
        top[left + HIST_BINS] += vy1 * vx0 * v;
        bottom[left + HIST_BINS] += vy0 * vx0 * v;
    }
}

/* Colour plane `channel` (0 blue, 1 green, 2 red) of ring slot `slot`. */
static float *plane_row(const fhog_scratch *s, int n_px, int slot, int channel)
{
    return s->planes + (size_t)(3 * slot + channel) * (size_t)n_px;
}

static void build_histograms(const uint8_t *bgr, size_t stride, int cell_size,
                             const fhog_geom *g, fhog_scratch *s)
{
    const size_t n = hist_floats(g);
    for (size_t i = 0; i < n; i++)
        s->hist[i] = 0.0f;
    column_weights(g, cell_size, s);

    /* Image rows 0 .. visible_nr and columns 0 .. visible_nc are read, converted to colour
     * planes in a ring of three rows: image row r lives in slot r % 3. */
    const int n_px = g->visible_nc + 1;
    planes ring[3];
    for (int slot = 0; slot < 3; slot++)
        for (int c = 0; c < 3; c++)
            ring[slot].ch[c] = plane_row(s, n_px, slot, c);
    for (int r = 0; r < 2; r++) /* visible_nr >= 4 whenever the map is not empty */
        deinterleave_row(bgr + (size_t)r * stride, n_px, plane_row(s, n_px, r, 0),
                         plane_row(s, n_px, r, 1), plane_row(s, n_px, r, 2));

    for (int y = 1; y < g->visible_nr; y++) {
        const int k_down = (y + 1) % 3;
        deinterleave_row(bgr + (size_t)(y + 1) * stride, n_px, plane_row(s, n_px, k_down, 0),
                         plane_row(s, n_px, k_down, 1), plane_row(s, n_px, k_down, 2));
        const planes up = ring[(y - 1) % 3], mid = ring[y % 3], down = ring[k_down];
        gradient_span(up, mid, down, 1, g->simd_end, 1, s->gx, s->gy, s->len);
        gradient_span(up, mid, down, g->simd_end, g->visible_nc, 0, s->gx, s->gy, s->len);
        orientation_span(1, g->visible_nc, s->gx, s->gy, s->bin);

        /* dlib: yp = ((float)y + 0.5)/(float)cell_size - 0.5 in double, stored as float */
        const float yp = (float)(((double)(float)y + 0.5) / (double)(float)cell_size - 0.5);
        const int iyp = (int)floorf(yp);
        vote_row(g, s, iyp, yp - (float)iyp);
    }
}

/* dlib: norm[r][c] = sum over o = 0..8 of (H[o] + H[o+9])^2, accumulated in float. */
static void cell_energies(const fhog_geom *g, fhog_scratch *s)
{
    const size_t padded_nc = (size_t)g->cells_nc + 2;
    for (int r = 0; r < g->cells_nr; r++) {
        for (int c = 0; c < g->cells_nc; c++) {
            const float *h = s->hist + ((size_t)(r + 1) * padded_nc + (size_t)(c + 1)) * HIST_BINS;
            float e = 0.0f;
            for (int o = 0; o < 9; o++)
                e += (h[o] + h[o + 9]) * (h[o] + h[o + 9]);
            s->norm[(size_t)r * (size_t)g->cells_nc + (size_t)c] = e;
        }
    }
}

/* dlib's `sum(simd4f)` for the SSE2 build (dlib/simd/simd4f.h): (a0 + a2) + (a1 + a3). */
static inline float lane_sum(const float a[4])
{
    return (a[0] + a[2]) + (a[1] + a[3]);
}

/* The 31 features of output cell (y, x), which describes histogram cell (y+1, x+1).
 * dlib keeps the four block normalisations in the four lanes of a simd4f:
 *   lane k uses the 2x2 block of energies whose top-left is norm[y+dy][x+dx] with
 *   (dy, dx) = (1,1), (0,1), (1,0), (0,0), summed as ((a + b) + c) + d in dlib's
 *   z1 + z2 + z3 + z4 order (a = top-left, b = top-right, c = bottom-left, d = bottom-right);
 *   nn = 0.2f*sqrt(sum + eps), n = 0.1f/nn; a value h contributes min(h, nn)*n
 *   (= 0.5*min(h/sqrt(sum+eps), 0.2) up to rounding). */
static void cell_features(const fhog_geom *g, const fhog_scratch *s, int y, int x, float *f)
{
    static const int lane_dy[4] = {1, 0, 1, 0}, lane_dx[4] = {1, 1, 0, 0};
    const float eps = (float)0.0001;           /* dlib: const float eps = 0.0001 */
    const float truncation = (float)0.2;       /* dlib: nn = 0.2*sqrt(...) */
    const float half_truncation = (float)0.1;  /* dlib: n = 0.1/nn */
    const float texture = (float)(2 * 0.2357); /* dlib: t *= 2*0.2357 */
    const size_t nc = (size_t)g->cells_nc;

    float nn[4], n[4];
    for (int k = 0; k < 4; k++) {
        const float *e = s->norm + (size_t)(y + lane_dy[k]) * nc + (size_t)(x + lane_dx[k]);
        float block = ((e[0] + e[1]) + e[nc]) + e[nc + 1];
        nn[k] = truncation * sqrtf(block + eps);
        n[k] = half_truncation / nn[k];
    }

    const float *h = s->hist + ((size_t)(y + 2) * (nc + 2) + (size_t)(x + 2)) * HIST_BINS;
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};

    /* contrast-sensitive: dlib processes the bins in groups of three and adds each group
     * to the texture sums as t += h0 + h1 + h2. */
    for (int o = 0; o < HIST_BINS; o += 3) {
        float hv[3][4];
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 4; k++)
                hv[i][k] = (h[o + i] < nn[k] ? h[o + i] : nn[k]) * n[k];
            f[o + i] = lane_sum(hv[i]);
        }
        for (int k = 0; k < 4; k++)
            t[k] += (hv[0][k] + hv[1][k]) + hv[2][k];
    }

    /* contrast-insensitive: H[o] + H[o+9] */
    for (int o = 0; o < 9; o++) {
        const float u = h[o] + h[o + 9];
        float hv[4];
        for (int k = 0; k < 4; k++)
            hv[k] = (u < nn[k] ? u : nn[k]) * n[k];
        f[18 + o] = lane_sum(hv);
    }

    /* texture: one value per normalisation, in lane order */
    for (int k = 0; k < 4; k++)
        f[27 + k] = t[k] * texture;
}

void au_fhog_extract_bgr(const uint8_t *bgr, int width, int height, size_t stride,
                         int cell_size, float *scratch, float *out)
{
    fhog_geom g;
    if (!geom_init(width, height, cell_size, &g))
        return;
    fhog_scratch s = scratch_split(scratch, &g, width);

    build_histograms(bgr, stride, cell_size, &g, &s);
    cell_energies(&g, &s);
    for (int y = 0; y < g.hog_nr; y++)
        for (int x = 0; x < g.hog_nc; x++)
            cell_features(&g, &s, y, x,
                          out + ((size_t)y * (size_t)g.hog_nc + (size_t)x) * AU_FHOG_CHANNELS);
}
