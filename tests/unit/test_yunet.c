/* YuNet detector (detect/yunet.h) on the reference images of ../shared/reference/nn, against
 * the RetinaFace reference detections (retinaface/ *.dets.txt and extra/, computed by an
 * independent runtime):
 *  - default_f000.png: one face, its RetinaFace-equivalent box within 6 px of the reference;
 *  - every image: every YuNet face is one of RetinaFace's faces (IoU ≥ 0.75 after the
 *    conversion), scores in descending order, no two kept boxes overlapping more than NMS
 *    allows; counts printed next to RetinaFace's;
 *  - over all matched faces, the converted boxes have no systematic offset left (mean centre
 *    offset < 2 % of the box, mean size ratio within 3 %), which they would if the conversion
 *    constants or their signs were wrong; native boxes printed for comparison;
 *  - a blank frame gives 0 faces; frame-size changes (640x480 → 490x360 → 640x480, and the
 *    downscaled 2048x1366 and 1942x1944 photos) re-plan and give the same result as a fresh
 *    detector; max_out truncates; bad arguments and a model that is not YuNet fail cleanly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "detect/yunet.h"
#include "io/source.h"

#define YUNET_MODEL SHARED("models/yunet/face_detection_yunet_2023mar.onnx")
#define RF_MODEL SHARED("models/retinaface/retinaface_mobilenet0.25_640.onnx")
#define MAX_FACES 32

typedef struct image_case {
    const char *image, *dets;
} image_case;

static const image_case CASES[] = {
    {SHARED("reference/nn/media/default_f000.png"), SHARED("reference/nn/retinaface/default_f000.dets.txt")},
    {SHARED("reference/nn/media/default_f100.png"), SHARED("reference/nn/retinaface/extra/default_f100.dets.txt")},
    {SHARED("reference/nn/media/default_f200.png"), SHARED("reference/nn/retinaface/extra/default_f200.dets.txt")},
    {SHARED("reference/nn/media/default_f000_tl.png"), SHARED("reference/nn/retinaface/extra/default_f000_tl.dets.txt")},
    {SHARED("media/sample1.jpg"), SHARED("reference/nn/retinaface/extra/sample1.dets.txt")},
    {SHARED("media/sample2.jpg"), SHARED("reference/nn/retinaface/sample2.dets.txt")},
    {SHARED("media/sample3.jpg"), SHARED("reference/nn/retinaface/extra/sample3.dets.txt")},
    {SHARED("media/sample4.jpg"), SHARED("reference/nn/retinaface/sample4.dets.txt")},
    {SHARED("media/sample5.jpg"), SHARED("reference/nn/retinaface/extra/sample5.dets.txt")},
    {SHARED("media/sample6.jpg"), SHARED("reference/nn/retinaface/sample6.dets.txt")},
};
#define NUM_CASES (int)(sizeof CASES / sizeof *CASES)

/* A decoded image, owned (au_source's buffer only lives until the next frame). */
typedef struct image {
    uint8_t *bgr;
    int w, h;
    size_t stride;
} image;

static int load_image(const char *path, image *im)
{
    au_err err;
    au_source *src = NULL;
    au_frame f;
    memset(im, 0, sizeof *im);
    if (au_source_open(&src, path, &err) != AUFACE_OK || au_source_next(src, &f, &err) != 1) {
        fprintf(stderr, "%s\n", err.msg);
        au_source_close(src);
        return 0;
    }
    im->w = f.width;
    im->h = f.height;
    im->stride = 3 * (size_t)f.width;
    im->bgr = malloc(im->stride * (size_t)f.height);
    if (im->bgr)
        for (int y = 0; y < f.height; y++)
            memcpy(im->bgr + (size_t)y * im->stride, f.bgr + (size_t)y * f.stride, im->stride);
    au_source_close(src);
    return im->bgr != NULL;
}

/* RetinaFace reference detections: "score x1 y1 x2 y2 l0x l0y ... l4y" per line. */
static int read_dets(const char *path, au_face_box *out, int max_out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0;
    float v[15];
    while (n < max_out) {
        int got = 0;
        for (int k = 0; k < 15; k++)
            got += fscanf(f, "%f", &v[k]) == 1;
        if (got != 15)
            break;
        out[n] = (au_face_box){v[1], v[2], v[3], v[4], v[0], {0}};
        memcpy(out[n].landmarks, v + 5, sizeof out[n].landmarks);
        n++;
    }
    fclose(f);
    return n;
}

static double iou(const au_face_box *a, const au_face_box *b)
{
    double w = fmin(a->x2, b->x2) - fmax(a->x1, b->x1), h = fmin(a->y2, b->y2) - fmax(a->y1, b->y1);
    double inter = w > 0 && h > 0 ? w * h : 0;
    double ua = (a->x2 - a->x1) * (a->y2 - a->y1) + (b->x2 - b->x1) * (b->y2 - b->y1) - inter;
    return ua > 0 ? inter / ua : 0;
}

/* Index of the reference face that overlaps `box` most, its IoU in *best_iou. */
static int best_match(const au_face_box *box, const au_face_box *refs, int n, double *best_iou)
{
    int best = -1;
    *best_iou = 0;
    for (int k = 0; k < n; k++) {
        double o = iou(box, &refs[k]);
        if (o > *best_iou) {
            *best_iou = o;
            best = k;
        }
    }
    return best;
}

static double max_corner_diff(const au_face_box *a, const au_face_box *b)
{
    return fmax(fmax(fabs(a->x1 - b->x1), fabs(a->y1 - b->y1)),
                fmax(fabs(a->x2 - b->x2), fabs(a->y2 - b->y2)));
}

/* Centre offset and size ratios of `ref` relative to `box` (the measure of yunet.h). */
typedef struct relation {
    double dx, dy, sw, sh;
    int n;
} relation;

static void add_relation(relation *r, const au_face_box *box, const au_face_box *ref)
{
    double w = box->x2 - box->x1, h = box->y2 - box->y1;
    r->dx += ((ref->x1 + ref->x2) - (box->x1 + box->x2)) / 2 / w;
    r->dy += ((ref->y1 + ref->y2) - (box->y1 + box->y2)) / 2 / h;
    r->sw += (ref->x2 - ref->x1) / w;
    r->sh += (ref->y2 - ref->y1) / h;
    r->n++;
}

static void mean_relation(relation *r)
{
    if (r->n) {
        r->dx /= r->n;
        r->dy /= r->n;
        r->sw /= r->n;
        r->sh /= r->n;
    }
}

static int same_faces(const au_face_box *a, int na, const au_face_box *b, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (memcmp(&a[i], &b[i], sizeof *a) != 0)
            return 0;
    return 1;
}

/* The reference images: matching, counts, ordering, NMS, and the box relation. */
static void check_reference_images(au_yunet *yn, const image *images)
{
    au_err err;
    relation converted = {0}, native = {0};
    for (int c = 0; c < NUM_CASES; c++) {
        const image *im = &images[c];
        au_face_box refs[MAX_FACES], faces[MAX_FACES], raw[MAX_FACES];
        const int nref = read_dets(CASES[c].dets, refs, MAX_FACES);
        CHECK(nref > 0);
        const int n = au_yunet_detect(yn, im->bgr, im->w, im->h, im->stride, faces, MAX_FACES, &err);
        const int nraw = au_yunet_detect_native(yn, im->bgr, im->w, im->h, im->stride, raw, MAX_FACES, &err);
        CHECK(n >= 1 && n <= nref && nraw == n);
        printf("yunet %-17s %4dx%-4d faces %2d (RetinaFace %2d)", strrchr(CASES[c].image, '/') + 1,
               im->w, im->h, n, nref);
        double worst_iou = 1, worst_corner = 0;
        for (int i = 0; i < n; i++) {
            CHECK(faces[i].score >= AU_YUNET_SCORE && faces[i].score <= 1);
            CHECK(i == 0 || faces[i].score <= faces[i - 1].score);
            CHECK(faces[i].score == raw[i].score);
            double o;
            const int k = best_match(&faces[i], refs, nref, &o);
            CHECK(k >= 0 && o >= 0.75);
            if (k < 0)
                continue;
            worst_iou = fmin(worst_iou, o);
            worst_corner = fmax(worst_corner, max_corner_diff(&faces[i], &refs[k]) / (refs[k].x2 - refs[k].x1));
            add_relation(&converted, &faces[i], &refs[k]);
            add_relation(&native, &raw[i], &refs[k]);
            /* Same 5 points in the same order: each within 20 % of the face width. */
            for (int p = 0; p < 10; p++)
                CHECK_NEAR(faces[i].landmarks[p], refs[k].landmarks[p], 0.2 * (refs[k].x2 - refs[k].x1));
            for (int j = 0; j < i; j++) /* NMS: IoU of kept boxes ≤ 0.3 (up to integer boxes) */
                CHECK(iou(&raw[i], &raw[j]) <= AU_YUNET_NMS + 0.05);
        }
        printf("  worst IoU %.3f, worst corner %.1f %% of the width\n", worst_iou, 100 * worst_corner);
    }
    mean_relation(&converted);
    mean_relation(&native);
    printf("yunet vs RetinaFace over %d faces (RetinaFace relative to YuNet: centre offset / size, size ratio)\n"
           "  native:    dx %+.4f dy %+.4f sw %.4f sh %.4f\n  converted: dx %+.4f dy %+.4f sw %.4f sh %.4f\n",
           native.n, native.dx, native.dy, native.sw, native.sh, converted.dx, converted.dy, converted.sw,
           converted.sh);
    CHECK(converted.n >= 21);
    CHECK_NEAR(converted.dx, 0, 0.02);
    CHECK_NEAR(converted.dy, 0, 0.02);
    CHECK_NEAR(converted.sw, 1, 0.03);
    CHECK_NEAR(converted.sh, 1, 0.03);
}

/* default_f000: one face, within a few pixels of RetinaFace's reference box. */
static void check_default_frame(au_yunet *yn, const image *im)
{
    au_err err;
    au_face_box ref[2], faces[4];
    CHECK(read_dets(CASES[0].dets, ref, 2) == 1);
    CHECK(au_yunet_detect(yn, im->bgr, im->w, im->h, im->stride, faces, 4, &err) == 1);
    const double d = max_corner_diff(&faces[0], &ref[0]);
    printf("yunet default_f000: score %.4f box %.1f %.1f %.1f %.1f, RetinaFace %.1f %.1f %.1f %.1f, worst corner %.2f px\n",
           faces[0].score, faces[0].x1, faces[0].y1, faces[0].x2, faces[0].y2, ref[0].x1, ref[0].y1, ref[0].x2,
           ref[0].y2, d);
    CHECK(d <= 6.0);
}

/* Blank frames, frame-size changes, max_out, invalid arguments. */
static void check_behaviour(const au_nn_model *model, au_yunet *yn, const image *images)
{
    au_err err;
    au_face_box a[MAX_FACES], b[MAX_FACES];

    const int bw = 640, bh = 480;
    uint8_t *blank = calloc((size_t)bw * bh, 3);
    CHECK(blank != NULL);
    if (blank) {
        CHECK(au_yunet_detect(yn, blank, bw, bh, 3 * (size_t)bw, a, MAX_FACES, &err) == 0);
        memset(blank, 128, (size_t)bw * bh * 3);
        CHECK(au_yunet_detect(yn, blank, bw, bh, 3 * (size_t)bw, a, MAX_FACES, &err) == 0);
        memset(blank, 255, (size_t)bw * bh * 3);
        CHECK(au_yunet_detect(yn, blank, 320, 200, 3 * (size_t)bw, a, MAX_FACES, &err) == 0);
        free(blank);
    }

    /* 640x480 → 490x360 → 2048x1366 (scaled) → 640x480 on one detector: each result equals
     * that of a fresh detector, which plans once. */
    const int order[] = {0, 3, 5, 0};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const image *im = &images[order[i]];
        au_yunet *fresh = NULL;
        CHECK(au_yunet_create(&fresh, model, &err) == AUFACE_OK);
        const int na = au_yunet_detect(yn, im->bgr, im->w, im->h, im->stride, a, MAX_FACES, &err);
        const int nb = fresh ? au_yunet_detect(fresh, im->bgr, im->w, im->h, im->stride, b, MAX_FACES, &err) : -2;
        CHECK(na >= 1 && same_faces(a, na, b, nb));
        au_yunet_destroy(fresh);
    }

    /* max_out: the first faces of the full result. */
    const image *many = &images[NUM_CASES - 1];
    const int all = au_yunet_detect(yn, many->bgr, many->w, many->h, many->stride, a, MAX_FACES, &err);
    const int five = au_yunet_detect(yn, many->bgr, many->w, many->h, many->stride, b, 5, &err);
    CHECK(all > 5 && five == 5 && same_faces(a, 5, b, 5));
    CHECK(au_yunet_detect(yn, many->bgr, many->w, many->h, many->stride, NULL, 0, &err) == 0);

    /* Invalid arguments. */
    const image *im = &images[0];
    CHECK(au_yunet_detect(yn, im->bgr, im->w, im->h, 3 * (size_t)im->w - 1, a, 4, &err) == -1);
    CHECK(err.status == AUFACE_ERR_ARG);
    CHECK(au_yunet_detect(yn, NULL, im->w, im->h, im->stride, a, 4, &err) == -1);
    CHECK(au_yunet_detect(yn, im->bgr, 0, im->h, im->stride, a, 4, &err) == -1);
}

/* A model without YuNet's outputs is refused with a message naming the file and the output. */
static void check_wrong_model(const image *im)
{
    au_err err;
    au_nn_model *rf = NULL;
    au_yunet *yn = NULL;
    CHECK(au_nn_model_load(&rf, RF_MODEL, &err) == AUFACE_OK);
    if (!rf)
        return;
    CHECK(au_yunet_create(&yn, rf, &err) == AUFACE_OK);
    au_face_box faces[4];
    CHECK(au_yunet_detect(yn, im->bgr, im->w, im->h, im->stride, faces, 4, &err) == -1);
    CHECK(err.status == AUFACE_ERR_FORMAT && strstr(err.msg, "retinaface_mobilenet0.25_640.onnx") &&
          strstr(err.msg, "cls_8"));
    printf("yunet on RetinaFace's model: %s\n", err.msg);
    au_yunet_destroy(yn);
    au_nn_model_free(rf);
}

int main(void)
{
    au_err err;
    au_nn_model *model = NULL;
    au_yunet *yn = NULL;
    image images[NUM_CASES];
    int loaded = 1;
    for (int c = 0; c < NUM_CASES; c++)
        loaded &= load_image(CASES[c].image, &images[c]);
    CHECK(loaded);
    CHECK(au_nn_model_load(&model, YUNET_MODEL, &err) == AUFACE_OK);
    if (model)
        CHECK(au_yunet_create(&yn, model, &err) == AUFACE_OK);
    if (!loaded || !yn) {
        fprintf(stderr, "%s\n", err.msg);
    } else {
        check_default_frame(yn, &images[0]);
        check_reference_images(yn, images);
        check_behaviour(model, yn, images);
        check_wrong_model(&images[0]);
    }
    au_yunet_destroy(yn);
    au_nn_model_free(model);
    for (int c = 0; c < NUM_CASES; c++)
        free(images[c].bgr);
    return check_report("test_yunet");
}
