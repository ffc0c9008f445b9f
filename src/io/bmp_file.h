/* 24-bit BMP files as OpenCV's cv::imwrite writes them (imgcodecs/src/grfmt_bmp.cpp,
 * BmpEncoder::write), which is how OpenFace saves its aligned faces
 * (frame_det_00_NNNNNN.bmp): a 14-byte file header ("BM", file size, 0, pixel offset 54),
 * a 40-byte BITMAPINFOHEADER (width, positive height = bottom-up rows, 1 plane, 24 bits,
 * BI_RGB, image size 0, resolution 0, 0 colours), then the rows from the bottom up, each
 * B,G,R bytes padded with zeros to a multiple of 4 bytes. Reading uses stb_image. */
#ifndef AU_IO_BMP_FILE_H
#define AU_IO_BMP_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

/* Writes the BGR image (width x height, `stride` bytes a row, >= 3 * width) to `f` (`name`
 * is used in messages). Allocates nothing. Errors: AUFACE_ERR_ARG (sizes <= 0, stride too
 * small, file over 4 GB, NULL), AUFACE_ERR_IO (write failed). */
auface_status au_bmp_write_stream(FILE *f, const char *name, const uint8_t *bgr, int width,
                                  int height, size_t stride, au_err *err);

/* The same into the file `path`, atomically: a reader (or a resumed run) sees the whole
 * image or none (see io/atomic_file.h; not fsync'ed: one aligned face per frame would
 * otherwise wait for the disk each time). An existing file is replaced. */
auface_status au_bmp_write(const char *path, const uint8_t *bgr, int width, int height,
                           size_t stride, au_err *err);

/* Reads a BMP file into a new BGR buffer (rows packed: stride 3 * width), returned in
 * *bgr; the caller frees it with free(). Errors: AUFACE_ERR_IO (cannot open),
 * AUFACE_ERR_FORMAT (not a BMP, or undecodable), AUFACE_ERR_NOMEM. */
auface_status au_bmp_read(const char *path, uint8_t **bgr, int *width, int *height,
                          au_err *err);

#endif
