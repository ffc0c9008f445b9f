#include "pipeline/scheduler.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/c_locale.h"
#include "common/thread_role.h"

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_WORKING, SLOT_DONE };

typedef struct slot {
    enum slot_state state;
    uint8_t *pixels;
    size_t capacity;
    au_frame_input in;
    au_frame_output *out;
} slot;

/* A thread's own wake-up: each thread sleeps on its own condition variable and is woken
 * only by the event it waits for (its frame read, its frame done, a slot freed), or by the
 * rare events every thread must see (the first frame, the end of reading, a stop). One
 * condition for all woke every sleeper on every change, and a woken thread that finds no
 * core free is placed on the waker's and may preempt it: with CLNF that is the reader,
 * which runs the tracker, the run's one sequential path. */
typedef struct waiter {
    pthread_cond_t cv;
    int waiting;               /* asleep on cv (set and cleared under the run's lock) */
    long frame;                /* the frame it waits for; -1 for none in particular */
} waiter;

typedef struct run {
    const au_schedule *s;
    pthread_mutex_t mu;
    waiter reader_wait;        /* for a free slot */
    waiter consumer_wait;      /* for frame `frame` done */
    waiter *worker_waits;      /* worker i for frame `frame` read */
    int num_waiters;           /* worker waits initialised */
    slot *slots;
    int nslots;
    int usable;                /* slots that may be filled at once (the memory budget) */
    size_t slot_bytes;         /* one filled slot: the largest frame so far and its result */
    long first;                /* index of the first frame read, -1 until known */
    long frames_read;          /* frames first .. first + frames_read − 1 were read */
    int read_done;
    long next_chunk;           /* -1 until the first frame tells where chunks start */
    /* The first failure in frame order: frames from stop_at on are neither read, processed
     * nor consumed; status is its error (AUFACE_OK for a stop request or none). */
    long stop_at;
    auface_status status;
    au_err err;
    int consumer_gone;         /* the consumer returned: every thread leaves */
    double decode_seconds;
} run;

int au_schedule_slots_within(int ring, size_t max_bytes, size_t slot_bytes)
{
    if (ring < 1)
        return 1;
    if (max_bytes == 0 || slot_bytes == 0)
        return ring;
    size_t fit = max_bytes / slot_bytes;
    return fit < 1 ? 1 : fit < (size_t)ring ? (int)fit : ring;
}

/* Sleeps on w until woken (for `frame`, or -1 for any event). Caller holds the lock. */
static void sleep_on(run *r, waiter *w, long frame)
{
    w->waiting = 1;
    w->frame = frame;
    pthread_cond_wait(&w->cv, &r->mu);
    w->waiting = 0;
}

/* Wakes every sleeping thread: for the events all of them must see. Caller holds the
 * lock. */
static void wake_all_locked(run *r)
{
    pthread_cond_signal(&r->reader_wait.cv);
    pthread_cond_signal(&r->consumer_wait.cv);
    for (int i = 0; i < r->num_waiters; i++)
        pthread_cond_signal(&r->worker_waits[i].cv);
}

/* The sleeping worker waiting for frame `index` to be read, or NULL. Caller holds the
 * lock. */
static pthread_cond_t *worker_waiting_for(run *r, long index)
{
    for (int i = 0; i < r->num_waiters; i++)
        if (r->worker_waits[i].waiting && r->worker_waits[i].frame == index)
            return &r->worker_waits[i].cv;
    return NULL;
}

/* Wakes the thread behind `cv` (none for NULL) with the lock released for the signal, so
 * that it does not wake only to sleep again on the lock still held. Caller holds the lock,
 * and holds it again on return. */
static void wake_unlocked(run *r, pthread_cond_t *cv)
{
    if (!cv)
        return;
    pthread_mutex_unlock(&r->mu);
    pthread_cond_signal(cv);
    pthread_mutex_lock(&r->mu);
}

/* Records a failure (or, with AUFACE_OK, a stop) at frame `frame` unless one at an earlier
 * frame is known; `wins_tie` for the consumer, which in the sequential order acts on frame
 * n − 1 before anyone reads or processes frame n. Caller holds the lock. */
static void stop_at_frame_locked(run *r, long frame, int wins_tie, auface_status st,
                                 const au_err *err)
{
    if (frame > r->stop_at || (frame == r->stop_at && !wins_tie))
        return;
    r->stop_at = frame;
    r->status = st;
    if (err && st != AUFACE_OK)
        r->err = *err;
    else
        au_err_clear(&r->err);
    wake_all_locked(r);
}

static slot *find_slot(run *r, long index, enum slot_state state)
{
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].state == state && r->slots[i].in.index == index)
            return &r->slots[i];
    return NULL;
}

/* One past the index of the last frame read. */
static long read_end(const run *r)
{
    return r->first < 0 ? 0 : r->first + r->frames_read;
}

/* Waits until the first frame's index is known; 0 when the run has no frame (or the
 * consumer left). Caller holds the lock. */
static int wait_for_first_frame(run *r, waiter *w)
{
    while (r->first < 0 && !r->read_done && !r->consumer_gone)
        sleep_on(r, w, -1);
    return r->first >= 0 && !r->consumer_gone;
}

/* A free slot among those the budget allows; only the first `usable` slots are ever
 * filled, so the others never hold pixels. */
static slot *free_slot(run *r)
{
    for (int i = 0; i < r->usable && i < r->nslots; i++)
        if (r->slots[i].state == SLOT_FREE)
            return &r->slots[i];
    return NULL;
}

/* After a frame was read into `sl`: the budget in slots, from the largest frame so far. */
static void update_budget_locked(run *r, const slot *sl)
{
    size_t bytes = sl->capacity + sizeof *sl->out;
    if (bytes > r->slot_bytes) {
        r->slot_bytes = bytes;
        r->usable = au_schedule_slots_within(r->nslots, r->s->max_bytes, bytes);
    }
}

/* Waits for a slot the reader may fill; NULL when it should stop. Caller holds the lock. */
static slot *wait_for_free_slot(run *r)
{
    for (;;) {
        if (r->consumer_gone || read_end(r) >= r->stop_at)
            return NULL;
        slot *sl = free_slot(r);
        if (sl)
            return sl;
        sleep_on(r, &r->reader_wait, -1);
    }
}

static void *reader_main(void *arg)
{
    run *r = arg;
    au_thread_name_set("auface-reader");
    au_c_locale_scope numbers; /* a new thread starts in the global locale */
    au_c_locale_enter(&numbers);
    au_err err;
    au_err_clear(&err);
    pthread_mutex_lock(&r->mu);
    slot *sl;
    while ((sl = wait_for_free_slot(r))) {
        sl->state = SLOT_FILLING;
        pthread_mutex_unlock(&r->mu);

        /* A slot gets its result buffer when first filled: the ring may be far larger
         * than the budget lets the run use. */
        if (!sl->out && !(sl->out = malloc(sizeof *sl->out))) {
            pthread_mutex_lock(&r->mu);
            sl->state = SLOT_FREE;
            au_fail(&err, AUFACE_ERR_NOMEM, "out of memory for a frame result");
            stop_at_frame_locked(r, read_end(r), 0, AUFACE_ERR_NOMEM, &err);
            break;
        }
        double t0 = au_now_seconds();
        int got = r->s->read(r->s->read_user, &sl->in, &sl->pixels, &sl->capacity, &err);
        r->decode_seconds += au_now_seconds() - t0;

        pthread_mutex_lock(&r->mu);
        if (got <= 0) {
            sl->state = SLOT_FREE;
            /* A read error ends the video: the frames read before it are still
             * processed and consumed, then the error is reported. */
            if (got < 0)
                stop_at_frame_locked(r, read_end(r), 0,
                                     err.status ? err.status : AUFACE_ERR_VIDEO, &err);
            break;
        }
        sl->state = SLOT_READY;
        pthread_cond_t *worker = NULL;
        if (r->first < 0) { /* frames are numbered on from the first (not always 0) */
            r->first = sl->in.index;
            wake_all_locked(r);
        } else {
            worker = worker_waiting_for(r, sl->in.index);
        }
        r->frames_read++;
        update_budget_locked(r, sl);
        wake_unlocked(r, worker);
    }
    r->read_done = 1;
    wake_all_locked(r);
    pthread_mutex_unlock(&r->mu);
    au_c_locale_leave(&numbers);
    return NULL;
}

/* Waits for frame `index` to be READY; NULL when the video ended before it, the run stops
 * before it, or the consumer left. Caller holds the lock. */
static slot *wait_for_frame(run *r, waiter *w, long index)
{
    for (;;) {
        if (r->consumer_gone || index >= r->stop_at)
            return NULL;
        slot *sl = find_slot(r, index, SLOT_READY);
        if (sl)
            return sl;
        if (r->read_done && index >= read_end(r))
            return NULL;
        sleep_on(r, w, index);
    }
}

typedef struct worker_arg {
    run *r;
    au_worker *w;
    waiter *wait;
} worker_arg;

/* Processes the frames of chunk `c`; 0 when the worker should stop. Caller holds the
 * lock (released while a frame is processed). */
static int process_chunk_locked(run *r, au_worker *w, waiter *wait, long c, au_err *err)
{
    const long chunk = r->s->chunk;
    const long start = c * chunk > r->first ? c * chunk : r->first;
    for (long i = start; i < (c + 1) * chunk; i++) {
        slot *sl = wait_for_frame(r, wait, i);
        if (!sl)
            return 0;
        sl->state = SLOT_WORKING;
        pthread_mutex_unlock(&r->mu);
        if (i == start)
            au_worker_reset(w);
        auface_status st = au_worker_process(w, &sl->in, sl->out, err);
        pthread_mutex_lock(&r->mu);
        if (st != AUFACE_OK) {
            sl->state = SLOT_READY; /* never consumed: the run stops at this frame */
            stop_at_frame_locked(r, i, 0, st, err);
            return 0;
        }
        sl->state = SLOT_DONE;
        pthread_cond_t *consumer = r->consumer_wait.waiting && r->consumer_wait.frame == i
                                       ? &r->consumer_wait.cv
                                       : NULL;
        wake_unlocked(r, consumer);
    }
    return 1;
}

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    run *r = wa->r;
    au_thread_name_set("auface-worker");
    au_thread_batch(); /* the ring gives it slack: it must not push the reader off its core */
    au_c_locale_scope numbers; /* a new thread starts in the global locale */
    au_c_locale_enter(&numbers);
    au_err err;
    au_err_clear(&err);
    pthread_mutex_lock(&r->mu);
    if (wait_for_first_frame(r, wa->wait)) {
        if (r->next_chunk < 0)
            r->next_chunk = r->first / r->s->chunk;
        while (process_chunk_locked(r, wa->w, wa->wait, r->next_chunk++, &err))
            ;
    }
    pthread_mutex_unlock(&r->mu);
    au_c_locale_leave(&numbers);
    return NULL;
}

/* Waits until frame `next` is DONE; NULL when the run ends before it. Caller holds the
 * lock. */
static slot *wait_for_result(run *r, long next)
{
    for (;;) {
        if (next >= r->stop_at)
            return NULL;
        slot *sl = find_slot(r, next, SLOT_DONE);
        if (sl)
            return sl;
        if (r->read_done && next >= read_end(r))
            return NULL;
        sleep_on(r, &r->consumer_wait, next);
    }
}

/* Gives a consumed frame's slot back to the reader; a slot the budget no longer allows
 * (a larger frame came since) also gives its pixels back. Returns the reader's condition
 * when it sleeps waiting for a slot (to be woken once the lock is released), else NULL.
 * Caller holds the lock. */
static pthread_cond_t *release_slot_locked(run *r, slot *sl)
{
    sl->state = SLOT_FREE;
    if (sl - r->slots >= r->usable) {
        free(sl->pixels);
        free(sl->out);
        sl->pixels = NULL;
        sl->out = NULL;
        sl->capacity = 0;
    }
    return r->reader_wait.waiting ? &r->reader_wait.cv : NULL;
}

/* The calling thread: results in frame order. */
static void consume_in_order(run *r)
{
    au_err err;
    au_err_clear(&err);
    pthread_mutex_lock(&r->mu);
    wait_for_first_frame(r, &r->consumer_wait);
    for (long next = r->first < 0 ? 0 : r->first;; next++) {
        slot *sl = wait_for_result(r, next);
        if (!sl)
            break;
        pthread_mutex_unlock(&r->mu);
        int stop = 0;
        auface_status st = r->s->consume(r->s->consume_user, sl->out, &stop, &err);
        pthread_mutex_lock(&r->mu);
        pthread_cond_t *reader = release_slot_locked(r, sl);
        if (st != AUFACE_OK)
            stop_at_frame_locked(r, next, 1, st, &err);
        else if (stop)
            stop_at_frame_locked(r, next + 1, 1, AUFACE_OK, NULL);
        wake_unlocked(r, reader);
    }
    r->consumer_gone = 1; /* release any thread still waiting */
    wake_all_locked(r);
    pthread_mutex_unlock(&r->mu);
}

static auface_status run_sequential(const au_schedule *s, au_stage_times *times, au_err *err)
{
    uint8_t *pixels = NULL;
    size_t capacity = 0;
    au_frame_input *in = malloc(sizeof *in);
    au_frame_output *out = malloc(sizeof *out);
    auface_status st = AUFACE_OK;
    int first = 1;
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
        if (in->index % s->chunk == 0 || first) /* as each chunk in parallel runs */
            au_worker_reset(s->workers[0]);
        first = 0;
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

/* The slots, empty: pixels and result buffers come with the first frame each holds. */
static auface_status make_slots(run *r, int n, au_err *err)
{
    r->nslots = n;
    r->slots = calloc((size_t)n, sizeof *r->slots);
    if (!r->slots)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for %d frame slots", n);
    return AUFACE_OK;
}

/* Starts the reader and the workers, consumes, and joins them all. */
static void run_threads(run *r, worker_arg *args, pthread_t *workers)
{
    const au_schedule *s = r->s;
    pthread_t reader;
    int started = 0;
    int reader_started = pthread_create(&reader, NULL, reader_main, r) == 0;
    for (int i = 0; reader_started && i < s->num_workers; i++) {
        args[i] = (worker_arg){r, s->workers[i], &r->worker_waits[i]};
        if (pthread_create(&workers[i], NULL, worker_main, &args[i]) != 0)
            break;
        started++;
    }
    if (reader_started && started > 0) {
        consume_in_order(r);
    } else {
        au_err e;
        au_fail(&e, AUFACE_ERR_INTERNAL, "could not start threads");
        pthread_mutex_lock(&r->mu);
        stop_at_frame_locked(r, 0, 1, AUFACE_ERR_INTERNAL, &e);
        r->consumer_gone = 1;
        wake_all_locked(r);
        pthread_mutex_unlock(&r->mu);
    }
    if (reader_started)
        pthread_join(reader, NULL);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i], NULL);
}

static void destroy_waits(run *r)
{
    for (int i = 0; i < r->num_waiters; i++)
        pthread_cond_destroy(&r->worker_waits[i].cv);
    free(r->worker_waits);
    pthread_cond_destroy(&r->consumer_wait.cv);
    pthread_cond_destroy(&r->reader_wait.cv);
}

/* The reader's, the consumer's and the n workers' waits; 0 (with nothing left to destroy)
 * when one could not be made. */
static int init_waits(run *r, int n)
{
    if (!(r->worker_waits = calloc((size_t)n, sizeof *r->worker_waits)))
        return 0;
    if (pthread_cond_init(&r->reader_wait.cv, NULL) != 0) {
        free(r->worker_waits);
        return 0;
    }
    if (pthread_cond_init(&r->consumer_wait.cv, NULL) != 0) {
        pthread_cond_destroy(&r->reader_wait.cv);
        free(r->worker_waits);
        return 0;
    }
    while (r->num_waiters < n &&
           pthread_cond_init(&r->worker_waits[r->num_waiters].cv, NULL) == 0)
        r->num_waiters++;
    if (r->num_waiters == n)
        return 1;
    destroy_waits(r);
    return 0;
}

static auface_status run_parallel(const au_schedule *s, au_stage_times *times, au_err *err)
{
    run r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.usable = 1; /* until the first frame tells the frame size */
    r.stop_at = LONG_MAX;
    r.first = -1;
    r.next_chunk = -1;
    auface_status st = make_slots(&r, s->ring, err);
    if (st != AUFACE_OK)
        return st;
    pthread_t *workers = malloc(sizeof *workers * (size_t)s->num_workers);
    worker_arg *args = malloc(sizeof *args * (size_t)s->num_workers);
    int waits = workers && args && init_waits(&r, s->num_workers);
    if (!waits || pthread_mutex_init(&r.mu, NULL) != 0) {
        if (waits)
            destroy_waits(&r);
        free(workers);
        free(args);
        free_slots(&r);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for %d workers", s->num_workers);
    }
    run_threads(&r, args, workers);

    times->seconds[AU_STAGE_DECODE] += r.decode_seconds;
    for (int i = 0; i < s->num_workers; i++)
        au_worker_take_times(s->workers[i], times);
    if (r.status != AUFACE_OK && err)
        *err = r.err;
    st = r.status;
    free(workers);
    free(args);
    destroy_waits(&r);
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
