/* auface_render_tracked: the annotated video, drawn in a second pass over the input from a
 * finished job's results (so the AU values shown are the post-processed ones). The input
 * is decoded again by io/source (the same frames, in the same order, as the job saw them),
 * each frame is copied, annotated by pipeline/tracked_overlay and encoded by
 * io/video_writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auface.h"
#include "common/c_locale.h"
#include "common/error.h"
#include "face/pose.h"
#include "io/source.h"
#include "io/video_writer.h"
#include "pipeline/tracked_overlay.h"

/* Frame rate of the video made from images (they have none): SequenceCapture's default. */
#define TRACKED_IMAGE_FPS 30.0

/* The state of one rendering: the open input and output and the drawing buffer. */
typedef struct tracked_render {
    const char *input;
    const auface_results *results;
    au_overlay_columns cols;
    int frame_col;            /* "frame" column, to check rows and frames agree; -1 absent */
    au_source *src;
    au_video_writer *writer;
    uint8_t *canvas;          /* a copy of the current frame, drawn on */
    size_t canvas_size;
} tracked_render;

/* Copies `f` into the drawing buffer (grown when a frame is larger) and returns the canvas. */
static auface_status copy_frame(tracked_render *t, const au_frame *f, au_canvas *c,
                                au_err *err)
{
    size_t row_bytes = 3 * (size_t)f->width, need = row_bytes * (size_t)f->height;
    if (need > t->canvas_size) {
        uint8_t *grown = realloc(t->canvas, need);
        if (!grown)
            return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory for a %dx%d frame",
                           t->input, f->width, f->height);
        t->canvas = grown;
        t->canvas_size = need;
    }
    for (int y = 0; y < f->height; y++)
        memcpy(t->canvas + (size_t)y * row_bytes, f->bgr + (size_t)y * f->stride, row_bytes);
    *c = (au_canvas){t->canvas, f->width, f->height, row_bytes};
    return AUFACE_OK;
}

/* The results were made from this input: row i is frame i + 1. */
static auface_status check_row(const tracked_render *t, const double *row, long index,
                               au_err *err)
{
    if (t->frame_col < 0 || row[t->frame_col] == (double)(index + 1))
        return AUFACE_OK;
    return au_fail(err, AUFACE_ERR_ARG,
                   "%s: results row %ld is frame %.0f, not frame %ld: the results do not come "
                   "from this input", t->input, index + 1, row[t->frame_col], index + 1);
}

/* Reads the frame of results row `index`; a missing frame means the input changed. */
static auface_status next_frame(tracked_render *t, long index, au_frame *f, au_err *err)
{
    int r = au_source_next(t->src, f, err);
    if (r > 0)
        return AUFACE_OK;
    if (r < 0)
        return err ? err->status : AUFACE_ERR_VIDEO;
    return au_fail(err, AUFACE_ERR_VIDEO,
                   "%s: the input ended after %ld frames but the results have %ld rows",
                   t->input, index, auface_results_rows(t->results));
}

static auface_status render_frames(tracked_render *t, const char *output, const float k[4],
                                   au_err *err)
{
    const double *data = auface_results_data(t->results);
    long rows = auface_results_rows(t->results);
    size_t cols = (size_t)auface_results_cols(t->results);
    double fps = au_source_fps(t->src) > 0.0 ? au_source_fps(t->src) : TRACKED_IMAGE_FPS;
    for (long i = 0; i < rows; i++) {
        const double *row = data + (size_t)i * cols;
        au_frame f;
        au_canvas canvas;
        auface_status st = next_frame(t, i, &f, err);
        if (st == AUFACE_OK)
            st = check_row(t, row, i, err);
        if (st == AUFACE_OK && !t->writer)
            st = au_video_writer_open(&t->writer, output, f.width, f.height, fps, err);
        if (st == AUFACE_OK)
            st = copy_frame(t, &f, &canvas, err);
        if (st != AUFACE_OK)
            return st;
        /* The intrinsics the job used (face/pose.h: OpenFace's rules for missing values). */
        au_camera cam = au_camera_for_frame(k[0], k[1], k[2], k[3], f.width, f.height);
        au_overlay_draw(&t->cols, row, cam, &canvas);
        st = au_video_writer_put(t->writer, canvas.bgr, canvas.width, canvas.height,
                                 canvas.stride, err);
        if (st != AUFACE_OK)
            return st;
    }
    au_video_writer *w = t->writer;
    t->writer = NULL;
    return au_video_writer_finish(w, err);
}

static auface_status render(const char *input, const auface_results *results,
                            const char *output, const float k[4], au_err *err)
{
    if (!input || !results || !output || !*output)
        return au_fail(err, AUFACE_ERR_ARG, "auface_render_tracked: NULL or empty argument");
    if (auface_results_rows(results) < 1)
        return au_fail(err, AUFACE_ERR_ARG, "%s: the results have no frames to draw", input);
    tracked_render t = {.input = input, .results = results};
    au_overlay_columns_find(results, &t.cols);
    t.frame_col = auface_results_column_index(results, "frame");
    auface_status st = au_source_open(&t.src, input, err);
    if (st == AUFACE_OK)
        st = render_frames(&t, output, k, err);
    au_video_writer_abort(t.writer);
    au_source_close(t.src);
    free(t.canvas);
    return st;
}

auface_status auface_render_tracked(const char *input, const auface_results *results,
                                    const char *output_video, float fx, float fy, float cx,
                                    float cy, char *errbuf, size_t errbuf_size)
{
    au_err err;
    au_err_clear(&err);
    const float intrinsics[4] = {fx, fy, cx, cy};
    au_c_locale_scope numbers; /* labels with '.' decimals whatever the caller's locale */
    au_c_locale_enter(&numbers);
    auface_status st = render(input, results, output_video, intrinsics, &err);
    au_c_locale_leave(&numbers);
    if (errbuf && errbuf_size > 0)
        snprintf(errbuf, errbuf_size, "%s", st == AUFACE_OK ? "" : err.msg);
    return st;
}
