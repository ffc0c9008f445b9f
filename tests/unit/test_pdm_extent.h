/* The extent of a PDM's mean shape in x and y: what OpenFace's PDM::CalcParams(out_global,
 * Rect box, p = 0, rotation 0) fits to a face box (PDM.cpp: the rotated mean shape's width
 * and height give the scale, its centre the translation; with rotation 0 the rotated mean
 * is the mean itself). The tests work the first landmark hypothesis out by hand from it.
 *
 * Header-only (see test_files.h for why). */
#ifndef AU_TEST_PDM_EXTENT_H
#define AU_TEST_PDM_EXTENT_H

#include <math.h>

#include "face/pdm.h"

typedef struct test_extent {
    double min_x, max_x, min_y, max_y;
} test_extent;

/* The bounds of the mean shape's X (rows 0..n-1) and Y (rows n..2n-1). */
static inline test_extent test_pdm_mean_extent(const au_pdm *pdm)
{
    test_extent e = {1e30, -1e30, 1e30, -1e30};
    for (int i = 0; i < pdm->n; i++) {
        e.min_x = fmin(e.min_x, pdm->mean[i]);
        e.max_x = fmax(e.max_x, pdm->mean[i]);
        e.min_y = fmin(e.min_y, pdm->mean[pdm->n + i]);
        e.max_y = fmax(e.max_y, pdm->mean[pdm->n + i]);
    }
    return e;
}

#endif
