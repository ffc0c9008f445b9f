/* Annotations of one frame of the tracked video; see pipeline/tracked_overlay.h. */
#include "pipeline/tracked_overlay.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "face/rotation.h"

/* Visualizer.h: "Can be adjusted to show less confident frames". */
#define OVERLAY_VISUALISATION_BOUNDARY 0.4
/* VisualizationUtils.cpp CalculateBox: "The size of the head is roughly 200mm x 200mm x
 * 200mm": the unit cube's corners times 100. */
#define OVERLAY_BOX_HALF_SIZE_MM 100.0
/* Visualizer.cpp SetObservationGaze: the gaze line is 50 mm long. */
#define OVERLAY_GAZE_LENGTH_MM 50.0
/* The eye model's 28 points per eye: 0-7 iris, 8-19 eyelid, 20-27 pupil. */
#define OVERLAY_EYE_PART_POINTS 28
/* AU panel: rows shown, intensities below this are left out (they print as 0.0). */
#define OVERLAY_AU_ROWS 5
#define OVERLAY_AU_MIN_SHOWN 0.05
#define OVERLAY_AU_MAX 5.0

/* VisualizationUtils.cpp CalculateBox: corners and the 12 edges joining them. */
static const double box_corners[8][3] = {
    {-1, 1, -1}, {1, 1, -1}, {1, 1, 1}, {-1, 1, 1},
    {1, -1, 1},  {1, -1, -1}, {-1, -1, -1}, {-1, -1, 1},
};
static const int box_edges[12][2] = {
    {0, 1}, {1, 2}, {2, 3}, {0, 3}, {2, 4}, {1, 5},
    {0, 6}, {3, 7}, {6, 5}, {5, 4}, {4, 7}, {7, 6},
};

static const au_color red = {0, 0, 255}, blue = {255, 0, 0};
static const au_color gaze_color = {110, 220, 0};    /* cv::Scalar(110, 220, 0), BGR */
static const au_color panel_color = {0, 0, 0};
static const au_color text_color = {255, 255, 255};
static const au_color present_color = {60, 200, 60};
static const au_color absent_color = {150, 150, 150};

/* Index of "<prefix><i>" in r, or -1. */
static int numbered_column(const auface_results *r, const char *prefix, int i)
{
    char name[32];
    snprintf(name, sizeof name, "%s%d", prefix, i);
    return auface_results_column_index(r, name);
}

/* Fills idx[0..n) with the columns prefix0..prefix(n-1); 1 when all exist. */
static int find_numbered(const auface_results *r, const char *prefix, int n, int *idx)
{
    int all = 1;
    for (int i = 0; i < n; i++)
        all &= (idx[i] = numbered_column(r, prefix, i)) >= 0;
    return all;
}

static int find_all(const auface_results *r, const char *const *names, int n, int *idx)
{
    int all = 1;
    for (int i = 0; i < n; i++)
        all &= (idx[i] = auface_results_column_index(r, names[i])) >= 0;
    return all;
}

/* The AU intensity columns "AUnn_r", with their presence columns "AUnn_c" when present. */
static void find_aus(const auface_results *r, au_overlay_columns *cols)
{
    cols->n_aus = 0;
    int n = auface_results_cols(r);
    for (int c = 0; c < n && cols->n_aus < AU_OVERLAY_MAX_AUS; c++) {
        const char *name = auface_results_column_name(r, c);
        size_t len = strlen(name);
        if (strncmp(name, "AU", 2) != 0 || len < 4 || len > 7 || strcmp(name + len - 2, "_r"))
            continue;
        int k = cols->n_aus++;
        memcpy(cols->au_name[k], name, len - 2);
        cols->au_name[k][len - 2] = '\0';
        char presence[16];
        snprintf(presence, sizeof presence, "%s_c", cols->au_name[k]);
        cols->au_r[k] = c;
        cols->au_c[k] = auface_results_column_index(r, presence);
    }
}

void au_overlay_columns_find(const auface_results *r, au_overlay_columns *cols)
{
    static const char *const pose[6] = {"pose_Tx", "pose_Ty", "pose_Tz",
                                        "pose_Rx", "pose_Ry", "pose_Rz"};
    static const char *const gaze[6] = {"gaze_0_x", "gaze_0_y", "gaze_0_z",
                                        "gaze_1_x", "gaze_1_y", "gaze_1_z"};
    memset(cols, 0, sizeof *cols);
    cols->confidence = auface_results_column_index(r, "confidence");
    cols->has_landmarks = find_numbered(r, "x_", AUFACE_LANDMARKS, cols->x) &
                          find_numbered(r, "y_", AUFACE_LANDMARKS, cols->y);
    cols->has_pose = find_all(r, pose, 6, cols->pose);
    find_aus(r, cols);
    cols->has_eyes = find_numbered(r, "eye_lmk_x_", AU_OVERLAY_EYE_POINTS, cols->eye_x) &
                     find_numbered(r, "eye_lmk_y_", AU_OVERLAY_EYE_POINTS, cols->eye_y);
    cols->has_gaze = find_numbered(r, "eye_lmk_X_", AU_OVERLAY_EYE_POINTS, cols->eye_3d[0]) &
                     find_numbered(r, "eye_lmk_Y_", AU_OVERLAY_EYE_POINTS, cols->eye_3d[1]) &
                     find_numbered(r, "eye_lmk_Z_", AU_OVERLAY_EYE_POINTS, cols->eye_3d[2]) &
                     find_all(r, gaze, 6, cols->gaze);
}

/* Visualizer.cpp's "rough heuristic" line widths: ceil(k · W / 640). */
static double scaled_width(double k, int width)
{
    return ceil(k * (double)width / 640.0);
}

/* VisualizationUtils.cpp Project: pinhole projection; 0 when the point is not in front of
 * the camera (OpenFace only guards Z == 0; a point behind it has no place in the picture). */
static int project(const double p[3], au_camera cam, double *u, double *v)
{
    if (!(p[2] > 0.0))
        return 0;
    *u = p[0] * cam.fx / p[2] + cam.cx;
    *v = p[1] * cam.fy / p[2] + cam.cy;
    return 1;
}

static void draw_landmarks(const au_overlay_columns *cols, const double *row,
                           const au_canvas *c)
{
    double outer = scaled_width(3.0, c->width), inner = scaled_width(1.0, c->width);
    for (int i = 0; i < AUFACE_LANDMARKS; i++) {
        double x = row[cols->x[i]], y = row[cols->y[i]];
        au_draw_circle(c, x, y, 1.0, outer, red);
        au_draw_circle(c, x, y, 1.0, inner, blue);
    }
}

static int inside(const au_canvas *c, double u, double v)
{
    return u >= 0.0 && v >= 0.0 && u < c->width && v < c->height;
}

/* SetObservationPose + DrawBox: colour from the confidence rescaled above the boundary. */
static void draw_pose_box(const au_overlay_columns *cols, const double *row, double certainty,
                          au_camera cam, const au_canvas *c)
{
    float euler[3] = {(float)row[cols->pose[3]], (float)row[cols->pose[4]],
                      (float)row[cols->pose[5]]};
    float R[9];
    au_euler_to_rotation(euler, R);
    double u[8], v[8];
    int ok[8];
    for (int k = 0; k < 8; k++) {
        double p[3];
        for (int i = 0; i < 3; i++) {
            double s = 0.0;
            for (int j = 0; j < 3; j++)
                s += (double)R[3 * i + j] * box_corners[k][j] * OVERLAY_BOX_HALF_SIZE_MM;
            p[i] = s + row[cols->pose[i]];
        }
        ok[k] = project(p, cam, &u[k], &v[k]);
    }
    double vis = (fmin(certainty, 1.0) - OVERLAY_VISUALISATION_BOUNDARY) /
                 (1.0 - OVERLAY_VISUALISATION_BOUNDARY);
    au_color color = {(uint8_t)lrint(vis * 255.0), 0, (uint8_t)lrint((1.0 - vis) * 255.0)};
    double width = scaled_width(2.0, c->width);
    for (int e = 0; e < 12; e++) {
        int a = box_edges[e][0], b = box_edges[e][1];
        /* DrawBox: "Only draw the line if one of the points is inside the image". */
        if (ok[a] && ok[b] && (inside(c, u[a], v[a]) || inside(c, u[b], v[b])))
            au_draw_line(c, u[a], v[a], u[b], v[b], width, color);
    }
}

/* SetObservationGaze: point i is joined to the next one of its ring (iris 0-7, eyelid
 * 8-19, pupil 20-27, per eye); iris and pupil in blue, eyelid in red. */
static void draw_eye_outlines(const au_overlay_columns *cols, const double *row,
                              const au_canvas *c)
{
    for (int i = 0; i < AU_OVERLAY_EYE_POINTS; i++) {
        int base = i / OVERLAY_EYE_PART_POINTS * OVERLAY_EYE_PART_POINTS;
        int k = i - base;
        int next = k == 7 ? 0 : k == 19 ? 8 : k == 27 ? 20 : k + 1;
        int eyelid = k >= 8 && k <= 19;
        au_draw_line(c, row[cols->eye_x[i]], row[cols->eye_y[i]], row[cols->eye_x[base + next]],
                     row[cols->eye_y[base + next]], 1.0, eyelid ? red : blue);
    }
}

/* SetObservationGaze: from the pupil (mean of the 8 iris points in 3D) along the gaze
 * vector for 50 mm, projected; 2 px wide. */
static void draw_gaze_lines(const au_overlay_columns *cols, const double *row, au_camera cam,
                            const au_canvas *c)
{
    for (int eye = 0; eye < 2; eye++) {
        double start[3] = {0, 0, 0}, end[3];
        for (int d = 0; d < 3; d++) {
            for (int i = 0; i < 8; i++)
                start[d] += row[cols->eye_3d[d][eye * OVERLAY_EYE_PART_POINTS + i]];
            start[d] /= 8.0;
            end[d] = start[d] + row[cols->gaze[3 * eye + d]] * OVERLAY_GAZE_LENGTH_MM;
        }
        double u0, v0, u1, v1;
        if (project(start, cam, &u0, &v0) && project(end, cam, &u1, &v1))
            au_draw_line(c, u0, v0, u1, v1, 2.0, gaze_color);
    }
}

/* Indices (into cols->au_*) of the strongest intensities shown, strongest first. */
static int strongest_aus(const au_overlay_columns *cols, const double *row,
                         int best[OVERLAY_AU_ROWS])
{
    int n = 0;
    for (int k = 0; k < cols->n_aus; k++) {
        double v = row[cols->au_r[k]];
        if (!(v >= OVERLAY_AU_MIN_SHOWN))
            continue;
        int pos = n < OVERLAY_AU_ROWS ? n++ : OVERLAY_AU_ROWS;
        /* insertion into the sorted top list; a value not above the last one drops out */
        while (pos > 0 && row[cols->au_r[best[pos - 1]]] < v) {
            if (pos < OVERLAY_AU_ROWS)
                best[pos] = best[pos - 1];
            pos--;
        }
        if (pos < OVERLAY_AU_ROWS)
            best[pos] = k;
    }
    return n;
}

/* The AU panel: one line per shown AU, "AU12 3.1" and a bar; sizes grow with the width.
 * With several faces (face_id >= 0) each face's panel is titled "face N" and placed in
 * slot `slot` along the top, so the panels do not cover each other. */
static void draw_au_panel(const au_overlay_columns *cols, const double *row, int face_id,
                          int slot, const au_canvas *c)
{
    int best[OVERLAY_AU_ROWS];
    int n = strongest_aus(cols, row, best);
    int s = c->width >= 640 ? c->width / 320 : 1;   /* font pixel size */
    int pad = 4 * s, line = au_text_height(s) + 3 * s;
    int label_w = au_text_width("AU00 0.0", s), bar_max = 50 * s;
    int width = pad + label_w + pad + bar_max + pad, title = face_id >= 0;
    if (n + title == 0)
        return;
    int left = slot * (width + pad), top = pad + title * line;
    au_draw_rect(c, left, 0, left + width, top + n * line - 3 * s + pad, panel_color, 0.55);
    if (title) {
        char label[32];
        snprintf(label, sizeof label, "face %d", face_id);
        au_draw_text(c, left + pad, pad, label, s, text_color);
    }
    for (int i = 0; i < n; i++) {
        int k = best[i];
        double v = fmin(row[cols->au_r[k]], OVERLAY_AU_MAX);
        char label[32];
        snprintf(label, sizeof label, "%s %.1f", cols->au_name[k], v);
        int y = top + i * line;
        au_draw_text(c, left + pad, y, label, s, text_color);
        int present = cols->au_c[k] >= 0 && row[cols->au_c[k]] >= 0.5;
        int x0 = left + pad + label_w + pad;
        int len = (int)lrint(v / OVERLAY_AU_MAX * bar_max);
        au_draw_rect(c, x0, y, x0 + (len > 0 ? len : 1), y + au_text_height(s),
                     present ? present_color : absent_color, 1.0);
    }
}

void au_overlay_draw(const au_overlay_columns *cols, const double *row, au_camera cam,
                     int face_id, int slot, const au_canvas *canvas)
{
    double certainty = cols->confidence >= 0 ? row[cols->confidence] : 1.0;
    if (certainty > OVERLAY_VISUALISATION_BOUNDARY) {
        /* FeatureExtraction.cpp's order: landmarks, pose, gaze. */
        if (cols->has_landmarks)
            draw_landmarks(cols, row, canvas);
        if (cols->has_pose)
            draw_pose_box(cols, row, certainty, cam, canvas);
        if (cols->has_eyes)
            draw_eye_outlines(cols, row, canvas);
        if (cols->has_gaze)
            draw_gaze_lines(cols, row, cam, canvas);
    }
    draw_au_panel(cols, row, face_id, slot, canvas);
}
