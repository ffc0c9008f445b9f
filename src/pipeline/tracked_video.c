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
    int face_col;             /* "face_id" column when the results hold several faces, else -1 */
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

/* The frame number of results row `r`: its "frame" column, or r + 1 without one. */
static long row_frame(const tracked_render *t, const double *row, long r)
{
    return t->frame_col < 0 ? r + 1 : (long)row[t->frame_col];
}

/* Reads frame `index` (0-based) for the rows from `next_row` on; a missing frame means the
 * input changed. */
static auface_status next_frame(tracked_render *t, long index, long next_row, au_frame *f,
                                au_err *err)
{
    int r = au_source_next(t->src, f, err);
    if (r > 0)
        return AUFACE_OK;
    if (r < 0)
        return err ? err->status : AUFACE_ERR_VIDEO;
    return au_fail(err, AUFACE_ERR_VIDEO,
                   "%s: the input ended after %ld frames but results row %ld is for a later "
                   "frame: the results do not come from this input", t->input, index,
                   next_row + 1);
}

/* Draws on frame `index` every row of that frame from *next_row on (several with several
 * faces, none on a frame without a face), advancing *next_row. */
static auface_status draw_rows(tracked_render *t, long index, long *next_row, au_camera cam,
                               au_canvas *canvas, au_err *err)
{
    const double *data = auface_results_data(t->results);
    long rows = auface_results_rows(t->results);
    size_t cols = (size_t)auface_results_cols(t->results);
    for (int slot = 0; *next_row < rows; (*next_row)++, slot++) {
        const double *row = data + (size_t)*next_row * cols;
        long frame = row_frame(t, row, *next_row);
        if (frame > index + 1)
            break;
        if (frame < index + 1)
            return au_fail(err, AUFACE_ERR_ARG, "%s: results row %ld is frame %ld, out of frame "
                           "order: the results do not come from this input", t->input,
                           *next_row + 1, frame);
        int face_id = t->face_col < 0 ? -1 : (int)row[t->face_col];
        au_overlay_draw(&t->cols, row, cam, face_id, t->face_col < 0 ? 0 : slot, canvas);
    }
    return AUFACE_OK;
}

/* Every frame up to the last one with a results row, annotated with its rows. */
static auface_status render_frames(tracked_render *t, const char *output, const float k[4],
                                   au_err *err)
{
    long rows = auface_results_rows(t->results);
    double fps = au_source_fps(t->src) > 0.0 ? au_source_fps(t->src) : TRACKED_IMAGE_FPS;
    for (long i = 0, next_row = 0; next_row < rows; i++) {
        au_frame f;
        au_canvas canvas;
        auface_status st = next_frame(t, i, next_row, &f, err);
        if (st == AUFACE_OK && !t->writer)
            st = au_video_writer_open(&t->writer, output, f.width, f.height, fps, err);
        if (st == AUFACE_OK)
            st = copy_frame(t, &f, &canvas, err);
        if (st == AUFACE_OK) {
            /* The intrinsics the job used (face/pose.h: OpenFace's rules for missing
             * values). */
            au_camera cam = au_camera_for_frame(k[0], k[1], k[2], k[3], f.width, f.height);
            st = draw_rows(t, i, &next_row, cam, &canvas, err);
        }
        if (st == AUFACE_OK)
            st = au_video_writer_put(t->writer, canvas.bgr, canvas.width, canvas.height,
                                     canvas.stride, err);
        if (st != AUFACE_OK)
            return st;
    }
    au_video_writer *w = t->writer;
    t->writer = NULL;
    return au_video_writer_finish(w, err);
}

/* The "face_id" column when some row is not face 0 (results of several faces), else -1. */
static int several_faces(const auface_results *results)
{
    int col = auface_results_column_index(results, "face_id");
    const double *data = auface_results_data(results);
    size_t cols = (size_t)auface_results_cols(results);
    for (long r = 0; col >= 0 && r < auface_results_rows(results); r++)
        if (data[(size_t)r * cols + (size_t)col] != 0.0)
            return col;
    return -1;
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
    t.face_col = several_faces(results);
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
