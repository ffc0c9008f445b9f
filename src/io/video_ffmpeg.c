/* Video backend of au_source: FFmpeg demuxing and decoding with the send/receive API
 * (FFmpeg doc/examples/demux_decode.c), converted to BGR24 as OpenCV 4.6's FFmpeg backend
 * does (modules/videoio/src/cap_ffmpeg_impl.hpp, CvCapture_FFMPEG). See io/source.h for
 * the behaviour; this file is private to the source module. */
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
#include <libswscale/swscale.h>

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
/* Row alignment of the BGR buffer: OpenCV allocates it with av_frame_get_buffer(&rgb_picture,
 * 32) (CvCapture_FFMPEG::retrieveFrame); swscale's SIMD paths depend on the stride, so keep
 * the same layout. */
#define AU_VIDEO_BGR_ALIGN 32
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
    AVFrame *bgr;             /* converted picture, coded size, reused */
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt;
    uint8_t *rotated;         /* re-oriented copy when the stream carries a rotation */
    size_t rotated_size;
    int orientation;          /* EXIF code: 1, 3, 6 or 8 */
    double fps;
    long frame_count;
    long corrupt;
    long delivered;
    int vfr;
    int have_first_pts;
    int64_t first_pts;
    int state;
};

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
    /* Single-threaded: deterministic and one frame of latency; OpenCV uses
     * min(cpus, 16) threads, which FFmpeg guarantees gives the same pictures. */
    v->dec->thread_count = 1;
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

auface_status au_video_open(au_video **out, const char *path, au_err *err)
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
    v->bgr = av_frame_alloc();
    if (!v->path || !v->packet || !v->decoded || !v->bgr) {
        au_video_close(v);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    }
    strcpy(v->path, path);
    v->sws_fmt = AV_PIX_FMT_NONE;

    auface_status s = video_open_streams(v, err);
    if (s != AUFACE_OK) {
        au_video_close(v);
        return s;
    }
    v->fps = video_fps(v->fmt, v->stream);
    v->frame_count = video_frame_count(v->fmt, v->stream);
    v->vfr = stream_is_vfr(v->stream);
    v->orientation = stream_orientation(v->stream);
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

static int video_fail(au_video *v, au_err *err, auface_status status, const char *what,
                      int averr)
{
    v->state = VIDEO_FAILED;
    if (averr)
        au_fail(err, status, "%s: frame %ld: %s: %s", v->path, v->delivered, what,
                av_err2str(averr));
    else
        au_fail(err, status, "%s: frame %ld: %s", v->path, v->delivered, what);
    return -1;
}

/* Converts v->decoded to BGR24 (and re-orients it); fills `frame`. 1 ok, -1 fatal. */
static int deliver_frame(au_video *v, au_frame *frame, au_err *err)
{
    const AVFrame *f = v->decoded;
    int bw = conversion_width(v->dec, f);
    int bh = v->dec->coded_height > f->height ? v->dec->coded_height : f->height;
    if (!v->sws || v->sws_w != bw || v->sws_h != bh || v->sws_fmt != f->format) {
        /* SWS_BICUBIC: CvCapture_FFMPEG::retrieveFrame; it is also the ffmpeg CLI's default
         * for its automatic conversions, hence byte-identical to `-pix_fmt bgr24`. */
        v->sws = sws_getCachedContext(v->sws, bw, bh, (enum AVPixelFormat)f->format, bw, bh,
                                      AV_PIX_FMT_BGR24, SWS_BICUBIC, NULL, NULL, NULL);
        if (!v->sws) {
            const char *name = av_get_pix_fmt_name((enum AVPixelFormat)f->format);
            char what[96];
            snprintf(what, sizeof what, "cannot convert pixel format %s to BGR",
                     name ? name : "(unknown)");
            return video_fail(v, err, AUFACE_ERR_UNSUPPORTED, what, 0);
        }
        av_frame_unref(v->bgr);
        v->bgr->format = AV_PIX_FMT_BGR24;
        v->bgr->width = bw;
        v->bgr->height = bh;
        int ret = av_frame_get_buffer(v->bgr, AU_VIDEO_BGR_ALIGN);
        if (ret < 0)
            return video_fail(v, err, AUFACE_ERR_NOMEM, "no memory for the BGR picture", ret);
        v->sws_w = bw;
        v->sws_h = bh;
        v->sws_fmt = f->format;
    }
    sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
              v->bgr->data, v->bgr->linesize);

    if (v->vfr && f->best_effort_timestamp != AV_NOPTS_VALUE) {
        if (!v->have_first_pts) {
            v->first_pts = f->best_effort_timestamp;
            v->have_first_pts = 1;
        }
        frame->timestamp = (double)(f->best_effort_timestamp - v->first_pts) *
                           av_q2d(v->stream->time_base);
    } else {
        /* SequenceCapture::CaptureThread: frame_num_int * (1.0 / fps). */
        frame->timestamp = (double)v->delivered * (1.0 / v->fps);
    }

    int w = f->width, h = f->height;
    const uint8_t *pixels = v->bgr->data[0];
    size_t stride = (size_t)v->bgr->linesize[0];
    if (v->orientation != 1) {
        int ow, oh;
        au_orient_size(v->orientation, w, h, &ow, &oh);
        size_t need = (size_t)ow * 3 * (size_t)oh;
        if (need > v->rotated_size) {
            uint8_t *p = realloc(v->rotated, need);
            if (!p)
                return video_fail(v, err, AUFACE_ERR_NOMEM, "no memory to rotate the frame",
                                  0);
            v->rotated = p;
            v->rotated_size = need;
        }
        au_orient_bgr(pixels, w, h, stride, v->orientation, v->rotated, (size_t)ow * 3);
        pixels = v->rotated;
        stride = (size_t)ow * 3;
        w = ow;
        h = oh;
    }
    frame->bgr = pixels;
    frame->width = w;
    frame->height = h;
    frame->stride = stride;
    av_frame_unref(v->decoded);
    v->delivered++;
    return 1;
}

/* Feeds the decoder one packet of our stream, or the end-of-stream flush.
 * 1 fed (or skipped a bad packet), -1 fatal. */
static int feed_decoder(au_video *v, au_err *err)
{
    int bad_reads = 0, eagain = 0;
    for (;;) {
        int ret = av_read_frame(v->fmt, v->packet);
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
        ret = avcodec_send_packet(v->dec, v->packet);
        av_packet_unref(v->packet);
        if (ret < 0 && ret != AVERROR(EAGAIN)) {
            if (ret == AVERROR(ENOMEM))
                return video_fail(v, err, AUFACE_ERR_NOMEM, "decoder", ret);
            v->corrupt++;  /* the decoder rejected this packet: its frame is skipped */
        }
        return 1;
    }
}

int au_video_next(au_video *v, au_frame *frame, au_err *err)
{
    if (v->state == VIDEO_FINISHED)
        return 0;
    if (v->state == VIDEO_FAILED) {
        au_fail(err, AUFACE_ERR_VIDEO, "%s: reading stopped after an earlier error", v->path);
        return -1;
    }
    int decode_errors = 0;
    for (;;) {
        int ret = avcodec_receive_frame(v->dec, v->decoded);
        if (ret == 0) {
            if (v->decoded->width <= 0 || v->decoded->height <= 0 || !v->decoded->data[0]) {
                av_frame_unref(v->decoded);
                v->corrupt++;
                if (++decode_errors > AU_VIDEO_MAX_BAD_READS)
                    return video_fail(v, err, AUFACE_ERR_VIDEO, "the decoder gives empty frames",
                                      0);
                continue;
            }
            return deliver_frame(v, frame, err);
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
        if (feed_decoder(v, err) < 0)
            return -1;
    }
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
    sws_freeContext(v->sws);
    av_frame_free(&v->bgr);
    av_frame_free(&v->decoded);
    av_packet_free(&v->packet);
    avcodec_free_context(&v->dec);
    avformat_close_input(&v->fmt);
    free(v->rotated);
    free(v->path);
    free(v);
}
