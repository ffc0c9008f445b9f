/* PFLD crop, input tensor and reprojection; see pfld_io.h for the rules and sources. */
#include "landmark/pfld_io.h"

#include <math.h>
#include <string.h>

#include "math/resize.h"

/* pyfaceau pfld.py: the square is 10 % larger than the longer side of the box. */
#define CROP_EXPANSION 1.1
/* Box coordinates beyond this are rejected before the integer conversion. */
#define MAX_COORDINATE 1e9

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

static int coordinate_ok(float v)
{
    return isfinite(v) && fabsf(v) < MAX_COORDINATE;
}

auface_status au_pfld_crop_from_box(const au_face_box *box, int img_w, int img_h,
                                    au_pfld_crop *crop, au_err *err)
{
    memset(crop, 0, sizeof *crop);
    if (!coordinate_ok(box->x1) || !coordinate_ok(box->y1) || !coordinate_ok(box->x2) ||
        !coordinate_ok(box->y2))
        return au_fail(err, AUFACE_ERR_ARG, "PFLD crop: face box (%g, %g, %g, %g) is not finite",
                       (double)box->x1, (double)box->y1, (double)box->x2, (double)box->y2);
    /* det[:4].astype(int): truncation toward zero, as the C conversion does. */
    int x_min = (int)box->x1, y_min = (int)box->y1, x_max = (int)box->x2, y_max = (int)box->y2;
    int w = x_max - x_min, h = y_max - y_min;
    int size = (int)(max_int(w, h) * CROP_EXPANSION);
    if (size <= 0)
        return au_fail(err, AUFACE_ERR_ARG, "PFLD crop: face box (%d, %d, %d, %d) is empty",
                       x_min, y_min, x_max, y_max);
    int cx = (int)(x_min + w / 2.0), cy = (int)(y_min + h / 2.0);
    au_pfld_crop c;
    c.size = size;
    c.sq_x1 = cx - size / 2;
    c.sq_y1 = cy - size / 2;
    int sq_x2 = c.sq_x1 + size, sq_y2 = c.sq_y1 + size;
    c.clip_x1 = max_int(0, c.sq_x1);
    c.clip_y1 = max_int(0, c.sq_y1);
    c.clip_x2 = min_int(img_w, sq_x2);
    c.clip_y2 = min_int(img_h, sq_y2);
    if (c.clip_x2 <= c.clip_x1 || c.clip_y2 <= c.clip_y1)
        return au_fail(err, AUFACE_ERR_ARG,
                       "PFLD crop: square (%d, %d, size %d) from face box (%d, %d, %d, %d) "
                       "lies outside the %dx%d image",
                       c.sq_x1, c.sq_y1, size, x_min, y_min, x_max, y_max, img_w, img_h);
    c.pad_top = max_int(0, -c.sq_y1);
    c.pad_bottom = max_int(0, sq_y2 - img_h);
    c.pad_left = max_int(0, -c.sq_x1);
    c.pad_right = max_int(0, sq_x2 - img_w);
    *crop = c;
    return AUFACE_OK;
}

void au_pfld_input(const uint8_t *bgr, int w, int h, size_t stride, const au_pfld_crop *crop,
                   float *input_nchw)
{
    enum { N = AU_PFLD_INPUT_SIZE };
    uint8_t resized[N * N * 3];
    memset(resized, 0, sizeof resized);
    au_resize_bilinear_u8c3_window(bgr, w, h, stride, crop->sq_x1, crop->sq_y1, crop->size,
                                   crop->size, resized, N, N, (size_t)N * 3);
    /* BGR -> RGB planes, float32(v) / 255.0 (numpy float32 division). */
    for (int c = 0; c < 3; c++) {
        float *plane = input_nchw + (size_t)c * N * N;
        for (int i = 0; i < N * N; i++)
            plane[i] = (float)resized[3 * i + (2 - c)] / 255.0f;
    }
}

void au_pfld_landmarks(const float *output136, const au_pfld_crop *crop,
                       float *landmarks2n_planar)
{
    for (int i = 0; i < AU_PFLD_POINTS; i++) {
        double u = output136[2 * i], v = output136[2 * i + 1];
        landmarks2n_planar[i] = (float)(crop->sq_x1 + u * crop->size);
        landmarks2n_planar[AU_PFLD_POINTS + i] = (float)(crop->sq_y1 + v * crop->size);
    }
}

void au_pfld_box_from_landmarks(const float *landmarks2n, int n, au_face_box *box)
{
    memset(box, 0, sizeof *box);
    int found = 0;
    float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    for (int i = 0; i < n; i++) {
        float x = landmarks2n[i], y = landmarks2n[n + i];
        if (!isfinite(x) || !isfinite(y))
            continue;
        if (!found) {
            x1 = x2 = x;
            y1 = y2 = y;
            found = 1;
            continue;
        }
        x1 = fminf(x1, x);
        x2 = fmaxf(x2, x);
        y1 = fminf(y1, y);
        y2 = fmaxf(y2, y);
    }
    if (!found)
        return;
    box->x1 = x1;
    box->y1 = y1;
    box->x2 = x2;
    box->y2 = y2;
    box->score = 1.0f;
}
