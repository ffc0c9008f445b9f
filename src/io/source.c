/* au_source: picks the backend for a path (folder / image file / video) and numbers the
 * frames; also the pixel re-orientation shared by both backends. See io/source.h. */
#include "io/source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/grow.h"
#include "io/source_backends.h"

struct au_source {
    au_source_type kind;
    au_video *video;      /* exactly one of video / images is set */
    au_images *images;
    long next_index;
};

auface_status au_source_open(au_source **out, const char *path, au_err *err)
{
    return au_source_open_threads(out, path, 0, err);
}

auface_status au_source_open_threads(au_source **out, const char *path, int decode_threads,
                                     au_err *err)
{
    if (!out || !path)
        return au_fail(err, AUFACE_ERR_ARG, "au_source_open: NULL argument");
    if (decode_threads < 0)
        return au_fail(err, AUFACE_ERR_ARG, "au_source_open: %d decode threads", decode_threads);
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    au_source *src = calloc(1, sizeof *src);
    if (!src)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    auface_status s;
    if (S_ISDIR(st.st_mode)) {
        src->kind = AU_SOURCE_IMAGE_FOLDER;
        s = au_images_open_folder(&src->images, path, err);
    } else if (au_images_is_image_name(path)) {
        src->kind = AU_SOURCE_IMAGE;
        s = au_images_open_file(&src->images, path, err);
    } else {
        src->kind = AU_SOURCE_VIDEO;
        s = au_video_open(&src->video, path, decode_threads, err);
    }
    if (s != AUFACE_OK) {
        free(src);
        return s;
    }
    *out = src;
    return AUFACE_OK;
}

int au_source_next(au_source *src, au_frame *frame, au_err *err)
{
    if (!src || !frame) {
        au_fail(err, AUFACE_ERR_ARG, "au_source_next: NULL argument");
        return -1;
    }
    int r = src->video ? au_video_next(src->video, frame, err)
                       : au_images_next(src->images, frame, err);
    if (r == 1)
        frame->index = src->next_index++;
    return r;
}

double au_source_fps(const au_source *src)
{
    /* Image sequences: OpenImageSequence sets fps = 0 ("No fps as we have a sequence"). */
    return src->video ? au_video_fps(src->video) : 0.0;
}

long au_source_frame_count(const au_source *src)
{
    return src->video ? au_video_frame_count(src->video) : au_images_count(src->images);
}

au_source_type au_source_kind(const au_source *src)
{
    return src->kind;
}

int au_frame_copy_packed(const au_frame *f, uint8_t **buf, size_t *cap)
{
    const size_t row = (size_t)f->width * 3;
    if (!au_grow_bytes(buf, cap, row * (size_t)f->height))
        return 0;
    for (int y = 0; y < f->height; y++)
        memcpy(*buf + (size_t)y * row, f->bgr + (size_t)y * f->stride, row);
    return 1;
}

int au_source_swap_pixels(au_source *src, uint8_t **buf, size_t *cap)
{
    return src->video ? au_video_swap_pixels(src->video, buf, cap) : 0;
}

int au_source_keep_frame(au_source *src, const au_frame *f, uint8_t **buf, size_t *cap)
{
    return au_source_swap_pixels(src, buf, cap) || au_frame_copy_packed(f, buf, cap);
}

long au_source_corrupt_frames(const au_source *src)
{
    return src->video ? au_video_corrupt_frames(src->video)
                      : au_images_corrupt_frames(src->images);
}

int au_source_decode_threads(int requested)
{
    return au_video_threads(requested);
}

int au_source_is_vfr(const au_source *src)
{
    return src->video ? au_video_is_vfr(src->video) : 0;
}

void au_source_close(au_source *src)
{
    if (!src)
        return;
    au_video_close(src->video);
    au_images_close(src->images);
    free(src);
}

/* ---- re-orientation ---- */

void au_orient_size(int orientation, int w, int h, int *out_w, int *out_h)
{
    int swap = orientation >= 5 && orientation <= 8;
    *out_w = swap ? h : w;
    *out_h = swap ? w : h;
}

/* Source pixel of output pixel (x, y). 2: flip(1); 3: flip(-1); 4: flip(0); 5: transpose;
 * 6: transpose + flip(1) (90 degrees clockwise); 7: transpose + flip(-1); 8: transpose +
 * flip(0) (90 degrees counter-clockwise) — OpenCV's ApplyExifOrientation. */
static void source_pixel(int orientation, int x, int y, int w, int h, int *sx, int *sy)
{
    switch (orientation) {
    case 2: *sx = w - 1 - x; *sy = y; break;
    case 3: *sx = w - 1 - x; *sy = h - 1 - y; break;
    case 4: *sx = x; *sy = h - 1 - y; break;
    case 5: *sx = y; *sy = x; break;
    case 6: *sx = y; *sy = h - 1 - x; break;
    case 7: *sx = w - 1 - y; *sy = h - 1 - x; break;
    case 8: *sx = w - 1 - y; *sy = x; break;
    default: *sx = x; *sy = y; break;
    }
}

void au_orient_bgr(const uint8_t *src, int w, int h, size_t src_stride, int orientation,
                   uint8_t *dst, size_t dst_stride)
{
    int ow, oh;
    au_orient_size(orientation, w, h, &ow, &oh);
    if (orientation < 2 || orientation > 8) {
        for (int y = 0; y < h; y++)
            memcpy(dst + (size_t)y * dst_stride, src + (size_t)y * src_stride, (size_t)w * 3);
        return;
    }
    /* Along an output row the source address moves by a constant step. */
    for (int y = 0; y < oh; y++) {
        int sx0, sy0, sx1, sy1;
        source_pixel(orientation, 0, y, w, h, &sx0, &sy0);
        source_pixel(orientation, 1, y, w, h, &sx1, &sy1);
        ptrdiff_t step = (ptrdiff_t)(sx1 - sx0) * 3 + (ptrdiff_t)(sy1 - sy0) * (ptrdiff_t)src_stride;
        ptrdiff_t start = (ptrdiff_t)sy0 * (ptrdiff_t)src_stride + (ptrdiff_t)sx0 * 3;
        uint8_t *d = dst + (size_t)y * dst_stride;
        for (int x = 0; x < ow; x++, d += 3) {
            const uint8_t *s = src + start + (ptrdiff_t)x * step;
            d[0] = s[0];
            d[1] = s[1];
            d[2] = s[2];
        }
    }
}
