/* Tests of io/video_writer: a round trip through the encoder and io/source (frame count,
 * size, rate, colours), odd sizes, pictures of another size, and the failures: unknown
 * container, missing folder, abort — none may leave a file behind. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/log.h>

#include "check.h"
#include "io/source.h"
#include "io/video_writer.h"
#include "test_files.h"

static char tmpdir[256];

/* Frame n: a grey background with a coloured square whose position moves with n. */
static void make_picture(uint8_t *bgr, int w, int h, int n)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = bgr + 3 * ((size_t)y * (size_t)w + (size_t)x);
            int in_square = x >= 8 + n && x < 24 + n && y >= 8 && y < 24;
            p[0] = in_square ? 30 : 128;
            p[1] = in_square ? 40 : 128;
            p[2] = in_square ? 220 : 128;
        }
}

static int files_in_tmp(void)
{
    int n = 0;
    DIR *d = opendir(tmpdir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* Encodes `frames` pictures of w x h into `name`; returns the status. */
static auface_status encode(const char *name, int w, int h, int frames, double fps,
                            char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", tmpdir, name);
    au_err err;
    au_video_writer *vw;
    auface_status st = au_video_writer_open(&vw, path, w, h, fps, &err);
    if (st != AUFACE_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        return st;
    }
    uint8_t *bgr = malloc(3 * (size_t)w * (size_t)h);
    for (int n = 0; n < frames && st == AUFACE_OK; n++) {
        make_picture(bgr, w, h, n);
        st = au_video_writer_put(vw, bgr, w, h, 3 * (size_t)w, &err);
    }
    free(bgr);
    if (st != AUFACE_OK) {
        au_video_writer_abort(vw);
        return st;
    }
    CHECK(au_video_writer_frames(vw) == frames);
    st = au_video_writer_finish(vw, &err);
    if (st != AUFACE_OK)
        fprintf(stderr, "finish: %s\n", err.msg);
    return st;
}

static void test_round_trip(void)
{
    char path[512];
    CHECK(encode("clip.mp4", 96, 64, 12, 25.0, path, sizeof path) == AUFACE_OK);
    au_err err;
    au_source *src;
    CHECK(au_source_open(&src, path, &err) == AUFACE_OK);
    if (!src)
        return;
    CHECK_NEAR(au_source_fps(src), 25.0, 1e-9);
    au_frame f;
    int n = 0, colours_ok = 1;
    while (au_source_next(src, &f, &err) > 0) {
        CHECK(f.width == 96 && f.height == 64);
        const uint8_t *in = f.bgr + 16 * f.stride + 3 * (size_t)(16 + n);
        const uint8_t *out = f.bgr + 40 * f.stride + 3 * 60;
        colours_ok &= abs(in[2] - 220) < 12 && abs(in[0] - 30) < 12;   /* the red square */
        colours_ok &= abs(out[0] - 128) < 6 && abs(out[2] - 128) < 6;  /* the grey */
        n++;
    }
    CHECK(n == 12);
    CHECK(colours_ok);
    au_source_close(src);
}

static void test_sizes(void)
{
    char path[512];
    au_err err;
    /* Odd sizes lose their last column and row (4:2:0 needs even ones). */
    CHECK(encode("odd.mkv", 33, 21, 3, 30.0, path, sizeof path) == AUFACE_OK);
    au_source *src;
    au_frame f;
    if (au_source_open(&src, path, &err) == AUFACE_OK) {
        CHECK(au_source_next(src, &f, &err) > 0 && f.width == 32 && f.height == 20);
        au_source_close(src);
    }
    /* A picture of another size is scaled to the video's. */
    snprintf(path, sizeof path, "%s/mixed.avi", tmpdir);
    au_video_writer *vw;
    CHECK(au_video_writer_open(&vw, path, 40, 30, 10.0, &err) == AUFACE_OK);
    uint8_t big[80 * 60 * 3];
    make_picture(big, 80, 60, 0);
    CHECK(au_video_writer_put(vw, big, 80, 60, 240, &err) == AUFACE_OK);
    CHECK(au_video_writer_put(vw, big, 40, 30, 240, &err) == AUFACE_OK);  /* a sub-window */
    CHECK(au_video_writer_finish(vw, &err) == AUFACE_OK);
    if (au_source_open(&src, path, &err) == AUFACE_OK) {
        int n = 0;
        while (au_source_next(src, &f, &err) > 0)
            n += f.width == 40 && f.height == 30;
        CHECK(n == 2);
        au_source_close(src);
    }
}

static void test_failures(void)
{
    char path[512];
    au_err err;
    au_video_writer *vw = (au_video_writer *)&err;
    int before = files_in_tmp();
    snprintf(path, sizeof path, "%s/clip.unknownext", tmpdir);
    CHECK(au_video_writer_open(&vw, path, 32, 32, 30.0, &err) == AUFACE_ERR_ARG);
    CHECK(vw == NULL && strstr(err.msg, path) != NULL);
    snprintf(path, sizeof path, "%s/clip.webm", tmpdir);  /* VP8/VP9/AV1 only */
    CHECK(au_video_writer_open(&vw, path, 32, 32, 30.0, &err) == AUFACE_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "webm") != NULL);
    snprintf(path, sizeof path, "%s/no/such/folder/clip.mp4", tmpdir);
    CHECK(au_video_writer_open(&vw, path, 32, 32, 30.0, &err) == AUFACE_ERR_IO);
    CHECK(strstr(err.msg, path) != NULL);
    snprintf(path, sizeof path, "%s/clip.mp4", tmpdir);
    CHECK(au_video_writer_open(&vw, path, 1, 32, 30.0, &err) == AUFACE_ERR_ARG);
    CHECK(au_video_writer_open(&vw, path, 32, 32, 0.0, &err) == AUFACE_ERR_ARG);
    /* The up-front check agrees with open and leaves nothing behind. */
    snprintf(path, sizeof path, "%s/checked.mp4", tmpdir);
    CHECK(au_video_writer_check(path, &err) == AUFACE_OK);
    snprintf(path, sizeof path, "%s/no/such/folder/clip.mp4", tmpdir);
    CHECK(au_video_writer_check(path, &err) == AUFACE_ERR_IO);
    snprintf(path, sizeof path, "%s/clip.webm", tmpdir);
    CHECK(au_video_writer_check(path, &err) == AUFACE_ERR_UNSUPPORTED);
    snprintf(path, sizeof path, "%s/clip.txt", tmpdir);
    CHECK(au_video_writer_check(path, &err) == AUFACE_ERR_ARG);
    CHECK(files_in_tmp() == before);
    /* Aborting leaves nothing; an existing file under the name is kept as it was. */
    snprintf(path, sizeof path, "%s/aborted.mp4", tmpdir);
    CHECK(au_video_writer_open(&vw, path, 32, 32, 30.0, &err) == AUFACE_OK);
    uint8_t grey[32 * 32 * 3];
    memset(grey, 100, sizeof grey);
    CHECK(au_video_writer_put(vw, grey, 32, 32, 96, &err) == AUFACE_OK);
    CHECK(au_video_writer_put(vw, grey, 32, 32, 10, &err) == AUFACE_ERR_ARG);  /* bad stride */
    au_video_writer_abort(vw);
    au_video_writer_abort(NULL);
    CHECK(files_in_tmp() == before);
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);  /* libx264 reports its settings at the info level */
    if (!test_make_temp_dir(tmpdir, sizeof tmpdir, "auface_video_writer"))
        return 1;
    test_round_trip();
    test_sizes();
    test_failures();
    test_remove_tree(tmpdir);
    return check_report("test_video_writer");
}
