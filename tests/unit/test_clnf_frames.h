/* Reference frames as the CLNF tracker sees them: grey by the module under test
 * (au_bgr_to_gray_opencv, whose formula test_clnf_fit checks separately). */
#ifndef AU_TEST_CLNF_FRAMES_H
#define AU_TEST_CLNF_FRAMES_H

#include <stdint.h>
#include <stdlib.h>

#include "landmark/clnf_gray.h"
#include "test_images.h"

static inline uint8_t *test_load_clnf_gray(const char *path, int *w, int *h)
{
    uint8_t *bgr = test_load_bgr(path, w, h);
    uint8_t *gray = bgr ? malloc((size_t)*w * (size_t)*h) : NULL;
    if (gray)
        au_bgr_to_gray_opencv(bgr, *w, *h, 3 * (size_t)*w, gray, (size_t)*w);
    free(bgr);
    return gray;
}

#endif
