/* Ordered BGR conversion of decoded frames on helper threads; see io/video_convert.h. */
#include "io/video_convert.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/imgutils.h>
#include <libavutil/macros.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "common/c_locale.h"
#include "common/thread_role.h"
#include "io/source_backends.h"

/* Row alignment of the BGR buffer: OpenCV allocates it with av_frame_get_buffer(&rgb_picture,
 * 32) (CvCapture_FFMPEG::retrieveFrame); swscale's SIMD paths depend on the stride, so keep
 * the same layout (bgr_linesize). */
#define AU_BGR_ALIGN 32
/* Start of the BGR buffer: av_malloc's alignment in an FFmpeg built with AVX-512. */
#define AU_BGR_BASE_ALIGN 64
/* Upper bound on helper threads: beyond a few, conversion is far from the bottleneck. */
#define AU_BGR_MAX_HELPERS 16

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_CONVERTING, SLOT_CONVERTED, SLOT_TAKEN };

typedef struct bgr_slot {
    enum slot_state state;
    AVFrame *decoded;          /* the submitted picture (a reference) */
    int conv_w, conv_h;
    long index;
    double timestamp;
    /* The converter of this slot: its own swscale context, so that no two threads share
     * one, and its own output buffers, reused from frame to frame. */
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt;
    uint8_t *bgr;              /* AU_BGR_BASE_ALIGN-aligned, bgr_cap bytes; may be swapped */
    size_t bgr_cap;            /* with a reader's buffer (au_bgr_queue_swap_pixels) */
    int bgr_linesize;
    uint8_t *rotated;
    size_t rotated_size;
    /* The result. */
    const uint8_t *pixels;
    int width, height;
    size_t stride;
    au_bgr_failure failure;    /* status AUFACE_OK when converted */
} bgr_slot;

struct au_bgr_queue {
    pthread_mutex_t mu;
    pthread_cond_t queued;     /* a slot became QUEUED, or stop: for the helpers */
    pthread_cond_t converted;  /* a slot became CONVERTED: for the taking thread */
    int orientation;
    int nslots;
    bgr_slot *slots;
    int head;                  /* oldest slot not released */
    int used;                  /* slots from head on that are not FREE */
    int stop;
    int num_helpers;           /* threads started */
    pthread_t *helpers;
};

static void set_failure(bgr_slot *s, auface_status status, const char *what, int averr)
{
    s->failure.status = status;
    s->failure.averr = averr;
    s->failure.index = s->index;
    snprintf(s->failure.what, sizeof s->failure.what, "%s", what);
}

/* The row stride av_frame_get_buffer(frame, AU_BGR_ALIGN) gives a BGR24 picture of width w
 * (FFmpeg 5.1 get_video_buffer): the smallest width rounded up to a power of two whose
 * linesize is a multiple of the alignment, then rounded up to it. */
static int bgr_linesize(int w)
{
    int ls[4] = {0};
    for (int i = 1; i <= AU_BGR_ALIGN; i += i) {
        if (av_image_fill_linesizes(ls, AV_PIX_FMT_BGR24, FFALIGN(w, i)) < 0)
            return -1;
        if (!(ls[0] & (AU_BGR_ALIGN - 1)))
            break;
    }
    return FFALIGN(ls[0], AU_BGR_ALIGN);
}

/* Makes the slot's BGR buffer hold `need` bytes at AU_BGR_BASE_ALIGN (a buffer swapped in
 * from a reader may be smaller or differently aligned), plus the padding FFmpeg leaves after
 * a picture, in case a SIMD store of swscale's runs past the last row. Returns 0 when out
 * of memory. */
static int ensure_bgr_buffer(bgr_slot *s, size_t need)
{
    need += AU_BGR_BASE_ALIGN;
    if (s->bgr && s->bgr_cap >= need && (uintptr_t)s->bgr % AU_BGR_BASE_ALIGN == 0)
        return 1;
    free(s->bgr);
    s->bgr = NULL;
    s->bgr_cap = 0;
    void *p = NULL;
    if (posix_memalign(&p, AU_BGR_BASE_ALIGN, need) != 0)
        return 0;
    s->bgr = p;
    s->bgr_cap = need;
    return 1;
}

/* Converts the slot's frame to BGR24 and re-orients it: the conversion of OpenCV's
 * CvCapture_FFMPEG::retrieveFrame and rotateFrame. Runs without the lock: the slot belongs
 * to the converting thread. */
static void convert_slot(bgr_slot *s, int orientation)
{
    const AVFrame *f = s->decoded;
    int bw = s->conv_w, bh = s->conv_h;
    s->failure.status = AUFACE_OK;
    if (!s->sws || s->sws_w != bw || s->sws_h != bh || s->sws_fmt != f->format) {
        /* SWS_BICUBIC: CvCapture_FFMPEG::retrieveFrame; it is also the ffmpeg CLI's default
         * for its automatic conversions, hence byte-identical to `-pix_fmt bgr24`. */
        s->sws = sws_getCachedContext(s->sws, bw, bh, (enum AVPixelFormat)f->format, bw, bh,
                                      AV_PIX_FMT_BGR24, SWS_BICUBIC, NULL, NULL, NULL);
        s->bgr_linesize = bgr_linesize(bw);
        if (!s->sws || s->bgr_linesize <= 0) {
            const char *name = av_get_pix_fmt_name((enum AVPixelFormat)f->format);
            char what[96];
            snprintf(what, sizeof what, "cannot convert pixel format %s to BGR",
                     name ? name : "(unknown)");
            s->sws_fmt = AV_PIX_FMT_NONE;
            set_failure(s, AUFACE_ERR_UNSUPPORTED, what, 0);
            return;
        }
        s->sws_w = bw;
        s->sws_h = bh;
        s->sws_fmt = f->format;
    }
    if (!ensure_bgr_buffer(s, (size_t)s->bgr_linesize * (size_t)bh)) {
        set_failure(s, AUFACE_ERR_NOMEM, "no memory for the BGR picture", 0);
        return;
    }
    uint8_t *dst[4] = {s->bgr, NULL, NULL, NULL};
    const int dst_stride[4] = {s->bgr_linesize, 0, 0, 0};
    sws_scale(s->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst,
              dst_stride);

    int w = f->width, h = f->height;
    const uint8_t *pixels = s->bgr;
    size_t stride = (size_t)s->bgr_linesize;
    if (orientation != 1) {
        int ow, oh;
        au_orient_size(orientation, w, h, &ow, &oh);
        size_t need = (size_t)ow * 3 * (size_t)oh;
        if (need > s->rotated_size) {
            uint8_t *p = realloc(s->rotated, need);
            if (!p) {
                set_failure(s, AUFACE_ERR_NOMEM, "no memory to rotate the frame", 0);
                return;
            }
            s->rotated = p;
            s->rotated_size = need;
        }
        au_orient_bgr(pixels, w, h, stride, orientation, s->rotated, (size_t)ow * 3);
        pixels = s->rotated;
        stride = (size_t)ow * 3;
        w = ow;
        h = oh;
    }
    s->pixels = pixels;
    s->width = w;
    s->height = h;
    s->stride = stride;
}

/* The oldest QUEUED slot, or NULL. Caller holds the lock. */
static bgr_slot *oldest_queued(au_bgr_queue *q)
{
    for (int k = 0; k < q->used; k++) {
        bgr_slot *s = &q->slots[(q->head + k) % q->nslots];
        if (s->state == SLOT_QUEUED)
            return s;
    }
    return NULL;
}

/* Converts `s` (marked CONVERTING by the caller) without the lock, then publishes it.
 * Caller holds the lock. */
static void convert_unlocked(au_bgr_queue *q, bgr_slot *s)
{
    pthread_mutex_unlock(&q->mu);
    convert_slot(s, q->orientation);
    av_frame_unref(s->decoded); /* give the decoder its buffer back early */
    pthread_mutex_lock(&q->mu);
    s->state = SLOT_CONVERTED;
    pthread_cond_broadcast(&q->converted);
}

static void *helper_main(void *arg)
{
    au_bgr_queue *q = arg;
    au_thread_name_set("auface-convert");
    au_c_locale_scope numbers; /* a new thread starts in the global locale */
    au_c_locale_enter(&numbers);
    pthread_mutex_lock(&q->mu);
    for (;;) {
        bgr_slot *s = NULL;
        while (!q->stop && !(s = oldest_queued(q)))
            pthread_cond_wait(&q->queued, &q->mu);
        if (q->stop)
            break;
        s->state = SLOT_CONVERTING;
        convert_unlocked(q, s);
    }
    pthread_mutex_unlock(&q->mu);
    au_c_locale_leave(&numbers);
    return NULL;
}

static void free_slots(au_bgr_queue *q)
{
    for (int i = 0; i < q->nslots; i++) {
        bgr_slot *s = &q->slots[i];
        sws_freeContext(s->sws);
        free(s->bgr);
        av_frame_free(&s->decoded);
        free(s->rotated);
    }
    free(q->slots);
}

auface_status au_bgr_queue_create(au_bgr_queue **out, int helpers, int orientation,
                                  au_err *err)
{
    *out = NULL;
    if (helpers < 0)
        helpers = 0;
    if (helpers > AU_BGR_MAX_HELPERS)
        helpers = AU_BGR_MAX_HELPERS;
    au_bgr_queue *q = calloc(1, sizeof *q);
    if (!q)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the frame converter");
    q->orientation = orientation;
    /* Two slots beyond the helpers: the frame the reader holds and the one it converts
     * itself when it gets there first. */
    q->nslots = helpers > 0 ? helpers + 2 : 1;
    q->slots = calloc((size_t)q->nslots, sizeof *q->slots);
    q->helpers = helpers > 0 ? calloc((size_t)helpers, sizeof *q->helpers) : NULL;
    int ok = q->slots && (helpers == 0 || q->helpers);
    for (int i = 0; ok && i < q->nslots; i++) {
        q->slots[i].decoded = av_frame_alloc();
        q->slots[i].sws_fmt = AV_PIX_FMT_NONE;
        ok = q->slots[i].decoded != NULL;
    }
    if (!ok) {
        if (q->slots)
            free_slots(q);
        free(q->helpers);
        free(q);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the frame converter");
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->queued, NULL);
    pthread_cond_init(&q->converted, NULL);
    /* Fewer helpers than asked (even none) only means the reader converts more itself. */
    for (int i = 0; i < helpers; i++) {
        if (pthread_create(&q->helpers[i], NULL, helper_main, q) != 0)
            break;
        q->num_helpers++;
    }
    *out = q;
    return AUFACE_OK;
}

int au_bgr_queue_capacity(const au_bgr_queue *q)
{
    return q->nslots;
}

int au_bgr_queue_room(const au_bgr_queue *q)
{
    return q->nslots - q->used;
}

int au_bgr_queue_pending(au_bgr_queue *q)
{
    pthread_mutex_lock(&q->mu);
    int n = q->used;
    if (n > 0 && q->slots[q->head].state == SLOT_TAKEN)
        n--;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void au_bgr_queue_submit(au_bgr_queue *q, AVFrame *decoded, int conv_w, int conv_h,
                         long index, double timestamp)
{
    pthread_mutex_lock(&q->mu);
    bgr_slot *s = &q->slots[(q->head + q->used) % q->nslots];
    av_frame_unref(s->decoded);
    av_frame_move_ref(s->decoded, decoded);
    s->conv_w = conv_w;
    s->conv_h = conv_h;
    s->index = index;
    s->timestamp = timestamp;
    s->state = SLOT_QUEUED;
    q->used++;
    if (q->num_helpers > 0)
        pthread_cond_signal(&q->queued);
    pthread_mutex_unlock(&q->mu);
}

int au_bgr_queue_take(au_bgr_queue *q, au_frame *frame, au_bgr_failure *failure)
{
    pthread_mutex_lock(&q->mu);
    bgr_slot *s = &q->slots[q->head];
    if (s->state == SLOT_QUEUED) {
        s->state = SLOT_CONVERTING;
        convert_unlocked(q, s);
    }
    while (s->state == SLOT_CONVERTING)
        pthread_cond_wait(&q->converted, &q->mu);
    s->state = SLOT_TAKEN;
    pthread_mutex_unlock(&q->mu);
    if (s->failure.status != AUFACE_OK) {
        *failure = s->failure;
        return -1;
    }
    frame->bgr = s->pixels;
    frame->width = s->width;
    frame->height = s->height;
    frame->stride = s->stride;
    frame->timestamp = s->timestamp;
    return 1;
}

int au_bgr_queue_swap_pixels(au_bgr_queue *q, uint8_t **pixels, size_t *capacity)
{
    pthread_mutex_lock(&q->mu);
    bgr_slot *s = q->used > 0 ? &q->slots[q->head] : NULL;
    /* only the slot's own buffer with rows packed: not a re-oriented copy, not padded rows */
    const int ok = s && s->state == SLOT_TAKEN && s->failure.status == AUFACE_OK &&
                   s->pixels == s->bgr && s->stride == (size_t)s->width * 3;
    if (ok) {
        uint8_t *mine = s->bgr;
        const size_t mine_cap = s->bgr_cap;
        s->bgr = *pixels;
        s->bgr_cap = *pixels ? *capacity : 0;
        *pixels = mine;
        *capacity = mine_cap;
    }
    pthread_mutex_unlock(&q->mu);
    return ok;
}

void au_bgr_queue_release(au_bgr_queue *q)
{
    pthread_mutex_lock(&q->mu);
    if (q->used > 0 && q->slots[q->head].state == SLOT_TAKEN) {
        q->slots[q->head].state = SLOT_FREE;
        q->head = (q->head + 1) % q->nslots;
        q->used--;
    }
    pthread_mutex_unlock(&q->mu);
}

void au_bgr_queue_drop(au_bgr_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->used > 0) {
        bgr_slot *s = &q->slots[q->head];
        while (s->state == SLOT_CONVERTING) /* a helper is still writing into it */
            pthread_cond_wait(&q->converted, &q->mu);
        av_frame_unref(s->decoded);
        s->state = SLOT_FREE;
        q->head = (q->head + 1) % q->nslots;
        q->used--;
    }
    pthread_mutex_unlock(&q->mu);
}

void au_bgr_queue_free(au_bgr_queue *q)
{
    if (!q)
        return;
    au_bgr_queue_drop(q);
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_broadcast(&q->queued);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < q->num_helpers; i++)
        pthread_join(q->helpers[i], NULL);
    pthread_cond_destroy(&q->converted);
    pthread_cond_destroy(&q->queued);
    pthread_mutex_destroy(&q->mu);
    free_slots(q);
    free(q->helpers);
    free(q);
}
