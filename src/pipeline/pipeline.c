/* Public API: configuration, pipeline lifetime, error texts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/c_locale.h"
#include "common/cpu_count.h"
#include "common/task_pool.h"
#include "pipeline/anchor_chain.h"
#include "pipeline/image_job.h"
#include "pipeline/models_dir.h"
#include "pipeline/tracker.h"
#include "pipeline/pipeline_internal.h"

#define AU_STR(x) #x
#define AU_XSTR(x) AU_STR(x)

const char *auface_version(void)
{
    return AU_XSTR(AUFACE_VERSION_MAJOR) "." AU_XSTR(AUFACE_VERSION_MINOR) "." AU_XSTR(
        AUFACE_VERSION_PATCH);
}

const char *auface_strerror(auface_status status)
{
    switch (status) {
    case AUFACE_OK: return "success";
    case AUFACE_ERR_ARG: return "invalid argument";
    case AUFACE_ERR_NOMEM: return "out of memory";
    case AUFACE_ERR_IO: return "file input/output error";
    case AUFACE_ERR_FORMAT: return "malformed or truncated file";
    case AUFACE_ERR_MODELS: return "model folder missing or incomplete";
    case AUFACE_ERR_VIDEO: return "video could not be opened or decoded";
    case AUFACE_ERR_LANDMARKS: return "landmark file does not match the input";
    case AUFACE_ERR_UNSUPPORTED: return "not supported";
    case AUFACE_ERR_INTERNAL: return "internal error";
    case AUFACE_ERR_CANCELLED: return "cancelled";
    }
    return "unknown status";
}

void auface_config_default(auface_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->outputs = AUFACE_OUT_ALL;
    cfg->landmarks = AUFACE_LANDMARKS_PFLD;
    cfg->detector = AUFACE_DETECTOR_DEFAULT;
    cfg->detect_interval = AU_TRACK_DETECT_INTERVAL;
    cfg->workers = 0;
    cfg->batch_size = 30;
}

const char *auface_pipeline_errmsg(const auface_pipeline *p)
{
    return p ? p->err.msg : "";
}

const char *auface_stage_name(auface_stage stage)
{
    static const char *const names[AUFACE_STAGE_COUNT] = {
        "decode", "detect", "landmarks", "calcparams", "align", "hog", "predict"};
    return (int)stage >= 0 && stage < AUFACE_STAGE_COUNT ? names[stage] : NULL;
}

static auface_status load_face_models(auface_pipeline *p)
{
    const char *pdm = p->files.pdm ? p->files.pdm : au_models_pdm_path(p->models);
    const char *tris = p->files.triangulation ? p->files.triangulation
                                              : au_models_triangulation_path(p->models);
    auface_status st = au_pdm_load(&p->pdm, pdm, &p->err);
    if (st != AUFACE_OK)
        return st;
    return au_triangulation_load(&p->tris, tris, p->pdm.n, &p->err);
}

/* Keeps copies of the explicit model paths (the caller's strings need not outlive the
 * call) and clears the config's pointers to them. */
static auface_status copy_model_files(auface_pipeline *p, const auface_config *cfg)
{
    const char *given[5] = {cfg->detector_model_file, cfg->pfld_model_file, cfg->pdm_file,
                            cfg->triangulation_file, cfg->au_models_dir};
    char **kept[5] = {&p->files.detector, &p->files.pfld, &p->files.pdm,
                      &p->files.triangulation, &p->files.au_dir};
    for (int i = 0; i < 5; i++)
        if (given[i] && !(*kept[i] = strdup(given[i])))
            return au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for model paths");
    p->cfg.detector_model_file = p->cfg.pfld_model_file = p->cfg.pdm_file = NULL;
    p->cfg.triangulation_file = p->cfg.au_models_dir = NULL;
    return AUFACE_OK;
}

/* The model folder is needed unless the AU stage's three models are all given; when it is
 * not needed a missing folder is not an error (a later job that needs a model from it
 * says so). */
static auface_status find_models_dir(auface_pipeline *p, const char *explicit_dir)
{
    int needed = !p->files.au_dir || !p->files.pdm || !p->files.triangulation;
    auface_status st = au_models_dir_find(explicit_dir, p->models_dir, sizeof p->models_dir,
                                          &p->err);
    if (st != AUFACE_OK && !needed && !explicit_dir) {
        p->models_dir[0] = '\0';
        au_err_clear(&p->err);
        return AUFACE_OK;
    }
    return st;
}

/* The configured workers; when the configuration leaves it open, the CPUs this process may
 * use (affinity mask and cgroup quota, see common/cpu_count.h), at most 256. */
static int configured_workers(const auface_pipeline *p)
{
    return p->cfg.workers > 0 ? p->cfg.workers : au_usable_cpus(256);
}

static void destroy_workers(auface_pipeline *p)
{
    for (int i = 0; i < p->num_workers; i++)
        au_worker_destroy(p->workers[i]);
    free(p->workers);
    p->workers = NULL;
    p->num_workers = 0;
}

/* The eye parts for gaze (GAZE_SPEC §9): the CLNF tracker's model in CLNF mode, otherwise
 * the CLNF model set loaded for its eye parts alone. Without a model folder there is no eye
 * model and, as in OpenFace, no gaze. */
static auface_status load_eye_model(auface_pipeline *p)
{
    p->gaze = 0;
    if (!(p->cfg.outputs & AUFACE_OUT_GAZE))
        return AUFACE_OK;
    if (!p->clnf_model) {
        if (!p->models_dir[0])
            return AUFACE_OK;
        char path[4300];
        snprintf(path, sizeof path, "%s/openface/model/main_clnf_general.txt", p->models_dir);
        auface_status st = au_clnf_model_load(&p->clnf_model, path, &p->err);
        if (st != AUFACE_OK)
            return st;
    }
    int part[2];
    if (!au_clnf_eye_parts(p->clnf_model, part))
        return AUFACE_OK;
    auface_status st = au_eye_parts_prepare(p->clnf_model, &p->err);
    p->gaze = st == AUFACE_OK;
    return st;
}

unsigned au_pipeline_outputs(const auface_pipeline *p)
{
    return p->gaze ? p->cfg.outputs : p->cfg.outputs & ~(unsigned)AUFACE_OUT_GAZE;
}

/* Intrinsics and eye model of every worker. */
static auface_status configure_workers(auface_pipeline *p)
{
    au_worker_options opt = {p->cfg.fx, p->cfg.fy, p->cfg.cx, p->cfg.cy,
                             p->gaze ? p->clnf_model : NULL};
    for (int i = 0; i < p->num_workers; i++) {
        auface_status st = au_worker_set_options(p->workers[i], &opt, &p->err);
        if (st != AUFACE_OK)
            return st;
    }
    return AUFACE_OK;
}

auface_status au_pipeline_prepare_workers(auface_pipeline *p, int own_landmarks, int count)
{
    int n = count > 0 ? count : configured_workers(p);
    if (p->workers && p->num_workers >= n && (p->workers_own_landmarks || !own_landmarks))
        return AUFACE_OK;
    auface_status est = load_eye_model(p);
    if (est != AUFACE_OK)
        return est;
    destroy_workers(p);
    if (!(p->workers = calloc((size_t)n, sizeof *p->workers)))
        return au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for %d workers", n);
    au_tracker_config tc = {p->cfg.detect_interval, AU_TRACK_MIN_CONFIDENCE};
    for (int i = 0; i < n; i++) {
        au_detector_kind kind = p->cfg.detector == AUFACE_DETECTOR_YUNET ? AU_DETECTOR_YUNET
                                                                          : AU_DETECTOR_RETINAFACE;
        auface_status st = au_worker_create(&p->workers[i], &p->pdm, &p->tris, kind,
                                            own_landmarks ? p->detector_model : NULL,
                                            own_landmarks ? p->pfld_model : NULL, tc, &p->err);
        if (st != AUFACE_OK) {
            p->num_workers = i;
            destroy_workers(p);
            return st;
        }
        p->num_workers = i + 1;
    }
    p->workers_own_landmarks = own_landmarks;
    return configure_workers(p);
}

auface_status au_pipeline_anchor_chain(auface_pipeline *p, au_anchor_chain **out)
{
    *out = NULL;
    if (!p->anchors) {
        auface_status st = au_anchor_chain_create(
            &p->anchors,
            p->cfg.detector == AUFACE_DETECTOR_YUNET ? AU_DETECTOR_YUNET : AU_DETECTOR_RETINAFACE,
            p->detector_model, p->cfg.detect_interval, &p->err);
        if (st != AUFACE_OK)
            return st;
    }
    au_anchor_chain_reset(p->anchors);
    *out = p->anchors;
    return AUFACE_OK;
}

size_t au_pipeline_frame_budget(const auface_pipeline *p)
{
    if (p->cfg.max_memory_mb > 0)
        return (size_t)p->cfg.max_memory_mb << 20;
    return au_default_frame_budget_bytes();
}

int au_pipeline_ring_size(const auface_pipeline *p)
{
    int need = (p->num_workers - 1) * p->cfg.detect_interval + p->num_workers;
    return p->cfg.batch_size > need ? p->cfg.batch_size : need;
}

static auface_status create_pipeline(const auface_config *cfg, auface_pipeline **out)
{
    if (!out)
        return AUFACE_ERR_ARG;
    *out = NULL;
    auface_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return AUFACE_ERR_NOMEM;
    *out = p;
    if (!cfg)
        return au_fail(&p->err, AUFACE_ERR_ARG, "auface_pipeline_create: config is NULL");
    p->cfg = *cfg;
    p->cfg.models_dir = NULL; /* the caller's string need not outlive the call */
    if (p->cfg.detector == AUFACE_DETECTOR_DEFAULT)
        p->cfg.detector = p->cfg.landmarks == AUFACE_LANDMARKS_CLNF ? AUFACE_DETECTOR_MTCNN
                                                                  : AUFACE_DETECTOR_RETINAFACE;
    int clnf = p->cfg.landmarks == AUFACE_LANDMARKS_CLNF;
    if (clnf != (p->cfg.detector == AUFACE_DETECTOR_MTCNN))
        return au_fail(&p->err, AUFACE_ERR_UNSUPPORTED, "%s", clnf
                       ? "CLNF landmarks start from OpenFace's MTCNN detector only"
                       : "the MTCNN detector goes with CLNF landmarks; PFLD uses RetinaFace "
                         "or YuNet");
    if (p->cfg.max_faces < 0)
        return au_fail(&p->err, AUFACE_ERR_ARG, "invalid configuration: max_faces %d",
                       p->cfg.max_faces);
    if (p->cfg.detect_interval < 1 || p->cfg.workers < 0 || p->cfg.batch_size < 1 ||
        p->cfg.max_memory_mb < 0 ||
        (p->cfg.landmarks != AUFACE_LANDMARKS_PFLD && !clnf) ||
        (p->cfg.detector != AUFACE_DETECTOR_RETINAFACE &&
         p->cfg.detector != AUFACE_DETECTOR_YUNET && p->cfg.detector != AUFACE_DETECTOR_MTCNN) ||
        p->cfg.outputs == 0 || (p->cfg.outputs & ~(unsigned)AUFACE_OUT_ALL))
        return au_fail(&p->err, AUFACE_ERR_ARG, "invalid configuration: detect_interval %d, "
                       "workers %d, batch_size %d, max_memory_mb %d, outputs 0x%x",
                       p->cfg.detect_interval, p->cfg.workers, p->cfg.batch_size,
                       p->cfg.max_memory_mb, p->cfg.outputs);
    auface_status st = copy_model_files(p, cfg);
    if (st == AUFACE_OK)
        st = find_models_dir(p, cfg->models_dir);
    if (st != AUFACE_OK)
        return st;
    char au_dir[4200];
    au_pipeline_au_dir(p, au_dir, sizeof au_dir);
    st = au_models_load(&p->models, au_dir, cfg->au_static, &p->err);
    if (st != AUFACE_OK)
        return st;
    return load_face_models(p);
}

void au_pipeline_au_dir(const auface_pipeline *p, char *out, size_t cap)
{
    if (p->files.au_dir)
        snprintf(out, cap, "%s", p->files.au_dir);
    else
        snprintf(out, cap, "%s/openface/AU_predictors", p->models_dir);
}

auface_status auface_pipeline_create(const auface_config *cfg, auface_pipeline **out)
{
    au_c_locale_scope numbers; /* text models use '.' decimals whatever the caller's locale */
    au_c_locale_enter(&numbers);
    auface_status st = create_pipeline(cfg, out);
    au_c_locale_leave(&numbers);
    return st;
}

/* Loads a network from its explicit path, or from `rel` inside the model folder. */
static auface_status load_network(auface_pipeline *p, const char *explicit_path,
                                  const char *rel, au_nn_model **out)
{
    if (explicit_path)
        return au_nn_model_load(out, explicit_path, &p->err);
    if (!p->models_dir[0])
        return au_fail(&p->err, AUFACE_ERR_MODELS, "no model folder found for %s: pass the "
                       "model folder or the file's own path", rel);
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", p->models_dir, rel);
    return au_nn_model_load(out, path, &p->err);
}

/* Σ of the CLNF model (≈ 0.25 s of CPU) on as many threads as the run may use: nothing
 * else runs before the first frame. Without threads (the system refuses them) the calling
 * thread prepares them alone. */
static auface_status prepare_clnf_model(auface_pipeline *p)
{
    const int threads = configured_workers(p);
    au_task_pool *pool = NULL;
    au_err ignored;
    if (threads > 1 &&
        au_task_pool_create(&pool, threads < AU_TASK_POOL_MAX_THREADS
                                       ? threads : AU_TASK_POOL_MAX_THREADS,
                            &ignored) != AUFACE_OK)
        pool = NULL;
    auface_status st = au_clnf_prepare_model(p->clnf_model, &p->clnf_params, pool, &p->err);
    au_task_pool_free(pool);
    return st;
}

/* OpenFace's CLNF model set and MTCNN, loaded once; Σ is prepared here, before any thread
 * reads the experts. */
static auface_status load_clnf(auface_pipeline *p)
{
    char path[4300];
    if (!p->models_dir[0])
        return au_fail(&p->err, AUFACE_ERR_MODELS, "CLNF landmarks need the model folder "
                       "(openface/model/main_clnf_general.txt): none was found");
    au_clnf_params_default(&p->clnf_params);
    snprintf(path, sizeof path, "%s/openface/model/main_clnf_general.txt", p->models_dir);
    /* the model may be loaded already, for its eye parts (load_eye_model) */
    auface_status st = p->clnf_model ? AUFACE_OK
                                     : au_clnf_model_load(&p->clnf_model, path, &p->err);
    if (st == AUFACE_OK)
        st = prepare_clnf_model(p);
    snprintf(path, sizeof path, "%s/openface/model/mtcnn_detector", p->models_dir);
    if (st == AUFACE_OK)
        st = au_mtcnn_load(&p->mtcnn, path, &p->err);
    if (st == AUFACE_OK)
        st = au_clnf_tracker_create(&p->clnf_tracker, p->clnf_model, p->mtcnn,
                                    &p->clnf_params,
                                    configured_workers(p),
                                    &p->err);
    return st;
}

auface_status au_pipeline_load_landmarker(auface_pipeline *p)
{
    if (p->cfg.landmarks == AUFACE_LANDMARKS_CLNF)
        return p->clnf_tracker ? AUFACE_OK : load_clnf(p);
    if (p->pfld_model)
        return AUFACE_OK;
    auface_status st = load_network(p, p->files.detector,
                                    p->cfg.detector == AUFACE_DETECTOR_YUNET
                                           ? "yunet/face_detection_yunet_2023mar.onnx"
                                           : "retinaface/retinaface_mobilenet0.25_640.onnx",
                                    &p->detector_model);
    if (st == AUFACE_OK)
        st = load_network(p, p->files.pfld, "pfld/pfld_68.onnx", &p->pfld_model);
    return st;
}

void auface_pipeline_destroy(auface_pipeline *p)
{
    if (!p)
        return;
    au_stream_free(p->stream);
    au_image_mode_free(p->image_mode);
    au_clnf_tracker_free(p->clnf_tracker);
    au_anchor_chain_free(p->anchors);
    au_mtcnn_free(p->mtcnn);
    au_clnf_model_free(p->clnf_model);
    destroy_workers(p);
    au_nn_model_free(p->pfld_model);
    au_nn_model_free(p->detector_model);
    au_triangulation_free(&p->tris);
    au_pdm_free(&p->pdm);
    au_models_free(p->models);
    free(p->files.detector);
    free(p->files.pfld);
    free(p->files.pdm);
    free(p->files.triangulation);
    free(p->files.au_dir);
    free(p);
}
