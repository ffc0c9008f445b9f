/* Ordered BGR conversion of decoded video frames, optionally on helper threads. Private to
 * the FFmpeg backend of au_source (video_ffmpeg.c).
 *
 * Why: with the decoder itself spread over FFmpeg's frame threads, the YUV -> BGR24
 * conversion (swscale, about 1 ms a frame at 1920x1080 on a 2020s Xeon core) is what is left
 * on the one thread that reads the video, and it would cap a many-core run at about 1,000
 * frames/s. Here every frame is converted whole, by its own swscale context created with
 * the same parameters, with the same sws_scale call as on one thread, so the pictures are
 * byte-identical whoever converts them; only whole frames run in parallel, never slices.
 *
 * The queue holds up to au_bgr_queue_capacity() frames. The reader submits decoded frames in
 * order while there is room, then takes the oldest one back converted; if no helper has
 * started on it yet, the taking thread converts it itself (so a helper that is not scheduled
 * in time costs nothing, and with 0 helpers everything runs on the caller, as before).
 *
 * Usage, on one reading thread:
 *   au_bgr_queue_create(&q, helpers, orientation, &err);
 *   au_bgr_queue_release(q);          before decoding more: the last taken frame is done
 *   while (au_bgr_queue_room(q) > 0 && <a frame was decoded>)
 *       au_bgr_queue_submit(q, decoded, conv_w, conv_h, timestamp);   moves the reference
 *   if (au_bgr_queue_pending(q) > 0)  au_bgr_queue_take(q, &frame, &failure);
 *   au_bgr_queue_free(q);
 *
 * Memory: per slot one reference to a decoded frame, one BGR picture of the swscale size and,
 * for rotated streams, one re-oriented copy; slots allocate on first use. */
#ifndef AU_IO_VIDEO_CONVERT_H
#define AU_IO_VIDEO_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "common/error.h"
#include "io/source.h"

typedef struct au_bgr_queue au_bgr_queue;

/* Why a conversion failed, for the caller's message (it knows the path). */
typedef struct au_bgr_failure {
    auface_status status;   /* AUFACE_ERR_UNSUPPORTED or AUFACE_ERR_NOMEM */
    char what[96];
    int averr;              /* FFmpeg error code, 0 if none */
    long index;             /* 0-based frame the failure belongs to */
} au_bgr_failure;

/* A queue converting with `helpers` threads (0: on the calling thread only); `orientation` is
 * the EXIF code applied to every frame (1: none). When threads cannot be started the queue
 * converts on the caller. Errors: AUFACE_ERR_NOMEM. */
auface_status au_bgr_queue_create(au_bgr_queue **out, int helpers, int orientation,
                                  au_err *err);

/* Frames the queue can hold at once: 1 without helpers, helpers + 2 with. */
int au_bgr_queue_capacity(const au_bgr_queue *q);

/* Frames that may be submitted now (only the reading thread changes this). */
int au_bgr_queue_room(const au_bgr_queue *q);

/* Frames submitted and not yet taken. */
int au_bgr_queue_pending(au_bgr_queue *q);

/* Queues `decoded` (its reference is moved out, leaving it blank) as frame `index`, to be
 * converted over conv_w x conv_h (the coded size swscale works on, see video_ffmpeg.c); the
 * frame's visible size is decoded->width x height. Needs room. */
void au_bgr_queue_submit(au_bgr_queue *q, AVFrame *decoded, int conv_w, int conv_h,
                         long index, double timestamp);

/* The oldest pending frame, converted (waits for it, or converts it here): fills bgr,
 * width, height, stride and timestamp of `frame`, valid until the next release, take or
 * free. 1 on success, -1 when its conversion failed (`failure` says why). Needs a pending
 * frame. */
int au_bgr_queue_take(au_bgr_queue *q, au_frame *frame, au_bgr_failure *failure);

/* Hands the pixels of the frame of the last take over to the caller, in exchange for the
 * caller's buffer *pixels (*capacity bytes, malloc'd or NULL; the slot reuses it if it is
 * large and aligned enough, else frees it): then *pixels holds the frame's rows, packed
 * (stride 3·width), and *capacity its size, and 1 is returned. 0, changing nothing, when the
 * frame is not in a buffer of its own with packed rows (re-oriented, padded rows, or a
 * failed conversion): copy it then. Saves the copy of every frame the reader keeps (6 MB
 * at 1920x1080). */
int au_bgr_queue_swap_pixels(au_bgr_queue *q, uint8_t **pixels, size_t *capacity);

/* The frame of the last take is no longer used: its slot may take a new frame. */
void au_bgr_queue_release(au_bgr_queue *q);

/* Drops every pending frame (after a failure), keeping the slots' buffers. */
void au_bgr_queue_drop(au_bgr_queue *q);

/* Stops and joins the helpers and frees everything. NULL is a no-op. */
void au_bgr_queue_free(au_bgr_queue *q);

#endif
