#include "landmark/clnf_sigma_batch.h"

/* Experts per task: ≈ 1.5 ms of work at window 11, ≈ 0.3 ms at window 7, so that a few
 * hundred tasks balance any number of threads. */
#define EXPERTS_PER_TASK 4

typedef struct sigma_job {
    const au_clnf_sigma_set *sets;
    int count;
    int tasks_before[AU_CLNF_MAX_SIGMA_SETS + 1]; /* first task of each set; [count]: all */
} sigma_job;

static int experts_of(const au_clnf_sigma_set *s)
{
    const au_ccnf_patch_set *p = &s->clnf->scales[s->scale];
    return p->num_views * p->num_points;
}

static void prepare_task(void *arg, int task, int thread)
{
    (void)thread;
    const sigma_job *job = arg;
    int k = 0;
    while (job->tasks_before[k + 1] <= task)
        k++;
    const au_clnf_sigma_set *s = &job->sets[k];
    au_ccnf_patch_set *p = &s->clnf->scales[s->scale];
    const int first = (task - job->tasks_before[k]) * EXPERTS_PER_TASK;
    const int end = first + EXPERTS_PER_TASK < experts_of(s) ? first + EXPERTS_PER_TASK
                                                             : experts_of(s);
    for (int w = 0; w < s->num_windows; w++) {
        int count;
        const float *comp = au_clnf_sigma_components(s->clnf, s->windows[w], &count);
        for (int e = first; e < end; e++)
            (void)au_ccnf_prepare_sigma(&p->experts[e], s->windows[w], comp, count, NULL);
    }
}

void au_clnf_prepare_sigma_sets(const au_clnf_sigma_set *sets, int count, au_task_pool *pool)
{
    sigma_job job = {sets, count < AU_CLNF_MAX_SIGMA_SETS ? count : AU_CLNF_MAX_SIGMA_SETS, {0}};
    for (int k = 0; k < job.count; k++)
        job.tasks_before[k + 1] = job.tasks_before[k] +
                                  (experts_of(&sets[k]) + EXPERTS_PER_TASK - 1) / EXPERTS_PER_TASK;
    au_task_pool_run(pool, job.tasks_before[job.count], prepare_task, &job);
}
