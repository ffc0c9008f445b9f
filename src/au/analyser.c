#include "au/analyser.h"

#include <stdlib.h>
#include <string.h>

#include "au/median.h"
#include "common/task_pool.h"

/* History codes of a presence value: the frame failed (0), the score was <= 0 (neg_class),
 * the score was > 0 (pos_class). */
enum { CLASS_FAILED = 0, CLASS_NEG = 1, CLASS_POS = 2 };

struct au_analyser {
    const au_models *models;
    int dynamic;               /* FaceAnalyser `dynamic` (re-prediction and cutoff shift) */
    int online;                /* no history: the current frame lives in entry 0 */
    int num_reg;
    int num_class;
    au_median *hog_median;
    au_median *geom_median;
    double *hog;               /* AU_HOG_DIM: the current frame's HOG in double */
    double zero_geom[AU_GEOM_DIM];
    long frames_tracking;      /* all frames so far */
    long frames_succ;          /* successful frames so far */

    /* History, one entry per frame. */
    long frames;
    long capacity;
    unsigned char *success;    /* frames */
    double *reg;               /* frames x num_reg: raw intensities, final ones after finish */
    unsigned char *cls;        /* frames x num_class: CLASS_* codes */

    /* Descriptors of the first AU_MAX_INIT_FRAMES successful frames (dynamic models only). */
    long stored;
    long stored_capacity;
    float *stored_hog;         /* stored x AU_HOG_DIM */
    double *stored_geom;       /* stored x AU_GEOM_DIM */
    long *stored_frame;        /* stored: the frame each descriptor is of */

    int finished;
    double *final_cls;         /* frames x num_class, after finish */
    int threads;               /* for the re-prediction in finish (au_analyser_set_threads) */
};

auface_status au_analyser_create(au_analyser **out, const au_models *models, au_err *err)
{
    *out = NULL;
    if (!models)
        return au_fail(err, AUFACE_ERR_ARG, "au_analyser_create: no models");
    au_analyser *a = calloc(1, sizeof *a);
    if (!a)
        return au_fail(err, AUFACE_ERR_NOMEM, "au_analyser_create: out of memory");
    a->models = models;
    a->threads = 1;
    a->dynamic = au_models_dynamic(models);
    a->num_reg = au_models_num_reg(models);
    a->num_class = au_models_num_class(models);
    auface_status st = au_median_create(&a->hog_median, AU_HOG_DIM, AU_MEDIAN_HOG_BINS,
                                        AU_MEDIAN_HOG_MIN, AU_MEDIAN_HOG_MAX, err);
    if (st == AUFACE_OK)
        st = au_median_create(&a->geom_median, AU_GEOM_DIM, AU_MEDIAN_GEOM_BINS,
                              AU_MEDIAN_GEOM_MIN, AU_MEDIAN_GEOM_MAX, err);
    if (st == AUFACE_OK) {
        a->hog = malloc(AU_HOG_DIM * sizeof *a->hog);
        if (!a->hog)
            st = au_fail(err, AUFACE_ERR_NOMEM, "au_analyser_create: out of memory");
    }
    if (st != AUFACE_OK) {
        au_analyser_free(a);
        return st;
    }
    *out = a;
    return AUFACE_OK;
}

/* Grows the per-frame history to hold at least `frames` entries. */
static auface_status grow_history(au_analyser *a, long frames, au_err *err)
{
    if (frames <= a->capacity)
        return AUFACE_OK;
    /* A bound far beyond any video (2^36 frames is 72 years at 30 fps) keeps the sizes
     * below from overflowing. */
    if (frames > (1L << 36))
        return au_fail(err, AUFACE_ERR_ARG, "AU history: %ld frames is too many", frames);
    long cap = a->capacity ? a->capacity : 256;
    while (cap < frames)
        cap *= 2;
    /* At least one value per frame, so that no size is 0 when a model family is empty. */
    const size_t n_reg = a->num_reg > 0 ? (size_t)a->num_reg : 1;
    const size_t n_cls = a->num_class > 0 ? (size_t)a->num_class : 1;
    unsigned char *success = realloc(a->success, (size_t)cap);
    if (success)
        a->success = success;
    double *reg = realloc(a->reg, (size_t)cap * n_reg * sizeof *reg);
    if (reg)
        a->reg = reg;
    unsigned char *cls = realloc(a->cls, (size_t)cap * n_cls);
    if (cls)
        a->cls = cls;
    if (!success || !reg || !cls)
        return au_fail(err, AUFACE_ERR_NOMEM, "AU history: out of memory for %ld frames", cap);
    a->capacity = cap;
    return AUFACE_OK;
}

auface_status au_analyser_reserve(au_analyser *a, long frames, au_err *err)
{
    return grow_history(a, frames, err);
}

/* Room for one more stored descriptor (at most AU_MAX_INIT_FRAMES). */
static auface_status grow_stored(au_analyser *a, au_err *err)
{
    if (a->stored < a->stored_capacity)
        return AUFACE_OK;
    long cap = a->stored_capacity ? a->stored_capacity * 2 : 64;
    if (cap > AU_MAX_INIT_FRAMES)
        cap = AU_MAX_INIT_FRAMES;
    float *hog = realloc(a->stored_hog, (size_t)cap * AU_HOG_DIM * sizeof *hog);
    if (hog)
        a->stored_hog = hog;
    double *geom = realloc(a->stored_geom, (size_t)cap * AU_GEOM_DIM * sizeof *geom);
    if (geom)
        a->stored_geom = geom;
    long *frame = realloc(a->stored_frame, (size_t)cap * sizeof *frame);
    if (frame)
        a->stored_frame = frame;
    if (!hog || !geom || !frame)
        return au_fail(err, AUFACE_ERR_NOMEM,
                       "AU re-prediction: out of memory storing %ld frames' descriptors", cap);
    a->stored_capacity = cap;
    return AUFACE_OK;
}

/* OpenFace's descriptors are double: dlib's float HOG widened exactly. */
static void widen_hog(const float *hog, double *out)
{
    if (!hog) {
        memset(out, 0, AU_HOG_DIM * sizeof *out);
        return;
    }
    for (int i = 0; i < AU_HOG_DIM; i++)
        out[i] = (double)hog[i];
}

/* PredictCurrentAUs and PredictCurrentAUsClass with the current medians, written into the
 * history entry `frame`. */
static void predict_into_history(au_analyser *a, long frame, const double *hog,
                                 const double *geom)
{
    const double *hog_median = au_median_values(a->hog_median);
    const double *geom_median = au_median_values(a->geom_median);
    double *reg = a->reg + (size_t)frame * (size_t)a->num_reg;
    unsigned char *cls = a->cls + (size_t)frame * (size_t)a->num_class;
    au_models_predict_reg(a->models, hog, geom, hog_median, geom_median, reg);
    au_models_predict_class_codes(a->models, hog, geom, hog_median, geom_median, cls);
    for (int c = 0; c < a->num_class; c++)
        cls[c] = cls[c] ? CLASS_POS : CLASS_NEG;
}

/* The value a presence code stands for (SVM_*_lin::Predict: pos_class / neg_class). */
static double class_value(const au_models *m, int sorted_index, unsigned char code)
{
    if (code == CLASS_FAILED)
        return 0.0;
    au_model_info info;
    au_models_class_info(m, sorted_index, &info);
    return code == CLASS_POS ? info.pos_class : info.neg_class;
}

auface_status au_analyser_add_frame(au_analyser *a, int success, const float *hog,
                                    const double *geom, double *raw_reg_sorted,
                                    double *raw_class_sorted, au_err *err)
{
    if (a->finished)
        return au_fail(err, AUFACE_ERR_ARG,
                       "au_analyser_add_frame: the video was already finished (reset first)");
    success = success != 0;
    if (success && !geom && au_models_feature_dim(a->models) > AU_HOG_DIM)
        return au_fail(err, AUFACE_ERR_ARG,
                       "au_analyser_add_frame: frame %ld succeeded but has no geometry",
                       a->frames);
    /* Allocate first, so that a failure leaves the state untouched. */
    auface_status st = grow_history(a, a->online ? 1 : a->frames + 1, err);
    if (st != AUFACE_OK)
        return st;
    const int store =
        !a->online && success && a->dynamic && a->frames_succ < AU_MAX_INIT_FRAMES;
    if (store && (st = grow_stored(a, err)) != AUFACE_OK)
        return st;

    a->frames_tracking++;
    if (success)
        a->frames_succ++;
    widen_hog(hog, a->hog);
    /* A failed frame's parameters are set to zero, hence its whole geometry
     * (AddNextFrame: geom_descriptor_frame.setTo(0)). */
    const double *g = success ? geom : a->zero_geom;
    if (!g)
        g = a->zero_geom;

    /* "A small speedup": both medians move on odd frames only, counting every frame. */
    if (a->frames_tracking % 2 == 1) {
        au_median_update(a->hog_median, a->hog, success);
        au_median_clamp_below(a->hog_median, 0.0);
        au_median_update(a->geom_median, g, success);
    }

    const long f = a->online ? 0 : a->frames;
    a->success[f] = (unsigned char)success;
    if (success) {
        predict_into_history(a, f, a->hog, g);
    } else {
        memset(a->reg + (size_t)f * (size_t)a->num_reg, 0, (size_t)a->num_reg * sizeof(double));
        memset(a->cls + (size_t)f * (size_t)a->num_class, CLASS_FAILED, (size_t)a->num_class);
    }
    a->frames++;

    if (store) {
        float *stored_hog = a->stored_hog + (size_t)a->stored * AU_HOG_DIM;
        if (hog)
            memcpy(stored_hog, hog, AU_HOG_DIM * sizeof *stored_hog);
        else
            memset(stored_hog, 0, AU_HOG_DIM * sizeof *stored_hog);
        memcpy(a->stored_geom + (size_t)a->stored * AU_GEOM_DIM, g, AU_GEOM_DIM * sizeof(double));
        a->stored_frame[a->stored] = f;
        a->stored++;
    }

    if (raw_reg_sorted)
        memcpy(raw_reg_sorted, a->reg + (size_t)f * (size_t)a->num_reg,
               (size_t)a->num_reg * sizeof(double));
    if (raw_class_sorted)
        for (int c = 0; c < a->num_class; c++)
            raw_class_sorted[c] =
                class_value(a->models, c, a->cls[(size_t)f * (size_t)a->num_class + c]);
    return AUFACE_OK;
}

/* Stored descriptors re-predicted per task of the pool. */
#define REPREDICT_PER_TASK 64

/* The re-prediction as a job; each thread widens the HOG into its own buffer. Every
 * frame's prediction depends only on its descriptor and the final medians, so the split
 * changes no value. */
typedef struct repredict_job {
    au_analyser *a;
    double *hog;               /* threads x AU_HOG_DIM */
} repredict_job;

/* Stored descriptors k0..k1−1 predicted again into their frames' history entries. */
static void repredict_range(au_analyser *a, long k0, long k1, double *hog)
{
    for (long k = k0; k < k1; k++) {
        widen_hog(a->stored_hog + (size_t)k * AU_HOG_DIM, hog);
        predict_into_history(a, a->stored_frame[k], hog,
                             a->stored_geom + (size_t)k * AU_GEOM_DIM);
    }
}

static void repredict_task(void *arg, int task, int thread)
{
    const repredict_job *j = arg;
    const long k0 = (long)task * REPREDICT_PER_TASK;
    const long k1 = k0 + REPREDICT_PER_TASK < j->a->stored ? k0 + REPREDICT_PER_TASK
                                                            : j->a->stored;
    repredict_range(j->a, k0, k1, j->hog + (size_t)thread * AU_HOG_DIM);
}

/* PostprocessPredictions: the first stored (<= 3000) successful frames again, with the
 * final medians; on a->threads threads when there is memory and a pool for them (the
 * values are the same either way). */
static void repredict_stored_frames(au_analyser *a)
{
    const int tasks = (int)((a->stored + REPREDICT_PER_TASK - 1) / REPREDICT_PER_TASK);
    const int threads = a->threads < tasks ? a->threads : tasks;
    au_task_pool *pool = NULL;
    double *hog = NULL;
    au_err ignored;
    if (threads > 1 && (hog = malloc((size_t)threads * AU_HOG_DIM * sizeof *hog)) &&
        au_task_pool_create(&pool, threads, &ignored) == AUFACE_OK) {
        repredict_job job = {a, hog};
        au_task_pool_run(pool, tasks, repredict_task, &job);
    } else {
        repredict_range(a, 0, a->stored, a->hog);
    }
    au_task_pool_free(pool);
    free(hog);
}

static int compare_doubles(const void *pa, const void *pb)
{
    double x = *(const double *)pa, y = *(const double *)pb;
    return (x > y) - (x < y);
}

/* ExtractAllPredictionsOfflineReg for one AU column (`v`, all frames): offset, clip, then
 * the 3-frame moving average. `good` and `tmp` are scratch of `frames` doubles. */
static void postprocess_intensity(const au_analyser *a, const au_model_info *info, double *v,
                                  double *good, double *tmp)
{
    const long n = a->frames;
    double offset = 0.0;
    long n_good = 0;
    for (long f = 0; f < n; f++)
        if (a->success[f])
            good[n_good++] = v[f];
    /* Only with dynamic models, for a dynamic SVR with a cutoff: the value at the cutoff
     * quantile of the successful frames' unclipped predictions (zeros included). */
    if (n_good > 0 && a->dynamic && info->kind == AU_SVR_DYNAMIC && info->cutoff != -1.0) {
        qsort(good, (size_t)n_good, sizeof *good, compare_doubles);
        offset = good[(long)((double)n_good * info->cutoff)];
    }
    for (long f = 0; f < n; f++) {
        if (a->success[f]) {
            double x = (v[f] - offset) * 1.0; /* the scaling is 1 */
            if (x < 0.0)
                x = 0;
            if (x > 5)
                x = 5;
            v[f] = x;
        } else {
            v[f] = 0;
        }
    }
    /* Moving average of 3 frames from a copy; the first and last frames keep their value. */
    memcpy(tmp, v, (size_t)n * sizeof *tmp);
    for (long i = 1; i < n - 1; i++) {
        double sum = 0;
        for (long w = -1; w <= 1; w++)
            sum += tmp[i + w];
        v[i] = sum / 3;
    }
}

/* ExtractAllPredictionsOfflineClass for one AU column: 7-frame mean thresholded at 0.5. */
static void postprocess_presence(long n, double *v, double *tmp)
{
    if (n <= 3)
        return;
    memcpy(tmp, v, (size_t)n * sizeof *tmp);
    for (long i = 3; i < n - 3; i++) {
        double sum = 0;
        int div_by = 0;
        for (long w = -3; w <= 3; w++) {
            sum += tmp[i + w];
            div_by++;
        }
        sum = sum / div_by;
        v[i] = sum < 0.5 ? 0 : 1;
    }
}

static void free_stored(au_analyser *a)
{
    free(a->stored_hog);
    free(a->stored_geom);
    free(a->stored_frame);
    a->stored_hog = NULL;
    a->stored_geom = NULL;
    a->stored_frame = NULL;
    a->stored = a->stored_capacity = 0;
}

void au_analyser_set_online(au_analyser *a)
{
    a->online = 1;
}

void au_analyser_set_threads(au_analyser *a, int threads)
{
    a->threads = threads < 1 ? 1 : threads > AU_TASK_POOL_MAX_THREADS ? AU_TASK_POOL_MAX_THREADS
                                                                      : threads;
}

auface_status au_analyser_finish(au_analyser *a, au_err *err)
{
    if (a->finished)
        return AUFACE_OK;
    if (a->online)
        return au_fail(err, AUFACE_ERR_ARG,
                       "au_analyser_finish: an online analyser keeps no history to post-process");
    const long n = a->frames;
    const size_t n_alloc = n > 0 ? (size_t)n : 1;
    double *column = malloc(n_alloc * sizeof *column);
    double *good = malloc(n_alloc * sizeof *good);
    double *tmp = malloc(n_alloc * sizeof *tmp);
    double *final_cls = malloc(n_alloc * (size_t)(a->num_class > 0 ? a->num_class : 1) *
                               sizeof *final_cls);
    if (!column || !good || !tmp || !final_cls) {
        free(column);
        free(good);
        free(tmp);
        free(final_cls);
        return au_fail(err, AUFACE_ERR_NOMEM,
                       "AU post-processing: out of memory for %ld frames", n);
    }

    if (a->dynamic)
        repredict_stored_frames(a);

    for (int r = 0; r < a->num_reg; r++) {
        au_model_info info;
        au_models_reg_info(a->models, r, &info);
        for (long f = 0; f < n; f++)
            column[f] = a->reg[(size_t)f * (size_t)a->num_reg + (size_t)r];
        postprocess_intensity(a, &info, column, good, tmp);
        for (long f = 0; f < n; f++)
            a->reg[(size_t)f * (size_t)a->num_reg + (size_t)r] = column[f];
    }

    for (int c = 0; c < a->num_class; c++) {
        for (long f = 0; f < n; f++)
            column[f] = class_value(a->models, c, a->cls[(size_t)f * (size_t)a->num_class + c]);
        postprocess_presence(n, column, tmp);
        for (long f = 0; f < n; f++)
            final_cls[(size_t)f * (size_t)a->num_class + (size_t)c] = column[f];
    }

    free(column);
    free(good);
    free(tmp);
    free(a->final_cls);
    a->final_cls = final_cls;
    free_stored(a);
    a->finished = 1;
    return AUFACE_OK;
}

long au_analyser_frames(const au_analyser *a)
{
    return a->frames;
}

auface_status au_analyser_final_reg(const au_analyser *a, long frame, double *out)
{
    if (!a->finished || frame < 0 || frame >= a->frames)
        return AUFACE_ERR_ARG;
    memcpy(out, a->reg + (size_t)frame * (size_t)a->num_reg, (size_t)a->num_reg * sizeof *out);
    return AUFACE_OK;
}

auface_status au_analyser_final_class(const au_analyser *a, long frame, double *out)
{
    if (!a->finished || frame < 0 || frame >= a->frames)
        return AUFACE_ERR_ARG;
    memcpy(out, a->final_cls + (size_t)frame * (size_t)a->num_class,
           (size_t)a->num_class * sizeof *out);
    return AUFACE_OK;
}

const double *au_analyser_hog_median(const au_analyser *a)
{
    return au_median_values(a->hog_median);
}

const double *au_analyser_geom_median(const au_analyser *a)
{
    return au_median_values(a->geom_median);
}

void au_analyser_reset(au_analyser *a)
{
    au_median_reset(a->hog_median);
    au_median_reset(a->geom_median);
    a->frames_tracking = 0;
    a->frames_succ = 0;
    a->frames = 0;
    a->stored = 0;
    a->finished = 0;
    free(a->final_cls);
    a->final_cls = NULL;
}

void au_analyser_free(au_analyser *a)
{
    if (!a)
        return;
    au_median_free(a->hog_median);
    au_median_free(a->geom_median);
    free(a->hog);
    free(a->success);
    free(a->reg);
    free(a->cls);
    free_stored(a);
    free(a->final_cls);
    free(a);
}
