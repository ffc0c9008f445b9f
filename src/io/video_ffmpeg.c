/* Video backend of au_source: FFmpeg demuxing and decoding with the send/receive API
 * (FFmpeg doc/examples/demux_decode.c), converted to BGR24 as OpenCV 4.6's FFmpeg backend
 * does (modules/videoio/src/cap_ffmpeg_impl.hpp, CvCapture_FFMPEG). See io/source.h for
 * the behaviour; this file is private to the source module.
 *
 * Threads: an H.264 decoder runs on FFmpeg's own frame (or slice) threads and the conversion
 * to BGR on the helpers of io/video_convert.h, so that the thread calling au_video_next
 * mostly hands packets and frames around; both give the same pictures as one thread
 * (FFmpeg's threaded decoders are bit-exact on valid streams, and each frame is converted
 * whole by the same swscale call). On damaged streams they are not: H.264 frame threads
 * conceal errors differently, even from run to run. So a threaded decoder runs with
 * AV_EF_EXPLODE (a damaged frame is an error, reported before any frame that refers to
 * it comes out), and at the first sign of damage — a bad packet, a decoder error, a
 * flagged frame, a read error — the video is reopened and decoded again on one thread,
 * skipping the frames already delivered: those came before the damage, so they are the
 * same bytes, and from there on everything is as on one thread (see fall_back). See
 * docs/SCALING.md for the measurements behind the thread counts. */
#include "io/source_backends.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "common/cpu_count.h"
#include "io/video_convert.h"

/* Failures tolerated in a row while looking for one frame: unreadable packets
 * (AVERROR_INVALIDDATA from the demuxer; beyond this the input is taken as ended) and
 * frames the decoder rejects (beyond this, a fatal error). The bound OpenCV puts on failed
 * decode attempts per frame (OPENCV_FFMPEG_DECODE_ATTEMPTS default 64,
 * CvCapture_FFMPEG::grabFrame). */
#define AU_VIDEO_MAX_BAD_READS 64
/* Retries of av_read_frame returning EAGAIN before giving up (files never do this; only
 * non-blocking inputs would). */
#define AU_VIDEO_MAX_EAGAIN 1000
/* Frame-rate disagreement (r_frame_rate vs avg_frame_rate) above which a stream is taken as
 * variable frame rate. */
#define AU_VIDEO_VFR_TOLERANCE 0.01
/* ... and by more than this many frame intervals over the stream (see stream_is_vfr). */
#define AU_VIDEO_VFR_MIN_FRAMES 1.5
/* Most decoder threads: OpenCV's cap (min(cpus, 16)), also where FFmpeg's H.264 decoder
 * starts warning; more only add frames of latency and memory. */
#define AU_VIDEO_MAX_THREADS 16
/* Decoder threads per conversion helper: a 1080p frame takes about 5 ms to decode and 1 ms
 * to convert, so one helper keeps up with about four decoder threads. */
#define AU_VIDEO_THREADS_PER_CONVERTER 4
/* OpenFace's fps when the video's is unknown or <= 0 (SequenceCapture::OpenVideoFile). */
#define AU_VIDEO_DEFAULT_FPS 30.0
/* CvCapture_FFMPEG::eps_zero: durations below this count as unknown (get_duration_sec). */
#define AU_VIDEO_EPS_ZERO 0.000025

enum { VIDEO_READING, VIDEO_DRAINING, VIDEO_FINISHED, VIDEO_FAILED };

struct au_video {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVStream *stream;
    int stream_index;
    AVPacket *packet;
    AVFrame *decoded;
    au_bgr_queue *convert;    /* decoded frames on their way to BGR, in order */
    int threads;              /* decoder threads asked of FFmpeg */
    int orientation;          /* EXIF code: 1, 3, 6 or 8 */
    double fps;
    long frame_count;
    long corrupt;
    long produced;            /* frames decoded and handed to the converter */
    int vfr;
    int have_first_pts;
    int64_t first_pts;
    int state;
    /* Why decoding stopped (state VIDEO_FAILED), told once the frames decoded before the
     * failure have been delivered. */
    au_err failure;
    int failure_told;
};

int au_video_threads(int requested)
{
    int n = requested > 0 ? requested : au_usable_cpus(AU_VIDEO_MAX_THREADS);
    return n < 1 ? 1 : n > AU_VIDEO_MAX_THREADS ? AU_VIDEO_MAX_THREADS : n;
}

/* Conversion helpers for `threads` decoder threads: none for one (everything stays on the
 * calling thread, as OpenCV does it). */
static int converter_helpers(int threads)
{
    return threads <= 1 ? 0
                        : (threads + AU_VIDEO_THREADS_PER_CONVERTER - 1) /
                              AU_VIDEO_THREADS_PER_CONVERTER;
}

/* CvCapture_FFMPEG::r2d: 0 when either part is 0. */
static double rational_to_double(AVRational r)
{
    return (r.num == 0 || r.den == 0) ? 0.0 : (double)r.num / (double)r.den;
}

static int rational_is_positive(AVRational r)
{
    return r.num > 0 && r.den > 0;
}

/* The first video stream, skipping attached pictures (cover art), as OpenCV takes the first
 * stream whose type is video (CvCapture_FFMPEG::open). */
static int first_video_stream(const AVFormatContext *fmt)
{
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            return (int)i;
    }
    return -1;
}

/* CvCapture_FFMPEG::get_fps (av_guess_frame_rate), with SequenceCapture's fallback. */
static double video_fps(AVFormatContext *fmt, AVStream *st)
{
    double fps = rational_to_double(av_guess_frame_rate(fmt, st, NULL));
    return fps > 0.0 ? fps : AU_VIDEO_DEFAULT_FPS;
}

/* CvCapture_FFMPEG::get_total_frames: nb_frames, else round(duration * fps); -1 unknown. */
static long video_frame_count(AVFormatContext *fmt, AVStream *st)
{
    if (st->nb_frames > 0)
        return (long)st->nb_frames;
    double sec = (double)fmt->duration / (double)AV_TIME_BASE;
    if (sec < AU_VIDEO_EPS_ZERO)
        sec = (double)st->duration * rational_to_double(st->time_base);
    double fps = rational_to_double(av_guess_frame_rate(fmt, st, NULL));
    double n = floor(sec * fps + 0.5);
    return (n >= 1.0 && n < 1e15) ? (long)n : -1;
}

/* Variable frame rate: r_frame_rate (the rate FFmpeg guesses from the timestamps) and
 * avg_frame_rate (frames / duration) disagree by more than 1 %. When the container gives the
 * frame count, the disagreement must also amount to more than 1.5 frame intervals over the
 * whole stream, so that a constant-rate file whose last frame has no duration (e.g. an MP4
 * trimmed by its edit list: avg = n / (n - 1) · r) is not taken for VFR. */
static int stream_is_vfr(const AVStream *st)
{
    if (!rational_is_positive(st->r_frame_rate) || !rational_is_positive(st->avg_frame_rate))
        return 0;
    double r = av_q2d(st->r_frame_rate), avg = av_q2d(st->avg_frame_rate);
    if (fabs(r / avg - 1.0) <= AU_VIDEO_VFR_TOLERANCE)
        return 0;
    if (st->nb_frames > 0) {
        double n = (double)st->nb_frames;
        if (fabs(n / avg - n / r) <= AU_VIDEO_VFR_MIN_FRAMES / r)
            return 0;
    }
    return 1;
}

/* CvCapture_FFMPEG::get_rotation_angle: the clockwise angle that makes the picture
 * upright is -round(av_display_rotation_get(matrix)) in [0, 360); CvCapture_FFMPEG::rotateFrame
 * handles 90, 180 and 270 only. Returned as an EXIF orientation code. */
static int stream_orientation(const AVStream *st)
{
    size_t size = 0;
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!matrix || size < 9 * sizeof(int32_t))
        return 1;
    double theta = av_display_rotation_get((const int32_t *)(const void *)matrix);
    if (!isfinite(theta))
        return 1;
    long angle = -lrint(theta);  /* cvRound rounds half to even, as lrint does */
    if (angle < 0)
        angle += 360;
    switch (angle) {
    case 90: return 6;
    case 180: return 3;
    case 270: return 8;
    default: return 1;
    }
}

static auface_status open_decoder(au_video *v, au_err *err)
{
    const AVCodecParameters *par = v->stream->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return au_fail(err, AUFACE_ERR_UNSUPPORTED, "%s: no decoder for video codec '%s'",
                       v->path, avcodec_get_name(par->codec_id));
    v->dec = avcodec_alloc_context3(codec);
    if (!v->dec)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory for the decoder", v->path);
    int ret = avcodec_parameters_to_context(v->dec, par);
    if (ret < 0)
        return au_fail(err, AUFACE_ERR_VIDEO, "%s: bad codec parameters: %s", v->path,
                       av_err2str(ret));
    /* Frame threads (T frames decoded at once, T − 1 frames more latency), with slice
     * threads as FFmpeg's second choice, as OpenCV uses them. Only for H.264, the codec
     * of nearly every high-resolution file: damage must surface as an error there (see
     * the top of the file), and with AV_EF_EXPLODE FFmpeg 5.1's frame-threaded MPEG-4
     * part 2 decoder aborts on an assertion (decode.c: frame->buf[0]) on a damaged AVI.
     * Other codecs stay on one thread until their damaged streams are checked too
     * (tests/unit/test_video_threads.c). */
    if (codec->id != AV_CODEC_ID_H264)
        v->threads = 1;
    v->dec->thread_count = v->threads;
    v->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    if (v->threads > 1)
        v->dec->err_recognition |= AV_EF_EXPLODE;
    v->dec->pkt_timebase = v->stream->time_base;
    ret = avcodec_open2(v->dec, codec, NULL);
    if (ret < 0)
        return au_fail(err, AUFACE_ERR_VIDEO, "%s: cannot open the %s decoder: %s", v->path,
                       codec->name, av_err2str(ret));
    return AUFACE_OK;
}

static auface_status video_open_streams(au_video *v, au_err *err)
{
    int ret = avformat_open_input(&v->fmt, v->path, NULL, NULL);
    if (ret < 0)
        return au_fail(err, AUFACE_ERR_VIDEO,
                       "%s: not a video or image file that FFmpeg can read (%s)", v->path,
                       av_err2str(ret));
    ret = avformat_find_stream_info(v->fmt, NULL);
    if (ret < 0)
        return au_fail(err, AUFACE_ERR_VIDEO, "%s: cannot read the stream parameters (%s)",
                       v->path, av_err2str(ret));
    v->stream_index = first_video_stream(v->fmt);
    if (v->stream_index < 0)
        return au_fail(err, AUFACE_ERR_VIDEO, "%s: the file has no video stream", v->path);
    v->stream = v->fmt->streams[v->stream_index];
    if (v->stream->codecpar->width <= 0 || v->stream->codecpar->height <= 0)
        return au_fail(err, AUFACE_ERR_VIDEO, "%s: the video stream has no picture size",
                       v->path);
    return open_decoder(v, err);
}

auface_status au_video_open(au_video **out, const char *path, int threads, au_err *err)
{
    if (!out || !path)
        return au_fail(err, AUFACE_ERR_ARG, "au_video_open: NULL argument");
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return au_fail(err, AUFACE_ERR_IO, "%s: not a regular file", path);

    au_video *v = calloc(1, sizeof *v);
    if (!v)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    v->path = malloc(strlen(path) + 1);
    v->packet = av_packet_alloc();
    v->decoded = av_frame_alloc();
    if (!v->path || !v->packet || !v->decoded) {
        au_video_close(v);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    }
    strcpy(v->path, path);
    v->threads = au_video_threads(threads);

    auface_status s = video_open_streams(v, err);
    if (s != AUFACE_OK) {
        au_video_close(v);
        return s;
    }
    v->fps = video_fps(v->fmt, v->stream);
    v->frame_count = video_frame_count(v->fmt, v->stream);
    v->vfr = stream_is_vfr(v->stream);
    v->orientation = stream_orientation(v->stream);
    s = au_bgr_queue_create(&v->convert, converter_helpers(v->threads), v->orientation, err);
    if (s != AUFACE_OK) {
        au_video_close(v);
        return s;
    }
    v->state = VIDEO_READING;
    *out = v;
    return AUFACE_OK;
}

/* OpenCV converts over the codec's coded size (CvCapture_FFMPEG::retrieveFrame:
 * "Some sws_scale optimizations have some assumptions about alignment"), which can select
 * other swscale code paths than the visible size. Use it when the decoded planes are wide
 * enough to be read that far, else the visible width. */
static int conversion_width(const AVCodecContext *dec, const AVFrame *f)
{
    int w = dec->coded_width;
    if (w <= f->width)
        return f->width;
    int needed[4];
    if (av_image_fill_linesizes(needed, (enum AVPixelFormat)f->format, w) < 0)
        return f->width;
    for (int p = 0; p < 4; p++)
        if (f->data[p] && needed[p] > f->linesize[p])
            return f->width;
    return w;
}

/* Records a failure at frame `frame` (0-based: the frames before it were read). -1. */
static int video_fail_at(au_video *v, au_err *err, long frame, auface_status status,
                         const char *what, int averr)
{
    v->state = VIDEO_FAILED;
    if (averr)
        au_fail(err, status, "%s: frame %ld: %s: %s", v->path, frame, what, av_err2str(averr));
    else
        au_fail(err, status, "%s: frame %ld: %s", v->path, frame, what);
    return -1;
}

static int video_fail(au_video *v, au_err *err, auface_status status, const char *what,
                      int averr)
{
    return video_fail_at(v, err, v->produced, status, what, averr);
}

/* Hands v->decoded to the converter with its timestamp. */
static void submit_frame(au_video *v)
{
    const AVFrame *f = v->decoded;
    double timestamp;
    if (v->vfr && f->best_effort_timestamp != AV_NOPTS_VALUE) {
        if (!v->have_first_pts) {
            v->first_pts = f->best_effort_timestamp;
            v->have_first_pts = 1;
        }
        timestamp = (double)(f->best_effort_timestamp - v->first_pts) *
                    av_q2d(v->stream->time_base);
    } else {
        /* SequenceCapture::CaptureThread: frame_num_int * (1.0 / fps). */
        timestamp = (double)v->produced * (1.0 / v->fps);
    }
    int bw = conversion_width(v->dec, f);
    int bh = v->dec->coded_height > f->height ? v->dec->coded_height : f->height;
    au_bgr_queue_submit(v->convert, v->decoded, bw, bh, v->produced, timestamp);
    v->produced++;
}

static int decode_next(au_video *v, au_err *err);

/* Damage seen with a threaded decoder: reopens the video with one thread and decodes again
 * the v->produced frames already handed on, discarding them, so that decoding goes on
 * exactly as a one-thread decoder would (corrupt frames counted afresh). 1 to go on
 * decoding, 0 if the video ended while skipping, -1 on a fatal error. */
static int fall_back(au_video *v, au_err *err)
{
    av_packet_unref(v->packet);
    av_frame_unref(v->decoded);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    v->threads = 1;
    v->corrupt = 0;
    v->state = VIDEO_READING;
    if (video_open_streams(v, err) != AUFACE_OK) {
        v->state = VIDEO_FAILED;
        return -1;
    }
    long skip = v->produced;
    for (long i = 0; i < skip; i++) {
        int r = decode_next(v, err);
        if (r <= 0)
            return r;
        av_frame_unref(v->decoded);
    }
    return 1;
}

/* Feeds the decoder one packet of our stream, or the end-of-stream flush.
 * 1 fed (or skipped a bad packet, or fell back to one thread), 0 the video ended while
 * falling back, -1 fatal. */
static int feed_decoder(au_video *v, au_err *err)
{
    int bad_reads = 0, eagain = 0;
    for (;;) {
        int ret = av_read_frame(v->fmt, v->packet);
        if (v->threads > 1 && ret < 0 && ret != AVERROR_EOF)
            return fall_back(v, err);
        if (ret == AVERROR(EAGAIN)) {
            if (++eagain > AU_VIDEO_MAX_EAGAIN)
                return video_fail(v, err, AUFACE_ERR_VIDEO, "the input never delivers data",
                                  ret);
            continue;
        }
        if (ret == AVERROR_INVALIDDATA && ++bad_reads <= AU_VIDEO_MAX_BAD_READS) {
            v->corrupt++;
            continue;
        }
        if (ret == AVERROR_EOF || ret == AVERROR_INVALIDDATA) {
            /* End of input (or an unreadable tail, as the ffmpeg CLI treats it): drain the
             * decoder's delayed frames (avcodec_send_packet(NULL)). */
            avcodec_send_packet(v->dec, NULL);
            v->state = VIDEO_DRAINING;
            return 1;
        }
        if (ret < 0)
            return video_fail(v, err, AUFACE_ERR_IO, "read error", ret);
        if (v->packet->stream_index != v->stream_index) {
            av_packet_unref(v->packet);
            continue;
        }
        if (v->threads > 1 && (v->packet->flags & AV_PKT_FLAG_CORRUPT))
            return fall_back(v, err);
        ret = avcodec_send_packet(v->dec, v->packet);
        av_packet_unref(v->packet);
        if (ret < 0 && ret != AVERROR(EAGAIN)) {
            if (ret == AVERROR(ENOMEM))
                return video_fail(v, err, AUFACE_ERR_NOMEM, "decoder", ret);
            if (v->threads > 1)
                return fall_back(v, err);
            v->corrupt++;  /* the decoder rejected this packet: its frame is skipped */
        }
        return 1;
    }
}

/* Decodes the next frame into v->decoded: 1, or 0 at the end (state VIDEO_FINISHED), or
 * -1 on a fatal error (state VIDEO_FAILED, err filled). */
static int decode_next(au_video *v, au_err *err)
{
    int decode_errors = 0;
    for (;;) {
        int ret = avcodec_receive_frame(v->dec, v->decoded);
        if (v->threads > 1 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF &&
            ret != AVERROR(ENOMEM) &&
            (ret < 0 || v->decoded->decode_error_flags ||
             (v->decoded->flags & AV_FRAME_FLAG_CORRUPT) || v->decoded->width <= 0 ||
             v->decoded->height <= 0 || !v->decoded->data[0])) {
            int r = fall_back(v, err);
            if (r <= 0)
                return r;
            continue;
        }
        if (ret == 0) {
            if (v->decoded->width <= 0 || v->decoded->height <= 0 || !v->decoded->data[0]) {
                av_frame_unref(v->decoded);
                v->corrupt++;
                if (++decode_errors > AU_VIDEO_MAX_BAD_READS)
                    return video_fail(v, err, AUFACE_ERR_VIDEO, "the decoder gives empty frames",
                                      0);
                continue;
            }
            return 1;
        }
        if (ret == AVERROR_EOF) {
            v->state = VIDEO_FINISHED;
            return 0;
        }
        if (ret == AVERROR(ENOMEM))
            return video_fail(v, err, AUFACE_ERR_NOMEM, "decoder", ret);
        if (ret != AVERROR(EAGAIN)) {
            /* A frame the decoder could not produce (its packet is consumed); go on with the
             * next, unless the decoder is stuck returning errors. */
            v->corrupt++;
            if (++decode_errors > AU_VIDEO_MAX_BAD_READS)
                return video_fail(v, err, AUFACE_ERR_VIDEO, "the decoder keeps failing", ret);
            continue;
        }
        if (v->state == VIDEO_DRAINING) {
            /* A decoder that asks for input after the flush has nothing more to give. */
            v->state = VIDEO_FINISHED;
            return 0;
        }
        int fed = feed_decoder(v, err);
        if (fed <= 0)
            return fed;
    }
}

int au_video_next(au_video *v, au_frame *frame, au_err *err)
{
    au_bgr_queue_release(v->convert);
    /* Decode ahead while the converter has room, so that its helpers work on the next
     * frames while the caller uses this one. */
    while ((v->state == VIDEO_READING || v->state == VIDEO_DRAINING) &&
           au_bgr_queue_room(v->convert) > 0) {
        if (decode_next(v, &v->failure) <= 0)
            break;
        submit_frame(v);
    }
    if (au_bgr_queue_pending(v->convert) == 0) {
        if (v->state == VIDEO_FINISHED)
            return 0;
        if (!v->failure_told) {
            v->failure_told = 1;
            if (err)
                *err = v->failure;
            return -1;
        }
        au_fail(err, AUFACE_ERR_VIDEO, "%s: reading stopped after an earlier error", v->path);
        return -1;
    }
    au_bgr_failure why;
    if (au_bgr_queue_take(v->convert, frame, &why) < 0) {
        /* The frames after it are not delivered: reading ends here, as on one thread. */
        au_bgr_queue_drop(v->convert);
        v->failure_told = 1;
        return video_fail_at(v, err, why.index, why.status, why.what, why.averr);
    }
    return 1;
}

int au_video_swap_pixels(au_video *v, uint8_t **pixels, size_t *capacity)
{
    return au_bgr_queue_swap_pixels(v->convert, pixels, capacity);
}

double au_video_fps(const au_video *v)
{
    return v->fps;
}

long au_video_frame_count(const au_video *v)
{
    return v->frame_count;
}

long au_video_corrupt_frames(const au_video *v)
{
    return v->corrupt;
}

int au_video_is_vfr(const au_video *v)
{
    return v->vfr;
}

void au_video_close(au_video *v)
{
    if (!v)
        return;
    au_bgr_queue_free(v->convert); /* first: its helpers hold decoded frames */
    av_frame_free(&v->decoded);
    av_packet_free(&v->packet);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    free(v->path);
    free(v);
}
