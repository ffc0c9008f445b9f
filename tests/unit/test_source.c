/* Tests of io/source: default.wmv against the ffmpeg-extracted reference frames, still
 * images and image folders, broken inputs, rotation metadata and variable frame rate
 * (on small videos this test encodes itself), and the re-orientation transforms. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <stb/stb_image.h>

#include "check.h"
#include "io/source.h"
#include "io/source_backends.h"
#include "test_files.h"
#include "test_images.h"
#include "test_nn_reference.h"

static char tmpdir[256];

static void path_in_tmp(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Largest |ours - reference| over all bytes of a reference PNG (written by ffmpeg from its
 * bgr24 frame); -1 on size mismatch, -2 if the PNG cannot be read. */
static int max_diff_vs_png(const au_frame *f, const char *png)
{
    int w, h;
    uint8_t *ref = test_load_bgr(png, &w, &h);
    if (!ref)
        return -2;
    int maxd = -1;
    if (w == f->width && h == f->height) {
        maxd = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < 3 * w; x++) {
                int d = abs((int)f->bgr[(size_t)y * f->stride + (size_t)x] -
                            (int)ref[(size_t)y * 3 * w + (size_t)x]);
                if (d > maxd)
                    maxd = d;
            }
    }
    free(ref);
    return maxd;
}

static void test_default_video(void)
{
    au_err err;
    au_err_clear(&err);
    au_source *src = NULL;
    CHECK(au_source_open(&src, SHARED("media/default.wmv"), &err) == AUFACE_OK);
    if (!src) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK(au_source_kind(src) == AU_SOURCE_VIDEO);
    CHECK(au_source_fps(src) == 15.0);
    CHECK(au_source_frame_count(src) == 288);  /* floor(19.204 s * 15 + 0.5) */
    CHECK(au_source_is_vfr(src) == 0);
    au_frame f;
    long n = 0;
    int sizes_ok = 1, index_ok = 1, time_ok = 1, r;
    while ((r = au_source_next(src, &f, &err)) == 1) {
        sizes_ok &= f.width == 640 && f.height == 480 && f.stride >= 1920;
        index_ok &= f.index == n;
        time_ok &= f.timestamp == (double)n * (1.0 / 15.0);  /* OpenFace: n * (1.0 / fps) */
        if (n == 0 || n == 100 || n == 200) {
            char png[256];
            snprintf(png, sizeof png, "%s/reference/nn/media/default_f%03ld.png", AU_SHARED_DIR,
                     n);
            int d = max_diff_vs_png(&f, png);
            printf("default.wmv frame %ld vs %s: max difference %d\n", n, png, d);
            CHECK(d == 0);
        }
        n++;
    }
    CHECK(r == 0);
    CHECK(n == 288);
    CHECK(sizes_ok);
    CHECK(index_ok);
    CHECK(time_ok);
    CHECK(au_source_corrupt_frames(src) == 0);
    CHECK(au_source_next(src, &f, &err) == 0);  /* stays at the end */
    au_source_close(src);
}

static void test_single_image(void)
{
    au_err err;
    au_source *src = NULL;
    CHECK(au_source_open(&src, SHARED("media/sample4.jpg"), &err) == AUFACE_OK);
    if (!src)
        return;
    CHECK(au_source_kind(src) == AU_SOURCE_IMAGE);
    CHECK(au_source_fps(src) == 0.0);
    CHECK(au_source_frame_count(src) == 1);
    au_frame f;
    CHECK(au_source_next(src, &f, &err) == 1);
    CHECK(f.width == 640 && f.height == 578 && f.index == 0 && f.timestamp == 0.0);
    /* cv2.imread's pixels of sample4.jpg: the RetinaFace reference input (scale 1, BGR
     * minus (104, 117, 123), NCHW 640x640, image in the top 578 rows). stb_image's IDCT
     * differs from libjpeg-turbo's by a few LSB; measure it. */
    float *ref = test_read_f32(SHARED("reference/nn/retinaface/sample4.input.f32"),
                               3u * 640 * 640);
    CHECK(ref != NULL);
    if (ref) {
        static const float mean[3] = {104.0f, 117.0f, 123.0f};
        int maxd = 0;
        double sum = 0;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 578; y++)
                for (int x = 0; x < 640; x++) {
                    int cv = (int)(ref[((size_t)c * 640 + y) * 640 + x] + mean[c] + 0.5f);
                    int d = abs(cv - (int)f.bgr[(size_t)y * f.stride + 3 * (size_t)x + c]);
                    sum += d;
                    if (d > maxd)
                        maxd = d;
                }
        printf("sample4.jpg stb_image vs cv2.imread: max difference %d, mean %.4f\n", maxd,
               sum / (3.0 * 578 * 640));
        CHECK(maxd <= 8);
        CHECK(sum / (3.0 * 578 * 640) < 0.5);
    }
    free(ref);
    CHECK(au_source_next(src, &f, &err) == 0);
    au_source_close(src);

    CHECK(au_source_open(&src, SHARED("media/sample1.jpg"), &err) == AUFACE_OK);
    if (src) {
        CHECK(au_source_next(src, &f, &err) == 1);
        int w, h, c;
        CHECK(stbi_info(SHARED("media/sample1.jpg"), &w, &h, &c) && f.width == w &&
              f.height == h);
        au_source_close(src);
    }
}

static void test_image_folder(void)
{
    au_err err;
    au_source *src = NULL;
    CHECK(au_source_open(&src, SHARED("media/image_sequence"), &err) == AUFACE_OK);
    if (!src)
        return;
    CHECK(au_source_kind(src) == AU_SOURCE_IMAGE_FOLDER);
    CHECK(au_source_frame_count(src) == 30);
    CHECK(au_source_fps(src) == 0.0);
    au_frame f;
    int n = 0, in_order = 1, ts_zero = 1;
    while (au_source_next(src, &f, &err) == 1) {
        /* frame n must be the file (n+1).jpg: compare with the same file opened alone */
        char one[256];
        snprintf(one, sizeof one, "%s/media/image_sequence/%03d.jpg", AU_SHARED_DIR, n + 1);
        au_source *single = NULL;
        au_frame g;
        if (au_source_open(&single, one, &err) == AUFACE_OK &&
            au_source_next(single, &g, &err) == 1 && g.width == f.width &&
            g.height == f.height) {
            for (int y = 0; y < f.height; y++)
                in_order &= memcmp(f.bgr + (size_t)y * f.stride, g.bgr + (size_t)y * g.stride,
                                   (size_t)f.width * 3) == 0;
        } else {
            in_order = 0;
        }
        au_source_close(single);
        ts_zero &= f.timestamp == 0.0 && f.index == n;
        n++;
    }
    CHECK(n == 30);
    CHECK(in_order);
    CHECK(ts_zero);
    au_source_close(src);
}

/* A folder with an upper-case extension, a truncated JPEG and a text file. */
static void test_folder_with_bad_image(void)
{
    char dir[300], p[400];
    path_in_tmp(dir, sizeof dir, "seq");
    if (mkdir(dir, 0700) != 0) {
        CHECK(0);
        return;
    }
    size_t n;
    uint8_t *jpg = test_read_file(SHARED("media/image_sequence/001.jpg"), &n);
    CHECK(jpg != NULL);
    if (!jpg)
        return;
    snprintf(p, sizeof p, "%s/D.JPG", dir);
    test_write_file(p, jpg, n);
    snprintf(p, sizeof p, "%s/a.jpg", dir);
    test_write_file(p, jpg, n);
    snprintf(p, sizeof p, "%s/b.jpg", dir);
    test_write_file(p, jpg, 200);
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    test_write_file(p, "not an image", 12);
    free(jpg);

    au_err err;
    au_source *src = NULL;
    CHECK(au_source_open(&src, dir, &err) == AUFACE_OK);
    if (!src)
        return;
    CHECK(au_source_frame_count(src) == 3);
    au_frame f;
    int frames = 0, r;
    while ((r = au_source_next(src, &f, &err)) == 1)
        frames++;
    CHECK(r == 0);
    CHECK(frames == 2);
    CHECK(au_source_corrupt_frames(src) == 1);
    au_source_close(src);

    char empty[300];
    path_in_tmp(empty, sizeof empty, "empty");
    mkdir(empty, 0700);
    CHECK(au_source_open(&src, empty, &err) == AUFACE_ERR_IO && src == NULL);
    CHECK(strstr(err.msg, empty) != NULL);
}

static void test_broken_inputs(void)
{
    au_err err;
    au_source *src = (au_source *)&err;  /* must be reset to NULL on failure */
    CHECK(au_source_open(&src, "/nonexistent/clip.avi", &err) == AUFACE_ERR_IO);
    CHECK(src == NULL);
    CHECK(strstr(err.msg, "/nonexistent/clip.avi") != NULL);

    char p[300];
    path_in_tmp(p, sizeof p, "text.avi");
    const char *text = "This is a text file, not a video.\nSecond line.\n";
    test_write_file(p, text, strlen(text));
    CHECK(au_source_open(&src, p, &err) == AUFACE_ERR_VIDEO);
    CHECK(strstr(err.msg, p) != NULL);

    path_in_tmp(p, sizeof p, "photo.jpg");
    test_write_file(p, text, strlen(text));
    CHECK(au_source_open(&src, p, &err) == AUFACE_ERR_FORMAT);
    CHECK(strstr(err.msg, p) != NULL);

    /* The first 300 kB of default.wmv: some frames, then the end, without a crash. */
    size_t n;
    uint8_t *wmv = test_read_file(SHARED("media/default.wmv"), &n);
    CHECK(wmv && n > 300000);
    if (!wmv)
        return;
    path_in_tmp(p, sizeof p, "truncated.wmv");
    test_write_file(p, wmv, 300000);
    if (au_source_open(&src, p, &err) == AUFACE_OK) {
        au_frame f;
        long frames = 0;
        int r;
        while ((r = au_source_next(src, &f, &err)) == 1)
            frames++;
        printf("truncated default.wmv (300 kB): %ld frames, %ld corrupt, end %d\n", frames,
               au_source_corrupt_frames(src), r);
        CHECK(r >= 0 || strstr(err.msg, p) != NULL);
        CHECK(frames > 0 && frames < 288);
        au_source_close(src);
    } else {
        CHECK(strstr(err.msg, p) != NULL);
    }
    /* Only the first 1000 bytes: not even the header. */
    path_in_tmp(p, sizeof p, "stub.wmv");
    test_write_file(p, wmv, 1000);
    CHECK(au_source_open(&src, p, &err) != AUFACE_OK && src == NULL);
    free(wmv);
}

/* ---- synthetic videos: 64x48 grey quadrants, MPEG-4 part 2 in MP4 ---- */

enum { SYN_W = 64, SYN_H = 48 };
static const int quadrant_luma[4] = {40, 100, 160, 220}; /* TL, TR, BL, BR */

/* Encodes `n` frames with the given pts (time base 1/10 s) and, if `rotation` is not 0, a
 * display matrix made by av_display_rotation_set(m, rotation). The last frame gets a
 * duration of 1 only if `last_duration` (without one the MP4 edit list ends at its start,
 * and avg_frame_rate becomes n / (n - 1) times the rate). 0 on success. */
static int write_synthetic_mp4(const char *path, int n, const int64_t *pts, double rotation,
                               int last_duration)
{
    AVFormatContext *oc = NULL;
    AVCodecContext *c = NULL;
    AVFrame *frame = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    int ok = -1;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    if (!codec || !frame || !pkt || avformat_alloc_output_context2(&oc, NULL, "mp4", path) < 0)
        goto done;
    AVStream *st = avformat_new_stream(oc, NULL);
    c = avcodec_alloc_context3(codec);
    if (!st || !c)
        goto done;
    c->width = SYN_W;
    c->height = SYN_H;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = (AVRational){1, 10};
    c->flags |= AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * 2;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(c, codec, NULL) < 0 || avcodec_parameters_from_context(st->codecpar, c) < 0)
        goto done;
    st->time_base = c->time_base;
    if (rotation != 0.0) {
        uint8_t *m = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
        if (!m)
            goto done;
        av_display_rotation_set((int32_t *)(void *)m, rotation);
    }
    if (avio_open(&oc->pb, path, AVIO_FLAG_WRITE) < 0 || avformat_write_header(oc, NULL) < 0)
        goto done;
    frame->format = c->pix_fmt;
    frame->width = SYN_W;
    frame->height = SYN_H;
    if (av_frame_get_buffer(frame, 0) < 0)
        goto done;
    for (int i = 0; i <= n; i++) {
        if (i < n) {
            if (av_frame_make_writable(frame) < 0)
                goto done;
            for (int y = 0; y < SYN_H; y++)
                for (int x = 0; x < SYN_W; x++)
                    frame->data[0][y * frame->linesize[0] + x] =
                        (uint8_t)quadrant_luma[(y >= SYN_H / 2) * 2 + (x >= SYN_W / 2)];
            for (int y = 0; y < SYN_H / 2; y++) {
                memset(frame->data[1] + y * frame->linesize[1], 128, SYN_W / 2);
                memset(frame->data[2] + y * frame->linesize[2], 128, SYN_W / 2);
            }
            frame->pts = pts[i];
        }
        if (avcodec_send_frame(c, i < n ? frame : NULL) < 0)
            goto done;
        while (avcodec_receive_packet(c, pkt) == 0) {
            /* give every frame its duration, so the MP4 edit list keeps the last one */
            pkt->duration = last_duration;
            for (int j = 0; j + 1 < n; j++)
                if (pts[j] == pkt->pts)
                    pkt->duration = pts[j + 1] - pts[j];
            av_packet_rescale_ts(pkt, c->time_base, st->time_base);
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
    avcodec_free_context(&c);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    return ok;
}

/* Mean of the green byte over the inner half of quadrant q (0 TL, 1 TR, 2 BL, 3 BR). */
static double quadrant_mean(const au_frame *f, int q)
{
    int qw = f->width / 2, qh = f->height / 2;
    int x0 = (q & 1) * qw + qw / 4, y0 = (q >> 1) * qh + qh / 4;
    double s = 0;
    int n = 0;
    for (int y = y0; y < y0 + qh / 2; y++)
        for (int x = x0; x < x0 + qw / 2; x++, n++)
            s += f->bgr[(size_t)y * f->stride + 3 * (size_t)x + 1];
    return s / n;
}

/* Full-range grey of a limited-range luma value: (Y - 16) * 255 / 219. */
static double grey_of_luma(int y)
{
    return (y - 16) * 255.0 / 219.0;
}

static void test_rotation(void)
{
    static const int64_t pts[3] = {0, 1, 2};
    /* av_display_rotation_set(m, a) makes av_display_rotation_get(m) = -a in FFmpeg 5.1 (set
     * takes a clockwise angle, get returns a counter-clockwise one), and OpenCV turns the
     * frame by -get = a degrees clockwise (CvCapture_FFMPEG::get_rotation_angle, rotateFrame).
     * Expected: where each source quadrant ends up. */
    static const struct {
        double a;
        int w, h;
        int src_of[4]; /* output quadrant q (0 TL, 1 TR, 2 BL, 3 BR) shows source src_of[q] */
    } cases[] = {
        {0.0, SYN_W, SYN_H, {0, 1, 2, 3}},
        {90.0, SYN_H, SYN_W, {2, 0, 3, 1}},   /* turned 90 degrees clockwise */
        {-90.0, SYN_H, SYN_W, {1, 3, 0, 2}},  /* turned 90 degrees counter-clockwise */
        {180.0, SYN_W, SYN_H, {3, 2, 1, 0}},
    };
    int32_t m[9];
    av_display_rotation_set(m, 90.0);
    CHECK(av_display_rotation_get(m) == -90.0);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char p[300];
        snprintf(p, sizeof p, "%s/rot%zu.mp4", tmpdir, k);
        CHECK(write_synthetic_mp4(p, 3, pts, cases[k].a, 1) == 0);
        au_err err;
        au_source *src = NULL;
        CHECK(au_source_open(&src, p, &err) == AUFACE_OK);
        if (!src)
            continue;
        au_frame f;
        CHECK(au_source_next(src, &f, &err) == 1);
        CHECK(f.width == cases[k].w && f.height == cases[k].h);
        for (int q = 0; q < 4 && f.width == cases[k].w; q++)
            CHECK_NEAR(quadrant_mean(&f, q), grey_of_luma(quadrant_luma[cases[k].src_of[q]]), 3.0);
        au_source_close(src);
    }
}

static void test_frame_rates(void)
{
    au_err err;
    char p[300];
    /* Constant rate 10 fps: timestamps index * (1.0 / 10). */
    static const int64_t cfr[6] = {0, 1, 2, 3, 4, 5};
    path_in_tmp(p, sizeof p, "cfr.mp4");
    CHECK(write_synthetic_mp4(p, 6, cfr, 0.0, 1) == 0);
    au_source *src = NULL;
    au_frame f;
    if (au_source_open(&src, p, &err) == AUFACE_OK) {
        CHECK(au_source_is_vfr(src) == 0);
        CHECK(au_source_fps(src) == 10.0);
        int n = 0, ok = 1;
        while (au_source_next(src, &f, &err) == 1)
            ok &= f.timestamp == (double)n++ * (1.0 / 10.0);
        CHECK(n == 6 && ok);
        au_source_close(src);
    } else {
        CHECK(0);
    }
    /* Constant rate, last frame without duration: avg_frame_rate 12 against r_frame_rate 10,
     * a one-frame disagreement over the stream, still constant rate. */
    path_in_tmp(p, sizeof p, "cfr_short.mp4");
    CHECK(write_synthetic_mp4(p, 6, cfr, 0.0, 0) == 0);
    if (au_source_open(&src, p, &err) == AUFACE_OK) {
        CHECK(au_source_is_vfr(src) == 0);
        int n = 0, ok = 1;
        while (au_source_next(src, &f, &err) == 1)
            ok &= f.timestamp == (double)n++ * (1.0 / 10.0);
        CHECK(n >= 5 && ok);
        au_source_close(src);
    } else {
        CHECK(0);
    }
    /* Irregular pts: r_frame_rate 10 but 6 frames over 0.9 s: VFR, timestamps from pts. */
    static const int64_t vfr[6] = {0, 1, 3, 4, 7, 8};
    path_in_tmp(p, sizeof p, "vfr.mp4");
    CHECK(write_synthetic_mp4(p, 6, vfr, 0.0, 1) == 0);
    if (au_source_open(&src, p, &err) == AUFACE_OK) {
        CHECK(au_source_is_vfr(src) == 1);
        int n = 0;
        while (au_source_next(src, &f, &err) == 1 && n < 6) {
            CHECK_NEAR(f.timestamp, vfr[n] / 10.0, 1e-9);
            n++;
        }
        CHECK(n == 6);
        au_source_close(src);
    } else {
        CHECK(0);
    }
}

/* ---- EXIF orientation of JPEG files (applied as cv::imread does) ---- */

/* Writes sample jpg bytes with an APP1 Exif segment holding `orientation` inserted after
 * SOI, in little- or big-endian TIFF order. */
static int write_jpeg_with_exif(const char *path, const uint8_t *jpg, size_t n, int orientation,
                                int little)
{
    uint8_t app1[36];
    size_t k = 0;
    app1[k++] = 0xFF;
    app1[k++] = 0xE1;
    app1[k++] = 0;
    app1[k++] = 34; /* segment length: 2 + 6 + 8 + 2 + 12 + 4 */
    memcpy(app1 + k, "Exif\0\0", 6);
    k += 6;
    const uint8_t tiff_le[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0};
    const uint8_t tiff_be[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1};
    memcpy(app1 + k, little ? tiff_le : tiff_be, sizeof tiff_le);
    k += sizeof tiff_le;
    app1[k++] = little ? (uint8_t)orientation : 0;
    app1[k++] = little ? 0 : (uint8_t)orientation;
    memset(app1 + k, 0, 6); /* value padding + next IFD offset */
    k += 6;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fwrite(jpg, 1, 2, f);
    fwrite(app1, 1, k, f);
    fwrite(jpg + 2, 1, n - 2, f);
    return fclose(f);
}

static void test_exif_orientation(void)
{
    size_t n;
    uint8_t *jpg = test_read_file(SHARED("media/sample1.jpg"), &n);
    CHECK(jpg != NULL);
    if (!jpg)
        return;
    au_err err;
    au_source *plain = NULL;
    au_frame p;
    CHECK(au_source_open(&plain, SHARED("media/sample1.jpg"), &err) == AUFACE_OK &&
          au_source_next(plain, &p, &err) == 1);
    /* 6: turn 90 degrees clockwise, so the source's bottom-left pixel lands top-left;
     * 3: 180 degrees, so the bottom-right lands top-left. */
    static const struct { int orientation, little; } cases[] = {{6, 1}, {3, 0}, {8, 1}};
    for (int c = 0; c < 3 && plain; c++) {
        char path[300];
        snprintf(path, sizeof path, "%s/exif%d.jpg", tmpdir, c);
        CHECK(write_jpeg_with_exif(path, jpg, n, cases[c].orientation, cases[c].little) == 0);
        au_source *src = NULL;
        au_frame f;
        if (au_source_open(&src, path, &err) != AUFACE_OK || au_source_next(src, &f, &err) != 1) {
            CHECK(0);
            au_source_close(src);
            continue;
        }
        int same = 1;
        if (cases[c].orientation == 3) {
            CHECK(f.width == p.width && f.height == p.height);
            for (int y = 0; y < f.height && f.width == p.width; y++)
                for (int x = 0; x < f.width; x++)
                    same &= memcmp(f.bgr + (size_t)y * f.stride + 3 * (size_t)x,
                                   p.bgr + (size_t)(p.height - 1 - y) * p.stride +
                                       3 * (size_t)(p.width - 1 - x), 3) == 0;
        } else {
            CHECK(f.width == p.height && f.height == p.width);
            for (int y = 0; y < f.height && f.width == p.height; y++)
                for (int x = 0; x < f.width; x++) {
                    /* 6 (clockwise): out(x, y) = in(y, H-1-x); 8: out(x, y) = in(W-1-y, x) */
                    int sx = cases[c].orientation == 6 ? y : p.width - 1 - y;
                    int sy = cases[c].orientation == 6 ? p.height - 1 - x : x;
                    same &= memcmp(f.bgr + (size_t)y * f.stride + 3 * (size_t)x,
                                   p.bgr + (size_t)sy * p.stride + 3 * (size_t)sx, 3) == 0;
                }
        }
        CHECK(same);
        au_source_close(src);
    }
    au_source_close(plain);
    free(jpg);
}

/* The eight EXIF transforms on a 3x2 image, checked against their definitions. */
static void test_orient_transforms(void)
{
    enum { W = 3, H = 2 };
    uint8_t img[H][W][3], out[W * H * 3], back[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                img[y][x][c] = (uint8_t)(100 * c + 10 * y + x);
    for (int o = 1; o <= 8; o++) {
        int ow, oh;
        au_orient_size(o, W, H, &ow, &oh);
        CHECK((o >= 5) ? (ow == H && oh == W) : (ow == W && oh == H));
        au_orient_bgr(&img[0][0][0], W, H, W * 3, o, out, (size_t)ow * 3);
        int ok = 1;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                int sx = x, sy = y;
                switch (o) {
                case 2: sx = W - 1 - x; break;                    /* mirror left-right */
                case 3: sx = W - 1 - x; sy = H - 1 - y; break;    /* 180 degrees */
                case 4: sy = H - 1 - y; break;                    /* mirror top-bottom */
                case 5: sx = y; sy = x; break;                    /* transpose */
                case 6: sx = y; sy = H - 1 - x; break;            /* 90 clockwise */
                case 7: sx = W - 1 - y; sy = H - 1 - x; break;    /* transverse */
                case 8: sx = W - 1 - y; sy = x; break;            /* 90 counter-clockwise */
                default: break;
                }
                ok &= memcmp(out + ((size_t)y * ow + x) * 3, img[sy][sx], 3) == 0;
            }
        CHECK(ok);
    }
    /* 6 then 8 (clockwise then counter-clockwise) is the identity. */
    au_orient_bgr(&img[0][0][0], W, H, W * 3, 6, out, H * 3);
    au_orient_bgr(out, H, W, H * 3, 8, back, W * 3);
    CHECK(memcmp(back, img, sizeof img) == 0);
}

int main(void)
{
    if (!test_make_temp_dir(tmpdir, sizeof tmpdir, "test_source"))
        return 1;
    test_default_video();
    test_single_image();
    test_image_folder();
    test_folder_with_bad_image();
    test_broken_inputs();
    test_rotation();
    test_frame_rates();
    test_exif_orientation();
    test_orient_transforms();
    if (!getenv("KEEP_TMP"))
        test_remove_tree(tmpdir);
    else
        printf("kept %s\n", tmpdir);
    return check_report("test_source");
}
