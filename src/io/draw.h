/* Drawing on BGR pictures for the annotated ("tracked") video: anti-aliased thick lines and
 * circles as OpenCV's cv::line / cv::circle with cv::LINE_AA draw them for OpenFace's
 * Visualizer, blended rectangles, and text in the built-in 5x7 font (io/font5x7.h).
 *
 * Coordinates are in pixels with pixel centres at whole numbers (OpenCV's convention, and
 * that of the landmark columns), so (0, 0) is the centre of the top-left pixel. A pixel's
 * coverage is 1 − (distance from its centre to the shape's edge) clamped to [0, 1], which
 * gives about one pixel of anti-aliasing. Everything is clipped to the picture, and shapes
 * with non-finite coordinates are skipped, so any values from a results table are safe.
 *
 * Cost: proportional to the pixels a shape covers (its rows times its width on each row);
 * no allocation; thread-safe on distinct canvases. */
#ifndef AU_IO_DRAW_H
#define AU_IO_DRAW_H

#include <stddef.h>
#include <stdint.h>

/* A picture to draw on: B, G, R bytes, row-major, `stride` bytes per row (not owned). */
typedef struct au_canvas {
    uint8_t *bgr;
    int width, height;
    size_t stride;
} au_canvas;

typedef struct au_color {
    uint8_t b, g, r;
} au_color;

/* A segment from (x0, y0) to (x1, y1), `thickness` pixels wide with round ends. */
void au_draw_line(const au_canvas *c, double x0, double y0, double x1, double y1,
                  double thickness, au_color color);

/* A circle of `radius` around (x, y) drawn with a line `thickness` pixels wide (so a
 * thickness of at least twice the radius gives a filled disc, as cv::circle does). */
void au_draw_circle(const au_canvas *c, double x, double y, double radius, double thickness,
                    au_color color);

/* Fills the pixels x0 <= x < x1, y0 <= y < y1 with `color` at opacity `alpha` (0..1). */
void au_draw_rect(const au_canvas *c, int x0, int y0, int x1, int y1, au_color color,
                  double alpha);

/* Writes `text` with its top-left corner at (x, y), each font pixel drawn as a
 * scale x scale square (scale >= 1). */
void au_draw_text(const au_canvas *c, int x, int y, const char *text, int scale,
                  au_color color);

/* Width and height in pixels that au_draw_text covers for `text` at `scale`. */
int au_text_width(const char *text, int scale);
int au_text_height(int scale);

#endif
