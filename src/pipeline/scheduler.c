#include "pipeline/scheduler.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_WORKING, SLOT_DONE };

typedef struct slot {
    enum slot_state state;
    uint8_t *pixels;
    size_t capacity;
    au_frame_input in;
    au_frame_output *out;
} slot;

typedef struct run {
    const au_schedule *s;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    slot *slots;
    int nslots;
    long frames_read;
    int read_done;
    long next_chunk;
    int abort;
    auface_status status;      /* first error */
    au_err err;
    double decode_seconds;
} run;

/* Records the first error. Caller holds the lock. */
static void record_error_locked(run *r, auface_status st, const au_err *err)
{
    if (r->status == AUFACE_OK && st != AUFACE_OK) {
        r->status = st;
        if (err)
            r->err = *err;
    }
}

/* Records the first error and makes every thread stop. Caller holds the lock. */
static void fail_locked(run *r, auface_status st, const au_err *err)
{
    record_error_locked(r, st, err);
    r->abort = 1;
    pthread_cond_broadcast(&r->changed);
}

static slot *find_slot(run *r, long index, enum slot_state state)
{
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].state == state && r->slots[i].in.index == index)
            return &r->slots[i];
    return NULL;
}

static slot *free_slot(run *r)
{
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].state == SLOT_FREE)
            return &r->slots[i];
    return NULL;
}

static void *reader_main(void *arg)
{
    run *r = arg;
    au_err err;
    au_err_clear(&err);
    for (;;) {
        pthread_mutex_lock(&r->mu);
        slot *sl;
        while (!r->abort && !(sl = free_slot(r)))
            pthread_cond_wait(&r->changed, &r->mu);
        if (r->abort) {
            pthread_mutex_unlock(&r->mu);
            break;
        }
        sl->state = SLOT_FILLING;
        pthread_mutex_unlock(&r->mu);

        double t0 = au_now_seconds();
        int got = r->s->read(r->s->read_user, &sl->in, &sl->pixels, &sl->capacity, &err);
        r->decode_seconds += au_now_seconds() - t0;

        pthread_mutex_lock(&r->mu);
        if (got > 0) {
            sl->state = SLOT_READY;
            r->frames_read++;
        } else {
            sl->state = SLOT_FREE;
            r->read_done = 1;
            /* A read error ends the video: the frames read before it are still
             * processed and consumed, then the error is reported. */
            if (got < 0)
                record_error_locked(r, err.status ? err.status : AUFACE_ERR_VIDEO, &err);
        }
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->mu);
        if (got <= 0)
            break;
    }
    pthread_mutex_lock(&r->mu);
    r->read_done = 1;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Waits for frame `index` to be READY; NULL when the video ended before it or the run
 * aborted. Caller holds the lock. */
static slot *wait_for_frame(run *r, long index)
{
    for (;;) {
        if (r->abort)
            return NULL;
        slot *sl = find_slot(r, index, SLOT_READY);
        if (sl)
            return sl;
        if (r->read_done && index >= r->frames_read)
            return NULL;
        pthread_cond_wait(&r->changed, &r->mu);
    }
}

typedef struct worker_arg {
    run *r;
    au_worker *w;
} worker_arg;

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    run *r = wa->r;
    const long chunk = r->s->chunk;
    au_err err;
    au_err_clear(&err);
    pthread_mutex_lock(&r->mu);
    for (;;) {
        long c = r->next_chunk++;
        int ended = 0;
        for (long i = c * chunk; i < (c + 1) * chunk; i++) {
            slot *sl = wait_for_frame(r, i);
            if (!sl) {
                ended = 1;
                break;
            }
            sl->state = SLOT_WORKING;
            pthread_mutex_unlock(&r->mu);
            if (i == c * chunk)
                au_worker_reset(wa->w);
            auface_status st = au_worker_process(wa->w, &sl->in, sl->out, &err);
            pthread_mutex_lock(&r->mu);
            if (st != AUFACE_OK) {
                fail_locked(r, st, &err);
                ended = 1;
                break;
            }
            sl->state = SLOT_DONE;
            pthread_cond_broadcast(&r->changed);
        }
        if (ended)
            break;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* The calling thread: results in frame order. */
static void consume_in_order(run *r)
{
    au_err err;
    au_err_clear(&err);
    for (long next = 0;; next++) {
        pthread_mutex_lock(&r->mu);
        slot *sl = NULL;
        for (;;) {
            if (r->abort)
                break;
            if ((sl = find_slot(r, next, SLOT_DONE)))
                break;
            if (r->read_done && next >= r->frames_read)
                break;
            pthread_cond_wait(&r->changed, &r->mu);
        }
        pthread_mutex_unlock(&r->mu);
        if (!sl)
            return;
        int stop = 0;
        auface_status st = r->s->consume(r->s->consume_user, sl->out, &stop, &err);
        pthread_mutex_lock(&r->mu);
        sl->state = SLOT_FREE;
        if (st != AUFACE_OK)
            fail_locked(r, st, &err);
        else if (stop)
            fail_locked(r, AUFACE_OK, NULL);
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->mu);
    }
}

static auface_status run_sequential(const au_schedule *s, au_stage_times *times, au_err *err)
{
    uint8_t *pixels = NULL;
    size_t capacity = 0;
    au_frame_input *in = malloc(sizeof *in);
    au_frame_output *out = malloc(sizeof *out);
    auface_status st = AUFACE_OK;
    if (!in || !out)
        st = au_fail(err, AUFACE_ERR_NOMEM, "out of memory for frame buffers");
    while (st == AUFACE_OK) {
        double t0 = au_now_seconds();
        int got = s->read(s->read_user, in, &pixels, &capacity, err);
        times->seconds[AU_STAGE_DECODE] += au_now_seconds() - t0;
        if (got < 0)
            st = err && err->status ? err->status : AUFACE_ERR_VIDEO;
        if (got <= 0)
            break;
        if (in->index % s->chunk == 0)
            au_worker_reset(s->workers[0]);
        if ((st = au_worker_process(s->workers[0], in, out, err)) != AUFACE_OK)
            break;
        int stop = 0;
        st = s->consume(s->consume_user, out, &stop, err);
        if (stop)
            break;
    }
    au_worker_take_times(s->workers[0], times);
    free(pixels);
    free(in);
    free(out);
    return st;
}

static void free_slots(run *r)
{
    for (int i = 0; i < r->nslots; i++) {
        free(r->slots[i].pixels);
        free(r->slots[i].out);
    }
    free(r->slots);
}

static auface_status run_parallel(const au_schedule *s, au_stage_times *times, au_err *err)
{
    run r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.nslots = s->ring;
    r.slots = calloc((size_t)r.nslots, sizeof *r.slots);
    if (!r.slots)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for %d frame slots", s->ring);
    for (int i = 0; i < r.nslots; i++)
        if (!(r.slots[i].out = malloc(sizeof *r.slots[i].out))) {
            free_slots(&r);
            return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for frame results");
        }
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.changed, NULL);

    pthread_t reader;
    pthread_t *workers = malloc(sizeof *workers * (size_t)s->num_workers);
    worker_arg *args = malloc(sizeof *args * (size_t)s->num_workers);
    int started = 0;
    if (!workers || !args) {
        free(workers);
        free(args);
        free_slots(&r);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for %d workers", s->num_workers);
    }
    int reader_started = pthread_create(&reader, NULL, reader_main, &r) == 0;
    for (int i = 0; reader_started && i < s->num_workers; i++) {
        args[i] = (worker_arg){&r, s->workers[i]};
        if (pthread_create(&workers[i], NULL, worker_main, &args[i]) != 0)
            break;
        started++;
    }
    if (!reader_started || started == 0) {
        pthread_mutex_lock(&r.mu);
        au_err e;
        au_fail(&e, AUFACE_ERR_INTERNAL, "could not start threads");
        fail_locked(&r, AUFACE_ERR_INTERNAL, &e);
        pthread_mutex_unlock(&r.mu);
    } else {
        consume_in_order(&r);
    }
    pthread_mutex_lock(&r.mu);
    r.abort = 1; /* the consumer is done: release any thread still waiting */
    pthread_cond_broadcast(&r.changed);
    pthread_mutex_unlock(&r.mu);
    if (reader_started)
        pthread_join(reader, NULL);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i], NULL);

    times->seconds[AU_STAGE_DECODE] += r.decode_seconds;
    for (int i = 0; i < s->num_workers; i++)
        au_worker_take_times(s->workers[i], times);
    if (r.status != AUFACE_OK && err)
        *err = r.err;
    auface_status st = r.status;
    free(workers);
    free(args);
    pthread_cond_destroy(&r.changed);
    pthread_mutex_destroy(&r.mu);
    free_slots(&r);
    return st;
}

auface_status au_schedule_run(const au_schedule *s, au_stage_times *times, au_err *err)
{
    if (s->num_workers < 1 || s->chunk < 1 || s->ring < 1)
        return au_fail(err, AUFACE_ERR_ARG, "scheduler: workers, chunk and ring must be >= 1");
    if (s->num_workers == 1)
        return run_sequential(s, times, err);
    return run_parallel(s, times, err);
}
