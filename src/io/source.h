/* Frame sources: a video file, a single image or a folder of images, read frame by frame
 * as BGR24 the way OpenFace 2.2's Utilities::SequenceCapture reads them (SequenceCapture.cpp:
 * OpenVideoFile, OpenImageSequence, CaptureThread) through OpenCV 4.6's VideoCapture (FFmpeg
 * backend, cap_ffmpeg_impl.hpp) and cv::imread.
 *
 * Usage:
 *
 *     au_source *src;
 *     if (au_source_open(&src, path, &err) != AUFACE_OK) { ... err.msg ... }
 *     au_frame f;
 *     int r;
 *     while ((r = au_source_next(src, &f, &err)) > 0) { ... f.bgr ... }
 *     if (r < 0) { ... fatal read error, err.msg ... }
 *     au_source_close(src);
 *
 * What each kind of input gives:
 *
 * Video (anything FFmpeg demuxes and decodes; the first video stream that is not an attached
 * picture, as OpenCV takes the first video stream):
 *   - Decoded (H.264) on FFmpeg's frame (else slice) threads, converted to BGR24 by swscale with
 *     SWS_BICUBIC over the codec's coded size, as CvCapture_FFMPEG::retrieveFrame does, a
 *     whole frame at a time on helper threads; the pixels are the same bytes for every
 *     thread count (tests/unit/test_video_threads.c) and byte-identical to
 *     `ffmpeg -i FILE -pix_fmt bgr24` (checked on default.wmv, which OpenCV decodes to the
 *     same bytes, and on H.264 clips of odd sizes). Threads decode at most a few frames
 *     ahead of the caller, so they use CPU only for frames that are asked for.
 *   - fps: av_guess_frame_rate (CvCapture_FFMPEG::get_fps), replaced by 30 when unknown or
 *     <= 0 (SequenceCapture::OpenVideoFile).
 *   - timestamp: index * (1.0 / fps), exactly as SequenceCapture::CaptureThread computes it.
 *     Variable frame rate: when the stream's r_frame_rate and avg_frame_rate are both known
 *     and differ by more than 1 % (and, if the container gives the frame count, by more
 *     than 1.5 frame intervals over the whole stream), the file is taken as VFR and the
 *     timestamp is the frame's best-effort pts times the stream time base, relative to the
 *     first frame. OpenFace would still write index/fps there: for those files no
 *     timestamp is both OpenFace-identical and right.
 *   - Rotation metadata (display matrix side data): frames are turned upright (90/180/270
 *     degrees clockwise by -round(av_display_rotation_get)), as OpenCV's FFmpeg backend does
 *     with CAP_PROP_ORIENTATION_AUTO, on by default since OpenCV 4.5.2 (so in 4.6;
 *     CvCapture_FFMPEG::get_rotation_angle, rotateFrame). Older OpenCV builds ignored it, so
 *     OpenFace's own output on rotated phone videos depends on the OpenCV it was built with.
 *   - A packet the decoder rejects is skipped and counted (au_source_corrupt_frames);
 *     reading goes on. OpenCV instead stops the video at such an error. Skipped frames do not
 *     use up an index.
 *
 * Single image (.jpg .jpeg .jpe .png .bmp .dib .pgm .ppm .pnm, any case) and folders of
 * images (files ending .jpg .jpeg .png .bmp, the list of OpenFace 2.2's OpenImageSequence,
 * here compared case-insensitively; sorted by file name byte-wise, as std::sort on
 * boost::filesystem paths does):
 *   - JPEG decoded with libjpeg-turbo as cv::imread does (byte-identical, io/jpeg_decode.h),
 *     PNG/BMP with stb_image (the same bytes as imread), the JPEG EXIF orientation applied
 *     as cv::imread does (ApplyExifOrientation).
 *   - fps is 0 and every timestamp is 0, as OpenFace sets them for image sequences
 *     (OpenImageSequence: "No fps as we have a sequence", CaptureThread: timestamp_curr = 0).
 *   - An image in a folder that cannot be decoded is skipped and counted as corrupt
 *     (OpenFace would end the sequence there). Images may differ in size.
 *
 * Any other path is handed to FFmpeg (so e.g. .tif or .webp stills open as one-frame videos).
 *
 * Memory: a folder source keeps its file list. A video source reuses its buffers for the
 * whole stream: with T decoder threads FFmpeg holds about T decoded frames (and each thread
 * its own codec state), and the conversion holds 1 BGR picture for T = 1, else
 * ceil(T / 4) + 2 (each with a decoded frame, and a rotated copy for rotated streams):
 * about 60 MB at 1920x1080 with T = 16. Not thread-safe: one source per thread. */
#ifndef AU_IO_SOURCE_H
#define AU_IO_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct au_source au_source;

typedef enum au_source_type {
    AU_SOURCE_VIDEO = 0,
    AU_SOURCE_IMAGE = 1,
    AU_SOURCE_IMAGE_FOLDER = 2
} au_source_type;

/* One frame. `bgr` points into the source's buffer and stays valid until the next
 * au_source_next or au_source_close on the same source. */
typedef struct au_frame {
    const uint8_t *bgr;  /* B,G,R bytes, row-major, `stride` bytes per row */
    int width, height;
    size_t stride;       /* >= 3 * width */
    long index;          /* 0-based count of frames delivered before this one */
    double timestamp;    /* seconds, as OpenFace writes it (see above) */
} au_frame;

/* Opens `path`: a folder of images, an image file (by extension), or else a video.
 * Errors: AUFACE_ERR_ARG (NULL arguments), AUFACE_ERR_IO (missing or unreadable path, a
 * folder with no images), AUFACE_ERR_FORMAT (an image file that cannot be decoded),
 * AUFACE_ERR_VIDEO (not something FFmpeg can read, no video stream, decoder failure),
 * AUFACE_ERR_UNSUPPORTED (no decoder for the codec), AUFACE_ERR_NOMEM. The message names
 * the path. On failure *out is NULL. Cost: opens the file and probes its streams (FFmpeg
 * reads up to a few MB), or decodes the image, or lists the folder. */
auface_status au_source_open(au_source **out, const char *path, au_err *err);

/* As au_source_open, with `decode_threads` FFmpeg threads for decoding an H.264 video (other
 * codecs, and images, stay on one) and one BGR-conversion helper thread per four of them:
 * 1 keeps all the work on the thread calling au_source_next; 0 (what au_source_open uses)
 * picks au_source_decode_threads(0). The frames are the same bytes for every value, for
 * damaged streams too (a threaded decoder that meets damage starts over on one thread).
 * Errors also AUFACE_ERR_ARG for a negative count. */
auface_status au_source_open_threads(au_source **out, const char *path, int decode_threads,
                                     au_err *err);

/* The decoder threads a video source uses for `requested` (see au_source_open_threads):
 * `requested` if > 0, else the CPUs this process may use (affinity mask and cgroup quota);
 * at most 16. */
int au_source_decode_threads(int requested);

/* Reads the next frame into `frame`. Returns 1 with a frame, 0 at the end of the input,
 * or a negative value on a fatal error (err says which file and why). After 0 or a
 * negative value, further calls return the same. */
int au_source_next(au_source *src, au_frame *frame, au_err *err);

/* Copies the pixels of `f` into *buf, rows packed (stride 3·width), growing *buf (malloc'd,
 * *cap bytes) when needed: for keeping a frame past the next au_source_next. Returns 1, or 0
 * when out of memory. */
int au_frame_copy_packed(const au_frame *f, uint8_t **buf, size_t *cap);

/* Keeps the frame of the last au_source_next without copying it where the source can: the
 * frame's own buffer, rows packed (stride 3·width), goes to *buf and *cap, and the source
 * takes the caller's old buffer (*buf, *cap as for au_frame_copy_packed, or NULL) in
 * exchange; 1 then. 0, changing nothing, where it cannot (image files, re-oriented or padded
 * frames): copy with au_frame_copy_packed. */
int au_source_swap_pixels(au_source *src, uint8_t **buf, size_t *cap);

/* Keeps `f`, the frame of the last au_source_next, in *buf (rows packed, *cap bytes):
 * au_source_swap_pixels where the source can hand it over, else au_frame_copy_packed.
 * Returns 1, or 0 when out of memory. */
int au_source_keep_frame(au_source *src, const au_frame *f, uint8_t **buf, size_t *cap);

/* Frames per second as OpenFace uses it: the video's rate, 30 when a video's rate is
 * unknown, 0 for images and image folders. */
double au_source_fps(const au_source *src);

/* Number of frames expected: for a video the container's count, else duration * fps
 * rounded (CvCapture_FFMPEG::get_total_frames), -1 when unknown; 1 for an image; the number
 * of image files for a folder. An estimate: count the frames au_source_next delivers. */
long au_source_frame_count(const au_source *src);

/* What was opened: a video, a single image or a folder of images. */
au_source_type au_source_kind(const au_source *src);

/* Frames (video packets or folder images) the decoder rejected and that were skipped. */
long au_source_corrupt_frames(const au_source *src);

/* 1 when timestamps come from the stream's pts (variable frame rate, see above), else 0. */
int au_source_is_vfr(const au_source *src);

/* Closes the source and frees everything it owns. NULL is a no-op. */
void au_source_close(au_source *src);

#endif
