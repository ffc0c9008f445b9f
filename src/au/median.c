#include "au/median.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct au_median {
    int dim;
    int num_bins;
    double min_val;
    double alpha;        /* convertTo scale, see au_median_bin */
    double beta;         /* convertTo shift */
    int32_t *hist;       /* dim x num_bins counts, row i = dimension i */
    int32_t *pos;        /* per dimension: the current median bin */
    int32_t *cum;        /* per dimension: sum of hist[i][0..pos[i]] */
    uint64_t *occupied;  /* dim x words bit sets: bit j of row i = hist[i][j] > 0 */
    int words;           /* 64-bit words per row of `occupied` */
    double *centres;     /* num_bins bin centres */
    double *median;      /* dim current median values */
    int count;           /* OpenFace hist_count: descriptors added */
    int started;         /* 0 until the first update (OpenFace: histogram.empty()) */
};

auface_status au_median_create(au_median **out, int dim, int num_bins, double min_val,
                               double max_val, au_err *err)
{
    *out = NULL;
    if (dim < 1 || num_bins < 1 || !isfinite(min_val) || !isfinite(max_val) ||
        min_val == max_val)
        return au_fail(err, AUFACE_ERR_ARG,
                       "au_median_create: invalid histogram (dim %d, %d bins, range %g..%g)",
                       dim, num_bins, min_val, max_val);
    au_median *m = calloc(1, sizeof *m);
    if (!m)
        return au_fail(err, AUFACE_ERR_NOMEM, "au_median_create: out of memory");
    m->dim = dim;
    m->num_bins = num_bins;
    m->min_val = min_val;
    m->hist = calloc((size_t)dim * (size_t)num_bins, sizeof *m->hist);
    m->pos = calloc((size_t)dim, sizeof *m->pos);
    m->cum = calloc((size_t)dim, sizeof *m->cum);
    m->words = (num_bins + 63) / 64;
    m->occupied = calloc((size_t)dim * (size_t)m->words, sizeof *m->occupied);
    m->centres = malloc((size_t)num_bins * sizeof *m->centres);
    m->median = calloc((size_t)dim, sizeof *m->median);
    if (!m->hist || !m->pos || !m->cum || !m->occupied || !m->centres || !m->median) {
        au_median_free(m);
        return au_fail(err, AUFACE_ERR_NOMEM,
                       "au_median_create: out of memory for a %d x %d histogram", dim, num_bins);
    }

    /* UpdateRunningMedian: length = |max - min|. */
    double length = max_val - min_val;
    if (length < 0)
        length = -length;

    /* OpenCV builds (descriptor - min)*num_bins/length as one MatExpr: s = -min, then
     * `* num_bins` multiplies alpha and s, then `/ length` multiplies both by 1./length
     * (matrix_expressions.cpp: operator-(Mat, Scalar), MatOp_AddEx::multiply,
     * operator/(MatExpr, double)). */
    double inv_length = 1. / length;
    m->alpha = (1.0 * (double)num_bins) * inv_length;
    m->beta = (-min_val * (double)num_bins) * inv_length;

    /* Bin centres, with UpdateRunningMedian's operation order:
     * min + j*(length/num_bins) + (0.5*length)/num_bins. */
    double width = length / (double)num_bins;
    double half = (0.5 * length) / (double)num_bins;
    for (int j = 0; j < num_bins; j++)
        m->centres[j] = min_val + (double)j * width + half;

    *out = m;
    return AUFACE_OK;
}

int au_median_bin(const au_median *m, double value)
{
    /* convertTo's cvt_64f: v_fma(x, alpha, beta), fused on OpenCV's AVX2 path. */
    double v = fma(value, m->alpha, m->beta);
    /* converted.setTo(num_bins-1, converted > num_bins-1); converted.setTo(0, converted < 0);
     * NaN fails both tests in OpenCV; here it goes to bin 0 instead of an undefined index. */
    if (v > (double)(m->num_bins - 1))
        v = (double)(m->num_bins - 1);
    if (!(v >= 0.0))
        v = 0.0;
    return (int)v;
}

double au_median_bin_centre(const au_median *m, int j)
{
    return m->centres[j];
}

/* The first occupied bin at or after `from` in a row's bit set, or −1. */
static int next_occupied(const uint64_t *row, int words, int from)
{
    int k = from >> 6;
    if (k >= words)
        return -1;
    uint64_t x = row[k] & (~0ull << (from & 63));
    while (!x) {
        if (++k >= words)
            return -1;
        x = row[k];
    }
    return k * 64 + __builtin_ctzll(x);
}

/* The last occupied bin at or before `from`, or −1. */
static int previous_occupied(const uint64_t *row, int from)
{
    if (from < 0)
        return -1;
    int k = from >> 6;
    uint64_t x = row[k] & (~0ull >> (63 - (from & 63)));
    while (!x) {
        if (--k < 0)
            return -1;
        x = row[k];
    }
    return k * 64 + 63 - __builtin_clzll(x);
}

/* Moves dimension i's median bin to the first bin whose cumulative count reaches `cutoff`.
 * One added value changes the cumulative counts by at most one and the cutoff by at most
 * one, so the bin moves little, but it crosses the empty bins in between, which early in a
 * video (few values, spread over up to 10 000 bins) are many: those are skipped through the
 * occupancy bits, where they add nothing to the cumulative count. */
static void seek_median_bin(au_median *m, int i, int32_t cutoff)
{
    const int32_t *h = m->hist + (size_t)i * (size_t)m->num_bins;
    const uint64_t *row = m->occupied + (size_t)i * (size_t)m->words;
    int32_t p = m->pos[i];
    int32_t c = m->cum[i];
    /* The total count of the row is m->count >= cutoff, so an occupied bin is found. */
    while (c < cutoff) {
        const int next = next_occupied(row, m->words, p + 1);
        if (next < 0)
            break;
        p = next;
        c += h[p];
    }
    /* Down while the bins below still hold `cutoff` values; below the last occupied bin
     * every bin is empty down to 0, where the walk stops. */
    while (p > 0 && c - h[p] >= cutoff) {
        c -= h[p];
        const int below = previous_occupied(row, p - 1);
        p = below < 0 ? 0 : below;
    }
    m->pos[i] = p;
    m->cum[i] = c;
}

void au_median_update(au_median *m, const double *descriptor, int add)
{
    const int dim = m->dim;
    if (!m->started) {
        /* UpdateRunningMedian: a new histogram starts with median = descriptor. */
        memcpy(m->median, descriptor, (size_t)dim * sizeof *m->median);
        m->started = 1;
    }
    if (add) {
        m->count++;
        /* cutoff_point = (hist_count + 1)/2, integer division. */
        const int32_t cutoff = (int32_t)((m->count + 1) / 2);
        for (int i = 0; i < dim; i++) {
            int b = au_median_bin(m, descriptor[i]);
            m->hist[(size_t)i * (size_t)m->num_bins + (size_t)b]++;
            m->occupied[(size_t)i * (size_t)m->words + (size_t)(b >> 6)] |= 1ull << (b & 63);
            if (b <= m->pos[i])
                m->cum[i]++;
            seek_median_bin(m, i, cutoff);
        }
    }
    if (m->count == 1) {
        /* hist_count == 1: the median is the current call's descriptor. */
        memcpy(m->median, descriptor, (size_t)dim * sizeof *m->median);
    } else {
        for (int i = 0; i < dim; i++)
            m->median[i] = m->centres[m->pos[i]];
    }
}

void au_median_clamp_below(au_median *m, double floor)
{
    for (int i = 0; i < m->dim; i++)
        if (m->median[i] < floor)
            m->median[i] = floor;
}

const double *au_median_values(const au_median *m)
{
    return m->median;
}

int au_median_count(const au_median *m)
{
    return m->count;
}

int au_median_dim(const au_median *m)
{
    return m->dim;
}

void au_median_reset(au_median *m)
{
    memset(m->hist, 0, (size_t)m->dim * (size_t)m->num_bins * sizeof *m->hist);
    memset(m->pos, 0, (size_t)m->dim * sizeof *m->pos);
    memset(m->cum, 0, (size_t)m->dim * sizeof *m->cum);
    memset(m->occupied, 0, (size_t)m->dim * (size_t)m->words * sizeof *m->occupied);
    memset(m->median, 0, (size_t)m->dim * sizeof *m->median);
    m->count = 0;
    m->started = 0;
}

void au_median_free(au_median *m)
{
    if (!m)
        return;
    free(m->hist);
    free(m->pos);
    free(m->cum);
    free(m->occupied);
    free(m->centres);
    free(m->median);
    free(m);
}
