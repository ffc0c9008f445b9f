/* The pipeline object behind the public auface_pipeline handle: the models, loaded once,
 * and one worker's scratch. */
#ifndef AU_PIPELINE_INTERNAL_H
#define AU_PIPELINE_INTERNAL_H

#include "au/models.h"
#include "common/memory_budget.h"
#include "face/paw.h"
#include "face/pdm.h"
#include "pipeline/face_frame.h"
#include "pipeline/frame_work.h"
#include "pipeline/tracker.h"
#include "landmark/clnf_tracker.h"

struct auface_pipeline {
    auface_config cfg;
    char models_dir[4096];        /* "" when no folder was needed nor found */
    struct {                      /* explicit model files (owned), NULL = from models_dir */
        char *detector, *pfld, *pdm, *triangulation, *au_dir;
    } files;
    au_models *models;
    au_pdm pdm;
    au_triangulation tris;
    /* Own landmarks, loaded on first use (landmark replay needs none of it). */
    au_nn_model *detector_model;
    au_nn_model *pfld_model;
    /* OpenFace's CLNF tracker, loaded on first use (runs on the reader thread: its state
     * goes from frame to frame). */
    au_clnf_model *clnf_model;
    au_clnf_params clnf_params;
    au_mtcnn *mtcnn;
    au_clnf_tracker *clnf_tracker;
    /* Gaze output (cfg.outputs has AUFACE_OUT_GAZE and the model set has eye parts; the
     * eye parts come from clnf_model, loaded for them alone in the other modes). */
    int gaze;
    /* Workers with their scratch and network runtimes, made on first use. */
    au_worker **workers;
    int num_workers;
    int workers_own_landmarks;
    /* The faces PFLD video jobs follow (the reader's detector), made by the first such job
     * and reset by each: its network plan and buffers serve every video. */
    struct au_anchor_chain *anchors;
    /* The frame-by-frame stream (auface_process_frame), made on first use. */
    struct au_stream *stream;
    /* Still images (auface_process_image[s]): static AU models and image workers, made on
     * first use (pipeline/image_job.h). */
    struct au_image_mode *image_mode;
    au_err err;
};

/* One face of a multi-face job, replayed through the single-face job (pipeline/multi_face.h):
 * its landmarks come from the spool of pass 1, the frames before `first_frame` are decoded
 * and skipped, the run ends after its last frame, and its rows carry `face_id`. */
struct au_track_spool;
typedef struct au_face_replay {
    struct au_track_spool *spool;
    int face_id;
    long first_frame;
} au_face_replay;

/* auface_process_video for one face of a multi-face job (no progress callback). */
auface_status au_process_face_replay(auface_pipeline *p, const auface_job *job,
                                     const au_face_replay *face, auface_summary *summary);

/* Frees the stream state (auface_pipeline_destroy). */
void au_stream_free(struct au_stream *s);

/* The AU predictor folder: the explicit one, else openface/AU_predictors of the model
 * folder. */
void au_pipeline_au_dir(const auface_pipeline *p, char *out, size_t cap);

/* Loads the detector and landmark networks if not yet loaded. */
auface_status au_pipeline_load_landmarker(auface_pipeline *p);

/* Makes at least `count` workers (0: cfg.workers, or the usable CPUs when that is 0), with
 * network runtimes when own_landmarks (PFLD tracking on the workers). Workers made before
 * are kept when there are enough of them: a stream needs one, a video job its count. */
auface_status au_pipeline_prepare_workers(auface_pipeline *p, int own_landmarks, int count);

/* The pipeline's anchor chain, made on first use, reset for a new video. */
auface_status au_pipeline_anchor_chain(auface_pipeline *p, struct au_anchor_chain **out);

/* Bytes the frames in flight may take (cfg.max_memory_mb, or its default). */
size_t au_pipeline_frame_budget(const auface_pipeline *p);

/* The output groups a job writes: cfg.outputs without gaze when the model set has no eye
 * parts (OpenFace then leaves the gaze block out). Valid after au_pipeline_prepare_workers. */
unsigned au_pipeline_outputs(const auface_pipeline *p);

/* Frame slots the scheduler may fill: at least batch_size, and enough for every worker to
 * hold a chunk while the one before it finishes. */
int au_pipeline_ring_size(const auface_pipeline *p);

#endif
