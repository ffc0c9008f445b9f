/* auface_process_image and auface_process_images: still images as OpenFace's
 * FaceLandmarkImg processes them (pipeline/image_worker.h does one image). Images are
 * independent (IMAGE_SPEC §1.5), so a list runs on cfg.workers threads, each pulling the
 * next image; every image's outputs are those of a lone run. */
#include "pipeline/image_job.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/c_locale.h"
#include "common/cpu_count.h"
#include "common/thread_role.h"
#include "pipeline/image_worker.h"
#include "pipeline/pipeline_internal.h"

struct au_image_mode {
    au_models *own_static_aus;     /* loaded here unless the pipeline's are the static set */
    au_image_models models;
    au_image_worker **workers;
    int num_workers;
};

void au_image_mode_free(au_image_mode *im)
{
    if (!im)
        return;
    for (int i = 0; i < im->num_workers; i++)
        au_image_worker_free(im->workers[i]);
    free(im->workers);
    au_models_free(im->own_static_aus);
    free(im);
}

/* FaceAnalyserParameters::OptimizeForImages: the static AU set whatever -au_static says. */
static auface_status load_static_aus(auface_pipeline *p, au_image_mode *im)
{
    if (!au_models_dynamic(p->models)) {
        im->models.static_aus = p->models;
        return AUFACE_OK;
    }
    char dir[4200];
    au_pipeline_au_dir(p, dir, sizeof dir);
    auface_status st = au_models_load(&im->own_static_aus, dir, 1, &p->err);
    im->models.static_aus = im->own_static_aus;
    return st;
}

static void share_landmark_models(const auface_pipeline *p, au_image_models *m)
{
    if (p->cfg.landmarks == AUFACE_LANDMARKS_CLNF) {
        m->clnf_model = p->clnf_model;
        m->mtcnn = p->mtcnn;
        m->clnf_params = &p->clnf_params;
    } else {
        m->detector_kind = p->cfg.detector == AUFACE_DETECTOR_YUNET ? AU_DETECTOR_YUNET
                                                                     : AU_DETECTOR_RETINAFACE;
        m->detector_model = p->detector_model;
        m->pfld_model = p->pfld_model;
    }
}

/* The image mode with at least `workers` workers, made on first use. */
static auface_status prepare(auface_pipeline *p, int workers)
{
    auface_status st;
    if (!p->image_mode) {
        /* The landmark models, and the eye model for gaze (decided with the video
         * workers: one worker without landmark networks is enough for that). */
        if ((st = au_pipeline_load_landmarker(p)) != AUFACE_OK ||
            (st = au_pipeline_prepare_workers(p, 0, 1)) != AUFACE_OK)
            return st;
        au_image_mode *im = calloc(1, sizeof *im);
        if (!im)
            return au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for image mode");
        p->image_mode = im;
        if ((st = load_static_aus(p, im)) != AUFACE_OK)
            return st;
        im->models.pdm = &p->pdm;
        im->models.tris = &p->tris;
        im->models.outputs = au_pipeline_outputs(p);
        im->models.eye_model = p->gaze ? p->clnf_model : NULL;
        im->models.fx = p->cfg.fx;
        im->models.fy = p->cfg.fy;
        im->models.cx = p->cfg.cx;
        im->models.cy = p->cfg.cy;
        share_landmark_models(p, &im->models);
    }
    au_image_mode *im = p->image_mode;
    if (!im->models.static_aus)
        return au_fail(&p->err, AUFACE_ERR_MODELS, "the static AU models could not be loaded");
    if (workers <= im->num_workers)
        return AUFACE_OK;
    au_image_worker **grown = realloc(im->workers, (size_t)workers * sizeof *grown);
    if (!grown)
        return au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for %d image workers", workers);
    im->workers = grown;
    for (; im->num_workers < workers; im->num_workers++)
        if ((st = au_image_worker_create(&im->workers[im->num_workers], &im->models,
                                         &p->err)) != AUFACE_OK)
            return st;
    return AUFACE_OK;
}

static auface_status check_job(const auface_image_job *job, au_err *err)
{
    if (!job || (!job->input == !job->image))
        return au_fail(err, AUFACE_ERR_ARG, "an image job needs either an input file or "
                       "pixels");
    if (!job->output_csv && !job->results && !job->output_hog && !job->aligned_dir)
        return au_fail(err, AUFACE_ERR_ARG, "%s: an image job needs an output",
                       job->input ? job->input : "image");
    const auface_image *img = job->image;
    if (img && (!img->bgr || img->width <= 0 || img->height <= 0 ||
                img->stride < 3 * (size_t)img->width))
        return au_fail(err, AUFACE_ERR_ARG, "an empty image or a stride below 3 x width");
    return AUFACE_OK;
}

auface_status auface_process_image(auface_pipeline *p, const auface_image_job *job,
                                   auface_summary *summary)
{
    if (!p)
        return AUFACE_ERR_ARG;
    au_err_clear(&p->err);
    if (summary)
        memset(summary, 0, sizeof *summary);
    if (job && job->results)
        *job->results = NULL;
    au_c_locale_scope numbers; /* '.' decimals whatever the caller's locale */
    au_c_locale_enter(&numbers);
    auface_status st = check_job(job, &p->err);
    if (st == AUFACE_OK)
        st = prepare(p, 1);
    if (st == AUFACE_OK)
        st = au_image_worker_run(p->image_mode->workers[0], job, summary, &p->err);
    au_c_locale_leave(&numbers);
    return st;
}

/* ---- many images on worker threads ------------------------------------------------ */

typedef struct image_run {
    auface_pipeline *p;
    const auface_image_job *jobs;
    int count;
    atomic_int next;
    auface_image_done_fn done;
    void *user;
    pthread_mutex_t lock;          /* serialises `done` and the first failure below */
    int first_failed;              /* index in jobs, count when none */
    auface_status first_status;
    au_err first_err;
} image_run;

typedef struct image_thread {
    image_run *run;
    au_image_worker *worker;
} image_thread;

static void finish_one(image_run *r, int index, auface_status st, const auface_summary *sum,
                       const au_err *err)
{
    pthread_mutex_lock(&r->lock);
    if (st != AUFACE_OK && index < r->first_failed) {
        r->first_failed = index;
        r->first_status = st;
        r->first_err = *err;
    }
    if (r->done)
        r->done(r->user, index, st, sum, st == AUFACE_OK ? NULL : err->msg);
    pthread_mutex_unlock(&r->lock);
}

static void *image_thread_main(void *arg)
{
    image_thread *t = arg;
    image_run *r = t->run;
    for (;;) {
        int i = atomic_fetch_add(&r->next, 1);
        if (i >= r->count)
            break;
        au_err err;
        au_err_clear(&err);
        auface_summary sum;
        if (r->jobs[i].results)
            *r->jobs[i].results = NULL;
        memset(&sum, 0, sizeof sum);
        au_c_locale_scope numbers; /* '.' decimals whatever the thread's locale; the
                                      caller's `done` runs outside */
        au_c_locale_enter(&numbers);
        auface_status st = check_job(&r->jobs[i], &err);
        if (st == AUFACE_OK)
            st = au_image_worker_run(t->worker, &r->jobs[i], &sum, &err);
        au_c_locale_leave(&numbers);
        finish_one(r, i, st, &sum, &err);
    }
    return NULL;
}

#define MAX_IMAGE_THREADS 256

static int worker_count(const auface_pipeline *p, int count)
{
    int n = p->cfg.workers > 0 ? p->cfg.workers : au_usable_cpus(MAX_IMAGE_THREADS);
    if (n > MAX_IMAGE_THREADS)
        n = MAX_IMAGE_THREADS;
    return n < count ? n : count;
}

/* The entry of the threads started for images (thread 0 is the caller's, which keeps its
 * name). */
static void *image_thread_start(void *arg)
{
    au_thread_name_set("auface-image");
    return image_thread_main(arg);
}

/* Runs the threads; thread 0's work is done on the calling thread. */
static void run_threads(image_run *r, int n)
{
    image_thread threads[MAX_IMAGE_THREADS];
    pthread_t ids[MAX_IMAGE_THREADS];
    int started = 0;
    for (int i = 0; i < n; i++)
        threads[i] = (image_thread){r, r->p->image_mode->workers[i]};
    for (int i = 1; i < n; i++, started++)
        if (pthread_create(&ids[i], NULL, image_thread_start, &threads[i]) != 0)
            break; /* fewer threads: the others take the remaining images */
    image_thread_main(&threads[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(ids[i], NULL);
}

auface_status auface_process_images(auface_pipeline *p, const auface_image_job *jobs,
                                    int count, auface_image_done_fn done, void *user)
{
    if (!p)
        return AUFACE_ERR_ARG;
    au_err_clear(&p->err);
    if (count < 0 || (count > 0 && !jobs))
        return au_fail(&p->err, AUFACE_ERR_ARG, "auface_process_images: no job list");
    if (count == 0)
        return AUFACE_OK;
    const int n = worker_count(p, count);
    auface_status st = prepare(p, n);
    if (st != AUFACE_OK)
        return st;
    image_run r = {.p = p, .jobs = jobs, .count = count, .done = done, .user = user,
                   .first_failed = count};
    atomic_init(&r.next, 0);
    pthread_mutex_init(&r.lock, NULL);
    run_threads(&r, n);
    pthread_mutex_destroy(&r.lock);
    if (r.first_failed < count) {
        p->err = r.first_err;
        return r.first_status;
    }
    return AUFACE_OK;
}
