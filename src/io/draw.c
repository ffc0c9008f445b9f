/* Anti-aliased drawing on BGR canvases; see io/draw.h. */
#include "io/draw.h"

#include <math.h>
#include <string.h>

#include "io/font5x7.h"

/* Coordinates beyond this many pixels are taken as garbage (a pose behind the camera
 * projects to huge values): such shapes are not drawn, which also keeps int casts defined. */
#define DRAW_MAX_COORD 1e6

static int finite_coord(double v)
{
    return isfinite(v) && fabs(v) < DRAW_MAX_COORD;
}

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Opacity in 1/256 steps (256 = opaque): integer blending keeps the panel and the lines
 * cheap next to the encoder. */
#define DRAW_OPAQUE 256

static int weight_of(double alpha)
{
    return (int)lrint(alpha * DRAW_OPAQUE);
}

/* Mixes `color` into the pixel at (x, y) (inside the canvas) with weight 0..DRAW_OPAQUE. */
static void blend(const au_canvas *c, int x, int y, au_color color, int weight)
{
    uint8_t *p = c->bgr + (size_t)y * c->stride + 3 * (size_t)x;
    const int src[3] = {color.b, color.g, color.r};
    for (int k = 0; k < 3; k++)
        p[k] = (uint8_t)((p[k] * (DRAW_OPAQUE - weight) + src[k] * weight + DRAW_OPAQUE / 2) /
                         DRAW_OPAQUE);
}

/* Coverage of a pixel whose centre is `d` pixels from the shape's centre line, for a
 * shape `half` pixels wide on each side. */
static double coverage(double d, double half)
{
    double a = half + 0.5 - d;
    return a <= 0.0 ? 0.0 : a >= 1.0 ? 1.0 : a;
}

/* Distance from (px, py) to the segment (x0, y0)-(x1, y1). */
static double segment_distance(double px, double py, double x0, double y0, double x1,
                               double y1)
{
    double dx = x1 - x0, dy = y1 - y0;
    double len2 = dx * dx + dy * dy;
    double t = len2 > 0.0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0.0;
    t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
    double ex = x0 + t * dx - px, ey = y0 + t * dy - py;
    return sqrt(ex * ex + ey * ey);
}

/* The x range of the pixels on row y that can be within `reach` of the segment: the part of
 * the segment within `reach` rows of y, widened by `reach` on both sides. 0 when none. */
static int row_span(double y, double x0, double y0, double x1, double y1, double reach,
                    double *xa, double *xb)
{
    double t0 = 0.0, t1 = 1.0;
    double dy = y1 - y0;
    if (fabs(dy) > 1e-12) {
        double ta = (y - reach - y0) / dy, tb = (y + reach - y0) / dy;
        if (ta > tb) {
            double s = ta;
            ta = tb;
            tb = s;
        }
        t0 = ta > 0.0 ? ta : 0.0;
        t1 = tb < 1.0 ? tb : 1.0;
        if (t0 > t1)
            return 0;
    } else if (fabs(y - y0) > reach) {
        return 0;
    }
    double xs = x0 + t0 * (x1 - x0), xe = x0 + t1 * (x1 - x0);
    *xa = (xs < xe ? xs : xe) - reach;
    *xb = (xs < xe ? xe : xs) + reach;
    return 1;
}

void au_draw_line(const au_canvas *c, double x0, double y0, double x1, double y1,
                  double thickness, au_color color)
{
    if (!finite_coord(x0) || !finite_coord(y0) || !finite_coord(x1) || !finite_coord(y1) ||
        !(thickness > 0.0))
        return;
    double half = thickness / 2.0, reach = half + 1.0;
    int ya = clamp_int((int)floor(fmin(y0, y1) - reach), 0, c->height);
    int yb = clamp_int((int)ceil(fmax(y0, y1) + reach), -1, c->height - 1);
    for (int y = ya; y <= yb; y++) {
        double xa, xb;
        if (!row_span(y, x0, y0, x1, y1, reach, &xa, &xb))
            continue;
        int xs = clamp_int((int)floor(xa), 0, c->width);
        int xe = clamp_int((int)ceil(xb), -1, c->width - 1);
        for (int x = xs; x <= xe; x++) {
            double a = coverage(segment_distance(x, y, x0, y0, x1, y1), half);
            if (a > 0.0)
                blend(c, x, y, color, weight_of(a));
        }
    }
}

void au_draw_circle(const au_canvas *c, double x, double y, double radius, double thickness,
                    au_color color)
{
    if (!finite_coord(x) || !finite_coord(y) || !finite_coord(radius) || radius < 0.0 ||
        !(thickness > 0.0) || thickness > DRAW_MAX_COORD)
        return;
    double half = thickness / 2.0, reach = radius + half + 1.0;
    int ya = clamp_int((int)floor(y - reach), 0, c->height);
    int yb = clamp_int((int)ceil(y + reach), -1, c->height - 1);
    int xa = clamp_int((int)floor(x - reach), 0, c->width);
    int xb = clamp_int((int)ceil(x + reach), -1, c->width - 1);
    for (int py = ya; py <= yb; py++)
        for (int px = xa; px <= xb; px++) {
            double d = hypot(px - x, py - y);
            double a = coverage(fabs(d - radius), half);
            if (a > 0.0)
                blend(c, px, py, color, weight_of(a));
        }
}

void au_draw_rect(const au_canvas *c, int x0, int y0, int x1, int y1, au_color color,
                  double alpha)
{
    if (!(alpha > 0.0))
        return;
    if (alpha > 1.0)
        alpha = 1.0;
    x0 = clamp_int(x0, 0, c->width);
    x1 = clamp_int(x1, 0, c->width);
    y0 = clamp_int(y0, 0, c->height);
    y1 = clamp_int(y1, 0, c->height);
    int weight = weight_of(alpha);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            blend(c, x, y, color, weight);
}

/* One character at (x, y): each set font pixel as a scale x scale square. */
static void draw_glyph(const au_canvas *c, int x, int y, char ch, int scale, au_color color)
{
    const uint8_t *rows = au_font5x7_glyph(ch);
    for (int r = 0; r < AU_FONT5X7_HEIGHT; r++)
        for (int col = 0; col < AU_FONT5X7_WIDTH; col++)
            if (rows[r] & (1u << (AU_FONT5X7_WIDTH - 1 - col)))
                au_draw_rect(c, x + col * scale, y + r * scale, x + (col + 1) * scale,
                             y + (r + 1) * scale, color, 1.0);
}

void au_draw_text(const au_canvas *c, int x, int y, const char *text, int scale,
                  au_color color)
{
    if (!text || scale < 1)
        return;
    for (const char *s = text; *s; s++, x += AU_FONT5X7_ADVANCE * scale)
        draw_glyph(c, x, y, *s, scale, color);
}

int au_text_width(const char *text, int scale)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || scale < 1)
        return 0;
    return (int)((n - 1) * AU_FONT5X7_ADVANCE + AU_FONT5X7_WIDTH) * scale;
}

int au_text_height(int scale)
{
    return scale < 1 ? 0 : AU_FONT5X7_HEIGHT * scale;
}
