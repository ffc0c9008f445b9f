/* Video encoding with FFmpeg; see io/video_writer.h. The muxing follows FFmpeg's
 * doc/examples/mux.c and encode_video.c: an output context, one stream, an encoder opened
 * with the stream's needs (global headers for MP4/MKV), frames sent with
 * avcodec_send_frame, packets drained with avcodec_receive_packet, rescaled to the stream's
 * time base and interleaved; at the end a NULL frame flushes the encoder's delayed packets
 * before the trailer. */
#include "io/video_writer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "io/atomic_file.h"

/* Bytes the muxer buffers before each write to the temporary file. */
#define WRITER_IO_BUFFER 65536
/* Largest frame-rate denominator: MPEG-4 part 2 takes time bases up to 2^16 - 1. */
#define WRITER_MAX_RATE_DEN 65535
/* libx264: "superfast" encodes 640x480 in ~4 ms a frame on one core (veryfast ~6.5,
 * ultrafast ~2 but 1.5x the size); CRF 20 is close to x264's "visually lossless" 18. */
#define WRITER_X264_PRESET "superfast"
#define WRITER_X264_CRF "20"
/* FFmpeg's MPEG-4 part 2 encoder at a fixed quantiser of 3 (good quality, 2..31). */
#define WRITER_MPEG4_QSCALE 3

struct au_video_writer {
    char *path;
    au_atomic_file file;
    AVFormatContext *fmt;
    AVIOContext *io;
    AVCodecContext *enc;
    AVStream *stream;
    AVFrame *yuv;
    AVPacket *packet;
    struct SwsContext *sws;
    int width, height;      /* of the encoded video */
    long frames;
};

/* AVIOContext callbacks: the muxer's bytes go to the atomic file's temporary FILE, which
 * is seekable (MP4 rewrites its box sizes at the end). */
static int write_to_file(void *opaque, uint8_t *buf, int size)
{
    FILE *f = opaque;
    errno = 0;
    if (fwrite(buf, 1, (size_t)size, f) != (size_t)size)
        return AVERROR(errno ? errno : EIO);
    return size;
}

static int64_t seek_in_file(void *opaque, int64_t offset, int whence)
{
    FILE *f = opaque;
    if (whence & AVSEEK_SIZE) {
        off_t here = ftello(f);
        if (here < 0 || fseeko(f, 0, SEEK_END) != 0)
            return AVERROR(errno);
        off_t size = ftello(f);
        if (fseeko(f, here, SEEK_SET) != 0)
            return AVERROR(errno);
        return (int64_t)size;
    }
    if (fseeko(f, (off_t)offset, whence & ~AVSEEK_FORCE) != 0)
        return AVERROR(errno);
    return (int64_t)ftello(f);
}

/* Frees every FFmpeg object and the struct; the temporary file is left to the caller. */
static void release(au_video_writer *w)
{
    avcodec_free_context(&w->enc);
    av_frame_free(&w->yuv);
    av_packet_free(&w->packet);
    sws_freeContext(w->sws);
    avformat_free_context(w->fmt);
    if (w->io) {
        av_freep(&w->io->buffer);
        avio_context_free(&w->io);
    }
    free(w->path);
    free(w);
}

void au_video_writer_abort(au_video_writer *w)
{
    if (!w)
        return;
    au_atomic_abort(&w->file);
    release(w);
}

/* The encoder to use in `ofmt`: libx264 when present and accepted, else MPEG-4 part 2.
 * avformat_query_codec answers 1 (yes), 0 (no) or < 0 (the muxer cannot tell: try it). */
static const AVCodec *choose_encoder(const AVOutputFormat *ofmt)
{
    const AVCodec *x264 = avcodec_find_encoder_by_name("libx264");
    if (x264 && avformat_query_codec(ofmt, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) != 0)
        return x264;
    const AVCodec *mpeg4 = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    if (mpeg4 && avformat_query_codec(ofmt, AV_CODEC_ID_MPEG4, FF_COMPLIANCE_NORMAL) != 0)
        return mpeg4;
    return NULL;
}

/* Quality settings per encoder (see the constants above). */
static void set_quality(AVCodecContext *enc, const AVCodec *codec, AVDictionary **opts)
{
    if (strcmp(codec->name, "libx264") == 0) {
        av_dict_set(opts, "preset", WRITER_X264_PRESET, 0);
        av_dict_set(opts, "crf", WRITER_X264_CRF, 0);
    } else {
        enc->flags |= AV_CODEC_FLAG_QSCALE;
        enc->global_quality = FF_QP2LAMBDA * WRITER_MPEG4_QSCALE;
    }
}

static auface_status open_encoder(au_video_writer *w, const AVCodec *codec, AVRational rate,
                                  au_err *err)
{
    if (!(w->stream = avformat_new_stream(w->fmt, NULL)) ||
        !(w->enc = avcodec_alloc_context3(codec)))
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory for the encoder", w->path);
    AVCodecContext *enc = w->enc;
    enc->width = w->width;
    enc->height = w->height;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = av_inv_q(rate);
    enc->framerate = rate;
    enc->sample_aspect_ratio = (AVRational){1, 1};
    /* swscale's default RGB -> YUV matrix is BT.601 with limited range: say so. */
    enc->color_range = AVCOL_RANGE_MPEG;
    enc->colorspace = AVCOL_SPC_SMPTE170M;
    enc->color_primaries = AVCOL_PRI_SMPTE170M;
    enc->color_trc = AVCOL_TRC_SMPTE170M;
    if (w->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    /* The encoder's own threads (0 = as many as it finds useful): the video is rendered
     * after the job, when the cores the job used are free again. */
    enc->thread_count = 0;
    AVDictionary *opts = NULL;
    set_quality(enc, codec, &opts);
    int ret = avcodec_open2(enc, codec, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        return au_fail(err, AUFACE_ERR_VIDEO, "%s: cannot open the %s encoder for %dx%d: %s",
                       w->path, codec->name, w->width, w->height, av_err2str(ret));
    ret = avcodec_parameters_from_context(w->stream->codecpar, enc);
    if (ret < 0)
        return au_fail(err, AUFACE_ERR_VIDEO, "%s: encoder parameters: %s", w->path,
                       av_err2str(ret));
    w->stream->time_base = enc->time_base;
    w->stream->avg_frame_rate = rate;
    return AUFACE_OK;
}

/* The temporary file and the AVIOContext writing into it. */
static auface_status open_output(au_video_writer *w, au_err *err)
{
    FILE *f = au_atomic_open(&w->file, w->path, err);
    if (!f)
        return err ? err->status : AUFACE_ERR_IO;
    unsigned char *buffer = av_malloc(WRITER_IO_BUFFER);
    if (!buffer)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", w->path);
    w->io = avio_alloc_context(buffer, WRITER_IO_BUFFER, 1, f, NULL, write_to_file,
                               seek_in_file);
    if (!w->io) {
        av_free(buffer);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", w->path);
    }
    w->fmt->pb = w->io;
    w->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    return AUFACE_OK;
}

static auface_status open_picture(au_video_writer *w, au_err *err)
{
    if (!(w->yuv = av_frame_alloc()) || !(w->packet = av_packet_alloc()))
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", w->path);
    w->yuv->format = AV_PIX_FMT_YUV420P;
    w->yuv->width = w->width;
    w->yuv->height = w->height;
    int ret = av_frame_get_buffer(w->yuv, 0);
    if (ret < 0)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: no memory for a picture: %s", w->path,
                       av_err2str(ret));
    return AUFACE_OK;
}

/* Everything open needs after the checks, in order; stops at the first failure. */
static auface_status open_all(au_video_writer *w, const AVOutputFormat *ofmt, double fps,
                              au_err *err)
{
    const AVCodec *codec = choose_encoder(ofmt);
    if (!codec)
        return au_fail(err, AUFACE_ERR_UNSUPPORTED,
                       "%s: FFmpeg has no H.264 or MPEG-4 encoder for the %s container",
                       w->path, ofmt->name);
    int ret = avformat_alloc_output_context2(&w->fmt, ofmt, NULL, w->path);
    if (ret < 0 || !w->fmt)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: cannot create the %s container: %s",
                       w->path, ofmt->name, av_err2str(ret));
    auface_status st = open_encoder(w, codec, av_d2q(fps, WRITER_MAX_RATE_DEN), err);
    if (st == AUFACE_OK)
        st = open_picture(w, err);
    if (st == AUFACE_OK)
        st = open_output(w, err);
    if (st != AUFACE_OK)
        return st;
    ret = avformat_write_header(w->fmt, NULL);
    if (ret < 0)
        return au_fail(err, w->io->error ? AUFACE_ERR_IO : AUFACE_ERR_VIDEO,
                       "%s: cannot write the %s header: %s", w->path, ofmt->name,
                       av_err2str(ret));
    return AUFACE_OK;
}

/* The container named by `path`'s extension, or NULL (with the error). */
static const AVOutputFormat *container_of(const char *path, au_err *err)
{
    const AVOutputFormat *ofmt = av_guess_format(NULL, path, NULL);
    if (!ofmt || ofmt->video_codec == AV_CODEC_ID_NONE) {
        au_fail(err, AUFACE_ERR_ARG,
                "%s: not a video file name FFmpeg knows (use .mp4, .mkv or .avi)", path);
        return NULL;
    }
    return ofmt;
}

auface_status au_video_writer_check(const char *path, au_err *err)
{
    if (!path || !*path)
        return au_fail(err, AUFACE_ERR_ARG, "au_video_writer_check: NULL or empty path");
    const AVOutputFormat *ofmt = container_of(path, err);
    if (!ofmt)
        return AUFACE_ERR_ARG;
    if (!choose_encoder(ofmt))
        return au_fail(err, AUFACE_ERR_UNSUPPORTED,
                       "%s: FFmpeg has no H.264 or MPEG-4 encoder for the %s container", path,
                       ofmt->name);
    au_atomic_file probe;
    if (!au_atomic_open(&probe, path, err))
        return err ? err->status : AUFACE_ERR_IO;
    au_atomic_abort(&probe);
    return AUFACE_OK;
}

auface_status au_video_writer_open(au_video_writer **out, const char *path, int width,
                                   int height, double fps, au_err *err)
{
    if (!out || !path || !*path)
        return au_fail(err, AUFACE_ERR_ARG, "au_video_writer_open: NULL or empty argument");
    *out = NULL;
    if (width < 2 || height < 2 || !isfinite(fps) || fps <= 0.0)
        return au_fail(err, AUFACE_ERR_ARG, "%s: cannot encode %dx%d pictures at %g frames/s",
                       path, width, height, fps);
    const AVOutputFormat *ofmt = container_of(path, err);
    if (!ofmt)
        return AUFACE_ERR_ARG;
    au_video_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    }
    w->width = width & ~1;
    w->height = height & ~1;
    auface_status st = open_all(w, ofmt, fps, err);
    if (st != AUFACE_OK) {
        au_video_writer_abort(w);
        return st;
    }
    *out = w;
    return AUFACE_OK;
}

/* Sends `frame` (NULL: end of stream) and writes every packet the encoder has ready. */
static auface_status encode(au_video_writer *w, const AVFrame *frame, au_err *err)
{
    int ret = avcodec_send_frame(w->enc, frame);
    if (ret < 0)
        return au_fail(err, AUFACE_ERR_VIDEO, "%s: frame %ld: the %s encoder failed: %s",
                       w->path, w->frames, w->enc->codec->name, av_err2str(ret));
    for (;;) {
        ret = avcodec_receive_packet(w->enc, w->packet);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return AUFACE_OK;
        if (ret < 0)
            return au_fail(err, AUFACE_ERR_VIDEO, "%s: frame %ld: the %s encoder failed: %s",
                           w->path, w->frames, w->enc->codec->name, av_err2str(ret));
        av_packet_rescale_ts(w->packet, w->enc->time_base, w->stream->time_base);
        w->packet->stream_index = w->stream->index;
        ret = av_interleaved_write_frame(w->fmt, w->packet);  /* takes the packet's data */
        if (ret < 0 || w->io->error < 0)
            return au_fail(err, AUFACE_ERR_IO, "%s: write failed: %s", w->path,
                           av_err2str(ret < 0 ? ret : w->io->error));
    }
}

/* The part of a width x height picture to convert: the whole picture scaled to the video's
 * size, except when it is the video's size or one more (the odd column/row is cut off). */
static void source_size(const au_video_writer *w, int width, int height, int *sw, int *sh)
{
    int crop = (width == w->width || width == w->width + 1) &&
               (height == w->height || height == w->height + 1);
    *sw = crop ? w->width : width;
    *sh = crop ? w->height : height;
}

auface_status au_video_writer_put(au_video_writer *w, const uint8_t *bgr, int width,
                                  int height, size_t stride, au_err *err)
{
    if (!w || !bgr || width < 1 || height < 1 || stride < 3 * (size_t)width ||
        stride > (size_t)INT32_MAX)
        return au_fail(err, AUFACE_ERR_ARG, "au_video_writer_put: bad picture");
    int sw, sh;
    source_size(w, width, height, &sw, &sh);
    w->sws = sws_getCachedContext(w->sws, sw, sh, AV_PIX_FMT_BGR24, w->width, w->height,
                                  AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
    if (!w->sws)
        return au_fail(err, AUFACE_ERR_VIDEO, "%s: cannot convert %dx%d BGR to %dx%d YUV",
                       w->path, sw, sh, w->width, w->height);
    /* The encoder may still hold the previous picture (look-ahead): write into a copy. */
    int ret = av_frame_make_writable(w->yuv);
    if (ret < 0)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: no memory for a picture: %s", w->path,
                       av_err2str(ret));
    const uint8_t *src[1] = {bgr};
    const int src_stride[1] = {(int)stride};
    sws_scale(w->sws, src, src_stride, 0, sh, w->yuv->data, w->yuv->linesize);
    w->yuv->pts = w->frames;
    auface_status st = encode(w, w->yuv, err);
    if (st == AUFACE_OK)
        w->frames++;
    return st;
}

auface_status au_video_writer_finish(au_video_writer *w, au_err *err)
{
    if (!w)
        return au_fail(err, AUFACE_ERR_ARG, "au_video_writer_finish: NULL writer");
    auface_status st = encode(w, NULL, err);
    if (st == AUFACE_OK) {
        int ret = av_write_trailer(w->fmt);
        avio_flush(w->io);
        if (ret < 0 || w->io->error < 0)
            st = au_fail(err, AUFACE_ERR_IO, "%s: cannot finish the file: %s", w->path,
                         av_err2str(ret < 0 ? ret : w->io->error));
    }
    if (st != AUFACE_OK) {
        au_video_writer_abort(w);
        return st;
    }
    st = au_atomic_commit(&w->file, err);
    release(w);
    return st;
}

const char *au_video_writer_codec(const au_video_writer *w)
{
    return w && w->enc ? w->enc->codec->name : "";
}

long au_video_writer_frames(const au_video_writer *w)
{
    return w ? w->frames : 0;
}
