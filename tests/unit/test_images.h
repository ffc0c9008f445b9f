/* Reference frames (PNG, JPEG) for the unit tests, decoded with stb_image and put in the
 * byte order OpenCV works in.
 *
 * stb_image returns the channels as stored in the file, R, G, B; cv::imread returns B, G, R
 * (checked on the reference PNGs against an FFmpeg bgr24 decode of default.wmv: every pixel
 * equal once R and B are swapped). JPEGs may differ from OpenCV's libjpeg-turbo decode by a
 * few levels; the tests that use them say so.
 *
 * Header-only (see test_files.h for why). The buffers are malloc'd (stb_image allocates with
 * malloc by default): release them with free(). */
#ifndef AU_TEST_IMAGES_H
#define AU_TEST_IMAGES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <stb/stb_image.h>

/* 8-bit R, G, B pixels as stb_image decodes them, rows of 3·w bytes without padding; NULL
 * (with stb's reason) if the file cannot be decoded. */
static inline uint8_t *test_load_rgb(const char *path, int *w, int *h)
{
    int channels;
    uint8_t *p = stbi_load(path, w, h, &channels, 3);
    if (!p)
        fprintf(stderr, "cannot decode %s: %s\n", path, stbi_failure_reason());
    return p;
}

/* 8-bit B, G, R pixels, rows of 3·w bytes without padding; NULL if the file cannot be
 * decoded. */
static inline uint8_t *test_load_bgr(const char *path, int *w, int *h)
{
    uint8_t *p = test_load_rgb(path, w, h);
    if (!p)
        return NULL;
    for (size_t i = 0; i < (size_t)*w * (size_t)*h; i++) {
        uint8_t r = p[3 * i];
        p[3 * i] = p[3 * i + 2];
        p[3 * i + 2] = r;
    }
    return p;
}

/* 8-bit grey pixels as OpenFace makes them (ImageManipulationHelpers.h
 * ConvertToGrayscale_8bit: cv::cvtColor BGR2GRAY; OpenCV 4.6 imgproc color_rgb.simd.hpp
 * RGB2Gray<uchar>, 15-bit coefficients): Y = (3735·B + 19235·G + 9798·R + 16384) >> 15,
 * which reproduces the reference build exactly (CLNF_SPEC.md §1, §12.1). NULL if the file
 * cannot be decoded. */
static inline uint8_t *test_load_gray(const char *path, int *w, int *h)
{
    uint8_t *rgb = test_load_rgb(path, w, h);
    if (!rgb)
        return NULL;
    const size_t px = (size_t)*w * (size_t)*h;
    uint8_t *gray = malloc(px);
    for (size_t i = 0; gray && i < px; i++) {
        unsigned r = rgb[3 * i], g = rgb[3 * i + 1], b = rgb[3 * i + 2];
        gray[i] = (uint8_t)((3735u * b + 19235u * g + 9798u * r + 16384u) >> 15);
    }
    stbi_image_free(rgb);
    return gray;
}

#endif
