/* A small pool of helper threads that run the independent tasks of one job together with the
 * thread that posts it (a "parallel for" with dynamic claiming, like tbb::parallel_for in
 * OpenFace's Patch_experts::Response).
 *
 * au_task_pool_run(pool, n, fn, ctx) calls fn(ctx, task, thread) exactly once for every
 * task 0..n−1 and returns when all calls have returned. The calling thread takes part
 * (thread 0); the helpers (threads 1..threads−1) are woken. The tasks are cut into one
 * contiguous share per thread, in order (thread t's share starts at task ⌊n·t/threads⌋);
 * each thread claims the tasks of its own share first, then those left in the next
 * threads' shares, so a helper that is not scheduled in time costs nothing: the others run
 * its share and the caller waits only for tasks a helper has already started. Which thread runs which task is not deterministic; a task's result must
 * therefore depend only on the task (use `thread` only to pick per-thread scratch).
 *
 * Usage (create / run / destroy):
 *   au_task_pool_create(&pool, 2, err);       one helper thread, started here
 *   au_task_pool_run(pool, 17, fn, ctx);      as often as needed; allocates nothing
 *   au_task_pool_free(pool);                  stops and joins the helpers
 *
 * Threading: a pool serves one posting thread at a time; fn must not post to the same pool.
 * Everything fn wrote is visible to the caller when au_task_pool_run returns. A NULL pool or
 * one of 1 thread runs the tasks in order on the calling thread. */
#ifndef AU_COMMON_TASK_POOL_H
#define AU_COMMON_TASK_POOL_H

#include "common/error.h"

/* Upper bound on the threads of a pool (caller included). */
#define AU_TASK_POOL_MAX_THREADS 64

typedef struct au_task_pool au_task_pool;

/* One task of a job: `task` in 0..n−1, `thread` in 0..threads−1 (0 = the posting thread). */
typedef void (*au_task_fn)(void *ctx, int task, int thread);

/* A pool of `threads` threads in all, i.e. threads − 1 helper threads started here (none for
 * threads = 1). Errors: AUFACE_ERR_ARG for threads outside 1..AU_TASK_POOL_MAX_THREADS,
 * AUFACE_ERR_NOMEM, AUFACE_ERR_INTERNAL if a thread or lock cannot be created. */
auface_status au_task_pool_create(au_task_pool **out, int threads, au_err *err);

/* Stops and joins the helper threads and frees the pool; NULL is a no-op. No job may be
 * running. */
void au_task_pool_free(au_task_pool *pool);

/* Threads of the pool, the caller included (1 for NULL). */
int au_task_pool_threads(const au_task_pool *pool);

/* Runs fn(ctx, task, thread) for task = 0..num_tasks−1 (none for num_tasks <= 0) as
 * described at the top; returns when all have returned. */
void au_task_pool_run(au_task_pool *pool, int num_tasks, au_task_fn fn, void *ctx);

#endif
