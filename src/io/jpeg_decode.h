/* JPEG decoding as OpenCV 4.6's cv::imread(IMREAD_COLOR) does it on Debian 12
 * (imgcodecs/src/grfmt_jpeg.cpp, JpegDecoder::readHeader/readData, IMAGE_SPEC §2): the
 * system libjpeg-turbo with every decompression setting at its default (JDCT_ISLOW, fancy
 * upsampling, no quantisation, scale 1/1) except the output colour space: BGR for 1- and
 * 3-component files (libjpeg-turbo's JCS_EXT_BGR, grey replicated), CMYK for 4-component
 * files, converted to BGR as OpenCV's icvCvt_CMYK2BGR_8u_C4C3R does. Byte-identical to
 * cv2.imread on every JPEG of ../shared/media (tests/unit/test_jpeg_decode.c).
 *
 * The EXIF orientation is not applied here (the caller does it, as imread does after the
 * decoder). Corrupt-data warnings are silent and do not fail, as in OpenCV; fatal libjpeg
 * errors become AUFACE_ERR_FORMAT. Allocates the output; thread-safe (no shared state). */
#ifndef AU_IO_JPEG_DECODE_H
#define AU_IO_JPEG_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Largest image (width x height) the image reader decodes, JPEG or not: 64 Mpixel, above
 * any camera frame. A file of a few hundred bytes can declare 65500 x 65500 pixels and
 * make the decoder allocate gigabytes before it finds the data missing (found by
 * fuzzing); such files are rejected before anything is allocated. OpenCV's own bound
 * (CV_IO_MAX_IMAGE_PIXELS) is 2^30. */
#define AU_IMAGE_MAX_PIXELS ((size_t)1 << 26)

/* 1 when `bytes` start with OpenCV's JPEG signature FF D8 FF (imread picks its decoder by
 * the signature, not by the file name). */
int au_jpeg_is_jpeg(const uint8_t *bytes, size_t len);

/* Decodes the JPEG in bytes[0 .. len) into *bgr (packed rows, 3·w bytes each; grown with
 * realloc when *bgr_cap is too small, so a buffer can be reused across images) and sets
 * *w, *h. `name` is used in messages only. Errors: AUFACE_ERR_FORMAT (not decodable,
 * unsupported colour space), AUFACE_ERR_NOMEM. */
auface_status au_jpeg_decode_bgr(const uint8_t *bytes, size_t len, const char *name,
                                 uint8_t **bgr, size_t *bgr_cap, int *w, int *h, au_err *err);

#endif
