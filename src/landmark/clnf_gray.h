/* The 8-bit grey image OpenFace's landmark detector works on, exactly as OpenCV 4.6 makes it
 * from a BGR frame (Utilities::ConvertToGrayscale_8bit → cv::cvtColor(BGR2GRAY); OpenFace 2.2
 * lib/local/Utilities/include/ImageManipulationHelpers.h). CLNF_SPEC.md §1, §12.1. */
#ifndef AU_LANDMARK_CLNF_GRAY_H
#define AU_LANDMARK_CLNF_GRAY_H

#include <stddef.h>
#include <stdint.h>

/* gray = (3735·B + 19235·G + 9798·R + 16384) >> 15 per pixel: OpenCV's 15-bit fixed-point
 * BGR2GRAY (the coefficients 0.114, 0.587, 0.299 scaled by 2^15 and rounded), which matched
 * the reference build on every pixel of frames 1–3 of default.wmv (the 14-bit textbook
 * constants differ on 14 pixels of frame 1).
 *   bgr:  w x h pixels, 3 bytes each in B, G, R order, row stride `stride` bytes;
 *   gray: w x h bytes, row stride gray_stride bytes; every pixel is written.
 * Nothing is done for a non-positive size. Thread-safe; allocates nothing. */
void au_bgr_to_gray_opencv(const uint8_t *bgr, int w, int h, size_t stride, uint8_t *gray,
                           size_t gray_stride);

#endif
