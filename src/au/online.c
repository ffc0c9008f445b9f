#include "au/online.h"

#include <string.h>

/* FaceAnalyser::UpdatePredictionTrack, as called from CorrectOnlineAUs. */
#define ONLINE_RATIO 0.10
#define ONLINE_BINS 200
#define ONLINE_MIN -3.0
#define ONLINE_MAX 5.0
#define ONLINE_MIN_FRAMES 10

void au_online_reset(au_online_correction *c, int num_aus)
{
    memset(c, 0, sizeof *c);
    c->num_aus = num_aus > AU_ONLINE_MAX_AUS ? AU_ONLINE_MAX_AUS : num_aus;
}

static void add_to_histogram(au_online_correction *c, int au, double value)
{
    const double length = ONLINE_MAX - ONLINE_MIN;
    int bin = (int)((value - ONLINE_MIN) * ONLINE_BINS / length);
    if (bin < 0)
        bin = 0;
    if (bin > ONLINE_BINS - 1)
        bin = ONLINE_BINS - 1;
    c->hist[au][bin]++;
    c->count[au]++;
}

/* Lower edge of the first bin whose cumulative count exceeds ratio·count. */
static double neutral_level(const au_online_correction *c, int au)
{
    if (c->count[au] < ONLINE_MIN_FRAMES)
        return 0.0;
    const double length = ONLINE_MAX - ONLINE_MIN;
    long cutoff = (long)(ONLINE_RATIO * (double)c->count[au]), sum = 0;
    for (int j = 0; j < ONLINE_BINS; j++) {
        sum += c->hist[au][j];
        if (sum > cutoff)
            return ONLINE_MIN + j * (length / ONLINE_BINS);
    }
    return 0.0;
}

void au_online_correct(au_online_correction *c, double *values, int update)
{
    for (int i = 0; i < c->num_aus; i++) {
        if (update)
            add_to_histogram(c, i, values[i]);
        double v = values[i] - neutral_level(c, i);
        values[i] = v < 0.0 ? 0.0 : v > 5.0 ? 5.0 : v;
    }
}
