#include "math/openblas_gram.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* x86-64 with GCC or Clang: an AVX2/FMA kernel chosen at run time (as landmark/ccnf.c
 * does). AU_OPENBLAS_GRAM_NO_SIMD builds only the portable code. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) &&                         \
    !defined(AU_OPENBLAS_GRAM_NO_SIMD)
#define AU_GRAM_X86 1
#include <immintrin.h>
#endif

#define MAXC AU_OPENBLAS_GRAM_MAX_COLS
/* Column tiles of 8 (and row tiles of 8 or 4) of the AVX2 path. */
#define TILES (MAXC / 8)

/* ---- which elements the kernel sums with two accumulators -------------------------------
 * split[col·P + row] marks element (row, col) of the column-major P x P result C. */

/* Marks the rows [from, from + count) of columns [c0, c0 + width) as two-accumulator
 * tiles. */
static void mark_split(unsigned char *split, int P, int c0, int width, int from, int count)
{
    for (int c = c0; c < c0 + width && c < P; c++)
        for (int r = from; r < from + count && r < P; r++)
            split[c * P + r] = 1;
}

/* The tiles of a P x P sgemm_ result that sgemm_kernel_8x4_haswell_2.c accumulates with
 * two partial sums (COMPUTE_H_m8n6, COMPUTE_T_m8n6, COMPUTE_m8n4 and COMPUTE_m8n8, whose
 * loops take two k per step once K >= 8). */
static void haswell_split_tiles(int P, int K, unsigned char *split)
{
    memset(split, 0, (size_t)P * P);
    if (K < 8)
        return; /* the two-accumulator loops need 8 k at least */
    for (int c0 = 0; c0 < P;) {
        /* driver/level3/level3.c: panels of 3, 2 or 1 x GEMM_UNROLL_N (4) columns */
        const int rest = P - c0;
        const int width = rest >= 12 ? 12 : rest >= 8 ? 8 : rest > 4 ? 4 : rest;
        if (width == 12 && P >= 16) {
            /* COMPUTE_n12: left and right halves of 6 columns, staggered by 8 rows */
            mark_split(split, P, c0, 6, 0, 8); /* COMPUTE_H_m8n6 (left, rows 0-7) */
            int row = 0, left = P;
            for (;;) {
                row += 8; /* COMPUTE_R_m16n6 */
                left -= 8;
                if (left < 16) {
                    mark_split(split, P, c0, 6, row, 8); /* COMPUTE_T_m8n6 (left) */
                    break;
                }
                row += 8; /* COMPUTE_L_m16n6 */
                left -= 8;
                if (left < 16) {
                    mark_split(split, P, c0 + 6, 6, row, 8); /* COMPUTE_T_m8n6 (right) */
                    break;
                }
            }
        } else if (width == 4 || width == 8) {
            mark_split(split, P, c0, width, 0, P / 8 * 8); /* COMPUTE_m8n4 / COMPUTE_m8n8 */
        }
        c0 += width;
    }
}

/* ---- portable kernel ---------------------------------------------------------------------- */

/* Row r of Awᵀ·A for columns [c0, cols): the single chain and the even/odd pair. Each
 * element keeps its own chain in k order, so computing many c together (which vectorises)
 * gives the same bits as one element at a time. */
static inline __attribute__((always_inline)) void
gram_row(const float *A, const float *Aw, int rows, int cols, int ld, int r, int c0,
         float *single, float *even, float *odd)
{
    for (int c = c0; c < cols; c++)
        single[c] = even[c] = odd[c] = 0.0f;
    for (int k = 0; k < rows; k++) {
        const float a = Aw[(size_t)k * ld + r];
        const float *row = A + (size_t)k * ld;
        for (int c = c0; c < cols; c++)
            single[c] = fmaf(a, row[c], single[c]);
    }
    const int blocked = rows >= 8 ? rows / 8 * 8 : 0;
    int k = 0;
    for (; k < blocked; k += 2) {
        const float a0 = Aw[(size_t)k * ld + r], a1 = Aw[(size_t)(k + 1) * ld + r];
        const float *row0 = A + (size_t)k * ld, *row1 = row0 + ld;
        for (int c = c0; c < cols; c++) {
            even[c] = fmaf(a0, row0[c], even[c]);
            odd[c] = fmaf(a1, row1[c], odd[c]);
        }
    }
    for (; k < rows; k++) {
        const float a = Aw[(size_t)k * ld + r];
        const float *row = A + (size_t)k * ld;
        for (int c = c0; c < cols; c++)
            even[c] = fmaf(a, row[c], even[c]);
    }
}

/* Cloned for FMA hardware, where fmaf is one instruction instead of a libm call; fmaf is
 * exactly rounded either way, so both clones give the same bits. */
__attribute__((target_clones("fma", "default"))) static void
gram_row_portable(const float *A, const float *Aw, int rows, int cols, int ld, int r, int c0,
                  float *single, float *even, float *odd)
{
    gram_row(A, Aw, rows, cols, ld, r, c0, single, even, odd);
}

/* ---- AVX2/FMA kernel -------------------------------------------------------------------- */

#ifdef AU_GRAM_X86
static int cpu_has_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* The chains in register tiles: an 8-row x 8-column tile of single chains (8 accumulators,
 * one per row r, each 8 columns wide: one load of A's row k and 8 broadcasts of Aw[k][r] per
 * step) and 4-row x 8-column tiles of even/odd pairs. Independent chains side by side keep
 * the FMA units busy; every element still has its own chain in k order. Rows and columns
 * past `cols` inside a tile compute values that are never used. Results go to S and P,
 * MAXC x MAXC with row stride MAXC. */
__attribute__((target("avx2,fma"))) static void
single_tile_avx2(const float *A, const float *Aw, int rows, int ld, int r0, int v, float *S)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
           a7 = a0;
    const float *ac = A + 8 * v, *wr = Aw + r0;
    for (int k = 0; k < rows; k++, ac += ld, wr += ld) {
        const __m256 x = _mm256_loadu_ps(ac);
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 0), x, a0);
        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 1), x, a1);
        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 2), x, a2);
        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 3), x, a3);
        a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 4), x, a4);
        a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 5), x, a5);
        a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 6), x, a6);
        a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 7), x, a7);
    }
    float *o = S + (size_t)r0 * MAXC + 8 * v;
    _mm256_storeu_ps(o, a0);
    _mm256_storeu_ps(o + MAXC, a1);
    _mm256_storeu_ps(o + 2 * MAXC, a2);
    _mm256_storeu_ps(o + 3 * MAXC, a3);
    _mm256_storeu_ps(o + 4 * MAXC, a4);
    _mm256_storeu_ps(o + 5 * MAXC, a5);
    _mm256_storeu_ps(o + 6 * MAXC, a6);
    _mm256_storeu_ps(o + 7 * MAXC, a7);
}

__attribute__((target("avx2,fma"))) static void
pair_tile_avx2(const float *A, const float *Aw, int rows, int ld, int r0, int v, float *P)
{
    __m256 e0 = _mm256_setzero_ps(), e1 = e0, e2 = e0, e3 = e0;
    __m256 o0 = e0, o1 = e0, o2 = e0, o3 = e0;
    const int blocked = rows >= 8 ? rows / 8 * 8 : 0;
    const float *ac = A + 8 * v, *wr = Aw + r0;
    int k = 0;
    for (; k < blocked; k += 2, ac += 2 * (size_t)ld, wr += 2 * (size_t)ld) {
        const __m256 x0 = _mm256_loadu_ps(ac), x1 = _mm256_loadu_ps(ac + ld);
        e0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 0), x0, e0);
        o0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + ld + 0), x1, o0);
        e1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 1), x0, e1);
        o1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + ld + 1), x1, o1);
        e2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 2), x0, e2);
        o2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + ld + 2), x1, o2);
        e3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 3), x0, e3);
        o3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + ld + 3), x1, o3);
    }
    for (; k < rows; k++, ac += ld, wr += ld) {
        const __m256 x = _mm256_loadu_ps(ac);
        e0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 0), x, e0);
        e1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 1), x, e1);
        e2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 2), x, e2);
        e3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wr + 3), x, e3);
    }
    /* the kernel adds the two accumulators at the end: even + odd, in float */
    float *o = P + (size_t)r0 * MAXC + 8 * v;
    _mm256_storeu_ps(o, _mm256_add_ps(e0, o0));
    _mm256_storeu_ps(o + MAXC, _mm256_add_ps(e1, o1));
    _mm256_storeu_ps(o + 2 * MAXC, _mm256_add_ps(e2, o2));
    _mm256_storeu_ps(o + 3 * MAXC, _mm256_add_ps(e3, o3));
}

/* S (single chains) and P (even + odd) for the rows r < cols, in tiles; with sym only the
 * tiles on or right of the diagonal. */
/* Whether any of the split flags of row r, columns c0..c0+w−1 (w <= 8) is 1 (*any1) or 0
 * (*any0); the flags are 0/1 bytes, tested 8 at a time. */
static void scan_flags(const unsigned char *split, int cols, int r, int c0, int w, int *any1,
                       int *any0)
{
    uint64_t v = 0, ones = 0;
    memcpy(&v, split + r * cols + c0, (size_t)w);
    memcpy(&ones, "\1\1\1\1\1\1\1\1", (size_t)w);
    *any1 |= v != 0;
    *any0 |= v != ones;
}

/* Which tiles gram_tiles_avx2 must sum: need_single[(a/8)·TILES + b/8] and
 * need_pair[(a/4)·TILES + b/8] for tile element (a, b) holding H(r, c) with (a, b) = (r, c),
 * or (c, r) when sym and c < r. A tile whose elements all take the other pattern is never
 * read. On the diagonal tiles of the sym case the elements below the diagonal are counted
 * too (a tile summed needlessly changes no bits). */
static void tile_needs(const unsigned char *split, int cols, int sym, unsigned char *need_single,
                       unsigned char *need_pair)
{
    memset(need_single, 0, TILES * TILES);
    memset(need_pair, 0, 2 * TILES * TILES);
    for (int a0 = 0; a0 < cols; a0 += 4)
        for (int b0 = sym ? a0 / 8 * 8 : 0; b0 < cols; b0 += 8) {
            const int ha = cols - a0 < 4 ? cols - a0 : 4, wb = cols - b0 < 8 ? cols - b0 : 8;
            int any1 = 0, any0 = 0;
            for (int r = a0; r < a0 + ha; r++) /* H(r, c) for r in the tile's rows */
                scan_flags(split, cols, r, b0, wb, &any1, &any0);
            if (sym) /* H(c, r) with c in the tile's columns, mirrored into it */
                for (int r = b0; r < b0 + wb; r++)
                    scan_flags(split, cols, r, a0, ha, &any1, &any0);
            need_pair[a0 / 4 * TILES + b0 / 8] |= (unsigned char)any1;
            need_single[a0 / 8 * TILES + b0 / 8] |= (unsigned char)any0;
        }
}

typedef au_gram_plan gram_plan;

_Static_assert(TILES == AU_OPENBLAS_GRAM_TILES, "the plan's tile tables");
static void build_plan(int cols, int rows, int sym, gram_plan *plan)
{
    unsigned char split[MAXC * MAXC];
    haswell_split_tiles(cols, rows, split);
    tile_needs(split, cols, sym, plan->need_single, plan->need_pair);
    /* Row-major H(r, c) is C(c, r) of the column-major BLAS result: split[r·cols + c].
     * With sym only the tiles on or right of the diagonal are summed: H(r, c) with c < r
     * reads the chain of (c, r), which is the same. */
    for (int r = 0; r < cols; r++)
        for (int c = 0; c < cols; c++) {
            const int a = sym && c < r ? c : r, b = sym && c < r ? r : c;
            plan->src[r * cols + c] =
                (uint16_t)((split[r * cols + c] ? MAXC * MAXC : 0) + a * MAXC + b);
        }
    plan->cols = cols;
    plan->blocked = rows >= 8;
    plan->sym = sym;
}

/* The plan for this shape: the caller's, rebuilt if it was made for another shape. */
static const gram_plan *plan_for(int cols, int rows, int sym, gram_plan *plan)
{
    if (plan->cols != cols || plan->blocked != (rows >= 8) || plan->sym != sym)
        build_plan(cols, rows, sym, plan);
    return plan;
}

/* H[i] = st[src[i]] for i < count, eight at a time with a gather. */
__attribute__((target("avx2"))) static void gather_avx2(const float *st, const uint16_t *src,
                                                        int count, float *H)
{
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256i idx = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + i)));
        _mm256_storeu_ps(H + i, _mm256_i32gather_ps(st, idx, 4));
    }
    for (; i < count; i++)
        H[i] = st[src[i]];
}

static void gram_tiles_avx2(const float *A, const float *Aw, int rows, int cols, int ld,
                            int sym, const unsigned char *need_single,
                            const unsigned char *need_pair, float *S, float *P)
{
    const int nv = (cols + 7) / 8;
    for (int r0 = 0; r0 < cols; r0 += 8)
        for (int v = sym ? r0 / 8 : 0; v < nv; v++) {
            if (need_single[r0 / 8 * TILES + v])
                single_tile_avx2(A, Aw, rows, ld, r0, v, S);
            if (need_pair[r0 / 4 * TILES + v])
                pair_tile_avx2(A, Aw, rows, ld, r0, v, P);
            if (r0 + 4 < cols && need_pair[(r0 / 4 + 1) * TILES + v])
                pair_tile_avx2(A, Aw, rows, ld, r0 + 4, v, P);
        }
}
#endif

void au_openblas_gram_f32(const float *A, const float *Aw, int rows, int cols, int ld,
                          const float *d, float *H, au_gram_plan *plan)
{
    if (cols < 1 || cols > MAXC)
        return;
    const int sym = A == Aw;
#ifdef AU_GRAM_X86
    if (ld >= (cols + 7) / 8 * 8 && cpu_has_avx2_fma()) {
        /* Only the tiles holding an element that takes that pattern are summed (for the
         * 40-column non-rigid Hessian most tiles are single chains only); the others are
         * never read. */
        gram_plan own;
        if (!plan) {
            own.cols = 0;
            plan = &own;
        }
        const gram_plan *p = plan_for(cols, rows, sym, plan);
        float st[2 * MAXC * MAXC]; /* S (single chains), then P (even + odd) */
        gram_tiles_avx2(A, Aw, rows, cols, ld, sym, p->need_single, p->need_pair, st,
                        st + MAXC * MAXC);
        gather_avx2(st, p->src, cols * cols, H);
        for (int r = 0; r < cols; r++)
            H[r * cols + r] = (d ? d[r] : 0.0f) + H[r * cols + r];
        return;
    }
#endif
    (void)plan; /* the portable path needs none */
    unsigned char split[MAXC * MAXC];
    haswell_split_tiles(cols, rows, split);
    /* Row-major H(r, c) is C(c, r) of the column-major BLAS result: split[r·cols + c]. With
     * A == Aw the chains of (r, c) and (c, r) coincide, so only c >= r is summed. */
    float single[MAXC], even[MAXC], odd[MAXC];
    for (int r = 0; r < cols; r++) {
        const int c0 = sym ? r : 0;
        gram_row_portable(A, Aw, rows, cols, ld, r, c0, single, even, odd);
        for (int c = c0; c < cols; c++) {
            const float pair = even[c] + odd[c];
            const float acc = split[r * cols + c] ? pair : single[c];
            H[r * cols + c] = r == c ? (d ? d[r] : 0.0f) + acc : acc;
            if (sym && c != r)
                H[c * cols + r] = split[c * cols + r] ? pair : single[c];
        }
    }
}
