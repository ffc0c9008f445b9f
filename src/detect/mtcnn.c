#include "detect/mtcnn.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "detect/mtcnn_cnn.h"
#include "detect/mtcnn_model.h"

/* Every float operation below must be rounded on its own, as in OpenFace's build (see
 * mtcnn_cnn.c); the only fused operations are the explicit fmaf calls of cv_exp32f. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- Constants of FaceDetectorMTCNN.cpp / FaceDetectorMTCNN.h ------------------------- */

/* DetectFaces: pyramid_factor. */
#define PYRAMID_FACTOR 0.709
/* DetectFaces: face_support, PNet's receptive field (12x12 px). */
#define FACE_SUPPORT 12
/* generate_bounding_boxes: stride, PNet's total pooling stride. */
#define PNET_STRIDE 2
/* FaceDetectorMTCNN.h DetectFaces default thresholds t1, t2, t3. */
#define PNET_THRESHOLD 0.6f
#define RNET_THRESHOLD 0.7f
#define ONET_THRESHOLD 0.7f
/* DetectFaces: NMS thresholds: per scale, across scales, after RNet, after ONet (Min). */
#define NMS_PER_SCALE 0.5f
#define NMS_ALL_SCALES 0.7f
#define NMS_AFTER_RNET 0.7f
#define NMS_AFTER_ONET 0.7f
/* Largest box side stage_refine crops (keeps w + 1 inside int); larger boxes are dropped. */
#define MAX_BOX_SIDE 1073741824.0f
/* DetectFaces: network input sizes of RNet and ONet crops. */
#define RNET_SIZE 24
#define ONET_SIZE 48
/* DetectFaces: the final calibration "to be tight around facial landmarks". */
#define CALIB_X (-0.0075)
#define CALIB_Y 0.2459
#define CALIB_W 1.0323
#define CALIB_H 0.7751
/* DetectFaces: normalisation (v - 127.5) * 0.0078125, computed by OpenCV as one
 * convertTo(alpha = 1/128, beta = -127.5/128) with a single rounding, which equals
 * (v - 127.5f) * 0.0078125f rounded once because 1/128 is a power of two. */
#define NORM_MEAN 127.5f
#define NORM_SCALE 0.0078125f

/* OpenCV mathfuncs_core.simd.hpp exp32f: table of 2^(j/64)·EXPPOLY_32F_A0. */
#define EXPTAB_SCALE 6
#define EXPTAB_SIZE (1 << EXPTAB_SCALE)
#define EXPPOLY_32F_A0 .9670371139572337719125840413672004409288e-2

struct au_mtcnn {
    au_mtcnn_net pnet, rnet, onet;
    float exp_tab[EXPTAB_SIZE]; /* OpenCV's expTab_f (getExpTab32f) */
};

/* A detection candidate: OpenFace keeps three parallel vectors (Rect_<float> box, float
 * score, Rect_<float> correction); here one struct. */
typedef struct cand {
    float x, y, w, h;
    float score;
    float corr[4]; /* dx1, dy1, dx2, dy2 as fractions of the box size */
} cand;

typedef struct nms_key {
    float score;
    int index;
} nms_key;

typedef struct irect {
    int x, y, w, h;
} irect;

struct au_mtcnn_scratch {
    int max_w, max_h;
    float min_face;
    size_t act_floats;  /* each of act_a, act_b */
    size_t work_floats; /* convolution workspace (im2col) */
    size_t input_floats; /* net input planes (pyramid level or crop) */
    int box_cap;        /* candidates over all pyramid levels */
    int max_dim;        /* longest resize output side */
    float *input;
    float *act_a, *act_b, *work;
    cand *boxes, *tmp;
    nms_key *keys;
    irect *rects;
    unsigned char *removed;
    int *xofs, *yofs;
    float *xa, *yb;     /* (1 - f, f) pairs per output column / row */
    float *hrow;        /* 2 rows x 3 channels x max_dim horizontally interpolated values */
};

/* ---- Integer conversions with x86 semantics ------------------------------------------ */

/* saturate_cast<int>(float) = cvRound: round half to even (SSE2 cvtss2si); a value outside
 * the int range or NaN gives INT_MIN, the "integer indefinite" value the instruction
 * returns. */
static int cv_round_f(float v)
{
    if (!(v >= -2147483648.0f && v < 2147483648.0f))
        return INT_MIN;
    return (int)lrintf(v);
}

/* C++ (int) cast of a float (cvttss2si): toward zero; out of range or NaN gives INT_MIN. */
static int trunc_f(float v)
{
    if (!(v > -2147483649.0f && v < 2147483648.0f))
        return INT_MIN;
    return (int)v;
}

/* ---- OpenCV cv::exp on float data ------------------------------------------------------ */

/* OpenCV's exp32f (mathfuncs_core.simd.hpp) as its AVX2 dispatch computes it (v_fma is a
 * true FMA there; the vector and scalar paths then agree), one value at a time:
 *   x clamped to ±3000·64/prescale, x *= prescale (float, prescale = 64·log2 e),
 *   xi = cvRound(x), x = (x − xi)·(1/64),
 *   result = (((x + A1)·x + A2)·x + A3)·x + A4  (each "·x +" one FMA)
 *            · (tab[xi & 63] · 2^e), e = xi >> 6 (arithmetic shift), the biased exponent
 *            e + 127 clamped to [0, 255].
 * Checked against OpenCV 4.6's cv::exp on float Mats: identical bits. */
static float cv_exp32f(const float tab[EXPTAB_SIZE], float x)
{
    const double prescale = 1.4426950408889634073599246810019 * EXPTAB_SIZE;
    const double max_val = 3000.0 * EXPTAB_SIZE;
    const float minval = (float)(-max_val / prescale), maxval = (float)(max_val / prescale);
    const float A4 = (float)(1.000000000000002438532970795181890933776 / EXPPOLY_32F_A0),
                A3 = (float)(.6931471805521448196800669615864773144641 / EXPPOLY_32F_A0),
                A2 = (float)(.2402265109513301490103372422686535526573 / EXPPOLY_32F_A0),
                A1 = (float)(.5550339366753125211915322047004666939128e-1 / EXPPOLY_32F_A0);
    if (x < minval)
        x = minval;
    if (x > maxval)
        x = maxval;
    x *= (float)prescale;
    int xi = cv_round_f(x);
    x = (x - (float)xi) * (float)(1.0 / EXPTAB_SIZE);
    int t = (xi >> EXPTAB_SCALE) + 127;
    t = t < 0 ? 0 : t > 255 ? 255 : t;
    uint32_t bits = (uint32_t)t << 23;
    float pow2;
    memcpy(&pow2, &bits, sizeof pow2);
    float poly = fmaf(fmaf(fmaf(x + A1, x, A2), x, A3), x, A4);
    return poly * (tab[xi & (EXPTAB_SIZE - 1)] * pow2);
}

/* OpenCV getExpTab32f: (float)(2^(j/64) · EXPPOLY_32F_A0), the powers of two being
 * 32-digit decimal literals in OpenCV, i.e. the correctly rounded doubles computed here. */
static void fill_exp_table(float tab[EXPTAB_SIZE])
{
    for (int j = 0; j < EXPTAB_SIZE; j++) {
        double p = (double)exp2l((long double)j / EXPTAB_SIZE);
        tab[j] = (float)(p * EXPPOLY_32F_A0);
    }
}

/* ---- OpenCV cv::resize(INTER_LINEAR) of a float BGR image, read through a window ------ */

/* A window of the 8-bit BGR frame: pixel (r, c) of the window is frame pixel
 * (oy + r, ox + c), or 0 outside the frame. The whole frame is the window (0, 0, W, H); an
 * RNet/ONet crop is the window (x − 1, y − 1, w + 1, h + 1) (DetectFaces copies the part of
 * the frame inside it into a zeroed (h+1) x (w+1) float image). */
typedef struct frame_window {
    const uint8_t *img;
    int iw, ih;
    size_t stride;
    long long ox, oy;
    int sw, sh;
} frame_window;

static float window_pixel(const frame_window *s, int r, int c, int ch)
{
    long long fy = s->oy + r, fx = s->ox + c;
    if (fy < 0 || fy >= s->ih || fx < 0 || fx >= s->iw)
        return 0.0f;
    return (float)s->img[(size_t)fy * s->stride + (size_t)fx * 3 + (size_t)ch];
}

/* Interpolation coefficients of hal::resize for one axis (INTER_LINEAR):
 *   f = (float)((d + 0.5)·scale − 0.5), s = floor(f), f −= s, scale = 1/(dst/src) (double).
 * Columns (clamp != 0): s < 0 gives s = 0, f = 0; s ≥ src − 1 gives s = src − 1, f = 0.
 * Rows are not clamped here: resizeGeneric_Invoker clips the two row indices and keeps f.
 * Weights (1 − f, f) in float.
 * An exact 2x reduction is INTER_AREA's 2x2 average in OpenCV; on 8-bit data that average
 * and these weights (0.5, 0.5) give the same exact value, so no special case is needed. */
static void resize_coefficients(int src, int dst, int clamp, int *ofs, float *w)
{
    double inv_scale = (double)dst / src;
    double scale = 1.0 / inv_scale;
    for (int d = 0; d < dst; d++) {
        float f = (float)((d + 0.5) * scale - 0.5);
        int s = (int)floorf(f);
        f -= (float)s;
        if (clamp) {
            if (s < 0)
                s = 0, f = 0.0f;
            if (s >= src - 1)
                s = src - 1, f = 0.0f;
        }
        ofs[d] = s;
        w[2 * d] = 1.0f - f;
        w[2 * d + 1] = f;
    }
}

static int clip_index(int v, int n)
{
    return v < 0 ? 0 : v >= n ? n - 1 : v;
}

/* cv::resize(window, Size(dw, dh), INTER_LINEAR) then the normalisation, written as three
 * planes in the order R, G, B (CNN::Inference feeds channels 2, 1, 0); checked against
 * OpenCV 4.6 on the 640x480 pyramid and 1 200 crops (24 and 48, exact 2x and upscaling
 * included): identical bits. Per output value:
 *   h(row) = S[row][sx]·a0 + S[row][sx+1]·a1        (HResizeLinear, float)
 *   v      = h(r0)·b0 + h(r1)·b1                    (VResizeLinear, float)
 * with r0 = clip(sy), r1 = clip(sy + 1). When sx was clamped, a1 = 0 and the second term
 * vanishes (OpenCV reads S[sx] alone there; identical for finite data). */
static void resize_window_planes(const frame_window *s, int dw, int dh, float *planes,
                                 au_mtcnn_scratch *sc)
{
    resize_coefficients(s->sw, dw, 1, sc->xofs, sc->xa);
    resize_coefficients(s->sh, dh, 0, sc->yofs, sc->yb);
    const size_t plane = (size_t)dw * (size_t)dh;
    float *h0 = sc->hrow, *h1 = sc->hrow + 3 * (size_t)dw;
    for (int dy = 0; dy < dh; dy++) {
        int r0 = clip_index(sc->yofs[dy], s->sh), r1 = clip_index(sc->yofs[dy] + 1, s->sh);
        for (int dx = 0; dx < dw; dx++) {
            int c0 = sc->xofs[dx], c1 = c0 + 1 < s->sw ? c0 + 1 : c0;
            float a0 = sc->xa[2 * dx], a1 = sc->xa[2 * dx + 1];
            for (int ch = 0; ch < 3; ch++) {
                h0[ch * dw + dx] =
                    window_pixel(s, r0, c0, ch) * a0 + window_pixel(s, r0, c1, ch) * a1;
                h1[ch * dw + dx] =
                    window_pixel(s, r1, c0, ch) * a0 + window_pixel(s, r1, c1, ch) * a1;
            }
        }
        float b0 = sc->yb[2 * dy], b1 = sc->yb[2 * dy + 1];
        for (int ch = 0; ch < 3; ch++) {
            float *dst = planes + (size_t)(2 - ch) * plane + (size_t)dy * (size_t)dw;
            for (int dx = 0; dx < dw; dx++) {
                float v = h0[ch * dw + dx] * b0 + h1[ch * dw + dx] * b1;
                dst[dx] = (v - NORM_MEAN) * NORM_SCALE;
            }
        }
    }
}

/* ---- Pyramid ---------------------------------------------------------------------------- */

/* DetectFaces: num_scales = floor(log(min_face/min_dim)/log(0.709)) + 1 (double). */
static int pyramid_levels(int w, int h, float min_face)
{
    int min_dim = w < h ? w : h;
    double n = floor(log((double)min_face / (double)min_dim) / log(PYRAMID_FACTOR)) + 1.0;
    if (!(n > 0.0))
        return 0;
    return n > 64.0 ? 64 : (int)n;
}

/* DetectFaces: scale = (12 / min_face) · 0.709^i; level size ceil(H·scale) x ceil(W·scale). */
static double pyramid_scale(float min_face, int i)
{
    return ((double)FACE_SUPPORT / (double)min_face) * pow(PYRAMID_FACTOR, (double)i);
}

/* Sides past this are refused (a 12/min_face scale of a huge frame); keeps casts in range. */
#define MAX_LEVEL_SIDE (1 << 15)

/* ceil(n·scale), or -1 if above MAX_LEVEL_SIDE. */
static int pyramid_side(int n, double scale)
{
    double side = ceil((double)n * scale);
    return side <= MAX_LEVEL_SIDE ? (int)side : -1;
}

/* ---- Loading ------------------------------------------------------------------------------ */

/* FaceDetectorMTCNN::Read: each line "<module> <file>", the file relative to the index's
 * folder; modules other than PNet, RNet, ONet are ignored. */
static auface_status load_index(au_mtcnn *m, const char *index_path, au_err *err)
{
    FILE *f = fopen(index_path, "r");
    if (!f)
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot open the MTCNN model index", index_path);
    char dir[4096];
    const char *slash = strrchr(index_path, '/');
    size_t dir_len = slash ? (size_t)(slash - index_path) + 1 : 0;
    if (dir_len >= sizeof dir) {
        fclose(f);
        return au_fail(err, AUFACE_ERR_ARG, "%s: path too long", index_path);
    }
    memcpy(dir, index_path, dir_len);
    dir[dir_len] = '\0';

    int have[3] = {0, 0, 0};
    auface_status st = AUFACE_OK;
    char line[4096];
    int line_no = 0;
    while (st == AUFACE_OK && fgets(line, sizeof line, f)) {
        line_no++;
        char module[64], file[2048];
        if (sscanf(line, "%63s %2047s", module, file) != 2)
            continue;
        au_mtcnn_net *net = NULL;
        int which = -1;
        if (strcmp(module, "PNet") == 0)
            net = &m->pnet, which = 0;
        else if (strcmp(module, "RNet") == 0)
            net = &m->rnet, which = 1;
        else if (strcmp(module, "ONet") == 0)
            net = &m->onet, which = 2;
        if (!net)
            continue;
        if (have[which]) {
            st = au_fail(err, AUFACE_ERR_FORMAT, "%s:%d: %s is named twice", index_path,
                         line_no, module);
            break;
        }
        char path[8192];
        int n = file[0] == '/' ? snprintf(path, sizeof path, "%s", file)
                               : snprintf(path, sizeof path, "%s%s", dir, file);
        if (n < 0 || (size_t)n >= sizeof path) {
            st = au_fail(err, AUFACE_ERR_ARG, "%s:%d: path too long", index_path, line_no);
            break;
        }
        st = au_mtcnn_net_load(net, path, err);
        have[which] = st == AUFACE_OK;
    }
    if (st == AUFACE_OK && ferror(f))
        st = au_fail(err, AUFACE_ERR_IO, "%s: read error", index_path);
    fclose(f);
    if (st)
        return st;
    static const char *const names[3] = {"PNet", "RNet", "ONet"};
    for (int i = 0; i < 3; i++)
        if (!have[i])
            return au_fail(err, AUFACE_ERR_MODELS, "%s: no line names the %s network file",
                           index_path, names[i]);
    return AUFACE_OK;
}

/* The networks must accept the inputs DetectFaces gives them and produce the outputs it
 * reads: PNet at least 6 maps (from a 12x12 input, its smallest), RNet and ONet a single
 * vector of at least 6 values (probabilities 0-1, corrections 2-5). */
static auface_status check_networks(const au_mtcnn *m, const char *index_path, au_err *err)
{
    au_mtcnn_tensor t;
    char name[4200];
    auface_status st;
    snprintf(name, sizeof name, "%s (PNet)", index_path);
    if ((st = au_mtcnn_net_plan(&m->pnet, name, FACE_SUPPORT, FACE_SUPPORT, &t, NULL, err)))
        return st;
    if (t.maps < 6)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: produces %d output maps, 6 are needed",
                       name, t.maps);
    snprintf(name, sizeof name, "%s (RNet)", index_path);
    if ((st = au_mtcnn_net_plan(&m->rnet, name, RNET_SIZE, RNET_SIZE, &t, NULL, err)))
        return st;
    if (t.maps != 1 || (size_t)t.h * (size_t)t.w < 6)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: output is %d maps of %d x %d, not a vector "
                       "of at least 6 values", name, t.maps, t.h, t.w);
    snprintf(name, sizeof name, "%s (ONet)", index_path);
    if ((st = au_mtcnn_net_plan(&m->onet, name, ONET_SIZE, ONET_SIZE, &t, NULL, err)))
        return st;
    if (t.maps != 1 || (size_t)t.h * (size_t)t.w < 6)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: output is %d maps of %d x %d, not a vector "
                       "of at least 6 values", name, t.maps, t.h, t.w);
    return AUFACE_OK;
}

auface_status au_mtcnn_load(au_mtcnn **out, const char *path, au_err *err)
{
    if (!out || !path)
        return au_fail(err, AUFACE_ERR_ARG, "au_mtcnn_load: NULL argument");
    *out = NULL;
    char index_path[4096];
    struct stat info;
    int n;
    if (stat(path, &info) == 0 && S_ISDIR(info.st_mode))
        n = snprintf(index_path, sizeof index_path, "%s/MTCNN_detector.txt", path);
    else
        n = snprintf(index_path, sizeof index_path, "%s", path);
    if (n < 0 || (size_t)n >= sizeof index_path)
        return au_fail(err, AUFACE_ERR_ARG, "%s: path too long", path);

    au_mtcnn *m = calloc(1, sizeof *m);
    if (!m)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", index_path);
    auface_status st = load_index(m, index_path, err);
    if (st == AUFACE_OK)
        st = check_networks(m, index_path, err);
    if (st) {
        au_mtcnn_free(m);
        return st;
    }
    fill_exp_table(m->exp_tab);
    *out = m;
    return AUFACE_OK;
}

void au_mtcnn_free(au_mtcnn *m)
{
    if (!m)
        return;
    au_mtcnn_net_free(&m->pnet);
    au_mtcnn_net_free(&m->rnet);
    au_mtcnn_net_free(&m->onet);
    free(m);
}

/* ---- Scratch ---------------------------------------------------------------------------- */

typedef struct scratch_plan {
    size_t act_floats, work_floats, input_floats;
    size_t box_cap;
    int max_dim;
} scratch_plan;

static void grow_memory(scratch_plan *p, au_mtcnn_net_memory need)
{
    if (need.act_floats > p->act_floats)
        p->act_floats = need.act_floats;
    if (need.work_floats > p->work_floats)
        p->work_floats = need.work_floats;
}

static int plan_scratch(const au_mtcnn *m, int max_w, int max_h, float min_face,
                        scratch_plan *p)
{
    if (!m || max_w < 1 || max_h < 1 || !(min_face >= 1.0f) || !isfinite(min_face))
        return 0;
    memset(p, 0, sizeof *p);
    au_mtcnn_net_memory need;
    if (au_mtcnn_net_plan(&m->rnet, "RNet", RNET_SIZE, RNET_SIZE, NULL, &need, NULL))
        return 0;
    grow_memory(p, need);
    if (au_mtcnn_net_plan(&m->onet, "ONet", ONET_SIZE, ONET_SIZE, NULL, &need, NULL))
        return 0;
    grow_memory(p, need);
    p->input_floats = 3 * ONET_SIZE * ONET_SIZE;
    p->max_dim = ONET_SIZE;
    int levels = pyramid_levels(max_w, max_h, min_face);
    for (int i = 0; i < levels; i++) {
        double scale = pyramid_scale(min_face, i);
        int lw = pyramid_side(max_w, scale), lh = pyramid_side(max_h, scale);
        au_mtcnn_tensor t;
        if (lw < 1 || lh < 1)
            return 0;
        if (au_mtcnn_net_plan(&m->pnet, "PNet", lh, lw, &t, &need, NULL))
            continue; /* too small for PNet: detect skips this level too */
        grow_memory(p, need);
        if (3 * (size_t)lw * (size_t)lh > p->input_floats)
            p->input_floats = 3 * (size_t)lw * (size_t)lh;
        if (lw > p->max_dim)
            p->max_dim = lw;
        if (lh > p->max_dim)
            p->max_dim = lh;
        p->box_cap += (size_t)t.h * (size_t)t.w;
    }
    if (p->box_cap > INT_MAX / 2)
        return 0;
    if (p->box_cap == 0)
        p->box_cap = 1;
    return 1;
}

/* Layout of the single allocation: the struct, then every array, each 64-byte aligned. */
static size_t align64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

static size_t scratch_layout(const scratch_plan *p, size_t offs[12])
{
    size_t sizes[12] = {
        p->input_floats * sizeof(float),
        p->act_floats * sizeof(float),
        p->act_floats * sizeof(float),
        p->box_cap * sizeof(cand),
        p->box_cap * sizeof(cand),
        p->box_cap * sizeof(nms_key),
        p->box_cap * sizeof(irect),
        p->box_cap,
        (size_t)p->max_dim * 2 * sizeof(int),
        (size_t)p->max_dim * 2 * sizeof(float) * 2,
        (size_t)p->max_dim * 6 * sizeof(float),
        p->work_floats * sizeof(float),
    };
    size_t at = align64(sizeof(au_mtcnn_scratch));
    for (int i = 0; i < 12; i++) {
        offs[i] = at;
        at += align64(sizes[i]);
    }
    return at;
}

size_t au_mtcnn_scratch_bytes(const au_mtcnn *m, int max_w, int max_h, float min_face)
{
    scratch_plan p;
    size_t offs[12];
    if (!plan_scratch(m, max_w, max_h, min_face, &p))
        return 0;
    return scratch_layout(&p, offs);
}

auface_status au_mtcnn_scratch_create(au_mtcnn_scratch **out, const au_mtcnn *m, int max_w,
                                      int max_h, float min_face, au_err *err)
{
    if (!out)
        return au_fail(err, AUFACE_ERR_ARG, "au_mtcnn_scratch_create: NULL output");
    *out = NULL;
    scratch_plan p;
    if (!plan_scratch(m, max_w, max_h, min_face, &p))
        return au_fail(err, AUFACE_ERR_ARG,
                       "au_mtcnn_scratch_create: invalid frame size %d x %d or min_face %g",
                       max_w, max_h, (double)min_face);
    size_t offs[12];
    size_t bytes = scratch_layout(&p, offs);
    void *block = NULL;
    if (posix_memalign(&block, 64, bytes) != 0)
        return au_fail(err, AUFACE_ERR_NOMEM, "MTCNN scratch: out of memory (%zu bytes)",
                       bytes);
    unsigned char *base = block;
    au_mtcnn_scratch *s = block;
    memset(s, 0, sizeof *s);
    s->max_w = max_w;
    s->max_h = max_h;
    s->min_face = min_face;
    s->act_floats = p.act_floats;
    s->work_floats = p.work_floats;
    s->input_floats = p.input_floats;
    s->box_cap = (int)p.box_cap;
    s->max_dim = p.max_dim;
    s->input = (float *)(base + offs[0]);
    s->act_a = (float *)(base + offs[1]);
    s->act_b = (float *)(base + offs[2]);
    s->boxes = (cand *)(base + offs[3]);
    s->tmp = (cand *)(base + offs[4]);
    s->keys = (nms_key *)(base + offs[5]);
    s->rects = (irect *)(base + offs[6]);
    s->removed = base + offs[7];
    s->xofs = (int *)(base + offs[8]);
    s->yofs = s->xofs + p.max_dim;
    s->xa = (float *)(base + offs[9]);
    s->yb = s->xa + 2 * (size_t)p.max_dim;
    s->hrow = (float *)(base + offs[10]);
    s->work = (float *)(base + offs[11]);
    *out = s;
    return AUFACE_OK;
}

void au_mtcnn_scratch_free(au_mtcnn_scratch *s)
{
    free(s);
}

/* ---- Box arithmetic (FaceDetectorMTCNN.cpp) -------------------------------------------- */

/* cv::Rect from Rect_<float>: cvRound of x, y, width and height separately. */
static irect to_irect(const cand *b)
{
    irect r = {cv_round_f(b->x), cv_round_f(b->y), cv_round_f(b->w), cv_round_f(b->h)};
    return r;
}

/* cv::Rect::area(): width·height in int (wrapping like the int product on x86). */
static int rect_area(irect r)
{
    return (int)(unsigned)((long long)r.w * (long long)r.h);
}

/* (rect1 & rect2).area(): an empty rectangle (width or height ≤ 0) has no intersection. */
static int intersection_area(irect a, irect b)
{
    if (a.w <= 0 || a.h <= 0 || b.w <= 0 || b.h <= 0)
        return 0;
    long long x1 = a.x > b.x ? a.x : b.x, y1 = a.y > b.y ? a.y : b.y;
    long long ax2 = (long long)a.x + a.w, bx2 = (long long)b.x + b.w;
    long long ay2 = (long long)a.y + a.h, by2 = (long long)b.y + b.h;
    long long iw = (ax2 < bx2 ? ax2 : bx2) - x1, ih = (ay2 < by2 ? ay2 : by2) - y1;
    if (iw <= 0 || ih <= 0)
        return 0;
    return rect_area((irect){0, 0, (int)iw, (int)ih});
}

static int compare_keys(const void *pa, const void *pb)
{
    const nms_key *a = pa, *b = pb;
    if (a->score > b->score)
        return -1;
    if (a->score < b->score)
        return 1;
    return a->index > b->index ? -1 : a->index < b->index;
}

/* non_maximum_supression + select_subset on boxes[0..n): a std::multimap keyed by score
 * repeatedly yields its last element (the highest score; among equal scores the one
 * inserted last), which is kept, and erases every remaining box whose overlap with it
 * exceeds `thresh`:
 *   inter = area of the integer intersection (both boxes rounded to cv::Rect),
 *   Union: inter / (area1 + area2 − inter), Min: inter / min(area1, area2)   (float).
 * The survivors are moved to the front in output order; returns their number. */
static int nms(cand *boxes, int n, float thresh, int use_min, au_mtcnn_scratch *s)
{
    for (int i = 0; i < n; i++) {
        float sc = boxes[i].score;
        s->keys[i].score = isnan(sc) ? -INFINITY : sc;
        s->keys[i].index = i;
        s->rects[i] = to_irect(&boxes[i]);
        s->removed[i] = 0;
    }
    qsort(s->keys, (size_t)n, sizeof *s->keys, compare_keys);
    int kept = 0;
    for (int a = 0; a < n; a++) {
        int i = s->keys[a].index;
        if (s->removed[i])
            continue;
        s->tmp[kept++] = boxes[i];
        irect r1 = s->rects[i];
        int area1 = rect_area(r1);
        for (int b = a + 1; b < n; b++) {
            int j = s->keys[b].index;
            if (s->removed[j])
                continue;
            irect r2 = s->rects[j];
            int area2 = rect_area(r2);
            float inter = (float)intersection_area(r1, r2);
            float denom;
            if (use_min)
                denom = (float)(area1 < area2 ? area1 : area2);
            else
                denom = (float)(int)(unsigned)((long long)area1 + area2) - inter;
            if (inter / denom > thresh)
                s->removed[j] = 1;
        }
    }
    memcpy(boxes, s->tmp, (size_t)kept * sizeof *boxes);
    return kept;
}

/* apply_correction: the box rounded to a cv::Rect (w, h + 1 if add1), then in float
 *   x1 = x + c0·w,  y1 = y + c1·h,  x2 = (x + w) + w·c2,  y2 = (y + h) + h·c3
 * ((x + w) is an int sum), and the box becomes (x1, y1, x2 − x1, y2 − y1). */
static void apply_correction(cand *boxes, int n, int add1)
{
    for (int i = 0; i < n; i++) {
        cand *b = &boxes[i];
        irect r = to_irect(b);
        if (add1) {
            r.w++;
            r.h++;
        }
        float x1 = (float)r.x + b->corr[0] * (float)r.w;
        float y1 = (float)r.y + b->corr[1] * (float)r.h;
        float x2 = (float)(int)((unsigned)r.x + (unsigned)r.w) + (float)r.w * b->corr[2];
        float y2 = (float)(int)((unsigned)r.y + (unsigned)r.h) + (float)r.h * b->corr[3];
        b->x = x1;
        b->y = y1;
        b->w = x2 - x1;
        b->h = y2 - y1;
    }
}

/* rectify: m = max(w, h); x' = (int)(float)(x + 0.5·(w − m)) with the product and sum in
 * double (0.5 is a double literal) stored to a float before the cast; w' = h' = (int)m. */
static void rectify(cand *boxes, int n)
{
    for (int i = 0; i < n; i++) {
        cand *b = &boxes[i];
        float m = b->w < b->h ? b->h : b->w; /* std::max(width, height) */
        float nx = (float)((double)b->x + 0.5 * (double)(b->w - m));
        float ny = (float)((double)b->y + 0.5 * (double)(b->h - m));
        b->x = (float)trunc_f(nx);
        b->y = (float)trunc_f(ny);
        b->w = b->h = (float)trunc_f(m);
    }
}

/* ---- Stages ------------------------------------------------------------------------------- */

/* generate_bounding_boxes: scan the probability map column by column (x outer); a cell
 * with p ≥ 0.6 gives min = trunc((2·x + 1)/scale), max = trunc((2·x + 12)/scale) (float
 * division by the float scale), and the same for y. */
static int pnet_candidates(const au_mtcnn *m, const float *maps, int mh, int mw, float scale,
                           cand *out)
{
    const size_t plane = (size_t)mh * (size_t)mw;
    int n = 0;
    for (int x = 0; x < mw; x++) {
        for (int y = 0; y < mh; y++) {
            size_t at = (size_t)y * (size_t)mw + (size_t)x;
            /* prob = 1/(1 + cv::exp(map0 − map1)), float Mat arithmetic. */
            float e = cv_exp32f(m->exp_tab, maps[at] - maps[plane + at]);
            float p = 1.0f / (1.0f + e);
            if (!(p >= PNET_THRESHOLD))
                continue;
            float x1 = (float)trunc_f((float)(PNET_STRIDE * x + 1) / scale);
            float x2 = (float)trunc_f((float)(PNET_STRIDE * x + FACE_SUPPORT) / scale);
            float y1 = (float)trunc_f((float)(PNET_STRIDE * y + 1) / scale);
            float y2 = (float)trunc_f((float)(PNET_STRIDE * y + FACE_SUPPORT) / scale);
            cand *c = &out[n++];
            c->x = x1;
            c->y = y1;
            c->w = x2 - x1;
            c->h = y2 - y1;
            c->score = p;
            for (int k = 0; k < 4; k++)
                c->corr[k] = maps[(size_t)(2 + k) * plane + at];
        }
    }
    return n;
}

/* Stage 1: PNet on every pyramid level, NMS per level, NMS across levels, regression,
 * squaring. Returns the number of candidates in s->boxes, or −1 if a level does not fit the
 * scratch (an internal error). */
static int stage_pnet(const au_mtcnn *m, const frame_window *frame, float min_face,
                      au_mtcnn_scratch *s)
{
    int levels = pyramid_levels(frame->iw, frame->ih, min_face);
    int total = 0;
    for (int i = 0; i < levels; i++) {
        double scale = pyramid_scale(min_face, i);
        int lw = pyramid_side(frame->iw, scale), lh = pyramid_side(frame->ih, scale);
        if (lw < 1 || lh < 1)
            return -1;
        au_mtcnn_tensor t;
        au_mtcnn_net_memory need;
        if (au_mtcnn_net_plan(&m->pnet, "PNet", lh, lw, &t, &need, NULL))
            continue; /* level smaller than PNet's input: nothing to detect */
        if (need.act_floats > s->act_floats || need.work_floats > s->work_floats ||
            3 * (size_t)lw * (size_t)lh > s->input_floats ||
            lw > s->max_dim || lh > s->max_dim ||
            (size_t)t.h * (size_t)t.w > (size_t)(s->box_cap - total))
            return -1;
        resize_window_planes(frame, lw, lh, s->input, s);
        const float *maps = au_mtcnn_net_forward(&m->pnet, s->input, lh, lw, s->act_a,
                                                 s->act_b, s->work, &t);
        int n = pnet_candidates(m, maps, t.h, t.w, (float)scale, s->boxes + total);
        total += nms(s->boxes + total, n, NMS_PER_SCALE, 0, s);
    }
    total = nms(s->boxes, total, NMS_ALL_SCALES, 0, s);
    apply_correction(s->boxes, total, 0);
    rectify(s->boxes, total);
    return total;
}

/* RNet or ONet on each box: the crop (x − 1, y − 1, w + 1, h + 1) of the frame resized to
 * size x size; p = (float)(1.0 / (1.0 + expf(o0 − o1))) (std::exp on the float difference,
 * the rest in double); boxes with p ≥ threshold keep their new score and corrections, in
 * order. A box with a negative size is dropped (OpenFace's cv::Mat would throw). */
static int stage_refine(const au_mtcnn_net *net, int size, float threshold,
                        const frame_window *frame, int n, au_mtcnn_scratch *s)
{
    int kept = 0;
    for (int k = 0; k < n; k++) {
        cand b = s->boxes[k];
        /* Integer-valued after rectify. OpenCV cannot make the (h+1) x (w+1) crop of a box
         * with a negative size; a size of 2^30 or more is far outside any frame. */
        if (!(b.w >= 0.0f && b.h >= 0.0f && b.w < MAX_BOX_SIDE && b.h < MAX_BOX_SIDE))
            continue;
        frame_window crop = *frame;
        crop.ox = (long long)b.x - 1;
        crop.oy = (long long)b.y - 1;
        crop.sw = (int)b.w + 1;
        crop.sh = (int)b.h + 1;
        resize_window_planes(&crop, size, size, s->input, s);
        au_mtcnn_tensor t;
        const float *o =
            au_mtcnn_net_forward(net, s->input, size, size, s->act_a, s->act_b, s->work, &t);
        float p = (float)(1.0 / (1.0 + (double)expf(o[0] - o[1])));
        if (!(p >= threshold))
            continue;
        b.score = p;
        for (int i = 0; i < 4; i++)
            b.corr[i] = o[2 + i];
        s->boxes[kept++] = b;
    }
    return kept;
}

int au_mtcnn_detect(const au_mtcnn *m, const uint8_t *bgr, int w, int h, size_t stride,
                    float min_face, au_mtcnn_box *out, int max_out, au_mtcnn_scratch *s,
                    au_err *err)
{
    if (!m || !bgr || !s || (max_out > 0 && !out) || max_out < 0) {
        au_fail(err, AUFACE_ERR_ARG, "au_mtcnn_detect: NULL argument or negative max_out");
        return -1;
    }
    if (w < 1 || h < 1 || stride < 3 * (size_t)w) {
        au_fail(err, AUFACE_ERR_ARG, "au_mtcnn_detect: frame %d x %d with stride %zu", w, h,
                stride);
        return -1;
    }
    if (w > s->max_w || h > s->max_h) {
        au_fail(err, AUFACE_ERR_ARG,
                "au_mtcnn_detect: frame %d x %d exceeds the scratch's %d x %d", w, h, s->max_w,
                s->max_h);
        return -1;
    }
    if (!isfinite(min_face) || !(min_face >= s->min_face)) {
        au_fail(err, AUFACE_ERR_ARG,
                "au_mtcnn_detect: min_face %g is below the scratch's %g or not finite",
                (double)min_face, (double)s->min_face);
        return -1;
    }
    frame_window frame = {bgr, w, h, stride, 0, 0, w, h};

    int n = stage_pnet(m, &frame, min_face, s);
    if (n < 0) {
        au_fail(err, AUFACE_ERR_INTERNAL, "au_mtcnn_detect: pyramid does not fit the scratch");
        return -1;
    }

    n = stage_refine(&m->rnet, RNET_SIZE, RNET_THRESHOLD, &frame, n, s);
    n = nms(s->boxes, n, NMS_AFTER_RNET, 0, s);
    apply_correction(s->boxes, n, 0);
    rectify(s->boxes, n);

    n = stage_refine(&m->onet, ONET_SIZE, ONET_THRESHOLD, &frame, n, s);
    apply_correction(s->boxes, n, 1);
    n = nms(s->boxes, n, NMS_AFTER_ONET, 1, s);

    /* Final calibration, in double, stored as float; x and y use the old w and h. */
    for (int k = 0; k < n && k < max_out; k++) {
        const cand *b = &s->boxes[k];
        out[k].x = (float)((double)b->w * CALIB_X + (double)b->x);
        out[k].y = (float)((double)b->h * CALIB_Y + (double)b->y);
        out[k].w = (float)(CALIB_W * (double)b->w);
        out[k].h = (float)(CALIB_H * (double)b->h);
        out[k].confidence = b->score;
    }
    return n;
}
