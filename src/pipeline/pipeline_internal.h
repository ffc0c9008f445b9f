/* The pipeline object behind the public auface_pipeline handle: the models, loaded once,
 * and one worker's scratch. */
#ifndef AU_PIPELINE_INTERNAL_H
#define AU_PIPELINE_INTERNAL_H

#include "au/models.h"
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
    /* Workers with their scratch and network runtimes, made on first use. */
    au_worker **workers;
    int num_workers;
    int workers_own_landmarks;
    /* The frame-by-frame stream (auface_process_frame), made on first use. */
    struct au_stream *stream;
    au_err err;
};

/* Frees the stream state (auface_pipeline_destroy). */
void au_stream_free(struct au_stream *s);

/* Loads the detector and landmark networks if not yet loaded. */
auface_status au_pipeline_load_landmarker(auface_pipeline *p);

/* Makes the workers (cfg.workers of them), with network runtimes when own_landmarks (PFLD
 * tracking on the workers). */
auface_status au_pipeline_prepare_workers(auface_pipeline *p, int own_landmarks);

/* Frame slots the scheduler may fill: at least batch_size, and enough for every worker to
 * hold a chunk while the one before it finishes. */
int au_pipeline_ring_size(const auface_pipeline *p);

#endif
