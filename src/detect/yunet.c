/* YuNet detector; see yunet.h for the steps and their sources. */
#include "detect/yunet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math/resize.h"

/* FaceDetectorYNImpl: strides {8, 16, 32}, divisor 32 (face_detect.cpp constructor). */
#define NUM_STRIDES 3
static const int STRIDES[NUM_STRIDES] = {8, 16, 32};
#define DIVISOR 32

/* Output kinds in OpenCV's output_names order: cls, obj, bbox, kps, each "<kind>_<stride>". */
enum { OUT_CLS, OUT_OBJ, OUT_BBOX, OUT_KPS, NUM_KINDS };
static const char *const KIND_NAMES[NUM_KINDS] = {"cls", "obj", "bbox", "kps"};
static const int KIND_WIDTHS[NUM_KINDS] = {1, 1, 4, 10};

/* A cell whose score passed the threshold, in network-input pixels (float, as postProcess). */
typedef struct candidate {
    float x1, y1, w, h;
    float landmarks[10];
    float score;
    int order;          /* position in OpenCV's faces matrix: stride, then row-major cell */
    int rx, ry, rw, rh; /* Rect2i(int(x1), int(y1), int(w), int(h)) for NMSBoxes */
} candidate;

struct au_yunet {
    const au_nn_model *model;
    au_nn_runtime *rt;
    int frame_w, frame_h; /* size the runtime is planned for */
    double scale;         /* network pixels per frame pixel */
    int img_w, img_h;     /* the scaled frame inside the network input */
    int net_w, net_h;     /* network input, multiples of 32 */
    int outputs[NUM_KINDS][NUM_STRIDES];
    int max_candidates;   /* cells over all strides */
    candidate *cands;     /* max_candidates */
    int *sorted;          /* max_candidates: indices into cands in score order */
    int *kept;            /* max_candidates: indices into cands, NMS result */
};

auface_status au_yunet_create(au_yunet **out, const au_nn_model *model, au_err *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the YuNet detector");
    (*out)->model = model;
    return AUFACE_OK;
}

static void release_plan(au_yunet *yn)
{
    au_nn_runtime_destroy(yn->rt);
    free(yn->cands);
    free(yn->sorted);
    free(yn->kept);
    yn->rt = NULL;
    yn->cands = NULL;
    yn->sorted = yn->kept = NULL;
    yn->frame_w = yn->frame_h = 0;
}

/* padWithDivisor's size: (int((n − 1) / 32) + 1)·32. */
static int pad_to_divisor(int n)
{
    return ((n - 1) / DIVISOR + 1) * DIVISOR;
}

static auface_status find_outputs(au_yunet *yn, au_err *err)
{
    for (int k = 0; k < NUM_KINDS; k++)
        for (int s = 0; s < NUM_STRIDES; s++) {
            char name[16];
            snprintf(name, sizeof name, "%s_%d", KIND_NAMES[k], STRIDES[s]);
            int idx = au_nn_runtime_output_index(yn->rt, name);
            if (idx < 0)
                return au_fail(err, AUFACE_ERR_FORMAT, "%s: no output named %s (not a YuNet model?)",
                               au_nn_model_path(yn->model), name);
            au_nn_shape shape;
            au_nn_runtime_output(yn->rt, idx, &shape);
            const int cells = (yn->net_h / STRIDES[s]) * (yn->net_w / STRIDES[s]);
            if (shape.ndim != 3 || shape.dims[1] != cells || shape.dims[2] != KIND_WIDTHS[k])
                return au_fail(err, AUFACE_ERR_FORMAT,
                               "%s: output %s is not [1 x %d x %d] for a %dx%d input",
                               au_nn_model_path(yn->model), name, cells, KIND_WIDTHS[k],
                               yn->net_w, yn->net_h);
            yn->outputs[k][s] = idx;
        }
    return AUFACE_OK;
}

static auface_status plan(au_yunet *yn, int w, int h, au_err *err)
{
    release_plan(yn);
    const int longer = w > h ? w : h;
    yn->scale = longer > AU_YUNET_MAX_SIDE ? (double)AU_YUNET_MAX_SIDE / longer : 1.0;
    yn->img_w = yn->scale != 1.0 ? au_resize_scaled_size(w, yn->scale) : w;
    yn->img_h = yn->scale != 1.0 ? au_resize_scaled_size(h, yn->scale) : h;
    yn->net_w = pad_to_divisor(yn->img_w);
    yn->net_h = pad_to_divisor(yn->img_h);
    const int shape[4] = {1, 3, yn->net_h, yn->net_w};
    auface_status st = au_nn_runtime_create(&yn->rt, yn->model, shape, err);
    if (st != AUFACE_OK)
        return st;
    if ((st = find_outputs(yn, err)) != AUFACE_OK) {
        release_plan(yn);
        return st;
    }
    yn->max_candidates = 0;
    for (int s = 0; s < NUM_STRIDES; s++)
        yn->max_candidates += (yn->net_h / STRIDES[s]) * (yn->net_w / STRIDES[s]);
    yn->cands = malloc(sizeof *yn->cands * (size_t)yn->max_candidates);
    yn->sorted = malloc(sizeof *yn->sorted * (size_t)yn->max_candidates);
    yn->kept = malloc(sizeof *yn->kept * (size_t)yn->max_candidates);
    if (!yn->cands || !yn->sorted || !yn->kept) {
        release_plan(yn);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory planning YuNet for %dx%d", w, h);
    }
    yn->frame_w = w;
    yn->frame_h = h;
    return AUFACE_OK;
}

/* Step 1-2 of yunet.h: the frame (scaled when needed) as float BGR into the runtime's NHWC
 * input, zeros on the right and bottom padding. The padding is written every time because
 * the runtime may reuse its input memory for activations. */
static void fill_input(au_yunet *yn, const uint8_t *bgr, int w, int h, size_t stride)
{
    float *in = au_nn_runtime_input_nhwc(yn->rt);
    const size_t row = 3 * (size_t)yn->net_w;
    if (yn->scale != 1.0) {
        const au_f32_layout nhwc = {row, 3, 1};
        au_resize_bilinear_u8c3_to_f32_scale(bgr, w, h, stride, yn->scale, in, nhwc);
    } else {
        for (int y = 0; y < h; y++) {
            const uint8_t *src = bgr + (size_t)y * stride;
            float *dst = in + (size_t)y * row;
            for (int x = 0; x < 3 * w; x++)
                dst[x] = src[x];
        }
    }
    const size_t pad_right = 3 * (size_t)(yn->net_w - yn->img_w);
    if (pad_right)
        for (int y = 0; y < yn->img_h; y++)
            memset(in + (size_t)y * row + 3 * (size_t)yn->img_w, 0, pad_right * sizeof *in);
    memset(in + (size_t)yn->img_h * row, 0, (size_t)(yn->net_h - yn->img_h) * row * sizeof *in);
}

static float clamp01(float v)
{
    return v > 1.f ? 1.f : (v < 0.f ? 0.f : v);
}

/* int(v) as C++ truncates (toward zero), with out-of-range values (exp overflow in a broken
 * model) clamped instead of undefined. */
static int truncate_to_int(float v)
{
    const float limit = 1073741824.f; /* 2^30: keeps x + w within int */
    if (!(v > -limit))
        return v != v ? 0 : -(int)limit;
    if (v > limit)
        return (int)limit;
    return (int)v;
}

/* Step 3: the cells with score ≥ AU_YUNET_SCORE, decoded in float as postProcess does. */
static int collect_candidates(const au_yunet *yn)
{
    int n = 0, order = 0;
    for (int s = 0; s < NUM_STRIDES; s++) {
        const float *cls = au_nn_runtime_output(yn->rt, yn->outputs[OUT_CLS][s], NULL);
        const float *obj = au_nn_runtime_output(yn->rt, yn->outputs[OUT_OBJ][s], NULL);
        const float *bbox = au_nn_runtime_output(yn->rt, yn->outputs[OUT_BBOX][s], NULL);
        const float *kps = au_nn_runtime_output(yn->rt, yn->outputs[OUT_KPS][s], NULL);
        const int step = STRIDES[s], cols = yn->net_w / step, rows = yn->net_h / step;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++, order++) {
                const int i = r * cols + c;
                const float score = sqrtf(clamp01(cls[i]) * clamp01(obj[i]));
                if (!(score >= AU_YUNET_SCORE)) /* also skips NaN (OpenCV: score < threshold) */
                    continue;
                candidate *cd = &yn->cands[n++];
                const float *b = bbox + 4 * (size_t)i, *k = kps + 10 * (size_t)i;
                const float cx = ((float)c + b[0]) * (float)step;
                const float cy = ((float)r + b[1]) * (float)step;
                cd->w = expf(b[2]) * (float)step;
                cd->h = expf(b[3]) * (float)step;
                cd->x1 = cx - cd->w / 2.f;
                cd->y1 = cy - cd->h / 2.f;
                for (int p = 0; p < 5; p++) {
                    cd->landmarks[2 * p] = (k[2 * p] + (float)c) * (float)step;
                    cd->landmarks[2 * p + 1] = (k[2 * p + 1] + (float)r) * (float)step;
                }
                cd->score = score;
                cd->order = order;
                cd->rx = truncate_to_int(cd->x1);
                cd->ry = truncate_to_int(cd->y1);
                cd->rw = truncate_to_int(cd->w);
                cd->rh = truncate_to_int(cd->h);
            }
    }
    return n;
}

/* 1 when candidate a comes before b in std::stable_sort with SortScorePairDescend:
 * descending score, equal scores in OpenCV's original order. A strict total order, so any
 * correct sort gives the stable sort's result. */
static int before(const candidate *a, const candidate *b)
{
    return a->score > b->score || (a->score == b->score && a->order < b->order);
}

static void sift_down(const candidate *c, int *idx, int root, int n)
{
    for (;;) {
        int child = 2 * root + 1;
        if (child >= n)
            return;
        /* max-heap on "comes later", so the heap's root is the last in output order */
        if (child + 1 < n && before(&c[idx[child]], &c[idx[child + 1]]))
            child++;
        if (!before(&c[idx[root]], &c[idx[child]]))
            return;
        const int t = idx[root];
        idx[root] = idx[child];
        idx[child] = t;
        root = child;
    }
}

/* Sorts idx[0..n) into output order: heapsort, O(n log n) and no memory (qsort may malloc). */
static void sort_by_score(const candidate *c, int *idx, int n)
{
    for (int i = 0; i < n; i++)
        idx[i] = i;
    for (int i = n / 2 - 1; i >= 0; i--)
        sift_down(c, idx, i, n);
    for (int end = n - 1; end > 0; end--) {
        const int t = idx[0];
        idx[0] = idx[end];
        idx[end] = t;
        sift_down(c, idx, 0, end);
    }
}

/* Rect area, and the intersection of two rects as Rect_::operator&= gives it (empty when
 * either rect or the overlap is empty). */
static long rect_area(const candidate *a)
{
    return (long)a->rw * (long)a->rh;
}

static long intersection_area(const candidate *a, const candidate *b)
{
    if (a->rw <= 0 || a->rh <= 0 || b->rw <= 0 || b->rh <= 0)
        return 0;
    const long x1 = a->rx > b->rx ? a->rx : b->rx, y1 = a->ry > b->ry ? a->ry : b->ry;
    const long ax2 = (long)a->rx + a->rw, bx2 = (long)b->rx + b->rw;
    const long ay2 = (long)a->ry + a->rh, by2 = (long)b->ry + b->rh;
    const long x2 = ax2 < bx2 ? ax2 : bx2, y2 = ay2 < by2 ? ay2 : by2;
    if (x2 <= x1 || y2 <= y1)
        return 0;
    return (x2 - x1) * (y2 - y1);
}

/* rectOverlap (nms.cpp) = 1 − jaccardDistance (core/types.hpp), float of the double. */
static float rect_overlap(const candidate *a, const candidate *b)
{
    const long aa = rect_area(a), ab = rect_area(b);
    double distance = 0.0;
    if (aa + ab > 0) {
        const double inter = (double)intersection_area(a, b);
        distance = 1.0 - inter / ((double)(aa + ab) - inter);
    }
    return 1.f - (float)distance;
}

/* Step 4: NMSBoxes on the n candidates; returns the number kept, their indices into
 * yn->cands in yn->kept, in output order. With a single candidate OpenCV skips NMSBoxes (and
 * its strict threshold). */
static int suppress(au_yunet *yn, int n)
{
    if (n <= 1) {
        if (n == 1)
            yn->kept[0] = 0;
        return n;
    }
    const candidate *c = yn->cands;
    int *sorted = yn->sorted;
    sort_by_score(c, sorted, n);
    int considered = 0;
    while (considered < n && c[sorted[considered]].score > AU_YUNET_SCORE)
        considered++;
    if (considered > AU_YUNET_TOP_K)
        considered = AU_YUNET_TOP_K;
    int kept = 0;
    for (int i = 0; i < considered; i++) {
        const candidate *cand = &c[sorted[i]];
        int keep = 1;
        for (int k = 0; k < kept && keep; k++)
            keep = rect_overlap(cand, &c[yn->kept[k]]) <= AU_YUNET_NMS;
        if (keep)
            yn->kept[kept++] = sorted[i];
    }
    return kept;
}

static int detect(au_yunet *yn, const uint8_t *bgr, int w, int h, size_t stride,
                  au_face_box *out, int max_out, int convert, au_err *err)
{
    if (!yn || !bgr || w <= 0 || h <= 0 || stride < 3 * (size_t)w || (!out && max_out > 0)) {
        au_fail(err, AUFACE_ERR_ARG, "YuNet: invalid image (%dx%d, stride %zu) or arguments",
                w, h, stride);
        return -1;
    }
    if ((w != yn->frame_w || h != yn->frame_h) && plan(yn, w, h, err) != AUFACE_OK)
        return -1;
    fill_input(yn, bgr, w, h, stride);
    if (au_nn_runtime_run_nhwc(yn->rt, err) != AUFACE_OK)
        return -1;
    const int kept = suppress(yn, collect_candidates(yn));
    const int n = kept < max_out ? kept : (max_out > 0 ? max_out : 0);
    for (int i = 0; i < n; i++) {
        const candidate *c = &yn->cands[yn->kept[i]];
        au_face_box *b = &out[i];
        b->x1 = (float)(c->x1 / yn->scale);
        b->y1 = (float)(c->y1 / yn->scale);
        b->x2 = (float)((c->x1 + c->w) / yn->scale);
        b->y2 = (float)((c->y1 + c->h) / yn->scale);
        b->score = c->score;
        for (int p = 0; p < 10; p++)
            b->landmarks[p] = (float)(c->landmarks[p] / yn->scale);
        if (convert)
            au_yunet_box_to_retinaface(b);
    }
    return n;
}

int au_yunet_detect(au_yunet *yn, const uint8_t *bgr, int w, int h, size_t stride,
                    au_face_box *out, int max_out, au_err *err)
{
    return detect(yn, bgr, w, h, stride, out, max_out, 1, err);
}

int au_yunet_detect_native(au_yunet *yn, const uint8_t *bgr, int w, int h, size_t stride,
                           au_face_box *out, int max_out, au_err *err)
{
    return detect(yn, bgr, w, h, stride, out, max_out, 0, err);
}

void au_yunet_box_to_retinaface(au_face_box *box)
{
    const float bw = box->x2 - box->x1, bh = box->y2 - box->y1;
    const float cx = (box->x1 + box->x2) / 2.f + AU_YUNET_RF_DX * bw;
    const float cy = (box->y1 + box->y2) / 2.f + AU_YUNET_RF_DY * bh;
    const float w = AU_YUNET_RF_SW * bw, h = AU_YUNET_RF_SH * bh;
    box->x1 = cx - w / 2.f;
    box->y1 = cy - h / 2.f;
    box->x2 = cx + w / 2.f;
    box->y2 = cy + h / 2.f;
}

void au_yunet_destroy(au_yunet *yn)
{
    if (!yn)
        return;
    release_plan(yn);
    free(yn);
}
