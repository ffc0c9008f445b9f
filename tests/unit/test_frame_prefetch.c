/* Tests that frames decoded ahead on the prefetch thread are exactly the frames of reading
 * the source directly: the same count, pixels, sizes, indices, timestamps, the same grey
 * image as au_bgr_to_gray_opencv makes, the same ending (end or error, with its message) and
 * the same damaged-frame count at every frame; on a shipped video, a damaged and truncated
 * copy of another, and an image folder with an undecodable image; with ring depths 1 and 3.
 * Also that stopping after a few frames (the thread blocked on a full ring or decoding)
 * returns promptly and leaks nothing (ASan/TSan builds run this test). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/source.h"
#include "landmark/clnf_gray.h"
#include "pipeline/frame_prefetch.h"
#include "test_files.h"

static char tmpdir[256];

/* Compares the whole stream of `path` read directly and through a prefetcher of `depth`;
 * with `take`, every frame's pixels are taken (au_frame_prefetch_take_pixels) into one
 * buffer of the test's, as the video job takes them into its frame slots. */
static void check_same_stream(const char *path, int depth, int take)
{
    uint8_t *taken = NULL;
    size_t taken_cap = 0;
    au_source *direct = NULL, *ahead = NULL;
    au_err e1 = {0}, e2 = {0};
    CHECK(au_source_open(&direct, path, &e1) == AUFACE_OK);
    CHECK(au_source_open(&ahead, path, &e2) == AUFACE_OK);
    if (!direct || !ahead) {
        au_source_close(direct);
        au_source_close(ahead);
        return;
    }
    au_frame_prefetch *pf = NULL;
    CHECK(au_frame_prefetch_create(&pf, ahead, depth, 1, &e2) == AUFACE_OK);
    uint8_t *gray = NULL;
    size_t gray_cap = 0;
    long frames = 0, mismatches = 0, corrupt_ahead = -1;
    int r1, r2;
    for (;;) {
        au_frame f;
        const au_prefetched_frame *p = NULL;
        r1 = au_source_next(direct, &f, &e1);
        r2 = pf ? au_frame_prefetch_next(pf, &p, &corrupt_ahead, &e2) : -1;
        if (r1 <= 0 || r2 <= 0)
            break;
        frames++;
        size_t need = (size_t)f.width * (size_t)f.height;
        if (need > gray_cap) {
            free(gray);
            gray = malloc(need);
            gray_cap = gray ? need : 0;
        }
        if (!gray)
            break;
        au_bgr_to_gray_opencv(f.bgr, f.width, f.height, f.stride, gray, (size_t)f.width);
        const uint8_t *pixels = p->frame.bgr;
        if (take) {
            au_frame_prefetch_take_pixels(pf, &taken, &taken_cap);
            pixels = taken;
        }
        int same = p->frame.width == f.width && p->frame.height == f.height &&
                   p->frame.index == f.index && p->frame.timestamp == f.timestamp &&
                   p->frame.stride == (size_t)f.width * 3 && p->gray &&
                   memcmp(p->gray, gray, need) == 0 &&
                   corrupt_ahead == au_source_corrupt_frames(direct);
        for (int y = 0; same && y < f.height; y++)
            same = memcmp(pixels + (size_t)y * p->frame.stride,
                          f.bgr + (size_t)y * f.stride, (size_t)f.width * 3) == 0;
        mismatches += !same;
    }
    CHECK(frames > 0);
    CHECK(mismatches == 0);
    CHECK(r1 == r2);
    CHECK(corrupt_ahead == au_source_corrupt_frames(direct));
    if (r1 < 0 && r2 < 0)
        CHECK(strcmp(e1.msg, e2.msg) == 0);
    /* The ending repeats. */
    const au_prefetched_frame *p = NULL;
    long again_corrupt = -1;
    if (pf)
        CHECK(au_frame_prefetch_next(pf, &p, &again_corrupt, &e2) == r2);
    CHECK(again_corrupt == corrupt_ahead);
    printf("%s, depth %d%s: %ld frames, end %d, %ld damaged, %ld mismatches\n", path, depth,
           take ? ", pixels taken" : "", frames, r2, corrupt_ahead, mismatches);
    free(taken);
    free(gray);
    au_frame_prefetch_free(pf);
    au_source_close(direct);
    au_source_close(ahead);
}

/* A copy of `path` with three runs of bytes scrambled and its last tenth cut off. */
static int damaged_copy(const char *path, const char *out)
{
    size_t n;
    uint8_t *data = test_read_file(path, &n);
    if (!data || n < 100000) {
        free(data);
        return 0;
    }
    static const double where[] = {0.3, 0.55, 0.8};
    for (int k = 0; k < 3; k++) {
        size_t at = (size_t)(where[k] * (double)n);
        for (size_t i = 0; i < 2000; i++)
            data[at + i] = (uint8_t)(data[at + i] ^ (0x5a + 7 * i));
    }
    int ok = test_write_file(out, data, n * 9 / 10);
    free(data);
    return ok;
}

/* Two images and an undecodable one between them. */
static int folder_with_bad_image(char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/folder", tmpdir);
    if (mkdir(dir, 0755) != 0)
        return 0;
    char a[600], b[600], c[600];
    snprintf(a, sizeof a, "%s/001.jpg", dir);
    snprintf(b, sizeof b, "%s/002.jpg", dir);
    snprintf(c, sizeof c, "%s/003.jpg", dir);
    return test_copy_file(SHARED("media/image_sequence/001.jpg"), a) &&
           test_write_file(b, "not a JPEG", 10) &&
           test_copy_file(SHARED("media/image_sequence/002.jpg"), c);
}

/* Freeing after a few frames: the thread is waiting for room or decoding. */
static void check_early_stop(const char *path, int depth, int frames)
{
    au_source *src = NULL;
    au_err err = {0};
    CHECK(au_source_open(&src, path, &err) == AUFACE_OK);
    au_frame_prefetch *pf = NULL;
    CHECK(src && au_frame_prefetch_create(&pf, src, depth, 0, &err) == AUFACE_OK);
    long corrupt;
    int got = 0;
    for (int i = 0; pf && i < frames; i++) {
        const au_prefetched_frame *p = NULL;
        if (au_frame_prefetch_next(pf, &p, &corrupt, &err) == 1 && p->gray == NULL &&
            p->frame.index == i)
            got++;
    }
    CHECK(got == frames);
    au_frame_prefetch_free(pf);
    /* The source is the caller's again, at the frame after those decoded ahead. */
    au_frame f;
    CHECK(src && au_source_next(src, &f, &err) == 1 && f.index > frames - 1);
    au_source_close(src);
}

static void check_arguments(void)
{
    au_frame_prefetch *pf = (au_frame_prefetch *)&pf;
    au_err err = {0};
    CHECK(au_frame_prefetch_create(&pf, NULL, 3, 1, &err) == AUFACE_ERR_ARG);
    CHECK(pf == (au_frame_prefetch *)&pf || pf == NULL);
    au_frame_prefetch_free(NULL);
}

int main(void)
{
    if (!test_make_temp_dir(tmpdir, sizeof tmpdir, "prefetch"))
        return 1;
    check_arguments();
    check_same_stream(SHARED("media/default.wmv"), 3, 0);
    check_same_stream(SHARED("media/default.wmv"), 1, 1);
    check_same_stream(SHARED("media/default.wmv"), 3, 1);
    char path[512];
    snprintf(path, sizeof path, "%s/damaged.avi", tmpdir);
    CHECK(damaged_copy(SHARED("media/2015-10-15-15-14.avi"), path));
    check_same_stream(path, 3, 1);
    char dir[512];
    CHECK(folder_with_bad_image(dir, sizeof dir));
    check_same_stream(dir, 2, 1);
    check_early_stop(SHARED("media/default.wmv"), 3, 2);
    check_early_stop(SHARED("media/default.wmv"), 1, 1);
    test_remove_tree(tmpdir);
    return check_report("test_frame_prefetch");
}
