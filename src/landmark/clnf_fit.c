#include "landmark/clnf_fit.h"

#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/task_pool.h"
#include "face/calcparams.h"
#include "landmark/ccnf.h"
#include "landmark/clnf_pdm_ops.h"
#include "landmark/clnf_response.h"
#include "landmark/clnf_rlms.h"
#include "landmark/clnf_sigma_batch.h"

/* CLNF::Fit: "Can't track very small images reliably (less than ~30px across)" */
#define FACE_TOO_SMALL 0.25
/* CLNF::Fit: record the likelihood when params_global[0] < 0.30 after the rigid pass */
#define LIKELIHOOD_SCALE 0.30
/* CLNF::DetectLandmarks: a part is used if params_global[0] > 0.9 * part patch_scaling[0] */
#define PART_SCALE_FACTOR 0.9
/* CLNF::Fit: reg_factor <= 0 becomes 0.001 */
#define MIN_REG 0.001f

#define MAX_KDE_PER_CLNF (2 * AU_CLNF_MAX_WINDOW_SIZES)
/* Landmarks per task when the responses of one scale are split over the pool: a response
 * takes ≈ 10 µs at window 9 (on the development machine), so a claim (one atomic add) costs
 * nothing next to a block and the threads finish within one block of each other. */
#define RESPONSE_BLOCK 4

/* One CLNF (the main model or a part) as the fitter sees it. */
typedef struct clnf_slot {
    const au_clnf *clnf;
    float *pc_t;                        /* the PDM's components transposed */
    au_clnf_params params;              /* the parameters CLNF::Read gives it */
    int num_kde;
    au_clnf_kde kde[MAX_KDE_PER_CLNF];  /* keyed by window size (kde_resp_precalc) */
} clnf_slot;

/* What one thread of the fitter works in: the main fit and the serial parts use thread 0's;
 * a task of a parallel job uses that of the thread running it. */
typedef struct fit_scratch {
    float *responses;                   /* max n·ws² */
    float *scratch;                     /* au_clnf_responses_scratch_floats */
    au_clnf_rlms_scratch rlms;
    float lhoods[AU_PDM_MAX_POINTS];
    /* The first failure of this thread in the current parallel job: tasks are claimed in
     * increasing order, so over all threads the lowest failed task is the job's first. */
    auface_status status;
    int failed_task;
    au_err err;
} fit_scratch;

struct au_clnf_fitter {
    const au_clnf_model *model;
    int num_slots;                      /* 1 + parts */
    clnf_slot slots[1 + AU_CLNF_MAX_PARTS];
    int part_pairs[AU_CLNF_MAX_PARTS];
    const int (*pairs[AU_CLNF_MAX_PARTS])[2];
    int max_patch_w, max_patch_h, max_ws;
    size_t response_floats;             /* max n·ws² */
    size_t scratch_floats;              /* au_clnf_responses_scratch_floats */
    au_task_pool *pool;                 /* not owned; NULL: everything on the calling thread */
    int num_threads;                    /* au_task_pool_threads(pool) */
    fit_scratch *threads;               /* num_threads entries */
    float *gray;                        /* float copy of the current image */
    int lead_part;                      /* the part with the most points (its first scale's
                                           responses are split over the pool), -1 if none */
    float *lead_responses;              /* those responses (response_floats) */
    size_t gray_cap;                    /* floats allocated */
    int gray_w;                         /* row length of gray (au_clnf_fit_part_alone) */
};

/* ---- parameters ------------------------------------------------------------------------- */

static void set_windows(au_clnf_params *p, const int *init, const int *small, int count)
{
    p->num_window_sizes = count;
    for (int i = 0; i < AU_CLNF_MAX_WINDOW_SIZES; i++) {
        p->window_sizes_init[i] = i < count ? init[i] : 0;
        p->window_sizes_small[i] = i < count ? small[i] : 0;
    }
}

void au_clnf_params_default(au_clnf_params *p)
{
    /* LandmarkDetectorParameters.cpp FaceModelParameters::init, CLNF_DETECTOR */
    static const int init[4] = {11, 9, 7, 5}, small[4] = {0, 9, 7, 0};
    memset(p, 0, sizeof *p);
    p->num_iterations = 5;
    p->sigma = 1.5f;
    p->reg_factor = 25.0f;
    p->weight_factor = 0.0f;
    p->refine_parameters = 1;
    p->refine_hierarchical = 1;
    p->validate_detections = 1;
    p->validation_boundary = 0.725f;
    p->reinit_video_every = 2;
    set_windows(p, init, small, 4);
}

auface_status au_clnf_params_for_part(const char *name, au_clnf_params *p, au_err *err)
{
    /* FaceModelParameters(sub_arguments): the default model path is main_ceclm_general.txt,
     * so the CE-CLM branch scales sigma by 1.5 and reg by 0.9 (overwritten below for every
     * known part); CLNF::Read then switches validation, hierarchy and refinement off. */
    au_clnf_params_default(p);
    p->sigma = 1.5f * 1.5f;
    p->reg_factor = 0.9f * 25.0f;
    p->validate_detections = 0;
    p->refine_hierarchical = 0;
    p->refine_parameters = 0;
    if (strcmp(name, "inner") == 0) {
        static const int w[1] = {9};
        set_windows(p, w, w, 1);
        p->reg_factor = 2.5f;
        p->sigma = 1.75f;
        p->weight_factor = 2.5f;
    } else if (strcmp(name, "left_eye_28") == 0 || strcmp(name, "right_eye_28") == 0) {
        static const int w[3] = {3, 5, 9};
        set_windows(p, w, w, 3);
        p->reg_factor = 0.5f;
        p->sigma = 1.0f;
    } else if (strcmp(name, "left_eye") == 0 || strcmp(name, "right_eye") == 0) {
        static const int w[2] = {5, 3};
        set_windows(p, w, w, 2);
        p->reg_factor = 0.1f;
        p->sigma = 2.0f;
    } else if (strcmp(name, "mouth") == 0) {
        static const int w[2] = {7, 7};
        set_windows(p, w, w, 2);
        p->reg_factor = 1.0f;
        p->sigma = 2.0f;
    } else if (strcmp(name, "brow") == 0) {
        static const int w[2] = {11, 9};
        set_windows(p, w, w, 2);
        p->reg_factor = 10.0f;
        p->sigma = 3.5f;
    } else {
        return au_fail(err, AUFACE_ERR_UNSUPPORTED,
                       "CLNF part model '%s': no parameters are known for this part name", name);
    }
    return AUFACE_OK;
}

/* CLNF::Fit with refine_parameters: with k = min(scale, 2) and
 * L(x) = x·log(patch_scaling[k]/0.25)/log(2) evaluated left to right in double,
 *   reg = reg_factor − L(15) (0.001 if ≤ 0), sigma = sigma + L(0.25),
 *   weight = weight_factor + L(2·weight_factor) (2·weight_factor in float),
 * each rounded to float. Parts use their parameters unchanged. */
static void scale_parameters(const au_clnf *c, const au_clnf_params *p, int scale, float *sigma,
                             float *reg, float *weight)
{
    *sigma = p->sigma;
    *reg = p->reg_factor;
    *weight = p->weight_factor;
    if (!p->refine_parameters)
        return;
    const int k = scale >= 2 ? 2 : scale;
    const double ratio = log(c->scales[k].patch_scaling / 0.25), ln2 = log(2.0);
    *reg = (float)((double)p->reg_factor - 15 * ratio / ln2);
    if (*reg <= 0)
        *reg = MIN_REG;
    *sigma = (float)((double)p->sigma + 0.25 * ratio / ln2);
    *weight = (float)((double)p->weight_factor + (double)(2 * p->weight_factor) * ratio / ln2);
}

/* NU_RLMS: float a = -0.5/(sigma*sigma), σ² in float, the quotient in double. */
static float kde_coefficient(float sigma)
{
    return (float)(-0.5 / (double)(sigma * sigma));
}

/* ---- model preparation and fitter creation ---------------------------------------------- */

/* The parameters of slot i: the main model's (i = 0) or part i−1's by name. */
static auface_status slot_params(const au_clnf_model *m, int i,
                                 const au_clnf_params *main_params, au_clnf_params *out,
                                 au_err *err)
{
    if (i == 0) {
        *out = *main_params;
        return AUFACE_OK;
    }
    return au_clnf_params_for_part(au_clnf_model_part_const(m, i - 1)->name, out, err);
}

static const au_clnf *slot_clnf(const au_clnf_model *m, int i)
{
    return i == 0 ? au_clnf_model_main_const(m) : &au_clnf_model_part_const(m, i - 1)->clnf;
}

static auface_status check_windows(const au_clnf *c, const au_clnf_params *p, const char *who,
                                   au_err *err)
{
    if (p->num_window_sizes < c->num_scales || p->num_window_sizes > AU_CLNF_MAX_WINDOW_SIZES)
        return au_fail(err, AUFACE_ERR_ARG,
                       "CLNF %s: %d window sizes for %d patch scales (need one per scale, at "
                       "most %d)",
                       who, p->num_window_sizes, c->num_scales, AU_CLNF_MAX_WINDOW_SIZES);
    for (int i = 0; i < c->num_scales; i++) {
        const int a = p->window_sizes_init[i], b = p->window_sizes_small[i];
        if (a < 0 || a > AU_CCNF_MAX_WINDOW || b < 0 || b > AU_CCNF_MAX_WINDOW)
            return au_fail(err, AUFACE_ERR_ARG,
                           "CLNF %s: window size %d or %d at scale %d outside 0..%d", who, a, b,
                           i, AU_CCNF_MAX_WINDOW);
    }
    return AUFACE_OK;
}

/* The window sizes each patch set of slot i needs: its scales' init and small windows. */
static int slot_sigma_sets(au_clnf *c, const au_clnf_params *p, au_clnf_sigma_set *sets)
{
    int count = 0;
    for (int s = 0; s < c->num_scales; s++) {
        au_clnf_sigma_set set = {c, s, 0, {0}};
        const int ws[2] = {p->window_sizes_init[s], p->window_sizes_small[s]};
        for (int k = 0; k < 2; k++)
            if (ws[k] > 0 && !(k == 1 && ws[1] == ws[0]))
                set.windows[set.num_windows++] = ws[k];
        if (set.num_windows > 0)
            sets[count++] = set;
    }
    return count;
}

auface_status au_clnf_prepare_model(au_clnf_model *m, const au_clnf_params *params,
                                    au_task_pool *pool, au_err *err)
{
    au_clnf_sigma_set sets[AU_CLNF_MAX_SIGMA_SETS];
    int count = 0;
    const int slots = 1 + au_clnf_model_num_parts(m);
    for (int i = 0; i < slots; i++) {
        au_clnf_params p;
        auface_status st = slot_params(m, i, params, &p, err);
        if (st != AUFACE_OK)
            return st;
        au_clnf *c = i == 0 ? au_clnf_model_main(m) : &au_clnf_model_part(m, i - 1)->clnf;
        if ((st = check_windows(c, &p, i == 0 ? "main model" : "part", err)) != AUFACE_OK)
            return st;
        count += slot_sigma_sets(c, &p, sets + count);
    }
    if (au_task_pool_threads(pool) > 1)
        au_clnf_prepare_sigma_sets(sets, count, pool);
    /* in order, on this thread: what the pool prepared is skipped, a failure is named */
    for (int k = 0; k < count; k++)
        for (int w = 0; w < sets[k].num_windows; w++) {
            auface_status st = au_clnf_prepare_sigmas(sets[k].clnf, sets[k].scale,
                                                      sets[k].windows[w], -1, err);
            if (st != AUFACE_OK)
                return st;
        }
    return AUFACE_OK;
}

/* Every expert with neurons used at (scale, ws) must have its Σ. */
static auface_status check_sigmas(const au_clnf *c, int scale, int ws, au_err *err)
{
    const au_ccnf_patch_set *s = &c->scales[scale];
    for (int v = 0; v < s->num_views; v++)
        for (int p = 0; p < s->num_points; p++) {
            const au_ccnf_expert *e = &s->experts[(size_t)v * s->num_points + p];
            if (e->num_neurons > 0 && !au_ccnf_find_sigma(e, ws))
                return au_fail(err, AUFACE_ERR_ARG,
                               "CLNF fitter: Σ for window %d of scale %d (view %d, landmark "
                               "%d) is not prepared; call au_clnf_prepare_model first",
                               ws, scale, v, p);
        }
    return AUFACE_OK;
}

static const au_clnf_kde *find_kde(const clnf_slot *slot, int ws)
{
    for (int i = 0; i < slot->num_kde; i++)
        if (slot->kde[i].ws == ws)
            return &slot->kde[i];
    return NULL;
}

/* KDE tables of a slot, in first-use order: the init windows scale by scale, then the
 * small windows; each with the σ of the scale that first uses its window size. */
static auface_status build_kdes(clnf_slot *slot, au_err *err)
{
    const au_clnf *c = slot->clnf;
    const au_clnf_params *p = &slot->params;
    for (int list = 0; list < 2; list++)
        for (int s = 0; s < c->num_scales; s++) {
            const int ws = list == 0 ? p->window_sizes_init[s] : p->window_sizes_small[s];
            if (ws <= 0 || find_kde(slot, ws))
                continue;
            float sigma, reg, weight;
            scale_parameters(c, p, s, &sigma, &reg, &weight);
            auface_status st = au_clnf_kde_build(&slot->kde[slot->num_kde], ws,
                                                 kde_coefficient(sigma), err);
            if (st != AUFACE_OK)
                return st;
            slot->num_kde++;
        }
    return AUFACE_OK;
}

static void free_thread_scratch(fit_scratch *threads, int count)
{
    if (!threads)
        return;
    for (int i = 0; i < count; i++) {
        free(threads[i].responses);
        free(threads[i].scratch);
    }
    free(threads);
}

/* count per-thread work areas sized for f (NULL when out of memory). */
static fit_scratch *alloc_thread_scratch(const au_clnf_fitter *f, int count)
{
    fit_scratch *threads = calloc((size_t)count, sizeof *threads);
    if (!threads)
        return NULL;
    for (int i = 0; i < count; i++) {
        threads[i].responses = malloc(f->response_floats * sizeof(float));
        threads[i].scratch = malloc(f->scratch_floats * sizeof(float));
        if (!threads[i].responses || !threads[i].scratch) {
            free_thread_scratch(threads, i + 1);
            return NULL;
        }
    }
    return threads;
}

void au_clnf_fitter_free(au_clnf_fitter *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->num_slots; i++) {
        for (int k = 0; k < f->slots[i].num_kde; k++)
            au_clnf_kde_free(&f->slots[i].kde[k]);
        free(f->slots[i].pc_t);
    }
    free_thread_scratch(f->threads, f->num_threads);
    free(f->lead_responses);
    free(f->gray);
    free(f);
}

/* A fitter whose slots i with use_slot[i] set get KDE tables and their Σ checked (the
 * others can be named but not fitted: find_kde fails on them). */
static auface_status create_fitter(au_clnf_fitter **out, const au_clnf_model *model,
                                   const au_clnf_params *params, const int *use_slot,
                                   au_err *err)
{
    *out = NULL;
    au_clnf_fitter *f = calloc(1, sizeof *f);
    if (!f)
        return au_fail(err, AUFACE_ERR_NOMEM, "CLNF fitter: out of memory");
    const au_clnf_model *m = model;
    f->model = model;
    f->num_slots = 1 + au_clnf_model_num_parts(m);
    auface_status st = AUFACE_OK;
    size_t max_resp = 0;
    for (int i = 0; i < f->num_slots && st == AUFACE_OK; i++) {
        clnf_slot *slot = &f->slots[i];
        slot->clnf = slot_clnf(m, i);
        if (i > 0) {
            const au_clnf_part *part = au_clnf_model_part_const(m, i - 1);
            f->part_pairs[i - 1] = part->num_pairs;
            f->pairs[i - 1] = (const int (*)[2])part->pairs;
        }
        if (!use_slot[i])
            continue;
        if ((st = slot_params(m, i, params, &slot->params, err)) != AUFACE_OK ||
            (st = check_windows(slot->clnf, &slot->params, i == 0 ? "main model" : "part",
                                err)) != AUFACE_OK)
            break;
        const au_clnf *c = slot->clnf;
        if (c->pdm.n > AU_PDM_MAX_POINTS || c->pdm.m > AU_PDM_MAX_MODES) {
            st = au_fail(err, AUFACE_ERR_UNSUPPORTED, "CLNF fitter: a PDM of %d points and %d "
                         "modes exceeds %d and %d", c->pdm.n, c->pdm.m, AU_PDM_MAX_POINTS,
                         AU_PDM_MAX_MODES);
            break;
        }
        for (int s = 0; s < c->num_scales && st == AUFACE_OK; s++) {
            const au_ccnf_patch_set *set = &c->scales[s];
            for (int e = 0; e < set->num_views * set->num_points; e++) {
                if (set->experts[e].width > f->max_patch_w)
                    f->max_patch_w = set->experts[e].width;
                if (set->experts[e].height > f->max_patch_h)
                    f->max_patch_h = set->experts[e].height;
            }
            const int ws[2] = {slot->params.window_sizes_init[s],
                               slot->params.window_sizes_small[s]};
            for (int k = 0; k < 2 && st == AUFACE_OK; k++) {
                if (ws[k] <= 0)
                    continue;
                st = check_sigmas(c, s, ws[k], err);
                if (ws[k] > f->max_ws)
                    f->max_ws = ws[k];
                const size_t need = (size_t)c->pdm.n * ws[k] * ws[k];
                if (need > max_resp)
                    max_resp = need;
            }
        }
        if (st == AUFACE_OK)
            st = build_kdes(slot, err);
        if (st == AUFACE_OK && !(slot->pc_t = au_clnf_transpose_components(&c->pdm)))
            st = au_fail(err, AUFACE_ERR_NOMEM, "CLNF fitter: out of memory");
    }
    f->lead_part = -1;
    if (st == AUFACE_OK) {
        for (int i = 1; i < f->num_slots; i++)
            if (use_slot[i] && (f->lead_part < 0 || f->slots[i].clnf->pdm.n >
                                                        f->slots[1 + f->lead_part].clnf->pdm.n))
                f->lead_part = i - 1;
        f->response_floats = max_resp ? max_resp : 1;
        f->scratch_floats =
            au_clnf_responses_scratch_floats(f->max_patch_w, f->max_patch_h, f->max_ws);
        f->num_threads = 1;
        if (!(f->threads = alloc_thread_scratch(f, 1)) ||
            !(f->lead_responses = malloc(f->response_floats * sizeof(float))))
            st = au_fail(err, AUFACE_ERR_NOMEM, "CLNF fitter: out of memory for the response "
                         "buffers");
    }
    if (st != AUFACE_OK) {
        au_clnf_fitter_free(f);
        return st;
    }
    *out = f;
    return AUFACE_OK;
}

auface_status au_clnf_fitter_create(au_clnf_fitter **out, const au_clnf_model *model,
                                    const au_clnf_params *params, au_err *err)
{
    *out = NULL;
    if (!model || !params || params->num_iterations < 1)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF fitter: no model, no parameters, or fewer "
                                            "than 1 iteration");
    int use_slot[1 + AU_CLNF_MAX_PARTS];
    for (int i = 0; i < 1 + AU_CLNF_MAX_PARTS; i++)
        use_slot[i] = 1;
    return create_fitter(out, model, params, use_slot, err);
}

auface_status au_clnf_part_fitter_create(au_clnf_fitter **out, const au_clnf_model *model,
                                         const int *parts, int count, au_err *err)
{
    *out = NULL;
    if (!model || !parts)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF part fitter: no model or no parts");
    int use_slot[1 + AU_CLNF_MAX_PARTS] = {0};
    for (int k = 0; k < count; k++) {
        if (parts[k] < 0 || parts[k] >= au_clnf_model_num_parts(model))
            return au_fail(err, AUFACE_ERR_ARG, "CLNF part fitter: no part %d (the model has "
                           "%d)", parts[k], au_clnf_model_num_parts(model));
        use_slot[1 + parts[k]] = 1;
    }
    au_clnf_params unused_main;
    au_clnf_params_default(&unused_main);
    return create_fitter(out, model, &unused_main, use_slot, err);
}

auface_status au_clnf_fitter_use_pool(au_clnf_fitter *f, au_task_pool *pool, au_err *err)
{
    const int threads = au_task_pool_threads(pool);
    if (threads != f->num_threads) {
        fit_scratch *t = alloc_thread_scratch(f, threads);
        if (!t)
            return au_fail(err, AUFACE_ERR_NOMEM, "CLNF fitter: out of memory for the work "
                           "areas of %d threads", threads);
        free_thread_scratch(f->threads, f->num_threads);
        f->threads = t;
        f->num_threads = threads;
    }
    f->pool = pool;
    return AUFACE_OK;
}

/* ---- parallel jobs ---------------------------------------------------------------------- */

static void clear_failures(au_clnf_fitter *f)
{
    for (int i = 0; i < f->num_threads; i++)
        f->threads[i].status = AUFACE_OK;
}

/* Records the failure of `task` on thread scratch ts (its first: see fit_scratch). */
static void record_failure(fit_scratch *ts, int task, auface_status st)
{
    ts->status = st;
    ts->failed_task = task;
}

/* The status of the job just run: that of its lowest failed task, whose message goes to
 * err, whatever thread ran it. */
static auface_status first_failure(const au_clnf_fitter *f, au_err *err)
{
    const fit_scratch *first = NULL;
    int task = INT_MAX;
    for (int i = 0; i < f->num_threads; i++)
        if (f->threads[i].status != AUFACE_OK && f->threads[i].failed_task < task) {
            first = &f->threads[i];
            task = first->failed_task;
        }
    if (!first)
        return AUFACE_OK;
    if (err)
        *err = first->err;
    return first->status;
}

/* The responses of one scale, as a job of landmark blocks. */
typedef struct response_job {
    au_clnf_fitter *f;
    const au_ccnf_patch_set *set;
    int view;
    const int *visible;
    const float *shape;
    int n;
    const float *ref_to_img;
    int ws, w, h;
    float *responses;
    int task_offset;      /* the job's task number of block 0 (failures are ordered by it) */
} response_job;

static void response_task(void *arg, int task, int thread)
{
    const response_job *j = arg;
    au_clnf_fitter *f = j->f;
    fit_scratch *ts = &f->threads[thread];
    if (ts->status != AUFACE_OK)
        return; /* this thread's first failure is already recorded */
    const int first = task * RESPONSE_BLOCK;
    const int end = first + RESPONSE_BLOCK < j->n ? first + RESPONSE_BLOCK : j->n;
    auface_status st = au_clnf_responses(j->set, j->view, j->visible, j->shape, j->n, first,
                                         end, j->ref_to_img, j->ws, f->gray, j->w, j->h,
                                         (size_t)j->w, f->max_patch_w, f->max_patch_h,
                                         j->responses, ts->scratch, &ts->err);
    if (st != AUFACE_OK)
        record_failure(ts, j->task_offset + task, st);
}

/* The response maps of one scale into ts->responses (au_clnf_responses), split into blocks of
 * landmarks over the pool when `parallel` is set. Every map is computed by the same code on
 * the same inputs either way. */
static auface_status scale_responses(au_clnf_fitter *f, fit_scratch *ts, int parallel,
                                     const au_ccnf_patch_set *set, int view, const int *visible,
                                     const float *shape, int n, const float ref_to_img[4],
                                     int ws, int w, int h, au_err *err)
{
    if (!parallel || f->num_threads == 1)
        return au_clnf_responses(set, view, visible, shape, n, 0, n, ref_to_img, ws, f->gray, w,
                                 h, (size_t)w, f->max_patch_w, f->max_patch_h, ts->responses,
                                 ts->scratch, err);
    response_job job = {f, set, view, visible, shape, n, ref_to_img, ws, w, h, ts->responses, 0};
    clear_failures(f);
    au_task_pool_run(f->pool, (n + RESPONSE_BLOCK - 1) / RESPONSE_BLOCK, response_task, &job);
    return first_failure(f, err);
}

/* ---- fitting ---------------------------------------------------------------------------- */

/* image.convertTo(gray_image_flt, CV_32F) into the fitter's buffer (grown if needed). */
static auface_status load_gray(au_clnf_fitter *f, const uint8_t *gray, int w, int h,
                               size_t stride, au_err *err)
{
    const size_t need = (size_t)w * h;
    if (need > f->gray_cap) {
        float *g = realloc(f->gray, need * sizeof *g);
        if (!g)
            return au_fail(err, AUFACE_ERR_NOMEM, "CLNF fit: out of memory for a %d x %d image",
                           w, h);
        f->gray = g;
        f->gray_cap = need;
    }
    f->gray_w = 0; /* not zero outside a region any more (load_gray_region) */
    for (int y = 0; y < h; y++) {
        const uint8_t *src = gray + (size_t)y * stride;
        float *dst = f->gray + (size_t)y * w;
        for (int x = 0; x < w; x++)
            dst[x] = (float)src[x];
    }
    return AUFACE_OK;
}

/* Outcome of CLNF::Fit for one CLNF. */
typedef struct fit_outcome {
    int ok;
    int likelihood_computed;
    float likelihood;
} fit_outcome;

/* One scale of CLNF::Fit up to its responses (Patch_experts::Response): the view for the
 * current rotation, the shape at the start of the scale (the mean-shift base) and the
 * similarity to the reference frame; ws = 0 for a skipped scale. */
typedef struct fit_scale {
    int scale, ws;
    const au_ccnf_patch_set *set;
    int view;
    const int *visible;
    float shape[2 * AU_PDM_MAX_POINTS];
    au_clnf_rlms_setup rs;
} fit_scale;

static auface_status begin_scale(const clnf_slot *slot, const int *windows, int scale,
                                 const float g[6], const float *local, fit_scale *fs,
                                 au_err *err)
{
    const au_clnf *c = slot->clnf;
    const int n = c->pdm.n;
    fs->scale = scale;
    fs->ws = windows[scale];
    if (fs->ws == 0)
        return AUFACE_OK;
    const au_clnf_kde *kde = find_kde(slot, fs->ws);
    if (fs->ws < 0 || !kde)
        return au_fail(err, AUFACE_ERR_ARG,
                       "CLNF fit: window size %d at scale %d has no KDE table (the fitter "
                       "was created for other window sizes)",
                       fs->ws, scale);
    fs->set = &c->scales[scale];
    fs->view = au_ccnf_patch_set_view(fs->set, g[1], g[2], g[3]);
    fs->visible = fs->set->visibility + (size_t)fs->view * fs->set->num_points;
    float shape3d[3 * AU_PDM_MAX_POINTS], ref[2 * AU_PDM_MAX_POINTS];
    au_clnf_shape3d(&c->pdm, slot->pc_t, local, shape3d);
    au_clnf_shape2d_from_3d(shape3d, n, g, fs->shape);
    const float g_ref[6] = {(float)fs->set->patch_scaling, 0, 0, 0, 0, 0};
    au_clnf_shape2d_from_3d(shape3d, n, g_ref, ref);
    au_clnf_similarity(fs->shape, ref, n, fs->rs.img_to_ref, fs->rs.ref_to_img);
    fs->rs.kde = kde;
    return AUFACE_OK;
}

/* The rest of a scale once its response maps are in `responses`: the rigid then the
 * non-rigid NU_RLMS pass from (g, local), in place, working in ts. Returns 0 when the face
 * became too small to go on (CLNF::Fit's "Face too small for landmark detection"). */
static int finish_scale(const clnf_slot *slot, const au_clnf_params *p, const int *windows,
                        fit_scale *fs, const float *responses, float g[6], float *local,
                        fit_scratch *ts, fit_outcome *out)
{
    const au_clnf *c = slot->clnf;
    const int n = c->pdm.n, scale = fs->scale, num_scales = c->num_scales;
    float sigma, reg, weight;
    scale_parameters(c, p, scale, &sigma, &reg, &weight);

    /* GetWeightMatrix: weight·patch_confidence per landmark (W(p,p) = 0 + confidence in
     * float, then scaled by the float weight) when weight > 0, else W = I */
    float weights[AU_PDM_MAX_POINTS];
    if (weight > 0)
        for (int i = 0; i < n; i++)
            weights[i] = (float)fs->set->experts[(size_t)fs->view * fs->set->num_points + i]
                             .patch_confidence * weight;

    /* the base shape is CalcShape2D at the start of the scale */
    au_clnf_rlms_setup *rs = &fs->rs;
    rs->pdm = &c->pdm;
    rs->pc_t = slot->pc_t;
    rs->base = fs->shape;
    rs->responses = responses;
    rs->visible = fs->visible;
    rs->ws = fs->ws;
    rs->iterations = p->num_iterations;
    rs->sigma = sigma;
    rs->reg = reg;
    rs->weights = weight > 0 ? weights : NULL;

    rs->rigid = 1;
    rs->compute_likelihood = 0;
    au_clnf_nu_rlms(rs, g, local, ts->lhoods, &ts->rlms);

    rs->rigid = 0;
    rs->compute_likelihood = scale == num_scales - 1 || windows[scale + 1] == 0 ||
                             (double)g[0] < LIKELIHOOD_SCALE;
    const float lh = au_clnf_nu_rlms(rs, g, local, ts->lhoods, &ts->rlms);
    if (rs->compute_likelihood) {
        out->likelihood_computed = 1;
        out->likelihood = lh;
    }
    return (double)g[0] >= FACE_TOO_SMALL;
}

/* CLNF::Fit of slot `slot` on the float image in f->gray, from (g, p), in place, working in
 * ts (the per-landmark likelihoods go to ts->lhoods when computed); with `parallel` the
 * responses of each scale are split over the pool. `ready`, if not NULL, is a scale already
 * begun from (g, p) whose responses are in ready_responses (computed by the caller). */
static auface_status fit_slot(au_clnf_fitter *f, const clnf_slot *slot, const au_clnf_params *p,
                              const int *windows, int w, int h, float g[6], float *local,
                              fit_scratch *ts, int parallel, const fit_scale *ready,
                              const float *ready_responses, fit_outcome *out, au_err *err)
{
    const au_clnf *c = slot->clnf;
    out->ok = 1;
    out->likelihood_computed = 0;
    out->likelihood = 0.0f;
    for (int scale = 0; scale < c->num_scales; scale++) {
        fit_scale fs;
        const float *responses = ts->responses;
        if (ready && ready->scale == scale) {
            fs = *ready;
            responses = ready_responses;
        } else {
            auface_status st = begin_scale(slot, windows, scale, g, local, &fs, err);
            if (st != AUFACE_OK)
                return st;
            if (fs.ws == 0)
                continue;
            st = scale_responses(f, ts, parallel, fs.set, fs.view, fs.visible, fs.shape,
                                 c->pdm.n, fs.rs.ref_to_img, fs.ws, w, h, err);
            if (st != AUFACE_OK)
                return st;
        }
        if (!finish_scale(slot, p, windows, &fs, responses, g, local, ts, out)) {
            out->ok = 0; /* "Face too small for landmark detection" */
            return AUFACE_OK;
        }
    }
    return AUFACE_OK;
}

/* Whether the main model's scale lets part k be fitted (§6.5). */
static int part_is_fitted(const au_clnf_fitter *f, int k, float main_scale)
{
    const clnf_slot *slot = &f->slots[1 + k];
    return (double)main_scale > PART_SCALE_FACTOR * slot->clnf->scales[0].patch_scaling;
}

/* The start of part k of CLNF::DetectLandmarks' hierarchy (§6.5): its parameters by
 * PDM::CalcParams from the main landmarks it maps, and whether the main scale lets it be
 * fitted (part->used). */
static void begin_part(const au_clnf_fitter *f, int k, const float *main_landmarks,
                       float main_scale, au_clnf_part_result *part)
{
    const int n = f->slots[0].clnf->pdm.n;
    const clnf_slot *slot = &f->slots[1 + k];
    const au_pdm *pdm = &slot->clnf->pdm;
    const int np = pdm->n;
    float locs[2 * AU_PDM_MAX_POINTS] = {0};
    for (int q = 0; q < f->part_pairs[k]; q++) {
        const int im = f->pairs[k][q][0], ip = f->pairs[k][q][1];
        locs[ip] = main_landmarks[im];
        locs[ip + np] = main_landmarks[im + n];
    }
    part->n = np;
    au_calc_params(pdm, locs, part->global, part->local);
    part->used = part_is_fitted(f, k, main_scale);
}

/* The rest of part k after begin_part: fitted when used (from `ready` with its responses if
 * given, see fit_slot), then its landmarks by CalcShape2D. */
static auface_status finish_part(au_clnf_fitter *f, int k, int w, int h,
                                 au_clnf_part_result *part, fit_scratch *ts,
                                 const fit_scale *ready, const float *ready_responses,
                                 au_err *err)
{
    const clnf_slot *slot = &f->slots[1 + k];
    if (part->used) {
        fit_outcome o;
        auface_status st = fit_slot(f, slot, &slot->params, slot->params.window_sizes_init, w,
                                    h, part->global, part->local, ts, 0, ready,
                                    ready_responses, &o, err);
        if (st != AUFACE_OK)
            return st;
    }
    au_pdm_shape2d(&slot->clnf->pdm, part->global, part->local, part->landmarks);
    return AUFACE_OK;
}

/* Part k, whole, working in ts. It reads only the main landmarks and scale, so the parts may
 * be fitted at the same time. */
static auface_status fit_part(au_clnf_fitter *f, int k, int w, int h,
                              const float *main_landmarks, float main_scale,
                              au_clnf_part_result *part, fit_scratch *ts, au_err *err)
{
    begin_part(f, k, main_landmarks, main_scale, part);
    return finish_part(f, k, w, h, part, ts, NULL, NULL, err);
}

/* The parts on the pool. The largest part (inner: 51 points, one scale) takes as long as
 * the two eyes together, so as one task it would leave a thread idle; instead the job is:
 * task 0 begins it (its CalcParams start and first scale), its responses are blocks of
 * landmarks, and the other parts are whole tasks placed where the second thread's share of
 * the job starts (common/task_pool.h), so that thread fits the eyes while the first begins
 * the lead part. A block that is claimed before task 0 has ended waits for it. The caller
 * then finishes the lead part. Every value is computed by the same code from the same
 * inputs as in the serial order. */
typedef struct parts_job {
    au_clnf_fitter *f;
    int w, h;
    au_clnf_fit_result *r;
    int num_whole;               /* the other parts, whole: tasks whole_at.. */
    int whole[AU_CLNF_MAX_PARTS];
    int whole_at;
    int lead_fitted;             /* the lead part is fitted: blocks follow task 0 */
    fit_scale lead_scale;        /* written by task 0 */
    response_job lead;           /* written by task 0, read by the blocks */
    atomic_int lead_begun;       /* 0 while task 0 runs, then 1, or −1 when it failed */
} parts_job;

/* The first scale a part fits (window_sizes_init not 0), or −1 when it has none. */
static int first_fitted_scale(const clnf_slot *slot)
{
    for (int scale = 0; scale < slot->clnf->num_scales; scale++)
        if (slot->params.window_sizes_init[scale] != 0)
            return scale;
    return -1;
}

/* Task 0: the lead part's start and, when it is fitted, its first scale. */
static void begin_lead_task(parts_job *j, fit_scratch *ts)
{
    au_clnf_fitter *f = j->f;
    const int lead = f->lead_part;
    au_clnf_part_result *part = &j->r->parts[lead];
    begin_part(f, lead, j->r->landmarks, j->r->global[0], part);
    int begun = 1;
    if (j->lead_fitted) {
        const clnf_slot *slot = &f->slots[1 + lead];
        const int *windows = slot->params.window_sizes_init;
        fit_scale *fs = &j->lead_scale;
        auface_status st = begin_scale(slot, windows, first_fitted_scale(slot), part->global,
                                       part->local, fs, &ts->err);
        if (st == AUFACE_OK) {
            j->lead = (response_job){f, fs->set, fs->view, fs->visible, fs->shape,
                                     slot->clnf->pdm.n, fs->rs.ref_to_img, fs->ws, j->w, j->h,
                                     f->lead_responses, 1};
        } else {
            record_failure(ts, 0, st);
            begun = -1;
        }
    }
    atomic_store_explicit(&j->lead_begun, begun, memory_order_release);
}

/* Waits until task 0 has ended (it is running or about to: it is the first task of the
 * first share); 1 when it succeeded. */
static int await_lead_begun(parts_job *j)
{
    int begun;
    for (int spins = 0;
         (begun = atomic_load_explicit(&j->lead_begun, memory_order_acquire)) == 0; spins++)
        if (spins >= 1000)
            sched_yield();
    return begun == 1;
}

static void part_task(void *arg, int task, int thread)
{
    parts_job *j = arg;
    fit_scratch *ts = &j->f->threads[thread];
    if (task == 0) {
        begin_lead_task(j, ts);
        return;
    }
    if (task >= j->whole_at && task < j->whole_at + j->num_whole) {
        if (ts->status != AUFACE_OK)
            return; /* this thread's first failure is already recorded */
        const int k = j->whole[task - j->whole_at];
        auface_status st = fit_part(j->f, k, j->w, j->h, j->r->landmarks, j->r->global[0],
                                    &j->r->parts[k], ts, &ts->err);
        if (st != AUFACE_OK)
            record_failure(ts, task, st);
        return;
    }
    const int block = task < j->whole_at ? task - 1 : task - 1 - j->num_whole;
    if (await_lead_begun(j))
        response_task(&j->lead, block, thread);
}

static auface_status fit_parts_on_pool(au_clnf_fitter *f, int w, int h, au_clnf_fit_result *r,
                                       au_err *err)
{
    const int lead = f->lead_part;
    const clnf_slot *lead_slot = &f->slots[1 + lead];
    parts_job job = {.f = f, .w = w, .h = h, .r = r};
    for (int k = 0; k < r->num_parts; k++)
        if (k != lead)
            job.whole[job.num_whole++] = k;
    job.lead_fitted = part_is_fitted(f, lead, r->global[0]) && first_fitted_scale(lead_slot) >= 0;
    const int blocks =
        job.lead_fitted ? (lead_slot->clnf->pdm.n + RESPONSE_BLOCK - 1) / RESPONSE_BLOCK : 0;
    const int num_tasks = 1 + job.num_whole + blocks;
    const int second_share = num_tasks / f->num_threads;
    job.whole_at = second_share < 1                          ? 1
                   : second_share > num_tasks - job.num_whole ? num_tasks - job.num_whole
                                                              : second_share;
    atomic_init(&job.lead_begun, 0);
    clear_failures(f);
    au_task_pool_run(f->pool, num_tasks, part_task, &job);
    auface_status st = first_failure(f, err);
    if (st != AUFACE_OK)
        return st;
    return finish_part(f, lead, w, h, &r->parts[lead], &f->threads[0],
                       job.lead_fitted ? &job.lead_scale : NULL, f->lead_responses, err);
}

/* CLNF::DetectLandmarks after Fit (§6.5): the part models (on the pool's threads when it has
 * more than one, as OpenFace's tbb::parallel_for over the parts) and the main refit. */
static auface_status refine_with_parts(au_clnf_fitter *f, int w, int h, au_clnf_fit_result *r,
                                       au_err *err)
{
    const au_pdm *main_pdm = &f->slots[0].clnf->pdm;
    const int n = main_pdm->n;
    r->num_parts = f->num_slots - 1;
    auface_status st = AUFACE_OK;
    if (f->num_threads > 1 && r->num_parts > 1 && f->lead_part >= 0) {
        st = fit_parts_on_pool(f, w, h, r, err);
    } else {
        for (int k = 0; k < r->num_parts && st == AUFACE_OK; k++)
            st = fit_part(f, k, w, h, r->landmarks, r->global[0], &r->parts[k], &f->threads[0],
                          err);
    }
    if (st != AUFACE_OK)
        return st;
    r->parts_used = 0;
    for (int k = 0; k < r->num_parts; k++)
        r->parts_used |= r->parts[k].used;
    if (!r->parts_used)
        return AUFACE_OK;
    for (int k = 0; k < r->num_parts; k++) {
        const au_clnf_part_result *part = &r->parts[k];
        for (int q = 0; q < f->part_pairs[k]; q++) {
            const int im = f->pairs[k][q][0], ip = f->pairs[k][q][1];
            r->landmarks[im] = part->landmarks[ip];
            r->landmarks[im + n] = part->landmarks[ip + part->n];
        }
    }
    au_calc_params(main_pdm, r->landmarks, r->global, r->local);
    au_pdm_shape2d(main_pdm, r->global, r->local, r->landmarks);
    return AUFACE_OK;
}

/* CLNF::DetectLandmarks without validation, on the float image already in f->gray. */
static auface_status detect_landmarks(au_clnf_fitter *f, int w, int h, float global[6],
                                      float *local, const int *window_sizes,
                                      const au_clnf_params *params, au_clnf_fit_result *out,
                                      au_err *err)
{
    const clnf_slot *main_slot = &f->slots[0];
    const au_pdm *pdm = &main_slot->clnf->pdm;
    fit_outcome o;
    auface_status st = fit_slot(f, main_slot, params, window_sizes, w, h, global, local,
                                &f->threads[0], 1, NULL, NULL, &o, err);
    if (st != AUFACE_OK)
        return st;
    out->n = pdm->n;
    out->fit_ok = o.ok;
    out->likelihood_computed = o.likelihood_computed;
    if (o.likelihood_computed) {
        out->model_likelihood = o.likelihood;
        memcpy(out->landmark_likelihoods, f->threads[0].lhoods, (size_t)pdm->n * sizeof(float));
    }
    /* memmove: the caller may pass out->global and out->local as global and local */
    memmove(out->global, global, 6 * sizeof(float));
    memmove(out->local, local, (size_t)pdm->m * sizeof(float));
    au_pdm_shape2d(pdm, out->global, out->local, out->landmarks);
    out->parts_used = 0;
    out->num_parts = 0;
    if (params->refine_hierarchical && f->num_slots > 1) {
        if ((st = refine_with_parts(f, w, h, out, err)) != AUFACE_OK)
            return st;
        memmove(global, out->global, 6 * sizeof(float));
        memmove(local, out->local, (size_t)pdm->m * sizeof(float));
    }
    return AUFACE_OK;
}

static auface_status check_image(const uint8_t *gray, int w, int h, size_t stride, au_err *err)
{
    if (!gray || w < 1 || h < 1 || stride < (size_t)w)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF fit: no image, or a %d x %d image with row "
                       "stride %zu", w, h, stride);
    return AUFACE_OK;
}

auface_status au_clnf_fit(au_clnf_fitter *f, const uint8_t *gray, int w, int h, size_t stride,
                          float global[6], float *local, const int *window_sizes,
                          const au_clnf_params *params, au_clnf_fit_result *out, au_err *err)
{
    auface_status st;
    if (!f || !global || !local || !window_sizes || !params || !out)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF fit: a required argument is NULL");
    if ((st = check_image(gray, w, h, stride, err)) != AUFACE_OK ||
        (st = load_gray(f, gray, w, h, stride, err)) != AUFACE_OK)
        return st;
    return detect_landmarks(f, w, h, global, local, window_sizes, params, out, err);
}

/* The float image holds zeros outside `roi` (x0, y0, x1, y1) and the grey values inside;
 * the buffer is zeroed when (re)allocated and the region is cleared again after use, so
 * what a fit reads never depends on earlier calls. */
static auface_status load_gray_region(au_clnf_fitter *f, const uint8_t *gray, int w, int h,
                                      size_t stride, const int roi[4], au_err *err)
{
    const size_t need = (size_t)w * h;
    if (need > f->gray_cap || f->gray_w != w) {
        free(f->gray);
        f->gray_cap = 0;
        if (!(f->gray = calloc(need, sizeof *f->gray)))
            return au_fail(err, AUFACE_ERR_NOMEM, "CLNF fit: out of memory for a %d x %d image",
                           w, h);
        f->gray_cap = need;
        f->gray_w = w;
    }
    for (int y = roi[1]; y < roi[3]; y++) {
        const uint8_t *src = gray + (size_t)y * stride;
        float *dst = f->gray + (size_t)y * w;
        for (int x = roi[0]; x < roi[2]; x++)
            dst[x] = (float)src[x];
    }
    return AUFACE_OK;
}

static void clear_gray_region(au_clnf_fitter *f, int w, const int roi[4])
{
    for (int y = roi[1]; y < roi[3]; y++)
        memset(f->gray + (size_t)y * w + roi[0], 0, (size_t)(roi[2] - roi[0]) * sizeof(float));
}

auface_status au_clnf_fit_part_alone(au_clnf_fitter *f, int part, const uint8_t *gray, int w,
                                     int h, size_t stride, const int roi[4],
                                     const float *main_landmarks, float main_scale,
                                     au_clnf_part_result *out, au_err *err)
{
    auface_status st;
    if (!f || !main_landmarks || !out || part < 0 || part >= f->num_slots - 1)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF part fit: a required argument is NULL or "
                       "part %d does not exist", part);
    const int whole[4] = {0, 0, w, h};
    if (!roi)
        roi = whole;
    if (roi[0] < 0 || roi[1] < 0 || roi[2] > w || roi[3] > h || roi[0] > roi[2] ||
        roi[1] > roi[3])
        return au_fail(err, AUFACE_ERR_ARG, "CLNF part fit: region (%d, %d)-(%d, %d) outside "
                       "the %d x %d image", roi[0], roi[1], roi[2], roi[3], w, h);
    if ((st = check_image(gray, w, h, stride, err)) != AUFACE_OK ||
        (st = load_gray_region(f, gray, w, h, stride, roi, err)) != AUFACE_OK)
        return st;
    st = fit_part(f, part, w, h, main_landmarks, main_scale, out, &f->threads[0], err);
    clear_gray_region(f, w, roi);
    return st;
}

void au_clnf_init_from_box(const au_clnf_model *model, const float box[4],
                           const float rotation[3], float global[6], float *local)
{
    const au_pdm *pdm = &au_clnf_model_main_const(model)->pdm;
    memset(local, 0, (size_t)pdm->m * sizeof(float));
    au_clnf_global_from_box(pdm, box, rotation, global);
}

void au_clnf_hypothesis_rotation(int i, float rotation[3])
{
    /* LandmarkDetectorFunc.cpp DetectLandmarksInImage: cv::Vec3d literals, passed to
     * CalcParams as cv::Vec3f */
    static const double hyp[AU_CLNF_NUM_HYPOTHESES][3] = {
        {0, 0, 0},       {0, -0.5236, 0}, {0, 0.5236, 0},      {0, -0.96, 0},
        {0, 0.96, 0},    {0, 0, 0.5236},  {0, 0, -0.5236},     {0, -1.57, 0},
        {0, 1.57, 0},    {0, -1.22, 0.698}, {0, 1.22, -0.698}};
    if (i < 0 || i >= AU_CLNF_NUM_HYPOTHESES)
        i = 0;
    for (int k = 0; k < 3; k++)
        rotation[k] = (float)hyp[i][k];
}

auface_status au_clnf_detect_from_box(au_clnf_fitter *f, const uint8_t *gray, int w, int h,
                                      size_t stride, const float box[4],
                                      const au_clnf_params *params, au_clnf_fit_result *out,
                                      au_err *err)
{
    auface_status st;
    if (!f || !box || !params || !out)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF detection: a required argument is NULL");
    if ((st = check_image(gray, w, h, stride, err)) != AUFACE_OK ||
        (st = load_gray(f, gray, w, h, stride, err)) != AUFACE_OK)
        return st;
    /* The CLNF state carried from hypothesis to hypothesis (its likelihood members are
     * only overwritten when a fit computes them). */
    au_clnf_fit_result cur = *out, best;
    memset(&best, 0, sizeof best);
    for (int hyp = 0; hyp < AU_CLNF_NUM_HYPOTHESES; hyp++) {
        float rotation[3], g[6], p[AU_PDM_MAX_MODES];
        au_clnf_hypothesis_rotation(hyp, rotation);
        au_clnf_init_from_box(f->model, box, rotation, g, p);
        if ((st = detect_landmarks(f, w, h, g, p, params->window_sizes_init, params, &cur,
                                   err)) != AUFACE_OK)
            return st;
        if (hyp == 0 || best.model_likelihood < cur.model_likelihood)
            best = cur;
    }
    *out = best;
    return AUFACE_OK;
}
