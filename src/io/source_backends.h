/* Private to the source module (source.c, video_ffmpeg.c, image_files.c): the two backends
 * that au_source dispatches to, and the pixel re-orientation both of them use.
 * Nothing outside src/io/source*.c, video_ffmpeg.c and image_files.c includes this. */
#ifndef AU_IO_SOURCE_BACKENDS_H
#define AU_IO_SOURCE_BACKENDS_H

#include "io/source.h"

/* ---- video files through FFmpeg (video_ffmpeg.c) ---- */
typedef struct au_video au_video;

/* Opens the first video stream of `path`, to be decoded on au_video_threads(threads)
 * threads. Errors as au_source_open. */
auface_status au_video_open(au_video **out, const char *path, int threads, au_err *err);
/* Decoder threads for a request: `requested` if > 0, else the CPUs this process may use;
 * at most 16. */
int au_video_threads(int requested);
/* Fills bgr, width, height, stride, timestamp (not index). 1 / 0 at the end / < 0 fatal. */
int au_video_next(au_video *v, au_frame *frame, au_err *err);
/* au_source_swap_pixels for a video. */
int au_video_swap_pixels(au_video *v, uint8_t **pixels, size_t *capacity);
double au_video_fps(const au_video *v);
long au_video_frame_count(const au_video *v);
long au_video_corrupt_frames(const au_video *v);
int au_video_is_vfr(const au_video *v);
void au_video_close(au_video *v);

/* ---- image files and folders through stb_image (image_files.c) ---- */
typedef struct au_images au_images;

/* 1 if `name` ends with an extension that au_source_open reads as a single image. */
int au_images_is_image_name(const char *name);
/* One image, decoded now so that a bad file fails at open. */
auface_status au_images_open_file(au_images **out, const char *path, au_err *err);
/* The sorted list of .jpg/.jpeg/.png/.bmp files of a folder; decoded one by one later. */
auface_status au_images_open_folder(au_images **out, const char *path, au_err *err);
/* Fills bgr, width, height, stride, timestamp (0). 1 / 0 at the end / < 0 fatal. */
int au_images_next(au_images *im, au_frame *frame, au_err *err);
long au_images_count(const au_images *im);
long au_images_corrupt_frames(const au_images *im);
void au_images_close(au_images *im);

/* ---- re-orientation (source.c) ----
 * Orientation codes are the EXIF ones: 1 upright, 2 mirrored left-right, 3 rotated 180,
 * 4 mirrored top-bottom, 5 transposed, 6 needs 90 degrees clockwise, 7 transverse, 8 needs
 * 90 degrees counter-clockwise. The transforms are those of OpenCV's ApplyExifOrientation
 * (imgcodecs/src/loadsave.cpp) and, for 3/6/8, of cv::rotate as used by
 * CvCapture_FFMPEG::rotateFrame. */

/* Output size of orienting a w x h image with `orientation` (5..8 swap the sides). */
void au_orient_size(int orientation, int w, int h, int *out_w, int *out_h);

/* Writes the re-oriented copy of the BGR image `src` (w x h, `src_stride` bytes a row)
 * into `dst` (the size au_orient_size gives, `dst_stride` bytes a row). `src` and `dst`
 * must not overlap. Orientation values outside 1..8 copy the image unchanged. */
void au_orient_bgr(const uint8_t *src, int w, int h, size_t src_stride, int orientation,
                   uint8_t *dst, size_t dst_stride);

#endif
