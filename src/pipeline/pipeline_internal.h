/* The pipeline object behind the public auface_pipeline handle: the models, loaded once,
 * and one worker's scratch. */
#ifndef AU_PIPELINE_INTERNAL_H
#define AU_PIPELINE_INTERNAL_H

#include "au/models.h"
#include "face/paw.h"
#include "face/pdm.h"
#include "pipeline/face_frame.h"
#include "pipeline/tracker.h"

struct auface_pipeline {
    auface_config cfg;
    char models_dir[4096];
    au_models *models;
    au_pdm pdm;
    au_triangulation tris;
    au_face_extractor extractor;
    au_face_features *features;   /* one frame's features (large: heap) */
    /* Own landmarks, loaded on first use (landmark replay needs none of it). */
    au_nn_model *detector_model;
    au_nn_model *pfld_model;
    au_retinaface *detector;
    au_pfld *pfld;
    au_err err;
};

/* Loads the detector and landmark networks if not yet loaded. */
auface_status au_pipeline_load_landmarker(auface_pipeline *p);

#endif
