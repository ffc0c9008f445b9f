/* Σ of many CCNF experts computed on a task pool: the start-up cost of a CLNF model
 * (CCNF_patch_expert::ComputeSigmas for every view, scale and window, ≈ 0.25 s of one core
 * for the FeatureExtraction model set) spread over the threads the run will use anyway.
 *
 * Each expert is one unit of work: its window sizes are prepared in the order given, by
 * au_ccnf_prepare_sigma, on whichever thread claims it, so the values are those of the
 * sequential preparation. Failures are not reported here: an expert whose Σ fails keeps
 * none, and the caller's sequential pass over the same sets (au_clnf_prepare_sigmas, which
 * skips what is done) meets the failure again and names it. */
#ifndef AU_LANDMARK_CLNF_SIGMA_BATCH_H
#define AU_LANDMARK_CLNF_SIGMA_BATCH_H

#include "common/task_pool.h"
#include "landmark/clnf_model.h"

#define AU_SIGMA_SET_MAX_WINDOWS 2
/* Patch sets of a model: the main CLNF and every part, each with all its scales. */
#define AU_CLNF_MAX_SIGMA_SETS ((1 + AU_CLNF_MAX_PARTS) * AU_CLNF_MAX_SCALES)

/* The window sizes (> 0) one patch set needs, e.g. the init and small windows of a scale. */
typedef struct au_clnf_sigma_set {
    au_clnf *clnf;
    int scale;
    int num_windows;
    int windows[AU_SIGMA_SET_MAX_WINDOWS];
} au_clnf_sigma_set;

/* Prepares Σ for every window of every set (count <= AU_CLNF_MAX_SIGMA_SETS), for all views
 * and points, on `pool` (NULL or one thread: on the calling thread). Sets must not name the
 * same (clnf, scale) twice; no other thread may read the experts meanwhile. Allocates
 * nothing beyond the Σ themselves. */
void au_clnf_prepare_sigma_sets(const au_clnf_sigma_set *sets, int count, au_task_pool *pool);

#endif
