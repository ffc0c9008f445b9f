#include "face/geom.h"

#include <string.h>

int au_geom_dim(const au_pdm *pdm)
{
    return 3 * pdm->n + pdm->m;
}

void au_geom_features(const au_pdm *pdm, const float *p_local, int success, double *out)
{
    const int rows = 3 * pdm->n, m = pdm->m;
    if (!success) {
        memset(out, 0, sizeof(double) * (size_t)(rows + m));
        return;
    }
    /* OpenFace converts both operands to double before the product (princ_comp is float). */
    for (int r = 0; r < rows; r++) {
        const float *row = pdm->pc + (size_t)r * m;
        double acc = 0.0;
        for (int j = 0; j < m; j++)
            acc += (double)row[j] * (double)p_local[j];
        out[r] = acc;
    }
    for (int j = 0; j < m; j++)
        out[rows + j] = (double)p_local[j];
}
