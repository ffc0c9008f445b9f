/* Tests of common/task_pool: every task of a job runs exactly once, on a thread index the
 * pool owns, and its results are visible when au_task_pool_run returns; a NULL or 1-thread
 * pool runs the tasks in order on the caller; bad sizes are rejected; the helpers carry the
 * name "auface-pool" and the caller keeps its own. */
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>

#include "check.h"
#include "common/task_pool.h"

#define MAX_TASKS 257

typedef struct job {
    int runs[MAX_TASKS];          /* times task i ran (written only by the task) */
    int thread_of[MAX_TASKS];
    int order[MAX_TASKS];         /* order in which tasks ran (only for 1-thread pools) */
    atomic_int started;
    int threads;
} job;

static void record(void *arg, int task, int thread)
{
    job *j = arg;
    j->runs[task]++;
    j->thread_of[task] = thread;
    j->order[atomic_fetch_add(&j->started, 1)] = task;
}

/* A job of n tasks on `pool`: each ran once, on a valid thread. */
static int run_and_check(au_task_pool *pool, int n)
{
    static job j;
    memset(j.runs, 0, sizeof j.runs);
    atomic_store(&j.started, 0);
    au_task_pool_run(pool, n, record, &j);
    int ok = atomic_load(&j.started) == (n > 0 ? n : 0);
    for (int i = 0; i < n; i++)
        ok = ok && j.runs[i] == 1 && j.thread_of[i] >= 0 &&
             j.thread_of[i] < au_task_pool_threads(pool);
    return ok;
}

static void test_sequential(void)
{
    /* NULL pool: in order on thread 0 */
    static job j;
    memset(&j, 0, sizeof j);
    au_task_pool_run(NULL, 5, record, &j);
    for (int i = 0; i < 5; i++) {
        CHECK(j.order[i] == i);
        CHECK(j.thread_of[i] == 0);
    }
    CHECK(au_task_pool_threads(NULL) == 1);

    au_task_pool *p = NULL;
    au_err err;
    CHECK(au_task_pool_create(&p, 1, &err) == AUFACE_OK);
    CHECK(au_task_pool_threads(p) == 1);
    CHECK(run_and_check(p, 7));
    au_task_pool_free(p);
}

static void test_parallel(void)
{
    for (int threads = 2; threads <= 4; threads++) {
        au_task_pool *p = NULL;
        au_err err;
        CHECK(au_task_pool_create(&p, threads, &err) == AUFACE_OK);
        CHECK(au_task_pool_threads(p) == threads);
        int ok = 1;
        /* many short jobs back to back: helpers that wake late must never run a task of
         * the next job with the previous job's function */
        for (int rep = 0; rep < 3000; rep++)
            ok = ok && run_and_check(p, rep % MAX_TASKS);
        CHECK(ok);
        au_task_pool_run(p, 0, record, NULL); /* no task: fn never called */
        au_task_pool_free(p);
    }
}

/* Tasks long enough that the helpers take part: sums computed per task must be exact. */
typedef struct sum_job {
    double out[64];
} sum_job;

static void slow_sum(void *arg, int task, int thread)
{
    (void)thread;
    sum_job *j = arg;
    double s = 0;
    for (int i = 0; i < 200000; i++)
        s += (double)((i * (task + 1)) % 7);
    j->out[task] = s;
}

static void test_results_visible(void)
{
    au_task_pool *p = NULL;
    au_err err;
    CHECK(au_task_pool_create(&p, 2, &err) == AUFACE_OK);
    static sum_job par, seq;
    au_task_pool_run(p, 64, slow_sum, &par);
    au_task_pool_run(NULL, 64, slow_sum, &seq);
    CHECK(memcmp(par.out, seq.out, sizeof par.out) == 0);
    au_task_pool_free(p);
}

/* The name of the thread that ran each thread index's last task. */
typedef struct name_job {
    char name[4][16];
    atomic_int helper_ran;
} name_job;

static void record_name(void *arg, int task, int thread)
{
    (void)task;
    name_job *j = arg;
    char name[16] = {0};
    prctl(PR_GET_NAME, name, 0, 0, 0);
    memcpy(j->name[thread], name, sizeof name);
    if (thread > 0)
        atomic_store(&j->helper_ran, 1);
    for (volatile int spin = 0; spin < 20000; spin++) /* long enough for a helper to join */
        ;
}

static void test_helper_names(void)
{
    char mine[16] = {0};
    prctl(PR_GET_NAME, mine, 0, 0, 0);
    au_task_pool *p = NULL;
    au_err err;
    CHECK(au_task_pool_create(&p, 2, &err) == AUFACE_OK);
    static name_job j;
    for (int tries = 0; tries < 1000 && !atomic_load(&j.helper_ran); tries++)
        au_task_pool_run(p, 64, record_name, &j);
    CHECK(atomic_load(&j.helper_ran));
    CHECK(strcmp(j.name[1], "auface-pool") == 0);
    CHECK(strcmp(j.name[0], mine) == 0);
    au_task_pool_free(p);
}

/* A pool's very first job, posted before its helper has started: the helper still takes
 * part once it runs (tasks of ~0.3 ms each leave it 20 ms to start). */
static void spin_and_record(void *arg, int task, int thread)
{
    job *j = arg;
    for (volatile int spin = 0; spin < 300000; spin++)
        ;
    j->runs[task]++;
    j->thread_of[task] = thread;
}

static void test_first_job_has_helpers(void)
{
    au_task_pool *p = NULL;
    au_err err;
    CHECK(au_task_pool_create(&p, 2, &err) == AUFACE_OK);
    static job j;
    memset(&j, 0, sizeof j);
    au_task_pool_run(p, 64, spin_and_record, &j);
    int helped = 0, once = 1;
    for (int i = 0; i < 64; i++) {
        helped |= j.thread_of[i] == 1;
        once = once && j.runs[i] == 1;
    }
    CHECK(once);
    CHECK(helped);
    au_task_pool_free(p);
}

static void test_bad_sizes(void)
{
    au_task_pool *p = (au_task_pool *)&p;
    au_err err;
    CHECK(au_task_pool_create(&p, 0, &err) == AUFACE_ERR_ARG);
    CHECK(p == NULL);
    CHECK(strstr(err.msg, "0 threads") != NULL);
    CHECK(au_task_pool_create(&p, AU_TASK_POOL_MAX_THREADS + 1, &err) == AUFACE_ERR_ARG);
    au_task_pool_free(NULL);
}

int main(void)
{
    test_sequential();
    test_parallel();
    test_results_visible();
    test_helper_names();
    test_first_job_has_helpers();
    test_bad_sizes();
    return check_report("test_task_pool");
}
