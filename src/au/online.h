/* OpenFace's online AU correction, used when frames arrive one by one and the end-of-video
 * post-processing cannot run (FaceAnalyser::CorrectOnlineAUs with dyn_shift on, scale off,
 * clipping on; PIPELINE_SPEC §8.4). Per AU, a histogram of the predictions over [-3, 5]
 * (200 bins); once 10 frames were seen, the value at the 10th percentile is taken as the
 * person's neutral level and subtracted; results are clipped to [0, 5]. */
#ifndef AU_AU_ONLINE_H
#define AU_AU_ONLINE_H

#include <stdint.h>

#define AU_ONLINE_MAX_AUS 64

typedef struct au_online_correction {
    int num_aus;
    int32_t hist[AU_ONLINE_MAX_AUS][200];
    long count[AU_ONLINE_MAX_AUS];
} au_online_correction;

void au_online_reset(au_online_correction *c, int num_aus);

/* Corrects `values` (num_aus intensities) in place; the histogram is updated only when
 * `update` (OpenFace: the frame succeeded). */
void au_online_correct(au_online_correction *c, double *values, int update);

#endif
