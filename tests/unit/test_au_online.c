/* The analyser's online mode (streams): the same per-frame predictions as the video mode,
 * no history kept, and no end-of-video post-processing. */
#include <string.h>

#include "au/analyser.h"
#include "check.h"
#include "io/hog_file.h"

enum { FRAMES = 60 };

int main(void)
{
    au_err err;
    au_models *models = NULL;
    CHECK(au_models_load(&models, SHARED("models/openface/AU_predictors"), 0, &err) == AUFACE_OK);
    au_analyser *video = NULL, *online = NULL;
    CHECK(models && au_analyser_create(&video, models, &err) == AUFACE_OK);
    CHECK(models && au_analyser_create(&online, models, &err) == AUFACE_OK);
    au_hog_reader *hogs = NULL;
    CHECK(au_hog_reader_open(&hogs, SHARED("reference/openface-2.2/default/default.hog"), &err) ==
          AUFACE_OK);
    if (!video || !online || !hogs)
        return check_report("test_au_online");
    au_analyser_set_online(online);

    /* OpenFace's own HOG of default.wmv with a simple varying geometry; every third frame
     * fails, so the failure path is compared too. */
    double geom[238];
    au_hog_record rec;
    for (int f = 0; f < FRAMES && au_hog_reader_next(hogs, &rec, &err) == 1; f++) {
        for (int i = 0; i < 238; i++)
            geom[i] = 0.01 * ((f * 7 + i) % 23) - 0.1;
        int success = f % 3 != 2;
        double rv[64], cv[64], ro[64], co[64];
        CHECK(au_analyser_add_frame(video, success, rec.data, geom, rv, cv, &err) == AUFACE_OK);
        CHECK(au_analyser_add_frame(online, success, rec.data, geom, ro, co, &err) == AUFACE_OK);
        CHECK(memcmp(rv, ro, sizeof(double) * (size_t)au_models_num_reg(models)) == 0);
        CHECK(memcmp(cv, co, sizeof(double) * (size_t)au_models_num_class(models)) == 0);
    }
    CHECK(au_analyser_frames(online) == FRAMES);
    CHECK(au_analyser_finish(video, &err) == AUFACE_OK);
    CHECK(au_analyser_finish(online, &err) == AUFACE_ERR_ARG);
    CHECK(strstr(err.msg, "online") != NULL);

    au_hog_reader_close(hogs);
    au_analyser_free(video);
    au_analyser_free(online);
    au_models_free(models);
    return check_report("test_au_online");
}
