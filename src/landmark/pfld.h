/* PFLD 68-point landmarks on the nn runtime: crop (pfld_io), network, reprojection into
 * OpenFace's planar order. One instance per thread; weights shared read-only. */
#ifndef AU_LANDMARK_PFLD_H
#define AU_LANDMARK_PFLD_H

#include <stddef.h>
#include <stdint.h>

#include "detect/face_box.h"
#include "landmark/pfld_io.h"
#include "nn/graph.h"

typedef struct au_pfld au_pfld;

auface_status au_pfld_create(au_pfld **out, const au_nn_model *model, au_err *err);

/* Places 68 landmarks (planar x0..x67, y0..y67, image pixels) in the face `box` of an 8-bit
 * BGR image. */
auface_status au_pfld_fit(au_pfld *pf, const uint8_t *bgr, int w, int h, size_t stride,
                          const au_face_box *box, float *landmarks2n, au_err *err);

void au_pfld_destroy(au_pfld *pf);

#endif
