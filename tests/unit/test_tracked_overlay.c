/* Tests of pipeline/tracked_overlay on a blank 640x480 frame: the pose box where OpenFace's
 * DrawBox puts it (a 200 mm cube at 500 mm straight ahead), its colour from the confidence,
 * landmark dots, the AU panel, and nothing but the panel below the confidence boundary. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pipeline/tracked_overlay.h"

#define W 640
#define H 480

/* Row layout of the fake results: confidence, pose (6), x (68), y (68), AU12_r, AU12_c,
 * AU25_r. */
enum { COL_CONF = 0, COL_POSE = 1, COL_X = 7, COL_Y = COL_X + 68, COL_AU12_R = COL_Y + 68,
       COL_AU12_C, COL_AU25_R, N_COLS };

static uint8_t frame[H][W][3];

static au_canvas blank(void)
{
    memset(frame, 0, sizeof frame);
    return (au_canvas){&frame[0][0][0], W, H, 3 * W};
}

static void layout(au_overlay_columns *cols)
{
    memset(cols, 0, sizeof *cols);
    cols->confidence = COL_CONF;
    cols->has_pose = 1;
    for (int i = 0; i < 6; i++)
        cols->pose[i] = COL_POSE + i;
    cols->has_landmarks = 1;
    for (int i = 0; i < AUFACE_LANDMARKS; i++) {
        cols->x[i] = COL_X + i;
        cols->y[i] = COL_Y + i;
    }
    cols->n_aus = 2;
    strcpy(cols->au_name[0], "AU12");
    cols->au_r[0] = COL_AU12_R;
    cols->au_c[0] = COL_AU12_C;
    strcpy(cols->au_name[1], "AU25");
    cols->au_r[1] = COL_AU25_R;
    cols->au_c[1] = -1;
}

/* A face 500 mm ahead, not turned; landmarks on a row at y = 300; AU12 2.5 present. */
static void fill_row(double *row, double confidence)
{
    memset(row, 0, sizeof(double) * N_COLS);
    row[COL_CONF] = confidence;
    row[COL_POSE + 2] = 500.0;
    for (int i = 0; i < AUFACE_LANDMARKS; i++) {
        row[COL_X + i] = 100.0 + 6.0 * i;
        row[COL_Y + i] = 300.0;
    }
    row[COL_AU12_R] = 2.5;
    row[COL_AU12_C] = 1.0;
    row[COL_AU25_R] = 0.01;  /* too weak to be listed */
}

static int is_blue(int x, int y)
{
    return frame[y][x][0] > 200 && frame[y][x][1] == 0 && frame[y][x][2] < 30;
}

/* White (text) pixels in the panel's corner of the frame. */
static int panel_text_pixels(void)
{
    int n = 0;
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 230; x++)
            n += frame[y][x][0] == 255 && frame[y][x][1] == 255 && frame[y][x][2] == 255;
    return n;
}

static int is_black(int x, int y)
{
    return !frame[y][x][0] && !frame[y][x][1] && !frame[y][x][2];
}

int main(void)
{
    au_overlay_columns cols;
    layout(&cols);
    double row[N_COLS];
    const au_camera cam = {500.0f, 500.0f, 320.0f, 240.0f};

    au_canvas c = blank();
    fill_row(row, 1.0);
    au_overlay_draw(&cols, row, cam, -1, 0, &c);
    /* Front face at Z = 400 mm: x = 320 ± 100·500/400 = 195, 445; y = 240 ± 125 = 115, 365.
     * Back face at Z = 600 mm: x = 320 ± 83.3, y = 240 ± 83.3. Confidence 1: pure blue. */
    CHECK(is_blue(320, 115) && is_blue(320, 365) && is_blue(195, 200) && is_blue(445, 200));
    CHECK(is_blue(320, 157) && is_blue(237, 200));
    CHECK(is_black(320, 120) && is_black(320, 240));
    /* Landmark 10 at (160, 300): a red disc. */
    CHECK(frame[300][160][2] > 200 && frame[300][160][1] == 0);
    CHECK(frame[300][162][2] > 200);
    CHECK(is_black(160, 305));
    /* The panel: dark background with white text, one line (AU25 0.01 is left out). */
    int green = 0;
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 230; x++)
            green += frame[y][x][1] == 200 && frame[y][x][0] == 60;
    int text = panel_text_pixels();
    CHECK(text > 100);
    CHECK(green == 2 * 7 * 2 * 50 / 2);  /* bar: 2.5 / 5 of 100 px, 14 px high */
    CHECK(is_black(5, 4 + 14 + 3 + 14 + 8));  /* no second line */

    /* Less sure: the box turns from blue to red (confidence 0.55 -> BGR 64, 0, 191). */
    c = blank();
    fill_row(row, 0.55);
    au_overlay_draw(&cols, row, cam, -1, 0, &c);
    CHECK(frame[115][320][0] == 64 && frame[115][320][2] == 191);

    /* Below OpenFace's boundary (0.4): no landmarks, no box; the AU panel stays. */
    c = blank();
    fill_row(row, 0.4);
    au_overlay_draw(&cols, row, cam, -1, 0, &c);
    CHECK(is_black(320, 115) && is_black(160, 300));
    CHECK(panel_text_pixels() == text);

    /* A head behind the camera, or garbage values: nothing is drawn outside, no crash. */
    c = blank();
    fill_row(row, 1.0);
    row[COL_POSE + 2] = -500.0;
    row[COL_X + 3] = 1e300;
    row[COL_AU12_R] = 0.0;
    au_overlay_draw(&cols, row, cam, -1, 0, &c);
    CHECK(is_black(320, 115));
    return check_report("test_tracked_overlay");
}
