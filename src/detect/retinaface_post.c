/* RetinaFace pre- and post-processing; see retinaface_post.h for the rules and sources. */
#include "detect/retinaface_post.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "math/resize.h"

/* cfg_mnet (biubug6 data/config.py): anchor steps, min_sizes per level, variances. */
#define NUM_LEVELS 3
static const int STEPS[NUM_LEVELS] = {8, 16, 32};
static const int MIN_SIZES[NUM_LEVELS][2] = {{16, 32}, {64, 128}, {256, 512}};
#define VARIANCE_CENTER 0.1
#define VARIANCE_SIZE 0.2

double au_retinaface_scale(int w, int h, int net_w, int net_h)
{
    if (w <= 0 || h <= 0 || net_w <= 0 || net_h <= 0)
        return 0.0;
    double sx = (double)net_w / w, sy = (double)net_h / h;
    return sx < sy ? sx : sy;
}

void au_retinaface_input(const uint8_t *bgr, int w, int h, size_t stride, int net_w, int net_h,
                         float *input_nchw, double *scale_out)
{
    double s = au_retinaface_scale(w, h, net_w, net_h);
    *scale_out = s;
    if (s <= 0.0)
        return;
    size_t plane = (size_t)net_w * (size_t)net_h;
    memset(input_nchw, 0, 3 * plane * sizeof *input_nchw);

    int rw = w, rh = h;
    if (s != 1.0) {
        rw = au_resize_scaled_size(w, s);
        rh = au_resize_scaled_size(h, s);
        if (rw > net_w || rh > net_h) /* cannot happen: w·s ≤ net_w rounds to ≤ net_w */
            return;
        au_f32_layout planar = {(size_t)net_w, 1, plane};
        au_resize_bilinear_u8c3_to_f32_scale(bgr, w, h, stride, s, input_nchw, planar);
    } else {
        for (int y = 0; y < h; y++) {
            const uint8_t *row = bgr + (size_t)y * stride;
            float *d = input_nchw + (size_t)y * net_w;
            for (int x = 0; x < w; x++) {
                d[x] = row[3 * x];
                d[plane + x] = row[3 * x + 1];
                d[2 * plane + x] = row[3 * x + 2];
            }
        }
    }
    /* Mean subtraction on the image part only: the padding stays 0. */
    const float mean[3] = {AU_RETINAFACE_MEAN_B, AU_RETINAFACE_MEAN_G, AU_RETINAFACE_MEAN_R};
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < rh; y++) {
            float *d = input_nchw + c * plane + (size_t)y * net_w;
            for (int x = 0; x < rw; x++)
                d[x] -= mean[c];
        }
}

static int ceil_div(int a, int b)
{
    return (a + b - 1) / b;
}

size_t au_retinaface_num_priors(int net_w, int net_h)
{
    if (net_w <= 0 || net_h <= 0)
        return 0;
    size_t n = 0;
    for (int k = 0; k < NUM_LEVELS; k++)
        n += (size_t)ceil_div(net_h, STEPS[k]) * (size_t)ceil_div(net_w, STEPS[k]) * 2;
    return n;
}

void au_retinaface_priors(int net_w, int net_h, float *priors4)
{
    if (net_w <= 0 || net_h <= 0)
        return;
    float *p = priors4;
    for (int k = 0; k < NUM_LEVELS; k++) {
        int step = STEPS[k], rows = ceil_div(net_h, step), cols = ceil_div(net_w, step);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                for (int m = 0; m < 2; m++) {
                    double ms = MIN_SIZES[k][m];
                    p[0] = (float)((j + 0.5) * step / net_w);
                    p[1] = (float)((i + 0.5) * step / net_h);
                    p[2] = (float)(ms / net_w);
                    p[3] = (float)(ms / net_h);
                    p += 4;
                }
    }
}

/* A prior above the score threshold, its box in image pixels. */
typedef struct candidate {
    double x1, y1, x2, y2, area;
    float score;
    int prior;
    int suppressed;
} candidate;

size_t au_retinaface_scratch_bytes(int num_priors)
{
    if (num_priors <= 0)
        return 0;
    return (size_t)num_priors * sizeof(candidate) + _Alignof(candidate);
}

static candidate *aligned_candidates(void *scratch)
{
    uintptr_t a = (uintptr_t)scratch, al = _Alignof(candidate);
    return (candidate *)(void *)((a + al - 1) / al * al);
}

/* Descending score; equal scores: higher prior index first (numpy argsort()[::-1]). */
static int by_score_desc(const void *pa, const void *pb)
{
    const candidate *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->prior < b->prior) - (a->prior > b->prior);
}

/* box_utils.decode + the ×(W, H) / resize of detect.py, in double. */
static void decode_box(const float *loc, const float *prior, int net_w, int net_h, double scale,
                       candidate *c)
{
    double pcx = prior[0], pcy = prior[1], pw = prior[2], ph = prior[3];
    double cx = pcx + loc[0] * VARIANCE_CENTER * pw;
    double cy = pcy + loc[1] * VARIANCE_CENTER * ph;
    double bw = pw * exp(loc[2] * VARIANCE_SIZE);
    double bh = ph * exp(loc[3] * VARIANCE_SIZE);
    double x1 = cx - bw / 2, y1 = cy - bh / 2;
    double x2 = x1 + bw, y2 = y1 + bh;
    c->x1 = x1 * net_w / scale;
    c->y1 = y1 * net_h / scale;
    c->x2 = x2 * net_w / scale;
    c->y2 = y2 * net_h / scale;
    c->area = (c->x2 - c->x1 + 1) * (c->y2 - c->y1 + 1);
}

/* box_utils.decode_landm, scaled like the boxes. */
static void decode_landmarks(const float *d, const float *prior, int net_w, int net_h,
                             double scale, float out[10])
{
    double pcx = prior[0], pcy = prior[1], pw = prior[2], ph = prior[3];
    for (int k = 0; k < 5; k++) {
        double x = pcx + d[2 * k] * VARIANCE_CENTER * pw;
        double y = pcy + d[2 * k + 1] * VARIANCE_CENTER * ph;
        out[2 * k] = (float)(x * net_w / scale);
        out[2 * k + 1] = (float)(y * net_h / scale);
    }
}

/* py_cpu_nms overlap of two boxes with the "+1" pixel convention. */
static double iou_plus_one(const candidate *a, const candidate *b)
{
    double xx1 = fmax(a->x1, b->x1), yy1 = fmax(a->y1, b->y1);
    double xx2 = fmin(a->x2, b->x2), yy2 = fmin(a->y2, b->y2);
    double iw = fmax(0.0, xx2 - xx1 + 1), ih = fmax(0.0, yy2 - yy1 + 1);
    double inter = iw * ih;
    return inter / (a->area + b->area - inter);
}

int au_retinaface_decode(const float *loc, const float *conf, const float *landms,
                         const float *priors, int num_priors, int net_w, int net_h, double scale,
                         double score_threshold, double nms_iou, au_face_box *out, int max_out,
                         void *scratch)
{
    if (num_priors <= 0 || net_w <= 0 || net_h <= 0 || !(scale > 0) || max_out <= 0)
        return 0;
    candidate *cand = aligned_candidates(scratch);
    int n = 0;
    for (int r = 0; r < num_priors; r++) {
        float score = conf[2 * r + 1];
        if (!((double)score > score_threshold))
            continue;
        candidate *c = &cand[n++];
        decode_box(loc + 4 * (size_t)r, priors + 4 * (size_t)r, net_w, net_h, scale, c);
        c->score = score;
        c->prior = r;
        c->suppressed = 0;
    }
    qsort(cand, (size_t)n, sizeof *cand, by_score_desc);

    /* Greedy NMS; a box is only suppressed by higher-scoring kept boxes, so stopping after
     * max_out kept boxes gives the first max_out boxes of the full result. */
    int kept = 0;
    for (int i = 0; i < n && kept < max_out; i++) {
        if (cand[i].suppressed)
            continue;
        const candidate *k = &cand[i];
        au_face_box *b = &out[kept++];
        b->x1 = (float)k->x1;
        b->y1 = (float)k->y1;
        b->x2 = (float)k->x2;
        b->y2 = (float)k->y2;
        b->score = k->score;
        decode_landmarks(landms + 10 * (size_t)k->prior, priors + 4 * (size_t)k->prior, net_w,
                         net_h, scale, b->landmarks);
        for (int j = i + 1; j < n; j++)
            if (!cand[j].suppressed && !(iou_plus_one(k, &cand[j]) <= nms_iou))
                cand[j].suppressed = 1; /* py_cpu_nms keeps only `ovr <= thresh` */
    }
    return kept;
}
