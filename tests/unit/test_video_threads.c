/* Tests that the video source gives the same frames for every decoder thread count: the
 * same number of frames, the same BGR bytes (a 64-bit hash of each frame's visible
 * pixels), sizes, timestamps, corrupt-frame count and ending, with 1 thread (everything on
 * the caller, as before FFmpeg's threads were used) and with 2, 3, 4 and 8. On the shipped
 * MPEG-4 AVI and WMV2 files, and on short clips this test makes from the AVI's first
 * frames at 1920x1080 (H.264 through libx264, as `ffmpeg -vf scale=1920:1080 -c:v libx264
 * -crf 18` does, plus HEVC, VP9, MPEG-2 and MJPEG where the encoders exist), and on
 * damaged copies of the AVI and the H.264 clip (where FFmpeg's frame threads alone would
 * conceal errors differently: the source must fall back to one thread). Frames kept by
 * taking over the source's buffers (au_source_swap_pixels, as the pipeline's reader does)
 * hold the same bytes while the source decodes the next ones.
 *
 * `test_video_threads FILE...` checks the given files instead (e.g. a whole 1080p video). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "check.h"
#include "io/source.h"
#include "test_files.h"

/* Frames of the generated clips: enough for a few frames of every thread in flight and
 * more than one GOP (the encoders below put a keyframe every 12 frames). */
#define CLIP_FRAMES 30
#define CLIP_W 1920
#define CLIP_H 1080

static char tmpdir[256];

typedef struct frame_sig {
    uint64_t hash;
    int width, height;
    double timestamp;
} frame_sig;

typedef struct decode_run {
    frame_sig *frames;
    long count;
    long cap;
    long swaps;       /* frames kept by taking the source's buffer (keep mode) */
    long corrupt;
    int end;          /* last au_source_next result: 0 end, < 0 error */
    int open_status;  /* auface_status of au_source_open_threads */
    char err[1024];
} decode_run;

/* FNV-1a over 64-bit words of the visible pixels of each row (the stride padding may hold
 * anything). */
static uint64_t frame_hash(const au_frame *f)
{
    uint64_t h = 1469598103934665603ULL;
    size_t row = (size_t)f->width * 3;
    for (int y = 0; y < f->height; y++) {
        const uint8_t *p = f->bgr + (size_t)y * f->stride;
        size_t x = 0;
        for (; x + 8 <= row; x += 8) {
            uint64_t w;
            memcpy(&w, p + x, 8);
            h = (h ^ w) * 1099511628211ULL;
        }
        for (; x < row; x++)
            h = (h ^ p[x]) * 1099511628211ULL;
    }
    return h;
}

static int add_sig(decode_run *r, long index, frame_sig sig)
{
    if (index >= r->cap) {
        long cap = r->cap ? 2 * r->cap : 256;
        frame_sig *grown = realloc(r->frames, (size_t)cap * sizeof *grown);
        if (!grown)
            return 0;
        r->frames = grown;
        r->cap = cap;
    }
    r->frames[index] = sig;
    return 1;
}

/* Frames kept past the next reads, as the reader keeps them in its ring. */
#define KEPT 3

typedef struct kept_frame {
    uint8_t *pixels;
    size_t cap;
    au_frame frame;   /* bgr = pixels, packed */
} kept_frame;

/* Keeps the source's current frame `f` in k: its buffer taken over, else copied. */
static int keep_frame(au_source *src, const au_frame *f, kept_frame *k, long *swaps)
{
    if (au_source_swap_pixels(src, &k->pixels, &k->cap))
        (*swaps)++;
    else if (!au_frame_copy_packed(f, &k->pixels, &k->cap))
        return 0;
    k->frame = *f;
    k->frame.bgr = k->pixels;
    k->frame.stride = (size_t)f->width * 3;
    return 1;
}

/* With `keep`, each frame is hashed only after KEPT − 1 more frames were read, from the
 * buffer it was kept in. */
static void decode_all(const char *path, int threads, int keep, decode_run *r)
{
    memset(r, 0, sizeof *r);
    au_err err;
    au_err_clear(&err);
    au_source *src = NULL;
    r->open_status = au_source_open_threads(&src, path, threads, &err);
    if (r->open_status != AUFACE_OK) {
        snprintf(r->err, sizeof r->err, "%s", err.msg);
        return;
    }
    au_frame f;
    kept_frame kept[KEPT];
    memset(kept, 0, sizeof kept);
    while ((r->end = au_source_next(src, &f, &err)) == 1) {
        if (!keep) {
            if (!add_sig(r, r->count, (frame_sig){frame_hash(&f), f.width, f.height,
                                                  f.timestamp}))
                break;
            r->count++;
            continue;
        }
        kept_frame *k = &kept[r->count % KEPT];
        if (r->count >= KEPT) { /* frame count − KEPT leaves the ring: hash it now */
            const au_frame *old = &k->frame;
            if (!add_sig(r, r->count - KEPT,
                         (frame_sig){frame_hash(old), old->width, old->height,
                                     old->timestamp}))
                break;
        }
        if (!keep_frame(src, &f, k, &r->swaps))
            break;
        r->count++;
    }
    for (long i = keep && r->count > KEPT ? r->count - KEPT : 0; keep && i < r->count; i++) {
        const au_frame *old = &kept[i % KEPT].frame;
        add_sig(r, i, (frame_sig){frame_hash(old), old->width, old->height, old->timestamp});
    }
    for (int i = 0; i < KEPT; i++)
        free(kept[i].pixels);
    if (r->end < 0)
        snprintf(r->err, sizeof r->err, "%s", err.msg);
    r->corrupt = au_source_corrupt_frames(src);
    au_source_close(src);
}

/* The run with `threads` threads must equal `ref` (1 thread) in every respect. */
static void compare_runs(const char *path, int threads, const decode_run *ref,
                         const decode_run *r)
{
    CHECK(r->open_status == ref->open_status);
    CHECK(r->count == ref->count);
    CHECK(r->corrupt == ref->corrupt);
    CHECK((r->end < 0) == (ref->end < 0));
    CHECK(strcmp(r->err, ref->err) == 0);
    long first_diff = -1;
    for (long i = 0; i < r->count && i < ref->count; i++) {
        const frame_sig *a = &ref->frames[i], *b = &r->frames[i];
        if (a->hash != b->hash || a->width != b->width || a->height != b->height ||
            a->timestamp != b->timestamp) {
            first_diff = i;
            break;
        }
    }
    CHECK(first_diff < 0);
    printf("%s: %d threads: %ld frames, %ld corrupt, end %d%s%s (%s)\n", path, threads,
           r->count, r->corrupt, r->end, r->end < 0 ? ": " : "", r->end < 0 ? r->err : "",
           first_diff < 0 && r->count == ref->count ? "same as 1 thread" : "DIFFERENT");
    if (first_diff >= 0)
        printf("  first different frame: %ld\n", first_diff);
}

/* Returns the frames kept by taking the source's buffer over, with 1 and 4 threads. */
static long check_file(const char *path)
{
    static const int counts[] = {2, 3, 4, 8};
    decode_run ref, r;
    decode_all(path, 1, 0, &ref);
    printf("%s: 1 thread: %ld frames, %ld corrupt, end %d, open %d %s\n", path, ref.count,
           ref.corrupt, ref.end, ref.open_status, ref.err);
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        decode_all(path, counts[i], 0, &r);
        compare_runs(path, counts[i], &ref, &r);
        free(r.frames);
    }
    long swaps = 0;
    for (int threads = 1; threads <= 4; threads += 3) {
        decode_all(path, threads, 1, &r);
        printf("  frames kept in the source's buffers: %ld of %ld\n", r.swaps, r.count);
        compare_runs(path, threads, &ref, &r);
        swaps += r.swaps;
        free(r.frames);
    }
    free(ref.frames);
    return swaps;
}

/* ---- clips made from the shipped AVI ---- */

/* Encodes the first CLIP_FRAMES frames of `input`, scaled to CLIP_W x CLIP_H, with the
 * encoder `encoder` into `path` (container from its extension). 0 on success, 1 when the
 * encoder is missing (the clip is skipped), -1 on failure. */
static int make_clip(const char *input, const char *path, const char *encoder,
                     enum AVPixelFormat pix_fmt)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(encoder);
    if (!codec)
        return 1;
    int ok = -1;
    AVFormatContext *in = NULL, *oc = NULL;
    AVCodecContext *dec = NULL, *enc = NULL;
    struct SwsContext *sws = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *decoded = av_frame_alloc(), *scaled = av_frame_alloc();
    if (!pkt || !decoded || !scaled || avformat_open_input(&in, input, NULL, NULL) < 0 ||
        avformat_find_stream_info(in, NULL) < 0)
        goto done;
    int vs = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (vs < 0)
        goto done;
    const AVCodec *dc = avcodec_find_decoder(in->streams[vs]->codecpar->codec_id);
    dec = dc ? avcodec_alloc_context3(dc) : NULL;
    if (!dec || avcodec_parameters_to_context(dec, in->streams[vs]->codecpar) < 0 ||
        avcodec_open2(dec, dc, NULL) < 0)
        goto done;
    if (avformat_alloc_output_context2(&oc, NULL, NULL, path) < 0)
        goto done;
    AVStream *st = avformat_new_stream(oc, NULL);
    enc = avcodec_alloc_context3(codec);
    if (!st || !enc)
        goto done;
    enc->width = CLIP_W;
    enc->height = CLIP_H;
    enc->pix_fmt = pix_fmt;
    enc->time_base = (AVRational){1, 30};
    enc->framerate = (AVRational){30, 1};
    enc->gop_size = 12;
    enc->max_b_frames = strcmp(encoder, "mjpeg") == 0 ? 0 : 2;
    if (strcmp(encoder, "libx264") == 0) {
        av_opt_set(enc->priv_data, "crf", "18", 0);
        av_opt_set(enc->priv_data, "preset", "ultrafast", 0);
    } else if (strcmp(encoder, "libx265") == 0) {
        av_opt_set(enc->priv_data, "preset", "ultrafast", 0);
        av_opt_set(enc->priv_data, "x265-params", "log-level=none", 0);
    } else if (strcmp(encoder, "libvpx-vp9") == 0) {
        av_opt_set(enc->priv_data, "deadline", "realtime", 0);
        av_opt_set(enc->priv_data, "cpu-used", "8", 0);
        enc->bit_rate = 4000000;
    } else {
        enc->flags |= AV_CODEC_FLAG_QSCALE;
        enc->global_quality = FF_QP2LAMBDA * 4;
    }
    if (oc->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(enc, codec, NULL) < 0 ||
        avcodec_parameters_from_context(st->codecpar, enc) < 0)
        goto done;
    st->time_base = enc->time_base;
    if (avio_open(&oc->pb, path, AVIO_FLAG_WRITE) < 0 || avformat_write_header(oc, NULL) < 0)
        goto done;
    scaled->format = pix_fmt;
    scaled->width = CLIP_W;
    scaled->height = CLIP_H;
    if (av_frame_get_buffer(scaled, 0) < 0)
        goto done;
    int64_t n = 0;
    int flushing = 0;
    while (!flushing) {
        int got = 0;
        if (n < CLIP_FRAMES) {
            int ret = av_read_frame(in, pkt);
            if (ret >= 0 && pkt->stream_index == vs)
                avcodec_send_packet(dec, pkt);
            av_packet_unref(pkt);
            if (ret < 0)
                goto done; /* the AVI has far more frames */
            while (n < CLIP_FRAMES && avcodec_receive_frame(dec, decoded) == 0) {
                sws = sws_getCachedContext(sws, decoded->width, decoded->height,
                                           (enum AVPixelFormat)decoded->format, CLIP_W, CLIP_H,
                                           pix_fmt, SWS_BICUBIC, NULL, NULL, NULL);
                if (!sws || av_frame_make_writable(scaled) < 0)
                    goto done;
                sws_scale(sws, (const uint8_t *const *)decoded->data, decoded->linesize, 0,
                          decoded->height, scaled->data, scaled->linesize);
                av_frame_unref(decoded);
                scaled->pts = n++;
                if (avcodec_send_frame(enc, scaled) < 0)
                    goto done;
                got = 1;
            }
        } else {
            flushing = 1;
            avcodec_send_frame(enc, NULL);
        }
        while (got || flushing) {
            int ret = avcodec_receive_packet(enc, pkt);
            if (ret < 0)
                break;
            av_packet_rescale_ts(pkt, enc->time_base, st->time_base);
            pkt->stream_index = st->index;
            if (av_interleaved_write_frame(oc, pkt) < 0)
                goto done;
        }
    }
    if (av_write_trailer(oc) == 0)
        ok = 0;
done:
    if (oc && oc->pb)
        avio_closep(&oc->pb);
    avformat_free_context(oc);
    avformat_close_input(&in);
    avcodec_free_context(&dec);
    avcodec_free_context(&enc);
    sws_freeContext(sws);
    av_frame_free(&decoded);
    av_frame_free(&scaled);
    av_packet_free(&pkt);
    return ok;
}

/* A copy of `path` with bytes overwritten in three places of the coded data: the decoder
 * rejects or conceals the packets there, and every thread count must do the same. */
static int damage_copy(const char *path, const char *out, int variant)
{
    size_t n;
    uint8_t *data = test_read_file(path, &n);
    if (!data || n < 100000) {
        free(data);
        return -1;
    }
    /* Variant 0: three runs of 2000 bytes; 1: many short runs; 2: also cut the end off. */
    static const double where[] = {0.3, 0.55, 0.8};
    size_t runs = variant == 1 ? 40 : 3, len = variant == 1 ? 37 : 2000;
    for (size_t k = 0; k < runs; k++) {
        double at_frac = variant == 1 ? 0.1 + 0.8 * (double)k / (double)runs : where[k];
        size_t at = (size_t)(at_frac * (double)n);
        for (size_t i = 0; i < len; i++)
            data[at + i] = (uint8_t)(data[at + i] ^ (0x5a + 7 * i + (size_t)variant));
    }
    if (variant == 2)
        n = n * 9 / 10;
    int ok = test_write_file(out, data, n) ? 0 : -1;
    free(data);
    return ok;
}

static void check_generated_clips(void)
{
    static const struct {
        const char *encoder, *name;
        enum AVPixelFormat fmt;
    } clips[] = {
        {"libx264", "h264.mp4", AV_PIX_FMT_YUV420P},
        {"libx265", "hevc.mkv", AV_PIX_FMT_YUV420P},
        {"libvpx-vp9", "vp9.mkv", AV_PIX_FMT_YUV420P},
        {"mpeg2video", "mpeg2.mkv", AV_PIX_FMT_YUV420P},
        {"mjpeg", "mjpeg.avi", AV_PIX_FMT_YUVJ422P},
    };
    char path[512], damaged[512];
    for (size_t i = 0; i < sizeof clips / sizeof clips[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, clips[i].name);
        int made = make_clip(SHARED("media/2015-10-15-15-14.avi"), path, clips[i].encoder,
                             clips[i].fmt);
        if (made == 1) {
            printf("%s: no %s encoder, skipped\n", clips[i].name, clips[i].encoder);
            continue;
        }
        CHECK(made == 0);
        if (made != 0)
            continue;
        check_file(path);
        if (strcmp(clips[i].encoder, "libx264") == 0) {
            for (int variant = 0; variant < 3; variant++) {
                snprintf(damaged, sizeof damaged, "%s/damaged%d-%s", tmpdir, variant,
                         clips[i].name);
                CHECK(damage_copy(path, damaged, variant) == 0);
                check_file(damaged);
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            check_file(argv[i]);
        return check_report("test_video_threads");
    }
    if (!test_make_temp_dir(tmpdir, sizeof tmpdir, "test_video_threads"))
        return 1;
    /* 640 x 480: rows packed in the converter's buffer, so every frame is taken over */
    CHECK(check_file(SHARED("media/2015-10-15-15-14.avi")) > 1000);
    check_file(SHARED("media/default.wmv"));
    char damaged[512];
    snprintf(damaged, sizeof damaged, "%s/damaged.avi", tmpdir);
    CHECK(damage_copy(SHARED("media/2015-10-15-15-14.avi"), damaged, 0) == 0);
    check_file(damaged);
    check_generated_clips();
    if (!getenv("KEEP_TMP"))
        test_remove_tree(tmpdir);
    else
        printf("kept %s\n", tmpdir);
    return check_report("test_video_threads");
}
