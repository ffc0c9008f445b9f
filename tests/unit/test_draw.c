/* Tests of io/draw and io/font5x7: coverage and anti-aliasing of lines and circles, clipping
 * and garbage coordinates, blended rectangles, and text in the built-in font. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/draw.h"
#include "io/font5x7.h"

#define W 64
#define H 48

static uint8_t pixels[H][W][3];

static au_canvas blank_canvas(void)
{
    memset(pixels, 0, sizeof pixels);
    return (au_canvas){&pixels[0][0][0], W, H, 3 * W};
}

static int red_at(int x, int y)
{
    return pixels[y][x][2];
}

static long touched_pixels(void)
{
    long n = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            n += pixels[y][x][0] || pixels[y][x][1] || pixels[y][x][2];
    return n;
}

static const au_color red = {0, 0, 255};

static void test_line(void)
{
    au_canvas c = blank_canvas();
    au_draw_line(&c, 10, 20, 50, 20, 2.0, red);
    /* A horizontal line 2 px wide centred on row 20: rows 19-21 hold it, row 20 fully. */
    CHECK(red_at(30, 20) == 255);
    CHECK(red_at(30, 19) > 0 && red_at(30, 19) < 255);
    CHECK(red_at(30, 21) > 0 && red_at(30, 21) < 255);
    CHECK(red_at(30, 23) == 0);
    CHECK(red_at(10, 20) == 255 && red_at(50, 20) == 255);  /* round ends reach the ends */
    CHECK(red_at(53, 20) == 0 && red_at(7, 20) == 0);
    CHECK(pixels[20][30][0] == 0 && pixels[20][30][1] == 0);

    /* A diagonal covers the pixels on it and nothing far from it. */
    c = blank_canvas();
    au_draw_line(&c, 5, 5, 40, 40, 1.0, red);
    CHECK(red_at(20, 20) == 255);
    CHECK(red_at(20, 25) == 0);
    long diagonal = touched_pixels();
    CHECK(diagonal > 36 && diagonal < 36 * 4);
}

static void test_circle(void)
{
    au_canvas c = blank_canvas();
    /* OpenFace's landmark dot: radius 1, line 3 px: a filled disc of radius 2.5. */
    au_draw_circle(&c, 20, 20, 1.0, 3.0, red);
    CHECK(red_at(20, 20) == 255);
    CHECK(red_at(22, 20) == 255);
    CHECK(red_at(24, 20) == 0);
    /* A ring of radius 10, line 1 px: empty inside. */
    c = blank_canvas();
    au_draw_circle(&c, 32, 24, 10.0, 1.0, red);
    CHECK(red_at(42, 24) == 255 && red_at(32, 14) == 255);
    CHECK(red_at(32, 24) == 0 && red_at(36, 24) == 0);
}

static void test_clipping_and_garbage(void)
{
    au_canvas c = blank_canvas();
    au_draw_line(&c, -1e9, 5, 1e9, 5, 2.0, red);          /* beyond DRAW_MAX_COORD: skipped */
    au_draw_line(&c, NAN, 5, 10, 5, 2.0, red);
    au_draw_circle(&c, INFINITY, 5, 1.0, 3.0, red);
    au_draw_circle(&c, 10, 10, -1.0, 3.0, red);
    CHECK(touched_pixels() == 0);
    /* Partly outside: the visible part is drawn, nothing is written outside. */
    au_draw_line(&c, -100, 10, 1000, 10, 3.0, red);
    CHECK(red_at(0, 10) == 255 && red_at(W - 1, 10) == 255);
    au_draw_circle(&c, -1, -1, 3.0, 2.0, red);
    CHECK(red_at(0, 2) > 0);
    au_draw_rect(&c, -5, 40, 1000, 1000, red, 1.0);
    CHECK(red_at(0, H - 1) == 255 && red_at(W - 1, H - 1) == 255);
}

static void test_rect_blend(void)
{
    au_canvas c = blank_canvas();
    au_draw_rect(&c, 2, 2, 6, 6, (au_color){200, 100, 50}, 0.5);
    CHECK(pixels[3][3][0] == 100 && pixels[3][3][1] == 50 && pixels[3][3][2] == 25);
    CHECK(pixels[6][6][0] == 0);  /* the end is exclusive */
    au_draw_rect(&c, 2, 2, 6, 6, (au_color){200, 100, 50}, 2.0);  /* opacity capped at 1 */
    CHECK(pixels[3][3][0] == 200);
}

/* Reads back a glyph drawn at scale 2 and compares it with the font table. */
static void test_text(void)
{
    au_canvas c = blank_canvas();
    const au_color white = {255, 255, 255};
    au_draw_text(&c, 1, 1, "A1", 2, white);
    const uint8_t *a = au_font5x7_glyph('A');
    int same = 1;
    for (int r = 0; r < AU_FONT5X7_HEIGHT; r++)
        for (int col = 0; col < AU_FONT5X7_WIDTH; col++) {
            int on = (a[r] >> (AU_FONT5X7_WIDTH - 1 - col)) & 1;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++)
                    same &= (pixels[1 + 2 * r + dy][1 + 2 * col + dx][1] == 255) == on;
        }
    CHECK(same);
    CHECK(au_text_width("A1", 2) == (6 + 5) * 2);
    CHECK(au_text_width("", 2) == 0);
    CHECK(au_text_height(3) == 21);
    CHECK(au_font5x7_glyph('a') == au_font5x7_glyph('A'));
    CHECK(au_font5x7_glyph('\x01') == au_font5x7_glyph('?'));
    CHECK(au_font5x7_glyph((char)0xE9) == au_font5x7_glyph('?'));
    /* "AU12 3.1": every character has a drawing (none falls back to '?'). */
    for (const char *s = "AU0123456789. "; *s; s++)
        CHECK(*s == '?' || au_font5x7_glyph(*s) != au_font5x7_glyph('?'));
    /* Text running off the canvas is clipped. */
    au_draw_text(&c, W - 3, H - 3, "WWW", 4, white);
    CHECK(pixels[H - 1][W - 1][1] == 255);  /* the corner of the first W's stroke */
}

int main(void)
{
    test_line();
    test_circle();
    test_clipping_and_garbage();
    test_rect_blend();
    test_text();
    return check_report("test_draw");
}
