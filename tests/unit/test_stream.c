/* Streaming API (auface_process_frame) and OpenFace's online AU correction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au/online.h"
#include "auface.h"
#include "check.h"
#include "io/source.h"

/* CorrectOnlineAUs by hand: 20 successful frames with predictions 0.0, 0.1, ..., 1.9 ->
 * after the 10th frame the neutral level is the lower edge of the bin holding the
 * (int)(0.1·count)+1-th smallest value. */
static void test_online_correction(void)
{
    au_online_correction c;
    au_online_reset(&c, 1);
    for (int i = 0; i < 20; i++) {
        double v = 0.1 * i, original = v;
        au_online_correct(&c, &v, 1);
        if (i < 9) {
            CHECK_NEAR(v, original, 1e-12); /* fewer than 10 frames: no shift */
        } else {
            long count = i + 1, cutoff = (long)(0.1 * count);
            /* the (cutoff+1)-th smallest value is 0.1·cutoff; its bin's lower edge */
            double smallest = 0.1 * cutoff;
            int bin = (int)((smallest + 3.0) * 200 / 8.0);
            double neutral = -3.0 + bin * (8.0 / 200);
            double expect = original - neutral;
            CHECK_NEAR(v, expect < 0 ? 0 : expect > 5 ? 5 : expect, 1e-12);
        }
    }
    /* failed frames do not update the histogram but are still corrected and clipped */
    double v = 9.0;
    au_online_correct(&c, &v, 0);
    CHECK_NEAR(v, 5.0, 0);
    CHECK(c.count[0] == 20);
}

/* The stream gives the same landmarks as the video pipeline on the same frames. */
static void test_stream_matches_video(auface_landmarks landmarks, int frames)
{
    const char *video = SHARED("media/default.wmv");
    auface_config cfg;
    auface_config_default(&cfg);
    cfg.models_dir = SHARED("models");
    cfg.workers = 1;
    cfg.landmarks = landmarks;
    auface_pipeline *p = NULL;
    CHECK(auface_pipeline_create(&cfg, &p) == AUFACE_OK);
    if (!p)
        return;
    char csv[] = "/tmp/auface_test_stream_XXXXXX";
    int fd = mkstemp(csv);
    CHECK(fd >= 0);
    auface_job job = {.input = video, .output_csv = csv, .max_frames = frames};
    auface_summary sum;
    CHECK(auface_process_video(p, &job, NULL, NULL, &sum) == AUFACE_OK);
    CHECK(sum.frames == frames);

    FILE *f = fopen(csv, "r");
    CHECK(f != NULL);
    char *line = NULL;
    size_t cap = 0;
    if (f && getline(&line, &cap, f) < 0)
        CHECK(0);
    /* the columns x_0 and gaze_0_x .. gaze_angle_y, by name */
    int col_x0 = -1, col_gaze = -1, col = 0;
    for (char *name = line ? strtok(line, ",") : NULL; name; name = strtok(NULL, ","), col++) {
        name += strspn(name, " ");
        if (strcmp(name, "x_0") == 0)
            col_x0 = col;
        if (strcmp(name, "gaze_0_x") == 0)
            col_gaze = col;
    }
    CHECK(col_x0 > 0 && col_gaze > 0);

    au_source *src = NULL;
    au_err err;
    CHECK(au_source_open(&src, video, &err) == AUFACE_OK);
    au_frame fr;
    auface_frame_result r;
    for (int i = 0; src && f && i < frames && au_source_next(src, &fr, &err) == 1; i++) {
        auface_image img = {fr.bgr, fr.width, fr.height, fr.stride};
        CHECK(auface_process_frame(p, &img, fr.timestamp, &r) == AUFACE_OK);
        CHECK(r.frame == i + 1);
        CHECK(r.success == 1);
        CHECK(r.num_intensities == 17 && r.num_presences == 18);
        for (int k = 0; k < r.num_intensities; k++)
            CHECK(r.intensity[k] >= 0.0 && r.intensity[k] <= 5.0);
        if (getline(&line, &cap, f) < 0) {
            CHECK(0);
            break;
        }
        /* the same landmarks and gaze as the video's CSV (printed with 1 and 6/3 decimals) */
        char *tok = strtok(line, ",");
        for (int k = 0; tok && k <= col_x0; k++, tok = strtok(NULL, ",")) {
            if (k >= col_gaze && k < col_gaze + 8)
                CHECK_NEAR(strtod(tok, NULL), r.gaze[k - col_gaze],
                           k < col_gaze + 6 ? 5e-7 : 5e-4);
            if (k == col_x0)
                CHECK_NEAR(strtod(tok, NULL), r.landmarks[0], 0.051);
        }
        CHECK(r.gaze[2] < -0.5); /* looking roughly at the camera */
    }
    CHECK(strcmp(auface_intensity_name(p, 0), "AU01") == 0);
    CHECK(strcmp(auface_presence_name(p, 17), "AU45") == 0);
    CHECK(auface_intensity_name(p, 17) == NULL);

    /* invalid input is refused with a message */
    auface_image bad = {NULL, 0, 0, 0};
    CHECK(auface_process_frame(p, &bad, 0, &r) == AUFACE_ERR_ARG);
    CHECK(strlen(auface_pipeline_errmsg(p)) > 0);

    auface_stream_reset(p);
    free(line);
    if (f)
        fclose(f);
    au_source_close(src);
    remove(csv);
    auface_pipeline_destroy(p);
}

int main(void)
{
    test_online_correction();
    test_stream_matches_video(AUFACE_LANDMARKS_PFLD, 45);
    test_stream_matches_video(AUFACE_LANDMARKS_CLNF, 15);
    return check_report("test_stream");
}
