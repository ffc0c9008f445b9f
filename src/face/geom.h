/* OpenFace's geometric AU features (238 values): the PDM components times the local shape
 * parameters (204, the mean shape not added) followed by the parameters themselves (34).
 * Source: OpenFace FaceAnalyser.cpp AddNextFrame (PIPELINE_SPEC §6). */
#ifndef AU_FACE_GEOM_H
#define AU_FACE_GEOM_H

#include "face/pdm.h"

/* Length of the descriptor for `pdm`: 3n + m (238 for the 68-point, 34-mode model). */
int au_geom_dim(const au_pdm *pdm);

/* out = [double(pc) · double(p_local), p_local]; all zeros when `success` is 0, as OpenFace
 * feeds zero parameters for failed frames. */
void au_geom_features(const au_pdm *pdm, const float *p_local, int success, double *out);

#endif
