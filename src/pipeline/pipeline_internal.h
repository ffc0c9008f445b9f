/* The pipeline object behind the public auface_pipeline handle: the models, loaded once,
 * and one worker's scratch. */
#ifndef AU_PIPELINE_INTERNAL_H
#define AU_PIPELINE_INTERNAL_H

#include "au/models.h"
#include "face/paw.h"
#include "face/pdm.h"
#include "pipeline/face_frame.h"

struct auface_pipeline {
    auface_config cfg;
    char models_dir[4096];
    au_models *models;
    au_pdm pdm;
    au_triangulation tris;
    au_face_extractor extractor;
    au_face_features *features;   /* one frame's features (large: heap) */
    au_err err;
};

#endif
