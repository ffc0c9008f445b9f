#include "pipeline/frame_prefetch.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/c_locale.h"
#include "common/grow.h"
#include "common/thread_role.h"
#include "landmark/clnf_gray.h"

typedef struct prefetch_slot {
    au_prefetched_frame out;
    int outcome;            /* 1 a frame, 0 the end, < 0 an error (in err) */
    au_err err;
    uint8_t *bgr, *gray;
    size_t bgr_cap, gray_cap;
} prefetch_slot;

struct au_frame_prefetch {
    au_source *src;
    int depth, with_gray;
    prefetch_slot *slots;
    pthread_mutex_t mu;
    pthread_cond_t filled;  /* a slot was published, for the reader */
    pthread_cond_t space;   /* a slot was released or stop was asked, for the decoder */
    int first, count;       /* published slots: first..first+count−1 (mod depth), the
                               reader's current frame included */
    int holding;            /* the reader holds slots[first] (returned by _next) */
    int stop;
    pthread_t thread;
};

/* The next frame of the source into `s`: its outcome, and with a frame its pixels, packed
 * (taken over from the source, or copied where it cannot hand them over), and grey image. */
static void decode_into(au_frame_prefetch *pf, prefetch_slot *s)
{
    au_frame f;
    s->outcome = au_source_next(pf->src, &f, &s->err);
    s->out.corrupt_frames = au_source_corrupt_frames(pf->src);
    if (s->outcome <= 0)
        return;
    const size_t row = (size_t)f.width * 3, pixels = (size_t)f.width * (size_t)f.height;
    if (!au_source_keep_frame(pf->src, &f, &s->bgr, &s->bgr_cap) ||
        (pf->with_gray && !au_grow_bytes(&s->gray, &s->gray_cap, pixels))) {
        au_fail(&s->err, AUFACE_ERR_NOMEM, "out of memory for a %dx%d frame", f.width,
                f.height);
        s->outcome = -1;
        return;
    }
    s->out.frame = f;
    s->out.frame.bgr = s->bgr;
    s->out.frame.stride = row;
    s->out.gray = NULL;
    if (pf->with_gray) {
        au_bgr_to_gray_opencv(s->bgr, f.width, f.height, row, s->gray, (size_t)f.width);
        s->out.gray = s->gray;
    }
}

static void *decoder_main(void *arg)
{
    au_frame_prefetch *pf = arg;
    au_thread_name_set("auface-decode");
    au_thread_batch(); /* it works ahead of the tracker: it must not push it off its core */
    au_c_locale_scope numbers; /* a new thread starts in the global locale */
    au_c_locale_enter(&numbers);
    pthread_mutex_lock(&pf->mu);
    for (;;) {
        while (!pf->stop && pf->count == pf->depth)
            pthread_cond_wait(&pf->space, &pf->mu);
        if (pf->stop)
            break;
        prefetch_slot *s = &pf->slots[(pf->first + pf->count) % pf->depth];
        pthread_mutex_unlock(&pf->mu);
        decode_into(pf, s); /* the slot is nobody else's until it is published */
        pthread_mutex_lock(&pf->mu);
        pf->count++;
        /* Signalled after the unlock, so that the reader does not wake only to sleep again
         * on the lock this thread holds. */
        pthread_mutex_unlock(&pf->mu);
        pthread_cond_signal(&pf->filled);
        pthread_mutex_lock(&pf->mu);
        if (s->outcome <= 0)
            break; /* the end or the first error: nothing after it is read */
    }
    pthread_mutex_unlock(&pf->mu);
    au_c_locale_leave(&numbers);
    return NULL;
}

static void free_slots(au_frame_prefetch *pf)
{
    for (int i = 0; pf->slots && i < pf->depth; i++) {
        free(pf->slots[i].bgr);
        free(pf->slots[i].gray);
    }
    free(pf->slots);
}

auface_status au_frame_prefetch_create(au_frame_prefetch **out, au_source *src, int depth,
                                       int with_gray, au_err *err)
{
    if (!out || !src || depth < 1)
        return au_fail(err, AUFACE_ERR_ARG, "frame prefetch: no source, or depth %d", depth);
    *out = NULL;
    au_frame_prefetch *pf = calloc(1, sizeof *pf);
    if (!pf || !(pf->slots = calloc((size_t)depth, sizeof *pf->slots))) {
        free(pf);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the frame prefetch");
    }
    pf->src = src;
    pf->depth = depth;
    pf->with_gray = with_gray;
    if (pthread_mutex_init(&pf->mu, NULL) != 0) {
        free_slots(pf);
        free(pf);
        return au_fail(err, AUFACE_ERR_INTERNAL, "frame prefetch: cannot create a lock");
    }
    int conds = (pthread_cond_init(&pf->filled, NULL) == 0) +
                (pthread_cond_init(&pf->space, NULL) == 0);
    if (conds < 2 || pthread_create(&pf->thread, NULL, decoder_main, pf) != 0) {
        if (conds >= 1)
            pthread_cond_destroy(&pf->filled);
        if (conds == 2)
            pthread_cond_destroy(&pf->space);
        pthread_mutex_destroy(&pf->mu);
        free_slots(pf);
        free(pf);
        return au_fail(err, AUFACE_ERR_INTERNAL, "frame prefetch: cannot start a thread");
    }
    *out = pf;
    return AUFACE_OK;
}

int au_frame_prefetch_next(au_frame_prefetch *pf, const au_prefetched_frame **frame,
                           long *corrupt_frames, au_err *err)
{
    pthread_mutex_lock(&pf->mu);
    if (pf->holding) {
        pf->first = (pf->first + 1) % pf->depth;
        pf->count--;
        pf->holding = 0;
        /* A full queue's decoder sleeps until at most one frame is left, then decodes the
         * others in one go: one wake-up (which may land on the reader's core) for every
         * depth − 1 frames instead of one for every frame. It is woken once the lock is
         * free (as in decoder_main). */
        if (pf->count <= 1) {
            pthread_mutex_unlock(&pf->mu);
            pthread_cond_signal(&pf->space);
            pthread_mutex_lock(&pf->mu);
        }
    }
    while (pf->count == 0)
        pthread_cond_wait(&pf->filled, &pf->mu);
    const prefetch_slot *s = &pf->slots[pf->first];
    pf->holding = s->outcome > 0; /* the end or an error stays first: later calls see it */
    pthread_mutex_unlock(&pf->mu);
    *corrupt_frames = s->out.corrupt_frames;
    if (s->outcome < 0)
        *err = s->err;
    else if (s->outcome > 0)
        *frame = &s->out;
    return s->outcome;
}

void au_frame_prefetch_take_pixels(au_frame_prefetch *pf, uint8_t **pixels, size_t *capacity)
{
    /* The held slot is the reader's alone until the next _next: no lock needed. */
    prefetch_slot *s = &pf->slots[pf->first];
    uint8_t *frame = s->bgr;
    size_t frame_cap = s->bgr_cap;
    s->bgr = *pixels;
    s->bgr_cap = *pixels ? *capacity : 0;
    s->out.frame.bgr = NULL;
    *pixels = frame;
    *capacity = frame_cap;
}

void au_frame_prefetch_free(au_frame_prefetch *pf)
{
    if (!pf)
        return;
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pthread_cond_signal(&pf->space);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->thread, NULL);
    pthread_cond_destroy(&pf->filled);
    pthread_cond_destroy(&pf->space);
    pthread_mutex_destroy(&pf->mu);
    free_slots(pf);
    free(pf);
}
