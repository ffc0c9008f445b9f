#include "common/task_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common/c_locale.h"
#include "common/thread_role.h"

/* Each job's tasks are cut into one contiguous share per thread; a thread runs its own share
 * first, then claims what is left of the others'. With the same number of tasks (the same
 * landmarks, job after job) a thread thus mostly runs the same tasks, whose data (a
 * landmark's patch experts) stay in its core's cache, whereas one shared counter handed
 * them out to whoever came first. A thread that never comes costs nothing: the others
 * empty its share.
 *
 * Helpers sleep on a condition variable between jobs. Waking one takes ≈ 25 µs on the
 * development machine; polling instead (200 µs, with sched_yield) gained 3–5 % on the CLNF
 * tracker alone and nothing in the 2-worker pipeline, where the polling thread competes with
 * the AU workers for the two cores, so the pool stays with the simple blocking hand-off. */

/* One thread's share of a job: tasks next..end−1 are unclaimed. Padded to a cache line of
 * its own: the shares are claimed from different threads at once. */
typedef struct share {
    atomic_int next;
    int end;
    char pad[64 - sizeof(atomic_int) - sizeof(int)];
} share;

typedef struct helper {
    struct au_task_pool *pool;
    int index; /* thread index passed to the tasks: 1..threads−1 */
    pthread_t thread;
} helper;

struct au_task_pool {
    pthread_mutex_t mu;
    pthread_cond_t posted;    /* a new job (generation) or stop, for the helpers */
    pthread_cond_t left;      /* the last helper left its job, for the caller */
    unsigned long generation; /* jobs posted so far */
    int stop;
    int inside;               /* helpers between joining a job and leaving it */
    int caller_waits;         /* the caller sleeps on `left` */
    au_task_fn fn;            /* the current job, read under mu */
    void *ctx;
    share shares[AU_TASK_POOL_MAX_THREADS]; /* of the current job, one per thread */
    int num_helpers;          /* helper threads started */
    helper *helpers;
};

/* Claims and runs tasks of the current job until none is left: the thread's own share,
 * then the next threads' shares in turn. */
static void drain(au_task_pool *p, au_task_fn fn, void *ctx, int thread)
{
    const int threads = 1 + p->num_helpers;
    for (int k = 0; k < threads; k++) {
        share *sh = &p->shares[(thread + k) % threads];
        for (;;) {
            const int task = atomic_fetch_add(&sh->next, 1);
            if (task >= sh->end)
                break;
            fn(ctx, task, thread);
        }
    }
}

/* Cuts tasks 0..num_tasks−1 into the threads' shares, in order and as even as can be.
 * Called with mu held, before the job is posted. */
static void share_out(au_task_pool *p, int num_tasks)
{
    const int threads = 1 + p->num_helpers;
    for (int t = 0; t < threads; t++) {
        atomic_store(&p->shares[t].next, (int)((long)num_tasks * t / threads));
        p->shares[t].end = (int)((long)num_tasks * (t + 1) / threads);
    }
}

static void *helper_main(void *arg)
{
    helper *me = arg;
    au_task_pool *p = me->pool;
    au_thread_name_set("auface-pool");
    au_c_locale_scope numbers; /* a new thread starts in the global locale */
    au_c_locale_enter(&numbers);
    pthread_mutex_lock(&p->mu);
    /* From the pool's first job on (generation 0 is none), not the first posted after this
     * thread happened to start: a pool made for a single job (au/analyser.c) would
     * otherwise run it on the caller alone. A job already over when the helper comes has
     * every task claimed, and the helper runs nothing (below). */
    unsigned long seen = 0;
    for (;;) {
        while (!p->stop && p->generation == seen)
            pthread_cond_wait(&p->posted, &p->mu);
        if (p->stop)
            break;
        /* Joining under the lock pins the job: the caller does not post the next one while
         * a helper is inside (au_task_pool_run waits for inside == 0), so a helper that
         * wakes after its job ended finds every task claimed and runs nothing. */
        seen = p->generation;
        au_task_fn fn = p->fn;
        void *ctx = p->ctx;
        p->inside++;
        pthread_mutex_unlock(&p->mu);
        drain(p, fn, ctx, me->index);
        pthread_mutex_lock(&p->mu);
        if (--p->inside == 0 && p->caller_waits) {
            /* Signalled after the lock is released, so that the caller does not wake only
             * to sleep again on the lock this thread still holds. */
            pthread_mutex_unlock(&p->mu);
            pthread_cond_signal(&p->left);
            pthread_mutex_lock(&p->mu);
        }
    }
    pthread_mutex_unlock(&p->mu);
    au_c_locale_leave(&numbers);
    return NULL;
}

/* Stops and joins the p->num_helpers helpers started. */
static void stop_helpers(au_task_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->posted);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->num_helpers; i++)
        pthread_join(p->helpers[i].thread, NULL);
    p->num_helpers = 0;
}

void au_task_pool_free(au_task_pool *pool)
{
    if (!pool)
        return;
    stop_helpers(pool);
    pthread_cond_destroy(&pool->left);
    pthread_cond_destroy(&pool->posted);
    pthread_mutex_destroy(&pool->mu);
    free(pool->helpers);
    free(pool);
}

auface_status au_task_pool_create(au_task_pool **out, int threads, au_err *err)
{
    *out = NULL;
    if (threads < 1 || threads > AU_TASK_POOL_MAX_THREADS)
        return au_fail(err, AUFACE_ERR_ARG, "task pool: %d threads requested (1..%d allowed)",
                       threads, AU_TASK_POOL_MAX_THREADS);
    au_task_pool *p = calloc(1, sizeof *p);
    helper *helpers = calloc((size_t)threads, sizeof *helpers); /* threads − 1 used */
    if (!p || !helpers) {
        free(p);
        free(helpers);
        return au_fail(err, AUFACE_ERR_NOMEM, "task pool: out of memory for %d threads",
                       threads);
    }
    p->helpers = helpers;
    for (int t = 0; t < AU_TASK_POOL_MAX_THREADS; t++)
        atomic_init(&p->shares[t].next, 0);
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(helpers);
        free(p);
        return au_fail(err, AUFACE_ERR_INTERNAL, "task pool: cannot create a mutex");
    }
    if (pthread_cond_init(&p->posted, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(helpers);
        free(p);
        return au_fail(err, AUFACE_ERR_INTERNAL, "task pool: cannot create a condition");
    }
    if (pthread_cond_init(&p->left, NULL) != 0) {
        pthread_cond_destroy(&p->posted);
        pthread_mutex_destroy(&p->mu);
        free(helpers);
        free(p);
        return au_fail(err, AUFACE_ERR_INTERNAL, "task pool: cannot create a condition");
    }
    for (int i = 0; i < threads - 1; i++) {
        helpers[i].pool = p;
        helpers[i].index = i + 1;
        if (pthread_create(&helpers[i].thread, NULL, helper_main, &helpers[i]) != 0) {
            au_task_pool_free(p);
            return au_fail(err, AUFACE_ERR_INTERNAL, "task pool: cannot start helper thread "
                           "%d of %d", i + 1, threads - 1);
        }
        p->num_helpers = i + 1;
    }
    *out = p;
    return AUFACE_OK;
}

int au_task_pool_threads(const au_task_pool *pool)
{
    return pool ? 1 + pool->num_helpers : 1;
}

/* Waits until no helper is inside a job. Caller holds mu. */
static void wait_helpers_left(au_task_pool *p)
{
    while (p->inside > 0) {
        p->caller_waits = 1;
        pthread_cond_wait(&p->left, &p->mu);
        p->caller_waits = 0;
    }
}

void au_task_pool_run(au_task_pool *pool, int num_tasks, au_task_fn fn, void *ctx)
{
    if (num_tasks <= 0)
        return;
    if (!pool || pool->num_helpers == 0 || num_tasks == 1) {
        for (int task = 0; task < num_tasks; task++)
            fn(ctx, task, 0);
        return;
    }
    pthread_mutex_lock(&pool->mu);
    wait_helpers_left(pool); /* a helper that joined the previous job after it ended */
    pool->fn = fn;
    pool->ctx = ctx;
    share_out(pool, num_tasks);
    pool->generation++;
    pthread_mutex_unlock(&pool->mu);
    /* After the unlock: a helper woken under the lock would at once sleep again on it. */
    pthread_cond_broadcast(&pool->posted);

    drain(pool, fn, ctx, 0);

    /* Every task is claimed; wait for those still running on helpers (a helper joins, under
     * the lock, before it claims). Their writes are visible after this lock: they leave
     * under it. */
    pthread_mutex_lock(&pool->mu);
    wait_helpers_left(pool);
    pthread_mutex_unlock(&pool->mu);
}
