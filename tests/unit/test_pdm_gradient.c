/* Tests for au_pdm_gradient (J_w_t·v − reg·p as OpenCV's GEMMSingleMul sums it: four double
 * partial sums over k mod 4, the rest into the first): the vectorised version, which sums
 * all columns side by side, against one column at a time, for row counts that are and are
 * not multiples of 4, with and without the regularisation. */
#include <string.h>

#include "check.h"
#include "face/pdm_fit.h"
#include "test_random.h"

static uint32_t rng_state = 2024u;

static float rng_signed(void)
{
    return (float)((test_xorshift32(&rng_state) >> 8) * (1.0 / 16777216.0) - 0.5);
}

/* One column at a time, written out from OpenCV's loop. */
static void ref_gradient(const float *Jw, int rows, int cols, const float *v, const float *reg,
                         const float *p, float *g)
{
    for (int c = 0; c < cols; c++) {
        double s[4] = {0, 0, 0, 0};
        int k = 0;
        for (; k + 4 <= rows; k += 4)
            for (int l = 0; l < 4; l++)
                s[l] += (double)Jw[(k + l) * AU_PDM_JSTRIDE + c] * (double)v[k + l];
        for (; k < rows; k++)
            s[0] += (double)Jw[k * AU_PDM_JSTRIDE + c] * (double)v[k];
        g[c] = (float)(s[0] + s[1] + s[2] + s[3]);
    }
    if (reg)
        for (int c = 6; c < cols; c++)
            g[c] = (float)(-((double)reg[c] * p[c - 6]) + (double)g[c]);
}

static void test_gradient_matches_reference(void)
{
    static float J[2 * AU_PDM_MAX_POINTS * AU_PDM_JSTRIDE];
    float v[2 * AU_PDM_MAX_POINTS], reg[AU_PDM_MAX_PARAMS], p[AU_PDM_MAX_MODES];
    float g[AU_PDM_MAX_PARAMS], r[AU_PDM_MAX_PARAMS];
    const int sizes[][2] = {{136, 40}, {136, 6}, {135, 40}, {57, 16}, {3, 9}, {1, 46}, {2, 1}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        const int rows = sizes[t][0], cols = sizes[t][1];
        for (int i = 0; i < rows * AU_PDM_JSTRIDE; i++)
            J[i] = 100.0f * rng_signed();
        for (int k = 0; k < rows; k++)
            v[k] = rng_signed();
        for (int c = 0; c < cols; c++)
            reg[c] = c < 6 ? 0.0f : rng_signed() + 0.5f;
        for (int j = 0; j < AU_PDM_MAX_MODES; j++)
            p[j] = 10.0f * rng_signed();
        for (int with_reg = 0; with_reg < 2; with_reg++) {
            au_pdm_gradient(J, rows, cols, v, with_reg ? reg : NULL, p, g);
            ref_gradient(J, rows, cols, v, with_reg ? reg : NULL, p, r);
            CHECK(memcmp(g, r, (size_t)cols * sizeof(float)) == 0);
        }
    }
}

int main(void)
{
    test_gradient_matches_reference();
    return check_report("test_pdm_gradient");
}
