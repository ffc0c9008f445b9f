/* Rounding a double to float that the optimiser cannot drop. */
#ifndef AU_FACE_FROUND_H
#define AU_FACE_FROUND_H

/* (float)v, kept. Debian's GCC 12.2 at -O3 (basic-block SLP vectorisation) was seen to
 * drop a double→float→double round trip when it packs two lanes together: the pupil's
 * (float) mean went into the gaze direction's double division unrounded, and GetPose's
 * float translation stayed double. That moves OpenFace's float results by an ulp, so
 * the roundings OpenFace does go through a volatile float. */
static inline float au_fround(double v)
{
    volatile float f = (float)v;
    return f;
}

#endif
