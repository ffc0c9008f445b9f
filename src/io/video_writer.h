/* Encoding BGR pictures into a video file with FFmpeg (libavformat + libavcodec, the
 * send/receive API of doc/examples/encode_video.c and mux.c), for the annotated video.
 *
 *     au_video_writer *w;
 *     if (au_video_writer_open(&w, "out.mp4", 640, 480, 30.0, &err) != AUFACE_OK) { ... }
 *     for each picture: au_video_writer_put(w, bgr, width, height, stride, &err);
 *     au_video_writer_finish(w, &err);   // or au_video_writer_abort(w): no file is left
 *
 * What is written:
 *   - The container is chosen from the file name as FFmpeg does (.mp4, .mkv, .avi, .mov...).
 *   - H.264 with libx264 (preset superfast, CRF 20, its own threads) when the FFmpeg
 *     build has it and the container takes it, else MPEG-4 part 2 (FFmpeg's own encoder,
 *     q 3); yuv420p, BT.601 limited range, tagged so that players convert it back as it was
 *     made.
 *   - Frame rate `fps` (as a rational within 1/65535), constant: frame n is shown at n / fps.
 *   - Size: width x height rounded down to even numbers (4:2:0 chroma needs them), so an odd
 *     column or row at the right or bottom is cut off. A picture of another size is scaled
 *     to the video's size (bicubic), e.g. a folder of images of different sizes.
 *   - Atomically: the muxer writes through an AVIOContext into io/atomic_file's temporary
 *     file beside `path`, renamed to `path` by au_video_writer_finish; a failure or abort
 *     removes it, and an existing file under `path` is untouched until the rename.
 * Errors name the file and say what failed (FFmpeg's reason included).
 * Memory: one YUV picture plus the encoder's (libx264 keeps about 40 frames of look-ahead).
 * Not thread-safe: one writer per thread. */
#ifndef AU_IO_VIDEO_WRITER_H
#define AU_IO_VIDEO_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct au_video_writer au_video_writer;

/* Creates the temporary file, the container and the encoder for a width x height video
 * at `fps` frames per second. Errors: AUFACE_ERR_ARG (NULL, a size below 2x2, fps <= 0 or
 * not finite, a file name whose container FFmpeg does not know), AUFACE_ERR_IO (the
 * folder is missing or not writable), AUFACE_ERR_UNSUPPORTED (no usable encoder for the
 * container), AUFACE_ERR_NOMEM, AUFACE_ERR_VIDEO (FFmpeg refused the parameters). On
 * failure *out is NULL and nothing is left on disk. */
auface_status au_video_writer_open(au_video_writer **out, const char *path, int width,
                                   int height, double fps, au_err *err);

/* Checks, before any work, that au_video_writer_open(path) could succeed: a container
 * FFmpeg knows from the name, an encoder for it, and a folder where the file can be
 * created (a temporary file is made and removed). Same errors as au_video_writer_open. */
auface_status au_video_writer_check(const char *path, au_err *err);

/* Encodes the next picture (B, G, R bytes, `stride` bytes per row). Errors:
 * AUFACE_ERR_ARG, AUFACE_ERR_VIDEO (encoder), AUFACE_ERR_IO (writing, e.g. disk full). */
auface_status au_video_writer_put(au_video_writer *w, const uint8_t *bgr, int width,
                                  int height, size_t stride, au_err *err);

/* Drains the encoder, writes the container's trailer and renames the file into place.
 * Frees `w` whatever the outcome; on failure nothing is left under the temporary name and
 * `path` is as it was. */
auface_status au_video_writer_finish(au_video_writer *w, au_err *err);

/* Discards the video: frees `w` and removes the temporary file. NULL is a no-op. */
void au_video_writer_abort(au_video_writer *w);

/* Name of the encoder in use ("libx264" or "mpeg4"). */
const char *au_video_writer_codec(const au_video_writer *w);

/* Pictures encoded so far. */
long au_video_writer_frames(const au_video_writer *w);

#endif
